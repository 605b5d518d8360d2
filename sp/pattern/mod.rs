// SPDX-License-Identifier: GPL-2.0

//! The pattern layer: what differs between the SP protocols, one file per
//! protocol family, behind one value the socket holds.
//!
//! # Design
//!
//! The socket ([`crate::sock`]) is generic: options, endpoints, blocking
//! and wakeups, poll, linger and release. Its state holds one [`Proto`],
//! an enum over the per-protocol structs, and a [`Core`]: the part of the
//! socket every protocol acts on (the ready pipes, the receive queue, the
//! counters). The socket calls a hook of `Proto` for each event a
//! protocol reacts to (a pipe attached or detached, a message arrived, a
//! pipe wants its next message, `send()`, `recv()`, poll, the protocol
//! timer, a protocol option) and carries out what the hook returns: the
//! pipes to write out once its lock is dropped ([`Out`]), whether to wait,
//! an errno. The protocols never block, sleep or take the socket's lock:
//! every hook runs with `SpSock::inner` held (and may be called with a
//! pipe's state lock held before it, see [`crate::pipe::PipeOwner`]), and
//! may take a pipe's `outq`, a leaf lock.
//!
//! An enum rather than a `dyn` trait: the set of protocols is closed and
//! known to the uapi, each socket has exactly one for life, and a `match`
//! keeps the state inline in the socket (no allocation per socket, no
//! vtable on the per-message path) while each arm forwards to a struct
//! that lives in its own file. Raw mode (`SP_RAW`) is one more
//! variant for each family with pattern state, behind the same hooks.
//!
//! The decisions that need no kernel (request and survey ids, resend and
//! deadline timing, queue overflow, round robin) are in the sans-IO core,
//! [`crate::proto`], with host tests; the files here keep the storage and
//! the pipes.

pub(crate) mod bus;
pub(crate) mod pair;
pub(crate) mod pipeline;
pub(crate) mod pubsub;
pub(crate) mod reqrep;
pub(crate) mod survey;

use crate::net::socket::{PollMask, SockRef};
use crate::pipe::{Delivery, Pipe};
use crate::proto::flow::{admit, overflows, Bound, Overflow, SendBudget};
use crate::proto::options::Options;
use crate::proto::pattern::Pattern;
use crate::proto::raw;
use crate::proto::uapi::opt;
use crate::queue::{Item, Msg, MsgQueue, TxBytes};
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::time::{Instant, Monotonic};

/// Counters behind `SP_STATS` (`struct sp_stats`).
#[derive(Clone, Copy, Default)]
pub(crate) struct Stats {
    pub(crate) tx_msgs: u64,
    pub(crate) rx_msgs: u64,
    pub(crate) tx_dropped: u64,
    pub(crate) rx_dropped: u64,
    pub(crate) pipes_refused: u64,
    pub(crate) pipes_dropped: u64,
}

