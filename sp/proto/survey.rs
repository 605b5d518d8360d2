// SPDX-License-Identifier: GPL-2.0

//! SURVEYOR: the one survey outstanding, its id and its deadline (NNG
//! `survey0/survey.c`). Times are milliseconds on any monotonic clock.
//!
//! A survey is sent with a 32-bit id with the top bit set, like a REQ's
//! request id ([`crate::proto::reqrep`]); a response carries it back as
//! its first word. A new survey abandons the old one: its responses are
//! dropped from then on. Once the deadline has passed, `recv()` reports
//! it once and the survey is over.

use crate::proto::reqrep::Outstanding;

/// What `recv()` finds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecvState {
    /// No survey outstanding (`EINVAL`, like NNG's `NNG_ESTATE`).
    Idle,
    /// The deadline has passed: the survey is over (`ETIMEDOUT`).
    Expired,
    /// Responses may still come for this many milliseconds.
    Open(u64),
}

/// A surveyor's survey state: the outstanding survey is a request (its
/// id and when it went out) with a deadline.
#[derive(Clone, Debug)]
pub struct Surveys {
    out: Outstanding,
    /// How long the outstanding survey collects responses, in ms.
    ms: u32,
}

impl Surveys {
    /// No survey yet; ids start at `seed`.
    pub const fn new(seed: u32) -> Self {
        Surveys {
            out: Outstanding::new(seed),
            ms: 0,
        }
    }

    /// Starts a survey at `now` that collects responses for `ms`,
    /// abandoning any earlier one; returns its id.
    pub fn start(&mut self, now: u64, ms: u32) -> u32 {
        self.ms = ms;
        self.out.start(now)
    }

    /// The outstanding survey's id and deadline.
    fn cur(&self) -> Option<(u32, u64)> {
        self.out
            .current()
            .map(|(id, at)| (id, at.saturating_add(u64::from(self.ms))))
    }

    /// A response with id `id` arrived at `now`: whether it answers the
    /// outstanding survey in time (else it is dropped).
    pub fn accepts(&self, id: u32, now: u64) -> bool {
        matches!(self.cur(), Some((cur, deadline)) if cur == id && now < deadline)
    }

    /// What `recv()` at `now` finds; an expired survey ends here.
    pub fn recv_state(&mut self, now: u64) -> RecvState {
        match self.cur() {
            None => RecvState::Idle,
            Some((_, deadline)) if now >= deadline => {
                self.out.clear();
                RecvState::Expired
            }
            Some((_, deadline)) => RecvState::Open(deadline - now),
        }
    }

    /// Milliseconds until the outstanding survey expires, if any.
    pub fn poll_timeout(&self, now: u64) -> Option<u64> {
        self.cur().map(|(_, d)| d.saturating_sub(now))
    }

    /// Whether a survey is outstanding (expired or not).
    // The tests' and the fuzz targets' (feature "std").
    #[cfg(any(test, feature = "std"))]
    pub fn is_open(&self) -> bool {
        self.out.is_open()
    }

    /// Forgets the outstanding survey (`close()`).
    pub fn clear(&mut self) {
        self.out.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::reqrep::BOTTOM;

    #[test]
    fn idle_until_a_survey() {
        let mut s = Surveys::new(7);
        assert_eq!(s.recv_state(0), RecvState::Idle);
        assert!(!s.accepts(7 | BOTTOM, 0));
        assert_eq!(s.poll_timeout(0), None);
    }

    #[test]
    fn collects_until_the_deadline() {
        let mut s = Surveys::new(7);
        let id = s.start(100, 50);
        assert_eq!(id, 7 | BOTTOM);
        assert!(s.accepts(id, 100));
        assert!(s.accepts(id, 149));
        assert_eq!(s.recv_state(120), RecvState::Open(30));
        assert_eq!(s.poll_timeout(120), Some(30));
        assert!(!s.accepts(id, 150), "at the deadline it is over");
        assert_eq!(s.recv_state(150), RecvState::Expired);
        assert_eq!(s.recv_state(151), RecvState::Idle, "reported once");
        assert!(!s.accepts(id, 151));
    }

    #[test]
    fn a_new_survey_abandons_the_old() {
        let mut s = Surveys::new(u32::MAX >> 1);
        let a = s.start(0, 1000);
        let b = s.start(10, 1000);
        assert_ne!(a, b);
        assert_eq!(b & BOTTOM, BOTTOM, "the top bit survives wrapping");
        assert!(!s.accepts(a, 11), "stale id");
        assert!(s.accepts(b, 11));
        assert!(
            !s.accepts(b & !BOTTOM, 11),
            "an id without the top bit never matches"
        );
    }

    #[test]
    fn huge_deadlines_do_not_wrap() {
        let mut s = Surveys::new(0);
        let id = s.start(u64::MAX - 5, u32::MAX);
        assert!(s.accepts(id, u64::MAX - 1));
        assert_eq!(s.recv_state(u64::MAX - 1), RecvState::Open(1));
        s.clear();
        assert!(!s.is_open());
    }
}
