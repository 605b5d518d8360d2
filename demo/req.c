// SPDX-License-Identifier: GPL-2.0
/*
 * The seed's REQ: connect to localhost:5566 (or the port in argv[1]), send
 * "Hello", print the reply.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/sp.h>

int main(int argc, char **argv)
{
	int port = argc > 1 ? atoi(argv[1]) : 5566;
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(port),
				    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(PF_SP, SOCK_REQ, IPPROTO_TCP);
	char buf[256];
	ssize_t len;

	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
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
