// SPDX-License-Identifier: GPL-2.0
/*
 * The IPC transport: every protocol over AF_UNIX stream sockets, by path
 * and by abstract name; the socket file's life (EADDRINUSE, left after
 * close); dialers that wait for a missing or refused path; path lookups
 * and permission checks as the caller, on reconnects too (a chroot, a
 * file made unwritable); abstract names scoped to the network namespace;
 * hostile IPC peers; and NNG's ipc:// and abstract:// in both roles.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stddef.h>
#include <sys/un.h>
#include <nng/nng.h>
#include <nng/protocol/pubsub0/pub.h>
#include <nng/protocol/pubsub0/sub.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>

#include "sp_lib.h"
#include "kselftest_harness.h"

/* The IPC frame type (NNG's ipc.c, nanomsg's sipc.c). */
#define IPC_MSG 1

/*
 * @name as a sockaddr_un: "@x" is the abstract name "x", anything else a
 * path. Returns the address length.
 */
static socklen_t ipc_addr(struct sockaddr_un *sun, const char *name)
{
	size_t n = strlen(name);

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (name[0] == '@') {
		memcpy(sun->sun_path + 1, name + 1, n - 1);
		return offsetof(struct sockaddr_un, sun_path) + n;
	}
	memcpy(sun->sun_path, name, n);
	return offsetof(struct sockaddr_un, sun_path) + n + 1;
}

static int ipc_bind(int fd, const char *name)
{
	struct sockaddr_un sun;
	socklen_t len = ipc_addr(&sun, name);

	return bind(fd, (struct sockaddr *)&sun, len);
}

static int ipc_connect(int fd, const char *name)
{
	struct sockaddr_un sun;
	socklen_t len = ipc_addr(&sun, name);

	return connect(fd, (struct sockaddr *)&sun, len);
}

