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

#include <linux/module.h>
#include <linux/uio.h>
#include <net/sock.h>

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

static struct proto sp_proto = {
	.name		= "SP",
	.owner		= THIS_MODULE,
	.obj_size	= sizeof(struct sp_sock),
};

/**
 * sp_glue_proto_register() - register the sp struct proto and its slab
 *
 * Return: 0 or a negative errno.
 */
int sp_glue_proto_register(void)
{
	return proto_register(&sp_proto, 1);
}

/**
 * sp_glue_proto_unregister() - undo sp_glue_proto_register()
 */
void sp_glue_proto_unregister(void)
{
	proto_unregister(&sp_proto);
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
