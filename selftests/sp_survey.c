// SPDX-License-Identifier: GPL-2.0
/*
 * SURVEYOR/RESPONDENT: a survey to every respondent, responses until the
 * deadline then ETIMEDOUT, a new survey abandoning the old, state errors,
 * SP_SURVEYOR_DEADLINE and SP_MAXTTL, poll masks, signals, and raw peers
 * speaking the wire format (survey ids, backtraces, bad responses).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>

#include "sp_lib.h"
#include "kselftest_harness.h"

#define NRESP 3

static int set_deadline(int fd, int ms)
{
	return sp_set_int(fd, SOL_SP, SP_SURVEYOR_DEADLINE, ms);
}

/*
 * Surveys from @sv until each of @rs has received one (every pipe is up),
 * then one more, "sync", that each answers and @sv collects: afterwards
 * nothing is queued anywhere and no respondent has a survey to answer.
 * The respondents need a receive timeout. 0 or -1.
 */
static int survey_sync(int sv, const int *rs, int n)
{
	int seen[8] = { 0 }, i, j, all = 0;
	char buf[32];

	for (i = 0; i < 200 && !all; i++) {
		if (send(sv, "probe", 5, 0) != 5)
			return -1;
		for (all = 1, j = 0; j < n; j++) {
			if (!seen[j] && (sp_poll1(rs[j], POLLIN, 50) & POLLIN))
				seen[j] = 1;
			all &= seen[j];
		}
	}
	if (!all || send(sv, "sync", 4, 0) != 4)
		return -1;
	for (j = 0; j < n; j++) {
		ssize_t m;

		/* Probes came first on each pipe; "sync" is the last survey. */
		do
			m = recv(rs[j], buf, sizeof(buf), 0);
		while (m == 5 && !memcmp(buf, "probe", 5));
		if (m != 4 || memcmp(buf, "sync", 4) || send(rs[j], "sync", 4, 0) != 4)
			return -1;
	}
	for (j = 0; j < n; j++)
		if (recv(sv, buf, sizeof(buf), 0) != 4 || memcmp(buf, "sync", 4))
			return -1;
	return 0;
}

/* Respondent @fd receives survey @want and answers "<want>:r<i>". 0 or -1. */
static int answer(int fd, const char *want, int i)
{
	char buf[32];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);

	if (n != (ssize_t)strlen(want) || memcmp(buf, want, n))
		return -1;
	snprintf(buf, sizeof(buf), "%s:r%d", want, i);
	return send(fd, buf, strlen(buf), 0) == (ssize_t)strlen(buf) ? 0 : -1;
}

/*
 * Receives the @n answers to survey @want on @sv, one from each
 * respondent ("<want>:r<i>", each i once). 0 or -1 (logged).
 */
static int collect(struct __test_metadata *_metadata, int sv, const char *want, int n)
{
	int got = 0, k;
	char buf[32];

	for (k = 0; k < n; k++) {
		ssize_t m = recv(sv, buf, sizeof(buf) - 1, 0);
		size_t wl = strlen(want);
		int i;

		if (m < 0) {
			TH_LOG("response %d of %d to '%s': %s", k + 1, n, want, strerror(errno));
			return -1;
		}
		buf[m] = 0;
		if ((size_t)m != wl + 3 || memcmp(buf, want, wl) || buf[wl] != ':' ||
		    buf[wl + 1] != 'r' || (i = buf[wl + 2] - '0') < 0 || i >= NRESP ||
		    got & (1 << i)) {
			TH_LOG("response '%s' where answers to '%s' were due", buf, want);
			return -1;
		}
		got |= 1 << i;
	}
	return 0;
}

/* A SURVEYOR bound, NRESP respondents dialing it, all connected. */
FIXTURE(sv)
{
	int sv, r[NRESP];
	uint16_t port;
};

FIXTURE_SETUP(sv)
{
	int i;

	self->sv = sp_listen_any(SOCK_SURVEYOR, &self->port);
	ASSERT_LE(0, self->sv);
	sp_set_timeouts(self->sv, 10000);
	/* Long enough for a slow VM; tests that time it set their own. */
	ASSERT_EQ(0, set_deadline(self->sv, 10000));
	for (i = 0; i < NRESP; i++) {
		self->r[i] = sp_dial(SOCK_RESPONDENT, self->port);
		ASSERT_LE(0, self->r[i]);
		sp_set_timeouts(self->r[i], 5000);
	}
	ASSERT_EQ(0, survey_sync(self->sv, self->r, NRESP)) TH_LOG("the respondents did not connect");
}

