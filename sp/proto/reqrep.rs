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

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(reply_id(&[0x7f, 0xff, 0xff, 0xff, 1]), Err(Error::Malformed));
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
