// SPDX-License-Identifier: GPL-2.0

//! The sp socket: what every `socket(PF_SP, ...)` holds, and the family's
//! callbacks. Safe Rust only; the socket layer is reached through
//! [`crate::net`].
//!
//! Locking: `Pipe::st` and `Listener::tcp` may be held while taking
//! `SpSock::inner`, never the other way round. `SpSock::opts` is a leaf.
//!
//! The pipes, listeners and dialers see the socket only through
//! [`PipeOwner`] (and the REQ resend timer through [`ResendOwner`]), so
//! `sp/` has no import cycle. Their references make `Arc` cycles: the
//! socket's `Inner` lists hold every pipe, listener and dialer, and each
//! holds the socket as its owner. `release()` is the one place that
//! breaks them: it takes the lists out of `Inner` and stops each one,
//! which cancels its work items and drops its TCP socket; the owner
//! references then go with the last pipe.
//!
//! TODO(issue 14, the pattern layer): the import cycle is gone; next,
//! `Inner` holds one `Proto` value (an enum over per-pattern structs in
//! `sp/pattern/{pair,reqrep,pubsub,...}.rs`) that owns the pattern state
//! now spread through `Inner` (REQ: `req`, `ids`, `resend`, `rr`; REP:
//! `current`; SUB's `subs`, already in `sp/pattern/pubsub.rs`) and the `match
//! self.pattern` arms of `deliver`, `send*`, `recv`, `poll` and the
//! options; the decisions (stale reply ids, resend due, drop-oldest) move
//! into `sp/proto` as `handle_*(now)`/`poll_timeout(now)` with host tests;
//! then PUSH/PULL, SURVEYOR/RESPONDENT and BUS as more variants.

use crate::endpoint::{Dialer, Listener};
use crate::net::family::{Data, Family};
use crate::net::msg::{
    MsgDst, MsgSrc, MSG_BATCH, MSG_CMSG_CLOEXEC, MSG_CMSG_COMPAT, MSG_DONTWAIT, MSG_EOR, MSG_MORE,
    MSG_NOSIGNAL, MSG_TRUNC, MSG_WAITALL,
};
use crate::net::socket::{PollMask, SockRef, Socket, Timeout};
use crate::net::tcp::SockAddr;
use crate::pipe::{Delivery, Pipe, PipeOwner};
use crate::proto::options::{self, Options};
use crate::net::work::random_below;
use crate::proto::pattern::Pattern;
use crate::proto::reqrep;
use crate::pattern::pubsub::Subscriptions;
use crate::pattern::reqrep::{Request, Requester, Resend, ResendOwner};
use crate::proto::uapi;
use crate::queue::{msg_gfp, Item, Msg, MsgQueue};
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex};
use kernel::time::{msecs_to_jiffies, Instant};

/// Linger time on `close()` when `SO_LINGER` is off, in milliseconds.
const DEFAULT_LINGER_MS: u32 = 1000;

/// Bytes of partly received frames a pipe may hold whatever the socket's
/// budget: with `SP_MAXPIPES` (1024) pipes, 16 MiB at most.
const PIPE_ALLOWANCE: usize = 16 * 1024;

/// The largest message `send()` accepts (`EMSGSIZE` beyond).
const SEND_MAX: usize = 1 << 30;

/// The mutable state of an sp socket.
pub(crate) struct Inner {
    /// The socket's sock, for wakeups; `None` once released.
    sk: Option<SockRef>,
    /// Set by `close()`: nothing new may start.
    closing: bool,
    /// Every pipe, handshaking or active.
    pipes: KVec<Arc<Pipe>>,
    /// Pipes past the handshake; PAIR has at most one.
    ready: KVec<Arc<Pipe>>,
    /// REQ: the outstanding request, its ids, timer and round robin.
    rq: Requester,
    /// REP: where the reply to the last received request goes.
    current: Option<(KVec<u8>, Arc<Pipe>)>,
    listeners: KVec<Arc<Listener>>,
    dialers: KVec<Arc<Dialer>>,
    /// Received messages, oldest first, with the pipe each came from.
    recvq: MsgQueue<Arc<Pipe>>,
    /// PAIR: messages waiting for the peer pipe.
    sendq: MsgQueue<()>,
    /// Pipes that stopped reading because `recvq` was full; each is kicked
    /// once a message is taken. Its capacity is kept at least that of
    /// `ready`, so that noting a pipe here never allocates.
    stalled: KVec<Arc<Pipe>>,
    /// SUB: the subscriptions.
    subs: Subscriptions,
    stats: Stats,
}

/// Counters behind `SP_STATS` (`struct sp_stats`).
#[derive(Clone, Copy, Default)]
struct Stats {
    tx_msgs: u64,
    rx_msgs: u64,
    tx_dropped: u64,
    rx_dropped: u64,
    pipes_refused: u64,
    pipes_dropped: u64,
}

