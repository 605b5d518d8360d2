// SPDX-License-Identifier: GPL-2.0
/*
 * sp_bench: PF_SP sockets against NNG and raw TCP, over 127.0.0.1; with
 * -x ipc, over Unix stream sockets instead (sp's IPC transport, NNG's
 * ipc://, and raw AF_UNIX for the tcp backend, with the same framing);
 * with -x sctp, over SCTP on 127.0.0.1 (sp's SCTP transport, and raw
 * one-to-one SCTP sockets with SCTP_NODELAY for the tcp backend; NNG has
 * no SCTP).
 *
 *	sp_bench -b sp|nng|tcp -t lat|rrthr|pubsub|pair|push|survey|mem [-x ipc|sctp] [options]
 *
 * Every test is written once against a small backend interface (struct
 * backend); the three backends are
 *
 *	sp	PF_SP sockets, the patterns run in the kernel
 *	nng	libnng (req0/rep0, pub0/sub0, pair0, push0/pull0,
 *		surveyor0/respondent0) over tcp://
 *	tcp	plain TCP with SP's framing (8-byte big-endian length before
 *		each message), TCP_NODELAY, one writev() per message and a
 *		buffered reader; a REP or RESPONDENT answers on the connection
 *		the message came from, a PUB or SURVEYOR writes to every
 *		connection in turn, blocking.  PUSH/PULL has no tcp run: its
 *		raw TCP analogue is the pair stream.
 *
 * Each result is one line on stdout, e.g.
 *
 *	bench test=lat backend=sp size=64 clients=1 subs=0 value=23.41 unit=us extra=rt_per_s:42717
 *
 * (with -x ipc or sctp, transport=ipc or transport=sctp follows backend=)
 *
 * and everything else goes to stderr.  Any failure (socket error, timeout,
 * nothing received) exits non-zero.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <nng/nng.h>
#include <nng/protocol/pair0/pair.h>
#include <nng/protocol/pipeline0/pull.h>
#include <nng/protocol/pipeline0/push.h>
#include <nng/protocol/pubsub0/pub.h>
#include <nng/protocol/pubsub0/sub.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/protocol/survey0/respond.h>
#include <nng/protocol/survey0/survey.h>

#include "sp_lib.h"

/* <linux/sctp.h>'s, without its clash with the libc headers. */
#ifndef SOL_SCTP
#define SOL_SCTP 132
#endif
#ifndef SCTP_NODELAY
#define SCTP_NODELAY 3
#endif

/* Receive timeout of loops that must notice a stop flag. */
#define POLL_MS		200
/* Read buffer of a raw TCP connection; bigger messages bypass it. */
#define TCP_BUF		65536

static void usage(void)
{
	fprintf(stderr,
		"usage: sp_bench -b sp|nng|tcp -t lat|rrthr|pubsub|pair|push|survey|mem [options]\n"
		"  -s BYTES  message size (default 64)\n"
		"  -n COUNT  lat: round trips (default: run for -d); pair: messages\n"
		"            (default: run for -d); survey: surveys (default: run\n"
		"            for -d); mem: sockets (default 1000)\n"
		"  -d SECS   lat, rrthr, pubsub, pair, push, survey: duration (default 2)\n"
		"  -c N      rrthr: clients (default 8)\n"
		"  -k N      pubsub: subscribers; push: pullers; survey: respondents\n"
		"            (default 1)\n"
		"  -Q MSGS   pubsub, pair, push: sp and nng queue length in messages,\n"
		"            PUB/PAIR/PUSH send and SUB/PAIR/PULL receive (default 128,\n"
		"            sp's default; 0 leaves each library's default)\n"
		"  -T MS     timeout before a stalled run fails (default 30000)\n"
		"  -x ipc    over Unix stream sockets in /tmp (default: TCP on 127.0.0.1)\n"
		"  -x sctp   over SCTP on 127.0.0.1 (sp and tcp only)\n");
	exit(2);
}

static struct {
	const char *test;
	size_t size;
	long n;
	double secs;
	int clients;
	int subs;
	int queue;
	int safety_ms;
	bool ipc;
	bool sctp;
} opt = {
	.size = 64,
	.secs = 2,
	.clients = 8,
	.subs = 1,
	.queue = 128,
	.safety_ms = 30000,
};

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "sp_bench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stdout);
	/* Not exit(): other threads (and NNG's) are still running. */
	_exit(1);
}

#define die_errno(fmt, ...) die(fmt ": %s", ##__VA_ARGS__, strerror(errno))

static void *xmalloc(size_t len)
{
	void *p = malloc(len ? len : 1);

	if (!p)
		die("out of memory");
	return p;
}

