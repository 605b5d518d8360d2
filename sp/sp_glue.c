// SPDX-License-Identifier: GPL-2.0
/*
 * C glue for the sp module.
 *
 * The Rust bindings of this kernel include <linux/net.h> but not
 * <net/sock.h>: struct sock is opaque to Rust, and struct proto, sk_alloc(),
 * lock_sock() and the static inline helpers are out of reach.  These small
 * helpers fill that gap.  They hold no policy; sp/net/ wraps each in a safe
 * Rust API.
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

/**
 * sp_glue_wq() - the sp workqueue
 *
 * Return: the workqueue; valid while the module is loaded.
 */
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

/**
 * sp_glue_sk_priv() - the Rust state of an sp sock
 * @sk: an sp sock
 *
 * Return: the pointer stored by sp_glue_sk_set_priv(), or NULL.
 */
void *sp_glue_sk_priv(struct sock *sk)
{
	return sp_sk(sk)->priv;
}

/**
 * sp_glue_sk_set_priv() - store the Rust state of an sp sock
 * @sk: an sp sock
 * @priv: the state; the sock's destructor releases it
 */
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

/**
 * sp_glue_copy_from_sockptr() - copy a setsockopt() value in
 * @dst: kernel buffer of at least @size bytes
 * @src: the user or kernel value
 * @size: bytes to copy
 *
 * Return: 0 or -EFAULT.
 */
int sp_glue_copy_from_sockptr(void *dst, sockptr_t src, size_t size)
{
	return copy_from_sockptr(dst, src, size) ? -EFAULT : 0;
}

/**
 * sp_glue_sockopt_len() - the caller's getsockopt() buffer size
 * @opt: the option container
 *
 * Return: the buffer size in bytes (never negative).
 */
int sp_glue_sockopt_len(const sockopt_t *opt)
{
	return opt->optlen;
}

/**
 * sp_glue_sockopt_put() - return a getsockopt() value
 * @opt: the option container
 * @src: the value
 * @len: its length, at most sp_glue_sockopt_len()
 *
 * Return: 0 or -EFAULT.
 */
int sp_glue_sockopt_put(sockopt_t *opt, const void *src, int len)
{
	if (copy_to_iter(src, len, &opt->iter_out) != len)
		return -EFAULT;
	opt->optlen = len;
	return 0;
}

/**
 * sp_glue_rcvtimeo() - the receive timeout of a sock
 * @sk: the sock
 * @nonblock: MSG_DONTWAIT or O_NONBLOCK in force
 *
 * Return: the timeout in jiffies; 0 if @nonblock.
 */
long sp_glue_rcvtimeo(struct sock *sk, bool nonblock)
{
	return sock_rcvtimeo(sk, nonblock);
}

/**
 * sp_glue_sndtimeo() - the send timeout of a sock
 * @sk: the sock
 * @nonblock: MSG_DONTWAIT or O_NONBLOCK in force
 *
 * Return: the timeout in jiffies; 0 if @nonblock.
 */
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

/**
 * sp_glue_sock_hold() - take a reference on a sock
 * @sk: the sock
 */
void sp_glue_sock_hold(struct sock *sk)
{
	sock_hold(sk);
}

/**
 * sp_glue_sock_put() - drop a reference on a sock
 * @sk: the sock
 */
void sp_glue_sock_put(struct sock *sk)
{
	sock_put(sk);
}

/**
 * sp_glue_sk_rcvbuf() - SO_RCVBUF of a sock, in bytes
 * @sk: the sock
 *
 * Return: the receive buffer size.
 */
int sp_glue_sk_rcvbuf(struct sock *sk)
{
	return READ_ONCE(sk->sk_rcvbuf);
}

/**
 * sp_glue_sk_sndbuf() - SO_SNDBUF of a sock, in bytes
 * @sk: the sock
 *
 * Return: the send buffer size.
 */
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

/**
 * sp_glue_msg_copy_from() - copy a message body in from sendmsg()
 * @msg: the message
 * @dst: kernel buffer of @len bytes
 * @len: bytes to copy
 *
 * Return: 0 or -EFAULT.
 */
int sp_glue_msg_copy_from(struct msghdr *msg, void *dst, size_t len)
{
	return copy_from_iter_full(dst, len, &msg->msg_iter) ? 0 : -EFAULT;
}

/**
 * sp_glue_msg_copy_to() - copy a message body out for recvmsg()
 * @msg: the message
 * @src: the data
 * @len: bytes to copy, at most the room in @msg
 *
 * Return: 0 or -EFAULT.
 */
int sp_glue_msg_copy_to(struct msghdr *msg, const void *src, size_t len)
{
	return memcpy_to_msg(msg, (void *)src, len);
}

/**
 * sp_glue_msg_set_flags() - add MSG_* flags to a received message
 * @msg: the message
 * @flags: the flags to add (MSG_TRUNC)
 */
void sp_glue_msg_set_flags(struct msghdr *msg, int flags)
{
	msg->msg_flags |= flags;
}

