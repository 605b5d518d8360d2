// SPDX-License-Identifier: GPL-2.0
/*
 * Scale and memory: many sp sockets in one process, many connections to
 * one REP, kernel memory back to its baseline once everything is closed,
 * and bounded memory per peer while peers flood a socket nobody reads.
 *
 * SP_SCALE_CONNS sets the connections to one REP (default 200; 'make
 * stress' uses 10000), SP_SCALE_SOCKETS the sp sockets (default 200).
 *
 * The counts come from /proc/slabinfo: sp's socks live in the "SP" cache
 * (its struct proto's slab) and every TCP sock, user or kernel, in "TCP".
 * The VM boots with slab_nomerge so that "SP" is not merged into another
 * cache; a missing "SP" line is a failure. The baselines are global: run
 * this program alone, not beside other sp programs.
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

/* Live objects of the caches the tests count; -1 when a cache is absent. */
struct objs {
	long sp;	/* "SP": sp's socks */
	long tcp;	/* "TCP": TCP socks, user and kernel (sp's pipes) */
};

/*
 * Bytes of live slab objects (active_objs * objsize) from /proc/slabinfo,
 * leaving out what tcp_timed() names. The live objects of "SP" and "TCP"
 * go to *@o; each cache's bytes to @snap if set. -1 without slabinfo.
 */
static long long slab_bytes_snap(struct objs *o, struct slab_snap *snap)
{
	FILE *f;
	char line[512], name[128];
	long active, total, size;
	long long sum = 0;

	shrink_slabs();
	f = fopen("/proc/slabinfo", "r");
	if (!f)
		return -1;
	o->sp = o->tcp = -1;
	if (snap)
		snap->n = 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%127s %ld %ld %ld", name, &active, &total, &size) != 4)
			continue;
		if (tcp_timed(name))
			continue;
		if (!strcmp(name, "SP"))
			o->sp = active;
		if (!strcmp(name, "TCP"))
			o->tcp = active;
		sum += (long long)active * size;
		if (snap && snap->n < 512) {
			snprintf(snap->c[snap->n].name, sizeof(snap->c[0].name), "%s", name);
			snap->c[snap->n++].bytes = (long long)active * size;
		}
	}
	fclose(f);
	return sum;
}

static long long slab_bytes(struct objs *o)
{
	return slab_bytes_snap(o, NULL);
}

/*
 * The baseline, remembered for slab_settle()'s report. Fails the test
 * (returns -1) without slabinfo or without sp's "SP" cache in it.
 */
