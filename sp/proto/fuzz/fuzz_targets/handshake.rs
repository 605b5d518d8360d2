// SPDX-License-Identifier: GPL-2.0

//! Arbitrary peer bytes delivered in arbitrary pieces: the handshake
//! accepts exactly a correct header and never panics.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sp_proto::header::{encode, Handshake, LEN};

fuzz_target!(|input: &[u8]| {
    if input.len() < 3 {
        return;
    }
    let peer = u16::from_be_bytes([input[0], input[1]]);
    let chunk = usize::from(input[2] % 9).max(1);
    let data = &input[3..];
    let mut h = Handshake::new(0x10, peer);
    h.sent(LEN);
    let mut fed = 0;
    let mut failed = false;
    for piece in data.chunks(chunk) {
        let room = h.recv_buf().len();
        if room == 0 {
            break;
        }
        let n = piece.len().min(room);
        h.recv_buf()[..n].copy_from_slice(&piece[..n]);
        fed += n;
        if h.received(n).is_err() {
            failed = true;
            break;
        }
    }
    let complete = fed >= LEN && data.len() >= LEN;
    let good = data.len() >= LEN && data[..LEN] == encode(peer);
    if complete && good {
        assert!(h.is_done() && !failed);
    }
    if h.is_done() {
        assert!(good);
    }
    if failed {
        assert!(!good);
    }
});
