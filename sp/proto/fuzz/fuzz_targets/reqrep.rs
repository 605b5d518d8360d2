// SPDX-License-Identifier: GPL-2.0

//! Arbitrary request and reply bodies: parsing never panics, and what it
//! accepts is consistent with the wire rules.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sp_proto::reqrep::{reply_id, split_request, Error, BOTTOM, WORD};

fuzz_target!(|input: &[u8]| {
    let Some((&ttl, msg)) = input.split_first() else {
        return;
    };
    let ttl = u32::from(ttl);
    match split_request(msg, ttl) {
        Ok(n) => {
            assert!(n >= WORD && n % WORD == 0 && n <= msg.len());
            assert!(n / WORD <= ttl as usize);
            let last = u32::from_be_bytes(msg[n - WORD..n].try_into().unwrap());
            assert_ne!(last & BOTTOM, 0);
            for w in msg[..n - WORD].chunks_exact(WORD) {
                assert_eq!(u32::from_be_bytes(w.try_into().unwrap()) & BOTTOM, 0);
            }
        }
        Err(Error::TooManyHops) => assert!(msg.len() / WORD > ttl as usize),
        Err(Error::Malformed) => {}
    }
    if let Ok(id) = reply_id(msg) {
        assert_ne!(id & BOTTOM, 0);
        assert_eq!(id.to_be_bytes(), msg[..WORD]);
    }
});
