// SPDX-License-Identifier: GPL-2.0

//! SUB-side topic matching: a byte trie of subscription prefixes.
//!
//! Matching walks the message once, so it costs O(message prefix length)
//! whatever the number of subscriptions. The trie lives in storage the
//! caller provides ([`NodeStore`]), so this file stays free of allocation:
//! the module keeps it in a `KVec`, the host tests in a `Vec`.

/// Largest number of subscriptions on one socket.
pub const MAX_SUBS: usize = 1024;

/// Largest total size of the subscriptions of one socket, in bytes.
pub const MAX_BYTES: usize = 64 * 1024;

/// A trie node: first-child/next-sibling links; index 0 is the root, and
/// a link of 0 means none.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Node {
    /// The byte on the edge into this node.
    pub byte: u8,
    /// A subscription ends here.
    pub end: bool,
    /// First child.
    pub child: u32,
    /// Next sibling.
    pub sibling: u32,
}

/// Storage for trie nodes.
pub trait NodeStore {
    /// Number of nodes.
    fn len(&self) -> usize;
    /// Whether there are no nodes.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Node `i` (`i < len()`).
    fn get(&self, i: usize) -> Node;
    /// Replaces node `i`.
    fn set(&mut self, i: usize, n: Node);
    /// Appends a node; false if out of memory.
    fn push(&mut self, n: Node) -> bool;
}

/// Why a subscription change was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// Over [`MAX_SUBS`] or [`MAX_BYTES`] (`ENOBUFS`).
    Full,
    /// Storage could not grow (`ENOMEM`).
    NoMem,
}

fn child<S: NodeStore>(s: &S, parent: usize, byte: u8) -> Option<usize> {
    let mut c = s.get(parent).child as usize;
    while c != 0 {
        let n = s.get(c);
        if n.byte == byte {
            return Some(c);
        }
        c = n.sibling as usize;
    }
    None
}

/// Adds `prefix` to the trie (idempotent).
pub fn insert<S: NodeStore>(s: &mut S, prefix: &[u8]) -> Result<(), Error> {
    if s.is_empty() && !s.push(Node::default()) {
        return Err(Error::NoMem);
    }
    let mut cur = 0usize;
    for &b in prefix {
        cur = match child(s, cur, b) {
            Some(c) => c,
            None => {
                let idx = s.len();
                let idx32 = u32::try_from(idx).map_err(|_| Error::Full)?;
                let parent = s.get(cur);
                let node = Node {
                    byte: b,
                    end: false,
                    child: 0,
                    sibling: parent.child,
                };
                if !s.push(node) {
                    return Err(Error::NoMem);
                }
                s.set(
                    cur,
                    Node {
                        child: idx32,
                        ..parent
                    },
                );
                idx
            }
        };
    }
    let mut n = s.get(cur);
    n.end = true;
    s.set(cur, n);
    Ok(())
}

/// Whether `msg` starts with any subscribed prefix.
pub fn matches<S: NodeStore>(s: &S, msg: &[u8]) -> bool {
    if s.is_empty() {
        return false;
    }
    let mut cur = 0usize;
    if s.get(0).end {
        return true;
    }
    for &b in msg {
        match child(s, cur, b) {
            Some(c) => {
                if s.get(c).end {
                    return true;
                }
                cur = c;
            }
            None => return false,
        }
    }
    false
}

/// Checks that one more subscription of `len` bytes fits, given `count`
/// subscriptions of `bytes` bytes in total.
pub fn check_bounds(count: usize, bytes: usize, len: usize) -> Result<(), Error> {
    if count >= MAX_SUBS || bytes.saturating_add(len) > MAX_BYTES {
        return Err(Error::Full);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::VecStore as V;

    fn trie(subs: &[&[u8]]) -> V {
        let mut v = V::default();
        for s in subs {
            insert(&mut v, s).unwrap();
        }
        v
    }

    #[test]
    fn nothing_subscribed_matches_nothing() {
        let v = trie(&[]);
        assert!(!matches(&v, b""));
        assert!(!matches(&v, b"anything"));
    }

    #[test]
    fn empty_prefix_matches_everything() {
        let v = trie(&[b""]);
        assert!(matches(&v, b""));
        assert!(matches(&v, b"x"));
    }

    #[test]
    fn prefixes() {
        let v = trie(&[b"a", b"bc", b"weather.", b"weather.uk"]);
        assert!(matches(&v, b"apple"));
        assert!(matches(&v, b"a"));
        assert!(matches(&v, b"bcd"));
        assert!(!matches(&v, b"b"));
        assert!(!matches(&v, b"banana"));
        assert!(matches(&v, b"weather.fr"));
        assert!(!matches(&v, b"weather"));
        assert!(!matches(&v, b""));
        assert!(!matches(&v, b"xa"));
    }

    #[test]
    fn idempotent_and_shared_nodes() {
        let mut v = trie(&[b"abc"]);
        let n = v.len();
        insert(&mut v, b"abc").unwrap();
        insert(&mut v, b"ab").unwrap();
        assert_eq!(v.len(), n, "no new nodes for existing paths");
        assert!(matches(&v, b"abx"));
    }

    #[test]
    fn binary_topics() {
        let v = trie(&[&[0, 255, 0], &[255]]);
        assert!(matches(&v, &[0, 255, 0, 1]));
        assert!(!matches(&v, &[0, 255]));
        assert!(matches(&v, &[255, 0]));
    }

    #[test]
    fn against_naive_matching() {
        let subs: [&[u8]; 6] = [b"x", b"xy", b"abc", b"abd", b"q\0", b"zzzz"];
        let v = trie(&subs);
        let msgs: [&[u8]; 9] = [
            b"", b"x", b"xyz", b"ab", b"abc", b"abdd", b"q", b"q\0r", b"zzz",
        ];
        for m in msgs {
            let naive = subs.iter().any(|s| m.starts_with(s));
            assert_eq!(matches(&v, m), naive, "{m:?}");
        }
    }

    #[test]
    fn bounds() {
        assert_eq!(check_bounds(0, 0, 10), Ok(()));
        assert_eq!(check_bounds(MAX_SUBS, 0, 1), Err(Error::Full));
        assert_eq!(check_bounds(1, MAX_BYTES - 4, 4), Ok(()));
        assert_eq!(check_bounds(1, MAX_BYTES - 4, 5), Err(Error::Full));
        assert_eq!(check_bounds(1, usize::MAX, 5), Err(Error::Full));
    }
}
