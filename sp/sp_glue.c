// SPDX-License-Identifier: GPL-2.0
/*
 * C glue for the sp module: only what Rust cannot reach in this kernel.
 *
 * The 7.3 bindings include <linux/net.h> but not <net/sock.h>: the fields
 * of struct sock and the static inlines over them (sock_hold(),
 * sock_rcvtimeo(), sk_sleep(), ...) are out of Rust's reach. So C holds:
 *  - struct sp_sock and its struct proto (sk_alloc() needs the object size);
 *  - one-line shims for such fields and static inlines;
 *  - the wait loop (DEFINE_WAIT_FUNC(), wait_woken());
 *  - the sk_user_data callback swap on kernel TCP sockets, under
 *    sk_callback_lock;
 *  - creating, binding and connecting TCP sockets as the user would, with
 *    the LSM hooks a patched kernel exports (SP_HAVE_POLICY_EXPORTS).
 * Exported functions are called from Rust directly: kernel::bindings has
 * most, and sp/net/glue.rs declares those it lacks. sp/net/ wraps each
 * helper here in a safe Rust API; none holds policy of its own.
 */

#include <linux/cgroup.h>
#include <linux/cred.h>
#include <linux/memcontrol.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/security.h>
#include <linux/uio.h>
#include <linux/tcp.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "sp_glue.h"

/**
 * struct sp_sock - an sp socket
 * @sk: the generic socket; must stay first (sk_alloc() allocates obj_size)
 * @priv: the Rust state, a ForeignOwnable pointer owned by the socket and
 *	  released by the destructor that sp_glue_sock_create() installs
 */
struct sp_sock {
	struct sock sk;
	void *priv;
};

static inline struct sp_sock *sp_sk(struct sock *sk)
{
	return container_of(sk, struct sp_sock, sk);
}

static struct workqueue_struct *sp_wq;

static struct proto sp_proto = {
	.name		= "SP",
	.owner		= THIS_MODULE,
	.obj_size	= sizeof(struct sp_sock),
};

/**
 * sp_glue_proto_register() - register the sp struct proto and its slab,
 * and allocate the workqueue that runs all pipe and endpoint work
 *
 * Return: 0 or a negative errno.
 */
int sp_glue_proto_register(void)
{
	int err;

	sp_wq = alloc_workqueue("sp", WQ_PERCPU, 0);
	if (!sp_wq)
		return -ENOMEM;
#ifndef SP_HAVE_POLICY_EXPORTS
	pr_warn("sp: this kernel does not export security_socket_connect() and the socket cgroup helpers (qemu/patches/): LSM rules and cgroup data do not reach sp's TCP sockets\n");
#endif
	err = proto_register(&sp_proto, 1);
	if (err)
		destroy_workqueue(sp_wq);
	return err;
}

/**
 * sp_glue_proto_unregister() - undo sp_glue_proto_register()
 *
 * Every sp socket is gone by now (each pins the module), and with it every
 * work item; destroy_workqueue() still drains what might be left.
 */
void sp_glue_proto_unregister(void)
{
	proto_unregister(&sp_proto);
	destroy_workqueue(sp_wq);
}

/* The sp workqueue. */
struct workqueue_struct *sp_glue_wq(void)
{
	return sp_wq;
}

/**
 * sp_glue_sock_create() - allocate and attach the struct sock of a socket
 * @net: network namespace of the new socket
 * @sock: the socket being created
 * @kern: whether the socket is created by the kernel
 * @ops: the family's proto_ops, installed in @sock
 * @destruct: called when the last reference to the sock is dropped; it
 *	      owns sp_glue_sk_priv() of the sock, which may still be NULL
 *
 * Return: 0 or -ENOMEM.
 */
int sp_glue_sock_create(struct net *net, struct socket *sock, int kern,
			const struct proto_ops *ops,
			void (*destruct)(struct sock *sk))
{
	struct sock *sk;

	sk = sk_alloc(net, ops->family, GFP_KERNEL, &sp_proto, kern);
	if (!sk)
		return -ENOMEM;

	sock->ops = ops;
	sock->state = SS_UNCONNECTED;
	sock_init_data(sock, sk);
	sk->sk_protocol = IPPROTO_TCP;
	sk->sk_destruct = destruct;
	sp_sk(sk)->priv = NULL;
	return 0;
}

