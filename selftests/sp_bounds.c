// SPDX-License-Identifier: GPL-2.0
/*
 * Resource bounds (issue 13, items 2, 4 and 8): what sp holds for a peer
 * stays within the socket's options however the peer behaves, and the
 * timers measure what they say.
 *
 * Several tests measure what sp holds through a memory cgroup: the test
 * moves into a fresh child cgroup before it makes its sockets, so that
 * everything sp allocates for them is charged there, and reads
 * memory.current less what memory.stat counts as TCP buffers ("sock").
 */
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <linux/sockios.h>

#include "kselftest_harness.h"
#include "sp_lib.h"

/* A raw TCP socket with a small receive buffer, connected to @port. */
static int raw_small(uint16_t port, int rcvbuf)
{
	struct sockaddr_in sin = sp_loopback(port);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	if (rcvbuf)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Sends our SP header for @proto and reads the peer's; 0 on success. */
static int raw_handshake(int fd, uint16_t proto)
{
	unsigned char h[8], got[8];

	sp_header(h, proto);
	if (write(fd, h, 8) != 8)
		return -1;
	return sp_read_full(fd, got, 8, 3000) == 8 ? 0 : -1;
}

/* A request frame with id @id (top bit set) and no payload. */
static int raw_request(int fd, uint32_t id)
{
	unsigned char f[12];

	sp_be64(f, 4);
	id |= 0x80000000u;
	f[8] = id >> 24; f[9] = id >> 16; f[10] = id >> 8; f[11] = id;
	return write(fd, f, sizeof(f)) == sizeof(f) ? 0 : -1;
}

static int set_int(int fd, int name, int v)
{
	return setsockopt(fd, SOL_SP, name, &v, sizeof(v));
}

/* The cgroup this test moved into. */
static char cg[128];

/* Memory charged to the cgroup other than TCP's own buffers. */
static long long cg_held(void)
{
	return sp_cg_read(cg, "memory.current", NULL) - sp_cg_read(cg, "memory.stat", "sock");
}

static void cg_leave(void)
{
	if (sp_cg_write("/sys/fs/cgroup", "cgroup.procs", "0"))
		perror("cgroup.procs");
	rmdir(cg);
}

/*
 * A REQ peer that sends requests and never reads: the REP's replies queue
 * on that pipe up to SO_SNDBUF bytes; then send() fails with EAGAIN
 * (MSG_DONTWAIT) or after SO_SNDTIMEO, and the request can still be
 * answered later. Another peer is served meanwhile.
 */
TEST(rep_replies_bounded_by_sndbuf)
{
	static char reply[32 * 1024];
	int rep, raw, sndbuf = 64 * 1024, i, queued = 0, eagain = 0;
	uint16_t port;
	char buf[64];
	int64_t t0;

	rep = sp_listen_any(SOCK_REP, &port);
	ASSERT_LE(0, rep);
	ASSERT_EQ(0, setsockopt(rep, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)));
	ASSERT_EQ(0, sp_set_timeo(rep, SO_RCVTIMEO, 3000));
	raw = raw_small(port, 4096);
	ASSERT_LE(0, raw);
	ASSERT_EQ(0, raw_handshake(raw, SP_PROTO_REQ));

	/* Old sp queued every reply: 4000 x 32 KiB, 128 MiB. */
	for (i = 0; i < 4000 && !eagain; i++) {
		ASSERT_EQ(0, raw_request(raw, i));
		ASSERT_EQ(0, recv(rep, buf, sizeof(buf), 0));
		if (send(rep, reply, sizeof(reply), MSG_DONTWAIT) == sizeof(reply)) {
			queued++;
			continue;
		}
		ASSERT_EQ(EAGAIN, errno);
		eagain = 1;
	}
	TH_LOG("%d replies of 32 KiB queued before EAGAIN", queued);
	ASSERT_TRUE(eagain);
	/* SO_SNDBUF (doubled: 128 KiB) plus what TCP's buffers took. */
	EXPECT_GT(queued, 2);
	EXPECT_LT(queued, 200);

	/* Blocking: SO_SNDTIMEO bounds the wait. The request stays current. */
	ASSERT_EQ(0, sp_set_timeo(rep, SO_SNDTIMEO, 300));
	t0 = sp_now_ms();
	EXPECT_EQ(-1, send(rep, reply, sizeof(reply), 0));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_LE(250, sp_now_ms() - t0);

	/* Another peer is served. */
	EXPECT_EQ(0, sp_round_trip(rep, port));
	close(raw);
	close(rep);
}

