// SPDX-License-Identifier: GPL-2.0

//! The module's workqueue, and what `kernel::workqueue` lacks: queueing on
//! a given CPU, and cancelling a queued `Arc` work item at teardown while
//! reclaiming the reference the queue held.

use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::bindings;
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::workqueue::{HasDelayedWork, HasWork, Queue, RawWorkItem, Work, WorkItem};

/// The module's workqueue, while a [`Workqueue`] owns it.
static WQ: AtomicPtr<bindings::workqueue_struct> = AtomicPtr::new(core::ptr::null_mut());

/// Owns the module's workqueue, which runs every pipe and endpoint work
/// item.
///
/// # Invariants
///
/// While it exists, `WQ` is a live workqueue; there is one at a time.
pub(crate) struct Workqueue(());

impl Workqueue {
    /// Allocates the workqueue; create it before the family registers.
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: `c"sp"` is a format string with no conversions.
        let wq = unsafe {
            bindings::alloc_workqueue_noprof(c"sp".as_char_ptr(), bindings::wq_flags_WQ_PERCPU, 0)
        };
        if wq.is_null() {
            return Err(ENOMEM);
        }
        // INVARIANT: `wq` is live; the module makes one `Workqueue`.
        WQ.store(wq, Ordering::Release);
        Ok(Workqueue(()))
    }
}

impl Drop for Workqueue {
    fn drop(&mut self) {
        let wq = WQ.swap(core::ptr::null_mut(), Ordering::AcqRel);
        // SAFETY: By the invariant `wq` is live. It is dropped after the
        // family is unregistered and every socket is gone (sockets pin the
        // module), so nothing queues any more; this drains what is left.
        unsafe { bindings::destroy_workqueue(wq) };
    }
}

/// The module's workqueue.
pub(crate) fn queue() -> &'static Queue {
    // SAFETY: Every caller runs for a socket, which pins the module, whose
    // `Workqueue` keeps `WQ` live (its invariant).
    unsafe { Queue::from_raw(glue_wq()) }
}

/// Queues `w` on `queue()` to run on `cpu` (as `queue_work_on()`), unless
/// it is queued already; `cpu` out of range falls back to the local CPU.
/// `cpu` should be one a task ran on: `queue_work_on()` warns about a CPU
/// never online, and runs the work elsewhere if `cpu` went offline since.
pub(crate) fn enqueue_on<W, const ID: u64>(cpu: u32, w: W) -> W::EnqueueOutput
where
    W: RawWorkItem<ID> + Send + 'static,
{
    let cpu = kernel::cpu::CpuId::from_u32(cpu).map_or(
        bindings::wq_misc_consts_WORK_CPU_UNBOUND as kernel::ffi::c_int,
        |c| c.as_u32() as kernel::ffi::c_int,
    );
    let q = glue_wq();
    // SAFETY: As in `Queue::enqueue`: `__enqueue` gives a pointer valid for
    // the closure, and keeps it valid until the work runs if
    // `queue_work_on` returns true; `q` is the module's live workqueue.
    unsafe { w.__enqueue(move |work| bindings::queue_work_on(cpu, q, work)) }
}

fn glue_wq() -> *mut bindings::workqueue_struct {
    WQ.load(Ordering::Acquire)
}

/// Cancels the `ID` work of `this` and waits for a running instance.
///
/// If the item was queued, the queue's reference is dropped. The item may
/// be queued again afterwards; callers stop that first.
pub(crate) fn cancel_sync<T, const ID: u64>(this: &Arc<T>)
where
    T: WorkItem<ID, Pointer = Arc<T>> + HasWork<T, ID>,
{
    let ptr = Arc::as_ptr(this).cast_mut();
    // SAFETY: `ptr` points into a live `Arc<T>`.
    let work = unsafe { Work::raw_get(T::raw_get_work(ptr)) };
    // SAFETY: `work` is an initialised work item of a live object.
    if unsafe { bindings::cancel_work_sync(work) } {
        // SAFETY: The item was queued through `Arc`'s `RawWorkItem`, which
        // leaked one reference into the queue; cancelling returns it.
        drop(unsafe { Arc::from_raw(ptr) });
    }
}

/// Like [`cancel_sync`] for a delayed work item (armed timer or queued).
pub(crate) fn cancel_delayed_sync<T, const ID: u64>(this: &Arc<T>)
where
    T: WorkItem<ID, Pointer = Arc<T>> + HasDelayedWork<T, ID>,
{
    let ptr = Arc::as_ptr(this).cast_mut();
    // SAFETY: `ptr` points into a live `Arc<T>`.
    let work = unsafe { Work::raw_get(T::raw_get_work(ptr)) };
    // SAFETY: `work` is the `work` member of an initialised `delayed_work`,
    // as `HasDelayedWork` guarantees, so `dwork` is that `delayed_work`.
    let dwork = unsafe { kernel::container_of!(work, bindings::delayed_work, work) };
    // SAFETY: `dwork` is an initialised delayed work item of a live object.
    if unsafe { bindings::cancel_delayed_work_sync(dwork) } {
        // SAFETY: As in `cancel_sync`.
        drop(unsafe { Arc::from_raw(ptr) });
    }
}
