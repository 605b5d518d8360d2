// SPDX-License-Identifier: GPL-2.0

//! Request/reply: backtraces and request ids (NNG `reqrep0/req.c`,
//! `rep.c`; nanomsg `reqrep/req.c`, `xrep.c`).
//!
//! A request body starts with a stack of 32-bit big-endian words. Every
//! word but the last has its top bit clear and names a pipe a device added;
//! the last has the top bit set and carries the request id. The payload
//! follows. A reply carries the same stack back.

/// Size of one backtrace word.
pub const WORD: usize = 4;

/// The top bit, which marks the request-id word at the bottom of a stack.
pub const BOTTOM: u32 = 0x8000_0000;

/// Why a message was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// No word with the top bit: garbage, so the pipe is closed.
    Malformed,
    /// More hops than the TTL allows: the message is dropped.
    TooManyHops,
}

/// Splits a request received by a REP: returns the length of the
/// backtrace, bottom word included; the payload follows it.
///
/// A request that went through more than `max_ttl` hops (words) is
/// dropped, as NNG's `rep0` does; one without a bottom word is malformed.
pub fn split_request(msg: &[u8], max_ttl: u32) -> Result<usize, Error> {
    let mut hops = 0u32;
    for (i, w) in msg.chunks_exact(WORD).enumerate() {
        hops += 1;
        if hops > max_ttl {
            return Err(Error::TooManyHops);
        }
        if u32::from_be_bytes([w[0], w[1], w[2], w[3]]) & BOTTOM != 0 {
            return Ok((i + 1) * WORD);
        }
    }
    Err(Error::Malformed)
}

/// Splits a reply received by a REQ: returns its request id. The payload
/// starts at [`WORD`]. A reply shorter than a word, or whose first word
/// lacks the top bit, is malformed (NNG closes the pipe).
pub fn reply_id(msg: &[u8]) -> Result<u32, Error> {
    match msg.get(..WORD) {
        Some(&[a, b, c, d]) => {
            let id = u32::from_be_bytes([a, b, c, d]);
            if id & BOTTOM == 0 {
                return Err(Error::Malformed);
            }
            Ok(id)
        }
        _ => Err(Error::Malformed),
    }
}

/// Request ids: they start at a random value, carry the top bit and
/// increase by one, wrapping within the 31 bits.
#[derive(Clone, Debug)]
pub struct RequestIds {
    next: u32,
}

impl RequestIds {
    /// Ids starting from `seed` (only its low 31 bits are used).
    pub const fn new(seed: u32) -> Self {
        RequestIds { next: seed }
    }

    /// The next request id.
    pub fn next_id(&mut self) -> u32 {
        let id = self.next | BOTTOM;
        self.next = self.next.wrapping_add(1) & !BOTTOM;
        id
    }
}

/// When a REQ resends (`SP_RESEND_IVL`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResendDue {
    /// No request outstanding: the timer stops.
    Idle,
    /// Resend now (and look again in a full interval).
    Now,
    /// Look again in this many milliseconds.
    In(u32),
}

/// A REQ's outstanding request as the core sees it: its id and when it
/// last went out. Times are milliseconds on any monotonic clock.
#[derive(Clone, Debug)]
pub struct Outstanding {
    ids: RequestIds,
    cur: Option<(u32, u64)>,
}

impl Outstanding {
    /// No request yet; ids start at `seed`.
    pub const fn new(seed: u32) -> Self {
        Outstanding {
            ids: RequestIds::new(seed),
            cur: None,
        }
    }

    /// A new request at `now`, abandoning any earlier one; returns its id.
    pub fn start(&mut self, now: u64) -> u32 {
        let id = self.ids.next_id();
        self.cur = Some((id, now));
        id
    }

    /// The request went out (again) at `now`.
    pub fn sent(&mut self, now: u64) {
        if let Some((_, at)) = self.cur.as_mut() {
            *at = now;
        }
    }

    /// A reply with id `id` arrived: whether it answers the outstanding
    /// request, which it then ends. Stale and unknown ids are dropped.
    pub fn on_reply(&mut self, id: u32) -> bool {
        match self.cur {
            Some((cur, _)) if cur == id => {
                self.cur = None;
                true
            }
            _ => false,
        }
    }

    /// Whether the request is due to go out again at `now`, after `ivl`
    /// milliseconds without a reply.
    pub fn resend_due(&self, now: u64, ivl: u32) -> ResendDue {
        let Some((_, at)) = self.cur else {
            return ResendDue::Idle;
        };
        let age = now.saturating_sub(at);
        if age >= u64::from(ivl) {
            ResendDue::Now
        } else {
            // CAST: below `ivl`, a `u32`.
            ResendDue::In(ivl - age as u32)
        }
    }

