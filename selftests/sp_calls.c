// SPDX-License-Identifier: GPL-2.0
/*
 * The socket calls beyond send and recv: shutdown() as on a datagram
 * socket, getpeername() (a PAIR's peer; ENOTCONN elsewhere), MSG_PEEK,
 * and the SIOCINQ/SIOCOUTQ ioctls, with the errno of every misuse.
 */
#define _GNU_SOURCE
#include <linux/sockios.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>

#include "sp_lib.h"
#include "kselftest_harness.h"

static volatile int sigpipes;

static void on_sigpipe(int sig)
{
	sigpipes++;
}

struct blocked {
	int fd;
	ssize_t r;
	int err;
	int send;
};

static void *blocked_call(void *arg)
{
	struct blocked *b = arg;
	char buf[16];

	b->r = b->send ? send(b->fd, "x", 1, MSG_NOSIGNAL) : recv(b->fd, buf, sizeof(buf), 0);
	b->err = errno;
	return NULL;
}

/* Runs a blocking recv (or send) of @fd in a thread, and lets it sleep. */
static int start_blocked(struct blocked *b, pthread_t *th)
{
	if (pthread_create(th, NULL, blocked_call, b))
		return -1;
	usleep(300 * 1000);
	return 0;
}

TEST(shutdown_rd_recv_returns_zero)
{
	struct blocked b = { .r = -2 };
	int rep, req;
	uint16_t port;
	char buf[8];
	pthread_t th;

	ASSERT_EQ(0, sp_listen_dial(SOCK_REP, SOCK_REQ, &rep, &req, &port));
	/* A recv() asleep is woken, with 0. */
	b.fd = rep;
	ASSERT_EQ(0, start_blocked(&b, &th));
	EXPECT_EQ(-2, b.r);
	ASSERT_EQ(0, shutdown(rep, SHUT_RD));
	pthread_join(th, NULL);
	EXPECT_EQ(0, b.r);
	/*
	 * What is queued still comes first, then 0 at once. (poll() says
	 * readable whatever is queued now: SIOCINQ says when it arrived.)
	 */
	ASSERT_EQ(2, send(req, "hi", 2, 0));
	ASSERT_EQ(POLLIN, sp_poll1(rep, POLLIN, 0) & POLLIN);
	{
		int64_t end = sp_now_ms() + 5000;
		int n = 0;

		while (!ioctl(rep, SIOCINQ, &n) && n == 0 && sp_now_ms() < end)
			usleep(10 * 1000);
		ASSERT_EQ(2, n);
	}
	EXPECT_EQ(2, recv(rep, buf, sizeof(buf), 0));
	EXPECT_EQ(0, recv(rep, buf, sizeof(buf), 0));
	EXPECT_EQ(0, recv(rep, buf, sizeof(buf), MSG_DONTWAIT));
	/* Sending still works: the reply reaches the REQ. */
	EXPECT_EQ(2, send(rep, "ok", 2, 0));
	EXPECT_EQ(2, recv(req, buf, sizeof(buf), 0));
	close(req);
	close(rep);
}

