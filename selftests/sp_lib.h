/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by the sp selftests. */
#ifndef SP_LIB_H
#define SP_LIB_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netinet/sp.h>

/* IPv4 address @ip (dotted quad), port @port. */
static inline struct sockaddr_in sp_in4(const char *ip, uint16_t port)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = inet_addr(ip);
	return sin;
}

static inline struct sockaddr_in sp_loopback(uint16_t port)
{
	return sp_in4("127.0.0.1", port);
}

static inline int sp_set_timeo(int fd, int opt, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	return setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv));
}

/* Sets both SO_RCVTIMEO and SO_SNDTIMEO of @fd to @ms (errors ignored). */
static inline void sp_set_timeouts(int fd, int ms)
{
	sp_set_timeo(fd, SO_RCVTIMEO, ms);
	sp_set_timeo(fd, SO_SNDTIMEO, ms);
}

/* Binds sp socket @fd to 127.0.0.1:0, its port to *@port: @fd, or -1 (closed). */
static inline int sp_bind_any(int fd, uint16_t *port)
{
	struct sockaddr_in sin = sp_loopback(0);
	socklen_t len = sizeof(sin);

	*port = 0;
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    getsockname(fd, (struct sockaddr *)&sin, &len)) {
		close(fd);
		return -1;
	}
	*port = ntohs(sin.sin_port);
	return fd;
}

/* A socket of @type bound to 127.0.0.1:0; its port goes to *@port. */
static inline int sp_listen_any(int type, uint16_t *port)
{
	return sp_bind_any(socket(PF_SP, type, 0), port);
}

/* Adds a dialer to 127.0.0.1:@port on sp socket @fd (one of many); 0 or -1. */
static inline int sp_connect_port(int fd, uint16_t port)
{
	struct sockaddr_in sin = sp_loopback(port);

	return connect(fd, (struct sockaddr *)&sin, sizeof(sin));
}

/* A @family socket of @type and @proto connected to 127.0.0.1:@port, or -1. */
static inline int sp_inet_dial(int family, int type, int proto, uint16_t port)
{
	struct sockaddr_in sin = sp_loopback(port);
	int fd = socket(family, type, proto);

	if (fd >= 0 && connect(fd, (struct sockaddr *)&sin, sizeof(sin))) {
		close(fd);
		return -1;
	}
	return fd;
}

static inline int sp_dial(int type, uint16_t port)
{
	int fd = socket(PF_SP, type, 0);

	if (fd < 0)
		return -1;
	if (sp_connect_port(fd, port)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* An int SOL_SP option of @fd: set to @val, or read into *@val; 0 or -1. */
static inline int sp_setsockopt_int(int fd, int name, int val)
{
	return setsockopt(fd, SOL_SP, name, &val, sizeof(val));
}

static inline int sp_getsockopt_int(int fd, int name, int *val)
{
	socklen_t len = sizeof(*val);

	if (getsockopt(fd, SOL_SP, name, val, &len))
		return -1;
	return len == sizeof(*val) ? 0 : -1;
}

/* Milliseconds on the monotonic clock. */
static inline int64_t sp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits up to @ms for @events on @fd; returns revents or 0. */
static inline int sp_poll1(int fd, short events, int ms)
{
	struct pollfd p = { .fd = fd, .events = events };

	if (poll(&p, 1, ms) <= 0)
		return 0;
	return p.revents;
}

/* A raw TCP connection to 127.0.0.1:@port, blocking. */
static inline int sp_raw_connect(uint16_t port)
{
	struct sockaddr_in sin = sp_loopback(port);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin))) {
		close(fd);
		return -1;
	}
	return fd;
}

static inline void sp_header(unsigned char h[8], uint16_t proto)
{
	h[0] = 0; h[1] = 'S'; h[2] = 'P'; h[3] = 0;
	h[4] = proto >> 8; h[5] = proto & 0xff; h[6] = 0; h[7] = 0;
}

