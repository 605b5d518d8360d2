// SPDX-License-Identifier: GPL-2.0
/*
 * In-kernel devices (SP_DEVICE): two raw sockets linked so that messages
 * flow between them with no user-space hop. REQ/REP brokers alone and in
 * chains with replies routed back to the right client, a PUB/SUB relay
 * with filters at the edge, a survey, a BUS reflector, the hop limit, a
 * side closing with messages in flight, and every misuse errno.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>

#include "sp_lib.h"
#include "kselftest_harness.h"

#define NCLIENTS 8

static int link_fds(int a, int b)
{
	return sp_set_int(a, SOL_SP, SP_DEVICE, b);
}

/*
 * A REQ/REP device: a raw REP listening for clients, a raw REQ listening
 * for workers, linked. Ports in *@front and *@back; the REP's fd, the
 * REQ's in *@req, or -1.
 */
static int broker(uint16_t *front, uint16_t *back, int *req)
{
	int rep = sp_raw_listen(SOCK_REP, front);

	*req = sp_raw_listen(SOCK_REQ, back);
	if (rep < 0 || *req < 0 || link_fds(rep, *req))
		return -1;
	return rep;
}

/* A worker on @port answering each request "qN" with "aN", @n times. */
static pid_t worker(uint16_t port, int n)
{
	pid_t pid = fork();
	char buf[64];
	ssize_t r;
	int fd;

	if (pid)
		return pid;
	fd = sp_dial(SOCK_REP, port);
	if (fd < 0)
		_exit(1);
	sp_set_timeouts(fd, 20000);
	while (n--) {
		r = recv(fd, buf, sizeof(buf), 0);
		if (r <= 0)
			_exit(2);
		buf[0] = 'a';
		if (send(fd, buf, r, 0) != r)
			_exit(3);
	}
	/* Let the last reply leave before the socket closes. */
	usleep(200000);
	_exit(0);
}

/*
 * @n clients on @port each ask "q<i>" and must get "a<i>" back (their
 * own, not another's); the count of right answers.
 */
static int clients_ask(uint16_t port, int n)
{
	int cl[NCLIENTS], i, ok = 0;
	char buf[64], want[16];
	ssize_t r;

	for (i = 0; i < n; i++) {
		cl[i] = sp_dial(SOCK_REQ, port);
		if (cl[i] < 0)
			return -1;
		sp_set_timeouts(cl[i], 20000);
	}
	for (i = 0; i < n; i++) {
		r = snprintf(buf, sizeof(buf), "q%d", i);
		if (send(cl[i], buf, r, 0) != r)
			return -1;
	}
	for (i = 0; i < n; i++) {
		snprintf(want, sizeof(want), "a%d", i);
		r = recv(cl[i], buf, sizeof(buf), 0);
		if (r == (ssize_t)strlen(want) && !memcmp(buf, want, r))
			ok++;
		else
			fprintf(stderr, "# client %d: got %zd bytes\n", i, r);
	}
	for (i = 0; i < n; i++)
		close(cl[i]);
	return ok;
}

TEST(broker_routes_replies)
{
	uint16_t front, back;
	int rep, req, st;
	pid_t w;

	rep = broker(&front, &back, &req);
	ASSERT_LE(0, rep);
	w = worker(back, NCLIENTS);
	ASSERT_LT(0, w);
	EXPECT_EQ(NCLIENTS, clients_ask(front, NCLIENTS));
	ASSERT_EQ(w, waitpid(w, &st, 0));
	EXPECT_EQ(0, WEXITSTATUS(st));
	close(rep);
	close(req);
}

/*
 * Chains of 2 and 3 brokers: each hop adds a word to the backtrace, and
 * replies find their way back through all of them.
 */
