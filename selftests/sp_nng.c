// SPDX-License-Identifier: GPL-2.0
/*
 * Interop with unmodified NNG (Debian's libnng) over TCP: an sp socket and
 * an NNG socket of the peer protocol exchange messages, with each side
 * binding in turn.
 *
 * Counts: SP_NNG_ROUNDTRIPS sp REQ -> NNG REP round trips (default 500;
 * 'make stress' uses 10000), SP_NNG_MSGS messages per in-order run
 * (default 300), SP_NNG_SUBS NNG subscribers on one sp PUB (default 8;
 * 32 in 'make stress'). Rates are 'make bench's business, not these.
 * PUSH/PULL, SURVEYOR/RESPONDENT and BUS run against NNG's pipeline0,
 * survey0 and bus0, with sp in either role and binding or dialling.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <nng/nng.h>
#include <nng/protocol/bus0/bus.h>
#include <nng/protocol/pair0/pair.h>
#include <nng/protocol/pipeline0/pull.h>
#include <nng/protocol/pipeline0/push.h>
#include <nng/protocol/pubsub0/pub.h>
#include <nng/protocol/pubsub0/sub.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/protocol/survey0/respond.h>
#include <nng/protocol/survey0/survey.h>
#include <pthread.h>

#include "sp_lib.h"
#include "kselftest_harness.h"

static const size_t sizes[] = { 0, 1, 65536, (1 << 20) - 1 };

static void fill(unsigned char *b, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		b[i] = (unsigned char)(i * 31 + seed);
}

/* NNG socket with timeouts and no receive limit of its own. */
static int nng_prep(nng_socket s)
{
	return nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, 10000) ||
	       nng_socket_set_ms(s, NNG_OPT_SENDTIMEO, 10000) ||
	       nng_socket_set_size(s, NNG_OPT_RECVMAXSZ, 0);
}

/* Sends each size both ways between @fd (sp) and @s (NNG). */
static void exchange(struct __test_metadata *_metadata, int fd, nng_socket s)
{
	unsigned char *out = malloc(1 << 20), *in = malloc(1 << 20);
	unsigned int i;

	ASSERT_NE(NULL, out);
	ASSERT_NE(NULL, in);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t len = sizes[i], got = 0;
		void *buf = NULL;
		int rv;

		/* sp -> NNG */
		fill(out, len, i);
		ASSERT_EQ((ssize_t)len, send(fd, out, len, 0)) {
			TH_LOG("send %zu: %s", len, strerror(errno));
		}
		rv = nng_recv(s, &buf, &got, NNG_FLAG_ALLOC);
		ASSERT_EQ(0, rv) TH_LOG("nng_recv %zu: %s", len, nng_strerror(rv));
		ASSERT_EQ(len, got);
		EXPECT_EQ(0, memcmp(out, buf, len));
		nng_free(buf, got);

		/* NNG -> sp */
		fill(out, len, i + 100);
		rv = nng_send(s, out, len, 0);
		ASSERT_EQ(0, rv) TH_LOG("nng_send %zu: %s", len, nng_strerror(rv));
		ASSERT_EQ((ssize_t)len, recv(fd, in, 1 << 20, 0)) {
			TH_LOG("recv %zu: %s", len, strerror(errno));
		}
		EXPECT_EQ(0, memcmp(out, in, len));
	}
	free(out);
	free(in);
}

/* @s listens on tcp://127.0.0.1:0; its port goes to *@port. 0 or an NNG error. */
static int nng_listen_port(nng_socket s, int *port)
{
	nng_listener l;
	int rv = nng_listen(s, "tcp://127.0.0.1:0", &l, 0);

	return rv ? rv : nng_listener_get_int(l, NNG_OPT_TCP_BOUND_PORT, port);
}

/* @s dials tcp://127.0.0.1:@port (@flags: 0 waits for the connection). */
static int nng_dial_port(nng_socket s, int port, int flags)
{
	char url[64];

	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", port);
	return nng_dial(s, url, NULL, flags);
}

static void sp_timeouts(struct __test_metadata *_metadata, int fd)
{
	ASSERT_EQ(0, sp_set_timeo(fd, SO_RCVTIMEO, 10000));
	ASSERT_EQ(0, sp_set_timeo(fd, SO_SNDTIMEO, 10000));
}

TEST(pair_sp_binds_nng_dials)
{
	nng_socket s;
	uint16_t port;
	char url[64];
	int fd, rv;

	fd = sp_listen_any(SOCK_PAIR, &port);
	ASSERT_LE(0, fd);
	sp_timeouts(_metadata, fd);
	ASSERT_EQ(0, nng_pair0_open(&s));
	ASSERT_EQ(0, nng_prep(s));
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%u", port);
	rv = nng_dial(s, url, NULL, 0);
	ASSERT_EQ(0, rv) TH_LOG("nng_dial %s: %s", url, nng_strerror(rv));
	exchange(_metadata, fd, s);
	nng_close(s);
	close(fd);
}

TEST(pair_nng_binds_sp_dials)
{
	nng_listener l;
	nng_socket s;
	int fd, rv, port;

	ASSERT_EQ(0, nng_pair0_open(&s));
	ASSERT_EQ(0, nng_prep(s));
	rv = nng_listen(s, "tcp://127.0.0.1:0", &l, 0);
	ASSERT_EQ(0, rv) TH_LOG("nng_listen: %s", nng_strerror(rv));
	ASSERT_EQ(0, nng_listener_get_int(l, NNG_OPT_TCP_BOUND_PORT, &port));
	fd = sp_dial(SOCK_PAIR, port);
	ASSERT_LE(0, fd);
	sp_timeouts(_metadata, fd);
	exchange(_metadata, fd, s);
	nng_close(s);
	close(fd);
}

/*
 * An NNG REQ is no PAIR peer: its connection reaches sp, which refuses
 * the pipe in the handshake (SP_STATS counts it) and never sends.
 */
TEST(pair_refuses_nng_req)
{
	struct sp_stats st;
	uint16_t port;
	nng_socket s;
	int64_t end;
	int fd;

	fd = sp_listen_any(SOCK_PAIR, &port);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, nng_req0_open(&s));
	ASSERT_EQ(0, nng_dial_port(s, port, NNG_FLAG_NONBLOCK));
	/* The connection was made, and refused (NNG redials: maybe more). */
	end = sp_now_ms() + 10000;
	do {
		ASSERT_EQ(0, sp_stats(fd, &st));
		if (st.pipes_refused)
			break;
		usleep(20000);
	} while (sp_now_ms() < end);
	EXPECT_LE(1, st.pipes_refused) TH_LOG("no handshake ever reached the PAIR");
	EXPECT_EQ(0, sp_poll1(fd, POLLOUT, 1500));
	EXPECT_EQ(-1, send(fd, "x", 1, MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, sp_stats(fd, &st));
	/* No pipe ever came up: none was dropped after its handshake. */
	EXPECT_EQ(0, st.pipes_dropped);
	EXPECT_EQ(0, st.tx_msgs);
	EXPECT_EQ(0, st.rx_msgs);
	nng_close(s);
	close(fd);
}

/* A 64-byte message numbered @seq, @tag telling who made it. */
static void numbered(unsigned char m[64], uint32_t seq, unsigned char tag)
{
	memcpy(m, &seq, sizeof(seq));
	memset(m + 4, tag, 60);
}

static int is_numbered(const unsigned char *m, size_t len, uint32_t seq, unsigned char tag)
{
	unsigned char want[64];

	numbered(want, seq, tag);
	return len == 64 && !memcmp(m, want, 64);
}

/* The two ends of one run: each an sp fd or an NNG socket. */
struct end {
	int fd;			/* sp, or -1 */
	nng_socket s;		/* NNG when fd is -1 */
};

static int end_send(struct end *e, const void *m, size_t len)
{
	if (e->fd >= 0)
		return send(e->fd, m, len, 0) == (ssize_t)len ? 0 : -1;
	return nng_send(e->s, (void *)m, len, 0) ? -1 : 0;
}

static ssize_t end_recv(struct end *e, void *m, size_t room)
{
	if (e->fd >= 0)
		return recv(e->fd, m, room, 0);
	return nng_recv(e->s, m, &room, 0) ? -1 : (ssize_t)room;
}

/*
 * @n numbered messages from @c to @v in windows of @w, each window
 * answered by @v with its own numbering: every message arrives once and
 * in order, both ways.
 */
