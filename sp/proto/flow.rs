// SPDX-License-Identifier: GPL-2.0

//! Flow decisions shared by the patterns: when a bounded queue is full
//! and what goes when it is, and the round robin over a changing set of
//! pipes (a REQ's requests, a PUSH's messages).

/// What a full queue gives up for a new message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overflow {
    /// The oldest queued messages go (PUB's pipes, SUB's receive queue:
    /// a subscriber wants the latest data, NNG `pub0`/`sub0`).
    DropOldest,
    /// The new message goes (BUS and SURVEYOR's pipes, BUS's and a
    /// SURVEYOR's receive queues, NNG `bus0`/`survey0`).
    DropNew,
}

/// A queue of `len` messages and `bytes` bytes, bounded by `cap`
/// messages and `room` bytes: whether adding `add` bytes overflows it.
/// An empty queue always takes one message, whatever its size, so that a
/// message larger than `room` still goes through.
pub const fn overflows(len: usize, bytes: usize, cap: usize, room: usize, add: usize) -> bool {
    let cap = if cap == 0 { 1 } else { cap };
    len > 0 && (len >= cap || bytes.saturating_add(add) > room)
}

/// What to do with a new message of `add` bytes for a queue of `len`
/// messages and `bytes` bytes whose message sizes, oldest first, are
/// `sizes`: how many oldest to drop, and whether the new one is queued.
pub fn admit(
    sizes: impl Iterator<Item = usize>,
    len: usize,
    bytes: usize,
    cap: usize,
    room: usize,
    add: usize,
    policy: Overflow,
) -> (usize, bool) {
    if !overflows(len, bytes, cap, room, add) {
        return (0, true);
    }
    match policy {
        Overflow::DropNew => (0, false),
        Overflow::DropOldest => {
            let (mut n, mut len, mut bytes) = (0, len, bytes);
            for s in sizes {
                if !overflows(len, bytes, cap, room, add) {
                    break;
                }
                n += 1;
                len -= 1;
                bytes -= s;
            }
            (n, true)
        }
    }
}

/// A round-robin cursor over a list of pipes that grows and shrinks.
#[derive(Clone, Copy, Debug, Default)]
pub struct RoundRobin {
    last: usize,
}

impl RoundRobin {
    /// A cursor that starts at the list's first entry.
    pub const fn new() -> Self {
        RoundRobin { last: usize::MAX }
    }

    /// The next of `n` entries after the last one picked, preferring one
    /// that is `free`: the first free entry in round-robin order, else the
    /// next entry. `None` when `n` is 0.
    pub fn pick(&mut self, n: usize, free: impl Fn(usize) -> bool) -> Option<usize> {
        if n == 0 {
            return None;
        }
        // No division and no overflow on this path: the cursor may be
        // past a list that shrank.
        let start = if self.last >= n - 1 { 0 } else { self.last + 1 };
        let mut i = start;
        for _ in 0..n {
            if free(i) {
                self.last = i;
                return Some(i);
            }
            i = if i + 1 == n { 0 } else { i + 1 };
        }
        self.last = start;
        Some(start)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_queue_takes_anything() {
        assert!(!overflows(0, 0, 1, 0, 1 << 30));
        assert!(!overflows(0, 0, 0, 10, 11));
        assert!(overflows(1, 5, 0, 10, 1), "cap 0 counts as 1");
    }

    #[test]
    fn bounds_by_count_and_bytes() {
        assert!(!overflows(3, 30, 4, 100, 70));
        assert!(overflows(3, 30, 4, 100, 71));
        assert!(overflows(4, 4, 4, 100, 1));
        assert!(!overflows(
            usize::MAX - 1,
            usize::MAX - 1,
            usize::MAX,
            usize::MAX,
            0
        ));
        assert!(
            overflows(1, usize::MAX, 8, usize::MAX - 1, usize::MAX),
            "no wrap"
        );
    }

    #[test]
    fn drop_new_keeps_the_queue() {
        let sizes = [10, 10, 10];
        assert_eq!(
            admit(sizes.into_iter(), 3, 30, 3, 1000, 1, Overflow::DropNew),
            (0, false)
        );
        assert_eq!(
            admit(sizes.into_iter(), 3, 30, 4, 1000, 1, Overflow::DropNew),
            (0, true)
        );
    }

    #[test]
    fn drop_oldest_drops_just_enough() {
        // Four of 10 bytes under 45 bytes: a message of 20 needs two gone.
        let sizes = [10, 10, 10, 10];
        assert_eq!(
            admit(sizes.into_iter(), 4, 40, 8, 45, 20, Overflow::DropOldest),
            (2, true)
        );
        // At the count bound, one goes.
        assert_eq!(
            admit(sizes.into_iter(), 4, 40, 4, 1000, 1, Overflow::DropOldest),
            (1, true)
        );
        // Larger than the room: everything goes, and it is queued alone.
        assert_eq!(
            admit(sizes.into_iter(), 4, 40, 8, 45, 100, Overflow::DropOldest),
            (4, true)
        );
    }

    #[test]
    fn round_robin_rotates() {
        let mut rr = RoundRobin::new();
        let got: Vec<_> = (0..6).map(|_| rr.pick(3, |_| true).unwrap()).collect();
        assert_eq!(got, [0, 1, 2, 0, 1, 2]);
        assert_eq!(rr.pick(0, |_| true), None);
    }

    #[test]
    fn round_robin_skips_busy_and_falls_back() {
        let mut rr = RoundRobin::new();
        // 1 busy: 0, 2, 0, 2.
        let got: Vec<_> = (0..4).map(|_| rr.pick(3, |i| i != 1).unwrap()).collect();
        assert_eq!(got, [0, 2, 0, 2]);
        // All busy: plain rotation, so that someone is always asked.
        let got: Vec<_> = (0..3).map(|_| rr.pick(3, |_| false).unwrap()).collect();
        assert_eq!(got, [0, 1, 2]);
    }

    #[test]
    fn round_robin_survives_shrinking() {
        let mut rr = RoundRobin::new();
        for _ in 0..5 {
            rr.pick(5, |_| true);
        }
        // Past the end of the shorter list: it starts over.
        assert_eq!(rr.pick(2, |_| true), Some(0));
        assert_eq!(rr.pick(2, |_| true), Some(1));
        assert_eq!(rr.pick(1, |_| true), Some(0));
    }
}
