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
//! What differs per protocol is behind [`Proto`] (`sp/pattern/`): the
//! socket calls its hooks with `inner` held and carries out what they
//! return once the lock is dropped (see [`crate::pattern`]).

use crate::device::{Device, DeviceEnd};
use crate::endpoint::{Dialer, Listener};
use crate::net::addr::SockAddr;
use crate::net::diag::DiagMsg;
use crate::net::family::{with_fd, Data, Family, Shutdown, SIOCINQ, SIOCOUTQ};
use crate::net::msg::{
    MsgDst, MsgSrc, MSG_BATCH, MSG_CMSG_CLOEXEC, MSG_CMSG_COMPAT, MSG_DONTWAIT, MSG_EOR, MSG_MORE,
    MSG_NOSIGNAL, MSG_PEEK, MSG_TRUNC, MSG_WAITALL,
};
use crate::net::random;
use crate::net::socket::{sigpipe, PollMask, SockRef, Socket, Timeout};
use crate::net::stream::{IPPROTO_IPV6, IPV6_V6ONLY, SCM_CREDENTIALS, SOL_SOCKET, SO_PASSCRED};
use crate::pattern::{Core, Out, Proto, Stats};
use crate::pipe::{Delivery, Pipe, PipeOwner};
use crate::proto::inet::{split_packed, Inet, UnixName};
use crate::proto::options::{self, Options};
use crate::proto::pattern::Pattern;
use crate::proto::uapi;
use crate::queue::{msg_gfp, Item, Msg, TxBytes};
use crate::timer::{Timer, TimerOwner};
use crate::transport::Kind;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use kernel::prelude::*;
use kernel::seq_file::SeqFile;
use kernel::sync::{Arc, Mutex};
use kernel::time::msecs_to_jiffies;

/// `SpSock::reader_cpu` before any `recv()`.
const NO_CPU: u32 = u32::MAX;

/// Linger time on `close()` when `SO_LINGER` is off, in milliseconds.
const DEFAULT_LINGER_MS: u32 = 1000;

/// Bytes of partly received frames a pipe may hold whatever the socket's
/// budget: with `SP_MAXPIPES` (1024) pipes, 16 MiB at most.
const PIPE_ALLOWANCE: usize = 16 * 1024;

/// The largest message `send()` accepts (`EMSGSIZE` beyond).
const SEND_MAX: usize = 1 << 30;

/// The mutable state of an sp socket.
pub(crate) struct Inner {
    /// What every protocol acts on: ready pipes, receive queue, counters.
    core: Core,
    /// The protocol and its state.
    proto: Proto,
    /// Every pipe, handshaking or active.
    pipes: KVec<Arc<Pipe>>,
    listeners: KVec<Arc<Listener>>,
    dialers: KVec<Arc<Dialer>>,
    /// The protocol timer, made on first use.
    timer: Option<Arc<Timer>>,
    /// Pipes whose writing waits for the end of a `sendmmsg()` batch
    /// (`MSG_BATCH`, or `MSG_MORE`), so that one write carries its frames.
    batched: KVec<Arc<Pipe>>,
    /// The in-kernel device this raw socket is an end of (`SP_DEVICE`).
    device: Option<Arc<Device>>,
    /// `SP_SCTP_ADDRS`: the extra local addresses of the SCTP endpoints
    /// made from now on.
    sctp_addrs: KVec<SockAddr>,
}

/// The state of one sp socket.
#[pin_data]
pub(crate) struct SpSock {
    pub(crate) pattern: Pattern,
    /// What IP addresses carry: TCP (0, `IPPROTO_TCP`) or SCTP.
    protocol: i32,
    /// `SP_RAW`: no pattern state; headers travel in `SP_HDR` cmsgs.
    raw: AtomicBool,
    /// Taken while the socket joins a device, so that it joins one.
    linking: AtomicBool,
    /// REQ and REP: tasks asleep in `recv()`. While there are any, a
    /// pipe's TCP data wakes them and they read it themselves (see
    /// `Pipe::event`), saving the hop through the pipe's work item.
    pub(crate) readers: AtomicU32,
    /// See `PipeOwner::home_cpu`; `NO_CPU` until the first `recv()`.
    reader_cpu: AtomicU32,
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
    /// The bytes the pipes' own send queues hold (`Core::send_budget`).
    tx: Arc<TxBytes>,
    #[pin]
    opts: Mutex<Options>,
    #[pin]
    inner: Mutex<Inner>,
}

