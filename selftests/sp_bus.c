// SPDX-License-Identifier: GPL-2.0
/*
 * BUS: a message to every connected peer but the sender, no forwarding,
 * a send that never blocks (a stalled peer misses messages, counted in
 * tx_dropped), fair queueing on receive, poll masks and signals.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>

#include "sp_lib.h"
#include "kselftest_harness.h"

#define NBUS 3

/* A 2-byte message: a kind and the sender's index. */
static int say(int fd, char kind, int from)
{
	char m[2] = { kind, '0' + from };

	return send(fd, m, 2, 0) == 2 ? 0 : -1;
}

/*
 * Sends probes from every socket of @fds until each has heard one from
 * each neighbour in @adj (every pipe is up), then a last round, 's', which
 * each socket reads up to (from each neighbour): afterwards nothing is
 * queued. A message from a socket that is no neighbour fails it (it was
 * forwarded). The sockets need a receive timeout. 0 or -1.
 */
static int bus_sync(const int *fds, int n, int adj[][NBUS])
{
	int heard[NBUS][NBUS] = { { 0 } }, round, i, j, all = 0;
	char m[8];

	for (round = 0; round < 200 && !all; round++) {
		for (i = 0; i < n; i++)
			if (say(fds[i], 'p', i))
				return -1;
		for (all = 1, j = 0; j < n; j++) {
			sp_poll1(fds[j], POLLIN, 20);
			while (recv(fds[j], m, sizeof(m), MSG_DONTWAIT) == 2) {
				i = m[1] - '0';
				if (m[0] != 'p' || i < 0 || i >= n || !adj[j][i])
					return -1;
				heard[j][i] = 1;
			}
			for (i = 0; i < n; i++)
				all &= !adj[j][i] || heard[j][i];
		}
	}
	if (!all)
		return -1;
	for (i = 0; i < n; i++)
		if (say(fds[i], 's', i))
			return -1;
	for (j = 0; j < n; j++) {
		int want = 0, got = 0;

		for (i = 0; i < n; i++)
			want += adj[j][i];
		while (got < want) {
			if (recv(fds[j], m, sizeof(m), 0) != 2)
				return -1;
			i = m[1] - '0';
			if (i < 0 || i >= n || !adj[j][i] || (m[0] != 'p' && m[0] != 's'))
				return -1;
			got += m[0] == 's';
		}
	}
	return 0;
}

/*
 * Reads the next messages of @fd, which must be exactly one of kind @kind
 * from each index set in @from (a bit mask), in any order. 0 or -1 (logged).
 */
static int expect_from(struct __test_metadata *_metadata, int fd, char kind, int from)
{
	int got = 0;
	char m[8];

	while (got != from) {
		ssize_t n = recv(fd, m, sizeof(m), 0);
		int i = n == 2 ? m[1] - '0' : -1;

		if (n != 2 || m[0] != kind || i < 0 || !(from & (1 << i)) || (got & (1 << i))) {
			TH_LOG("got %zd bytes '%.*s' where '%c' from mask %#x was due (%#x so far): %s",
			       n, (int)(n > 0 ? n : 0), m, kind, from, got, n < 0 ? strerror(errno) : "");
			return -1;
		}
		got |= 1 << i;
	}
	return 0;
}

/* Gives the NBUS sockets of @b 5 s timeouts, then bus_sync()s them on @adj. */
static int bus_up(int *b, int adj[][NBUS])
{
	int i;

	for (i = 0; i < NBUS; i++)
		sp_set_timeouts(b[i], 5000);
	return bus_sync(b, NBUS, adj);
}

/* Closes the NBUS sockets of @b. */
static void bus_close(int *b)
{
	int i;

	for (i = 0; i < NBUS; i++)
		close(b[i]);
}

/* Three BUS sockets, each pair connected: 0 and 1 bind, 1 dials 0, 2 dials both. */
FIXTURE(mesh)
{
	int b[NBUS];
};

