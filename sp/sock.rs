// SPDX-License-Identifier: GPL-2.0

//! The sp socket: what every `socket(PF_SP, ...)` holds, and the family's
//! callbacks. Safe Rust only; the socket layer is reached through
//! [`crate::net`].
//!
//! Locking: `Pipe::st` and `Listener::tcp` may be held while taking
//! `SpSock::inner`, never the other way round. `SpSock::opts` is a leaf.

use crate::endpoint::{Dialer, Listener};
use crate::net::family::{Data, Family};
use crate::net::msg::{MsgDst, MsgSrc, MSG_CMSG_CLOEXEC, MSG_DONTWAIT, MSG_EOR, MSG_MORE, MSG_NOSIGNAL, MSG_TRUNC, MSG_WAITALL};
use crate::net::socket::{PollMask, SockRef, Socket, Timeout};
use crate::net::tcp::SockAddr;
use crate::pipe::Pipe;
use crate::proto::options::{self, Options};
use crate::proto::pattern::Pattern;
use crate::proto::uapi;
use crate::queue::{Msg, MsgQueue};
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex};
use kernel::time::msecs_to_jiffies;

/// Linger time on `close()` when `SO_LINGER` is off, in milliseconds.
const DEFAULT_LINGER_MS: u32 = 1000;

/// The largest message `send()` accepts (`EMSGSIZE` beyond).
const SEND_MAX: usize = 1 << 30;

/// The mutable state of an sp socket.
pub(crate) struct Inner {
    /// The socket's sock, for wakeups; `None` once released.
    sk: Option<SockRef>,
    /// Set by `close()`: nothing new may start.
    closing: bool,
    /// Every pipe, handshaking or active.
    pipes: KVec<Arc<Pipe>>,
    /// PAIR: the one peer pipe.
    peer: Option<Arc<Pipe>>,
    listeners: KVec<Arc<Listener>>,
    dialers: KVec<Arc<Dialer>>,
    /// Received messages, oldest first.
    recvq: MsgQueue,
    /// Messages waiting for the peer pipe.
    sendq: MsgQueue,
    /// A pipe that stopped reading because `recvq` was full.
    stalled: Option<Arc<Pipe>>,
}

impl Inner {
    fn wake(&self, mask: PollMask) {
        if let Some(sk) = &self.sk {
            sk.wake(mask);
        }
    }
}

/// The state of one sp socket.
#[pin_data]
pub struct SpSock {
    pub(crate) pattern: Pattern,
    #[pin]
    opts: Mutex<Options>,
    #[pin]
    inner: Mutex<Inner>,
}

/// Maps an option error of the core to its errno.
fn opt_errno(e: options::Error) -> Error {
    match e {
        options::Error::NoProtoOpt => ENOPROTOOPT,
        options::Error::Invalid => EINVAL,
        options::Error::NotSupported => EOPNOTSUPP,
    }
}

fn remove<T>(v: &mut KVec<Arc<T>>, x: &Arc<T>) {
    if let Some(i) = v.iter().position(|y| Arc::ptr_eq(x, y)) {
        let _ = v.remove(i);
    }
}

impl SpSock {
    /// A copy of the socket's options.
    pub(crate) fn opts(&self) -> Options {
        self.opts.lock().clone()
    }

    /// A reference to the sock, unless the socket is closing.
    pub(crate) fn sk(&self) -> Option<SockRef> {
        let g = self.inner.lock();
        if g.closing {
            return None;
        }
        g.sk.clone()
    }

    /// Registers a new pipe; fails once the socket is closing.
    pub(crate) fn add_pipe(&self, p: &Arc<Pipe>) -> Result {
        let mut g = self.inner.lock();
        if g.closing {
            return Err(ESHUTDOWN);
        }
        g.pipes.push(p.clone(), GFP_KERNEL)?;
        Ok(())
    }

    /// A pipe finished its handshake: make it the peer, or refuse it.
    pub(crate) fn attach(&self, p: &Arc<Pipe>) -> Result {
        let mut g = self.inner.lock();
        if g.closing {
            return Err(ESHUTDOWN);
        }
        // PAIR has one peer at a time, like NNG pair0.
        if g.peer.is_some() {
            return Err(EBUSY);
        }
        g.peer = Some(p.clone());
        g.wake(PollMask::WRITABLE);
        Ok(())
    }

    /// A pipe closed: forget it.
    pub(crate) fn detach(&self, p: &Arc<Pipe>) {
        let mut g = self.inner.lock();
        remove(&mut g.pipes, p);
        if g.peer.as_ref().is_some_and(|q| Arc::ptr_eq(p, q)) {
            g.peer = None;
            // Blocked senders re-check; they may now time out or wait.
            g.wake(PollMask::WRITABLE);
        }
        if g.stalled.as_ref().is_some_and(|q| Arc::ptr_eq(p, q)) {
            g.stalled = None;
        }
    }

