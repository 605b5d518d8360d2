// SPDX-License-Identifier: GPL-2.0

//! In-kernel stream sockets (TCP, `AF_UNIX` `SOCK_STREAM`, one-to-one
//! SCTP) that sp's
//! transports run over, and the caller's context that they are made in.

use super::addr::{SockAddr, AF_INET6, AF_UNIX};
use super::cred::PeerCred;
use super::glue;
use super::socket::SockRef;
use core::marker::PhantomData;
use core::ptr::NonNull;
use kernel::bindings;
use kernel::cred::Credential;
use kernel::error::to_result;
use kernel::ffi::{c_int, c_uint, c_void};
use kernel::prelude::*;
use kernel::sync::aref::ARef;
use kernel::sync::{Arc, ArcBorrow};

/// The `IPPROTO_IPV6` option level.
pub(crate) const IPPROTO_IPV6: i32 = bindings::IPPROTO_IPV6 as i32;
/// `IPV6_V6ONLY`.
pub(crate) const IPV6_V6ONLY: i32 = bindings::IPV6_V6ONLY as i32;
/// `IPPROTO_TCP`.
pub(crate) const IPPROTO_TCP: i32 = bindings::IPPROTO_TCP as i32;
/// `IPPROTO_SCTP`.
pub(crate) const IPPROTO_SCTP: i32 = bindings::IPPROTO_SCTP as i32;

/// The `SOL_SOCKET` option level.
pub(crate) const SOL_SOCKET: i32 = bindings::SOL_SOCKET as i32;
/// `SO_PASSCRED`.
pub(crate) const SO_PASSCRED: i32 = bindings::SO_PASSCRED as i32;
/// `SCM_CREDENTIALS`, a `SOL_SOCKET` control message.
pub(crate) const SCM_CREDENTIALS: i32 = bindings::SCM_CREDENTIALS as i32;

/// Most buffers one [`StreamSocket::send_vec`] takes.
pub(crate) const SEND_VEC_MAX: usize = 16;

// `include/net/tcp_states.h`, which the bindings do not include.
const TCP_ESTABLISHED: c_int = 1;
const TCP_SYN_SENT: c_int = 2;
const TCP_SYN_RECV: c_int = 3;
const TCP_LISTEN: c_int = 10;

// `enum sp_stream_event` in `sp/sp_glue.c`.
const SP_STREAM_READABLE: u32 = 1;
const SP_STREAM_WRITABLE: u32 = 2;

/// The connection states sp cares about (a Unix socket uses TCP's).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ConnState {
    /// `TCP_SYN_SENT`/`TCP_SYN_RECV`: connecting.
    Connecting,
    /// `TCP_ESTABLISHED`.
    Established,
    /// Anything else: closing or closed.
    Closed,
}

/// Events that a kernel stream socket reports.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Events(u32);

impl Events {
    /// Data arrived, and nothing else happened.
    pub(crate) fn is_readable_only(self) -> bool {
        self.0 == SP_STREAM_READABLE
    }

    /// Send space was freed, and nothing else happened.
    pub(crate) fn is_writable_only(self) -> bool {
        self.0 == SP_STREAM_WRITABLE
    }
}

/// Where a run of received bytes is.
enum RxBytes<'a> {
    /// In one of TCP's receive buffers: `len` bytes of `skb` from `off` on.
    Skb {
        skb: NonNull<bindings::sk_buff>,
        off: c_uint,
        _skb: PhantomData<&'a bindings::sk_buff>,
    },
    /// Copied out already (a transport without `read_sock`).
    Buf(&'a [u8]),
}

/// A run of received bytes, lent to the actor of [`StreamSocket::read`]
/// (or of a transport's own read loop).
///
/// # Invariants
///
/// An `Skb` run's `skb` is live for `'a` and holds `len` bytes of data
/// from `off` on; `len` fits in a `c_int`. A `Buf` run is `len` bytes long.
pub(crate) struct RxChunk<'a> {
    bytes: RxBytes<'a>,
    len: usize,
}

impl<'a> RxChunk<'a> {
    /// A run of bytes already in memory.
    pub(crate) fn from_slice(b: &'a [u8]) -> Self {
        // INVARIANT: `len` is the slice's.
        RxChunk {
            bytes: RxBytes::Buf(b),
            len: b.len(),
        }
    }
}

