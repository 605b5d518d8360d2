// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile peers: adversarial byte streams against an sp REP listener and
 * from a hostile "REP" that an sp REQ dials, and into the front of an
 * in-kernel device, while a well-behaved peer on the same sp socket keeps
 * working, and sp's SP_STATS account for every hostile connection. SP_HOSTILE_FRAMES sets the number of frames per test
 * (default 6000; 'make stress' uses 1000000).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "sp_lib.h"
#include "kselftest_harness.h"

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

static long target_frames(void)
{
	return sp_env_long("SP_HOSTILE_FRAMES", 6000);
}

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v;
}

/*
 * Appends one adversarial frame for a REP to @buf; returns its size.
 * Bodies: valid requests, missing bottom words, too many hops, empty,
 * short, random.
 */
static size_t rep_frame(unsigned char *buf, size_t room)
{
	unsigned char body[64];
	size_t len = 0, i;

	switch (rnd() % 6) {
	case 0:	/* a valid request */
		put32(body, 0x80000000 | rnd());
		len = 4 + rnd() % 16;
		break;
	case 1:	/* words without a bottom word */
		len = 4 * (1 + rnd() % 8);
		for (i = 0; i < len; i += 4)
			put32(body + i, rnd() & 0x7fffffff);
		break;
	case 2:	/* more hops than SP_MAXTTL */
		len = 4 * 12;
		for (i = 0; i < len - 4; i += 4)
			put32(body + i, rnd() & 0x7fffffff);
		put32(body + len - 4, 0x80000000);
		break;
	case 3:	/* empty */
		len = 0;
		break;
	case 4:	/* shorter than a word */
		len = rnd() % 4;
		for (i = 0; i < len; i++)
			body[i] = rnd();
		break;
	default: /* random */
		len = rnd() % sizeof(body);
		for (i = 0; i < len; i++)
			body[i] = rnd();
	}
	if (len + 8 > room)
		return 0;
	sp_be64(buf, len);
	memcpy(buf + 8, body, len);
	return 8 + len;
}

/*
 * One hostile connection of kind @kind to @port; returns frames sent, or
 * -1 if it could not connect.
 */
static long attack(uint16_t port, int kind)
{
	unsigned char buf[64 * 1024], h[8];
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	size_t off = 0, n;
	long frames = 0;
	int fd, i;

	fd = sp_raw_connect(port);
	if (fd < 0)
		return -1;
	switch (kind) {
	case 0:	/* random bytes instead of a header */
		for (i = 0; i < 256; i++)
			buf[i] = rnd();
		(void)!write(fd, buf, 1 + rnd() % 256);
		break;
	case 1:	/* wrong protocol, bad magic, reserved bytes */
		sp_header(h, (uint16_t[]){ SP_PROTO_REP, SP_PROTO_PUB, 0x1234 }[rnd() % 3]);
		if (rnd() % 2)
			h[1] = 'X';
		if (rnd() % 2)
			h[7] = 1;
		(void)!write(fd, h, 8);
		break;
	case 2:	/* lengths at and over the limit, and 2^63 */
		sp_header(h, SP_PROTO_REQ);
		(void)!write(fd, h, 8);
		sp_be64(buf, (uint64_t[]){ (1 << 20) + 1, 1ULL << 63, ~0ULL, 1ULL << 60 }[rnd() % 4]);
		(void)!write(fd, buf, 8);
		frames = 1;
		break;
	case 3:	/* truncated frame, then a reset */
		sp_header(h, SP_PROTO_REQ);
		(void)!write(fd, h, 8);
		sp_be64(buf, 1000);
		(void)!write(fd, buf, 8 + rnd() % 500);
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		frames = 1;
		break;
	default: /* a flood of small frames with hostile bodies */
		sp_header(buf, SP_PROTO_REQ);
		off = 8;
		for (;;) {
			n = rep_frame(buf + off, 4096 - off);
			if (!n)
				break;
			off += n;
			frames++;
		}
		(void)!send(fd, buf, off, MSG_NOSIGNAL);
	}
	close(fd);
	return frames;
}

struct server {
	int fd, stop;
	long served;
};

/* The REP's owner: answers whatever arrives, hostile or not. */
static void *serve(void *arg)
{
	struct server *s = arg;
	char buf[256];

	while (!s->stop) {
		if (recv(s->fd, buf, sizeof(buf), 0) < 0)
			continue;
		if (send(s->fd, buf, 2, 0) >= 0)
			s->served++;
	}
	return NULL;
}

/*
 * Twenty hostile connections to @port, counted in *@conns (and in
 * *@bad_headers those that never send a valid header); the frames they
 * sent, or -1 with errno if one could not connect.
 */
