// SPDX-License-Identifier: GPL-2.0

//! BUS (NNG `bus0`): `send()` goes to every ready pipe and never blocks
//! (a pipe whose queue is full misses the message, counted in
//! `tx_dropped`, see [`super::Core::fan_out`]); received messages are queued for
//! `recv()` and dropped when the queue is full, as NNG does, so that no
//! peer can stall the bus. A cooked BUS never forwards: a message reaches
//! the sender's direct peers only. No state of its own.

/// A BUS socket.
pub(crate) struct Bus;
