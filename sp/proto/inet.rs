// SPDX-License-Identifier: GPL-2.0

//! Text forms of socket addresses, for `/proc/net/sp` and fdinfo: IPv4 as
//! `a.b.c.d:port`, IPv6 as `[addr]:port` in the RFC 5952 form the kernel's
//! `%pI6c` prints (the longest run of two or more zero groups, the first
//! of equal runs, as `::`; lowercase hex without leading zeros), with
//! `%scope` when the scope id is not 0, and a v4-mapped address as
//! `::ffff:a.b.c.d`. A Unix name is `ipc://` and its path, or
//! `abstract://` and its abstract name (as NNG's URLs spell them), with
//! bytes outside printable ASCII, space and `\` as `\xNN` (one field
//! of a `/proc` line).

use core::fmt;

/// An address to print: IPv4 in the first 4 bytes of `ip`, or IPv6.
pub struct Inet {
    /// Whether `ip` is IPv6.
    pub v6: bool,
    /// The address; IPv4 uses the first four bytes.
    pub ip: [u8; 16],
    /// The port, in host order.
    pub port: u16,
    /// The IPv6 scope id.
    pub scope: u32,
}

impl fmt::Display for Inet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ip = &self.ip;
        if !self.v6 {
            return write!(f, "{}.{}.{}.{}:{}", ip[0], ip[1], ip[2], ip[3], self.port);
        }
        if ip[..10] == [0; 10] && ip[10..12] == [0xff, 0xff] {
            let (a, b, c, d) = (ip[12], ip[13], ip[14], ip[15]);
            return write!(f, "[::ffff:{a}.{b}.{c}.{d}]:{}", self.port);
        }
        let g = |i: usize| u16::from_be_bytes([ip[2 * i], ip[2 * i + 1]]);
        // The longest run of zero groups, at least two long.
        let (mut best, mut best_len, mut i) = (8, 1, 0);
        while i < 8 {
            let start = i;
            while i < 8 && g(i) == 0 {
                i += 1;
            }
            if i - start > best_len {
                (best, best_len) = (start, i - start);
            }
            i += 1;
        }
        f.write_str("[")?;
        let mut i = 0;
        while i < 8 {
            if i == best {
                f.write_str(if i == 0 { "::" } else { ":" })?;
                i += best_len;
                continue;
            }
            write!(f, "{:x}", g(i))?;
            if i < 7 {
                f.write_str(":")?;
            }
            i += 1;
        }
        if self.scope != 0 {
            write!(f, "%{}", self.scope)?;
        }
        write!(f, "]:{}", self.port)
    }
}

/// A Unix socket name to print: a path, or an abstract name with its
/// leading NUL; empty for an unnamed socket (printed as `ipc://`).
pub struct UnixName<'a>(pub &'a [u8]);

impl fmt::Display for UnixName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self.0.split_first() {
            Some((0, rest)) => {
                f.write_str("abstract://")?;
                rest
            }
            _ => {
                f.write_str("ipc://")?;
                self.0
            }
        };
        for &b in name {
            if (0x21..0x7f).contains(&b) && b != b'\\' {
                write!(f, "{}", char::from(b))?;
            } else {
                write!(f, "\\x{b:02x}")?;
            }
        }
        Ok(())
    }
}

/// Most addresses an `SP_SCTP_ADDRS` array holds.
pub const PACKED_MAX: usize = 8;

