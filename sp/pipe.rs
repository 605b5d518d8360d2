// SPDX-License-Identifier: GPL-2.0

//! A pipe: one connection to one peer, over a transport
//! ([`crate::transport`], which the pipe names only through its
//! interface) in the transport's framing. I/O runs in process context,
//! under the pipe's state lock: in the pipe's work item, which the
//! socket callbacks queue; in a sender's context when the pipe is idle
//! (`flush`); and in a blocked REQ or REP reader's context when data was
//! left to it (`pull`). The callbacks themselves never read or write.
//!
//! Receive: a read actor (`Reader`) deframes straight from the
//! transport's receive buffers (TCP's own, by `tcp_read_sock`) into each
//! message body (one copy, no scratch buffer) and hands every whole
//! message to the socket as it completes, so one read takes all that the
//! connection holds. It stops at a message the
//! socket has no room for (kept in `rx_held` until the socket kicks the
//! pipe), at the receive budget, or at a bad frame.
//!
//! Transmit: one write carries the frame being sent and up to
//! `TX_GATHER - 1` more queued behind it (`gather`); what the socket did
//! not take waits in `tx_more`. A `sendmmsg()` batch (`MSG_BATCH`, or
//! `MSG_MORE`) is written when its last message is queued (`defer`).
//!
//! Measured (issue 15's closing note has the tables): under TCG, sampling
//! profilers are biased; decide with `qemu/stages/run.sh` and with two
//! modules interleaved in one boot. Tried and not kept: sync wakeups, an
//! unbound workqueue, readers reading TCP for every pattern, home-CPU
//! work for PAIR/PULL/REQ/REP, REQ/REP data read only in recv()/poll()
//! (it delays dropping a peer that sends garbage until the user reads).

use crate::net::addr::SockAddr;
use crate::net::log;
use crate::net::socket::{PollMask, SockRef};
use crate::net::work::{cancel_delayed_sync, cancel_sync, enqueue_on, queue};
use crate::proto::flow::{admit, overflows, Bound, Overflow, SendBudget};
use crate::proto::frame::{self, Deframer, Framing, Step};
use crate::proto::header::{self, Handshake};
use crate::proto::options::Options;
use crate::queue::{msg_gfp, Msg, OutQueue, TxBytes};
use crate::transport::{Conn, ConnState, Events, PeerCred, RxChunk, Watcher, SEND_VEC_MAX};
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use kernel::prelude::*;
use kernel::sync::lock::{mutex::MutexBackend, Guard};
use kernel::sync::{Arc, ArcBorrow, Mutex};
use kernel::time::msecs_to_jiffies;
use kernel::workqueue::{DelayedWork, Work, WorkItem};

/// Most bytes reserved for a frame before its body arrives, and most read
/// into it between two checks of the receive budget.
const RX_PREALLOC: usize = 64 * 1024;

/// Bytes a work run may move each way before it yields the worker.
const BUDGET: usize = 256 * 1024;

/// Most frames one write to TCP carries (a prefix and a body each).
const TX_GATHER: usize = SEND_VEC_MAX / 2;

/// Bytes after which a write gathers no further frame.
const TX_GATHER_BYTES: usize = 64 * 1024;

/// Delay before a pipe tries to send again when TCP refused data it had
/// no memory for: with nothing in flight, no ACK brings a write-space
/// callback, so nothing else would.
const NOMEM_RETRY_MS: u32 = 20;

/// What a pipe's received message led to.
pub(crate) enum Delivery {
    /// Queued, or dropped by the pattern's rules.
    Done,
    /// No room; the pipe is kicked once there is.
    Full(Msg),
    /// The peer broke the protocol: close the pipe.
    Close(Error),
}