TEST(broker_chains)
{
	int n, i, rep[3], req[3], st;
	uint16_t front[3], back[3];
	pid_t w;

	for (n = 2; n <= 3; n++) {
		for (i = 0; i < n; i++) {
			rep[i] = broker(&front[i], &back[i], &req[i]);
			ASSERT_LE(0, rep[i]);
		}
		/* Hop i's back side dials hop i + 1's front. */
		for (i = 0; i + 1 < n; i++)
			ASSERT_EQ(0, sp_connect_port(req[i], front[i + 1]));
		w = worker(back[n - 1], NCLIENTS);
		ASSERT_LT(0, w);
		EXPECT_EQ(NCLIENTS, clients_ask(front[0], NCLIENTS)) TH_LOG("%d brokers", n);
		ASSERT_EQ(w, waitpid(w, &st, 0));
		EXPECT_EQ(0, WEXITSTATUS(st));
		for (i = 0; i < n; i++) {
			close(rep[i]);
			close(req[i]);
		}
	}
}

/*
 * The hop limit: the second broker's REP side takes one word only
 * (SP_MAXTTL 1), so requests through two brokers (two words) are dropped
 * there and counted; nothing reaches the worker.
 */
TEST(hop_limit_through_brokers)
{
	uint16_t front[2], back[2], wport;
	int rep[2], req[2], cl, w, i;
	struct sp_stats st;
	char buf[16];

	for (i = 0; i < 2; i++) {
		rep[i] = broker(&front[i], &back[i], &req[i]);
		ASSERT_LE(0, rep[i]);
	}
	ASSERT_EQ(0, sp_set_int(rep[1], SOL_SP, SP_MAXTTL, 1));
	ASSERT_EQ(0, sp_connect_port(req[0], front[1]));
	wport = back[1];
	w = sp_dial(SOCK_REP, wport);
	ASSERT_LE(0, w);
	sp_set_timeo(w, SO_RCVTIMEO, 1500);
	cl = sp_dial(SOCK_REQ, front[0]);
	ASSERT_LE(0, cl);
	ASSERT_EQ(2, send(cl, "q0", 2, 0));
	EXPECT_EQ(-1, recv(w, buf, sizeof(buf), 0));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, sp_stats(rep[1], &st));
	EXPECT_LE(1, st.rx_dropped);
	close(cl);
	close(w);
	for (i = 0; i < 2; i++) {
		close(rep[i]);
		close(req[i]);
	}
}

/* Subscribes @fd to @topic. */
static int sub_to(int fd, const char *topic)
{
	return setsockopt(fd, SOL_SP, SP_SUBSCRIBE, topic, strlen(topic));
}

#define NSUBS 16

/*
 * A PUB/SUB relay: PUB -> raw SUB | raw PUB -> 16 SUBs, each filtering
 * for its own topic at the edge (even ones "even.", odd ones "odd.").
 */
TEST(pubsub_relay_with_edge_filters)
{
	int pub, rsub, rpub, subs[NSUBS], i, got, n;
	uint16_t pport, rport;
	char buf[32];

	pub = sp_listen_any(SOCK_PUB, &pport);
	ASSERT_LE(0, pub);
	rsub = sp_raw_dial(SOCK_SUB, pport);
	rpub = sp_raw_listen(SOCK_PUB, &rport);
	ASSERT_LE(0, rsub);
	ASSERT_LE(0, rpub);
	ASSERT_EQ(0, link_fds(rsub, rpub));
	for (i = 0; i < NSUBS; i++) {
		subs[i] = sp_dial(SOCK_SUB, rport);
		ASSERT_LE(0, subs[i]);
		sp_set_timeouts(subs[i], 5000);
		ASSERT_EQ(0, sub_to(subs[i], i % 2 ? "odd." : "even."));
		ASSERT_EQ(0, sub_to(subs[i], "sync"));
		ASSERT_EQ(0, sub_to(subs[i], "end"));
	}
	/* Until every subscriber hears "sync", the whole path is up. */
	for (i = 0; i < NSUBS; i++) {
		ASSERT_EQ(0, sp_send_until_readable(pub, "sync", 4, subs[i], 100, 100))
			TH_LOG("subscriber %d never heard the relay", i);
	}
	for (i = 0; i < NSUBS; i++)
		while (recv(subs[i], buf, sizeof(buf), MSG_DONTWAIT) > 0)
			;
	ASSERT_EQ(6, send(pub, "even.1", 6, 0));
	ASSERT_EQ(5, send(pub, "odd.1", 5, 0));
	ASSERT_EQ(5, send(pub, "other", 5, 0));
	ASSERT_EQ(3, send(pub, "end", 3, 0));
	for (i = 0; i < NSUBS; i++) {
		got = 0;
		while ((n = recv(subs[i], buf, sizeof(buf), 0)) > 0) {
			if (n == 3 && !memcmp(buf, "end", 3))
				break;
			/* A late copy of the warm-up. */
			if (n == 4 && !memcmp(buf, "sync", 4))
				continue;
			EXPECT_EQ(0, memcmp(buf, i % 2 ? "odd.1" : "even.1", n))
				TH_LOG("subscriber %d got %.*s", i, n, buf);
			got++;
		}
		EXPECT_EQ(1, got) TH_LOG("subscriber %d", i);
	}
	for (i = 0; i < NSUBS; i++)
		close(subs[i]);
	close(rsub);
	close(rpub);
	close(pub);
}

