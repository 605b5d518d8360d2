// SPDX-License-Identifier: GPL-2.0

//! Endpoints: a listener per `bind()`, a dialer per `connect()`.

use crate::net::addr::SockAddr;
use crate::net::random;
use crate::net::socket::SockRef;
use crate::net::work::{cancel_delayed_sync, queue};
use crate::pipe::{Pipe, PipeEnd, PipeOwner};
use crate::proto::backoff::Backoff;
use crate::transport::{Caller, Conn, Events, Kind, Listen, Watcher};
use core::sync::atomic::{AtomicU32, Ordering};
use kernel::prelude::*;
use kernel::sync::{Arc, ArcBorrow, Mutex};
use kernel::time::msecs_to_jiffies;
use kernel::workqueue::{DelayedWork, WorkItem};

/// Connections accepted per work run before yielding.
const ACCEPT_BUDGET: usize = 64;

/// Accepted connections that may be in their SP handshake at once. Beyond
/// that, connections wait in the accept queue: a flood of peers that
/// never send their header holds at most this many pipes (each until
/// `SP_HANDSHAKE_TIMEOUT`), and well-behaved peers queue behind them.
pub(crate) const MAX_HANDSHAKING: u32 = 256;

/// Once half of those slots are taken, one source address may hold at
/// most a quarter of them: a slowloris from one address cannot take the
/// slots of every other peer, and a burst from one busy client (or
/// loopback) still gets 128 at once.
const MAX_HANDSHAKING_PER_SOURCE: u32 = MAX_HANDSHAKING / 4;

/// Delay before a listener tries again after `accept` failed for want of
/// memory or descriptors: it must not spin, nor wait for the next SYN.
const ACCEPT_RETRY_MS: u32 = 20;

/// A peer's IP address (IPv4 in the first 4 bytes), without the port: what
/// the handshake slots are counted by. (All IPC peers share one.)
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SrcKey([u8; 16]);

impl SrcKey {
    fn of(addr: &SockAddr) -> SrcKey {
        SrcKey(addr.ip_bytes())
    }
}

/// A listener that turns every connection into a pipe.
#[pin_data]
pub(crate) struct Listener {
    sock: Arc<dyn PipeOwner>,
    addr: SockAddr,
    /// Pipes accepted here whose handshake has not ended.
    handshaking: AtomicU32,
    /// How many of those each source address holds.
    #[pin]
    sources: Mutex<KVec<(SrcKey, u32)>>,
    #[pin]
    work: DelayedWork<Listener>,
    #[pin]
    listen: Mutex<Option<Listen<Listener>>>,
}

kernel::impl_has_delayed_work! {
    impl HasDelayedWork<Self> for Listener { self.work }
}

impl Listener {
    /// Binds `addr` (SCTP: and the `extra` local addresses) and starts
    /// accepting with transport `kind`.
    pub(crate) fn start(
        sock: &Arc<dyn PipeOwner>,
        sk: &SockRef,
        kind: Kind,
        addr: &SockAddr,
        extra: &[SockAddr],
    ) -> Result<Arc<Self>> {
        let listen = Listen::new(sk, kind, addr, extra, &sock.opts())?;
        let bound = listen.name()?;
        let l = Arc::pin_init(
            try_pin_init!(Listener {
                sock: sock.clone(),
                addr: bound,
                handshaking: AtomicU32::new(0),
                sources <- kernel::new_mutex!(KVec::new()),
                work <- kernel::new_delayed_work!("sp_listener_work"),
                listen <- kernel::new_mutex!(None),
            }),
            GFP_KERNEL,
        )?;
        listen.watch(l.clone())?;
        *l.listen.lock() = Some(listen);
        l.kick();
        Ok(l)
    }

    /// The bound address (the real port when 0 was asked for, the
    /// autobound name when none was).
    pub(crate) fn addr(&self) -> &SockAddr {
        &self.addr
    }

    fn kick(self: &Arc<Self>) {
        let _ = queue().enqueue_delayed(self.clone(), 0);
    }

