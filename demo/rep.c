// SPDX-License-Identifier: GPL-2.0
/*
 * The seed's REP: bind port 5566 (or, given a path as argv[2], that Unix
 * socket: SP over IPC), print each of argv[1] requests, reply "World".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/un.h>
#include <netinet/sp.h>

int main(int argc, char **argv)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(5566),
				    .sin_addr.s_addr = htonl(INADDR_ANY) };
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct sockaddr *a = (struct sockaddr *)&addr;
	socklen_t alen = sizeof(addr);
	int n = argc > 1 ? atoi(argv[1]) : 1;
	int fd = socket(PF_SP, SOCK_REP, IPPROTO_TCP);
	char buf[256];

	if (argc > 2) {
		strncpy(sun.sun_path, argv[2], sizeof(sun.sun_path) - 1);
		unlink(sun.sun_path);
		a = (struct sockaddr *)&sun;
		alen = sizeof(sun);
	}
	if (fd < 0 || bind(fd, a, alen)) {
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
