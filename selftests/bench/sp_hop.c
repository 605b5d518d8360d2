// SPDX-License-Identifier: GPL-2.0
/*
 * The cost of one hop: a REQ/REP round trip direct, and through one
 * intermediary, for sp and NNG. A benchmark: it prints numbers, and
 * selftests/bench/run.sh runs its modes interleaved, round after round.
 *
 *	sp_hop -m MODE [-d SECONDS] [-s SIZE]
 *
 *	sp-direct	sp REQ -> sp REP
 *	sp-device	sp REQ -> in-kernel device (raw REP = raw REQ) -> sp REP
 *	sp-user		sp REQ -> a user-space forwarder thread over two sp raw
 *			sockets (recvmsg/sendmsg with SP_HDR) -> sp REP
 *	nng-direct	NNG REQ -> NNG REP
 *	nng-device	NNG REQ -> nng_device() over two NNG raw sockets -> NNG REP
 *	sp-relay	sp PUB -> in-kernel relay (raw SUB = raw PUB) -> 16 sp SUBs
 *	nng-relay	NNG PUB -> nng_device() relay -> 16 NNG SUBs
 *
 * Prints "bench test=hop backend=MODE size=SIZE clients=1 subs=1
 * value=US unit=us extra=rts:N": microseconds per round trip; for the
 * relays "bench test=relay ... subs=16 value=N unit=msg/s": messages
 * delivered per second, summed over the subscribers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <nng/nng.h>
#include <nng/protocol/pubsub0/pub.h>
#include <nng/protocol/pubsub0/sub.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <arpa/inet.h>
#include <netinet/sp.h>

static atomic_int stop;

static void die(const char *what)
{
	fprintf(stderr, "sp_hop: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void nng_die(const char *what, int rv)
{
	fprintf(stderr, "sp_hop: %s: %s\n", what, nng_strerror(rv));
	exit(1);
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void timeo(int fd, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		die("timeouts");
}

/* An sp socket of @type (raw if @raw) bound to loopback:0; its port. */
static int sp_listen(int type, int raw, uint16_t *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	int fd = socket(PF_SP, type, IPPROTO_TCP);

	if (fd < 0 || (raw && setsockopt(fd, SOL_SP, SP_RAW, &raw, sizeof(raw))) ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    getsockname(fd, (struct sockaddr *)&sin, &len))
		die("sp listen");
	*port = ntohs(sin.sin_port);
	return fd;
}

static int sp_dial(int type, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(PF_SP, type, IPPROTO_TCP);

	if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)))
		die("sp dial");
	return fd;
}

/* An sp REP answering every request with itself, until stop. */
static void *sp_echo(void *arg)
{
	int fd = *(int *)arg;
	static char buf[1 << 17];
	ssize_t n;

	timeo(fd, 200);
	while (!atomic_load(&stop)) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n >= 0 && send(fd, buf, n, 0) != n)
			break;
	}
	return NULL;
}

/* Moves one message from raw @from to raw @to, header and all. */
static int forward(int from, int to, char *buf, size_t cap)
{
	char ctl[CMSG_SPACE(1100)];
	struct iovec iov = { buf, cap };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			     .msg_controllen = sizeof(ctl) };
	ssize_t n = recvmsg(from, &mh, MSG_DONTWAIT);

	if (n < 0)
		return errno == EAGAIN ? 0 : -1;
	iov.iov_len = n;
	if (!CMSG_FIRSTHDR(&mh))
		mh.msg_controllen = 0;
	return sendmsg(to, &mh, 0) == n ? 0 : -1;
}

/* The user-space forwarder: what nng_device() does, over sp raw sockets. */
static void *sp_forwarder(void *arg)
{
	int *fds = arg;
	struct pollfd p[2] = { { fds[0], POLLIN, 0 }, { fds[1], POLLIN, 0 } };
	static char buf[1 << 17];

	while (!atomic_load(&stop)) {
		if (poll(p, 2, 200) <= 0)
			continue;
		if ((p[0].revents & POLLIN) && forward(fds[0], fds[1], buf, sizeof(buf)))
			break;
		if ((p[1].revents & POLLIN) && forward(fds[1], fds[0], buf, sizeof(buf)))
			break;
	}
	return NULL;
}

static void *nng_echo(void *arg)
{
	nng_socket s = *(nng_socket *)arg;
	nng_msg *m;

	while (!nng_recvmsg(s, &m, 0))
		if (nng_sendmsg(s, m, 0)) {
			nng_msg_free(m);
			break;
		}
	return NULL;
}

static void *nng_dev(void *arg)
{
	nng_socket *s = arg;

	nng_device(s[0], s[1]);
	return NULL;
}

static int nng_port(nng_socket s)
{
	nng_listener l;
	int rv = nng_listen(s, "tcp://127.0.0.1:0", &l, 0), port;

	if (rv || (rv = nng_listener_get_int(l, NNG_OPT_TCP_BOUND_PORT, &port)))
		nng_die("nng listen", rv);
	return port;
}