/* Polls SIOCOUTQ of @fd until it is at most @want, for @ms; the last value. */
static int outq_at_most(int fd, int want, int ms)
{
	int64_t end = sp_now_ms() + ms;
	int n = -1;

	while (!ioctl(fd, SIOCOUTQ, &n) && n > want && sp_now_ms() < end)
		usleep(10 * 1000);
	return n;
}

/*
 * SO_SNDBUF bounds what a REP queues across all its pipes, not each
 * pipe's queue: four REQ peers that never read share one budget, so that
 * once the first has filled it the others' large replies wait too. A
 * peer that reads still gets small replies (a pipe's own 16 KiB
 * allowance), and a large reply goes once the hog has gone.
 */
TEST(sndbuf_spans_the_pipes)
{
	static char reply[32 * 1024], got[sizeof(reply) + 4];
	int rep, raw[4], sndbuf = 64 * 1024, eff, i, j, n = -1, queued = 0;
	socklen_t sl = sizeof(eff);
	uint16_t port;
	char buf[64];

	rep = sp_listen_any(SOCK_REP, &port);
	ASSERT_LE(0, rep);
	ASSERT_EQ(0, setsockopt(rep, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)));
	ASSERT_EQ(0, getsockopt(rep, SOL_SOCKET, SO_SNDBUF, &eff, &sl));
	ASSERT_EQ(0, sp_set_timeo(rep, SO_RCVTIMEO, 3000));
	for (i = 0; i < 4; i++) {
		raw[i] = raw_small(port, 4096);
		ASSERT_LE(0, raw[i]);
		ASSERT_EQ(0, raw_handshake(raw[i], SP_PROTO_REQ));
	}
	/* Each peer's replies until one finds no room. */
	for (i = 0; i < 4; i++) {
		for (j = 0; j < 1000; j++) {
			ASSERT_EQ(0, raw_request(raw[i], i * 1000 + j));
			ASSERT_EQ(0, recv(rep, buf, sizeof(buf), 0));
			if (send(rep, reply, sizeof(reply), MSG_DONTWAIT) != sizeof(reply))
				break;
			queued++;
		}
		ASSERT_EQ(EAGAIN, errno);
		if (i > 0)
			EXPECT_EQ(0, j) TH_LOG("peer %d got %d replies past the budget", i, j);
	}
	ASSERT_EQ(0, ioctl(rep, SIOCOUTQ, &n));
	TH_LOG("%d replies of 32 KiB accepted, %d bytes queued, SO_SNDBUF %d", queued, n, eff);
	/* Per-pipe queues held about four times this. */
	EXPECT_LT(eff / 2, n);
	EXPECT_GE(eff, n);

	/* A peer that reads: small replies go through its allowance. */
	EXPECT_EQ(0, sp_round_trip(rep, port));

	/* The hog leaves: its queue no longer counts, peer 1's reply goes. */
	close(raw[0]);
	EXPECT_EQ(0, outq_at_most(rep, 0, 5000));
	ASSERT_EQ(0, raw_request(raw[1], 9999));
	ASSERT_EQ(0, recv(rep, buf, sizeof(buf), 0));
	ASSERT_EQ(sizeof(reply), send(rep, reply, sizeof(reply), MSG_DONTWAIT));
	/* Its first frame: it had no reply before. */
	EXPECT_EQ(sizeof(got), sp_raw_recv(raw[1], got, sizeof(got), 3000));
	for (i = 1; i < 4; i++)
		close(raw[i]);
	close(rep);
}

/*
 * A PUB's copies for SUBs that never read: each pipe keeps a share of
 * SO_SNDBUF (plus its 16 KiB allowance), dropping its oldest, so that the
 * socket queues about SO_SNDBUF in all rather than SO_SNDBUF a pipe.
 */
