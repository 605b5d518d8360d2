// SPDX-License-Identifier: GPL-2.0

//! `SOL_SP` socket options: defaults, ranges and which patterns take them.

use crate::proto::pattern::Pattern;
use crate::proto::uapi::opt;

/// Why an option call was refused; each maps to one errno.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// Unknown option, or one that does not apply to this pattern
    /// (`ENOPROTOOPT`).
    NoProtoOpt,
    /// Value out of range or buffer too short (`EINVAL`).
    Invalid,
    /// Not an option of this table: the socket handles it itself
    /// (`SP_SUBSCRIBE`, `SP_UNSUBSCRIBE`, reading `SP_STATS`); the errno if
    /// it does not (`EOPNOTSUPP`).
    NotSupported,
}

/// Largest `SP_RCVMAXSIZE`: 1 GiB.
pub const RCVMAXSIZE_MAX: u32 = 1 << 30;
/// Largest interval option, in milliseconds: one hour.
pub const IVL_MAX: u32 = 3_600_000;
/// Largest `SP_SNDBUF`/`SP_RCVBUF`, in messages.
pub const QUEUE_MAX: u32 = 8192;
/// Largest `SP_MAXTTL` of REQ and REP.
pub const TTL_MAX: u32 = 255;
/// Largest `SP_MAXTTL` of SURVEYOR and RESPONDENT: NNG's `NNI_MAX_MAX_TTL`.
pub const SURVEY_TTL_MAX: u32 = 15;
/// Largest `SP_MAXPIPES`.
pub const PIPES_MAX: u32 = 65536;
/// Largest `SP_MAXENDPOINTS`.
pub const ENDPOINTS_MAX: u32 = 4096;

/// The option values of one socket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// `SP_RCVMAXSIZE`, bytes; 0 means no limit but the 1 GiB cap, as in
    /// NNG (see [`Options::frame_max`]).
    pub rcvmaxsize: u32,
    /// `SP_RECONNECT_IVL`, milliseconds.
    pub reconnect_ivl: u32,
    /// `SP_RECONNECT_IVL_MAX`, milliseconds; 0 disables backoff.
    pub reconnect_ivl_max: u32,
    /// `SP_HANDSHAKE_TIMEOUT`, milliseconds.
    pub handshake_timeout: u32,
    /// `SP_RESEND_IVL`, milliseconds (REQ).
    pub resend_ivl: u32,
    /// `SP_MAXTTL`, hops (REQ, REP, SURVEYOR, RESPONDENT).
    pub maxttl: u32,
    /// `SP_SNDBUF`, messages.
    pub sndbuf: u32,
    /// `SP_RCVBUF`, messages.
    pub rcvbuf: u32,
    /// `SP_TCP_NODELAY`.
    pub tcp_nodelay: bool,
    /// `SP_CONNECT_TIMEOUT`, milliseconds.
    pub connect_timeout: u32,
    /// `SP_MAXPIPES`, connections.
    pub maxpipes: u32,
    /// `SP_MAXENDPOINTS`, listeners plus dialers.
    pub maxendpoints: u32,
    /// `SP_SURVEYOR_DEADLINE`, milliseconds (SURVEYOR).
    pub surveyor_deadline: u32,
    /// `IPV6_V6ONLY` (level `IPPROTO_IPV6`) for the socket's IPv6 TCP
    /// sockets; `None` leaves them the namespace's `bindv6only`.
    pub v6only: Option<bool>,
    /// `SO_PASSCRED` (level `SOL_SOCKET`): messages received from an IPC
    /// peer from now on carry its credentials (`SCM_CREDENTIALS`).
    pub passcred: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self::new()
    }
}

/// How one integer option is stored and checked.
struct IntOpt {
    min: u32,
    max: u32,
    applies: fn(Pattern) -> bool,
    field: fn(&mut Options) -> &mut u32,
}

fn all(_: Pattern) -> bool {
    true
}

