// SPDX-License-Identifier: GPL-2.0
/*
 * C glue for the sp module: what Rust cannot reach in this kernel.
 *
 * The 7.3 bindings include <linux/net.h> but not <net/sock.h>, so the
 * fields of struct sock and the static inlines over them are out of
 * Rust's reach. This file holds:
 *  - struct sp_sock and its struct proto (sk_alloc() needs the size);
 *  - waking the socket's sleepers under RCU (an orphan has no queue);
 *  - the sk_user_data callback swap on kernel stream sockets (TCP, Unix),
 *    and accept, which resets what a child inherits, under
 *    sk_callback_lock;
 *  - moving such a socket into its owner's cgroup and memcg;
 *  - a snapshot of the caller's fs_struct for a dialer's later lookups;
 *  - the list of sp socks, the per-netns /proc/net/sp file, and the
 *    netlink side of sock_diag;
 *  - one-line shims of static inlines and fields, named after them.
 * Everything else is Rust, which calls exported functions through
 * kernel::bindings or sp/net/glue.rs. glue.rs also declares these, so,
 * as for rust/helpers/, there is no header (see sp/Kbuild).
 */

#include <linux/cgroup.h>
#include <linux/cred.h>
#include <linux/fs_struct.h>
#include <linux/memcontrol.h>
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/sched/mm.h>
#include <linux/seq_file_net.h>
#include <linux/sock_diag.h>
#include <linux/sp.h>
#include <linux/sp_diag.h>
#include <net/netlink.h>
#include <net/sctp/sctp.h>
#include <net/sock.h>
#include <net/tcp.h>

/* Mirrored by sp/net/stream.rs. */
enum sp_stream_event {
	SP_STREAM_READABLE	= 1,
	SP_STREAM_WRITABLE	= 2,
	SP_STREAM_STATE	= 4,
};

/*
 * @sk stays first (sk_alloc() allocates obj_size); @priv is the Rust state;
 * @link is on sp_socks while the socket is open.
 */
struct sp_sock {
	struct sock sk;
	void *priv;
	struct list_head link;
};

static struct sp_sock *sp_sk(struct sock *sk)
{
	return container_of(sk, struct sp_sock, sk);
}

static struct proto sp_proto = {
	.name		= "SP",
	.owner		= THIS_MODULE,
	.obj_size	= sizeof(struct sp_sock),
};

int sp_glue_proto_register(void)
{
	return proto_register(&sp_proto, 1);
}

void sp_glue_proto_unregister(void)
{
	proto_unregister(&sp_proto);
}

/*
 * Attach a struct sock to @sock. @destruct runs at the last sock_put(); it
 * owns sp_glue_sk_priv(), which may still be NULL.
 */
int sp_glue_sock_create(struct net *net, struct socket *sock, int kern,
			const struct proto_ops *ops, void (*destruct)(struct sock *sk))
{
	struct sock *sk = sk_alloc(net, ops->family, GFP_KERNEL, &sp_proto, kern);

	if (!sk)
		return -ENOMEM;
	sock->ops = ops;
	sock->state = SS_UNCONNECTED;
	sock_init_data(sock, sk);
	sk->sk_protocol = IPPROTO_TCP;
	/* The family's setsockopt() sees SOL_SOCKET: it takes SO_PASSCRED. */
	set_bit(SOCK_CUSTOM_SOCKOPT, &sock->flags);
	sk->sk_destruct = destruct;
	sp_sk(sk)->priv = NULL;
	INIT_LIST_HEAD(&sp_sk(sk)->link);
	return 0;
}

/* Detach the sock from a closing socket; it lives on while referenced. */
void sp_glue_sock_release(struct socket *sock)
{
	struct sock *sk = sock->sk;

	lock_sock(sk);
	sock_orphan(sk);
	sk->sk_shutdown = SHUTDOWN_MASK;
	release_sock(sk);
	sock->sk = NULL;
	sock_put(sk);
}

void *sp_glue_sk_priv(struct sock *sk)
{
	return sp_sk(sk)->priv;
}

void sp_glue_sk_set_priv(struct sock *sk, void *priv)
{
	sp_sk(sk)->priv = priv;
}

/* Wake sleepers and pollers of @sk with the EPOLL* events in @mask. */
void sp_glue_wake(struct sock *sk, __poll_t mask)
{
	struct socket_wq *wq;

	rcu_read_lock();
	wq = rcu_dereference(sk->sk_wq);
	if (skwq_has_sleeper(wq))
		wake_up_interruptible_poll(&wq->wait, mask);
	rcu_read_unlock();
}