/* Receives on @e the message numbered @i and tagged @tag, or fails. */
static void expect_numbered(struct __test_metadata *_metadata, struct end *e, int i, char tag)
{
	unsigned char in[128];
	ssize_t len = end_recv(e, in, sizeof(in));

	ASSERT_TRUE(is_numbered(in, len, i, tag)) {
		TH_LOG("message %d '%c': got %zd B, number %u", i, tag, len,
		       len >= 4 ? *(uint32_t *)in : 0);
	}
}

static void windows(struct __test_metadata *_metadata, struct end *c, struct end *v, int n, int w)
{
	unsigned char m[64];
	int i, k;

	for (i = 0; i < n; i += w) {
		int cnt = n - i < w ? n - i : w;

		for (k = 0; k < cnt; k++) {
			numbered(m, i + k, 'c');
			ASSERT_EQ(0, end_send(c, m, 64)) TH_LOG("send %d", i + k);
		}
		for (k = 0; k < cnt; k++) {
			expect_numbered(_metadata, v, i + k, 'c');
			numbered(m, i + k, 'v');
			ASSERT_EQ(0, end_send(v, m, 64)) TH_LOG("answer %d", i + k);
		}
		for (k = 0; k < cnt; k++)
			expect_numbered(_metadata, c, i + k, 'v');
	}
}

/*
 * SP_NNG_MSGS numbered round trips between sp and NNG: an sp client
 * (type @ct) dialling an NNG server (@so), then an NNG client (@co)
 * dialling an sp server (@st); @w messages in flight at a time.
 */
static void in_order_with_nng(struct __test_metadata *_metadata, int st, int ct,
			      int (*so)(nng_socket *), int (*co)(nng_socket *), int w)
{
	int n = sp_env_long("SP_NNG_MSGS", 300), port;
	struct end c, v;
	uint16_t p;

	/* sp dials NNG. */
	v.fd = -1;
	ASSERT_EQ(0, so(&v.s));
	ASSERT_EQ(0, nng_prep(v.s));
	ASSERT_EQ(0, nng_listen_port(v.s, &port));
	c.fd = sp_dial(ct, port);
	ASSERT_LE(0, c.fd);
	sp_timeouts(_metadata, c.fd);
	windows(_metadata, &c, &v, n, w);
	close(c.fd);
	nng_close(v.s);

	/* NNG dials sp. */
	v.fd = sp_listen_any(st, &p);
	ASSERT_LE(0, v.fd);
	sp_timeouts(_metadata, v.fd);
	c.fd = -1;
	ASSERT_EQ(0, co(&c.s));
	ASSERT_EQ(0, nng_prep(c.s));
	ASSERT_EQ(0, nng_dial_port(c.s, p, 0));
	windows(_metadata, &c, &v, n, w);
	nng_close(c.s);
	close(v.fd);
}

TEST(pair_in_order_with_nng)
{
	in_order_with_nng(_metadata, SOCK_PAIR, SOCK_PAIR, nng_pair0_open, nng_pair0_open, 16);
}

/* An NNG REP that answers each request with the request plus one. */
struct nng_server {
	nng_socket s;
	int served, stop_after;
};

static void *nng_rep_main(void *arg)
{
	struct nng_server *sv = arg;

	while (!sv->stop_after || sv->served < sv->stop_after) {
		uint32_t q;
		size_t len = sizeof(q);

		if (nng_recv(sv->s, &q, &len, 0) || len != sizeof(q))
			break;
		q++;
		if (nng_send(sv->s, &q, sizeof(q), 0))
			break;
		sv->served++;
	}
	return NULL;
}

static int nng_rep_listen(nng_socket *s, int *port)
{
	if (nng_rep0_open(s) || nng_prep(*s))
		return -1;
	return nng_listen_port(*s, port);
}

static void sp_requests(struct __test_metadata *_metadata, int req, int n)
{
	uint32_t i;

	for (i = 0; i < (uint32_t)n; i++) {
		uint32_t a;

		ASSERT_EQ(sizeof(i), send(req, &i, sizeof(i), 0));
		ASSERT_EQ(sizeof(a), recv(req, &a, sizeof(a), 0)) {
			TH_LOG("request %u: %s", i, strerror(errno));
		}
		ASSERT_EQ(i + 1, a);
	}
}

FIXTURE(slow)
{
};

FIXTURE_SETUP(slow)
{
}

FIXTURE_TEARDOWN(slow)
{
}

/*
 * SP_NNG_ROUNDTRIPS round trips; 10k take about 40 s under TCG with KASAN
 * ('make stress').
 */
TEST_F_TIMEOUT(slow, reqrep_sp_req_nng_rep_many, 900)
{
	int n = sp_env_long("SP_NNG_ROUNDTRIPS", 500);
	struct nng_server sv = { 0 };
	pthread_t th;
	int port, req;
	int64_t t;

	ASSERT_EQ(0, nng_rep_listen(&sv.s, &port));
	ASSERT_EQ(0, pthread_create(&th, NULL, nng_rep_main, &sv));
	req = sp_dial(SOCK_REQ, port);
	ASSERT_LE(0, req);
	sp_timeouts(_metadata, req);
	t = sp_now_ms();
	sp_requests(_metadata, req, n);
	t = sp_now_ms() - t;
	TH_LOG("%d requests sp REQ -> NNG REP: %lld ms", n, (long long)t);
	close(req);
	nng_close(sv.s);
	pthread_join(th, NULL);
	EXPECT_EQ(n, sv.served);
}

TEST(reqrep_sp_req_binds_nng_rep_dials)
{
	struct nng_server sv = { 0 };
	uint16_t port;
	pthread_t th;
	int req;

	req = sp_listen_any(SOCK_REQ, &port);
	ASSERT_LE(0, req);
	sp_timeouts(_metadata, req);
	ASSERT_EQ(0, nng_rep0_open(&sv.s));
	ASSERT_EQ(0, nng_prep(sv.s));
	ASSERT_EQ(0, nng_dial_port(sv.s, port, 0));
	ASSERT_EQ(0, pthread_create(&th, NULL, nng_rep_main, &sv));
	sp_requests(_metadata, req, 100);
	close(req);
	nng_close(sv.s);
	pthread_join(th, NULL);
}

/* NNG REQ against an sp REP, each side binding in turn. */
static void nng_requests(struct __test_metadata *_metadata, nng_socket s, int rep, int n)
{
	uint32_t i;

	for (i = 0; i < (uint32_t)n; i++) {
		uint32_t q, a;
		size_t len = sizeof(a);

		ASSERT_EQ(0, nng_send(s, &i, sizeof(i), 0));
		ASSERT_EQ(sizeof(q), recv(rep, &q, sizeof(q), 0));
		ASSERT_EQ(i, q);
		q += 7;
		ASSERT_EQ(sizeof(q), send(rep, &q, sizeof(q), 0));
		ASSERT_EQ(0, nng_recv(s, &a, &len, 0));
		ASSERT_EQ(i + 7, a);
	}
}

TEST(reqrep_nng_req_sp_rep)
{
	uint16_t port;
	nng_socket s;
	int rep;

	rep = sp_listen_any(SOCK_REP, &port);
	ASSERT_LE(0, rep);
	sp_timeouts(_metadata, rep);
	ASSERT_EQ(0, nng_req0_open(&s));
	ASSERT_EQ(0, nng_prep(s));
	ASSERT_EQ(0, nng_dial_port(s, port, 0));
	nng_requests(_metadata, s, rep, 200);
	nng_close(s);
	close(rep);
}

TEST(reqrep_nng_req_binds_sp_rep_dials)
{
	nng_socket s;
	int port, rep;

	ASSERT_EQ(0, nng_req0_open(&s));
	ASSERT_EQ(0, nng_prep(s));
	ASSERT_EQ(0, nng_listen_port(s, &port));
	rep = sp_dial(SOCK_REP, port);
	ASSERT_LE(0, rep);
	sp_timeouts(_metadata, rep);
	nng_requests(_metadata, s, rep, 200);
	nng_close(s);
	close(rep);
}

/* IPv6: sp REP on [::1] with an NNG REQ dialing tcp://[::1]:port. */
TEST(reqrep_nng_req_sp_rep_ipv6)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	socklen_t len = sizeof(a);
	char url[64];
	nng_socket s;
	int rep, rv;

	rep = socket(AF_SP, SOCK_REP, 0);
	ASSERT_LE(0, rep);
	ASSERT_EQ(0, bind(rep, (struct sockaddr *)&a, sizeof(a)));
	ASSERT_EQ(0, getsockname(rep, (struct sockaddr *)&a, &len));
	sp_timeouts(_metadata, rep);
	ASSERT_EQ(0, nng_req0_open(&s));
	ASSERT_EQ(0, nng_prep(s));
	snprintf(url, sizeof(url), "tcp://[::1]:%u", ntohs(a.sin6_port));
	rv = nng_dial(s, url, NULL, 0);
	ASSERT_EQ(0, rv) TH_LOG("nng_dial %s: %s", url, nng_strerror(rv));
	nng_requests(_metadata, s, rep, 50);
	nng_close(s);
	close(rep);
}

