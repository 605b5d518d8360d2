// SPDX-License-Identifier: GPL-2.0
/*
 * PUSH/PULL: each message to one PULL, round robin among those with room,
 * a stalled PULL skipped, send backpressure, fair queueing on PULL, poll
 * masks, signals, misuse errnos and peers of the wrong type.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>

#include "sp_lib.h"
#include "kselftest_harness.h"

/* Message size of the queueing tests: TCP's buffers fill in few of them. */
#define BIG (64 * 1024)

/*
 * Sends int @v from @push and waits (up to 10 s) for it on one of @pulls;
 * counts it there. Returns the index of that PULL, or -1.
 */
static int push_one(int push, const int *pulls, int n, int *count, int v)
{
	struct pollfd p[8];
	int i, got;

	if (send(push, &v, sizeof(v), 0) != sizeof(v))
		return -1;
	for (i = 0; i < n; i++)
		p[i] = (struct pollfd){ .fd = pulls[i], .events = POLLIN };
	if (poll(p, n, 10000) <= 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (!(p[i].revents & POLLIN))
			continue;
		if (recv(pulls[i], &got, sizeof(got), 0) != sizeof(got) || got != v)
			return -1;
		count[i]++;
		return i;
	}
	return -1;
}

/*
 * Pushes small messages one at a time until each of @pulls has received
 * one: every pipe is up. The messages are all consumed. 0 or -1.
 */
static int warm_up(int push, const int *pulls, int n)
{
	int count[8] = { 0 }, i, j, all = 0;

	for (i = 0; i < 300 && !all; i++) {
		if (push_one(push, pulls, n, count, -1 - i) < 0)
			return -1;
		for (all = 1, j = 0; j < n; j++)
			all &= count[j] > 0;
	}
	return all ? 0 : -1;
}

/* A PUSH and a PULL, connected. */
FIXTURE(pp)
{
	int push, pull;
	uint16_t port;
};

FIXTURE_VARIANT(pp)
{
	int pull_binds;
};

FIXTURE_VARIANT_ADD(pp, push_binds) { .pull_binds = 0 };
FIXTURE_VARIANT_ADD(pp, pull_binds) { .pull_binds = 1 };

FIXTURE_SETUP(pp)
{
	if (variant->pull_binds) {
		self->pull = sp_listen_any(SOCK_PULL, &self->port);
		ASSERT_LE(0, self->pull);
		self->push = sp_dial(SOCK_PUSH, self->port);
	} else {
		self->push = sp_listen_any(SOCK_PUSH, &self->port);
		ASSERT_LE(0, self->push);
		self->pull = sp_dial(SOCK_PULL, self->port);
	}
	ASSERT_LE(0, self->push);
	ASSERT_LE(0, self->pull);
	sp_set_timeouts(self->push, 10000);
	sp_set_timeouts(self->pull, 10000);
	/* POLLOUT on a PUSH: a peer is connected. */
	ASSERT_EQ(POLLOUT, sp_poll1(self->push, POLLOUT, 10000)) TH_LOG("the PUSH found no peer");
}

FIXTURE_TEARDOWN(pp)
{
	close(self->push);
	close(self->pull);
}