/// Splits a packed array of `sockaddr_in` (16 bytes, family 2) and
/// `sockaddr_in6` (28 bytes, family 10), each read by its native-endian
/// family as `sctp_bindx()` reads them, into the byte ranges of its
/// addresses. `None` for a truncated address, another family, or more
/// than [`PACKED_MAX`].
pub fn split_packed(buf: &[u8]) -> Option<([(usize, usize); PACKED_MAX], usize)> {
    let mut out = [(0, 0); PACKED_MAX];
    let (mut off, mut n) = (0, 0);
    while off < buf.len() {
        let fam = u16::from_ne_bytes([buf[off], *buf.get(off + 1)?]);
        let len = match fam {
            2 => 16,
            10 => 28,
            _ => return None,
        };
        if buf.len() - off < len || n == PACKED_MAX {
            return None;
        }
        out[n] = (off, off + len);
        n += 1;
        off += len;
    }
    Some((out, n))
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::format;
    use std::vec::Vec;

    fn addr(fam: u16, len: usize) -> Vec<u8> {
        let mut v = std::vec![0xaa; len];
        v[..2].copy_from_slice(&fam.to_ne_bytes());
        v
    }

    #[test]
    fn packed_arrays_split_by_family() {
        let mut b = addr(2, 16);
        b.extend(addr(10, 28));
        b.extend(addr(2, 16));
        let (r, n) = split_packed(&b).unwrap();
        assert_eq!(&r[..n], &[(0, 16), (16, 44), (44, 60)]);
        assert_eq!(split_packed(&[]).unwrap().1, 0);
        let eight: Vec<u8> = (0..8).flat_map(|_| addr(10, 28)).collect();
        assert_eq!(split_packed(&eight).unwrap().1, 8);
    }

    #[test]
    fn bad_packed_arrays_are_refused() {
        // Truncated: in the family, in the address.
        assert!(split_packed(&[2]).is_none());
        assert!(split_packed(&addr(2, 15)).is_none());
        let mut b = addr(2, 16);
        b.extend(&addr(10, 28)[..27]);
        assert!(split_packed(&b).is_none());
        // A family other than inet/inet6 (AF_UNIX, 0).
        assert!(split_packed(&addr(1, 110)).is_none());
        assert!(split_packed(&addr(0, 16)).is_none());
        // More than eight.
        let nine: Vec<u8> = (0..9).flat_map(|_| addr(2, 16)).collect();
        assert!(split_packed(&nine).is_none());
    }

    fn v6(groups: [u16; 8], port: u16, scope: u32) -> std::string::String {
        let mut ip = [0u8; 16];
        for (i, g) in groups.iter().enumerate() {
            ip[2 * i..2 * i + 2].copy_from_slice(&g.to_be_bytes());
        }
        format!(
            "{}",
            Inet {
                v6: true,
                ip,
                port,
                scope
            }
        )
    }

    #[test]
    fn v4() {
        let mut ip = [0u8; 16];
        ip[..4].copy_from_slice(&[127, 0, 0, 1]);
        let a = Inet {
            v6: false,
            ip,
            port: 5555,
            scope: 0,
        };
        assert_eq!(format!("{a}"), "127.0.0.1:5555");
    }

    #[test]
    fn unix_names() {
        assert_eq!(format!("{}", UnixName(b"/tmp/a.sock")), "ipc:///tmp/a.sock");
        assert_eq!(format!("{}", UnixName(b"rel")), "ipc://rel");
        assert_eq!(format!("{}", UnixName(b"\0srv")), "abstract://srv");
        assert_eq!(
            format!("{}", UnixName(b"\0a\0b\n")),
            "abstract://a\\x00b\\x0a"
        );
        assert_eq!(format!("{}", UnixName(b"/a\\b")), "ipc:///a\\x5cb");
        assert_eq!(format!("{}", UnixName(b"")), "ipc://");
        assert_eq!(format!("{}", UnixName(b"/a b")), "ipc:///a\\x20b");
    }

    #[test]
    fn v6_forms() {
        assert_eq!(v6([0, 0, 0, 0, 0, 0, 0, 1], 80, 0), "[::1]:80");
        assert_eq!(v6([0; 8], 0, 0), "[::]:0");
        assert_eq!(v6([0xfe80, 0, 0, 0, 0, 0, 0, 1], 1, 2), "[fe80::1%2]:1");
        assert_eq!(
            v6([0x2001, 0xdb8, 0, 0, 1, 0, 0, 1], 9, 0),
            "[2001:db8::1:0:0:1]:9"
        );
        assert_eq!(
            v6([0, 0, 0, 0, 0, 0xffff, 0x7f00, 1], 7, 0),
            "[::ffff:127.0.0.1]:7"
        );
        assert_eq!(v6([1, 0, 0, 2, 0, 0, 3, 4], 1, 0), "[1::2:0:0:3:4]:1");
        // A single zero group is not shortened.
        assert_eq!(v6([1, 0, 2, 3, 4, 5, 6, 7], 1, 0), "[1:0:2:3:4:5:6:7]:1");
        assert_eq!(v6([1, 2, 3, 4, 5, 6, 0, 0], 1, 0), "[1:2:3:4:5:6::]:1");
    }
}
