// SPDX-License-Identifier: GPL-2.0

//! A FIFO of messages that grows on demand and counts its bytes.

use crate::proto::options::Options;
use core::sync::atomic::{AtomicUsize, Ordering};
use kernel::alloc::Flags;
use kernel::prelude::*;
use kernel::sync::{Arc, UniqueArc};

/// How message bodies and frames are allocated: charged to the memory
/// cgroup, and quiet when that fails: the user gets `ENOMEM` (or the pipe
/// closes), and one at its memcg limit must not fill the kernel log.
pub(crate) fn msg_gfp() -> Flags {
    GFP_KERNEL_ACCOUNT | __GFP_NOWARN
}

/// A message body: owned, or shared by several queues (a PUB's copy for
/// every subscriber, a REQ's request kept for resending) so that it is
/// copied from user space once and never again.
pub(crate) enum Msg {
    Own(KVVec<u8>),
    Shared(Arc<KVVec<u8>>),
}

impl Msg {
    /// Makes the body shareable (one small allocation) and returns a
    /// second handle to it.
    pub(crate) fn share(&mut self) -> Result<Msg> {
        match self {
            Msg::Shared(a) => Ok(Msg::Shared(a.clone())),
            Msg::Own(v) => {
                // Allocate first: on failure the body stays where it was.
                let u = UniqueArc::<KVVec<u8>>::new_uninit(GFP_KERNEL)?;
                let a: Arc<KVVec<u8>> = u.write(core::mem::take(v)).into();
                *self = Msg::Shared(a.clone());
                Ok(Msg::Shared(a))
            }
        }
    }
}

impl From<KVVec<u8>> for Msg {
    fn from(v: KVVec<u8>) -> Self {
        Msg::Own(v)
    }
}

impl core::ops::Deref for Msg {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Msg::Own(v) => v,
            Msg::Shared(a) => a,
        }
    }
}

/// A queued message: its body, where it came from (`P`: a REP routes the
/// reply to that pipe), and how many leading bytes are header (a
/// backtrace or request id) rather than payload.
pub(crate) struct Item<P> {
    pub(crate) msg: Msg,
    pub(crate) pipe: Option<P>,
    pub(crate) hdr: usize,
}

impl<P> Item<P> {
    /// A message with no header and no pipe.
    pub(crate) fn plain(msg: Msg) -> Self {
        Item {
            msg,
            pipe: None,
            hdr: 0,
        }
    }

    /// A message received from `pipe`, its header the first `hdr` bytes:
    /// the pipe is kept with it only when `SO_PASSCRED` asks for the
    /// sender's credentials (a REP's requests always keep theirs).
    pub(crate) fn from_pipe(pipe: &P, msg: Msg, hdr: usize, o: &Options) -> Self
    where
        P: Clone,
    {
        Item {
            msg,
            pipe: o.passcred.then(|| pipe.clone()),
            hdr,
        }
    }

    /// The payload, after the header.
    pub(crate) fn payload(&self) -> &[u8] {
        self.msg.get(self.hdr..).unwrap_or(&[])
    }
}

/// A FIFO of messages: a ring over a vector that doubles when full.
///
/// # Invariants
///
/// `len <= slots.len()`, and the `len` slots from `head` (wrapping) are
/// `Some`, the others `None`. `bytes` is the sum of their lengths.
pub(crate) struct MsgQueue<P> {
    slots: KVec<Option<Item<P>>>,
    head: usize,
    len: usize,
    bytes: usize,
}

impl<P> MsgQueue<P> {
    /// An empty queue; it allocates on the first push.
    pub(crate) const fn new() -> Self {
        MsgQueue {
            slots: KVec::new(),
            head: 0,
            len: 0,
            bytes: 0,
        }
    }

    /// Messages queued.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing is queued.
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes queued.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    fn grow(&mut self) -> Result {
        let cap = (self.slots.len() * 2).max(4);
        let mut slots = KVec::with_capacity(cap, GFP_KERNEL)?;
        for i in 0..self.len {
            let j = (self.head + i) % self.slots.len();
            slots.push(self.slots[j].take(), GFP_KERNEL)?;
        }
        while slots.len() < cap {
            slots.push(None, GFP_KERNEL)?;
        }
        self.slots = slots;
        self.head = 0;
        Ok(())
    }

