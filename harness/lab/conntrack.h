/*
** conntrack: a node's connection-tracking table through ctnetlink
** (libnetfilter_conntrack). The mechanism behind a NAT "reboot": flushing
** the table forgets every mapping, so the next packet of each flow is NATed
** afresh. Which port it then gets is policy (the masquerade rule), not ours.
*/
#ifndef VPNLAB_CONNTRACK_H
#define VPNLAB_CONNTRACK_H

#include <stddef.h>
#include <stdint.h>

/* How many IPv4 entries namespace nsfd tracks now: the count, or -1 with err filled. */
int conntrack_count(int nsfd, char *err, size_t errlen);
/*
** Flush every entry of namespace nsfd. Returns how many there were just
** before (a flow that starts between the count and the flush is flushed
** but not counted), or -1 with err filled.
*/
int conntrack_flush(int nsfd, char *err, size_t errlen);

/*
** One NAT mapping, from a conntrack entry the NAT rewrote. Addresses in
** host byte order. An outbound flow (snat) maps inside -> outside towards
** remote; an inbound one (dnat, e.g. let in by endpoint-independent
** filtering) came from remote to outside and was sent on to inside.
*/
struct conntrack_mapping {
	int proto;                  /* IPPROTO_UDP, IPPROTO_TCP, ... */
	int inbound;                /* 1: a dnat entry, 0: a snat one */
	uint32_t inside_addr, outside_addr, remote_addr;
	uint16_t inside_port, outside_port, remote_port;   /* 0 without ports */
	uint32_t timeout;           /* seconds left */
};

/*
** The NAT mappings of namespace nsfd: a malloc'ed array in *out (free it)
** and its length, or -1 with err filled. Entries nothing rewrote are left out.
*/
int conntrack_mappings(int nsfd, struct conntrack_mapping **out, char *err, size_t errlen);

#endif