/// The socket a pipe belongs to, as the pipe sees it: the pipe reports
/// to it and never names the socket type (so `sp/` has no import cycle).
///
/// Lock context: every method may be called with the pipe's state lock
/// held (`Pipe::st`), never with `Pipe::outq` held; implementations may
/// take their own locks after `Pipe::st`, never before.
pub(crate) trait PipeOwner: Send + Sync {
    /// A copy of the socket's options.
    fn opts(&self) -> Options;
    /// The socket's sock, unless it is closing.
    fn sk(&self) -> Option<SockRef>;
    /// Our SP protocol id and the one a peer must have.
    fn proto_ids(&self) -> (u16, u16);
    /// Registers a new pipe; fails once closing, or at `SP_MAXPIPES`.
    fn add_pipe(&self, p: &Arc<Pipe>) -> Result;
    /// Whether the socket holds `SP_MAXPIPES` pipes.
    fn pipes_full(&self) -> bool;
    /// The handshake is done: make the pipe a peer, or refuse it.
    fn attach(&self, p: &Arc<Pipe>) -> Result;
    /// The pipe closed: forget it.
    fn detach(&self, p: &Arc<Pipe>);
    /// A message arrived on `p`.
    fn deliver(&self, p: &Arc<Pipe>, m: Msg) -> Delivery;
    /// The next message for `p` from the socket's own queue, if any.
    fn take_send(&self, p: &Arc<Pipe>) -> Option<Msg>;
    /// Whether the socket's own queue holds messages to send.
    fn has_send(&self) -> bool;
    /// A pipe closed before (`refused`) or after its handshake.
    fn note_closed(&self, refused: bool);
    /// The largest frame a pipe accepts now.
    fn frame_max(&self) -> u64;
    /// Whether tasks sleep in `recv()` that read pipes themselves.
    fn has_readers(&self) -> bool;
    /// Where the pipe's work item should run: for a socket whose full
    /// queue drops (SUB, BUS), the CPU where its user last called
    /// `recv()`, next to the reader it wakes, not the CPU of the softirq
    /// that queued it (a sender's, on loopback); else `None`, that CPU.
    fn home_cpu(&self) -> Option<u32>;
    /// The receive budget (see `SpSock::may_hold` and the others).
    fn hold(&self, n: usize);
    fn may_hold(&self, p: &Arc<Pipe>, id: usize, own: usize) -> bool;
    fn frame_done(&self, id: usize);
    fn unhold(&self, id: usize, n: usize);
    /// Where the pipe counts the bytes its own send queue holds, against
    /// the socket's `SO_SNDBUF`.
    fn tx_bytes(&self) -> Arc<TxBytes>;
}

/// The endpoint that made a pipe (its dialer, or the listener that
/// accepted it), told of the pipe's handshake and end. Called with the
/// pipe's state lock held.
pub(crate) trait PipeEnd: Send + Sync {
    /// The handshake ended, with the pipe `up` or not; called once.
    fn handshake_over(&self, up: bool);
    /// The pipe failed or its peer left (not called at `close()`).
    fn closed(&self);
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for TCP to connect (dialed pipes).
    Connecting,
    /// Exchanging the 8-byte SP headers.
    Handshake,
    /// Carrying messages.
    Ready,
}

/// A frame being sent: its body, and how much of the frame (length prefix
/// and body) went out.
struct Tx {
    msg: Msg,
    off: usize,
    /// The length of its prefix in the pipe's framing.
    pre: usize,
}

impl Tx {
    /// A frame of `msg` in framing `f`, nothing of it sent yet.
    fn new(msg: Msg, f: Framing) -> Self {
        Tx {
            msg,
            off: 0,
            pre: f.prefix_len(),
        }
    }

    /// Bytes of the frame still to send.
    fn left(&self) -> usize {
        self.pre + self.msg.len() - self.off
    }
}

struct PipeState {
    /// The connection; `None` once the pipe is closed.
    conn: Option<Conn<Pipe>>,
    phase: Phase,
    hs: Handshake,
    deframer: Deframer,
    /// The frame being received.
    rx: Option<KVVec<u8>>,
    /// A complete message the socket had no room for yet.
    rx_held: Option<Msg>,
    tx: Option<Tx>,
    /// Messages taken from the queues to go out behind `tx` in the same
    /// write (at most `TX_GATHER - 1`; never any while `tx` is `None`).
    /// Allocated once a second message is first waiting.
    tx_more: KVec<Msg>,
    /// Bytes of `rx` and `rx_held`, counted in the socket's held bytes.
    held: usize,
}

/// One connection of an sp socket.
#[pin_data]
pub(crate) struct Pipe {
    sock: Arc<dyn PipeOwner>,
    /// Its id in a raw socket's headers: unique among live pipes, high bit
    /// clear (a backtrace word), never 0.
    wire: u32,
    /// The endpoint that made the pipe, told once its handshake ends
    /// (`end_told`) and when it closes.
    end: Arc<dyn PipeEnd>,
    end_told: AtomicBool,
    #[pin]
    work: Work<Pipe, 0>,
    /// Until the handshake is done, its deadline (`timed_out`); then the
    /// retry after TCP ran out of memory (`NOMEM_RETRY_MS`). One timer for
    /// both keeps a pipe within a 512-byte allocation.
    #[pin]
    timer: DelayedWork<Pipe, 1>,
    timed_out: AtomicBool,
    tx_busy: AtomicBool,
    /// Its writing waits for the end of a batch of sends (the socket's
    /// `flush_batched`).
    in_batch: AtomicBool,
    /// The handshake is done: messages flow.
    up: AtomicBool,
    /// TCP data was left to the socket's blocked readers; cleared by
    /// whoever takes the job of reading it.
    rx_wanted: AtomicBool,
    /// The sp socket's sock, to wake its readers from the socket callback.
    sk: Option<SockRef>,
    /// The peer's credentials, if the transport knows them (IPC).
    peer: Option<PeerCred>,
    /// Messages routed to this pipe (REQ requests, REP replies). A leaf
    /// lock: nothing else is taken while it is held.
    #[pin]
    outq: Mutex<OutQueue>,
    #[pin]
    st: Mutex<PipeState>,
}

