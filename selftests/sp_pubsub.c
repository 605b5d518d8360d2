// SPDX-License-Identifier: GPL-2.0
/*
 * PUB/SUB: prefix subscriptions on the SUB side, a PUB that never blocks,
 * drop counters, and hostile subscribers.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>

#include "sp_lib.h"
#include "kselftest_harness.h"

/* A count from the environment (make stress sets the long ones). */
static int env_int(const char *name, int dflt)
{
	const char *v = getenv(name);

	return v && *v ? atoi(v) : dflt;
}

static int sub_to(int fd, const char *topic)
{
	return setsockopt(fd, SOL_SP, SP_SUBSCRIBE, topic, strlen(topic));
}

static int get_stats(int fd, struct sp_stats *st)
{
	socklen_t len = sizeof(*st);

	memset(st, 0, sizeof(*st));
	return getsockopt(fd, SOL_SP, SP_STATS, st, &len);
}

/* The most a TCP socket's send buffer grows to (tcp_wmem[2]), or -1. */
static long tcp_wmem_max(void)
{
	FILE *f = fopen("/proc/sys/net/ipv4/tcp_wmem", "r");
	long lo, def, max;
	int n;

	if (!f)
		return -1;
	n = fscanf(f, "%ld %ld %ld", &lo, &def, &max);
	fclose(f);
	return n == 3 ? max : -1;
}

/*
 * Bytes that one stalled pipe's TCP can hold beyond tcp_wmem[2]: the peer's
 * tiny receive buffer, what is in flight on loopback, and TCP's overshoot
 * of its send buffer by a segment. Generous.
 */
#define STUCK_SLACK (1 << 20)

/* Waits until @pub has @n subscriber pipes: publishes probes until @sub sees one. */
static int wait_connected(int pub, int sub)
{
	char buf[64];
	int i;

	for (i = 0; i < 200; i++) {
		send(pub, "\xffprobe", 6, 0);
		if (sp_poll1(sub, POLLIN, 50) & POLLIN) {
			while (recv(sub, buf, sizeof(buf), MSG_DONTWAIT) > 0)
				;
			return 0;
		}
	}
	return -1;
}

/* recv() that skips connection probes still in flight. */
static ssize_t recv_data(int fd, void *buf, size_t len)
{
	for (;;) {
		ssize_t n = recv(fd, buf, len, MSG_TRUNC);

		if (n != 6 || ((unsigned char *)buf)[0] != 0xff)
			return n;
	}
}

FIXTURE(ps)
{
	int pub, sub;
	uint16_t port;
};

FIXTURE_VARIANT(ps)
{
	int sub_binds;
};

FIXTURE_VARIANT_ADD(ps, pub_binds) { .sub_binds = 0 };
FIXTURE_VARIANT_ADD(ps, sub_binds) { .sub_binds = 1 };

FIXTURE_SETUP(ps)
{
	if (variant->sub_binds) {
		self->sub = sp_listen_any(SOCK_SUB, &self->port);
		ASSERT_LE(0, self->sub);
		self->pub = sp_dial(SOCK_PUB, self->port);
	} else {
		self->pub = sp_listen_any(SOCK_PUB, &self->port);
		ASSERT_LE(0, self->pub);
		self->sub = sp_dial(SOCK_SUB, self->port);
	}
	ASSERT_LE(0, self->pub);
	ASSERT_LE(0, self->sub);
	sp_set_timeo(self->sub, SO_RCVTIMEO, 5000);
	/* The probe topic, so that connection can be observed. */
	ASSERT_EQ(0, sub_to(self->sub, "\xff"));
	ASSERT_EQ(0, wait_connected(self->pub, self->sub));
	ASSERT_EQ(0, setsockopt(self->sub, SOL_SP, SP_UNSUBSCRIBE, "\xff", 1));
}

FIXTURE_TEARDOWN(ps)
{
	close(self->pub);
	close(self->sub);
}

TEST_F(ps, everything)
{
	char buf[64];

	ASSERT_EQ(0, sub_to(self->sub, ""));
	ASSERT_EQ(6, send(self->pub, "HELLO?", 6, 0));
	ASSERT_EQ(6, recv_data(self->sub, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "HELLO?", 6));
	ASSERT_EQ(0, send(self->pub, "", 0, 0));
	ASSERT_EQ(0, recv_data(self->sub, buf, sizeof(buf)));
}

