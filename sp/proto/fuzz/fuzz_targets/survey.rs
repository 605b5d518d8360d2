// SPDX-License-Identifier: GPL-2.0

//! A surveyor's state against a peer's arbitrary responses and arbitrary
//! timing: responses are parsed as the kernel parses them, and what the
//! state accepts, reports and expires matches a plain model.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sp_proto::reqrep::{reply_id, BOTTOM, WORD};
use sp_proto::survey::{RecvState, Surveys};

fuzz_target!(|input: &[u8]| {
    let Some((&seed, mut ops)) = input.split_first() else {
        return;
    };
    let mut s = Surveys::new(u32::from(seed) << 23);
    // The model: the outstanding survey's id and deadline.
    let mut model: Option<(u32, u64)> = None;
    let mut ids = Vec::new();
    let mut now = 0u64;
    while let Some((&op, rest)) = ops.split_first() {
        ops = rest;
        match op % 4 {
            // The clock moves on.
            0 => now += u64::from(op / 4) * 7,
            // A new survey with a deadline from the next byte.
            1 => {
                let ms = u32::from(ops.first().copied().unwrap_or(0)) * 3;
                ops = ops.get(1..).unwrap_or(&[]);
                let id = s.start(now, ms);
                assert_ne!(id & BOTTOM, 0);
                assert!(!ids.contains(&id), "ids do not repeat within a run");
                ids.push(id);
                model = Some((id, now + u64::from(ms)));
            }
            // A response: a length, then that many bytes from the input;
            // or, for odd lengths, the id of a recent survey and a body.
            2 => {
                let n = usize::from(ops.first().copied().unwrap_or(0) % 16);
                ops = ops.get(1..).unwrap_or(&[]);
                let mut msg = ops.get(..n.min(ops.len())).unwrap_or(&[]).to_vec();
                ops = ops.get(msg.len()..).unwrap_or(&[]);
                if n % 2 == 1 {
                    if let Some(&id) = ids.get(n % ids.len().max(1)) {
                        let mut m = id.to_be_bytes().to_vec();
                        m.extend_from_slice(&msg);
                        msg = m;
                    }
                }
                match reply_id(&msg) {
                    Err(_) => assert!(msg.len() < WORD || msg[0] & 0x80 == 0),
                    Ok(id) => {
                        let want = matches!(model, Some((m, d)) if m == id && now < d);
                        assert_eq!(s.accepts(id, now), want);
                    }
                }
            }
            // recv() looks.
            _ => {
                let want = match model {
                    None => RecvState::Idle,
                    Some((_, d)) if now >= d => {
                        model = None;
                        RecvState::Expired
                    }
                    Some((_, d)) => RecvState::Open(d - now),
                };
                assert_eq!(s.recv_state(now), want);
            }
        }
        assert_eq!(s.is_open(), model.is_some());
        assert_eq!(
            s.poll_timeout(now),
            model.map(|(_, d)| d.saturating_sub(now))
        );
    }
});
