// SPDX-License-Identifier: GPL-2.0

//! A connection peer's credentials (`SO_PEERCRED`, `SCM_CREDENTIALS`).

use super::glue;
use core::ptr::NonNull;
use kernel::bindings;

/// A connection peer's credentials, as `SO_PEERCRED` gives them: its pid
/// and cred when it connected (or, for a dialer, when its listener
/// listened).
///
/// # Invariants
///
/// `pid` and `cred` are live, and this value owns one reference to each.
pub(crate) struct PeerCred {
    pid: NonNull<bindings::pid>,
    cred: NonNull<bindings::cred>,
}

// SAFETY: A counted `struct pid` and `struct cred` may be read and put from
// any thread; neither changes.
unsafe impl Send for PeerCred {}
// SAFETY: As above: they are only read.
unsafe impl Sync for PeerCred {}

impl PeerCred {
    /// A `struct ucred` (pid, uid, gid) as the current task sees it, in
    /// its pid and user namespaces, as `SO_PEERCRED` answers.
    pub(crate) fn ucred(&self) -> [u8; 12] {
        let mut uc = bindings::ucred::default();
        // SAFETY: `pid` and `cred` are live (the invariant); `uc` is writable.
        unsafe { glue::sp_glue_ucred(self.pid.as_ptr(), self.cred.as_ptr(), &mut uc) };
        let mut b = [0u8; 12];
        b[..4].copy_from_slice(&uc.pid.to_ne_bytes());
        b[4..8].copy_from_slice(&uc.uid.to_ne_bytes());
        b[8..].copy_from_slice(&uc.gid.to_ne_bytes());
        b
    }

    /// The pid and cred, for `SockRef::set_peer`, which counts its own.
    pub(super) fn as_raw(&self) -> (*mut bindings::pid, *const bindings::cred) {
        (self.pid.as_ptr(), self.cred.as_ptr())
    }
}

impl Drop for PeerCred {
    fn drop(&mut self) {
        // SAFETY: By the invariant we own a reference to each.
        unsafe { glue::sp_glue_peer_put(self.pid.as_ptr(), self.cred.as_ptr()) };
    }
}

impl PeerCred {
    /// The peer credentials `sk` holds (a Unix socket's), counted for the
    /// caller; `None` when it holds none.
    pub(super) fn of(sk: *mut bindings::sock) -> Option<PeerCred> {
        let (mut pid, mut cred) = (core::ptr::null_mut(), core::ptr::null());
        // SAFETY: The caller's `sk` is live; `pid` and `cred` are writable.
        unsafe { glue::sp_glue_sk_peer_get(sk, &mut pid, &mut cred) };
        match (NonNull::new(pid), NonNull::new(cred.cast_mut())) {
            // INVARIANT: `sp_glue_sk_peer_get` counted both for us.
            (Some(pid), Some(cred)) => Some(PeerCred { pid, cred }),
            _ => {
                // SAFETY: What was counted (either may be null) is ours.
                unsafe { glue::sp_glue_peer_put(pid, cred) };
                None
            }
        }
    }
}
