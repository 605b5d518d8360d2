// SPDX-License-Identifier: GPL-2.0

//! PUSH/PULL (NNG `pipeline0/push.c`, `pull.c`): a PUSH sends each
//! message to one PULL, round robin among the pipes that are idle; while
//! all are busy, messages wait in the socket's send queue and the next
//! pipe to finish a frame takes the next one (backpressure: a slow PULL
//! gets fewer). `send()` waits while there is no pipe or no room. A PULL
//! queues what any pipe delivers, with backpressure. Called with the
//! socket's `inner` lock held.

use super::{Core, Out, SendQueue};
use crate::proto::flow::RoundRobin;
use crate::proto::options::Options;
use crate::queue::Msg;
use kernel::prelude::*;

/// A PUSH's state: its send queue and round-robin cursor.
pub(crate) struct Push {
    sendq: SendQueue,
    rr: RoundRobin,
}

impl Push {
    pub(crate) const fn new() -> Self {
        Push {
            sendq: SendQueue::new(),
            rr: RoundRobin::new(),
        }
    }

    /// The next message for a pipe that finished its last frame.
    pub(crate) fn take_send(&mut self, c: &Core) -> Option<Msg> {
        self.sendq.pop(c)
    }

    /// Queues `msg` and picks the pipe to write it: the next idle one in
    /// round-robin order, else the next one (which takes it, or leaves it
    /// to whichever pipe finishes first). Hands `msg` back in `m` to wait
    /// while there is no pipe or no room.
    pub(crate) fn send(
        &mut self,
        c: &mut Core,
        m: &mut Option<Msg>,
        msg: Msg,
        o: &Options,
    ) -> Result<Option<Out>> {
        if !self.can_send(c, msg.len(), o) {
            *m = Some(msg);
            return Ok(None);
        }
        self.sendq.push(msg)?;
        c.stats.tx_msgs += 1;
        let ready = &c.ready;
        let i = self
            .rr
            .pick(ready.len(), |i| !ready[i].tx_busy() && !ready[i].has_out());
        Ok(Some(
            i.map_or_else(Out::new, |i| Out::one(ready[i].clone())),
        ))
    }

    pub(crate) fn can_send(&self, c: &Core, len: usize, o: &Options) -> bool {
        !c.ready.is_empty() && self.sendq.fits(c, len, o)
    }

    pub(crate) fn unsent(&self) -> bool {
        !self.sendq.is_empty()
    }

    pub(crate) fn clear(&mut self) {
        self.sendq.clear();
    }
}

/// A PULL: no state of its own; [`Core::queue`] fair-queues its pipes
/// (each pipe delivers a message at a time, in arrival order).
pub(crate) struct Pull;