/**
 * sp_glue_msg_name_set() - report that recvmsg() returns no address
 * @msg: the message
 *
 * Return: 0.
 */
int sp_glue_msg_name_set(struct msghdr *msg)
{
	msg->msg_namelen = 0;
	return 0;
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

/**
 * sp_glue_current_cred() - the caller's credentials
 *
 * Return: a counted reference, for put_cred().
 */
const struct cred *sp_glue_current_cred(void)
{
	return get_current_cred();
}

/**
 * sp_glue_memcg_enter() - charge allocations to an sp sock's memcg
 * @sk: the sp sock
 *
 * For work items, which run in a kworker's memcg: what they allocate with
 * __GFP_ACCOUNT on behalf of @sk goes to the memcg @sk was created in.
 *
 * Return: the previous active memcg, for sp_glue_memcg_exit().
 */
struct mem_cgroup *sp_glue_memcg_enter(struct sock *sk)
{
	return set_active_memcg(mem_cgroup_from_sk(sk));
}

/**
 * sp_glue_memcg_exit() - undo sp_glue_memcg_enter()
 * @old: what it returned
 */
void sp_glue_memcg_exit(struct mem_cgroup *old)
{
	set_active_memcg(old);
}

/**
 * sp_glue_tcp_release() - close a kernel TCP socket
 * @sock: the socket; its callbacks must have been cleared
 */
void sp_glue_tcp_release(struct socket *sock)
{
	sock_release(sock);
}

/**
 * sp_glue_tcp_getname() - local or peer address of a TCP socket
 * @sock: the socket
 * @addr: room for a sockaddr_storage
 * @peer: 0 for the local address, 1 for the peer
 *
 * Return: the address length or a negative errno.
 */
int sp_glue_tcp_getname(struct socket *sock, struct sockaddr *addr, int peer)
{
	return peer ? kernel_getpeername(sock, addr) :
		      kernel_getsockname(sock, addr);
}

/**
 * sp_glue_tcp_recv() - receive without blocking
 * @sock: a connected TCP socket
 * @buf: the buffer
 * @len: its size
 *
 * Return: bytes received, 0 at end of stream, -EAGAIN, or a negative errno.
 */
int sp_glue_tcp_recv(struct socket *sock, void *buf, size_t len)
{
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT };
	struct kvec iov = { .iov_base = buf, .iov_len = len };

	return kernel_recvmsg(sock, &msg, &iov, 1, len, MSG_DONTWAIT);
}

/**
 * sp_glue_tcp_state() - the TCP state of a socket
 * @sock: the socket
 *
 * Return: TCP_ESTABLISHED, TCP_SYN_SENT, TCP_CLOSE, ...
 */
int sp_glue_tcp_state(struct socket *sock)
{
	return READ_ONCE(sock->sk->sk_state);
}

/**
 * sp_glue_tcp_wmem_queued() - bytes queued in a TCP socket, unsent or unacked
 * @sock: the socket
 *
 * Return: sk_wmem_queued; 0 means a refused send lacked memory, not room.
 */
int sp_glue_tcp_wmem_queued(struct socket *sock)
{
	return READ_ONCE(sock->sk->sk_wmem_queued);
}

/**
 * sp_glue_tcp_error() - take the pending socket error
 * @sock: the socket
 *
 * Return: 0 or a negative errno (ECONNREFUSED, ...).
 */
int sp_glue_tcp_error(struct socket *sock)
{
	return sock_error(sock->sk);
}

/**
 * sp_glue_tcp_set_nodelay() - set TCP_NODELAY
 * @sock: the socket
 * @on: the value
 */
void sp_glue_tcp_set_nodelay(struct socket *sock, bool on)
{
	if (on)
		tcp_sock_set_nodelay(sock->sk);
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

/**
 * sp_glue_cancel_work_sync() - cancel a work item and wait for it
 * @work: the work item
 *
 * Return: true if it was pending (its queued reference is the caller's to
 * drop).
 */
bool sp_glue_cancel_work_sync(struct work_struct *work)
{
	return cancel_work_sync(work);
}

/**
 * sp_glue_cancel_delayed_work_sync() - cancel a delayed work item and wait
 * @work: the work_struct inside the delayed_work
 *
 * Return: true if it was pending (timer armed or queued).
 */
bool sp_glue_cancel_delayed_work_sync(struct work_struct *work)
{
	return cancel_delayed_work_sync(to_delayed_work(work));
}

/**
 * sp_glue_random_below() - a uniform random number
 * @ceil: the bound, at least 1
 *
 * Return: a number in [0, @ceil).
 */
u32 sp_glue_random_below(u32 ceil)
{
	return get_random_u32_below(ceil);
}

/**
 * sp_glue_log_ratelimited() - log a peer's misbehaviour, ratelimited
 * @what: what happened, a NUL-terminated string
 * @val: a value to show with it
 */
void sp_glue_log_ratelimited(const char *what, long val)
{
	net_info_ratelimited("sp: %s (%ld)\n", what, val);
}
