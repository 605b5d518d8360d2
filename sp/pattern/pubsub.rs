// SPDX-License-Identifier: GPL-2.0

//! PUB/SUB (NNG `pubsub0`): a PUB sends to every ready pipe and never
//! blocks: a full pipe queue drops its oldest message
//! ([`super::Core::fan_out`]). A SUB keeps its subscriptions
//! (`SP_SUBSCRIBE`, `SP_UNSUBSCRIBE`) and the prefix trie that filters
//! what its pipes deliver, and never stalls a publisher: a full receive
//! queue drops its oldest message. The matching and the bounds are the
//! sans-IO core's ([`crate::proto::subs`]); this keeps their storage.
//! Called with the socket's `inner` lock held.

use super::Core;
use crate::pipe::{Delivery, Pipe};
use crate::proto::flow::Overflow;
use crate::proto::options::Options;
use crate::proto::subs::{self, Node, NodeStore};
use crate::proto::uapi::opt;
use crate::queue::{Item, Msg};
use kernel::prelude::*;
use kernel::sync::Arc;

/// A PUB: no state of its own.
pub(crate) struct Pub;

/// A SUB's state: its subscriptions.
pub(crate) struct Sub {
    subs: Subscriptions,
}

impl Sub {
    pub(crate) const fn new() -> Self {
        Sub {
            subs: Subscriptions::new(),
        }
    }

    /// Queues `m` if it is subscribed to, dropping the oldest queued
    /// messages when there is no room.
    pub(crate) fn deliver(&mut self, c: &mut Core, p: &Arc<Pipe>, m: Msg, o: &Options) -> Delivery {
        if !self.subs.matches(&m) {
            return Delivery::Done;
        }
        c.queue_lossy(Item::from_pipe(p, m, 0, o), o, Overflow::DropOldest)
    }

    /// `SP_SUBSCRIBE` and `SP_UNSUBSCRIBE`.
    pub(crate) fn setsockopt(&mut self, name: i32, val: &[u8]) -> Option<Result> {
        match name {
            opt::SUBSCRIBE => Some(self.subs.change(val, true)),
            opt::UNSUBSCRIBE => Some(self.subs.change(val, false)),
            _ => None,
        }
    }
}

/// The subscription trie's node storage.
struct Trie(KVec<Node>);

impl NodeStore for Trie {
    fn len(&self) -> usize {
        self.0.len()
    }
    fn get(&self, i: usize) -> Node {
        self.0[i]
    }
    fn set(&mut self, i: usize, n: Node) {
        self.0[i] = n;
    }
    fn push(&mut self, n: Node) -> bool {
        self.0.push(n, GFP_KERNEL).is_ok()
    }
}

fn subs_errno(e: subs::Error) -> Error {
    match e {
        subs::Error::Full => ENOBUFS,
        subs::Error::NoMem => ENOMEM,
    }
}

/// A SUB's subscriptions, their total size, and their trie.
struct Subscriptions {
    topics: KVec<KVec<u8>>,
    bytes: usize,
    trie: Trie,
}

impl Subscriptions {
    /// None: a SUB receives nothing until it subscribes.
    const fn new() -> Self {
        Subscriptions {
            topics: KVec::new(),
            bytes: 0,
            trie: Trie(KVec::new()),
        }
    }

    /// Whether a message with body `m` is subscribed to.
    fn matches(&self, m: &[u8]) -> bool {
        subs::matches(&self.trie, m)
    }

    /// `SP_SUBSCRIBE` (`add`) or `SP_UNSUBSCRIBE` of `topic`: `ENOBUFS`
    /// beyond the bounds, `ENOENT` for an unknown topic, `ENOMEM` leaving
    /// the subscriptions as they were.
    fn change(&mut self, topic: &[u8], add: bool) -> Result {
        let pos = self.topics.iter().position(|t| &t[..] == topic);
        if add {
            if pos.is_some() {
                return Ok(());
            }
            subs::check_bounds(self.topics.len(), self.bytes, topic.len()).map_err(subs_errno)?;
            let mut t = KVec::with_capacity(topic.len(), GFP_KERNEL)?;
            t.extend_from_slice(topic, GFP_KERNEL)?;
            subs::insert(&mut self.trie, topic).map_err(subs_errno)?;
            self.topics.push(t, GFP_KERNEL)?;
            self.bytes += topic.len();
            return Ok(());
        }
        let i = pos.ok_or(ENOENT)?;
        // Rebuild aside, so that ENOMEM leaves the subscriptions as they
        // were: the trie never holds more nodes than live bytes + 1.
        let mut trie = Trie(KVec::new());
        for (j, t) in self.topics.iter().enumerate() {
            if j != i {
                subs::insert(&mut trie, t).map_err(subs_errno)?;
            }
        }
        let t = self.topics.remove(i).map_err(|_| ENOENT)?;
        self.bytes -= t.len();
        self.trie = trie;
        Ok(())
    }
}
