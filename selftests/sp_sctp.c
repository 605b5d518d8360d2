// SPDX-License-Identifier: GPL-2.0
/*
 * The SCTP transport (socket(PF_SP, type, IPPROTO_SCTP)): every protocol
 * over loopback SCTP associations; SP_SCTP_ADDRS and its refusals; a
 * multi-homed endpoint as SCTP sees it (/proc/net/sctp); and two network
 * namespaces joined by two veth paths, one taken down while REQ/REP and
 * PUB/SUB run, with every request answered and every message delivered
 * once, in order.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stddef.h>
#include <sys/un.h>

#include "sp_lib.h"
#include "../tools/spdiag.h"
#include "kselftest_harness.h"

/* A socket of @type over SCTP, with 5 s timeouts. */
static int sctp_socket(int type)
{
	int fd = socket(PF_SP, type, IPPROTO_SCTP);

	if (fd >= 0)
		sp_set_timeouts(fd, 5000);
	return fd;
}

/* Sets SP_SCTP_ADDRS of @fd to the @n IPv4 addresses @ips (port 0). */
static int set_addrs(int fd, const char *const *ips, int n)
{
	struct sockaddr_in v[8];
	int i;

	for (i = 0; i < n; i++)
		v[i] = sp_in4(ips[i], 0);
	return setsockopt(fd, SOL_SP, SP_SCTP_ADDRS, v, n * sizeof(v[0]));
}

/* Whether file @path has a line holding every word of @words. */
static int file_has(const char *path, const char *const *words, int n)
{
	char line[512];
	int found = 0, i;
	FILE *f = fopen(path, "r");

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		for (i = 0; i < n && strstr(line, words[i]); i++)
			;
		found = i == n;
	}
	fclose(f);
	return found;
}

/* Every protocol, both roles, over loopback SCTP; the pipe is an association. */
TEST(every_protocol)
{
	int i;

	for (i = 0; i < SP_NPEERS; i++) {
		int a = sctp_socket(sp_peers[i][0]), b = sctp_socket(sp_peers[i][1]);
		char port[16];
		const char *w[] = { port };
		uint16_t p;

		ASSERT_LE(0, a);
		ASSERT_LE(0, b);
		ASSERT_LE(0, sp_bind_any(a, &p));
		ASSERT_EQ(0, sp_connect_port(b, p));
		EXPECT_EQ(0, sp_exchange(sp_peers[i][0], a, b)) TH_LOG("pair %d", i);
		/* The listener's port, in an association's ports (LPORT RPORT). */
		snprintf(port, sizeof(port), " %u ", p);
		EXPECT_TRUE(file_has("/proc/net/sctp/assocs", w, 1)) TH_LOG("pair %d: no association", i);
		close(a);
		close(b);
	}
}

/*
 * sock_diag names each pipe's transport (SCTP), and its carrier socket's
 * inode is an SCTP association's (/proc/net/sctp/assocs); /proc/net/sp
 * names the endpoints sctp://.
 */
TEST(diag_and_proc_name_sctp)
{
	int rep = sctp_socket(SOCK_REP), req = sctp_socket(SOCK_REQ), ipc = socket(PF_SP, SOCK_REQ, 0);
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char ino[16], ep[48];
	const char *w[] = { ino }, *e[] = { ep };
	struct spd_row r;
	uint16_t p;

	ASSERT_LE(0, sp_bind_any(rep, &p));
	ASSERT_EQ(0, sp_connect_port(req, p));
	EXPECT_EQ(0, sp_req_rep(req, rep));
	ASSERT_EQ(1, spd_get(&r, sp_ino(rep), (uint32_t[]){ ~0U, ~0U }, SP_DIAG_SHOW_PIPES));
	ASSERT_EQ(1, r.pipes);
	EXPECT_EQ(IPPROTO_SCTP, r.pipe[0].proto);
	snprintf(ino, sizeof(ino), " %u ", r.pipe[0].tcp_ino);
	EXPECT_TRUE(file_has("/proc/net/sctp/assocs", w, 1)) TH_LOG("inode%sis not an association's", ino);
	snprintf(ep, sizeof(ep), "sctp://127.0.0.1:%u", p);
	EXPECT_TRUE(file_has("/proc/net/sp", e, 1)) TH_LOG("no %s in /proc/net/sp", ep);
	/* A pipe over a Unix address on the same socket is IPC: 0. */
	snprintf(sun.sun_path + 1, 100, "sp_sctp.diag.%d", getpid());
	ASSERT_EQ(0, bind(ipc, (struct sockaddr *)&sun, sizeof(sun)));
	ASSERT_EQ(0, connect(rep, (struct sockaddr *)&sun, sizeof(sun)));
	sp_set_timeouts(ipc, 5000);
	EXPECT_EQ(0, sp_req_rep(ipc, rep));
	ASSERT_EQ(1, spd_get(&r, sp_ino(rep), (uint32_t[]){ ~0U, ~0U }, SP_DIAG_SHOW_PIPES));
	ASSERT_EQ(2, r.pipes);
	EXPECT_EQ(IPPROTO_SCTP + 0, r.pipe[0].proto + r.pipe[1].proto);
	EXPECT_TRUE(!r.pipe[0].proto || !r.pipe[1].proto);
	close(rep);
	close(req);
	close(ipc);
}