TEST(pub_sndbuf_spans_the_pipes)
{
	static char msg[4096];
	int pub, raw[4], sndbuf = 64 * 1024, eff, i, n = -1;
	socklen_t sl = sizeof(eff);
	struct sp_stats st;
	uint16_t port;

	pub = sp_listen_any(SOCK_PUB, &port);
	ASSERT_LE(0, pub);
	ASSERT_EQ(0, setsockopt(pub, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)));
	ASSERT_EQ(0, getsockopt(pub, SOL_SOCKET, SO_SNDBUF, &eff, &sl));
	/* Bytes, not the message count, are the bound here. */
	ASSERT_EQ(0, set_int(pub, SP_SNDBUF, 8192));
	for (i = 0; i < 4; i++) {
		raw[i] = raw_small(port, 4096);
		ASSERT_LE(0, raw[i]);
		ASSERT_EQ(0, raw_handshake(raw[i], SP_PROTO_SUB));
		/* Its pipe is up once a message reaches it. */
		ASSERT_EQ(0, sp_send_until_readable(pub, msg, 8, raw[i], 100, 20));
	}
	for (i = 0; i < 2000; i++)
		ASSERT_EQ(sizeof(msg), send(pub, msg, sizeof(msg), MSG_DONTWAIT));
	ASSERT_EQ(0, ioctl(pub, SIOCOUTQ, &n));
	ASSERT_EQ(0, sp_stats(pub, &st));
	TH_LOG("%d bytes queued for 4 SUBs, SO_SNDBUF %d, %llu dropped", n, eff,
	       (unsigned long long)st.tx_dropped);
	EXPECT_LT(eff / 2, n);
	/* Per-pipe queues held 4 x SO_SNDBUF. */
	EXPECT_GE(eff + 4 * (16 * 1024 + (int)sizeof(msg)), n);
	EXPECT_LT(0, st.tx_dropped);
	for (i = 0; i < 4; i++)
		close(raw[i]);
	close(pub);
}

/*
 * A REQ whose request is stuck on a pipe that does not read resends
 * every millisecond: each resend replaces the copy still queued, so that
 * once the peer reads, it finds one or two copies, not hundreds.
 */
TEST(req_resend_replaces_stale_copy)
{
	static char body[1 << 20];
	unsigned char pre[8];
	int lfd, req, c, small = 4096, frames = 0;
	struct sockaddr_in sin;
	int64_t end;

	lfd = sp_tcp_listen(&sin, 4);
	ASSERT_LE(0, lfd);
	/* The peer (accepted from it) reads nothing and takes little. */
	setsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));

	req = sp_dial(SOCK_REQ, ntohs(sin.sin_port));
	ASSERT_LE(0, req);
	ASSERT_EQ(0, set_int(req, SP_RESEND_IVL, 1));
	c = accept(lfd, NULL, NULL);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, raw_handshake(c, SP_PROTO_REP));
	ASSERT_EQ(sizeof(body), send(req, body, sizeof(body), 0));
	/* About a thousand resends while the first copy is stuck ... */
	usleep(1000 * 1000);
	/* ... then none: the armed timer re-arms from the live interval. */
	ASSERT_EQ(0, set_int(req, SP_RESEND_IVL, 3600000));
	usleep(100 * 1000);
	/* Now read fast: whatever sp still queued comes out. */
	small = 1 << 20;
	setsockopt(c, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));

	end = sp_now_ms() + 10000;
	while (sp_now_ms() < end && frames < 20) {
		uint64_t n = 0;
		int i;

		if (sp_read_full(c, pre, 8, 500) != 8)
			break;
		for (i = 0; i < 8; i++)
			n = n << 8 | pre[i];
		ASSERT_EQ(sizeof(body) + 4, n);
		while (n) {
			size_t k = n < sizeof(body) ? n : sizeof(body);
			ssize_t got = sp_read_full(c, body, k, 1000);

			ASSERT_LT(0, got);
			n -= got;
		}
		frames++;
	}
	TH_LOG("%d copies of the request arrived", frames);
	EXPECT_LE(1, frames);
	/* One on the wire, at most one queued, and the latest resend. */
	EXPECT_GE(3, frames);
	close(req);
	close(c);
	close(lfd);
}

