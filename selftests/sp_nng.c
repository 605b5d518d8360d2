// SPDX-License-Identifier: GPL-2.0
/*
 * Interop with unmodified NNG (Debian's libnng) over TCP: an sp socket and
 * an NNG socket of the peer protocol exchange messages, with each side
 * binding in turn.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <nng/nng.h>
#include <nng/protocol/pair0/pair.h>
#include <nng/protocol/reqrep0/req.h>

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

TEST(pair_refuses_nng_req)
{
	uint16_t port;
	nng_socket s;
	char url[64];
	int fd;

	/* An NNG REQ is no PAIR peer: sp refuses the pipe, never sends. */
	fd = sp_listen_any(SOCK_PAIR, &port);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, nng_req0_open(&s));
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%u", port);
	ASSERT_EQ(0, nng_dial(s, url, NULL, NNG_FLAG_NONBLOCK));
	EXPECT_EQ(0, sp_poll1(fd, POLLOUT, 1500));
	EXPECT_EQ(-1, send(fd, "x", 1, MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	nng_close(s);
	close(fd);
}

/* Round trips of 64-byte messages, sp against NNG in the same run. */
TEST(pair_roundtrip_rate_vs_nng)
{
	const int n = 1000;
	nng_socket a, b;
	nng_listener l;
	char url[64], buf[64] = { 0 };
	int64_t t_sp, t_nng;
	int port, i, x, y;
	uint16_t p;

	x = sp_listen_any(SOCK_PAIR, &p);
	ASSERT_LE(0, x);
	y = sp_dial(SOCK_PAIR, p);
	ASSERT_LE(0, y);
	sp_timeouts(_metadata, x);
	sp_timeouts(_metadata, y);
	t_sp = sp_now_ms();
	for (i = 0; i < n; i++) {
		ASSERT_EQ(64, send(y, buf, 64, 0));
		ASSERT_EQ(64, recv(x, buf, sizeof(buf), 0));
		ASSERT_EQ(64, send(x, buf, 64, 0));
		ASSERT_EQ(64, recv(y, buf, sizeof(buf), 0));
	}
	t_sp = sp_now_ms() - t_sp;
	close(x);
	close(y);

	ASSERT_EQ(0, nng_pair0_open(&a));
	ASSERT_EQ(0, nng_pair0_open(&b));
	ASSERT_EQ(0, nng_prep(a));
	ASSERT_EQ(0, nng_prep(b));
	ASSERT_EQ(0, nng_listen(a, "tcp://127.0.0.1:0", &l, 0));
	ASSERT_EQ(0, nng_listener_get_int(l, NNG_OPT_TCP_BOUND_PORT, &port));
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", port);
	ASSERT_EQ(0, nng_dial(b, url, NULL, 0));
	t_nng = sp_now_ms();
	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, nng_send(b, buf, 64, 0));
		ASSERT_EQ(0, nng_recv(a, buf, &(size_t){ sizeof(buf) }, 0));
		ASSERT_EQ(0, nng_send(a, buf, 64, 0));
		ASSERT_EQ(0, nng_recv(b, buf, &(size_t){ sizeof(buf) }, 0));
	}
	t_nng = sp_now_ms() - t_nng;
	nng_close(a);
	nng_close(b);
	TH_LOG("%d PAIR round trips of 64 B: sp %lld ms (%lld/s), NNG %lld ms (%lld/s)",
	       n, (long long)t_sp, t_sp ? n * 1000LL / t_sp : 0,
	       (long long)t_nng, t_nng ? n * 1000LL / t_nng : 0);
}

TEST_HARNESS_MAIN