impl RxChunk<'_> {
    /// Bytes in the run.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Copies the `dst.len()` bytes from `at` on into `dst`.
    pub(crate) fn copy_to(&self, at: usize, dst: &mut [u8]) -> Result {
        let end = at.checked_add(dst.len()).ok_or(EINVAL)?;
        if end > self.len {
            return Err(EINVAL);
        }
        let (skb, off) = match &self.bytes {
            RxBytes::Buf(b) => {
                dst.copy_from_slice(&b[at..end]);
                return Ok(());
            }
            RxBytes::Skb { skb, off, .. } => (skb, off),
        };
        let off = usize::try_from(*off).map_err(|_| EINVAL)? + at;
        // CAST: `at + dst.len() <= len`, which fits in a `c_int`, as does
        // the skb offset of its data.
        let (off, n) = (off as c_int, dst.len() as c_int);
        // SAFETY: `skb` is live (the invariant) and holds `off + n` bytes;
        // `dst` is writable for `n` bytes.
        to_result(unsafe { bindings::skb_copy_bits(skb.as_ptr(), off, dst.as_mut_ptr().cast(), n) })
    }
}

/// The receiver of a stream socket's events.
pub(crate) trait Watcher: Send + Sync + Sized {
    /// Called in softirq context under the socket's callback lock: must not
    /// sleep, allocate with `GFP_KERNEL` or take a mutex. Typically queues
    /// work.
    fn event(this: ArcBorrow<'_, Self>, ev: Events);
}

/// Whether sp's sockets pass the user's LSM rules and cgroup: this
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

/// A private copy of the caller's root, working directory and umask
/// (`sp_glue_fs_snapshot()`), for path lookups a work item makes later on
/// its behalf.
///
/// # Invariants
///
/// `fs` is a live `fs_struct` that this value owns.
pub(crate) struct FsSnapshot {
    fs: NonNull<bindings::fs_struct>,
}

// SAFETY: The snapshot is only read (by path walks, under its seqlock) once
// made, from any thread; nothing changes it or its users count.
unsafe impl Send for FsSnapshot {}
// SAFETY: As above: concurrent path walks only read it.
unsafe impl Sync for FsSnapshot {}

impl FsSnapshot {
    /// The current task's fs, copied.
    pub(crate) fn current() -> Result<Self> {
        // SAFETY: Called in process context, with a live `current->fs`.
        let fs = unsafe { glue::sp_glue_fs_snapshot() };
        // INVARIANT: a non-null result is a new fs_struct, ours.
        Ok(FsSnapshot {
            fs: NonNull::new(fs).ok_or(ENOMEM)?,
        })
    }
}

impl Drop for FsSnapshot {
    fn drop(&mut self) {
        // SAFETY: By the invariant `fs` is ours; no `InFs` borrows it.
        unsafe { glue::sp_glue_fs_free(self.fs.as_ptr()) };
    }
}

/// The current task resolving paths in a snapshot until dropped.
///
/// # Invariants
///
/// `old` was `current->fs` when the guard was made; the guard is dropped
/// on the same task (it is not `Send`), before the snapshot (the borrow).
struct InFs<'a> {
    fs: &'a FsSnapshot,
    old: *mut bindings::fs_struct,
}

impl<'a> InFs<'a> {
    fn new(fs: &'a FsSnapshot) -> Self {
        // SAFETY: `fs.fs` is live for `'a`, which the guard does not outlive.
        let old = unsafe { glue::sp_glue_fs_override(fs.fs.as_ptr()) };
        InFs { fs, old }
    }
}

impl Drop for InFs<'_> {
    fn drop(&mut self) {
        // SAFETY: By the invariant this task installed `fs`, over `old`.
        unsafe { glue::sp_glue_fs_revert(self.fs.fs.as_ptr(), self.old) };
    }
}

/// Whom a connection is made for, and from where: the credentials of the
/// `connect()` caller and, for transports that resolve a path, a copy of
/// its fs. A reconnect from a work item acts with both, as the caller's
/// own `connect(2)` would.
pub(crate) struct Caller {
    cred: ARef<Credential>,
    fs: Option<FsSnapshot>,
}

impl Caller {
    /// The current task; with its fs when `paths`.
    pub(crate) fn current(paths: bool) -> Result<Self> {
        Ok(Caller {
            cred: super::socket::current_cred(),
            fs: if paths {
                Some(FsSnapshot::current()?)
            } else {
                None
            },
        })
    }
}