    /// The outstanding request's id and when it last went out.
    pub fn current(&self) -> Option<(u32, u64)> {
        self.cur
    }

    /// Whether a request is outstanding.
    // The tests' and the fuzz targets' (feature "std").
    #[cfg(any(test, feature = "std"))]
    pub fn is_open(&self) -> bool {
        self.cur.is_some()
    }

    /// Forgets the outstanding request (`close()`).
    pub fn clear(&mut self) {
        self.cur = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_and_unknown_replies_are_dropped() {
        let mut o = Outstanding::new(5);
        assert!(!o.on_reply(5 | BOTTOM), "no request yet");
        let a = o.start(0);
        let b = o.start(1);
        assert!(!o.on_reply(a), "abandoned by the next request");
        assert!(!o.on_reply(b ^ 1));
        assert!(o.on_reply(b));
        assert!(!o.on_reply(b), "answered once");
        assert!(!o.is_open());
    }

    #[test]
    fn resend_timing() {
        let mut o = Outstanding::new(0);
        assert_eq!(o.resend_due(0, 100), ResendDue::Idle);
        o.start(1000);
        assert_eq!(o.resend_due(1000, 100), ResendDue::In(100));
        assert_eq!(o.resend_due(1060, 100), ResendDue::In(40));
        assert_eq!(o.resend_due(1100, 100), ResendDue::Now);
        o.sent(1100);
        assert_eq!(o.resend_due(1150, 100), ResendDue::In(50));
        // A clock that went backwards never underflows.
        assert_eq!(o.resend_due(10, 100), ResendDue::In(100));
        o.clear();
        assert_eq!(o.resend_due(5000, 100), ResendDue::Idle);
    }

    // PROTOCOL.md: "Hello" with request id 0x123, then the reply "World".
    const REQ: [u8; 9] = [0x80, 0, 1, 0x23, b'H', b'e', b'l', b'l', b'o'];

    #[test]
    fn protocol_md_example() {
        assert_eq!(split_request(&REQ, 8), Ok(4));
        assert_eq!(&REQ[4..], b"Hello");
        let reply = [0x80, 0, 1, 0x23, b'W', b'o', b'r', b'l', b'd'];
        assert_eq!(reply_id(&reply), Ok(0x8000_0123));
    }

    #[test]
    fn backtrace_through_devices() {
        // Two pipe ids added by devices, then the request id.
        let m = [0, 0, 0, 7, 0, 0, 0, 9, 0x80, 0, 0, 1, b'x'];
        assert_eq!(split_request(&m, 8), Ok(12));
        assert_eq!(split_request(&m, 3), Ok(12));
        assert_eq!(split_request(&m, 2), Err(Error::TooManyHops));
    }

    #[test]
    fn garbage_is_malformed() {
        assert_eq!(split_request(&[], 8), Err(Error::Malformed));
        assert_eq!(split_request(&[0x80, 0, 0], 8), Err(Error::Malformed));
        assert_eq!(split_request(&[0, 0, 0, 1, 0, 0], 8), Err(Error::Malformed));
        assert_eq!(reply_id(&[]), Err(Error::Malformed));
        assert_eq!(reply_id(&[0x80, 0, 0]), Err(Error::Malformed));
        assert_eq!(
            reply_id(&[0x7f, 0xff, 0xff, 0xff, 1]),
            Err(Error::Malformed)
        );
    }

    #[test]
    fn ttl_counts_the_bottom_word() {
        let mut m = [0u8; 8 * WORD];
        m[7 * WORD] = 0x80;
        assert_eq!(split_request(&m, 8), Ok(8 * WORD));
        assert_eq!(split_request(&m, 7), Err(Error::TooManyHops));
    }

    #[test]
    fn ids_have_top_bit_and_increase() {
        let mut ids = RequestIds::new(0x1234);
        assert_eq!(ids.next_id(), 0x8000_1234);
        assert_eq!(ids.next_id(), 0x8000_1235);
        let mut ids = RequestIds::new(0x7fff_ffff);
        assert_eq!(ids.next_id(), 0xffff_ffff);
        assert_eq!(ids.next_id(), 0x8000_0000, "wraps within 31 bits");
        let mut ids = RequestIds::new(0xffff_ffff);
        assert_eq!(ids.next_id() & BOTTOM, BOTTOM);
    }
}
