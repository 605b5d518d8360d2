// SPDX-License-Identifier: GPL-2.0
/*
 * Scale and memory: many sp sockets in one process, many connections to
 * one REP, kernel memory back to its baseline once everything is closed,
 * and bounded memory per peer while peers flood a socket nobody reads.
 *
 * SP_SCALE_CONNS sets the connections to one REP (default 1000; 'make
 * stress' uses 10000), SP_SCALE_SOCKETS the sp sockets (default 1000).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "sp_lib.h"
#include "kselftest_harness.h"

/* Slack allowed between the baseline and the end, in bytes. */
#define SLAB_SLACK	(1024 * 1024)

static long env_long(const char *name, long def)
{
	const char *e = getenv(name);

	return e ? atol(e) : def;
}

static void raise_nofile(long n)
{
	struct rlimit r = { .rlim_cur = n, .rlim_max = n };
	struct rlimit old;

	getrlimit(RLIMIT_NOFILE, &old);
	if (old.rlim_cur < (rlim_t)n)
		setrlimit(RLIMIT_NOFILE, &r);
}

/*
 * Asks every slab cache to give back what it can. kmem_cache_shrink() also
 * empties KASAN's quarantine for the cache, so freed objects stop counting.
 */
static void shrink_slabs(void)
{
	DIR *d = opendir("/sys/kernel/slab");
	struct dirent *e;
	char path[512];

	if (!d)
		return;
	while ((e = readdir(d))) {
		int fd;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink", e->d_name);
		fd = open(path, O_WRONLY);
		if (fd >= 0) {
			/* Some caches refuse (aliases): nothing to do about it. */
			(void)!write(fd, "1", 1);
			close(fd);
		}
	}
	closedir(d);
}

/* Live bytes per slab cache, for telling which cache grew. */
struct slab_snap {
	int n;
	struct { char name[128]; long long bytes; } c[512];
};

static struct slab_snap snap_base, snap_now;

/*
 * Caches that shrink on their own schedule: TCP's TIME_WAIT and request
 * socks and their port buckets, and kmemleak's record of each of those.
 */
static int tcp_timed(const char *name)
{
	return !strncmp(name, "tw_sock_", 8) || !strncmp(name, "request_sock_", 13) ||
	       !strncmp(name, "tcp_bind", 8) || !strcmp(name, "kmemleak_object");
}

/*
 * Bytes of live slab objects (active_objs * objsize) from /proc/slabinfo,
 * leaving out what tcp_timed() names. The "SP" cache's live objects go to
 * *@sp; each cache's bytes to @snap if set. -1 without slabinfo.
 */
static long long slab_bytes_snap(long *sp, struct slab_snap *snap)
{
	FILE *f;
	char line[512], name[128];
	long active, total, size;
	long long sum = 0;

	shrink_slabs();
	f = fopen("/proc/slabinfo", "r");
	if (!f)
		return -1;
	*sp = 0;
	if (snap)
		snap->n = 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%127s %ld %ld %ld", name, &active, &total, &size) != 4)
			continue;
		if (tcp_timed(name))
			continue;
		if (!strcmp(name, "SP"))
			*sp = active;
		sum += (long long)active * size;
		if (snap && snap->n < 512) {
			snprintf(snap->c[snap->n].name, sizeof(snap->c[0].name), "%s", name);
			snap->c[snap->n++].bytes = (long long)active * size;
		}
	}
	fclose(f);
	return sum;
}

static long long slab_bytes(long *sp)
{
	return slab_bytes_snap(sp, NULL);
}

/* The baseline, remembered for slab_settle()'s report. */
static long long slab_base(long *sp)
{
	return slab_bytes_snap(sp, &snap_base);
}

/* A /proc/meminfo field in bytes. */
static long long meminfo(const char *field)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	size_t n = strlen(field);
	long long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, n) && line[n] == ':')
			kb = atoll(line + n + 1);
	fclose(f);
	return kb * 1024;
}

/*
 * Waits (up to 30 s: sockets close through RCU and work items) for live
 * slab to come back within SLAB_SLACK of @base and for no "SP" object to
 * outlive its socket; returns the final bytes.
 */
static long long slab_settle(struct __test_metadata *_metadata, long long base, long sp_base)
{
	long long now = 0;
	long sp = 0;
	int i, j;

	for (i = 0; i < 60; i++) {
		now = slab_bytes_snap(&sp, &snap_now);
		if (now <= base + SLAB_SLACK && sp <= sp_base)
			break;
		usleep(500 * 1000);
	}
	TH_LOG("live slab after %d s: baseline %lld KiB, after close %lld KiB (%+lld KiB); SP socks %ld -> %ld",
	       i / 2, base / 1024, now / 1024, (now - base) / 1024, sp_base, sp);
	/* Name the caches that grew most. */
	for (i = 0; i < snap_now.n; i++) {
		long long was = 0;

		for (j = 0; j < snap_base.n; j++)
			if (!strcmp(snap_base.c[j].name, snap_now.c[i].name))
				was = snap_base.c[j].bytes;
		if (snap_now.c[i].bytes - was >= 64 * 1024)
			TH_LOG("  %s: %+lld KiB", snap_now.c[i].name, (snap_now.c[i].bytes - was) / 1024);
	}
	EXPECT_LE(now, base + SLAB_SLACK);
	EXPECT_LE(sp, sp_base);
	return now;
}

