// SPDX-License-Identifier: GPL-2.0

//! Raw mode (`SP_RAW`): the SP header beside the body.
//!
//! A raw socket passes each message's header in a `SOL_SP`/`SP_HDR`
//! control message. This module finds that control message in the kernel
//! copy of a `sendmsg()`'s `msg_control`, walking it as
//! `for_each_cmsghdr()` and `CMSG_OK()` do, and checks the header a raw
//! send carries: whole words, and a pipe id where the pattern routes by
//! one (REP, RESPONDENT, BUS), as NNG's `xrep0`, `xrespondent0` and
//! `xbus0` do.

use crate::proto::reqrep::WORD;

/// Why a control buffer or a header was refused (`EINVAL` for all).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// A `cmsg_len` shorter than its header or past the buffer.
    Malformed,
    /// A control message of another level or type, or a second `SP_HDR`.
    Foreign,
    /// A header that is not whole words, too long, or lacks a pipe id.
    BadHeader,
}

/// Bytes of `struct cmsghdr`: `cmsg_len` (a `size_t`), level and type.
const CMSG_HDR: usize = align(core::mem::size_of::<usize>() + 8);

/// The longest header a raw send takes: a pipe id and 255 hops.
pub const HDR_MAX: usize = WORD * 256;

/// `CMSG_ALIGN()`: control messages are aligned to a `long`.
const fn align(n: usize) -> usize {
    let a = core::mem::size_of::<usize>();
    (n + a - 1) & !(a - 1)
}

/// The data of the one control message of `buf`, which must be at
/// `level`/`ty`; `Ok(None)` for an empty buffer.
pub fn find_only(buf: &[u8], level: i32, ty: i32) -> Result<Option<&[u8]>, Error> {
    let mut found = None;
    let mut at = 0;
    // As `for_each_cmsghdr()`: stop when no whole header is left.
    while buf.len() - at >= CMSG_HDR {
        let h = &buf[at..at + CMSG_HDR];
        let (len, rest) = h.split_at(core::mem::size_of::<usize>());
        let len = usize::from_ne_bytes(len.try_into().map_err(|_| Error::Malformed)?);
        let lvl = i32::from_ne_bytes([rest[0], rest[1], rest[2], rest[3]]);
        let t = i32::from_ne_bytes([rest[4], rest[5], rest[6], rest[7]]);
        // `CMSG_OK()`.
        if len < CMSG_HDR || len > buf.len() - at {
            return Err(Error::Malformed);
        }
        if lvl != level || t != ty || found.is_some() {
            return Err(Error::Foreign);
        }
        found = Some(&buf[at + CMSG_HDR..at + len]);
        at += align(len).min(buf.len() - at);
    }
    Ok(found)
}

/// Checks a header a raw send carries: whole words and at most
/// [`HDR_MAX`] bytes, and (when `routed`) at least the pipe id. Returns
/// the pipe id, if routed, and the words that go on the wire.
pub fn split_send(hdr: &[u8], routed: bool) -> Result<(Option<u32>, &[u8]), Error> {
    if hdr.len() % WORD != 0 || hdr.len() > HDR_MAX {
        return Err(Error::BadHeader);
    }
    if !routed {
        return Ok((None, hdr));
    }
    match hdr {
        [a, b, c, d, rest @ ..] => Ok((Some(u32::from_be_bytes([*a, *b, *c, *d])), rest)),
        _ => Err(Error::BadHeader),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    fn cmsg(level: i32, ty: i32, data: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&(CMSG_HDR + data.len()).to_ne_bytes());
        v.extend_from_slice(&level.to_ne_bytes());
        v.extend_from_slice(&ty.to_ne_bytes());
        v.extend_from_slice(data);
        while v.len() % core::mem::size_of::<usize>() != 0 {
            v.push(0);
        }
        v
    }

    #[test]
    fn finds_the_header() {
        let b = cmsg(288, 1, &[0, 0, 0, 7, 0x80, 0, 0, 1]);
        assert_eq!(
            find_only(&b, 288, 1),
            Ok(Some(&[0, 0, 0, 7, 0x80, 0, 0, 1][..]))
        );
        assert_eq!(find_only(&[], 288, 1), Ok(None));
        // An empty header is a header.
        assert_eq!(find_only(&cmsg(288, 1, &[]), 288, 1), Ok(Some(&[][..])));
        // Unaligned data: the buffer's padding is not part of it.
        let b = cmsg(288, 1, &[1, 2, 3]);
        assert_eq!(find_only(&b, 288, 1), Ok(Some(&[1, 2, 3][..])));
    }

    #[test]
    fn refuses_others_and_garbage() {
        assert_eq!(find_only(&cmsg(1, 1, &[0; 4]), 288, 1), Err(Error::Foreign));
        assert_eq!(
            find_only(&cmsg(288, 2, &[0; 4]), 288, 1),
            Err(Error::Foreign)
        );
        let mut two = cmsg(288, 1, &[0; 4]);
        two.extend(cmsg(288, 1, &[0; 4]));
        assert_eq!(find_only(&two, 288, 1), Err(Error::Foreign));
        let mut b = cmsg(288, 1, &[0; 4]);
        b[0] = 3; // cmsg_len shorter than the header
        assert_eq!(find_only(&b, 288, 1), Err(Error::Malformed));
        let mut b = cmsg(288, 1, &[0; 4]);
        b[0] = 200; // past the buffer
        assert_eq!(find_only(&b, 288, 1), Err(Error::Malformed));
        // A tail shorter than a header is ignored, as the kernel does.
        let mut b = cmsg(288, 1, &[0; 4]);
        b.extend_from_slice(&[0; 4]);
        assert_eq!(find_only(&b, 288, 1), Ok(Some(&[0; 4][..])));
    }

    #[test]
    fn send_headers() {
        assert_eq!(split_send(&[], false), Ok((None, &[][..])));
        assert_eq!(
            split_send(&[0x80, 0, 0, 1], false),
            Ok((None, &[0x80, 0, 0, 1][..]))
        );
        assert_eq!(
            split_send(&[0, 0, 0, 9, 0x80, 0, 0, 1], true),
            Ok((Some(9), &[0x80, 0, 0, 1][..]))
        );
        assert_eq!(split_send(&[], true), Err(Error::BadHeader));
        assert_eq!(split_send(&[0, 0, 9], false), Err(Error::BadHeader));
        assert_eq!(split_send(&[0; HDR_MAX + 4], false), Err(Error::BadHeader));
        assert!(split_send(&[0; HDR_MAX], true).is_ok());
    }
}