FIXTURE_SETUP(mesh)
{
	int adj[NBUS][NBUS] = { { 0, 1, 1 }, { 1, 0, 1 }, { 1, 1, 0 } };
	uint16_t p0, p1;

	self->b[0] = sp_listen_any(SOCK_BUS, &p0);
	ASSERT_LE(0, self->b[0]);
	self->b[1] = sp_listen_any(SOCK_BUS, &p1);
	ASSERT_LE(0, self->b[1]);
	ASSERT_EQ(0, sp_connect_port(self->b[1], p0));
	self->b[2] = sp_dial(SOCK_BUS, p0);
	ASSERT_LE(0, self->b[2]);
	ASSERT_EQ(0, sp_connect_port(self->b[2], p1));
	ASSERT_EQ(0, bus_up(self->b, adj)) TH_LOG("the mesh did not connect");
}

FIXTURE_TEARDOWN(mesh)
{
	bus_close(self->b);
}

/*
 * Each message reaches the two others once, and never its sender: after
 * everyone's message and then everyone's marker, each socket has read
 * exactly the others' messages and markers (an echo would have come
 * before the marker of the peer that echoed it).
 */
TEST_F(mesh, reaches_others_not_self)
{
	char buf[8];
	int i;

	for (i = 0; i < NBUS; i++) {
		ASSERT_EQ(0, say(self->b[i], 'm', i));
		/* Each of the others receives it before the next is sent. */
		ASSERT_EQ(0, expect_from(_metadata, self->b[(i + 1) % NBUS], 'm', 1 << i));
		ASSERT_EQ(0, expect_from(_metadata, self->b[(i + 2) % NBUS], 'm', 1 << i));
	}
	for (i = 0; i < NBUS; i++)
		ASSERT_EQ(0, say(self->b[i], 'k', i));
	for (i = 0; i < NBUS; i++) {
		EXPECT_EQ(0, expect_from(_metadata, self->b[i], 'k', 7 & ~(1 << i))) TH_LOG("socket %d", i);
		EXPECT_EQ(-1, recv(self->b[i], buf, sizeof(buf), MSG_DONTWAIT));
		EXPECT_EQ(EAGAIN, errno);
	}
}

TEST_F(mesh, message_sizes)
{
	static const size_t sizes[] = { 0, 1, 65536, 1 << 20 };
	char *out = malloc(1 << 20), *in = malloc((1 << 20) + 1);
	unsigned int i, j;

	ASSERT_NE(NULL, out);
	ASSERT_NE(NULL, in);
	for (i = 0; i < (1 << 20); i++)
		out[i] = i * 13 + (i >> 10);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		ASSERT_EQ((ssize_t)sizes[i], send(self->b[0], out, sizes[i], 0));
		for (j = 1; j < NBUS; j++) {
			ASSERT_EQ((ssize_t)sizes[i], recv(self->b[j], in, (1 << 20) + 1, 0));
			EXPECT_EQ(0, memcmp(in, out, sizes[i]));
		}
	}
	free(out);
	free(in);
}

TEST_F(mesh, write_read)
{
	char buf[16];

	ASSERT_EQ(5, write(self->b[1], "hello", 5));
	ASSERT_EQ(5, read(self->b[0], buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "hello", 5));
	ASSERT_EQ(5, read(self->b[2], buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "hello", 5));
}

TEST_F(mesh, poll)
{
	char buf[8];
	int i;

	/* Always POLLOUT; POLLIN with a message queued. */
	for (i = 0; i < NBUS; i++)
		EXPECT_EQ(POLLOUT, sp_poll1(self->b[i], POLLIN | POLLOUT, 0));
	ASSERT_EQ(0, say(self->b[0], 'x', 0));
	EXPECT_EQ(POLLOUT, sp_poll1(self->b[0], POLLIN | POLLOUT, 0));
	for (i = 1; i < NBUS; i++) {
		EXPECT_EQ(POLLIN, sp_poll1(self->b[i], POLLIN, 5000));
		EXPECT_EQ(POLLIN | POLLOUT, sp_poll1(self->b[i], POLLIN | POLLOUT, 0));
		ASSERT_EQ(2, recv(self->b[i], buf, sizeof(buf), 0));
		EXPECT_EQ(POLLOUT, sp_poll1(self->b[i], POLLIN | POLLOUT, 0));
	}
}

