/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A sock_diag client for AF_SP (uapi/linux/sp_diag.h), shared by spss and
 * the selftests: requests, and the answers parsed into struct spd_row.
 */
#ifndef SP_SPDIAG_H
#define SP_SPDIAG_H

#include <errno.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/sp.h>
#include <linux/sp_diag.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The endpoints and pipes a row keeps (their counts go on beyond). */
#define SPD_MAX 8

struct spd_pipe {
	uint32_t id, tcp_ino;
	int up, proto;
	struct sockaddr_storage peer, local;
};

/* One socket of an answer: its message and its attributes. */
struct spd_row {
	struct sp_diag_msg m;
	struct sp_diag_info info;
	int has_info, listeners, dialers, pipes, meminfo_len, stats_len;
	struct sockaddr_storage listener[SPD_MAX], dialer[SPD_MAX];
	struct spd_pipe pipe[SPD_MAX];
	uint32_t meminfo[SK_MEMINFO_VARS];
	struct sp_stats stats;
};

static inline int spd_socket(void)
{
	return socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
}

/* Sends one request; 0 or -1. */
static inline int spd_send(int nl, int dump, uint16_t type, uint32_t ino, const uint32_t cookie[2],
		     uint32_t show, int len)
{
	struct {
		struct nlmsghdr h;
		struct sp_diag_req r;
	} q = {
		.h = { .nlmsg_len = NLMSG_LENGTH(len), .nlmsg_type = SOCK_DIAG_BY_FAMILY,
		       .nlmsg_flags = NLM_F_REQUEST | (dump ? NLM_F_DUMP : 0), .nlmsg_seq = 1 },
		.r = { .sdiag_family = AF_SP, .sdiag_type = type, .sdiag_ino = ino,
		       .sdiag_show = show },
	};
	struct sockaddr_nl nladdr = { .nl_family = AF_NETLINK };

	if (cookie)
		memcpy(q.r.sdiag_cookie, cookie, sizeof(q.r.sdiag_cookie));
	return sendto(nl, &q, q.h.nlmsg_len, 0, (struct sockaddr *)&nladdr,
		      sizeof(nladdr)) == (ssize_t)q.h.nlmsg_len ? 0 : -1;
}

static inline void spd_parse_pipe(struct spd_pipe *p, struct nlattr *nest)
{
	int rem = nest->nla_len - NLA_HDRLEN;
	struct nlattr *a = (struct nlattr *)((char *)nest + NLA_HDRLEN);

	for (; rem >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= rem;
	     rem -= NLA_ALIGN(a->nla_len), a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len))) {
		void *d = (char *)a + NLA_HDRLEN;
		size_t n = a->nla_len - NLA_HDRLEN;

		switch (a->nla_type) {
		case SP_DIAG_PIPE_ID: if (n == 4) memcpy(&p->id, d, 4); break;
		case SP_DIAG_PIPE_UP: if (n == 1) p->up = *(uint8_t *)d; break;
		case SP_DIAG_PIPE_PEER: memcpy(&p->peer, d, n < sizeof(p->peer) ? n : sizeof(p->peer)); break;
		case SP_DIAG_PIPE_LOCAL: memcpy(&p->local, d, n < sizeof(p->local) ? n : sizeof(p->local)); break;
		case SP_DIAG_PIPE_TCP_INO: if (n == 4) memcpy(&p->tcp_ino, d, 4); break;
		case SP_DIAG_PIPE_PROTO: if (n == 1) p->proto = *(uint8_t *)d; break;
		}
	}
}

/* Copies at most sizeof(*dst) bytes of an address attribute. */
static inline void spd_addr(struct sockaddr_storage *dst, const void *d, size_t n)
{
	memcpy(dst, d, n < sizeof(*dst) ? n : sizeof(*dst));
}

static inline void spd_parse_row(struct spd_row *r, struct nlmsghdr *h)
{
	struct sp_diag_msg *m = NLMSG_DATA(h);
	struct nlattr *a = (struct nlattr *)((char *)m + NLMSG_ALIGN(sizeof(*m)));
	int rem = h->nlmsg_len - NLMSG_LENGTH(NLMSG_ALIGN(sizeof(*m)));

	memset(r, 0, sizeof(*r));
	r->m = *m;
	for (; rem >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= rem;
	     rem -= NLA_ALIGN(a->nla_len), a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len))) {
		void *d = (char *)a + NLA_HDRLEN;
		int n = a->nla_len - NLA_HDRLEN;

		switch (a->nla_type) {
		case SP_DIAG_INFO:
			r->has_info = n == sizeof(r->info);
			memcpy(&r->info, d, n < (int)sizeof(r->info) ? n : (int)sizeof(r->info));
			break;
		case SP_DIAG_LISTENER:
			if (r->listeners < SPD_MAX)
				spd_addr(&r->listener[r->listeners], d, n);
			r->listeners++;
			break;
		case SP_DIAG_DIALER:
			if (r->dialers < SPD_MAX)
				spd_addr(&r->dialer[r->dialers], d, n);
			r->dialers++;
			break;
		case SP_DIAG_PIPE:
			if (r->pipes < SPD_MAX)
				spd_parse_pipe(&r->pipe[r->pipes], a);
			r->pipes++;
			break;
		case SP_DIAG_MEMINFO:
			r->meminfo_len = n;
			memcpy(r->meminfo, d, n < (int)sizeof(r->meminfo) ? n : (int)sizeof(r->meminfo));
			break;
		case SP_DIAG_STATS:
			r->stats_len = n;
			memcpy(&r->stats, d, n < (int)sizeof(r->stats) ? n : (int)sizeof(r->stats));
			break;
		}
	}
}

/*
 * Reads the answers into @rows (at most @max); their number, or -1 with
 * errno the kernel's error. @between runs after each buffer read.
 */
static inline int spd_read(int nl, struct spd_row *rows, int max, void (*between)(void *), void *arg)
{
	static char buf[8192];
	int n = 0;

	for (;;) {
		ssize_t len = recv(nl, buf, sizeof(buf), 0);
		struct nlmsghdr *h;

		if (len < 0)
			return -1;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_type == NLMSG_DONE)
				return n;
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				if (!e->error)
					return n;
				errno = -e->error;
				return -1;
			}
			if (n < max)
				spd_parse_row(&rows[n], h);
			n++;
			if (!(h->nlmsg_flags & NLM_F_MULTI))
				return n;
		}
		if (between)
			between(arg);
	}
}

/* A dump of the sockets of @type (0: all) with @show; their number, or -1. */
static inline int spd_dump(struct spd_row *rows, int max, uint16_t type, uint32_t show)
{
	int nl = spd_socket(), n;

	if (nl < 0 || spd_send(nl, 1, type, 0, NULL, show, sizeof(struct sp_diag_req)))
		return -1;
	n = spd_read(nl, rows, max, NULL, NULL);
	close(nl);
	return n;
}

/* A get of @ino with @cookie; 1 (the row), or -1 with the kernel's errno. */
static inline int spd_get(struct spd_row *r, uint32_t ino, const uint32_t cookie[2], uint32_t show)
{
	int nl = spd_socket(), n, e;

	if (nl < 0 || spd_send(nl, 0, 0, ino, cookie, show, sizeof(struct sp_diag_req)))
		return -1;
	n = spd_read(nl, r, 1, NULL, NULL);
	e = errno;
	close(nl);
	errno = e;
	return n;
}

#endif /* SP_SPDIAG_H */