struct server {
	int fd;
	volatile int stop;
	long served;
	pthread_t thr;
};

/* Answers every request on a REP until told to stop. */
static void *rep_loop(void *arg)
{
	struct server *s = arg;
	char buf[256];

	sp_set_timeo(s->fd, SO_RCVTIMEO, 200);
	while (!s->stop) {
		ssize_t n = recv(s->fd, buf, sizeof(buf), 0);

		if (n < 0)
			continue;
		if (send(s->fd, buf, n, 0) == n)
			s->served++;
	}
	return NULL;
}

static int start_rep(struct server *s, uint16_t *port)
{
	memset(s, 0, sizeof(*s));
	s->fd = sp_listen_any(SOCK_REP, port);
	if (s->fd < 0)
		return -1;
	return pthread_create(&s->thr, NULL, rep_loop, s);
}

static void stop_rep(struct server *s)
{
	s->stop = 1;
	pthread_join(s->thr, NULL);
	close(s->fd);
}

/*
 * The slab baseline (*@base, *@sp_base), room for @n descriptors, a REP
 * answering on *@port, and @n slots for the peers. NULL when the test
 * skipped (no slabinfo) or failed.
 */
static int *scale_start(struct __test_metadata *_metadata, long n, struct server *s,
			uint16_t *port, long long *base, long *sp_base)
{
	int *fds;

	*base = slab_base(sp_base);
	if (*base < 0) {
		SKIP(return NULL, "no /proc/slabinfo");
	}
	raise_nofile(n + 64);
	fds = calloc(n, sizeof(*fds));
	EXPECT_NE(NULL, fds);
	if (fds && start_rep(s, port)) {
		EXPECT_TRUE(0) TH_LOG("REP: %s", strerror(errno));
		free(fds);
		fds = NULL;
	}
	return fds;
}

/* The scale runs take longer than the harness's default 30 s. */
FIXTURE(scale) {};
FIXTURE_SETUP(scale) {}
FIXTURE_TEARDOWN(scale) {}

/* SP_SCALE_SOCKETS REQ sockets in this process, each with its own pipe. */
TEST_F_TIMEOUT(scale, sockets_in_one_process, 900)
{
	long n = env_long("SP_SCALE_SOCKETS", 1000), i, ok = 0, sp_base;
	long long base, peak;
	struct server s;
	uint16_t port;
	int *fds;

	fds = scale_start(_metadata, n, &s, &port, &base, &sp_base);
	if (!fds)
		return;
	for (i = 0; i < n; i++) {
		fds[i] = sp_dial(SOCK_REQ, port);
		ASSERT_LE(0, fds[i]) TH_LOG("socket %ld: %s", i, strerror(errno));
	}
	/* Each one round trip: every pipe is up and works. */
	for (i = 0; i < n; i++) {
		char out[16], in[16];
		int len = snprintf(out, sizeof(out), "req %ld", i);

		sp_set_timeo(fds[i], SO_RCVTIMEO, 20000);
		ASSERT_EQ(len, send(fds[i], out, len, 0));
		if (recv(fds[i], in, sizeof(in), 0) == len && !memcmp(in, out, len))
			ok++;
	}
	peak = slab_bytes(&(long){0});
	TH_LOG("%ld sp REQ sockets, %ld round trips; live slab +%lld KiB (%lld B per socket and pipe pair)",
	       n, ok, (peak - base) / 1024, (peak - base) / n);
	EXPECT_EQ(n, ok);
	for (i = 0; i < n; i++)
		close(fds[i]);
	stop_rep(&s);
	free(fds);
	slab_settle(_metadata, base, sp_base);
}

/*
 * SP_SCALE_CONNS raw TCP peers speaking REQ to one sp REP: all complete
 * the handshake and stay connected at once, and a sample of them gets
 * answers while all are held.
 */