/*
 * Two peers send 20 each at once: the BUS receives from both, each
 * sender's messages in order.
 */
TEST_F(mesh, recv_fair_queues)
{
	int i, got[NBUS] = { 0 }, first_half[NBUS] = { 0 };
	char seq[41] = { 0 };

	for (i = 0; i < 20; i++) {
		int v1 = 1000 + i, v2 = 2000 + i;

		ASSERT_EQ(sizeof(v1), send(self->b[1], &v1, sizeof(v1), 0));
		ASSERT_EQ(sizeof(v2), send(self->b[2], &v2, sizeof(v2), 0));
	}
	for (i = 0; i < 40; i++) {
		int v, s;

		ASSERT_EQ(sizeof(v), recv(self->b[0], &v, sizeof(v), 0)) TH_LOG("message %d: %s", i, strerror(errno));
		s = v / 1000;
		ASSERT_TRUE(s == 1 || s == 2) TH_LOG("message %d is %d", i, v);
		/* Each sender's own order holds. */
		ASSERT_EQ(got[s], v - 1000 * s);
		got[s]++;
		if (i < 20)
			first_half[s]++;
		seq[i] = 'a' + s;
	}
	TH_LOG("order received: %s", seq);
	EXPECT_LE(5, first_half[1]);
	EXPECT_LE(5, first_half[2]);
}

/*
 * A BUS whose receive queue is full drops what arrives (counted in
 * rx_dropped) rather than stalling its peers, as NNG's bus0 does: with
 * SP_RCVBUF 1, a burst of 20 leaves one message and 19 drops.
 */
TEST_F(mesh, full_recvq_drops)
{
	struct sp_stats st0, st1;
	int i, v, n = 0;

	ASSERT_EQ(0, sp_set_int(self->b[0], SOL_SP, SP_RCVBUF, 1));
	ASSERT_EQ(0, sp_stats(self->b[0], &st0));
	for (i = 0; i < 20; i++)
		ASSERT_EQ(sizeof(i), send(self->b[1], &i, sizeof(i), 0));
	/* The last one reaches b[2], so all 20 have gone out to b[0] too. */
	for (i = 0; i < 20; i++)
		ASSERT_EQ(sizeof(v), recv(self->b[2], &v, sizeof(v), 0));
	for (i = 0; i < 100; i++) {
		ASSERT_EQ(0, sp_stats(self->b[0], &st1));
		if (st1.rx_msgs + st1.rx_dropped - st0.rx_msgs - st0.rx_dropped >= 20)
			break;
		usleep(20000);
	}
	EXPECT_EQ(1, st1.rx_msgs - st0.rx_msgs);
	EXPECT_EQ(19, st1.rx_dropped - st0.rx_dropped);
	while (recv(self->b[0], &v, sizeof(v), MSG_DONTWAIT) == sizeof(v))
		n++;
	EXPECT_EQ(1, n);
	EXPECT_EQ(0, v) TH_LOG("the first message stays, the later ones go");
}

TEST_F(mesh, signal_interrupts_recv)
{
	char buf[8];

	ASSERT_EQ(0, sp_no_restart_alarm());
	ASSERT_EQ(0, sp_set_timeo(self->b[0], SO_RCVTIMEO, 0));
	EXPECT_EQ(-1, sp_alarmed(self->b[0], buf, NULL, sizeof(buf)));
	EXPECT_EQ(EINTR, errno);
}