/* write() on a PUB and read() on a SUB carry whole messages. */
TEST_F(ps, write_read)
{
	char buf[64];

	ASSERT_EQ(0, sub_to(self->sub, "t"));
	ASSERT_EQ(5, write(self->pub, "topic", 5));
	ASSERT_EQ(5, read(self->sub, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "topic", 5));
	/* The directions a type lacks fail as send()/recv() do. */
	EXPECT_EQ(-1, write(self->sub, "x", 1));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(-1, read(self->pub, buf, sizeof(buf)));
	EXPECT_EQ(EOPNOTSUPP, errno);
}

/*
 * Nothing reaches @sub within 300 ms, and a marker the PUB sends now
 * comes next. However late a message sent before the marker arrives, it
 * arrives first on the same pipe; a topic it does not match ("end") keeps
 * it out even if it arrives after that subscription. So what came before
 * was filtered out, not merely late.
 */
static void expect_filtered(struct __test_metadata *_metadata, int pub, int sub)
{
	char buf[64];

	sp_set_timeo(sub, SO_RCVTIMEO, 300);
	EXPECT_EQ(-1, recv_data(sub, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, sub_to(sub, "end"));
	sp_set_timeo(sub, SO_RCVTIMEO, 5000);
	ASSERT_EQ(3, send(pub, "end", 3, 0));
	ASSERT_EQ(3, recv_data(sub, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "end", 3));
}

TEST_F(ps, nothing_without_subscription)
{
	ASSERT_EQ(3, send(self->pub, "abc", 3, 0));
	expect_filtered(_metadata, self->pub, self->sub);
}

TEST_F(ps, prefixes_keep_topic)
{
	static const char *msgs[] = { "apple", "banana", "bcd", "", "weather.uk", "weather" };
	char buf[64];
	unsigned int i;
	ssize_t n;

	ASSERT_EQ(0, sub_to(self->sub, "a"));
	ASSERT_EQ(0, sub_to(self->sub, "bc"));
	ASSERT_EQ(0, sub_to(self->sub, "weather."));
	ASSERT_EQ(0, sub_to(self->sub, "a"));	/* again: no change */
	/* The marker's topic matches none of msgs[]. */
	ASSERT_EQ(0, sub_to(self->sub, "end"));
	for (i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++)
		ASSERT_EQ(strlen(msgs[i]), send(self->pub, msgs[i], strlen(msgs[i]), 0));
	ASSERT_EQ(3, send(self->pub, "end", 3, 0));
	n = recv_data(self->sub, buf, sizeof(buf));
	ASSERT_EQ(5, n);
	EXPECT_EQ(0, memcmp(buf, "apple", 5));
	n = recv_data(self->sub, buf, sizeof(buf));
	ASSERT_EQ(3, n);
	EXPECT_EQ(0, memcmp(buf, "bcd", 3));
	n = recv_data(self->sub, buf, sizeof(buf));
	ASSERT_EQ(10, n);
	EXPECT_EQ(0, memcmp(buf, "weather.uk", 10));
	/*
	 * One pipe keeps order: the marker comes next, so "banana", "" and
	 * "weather" were filtered out, not merely still unread.
	 */
	n = recv_data(self->sub, buf, sizeof(buf));
	ASSERT_EQ(3, n) TH_LOG("got '%.*s' where the marker was due", (int)(n > 0 ? n : 0), buf);
	EXPECT_EQ(0, memcmp(buf, "end", 3));
	EXPECT_EQ(-1, recv(self->sub, buf, sizeof(buf), MSG_DONTWAIT));
}

TEST_F(ps, unsubscribe)
{
	char buf[64];

	ASSERT_EQ(0, sub_to(self->sub, "x"));
	ASSERT_EQ(2, send(self->pub, "x1", 2, 0));
	ASSERT_EQ(2, recv_data(self->sub, buf, sizeof(buf)));
	ASSERT_EQ(0, setsockopt(self->sub, SOL_SP, SP_UNSUBSCRIBE, "x", 1));
	EXPECT_EQ(-1, setsockopt(self->sub, SOL_SP, SP_UNSUBSCRIBE, "x", 1));
	EXPECT_EQ(ENOENT, errno);
	ASSERT_EQ(2, send(self->pub, "x2", 2, 0));
	expect_filtered(_metadata, self->pub, self->sub);
}

TEST_F(ps, unsupported_directions)
{
	char buf[8];

	EXPECT_EQ(-1, send(self->sub, "x", 1, 0));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(-1, recv(self->pub, buf, sizeof(buf), 0));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(-1, setsockopt(self->pub, SOL_SP, SP_SUBSCRIBE, "", 0));
	EXPECT_EQ(ENOPROTOOPT, errno);
}

/*
 * A subscriber on raw TCP that does the SP handshake and then never reads.
 * Its receive buffer is tiny, so the PUB's TCP send buffer fills, then the
 * PUB's own queue for it: the one place where a PUB drops. (An sp SUB never
 * stalls its pipe: a full receive queue drops its oldest message instead.)
 * @pub dials it when @dial, else it dials @port. Returns the fd, or -1.
 */
static int stuck_subscriber(int pub, uint16_t port, int dial)
{
	struct sockaddr_in sin = sp_loopback(dial ? 0 : port);
	socklen_t len = sizeof(sin);
	int small = 4096, fd = -1, lst = -1, i;
	unsigned char h[8], f[8 + 6];

	if (dial) {
		lst = socket(AF_INET, SOCK_STREAM, 0);
		/* Accepted sockets take their receive buffer from here. */
		if (lst < 0 || setsockopt(lst, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)) ||
		    bind(lst, (struct sockaddr *)&sin, sizeof(sin)) || listen(lst, 1) ||
		    getsockname(lst, (struct sockaddr *)&sin, &len) ||
		    connect(pub, (struct sockaddr *)&sin, sizeof(sin)) ||
		    !(sp_poll1(lst, POLLIN, 10000) & POLLIN))
			goto out;
		fd = accept(lst, NULL, NULL);
	} else {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)) ||
		    connect(fd, (struct sockaddr *)&sin, sizeof(sin))) {
			if (fd >= 0)
				close(fd);
			fd = -1;
			goto out;
		}
	}
	if (fd < 0)
		goto out;
	sp_header(h, SP_PROTO_SUB);
	if (write(fd, h, 8) != 8 || sp_read_full(fd, h, 8, 5000) != 8)
		goto fail;
	/* Attached once a probe arrives; from then on, never read. */
	for (i = 0; i < 200; i++) {
		send(pub, "\xffprobe", 6, 0);
		if (sp_poll1(fd, POLLIN, 50) & POLLIN) {
			if (sp_read_full(fd, f, sizeof(f), 5000) != sizeof(f))
				goto fail;
			goto out;
		}
	}
