// SPDX-License-Identifier: GPL-2.0
/*
 * Demo: open one PF_SP socket of each pattern and show what
 * the kernel reports about it.  The other programs here show one
 * exchange per pattern (see run.sh).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <netinet/sp.h>

static const struct {
	const char *name;
	int type;
} types[] = {
	{ "PAIR", SOCK_PAIR }, { "PUB", SOCK_PUB }, { "SUB", SOCK_SUB },
	{ "REQ", SOCK_REQ }, { "REP", SOCK_REP }, { "PUSH", SOCK_PUSH },
	{ "PULL", SOCK_PULL }, { "SURVEYOR", SOCK_SURVEYOR },
	{ "RESPONDENT", SOCK_RESPONDENT }, { "BUS", SOCK_BUS },
};

int main(void)
{
	unsigned int i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		int fd = socket(PF_SP, types[i].type, IPPROTO_TCP);
		socklen_t len = sizeof(int);
		int maxsz = 0;

		if (fd < 0) {
			printf("socket(PF_SP, SOCK_%s): %s\n", types[i].name,
			       strerror(errno));
			continue;
		}
		getsockopt(fd, SOL_SP, SP_RCVMAXSIZE, &maxsz, &len);
		printf("socket(PF_SP, SOCK_%s) = %d, SP_RCVMAXSIZE %d\n",
		       types[i].name, fd, maxsz);
		close(fd);
	}
	return 0;
}
