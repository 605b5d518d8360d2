// SPDX-License-Identifier: GPL-2.0
/*
 * Raw mode (SP_RAW): the option and its errors, the SP_HDR control
 * message in both directions for each pattern that has a header, no
 * pattern state (no filtering, no ids), the hop limit, and a user-space
 * forwarder between a raw REP and a raw REQ that routes replies back.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>

#include "sp_lib.h"
#include "kselftest_harness.h"

static uint32_t word(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

TEST(option_and_misuse)
{
	int fd = socket(AF_SP, SOCK_REP, IPPROTO_TCP), v = -1, one = 1;
	socklen_t len = sizeof(v);
	unsigned char h[4] = { 0, 0, 0, 1 };
	uint16_t port;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, getsockopt(fd, SOL_SP, SP_RAW, &v, &len));
	EXPECT_EQ(0, v);
	EXPECT_EQ(-1, sp_set_int(fd, SOL_SP, SP_RAW, 2));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, setsockopt(fd, SOL_SP, SP_RAW, &one, 2));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, sp_set_int(fd, SOL_SP, SP_RAW, 1));
	len = 2;
	EXPECT_EQ(-1, getsockopt(fd, SOL_SP, SP_RAW, &v, &len));
	EXPECT_EQ(EINVAL, errno);
	len = sizeof(v);
	ASSERT_EQ(0, getsockopt(fd, SOL_SP, SP_RAW, &v, &len));
	EXPECT_EQ(1, v);
	/* Back and forth is fine until the first endpoint. */
	ASSERT_EQ(0, sp_set_int(fd, SOL_SP, SP_RAW, 0));
	ASSERT_EQ(0, sp_set_int(fd, SOL_SP, SP_RAW, 1));
	close(fd);

	fd = sp_listen_any(SOCK_REP, &port);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, sp_set_int(fd, SOL_SP, SP_RAW, 1));
	EXPECT_EQ(EISCONN, errno);
	close(fd);

	/* SP_HDR on a cooked socket. */
	fd = sp_dial(SOCK_PAIR, 9);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, sp_send_hdr(fd, h, 4, "x", 1));
	EXPECT_EQ(EINVAL, errno);
	close(fd);

	/* A raw SUB has no subscriptions. */
	fd = sp_raw_socket(SOCK_SUB);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, setsockopt(fd, SOL_SP, SP_SUBSCRIBE, "", 0));
	EXPECT_EQ(ENOPROTOOPT, errno);
	close(fd);
}

