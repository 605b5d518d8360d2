// SPDX-License-Identifier: GPL-2.0
/*
 * RESPONDENT: connect to localhost:5566 and answer each survey with our
 * name; stop when no survey has come for 5 seconds.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>
#include <netinet/sp.h>

int main(int argc, char **argv)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(5566),
				    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	const char *name = argc > 1 ? argv[1] : "respondent";
	struct timeval tv = { .tv_sec = 5 };
	int fd = socket(PF_SP, SOCK_RESPONDENT, IPPROTO_TCP);
	char buf[256], answer[64];

	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv))) {
		perror("respondent");
		return 1;
	}
	snprintf(answer, sizeof(answer), "%s is here", name);
	for (;;) {
		ssize_t len = recv(fd, buf, sizeof(buf) - 1, 0);

		if (len < 0 && errno == EAGAIN)
			break;		/* no more surveys */
		if (len < 0) {
			perror("recv");
			return 1;
		}
		buf[len] = 0;
		printf("RESPONDENT %s received: %s\n", name, buf);
		fflush(stdout);
		if (send(fd, answer, strlen(answer), 0) < 0) {
			perror("send");
			return 1;
		}
	}
	close(fd);
	return 0;
}