/**
 * sp_glue_sock_abort() - free the sock of a socket whose creation failed
 * @sock: the socket; its ops are about to be cleared by the socket layer
 */
void sp_glue_sock_abort(struct socket *sock)
{
	struct sock *sk = sock->sk;

	sock_orphan(sk);
	sock->sk = NULL;
	sock_put(sk);
}

/**
 * sp_glue_sock_release() - detach the sock from a closing socket
 * @sock: the socket being released
 *
 * The sock itself lives on until its last reference is dropped.
 */
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

/* The Rust state of an sp sock. */
void *sp_glue_sk_priv(struct sock *sk)
{
	return sp_sk(sk)->priv;
}

/* Store the Rust state of an sp sock. */
void sp_glue_sk_set_priv(struct sock *sk, void *priv)
{
	sp_sk(sk)->priv = priv;
}

/**
 * sp_glue_poll_wait() - register on the socket's wait queue
 * @file: the file being polled
 * @sock: its socket
 * @wait: the poll table
 *
 * Return: the mask that does not depend on the pattern (errors, shutdown).
 */
__poll_t sp_glue_poll_wait(struct file *file, struct socket *sock,
			   poll_table *wait)
{
	struct sock *sk = sock->sk;
	__poll_t mask = 0;

	sock_poll_wait(file, sock, wait);

	if (READ_ONCE(sk->sk_err))
		mask |= EPOLLERR;
	if (READ_ONCE(sk->sk_shutdown) == SHUTDOWN_MASK)
		mask |= EPOLLHUP;
	if (READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN)
		mask |= EPOLLRDHUP | EPOLLIN | EPOLLRDNORM;
	return mask;
}

/* Copy a setsockopt() value in. */
int sp_glue_copy_from_sockptr(void *dst, sockptr_t src, size_t size)
{
	return copy_from_sockptr(dst, src, size) ? -EFAULT : 0;
}

/* The receive timeout of a sock. */
long sp_glue_rcvtimeo(struct sock *sk, bool nonblock)
{
	return sock_rcvtimeo(sk, nonblock);
}

/* The send timeout of a sock. */
long sp_glue_sndtimeo(struct sock *sk, bool nonblock)
{
	return sock_sndtimeo(sk, nonblock);
}

/**
 * sp_glue_wait() - sleep on the sock's wait queue until @ready
 * @sk: the sock
 * @timeo: in: jiffies left (MAX_SCHEDULE_TIMEOUT for none); out: the rest
 * @ready: the condition, evaluated in process context (it may take mutexes)
 * @ctx: its argument
 *
 * Return: 0 once @ready() holds; -EAGAIN when @timeo runs out (0 at once);
 * -ERESTARTSYS or -EINTR when a signal is pending, per sock_intr_errno().
 */
int sp_glue_wait(struct sock *sk, long *timeo, bool (*ready)(void *ctx),
		 void *ctx)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	int err = 0;

	add_wait_queue(sk_sleep(sk), &wait);
	while (!ready(ctx)) {
		if (!*timeo) {
			err = -EAGAIN;
			break;
		}
		if (signal_pending(current)) {
			err = sock_intr_errno(*timeo);
			break;
		}
		*timeo = wait_woken(&wait, TASK_INTERRUPTIBLE, *timeo);
	}
	remove_wait_queue(sk_sleep(sk), &wait);
	return err;
}

/**
 * sp_glue_wake() - wake sleepers and pollers of a sock
 * @sk: the sock
 * @mask: the EPOLL* events that became true
 */
void sp_glue_wake(struct sock *sk, __poll_t mask)
{
	struct socket_wq *wq;

	rcu_read_lock();
	wq = rcu_dereference(sk->sk_wq);
	if (skwq_has_sleeper(wq))
		wake_up_interruptible_poll(&wq->wait, mask);
	rcu_read_unlock();
}

