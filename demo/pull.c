// SPDX-License-Identifier: GPL-2.0
/* PULL: bind port 5566 on all addresses and print the jobs pushed to it. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <unistd.h>
#include <netinet/sp.h>

int main(int argc, char **argv)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(5566),
				    .sin_addr.s_addr = htonl(INADDR_ANY) };
	struct timeval tv = { .tv_sec = 10 };
	int n = argc > 1 ? atoi(argv[1]) : 3;
	int fd = socket(PF_SP, SOCK_PULL, IPPROTO_TCP);
	char buf[256];

	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv))) {
		perror("pull");
		return 1;
	}
	while (n--) {
		ssize_t len = recv(fd, buf, sizeof(buf) - 1, 0);

		if (len < 0) {
			perror("recv");
			return 1;
		}
		buf[len] = 0;
		printf("PULL received: %s\n", buf);
		fflush(stdout);
	}
	close(fd);
	return 0;
}
