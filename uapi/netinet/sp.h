/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * User-space entry point for sp sockets:
 *
 *	#include <netinet/sp.h>
 *
 * It brings in the socket API and the PF_SP definitions from <linux/sp.h>.
 */
#ifndef _NETINET_SP_H
#define _NETINET_SP_H

#include <sys/socket.h>
#include <netinet/in.h>
#include <linux/sp.h>

#endif /* _NETINET_SP_H */