/* Take a reference on a sock. */
void sp_glue_sock_hold(struct sock *sk)
{
	sock_hold(sk);
}

/* Drop a reference on a sock. */
void sp_glue_sock_put(struct sock *sk)
{
	sock_put(sk);
}

/* SO_RCVBUF of a sock, in bytes. */
int sp_glue_sk_rcvbuf(struct sock *sk)
{
	return READ_ONCE(sk->sk_rcvbuf);
}

/* SO_SNDBUF of a sock, in bytes. */
int sp_glue_sk_sndbuf(struct sock *sk)
{
	return READ_ONCE(sk->sk_sndbuf);
}

/**
 * sp_glue_sk_lingertime() - SO_LINGER of a sock
 * @sk: the sock
 *
 * Return: -1 when SO_LINGER is off, else the linger time in jiffies.
 */
long sp_glue_sk_lingertime(struct sock *sk)
{
	if (!sock_flag(sk, SOCK_LINGER))
		return -1;
	return READ_ONCE(sk->sk_lingertime);
}

/*
 * Make @sk, a TCP socket sp opened for the user of @owner, belong where
 * @owner does: its cgroup (cgroup BPF programs, net_cls) and its memcg, as
 * mptcp_attach_cgroup() does for subflows.  A no-op when @sk was made in
 * the user's own context.
 */
static void sp_tcp_inherit(struct sock *owner, struct sock *sk)
{
#ifdef SP_HAVE_POLICY_EXPORTS
#ifdef CONFIG_SOCK_CGROUP_DATA
	if (sock_cgroup_ptr(&owner->sk_cgrp_data) !=
	    sock_cgroup_ptr(&sk->sk_cgrp_data)) {
		cgroup_sk_free(&sk->sk_cgrp_data);
		sk->sk_cgrp_data = owner->sk_cgrp_data;
		cgroup_sk_clone(&sk->sk_cgrp_data);
	}
#endif
	if (mem_cgroup_sockets_enabled)
		mem_cgroup_sk_inherit(owner, sk);
#endif
}

/**
 * sp_glue_tcp_create() - create a TCP socket on behalf of an sp socket's user
 * @owner: the sp sock; the new socket joins its namespace, cgroup and memcg
 * @cred: the user's credentials, or NULL for the caller's
 * @family: AF_INET or AF_INET6
 * @res: the new socket
 *
 * The socket is created as the user would create it (not a kernel
 * socket): the LSM checks and labels it with @cred, and it holds a
 * reference on the namespace, so that its timers cannot outlive it.
 *
 * Return: 0 or a negative errno.
 */
int sp_glue_tcp_create(struct sock *owner, const struct cred *cred,
		       int family, struct socket **res)
{
	const struct cred *old = cred ? override_creds(cred) : NULL;
	int err;

	err = __sock_create(sock_net(owner), family, SOCK_STREAM, IPPROTO_TCP,
			    res, 0);
	if (old)
		revert_creds(old);
	/*
	 * sock_alloc() failing gives ENFILE, the file table's errno; these
	 * sockets have no file, and what ran out was memory.
	 */
	if (err == -ENFILE)
		err = -ENOMEM;
	if (err)
		return err;
	sp_tcp_inherit(owner, (*res)->sk);
	return 0;
}

/**
 * sp_glue_tcp_bind_listen() - bind and listen, as bind(2) and listen(2) would
 * @sock: a new TCP socket
 * @addr: the address (sockaddr_in or sockaddr_in6)
 * @len: its length
 * @backlog: the listen backlog
 *
 * Runs in the context of the user's bind(), with its LSM checks.
 *
 * Return: 0 or a negative errno.
 */
int sp_glue_tcp_bind_listen(struct socket *sock, struct sockaddr_unsized *addr,
			    int len, int backlog)
{
	int err;

	sock_set_reuseaddr(sock->sk);
#ifdef SP_HAVE_POLICY_EXPORTS
	err = security_socket_bind(sock, (struct sockaddr *)addr, len);
	if (err)
		return err;
#endif
	err = kernel_bind(sock, addr, len);
	if (err)
		return err;
#ifdef SP_HAVE_POLICY_EXPORTS
	err = security_socket_listen(sock, backlog);
	if (err)
		return err;
#endif
	return kernel_listen(sock, backlog);
}

