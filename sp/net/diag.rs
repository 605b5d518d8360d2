// SPDX-License-Identifier: GPL-2.0

//! The attributes of one socket's sock_diag answer
//! (`uapi/linux/sp_diag.h`): the C glue puts the message header, a
//! [`Family::diag`](super::family::Family::diag) its attributes.
//!
//! C header: [`include/net/netlink.h`](srctree/include/net/netlink.h).

use super::glue;
use super::socket::SockRef;
use kernel::bindings;
use kernel::ffi::c_int;
use kernel::prelude::*;

/// A netlink message being filled, for one socket.
///
/// # Invariants
///
/// `skb` is a live netlink buffer with a message begun, ours to append
/// attributes to for `'a`.
pub(crate) struct DiagMsg<'a> {
    skb: *mut bindings::sk_buff,
    _p: core::marker::PhantomData<&'a mut bindings::sk_buff>,
}

impl DiagMsg<'_> {
    /// Wraps `skb` for the call.
    ///
    /// # Safety
    ///
    /// `skb` is a live netlink buffer with a message begun, not touched by
    /// anything else while the wrapper lives.
    pub(crate) unsafe fn from_raw<'a>(skb: *mut bindings::sk_buff) -> DiagMsg<'a> {
        // INVARIANT: The caller's guarantee.
        DiagMsg {
            skb,
            _p: core::marker::PhantomData,
        }
    }

    /// Appends attribute `kind` holding `data`: `EMSGSIZE` when the
    /// buffer has no room (the dump goes on in the next one).
    pub(crate) fn put(&mut self, kind: u16, data: &[u8]) -> Result {
        let len = c_int::try_from(data.len()).map_err(|_| EMSGSIZE)?;
        // SAFETY: By the invariant `skb` is ours; `data` is readable.
        let r =
            unsafe { bindings::nla_put(self.skb, c_int::from(kind), len, data.as_ptr().cast()) };
        if r != 0 {
            return Err(EMSGSIZE);
        }
        Ok(())
    }

    /// Appends attribute `kind` nesting what `f` appends; nothing of it
    /// if `f` fails.
    pub(crate) fn nest(&mut self, kind: u16, f: impl FnOnce(&mut Self) -> Result) -> Result {
        // SAFETY: By the invariant `skb` is ours.
        let start = unsafe { glue::sp_glue_nla_nest_start(self.skb, c_int::from(kind)) };
        if start.is_null() {
            return Err(EMSGSIZE);
        }
        match f(self) {
            // SAFETY: `start` was begun on `skb` above and is still open.
            Ok(()) => unsafe { glue::sp_glue_nla_nest_end(self.skb, start) },
            Err(e) => {
                // SAFETY: As above.
                unsafe { glue::sp_glue_nla_nest_cancel(self.skb, start) };
                return Err(e);
            }
        }
        Ok(())
    }

    /// Appends attribute `kind`: the memory counters of `sk`, as
    /// `sock_diag_put_meminfo()`.
    pub(crate) fn meminfo(&mut self, kind: u16, sk: &SockRef) -> Result {
        // SAFETY: `sk` is live; `skb` is ours.
        let r = unsafe { glue::sock_diag_put_meminfo(sk.as_ptr(), self.skb, c_int::from(kind)) };
        if r != 0 {
            return Err(EMSGSIZE);
        }
        Ok(())
    }
}