/* A socket of @type with 5 s timeouts, bound (@bind) or dialed to @name. */
static int ipc_socket(int type, const char *name, int bind)
{
	int fd = socket(PF_SP, type, 0);

	if (fd < 0)
		return -1;
	sp_set_timeouts(fd, 5000);
	if ((bind ? ipc_bind(fd, name) : ipc_connect(fd, name)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A path under /tmp unique to this process and @tag; any old file removed. */
static const char *tpath(char buf[108], const char *tag)
{
	snprintf(buf, 108, "/tmp/sp_ipc.%d.%s", getpid(), tag);
	unlink(buf);
	return buf;
}

/* An abstract name unique to this process and @tag. */
static const char *tabstract(char buf[108], const char *tag)
{
	snprintf(buf, 108, "@sp_ipc.%d.%s", getpid(), tag);
	return buf;
}

/*
 * @ta binds @name, @tb dials it, and a message goes each way the pattern
 * allows. 0 on success.
 */
static int over_ipc(int ta, int tb, const char *name)
{
	int a = ipc_socket(ta, name, 1), b = ipc_socket(tb, name, 0), r = -1;

	if (a >= 0 && b >= 0)
		r = sp_exchange(ta, a, b);
	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
	return r;
}

static int sub_all(int fd)
{
	return setsockopt(fd, SOL_SP, SP_SUBSCRIBE, "", 0);
}

/* Every protocol, both roles, over a path. */
TEST(every_protocol_by_path)
{
	char p[108];
	int i;

	for (i = 0; i < SP_NPEERS; i++) {
		char tag[16];

		snprintf(tag, sizeof(tag), "p%d", i);
		tpath(p, tag);
		EXPECT_EQ(0, over_ipc(sp_peers[i][0], sp_peers[i][1], p)) TH_LOG("pair %d", i);
		unlink(p);
	}
}

/* Every protocol, both roles, over an abstract name. */
TEST(every_protocol_by_abstract_name)
{
	char p[108];
	int i;

	for (i = 0; i < SP_NPEERS; i++) {
		char tag[16];

		snprintf(tag, sizeof(tag), "a%d", i);
		EXPECT_EQ(0, over_ipc(sp_peers[i][0], sp_peers[i][1], tabstract(p, tag)))
			TH_LOG("pair %d", i);
	}
}

/* PUB/SUB, both roles, path and abstract: the SUB subscribes first. */
TEST(pubsub_both_roles)
{
	char p[108];
	int k;

	for (k = 0; k < 4; k++) {
		int pub_binds = k & 1, pub, sub;
		const char *name = k & 2 ? tabstract(p, "ps") : tpath(p, "ps");

		if (pub_binds) {
			pub = ipc_socket(SOCK_PUB, name, 1);
			sub = socket(PF_SP, SOCK_SUB, 0);
			ASSERT_EQ(0, sub_all(sub));
			ASSERT_EQ(0, ipc_connect(sub, name));
		} else {
			sub = socket(PF_SP, SOCK_SUB, 0);
			ASSERT_EQ(0, sub_all(sub));
			ASSERT_EQ(0, ipc_bind(sub, name));
			pub = ipc_socket(SOCK_PUB, name, 0);
		}
		ASSERT_LE(0, pub);
		sp_set_timeouts(sub, 5000);
		EXPECT_EQ(0, sp_one_way(pub, sub, "news")) TH_LOG("case %d", k);
		close(pub);
		close(sub);
		if (!(k & 2))
			unlink(p);
	}
}

/* getsockname() gives the bound name: a path, an abstract name, autobind. */
TEST(getsockname_gives_the_name)
{
	struct sockaddr_un sun, want;
	socklen_t len = sizeof(sun), wlen;
	char p[108];
	int fd;

	fd = ipc_socket(SOCK_REP, tpath(p, "name"), 1);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, getsockname(fd, (struct sockaddr *)&sun, &len));
	wlen = ipc_addr(&want, p);
	EXPECT_EQ(wlen, len);
	EXPECT_EQ(0, memcmp(&want, &sun, wlen));
	close(fd);
	unlink(p);

	fd = ipc_socket(SOCK_REP, tabstract(p, "name"), 1);
	ASSERT_LE(0, fd);
	len = sizeof(sun);
	ASSERT_EQ(0, getsockname(fd, (struct sockaddr *)&sun, &len));
	wlen = ipc_addr(&want, p);
	EXPECT_EQ(wlen, len);
	EXPECT_EQ(0, memcmp(&want, &sun, wlen));
	close(fd);

	/* Only the family: the kernel picks an abstract name, and it works. */
	fd = socket(PF_SP, SOCK_REP, 0);
	sp_set_timeouts(fd, 5000);
	sun.sun_family = AF_UNIX;
	ASSERT_EQ(0, bind(fd, (struct sockaddr *)&sun, offsetof(struct sockaddr_un, sun_path)));
	len = sizeof(sun);
	ASSERT_EQ(0, getsockname(fd, (struct sockaddr *)&sun, &len));
	ASSERT_LT(offsetof(struct sockaddr_un, sun_path) + 1, len);
	EXPECT_EQ(0, sun.sun_path[0]);
	{
		int req = socket(PF_SP, SOCK_REQ, 0);

		sp_set_timeouts(req, 5000);
		ASSERT_EQ(0, connect(req, (struct sockaddr *)&sun, len));
		EXPECT_EQ(0, sp_req_rep(req, fd));
		close(req);
	}
	close(fd);
}

/* Runs @fn(@arg) in a child as uid/gid 65534; its exit status, or -1. */
static int as_nobody(int (*fn)(void *), void *arg)
{
	int st;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (!pid) {
		if (setgid(65534) || setuid(65534))
			_exit(100);
		_exit(fn(arg));
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static int bind_in(void *arg)
{
	int fd = socket(PF_SP, SOCK_REP, 0);

	umask(027);
	return fd < 0 || ipc_bind(fd, arg) ? 1 : 0;
}

/* bind() makes the socket file as the caller: its uid, gid and umask. */
TEST(bind_makes_the_file_as_the_caller)
{
	char dir[108], p[160];
	struct stat st;

	tpath(dir, "own");
	ASSERT_EQ(0, mkdir(dir, 0777));
	ASSERT_EQ(0, chmod(dir, 0777));
	snprintf(p, sizeof(p), "%s/s", dir);
	ASSERT_EQ(0, as_nobody(bind_in, p));
	ASSERT_EQ(0, stat(p, &st));
	EXPECT_TRUE(S_ISSOCK(st.st_mode));
	EXPECT_EQ(65534, st.st_uid);
	EXPECT_EQ(65534, st.st_gid);
	EXPECT_EQ(0750, st.st_mode & 0777);
	unlink(p);
	rmdir(dir);
}

/* An existing path, socket file or not, is EADDRINUSE; close leaves it. */
TEST(existing_path_is_in_use)
{
	struct stat st;
	char p[108];
	int fd, fd2;

	fd = ipc_socket(SOCK_REP, tpath(p, "inuse"), 1);
	ASSERT_LE(0, fd);
	fd2 = socket(PF_SP, SOCK_REP, 0);
	EXPECT_EQ(-1, ipc_bind(fd2, p));
	EXPECT_EQ(EADDRINUSE, errno);
	close(fd);
	/* The listener's file stays: a stale socket file, still in use. */
	ASSERT_EQ(0, stat(p, &st));
	EXPECT_TRUE(S_ISSOCK(st.st_mode));
	EXPECT_EQ(-1, ipc_bind(fd2, p));
	EXPECT_EQ(EADDRINUSE, errno);
	/* Unlinked, the path binds again. */
	ASSERT_EQ(0, unlink(p));
	EXPECT_EQ(0, ipc_bind(fd2, p));
	close(fd2);
	unlink(p);

	/* A regular file too. */
	fd = open(p, O_CREAT | O_WRONLY, 0600);
	ASSERT_LE(0, fd);
	close(fd);
	fd2 = socket(PF_SP, SOCK_REP, 0);
	EXPECT_EQ(-1, ipc_bind(fd2, p));
	EXPECT_EQ(EADDRINUSE, errno);
	close(fd2);
	unlink(p);
}

/* Bad sockaddr_un: too long, an unnamed connect, a missing directory. */
TEST(bad_addresses)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char big[sizeof(struct sockaddr_un) + 8];
	int fd = socket(PF_SP, SOCK_REQ, 0);

	memset(big, 'a', sizeof(big));
	((struct sockaddr_un *)big)->sun_family = AF_UNIX;
	EXPECT_EQ(-1, connect(fd, (struct sockaddr *)big, sizeof(big)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, bind(fd, (struct sockaddr *)big, sizeof(big)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, connect(fd, (struct sockaddr *)&sun, offsetof(struct sockaddr_un, sun_path)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ipc_bind(fd, "/tmp/sp_ipc.no/such/dir"));
	EXPECT_EQ(ENOENT, errno);
	close(fd);
}

/*
 * A dialer to a path with no file, or a stale file (ECONNREFUSED), waits:
 * connect() succeeds, and the pipe comes up once a listener binds there.
 */
TEST(dialer_waits_for_the_listener)
{
	char p[108];
	int req, rep, stale;

	req = socket(PF_SP, SOCK_REQ, 0);
	sp_set_timeouts(req, 5000);
	ASSERT_EQ(0, sp_setsockopt_int(req, SP_RECONNECT_IVL, 20));
	ASSERT_EQ(0, ipc_connect(req, tpath(p, "later")));
	usleep(100 * 1000);
	rep = ipc_socket(SOCK_REP, p, 1);
	ASSERT_LE(0, rep);
	EXPECT_EQ(0, sp_req_rep(req, rep));
	close(req);
	close(rep);
	unlink(p);

	/* A stale file: refused, then served once it is bound again. */
	stale = socket(AF_UNIX, SOCK_STREAM, 0);
	ASSERT_EQ(0, ipc_bind(stale, p));
	close(stale);
	req = socket(PF_SP, SOCK_REQ, 0);
	sp_set_timeouts(req, 5000);
	ASSERT_EQ(0, sp_setsockopt_int(req, SP_RECONNECT_IVL, 20));
	ASSERT_EQ(0, ipc_connect(req, p));
	usleep(100 * 1000);
	ASSERT_EQ(0, unlink(p));
	rep = ipc_socket(SOCK_REP, p, 1);
	ASSERT_LE(0, rep);
	EXPECT_EQ(0, sp_req_rep(req, rep));
	close(req);
	close(rep);
	unlink(p);
}

static int connect_errno(void *arg)
{
	int fd = socket(PF_SP, SOCK_REQ, 0);

	if (fd < 0)
		return 101;
	return ipc_connect(fd, arg) ? errno : 0;
}

/* Without write permission on the socket file, connect() is EACCES. */
TEST(unwritable_file_refuses_connect)
{
	char p[108];
	int rep = ipc_socket(SOCK_REP, tpath(p, "perm"), 1);

	ASSERT_LE(0, rep);
	ASSERT_EQ(0, chmod(p, 0700));
	EXPECT_EQ(EACCES, as_nobody(connect_errno, p));
	ASSERT_EQ(0, chmod(p, 0777));
	EXPECT_EQ(0, as_nobody(connect_errno, p));
	close(rep);
	unlink(p);
}

/*
 * A dialer's reconnect is checked as its caller: a PUSH dialed by uid
 * 65534 gets through; its listener is replaced by one whose file only
 * root may write, and the reconnects fail (nothing arrives) until the
 * file is made writable again.
 */
TEST(reconnect_checks_the_caller)
{
	char p[108], buf[16];
	int pull, ctl[2], st;
	pid_t pid;

	pull = ipc_socket(SOCK_PULL, tpath(p, "reperm"), 1);
	ASSERT_LE(0, pull);
	ASSERT_EQ(0, chmod(p, 0777));
	ASSERT_EQ(0, pipe(ctl));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int push;
		char c;

		/* The listener is the parent's alone: it must close with it. */
		close(pull);
		close(ctl[1]);
		if (setgid(65534) || setuid(65534))
			_exit(1);
		push = socket(PF_SP, SOCK_PUSH, 0);
		sp_setsockopt_int(push, SP_RECONNECT_IVL, 20);
		sp_setsockopt_int(push, SP_RECONNECT_IVL_MAX, 20);
		if (ipc_connect(push, p))
			_exit(2);
		/* Each byte on the control pipe: send one more message. */
		while (read(ctl[0], &c, 1) == 1)
			if (send(push, &c, 1, 0) != 1)
				_exit(3);
		_exit(0);
	}
	close(ctl[0]);
	ASSERT_EQ(1, write(ctl[1], "a", 1));
	ASSERT_EQ(1, recv(pull, buf, sizeof(buf), 0));
	EXPECT_EQ('a', buf[0]);

	/* A new listener on the path, writable by root only. */
	close(pull);
	ASSERT_EQ(0, unlink(p));
	pull = ipc_socket(SOCK_PULL, p, 1);
	ASSERT_LE(0, pull);
	ASSERT_EQ(0, chmod(p, 0700));
	ASSERT_EQ(1, write(ctl[1], "b", 1));
	sp_set_timeo(pull, SO_RCVTIMEO, 1000);
	EXPECT_EQ(-1, recv(pull, buf, sizeof(buf), 0));
	EXPECT_EQ(EAGAIN, errno);
	/* Writable again: the next reconnect gets through, with the message. */
	ASSERT_EQ(0, chmod(p, 0777));
	sp_set_timeo(pull, SO_RCVTIMEO, 5000);
	ASSERT_EQ(1, recv(pull, buf, sizeof(buf), 0));
	EXPECT_EQ('b', buf[0]);
	close(ctl[1]);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(pull);
	unlink(p);
}

/*
 * A chrooted caller's dialer resolves its path inside its root, on
 * reconnects too: a decoy listens at the same path outside the root and
 * never hears from it.
 */
TEST(chrooted_dialer_stays_in_its_root)
{
	char dir[108], root[128], tmp[256], in_dir[256], inner[256], outer[128], buf[16];
	int decoy, pull, ctl[2], st;
	pid_t pid;

	/* dir/s, and root/dir/s: the same path seen from inside the root. */
	tpath(dir, "jail");
	snprintf(root, sizeof(root), "%s/root", dir);
	snprintf(tmp, sizeof(tmp), "%s/tmp", root);
	snprintf(in_dir, sizeof(in_dir), "%s%s", root, dir);
	snprintf(outer, sizeof(outer), "%s/s", dir);
	snprintf(inner, sizeof(inner), "%s%s", root, outer);
	ASSERT_EQ(0, mkdir(dir, 0755));
	ASSERT_EQ(0, mkdir(root, 0755));
	ASSERT_EQ(0, mkdir(tmp, 0755));
	ASSERT_EQ(0, mkdir(in_dir, 0755));
	decoy = ipc_socket(SOCK_PULL, outer, 1);
	ASSERT_LE(0, decoy);
	pull = ipc_socket(SOCK_PULL, inner, 1);
	ASSERT_LE(0, pull);
	ASSERT_EQ(0, pipe(ctl));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int push;
		char c;

		close(pull);
		close(decoy);
		close(ctl[1]);
		if (chroot(root) || chdir("/"))
			_exit(1);
		push = socket(PF_SP, SOCK_PUSH, 0);
		sp_setsockopt_int(push, SP_RECONNECT_IVL, 20);
		sp_setsockopt_int(push, SP_RECONNECT_IVL_MAX, 20);
		if (ipc_connect(push, outer))
			_exit(2);
		while (read(ctl[0], &c, 1) == 1)
			if (send(push, &c, 1, 0) != 1)
				_exit(3);
		_exit(0);
	}
	close(ctl[0]);
	ASSERT_EQ(1, write(ctl[1], "a", 1));
	ASSERT_EQ(1, recv(pull, buf, sizeof(buf), 0));
	EXPECT_EQ('a', buf[0]);
	/* The inner listener restarts: the dialer reconnects, from a worker. */
	close(pull);
	ASSERT_EQ(0, unlink(inner));
	usleep(100 * 1000);
	pull = ipc_socket(SOCK_PULL, inner, 1);
	ASSERT_LE(0, pull);
	ASSERT_EQ(1, write(ctl[1], "b", 1));
	ASSERT_EQ(1, recv(pull, buf, sizeof(buf), 0));
	EXPECT_EQ('b', buf[0]);
	sp_set_timeo(decoy, SO_RCVTIMEO, 200);
	EXPECT_EQ(-1, recv(decoy, buf, sizeof(buf), 0));
	close(ctl[1]);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(pull);
	close(decoy);
	unlink(inner);
	unlink(outer);
}

/*
 * An abstract name belongs to its network namespace: a dialer in another
 * one never reaches the listener; one in the same namespace does.
 */
TEST(abstract_names_are_per_netns)
{
	char p[108], buf[16];
	int pull, st;
	pid_t pid;

	pull = ipc_socket(SOCK_PULL, tabstract(p, "ns"), 1);
	ASSERT_LE(0, pull);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int push;

		if (unshare(CLONE_NEWNET))
			_exit(1);
		/* Nothing listens on the name here: the send times out. */
		push = socket(PF_SP, SOCK_PUSH, 0);
		sp_setsockopt_int(push, SP_RECONNECT_IVL, 20);
		sp_set_timeo(push, SO_SNDTIMEO, 500);
		if (ipc_connect(push, p))
			_exit(2);
		_exit(send(push, "x", 1, 0) == -1 && errno == EAGAIN ? 0 : 3);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	sp_set_timeo(pull, SO_RCVTIMEO, 200);
	EXPECT_EQ(-1, recv(pull, buf, sizeof(buf), 0));
	{
		int push = ipc_socket(SOCK_PUSH, p, 0);

		ASSERT_LE(0, push);
		sp_set_timeo(pull, SO_RCVTIMEO, 5000);
		EXPECT_EQ(0, sp_one_way(push, pull, "here"));
		close(push);
	}
	close(pull);
}

/* A raw AF_UNIX peer of @name that sent its SP header as a REQ: fd or -1. */
static int raw_req_peer(const char *name)
{
	unsigned char h[8];
	struct sockaddr_un sun;
	socklen_t len = ipc_addr(&sun, name);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, len))
		return -1;
	sp_header(h, SP_PROTO_REQ);
	if (write(fd, h, 8) != 8 || sp_read_full(fd, h, 8, 5000) != 8)
		return -1;
	return fd;
}

/*
 * Writes an IPC frame of @len (at most 64) bytes of @body, declared @type
 * and @wire long, in one write: the peer may drop us as soon as it reads
 * the type.
 */
static int ipc_frame(int fd, int type, uint64_t wire, const void *body, size_t len)
{
	unsigned char f[9 + 64];

	if (len > 64)
		return -1;
	f[0] = type;
	sp_be64(f + 1, wire);
	if (len)
		memcpy(f + 9, body, len);
	return send(fd, f, 9 + len, MSG_NOSIGNAL) == (ssize_t)(9 + len) ? 0 : -1;
}

/*
 * Hostile peers are dropped, each alone: a frame of type 2, a length
 * over SP_RCVMAXSIZE; a good request sent one byte at a time is served,
 * and so is a well-behaved peer throughout.
 */
TEST(hostile_peers_dropped)
{
	unsigned char req[4 + 4] = { 0x80, 0, 0, 1, 'p', 'i', 'n', 'g' };
	unsigned char frame[9 + sizeof(req)], rep_buf[64];
	struct sp_stats st;
	char p[108], buf[64];
	int rep, good, bad, i;
	ssize_t n;

	rep = ipc_socket(SOCK_REP, tpath(p, "hostile"), 1);
	ASSERT_LE(0, rep);
	ASSERT_EQ(0, sp_setsockopt_int(rep, SP_RCVMAXSIZE, 1024));
	good = ipc_socket(SOCK_REQ, p, 0);
	ASSERT_LE(0, good);
	ASSERT_EQ(0, sp_req_rep(good, rep));

	/* The wrong type byte. */
	bad = raw_req_peer(p);
	ASSERT_LE(0, bad);
	ASSERT_EQ(0, ipc_frame(bad, 2, sizeof(req), req, sizeof(req)));
	EXPECT_EQ(1, sp_peer_closed(bad, 5000));
	close(bad);

	/* A length over SP_RCVMAXSIZE. */
	bad = raw_req_peer(p);
	ASSERT_LE(0, bad);
	ASSERT_EQ(0, ipc_frame(bad, IPC_MSG, 1ULL << 40, NULL, 0));
	EXPECT_EQ(1, sp_peer_closed(bad, 5000));
	close(bad);
	ASSERT_EQ(0, sp_stats(rep, &st));
	EXPECT_EQ(2, st.pipes_dropped);

	/* A good request, one byte per write: served. */
	bad = raw_req_peer(p);
	ASSERT_LE(0, bad);
	frame[0] = IPC_MSG;
	sp_be64(frame + 1, sizeof(req));
	memcpy(frame + 9, req, sizeof(req));
	for (i = 0; i < (int)sizeof(frame); i++) {
		ASSERT_EQ(1, send(bad, frame + i, 1, MSG_NOSIGNAL));
		usleep(2000);
	}
	n = recv(rep, buf, sizeof(buf), 0);
	ASSERT_EQ(4, n);
	EXPECT_EQ(0, memcmp(buf, "ping", 4));
	ASSERT_EQ(4, send(rep, "pong", 4, 0));
	ASSERT_EQ(9 + 8, sp_read_full(bad, rep_buf, 9 + 8, 5000));
	EXPECT_EQ(IPC_MSG, rep_buf[0]);
	EXPECT_EQ(0, memcmp(rep_buf + 9, req, 4));	/* the backtrace */
	EXPECT_EQ(0, memcmp(rep_buf + 13, "pong", 4));
	close(bad);

	/* The good peer never noticed. */
	EXPECT_EQ(0, sp_req_rep(good, rep));
	close(good);
	close(rep);
	unlink(p);
}

/*
 * recv() on @fd with room for one control message: the message's length,
 * and the SCM_CREDENTIALS it carried in *@uc (*@got: whether one came).
 */
static ssize_t recv_cred(int fd, char *buf, size_t len, struct ucred *uc, int *got)
{
	union {
		char b[CMSG_SPACE(sizeof(struct ucred)) + 64];
		struct cmsghdr align;
	} c;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.b,
			     .msg_controllen = sizeof(c.b) };
	struct cmsghdr *cm;
	ssize_t n = recvmsg(fd, &mh, 0);

	*got = 0;
	for (cm = CMSG_FIRSTHDR(&mh); n >= 0 && cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_CREDENTIALS &&
		    cm->cmsg_len == CMSG_LEN(sizeof(*uc))) {
			memcpy(uc, CMSG_DATA(cm), sizeof(*uc));
			(*got)++;
		}
	}
	return n;
}