TEST_F_TIMEOUT(scale, connections_to_one_rep, 900)
{
	long n = env_long("SP_SCALE_CONNS", 1000), i, up = 0, answered = 0, sampled = 0, sp_base;
	long long base, peak;
	int64_t t0, t1;
	unsigned char hdr[8], mine[8];
	struct server s;
	uint16_t port;
	int *fds;

	fds = scale_start(_metadata, n, &s, &port, &base, &sp_base);
	if (!fds)
		return;
	sp_header(mine, SP_PROTO_REQ);
	t0 = sp_now_ms();
	for (i = 0; i < n; i++) {
		fds[i] = sp_raw_connect(port);
		ASSERT_LE(0, fds[i]) TH_LOG("connection %ld: %s", i, strerror(errno));
		ASSERT_EQ(8, write(fds[i], mine, 8));
	}
	for (i = 0; i < n; i++) {
		if (sp_read_full(fds[i], hdr, 8, 20000) != 8)
			continue;
		if (hdr[4] == SP_PROTO_REP >> 8 && hdr[5] == (SP_PROTO_REP & 0xff))
			up++;
	}
	EXPECT_EQ(n, up);
	t1 = sp_now_ms();
	/* Every 50th peer sends a request; the REP answers it on its pipe. */
	for (i = 0; i < n; i += 50) {
		unsigned char req[16], rep[16];

		sp_be64(req, 8);
		req[8] = 0x80; req[9] = 0; req[10] = i >> 8; req[11] = i;
		memcpy(req + 12, "ping", 4);
		sampled++;
		if (write(fds[i], req, 16) != 16)
			continue;
		if (sp_read_full(fds[i], rep, 16, 20000) == 16 && !memcmp(req, rep, 16))
			answered++;
	}
	EXPECT_EQ(sampled, answered);
	peak = slab_bytes(&(long){0});
	TH_LOG("%ld connections held by one REP (all up in %lld ms), %ld/%ld sampled requests answered; live slab +%lld KiB (%lld B per connection, both ends)",
	       up, (long long)(t1 - t0), answered, sampled, (peak - base) / 1024, (peak - base) / n);
	for (i = 0; i < n; i++)
		close(fds[i]);
	stop_rep(&s);
	free(fds);
	slab_settle(_metadata, base, sp_base);
}

struct flood {
	int fd;
	volatile int *stop;
	long long bytes;
	pthread_t thr;
};

/* Writes valid 4 KiB requests as fast as the REP's pipe takes them. */
static void *flood_loop(void *arg)
{
	struct flood *f = arg;
	static unsigned char frame[8 + 4096];
	uint32_t id = 0;

	sp_be64(frame, 4096);
	while (!*f->stop) {
		ssize_t n;

		frame[8] = 0x80; frame[9] = id >> 16; frame[10] = id >> 8; frame[11] = id++;
		n = send(f->fd, frame, sizeof(frame), MSG_DONTWAIT);
		if (n > 0) {
			f->bytes += n;
			if (n < (ssize_t)sizeof(frame))
				break; /* the stream is now mid-frame: stop here */
		} else {
			usleep(10 * 1000);
		}
	}
	return NULL;
}

/*
 * Peers flood a REP that nobody reads: what the kernel holds per peer
 * stays bounded (the REP's receive queue, one held message, and TCP's
 * receive buffer), and it all goes away on close.
 */
TEST_F_TIMEOUT(scale, flooding_peers_are_bounded, 300)
{
	enum { PEERS = 8 };
	struct flood f[PEERS];
	volatile int stop = 0;
	long long base, mid, late, free0, free1, sent = 0;
	long sp_base, i;
	unsigned char hdr[8];
	int rep, rcvbuf = 256 * 1024;
	uint16_t port;

	base = slab_base(&sp_base);
	if (base < 0)
		SKIP(return, "no /proc/slabinfo");
	free0 = meminfo("MemFree");
	rep = sp_listen_any(SOCK_REP, &port);
	ASSERT_LE(0, rep);
	ASSERT_EQ(0, setsockopt(rep, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)));
	for (i = 0; i < PEERS; i++) {
		int sndbuf = 64 * 1024;

		f[i].fd = sp_raw_connect(port);
		ASSERT_LE(0, f[i].fd);
		/* A fixed send buffer: count what the receiving side holds. */
		ASSERT_EQ(0, setsockopt(f[i].fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)));
		sp_header(hdr, SP_PROTO_REQ);
		ASSERT_EQ(8, write(f[i].fd, hdr, 8));
		ASSERT_EQ(8, sp_read_full(f[i].fd, hdr, 8, 10000));
		f[i].stop = &stop;
		f[i].bytes = 0;
		ASSERT_EQ(0, pthread_create(&f[i].thr, NULL, flood_loop, &f[i]));
	}
	sleep(2);
	mid = slab_bytes(&(long){0});
	sleep(2);
	late = slab_bytes(&(long){0});
	free1 = meminfo("MemFree");
	stop = 1;
	for (i = 0; i < PEERS; i++) {
		pthread_join(f[i].thr, NULL);
		sent += f[i].bytes;
	}
	TH_LOG("%d peers wrote %lld KiB into an unread REP; live slab +%lld KiB at 2 s, +%lld KiB at 4 s; MemFree -%lld KiB (%lld KiB per peer)",
	       PEERS, sent / 1024, (mid - base) / 1024, (late - base) / 1024,
	       (free0 - free1) / 1024, (free0 - free1) / 1024 / PEERS);
	/* The flood stalled: TCP and the REP hold a bounded amount. */
	EXPECT_LT(sent, 64LL * 1024 * 1024);
	/* No growth once stalled, and a bounded amount per peer. */
	EXPECT_LE(late, mid + SLAB_SLACK);
	EXPECT_LT(free0 - free1, PEERS * 2LL * 1024 * 1024);
	for (i = 0; i < PEERS; i++)
		close(f[i].fd);
	close(rep);
	slab_settle(_metadata, base, sp_base);
}

TEST_HARNESS_MAIN