wait_queue_head_t *sp_glue_sk_sleep(struct sock *sk)
{
	return sk_sleep(sk);
}

long sp_glue_sock_rcvtimeo(struct sock *sk, bool nonblock)
{
	return sock_rcvtimeo(sk, nonblock);
}

long sp_glue_sock_sndtimeo(struct sock *sk, bool nonblock)
{
	return sock_sndtimeo(sk, nonblock);
}

void sp_glue_sock_hold(struct sock *sk)
{
	sock_hold(sk);
}

void sp_glue_sock_put(struct sock *sk)
{
	sock_put(sk);
}

struct net *sp_glue_sock_net(struct sock *sk)
{
	return sock_net(sk);
}

int sp_glue_sk_rcvbuf(struct sock *sk)
{
	return READ_ONCE(sk->sk_rcvbuf);
}

int sp_glue_sk_sndbuf(struct sock *sk)
{
	return READ_ONCE(sk->sk_sndbuf);
}

/* SO_LINGER: -1 when off, else the linger time in jiffies. */
long sp_glue_sk_lingertime(struct sock *sk)
{
	return sock_flag(sk, SOCK_LINGER) ? READ_ONCE(sk->sk_lingertime) : -1;
}

int sp_glue_sk_state(struct sock *sk)
{
	int st = READ_ONCE(sk->sk_state);

#if IS_ENABLED(CONFIG_IP_SCTP)
	/*
	 * A one-to-one SCTP socket stays SCTP_SS_CLOSED while its association
	 * is set up (COOKIE_WAIT, COOKIE_ECHOED), and an association that
	 * fails sets sk_err before it goes: connecting, as TCP's SYN_SENT.
	 * Only the list head is read, never an association.
	 */
	if (st == TCP_CLOSE && sk->sk_protocol == IPPROTO_SCTP && !READ_ONCE(sk->sk_err) &&
	    !list_empty(&sctp_sk(sk)->ep->asocs))
		return TCP_SYN_SENT;
#endif
	return st;
}

/* Nothing the socket was given waits in it: not queued (TCP), not unread
 * by the peer (AF_UNIX charges its skbs to the sender until read). */
bool sp_glue_sk_tx_idle(struct sock *sk)
{
	return !READ_ONCE(sk->sk_wmem_queued) && !sk_wmem_alloc_get(sk);
}

/* The socket layer's SOL_SOCKET options, for those the family does not take. */
int sp_glue_sock_setsockopt(struct socket *sock, int level, int op, const sockptr_t *optval,
			    unsigned int optlen)
{
	return sock_setsockopt(sock, level, op, *optval, optlen);
}

/*
 * A Unix socket's peer credentials, counted: its peer's pid and cred at
 * connect() (on a listener's side) or at listen() (on a dialer's).
 */
void sp_glue_sk_peer_get(struct sock *sk, struct pid **pid, const struct cred **cred)
{
	spin_lock(&sk->sk_peer_lock);
	*pid = get_pid(sk->sk_peer_pid);
	*cred = get_cred(sk->sk_peer_cred);
	spin_unlock(&sk->sk_peer_lock);
}

/* Make @pid and @cred (counted here; NULL for none) @sk's SO_PEERCRED. */
void sp_glue_sk_peer_set(struct sock *sk, struct pid *pid, const struct cred *cred)
{
	struct pid *old_pid;
	const struct cred *old_cred;

	spin_lock(&sk->sk_peer_lock);
	old_pid = sk->sk_peer_pid;
	old_cred = sk->sk_peer_cred;
	sk->sk_peer_pid = get_pid(pid);
	sk->sk_peer_cred = cred ? get_cred(cred) : NULL;
	spin_unlock(&sk->sk_peer_lock);
	put_pid(old_pid);
	put_cred(old_cred);
}

void sp_glue_peer_put(struct pid *pid, const struct cred *cred)
{
	put_pid(pid);
	put_cred(cred);
}

/* struct ucred of @pid and @cred as the caller sees them (cred_to_ucred()). */
void sp_glue_ucred(struct pid *pid, const struct cred *cred, struct ucred *uc)
{
	struct user_namespace *ns = current_user_ns();

	uc->pid = pid_vnr(pid);
	uc->uid = from_kuid_munged(ns, cred->euid);
	uc->gid = from_kgid_munged(ns, cred->egid);
}