/* IPv6: NNG REP listening on tcp://[::1]:0, an sp REQ dialing it. */
TEST(reqrep_sp_req_nng_rep_ipv6)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct nng_server sv = { 0 };
	nng_listener l;
	pthread_t th;
	int req, rv, port;

	ASSERT_EQ(0, nng_rep0_open(&sv.s));
	ASSERT_EQ(0, nng_prep(sv.s));
	rv = nng_listen(sv.s, "tcp://[::1]:0", &l, 0);
	ASSERT_EQ(0, rv) TH_LOG("nng_listen: %s", nng_strerror(rv));
	ASSERT_EQ(0, nng_listener_get_int(l, NNG_OPT_TCP_BOUND_PORT, &port));
	ASSERT_EQ(0, pthread_create(&th, NULL, nng_rep_main, &sv));
	req = socket(AF_SP, SOCK_REQ, 0);
	ASSERT_LE(0, req);
	sp_timeouts(_metadata, req);
	a.sin6_port = htons(port);
	ASSERT_EQ(0, connect(req, (struct sockaddr *)&a, sizeof(a)));
	sp_requests(_metadata, req, 50);
	close(req);
	nng_close(sv.s);
	pthread_join(th, NULL);
}

TEST(reqrep_nng_rep_restarts)
{
	struct nng_server sv = { .stop_after = 50 };
	char url[64];
	nng_listener l;
	pthread_t th;
	int port, req, ivl = 500;
	uint32_t q = 1000, a;

	ASSERT_EQ(0, nng_rep_listen(&sv.s, &port));
	ASSERT_EQ(0, pthread_create(&th, NULL, nng_rep_main, &sv));
	req = sp_dial(SOCK_REQ, port);
	ASSERT_LE(0, req);
	sp_timeouts(_metadata, req);
	ASSERT_EQ(0, setsockopt(req, SOL_SP, SP_RESEND_IVL, &ivl, sizeof(ivl)));
	sp_requests(_metadata, req, 50);
	pthread_join(th, NULL);
	nng_close(sv.s);
	/* The REP is gone; a request goes out into nothing... */
	ASSERT_EQ(sizeof(q), send(req, &q, sizeof(q), 0));
	/* ...and a new REP on the same port answers it. */
	sv = (struct nng_server){ 0 };
	ASSERT_EQ(0, nng_rep0_open(&sv.s));
	ASSERT_EQ(0, nng_prep(sv.s));
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", port);
	ASSERT_EQ(0, nng_listen(sv.s, url, &l, 0));
	ASSERT_EQ(0, pthread_create(&th, NULL, nng_rep_main, &sv));
	ASSERT_EQ(sizeof(a), recv(req, &a, sizeof(a), 0)) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(q + 1, a);
	close(req);
	nng_close(sv.s);
	pthread_join(th, NULL);
}

TEST(reqrep_nng_rep_killed_holding_request)
{
	nng_socket r1, r2;
	int p1, p2, req, ivl = 60000;
	struct sockaddr_in sin;
	uint32_t q = 42, got, a;
	size_t len = sizeof(got);
	nng_socket holder, other;

	ASSERT_EQ(0, nng_rep_listen(&r1, &p1));
	ASSERT_EQ(0, nng_rep_listen(&r2, &p2));
	req = socket(PF_SP, SOCK_REQ, 0);
	ASSERT_LE(0, req);
	sp_timeouts(_metadata, req);
	ASSERT_EQ(0, setsockopt(req, SOL_SP, SP_RESEND_IVL, &ivl, sizeof(ivl)));
	sin = sp_loopback(p1);
	ASSERT_EQ(0, connect(req, (struct sockaddr *)&sin, sizeof(sin)));
	sin = sp_loopback(p2);
	ASSERT_EQ(0, connect(req, (struct sockaddr *)&sin, sizeof(sin)));
	usleep(500000);
	ASSERT_EQ(sizeof(q), send(req, &q, sizeof(q), 0));
	nng_socket_set_ms(r1, NNG_OPT_RECVTIMEO, 1000);
	if (nng_recv(r1, &got, &len, 0) == 0) {
		holder = r1;
		other = r2;
	} else {
		len = sizeof(got);
		ASSERT_EQ(0, nng_recv(r2, &got, &len, 0));
		holder = r2;
		other = r1;
	}
	EXPECT_EQ(q, got);
	nng_close(holder);	/* killed while holding the request */
	nng_socket_set_ms(other, NNG_OPT_RECVTIMEO, 10000);
	len = sizeof(got);
	ASSERT_EQ(0, nng_recv(other, &got, &len, 0));
	EXPECT_EQ(q, got);
	got++;
	ASSERT_EQ(0, nng_send(other, &got, sizeof(got), 0));
	ASSERT_EQ(sizeof(a), recv(req, &a, sizeof(a), 0));
	EXPECT_EQ(q + 1, a);
	nng_close(other);
	close(req);
}

/*
 * PUB/SUB with NNG: publish until the subscriber sees a message (the
 * connection is up), then check a run of messages arrives in order.
 */
static void pubsub_check(struct __test_metadata *_metadata, int sp_is_pub, int pubfd,
			 nng_socket s, int subfd)
{
	uint32_t i, v;
	size_t len;
	int up = 0;

	for (i = 0; i < 200 && !up; i++) {
		uint32_t probe = 0xffffffff;

		if (sp_is_pub)
			send(pubfd, &probe, sizeof(probe), 0);
		else
			nng_send(s, &probe, sizeof(probe), 0);
		usleep(20000);
		len = sizeof(v);
		if (sp_is_pub)
			up = nng_recv(s, &v, &len, NNG_FLAG_NONBLOCK) == 0;
		else
			up = recv(subfd, &v, sizeof(v), MSG_DONTWAIT) == sizeof(v);
	}
	ASSERT_TRUE(up) TH_LOG("the subscriber never connected");
	usleep(100000);
	/* Drain probes. */
	for (;;) {
		len = sizeof(v);
		if (sp_is_pub ? nng_recv(s, &v, &len, NNG_FLAG_NONBLOCK) != 0 :
				recv(subfd, &v, sizeof(v), MSG_DONTWAIT) < 0)
			break;
	}
	for (i = 0; i < 100; i++) {
		if (sp_is_pub) {
			ASSERT_EQ(sizeof(i), send(pubfd, &i, sizeof(i), 0));
		} else {
			ASSERT_EQ(0, nng_send(s, &i, sizeof(i), 0));
		}
		len = sizeof(v);
		if (sp_is_pub) {
			ASSERT_EQ(0, nng_recv(s, &v, &len, 0));
		} else {
			ASSERT_EQ(sizeof(v), recv(subfd, &v, sizeof(v), 0));
		}
		ASSERT_EQ(i, v);
	}
}

TEST(pubsub_sp_pub_binds_nng_sub)
{
	uint16_t port;
	nng_socket s;
	int pub;

	pub = sp_listen_any(SOCK_PUB, &port);
	ASSERT_LE(0, pub);
	ASSERT_EQ(0, nng_sub0_open(&s));
	ASSERT_EQ(0, nng_prep(s));
	ASSERT_EQ(0, nng_socket_set(s, NNG_OPT_SUB_SUBSCRIBE, "", 0));
	ASSERT_EQ(0, nng_dial_port(s, port, 0));
	pubsub_check(_metadata, 1, pub, s, -1);
	nng_close(s);
	close(pub);
}

TEST(pubsub_nng_sub_binds_sp_pub_dials)
{
	nng_socket s;
	int port, pub;

	ASSERT_EQ(0, nng_sub0_open(&s));
	ASSERT_EQ(0, nng_prep(s));
	ASSERT_EQ(0, nng_socket_set(s, NNG_OPT_SUB_SUBSCRIBE, "", 0));
	ASSERT_EQ(0, nng_listen_port(s, &port));
	pub = sp_dial(SOCK_PUB, port);
	ASSERT_LE(0, pub);
	pubsub_check(_metadata, 1, pub, s, -1);
	nng_close(s);
	close(pub);
}

TEST(pubsub_nng_pub_sp_sub_dials)
{
	nng_socket s;
	int port, sub;

	ASSERT_EQ(0, nng_pub0_open(&s));
	ASSERT_EQ(0, nng_listen_port(s, &port));
	sub = sp_dial(SOCK_SUB, port);
	ASSERT_LE(0, sub);
	ASSERT_EQ(0, setsockopt(sub, SOL_SP, SP_SUBSCRIBE, "", 0));
	sp_timeouts(_metadata, sub);
	pubsub_check(_metadata, 0, -1, s, sub);
	nng_close(s);
	close(sub);
}