impl Stats {
    /// The `struct sp_stats` layout: eight native-endian `__u64`s.
    fn to_bytes(self) -> [u8; 64] {
        let mut b = [0u8; 64];
        let v = [
            self.tx_msgs,
            self.rx_msgs,
            self.tx_dropped,
            self.rx_dropped,
            self.pipes_refused,
            self.pipes_dropped,
        ];
        for (i, x) in v.iter().enumerate() {
            b[i * 8..i * 8 + 8].copy_from_slice(&x.to_ne_bytes());
        }
        b
    }
}

impl Inner {
    fn wake(&self, mask: PollMask) {
        if let Some(sk) = &self.sk {
            sk.wake(mask);
        }
    }

    /// Notes that `p` holds a message `recvq` had no room for.
    fn note_stalled(&mut self, p: &Arc<Pipe>) {
        if self.stalled.iter().any(|q| Arc::ptr_eq(p, q)) {
            return;
        }
        // Never fails: `attach` reserved room for every ready pipe. Should
        // it fail anyway, kick the pipe now rather than forget it.
        if let Err(e) = self.stalled.push_within_capacity(p.clone()) {
            e.0.kick();
        }
    }

    /// Room was made in `recvq`: every stalled pipe tries again.
    fn kick_stalled(&mut self) {
        while let Some(p) = self.stalled.pop() {
            p.kick();
        }
    }

    fn peer(&self) -> Option<&Arc<Pipe>> {
        self.ready.first()
    }

    /// REQ: sends the outstanding request on the next ready pipe (see
    /// [`Requester::dispatch`]).
    #[must_use]
    fn dispatch(&mut self) -> Option<Arc<Pipe>> {
        self.rq.dispatch(&self.ready)
    }
}

/// The state of one sp socket.
#[pin_data]
pub struct SpSock {
    pub(crate) pattern: Pattern,
    /// REQ and REP: tasks asleep in `recv()`. While there are any, a
    /// pipe's TCP data wakes them and they read it themselves (see
    /// `Pipe::event`), saving the hop through the pipe's work item.
    pub(crate) readers: AtomicU32,
    /// Bytes the pipes hold in frames not yet queued for the user (partly
    /// received, or waiting for room in `recvq`); bounded by `SO_RCVBUF`.
    held: AtomicUsize,
    /// The one pipe (`Pipe::id`) allowed past that budget, to finish its
    /// frame (0: none), so that pipes with partial frames never deadlock.
    overdraft: AtomicUsize,
    /// A pipe stopped reading for the budget: kick the stalled ones when
    /// bytes are given back.
    budget_stalled: AtomicBool,
    /// `Options::frame_max`, read by the pipes at every frame.
    frame_max: AtomicU64,
    #[pin]
    opts: Mutex<Options>,
    #[pin]
    inner: Mutex<Inner>,
}

/// Maps an option error of the core to its errno.
fn opt_errno(e: options::Error) -> Error {
    match e {
        options::Error::NoProtoOpt => ENOPROTOOPT,
        options::Error::Invalid => EINVAL,
        options::Error::NotSupported => EOPNOTSUPP,
    }
}

fn remove<T>(v: &mut KVec<Arc<T>>, x: &Arc<T>) {
    if let Some(i) = v.iter().position(|y| Arc::ptr_eq(x, y)) {
        let _ = v.remove(i);
    }
}

impl SpSock {
    /// A copy of the socket's options.
    pub(crate) fn opts(&self) -> Options {
        self.opts.lock().clone()
    }

    /// A reference to the sock, unless the socket is closing.
    pub(crate) fn sk(&self) -> Option<SockRef> {
        let g = self.inner.lock();
        if g.closing {
            return None;
        }
        g.sk.clone()
    }

    /// Registers a new pipe; fails once the socket is closing, or with
    /// `ENOBUFS` at `SP_MAXPIPES`.
    pub(crate) fn add_pipe(&self, p: &Arc<Pipe>) -> Result {
        let max = self.opts.lock().maxpipes as usize;
        let mut g = self.inner.lock();
        if g.closing {
            return Err(ESHUTDOWN);
        }
        if g.pipes.len() >= max {
            g.stats.pipes_refused += 1;
            return Err(ENOBUFS);
        }
        g.pipes.push(p.clone(), GFP_KERNEL)?;
        Ok(())
    }

    /// Whether the socket holds `SP_MAXPIPES` pipes.
    pub(crate) fn pipes_full(&self) -> bool {
        let max = self.opts.lock().maxpipes as usize;
        self.inner.lock().pipes.len() >= max
    }

    /// The largest frame a pipe accepts now (`SP_RCVMAXSIZE`).
    pub(crate) fn frame_max(&self) -> u64 {
        self.frame_max.load(Ordering::Relaxed)
    }

    /// A pipe took `n` more bytes out of TCP into a frame.
    pub(crate) fn hold(&self, n: usize) {
        self.held.fetch_add(n, Ordering::Relaxed);
    }

