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
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <nng/nng.h>
#include <nng/protocol/pair0/pair.h>
#include <nng/protocol/pubsub0/pub.h>
#include <nng/protocol/pubsub0/sub.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
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
	char url[64];
	int64_t end;
	int fd;

	fd = sp_listen_any(SOCK_PAIR, &port);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, nng_req0_open(&s));
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%u", port);
	ASSERT_EQ(0, nng_dial(s, url, NULL, NNG_FLAG_NONBLOCK));
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
	nng_listener l;
	char url[64];
	uint16_t p;

	/* sp dials NNG. */
	v.fd = -1;
	ASSERT_EQ(0, so(&v.s));
	ASSERT_EQ(0, nng_prep(v.s));
	ASSERT_EQ(0, nng_listen(v.s, "tcp://127.0.0.1:0", &l, 0));
	ASSERT_EQ(0, nng_listener_get_int(l, NNG_OPT_TCP_BOUND_PORT, &port));
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
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%u", p);
	ASSERT_EQ(0, nng_dial(c.s, url, NULL, 0));
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
	nng_listener l;

	if (nng_rep0_open(s) || nng_prep(*s))
		return -1;
	if (nng_listen(*s, "tcp://127.0.0.1:0", &l, 0))
		return -1;
	return nng_listener_get_int(l, NNG_OPT_TCP_BOUND_PORT, port);
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
	char url[64];
	pthread_t th;
	int req;

	req = sp_listen_any(SOCK_REQ, &port);
	ASSERT_LE(0, req);
	sp_timeouts(_metadata, req);
	ASSERT_EQ(0, nng_rep0_open(&sv.s));
	ASSERT_EQ(0, nng_prep(sv.s));
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%u", port);
	ASSERT_EQ(0, nng_dial(sv.s, url, NULL, 0));
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
	char url[64];
	int rep;

	rep = sp_listen_any(SOCK_REP, &port);
	ASSERT_LE(0, rep);
	sp_timeouts(_metadata, rep);
	ASSERT_EQ(0, nng_req0_open(&s));
	ASSERT_EQ(0, nng_prep(s));
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%u", port);
	ASSERT_EQ(0, nng_dial(s, url, NULL, 0));
	nng_requests(_metadata, s, rep, 200);
	nng_close(s);
	close(rep);
}

TEST(reqrep_nng_req_binds_sp_rep_dials)
{
	nng_listener l;
	nng_socket s;
	int port, rep;

	ASSERT_EQ(0, nng_req0_open(&s));
	ASSERT_EQ(0, nng_prep(s));
	ASSERT_EQ(0, nng_listen(s, "tcp://127.0.0.1:0", &l, 0));
	ASSERT_EQ(0, nng_listener_get_int(l, NNG_OPT_TCP_BOUND_PORT, &port));
	rep = sp_dial(SOCK_REP, port);
	ASSERT_LE(0, rep);
	sp_timeouts(_metadata, rep);
	nng_requests(_metadata, s, rep, 200);
	nng_close(s);
	close(rep);
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
	char url[64];
	int pub;

	pub = sp_listen_any(SOCK_PUB, &port);
	ASSERT_LE(0, pub);
	ASSERT_EQ(0, nng_sub0_open(&s));
	ASSERT_EQ(0, nng_prep(s));
	ASSERT_EQ(0, nng_socket_set(s, NNG_OPT_SUB_SUBSCRIBE, "", 0));
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%u", port);
	ASSERT_EQ(0, nng_dial(s, url, NULL, 0));
	pubsub_check(_metadata, 1, pub, s, -1);
	nng_close(s);
	close(pub);
}

TEST(pubsub_nng_sub_binds_sp_pub_dials)
{
	nng_listener l;
	nng_socket s;
	int port, pub;

	ASSERT_EQ(0, nng_sub0_open(&s));
	ASSERT_EQ(0, nng_prep(s));
	ASSERT_EQ(0, nng_socket_set(s, NNG_OPT_SUB_SUBSCRIBE, "", 0));
	ASSERT_EQ(0, nng_listen(s, "tcp://127.0.0.1:0", &l, 0));
	ASSERT_EQ(0, nng_listener_get_int(l, NNG_OPT_TCP_BOUND_PORT, &port));
	pub = sp_dial(SOCK_PUB, port);
	ASSERT_LE(0, pub);
	pubsub_check(_metadata, 1, pub, s, -1);
	nng_close(s);
	close(pub);
}

