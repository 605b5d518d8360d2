// SPDX-License-Identifier: GPL-2.0

//! Arbitrary headers: `check` accepts exactly what `encode` produces.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sp_proto::header::{check, encode, LEN};

fuzz_target!(|input: &[u8]| {
    if input.len() < LEN + 2 {
        return;
    }
    let hdr: [u8; LEN] = input[..LEN].try_into().unwrap();
    let want = u16::from_be_bytes([input[LEN], input[LEN + 1]]);
    let ok = check(&hdr, want).is_ok();
    assert_eq!(ok, hdr == encode(want));
});