    /// Whether pipe `p` (`id`, holding `own` bytes) may read more from
    /// TCP: it holds less than [`PIPE_ALLOWANCE`] (small messages always
    /// flow, so a peer is served while others fill the budget), the socket
    /// holds less than `SO_RCVBUF` in frames, or `p` has the one overdraft.
    /// Otherwise `p` is noted stalled and kicked once bytes are given back.
    pub(crate) fn may_hold(&self, p: &Arc<Pipe>, id: usize, own: usize) -> bool {
        if own < PIPE_ALLOWANCE {
            return true;
        }
        let budget = p.rcvbuf();
        let room = || {
            self.held.load(Ordering::Acquire) < budget
                || match self.overdraft.compare_exchange(0, id, Ordering::AcqRel, Ordering::Acquire) {
                    Ok(_) => true,
                    Err(x) => x == id,
                }
        };
        if room() {
            return true;
        }
        {
            let mut g = self.inner.lock();
            self.budget_stalled.store(true, Ordering::SeqCst);
            g.note_stalled(p);
        }
        // Bytes given back before we were noted: go on (the note is a
        // spurious kick later).
        room()
    }

    /// Pipe `id` finished a frame: it no longer needs the overdraft.
    pub(crate) fn frame_done(&self, id: usize) {
        if self.overdraft.compare_exchange(id, 0, Ordering::AcqRel, Ordering::Acquire).is_ok() {
            self.kick_budget_stalled();
        }
    }

    /// Pipe `id` gives back `n` held bytes (its frame was queued for the
    /// user, or it closed).
    pub(crate) fn unhold(&self, id: usize, n: usize) {
        if n > 0 {
            self.held.fetch_sub(n, Ordering::AcqRel);
        }
        let _ = self.overdraft.compare_exchange(id, 0, Ordering::AcqRel, Ordering::Acquire);
        if n > 0 {
            self.kick_budget_stalled();
        }
    }

    fn kick_budget_stalled(&self) {
        if self.budget_stalled.load(Ordering::SeqCst) && self.budget_stalled.swap(false, Ordering::SeqCst) {
            self.inner.lock().kick_stalled();
        }
    }

    /// A pipe finished its handshake: make it the peer, or refuse it.
    pub(crate) fn attach(&self, p: &Arc<Pipe>) -> Result {
        let mut g = self.inner.lock();
        if g.closing {
            return Err(ESHUTDOWN);
        }
        // PAIR has one peer at a time, like NNG pair0.
        if self.pattern == Pattern::Pair && !g.ready.is_empty() {
            return Err(EBUSY);
        }
        let want = (g.ready.len() + 1).saturating_sub(g.stalled.len());
        g.stalled.reserve(want, GFP_KERNEL)?;
        g.ready.push(p.clone(), GFP_KERNEL)?;
        if g.rq.req.as_ref().is_some_and(|r| r.pipe.is_none()) {
            // Possibly `p` itself, whose state its caller holds: kick.
            if let Some(q) = g.dispatch() {
                q.kick();
            }
        }
        g.wake(PollMask::WRITABLE);
        Ok(())
    }

    /// A pipe closed: forget it.
    pub(crate) fn detach(&self, p: &Arc<Pipe>) {
        let mut g = self.inner.lock();
        remove(&mut g.pipes, p);
        remove(&mut g.ready, p);
        // REQ: a request on a dead pipe goes out again at once.
        let carried = g.rq.req.as_ref().and_then(|r| r.pipe.as_ref()).is_some_and(|q| Arc::ptr_eq(p, q));
        if carried {
            if let Some(q) = g.dispatch() {
                q.kick();
            }
        }
        // Blocked senders re-check; they may now time out or wait.
        g.wake(PollMask::WRITABLE);
        remove(&mut g.stalled, p);
    }

