// SPDX-License-Identifier: GPL-2.0
/* The seed's REP: bind port 5566, print each request, reply "World". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/sp.h>

int main(int argc, char **argv)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(5566),
				    .sin_addr.s_addr = htonl(INADDR_ANY) };
	int n = argc > 1 ? atoi(argv[1]) : 1;
	int fd = socket(PF_SP, SOCK_REP, IPPROTO_TCP);
	char buf[256];

	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		perror("rep");
		return 1;
	}
	while (n--) {
		ssize_t len = recv(fd, buf, sizeof(buf) - 1, 0);

		if (len < 0) {
			perror("recv");
			return 1;
		}
		buf[len] = 0;
		printf("REP received: %s\n", buf);
		fflush(stdout);
		if (send(fd, "World", 5, 0) < 0) {
			perror("send");
			return 1;
		}
	}
	close(fd);
	return 0;
}
