// SPDX-License-Identifier: GPL-2.0

//! SURVEYOR/RESPONDENT (NNG `survey0/survey.c`, `respond.c`).
//!
//! A SURVEYOR's `send()` starts a survey: a new id (top bit set, like a
//! request id), sent to every ready pipe without blocking (a pipe whose
//! queue is full misses it, counted in `tx_dropped`). A new survey
//! abandons the old: its responses are dropped from then on. `recv()`
//! returns responses until `SP_SURVEYOR_DEADLINE` has passed since the
//! send; then it reports `ETIMEDOUT` once, and the survey is over. No
//! timer is needed: the deadline is checked when responses arrive and
//! when `recv()` looks, and bounds `recv()`'s wait. Responses are dropped
//! when the receive queue is full, as NNG does. The ids and the deadline
//! are the sans-IO core's ([`crate::proto::survey`]).
//!
//! A RESPONDENT answers like a REP ([`Replier`]): the last survey it
//! received, behind its backtrace (at most `SP_MAXTTL` hops), on the
//! pipe it came from. Called with the socket's `inner` lock held.

use super::reqrep::Replier;
use super::{Core, Out};
use crate::pipe::{Delivery, Pipe};
use crate::proto::flow::Overflow;
use crate::proto::options::Options;
use crate::proto::reqrep;
use crate::proto::survey::{RecvState, Surveys};
use crate::queue::{Item, Msg};
use kernel::prelude::*;
use kernel::sync::Arc;

/// A SURVEYOR's state: its survey.
pub(crate) struct Surveyor {
    s: Surveys,
}

/// A RESPONDENT socket.
pub(crate) type Respondent = Replier;

impl Surveyor {
    /// No survey yet; ids start at `seed`.
    pub(crate) fn new(seed: u32) -> Self {
        Surveyor {
            s: Surveys::new(seed),
        }
    }

    /// Starts a survey (`msg`: room for the id, then the payload) and
    /// sends it to every ready pipe.
    pub(crate) fn send(&mut self, c: &mut Core, msg: Msg, o: &Options) -> Result<Out> {
        let mut msg = match msg {
            Msg::Own(v) => v,
            Msg::Shared(_) => return Err(EINVAL),
        };
        let id = self.s.start(c.now(), o.surveyor_deadline);
        msg[..reqrep::WORD].copy_from_slice(&id.to_be_bytes());
        // Responses to the abandoned survey must not be mistaken for ours.
        c.recvq.clear();
        c.fan_out(msg.into(), o, Overflow::DropNew)
    }

    /// A response: queued if it answers the survey in time, else dropped;
    /// one without an id word closes the pipe.
    pub(crate) fn deliver(&mut self, c: &mut Core, p: &Arc<Pipe>, m: Msg, o: &Options) -> Delivery {
        let Ok(id) = reqrep::reply_id(&m) else {
            return Delivery::Close(EPROTO);
        };
        if !self.s.accepts(id, c.now()) {
            return Delivery::Done;
        }
        c.queue_lossy(Item::from_pipe(p, m, reqrep::WORD, o), o, Overflow::DropNew)
    }

    /// The next response; `EINVAL` with no survey, `ETIMEDOUT` (once)
    /// when its deadline has passed.
    pub(crate) fn recv(&mut self, c: &mut Core) -> Result<Option<Item<Arc<Pipe>>>> {
        match self.s.recv_state(c.now()) {
            RecvState::Idle => Err(EINVAL),
            RecvState::Expired => {
                c.recvq.clear();
                Err(ETIMEDOUT)
            }
            RecvState::Open(_) => Ok(c.recvq.pop()),
        }
    }

    /// The errors `recv()` would give, for `MSG_PEEK`: `EINVAL` with no
    /// survey, `ETIMEDOUT` past its deadline.
    pub(crate) fn may_recv(&mut self, c: &Core) -> Result {
        match self.s.recv_state(c.now()) {
            RecvState::Idle => Err(EINVAL),
            RecvState::Expired => Err(ETIMEDOUT),
            RecvState::Open(_) => Ok(()),
        }
    }

    /// Milliseconds left until the survey's deadline, if one is open.
    pub(crate) fn recv_deadline(&self, c: &Core) -> Option<u64> {
        self.s.poll_timeout(c.now())
    }

    pub(crate) fn clear(&mut self) {
        self.s.clear();
    }
}
