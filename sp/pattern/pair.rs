// SPDX-License-Identifier: GPL-2.0

//! PAIR (NNG `pair0`): one peer at a time; `send()` queues in the
//! socket's send queue, which the peer's pipe drains, and waits while
//! there is no peer or no room. Received messages are queued with
//! backpressure ([`Core::queue`]). Called with the socket's `inner` lock
//! held.

use super::{Core, Out, SendQueue};
use crate::pipe::Pipe;
use crate::proto::options::Options;
use crate::queue::Msg;
use kernel::prelude::*;
use kernel::sync::Arc;

/// A PAIR's state: its send queue.
pub(crate) struct Pair {
    sendq: SendQueue,
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

    /// Queues `msg` for the peer, or hands it back in `m` to wait.
    pub(crate) fn send(
        &mut self,
        c: &mut Core,
        m: &mut Option<Msg>,
        msg: Msg,
        o: &Options,
    ) -> Result<Option<Out>> {
        let peer = match Self::peer(c) {
            Some(p) if self.sendq.fits(c, msg.len(), o) => p.clone(),
            _ => {
                *m = Some(msg);
                return Ok(None);
            }
        };
        self.sendq.push(msg)?;
        c.stats.tx_msgs += 1;
        Ok(Some(Out::one(peer)))
    }

    pub(crate) fn can_send(&self, c: &Core, len: usize, o: &Options) -> bool {
        Self::peer(c).is_some() && self.sendq.fits(c, len, o)
    }

    pub(crate) fn unsent(&self) -> bool {
        !self.sendq.is_empty()
    }

    pub(crate) fn clear(&mut self) {
        self.sendq.clear();
    }
}
