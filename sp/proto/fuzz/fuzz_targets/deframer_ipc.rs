// SPDX-License-Identifier: GPL-2.0

//! The deframer over IPC framing (see `common/deframe.rs`).

#![no_main]

use libfuzzer_sys::fuzz_target;
use sp_proto::frame::Framing;

#[path = "../common/deframe.rs"]
mod deframe;

fuzz_target!(|input: &[u8]| deframe::run(Framing::Ipc, input));
