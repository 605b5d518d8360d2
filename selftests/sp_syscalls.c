// SPDX-License-Identifier: GPL-2.0
/*
 * Syscall fuzzing: threads run random socket calls with random arguments
 * on a shared pool of sp sockets for SP_FUZZ_SECONDS (default 5; 'make
 * stress' uses 120), while sockets are closed and reopened under them;
 * then processes blocked in send and recv are killed with SIGKILL, and
 * close() races a blocked recv().
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "sp_lib.h"
#include "kselftest_harness.h"

#define POOL 16

static int pool[POOL];
static uint16_t ports[4];
static volatile int stop;

/* Every socket gets short timeouts: blocking calls must come back. */
static int timed_socket(int type)
{
	struct timeval tv = { 0, 10000 };
	int fd = socket(PF_SP, type, 0);

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

static uint32_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint32_t)*s;
}

static void one_call(uint64_t *s)
{
	static const int opts[] = { SP_RCVMAXSIZE, SP_RECONNECT_IVL, SP_RECONNECT_IVL_MAX,
				    SP_HANDSHAKE_TIMEOUT, SP_RESEND_IVL, SP_MAXTTL,
				    SP_SNDBUF, SP_RCVBUF, SP_TCP_NODELAY, SP_SUBSCRIBE,
				    SP_UNSUBSCRIBE, SP_STATS, 0, 99 };
	char buf[512] = { 0 };
	int fd = pool[rnd(s) % POOL], v = rnd(s) % 70000 - 100;
	struct sockaddr_in sin = sp_loopback(ports[rnd(s) % 4]);
	socklen_t len = sizeof(buf);
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };

	switch (rnd(s) % 14) {
	case 0: {
		/*
		 * Replace a socket under the other threads' feet: dup2() swaps
		 * the file atomically, so no thread ever sees a socket without
		 * its timeouts (a blocking call on one would never return).
		 */
		int nfd = timed_socket(1 + rnd(s) % 5);

		if (nfd >= 0) {
			dup2(nfd, fd);
			close(nfd);
		}
		break;
	}
	case 1:
		sin.sin_port = 0;
		bind(fd, (struct sockaddr *)&sin, rnd(s) % 2 ? sizeof(sin) : rnd(s) % 32);
		break;
	case 2:
		connect(fd, (struct sockaddr *)&sin, rnd(s) % 3 ? sizeof(sin) : rnd(s) % 32);
		break;
	case 3:
		send(fd, buf, rnd(s) % sizeof(buf), MSG_DONTWAIT | (rnd(s) % 8 ? 0 : MSG_OOB));
		break;
	case 4:
		recv(fd, buf, rnd(s) % sizeof(buf), MSG_DONTWAIT | (rnd(s) % 4 ? 0 : MSG_TRUNC));
		break;
	case 5: {
		struct iovec iov[2] = { { buf, rnd(s) % 64 }, { buf + 64, rnd(s) % 64 } };
		struct msghdr m = { .msg_iov = iov, .msg_iovlen = 1 + rnd(s) % 2 };

		if (rnd(s) % 2)
			sendmsg(fd, &m, MSG_DONTWAIT);
		else
			recvmsg(fd, &m, MSG_DONTWAIT);
		break;
	}
	case 6:
		setsockopt(fd, SOL_SP, opts[rnd(s) % 14], &v, rnd(s) % 6);
		break;
	case 7:
		getsockopt(fd, SOL_SP, opts[rnd(s) % 14], buf, &len);
		break;
	case 8:
		setsockopt(fd, SOL_SP, SP_SUBSCRIBE, buf, rnd(s) % 8);
		break;
	case 9:
		poll(&p, 1, rnd(s) % 3);
		break;
	case 10:
		shutdown(fd, rnd(s) % 3);
		break;
	case 11:
		getsockname(fd, (struct sockaddr *)buf, &len);
		break;
	case 12: {
		struct timeval tv = { 0, 1 + rnd(s) % 20000 };

		setsockopt(fd, SOL_SOCKET, rnd(s) % 2 ? SO_RCVTIMEO : SO_SNDTIMEO, &tv, sizeof(tv));
		break;
	}
	default:
		/* A short blocking receive with a timeout. */
		recv(fd, buf, sizeof(buf), 0);
	}
}