static void nng_to(nng_socket s, int port)
{
	char url[64];
	int rv;

	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", port);
	if ((rv = nng_dial(s, url, NULL, 0)))
		nng_die("nng dial", rv);
	nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, 10000);
	nng_socket_set_ms(s, NNG_OPT_SENDTIMEO, 10000);
	nng_socket_set_size(s, NNG_OPT_RECVMAXSZ, 0);
}

#define NSUBS 16

/* One relay subscriber: counts what it receives while counting is on. */
struct relay_sub {
	int fd;
	nng_socket s;
	atomic_long got;
	atomic_int heard;
};

static atomic_int counting;

static void *sp_relay_sub(void *arg)
{
	struct relay_sub *r = arg;
	char buf[256];

	timeo(r->fd, 200);
	while (!atomic_load(&stop))
		if (recv(r->fd, buf, sizeof(buf), 0) >= 0) {
			atomic_store(&r->heard, 1);
			if (atomic_load(&counting))
				atomic_fetch_add(&r->got, 1);
		}
	return NULL;
}

static void *nng_relay_sub(void *arg)
{
	struct relay_sub *r = arg;
	char buf[256];
	size_t len;

	for (;;) {
		len = sizeof(buf);
		if (nng_recv(r->s, buf, &len, 0)) {
			if (atomic_load(&stop))
				break;
			continue;
		}
		atomic_store(&r->heard, 1);
		if (atomic_load(&counting))
			atomic_fetch_add(&r->got, 1);
	}
	return NULL;
}

