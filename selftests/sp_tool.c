// SPDX-License-Identifier: GPL-2.0
/*
 * A small sp client/server for shell tests (sp_netns.sh, sp_module.sh).
 *
 *	sp_tool rep ADDR PORT COUNT      answer COUNT requests with "ok"
 *	sp_tool req ADDR PORT MS         one request; exit 0 on a reply,
 *	                                 4 if none came within MS
 *	sp_tool hold ADDR PORT           bind a REP, connect a REQ to it, and
 *	                                 sleep with the pipe up (until killed)
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

enum { EXIT_TIMEOUT = 4 };

static void timeo(int fd, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
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
