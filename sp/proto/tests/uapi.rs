// SPDX-License-Identifier: GPL-2.0

//! Checks that the Rust numbers match `uapi/linux/sp.h`, so the module and
//! C programs cannot drift apart.

use sp_proto::pattern::Pattern;
use sp_proto::uapi::{cmsg, diag, opt, sock, AF_SP, SOL_SP};
use std::collections::HashMap;

/// The text of `uapi/linux/NAME`.
fn read(name: &str) -> String {
    // The directory at run time: the build cache is shared between
    // clones, so a binary built in one must not read another's header.
    let dir =
        std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into());
    let path = format!("{dir}/../../uapi/linux/{name}");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e}"))
}

/// The `#define`s and `enum` members of `uapi/linux/NAME` with their
/// values (an enum counts from 0, as C does; no explicit values in ours).
fn enums_and_defines(name: &str) -> HashMap<String, i64> {
    let mut defs = defines(&read(name));
    let text = read(name);
    let mut rest = text.as_str();
    while let Some(i) = rest.find("enum {") {
        let body = &rest[i + 6..];
        let end = body.find('}').expect("an enum's end");
        // Comments out (they may hold commas), then a member an item.
        let mut t = String::new();
        let mut s = &body[..end];
        while let Some(a) = s.find("/*") {
            t.push_str(&s[..a]);
            s = s[a..].find("*/").map_or("", |b| &s[a + b + 2..]);
        }
        t.push_str(s);
        let mut n = 0;
        for item in t.split(',') {
            if let Some(m) = item.split_whitespace().next() {
                assert!(!m.contains('='), "{m}: explicit enum values are not parsed");
                defs.insert(m.to_string(), n);
                n += 1;
            }
        }
        rest = &body[end..];
    }
    defs
}

fn header() -> HashMap<String, i64> {
    defines(&read("sp.h"))
}

/// The numeric `#define`s of a header's text.
fn defines(text: &str) -> HashMap<String, i64> {
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
        ("SP_SCTP_ADDRS", opt::SCTP_ADDRS),
        ("SP_HDR", cmsg::HDR),
    ] {
        assert_eq!(h[name], v as i64, "{name}");
    }
    let n = h
        .keys()
        .filter(|k| k.starts_with("SP_") && !k.starts_with("SP_PROTO_"))
        .count();
    assert_eq!(n, 20, "every SP_ option in the header has a Rust twin");
}

#[test]
fn diag_numbers_match() {
    let h = enums_and_defines("sp_diag.h");
    for (name, v) in [
        ("SP_DIAG_SHOW_ENDPOINTS", diag::SHOW_ENDPOINTS as i64),
        ("SP_DIAG_SHOW_PIPES", diag::SHOW_PIPES as i64),
        ("SP_DIAG_SHOW_MEMINFO", diag::SHOW_MEMINFO as i64),
        ("SP_DIAG_SHOW_STATS", diag::SHOW_STATS as i64),
        ("SP_DIAG_INFO", diag::INFO as i64),
        ("SP_DIAG_LISTENER", diag::LISTENER as i64),
        ("SP_DIAG_DIALER", diag::DIALER as i64),
        ("SP_DIAG_PIPE", diag::PIPE as i64),
        ("SP_DIAG_MEMINFO", diag::MEMINFO as i64),
        ("SP_DIAG_STATS", diag::STATS as i64),
        ("SP_DIAG_PIPE_ID", diag::PIPE_ID as i64),
        ("SP_DIAG_PIPE_UP", diag::PIPE_UP as i64),
        ("SP_DIAG_PIPE_PEER", diag::PIPE_PEER as i64),
        ("SP_DIAG_PIPE_LOCAL", diag::PIPE_LOCAL as i64),
        ("SP_DIAG_PIPE_TCP_INO", diag::PIPE_TCP_INO as i64),
        ("SP_DIAG_PIPE_PROTO", diag::PIPE_PROTO as i64),
    ] {
        assert_eq!(h.get(name), Some(&v), "{name}");
    }
    // Every attribute has a twin: the last is one short of the count.
    assert_eq!(h["__SP_DIAG_MAX"], diag::STATS as i64 + 1);
    assert_eq!(h["__SP_DIAG_PIPE_MAX"], diag::PIPE_PROTO as i64 + 1);
}

#[test]
fn diag_info_layout() {
    // struct sp_diag_info: two __u16, four __u8, six __u32.
    let text = read("sp_diag.h");
    let s = text
        .find("struct sp_diag_info {")
        .expect("struct sp_diag_info");
    let body = &text[s..s + text[s..].find("};").unwrap()];
    let size: usize = body
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(|t| match t {
            "__u8" => 1,
            "__u16" => 2,
            "__u32" => 4,
            _ => 0,
        })
        .sum();
    assert_eq!(size, diag::INFO_LEN);
    let info = diag::Info {
        proto: 0x31,
        peer: 0x30,
        raw: true,
        device: false,
        shutdown: 3,
        counts: [1, 2, 3, 4, 5, 6],
    }
    .to_bytes();
    assert_eq!(&info[..8], &[0x31, 0, 0x30, 0, 1, 0, 3, 0]);
    assert_eq!(&info[28..], &6u32.to_ne_bytes());
}
