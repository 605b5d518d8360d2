// SPDX-License-Identifier: GPL-2.0

//! Registration of a socket family and its `proto_ops` table.
//!
//! C headers: [`include/linux/net.h`](srctree/include/linux/net.h),
//! [`include/net/sock.h`](srctree/include/net/sock.h) (through the C glue).

use super::addr::SockAddr;
use super::diag::DiagMsg;
use super::glue;
use super::msg::{MsgDst, MsgSrc};
use super::socket::{PollMask, SockRef, Socket};
use core::marker::PhantomData;
use kernel::bindings;
use kernel::error::{from_result, to_result, VTABLE_DEFAULT_ERROR};
use kernel::ffi::{c_int, c_long, c_uint, c_ulong, c_void};
use kernel::iov::IovIterDest;
use kernel::module::{this_module, ModuleMetadata};
use kernel::prelude::*;
use kernel::seq_file::SeqFile;
use kernel::types::{ForeignOwnable, Opaque};
use kernel::uaccess::{UserPtr, UserSlice};

/// Largest `setsockopt()` value copied in, in bytes.
pub(crate) const OPT_MAX: usize = 4096;

/// Largest `getsockopt()` value handed out, in bytes.
pub(crate) const OPT_OUT_MAX: usize = 64;

/// `SIOCINQ` (`FIONREAD`), for [`Family::ioctl`].
pub(crate) const SIOCINQ: u32 = bindings::FIONREAD;
/// `SIOCOUTQ` (`TIOCOUTQ`), for [`Family::ioctl`].
pub(crate) const SIOCOUTQ: u32 = bindings::TIOCOUTQ;

/// Which directions `shutdown()` closes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shutdown {
    /// `SHUT_RD`.
    Read,
    /// `SHUT_WR`.
    Write,
    /// `SHUT_RDWR`.
    Both,
}

/// Borrowed per-socket state of family `T`.
pub(crate) type Data<'a, T> = <<T as Family>::Ptr as ForeignOwnable>::Borrowed<'a>;

/// A socket family implemented in Rust.
///
/// Every socket carries a `Ptr` made by [`Family::create`]. The callbacks
/// borrow it; it is dropped when the last reference to the socket's
/// `struct sock` goes, after [`Family::release`].
#[vtable]
pub(crate) trait Family: Sized {
    /// The module that owns the family; sockets pin it.
    type OwnerModule: ModuleMetadata;

    /// The per-socket state.
    type Ptr: ForeignOwnable + Send + Sync;

    /// The `AF_*` number.
    const FAMILY: i32;

    /// Makes the state of a new socket, or refuses the type or protocol.
    fn create(sock: &Socket, protocol: i32, kern: bool) -> Result<Self::Ptr>;

