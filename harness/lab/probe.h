/*
** probe: what the running kernel can do, found by trying it in a scratch
** network namespace (never by reading config files: modules may be missing
** or unloadable, and a try also makes the kernel autoload the module where
** it can). The scratch namespace disappears with its descriptor.
**
** Needs root and netns_init() first (the runner calls it after isolating).
*/
#ifndef VPNLAB_PROBE_H
#define VPNLAB_PROBE_H

#include <stddef.h>

enum feature {
	FEATURE_ESP,        /* kernel ESP: an XFRM state for IP protocol 50 */
	FEATURE_AH,         /* kernel AH: an XFRM state for IP protocol 51 */
	FEATURE_L2TP,       /* kernel L2TP: the generic-netlink family "l2tp" resolves */
	FEATURE_PPP,        /* PPP: /dev/ppp (char 108:0) opens */
	FEATURE_NETEM,      /* the netem qdisc can be added */
	FEATURE_USERNS,     /* user namespaces can be created */
	FEATURE_NFTABLES,   /* an nftables table with a nat chain can be added */
	FEATURE_COUNT
};

/* "esp", "ah", "l2tp", "ppp", "netem", "userns", "nftables". */
const char *feature_name(enum feature f);
/* The feature called name, or -1 if there is none. */
int feature_from_name(const char *name);

/*
** Try feature f now: 1 present, 0 absent. detail (may be NULL) gets a short
** reason either way, e.g. "XFRM_MSG_NEWSA: Protocol not supported".
*/
int probe_feature(enum feature f, char *detail, size_t detaillen);

/* Lazily probed, cached results for one process: probe each feature at most once. */
struct features {
	signed char state[FEATURE_COUNT];    /* -1 not probed yet, 0 absent, 1 present */
	char detail[FEATURE_COUNT][128];
};
void features_init(struct features *fs);
int features_has(struct features *fs, enum feature f);

/* 1 when the kernel accepts an XFRM state for IP protocol proto (50 ESP, 51 AH), else 0. */
int probe_xfrm(int proto);

#endif
