// SPDX-License-Identifier: GPL-2.0

//! REQ/REP: a REQ's outstanding request (its id, the body kept for
//! resending, the pipe it went out on, the resend timer) and its round
//! robin over the ready pipes, and the resend timer (`SP_RESEND_IVL`); a
//! REP's current request (the backtrace to answer behind, and its pipe). Reply ids and backtraces are parsed by
//! the sans-IO core ([`crate::proto::reqrep`]). Called with the socket's
//! `inner` lock held.

use crate::net::work::{cancel_delayed_sync, queue};
use crate::pipe::Pipe;
use crate::proto::reqrep::RequestIds;
use crate::queue::Msg;
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::time::{msecs_to_jiffies, Instant, Monotonic};
use kernel::workqueue::{DelayedWork, WorkItem};

/// A REQ's outstanding request.
pub(crate) struct Request {
    pub(crate) id: u32,
    /// The wire body: request id, then payload.
    pub(crate) msg: Msg,
    /// The pipe it went out on, if any.
    pub(crate) pipe: Option<Arc<Pipe>>,
    pub(crate) sent_at: Instant<Monotonic>,
}

/// A REQ's state.
pub(crate) struct Requester {
    /// The outstanding request.
    pub(crate) req: Option<Request>,
    pub(crate) ids: RequestIds,
    /// The resend timer, made on the first request.
    pub(crate) resend: Option<Arc<Resend>>,
    /// Round-robin position in the ready pipes.
    rr: usize,
}

impl Requester {
    /// No request yet; ids start at `seed`.
    pub(crate) fn new(seed: u32) -> Self {
        Requester {
            req: None,
            ids: RequestIds::new(seed),
            resend: None,
            rr: 0,
        }
    }

    /// Queues the outstanding request on the next of the `ready` pipes,
    /// round robin, and returns that pipe: the caller writes it out (or
    /// kicks it) once the socket's lock is dropped. Without a ready pipe
    /// the request waits for one to attach; on allocation failure, for
    /// the resend timer.
    #[must_use]
    pub(crate) fn dispatch(&mut self, ready: &[Arc<Pipe>]) -> Option<Arc<Pipe>> {
        let req = self.req.as_mut()?;
        req.pipe = None;
        if ready.is_empty() {
            return None;
        }
        self.rr = (self.rr + 1) % ready.len();
        let p = ready[self.rr].clone();
        // The pipe's queue and the request share one body.
        let copy = req.msg.share().ok()?;
        req.sent_at = Instant::now();
        // A resend replaces a copy still waiting on a stuck pipe.
        p.replace_out(copy).ok()?;
        req.pipe = Some(p.clone());
        Some(p)
    }
}

/// What the timer fires into: the REQ socket, which resends its request
/// if it is due and says when to fire next (`None`: no request).
pub(crate) trait ResendOwner: Send + Sync {
    fn resend_due(&self) -> Option<u32>;
}

/// Fires while a request is outstanding and resends it when no reply
/// came within the interval.
#[pin_data]
pub(crate) struct Resend {
    sock: Arc<dyn ResendOwner>,
    stopped: AtomicBool,
    #[pin]
    work: DelayedWork<Resend>,
}

kernel::impl_has_delayed_work! {
    impl HasDelayedWork<Self> for Resend { self.work }
}

impl Resend {
    /// A stopped timer for `sock`.
    pub(crate) fn new(sock: Arc<dyn ResendOwner>) -> Result<Arc<Self>> {
        Arc::pin_init(
            try_pin_init!(Resend {
                sock,
                stopped: AtomicBool::new(false),
                work <- kernel::new_delayed_work!("sp_resend"),
            }),
            GFP_KERNEL,
        )
    }

    /// Fires in `ms` milliseconds, unless it is already armed (it then
    /// re-arms itself from the request's age).
    pub(crate) fn arm(self: &Arc<Self>, ms: u32) {
        if self.stopped.load(Ordering::Acquire) {
            return;
        }
        let _ = queue().enqueue_delayed(self.clone(), msecs_to_jiffies(ms));
    }

    /// Stops the timer for good (from `close()`).
    pub(crate) fn stop(self: &Arc<Self>) {
        self.stopped.store(true, Ordering::Release);
        cancel_delayed_sync(self);
    }
}

impl WorkItem for Resend {
    type Pointer = Arc<Resend>;

    fn run(this: Arc<Resend>) {
        if let Some(ms) = this.sock.resend_due() {
            this.arm(ms);
        }
    }
}