fail:
	close(fd);
	fd = -1;
out:
	if (lst >= 0)
		close(lst);
	return fd;
}

TEST_F(ps, pub_never_blocks_and_counts_drops)
{
	enum { BIG = 64 * 1024, SMALL = 512, NSMALL = 200 };
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	struct sp_stats p0, p1, s0, s1;
	long long slowest = 0, total, held, dropped;
	long wmem = tcp_wmem_max();
	int i, q = 4, raw, nbig, drained = 0;
	char *big, buf[SMALL], last[SMALL];
	ssize_t n = 0;
	int64_t t0, t;

	ASSERT_LT(0, wmem);
	big = calloc(1, BIG);
	ASSERT_NE(NULL, big);
	big[0] = 'b';
	ASSERT_EQ(0, sub_to(self->sub, "s"));
	ASSERT_EQ(0, setsockopt(self->pub, SOL_SP, SP_SNDBUF, &q, sizeof(q)));
	ASSERT_EQ(0, setsockopt(self->sub, SOL_SP, SP_RCVBUF, &q, sizeof(q)));
	/* A send that blocked would fail here, not hang. */
	ASSERT_EQ(0, sp_set_timeo(self->pub, SO_SNDTIMEO, 5000));

	/*
	 * The SUB's own drops. The SUB does not read: its receive queue of
	 * SP_RCVBUF messages drops its oldest. Each message either reaches the
	 * SUB or is dropped by the PUB (only this pipe exists yet), so once
	 * rx_msgs + the PUB's tx_dropped account for all of them, all are in.
	 */
	ASSERT_EQ(0, get_stats(self->pub, &p0));
	ASSERT_EQ(0, get_stats(self->sub, &s0));
	memset(buf, 's', sizeof(buf));
	for (i = 0; i < NSMALL; i++) {
		snprintf(buf, sizeof(buf), "s%04d", i);
		ASSERT_EQ(SMALL, send(self->pub, buf, SMALL, MSG_DONTWAIT)) TH_LOG("send %d: %s", i, strerror(errno));
	}
	ASSERT_EQ(5, send(self->pub, "s-end", 5, MSG_DONTWAIT));
	for (t0 = sp_now_ms(); sp_now_ms() - t0 < 20000; usleep(20000)) {
		ASSERT_EQ(0, get_stats(self->pub, &p1));
		ASSERT_EQ(0, get_stats(self->sub, &s1));
		if (s1.rx_msgs - s0.rx_msgs + p1.tx_dropped - p0.tx_dropped >= NSMALL + 1)
			break;
	}
	EXPECT_EQ(NSMALL + 1, s1.rx_msgs - s0.rx_msgs + p1.tx_dropped - p0.tx_dropped);
	while ((n = recv(self->sub, buf, sizeof(buf), MSG_DONTWAIT)) >= 0) {
		memcpy(last, buf, n < SMALL ? n : SMALL);
		drained++;
	}
	TH_LOG("SUB: %llu in, %llu dropped, %d left; PUB dropped %llu",
	       (unsigned long long)(s1.rx_msgs - s0.rx_msgs),
	       (unsigned long long)(s1.rx_dropped - s0.rx_dropped), drained,
	       (unsigned long long)(p1.tx_dropped - p0.tx_dropped));
	EXPECT_LE(1, drained);
	EXPECT_GE(q, drained);
	/* Drop the oldest: the newest message survives. */
	EXPECT_EQ(0, memcmp(last, "s-end", 5));
	EXPECT_LT(0, s1.rx_dropped - s0.rx_dropped);
	EXPECT_EQ(s1.rx_msgs - s0.rx_msgs - drained, s1.rx_dropped - s0.rx_dropped);

	/*
	 * The PUB's own drops: a subscriber that stalls its pipe. Send well
	 * past what its TCP buffers and SP_SNDBUF can hold. No send blocks:
	 * none gives EAGAIN, with MSG_DONTWAIT or without.
	 */
	raw = stuck_subscriber(self->pub, self->port, variant->sub_binds);
	ASSERT_LE(0, raw);
	nbig = (wmem + STUCK_SLACK) / BIG + q + 64;
	ASSERT_EQ(0, get_stats(self->pub, &p0));
	t0 = sp_now_ms();
	for (i = 0; i < nbig; i++) {
		t = sp_now_ms();
		ASSERT_EQ(BIG, send(self->pub, big, BIG, i % 2 ? MSG_DONTWAIT : 0)) {
			TH_LOG("send %d of %d: %s", i, nbig, strerror(errno));
		}
		t = sp_now_ms() - t;
		if (t > slowest)
			slowest = t;
	}
	total = sp_now_ms() - t0;
	ASSERT_EQ(0, get_stats(self->pub, &p1));
	dropped = p1.tx_dropped - p0.tx_dropped;
	/* What the stalled pipe can hold: TCP, the frame in flight, SP_SNDBUF. */
	held = (wmem + STUCK_SLACK) / BIG + 1 + q;
	TH_LOG("%d sends of 64 KiB in %lld ms (slowest %lld ms); PUB tx_dropped %lld, at least %lld due",
	       nbig, total, slowest, dropped, nbig - held);
	EXPECT_EQ(nbig, p1.tx_msgs - p0.tx_msgs);
	EXPECT_GT(2000, slowest);
	EXPECT_GT(nbig * 200LL, total);
	EXPECT_LE(nbig - held, dropped);
	/* No linger for the stalled pipe at close. */
	setsockopt(self->pub, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(raw);
	free(big);
}

/*
 * One fast subscriber among a slow sp SUB that never reads (it drops on
 * its side) and a subscriber that stalls its pipe (the PUB drops for it):
 * the fast one gets every message, in order.
 */
TEST(slow_subscriber_does_not_slow_fast_one)
{
	enum { SIZE = 16 * 1024, BURST = 8 };
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	int pub, fast, slow, stuck, i, burst, nburst, q = 32;
	long wmem = tcp_wmem_max();
	struct sp_stats p0, p1;
	long long held;
	uint16_t port;
	char *buf;

	ASSERT_LT(0, wmem);
	buf = calloc(1, SIZE);
	ASSERT_NE(NULL, buf);
	pub = sp_listen_any(SOCK_PUB, &port);
	ASSERT_LE(0, pub);
	/* Room for a burst in the fast pipe's queue. */
	ASSERT_EQ(0, setsockopt(pub, SOL_SP, SP_SNDBUF, &q, sizeof(q)));
	fast = sp_dial(SOCK_SUB, port);
	slow = sp_dial(SOCK_SUB, port);
	ASSERT_LE(0, fast);
	ASSERT_LE(0, slow);
	ASSERT_EQ(0, sub_to(fast, ""));
	ASSERT_EQ(0, sub_to(slow, ""));
	ASSERT_EQ(0, wait_connected(pub, fast));
	ASSERT_EQ(0, wait_connected(pub, slow));
	stuck = stuck_subscriber(pub, port, 0);
	ASSERT_LE(0, stuck);
	while (recv(fast, buf, SIZE, MSG_DONTWAIT) >= 0)
		;
	sp_set_timeo(fast, SO_RCVTIMEO, 10000);
	/* Past what the stalled pipe holds, whatever TCP makes of it. */
	held = (wmem + STUCK_SLACK) / SIZE + 1 + q;
	nburst = (held + 64) / BURST + 1;
	ASSERT_EQ(0, get_stats(pub, &p0));
	for (burst = 0; burst < nburst; burst++) {
		for (i = 0; i < BURST; i++) {
			int v = burst * BURST + i;

			memcpy(buf, &v, sizeof(v));
			ASSERT_EQ(SIZE, send(pub, buf, SIZE, MSG_DONTWAIT)) TH_LOG("send %d: %s", v, strerror(errno));
		}
		for (i = 0; i < BURST; i++) {
			int v = -1;
			ssize_t n = recv_data(fast, buf, SIZE);

			ASSERT_EQ(SIZE, n) {
				TH_LOG("message %d: %s", burst * BURST + i, strerror(errno));
			}
			memcpy(&v, buf, sizeof(v));
			ASSERT_EQ(burst * BURST + i, v);
		}
	}
	ASSERT_EQ(0, get_stats(pub, &p1));
	TH_LOG("%d messages of 16 KiB; PUB tx_dropped %llu, at least %lld due", nburst * BURST,
	       (unsigned long long)(p1.tx_dropped - p0.tx_dropped), nburst * BURST - held);
	/* The stalled pipe was full: the PUB dropped for it. */
	EXPECT_LE(nburst * BURST - held, p1.tx_dropped - p0.tx_dropped);
	setsockopt(pub, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(pub);
	close(fast);
	close(slow);
	close(stuck);
	free(buf);
}

/*
 * 32 pipes' handshakes and probes take 15-30 s under TCG with KASAN, at
 * the harness's default 30 s: this test gets 120.
 */
FIXTURE(slow) {};
FIXTURE_SETUP(slow) {}
FIXTURE_TEARDOWN(slow) {}

TEST_F_TIMEOUT(slow, fanout_32_prefixes, 120)
{
	/* Each message goes to all 32 pipes: a round costs seconds under TCG. */
	const int rounds = env_int("SP_PUBSUB_ROUNDS", 2);
	int pub, subs[32], got[32] = { 0 }, i, j, round;
	uint16_t port;
	char topic[8], buf[64];

	ASSERT_LT(0, rounds);

	pub = sp_listen_any(SOCK_PUB, &port);
	ASSERT_LE(0, pub);
	/* Dial them all first: the handshakes overlap. */
	for (i = 0; i < 32; i++) {
		subs[i] = sp_dial(SOCK_SUB, port);
		ASSERT_LE(0, subs[i]);
		snprintf(topic, sizeof(topic), "t%02d", i);
		ASSERT_EQ(0, sub_to(subs[i], topic));
		ASSERT_EQ(0, sub_to(subs[i], "\xff"));
	}
	for (i = 0; i < 32; i++) {
		ASSERT_EQ(0, wait_connected(pub, subs[i]));
		ASSERT_EQ(0, setsockopt(subs[i], SOL_SP, SP_UNSUBSCRIBE, "\xff", 1));
		ASSERT_EQ(0, sub_to(subs[i], "end"));
		sp_set_timeo(subs[i], SO_RCVTIMEO, 5000);
	}
	for (i = 0; i < 32; i++)
		while (recv(subs[i], buf, sizeof(buf), MSG_DONTWAIT) > 0)
			;
	/* Each SUB gets exactly its topic's messages, in order. */
	for (round = 0; round < rounds; round++) {
		for (i = 0; i < 32; i++) {
			snprintf(buf, sizeof(buf), "t%02d:%d", i, round);
			ASSERT_EQ(strlen(buf), send(pub, buf, strlen(buf), 0));
		}
		for (i = 0; i < 32; i++) {
			char want[16];
			ssize_t n = recv_data(subs[i], buf, sizeof(buf) - 1);

			ASSERT_LT(0, n);
			buf[n] = 0;
			snprintf(want, sizeof(want), "t%02d:%d", i, round);
			EXPECT_STREQ(want, buf);
			got[i]++;
		}
	}
	/* A marker after the rounds: nothing of another topic came in between. */
	ASSERT_EQ(3, send(pub, "end", 3, 0));
	for (i = 0; i < 32; i++) {
		EXPECT_EQ(3, recv_data(subs[i], buf, sizeof(buf)));
		EXPECT_EQ(0, memcmp(buf, "end", 3));
		EXPECT_EQ(-1, recv(subs[i], buf, sizeof(buf), MSG_DONTWAIT));
		EXPECT_EQ(rounds, got[i]);
		close(subs[i]);
	}
	close(pub);
	(void)j;
}

TEST(subscription_bounds)
{
	int fd = socket(PF_SP, SOCK_SUB, 0), i;
	char topic[16], *big;

	ASSERT_LE(0, fd);
	for (i = 0; i < 1024; i++) {
		snprintf(topic, sizeof(topic), "%d", i);
		ASSERT_EQ(0, sub_to(fd, topic));
	}
	EXPECT_EQ(-1, sub_to(fd, "one-too-many"));
	EXPECT_EQ(ENOBUFS, errno);
	/* Room again after an unsubscribe. */
	ASSERT_EQ(0, setsockopt(fd, SOL_SP, SP_UNSUBSCRIBE, "7", 1));
	EXPECT_EQ(0, sub_to(fd, "now-fits"));
	close(fd);

	fd = socket(PF_SP, SOCK_SUB, 0);
	ASSERT_LE(0, fd);
	big = calloc(1, 4096);
	ASSERT_NE(NULL, big);
	/* 64 KiB in total; an option value is at most 4 KiB. */
	for (i = 0; i < 16; i++) {
		memset(big, 'a' + i, 4096);
		ASSERT_EQ(0, setsockopt(fd, SOL_SP, SP_SUBSCRIBE, big, 4096));
	}
	memset(big, 'z', 4096);
	EXPECT_EQ(-1, setsockopt(fd, SOL_SP, SP_SUBSCRIBE, big, 1));
	EXPECT_EQ(ENOBUFS, errno);
	EXPECT_EQ(-1, setsockopt(fd, SOL_SP, SP_SUBSCRIBE, big, 4097));
	EXPECT_EQ(EINVAL, errno);
	free(big);
	close(fd);
}

TEST(pub_closes_talking_sub)
{
	unsigned char h[8], f[9];
	uint16_t port;
	int pub, fd;

	pub = sp_listen_any(SOCK_PUB, &port);
	ASSERT_LE(0, pub);
	fd = sp_raw_connect(port);
	ASSERT_LE(0, fd);
	sp_header(h, SP_PROTO_SUB);
	ASSERT_EQ(8, write(fd, h, 8));
	ASSERT_EQ(8, sp_read_full(fd, h, 8, 5000));
	sp_be64(f, 1);
	f[8] = 'x';
	ASSERT_EQ(9, write(fd, f, 9));
	EXPECT_TRUE(sp_peer_closed(fd, 5000));
	close(fd);
	close(pub);
}

TEST_HARNESS_MAIN
