// SPDX-License-Identifier: GPL-2.0

//! The 8-byte SP connection header.
//!
//! Right after TCP connects, each side sends `00 'S' 'P' 00`, its own
//! protocol id as a big-endian `u16`, and two reserved zero bytes. A side
//! checks the peer's header before it sends or accepts any message (NNG
//! `src/sp/transport/tcp/tcp.c`, `tcptran_pipe_nego_cb`).

/// Length of the connection header.
pub const LEN: usize = 8;

const MAGIC: [u8; 4] = [0x00, b'S', b'P', 0x00];

/// Why a peer's header was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// Bytes 0..4 are not `"\0SP\0"`.
    BadMagic,
    /// Bytes 6..8 are not zero (NNG checks them too).
    Reserved,
    /// The peer speaks a protocol that is not our peer's.
    WrongPeer(u16),
}

/// Encodes the header that announces protocol `proto`.
pub const fn encode(proto: u16) -> [u8; LEN] {
    let id = proto.to_be_bytes();
    [MAGIC[0], MAGIC[1], MAGIC[2], MAGIC[3], id[0], id[1], 0, 0]
}

/// Checks a received header against the protocol id we accept.
///
/// Returns the peer's protocol id.
pub fn check(hdr: &[u8; LEN], expected_peer: u16) -> Result<u16, Error> {
    if hdr[..4] != MAGIC {
        return Err(Error::BadMagic);
    }
    if hdr[6] != 0 || hdr[7] != 0 {
        return Err(Error::Reserved);
    }
    let id = u16::from_be_bytes([hdr[4], hdr[5]]);
    if id != expected_peer {
        return Err(Error::WrongPeer(id));
    }
    Ok(id)
}

/// The header exchange of one connection, as a state machine: both sides
/// send their header, and nothing else happens until the peer's arrived
/// and checked out.
///
/// # Invariants
///
/// `sent <= LEN` and `got <= LEN`.
#[derive(Clone, Debug)]
pub struct Handshake {
    ours: [u8; LEN],
    expected_peer: u16,
    sent: usize,
    theirs: [u8; LEN],
    got: usize,
}

impl Handshake {
    /// A handshake that announces `ours` and accepts `expected_peer`.
    pub const fn new(ours: u16, expected_peer: u16) -> Self {
        Handshake {
            ours: encode(ours),
            expected_peer,
            sent: 0,
            theirs: [0; LEN],
            got: 0,
        }
    }

    /// The bytes of our header still to send.
    pub fn to_send(&self) -> &[u8] {
        &self.ours[self.sent..]
    }

    /// Records that `n` bytes of [`Handshake::to_send`] went out.
    pub fn sent(&mut self, n: usize) {
        // INVARIANT: clamped to the header length.
        self.sent = (self.sent + n).min(LEN);
    }

    /// Where the next bytes of the peer's header go.
    pub fn recv_buf(&mut self) -> &mut [u8] {
        &mut self.theirs[self.got..]
    }

    /// Records that `n` bytes were written into [`Handshake::recv_buf`].
    ///
    /// Checks the header as soon as it is complete, so that garbage is
    /// refused without waiting for our own header to drain.
    pub fn received(&mut self, n: usize) -> Result<(), Error> {
        // INVARIANT: clamped to the header length.
        self.got = (self.got + n).min(LEN);
        if self.got == LEN {
            check(&self.theirs, self.expected_peer)?;
        } else if self.theirs[..self.got.min(4)] != MAGIC[..self.got.min(4)] {
            // Refuse a wrong magic before the header is complete.
            return Err(Error::BadMagic);
        }
        Ok(())
    }

    /// Whether both headers are through and the peer's was accepted.
    pub fn is_done(&self) -> bool {
        self.sent == LEN && self.got == LEN && check(&self.theirs, self.expected_peer).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::pattern::Pattern;

    #[test]
    fn encodes_req_header() {
        // REQ announces 0x30: 00 53 50 00 00 30 00 00.
        assert_eq!(
            encode(0x30),
            [0x00, 0x53, 0x50, 0x00, 0x00, 0x30, 0x00, 0x00]
        );
        assert_eq!(encode(0x0102)[4..6], [0x01, 0x02]);
    }

    #[test]
    fn accepts_the_right_peer() {
        for p in Pattern::ALL {
            let theirs = encode(p.peer_id());
            assert_eq!(check(&theirs, p.peer_id()), Ok(p.peer_id()));
        }
    }

    #[test]
    fn refuses_wrong_peer() {
        // A REQ must not accept another REQ.
        let req = encode(Pattern::Req.proto_id());
        assert_eq!(
            check(&req, Pattern::Req.peer_id()),
            Err(Error::WrongPeer(0x30))
        );
    }

    #[test]
    fn refuses_bad_magic_in_every_byte() {
        for i in 0..4 {
            let mut h = encode(0x31);
            h[i] ^= 0xff;
            assert_eq!(check(&h, 0x31), Err(Error::BadMagic), "byte {i}");
        }
        assert_eq!(check(b"GET / HT", 0x31), Err(Error::BadMagic));
    }

    #[test]
    fn refuses_nonzero_reserved() {
        for i in 6..8 {
            let mut h = encode(0x31);
            h[i] = 1;
            assert_eq!(check(&h, 0x31), Err(Error::Reserved), "byte {i}");
        }
    }
}

#[cfg(test)]
mod handshake_tests {
    use super::*;

    #[test]
    fn completes_in_any_order() {
        let mut h = Handshake::new(0x10, 0x10);
        assert_eq!(h.to_send(), encode(0x10));
        h.sent(3);
        assert_eq!(h.to_send(), &encode(0x10)[3..]);
        let peer = encode(0x10);
        h.recv_buf()[..5].copy_from_slice(&peer[..5]);
        h.received(5).unwrap();
        assert!(!h.is_done());
        h.recv_buf().copy_from_slice(&peer[5..]);
        h.received(3).unwrap();
        assert!(!h.is_done(), "ours is not out yet");
        h.sent(5);
        assert!(h.is_done());
        assert!(h.to_send().is_empty());
    }

    #[test]
    fn refuses_bad_magic_early() {
        let mut h = Handshake::new(0x30, 0x31);
        h.recv_buf()[..2].copy_from_slice(b"GE");
        assert_eq!(h.received(2), Err(Error::BadMagic));
    }

    #[test]
    fn refuses_wrong_peer_and_reserved() {
        let mut h = Handshake::new(0x30, 0x31);
        h.recv_buf().copy_from_slice(&encode(0x30));
        assert_eq!(h.received(LEN), Err(Error::WrongPeer(0x30)));
        let mut h = Handshake::new(0x30, 0x31);
        let mut bad = encode(0x31);
        bad[6] = 9;
        h.recv_buf().copy_from_slice(&bad);
        assert_eq!(h.received(LEN), Err(Error::Reserved));
        assert!(!h.is_done());
    }

    #[test]
    fn byte_at_a_time() {
        let mut h = Handshake::new(0x21, 0x20);
        let peer = encode(0x20);
        for b in peer {
            h.recv_buf()[0] = b;
            h.received(1).unwrap();
        }
        for _ in 0..LEN {
            h.sent(1);
        }
        assert!(h.is_done());
    }
}
