// SPDX-License-Identifier: GPL-2.0
/*
 * Policy (issue 13, items 3 and 5): every TCP connection sp makes for a
 * user passes that user's LSM rules and cgroup programs, as if the user
 * had made it, and what sp holds is charged to the user's memory cgroup.
 *
 * Each test runs its restricted part in a child process: Landlock
 * domains and cgroup membership are per task and one-way.
 */
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/bpf.h>

#include "kselftest_harness.h"
#include "sp_lib.h"

/*
 * Landlock's network rules (ABI 4, Linux 6.7); the host's headers may
 * predate them, so the test carries what it uses.
 */
struct sp_ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
};

struct sp_ll_net_port_attr {
	uint64_t allowed_access;
	uint64_t port;
} __attribute__((packed));

#define SP_LL_NET_BIND_TCP	(1ULL << 0)
#define SP_LL_NET_CONNECT_TCP	(1ULL << 1)
#define SP_LL_RULE_NET_PORT	2

#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset	444
#define __NR_landlock_add_rule		445
#define __NR_landlock_restrict_self	446
#endif

/*
 * Restricts this process: TCP connect only to @allowed, TCP bind
 * nowhere. Returns 0, or -1 when Landlock (or its network rules) is
 * missing.
 */
static int landlock_tcp(uint16_t allowed)
{
	struct sp_ll_ruleset_attr ra = {
		.handled_access_net = SP_LL_NET_BIND_TCP | SP_LL_NET_CONNECT_TCP,
	};
	struct sp_ll_net_port_attr pa = {
		.allowed_access = SP_LL_NET_CONNECT_TCP,
		.port = allowed,
	};
	int fd, err;

	fd = syscall(__NR_landlock_create_ruleset, &ra, sizeof(ra), 0);
	if (fd < 0)
		return -1;
	err = syscall(__NR_landlock_add_rule, fd, SP_LL_RULE_NET_PORT, &pa, 0);
	if (!err)
		err = prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	if (!err)
		err = syscall(__NR_landlock_restrict_self, fd, 0);
	close(fd);
	return err ? -1 : 0;
}

/* Waits for @pid; its exit status, or 128 + the signal that killed it. */
static int reap(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/*
 * Landlock: a child allowed to connect to one port only reaches the other
 * through no PF_SP socket, and may not bind; the allowed port works.
 */
TEST(landlock_connect_and_bind)
{
	uint16_t allowed = 0, denied = 0;
	int rep_a, rep_b, st;
	pid_t pid;

	rep_a = sp_listen_any(SOCK_REP, &allowed);
	rep_b = sp_listen_any(SOCK_REP, &denied);
	ASSERT_LE(0, rep_a);
	ASSERT_LE(0, rep_b);
	ASSERT_EQ(0, sp_set_timeo(rep_a, SO_RCVTIMEO, 5000));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct sockaddr_in sin = sp_loopback(denied);
		int fd;

		if (landlock_tcp(allowed))
			_exit(10);
		/* What plain TCP gets, for reference. */
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 || errno != EACCES)
			_exit(11);
		close(fd);
		fd = socket(PF_SP, SOCK_REQ, 0);
		if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0)
			_exit(12);
		if (errno != EACCES)
			_exit(13);
		close(fd);
		sin = sp_loopback(0);
		fd = socket(PF_SP, SOCK_REP, 0);
		if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0)
			_exit(14);
		if (errno != EACCES)
			_exit(15);
		close(fd);
		/* The allowed port: a full round trip. */
		_exit(sp_round_trip(rep_a, allowed) ? 16 : 0);
	}
	st = reap(pid);
	if (st == 10)
		SKIP(goto out, "no Landlock network rules in this kernel");
	/* 11: plain TCP allowed; 12/13: sp connect; 14/15: sp bind; 16: round trip. */
	EXPECT_EQ(0, st);
out:
	close(rep_a);
	close(rep_b);
}

/* The cgroup a test made, to clean up after it. */
static char cgdir[128];

/* Loads "return 0" as a cgroup/connect4 program: every connect() is EPERM. */
static int deny_connect4(int cgfd)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr a;
	int prog;

	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_CGROUP_SOCK_ADDR;
	a.expected_attach_type = BPF_CGROUP_INET4_CONNECT;
	a.insns = (uintptr_t)insns;
	a.insn_cnt = 2;
	a.license = (uintptr_t)"GPL";
	prog = syscall(__NR_bpf, BPF_PROG_LOAD, &a, sizeof(a));
	if (prog < 0)
		return -1;
	memset(&a, 0, sizeof(a));
	a.target_fd = cgfd;
	a.attach_bpf_fd = prog;
	a.attach_type = BPF_CGROUP_INET4_CONNECT;
	if (syscall(__NR_bpf, BPF_PROG_ATTACH, &a, sizeof(a))) {
		close(prog);
		return -1;
	}
	return prog;
}

static int detach_connect4(int cgfd, int prog)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.target_fd = cgfd;
	a.attach_bpf_fd = prog;
	a.attach_type = BPF_CGROUP_INET4_CONNECT;
	return syscall(__NR_bpf, BPF_PROG_DETACH, &a, sizeof(a));
}

/* Whether a connection arrives on listening TCP socket @lfd within @ms. */
static int accepts_within(int lfd, int ms)
{
	int c;

	if (!(sp_poll1(lfd, POLLIN, ms) & POLLIN))
		return 0;
	c = accept(lfd, NULL, NULL);
	if (c < 0)
		return 0;
	close(c);
	return 1;
}

