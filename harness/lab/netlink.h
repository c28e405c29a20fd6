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
	const uint8_t *mac;     /* its 6-byte MAC, or NULL: the kernel picks a random one */
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
/* Set an interface's MTU; err carries the kernel's own message when it gives one. */
int netlink_set_mtu(struct nl_sock *sk, int ifindex, int mtu, char *err, size_t errlen);

/* What netlink_netem installs; a negative field is "not set". */
struct netlink_netem_opts {
	int delay_us;           /* added to every packet leaving the interface */
	int jitter_us;          /* delay varies by up to this much (netem then reorders) */
	double loss_pct;        /* 0..100, independent per packet */
};
/*
** Make netem the root qdisc of ifindex (egress). When the kernel has no
** netem (no sch_netem module), err starts with NETLINK_NO_NETEM and ends
** with the kernel's message, so the user knows to use a full kernel.
*/
#define NETLINK_NO_NETEM \
	"delay/loss need the kernel's netem qdisc (sch_netem), which this kernel lacks"
int netlink_netem(struct nl_sock *sk, int ifindex, const struct netlink_netem_opts *ne,
                  char *err, size_t errlen);
/* The probability netem wants for a loss in percent: 0..UINT32_MAX (100 %). */
uint32_t netlink_loss_prob(double pct);

/*
** The kernel's error text (NLMSGERR_ATTR_MSG of an extended ack) in one
** netlink message of len bytes, copied into out (non-printables as '?').
** 0 if found, -1 if the message is not an error carrying one.
*/
#define NETLINK_ACK_MAX 160
int netlink_ack_message(const void *msg, size_t len, char *out, size_t outlen);

#endif
