// SPDX-License-Identifier: GPL-2.0

//! SP framing on a byte stream, one [`Framing`] per transport:
//!
//! - over TCP, an 8-byte big-endian length, then the body (NNG
//!   `src/sp/transport/tcp/tcp.c`, nanomsg `rfc/sp-tcp-mapping-01.txt`);
//! - over IPC, a type byte (1, a message), the same 8-byte length, then the
//!   body (NNG `src/sp/transport/ipc/ipc.c`, nanomsg
//!   `src/transports/ipc/sipc.c`). Neither library sends another type;
//!   NNG drops the connection on one, and so do we.
//!
//! [`Deframer`] turns a byte stream, cut anywhere by the transport, into
//! frame events without copying or allocating: the caller allocates when
//! it sees [`Step::Start`] and copies each [`Step::Body`] slice into place.

/// Length of the frame length prefix.
pub const LEN_PREFIX: usize = 8;

/// The longest prefix of any framing.
pub const PREFIX_MAX: usize = 9;

/// The IPC type byte of a message (NNG and nanomsg's
/// `NN_SIPC_MSG_NORMAL`).
pub const IPC_MSG: u8 = 1;

/// NNG 2.0 treats lengths of 2^60 and more as invalid; so do we, whatever
/// the configured limit.
pub const HARD_MAX: u64 = 1 << 60;

/// Encodes the length prefix of a `len`-byte frame.
pub const fn encode_len(len: u64) -> [u8; LEN_PREFIX] {
    len.to_be_bytes()
}

/// How a transport frames messages on its stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// The 8-byte length, then the body.
    Tcp,
    /// A type byte ([`IPC_MSG`]), the 8-byte length, then the body.
    Ipc,
}

impl Framing {
    /// Bytes before the body.
    pub const fn prefix_len(self) -> usize {
        match self {
            Framing::Tcp => LEN_PREFIX,
            Framing::Ipc => LEN_PREFIX + 1,
        }
    }

    /// The prefix of a `len`-byte frame: its first
    /// [`Framing::prefix_len`] bytes.
    pub const fn prefix(self, len: u64) -> [u8; PREFIX_MAX] {
        let l = encode_len(len);
        let mut p = [0u8; PREFIX_MAX];
        let at = self.prefix_len() - LEN_PREFIX;
        if at == 1 {
            p[0] = IPC_MSG;
        }
        let mut i = 0;
        while i < LEN_PREFIX {
            p[at + i] = l[i];
            i += 1;
        }
        p
    }
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
    /// An IPC frame of a type other than [`IPC_MSG`].
    BadType(u8),
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
    Prefix { buf: [u8; PREFIX_MAX], have: usize },
    Body { left: u64 },
}

/// Incremental decoder of length-prefixed frames.
///
/// # Invariants
///
/// In `State::Prefix`, `have < framing.prefix_len()`. In `State::Body`,
/// `left` is at most the length announced by the frame's prefix.
#[derive(Clone, Debug)]
pub struct Deframer {
    framing: Framing,
    max: u64,
    state: State,
}

impl Deframer {
    /// A deframer of `framing` that refuses frames longer than `max`
    /// bytes.
    pub const fn new(framing: Framing, max: u64) -> Self {
        // INVARIANT: `have` starts at zero.
        Deframer {
            framing,
            max,
            state: State::Prefix {
                buf: [0; PREFIX_MAX],
                have: 0,
            },
        }
    }