/* SP_MAXPIPES: connections beyond it are closed at once and counted. */
TEST(maxpipes)
{
	int rep, raw[6], i, open_ = 0, closed = 0;
	struct sp_stats st;
	uint16_t port;

	rep = sp_listen_any(SOCK_REP, &port);
	ASSERT_LE(0, rep);
	EXPECT_EQ(-1, set_int(rep, SP_MAXPIPES, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, set_int(rep, SP_MAXPIPES, 65537));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, set_int(rep, SP_MAXPIPES, 3));
	for (i = 0; i < 6; i++) {
		raw[i] = sp_raw_connect(port);
		ASSERT_LE(0, raw[i]);
		/* One at a time: the first three hold the pipes. */
		usleep(100 * 1000);
	}
	for (i = 0; i < 6; i++) {
		if (sp_peer_closed(raw[i], 500))
			closed++;
		else
			open_++;
	}
	EXPECT_EQ(3, open_);
	EXPECT_EQ(3, closed);
	ASSERT_EQ(0, sp_stats(rep, &st));
	EXPECT_LE(3, st.pipes_refused);
	/* A pipe that goes makes room for the next. */
	for (i = 0; i < 6; i++)
		close(raw[i]);
	usleep(200 * 1000);
	raw[0] = sp_raw_connect(port);
	ASSERT_LE(0, raw[0]);
	EXPECT_EQ(0, raw_handshake(raw[0], SP_PROTO_REQ));
	close(raw[0]);
	close(rep);
}

/* SP_MAXENDPOINTS: bind() and connect() beyond it fail with ENOBUFS. */
TEST(maxendpoints)
{
	struct sockaddr_in sin = sp_loopback(1);
	int fd = socket(PF_SP, SOCK_PAIR, 0);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, set_int(fd, SP_MAXENDPOINTS, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, set_int(fd, SP_MAXENDPOINTS, 4097));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, set_int(fd, SP_MAXENDPOINTS, 2));
	ASSERT_EQ(0, connect(fd, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(0, connect(fd, (struct sockaddr *)&sin, sizeof(sin)));
	EXPECT_EQ(-1, connect(fd, (struct sockaddr *)&sin, sizeof(sin)));
	EXPECT_EQ(ENOBUFS, errno);
	sin = sp_loopback(0);
	EXPECT_EQ(-1, bind(fd, (struct sockaddr *)&sin, sizeof(sin)));
	EXPECT_EQ(ENOBUFS, errno);
	close(fd);

	/* The default is 64. */
	fd = socket(PF_SP, SOCK_PAIR, 0);
	ASSERT_LE(0, fd);
	sin = sp_loopback(1);
	for (int i = 0; i < 64; i++)
		ASSERT_EQ(0, connect(fd, (struct sockaddr *)&sin, sizeof(sin)));
	EXPECT_EQ(-1, connect(fd, (struct sockaddr *)&sin, sizeof(sin)));
	EXPECT_EQ(ENOBUFS, errno);
	close(fd);
}

/*
 * Peers that announce 1 MiB frames and send most of them: sp takes no
 * more out of TCP than SO_RCVBUF, a small allowance per pipe and one
 * frame, and a well-behaved peer's requests keep being served. Two
 * measures: what the peers could send at all (the rest stays in their
 * TCP buffers: a window sp does not open), and what the memory cgroup
 * sees sp hold.
 */
TEST(held_bytes_bounded)
{
	enum { PEERS = 32, BODY = 960 * 1024 };
	static char chunk[64 * 1024];
	int rep, raw[PEERS], i, rcvbuf = 64 * 1024, sndbuf = 32 * 1024, whole = 0;
	struct sockaddr_in sin;
	long long before, held;
	uint16_t port;

	if (sp_cg_make(cg, "sp_bounds") || sp_cg_join(cg))
		SKIP(return, "no cgroup v2 memory controller at /sys/fs/cgroup");
	rep = sp_listen_any(SOCK_REP, &port);
	ASSERT_LE(0, rep);
	ASSERT_EQ(0, setsockopt(rep, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)));
	ASSERT_EQ(0, sp_set_timeo(rep, SO_RCVTIMEO, 5000));
	sin = sp_loopback(port);
	before = cg_held();
	for (i = 0; i < PEERS; i++) {
		unsigned char pre[8];
		int sent = 0, fl;

		/* A fixed send buffer: what TCP can absorb stays small. */
		raw[i] = socket(AF_INET, SOCK_STREAM, 0);
		ASSERT_LE(0, raw[i]);
		ASSERT_EQ(0, setsockopt(raw[i], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)));
		ASSERT_EQ(0, connect(raw[i], (struct sockaddr *)&sin, sizeof(sin)));
		ASSERT_EQ(0, raw_handshake(raw[i], SP_PROTO_REQ));
		sp_be64(pre, 1 << 20);
		ASSERT_EQ(8, write(raw[i], pre, 8));
		fl = fcntl(raw[i], F_GETFL);
		fcntl(raw[i], F_SETFL, fl | O_NONBLOCK);
		while (sent < BODY) {
			ssize_t n = send(raw[i], chunk, sizeof(chunk) < BODY - sent ?
					 sizeof(chunk) : BODY - sent, 0);

			if (n < 0 && errno == EAGAIN) {
				if (!sp_poll1(raw[i], POLLOUT, 200))
					break;
				continue;
			}
			ASSERT_LT(0, n);
			sent += n;
		}
		whole += sent == BODY;
	}
	usleep(500 * 1000);
	held = cg_held() - before;
	TH_LOG("sp holds %lld KiB for %d peers with %d KiB frames in flight; %d sent it all",
	       held / 1024, PEERS, BODY / 1024, whole);
	/* Old sp drained them all: 32 x 960 KiB, 30 MiB and more. */
	EXPECT_GT(10LL << 20, held);
	/* The one pipe with the overdraft, and what TCP buffers. */
	EXPECT_GE(4, whole);

	/* A well-behaved peer is served meanwhile. */
	EXPECT_EQ(0, sp_round_trip(rep, port));
	for (i = 0; i < PEERS; i++)
		close(raw[i]);
	close(rep);
	cg_leave();
}