/* Seconds on the monotonic clock. */
static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
	struct timespec ts = { .tv_sec = (time_t)s,
			       .tv_nsec = (long)((s - (time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Waits until *@v reaches @target, or fails after the safety timeout. */
static void wait_for(atomic_int *v, int target, const char *what)
{
	double deadline = now() + opt.safety_ms / 1000.0;

	while (atomic_load(v) < target) {
		if (now() > deadline)
			die("timed out waiting for %s (%d of %d)", what,
			    atomic_load(v), target);
		sleep_s(0.001);
	}
}

static void spawn(pthread_t *t, void *(*fn)(void *), void *arg)
{
	int rc = pthread_create(t, NULL, fn, arg);

	if (rc)
		die("pthread_create: %s", strerror(rc));
}

/* ---- the backend interface ---- */

enum pat { PAIR, PUB, SUB, REQ, REP, PUSH, PULL, SURVEYOR, RESPONDENT };

static const char *const pat_name[] = {
	[PAIR] = "PAIR", [PUB] = "PUB", [SUB] = "SUB", [REQ] = "REQ", [REP] = "REP",
	[PUSH] = "PUSH", [PULL] = "PULL", [SURVEYOR] = "SURVEYOR",
	[RESPONDENT] = "RESPONDENT",
};

/* Whether a socket of @pat sends, or receives: where queue options apply. */
static bool pat_sends(enum pat pat)
{
	return pat != SUB && pat != PULL;
}

static bool pat_receives(enum pat pat)
{
	return pat != PUB && pat != PUSH;
}

/* A raw TCP connection with its read buffer. */
struct conn {
	int fd;
	bool ready;		/* poll() saw it readable */
	size_t head, tail;	/* unread bytes are buf[head..tail) */
	unsigned char *buf;
};

/* One messaging socket; which fields are used depends on the backend. */
struct sk {
	enum pat pat;
	int fd;			/* sp: the socket; tcp: the listener or -1 */
	nng_socket ns;
	/* tcp */
	int rcv_ms, snd_ms;
	struct conn *conns;
	struct pollfd *pfds;
	int nconns;
	int cur;		/* connection of the last message received */
	int next;		/* where the next receive starts looking */
};

/*
 * Every operation fails the run on error.  recv() returns the message
 * length, or -1 if the receive timeout passed with nothing received.
 */
struct backend {
	const char *name;
	void (*listen)(struct sk *s, uint16_t *port);
	void (*dial)(struct sk *s, uint16_t port);
	void (*accept)(struct sk *s, int n);	/* wait for n peers (tcp) */
	void (*subscribe)(struct sk *s);	/* to everything */
	void (*queue)(struct sk *s, int msgs);
	void (*timeo)(struct sk *s, int rcv_ms, int snd_ms);
	void (*deadline)(struct sk *s, int ms);	/* SURVEYOR's survey time */
	void (*send)(struct sk *s, const void *buf, size_t len);
	ssize_t (*recv)(struct sk *s, void *buf, size_t cap);
	void (*stats)(struct sk *s, const char *who);	/* optional */
	void (*close)(struct sk *s);
};

static const struct backend *be;

static struct sk *sk_new(enum pat pat)
{
	struct sk *s = xmalloc(sizeof(*s));

	memset(s, 0, sizeof(*s));
	s->pat = pat;
	s->fd = -1;
	return s;
}

static struct sk *sk_listen(enum pat pat, uint16_t *port)
{
	struct sk *s = sk_new(pat);

	be->listen(s, port);
	return s;
}

static struct sk *sk_dial(enum pat pat, uint16_t port)
{
	struct sk *s = sk_new(pat);

	be->dial(s, port);
	return s;
}

static void sk_close(struct sk *s)
{
	be->close(s);
	free(s);
}

/*
 * The receive limit for -s over the 1 MiB default, the same for sp and
 * nng.  It counts the whole frame, so leave room for REQ/REP's headers.
 */
static size_t rcvmaxsize(void)
{
	return opt.size + 65536 < (1 << 30) ? opt.size + 65536 : 1 << 30;
}

/* ---- sp: PF_SP sockets ---- */

static const int sp_types[] = {
	[PAIR] = SOCK_PAIR, [PUB] = SOCK_PUB, [SUB] = SOCK_SUB,
	[REQ] = SOCK_REQ, [REP] = SOCK_REP, [PUSH] = SOCK_PUSH, [PULL] = SOCK_PULL,
	[SURVEYOR] = SOCK_SURVEYOR, [RESPONDENT] = SOCK_RESPONDENT,
};

static void sp_setint(struct sk *s, int name, int val, const char *what)
{
	if (sp_setsockopt_int(s->fd, name, val))
		die_errno("sp: %s %s=%d", pat_name[s->pat], what, val);
}

static void sp_prep(struct sk *s)
{
	/* SP_RCVMAXSIZE defaults to 1 MiB. */
	if (opt.size > (1 << 20))
		sp_setint(s, SP_RCVMAXSIZE, rcvmaxsize(), "SP_RCVMAXSIZE");
}

/*
 * -x ipc: listener number @n is the Unix socket /tmp/sp_bench.<pid>.<n>
 * (in @sun), @n standing in for a port.
 */
static socklen_t ipc_addr(struct sockaddr_un *sun, uint16_t n)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	snprintf(sun->sun_path, sizeof(sun->sun_path), "/tmp/sp_bench.%d.%u", getpid(), n);
	return sizeof(*sun);
}

/* A new listener number, its old socket file gone. */
static uint16_t ipc_next(struct sockaddr_un *sun)
{
	static uint16_t n;

	ipc_addr(sun, ++n);
	unlink(sun->sun_path);
	return n;
}

/* A @family stream (or PF_SP @type) socket bound and listening at a new name. */
static int ipc_listen(int family, int type, uint16_t *port)
{
	struct sockaddr_un sun;
	int fd = socket(family, type, 0);

	*port = ipc_next(&sun);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) ||
	    (family == AF_UNIX && listen(fd, 1024)))
		return -1;
	return fd;
}

static int ipc_dial(int family, int type, uint16_t port)
{
	struct sockaddr_un sun;
	socklen_t len = ipc_addr(&sun, port);
	int fd = socket(family, type, 0);

	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, len))
		return -1;
	return fd;
}

static void sp_do_listen(struct sk *s, uint16_t *port)
{
	if (opt.sctp)
		s->fd = sp_bind_any(socket(PF_SP, sp_types[s->pat], IPPROTO_SCTP), port);
	else
		s->fd = opt.ipc ? ipc_listen(PF_SP, sp_types[s->pat], port)
				: sp_listen_any(sp_types[s->pat], port);
	if (s->fd < 0)
		die_errno("sp: %s socket/bind", pat_name[s->pat]);
	sp_prep(s);
}

static void sp_do_dial(struct sk *s, uint16_t port)
{
	if (opt.sctp)
		s->fd = sp_inet_dial(PF_SP, sp_types[s->pat], IPPROTO_SCTP, port);
	else
		s->fd = opt.ipc ? ipc_dial(PF_SP, sp_types[s->pat], port)
				: sp_dial(sp_types[s->pat], port);
	if (s->fd < 0)
		die_errno("sp: %s socket/connect", pat_name[s->pat]);
	sp_prep(s);
}

static void sp_accept(struct sk *s, int n)
{
	(void)s;
	(void)n;
}

static void sp_subscribe(struct sk *s)
{
	if (setsockopt(s->fd, SOL_SP, SP_SUBSCRIBE, "", 0))
		die_errno("sp: SP_SUBSCRIBE");
}

static void sp_queue(struct sk *s, int msgs)
{
	if (pat_sends(s->pat))
		sp_setint(s, SP_SNDBUF, msgs, "SP_SNDBUF");
	if (pat_receives(s->pat))
		sp_setint(s, SP_RCVBUF, msgs, "SP_RCVBUF");
}

static void sp_timeo(struct sk *s, int rcv_ms, int snd_ms)
{
	if (sp_set_timeo(s->fd, SO_RCVTIMEO, rcv_ms) ||
	    sp_set_timeo(s->fd, SO_SNDTIMEO, snd_ms))
		die_errno("sp: SO_RCVTIMEO/SO_SNDTIMEO");
}

static void sp_deadline(struct sk *s, int ms)
{
	sp_setint(s, SP_SURVEYOR_DEADLINE, ms, "SP_SURVEYOR_DEADLINE");
}