/// An owned in-kernel stream socket whose events go to a `W`.
///
/// # Invariants
///
/// `sock` is a live kernel socket owned by this value, a TCP socket when
/// `tcp`. When a watcher is installed, the socket's `sk_user_data` holds
/// one `Arc<W>` reference.
pub(crate) struct StreamSocket<W: Watcher> {
    sock: NonNull<bindings::socket>,
    tcp: bool,
    _w: PhantomData<Arc<W>>,
}

// SAFETY: The socket may be used and released from any thread; concurrent
// use is serialised by the owner (`&mut self` or its own lock).
unsafe impl<W: Watcher> Send for StreamSocket<W> {}
// SAFETY: `&self` methods are safe to call concurrently on a kernel socket.
unsafe impl<W: Watcher> Sync for StreamSocket<W> {}

impl<W: Watcher> StreamSocket<W> {
    /// The socket's `struct sock`, live as long as `self`.
    fn sk(&self) -> *mut bindings::sock {
        // SAFETY: By the type invariant the socket is live.
        unsafe { (*self.sock.as_ptr()).sk }
    }

    /// A stream socket of `family` and `protocol` for the user of `sk`:
    /// checked and labelled by the LSM with `cred` (the caller's when
    /// `None`), as that user's own `socket()` would be, not as a kernel
    /// socket; in the namespace (it holds a reference, so its timers
    /// cannot outlive it), cgroup and memcg of `sk`.
    fn create(
        sk: &SockRef,
        cred: Option<&Credential>,
        family: u16,
        protocol: i32,
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
                protocol,
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
        let s = StreamSocket {
            sock: NonNull::new(sock).ok_or(ENOMEM)?,
            tcp: family != AF_UNIX && protocol == IPPROTO_TCP,
            _w: PhantomData,
        };
        // SAFETY: Both socks are live.
        unsafe { glue::sp_glue_stream_inherit(sk.as_ptr(), s.sk()) };
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
        // SAFETY: `sock` is a live socket, whose ops have a
        // `setsockopt`; `p` points to 4 readable bytes for the call.
        to_result(unsafe {
            match (*(*sock).ops).setsockopt {
                Some(f) => f(sock, level, name, p, 4),
                None => EOPNOTSUPP.to_errno(),
            }
        })
    }

    /// Binds the socket to `addr`, then (SCTP, `sock_bind_add()` as
    /// `fs/dlm/lowcomms.c` does) to each of `extra` too, on the same port;
    /// each passes the LSM's bind rules.
    fn bind_all(&self, addr: &SockAddr, extra: &[SockAddr]) -> Result {
        let sock = self.sock.as_ptr();
        let mut addr = *addr;
        let (a, len) = addr.as_raw();
        // SAFETY: `sock` is live; `a` holds `len` valid bytes and one more,
        // writable.
        unsafe {
            #[cfg(sp_policy_exports)]
            to_result(bindings::security_socket_bind(sock, a.cast(), len))?;
            to_result(bindings::kernel_bind(sock, a, len))?;
        }
        for x in extra {
            let mut x = *x;
            let (a, len) = x.as_raw();
            // SAFETY: As above; `sock_bind_add` only reads the address.
            unsafe {
                #[cfg(sp_policy_exports)]
                to_result(bindings::security_socket_bind(sock, a.cast(), len))?;
                to_result(glue::sock_bind_add(self.sk(), a, len))?;
            }
        }
        Ok(())
    }

    /// A listening socket of `protocol` bound to `addr` (and `extra`, see
    /// `bind_all`), for the user of `sk`; call it in the context of that
    /// user's `bind()`, whose LSM rules apply as to `bind(2)` and
    /// `listen(2)`, and whose credentials and umask a Unix socket file is
    /// made with.
    /// `v6only` is the user's `IPV6_V6ONLY`, if set (else the namespace's
    /// `bindv6only`, as for any new socket); `reuse` sets `SO_REUSEADDR`.
    pub(crate) fn listen(
        sk: &SockRef,
        addr: &SockAddr,
        extra: &[SockAddr],
        protocol: i32,
        backlog: i32,
        v6only: Option<bool>,
        reuse: bool,
    ) -> Result<Self> {
        let s = Self::create(sk, None, addr.family(), protocol, v6only)?;
        let sock = s.sock.as_ptr();
        if reuse {
            // SAFETY: The socket is live.
            unsafe { glue::sock_set_reuseaddr(s.sk()) };
        }
        s.bind_all(addr, extra)?;
        // SAFETY: `sock` is live.
        unsafe {
            #[cfg(sp_policy_exports)]
            to_result(bindings::security_socket_listen(sock, backlog))?;
            to_result(bindings::kernel_listen(sock, backlog))?;
        }
        Ok(s)
    }

