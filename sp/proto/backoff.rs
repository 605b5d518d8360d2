// SPDX-License-Identifier: GPL-2.0

//! A dialer's reconnect delay: exponential backoff with jitter.
//!
//! Like NNG's dialers: the first retry waits `SP_RECONNECT_IVL`, each
//! failure doubles the wait up to `SP_RECONNECT_IVL_MAX` (none when that
//! is 0 or not above the interval), a completed handshake starts over, and
//! every wait is drawn from `[d/2, d]` so that dialers that lost the same
//! peer do not all come back at once. No wait is shorter than
//! [`MIN_WAIT`]: a zero wait would have a worker retry without pause.

/// The shortest wait between two attempts, in milliseconds.
pub const MIN_WAIT: u32 = 1;

/// The backoff state of one dialer, in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    next: u32,
}

impl Backoff {
    /// Starts at `ivl`.
    pub const fn new(ivl: u32) -> Self {
        Backoff { next: ivl }
    }

    /// The wait before the next attempt after a failure, and the backoff
    /// for the one after. `rand(n)` must return a number below `n`.
    pub fn failed(&mut self, ivl: u32, ivl_max: u32, rand: impl FnOnce(u32) -> u32) -> u32 {
        let d = self.next;
        if ivl_max > ivl {
            self.next = d.saturating_mul(2).min(ivl_max);
        }
        let half = d / 2;
        // `half + 1` cannot overflow: `half <= u32::MAX / 2`.
        (half + rand(half + 1).min(half)).max(MIN_WAIT)
    }

    /// A handshake completed: start over at `ivl`.
    pub fn reset(&mut self, ivl: u32) {
        self.next = ivl;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn waits(b: &mut Backoff, ivl: u32, max: u32, n: usize, r: fn(u32) -> u32) -> Vec<u32> {
        (0..n).map(|_| b.failed(ivl, max, r)).collect()
    }

    #[test]
    fn doubles_up_to_the_maximum() {
        let mut b = Backoff::new(100);
        // The top of each jitter range: d itself.
        assert_eq!(
            waits(&mut b, 100, 1000, 6, |n| n - 1),
            [100, 200, 400, 800, 1000, 1000]
        );
    }

    #[test]
    fn no_growth_without_a_larger_maximum() {
        for max in [0, 50, 100] {
            let mut b = Backoff::new(100);
            assert_eq!(waits(&mut b, 100, max, 3, |n| n - 1), [100, 100, 100]);
        }
    }

    #[test]
    fn jitter_stays_in_half_to_whole() {
        // An odd d: [50, 100].
        let mut b = Backoff::new(101);
        assert_eq!(b.failed(101, 0, |_| 0), 50);
        assert_eq!(b.failed(101, 0, |n| n - 1), 100);
        // A random source that breaks its contract is clamped to the range.
        assert_eq!(b.failed(101, 0, |_| u32::MAX), 100);
    }

    #[test]
    fn reset_starts_over() {
        let mut b = Backoff::new(10);
        waits(&mut b, 10, 80, 4, |n| n - 1);
        b.reset(10);
        assert_eq!(b.failed(10, 80, |n| n - 1), 10);
    }

    #[test]
    fn saturates_instead_of_overflowing() {
        let mut b = Backoff::new(u32::MAX);
        assert_eq!(
            b.failed(u32::MAX - 1, u32::MAX, |n| n - 1),
            u32::MAX / 2 + u32::MAX / 2
        );
        assert_eq!(b, Backoff::new(u32::MAX));
        let mut z = Backoff::new(0);
        assert_eq!(z.failed(0, 0, |n| n - 1), MIN_WAIT);
    }

    #[test]
    fn never_zero() {
        // SP_RECONNECT_IVL 1 with no maximum: the range [0, 1] once gave 0.
        let mut b = Backoff::new(1);
        assert_eq!(waits(&mut b, 1, 0, 3, |_| 0), [1, 1, 1]);
        let mut b = Backoff::new(1);
        assert!(waits(&mut b, 1, 4, 5, |_| 0).iter().all(|&w| w >= MIN_WAIT));
    }
}
