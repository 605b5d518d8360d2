// SPDX-License-Identifier: GPL-2.0

//! SP over TCP (`rfc/sp-tcp-mapping-01.txt`; NNG's
//! `src/sp/transport/tcp/tcp.c`): each frame is an 8-byte big-endian
//! length and the body ([`Framing::Tcp`](crate::proto::frame::Framing)).
//! Listeners set `SO_REUSEADDR`, as NNG's do; `SP_TCP_NODELAY` (on by
//! default) and `IPV6_V6ONLY` apply to every connection.

use super::{Caller, Watcher};
use crate::net::addr::SockAddr;
use crate::net::socket::SockRef;
use crate::net::stream::{StreamSocket, IPPROTO_TCP};
use crate::proto::options::Options;
use kernel::prelude::*;

/// A TCP listener on `addr`.
pub(super) fn listen<W: Watcher>(
    sk: &SockRef,
    addr: &SockAddr,
    backlog: i32,
    opts: &Options,
) -> Result<StreamSocket<W>> {
    StreamSocket::listen(sk, addr, &[], IPPROTO_TCP, backlog, opts.v6only, true)
}

/// A TCP connection to `addr`, connecting.
pub(super) fn dial<W: Watcher>(
    sk: &SockRef,
    caller: &Caller,
    addr: &SockAddr,
    opts: &Options,
) -> Result<StreamSocket<W>> {
    StreamSocket::connect(sk, caller, addr, &[], IPPROTO_TCP, opts.v6only)
}

/// `TCP_NODELAY`, as `SP_TCP_NODELAY` says.
pub(super) fn tune<W: Watcher>(sock: &StreamSocket<W>, opts: &Options) {
    sock.set_nodelay(opts.tcp_nodelay);
}
