// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/net/sp and /proc/PID/fdinfo of sp sockets: the list shows exactly
 * the sockets of the reader's network namespace, with their type, mode,
 * endpoints and counters; a closed socket leaves it; reading it while
 * sockets come and go (SP_PROC_SOCKETS of them, default 1000) is safe.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "sp_lib.h"
#include "kselftest_harness.h"

#define HEADER "Inode      Type       Raw Pipes Listen Dial RecvQ  TxMsgs     RxMsgs     TxDrop   RxDrop   Dev Local Remote\n"

/* The whole of @path into @buf (NUL-terminated); its length, or -1. */
static ssize_t slurp(const char *path, char *buf, size_t room)
{
	ssize_t n, got = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	while ((n = read(fd, buf + got, room - 1 - got)) > 0)
		got += n;
	close(fd);
	if (n < 0)
		return -1;
	buf[got] = 0;
	return got;
}

/* The line of /proc/net/sp for @fd, copied into @line; 0, or -1 if none. */
static int line_of(int fd, char *line, size_t room)
{
	static char buf[1 << 20];
	unsigned long ino = sp_ino(fd);
	char *l;

	if (slurp("/proc/self/net/sp", buf, sizeof(buf)) < 0)
		return -1;
	for (l = strchr(buf, '\n'); l && l[1]; l = strchr(l + 1, '\n'))
		if (strtoul(l + 1, NULL, 10) == ino) {
			char *e = strchr(l + 1, '\n');

			snprintf(line, room, "%.*s", (int)(e - l - 1), l + 1);
			return 0;
		}
	return -1;
}

/* Lines of /proc/self/net/sp after its header, or -1. */
static int count_lines(void)
{
	static char buf[1 << 20];
	int n = 0;
	char *l;

	if (slurp("/proc/self/net/sp", buf, sizeof(buf)) < 0 || strncmp(buf, HEADER, strlen(HEADER)))
		return -1;
	for (l = buf + strlen(HEADER); *l; l = strchr(l, '\n') + 1)
		n++;
	return n;
}

/* The fields of a line: inode, type, raw, pipes, listeners, dialers, ... */
struct row {
	unsigned long ino;
	char type[16];
	int raw, pipes, listen, dial, recvq;
	unsigned long long tx, rx, txdrop, rxdrop;
	int dev;
	char local[64], remote[64];
};

static int parse(const char *l, struct row *r)
{
	return sscanf(l, "%lu %15s %d %d %d %d %d %llu %llu %llu %llu %d %63s %63s", &r->ino,
		      r->type, &r->raw, &r->pipes, &r->listen, &r->dial, &r->recvq, &r->tx, &r->rx,
		      &r->txdrop, &r->rxdrop, &r->dev, r->local, r->remote) == 14 ? 0 : -1;
}

TEST(header_and_rows)
{
	char line[512], want[64];
	int rep, req, bus;
	struct row r;
	uint16_t port;
	char buf[8];

	ASSERT_EQ(0, sp_listen_dial(SOCK_REP, SOCK_REQ, &rep, &req, &port));
	bus = sp_raw_socket(SOCK_BUS);
	ASSERT_LE(0, bus);
	ASSERT_EQ(2, send(req, "hi", 2, 0));
	ASSERT_EQ(2, recv(rep, buf, sizeof(buf), 0));
	ASSERT_EQ(2, send(rep, "ok", 2, 0));
	ASSERT_EQ(2, recv(req, buf, sizeof(buf), 0));

	ASSERT_EQ(0, line_of(rep, line, sizeof(line)));
	ASSERT_EQ(0, parse(line, &r)) TH_LOG("%s", line);
	EXPECT_EQ(sp_ino(rep), r.ino);
	EXPECT_STREQ("rep", r.type);
	EXPECT_EQ(0, r.raw);
	EXPECT_EQ(1, r.listen);
	EXPECT_EQ(0, r.dial);
	EXPECT_EQ(1, r.pipes);
	EXPECT_EQ(1, r.rx);
	EXPECT_EQ(1, r.tx);
	/* The listener's real port, not the 0 it was bound with. */
	snprintf(want, sizeof(want), "127.0.0.1:%u", port);
	EXPECT_STREQ(want, r.local);
	EXPECT_STREQ("*", r.remote);

	ASSERT_EQ(0, line_of(req, line, sizeof(line)));
	ASSERT_EQ(0, parse(line, &r)) TH_LOG("%s", line);
	EXPECT_STREQ("req", r.type);
	EXPECT_EQ(1, r.dial);
	EXPECT_EQ(0, r.listen);
	EXPECT_STREQ("*", r.local);
	EXPECT_STREQ(want, r.remote);

	ASSERT_EQ(0, line_of(bus, line, sizeof(line)));
	ASSERT_EQ(0, parse(line, &r)) TH_LOG("%s", line);
	EXPECT_STREQ("bus", r.type);
	EXPECT_EQ(1, r.raw);
	EXPECT_EQ(0, r.pipes);
	EXPECT_EQ(0, r.dev);
	ASSERT_EQ(0, setsockopt(bus, SOL_SP, SP_DEVICE, &bus, sizeof(bus)));
	ASSERT_EQ(0, line_of(bus, line, sizeof(line)));
	ASSERT_EQ(0, parse(line, &r));
	EXPECT_EQ(1, r.dev);

	/* A closed socket leaves the list; the others stay. */
	close(req);
	EXPECT_EQ(-1, line_of(req, line, sizeof(line)));
	EXPECT_EQ(0, line_of(rep, line, sizeof(line)));
	close(rep);
	close(bus);
}