/* A survey through a device: SURVEYOR -> raw RESPONDENT | raw SURVEYOR -> 2 RESPONDENTs. */
TEST(survey_through_device)
{
	int sv, rresp, rsv, resp[2], i, n, seen = 0;
	uint16_t fport, bport;
	char buf[32];

	rresp = sp_raw_listen(SOCK_RESPONDENT, &fport);
	rsv = sp_raw_listen(SOCK_SURVEYOR, &bport);
	ASSERT_LE(0, rresp);
	ASSERT_LE(0, rsv);
	ASSERT_EQ(0, link_fds(rresp, rsv));
	for (i = 0; i < 2; i++) {
		resp[i] = sp_dial(SOCK_RESPONDENT, bport);
		ASSERT_LE(0, resp[i]);
		sp_set_timeouts(resp[i], 5000);
	}
	sv = sp_dial(SOCK_SURVEYOR, fport);
	ASSERT_LE(0, sv);
	sp_set_timeouts(sv, 5000);
	ASSERT_EQ(0, sp_set_int(sv, SOL_SP, SP_SURVEYOR_DEADLINE, 3000));
	/* Survey until both respondents have one (pipes coming up). */
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, sp_send_until_readable(sv, "who", 3, resp[i], 200, 50));
	ASSERT_EQ(4, send(sv, "who?", 4, 0));
	for (i = 0; i < 2; i++) {
		/* Take the newest survey: earlier ones may be queued. */
		do {
			n = recv(resp[i], buf, sizeof(buf), 0);
			ASSERT_LT(0, n);
		} while (n != 4);
		buf[0] = '0' + i;
		ASSERT_EQ(4, send(resp[i], buf, 4, 0));
	}
	while (seen != 3) {
		n = recv(sv, buf, sizeof(buf), 0);
		ASSERT_EQ(4, n) TH_LOG("responses seen: %d", seen);
		ASSERT_TRUE(buf[0] == '0' || buf[0] == '1');
		seen |= 1 << (buf[0] - '0');
	}
	close(sv);
	for (i = 0; i < 2; i++)
		close(resp[i]);
	close(rresp);
	close(rsv);
}

/* A BUS linked with itself reflects each peer's messages to the others. */
TEST(bus_reflector)
{
	int hub, peer[3], i;
	uint16_t port;
	char buf[8];

	hub = sp_raw_listen(SOCK_BUS, &port);
	ASSERT_LE(0, hub);
	ASSERT_EQ(0, link_fds(hub, hub));
	for (i = 0; i < 3; i++) {
		peer[i] = sp_dial(SOCK_BUS, port);
		ASSERT_LE(0, peer[i]);
		sp_set_timeouts(peer[i], 5000);
	}
	/* Until peer 2 hears peer 0 and peer 0 hears peer 2, all are up. */
	ASSERT_EQ(0, sp_send_until_readable(peer[0], "p", 1, peer[2], 100, 100));
	ASSERT_EQ(0, sp_send_until_readable(peer[2], "p", 1, peer[0], 100, 100));
	ASSERT_EQ(0, sp_send_until_readable(peer[1], "p", 1, peer[0], 100, 100));
	usleep(300000);
	for (i = 0; i < 3; i++)
		while (recv(peer[i], buf, sizeof(buf), MSG_DONTWAIT) > 0)
			;
	ASSERT_EQ(1, send(peer[1], "X", 1, 0));
	ASSERT_EQ(1, recv(peer[0], buf, sizeof(buf), 0));
	EXPECT_EQ('X', buf[0]);
	ASSERT_EQ(1, recv(peer[2], buf, sizeof(buf), 0));
	EXPECT_EQ('X', buf[0]);
	/* Not back to its sender. */
	EXPECT_FALSE(sp_poll1(peer[1], POLLIN, 300) & POLLIN);
	for (i = 0; i < 3; i++)
		close(peer[i]);
	close(hub);
}

