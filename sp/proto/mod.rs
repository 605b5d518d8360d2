// SPDX-License-Identifier: GPL-2.0

//! Sans-IO core of sp: the SP wire protocol as pure state machines.
//!
//! Nothing here performs I/O, allocates or touches the kernel: every
//! function works on byte slices and plain values and uses `core` only.
//! The module compiles these files directly; the host crate in `lib.rs`
//! builds the same files for `cargo test` and `cargo fuzz`.

pub mod backoff;
pub mod flow;
pub mod frame;
pub mod header;
pub mod inet;
pub mod options;
pub mod pattern;
pub mod raw;
pub mod reqrep;
pub mod subs;
pub mod survey;
pub mod uapi;