    /// A socket of `protocol` connecting to `addr` without blocking (from
    /// the `local` addresses when there are any, see `bind_all`), for the
    /// user of `sk` who called `connect()` as `caller`: the LSM decides as
    /// for that user's own `connect(2)`, and a path is resolved and
    /// checked in the caller's root and working directory, with its
    /// credentials.
    pub(crate) fn connect(
        sk: &SockRef,
        caller: &Caller,
        addr: &SockAddr,
        local: &[SockAddr],
        protocol: i32,
        v6only: Option<bool>,
    ) -> Result<Self> {
        let s = Self::create(sk, Some(&caller.cred), addr.family(), protocol, v6only)?;
        let sock = s.sock.as_ptr();
        let mut addr = *addr;
        let (a, len) = addr.as_raw();
        let _as_user = AsUser::new(&caller.cred);
        let _in_fs = caller.fs.as_ref().map(InFs::new);
        if let Some((first, rest)) = local.split_first() {
            s.bind_all(first, rest)?;
        }
        #[cfg(sp_policy_exports)]
        // SAFETY: `sock` is live; `a` holds `len` valid bytes.
        to_result(unsafe { bindings::security_socket_connect(sock, a.cast(), len) })?;
        // SAFETY: As above, and the byte after them is writable.
        let r = unsafe { bindings::kernel_connect(sock, a, len, bindings::O_NONBLOCK as c_int) };
        if r != 0 && r != EINPROGRESS.to_errno() {
            return Err(Error::from_errno(r));
        }
        Ok(s)
    }

    /// Accepts one pending connection; `None` when none is waiting.
    pub(crate) fn accept<V: Watcher>(&self) -> Result<Option<StreamSocket<V>>> {
        let mut sock = core::ptr::null_mut();
        // SAFETY: `self.sock` is a live socket; `sock` is writable.
        let r = unsafe { glue::sp_glue_stream_accept(self.sock.as_ptr(), &mut sock) };
        if r == EAGAIN.to_errno() {
            return Ok(None);
        }
        to_result(r)?;
        // INVARIANT: accept succeeded, so `sock` is a live socket we own.
        // A child is of its listener's protocol.
        Ok(Some(StreamSocket {
            sock: NonNull::new(sock).ok_or(ENOMEM)?,
            tcp: self.tcp,
            _w: PhantomData,
        }))
    }

    /// The peer's credentials: a Unix socket's; `None` for others.
    pub(crate) fn peer_cred(&self) -> Option<PeerCred> {
        PeerCred::of(self.sk())
    }