static long attack_burst(uint16_t port, long *conns, long *bad_headers)
{
	long frames = 0;
	int i;

	for (i = 0; i < 20; i++, (*conns)++) {
		int kind = rnd() % 8;
		long n = attack(port, kind);

		if (n < 0)
			return -1;
		frames += n;
		/* Kinds 0 and 1 never send a valid header. */
		if (kind < 2)
			(*bad_headers)++;
	}
	return frames;
}

/*
 * Waits up to 20 s for @fd's SP_STATS to count @conns pipes refused or
 * dropped; the counters in *@st. 0, or -1 if SP_STATS failed.
 */
static int wait_pipes_closed(int fd, long conns, struct sp_stats *st)
{
	int64_t end = sp_now_ms() + 20000;

	do {
		if (sp_stats(fd, st))
			return -1;
		if (st->pipes_refused + st->pipes_dropped >= (uint64_t)conns)
			break;
		usleep(50 * 1000);
	} while (sp_now_ms() < end);
	return 0;
}

/* 'make stress' runs these for far longer than the harness's 30 s. */
FIXTURE(long_run) {};
FIXTURE_SETUP(long_run) {}
FIXTURE_TEARDOWN(long_run) {}

/*
 * A flood of connections from one address that never send their SP
 * header: once half of the 256 handshake slots are taken, a source gets
 * no more than a quarter of them, so the listener greets 128 (each with
 * its own header) and closes the rest at once; a good peer gets through
 * as soon as the idle ones go away.
 */
TEST(handshake_flood_is_capped)
{
	enum { CAP = 256, SHARE = CAP / 2, IDLE = CAP + 100 };
	static int idle[IDLE];
	int rep, req, ms = 60000, i, greeted = 0, closed = 0;
	struct sp_stats st;
	uint16_t port;
	char buf[8];

	rep = sp_listen_any(SOCK_REP, &port);
	ASSERT_LE(0, rep);
	/* Nobody times out during the test: only the cap limits. */
	ASSERT_EQ(0, setsockopt(rep, SOL_SP, SP_HANDSHAKE_TIMEOUT, &ms, sizeof(ms)));
	/* Within the cap plus TCP's accept queue: every connect() completes. */
	for (i = 0; i < IDLE; i++) {
		idle[i] = sp_raw_connect(port);
		ASSERT_LE(0, idle[i]) TH_LOG("connection %d: %s", i, strerror(errno));
	}
	sleep(2);
	for (i = 0; i < IDLE; i++) {
		ssize_t n;

		if (!(sp_poll1(idle[i], POLLIN, 0) & POLLIN))
			continue;
		n = recv(idle[i], buf, sizeof(buf), MSG_DONTWAIT | MSG_PEEK);
		if (n == 8)
			greeted++;
		else if (n == 0 || (n < 0 && errno == ECONNRESET))
			closed++;
	}
	TH_LOG("%d of %d silent connections taken up, %d closed", greeted, IDLE, closed);
	EXPECT_EQ(SHARE, greeted);
	EXPECT_EQ(IDLE - SHARE, closed);
	ASSERT_EQ(0, sp_stats(rep, &st));
	EXPECT_EQ(IDLE - SHARE, st.pipes_refused);

	/* A good peer queues behind them ... */
	req = sp_dial(SOCK_REQ, port);
	ASSERT_LE(0, req);
	sp_set_timeo(req, SO_RCVTIMEO, 20000);
	sp_set_timeo(rep, SO_RCVTIMEO, 20000);
	ASSERT_EQ(2, send(req, "hi", 2, 0));
	/* ... and gets through once the greeted ones hang up. */
	for (i = 0; i < IDLE; i++)
		if (sp_poll1(idle[i], POLLIN, 0) & POLLIN) {
			close(idle[i]);
			idle[i] = -1;
		}
	ASSERT_EQ(2, recv(rep, buf, sizeof(buf), 0));
	ASSERT_EQ(2, send(rep, "ok", 2, 0));
	ASSERT_EQ(2, recv(req, buf, sizeof(buf), 0));
	for (i = 0; i < IDLE; i++)
		if (idle[i] >= 0)
			close(idle[i]);
	close(req);
	close(rep);
}