/* A nonblocking raw connection from @src (a loopback address) to @port. */
static int raw_from(const char *src, uint16_t port)
{
	struct sockaddr_in a = sp_loopback(0), sin = sp_loopback(port);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -1;
	a.sin_addr.s_addr = inet_addr(src);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) && errno != EINPROGRESS)) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * 300 connections from 127.0.0.1 that never send their header: they get
 * at most a share of the handshake slots, and a peer from 127.0.0.2 is
 * answered at once instead of queueing behind them for
 * SP_HANDSHAKE_TIMEOUT.
 */
TEST(handshake_slots_fair_per_source)
{
	enum { SILENT = 300 };
	int rep, fds[SILENT], i, other, got;
	unsigned char h[8];
	struct sp_stats st;
	uint16_t port;
	int64_t t0;

	rep = sp_listen_any(SOCK_REP, &port);
	ASSERT_LE(0, rep);
	ASSERT_EQ(0, set_int(rep, SP_HANDSHAKE_TIMEOUT, 20000));
	for (i = 0; i < SILENT; i++) {
		fds[i] = raw_from("127.0.0.1", port);
		ASSERT_LE(0, fds[i]);
	}
	/* Let the listener take what it takes. */
	usleep(1500 * 1000);
	t0 = sp_now_ms();
	other = raw_from("127.0.0.2", port);
	ASSERT_LE(0, other);
	ASSERT_NE(0, sp_poll1(other, POLLOUT, 5000));
	ASSERT_EQ(0, fcntl(other, F_SETFL, 0));
	/* A REP sends its header as soon as it accepts. */
	got = sp_read_full(other, h, 8, 6000);
	TH_LOG("127.0.0.2 got the REP's header after %lld ms",
	       (long long)(sp_now_ms() - t0));
	EXPECT_EQ(8, got);
	EXPECT_GT(6000, sp_now_ms() - t0);
	ASSERT_EQ(0, sp_stats(rep, &st));
	EXPECT_LE(SILENT - 256, st.pipes_refused);
	close(other);
	for (i = 0; i < SILENT; i++)
		close(fds[i]);
	close(rep);
}

