// SPDX-License-Identifier: GPL-2.0
/*
 * sock_diag for AF_SP (uapi/linux/sp_diag.h): a dump lists exactly the
 * sockets of the requester's network namespace, filtered by type; a get
 * finds one by inode and cookie; the attributes carry endpoints, pipes
 * (joined with TCP's own sockets by inode), meminfo and SP_STATS; sockets
 * closed during a dump break nothing; an unprivileged reader sees what
 * root sees, as for unix_diag.
 */
#define _GNU_SOURCE
#include <linux/sock_diag.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "sp_lib.h"
#include "../tools/spdiag.h"
#include "kselftest_harness.h"

#define MAX_ROWS 1024

static struct spd_row *find(struct spd_row *rows, int n, unsigned long ino)
{
	int i;

	for (i = 0; i < n && i < MAX_ROWS; i++)
		if (rows[i].m.sdiag_ino == ino)
			return &rows[i];
	return NULL;
}

static struct spd_row rows[MAX_ROWS];

/* In a namespace of its own, a dump lists exactly the sockets made there. */
TEST(dump_lists_exactly)
{
	int types[] = { SOCK_PAIR, SOCK_REQ, SOCK_REP, SOCK_PUB, SOCK_SUB, SOCK_REQ, SOCK_BUS };
	int fd[7], i, n;

	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	ASSERT_EQ(0, spd_dump(rows, MAX_ROWS, 0, 0));
	for (i = 0; i < 7; i++) {
		fd[i] = socket(AF_SP, types[i], 0);
		ASSERT_LE(0, fd[i]);
	}
	n = spd_dump(rows, MAX_ROWS, 0, 0);
	ASSERT_EQ(7, n) TH_LOG("dump: %s", strerror(errno));
	for (i = 0; i < 7; i++) {
		struct spd_row *r = find(rows, n, sp_ino(fd[i]));

		ASSERT_NE(NULL, r) TH_LOG("socket %d missing", i);
		EXPECT_EQ(AF_SP, r->m.sdiag_family);
		EXPECT_EQ(types[i], r->m.sdiag_type);
		EXPECT_TRUE(r->has_info);
		EXPECT_NE(0, r->m.sdiag_cookie[0] | r->m.sdiag_cookie[1]);
	}
	/* By type: the two REQs. */
	n = spd_dump(rows, MAX_ROWS, SOCK_REQ, 0);
	ASSERT_EQ(2, n);
	EXPECT_NE(NULL, find(rows, n, sp_ino(fd[1])));
	EXPECT_NE(NULL, find(rows, n, sp_ino(fd[5])));
	/* A closed socket is gone. */
	close(fd[1]);
	n = spd_dump(rows, MAX_ROWS, SOCK_REQ, 0);
	ASSERT_EQ(1, n);
	EXPECT_EQ(sp_ino(fd[5]), rows[0].m.sdiag_ino);
	for (i = 0; i < 7; i++)
		if (i != 1)
			close(fd[i]);
	EXPECT_EQ(0, spd_dump(rows, MAX_ROWS, 0, 0));
}

/* In a fresh namespace: no socket before its own (@fd -1), then that one. */
static int child_dumps(int fd, void *arg)
{
	int n = spd_dump(rows, MAX_ROWS, 0, 0);

	return fd < 0 ? n != 0 : n != 1 || rows[0].m.sdiag_ino != sp_ino(fd);
}

/* The sockets of another namespace are never listed, either way. */
TEST(two_namespaces)
{
	int mine = socket(AF_SP, SOCK_PULL, 0), n;
	struct sp_netns_child c;
	unsigned long theirs;

	ASSERT_LE(0, mine);
	ASSERT_EQ(0, sp_netns_child_start(&c, SOCK_PUSH, child_dumps, NULL, &theirs));
	n = spd_dump(rows, MAX_ROWS, 0, 0);
	ASSERT_LE(1, n);
	EXPECT_EQ(NULL, find(rows, n, theirs));
	EXPECT_NE(NULL, find(rows, n, sp_ino(mine)));
	EXPECT_EQ(0, sp_netns_child_end(&c));
	close(mine);
}