/*
 * Either side closing with requests in flight, or the worker killed: no
 * crash, no leak (kmemleak after the run), and the surviving side of the
 * link is unlinked (SP_DEVICE -1 gives ENOENT).
 */
TEST(side_closes_in_flight)
{
	int round, rep, req, cl[NCLIENTS], i, w, st;
	uint16_t front, back;
	pid_t pid;
	char buf[8];

	for (round = 0; round < 2; round++) {
		rep = broker(&front, &back, &req);
		ASSERT_LE(0, rep);
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			/* A worker that reads and never answers, then is killed. */
			w = sp_dial(SOCK_REP, back);
			for (;;)
				recv(w, buf, sizeof(buf), 0);
		}
		for (i = 0; i < NCLIENTS; i++) {
			cl[i] = sp_dial(SOCK_REQ, front);
			ASSERT_LE(0, cl[i]);
			ASSERT_EQ(2, send(cl[i], "q0", 2, 0));
		}
		usleep(300000);
		kill(pid, SIGKILL);
		ASSERT_EQ(pid, waitpid(pid, &st, 0));
		/* Round 0 closes the front side first, round 1 the back. */
		close(round ? req : rep);
		EXPECT_EQ(-1, sp_set_int(round ? rep : req, SOL_SP, SP_DEVICE, -1));
		EXPECT_EQ(ENOENT, errno);
		close(round ? rep : req);
		for (i = 0; i < NCLIENTS; i++)
			close(cl[i]);
	}
}

TEST(misuse)
{
	int rep = sp_raw_socket(SOCK_REP), req = sp_raw_socket(SOCK_REQ);
	int pub = sp_raw_socket(SOCK_PUB), cooked = socket(AF_SP, SOCK_REQ, IPPROTO_TCP);
	int inet = socket(AF_INET, SOCK_DGRAM, 0), pfd[2], one = 1;

	ASSERT_LE(0, rep);
	ASSERT_LE(0, req);
	ASSERT_LE(0, pub);
	ASSERT_LE(0, cooked);
	ASSERT_LE(0, inet);
	ASSERT_EQ(0, pipe(pfd));
	EXPECT_EQ(-1, link_fds(rep, 9999));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, link_fds(rep, pfd[0]));
	EXPECT_EQ(ENOTSOCK, errno);
	EXPECT_EQ(-1, link_fds(rep, inet));
	EXPECT_EQ(EAFNOSUPPORT, errno);
	EXPECT_EQ(-1, link_fds(rep, cooked));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, link_fds(cooked, rep));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, link_fds(rep, pub));
	EXPECT_EQ(EPROTOTYPE, errno);
	EXPECT_EQ(-1, link_fds(rep, rep));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, setsockopt(rep, SOL_SP, SP_DEVICE, &one, 2));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, link_fds(rep, -1));
	EXPECT_EQ(ENOENT, errno);
	ASSERT_EQ(0, link_fds(rep, req));
	/* Linked twice, from either side, or to a third socket. */
	EXPECT_EQ(-1, link_fds(rep, req));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(-1, link_fds(req, rep));
	EXPECT_EQ(EBUSY, errno);
	/* Unlink, and link again. */
	ASSERT_EQ(0, link_fds(req, -1));
	EXPECT_EQ(-1, link_fds(rep, -1));
	EXPECT_EQ(ENOENT, errno);
	ASSERT_EQ(0, link_fds(rep, req));
	close(rep);
	close(req);
	close(pub);
	close(cooked);
	close(inet);
	close(pfd[0]);
	close(pfd[1]);
}

TEST_HARNESS_MAIN