TEST(pubsub_sp_sub_binds_nng_pub_dials)
{
	uint16_t port;
	nng_socket s;
	int sub;

	sub = sp_listen_any(SOCK_SUB, &port);
	ASSERT_LE(0, sub);
	ASSERT_EQ(0, setsockopt(sub, SOL_SP, SP_SUBSCRIBE, "", 0));
	sp_timeouts(_metadata, sub);
	ASSERT_EQ(0, nng_pub0_open(&s));
	ASSERT_EQ(0, nng_dial_port(s, port, 0));
	pubsub_check(_metadata, 0, -1, s, sub);
	nng_close(s);
	close(sub);
}

/* One sp PUB, SP_NNG_SUBS NNG SUBs with different prefixes. */
TEST(pubsub_fanout_nng_subs)
{
	int nsubs = sp_env_long("SP_NNG_SUBS", 8), pub, i, round;
	nng_socket *subs = calloc(nsubs, sizeof(*subs));
	char url[64], topic[16], buf[64];
	uint16_t port;

	ASSERT_NE(NULL, subs);
	ASSERT_LE(2, nsubs);
	pub = sp_listen_any(SOCK_PUB, &port);
	ASSERT_LE(0, pub);
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%u", port);
	for (i = 0; i < nsubs; i++) {
		ASSERT_EQ(0, nng_sub0_open(&subs[i]));
		ASSERT_EQ(0, nng_prep(subs[i]));
		snprintf(topic, sizeof(topic), "t%03d:", i);
		ASSERT_EQ(0, nng_socket_set(subs[i], NNG_OPT_SUB_SUBSCRIBE, topic, 5));
		ASSERT_EQ(0, nng_socket_set(subs[i], NNG_OPT_SUB_SUBSCRIBE, "\xff", 1));
		ASSERT_EQ(0, nng_dial(subs[i], url, NULL, 0));
	}
	/* Probe until every SUB is connected. */
	for (i = 0; i < nsubs; i++) {
		size_t len;
		int up = 0, k;

		for (k = 0; k < 200 && !up; k++) {
			send(pub, "\xff", 1, 0);
			usleep(10000);
			len = sizeof(buf);
			up = nng_recv(subs[i], buf, &len, NNG_FLAG_NONBLOCK) == 0;
		}
		ASSERT_TRUE(up) TH_LOG("SUB %d never connected", i);
	}
	usleep(200000);
	for (i = 0; i < nsubs; i++) {
		size_t len = sizeof(buf);

		while (nng_recv(subs[i], buf, &len, NNG_FLAG_NONBLOCK) == 0)
			len = sizeof(buf);
		ASSERT_EQ(0, nng_socket_set(subs[i], NNG_OPT_SUB_UNSUBSCRIBE, "\xff", 1));
	}
	for (round = 0; round < 3; round++) {
		for (i = 0; i < nsubs; i++) {
			snprintf(buf, sizeof(buf), "t%03d:%d", i, round);
			ASSERT_EQ(strlen(buf), send(pub, buf, strlen(buf), 0));
		}
		/* Each SUB gets its own topic's message, and only that. */
		for (i = 0; i < nsubs; i++) {
			char want[16], got[64];
			size_t len = sizeof(got) - 1;

			ASSERT_EQ(0, nng_recv(subs[i], got, &len, 0));
			got[len] = 0;
			snprintf(want, sizeof(want), "t%03d:%d", i, round);
			EXPECT_STREQ(want, got);
		}
	}
	for (i = 0; i < nsubs; i++) {
		size_t len = sizeof(buf);

		EXPECT_NE(0, nng_recv(subs[i], buf, &len, NNG_FLAG_NONBLOCK));
		nng_close(subs[i]);
	}
	close(pub);
	free(subs);
}

/*
 * @n 64-byte numbered messages one way, @tx to @rx, in bursts of @w: each
 * burst fits the queues on the way, so every message arrives, once and in
 * order (PUB -> SUB, PUSH -> PULL).
 */
static void bursts(struct __test_metadata *_metadata, struct end *tx, struct end *rx,
		   int n, int w)
{
	int i, k;

	for (i = 0; i < n; i += w) {
		int cnt = n - i < w ? n - i : w;
		unsigned char m[64];

		for (k = 0; k < cnt; k++) {
			numbered(m, i + k, 'p');
			ASSERT_EQ(0, end_send(tx, m, 64)) TH_LOG("send %d", i + k);
		}
		for (k = 0; k < cnt; k++)
			expect_numbered(_metadata, rx, i + k, 'p');
	}
}

/* Publishes probes on @pub until @sub gets one, then drains @sub. */
static int wait_subscribed(struct end *pub, struct end *sub)
{
	unsigned char buf[128];
	int i, up = 0;

	for (i = 0; i < 200 && !up; i++) {
		size_t len = sizeof(buf);

		end_send(pub, "p", 1);
		usleep(20000);
		if (sub->fd >= 0)
			up = recv(sub->fd, buf, sizeof(buf), MSG_DONTWAIT) > 0;
		else
			up = nng_recv(sub->s, buf, &len, NNG_FLAG_NONBLOCK) == 0;
	}
	usleep(100000);
	for (;;) {
		size_t len = sizeof(buf);

		if (sub->fd >= 0 ? recv(sub->fd, buf, sizeof(buf), MSG_DONTWAIT) < 0 :
				   nng_recv(sub->s, buf, &len, NNG_FLAG_NONBLOCK) != 0)
			break;
	}
	return up;
}

/*
 * sp PUB to NNG SUB and NNG PUB to sp SUB, SP_NNG_MSGS * 4 messages; 'make
 * stress' sends 24000 messages: more than the harness's 30 s.
 */
TEST_F_TIMEOUT(slow, pubsub_bursts_in_order_with_nng, 900)
{
	struct end pub, sub;
	uint16_t port;
	int nport;

	/* sp PUB binds, NNG SUB dials. */
	pub.fd = sp_listen_any(SOCK_PUB, &port);
	ASSERT_LE(0, pub.fd);
	sp_timeouts(_metadata, pub.fd);
	ASSERT_EQ(0, setsockopt(pub.fd, SOL_SP, SP_SNDBUF, &(int){ 1024 }, sizeof(int)));
	sub.fd = -1;
	ASSERT_EQ(0, nng_sub0_open(&sub.s));
	ASSERT_EQ(0, nng_prep(sub.s));
	ASSERT_EQ(0, nng_socket_set_int(sub.s, NNG_OPT_RECVBUF, 1024));
	ASSERT_EQ(0, nng_socket_set(sub.s, NNG_OPT_SUB_SUBSCRIBE, "", 0));
	ASSERT_EQ(0, nng_dial_port(sub.s, port, 0));
	ASSERT_TRUE(wait_subscribed(&pub, &sub)) TH_LOG("the NNG SUB never connected");
	bursts(_metadata, &pub, &sub, 4 * sp_env_long("SP_NNG_MSGS", 300), 256);
	nng_close(sub.s);
	close(pub.fd);

	/* NNG PUB binds, sp SUB dials. */
	pub.fd = -1;
	ASSERT_EQ(0, nng_pub0_open(&pub.s));
	ASSERT_EQ(0, nng_socket_set_int(pub.s, NNG_OPT_SENDBUF, 1024));
	ASSERT_EQ(0, nng_listen_port(pub.s, &nport));
	sub.fd = sp_dial(SOCK_SUB, nport);
	ASSERT_LE(0, sub.fd);
	sp_timeouts(_metadata, sub.fd);
	ASSERT_EQ(0, setsockopt(sub.fd, SOL_SP, SP_RCVBUF, &(int){ 1024 }, sizeof(int)));
	ASSERT_EQ(0, setsockopt(sub.fd, SOL_SP, SP_SUBSCRIBE, "", 0));
	ASSERT_TRUE(wait_subscribed(&pub, &sub)) TH_LOG("the sp SUB never connected");
	bursts(_metadata, &pub, &sub, 4 * sp_env_long("SP_NNG_MSGS", 300), 256);
	close(sub.fd);
	nng_close(pub.s);
}

/* 16 concurrent NNG REQ sockets against one sp REP. */
struct nng_client {
	int port, id, ok;
};