TEST(ipv6_rows)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	socklen_t len = sizeof(a);
	char line[512], want[64];
	struct row r;
	int rep;

	rep = socket(AF_SP, SOCK_REP, 0);
	ASSERT_LE(0, rep);
	ASSERT_EQ(0, bind(rep, (struct sockaddr *)&a, sizeof(a)));
	ASSERT_EQ(0, getsockname(rep, (struct sockaddr *)&a, &len));
	ASSERT_EQ(0, line_of(rep, line, sizeof(line)));
	ASSERT_EQ(0, parse(line, &r)) TH_LOG("%s", line);
	snprintf(want, sizeof(want), "[::1]:%u", ntohs(a.sin6_port));
	EXPECT_STREQ(want, r.local);
	close(rep);
}

/*
 * In a fresh namespace, before its socket (@fd -1): none of the parent's
 * sockets (*@arg), and no line at all; after: its own line only.
 */
static int child_sees(int fd, void *arg)
{
	char line[512];

	if (fd < 0)
		return line_of(*(int *)arg, line, sizeof(line)) == 0 || count_lines() != 0;
	return line_of(fd, line, sizeof(line)) || count_lines() != 1;
}

/* The sockets of another network namespace are never listed. */
TEST(per_namespace)
{
	int mine = socket(AF_SP, SOCK_PAIR, 0);
	struct sp_netns_child c;
	static char buf[1 << 20];
	char line[512], key[40];
	unsigned long theirs;

	ASSERT_LE(0, mine);
	ASSERT_EQ(0, sp_netns_child_start(&c, SOCK_SUB, child_sees, &mine, &theirs));
	/* The child's socket is not in this namespace's list; ours is. */
	ASSERT_LT(0, slurp("/proc/self/net/sp", buf, sizeof(buf)));
	snprintf(key, sizeof(key), "\n%lu ", theirs);
	EXPECT_EQ(NULL, strstr(buf, key)) TH_LOG("child's socket %lu listed here", theirs);
	EXPECT_EQ(0, line_of(mine, line, sizeof(line)));
	EXPECT_EQ(0, sp_netns_child_end(&c));
	close(mine);
}

TEST(fdinfo)
{
	char path[64], buf[4096], want[64];
	int rep, req;
	uint16_t port;
	char m[8];

	ASSERT_EQ(0, sp_listen_dial(SOCK_REP, SOCK_REQ, &rep, &req, &port));
	ASSERT_EQ(2, send(req, "hi", 2, 0));
	ASSERT_EQ(2, recv(rep, m, sizeof(m), 0));
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", rep);
	ASSERT_LT(0, slurp(path, buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "sp-protocol:\trep\n")) TH_LOG("%s", buf);
	EXPECT_NE(NULL, strstr(buf, "sp-raw:\t0\n"));
	EXPECT_NE(NULL, strstr(buf, "sp-pipes:\t1\n"));
	EXPECT_NE(NULL, strstr(buf, "sp-listeners:\t1\n"));
	EXPECT_NE(NULL, strstr(buf, "sp-rx-msgs:\t1\n"));
	EXPECT_NE(NULL, strstr(buf, "sp-tx-msgs:\t0\n"));
	snprintf(want, sizeof(want), "sp-local:\t127.0.0.1:%u\n", port);
	EXPECT_NE(NULL, strstr(buf, want));
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", req);
	ASSERT_LT(0, slurp(path, buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "sp-protocol:\treq\n")) TH_LOG("%s", buf);
	EXPECT_NE(NULL, strstr(buf, "sp-tx-msgs:\t1\n"));
	EXPECT_NE(NULL, strstr(buf, "sp-dialers:\t1\n"));
	close(req);
	close(rep);
}

struct churn {
	long n;
	int failed;
};

/* Opens and closes @n sockets, half with an endpoint and a pipe. */
static void *churn_run(void *arg)
{
	struct churn *c = arg;
	long i;

	for (i = 0; i < c->n; i++) {
		uint16_t port;
		int a, b = -1;

		if (i % 2) {
			a = sp_listen_any(SOCK_REP, &port);
			if (a >= 0)
				b = sp_dial(SOCK_REQ, port);
			if (b < 0)
				c->failed++;
		} else {
			a = socket(AF_SP, SOCK_PUB + i % 4, 0);
		}
		if (a < 0)
			c->failed++;
		if (b >= 0)
			close(b);
		if (a >= 0)
			close(a);
	}
	return NULL;
}

/* 1000 sockets take longer than the harness's 30 s under TCG and KASAN. */
FIXTURE(slow) {};
FIXTURE_SETUP(slow) {}
FIXTURE_TEARDOWN(slow) {}

TEST_F_TIMEOUT(slow, read_while_sockets_churn, 600)
{
	struct churn c = { .n = sp_env_long("SP_PROC_SOCKETS", 1000) };
	static char buf[1 << 20];
	long reads = 0, bad = 0;
	pthread_t th;
	void *done;

	ASSERT_EQ(0, pthread_create(&th, NULL, churn_run, &c));
	while (pthread_tryjoin_np(th, &done) == EBUSY) {
		ssize_t n = slurp("/proc/self/net/sp", buf, sizeof(buf));

		reads++;
		if (n < (ssize_t)strlen(HEADER) || strncmp(buf, HEADER, strlen(HEADER)) ||
		    buf[n - 1] != '\n')
			bad++;
	}
	TH_LOG("%ld sockets opened and closed during %ld reads", c.n, reads);
	EXPECT_EQ(0, c.failed);
	EXPECT_EQ(0, bad);
	EXPECT_LT(0, reads);
}

TEST_HARNESS_MAIN