static long long slab_base(struct __test_metadata *_metadata, struct objs *o)
{
	long long b = slab_bytes_snap(o, &snap_base);

	EXPECT_LE(0, b) TH_LOG("no /proc/slabinfo");
	if (b < 0)
		return -1;
	EXPECT_LE(0, o->sp) TH_LOG("no \"SP\" cache in /proc/slabinfo: merged away (boot with slab_nomerge)?");
	EXPECT_LE(0, o->tcp) TH_LOG("no \"TCP\" cache in /proc/slabinfo");
	return o->sp < 0 || o->tcp < 0 ? -1 : b;
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
	struct objs o = { 0 };
	long long now = 0;
	long sp = 0;
	int i, j;

	for (i = 0; i < 60; i++) {
		now = slab_bytes_snap(&o, &snap_now);
		sp = o.sp;
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
	EXPECT_LE(0, sp);
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
	int most = 65536;

	memset(s, 0, sizeof(*s));
	s->fd = sp_listen_any(SOCK_REP, port);
	if (s->fd < 0)
		return -1;
	/* 'make stress' holds 10000 connections: past the default 1024. */
	if (setsockopt(s->fd, SOL_SP, SP_MAXPIPES, &most, sizeof(most)))
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
 * The slab baseline (*@base, *@ob), room for @n descriptors, a REP
 * answering on *@port, and @n slots for the peers. NULL when the test
 * failed (no slabinfo, no "SP" cache, no REP).
 */
static int *scale_start(struct __test_metadata *_metadata, long n, struct server *s,
			uint16_t *port, long long *base, struct objs *ob)
{
	int *fds;

	*base = slab_base(_metadata, ob);
	if (*base < 0)
		return NULL;
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

/*
 * Slack, in objects, for socks that are not the test's own (TCP socks of
 * earlier connections still closing).
 */
#define OBJ_SLACK	8

/*
 * Live slab per sp socket or connection while all are up, both ends and
 * their pipes counted, at most. The debug kernel (KASAN redzones,
 * kmemleak, lockdep) measures about 38 KiB per REQ socket with its pipe
 * and 21 KiB per raw connection to a REP; the bound is 2.5 times that.
 */
#define PER_CONN_MAX	(96 * 1024)

/* The scale runs take longer than the harness's default 30 s. */
FIXTURE(scale) {};
FIXTURE_SETUP(scale) {}
FIXTURE_TEARDOWN(scale) {}

/* SP_SCALE_SOCKETS REQ sockets in this process, each with its own pipe. */
TEST_F_TIMEOUT(scale, sockets_in_one_process, 900)
{
	long n = sp_env_long("SP_SCALE_SOCKETS", 200), i, ok = 0;
	struct objs ob, op;
	long long base, peak;
	struct server s;
	uint16_t port;
	int *fds;

	fds = scale_start(_metadata, n, &s, &port, &base, &ob);
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
	peak = slab_bytes(&op);
	TH_LOG("%ld sp REQ sockets, %ld round trips; live slab +%lld KiB (%lld B per socket and pipe pair); SP socks %ld -> %ld, TCP socks %ld -> %ld",
	       n, ok, (peak - base) / 1024, (peak - base) / n, ob.sp, op.sp, ob.tcp, op.tcp);
	EXPECT_EQ(n, ok);
	/* Every REQ and the REP is one "SP" sock, and nothing else is. */
	EXPECT_LE(ob.sp + n + 1, op.sp);
	EXPECT_GE(ob.sp + n + 1 + OBJ_SLACK, op.sp);
	/* Each pipe is two TCP socks, the dialled and the accepted one. */
	EXPECT_LE(ob.tcp + 2 * n + 1 - OBJ_SLACK, op.tcp);
	EXPECT_GE(ob.tcp + 2 * n + 1 + OBJ_SLACK, op.tcp);
	EXPECT_GE((long long)PER_CONN_MAX * n, peak - base);
	for (i = 0; i < n; i++)
		close(fds[i]);
	stop_rep(&s);
	free(fds);
	slab_settle(_metadata, base, ob.sp);
}

/*
 * SP_SCALE_CONNS raw TCP peers speaking REQ to one sp REP: all complete
 * the handshake and stay connected at once, and a sample of them gets
 * answers while all are held.
 */
TEST_F_TIMEOUT(scale, connections_to_one_rep, 900)
{
	long n = sp_env_long("SP_SCALE_CONNS", 200), i, up = 0, answered = 0, sampled = 0;
	struct objs ob, op;
	long long base, peak;
	int64_t t0, t1;
	unsigned char hdr[8], mine[8];
	struct server s;
	uint16_t port;
	int *fds;

	fds = scale_start(_metadata, n, &s, &port, &base, &ob);
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
	peak = slab_bytes(&op);
	TH_LOG("%ld connections held by one REP (all up in %lld ms), %ld/%ld sampled requests answered; live slab +%lld KiB (%lld B per connection, both ends); SP socks %ld -> %ld, TCP socks %ld -> %ld",
	       up, (long long)(t1 - t0), answered, sampled, (peak - base) / 1024, (peak - base) / n,
	       ob.sp, op.sp, ob.tcp, op.tcp);
	/* One "SP" sock, the REP, however many peers it holds ... */
	EXPECT_LE(ob.sp + 1, op.sp);
	EXPECT_GE(ob.sp + 1 + OBJ_SLACK, op.sp);
	/* ... and two TCP socks per connection, the peer's and the REP's. */
	EXPECT_LE(ob.tcp + 2 * n + 1 - OBJ_SLACK, op.tcp);
	EXPECT_GE(ob.tcp + 2 * n + 1 + OBJ_SLACK, op.tcp);
	EXPECT_GE((long long)PER_CONN_MAX * n, peak - base);
	for (i = 0; i < n; i++)
		close(fds[i]);
	stop_rep(&s);
	free(fds);
	slab_settle(_metadata, base, ob.sp);
}

enum { FRAME = 8 + 4096 };

struct flood {
	int fd, err;
	volatile int *stop;
	long long bytes;	/* written so far, read by the main thread */
	long eagain;		/* sends that found no room */
	pthread_t thr;
};

/*
 * Writes valid 4 KiB requests for as long as it is told, without ever
 * giving up: a partial send goes on from where it stopped, and a send
 * that finds no room (EAGAIN) waits for POLLOUT and retries, so the
 * kernel takes everything it is willing to take.
 */
static void *flood_loop(void *arg)
{
	struct flood *f = arg;
	unsigned char frame[FRAME];
	uint32_t id = 0;
	size_t off = 0;

	memset(frame, 0xa5, sizeof(frame));
	sp_be64(frame, FRAME - 8);
	while (!*f->stop) {
		ssize_t n;

		if (off == 0) {
			frame[8] = 0x80; frame[9] = id >> 16; frame[10] = id >> 8; frame[11] = id;
			id++;
		}
		n = send(f->fd, frame + off, FRAME - off, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			off = (off + n) % FRAME;
			__atomic_add_fetch(&f->bytes, n, __ATOMIC_RELAXED);
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			f->eagain++;
			sp_poll1(f->fd, POLLOUT, 20);
		} else {
			f->err = n < 0 ? errno : EPIPE;
			break;
		}
	}
	return NULL;
}

static long long flood_sent(struct flood *f, int n)
{
	long long sum = 0;
	int i;

	for (i = 0; i < n; i++)
		sum += __atomic_load_n(&f[i].bytes, __ATOMIC_RELAXED);
	return sum;
}

/*
 * Peers flood a REP that nobody reads, each writing for as long as the
 * kernel takes data: the flood stalls (the REP's receive queue, one held
 * message per pipe and TCP's buffers fill, and then nothing more is
 * taken), what it wrote is bounded by those buffers, live slab stays
 * bounded and stops growing, and it all goes away on close.
 */
TEST_F_TIMEOUT(scale, flooding_peers_are_bounded, 300)
{
	enum { PEERS = 8 };
	struct flood f[PEERS];
	volatile int stop = 0;
	long long base, mid, late, free0, free1, sent = 0, sent_mid = 0, last;
	long long rmem_max, bound_sent, bound_slab;
	int64_t t0, t_last, t_stall = -1;
	struct objs ob, o;
	unsigned char hdr[8];
	int rep, rcvbuf = 256 * 1024, sndbuf = 0, i;
	socklen_t sl = sizeof(rcvbuf);
	uint16_t port;

	base = slab_base(_metadata, &ob);
	if (base < 0)
		return;
	rmem_max = sp_sysctl_field("/proc/sys/net/ipv4/tcp_rmem", 2);
	ASSERT_LT(0, rmem_max);
	free0 = meminfo("MemFree");
	rep = sp_listen_any(SOCK_REP, &port);
	ASSERT_LE(0, rep);
	ASSERT_EQ(0, setsockopt(rep, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)));
	ASSERT_EQ(0, getsockopt(rep, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &sl));
	for (i = 0; i < PEERS; i++) {
		int want = 64 * 1024;

		f[i].fd = sp_raw_connect(port);
		ASSERT_LE(0, f[i].fd);
		/* A fixed send buffer: count what the receiving side holds. */
		ASSERT_EQ(0, setsockopt(f[i].fd, SOL_SOCKET, SO_SNDBUF, &want, sizeof(want)));
		sl = sizeof(sndbuf);
		ASSERT_EQ(0, getsockopt(f[i].fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, &sl));
		sp_header(hdr, SP_PROTO_REQ);
		ASSERT_EQ(8, write(f[i].fd, hdr, 8));
		ASSERT_EQ(8, sp_read_full(f[i].fd, hdr, 8, 10000));
		f[i].stop = &stop;
		f[i].bytes = 0;
		f[i].eagain = 0;
		f[i].err = 0;
	}
	for (i = 0; i < PEERS; i++)
		ASSERT_EQ(0, pthread_create(&f[i].thr, NULL, flood_loop, &f[i]));

	/* Until nothing more is taken for a second, or 60 s. */
	t0 = t_last = sp_now_ms();
	last = 0;
	while (sp_now_ms() - t0 < 60000) {
		usleep(100 * 1000);
		sent = flood_sent(f, PEERS);
		if (sent != last) {
			last = sent;
			t_last = sp_now_ms();
		} else if (sp_now_ms() - t_last >= 1000) {
			t_stall = t_last - t0;
			break;
		}
	}
	EXPECT_LE(0, t_stall) TH_LOG("the flood never stalled: %lld KiB taken in 60 s", sent / 1024);
	sent_mid = flood_sent(f, PEERS);
	mid = slab_bytes(&o);
	sleep(2);
	late = slab_bytes(&o);
	free1 = meminfo("MemFree");
	sent = flood_sent(f, PEERS);
	stop = 1;
	for (i = 0; i < PEERS; i++)
		pthread_join(f[i].thr, NULL);
	/*
	 * At most: the REP's queue (SO_RCVBUF bytes) and two messages per
	 * pipe (the one held back and the one being read) on the sp side;
	 * the peer's send buffer and the pipe's TCP receive buffer (which
	 * may grow up to tcp_rmem[2]) per peer.
	 */
	bound_sent = rcvbuf + PEERS * (2LL * FRAME + sndbuf + rmem_max);
	/* sp's queue at twice its size (allocator rounding, KASAN) and skbs. */
	bound_slab = 2LL * (rcvbuf + PEERS * 2LL * FRAME) + PEERS * 256LL * 1024 + SLAB_SLACK;
	TH_LOG("%d peers wrote %lld KiB into an unread REP (stalled after %lld ms, bound %lld KiB), %lld KiB more in 2 s; live slab +%lld KiB at the stall, +%lld KiB 2 s later (bound %lld KiB); MemFree -%lld KiB (%lld KiB per peer); SP socks %ld -> %ld",
	       PEERS, sent / 1024, (long long)t_stall, bound_sent / 1024, (sent - sent_mid) / 1024,
	       (mid - base) / 1024, (late - base) / 1024, bound_slab / 1024,
	       (free0 - free1) / 1024, (free0 - free1) / 1024 / PEERS, ob.sp, o.sp);
	for (i = 0; i < PEERS; i++) {
		/* Every writer pushed, met a full pipe, and stayed connected. */
		EXPECT_LE(FRAME, f[i].bytes) TH_LOG("peer %d wrote %lld B", i, f[i].bytes);
		EXPECT_LT(0, f[i].eagain) TH_LOG("peer %d never found the pipe full", i);
		EXPECT_EQ(0, f[i].err) TH_LOG("peer %d: %s", i, strerror(f[i].err));
	}
	/* What the kernel took is bounded by the buffers on the way. */
	EXPECT_GE(bound_sent, sent);
	/* Once stalled it takes no more than a frame per peer ... */
	EXPECT_GE((long long)PEERS * FRAME, sent - sent_mid);
	/* ... and what sp and TCP hold is bounded and does not grow. */
	EXPECT_GE(base + bound_slab, mid);
	EXPECT_GE(mid + SLAB_SLACK, late);
	EXPECT_GT(PEERS * 2LL * 1024 * 1024, free0 - free1);
	/* The REP is the only sp sock: the peers are raw TCP. */
	EXPECT_GE(ob.sp + 1 + OBJ_SLACK, o.sp);
	for (i = 0; i < PEERS; i++)
		close(f[i].fd);
	close(rep);
	slab_settle(_metadata, base, ob.sp);
}

TEST_HARNESS_MAIN