TEST_F_TIMEOUT(long_run, rep_under_attack, 7200)
{
	struct server sv = { 0 };
	long frames = 0, conns = 0, good = 0, bad_headers = 0, goal = target_frames();
	struct sp_stats st;
	int ms = 300, req;
	pthread_t th;
	uint16_t port;

	signal(SIGPIPE, SIG_IGN);
	sv.fd = sp_listen_any(SOCK_REP, &port);
	ASSERT_LE(0, sv.fd);
	ASSERT_EQ(0, setsockopt(sv.fd, SOL_SP, SP_HANDSHAKE_TIMEOUT, &ms, sizeof(ms)));
	sp_set_timeo(sv.fd, SO_RCVTIMEO, 200);
	ASSERT_EQ(0, pthread_create(&th, NULL, serve, &sv));
	req = sp_dial(SOCK_REQ, port);
	ASSERT_LE(0, req);
	sp_set_timeo(req, SO_RCVTIMEO, 10000);

	while (frames < goal) {
		long n = attack_burst(port, &conns, &bad_headers);
		char buf[8];

		ASSERT_LE(0, n) TH_LOG("connection %ld: %s", conns, strerror(errno));
		frames += n;
		/* The well-behaved peer still gets answers. */
		ASSERT_EQ(2, send(req, "ok", 2, 0));
		ASSERT_EQ(2, recv(req, buf, sizeof(buf), 0)) {
			TH_LOG("good peer lost after %ld frames: %s", frames, strerror(errno));
		}
		good++;
	}
	/*
	 * Every hostile connection reached the REP and ended in a pipe
	 * closed by sp: refused in the handshake (all the bad headers, and
	 * any that hung up first) or dropped after it.
	 */
	ASSERT_EQ(0, wait_pipes_closed(sv.fd, conns, &st));
	TH_LOG("%ld hostile frames over %ld connections (%ld bad headers); %ld good round trips; %ld answered; %llu pipes refused, %llu dropped",
	       frames, conns, bad_headers, good, sv.served,
	       (unsigned long long)st.pipes_refused, (unsigned long long)st.pipes_dropped);
	EXPECT_EQ(conns, st.pipes_refused + st.pipes_dropped);
	EXPECT_LE(bad_headers, st.pipes_refused);
	sv.stop = 1;
	pthread_join(th, NULL);
	close(req);
	close(sv.fd);
}

/* Memory charged to cgroup @cg other than TCP's own buffers. */
static long long cg_held(const char *cg)
{
	return sp_cg_read(cg, "memory.current", NULL) - sp_cg_read(cg, "memory.stat", "sock");
}

/*
 * The same attack on the front of an in-kernel REQ/REP device (a raw REP
 * linked with a raw REQ that a worker dials) while it forwards: a good
 * client is still served through it, every hostile connection ends in a
 * pipe closed by the front, the device is still linked at the end, and
 * what the memory cgroup sees sp hold stays bounded.
 */
TEST_F_TIMEOUT(long_run, device_under_attack, 7200)
{
	long frames = 0, conns = 0, good = 0, bad_headers = 0, goal = target_frames();
	long long base = 0, peak = 0, held;
	struct server sv = { 0 };
	uint16_t fport, bport;
	int front, back, req, off = -1, ms = 300;
	struct sp_stats st;
	char cg[128];
	int in_cg;
	pthread_t th;

	signal(SIGPIPE, SIG_IGN);
	in_cg = !sp_cg_make(cg, "sp_hostile") && !sp_cg_join(cg);
	if (in_cg)
		base = cg_held(cg);
	front = sp_raw_listen(SOCK_REP, &fport);
	back = sp_raw_listen(SOCK_REQ, &bport);
	ASSERT_LE(0, front);
	ASSERT_LE(0, back);
	ASSERT_EQ(0, setsockopt(front, SOL_SP, SP_HANDSHAKE_TIMEOUT, &ms, sizeof(ms)));
	ASSERT_EQ(0, setsockopt(front, SOL_SP, SP_DEVICE, &back, sizeof(back)));
	sv.fd = sp_dial(SOCK_REP, bport);
	ASSERT_LE(0, sv.fd);
	sp_set_timeo(sv.fd, SO_RCVTIMEO, 200);
	ASSERT_EQ(0, pthread_create(&th, NULL, serve, &sv));
	req = sp_dial(SOCK_REQ, fport);
	ASSERT_LE(0, req);
	sp_set_timeo(req, SO_RCVTIMEO, 10000);

	while (frames < goal) {
		long n = attack_burst(fport, &conns, &bad_headers);
		char buf[8];

		ASSERT_LE(0, n) TH_LOG("connection %ld: %s", conns, strerror(errno));
		frames += n;
		ASSERT_EQ(2, send(req, "ok", 2, 0));
		ASSERT_EQ(2, recv(req, buf, sizeof(buf), 0)) {
			TH_LOG("good client lost after %ld frames: %s", frames, strerror(errno));
		}
		good++;
		if (in_cg) {
			held = cg_held(cg) - base;
			peak = held > peak ? held : peak;
		}
	}
	ASSERT_EQ(0, wait_pipes_closed(front, conns, &st));
	TH_LOG("%ld hostile frames over %ld connections into the device; %ld good round trips through it; %ld answered by the worker; %llu pipes refused, %llu dropped, %llu messages dropped; sp and the test's sockets held at most %lld KiB",
	       frames, conns, good, sv.served, (unsigned long long)st.pipes_refused,
	       (unsigned long long)st.pipes_dropped, (unsigned long long)st.rx_dropped,
	       in_cg ? peak / 1024 : -1LL);
	EXPECT_EQ(conns, st.pipes_refused + st.pipes_dropped);
	EXPECT_LE(bad_headers, st.pipes_refused);
	/* A few socket buffers, whatever the number of frames. */
	if (in_cg)
		EXPECT_GT(16LL << 20, peak);
	/* Still linked: the unlink finds the device. */
	EXPECT_EQ(0, setsockopt(front, SOL_SP, SP_DEVICE, &off, sizeof(off)));
	sv.stop = 1;
	pthread_join(th, NULL);
	close(req);
	close(sv.fd);
	close(back);
	close(front);
	if (in_cg) {
		sp_cg_write("/sys/fs/cgroup", "cgroup.procs", "0");
		rmdir(cg);
	}
}