/**
 * sp_glue_tcp_connect() - start a non-blocking connect, as connect(2) would
 * @sock: a new TCP socket
 * @cred: the user's credentials, or NULL for the caller's
 * @addr: the peer (sockaddr_in or sockaddr_in6)
 * @len: its length
 *
 * The LSM decides with @cred, as for the user's own connect().
 *
 * Return: 0 or -EINPROGRESS when under way, else a negative errno.
 */
int sp_glue_tcp_connect(struct socket *sock, const struct cred *cred,
			struct sockaddr_unsized *addr, int len)
{
	const struct cred *old = cred ? override_creds(cred) : NULL;
	int err = 0;

#ifdef SP_HAVE_POLICY_EXPORTS
	err = security_socket_connect(sock, (struct sockaddr *)addr, len);
#endif
	if (!err)
		err = kernel_connect(sock, addr, len, O_NONBLOCK);
	if (old)
		revert_creds(old);
	return err;
}

/* The caller's credentials: a counted reference, for put_cred(). */
const struct cred *sp_glue_current_cred(void)
{
	return get_current_cred();
}

/* A work item's allocations for @sk go to @sk's memcg, not the kworker's. */
struct mem_cgroup *sp_glue_memcg_enter(struct sock *sk)
{
	return set_active_memcg(mem_cgroup_from_sk(sk));
}

/* Undo sp_glue_memcg_enter(). */
void sp_glue_memcg_exit(struct mem_cgroup *old)
{
	set_active_memcg(old);
}

/* The TCP state of a socket. */
int sp_glue_tcp_state(struct socket *sock)
{
	return READ_ONCE(sock->sk->sk_state);
}

/* Bytes queued, unsent or unacked: 0 after a refused send means no memory. */
int sp_glue_tcp_wmem_queued(struct socket *sock)
{
	return READ_ONCE(sock->sk->sk_wmem_queued);
}

/* Take the pending socket error. */
int sp_glue_tcp_error(struct socket *sock)
{
	return sock_error(sock->sk);
}

/**
 * struct sp_tcp_cb - callbacks installed on a kernel TCP socket
 * @data_ready: the socket's original sk_data_ready
 * @write_space: the socket's original sk_write_space
 * @state_change: the socket's original sk_state_change
 * @event: called (in softirq context, under sk_callback_lock) on events
 * @ctx: its argument
 */
struct sp_tcp_cb {
	void (*data_ready)(struct sock *sk);
	void (*write_space)(struct sock *sk);
	void (*state_change)(struct sock *sk);
	void (*event)(void *ctx, unsigned int ev);
	void *ctx;
};

/*
 * Our sk_user_data is tagged SK_USER_DATA_NOCOPY: a listener's children
 * start with none (sk_clone), though they inherit its callbacks until
 * sp_glue_tcp_accept() resets them. Read it under sk_callback_lock.
 */
static struct sp_tcp_cb *sp_tcp_cb(struct sock *sk)
{
	return __locked_read_sk_user_data_with_flags(sk, SK_USER_DATA_NOCOPY);
}

/**
 * sp_glue_tcp_accept() - accept one pending connection without blocking
 * @sock: a listening socket from sp_glue_tcp_create()
 * @res: the new socket
 *
 * Return: 0, -EAGAIN when none is pending, or a negative errno.
 */
