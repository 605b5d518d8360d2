// SPDX-License-Identifier: GPL-2.0
/*
 * The seed's REQ: connect to localhost:5566 (or the port in argv[1], or,
 * given a path there, that Unix socket: SP over IPC), send "Hello", print
 * the reply.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/un.h>
#include <netinet/sp.h>

int main(int argc, char **argv)
{
	int port = argc > 1 ? atoi(argv[1]) : 5566;
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(port),
				    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct sockaddr *a = (struct sockaddr *)&addr;
	socklen_t alen = sizeof(addr);
	int fd = socket(PF_SP, SOCK_REQ, IPPROTO_TCP);
	char buf[256];
	ssize_t len;

	if (argc > 1 && argv[1][0] == '/') {
		strncpy(sun.sun_path, argv[1], sizeof(sun.sun_path) - 1);
		a = (struct sockaddr *)&sun;
		alen = sizeof(sun);
	}
	if (fd < 0 || connect(fd, a, alen)) {
		perror("req");
		return 1;
	}
	if (send(fd, "Hello", 5, 0) < 0) {
		perror("send");
		return 1;
	}
	len = recv(fd, buf, sizeof(buf) - 1, 0);
	if (len < 0) {
		perror("recv");
		return 1;
	}
	buf[len] = 0;
	printf("REQ received: %s\n", buf);
	close(fd);
	return 0;
}
