// SPDX-License-Identifier: GPL-2.0
/*
 * BUS: one node of a mesh. Binds PORT, connects to each PEER_PORT, says
 * hello to every connected node and prints what the others say:
 *
 *	bus NAME PORT [PEER_PORT...]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>
#include <netinet/sp.h>

static struct sockaddr_in addr_of(const char *port)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(atoi(port)),
				    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	return addr;
}

int main(int argc, char **argv)
{
	struct timeval tv = { .tv_sec = 3 };
	struct sockaddr_in addr;
	char buf[256], hello[64];
	int fd, i;

	if (argc < 3) {
		fprintf(stderr, "usage: bus NAME PORT [PEER_PORT...]\n");
		return 2;
	}
	fd = socket(PF_SP, SOCK_BUS, IPPROTO_TCP);
	addr = addr_of(argv[2]);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv))) {
		perror("bus");
		return 1;
	}
	for (i = 3; i < argc; i++) {
		addr = addr_of(argv[i]);
		if (connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
			perror("connect");
			return 1;
		}
	}
	sleep(3);	/* a BUS send goes to the nodes connected by then */
	snprintf(hello, sizeof(hello), "Hello from %s", argv[1]);
	if (send(fd, hello, strlen(hello), 0) < 0) {
		perror("send");
		return 1;
	}
	for (;;) {
		ssize_t len = recv(fd, buf, sizeof(buf) - 1, 0);

		if (len < 0 && errno == EAGAIN)
			break;		/* quiet for 3 s: done */
		if (len < 0) {
			perror("recv");
			return 1;
		}
		buf[len] = 0;
		printf("BUS %s received: %s\n", argv[1], buf);
		fflush(stdout);
	}
	close(fd);
	return 0;
}