static void *nng_client_main(void *arg)
{
	struct nng_client *c = arg;
	char url[64];
	nng_socket s;
	int i;

	if (nng_req0_open(&s) || nng_prep(s))
		return NULL;
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", c->port);
	if (nng_dial(s, url, NULL, 0)) {
		nng_close(s);
		return NULL;
	}
	for (i = 0; i < 20; i++) {
		uint32_t q = c->id * 1000 + i, a;
		size_t len = sizeof(a);

		if (nng_send(s, &q, sizeof(q), 0) || nng_recv(s, &a, &len, 0) ||
		    len != sizeof(a) || a != q + 1)
			break;
	}
	c->ok = i == 20;
	nng_close(s);
	return NULL;
}

TEST(reqrep_16_nng_reqs_one_sp_rep)
{
	struct nng_client c[16];
	pthread_t th[16];
	uint16_t port;
	int rep, i, n;

	rep = sp_listen_any(SOCK_REP, &port);
	ASSERT_LE(0, rep);
	sp_timeouts(_metadata, rep);
	for (i = 0; i < 16; i++) {
		c[i] = (struct nng_client){ .port = port, .id = i };
		ASSERT_EQ(0, pthread_create(&th[i], NULL, nng_client_main, &c[i]));
	}
	n = sp_serve_increments(rep, 16 * 20);
	EXPECT_EQ(16 * 20, n) TH_LOG("served %d requests", n);
	for (i = 0; i < 16; i++) {
		pthread_join(th[i], NULL);
		EXPECT_TRUE(c[i].ok) TH_LOG("NNG client %d failed", i);
	}
	close(rep);
}

TEST(reqrep_in_order_with_nng)
{
	in_order_with_nng(_metadata, SOCK_REP, SOCK_REQ, nng_rep0_open, nng_req0_open, 1);
}

/*
 * PUSH/PULL: a run of SP_NNG_MSGS numbered messages from one pusher to one
 * puller arrives whole and in order, sp binding and then dialling.
 */
static void pipeline_one_pair(struct __test_metadata *_metadata, int sp_pushes, int sp_binds)
{
	struct end push, pull, *sp_end = sp_pushes ? &push : &pull;
	struct end *nng_end = sp_pushes ? &pull : &push;
	int port;
	uint16_t p;

	nng_end->fd = -1;
	ASSERT_EQ(0, (sp_pushes ? nng_pull0_open : nng_push0_open)(&nng_end->s));
	ASSERT_EQ(0, nng_prep(nng_end->s));
	if (sp_binds) {
		sp_end->fd = sp_listen_any(sp_pushes ? SOCK_PUSH : SOCK_PULL, &p);
		ASSERT_LE(0, sp_end->fd);
		ASSERT_EQ(0, nng_dial_port(nng_end->s, p, 0));
	} else {
		ASSERT_EQ(0, nng_listen_port(nng_end->s, &port));
		sp_end->fd = sp_dial(sp_pushes ? SOCK_PUSH : SOCK_PULL, port);
		ASSERT_LE(0, sp_end->fd);
	}
	sp_timeouts(_metadata, sp_end->fd);
	/* Each end does one thing only. */
	if (sp_pushes) {
		char c;

		EXPECT_EQ(-1, recv(push.fd, &c, 1, MSG_DONTWAIT));
		EXPECT_EQ(EOPNOTSUPP, errno);
	} else {
		EXPECT_EQ(-1, send(pull.fd, "x", 1, MSG_DONTWAIT));
		EXPECT_EQ(EOPNOTSUPP, errno);
	}
	/* The first send waits for the pipe; bursts fit SP_SNDBUF/SP_RCVBUF. */
	bursts(_metadata, &push, &pull, sp_env_long("SP_NNG_MSGS", 300), 32);
	close(sp_end->fd);
	nng_close(nng_end->s);
}

TEST(pipeline_sp_push_nng_pull)
{
	pipeline_one_pair(_metadata, 1, 1);
	pipeline_one_pair(_metadata, 1, 0);
}

TEST(pipeline_nng_push_sp_pull)
{
	pipeline_one_pair(_metadata, 0, 1);
	pipeline_one_pair(_metadata, 0, 0);
}

/* Receives whatever @s has now; -1 if nothing. */
static ssize_t nng_try_recv(nng_socket s, void *buf, size_t room)
{
	return nng_recv(s, buf, &room, NNG_FLAG_NONBLOCK) ? -1 : (ssize_t)room;
}

/*
 * One sp PUSH, two NNG PULLs dialling it. Probes (tagged 'p') go out until
 * each puller has had one, so both pipes are up; then 100 messages tagged
 * 'm' are shared between the pullers: each gets some, in order, and every
 * message arrives exactly once, probes included.
 */
TEST(pipeline_sp_push_two_nng_pulls)
{
	int n = 100, probes = 0, probes_got = 0, got[2] = { 0 }, last[2] = { -1, -1 };
	unsigned char m[64], in[128], seen[100] = { 0 };
	nng_socket pull[2];
	int64_t end;
	uint16_t port;
	int push, i, k;

	push = sp_listen_any(SOCK_PUSH, &port);
	ASSERT_LE(0, push);
	sp_timeouts(_metadata, push);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, nng_pull0_open(&pull[i]));
		ASSERT_EQ(0, nng_prep(pull[i]));
		ASSERT_EQ(0, nng_dial_port(pull[i], port, 0));
	}
	for (k = 0; k < 500 && (!got[0] || !got[1]); k++) {
		numbered(m, probes++, 'p');
		ASSERT_EQ(64, send(push, m, 64, 0));
		usleep(10000);
		for (i = 0; i < 2; i++) {
			ssize_t len;

			while ((len = nng_try_recv(pull[i], in, sizeof(in))) >= 0) {
				ASSERT_TRUE(len == 64 && in[4] == 'p') TH_LOG("not a probe");
				got[i] = 1;
				probes_got++;
			}
		}
	}
	ASSERT_TRUE(got[0] && got[1]) TH_LOG("a puller never connected");
	/* The probes still on their way. */
	end = sp_now_ms() + 10000;
	while (probes_got < probes && sp_now_ms() < end) {
		for (i = 0; i < 2; i++)
			while (nng_try_recv(pull[i], in, sizeof(in)) == 64)
				probes_got++;
		usleep(1000);
	}
	ASSERT_EQ(probes, probes_got);

	got[0] = got[1] = 0;
	for (k = 0; k < n; k++) {
		numbered(m, k, 'm');
		ASSERT_EQ(64, send(push, m, 64, 0)) TH_LOG("send %d: %s", k, strerror(errno));
	}
	end = sp_now_ms() + 10000;
	while (got[0] + got[1] < n && sp_now_ms() < end) {
		for (i = 0; i < 2; i++) {
			ssize_t len = nng_try_recv(pull[i], in, sizeof(in));
			uint32_t seq;

			if (len < 0)
				continue;
			memcpy(&seq, in, sizeof(seq));
			ASSERT_TRUE(seq < (uint32_t)n && is_numbered(in, len, seq, 'm')) {
				TH_LOG("puller %d: %zd B, number %u", i, len, seq);
			}
			ASSERT_EQ(0, seen[seq]) TH_LOG("message %u twice", seq);
			ASSERT_LT(last[i], (int)seq) TH_LOG("puller %d: %u after %d", i, seq, last[i]);
			seen[seq] = 1;
			last[i] = seq;
			got[i]++;
		}
		usleep(500);
	}
	TH_LOG("pullers got %d and %d", got[0], got[1]);
	EXPECT_EQ(n, got[0] + got[1]);
	EXPECT_LE(1, got[0]);
	EXPECT_LE(1, got[1]);
	/* Nothing more. */
	usleep(300000);
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(-1, nng_try_recv(pull[i], in, sizeof(in)));
		nng_close(pull[i]);
	}
	close(push);
}

/*
 * Two NNG PUSHes dialling one sp PULL, their sends interleaved: the PULL
 * receives both streams whole, each in order, and nothing else.
 */