TEST(shutdown_wr_send_fails_epipe)
{
	struct sigaction sa = { .sa_handler = on_sigpipe };
	struct blocked b = { .r = -2, .send = 1 };
	int pair, peer;
	uint16_t port;
	pthread_t th;
	char buf[8];

	ASSERT_EQ(0, sigaction(SIGPIPE, &sa, NULL));
	/* A PAIR with no peer blocks in send(); SHUT_WR wakes it, EPIPE. */
	pair = socket(AF_SP, SOCK_PAIR, 0);
	ASSERT_LE(0, pair);
	b.fd = pair;
	ASSERT_EQ(0, start_blocked(&b, &th));
	EXPECT_EQ(-2, b.r);
	ASSERT_EQ(0, shutdown(pair, SHUT_WR));
	pthread_join(th, NULL);
	EXPECT_EQ(-1, b.r);
	EXPECT_EQ(EPIPE, b.err);
	EXPECT_EQ(0, sigpipes);
	/* Without MSG_NOSIGNAL, SIGPIPE too, as on a stream socket. */
	EXPECT_EQ(-1, send(pair, "x", 1, 0));
	EXPECT_EQ(EPIPE, errno);
	EXPECT_EQ(1, sigpipes);
	EXPECT_EQ(-1, send(pair, "x", 1, MSG_DONTWAIT | MSG_NOSIGNAL));
	EXPECT_EQ(EPIPE, errno);
	EXPECT_EQ(1, sigpipes);
	/* Receiving still works. */
	ASSERT_EQ(0, sp_bind_any(pair, &port) < 0);
	peer = sp_dial(SOCK_PAIR, port);
	ASSERT_LE(0, peer);
	ASSERT_EQ(1, send(peer, "y", 1, 0));
	EXPECT_EQ(1, recv(pair, buf, sizeof(buf), 0));
	close(peer);
	close(pair);
	signal(SIGPIPE, SIG_DFL);
}

TEST(shutdown_poll_and_misuse)
{
	int fd = socket(AF_SP, SOCK_PULL, 0), bus = socket(AF_SP, SOCK_BUS, 0);
	struct pollfd p = { .events = POLLIN | POLLOUT | POLLRDHUP };

	ASSERT_LE(0, fd);
	ASSERT_LE(0, bus);
	/* A PULL never sends: nothing ready. */
	EXPECT_EQ(0, sp_poll1(fd, POLLIN | POLLOUT | POLLRDHUP, 0));
	ASSERT_EQ(0, shutdown(fd, SHUT_RD));
	p.fd = fd;
	ASSERT_EQ(1, poll(&p, 1, 0));
	EXPECT_EQ(POLLIN | POLLRDHUP, p.revents);
	/* Again, and the other way: both, so HUP too. */
	EXPECT_EQ(0, shutdown(fd, SHUT_RD));
	ASSERT_EQ(0, shutdown(fd, SHUT_WR));
	ASSERT_EQ(1, poll(&p, 1, 0));
	EXPECT_EQ(POLLIN | POLLOUT | POLLRDHUP | POLLHUP, p.revents);
	/* SHUT_RDWR at once. */
	ASSERT_EQ(0, shutdown(bus, SHUT_RDWR));
	p.fd = bus;
	ASSERT_EQ(1, poll(&p, 1, 0));
	EXPECT_EQ(POLLIN | POLLOUT | POLLRDHUP | POLLHUP, p.revents);
	/* A bad direction. */
	EXPECT_EQ(-1, shutdown(fd, 3));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, shutdown(fd, -1));
	EXPECT_EQ(EINVAL, errno);
	close(fd);
	close(bus);
}

TEST(getpeername_pair)
{
	struct sockaddr_in sin, me;
	socklen_t len = sizeof(sin);
	int a, b;
	uint16_t port;
	char buf[4];

	a = sp_listen_any(SOCK_PAIR, &port);
	ASSERT_LE(0, a);
	/* No peer yet. */
	EXPECT_EQ(-1, getpeername(a, (struct sockaddr *)&sin, &len));
	EXPECT_EQ(ENOTCONN, errno);
	b = sp_dial(SOCK_PAIR, port);
	ASSERT_LE(0, b);
	ASSERT_EQ(1, send(b, "x", 1, 0));
	ASSERT_EQ(1, recv(a, buf, sizeof(buf), 0));
	/* The dialer's peer: the listener's address. */
	len = sizeof(sin);
	ASSERT_EQ(0, getpeername(b, (struct sockaddr *)&sin, &len));
	EXPECT_EQ(sizeof(sin), len);
	EXPECT_EQ(AF_INET, sin.sin_family);
	EXPECT_EQ(htonl(INADDR_LOOPBACK), sin.sin_addr.s_addr);
	EXPECT_EQ(port, ntohs(sin.sin_port));
	/* The listener's peer: the dialer's end of the TCP connection. */
	len = sizeof(sin);
	ASSERT_EQ(0, getpeername(a, (struct sockaddr *)&sin, &len));
	EXPECT_EQ(AF_INET, sin.sin_family);
	EXPECT_EQ(htonl(INADDR_LOOPBACK), sin.sin_addr.s_addr);
	EXPECT_NE(0, sin.sin_port);
	EXPECT_NE(port, ntohs(sin.sin_port));
	/* getsockname() is still the bound address. */
	len = sizeof(me);
	ASSERT_EQ(0, getsockname(a, (struct sockaddr *)&me, &len));
	EXPECT_EQ(port, ntohs(me.sin_port));
	/* The peer goes: ENOTCONN again. */
	close(b);
	{
		int64_t end = sp_now_ms() + 5000;
		int r;

		do {
			len = sizeof(sin);
			r = getpeername(a, (struct sockaddr *)&sin, &len);
			if (r)
				break;
			usleep(20 * 1000);
		} while (sp_now_ms() < end);
		EXPECT_EQ(-1, r);
		EXPECT_EQ(ENOTCONN, errno);
	}
	close(a);
}