TEST(pubsub_nng_pub_sp_sub_dials)
{
	nng_listener l;
	nng_socket s;
	int port, sub;

	ASSERT_EQ(0, nng_pub0_open(&s));
	ASSERT_EQ(0, nng_listen(s, "tcp://127.0.0.1:0", &l, 0));
	ASSERT_EQ(0, nng_listener_get_int(l, NNG_OPT_TCP_BOUND_PORT, &port));
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
	char url[64];
	int sub;

	sub = sp_listen_any(SOCK_SUB, &port);
	ASSERT_LE(0, sub);
	ASSERT_EQ(0, setsockopt(sub, SOL_SP, SP_SUBSCRIBE, "", 0));
	sp_timeouts(_metadata, sub);
	ASSERT_EQ(0, nng_pub0_open(&s));
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%u", port);
	ASSERT_EQ(0, nng_dial(s, url, NULL, 0));
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
 * PUB -> SUB in bursts of 64-byte numbered messages, sp PUB to NNG SUB
 * and NNG PUB to sp SUB: each burst fits the queues on the way, so every
 * message of SP_NNG_MSGS * 4 arrives, once and in order.
 */
static void bursts(struct __test_metadata *_metadata, struct end *pub, struct end *sub)
{
	int n = 4 * sp_env_long("SP_NNG_MSGS", 300), w = 256, i, k;
	unsigned char m[64], in[128];

	for (i = 0; i < n; i += w) {
		int cnt = n - i < w ? n - i : w;

		for (k = 0; k < cnt; k++) {
			numbered(m, i + k, 'p');
			ASSERT_EQ(0, end_send(pub, m, 64));
		}
		for (k = 0; k < cnt; k++) {
			ssize_t len = end_recv(sub, in, sizeof(in));

			ASSERT_TRUE(is_numbered(in, len, i + k, 'p')) {
				TH_LOG("message %d: got %zd B, number %u", i + k, len,
				       len >= 4 ? *(uint32_t *)in : 0);
			}
		}
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

/* 'make stress' sends 24000 messages: more than the harness's 30 s. */
TEST_F_TIMEOUT(slow, pubsub_bursts_in_order_with_nng, 900)
{
	struct end pub, sub;
	nng_listener l;
	char url[64];
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
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%u", port);
	ASSERT_EQ(0, nng_dial(sub.s, url, NULL, 0));
	ASSERT_TRUE(wait_subscribed(&pub, &sub)) TH_LOG("the NNG SUB never connected");
	bursts(_metadata, &pub, &sub);
	nng_close(sub.s);
	close(pub.fd);

	/* NNG PUB binds, sp SUB dials. */
	pub.fd = -1;
	ASSERT_EQ(0, nng_pub0_open(&pub.s));
	ASSERT_EQ(0, nng_socket_set_int(pub.s, NNG_OPT_SENDBUF, 1024));
	ASSERT_EQ(0, nng_listen(pub.s, "tcp://127.0.0.1:0", &l, 0));
	ASSERT_EQ(0, nng_listener_get_int(l, NNG_OPT_TCP_BOUND_PORT, &nport));
	sub.fd = sp_dial(SOCK_SUB, nport);
	ASSERT_LE(0, sub.fd);
	sp_timeouts(_metadata, sub.fd);
	ASSERT_EQ(0, setsockopt(sub.fd, SOL_SP, SP_RCVBUF, &(int){ 1024 }, sizeof(int)));
	ASSERT_EQ(0, setsockopt(sub.fd, SOL_SP, SP_SUBSCRIBE, "", 0));
	ASSERT_TRUE(wait_subscribed(&pub, &sub)) TH_LOG("the sp SUB never connected");
	bursts(_metadata, &pub, &sub);
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
	for (n = 0; n < 16 * 20; n++) {
		uint32_t q;

		ASSERT_EQ(sizeof(q), recv(rep, &q, sizeof(q), 0));
		q++;
		ASSERT_EQ(sizeof(q), send(rep, &q, sizeof(q), 0));
	}
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

TEST_HARNESS_MAIN
