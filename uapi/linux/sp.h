/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * sp: the Scalability Protocols (nanomsg/NNG "SP") as a socket family.
 *
 *	fd = socket(PF_SP, SOCK_REQ, IPPROTO_TCP);
 *	connect(fd, (struct sockaddr *)&sin, sizeof(sin));
 *	send(fd, "Hello", 5, 0);
 *
 * Messages are whole: one send() is one message and one recv() returns one
 * message.  On the wire sp speaks the SP-over-TCP mapping that NNG and
 * nanomsg use, so either end may be an unmodified NNG or nanomsg peer.
 *
 * A message sent with MSG_MORE, or by sendmmsg() before its last (which
 * marks them MSG_BATCH), is queued and written out with those after it,
 * once one without the flag is sent or a send fails; should none follow,
 * within 20 ms.
 *
 * The other socket calls:
 *  - shutdown(SHUT_RD): recv() returns what is queued, then 0 at once
 *    (blocked callers wake), as on a datagram socket; messages still
 *    arrive and queue.  SHUT_WR: send() fails with EPIPE, and raises
 *    SIGPIPE unless MSG_NOSIGNAL, as on SOCK_SEQPACKET; blocked senders
 *    wake.  poll() then reports POLLIN|POLLRDHUP, POLLOUT, and POLLHUP
 *    for both.  Only the caller's side is shut: nothing goes to peers.
 *    Another direction gives EINVAL.
 *  - SO_PASSCRED (setsockopt() only: the socket layer answers getsockopt()
 *    of it for AF_UNIX alone): each message then received from an IPC
 *    peer carries an SCM_CREDENTIALS control message, struct ucred, with
 *    the pid, euid and egid that its Unix socket's SO_PEERCRED gave when
 *    it connected (for a dialer that reconnected, the pid is a kernel
 *    worker's), in the receiver's namespaces.  Messages from TCP peers
 *    carry none.  SO_PEERCRED on a PAIR gives its IPC peer's.
 *  - getpeername(): a PAIR's current peer, the TCP or Unix peer of its
 *    one pipe (a Unix peer that did not bind has an empty name);
 *    ENOTCONN without one, and always for every other type, which has
 *    many peers or none to name.
 *  - recv(MSG_PEEK): the message the next recv() returns, left queued,
 *    with the same errors; on a REP or RESPONDENT a peek does not take
 *    the request, so a reply still needs a recv() first.
 *  - ioctl(SIOCINQ) (FIONREAD): the payload length of the next message,
 *    0 with none.  ioctl(SIOCOUTQ): the bytes sp holds to send, not yet
 *    handed to TCP (TCP's own queue is not counted).
 *  - /proc/net/sp lists the sockets of the reader's network namespace;
 *    /proc/PID/fdinfo/FD shows one socket (see the README).
 */
#ifndef _UAPI_LINUX_SP_H
#define _UAPI_LINUX_SP_H

#include <linux/types.h>

/*
 * Address family.  Slot 13 (AF_NETBEUI) has never had an implementation in
 * mainline Linux: it was reserved for an 802.2 LLC project that did not
 * land, so no deployed program opens it expecting another protocol.
 * Retired slots that did have users (AF_DECnet 12, AF_ECONET 19, AF_IRDA 23)
 * were avoided.  The module carries the alias "net-pf-13".
 */
#ifndef AF_SP
#define AF_SP		13
#endif
#ifndef PF_SP
#define PF_SP		AF_SP
#endif

/* Option level for setsockopt()/getsockopt(); the first free SOL_ slot. */
#ifndef SOL_SP
#define SOL_SP		288
#endif

/*
 * socket() types.  They are scoped to PF_SP and reuse the numbers below
 * SOCK_MAX (11), because the socket layer rejects larger types before any
 * family sees them.
 *
 *	type		value	wire id	peer
 *	SOCK_PAIR	1	0x10	PAIR
 *	SOCK_PUB	2	0x20	SUB
 *	SOCK_SUB	3	0x21	PUB
 *	SOCK_REQ	4	0x30	REP
 *	SOCK_REP	5	0x31	REQ
 *	SOCK_PUSH	6	0x50	PULL
 *	SOCK_PULL	7	0x51	PUSH
 *	SOCK_SURVEYOR	8	0x62	RESPONDENT
 *	SOCK_RESPONDENT	9	0x63	SURVEYOR
 *	SOCK_BUS	10	0x70	BUS
 *
 * Any other type fails with ESOCKTNOSUPPORT.
 *
 * Transports.  Each endpoint's transport follows the address that bind()
 * or connect() is given, as an NNG URL's scheme does, so one socket may
 * listen on TCP and IPC at once:
 *  - struct sockaddr_in, sockaddr_in6: SP over TCP.
 *  - struct sockaddr_un: SP over a Unix stream socket, NNG's and
 *    nanomsg's ipc:// (a path) and NNG's abstract:// (sun_path[0] == 0,
 *    the name in the socket's network namespace; bind() with only the
 *    family autobinds one).  The socket file is made by bind() with the
 *    caller's credentials and umask, and stays after close(); an
 *    existing path, stale or not, gives EADDRINUSE (unlink() it first).
 *    A dialer resolves the path as the caller of connect(), on later
 *    reconnects too (its credentials, root and working directory);
 *    ENOENT and ECONNREFUSED are retried in the background.
 * The protocol argument names what an IP address carries: 0 or
 * IPPROTO_TCP (the seed's), TCP; IPPROTO_SCTP, SCTP (sp to sp, one
 * association per pipe, doc/sp-sctp-mapping.txt).  Anything else fails
 * with EPROTONOSUPPORT.  A Unix address is IPC whatever the protocol.
 */
#define SOCK_PAIR	1
#define SOCK_PUB	2
#define SOCK_SUB	3
#define SOCK_REQ	4
#define SOCK_REP	5
#define SOCK_PUSH	6
#define SOCK_PULL	7
#define SOCK_SURVEYOR	8
#define SOCK_RESPONDENT	9
#define SOCK_BUS	10

/* SP protocol ids as sent in the 8-byte connection header. */
#define SP_PROTO_PAIR		0x10
#define SP_PROTO_PUB		0x20
#define SP_PROTO_SUB		0x21
#define SP_PROTO_REQ		0x30
#define SP_PROTO_REP		0x31
#define SP_PROTO_PUSH		0x50
#define SP_PROTO_PULL		0x51
#define SP_PROTO_SURVEYOR	0x62
#define SP_PROTO_RESPONDENT	0x63
#define SP_PROTO_BUS		0x70

/*
 * SOL_SP options.  Unless noted, the value is an int; times are in
 * milliseconds.  An option that does not apply to the socket's type fails
 * with ENOPROTOOPT, a value out of range with EINVAL, a short optlen with
 * EINVAL.
 *
 *	option			types		default		range
 *	SP_RCVMAXSIZE		all		1048576 bytes	0..2^30 (0: 2^30)
 *	SP_RECONNECT_IVL	all		100		1..3600000
 *	SP_RECONNECT_IVL_MAX	all		5000		0..3600000
 *	SP_HANDSHAKE_TIMEOUT	all		10000		1..3600000
 *	SP_RESEND_IVL		REQ		60000		1..3600000
 *	SP_MAXTTL		REQ, REP	8		1..255
 *	SP_MAXTTL		SURVEYOR,	8		1..15
 *				RESPONDENT
 *	SP_SNDBUF		all		128 messages	1..8192
 *	SP_RCVBUF		all		128 messages	1..8192
 *	SP_TCP_NODELAY		all		1		0 or 1
 *	SP_SUBSCRIBE		SUB		(bytes, write-only)
 *	SP_UNSUBSCRIBE		SUB		(bytes, write-only)
 *	SP_STATS		all		struct sp_stats, read-only
 *	SP_CONNECT_TIMEOUT	all		10000		1..3600000
 *	SP_MAXPIPES		all		1024		1..65536
 *	SP_MAXENDPOINTS		all		64		1..4096
 *	SP_SURVEYOR_DEADLINE	SURVEYOR	1000		1..3600000
 *	SP_RAW			all		0		0 or 1 (see below)
 *
 * SP_RCVMAXSIZE 0 means no limit but the 2^30 cap, as in NNG; a change
 * applies to the next frame of every pipe, including pipes already up.
 * SP_CONNECT_TIMEOUT bounds a dialed TCP connect; SP_HANDSHAKE_TIMEOUT
 * starts once TCP is established.  A socket holds at most SP_MAXPIPES
 * connections (a listener closes connections beyond it, a dialer waits)
 * and SP_MAXENDPOINTS endpoints (bind() and connect() fail with ENOBUFS
 * beyond).  Everything a socket holds is bounded in bytes too: its send
 * queue and every pipe's queue of replies, requests or publications
 * together by SO_SNDBUF, which SIOCOUTQ reads, beyond 16 KiB a pipe may
 * always hold (a REP blocks, or fails with EAGAIN; a PUB drops the oldest,
 * BUS and SURVEYOR the new message), the received messages and
 * partly received frames of all pipes by SO_RCVBUF (beyond it, pipes leave
 * data in TCP).  That memory is charged to the socket's memory cgroup.
 *
 * SP_RECONNECT_IVL_MAX 0 disables exponential backoff.  SP_SNDBUF and
 * SP_RCVBUF count messages, like NNG_OPT_SENDBUF/RECVBUF (SP_SNDBUF is the
 * PAIR send queue, or each subscriber's queue on a PUB); the receive queue
 * is also held to SO_RCVBUF bytes.  SP_SUBSCRIBE takes a prefix of up to
 * 4096 bytes (empty: everything); a SUB holds at most 1024 subscriptions
 * and 64 KiB of them (ENOBUFS beyond); SP_UNSUBSCRIBE of an unknown prefix
 * gives ENOENT.
 *
 * close() lingers for queued messages up to SO_LINGER, or 1 s when
 * SO_LINGER is off, and returns as soon as the last one is written.
 *
 * SP_MAXTTL counts the backtrace words a REP or RESPONDENT accepts; a
 * request or survey with more is dropped.  NNG caps it at 15; REQ/REP
 * accept up to 255 for compatibility with earlier sp releases.
 *
 * Sending and receiving, by type:
 *	PAIR		one peer; send() waits for it and for room.
 *	REQ, REP	one request at a time; REP answers the last one received.
 *	PUB, SUB	PUB sends to every SUB and never blocks; SUB filters.
 *	PUSH, PULL	PUSH sends each message to one peer, round robin among
 *			those with room; send() waits while no peer has room.
 *			PULL receives from all peers, fairly.
 *	SURVEYOR	send() starts a survey (abandoning any earlier one) and
 *			sends it to every peer with room; recv() returns the
 *			responses until SP_SURVEYOR_DEADLINE has passed since
 *			the send, then fails with ETIMEDOUT, and the survey ends.
 *	RESPONDENT	like REP: answers the last survey received, on the pipe
 *			it came from.
 *	BUS		send() goes to every peer and never blocks (a peer with
 *			no room misses it, counted in tx_dropped); recv()
 *			receives from all peers.  Nothing is forwarded.
 *
 * State errors: recv() on a REQ with no request outstanding, recv() on a
 * SURVEYOR with no survey outstanding, and send() on a REP or RESPONDENT
 * with nothing to answer fail with EINVAL.  send() on a SUB or PULL and
 * recv() on a PUB or PUSH fail with EOPNOTSUPP.
 */
#define SP_RCVMAXSIZE		1
#define SP_RECONNECT_IVL	2
#define SP_RECONNECT_IVL_MAX	3
#define SP_HANDSHAKE_TIMEOUT	4
#define SP_RESEND_IVL		5
#define SP_MAXTTL		6
#define SP_SNDBUF		7
#define SP_RCVBUF		8
#define SP_TCP_NODELAY		9
#define SP_SUBSCRIBE		10
#define SP_UNSUBSCRIBE		11
#define SP_STATS		12
#define SP_CONNECT_TIMEOUT	13
#define SP_MAXPIPES		14
#define SP_MAXENDPOINTS		15
#define SP_SURVEYOR_DEADLINE	16
#define SP_RAW			17
#define SP_DEVICE		18
#define SP_SCTP_ADDRS		19

/*
 * Raw mode (SP_RAW, an int, 0 or 1, default 0), as NNG's raw sockets and
 * nanomsg's AF_SP_RAW: the socket keeps no pattern state, so that a
 * program (or the kernel, see the devices) can forward messages between
 * two raw sockets.  It is set before the socket's first bind(), connect()
 * or send() (EISCONN after) and read back with getsockopt().
 *
 * The SP header of each message travels beside its body, as nanomsg's
 * nn_recvmsg()/nn_sendmsg() pass it: a control message at level SOL_SP,
 * type SP_HDR, whose data is the header's bytes (a multiple of 4).  recv()
 * returns the body alone, as on a cooked socket, and MSG_CTRUNC says that
 * the control buffer had no room for the header.  send() with no SP_HDR
 * sends an empty header.  By type:
 *	REP, RESPONDENT	receive: a 4-byte pipe id (big endian, high bit
 *			clear), then the backtrace up to and including the
 *			request or survey id (the word with the high bit).
 *			A message with more than SP_MAXTTL words is dropped
 *			(rx_dropped).  send: the header must hold at least the
 *			pipe id (EINVAL); the message goes to that pipe, with
 *			the rest of the header before the body.  A pipe that
 *			is gone drops it, and send() succeeds.
 *	REQ, SURVEYOR	receive: the body's first word (the id the peer sent
 *			back); shorter messages close the pipe.  send: the
 *			header goes before the body; no ids, no resend, no
 *			deadline.  REQ sends round robin, as PUSH; SURVEYOR
 *			to every peer, as PUB.
 *	BUS		receive: the 4-byte pipe id of the sender.  send: an
 *			empty header goes to every peer; a pipe id to every
 *			peer but that one.
 *	SUB		no filtering: every message; SP_SUBSCRIBE gives
 *			ENOPROTOOPT.
 *	PAIR, PUB, PUSH, PULL	as cooked; the header is always empty (a
 *			non-empty one gives EINVAL).
 * SP_HDR on a cooked socket, and any other control message, give EINVAL.
 *
 * In-kernel devices (SP_DEVICE, an int, write-only): setsockopt(a, SOL_SP,
 * SP_DEVICE, &b, sizeof(int)) links raw socket a with raw socket b, the
 * file descriptor of a socket of the type a's peers are (REP with REQ,
 * SUB with PUB, PULL with PUSH, RESPONDENT with SURVEYOR, PAIR with PAIR,
 * BUS with BUS), as nng_device() does.  It returns at once; from then on
 * what either receives the other sends, header and all, in the kernel,
 * until either socket is closed or SP_DEVICE -1 on either unlinks them.
 * A BUS linked with itself reflects what each peer sends to the others.
 * The hop limit is the REP or RESPONDENT side's SP_MAXTTL.  Errors: EBADF
 * or ENOTSOCK for b, EAFNOSUPPORT for a socket of another family, EINVAL
 * for a cooked socket (either), or a non-BUS linked with itself,
 * EPROTOTYPE for mismatched types, EBUSY for a socket already linked,
 * ENOENT for unlinking a socket that is not.
 *
 * SCTP multi-homing (SP_SCTP_ADDRS, a packed array of struct sockaddr_in
 * and sockaddr_in6, each read by its family, as sctp_bindx() takes them):
 * the extra local addresses of the SCTP endpoints the socket makes after
 * it is set.  A listener binds them beside its bind() address, with its
 * port (sctp_bindx(SCTP_BINDX_ADD_ADDR)); a dialer binds the first and
 * adds the rest before it connects, so the association has a path per
 * address pair and fails over between them.  At most 8 addresses; an
 * empty array clears them.  getsockopt() returns the array (a buffer of
 * 8 * sizeof(struct sockaddr_in6) always suffices; a shorter one than
 * the array gives EINVAL).  Errors: ENOPROTOOPT on a socket not made
 * with IPPROTO_SCTP, EINVAL for a truncated address, more than 8, or a
 * family other than AF_INET/AF_INET6; bind() or connect() later fails as
 * sctp_bindx() would (EADDRNOTAVAIL for an address not on the host).
 */
#define SP_HDR			1

/* Counters returned by SP_STATS; reserved fields read as zero. */
struct sp_stats {
	__u64	tx_msgs;
	__u64	rx_msgs;
	__u64	tx_dropped;	/* dropped on send (e.g. PUB queue full) */
	__u64	rx_dropped;	/* dropped on receive (e.g. SUB queue full) */
	__u64	pipes_refused;	/* failed handshakes, wrong peer type */
	__u64	pipes_dropped;	/* pipes closed for protocol errors */
	__u64	reserved[2];
};

#endif /* _UAPI_LINUX_SP_H */
