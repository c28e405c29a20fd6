/*
** netfilter: apply an nftables ruleset inside a node's namespace through
** libnftables. The ruleset text is written by the Lua half (policy); this
** module only loads it, atomically, and reports nft's own error text.
*/
#ifndef VPNLAB_NETFILTER_H
#define VPNLAB_NETFILTER_H

#include <stddef.h>

/* Run nft commands (a whole ruleset in one transaction) in namespace nsfd. 0 or -1. */
int netfilter_apply(int nsfd, const char *commands, char *err, size_t errlen);
/* Same, but capture nft's output (e.g. "list ruleset"), with rule handles when asked; *out is malloc'd. */
int netfilter_query(int nsfd, const char *commands, int handles, char **out, char *err, size_t errlen);

#endif