    /// Appends `m`; on allocation failure `m` is handed back.
    pub(crate) fn push(&mut self, m: Item<P>) -> core::result::Result<(), Item<P>> {
        if self.len == self.slots.len() && self.grow().is_err() {
            return Err(m);
        }
        let i = (self.head + self.len) % self.slots.len();
        self.bytes += m.msg.len();
        self.slots[i] = Some(m);
        // INVARIANT: slot `i` is the first free one after the queued slots.
        self.len += 1;
        Ok(())
    }

    /// The oldest message, left in place.
    pub(crate) fn front(&self) -> Option<&Item<P>> {
        if self.len == 0 {
            return None;
        }
        self.slots[self.head].as_ref()
    }

    /// The oldest message, to change in place (not its length).
    pub(crate) fn front_mut(&mut self) -> Option<&mut Item<P>> {
        if self.len == 0 {
            return None;
        }
        self.slots[self.head].as_mut()
    }

    /// Takes the oldest message.
    pub(crate) fn pop(&mut self) -> Option<Item<P>> {
        if self.len == 0 {
            return None;
        }
        let m = self.slots[self.head].take()?;
        self.head = (self.head + 1) % self.slots.len();
        self.len -= 1;
        self.bytes -= m.msg.len();
        Some(m)
    }

    /// The sizes of the queued messages, oldest first.
    pub(crate) fn sizes(&self) -> impl Iterator<Item = usize> + '_ {
        // The queued slots: from `head` to the end, then from the start.
        let (tail, front) = self.slots.split_at(self.head.min(self.slots.len()));
        Iterator::chain(front.iter(), tail.iter())
            .take(self.len)
            .map(|m| m.as_ref().map_or(0, |m| m.msg.len()))
    }

    /// Drops every message.
    pub(crate) fn clear(&mut self) {
        while self.pop().is_some() {}
    }
}

/// The bytes a socket's pipes hold in their own send queues: with the
/// socket's queue, what `SO_SNDBUF` bounds (see `Core::send_budget`).
pub(crate) struct TxBytes(AtomicUsize);

impl TxBytes {
    pub(crate) const fn new() -> Self {
        TxBytes(AtomicUsize::new(0))
    }

    /// The bytes queued now.
    pub(crate) fn get(&self) -> usize {
        self.0.load(Ordering::Acquire)
    }
}

/// A pipe's own send queue, its bytes counted in its socket's
/// [`TxBytes`] for as long as they are queued.
pub(crate) struct OutQueue {
    q: MsgQueue<()>,
    tx: Arc<TxBytes>,
}

impl OutQueue {
    /// An empty queue counted in `tx`.
    pub(crate) const fn new(tx: Arc<TxBytes>) -> Self {
        OutQueue {
            q: MsgQueue::new(),
            tx,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.q.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.q.is_empty()
    }

    pub(crate) fn bytes(&self) -> usize {
        self.q.bytes()
    }

    pub(crate) fn sizes(&self) -> impl Iterator<Item = usize> + '_ {
        self.q.sizes()
    }

    /// Appends `m`; on allocation failure `m` is handed back.
    pub(crate) fn push(&mut self, m: Msg) -> core::result::Result<(), Msg> {
        let n = m.len();
        self.q.push(Item::plain(m)).map_err(|it| it.msg)?;
        self.tx.0.fetch_add(n, Ordering::AcqRel);
        Ok(())
    }

    /// Takes the oldest message.
    pub(crate) fn pop(&mut self) -> Option<Msg> {
        let m = self.q.pop()?.msg;
        self.tx.0.fetch_sub(m.len(), Ordering::AcqRel);
        Some(m)
    }

    /// Drops every message.
    pub(crate) fn clear(&mut self) {
        while self.pop().is_some() {}
    }
}

impl Drop for OutQueue {
    fn drop(&mut self) {
        self.clear();
    }
}