static inline void sp_be64(unsigned char b[8], uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		b[i] = v & 0xff;
}

/* Reads exactly @len bytes with a timeout; returns bytes read (less at EOF). */
static inline ssize_t sp_read_full(int fd, void *buf, size_t len, int ms)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n;

		if (!(sp_poll1(fd, POLLIN, ms) & (POLLIN | POLLHUP | POLLERR)))
			break;
		n = read(fd, (char *)buf + got, len - got);
		if (n <= 0)
			break;
		got += n;
	}
	return got;
}

/* Whether the peer closed @fd within @ms (EOF or reset). */
static inline int sp_peer_closed(int fd, int ms)
{
	char c;
	int64_t end = sp_now_ms() + ms;

	while (sp_now_ms() < end) {
		ssize_t n;

		if (!sp_poll1(fd, POLLIN, end - sp_now_ms()))
			continue;
		n = recv(fd, &c, 1, MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return 1;
	}
	return 0;
}

/*
 * An iteration count from the environment, or @dflt. The defaults are
 * short (a 'make check' run); 'make stress' sets the long values.
 */
static inline long sp_env_long(const char *name, long dflt)
{
	const char *e = getenv(name);

	return e && *e ? atol(e) : dflt;
}

/* SP_STATS of @fd into *@st; 0 or -1. */
static inline int sp_stats(int fd, struct sp_stats *st)
{
	socklen_t len = sizeof(*st);

	memset(st, 0, sizeof(*st));
	if (getsockopt(fd, SOL_SP, SP_STATS, st, &len) || len != sizeof(*st))
		return -1;
	return 0;
}

/*
 * Whether task @tid (a pid, or a thread of this process) is asleep inside
 * system call @nr: its state is S in /proc/.../stat and /proc/.../syscall
 * names @nr. Gives up after @ms; 1 if it is, 0 if not.
 */
static inline int sp_blocked_in(pid_t tid, long nr, int ms)
{
	int64_t end = sp_now_ms() + ms;
	char path[64], buf[512];

	do {
		char state = 0, *p;
		long cur = -2;
		ssize_t n;
		int fd;

		snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)getpid(), (int)tid);
		fd = open(path, O_RDONLY);
		if (fd < 0) {
			snprintf(path, sizeof(path), "/proc/%d/stat", (int)tid);
			fd = open(path, O_RDONLY);
		}
		if (fd >= 0) {
			n = read(fd, buf, sizeof(buf) - 1);
			close(fd);
			buf[n > 0 ? n : 0] = 0;
			p = strrchr(buf, ')');
			if (p && p[1] == ' ')
				state = p[2];
		}
		*strrchr(path, '/') = 0;
		strcat(path, "/syscall");
		fd = open(path, O_RDONLY);
		if (fd >= 0) {
			n = read(fd, buf, sizeof(buf) - 1);
			close(fd);
			buf[n > 0 ? n : 0] = 0;
			if (n > 0 && buf[0] != 'r')	/* not "running" */
				cur = strtol(buf, NULL, 10);
		}
		if (state == 'S' && cur == nr)
			return 1;
		usleep(10 * 1000);
	} while (sp_now_ms() < end);
	return 0;
}

/* An int socket option: 0, or -1 with errno (ERANGE for a short answer). */
static inline int sp_get_int(int fd, int level, int name, int *v)
{
	socklen_t len = sizeof(*v);
	int ret = getsockopt(fd, level, name, v, &len);

	if (!ret && len != sizeof(*v))
		return errno = ERANGE, -1;
	return ret;
}

static inline int sp_set_int(int fd, int level, int name, int v)
{
	return setsockopt(fd, level, name, &v, sizeof(v));
}

