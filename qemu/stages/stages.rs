// SPDX-License-Identifier: GPL-2.0
//! Nanoseconds per stage of send() and recv(), printed at unload: patched
//! into a copy of the module by qemu/stages/run.sh, never built in the tree.
use core::sync::atomic::{AtomicU64, Ordering};
use kernel::prelude::*;
use kernel::time::{Instant, Monotonic};

pub(crate) const N: usize = 17;
pub(crate) const NAMES: [&str; N] = [
    "send_total",
    "read_user",
    "proto_send",
    "tx_inline",
    "tcp_send",
    "recv_total",
    "recv_wait",
    "wake_latency",
    "pull",
    "tcp_read",
    "deliver",
    "copy_out",
    "recv_pop",
    "rx_work",
    "tcp_event",
    "event_wake",
    "send_wait",
];
static SUM: [AtomicU64; N] = [const { AtomicU64::new(0) }; N];
static CNT: [AtomicU64; N] = [const { AtomicU64::new(0) }; N];
pub(crate) static LAST_EVENT: AtomicU64 = AtomicU64::new(0);

pub(crate) struct T(Instant<Monotonic>, usize);
pub(crate) fn start(i: usize) -> T {
    T(Instant::now(), i)
}
impl Drop for T {
    fn drop(&mut self) {
        add(self.1, self.0.elapsed().as_nanos() as u64);
    }
}
pub(crate) fn add(i: usize, ns: u64) {
    SUM[i].fetch_add(ns, Ordering::Relaxed);
    CNT[i].fetch_add(1, Ordering::Relaxed);
}
pub(crate) fn print() {
    for i in 0..N {
        let c = CNT[i].load(Ordering::Relaxed);
        let s = SUM[i].load(Ordering::Relaxed);
        pr_warn!(
            "STAGE {:14} count {:9} avg_ns {:9}\n",
            NAMES[i],
            c,
            if c > 0 { s / c } else { 0 }
        );
    }
}
