// SPDX-License-Identifier: GPL-2.0

//! SP-over-TCP framing: an 8-byte big-endian length, then the body.
//!
//! [`Deframer`] turns a byte stream, cut anywhere by TCP, into frame events
//! without copying or allocating: the caller allocates when it sees
//! [`Step::Start`] and copies each [`Step::Body`] slice into place.

/// Length of the frame length prefix.
pub const LEN_PREFIX: usize = 8;

/// NNG 2.0 treats lengths of 2^60 and more as invalid; so do we, whatever
/// the configured limit.
pub const HARD_MAX: u64 = 1 << 60;

/// Encodes the length prefix of a `len`-byte frame.
pub const fn encode_len(len: u64) -> [u8; LEN_PREFIX] {
    len.to_be_bytes()
}

/// A stream error: the pipe must be closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// The peer announced a frame longer than the receive limit.
    TooLong {
        /// The announced length.
        len: u64,
        /// The limit in force.
        max: u64,
    },
}

/// One event of the deframer.
#[derive(Debug, PartialEq, Eq)]
pub enum Step<'a> {
    /// More input is needed; nothing was consumed.
    Need,
    /// A frame of `len` bytes starts; the length prefix was consumed.
    Start(u64),
    /// The next bytes of the current frame's body.
    Body(&'a [u8]),
    /// The current frame is complete.
    End,
}

#[derive(Clone, Copy, Debug)]
enum State {
    Prefix { buf: [u8; LEN_PREFIX], have: usize },
    Body { left: u64 },
}

/// Incremental decoder of length-prefixed frames.
///
/// # Invariants
///
/// In `State::Prefix`, `have < LEN_PREFIX`. In `State::Body`, `left` is at
/// most the length announced by the frame's prefix.
#[derive(Clone, Debug)]
pub struct Deframer {
    max: u64,
    state: State,
}

impl Deframer {
    /// A deframer that refuses frames longer than `max` bytes.
    pub const fn new(max: u64) -> Self {
        // INVARIANT: `have` starts at zero.
        Deframer {
            max,
            state: State::Prefix {
                buf: [0; LEN_PREFIX],
                have: 0,
            },
        }
    }

    /// Changes the receive limit; it applies from the next prefix on.
    pub fn set_max(&mut self, max: u64) {
        self.max = max;
    }

    /// Body bytes still to come of the current frame (0 between frames).
    pub fn body_left(&self) -> u64 {
        match self.state {
            State::Body { left } => left,
            State::Prefix { .. } => 0,
        }
    }

    /// `n` body bytes were received outside [`Deframer::step`] (straight
    /// into the message); at most [`Deframer::body_left`] count. The next
    /// `step` reports [`Step::End`] once the body is complete.
    pub fn body_taken(&mut self, n: usize) {
        if let State::Body { left } = &mut self.state {
            *left -= (n as u64).min(*left);
        }
    }

    /// Whether the deframer sits between frames.
    pub fn is_idle(&self) -> bool {
        matches!(self.state, State::Prefix { have: 0, .. })
    }