/* A number from a /proc/sys file with several (field @k, from 0); -1. */
static inline long long sp_sysctl_field(const char *path, int k)
{
	FILE *f = fopen(path, "r");
	long long v = -1;

	if (!f)
		return -1;
	while (k-- >= 0)
		if (fscanf(f, "%lld", &v) != 1) {
			v = -1;
			break;
		}
	fclose(f);
	return v;
}

/* Waits up to @ms for child @pid to end; its wait status, or -1. */
static inline int sp_reap_within(pid_t pid, int ms)
{
	int64_t end = sp_now_ms() + ms;
	int status;

	do {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return status;
		if (r < 0)
			return -1;
		usleep(5000);
	} while (sp_now_ms() < end);
	return -1;
}

/*
 * Reaps child @pid, sent SIGKILL, within @ms: its wait status, or -1 (then
 * it is killed again and reaped, however long that takes).
 */
static inline int sp_reap_killed(pid_t pid, int ms)
{
	int st = sp_reap_within(pid, ms);

	if (st == -1) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	return st;
}

/* Whether wait status @st (-1: none) is that of a death by SIGKILL. */
static inline int sp_sigkilled(int st)
{
	return st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
}

/*
 * A child that sends @msg on @fd, or (@msg NULL) receives on it, and exits
 * 0 if the call returns: one to be found asleep in it. Its pid, or -1.
 */
static inline pid_t sp_fork_blocked(int fd, const char *msg)
{
	pid_t pid = fork();

	if (pid == 0) {
		char buf[8];

		if (msg)
			send(fd, msg, strlen(msg), 0);
		else
			recv(fd, buf, sizeof(buf), 0);
		_exit(0);
	}
	return pid;
}

/*
 * Ends children @pid[0..@n) asleep in sp calls: after @ms_asleep more, each
 * must not have ended (waitpid()'s WNOHANG answer to @ended[i]: 0 if not)
 * and is sent SIGKILL; then each is reaped within @ms, its wait status to
 * @st[i] (sp_reap_killed()).
 */
static inline void sp_kill_asleep(const pid_t *pid, int n, int ms_asleep, int ms,
				  pid_t *ended, int *st)
{
	int i;

	usleep(ms_asleep * 1000);
	for (i = 0; i < n; i++) {
		ended[i] = waitpid(pid[i], NULL, WNOHANG);
		kill(pid[i], SIGKILL);
	}
	for (i = 0; i < n; i++)
		st[i] = sp_reap_killed(pid[i], ms);
}

static inline void sp_on_alarm(int sig)
{
	(void)sig;
}

/* SIGALRM to interrupt blocked calls: no SA_RESTART, they fail with EINTR. */
static inline int sp_no_restart_alarm(void)
{
	struct sigaction sa = { .sa_handler = sp_on_alarm };

	return sigaction(SIGALRM, &sa, NULL);
}

/*
 * send() of @out on @fd or, @out NULL, recv() into @in, blocking, with
 * SIGALRM due in 1 s (see sp_no_restart_alarm()); @len bytes. The call's
 * result, errno kept; the alarm is cancelled.
 */
static inline ssize_t sp_alarmed(int fd, void *in, const void *out, size_t len)
{
	ssize_t n;
	int err;

	alarm(1);
	n = out ? send(fd, out, len, 0) : recv(fd, in, len, 0);
	err = errno;
	alarm(0);
	errno = err;
	return n;
}

/* Waits for a thread to store its tid at @tid (atomically, release); the tid. */
static inline pid_t sp_await_tid(pid_t *tid)
{
	pid_t t;

	while (!(t = __atomic_load_n(tid, __ATOMIC_ACQUIRE)))
		usleep(1000);
	return t;
}

/* The SP handshake as @proto on raw TCP @fd: sp's header into @h within 5 s; 0 or -1. */
static inline int sp_raw_handshake(int fd, uint16_t proto, unsigned char h[8])
{
	sp_header(h, proto);
	return write(fd, h, 8) == 8 && sp_read_full(fd, h, 8, 5000) == 8 ? 0 : -1;
}

