// SPDX-License-Identifier: GPL-2.0

//! The socket addresses sp's endpoints take: `sockaddr_in`,
//! `sockaddr_in6` and `sockaddr_un`.

use kernel::bindings;
use kernel::ffi::c_int;
use kernel::prelude::*;

// CAST: address families fit in the 16 bits of `sa_family_t`.
pub(crate) const AF_INET: u16 = bindings::AF_INET as u16;
pub(crate) const AF_INET6: u16 = bindings::AF_INET6 as u16;
pub(crate) const AF_UNIX: u16 = bindings::AF_UNIX as u16;

const SOCKADDR_IN_LEN: usize = core::mem::size_of::<bindings::sockaddr_in>();
const SOCKADDR_IN6_LEN: usize = core::mem::size_of::<bindings::sockaddr_in6>();
/// `sizeof(struct sockaddr_un)`: the family and 108 bytes of `sun_path`.
const SOCKADDR_UN_LEN: usize = 110;

/// An IPv4, IPv6 or Unix-domain socket address.
///
/// # Invariants
///
/// `buf[..len]` holds a `sockaddr_in` (`len == 16`), a `sockaddr_in6`
/// (`len == 28`) or a `sockaddr_un` (`2 <= len <= 111`) whose family field
/// matches. A Unix path name is followed by its NUL, counted in `len`;
/// the bytes from `len` on are zero (`unix_mkname_bsd()` writes a NUL at
/// `len`).
#[derive(Clone, Copy)]
pub(crate) struct SockAddr {
    buf: [u8; SOCKADDR_UN_LEN + 2],
    len: usize,
}

impl SockAddr {
    /// Parses a user address of `raw.len()` bytes.
    ///
    /// A length too short (or, for `AF_UNIX`, too long) for its family
    /// gives `EINVAL`; a family other than `AF_INET`/`AF_INET6`/`AF_UNIX`
    /// gives `EAFNOSUPPORT`. A Unix path name ends at its first NUL, as
    /// `unix_mkname_bsd()` reads it; an abstract name (`sun_path[0] == 0`)
    /// is every byte of `raw`.
    pub(crate) fn parse(raw: &[u8]) -> Result<SockAddr> {
        let fam = match raw.get(..2) {
            Some(&[a, b]) => u16::from_ne_bytes([a, b]),
            _ => return Err(EINVAL),
        };
        let (need, len) = match fam {
            AF_INET => (SOCKADDR_IN_LEN, SOCKADDR_IN_LEN),
            // RFC 2133's 24-byte form lacks the scope id; take it as inet6 does.
            AF_INET6 if raw.len() >= 24 => (raw.len().min(SOCKADDR_IN6_LEN), SOCKADDR_IN6_LEN),
            AF_INET6 => return Err(EINVAL),
            AF_UNIX if raw.len() > SOCKADDR_UN_LEN => return Err(EINVAL),
            AF_UNIX => {
                let path = &raw[2..];
                match path.first() {
                    Some(0) | None => (raw.len(), raw.len()),
                    // The length `unix_mkname_bsd()` gives it, and
                    // `getsockname()` reports: the NUL counts.
                    Some(_) => {
                        let n = path.iter().position(|&b| b == 0).unwrap_or(path.len());
                        (2 + n, 2 + n + 1)
                    }
                }
            }
            _ => return Err(EAFNOSUPPORT),
        };
        if raw.len() < need {
            return Err(EINVAL);
        }
        let mut buf = [0u8; SOCKADDR_UN_LEN + 2];
        buf[..need].copy_from_slice(&raw[..need]);
        // INVARIANT: the family was checked and the length set to match.
        Ok(SockAddr { buf, len })
    }

    /// The address family.
    pub(crate) fn family(&self) -> u16 {
        u16::from_ne_bytes([self.buf[0], self.buf[1]])
    }

    /// Whether this is a `sockaddr_un`.
    pub(crate) fn is_unix(&self) -> bool {
        self.family() == AF_UNIX
    }

    /// A Unix address's name: a path (without its NUL), or an abstract
    /// name with its leading NUL; empty for an unnamed socket, and for
    /// other families.
    pub(crate) fn unix_name(&self) -> &[u8] {
        if !self.is_unix() {
            return &[];
        }
        match self.buf[2] {
            0 => &self.buf[2..self.len],
            _ => &self.buf[2..self.len - 1],
        }
    }

    /// Whether this is a Unix path name (which names a file).
    pub(crate) fn is_unix_path(&self) -> bool {
        self.unix_name().first().is_some_and(|&b| b != 0)
    }

    /// The IP address without the port: IPv4 in the first 4 bytes, the
    /// rest zero; IPv6 in all 16; all zero for a Unix address.
    pub(crate) fn ip_bytes(&self) -> [u8; 16] {
        let mut ip = [0u8; 16];
        match self.family() {
            AF_INET => ip[..4].copy_from_slice(&self.buf[4..8]),
            AF_INET6 => ip.copy_from_slice(&self.buf[8..24]),
            _ => {}
        }
        ip
    }

    /// Whether this is a `sockaddr_in6`.
    pub(crate) fn is_v6(&self) -> bool {
        self.family() == AF_INET6
    }

    /// The port, in host order (0 for a Unix address).
    pub(crate) fn port(&self) -> u16 {
        if self.is_unix() {
            return 0;
        }
        u16::from_be_bytes([self.buf[2], self.buf[3]])
    }

    /// The IPv6 scope id (0 for other families).
    pub(crate) fn scope_id(&self) -> u32 {
        let b = &self.buf;
        if self.is_v6() {
            u32::from_ne_bytes([b[24], b[25], b[26], b[27]])
        } else {
            0
        }
    }

    /// The raw bytes (a `sockaddr_in`, `sockaddr_in6` or `sockaddr_un`).
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// The address as the kernel's `bind`/`connect` take it: mutable,
    /// since `unix_mkname_bsd()` writes a NUL after a path name, at `len`
    /// (inside `buf`, and already 0 by the invariant).
    pub(super) fn as_raw(&mut self) -> (*mut bindings::sockaddr_unsized, c_int) {
        // CAST: `len` is at most 111.
        (self.buf.as_mut_ptr().cast(), self.len as c_int)
    }
}