    /// A pipe received `m`. When the receive queue is full the message is
    /// handed back and the pipe is kicked once there is room.
    pub(crate) fn deliver(&self, p: &Arc<Pipe>, m: Msg, rcvbuf: usize) -> core::result::Result<(), Msg> {
        let mut g = self.inner.lock();
        if g.closing {
            return Ok(());
        }
        let room_bytes = g.sk.as_ref().map_or(0, |sk| sk.rcvbuf());
        let fits = g.recvq.len() < rcvbuf
            && (g.recvq.is_empty() || g.recvq.bytes() + m.len() <= room_bytes);
        if !fits {
            g.stalled = Some(p.clone());
            return Err(m);
        }
        g.recvq.push(m).inspect_err(|_| g.stalled = Some(p.clone()))?;
        g.wake(PollMask::READABLE);
        Ok(())
    }

    /// The next message for pipe `p` to send, if it is the peer.
    pub(crate) fn take_send(&self, p: &Arc<Pipe>) -> Option<Msg> {
        let mut g = self.inner.lock();
        if !g.peer.as_ref().is_some_and(|q| Arc::ptr_eq(p, q)) {
            return None;
        }
        let m = g.sendq.pop()?;
        g.wake(PollMask::WRITABLE);
        Some(m)
    }

    fn add_listener(&self, l: Arc<Listener>) -> Result {
        let mut g = self.inner.lock();
        if g.closing {
            return Err(ESHUTDOWN);
        }
        g.listeners.push(l, GFP_KERNEL)?;
        Ok(())
    }

    fn add_dialer(&self, d: Arc<Dialer>) -> Result {
        let mut g = self.inner.lock();
        if g.closing {
            return Err(ESHUTDOWN);
        }
        g.dialers.push(d, GFP_KERNEL)?;
        Ok(())
    }

    fn send(&self, sk: &SockRef, m: Msg, mut timeo: Timeout) -> Result {
        let sndbuf = self.opts.lock().sndbuf as usize;
        let mut m = Some(m);
        loop {
            let peer = {
                let mut g = self.inner.lock();
                if g.closing {
                    return Err(EPIPE);
                }
                match (g.peer.clone(), m.take()) {
                    (Some(p), Some(msg)) if g.sendq.len() < sndbuf => {
                        if g.sendq.push(msg).is_err() {
                            return Err(ENOMEM);
                        }
                        Some(p)
                    }
                    (_, msg) => {
                        m = msg;
                        None
                    }
                }
            };
            if let Some(p) = peer {
                p.kick();
                return Ok(());
            }
            sk.wait(&mut timeo, || {
                let g = self.inner.lock();
                g.closing || (g.peer.is_some() && g.sendq.len() < sndbuf)
            })?;
        }
    }

    fn recv(&self, sk: &SockRef, mut timeo: Timeout) -> Result<Msg> {
        loop {
            let stalled = {
                let mut g = self.inner.lock();
                if let Some(m) = g.recvq.pop() {
                    let stalled = g.stalled.take();
                    drop(g);
                    if let Some(p) = stalled {
                        p.kick();
                    }
                    return Ok(m);
                }
                g.stalled.take()
            };
            if let Some(p) = stalled {
                p.kick();
            }
            sk.wait(&mut timeo, || !self.inner.lock().recvq.is_empty())?;
        }
    }

    /// `close()`: linger for queued messages, then tear everything down.
    fn release(&self, sk: SockRef) {
        let linger = sk
            .linger()
            .unwrap_or_else(|| Timeout::from_jiffies(msecs_to_jiffies(DEFAULT_LINGER_MS)));
        if !linger.is_zero() {
            let mut t = linger;
            // Time out or a signal: close anyway.
            let _ = sk.wait(&mut t, || {
                let g = self.inner.lock();
                match &g.peer {
                    None => true,
                    Some(p) => g.sendq.is_empty() && !p.tx_busy(),
                }
            });
        }
        let (listeners, dialers, pipes, skref) = {
            let mut g = self.inner.lock();
            g.closing = true;
            g.peer = None;
            g.stalled = None;
            g.recvq.clear();
            g.sendq.clear();
            (
                core::mem::take(&mut g.listeners),
                core::mem::take(&mut g.dialers),
                core::mem::take(&mut g.pipes),
                g.sk.take(),
            )
        };
        // Endpoints first, so that no new pipe appears; then the pipes.
        for l in &listeners {
            l.stop();
        }
        for d in &dialers {
            d.stop();
        }
        for p in &pipes {
            p.stop();
        }
        drop(skref);
        drop(sk);
    }
}

/// Checks the flags of `send()`/`recv()`; `MSG_OOB` and the like are not
/// message-oriented.
fn check_flags(flags: i32, allowed: i32) -> Result {
    if flags & !allowed != 0 {
        return Err(EOPNOTSUPP);
    }
    Ok(())
}

/// The `PF_SP` family.
pub struct SpFamily;

#[vtable]
impl Family for SpFamily {
    type OwnerModule = crate::SpModule;
    type Ptr = Arc<SpSock>;
    const FAMILY: i32 = uapi::AF_SP;

