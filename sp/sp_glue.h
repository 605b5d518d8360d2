/* SPDX-License-Identifier: GPL-2.0 */
/*
 * C glue for the sp module (sp_glue.c says what is in C and why); only
 * sp/net/ calls these, through sp/net/glue.rs.
 */
#ifndef _SP_GLUE_H
#define _SP_GLUE_H

#include <linux/net.h>
#include <linux/poll.h>
#include <linux/sockptr.h>
#include <linux/workqueue.h>

struct sock;

int sp_glue_proto_register(void);
void sp_glue_proto_unregister(void);
struct workqueue_struct *sp_glue_wq(void);

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

/* Waiting on and waking the sp socket. */
long sp_glue_rcvtimeo(struct sock *sk, bool nonblock);
long sp_glue_sndtimeo(struct sock *sk, bool nonblock);
int sp_glue_wait(struct sock *sk, long *timeo, bool (*ready)(void *ctx),
		 void *ctx);
void sp_glue_wake(struct sock *sk, __poll_t mask);
void sp_glue_sock_hold(struct sock *sk);
void sp_glue_sock_put(struct sock *sk);
int sp_glue_sk_rcvbuf(struct sock *sk);
int sp_glue_sk_sndbuf(struct sock *sk);
long sp_glue_sk_lingertime(struct sock *sk);


/* Kernel TCP sockets. */
enum sp_tcp_event {
	SP_TCP_READABLE	= 1,
	SP_TCP_WRITABLE	= 2,
	SP_TCP_STATE	= 4,
};

struct cred;
struct mem_cgroup;

int sp_glue_tcp_create(struct sock *owner, const struct cred *cred,
		       int family, struct socket **res);
int sp_glue_tcp_bind_listen(struct socket *sock, struct sockaddr_unsized *addr,
			    int len, int backlog);
int sp_glue_tcp_connect(struct socket *sock, const struct cred *cred,
			struct sockaddr_unsized *addr, int len);
const struct cred *sp_glue_current_cred(void);
struct mem_cgroup *sp_glue_memcg_enter(struct sock *sk);
void sp_glue_memcg_exit(struct mem_cgroup *old);
int sp_glue_tcp_accept(struct socket *sock, struct socket **res);
int sp_glue_tcp_state(struct socket *sock);
int sp_glue_tcp_wmem_queued(struct socket *sock);
int sp_glue_tcp_error(struct socket *sock);
int sp_glue_tcp_set_callbacks(struct socket *sock,
			      void (*event)(void *ctx, unsigned int ev),
			      void *ctx);
void *sp_glue_tcp_clear_callbacks(struct socket *sock);

#endif /* _SP_GLUE_H */
