// SPDX-License-Identifier: GPL-2.0

//! Wrappers for the objects that socket callbacks receive.

use kernel::bindings;
use kernel::types::Opaque;

/// A `struct socket`, as seen by the callbacks of its family.
///
/// # Invariants
///
/// The wrapped socket is valid and attached to a `struct sock` of this
/// module for as long as the reference exists.
#[repr(transparent)]
pub struct Socket(Opaque<bindings::socket>);

impl Socket {
    /// Wraps a raw socket for the duration of a callback.
    ///
    /// # Safety
    ///
    /// `ptr` must be valid for `'a`, and `(*ptr).sk` must point to a sock
    /// allocated by `sp_glue_sock_create()` for all of `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::socket) -> &'a Socket {
        // CAST: `Socket` is a transparent wrapper of `bindings::socket`.
        // SAFETY: The caller guarantees validity for `'a`.
        unsafe { &*ptr.cast::<Socket>() }
    }

    /// The type given to `socket()`, without `SOCK_NONBLOCK`/`SOCK_CLOEXEC`.
    pub fn sock_type(&self) -> i32 {
        // SAFETY: By the type invariant the socket is valid; `type` is set
        // before the family's `create()` and never changes afterwards.
        let ty = unsafe { (*self.0.get()).type_ };
        i32::from(ty)
    }
}

/// A poll mask: the `EPOLL*` bits that `poll()` reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PollMask(u32);

impl PollMask {
    /// Nothing ready.
    pub const NONE: PollMask = PollMask(0);
    /// A message can be received without blocking (`EPOLLIN | EPOLLRDNORM`).
    pub const READABLE: PollMask = PollMask(0x0001 | 0x0040);
    /// A message can be sent without blocking (`EPOLLOUT | EPOLLWRNORM`).
    pub const WRITABLE: PollMask = PollMask(0x0004 | 0x0100);

    /// The bits of both masks.
    pub const fn union(self, other: PollMask) -> PollMask {
        PollMask(self.0 | other.0)
    }

    pub(crate) const fn bits(self) -> u32 {
        self.0
    }
}