    fn create(sock: &Socket, protocol: i32, _kern: bool) -> Result<Self::Ptr> {
        // The same errnos as inet_create(): an unknown type first, then a
        // protocol the type does not speak.
        let pattern = Pattern::from_sock_type(sock.sock_type())
            .filter(|p| p.is_supported())
            .ok_or(ESOCKTNOSUPPORT)?;
        if protocol != 0 && protocol != uapi::IPPROTO_TCP {
            return Err(EPROTONOSUPPORT);
        }
        let sk = sock.sk_ref();
        Arc::pin_init(
            try_pin_init!(SpSock {
                pattern,
                opts <- kernel::new_mutex!(Options::new()),
                inner <- kernel::new_mutex!(Inner {
                    sk: Some(sk),
                    closing: false,
                    pipes: KVec::new(),
                    peer: None,
                    listeners: KVec::new(),
                    dialers: KVec::new(),
                    recvq: MsgQueue::new(),
                    sendq: MsgQueue::new(),
                    stalled: None,
                }),
            }),
            GFP_KERNEL,
        )
    }

    fn release(data: Data<'_, Self>, sock: &Socket) {
        data.release(sock.sk_ref());
    }

    fn bind(data: Data<'_, Self>, _sock: &Socket, addr: &SockAddr) -> Result {
        let sk = data.sk().ok_or(EBADF)?;
        let l = Listener::start(&data.into(), &sk, addr)?;
        data.add_listener(l.clone()).inspect_err(|_| l.stop())
    }

    fn connect(data: Data<'_, Self>, _sock: &Socket, addr: &SockAddr, _flags: i32) -> Result {
        // Like nn_connect(): the dialer keeps trying in the background.
        let d = Dialer::new(&data.into(), addr)?;
        data.add_dialer(d.clone())?;
        d.schedule(0);
        Ok(())
    }

    fn getname(data: Data<'_, Self>, _sock: &Socket, peer: bool) -> Result<SockAddr> {
        if peer {
            return Err(ENOTCONN);
        }
        let g = data.inner.lock();
        match g.listeners.first() {
            Some(l) => Ok(*l.addr()),
            None => SockAddr::parse(&[2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
        }
    }

    fn sendmsg(data: Data<'_, Self>, sock: &Socket, msg: &mut MsgSrc<'_>, len: usize) -> Result<usize> {
        let flags = msg.flags();
        check_flags(flags, MSG_DONTWAIT | MSG_NOSIGNAL | MSG_EOR | MSG_MORE)?;
        if data.pattern != Pattern::Pair {
            return Err(EOPNOTSUPP);
        }
        if len > SEND_MAX {
            return Err(EMSGSIZE);
        }
        let mut m = KVVec::from_elem(0u8, len, GFP_KERNEL)?;
        msg.copy_into(&mut m)?;
        let sk = sock.sk_ref();
        data.send(&sk, m, sock.sndtimeo(flags & MSG_DONTWAIT != 0))?;
        Ok(len)
    }

    fn recvmsg(
        data: Data<'_, Self>,
        sock: &Socket,
        msg: &mut MsgDst<'_>,
        len: usize,
        flags: i32,
    ) -> Result<usize> {
        check_flags(flags, MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC | MSG_WAITALL)?;
        if data.pattern != Pattern::Pair {
            return Err(EOPNOTSUPP);
        }
        let sk = sock.sk_ref();
        let m = data.recv(&sk, sock.rcvtimeo(flags & MSG_DONTWAIT != 0))?;
        let n = m.len().min(len);
        msg.copy_from(&m[..n])?;
        if n < m.len() {
            msg.set_truncated();
        }
        // As for datagrams: MSG_TRUNC asks for the real length.
        Ok(if flags & MSG_TRUNC != 0 { m.len() } else { n })
    }

    fn setsockopt(
        data: Data<'_, Self>,
        _sock: &Socket,
        level: i32,
        name: i32,
        val: &[u8],
    ) -> Result {
        if level != uapi::SOL_SP {
            return Err(ENOPROTOOPT);
        }
        data.opts
            .lock()
            .set(data.pattern, name, val)
            .map_err(opt_errno)
    }

    fn getsockopt(
        data: Data<'_, Self>,
        _sock: &Socket,
        level: i32,
        name: i32,
        out: &mut [u8],
    ) -> Result<usize> {
        if level != uapi::SOL_SP {
            return Err(ENOPROTOOPT);
        }
        data.opts
            .lock()
            .get(data.pattern, name, out)
            .map_err(opt_errno)
    }

    fn poll(data: Data<'_, Self>, _sock: &Socket) -> PollMask {
        let sndbuf = data.opts.lock().sndbuf as usize;
        let g = data.inner.lock();
        let mut mask = PollMask::NONE;
        if !g.recvq.is_empty() {
            mask = mask.union(PollMask::READABLE);
        }
        if g.peer.is_some() && g.sendq.len() < sndbuf {
            mask = mask.union(PollMask::WRITABLE);
        }
        mask
    }
}