kernel::impl_has_work! {
    impl HasWork<Self, 0> for Pipe { self.work }
}
kernel::impl_has_delayed_work! {
    impl HasDelayedWork<Self, 1> for Pipe { self.timer }
}

/// The next pipe's [`Pipe::wire_id`]: a counter that wraps in 31 bits.
fn next_wire_id() -> u32 {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    loop {
        let id = NEXT.fetch_add(1, Ordering::Relaxed) & !crate::proto::reqrep::BOTTOM;
        if id != 0 {
            return id;
        }
    }
}

impl Pipe {
    /// The pipe's id in raw headers.
    pub(crate) fn wire_id(&self) -> u32 {
        self.wire
    }

    /// Starts a pipe on `conn` (connecting when `dialed`, else accepted)
    /// made by `end`, and registers it with `sock`.
    pub(crate) fn start(
        sock: &Arc<dyn PipeOwner>,
        end: Arc<dyn PipeEnd>,
        dialed: bool,
        conn: Conn<Pipe>,
    ) -> Result<Arc<Pipe>> {
        let opts = sock.opts();
        // The timer bounds the TCP connect of a dialed pipe, then (re-armed
        // once TCP is up) the SP handshake.
        let (phase, timeout) = if dialed {
            (Phase::Connecting, opts.connect_timeout)
        } else {
            (Phase::Handshake, opts.handshake_timeout)
        };
        let (ours, theirs) = sock.proto_ids();
        conn.tune(&opts);
        let framing = conn.framing();
        let cred = conn.peer_cred();
        let p = Arc::pin_init(
            try_pin_init!(Pipe {
                sock: sock.clone(),
                wire: next_wire_id(),
                end,
                end_told: AtomicBool::new(false),
                work <- kernel::new_work!("sp_pipe_work"),
                timer <- kernel::new_delayed_work!("sp_pipe_timer"),
                timed_out: AtomicBool::new(false),
                tx_busy: AtomicBool::new(false),
                in_batch: AtomicBool::new(false),
                up: AtomicBool::new(false),
                rx_wanted: AtomicBool::new(false),
                sk: sock.sk(),
                peer: cred,
                outq <- kernel::new_mutex!(OutQueue::new(sock.tx_bytes())),
                st <- kernel::new_mutex!(PipeState {
                    conn: None,
                    phase,
                    hs: Handshake::new(ours, theirs),
                    deframer: Deframer::new(framing, opts.frame_max()),
                    rx: None,
                    rx_held: None,
                    tx: None,
                    tx_more: KVec::new(),
                    held: 0,
                }),
            }),
            GFP_KERNEL,
        )?;
        sock.add_pipe(&p)?;
        {
            let mut st = p.st.lock();
            if let Err(e) = conn.watch(p.clone()) {
                // The caller (listener or dialer) handles the failure.
                drop(st);
                p.sock.detach(&p);
                return Err(e);
            }
            st.conn = Some(conn);
        }
        let _ = queue().enqueue_delayed::<_, 1>(p.clone(), msecs_to_jiffies(timeout));
        p.kick();
        Ok(p)
    }

    /// Queues the pipe's I/O work.
    pub(crate) fn kick(self: &Arc<Self>) {
        match self.sock.home_cpu() {
            Some(cpu) => {
                let _ = enqueue_on::<_, 0>(cpu, self.clone());
            }
            None => {
                let _ = queue().enqueue::<_, 0>(self.clone());
            }
        }
    }

    /// The socket's `SO_RCVBUF`: its budget of held bytes.
    pub(crate) fn rcvbuf(&self) -> usize {
        self.sk.as_ref().map_or(0, |sk| sk.rcvbuf())
    }

    /// Whether a frame is partly written.
    pub(crate) fn tx_busy(&self) -> bool {
        self.tx_busy.load(Ordering::Acquire)
    }

    /// Whether messages wait in the pipe's own queue.
    pub(crate) fn has_out(&self) -> bool {
        !self.outq.lock().is_empty()
    }

    /// The peer's credentials (`SO_PEERCRED` of an IPC connection).
    pub(crate) fn peer_cred(&self) -> Option<&PeerCred> {
        self.peer.as_ref()
    }

    /// The peer's address (`ENOTCONN` once the pipe has closed).
    pub(crate) fn peer_addr(&self) -> Result<SockAddr> {
        self.st.lock().conn.as_ref().ok_or(ENOTCONN)?.name(true)
    }

    /// What sock_diag shows of the pipe: whether its handshake is done,
    /// its connection's own and peer addresses and inode (`ENOTCONN` once
    /// it has closed).
    pub(crate) fn diag(&self) -> Result<(bool, SockAddr, SockAddr, u64, u8)> {
        let st = self.st.lock();
        let conn = st.conn.as_ref().ok_or(ENOTCONN)?;
        Ok((
            self.up.load(Ordering::Acquire),
            conn.name(false)?,
            conn.name(true)?,
            conn.ino(),
            conn.diag_proto(),
        ))
    }