static void *worker(void *arg)
{
	uint64_t s = (uintptr_t)arg * 0x9e3779b97f4a7c15ULL + 1;

	while (!stop)
		one_call(&s);
	return NULL;
}

/* 'make stress' runs these for far longer than the harness's 30 s. */
FIXTURE(long_run) {};
FIXTURE_SETUP(long_run) {}
FIXTURE_TEARDOWN(long_run) {}

/*
 * Crash-only: nothing is asserted about the calls' results, only that
 * every call returns (the threads join). The judges are the VM runner's
 * KASAN, lockdep, kmemleak and hung-task checks.
 */
TEST_F_TIMEOUT(long_run, random_calls_threads_crash_only, 7200)
{
	int secs = sp_env_long("SP_FUZZ_SECONDS", 5), i;
	pthread_t th[6];

	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < POOL; i++)
		pool[i] = timed_socket(1 + i % 5);
	for (i = 0; i < 4; i++) {
		struct sockaddr_in sin = sp_loopback(0);
		socklen_t len = sizeof(sin);

		ASSERT_EQ(0, bind(pool[i], (struct sockaddr *)&sin, sizeof(sin)));
		ASSERT_EQ(0, getsockname(pool[i], (struct sockaddr *)&sin, &len));
		ports[i] = ntohs(sin.sin_port);
	}
	for (i = 0; i < 6; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, worker, (void *)(uintptr_t)(i + 1)));
	sleep(secs);
	stop = 1;
	for (i = 0; i < 6; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < POOL; i++)
		close(pool[i]);
}

/* A connected PAIR: *@a listens, *@b dials; the pipe is up. */
static int pair_up(int *a, int *b)
{
	uint16_t port;

	*a = sp_listen_any(SOCK_PAIR, &port);
	if (*a < 0)
		return -1;
	*b = sp_dial(SOCK_PAIR, port);
	if (*b < 0)
		return -1;
	return sp_poll1(*b, POLLOUT, 5000) & POLLOUT ? 0 : -1;
}

/*
 * Children blocked in recv() (on a PAIR nobody sends to) and in send()
 * (on a PAIR whose peer nobody reads) are asleep in those calls, and
 * SIGKILL ends them promptly.
 */
TEST(kill_blocked)
{
	int round;

	for (round = 0; round < 5; round++) {
		int a1, b1, a2, b2, st;
		pid_t r, w;

		ASSERT_EQ(0, pair_up(&a1, &b1));
		ASSERT_EQ(0, pair_up(&a2, &b2));
		r = sp_fork_blocked(a1, NULL);	/* nothing comes */
		ASSERT_LE(0, r);
		w = fork();
		ASSERT_LE(0, w);
		if (w == 0) {
			static char big[1 << 16];

			for (;;)	/* fills everything, then blocks */
				if (send(b2, big, sizeof(big), 0) < 0)
					_exit(1);
		}
		/* Asleep in the sp calls, and still there a while later. */
		EXPECT_TRUE(sp_blocked_in(r, SYS_recvfrom, 5000)) TH_LOG("round %d: reader not blocked in recv", round);
		EXPECT_TRUE(sp_blocked_in(w, SYS_sendto, 10000)) TH_LOG("round %d: writer not blocked in send", round);
		usleep(100000 + round * 20000);
		EXPECT_EQ(0, waitpid(r, NULL, WNOHANG)) TH_LOG("round %d: reader returned", round);
		EXPECT_EQ(0, waitpid(w, NULL, WNOHANG)) TH_LOG("round %d: writer returned", round);
		/*
		 * Sampled again within a window, not at one instant: the writer
		 * wakes whenever TCP takes more of its queue, sends, and blocks
		 * again (one sample once caught it awake).
		 */
		EXPECT_TRUE(sp_blocked_in(r, SYS_recvfrom, 2000));
		EXPECT_TRUE(sp_blocked_in(w, SYS_sendto, 2000));
		kill(r, SIGKILL);
		kill(w, SIGKILL);
		/* Both die of the signal, promptly. */
		st = sp_reap_killed(r, 3000);
		EXPECT_TRUE(sp_sigkilled(st)) TH_LOG("round %d: reader status %#x", round, st);
		st = sp_reap_killed(w, 3000);
		EXPECT_TRUE(sp_sigkilled(st)) TH_LOG("round %d: writer status %#x", round, st);
		close(a1);
		close(b1);
		close(a2);
		close(b2);
	}
}