TEST(get_by_cookie)
{
	uint32_t cookie[2], wrong[2], none[2] = { ~0U, ~0U };
	int fd = socket(AF_SP, SOCK_SURVEYOR, 0), n;
	struct spd_row r, *d;

	ASSERT_LE(0, fd);
	n = spd_dump(rows, MAX_ROWS, SOCK_SURVEYOR, 0);
	ASSERT_LE(1, n);
	d = find(rows, n, sp_ino(fd));
	ASSERT_NE(NULL, d);
	memcpy(cookie, d->m.sdiag_cookie, sizeof(cookie));
	ASSERT_EQ(1, spd_get(&r, sp_ino(fd), cookie, 0));
	EXPECT_EQ(sp_ino(fd), r.m.sdiag_ino);
	EXPECT_EQ(SOCK_SURVEYOR, r.m.sdiag_type);
	EXPECT_EQ(0, memcmp(cookie, r.m.sdiag_cookie, sizeof(cookie)));
	/* No cookie to check. */
	EXPECT_EQ(1, spd_get(&r, sp_ino(fd), none, 0));
	/* Misuse: another cookie, an inode of no sp socket, none at all. */
	memcpy(wrong, cookie, sizeof(wrong));
	wrong[0] ^= 1;
	EXPECT_EQ(-1, spd_get(&r, sp_ino(fd), wrong, 0));
	EXPECT_EQ(ESTALE, errno);
	EXPECT_EQ(-1, spd_get(&r, sp_ino(0), none, 0));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(-1, spd_get(&r, 0, none, 0));
	EXPECT_EQ(EINVAL, errno);
	close(fd);
}

/* A request shorter than struct sp_diag_req: EINVAL. */
TEST(short_request)
{
	int nl = spd_socket();

	ASSERT_LE(0, nl);
	ASSERT_EQ(0, spd_send(nl, 1, 0, 0, NULL, 0, sizeof(struct sp_diag_req) - 4));
	EXPECT_EQ(-1, spd_read(nl, rows, MAX_ROWS, NULL, NULL));
	EXPECT_EQ(EINVAL, errno);
	close(nl);
}

/* Whether /proc/net/tcp (or tcp6) has a socket of inode @ino. */
static int tcp_has_ino(uint32_t ino)
{
	const char *files[] = { "/proc/net/tcp", "/proc/net/tcp6" };
	char line[512];
	int i;

	for (i = 0; i < 2; i++) {
		FILE *f = fopen(files[i], "r");

		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			unsigned long v;

			/* sl local rem st tx:rx tr:when retr uid timeout inode */
			if (sscanf(line, "%*s %*s %*s %*s %*s %*s %*s %*s %*s %lu", &v) == 1 &&
			    v == ino) {
				fclose(f);
				return 1;
			}
		}
		fclose(f);
	}
	return 0;
}