    /// A pipe received `m`: apply the pattern's rules and queue it.
    pub(crate) fn deliver(&self, p: &Arc<Pipe>, m: Msg) -> Delivery {
        // Read live, so that SP_RCVBUF applies to pipes already up.
        let rcvbuf = self.opts.lock().rcvbuf as usize;
        let item = match self.pattern {
            Pattern::Req => {
                let id = match reqrep::reply_id(&m) {
                    Ok(id) => id,
                    Err(_) => return Delivery::Close(EPROTO),
                };
                let mut g = self.inner.lock();
                // Stale or unknown replies are dropped silently.
                if g.rq.req.as_ref().is_none_or(|r| r.id != id) {
                    return Delivery::Done;
                }
                g.rq.req = None;
                let _ = g.recvq.push(Item {
                    msg: m,
                    pipe: None,
                    hdr: reqrep::WORD,
                });
                g.wake(PollMask::READABLE);
                return Delivery::Done;
            }
            Pattern::Rep => {
                let ttl = self.opts.lock().maxttl;
                match reqrep::split_request(&m, ttl) {
                    Ok(hdr) => Item {
                        msg: m,
                        pipe: Some(p.clone()),
                        hdr,
                    },
                    Err(reqrep::Error::TooManyHops) => return Delivery::Done,
                    Err(reqrep::Error::Malformed) => return Delivery::Close(EPROTO),
                }
            }
            // A SUB sends nothing after its header (NNG pub0 closes it).
            Pattern::Pub => return Delivery::Close(EPROTO),
            Pattern::Sub => {
                let mut g = self.inner.lock();
                if g.closing || !g.subs.matches(&m) {
                    return Delivery::Done;
                }
                // Never stall a publisher: drop the oldest instead.
                let room_bytes = g.sk.as_ref().map_or(0, |sk| sk.rcvbuf());
                while !g.recvq.is_empty()
                    && (g.recvq.len() >= rcvbuf || g.recvq.bytes() + m.len() > room_bytes)
                {
                    g.recvq.pop();
                    g.stats.rx_dropped += 1;
                }
                if g.recvq.push(Item::plain(m)).is_err() {
                    g.stats.rx_dropped += 1;
                    return Delivery::Done;
                }
                g.stats.rx_msgs += 1;
                g.wake(PollMask::READABLE);
                return Delivery::Done;
            }
            _ => Item::plain(m),
        };
        let mut g = self.inner.lock();
        if g.closing {
            return Delivery::Done;
        }
        let room_bytes = g.sk.as_ref().map_or(0, |sk| sk.rcvbuf());
        let fits = g.recvq.len() < rcvbuf
            && (g.recvq.is_empty() || g.recvq.bytes() + item.msg.len() <= room_bytes);
        if !fits {
            g.note_stalled(p);
            return Delivery::Full(item.msg);
        }
        if let Err(item) = g.recvq.push(item) {
            g.note_stalled(p);
            return Delivery::Full(item.msg);
        }
        g.stats.rx_msgs += 1;
        g.wake(PollMask::READABLE);
        Delivery::Done
    }

    /// The next message for pipe `p` to send, if it is the peer.
    pub(crate) fn take_send(&self, p: &Arc<Pipe>) -> Option<Msg> {
        // Only PAIR sends through the socket's queue.
        if self.pattern != Pattern::Pair {
            return None;
        }
        let mut g = self.inner.lock();
        if !g.peer().is_some_and(|q| Arc::ptr_eq(p, q)) {
            return None;
        }
        let m = g.sendq.pop()?;
        g.wake(PollMask::WRITABLE);
        Some(m.msg)
    }

    /// Fails with `ENOBUFS` when the socket has `SP_MAXENDPOINTS`
    /// endpoints, and once it is closing.
    fn endpoint_room(&self, g: &Inner) -> Result {
        if g.closing {
            return Err(ESHUTDOWN);
        }
        let max = self.opts.lock().maxendpoints as usize;
        if g.listeners.len() + g.dialers.len() >= max {
            return Err(ENOBUFS);
        }
        Ok(())
    }

    fn add_listener(&self, l: Arc<Listener>) -> Result {
        let mut g = self.inner.lock();
        self.endpoint_room(&g)?;
        g.listeners.push(l, GFP_KERNEL)?;
        Ok(())
    }

    /// Forgets a dialer whose first attempt the policy refused.
    fn remove_dialer(&self, d: &Arc<Dialer>) {
        d.stop();
        remove(&mut self.inner.lock().dialers, d);
    }

    fn add_dialer(&self, d: Arc<Dialer>) -> Result {
        let mut g = self.inner.lock();
        self.endpoint_room(&g)?;
        g.dialers.push(d, GFP_KERNEL)?;
        Ok(())
    }

    fn send(&self, sk: &SockRef, m: Msg, mut timeo: Timeout) -> Result {
        let sndbuf = self.opts.lock().sndbuf as usize;
        let room = sk.sndbuf();
        let len = m.len();
        // SP_SNDBUF messages, and SO_SNDBUF bytes unless the queue is empty.
        let fits = |q: &MsgQueue<()>| q.len() < sndbuf && (q.is_empty() || q.bytes() + len <= room);
        let mut m = Some(m);
        loop {
            let peer = {
                let mut g = self.inner.lock();
                if g.closing {
                    return Err(EPIPE);
                }
                match (g.peer().cloned(), m.take()) {
                    (Some(p), Some(msg)) if fits(&g.sendq) => {
                        if g.sendq.push(Item::plain(msg)).is_err() {
                            return Err(ENOMEM);
                        }
                        Some(p)
                    }
                    (_, msg) => {
                        m = msg;
                        None
                    }
                }
            };
            if let Some(p) = peer {
                self.inner.lock().stats.tx_msgs += 1;
                p.flush();
                return Ok(());
            }
            sk.wait(&mut timeo, || {
                let g = self.inner.lock();
                g.closing || (!g.ready.is_empty() && fits(&g.sendq))
            })?;
        }
    }

