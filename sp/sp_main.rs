// SPDX-License-Identifier: GPL-2.0

//! sp: the Scalability Protocols (REQ/REP, PUB/SUB, PAIR, ...) as the
//! `PF_SP` socket family, wire-compatible with NNG and nanomsg over TCP.
//!
//! The crate has three layers:
//! - [`net`]: the abstraction over the socket layer and the C glue; all
//!   raw-pointer and FFI code of the crate lives here;
//! - [`sock`]: the sp socket, generic over the patterns, in safe Rust;
//!   each pattern's state and rules are in `pattern/`, one file per
//!   protocol family, its connections in `pipe.rs` and `endpoint.rs`;
//! - [`proto`]: the sans-IO protocol core, `core` only, also built and
//!   tested on the host (`sp/proto/Cargo.toml`).

use kernel::prelude::*;

mod device;
mod endpoint;
mod net;
mod pattern;
mod pipe;
// The sans-IO core is also a host crate (sp/proto/Cargo.toml), whose
// API its tests use: its items are `pub` for that crate.
#[allow(unreachable_pub)]
#[path = "proto/mod.rs"]
mod proto;
mod queue;
mod sock;
mod timer;
mod transport;

module! {
    type: SpModule,
    name: "sp",
    authors: ["The sp authors"],
    description: "Scalability Protocols (SP) socket family",
    license: "GPL",
    // The family, and its sock_diag handler, as unix_diag's
    // MODULE_ALIAS_NET_PF_PROTO_TYPE(PF_NETLINK, NETLINK_SOCK_DIAG, AF_UNIX)
    // (which sock_load_diag_module() asks for only once the family is
    // registered: a diag request alone never loads sp).
    alias: ["net-pf-13", "net-pf-16-proto-4-type-13"],
}

/// The loaded module: the family registration, and the workqueue that
/// outlives it (fields drop in order).
#[pin_data]
pub struct SpModule {
    #[pin]
    family: net::family::Registration<sock::SpFamily>,
    wq: net::work::Workqueue,
}

impl kernel::InPlaceModule for SpModule {
    fn init(_module: &'static ThisModule) -> impl PinInit<Self, Error> {
        if !net::stream::POLICY_CHECKED {
            pr_warn!(
                "this kernel does not export security_socket_connect() and the socket cgroup helpers (qemu/patches/): LSM rules and cgroup data do not reach sp's TCP sockets\n"
            );
        }
        try_pin_init!(SpModule {
            wq: net::work::Workqueue::new()?,
            family <- net::family::Registration::register(),
        })
    }
}
