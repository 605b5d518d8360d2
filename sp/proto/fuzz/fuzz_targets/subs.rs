// SPDX-License-Identifier: GPL-2.0

//! Arbitrary subscriptions and messages: the trie agrees with naive
//! prefix matching.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sp_proto::subs::{insert, matches, NodeStore};
use sp_proto::VecStore;

fuzz_target!(|input: &[u8]| {
    // Pieces separated by 0xff: all but the last are subscriptions.
    let mut parts: Vec<&[u8]> = input.split(|&b| b == 0xff).collect();
    let msg = parts.pop().unwrap_or(&[]);
    let mut v = VecStore::default();
    for p in &parts {
        insert(&mut v, p).unwrap();
    }
    let naive = parts.iter().any(|p| msg.starts_with(p));
    assert_eq!(matches(&v, msg), naive);
    assert!(v.len() <= 1 + parts.iter().map(|p| p.len()).sum::<usize>());
});
