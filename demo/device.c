// SPDX-License-Identifier: GPL-2.0
/*
 * An in-kernel device: two raw sp sockets linked with SP_DEVICE, after
 * which the kernel forwards between them; this program only holds them
 * open. Usage: device TYPE bind|connect PORT TYPE bind|connect PORT
 * [SECONDS], with TYPE one of rep, req, sub, pub, pull, push.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/sp.h>

static int sock_type(const char *s)
{
	static const char *names[] = { "pair", "pub", "sub", "req", "rep", "push", "pull",
				       "surveyor", "respondent", "bus" };
	unsigned int i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i]))
			return i + 1;
	return -1;
}

/* A raw socket of @type bound to or connected to @port on loopback. */
static int end(const char *type, const char *how, const char *port)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(atoi(port)),
				    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int one = 1, fd = socket(PF_SP, sock_type(type), IPPROTO_TCP);

	if (fd < 0 || setsockopt(fd, SOL_SP, SP_RAW, &one, sizeof(one)))
		return -1;
	if (!strcmp(how, "bind") ? bind(fd, (struct sockaddr *)&addr, sizeof(addr))
				 : connect(fd, (struct sockaddr *)&addr, sizeof(addr)))
		return -1;
	return fd;
}

int main(int argc, char **argv)
{
	int a, b;

	if (argc < 7) {
		fprintf(stderr, "usage: device TYPE bind|connect PORT TYPE bind|connect PORT [SECONDS]\n");
		return 2;
	}
	a = end(argv[1], argv[2], argv[3]);
	b = end(argv[4], argv[5], argv[6]);
	if (a < 0 || b < 0 || setsockopt(a, SOL_SP, SP_DEVICE, &b, sizeof(b))) {
		perror("device");
		return 1;
	}
	printf("device: %s :%s <-> %s :%s, forwarding in the kernel\n", argv[1], argv[3],
	       argv[4], argv[6]);
	fflush(stdout);
	sleep(argc > 7 ? atoi(argv[7]) : 5);
	return 0;
}