/* A child asleep in recv() stays asleep, and SIGKILL ends it promptly. */
TEST_F(mesh, kill_blocked)
{
	pid_t pid, ended;
	int st;

	ASSERT_EQ(0, sp_set_timeo(self->b[0], SO_RCVTIMEO, 0));
	pid = sp_fork_blocked(self->b[0], NULL);
	ASSERT_LE(0, pid);
	EXPECT_TRUE(sp_blocked_in(pid, SYS_recvfrom, 5000)) TH_LOG("recv on BUS did not block");
	sp_kill_asleep(&pid, 1, 100, 3000, &ended, &st);
	EXPECT_EQ(0, ended) TH_LOG("recv returned");
	EXPECT_TRUE(sp_sigkilled(st)) TH_LOG("status %#x", st);
}

/* A line 0 - 1 - 2: 0 and 2 are connected to 1 only. */
FIXTURE(line)
{
	int b[NBUS];
};

FIXTURE_VARIANT(line)
{
	int middle_binds;
};

FIXTURE_VARIANT_ADD(line, middle_binds) { .middle_binds = 1 };
FIXTURE_VARIANT_ADD(line, ends_bind) { .middle_binds = 0 };

FIXTURE_SETUP(line)
{
	int adj[NBUS][NBUS] = { { 0, 1, 0 }, { 1, 0, 1 }, { 0, 1, 0 } };
	uint16_t port[NBUS];
	int i;

	if (variant->middle_binds) {
		self->b[1] = sp_listen_any(SOCK_BUS, &port[1]);
		ASSERT_LE(0, self->b[1]);
		self->b[0] = sp_dial(SOCK_BUS, port[1]);
		self->b[2] = sp_dial(SOCK_BUS, port[1]);
	} else {
		self->b[0] = sp_listen_any(SOCK_BUS, &port[0]);
		ASSERT_LE(0, self->b[0]);
		self->b[2] = sp_listen_any(SOCK_BUS, &port[2]);
		ASSERT_LE(0, self->b[2]);
		self->b[1] = sp_dial(SOCK_BUS, port[0]);
		ASSERT_LE(0, self->b[1]);
		ASSERT_EQ(0, sp_connect_port(self->b[1], port[2]));
	}
	for (i = 0; i < NBUS; i++)
		ASSERT_LE(0, self->b[i]);
	ASSERT_EQ(0, bus_up(self->b, adj)) TH_LOG("the line did not connect");
}

FIXTURE_TEARDOWN(line)
{
	bus_close(self->b);
}

/*
 * Nothing is forwarded: what an end sends reaches the middle only. The
 * middle's marker, sent after it received the message, comes first at
 * the other end; a forwarded copy would have come before it.
 */
TEST_F(line, no_forwarding)
{
	char buf[8];
	int end, other, i;

	for (end = 0; end < NBUS; end += 2) {
		other = 2 - end;
		ASSERT_EQ(0, say(self->b[end], 'm', end));
		ASSERT_EQ(0, expect_from(_metadata, self->b[1], 'm', 1 << end));
		ASSERT_EQ(0, say(self->b[1], 'k', 1));
		EXPECT_EQ(0, expect_from(_metadata, self->b[other], 'k', 1 << 1)) TH_LOG("at %d, from %d", other, end);
		/* The sender's own copy of the marker. */
		ASSERT_EQ(0, expect_from(_metadata, self->b[end], 'k', 1 << 1));
	}
	/* The middle reaches both ends. */
	ASSERT_EQ(0, say(self->b[1], 'm', 1));
	EXPECT_EQ(0, expect_from(_metadata, self->b[0], 'm', 1 << 1));
	EXPECT_EQ(0, expect_from(_metadata, self->b[2], 'm', 1 << 1));
	for (i = 0; i < NBUS; i++) {
		EXPECT_EQ(-1, recv(self->b[i], buf, sizeof(buf), MSG_DONTWAIT));
		EXPECT_EQ(EAGAIN, errno);
	}
}

/*
 * Without a peer, send() drops the message and returns at once, whether
 * the socket is unbound, bound, or dialing a port where nobody listens.
 */
