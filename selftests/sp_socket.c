// SPDX-License-Identifier: GPL-2.0
/*
 * PF_SP socket lifecycle: creation for every type and protocol, close,
 * module pinning, options at every level, and the errnos of operations a
 * type does not support or its state does not allow.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <netinet/in.h>
#include <netinet/sp.h>

#include "sp_lib.h"
#include "kselftest_harness.h"

#define NR_TYPES 10

/* sp implements every type from SOCK_PAIR (1) to SOCK_BUS (10). */
static int type_supported(int type)
{
	return type >= 1 && type <= NR_TYPES;
}

FIXTURE(create)
{
};

FIXTURE_VARIANT(create)
{
	int type;
};

FIXTURE_VARIANT_ADD(create, pair) { .type = SOCK_PAIR };
FIXTURE_VARIANT_ADD(create, pub) { .type = SOCK_PUB };
FIXTURE_VARIANT_ADD(create, sub) { .type = SOCK_SUB };
FIXTURE_VARIANT_ADD(create, req) { .type = SOCK_REQ };
FIXTURE_VARIANT_ADD(create, rep) { .type = SOCK_REP };
FIXTURE_VARIANT_ADD(create, push) { .type = SOCK_PUSH };
FIXTURE_VARIANT_ADD(create, pull) { .type = SOCK_PULL };
FIXTURE_VARIANT_ADD(create, surveyor) { .type = SOCK_SURVEYOR };
FIXTURE_VARIANT_ADD(create, respondent) { .type = SOCK_RESPONDENT };
FIXTURE_VARIANT_ADD(create, bus) { .type = SOCK_BUS };

FIXTURE_SETUP(create)
{
}

FIXTURE_TEARDOWN(create)
{
}

/* Every protocol value against this type: 0, TCP and SCTP work, nothing else. */
TEST_F(create, protocols)
{
	static const int protos[] = {
		0, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP, IPPROTO_MPTCP,
		1, 255, 256, -1, 0x7fffffff,
	};
	unsigned int i;

	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		int proto = protos[i];
		int ok = proto == 0 || proto == IPPROTO_TCP || proto == IPPROTO_SCTP;
		int fd = socket(PF_SP, variant->type, proto);

		if (!type_supported(variant->type)) {
			EXPECT_EQ(-1, fd);
			EXPECT_EQ(ESOCKTNOSUPPORT, errno) {
				TH_LOG("type %d proto %d", variant->type, proto);
			}
		} else if (ok) {
			ASSERT_LE(0, fd) {
				TH_LOG("type %d proto %d: %s", variant->type,
				       proto, strerror(errno));
			}
			EXPECT_EQ(0, close(fd));
		} else {
			EXPECT_EQ(-1, fd);
			EXPECT_EQ(EPROTONOSUPPORT, errno) {
				TH_LOG("type %d proto %d", variant->type, proto);
			}
		}
		if (fd >= 0 && !ok)
			close(fd);
	}
}

