// SPDX-License-Identifier: GPL-2.0
/* The seed's PUB: bind port 5566 and publish "HELLO?" in a loop. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <netinet/sp.h>

int main(int argc, char **argv)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(5566),
				    .sin_addr.s_addr = htonl(INADDR_ANY) };
	int n = argc > 1 ? atoi(argv[1]) : 50;
	int fd = socket(PF_SP, SOCK_PUB, IPPROTO_TCP);

	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		perror("pub");
		return 1;
	}
	while (n--) {
		if (send(fd, "HELLO?", 6, 0) < 0) {
			perror("send");
			return 1;
		}
		usleep(100000);
	}
	close(fd);
	return 0;
}