    /// REQ: sends a request (`msg`: room for the request id, then the
    /// payload), abandoning any outstanding one.
    fn send_request(self: &Arc<Self>, mut msg: KVVec<u8>) -> Result {
        let ivl = self.opts.lock().resend_ivl;
        let mut g = self.inner.lock();
        if g.closing {
            return Err(EPIPE);
        }
        // The timer first: a request never goes out without one.
        let timer = match &g.rq.resend {
            Some(t) => t.clone(),
            None => {
                let t = Resend::new(self.clone())?;
                g.rq.resend = Some(t.clone());
                t
            }
        };
        let id = g.rq.ids.next_id();
        msg[..reqrep::WORD].copy_from_slice(&id.to_be_bytes());
        // A reply to the abandoned request must not be mistaken for ours.
        g.recvq.clear();
        g.rq.req = Some(Request {
            id,
            msg: msg.into(),
            pipe: None,
            sent_at: Instant::now(),
        });
        let out = g.dispatch();
        drop(g);
        if let Some(p) = out {
            p.flush();
        }
        timer.arm(ivl);
        Ok(())
    }

    /// REQ: the resend timer fired. Returns the milliseconds until it should
    /// fire again, or `None` when no request is outstanding.
    pub(crate) fn resend_due(&self) -> Option<u32> {
        let ivl = self.opts.lock().resend_ivl;
        let mut g = self.inner.lock();
        if g.closing {
            return None;
        }
        let req = g.rq.req.as_ref()?;
        let age = u32::try_from(req.sent_at.elapsed().as_millis()).unwrap_or(u32::MAX);
        if age < ivl {
            return Some(ivl - age);
        }
        if let Some(q) = g.dispatch() {
            q.kick();
        }
        Some(ivl)
    }

    /// PUB: queues `msg` on every ready pipe; they all share the one body.
    /// Never blocks: a full pipe queue (`SP_SNDBUF`) drops its oldest
    /// message.
    fn publish(&self, sk: &SockRef, msg: KVVec<u8>) -> Result {
        let sndbuf = self.opts.lock().sndbuf as usize;
        let room = sk.sndbuf();
        let mut msg = Msg::from(msg);
        // The subscribers, taken out of the lock: on the stack when few.
        let mut few: [Option<Arc<Pipe>>; 8] = Default::default();
        let mut many = KVec::new();
        let n = {
            let g = self.inner.lock();
            if g.ready.len() <= few.len() {
                for (slot, p) in few.iter_mut().zip(g.ready.iter()) {
                    *slot = Some(p.clone());
                }
            } else {
                many.reserve(g.ready.len(), GFP_KERNEL)?;
                for p in g.ready.iter() {
                    many.push(p.clone(), GFP_KERNEL)?;
                }
            }
            g.ready.len()
        };
        let mut dropped = 0u64;
        for (i, p) in Iterator::chain(few.iter().flatten(), many.iter()).enumerate() {
            let m = if i + 1 == n {
                core::mem::replace(&mut msg, Msg::from(KVVec::new()))
            } else {
                match msg.share() {
                    Ok(m) => m,
                    Err(_) => {
                        dropped += 1;
                        continue;
                    }
                }
            };
            match p.push_out_bounded(m, sndbuf, room) {
                Ok(d) => dropped += d,
                Err(_) => dropped += 1,
            }
            // Written from here unless the pipe is busy.
            p.flush();
        }
        let mut g = self.inner.lock();
        g.stats.tx_msgs += 1;
        g.stats.tx_dropped += dropped;
        Ok(())
    }

    /// SUB: `SP_SUBSCRIBE`/`SP_UNSUBSCRIBE`.
    fn subscribe(&self, topic: &[u8], add: bool) -> Result {
        self.inner.lock().subs.change(topic, add)
    }

    /// A pipe closed: count it as refused (before its handshake ended) or
    /// dropped.
    pub(crate) fn note_closed(&self, refused: bool) {
        let mut g = self.inner.lock();
        if refused {
            g.stats.pipes_refused += 1;
        } else {
            g.stats.pipes_dropped += 1;
        }
    }

    /// REP: sends the reply (`len` bytes from `src`) to the last request
    /// received, behind its backtrace. A pipe whose queue holds `SO_SNDBUF`
    /// bytes (a peer that does not read) makes it wait, as NNG's rep0 does.
    fn send_reply(&self, sk: &SockRef, src: &mut MsgSrc<'_>, len: usize, mut timeo: Timeout) -> Result {
        let (bt, pipe) = self.inner.lock().current.take().ok_or(EINVAL)?;
        let mut msg = match read_user(src, &bt, len) {
            Ok(m) => Some(Msg::from(m)),
            Err(e) => {
                // Nothing was sent: the request still awaits its reply.
                self.inner.lock().current = Some((bt, pipe));
                return Err(e);
            }
        };
        let room = sk.sndbuf();
        let mut queued = false;
        let mut done = || {
            let gone = {
                let g = self.inner.lock();
                g.closing || !g.ready.iter().any(|q| Arc::ptr_eq(q, &pipe))
            };
            // A reply whose pipe is gone is dropped; send() still succeeds.
            // So is one that finds no memory, like a frame TCP loses.
            gone || {
                queued = pipe.push_out_room(&mut msg, room).unwrap_or(true);
                queued
            }
        };
        // The wait queue only when the pipe's queue is full.
        let r = if done() { Ok(()) } else { sk.wait(&mut timeo, &mut done) };
        if let Err(e) = r {
            // Not sent: the request still awaits its reply.
            self.inner.lock().current = Some((bt, pipe));
            return Err(e);
        }
        if queued {
            pipe.flush();
        }
        Ok(())
    }

