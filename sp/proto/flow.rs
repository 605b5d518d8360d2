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

/// What a pipe's own send queue may always hold, whatever the rest of the
/// socket holds: small messages to a peer that reads keep flowing while
/// another peer that does not fills `SO_SNDBUF` (the receive side's
/// allowance, `PIPE_ALLOWANCE`, does the same for reading).
pub const PIPE_SEND_ALLOWANCE: usize = 16 * 1024;

/// The bounds of one queue of a socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bound {
    /// At most this many messages (0 counts as 1).
    pub cap: usize,
    /// The socket's byte budget (`SO_RCVBUF` or `SO_SNDBUF`).
    pub room: usize,
    /// Bytes the socket holds in its other queues, against the same
    /// budget.
    pub others: usize,
    /// Bytes the queue may hold whatever the others hold.
    pub allowance: usize,
}

impl Bound {
    /// A queue that is the socket's only one: `cap` messages, `room`
    /// bytes.
    pub const fn single(cap: usize, room: usize) -> Self {
        Bound {
            cap,
            room,
            others: 0,
            allowance: 0,
        }
    }
}

/// A socket's send budget: `SO_SNDBUF` bytes (`sndbuf`) across its send
/// queue and every pipe's, which hold `total` bytes now, and `SP_SNDBUF`
/// messages (`cap`) in each queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SendBudget {
    pub cap: usize,
    pub sndbuf: usize,
    pub total: usize,
}

impl SendBudget {
    /// The bounds of a pipe's queue that holds `own` of the total bytes.
    pub const fn pipe(&self, own: usize) -> Bound {
        Bound {
            cap: self.cap,
            room: self.sndbuf,
            others: self.total.saturating_sub(own),
            allowance: PIPE_SEND_ALLOWANCE,
        }
    }
}

/// A queue of `len` messages and `bytes` bytes under bound `b`: whether
/// adding `add` bytes overflows it. It never does when the queue and the
/// socket's other queues are all empty, so that a message larger than the
/// budget still goes through; else the queue must stay under `b.cap`
/// messages, and within its allowance or what the other queues leave of
/// the budget.
pub const fn overflows(len: usize, bytes: usize, b: &Bound, add: usize) -> bool {
    let cap = if b.cap == 0 { 1 } else { b.cap };
    if len == 0 && b.others == 0 {
        return false;
    }
    let after = bytes.saturating_add(add);
    len >= cap || (after > b.allowance && b.others.saturating_add(after) > b.room)
}