FIXTURE_TEARDOWN(sv)
{
	int i;

	close(self->sv);
	for (i = 0; i < NRESP; i++)
		close(self->r[i]);
}

/*
 * One survey reaches every respondent; their three answers come back,
 * then recv() fails with ETIMEDOUT at the deadline (although SO_RCVTIMEO
 * is longer), and after that with EINVAL: the survey has ended.
 */
TEST_F(sv, responses_then_deadline)
{
	char buf[32];
	int64_t t0, t;
	int i;

	ASSERT_EQ(0, set_deadline(self->sv, 500));
	t0 = sp_now_ms();
	ASSERT_EQ(2, send(self->sv, "s1", 2, 0));
	for (i = 0; i < NRESP; i++)
		ASSERT_EQ(0, answer(self->r[i], "s1", i)) TH_LOG("respondent %d", i);
	ASSERT_EQ(0, collect(_metadata, self->sv, "s1", NRESP));
	EXPECT_EQ(-1, recv(self->sv, buf, sizeof(buf), 0));
	EXPECT_EQ(ETIMEDOUT, errno);
	t = sp_now_ms() - t0;
	TH_LOG("ETIMEDOUT %lld ms after the send (deadline 500)", (long long)t);
	EXPECT_LE(450, t);
	EXPECT_GE(5000, t);
	t = sp_now_ms();
	EXPECT_EQ(-1, recv(self->sv, buf, sizeof(buf), 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, recv(self->sv, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_GT(1000, sp_now_ms() - t);
}

/* ETIMEDOUT comes at the deadline with no response at all, too. */
TEST_F(sv, deadline_without_responses)
{
	char buf[32];
	int64_t t;

	ASSERT_EQ(0, set_deadline(self->sv, 300));
	t = sp_now_ms();
	ASSERT_EQ(1, send(self->sv, "q", 1, 0));
	EXPECT_EQ(-1, recv(self->sv, buf, sizeof(buf), 0));
	EXPECT_EQ(ETIMEDOUT, errno);
	t = sp_now_ms() - t;
	EXPECT_LE(250, t);
	EXPECT_GE(3000, t);
	EXPECT_EQ(-1, recv(self->sv, buf, sizeof(buf), 0));
	EXPECT_EQ(EINVAL, errno);
}

/* A response after the deadline is dropped, even once a new survey is on. */
TEST_F(sv, late_response_dropped)
{
	char buf[32];

	ASSERT_EQ(0, set_deadline(self->sv, 300));
	ASSERT_EQ(1, send(self->sv, "a", 1, 0));
	ASSERT_EQ(1, recv(self->r[0], buf, sizeof(buf), 0));
	EXPECT_EQ(-1, recv(self->sv, buf, sizeof(buf), 0));
	EXPECT_EQ(ETIMEDOUT, errno);
	ASSERT_EQ(3, send(self->r[0], "a:0", 3, 0));
	EXPECT_EQ(-1, recv(self->sv, buf, sizeof(buf), 0));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, set_deadline(self->sv, 10000));
	ASSERT_EQ(1, send(self->sv, "b", 1, 0));
	ASSERT_EQ(0, answer(self->r[0], "b", 0));
	/* "a:0" went first on this pipe: had it been kept, it would come now. */
	ASSERT_EQ(4, recv(self->sv, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "b:r0", 4));
}

/*
 * A new send() abandons the survey before it: an answer to the old one
 * already queued goes at once, and answers arriving later never come.
 */
TEST_F(sv, new_survey_abandons_old)
{
	char buf[32];
	int i;

	ASSERT_EQ(2, send(self->sv, "s1", 2, 0));
	ASSERT_EQ(0, answer(self->r[0], "s1", 0));
	ASSERT_EQ(POLLIN, sp_poll1(self->sv, POLLIN, 5000)) TH_LOG("the answer to s1 did not come");
	ASSERT_EQ(2, send(self->sv, "s2", 2, 0));
	/* Queued: dropped. */
	EXPECT_EQ(0, sp_poll1(self->sv, POLLIN, 0));
	EXPECT_EQ(-1, recv(self->sv, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	/* Late: the others answer s1 after s2 was sent, then s2. */
	for (i = 1; i < NRESP; i++) {
		ASSERT_EQ(0, answer(self->r[i], "s1", i));
		ASSERT_EQ(0, answer(self->r[i], "s2", i));
	}
	ASSERT_EQ(0, answer(self->r[0], "s2", 0));
	ASSERT_EQ(0, collect(_metadata, self->sv, "s2", NRESP));
	ASSERT_EQ(0, sp_set_timeo(self->sv, SO_RCVTIMEO, 300));
	EXPECT_EQ(-1, recv(self->sv, buf, sizeof(buf), 0));
	EXPECT_EQ(EAGAIN, errno);
}

/*
 * SO_RCVTIMEO shorter than the deadline: EAGAIN, and the survey goes on;
 * an answer after that timeout is still received.
 */
TEST_F(sv, rcvtimeo_within_deadline)
{
	char buf[32];
	int64_t t;

	ASSERT_EQ(0, set_deadline(self->sv, 10000));
	ASSERT_EQ(0, sp_set_timeo(self->sv, SO_RCVTIMEO, 200));
	ASSERT_EQ(1, send(self->sv, "q", 1, 0));
	EXPECT_EQ(-1, recv(self->sv, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	t = sp_now_ms();
	EXPECT_EQ(-1, recv(self->sv, buf, sizeof(buf), 0));
	EXPECT_EQ(EAGAIN, errno);
	t = sp_now_ms() - t;
	EXPECT_LE(150, t);
	EXPECT_GE(3000, t);
	ASSERT_EQ(0, answer(self->r[1], "q", 1));
	ASSERT_EQ(0, sp_set_timeo(self->sv, SO_RCVTIMEO, 5000));
	ASSERT_EQ(4, recv(self->sv, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "q:r1", 4));
}

/* A respondent answers the survey it received once; not twice, not before. */
TEST_F(sv, respondent_answers_once)
{
	char buf[32];

	/* Its last survey ("sync") is answered already. */
	EXPECT_EQ(-1, send(self->r[0], "x", 1, 0));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(1, send(self->sv, "q", 1, 0));
	ASSERT_EQ(1, recv(self->r[0], buf, sizeof(buf), 0));
	ASSERT_EQ(1, send(self->r[0], "a", 1, 0));
	EXPECT_EQ(-1, send(self->r[0], "b", 1, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, send(self->r[0], "b", 1, MSG_DONTWAIT));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(1, recv(self->sv, buf, sizeof(buf), 0));
	EXPECT_EQ('a', buf[0]);
	ASSERT_EQ(0, sp_set_timeo(self->sv, SO_RCVTIMEO, 300));
	EXPECT_EQ(-1, recv(self->sv, buf, sizeof(buf), 0));
	EXPECT_EQ(EAGAIN, errno);
}

TEST_F(sv, read_write)
{
	char buf[32];

	ASSERT_EQ(2, write(self->sv, "rw", 2));
	ASSERT_EQ(2, read(self->r[2], buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "rw", 2));
	ASSERT_EQ(3, write(self->r[2], "ans", 3));
	ASSERT_EQ(3, read(self->sv, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "ans", 3));
}

TEST_F(sv, poll)
{
	char buf[32];
	int i;

	/* SURVEYOR: always POLLOUT; POLLIN with a response queued. */
	EXPECT_EQ(POLLOUT, sp_poll1(self->sv, POLLIN | POLLOUT, 0));
	/* RESPONDENT: nothing received, nothing to answer. */
	for (i = 0; i < NRESP; i++)
		EXPECT_EQ(0, sp_poll1(self->r[i], POLLIN | POLLOUT, 0));
	ASSERT_EQ(1, send(self->sv, "p", 1, 0));
	EXPECT_EQ(POLLOUT, sp_poll1(self->sv, POLLIN | POLLOUT, 0));
	EXPECT_EQ(POLLIN, sp_poll1(self->r[0], POLLIN, 5000));
	ASSERT_EQ(1, recv(self->r[0], buf, sizeof(buf), 0));
	/* A survey to answer, and no other queued. */
	EXPECT_EQ(POLLOUT, sp_poll1(self->r[0], POLLIN | POLLOUT, 0));
	ASSERT_EQ(1, send(self->r[0], "a", 1, 0));
	EXPECT_EQ(0, sp_poll1(self->r[0], POLLIN | POLLOUT, 0));
	EXPECT_EQ(POLLIN, sp_poll1(self->sv, POLLIN, 5000));
	EXPECT_EQ(POLLIN | POLLOUT, sp_poll1(self->sv, POLLIN | POLLOUT, 0));
	ASSERT_EQ(1, recv(self->sv, buf, sizeof(buf), 0));
	EXPECT_EQ(POLLOUT, sp_poll1(self->sv, POLLIN | POLLOUT, 0));
}

TEST_F(sv, signal_interrupts_recv)
{
	char buf[32];

	ASSERT_EQ(0, sp_no_restart_alarm());
	ASSERT_EQ(0, set_deadline(self->sv, 60000));
	ASSERT_EQ(0, sp_set_timeo(self->sv, SO_RCVTIMEO, 0));
	ASSERT_EQ(1, send(self->sv, "q", 1, 0));
	EXPECT_EQ(-1, sp_alarmed(self->sv, buf, NULL, sizeof(buf)));
	EXPECT_EQ(EINTR, errno);
	/* The respondents still have "q" queued; this one has nothing. */
	ASSERT_EQ(1, recv(self->r[0], buf, sizeof(buf), 0));
	ASSERT_EQ(0, sp_set_timeo(self->r[0], SO_RCVTIMEO, 0));
	EXPECT_EQ(-1, sp_alarmed(self->r[0], buf, NULL, sizeof(buf)));
	EXPECT_EQ(EINTR, errno);
}

/*
 * Children asleep in recv() on a SURVEYOR within a long deadline and on a
 * RESPONDENT with no survey stay asleep, and SIGKILL ends them promptly.
 */
TEST_F(sv, kill_blocked)
{
	int fds[2] = { self->sv, self->r[0] }, i, st[2];
	pid_t pid[2], ended[2];

	ASSERT_EQ(0, set_deadline(self->sv, 60000));
	ASSERT_EQ(0, sp_set_timeo(self->sv, SO_RCVTIMEO, 0));
	ASSERT_EQ(0, sp_set_timeo(self->r[0], SO_RCVTIMEO, 0));
	ASSERT_EQ(1, send(self->sv, "q", 1, 0));
	ASSERT_EQ(POLLIN, sp_poll1(self->r[0], POLLIN, 5000));
	{
		char buf[8];

		ASSERT_EQ(1, recv(self->r[0], buf, sizeof(buf), 0));
	}
	for (i = 0; i < 2; i++) {
		pid[i] = sp_fork_blocked(fds[i], NULL);
		ASSERT_LE(0, pid[i]);
	}
	for (i = 0; i < 2; i++)
		EXPECT_TRUE(sp_blocked_in(pid[i], SYS_recvfrom, 5000)) TH_LOG("child %d not blocked in recv", i);
	sp_kill_asleep(pid, 2, 100, 3000, ended, st);
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(0, ended[i]) TH_LOG("child %d returned", i);
		EXPECT_TRUE(sp_sigkilled(st[i])) TH_LOG("child %d status %#x", i, st[i]);
	}
}

/* No survey outstanding: recv() fails with EINVAL; send() never blocks. */
TEST(no_survey)
{
	int fd = socket(PF_SP, SOCK_SURVEYOR, IPPROTO_TCP);
	char buf[8];

	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, recv(fd, buf, sizeof(buf), 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, recv(fd, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(EINVAL, errno);
	/* No respondent: the survey reaches nobody, at once. */
	ASSERT_EQ(0, set_deadline(fd, 60000));
	EXPECT_EQ(1, send(fd, "x", 1, 0));
	EXPECT_EQ(1, send(fd, "y", 1, MSG_DONTWAIT));
	EXPECT_EQ(-1, recv(fd, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	close(fd);
}

/* A respondent that has received nothing has nothing to answer. */
TEST(respondent_nothing_to_answer)
{
	uint16_t port;
	int fd = sp_listen_any(SOCK_RESPONDENT, &port);
	char buf[8];

	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, send(fd, "x", 1, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, send(fd, "x", 1, MSG_DONTWAIT));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, recv(fd, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(0, sp_poll1(fd, POLLIN | POLLOUT, 0));
	close(fd);
}

/*
 * A respondent serving two surveyors answers each on the pipe its survey
 * came from.
 */
TEST(answers_go_back_to_their_surveyor)
{
	int r, s[2], i, j;
	uint16_t port;
	char buf[32];

	r = sp_listen_any(SOCK_RESPONDENT, &port);
	ASSERT_LE(0, r);
	sp_set_timeouts(r, 5000);
	for (i = 0; i < 2; i++) {
		s[i] = sp_dial(SOCK_SURVEYOR, port);
		ASSERT_LE(0, s[i]);
		sp_set_timeouts(s[i], 10000);
		ASSERT_EQ(0, set_deadline(s[i], 10000));
		ASSERT_EQ(0, survey_sync(s[i], &r, 1)) TH_LOG("surveyor %d did not connect", i);
	}
	ASSERT_EQ(2, send(s[0], "s0", 2, 0));
	ASSERT_EQ(2, send(s[1], "s1", 2, 0));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(2, recv(r, buf, sizeof(buf), 0));
		ASSERT_EQ('s', buf[0]);
		memcpy(buf + 2, ":r", 2);
		ASSERT_EQ(4, send(r, buf, 4, 0));
	}
	for (i = 0; i < 2; i++) {
		char want[8];

		snprintf(want, sizeof(want), "s%d:r", i);
		ASSERT_EQ(4, recv(s[i], buf, sizeof(buf), 0));
		EXPECT_EQ(0, memcmp(buf, want, 4)) TH_LOG("surveyor %d got '%.4s'", i, buf);
		ASSERT_EQ(0, sp_set_timeo(s[i], SO_RCVTIMEO, 300));
		EXPECT_EQ(-1, recv(s[i], buf, sizeof(buf), 0));
		EXPECT_EQ(EAGAIN, errno);
	}
	for (j = 0; j < 2; j++)
		close(s[j]);
	close(r);
}

TEST(deadline_option)
{
	static const int others[] = {
		SOCK_PAIR, SOCK_PUB, SOCK_SUB, SOCK_REQ, SOCK_REP,
		SOCK_PUSH, SOCK_PULL, SOCK_RESPONDENT, SOCK_BUS,
	};
	int fd = socket(PF_SP, SOCK_SURVEYOR, 0), v;
	unsigned int i;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, sp_get_int(fd, SOL_SP, SP_SURVEYOR_DEADLINE, &v));
	EXPECT_EQ(1000, v);
	ASSERT_EQ(0, set_deadline(fd, 300));
	ASSERT_EQ(0, sp_get_int(fd, SOL_SP, SP_SURVEYOR_DEADLINE, &v));
	EXPECT_EQ(300, v);
	EXPECT_EQ(0, set_deadline(fd, 1));
	EXPECT_EQ(0, set_deadline(fd, 3600000));
	EXPECT_EQ(-1, set_deadline(fd, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, set_deadline(fd, 3600001));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, set_deadline(fd, -1));
	EXPECT_EQ(EINVAL, errno);
	/* Refused values change nothing. */
	ASSERT_EQ(0, sp_get_int(fd, SOL_SP, SP_SURVEYOR_DEADLINE, &v));
	EXPECT_EQ(3600000, v);
	close(fd);
	for (i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		fd = socket(PF_SP, others[i], 0);
		ASSERT_LE(0, fd);
		EXPECT_EQ(-1, set_deadline(fd, 300)) TH_LOG("type %d", others[i]);
		EXPECT_EQ(ENOPROTOOPT, errno);
		EXPECT_EQ(-1, sp_get_int(fd, SOL_SP, SP_SURVEYOR_DEADLINE, &v));
		EXPECT_EQ(ENOPROTOOPT, errno);
		close(fd);
	}
}

/* SP_MAXTTL on SURVEYOR and RESPONDENT: 8 by default, 1..15 as in NNG. */
TEST(maxttl_option)
{
	static const int types[] = { SOCK_SURVEYOR, SOCK_RESPONDENT };
	unsigned int i;
	int v;

	for (i = 0; i < 2; i++) {
		int fd = socket(PF_SP, types[i], 0);

		ASSERT_LE(0, fd);
		ASSERT_EQ(0, sp_get_int(fd, SOL_SP, SP_MAXTTL, &v));
		EXPECT_EQ(8, v);
		EXPECT_EQ(0, sp_set_int(fd, SOL_SP, SP_MAXTTL, 1));
		EXPECT_EQ(0, sp_set_int(fd, SOL_SP, SP_MAXTTL, 15));
		ASSERT_EQ(0, sp_get_int(fd, SOL_SP, SP_MAXTTL, &v));
		EXPECT_EQ(15, v);
		EXPECT_EQ(-1, sp_set_int(fd, SOL_SP, SP_MAXTTL, 16)) TH_LOG("type %d", types[i]);
		EXPECT_EQ(EINVAL, errno);
		EXPECT_EQ(-1, sp_set_int(fd, SOL_SP, SP_MAXTTL, 0));
		EXPECT_EQ(EINVAL, errno);
		EXPECT_EQ(-1, sp_set_int(fd, SOL_SP, SP_MAXTTL, 255));
		EXPECT_EQ(EINVAL, errno);
		ASSERT_EQ(0, sp_get_int(fd, SOL_SP, SP_MAXTTL, &v));
		EXPECT_EQ(15, v);
		close(fd);
	}
}

/*
 * A raw respondent on TCP. The survey's body starts with a 4-byte id with
 * the top bit set; an answer echoing it is delivered, one with another id
 * is dropped, and one too short to carry an id drops the pipe.
 */
TEST(raw_respondent)
{
	unsigned char h[8], body[64], id[4];
	struct sp_stats st;
	char buf[32];
	int sv, fd;
	ssize_t n;

	sv = sp_raw_listener(SOCK_SURVEYOR, SP_PROTO_RESPONDENT, 5000, &fd, h);
	ASSERT_LE(0, sv);
	ASSERT_EQ(0, set_deadline(sv, 30000));
	EXPECT_EQ(0, memcmp(h, "\0SP\0\0\x62\0\0", 8));
	/* Survey until one reaches the pipe (it may not be attached yet). */
	ASSERT_EQ(0, sp_send_until_readable(sv, "hi", 2, fd, 100, 100)) TH_LOG("no survey reached the raw respondent");
	n = sp_raw_recv(fd, body, sizeof(body), 5000);
	ASSERT_EQ(6, n);
	EXPECT_EQ(0x80, body[0] & 0x80) TH_LOG("survey id %02x%02x%02x%02x", body[0], body[1], body[2], body[3]);
	EXPECT_EQ(0, memcmp(body + 4, "hi", 2));
	/* Take the newest survey: earlier ones may be in flight. */
	while (sp_poll1(fd, POLLIN, 300) & POLLIN)
		ASSERT_EQ(6, sp_raw_recv(fd, body, sizeof(body), 5000));
	memcpy(id, body, 4);

	/* Another id (top bit still set): dropped; the right one: delivered. */
	body[3] ^= 1;
	memcpy(body + 4, "no", 2);
	ASSERT_EQ(0, sp_raw_send(fd, body, 6));
	memcpy(body, id, 4);
	memcpy(body + 4, "ok", 2);
	ASSERT_EQ(0, sp_raw_send(fd, body, 6));
	ASSERT_EQ(2, recv(sv, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "ok", 2));
	ASSERT_EQ(0, sp_set_timeo(sv, SO_RCVTIMEO, 300));
	EXPECT_EQ(-1, recv(sv, buf, sizeof(buf), 0));
	EXPECT_EQ(EAGAIN, errno);

	/* A new survey has a new id. */
	ASSERT_EQ(3, send(sv, "two", 3, 0));
	ASSERT_EQ(7, sp_raw_recv(fd, body, sizeof(body), 5000));
	EXPECT_EQ(0x80, body[0] & 0x80);
	EXPECT_NE(0, memcmp(body, id, 4));
	EXPECT_EQ(0, memcmp(body + 4, "two", 3));

	/* Three bytes cannot hold an id: the pipe goes. */
	ASSERT_EQ(0, sp_raw_send(fd, body, 3));
	EXPECT_TRUE(sp_peer_closed(fd, 5000));
	EXPECT_EQ(-1, recv(sv, buf, sizeof(buf), 0));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, sp_stats(sv, &st));
	EXPECT_LE(1, st.pipes_dropped);
	close(fd);
	close(sv);
}

/*
 * A RESPONDENT with 5 s timeouts to *@r, and to *@fd a raw surveyor on TCP
 * that has done the handshake with it (sp's header in @h). The port.
 */
static uint16_t raw_surveyor_peer(struct __test_metadata *_metadata, int *r, int *fd,
				  unsigned char h[8])
{
	uint16_t port;

	*r = sp_listen_any(SOCK_RESPONDENT, &port);
	ASSERT_LE(0, *r);
	sp_set_timeouts(*r, 5000);
	*fd = sp_raw_hello(port, SP_PROTO_SURVEYOR, h);
	ASSERT_LE(0, *fd);
	return port;
}

/*
 * A raw surveyor on TCP: the respondent's header, its answer carrying the
 * survey's backtrace back, and surveys with more hops than SP_MAXTTL
 * dropped (not the pipe).
 */
TEST(raw_surveyor)
{
	unsigned char body[9 * 4 + 1] = { 0 }, f[64];
	char buf[32];
	int r, fd;

	raw_surveyor_peer(_metadata, &r, &fd, f);
	EXPECT_EQ(0, memcmp(f, "\0SP\0\0\x63\0\0", 8));

	ASSERT_EQ(0, sp_raw_send(fd, "\x80\0\0\x07hi", 6));
	ASSERT_EQ(2, recv(r, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "hi", 2));
	ASSERT_EQ(2, send(r, "yo", 2, 0));
	ASSERT_EQ(6, sp_raw_recv(fd, f, sizeof(f), 5000));
	EXPECT_EQ(0, memcmp(f, "\x80\0\0\x07yo", 6));

	/* Nine words: one more hop than SP_MAXTTL's default of 8. */
	body[8 * 4] = 0x80;
	body[9 * 4] = 'x';
	ASSERT_EQ(0, sp_raw_send(fd, body, sizeof(body)));
	ASSERT_EQ(0, sp_set_timeo(r, SO_RCVTIMEO, 500));
	EXPECT_EQ(-1, recv(r, buf, sizeof(buf), 0));
	EXPECT_EQ(EAGAIN, errno);
	/* One hop (a device's pipe id) and the id: kept, and echoed whole. */
	ASSERT_EQ(0, sp_raw_send(fd, "\0\0\0\x01\x80\0\0\x08ok", 10));
	ASSERT_EQ(0, sp_set_timeo(r, SO_RCVTIMEO, 5000));
	ASSERT_EQ(2, recv(r, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "ok", 2));
	ASSERT_EQ(3, send(r, "ack", 3, 0));
	ASSERT_EQ(11, sp_raw_recv(fd, f, sizeof(f), 5000));
	EXPECT_EQ(0, memcmp(f, "\0\0\0\x01\x80\0\0\x08" "ack", 11));
	EXPECT_FALSE(sp_peer_closed(fd, 100));
	close(fd);
	close(r);
}

/*
 * An answer whose pipe has gone is dropped: send() succeeds, and the
 * answer does not reach the next surveyor, whose own survey is answered.
 */
TEST(answer_to_gone_pipe)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	unsigned char f[64];
	uint16_t port;
	char buf[32];
	int r, fd;

	port = raw_surveyor_peer(_metadata, &r, &fd, f);
	ASSERT_EQ(0, sp_raw_send(fd, "\x80\0\0\x01old", 7));
	ASSERT_EQ(3, recv(r, buf, sizeof(buf), 0));
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	close(fd);	/* RST */
	/* Whether or not it has seen the pipe go yet, the send succeeds. */
	EXPECT_EQ(5, send(r, "stale", 5, 0));

	fd = sp_raw_peer(port, SP_PROTO_SURVEYOR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, sp_raw_send(fd, "\x80\0\0\x02new", 7));
	ASSERT_EQ(3, recv(r, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "new", 3));
	ASSERT_EQ(5, send(r, "fresh", 5, 0));
	ASSERT_EQ(9, sp_raw_recv(fd, f, sizeof(f), 5000));
	EXPECT_EQ(0, memcmp(f, "\x80\0\0\x02" "fresh", 9));
	close(fd);
	close(r);
}

TEST_HARNESS_MAIN
