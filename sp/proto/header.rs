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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::pattern::Pattern;

    #[test]
    fn encodes_req_header() {
        // REQ announces 0x30: 00 53 50 00 00 30 00 00.
        assert_eq!(encode(0x30), [0x00, 0x53, 0x50, 0x00, 0x00, 0x30, 0x00, 0x00]);
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
        assert_eq!(check(&req, Pattern::Req.peer_id()), Err(Error::WrongPeer(0x30)));
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