    /// Consumes a prefix of `input` and reports what it was.
    ///
    /// Returns how many bytes of `input` were consumed and the event. Call
    /// it again with the rest of the input until it returns [`Step::Need`].
    pub fn step<'a>(&mut self, input: &'a [u8]) -> Result<(usize, Step<'a>), Error> {
        match &mut self.state {
            State::Prefix { buf, have } => {
                let n = (LEN_PREFIX - *have).min(input.len());
                if n == 0 {
                    return Ok((0, Step::Need));
                }
                buf[*have..*have + n].copy_from_slice(&input[..n]);
                *have += n;
                if *have < LEN_PREFIX {
                    return Ok((n, Step::Need));
                }
                let len = u64::from_be_bytes(*buf);
                let max = self.max.min(HARD_MAX - 1);
                if len > max {
                    return Err(Error::TooLong { len, max: self.max });
                }
                self.state = State::Body { left: len };
                Ok((n, Step::Start(len)))
            }
            State::Body { left: 0 } => {
                *self = Deframer::new(self.max);
                Ok((0, Step::End))
            }
            State::Body { left } => {
                // CAST: the minimum is at most `input.len()`, a `usize`.
                let n = (*left).min(input.len() as u64) as usize;
                if n == 0 {
                    return Ok((0, Step::Need));
                }
                // CAST: `n` fits in `u64`, it came from one.
                *left -= n as u64;
                Ok((n, Step::Body(&input[..n])))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    /// Body bytes taken straight from the input (`body_taken`) count as
    /// received, past the end too.
    #[test]
    fn body_taken_outside() {
        let mut d = Deframer::new(100);
        let mut input = encode_len(10).to_vec();
        input.extend_from_slice(b"ab");
        assert_eq!(d.step(&input).unwrap(), (8, Step::Start(10)));
        assert_eq!(d.body_left(), 10);
        assert_eq!(d.step(&input[8..]).unwrap(), (2, Step::Body(b"ab")));
        // Six bytes read straight into the message, then the last two.
        d.body_taken(6);
        assert_eq!(d.body_left(), 2);
        assert_eq!(d.step(&[]).unwrap(), (0, Step::Need));
        d.body_taken(5);
        assert_eq!(d.body_left(), 0);
        assert_eq!(d.step(&[]).unwrap(), (0, Step::End));
        assert!(d.is_idle());
        assert_eq!(d.body_left(), 0);
        d.body_taken(3);
        assert!(d.is_idle());
    }

    /// Runs `chunks` through a deframer and collects whole frames.
    fn frames(max: u64, chunks: &[&[u8]]) -> Result<Vec<Vec<u8>>, Error> {
        let mut d = Deframer::new(max);
        let mut out = Vec::new();
        let mut cur: Option<Vec<u8>> = None;
        for chunk in chunks {
            let mut rest = *chunk;
            loop {
                let (n, step) = d.step(rest)?;
                rest = &rest[n..];
                match step {
                    Step::Need => break,
                    Step::Start(len) => {
                        assert!(cur.is_none());
                        cur = Some(Vec::with_capacity(len as usize));
                    }
                    Step::Body(b) => cur.as_mut().unwrap().extend_from_slice(b),
                    Step::End => out.push(cur.take().unwrap()),
                }
            }
            assert!(rest.is_empty());
        }
        // A zero-length frame ends without further input.
        if let Ok((0, Step::End)) = d.step(&[]) {
            out.push(cur.take().unwrap());
        }
        Ok(out)
    }

    // The direct request of PROTOCOL.md: "Hello" with request id 0x123.
    const HELLO: [u8; 17] = [
        0, 0, 0, 0, 0, 0, 0, 9, 0x80, 0, 1, 0x23, b'H', b'e', b'l', b'l', b'o',
    ];

    #[test]
    fn decodes_protocol_md_example() {
        let f = frames(1 << 20, &[&HELLO]).unwrap();
        assert_eq!(f, [[0x80, 0, 1, 0x23, b'H', b'e', b'l', b'l', b'o']]);
    }

    #[test]
    fn any_split_gives_the_same_frame() {
        for a in 0..=HELLO.len() {
            for b in a..=HELLO.len() {
                let f = frames(1 << 20, &[&HELLO[..a], &HELLO[a..b], &HELLO[b..]]).unwrap();
                assert_eq!(f.len(), 1, "split {a} {b}");
                assert_eq!(f[0], HELLO[8..]);
            }
        }
    }

    #[test]
    fn byte_at_a_time() {
        let chunks: Vec<&[u8]> = HELLO.chunks(1).collect();
        assert_eq!(frames(1 << 20, &chunks).unwrap()[0], HELLO[8..]);
    }

    #[test]
    fn merged_frames_and_empty_frames() {
        let mut s = Vec::new();
        for body in [&b"a"[..], b"", b"xyz", b""] {
            s.extend_from_slice(&encode_len(body.len() as u64));
            s.extend_from_slice(body);
        }
        s.extend_from_slice(&HELLO);
        let f = frames(1 << 20, &[&s]).unwrap();
        assert_eq!(f.len(), 5);
        assert_eq!(f[0], b"a");
        assert!(f[1].is_empty());
        assert_eq!(f[2], b"xyz");
        assert!(f[3].is_empty());
        assert_eq!(f[4], HELLO[8..]);
    }

    #[test]
    fn limit_is_inclusive() {
        let mut s = encode_len(4).to_vec();
        s.extend_from_slice(b"abcd");
        assert_eq!(frames(4, &[&s]).unwrap(), [b"abcd"]);
        assert_eq!(frames(3, &[&s]), Err(Error::TooLong { len: 4, max: 3 }));
    }

    #[test]
    fn refuses_huge_lengths_whatever_the_limit() {
        for len in [HARD_MAX, u64::MAX, 1 << 63] {
            let e = frames(u64::MAX, &[&encode_len(len)]);
            assert_eq!(e, Err(Error::TooLong { len, max: u64::MAX }));
        }
    }

    #[test]
    fn encode_len_is_big_endian() {
        assert_eq!(encode_len(9), [0, 0, 0, 0, 0, 0, 0, 9]);
        assert_eq!(encode_len(0x0102_0304_0506_0708), [1, 2, 3, 4, 5, 6, 7, 8]);
    }

    #[test]
    fn idle_only_between_frames() {
        let mut d = Deframer::new(100);
        assert!(d.is_idle());
        assert_eq!(d.step(&HELLO[..3]).unwrap(), (3, Step::Need));
        assert!(!d.is_idle());
    }
}
