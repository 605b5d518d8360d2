// SPDX-License-Identifier: GPL-2.0
/*
 * A small sp client/server for shell tests (sp_netns.sh, sp_module.sh).
 *
 *	sp_tool rep ADDR PORT COUNT      answer COUNT requests with "ok"
 *	sp_tool req ADDR PORT MS         one request; exit 0 on a reply,
 *	                                 4 if none came within MS
 *	sp_tool hold ADDR PORT           bind a REP, connect a REQ to it, and
 *	                                 sleep with the pipe up (until killed)
 *	sp_tool churn ADDR PORT SECONDS  for SECONDS, over and over: REQ/REP,
 *	                                 PUB/SUB with (un)subscribes and PAIR
 *	                                 sockets on PORT, PORT+1, PORT+2, with
 *	                                 raw peers, then close them all; every
 *	                                 failed call must fail with an errno
 *	                                 that says why (sp_failslab.sh)
 *	sp_tool device ADDR PORT BADDR BPORT
 *	                                 an in-kernel REQ/REP broker: a raw REP
 *	                                 bound to ADDR:PORT linked (SP_DEVICE)
 *	                                 with a raw REQ connected to
 *	                                 BADDR:BPORT; print "ready", sleep until
 *	                                 killed
 *	sp_tool backlog ADDR PORT N      bind a REP, make N raw connections to
 *	                                 it, print "ready", wait for a line on
 *	                                 stdin, then give the connections 10 s
 *	                                 to be greeted (the REP's header) or
 *	                                 closed; exit 5 if one is left waiting
 *
 * Exit status: 0 success, 1 a call failed, 2 usage, 3 a wrong reply or a
 * receive error, 4 (req) no reply within the timeout.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <netinet/sp.h>

static struct sockaddr_in addr(const char *ip, const char *port)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(atoi(port));
	sin.sin_addr.s_addr = inet_addr(ip);
	return sin;
}

enum { EXIT_TIMEOUT = 4, EXIT_STALLED = 5 };

static void timeo(int fd, int ms);

static long calls, failed;

/*
 * A call failed: fine if its errno says so (memory, room, time, a peer
 * gone), else a wrong errno for the user: report it and exit 3.
 */
static void check(const char *what, long r)
{
	calls++;
	if (r >= 0)
		return;
	failed++;
	switch (errno) {
	case ENOMEM: case ENOBUFS: case EAGAIN: case ETIMEDOUT: case EINTR:
	case ECONNREFUSED: case ECONNRESET: case EPIPE: case EADDRINUSE:
		return;
	case EINVAL:
		/* recv() on a REQ whose request a failed send never made. */
		if (!strcmp(what, "req recv") || !strcmp(what, "rep send"))
			return;
	}
	fprintf(stderr, "churn: %s: unexpected errno %d (%s)\n", what, errno, strerror(errno));
	exit(3);
}