    /// Queues a fanned-out copy `m` unless that overflows the queue's
    /// share of the budget `b`; then `policy` says what goes, the oldest
    /// queued messages or `m`. An empty queue takes any one copy: the
    /// copies share one body, so that it costs the socket no bytes beyond
    /// the first, and a peer that reads is never starved by one that does
    /// not. Returns how many were dropped. The caller kicks the pipe.
    pub(crate) fn push_out(&self, m: Msg, b: &SendBudget, policy: Overflow) -> Result<u64> {
        let mut q = self.outq.lock();
        if q.is_empty() {
            q.push(m).map_err(|_| ENOMEM)?;
            return Ok(0);
        }
        let bound = b.pipe(q.bytes());
        let (drop, take) = admit(q.sizes(), q.len(), q.bytes(), &bound, m.len(), policy);
        for _ in 0..drop {
            q.pop();
        }
        if !take {
            return Ok(1);
        }
        q.push(m).map_err(|_| ENOMEM)?;
        Ok(drop as u64)
    }

    /// Queues `*m` if it fits the queue's share of the budget `b` (the
    /// message count aside: a REP's replies wait only for bytes); returns
    /// whether it was taken. The caller kicks the pipe.
    pub(crate) fn push_out_room(&self, m: &mut Option<Msg>, b: &SendBudget) -> Result<bool> {
        let mut q = self.outq.lock();
        let Some(msg) = m.take() else {
            return Ok(true);
        };
        if Self::overflows(&q, msg.len(), b) {
            *m = Some(msg);
            return Ok(false);
        }
        q.push(msg).map_err(|_| ENOMEM)?;
        Ok(true)
    }

    /// Whether [`Pipe::push_out_room`] would take `len` bytes now.
    pub(crate) fn has_room(&self, len: usize, b: &SendBudget) -> bool {
        !Self::overflows(&self.outq.lock(), len, b)
    }

    fn overflows(q: &OutQueue, len: usize, b: &SendBudget) -> bool {
        let bound = Bound {
            cap: usize::MAX,
            ..b.pipe(q.bytes())
        };
        overflows(q.len(), q.bytes(), &bound, len)
    }

    /// Queues `m` in place of whatever waits unsent: a REQ has one request
    /// outstanding, so anything queued is an older copy or a stale request.
    pub(crate) fn replace_out(&self, m: Msg) -> Result {
        let mut q = self.outq.lock();
        q.clear();
        q.push(m).map_err(|_| ENOMEM)
    }

    /// Closes the pipe from `close()` of the socket: no dialer is told.
    pub(crate) fn stop(self: &Arc<Self>) {
        let conn = {
            let mut st = self.st.lock();
            self.drop_held(&mut st);
            st.conn.take()
        };
        // What waits unsent no longer counts against SO_SNDBUF.
        self.outq.lock().clear();
        // Dropping the socket clears its callbacks: no new events.
        drop(conn);
        cancel_delayed_sync::<_, 1>(self);
        cancel_sync::<_, 0>(self);
    }

    /// The pipe failed or the peer went away.
    fn closed(self: &Arc<Self>, why: Error) {
        if why != ECONNRESET && why != EPIPE {
            log::ratelimited(c"closing pipe", i64::from(why.to_errno()));
        }
        cancel_delayed_sync::<_, 1>(self);
        self.outq.lock().clear();
        self.sock.detach(self);
        self.end.closed();
    }

    /// Writes what is queued for this pipe from the caller's context when
    /// the pipe is idle, saving the hop through the workqueue; otherwise
    /// (the work item runs, the handshake is not done, TCP is full) the
    /// work item does it.
    pub(crate) fn flush(self: &Arc<Self>) {
        self.run_inline(Self::tx);
    }

    /// Leaves the writing to the end of a batch of sends: true unless the
    /// pipe already waited for it. Should the batch never end (a
    /// `sendmmsg()` that fails before its last message reaches us), the
    /// retry timer writes it.
    pub(crate) fn defer(self: &Arc<Self>) -> bool {
        // Armed for every message of the batch: the timer may have written
        // the ones before and found nothing since.
        if self.up.load(Ordering::Acquire) {
            self.retry();
        }
        !self.in_batch.swap(true, Ordering::AcqRel)
    }

    /// The batch ended: the caller writes the pipe.
    pub(crate) fn undefer(&self) {
        self.in_batch.store(false, Ordering::Release);
    }

    /// Reads and delivers what TCP holds, in a blocked reader's context;
    /// if the work item is running, it does that instead.
    pub(crate) fn pull(self: &Arc<Self>) {
        self.run_inline(Self::rx);
    }

    /// Runs one direction of the pipe's I/O in the caller's context if the
    /// pipe is up and its work item is not running; else kicks the work
    /// item, which does it.
    fn run_inline(self: &Arc<Self>, io: fn(&Arc<Self>, &mut PipeState) -> Result<bool>) {
        let Some(mut st) = self.st.try_lock() else {
            // The work item holds the state: make sure it looks again.
            self.kick();
            return;
        };
        if st.phase != Phase::Ready || st.conn.is_none() {
            drop(st);
            self.kick();
            return;
        }
        match io(self, &mut st) {
            Ok(false) => {}
            // Budget used up: the work item goes on.
            Ok(true) => {
                drop(st);
                self.kick();
            }
            Err(e) => self.fail(st, e),
        }
    }