/* The peer will send nothing more (a TCP FIN, a Unix peer's close). */
bool sp_glue_sk_rcv_shutdown(struct sock *sk)
{
	return READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN;
}

int sp_glue_sock_error(struct sock *sk)
{
	return sock_error(sk);
}

/*
 * Not read from Rust: the 7.3 bindings place task_struct's cred 48 bytes
 * before where C has it, on the debug kernel.
 */
const struct cred *sp_glue_get_current_cred(void)
{
	return get_current_cred();
}

const struct cred *sp_glue_override_creds(const struct cred *cred)
{
	return override_creds(cred);
}

const struct cred *sp_glue_revert_creds(const struct cred *cred)
{
	return revert_creds(cred);
}

/*
 * A private copy of the caller's root, working directory and umask, for
 * the path lookups a work item makes later on its behalf: a dialer's
 * reconnect to a Unix socket file resolves the path as the caller's own
 * connect() would, inside its chroot and mount namespace (the mounts
 * under its root), never in a kworker's fs (userspace_init_fs). It is
 * copy_fs_struct(), which is not exported; nothing but sp holds it, so
 * its users count stays 1.
 */
struct fs_struct *sp_glue_fs_snapshot(void)
{
	struct fs_struct *fs = kzalloc(sizeof(*fs), GFP_KERNEL_ACCOUNT);

	if (!fs)
		return NULL;
	fs->users = 1;
	seqlock_init(&fs->seq);
	fs->umask = current_umask();
	get_fs_root(current->fs, &fs->root);
	get_fs_pwd(current->fs, &fs->pwd);
	return fs;
}

void sp_glue_fs_free(struct fs_struct *fs)
{
	path_put(&fs->root);
	path_put(&fs->pwd);
	kfree(fs);
}

/*
 * Resolve paths in @fs until sp_glue_fs_revert(): what scoped_with_init_fs()
 * (include/linux/fs_struct.h) does with userspace_init_fs for the kernel's
 * own lookups (coredump sockets in unix_find_bsd(), firmware loading),
 * with the caller's snapshot instead. current->real_fs is untouched.
 */
struct fs_struct *sp_glue_fs_override(struct fs_struct *fs)
{
	struct fs_struct *old = current->fs;

	WRITE_ONCE(current->fs, fs);
	return old;
}

void sp_glue_fs_revert(struct fs_struct *fs, struct fs_struct *old)
{
	VFS_WARN_ON_ONCE(current->fs != fs);
	WRITE_ONCE(current->fs, old);
}

struct mem_cgroup *sp_glue_mem_cgroup_from_sk(struct sock *sk)
{
	return mem_cgroup_from_sk(sk);
}

struct mem_cgroup *sp_glue_set_active_memcg(struct mem_cgroup *memcg)
{
	return set_active_memcg(memcg);
}

/*
 * Put @sk, a TCP socket made for the user of @owner, in @owner's cgroup and
 * memcg, as mptcp_attach_cgroup() does (a no-op in the user's own context).
 */
void sp_glue_stream_inherit(struct sock *owner, struct sock *sk)
{
#ifdef SP_HAVE_POLICY_EXPORTS
#ifdef CONFIG_SOCK_CGROUP_DATA
	if (sock_cgroup_ptr(&owner->sk_cgrp_data) != sock_cgroup_ptr(&sk->sk_cgrp_data)) {
		cgroup_sk_free(&sk->sk_cgrp_data);
		sk->sk_cgrp_data = owner->sk_cgrp_data;
		cgroup_sk_clone(&sk->sk_cgrp_data);
	}
#endif
	if (mem_cgroup_sockets_enabled)
		mem_cgroup_sk_inherit(owner, sk);
#endif
}

/*
 * What sp installs on a kernel TCP socket: the original callbacks, and
 * @event(@ctx, ev), run in softirq context under sk_callback_lock. It is
 * sk_user_data, tagged SK_USER_DATA_NOCOPY: a listener's children start
 * with none, but with its callbacks until sp_glue_stream_accept() resets them.
 */
struct sp_stream_cb {
	void (*data_ready)(struct sock *sk);
	void (*write_space)(struct sock *sk);
	void (*state_change)(struct sock *sk);
	void (*event)(void *ctx, unsigned int ev);
	void *ctx;
	/*
	 * SCTP frees send space in sctp_wfree() -> __sctp_write_space(),
	 * which wakes the socket's wait queue but never calls
	 * sk_write_space: an entry on that queue hears it, as vhost_poll
	 * does (vhost_poll_wakeup()).  @wq_head is NULL for TCP and Unix.
	 */
	struct wait_queue_entry wq_entry;
	wait_queue_head_t *wq_head;
};

