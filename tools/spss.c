// SPDX-License-Identifier: GPL-2.0
/*
 * spss: lists sp sockets as ss(8) lists unix ones, from sock_diag
 * (uapi/linux/sp_diag.h) and nothing else.
 *
 *	spss [-e] [-j] [-t TYPE] [-i INODE]
 *
 *	-e	each socket's endpoints, pipes (with their transport, tcp,
 *		sctp or ipc, and the carrier socket's inode, to join with
 *		ss -tie), SP_STATS and memory, a line each
 *	-j	JSON: an array, one object a socket, with everything -e shows
 *	-t	only sockets of TYPE (pair, pub, sub, req, rep, push, pull,
 *		surveyor, respondent, bus)
 *	-i	only the socket of inode INODE (a get, not a dump)
 *
 * Exit status: 0, 1 when the kernel refused the request (the errno is
 * printed), 2 for bad usage.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/un.h>

#include "spdiag.h"

static const char *const types[] = {
	NULL, "pair", "pub", "sub", "req", "rep", "push", "pull", "surveyor", "respondent", "bus",
};

static const char *type_name(unsigned int t)
{
	return t < sizeof(types) / sizeof(types[0]) && types[t] ? types[t] : "?";
}

/* An address as ss prints it: a.b.c.d:port, [v6%scope]:port, or "*". */
/* A pipe's transport, from SP_DIAG_PIPE_PROTO. */
static const char *transport(int proto)
{
	return proto == IPPROTO_TCP ? "tcp" : proto == IPPROTO_SCTP ? "sctp" : proto ? "?" : "ipc";
}

static const char *addr(const struct sockaddr_storage *ss, int have)
{
	static char out[4][128];
	static int k;
	char ip[INET6_ADDRSTRLEN], *o = out[k++ % 4];

	if (!have)
		return "*";
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)ss;

		inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
		snprintf(o, sizeof(out[0]), "%s:%u", ip, ntohs(a->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)ss;

		inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
		if (a->sin6_scope_id)
			snprintf(o, sizeof(out[0]), "[%s%%%u]:%u", ip, a->sin6_scope_id,
				 ntohs(a->sin6_port));
		else
			snprintf(o, sizeof(out[0]), "[%s]:%u", ip, ntohs(a->sin6_port));
	} else if (ss->ss_family == AF_UNIX) {
		/* As /proc/net/sp names them (NNG's URL schemes; unnamed: ipc://). */
		const struct sockaddr_un *a = (const void *)ss;

		if (a->sun_path[0] || !a->sun_path[1])
			snprintf(o, sizeof(out[0]), "ipc://%.*s", (int)sizeof(a->sun_path),
				 a->sun_path);
		else
			snprintf(o, sizeof(out[0]), "abstract://%.*s",
				 (int)sizeof(a->sun_path) - 1, a->sun_path + 1);
	} else {
		return "?";
	}
	return o;
}

static const char *const mem_names[SK_MEMINFO_VARS] = {
	"r", "rb", "t", "tb", "f", "w", "o", "bl", "d",
};

/*
 * Counters @v named @names: @q around each name (JSON), @sep between a
 * name and its value, @comma between two.
 */
static const char *const stat_names[] = {
	"tx_msgs", "rx_msgs", "tx_dropped", "rx_dropped", "pipes_refused", "pipes_dropped",
};

static void print_counters(const char *q, const char *sep, const char *comma, const __u64 *v,
			   const char *const *names, int n)
{
	int k;

	for (k = 0; k < n; k++)
		printf("%s%s%s%s%s%llu", k ? comma : "", q, names[k], q, sep, (unsigned long long)v[k]);
}

/* The counters of @s, in stat_names' order. */
static void stats_of(const struct sp_stats *s, __u64 v[6])
{
	v[0] = s->tx_msgs;
	v[1] = s->rx_msgs;
	v[2] = s->tx_dropped;
	v[3] = s->rx_dropped;
	v[4] = s->pipes_refused;
	v[5] = s->pipes_dropped;
}

static void print_text(const struct spd_row *r, int ext)
{
	const struct sp_diag_info *i = &r->info;
	int k;

	printf("%-10s %-6s %-5u %-6u %-4u %-6u %-6u %-22s %-22s %u\n", type_name(r->m.sdiag_type),
	       i->sdiag_raw ? "raw" : "cooked", i->sdiag_pipes, i->sdiag_listeners,
	       i->sdiag_dialers, i->sdiag_rqueue, i->sdiag_wqueue_bytes,
	       addr(&r->listener[0], r->listeners > 0), addr(&r->dialer[0], r->dialers > 0),
	       r->m.sdiag_ino);
	if (!ext)
		return;
	printf("\tcookie:0x%08x%08x device:%u shutdown:%u rqueue_bytes:%u\n", r->m.sdiag_cookie[1],
	       r->m.sdiag_cookie[0], i->sdiag_device, i->sdiag_shutdown, i->sdiag_rqueue_bytes);
	for (k = 0; k < r->listeners && k < SPD_MAX; k++)
		printf("\tlisten %s\n", addr(&r->listener[k], 1));
	for (k = 0; k < r->dialers && k < SPD_MAX; k++)
		printf("\tdial %s\n", addr(&r->dialer[k], 1));
	for (k = 0; k < r->pipes && k < SPD_MAX; k++)
		printf("\tpipe id:%u %s %s local:%s peer:%s tcp_ino:%u\n", r->pipe[k].id,
		       r->pipe[k].up ? "up" : "handshake", transport(r->pipe[k].proto),
		       addr(&r->pipe[k].local, 1),
		       addr(&r->pipe[k].peer, 1), r->pipe[k].tcp_ino);
	if (r->pipes > SPD_MAX)
		printf("\t... %d pipes in all\n", r->pipes);
	if (r->stats_len) {
		__u64 v[6];

		stats_of(&r->stats, v);
		printf("\tstats ");
		print_counters("", ":", " ", v, stat_names, 6);
		printf("\n");
	}
	if (r->meminfo_len == (int)sizeof(r->meminfo)) {
		__u64 m[SK_MEMINFO_VARS];

		for (k = 0; k < SK_MEMINFO_VARS; k++)
			m[k] = r->meminfo[k];
		printf("\tskmem:(");
		print_counters("", "", ",", m, mem_names, SK_MEMINFO_VARS);
		printf(")\n");
	}
}

