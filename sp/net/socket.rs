// SPDX-License-Identifier: GPL-2.0

//! Wrappers for the objects that socket callbacks receive.

use super::glue;
use core::mem::MaybeUninit;
use core::ptr::NonNull;
use core::sync::atomic::AtomicPtr;
use core::sync::atomic::Ordering::{AcqRel, Acquire, Release};
use kernel::bindings;
use kernel::cred::Credential;
use kernel::ffi::c_long;
use kernel::prelude::*;
use kernel::sync::aref::ARef;
use kernel::sync::{Arc, ArcBorrow};
use kernel::time::Jiffies;
use kernel::types::Opaque;

/// Sends `SIGPIPE` to the calling task, as a write to a socket shut for
/// writing does.
pub(crate) fn sigpipe() {
    // SAFETY: `current` is the live calling task.
    unsafe {
        bindings::send_sig(
            bindings::SIGPIPE as i32,
            kernel::task::Task::current_raw(),
            0,
        )
    };
}

/// A `struct socket`, as seen by the callbacks of its family.
///
/// # Invariants
///
/// The wrapped socket is valid and attached to a `struct sock` of this
/// module for as long as the reference exists.
#[repr(transparent)]
pub(crate) struct Socket(Opaque<bindings::socket>);

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
    pub(crate) fn sock_type(&self) -> i32 {
        // SAFETY: By the type invariant the socket is valid; `type` is set
        // before the family's `create()` and never changes afterwards.
        let ty = unsafe { (*self.0.get()).type_ };
        i32::from(ty)
    }
}

/// A poll mask: the `EPOLL*` bits that `poll()` reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct PollMask(u32);

impl PollMask {
    /// Nothing ready.
    pub(crate) const NONE: PollMask = PollMask(0);
    /// A message can be received without blocking (`EPOLLIN | EPOLLRDNORM`).
    pub(crate) const READABLE: PollMask = PollMask(0x0001 | 0x0040);
    /// A message can be sent without blocking (`EPOLLOUT | EPOLLWRNORM`).
    pub(crate) const WRITABLE: PollMask = PollMask(0x0004 | 0x0100);
    /// Shut for reading (`EPOLLRDHUP`).
    pub(crate) const RDHUP: PollMask = PollMask(0x2000);
    /// Shut both ways (`EPOLLHUP`).
    pub(crate) const HUP: PollMask = PollMask(0x0010);

    /// The bits of both masks.
    pub(crate) const fn union(self, other: PollMask) -> PollMask {
        PollMask(self.0 | other.0)
    }

    pub(crate) const fn bits(self) -> u32 {
        self.0
    }
}

impl Socket {
    fn sk(&self) -> *mut bindings::sock {
        // SAFETY: By the type invariant the socket is valid and attached.
        unsafe { (*self.0.get()).sk }
    }

    /// Detaches every [`WaitHook`] still on the socket's wait queue, as
    /// `wake_up_pollfree()`; the release calls it before the queue goes.
    pub(crate) fn detach_hooks(&self) {
        // SAFETY: The socket is attached, so its queue exists. Its only
        // entries now are hooks, which detach themselves on `POLLFREE`:
        // `epoll` took its own off at the file's last `fput()`, and a
        // task that waits holds the file.
        unsafe { bindings::__wake_up_pollfree(glue::sp_glue_sk_sleep(self.sk())) };
    }

    /// A counted reference to the socket's `struct sock`.
    pub(crate) fn sk_ref(&self) -> SockRef {
        let sk = self.sk();
        // SAFETY: `sk` is attached to a live socket, so it is live.
        unsafe { glue::sp_glue_sock_hold(sk) };
        // INVARIANT: The reference was just taken.
        SockRef(sk)
    }

    /// The receive timeout in jiffies (`SO_RCVTIMEO`); 0 when `nonblock`.
    pub(crate) fn rcvtimeo(&self, nonblock: bool) -> Timeout {
        // SAFETY: `sk` is live.
        Timeout(unsafe { glue::sp_glue_sock_rcvtimeo(self.sk(), nonblock) })
    }

    /// The send timeout in jiffies (`SO_SNDTIMEO`); 0 when `nonblock`.
    pub(crate) fn sndtimeo(&self, nonblock: bool) -> Timeout {
        // SAFETY: `sk` is live.
        Timeout(unsafe { glue::sp_glue_sock_sndtimeo(self.sk(), nonblock) })
    }
}

/// Time left for a blocking call, in jiffies (`MAX_SCHEDULE_TIMEOUT` for
/// none).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Timeout(c_long);