static int churn(struct sockaddr_in sin, int seconds)
{
	time_t end = time(NULL) + seconds;
	long rounds = 0;
	static char buf[8192];

	while (time(NULL) < end) {
		int rep, req[4], pub, sub[3], pa, pb, raw, burst[20], i;
		struct sockaddr_in a = sin;

		rep = socket(PF_SP, SOCK_REP, 0);
		check("rep socket", rep);
		if (rep < 0)
			continue;
		timeo(rep, 200);
		check("rep bind", bind(rep, (struct sockaddr *)&a, sizeof(a)));
		for (i = 0; i < 4; i++) {
			req[i] = socket(PF_SP, SOCK_REQ, 0);
			check("req socket", req[i]);
			if (req[i] < 0)
				continue;
			timeo(req[i], 200);
			check("req connect", connect(req[i], (struct sockaddr *)&a, sizeof(a)));
			check("req send", send(req[i], "hi", 2, 0));
		}
		/* A raw peer that handshakes and leaves mid-frame. */
		raw = socket(AF_INET, SOCK_STREAM, 0);
		if (raw >= 0 && !connect(raw, (struct sockaddr *)&a, sizeof(a))) {
			static const unsigned char h[] = { 0, 'S', 'P', 0, 0, 0x30, 0, 0,
							   0, 0, 0, 0, 0, 0, 1, 0, 0x80 };
			if (write(raw, h, sizeof(h)) < 0)
				perror("raw");
		}
		/* A burst of connections, as in the report: left to sp to close. */
		for (i = 0; i < 20; i++) {
			int b = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

			if (b >= 0 && connect(b, (struct sockaddr *)&a, sizeof(a)) && errno != EINPROGRESS)
				perror("burst");
			burst[i] = b;
		}
		for (i = 0; i < 4; i++) {
			if (recv(rep, buf, sizeof(buf), 0) < 0) {
				check("rep recv", -1);
				continue;
			}
			check("rep send", send(rep, "ok", 2, 0));
		}
		for (i = 0; i < 4; i++) {
			if (req[i] < 0)
				continue;
			check("req recv", recv(req[i], buf, sizeof(buf), 0));
			close(req[i]);
		}
		if (raw >= 0)
			close(raw);
		close(rep);
		for (i = 0; i < 20; i++)
			if (burst[i] >= 0)
				close(burst[i]);

		a.sin_port = htons(ntohs(sin.sin_port) + 1);
		pub = socket(PF_SP, SOCK_PUB, 0);
		check("pub socket", pub);
		if (pub >= 0)
			check("pub bind", bind(pub, (struct sockaddr *)&a, sizeof(a)));
		for (i = 0; i < 3; i++) {
			sub[i] = socket(PF_SP, SOCK_SUB, 0);
			check("sub socket", sub[i]);
			if (sub[i] < 0)
				continue;
			timeo(sub[i], 50);
			check("sub subscribe", setsockopt(sub[i], SOL_SP, SP_SUBSCRIBE, "a", 1));
			check("sub subscribe", setsockopt(sub[i], SOL_SP, SP_SUBSCRIBE, "ab", 2));
			check("sub subscribe", setsockopt(sub[i], SOL_SP, SP_SUBSCRIBE, "b", 1));
			if (setsockopt(sub[i], SOL_SP, SP_UNSUBSCRIBE, "a", 1) && errno != ENOENT)
				check("sub unsubscribe", -1);
			check("sub connect", connect(sub[i], (struct sockaddr *)&a, sizeof(a)));
		}
		usleep(20 * 1000);
		for (i = 0; pub >= 0 && i < 8; i++)
			check("pub send", send(pub, i & 1 ? "abc" : "bcd", 3, 0));
		for (i = 0; i < 3; i++) {
			if (sub[i] < 0)
				continue;
			check("sub recv", recv(sub[i], buf, sizeof(buf), 0));
			close(sub[i]);
		}
		if (pub >= 0)
			close(pub);

		a.sin_port = htons(ntohs(sin.sin_port) + 2);
		pa = socket(PF_SP, SOCK_PAIR, 0);
		pb = socket(PF_SP, SOCK_PAIR, 0);
		check("pair socket", pa);
		check("pair socket", pb);
		if (pa >= 0 && pb >= 0) {
			timeo(pa, 100);
			timeo(pb, 100);
			check("pair bind", bind(pa, (struct sockaddr *)&a, sizeof(a)));
			check("pair connect", connect(pb, (struct sockaddr *)&a, sizeof(a)));
			for (i = 0; i < 4; i++)
				check("pair send", send(pb, buf, 100 + i * 1000, 0));
			for (i = 0; i < 4; i++)
				check("pair recv", recv(pa, buf, sizeof(buf), MSG_TRUNC));
		}
		if (pa >= 0)
			close(pa);
		if (pb >= 0)
			close(pb);
		rounds++;
	}
	printf("churn: %ld rounds, %ld calls, %ld failed with a clear errno\n",
	       rounds, calls, failed);
	return 0;
}

