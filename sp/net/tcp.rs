// SPDX-License-Identifier: GPL-2.0

//! In-kernel TCP sockets and the socket addresses that name them.

use super::glue;
use super::socket::SockRef;
use core::marker::PhantomData;
use core::ptr::NonNull;
use kernel::bindings;
use kernel::cred::Credential;
use kernel::error::to_result;
use kernel::ffi::{c_int, c_uint, c_void};
use kernel::prelude::*;
use kernel::sync::{Arc, ArcBorrow};

// CAST: address families fit in the 16 bits of `sa_family_t`.
const AF_INET: u16 = bindings::AF_INET as u16;
const AF_INET6: u16 = bindings::AF_INET6 as u16;

/// The `IPPROTO_IPV6` option level.
pub(crate) const IPPROTO_IPV6: i32 = bindings::IPPROTO_IPV6 as i32;
/// `IPV6_V6ONLY`.
pub(crate) const IPV6_V6ONLY: i32 = bindings::IPV6_V6ONLY as i32;
const SOCKADDR_IN_LEN: usize = core::mem::size_of::<bindings::sockaddr_in>();
const SOCKADDR_IN6_LEN: usize = core::mem::size_of::<bindings::sockaddr_in6>();

/// Most buffers one [`TcpSocket::send_vec`] takes.
pub(crate) const SEND_VEC_MAX: usize = 16;

/// An IPv4 or IPv6 socket address (`sockaddr_in`/`sockaddr_in6`).
///
/// # Invariants
///
/// `buf[..len]` holds a `sockaddr_in` (`len == 16`) or a `sockaddr_in6`
/// (`len == 28`) whose family field matches.
#[derive(Clone, Copy)]
pub(crate) struct SockAddr {
    buf: [u8; SOCKADDR_IN6_LEN],
    len: usize,
}

impl SockAddr {
    /// Parses a user address of `raw.len()` bytes.
    ///
    /// A length too short for its family gives `EINVAL`; a family other
    /// than `AF_INET`/`AF_INET6` gives `EAFNOSUPPORT`.
    pub(crate) fn parse(raw: &[u8]) -> Result<SockAddr> {
        let fam = match raw.get(..2) {
            Some(&[a, b]) => u16::from_ne_bytes([a, b]),
            _ => return Err(EINVAL),
        };
        let need = match fam {
            AF_INET => SOCKADDR_IN_LEN,
            // RFC 2133's 24-byte form lacks the scope id; take it as inet6 does.
            AF_INET6 if raw.len() >= 24 => raw.len().min(SOCKADDR_IN6_LEN),
            AF_INET6 => return Err(EINVAL),
            _ => return Err(EAFNOSUPPORT),
        };
        if raw.len() < need {
            return Err(EINVAL);
        }
        let mut buf = [0u8; SOCKADDR_IN6_LEN];
        buf[..need].copy_from_slice(&raw[..need]);
        let len = if fam == AF_INET {
            SOCKADDR_IN_LEN
        } else {
            SOCKADDR_IN6_LEN
        };
        // INVARIANT: the family was checked and the length set to match.
        Ok(SockAddr { buf, len })
    }

    /// The address family.
    pub(crate) fn family(&self) -> u16 {
        u16::from_ne_bytes([self.buf[0], self.buf[1]])
    }

    /// The IP address without the port: IPv4 in the first 4 bytes, the
    /// rest zero; IPv6 in all 16.
    pub(crate) fn ip_bytes(&self) -> [u8; 16] {
        let mut ip = [0u8; 16];
        if self.family() == AF_INET {
            ip[..4].copy_from_slice(&self.buf[4..8]);
        } else {
            ip.copy_from_slice(&self.buf[8..24]);
        }
        ip
    }

    /// Whether this is a `sockaddr_in6`.
    pub(crate) fn is_v6(&self) -> bool {
        self.family() == AF_INET6
    }

    /// The port, in host order.
    pub(crate) fn port(&self) -> u16 {
        u16::from_be_bytes([self.buf[2], self.buf[3]])
    }

    /// The IPv6 scope id (0 for IPv4).
    pub(crate) fn scope_id(&self) -> u32 {
        let b = &self.buf;
        if self.is_v6() {
            u32::from_ne_bytes([b[24], b[25], b[26], b[27]])
        } else {
            0
        }
    }

