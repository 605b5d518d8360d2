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

static int sub_to(int fd, const char *topic)
{
	return setsockopt(fd, SOL_SP, SP_SUBSCRIBE, topic, strlen(topic));
}

static void get_stats(int fd, struct sp_stats *st)
{
	socklen_t len = sizeof(*st);

	memset(st, 0, sizeof(*st));
	getsockopt(fd, SOL_SP, SP_STATS, st, &len);
}

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

TEST_F(ps, nothing_without_subscription)
{
	char buf[64];

	ASSERT_EQ(3, send(self->pub, "abc", 3, 0));
	sp_set_timeo(self->sub, SO_RCVTIMEO, 300);
	EXPECT_EQ(-1, recv(self->sub, buf, sizeof(buf), 0));
	EXPECT_EQ(EAGAIN, errno);
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
	for (i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++)
		ASSERT_EQ(strlen(msgs[i]), send(self->pub, msgs[i], strlen(msgs[i]), 0));
	ASSERT_EQ(0, send(self->pub, "end", 3, 0) - 3);
	ASSERT_EQ(0, sub_to(self->sub, "end"));
	n = recv(self->sub, buf, sizeof(buf), 0);
	ASSERT_EQ(5, n);
	EXPECT_EQ(0, memcmp(buf, "apple", 5));
	n = recv(self->sub, buf, sizeof(buf), 0);
	ASSERT_EQ(3, n);
	EXPECT_EQ(0, memcmp(buf, "bcd", 3));
	n = recv(self->sub, buf, sizeof(buf), 0);
	ASSERT_EQ(10, n);
	EXPECT_EQ(0, memcmp(buf, "weather.uk", 10));
}

TEST_F(ps, unsubscribe)
{
	char buf[64];

	ASSERT_EQ(0, sub_to(self->sub, "x"));
	ASSERT_EQ(2, send(self->pub, "x1", 2, 0));
	ASSERT_EQ(2, recv(self->sub, buf, sizeof(buf), 0));
	ASSERT_EQ(0, setsockopt(self->sub, SOL_SP, SP_UNSUBSCRIBE, "x", 1));
	EXPECT_EQ(-1, setsockopt(self->sub, SOL_SP, SP_UNSUBSCRIBE, "x", 1));
	EXPECT_EQ(ENOENT, errno);
	ASSERT_EQ(2, send(self->pub, "x2", 2, 0));
	sp_set_timeo(self->sub, SO_RCVTIMEO, 300);
	EXPECT_EQ(-1, recv(self->sub, buf, sizeof(buf), 0));
	EXPECT_EQ(EAGAIN, errno);
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

TEST_F(ps, pub_never_blocks_and_counts_drops)
{
	struct sp_stats ps, ss;
	char buf[512] = { 0 };
	int i, small = 4;
	int64_t t;

	struct sp_stats before;

	ASSERT_EQ(0, sub_to(self->sub, ""));
	ASSERT_EQ(0, setsockopt(self->pub, SOL_SP, SP_SNDBUF, &small, sizeof(small)));
	ASSERT_EQ(0, setsockopt(self->sub, SOL_SP, SP_RCVBUF, &small, sizeof(small)));
	get_stats(self->pub, &before);
	t = sp_now_ms();
	for (i = 0; i < 5000; i++)
		ASSERT_EQ(sizeof(buf), send(self->pub, buf, sizeof(buf), 0));
	t = sp_now_ms() - t;
	usleep(500000);
	get_stats(self->pub, &ps);
	get_stats(self->sub, &ss);
	TH_LOG("5000 sends in %lld ms; PUB tx_dropped %llu, SUB rx_dropped %llu",
	       (long long)t, (unsigned long long)ps.tx_dropped,
	       (unsigned long long)ss.rx_dropped);
	EXPECT_EQ(5000, ps.tx_msgs - before.tx_msgs);
	EXPECT_LT(0, ps.tx_dropped + ss.rx_dropped);
}

TEST(slow_subscriber_does_not_slow_fast_one)
{
	int pub, fast, slow, i, burst;
	uint16_t port;
	char buf[64];

	pub = sp_listen_any(SOCK_PUB, &port);
	ASSERT_LE(0, pub);
	fast = sp_dial(SOCK_SUB, port);
	slow = sp_dial(SOCK_SUB, port);
	ASSERT_LE(0, fast);
	ASSERT_LE(0, slow);
	ASSERT_EQ(0, sub_to(fast, ""));
	ASSERT_EQ(0, sub_to(slow, ""));
	ASSERT_EQ(0, wait_connected(pub, fast));
	ASSERT_EQ(0, wait_connected(pub, slow));
	while (recv(fast, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
	sp_set_timeo(fast, SO_RCVTIMEO, 5000);
	/* The slow one never reads; the fast one must get every message. */
	for (burst = 0; burst < 50; burst++) {
		for (i = 0; i < 20; i++) {
			int v = burst * 20 + i;

			ASSERT_EQ(sizeof(v), send(pub, &v, sizeof(v), 0));
		}
		for (i = 0; i < 20; i++) {
			int v = -1;

			ASSERT_EQ(sizeof(v), recv_data(fast, &v, sizeof(v))) {
				TH_LOG("message %d: %s", burst * 20 + i, strerror(errno));
			}
			ASSERT_EQ(burst * 20 + i, v);
		}
	}
	close(pub);
	close(fast);
	close(slow);
}

TEST(fanout_32_prefixes)
{
	int pub, subs[32], got[32] = { 0 }, i, j, round;
	uint16_t port;
	char topic[8], buf[64];

	pub = sp_listen_any(SOCK_PUB, &port);
	ASSERT_LE(0, pub);
	for (i = 0; i < 32; i++) {
		subs[i] = sp_dial(SOCK_SUB, port);
		ASSERT_LE(0, subs[i]);
		snprintf(topic, sizeof(topic), "t%02d", i);
		ASSERT_EQ(0, sub_to(subs[i], topic));
		ASSERT_EQ(0, sub_to(subs[i], "\xff"));
		ASSERT_EQ(0, wait_connected(pub, subs[i]));
		ASSERT_EQ(0, setsockopt(subs[i], SOL_SP, SP_UNSUBSCRIBE, "\xff", 1));
		sp_set_timeo(subs[i], SO_RCVTIMEO, 5000);
	}
	for (i = 0; i < 32; i++)
		while (recv(subs[i], buf, sizeof(buf), MSG_DONTWAIT) > 0)
			;
	/* Each SUB gets exactly its topic's messages, in order. */
	for (round = 0; round < 5; round++) {
		for (i = 0; i < 32; i++) {
			snprintf(buf, sizeof(buf), "t%02d:%d", i, round);
			ASSERT_EQ(strlen(buf), send(pub, buf, strlen(buf), 0));
		}
		for (i = 0; i < 32; i++) {
			char want[16];
			ssize_t n = recv(subs[i], buf, sizeof(buf) - 1, 0);

			ASSERT_LT(0, n);
			buf[n] = 0;
			snprintf(want, sizeof(want), "t%02d:%d", i, round);
			EXPECT_STREQ(want, buf);
			got[i]++;
		}
	}
	for (i = 0; i < 32; i++) {
		EXPECT_EQ(-1, recv(subs[i], buf, sizeof(buf), MSG_DONTWAIT));
		EXPECT_EQ(5, got[i]);
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