TEST(bad_headers_on_send)
{
	unsigned char h[8] = { 0, 0, 0, 1, 0x80, 0, 0, 1 };
	char ctl[CMSG_SPACE(4)];
	struct iovec iov = { "x", 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;
	uint16_t port;
	int rep, pair, push;

	rep = sp_raw_listen(SOCK_REP, &port);
	ASSERT_LE(0, rep);
	sp_set_timeouts(rep, 300);
	/* A raw REP routes by pipe id: without one there is nowhere to go. */
	EXPECT_EQ(-1, sp_send_hdr(rep, h, 0, "x", 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, sp_send_hdr(rep, h, -1, "x", 1));
	EXPECT_EQ(EINVAL, errno);
	/* Whole words only. */
	EXPECT_EQ(-1, sp_send_hdr(rep, h, 6, "x", 1));
	EXPECT_EQ(EINVAL, errno);
	/* Too long: more than a pipe id and 255 hops. */
	{
		static unsigned char big[1028];

		EXPECT_EQ(-1, sp_send_hdr(rep, big, sizeof(big), "x", 1));
		EXPECT_EQ(EINVAL, errno);
	}
	/* A control message of another level. */
	memset(ctl, 0, sizeof(ctl));
	mh.msg_control = ctl;
	mh.msg_controllen = sizeof(ctl);
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(4);
	EXPECT_EQ(-1, sendmsg(rep, &mh, 0));
	EXPECT_EQ(EINVAL, errno);
	/* A malformed one: cmsg_len shorter than its header. */
	c->cmsg_level = SOL_SP;
	c->cmsg_type = SP_HDR;
	c->cmsg_len = 3;
	EXPECT_EQ(-1, sendmsg(rep, &mh, 0));
	EXPECT_EQ(EINVAL, errno);
	close(rep);

	/* Raw PAIR and PUSH have no header to give. */
	pair = sp_raw_dial(SOCK_PAIR, port);
	push = sp_raw_dial(SOCK_PUSH, port);
	ASSERT_LE(0, pair);
	ASSERT_LE(0, push);
	EXPECT_EQ(-1, sp_send_hdr(pair, h, 4, "x", 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, sp_send_hdr(push, h, 4, "x", 1));
	EXPECT_EQ(EINVAL, errno);
	close(pair);
	close(push);
}

/*
 * A cooked REQ to a raw REP: the header is the pipe id and the request
 * id; the reply goes back by that header. A header naming no pipe is
 * dropped and counted, and send() still succeeds.
 */
TEST(raw_rep_answers_cooked_req)
{
	unsigned char h[64], h2[8];
	struct sp_stats st;
	int rep, req, hlen, fl;
	uint16_t port;
	char buf[32];

	rep = sp_raw_listen(SOCK_REP, &port);
	ASSERT_LE(0, rep);
	req = sp_dial(SOCK_REQ, port);
	ASSERT_LE(0, req);
	sp_set_timeouts(req, 5000);
	ASSERT_EQ(5, send(req, "hello", 5, 0));
	ASSERT_EQ(5, sp_recv_hdr(rep, h, sizeof(h), &hlen, buf, sizeof(buf), &fl));
	EXPECT_EQ(0, memcmp(buf, "hello", 5));
	ASSERT_EQ(8, hlen);
	EXPECT_NE(0, word(h));
	EXPECT_EQ(0, word(h) & 0x80000000) TH_LOG("pipe id %08x", word(h));
	EXPECT_EQ(0x80000000, word(h + 4) & 0x80000000) TH_LOG("request id %08x", word(h + 4));
	/* No pattern state: the raw REP can send more than one answer. */
	ASSERT_EQ(5, sp_send_hdr(rep, h, hlen, "world", 5));
	ASSERT_EQ(5, recv(req, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "world", 5));

	/* Another pipe id: dropped. */
	memcpy(h2, h, 8);
	h2[3] ^= 0x40;
	ASSERT_EQ(0, sp_stats(rep, &st));
	ASSERT_EQ(5, sp_send_hdr(rep, h2, 8, "stray", 5));
	EXPECT_EQ(-1, recv(req, buf, sizeof(buf), MSG_DONTWAIT));
	{
		struct sp_stats st2;

		ASSERT_EQ(0, sp_stats(rep, &st2));
		EXPECT_EQ(st.tx_dropped + 1, st2.tx_dropped);
	}
	/* A plain recv() has no room for the header: MSG_CTRUNC. */
	ASSERT_EQ(2, send(req, "hi", 2, 0));
	{
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

		ASSERT_EQ(2, recvmsg(rep, &mh, 0));
		EXPECT_TRUE(mh.msg_flags & MSG_CTRUNC);
	}
	close(req);
	close(rep);
}

/*
 * A raw REQ to a cooked REP: the header goes before the body, as the id
 * the REP sends back; the reply's first word comes back as the header.
 */
TEST(raw_req_asks_cooked_rep)
{
	unsigned char id[4] = { 0x80, 0x12, 0x34, 0x56 }, h[16];
	int rep, req, hlen, fl;
	uint16_t port;
	char buf[32];

	rep = sp_listen_any(SOCK_REP, &port);
	ASSERT_LE(0, rep);
	sp_set_timeouts(rep, 5000);
	req = sp_raw_dial(SOCK_REQ, port);
	ASSERT_LE(0, req);
	ASSERT_EQ(0, sp_set_int(req, SOL_SP, SP_RESEND_IVL, 100));
	ASSERT_EQ(3, sp_send_hdr(req, id, 4, "ask", 3));
	ASSERT_EQ(3, recv(rep, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "ask", 3));
	ASSERT_EQ(6, send(rep, "answer", 6, 0));
	ASSERT_EQ(6, sp_recv_hdr(req, h, sizeof(h), &hlen, buf, sizeof(buf), &fl));
	EXPECT_EQ(0, memcmp(buf, "answer", 6));
	ASSERT_EQ(4, hlen);
	EXPECT_EQ(0, memcmp(h, id, 4));
	/* No resend: the raw REQ keeps no request (SP_RESEND_IVL 100 ms). */
	sp_set_timeo(rep, SO_RCVTIMEO, 400);
	EXPECT_EQ(-1, recv(rep, buf, sizeof(buf), 0));
	EXPECT_EQ(EAGAIN, errno);
	close(req);
	close(rep);
}

/* A raw SUB receives everything a PUB sends, with no subscription. */
TEST(raw_sub_is_unfiltered)
{
	int pub, sub;
	uint16_t port;
	char buf[16];

	pub = sp_listen_any(SOCK_PUB, &port);
	ASSERT_LE(0, pub);
	sub = sp_raw_dial(SOCK_SUB, port);
	ASSERT_LE(0, sub);
	ASSERT_EQ(0, sp_send_until_readable(pub, "first", 5, sub, 100, 100));
	while (recv(sub, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
	ASSERT_EQ(4, send(pub, "abcd", 4, 0));
	ASSERT_EQ(0, send(pub, "", 0, 0));
	ASSERT_EQ(3, send(pub, "xyz", 3, 0));
	EXPECT_EQ(4, recv(sub, buf, sizeof(buf), 0));
	EXPECT_EQ(0, recv(sub, buf, sizeof(buf), 0));
	EXPECT_EQ(3, recv(sub, buf, sizeof(buf), 0));
	close(sub);
	close(pub);
}

/*
 * A raw BUS: the header is the sender's pipe id; a send with it goes to
 * every peer but that one, one without it to all.
 */
TEST(raw_bus_leaves_out_the_sender)
{
	unsigned char h[8];
	int hub, a, b, hlen, fl;
	uint16_t port;
	char buf[16];

	hub = sp_raw_listen(SOCK_BUS, &port);
	ASSERT_LE(0, hub);
	a = sp_dial(SOCK_BUS, port);
	b = sp_dial(SOCK_BUS, port);
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	sp_set_timeouts(a, 5000);
	sp_set_timeouts(b, 5000);
	/* Both pipes up: each reaches the hub. */
	ASSERT_EQ(0, sp_send_until_readable(a, "a", 1, hub, 100, 100));
	ASSERT_EQ(1, sp_recv_hdr(hub, h, sizeof(h), &hlen, buf, sizeof(buf), &fl));
	while (recv(hub, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
	ASSERT_EQ(0, sp_send_until_readable(b, "b", 1, hub, 100, 100));
	while (recv(hub, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
	ASSERT_EQ(1, send(a, "A", 1, 0));
	ASSERT_EQ(1, sp_recv_hdr(hub, h, sizeof(h), &hlen, buf, sizeof(buf), &fl));
	ASSERT_EQ(4, hlen);
	EXPECT_EQ('A', buf[0]);
	/* Reflect it: b gets it, a does not. */
	ASSERT_EQ(1, sp_send_hdr(hub, h, 4, "A", 1));
	ASSERT_EQ(1, recv(b, buf, sizeof(buf), 0));
	EXPECT_EQ('A', buf[0]);
	EXPECT_FALSE(sp_poll1(a, POLLIN, 300) & POLLIN);
	/* No header: both. */
	ASSERT_EQ(1, sp_send_hdr(hub, h, 0, "Z", 1));
	ASSERT_EQ(1, recv(a, buf, sizeof(buf), 0));
	ASSERT_EQ(1, recv(b, buf, sizeof(buf), 0));
	/* Anything but a pipe id or nothing. */
	EXPECT_EQ(-1, sp_send_hdr(hub, h, 8, "x", 1));
	EXPECT_EQ(EINVAL, errno);
	close(a);
	close(b);
	close(hub);
}

/*
 * The hop limit: a raw REP with SP_MAXTTL 2 drops a request of three
 * backtrace words and counts it, and takes one of two.
 */
TEST(hop_limit_drops_and_counts)
{
	unsigned char three[12] = { 0, 0, 0, 1, 0, 0, 0, 2, 0x80, 0, 0, 3 };
	struct sp_stats st;
	unsigned char h[64];
	int rep, req, hlen, fl;
	uint16_t port;
	char buf[16];

	rep = sp_raw_listen(SOCK_REP, &port);
	ASSERT_LE(0, rep);
	ASSERT_EQ(0, sp_set_int(rep, SOL_SP, SP_MAXTTL, 2));
	req = sp_raw_dial(SOCK_REQ, port);
	ASSERT_LE(0, req);
	/* A 2-hop request with an empty body: once the pipe is up. */
	ASSERT_EQ(8, send(req, three + 4, 8, 0));
	ASSERT_EQ(0, sp_recv_hdr(rep, h, sizeof(h), &hlen, buf, sizeof(buf), &fl));
	EXPECT_EQ(12, hlen);
	ASSERT_EQ(0, sp_stats(rep, &st));
	ASSERT_EQ(2, sp_send_hdr(req, three, 12, "xx", 2));
	ASSERT_EQ(2, sp_send_hdr(req, three + 4, 8, "ok", 2));
	ASSERT_EQ(2, sp_recv_hdr(rep, h, sizeof(h), &hlen, buf, sizeof(buf), &fl));
	EXPECT_EQ(0, memcmp(buf, "ok", 2)) TH_LOG("the 3-hop request was not dropped");
	EXPECT_EQ(12, hlen);
	{
		struct sp_stats st2;

		ASSERT_EQ(0, sp_stats(rep, &st2));
		EXPECT_EQ(st.rx_dropped + 1, st2.rx_dropped);
	}
	close(req);
	close(rep);
}

#define NCLIENTS 8

/*
 * A forwarder in user space: cooked REQs -> raw REP | raw REQ -> cooked
 * REP. Each of 8 clients gets the answer to its own question: the
 * backtrace grows by the front pipe's id and routes the reply back.
 */
TEST(user_forwarder_routes_replies)
{
	int front, back, worker, cl[NCLIENTS], i, hlen, fl, got = 0;
	uint16_t fport, bport;
	unsigned char h[64];
	char buf[64], want[16];
	ssize_t n;

	front = sp_raw_listen(SOCK_REP, &fport);
	back = sp_raw_listen(SOCK_REQ, &bport);
	ASSERT_LE(0, front);
	ASSERT_LE(0, back);
	worker = sp_dial(SOCK_REP, bport);
	ASSERT_LE(0, worker);
	sp_set_timeouts(worker, 5000);
	for (i = 0; i < NCLIENTS; i++) {
		cl[i] = sp_dial(SOCK_REQ, fport);
		ASSERT_LE(0, cl[i]);
		sp_set_timeouts(cl[i], 10000);
	}
	for (i = 0; i < NCLIENTS; i++) {
		n = snprintf(buf, sizeof(buf), "q%d", i);
		ASSERT_EQ(n, send(cl[i], buf, n, 0));
	}
	/* Forward each request, answer it, forward the answer back. */
	while (got < NCLIENTS) {
		n = sp_recv_hdr(front, h, sizeof(h), &hlen, buf, sizeof(buf), &fl);
		ASSERT_LT(0, n);
		ASSERT_EQ(8, hlen);
		ASSERT_EQ(n, sp_send_hdr(back, h, hlen, buf, n));
		n = recv(worker, buf, sizeof(buf) - 1, 0);
		ASSERT_LT(0, n);
		buf[0] = 'a';
		ASSERT_EQ(n, send(worker, buf, n, 0));
		n = sp_recv_hdr(back, h, sizeof(h), &hlen, buf, sizeof(buf), &fl);
		ASSERT_LT(0, n);
		/* The first word is the front pipe's id; the rest is the body. */
		ASSERT_EQ(4, hlen);
		ASSERT_EQ(n, sp_send_hdr(front, h, hlen, buf, n));
		got++;
	}
	for (i = 0; i < NCLIENTS; i++) {
		snprintf(want, sizeof(want), "a%d", i);
		n = recv(cl[i], buf, sizeof(buf), 0);
		ASSERT_EQ((ssize_t)strlen(want), n) TH_LOG("client %d", i);
		EXPECT_EQ(0, memcmp(buf, want, n)) TH_LOG("client %d got %.*s", i, (int)n, buf);
	}
	for (i = 0; i < NCLIENTS; i++)
		close(cl[i]);
	close(worker);
	close(back);
	close(front);
}

TEST_HARNESS_MAIN