    /// The raw bytes (a `sockaddr_in` or `sockaddr_in6`).
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    fn as_raw(&self) -> (*mut bindings::sockaddr_unsized, c_int) {
        // CAST: the kernel only reads the address; `len` is at most 28.
        (self.buf.as_ptr().cast_mut().cast(), self.len as c_int)
    }
}

// `include/net/tcp_states.h`, which the bindings do not include.
const TCP_ESTABLISHED: c_int = 1;
const TCP_SYN_SENT: c_int = 2;
const TCP_SYN_RECV: c_int = 3;
const TCP_LISTEN: c_int = 10;

// `enum sp_tcp_event` in `sp/sp_glue.c`.
const SP_TCP_READABLE: u32 = 1;

/// The TCP connection states sp cares about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TcpState {
    /// `TCP_SYN_SENT`/`TCP_SYN_RECV`: connecting.
    Connecting,
    /// `TCP_ESTABLISHED`.
    Established,
    /// Anything else: closing or closed.
    Closed,
}

/// Events that a kernel TCP socket reports.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TcpEvents(u32);

impl TcpEvents {
    /// Data arrived (or a connection is waiting on a listener).
    pub(crate) fn readable(self) -> bool {
        self.0 & SP_TCP_READABLE != 0
    }

    /// Data arrived, and nothing else happened.
    pub(crate) fn is_readable_only(self) -> bool {
        self.0 == SP_TCP_READABLE
    }
}

/// A run of received bytes in one of TCP's receive buffers, lent to the
/// actor of [`TcpSocket::read`].
///
/// # Invariants
///
/// `skb` is live for `'a` and holds `len` bytes of data from `off` on;
/// `len` fits in a `c_int`.
pub(crate) struct RxChunk<'a> {
    skb: NonNull<bindings::sk_buff>,
    off: c_uint,
    len: usize,
    _skb: PhantomData<&'a bindings::sk_buff>,
}

impl RxChunk<'_> {
    /// Bytes in the run.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Copies the `dst.len()` bytes from `at` on into `dst`.
    pub(crate) fn copy_to(&self, at: usize, dst: &mut [u8]) -> Result {
        if at.checked_add(dst.len()).is_none_or(|end| end > self.len) {
            return Err(EINVAL);
        }
        let off = usize::try_from(self.off).map_err(|_| EINVAL)? + at;
        // CAST: `at + dst.len() <= len`, which fits in a `c_int`, as does
        // the skb offset of its data.
        let (off, n) = (off as c_int, dst.len() as c_int);
        // SAFETY: `skb` is live (the invariant) and holds `off + n` bytes;
        // `dst` is writable for `n` bytes.
        to_result(unsafe {
            bindings::skb_copy_bits(self.skb.as_ptr(), off, dst.as_mut_ptr().cast(), n)
        })
    }
}

/// The receiver of a TCP socket's events.
pub(crate) trait TcpWatcher: Send + Sync + Sized {
    /// Called in softirq context under the socket's callback lock: must not
    /// sleep, allocate with `GFP_KERNEL` or take a mutex. Typically queues
    /// work.
    fn event(this: ArcBorrow<'_, Self>, ev: TcpEvents);
}

/// Whether sp's TCP sockets pass the user's LSM rules and cgroup: this
/// kernel exports the hooks (`qemu/patches/`), which `sp/Kbuild` detects.
pub(crate) const POLICY_CHECKED: bool = cfg!(sp_policy_exports);

/// The current task acting as another user until dropped
/// (`override_creds()`).
///
/// # Invariants
///
/// `old` is what the task's credentials were; the guard is dropped on
/// the same task (it is not `Send`), and `cred` outlives it.
struct AsUser<'a> {
    old: *const bindings::cred,
    _cred: PhantomData<&'a Credential>,
}

impl<'a> AsUser<'a> {
    fn new(cred: &'a Credential) -> Self {
        // SAFETY: `cred` is live for `'a`, which the guard does not outlive.
        let old = unsafe { glue::sp_glue_override_creds(cred.as_ptr()) };
        AsUser {
            old,
            _cred: PhantomData,
        }
    }
}