TEST(pipeline_two_nng_pushes_sp_pull)
{
	int n = 50, next[2] = { 0 }, i, k;
	unsigned char m[64], in[128];
	nng_socket push[2];
	uint16_t port;
	int pull;

	pull = sp_listen_any(SOCK_PULL, &port);
	ASSERT_LE(0, pull);
	sp_timeouts(_metadata, pull);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, nng_push0_open(&push[i]));
		ASSERT_EQ(0, nng_prep(push[i]));
		ASSERT_EQ(0, nng_dial_port(push[i], port, 0));
	}
	/* NNG's send waits for its pipe; 2 * 50 messages fit SP_RCVBUF. */
	for (k = 0; k < n; k++)
		for (i = 0; i < 2; i++) {
			numbered(m, k, 'a' + i);
			ASSERT_EQ(0, nng_send(push[i], m, 64, 0)) TH_LOG("pusher %d, %d", i, k);
		}
	for (k = 0; k < 2 * n; k++) {
		ssize_t len = recv(pull, in, sizeof(in), 0);

		ASSERT_EQ(64, len) TH_LOG("message %d: %s", k, strerror(errno));
		i = in[4] - 'a';
		ASSERT_TRUE(i == 0 || i == 1) TH_LOG("message %d: tag %d", k, in[4]);
		ASSERT_TRUE(is_numbered(in, len, next[i], 'a' + i)) {
			TH_LOG("pusher %d: expected %d, got %u", i, next[i], *(uint32_t *)in);
		}
		next[i]++;
	}
	EXPECT_EQ(n, next[0]);
	EXPECT_EQ(n, next[1]);
	usleep(300000);
	EXPECT_EQ(-1, recv(pull, in, sizeof(in), MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	for (i = 0; i < 2; i++)
		nng_close(push[i]);
	close(pull);
}

/*
 * SURVEYOR/RESPONDENT. Three respondents answer each survey with
 * "<their number>:<the survey>"; an answer is checked against the survey
 * it must belong to, and each respondent may answer once.
 */
#define SURVEY_RESPONDENTS	3
/* The deadline of a checked survey: long for TCG, and its end is timed. */
#define SURVEY_MS		4000

/* Whether @a (@len bytes) is respondent k's answer to @q: k to *@k. */
static int is_answer(const char *a, ssize_t len, const char *q, int *k)
{
	char want[64];

	if (len < 2 || a[0] < '0' || a[0] >= '0' + SURVEY_RESPONDENTS)
		return 0;
	*k = a[0] - '0';
	snprintf(want, sizeof(want), "%d:%s", *k, q);
	return len == (ssize_t)strlen(want) && !memcmp(a, want, len);
}

/* An NNG RESPONDENT answering every survey until it is closed. */
struct nng_respondent {
	nng_socket s;
	int id;
};

static void *nng_respondent_main(void *arg)
{
	struct nng_respondent *r = arg;

	for (;;) {
		char q[64], a[80];
		size_t len = sizeof(q) - 1;

		if (nng_recv(r->s, q, &len, 0))
			break;
		q[len] = 0;
		snprintf(a, sizeof(a), "%d:%s", r->id, q);
		if (nng_send(r->s, a, strlen(a), 0))
			break;
	}
	return NULL;
}

/*
 * Sends survey @q on sp SURVEYOR @surv and receives until ETIMEDOUT;
 * returns how many respondents answered @q. Answers to anything else, or
 * a second answer from one respondent, fail.
 */
static int sp_survey(struct __test_metadata *_metadata, int surv, const char *q)
{
	char seen[SURVEY_RESPONDENTS] = { 0 }, a[128];
	int n = 0, k;

	ASSERT_EQ(strlen(q), send(surv, q, strlen(q), 0)) TH_LOG("%s", strerror(errno));
	for (;;) {
		ssize_t len = recv(surv, a, sizeof(a), 0);

		if (len < 0)
			break;
		ASSERT_TRUE(is_answer(a, len, q, &k)) TH_LOG("%.*s to %s", (int)len, a, q);
		ASSERT_EQ(0, seen[k]) TH_LOG("respondent %d answered %s twice", k, q);
		seen[k] = 1;
		n++;
	}
	ASSERT_EQ(ETIMEDOUT, errno) TH_LOG("survey %s: %s", q, strerror(errno));
	return n;
}

/*
 * One sp SURVEYOR and three NNG RESPONDENTs, sp binding (they dial it) or
 * dialling each. Probe surveys with the default deadline run until one
 * reaches all three; then an abandoned survey and a checked one: only the
 * checked one's three answers arrive, recv() fails with ETIMEDOUT once
 * SP_SURVEYOR_DEADLINE has passed, and then with EINVAL (no survey).
 */
static void survey_sp_surveyor(struct __test_metadata *_metadata, int sp_binds)
{
	struct nng_respondent r[SURVEY_RESPONDENTS];
	pthread_t th[SURVEY_RESPONDENTS];
	int surv, i, k, n = 0, ms;
	uint16_t port = 0;
	char q[32], a[64];
	int64_t t;

	if (sp_binds) {
		surv = sp_listen_any(SOCK_SURVEYOR, &port);
	} else {
		surv = socket(PF_SP, SOCK_SURVEYOR, 0);
	}
	ASSERT_LE(0, surv);
	sp_timeouts(_metadata, surv);
	for (i = 0; i < SURVEY_RESPONDENTS; i++) {
		int p;

		r[i].id = i;
		ASSERT_EQ(0, nng_respondent0_open(&r[i].s));
		ASSERT_EQ(0, nng_prep(r[i].s));
		ASSERT_EQ(0, nng_socket_set_ms(r[i].s, NNG_OPT_RECVTIMEO, NNG_DURATION_INFINITE));
		if (sp_binds) {
			ASSERT_EQ(0, nng_dial_port(r[i].s, port, NNG_FLAG_NONBLOCK));
		} else {
			ASSERT_EQ(0, nng_listen_port(r[i].s, &p));
			ASSERT_EQ(0, sp_connect_port(surv, p));
		}
		ASSERT_EQ(0, pthread_create(&th[i], NULL, nng_respondent_main, &r[i]));
	}
	/* No survey yet; the deadline's default. */
	EXPECT_EQ(-1, recv(surv, a, sizeof(a), MSG_DONTWAIT));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, sp_getsockopt_int(surv, SP_SURVEYOR_DEADLINE, &ms));
	EXPECT_EQ(1000, ms);

	for (k = 0; k < 20 && n < SURVEY_RESPONDENTS; k++) {
		snprintf(q, sizeof(q), "probe%d", k);
		n = sp_survey(_metadata, surv, q);
	}
	ASSERT_EQ(SURVEY_RESPONDENTS, n) TH_LOG("the respondents never all connected");

	ASSERT_EQ(0, sp_setsockopt_int(surv, SP_SURVEYOR_DEADLINE, SURVEY_MS));
	ASSERT_EQ(0, sp_getsockopt_int(surv, SP_SURVEYOR_DEADLINE, &ms));
	EXPECT_EQ(SURVEY_MS, ms);
	/* The respondents answer "abandoned" too; those answers are dropped. */
	ASSERT_EQ(9, send(surv, "abandoned", 9, 0));
	t = sp_now_ms();
	EXPECT_EQ(SURVEY_RESPONDENTS, sp_survey(_metadata, surv, "q"));
	t = sp_now_ms() - t;
	EXPECT_LE(SURVEY_MS - 50, t) TH_LOG("ETIMEDOUT after %lld ms", (long long)t);
	EXPECT_GT(SURVEY_MS + 5000, t) TH_LOG("ETIMEDOUT after %lld ms", (long long)t);
	/* The survey is over. */
	EXPECT_EQ(-1, recv(surv, a, sizeof(a), MSG_DONTWAIT));
	EXPECT_EQ(EINVAL, errno);

	for (i = 0; i < SURVEY_RESPONDENTS; i++) {
		nng_close(r[i].s);
		pthread_join(th[i], NULL);
	}
	close(surv);
}

/* Probe rounds of up to 20 s, then the checked survey. */
TEST_F_TIMEOUT(slow, survey_sp_surveyor_binds_nng_respondents_dial, 120)
{
	survey_sp_surveyor(_metadata, 1);
}

TEST_F_TIMEOUT(slow, survey_sp_surveyor_dials_nng_respondents, 120)
{
	survey_sp_surveyor(_metadata, 0);
}

/*
 * Each sp RESPONDENT answers the last survey it holds, if any: probes
 * may pile up while pipes come up. Returns the last survey's text in @q,
 * or an empty string if nothing came within @ms.
 */
static void sp_respond(struct __test_metadata *_metadata, int fd, int k, char q[64], int ms)
{
	char a[80];
	ssize_t len;

	q[0] = 0;
	if (!(sp_poll1(fd, POLLIN, ms) & POLLIN))
		return;
	while ((len = recv(fd, q, 63, MSG_DONTWAIT)) >= 0)
		q[len] = 0;
	ASSERT_EQ(EAGAIN, errno);
	ASSERT_NE(0, q[0]);
	snprintf(a, sizeof(a), "%d:%s", k, q);
	ASSERT_EQ(strlen(a), send(fd, a, strlen(a), 0)) TH_LOG("%s", strerror(errno));
	/* One answer per survey. */
	EXPECT_EQ(-1, send(fd, a, strlen(a), MSG_DONTWAIT));
	EXPECT_EQ(EINVAL, errno);
}

