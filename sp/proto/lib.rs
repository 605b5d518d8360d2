// SPDX-License-Identifier: GPL-2.0

//! Host build of the sp sans-IO core.
//!
//! The kernel module compiles the same files through `mod.rs`; this crate
//! root exists so that `cargo test` and `cargo fuzz` can build them on the
//! host.

#![cfg_attr(not(any(test, feature = "std")), no_std)]
#![forbid(unsafe_code)]

#[path = "mod.rs"]
mod proto;

pub use proto::*;

/// A `Vec`-backed trie store for host tests and fuzzing.
#[cfg(any(test, feature = "std"))]
#[derive(Default)]
pub struct VecStore(pub std::vec::Vec<subs::Node>);

#[cfg(any(test, feature = "std"))]
impl subs::NodeStore for VecStore {
    fn len(&self) -> usize {
        self.0.len()
    }
    fn get(&self, i: usize) -> subs::Node {
        self.0[i]
    }
    fn set(&mut self, i: usize, n: subs::Node) {
        self.0[i] = n;
    }
    fn push(&mut self, n: subs::Node) -> bool {
        self.0.push(n);
        true
    }
}
