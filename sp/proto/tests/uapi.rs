// SPDX-License-Identifier: GPL-2.0

//! Checks that the Rust numbers match `uapi/linux/sp.h`, so the module and
//! C programs cannot drift apart.

use sp_proto::pattern::Pattern;
use sp_proto::uapi::{cmsg, opt, sock, AF_SP, SOL_SP};
use std::collections::HashMap;

fn header() -> HashMap<String, i64> {
    // The directory at run time: the build cache is shared between
    // clones, so a binary built in one must not read another's header.
    let dir =
        std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into());
    let path = format!("{dir}/../../uapi/linux/sp.h");
    let text = std::fs::read_to_string(&path).expect("read uapi/linux/sp.h");
    let mut defs = HashMap::new();
    for line in text.lines() {
        let mut w = line.split_whitespace();
        if w.next() != Some("#define") {
            continue;
        }
        let (Some(name), Some(val)) = (w.next(), w.next()) else {
            continue;
        };
        let v = if let Some(hex) = val.strip_prefix("0x") {
            i64::from_str_radix(hex, 16)
        } else {
            val.parse()
        };
        if let Ok(v) = v {
            defs.insert(name.to_string(), v);
        }
    }
    defs
}

#[test]
fn family_and_level_match() {
    let h = header();
    assert_eq!(h["AF_SP"], AF_SP as i64);
    assert_eq!(h["SOL_SP"], SOL_SP as i64);
}

#[test]
fn socket_types_and_wire_ids_match() {
    let h = header();
    for p in Pattern::ALL {
        let up = p.name().to_uppercase();
        assert_eq!(h[&format!("SOCK_{up}")], p.sock_type() as i64, "{up}");
        assert_eq!(h[&format!("SP_PROTO_{up}")], p.proto_id() as i64, "{up}");
    }
    assert_eq!(h["SOCK_REQ"], sock::REQ as i64);
    assert!(h["SOCK_BUS"] < 11, "types must stay below SOCK_MAX");
}

#[test]
fn option_numbers_match() {
    let h = header();
    for (name, v) in [
        ("SP_RCVMAXSIZE", opt::RCVMAXSIZE),
        ("SP_RECONNECT_IVL", opt::RECONNECT_IVL),
        ("SP_RECONNECT_IVL_MAX", opt::RECONNECT_IVL_MAX),
        ("SP_HANDSHAKE_TIMEOUT", opt::HANDSHAKE_TIMEOUT),
        ("SP_RESEND_IVL", opt::RESEND_IVL),
        ("SP_MAXTTL", opt::MAXTTL),
        ("SP_SNDBUF", opt::SNDBUF),
        ("SP_RCVBUF", opt::RCVBUF),
        ("SP_TCP_NODELAY", opt::TCP_NODELAY),
        ("SP_SUBSCRIBE", opt::SUBSCRIBE),
        ("SP_UNSUBSCRIBE", opt::UNSUBSCRIBE),
        ("SP_STATS", opt::STATS),
        ("SP_CONNECT_TIMEOUT", opt::CONNECT_TIMEOUT),
        ("SP_MAXPIPES", opt::MAXPIPES),
        ("SP_MAXENDPOINTS", opt::MAXENDPOINTS),
        ("SP_SURVEYOR_DEADLINE", opt::SURVEYOR_DEADLINE),
        ("SP_RAW", opt::RAW),
        ("SP_DEVICE", opt::DEVICE),
        ("SP_HDR", cmsg::HDR),
    ] {
        assert_eq!(h[name], v as i64, "{name}");
    }
    let n = h
        .keys()
        .filter(|k| k.starts_with("SP_") && !k.starts_with("SP_PROTO_"))
        .count();
    assert_eq!(n, 19, "every SP_ option in the header has a Rust twin");
}
