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

use super::{Caller, Watcher};
use crate::net::addr::SockAddr;
use crate::net::socket::SockRef;
use crate::net::stream::StreamSocket;
use kernel::prelude::*;

/// An IPC listener on `addr`.
pub(super) fn listen<W: Watcher>(
    sk: &SockRef,
    addr: &SockAddr,
    backlog: i32,
) -> Result<StreamSocket<W>> {
    StreamSocket::listen(sk, addr, &[], 0, backlog, None, false)
}

/// An IPC connection to `addr`.
pub(super) fn dial<W: Watcher>(
    sk: &SockRef,
    caller: &Caller,
    addr: &SockAddr,
) -> Result<StreamSocket<W>> {
    StreamSocket::connect(sk, caller, addr, &[], 0, None)
}