impl Stats {
    /// The `struct sp_stats` layout: eight native-endian `__u64`s.
    pub(crate) fn to_bytes(self) -> [u8; 64] {
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

/// What every protocol sees of its socket. Guarded by the socket's
/// `inner` lock, like the [`Proto`] beside it.
pub(crate) struct Core {
    /// The socket's sock, for wakeups and `SO_*BUF`; `None` once released.
    pub(crate) sk: Option<SockRef>,
    /// Set by `close()`: nothing new may start.
    pub(crate) closing: bool,
    /// `shutdown(SHUT_RD)`: `recv()` returns 0 once the queue is empty.
    pub(crate) shut_rd: bool,
    /// `shutdown(SHUT_WR)`: `send()` fails with `EPIPE`.
    pub(crate) shut_wr: bool,
    /// Pipes past the handshake, in the order they came up.
    pub(crate) ready: KVec<Arc<Pipe>>,
    /// Received messages, oldest first, with the pipe each came from.
    pub(crate) recvq: MsgQueue<Arc<Pipe>>,
    /// Pipes that stopped reading because `recvq` was full; each is kicked
    /// once a message is taken. Its capacity is kept at least that of
    /// `ready`, so that noting a pipe here never allocates.
    pub(crate) stalled: KVec<Arc<Pipe>>,
    pub(crate) stats: Stats,
    /// The bytes queued in the pipes' own send queues.
    tx: Arc<TxBytes>,
    /// The protocols' clock starts here (see [`Core::now`]).
    epoch: Instant<Monotonic>,
}

impl Core {
    /// The state of a new socket on `sk`.
    pub(crate) fn new(sk: SockRef, tx: Arc<TxBytes>) -> Self {
        Core {
            tx,
            sk: Some(sk),
            closing: false,
            shut_rd: false,
            shut_wr: false,
            ready: KVec::new(),
            recvq: MsgQueue::new(),
            stalled: KVec::new(),
            stats: Stats::default(),
            epoch: Instant::now(),
        }
    }

    /// Milliseconds since the socket was made: the sans-IO core's clock.
    pub(crate) fn now(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(0)
    }

    pub(crate) fn wake(&self, mask: PollMask) {
        if let Some(sk) = &self.sk {
            sk.wake(mask);
        }
    }

    /// The socket's send budget now: `SO_SNDBUF` bytes across its own
    /// queue (`own`: its bytes) and every pipe's, `SP_SNDBUF` messages in
    /// each. A pipe's queue may always hold
    /// [`crate::proto::flow::PIPE_SEND_ALLOWANCE`], so that replies to a
    /// peer that reads keep going while one that does not holds the rest.
    ///
    /// What a pipe is writing (one frame, and what it gathered behind it
    /// for the same write) has left the queues and is not counted: the
    /// TCP socket's own `SO_SNDBUF` bounds the rest of its way.
    pub(crate) fn send_budget(&self, own: usize, o: &Options) -> SendBudget {
        SendBudget {
            cap: o.sndbuf as usize,
            sndbuf: self.sk.as_ref().map_or(0, |sk| sk.sndbuf()),
            total: own.saturating_add(self.tx.get()),
        }
    }

    /// Bytes queued in the pipes' own send queues.
    pub(crate) fn pipes_unsent(&self) -> usize {
        self.tx.get()
    }

    /// The socket's `SO_RCVBUF`: the bytes `recvq` may hold.
    fn rcv_room(&self) -> usize {
        self.sk.as_ref().map_or(0, |sk| sk.rcvbuf())
    }

    /// The ready pipe whose [`Pipe::wire_id`] is `id`.
    pub(crate) fn ready_by_id(&self, id: u32) -> Option<&Arc<Pipe>> {
        self.ready.iter().find(|p| p.wire_id() == id)
    }

    /// Whether `p` is one of the ready pipes.
    pub(crate) fn is_ready(&self, p: &Arc<Pipe>) -> bool {
        self.ready.iter().any(|q| Arc::ptr_eq(p, q))
    }

    /// Notes that `p` holds a message `recvq` had no room for.
    pub(crate) fn note_stalled(&mut self, p: &Arc<Pipe>) {
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
    pub(crate) fn kick_stalled(&mut self) {
        while let Some(p) = self.stalled.pop() {
            p.kick();
        }
    }

    /// Queues `item` from `p` for `recv()`, or, when `recvq` holds
    /// `SP_RCVBUF` messages or `SO_RCVBUF` bytes, hands it back to `p`,
    /// which stops reading until a message is taken: backpressure, for
    /// the patterns that never drop (PAIR, REP, PULL, RESPONDENT).
    pub(crate) fn queue(&mut self, p: &Arc<Pipe>, item: Item<Arc<Pipe>>, o: &Options) -> Delivery {
        let b = Bound::single(o.rcvbuf as usize, self.rcv_room());
        if overflows(self.recvq.len(), self.recvq.bytes(), &b, item.msg.len()) {
            self.note_stalled(p);
            return Delivery::Full(item.msg);
        }
        if let Err(item) = self.recvq.push(item) {
            self.note_stalled(p);
            return Delivery::Full(item.msg);
        }
        self.stats.rx_msgs += 1;
        self.wake(PollMask::READABLE);
        Delivery::Done
    }

    /// Queues `item` for `recv()` without ever stalling its pipe: past
    /// the bounds, `policy` says what goes (counted in `rx_dropped`).
    pub(crate) fn queue_lossy(
        &mut self,
        item: Item<Arc<Pipe>>,
        o: &Options,
        policy: Overflow,
    ) -> Delivery {
        let q = &self.recvq;
        let b = Bound::single(o.rcvbuf as usize, self.rcv_room());
        let (drop, take) = admit(q.sizes(), q.len(), q.bytes(), &b, item.msg.len(), policy);
        for _ in 0..drop {
            self.recvq.pop();
        }
        self.stats.rx_dropped += drop as u64;
        if !take {
            self.stats.rx_dropped += 1;
            return Delivery::Done;
        }
        if self.recvq.push(item).is_err() {
            self.stats.rx_dropped += 1;
            return Delivery::Done;
        }
        self.stats.rx_msgs += 1;
        self.wake(PollMask::READABLE);
        Delivery::Done
    }

    /// Queues `msg` on every ready pipe, all sharing the one body, each
    /// pipe's queue bounded by its share of the send budget with `policy`
    /// saying what a full one gives up (counted in `tx_dropped`). Never
    /// blocks. Returns the pipes to write out.
    pub(crate) fn fan_out(&mut self, msg: Msg, o: &Options, policy: Overflow) -> Result<Out> {
        self.fan_out_but(msg, o, policy, None)
    }

    /// [`Core::fan_out`] to every ready pipe but `skip` (a raw BUS's
    /// sender).
    pub(crate) fn fan_out_but(
        &mut self,
        msg: Msg,
        o: &Options,
        policy: Overflow,
        skip: Option<&Arc<Pipe>>,
    ) -> Result<Out> {
        let mut out = Out::new();
        out.reserve(self.ready.len())?;
        let mut msg = msg;
        let to = |p: &Arc<Pipe>| !skip.is_some_and(|s| Arc::ptr_eq(s, p));
        let n = self.ready.iter().filter(|p| to(p)).count();
        let mut dropped = 0;
        for (i, p) in self.ready.iter().filter(|p| to(p)).enumerate() {
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
            // Read for each pipe: the copies queued so far count.
            match p.push_out(m, &self.send_budget(0, o), policy) {
                Ok(d) => dropped += d,
                Err(_) => dropped += 1,
            }
            out.flush(p.clone());
        }
        self.stats.tx_msgs += 1;
        self.stats.tx_dropped += dropped;
        Ok(out)
    }
}

/// What the socket does once its lock is dropped, as a hook returns it.
pub(crate) struct Out {
    /// Pipes to write out, from the caller's context when they are idle.
    /// A few on the stack: most sends have one.
    few: [Option<Arc<Pipe>>; 4],
    many: KVec<Arc<Pipe>>,
    /// Arm the protocol timer to fire in this many milliseconds.
    pub(crate) arm: Option<u32>,
}

impl Out {
    /// Nothing to do.
    pub(crate) fn new() -> Self {
        Out {
            few: Default::default(),
            many: KVec::new(),
            arm: None,
        }
    }

    /// Write out `p`.
    pub(crate) fn one(p: Arc<Pipe>) -> Self {
        let mut o = Self::new();
        o.few[0] = Some(p);
        o
    }

    /// Room for `n` pipes, so that [`Out::flush`] never allocates.
    fn reserve(&mut self, n: usize) -> Result {
        if n > self.few.len() {
            self.many.reserve(n, GFP_KERNEL)?;
        }
        Ok(())
    }

    /// Adds `p` to the pipes to write out (after [`Out::reserve`]).
    fn flush(&mut self, p: Arc<Pipe>) {
        if let Some(slot) = self.few.iter_mut().find(|s| s.is_none()) {
            *slot = Some(p);
        } else if let Err(e) = self.many.push_within_capacity(p) {
            // Not reserved: the pipe's work item writes it.
            e.0.kick();
        }
    }

    /// The pipes to write out.
    pub(crate) fn pipes(&self) -> impl Iterator<Item = &Arc<Pipe>> {
        Iterator::chain(self.few.iter().flatten(), self.many.iter())
    }
}

/// A `send()` in progress: what the pattern puts before the payload and,
/// for a reply, where it goes. Made by [`Proto::begin_send`] before the
/// payload is copied from user space.
pub(crate) struct Ticket {
    /// A backtrace to send the payload behind (REP, RESPONDENT).
    pub(crate) head: KVec<u8>,
    /// Zero bytes to leave before the payload, for an id the pattern
    /// writes (REQ, SURVEYOR).
    pub(crate) pad: usize,
    /// The pipe a reply goes to.
    pub(crate) to: Option<Arc<Pipe>>,
}

impl Ticket {
    /// Nothing before the payload.
    pub(crate) fn plain() -> Self {
        Ticket {
            head: KVec::new(),
            pad: 0,
            to: None,
        }
    }
}

/// A socket's protocol and its state.
pub(crate) enum Proto {
    Pair(pair::Pair),
    Pub(pubsub::Pub),
    Sub(pubsub::Sub),
    Req(reqrep::Req),
    Rep(reqrep::Rep),
    Push(pipeline::Push),
    Pull(pipeline::Pull),
    Surveyor(survey::Surveyor),
    Respondent(survey::Respondent),
    Bus(bus::Bus),
    // Raw mode (`SP_RAW`): no pattern state. Raw PAIR, PUB, PUSH and PULL
    // keep no state when cooked either, and use the variants above.
    /// Raw REQ: round robin, as PUSH; no ids, no resend.
    XReq(pipeline::Push),
    /// Raw REP and RESPONDENT: a send goes to the pipe its header names.
    XRep,
    XRespondent,
    /// Raw SUB: every message, unfiltered.
    XSub,
    /// Raw SURVEYOR: to every peer, as PUB; no ids, no deadline.
    XSurveyor,
    /// Raw BUS: the sender's pipe id in the header.
    XBus,
}

impl Proto {
    /// The state of a new socket of `pattern`; ids start from `seed`.
    pub(crate) fn new(pattern: Pattern, seed: u32) -> Self {
        match pattern {
            Pattern::Pair => Proto::Pair(pair::Pair::new()),
            Pattern::Pub => Proto::Pub(pubsub::Pub),
            Pattern::Sub => Proto::Sub(pubsub::Sub::new()),
            Pattern::Req => Proto::Req(reqrep::Req::new(seed)),
            Pattern::Rep => Proto::Rep(reqrep::Rep::new()),
            Pattern::Push => Proto::Push(pipeline::Push::new()),
            Pattern::Pull => Proto::Pull(pipeline::Pull),
            Pattern::Surveyor => Proto::Surveyor(survey::Surveyor::new(seed)),
            Pattern::Respondent => Proto::Respondent(survey::Respondent::new()),
            Pattern::Bus => Proto::Bus(bus::Bus),
        }
    }

    /// The state of a new raw socket of `pattern`.
    pub(crate) fn new_raw(pattern: Pattern) -> Self {
        match pattern {
            Pattern::Req => Proto::XReq(pipeline::Push::new()),
            Pattern::Rep => Proto::XRep,
            Pattern::Respondent => Proto::XRespondent,
            Pattern::Sub => Proto::XSub,
            Pattern::Surveyor => Proto::XSurveyor,
            Pattern::Bus => Proto::XBus,
            p => Proto::new(p, 0),
        }
    }

    /// Whether the pattern uses the protocol timer (REQ's resend).
    pub(crate) fn uses_timer(&self) -> bool {
        matches!(self, Proto::Req(_))
    }

    /// A pipe finished its handshake: may it become a peer? PAIR has one
    /// peer at a time, like NNG's `pair0` (`EBUSY`).
    pub(crate) fn admit(&self, c: &Core) -> Result {
        match self {
            Proto::Pair(_) if !c.ready.is_empty() => Err(EBUSY),
            _ => Ok(()),
        }
    }

    /// `p` joined `c.ready`. Kicks rather than writes: the caller may
    /// hold `p`'s state.
    pub(crate) fn attached(&mut self, c: &mut Core, p: &Arc<Pipe>) {
        if let Proto::Req(r) = self {
            r.attached(c, p);
        }
    }

    /// `p` left `c.ready`.
    pub(crate) fn detached(&mut self, c: &mut Core, p: &Arc<Pipe>) {
        if let Proto::Req(r) = self {
            r.detached(c, p);
        }
    }

    /// A message arrived on `p`: route it, queue it, drop it, or close `p`.
    pub(crate) fn deliver(&mut self, c: &mut Core, p: &Arc<Pipe>, m: Msg, o: &Options) -> Delivery {
        match self {
            Proto::Pair(_) | Proto::Pull(_) => c.queue(p, Item::from_pipe(p, m, 0, o), o),
            Proto::Req(r) => r.deliver(c, p, m, o),
            Proto::Rep(r) | Proto::Respondent(r) => r.deliver(c, p, m, o),
            Proto::Sub(s) => s.deliver(c, p, m, o),
            Proto::Surveyor(s) => s.deliver(c, p, m, o),
            Proto::Bus(_) => c.queue_lossy(Item::from_pipe(p, m, 0, o), o, Overflow::DropNew),
            // A SUB sends nothing after its header: NNG's pub0 closes it.
            Proto::Pub(_) => Delivery::Close(EPROTO),
            // NNG's push0 discards what a PULL sends.
            Proto::Push(_) => Delivery::Done,
            Proto::XReq(_) | Proto::XSurveyor => match m.len() >= crate::proto::reqrep::WORD {
                // The first word, the id the peer sent back, is the header.
                true => c.queue(p, Item::from_pipe(p, m, crate::proto::reqrep::WORD, o), o),
                false => Delivery::Close(EPROTO),
            },
            Proto::XRep | Proto::XRespondent => reqrep::deliver_request(c, p, m, o),
            Proto::XSub => c.queue_lossy(Item::from_pipe(p, m, 0, o), o, Overflow::DropOldest),
            Proto::XBus => c.queue_lossy(
                Item {
                    msg: m,
                    pipe: Some(p.clone()),
                    hdr: 0,
                },
                o,
                Overflow::DropNew,
            ),
        }
    }

    /// The next message for `p` from the socket's own send queue.
    pub(crate) fn take_send(&mut self, c: &mut Core, p: &Arc<Pipe>) -> Option<Msg> {
        match self {
            Proto::Pair(s) => s.take_send(c, p),
            Proto::Push(s) | Proto::XReq(s) => s.take_send(c),
            _ => None,
        }
    }

    /// Starts a `send()`: what goes before the payload. `EINVAL` for a
    /// reply with no request to answer. `raw` is the header of a raw
    /// socket's send (empty without one; `None` on a cooked socket).
    pub(crate) fn begin_send(&mut self, c: &Core, raw: Option<&[u8]>) -> Result<Ticket> {
        if let Some(h) = raw {
            return self.begin_raw(c, h);
        }
        match self {
            Proto::Req(_) | Proto::Surveyor(_) => Ok(Ticket {
                head: KVec::new(),
                pad: crate::proto::reqrep::WORD,
                to: None,
            }),
            Proto::Rep(r) | Proto::Respondent(r) => r.begin_send(),
            Proto::Sub(_) | Proto::Pull(_) => Err(EOPNOTSUPP),
            _ => Ok(Ticket::plain()),
        }
    }

    /// [`Proto::begin_send`] of a raw socket with header `h`.
    fn begin_raw(&self, c: &Core, h: &[u8]) -> Result<Ticket> {
        let routed = matches!(self, Proto::XRep | Proto::XRespondent);
        let (id, head) = raw::split_send(h, routed).map_err(|_| EINVAL)?;
        let mut t = Ticket::plain();
        match self {
            Proto::Sub(_) | Proto::XSub | Proto::Pull(_) => return Err(EOPNOTSUPP),
            // Routed: a pipe that is gone drops the message.
            Proto::XRep | Proto::XRespondent => t.to = id.and_then(|i| c.ready_by_id(i)).cloned(),
            Proto::XReq(_) | Proto::XSurveyor => {}
            // Only a pipe id to leave out, or nothing.
            Proto::XBus => match head {
                [] => return Ok(t),
                [a, b, cc, d] => {
                    let id = u32::from_be_bytes([*a, *b, *cc, *d]);
                    t.to = c.ready_by_id(id).cloned();
                    return Ok(t);
                }
                _ => return Err(EINVAL),
            },
            // No header at all.
            _ if !head.is_empty() => return Err(EINVAL),
            _ => return Ok(t),
        }
        t.head.extend_from_slice(head, GFP_KERNEL)?;
        Ok(t)
    }

    /// The header a raw socket's `recv()` returns with `it`: a pipe id
    /// where sends are routed by one, then the words before the payload.
    pub(crate) fn raw_header(&self, it: &Item<Arc<Pipe>>) -> (Option<u32>, usize) {
        let id = match self {
            Proto::XRep | Proto::XRespondent | Proto::XBus => it.pipe.as_ref().map(|p| p.wire_id()),
            _ => None,
        };
        (id, it.hdr)
    }

    /// A `send()` failed before its message went anywhere.
    pub(crate) fn abort_send(&mut self, t: Ticket) {
        if let Proto::Rep(r) | Proto::Respondent(r) = self {
            r.abort_send(t);
        }
    }

    /// Sends `*m`: `Some` once it was queued (or dropped by the pattern's
    /// rules), `None` when there is no room yet: the caller waits until
    /// [`Proto::can_send`] and tries again.
    pub(crate) fn send(
        &mut self,
        c: &mut Core,
        t: &Ticket,
        m: &mut Option<Msg>,
        o: &Options,
    ) -> Result<Option<Out>> {
        let Some(msg) = m.take() else {
            return Ok(Some(Out::new()));
        };
        match self {
            // Into the socket's queue, or wait for room.
            Proto::Pair(s) => Ok(s.sendq.offer(c, m, msg, o)?.then(|| s.writer(c))),
            Proto::Push(s) => Ok(s.sendq.offer(c, m, msg, o)?.then(|| s.writer(c))),
            Proto::Req(r) => r.send(c, msg, o).map(Some),
            Proto::Rep(r) | Proto::Respondent(r) => r.send(c, t, m, msg, o),
            Proto::Surveyor(s) => s.send(c, msg, o).map(Some),
            Proto::Pub(_) => c.fan_out(msg, o, Overflow::DropOldest).map(Some),
            Proto::Bus(_) => c.fan_out(msg, o, Overflow::DropNew).map(Some),
            Proto::XReq(s) => Ok(s.sendq.offer(c, m, msg, o)?.then(|| s.writer(c))),
            Proto::XRep | Proto::XRespondent => reqrep::send_to(c, t, m, msg, o),
            Proto::XSurveyor => c.fan_out(msg, o, Overflow::DropNew).map(Some),
            Proto::XBus => c
                .fan_out_but(msg, o, Overflow::DropNew, t.to.as_ref())
                .map(Some),
            Proto::Sub(_) | Proto::Pull(_) | Proto::XSub => Err(EOPNOTSUPP),
        }
    }

    /// Whether a message of `len` bytes would be taken now (by the send of
    /// `t`, or for poll by any send).
    pub(crate) fn can_send(&self, c: &Core, t: Option<&Ticket>, len: usize, o: &Options) -> bool {
        match self {
            Proto::Req(_) | Proto::Pub(_) | Proto::Bus(_) | Proto::Surveyor(_) => true,
            Proto::XSurveyor | Proto::XBus => true,
            Proto::Sub(_) | Proto::Pull(_) | Proto::XSub => false,
            Proto::Pair(pair::Pair { sendq })
            | Proto::Push(pipeline::Push { sendq, .. })
            | Proto::XReq(pipeline::Push { sendq, .. }) => sendq.can_send(c, len, o),
            Proto::Rep(r) | Proto::Respondent(r) => r.can_send(c, t, len, o),
            // For poll, with no header to say where: any send is taken.
            Proto::XRep | Proto::XRespondent => reqrep::can_send_to(c, t, len, o),
        }
    }

    /// `recv()`: the next message for the user, `None` to wait, or the
    /// pattern's error.
    pub(crate) fn recv(&mut self, c: &mut Core) -> Result<Option<Item<Arc<Pipe>>>> {
        match self {
            Proto::Req(r) => r.recv(c),
            Proto::Rep(r) | Proto::Respondent(r) => r.recv(c),
            Proto::Surveyor(s) => s.recv(c),
            Proto::Pub(_) | Proto::Push(_) => Err(EOPNOTSUPP),
            _ => Ok(c.recvq.pop()),
        }
    }

    /// What the next `recv()` would return, left in the queue
    /// (`MSG_PEEK`): a second handle to its body, and the same errors.
    pub(crate) fn peek(&mut self, c: &mut Core) -> Result<Option<Item<Arc<Pipe>>>> {
        match self {
            Proto::Req(r) if !r.is_open() && c.recvq.is_empty() => return Err(EINVAL),
            Proto::Surveyor(s) => s.may_recv(c)?,
            Proto::Pub(_) | Proto::Push(_) => return Err(EOPNOTSUPP),
            _ => {}
        }
        let Some(it) = c.recvq.front_mut() else {
            return Ok(None);
        };
        Ok(Some(Item {
            msg: it.msg.share()?,
            pipe: it.pipe.clone(),
            hdr: it.hdr,
        }))
    }

    /// Whether `recv()` would not wait: a message, or an error, is ready.
    pub(crate) fn recv_ready(&self, c: &Core) -> bool {
        !c.recvq.is_empty()
            || match self {
                Proto::Req(r) => !r.is_open(),
                Proto::Surveyor(s) => s.recv_deadline(c).is_none_or(|ms| ms == 0),
                _ => false,
            }
    }

    /// Milliseconds until `recv()` stops waiting whatever its timeout (a
    /// survey's deadline).
    pub(crate) fn recv_deadline(&self, c: &Core) -> Option<u64> {
        match self {
            Proto::Surveyor(s) => s.recv_deadline(c),
            _ => None,
        }
    }

    /// The protocol timer fired: milliseconds until it should fire again.
    pub(crate) fn timer(&mut self, c: &mut Core, o: &Options) -> Option<u32> {
        match self {
            Proto::Req(r) => r.timer(c, o),
            _ => None,
        }
    }

    /// Whether messages wait in the socket's own send queue (a lingering
    /// `close()` waits for them).
    pub(crate) fn unsent(&self) -> bool {
        match self {
            Proto::Pair(pair::Pair { sendq })
            | Proto::Push(pipeline::Push { sendq, .. })
            | Proto::XReq(pipeline::Push { sendq, .. }) => !sendq.is_empty(),
            _ => false,
        }
    }

    /// Bytes in the socket's own send queue.
    pub(crate) fn unsent_bytes(&self) -> usize {
        match self {
            Proto::Pair(pair::Pair { sendq })
            | Proto::Push(pipeline::Push { sendq, .. })
            | Proto::XReq(pipeline::Push { sendq, .. }) => sendq.0.bytes(),
            _ => 0,
        }
    }

    /// A protocol's own `SOL_SP` option (SUB's subscriptions); `None`
    /// for the generic options table.
    pub(crate) fn setsockopt(&mut self, name: i32, val: &[u8]) -> Option<Result> {
        match self {
            Proto::Sub(s) => s.setsockopt(name, val),
            Proto::XSub if name == opt::SUBSCRIBE || name == opt::UNSUBSCRIBE => {
                Some(Err(ENOPROTOOPT))
            }
            _ => None,
        }
    }

    /// `close()`: forgets every message and request.
    pub(crate) fn clear(&mut self) {
        match self {
            Proto::Pair(pair::Pair { sendq })
            | Proto::Push(pipeline::Push { sendq, .. })
            | Proto::XReq(pipeline::Push { sendq, .. }) => sendq.clear(),
            Proto::Req(r) => r.clear(),
            Proto::Rep(r) | Proto::Respondent(r) => r.clear(),
            Proto::Surveyor(s) => s.clear(),
            _ => {}
        }
    }
}

/// A socket's own send queue (PAIR, PUSH): messages wait here until a
/// pipe takes one, bounded by `SP_SNDBUF` messages and `SO_SNDBUF` bytes.
pub(crate) struct SendQueue(MsgQueue<()>);

impl SendQueue {
    pub(crate) const fn new() -> Self {
        SendQueue(MsgQueue::new())
    }

    /// Whether a message of `len` bytes fits (an empty queue takes any).
    pub(crate) fn fits(&self, c: &Core, len: usize, o: &Options) -> bool {
        let b = c.send_budget(self.0.bytes(), o);
        let bound = Bound {
            others: b.total - self.0.bytes(),
            ..Bound::single(b.cap, b.sndbuf)
        };
        !overflows(self.0.len(), self.0.bytes(), &bound, len)
    }

    /// Whether a message of `len` bytes would be taken now: a pipe is up
    /// to take it and it fits.
    pub(crate) fn can_send(&self, c: &Core, len: usize, o: &Options) -> bool {
        !c.ready.is_empty() && self.fits(c, len, o)
    }

    /// Queues `msg` if [`SendQueue::can_send`]; else hands it back in `m`
    /// to wait and returns `false`. On allocation failure `msg` is lost
    /// (`ENOMEM`).
    pub(crate) fn offer(
        &mut self,
        c: &mut Core,
        m: &mut Option<Msg>,
        msg: Msg,
        o: &Options,
    ) -> Result<bool> {
        if !self.can_send(c, msg.len(), o) {
            *m = Some(msg);
            return Ok(false);
        }
        self.0.push(Item::plain(msg)).map_err(|_| ENOMEM)?;
        c.stats.tx_msgs += 1;
        Ok(true)
    }

    /// Takes the oldest message, waking a sender waiting for room.
    pub(crate) fn pop(&mut self, c: &Core) -> Option<Msg> {
        let m = self.0.pop()?;
        c.wake(PollMask::WRITABLE);
        Some(m.msg)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn clear(&mut self) {
        self.0.clear();
    }
}