/*
 * A TCP listener whose accept queue (of one) is full: further SYNs to it
 * are dropped until it accepts. *@fill is the connection that fills it.
 */
static int full_listener(struct sockaddr_in *sin, int *fill)
{
	int lfd = sp_tcp_listen(sin, 0);

	if (lfd < 0)
		return -1;
	*fill = sp_raw_connect(ntohs(sin->sin_port));
	if (*fill < 0) {
		close(lfd);
		return -1;
	}
	return lfd;
}

/*
 * A dialed connect slower than SP_HANDSHAKE_TIMEOUT: the listener's
 * accept queue is full, so the first SYNs are dropped and TCP retries
 * after a second or more. The handshake timer starts once TCP is up, so
 * the pipe comes up; SP_CONNECT_TIMEOUT bounds the connect itself.
 */
TEST(slow_connect_then_handshake)
{
	struct sockaddr_in sin;
	int lfd, fill, pair, c;
	unsigned char h[8], msg[16];
	int64_t t0;

	lfd = full_listener(&sin, &fill);
	ASSERT_LE(0, lfd);

	pair = socket(PF_SP, SOCK_PAIR, 0);
	ASSERT_LE(0, pair);
	EXPECT_EQ(-1, set_int(pair, SP_CONNECT_TIMEOUT, 0));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, set_int(pair, SP_HANDSHAKE_TIMEOUT, 300));
	ASSERT_EQ(0, set_int(pair, SP_CONNECT_TIMEOUT, 20000));
	ASSERT_EQ(0, set_int(pair, SP_RECONNECT_IVL, 3600000));
	t0 = sp_now_ms();
	ASSERT_EQ(0, connect(pair, (struct sockaddr *)&sin, sizeof(sin)));
	/* Its SYN is dropped for a while; then the queue has room. */
	usleep(1200 * 1000);
	c = accept(lfd, NULL, NULL);
	ASSERT_LE(0, c);
	close(c);
	c = accept(lfd, NULL, NULL);
	ASSERT_LE(0, c);
	TH_LOG("TCP came up after %lld ms", (long long)(sp_now_ms() - t0));
	sp_header(h, SP_PROTO_PAIR);
	ASSERT_EQ(8, write(c, h, 8));
	ASSERT_EQ(8, sp_read_full(c, h, 8, 3000));
	ASSERT_EQ(5, send(pair, "hello", 5, 0));
	ASSERT_EQ(13, sp_read_full(c, msg, 13, 3000));
	EXPECT_EQ(0, memcmp(msg + 8, "hello", 5));
	close(c);
	close(fill);
	close(pair);
	close(lfd);
}

/*
 * SP_CONNECT_TIMEOUT: a connect whose SYNs go unanswered (the listener's
 * accept queue stays full) is abandoned after the timeout and retried,
 * instead of waiting for TCP's two minutes of SYN retries. Each abandoned
 * attempt counts as a refused pipe.
 */
TEST(connect_timeout_gives_up)
{
	struct sockaddr_in sin;
	int lfd, fill, pair;
	struct sp_stats st;

	lfd = full_listener(&sin, &fill);
	ASSERT_LE(0, lfd);

	pair = socket(PF_SP, SOCK_PAIR, 0);
	ASSERT_LE(0, pair);
	ASSERT_EQ(0, set_int(pair, SP_CONNECT_TIMEOUT, 300));
	ASSERT_EQ(0, set_int(pair, SP_RECONNECT_IVL, 100));
	ASSERT_EQ(0, set_int(pair, SP_RECONNECT_IVL_MAX, 100));
	ASSERT_EQ(0, connect(pair, (struct sockaddr *)&sin, sizeof(sin)));
	usleep(2000 * 1000);
	ASSERT_EQ(0, sp_stats(pair, &st));
	TH_LOG("%llu connect attempts abandoned in 2 s", (unsigned long long)st.pipes_refused);
	/* One every 400 ms or so; none without the timeout. */
	EXPECT_LE(2, st.pipes_refused);
	close(pair);
	close(fill);
	close(lfd);
}

TEST_HARNESS_MAIN
