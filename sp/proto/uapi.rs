// SPDX-License-Identifier: GPL-2.0

//! Numbers shared with user space through `uapi/linux/sp.h`.
//!
//! A host test (`tests/uapi.rs`) parses the C header and checks that every
//! value here matches it.

/// The address family: slot 13, never implemented in mainline.
pub const AF_SP: i32 = 13;

/// The option level of `setsockopt()`/`getsockopt()`.
pub const SOL_SP: i32 = 288;

/// `IPPROTO_TCP`: IP addresses carry TCP (as protocol 0 does).
pub const IPPROTO_TCP: i32 = 6;

/// `IPPROTO_SCTP`: IP addresses carry SCTP.
pub const IPPROTO_SCTP: i32 = 132;

/// `socket()` type values, scoped to `AF_SP`.
pub mod sock {
    /// `SOCK_PAIR`.
    pub const PAIR: i32 = 1;
    /// `SOCK_PUB`.
    pub const PUB: i32 = 2;
    /// `SOCK_SUB`.
    pub const SUB: i32 = 3;
    /// `SOCK_REQ`.
    pub const REQ: i32 = 4;
    /// `SOCK_REP`.
    pub const REP: i32 = 5;
    /// `SOCK_PUSH`.
    pub const PUSH: i32 = 6;
    /// `SOCK_PULL`.
    pub const PULL: i32 = 7;
    /// `SOCK_SURVEYOR`.
    pub const SURVEYOR: i32 = 8;
    /// `SOCK_RESPONDENT`.
    pub const RESPONDENT: i32 = 9;
    /// `SOCK_BUS`.
    pub const BUS: i32 = 10;
}

/// `SOL_SP` option names.
pub mod opt {
    /// `SP_RCVMAXSIZE`: largest accepted incoming message, in bytes.
    pub const RCVMAXSIZE: i32 = 1;
    /// `SP_RECONNECT_IVL`: first reconnect delay, in milliseconds.
    pub const RECONNECT_IVL: i32 = 2;
    /// `SP_RECONNECT_IVL_MAX`: backoff ceiling in milliseconds, 0 for none.
    pub const RECONNECT_IVL_MAX: i32 = 3;
    /// `SP_HANDSHAKE_TIMEOUT`: time allowed for the peer's header, in ms.
    pub const HANDSHAKE_TIMEOUT: i32 = 4;
    /// `SP_RESEND_IVL`: REQ resend interval in milliseconds.
    pub const RESEND_IVL: i32 = 5;
    /// `SP_MAXTTL`: REQ/REP maximum hop count.
    pub const MAXTTL: i32 = 6;
    /// `SP_SNDBUF`: send queue depth, in messages.
    pub const SNDBUF: i32 = 7;
    /// `SP_RCVBUF`: receive queue depth, in messages.
    pub const RCVBUF: i32 = 8;
    /// `SP_TCP_NODELAY`: `TCP_NODELAY` on every pipe.
    pub const TCP_NODELAY: i32 = 9;
    /// `SP_SUBSCRIBE`: add a SUB prefix.
    pub const SUBSCRIBE: i32 = 10;
    /// `SP_UNSUBSCRIBE`: remove a SUB prefix.
    pub const UNSUBSCRIBE: i32 = 11;
    /// `SP_STATS`: read the socket's counters.
    pub const STATS: i32 = 12;
    /// `SP_CONNECT_TIMEOUT`: time allowed for a dialed TCP connect, in ms.
    pub const CONNECT_TIMEOUT: i32 = 13;
    /// `SP_MAXPIPES`: most connections a socket holds at once.
    pub const MAXPIPES: i32 = 14;
    /// `SP_MAXENDPOINTS`: most `bind()`s plus `connect()`s on a socket.
    pub const MAXENDPOINTS: i32 = 15;
    /// `SP_SURVEYOR_DEADLINE`: how long a survey collects responses, in ms.
    pub const SURVEYOR_DEADLINE: i32 = 16;
    /// `SP_RAW`: raw mode (no pattern state; the SP header in a cmsg).
    pub const RAW: i32 = 17;
    /// `SP_DEVICE`: link with another raw socket's fd (-1: unlink).
    pub const DEVICE: i32 = 18;
    /// `SP_SCTP_ADDRS`: the extra local addresses of later SCTP endpoints.
    pub const SCTP_ADDRS: i32 = 19;
}