    fn recv(&self, sk: &SockRef, mut timeo: Timeout) -> Result<Item<Arc<Pipe>>> {
        loop {
            {
                let mut g = self.inner.lock();
                // REP: copy the backtrace before taking the message, so
                // that ENOMEM leaves it queued.
                let current = match g.recvq.front() {
                    Some(it) if self.pattern == Pattern::Rep => match &it.pipe {
                        Some(p) => {
                            let mut bt = KVec::with_capacity(it.hdr, GFP_KERNEL)?;
                            bt.extend_from_slice(&it.msg[..it.hdr], GFP_KERNEL)?;
                            Some((bt, p.clone()))
                        }
                        None => None,
                    },
                    _ => None,
                };
                if let Some(it) = g.recvq.pop() {
                    if current.is_some() {
                        g.current = current;
                    }
                    g.kick_stalled();
                    return Ok(it);
                }
                // REQ: nothing to wait for without a request.
                if self.pattern == Pattern::Req && g.rq.req.is_none() {
                    return Err(EINVAL);
                }
                g.kick_stalled();
            }
            // REQ and REP wait for one message at a time: a reader that
            // reads the TCP data itself saves a context switch per message
            // (measured: a round trip takes 20% less). Streams (PAIR, SUB)
            // leave it to the work item, which batches.
            let pull = matches!(self.pattern, Pattern::Req | Pattern::Rep);
            if pull {
                // Paired with `Pipe::event`: announce the reader before
                // looking for data left to readers.
                self.readers.fetch_add(1, Ordering::SeqCst);
            }
            let woke = sk.wait(&mut timeo, || {
                if pull {
                    self.pull_pipes();
                }
                let g = self.inner.lock();
                !g.recvq.is_empty() || (self.pattern == Pattern::Req && g.rq.req.is_none())
            });
            if pull && self.readers.fetch_sub(1, Ordering::SeqCst) == 1 {
                // The last reader leaves (with a message, a timeout or a
                // signal): data left to readers goes back to the work items.
                let g = self.inner.lock();
                for p in g.ready.iter() {
                    if p.take_rx_wanted() {
                        p.kick();
                    }
                }
            }
            woke?;
        }
    }

    /// Reads, in a blocked reader's context, the pipes whose TCP data was
    /// left to the readers.
    fn pull_pipes(&self) {
        loop {
            let p = {
                let g = self.inner.lock();
                match g.ready.iter().find(|p| p.take_rx_wanted()) {
                    Some(p) => p.clone(),
                    None => return,
                }
            };
            p.pull();
        }
    }

    /// `close()`: linger for queued messages, then tear everything down.
    fn release(&self, sk: SockRef) {
        let linger = sk
            .linger()
            .unwrap_or_else(|| Timeout::from_jiffies(msecs_to_jiffies(DEFAULT_LINGER_MS)));
        if !linger.is_zero() {
            let mut t = linger;
            // Time out or a signal: close anyway.
            let _ = sk.wait(&mut t, || {
                let g = self.inner.lock();
                g.ready.iter().all(|p| !p.tx_busy() && !p.has_out()) && (g.ready.is_empty() || g.sendq.is_empty())
            });
        }
        let (listeners, dialers, pipes, skref, resend) = {
            let mut g = self.inner.lock();
            g.closing = true;
            g.ready.clear();
            g.rq.req = None;
            g.current = None;
            g.stalled.clear();
            g.recvq.clear();
            g.sendq.clear();
            (
                core::mem::take(&mut g.listeners),
                core::mem::take(&mut g.dialers),
                core::mem::take(&mut g.pipes),
                g.sk.take(),
                g.rq.resend.take(),
            )
        };
        if let Some(t) = resend {
            t.stop();
        }
        // Endpoints first, so that no new pipe appears; then the pipes.
        for l in &listeners {
            l.stop();
        }
        for d in &dialers {
            d.stop();
        }
        for p in &pipes {
            p.stop();
        }
        drop(skref);
        drop(sk);
    }
}