/*
 * Receives answers to @q on NNG SURVEYOR @s until its survey ends; returns
 * how many respondents answered. The checked survey must end with
 * NNG_ETIMEDOUT (a receive was waiting); a probe may also find its survey
 * already over (NNG_ESTATE).
 */
static int nng_answers(struct __test_metadata *_metadata, nng_socket s, const char *q,
		       int probe)
{
	char seen[SURVEY_RESPONDENTS] = { 0 }, a[128];
	int n = 0, k, rv;

	for (;;) {
		size_t len = sizeof(a);

		rv = nng_recv(s, a, &len, 0);
		if (rv)
			break;
		ASSERT_TRUE(is_answer(a, len, q, &k)) TH_LOG("%.*s to %s", (int)len, a, q);
		ASSERT_EQ(0, seen[k]) TH_LOG("respondent %d answered %s twice", k, q);
		seen[k] = 1;
		n++;
	}
	if (probe && rv == NNG_ESTATE)
		return n;
	ASSERT_EQ(NNG_ETIMEDOUT, rv) TH_LOG("survey %s: %s", q, nng_strerror(rv));
	return n;
}

/*
 * One NNG SURVEYOR and three sp RESPONDENTs, sp binding (NNG dials each)
 * or dialling it. Probes until a survey reaches all three, then a checked
 * survey: each sp RESPONDENT receives exactly it, answers once (a second
 * send fails with EINVAL), and NNG collects the three answers and then
 * NNG_ETIMEDOUT.
 */
static void survey_nng_surveyor(struct __test_metadata *_metadata, int sp_binds)
{
	int resp[SURVEY_RESPONDENTS], i, k, n = 0, port = 0;
	char q[64], probe[32];
	nng_socket s;
	int64_t t;

	ASSERT_EQ(0, nng_surveyor0_open(&s));
	ASSERT_EQ(0, nng_prep(s));
	ASSERT_EQ(0, nng_socket_set_ms(s, NNG_OPT_SURVEYOR_SURVEYTIME, 2000));
	if (!sp_binds)
		ASSERT_EQ(0, nng_listen_port(s, &port));
	for (i = 0; i < SURVEY_RESPONDENTS; i++) {
		uint16_t p;

		if (sp_binds) {
			resp[i] = sp_listen_any(SOCK_RESPONDENT, &p);
			ASSERT_LE(0, resp[i]);
			ASSERT_EQ(0, nng_dial_port(s, p, NNG_FLAG_NONBLOCK));
		} else {
			resp[i] = sp_dial(SOCK_RESPONDENT, port);
			ASSERT_LE(0, resp[i]);
		}
		sp_timeouts(_metadata, resp[i]);
		/* Nothing to answer yet. */
		EXPECT_EQ(-1, send(resp[i], "x", 1, MSG_DONTWAIT));
		EXPECT_EQ(EINVAL, errno);
	}

	for (k = 0; k < 20 && n < SURVEY_RESPONDENTS; k++) {
		snprintf(probe, sizeof(probe), "probe%d", k);
		ASSERT_EQ(0, nng_send(s, probe, strlen(probe), 0));
		for (i = 0; i < SURVEY_RESPONDENTS; i++)
			sp_respond(_metadata, resp[i], i, q, 300);
		n = nng_answers(_metadata, s, probe, 1);
	}
	ASSERT_EQ(SURVEY_RESPONDENTS, n) TH_LOG("the respondents never all connected");

	ASSERT_EQ(0, nng_socket_set_ms(s, NNG_OPT_SURVEYOR_SURVEYTIME, SURVEY_MS));
	ASSERT_EQ(0, nng_send(s, "q", 1, 0));
	t = sp_now_ms();
	for (i = 0; i < SURVEY_RESPONDENTS; i++) {
		sp_respond(_metadata, resp[i], i, q, 10000);
		EXPECT_STREQ("q", q) TH_LOG("respondent %d", i);
	}
	EXPECT_EQ(SURVEY_RESPONDENTS, nng_answers(_metadata, s, "q", 0));
	/* The survey's end, not NNG_OPT_RECVTIMEO (10 s), ended the receive. */
	t = sp_now_ms() - t;
	EXPECT_LE(SURVEY_MS - 100, t) TH_LOG("NNG_ETIMEDOUT after %lld ms", (long long)t);
	EXPECT_GT(SURVEY_MS + 5000, t) TH_LOG("NNG_ETIMEDOUT after %lld ms", (long long)t);

	nng_close(s);
	for (i = 0; i < SURVEY_RESPONDENTS; i++)
		close(resp[i]);
}

TEST_F_TIMEOUT(slow, survey_nng_surveyor_binds_sp_respondents_dial, 120)
{
	survey_nng_surveyor(_metadata, 0);
}

TEST_F_TIMEOUT(slow, survey_nng_surveyor_dials_sp_respondents, 120)
{
	survey_nng_surveyor(_metadata, 1);
}

/*
 * BUS: one sp BUS and three NNG BUSes, sp binding (they dial it, so no
 * two NNG peers are connected) or dialling each. Probes until every NNG
 * peer has one; then sp's 10 messages reach each NNG peer once and in
 * order, and each NNG peer's 5 reach sp once and in order; sp never gets
 * its own, and no NNG peer gets another's (sp forwards nothing).
 */
#define BUS_PEERS	3

