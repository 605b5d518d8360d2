// SPDX-License-Identifier: GPL-2.0

//! Socket-family abstractions: the only code in sp that touches
//! `kernel::bindings`, the C glue or raw pointers.
//!
//! It is shaped like a future `rust/kernel/net/socket.rs`: a [`Family`]
//! trait that a protocol implements in safe Rust, a [`Registration`] that
//! registers it with the socket layer, and thin wrappers ([`Socket`],
//! [`PollMask`]) for the objects the callbacks receive.
//!
//! [`Family`]: family::Family
//! [`Registration`]: family::Registration
//! [`Socket`]: socket::Socket
//! [`PollMask`]: socket::PollMask

pub mod family;
mod glue;
pub mod socket;
