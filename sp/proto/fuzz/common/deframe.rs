// SPDX-License-Identifier: GPL-2.0

//! The deframer fuzz harness, shared by one target per framing: feeds
//! arbitrary streams, cut at arbitrary points, through the deframer and
//! checks it against a straightforward reference decoder. In direct mode,
//! as the pipe does for large bodies, a body's bytes at the start of a
//! piece go straight into the frame and the deframer is told afterwards.

use sp_proto::frame::{Deframer, Error, Framing, Step, IPC_MSG, LEN_PREFIX};

/// Reference: decode the whole stream at once.
fn reference(f: Framing, data: &[u8], max: u64) -> (Vec<Vec<u8>>, Option<Error>) {
    let at = f.prefix_len() - LEN_PREFIX;
    let mut frames = Vec::new();
    let mut rest = data;
    loop {
        if at == 1 && !rest.is_empty() && rest[0] != IPC_MSG {
            return (frames, Some(Error::BadType(rest[0])));
        }
        if rest.len() < f.prefix_len() {
            break;
        }
        let len = u64::from_be_bytes(rest[at..f.prefix_len()].try_into().unwrap());
        if len > max.min((1 << 60) - 1) {
            return (frames, Some(Error::TooLong { len, max }));
        }
        rest = &rest[f.prefix_len()..];
        if (rest.len() as u64) < len {
            break;
        }
        frames.push(rest[..len as usize].to_vec());
        rest = &rest[len as usize..];
    }
    (frames, None)
}

/// One run: the first byte is the limit; the second, direct mode (top
/// bit) and the chunk size; the rest, the stream.
pub fn run(f: Framing, input: &[u8]) {
    if input.len() < 2 {
        return;
    }
    let max = u64::from(input[0]) * 3;
    let direct = input[1] & 0x80 != 0;
    let chunk = usize::from(input[1] & 0x7f).max(1);
    let data = &input[2..];

    let mut d = Deframer::new(f, max);
    let mut frames = Vec::new();
    let mut cur: Option<Vec<u8>> = None;
    let mut err = None;
    'outer: for piece in data.chunks(chunk) {
        let mut rest = piece;
        if direct && d.body_left() > 0 {
            let k = (d.body_left() as usize).min(rest.len());
            cur.as_mut().unwrap().extend_from_slice(&rest[..k]);
            d.body_taken(k);
            rest = &rest[k..];
        }
        loop {
            match d.step(rest) {
                Err(e) => {
                    err = Some(e);
                    break 'outer;
                }
                Ok((n, step)) => {
                    assert!(n <= rest.len());
                    rest = &rest[n..];
                    match step {
                        Step::Need => {
                            assert!(rest.is_empty());
                            break;
                        }
                        Step::Start(len) => {
                            assert!(cur.is_none() && len <= max);
                            cur = Some(Vec::new());
                        }
                        Step::Body(b) => {
                            assert!(!b.is_empty());
                            cur.as_mut().unwrap().extend_from_slice(b);
                        }
                        Step::End => frames.push(cur.take().unwrap()),
                    }
                }
            }
        }
    }
    if err.is_none() {
        if let Ok((0, Step::End)) = d.step(&[]) {
            frames.push(cur.take().unwrap());
        }
    }
    let (want, want_err) = reference(f, data, max);
    assert_eq!(frames, want);
    assert_eq!(err, want_err);
}