impl Drop for AsUser<'_> {
    fn drop(&mut self) {
        // SAFETY: By the invariant this is the task that overrode its
        // credentials, and `old` what they were.
        unsafe { glue::sp_glue_revert_creds(self.old) };
    }
}

/// An owned in-kernel TCP socket whose events go to a `W`.
///
/// # Invariants
///
/// `sock` is a live kernel socket owned by this value. When a watcher is
/// installed, the socket's `sk_user_data` holds one `Arc<W>` reference.
pub(crate) struct TcpSocket<W: TcpWatcher> {
    sock: NonNull<bindings::socket>,
    _w: PhantomData<Arc<W>>,
}

// SAFETY: The socket may be used and released from any thread; concurrent
// use is serialised by the owner (`&mut self` or its own lock).
unsafe impl<W: TcpWatcher> Send for TcpSocket<W> {}
// SAFETY: `&self` methods are safe to call concurrently on a kernel socket.
unsafe impl<W: TcpWatcher> Sync for TcpSocket<W> {}

impl<W: TcpWatcher> TcpSocket<W> {
    /// The socket's `struct sock`, live as long as `self`.
    fn sk(&self) -> *mut bindings::sock {
        // SAFETY: By the type invariant the socket is live.
        unsafe { (*self.sock.as_ptr()).sk }
    }

    /// A TCP socket for the user of `sk`: checked and labelled by the LSM
    /// with `cred` (the caller's when `None`), as that user's own
    /// `socket()` would be, not as a kernel socket; in the namespace (it
    /// holds a reference, so its timers cannot outlive it), cgroup and
    /// memcg of `sk`.
    fn create(
        sk: &SockRef,
        cred: Option<&Credential>,
        family: u16,
        v6only: Option<bool>,
    ) -> Result<Self> {
        let mut sock = core::ptr::null_mut();
        let as_user = cred.map(AsUser::new);
        // SAFETY: `sk` is live and holds its namespace; `sock` is writable.
        let r = unsafe {
            bindings::__sock_create(
                glue::sp_glue_sock_net(sk.as_ptr()),
                c_int::from(family),
                bindings::sock_type_SOCK_STREAM as c_int,
                bindings::IPPROTO_TCP as c_int,
                &mut sock,
                0,
            )
        };
        drop(as_user);
        // `sock_alloc()` failing gives ENFILE, the file table's errno; these
        // sockets have no file, and what ran out was memory.
        if r == ENFILE.to_errno() {
            return Err(ENOMEM);
        }
        to_result(r)?;
        // INVARIANT: creation succeeded, so `sock` is a live socket we own.
        let s = TcpSocket {
            sock: NonNull::new(sock).ok_or(ENOMEM)?,
            _w: PhantomData,
        };
        // SAFETY: Both socks are live.
        unsafe { glue::sp_glue_tcp_inherit(sk.as_ptr(), s.sk()) };
        if let (AF_INET6, Some(v)) = (family, v6only) {
            s.set_int_opt(IPPROTO_IPV6, IPV6_V6ONLY, i32::from(v))?;
        }
        Ok(s)
    }

    /// `setsockopt(level, name)` of an `int`, as the socket's own
    /// `setsockopt()` takes it from the kernel (`KERNEL_SOCKPTR()`).
    fn set_int_opt(&self, level: i32, name: i32, val: i32) -> Result {
        let sock = self.sock.as_ptr();
        let mut v = val;
        let mut p = bindings::sockptr_t {
            __bindgen_anon_1: bindings::sockptr_t__bindgen_ty_1 {
                kernel: (&raw mut v).cast(),
            },
            ..Default::default()
        };
        p.set_is_kernel(true);
        // SAFETY: `sock` is a live TCP socket, whose ops have a
        // `setsockopt`; `p` points to 4 readable bytes for the call.
        to_result(unsafe {
            match (*(*sock).ops).setsockopt {
                Some(f) => f(sock, level, name, p, 4),
                None => EOPNOTSUPP.to_errno(),
            }
        })
    }

