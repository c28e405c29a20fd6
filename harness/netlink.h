/*
** netlink: the few rtnetlink operations a lab needs, through libnl-3.
** A socket belongs to the namespace it was opened in; the lab keeps one per
** node. Veth ends are born in their target namespaces (IFLA_NET_NS_FD on both
** ends), ~10x cheaper than moving links after creation.
*/
#ifndef VPNLAB_NETLINK_H
#define VPNLAB_NETLINK_H

#include <stddef.h>
#include <stdint.h>

struct nl_sock;

/* One end of a veth pair. */
struct netlink_end {
	const char *name;       /* interface name in its namespace */
	int nsfd;               /* target namespace, or -1 for the socket's own */
	int master;             /* ifindex of a bridge in the socket's namespace to enslave to, or 0 */
};

/* A route socket in namespace nsfd (-1: the current one). NULL with err filled. */
struct nl_sock *netlink_open(int nsfd, char *err, size_t errlen);
void netlink_close(struct nl_sock *sk);

/* Create a veth pair (both ends down); mtu 0 keeps the default. */
int netlink_veth(struct nl_sock *sk, const struct netlink_end *a, const struct netlink_end *b,
                 int mtu, char *err, size_t errlen);
/* Create a bridge (up) in the socket's namespace; returns its ifindex or -1. */
int netlink_bridge(struct nl_sock *sk, const char *name, char *err, size_t errlen);
/* ifindex of name, or -1. */
int netlink_ifindex(struct nl_sock *sk, const char *name, char *err, size_t errlen);
int netlink_up(struct nl_sock *sk, int ifindex, char *err, size_t errlen);
/* Host byte order addresses. */
int netlink_addr(struct nl_sock *sk, int ifindex, uint32_t addr, int plen, char *err, size_t errlen);
int netlink_route(struct nl_sock *sk, uint32_t dst, int plen, uint32_t via, int ifindex,
                  char *err, size_t errlen);

#endif