// The pipes and endpoints see the socket through these. Each method is
// the inherent one of the same name (inherent methods win the lookup).
impl PipeOwner for SpSock {
    fn opts(&self) -> Options {
        SpSock::opts(self)
    }
    fn sk(&self) -> Option<SockRef> {
        SpSock::sk(self)
    }
    fn proto_ids(&self) -> (u16, u16) {
        (self.pattern.proto_id(), self.pattern.peer_id())
    }
    fn add_pipe(&self, p: &Arc<Pipe>) -> Result {
        SpSock::add_pipe(self, p)
    }
    fn pipes_full(&self) -> bool {
        SpSock::pipes_full(self)
    }
    fn attach(&self, p: &Arc<Pipe>) -> Result {
        SpSock::attach(self, p)
    }
    fn detach(&self, p: &Arc<Pipe>) {
        SpSock::detach(self, p)
    }
    fn deliver(&self, p: &Arc<Pipe>, m: Msg) -> Delivery {
        SpSock::deliver(self, p, m)
    }
    fn take_send(&self, p: &Arc<Pipe>) -> Option<Msg> {
        SpSock::take_send(self, p)
    }
    fn note_closed(&self, refused: bool) {
        SpSock::note_closed(self, refused)
    }
    fn frame_max(&self) -> u64 {
        SpSock::frame_max(self)
    }
    fn has_readers(&self) -> bool {
        self.readers.load(Ordering::SeqCst) > 0
    }
    fn hold(&self, n: usize) {
        SpSock::hold(self, n)
    }
    fn may_hold(&self, p: &Arc<Pipe>, id: usize, own: usize) -> bool {
        SpSock::may_hold(self, p, id, own)
    }
    fn frame_done(&self, id: usize) {
        SpSock::frame_done(self, id)
    }
    fn unhold(&self, id: usize, n: usize) {
        SpSock::unhold(self, id, n)
    }
}

impl ResendOwner for SpSock {
    fn resend_due(&self) -> Option<u32> {
        SpSock::resend_due(self)
    }
}

/// `head` followed by `len` bytes copied from user space, charged to the
/// caller's memory cgroup.
fn read_user(src: &mut MsgSrc<'_>, head: &[u8], len: usize) -> Result<KVVec<u8>> {
    let mut m = KVVec::with_capacity(head.len() + len, msg_gfp())?;
    m.extend_from_slice(head, msg_gfp())?;
    m.resize(head.len() + len, 0, msg_gfp())?;
    src.copy_into(&mut m[head.len()..])?;
    Ok(m)
}

/// Checks the flags of `send()`/`recv()`; `MSG_OOB` and the like are not
/// message-oriented.
fn check_flags(flags: i32, allowed: i32) -> Result {
    // What the socket layer adds itself (sendmmsg(), 32-bit callers) is
    // never the caller's request.
    let flags = flags & !(MSG_BATCH | MSG_CMSG_COMPAT);
    if flags & !allowed != 0 {
        return Err(EOPNOTSUPP);
    }
    Ok(())
}

fn data_arc(d: &Data<'_, SpFamily>) -> Arc<SpSock> {
    (*d).into()
}

/// The `PF_SP` family.
pub struct SpFamily;

#[vtable]
impl Family for SpFamily {
    type OwnerModule = crate::SpModule;
    type Ptr = Arc<SpSock>;
    const FAMILY: i32 = uapi::AF_SP;

    fn create(sock: &Socket, protocol: i32, _kern: bool) -> Result<Self::Ptr> {
        // The same errnos as inet_create(): an unknown type first, then a
        // protocol the type does not speak.
        let pattern = Pattern::from_sock_type(sock.sock_type())
            .filter(|p| p.is_supported())
            .ok_or(ESOCKTNOSUPPORT)?;
        if protocol != 0 && protocol != uapi::IPPROTO_TCP {
            return Err(EPROTONOSUPPORT);
        }
        let sk = sock.sk_ref();
        Arc::pin_init(
            try_pin_init!(SpSock {
                pattern,
                readers: AtomicU32::new(0),
                held: AtomicUsize::new(0),
                overdraft: AtomicUsize::new(0),
                budget_stalled: AtomicBool::new(false),
                frame_max: AtomicU64::new(Options::new().frame_max()),
                opts <- kernel::new_mutex!(Options::new()),
                inner <- kernel::new_mutex!(Inner {
                    sk: Some(sk),
                    closing: false,
                    pipes: KVec::new(),
                    ready: KVec::new(),
                    rq: Requester::new(random_below(u32::MAX)),
                    current: None,
                    listeners: KVec::new(),
                    dialers: KVec::new(),
                    recvq: MsgQueue::new(),
                    sendq: MsgQueue::new(),
                    stalled: KVec::new(),
                    subs: Subscriptions::new(),
                    stats: Stats::default(),
                }),
            }),
            GFP_KERNEL,
        )
    }

    fn release(data: Data<'_, Self>, sock: &Socket) {
        data.release(sock.sk_ref());
    }

    fn bind(data: Data<'_, Self>, _sock: &Socket, addr: &SockAddr) -> Result {
        let sk = data.sk().ok_or(EBADF)?;
        // Checked again when it is added; this saves making a listener.
        data.endpoint_room(&data.inner.lock())?;
        let owner: Arc<dyn PipeOwner> = data_arc(&data);
        let l = Listener::start(&owner, &sk, addr)?;
        data.add_listener(l.clone()).inspect_err(|_| l.stop())
    }

    fn connect(data: Data<'_, Self>, _sock: &Socket, addr: &SockAddr, _flags: i32) -> Result {
        // Like nn_connect(): the dialer keeps trying in the background.
        let owner: Arc<dyn PipeOwner> = data_arc(&data);
        let d = Dialer::new(&owner, addr)?;
        data.add_dialer(d.clone())?;
        d.start().inspect_err(|_| data.remove_dialer(&d))
    }