    /// Takes the job of reading data left to the readers.
    pub(crate) fn take_rx_wanted(&self) -> bool {
        self.rx_wanted.load(Ordering::Relaxed) && self.rx_wanted.swap(false, Ordering::SeqCst)
    }

    fn run(self: &Arc<Self>) {
        let Some(sk) = &self.sk else {
            return;
        };
        // What the pipe allocates is charged to the socket's memcg.
        sk.charged(|| {
            let mut st = self.st.lock();
            if st.conn.is_none() {
                return;
            }
            if let Err(e) = self.io(&mut st) {
                self.fail(st, e);
            }
        });
    }

    /// Tells the endpoint, once, that the handshake ended.
    fn handshake_over(&self, up: bool) {
        if !self.end_told.swap(true, Ordering::AcqRel) {
            self.end.handshake_over(up);
        }
    }

    /// TCP refused data: if nothing is queued in it, it lacked memory and
    /// no write-space callback will come; try again shortly.
    fn retry_if_nomem(self: &Arc<Self>, conn: &Conn<Pipe>) {
        if conn.tx_idle() {
            self.retry();
        }
    }

    /// Kicks the pipe again in `NOMEM_RETRY_MS`; only once it is up, when
    /// the timer no longer bounds the handshake.
    fn retry(self: &Arc<Self>) {
        let _ = queue().enqueue_delayed::<_, 1>(self.clone(), msecs_to_jiffies(NOMEM_RETRY_MS));
    }

    /// Gives back the socket's held bytes that this pipe counted.
    fn drop_held(&self, st: &mut PipeState) {
        self.sock.unhold(self.id(), core::mem::take(&mut st.held));
        st.rx = None;
        st.rx_held = None;
    }

    /// The pipe's identity for the socket's receive budget.
    fn id(&self) -> usize {
        core::ptr::from_ref(self) as usize
    }

    /// Closes the pipe after an error of its I/O.
    fn fail(self: &Arc<Self>, mut st: Guard<'_, PipeState, MutexBackend>, e: Error) {
        let refused = st.phase != Phase::Ready;
        self.handshake_over(false);
        self.sock.note_closed(refused);
        self.drop_held(&mut st);
        let conn = st.conn.take();
        self.tx_busy.store(false, Ordering::Release);
        drop(st);
        drop(conn);
        self.closed(e);
    }

    fn io(self: &Arc<Self>, st: &mut PipeState) -> Result {
        let Some(conn) = st.conn.as_ref() else {
            return Ok(());
        };
        if st.phase == Phase::Connecting {
            match conn.state() {
                ConnState::Connecting if self.timed_out.load(Ordering::Acquire) => {
                    log::ratelimited(c"connect timed out (SP_CONNECT_TIMEOUT)", 0);
                    return Err(ETIMEDOUT);
                }
                ConnState::Connecting => return Ok(()),
                ConnState::Established => {
                    // The handshake gets its own SP_HANDSHAKE_TIMEOUT from now.
                    cancel_delayed_sync::<_, 1>(self);
                    self.timed_out.store(false, Ordering::Release);
                    let ms = self.sock.opts().handshake_timeout;
                    let _ = queue().enqueue_delayed::<_, 1>(self.clone(), msecs_to_jiffies(ms));
                    st.phase = Phase::Handshake;
                }
                ConnState::Closed => {
                    conn.take_error()?;
                    return Err(ECONNREFUSED);
                }
            }
        }
        if st.phase == Phase::Handshake {
            if self.timed_out.load(Ordering::Acquire) {
                log::ratelimited(c"peer did not send its SP header in time", 0);
                return Err(ETIMEDOUT);
            }
            if !self.handshake(st)? {
                return Ok(());
            }
            cancel_delayed_sync::<_, 1>(self);
            if let Err(e) = self.sock.attach(self) {
                log::ratelimited(c"refusing a second PAIR peer", 0);
                return Err(e);
            }
            st.phase = Phase::Ready;
            self.up.store(true, Ordering::Release);
            self.handshake_over(true);
        }
        let more_rx = self.rx(st)?;
        let more_tx = self.tx(st)?;
        if more_rx || more_tx {
            // Budget used up: let other work run, then continue.
            self.kick();
        }
        Ok(())
    }

