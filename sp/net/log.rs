// SPDX-License-Identifier: GPL-2.0

//! The kernel log, for what peers do wrong.

use kernel::bindings;
use kernel::prelude::*;

/// Logs a peer's misbehaviour to the kernel log, ratelimited
/// (`net_info_ratelimited`).
pub(crate) fn ratelimited(what: &core::ffi::CStr, val: i64) {
    // SAFETY: No preconditions.
    if unsafe { bindings::net_ratelimit() } != 0 {
        pr_info!("sp: {} ({})\n", what.to_str().unwrap_or("?"), val);
    }
}