TEST_F(pp, in_order_whole_messages)
{
	static const size_t sizes[] = { 0, 1, 5, 65536, 1 << 20 };
	char *out = malloc(1 << 20), *in = malloc((1 << 20) + 1);
	unsigned int i;
	int v;

	ASSERT_NE(NULL, out);
	ASSERT_NE(NULL, in);
	for (i = 0; i < (1 << 20); i++)
		out[i] = i * 7 + (i >> 9);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		ASSERT_EQ((ssize_t)sizes[i], send(self->push, out, sizes[i], 0));
		ASSERT_EQ((ssize_t)sizes[i], recv(self->pull, in, (1 << 20) + 1, 0));
		EXPECT_EQ(0, memcmp(in, out, sizes[i]));
	}
	/* Many sends are as many messages, in order (one pipe). */
	for (v = 0; v < 100; v++)
		ASSERT_EQ(sizeof(v), send(self->push, &v, sizeof(v), 0));
	for (i = 0; i < 100; i++) {
		ASSERT_EQ(sizeof(v), recv(self->pull, &v, sizeof(v), 0));
		ASSERT_EQ(i, v);
	}
	EXPECT_EQ(-1, recv(self->pull, in, 8, MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	free(out);
	free(in);
}

TEST_F(pp, write_read)
{
	char buf[16];

	ASSERT_EQ(5, write(self->push, "hello", 5));
	ASSERT_EQ(5, read(self->pull, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "hello", 5));
}

/* The direction a type lacks: EOPNOTSUPP, whatever the flags. */
TEST_F(pp, unsupported_directions)
{
	char buf[8];

	EXPECT_EQ(-1, recv(self->push, buf, sizeof(buf), 0));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(-1, recv(self->push, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(-1, read(self->push, buf, sizeof(buf)));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(-1, send(self->pull, "x", 1, 0));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(-1, send(self->pull, "x", 1, MSG_DONTWAIT));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(-1, write(self->pull, "x", 1));
	EXPECT_EQ(EOPNOTSUPP, errno);
	/* Nothing was sent by the refused calls. */
	EXPECT_EQ(-1, recv(self->pull, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
}

TEST_F(pp, poll)
{
	char buf[8];

	/* PUSH: POLLOUT with a peer and room, never POLLIN. */
	EXPECT_EQ(POLLOUT, sp_poll1(self->push, POLLIN | POLLOUT, 0));
	/* PULL: POLLIN with a message queued, never POLLOUT. */
	EXPECT_EQ(0, sp_poll1(self->pull, POLLIN | POLLOUT, 0));
	ASSERT_EQ(1, send(self->push, "x", 1, 0));
	EXPECT_EQ(POLLIN, sp_poll1(self->pull, POLLIN, 5000));
	EXPECT_EQ(POLLIN, sp_poll1(self->pull, POLLIN | POLLOUT, 0));
	ASSERT_EQ(1, recv(self->pull, buf, sizeof(buf), 0));
	EXPECT_EQ(0, sp_poll1(self->pull, POLLIN | POLLOUT, 0));
	EXPECT_EQ(POLLOUT, sp_poll1(self->push, POLLIN | POLLOUT, 0));
}

/*
 * Stalls the PUSH of @self: its PULL, which does not read, holds @few
 * messages, the PUSH's send queue one; BIG messages numbered from 0 go
 * until sends would block (sp_fill()). A buffer of BIG bytes; their number
 * to *@n.
 */
static char *fill_push(struct __test_metadata *_metadata, FIXTURE_DATA(pp) *self,
		       int few, int *n)
{
	int one = 1, next = 0;
	char *buf = calloc(1, BIG);

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, sp_set_int(self->pull, SOL_SP, SP_RCVBUF, few));
	ASSERT_EQ(0, sp_set_int(self->push, SOL_SP, SP_SNDBUF, one));
	*n = sp_fill(self->push, buf, BIG, &next, 100000);
	return buf;
}

/*
 * A PULL that does not read: once its queue, TCP's buffers and the PUSH's
 * send queue are full, send() gives EAGAIN and POLLOUT goes; it comes back
 * when the PULL reads, and nothing was lost.
 */
TEST_F(pp, send_queue_full)
{
	int n, next, tries;
	ssize_t r = 0;
	char *buf = fill_push(_metadata, self, 4, &n);

	TH_LOG("%d messages of 64 KiB before EAGAIN", n);
	ASSERT_LE(1, n);
	ASSERT_GT(100000, n) TH_LOG("sends never blocked");
	ASSERT_EQ(0, sp_set_timeo(self->push, SO_SNDTIMEO, 200));
	/*
	 * Under load TCP's buffers may still grow and take a few more after
	 * the fill: a 200 ms send gives EAGAIN within a few tries, and right
	 * after it the PUSH is not writable.
	 */
	for (next = n, tries = 0; tries < 20; tries++, next++) {
		memcpy(buf, &next, sizeof(next));
		r = send(self->push, buf, BIG, 0);
		if (r != BIG)
			break;
	}
	EXPECT_EQ(-1, r);
	EXPECT_EQ(EAGAIN, errno);
	TH_LOG("%d more after the fill", next - n);
	n = next;
	EXPECT_EQ(0, sp_poll1(self->push, POLLIN | POLLOUT, 0));
	EXPECT_EQ(n, sp_drain_numbered(self->pull, buf, BIG, 0, n));
	EXPECT_EQ(-1, recv(self->pull, buf, BIG, MSG_DONTWAIT));
	EXPECT_EQ(POLLOUT, sp_poll1(self->push, POLLOUT, 5000));
	free(buf);
}

TEST_F(pp, signal_interrupts_recv)
{
	char buf[8];

	ASSERT_EQ(0, sp_no_restart_alarm());
	ASSERT_EQ(0, sp_set_timeo(self->pull, SO_RCVTIMEO, 0));
	EXPECT_EQ(-1, sp_alarmed(self->pull, buf, NULL, sizeof(buf)));
	EXPECT_EQ(EINTR, errno);
}

/* A send blocked on a full queue (the PULL does not read) ends with EINTR. */
TEST_F(pp, signal_interrupts_send_full)
{
	int n;
	char *buf = fill_push(_metadata, self, 1, &n);

	ASSERT_LE(1, n);
	ASSERT_GT(100000, n);
	ASSERT_EQ(0, sp_no_restart_alarm());
	ASSERT_EQ(0, sp_set_timeo(self->push, SO_SNDTIMEO, 0));
	EXPECT_EQ(-1, sp_alarmed(self->push, NULL, buf, BIG));
	EXPECT_EQ(EINTR, errno);
	free(buf);
}

/* No peer: a PUSH cannot send, and says so in every way. */
TEST(no_peer_backpressure)
{
	uint16_t port;
	int push = sp_listen_any(SOCK_PUSH, &port);
	int64_t t;

	ASSERT_LE(0, push);
	EXPECT_EQ(0, sp_poll1(push, POLLIN | POLLOUT, 0));
	EXPECT_EQ(-1, send(push, "x", 1, MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, sp_set_timeo(push, SO_SNDTIMEO, 200));
	t = sp_now_ms();
	EXPECT_EQ(-1, send(push, "x", 1, 0));
	EXPECT_EQ(EAGAIN, errno);
	t = sp_now_ms() - t;
	EXPECT_LE(150, t);
	EXPECT_GE(3000, t);
	/* O_NONBLOCK behaves as MSG_DONTWAIT. */
	ASSERT_EQ(0, fcntl(push, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-1, send(push, "x", 1, 0));
	EXPECT_EQ(EAGAIN, errno);
	close(push);
}

TEST(signal_interrupts_send_no_peer)
{
	uint16_t port;
	int push = sp_listen_any(SOCK_PUSH, &port);

	ASSERT_LE(0, push);
	ASSERT_EQ(0, sp_no_restart_alarm());
	EXPECT_EQ(-1, sp_alarmed(push, NULL, "x", 1));
	EXPECT_EQ(EINTR, errno);
	close(push);
}

struct sender {
	int fd, ret, err;
	pid_t tid;
};

static void *send_late(void *arg)
{
	struct sender *s = arg;

	__atomic_store_n(&s->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	s->ret = send(s->fd, "late", 4, 0);
	s->err = errno;
	return NULL;
}

/* A send() asleep for want of a peer completes once a PULL connects. */
TEST(blocked_send_completes_on_connect)
{
	struct sender s = { .ret = -2 };
	char buf[8];
	pthread_t th;
	uint16_t port;
	int pull;
	pid_t tid;

	s.fd = sp_listen_any(SOCK_PUSH, &port);
	ASSERT_LE(0, s.fd);
	ASSERT_EQ(0, sp_set_timeo(s.fd, SO_SNDTIMEO, 20000));
	ASSERT_EQ(0, pthread_create(&th, NULL, send_late, &s));
	tid = sp_await_tid(&s.tid);
	EXPECT_TRUE(sp_blocked_in(tid, SYS_sendto, 5000)) TH_LOG("send() did not block");
	pull = sp_dial(SOCK_PULL, port);
	ASSERT_LE(0, pull);
	ASSERT_EQ(0, sp_set_timeo(pull, SO_RCVTIMEO, 10000));
	EXPECT_EQ(4, recv(pull, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "late", 4));
	pthread_join(th, NULL);
	EXPECT_EQ(4, s.ret) TH_LOG("send: %s", strerror(s.err));
	close(pull);
	close(s.fd);
}

/*
 * Three PULLs, each pipe idle at every send (the previous message has
 * arrived): strict round robin, so 30 messages are 10 each, each received
 * once.
 */
TEST(round_robin_three)
{
	int pulls[3], count[3] = { 0 }, push, i;
	char buf[8];

	push = sp_star(SOCK_PUSH, SOCK_PULL, pulls, 3, 10000);
	ASSERT_LE(0, push);
	ASSERT_EQ(0, warm_up(push, pulls, 3)) TH_LOG("not all three PULLs connected");
	for (i = 0; i < 30; i++)
		ASSERT_LE(0, push_one(push, pulls, 3, count, i)) TH_LOG("message %d lost", i);
	TH_LOG("messages per PULL: %d %d %d", count[0], count[1], count[2]);
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(10, count[i]);
		/* Nobody got a copy besides. */
		ASSERT_EQ(0, sp_set_timeo(pulls[i], SO_RCVTIMEO, 300));
		EXPECT_EQ(-1, recv(pulls[i], buf, sizeof(buf), 0));
		EXPECT_EQ(EAGAIN, errno);
	}
	for (i = 0; i < 3; i++)
		close(pulls[i]);
	close(push);
}

struct puller {
	int fd, n, count, dup, bad;
	unsigned char *seen;	/* shared: times each message arrived */
	volatile int stop;
};

/* Reads numbered BIG messages until told to stop and the PULL is quiet. */
static void *pull_main(void *arg)
{
	struct puller *p = arg;
	char *buf = malloc(BIG);
	int v;

	if (!buf) {
		p->bad++;
		return NULL;
	}
	for (;;) {
		ssize_t n = recv(p->fd, buf, BIG, 0);

		if (n < 0 && errno == EAGAIN) {
			if (p->stop)
				break;
			continue;
		}
		if (n != BIG) {
			p->bad++;
			break;
		}
		memcpy(&v, buf, sizeof(v));
		if (v < 0 || v >= p->n)
			p->bad++;
		else if (__atomic_fetch_add(&p->seen[v], 1, __ATOMIC_RELAXED))
			p->dup++;
		__atomic_fetch_add(&p->count, 1, __ATOMIC_RELAXED);
	}
	free(buf);
	return NULL;
}

static int fast_count(struct puller *f)
{
	return __atomic_load_n(&f[0].count, __ATOMIC_RELAXED) +
	       __atomic_load_n(&f[1].count, __ATOMIC_RELAXED);
}

/* Waits (up to 30 s) until the fast PULLs have had nothing for 1 s. */
static int fast_settle(struct puller *f)
{
	int64_t end = sp_now_ms() + 30000, quiet = sp_now_ms();
	int last = fast_count(f);

	while (sp_now_ms() < end && sp_now_ms() - quiet < 1000) {
		usleep(50000);
		if (fast_count(f) != last) {
			last = fast_count(f);
			quiet = sp_now_ms();
		}
	}
	return last;
}

/*
 * Three PULLs, one of which never reads: once its pipe is full it is
 * skipped, and the other two take the rest. No send blocks for long, no
 * message is lost or duplicated, and the stalled PULL gets less than its
 * third. What it holds is bounded by its buffers and TCP's, not by sp:
 * @held estimates that (tcp_wmem[2] on the PUSH side, about twice
 * tcp_rmem[1] on its own, as a pipe that stopped reading does not
 * autotune, and slack), and three times it are sent.
 */
/* A few tens of MB under TCG: longer than the harness's 30 s default. */
FIXTURE(long_run) {};
FIXTURE_SETUP(long_run) {}
FIXTURE_TEARDOWN(long_run) {}

TEST_F_TIMEOUT(long_run, slow_pull_skipped, 180)
{
	long long wmem = sp_sysctl_field("/proc/sys/net/ipv4/tcp_wmem", 2);
	long long rmem = sp_sysctl_field("/proc/sys/net/ipv4/tcp_rmem", 1);
	struct puller fast[2];
	int push, slow, pulls[3], i, n, held, fast_before, slow_got = 0, v;
	unsigned char *seen;
	pthread_t th[2];
	uint16_t port;
	char *buf;
	int64_t t, slowest = 0;

	ASSERT_LT(0, wmem);
	ASSERT_LT(0, rmem);
	/*
	 * TCP on both sides with 2 MiB of slack, the PULL's SP_RCVBUF and
	 * SO_RCVBUF (128 KiB once doubled), and a frame in flight at each end.
	 */
	held = (wmem + 2 * rmem + (2 << 20)) / BIG + 2 + 2 + 2;
	n = 3 * held + 30;
	buf = calloc(1, BIG);
	seen = calloc(n, 1);
	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, seen);

	push = sp_listen_any(SOCK_PUSH, &port);
	ASSERT_LE(0, push);
	ASSERT_EQ(0, sp_set_int(push, SOL_SOCKET, SO_SNDBUF, 2 * BIG));
	sp_set_timeouts(push, 10000);
	for (i = 0; i < 3; i++) {
		pulls[i] = socket(PF_SP, SOCK_PULL, 0);
		ASSERT_LE(0, pulls[i]);
		sp_set_timeouts(pulls[i], 500);
	}
	slow = pulls[2];
	ASSERT_EQ(0, sp_set_int(slow, SOL_SOCKET, SO_RCVBUF, BIG));
	ASSERT_EQ(0, sp_set_int(slow, SOL_SP, SP_RCVBUF, 2));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, sp_connect_port(pulls[i], port));
	ASSERT_EQ(0, warm_up(push, pulls, 3)) TH_LOG("not all three PULLs connected");

	for (i = 0; i < 2; i++) {
		fast[i] = (struct puller){ .fd = pulls[i], .n = n, .seen = seen };
		ASSERT_EQ(0, pthread_create(&th[i], NULL, pull_main, &fast[i]));
	}
	t = sp_now_ms();
	for (i = 0; i < n; i++) {
		int64_t t1 = sp_now_ms();

		memcpy(buf, &i, sizeof(i));
		ASSERT_EQ(BIG, send(push, buf, BIG, 0)) {
			TH_LOG("send %d of %d: %s", i, n, strerror(errno));
		}
		if (sp_now_ms() - t1 > slowest)
			slowest = sp_now_ms() - t1;
	}
	t = sp_now_ms() - t;
	fast_before = fast_settle(fast);

	/* Now the slow one reads what was left to it. */
	ASSERT_EQ(0, sp_set_timeo(slow, SO_RCVTIMEO, 2000));
	while (recv(slow, buf, BIG, 0) == BIG) {
		memcpy(&v, buf, sizeof(v));
		ASSERT_LE(0, v);
		ASSERT_GT(n, v);
		EXPECT_EQ(0, __atomic_fetch_add(&seen[v], 1, __ATOMIC_RELAXED)) TH_LOG("message %d twice", v);
		slow_got++;
	}
	fast_settle(fast);
	for (i = 0; i < 2; i++) {
		fast[i].stop = 1;
		pthread_join(th[i], NULL);
	}
	TH_LOG("%d messages of 64 KiB in %lld ms (slowest send %lld ms): fast %d + %d (%d before the slow one read), slow %d (about %d expected at most)",
	       n, (long long)t, (long long)slowest, fast[0].count, fast[1].count,
	       fast_before, slow_got, held);
	EXPECT_EQ(0, fast[0].bad + fast[1].bad);
	EXPECT_EQ(0, fast[0].dup + fast[1].dup);
	/* Nothing lost. */
	EXPECT_EQ(n, fast[0].count + fast[1].count + slow_got);
	for (i = 0; i < n; i++)
		if (seen[i] != 1) {
			EXPECT_EQ(1, seen[i]) TH_LOG("message %d arrived %d times", i, seen[i]);
			break;
		}
	/*
	 * The stalled PULL was skipped: less than its third, and the rest
	 * reached the fast ones while it stalled.
	 */
	EXPECT_GT(n / 3, slow_got);
	EXPECT_EQ(n - slow_got, fast_before);
	EXPECT_LT(0, fast[0].count);
	EXPECT_LT(0, fast[1].count);
	for (i = 0; i < 3; i++)
		close(pulls[i]);
	close(push);
	free(seen);
	free(buf);
}

/*
 * A PULL with room for one message and two PUSHes with 20 each waiting:
 * it takes from both in turn, each sender's messages in order.
 */
TEST(pull_fair_queues)
{
	int pull, push[2], i, got[2] = { 0 }, first_half[2] = { 0 }, one = 1;
	char seq[41] = { 0 };
	uint16_t port;

	pull = sp_listen_any(SOCK_PULL, &port);
	ASSERT_LE(0, pull);
	ASSERT_EQ(0, sp_set_int(pull, SOL_SP, SP_RCVBUF, one));
	sp_set_timeouts(pull, 10000);
	for (i = 0; i < 2; i++) {
		push[i] = sp_dial(SOCK_PUSH, port);
		ASSERT_LE(0, push[i]);
		sp_set_timeouts(push[i], 10000);
		ASSERT_EQ(POLLOUT, sp_poll1(push[i], POLLOUT, 10000));
	}
	for (i = 0; i < 20; i++) {
		int v0 = i, v1 = 1000 + i;

		ASSERT_EQ(sizeof(v0), send(push[0], &v0, sizeof(v0), 0));
		ASSERT_EQ(sizeof(v1), send(push[1], &v1, sizeof(v1), 0));
	}
	/* Let both senders' messages reach the PULL and find it full. */
	usleep(500000);
	for (i = 0; i < 40; i++) {
		int v, s;

		ASSERT_EQ(sizeof(v), recv(pull, &v, sizeof(v), 0)) TH_LOG("message %d: %s", i, strerror(errno));
		s = v >= 1000;
		/* Each sender's own order holds. */
		ASSERT_EQ(got[s], v - 1000 * s);
		got[s]++;
		if (i < 20)
			first_half[s]++;
		seq[i] = 'a' + s;
	}
	TH_LOG("order received: %s", seq);
	EXPECT_LE(5, first_half[0]);
	EXPECT_LE(5, first_half[1]);
	for (i = 0; i < 2; i++)
		close(push[i]);
	close(pull);
}

/* A raw PULL on TCP: the PUSH's header, and frames that are the message alone. */
TEST(raw_pull_peer)
{
	unsigned char h[8], body[16];
	int push, fd;

	push = sp_raw_listener(SOCK_PUSH, SP_PROTO_PULL, 10000, &fd, h);
	ASSERT_LE(0, push);
	EXPECT_EQ(0, memcmp(h, "\0SP\0\0\x50\0\0", 8));
	ASSERT_EQ(POLLOUT, sp_poll1(push, POLLOUT, 10000));
	ASSERT_EQ(5, send(push, "hello", 5, 0));
	ASSERT_EQ(5, sp_raw_recv(fd, body, sizeof(body), 5000));
	EXPECT_EQ(0, memcmp(body, "hello", 5));
	ASSERT_EQ(0, send(push, "", 0, 0));
	EXPECT_EQ(0, sp_raw_recv(fd, body, sizeof(body), 5000));
	/*
	 * A PULL that sends anyway is ignored, as NNG's push0 does: the pipe
	 * stays up (no pipes_dropped) and still gets the next message.
	 */
	ASSERT_EQ(0, sp_raw_send(fd, "noise", 5));
	ASSERT_EQ(5, send(push, "again", 5, 0));
	ASSERT_EQ(5, sp_raw_recv(fd, body, sizeof(body), 5000));
	EXPECT_EQ(0, memcmp(body, "again", 5));
	{
		struct sp_stats st;

		ASSERT_EQ(0, sp_stats(push, &st));
		EXPECT_EQ(0, st.pipes_dropped);
		EXPECT_EQ(0, st.rx_msgs);
	}
	EXPECT_EQ(-1, recv(push, body, sizeof(body), MSG_DONTWAIT));
	EXPECT_EQ(EOPNOTSUPP, errno);
	close(fd);
	close(push);
}

/* Waits (up to 10 s) for a refused handshake on @a or @b; 0 or -1. */
static int wait_refused(int a, int b)
{
	int64_t end = sp_now_ms() + 10000;
	struct sp_stats sa, sb;

	do {
		if (sp_stats(a, &sa) || sp_stats(b, &sb))
			return -1;
		if (sa.pipes_refused + sb.pipes_refused > 0)
			return 0;
		usleep(20000);
	} while (sp_now_ms() < end);
	return -1;
}

/*
 * PUSH and PULL talk to each other only. @dialer dials a @listener of
 * another type: the handshake is refused, and nothing passes.
 */
static void wrong_peer(struct __test_metadata *_metadata, int dialer_type, int listener_type)
{
	uint16_t port;
	char buf[8];
	int l, d, push, pull;

	l = sp_listen_any(listener_type, &port);
	ASSERT_LE(0, l);
	d = sp_dial(dialer_type, port);
	ASSERT_LE(0, d);
	ASSERT_EQ(0, wait_refused(l, d)) TH_LOG("type %d accepted type %d", listener_type, dialer_type);
	push = dialer_type == SOCK_PUSH ? d : listener_type == SOCK_PUSH ? l : -1;
	pull = dialer_type == SOCK_PULL ? d : listener_type == SOCK_PULL ? l : -1;
	if (push >= 0) {
		EXPECT_EQ(0, sp_poll1(push, POLLOUT, 0));
		EXPECT_EQ(-1, send(push, "x", 1, MSG_DONTWAIT));
		EXPECT_EQ(EAGAIN, errno);
	}
	if (listener_type == SOCK_SUB) {
		ASSERT_EQ(0, setsockopt(l, SOL_SP, SP_SUBSCRIBE, "", 0));
		ASSERT_EQ(0, sp_set_timeo(l, SO_RCVTIMEO, 300));
		EXPECT_EQ(-1, recv(l, buf, sizeof(buf), 0));
		EXPECT_EQ(EAGAIN, errno);
	}
	if (pull >= 0) {
		int other = pull == d ? l : d;
		int type = pull == d ? listener_type : dialer_type;

		if (type == SOCK_PUB || type == SOCK_BUS)
			EXPECT_EQ(1, send(other, "p", 1, MSG_DONTWAIT));
		ASSERT_EQ(0, sp_set_timeo(pull, SO_RCVTIMEO, 300));
		EXPECT_EQ(-1, recv(pull, buf, sizeof(buf), 0));
		EXPECT_EQ(EAGAIN, errno);
		EXPECT_EQ(0, sp_poll1(pull, POLLIN, 0));
	}
	close(d);
	close(l);
}

TEST(wrong_peer_refused)
{
	wrong_peer(_metadata, SOCK_PUSH, SOCK_SUB);
	wrong_peer(_metadata, SOCK_PUSH, SOCK_PUSH);
	wrong_peer(_metadata, SOCK_PUSH, SOCK_BUS);
	wrong_peer(_metadata, SOCK_PULL, SOCK_PUB);
	wrong_peer(_metadata, SOCK_PULL, SOCK_PULL);
	wrong_peer(_metadata, SOCK_BUS, SOCK_PULL);
}

/*
 * Children asleep in send() on a PUSH without a peer and in recv() on a
 * PULL with nothing to read stay asleep, and SIGKILL ends them promptly.
 */
TEST(kill_blocked)
{
	uint16_t p1, p2;
	int push = sp_listen_any(SOCK_PUSH, &p1), pull = sp_listen_any(SOCK_PULL, &p2);
	pid_t pid[2], ended[2];
	int i, st[2];

	ASSERT_LE(0, push);
	ASSERT_LE(0, pull);
	for (i = 0; i < 2; i++) {
		pid[i] = i == 0 ? sp_fork_blocked(push, "x") : sp_fork_blocked(pull, NULL);
		ASSERT_LE(0, pid[i]);
	}
	EXPECT_TRUE(sp_blocked_in(pid[0], SYS_sendto, 5000)) TH_LOG("send on PUSH did not block");
	EXPECT_TRUE(sp_blocked_in(pid[1], SYS_recvfrom, 5000)) TH_LOG("recv on PULL did not block");
	sp_kill_asleep(pid, 2, 100, 3000, ended, st);
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(0, ended[i]) TH_LOG("child %d returned", i);
		EXPECT_TRUE(sp_sigkilled(st[i])) TH_LOG("child %d status %#x", i, st[i]);
	}
	close(push);
	close(pull);
}

TEST_HARNESS_MAIN