/// `SOL_SP` control message types of `sendmsg()`/`recvmsg()`.
pub mod cmsg {
    /// `SP_HDR`: the SP header of a raw socket's message.
    pub const HDR: i32 = 1;
}

/// sock_diag numbers (`uapi/linux/sp_diag.h`).
pub mod diag {
    /// `SP_DIAG_SHOW_ENDPOINTS`.
    pub const SHOW_ENDPOINTS: u32 = 1;
    /// `SP_DIAG_SHOW_PIPES`.
    pub const SHOW_PIPES: u32 = 2;
    /// `SP_DIAG_SHOW_MEMINFO`.
    pub const SHOW_MEMINFO: u32 = 4;
    /// `SP_DIAG_SHOW_STATS`.
    pub const SHOW_STATS: u32 = 8;

    /// `SP_DIAG_INFO`: a `struct sp_diag_info`.
    pub const INFO: u16 = 1;
    /// `SP_DIAG_LISTENER`.
    pub const LISTENER: u16 = 2;
    /// `SP_DIAG_DIALER`.
    pub const DIALER: u16 = 3;
    /// `SP_DIAG_PIPE`, nesting the `PIPE_*` attributes.
    pub const PIPE: u16 = 4;
    /// `SP_DIAG_MEMINFO`.
    pub const MEMINFO: u16 = 5;
    /// `SP_DIAG_STATS`: a `struct sp_stats`.
    pub const STATS: u16 = 6;

    /// `SP_DIAG_PIPE_ID`.
    pub const PIPE_ID: u16 = 1;
    /// `SP_DIAG_PIPE_UP`.
    pub const PIPE_UP: u16 = 2;
    /// `SP_DIAG_PIPE_PEER`.
    pub const PIPE_PEER: u16 = 3;
    /// `SP_DIAG_PIPE_LOCAL`.
    pub const PIPE_LOCAL: u16 = 4;
    /// `SP_DIAG_PIPE_TCP_INO`.
    pub const PIPE_TCP_INO: u16 = 5;
    /// `SP_DIAG_PIPE_PROTO`.
    pub const PIPE_PROTO: u16 = 6;

    /// The size of `struct sp_diag_info`.
    pub const INFO_LEN: usize = 32;

    /// `struct sp_diag_info`, as the uapi lays it out (native endian).
    pub struct Info {
        /// `sdiag_proto`.
        pub proto: u16,
        /// `sdiag_peer`.
        pub peer: u16,
        /// `sdiag_raw`.
        pub raw: bool,
        /// `sdiag_device`.
        pub device: bool,
        /// `sdiag_shutdown`: 1 read, 2 write.
        pub shutdown: u8,
        /// `sdiag_pipes`, `_listeners`, `_dialers`, `_rqueue`,
        /// `_rqueue_bytes`, `_wqueue_bytes`.
        pub counts: [u32; 6],
    }

    impl Info {
        /// The bytes of the C struct.
        pub fn to_bytes(&self) -> [u8; INFO_LEN] {
            let mut b = [0u8; INFO_LEN];
            b[0..2].copy_from_slice(&self.proto.to_ne_bytes());
            b[2..4].copy_from_slice(&self.peer.to_ne_bytes());
            b[4] = u8::from(self.raw);
            b[5] = u8::from(self.device);
            b[6] = self.shutdown;
            for (i, c) in self.counts.iter().enumerate() {
                b[8 + 4 * i..12 + 4 * i].copy_from_slice(&c.to_ne_bytes());
            }
            b
        }
    }
}