TEST(bad_types)
{
	/* The socket layer refuses types >= SOCK_MAX before sp sees them. */
	EXPECT_EQ(-1, socket(PF_SP, 11, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, socket(PF_SP, 0, 0));
	EXPECT_EQ(ESOCKTNOSUPPORT, errno);
	EXPECT_EQ(-1, socket(PF_SP, -1, 0));
	EXPECT_EQ(EINVAL, errno);
	/* With the flags socket() strips, the type is still checked. */
	EXPECT_EQ(-1, socket(PF_SP, 0 | SOCK_NONBLOCK, 0));
	EXPECT_EQ(ESOCKTNOSUPPORT, errno);
}

TEST(many_sockets)
{
	int fds[256], i;

	for (i = 0; i < 256; i++) {
		fds[i] = socket(PF_SP, 1 + i % NR_TYPES, 0);
		ASSERT_LE(0, fds[i]);
	}
	for (i = 0; i < 256; i++)
		ASSERT_EQ(0, close(fds[i]));
}

/* A socket in a fresh namespace works there, over that namespace's lo. */
TEST(in_new_netns)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd, req, ctl;
	uint16_t port;
	char buf[8];

	if (geteuid())
		SKIP(return, "needs root for unshare(CLONE_NEWNET)");
	/* The test kernel has NET_NS (selftests/config): no skip. */
	ASSERT_EQ(0, unshare(CLONE_NEWNET)) TH_LOG("unshare: %s", strerror(errno));
	ctl = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_LE(0, ctl);
	ASSERT_EQ(0, ioctl(ctl, SIOCGIFFLAGS, &ifr));
	ifr.ifr_flags |= IFF_UP;
	ASSERT_EQ(0, ioctl(ctl, SIOCSIFFLAGS, &ifr));
	close(ctl);
	fd = sp_listen_any(SOCK_REP, &port);
	ASSERT_LE(0, fd);
	req = sp_dial(SOCK_REQ, port);
	ASSERT_LE(0, req);
	ASSERT_EQ(0, sp_set_timeo(fd, SO_RCVTIMEO, 5000));
	ASSERT_EQ(0, sp_set_timeo(req, SO_RCVTIMEO, 5000));
	ASSERT_EQ(2, send(req, "ns", 2, 0));
	ASSERT_EQ(2, recv(fd, buf, sizeof(buf), 0));
	ASSERT_EQ(2, send(fd, "ok", 2, 0));
	ASSERT_EQ(2, recv(req, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "ok", 2));
	EXPECT_EQ(0, close(req));
	EXPECT_EQ(0, close(fd));
}

FIXTURE(sock)
{
	int fd;
};

FIXTURE_VARIANT(sock)
{
	int type;
};

FIXTURE_VARIANT_ADD(sock, pair) { .type = SOCK_PAIR };
FIXTURE_VARIANT_ADD(sock, pub) { .type = SOCK_PUB };
FIXTURE_VARIANT_ADD(sock, sub) { .type = SOCK_SUB };
FIXTURE_VARIANT_ADD(sock, req) { .type = SOCK_REQ };
FIXTURE_VARIANT_ADD(sock, rep) { .type = SOCK_REP };
FIXTURE_VARIANT_ADD(sock, push) { .type = SOCK_PUSH };
FIXTURE_VARIANT_ADD(sock, pull) { .type = SOCK_PULL };
FIXTURE_VARIANT_ADD(sock, surveyor) { .type = SOCK_SURVEYOR };
FIXTURE_VARIANT_ADD(sock, respondent) { .type = SOCK_RESPONDENT };
FIXTURE_VARIANT_ADD(sock, bus) { .type = SOCK_BUS };

FIXTURE_SETUP(sock)
{
	self->fd = socket(PF_SP, variant->type, IPPROTO_TCP);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(sock)
{
	EXPECT_EQ(0, close(self->fd));
}

/* SOL_SOCKET works as in any family: the sock is a real struct sock. */
TEST_F(sock, sol_socket_identity)
{
	socklen_t len = sizeof(int);
	int fd, v;

	fd = socket(PF_SP, variant->type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len));
	EXPECT_EQ(variant->type, v);
	ASSERT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &len));
	EXPECT_EQ(PF_SP, v);
	ASSERT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &v, &len));
	EXPECT_EQ(IPPROTO_TCP, v);
	EXPECT_EQ(O_NONBLOCK, fcntl(fd, F_GETFL) & O_NONBLOCK);
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD));
	EXPECT_EQ(0, close(fd));
}