static struct sp_stream_cb *sp_stream_cb(struct sock *sk)
{
	return __locked_read_sk_user_data_with_flags(sk, SK_USER_DATA_NOCOPY);
}

static void sp_stream_restore(struct sock *sk, const struct sp_stream_cb *cb)
{
	sk->sk_data_ready = cb->data_ready;
	sk->sk_write_space = cb->write_space;
	sk->sk_state_change = cb->state_change;
}

/* Accept without blocking (-EAGAIN); the child gets the original callbacks. */
int sp_glue_stream_accept(struct socket *sock, struct socket **res)
{
	struct sock *sk = sock->sk, *child;
	struct sp_stream_cb orig, *cb;
	int err;

	/* The child inherits the listener's netns reference (sk_clone). */
	err = kernel_accept(sock, res, O_NONBLOCK);
	if (err)
		return err;
	/* And its callbacks: ours, if installed (one callback lock at a time). */
	read_lock_bh(&sk->sk_callback_lock);
	cb = sp_stream_cb(sk);
	orig = cb ? *cb : (struct sp_stream_cb){ .data_ready = sk->sk_data_ready,
		.write_space = sk->sk_write_space, .state_change = sk->sk_state_change };
	read_unlock_bh(&sk->sk_callback_lock);

	child = (*res)->sk;
	write_lock_bh(&child->sk_callback_lock);
	sp_stream_restore(child, &orig);
	write_unlock_bh(&child->sk_callback_lock);
	return 0;
}

static void sp_stream_event(struct sock *sk, unsigned int ev)
{
	struct sp_stream_cb *cb;

	read_lock_bh(&sk->sk_callback_lock);
	cb = sp_stream_cb(sk);
	if (cb)
		cb->event(cb->ctx, ev);
	read_unlock_bh(&sk->sk_callback_lock);
}

static void sp_stream_data_ready(struct sock *sk)
{
	sp_stream_event(sk, SP_STREAM_READABLE);
}

static void sp_stream_write_space(struct sock *sk)
{
	sp_stream_event(sk, SP_STREAM_WRITABLE);
}

static void sp_stream_state_change(struct sock *sk)
{
	sp_stream_event(sk, SP_STREAM_STATE);
}

/*
 * A wake-up on an SCTP socket's wait queue, under its lock with interrupts
 * off: send space, if the key says so (or none is given).  The entry is
 * removed before @ctx is given back, so the event runs with @ctx live.
 */
static int sp_stream_wq_wake(struct wait_queue_entry *wq_entry, unsigned int mode, int sync,
			     void *key)
{
	struct sp_stream_cb *cb = container_of(wq_entry, struct sp_stream_cb, wq_entry);

	if (!key || (key_to_poll(key) & EPOLLOUT))
		cb->event(cb->ctx, SP_STREAM_WRITABLE);
	return 0;
}

/* Route @sock's events to @event, which must not sleep; it owns @ctx. */
int sp_glue_stream_set_callbacks(struct socket *sock, void (*event)(void *ctx, unsigned int ev),
			      void *ctx)
{
	struct sock *sk = sock->sk;
	struct sp_stream_cb *cb = kzalloc(sizeof(*cb), GFP_KERNEL);

	if (!cb)
		return -ENOMEM;
	cb->event = event;
	cb->ctx = ctx;

	write_lock_bh(&sk->sk_callback_lock);
	cb->data_ready = sk->sk_data_ready;
	cb->write_space = sk->sk_write_space;
	cb->state_change = sk->sk_state_change;
	__rcu_assign_sk_user_data_with_flags(sk, cb, SK_USER_DATA_NOCOPY);
	sk->sk_data_ready = sp_stream_data_ready;
	sk->sk_write_space = sp_stream_write_space;
	sk->sk_state_change = sp_stream_state_change;
	write_unlock_bh(&sk->sk_callback_lock);
	if (sk->sk_protocol == IPPROTO_SCTP) {
		init_waitqueue_func_entry(&cb->wq_entry, sp_stream_wq_wake);
		cb->wq_head = sk_sleep(sk);
		add_wait_queue(cb->wq_head, &cb->wq_entry);
	}
	return 0;
}