/// What to do with a new message of `add` bytes for a queue of `len`
/// messages and `bytes` bytes under bound `b`, whose message sizes, oldest
/// first, are `sizes`: how many oldest to drop, and whether the new one is
/// queued. Nothing is dropped for a message that would not fit anyway.
pub fn admit(
    sizes: impl Iterator<Item = usize>,
    len: usize,
    bytes: usize,
    b: &Bound,
    add: usize,
    policy: Overflow,
) -> (usize, bool) {
    if !overflows(len, bytes, b, add) {
        return (0, true);
    }
    match policy {
        Overflow::DropNew => (0, false),
        Overflow::DropOldest => {
            let (mut n, mut len, mut bytes) = (0, len, bytes);
            for s in sizes {
                if !overflows(len, bytes, b, add) {
                    break;
                }
                n += 1;
                len -= 1;
                bytes -= s;
            }
            match overflows(len, bytes, b, add) {
                false => (n, true),
                true => (0, false),
            }
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
        assert!(!overflows(0, 0, &Bound::single(1, 0), 1 << 30));
        assert!(!overflows(0, 0, &Bound::single(0, 10), 11));
        assert!(
            overflows(1, 5, &Bound::single(0, 10), 1),
            "cap 0 counts as 1"
        );
    }

    #[test]
    fn bounds_by_count_and_bytes() {
        assert!(!overflows(3, 30, &Bound::single(4, 100), 70));
        assert!(overflows(3, 30, &Bound::single(4, 100), 71));
        assert!(overflows(4, 4, &Bound::single(4, 100), 1));
        let all = Bound::single(usize::MAX, usize::MAX);
        assert!(!overflows(usize::MAX - 1, usize::MAX - 1, &all, 0));
        let b = Bound::single(8, usize::MAX - 1);
        assert!(overflows(1, usize::MAX, &b, usize::MAX), "no wrap");
    }

    #[test]
    fn drop_new_keeps_the_queue() {
        let sizes = [10, 10, 10];
        assert_eq!(
            admit(
                sizes.into_iter(),
                3,
                30,
                &Bound::single(3, 1000),
                1,
                Overflow::DropNew
            ),
            (0, false)
        );
        assert_eq!(
            admit(
                sizes.into_iter(),
                3,
                30,
                &Bound::single(4, 1000),
                1,
                Overflow::DropNew
            ),
            (0, true)
        );
    }

    #[test]
    fn drop_oldest_drops_just_enough() {
        // Four of 10 bytes under 45 bytes: a message of 20 needs two gone.
        let sizes = [10, 10, 10, 10];
        assert_eq!(
            admit(
                sizes.into_iter(),
                4,
                40,
                &Bound::single(8, 45),
                20,
                Overflow::DropOldest
            ),
            (2, true)
        );
        // At the count bound, one goes.
        assert_eq!(
            admit(
                sizes.into_iter(),
                4,
                40,
                &Bound::single(4, 1000),
                1,
                Overflow::DropOldest
            ),
            (1, true)
        );
        // Larger than the room: everything goes, and it is queued alone.
        assert_eq!(
            admit(
                sizes.into_iter(),
                4,
                40,
                &Bound::single(8, 45),
                100,
                Overflow::DropOldest
            ),
            (4, true)
        );
    }

    #[test]
    fn send_budget_spans_the_pipes() {
        const A: usize = PIPE_SEND_ALLOWANCE;
        // 64 KiB of SO_SNDBUF, 60 KiB queued on another pipe.
        let s = SendBudget {
            cap: 1000,
            sndbuf: 64 << 10,
            total: 60 << 10,
        };
        let empty = s.pipe(0);
        assert_eq!(empty.others, 60 << 10);
        // An empty pipe takes a message within its allowance, or within
        // what the other pipe leaves, but not a larger one.
        assert!(!overflows(0, 0, &empty, A));
        assert!(overflows(0, 0, &empty, A + 1));
        // The pipe that holds the 60 KiB may grow to the budget only.
        let full = s.pipe(60 << 10);
        assert_eq!(full.others, 0);
        assert!(!overflows(2, 60 << 10, &full, 4 << 10));
        assert!(overflows(2, 60 << 10, &full, (4 << 10) + 1));
        // Its own allowance still counts for the small pipe once it holds
        // something: 16 KiB in all, not 16 KiB more each time.
        assert!(!overflows(1, A - 10, &empty, 10));
        assert!(overflows(1, A - 10, &empty, 11));
        // The message count bounds each queue.
        assert!(overflows(1000, 1000, &s.pipe(1000), 1));
        // A socket that holds nothing takes any one message.
        let idle = SendBudget { total: 0, ..s };
        assert!(!overflows(0, 0, &idle.pipe(0), 1 << 30));
        // A total read before the pipe's own bytes were counted in it.
        assert_eq!(SendBudget { total: 5, ..s }.pipe(10).others, 0);
    }

    #[test]
    fn drop_oldest_drops_nothing_in_vain() {
        // Three of 10 bytes, 40 bytes of budget held elsewhere, 45 in all:
        // even an empty queue would not take 20 bytes beyond no allowance.
        let b = Bound {
            cap: 8,
            room: 45,
            others: 40,
            allowance: 0,
        };
        let sizes = [10, 10, 10];
        assert_eq!(
            admit(sizes.into_iter(), 3, 30, &b, 20, Overflow::DropOldest),
            (0, false)
        );
        // With an allowance of 25 they all go: 20 bytes alone fit in it.
        let b = Bound { allowance: 25, ..b };
        assert_eq!(
            admit(sizes.into_iter(), 3, 30, &b, 20, Overflow::DropOldest),
            (3, true)
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