/* A child as @uid/@gid that sends @msg from a @type socket dialed to @name. */
static pid_t send_as(int type, const char *name, uid_t uid, gid_t gid, const char *msg,
		     int *ctl)
{
	pid_t pid = fork();

	if (pid)
		return pid;
	if (setgid(gid) || setuid(uid))
		_exit(1);
	{
		int fd = ipc_socket(type, name, 0);
		char c;

		if (fd < 0 || send(fd, msg, strlen(msg), 0) != (ssize_t)strlen(msg))
			_exit(2);
		/* Stay connected until told (EOF on the control pipe). */
		close(ctl[1]);
		if (read(ctl[0], &c, 1) < 0)
			_exit(3);
		_exit(0);
	}
}

/*
 * SO_PASSCRED: each message a PULL receives from an IPC peer carries the
 * sender's pid, uid and gid; not before the option is set, and not for a
 * TCP peer. A short option value is EINVAL.
 */
TEST(scm_credentials_name_each_sender)
{
	char p[108], buf[16];
	struct ucred uc;
	int pull, on = 1, got, ctl[2], st, i;
	pid_t kids[2];
	uint16_t port;

	pull = ipc_socket(SOCK_PULL, tpath(p, "cred"), 1);
	ASSERT_LE(0, pull);
	ASSERT_EQ(0, chmod(p, 0777));
	EXPECT_EQ(-1, setsockopt(pull, SOL_SOCKET, SO_PASSCRED, &on, 2));
	EXPECT_EQ(EINVAL, errno);

	/* Without SO_PASSCRED: no credentials. */
	ASSERT_EQ(0, pipe(ctl));
	kids[0] = send_as(SOCK_PUSH, p, 0, 0, "plain", ctl);
	ASSERT_EQ(5, recv_cred(pull, buf, sizeof(buf), &uc, &got));
	EXPECT_EQ(0, got);
	close(ctl[1]);
	close(ctl[0]);
	ASSERT_EQ(kids[0], waitpid(kids[0], &st, 0));

	ASSERT_EQ(0, setsockopt(pull, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)));
	ASSERT_EQ(0, pipe(ctl));
	kids[0] = send_as(SOCK_PUSH, p, 1234, 5678, "one", ctl);
	kids[1] = send_as(SOCK_PUSH, p, 4321, 8765, "two", ctl);
	close(ctl[0]);
	for (i = 0; i < 2; i++) {
		ssize_t n = recv_cred(pull, buf, sizeof(buf), &uc, &got);
		int k;

		ASSERT_LT(0, n);
		ASSERT_EQ(1, got);
		k = n == 3 && !memcmp(buf, "one", 3) ? 0 : 1;
		EXPECT_EQ(kids[k], uc.pid);
		EXPECT_EQ(k ? 4321 : 1234, uc.uid);
		EXPECT_EQ(k ? 8765 : 5678, uc.gid);
	}
	close(ctl[1]);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(kids[i], waitpid(kids[i], &st, 0));
		EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}

	/* A TCP peer of the same socket: none. */
	{
		int push = sp_listen_any(SOCK_PUSH, &port);

		ASSERT_LE(0, push);
		sp_set_timeouts(push, 5000);
		ASSERT_EQ(0, sp_connect_port(pull, port));
		ASSERT_EQ(3, send(push, "tcp", 3, 0));
		ASSERT_EQ(3, recv_cred(pull, buf, sizeof(buf), &uc, &got));
		EXPECT_EQ(0, got);
		close(push);
	}
	close(pull);
	unlink(p);
}

