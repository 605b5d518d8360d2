// SPDX-License-Identifier: GPL-2.0
/*
 * IPv6: dual-stack listeners on [::] and IPV6_V6ONLY as TCP follows it,
 * v4-mapped addresses, scope ids (a link-local address on a veth
 * interface in a namespace of the test's own), and the errno of every
 * bad address. NNG over tcp://[::1] is in sp_nng.
 */
#define _GNU_SOURCE
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

#include "sp_lib.h"
#include "kselftest_harness.h"

static struct sockaddr_in6 v6(const char *ip, uint16_t port, uint32_t scope)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(port),
				  .sin6_scope_id = scope };

	inet_pton(AF_INET6, ip, &a.sin6_addr);
	return a;
}

/* A @type socket, IPV6_V6ONLY @only unless -1, bound to [@ip]:0; its port. */
static int bind6(int type, const char *ip, uint32_t scope, int only, uint16_t *port)
{
	struct sockaddr_in6 a = v6(ip, 0, scope);
	socklen_t len = sizeof(a);
	int fd = socket(AF_SP, type, 0);

	if (fd < 0)
		return -1;
	if ((only >= 0 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &only, sizeof(only))) ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(fd, (struct sockaddr *)&a, &len)) {
		close(fd);
		return -1;
	}
	*port = ntohs(a.sin6_port);
	sp_set_timeouts(fd, 5000);
	return fd;
}

/* A REQ dialing @a answered by @rep: 0 on the reply. */
static int served(int rep, const void *a, socklen_t alen)
{
	int req = socket(AF_SP, SOCK_REQ, 0), ok;
	char buf[8];

	if (req < 0)
		return -1;
	sp_set_timeouts(req, 5000);
	ok = !connect(req, a, alen) && send(req, "q", 1, 0) == 1 &&
	     recv(rep, buf, sizeof(buf), 0) == 1 && send(rep, "a", 1, 0) == 1 &&
	     recv(req, buf, sizeof(buf), 0) == 1;
	close(req);
	return ok ? 0 : -1;
}

/* Whether a plain TCP connect to @a is accepted. */
static int tcp_reaches(const void *a, socklen_t alen)
{
	int fd = socket(((const struct sockaddr *)a)->sa_family, SOCK_STREAM, 0), r;

	r = connect(fd, a, alen);
	close(fd);
	return r == 0;
}

TEST(dual_stack_listener)
{
	struct sockaddr_in6 any;
	struct sockaddr_in sin;
	socklen_t len = sizeof(any);
	struct sockaddr_in6 lo;
	uint16_t port;
	int rep;

	rep = bind6(SOCK_REP, "::", 0, 0, &port);
	ASSERT_LE(0, rep);
	/* getsockname() answers in the family bound. */
	ASSERT_EQ(0, getsockname(rep, (struct sockaddr *)&any, &len));
	EXPECT_EQ(sizeof(any), len);
	EXPECT_EQ(AF_INET6, any.sin6_family);
	EXPECT_EQ(0, memcmp(&any.sin6_addr, &in6addr_any, sizeof(in6addr_any)));
	/* Both families reach it. */
	sin = sp_loopback(port);
	EXPECT_EQ(0, served(rep, &sin, sizeof(sin)));
	lo = v6("::1", port, 0);
	EXPECT_EQ(0, served(rep, &lo, sizeof(lo)));
	close(rep);
}

TEST(v6only_listener)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 lo;
	socklen_t len = sizeof(int);
	uint16_t port;
	int rep, v = -1;

	rep = bind6(SOCK_REP, "::", 0, 1, &port);
	ASSERT_LE(0, rep);
	ASSERT_EQ(0, getsockopt(rep, IPPROTO_IPV6, IPV6_V6ONLY, &v, &len));
	EXPECT_EQ(1, v);
	/* IPv4 is refused, as by a v6-only TCP listener; IPv6 is served. */
	sin = sp_loopback(port);
	EXPECT_EQ(0, tcp_reaches(&sin, sizeof(sin)));
	lo = v6("::1", port, 0);
	EXPECT_EQ(1, tcp_reaches(&lo, sizeof(lo)));
	EXPECT_EQ(0, served(rep, &lo, sizeof(lo)));
	close(rep);
}

