// SPDX-License-Identifier: GPL-2.0

//! Host build of the sp sans-IO core.
//!
//! The kernel module compiles the same files through `mod.rs`; this crate
//! root exists so that `cargo test` and `cargo fuzz` can build them on the
//! host.

#![no_std]
#![forbid(unsafe_code)]

#[path = "mod.rs"]
mod proto;

pub use proto::*;
