// SPDX-License-Identifier: GPL-2.0

//! In-kernel devices: two raw sockets linked so that what one receives
//! the other sends, as `nng_device()` does, with no hop through user
//! space (`SP_DEVICE`, see `uapi/linux/sp.h`).
//!
//! A [`Device`] sits on both sockets' wait queues ([`WaitHook`]): any
//! wakeup of either (a message queued for `recv()`, room to send) queues
//! its work item, which moves messages, a budget at a time, from each
//! side that receives to the other, header and all. A message the other
//! side has no room for waits in the device, one per direction, until a
//! wakeup says there is room: backpressure reaches the first socket's
//! pipes as it does for a reader that does not read. The backtrace grows
//! and shrinks in the raw patterns exactly as through a user-space
//! forwarder; the hop limit is the REP side's `SP_MAXTTL`.
//!
//! The device holds both sockets' state; each socket holds the device
//! until it is unlinked, by `SP_DEVICE` -1 or by either socket's
//! `release()`, which takes the hooks off both queues first, so that no
//! wakeup reaches a socket being torn down. Sockets pin the module, so a
//! link keeps `rmmod` refused. Lock order: the device's `st`, then a
//! socket's `inner`, never the reverse.
//!
//! Where a hop's time goes (perf kernel, 64 B, `sp_hop -m sp-device`,
//! stage timers as `qemu/stages/run.sh`): per direction, 11 us from the
//! wakeup to this work item's run, 1 us to take the message, 10 us to copy
//! it and queue it, and 82 us to write it to TCP, which a user's `send()`
//! pays too (75 us in `qemu/stages/run.sh`'s direct round trip). Two TCP writes are a hop's floor, and
//! they are most of a direct round trip: the README's "Benchmarks" has the
//! figures. Forwarding from the pipe's reader instead of this work item
//! would save the 11 us, and moving a message whose header is a prefix
//! would save a copy; neither is done.

use crate::net::socket::{Socket, WaitHook, Woken};
use crate::net::work::queue;
use crate::queue::Msg;
use kernel::prelude::*;
use kernel::sync::{Arc, ArcBorrow, Mutex};
use kernel::workqueue::{Work, WorkItem};

/// Messages moved per direction before the work item yields its CPU.
const BUDGET: usize = 64;

/// One side of a device: an sp socket in raw mode.
pub(crate) trait DeviceEnd: Send + Sync {
    /// Whether the socket receives (the device forwards from it).
    fn can_recv(&self) -> bool;
    /// Whether the socket sends (the device forwards to it).
    fn can_send(&self) -> bool;
    /// The next received message: its raw header, and the message with
    /// the offset of its payload.
    fn take(&self) -> Option<(KVec<u8>, Msg, usize)>;
    /// Sends `body` behind the raw header `hdr` without blocking:
    /// `Ok(false)` when there is no room yet. A message it refuses is
    /// counted in its `tx_dropped`.
    fn put(&self, hdr: &[u8], body: &[u8]) -> Result<bool>;
    /// The device is gone from the socket.
    fn unlinked(&self);
}

struct State {
    linked: bool,
    /// Per direction, a message the other side had no room for.
    held: [Option<(KVec<u8>, Msg, usize)>; 2],
}

/// A link between two raw sockets, or a BUS with itself (a reflector).
#[pin_data]
pub(crate) struct Device {
    ends: [Arc<dyn DeviceEnd>; 2],
    /// Whether both ends are one socket.
    same: bool,
    /// On each end's wait queue, holding the device until `unlink`.
    hooks: [Pin<KBox<WaitHook<Device>>>; 2],
    #[pin]
    work: Work<Device>,
    #[pin]
    st: Mutex<State>,
}

kernel::impl_has_work! {
    impl HasWork<Self, 0> for Device { self.work }
}

impl Device {
    /// Links `a` (of socket `sa`) and `b` (of `sb`; the same socket for a
    /// reflector), whose checks the caller made, and starts forwarding.
    pub(crate) fn link(
        (a, sa): (Arc<dyn DeviceEnd>, &Socket),
        (b, sb): (Arc<dyn DeviceEnd>, &Socket),
        same: bool,
    ) -> Result<Arc<Self>> {
        let hooks = [WaitHook::new()?, WaitHook::new()?];
        let d = Arc::pin_init(
            pin_init!(Device {
                ends: [a, b],
                same,
                hooks,
                work <- kernel::new_work!("sp_device_work"),
                st <- kernel::new_mutex!(State {
                    linked: true,
                    held: [None, None],
                }),
            }),
            GFP_KERNEL,
        )?;
        // New hooks are on no queue: `add` cannot fail.
        d.hooks[0].as_ref().add(sa, d.clone())?;
        if !same {
            d.hooks[1].as_ref().add(sb, d.clone())?;
        }
        Self::kick(d.as_arc_borrow());
        Ok(d)
    }

    /// Stops forwarding and tells both sockets. Idempotent; may be called
    /// from either socket's release, with no socket lock held.
    pub(crate) fn unlink(&self) {
        let owners = {
            let mut st = self.st.lock();
            if !st.linked {
                return;
            }
            st.linked = false;
            st.held = [None, None];
            [self.hooks[0].remove(), self.hooks[1].remove()]
        };
        // The hooks' references to the device, dropped with no lock held.
        drop(owners);
        self.ends[0].unlinked();
        if !self.same {
            self.ends[1].unlinked();
        }
    }

    fn kick(this: ArcBorrow<'_, Device>) {
        let _ = queue().enqueue(Arc::<Device>::from(this));
    }

    /// Moves up to [`BUDGET`] messages from end `from` to the other;
    /// whether the budget ran out (more may wait).
    fn forward(&self, from: usize) -> bool {
        let (src, dst) = (&self.ends[from], &self.ends[1 - from]);
        if !src.can_recv() || !dst.can_send() {
            return false;
        }
        for _ in 0..BUDGET {
            let next = {
                let mut st = self.st.lock();
                if !st.linked {
                    return false;
                }
                st.held[from].take()
            };
            let Some((hdr, msg, at)) = next.or_else(|| src.take()) else {
                return false;
            };
            match dst.put(&hdr, msg.get(at..).unwrap_or(&[])) {
                Ok(true) => {}
                Ok(false) => {
                    // No room: a wakeup of `dst` runs the device again.
                    let mut st = self.st.lock();
                    if st.linked {
                        st.held[from] = Some((hdr, msg, at));
                    }
                    return false;
                }
                // Refused (counted in `dst`'s `tx_dropped`): the next.
                Err(_) => {}
            }
        }
        true
    }
}

impl Woken for Device {
    fn woken(this: ArcBorrow<'_, Self>) {
        Self::kick(this);
    }
}

impl WorkItem<0> for Device {
    type Pointer = Arc<Device>;

    fn run(this: Arc<Device>) {
        let more = this.forward(0) | (!this.same && this.forward(1));
        if more {
            Self::kick(this.as_arc_borrow());
        }
    }
}