TEST(send_never_blocks_without_peer)
{
	int fds[3], i, k;
	uint16_t port;
	int64_t t;

	fds[0] = socket(PF_SP, SOCK_BUS, 0);
	fds[1] = sp_listen_any(SOCK_BUS, &port);
	ASSERT_LE(0, fds[0]);
	ASSERT_LE(0, fds[1]);
	/* Find a free port, then dial it. */
	fds[2] = sp_listen_any(SOCK_BUS, &port);
	ASSERT_LE(0, fds[2]);
	close(fds[2]);
	fds[2] = sp_dial(SOCK_BUS, port);
	ASSERT_LE(0, fds[2]);
	for (i = 0; i < 3; i++) {
		/* A send that waited would fail here, not hang. */
		ASSERT_EQ(0, sp_set_timeo(fds[i], SO_SNDTIMEO, 5000));
		EXPECT_EQ(POLLOUT, sp_poll1(fds[i], POLLIN | POLLOUT, 0));
		t = sp_now_ms();
		for (k = 0; k < 50; k++) {
			ASSERT_EQ(5, send(fds[i], "lost!", 5, k % 2 ? MSG_DONTWAIT : 0)) {
				TH_LOG("socket %d send %d: %s", i, k, strerror(errno));
			}
		}
		t = sp_now_ms() - t;
		EXPECT_GT(2000, t) TH_LOG("socket %d: 50 sends took %lld ms", i, (long long)t);
		EXPECT_EQ(-1, recv(fds[i], &k, sizeof(k), MSG_DONTWAIT));
		EXPECT_EQ(EAGAIN, errno);
	}
	for (i = 0; i < 3; i++)
		close(fds[i]);
}

/*
 * A peer that never reads, among one that does: send() never blocks or
 * fails, the stalled pipe misses messages once full (tx_dropped grows),
 * and the reading peer gets every message, in order. The stalled peer is
 * a raw TCP one: an sp BUS that does not read drops at its own receive
 * queue (as NNG's bus0 does) and never stalls the sender's pipe.
 */