static void timeo(int fd, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/*
 * Connections that arrive while accepting fails (failslab) must not wait
 * in the accept queue for a SYN that never comes: the listener retries.
 */
static int backlog(struct sockaddr_in sin, int n)
{
	int rep = -1, i, tries, waiting = 0, late = 0, *c = calloc(n, sizeof(int));
	char line[16];
	time_t end;

	for (tries = 0; tries < 100 && rep < 0; tries++) {
		rep = socket(PF_SP, SOCK_REP, 0);
		if (rep >= 0 && bind(rep, (struct sockaddr *)&sin, sizeof(sin))) {
			close(rep);
			rep = -1;
		}
	}
	if (rep < 0 || !c) {
		perror("backlog: REP");
		return 1;
	}
	for (i = 0; i < n; i++) {
		c[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (c[i] < 0 || connect(c[i], (struct sockaddr *)&sin, sizeof(sin))) {
			perror("backlog: connect");
			return 1;
		}
	}
	printf("ready\n");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 2;
	/*
	 * Up to 10 s in all: a child TCP could not make under failslab (sp.ko
	 * on the stack while TCP processed a client's ACK) is made when the
	 * listener resends its SYN-ACK, 1, 3 or 7 s after the SYN.
	 */
	end = time(NULL) + 10;
	for (i = 0; i < n; i++) {
		unsigned char h[8];
		ssize_t got;

		timeo(c[i], end > time(NULL) ? (end - time(NULL)) * 1000 : 1);
		got = recv(c[i], h, sizeof(h), MSG_WAITALL);
		if (got < 0 && errno == EAGAIN)
			continue;
		close(c[i]);
		c[i] = -1;
	}
	/*
	 * Still silent: sp may have closed it when TCP could not make the FIN
	 * (its allocation failed too); data to a closed socket gets a reset.
	 * What stays silent after that waits in sp.
	 */
	for (i = 0; i < n; i++) {
		char b;

		if (c[i] < 0)
			continue;
		timeo(c[i], 2000);
		if (send(c[i], "x", 1, MSG_NOSIGNAL) == 1 && recv(c[i], &b, 1, 0) < 0 &&
		    errno == EAGAIN)
			waiting++;
		else
			late++;
	}
	printf("backlog: %d of %d connections left waiting (%d closed without a FIN)\n",
	       waiting, n, late);
	return waiting ? EXIT_STALLED : 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin;
	char buf[64];
	int fd, n;

	if (argc < 4)
		return 2;
	sin = addr(argv[2], argv[3]);
	if (!strcmp(argv[1], "rep") && argc == 5) {
		fd = socket(PF_SP, SOCK_REP, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin))) {
			perror("rep");
			return 1;
		}
		printf("ready\n");
		fflush(stdout);
		for (n = atoi(argv[4]); n > 0; n--) {
			if (recv(fd, buf, sizeof(buf), 0) < 0 || send(fd, "ok", 2, 0) != 2) {
				perror("rep io");
				return 1;
			}
		}
		return 0;
	}
	if (!strcmp(argv[1], "req") && argc == 5) {
		fd = socket(PF_SP, SOCK_REQ, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin))) {
			perror("req");
			return 1;
		}
		timeo(fd, atoi(argv[4]));
		if (send(fd, "hi", 2, 0) != 2)
			return errno == EAGAIN ? EXIT_TIMEOUT : 1;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EAGAIN)
			return EXIT_TIMEOUT;
		return n == 2 && !memcmp(buf, "ok", 2) ? 0 : 3;
	}
	if (!strcmp(argv[1], "device") && argc == 6) {
		struct sockaddr_in back = addr(argv[4], argv[5]);
		int req = socket(PF_SP, SOCK_REQ, 0), one = 1;

		fd = socket(PF_SP, SOCK_REP, 0);
		if (fd < 0 || req < 0 || setsockopt(fd, SOL_SP, SP_RAW, &one, sizeof(one)) ||
		    setsockopt(req, SOL_SP, SP_RAW, &one, sizeof(one)) ||
		    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) ||
		    connect(req, (struct sockaddr *)&back, sizeof(back)) ||
		    setsockopt(fd, SOL_SP, SP_DEVICE, &req, sizeof(req))) {
			perror("device");
			return 1;
		}
		printf("ready\n");
		fflush(stdout);
		pause();
		return 0;
	}
	if (!strcmp(argv[1], "backlog") && argc == 5)
		return backlog(sin, atoi(argv[4]));
	if (!strcmp(argv[1], "churn") && argc == 5)
		return churn(sin, atoi(argv[4]));
	if (!strcmp(argv[1], "hold")) {
		int req = socket(PF_SP, SOCK_REQ, 0);

		fd = socket(PF_SP, SOCK_REP, 0);
		if (fd < 0 || req < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) ||
		    connect(req, (struct sockaddr *)&sin, sizeof(sin)) ||
		    send(req, "x", 1, 0) != 1) {
			perror("hold");
			return 1;
		}
		timeo(fd, 5000);
		if (recv(fd, buf, sizeof(buf), 0) != 1)
			return 1;
		printf("ready\n");
		fflush(stdout);
		pause();
		return 0;
	}
	return 2;
}