/* A REP's requests carry their REQ's credentials too. */
TEST(scm_credentials_on_requests)
{
	char p[108], buf[16];
	struct ucred uc;
	int rep, on = 1, got, ctl[2], st;
	pid_t kid;

	rep = ipc_socket(SOCK_REP, tpath(p, "rcred"), 1);
	ASSERT_LE(0, rep);
	ASSERT_EQ(0, chmod(p, 0777));
	ASSERT_EQ(0, setsockopt(rep, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)));
	ASSERT_EQ(0, pipe(ctl));
	kid = send_as(SOCK_REQ, p, 2222, 3333, "req", ctl);
	close(ctl[0]);
	ASSERT_EQ(3, recv_cred(rep, buf, sizeof(buf), &uc, &got));
	ASSERT_EQ(1, got);
	EXPECT_EQ(kid, uc.pid);
	EXPECT_EQ(2222, uc.uid);
	EXPECT_EQ(3333, uc.gid);
	close(ctl[1]);
	ASSERT_EQ(kid, waitpid(kid, &st, 0));
	close(rep);
	unlink(p);
}

/* SO_PEERCRED on a PAIR names its IPC peer, and no one once it is gone. */
TEST(pair_peercred)
{
	char p[108], buf[16];
	struct ucred uc;
	socklen_t len = sizeof(uc);
	int pair, ctl[2], st;
	pid_t kid;

	pair = ipc_socket(SOCK_PAIR, tpath(p, "peer"), 1);
	ASSERT_LE(0, pair);
	ASSERT_EQ(0, chmod(p, 0777));
	ASSERT_EQ(0, pipe(ctl));
	kid = send_as(SOCK_PAIR, p, 1111, 2222, "hi", ctl);
	close(ctl[0]);
	ASSERT_EQ(2, recv(pair, buf, sizeof(buf), 0));
	ASSERT_EQ(0, getsockopt(pair, SOL_SOCKET, SO_PEERCRED, &uc, &len));
	EXPECT_EQ(kid, uc.pid);
	EXPECT_EQ(1111, uc.uid);
	EXPECT_EQ(2222, uc.gid);
	close(ctl[1]);
	ASSERT_EQ(kid, waitpid(kid, &st, 0));
	/* The peer left: the pipe closes, and SO_PEERCRED names no one. */
	for (st = 0; st < 100; st++) {
		len = sizeof(uc);
		ASSERT_EQ(0, getsockopt(pair, SOL_SOCKET, SO_PEERCRED, &uc, &len));
		if (uc.pid == 0)
			break;
		usleep(20 * 1000);
	}
	EXPECT_EQ(0, uc.pid);
	EXPECT_EQ((uid_t)-1, uc.uid);
	close(pair);
	unlink(p);
}