    /// Sends our header and reads the peer's; true once both are done
    /// and the peer's checked out.
    fn handshake(self: &Arc<Self>, st: &mut PipeState) -> Result<bool> {
        let PipeState { conn, hs, .. } = st;
        let Some(conn) = conn.as_ref() else {
            return Ok(false);
        };
        while !hs.to_send().is_empty() {
            match conn.send_vec(&[hs.to_send()]) {
                Ok(n) => hs.sent(n),
                // The handshake's deadline bounds a socket out of memory.
                Err(e) if e == EAGAIN => break,
                Err(e) => return Err(e),
            }
        }
        while !hs.recv_buf().is_empty() {
            let n = match conn.recv(hs.recv_buf()) {
                Ok(0) => return Err(ECONNRESET),
                Ok(n) => n,
                Err(e) if e == EAGAIN => break,
                Err(e) => return Err(e),
            };
            match hs.received(n) {
                Ok(()) => {}
                Err(header::Error::WrongPeer(id)) => {
                    log::ratelimited(c"refusing peer of wrong protocol", i64::from(id));
                    return Err(EPROTO);
                }
                Err(_) => {
                    log::ratelimited(c"refusing peer with a bad SP header", 0);
                    return Err(EPROTO);
                }
            }
        }
        Ok(hs.is_done())
    }

    /// Receives and delivers messages; true if the budget ran out.
    fn rx(self: &Arc<Self>, st: &mut PipeState) -> Result<bool> {
        let mut moved = 0;
        // The last read took all TCP had: what comes next brings an event,
        // and if TCP was closed before that read, nothing comes.
        let (mut drained, mut eof) = (false, false);
        loop {
            if let Some(m) = st.rx_held.take() {
                match self.deliver(m, &mut st.held) {
                    Ok(None) => {}
                    // No room: the socket kicks us when a message is read.
                    Ok(Some(m)) => {
                        st.rx_held = Some(m);
                        return Ok(false);
                    }
                    Err(e) => return Err(e),
                }
            }
            if drained {
                if eof {
                    stream_closed(st)?;
                }
                return Ok(false);
            }
            if moved >= BUDGET {
                return Ok(true);
            }
            // Over the socket's budget of held bytes, the data stays in
            // TCP, whose window is accounted; the socket kicks us.
            if !self.sock.may_hold(self, self.id(), st.held) {
                return Ok(false);
            }
            let PipeState {
                conn,
                deframer,
                rx,
                rx_held,
                held,
                ..
            } = st;
            let Some(conn) = conn.as_mut() else {
                return Ok(false);
            };
            // Checked before the read: once TCP is closed no data follows,
            // so a read that finds none is at the end of the stream.
            let closed = conn.state() == ConnState::Closed;
            let mut rd = Reader {
                pipe: self,
                deframer,
                rx,
                full: rx_held,
                held,
                max: self.sock.frame_max(),
                taken: 0,
                err: None,
                declined: false,
            };
            let n = match conn.read(&mut |c| rd.take(c)) {
                // The data stays in the socket; try again shortly.
                Err(e) if e == ENOMEM => {
                    self.retry();
                    return Ok(false);
                }
                r => r?,
            };
            let err = rd.err;
            drained = !rd.declined;
            eof = closed && drained;
            match err {
                None => {}
                // The data stays in TCP; try again shortly.
                Some(e) if e == ENOMEM => {
                    self.retry();
                    return Ok(false);
                }
                Some(e) => return Err(e),
            }
            if n == 0 && st.rx_held.is_none() {
                if closed {
                    stream_closed(st)?;
                }
                return Ok(false);
            }
            moved += n;
        }
    }

    /// Hands a whole message to the socket: `Some` back when it had no
    /// room. `held` is the pipe's count of held bytes, all of them this
    /// message's (a read goes on only once its last message was taken).
    fn deliver(self: &Arc<Self>, m: Msg, held: &mut usize) -> Result<Option<Msg>> {
        match self.sock.deliver(self, m) {
            Delivery::Done => {
                self.sock.unhold(self.id(), core::mem::take(held));
                Ok(None)
            }
            Delivery::Full(m) => Ok(Some(m)),
            Delivery::Close(e) => {
                log::ratelimited(c"dropping pipe: malformed request or reply", 0);
                Err(e)
            }
        }
    }

    /// The next message to send: the pipe's own, else the socket's.
    fn next_send(self: &Arc<Self>) -> Option<Msg> {
        let own = self.outq.lock().pop();
        own.or_else(|| self.sock.take_send(self))
    }

    /// Takes what waits behind the frame being sent into `tx_more`, so
    /// that one write carries it too (KCM's `kcm_write_msgs`): up to
    /// `TX_GATHER` frames and about `TX_GATHER_BYTES` bytes. Returns
    /// whether it took all that waited.
    fn gather(self: &Arc<Self>, st: &mut PipeState) -> bool {
        let Some(t) = st.tx.as_ref() else {
            return false;
        };
        let mut bytes = t.left();
        for m in st.tx_more.iter() {
            bytes += st.deframer.framing().prefix_len() + m.len();
        }
        while st.tx_more.len() + 1 < TX_GATHER && bytes < TX_GATHER_BYTES {
            if st.tx_more.capacity() == 0 {
                // Only a pipe that has a second frame waiting pays for the
                // list, once; without it, frames go one per write.
                if !self.has_out() && !self.sock.has_send() {
                    return true;
                }
                if st.tx_more.reserve(TX_GATHER - 1, msg_gfp()).is_err() {
                    return false;
                }
            }
            let Some(m) = self.next_send() else {
                return true;
            };
            bytes += st.deframer.framing().prefix_len() + m.len();
            // Within the capacity reserved above: it cannot fail.
            if let Err(e) = st.tx_more.push_within_capacity(m) {
                drop(e);
                return false;
            }
        }
        false
    }

