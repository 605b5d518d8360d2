// SPDX-License-Identifier: GPL-2.0

//! The transport layer: what carries a pipe's bytes, one file per
//! transport, behind one interface that the pipe and the endpoints name.
//!
//! # Design
//!
//! A transport makes the stream sockets of an endpoint: it listens,
//! accepts and dials ([`Listen`], [`Conn::dial`]); a [`Conn`] sends a
//! run of frames, receives (the SP header byte by byte, then frames by
//! a read actor), reports its state and its peer, and closes when
//! dropped. What differs between transports is small: the socket's
//! family and protocol, its options, how the frames are prefixed
//! ([`Framing`], in the sans-IO core, with host tests and a fuzz target
//! per framing), and how received bytes reach the actor (TCP lends its
//! receive buffers, `tcp_read_sock`; a Unix socket has no `read_sock`
//! and is read into a buffer). [`Kind`] is an enum, as the pattern
//! layer's `Proto` is: the set is closed, each connection has one for
//! life, and a `match` keeps the per-transport state inline.
//!
//! The transport of an endpoint follows its address: `sockaddr_un` is
//! IPC ([`ipc`]); `sockaddr_in`/`sockaddr_in6` is TCP ([`tcp`]), or SCTP
//! ([`sctp`]) on a socket made with `IPPROTO_SCTP`.

pub(crate) mod ipc;
pub(crate) mod sctp;
pub(crate) mod tcp;

use crate::net::addr::SockAddr;
pub(crate) use crate::net::cred::PeerCred;
use crate::net::socket::SockRef;
pub(crate) use crate::net::stream::{Caller, ConnState, Events, RxChunk, Watcher, SEND_VEC_MAX};
use crate::net::stream::{StreamSocket, IPPROTO_TCP};
use crate::proto::frame::Framing;
use crate::proto::options::Options;
use crate::queue::msg_gfp;
use kernel::prelude::*;
use kernel::sync::Arc;

/// Listen backlog of each listener.
const BACKLOG: i32 = 128;

/// The transports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// SP over TCP (`sockaddr_in`, `sockaddr_in6`).
    Tcp,
    /// SP over `AF_UNIX` stream sockets (`sockaddr_un`), NNG's `ipc://`.
    Ipc,
    /// SP over SCTP associations (`sockaddr_in`, `sockaddr_in6` on a
    /// socket made with `IPPROTO_SCTP`), `doc/sp-sctp-mapping.txt`.
    Sctp,
}

impl Kind {
    /// The transport of an endpoint at `addr` on a socket made with
    /// `protocol` (what an IP address carries).
    pub(crate) fn of(addr: &SockAddr, protocol: i32) -> Kind {
        if addr.is_unix() {
            Kind::Ipc
        } else if protocol == sctp::IPPROTO_SCTP {
            Kind::Sctp
        } else {
            Kind::Tcp
        }
    }

    /// How its frames are prefixed.
    pub(crate) fn framing(self) -> Framing {
        match self {
            Kind::Tcp | Kind::Sctp => Framing::Tcp,
            Kind::Ipc => Framing::Ipc,
        }
    }
}

/// A listening endpoint's socket, whose events go to a `W`.
pub(crate) struct Listen<W: Watcher> {
    sock: StreamSocket<W>,
    kind: Kind,
}

impl<W: Watcher> Listen<W> {
    /// Binds `addr` (SCTP: and the `extra` local addresses) and listens
    /// with transport `kind`, for the user of `sk`, in the context of its
    /// `bind()`.
    pub(crate) fn new(
        sk: &SockRef,
        kind: Kind,
        addr: &SockAddr,
        extra: &[SockAddr],
        opts: &Options,
    ) -> Result<Self> {
        let sock = match kind {
            Kind::Tcp => tcp::listen(sk, addr, BACKLOG, opts)?,
            Kind::Ipc => ipc::listen(sk, addr, BACKLOG)?,
            Kind::Sctp => sctp::listen(sk, addr, extra, BACKLOG, opts)?,
        };
        Ok(Listen { sock, kind })
    }

    /// The bound address (the real port, or the autobound name).
    pub(crate) fn name(&self) -> Result<SockAddr> {
        self.sock.name(false)
    }

    /// Accepts one pending connection; `None` when none is waiting.
    pub(crate) fn accept<V: Watcher>(&self) -> Result<Option<Conn<V>>> {
        Ok(self
            .sock
            .accept::<V>()?
            .map(|sock| Conn::new(sock, self.kind)))
    }

    /// Routes the socket's events to `w` until it is dropped.
    pub(crate) fn watch(&self, w: Arc<W>) -> Result {
        self.sock.watch(w)
    }
}

/// One connection, whose events go to a `W`; closed when dropped.
pub(crate) struct Conn<W: Watcher> {
    sock: StreamSocket<W>,
    kind: Kind,
    /// What a transport without `read_sock` (IPC, SCTP) read from its
    /// socket and the actor has not taken yet.
    rx_buf: RxBuf,
}

impl<W: Watcher> Conn<W> {
    fn new(sock: StreamSocket<W>, kind: Kind) -> Self {
        Conn {
            sock,
            kind,
            rx_buf: RxBuf::new(),
        }
    }

    /// Connects to `addr` with transport `kind` (SCTP: from the `local`
    /// addresses, if any) without blocking, for `caller` (see [`Caller`]),
    /// as the user of `sk`.
    pub(crate) fn dial(
        sk: &SockRef,
        caller: &Caller,
        kind: Kind,
        addr: &SockAddr,
        local: &[SockAddr],
        opts: &Options,
    ) -> Result<Self> {
        let sock = match kind {
            Kind::Tcp => tcp::dial(sk, caller, addr, opts)?,
            Kind::Ipc => ipc::dial(sk, caller, addr)?,
            Kind::Sctp => sctp::dial(sk, caller, addr, local, opts)?,
        };
        Ok(Conn::new(sock, kind))
    }