impl Timeout {
    /// A timeout of `j` jiffies.
    pub(crate) fn from_jiffies(j: Jiffies) -> Timeout {
        Timeout(c_long::try_from(j).unwrap_or(c_long::MAX))
    }

    /// Whether no time is left.
    pub(crate) fn is_zero(&self) -> bool {
        self.0 == 0
    }

    /// At most `j` jiffies of this timeout, and whether `j` is the
    /// shorter.
    pub(crate) fn at_most(self, j: Jiffies) -> (Timeout, bool) {
        let t = Timeout::from_jiffies(j);
        if t.0 < self.0 {
            (t, true)
        } else {
            (self, false)
        }
    }

    /// Takes off the time a wait spent: `before` and `after` are the
    /// timeout it was given and what it left. An infinite one stays so.
    pub(crate) fn spend(&mut self, before: Timeout, after: Timeout) {
        if self.0 != c_long::MAX {
            self.0 = (self.0 - (before.0 - after.0).max(0)).max(0);
        }
    }
}

/// The caller's credentials, counted: what its `connect()` is checked with
/// when a work item later reconnects for it.
pub(crate) fn current_cred() -> ARef<Credential> {
    // SAFETY: `get_current_cred()` returns a valid, counted credential.
    let c = unsafe { glue::sp_glue_get_current_cred() };
    // SAFETY: `c` is non-null and its reference is handed over to us;
    // `Credential` is a transparent wrapper of `struct cred`.
    unsafe { ARef::from_raw(NonNull::new_unchecked(c.cast_mut().cast::<Credential>())) }
}

/// A counted reference to the `struct sock` of an sp socket.
///
/// # Invariants
///
/// The pointer is a live sock on which this value owns one reference.
pub(crate) struct SockRef(*mut bindings::sock);

// SAFETY: Socket references may be taken and dropped on any thread.
unsafe impl Send for SockRef {}
// SAFETY: All methods may be called concurrently; the sock does its own
// locking.
unsafe impl Sync for SockRef {}

impl Clone for SockRef {
    fn clone(&self) -> Self {
        // SAFETY: By the invariant the sock is live.
        unsafe { glue::sp_glue_sock_hold(self.0) };
        SockRef(self.0)
    }
}

impl Drop for SockRef {
    fn drop(&mut self) {
        // SAFETY: By the invariant this value owns one reference.
        unsafe { glue::sp_glue_sock_put(self.0) };
    }
}

impl SockRef {
    /// A new reference to `sk`.
    ///
    /// # Safety
    ///
    /// `sk` is a live sock, for the call.
    pub(crate) unsafe fn from_raw_hold(sk: *mut bindings::sock) -> SockRef {
        // SAFETY: The caller guarantees that `sk` is live.
        unsafe { glue::sp_glue_sock_hold(sk) };
        // INVARIANT: The reference was just taken.
        SockRef(sk)
    }

    /// Wakes the sleepers and pollers of the socket with `mask`.
    pub(crate) fn wake(&self, mask: PollMask) {
        // SAFETY: The sock is live; orphaned socks have no wait queue and
        // the glue checks for that.
        unsafe { glue::sp_glue_wake(self.0, mask.bits()) };
    }

    /// The namespace's `net.ipv6.bindv6only`: whether a new IPv6 socket
    /// is `IPV6_V6ONLY`.
    pub(crate) fn bindv6only(&self) -> bool {
        // SAFETY: The sock is live and holds its namespace.
        unsafe { glue::sp_glue_net_bindv6only(glue::sp_glue_sock_net(self.0)) != 0 }
    }

    /// Makes `peer` (or no one) what `SO_PEERCRED` on the socket answers;
    /// the sock's destructor puts what is set last.
    pub(crate) fn set_peer(&self, peer: Option<&super::cred::PeerCred>) {
        let (pid, cred) = peer.map_or((core::ptr::null_mut(), core::ptr::null()), |p| p.as_raw());
        // SAFETY: The sock is live; `pid` and `cred` are live or null, and
        // the glue takes its own references.
        unsafe { glue::sp_glue_sk_peer_set(self.0, pid, cred) };
    }

    /// `SO_RCVBUF`, in bytes.
    pub(crate) fn rcvbuf(&self) -> usize {
        // SAFETY: The sock is live.
        let b = unsafe { glue::sp_glue_sk_rcvbuf(self.0) };
        usize::try_from(b).unwrap_or(0)
    }

    /// `SO_SNDBUF`, in bytes.
    pub(crate) fn sndbuf(&self) -> usize {
        // SAFETY: The sock is live.
        let b = unsafe { glue::sp_glue_sk_sndbuf(self.0) };
        usize::try_from(b).unwrap_or(0)
    }