/* A message far larger than an SCTP send buffer goes through intact. */
TEST(large_messages)
{
	int push = sctp_socket(SOCK_PUSH), pull = sctp_socket(SOCK_PULL);
	uint16_t p;

	ASSERT_LE(0, sp_bind_any(pull, &p));
	ASSERT_EQ(0, sp_connect_port(push, p));
	EXPECT_EQ(0, sp_big_messages(push, pull, 1 << 20, 3));
	close(push);
	close(pull);
}

/*
 * A raw SCTP peer of @port that sends @len bytes of @bytes (after its SP
 * header as a REQ if @hello): whether the REP closed the association.
 */
static int dropped(uint16_t port, int hello, const void *bytes, size_t len)
{
	int fd = sp_inet_dial(AF_INET, SOCK_STREAM, IPPROTO_SCTP, port), r = 0;
	unsigned char h[8];

	if (fd >= 0 && (!hello || !sp_raw_handshake(fd, SP_PROTO_REQ, h)) &&
	    write(fd, bytes, len) == (ssize_t)len)
		r = sp_peer_closed(fd, 5000);
	if (fd >= 0)
		close(fd);
	return r;
}

/*
 * Hostile SCTP peers (a wrong header, a length past SP_RCVMAXSIZE, a
 * frame one byte an SCTP message) are dropped, or served, and the REP
 * keeps answering a good REQ.
 */
TEST(hostile_peers_dropped)
{
	static const unsigned char bad[8] = { 0, 'S', 'P', 0, 0, 0x99, 0, 0 };
	int rep = sctp_socket(SOCK_REP), req = sctp_socket(SOCK_REQ), fd, i;
	unsigned char h[8], frame[8 + 4 + 2];
	uint16_t p;

	ASSERT_LE(0, sp_bind_any(rep, &p));
	/* A protocol id REP cannot talk to. */
	EXPECT_TRUE(dropped(p, 0, bad, 8));
	/* A good header, then a frame longer than SP_RCVMAXSIZE. */
	sp_be64(frame, (1 << 20) + 1);
	EXPECT_TRUE(dropped(p, 1, frame, 8));
	/* A request one byte an SCTP message: a byte stream, answered. */
	fd = sp_inet_dial(AF_INET, SOCK_STREAM, IPPROTO_SCTP, p);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, sp_raw_handshake(fd, SP_PROTO_REQ, h));
	sp_be64(frame, 6);
	memcpy(frame + 8, "\x80\0\0\x01hi", 6);
	for (i = 0; i < (int)sizeof(frame); i++)
		ASSERT_EQ(1, write(fd, frame + i, 1));
	{
		char got[32];
		char buf[8];

		ASSERT_EQ(2, recv(rep, buf, sizeof(buf), 0));
		EXPECT_EQ(0, memcmp(buf, "hi", 2));
		ASSERT_EQ(2, send(rep, "ok", 2, 0));
		/* The reply: length 6, the request id back, "ok". */
		ASSERT_EQ(14, sp_read_full(fd, got, 14, 5000));
		EXPECT_EQ(0, memcmp(got + 8, "\x80\0\0\x01ok", 6));
	}
	close(fd);
	/* Nothing else was affected. */
	ASSERT_EQ(0, sp_connect_port(req, p));
	EXPECT_EQ(0, sp_req_rep(req, rep));
	close(req);
	close(rep);
}