static void bus_with_nng(struct __test_metadata *_metadata, int sp_binds)
{
	int bus, i, k, n = 10, up = 0, next[BUS_PEERS] = { 0 };
	unsigned char m[64], in[128];
	nng_socket peer[BUS_PEERS];
	char seen[BUS_PEERS] = { 0 };
	uint16_t port = 0;

	if (sp_binds) {
		bus = sp_listen_any(SOCK_BUS, &port);
		ASSERT_LE(0, bus);
		/* With no peer, a send goes nowhere and does not block. */
		EXPECT_EQ(1, send(bus, "x", 1, MSG_DONTWAIT)) TH_LOG("%s", strerror(errno));
	} else {
		bus = socket(PF_SP, SOCK_BUS, 0);
		ASSERT_LE(0, bus);
	}
	sp_timeouts(_metadata, bus);
	for (i = 0; i < BUS_PEERS; i++) {
		int p;

		ASSERT_EQ(0, nng_bus0_open(&peer[i]));
		ASSERT_EQ(0, nng_prep(peer[i]));
		if (sp_binds) {
			ASSERT_EQ(0, nng_dial_port(peer[i], port, NNG_FLAG_NONBLOCK));
		} else {
			ASSERT_EQ(0, nng_listen_port(peer[i], &p));
			ASSERT_EQ(0, sp_connect_port(bus, p));
		}
	}
	for (k = 0; k < 500 && up < BUS_PEERS; k++) {
		ASSERT_EQ(1, send(bus, "p", 1, 0));
		usleep(20000);
		for (i = 0; i < BUS_PEERS; i++)
			while (nng_try_recv(peer[i], in, sizeof(in)) == 1)
				if (!seen[i]) {
					seen[i] = 1;
					up++;
				}
	}
	ASSERT_EQ(BUS_PEERS, up) TH_LOG("an NNG peer never connected");
	usleep(200000);
	for (i = 0; i < BUS_PEERS; i++)
		while (nng_try_recv(peer[i], in, sizeof(in)) >= 0)
			;

	/* sp -> every NNG peer. */
	for (k = 0; k < n; k++) {
		numbered(m, k, 's');
		ASSERT_EQ(64, send(bus, m, 64, 0));
	}
	for (i = 0; i < BUS_PEERS; i++) {
		for (k = 0; k < n; k++) {
			size_t len;
			int rv;

			do {	/* a late probe comes first, if any */
				len = sizeof(in);
				rv = nng_recv(peer[i], in, &len, 0);
			} while (!rv && len == 1 && in[0] == 'p');
			ASSERT_EQ(0, rv) TH_LOG("peer %d, message %d: %s", i, k, nng_strerror(rv));
			ASSERT_TRUE(is_numbered(in, len, k, 's')) TH_LOG("peer %d, message %d", i, k);
		}
	}

	/* Every NNG peer -> sp. */
	for (k = 0; k < n / 2; k++)
		for (i = 0; i < BUS_PEERS; i++) {
			numbered(m, k, 'A' + i);
			ASSERT_EQ(0, nng_send(peer[i], m, 64, 0));
		}
	for (k = 0; k < BUS_PEERS * (n / 2); k++) {
		ssize_t len = recv(bus, in, sizeof(in), 0);

		ASSERT_EQ(64, len) TH_LOG("message %d: %s", k, strerror(errno));
		i = in[4] - 'A';
		ASSERT_TRUE(i >= 0 && i < BUS_PEERS) TH_LOG("message %d: tag %d", k, in[4]);
		ASSERT_TRUE(is_numbered(in, len, next[i], 'A' + i)) {
			TH_LOG("peer %d: expected %d, got %u", i, next[i], *(uint32_t *)in);
		}
		next[i]++;
	}
	for (i = 0; i < BUS_PEERS; i++)
		EXPECT_EQ(n / 2, next[i]);

	/* Nothing else anywhere: no echo of sp's own, no forwarding. */
	usleep(300000);
	EXPECT_EQ(-1, recv(bus, in, sizeof(in), MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	for (i = 0; i < BUS_PEERS; i++) {
		ssize_t len = nng_try_recv(peer[i], in, sizeof(in));

		EXPECT_EQ(-1, len) TH_LOG("peer %d got %zd B, tag %d", i, len, len > 4 ? in[4] : 0);
		nng_close(peer[i]);
	}
	close(bus);
}

TEST(bus_sp_binds_nng_peers_dial)
{
	bus_with_nng(_metadata, 1);
}

TEST(bus_sp_dials_nng_peers)
{
	bus_with_nng(_metadata, 0);
}

/*
 * An sp in-kernel device between unmodified NNG peers: 8 NNG REQ clients
 * -> raw sp REP | raw sp REQ -> 2 NNG REP workers. Each client's 20
 * requests get their own answers back.
 */
TEST(device_between_nng_reqs_and_nng_reps)
{
	struct nng_server sv[2];
	struct nng_client c[8];
	pthread_t th[8], wth[2];
	int front, back, i, wport;
	uint16_t fport, bport;

	front = sp_raw_listen(SOCK_REP, &fport);
	back = sp_raw_listen(SOCK_REQ, &bport);
	ASSERT_LE(0, front);
	ASSERT_LE(0, back);
	ASSERT_EQ(0, sp_set_int(front, SOL_SP, SP_DEVICE, back));
	wport = bport;
	for (i = 0; i < 2; i++) {
		sv[i] = (struct nng_server){ 0 };
		ASSERT_EQ(0, nng_rep0_open(&sv[i].s));
		ASSERT_EQ(0, nng_prep(sv[i].s));
		ASSERT_EQ(0, nng_dial_port(sv[i].s, wport, 0));
		ASSERT_EQ(0, pthread_create(&wth[i], NULL, nng_rep_main, &sv[i]));
	}
	for (i = 0; i < 8; i++) {
		c[i] = (struct nng_client){ .port = fport, .id = i };
		ASSERT_EQ(0, pthread_create(&th[i], NULL, nng_client_main, &c[i]));
	}
	for (i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		EXPECT_TRUE(c[i].ok) TH_LOG("NNG client %d failed", i);
	}
	TH_LOG("served by the workers: %d and %d", sv[0].served, sv[1].served);
	EXPECT_EQ(8 * 20, sv[0].served + sv[1].served);
	for (i = 0; i < 2; i++) {
		nng_close(sv[i].s);
		pthread_join(wth[i], NULL);
	}
	close(front);
	close(back);
}

/* A message with an SP header of @hdr (@n words) and body @body. */
static nng_msg *nng_msg_with(const uint32_t *hdr, int n, const char *body)
{
	nng_msg *m;
	int i;

	if (nng_msg_alloc(&m, 0))
		return NULL;
	for (i = 0; i < n; i++)
		nng_msg_header_append_u32(m, hdr[i]);
	nng_msg_append(m, body, strlen(body));
	return m;
}

/*
 * libnng raw sockets and sp raw sockets: a raw NNG REP answers an sp raw
 * REQ, keeping the header it got (pipe id, then the id the sp side chose),
 * and an sp raw REP answers a raw NNG REQ the same way.
 */
TEST(raw_sockets_with_nng_raw)
{
	unsigned char h[16], want[4] = { 0x80, 0, 0, 7 };
	uint32_t id = 0x80000009;
	int fd, hlen, fl, port;
	uint16_t sport;
	nng_socket s;
	nng_msg *m;
	char buf[16];
	ssize_t n;

	/* NNG raw REP <- sp raw REQ. */
	ASSERT_EQ(0, nng_rep0_open_raw(&s));
	ASSERT_EQ(0, nng_prep(s));
	ASSERT_EQ(0, nng_listen_port(s, &port));
	fd = sp_raw_dial(SOCK_REQ, port);
	ASSERT_LE(0, fd);
	ASSERT_EQ(3, sp_send_hdr(fd, want, 4, "abc", 3));
	ASSERT_EQ(0, nng_recvmsg(s, &m, 0));
	ASSERT_EQ(8, nng_msg_header_len(m));
	EXPECT_EQ(0, memcmp((char *)nng_msg_header(m) + 4, want, 4));
	ASSERT_EQ(3, nng_msg_len(m));
	EXPECT_EQ(0, memcmp(nng_msg_body(m), "abc", 3));
	ASSERT_EQ(0, nng_sendmsg(s, m, 0));
	n = sp_recv_hdr(fd, h, sizeof(h), &hlen, buf, sizeof(buf), &fl);
	ASSERT_EQ(3, n);
	ASSERT_EQ(4, hlen);
	EXPECT_EQ(0, memcmp(h, want, 4));
	close(fd);
	nng_close(s);

	/* NNG raw REQ -> sp raw REP. */
	fd = sp_raw_listen(SOCK_REP, &sport);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, nng_req0_open_raw(&s));
	ASSERT_EQ(0, nng_prep(s));
	ASSERT_EQ(0, nng_dial_port(s, sport, 0));
	m = nng_msg_with(&id, 1, "xyz");
	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, nng_sendmsg(s, m, 0));
	n = sp_recv_hdr(fd, h, sizeof(h), &hlen, buf, sizeof(buf), &fl);
	ASSERT_EQ(3, n);
	ASSERT_EQ(8, hlen);
	EXPECT_EQ(0x80, h[4]);
	EXPECT_EQ(9, h[7]);
	ASSERT_EQ(3, sp_send_hdr(fd, h, hlen, "XYZ", 3));
	ASSERT_EQ(0, nng_recvmsg(s, &m, 0));
	ASSERT_EQ(4, nng_msg_header_len(m));
	EXPECT_EQ(0, memcmp(nng_msg_header(m), "\x80\0\0\x09", 4));
	ASSERT_EQ(3, nng_msg_len(m));
	EXPECT_EQ(0, memcmp(nng_msg_body(m), "XYZ", 3));
	nng_msg_free(m);
	nng_close(s);
	close(fd);
}

static void *nng_device_main(void *arg)
{
	nng_socket *s = arg;

	nng_device(s[0], s[1]);
	return NULL;
}

/*
 * The reverse: NNG's user-space nng_device() between sp peers. 8 sp REQ
 * clients -> raw NNG REP | raw NNG REQ -> an sp REP worker.
 */
TEST(nng_device_between_sp_reqs_and_sp_rep)
{
	int fport, bport, cl[8], w, i, st;
	nng_socket s[2];
	pthread_t dev;
	uint32_t q, a;
	pid_t pid;

	ASSERT_EQ(0, nng_rep0_open_raw(&s[0]));
	ASSERT_EQ(0, nng_req0_open_raw(&s[1]));
	ASSERT_EQ(0, nng_listen_port(s[0], &fport));
	ASSERT_EQ(0, nng_listen_port(s[1], &bport));
	ASSERT_EQ(0, pthread_create(&dev, NULL, nng_device_main, s));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		w = sp_dial(SOCK_REP, bport);
		sp_set_timeouts(w, 20000);
		_exit(w < 0 || sp_serve_increments(w, 8 * 5) != 8 * 5);
	}
	for (i = 0; i < 8; i++) {
		cl[i] = sp_dial(SOCK_REQ, fport);
		ASSERT_LE(0, cl[i]);
		sp_set_timeouts(cl[i], 20000);
	}
	for (q = 0; q < 5; q++) {
		for (i = 0; i < 8; i++) {
			a = i * 100 + q;
			ASSERT_EQ(4, send(cl[i], &a, 4, 0));
		}
		for (i = 0; i < 8; i++) {
			ASSERT_EQ(4, recv(cl[i], &a, 4, 0)) TH_LOG("client %d", i);
			EXPECT_EQ(i * 100 + q + 1, a) TH_LOG("client %d got another's answer", i);
		}
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ(0, WEXITSTATUS(st));
	for (i = 0; i < 8; i++)
		close(cl[i]);
	nng_close(s[0]);
	nng_close(s[1]);
	pthread_join(dev, NULL);
}

TEST_HARNESS_MAIN