impl Inner {
    /// The bytes queued to send, not yet taken to be written to TCP: what
    /// `SO_SNDBUF` bounds (`SIOCOUTQ`).
    fn unsent(&self) -> usize {
        self.proto.unsent_bytes() + self.core.pipes_unsent()
    }
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
        if g.core.closing {
            return None;
        }
        g.core.sk.clone()
    }

    /// Registers a new pipe; fails once the socket is closing, or with
    /// `ENOBUFS` at `SP_MAXPIPES`.
    pub(crate) fn add_pipe(&self, p: &Arc<Pipe>) -> Result {
        let max = self.opts.lock().maxpipes as usize;
        let mut g = self.inner.lock();
        if g.core.closing {
            return Err(ESHUTDOWN);
        }
        if g.pipes.len() >= max {
            g.core.stats.pipes_refused += 1;
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
                || match self
                    .overdraft
                    .compare_exchange(0, id, Ordering::AcqRel, Ordering::Acquire)
                {
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
            g.core.note_stalled(p);
        }
        // Bytes given back before we were noted: go on (the note is a
        // spurious kick later).
        room()
    }

    /// Pipe `id` finished a frame: it no longer needs the overdraft.
    pub(crate) fn frame_done(&self, id: usize) {
        if self
            .overdraft
            .compare_exchange(id, 0, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            self.kick_budget_stalled();
        }
    }

    /// Pipe `id` gives back `n` held bytes (its frame was queued for the
    /// user, or it closed).
    pub(crate) fn unhold(&self, id: usize, n: usize) {
        if n > 0 {
            self.held.fetch_sub(n, Ordering::AcqRel);
        }
        let _ = self
            .overdraft
            .compare_exchange(id, 0, Ordering::AcqRel, Ordering::Acquire);
        if n > 0 {
            self.kick_budget_stalled();
        }
    }

    fn kick_budget_stalled(&self) {
        if self.budget_stalled.load(Ordering::SeqCst)
            && self.budget_stalled.swap(false, Ordering::SeqCst)
        {
            self.inner.lock().core.kick_stalled();
        }
    }

    /// A pipe finished its handshake: make it a peer, or refuse it.
    ///
    /// Lock context: `p`'s state lock held.
    pub(crate) fn attach(&self, p: &Arc<Pipe>) -> Result {
        let mut g = self.inner.lock();
        let Inner { core, proto, .. } = &mut *g;
        if core.closing {
            return Err(ESHUTDOWN);
        }
        proto.admit(core)?;
        let want = (core.ready.len() + 1).saturating_sub(core.stalled.len());
        core.stalled.reserve(want, GFP_KERNEL)?;
        core.ready.push(p.clone(), GFP_KERNEL)?;
        proto.attached(core, p);
        // A PAIR's one peer is what SO_PEERCRED names (an IPC peer's).
        if self.pattern == Pattern::Pair {
            if let Some(sk) = &core.sk {
                sk.set_peer(p.peer_cred());
            }
        }
        core.wake(PollMask::WRITABLE);
        Ok(())
    }

    /// A pipe closed: forget it.
    ///
    /// Lock context: `p`'s state lock held, or none.
    pub(crate) fn detach(&self, p: &Arc<Pipe>) {
        let mut g = self.inner.lock();
        remove(&mut g.pipes, p);
        let Inner { core, proto, .. } = &mut *g;
        let was_ready = core.is_ready(p);
        remove(&mut core.ready, p);
        if was_ready {
            proto.detached(core, p);
            if self.pattern == Pattern::Pair {
                if let Some(sk) = &core.sk {
                    sk.set_peer(None);
                }
            }
        }
        // Blocked senders re-check; they may now time out or wait.
        core.wake(PollMask::WRITABLE);
        remove(&mut core.stalled, p);
    }

    /// A pipe received `m`: the protocol routes, queues or drops it.
    ///
    /// Lock context: `p`'s state lock held.
    pub(crate) fn deliver(&self, p: &Arc<Pipe>, m: Msg) -> Delivery {
        // Read live, so that SP_RCVBUF applies to pipes already up.
        let o = self.opts();
        let mut g = self.inner.lock();
        let Inner { core, proto, .. } = &mut *g;
        if core.closing {
            return Delivery::Done;
        }
        proto.deliver(core, p, m, &o)
    }

    /// The next message for pipe `p` to send from the socket's queue.
    ///
    /// Lock context: `p`'s state lock held.
    pub(crate) fn take_send(&self, p: &Arc<Pipe>) -> Option<Msg> {
        // Every frame a pipe finishes asks: the lock only where there is
        // a socket queue.
        if !self.queues_sends() {
            return None;
        }
        let mut g = self.inner.lock();
        let Inner { core, proto, .. } = &mut *g;
        proto.take_send(core, p)
    }

    /// Whether sends wait in the socket's own queue: PAIR, PUSH, raw REQ.
    fn queues_sends(&self) -> bool {
        self.pattern.queues_sends()
            || (self.pattern == Pattern::Req && self.raw.load(Ordering::Relaxed))
    }

    /// `IPV6_V6ONLY` (level `IPPROTO_IPV6`), as for a TCP socket: any
    /// non-zero `int` is 1, and only before the first `bind()` or
    /// `connect()` (`EINVAL` after, as `inet6` gives once bound).
    fn set_v6only(&self, val: &[u8]) -> Result {
        let v = match val.get(..4) {
            Some(b) => i32::from_ne_bytes([b[0], b[1], b[2], b[3]]) != 0,
            None => return Err(EINVAL),
        };
        let g = self.inner.lock();
        if !g.listeners.is_empty() || !g.dialers.is_empty() {
            return Err(EINVAL);
        }
        self.opts.lock().v6only = Some(v);
        Ok(())
    }

    /// The transport of an endpoint at `addr`, and (SCTP) the extra local
    /// addresses it binds (`SP_SCTP_ADDRS`).
    fn transport_of(&self, addr: &SockAddr) -> Result<(Kind, KVec<SockAddr>)> {
        let kind = Kind::of(addr, self.protocol);
        let mut extra = KVec::new();
        if kind == Kind::Sctp {
            let g = self.inner.lock();
            extra.reserve(g.sctp_addrs.len(), msg_gfp())?;
            for a in &g.sctp_addrs {
                extra.push(*a, msg_gfp())?;
            }
        }
        Ok((kind, extra))
    }

    /// `SP_SCTP_ADDRS`: a packed array of `sockaddr_in`/`sockaddr_in6`
    /// (see `uapi/linux/sp.h`), on a socket made with `IPPROTO_SCTP`.
    fn set_sctp_addrs(&self, val: &[u8]) -> Result {
        if self.protocol != uapi::IPPROTO_SCTP {
            return Err(ENOPROTOOPT);
        }
        let (ranges, n) = split_packed(val).ok_or(EINVAL)?;
        // At most 8 of them, charged to the caller's memcg.
        let mut v = KVec::with_capacity(n, msg_gfp())?;
        for &(a, b) in &ranges[..n] {
            v.push(SockAddr::parse(&val[a..b])?, msg_gfp())?;
        }
        self.inner.lock().sctp_addrs = v;
        Ok(())
    }

    /// `SP_SCTP_ADDRS` read back: the packed array, `EINVAL` if `out`
    /// cannot hold it.
    fn get_sctp_addrs(&self, out: &mut [u8]) -> Result<usize> {
        if self.protocol != uapi::IPPROTO_SCTP {
            return Err(ENOPROTOOPT);
        }
        let g = self.inner.lock();
        let mut n = 0;
        for a in &g.sctp_addrs {
            let b = a.as_bytes();
            out.get_mut(n..n + b.len())
                .ok_or(EINVAL)?
                .copy_from_slice(b);
            n += b.len();
        }
        Ok(n)
    }

    /// `SP_RAW`: switches the socket's mode, before it has any endpoint or
    /// has sent anything (`EISCONN`).
    fn set_raw(&self, val: &[u8]) -> Result {
        let on = match val
            .get(..4)
            .map(|b| i32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
        {
            Some(0) => false,
            Some(1) => true,
            _ => return Err(EINVAL),
        };
        let mut g = self.inner.lock();
        if g.core.closing {
            return Err(ESHUTDOWN);
        }
        if !g.listeners.is_empty()
            || !g.dialers.is_empty()
            || !g.pipes.is_empty()
            || g.core.stats.tx_msgs != 0
            || self.linking.load(Ordering::Acquire)
        {
            return Err(EISCONN);
        }
        g.proto = match on {
            true => Proto::new_raw(self.pattern),
            false => Proto::new(self.pattern, random::below(u32::MAX)),
        };
        self.raw.store(on, Ordering::Relaxed);
        Ok(())
    }

    /// Fails with `ENOBUFS` when the socket has `SP_MAXENDPOINTS`
    /// endpoints, and once it is closing.
    fn endpoint_room(&self, g: &Inner) -> Result {
        if g.core.closing {
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

    /// Writes out what a hook asked for, with the lock dropped; for a
    /// message with more to follow (`batch`), only once they are queued.
    fn carry_out(self: &Arc<Self>, out: Out, batch: bool) {
        if !batch {
            return self.carry_out_now(out);
        }
        for p in out.pipes() {
            if !self.defer(p) {
                p.flush();
            }
        }
        if let Some(ms) = out.arm {
            if let Some(t) = self.inner.lock().timer.clone() {
                t.arm(ms);
            }
        }
    }

    /// Leaves `p` to be written once the messages that follow are queued;
    /// false when it must be written now.
    fn defer(&self, p: &Arc<Pipe>) -> bool {
        if !p.defer() {
            // Already waiting for the batch's end.
            return true;
        }
        let mut g = self.inner.lock();
        if g.core.closing || g.batched.push(p.clone(), GFP_KERNEL).is_err() {
            p.undefer();
            return false;
        }
        true
    }

    /// Writes out the pipes that waited for the end of a batch.
    fn flush_batched(&self) {
        let pipes = {
            let mut g = self.inner.lock();
            if g.batched.is_empty() {
                return;
            }
            core::mem::take(&mut g.batched)
        };
        for p in &pipes {
            p.undefer();
            p.flush();
        }
    }

    /// `send()` of `len` bytes from `src`: the protocol says what goes
    /// before the payload, then takes the message or says to wait. With
    /// `batch` (more messages follow), the pipes are written when a
    /// message without it comes, or when a send fails.
    ///
    /// Lock context: none; sleeps.
    fn send(
        self: &Arc<Self>,
        sk: &SockRef,
        src: &mut MsgSrc<'_>,
        len: usize,
        timeo: Timeout,
        batch: bool,
    ) -> Result {
        let r = self.send_one(sk, src, len, timeo, batch);
        if !batch || r.is_err() {
            self.flush_batched();
        }
        r
    }

    fn send_one(
        self: &Arc<Self>,
        sk: &SockRef,
        src: &mut MsgSrc<'_>,
        len: usize,
        mut timeo: Timeout,
        batch: bool,
    ) -> Result {
        let o = self.opts();
        let t = {
            let mut g = self.inner.lock();
            if g.core.closing || g.core.shut_wr {
                return Err(EPIPE);
            }
            // The timer first: a request never goes out without one.
            if g.proto.uses_timer() && g.timer.is_none() {
                let owner: Arc<dyn TimerOwner> = self.clone();
                g.timer = Some(Timer::new(owner)?);
            }
            let raw = match self.raw.load(Ordering::Relaxed) {
                true => Some(src.sp_header()?.unwrap_or(&[])),
                false if src.sp_header()?.is_some() => return Err(EINVAL),
                false => None,
            };
            let Inner { core, proto, .. } = &mut *g;
            proto.begin_send(core, raw)?
        };
        // The one copy of the payload: into a buffer with room for the
        // pattern's header, which the queues then share.
        let mut m = match read_user(src, &t.head, t.pad, len) {
            Ok(m) => Some(Msg::from(m)),
            Err(e) => {
                self.inner.lock().proto.abort_send(t);
                return Err(e);
            }
        };
        loop {
            let out = {
                let mut g = self.inner.lock();
                let Inner { core, proto, .. } = &mut *g;
                if core.closing || core.shut_wr {
                    proto.abort_send(t);
                    return Err(EPIPE);
                }
                proto.send(core, &t, &mut m, &o)
            };
            match out {
                Ok(Some(out)) => {
                    self.carry_out(out, batch);
                    return Ok(());
                }
                Ok(None) => {}
                Err(e) => {
                    self.inner.lock().proto.abort_send(t);
                    return Err(e);
                }
            }
            let woke = sk.wait(&mut timeo, || {
                let g = self.inner.lock();
                g.core.closing || g.core.shut_wr || g.proto.can_send(&g.core, Some(&t), len, &o)
            });
            if let Err(e) = woke {
                self.inner.lock().proto.abort_send(t);
                return Err(e);
            }
        }
    }

    /// The protocol timer fired: the protocol acts on it.
    pub(crate) fn timer_fired(&self) -> Option<u32> {
        let o = self.opts();
        let mut g = self.inner.lock();
        let Inner { core, proto, .. } = &mut *g;
        if core.closing {
            return None;
        }
        proto.timer(core, &o)
    }

    /// A pipe closed: count it as refused (before its handshake ended) or
    /// dropped.
    pub(crate) fn note_closed(&self, refused: bool) {
        let mut g = self.inner.lock();
        if refused {
            g.core.stats.pipes_refused += 1;
        } else {
            g.core.stats.pipes_dropped += 1;
        }
    }

    /// `recv()`: the protocol's next message, waiting for one up to
    /// `timeo` (and a survey's deadline).
    ///
    /// Lock context: none; sleeps.
    fn recv(
        &self,
        sk: &SockRef,
        mut timeo: Timeout,
        peek: bool,
    ) -> Result<Option<Item<Arc<Pipe>>>> {
        let pull = self.pattern.pulls();
        if self.pattern.drops_received() {
            // A hint: the task may move, and then its next recv() says so.
            let cpu = kernel::cpu::CpuId::current().as_u32();
            if self.reader_cpu.load(Ordering::Relaxed) != cpu {
                self.reader_cpu.store(cpu, Ordering::Relaxed);
            }
        }
        loop {
            let deadline = {
                let mut g = self.inner.lock();
                let Inner { core, proto, .. } = &mut *g;
                let r = if peek {
                    proto.peek(core)
                } else {
                    let r = proto.recv(core);
                    core.kick_stalled();
                    r
                };
                if let Some(it) = r? {
                    return Ok(Some(it));
                }
                // Shut for reading, and nothing left: the end, as for a
                // datagram socket.
                if core.shut_rd {
                    return Ok(None);
                }
                proto.recv_deadline(core)
            };
            // The request-reply patterns wait for one message at a time: a
            // reader that reads the TCP data itself saves a context switch
            // per message (measured: a round trip takes 20% less). Streams
            // leave it to the work item, which batches.
            if pull {
                // Paired with `Pipe::event`: announce the reader before
                // looking for data left to readers.
                self.readers.fetch_add(1, Ordering::SeqCst);
            }
            let (mut t, capped) = match deadline {
                Some(ms) => timeo.at_most(msecs_to_jiffies(u32::try_from(ms).unwrap_or(u32::MAX))),
                None => (timeo, false),
            };
            let before = t;
            let woke = sk.wait(&mut t, || {
                if pull {
                    self.pull_pipes();
                }
                let g = self.inner.lock();
                g.core.shut_rd || g.proto.recv_ready(&g.core)
            });
            timeo.spend(before, t);
            if pull && self.readers.fetch_sub(1, Ordering::SeqCst) == 1 {
                // The last reader leaves (with a message, a timeout or a
                // signal): data left to readers goes back to the work items.
                let g = self.inner.lock();
                for p in g.core.ready.iter() {
                    if p.take_rx_wanted() {
                        p.kick();
                    }
                }
            }
            match woke {
                // The deadline, not the caller's timeout: the protocol says.
                Err(e) if e == EAGAIN && capped => {}
                r => r?,
            }
        }
    }

    /// Reads, in a blocked reader's context, the pipes whose TCP data was
    /// left to the readers.
    fn pull_pipes(&self) {
        loop {
            let p = {
                let g = self.inner.lock();
                match g.core.ready.iter().find(|p| p.take_rx_wanted()) {
                    Some(p) => p.clone(),
                    None => return,
                }
            };
            p.pull();
        }
    }

    /// [`SpSock::carry_out`] of a message that ends any batch.
    fn carry_out_now(&self, out: Out) {
        for p in out.pipes() {
            p.flush();
        }
        if let Some(ms) = out.arm {
            if let Some(t) = self.inner.lock().timer.clone() {
                t.arm(ms);
            }
        }
    }

    /// `SP_DEVICE`: links this raw socket with the one behind `fd` (itself,
    /// for a BUS reflector), or unlinks it (`fd` -1).
    fn set_device(self: &Arc<Self>, sock: &Socket, val: &[u8]) -> Result {
        let fd = match val.get(..4) {
            Some(b) => i32::from_ne_bytes([b[0], b[1], b[2], b[3]]),
            None => return Err(EINVAL),
        };
        if fd == -1 {
            let d = self.inner.lock().device.clone().ok_or(ENOENT)?;
            d.unlink();
            return Ok(());
        }
        // The other socket's file is held until the link is in place, so
        // that its release, which unlinks, comes after.
        with_fd::<SpFamily, ()>(fd, |other, os| self.link(sock, (&other, os)))
    }

    fn link(self: &Arc<Self>, sock: &Socket, (other, os): (&Arc<SpSock>, &Socket)) -> Result {
        let same = Arc::ptr_eq(self, other);
        if !self.raw.load(Ordering::Relaxed) || !other.raw.load(Ordering::Relaxed) {
            return Err(EINVAL);
        }
        // Only a BUS reflects onto itself. The other socket must be of the
        // type this one's peers are, as `nng_device()` checks.
        if same && self.pattern != Pattern::Bus {
            return Err(EINVAL);
        }
        if self.pattern.peer_id() != other.pattern.proto_id() {
            return Err(EPROTOTYPE);
        }
        if self.linking.swap(true, Ordering::AcqRel) {
            return Err(EBUSY);
        }
        if !same && other.linking.swap(true, Ordering::AcqRel) {
            self.linking.store(false, Ordering::Release);
            return Err(EBUSY);
        }
        let (a, b): (Arc<dyn DeviceEnd>, Arc<dyn DeviceEnd>) = (self.clone(), other.clone());
        let r = Device::link((a, sock), (b, os), same).and_then(|d| {
            for s in [self, other] {
                let mut g = s.inner.lock();
                if g.core.closing {
                    drop(g);
                    d.unlink();
                    return Err(ESHUTDOWN);
                }
                g.device = Some(d.clone());
            }
            Ok(())
        });
        if r.is_err() {
            self.linking.store(false, Ordering::Release);
            other.linking.store(false, Ordering::Release);
        }
        r
    }

    /// `close()`: linger for queued messages, then tear everything down.
    fn release(&self, sk: SockRef) {
        // First off the device, whose hooks are on this socket's queue.
        let dev = self.inner.lock().device.clone();
        if let Some(d) = dev {
            d.unlink();
        }
        self.flush_batched();
        let linger = sk
            .linger()
            .unwrap_or_else(|| Timeout::from_jiffies(msecs_to_jiffies(DEFAULT_LINGER_MS)));
        if !linger.is_zero() {
            let mut t = linger;
            // Time out or a signal: close anyway.
            let _ = sk.wait(&mut t, || {
                let g = self.inner.lock();
                let ready = &g.core.ready;
                ready.iter().all(|p| !p.tx_busy() && !p.has_out())
                    && (ready.is_empty() || !g.proto.unsent())
            });
        }
        let (listeners, dialers, pipes, skref, timer) = {
            let mut g = self.inner.lock();
            g.core.closing = true;
            g.batched.clear();
            g.core.ready.clear();
            g.proto.clear();
            g.core.stalled.clear();
            g.core.recvq.clear();
            (
                core::mem::take(&mut g.listeners),
                core::mem::take(&mut g.dialers),
                core::mem::take(&mut g.pipes),
                g.core.sk.take(),
                g.timer.take(),
            )
        };
        if let Some(t) = timer {
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
    fn has_send(&self) -> bool {
        self.queues_sends() && self.inner.lock().proto.unsent()
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
    fn home_cpu(&self) -> Option<u32> {
        // Only where a full queue drops: a sender that never waits (a PUB
        // on loopback) keeps its CPU, and a work item queued there runs
        // late and in bursts that overflow the queue (PUB->1 SUB, 64 B,
        // one boot, two modules interleaved: 0.40x TCP queued locally,
        // 0.75x at home). Where the reader pushes back it paces the
        // sender, and sharing the reader's CPU costs more (PAIR stream
        // 0.86x -> 0.74x; 8 REQs of one REP 16.2k -> 14.0k/s).
        if !self.pattern.drops_received() {
            return None;
        }
        let cpu = self.reader_cpu.load(Ordering::Relaxed);
        (cpu != NO_CPU).then_some(cpu)
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
    fn tx_bytes(&self) -> Arc<TxBytes> {
        self.tx.clone()
    }
    fn unhold(&self, id: usize, n: usize) {
        SpSock::unhold(self, id, n)
    }
}

impl TimerOwner for SpSock {
    fn timer_fired(&self) -> Option<u32> {
        SpSock::timer_fired(self)
    }
}

/// `head`, `pad` zero bytes, then `len` bytes copied from user space,
/// charged to the caller's memory cgroup.
impl DeviceEnd for SpSock {
    fn can_recv(&self) -> bool {
        self.pattern.receives()
    }

    fn can_send(&self) -> bool {
        self.pattern.sends()
    }

    fn take(&self) -> Option<(KVec<u8>, Msg, usize)> {
        let mut g = self.inner.lock();
        let Inner { core, proto, .. } = &mut *g;
        if core.closing {
            return None;
        }
        let it = core.recvq.pop()?;
        core.kick_stalled();
        let h = Self::raw_header(proto, &it).ok()?;
        Some((h, it.msg, it.hdr))
    }

    fn put(&self, hdr: &[u8], body: &[u8]) -> Result<bool> {
        // The device's work runs in a kworker: the copy is charged to
        // this socket's memcg, as a user's send would be.
        let sk = self.sk().ok_or(EPIPE)?;
        sk.charged(|| self.put_charged(hdr, body))
    }

    fn unlinked(&self) {
        let d = self.inner.lock().device.take();
        self.linking.store(false, Ordering::Release);
        drop(d);
    }
}

impl SpSock {
    /// The SP header of received message `it` of a raw socket, as
    /// `recvmsg()` and a device pass it on: the pipe id, if the pattern
    /// has one, then the backtrace.
    fn raw_header(proto: &Proto, it: &Item<Arc<Pipe>>) -> Result<KVec<u8>> {
        let (id, n) = proto.raw_header(it);
        let words = it.msg.get(..n).unwrap_or(&[]);
        let mut h = KVec::with_capacity(words.len() + 4, GFP_KERNEL)?;
        if let Some(id) = id {
            h.extend_from_slice(&id.to_be_bytes(), GFP_KERNEL)?;
        }
        h.extend_from_slice(words, GFP_KERNEL)?;
        Ok(h)
    }

    /// [`DeviceEnd::put`], in the socket's memcg.
    fn put_charged(&self, hdr: &[u8], body: &[u8]) -> Result<bool> {
        let o = self.opts();
        let t = {
            let mut g = self.inner.lock();
            let Inner { core, proto, .. } = &mut *g;
            if core.closing {
                return Err(EPIPE);
            }
            proto
                .begin_send(core, Some(hdr))
                .inspect_err(|_| core.stats.tx_dropped += 1)?
        };
        let at = t.head.len() + t.pad;
        let mut v = KVVec::with_capacity(at + body.len(), msg_gfp())?;
        v.extend_from_slice(&t.head, msg_gfp())?;
        v.resize(at, 0, msg_gfp())?;
        v.extend_from_slice(body, msg_gfp())?;
        let mut m = Some(Msg::from(v));
        let out = {
            let mut g = self.inner.lock();
            let Inner { core, proto, .. } = &mut *g;
            let r = proto.send(core, &t, &mut m, &o);
            if !matches!(r, Ok(Some(_))) {
                proto.abort_send(t);
            }
            if r.is_err() {
                core.stats.tx_dropped += 1;
            }
            r
        };
        match out? {
            Some(out) => {
                self.carry_out_now(out);
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

fn read_user(src: &mut MsgSrc<'_>, head: &[u8], pad: usize, len: usize) -> Result<KVVec<u8>> {
    let at = head.len() + pad;
    let mut m = KVVec::with_capacity(at + len, msg_gfp())?;
    m.extend_from_slice(head, msg_gfp())?;
    m.resize(at + len, 0, msg_gfp())?;
    src.copy_into(&mut m[at..])?;
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
pub(crate) struct SpFamily;

/// The text form of `a`, for `/proc` and fdinfo: an SCTP endpoint's with
/// `sctp://` before it (a TCP one's is bare, as before SCTP).
fn addr_fmt(a: &SockAddr, sctp: bool, f: &mut kernel::fmt::Formatter<'_>) -> kernel::fmt::Result {
    if a.is_unix() {
        return core::fmt::Display::fmt(&UnixName(a.unix_name()), f);
    }
    if sctp {
        f.write_str("sctp://")?;
    }
    let i = Inet {
        v6: a.is_v6(),
        ip: a.ip_bytes(),
        port: a.port(),
        scope: a.scope_id(),
    };
    core::fmt::Display::fmt(&i, f)
}

/// What `/proc/net/sp` and fdinfo show of a socket.
struct Summary {
    raw: bool,
    closing: bool,
    pipes: usize,
    listeners: usize,
    dialers: usize,
    recvq: usize,
    recvq_bytes: usize,
    device: bool,
    stats: Stats,
    local: Option<SockAddr>,
    remote: Option<SockAddr>,
    /// IP addresses carry SCTP.
    sctp: bool,
}

impl SpSock {
    fn summary(&self) -> Summary {
        let g = self.inner.lock();
        Summary {
            raw: self.raw.load(Ordering::Relaxed),
            closing: g.core.closing,
            pipes: g.pipes.len(),
            listeners: g.listeners.len(),
            dialers: g.dialers.len(),
            recvq: g.core.recvq.len(),
            recvq_bytes: g.core.recvq.bytes(),
            device: g.device.is_some(),
            stats: g.core.stats,
            local: g.listeners.first().map(|l| *l.addr()),
            remote: g.dialers.first().map(|d| *d.addr()),
            sctp: self.protocol == uapi::IPPROTO_SCTP,
        }
    }
}

/// An address (of an SCTP endpoint if `.1`), or `*`.
struct Or<'a>(&'a Option<SockAddr>, bool);

impl kernel::fmt::Display for Or<'_> {
    fn fmt(&self, f: &mut kernel::fmt::Formatter<'_>) -> kernel::fmt::Result {
        match self.0 {
            Some(a) => addr_fmt(a, self.1, f),
            None => f.write_str("*"),
        }
    }
}

#[vtable]
impl Family for SpFamily {
    type OwnerModule = crate::SpModule;
    type Ptr = Arc<SpSock>;
    const FAMILY: i32 = uapi::AF_SP;
    const SOL_SOCKET_OPTS: &'static [i32] = &[SO_PASSCRED];
    const PROC_HEADER: &'static str =
        "Inode      Type       Raw Pipes Listen Dial RecvQ  TxMsgs     RxMsgs     TxDrop   RxDrop   Dev Local Remote\n";

    fn proc_line(data: Data<'_, Self>, ino: u64, seq: &SeqFile) {
        let s = data.summary();
        kernel::seq_print!(
            seq,
            "{:<10} {:<10} {:<3} {:<5} {:<6} {:<4} {:<6} {:<10} {:<10} {:<8} {:<8} {:<3} {} {}\n",
            ino,
            data.pattern.name(),
            u8::from(s.raw),
            s.pipes,
            s.listeners,
            s.dialers,
            s.recvq,
            s.stats.tx_msgs,
            s.stats.rx_msgs,
            s.stats.tx_dropped,
            s.stats.rx_dropped,
            u8::from(s.device),
            Or(&s.local, s.sctp),
            Or(&s.remote, s.sctp),
        );
    }

    fn diag(data: Data<'_, Self>, sk: &SockRef, msg: &mut DiagMsg<'_>, show: u32) -> Result {
        use uapi::diag::*;
        let pipes = {
            let g = data.inner.lock();
            let mut pipes = KVec::new();
            if show & SHOW_PIPES != 0 {
                pipes.extend_from_slice(&g.pipes, GFP_KERNEL)?;
            }
            let wq = g.unsent();
            let n = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
            let info = Info {
                proto: data.pattern.proto_id(),
                peer: data.pattern.peer_id(),
                raw: data.raw.load(Ordering::Relaxed),
                device: g.device.is_some(),
                shutdown: u8::from(g.core.shut_rd) | (u8::from(g.core.shut_wr) << 1),
                counts: [
                    n(g.pipes.len()),
                    n(g.listeners.len()),
                    n(g.dialers.len()),
                    n(g.core.recvq.len()),
                    n(g.core.recvq.bytes()),
                    n(wq),
                ],
            };
            msg.put(INFO, &info.to_bytes())?;
            if show & SHOW_ENDPOINTS != 0 {
                for l in g.listeners.iter() {
                    msg.put(LISTENER, l.addr().as_bytes())?;
                }
                for d in g.dialers.iter() {
                    msg.put(DIALER, d.addr().as_bytes())?;
                }
            }
            if show & SHOW_STATS != 0 {
                msg.put(STATS, &g.core.stats.to_bytes())?;
            }
            pipes
        };
        // Each pipe's own lock comes before the socket's: taken here with
        // the socket's released. A pipe that closed since is left out.
        for p in pipes.iter() {
            let Ok((up, local, peer, ino, proto)) = p.diag() else {
                continue;
            };
            msg.nest(PIPE, |m| {
                m.put(PIPE_ID, &p.wire_id().to_ne_bytes())?;
                m.put(PIPE_UP, &[u8::from(up)])?;
                m.put(PIPE_LOCAL, local.as_bytes())?;
                m.put(PIPE_PEER, peer.as_bytes())?;
                m.put(PIPE_TCP_INO, &u32::try_from(ino).unwrap_or(0).to_ne_bytes())?;
                m.put(PIPE_PROTO, &[proto])
            })?;
        }
        if show & SHOW_MEMINFO != 0 {
            msg.meminfo(MEMINFO, sk)?;
        }
        Ok(())
    }

    fn show_fdinfo(data: Data<'_, Self>, _sock: &Socket, seq: &SeqFile) {
        let s = data.summary();
        let st = s.stats;
        kernel::seq_print!(
            seq,
            "sp-protocol:\t{}\nsp-raw:\t{}\nsp-closing:\t{}\nsp-pipes:\t{}\nsp-listeners:\t{}\nsp-dialers:\t{}\nsp-recvq:\t{} {}\nsp-device:\t{}\nsp-local:\t{}\nsp-remote:\t{}\n",
            data.pattern.name(),
            u8::from(s.raw),
            u8::from(s.closing),
            s.pipes,
            s.listeners,
            s.dialers,
            s.recvq,
            s.recvq_bytes,
            u8::from(s.device),
            Or(&s.local, s.sctp),
            Or(&s.remote, s.sctp),
        );
        kernel::seq_print!(
            seq,
            "sp-tx-msgs:\t{}\nsp-rx-msgs:\t{}\nsp-tx-dropped:\t{}\nsp-rx-dropped:\t{}\nsp-pipes-refused:\t{}\nsp-pipes-dropped:\t{}\n",
            st.tx_msgs,
            st.rx_msgs,
            st.tx_dropped,
            st.rx_dropped,
            st.pipes_refused,
            st.pipes_dropped,
        );
    }

    fn create(sock: &Socket, protocol: i32, _kern: bool) -> Result<Self::Ptr> {
        // The same errnos as inet_create(): an unknown type first, then a
        // protocol the type does not speak.
        let pattern = Pattern::from_sock_type(sock.sock_type()).ok_or(ESOCKTNOSUPPORT)?;
        if protocol != 0 && protocol != uapi::IPPROTO_TCP && protocol != uapi::IPPROTO_SCTP {
            return Err(EPROTONOSUPPORT);
        }
        let sk = sock.sk_ref();
        let pipes_tx = Arc::new(TxBytes::new(), GFP_KERNEL)?;
        Arc::pin_init(
            try_pin_init!(SpSock {
                tx: pipes_tx.clone(),
                pattern,
                raw: AtomicBool::new(false),
                linking: AtomicBool::new(false),
                readers: AtomicU32::new(0),
                reader_cpu: AtomicU32::new(NO_CPU),
                held: AtomicUsize::new(0),
                overdraft: AtomicUsize::new(0),
                budget_stalled: AtomicBool::new(false),
                frame_max: AtomicU64::new(Options::new().frame_max()),
                opts <- kernel::new_mutex!(Options::new()),
                inner <- kernel::new_mutex!(Inner {
                    core: Core::new(sk, pipes_tx),
                    proto: Proto::new(*pattern, random::below(u32::MAX)),
                    pipes: KVec::new(),
                    listeners: KVec::new(),
                    dialers: KVec::new(),
                    timer: None,
                    batched: KVec::new(),
                    device: None,
                    sctp_addrs: KVec::new(),
                }),
                protocol,
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
        let (kind, extra) = data.transport_of(addr)?;
        let l = Listener::start(&owner, &sk, kind, addr, &extra)?;
        data.add_listener(l.clone()).inspect_err(|_| l.stop())
    }

    fn connect(data: Data<'_, Self>, _sock: &Socket, addr: &SockAddr, _flags: i32) -> Result {
        // Like nn_connect(): the dialer keeps trying in the background.
        let owner: Arc<dyn PipeOwner> = data_arc(&data);
        let (kind, local) = data.transport_of(addr)?;
        let d = Dialer::new(&owner, kind, addr, local)?;
        data.add_dialer(d.clone())?;
        d.start().inspect_err(|_| data.remove_dialer(&d))
    }

    fn getname(data: Data<'_, Self>, _sock: &Socket, peer: bool) -> Result<SockAddr> {
        if peer {
            // Only a PAIR has one peer: the TCP peer of its pipe.
            if data.pattern != Pattern::Pair {
                return Err(ENOTCONN);
            }
            let p = data.inner.lock().core.ready.first().cloned();
            return p.ok_or(ENOTCONN)?.peer_addr();
        }
        let g = data.inner.lock();
        match g.listeners.first() {
            Some(l) => Ok(*l.addr()),
            None => SockAddr::parse(&[2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
        }
    }

    fn sendmsg(
        data: Data<'_, Self>,
        sock: &Socket,
        msg: &mut MsgSrc<'_>,
        len: usize,
    ) -> Result<usize> {
        let flags = msg.flags();
        check_flags(flags, MSG_DONTWAIT | MSG_NOSIGNAL | MSG_EOR | MSG_MORE)?;
        if !data.pattern.sends() {
            return Err(EOPNOTSUPP);
        }
        if len > SEND_MAX {
            return Err(EMSGSIZE);
        }
        let timeo = sock.sndtimeo(flags & MSG_DONTWAIT != 0);
        // sendmmsg() marks every message but its last: they go out in as
        // few TCP writes as they fit. MSG_MORE asks the same.
        let batch = flags & (MSG_BATCH | MSG_MORE) != 0;
        let r = data_arc(&data).send(&sock.sk_ref(), msg, len, timeo, batch);
        if r == Err(EPIPE) && flags & MSG_NOSIGNAL == 0 {
            sigpipe();
        }
        r.map(|()| len)
    }

    fn recvmsg(
        data: Data<'_, Self>,
        sock: &Socket,
        msg: &mut MsgDst<'_>,
        len: usize,
        flags: i32,
    ) -> Result<usize> {
        check_flags(
            flags,
            MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC | MSG_WAITALL | MSG_PEEK,
        )?;
        if !data.pattern.receives() {
            return Err(EOPNOTSUPP);
        }
        let sk = sock.sk_ref();
        let timeo = sock.rcvtimeo(flags & MSG_DONTWAIT != 0);
        let Some(it) = data.recv(&sk, timeo, flags & MSG_PEEK != 0)? else {
            return Ok(0);
        };
        if data.raw.load(Ordering::Relaxed) {
            let h = SpSock::raw_header(&data.inner.lock().proto, &it)?;
            if !h.is_empty() {
                msg.put_cmsg(uapi::SOL_SP, uapi::cmsg::HDR, &h)?;
            }
        }
        // SO_PASSCRED: who sent it, if an IPC peer did (the pipe is kept
        // with messages received while it is set).
        if let Some(c) = it.pipe.as_ref().and_then(|p| p.peer_cred()) {
            if data.opts().passcred {
                msg.put_cmsg(SOL_SOCKET, SCM_CREDENTIALS, &c.ucred())?;
            }
        }
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
        sock: &Socket,
        level: i32,
        name: i32,
        val: &[u8],
    ) -> Result {
        if level == IPPROTO_IPV6 && name == IPV6_V6ONLY {
            return data.set_v6only(val);
        }
        if level == SOL_SOCKET && name == SO_PASSCRED {
            let v = match val.get(..4) {
                Some(b) => i32::from_ne_bytes([b[0], b[1], b[2], b[3]]) != 0,
                None => return Err(EINVAL),
            };
            data.opts.lock().passcred = v;
            return Ok(());
        }
        if level != uapi::SOL_SP {
            return Err(ENOPROTOOPT);
        }
        if name == uapi::opt::RAW {
            return data.set_raw(val);
        }
        if name == uapi::opt::DEVICE {
            return data_arc(&data).set_device(sock, val);
        }
        if name == uapi::opt::SCTP_ADDRS {
            return data.set_sctp_addrs(val);
        }
        if let Some(r) = data.inner.lock().proto.setsockopt(name, val) {
            return r;
        }
        let mut o = data.opts.lock();
        o.set(data.pattern, name, val).map_err(opt_errno)?;
        data.frame_max.store(o.frame_max(), Ordering::Relaxed);
        Ok(())
    }

    fn getsockopt(
        data: Data<'_, Self>,
        sock: &Socket,
        level: i32,
        name: i32,
        out: &mut [u8],
    ) -> Result<usize> {
        if level == IPPROTO_IPV6 && name == IPV6_V6ONLY {
            // What the next IPv6 listener or dialer gets: the setting, or
            // the namespace's default.
            let v = match data.opts.lock().v6only {
                Some(v) => v,
                None => sock.sk_ref().bindv6only(),
            };
            out.get_mut(..4)
                .ok_or(EINVAL)?
                .copy_from_slice(&i32::from(v).to_ne_bytes());
            return Ok(4);
        }
        if level != uapi::SOL_SP {
            return Err(ENOPROTOOPT);
        }
        if name == uapi::opt::RAW {
            let b = i32::from(data.raw.load(Ordering::Relaxed)).to_ne_bytes();
            out.get_mut(..4).ok_or(EINVAL)?.copy_from_slice(&b);
            return Ok(4);
        }
        if name == uapi::opt::SCTP_ADDRS {
            return data.get_sctp_addrs(out);
        }
        if name == uapi::opt::STATS {
            let b = data.inner.lock().core.stats.to_bytes();
            let n = out.len().min(b.len());
            out[..n].copy_from_slice(&b[..n]);
            return Ok(n);
        }
        data.opts
            .lock()
            .get(data.pattern, name, out)
            .map_err(opt_errno)
    }

    fn poll(data: Data<'_, Self>, _sock: &Socket) -> PollMask {
        let o = data.opts();
        let g = data.inner.lock();
        let mut mask = PollMask::NONE;
        if !g.core.recvq.is_empty() {
            mask = mask.union(PollMask::READABLE);
        }
        if g.proto.can_send(&g.core, None, 1, &o) {
            mask = mask.union(PollMask::WRITABLE);
        }
        // As a datagram socket: shut for reading is readable (recv()
        // returns 0), for writing writable (send() fails at once).
        if g.core.shut_rd {
            mask = mask.union(PollMask::READABLE).union(PollMask::RDHUP);
        }
        if g.core.shut_wr {
            mask = mask.union(PollMask::WRITABLE);
        }
        if g.core.shut_rd && g.core.shut_wr {
            mask = mask.union(PollMask::HUP);
        }
        mask
    }

    fn ioctl(data: Data<'_, Self>, _sock: &Socket, cmd: u32) -> Result<i32> {
        let g = data.inner.lock();
        let n = match cmd {
            // As for a datagram socket: the size of the next message.
            SIOCINQ => g.core.recvq.front().map_or(0, |it| it.payload().len()),
            // The bytes queued to send, not yet taken to be written to
            // TCP: what SO_SNDBUF bounds.
            SIOCOUTQ => g.unsent(),
            _ => return Err(ENOIOCTLCMD),
        };
        Ok(i32::try_from(n).unwrap_or(i32::MAX))
    }

    fn shutdown(data: Data<'_, Self>, _sock: &Socket, how: Shutdown) -> Result {
        let mut g = data.inner.lock();
        let c = &mut g.core;
        c.shut_rd |= how != Shutdown::Write;
        c.shut_wr |= how != Shutdown::Read;
        // Blocked callers return: recv() with what is left, then 0;
        // send() with EPIPE.
        c.wake(PollMask::READABLE.union(PollMask::WRITABLE));
        Ok(())
    }
}
