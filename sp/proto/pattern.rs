// SPDX-License-Identifier: GPL-2.0

//! The scalability patterns: socket types, wire protocol ids and peers.

use crate::proto::uapi::sock;

/// One SP protocol, as chosen by the `socket()` type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pattern {
    /// PAIR v0, one peer at a time.
    Pair,
    /// PUB, the sending half of publish/subscribe.
    Pub,
    /// SUB, the receiving half of publish/subscribe.
    Sub,
    /// REQ, the client half of request/reply.
    Req,
    /// REP, the server half of request/reply.
    Rep,
    /// PUSH, sending each message to one PULL.
    Push,
    /// PULL, receiving from every PUSH.
    Pull,
    /// SURVEYOR, asking every RESPONDENT.
    Surveyor,
    /// RESPONDENT, answering surveys.
    Respondent,
    /// BUS, every peer to every peer.
    Bus,
}

impl Pattern {
    /// Every pattern, in `socket()` type order.
    // The host tests' API (sp/proto/tests); dead in the module.
    #[allow(dead_code)]
    pub const ALL: [Pattern; 10] = [
        Pattern::Pair,
        Pattern::Pub,
        Pattern::Sub,
        Pattern::Req,
        Pattern::Rep,
        Pattern::Push,
        Pattern::Pull,
        Pattern::Surveyor,
        Pattern::Respondent,
        Pattern::Bus,
    ];

    /// Maps a `socket()` type value to its pattern.
    pub const fn from_sock_type(ty: i32) -> Option<Pattern> {
        Some(match ty {
            sock::PAIR => Pattern::Pair,
            sock::PUB => Pattern::Pub,
            sock::SUB => Pattern::Sub,
            sock::REQ => Pattern::Req,
            sock::REP => Pattern::Rep,
            sock::PUSH => Pattern::Push,
            sock::PULL => Pattern::Pull,
            sock::SURVEYOR => Pattern::Surveyor,
            sock::RESPONDENT => Pattern::Respondent,
            sock::BUS => Pattern::Bus,
            _ => return None,
        })
    }

    /// The `socket()` type value of this pattern.
    // The host tests' API (sp/proto/tests); dead in the module.
    #[allow(dead_code)]
    pub const fn sock_type(self) -> i32 {
        match self {
            Pattern::Pair => sock::PAIR,
            Pattern::Pub => sock::PUB,
            Pattern::Sub => sock::SUB,
            Pattern::Req => sock::REQ,
            Pattern::Rep => sock::REP,
            Pattern::Push => sock::PUSH,
            Pattern::Pull => sock::PULL,
            Pattern::Surveyor => sock::SURVEYOR,
            Pattern::Respondent => sock::RESPONDENT,
            Pattern::Bus => sock::BUS,
        }
    }

    /// The protocol id this pattern sends in its connection header.
    pub const fn proto_id(self) -> u16 {
        match self {
            Pattern::Pair => 0x10,
            Pattern::Pub => 0x20,
            Pattern::Sub => 0x21,
            Pattern::Req => 0x30,
            Pattern::Rep => 0x31,
            Pattern::Push => 0x50,
            Pattern::Pull => 0x51,
            Pattern::Surveyor => 0x62,
            Pattern::Respondent => 0x63,
            Pattern::Bus => 0x70,
        }
    }

    /// The protocol id a peer must announce to be accepted.
    pub const fn peer_id(self) -> u16 {
        match self {
            Pattern::Pub => Pattern::Sub.proto_id(),
            Pattern::Sub => Pattern::Pub.proto_id(),
            Pattern::Req => Pattern::Rep.proto_id(),
            Pattern::Rep => Pattern::Req.proto_id(),
            Pattern::Push => Pattern::Pull.proto_id(),
            Pattern::Pull => Pattern::Push.proto_id(),
            Pattern::Surveyor => Pattern::Respondent.proto_id(),
            Pattern::Respondent => Pattern::Surveyor.proto_id(),
            Pattern::Pair | Pattern::Bus => self.proto_id(),
        }
    }

    /// Whether `send()` applies (not SUB or PULL: `EOPNOTSUPP`).
    pub const fn sends(self) -> bool {
        !matches!(self, Pattern::Sub | Pattern::Pull)
    }

    /// Whether sends wait in a queue of the socket's, which the pipes
    /// drain (PAIR, PUSH), rather than in each pipe's own.
    pub const fn queues_sends(self) -> bool {
        matches!(self, Pattern::Pair | Pattern::Push)
    }

    /// Whether the pattern answers `recv()` with few, round-trip
    /// messages, so that a blocked reader reads TCP itself rather than
    /// waiting for the pipe's work item (a round trip takes 20% less).
    /// Streams (PAIR, SUB, PULL, BUS) leave it to the work item, which
    /// batches.
    pub const fn pulls(self) -> bool {
        matches!(
            self,
            Pattern::Req | Pattern::Rep | Pattern::Surveyor | Pattern::Respondent
        )
    }

    /// Whether a full receive queue drops rather than push back on the
    /// sender (SUB, BUS, as NNG's sub0 and bus0).
    pub const fn drops_received(self) -> bool {
        matches!(self, Pattern::Sub | Pattern::Bus)
    }

    /// Whether `recv()` applies (not PUB or PUSH: `EOPNOTSUPP`).
    pub const fn receives(self) -> bool {
        !matches!(self, Pattern::Pub | Pattern::Push)
    }

    /// The pattern's name as NNG spells it.
    // The host tests' API (sp/proto/tests); dead in the module.
    #[allow(dead_code)]
    pub const fn name(self) -> &'static str {
        match self {
            Pattern::Pair => "pair",
            Pattern::Pub => "pub",
            Pattern::Sub => "sub",
            Pattern::Req => "req",
            Pattern::Rep => "rep",
            Pattern::Push => "push",
            Pattern::Pull => "pull",
            Pattern::Surveyor => "surveyor",
            Pattern::Respondent => "respondent",
            Pattern::Bus => "bus",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sock_type_round_trips() {
        for p in Pattern::ALL {
            assert_eq!(Pattern::from_sock_type(p.sock_type()), Some(p));
        }
        for bad in [-1, 0, 11, 12, i32::MAX, i32::MIN] {
            assert_eq!(Pattern::from_sock_type(bad), None);
        }
    }

    #[test]
    fn peers_are_symmetric() {
        for p in Pattern::ALL {
            let peer = Pattern::ALL
                .into_iter()
                .find(|q| q.proto_id() == p.peer_id())
                .unwrap();
            assert_eq!(peer.peer_id(), p.proto_id(), "{p:?}");
        }
    }

    #[test]
    fn one_way_patterns() {
        let send_only = [Pattern::Pub, Pattern::Push];
        let recv_only = [Pattern::Sub, Pattern::Pull];
        for p in Pattern::ALL {
            assert_eq!(p.sends(), !recv_only.contains(&p), "{p:?}");
            assert_eq!(p.receives(), !send_only.contains(&p), "{p:?}");
        }
    }

    #[test]
    fn ids_match_protocol_table() {
        // The table in PROTOCOL.md (sp-protocol-ids-01, as NNG uses it).
        assert_eq!(Pattern::Req.proto_id(), 0x30);
        assert_eq!(Pattern::Rep.peer_id(), 0x30);
        assert_eq!(Pattern::Pub.peer_id(), 0x21);
        assert_eq!(Pattern::Pair.peer_id(), 0x10);
        assert_eq!(Pattern::Bus.peer_id(), 0x70);
        assert_eq!(Pattern::Surveyor.peer_id(), 0x63);
    }
}