fn int_opt(name: i32) -> Option<IntOpt> {
    let o = |min, max, applies, field| {
        Some(IntOpt {
            min,
            max,
            applies,
            field,
        })
    };
    match name {
        opt::RCVMAXSIZE => o(0, RCVMAXSIZE_MAX, all, |s| &mut s.rcvmaxsize),
        opt::RECONNECT_IVL => o(1, IVL_MAX, all, |s| &mut s.reconnect_ivl),
        opt::RECONNECT_IVL_MAX => o(0, IVL_MAX, all, |s| &mut s.reconnect_ivl_max),
        opt::HANDSHAKE_TIMEOUT => o(1, IVL_MAX, all, |s| &mut s.handshake_timeout),
        opt::RESEND_IVL => o(1, IVL_MAX, |p| p == Pattern::Req, |s| &mut s.resend_ivl),
        opt::MAXTTL => o(
            1,
            TTL_MAX,
            |p| {
                matches!(
                    p,
                    Pattern::Req | Pattern::Rep | Pattern::Surveyor | Pattern::Respondent
                )
            },
            |s| &mut s.maxttl,
        ),
        opt::SNDBUF => o(1, QUEUE_MAX, all, |s| &mut s.sndbuf),
        opt::RCVBUF => o(1, QUEUE_MAX, all, |s| &mut s.rcvbuf),
        opt::CONNECT_TIMEOUT => o(1, IVL_MAX, all, |s| &mut s.connect_timeout),
        opt::MAXPIPES => o(1, PIPES_MAX, all, |s| &mut s.maxpipes),
        opt::MAXENDPOINTS => o(1, ENDPOINTS_MAX, all, |s| &mut s.maxendpoints),
        opt::SURVEYOR_DEADLINE => o(
            1,
            IVL_MAX,
            |p| p == Pattern::Surveyor,
            |s| &mut s.surveyor_deadline,
        ),
        _ => None,
    }
}

/// Reads a native-endian C `int` from an option buffer.
fn read_int(val: &[u8]) -> Result<i32, Error> {
    match val.get(..4) {
        Some(&[a, b, c, d]) => Ok(i32::from_ne_bytes([a, b, c, d])),
        _ => Err(Error::Invalid),
    }
}

/// Writes a native-endian C `int`; returns the length written.
fn write_int(out: &mut [u8], v: u32) -> Result<usize, Error> {
    let dst = out.get_mut(..4).ok_or(Error::Invalid)?;
    // CAST: every stored value is at most `RCVMAXSIZE_MAX`, below `i32::MAX`.
    dst.copy_from_slice(&(v as i32).to_ne_bytes());
    Ok(4)
}

impl Options {
    /// The defaults (see `uapi/linux/sp.h`).
    pub const fn new() -> Self {
        Options {
            rcvmaxsize: 1 << 20,
            reconnect_ivl: 100,
            reconnect_ivl_max: 5000,
            handshake_timeout: 10_000,
            resend_ivl: 60_000,
            maxttl: 8,
            sndbuf: 128,
            rcvbuf: 128,
            tcp_nodelay: true,
            connect_timeout: 10_000,
            maxpipes: 1024,
            maxendpoints: 64,
            surveyor_deadline: 1000,
            v6only: None,
            passcred: false,
        }
    }

    /// The largest frame a pipe accepts: `SP_RCVMAXSIZE`, where 0 means
    /// the 1 GiB cap (NNG's "no limit").
    pub const fn frame_max(&self) -> u64 {
        if self.rcvmaxsize == 0 {
            RCVMAXSIZE_MAX as u64
        } else {
            self.rcvmaxsize as u64
        }
    }

    /// `setsockopt(SOL_SP, name, val)` on a socket of pattern `p`.
    pub fn set(&mut self, p: Pattern, name: i32, val: &[u8]) -> Result<(), Error> {
        if let Some(o) = int_opt(name) {
            if !(o.applies)(p) {
                return Err(Error::NoProtoOpt);
            }
            let v = read_int(val)?;
            let v = u32::try_from(v).map_err(|_| Error::Invalid)?;
            let max = match p {
                Pattern::Surveyor | Pattern::Respondent if name == opt::MAXTTL => SURVEY_TTL_MAX,
                _ => o.max,
            };
            if v < o.min || v > max {
                return Err(Error::Invalid);
            }
            *(o.field)(self) = v;
            return Ok(());
        }
        match name {
            opt::TCP_NODELAY => {
                self.tcp_nodelay = match read_int(val)? {
                    0 => false,
                    1 => true,
                    _ => return Err(Error::Invalid),
                };
                Ok(())
            }
            opt::SUBSCRIBE | opt::UNSUBSCRIBE if p == Pattern::Sub => Err(Error::NotSupported),
            opt::STATS => Err(Error::Invalid),
            _ => Err(Error::NoProtoOpt),
        }
    }