    /// `SO_LINGER`: `None` when off, else the linger time.
    pub(crate) fn linger(&self) -> Option<Timeout> {
        // SAFETY: The sock is live.
        let t = unsafe { glue::sp_glue_sk_lingertime(self.0) };
        (t >= 0).then_some(Timeout(t))
    }

    /// The sock; valid as long as `self` is.
    pub(crate) fn as_ptr(&self) -> *mut bindings::sock {
        self.0
    }

    /// Runs `f` with what it allocates with `__GFP_ACCOUNT` charged to the
    /// memory cgroup the socket was created in (work items run in a
    /// kworker's).
    pub(crate) fn charged<R>(&self, f: impl FnOnce() -> R) -> R {
        // SAFETY: The sock is live and holds its memcg.
        let old =
            unsafe { glue::sp_glue_set_active_memcg(glue::sp_glue_mem_cgroup_from_sk(self.0)) };
        let r = f();
        // SAFETY: `old` is what this task's active memcg was before.
        unsafe { glue::sp_glue_set_active_memcg(old) };
        r
    }

    /// Sleeps on the socket's wait queue until `ready()` holds.
    ///
    /// `ready` runs in process context and may take mutexes. Returns
    /// `EAGAIN` when `timeo` runs out, `EINTR`/`ERESTARTSYS` on a signal;
    /// `timeo` keeps the time left.
    pub(crate) fn wait<F: FnMut() -> bool>(&self, timeo: &mut Timeout, mut ready: F) -> Result {
        let mut entry = MaybeUninit::<bindings::wait_queue_entry>::uninit();
        let w = entry.as_mut_ptr();
        // SAFETY: The sock is live, and so is its socket (whose wait queue
        // `sk_sleep()` is) while a call of its user sleeps on it.
        let wq = unsafe { glue::sp_glue_sk_sleep(self.0) };
        // SAFETY: `w` is writable; `init_wait_entry()` initialises it for
        // the current task, as `DEFINE_WAIT_FUNC()` does. It stays in
        // place on this stack frame until removed from `wq` below.
        unsafe {
            bindings::init_wait_entry(w, 0);
            (*w).func = Some(bindings::woken_wake_function);
            bindings::add_wait_queue(wq, w);
        }
        let mut r = Ok(());
        while !ready() {
            if timeo.0 == 0 {
                r = Err(EAGAIN);
                break;
            }
            if kernel::current!().signal_pending() {
                // As `sock_intr_errno()`: restart only a call with no timeout.
                r = Err(if timeo.0 == c_long::MAX {
                    ERESTARTSYS
                } else {
                    EINTR
                });
                break;
            }
            // SAFETY: `w` is queued on `wq` for the current task.
            timeo.0 = unsafe { bindings::wait_woken(w, bindings::TASK_INTERRUPTIBLE, timeo.0) };
        }
        // SAFETY: `w` was added to `wq` above.
        unsafe { bindings::remove_wait_queue(wq, w) };
        r
    }
}

/// What a [`WaitHook`] calls on every wakeup of the socket it is on.
pub(crate) trait Woken: Send + Sync + Sized {
    /// Runs in any context, under the wait queue's spinlock: it must not
    /// sleep or take the socket's locks.
    fn woken(this: ArcBorrow<'_, Self>);
}

/// `POLLFREE` (`include/uapi/asm-generic/poll.h`): the key of
/// `wake_up_pollfree()`, which says that the queue is about to go.
const POLLFREE: usize = 0x4000;

/// An entry on an sp socket's wait queue that calls [`Woken::woken`] of
/// its owner, as vhost's and epoll's entries do, rather than waking a
/// task.
///
/// While queued, the hook holds a reference to its owner, which the
/// owner gets back from [`WaitHook::remove`]: a hook inside its owner
/// (a cycle) must be removed for the owner to go. Whatever the owner
/// does, the hook comes off the queue before the queue goes: the release
/// of every sp socket ends with `wake_up_pollfree()` ([`Socket::
/// detach_hooks`]), which detaches a hook still on it, as epoll's entries
/// detach themselves; the socket's queue is freed an RCU grace period
/// later, with its inode.
///
/// # Invariants
///
/// While `head` is non-null, `entry` is on that wait queue. While `owner`
/// is non-null it is a reference taken by `Arc::into_raw()`, and
/// `entry.private` is the same pointer.
#[pin_data(PinnedDrop)]
pub(crate) struct WaitHook<T: Woken> {
    #[pin]
    entry: Opaque<bindings::wait_queue_entry>,
    head: AtomicPtr<bindings::wait_queue_head>,
    owner: AtomicPtr<T>,
}

// SAFETY: The hook is added and removed from any thread; the wait queue's
// lock and the atomics serialise the rest. `T` is `Send + Sync`.
unsafe impl<T: Woken> Send for WaitHook<T> {}
// SAFETY: As above.
unsafe impl<T: Woken> Sync for WaitHook<T> {}

impl<T: Woken> WaitHook<T> {
    /// A hook on no queue, in a box of its own.
    pub(crate) fn new() -> Result<Pin<KBox<Self>>> {
        KBox::pin_init(
            pin_init!(Self {
                entry <- Opaque::uninit(),
                head: AtomicPtr::new(core::ptr::null_mut()),
                owner: AtomicPtr::new(core::ptr::null_mut()),
            }),
            GFP_KERNEL,
        )
    }