int sp_glue_tcp_accept(struct socket *sock, struct socket **res)
{
	void (*state_change)(struct sock *sk);
	void (*write_space)(struct sock *sk);
	void (*data_ready)(struct sock *sk);
	struct sock *sk = sock->sk, *child;
	struct sp_tcp_cb *cb;
	int err;

	/* The child inherits the listener's netns reference (sk_clone). */
	err = kernel_accept(sock, res, O_NONBLOCK);
	if (err)
		return err;
	/*
	 * It also inherits the listener's callbacks, which are ours: give it
	 * the originals, so that nothing of sp stays on it unless its pipe
	 * installs its own (one callback lock at a time: both are TCP's).
	 */
	read_lock_bh(&sk->sk_callback_lock);
	cb = sp_tcp_cb(sk);
	data_ready = cb ? cb->data_ready : sk->sk_data_ready;
	write_space = cb ? cb->write_space : sk->sk_write_space;
	state_change = cb ? cb->state_change : sk->sk_state_change;
	read_unlock_bh(&sk->sk_callback_lock);

	child = (*res)->sk;
	write_lock_bh(&child->sk_callback_lock);
	child->sk_data_ready = data_ready;
	child->sk_write_space = write_space;
	child->sk_state_change = state_change;
	write_unlock_bh(&child->sk_callback_lock);
	return 0;
}

static void sp_tcp_event(struct sock *sk, unsigned int ev)
{
	struct sp_tcp_cb *cb;

	read_lock_bh(&sk->sk_callback_lock);
	cb = sp_tcp_cb(sk);
	if (cb)
		cb->event(cb->ctx, ev);
	read_unlock_bh(&sk->sk_callback_lock);
}

static void sp_tcp_data_ready(struct sock *sk)
{
	sp_tcp_event(sk, SP_TCP_READABLE);
}

static void sp_tcp_write_space(struct sock *sk)
{
	sp_tcp_event(sk, SP_TCP_WRITABLE);
}

static void sp_tcp_state_change(struct sock *sk)
{
	sp_tcp_event(sk, SP_TCP_STATE);
}

/**
 * sp_glue_tcp_set_callbacks() - route a TCP socket's events to @event
 * @sock: the socket
 * @event: called in softirq context; it must not sleep or allocate
 * @ctx: its argument, owned by the installation until
 *	 sp_glue_tcp_clear_callbacks() returns it
 *
 * Return: 0 or -ENOMEM.
 */
int sp_glue_tcp_set_callbacks(struct socket *sock,
			      void (*event)(void *ctx, unsigned int ev),
			      void *ctx)
{
	struct sock *sk = sock->sk;
	struct sp_tcp_cb *cb;

	cb = kzalloc(sizeof(*cb), GFP_KERNEL);
	if (!cb)
		return -ENOMEM;
	cb->event = event;
	cb->ctx = ctx;

	write_lock_bh(&sk->sk_callback_lock);
	cb->data_ready = sk->sk_data_ready;
	cb->write_space = sk->sk_write_space;
	cb->state_change = sk->sk_state_change;
	__rcu_assign_sk_user_data_with_flags(sk, cb, SK_USER_DATA_NOCOPY);
	sk->sk_data_ready = sp_tcp_data_ready;
	sk->sk_write_space = sp_tcp_write_space;
	sk->sk_state_change = sp_tcp_state_change;
	write_unlock_bh(&sk->sk_callback_lock);
	return 0;
}

/**
 * sp_glue_tcp_clear_callbacks() - undo sp_glue_tcp_set_callbacks()
 * @sock: the socket
 *
 * No event runs or starts once this returns.
 *
 * Return: the @ctx given at installation, or NULL if none was installed.
 */
void *sp_glue_tcp_clear_callbacks(struct socket *sock)
{
	struct sock *sk = sock->sk;
	struct sp_tcp_cb *cb;
	void *ctx = NULL;

	write_lock_bh(&sk->sk_callback_lock);
	cb = sp_tcp_cb(sk);
	if (cb) {
		rcu_assign_sk_user_data(sk, NULL);
		sk->sk_data_ready = cb->data_ready;
		sk->sk_write_space = cb->write_space;
		sk->sk_state_change = cb->state_change;
		ctx = cb->ctx;
	}
	write_unlock_bh(&sk->sk_callback_lock);
	kfree(cb);
	/*
	 * Children still in a listener's accept queue carry our callbacks
	 * (cloned before they were restored): accept and close them now, with
	 * the originals, so that none outlives the module with ours.
	 */
	if (sk->sk_state == TCP_LISTEN) {
		struct socket *child;

		while (!sp_glue_tcp_accept(sock, &child))
			sock_release(child);
	}
	return ctx;
}