/* Undo sp_glue_stream_set_callbacks(): no event runs once it returns @ctx. */
void *sp_glue_stream_clear_callbacks(struct socket *sock)
{
	struct sock *sk = sock->sk;
	struct sp_stream_cb *cb;
	void *ctx = NULL;

	write_lock_bh(&sk->sk_callback_lock);
	cb = sp_stream_cb(sk);
	if (cb) {
		rcu_assign_sk_user_data(sk, NULL);
		sp_stream_restore(sk, cb);
		ctx = cb->ctx;
	}
	write_unlock_bh(&sk->sk_callback_lock);
	if (cb && cb->wq_head)
		remove_wait_queue(cb->wq_head, &cb->wq_entry);
	kfree(cb);
	return ctx;
}

/*
 * Every sp sock from its socket's creation to its release, oldest first,
 * for /proc/net/sp and sock_diag: the list holds a reference. Its lock is
 * a mutex, so that a walk may sleep: it reads each socket's state under
 * that socket's own mutex.
 */
static LIST_HEAD(sp_socks);
static DEFINE_MUTEX(sp_socks_lock);

void sp_glue_sk_list_add(struct sock *sk)
{
	mutex_lock(&sp_socks_lock);
	sock_hold(sk);
	list_add_tail(&sp_sk(sk)->link, &sp_socks);
	mutex_unlock(&sp_socks_lock);
}

void sp_glue_sk_list_del(struct sock *sk)
{
	mutex_lock(&sp_socks_lock);
	list_del_init(&sp_sk(sk)->link);
	mutex_unlock(&sp_socks_lock);
	sock_put(sk);
}

/*
 * Calls @fn(@sk, @arg) for the listed socks of @net from the @skip'th on,
 * until it returns nonzero; returns the position of the sock it stopped
 * at, or the number of socks of @net.
 */
long sp_glue_sk_list_walk(struct net *net, long skip,
			  int (*fn)(struct sock *sk, void *arg), void *arg)
{
	struct sp_sock *ss;
	long i = 0;

	mutex_lock(&sp_socks_lock);
	list_for_each_entry(ss, &sp_socks, link) {
		if (!net_eq(sock_net(&ss->sk), net))
			continue;
		if (i >= skip && fn(&ss->sk, arg))
			break;
		i++;
	}
	mutex_unlock(&sp_socks_lock);
	return i;
}

unsigned long sp_glue_sk_ino(struct sock *sk)
{
	return sock_i_ino(sk);
}

int sp_glue_net_bindv6only(struct net *net)
{
#if IS_ENABLED(CONFIG_IPV6)
	return READ_ONCE(net->ipv6.sysctl.bindv6only);
#else
	return 0;
#endif
}

/* /proc/net/sp in every network namespace, shown by Rust. */
static int (*sp_proc_show)(struct seq_file *seq, void *v);

static int __net_init sp_proc_net_init(struct net *net)
{
	if (!proc_create_net_single("sp", 0444, net->proc_net, sp_proc_show, NULL))
		return -ENOMEM;
	return 0;
}

static void __net_exit sp_proc_net_exit(struct net *net)
{
	remove_proc_entry("sp", net->proc_net);
}

static struct pernet_operations sp_proc_net_ops = {
	.init = sp_proc_net_init,
	.exit = sp_proc_net_exit,
};

int sp_glue_proc_register(int (*show)(struct seq_file *seq, void *v))
{
	sp_proc_show = show;
	return register_pernet_subsys(&sp_proc_net_ops);
}

void sp_glue_proc_unregister(void)
{
	unregister_pernet_subsys(&sp_proc_net_ops);
}

struct net *sp_glue_seq_net(struct seq_file *seq)
{
	return seq_file_single_net(seq);
}

/*
 * sock_diag for AF_SP (uapi/linux/sp_diag.h), as net/unix/diag.c: the
 * netlink side here, each socket's attributes from Rust.
 */
static int (*sp_diag_attrs)(struct sock *sk, struct sk_buff *skb, u32 show);

static int sp_diag_fill(struct sock *sk, struct sk_buff *skb,
			const struct sp_diag_req *req, u32 portid, u32 seq,
			u32 flags)
{
	struct sp_diag_msg *rep;
	struct nlmsghdr *nlh;

	nlh = nlmsg_put(skb, portid, seq, SOCK_DIAG_BY_FAMILY, sizeof(*rep),
			flags);
	if (!nlh)
		return -EMSGSIZE;
	rep = nlmsg_data(nlh);
	rep->sdiag_family = AF_SP;
	rep->sdiag_type = sk->sk_type;
	rep->pad = 0;
	rep->sdiag_ino = sock_i_ino(sk);
	sock_diag_save_cookie(sk, rep->sdiag_cookie);
	if (sp_diag_attrs(sk, skb, req->sdiag_show)) {
		nlmsg_cancel(skb, nlh);
		return -EMSGSIZE;
	}
	nlmsg_end(skb, nlh);
	return 0;
}

