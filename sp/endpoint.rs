// SPDX-License-Identifier: GPL-2.0

//! Endpoints: a listener per `bind()`, a dialer per `connect()`.

use crate::net::socket::SockRef;
use crate::net::tcp::{SockAddr, TcpEvents, TcpSocket, TcpWatcher};
use crate::net::work::{cancel_delayed_sync, cancel_sync, queue, random_below};
use crate::proto::backoff::Backoff;
use crate::pipe::Pipe;
use crate::sock::SpSock;
use core::sync::atomic::{AtomicU32, Ordering};
use kernel::prelude::*;
use kernel::sync::{Arc, ArcBorrow, Mutex};
use kernel::time::msecs_to_jiffies;
use kernel::workqueue::{DelayedWork, Work, WorkItem};

/// Listen backlog of each listener.
const BACKLOG: i32 = 128;

/// Connections accepted per work run before yielding.
const ACCEPT_BUDGET: usize = 64;

/// Accepted connections that may be in their SP handshake at once. Beyond
/// that, connections wait in TCP's accept queue: a flood of peers that
/// never send their header holds at most this many pipes (each until
/// `SP_HANDSHAKE_TIMEOUT`), and well-behaved peers queue behind them.
pub(crate) const MAX_HANDSHAKING: u32 = 256;

/// A TCP listener that turns every connection into a pipe.
#[pin_data]
pub(crate) struct Listener {
    sock: Arc<SpSock>,
    addr: SockAddr,
    /// Pipes accepted here whose handshake has not ended.
    handshaking: AtomicU32,
    #[pin]
    work: Work<Listener>,
    #[pin]
    tcp: Mutex<Option<TcpSocket<Listener>>>,
}

kernel::impl_has_work! {
    impl HasWork<Self> for Listener { self.work }
}

impl Listener {
    /// Binds `addr` and starts accepting.
    pub(crate) fn start(sock: &Arc<SpSock>, sk: &SockRef, addr: &SockAddr) -> Result<Arc<Self>> {
        let tcp = TcpSocket::listen(sk, addr, BACKLOG)?;
        let bound = tcp.name(false)?;
        let l = Arc::pin_init(
            try_pin_init!(Listener {
                sock: sock.clone(),
                addr: bound,
                handshaking: AtomicU32::new(0),
                work <- kernel::new_work!("sp_listener_work"),
                tcp <- kernel::new_mutex!(None),
            }),
            GFP_KERNEL,
        )?;
        tcp.watch(l.clone())?;
        *l.tcp.lock() = Some(tcp);
        l.kick();
        Ok(l)
    }

    /// The bound address (the real port when 0 was asked for).
    pub(crate) fn addr(&self) -> &SockAddr {
        &self.addr
    }

    fn kick(self: &Arc<Self>) {
        let _ = queue().enqueue(self.clone());
    }

    /// A pipe accepted here finished its handshake or failed in it: accept
    /// again if that was what held the listener back.
    pub(crate) fn handshake_over(self: &Arc<Self>) {
        if self.handshaking.fetch_sub(1, Ordering::AcqRel) >= MAX_HANDSHAKING {
            self.kick();
        }
    }

    /// Closes the listener; established pipes stay.
    pub(crate) fn stop(self: &Arc<Self>) {
        let tcp = self.tcp.lock().take();
        drop(tcp);
        cancel_sync(self);
    }
}

impl WorkItem for Listener {
    type Pointer = Arc<Listener>;

    fn run(this: Arc<Listener>) {
        let g = this.tcp.lock();
        let Some(tcp) = g.as_ref() else {
            return;
        };
        for _ in 0..ACCEPT_BUDGET {
            // At the cap, the next `handshake_over` kicks us.
            if this.handshaking.load(Ordering::Acquire) >= MAX_HANDSHAKING {
                return;
            }
            match tcp.accept::<Pipe>() {
                Ok(Some(conn)) => {
                    // The pipe owns the count once it starts.
                    this.handshaking.fetch_add(1, Ordering::AcqRel);
                    // A failure drops the connection; the listener goes on.
                    if Pipe::start(&this.sock, None, Some(this.clone()), conn).is_err() {
                        this.handshaking.fetch_sub(1, Ordering::AcqRel);
                    }
                }
                Ok(None) => return,
                Err(_) => return,
            }
        }
        drop(g);
        this.kick();
    }
}

impl TcpWatcher for Listener {
    fn event(this: ArcBorrow<'_, Self>, ev: TcpEvents) {
        if ev.readable() {
            let l: Arc<Listener> = this.into();
            l.kick();
        }
    }
}

struct DialState {
    stopped: bool,
    backoff: Backoff,
}

/// Connects to one address and reconnects whenever the pipe fails.
#[pin_data]
pub(crate) struct Dialer {
    sock: Arc<SpSock>,
    addr: SockAddr,
    #[pin]
    work: DelayedWork<Dialer>,
    #[pin]
    st: Mutex<DialState>,
}

kernel::impl_has_delayed_work! {
    impl HasDelayedWork<Self> for Dialer { self.work }
}

impl Dialer {
    /// A dialer for `addr`; [`Dialer::schedule`] starts it.
    pub(crate) fn new(sock: &Arc<SpSock>, addr: &SockAddr) -> Result<Arc<Self>> {
        let ivl = sock.opts().reconnect_ivl;
        Arc::pin_init(
            try_pin_init!(Dialer {
                sock: sock.clone(),
                addr: *addr,
                work <- kernel::new_delayed_work!("sp_dialer_work"),
                st <- kernel::new_mutex!(DialState {
                    stopped: false,
                    backoff: Backoff::new(ivl),
                }),
            }),
            GFP_KERNEL,
        )
    }

    /// Tries to connect after `ms` milliseconds.
    pub(crate) fn schedule(self: &Arc<Self>, ms: u32) {
        let st = self.st.lock();
        if st.stopped {
            return;
        }
        let _ = queue().enqueue_delayed(self.clone(), msecs_to_jiffies(ms));
    }

    /// The pipe failed or closed: reconnect after the backoff, with jitter.
    pub(crate) fn pipe_closed(self: &Arc<Self>) {
        let opts = self.sock.opts();
        let delay = self
            .st
            .lock()
            .backoff
            .failed(opts.reconnect_ivl, opts.reconnect_ivl_max, random_below);
        self.schedule(delay);
    }

    /// The pipe completed its handshake: the backoff starts over.
    pub(crate) fn connected(&self) {
        let ivl = self.sock.opts().reconnect_ivl;
        self.st.lock().backoff.reset(ivl);
    }

    /// Stops reconnecting (from `close()` of the socket).
    pub(crate) fn stop(self: &Arc<Self>) {
        self.st.lock().stopped = true;
        cancel_delayed_sync(self);
    }

    fn dial(self: &Arc<Self>) -> Result {
        let sk = self.sock.sk().ok_or(ESHUTDOWN)?;
        let tcp = TcpSocket::connect(&sk, &self.addr)?;
        Pipe::start(&self.sock, Some(self.clone()), None, tcp)?;
        Ok(())
    }
}

impl WorkItem for Dialer {
    type Pointer = Arc<Dialer>;

    fn run(this: Arc<Dialer>) {
        if this.st.lock().stopped {
            return;
        }
        match this.dial() {
            Ok(()) => {}
            Err(e) if e == ESHUTDOWN => {}
            Err(_) => this.pipe_closed(),
        }
    }
}
