// SPDX-License-Identifier: GPL-2.0
/*
 * PUSH: connect to localhost:5566 and push a few jobs. Each job goes to one
 * puller; send() waits until a puller is connected.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/sp.h>

int main(int argc, char **argv)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(5566),
				    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int i, n = argc > 1 ? atoi(argv[1]) : 3;
	int fd = socket(PF_SP, SOCK_PUSH, IPPROTO_TCP);
	char job[32];

	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		perror("push");
		return 1;
	}
	for (i = 1; i <= n; i++) {
		snprintf(job, sizeof(job), "Job %d", i);
		if (send(fd, job, strlen(job), 0) < 0) {
			perror("send");
			return 1;
		}
		printf("PUSH sent: %s\n", job);
		fflush(stdout);
	}
	close(fd);	/* lingers until the jobs are written */
	return 0;
}