    /// A listening socket bound to `addr`, for the user of `sk`; call it
    /// in the context of that user's `bind()`, whose LSM rules apply as to
    /// `bind(2)` and `listen(2)`.
    /// `v6only` is the user's `IPV6_V6ONLY`, if set (else the namespace's
    /// `bindv6only`, as for any new socket).
    pub(crate) fn listen(
        sk: &SockRef,
        addr: &SockAddr,
        backlog: i32,
        v6only: Option<bool>,
    ) -> Result<Self> {
        let s = Self::create(sk, None, addr.family(), v6only)?;
        let sock = s.sock.as_ptr();
        let (a, len) = addr.as_raw();
        // SAFETY: `sock` is live; `a` holds `len` valid bytes.
        unsafe {
            glue::sock_set_reuseaddr(s.sk());
            #[cfg(sp_policy_exports)]
            to_result(bindings::security_socket_bind(sock, a.cast(), len))?;
            to_result(bindings::kernel_bind(sock, a, len))?;
            #[cfg(sp_policy_exports)]
            to_result(bindings::security_socket_listen(sock, backlog))?;
            to_result(bindings::kernel_listen(sock, backlog))?;
        }
        Ok(s)
    }

    /// A socket connecting to `addr` without blocking, for the user of
    /// `sk` whose credentials (at its `connect()`) are `cred`: the LSM
    /// decides as for that user's own `connect(2)`.
    pub(crate) fn connect(
        sk: &SockRef,
        cred: &Credential,
        addr: &SockAddr,
        v6only: Option<bool>,
    ) -> Result<Self> {
        let s = Self::create(sk, Some(cred), addr.family(), v6only)?;
        let sock = s.sock.as_ptr();
        let (a, len) = addr.as_raw();
        let _as_user = AsUser::new(cred);
        #[cfg(sp_policy_exports)]
        // SAFETY: `sock` is live; `a` holds `len` valid bytes.
        to_result(unsafe { bindings::security_socket_connect(sock, a.cast(), len) })?;
        // SAFETY: As above.
        let r = unsafe { bindings::kernel_connect(sock, a, len, bindings::O_NONBLOCK as c_int) };
        if r != 0 && r != EINPROGRESS.to_errno() {
            return Err(Error::from_errno(r));
        }
        Ok(s)
    }

    /// Accepts one pending connection; `None` when none is waiting.
    pub(crate) fn accept<V: TcpWatcher>(&self) -> Result<Option<TcpSocket<V>>> {
        let mut sock = core::ptr::null_mut();
        // SAFETY: `self.sock` is a live socket; `sock` is writable.
        let r = unsafe { glue::sp_glue_tcp_accept(self.sock.as_ptr(), &mut sock) };
        if r == EAGAIN.to_errno() {
            return Ok(None);
        }
        to_result(r)?;
        // INVARIANT: accept succeeded, so `sock` is a live socket we own.
        Ok(Some(TcpSocket {
            sock: NonNull::new(sock).ok_or(ENOMEM)?,
            _w: PhantomData,
        }))
    }

    /// The socket's inode number, as `ss -e` shows it.
    pub(crate) fn ino(&self) -> u64 {
        // SAFETY: The socket is live, with its sock.
        let ino = unsafe { glue::sp_glue_sk_ino(self.sk()) };
        u64::try_from(ino).unwrap_or(0)
    }

    /// The local (`peer == false`) or remote address.
    pub(crate) fn name(&self, peer: bool) -> Result<SockAddr> {
        let mut buf = [0u8; 128];
        let (sock, addr) = (
            self.sock.as_ptr(),
            buf.as_mut_ptr().cast::<bindings::sockaddr>(),
        );
        // SAFETY: `buf` has room for any sockaddr; the socket is live.
        let r = unsafe {
            if peer {
                bindings::kernel_getpeername(sock, addr)
            } else {
                bindings::kernel_getsockname(sock, addr)
            }
        };
        to_result(r.min(0))?;
        // CAST: `r` is a non-negative length at most 128.
        SockAddr::parse(&buf[..r as usize])
    }