/* NNG at @url in @role: a REP or PUB that binds or dials. */
static int nng_open_role(nng_socket *s, int rep, const char *url, int listen)
{
	int rv = rep ? nng_rep0_open(s) : nng_pub0_open(s);

	if (rv)
		return rv;
	nng_socket_set_ms(*s, NNG_OPT_RECVTIMEO, 5000);
	nng_socket_set_ms(*s, NNG_OPT_RECONNMINT, 20);
	return listen ? nng_listen(*s, url, NULL, 0) : nng_dial(*s, url, NULL, NNG_FLAG_NONBLOCK);
}

/* REQ/REP with an NNG REP over ipc:// and abstract://, both roles. */
TEST(nng_rep_over_ipc_and_abstract)
{
	char p[108], url[160];
	int k;

	for (k = 0; k < 4; k++) {
		int abs = k & 2, nng_binds = k & 1, req;
		const char *name = abs ? tabstract(p, "nrep") : tpath(p, "nrep");
		nng_socket s;
		char *body;
		size_t sz;

		snprintf(url, sizeof(url), "%s%s", abs ? "abstract://" : "ipc://",
			 abs ? name + 1 : name);
		req = socket(PF_SP, SOCK_REQ, 0);
		sp_set_timeouts(req, 5000);
		if (nng_binds) {
			ASSERT_EQ(0, nng_open_role(&s, 1, url, 1));
			ASSERT_EQ(0, ipc_connect(req, name));
		} else {
			ASSERT_EQ(0, ipc_bind(req, name));
			ASSERT_EQ(0, nng_open_role(&s, 1, url, 0));
		}
		ASSERT_EQ(5, send(req, "hello", 5, 0));
		ASSERT_EQ(0, nng_recv(s, &body, &sz, NNG_FLAG_ALLOC)) TH_LOG("case %d", k);
		EXPECT_EQ(5, sz);
		EXPECT_EQ(0, memcmp(body, "hello", 5));
		nng_free(body, sz);
		ASSERT_EQ(0, nng_send(s, "world", 5, 0));
		ASSERT_EQ(5, recv(req, url, sizeof(url), 0));
		EXPECT_EQ(0, memcmp(url, "world", 5));
		close(req);
		nng_close(s);
		if (!abs)
			unlink(p);
	}
}

