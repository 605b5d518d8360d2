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
use crate::queue::Msg;

/// A PUSH's state: its send queue and round-robin cursor.
pub(crate) struct Push {
    pub(super) sendq: SendQueue,
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

    /// The pipe to write a message just queued: the next idle one in
    /// round-robin order, else the next one (which takes it, or leaves it
    /// to whichever pipe finishes first).
    pub(super) fn writer(&mut self, c: &Core) -> Out {
        let ready = &c.ready;
        let i = self
            .rr
            .pick(ready.len(), |i| !ready[i].tx_busy() && !ready[i].has_out());
        i.map_or_else(Out::new, |i| Out::one(ready[i].clone()))
    }
}

/// A PULL: no state of its own; [`Core::queue`] fair-queues its pipes
/// (each pipe delivers a message at a time, in arrival order).
pub(crate) struct Pull;
