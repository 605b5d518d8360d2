// SPDX-License-Identifier: GPL-2.0

//! SP over Unix-domain stream sockets, wire-compatible with NNG's
//! `ipc://` and `abstract://` (`src/sp/transport/ipc/ipc.c`) and
//! nanomsg's `ipc://` (`src/transports/ipc/sipc.c`): the 8-byte SP header
//! both ways, as on TCP, then each message as one type byte (1), an
//! 8-byte big-endian length and the body
//! ([`Framing::Ipc`](crate::proto::frame::Framing)); any other type drops
//! the connection.
//!
//! Names: a `sockaddr_un` with a path names a socket file; one whose
//! `sun_path[0]` is 0 is a Linux abstract name, scoped to the network
//! namespace of the sp socket (NNG's `abstract://`); `bind()` of an
//! unnamed one (only the family) autobinds an abstract name, which
//! `getsockname()` reports.
//!
//! The socket file is an ordinary `AF_UNIX` one and lives as such:
//! `bind()` makes it with the caller's credentials and umask and fails
//! with `EADDRINUSE` if the path exists, stale or not; closing the
//! listener leaves it. NNG's listener instead probes an existing file
//! with a connect, unlinks it on `ECONNREFUSED` and binds again, and
//! unlinks its own file on close (`posix_ipclisten.c`); nanomsg unlinks
//! any file before binding. A kernel socket does not remove files it was
//! not asked to: the probe and the unlink race with another process's
//! `bind()` of the same path, and a path in use is the caller's to judge.
//! Programs `unlink()` first, as with any Unix socket.
//!
//! Dialing resolves the path, and checks write permission on the file,
//! as the caller: its first attempt runs in its `connect()`, and every
//! later one, from a work item, with its credentials (`override_creds()`)
//! and a copy of its root, working directory and umask made at
//! `connect()` ([`Caller`]; the kernel's precedent is
//! `scoped_with_init_fs()` in `include/linux/fs_struct.h`, which
//! `unix_find_bsd()` uses for coredump sockets, with the caller's fs in
//! place of `userspace_init_fs`). A chrooted caller's dialer stays in its
//! root. `ENOENT` and `ECONNREFUSED` (no file yet, or no listener on it)
//! are retried in the background with the reconnect backoff, as a
//! refused TCP connect is; `EACCES` at `connect()` is the caller's error,
//! and on a later attempt it is retried like any other failure.

use super::{Caller, RxChunk, Watcher};
use crate::net::addr::SockAddr;
use crate::net::socket::SockRef;
use crate::net::stream::StreamSocket;
use crate::queue::msg_gfp;
use kernel::prelude::*;

/// Bytes an IPC connection reads from its socket at once.
const RX_BUF: usize = 16 * 1024;

/// An IPC listener on `addr`.
pub(super) fn listen<W: Watcher>(
    sk: &SockRef,
    addr: &SockAddr,
    backlog: i32,
) -> Result<StreamSocket<W>> {
    StreamSocket::listen(sk, addr, 0, backlog, None, false)
}

/// An IPC connection to `addr`.
pub(super) fn dial<W: Watcher>(
    sk: &SockRef,
    caller: &Caller,
    addr: &SockAddr,
) -> Result<StreamSocket<W>> {
    StreamSocket::connect(sk, caller, addr, 0, None)
}

/// What a Unix socket, which has no `read_sock`, gave and the read actor
/// did not take yet: `buf[lo..hi]`. The buffer (`RX_BUF` bytes, charged
/// to the socket's memcg) is allocated by the first read.
pub(crate) struct RxBuf {
    buf: KVVec<u8>,
    lo: usize,
    hi: usize,
}

impl RxBuf {
    pub(super) fn new() -> Self {
        RxBuf {
            buf: KVVec::new(),
            lo: 0,
            hi: 0,
        }
    }

    /// Lends `actor` the bytes left from the last read, then what `sock`
    /// holds, until the actor takes fewer than offered or nothing is
    /// left. Returns the bytes taken.
    pub(super) fn read<W: Watcher>(
        &mut self,
        sock: &StreamSocket<W>,
        actor: &mut dyn FnMut(&RxChunk<'_>) -> usize,
    ) -> Result<usize> {
        let mut taken = 0;
        loop {
            if self.lo == self.hi {
                if self.buf.is_empty() {
                    self.buf.resize(RX_BUF, 0, msg_gfp())?;
                }
                let n = match sock.recv(&mut self.buf) {
                    // The end of the stream: the state says so.
                    Ok(0) => return Ok(taken),
                    Ok(n) => n,
                    Err(e) if e == EAGAIN => return Ok(taken),
                    Err(e) => return Err(e),
                };
                (self.lo, self.hi) = (0, n);
            }
            let c = RxChunk::from_slice(&self.buf[self.lo..self.hi]);
            let used = actor(&c).min(c.len());
            self.lo += used;
            taken += used;
            if self.lo < self.hi {
                return Ok(taken);
            }
        }
    }
}