    /// Called by `close()`, before the socket's last reference is dropped.
    fn release(_data: Data<'_, Self>, _sock: &Socket) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// The first line of `/proc/net/<family>`, with its newline.
    const PROC_HEADER: &'static str;

    /// The `SOL_SOCKET` options that [`Family::setsockopt`] takes itself;
    /// the socket layer's `sock_setsockopt()` handles the others.
    const SOL_SOCKET_OPTS: &'static [i32] = &[];

    /// The line of `/proc/net/<family>` of a socket whose inode is `ino`,
    /// with its newline. It may sleep; the list of sockets is held.
    fn proc_line(data: Data<'_, Self>, ino: u64, seq: &SeqFile);

    /// The sock_diag attributes of a socket (`uapi/linux/sp_diag.h`),
    /// those `show` asks for: `EMSGSIZE` when `msg` has no room. It may
    /// sleep; the list of sockets may be held.
    fn diag(data: Data<'_, Self>, sk: &SockRef, msg: &mut DiagMsg<'_>, show: u32) -> Result;

    /// The socket's lines of `/proc/PID/fdinfo/FD`.
    fn show_fdinfo(_data: Data<'_, Self>, _sock: &Socket, _seq: &SeqFile) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `setsockopt()` for any level but `SOL_SOCKET`.
    fn setsockopt(
        _data: Data<'_, Self>,
        _sock: &Socket,
        _level: i32,
        _name: i32,
        _val: &[u8],
    ) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `getsockopt()` for any level but `SOL_SOCKET`: writes the value into
    /// `out` (sized by the caller's buffer, at most [`OPT_OUT_MAX`]) and
    /// returns its length.
    fn getsockopt(
        _data: Data<'_, Self>,
        _sock: &Socket,
        _level: i32,
        _name: i32,
        _out: &mut [u8],
    ) -> Result<usize> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `bind()`: `addr` was parsed and checked for length and family.
    fn bind(_data: Data<'_, Self>, _sock: &Socket, _addr: &SockAddr) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `connect()`.
    fn connect(_data: Data<'_, Self>, _sock: &Socket, _addr: &SockAddr, _flags: i32) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `getsockname()` (`peer == false`) and `getpeername()`.
    fn getname(_data: Data<'_, Self>, _sock: &Socket, _peer: bool) -> Result<SockAddr> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// An `ioctl()` that answers an `int` (`SIOCINQ`, `SIOCOUTQ`):
    /// `ENOIOCTLCMD` for one the socket layer should try.
    fn ioctl(_data: Data<'_, Self>, _sock: &Socket, _cmd: u32) -> Result<i32> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `shutdown()`: `how` is `SHUT_RD`, `SHUT_WR` or `SHUT_RDWR`, checked.
    fn shutdown(_data: Data<'_, Self>, _sock: &Socket, _how: Shutdown) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `sendmsg()`: returns the bytes sent.
    fn sendmsg(
        _data: Data<'_, Self>,
        _sock: &Socket,
        _msg: &mut MsgSrc<'_>,
        _len: usize,
    ) -> Result<usize> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `recvmsg()` into a buffer of `len` bytes: returns the length to
    /// report.
    fn recvmsg(
        _data: Data<'_, Self>,
        _sock: &Socket,
        _msg: &mut MsgDst<'_>,
        _len: usize,
        _flags: i32,
    ) -> Result<usize> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// The pattern-specific part of the `poll()` mask.
    fn poll(_data: Data<'_, Self>, _sock: &Socket) -> PollMask {
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// Borrows the state of the socket behind `sock`.
///
/// # Safety
///
/// `sock` must be a live socket of family `T` whose `sk` is attached, and
/// the borrow must end before the socket is released.
unsafe fn data<'a, T: Family>(sock: *mut bindings::socket) -> Data<'a, T> {
    // SAFETY: The caller guarantees that `sock` and its `sk` are live.
    let ptr = unsafe { glue::sp_glue_sk_priv((*sock).sk) };
    // SAFETY: `create()` stored a `T::Ptr` before the socket became visible
    // to user space; it is only reclaimed by `destruct()`, after release.
    unsafe { T::Ptr::borrow(ptr) }
}

/// Runs `f` with the state of the socket of family `T` behind file
/// descriptor `fd` of the calling task, as `sockfd_lookup()` finds it,
/// holding its file (so that it cannot be released) for the call: `EBADF`,
/// `ENOTSOCK`, or `EAFNOSUPPORT` for a socket of another family.
pub(crate) fn with_fd<T: Family, R>(
    fd: i32,
    f: impl FnOnce(T::Ptr, &Socket) -> Result<R>,
) -> Result<R>
where
    for<'a> Data<'a, T>: Into<T::Ptr>,
{
    let mut err = 0;
    // SAFETY: No preconditions; a socket comes back with its file held.
    let sock = unsafe { bindings::sockfd_lookup(fd, &mut err) };
    if sock.is_null() {
        return Err(Error::from_errno(err));
    }
    // SAFETY: `sock` is live while its file is held. Only this family
    // registers `T::FAMILY`, and a socket of it that has a file has its
    // `sk` and state attached until its release, which the file defers.
    let r = unsafe {
        if (*(*sock).ops).family == T::FAMILY && !(*sock).sk.is_null() {
            f(data::<T>(sock).into(), Socket::from_raw(sock))
        } else {
            Err(EAFNOSUPPORT)
        }
    };
    // SAFETY: `sockfd_lookup()` took this reference (`sockfd_put()`).
    unsafe { bindings::fput((*sock).file) };
    r
}

/// Copies a `setsockopt()` value in, as `copy_from_sockptr()`.
///
/// # Safety
///
/// `src` must point to at least `dst.len()` bytes: kernel memory that is
/// readable, or user memory (which is checked).
unsafe fn copy_from_sockptr(dst: &mut [u8], src: bindings::sockptr_t) -> Result {
    if src.is_kernel() {
        // SAFETY: The caller guarantees `dst.len()` readable bytes at
        // `src.kernel`, which cannot overlap the fresh `dst`.
        unsafe {
            core::ptr::copy_nonoverlapping(
                src.__bindgen_anon_1.kernel.cast::<u8>(),
                dst.as_mut_ptr(),
                dst.len(),
            )
        };
        return Ok(());
    }
    // SAFETY: `is_kernel` is clear, so `user` is the member in use.
    let user = unsafe { src.__bindgen_anon_1.user };
    UserSlice::new(UserPtr::from_ptr(user), dst.len())
        .reader()
        .read_slice(dst)
}

/// The `proto_ops` table and callbacks of family `T`.
///
/// # Invariants
///
/// The socket layer calls each callback here but `create` and `release`
/// for a live socket of family `T` whose `sk` `create` attached and
/// `release` has not detached yet, and holds the socket (its file) for the
/// duration of the call.
struct Ops<T: Family>(PhantomData<T>);

impl<T: Family> Ops<T> {
    /// The state and the socket of a callback's `sock`, for the call.
    ///
    /// # Safety
    ///
    /// `sock` is what the socket layer passed to a callback of this table
    /// other than `create` and `release`, and the borrows end with the
    /// call.
    unsafe fn open<'a>(sock: *mut bindings::socket) -> (Data<'a, T>, &'a Socket) {
        // SAFETY: By the type invariant `sock` is live and attached for the
        // call, which the caller's borrows do not outlive.
        unsafe { (data::<T>(sock), Socket::from_raw(sock)) }
    }

    /// # Safety
    ///
    /// Called by the socket layer with a socket being created in `net`.
    unsafe extern "C" fn create(
        net: *mut bindings::net,
        sock: *mut bindings::socket,
        protocol: c_int,
        kern: c_int,
    ) -> c_int {
        from_result(|| {
            // SAFETY: The socket layer passes a valid `net` and `sock`.
            to_result(unsafe {
                glue::sp_glue_sock_create(net, sock, kern, Self::vtable(), Some(Self::destruct))
            })?;
            // SAFETY: `sock` is valid and its `sk` was just attached.
            let s = unsafe { Socket::from_raw(sock) };
            match T::create(s, protocol, kern != 0) {
                Ok(state) => {
                    // SAFETY: `sk` is attached; its destructor reclaims the
                    // pointer.
                    unsafe {
                        glue::sp_glue_sk_set_priv((*sock).sk, state.into_foreign());
                        // Listed with its state, until the release.
                        glue::sp_glue_sk_list_add((*sock).sk);
                    }
                    Ok(0)
                }
                Err(e) => {
                    // SAFETY: `sk` is attached and holds no state yet; the
                    // socket layer clears `sock` after this failure.
                    unsafe { glue::sp_glue_sock_release(sock) };
                    Err(e)
                }
            }
        })
    }

    /// # Safety
    ///
    /// Called once, when the last reference to an sp `sk` is dropped.
    unsafe extern "C" fn destruct(sk: *mut bindings::sock) {
        // SAFETY: `sk` is an sp sock being destroyed.
        let ptr = unsafe { glue::sp_glue_sk_priv(sk) };
        // SAFETY: The pointer is null or came from `into_foreign()` in
        // `create()`; nothing can borrow it any more.
        drop(unsafe { T::Ptr::try_from_foreign(ptr) });
    }

    /// # Safety
    ///
    /// Called by the socket layer on `close()` of a socket of family `T`.
    unsafe extern "C" fn release(sock: *mut bindings::socket) -> c_int {
        // SAFETY: The socket layer passes a valid socket.
        if unsafe { (*sock).sk }.is_null() {
            return 0;
        }
        // SAFETY: The sock is attached, and listed since `create()`.
        unsafe { glue::sp_glue_sk_list_del((*sock).sk) };
        if T::HAS_RELEASE {
            // SAFETY: The socket is live and attached until the glue call
            // below.
            let (d, s) = unsafe { (data::<T>(sock), Socket::from_raw(sock)) };
            T::release(d, s);
        }
        // SAFETY: As above.
        unsafe { Socket::from_raw(sock) }.detach_hooks();
        // SAFETY: The socket is attached and no borrow of it remains.
        unsafe { glue::sp_glue_sock_release(sock) };
        0
    }

    /// # Safety
    ///
    /// Called by the socket layer for a socket of family `T`; `optval` holds
    /// `optlen` bytes.
    unsafe extern "C" fn setsockopt(
        sock: *mut bindings::socket,
        level: c_int,
        name: c_int,
        optval: bindings::sockptr_t,
        optlen: c_uint,
    ) -> c_int {
        from_result(|| {
            // CAST: `SOL_SOCKET` is 1.
            if level == bindings::SOL_SOCKET as c_int && !T::SOL_SOCKET_OPTS.contains(&name) {
                // SAFETY: The socket layer's own arguments, passed on.
                return to_result(unsafe {
                    glue::sp_glue_sock_setsockopt(sock, level, name, &optval, optlen)
                })
                .map(|()| 0);
            }
            // CAST: `c_uint` fits in `usize` on every Linux target.
            let len = optlen as usize;
            if len > OPT_MAX {
                return Err(EINVAL);
            }
            let mut buf = KVec::from_elem(0u8, len, GFP_KERNEL)?;
            // SAFETY: The socket layer passes `optlen` bytes at `optval`.
            unsafe { copy_from_sockptr(&mut buf, optval) }?;
            // SAFETY: `sock` is this callback's (`Ops`' invariant).
            let (d, s) = unsafe { Self::open(sock) };
            T::setsockopt(d, s, level, name, &buf)?;
            Ok(0)
        })
    }

    /// # Safety
    ///
    /// Called by the socket layer for a socket of family `T` with a valid
    /// option container.
    unsafe extern "C" fn getsockopt(
        sock: *mut bindings::socket,
        level: c_int,
        name: c_int,
        opt: *mut bindings::sockopt_t,
    ) -> c_int {
        from_result(|| {
            // SAFETY: `opt` is valid and ours for the call.
            let opt = unsafe { &mut *opt };
            let cap = usize::try_from(opt.optlen)
                .map_err(|_| EINVAL)?
                .min(OPT_OUT_MAX);
            let mut buf = [0u8; OPT_OUT_MAX];
            // SAFETY: `sock` is this callback's (`Ops`' invariant).
            let (d, s) = unsafe { Self::open(sock) };
            let n = T::getsockopt(d, s, level, name, &mut buf[..cap])?.min(cap);
            // SAFETY: The socket layer gives getsockopt() an `ITER_DEST`
            // over the caller's buffer in `iter_out`, writable for the call.
            let out = unsafe { IovIterDest::from_raw(&mut opt.iter_out) };
            if out.copy_to_iter(&buf[..n]) != n {
                return Err(EFAULT);
            }
            // CAST: `n <= OPT_OUT_MAX`, which fits in `c_int`.
            opt.optlen = n as c_int;
            Ok(0)
        })
    }

    /// # Safety
    ///
    /// Called by the socket layer for an open socket of family `T`.
    unsafe extern "C" fn poll(
        file: *mut bindings::file,
        sock: *mut bindings::socket,
        wait: *mut bindings::poll_table_struct,
    ) -> bindings::__poll_t {
        // SAFETY: The arguments are valid for the call, and `sock`'s wait
        // queue lives as long as the socket. The barrier is
        // `sock_poll_wait()`'s: it pairs with the one in the glue's wake,
        // so that a waker sees this poller or the poller sees its event.
        unsafe {
            bindings::poll_wait(file, &raw mut (*sock).wq.wait, wait);
            bindings::smp_mb();
        }
        // sp sets neither `sk_err` nor `sk_shutdown` of a socket before it
        // is released, so the pattern's mask is the whole answer.
        if !T::HAS_POLL {
            return 0;
        }
        // SAFETY: `sock` is this callback's (`Ops`' invariant).
        let (d, s) = unsafe { Self::open(sock) };
        T::poll(d, s).bits()
    }

    /// Copies a user address of `len` bytes out of `addr` and parses it.
    ///
    /// # Safety
    ///
    /// `addr` must hold `len` readable bytes when `len` is positive.
    unsafe fn addr(addr: *mut bindings::sockaddr_unsized, len: c_int) -> Result<SockAddr> {
        let len = usize::try_from(len).map_err(|_| EINVAL)?;
        if addr.is_null() {
            return Err(EINVAL);
        }
        // SAFETY: The socket layer copied `len` bytes (at most
        // `sizeof(struct sockaddr_storage)`) into kernel memory at `addr`.
        let raw = unsafe { core::slice::from_raw_parts(addr.cast::<u8>(), len) };
        SockAddr::parse(raw)
    }

    /// # Safety
    ///
    /// Called by the socket layer for a socket of family `T`.
    unsafe extern "C" fn bind(
        sock: *mut bindings::socket,
        addr: *mut bindings::sockaddr_unsized,
        len: c_int,
    ) -> c_int {
        from_result(|| {
            // SAFETY: The socket layer passes a kernel copy of the address.
            let a = unsafe { Self::addr(addr, len) }?;
            // SAFETY: `sock` is this callback's (`Ops`' invariant).
            let (d, s) = unsafe { Self::open(sock) };
            T::bind(d, s, &a)?;
            Ok(0)
        })
    }

    /// # Safety
    ///
    /// Called by the socket layer for a socket of family `T`.
    unsafe extern "C" fn connect(
        sock: *mut bindings::socket,
        addr: *mut bindings::sockaddr_unsized,
        len: c_int,
        flags: c_int,
    ) -> c_int {
        from_result(|| {
            // SAFETY: The socket layer passes a kernel copy of the address.
            let a = unsafe { Self::addr(addr, len) }?;
            // SAFETY: `sock` is this callback's (`Ops`' invariant).
            let (d, s) = unsafe { Self::open(sock) };
            T::connect(d, s, &a, flags)?;
            Ok(0)
        })
    }

    /// # Safety
    ///
    /// Called by the socket layer for a socket of family `T`; `addr` has
    /// room for a `sockaddr_storage`.
    unsafe extern "C" fn getname(
        sock: *mut bindings::socket,
        addr: *mut bindings::sockaddr,
        peer: c_int,
    ) -> c_int {
        from_result(|| {
            // SAFETY: `sock` is this callback's (`Ops`' invariant).
            let (d, s) = unsafe { Self::open(sock) };
            let a = T::getname(d, s, peer != 0)?;
            let b = a.as_bytes();
            // SAFETY: `addr` has room for a `sockaddr_storage` (128 bytes);
            // `b` is at most 28 bytes.
            unsafe { core::ptr::copy_nonoverlapping(b.as_ptr(), addr.cast::<u8>(), b.len()) };
            // CAST: at most 28.
            Ok(b.len() as c_int)
        })
    }

    /// # Safety
    ///
    /// Called by the socket layer for a socket of family `T` with a valid
    /// message of `len` bytes.
    unsafe extern "C" fn sendmsg(
        sock: *mut bindings::socket,
        msg: *mut bindings::msghdr,
        len: usize,
    ) -> c_int {
        from_result(|| {
            // SAFETY: The socket layer owns `msg` for the call and lends it.
            let mut m = unsafe { MsgSrc::from_raw(msg) };
            // SAFETY: `sock` is this callback's (`Ops`' invariant).
            let (d, s) = unsafe { Self::open(sock) };
            let n = T::sendmsg(d, s, &mut m, len)?;
            c_int::try_from(n).map_err(|_| EMSGSIZE)
        })
    }

    /// # Safety
    ///
    /// Called by the socket layer for a socket of family `T` with a valid
    /// message buffer of `len` bytes.
    unsafe extern "C" fn recvmsg(
        sock: *mut bindings::socket,
        msg: *mut bindings::msghdr,
        len: usize,
        flags: c_int,
    ) -> c_int {
        from_result(|| {
            // SAFETY: The socket layer owns `msg` for the call and lends it.
            let mut m = unsafe { MsgDst::from_raw(msg) };
            // SAFETY: `sock` is this callback's (`Ops`' invariant).
            let (d, s) = unsafe { Self::open(sock) };
            let n = T::recvmsg(d, s, &mut m, len, flags)?;
            c_int::try_from(n).map_err(|_| EMSGSIZE)
        })
    }

    /// # Safety
    ///
    /// Called by the socket layer for a socket of family `T` with a file.
    unsafe extern "C" fn show_fdinfo(seq: *mut bindings::seq_file, sock: *mut bindings::socket) {
        // SAFETY: The socket layer passes a live seq_file and a socket with
        // a file, so attached for the call.
        let (s, (d, so)) = unsafe { (SeqFile::from_raw(seq), Self::open(sock)) };
        T::show_fdinfo(d, so, s);
    }

    /// Walks the listed sockets of `net` from the `skip`'th, oldest first,
    /// until `f` returns true; returns the position it stopped at, or the
    /// number of sockets. `f` may sleep.
    fn walk<F: FnMut(Data<'_, T>, u64) -> bool>(
        net: *mut bindings::net,
        skip: usize,
        mut f: F,
    ) -> usize {
        /// # Safety
        ///
        /// `sk` is a listed sp sock, `arg` the walk's `F`.
        unsafe extern "C" fn one<T: Family, F: FnMut(Data<'_, T>, u64) -> bool>(
            sk: *mut bindings::sock,
            arg: *mut c_void,
        ) -> c_int {
            // SAFETY: A listed sock has its state from `create()` (listed
            // after it was set) and keeps it: the list holds a reference,
            // and the state goes only with the last.
            let (d, ino) = unsafe {
                (
                    T::Ptr::borrow(glue::sp_glue_sk_priv(sk)),
                    glue::sp_glue_sk_ino(sk),
                )
            };
            // SAFETY: `arg` is the walk's `F`, borrowed for the walk.
            let f = unsafe { &mut *arg.cast::<F>() };
            c_int::from(f(d, ino as u64))
        }
        let skip = c_long::try_from(skip).unwrap_or(c_long::MAX);
        // SAFETY: The walk only compares `net`; `one::<T, F>` matches `f`,
        // which outlives the call.
        let n = unsafe { glue::sp_glue_sk_list_walk(net, skip, one::<T, F>, (&raw mut f).cast()) };
        usize::try_from(n).unwrap_or(0)
    }

    /// # Safety
    ///
    /// Called by the `/proc/net/<family>` file of a network namespace.
    unsafe extern "C" fn proc_show(seq: *mut bindings::seq_file, _v: *mut c_void) -> c_int {
        // SAFETY: The proc layer passes a live seq_file of a single-show
        // net file, which holds its namespace for the read.
        let (s, net) = unsafe { (SeqFile::from_raw(seq), glue::sp_glue_seq_net(seq)) };
        kernel::seq_print!(s, "{}", T::PROC_HEADER);
        Self::walk(net, 0, |d, ino| {
            T::proc_line(d, ino, s);
            false
        });
        0
    }

    /// # Safety
    ///
    /// Called by the socket layer for a socket of family `T`; `arg` is the
    /// caller's.
    unsafe extern "C" fn ioctl(sock: *mut bindings::socket, cmd: c_uint, arg: c_ulong) -> c_int {
        from_result(|| {
            // SAFETY: `sock` is this callback's (`Ops`' invariant).
            let (d, s) = unsafe { Self::open(sock) };
            let v = T::ioctl(d, s, cmd)?;
            // `arg` is a user address, as `(int __user *)arg`.
            let ptr = UserPtr::from_addr(arg);
            UserSlice::new(ptr, 4).writer().write(&v)?;
            Ok(0)
        })
    }

    /// # Safety
    ///
    /// Called by the socket layer for a socket of family `T`.
    unsafe extern "C" fn shutdown(sock: *mut bindings::socket, how: c_int) -> c_int {
        from_result(|| {
            // As `inet_shutdown()`: SHUT_RD 0, SHUT_WR 1, SHUT_RDWR 2.
            let how = match how {
                0 => Shutdown::Read,
                1 => Shutdown::Write,
                2 => Shutdown::Both,
                _ => return Err(EINVAL),
            };
            // SAFETY: `sock` is this callback's (`Ops`' invariant).
            let (d, s) = unsafe { Self::open(sock) };
            T::shutdown(d, s, how)?;
            Ok(0)
        })
    }

    /// # Safety
    ///
    /// Called by the glue's sock_diag fill for a listed sp sock, or one it
    /// holds a reference to, with a netlink buffer whose message it began.
    unsafe extern "C" fn diag_attrs(
        sk: *mut bindings::sock,
        skb: *mut bindings::sk_buff,
        show: u32,
    ) -> c_int {
        // SAFETY: The sock has its state from `create()` until the last
        // reference goes, and one is held for the call; `skb` is the
        // glue's, untouched while we fill it.
        let (d, mut m) = unsafe {
            (
                T::Ptr::borrow(glue::sp_glue_sk_priv(sk)),
                DiagMsg::from_raw(skb),
            )
        };
        // SAFETY: As above: a reference is held for the call.
        let sk = unsafe { SockRef::from_raw_hold(sk) };
        match T::diag(d, &sk, &mut m, show) {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        }
    }

    extern "C" fn no_ioctl(_sock: *mut bindings::socket, _cmd: c_uint, _arg: c_ulong) -> c_int {
        // Let the socket layer try its generic ioctls.
        ENOIOCTLCMD.to_errno()
    }

    const VTABLE: bindings::proto_ops = bindings::proto_ops {
        family: T::FAMILY,
        owner: this_module::<T::OwnerModule>().as_ptr(),
        release: Some(Self::release),
        bind: if T::HAS_BIND {
            Some(Self::bind)
        } else {
            Some(glue::sock_no_bind)
        },
        connect: if T::HAS_CONNECT {
            Some(Self::connect)
        } else {
            Some(glue::sock_no_connect)
        },
        socketpair: Some(glue::sock_no_socketpair),
        accept: Some(glue::sock_no_accept),
        getname: if T::HAS_GETNAME {
            Some(Self::getname)
        } else {
            Some(glue::sock_no_getname)
        },
        poll: Some(Self::poll),
        ioctl: if T::HAS_IOCTL {
            Some(Self::ioctl)
        } else {
            Some(Self::no_ioctl)
        },
        listen: Some(glue::sock_no_listen),
        shutdown: if T::HAS_SHUTDOWN {
            Some(Self::shutdown)
        } else {
            Some(glue::sock_no_shutdown)
        },
        setsockopt: if T::HAS_SETSOCKOPT {
            Some(Self::setsockopt)
        } else {
            None
        },
        getsockopt_iter: if T::HAS_GETSOCKOPT {
            Some(Self::getsockopt)
        } else {
            None
        },
        sendmsg: if T::HAS_SENDMSG {
            Some(Self::sendmsg)
        } else {
            Some(glue::sock_no_sendmsg)
        },
        recvmsg: if T::HAS_RECVMSG {
            Some(Self::recvmsg)
        } else {
            Some(glue::sock_no_recvmsg)
        },
        mmap: Some(glue::sock_no_mmap),
        show_fdinfo: if T::HAS_SHOW_FDINFO {
            Some(Self::show_fdinfo)
        } else {
            None
        },
        ..pin_init::zeroed()
    };

    const fn vtable() -> &'static bindings::proto_ops {
        &Self::VTABLE
    }

    const FAMILY_OPS: bindings::net_proto_family = bindings::net_proto_family {
        family: T::FAMILY,
        create: Some(Self::create),
        owner: this_module::<T::OwnerModule>().as_ptr(),
    };
}

/// The registration of family `T` with the socket layer.
///
/// # Invariants
///
/// While the registration exists, the sp `struct proto` is registered and
/// `family` is registered with `sock_register()`.
#[pin_data(PinnedDrop)]
pub(crate) struct Registration<T: Family> {
    #[pin]
    family: Opaque<bindings::net_proto_family>,
    _t: PhantomData<T>,
}

// SAFETY: The registration is only touched on creation and in `drop`; both
// may run on any thread.
unsafe impl<T: Family> Send for Registration<T> {}
// SAFETY: `&Registration` exposes nothing.
unsafe impl<T: Family> Sync for Registration<T> {}

impl<T: Family> Registration<T> {
    /// Registers family `T`; sockets of it can be created from then on.
    pub(crate) fn register() -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            family <- Opaque::try_ffi_init(|slot: *mut bindings::net_proto_family| {
                // SAFETY: Registering the glue's `struct proto` has no
                // preconditions.
                to_result(unsafe { glue::sp_glue_proto_register() })?;
                // SAFETY: `slot` is writable and pinned for the lifetime of
                // the registration.
                unsafe { slot.write(Ops::<T>::FAMILY_OPS) };
                // SAFETY: `slot` holds a valid family that stays in place
                // until `drop` unregisters it.
                let mut ret = unsafe { bindings::sock_register(slot) };
                if ret == 0 {
                    // SAFETY: `proc_show` reads sockets of the family just
                    // registered; `drop` removes the files first.
                    ret = unsafe { glue::sp_glue_proc_register(Ops::<T>::proc_show) };
                    if ret == 0 {
                        // SAFETY: As for the files: `drop` unregisters it first.
                        ret = unsafe { glue::sp_glue_diag_register(Ops::<T>::diag_attrs) };
                        if ret != 0 {
                            // SAFETY: Registered above.
                            unsafe { glue::sp_glue_proc_unregister() };
                        }
                    }
                    if ret != 0 {
                        // SAFETY: Registered above; no socket exists yet.
                        unsafe { bindings::sock_unregister(T::FAMILY) };
                    }
                }
                if ret != 0 {
                    // SAFETY: Registered above; no socket can exist yet.
                    unsafe { glue::sp_glue_proto_unregister() };
                }
                // INVARIANT: On success both registrations are in place.
                to_result(ret)
            }),
            _t: PhantomData,
        })
    }
}

#[pinned_drop]
impl<T: Family> PinnedDrop for Registration<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: By the type invariant the family is registered. After
        // `sock_unregister()` returns no new socket can be created, and the
        // module cannot be unloaded while a socket (or sock) still exists,
        // because both pin the owner module.
        unsafe {
            glue::sp_glue_diag_unregister();
            glue::sp_glue_proc_unregister();
            bindings::sock_unregister(T::FAMILY);
            glue::sp_glue_proto_unregister();
        }
    }
}