    /// `n` bytes of the frames in `tx` and `tx_more` went out: drops the
    /// frames they complete, and returns how many they were.
    fn sent(st: &mut PipeState, mut n: usize) -> usize {
        let mut done = 0;
        while let Some(t) = st.tx.as_mut() {
            let left = t.left();
            if n < left {
                t.off += n;
                break;
            }
            n -= left;
            done += 1;
            let f = st.deframer.framing();
            st.tx = st.tx_more.remove(0).ok().map(|m| Tx::new(m, f));
        }
        done
    }

    /// Writes queued messages, several frames per write when several
    /// wait; true if the budget ran out.
    fn tx(self: &Arc<Self>, st: &mut PipeState) -> Result<bool> {
        let mut moved = 0;
        // The queues were empty when last looked at: a message queued since
        // kicks the work item (its sender's `flush` finds the state locked).
        let mut dry = false;
        loop {
            if st.tx.is_none() && dry {
                return Ok(false);
            }
            if st.tx.is_none() {
                // Busy before the queue looks empty: a lingering close()
                // must never see neither.
                self.tx_busy.store(true, Ordering::Release);
                let Some(msg) = self.next_send() else {
                    self.tx_busy.store(false, Ordering::Release);
                    return Ok(false);
                };
                st.tx = Some(Tx::new(msg, st.deframer.framing()));
                if moved >= BUDGET {
                    // Started on the next run.
                    return Ok(true);
                }
            }
            dry = self.gather(st);
            let PipeState {
                conn,
                tx,
                tx_more,
                deframer,
                ..
            } = &*st;
            let (Some(conn), Some(t)) = (conn.as_ref(), tx.as_ref()) else {
                return Ok(false);
            };
            let f = deframer.framing();
            let n = f.prefix_len();
            let mut pre = [[0u8; frame::PREFIX_MAX]; TX_GATHER];
            pre[0] = f.prefix(t.msg.len() as u64);
            for (p, m) in pre[1..].iter_mut().zip(tx_more.iter()) {
                *p = f.prefix(m.len() as u64);
            }
            let mut bufs: [&[u8]; SEND_VEC_MAX] = [&[]; SEND_VEC_MAX];
            if t.off < n {
                bufs[0] = &pre[0][t.off..n];
                bufs[1] = &t.msg[..];
            } else {
                bufs[1] = &t.msg[t.off - n..];
            }
            let mut k = 2;
            for (p, m) in pre[1..].iter().zip(tx_more.iter()) {
                bufs[k] = &p[..n];
                bufs[k + 1] = m;
                k += 2;
            }
            match conn.send_vec(&bufs[..k]) {
                Ok(n) => {
                    moved += n;
                    if Self::sent(st, n) > 0 {
                        if st.tx.is_none() {
                            self.tx_busy.store(false, Ordering::Release);
                        }
                        // A lingering close() waits for this.
                        if let Some(sk) = &self.sk {
                            sk.wake(PollMask::WRITABLE);
                        }
                    }
                }
                // The write-space callback kicks us, or the retry.
                Err(e) if e == EAGAIN => {
                    self.retry_if_nomem(conn);
                    return Ok(false);
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// The end of a pipe's stream: the peer's error, or its orderly close.
fn stream_closed(st: &PipeState) -> Result {
    if let Some(conn) = st.conn.as_ref() {
        conn.take_error()?;
    }
    Err(ECONNRESET)
}

/// The actor that deframes what TCP holds straight into messages (one
/// copy, from TCP's buffers into the message body) and hands each whole
/// one to the socket as it completes, under TCP's lock, so that one read
/// takes every message TCP holds (KCM's and strparser's `read_sock`
/// actors do the same). It stops at a message the socket has no room
/// for, at the receive budget, and at a bad frame.
struct Reader<'a> {
    pipe: &'a Arc<Pipe>,
    deframer: &'a mut Deframer,
    /// The frame being received; allocated with its first body byte.
    rx: &'a mut Option<KVVec<u8>>,
    /// A whole message the socket had no room for; the read ends there.
    full: &'a mut Option<Msg>,
    /// The pipe's held bytes (its frame in progress, or `full`).
    held: &'a mut usize,
    /// `SP_RCVMAXSIZE`, read once per read.
    max: u64,
    /// Body bytes taken in this read, against `BUDGET`.
    taken: usize,
    /// Why the read stopped early: no memory, a bad frame, or a message
    /// that breaks the pattern's rules.
    err: Option<Error>,
    /// Bytes were left in TCP.
    declined: bool,
}

impl Reader<'_> {
    /// Takes what it can of `c`: returns the bytes taken.
    fn take(&mut self, c: &RxChunk<'_>) -> usize {
        let mut at = 0;
        while at < c.len() && self.full.is_none() && self.err.is_none() {
            match self.step(c, at) {
                Ok(0) => break,
                Ok(n) => at += n,
                Err(e) => self.err = Some(e),
            }
        }
        self.declined |= at < c.len();
        at
    }

    /// One step at `at` in `c`: prefix bytes, or body bytes; 0 to stop
    /// before a new frame.
    fn step(&mut self, c: &RxChunk<'_>, at: usize) -> Result<usize> {
        let avail = c.len() - at;
        let left = self.deframer.body_left();
        if left > 0 {
            let n = usize::try_from(left)
                .unwrap_or(usize::MAX)
                .min(avail)
                .min(RX_PREALLOC);
            let m = match self.rx {
                Some(m) => m,
                None => {
                    let cap = usize::try_from(left).unwrap_or(usize::MAX).min(RX_PREALLOC);
                    self.rx.insert(KVVec::with_capacity(cap, msg_gfp())?)
                }
            };
            let old = m.len();
            m.resize(old + n, 0, msg_gfp())?;
            if let Err(e) = c.copy_to(at, &mut m[old..]) {
                m.truncate(old);
                return Err(e);
            }
            self.deframer.body_taken(n);
            *self.held += n;
            self.taken += n;
            self.pipe.sock.hold(n);
            if self.deframer.body_left() == 0 {
                self.end()?;
            }
            return Ok(n);
        }
        if self.deframer.is_idle() {
            // A new frame: this read has moved its share, or the socket
            // holds its budget (the caller checks again and waits).
            if self.taken >= BUDGET
                || !self
                    .pipe
                    .sock
                    .may_hold(self.pipe, self.pipe.id(), *self.held)
            {
                return Ok(0);
            }
            // Read live: a changed SP_RCVMAXSIZE applies from the next
            // frame on, on pipes already up too.
            self.deframer.set_max(self.max);
        }
        let mut pre = [0u8; frame::PREFIX_MAX];
        let k = avail.min(self.deframer.framing().prefix_len());
        c.copy_to(at, &mut pre[..k])?;
        let (used, step) = match self.deframer.step(&pre[..k]) {
            Ok(s) => s,
            Err(frame::Error::TooLong { len, .. }) => {
                log::ratelimited(c"dropping pipe: frame over SP_RCVMAXSIZE", len as i64);
                return Err(EMSGSIZE);
            }
            Err(frame::Error::BadType(t)) => {
                log::ratelimited(c"dropping pipe: IPC frame of an unknown type", i64::from(t));
                return Err(EPROTO);
            }
        };
        if step == Step::Start(0) {
            self.end()?;
        }
        Ok(used)
    }

    /// The body is complete: the message goes to the socket, or waits in
    /// `full` for room.
    fn end(&mut self) -> Result {
        // The deframer reports the end and returns to the next prefix.
        let _ = self.deframer.step(&[]);
        let m = Msg::from(self.rx.take().unwrap_or_default());
        // The frame is whole: another pipe may overdraw now.
        self.pipe.sock.frame_done(self.pipe.id());
        *self.full = self.pipe.deliver(m, self.held)?;
        Ok(())
    }
}

impl WorkItem<0> for Pipe {
    type Pointer = Arc<Pipe>;

    fn run(this: Arc<Pipe>) {
        Pipe::run(&this);
    }
}

impl WorkItem<1> for Pipe {
    type Pointer = Arc<Pipe>;

    fn run(this: Arc<Pipe>) {
        // The handshake's deadline (the I/O work decides), or a retry.
        if !this.up.load(Ordering::Acquire) {
            this.timed_out.store(true, Ordering::Release);
        }
        this.kick();
    }
}

impl Watcher for Pipe {
    fn event(this: ArcBorrow<'_, Self>, ev: Events) {
        // Data on an established pipe while a REQ or REP reader sleeps in
        // recv(): wake it to read the data itself. The data is announced
        // before looking for readers, and a leaving reader does the
        // opposite (the socket's `recv`), so one of the two always passes
        // it on.
        if ev.is_readable_only() && this.up.load(Ordering::Acquire) {
            if let Some(sk) = &this.sk {
                this.rx_wanted.store(true, Ordering::SeqCst);
                if this.sock.has_readers() {
                    sk.wake(PollMask::READABLE);
                    return;
                }
                this.rx_wanted.store(false, Ordering::Relaxed);
            }
        }
        // Send space while no write waits for it: an AF_UNIX sender hears
        // of every skb its peer reads (sock_wfree() calls sk_write_space),
        // and would run the work item once a message for nothing. A write
        // that found no room left `tx_busy` set before it was tried; a
        // message queued since kicks the pipe itself.
        if ev.is_writable_only() && this.up.load(Ordering::Acquire) && !this.tx_busy() {
            return;
        }
        let p: Arc<Pipe> = this.into();
        p.kick();
    }
}