/* Every type but PAIR has many peers, or none to name: ENOTCONN. */
TEST(getpeername_others)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int rep, req;
	uint16_t port;
	char buf[4];

	ASSERT_EQ(0, sp_listen_dial(SOCK_REP, SOCK_REQ, &rep, &req, &port));
	ASSERT_EQ(1, send(req, "x", 1, 0));
	ASSERT_EQ(1, recv(rep, buf, sizeof(buf), 0));
	EXPECT_EQ(-1, getpeername(req, (struct sockaddr *)&sin, &len));
	EXPECT_EQ(ENOTCONN, errno);
	EXPECT_EQ(-1, getpeername(rep, (struct sockaddr *)&sin, &len));
	EXPECT_EQ(ENOTCONN, errno);
	close(req);
	close(rep);
}

TEST(peek)
{
	char buf[16], hdr[64];
	int rep, req, pub, sur, hlen;
	uint16_t port;

	ASSERT_EQ(0, sp_listen_dial(SOCK_REP, SOCK_REQ, &rep, &req, &port));
	/* Nothing yet. */
	EXPECT_EQ(-1, recv(rep, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(5, send(req, "hello", 5, 0));
	/* A blocking peek waits for it, and leaves it. */
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(5, recv(rep, buf, sizeof(buf), MSG_PEEK));
	EXPECT_STREQ("hello", buf);
	EXPECT_EQ(3, recv(rep, buf, 3, MSG_PEEK | MSG_TRUNC) > 0 ? 3 : -1);
	/* A peek takes no request: a reply still needs a recv(). */
	EXPECT_EQ(-1, send(rep, "no", 2, 0));
	EXPECT_EQ(EINVAL, errno);
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(5, recv(rep, buf, sizeof(buf), 0));
	EXPECT_STREQ("hello", buf);
	EXPECT_EQ(-1, recv(rep, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(2, send(rep, "ok", 2, 0));
	EXPECT_EQ(2, recv(req, buf, sizeof(buf), MSG_PEEK));
	EXPECT_EQ(2, recv(req, buf, sizeof(buf), 0));
	/* A REQ with no request: EINVAL, as recv() gives. */
	EXPECT_EQ(-1, recv(req, buf, sizeof(buf), MSG_PEEK));
	EXPECT_EQ(EINVAL, errno);
	/* A PUB receives nothing. */
	pub = socket(AF_SP, SOCK_PUB, 0);
	ASSERT_LE(0, pub);
	EXPECT_EQ(-1, recv(pub, buf, sizeof(buf), MSG_PEEK));
	EXPECT_EQ(EOPNOTSUPP, errno);
	/* A SURVEYOR with no survey: EINVAL. */
	sur = socket(AF_SP, SOCK_SURVEYOR, 0);
	ASSERT_LE(0, sur);
	EXPECT_EQ(-1, recv(sur, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT));
	EXPECT_EQ(EINVAL, errno);
	close(sur);
	close(pub);
	close(req);
	close(rep);

	/* A raw REP's peek carries the header too, the same as its recv. */
	{
		char hdr2[64];
		int hlen2, fl;

		rep = sp_raw_listen(SOCK_REP, &port);
		ASSERT_LE(0, rep);
		req = sp_dial(SOCK_REQ, port);
		ASSERT_LE(0, req);
		ASSERT_EQ(3, send(req, "abc", 3, 0));
		ASSERT_EQ(3, sp_recv_hdr_flags(rep, hdr, sizeof(hdr), &hlen, buf, sizeof(buf), &fl,
					       MSG_PEEK));
		ASSERT_EQ(3, sp_recv_hdr(rep, hdr2, sizeof(hdr2), &hlen2, buf, sizeof(buf), &fl));
		EXPECT_EQ(8, hlen);
		EXPECT_EQ(hlen, hlen2);
		EXPECT_EQ(0, memcmp(hdr, hdr2, hlen));
		close(req);
		close(rep);
	}
}

TEST(siocinq)
{
	int rep, req, n = -1;
	uint16_t port;
	char buf[16];

	ASSERT_EQ(0, sp_listen_dial(SOCK_REP, SOCK_REQ, &rep, &req, &port));
	ASSERT_EQ(0, ioctl(rep, SIOCINQ, &n));
	EXPECT_EQ(0, n);
	ASSERT_EQ(5, send(req, "hello", 5, 0));
	ASSERT_EQ(POLLIN, sp_poll1(rep, POLLIN, 5000));
	/* The next message's payload, not its backtrace. */
	ASSERT_EQ(0, ioctl(rep, SIOCINQ, &n));
	EXPECT_EQ(5, n);
	ASSERT_EQ(0, ioctl(rep, FIONREAD, &n));
	EXPECT_EQ(5, n);
	ASSERT_EQ(5, recv(rep, buf, sizeof(buf), 0));
	ASSERT_EQ(0, ioctl(rep, SIOCINQ, &n));
	EXPECT_EQ(0, n);
	/* A bad pointer. */
	EXPECT_EQ(-1, ioctl(rep, SIOCINQ, (int *)8));
	EXPECT_EQ(EFAULT, errno);
	close(req);
	close(rep);
}

/* Bytes a PAIR holds for a peer that does not read, then none. */
TEST(siocoutq)
{
	static char big[64 * 1024];
	int pair, raw, n = -1, sent = 0, sndbuf = 256 * 1024, rcv = 4096;
	unsigned char h[8];
	struct sockaddr_in sin;
	uint16_t port;

	pair = sp_listen_any(SOCK_PAIR, &port);
	ASSERT_LE(0, pair);
	ASSERT_EQ(0, setsockopt(pair, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)));
	ASSERT_EQ(0, ioctl(pair, SIOCOUTQ, &n));
	EXPECT_EQ(0, n);
	raw = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_LE(0, raw);
	ASSERT_EQ(0, setsockopt(raw, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv)));
	sin = sp_loopback(port);
	ASSERT_EQ(0, connect(raw, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(0, sp_raw_handshake(raw, SP_PROTO_PAIR, h));
	/* The pipe is up once sp has read the peer's header too. */
	ASSERT_EQ(POLLOUT, sp_poll1(pair, POLLOUT, 5000));
	while (send(pair, big, sizeof(big), MSG_DONTWAIT) == sizeof(big))
		sent += sizeof(big);
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, ioctl(pair, SIOCOUTQ, &n));
	TH_LOG("%d bytes sent, %d queued in sp", sent, n);
	EXPECT_LT(0, n);
	EXPECT_GE(sent, n);
	EXPECT_GE(sndbuf * 2 + (int)sizeof(big), n);
	close(raw);
	close(pair);
}

TEST_HARNESS_MAIN