static void json_addrs(const char *name, const struct sockaddr_storage *a, int n)
{
	int k;

	printf(",\"%s\":[", name);
	for (k = 0; k < n && k < SPD_MAX; k++)
		printf("%s\"%s\"", k ? "," : "", addr(&a[k], 1));
	printf("]");
}

static void print_json(const struct spd_row *r, int first)
{
	const struct sp_diag_info *i = &r->info;
	int k;

	printf("%s{\"inode\":%u,\"cookie\":\"0x%08x%08x\",\"type\":\"%s\",\"raw\":%s,"
	       "\"device\":%s,\"shutdown\":%u,\"pipes\":%u,\"recvq\":%u,\"recvq_bytes\":%u,"
	       "\"sendq_bytes\":%u",
	       first ? "" : ",\n", r->m.sdiag_ino, r->m.sdiag_cookie[1], r->m.sdiag_cookie[0],
	       type_name(r->m.sdiag_type), i->sdiag_raw ? "true" : "false",
	       i->sdiag_device ? "true" : "false", i->sdiag_shutdown, i->sdiag_pipes,
	       i->sdiag_rqueue, i->sdiag_rqueue_bytes, i->sdiag_wqueue_bytes);
	json_addrs("listeners", r->listener, r->listeners);
	json_addrs("dialers", r->dialer, r->dialers);
	printf(",\"pipe_list\":[");
	for (k = 0; k < r->pipes && k < SPD_MAX; k++)
		printf("%s{\"id\":%u,\"up\":%s,\"transport\":\"%s\",\"local\":\"%s\","
		       "\"peer\":\"%s\",\"tcp_inode\":%u}",
		       k ? "," : "", r->pipe[k].id, r->pipe[k].up ? "true" : "false",
		       transport(r->pipe[k].proto), addr(&r->pipe[k].local, 1),
		       addr(&r->pipe[k].peer, 1), r->pipe[k].tcp_ino);
	printf("]");
	if (r->stats_len) {
		__u64 v[6];

		stats_of(&r->stats, v);
		printf(",\"stats\":{");
		print_counters("\"", ":", ",", v, stat_names, 6);
		printf("}");
	}
	if (r->meminfo_len == (int)sizeof(r->meminfo)) {
		__u64 m[SK_MEMINFO_VARS];

		for (k = 0; k < SK_MEMINFO_VARS; k++)
			m[k] = r->meminfo[k];
		printf(",\"skmem\":{");
		print_counters("\"", ":", ",", m, mem_names, SK_MEMINFO_VARS);
		printf("}");
	}
	printf("}");
}

static void usage(void)
{
	fprintf(stderr, "usage: spss [-e] [-j] [-t TYPE] [-i INODE]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static struct spd_row rows[4096];
	uint32_t none[2] = { ~0U, ~0U }, show;
	int ext = 0, json = 0, opt, n, k;
	unsigned long ino = 0;
	uint16_t type = 0;
	char *end;

	while ((opt = getopt(argc, argv, "ejt:i:")) != -1) {
		switch (opt) {
		case 'e': ext = 1; break;
		case 'j': json = 1; break;
		case 't':
			for (type = 1; type < sizeof(types) / sizeof(types[0]); type++)
				if (!strcmp(optarg, types[type]))
					break;
			if (type == sizeof(types) / sizeof(types[0]))
				usage();
			break;
		case 'i':
			ino = strtoul(optarg, &end, 10);
			if (*end || !ino || ino > UINT32_MAX)
				usage();
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	show = ext || json ? SP_DIAG_SHOW_ENDPOINTS | SP_DIAG_SHOW_PIPES |
			     SP_DIAG_SHOW_MEMINFO | SP_DIAG_SHOW_STATS
			   : SP_DIAG_SHOW_ENDPOINTS;
	n = ino ? spd_get(rows, ino, none, show) : spd_dump(rows, 4096, type, show);
	if (n < 0 && errno == ENOENT && !ino) {
		/* The kernel loads no family for a sock_diag request. */
		fprintf(stderr, "spss: the sp module is not loaded\n");
		return 1;
	}
	if (n < 0) {
		fprintf(stderr, "spss: %s\n", strerror(errno));
		return 1;
	}
	if (json) {
		int first = 1;

		printf("[");
		for (k = 0; k < n && k < 4096; k++)
			if (!type || rows[k].m.sdiag_type == type) {
				print_json(&rows[k], first);
				first = 0;
			}
		printf("]\n");
		return 0;
	}
	printf("%-10s %-6s %-5s %-6s %-4s %-6s %-6s %-22s %-22s %s\n", "Type", "Mode", "Pipes",
	       "Listen", "Dial", "RecvQ", "SendQ", "Local", "Remote", "Inode");
	for (k = 0; k < n && k < 4096; k++)
		if (!type || rows[k].m.sdiag_type == type)
			print_text(&rows[k], ext);
	return 0;
}
