// SPDX-License-Identifier: GPL-2.0

//! REQ/REP (NNG `reqrep0/req.c`, `rep.c`).
//!
//! A REQ has one request outstanding: its body, kept for resending, the
//! pipe it went out on, and a round robin over the ready pipes. A new
//! request abandons the old; a pipe that closes under its request, and
//! the resend timer (`SP_RESEND_IVL`), send it again on the next pipe.
//! A REP answers the last request it received, behind its backtrace, on
//! the pipe it came from ([`Replier`], which RESPONDENT shares). The ids,
//! the backtraces and the timing are the sans-IO core's
//! ([`crate::proto::reqrep`]). Called with the socket's `inner` lock held.

use super::{Core, Out, Ticket};
use crate::net::socket::PollMask;
use crate::pipe::{Delivery, Pipe};
use crate::proto::flow::RoundRobin;
use crate::proto::options::Options;
use crate::proto::reqrep::{self, Outstanding, ResendDue};
use crate::queue::{Item, Msg};
use kernel::prelude::*;
use kernel::sync::Arc;

/// A REQ's outstanding request.
struct Request {
    /// The wire body: request id, then payload.
    msg: Msg,
    /// The pipe it went out on, if any.
    pipe: Option<Arc<Pipe>>,
}

/// A REQ's state.
pub(crate) struct Req {
    out: Outstanding,
    req: Option<Request>,
    rr: RoundRobin,
}

impl Req {
    /// No request yet; ids start at `seed`.
    pub(crate) fn new(seed: u32) -> Self {
        Req {
            out: Outstanding::new(seed),
            req: None,
            rr: RoundRobin::new(),
        }
    }

    /// Whether a request is outstanding.
    pub(crate) fn is_open(&self) -> bool {
        self.req.is_some()
    }

    /// Queues the outstanding request on the next ready pipe, round robin,
    /// and returns that pipe: the caller writes it out (or kicks it). With
    /// no ready pipe the request waits for one to attach; on allocation
    /// failure, for the resend timer.
    #[must_use]
    fn dispatch(&mut self, c: &Core) -> Option<Arc<Pipe>> {
        let req = self.req.as_mut()?;
        req.pipe = None;
        let p = c.ready.get(self.rr.pick(c.ready.len(), |_| true)?)?.clone();
        // The pipe's queue and the request share one body.
        let copy = req.msg.share().ok()?;
        self.out.sent(c.now());
        // A resend replaces a copy still waiting on a stuck pipe.
        p.replace_out(copy).ok()?;
        req.pipe = Some(p.clone());
        Some(p)
    }

    /// A request waiting for a pipe goes out on `p` (possibly `p` itself,
    /// whose state its caller holds: kick).
    pub(crate) fn attached(&mut self, c: &mut Core, _p: &Arc<Pipe>) {
        if self.req.as_ref().is_some_and(|r| r.pipe.is_none()) {
            if let Some(q) = self.dispatch(c) {
                q.kick();
            }
        }
    }

    /// A request on a dead pipe goes out again at once.
    pub(crate) fn detached(&mut self, c: &mut Core, p: &Arc<Pipe>) {
        let carried = self
            .req
            .as_ref()
            .and_then(|r| r.pipe.as_ref())
            .is_some_and(|q| Arc::ptr_eq(p, q));
        if carried {
            if let Some(q) = self.dispatch(c) {
                q.kick();
            }
        }
    }

    /// A reply: queued if it answers the outstanding request; stale and
    /// unknown ones are dropped, malformed ones close the pipe.
    pub(crate) fn deliver(&mut self, c: &mut Core, p: &Arc<Pipe>, m: Msg, o: &Options) -> Delivery {
        let Ok(id) = reqrep::reply_id(&m) else {
            return Delivery::Close(EPROTO);
        };
        if !self.out.on_reply(id) {
            return Delivery::Done;
        }
        self.req = None;
        // Room is certain: a new request clears the queue.
        let _ = c.recvq.push(Item::from_pipe(p, m, reqrep::WORD, o));
        c.stats.rx_msgs += 1;
        c.wake(PollMask::READABLE);
        Delivery::Done
    }

    /// Sends a request (`msg`: room for the id, then the payload),
    /// abandoning any outstanding one, and arms the resend timer.
    pub(crate) fn send(&mut self, c: &mut Core, msg: Msg, o: &Options) -> Result<Out> {
        let mut msg = match msg {
            Msg::Own(v) => v,
            Msg::Shared(_) => return Err(EINVAL),
        };
        let id = self.out.start(c.now());
        msg[..reqrep::WORD].copy_from_slice(&id.to_be_bytes());
        // A reply to the abandoned request must not be mistaken for ours.
        c.recvq.clear();
        self.req = Some(Request {
            msg: msg.into(),
            pipe: None,
        });
        c.stats.tx_msgs += 1;
        let mut out = self.dispatch(c).map_or_else(Out::new, Out::one);
        out.arm = Some(o.resend_ivl);
        Ok(out)
    }

    /// `EINVAL` with no request outstanding: nothing to wait for.
    pub(crate) fn recv(&mut self, c: &mut Core) -> Result<Option<Item<Arc<Pipe>>>> {
        match c.recvq.pop() {
            Some(it) => Ok(Some(it)),
            None if self.req.is_none() => Err(EINVAL),
            None => Ok(None),
        }
    }

    /// The resend timer fired: resends if the request is due.
    pub(crate) fn timer(&mut self, c: &mut Core, o: &Options) -> Option<u32> {
        self.req.as_ref()?;
        match self.out.resend_due(c.now(), o.resend_ivl) {
            ResendDue::Idle => None,
            ResendDue::In(ms) => Some(ms),
            ResendDue::Now => {
                if let Some(q) = self.dispatch(c) {
                    q.kick();
                }
                Some(o.resend_ivl)
            }
        }
    }