    /// Sets what the socket's options ask of a new connection.
    pub(crate) fn tune(&self, opts: &Options) {
        match self.kind {
            Kind::Tcp => tcp::tune(&self.sock, opts),
            Kind::Sctp => sctp::tune(&self.sock, opts),
            Kind::Ipc => (),
        }
    }

    /// The transport as `SP_DIAG_PIPE_PROTO` names it: its IP protocol,
    /// or 0 for IPC.
    pub(crate) fn diag_proto(&self) -> u8 {
        match self.kind {
            // CAST: both protocol numbers fit in a byte.
            Kind::Tcp => IPPROTO_TCP as u8,
            Kind::Sctp => sctp::IPPROTO_SCTP as u8,
            Kind::Ipc => 0,
        }
    }

    /// How its frames are prefixed.
    pub(crate) fn framing(&self) -> Framing {
        self.kind.framing()
    }

    /// Sends `bufs` in order as one write (at most [`SEND_VEC_MAX`])
    /// without blocking: the bytes taken, possibly fewer than all, or
    /// `EAGAIN` when none were.
    pub(crate) fn send_vec(&self, bufs: &[&[u8]]) -> Result<usize> {
        match self.kind {
            Kind::Sctp => sctp::send_vec(&self.sock, bufs),
            _ => self.sock.send_vec(bufs),
        }
    }

    /// Receives into `buf` without blocking (the SP header): `Ok(0)` at
    /// end of stream, `EAGAIN` when nothing is there.
    pub(crate) fn recv(&self, buf: &mut [u8]) -> Result<usize> {
        self.sock.recv(buf)
    }

    /// Lends `actor` what has been received, in order and without
    /// blocking, until it takes fewer bytes than offered or nothing is
    /// left: returns the bytes taken (0 at end of stream too: see
    /// [`Conn::state`]). The actor runs in process context and may
    /// allocate, but must not touch this connection.
    pub(crate) fn read(&mut self, actor: &mut dyn FnMut(&RxChunk<'_>) -> usize) -> Result<usize> {
        match self.kind {
            Kind::Tcp => self.sock.read(actor),
            // A Unix read takes every skb queued, up to the buffer's size:
            // one that comes back short emptied the socket. An SCTP read
            // stops at the end of its message.
            Kind::Ipc => self.rx_buf.read(&self.sock, actor, true),
            Kind::Sctp => self.rx_buf.read(&self.sock, actor, false),
        }
    }

    /// Whether nothing sent waits in the socket (no write-space event
    /// will come).
    pub(crate) fn tx_idle(&self) -> bool {
        self.sock.tx_idle()
    }

    /// The connection state.
    pub(crate) fn state(&self) -> ConnState {
        self.sock.state()
    }

    /// Takes the pending socket error, if any.
    pub(crate) fn take_error(&self) -> Result {
        self.sock.take_error()
    }

    /// The local (`peer == false`) or remote address.
    pub(crate) fn name(&self, peer: bool) -> Result<SockAddr> {
        self.sock.name(peer)
    }

    /// The socket's inode number, as `ss -e` shows it.
    pub(crate) fn ino(&self) -> u64 {
        self.sock.ino()
    }

    /// The peer's credentials, where the transport has them (IPC).
    pub(crate) fn peer_cred(&self) -> Option<PeerCred> {
        self.sock.peer_cred()
    }

    /// Routes the socket's events to `w` until it is dropped.
    pub(crate) fn watch(&self, w: Arc<W>) -> Result {
        self.sock.watch(w)
    }
}

/// Bytes a connection without `read_sock` reads from its socket at once.
const RX_BUF: usize = 16 * 1024;

/// What a socket without `read_sock` (Unix, SCTP) gave and the read
/// actor did not take yet: `buf[lo..hi]`. The buffer (`RX_BUF` bytes, charged
/// to the socket's memcg) is allocated by the first read.
struct RxBuf {
    buf: KVVec<u8>,
    lo: usize,
    hi: usize,
}

impl RxBuf {
    fn new() -> Self {
        RxBuf {
            buf: KVVec::new(),
            lo: 0,
            hi: 0,
        }
    }

    /// Lends `actor` the bytes left from the last read, then what `sock`
    /// holds, until the actor takes fewer than offered or nothing is
    /// left (`short_is_empty`: a read shorter than the buffer says so,
    /// saving the read that would find nothing). Returns the bytes taken.
    fn read<W: Watcher>(
        &mut self,
        sock: &StreamSocket<W>,
        actor: &mut dyn FnMut(&RxChunk<'_>) -> usize,
        short_is_empty: bool,
    ) -> Result<usize> {
        let mut taken = 0;
        let mut emptied = false;
        loop {
            if self.lo == self.hi && emptied {
                return Ok(taken);
            }
            if self.lo == self.hi {
                if self.buf.is_empty() {
                    self.buf.resize(RX_BUF, 0, msg_gfp())?;
                }
                let n = match sock.recv(&mut self.buf) {
                    // The end of the stream: the state says so.
                    Ok(0) => return Ok(taken),
                    Ok(n) => n,
                    Err(e) if e == EAGAIN => return Ok(taken),
                    Err(e) => return Err(e),
                };
                (self.lo, self.hi) = (0, n);
                emptied = short_is_empty && n < self.buf.len();
            }
            let c = RxChunk::from_slice(&self.buf[self.lo..self.hi]);
            let used = actor(&c).min(c.len());
            self.lo += used;
            taken += used;
            if self.lo < self.hi {
                return Ok(taken);
            }
        }
    }
}