    /// `getsockopt(SOL_SP, name)` into `out`; returns the length written.
    pub fn get(&self, p: Pattern, name: i32, out: &mut [u8]) -> Result<usize, Error> {
        if let Some(o) = int_opt(name) {
            if !(o.applies)(p) {
                return Err(Error::NoProtoOpt);
            }
            let v = *(o.field)(&mut self.clone());
            return write_int(out, v);
        }
        match name {
            opt::TCP_NODELAY => write_int(out, u32::from(self.tcp_nodelay)),
            opt::STATS => Err(Error::NotSupported),
            _ => Err(Error::NoProtoOpt),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(v: i32) -> [u8; 4] {
        v.to_ne_bytes()
    }

    fn get(o: &Options, p: Pattern, name: i32) -> Result<i32, Error> {
        let mut b = [0u8; 8];
        let n = o.get(p, name, &mut b)?;
        assert_eq!(n, 4);
        Ok(i32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
    }

    #[test]
    fn defaults() {
        let o = Options::new();
        assert_eq!(get(&o, Pattern::Req, opt::RCVMAXSIZE), Ok(1 << 20));
        assert_eq!(get(&o, Pattern::Req, opt::RESEND_IVL), Ok(60_000));
        assert_eq!(get(&o, Pattern::Rep, opt::MAXTTL), Ok(8));
        assert_eq!(get(&o, Pattern::Sub, opt::TCP_NODELAY), Ok(1));
        assert_eq!(get(&o, Pattern::Pub, opt::HANDSHAKE_TIMEOUT), Ok(10_000));
        assert_eq!(get(&o, Pattern::Pair, opt::CONNECT_TIMEOUT), Ok(10_000));
        assert_eq!(get(&o, Pattern::Sub, opt::MAXPIPES), Ok(1024));
        assert_eq!(get(&o, Pattern::Rep, opt::MAXENDPOINTS), Ok(64));
        assert_eq!(get(&o, Pattern::Surveyor, opt::SURVEYOR_DEADLINE), Ok(1000));
        assert_eq!(get(&o, Pattern::Respondent, opt::MAXTTL), Ok(8));
    }

    #[test]
    fn survey_options() {
        let mut o = Options::new();
        o.set(Pattern::Surveyor, opt::SURVEYOR_DEADLINE, &int(250))
            .unwrap();
        assert_eq!(o.surveyor_deadline, 250);
        for p in [
            Pattern::Respondent,
            Pattern::Req,
            Pattern::Bus,
            Pattern::Push,
        ] {
            assert_eq!(
                o.set(p, opt::SURVEYOR_DEADLINE, &int(5)),
                Err(Error::NoProtoOpt),
                "{p:?}"
            );
        }
        assert_eq!(
            o.set(Pattern::Surveyor, opt::SURVEYOR_DEADLINE, &int(0)),
            Err(Error::Invalid)
        );
        // NNG's cap of 15 hops for the survey pair; REQ/REP keep 255.
        assert_eq!(
            o.set(Pattern::Respondent, opt::MAXTTL, &int(16)),
            Err(Error::Invalid)
        );
        o.set(Pattern::Respondent, opt::MAXTTL, &int(15)).unwrap();
        o.set(Pattern::Rep, opt::MAXTTL, &int(255)).unwrap();
        for p in [Pattern::Push, Pattern::Pull, Pattern::Bus] {
            assert_eq!(
                o.set(p, opt::MAXTTL, &int(5)),
                Err(Error::NoProtoOpt),
                "{p:?}"
            );
        }
    }

    #[test]
    fn rcvmaxsize_zero_is_the_cap() {
        let mut o = Options::new();
        assert_eq!(o.frame_max(), 1 << 20);
        o.set(Pattern::Pair, opt::RCVMAXSIZE, &int(0)).unwrap();
        assert_eq!(o.frame_max(), u64::from(RCVMAXSIZE_MAX));
        o.set(Pattern::Pair, opt::RCVMAXSIZE, &int(1)).unwrap();
        assert_eq!(o.frame_max(), 1);
    }

    #[test]
    fn set_then_get() {
        let mut o = Options::new();
        o.set(Pattern::Req, opt::RESEND_IVL, &int(250)).unwrap();
        o.set(Pattern::Req, opt::RCVMAXSIZE, &int(16 << 20))
            .unwrap();
        o.set(Pattern::Req, opt::TCP_NODELAY, &int(0)).unwrap();
        assert_eq!(get(&o, Pattern::Req, opt::RESEND_IVL), Ok(250));
        assert_eq!(get(&o, Pattern::Req, opt::RCVMAXSIZE), Ok(16 << 20));
        assert_eq!(get(&o, Pattern::Req, opt::TCP_NODELAY), Ok(0));
        assert!(!o.tcp_nodelay);
    }

    #[test]
    fn ranges_are_enforced() {
        let mut o = Options::new();
        for (name, bad) in [
            (opt::RCVMAXSIZE, -1),
            (opt::RCVMAXSIZE, (RCVMAXSIZE_MAX + 1) as i32),
            (opt::RECONNECT_IVL, 0),
            (opt::MAXTTL, 0),
            (opt::MAXTTL, 256),
            (opt::SNDBUF, 0),
            (opt::RCVBUF, 8193),
            (opt::TCP_NODELAY, 2),
            (opt::HANDSHAKE_TIMEOUT, i32::MIN),
            (opt::CONNECT_TIMEOUT, 0),
            (opt::MAXPIPES, 0),
            (opt::MAXPIPES, (PIPES_MAX + 1) as i32),
            (opt::MAXENDPOINTS, 0),
            (opt::MAXENDPOINTS, (ENDPOINTS_MAX + 1) as i32),
        ] {
            assert_eq!(
                o.set(Pattern::Req, name, &int(bad)),
                Err(Error::Invalid),
                "{name} {bad}"
            );
        }
        assert_eq!(o, Options::new(), "a refused set changes nothing");
    }

    #[test]
    fn short_buffers_are_invalid() {
        let mut o = Options::new();
        assert_eq!(
            o.set(Pattern::Req, opt::MAXTTL, &[1, 0]),
            Err(Error::Invalid)
        );
        assert_eq!(o.set(Pattern::Req, opt::MAXTTL, &[]), Err(Error::Invalid));
        let mut b = [0u8; 3];
        assert_eq!(
            o.get(Pattern::Req, opt::MAXTTL, &mut b),
            Err(Error::Invalid)
        );
    }

    #[test]
    fn pattern_specific_options() {
        let mut o = Options::new();
        assert_eq!(
            o.set(Pattern::Rep, opt::RESEND_IVL, &int(5)),
            Err(Error::NoProtoOpt)
        );
        assert_eq!(
            get(&o, Pattern::Sub, opt::RESEND_IVL),
            Err(Error::NoProtoOpt)
        );
        assert_eq!(
            o.set(Pattern::Pub, opt::MAXTTL, &int(5)),
            Err(Error::NoProtoOpt)
        );
        assert_eq!(
            o.set(Pattern::Req, opt::SUBSCRIBE, b"x"),
            Err(Error::NoProtoOpt)
        );
        assert_eq!(
            o.set(Pattern::Sub, opt::SUBSCRIBE, b"x"),
            Err(Error::NotSupported)
        );
        assert_eq!(
            get(&o, Pattern::Sub, opt::SUBSCRIBE),
            Err(Error::NoProtoOpt)
        );
    }

    #[test]
    fn unknown_options() {
        let mut o = Options::new();
        for name in [0, 17, 100, -1, i32::MAX] {
            assert_eq!(o.set(Pattern::Pair, name, &int(1)), Err(Error::NoProtoOpt));
            assert_eq!(get(&o, Pattern::Pair, name), Err(Error::NoProtoOpt));
        }
    }
}