    /// Puts the hook on the wait queue of `sock`, to call `owner`, which
    /// it holds until [`WaitHook::remove`]: `EBUSY` if it is on a queue,
    /// or holds an owner, already.
    pub(crate) fn add(self: Pin<&Self>, sock: &Socket, owner: Arc<T>) -> Result {
        let o = Arc::into_raw(owner).cast_mut();
        if self
            .owner
            .compare_exchange(core::ptr::null_mut(), o, AcqRel, Acquire)
            .is_err()
        {
            // SAFETY: `o` came from `into_raw()` above and went nowhere.
            drop(unsafe { Arc::from_raw(o) });
            return Err(EBUSY);
        }
        let e = self.entry.get();
        // SAFETY: `e` is pinned and, with no owner until the exchange
        // above, on no queue: ours to set up (`init_waitqueue_func_entry()`).
        // The socket is open for the borrow (the type invariant), so its
        // queue exists; the release detaches the entry before it goes.
        unsafe {
            (*e).flags = 0;
            (*e).private = o.cast();
            (*e).func = Some(Self::wake);
            let head = glue::sp_glue_sk_sleep(sock.sk());
            bindings::add_wait_queue(head, e);
            // INVARIANT: on `head`, with `private` the owner.
            self.head.store(head, Release);
        }
        Ok(())
    }

    /// Takes the hook off its queue, if on one, and hands back its owner:
    /// no call runs or starts once this returns.
    pub(crate) fn remove(&self) -> Option<Arc<T>> {
        {
            // As `ep_remove_wait_queue()`: a `POLLFREE` may have detached
            // the entry, and the queue lives for this RCU section.
            let _rcu = kernel::sync::rcu::read_lock();
            let head = self.head.swap(core::ptr::null_mut(), AcqRel);
            if !head.is_null() {
                // SAFETY: The entry was on `head` when loaded above, so the
                // queue is not freed before the RCU section ends, and a
                // detached entry points to itself. `remove_wait_queue()`
                // takes the queue's lock, so a running call has ended.
                unsafe { bindings::remove_wait_queue(head, self.entry.get()) };
            }
        }
        let o = self.owner.swap(core::ptr::null_mut(), AcqRel);
        // SAFETY: By the invariant a non-null `owner` is a reference from
        // `into_raw()`, now ours: the swap took it, and no call is left.
        (!o.is_null()).then(|| unsafe { Arc::from_raw(o) })
    }

    /// The queue's call.
    ///
    /// # Safety
    ///
    /// Called by the wait queue, under its lock, for an entry added by
    /// [`WaitHook::add`].
    unsafe extern "C" fn wake(
        e: *mut bindings::wait_queue_entry,
        _mode: kernel::ffi::c_uint,
        _flags: kernel::ffi::c_int,
        key: *mut kernel::ffi::c_void,
    ) -> kernel::ffi::c_int {
        if key as usize & POLLFREE != 0 {
            // SAFETY: `e` is the `entry` of a queued `WaitHook<T>`, and the
            // queue's lock is held: unlink it as `list_del_init()`, which
            // `__wake_up_common()` allows for the entry it calls.
            unsafe {
                let l = &raw mut (*e).entry;
                (*(*l).next).prev = (*l).prev;
                (*(*l).prev).next = (*l).next;
                (*l).next = l;
                (*l).prev = l;
                let hook = kernel::container_of!(
                    e.cast::<Opaque<bindings::wait_queue_entry>>(),
                    Self,
                    entry
                );
                (*hook).head.store(core::ptr::null_mut(), Release);
            }
            return 0;
        }
        // SAFETY: By the invariant `private` is a reference to a live `T`
        // while the entry is queued, and the queue calls only queued
        // entries; it outlives this call.
        T::woken(unsafe { ArcBorrow::from_raw((*e).private.cast::<T>()) });
        0
    }
}

#[pinned_drop]
impl<T: Woken> PinnedDrop for WaitHook<T> {
    fn drop(self: Pin<&mut Self>) {
        drop(self.remove());
    }
}