    /// Sends `bufs` in order as one write (at most [`SEND_VEC_MAX`] of
    /// them) without blocking: the bytes TCP took, possibly fewer than
    /// all, or `EAGAIN` when it took none.
    pub(crate) fn send_vec(&self, bufs: &[&[u8]]) -> Result<usize> {
        let mut iov = [bindings::kvec {
            iov_base: core::ptr::null_mut(),
            iov_len: 0,
        }; SEND_VEC_MAX];
        if bufs.len() > SEND_VEC_MAX {
            return Err(EINVAL);
        }
        let mut len = 0;
        for (v, b) in iov.iter_mut().zip(bufs) {
            v.iov_base = b.as_ptr().cast_mut().cast::<c_void>();
            v.iov_len = b.len();
            len += b.len();
        }
        let mut msg = bindings::msghdr {
            msg_flags: bindings::MSG_DONTWAIT | bindings::MSG_NOSIGNAL,
            ..Default::default()
        };
        // SAFETY: The socket is live; `iov[..bufs.len()]` describes
        // `bufs`, which the call only reads.
        let r = unsafe {
            bindings::kernel_sendmsg(
                self.sock.as_ptr(),
                &mut msg,
                iov.as_mut_ptr(),
                bufs.len(),
                len,
            )
        };
        to_result(r.min(0))?;
        // CAST: `r` is non-negative.
        Ok(r as usize)
    }

    /// Receives into `buf` without blocking: `Ok(0)` at end of stream,
    /// `EAGAIN` when nothing is there.
    pub(crate) fn recv(&self, buf: &mut [u8]) -> Result<usize> {
        let mut iov = bindings::kvec {
            iov_base: buf.as_mut_ptr().cast::<c_void>(),
            iov_len: buf.len(),
        };
        let mut msg = bindings::msghdr {
            msg_flags: bindings::MSG_DONTWAIT,
            ..Default::default()
        };
        let flags = bindings::MSG_DONTWAIT as c_int;
        // SAFETY: `iov` describes `buf`, valid for its length; the socket
        // is live.
        let r = unsafe {
            bindings::kernel_recvmsg(self.sock.as_ptr(), &mut msg, &mut iov, 1, buf.len(), flags)
        };
        to_result(r.min(0))?;
        // CAST: `r` is non-negative.
        Ok(r as usize)
    }