    /// `SO_SNDBUF`, in bytes.
    pub(crate) fn sndbuf(&self) -> usize {
        // SAFETY: The socket is live.
        usize::try_from(unsafe { glue::sp_glue_sk_sndbuf(self.sk()) }).unwrap_or(0)
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
    /// them) without blocking: the bytes the socket took, possibly fewer than
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

    /// Reads what TCP has queued (a TCP socket only: `tcp_read_sock`), in
    /// order and without blocking, straight
    /// from its receive queue: `actor` is lent each run of received bytes
    /// and returns how many it took; taking fewer than offered ends the
    /// read. Returns the bytes taken, 0 when there were none (at end of
    /// stream too: see [`StreamSocket::state`]). TCP acknowledges and opens
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
                bytes: RxBytes::Skb {
                    skb,
                    off,
                    _skb: PhantomData,
                },
                len: len.min(c_int::MAX as usize),
            };
            let used = actor(&chunk).min(chunk.len);
            if used < len {
                // Taking fewer ends the read: the next call returns 0.
                desc.count = 0;
            }
            // CAST: `used <= chunk.len <= c_int::MAX`.
            used as c_int
        }

        if !self.tcp {
            return Err(EOPNOTSUPP);
        }
        let mut actor: Actor<'_> = actor;
        let mut desc = bindings::read_descriptor_t {
            count: 1,
            arg: bindings::read_descriptor_t__bindgen_ty_1 {
                data: core::ptr::from_mut(&mut actor).cast::<c_void>(),
            },
            ..Default::default()
        };
        // SAFETY: The socket is live, so is its `sk`, a TCP sock (checked
        // above, by the invariant); it is locked around the read as
        // `tcp_read_sock` requires, and `desc` points to the
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

    /// Whether nothing the socket was given waits in it: unsent or
    /// unacked (TCP), unread by the peer (`AF_UNIX`).
    pub(crate) fn tx_idle(&self) -> bool {
        // SAFETY: The socket is live.
        unsafe { glue::sp_glue_sk_tx_idle(self.sk()) }
    }

    /// The connection state. A connection whose peer will send nothing
    /// more (a TCP FIN, a Unix peer's close) is closed.
    pub(crate) fn state(&self) -> ConnState {
        // SAFETY: The socket is live.
        let (st, shut) = unsafe {
            (
                glue::sp_glue_sk_state(self.sk()),
                glue::sp_glue_sk_rcv_shutdown(self.sk()),
            )
        };
        match st {
            TCP_SYN_SENT | TCP_SYN_RECV => ConnState::Connecting,
            TCP_ESTABLISHED if !shut => ConnState::Established,
            _ => ConnState::Closed,
        }
    }

    /// Takes the pending socket error, if any.
    pub(crate) fn take_error(&self) -> Result {
        // SAFETY: The socket is live.
        to_result(unsafe { glue::sp_glue_sock_error(self.sk()) })
    }

    /// Sets `TCP_NODELAY` (when `on`, on a TCP socket; a new one has it
    /// off).
    pub(crate) fn set_nodelay(&self, on: bool) {
        if on && self.tcp {
            // SAFETY: The socket is live, and so is its sock, a TCP one.
            unsafe { glue::tcp_sock_set_nodelay(self.sk()) };
        }
    }

    /// Sets `SCTP_NODELAY` (an SCTP socket's, `ENOPROTOOPT` for another;
    /// a new one has it off).
    pub(crate) fn set_sctp_nodelay(&self) -> Result {
        // `include/uapi/linux/sctp.h`, which the bindings do not include.
        const SOL_SCTP: i32 = 132;
        const SCTP_NODELAY: i32 = 3;
        self.set_int_opt(SOL_SCTP, SCTP_NODELAY, 1)
    }

    /// Routes the socket's events to `w` until the socket is dropped.
    pub(crate) fn watch(&self, w: Arc<W>) -> Result {
        /// # Safety
        ///
        /// `ctx` must be the pointer installed by `watch`, still installed.
        unsafe extern "C" fn event<W: Watcher>(ctx: *mut c_void, ev: c_uint) {
            // SAFETY: `ctx` came from `Arc::into_raw` in `watch` and the
            // installation owns that reference until it is cleared, which
            // waits for running events (the callback lock).
            let w = unsafe { ArcBorrow::from_raw(ctx.cast::<W>()) };
            W::event(w, Events(ev));
        }
        let ctx = Arc::into_raw(w).cast_mut().cast::<c_void>();
        // SAFETY: The socket is live; `ctx` stays valid until cleared.
        let r = unsafe {
            glue::sp_glue_stream_set_callbacks(self.sock.as_ptr(), Some(event::<W>), ctx)
        };
        if r != 0 {
            // SAFETY: Not installed, so the reference is still ours.
            drop(unsafe { Arc::from_raw(ctx.cast::<W>()) });
        }
        to_result(r)
    }
}

impl<W: Watcher> Drop for StreamSocket<W> {
    fn drop(&mut self) {
        // SAFETY: The socket is live and ours.
        let ctx = unsafe { glue::sp_glue_stream_clear_callbacks(self.sock.as_ptr()) };
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
            while unsafe { glue::sp_glue_stream_accept(self.sock.as_ptr(), &mut child) } == 0 {
                // SAFETY: `child` was just accepted, and nothing else has it.
                unsafe { bindings::sock_release(child) };
            }
        }
        // SAFETY: We own the socket and nothing refers to it any more.
        unsafe { bindings::sock_release(self.sock.as_ptr()) };
    }
}