    /// A pipe from `src` accepted here finished its handshake or failed in
    /// it: accept again if that was what held the listener back.
    fn handshake_over(self: &Arc<Self>, src: &SrcKey) {
        {
            let mut v = self.sources.lock();
            if let Some(i) = v.iter().position(|(k, _)| k == src) {
                v[i].1 -= 1;
                if v[i].1 == 0 {
                    let _ = v.remove(i);
                }
            }
        }
        if self.handshaking.fetch_sub(1, Ordering::AcqRel) >= MAX_HANDSHAKING {
            self.kick();
        }
    }

    /// Takes a handshake slot for a peer at `src`; false if the source
    /// has its share while slots are scarce (or no memory to count it).
    fn take_slot(&self, src: SrcKey) -> bool {
        let mut v = self.sources.lock();
        let i = match v.iter().position(|(k, _)| *k == src) {
            Some(i) => i,
            None => {
                if v.push((src, 0), GFP_KERNEL).is_err() {
                    return false;
                }
                v.len() - 1
            }
        };
        let busy = self.handshaking.load(Ordering::Acquire) >= MAX_HANDSHAKING / 2;
        if busy && v[i].1 >= MAX_HANDSHAKING_PER_SOURCE {
            return false;
        }
        v[i].1 += 1;
        self.handshaking.fetch_add(1, Ordering::AcqRel);
        true
    }

    /// Closes the listener; established pipes stay.
    pub(crate) fn stop(self: &Arc<Self>) {
        let listen = self.listen.lock().take();
        drop(listen);
        cancel_delayed_sync(self);
    }
}

impl WorkItem for Listener {
    type Pointer = Arc<Listener>;

    fn run(this: Arc<Listener>) {
        // What the pipes allocate is charged to the socket's memcg.
        if let Some(sk) = this.sock.sk() {
            sk.charged(|| Self::accept_some(this));
        }
    }
}

impl Listener {
    fn accept_some(this: Arc<Listener>) {
        let g = this.listen.lock();
        let Some(listen) = g.as_ref() else {
            return;
        };
        for _ in 0..ACCEPT_BUDGET {
            // At the cap, the next `handshake_over` kicks us.
            if this.handshaking.load(Ordering::Acquire) >= MAX_HANDSHAKING {
                return;
            }
            match listen.accept::<Pipe>() {
                Ok(Some(conn)) => {
                    // Beyond SP_MAXPIPES, or its source's share of the
                    // handshake slots, a connection is closed at once.
                    if this.sock.pipes_full() {
                        this.sock.note_closed(true);
                        continue;
                    }
                    // A peer that already reset has no name: refused.
                    let Ok(peer) = conn.name(true) else {
                        this.sock.note_closed(true);
                        continue;
                    };
                    let src = SrcKey::of(&peer);
                    if !this.take_slot(src) {
                        this.sock.note_closed(true);
                        continue;
                    }
                    // The pipe owns the slot once it starts; a failure
                    // drops the connection and the listener goes on.
                    let end = Arc::new(
                        Accepted {
                            l: this.clone(),
                            src,
                        },
                        GFP_KERNEL,
                    );
                    let started = match end {
                        Ok(end) => Pipe::start(&this.sock, end, false, conn).is_ok(),
                        Err(_) => false,
                    };
                    if !started {
                        this.handshake_over(&src);
                    }
                }
                Ok(None) => return,
                Err(_) => {
                    // ENOMEM, ENFILE and the like: the connection waits in
                    // the accept queue; try again shortly.
                    drop(g);
                    let _ =
                        queue().enqueue_delayed(this.clone(), msecs_to_jiffies(ACCEPT_RETRY_MS));
                    return;
                }
            }
        }
        drop(g);
        this.kick();
    }
}

/// What a pipe accepted by a listener tells it: its handshake slot (of
/// the peer's source address) is free again.
struct Accepted {
    l: Arc<Listener>,
    src: SrcKey,
}

impl PipeEnd for Accepted {
    fn handshake_over(&self, _up: bool) {
        self.l.handshake_over(&self.src);
    }

    fn closed(&self) {}
}

