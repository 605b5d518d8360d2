// SPDX-License-Identifier: GPL-2.0

//! The REQ resend timer (`SP_RESEND_IVL`).

use crate::net::work::{cancel_delayed_sync, queue};
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::time::msecs_to_jiffies;
use kernel::workqueue::{DelayedWork, WorkItem};

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