/* REQ/REP with an NNG REQ against an sp REP, and PUB/SUB both ways. */
TEST(nng_req_and_pubsub_over_ipc)
{
	char p[108], url[160], buf[16];
	nng_socket s;
	char *body;
	size_t sz;
	int rep, sub, pub, k;

	/* NNG REQ dials, and binds, an sp REP. */
	for (k = 0; k < 2; k++) {
		snprintf(url, sizeof(url), "ipc://%s", tpath(p, "nreq"));
		ASSERT_EQ(0, nng_req0_open(&s));
		nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, 5000);
		nng_socket_set_ms(s, NNG_OPT_RECONNMINT, 20);
		if (k) {
			ASSERT_EQ(0, nng_listen(s, url, NULL, 0));
			rep = ipc_socket(SOCK_REP, p, 0);
		} else {
			rep = ipc_socket(SOCK_REP, p, 1);
			ASSERT_EQ(0, nng_dial(s, url, NULL, 0));
		}
		ASSERT_LE(0, rep);
		ASSERT_EQ(0, nng_send(s, "q", 1, 0));
		ASSERT_EQ(1, recv(rep, buf, sizeof(buf), 0));
		ASSERT_EQ(1, send(rep, "r", 1, 0));
		ASSERT_EQ(0, nng_recv(s, &body, &sz, NNG_FLAG_ALLOC));
		EXPECT_EQ(1, sz);
		EXPECT_EQ('r', body[0]);
		nng_free(body, sz);
		close(rep);
		nng_close(s);
		unlink(p);
	}

	/* NNG PUB binds, sp SUB dials; sp PUB binds, NNG SUB dials. */
	snprintf(url, sizeof(url), "ipc://%s", tpath(p, "npub"));
	ASSERT_EQ(0, nng_open_role(&s, 0, url, 1));
	sub = socket(PF_SP, SOCK_SUB, 0);
	sp_set_timeouts(sub, 5000);
	ASSERT_EQ(0, sub_all(sub));
	ASSERT_EQ(0, ipc_connect(sub, p));
	for (k = 0; k < 50 && !(sp_poll1(sub, POLLIN, 100) & POLLIN); k++)
		ASSERT_EQ(0, nng_send(s, "tick", 4, 0));
	ASSERT_EQ(4, recv(sub, buf, sizeof(buf), 0));
	close(sub);
	nng_close(s);
	unlink(p);

	pub = ipc_socket(SOCK_PUB, tpath(p, "npub2"), 1);
	ASSERT_LE(0, pub);
	snprintf(url, sizeof(url), "ipc://%s", p);
	ASSERT_EQ(0, nng_sub0_open(&s));
	ASSERT_EQ(0, nng_socket_set(s, NNG_OPT_SUB_SUBSCRIBE, "", 0));
	nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, 100);
	ASSERT_EQ(0, nng_dial(s, url, NULL, 0));
	for (k = 0; k < 50; k++) {
		ASSERT_EQ(4, send(pub, "tock", 4, 0));
		if (!nng_recv(s, &body, &sz, NNG_FLAG_ALLOC))
			break;
	}
	ASSERT_GT(50, k);
	EXPECT_EQ(4, sz);
	nng_free(body, sz);
	nng_close(s);
	close(pub);
	unlink(p);
}

