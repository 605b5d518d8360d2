/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * sock_diag for AF_SP: list sp sockets, or one of them, over a
 * NETLINK_SOCK_DIAG socket, as unix_diag does for AF_UNIX.
 *
 * Send SOCK_DIAG_BY_FAMILY with a struct sp_diag_req: NLM_F_DUMP lists
 * the sockets of the requester's network namespace (every one, or those
 * of sdiag_type); without it, the socket whose inode is sdiag_ino, with
 * sdiag_cookie checked unless it is SOCK_DIAG_NO_COOKIE (ENOENT for no
 * such socket, ESTALE for another cookie).  Each answer is a struct
 * sp_diag_msg and attributes: SP_DIAG_INFO always, the others as
 * sdiag_show asks.  A netlink reader sees what /proc/net/sp shows it: the
 * sockets of its namespace, whoever owns them.
 */
#ifndef _UAPI_LINUX_SP_DIAG_H
#define _UAPI_LINUX_SP_DIAG_H

#include <linux/types.h>

struct sp_diag_req {
	__u8	sdiag_family;		/* AF_SP */
	__u8	sdiag_protocol;		/* 0 */
	__u16	sdiag_type;		/* a SOCK_* type of PF_SP, 0 for all */
	__u32	sdiag_ino;		/* not dumping: the socket's inode */
	__u32	sdiag_show;		/* SP_DIAG_SHOW_* */
	__u32	sdiag_cookie[2];	/* not dumping: its cookie */
};

#define SP_DIAG_SHOW_ENDPOINTS	0x00000001	/* SP_DIAG_LISTENER, _DIALER */
#define SP_DIAG_SHOW_PIPES	0x00000002	/* SP_DIAG_PIPE */
#define SP_DIAG_SHOW_MEMINFO	0x00000004	/* SP_DIAG_MEMINFO */
#define SP_DIAG_SHOW_STATS	0x00000008	/* SP_DIAG_STATS */

struct sp_diag_msg {
	__u8	sdiag_family;		/* AF_SP */
	__u8	sdiag_type;		/* SOCK_PAIR ... SOCK_BUS */
	__u16	pad;
	__u32	sdiag_ino;
	__u32	sdiag_cookie[2];
};

enum {
	SP_DIAG_UNSPEC,
	SP_DIAG_INFO,		/* struct sp_diag_info */
	SP_DIAG_LISTENER,	/* a bound address (struct sockaddr_in or _in6,
				 * with the real port), one per listener */
	SP_DIAG_DIALER,		/* an address dialed, one per dialer */
	SP_DIAG_PIPE,		/* nested SP_DIAG_PIPE_*, one per pipe */
	SP_DIAG_MEMINFO,	/* __u32[SK_MEMINFO_VARS] */
	SP_DIAG_STATS,		/* struct sp_stats (<linux/sp.h>) */
	__SP_DIAG_MAX
};

#define SP_DIAG_MAX (__SP_DIAG_MAX - 1)

struct sp_diag_info {
	__u16	sdiag_proto;		/* SP protocol id, SP_PROTO_* */
	__u16	sdiag_peer;		/* the peers' protocol id */
	__u8	sdiag_raw;		/* SP_RAW */
	__u8	sdiag_device;		/* linked by SP_DEVICE */
	__u8	sdiag_shutdown;		/* 1: shut for reading, 2: writing */
	__u8	pad;
	__u32	sdiag_pipes;
	__u32	sdiag_listeners;
	__u32	sdiag_dialers;
	__u32	sdiag_rqueue;		/* messages queued for recv() */
	__u32	sdiag_rqueue_bytes;
	__u32	sdiag_wqueue_bytes;	/* SIOCOUTQ */
};

/* The attributes of one SP_DIAG_PIPE. */
enum {
	SP_DIAG_PIPE_UNSPEC,
	SP_DIAG_PIPE_ID,	/* __u32, the pipe id of raw headers */
	SP_DIAG_PIPE_UP,	/* __u8, 1 once the SP handshake is done */
	SP_DIAG_PIPE_PEER,	/* the peer's address */
	SP_DIAG_PIPE_LOCAL,	/* the carrier socket's own address */
	SP_DIAG_PIPE_TCP_INO,	/* __u32, the carrier socket's inode (ss -tie,
				 * ss -x, ss --sctp -e) */
	SP_DIAG_PIPE_PROTO,	/* __u8, the transport: IPPROTO_TCP,
				 * IPPROTO_SCTP, or 0 for IPC (AF_UNIX) */
	__SP_DIAG_PIPE_MAX
};

#define SP_DIAG_PIPE_MAX (__SP_DIAG_PIPE_MAX - 1)

#endif /* _UAPI_LINUX_SP_DIAG_H */