/* SP_SCTP_ADDRS reads back what was set; an empty array clears it. */
TEST(addrs_read_back)
{
	struct sockaddr_in6 six = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	unsigned char set[16 + 28], got[8 * 28];
	struct sockaddr_in four = sp_in4("127.0.0.2", 0);
	socklen_t len = sizeof(got);
	int fd = sctp_socket(SOCK_REP);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, getsockopt(fd, SOL_SP, SP_SCTP_ADDRS, got, &len));
	EXPECT_EQ(0, len);
	memcpy(set, &four, 16);
	memcpy(set + 16, &six, 28);
	ASSERT_EQ(0, setsockopt(fd, SOL_SP, SP_SCTP_ADDRS, set, sizeof(set)));
	len = sizeof(got);
	ASSERT_EQ(0, getsockopt(fd, SOL_SP, SP_SCTP_ADDRS, got, &len));
	ASSERT_EQ(sizeof(set), len);
	EXPECT_EQ(0, memcmp(got, set, sizeof(set)));
	ASSERT_EQ(0, setsockopt(fd, SOL_SP, SP_SCTP_ADDRS, set, 0));
	len = sizeof(got);
	ASSERT_EQ(0, getsockopt(fd, SOL_SP, SP_SCTP_ADDRS, got, &len));
	EXPECT_EQ(0, len);
	close(fd);
}

/* Every SP_SCTP_ADDRS refusal, and an address not on the host at bind(). */
TEST(addrs_refused)
{
	struct sockaddr_in v[9];
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	unsigned char small[20];
	socklen_t len;
	int fd = sctp_socket(SOCK_REP), tcp = socket(PF_SP, SOCK_REP, IPPROTO_TCP), i;
	uint16_t p;

	ASSERT_LE(0, fd);
	ASSERT_LE(0, tcp);
	for (i = 0; i < 9; i++)
		v[i] = sp_in4("127.0.0.1", 0);
	/* Not an SCTP socket: the option is not there. */
	EXPECT_EQ(-1, setsockopt(tcp, SOL_SP, SP_SCTP_ADDRS, v, sizeof(v[0])));
	EXPECT_EQ(ENOPROTOOPT, errno);
	len = sizeof(small);
	EXPECT_EQ(-1, getsockopt(tcp, SOL_SP, SP_SCTP_ADDRS, small, &len));
	EXPECT_EQ(ENOPROTOOPT, errno);
	/* A truncated address, in the family and in the body. */
	EXPECT_EQ(-1, setsockopt(fd, SOL_SP, SP_SCTP_ADDRS, v, 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, setsockopt(fd, SOL_SP, SP_SCTP_ADDRS, v, sizeof(v[0]) + 8));
	EXPECT_EQ(EINVAL, errno);
	/* More than eight. */
	EXPECT_EQ(-1, setsockopt(fd, SOL_SP, SP_SCTP_ADDRS, v, sizeof(v)));
	EXPECT_EQ(EINVAL, errno);
	/* A family SCTP does not bind. */
	EXPECT_EQ(-1, setsockopt(fd, SOL_SP, SP_SCTP_ADDRS, &sun, sizeof(sun)));
	EXPECT_EQ(EINVAL, errno);
	/* Nothing set by the refusals. */
	len = sizeof(small);
	ASSERT_EQ(0, getsockopt(fd, SOL_SP, SP_SCTP_ADDRS, small, &len));
	EXPECT_EQ(0, len);
	/* A buffer too short for the array. */
	ASSERT_EQ(0, setsockopt(fd, SOL_SP, SP_SCTP_ADDRS, v, 2 * sizeof(v[0])));
	len = sizeof(small);
	EXPECT_EQ(-1, getsockopt(fd, SOL_SP, SP_SCTP_ADDRS, small, &len));
	EXPECT_EQ(EINVAL, errno);
	/* An address not on the host fails the bind(), as sctp_bindx() does. */
	v[0] = sp_in4("192.0.2.99", 0);
	ASSERT_EQ(0, setsockopt(fd, SOL_SP, SP_SCTP_ADDRS, v, sizeof(v[0])));
	EXPECT_EQ(-1, sp_bind_any(fd, &p));
	EXPECT_EQ(EADDRNOTAVAIL, errno);
	close(tcp);
	/* A protocol that is neither TCP nor SCTP. */
	EXPECT_EQ(-1, socket(PF_SP, SOCK_REP, IPPROTO_UDP));
	EXPECT_EQ(EPROTONOSUPPORT, errno);
}

/* A Unix address on an SCTP socket is IPC, as the header says. */
TEST(unix_address_is_ipc)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	socklen_t len = offsetof(struct sockaddr_un, sun_path) + 1 +
			snprintf(sun.sun_path + 1, 100, "sp_sctp.%d", getpid());
	int rep = sctp_socket(SOCK_REP), req = sctp_socket(SOCK_REQ);

	ASSERT_EQ(0, bind(rep, (struct sockaddr *)&sun, len));
	ASSERT_EQ(0, connect(req, (struct sockaddr *)&sun, len));
	EXPECT_EQ(0, sp_req_rep(req, rep));
	close(req);
	close(rep);
}