/*
 * Runs @argv with stdout to a pipe; its pid, the pipe's read end in *@out
 * (-1 for the pid when it cannot start).
 */
static pid_t spawn(char *const argv[], int *out)
{
	int fds[2];
	pid_t pid;

	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	*out = fds[0];
	return pid;
}

/* Reads @fd until @want appears in it (5 s at most): 0 if it did. */
static int output_has(int fd, const char *want)
{
	char buf[4096];
	size_t n = 0;
	int64_t end = sp_now_ms() + 5000;

	while (sp_now_ms() < end && n < sizeof(buf) - 1) {
		ssize_t k;

		if (!(sp_poll1(fd, POLLIN, end - sp_now_ms()) & POLLIN))
			continue;
		k = read(fd, buf + n, sizeof(buf) - 1 - n);
		if (k <= 0)
			break;
		n += k;
		buf[n] = 0;
		if (strstr(buf, want))
			return 0;
	}
	return -1;
}

static void reap(pid_t pid, int fd)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(fd);
}

/*
 * The command-line tools at @cat ("nanocat" or "nngcat") against sp over
 * ipc://: a REP and a PUB that bind, a REQ and a SUB that dial.
 */
static void cat_interop(struct __test_metadata *_metadata, const char *cat)
{
	char p[108], url[160], buf[16];
	int fd, out, k;
	pid_t pid;

	/* The tool's REP binds; an sp REQ dials it. */
	snprintf(url, sizeof(url), "ipc://%s", tpath(p, cat));
	{
		char *argv[] = { (char *)cat, "--rep", "--bind", url, "--data", "world", NULL };

		pid = spawn(argv, &out);
		ASSERT_LT(0, pid);
	}
	fd = socket(PF_SP, SOCK_REQ, 0);
	sp_set_timeouts(fd, 10000);
	ASSERT_EQ(0, sp_setsockopt_int(fd, SP_RECONNECT_IVL, 20));
	ASSERT_EQ(0, ipc_connect(fd, p));
	ASSERT_EQ(5, send(fd, "hello", 5, 0));
	EXPECT_EQ(5, recv(fd, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "world", 5));
	close(fd);
	reap(pid, out);
	unlink(p);

	/* An sp REP binds; the tool's REQ dials and prints the reply. */
	fd = ipc_socket(SOCK_REP, p, 1);
	ASSERT_LE(0, fd);
	{
		char *argv[] = { (char *)cat, "--req", "--connect", url, "--data", "hello",
				 "--ascii", NULL };

		pid = spawn(argv, &out);
		ASSERT_LT(0, pid);
	}
	ASSERT_EQ(5, recv(fd, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "hello", 5));
	ASSERT_EQ(8, send(fd, "sp-reply", 8, 0));
	EXPECT_EQ(0, output_has(out, "sp-reply"));
	reap(pid, out);
	close(fd);
	unlink(p);

	/* The tool's PUB binds and repeats; an sp SUB dials it. */
	{
		char *argv[] = { (char *)cat, "--pub", "--bind", url, "--data", "tick",
				 "--interval", "1", NULL };

		pid = spawn(argv, &out);
		ASSERT_LT(0, pid);
	}
	fd = socket(PF_SP, SOCK_SUB, 0);
	sp_set_timeouts(fd, 10000);
	ASSERT_EQ(0, sub_all(fd));
	ASSERT_EQ(0, sp_setsockopt_int(fd, SP_RECONNECT_IVL, 20));
	ASSERT_EQ(0, ipc_connect(fd, p));
	EXPECT_EQ(4, recv(fd, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "tick", 4));
	close(fd);
	reap(pid, out);
	unlink(p);

	/* An sp PUB binds; the tool's SUB dials and prints what it gets. */
	fd = ipc_socket(SOCK_PUB, p, 1);
	ASSERT_LE(0, fd);
	{
		char *argv[] = { (char *)cat, "--sub", "--connect", url, "--ascii", NULL };

		pid = spawn(argv, &out);
		ASSERT_LT(0, pid);
	}
	for (k = 0; k < 100 && !(sp_poll1(out, POLLIN, 50) & POLLIN); k++)
		ASSERT_EQ(7, send(fd, "sp-news", 7, 0));
	EXPECT_EQ(0, output_has(out, "sp-news"));
	reap(pid, out);
	close(fd);
	unlink(p);
}