    /// Reads what TCP has queued, in order and without blocking, straight
    /// from its receive queue: `actor` is lent each run of received bytes
    /// and returns how many it took; taking fewer than offered ends the
    /// read. Returns the bytes taken, 0 when there were none (at end of
    /// stream too: see [`TcpSocket::state`]). TCP acknowledges and opens
    /// its window as after `recvmsg()`; the actor runs in process context
    /// with the TCP socket locked, so it may allocate but must not touch
    /// this socket.
    pub(crate) fn read(&self, actor: &mut dyn FnMut(&RxChunk<'_>) -> usize) -> Result<usize> {
        type Actor<'a> = &'a mut dyn FnMut(&RxChunk<'_>) -> usize;

        /// # Safety
        ///
        /// `desc.arg.data` points to an `Actor`; `skb` holds `len` bytes of
        /// data from `off` on, and stays live for the call.
        unsafe extern "C" fn trampoline(
            desc: *mut bindings::read_descriptor_t,
            skb: *mut bindings::sk_buff,
            off: c_uint,
            len: usize,
        ) -> c_int {
            // SAFETY: `tcp_read_sock` passes the descriptor `read` built.
            let desc = unsafe { &mut *desc };
            if desc.count == 0 {
                return 0;
            }
            // SAFETY: `read` stored a live `Actor` in `arg.data`.
            let actor = unsafe { &mut *desc.arg.data.cast::<Actor<'_>>() };
            let Some(skb) = NonNull::new(skb) else {
                return 0;
            };
            // INVARIANT: TCP lends `len` bytes from `off` for the call; no
            // more than `c_int` can be counted in the return value.
            let chunk = RxChunk {
                skb,
                off,
                len: len.min(c_int::MAX as usize),
                _skb: PhantomData,
            };
            let used = actor(&chunk).min(chunk.len);
            if used < len {
                // Taking fewer ends the read: the next call returns 0.
                desc.count = 0;
            }
            // CAST: `used <= chunk.len <= c_int::MAX`.
            used as c_int
        }

        let mut actor: Actor<'_> = actor;
        let mut desc = bindings::read_descriptor_t {
            count: 1,
            arg: bindings::read_descriptor_t__bindgen_ty_1 {
                data: core::ptr::from_mut(&mut actor).cast::<c_void>(),
            },
            ..Default::default()
        };
        // SAFETY: The socket is live, so is its `sk`; it is locked around
        // the read as `tcp_read_sock` requires, and `desc` points to the
        // actor for the whole call.
        let r = unsafe {
            let sk = (*self.sock.as_ptr()).sk;
            glue::lock_sock_nested(sk, 0);
            let r = glue::tcp_read_sock(sk, &mut desc, Some(trampoline));
            glue::release_sock(sk);
            r
        };
        to_result(r.min(0))?;
        // CAST: `r` is non-negative.
        Ok(r as usize)
    }

    /// Whether nothing the socket was given waits in it unsent or unacked.
    pub(crate) fn send_queue_empty(&self) -> bool {
        // SAFETY: The socket is live.
        unsafe { glue::sp_glue_sk_wmem_queued(self.sk()) == 0 }
    }

    /// The connection state.
    pub(crate) fn state(&self) -> TcpState {
        // SAFETY: The socket is live.
        match unsafe { glue::sp_glue_sk_state(self.sk()) } {
            TCP_ESTABLISHED => TcpState::Established,
            TCP_SYN_SENT | TCP_SYN_RECV => TcpState::Connecting,
            _ => TcpState::Closed,
        }
    }

    /// Takes the pending socket error, if any.
    pub(crate) fn take_error(&self) -> Result {
        // SAFETY: The socket is live.
        to_result(unsafe { glue::sp_glue_sock_error(self.sk()) })
    }

    /// Sets `TCP_NODELAY` (when `on`; a new socket has it off).
    pub(crate) fn set_nodelay(&self, on: bool) {
        if on {
            // SAFETY: The socket is live, and so is its sock.
            unsafe { glue::tcp_sock_set_nodelay(self.sk()) };
        }
    }

    /// Routes the socket's events to `w` until the socket is dropped.
    pub(crate) fn watch(&self, w: Arc<W>) -> Result {
        /// # Safety
        ///
        /// `ctx` must be the pointer installed by `watch`, still installed.
        unsafe extern "C" fn event<W: TcpWatcher>(ctx: *mut c_void, ev: c_uint) {
            // SAFETY: `ctx` came from `Arc::into_raw` in `watch` and the
            // installation owns that reference until it is cleared, which
            // waits for running events (the callback lock).
            let w = unsafe { ArcBorrow::from_raw(ctx.cast::<W>()) };
            W::event(w, TcpEvents(ev));
        }
        let ctx = Arc::into_raw(w).cast_mut().cast::<c_void>();
        // SAFETY: The socket is live; `ctx` stays valid until cleared.
        let r =
            unsafe { glue::sp_glue_tcp_set_callbacks(self.sock.as_ptr(), Some(event::<W>), ctx) };
        if r != 0 {
            // SAFETY: Not installed, so the reference is still ours.
            drop(unsafe { Arc::from_raw(ctx.cast::<W>()) });
        }
        to_result(r)
    }
}

impl<W: TcpWatcher> Drop for TcpSocket<W> {
    fn drop(&mut self) {
        // SAFETY: The socket is live and ours.
        let ctx = unsafe { glue::sp_glue_tcp_clear_callbacks(self.sock.as_ptr()) };
        if !ctx.is_null() {
            // SAFETY: The installation owned this reference; no event runs
            // any more.
            drop(unsafe { Arc::from_raw(ctx.cast::<W>()) });
        }
        // Children still in a listener's accept queue were cloned with our
        // callbacks: accepting gives them the originals; close them, so
        // that none outlives the module with ours.
        // SAFETY: The socket is live.
        if unsafe { glue::sp_glue_sk_state(self.sk()) } == TCP_LISTEN {
            let mut child = core::ptr::null_mut();
            // SAFETY: The socket is live; `child` is writable.
            while unsafe { glue::sp_glue_tcp_accept(self.sock.as_ptr(), &mut child) } == 0 {
                // SAFETY: `child` was just accepted, and nothing else has it.
                unsafe { bindings::sock_release(child) };
            }
        }
        // SAFETY: We own the socket and nothing refers to it any more.
        unsafe { bindings::sock_release(self.sock.as_ptr()) };
    }
}