/*
 * A raw TCP peer of @port that has done the SP handshake as @proto (it
 * sent its header and read sp's into @h); the fd, or -1.
 */
static inline int sp_raw_hello(uint16_t port, uint16_t proto, unsigned char h[8])
{
	int fd = sp_raw_connect(port);

	if (fd < 0)
		return -1;
	if (sp_raw_handshake(fd, proto, h)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The same, sp's header not kept. */
static inline int sp_raw_peer(uint16_t port, uint16_t proto)
{
	unsigned char h[8];

	return sp_raw_hello(port, proto, h);
}

/* A socket of @type in raw mode, or -1. */
static inline int sp_raw_socket(int type)
{
	int fd = socket(AF_SP, type, IPPROTO_TCP);

	if (fd < 0)
		return -1;
	if (sp_set_int(fd, SOL_SP, SP_RAW, 1)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A raw socket of @type listening on loopback, 5 s timeouts; its port in *@port. */
static inline int sp_raw_listen(int type, uint16_t *port)
{
	int fd = sp_bind_any(sp_raw_socket(type), port);

	if (fd >= 0)
		sp_set_timeouts(fd, 5000);
	return fd;
}

/* A raw socket of @type dialing @port, 5 s timeouts. */
static inline int sp_raw_dial(int type, uint16_t port)
{
	int fd = sp_raw_socket(type);

	if (fd < 0)
		return -1;
	if (sp_connect_port(fd, port)) {
		close(fd);
		return -1;
	}
	sp_set_timeouts(fd, 5000);
	return fd;
}

/* sendmsg() of @body behind the SP header @hdr (@hlen bytes, -1 for none). */
static inline ssize_t sp_send_hdr(int fd, const void *hdr, int hlen, const void *body, size_t len)
{
	char ctl[CMSG_SPACE(1100)];
	struct iovec iov = { (void *)body, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	if (hlen >= 0) {
		memset(ctl, 0, sizeof(ctl));
		mh.msg_control = ctl;
		mh.msg_controllen = CMSG_SPACE(hlen);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SP;
		c->cmsg_type = SP_HDR;
		c->cmsg_len = CMSG_LEN(hlen);
		memcpy(CMSG_DATA(c), hdr, hlen);
	}
	return sendmsg(fd, &mh, 0);
}

/*
 * recvmsg() of a body into @body (@max bytes) and its SP header into @hdr
 * (room for @hmax bytes); the header's length in *@hlen (0 without one),
 * and MSG_CTRUNC in *@flags; recvmsg() takes @rflags. The body's length,
 * or -1.
 */
static inline ssize_t sp_recv_hdr_flags(int fd, void *hdr, size_t hmax, int *hlen, void *body,
					size_t max, int *flags, int rflags)
{
	char ctl[CMSG_SPACE(1100)];
	struct iovec iov = { body, max };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl, .msg_controllen = CMSG_SPACE(hmax),
	};
	struct cmsghdr *c;
	ssize_t n;

	if (hmax > 1100)
		return -1;
	n = recvmsg(fd, &mh, rflags);
	if (n < 0)
		return -1;
	*hlen = 0;
	*flags = mh.msg_flags;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SP || c->cmsg_type != SP_HDR)
			return -1;
		*hlen = c->cmsg_len - CMSG_LEN(0);
		memcpy(hdr, CMSG_DATA(c), *hlen);
	}
	return n;
}

/* sp_recv_hdr_flags() with no flags for recvmsg(). */
static inline ssize_t sp_recv_hdr(int fd, void *hdr, size_t hmax, int *hlen, void *body, size_t max,
				  int *flags)
{
	return sp_recv_hdr_flags(fd, hdr, hmax, hlen, body, max, flags, 0);
}

/*
 * A @type socket listening on loopback with @ms timeouts, and in *@raw a
 * raw TCP peer that has done the handshake with it as @proto (sp's header
 * in @h). The sp socket, or -1 with nothing left open.
 */
static inline int sp_raw_listener(int type, uint16_t proto, int ms, int *raw, unsigned char h[8])
{
	uint16_t port;
	int fd = sp_listen_any(type, &port);

	if (fd < 0)
		return -1;
	sp_set_timeouts(fd, ms);
	*raw = sp_raw_hello(port, proto, h);
	if (*raw < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * A star: a @hub type socket listening on loopback, and @n sockets of type
 * @leaf dialing it into @leaves[], all with @ms timeouts. The hub, or -1
 * with nothing left open.
 */
static inline int sp_star(int hub, int leaf, int *leaves, int n, int ms)
{
	uint16_t port;
	int fd = sp_listen_any(hub, &port), i;

	if (fd < 0)
		return -1;
	sp_set_timeouts(fd, ms);
	for (i = 0; i < n; i++) {
		leaves[i] = sp_dial(leaf, port);
		if (leaves[i] < 0) {
			while (i--)
				close(leaves[i]);
			close(fd);
			return -1;
		}
		sp_set_timeouts(leaves[i], ms);
	}
	return fd;
}

/*
 * Sends @len bytes of @msg from @fd until @peer has something to read
 * (waiting @ms after each send), @tries times at most: 0 once it has, 1 if
 * it never did, -1 if a send did not take the whole message.
 */
static inline int sp_send_until_readable(int fd, const void *msg, size_t len, int peer,
					 int tries, int ms)
{
	int i;

	for (i = 0; i < tries; i++) {
		if (send(fd, msg, len, 0) != (ssize_t)len)
			return -1;
		if (sp_poll1(peer, POLLIN, ms) & POLLIN)
			return 0;
	}
	return 1;
}

/*
 * A writer thread that sends @len bytes of @buf on @fd in @chunk-byte
 * writes with @us microseconds between them (TCP_NODELAY: each write its
 * own segment), so that the receiver sees a frame cut anywhere.
 */
struct sp_dribble {
	pthread_t tid;
	int fd;
	const unsigned char *buf;
	size_t len, chunk;
	int us, err;
};

static inline void *sp_dribble_run(void *arg)
{
	struct sp_dribble *d = arg;
	size_t off = 0;

	while (off < d->len) {
		size_t n = d->len - off < d->chunk ? d->len - off : d->chunk;

		if (write(d->fd, d->buf + off, n) != (ssize_t)n) {
			d->err = errno ? errno : EIO;
			break;
		}
		off += n;
		usleep(d->us);
	}
	return NULL;
}

static inline int sp_dribble_start(struct sp_dribble *d, int fd, const void *buf, size_t len,
				   size_t chunk, int us)
{
	int one = 1;

	*d = (struct sp_dribble){ .fd = fd, .buf = buf, .len = len, .chunk = chunk, .us = us };
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
		return -1;
	return pthread_create(&d->tid, NULL, sp_dribble_run, d) ? -1 : 0;
}

/* Waits for the writer; 0 if it wrote everything. */
static inline int sp_dribble_join(struct sp_dribble *d)
{
	pthread_join(d->tid, NULL);
	return d->err ? -1 : 0;
}

/* Writes one frame (length, then @body) of up to 1024 bytes; 0 or -1. */
static inline int sp_raw_send(int fd, const void *body, size_t len)
{
	unsigned char f[8 + 1024];

	if (len > sizeof(f) - 8)
		return -1;
	sp_be64(f, len);
	memcpy(f + 8, body, len);
	return write(fd, f, 8 + len) == (ssize_t)(8 + len) ? 0 : -1;
}

/*
 * Reads one frame within @ms into @body (room for @max bytes); its length,
 * or -1 on a timeout, EOF or a frame longer than @max.
 */
static inline ssize_t sp_raw_recv(int fd, void *body, size_t max, int ms)
{
	unsigned char l[8];
	uint64_t len = 0;
	int i;

	if (sp_read_full(fd, l, 8, ms) != 8)
		return -1;
	for (i = 0; i < 8; i++)
		len = len << 8 | l[i];
	if (len > max || sp_read_full(fd, body, len, ms) != (ssize_t)len)
		return -1;
	return len;
}

/*
 * Sends numbered messages of @len bytes (the number first, from *@next
 * on) with MSG_DONTWAIT until EAGAIN, and again after pauses until three
 * pauses in a row bring no room: the receiver has stalled, TCP's buffers
 * are full, and so is sp's send queue. Stops after @max. Returns how many
 * were accepted, -1 on another error.
 */
static inline int sp_fill(int fd, char *buf, size_t len, int *next, int max)
{
	int n = 0, idle = 0;

	while (idle < 3 && n < max) {
		memcpy(buf, next, sizeof(*next));
		if (send(fd, buf, len, MSG_DONTWAIT) == (ssize_t)len) {
			(*next)++;
			n++;
			idle = 0;
			continue;
		}
		if (errno != EAGAIN)
			return -1;
		idle++;
		usleep(100000);
	}
	return n;
}

/* Receives numbered messages from @first on; returns how many came in order. */
static inline int sp_drain_numbered(int fd, char *buf, size_t len, int first, int max)
{
	int got = 0, v;

	while (got < max) {
		if (recv(fd, buf, len, 0) != (ssize_t)len)
			break;
		memcpy(&v, buf, sizeof(v));
		if (v != first + got)
			break;
		got++;
	}
	return got;
}

/*
 * Serves @n requests on REP @rep, each a 4-byte number answered with that
 * number plus one (the 16-client tests); returns how many were served.
 */
static inline int sp_serve_increments(int rep, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		uint32_t q;

		if (recv(rep, &q, sizeof(q), 0) != sizeof(q))
			break;
		q++;
		if (send(rep, &q, sizeof(q), 0) != sizeof(q))
			break;
	}
	return i;
}

/* A TCP listener on 127.0.0.1:0 with @backlog; its address to *@sin. */
static inline int sp_tcp_listen(struct sockaddr_in *sin, int backlog)
{
	socklen_t len = sizeof(*sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	*sin = sp_loopback(0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)sin, sizeof(*sin)) || listen(fd, backlog) ||
	    getsockname(fd, (struct sockaddr *)sin, &len)) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * A @ltype socket listening on loopback in *@l (its port in *@port) and a
 * @dtype socket dialing it in *@d; 0, or -1 with nothing left open.
 */
static inline int sp_listen_dial(int ltype, int dtype, int *l, int *d, uint16_t *port)
{
	*l = sp_listen_any(ltype, port);
	if (*l < 0)
		return -1;
	*d = sp_dial(dtype, *port);
	if (*d < 0) {
		close(*l);
		return -1;
	}
	return 0;
}

/* The inode of @fd, or 0. */
static inline unsigned long sp_ino(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : st.st_ino;
}

/*
 * A child in a network namespace of its own (unshare(CLONE_NEWNET), which
 * a threaded caller cannot do): it runs @check(@arg) there (0: passed),
 * opens an sp socket of @type, runs @check on it too, and waits until
 * sp_netns_child_end(). Its socket's inode goes to *@ino. The child, or
 * -1 with nothing left behind.
 */
struct sp_netns_child {
	pid_t pid;
	int down;
};

static inline int sp_netns_child_start(struct sp_netns_child *c, int type,
				       int (*check)(int fd, void *arg), void *arg,
				       unsigned long *ino)
{
	int up[2], down[2];

	if (pipe(up))
		return -1;
	if (pipe(down)) {
		close(up[0]);
		close(up[1]);
		return -1;
	}
	c->pid = fork();
	if (c->pid == 0) {
		unsigned long i;
		char b;
		int fd;

		close(up[0]);
		close(down[1]);
		/* unshare(CLONE_NEWNET), whatever the includer's _GNU_SOURCE. */
		if (syscall(SYS_unshare, 0x40000000) || check(-1, arg))
			_exit(10);
		fd = socket(AF_SP, type, 0);
		if (fd < 0 || check(fd, arg))
			_exit(11);
		i = sp_ino(fd);
		if (write(up[1], &i, sizeof(i)) != sizeof(i) || read(down[0], &b, 1) != 0)
			_exit(12);
		_exit(0);
	}
	close(up[1]);
	close(down[0]);
	c->down = down[1];
	if (c->pid < 0 || read(up[0], ino, sizeof(*ino)) != sizeof(*ino)) {
		close(up[0]);
		close(c->down);
		if (c->pid > 0)
			waitpid(c->pid, NULL, 0);
		return -1;
	}
	close(up[0]);
	return 0;
}

/* Lets the child go; its exit status (0: its checks passed), or -1. */
static inline int sp_netns_child_end(struct sp_netns_child *c)
{
	int st;

	close(c->down);
	if (waitpid(c->pid, &st, 0) != c->pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* A request from a new REQ dialing @port, answered by @rep; 0 on a reply. */
static inline int sp_round_trip(int rep, uint16_t port)
{
	int req = sp_dial(SOCK_REQ, port), ok;
	char buf[8];

	if (req < 0)
		return -1;
	sp_set_timeo(req, SO_RCVTIMEO, 5000);
	sp_set_timeo(rep, SO_RCVTIMEO, 5000);
	ok = send(req, "q", 1, 0) == 1 && recv(rep, buf, sizeof(buf), 0) == 1 &&
	     send(rep, "a", 1, 0) == 1 && recv(req, buf, sizeof(buf), 0) == 1 &&
	     buf[0] == 'a';
	close(req);
	return ok ? 0 : -1;
}

/*
 * cgroup v2 (mounted at /sys/fs/cgroup with +memory by the VM): a child
 * cgroup @name_<pid> into @dir (PATH_MAX-free: 128 bytes); 0 or -1.
 */
static inline int sp_cg_make(char dir[128], const char *name)
{
	snprintf(dir, 128, "/sys/fs/cgroup/%s_%d", name, (int)getpid());
	return mkdir(dir, 0755) && errno != EEXIST ? -1 : 0;
}

/* Writes @val to @dir/@file; 0 or -1. */
static inline int sp_cg_write(const char *dir, const char *file, const char *val)
{
	char p[192];
	int fd, n = strlen(val), ok;

	snprintf(p, sizeof(p), "%s/%s", dir, file);
	fd = open(p, O_WRONLY);
	if (fd < 0)
		return -1;
	ok = write(fd, val, n) == n;
	close(fd);
	return ok ? 0 : -1;
}

/* Moves this process into @dir; 0 or -1. */
static inline int sp_cg_join(const char *dir)
{
	char pid[16];

	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	return sp_cg_write(dir, "cgroup.procs", pid);
}

/* A number in @dir/@file: the whole file, or its "@key N" line; -1. */
static inline long long sp_cg_read(const char *dir, const char *file, const char *key)
{
	char p[192], buf[8192], *l;
	ssize_t n;
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, file);
	fd = open(p, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	if (!key)
		return atoll(buf);
	for (l = buf; l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (!strncmp(l, key, strlen(key)) && l[strlen(key)] == ' ')
			return atoll(l + strlen(key) + 1);
	return -1;
}

/* Sends @msg on @s until @r can read, then reads it back: 0 if it matches. */
static inline int sp_one_way(int s, int r, const char *msg)
{
	char buf[64];
	ssize_t n;

	if (sp_send_until_readable(s, msg, strlen(msg), r, 50, 100))
		return -1;
	n = recv(r, buf, sizeof(buf), 0);
	return n == (ssize_t)strlen(msg) && !memcmp(buf, msg, n) ? 0 : -1;
}

/* A request from @req answered by @rep: 0 if both arrive intact. */
static inline int sp_req_rep(int req, int rep)
{
	char buf[64];

	if (send(req, "ping", 4, 0) != 4 || recv(rep, buf, sizeof(buf), 0) != 4 ||
	    memcmp(buf, "ping", 4))
		return -1;
	if (send(rep, "pong", 4, 0) != 4 || recv(req, buf, sizeof(buf), 0) != 4 ||
	    memcmp(buf, "pong", 4))
		return -1;
	return 0;
}

/*
 * A message each way the pattern allows between @a, of type @ta, and @b,
 * its peer, connected (a SUB subscribes to everything first). 0 on
 * success.
 */
static inline int sp_exchange(int ta, int a, int b)
{
	int r = -1;

	switch (ta) {
	case SOCK_REQ:
		r = sp_req_rep(a, b);
		break;
	case SOCK_REP:
		r = sp_req_rep(b, a);
		break;
	case SOCK_PUB:
		if (!setsockopt(b, SOL_SP, SP_SUBSCRIBE, "", 0))
			r = sp_one_way(a, b, "news");
		break;
	case SOCK_SUB:
		if (!setsockopt(a, SOL_SP, SP_SUBSCRIBE, "", 0))
			r = sp_one_way(b, a, "news");
		break;
	case SOCK_PUSH:
		r = sp_one_way(a, b, "job");
		break;
	case SOCK_PULL:
		r = sp_one_way(b, a, "job");
		break;
	case SOCK_SURVEYOR:
	case SOCK_RESPONDENT: {
		int sv = ta == SOCK_SURVEYOR ? a : b, rs = sv == a ? b : a;
		char buf[16];

		/* A survey sent before the respondent's pipe is up is lost. */
		if (sp_one_way(sv, rs, "q"))
			break;
		r = send(rs, "yes", 3, 0) == 3 && recv(sv, buf, sizeof(buf), 0) == 3 ? 0 : -1;
		break;
	}
	default: /* PAIR, BUS: both ways */
		r = sp_one_way(a, b, "a->b") || sp_one_way(b, a, "b->a") ? -1 : 0;
	}
	return r;
}

/*
 * @n messages of @len patterned bytes from @push to @pull (connected, with
 * timeouts), each read back whole: 0, or -1 for one lost or mangled.
 */
static inline int sp_big_messages(int push, int pull, size_t len, int n)
{
	char *out = malloc(len), *in = malloc(len);
	int r = -1, k;
	size_t i;

	if (!out || !in || sp_setsockopt_int(pull, SP_RCVMAXSIZE, 0))
		goto out;
	for (i = 0; i < len; i++)
		out[i] = (char)(i * 7 + i / 4096);
	for (k = 0; k < n; k++)
		if (send(push, out, len, 0) != (ssize_t)len ||
		    recv(pull, in, len, 0) != (ssize_t)len || memcmp(in, out, len))
			goto out;
	r = 0;
out:
	free(out);
	free(in);
	return r;
}

/* Every socket type with a peer type, both ways round. */
static const int sp_peers[][2] __attribute__((unused)) = {
	{ SOCK_PAIR, SOCK_PAIR }, { SOCK_REQ, SOCK_REP }, { SOCK_REP, SOCK_REQ },
	{ SOCK_PUB, SOCK_SUB }, { SOCK_SUB, SOCK_PUB }, { SOCK_PUSH, SOCK_PULL },
	{ SOCK_PULL, SOCK_PUSH }, { SOCK_SURVEYOR, SOCK_RESPONDENT },
	{ SOCK_RESPONDENT, SOCK_SURVEYOR }, { SOCK_BUS, SOCK_BUS },
};

#define SP_NPEERS ((int)(sizeof(sp_peers) / sizeof(sp_peers[0])))

#endif /* SP_LIB_H */