/*
 * A listener on 127.0.0.1 with 127.0.0.2 added: SCTP's endpoint has both
 * addresses, and an association to it knows both as the peer's.
 */
TEST(multihomed_listener)
{
	const char *extra[] = { "127.0.0.2" };
	int rep = sctp_socket(SOCK_REP), req = sctp_socket(SOCK_REQ);
	char port[16];
	const char *ep[] = { port, "127.0.0.1", "127.0.0.2" };
	uint16_t p;

	ASSERT_EQ(0, set_addrs(rep, extra, 1));
	ASSERT_LE(0, sp_bind_any(rep, &p));
	ASSERT_EQ(0, sp_connect_port(req, p));
	EXPECT_EQ(0, sp_req_rep(req, rep));
	snprintf(port, sizeof(port), " %u ", p);
	/* The listening endpoint (LPORT ... LADDRS) and the association. */
	EXPECT_TRUE(file_has("/proc/net/sctp/eps", ep, 3));
	EXPECT_TRUE(file_has("/proc/net/sctp/assocs", ep, 3));
	/* The dialer's side sees both as remote addresses (remaddr lists each). */
	ep[0] = "127.0.0.2";
	EXPECT_TRUE(file_has("/proc/net/sctp/remaddr", ep, 1));
	close(req);
	close(rep);
}

/* A dialer bound to its SP_SCTP_ADDRS: the association's local addresses. */
TEST(multihomed_dialer)
{
	const char *local[] = { "127.0.0.3", "127.0.0.4" };
	int rep = sctp_socket(SOCK_REP), req = sctp_socket(SOCK_REQ);
	const char *w[] = { "127.0.0.3", "127.0.0.4" };
	uint16_t p;

	ASSERT_LE(0, sp_bind_any(rep, &p));
	ASSERT_EQ(0, set_addrs(req, local, 2));
	ASSERT_EQ(0, sp_connect_port(req, p));
	EXPECT_EQ(0, sp_req_rep(req, rep));
	/* The listener's association has them as the peer's addresses. */
	EXPECT_TRUE(file_has("/proc/net/sctp/remaddr", w, 1));
	EXPECT_TRUE(file_has("/proc/net/sctp/remaddr", w + 1, 1));
	close(req);
	close(rep);
}

/* Two hosts (network namespaces) joined by two veth paths. */
#define NS_A "sp_sctp_a"
#define NS_B "sp_sctp_b"
#define FO_PORT 5600
#define FO_N 150