static bool sp_diag_match(struct sock *sk, struct net *net,
			  const struct sp_diag_req *req)
{
	return net_eq(sock_net(sk), net) &&
	       (!req->sdiag_type || sk->sk_type == req->sdiag_type);
}

/* cb->args[0]: the matching socks already dumped. */
static int sp_diag_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	const struct sp_diag_req *req = nlmsg_data(cb->nlh);
	struct net *net = sock_net(skb->sk);
	struct sp_sock *ss;
	long i = 0;

	mutex_lock(&sp_socks_lock);
	list_for_each_entry(ss, &sp_socks, link) {
		if (!sp_diag_match(&ss->sk, net, req))
			continue;
		if (i >= cb->args[0] &&
		    sp_diag_fill(&ss->sk, skb, req, NETLINK_CB(cb->skb).portid,
				 cb->nlh->nlmsg_seq, NLM_F_MULTI) < 0)
			break;
		i++;
	}
	mutex_unlock(&sp_socks_lock);
	cb->args[0] = i;
	return skb->len;
}

static int sp_diag_get_exact(struct sk_buff *in_skb, const struct nlmsghdr *nlh,
			     const struct sp_diag_req *req)
{
	struct net *net = sock_net(in_skb->sk);
	unsigned int extra = 1024;
	struct sock *sk = NULL;
	struct sp_sock *ss;
	struct sk_buff *rep;
	int err;

	if (!req->sdiag_ino)
		return -EINVAL;
	mutex_lock(&sp_socks_lock);
	list_for_each_entry(ss, &sp_socks, link) {
		if (sp_diag_match(&ss->sk, net, req) &&
		    sock_i_ino(&ss->sk) == req->sdiag_ino) {
			sk = &ss->sk;
			sock_hold(sk);
			break;
		}
	}
	mutex_unlock(&sp_socks_lock);
	if (!sk)
		return -ENOENT;
	err = sock_diag_check_cookie(sk, req->sdiag_cookie);
	if (err)
		goto out;
again:
	err = -ENOMEM;
	rep = nlmsg_new(sizeof(struct sp_diag_msg) + extra, GFP_KERNEL);
	if (!rep)
		goto out;
	err = sp_diag_fill(sk, rep, req, NETLINK_CB(in_skb).portid,
			   nlh->nlmsg_seq, 0);
	if (err < 0) {
		nlmsg_free(rep);
		extra *= 2;
		if (extra <= 16 * PAGE_SIZE)
			goto again;
		goto out;
	}
	err = nlmsg_unicast(net->diag_nlsk, rep, NETLINK_CB(in_skb).portid);
out:
	sock_put(sk);
	return err;
}

static int sp_diag_handler_dump(struct sk_buff *skb, struct nlmsghdr *h)
{
	if (nlmsg_len(h) < sizeof(struct sp_diag_req))
		return -EINVAL;
	if (h->nlmsg_flags & NLM_F_DUMP) {
		struct netlink_dump_control c = { .dump = sp_diag_dump };

		return netlink_dump_start(sock_net(skb->sk)->diag_nlsk, skb, h, &c);
	}
	return sp_diag_get_exact(skb, h, nlmsg_data(h));
}

static const struct sock_diag_handler sp_diag_handler = {
	.owner = THIS_MODULE,
	.family = AF_SP,
	.dump = sp_diag_handler_dump,
};

int sp_glue_diag_register(int (*attrs)(struct sock *sk, struct sk_buff *skb, u32 show))
{
	sp_diag_attrs = attrs;
	return sock_diag_register(&sp_diag_handler);
}

void sp_glue_diag_unregister(void)
{
	sock_diag_unregister(&sp_diag_handler);
}

/* Attribute nests, as nla_nest_start()/nla_nest_end(). */
struct nlattr *sp_glue_nla_nest_start(struct sk_buff *skb, int type)
{
	return nla_nest_start_noflag(skb, type);
}

void sp_glue_nla_nest_end(struct sk_buff *skb, struct nlattr *start)
{
	nla_nest_end(skb, start);
}

void sp_glue_nla_nest_cancel(struct sk_buff *skb, struct nlattr *start)
{
	nla_nest_cancel(skb, start);
}
