// SPDX-License-Identifier: GPL-2.0

//! PAIR (NNG `pair0`): one peer at a time; `send()` queues in the
//! socket's send queue, which the peer's pipe drains, and waits while
//! there is no peer or no room. Received messages are queued with
//! backpressure ([`Core::queue`]). Called with the socket's `inner` lock
//! held.

use super::{Core, Out, SendQueue};
use crate::pipe::Pipe;
use crate::queue::Msg;
use kernel::sync::Arc;

/// A PAIR's state: its send queue.
pub(crate) struct Pair {
    pub(super) sendq: SendQueue,
}

impl Pair {
    pub(crate) const fn new() -> Self {
        Pair {
            sendq: SendQueue::new(),
        }
    }

    /// The peer, the one ready pipe.
    fn peer(c: &Core) -> Option<&Arc<Pipe>> {
        c.ready.first()
    }

    /// The next message for `p`, if it is the peer.
    pub(crate) fn take_send(&mut self, c: &Core, p: &Arc<Pipe>) -> Option<Msg> {
        if !Self::peer(c).is_some_and(|q| Arc::ptr_eq(p, q)) {
            return None;
        }
        self.sendq.pop(c)
    }

    /// The pipe to write a message just queued: the peer.
    pub(super) fn writer(&self, c: &Core) -> Out {
        Self::peer(c).map_or_else(Out::new, |p| Out::one(p.clone()))
    }
}
