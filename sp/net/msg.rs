// SPDX-License-Identifier: GPL-2.0

//! The message of a `sendmsg()` or `recvmsg()` call.

use super::glue;
use kernel::bindings;
use kernel::error::to_result;
use kernel::ffi::c_void;
use kernel::prelude::*;

/// `MSG_DONTWAIT`.
pub const MSG_DONTWAIT: i32 = 0x40;
/// `MSG_TRUNC`.
pub const MSG_TRUNC: i32 = 0x20;
/// `MSG_NOSIGNAL`.
pub const MSG_NOSIGNAL: i32 = 0x4000;
/// `MSG_CMSG_CLOEXEC`.
pub const MSG_CMSG_CLOEXEC: i32 = 0x4000_0000;
/// `MSG_WAITALL`.
pub const MSG_WAITALL: i32 = 0x100;
/// `MSG_EOR`.
pub const MSG_EOR: i32 = 0x80;
/// `MSG_MORE`.
pub const MSG_MORE: i32 = 0x8000;
/// `MSG_BATCH`: the kernel sets it on every message of a `sendmmsg()` but
/// the last.
pub const MSG_BATCH: i32 = 0x4_0000;
/// `MSG_CMSG_COMPAT` (bit 31, `0x8000_0000`): the kernel sets it for 32-bit
/// callers.
pub const MSG_CMSG_COMPAT: i32 = i32::MIN;

/// The user data of a `sendmsg()` call.
///
/// # Invariants
///
/// The wrapped `msghdr` is valid for the lifetime of the value.
pub struct MsgSrc<'a>(&'a mut bindings::msghdr);

impl<'a> MsgSrc<'a> {
    /// Wraps the `msghdr` of a `sendmsg()` call.
    ///
    /// # Safety
    ///
    /// `msg` must be valid and exclusively ours for `'a`.
    pub(crate) unsafe fn from_raw(msg: *mut bindings::msghdr) -> Self {
        // SAFETY: The caller guarantees validity and exclusivity.
        MsgSrc(unsafe { &mut *msg })
    }

    /// The `MSG_*` flags of the call.
    pub fn flags(&self) -> i32 {
        self.0.msg_flags as i32
    }

    /// Copies the next `dst.len()` bytes of user data into `dst`.
    pub fn copy_into(&mut self, dst: &mut [u8]) -> Result {
        // SAFETY: `dst` is valid for its length; the msghdr is valid.
        to_result(unsafe {
            glue::sp_glue_msg_copy_from(self.0, dst.as_mut_ptr().cast::<c_void>(), dst.len())
        })
    }
}

/// The user buffer of a `recvmsg()` call.
///
/// # Invariants
///
/// The wrapped `msghdr` is valid for the lifetime of the value.
pub struct MsgDst<'a>(&'a mut bindings::msghdr);

impl<'a> MsgDst<'a> {
    /// Wraps the `msghdr` of a `recvmsg()` call.
    ///
    /// # Safety
    ///
    /// `msg` must be valid and exclusively ours for `'a`.
    pub(crate) unsafe fn from_raw(msg: *mut bindings::msghdr) -> Self {
        // SAFETY: The caller guarantees validity and exclusivity.
        MsgDst(unsafe { &mut *msg })
    }

    /// Copies `src` out to the user, after what was copied before.
    pub fn copy_from(&mut self, src: &[u8]) -> Result {
        // SAFETY: `src` is valid for its length; the msghdr is valid.
        to_result(unsafe {
            glue::sp_glue_msg_copy_to(self.0, src.as_ptr().cast::<c_void>(), src.len())
        })
    }

    /// Reports `MSG_TRUNC` in the returned flags.
    pub fn set_truncated(&mut self) {
        // SAFETY: The msghdr is valid.
        unsafe { glue::sp_glue_msg_set_flags(self.0, MSG_TRUNC) };
    }
}
