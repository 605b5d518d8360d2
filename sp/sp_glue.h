/* SPDX-License-Identifier: GPL-2.0 */
/*
 * C glue for the sp module: the parts of <net/sock.h> that the Rust
 * bindings of this kernel do not cover (struct proto, sk_alloc, the
 * socket lock, poll wait queues).  Only sp/net/ calls these.
 */
#ifndef _SP_GLUE_H
#define _SP_GLUE_H

#include <linux/net.h>
#include <linux/poll.h>
#include <linux/sockptr.h>

struct sock;

int sp_glue_proto_register(void);
void sp_glue_proto_unregister(void);

int sp_glue_sock_create(struct net *net, struct socket *sock, int kern,
			const struct proto_ops *ops,
			void (*destruct)(struct sock *sk));
void sp_glue_sock_abort(struct socket *sock);
void sp_glue_sock_release(struct socket *sock);

void *sp_glue_sk_priv(struct sock *sk);
void sp_glue_sk_set_priv(struct sock *sk, void *priv);

__poll_t sp_glue_poll_wait(struct file *file, struct socket *sock,
			   poll_table *wait);

int sp_glue_copy_from_sockptr(void *dst, sockptr_t src, size_t size);
int sp_glue_sockopt_len(const sockopt_t *opt);
int sp_glue_sockopt_put(sockopt_t *opt, const void *src, int len);

#endif /* _SP_GLUE_H */