/*
 * A cgroup BPF connect4 program applies to the TCP sockets sp makes for a
 * member of the cgroup: at connect() (EPERM), and when a work item
 * reconnects later on that member's behalf.
 */
TEST(cgroup_bpf_connect)
{
	struct sockaddr_in sin;
	int lfd, cgfd, prog = -1, up[2], down[2], c;
	pid_t pid;
	char ch;

	if (sp_cg_make(cgdir, "sp_bpf"))
		SKIP(return, "no cgroup v2 at /sys/fs/cgroup");
	cgfd = open(cgdir, O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, cgfd);
	lfd = sp_tcp_listen(&sin, 16);
	ASSERT_LE(0, lfd);
	ASSERT_EQ(0, pipe(up));
	ASSERT_EQ(0, pipe(down));

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int fd, fd2, ivl = 50;

		if (sp_cg_join(cgdir))
			_exit(10);
		fd = socket(PF_SP, SOCK_PAIR, 0);
		setsockopt(fd, SOL_SP, SP_RECONNECT_IVL, &ivl, sizeof(ivl));
		setsockopt(fd, SOL_SP, SP_RECONNECT_IVL_MAX, &ivl, sizeof(ivl));
		if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)))
			_exit(11);
		if (write(up[1], "a", 1) != 1 || read(down[0], &ch, 1) != 1)
			_exit(12);
		/* Now denied: the caller gets the program's verdict. */
		fd2 = socket(PF_SP, SOCK_PAIR, 0);
		if (connect(fd2, (struct sockaddr *)&sin, sizeof(sin)) == 0)
			_exit(13);
		if (errno != EPERM)
			_exit(14);
		if (write(up[1], "c", 1) != 1 || read(down[0], &ch, 1) != 1)
			_exit(15);
		close(fd2);
		close(fd);
		_exit(0);
	}
	/* 1. Allowed: the member's dialer connects. */
	ASSERT_EQ(1, read(up[0], &ch, 1));
	ASSERT_NE(0, sp_poll1(lfd, POLLIN, 5000));
	c = accept(lfd, NULL, NULL);
	ASSERT_LE(0, c);
	/* 2. Deny, and drop the pipe: the dialer reconnects from a work item. */
	prog = deny_connect4(cgfd);
	if (prog < 0) {
		kill(pid, SIGKILL);
		reap(pid);
		close(c);
		close(cgfd);
		close(lfd);
		rmdir(cgdir);
		SKIP(return, "no cgroup BPF (CONFIG_CGROUP_BPF)");
	}
	close(c);
	ASSERT_EQ(1, write(down[1], "b", 1));
	ASSERT_EQ(1, read(up[0], &ch, 1));
	/* Every reconnect (each 50 ms) is the member's, and denied. */
	EXPECT_FALSE(accepts_within(lfd, 1500));
	/* 3. Allowed again: the dialer, still trying, gets through. */
	EXPECT_EQ(0, detach_connect4(cgfd, prog));
	EXPECT_TRUE(accepts_within(lfd, 5000));
	ASSERT_EQ(1, write(down[1], "d", 1));
	EXPECT_EQ(0, reap(pid));
	close(prog);
	close(cgfd);
	close(lfd);
	rmdir(cgdir);
}

/*
 * A child limited to 32 MiB by memory.max pins messages in PAIR receive
 * queues, 1 MiB each, far more than its limit: it hits its own limit
 * (ENOMEM, or its memcg's OOM killer) and the charge shows in its memcg.
 */
TEST(memcg_limit)
{
	enum { PAIRS = 128 };
	static char big[1 << 20];
	long long maxev;
	pid_t pid;
	int st;

	if (sp_cg_make(cgdir, "sp_memcg") ||
	    sp_cg_write(cgdir, "memory.max", "33554432"))
		SKIP(return, "no cgroup v2 memory controller at /sys/fs/cgroup");
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		static int fds[PAIRS][2];
		int i, big_rcvbuf = 4 << 20;

		if (sp_cg_join(cgdir))
			_exit(10);
		for (i = 0; i < PAIRS; i++) {
			uint16_t port;

			fds[i][0] = sp_listen_any(SOCK_PAIR, &port);
			if (fds[i][0] < 0)
				_exit(errno == ENOMEM ? 0 : 11);
			setsockopt(fds[i][0], SOL_SOCKET, SO_RCVBUF, &big_rcvbuf,
				   sizeof(big_rcvbuf));
			fds[i][1] = sp_dial(SOCK_PAIR, port);
			if (fds[i][1] < 0)
				_exit(errno == ENOMEM ? 0 : 12);
			sp_set_timeo(fds[i][1], SO_SNDTIMEO, 3000);
			if (send(fds[i][1], big, sizeof(big), 0) < 0)
				_exit(errno == ENOMEM || errno == EAGAIN ? 0 : 13);
		}
		/* Let the pipes deliver what was sent. */
		sleep(3);
		_exit(20);
	}
	st = reap(pid);
	maxev = sp_cg_read(cgdir, "memory.events", "max");
	TH_LOG("child: %d, memory.events max %lld oom_kill %lld", st, maxev,
	       sp_cg_read(cgdir, "memory.events", "oom_kill"));
	/* 0: ENOMEM seen; 128 + SIGKILL: its memcg's OOM killer. */
	EXPECT_TRUE(st == 0 || st == 128 + SIGKILL);
	EXPECT_LT(0, maxev);
	rmdir(cgdir);
}

TEST_HARNESS_MAIN