TEST(attributes)
{
	int rep, req;
	struct sockaddr_in *a;
	uint16_t port;
	char buf[8];
	struct spd_row r;

	ASSERT_EQ(0, sp_listen_dial(SOCK_REP, SOCK_REQ, &rep, &req, &port));
	ASSERT_EQ(2, send(req, "hi", 2, 0));
	ASSERT_EQ(2, recv(rep, buf, sizeof(buf), 0));
	ASSERT_EQ(1, spd_get(&r, sp_ino(rep), (uint32_t[]){ ~0U, ~0U },
			      SP_DIAG_SHOW_ENDPOINTS | SP_DIAG_SHOW_PIPES |
			      SP_DIAG_SHOW_MEMINFO | SP_DIAG_SHOW_STATS));
	ASSERT_TRUE(r.has_info);
	EXPECT_EQ(SP_PROTO_REP, r.info.sdiag_proto);
	EXPECT_EQ(SP_PROTO_REQ, r.info.sdiag_peer);
	EXPECT_EQ(0, r.info.sdiag_raw);
	EXPECT_EQ(1, r.info.sdiag_pipes);
	EXPECT_EQ(1, r.info.sdiag_listeners);
	EXPECT_EQ(0, r.info.sdiag_dialers);
	/* The listener, with its real port. */
	EXPECT_EQ(1, r.listeners);
	a = (struct sockaddr_in *)&r.listener[0];
	EXPECT_EQ(AF_INET, a->sin_family);
	EXPECT_EQ(port, ntohs(a->sin_port));
	/* The pipe: up, from the REQ's end, and a TCP socket ss can show. */
	EXPECT_EQ(1, r.pipes);
	EXPECT_EQ(1, r.pipe[0].up);
	EXPECT_NE(0, r.pipe[0].id);
	a = (struct sockaddr_in *)&r.pipe[0].local;
	EXPECT_EQ(port, ntohs(a->sin_port));
	a = (struct sockaddr_in *)&r.pipe[0].peer;
	EXPECT_EQ(AF_INET, a->sin_family);
	EXPECT_NE(port, ntohs(a->sin_port));
	EXPECT_EQ(IPPROTO_TCP, r.pipe[0].proto);
	EXPECT_NE(0, r.pipe[0].tcp_ino);
	EXPECT_TRUE(tcp_has_ino(r.pipe[0].tcp_ino)) {
		TH_LOG("TCP inode %u not in /proc/net/tcp", r.pipe[0].tcp_ino);
	}
	EXPECT_EQ(SK_MEMINFO_VARS * 4, r.meminfo_len);
	EXPECT_EQ(sizeof(struct sp_stats), r.stats_len);
	EXPECT_EQ(1, r.stats.rx_msgs);
	/* Only what is asked for. */
	ASSERT_EQ(1, spd_get(&r, sp_ino(req), (uint32_t[]){ ~0U, ~0U }, 0));
	EXPECT_TRUE(r.has_info);
	EXPECT_EQ(1, r.info.sdiag_dialers);
	EXPECT_EQ(0, r.dialers + r.listeners + r.pipes + r.meminfo_len + r.stats_len);
	ASSERT_EQ(1, spd_get(&r, sp_ino(req), (uint32_t[]){ ~0U, ~0U }, SP_DIAG_SHOW_ENDPOINTS));
	EXPECT_EQ(1, r.dialers);
	a = (struct sockaddr_in *)&r.dialer[0];
	EXPECT_EQ(port, ntohs(a->sin_port));
	close(req);
	close(rep);
}

struct closer {
	int *fds, n, next;
};

/* Closes a tenth of the sockets between two buffers of the dump. */
static void close_some(void *arg)
{
	struct closer *c = arg;
	int k;

	for (k = 0; k < c->n / 10 && c->next < c->n; k++)
		close(c->fds[c->next++]);
}

/* Sockets closed while a dump is read: no crash, and the dump ends. */
TEST(closed_mid_dump)
{
	enum { N = 300 };
	static int fds[N];
	struct closer c = { fds, N, 0 };
	int nl, i, n, rcv = 4096;

	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	for (i = 0; i < N; i++) {
		fds[i] = socket(AF_SP, SOCK_PUB + i % 4, 0);
		ASSERT_LE(0, fds[i]);
	}
	nl = spd_socket();
	ASSERT_LE(0, nl);
	ASSERT_EQ(0, setsockopt(nl, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv)));
	ASSERT_EQ(0, spd_send(nl, 1, 0, 0, NULL, SP_DIAG_SHOW_STATS, sizeof(struct sp_diag_req)));
	n = spd_read(nl, rows, MAX_ROWS, close_some, &c);
	TH_LOG("%d rows while %d of %d sockets closed", n, c.next, N);
	EXPECT_LE(0, n);
	EXPECT_GE(N, n);
	EXPECT_LT(0, c.next);
	close(nl);
	for (i = c.next; i < N; i++)
		close(fds[i]);
}

/* An unprivileged reader sees the sockets root sees, as for unix_diag. */
TEST(unprivileged)
{
	int fd = socket(AF_SP, SOCK_RESPONDENT, 0), st;
	pid_t pid;

	ASSERT_LE(0, fd);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int n;

		if (setgid(65534) || setuid(65534))
			_exit(10);
		n = spd_dump(rows, MAX_ROWS, SOCK_RESPONDENT, 0);
		_exit(n >= 1 && find(rows, n, sp_ino(fd)) ? 0 : 11);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ(0, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	close(fd);
}

TEST_HARNESS_MAIN
