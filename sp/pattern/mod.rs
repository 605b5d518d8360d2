// SPDX-License-Identifier: GPL-2.0

//! The per-pattern state of an sp socket, one file per protocol family.
//!
//! Issue 14 moves each pattern's state and decisions here, behind one
//! value the socket holds; so far a SUB's subscriptions and a REQ's
//! request state are here (see the TODO in [`crate::sock`]).

pub(crate) mod pubsub;
pub(crate) mod reqrep;