/* PUB -> relay -> NSUBS SUBs: messages delivered per second. */
static double relay(int sp, size_t size, double secs)
{
	static struct relay_sub subs[NSUBS];
	static nng_socket npub, dev[2];
	pthread_t th[NSUBS + 1];
	int pub = -1, i, all, rv;
	double t0, t;
	char buf[256] = { 0 };
	long total = 0;

	if (sp) {
		uint16_t p1, p2;
		int rsub, rpub, one = 1;
		struct sockaddr_in sin = { .sin_family = AF_INET,
					   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

		pub = sp_listen(SOCK_PUB, 0, &p1);
		rsub = socket(PF_SP, SOCK_SUB, IPPROTO_TCP);
		sin.sin_port = htons(p1);
		if (rsub < 0 || setsockopt(rsub, SOL_SP, SP_RAW, &one, sizeof(one)) ||
		    connect(rsub, (struct sockaddr *)&sin, sizeof(sin)))
			die("relay sub");
		rpub = sp_listen(SOCK_PUB, 1, &p2);
		if (setsockopt(rsub, SOL_SP, SP_DEVICE, &rpub, sizeof(rpub)))
			die("SP_DEVICE");
		for (i = 0; i < NSUBS; i++) {
			subs[i].fd = sp_dial(SOCK_SUB, p2);
			if (setsockopt(subs[i].fd, SOL_SP, SP_SUBSCRIBE, "", 0))
				die("subscribe");
			pthread_create(&th[i], NULL, sp_relay_sub, &subs[i]);
		}
	} else {
		int p1, p2;

		if ((rv = nng_pub0_open(&npub)) || (rv = nng_sub0_open_raw(&dev[0])) ||
		    (rv = nng_pub0_open_raw(&dev[1])))
			nng_die("open", rv);
		p1 = nng_port(npub);
		nng_to(dev[0], p1);
		p2 = nng_port(dev[1]);
		pthread_create(&th[NSUBS], NULL, nng_dev, dev);
		for (i = 0; i < NSUBS; i++) {
			if ((rv = nng_sub0_open(&subs[i].s)) ||
			    (rv = nng_socket_set(subs[i].s, NNG_OPT_SUB_SUBSCRIBE, "", 0)))
				nng_die("sub", rv);
			nng_to(subs[i].s, p2);
			nng_socket_set_ms(subs[i].s, NNG_OPT_RECVTIMEO, 200);
			pthread_create(&th[i], NULL, nng_relay_sub, &subs[i]);
		}
	}
	/* Until every subscriber has heard the publisher through the relay. */
	t0 = now();
	do {
		if (sp ? send(pub, buf, size, 0) < 0 : nng_send(npub, buf, size, 0) != 0)
			die("warm-up send");
		usleep(10000);
		for (all = 1, i = 0; i < NSUBS; i++)
			all &= atomic_load(&subs[i].heard);
	} while (!all && now() - t0 < 30);
	if (!all)
		die("relay never reached every subscriber");
	usleep(100000);
	atomic_store(&counting, 1);
	t0 = now();
	do {
		for (i = 0; i < 64; i++)
			if (sp ? send(pub, buf, size, 0) < 0 : nng_send(npub, buf, size, 0) != 0)
				die("send");
	} while ((t = now()) - t0 < secs);
	/* What is still on its way counts: give it a moment. */
	usleep(200000);
	atomic_store(&counting, 0);
	for (i = 0; i < NSUBS; i++)
		total += atomic_load(&subs[i].got);
	atomic_store(&stop, 1);
	/*
	 * The subscribers stop at their next receive timeout. The NNG relay's
	 * sockets stay open, its nng_device() thread running, until the
	 * process exits: NNG 1.5.2's nng_close() of a socket that
	 * nng_device() forwards on can block for good (seen under TCG).
	 */
	for (i = 0; i < NSUBS; i++)
		pthread_join(th[i], NULL);
	return total / (t - t0);
}

int main(int argc, char **argv)
{
	const char *mode = NULL;
	double secs = 1, t0, t;
	size_t size = 64;
	pthread_t th[2];
	int opt, nth = 0;
	long rts = 0;
	char *buf;

	while ((opt = getopt(argc, argv, "m:d:s:")) != -1) {
		switch (opt) {
		case 'm': mode = optarg; break;
		case 'd': secs = atof(optarg); break;
		case 's': size = strtoul(optarg, NULL, 0); break;
		default: mode = NULL; optind = argc; break;
		}
	}
	if (!mode || size > (1 << 16)) {
		fprintf(stderr, "usage: sp_hop -m sp-direct|sp-device|sp-user|nng-direct|nng-device|sp-relay|nng-relay [-d S] [-s SIZE]\n");
		return 2;
	}
	buf = calloc(1, size + 1);
	if (strstr(mode, "-relay")) {
		if (size > 256)
			return 2;
		printf("bench test=relay backend=%s size=%zu clients=1 subs=%d value=%.0f unit=msg/s extra=\n",
		       mode, size, NSUBS, relay(!strcmp(mode, "sp-relay"), size, secs));
		return 0;
	}
	if (!strncmp(mode, "sp-", 3)) {
		static int rep, fds[2];
		uint16_t port, back;
		int req;

		if (!strcmp(mode, "sp-direct")) {
			rep = sp_listen(SOCK_REP, 0, &port);
		} else if (!strcmp(mode, "sp-device") || !strcmp(mode, "sp-user")) {
			fds[0] = sp_listen(SOCK_REP, 1, &port);
			fds[1] = sp_listen(SOCK_REQ, 1, &back);
			if (!strcmp(mode, "sp-device")) {
				if (setsockopt(fds[0], SOL_SP, SP_DEVICE, &fds[1], sizeof(int)))
					die("SP_DEVICE");
			} else {
				pthread_create(&th[nth++], NULL, sp_forwarder, fds);
			}
			rep = sp_dial(SOCK_REP, back);
		} else {
			return 2;
		}
		pthread_create(&th[nth++], NULL, sp_echo, &rep);
		req = sp_dial(SOCK_REQ, port);
		timeo(req, 10000);
		/* The first round trip waits for every pipe. */
		if (send(req, buf, size, 0) != (ssize_t)size || recv(req, buf, size + 1, 0) != (ssize_t)size)
			die("first round trip");
		t0 = now();
		do {
			if (send(req, buf, size, 0) != (ssize_t)size ||
			    recv(req, buf, size + 1, 0) != (ssize_t)size)
				die("round trip");
			rts++;
		} while ((t = now()) - t0 < secs);
		atomic_store(&stop, 1);
		while (nth--)
			pthread_join(th[nth], NULL);
		close(req);
	} else {
		static nng_socket rep, dev[2];
		nng_socket req;
		int rv, port, back;
		size_t len;

		if ((rv = nng_rep0_open(&rep)) || (rv = nng_req0_open(&req)))
			nng_die("open", rv);
		if (!strcmp(mode, "nng-direct")) {
			port = nng_port(rep);
		} else if (!strcmp(mode, "nng-device")) {
			if ((rv = nng_rep0_open_raw(&dev[0])) || (rv = nng_req0_open_raw(&dev[1])))
				nng_die("open raw", rv);
			port = nng_port(dev[0]);
			back = nng_port(dev[1]);
			pthread_create(&th[nth++], NULL, nng_dev, dev);
			nng_to(rep, back);
		} else {
			return 2;
		}
		pthread_create(&th[nth++], NULL, nng_echo, &rep);
		nng_to(req, port);
		len = size + 1;
		if (nng_send(req, buf, size, 0) || nng_recv(req, buf, &len, 0))
			nng_die("first round trip", 0);
		t0 = now();
		do {
			len = size + 1;
			if ((rv = nng_send(req, buf, size, 0)) || (rv = nng_recv(req, buf, &len, 0)) ||
			    len != size)
				nng_die("round trip", rv);
			rts++;
		} while ((t = now()) - t0 < secs);
		nng_close(req);
		nng_close(rep);
		if (!strcmp(mode, "nng-device")) {
			nng_close(dev[0]);
			nng_close(dev[1]);
		}
		while (nth--)
			pthread_join(th[nth], NULL);
	}
	printf("bench test=hop backend=%s size=%zu clients=1 subs=1 value=%.2f unit=us extra=rts:%ld\n",
	       mode, size, (t - t0) * 1e6 / rts, rts);
	return 0;
}
