// SPDX-License-Identifier: GPL-2.0

//! Socket-family abstractions: the only code in sp that touches
//! `kernel::bindings`, the C glue or raw pointers.
//!
//! It is shaped like a future `rust/kernel/net/socket.rs`: a [`Family`]
//! trait that a protocol implements in safe Rust, a [`Registration`] that
//! registers it with the socket layer, and thin wrappers for the objects the
//! callbacks receive ([`Socket`], [`MsgSrc`], [`MsgDst`]), for the
//! in-kernel stream sockets that sp's transports run over
//! ([`StreamSocket`]) and the addresses they take ([`SockAddr`]).
//!
//! [`Family`]: family::Family
//! [`Registration`]: family::Registration
//! [`Socket`]: socket::Socket
//! [`MsgSrc`]: msg::MsgSrc
//! [`MsgDst`]: msg::MsgDst
//! [`StreamSocket`]: stream::StreamSocket
//! [`SockAddr`]: addr::SockAddr

pub(crate) mod addr;
pub(crate) mod cred;
pub(crate) mod diag;
pub(crate) mod family;
mod glue;
pub(crate) mod log;
pub(crate) mod msg;
pub(crate) mod random;
pub(crate) mod socket;
pub(crate) mod stream;
pub(crate) mod work;