static int sh(const char *cmd)
{
	int st = system(cmd);

	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Enters namespace @ns; 0 or -1. */
static int enter_ns(const char *ns)
{
	char path[64];
	int fd, r;

	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	r = setns(fd, CLONE_NEWNET);
	close(fd);
	return r;
}

/*
 * The hosts: A has 10.1.0.1 (a1) and 10.2.0.1 (a2), B 10.1.0.2 (b1) and
 * 10.2.0.2 (b2); SCTP in each tuned to give up on a path after a few
 * hundred ms. One ip(8) per namespace (exec is slow under TCG). Leaves
 * the caller in A.
 */
static int make_hosts(void)
{
	static const char *const tune[][2] = {
		{ "rto_initial", "200" }, { "rto_min", "100" }, { "rto_max", "400" },
		{ "path_max_retrans", "1" }, { "hb_interval", "200" },
	};
	const char *ns[] = { NS_B, NS_A };
	size_t i, k;

	if (sh("ip netns del " NS_A " 2>/dev/null; ip netns del " NS_B " 2>/dev/null; "
	       "ip netns add " NS_A " && ip netns add " NS_B " && "
	       "printf '%s\\n' 'link add a1 type veth peer name b1 netns " NS_B "' "
	       "'link add a2 type veth peer name b2 netns " NS_B "' "
	       "'addr add 10.1.0.1/24 dev a1' 'addr add 10.2.0.1/24 dev a2' "
	       "'link set lo up' 'link set a1 up' 'link set a2 up' | ip -n " NS_A " -batch - && "
	       "printf '%s\\n' 'addr add 10.1.0.2/24 dev b1' 'addr add 10.2.0.2/24 dev b2' "
	       "'link set lo up' 'link set b1 up' 'link set b2 up' | ip -n " NS_B " -batch -"))
		return -1;
	for (k = 0; k < 2; k++) {
		if (enter_ns(ns[k]))
			return -1;
		for (i = 0; i < sizeof(tune) / sizeof(tune[0]); i++)
			/* The namespace's own: /proc/sys/net follows the opener's. */
			if (sp_cg_write("/proc/sys/net/sctp", tune[i][0], tune[i][1]))
				return -1;
	}
	return 0;
}

/*
 * Host B: a REP answering FO_N numbered requests with their number, and a
 * SUB that must get FO_N numbered messages, each once and in order. Exits
 * 0 if every request came once and the SUB got everything.
 */
static void host_b(void)
{
	const char *extra[] = { "10.2.0.2" };
	struct sockaddr_in at = sp_in4("10.1.0.2", FO_PORT);
	int rep = sctp_socket(SOCK_REP), sub = sctp_socket(SOCK_SUB);
	static unsigned char seen[FO_N];
	int got = 0, next = 0, rc = 0;
	struct pollfd pf[2];
	char buf[32];

	if (rep < 0 || sub < 0 || set_addrs(rep, extra, 1) || set_addrs(sub, extra, 1) ||
	    bind(rep, (struct sockaddr *)&at, sizeof(at)))
		_exit(10);
	at.sin_port = htons(FO_PORT + 1);
	if (bind(sub, (struct sockaddr *)&at, sizeof(at)) ||
	    setsockopt(sub, SOL_SP, SP_SUBSCRIBE, "", 0))
		_exit(11);
	pf[0] = (struct pollfd){ .fd = rep, .events = POLLIN };
	pf[1] = (struct pollfd){ .fd = sub, .events = POLLIN };
	while (got < FO_N || next < FO_N) {
		if (poll(pf, 2, 20000) <= 0)
			_exit(12);
		if (pf[0].revents & POLLIN) {
			ssize_t n = recv(rep, buf, sizeof(buf) - 1, MSG_DONTWAIT);
			int k;

			if (n > 0) {
				buf[n] = 0;
				k = atoi(buf);
				if (k < 0 || k >= FO_N || seen[k]++)
					rc = 13; /* a request delivered twice */
				got += seen[k] == 1;
				if (send(rep, buf, n, 0) != n)
					_exit(14);
			}
		}
		if (pf[1].revents & POLLIN) {
			ssize_t n = recv(sub, buf, sizeof(buf) - 1, MSG_DONTWAIT);

			if (n > 0) {
				buf[n] = 0;
				if (atoi(buf) != next)
					_exit(15); /* lost, repeated or reordered */
				next++;
			}
		}
	}
	_exit(rc);
}

/* Waits up to @ms for @fd to have a pipe (its fdinfo); 0 or -1. */
static int await_pipe(int fd, int ms)
{
	int64_t end = sp_now_ms() + ms;
	char path[64], buf[2048];

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	do {
		int f = open(path, O_RDONLY);
		ssize_t n = f < 0 ? -1 : read(f, buf, sizeof(buf) - 1);

		if (f >= 0)
			close(f);
		if (n > 0) {
			buf[n] = 0;
			if (strstr(buf, "sp-pipes:\t1\n"))
				return 0;
		}
		usleep(10000);
	} while (sp_now_ms() < end);
	return -1;
}

/*
 * The state of the path to @addr in /proc/net/sctp/remaddr (the last
 * field: 0 inactive, 1 potentially failed, 2 active), or -1 if none.
 */
static int path_state(const char *addr)
{
	char line[512], *last;
	int st = -1;
	FILE *f = fopen("/proc/net/sctp/remaddr", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, addr, strlen(addr)) || line[strlen(addr)] != ' ')
			continue;
		line[strcspn(line, "\n")] = 0;
		last = strrchr(line, ' ');
		st = last ? atoi(last + 1) : -1;
	}
	fclose(f);
	return st;
}