    pub(crate) fn clear(&mut self) {
        self.req = None;
        self.out.clear();
    }
}

/// The answering side of a request or survey (REP, RESPONDENT): the
/// last one received, as its backtrace and the pipe it came from. A
/// reply whose pipe is gone is dropped; one whose pipe holds `SO_SNDBUF`
/// bytes (a peer that does not read) waits, as NNG's `rep0` does.
pub(crate) struct Replier {
    current: Option<(KVec<u8>, Arc<Pipe>)>,
}

/// A REP socket.
pub(crate) type Rep = Replier;

impl Replier {
    pub(crate) const fn new() -> Self {
        Replier { current: None }
    }

    /// A request: as [`deliver_request`].
    pub(crate) fn deliver(&mut self, c: &mut Core, p: &Arc<Pipe>, m: Msg, o: &Options) -> Delivery {
        deliver_request(c, p, m, o)
    }

    /// Takes the next request and makes it the current one. The backtrace
    /// is copied before the message is taken, so that `ENOMEM` leaves it
    /// queued.
    pub(crate) fn recv(&mut self, c: &mut Core) -> Result<Option<Item<Arc<Pipe>>>> {
        let current = match c.recvq.front() {
            Some(Item {
                pipe: Some(p),
                msg,
                hdr,
            }) => {
                let mut bt = KVec::with_capacity(*hdr, GFP_KERNEL)?;
                bt.extend_from_slice(&msg[..*hdr], GFP_KERNEL)?;
                Some((bt, p.clone()))
            }
            _ => None,
        };
        let it = c.recvq.pop();
        if it.is_some() && current.is_some() {
            self.current = current;
        }
        Ok(it)
    }

    /// A reply takes the current request (`EINVAL` without one).
    pub(crate) fn begin_send(&mut self) -> Result<Ticket> {
        let (head, to) = self.current.take().ok_or(EINVAL)?;
        Ok(Ticket {
            head,
            pad: 0,
            to: Some(to),
        })
    }

    /// Not sent: the request still awaits its reply.
    pub(crate) fn abort_send(&mut self, t: Ticket) {
        if let (None, Some(to)) = (&self.current, t.to) {
            self.current = Some((t.head, to));
        }
    }

    /// Queues the reply on its pipe, drops it if the pipe is gone (send()
    /// still succeeds, like a frame TCP loses; so does one that finds no
    /// memory), or hands it back in `m` to wait for room.
    pub(crate) fn send(
        &mut self,
        c: &mut Core,
        t: &Ticket,
        m: &mut Option<Msg>,
        msg: Msg,
        o: &Options,
    ) -> Result<Option<Out>> {
        send_to(c, t, m, msg, o)
    }

    /// Whether the reply of `t` (for poll: to the current request) fits
    /// its pipe's queue, or will be dropped.
    pub(crate) fn can_send(&self, c: &Core, t: Option<&Ticket>, len: usize, o: &Options) -> bool {
        match t {
            Some(_) => can_send_to(c, t, len, o),
            None => self
                .current
                .as_ref()
                .is_some_and(|(_, p)| p.has_room(len, &c.send_budget(0, o))),
        }
    }

    pub(crate) fn clear(&mut self) {
        self.current = None;
    }
}

/// Queues a reply or a raw REP's message on the pipe of `t`, drops it if
/// the pipe is gone (send() still succeeds, like a frame TCP loses; so
/// does one that finds no memory), or hands it back in `m` to wait for
/// room.
pub(crate) fn send_to(
    c: &mut Core,
    t: &Ticket,
    m: &mut Option<Msg>,
    msg: Msg,
    o: &Options,
) -> Result<Option<Out>> {
    let Some(pipe) = t.to.as_ref().filter(|p| c.is_ready(p)) else {
        c.stats.tx_dropped += 1;
        return Ok(Some(Out::new()));
    };
    *m = Some(msg);
    match pipe.push_out_room(m, &c.send_budget(0, o)) {
        Ok(false) => Ok(None),
        _ => {
            c.stats.tx_msgs += 1;
            Ok(Some(Out::one(pipe.clone())))
        }
    }
}

/// Whether [`send_to`] takes a message of `len` bytes for `t` now: its
/// pipe has room, or is gone (the message is dropped). Without `t` (poll
/// on a raw REP, whose header names the pipe), always.
pub(crate) fn can_send_to(c: &Core, t: Option<&Ticket>, len: usize, o: &Options) -> bool {
    match t.and_then(|t| t.to.as_ref()) {
        Some(p) if c.is_ready(p) => p.has_room(len, &c.send_budget(0, o)),
        _ => true,
    }
}

/// A request or survey for a REP or RESPONDENT, cooked or raw: queued
/// behind its backtrace, with backpressure (a raw socket's header returns
/// the backtrace with the pipe's id); one with more than `SP_MAXTTL` hops
/// is dropped and counted in `rx_dropped`, garbage closes the pipe.
pub(crate) fn deliver_request(c: &mut Core, p: &Arc<Pipe>, m: Msg, o: &Options) -> Delivery {
    match reqrep::split_request(&m, o.maxttl) {
        Ok(hdr) => c.queue(
            p,
            Item {
                msg: m,
                pipe: Some(p.clone()),
                hdr,
            },
            o,
        ),
        Err(reqrep::Error::TooManyHops) => {
            c.stats.rx_dropped += 1;
            Delivery::Done
        }
        Err(reqrep::Error::Malformed) => Delivery::Close(EPROTO),
    }
}
