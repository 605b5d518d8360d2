// SPDX-License-Identifier: GPL-2.0
/*
 * SURVEYOR: bind port 5566 on all addresses, ask every connected
 * respondent "Who is there?" and print the answers until the deadline
 * (SP_SURVEYOR_DEADLINE, 1 s here) ends the survey with ETIMEDOUT. Asks
 * again, a few times, until the expected number answer one survey.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <netinet/sp.h>

int main(int argc, char **argv)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(5566),
				    .sin_addr.s_addr = htonl(INADDR_ANY) };
	int want = argc > 1 ? atoi(argv[1]) : 2, deadline = 1000, tries, got = 0;
	int fd = socket(PF_SP, SOCK_SURVEYOR, IPPROTO_TCP);
	char buf[256];

	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    setsockopt(fd, SOL_SP, SP_SURVEYOR_DEADLINE, &deadline, sizeof(deadline))) {
		perror("surveyor");
		return 1;
	}
	sleep(2);	/* give the respondents time to connect */
	for (tries = 0; tries < 5 && got < want; tries++) {
		if (send(fd, "Who is there?", 13, 0) < 0) {
			perror("send");
			return 1;
		}
		printf("SURVEYOR asked: Who is there?\n");
		for (got = 0;; got++) {
			ssize_t len = recv(fd, buf, sizeof(buf) - 1, 0);

			if (len < 0)
				break;
			buf[len] = 0;
			printf("SURVEYOR received: %s\n", buf);
		}
		if (errno != ETIMEDOUT) {
			perror("recv");
			return 1;
		}
		printf("SURVEYOR: survey over, %d answers\n", got);
		fflush(stdout);
	}
	close(fd);
	return got < want;
}