struct publisher {
	int fd, sent;
};

/* Publishes FO_N numbered messages, one every 20 ms. */
static void *publish(void *arg)
{
	struct publisher *pb = arg;
	char buf[32];

	for (pb->sent = 0; pb->sent < FO_N; pb->sent++) {
		int n = snprintf(buf, sizeof(buf), "%d", pb->sent);

		if (send(pb->fd, buf, n, 0) != n)
			break;
		usleep(20000);
	}
	return NULL;
}

FIXTURE(hosts) {};

FIXTURE_SETUP(hosts)
{
}

FIXTURE_TEARDOWN(hosts)
{
	sh("ip netns del " NS_A " 2>/dev/null; ip netns del " NS_B " 2>/dev/null");
}

/*
 * Host A requests and publishes; a third of the way in, path 1 goes down
 * (a1), and everything after it must go over path 2. (Setting the hosts
 * up alone takes seconds under TCG.)
 */
TEST_F_TIMEOUT(hosts, failover_keeps_every_message, 120)
{
	const char *local[] = { "10.1.0.1", "10.2.0.1" };
	struct sockaddr_in at = sp_in4("10.1.0.2", FO_PORT);
	struct publisher pb = { -1, 0 };
	struct sp_stats st;
	pthread_t t;
	int req, i, ok = 0, bst;
	pid_t b;

	ASSERT_EQ(0, make_hosts());
	b = fork();
	ASSERT_LE(0, b);
	if (b == 0) {
		if (enter_ns(NS_B))
			_exit(9);
		host_b();
	}
	req = sctp_socket(SOCK_REQ);
	pb.fd = sctp_socket(SOCK_PUB);
	ASSERT_LE(0, req);
	ASSERT_LE(0, pb.fd);
	ASSERT_EQ(0, set_addrs(req, local, 2));
	ASSERT_EQ(0, set_addrs(pb.fd, local, 2));
	/* The REQ resends only after a minute: a retry would hide a loss. */
	ASSERT_EQ(0, sp_setsockopt_int(req, SP_RESEND_IVL, 60000));
	ASSERT_EQ(0, connect(req, (struct sockaddr *)&at, sizeof(at)));
	at.sin_port = htons(FO_PORT + 1);
	ASSERT_EQ(0, connect(pb.fd, (struct sockaddr *)&at, sizeof(at)));
	/* Both pipes up before anything is sent. */
	ASSERT_EQ(0, await_pipe(req, 10000));
	ASSERT_EQ(0, await_pipe(pb.fd, 10000));
	EXPECT_EQ(2, path_state("10.1.0.2"));
	sp_set_timeouts(req, 20000);
	ASSERT_EQ(0, pthread_create(&t, NULL, publish, &pb));
	for (i = 0; i < FO_N; i++) {
		char out[32], in[32];
		int n = snprintf(out, sizeof(out), "%d", i);

		if (send(req, out, n, 0) != n || recv(req, in, sizeof(in), 0) != n ||
		    memcmp(in, out, n))
			break;
		if (i == FO_N / 3)
			ASSERT_EQ(0, sh("ip link set a1 down"));
		ok++;
		usleep(5000);
	}
	EXPECT_EQ(FO_N, ok) TH_LOG("request %d not answered after path 1 went down", ok);
	pthread_join(t, NULL);
	EXPECT_EQ(FO_N, pb.sent);
	/* Every message the PUB took left it: none dropped for room. */
	ASSERT_EQ(0, sp_stats(pb.fd, &st));
	EXPECT_EQ(0, st.tx_dropped);
	/* SCTP saw path 1 fail: what went after it went over path 2. */
	EXPECT_GT(2, path_state("10.1.0.2"));
	EXPECT_EQ(2, path_state("10.2.0.2"));
	bst = sp_reap_killed(b, 10000);
	ASSERT_TRUE(bst != -1 && WIFEXITED(bst));
	/* 13: a request came twice; 15: a message lost, repeated or reordered. */
	EXPECT_EQ(0, WEXITSTATUS(bst));
	close(req);
	close(pb.fd);
}

TEST_HARNESS_MAIN
