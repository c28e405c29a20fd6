/*
** conntrack: a node's connection-tracking table through ctnetlink
** (libnetfilter_conntrack). The mechanism behind a NAT "reboot": flushing
** the table forgets every mapping, so the next packet of each flow is NATed
** afresh. Which port it then gets is policy (the masquerade rule), not ours.
*/
#ifndef VPNLAB_CONNTRACK_H
#define VPNLAB_CONNTRACK_H

#include <stddef.h>

/* How many IPv4 entries namespace nsfd tracks now: the count, or -1 with err filled. */
int conntrack_count(int nsfd, char *err, size_t errlen);
/*
** Flush every entry of namespace nsfd. Returns how many there were just
** before (a flow that starts between the count and the flush is flushed
** but not counted), or -1 with err filled.
*/
int conntrack_flush(int nsfd, char *err, size_t errlen);

#endif
