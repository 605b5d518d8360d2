// SPDX-License-Identifier: GPL-2.0
/* The seed's SUB: connect to localhost:5566 (or argv[2]), subscribe to
 * everything and print what arrives, for a bounded number of messages or
 * seconds. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <unistd.h>
#include <netinet/sp.h>

int main(int argc, char **argv)
{
	int port = argc > 2 ? atoi(argv[2]) : 5566;
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(port),
				    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct timeval tv = { .tv_sec = 5 };
	int n = argc > 1 ? atoi(argv[1]) : 3;
	int fd = socket(PF_SP, SOCK_SUB, IPPROTO_TCP);
	char buf[256];

	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    setsockopt(fd, SOL_SP, SP_SUBSCRIBE, "", 0) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv))) {
		perror("sub");
		return 1;
	}
	while (n--) {
		ssize_t len = recv(fd, buf, sizeof(buf) - 1, 0);

		if (len < 0) {
			perror("recv");
			return 1;
		}
		buf[len] = 0;
		printf("SUB received: %s\n", buf);
	}
	close(fd);
	return 0;
}