impl Watcher for Listener {
    /// A connection may be waiting: a TCP or Unix listener says so with
    /// data-ready, an SCTP one with a state change (an association
    /// established, `sctp_cmd_new_state()`), so any event tries accept.
    fn event(this: ArcBorrow<'_, Self>, _ev: Events) {
        let l: Arc<Listener> = this.into();
        l.kick();
    }
}

struct DialState {
    stopped: bool,
    backoff: Backoff,
}

/// Connects to one address and reconnects whenever the pipe fails.
#[pin_data]
pub(crate) struct Dialer {
    sock: Arc<dyn PipeOwner>,
    kind: Kind,
    addr: SockAddr,
    /// The local addresses an SCTP association is bound to (none: any).
    local: KVec<SockAddr>,
    /// The `connect()` caller: every (re)connect is checked by the LSM as
    /// theirs, and resolves a path in their root and working directory.
    caller: Caller,
    #[pin]
    work: DelayedWork<Dialer>,
    #[pin]
    st: Mutex<DialState>,
}

kernel::impl_has_delayed_work! {
    impl HasDelayedWork<Self> for Dialer { self.work }
}

impl Dialer {
    /// The address it dials.
    pub(crate) fn addr(&self) -> &SockAddr {
        &self.addr
    }

    /// A dialer for `addr` with transport `kind` (SCTP: from the `local`
    /// addresses), acting for the caller; [`Dialer::start`] starts it.
    pub(crate) fn new(
        sock: &Arc<dyn PipeOwner>,
        kind: Kind,
        addr: &SockAddr,
        local: KVec<SockAddr>,
    ) -> Result<Arc<Self>> {
        let ivl = sock.opts().reconnect_ivl;
        let who = Caller::current(addr.is_unix_path())?;
        Arc::pin_init(
            try_pin_init!(Dialer {
                sock: sock.clone(),
                kind,
                addr: *addr,
                local,
                caller: who,
                work <- kernel::new_delayed_work!("sp_dialer_work"),
                st <- kernel::new_mutex!(DialState {
                    stopped: false,
                    backoff: Backoff::new(ivl),
                }),
            }),
            GFP_KERNEL,
        )
    }

    /// Makes the first attempt in the caller's context (its `connect()`):
    /// a refusal by policy (`EACCES` from the LSM, `EPERM` from a cgroup
    /// BPF program) is the caller's error, and so is an address no retry
    /// can reach (`EINVAL`: a link-local address without a scope id). Any
    /// other failure is retried in the background, as nn_connect() does.
    pub(crate) fn start(self: &Arc<Self>) -> Result {
        match self.dial() {
            Ok(()) => Ok(()),
            Err(e) if e == EACCES || e == EPERM || e == EINVAL => Err(e),
            Err(e) if e == ESHUTDOWN => Ok(()),
            Err(_) => {
                self.pipe_closed();
                Ok(())
            }
        }
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
    fn pipe_closed(self: &Arc<Self>) {
        let opts = self.sock.opts();
        let delay = self.st.lock().backoff.failed(
            opts.reconnect_ivl,
            opts.reconnect_ivl_max,
            random::below,
        );
        self.schedule(delay);
    }

    /// The pipe completed its handshake: the backoff starts over.
    fn connected(&self) {
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
        // At SP_MAXPIPES the dialer waits (with its backoff) for room.
        if self.sock.pipes_full() {
            return Err(ENOBUFS);
        }
        let opts = self.sock.opts();
        let conn = sk
            .charged(|| Conn::dial(&sk, &self.caller, self.kind, &self.addr, &self.local, &opts))?;
        let end = Arc::new(Dialed(self.clone()), GFP_KERNEL)?;
        Pipe::start(&self.sock, end, true, conn)?;
        Ok(())
    }
}

/// What a dialed pipe tells its dialer: up (the backoff starts over), or
/// gone (reconnect).
struct Dialed(Arc<Dialer>);

impl PipeEnd for Dialed {
    fn handshake_over(&self, up: bool) {
        if up {
            self.0.connected();
        }
    }

    fn closed(&self) {
        self.0.pipe_closed();
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