    /// The framing decoded.
    pub fn framing(&self) -> Framing {
        self.framing
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
                let want = self.framing.prefix_len();
                let n = (want - *have).min(input.len());
                if n == 0 {
                    return Ok((0, Step::Need));
                }
                buf[*have..*have + n].copy_from_slice(&input[..n]);
                *have += n;
                // The type byte is checked as soon as it is in.
                let at = want - LEN_PREFIX;
                if at == 1 && buf[0] != IPC_MSG {
                    return Err(Error::BadType(buf[0]));
                }
                if *have < want {
                    return Ok((n, Step::Need));
                }
                let mut l = [0u8; LEN_PREFIX];
                l.copy_from_slice(&buf[at..want]);
                let len = u64::from_be_bytes(l);
                let max = self.max.min(HARD_MAX - 1);
                if len > max {
                    return Err(Error::TooLong { len, max: self.max });
                }
                self.state = State::Body { left: len };
                Ok((n, Step::Start(len)))
            }
            State::Body { left: 0 } => {
                *self = Deframer::new(self.framing, self.max);
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
        let mut d = Deframer::new(Framing::Tcp, 100);
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
        frames_of(Framing::Tcp, max, chunks)
    }

    fn frames_of(f: Framing, max: u64, chunks: &[&[u8]]) -> Result<Vec<Vec<u8>>, Error> {
        let mut d = Deframer::new(f, max);
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
        let mut d = Deframer::new(Framing::Tcp, 100);
        assert!(d.is_idle());
        assert_eq!(d.step(&HELLO[..3]).unwrap(), (3, Step::Need));
        assert!(!d.is_idle());
    }

    /// The IPC request of NNG's ipc.c: type 1, then the TCP frame.
    fn ipc_hello() -> Vec<u8> {
        let mut v = std::vec![IPC_MSG];
        v.extend_from_slice(&HELLO);
        v
    }

    #[test]
    fn ipc_frames_split_anywhere() {
        let s = ipc_hello();
        for a in 0..=s.len() {
            for b in a..=s.len() {
                let f = frames_of(Framing::Ipc, 1 << 20, &[&s[..a], &s[a..b], &s[b..]]).unwrap();
                assert_eq!(f.len(), 1, "split {a} {b}");
                assert_eq!(f[0], HELLO[8..]);
            }
        }
    }

    #[test]
    fn ipc_refuses_other_types() {
        for t in [0u8, 2, 0x80, 0xff] {
            let mut s = ipc_hello();
            s[0] = t;
            assert_eq!(
                frames_of(Framing::Ipc, 1 << 20, &[&s]),
                Err(Error::BadType(t))
            );
        }
        // The type is checked as soon as it arrives, one byte at a time
        // too, and only at a frame's start: a body byte 2 is data.
        let mut s = ipc_hello();
        s.extend_from_slice(&Framing::Ipc.prefix(1));
        s.push(2);
        s.push(9);
        let chunks: Vec<&[u8]> = s.chunks(1).collect();
        assert_eq!(
            frames_of(Framing::Ipc, 1 << 20, &chunks),
            Err(Error::BadType(9)),
            "the byte after a 1-byte body is the next type"
        );
    }

    #[test]
    fn ipc_limits_as_tcp() {
        let mut s = Framing::Ipc.prefix(4)[..9].to_vec();
        s.extend_from_slice(b"abcd");
        assert_eq!(frames_of(Framing::Ipc, 4, &[&s]).unwrap(), [b"abcd"]);
        assert_eq!(
            frames_of(Framing::Ipc, 3, &[&s]),
            Err(Error::TooLong { len: 4, max: 3 })
        );
        let huge = Framing::Ipc.prefix(u64::MAX);
        assert_eq!(
            frames_of(Framing::Ipc, u64::MAX, &[&huge[..9]]),
            Err(Error::TooLong {
                len: u64::MAX,
                max: u64::MAX
            })
        );
    }

    #[test]
    fn prefixes() {
        assert_eq!(Framing::Tcp.prefix_len(), 8);
        assert_eq!(Framing::Ipc.prefix_len(), 9);
        assert_eq!(Framing::Tcp.prefix(9)[..8], encode_len(9));
        assert_eq!(Framing::Ipc.prefix(9), [1, 0, 0, 0, 0, 0, 0, 0, 9]);
    }
}
