// SPDX-License-Identifier: GPL-2.0

//! The message of a `sendmsg()` or `recvmsg()` call.

use crate::proto::{raw, uapi};
use kernel::bindings;
use kernel::error::to_result;
use kernel::iov::{IovIterDest, IovIterSource};
use kernel::prelude::*;

// The `MSG_*` flags, as the `i32` that `sendmsg()`/`recvmsg()` pass.
// CAST: each is a single bit below bit 31.
/// `MSG_DONTWAIT`.
pub(crate) const MSG_DONTWAIT: i32 = bindings::MSG_DONTWAIT as i32;
/// `MSG_TRUNC`.
pub(crate) const MSG_TRUNC: i32 = bindings::MSG_TRUNC as i32;
/// `MSG_PEEK`.
pub(crate) const MSG_PEEK: i32 = bindings::MSG_PEEK as i32;
/// `MSG_NOSIGNAL`.
pub(crate) const MSG_NOSIGNAL: i32 = bindings::MSG_NOSIGNAL as i32;
/// `MSG_CMSG_CLOEXEC`.
pub(crate) const MSG_CMSG_CLOEXEC: i32 = bindings::MSG_CMSG_CLOEXEC as i32;
/// `MSG_WAITALL`.
pub(crate) const MSG_WAITALL: i32 = bindings::MSG_WAITALL as i32;
/// `MSG_EOR`.
pub(crate) const MSG_EOR: i32 = bindings::MSG_EOR as i32;
/// `MSG_MORE`.
pub(crate) const MSG_MORE: i32 = bindings::MSG_MORE as i32;
/// `MSG_BATCH`: the kernel sets it on every message of a `sendmmsg()` but
/// the last.
pub(crate) const MSG_BATCH: i32 = bindings::MSG_BATCH as i32;
/// `MSG_CMSG_COMPAT`: the kernel sets it for 32-bit callers (0 without
/// `CONFIG_COMPAT`).
pub(crate) const MSG_CMSG_COMPAT: i32 = bindings::MSG_CMSG_COMPAT as i32;

/// The user data of a `sendmsg()` call.
pub(crate) struct MsgSrc<'a> {
    flags: i32,
    iter: &'a mut IovIterSource<'a>,
    /// The call's control messages, copied into the kernel by the socket
    /// layer; `None` if they are still in user memory.
    control: Option<&'a [u8]>,
}

impl<'a> MsgSrc<'a> {
    /// Wraps the `msghdr` of a `sendmsg()` call.
    ///
    /// # Safety
    ///
    /// `msg` must be valid and exclusively ours for `'a`, and its iterator
    /// readable for `'a` (as the socket layer gives it to `sendmsg()`).
    pub(crate) unsafe fn from_raw(msg: *mut bindings::msghdr) -> Self {
        // SAFETY: The caller guarantees validity and exclusivity.
        let msg = unsafe { &mut *msg };
        let control = if msg.msg_controllen == 0 {
            Some(&[][..])
        } else if msg.msg_control_is_user() {
            None
        } else {
            // SAFETY: A kernel `msg_control` points to `msg_controllen`
            // bytes (`____sys_sendmsg()` copied them in), valid for the
            // call, which `'a` does not outlive.
            Some(unsafe {
                core::slice::from_raw_parts(
                    msg.__bindgen_anon_1.msg_control.cast::<u8>(),
                    msg.msg_controllen,
                )
            })
        };
        MsgSrc {
            control,
            // CAST: the flags of the call, as the socket layer passes them.
            flags: msg.msg_flags as i32,
            // SAFETY: A `sendmsg()` message's iterator is an `ITER_SOURCE`
            // over the caller's data, readable for `'a` (the caller).
            iter: unsafe { IovIterSource::from_raw(&mut msg.msg_iter) },
        }
    }

    /// The `MSG_*` flags of the call.
    pub(crate) fn flags(&self) -> i32 {
        self.flags
    }

    /// The data of the call's one `SOL_SP`/`SP_HDR` control message, if it
    /// has one; `EINVAL` for any other control message, or for a buffer
    /// that is malformed or (from in-kernel callers) in user memory.
    pub(crate) fn sp_header(&self) -> Result<Option<&'a [u8]>> {
        let c = self.control.ok_or(EINVAL)?;
        raw::find_only(c, uapi::SOL_SP, uapi::cmsg::HDR).map_err(|_| EINVAL)
    }

    /// Copies the next `dst.len()` bytes of user data into `dst`; `EFAULT`
    /// if fewer were there to read (the send then fails).
    pub(crate) fn copy_into(&mut self, dst: &mut [u8]) -> Result {
        if self.iter.copy_from_iter(dst) != dst.len() {
            return Err(EFAULT);
        }
        Ok(())
    }
}

/// The user buffer of a `recvmsg()` call.
///
/// # Invariants
///
/// The wrapped `msghdr` is valid for the lifetime of the value, and its
/// iterator is an `ITER_DEST` writable for that lifetime.
pub(crate) struct MsgDst<'a>(&'a mut bindings::msghdr);

impl<'a> MsgDst<'a> {
    /// Wraps the `msghdr` of a `recvmsg()` call.
    ///
    /// # Safety
    ///
    /// `msg` must be valid and exclusively ours for `'a`, and its iterator
    /// writable for `'a` (as the socket layer gives it to `recvmsg()`).
    pub(crate) unsafe fn from_raw(msg: *mut bindings::msghdr) -> Self {
        // INVARIANT: The caller guarantees validity, exclusivity and the
        // iterator.
        // SAFETY: The caller guarantees validity and exclusivity.
        MsgDst(unsafe { &mut *msg })
    }

    /// Copies `src` out to the user, after what was copied before;
    /// `EFAULT` if it did not all fit (the caller sizes it to the room).
    pub(crate) fn copy_from(&mut self, src: &[u8]) -> Result {
        // SAFETY: By the type invariant the iterator is an `ITER_DEST`,
        // writable for as long as `self` lives, and only used through it.
        let iter = unsafe { IovIterDest::from_raw(&mut self.0.msg_iter) };
        if iter.copy_to_iter(src) != src.len() {
            return Err(EFAULT);
        }
        Ok(())
    }

    /// Appends a control message (`put_cmsg()`); with no room for it the
    /// call returns `MSG_CTRUNC`, as for any family.
    pub(crate) fn put_cmsg(&mut self, level: i32, ty: i32, data: &[u8]) -> Result {
        let len = i32::try_from(data.len()).map_err(|_| EINVAL)?;
        // SAFETY: By the type invariant the `msghdr` is valid; `put_cmsg()`
        // reads `len` bytes of `data` and checks the user's buffer.
        to_result(unsafe {
            bindings::put_cmsg(self.0, level, ty, len, data.as_ptr().cast_mut().cast())
        })
    }

    /// Reports `MSG_TRUNC` in the returned flags.
    pub(crate) fn set_truncated(&mut self) {
        self.0.msg_flags |= bindings::MSG_TRUNC;
    }
}