struct blocked {
	int fd, ret, err, send;
	pid_t tid;
	int64_t ms;
};

/* A thread that blocks in recv(), or in send() when @send is set. */
static void *block(void *arg)
{
	struct blocked *b = arg;
	char buf[8] = "x";
	int64_t t;

	__atomic_store_n(&b->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	t = sp_now_ms();
	if (b->send)
		b->ret = send(b->fd, buf, 1, 0);
	else
		b->ret = recv(b->fd, buf, sizeof(buf), 0);
	b->err = errno;
	b->ms = sp_now_ms() - t;
	return NULL;
}

/*
 * close() from another thread while recv() or send() sleeps on the
 * socket: the file lives until the call returns, which it does at its
 * timeout (500 ms) with EAGAIN. recv() for every type that receives (a
 * SURVEYOR first starts a survey with a long deadline, so that it has
 * something to wait for); send() for the types that wait for a peer.
 */
FIXTURE(close_race) {};
FIXTURE_SETUP(close_race) {}
FIXTURE_TEARDOWN(close_race) {}
FIXTURE_VARIANT(close_race) { int type, send; };
FIXTURE_VARIANT_ADD(close_race, pair_recv) { .type = SOCK_PAIR };
FIXTURE_VARIANT_ADD(close_race, sub_recv) { .type = SOCK_SUB };
FIXTURE_VARIANT_ADD(close_race, rep_recv) { .type = SOCK_REP };
FIXTURE_VARIANT_ADD(close_race, pull_recv) { .type = SOCK_PULL };
FIXTURE_VARIANT_ADD(close_race, surveyor_recv) { .type = SOCK_SURVEYOR };
FIXTURE_VARIANT_ADD(close_race, respondent_recv) { .type = SOCK_RESPONDENT };
FIXTURE_VARIANT_ADD(close_race, bus_recv) { .type = SOCK_BUS };
FIXTURE_VARIANT_ADD(close_race, pair_send) { .type = SOCK_PAIR, .send = 1 };
FIXTURE_VARIANT_ADD(close_race, push_send) { .type = SOCK_PUSH, .send = 1 };

TEST_F(close_race, blocked)
{
	int round;

	for (round = 0; round < 8; round++) {
		struct blocked bl;
		pthread_t th;
		uint16_t port;
		int fd = sp_listen_any(variant->type, &port);
		pid_t tid;

		ASSERT_LE(0, fd);
		sp_set_timeo(fd, variant->send ? SO_SNDTIMEO : SO_RCVTIMEO, 500);
		if (variant->type == SOCK_SURVEYOR) {
			ASSERT_EQ(0, sp_set_int(fd, SOL_SP, SP_SURVEYOR_DEADLINE, 60000));
			ASSERT_EQ(1, send(fd, "?", 1, 0));
		}
		bl = (struct blocked){ .fd = fd, .send = variant->send };
		ASSERT_EQ(0, pthread_create(&th, NULL, block, &bl));
		tid = sp_await_tid(&bl.tid);
		/* Asleep in the call before the close, or the race is not run. */
		EXPECT_TRUE(sp_blocked_in(tid, variant->send ? SYS_sendto : SYS_recvfrom, 5000)) {
			TH_LOG("round %d: not blocked", round);
		}
		usleep(round * 10000);
		close(fd);
		pthread_join(th, NULL);
		EXPECT_EQ(-1, bl.ret);
		EXPECT_EQ(EAGAIN, bl.err) TH_LOG("round %d: %s", round, strerror(bl.err));
		/* It slept until its timeout, and not much longer. */
		EXPECT_LE(450, bl.ms);
		EXPECT_GE(5000, bl.ms);
	}
}

TEST_HARNESS_MAIN