    fn getname(data: Data<'_, Self>, _sock: &Socket, peer: bool) -> Result<SockAddr> {
        if peer {
            return Err(ENOTCONN);
        }
        let g = data.inner.lock();
        match g.listeners.first() {
            Some(l) => Ok(*l.addr()),
            None => SockAddr::parse(&[2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
        }
    }

    fn sendmsg(data: Data<'_, Self>, sock: &Socket, msg: &mut MsgSrc<'_>, len: usize) -> Result<usize> {
        let flags = msg.flags();
        check_flags(flags, MSG_DONTWAIT | MSG_NOSIGNAL | MSG_EOR | MSG_MORE)?;
        if !matches!(data.pattern, Pattern::Pair | Pattern::Req | Pattern::Rep | Pattern::Pub) {
            return Err(EOPNOTSUPP);
        }
        if len > SEND_MAX {
            return Err(EMSGSIZE);
        }
        // The one copy of the payload: into a buffer with room for the
        // pattern's header, which the queues then share.
        match data.pattern {
            Pattern::Req => {
                let m = read_user(msg, &[0; reqrep::WORD], len)?;
                data_arc(&data).send_request(m)?
            }
            Pattern::Rep => {
                let sk = sock.sk_ref();
                data.send_reply(&sk, msg, len, sock.sndtimeo(flags & MSG_DONTWAIT != 0))?
            }
            Pattern::Pub => data.publish(&sock.sk_ref(), read_user(msg, &[], len)?)?,
            _ => {
                let m = read_user(msg, &[], len)?;
                let sk = sock.sk_ref();
                data.send(&sk, m.into(), sock.sndtimeo(flags & MSG_DONTWAIT != 0))?;
            }
        }
        Ok(len)
    }

    fn recvmsg(
        data: Data<'_, Self>,
        sock: &Socket,
        msg: &mut MsgDst<'_>,
        len: usize,
        flags: i32,
    ) -> Result<usize> {
        check_flags(flags, MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC | MSG_WAITALL)?;
        if !matches!(data.pattern, Pattern::Pair | Pattern::Req | Pattern::Rep | Pattern::Sub) {
            return Err(EOPNOTSUPP);
        }
        let sk = sock.sk_ref();
        let it = data.recv(&sk, sock.rcvtimeo(flags & MSG_DONTWAIT != 0))?;
        let m = it.payload();
        let n = m.len().min(len);
        msg.copy_from(&m[..n])?;
        if n < m.len() {
            msg.set_truncated();
        }
        // As for datagrams: MSG_TRUNC asks for the real length.
        Ok(if flags & MSG_TRUNC != 0 { m.len() } else { n })
    }

    fn setsockopt(
        data: Data<'_, Self>,
        _sock: &Socket,
        level: i32,
        name: i32,
        val: &[u8],
    ) -> Result {
        if level != uapi::SOL_SP {
            return Err(ENOPROTOOPT);
        }
        if data.pattern == Pattern::Sub
            && (name == uapi::opt::SUBSCRIBE || name == uapi::opt::UNSUBSCRIBE)
        {
            return data.subscribe(val, name == uapi::opt::SUBSCRIBE);
        }
        let mut o = data.opts.lock();
        o.set(data.pattern, name, val).map_err(opt_errno)?;
        data.frame_max.store(o.frame_max(), Ordering::Relaxed);
        Ok(())
    }

    fn getsockopt(
        data: Data<'_, Self>,
        _sock: &Socket,
        level: i32,
        name: i32,
        out: &mut [u8],
    ) -> Result<usize> {
        if level != uapi::SOL_SP {
            return Err(ENOPROTOOPT);
        }
        if name == uapi::opt::STATS {
            let b = data.inner.lock().stats.to_bytes();
            let n = out.len().min(b.len());
            out[..n].copy_from_slice(&b[..n]);
            return Ok(n);
        }
        data.opts
            .lock()
            .get(data.pattern, name, out)
            .map_err(opt_errno)
    }

    fn poll(data: Data<'_, Self>, sock: &Socket) -> PollMask {
        let sndbuf = data.opts.lock().sndbuf as usize;
        let room = sock.sk_ref().sndbuf();
        let g = data.inner.lock();
        let mut mask = PollMask::NONE;
        if !g.recvq.is_empty() {
            mask = mask.union(PollMask::READABLE);
        }
        let writable = match data.pattern {
            Pattern::Req | Pattern::Pub => true,
            Pattern::Sub => false,
            // A reply fits unless the peer stopped reading.
            Pattern::Rep => g.current.as_ref().is_some_and(|(_, p)| p.has_room(1, room)),
            _ => !g.ready.is_empty() && g.sendq.len() < sndbuf && (g.sendq.is_empty() || g.sendq.bytes() < room),
        };
        if writable {
            mask = mask.union(PollMask::WRITABLE);
        }
        mask
    }
}