/* nanomsg's nanocat over ipc://, every role above. */
TEST(nanocat_over_ipc)
{
	cat_interop(_metadata, "nanocat");
}

/* NNG's nngcat over ipc://, every role above. */
TEST(nngcat_over_ipc)
{
	cat_interop(_metadata, "nngcat");
}

/*
 * Messages far larger than a Unix socket's buffer: the sender waits for
 * room many times, the reader reads many buffers a message.
 */
TEST(large_messages)
{
	char name[108];
	int pull, push;

	tabstract(name, "big");
	pull = ipc_socket(SOCK_PULL, name, 1);
	push = ipc_socket(SOCK_PUSH, name, 0);
	ASSERT_LE(0, pull);
	ASSERT_LE(0, push);
	EXPECT_EQ(0, sp_big_messages(push, pull, 1 << 20, 3));
	close(push);
	close(pull);
}

/* spss names an IPC pipe's transport and its abstract name, as /proc does. */
TEST(spss_names_ipc_pipes)
{
	char name[108], cmd[96], line[512], want[160];
	int rep, req, found = 0;
	FILE *f;

	tabstract(name, "spss");
	rep = ipc_socket(SOCK_REP, name, 1);
	req = ipc_socket(SOCK_REQ, name, 0);
	ASSERT_LE(0, rep);
	ASSERT_LE(0, req);
	ASSERT_EQ(0, sp_req_rep(req, rep));
	snprintf(cmd, sizeof(cmd), "../tools/spss -e -i %lu", sp_ino(rep));
	snprintf(want, sizeof(want), " up ipc local:abstract://%s peer:", name + 1);
	f = popen(cmd, "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f))
		found |= strstr(line, "pipe id:") && strstr(line, want);
	EXPECT_EQ(0, pclose(f));
	EXPECT_TRUE(found) TH_LOG("no pipe line with '%s'", want);
	close(req);
	close(rep);
}

TEST_HARNESS_MAIN
