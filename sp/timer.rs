// SPDX-License-Identifier: GPL-2.0

//! The protocol timer of a socket (REQ's resend, `SP_RESEND_IVL`): a
//! delayed work item that asks its owner what to do and when to fire
//! again. Made on first use; stopped for good at `close()`.

use crate::net::work::{cancel_delayed_sync, queue};
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::time::msecs_to_jiffies;
use kernel::workqueue::{DelayedWork, WorkItem};

/// What the timer fires into: the socket, which acts on its protocol's
/// timeout and says when to fire next (`None`: stop until armed again).
/// Called in process context with no lock held.
pub(crate) trait TimerOwner: Send + Sync {
    fn timer_fired(&self) -> Option<u32>;
}

#[pin_data]
pub(crate) struct Timer {
    owner: Arc<dyn TimerOwner>,
    stopped: AtomicBool,
    #[pin]
    work: DelayedWork<Timer>,
}

kernel::impl_has_delayed_work! {
    impl HasDelayedWork<Self> for Timer { self.work }
}

impl Timer {
    /// A stopped timer for `owner`.
    pub(crate) fn new(owner: Arc<dyn TimerOwner>) -> Result<Arc<Self>> {
        Arc::pin_init(
            try_pin_init!(Timer {
                owner,
                stopped: AtomicBool::new(false),
                work <- kernel::new_delayed_work!("sp_timer"),
            }),
            GFP_KERNEL,
        )
    }

    /// Fires in `ms` milliseconds, unless it is already armed (it then
    /// asks its owner when it fires).
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

impl WorkItem for Timer {
    type Pointer = Arc<Timer>;

    fn run(this: Arc<Timer>) {
        if let Some(ms) = this.owner.timer_fired() {
            this.arm(ms);
        }
    }
}
