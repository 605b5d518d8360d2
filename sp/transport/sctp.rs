// SPDX-License-Identifier: GPL-2.0

//! SP over SCTP, sp to sp (no other SP implementation has it): the
//! mapping is `doc/sp-sctp-mapping.txt`. An SP connection is one SCTP
//! association of a one-to-one (`SOCK_STREAM`) socket; both SP headers
//! and then every frame go on stream 0, ordered, in the TCP mapping's
//! framing (an 8-byte length, then the body), so an SCTP message boundary
//! means nothing to the reader and a large SP message is sent in several
//! SCTP messages. An endpoint may have several local addresses
//! (`SP_SCTP_ADDRS`, bound with `sock_bind_add()` as `fs/dlm/lowcomms.c`
//! does): the association has a path per address pair, and SCTP moves
//! to another when one fails, retransmitting what the peer did not
//! acknowledge.

use super::{Caller, Watcher, SEND_VEC_MAX};
use crate::net::addr::SockAddr;
use crate::net::socket::SockRef;
use crate::net::stream::StreamSocket;
pub(crate) use crate::net::stream::IPPROTO_SCTP;
use crate::proto::options::Options;
use kernel::prelude::*;

/// Most bytes one send hands SCTP. A send is one SCTP message, taken whole
/// or not at all, and one larger than `SO_SNDBUF` fails (`EMSGSIZE`).
const SEND_MAX: usize = 64 * 1024;

/// An SCTP listener on `addr` and the `extra` local addresses.
pub(super) fn listen<W: Watcher>(
    sk: &SockRef,
    addr: &SockAddr,
    extra: &[SockAddr],
    backlog: i32,
    opts: &Options,
) -> Result<StreamSocket<W>> {
    StreamSocket::listen(sk, addr, extra, IPPROTO_SCTP, backlog, opts.v6only, true)
}

/// An SCTP association to `addr`, from the `local` addresses if any.
pub(super) fn dial<W: Watcher>(
    sk: &SockRef,
    caller: &Caller,
    addr: &SockAddr,
    local: &[SockAddr],
    opts: &Options,
) -> Result<StreamSocket<W>> {
    StreamSocket::connect(sk, caller, addr, local, IPPROTO_SCTP, opts.v6only)
}

/// `SCTP_NODELAY`, as `SP_TCP_NODELAY` says (SCTP delays small chunks
/// as TCP's Nagle does).
pub(super) fn tune<W: Watcher>(sock: &StreamSocket<W>, opts: &Options) {
    if opts.tcp_nodelay {
        // A failure leaves the delay on: slower, not wrong.
        let _ = sock.set_sctp_nodelay();
    }
}

/// Sends the first `SEND_MAX` bytes of `bufs` (at most the socket's
/// `SO_SNDBUF`) as one SCTP message: the bytes taken, or `EAGAIN`.
pub(super) fn send_vec<W: Watcher>(sock: &StreamSocket<W>, bufs: &[&[u8]]) -> Result<usize> {
    let cap = SEND_MAX.min(sock.sndbuf()).max(1);
    let mut cut: [&[u8]; SEND_VEC_MAX] = [&[]; SEND_VEC_MAX];
    let (mut n, mut total) = (0, 0);
    for b in bufs.iter().take(SEND_VEC_MAX) {
        if total >= cap {
            break;
        }
        let take = b.len().min(cap - total);
        cut[n] = &b[..take];
        n += 1;
        total += take;
    }
    sock.send_vec(&cut[..n])
}