TEST_F(sock, rcvtimeo)
{
	struct timeval tv = { .tv_sec = 3, .tv_usec = 500000 }, got;
	socklen_t len = sizeof(got);

	ASSERT_EQ(0, setsockopt(self->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	ASSERT_EQ(0, getsockopt(self->fd, SOL_SOCKET, SO_RCVTIMEO, &got, &len));
	EXPECT_EQ(sizeof(got), len);
	EXPECT_EQ(3, got.tv_sec);
	EXPECT_EQ(500000, got.tv_usec);	/* a whole number of jiffies */

	tv.tv_usec = 2000000;	/* out of range */
	EXPECT_EQ(-1, setsockopt(self->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	EXPECT_EQ(EDOM, errno);
	EXPECT_EQ(-1, setsockopt(self->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, 3));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(sock, sndbuf_is_core)
{
	int v;

	ASSERT_EQ(0, sp_set_int(self->fd, SOL_SOCKET, SO_SNDBUF, 65536));
	ASSERT_EQ(0, sp_get_int(self->fd, SOL_SOCKET, SO_SNDBUF, &v));
	EXPECT_EQ(2 * 65536, v);	/* the kernel doubles it */
}

TEST_F(sock, unknown_options)
{
	static const int names[] = { 0, SP_DEVICE + 1, 99, -1, 0x7fffffff };
	unsigned int i;
	int v = 1;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		EXPECT_EQ(-1, sp_set_int(self->fd, SOL_SP, names[i], 1));
		EXPECT_EQ(ENOPROTOOPT, errno);
		EXPECT_EQ(-1, sp_get_int(self->fd, SOL_SP, names[i], &v));
		EXPECT_EQ(ENOPROTOOPT, errno);
	}
	/* Levels other than SOL_SOCKET and SOL_SP. */
	EXPECT_EQ(-1, sp_set_int(self->fd, IPPROTO_TCP, 1 /* TCP_NODELAY */, 1));
	EXPECT_EQ(ENOPROTOOPT, errno);
	EXPECT_EQ(-1, sp_get_int(self->fd, IPPROTO_IP, 1, &v));
	EXPECT_EQ(ENOPROTOOPT, errno);
	EXPECT_EQ(-1, sp_set_int(self->fd, SOL_SP + 1, SP_MAXTTL, 1));
	EXPECT_EQ(ENOPROTOOPT, errno);
}

TEST_F(sock, sp_options)
{
	int v;

	ASSERT_EQ(0, sp_get_int(self->fd, SOL_SP, SP_RCVMAXSIZE, &v));
	EXPECT_EQ(1 << 20, v);
	ASSERT_EQ(0, sp_set_int(self->fd, SOL_SP, SP_RCVMAXSIZE, 16 << 20));
	ASSERT_EQ(0, sp_get_int(self->fd, SOL_SP, SP_RCVMAXSIZE, &v));
	EXPECT_EQ(16 << 20, v);

	ASSERT_EQ(0, sp_get_int(self->fd, SOL_SP, SP_RECONNECT_IVL, &v));
	EXPECT_EQ(100, v);
	ASSERT_EQ(0, sp_set_int(self->fd, SOL_SP, SP_RECONNECT_IVL, 20));
	ASSERT_EQ(0, sp_get_int(self->fd, SOL_SP, SP_RECONNECT_IVL, &v));
	EXPECT_EQ(20, v);

	ASSERT_EQ(0, sp_get_int(self->fd, SOL_SP, SP_HANDSHAKE_TIMEOUT, &v));
	EXPECT_EQ(10000, v);
	ASSERT_EQ(0, sp_get_int(self->fd, SOL_SP, SP_SNDBUF, &v));
	EXPECT_EQ(128, v);
	ASSERT_EQ(0, sp_get_int(self->fd, SOL_SP, SP_TCP_NODELAY, &v));
	EXPECT_EQ(1, v);
	ASSERT_EQ(0, sp_set_int(self->fd, SOL_SP, SP_TCP_NODELAY, 0));
	ASSERT_EQ(0, sp_get_int(self->fd, SOL_SP, SP_TCP_NODELAY, &v));
	EXPECT_EQ(0, v);
}

TEST_F(sock, sp_options_invalid)
{
	void *bad = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char small = 1;
	socklen_t len = 2;
	int v;

	ASSERT_NE(MAP_FAILED, bad);

	EXPECT_EQ(-1, sp_set_int(self->fd, SOL_SP, SP_RCVMAXSIZE, -1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, sp_set_int(self->fd, SOL_SP, SP_RCVMAXSIZE, (1 << 30) + 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, sp_set_int(self->fd, SOL_SP, SP_RECONNECT_IVL, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, sp_set_int(self->fd, SOL_SP, SP_SNDBUF, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, sp_set_int(self->fd, SOL_SP, SP_RCVBUF, 8193));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, sp_set_int(self->fd, SOL_SP, SP_TCP_NODELAY, 2));
	EXPECT_EQ(EINVAL, errno);
	/* Short values. */
	EXPECT_EQ(-1, setsockopt(self->fd, SOL_SP, SP_RCVBUF, &small, 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, setsockopt(self->fd, SOL_SP, SP_RCVBUF, NULL, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, getsockopt(self->fd, SOL_SP, SP_RCVBUF, &v, &len));
	EXPECT_EQ(EINVAL, errno);
	/* Bad pointers. */
	EXPECT_EQ(-1, setsockopt(self->fd, SOL_SP, SP_RCVBUF, bad, 4));
	EXPECT_EQ(EFAULT, errno);
	len = sizeof(v);
	EXPECT_EQ(-1, getsockopt(self->fd, SOL_SP, SP_RCVBUF, bad, &len));
	EXPECT_EQ(EFAULT, errno);
	munmap(bad, 4096);
	/* Oversized values are refused before any copy. */
	EXPECT_EQ(-1, setsockopt(self->fd, SOL_SP, SP_RCVBUF, &v, 1 << 20));
	EXPECT_EQ(EINVAL, errno);
	/* Nothing changed. */
	ASSERT_EQ(0, sp_get_int(self->fd, SOL_SP, SP_RCVBUF, &v));
	EXPECT_EQ(128, v);
}

/*
 * Each type with no peer and nothing received or sent before: the errno
 * of a send() with MSG_DONTWAIT (0: it succeeds), of a recv() with
 * MSG_DONTWAIT after that send, and whether poll() gives POLLOUT.
 */
static const struct idle {
	int send_err, recv_err, pollout;
} idle[NR_TYPES + 1] = {
	/* PAIR waits for its peer. */
	[SOCK_PAIR] = { EAGAIN, EAGAIN, 0 },
	/* PUB never blocks, and cannot receive; SUB cannot send. */
	[SOCK_PUB] = { 0, EOPNOTSUPP, 1 },
	[SOCK_SUB] = { EOPNOTSUPP, EAGAIN, 0 },
	/* A request waits for a pipe; REP has nothing to answer. */
	[SOCK_REQ] = { 0, EAGAIN, 1 },
	[SOCK_REP] = { EINVAL, EAGAIN, 0 },
	/* PUSH waits for a peer, and cannot receive; PULL cannot send. */
	[SOCK_PUSH] = { EAGAIN, EOPNOTSUPP, 0 },
	[SOCK_PULL] = { EOPNOTSUPP, EAGAIN, 0 },
	/* A survey goes to nobody at once; RESPONDENT has nothing to answer. */
	[SOCK_SURVEYOR] = { 0, EAGAIN, 1 },
	[SOCK_RESPONDENT] = { EINVAL, EAGAIN, 0 },
	/* BUS never blocks: without a peer the message is dropped. */
	[SOCK_BUS] = { 0, EAGAIN, 1 },
};

/* SP_MAXTTL's upper bound for @type; 0 where the option does not apply. */
static int maxttl_max(int type)
{
	switch (type) {
	case SOCK_REQ:
	case SOCK_REP:
		return 255;
	case SOCK_SURVEYOR:
	case SOCK_RESPONDENT:
		return 15;
	}
	return 0;
}

TEST_F(sock, pattern_options)
{
	int t = variant->type, is_req = t == SOCK_REQ, ttl_max = maxttl_max(t);
	int v;

	EXPECT_EQ(is_req ? 0 : -1, sp_get_int(self->fd, SOL_SP, SP_RESEND_IVL, &v));
	if (is_req) {
		EXPECT_EQ(60000, v);
	} else {
		EXPECT_EQ(ENOPROTOOPT, errno);
	}
	EXPECT_EQ(ttl_max ? 0 : -1, sp_get_int(self->fd, SOL_SP, SP_MAXTTL, &v));
	if (ttl_max) {
		EXPECT_EQ(8, v);
	} else {
		EXPECT_EQ(ENOPROTOOPT, errno);
	}
	EXPECT_EQ(ttl_max ? 0 : -1, sp_set_int(self->fd, SOL_SP, SP_MAXTTL, 4));
	if (!ttl_max) {
		EXPECT_EQ(ENOPROTOOPT, errno);
	} else {
		EXPECT_EQ(0, sp_set_int(self->fd, SOL_SP, SP_MAXTTL, ttl_max));
		EXPECT_EQ(-1, sp_set_int(self->fd, SOL_SP, SP_MAXTTL, ttl_max + 1));
		EXPECT_EQ(EINVAL, errno) TH_LOG("SP_MAXTTL %d on type %d", ttl_max + 1, t);
		EXPECT_EQ(-1, sp_set_int(self->fd, SOL_SP, SP_MAXTTL, 0));
		EXPECT_EQ(EINVAL, errno);
		ASSERT_EQ(0, sp_get_int(self->fd, SOL_SP, SP_MAXTTL, &v));
		EXPECT_EQ(ttl_max, v);
	}
	/* The survey deadline belongs to SURVEYOR. */
	if (t == SOCK_SURVEYOR) {
		ASSERT_EQ(0, sp_get_int(self->fd, SOL_SP, SP_SURVEYOR_DEADLINE, &v));
		EXPECT_EQ(1000, v);
		EXPECT_EQ(0, sp_set_int(self->fd, SOL_SP, SP_SURVEYOR_DEADLINE, 1));
		EXPECT_EQ(0, sp_set_int(self->fd, SOL_SP, SP_SURVEYOR_DEADLINE, 3600000));
		EXPECT_EQ(-1, sp_set_int(self->fd, SOL_SP, SP_SURVEYOR_DEADLINE, 0));
		EXPECT_EQ(EINVAL, errno);
		EXPECT_EQ(-1, sp_set_int(self->fd, SOL_SP, SP_SURVEYOR_DEADLINE, 3600001));
		EXPECT_EQ(EINVAL, errno);
	} else {
		EXPECT_EQ(-1, sp_set_int(self->fd, SOL_SP, SP_SURVEYOR_DEADLINE, 1000));
		EXPECT_EQ(ENOPROTOOPT, errno);
		EXPECT_EQ(-1, sp_get_int(self->fd, SOL_SP, SP_SURVEYOR_DEADLINE, &v));
		EXPECT_EQ(ENOPROTOOPT, errno);
	}
	/* Subscriptions belong to SUB, and are write-only. */
	if (t == SOCK_SUB) {
		EXPECT_EQ(0, setsockopt(self->fd, SOL_SP, SP_SUBSCRIBE, "a", 1));
		EXPECT_EQ(0, setsockopt(self->fd, SOL_SP, SP_UNSUBSCRIBE, "a", 1));
	} else {
		EXPECT_EQ(-1, setsockopt(self->fd, SOL_SP, SP_SUBSCRIBE, "a", 1));
		EXPECT_EQ(ENOPROTOOPT, errno);
		EXPECT_EQ(-1, setsockopt(self->fd, SOL_SP, SP_UNSUBSCRIBE, "a", 1));
		EXPECT_EQ(ENOPROTOOPT, errno);
	}
	EXPECT_EQ(-1, sp_get_int(self->fd, SOL_SP, SP_SUBSCRIBE, &v));
	EXPECT_EQ(ENOPROTOOPT, errno);
}

/* Operations that sp does not offer, or not for this type, or not yet. */
TEST_F(sock, not_supported)
{
	int t = variant->type;
	char buf[8];

	EXPECT_EQ(-1, listen(self->fd, 1));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(-1, accept(self->fd, NULL, NULL));
	EXPECT_EQ(EOPNOTSUPP, errno);
	/* The survey the send starts is still on at the recv below. */
	if (t == SOCK_SURVEYOR)
		ASSERT_EQ(0, sp_set_int(self->fd, SOL_SP, SP_SURVEYOR_DEADLINE, 60000));
	if (!idle[t].send_err) {
		EXPECT_EQ(1, send(self->fd, "x", 1, MSG_DONTWAIT));
	} else {
		EXPECT_EQ(-1, send(self->fd, "x", 1, MSG_DONTWAIT));
		EXPECT_EQ(idle[t].send_err, errno) TH_LOG("send on type %d", t);
	}
	EXPECT_EQ(-1, recv(self->fd, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(idle[t].recv_err, errno) TH_LOG("recv on type %d", t);
}

TEST_F(sock, stats)
{
	struct sp_stats st;
	socklen_t len = sizeof(st);

	memset(&st, 0xff, sizeof(st));
	ASSERT_EQ(0, getsockopt(self->fd, SOL_SP, SP_STATS, &st, &len));
	EXPECT_EQ(sizeof(st), len);
	EXPECT_EQ(0, st.tx_msgs);
	EXPECT_EQ(0, st.rx_dropped);
	EXPECT_EQ(0, st.reserved[0]);
	EXPECT_EQ(0, st.reserved[1]);
	/* Read-only. */
	EXPECT_EQ(-1, setsockopt(self->fd, SOL_SP, SP_STATS, &st, sizeof(st)));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(sock, state_errors)
{
	int t = variant->type;
	char buf[8];

	if (t == SOCK_REQ || t == SOCK_SURVEYOR) {
		/* recv() with no request or survey outstanding. */
		EXPECT_EQ(-1, recv(self->fd, buf, sizeof(buf), 0));
		EXPECT_EQ(EINVAL, errno);
		EXPECT_EQ(-1, recv(self->fd, buf, sizeof(buf), MSG_DONTWAIT));
		EXPECT_EQ(EINVAL, errno);
	} else if (t == SOCK_REP || t == SOCK_RESPONDENT) {
		/* send() with no request or survey received. */
		EXPECT_EQ(-1, send(self->fd, "x", 1, 0));
		EXPECT_EQ(EINVAL, errno);
	} else {
		/* No state errors here: the same calls fail for other reasons. */
		EXPECT_EQ(-1, recv(self->fd, buf, sizeof(buf), MSG_DONTWAIT));
		EXPECT_EQ(idle[t].recv_err, errno);
		if (!idle[t].send_err) {
			/* PUB and BUS: never blocking, even without MSG_DONTWAIT. */
			EXPECT_EQ(1, send(self->fd, "x", 1, 0));
		} else {
			EXPECT_EQ(-1, send(self->fd, "x", 1, MSG_DONTWAIT));
			EXPECT_EQ(idle[t].send_err, errno);
		}
	}
}

TEST_F(sock, getsockname_unbound)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	ASSERT_EQ(0, getsockname(self->fd, (struct sockaddr *)&sin, &len));
	EXPECT_EQ(AF_INET, sin.sin_family);
	EXPECT_EQ(0, sin.sin_port);
	EXPECT_EQ(-1, getpeername(self->fd, (struct sockaddr *)&sin, &len));
	EXPECT_EQ(ENOTCONN, errno);
}

TEST_F(sock, poll_idle)
{
	struct pollfd p = { .fd = self->fd, .events = POLLIN | POLLOUT };

	/* No peer: nothing to read; REQ, PUB, SURVEYOR and BUS can send. */
	int w = idle[variant->type].pollout;

	EXPECT_EQ(w, poll(&p, 1, 0));
	EXPECT_EQ(w ? POLLOUT : 0, p.revents);
}

TEST(socketpair_refused)
{
	int sv[2];

	EXPECT_EQ(-1, socketpair(PF_SP, SOCK_PAIR, 0, sv));
	EXPECT_EQ(EOPNOTSUPP, errno);
}

/*
 * An open socket pins the module; once it is closed the module unloads.
 * The test reloads the module from $SP_MODULE (set by the VM runner).
 */
TEST(module_pinned_by_socket)
{
	const char *path = getenv("SP_MODULE");
	int fd, mfd;

	if (!path || geteuid())
		SKIP(return, "needs root and SP_MODULE");
	fd = socket(PF_SP, SOCK_REQ, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, syscall(__NR_delete_module, "sp", O_NONBLOCK));
	EXPECT_EQ(EWOULDBLOCK, errno);
	ASSERT_EQ(0, close(fd));

	ASSERT_EQ(0, syscall(__NR_delete_module, "sp", O_NONBLOCK)) {
		TH_LOG("delete_module after close: %s", strerror(errno));
	}
	EXPECT_EQ(-1, socket(PF_SP, SOCK_REQ, 0));
	EXPECT_EQ(EAFNOSUPPORT, errno);

	mfd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, mfd);
	ASSERT_EQ(0, syscall(__NR_finit_module, mfd, "", 0)) {
		TH_LOG("reload %s: %s", path, strerror(errno));
	}
	close(mfd);
	fd = socket(PF_SP, SOCK_REQ, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, close(fd));
}

TEST_HARNESS_MAIN