static void sp_send(struct sk *s, const void *buf, size_t len)
{
	ssize_t n;

	do
		n = send(s->fd, buf, len, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		die("sp: %s send timed out", pat_name[s->pat]);
	if (n < 0)
		die_errno("sp: %s send", pat_name[s->pat]);
	if ((size_t)n != len)
		die("sp: %s send: %zd of %zu bytes", pat_name[s->pat], n, len);
}

static ssize_t sp_recv(struct sk *s, void *buf, size_t cap)
{
	ssize_t n;

	do
		n = recv(s->fd, buf, cap, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return -1;
	if (n < 0)
		die_errno("sp: %s recv", pat_name[s->pat]);
	return n;
}

static void sp_log_stats(struct sk *s, const char *who)
{
	struct sp_stats st;
	socklen_t len = sizeof(st);

	if (getsockopt(s->fd, SOL_SP, SP_STATS, &st, &len)) {
		fprintf(stderr, "%s: SP_STATS: %s\n", who, strerror(errno));
		return;
	}
	fprintf(stderr, "%s: tx %llu rx %llu tx_dropped %llu rx_dropped %llu\n",
		who, (unsigned long long)st.tx_msgs, (unsigned long long)st.rx_msgs,
		(unsigned long long)st.tx_dropped, (unsigned long long)st.rx_dropped);
}

static void sp_close(struct sk *s)
{
	close(s->fd);
}

static const struct backend be_sp = {
	.name = "sp",
	.listen = sp_do_listen,
	.dial = sp_do_dial,
	.accept = sp_accept,
	.subscribe = sp_subscribe,
	.queue = sp_queue,
	.timeo = sp_timeo,
	.deadline = sp_deadline,
	.send = sp_send,
	.recv = sp_recv,
	.stats = sp_log_stats,
	.close = sp_close,
};

/* ---- nng: libnng over tcp:// ---- */

static int (*const nng_opens[])(nng_socket *) = {
	[PAIR] = nng_pair0_open, [PUB] = nng_pub0_open, [SUB] = nng_sub0_open,
	[REQ] = nng_req0_open, [REP] = nng_rep0_open, [PUSH] = nng_push0_open,
	[PULL] = nng_pull0_open, [SURVEYOR] = nng_surveyor0_open,
	[RESPONDENT] = nng_respondent0_open,
};

static void nng_check(int rv, struct sk *s, const char *what)
{
	if (rv)
		die("nng: %s %s: %s", pat_name[s->pat], what, nng_strerror(rv));
}

static void nng_prep(struct sk *s)
{
	if (opt.sctp)
		die("nng: no SCTP transport");
	nng_check(nng_opens[s->pat](&s->ns), s, "open");
	/* NNG_OPT_RECVMAXSZ defaults to 1 MiB, like SP_RCVMAXSIZE. */
	if (opt.size > (1 << 20))
		nng_check(nng_socket_set_size(s->ns, NNG_OPT_RECVMAXSZ, rcvmaxsize()),
			  s, "NNG_OPT_RECVMAXSZ");
}

static void nng_do_listen(struct sk *s, uint16_t *port)
{
	nng_listener l;
	int p;

	nng_prep(s);
	if (opt.ipc) {
		struct sockaddr_un sun;
		char url[160];

		*port = ipc_next(&sun);
		snprintf(url, sizeof(url), "ipc://%s", sun.sun_path);
		nng_check(nng_listen(s->ns, url, NULL, 0), s, "listen");
		return;
	}
	nng_check(nng_listen(s->ns, "tcp://127.0.0.1:0", &l, 0), s, "listen");
	nng_check(nng_listener_get_int(l, NNG_OPT_TCP_BOUND_PORT, &p), s, "port");
	*port = p;
}

static void nng_do_dial(struct sk *s, uint16_t port)
{
	struct sockaddr_un sun;
	char url[160];

	nng_prep(s);
	ipc_addr(&sun, port);
	if (opt.ipc)
		snprintf(url, sizeof(url), "ipc://%s", sun.sun_path);
	else
		snprintf(url, sizeof(url), "tcp://127.0.0.1:%u", port);
	nng_check(nng_dial(s->ns, url, NULL, 0), s, "dial");
}

static void nng_subscribe(struct sk *s)
{
	nng_check(nng_socket_set(s->ns, NNG_OPT_SUB_SUBSCRIBE, "", 0), s,
		  "subscribe");
}

static void nng_queue(struct sk *s, int msgs)
{
	if (pat_sends(s->pat))
		nng_check(nng_socket_set_int(s->ns, NNG_OPT_SENDBUF, msgs), s,
			  "NNG_OPT_SENDBUF");
	if (pat_receives(s->pat))
		nng_check(nng_socket_set_int(s->ns, NNG_OPT_RECVBUF, msgs), s,
			  "NNG_OPT_RECVBUF");
}

static void nng_timeo(struct sk *s, int rcv_ms, int snd_ms)
{
	nng_check(nng_socket_set_ms(s->ns, NNG_OPT_RECVTIMEO, rcv_ms), s,
		  "NNG_OPT_RECVTIMEO");
	nng_check(nng_socket_set_ms(s->ns, NNG_OPT_SENDTIMEO, snd_ms), s,
		  "NNG_OPT_SENDTIMEO");
}

static void nng_deadline(struct sk *s, int ms)
{
	nng_check(nng_socket_set_ms(s->ns, NNG_OPT_SURVEYOR_SURVEYTIME, ms), s,
		  "NNG_OPT_SURVEYOR_SURVEYTIME");
}

static void nng_do_send(struct sk *s, const void *buf, size_t len)
{
	int rv = nng_send(s->ns, (void *)buf, len, 0);

	if (rv == NNG_ETIMEDOUT)
		die("nng: %s send timed out", pat_name[s->pat]);
	nng_check(rv, s, "send");
}

static ssize_t nng_do_recv(struct sk *s, void *buf, size_t cap)
{
	size_t len = cap;
	int rv = nng_recv(s->ns, buf, &len, 0);

	if (rv == NNG_ETIMEDOUT)
		return -1;
	nng_check(rv, s, "recv");
	return len;
}

static void nng_do_close(struct sk *s)
{
	nng_close(s->ns);
}

static const struct backend be_nng = {
	.name = "nng",
	.listen = nng_do_listen,
	.dial = nng_do_dial,
	.accept = sp_accept,	/* NNG accepts on its own */
	.subscribe = nng_subscribe,
	.queue = nng_queue,
	.timeo = nng_timeo,
	.deadline = nng_deadline,
	.send = nng_do_send,
	.recv = nng_do_recv,
	.close = nng_do_close,
};

/* ---- tcp: raw TCP with SP's framing ---- */

static void fd_timeo(int fd, int rcv_ms, int snd_ms)
{
	if (sp_set_timeo(fd, SO_RCVTIMEO, rcv_ms) ||
	    sp_set_timeo(fd, SO_SNDTIMEO, snd_ms))
		die_errno("tcp: SO_RCVTIMEO/SO_SNDTIMEO");
}

static void tcp_add_conn(struct sk *s, int fd)
{
	int one = 1;
	struct conn *c;

	if (opt.sctp && setsockopt(fd, SOL_SCTP, SCTP_NODELAY, &one, sizeof(one)))
		die_errno("sctp: SCTP_NODELAY");
	if (!opt.ipc && !opt.sctp && setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
		die_errno("tcp: TCP_NODELAY");
	s->conns = realloc(s->conns, (s->nconns + 1) * sizeof(*s->conns));
	s->pfds = realloc(s->pfds, (s->nconns + 1) * sizeof(*s->pfds));
	if (!s->conns || !s->pfds)
		die("out of memory");
	c = &s->conns[s->nconns++];
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->buf = xmalloc(TCP_BUF);
	if (s->rcv_ms || s->snd_ms)
		fd_timeo(fd, s->rcv_ms, s->snd_ms);
}

static void tcp_listen(struct sk *s, uint16_t *port)
{
	struct sockaddr_in sin = sp_loopback(0);
	socklen_t len = sizeof(sin);

	if (opt.ipc) {
		s->fd = ipc_listen(AF_UNIX, SOCK_STREAM, port);
		if (s->fd < 0)
			die_errno("unix: listen");
		return;
	}
	s->fd = socket(AF_INET, SOCK_STREAM, opt.sctp ? IPPROTO_SCTP : 0);
	if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    listen(s->fd, 1024) ||
	    getsockname(s->fd, (struct sockaddr *)&sin, &len))
		die_errno("tcp: listen");
	*port = ntohs(sin.sin_port);
}

static void tcp_dial(struct sk *s, uint16_t port)
{
	int fd = opt.ipc    ? ipc_dial(AF_UNIX, SOCK_STREAM, port)
		 : opt.sctp ? sp_inet_dial(AF_INET, SOCK_STREAM, IPPROTO_SCTP, port)
			    : sp_raw_connect(port);

	if (fd < 0)
		die_errno("tcp: connect");
	tcp_add_conn(s, fd);
}

static void tcp_accept(struct sk *s, int n)
{
	while (n-- > 0) {
		int fd;

		if (!(sp_poll1(s->fd, POLLIN, opt.safety_ms) & POLLIN))
			die("tcp: timed out waiting for a connection");
		fd = accept(s->fd, NULL, NULL);
		if (fd < 0)
			die_errno("tcp: accept");
		tcp_add_conn(s, fd);
	}
}

static void tcp_subscribe(struct sk *s)
{
	(void)s;
}

static void tcp_queue(struct sk *s, int msgs)
{
	(void)s;
	(void)msgs;
}

/* A survey over TCP is a broadcast and its answers: no deadline. */
static void tcp_deadline(struct sk *s, int ms)
{
	(void)s;
	(void)ms;
}

static void tcp_timeo(struct sk *s, int rcv_ms, int snd_ms)
{
	int i;

	s->rcv_ms = rcv_ms;
	s->snd_ms = snd_ms;
	for (i = 0; i < s->nconns; i++)
		fd_timeo(s->conns[i].fd, rcv_ms, snd_ms);
}

static void conn_send(struct conn *c, const void *buf, size_t len)
{
	uint64_t hdr = htobe64(len);
	struct iovec iov[2] = {
		{ .iov_base = &hdr, .iov_len = 8 },
		{ .iov_base = (void *)buf, .iov_len = len },
	};
	struct iovec *v = iov;
	int nv = 2;

	while (nv) {
		ssize_t n = writev(c->fd, v, nv);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			die("tcp: send timed out");
		if (n < 0)
			die_errno("tcp: writev");
		while (nv && (size_t)n >= v->iov_len) {
			n -= v->iov_len;
			v++;
			nv--;
		}
		if (nv) {
			v->iov_base = (char *)v->iov_base + n;
			v->iov_len -= n;
		}
	}
}

static void tcp_send(struct sk *s, const void *buf, size_t len)
{
	int i;

	if (!s->nconns)
		die("tcp: %s send without a connection", pat_name[s->pat]);
	if (s->pat == PUB || s->pat == SURVEYOR) {
		for (i = 0; i < s->nconns; i++)
			conn_send(&s->conns[i], buf, len);
	} else {
		conn_send(&s->conns[s->cur], buf, len);
	}
}

/*
 * One read() into @c's buffer.  Returns 0 on a timeout, else 1.  A
 * timeout in the middle of a message keeps trying: the rest is on its way.
 */
static int conn_fill(struct conn *c, size_t avail, double *deadline)
{
	ssize_t n;

	/* Make room: no message that uses the buffer is bigger than it. */
	if (c->head && c->tail > TCP_BUF / 2) {
		memmove(c->buf, c->buf + c->head, avail);
		c->head = 0;
		c->tail = avail;
	}
	n = read(c->fd, c->buf + c->tail, TCP_BUF - c->tail);
	if (n > 0) {
		c->tail += n;
		return 1;
	}
	if (n == 0)
		die("tcp: connection closed by peer");
	if (errno == EINTR)
		return 1;
	if (errno != EAGAIN && errno != EWOULDBLOCK)
		die_errno("tcp: read");
	if (!avail)
		return 0;
	if (!*deadline)
		*deadline = now() + opt.safety_ms / 1000.0;
	else if (now() > *deadline)
		die("tcp: timed out in the middle of a message");
	return 1;
}

/* Reads exactly @len bytes into @p, straight from the socket. */
static void conn_read_full(struct conn *c, char *p, size_t len)
{
	double deadline = now() + opt.safety_ms / 1000.0;

	while (len) {
		ssize_t n = read(c->fd, p, len);

		if (n > 0) {
			p += n;
			len -= n;
		} else if (n == 0) {
			die("tcp: connection closed by peer");
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if (now() > deadline)
				die("tcp: timed out in the middle of a message");
		} else if (errno != EINTR) {
			die_errno("tcp: read");
		}
	}
}

/* Length of the message starting at buf[head], or -1 if no full header. */
static int64_t conn_peek_len(const struct conn *c)
{
	uint64_t be_len;

	if (c->tail - c->head < 8)
		return -1;
	memcpy(&be_len, c->buf + c->head, 8);
	return (int64_t)be64toh(be_len);
}

static bool conn_complete(const struct conn *c)
{
	int64_t len = conn_peek_len(c);

	return len >= 0 && c->tail - c->head - 8 >= (uint64_t)len;
}

/* The next message on @c into @ubuf, or -1 on a timeout. */
static ssize_t conn_recv(struct conn *c, void *ubuf, size_t cap)
{
	double deadline = 0;

	for (;;) {
		size_t avail = c->tail - c->head;
		int64_t len = conn_peek_len(c);

		if (len > (int64_t)cap)
			die("tcp: %lld-byte message, expected %zu",
			    (long long)len, opt.size);
		if (len >= 0 && avail - 8 >= (uint64_t)len) {
			memcpy(ubuf, c->buf + c->head + 8, len);
			c->head += 8 + len;
			if (c->head == c->tail)
				c->head = c->tail = 0;
			return len;
		}
		if (len >= 0 && 8 + len > TCP_BUF) {
			/* Too big for the buffer: read the rest in place. */
			size_t have = avail - 8;

			memcpy(ubuf, c->buf + c->head + 8, have);
			c->head = c->tail = 0;
			conn_read_full(c, (char *)ubuf + have, len - have);
			return len;
		}
		if (!conn_fill(c, avail, &deadline))
			return -1;
	}
}

static ssize_t tcp_recv(struct sk *s, void *buf, size_t cap)
{
	if (!s->nconns)
		die("tcp: %s recv without a connection", pat_name[s->pat]);
	if (s->nconns == 1)
		return conn_recv(&s->conns[0], buf, cap);

	/* Several connections (a REP or SURVEYOR): poll() them, round robin. */
	for (;;) {
		int i, n;

		for (i = 0; i < s->nconns; i++) {
			int k = (s->next + i) % s->nconns;
			struct conn *c = &s->conns[k];
			ssize_t len;

			if (!c->ready && !conn_complete(c))
				continue;
			c->ready = false;
			len = conn_recv(c, buf, cap);
			if (len < 0)
				continue;
			s->cur = k;
			s->next = k + 1;
			return len;
		}
		for (i = 0; i < s->nconns; i++) {
			s->pfds[i].fd = s->conns[i].fd;
			s->pfds[i].events = POLLIN;
			s->pfds[i].revents = 0;
		}
		n = poll(s->pfds, s->nconns, s->rcv_ms ? s->rcv_ms : -1);
		if (n < 0 && errno != EINTR)
			die_errno("tcp: poll");
		if (n == 0)
			return -1;
		for (i = 0; n > 0 && i < s->nconns; i++)
			if (s->pfds[i].revents)
				s->conns[i].ready = true;
	}
}

static void tcp_close(struct sk *s)
{
	int i;

	for (i = 0; i < s->nconns; i++) {
		close(s->conns[i].fd);
		free(s->conns[i].buf);
	}
	free(s->conns);
	free(s->pfds);
	if (s->fd >= 0)
		close(s->fd);
}

static const struct backend be_tcp = {
	.name = "tcp",
	.listen = tcp_listen,
	.dial = tcp_dial,
	.accept = tcp_accept,
	.subscribe = tcp_subscribe,
	.queue = tcp_queue,
	.timeo = tcp_timeo,
	.deadline = tcp_deadline,
	.send = tcp_send,
	.recv = tcp_recv,
	.close = tcp_close,
};

/* ---- shared pieces of the tests ---- */

/* One thread's state, on its own cache line. */
struct worker {
	pthread_t tid;
	struct sk *s;
	atomic_ulong count;
	bool seen;
} __attribute__((aligned(64)));

static struct worker *workers_new(int n)
{
	struct worker *w = aligned_alloc(64, n * sizeof(*w));

	if (!w)
		die("out of memory");
	memset(w, 0, n * sizeof(*w));
	return w;
}

static unsigned long workers_sum(const struct worker *w, int n)
{
	unsigned long sum = 0;
	int i;

	for (i = 0; i < n; i++)
		sum += atomic_load_explicit(&w[i].count, memory_order_relaxed);
	return sum;
}

static void count_up(struct worker *w)
{
	unsigned long c = atomic_load_explicit(&w->count, memory_order_relaxed);

	atomic_store_explicit(&w->count, c + 1, memory_order_relaxed);
}

static atomic_int stop_clients, stop_server, ready, go;

static bool flag(atomic_int *f)
{
	return atomic_load_explicit(f, memory_order_relaxed);
}

/* A message buffer with room to notice a message longer than -s. */
static char *msg_buf(void)
{
	char *buf = xmalloc(opt.size + 1);
	size_t i;

	for (i = 0; i <= opt.size; i++)
		buf[i] = (char)(i * 31 + 7);
	return buf;
}

static void check_len(ssize_t len, const char *who)
{
	if ((size_t)len != opt.size)
		die("%s: %zd-byte message, expected %zu", who, len, opt.size);
}

/* Seconds the client spent in send() over the timed round trips (lat). */
static double send_secs;

static void round_trip(struct sk *s, char *buf)
{
	double t = now();
	ssize_t len;

	be->send(s, buf, opt.size);
	send_secs += now() - t;
	len = be->recv(s, buf, opt.size + 1);
	if (len < 0)
		die("round trip timed out after %d ms", opt.safety_ms);
	check_len(len, "REQ");
}

/* The result line; @fmt and what follows make the extra= field. */
static void __attribute__((format(printf, 7, 8)))
result(const char *test, size_t size, int clients, int subs, double value,
       const char *unit, const char *fmt, ...)
{
	char extra[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(extra, sizeof(extra), fmt, ap);
	va_end(ap);
	printf("bench test=%s backend=%s%s size=%zu clients=%d subs=%d value=%.*f unit=%s extra=%s\n",
	       test, be->name, opt.ipc ? " transport=ipc" : opt.sctp ? " transport=sctp" : "",
	       size, clients, subs,
	       strcmp(unit, "us") ? 0 : 2,
	       value, unit, extra);
	fflush(stdout);
}

/* Sends back every message @s (a @who) receives, until stop_server. */
static void *echo_messages(struct sk *s, const char *who)
{
	char *buf = msg_buf();

	be->timeo(s, POLL_MS, opt.safety_ms);
	for (;;) {
		ssize_t len = be->recv(s, buf, opt.size + 1);

		if (len < 0) {
			if (flag(&stop_server))
				break;
			continue;
		}
		check_len(len, who);
		be->send(s, buf, len);
	}
	free(buf);
	return NULL;
}

/* A REP that echoes every request until stop_server. */
static void *echo_server(void *arg)
{
	return echo_messages(arg, "REP");
}

/* ---- lat: REQ/REP round trips, one client ---- */

static void test_lat(void)
{
	/* -n: that many round trips; else as many as fit in -d seconds. */
	long n = opt.n;
	long warm = n && n / 10 < 1000 ? n / 10 + 1 : 1000;
	struct sk *srv, *cli;
	double t0, t1;
	uint16_t port;
	pthread_t tid;
	char *buf;
	long i;

	srv = sk_listen(REP, &port);
	cli = sk_dial(REQ, port);
	be->accept(srv, 1);
	be->timeo(cli, opt.safety_ms, opt.safety_ms);
	spawn(&tid, echo_server, srv);

	buf = msg_buf();
	for (i = 0; i < warm; i++)
		round_trip(cli, buf);
	send_secs = 0;
	t0 = now();
	for (i = 0; n ? i < n : (i & 15) || now() - t0 < opt.secs; i++)
		round_trip(cli, buf);
	t1 = now();
	n = i;

	atomic_store(&stop_server, 1);
	pthread_join(tid, NULL);
	sk_close(cli);
	sk_close(srv);
	free(buf);
	/* send_us: one send() call, with TCP's delivery to the peer's socket. */
	result("lat", opt.size, 1, 0, (t1 - t0) * 1e6 / n, "us", "rt_per_s:%.0f,send_us:%.1f",
	       n / (t1 - t0), send_secs * 1e6 / n);
}

/* ---- rrthr: REQ/REP round trips, C clients, one REP ---- */

static void *rr_client(void *arg)
{
	struct worker *w = arg;
	char *buf = msg_buf();

	round_trip(w->s, buf);	/* the connection is up */
	atomic_fetch_add(&ready, 1);
	while (!flag(&stop_clients)) {
		round_trip(w->s, buf);
		count_up(w);
	}
	free(buf);
	return NULL;
}

static void test_rrthr(void)
{
	int i, c = opt.clients;
	struct worker *w = workers_new(c);
	unsigned long n0, n1;
	struct sk *srv;
	double t0, t1;
	uint16_t port;
	pthread_t tid;

	srv = sk_listen(REP, &port);
	for (i = 0; i < c; i++) {
		w[i].s = sk_dial(REQ, port);
		be->timeo(w[i].s, opt.safety_ms, opt.safety_ms);
	}
	be->accept(srv, c);
	spawn(&tid, echo_server, srv);
	for (i = 0; i < c; i++)
		spawn(&w[i].tid, rr_client, &w[i]);

	wait_for(&ready, c, "clients' first round trips");
	t0 = now();
	n0 = workers_sum(w, c);
	sleep_s(opt.secs);
	n1 = workers_sum(w, c);
	t1 = now();

	atomic_store(&stop_clients, 1);
	for (i = 0; i < c; i++)
		pthread_join(w[i].tid, NULL);
	atomic_store(&stop_server, 1);
	pthread_join(tid, NULL);
	for (i = 0; i < c; i++)
		sk_close(w[i].s);
	sk_close(srv);
	free(w);

	if (n1 == n0)
		die("rrthr: no round trips in %.2f s", t1 - t0);
	result("rrthr", opt.size, c, 0, (n1 - n0) / (t1 - t0), "msg/s",
	       "per_client:%.0f", (n1 - n0) / (t1 - t0) / c);
}

/* ---- pubsub: one PUB, K SUBs, lossy ---- */

static atomic_ulong pub_sent;

/*
 * A receiving worker of a one-to-many test (its socket a @who): counts
 * each message, and ready at the first, until stop_clients and a timeout.
 */
static void *count_messages(struct worker *w, const char *who)
{
	char *buf = msg_buf();

	be->timeo(w->s, POLL_MS, opt.safety_ms);
	for (;;) {
		ssize_t len = be->recv(w->s, buf, opt.size + 1);

		/* After stop_clients, drain until the queue runs dry. */
		if (len < 0) {
			if (flag(&stop_clients))
				break;
			continue;
		}
		check_len(len, who);
		if (!w->seen) {
			w->seen = true;
			atomic_fetch_add(&ready, 1);
		}
		count_up(w);
	}
	free(buf);
	return NULL;
}

static void *sub_thread(void *arg)
{
	return count_messages(arg, "SUB");
}

static void *pub_thread(void *arg)
{
	double deadline = now() + opt.safety_ms / 1000.0;
	struct sk *s = arg;
	char *buf = msg_buf();
	unsigned long sent = 0;

	/* Warm up gently until every subscriber has a message. */
	while (!flag(&go)) {
		be->send(s, buf, opt.size);
		atomic_store_explicit(&pub_sent, ++sent, memory_order_relaxed);
		if (now() > deadline)
			die("pubsub: only %d of %d subscribers got a message",
			    atomic_load(&ready), opt.subs);
		sleep_s(0.001);
	}
	while (!flag(&stop_server)) {
		be->send(s, buf, opt.size);
		atomic_store_explicit(&pub_sent, ++sent, memory_order_relaxed);
	}
	free(buf);
	return NULL;
}

/* Each receiver's count of @w[0..@k) over -d seconds, to @got. */
static void fan_out_sample(struct worker *w, int k, unsigned long *got)
{
	int i;

	for (i = 0; i < k; i++)
		got[i] = atomic_load(&w[i].count);
	sleep_s(opt.secs);
	for (i = 0; i < k; i++)
		got[i] = atomic_load(&w[i].count) - got[i];
}

/*
 * Stops the sender @tid, then the receivers @w[0..@k); logs each one's
 * rate of @got over @secs as "@test: @role i", the total to *@total and
 * the least to *@min.
 */
static void fan_out_stop(pthread_t tid, struct worker *w, int k, const unsigned long *got,
			 double secs, const char *test, const char *role,
			 unsigned long *total, unsigned long *min)
{
	int i;

	atomic_store(&stop_server, 1);
	pthread_join(tid, NULL);
	atomic_store(&stop_clients, 1);
	for (i = 0; i < k; i++)
		pthread_join(w[i].tid, NULL);

	for (i = 0; i < k; i++) {
		fprintf(stderr, "%s: %s %d: %.0f msg/s\n", test, role, i, got[i] / secs);
		*total += got[i];
		if (got[i] < *min)
			*min = got[i];
	}
}

/*
 * The stats of sender @s ("@test: @sname") and of receivers @w[0..@k)
 * ("@test: @wname i"), if the backend has them; then closes and frees all.
 */
static void fan_out_close(struct sk *s, struct worker *w, int k, const char *test,
			  const char *sname, const char *wname)
{
	char who[64];
	int i;

	if (be->stats) {
		snprintf(who, sizeof(who), "%s: %s", test, sname);
		be->stats(s, who);
		for (i = 0; i < k; i++) {
			snprintf(who, sizeof(who), "%s: %s %d", test, wname, i);
			be->stats(w[i].s, who);
		}
	}
	for (i = 0; i < k; i++)
		sk_close(w[i].s);
	sk_close(s);
	free(w);
}

static void test_pubsub(void)
{
	int i, k = opt.subs;
	struct worker *w = workers_new(k);
	unsigned long *got0 = xmalloc(k * sizeof(*got0));
	unsigned long s0, s1, total = 0, min = ~0UL;
	struct sk *pub;
	double t0, t1;
	uint16_t port;
	pthread_t tid;

	pub = sk_listen(PUB, &port);
	if (opt.queue)
		be->queue(pub, opt.queue);
	for (i = 0; i < k; i++) {
		w[i].s = sk_dial(SUB, port);
		be->subscribe(w[i].s);
		if (opt.queue)
			be->queue(w[i].s, opt.queue);
	}
	be->accept(pub, k);
	for (i = 0; i < k; i++)
		spawn(&w[i].tid, sub_thread, &w[i]);
	spawn(&tid, pub_thread, pub);

	wait_for(&ready, k, "subscribers' first messages");
	atomic_store(&go, 1);
	t0 = now();
	s0 = atomic_load(&pub_sent);
	fan_out_sample(w, k, got0);
	s1 = atomic_load(&pub_sent);
	t1 = now();

	/* The publisher first (a tcp one blocks on its subscribers). */
	fan_out_stop(tid, w, k, got0, t1 - t0, "pubsub", "subscriber", &total, &min);
	fprintf(stderr, "pubsub: publisher sent %.0f msg/s\n", (s1 - s0) / (t1 - t0));
	fan_out_close(pub, w, k, "pubsub", "PUB", "SUB");
	free(got0);

	/* One idle subscriber can be bad luck in a short run; none is not. */
	if (!total)
		die("pubsub: no messages delivered in %.2f s", t1 - t0);
	if (!min)
		fprintf(stderr, "pubsub: warning: a subscriber received nothing in %.2f s\n",
			t1 - t0);
	result("pubsub", opt.size, 1, k, total / (t1 - t0), "msg/s",
	       "per_sub:%.0f,min_sub:%.0f,pub_sent:%.0f", total / (t1 - t0) / k,
	       min / (t1 - t0), (s1 - s0) / (t1 - t0));
}

/* ---- pair: PAIR streaming, flow-controlled, lossless ---- */

static atomic_ulong tx_total;
static atomic_int tx_done;
static double t_start, t_end;

static void *pair_tx(void *arg)
{
	struct worker *w = arg;
	char *buf = msg_buf();
	unsigned long sent = 1;
	long i;

	be->send(w->s, buf, opt.size);	/* warm-up: the connection is up */
	wait_for(&ready, 1, "the first PAIR message");
	t_start = now();
	if (opt.n) {
		for (i = 0; i < opt.n; i++)
			be->send(w->s, buf, opt.size);
		sent += opt.n;
	} else {
		while (!flag(&stop_clients)) {
			be->send(w->s, buf, opt.size);
			sent++;
		}
	}
	atomic_store(&tx_total, sent);
	atomic_store(&tx_done, 1);
	free(buf);
	return NULL;
}

static void *pair_rx(void *arg)
{
	struct worker *w = arg;
	char *buf = msg_buf();
	unsigned long got = 0;
	double deadline = 0;

	be->timeo(w->s, POLL_MS, opt.safety_ms);
	while (!atomic_load(&tx_done) || got < atomic_load(&tx_total)) {
		ssize_t len = be->recv(w->s, buf, opt.size + 1);

		if (len < 0) {
			if (!atomic_load(&tx_done))
				continue;
			if (!deadline)
				deadline = now() + opt.safety_ms / 1000.0;
			else if (now() > deadline)
				die("pair: received %lu of %lu messages", got,
				    (unsigned long)atomic_load(&tx_total));
			continue;
		}
		check_len(len, "PAIR");
		count_up(w);
		if (++got == 1)
			atomic_store(&ready, 1);
		if (opt.n && got == (unsigned long)opt.n + 1)
			t_end = now();
	}
	free(buf);
	return NULL;
}

static void test_pair(void)
{
	struct worker *w = workers_new(2);
	unsigned long n0 = 0, n1 = 0;
	double t0 = 0, t1 = 0, rate;
	uint16_t port;

	w[0].s = sk_listen(PAIR, &port);	/* receiver */
	w[1].s = sk_dial(PAIR, port);		/* sender */
	be->accept(w[0].s, 1);
	if (opt.queue) {
		be->queue(w[0].s, opt.queue);
		be->queue(w[1].s, opt.queue);
	}
	be->timeo(w[1].s, opt.safety_ms, opt.safety_ms);
	spawn(&w[0].tid, pair_rx, &w[0]);
	spawn(&w[1].tid, pair_tx, &w[1]);

	if (!opt.n) {
		wait_for(&ready, 1, "the first PAIR message");
		t0 = now();
		n0 = atomic_load(&w[0].count);
		sleep_s(opt.secs);
		n1 = atomic_load(&w[0].count);
		t1 = now();
		atomic_store(&stop_clients, 1);
	}
	pthread_join(w[1].tid, NULL);
	pthread_join(w[0].tid, NULL);
	if (opt.n) {
		t0 = t_start;
		t1 = t_end;
		n1 = opt.n;
	}
	if (be->stats) {
		be->stats(w[1].s, "pair: sender");
		be->stats(w[0].s, "pair: receiver");
	}
	sk_close(w[1].s);
	sk_close(w[0].s);
	free(w);

	if (n1 == n0 || t1 <= t0)
		die("pair: no messages in %.2f s", t1 - t0);
	rate = (n1 - n0) / (t1 - t0);
	result("pair", opt.size, 1, 0, rate, "msg/s", "MB_per_s:%.1f",
	       rate * opt.size / 1e6);
}

/* ---- push: PUSH -> K PULLs, flow-controlled, lossless ---- */

static void *pull_thread(void *arg)
{
	return count_messages(arg, "PULL");
}

/* Sends until stop_server; each send waits for a puller with room. */
static void *push_thread(void *arg)
{
	struct sk *s = arg;
	char *buf = msg_buf();

	while (!flag(&stop_server))
		be->send(s, buf, opt.size);
	free(buf);
	return NULL;
}

static void test_push(void)
{
	int i, k = opt.subs;
	struct worker *w;
	unsigned long *got0, total = 0, min = ~0UL;
	double t0, t1, rate;
	struct sk *push;
	uint16_t port;
	pthread_t tid;

	if (be == &be_tcp) {
		fprintf(stderr, "push: skipped for tcp (its analogue is -t pair)\n");
		return;
	}
	w = workers_new(k);
	got0 = xmalloc(k * sizeof(*got0));
	push = sk_listen(PUSH, &port);
	if (opt.queue)
		be->queue(push, opt.queue);
	be->timeo(push, opt.safety_ms, opt.safety_ms);
	for (i = 0; i < k; i++) {
		w[i].s = sk_dial(PULL, port);
		if (opt.queue)
			be->queue(w[i].s, opt.queue);
	}
	for (i = 0; i < k; i++)
		spawn(&w[i].tid, pull_thread, &w[i]);
	spawn(&tid, push_thread, push);

	/* Round robin: once every puller has a message, all pipes are up. */
	wait_for(&ready, k, "pullers' first messages");
	t0 = now();
	fan_out_sample(w, k, got0);
	t1 = now();

	/* The pusher first: its last send needs the pullers. */
	fan_out_stop(tid, w, k, got0, t1 - t0, "push", "puller", &total, &min);
	fan_out_close(push, w, k, "push", "PUSH", "PULL");
	free(got0);

	if (!total)
		die("push: no messages delivered in %.2f s", t1 - t0);
	rate = total / (t1 - t0);
	result("push", opt.size, 1, k, rate, "msg/s",
	       "MB_per_s:%.1f,per_pull:%.0f,min_pull:%.0f", rate * opt.size / 1e6,
	       rate / k, min / (t1 - t0));
}

/* ---- survey: one SURVEYOR, K RESPONDENTs, time to all K answers ---- */

/* A RESPONDENT that answers every survey with the survey, until stop_server. */
static void *respondent_thread(void *arg)
{
	return echo_messages(arg, "RESPONDENT");
}

/*
 * One survey: send @buf and receive answers until @k have come or the
 * receive timeout passes. Returns how many came.
 */
static int survey_once(struct sk *s, char *buf, int k)
{
	int got = 0;

	be->send(s, buf, opt.size);
	while (got < k) {
		ssize_t len = be->recv(s, buf, opt.size + 1);

		if (len < 0)
			break;
		check_len(len, "SURVEYOR");
		got++;
	}
	return got;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void test_survey(void)
{
	/* -n: that many surveys; else as many as fit in -d seconds. */
	long n = opt.n, i, cap = n ? n : 1024;
	double *us = xmalloc(cap * sizeof(*us));
	double deadline, t0, t1, med;
	int j, k = opt.subs;
	struct sk *surv;
	struct sk **resp = xmalloc(k * sizeof(*resp));
	pthread_t *tid = xmalloc(k * sizeof(*tid));
	uint16_t port;
	char *buf;

	surv = sk_listen(SURVEYOR, &port);
	/* The deadline never cuts a survey short: the timeout does. */
	be->deadline(surv, opt.safety_ms);
	for (j = 0; j < k; j++)
		resp[j] = sk_dial(RESPONDENT, port);
	be->accept(surv, k);
	for (j = 0; j < k; j++)
		spawn(&tid[j], respondent_thread, resp[j]);

	/* Warm up until one survey reaches every respondent. */
	buf = msg_buf();
	be->timeo(surv, 1000, opt.safety_ms);
	deadline = now() + opt.safety_ms / 1000.0;
	while (survey_once(surv, buf, k) < k)
		if (now() > deadline)
			die("survey: never all %d answers in a warm-up survey", k);

	be->timeo(surv, opt.safety_ms, opt.safety_ms);
	t0 = now();
	for (i = 0; n ? i < n : i < 16 || now() - t0 < opt.secs; i++) {
		double t = now();

		if (survey_once(surv, buf, k) < k)
			die("survey %ld: fewer than %d answers in %d ms", i, k,
			    opt.safety_ms);
		if (i == cap) {
			cap *= 2;
			us = realloc(us, cap * sizeof(*us));
			if (!us)
				die("out of memory");
		}
		us[i] = (now() - t) * 1e6;
	}
	t1 = now();
	n = i;

	atomic_store(&stop_server, 1);
	for (j = 0; j < k; j++)
		pthread_join(tid[j], NULL);
	for (j = 0; j < k; j++)
		sk_close(resp[j]);
	sk_close(surv);
	free(resp);
	free(tid);
	free(buf);

	qsort(us, n, sizeof(*us), cmp_double);
	med = n % 2 ? us[n / 2] : (us[n / 2 - 1] + us[n / 2]) / 2;
	result("survey", opt.size, 1, k, med, "us",
	       "p90_us:%.2f,min_us:%.2f,surveys:%ld,surveys_per_s:%.0f",
	       us[n * 9 / 10], us[0], n, n / (t1 - t0));
	free(us);
}

/* ---- mem: kernel memory per idle socket and per connection ---- */

#define MAX_CACHES	1024

struct memsnap {
	long long slab;		/* bytes: Slab: in /proc/meminfo */
	long long memfree;	/* bytes: MemFree: */
	long long slabinfo;	/* bytes: sum of active_objs * objsize, or -1 */
				/* (without kmemleak_object) */
	int ncaches;
	struct {
		char name[64];
		long long bytes;
	} cache[MAX_CACHES];
};

static struct memsnap snap_a, snap_b;

static void mem_snap(struct memsnap *m)
{
	char line[512];
	FILE *f;

	sleep_s(0.5);	/* let RCU-deferred frees and async setup settle */
	m->slab = m->memfree = -1;
	f = fopen("/proc/meminfo", "r");
	if (!f)
		die_errno("/proc/meminfo");
	while (fgets(line, sizeof(line), f)) {
		long long kb;

		if (sscanf(line, "Slab: %lld kB", &kb) == 1)
			m->slab = kb * 1024;
		else if (sscanf(line, "MemFree: %lld kB", &kb) == 1)
			m->memfree = kb * 1024;
	}
	fclose(f);
	if (m->slab < 0 || m->memfree < 0)
		die("/proc/meminfo: no Slab: or MemFree:");

	m->slabinfo = -1;
	m->ncaches = 0;
	f = fopen("/proc/slabinfo", "r");
	if (!f)
		return;
	m->slabinfo = 0;
	while (fgets(line, sizeof(line), f)) {
		long long active, total, size;
		char name[64];

		if (sscanf(line, "%63s %lld %lld %lld", name, &active, &total,
			   &size) != 4)
			continue;	/* the two header lines */
		/* kmemleak's bookkeeping is debug overhead, not the sockets'. */
		if (strcmp(name, "kmemleak_object"))
			m->slabinfo += active * size;
		if (m->ncaches < MAX_CACHES) {
			strcpy(m->cache[m->ncaches].name, name);
			m->cache[m->ncaches++].bytes = active * size;
		}
	}
	fclose(f);
}

/* Prints the caches that grew most from @a to @b, per item. */
static void mem_top_caches(const struct memsnap *a, const struct memsnap *b,
			   int n, const char *what)
{
	long long delta[MAX_CACHES];
	int i, j, shown;

	for (i = 0; i < b->ncaches; i++) {
		delta[i] = b->cache[i].bytes;
		for (j = 0; j < a->ncaches; j++)
			if (!strcmp(a->cache[j].name, b->cache[i].name)) {
				delta[i] -= a->cache[j].bytes;
				break;
			}
	}
	for (shown = 0; shown < 12; shown++) {
		int best = -1;

		for (i = 0; i < b->ncaches; i++)
			if (delta[i] > 0 && (best < 0 || delta[i] > delta[best]))
				best = i;
		if (best < 0 || delta[best] < n)
			break;
		fprintf(stderr, "%s:   %-28s %8.0f B per item\n", what,
			b->cache[best].name, (double)delta[best] / n);
		delta[best] = 0;
	}
}

static void mem_report(const char *test, int n, const char *note)
{
	const struct memsnap *a = &snap_a, *b = &snap_b;
	double slab = (double)(b->slab - a->slab) / n;
	double memfree = (double)(a->memfree - b->memfree) / n;
	double value = slab;

	fprintf(stderr, "%s: %d %s\n", test, n, note);
	fprintf(stderr, "%s: meminfo Slab %+.0f B, MemFree %+.0f B per item\n",
		test, slab, -memfree);
	if (b->slabinfo >= 0 && a->slabinfo >= 0) {
		value = (double)(b->slabinfo - a->slabinfo) / n;
		fprintf(stderr, "%s: slabinfo %+.0f B per item (without kmemleak_object), biggest:\n",
			test, value);
		mem_top_caches(a, b, n, test);
	} else {
		fprintf(stderr, "%s: no /proc/slabinfo, using meminfo Slab\n", test);
	}
	result(test, 0, n, 0, value, "B",
	       "memfree_per:%.0f,meminfo_slab_per:%.0f,src:%s", memfree, slab,
	       b->slabinfo >= 0 ? "slabinfo" : "meminfo");
}

static void raise_nofile(rlim_t need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		die_errno("getrlimit");
	if (rl.rlim_cur >= need)
		return;
	rl.rlim_cur = need;
	if (rl.rlim_max < need)
		rl.rlim_max = need;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		die_errno("setrlimit(RLIMIT_NOFILE, %lu)", (unsigned long)need);
}

static void close_all(int *fds, int n)
{
	int i;

	for (i = 0; i < n; i++)
		close(fds[i]);
}

/* n REQs dialled to one REP, each after one round trip. */
static void mem_sp_pipes(int *fds, int n, int rep)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	char c = 'x';
	int i;

	if (getsockname(rep, (struct sockaddr *)&sin, &len))
		die_errno("sp: getsockname");
	for (i = 0; i < n; i++) {
		fds[i] = sp_dial(SOCK_REQ, ntohs(sin.sin_port));
		if (fds[i] < 0)
			die_errno("sp: REQ %d socket/connect", i);
		if (sp_set_timeo(fds[i], SO_RCVTIMEO, opt.safety_ms))
			die_errno("sp: SO_RCVTIMEO");
		if (send(fds[i], &c, 1, 0) != 1)	/* never blocks */
			die_errno("sp: REQ %d send", i);
	}
	for (i = 0; i < n; i++) {
		if (recv(rep, &c, 1, 0) != 1)
			die_errno("sp: REP recv %d of %d", i + 1, n);
		if (send(rep, &c, 1, 0) != 1)
			die_errno("sp: REP send");
	}
	for (i = 0; i < n; i++)
		if (recv(fds[i], &c, 1, 0) != 1)
			die_errno("sp: REQ %d recv", i);
}

/* n connected TCP pairs: fds[2i] dialled, fds[2i + 1] accepted. */
static void mem_tcp_pipes(int *fds, int n, int lfd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int i;

	if (getsockname(lfd, (struct sockaddr *)&sin, &len))
		die_errno("tcp: getsockname");
	for (i = 0; i < n; i++) {
		fds[2 * i] = sp_raw_connect(ntohs(sin.sin_port));
		if (fds[2 * i] < 0)
			die_errno("tcp: connect %d", i);
		fds[2 * i + 1] = accept(lfd, NULL, NULL);
		if (fds[2 * i + 1] < 0)
			die_errno("tcp: accept %d", i);
	}
}

static void test_mem(void)
{
	int n = opt.n ? opt.n : 1000, i, srv;
	bool sp = be == &be_sp;
	int *fds = xmalloc(2 * n * sizeof(*fds));
	uint16_t port;

	if (be == &be_nng) {
		fprintf(stderr, "mem: skipped for nng (it measures kernel memory)\n");
		return;
	}
	raise_nofile(2 * n + 64);

	mem_snap(&snap_a);
	for (i = 0; i < n; i++) {
		fds[i] = sp ? socket(PF_SP, SOCK_PAIR, 0) :
			      socket(AF_INET, SOCK_STREAM, 0);
		if (fds[i] < 0)
			die_errno("socket %d", i);
	}
	mem_snap(&snap_b);
	mem_report("mem_socket", n, sp ? "idle PF_SP SOCK_PAIR sockets" :
		   "idle AF_INET SOCK_STREAM sockets");
	close_all(fds, n);
	sleep_s(1);

	if (sp) {
		srv = sp_listen_any(SOCK_REP, &port);
		if (srv < 0)
			die_errno("sp: REP socket/bind");
		if (sp_set_timeo(srv, SO_RCVTIMEO, opt.safety_ms))
			die_errno("sp: SO_RCVTIMEO");
	} else {
		struct sockaddr_in sin = sp_loopback(0);

		srv = socket(AF_INET, SOCK_STREAM, 0);
		if (srv < 0 || bind(srv, (struct sockaddr *)&sin, sizeof(sin)) ||
		    listen(srv, 1024))
			die_errno("tcp: listen");
	}
	mem_snap(&snap_a);
	if (sp)
		mem_sp_pipes(fds, n, srv);
	else
		mem_tcp_pipes(fds, n, srv);
	mem_snap(&snap_b);
	mem_report("mem_pipe", n, sp ?
		   "connections: a PF_SP REQ socket dialled to one REP, with both "
		   "ends' pipe state and both kernel TCP sockets" :
		   "connected TCP pairs: both ends' sockets (dialled and accepted)");
	close_all(fds, sp ? n : 2 * n);
	close(srv);
	free(fds);
}

/* ---- main ---- */

static const struct {
	const char *name;
	void (*fn)(void);
} tests[] = {
	{ "lat", test_lat },
	{ "rrthr", test_rrthr },
	{ "pubsub", test_pubsub },
	{ "pair", test_pair },
	{ "push", test_push },
	{ "survey", test_survey },
	{ "mem", test_mem },
};

static long num(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || end == s || *end || v < min || v > max)
		usage();
	return v;
}

int main(int argc, char **argv)
{
	const char *bname = NULL;
	unsigned int i;
	char *end;
	int c;

	while ((c = getopt(argc, argv, "b:t:s:n:d:c:k:Q:T:x:h")) != -1) {
		switch (c) {
		case 'b':
			bname = optarg;
			break;
		case 't':
			opt.test = optarg;
			break;
		case 's':
			opt.size = num(optarg, 0, 1 << 30);
			break;
		case 'n':
			opt.n = num(optarg, 1, 1L << 40);
			break;
		case 'd':
			opt.secs = strtod(optarg, &end);
			if (end == optarg || *end || !(opt.secs > 0))
				usage();
			break;
		case 'c':
			opt.clients = num(optarg, 1, 100000);
			break;
		case 'k':
			opt.subs = num(optarg, 1, 100000);
			break;
		case 'Q':
			opt.queue = num(optarg, 0, 8192);
			break;
		case 'T':
			opt.safety_ms = num(optarg, 1, 3600000);
			break;
		case 'x':
			if (strcmp(optarg, "ipc") && strcmp(optarg, "tcp") && strcmp(optarg, "sctp"))
				usage();
			opt.ipc = !strcmp(optarg, "ipc");
			opt.sctp = !strcmp(optarg, "sctp");
			break;
		default:
			usage();
		}
	}
	if (optind != argc || !bname || !opt.test)
		usage();
	if (!strcmp(bname, "sp"))
		be = &be_sp;
	else if (!strcmp(bname, "nng"))
		be = &be_nng;
	else if (!strcmp(bname, "tcp"))
		be = &be_tcp;
	else
		usage();

	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		if (!strcmp(opt.test, tests[i].name)) {
			tests[i].fn();
			return 0;
		}
	}
	usage();
}
