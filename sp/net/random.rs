// SPDX-License-Identifier: GPL-2.0

//! Random numbers, for reconnect jitter and request ids.

use kernel::bindings;

/// A uniform random number in `[0, ceil)`; 0 when `ceil` is 0.
pub(crate) fn below(ceil: u32) -> u32 {
    if ceil == 0 {
        return 0;
    }
    // SAFETY: No preconditions beyond `ceil >= 1`.
    unsafe { bindings::__get_random_u32_below(ceil) }
}