TEST(stalled_peer_misses_messages)
{
	enum { SIZE = 16 * 1024, BURST = 8 };
	long long wmem = sp_sysctl_field("/proc/sys/net/ipv4/tcp_wmem", 2);
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	int b[2], q = 32, i, burst, max_bursts, last = -1, slow_got = 0;
	int fd, small = 4096;
	struct sp_stats s0, s1;
	int64_t t, slowest = 0;
	unsigned char h[8];
	uint16_t port;
	char *buf;
	ssize_t n;

	ASSERT_LT(0, wmem);
	/* Far past what the stalled pipe and TCP on both sides can hold. */
	max_bursts = ((wmem + (4 << 20)) / SIZE + q + 64) / BURST + 1;
	buf = calloc(1, SIZE);
	ASSERT_NE(NULL, buf);
	b[0] = sp_listen_any(SOCK_BUS, &port);
	ASSERT_LE(0, b[0]);
	/* Room for a burst in the reading pipe's queue. */
	ASSERT_EQ(0, sp_set_int(b[0], SOL_SP, SP_SNDBUF, q));
	sp_set_timeouts(b[0], 5000);
	/* The stalled peer: handshakes, says hello, never reads again. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)));
	{
		struct sockaddr_in sin = sp_loopback(port);

		ASSERT_EQ(0, connect(fd, (struct sockaddr *)&sin, sizeof(sin)));
	}
	ASSERT_EQ(0, sp_raw_handshake(fd, SP_PROTO_BUS, h));
	ASSERT_EQ(0, sp_raw_send(fd, "up", 2));
	ASSERT_EQ(2, recv(b[0], buf, SIZE, 0));
	/* The reading peer, up once a message goes both ways. */
	b[1] = socket(PF_SP, SOCK_BUS, 0);
	ASSERT_LE(0, b[1]);
	sp_set_timeouts(b[1], 5000);
	ASSERT_EQ(0, sp_connect_port(b[1], port));
	ASSERT_LE(0, sp_send_until_readable(b[1], "s", 1, b[0], 100, 100));
	ASSERT_EQ(1, recv(b[0], buf, SIZE, 0)) TH_LOG("the reading peer did not connect");
	ASSERT_EQ(1, send(b[0], "t", 1, 0));
	ASSERT_EQ(1, recv(b[1], buf, SIZE, 0));
	ASSERT_EQ(0, sp_stats(b[0], &s0));

	for (burst = 0; burst < max_bursts; burst++) {
		for (i = 0; i < BURST; i++) {
			int v = burst * BURST + i;

			memcpy(buf, &v, sizeof(v));
			t = sp_now_ms();
			ASSERT_EQ(SIZE, send(b[0], buf, SIZE, i % 2 ? MSG_DONTWAIT : 0)) {
				TH_LOG("send %d: %s", v, strerror(errno));
			}
			t = sp_now_ms() - t;
			if (t > slowest)
				slowest = t;
		}
		for (i = 0; i < BURST; i++) {
			int v = -1;

			ASSERT_EQ(SIZE, recv(b[1], buf, SIZE, 0)) {
				TH_LOG("message %d: %s", burst * BURST + i, strerror(errno));
			}
			memcpy(&v, buf, sizeof(v));
			ASSERT_EQ(burst * BURST + i, v);
		}
		ASSERT_EQ(0, sp_stats(b[0], &s1));
		if (s1.tx_dropped > s0.tx_dropped)
			break;
	}
	TH_LOG("%d bursts of %d x 16 KiB (at most %d); tx_dropped %llu; slowest send %lld ms",
	       burst + 1, BURST, max_bursts, (unsigned long long)(s1.tx_dropped - s0.tx_dropped),
	       (long long)slowest);
	EXPECT_LT(burst, max_bursts) TH_LOG("the stalled pipe never dropped");
	EXPECT_GT(2000, slowest);
	/* What the stalled peer did get came in order, with gaps only. */
	while ((n = sp_raw_recv(fd, buf, SIZE, 1000)) >= 0) {
		int v;

		if (n != SIZE)
			continue;
		memcpy(&v, buf, sizeof(v));
		EXPECT_LT(last, v);
		last = v;
		slow_got++;
	}
	TH_LOG("the stalled peer received %d (last %d) afterwards", slow_got, last);
	EXPECT_LT(0, slow_got);
	EXPECT_GT(burst * BURST + BURST, slow_got) TH_LOG("nothing was missed");
	setsockopt(b[0], SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
	for (i = 0; i < 2; i++)
		close(b[i]);
	free(buf);
}

/* A raw BUS peer on TCP: the header, and frames that are the message alone. */
TEST(raw_bus_peer)
{
	unsigned char h[8], body[16];
	char buf[16];
	int bus, fd, i;

	bus = sp_raw_listener(SOCK_BUS, SP_PROTO_BUS, 5000, &fd, h);
	ASSERT_LE(0, bus);
	EXPECT_EQ(0, memcmp(h, "\0SP\0\0\x70\0\0", 8));
	ASSERT_EQ(0, sp_raw_send(fd, "up", 2));
	ASSERT_EQ(2, recv(bus, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "up", 2));
	/* The pipe is attached now; what the BUS sends is the body alone. */
	ASSERT_EQ(5, send(bus, "hello", 5, 0));
	ASSERT_EQ(5, sp_raw_recv(fd, body, sizeof(body), 5000));
	EXPECT_EQ(0, memcmp(body, "hello", 5));
	/* Not echoed back to its sender. */
	for (i = 0; i < 2; i++)
		EXPECT_EQ(-1, recv(bus, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_FALSE(sp_poll1(fd, POLLIN, 300) & POLLIN);
	close(fd);
	close(bus);
}

TEST_HARNESS_MAIN