TEST(v6only_option)
{
	int fd = socket(AF_SP, SOCK_PAIR, 0), v = -1, five = 5, dflt;
	socklen_t len = sizeof(v);
	struct sockaddr_in6 a = v6("::1", 0, 0);
	FILE *f;

	ASSERT_LE(0, fd);
	/* Unset: the namespace's net.ipv6.bindv6only. */
	f = fopen("/proc/sys/net/ipv6/bindv6only", "r");
	ASSERT_NE(NULL, f);
	ASSERT_EQ(1, fscanf(f, "%d", &dflt));
	fclose(f);
	ASSERT_EQ(0, getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v, &len));
	EXPECT_EQ(dflt, v);
	/* Any non-zero int is 1, as for TCP. */
	ASSERT_EQ(0, setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &five, sizeof(five)));
	ASSERT_EQ(0, getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v, &len));
	EXPECT_EQ(1, v);
	/* Misuse: short values, other IPv6 options, and after bind(). */
	EXPECT_EQ(-1, setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &five, 2));
	EXPECT_EQ(EINVAL, errno);
	len = 2;
	EXPECT_EQ(-1, getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v, &len));
	EXPECT_EQ(EINVAL, errno);
	len = sizeof(v);
	EXPECT_EQ(-1, setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &five, sizeof(five)));
	EXPECT_EQ(ENOPROTOOPT, errno);
	EXPECT_EQ(-1, getsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &v, &len));
	EXPECT_EQ(ENOPROTOOPT, errno);
	ASSERT_EQ(0, bind(fd, (struct sockaddr *)&a, sizeof(a)));
	EXPECT_EQ(-1, setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &five, sizeof(five)));
	EXPECT_EQ(EINVAL, errno);
	close(fd);
}

TEST(v4_mapped)
{
	struct sockaddr_in6 mapped;
	uint16_t port, p6;
	int rep, r6, one = 1;

	/* A REQ on a v4-mapped address reaches an IPv4 REP. */
	rep = sp_listen_any(SOCK_REP, &port);
	ASSERT_LE(0, rep);
	mapped = v6("::ffff:127.0.0.1", port, 0);
	EXPECT_EQ(0, served(rep, &mapped, sizeof(mapped)));
	close(rep);
	/* A REP bound to one listens on IPv4. */
	r6 = bind6(SOCK_REP, "::ffff:127.0.0.1", 0, -1, &p6);
	ASSERT_LE(0, r6);
	{
		struct sockaddr_in sin = sp_loopback(p6);

		EXPECT_EQ(0, served(r6, &sin, sizeof(sin)));
	}
	close(r6);
	/* Not on a v6-only socket: EINVAL, as inet6_bind() gives. */
	r6 = socket(AF_SP, SOCK_REP, 0);
	ASSERT_LE(0, r6);
	ASSERT_EQ(0, setsockopt(r6, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)));
	mapped = v6("::ffff:127.0.0.1", 0, 0);
	EXPECT_EQ(-1, bind(r6, (struct sockaddr *)&mapped, sizeof(mapped)));
	EXPECT_EQ(EINVAL, errno);
	close(r6);
}

/*
 * Scope ids, on a link-local address of a veth interface in a namespace
 * of the test's own: bound and dialed with the interface's index, shown
 * by getsockname(); without one, or with one naming no interface, the
 * errno TCP gives, or a dialer that keeps trying.
 */
TEST(scope_ids)
{
	struct sockaddr_in6 a, b;
	socklen_t len = sizeof(a);
	unsigned int ifx;
	uint16_t port;
	int rep, fd;

	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	ASSERT_EQ(0, system("ip link set lo up && ip link add sp0 type veth peer name sp1 && "
			    "ip addr add fe80::1/64 dev sp0 nodad && ip link set sp1 up && "
			    "ip link set sp0 up"));
	ifx = if_nametoindex("sp0");
	ASSERT_NE(0, ifx);
	rep = bind6(SOCK_REP, "fe80::1", ifx, -1, &port);
	ASSERT_LE(0, rep) TH_LOG("bind [fe80::1%%%u]: %s", ifx, strerror(errno));
	ASSERT_EQ(0, getsockname(rep, (struct sockaddr *)&a, &len));
	EXPECT_EQ(ifx, a.sin6_scope_id);
	b = v6("fe80::1", port, ifx);
	EXPECT_EQ(0, served(rep, &b, sizeof(b)));

	fd = socket(AF_SP, SOCK_REQ, 0);
	ASSERT_LE(0, fd);
	/* Link-local without a scope id: EINVAL, at bind() and connect(). */
	b = v6("fe80::1", port, 0);
	EXPECT_EQ(-1, connect(fd, (struct sockaddr *)&b, sizeof(b)));
	EXPECT_EQ(EINVAL, errno);
	b = v6("fe80::1", 0, 0);
	EXPECT_EQ(-1, bind(fd, (struct sockaddr *)&b, sizeof(b)));
	EXPECT_EQ(EINVAL, errno);
	/* A scope id that names no interface: ENODEV. */
	b = v6("fe80::1", 0, 99999);
	EXPECT_EQ(-1, bind(fd, (struct sockaddr *)&b, sizeof(b)));
	EXPECT_EQ(ENODEV, errno);
	/*
	 * connect() to one: TCP finds no route (ENETUNREACH), which a dialer
	 * retries in the background, as for any unreachable network.
	 */
	b = v6("fe80::1", port, 99999);
	{
		int t = socket(AF_INET6, SOCK_STREAM, 0);

		EXPECT_EQ(-1, connect(t, (struct sockaddr *)&b, sizeof(b)));
		EXPECT_EQ(ENETUNREACH, errno);
		close(t);
	}
	EXPECT_EQ(0, connect(fd, (struct sockaddr *)&b, sizeof(b)));
	close(fd);
	close(rep);
}

TEST_HARNESS_MAIN
