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
//! IPC ([`ipc`]); `sockaddr_in`/`sockaddr_in6` is TCP ([`tcp`]).

pub(crate) mod ipc;
pub(crate) mod tcp;

use crate::net::addr::SockAddr;
use crate::net::socket::SockRef;
use crate::net::stream::StreamSocket;
pub(crate) use crate::net::stream::{
    Caller, ConnState, Events, PeerCred, RxChunk, Watcher, SEND_VEC_MAX,
};
use crate::proto::frame::Framing;
use crate::proto::options::Options;
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
}

impl Kind {
    /// The transport of an endpoint at `addr`.
    pub(crate) fn of(addr: &SockAddr) -> Kind {
        if addr.is_unix() {
            Kind::Ipc
        } else {
            Kind::Tcp
        }
    }

    /// How its frames are prefixed.
    pub(crate) fn framing(self) -> Framing {
        match self {
            Kind::Tcp => Framing::Tcp,
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
    /// Binds `addr` and listens, for the user of `sk`, in the context of
    /// its `bind()`.
    pub(crate) fn new(sk: &SockRef, addr: &SockAddr, opts: &Options) -> Result<Self> {
        let kind = Kind::of(addr);
        let sock = match kind {
            Kind::Tcp => tcp::listen(sk, addr, BACKLOG, opts)?,
            Kind::Ipc => ipc::listen(sk, addr, BACKLOG)?,
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
    /// What IPC read from its socket and the actor has not taken yet.
    ipc_rx: ipc::RxBuf,
}

impl<W: Watcher> Conn<W> {
    fn new(sock: StreamSocket<W>, kind: Kind) -> Self {
        Conn {
            sock,
            kind,
            ipc_rx: ipc::RxBuf::new(),
        }
    }

    /// Connects to `addr` without blocking, for `caller` (see
    /// [`Caller`]), as the user of `sk`.
    pub(crate) fn dial(
        sk: &SockRef,
        caller: &Caller,
        addr: &SockAddr,
        opts: &Options,
    ) -> Result<Self> {
        let kind = Kind::of(addr);
        let sock = match kind {
            Kind::Tcp => tcp::dial(sk, caller, addr, opts)?,
            Kind::Ipc => ipc::dial(sk, caller, addr)?,
        };
        Ok(Conn::new(sock, kind))
    }

    /// Sets what the socket's options ask of a new connection.
    pub(crate) fn tune(&self, opts: &Options) {
        if self.kind == Kind::Tcp {
            tcp::tune(&self.sock, opts);
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
        self.sock.send_vec(bufs)
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
            Kind::Ipc => self.ipc_rx.read(&self.sock, actor),
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