/* A hostile "REP" that an sp REQ dials: bad headers and bad replies. */
TEST_F_TIMEOUT(long_run, req_dials_hostile_rep, 7200)
{
	struct sockaddr_in sin = sp_loopback(0);
	socklen_t len = sizeof(sin);
	long rounds = target_frames() / 100, i, broken = 0;
	struct sp_stats st;
	int lst, req, ivl = 50, rcv;

	signal(SIGPIPE, SIG_IGN);
	lst = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_LE(0, lst);
	ASSERT_EQ(0, bind(lst, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(0, listen(lst, 64));
	ASSERT_EQ(0, getsockname(lst, (struct sockaddr *)&sin, &len));
	req = socket(PF_SP, SOCK_REQ, 0);
	ASSERT_LE(0, req);
	ASSERT_EQ(0, setsockopt(req, SOL_SP, SP_RECONNECT_IVL, &ivl, sizeof(ivl)));
	ivl = 0;
	ASSERT_EQ(0, setsockopt(req, SOL_SP, SP_RECONNECT_IVL_MAX, &ivl, sizeof(ivl)));
	ASSERT_EQ(0, connect(req, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(2, send(req, "hi", 2, 0));
	for (i = 0; i < rounds; i++) {
		unsigned char h[8], f[64];
		int fd;

		if (sp_poll1(lst, POLLIN, 5000) != POLLIN)
			break;
		fd = accept(lst, NULL, NULL);
		ASSERT_LE(0, fd);
		sp_header(h, SP_PROTO_REP);
		if (rnd() % 4 == 0) {
			h[rnd() % 8] ^= 1 + rnd() % 255;	/* a broken header */
			broken++;
		}
		(void)!write(fd, h, 8);
		sp_read_full(fd, f, 8, 2000);
		/* The request, if it comes, then a reply that is wrong. */
		sp_read_full(fd, f, 14, 2000);
		switch (rnd() % 3) {
		case 0:	sp_be64(f, 2); (void)!write(fd, f, 10); break;		/* too short */
		case 1:	sp_be64(f, 6); f[8] &= 0x7f; (void)!write(fd, f, 14); break; /* no top bit */
		default: sp_be64(f, 1ULL << 62); (void)!write(fd, f, 8);	/* oversize */
		}
		close(fd);
	}
	EXPECT_EQ(rounds, i);
	/* Finally a good REP: the same request is answered. */
	{
		unsigned char h[8], f[14];
		char buf[8];
		int fd;

		ASSERT_EQ(POLLIN, sp_poll1(lst, POLLIN, 5000));
		fd = accept(lst, NULL, NULL);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, sp_raw_handshake(fd, SP_PROTO_REP, h));
		ASSERT_EQ(14, sp_read_full(fd, f, 14, 5000));
		memcpy(f + 12, "ok", 2);
		ASSERT_EQ(14, write(fd, f, 14));
		rcv = 5000;
		sp_set_timeo(req, SO_RCVTIMEO, rcv);
		ASSERT_EQ(2, recv(req, buf, sizeof(buf), 0));
		EXPECT_EQ(0, memcmp(buf, "ok", 2));
		close(fd);
	}
	/*
	 * Each hostile REP cost one pipe: refused for a broken header,
	 * dropped after a good one (for the bad reply, or the hang-up). A
	 * redial that fails before its handshake counts as refused too.
	 */
	ASSERT_EQ(0, sp_stats(req, &st));
	TH_LOG("%ld hostile REPs (%ld broken headers): %llu pipes refused, %llu dropped",
	       rounds, broken, (unsigned long long)st.pipes_refused,
	       (unsigned long long)st.pipes_dropped);
	EXPECT_LE(broken, st.pipes_refused);
	EXPECT_LE(rounds - broken, st.pipes_dropped);
	EXPECT_GE(rounds + 2, st.pipes_refused + st.pipes_dropped);
	close(req);
	close(lst);
}

TEST_HARNESS_MAIN
