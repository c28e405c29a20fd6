/*
** lab: turns a finished topo model into kernel objects. One network
** namespace per node, veth pairs for two-member links, a bridge (in the
** switch namespace) for segments of three or more, addresses, routes,
** sysctls, and a capture on every link before any traffic flows. Tearing
** down is closing descriptors: the kernel removes links with namespaces.
** A veth link is captured on both ends, each keeping what it transmits
** (one file, see capture.h): an IPsec endpoint's re-injected decapsulated
** packets never show as wire traffic. A bridged link is captured on its
** bridge, which no endpoint owns.
*/
#ifndef VPNLAB_LAB_H
#define VPNLAB_LAB_H

#include <stddef.h>
#include <sys/time.h>

#include "wire/capture.h"
#include "lab/topo.h"

struct nl_sock;
struct xfrm_watch;

struct lab_node {
	int nsfd;
	struct nl_sock *nl;
};

struct lab {
	struct topo topo;          /* owned; finished before lab_build */
	struct lab_node *nodes;
	struct capture *caps;      /* ncaps: two per veth link (one per end), one per bridged link */
	size_t ncaps;              /* entries of caps; caps[i].link names the link, several may share it */
	struct nl_sock *home_nl;   /* the runner's namespace: veth pairs are created from here */
	int switch_nsfd;           /* holds the bridges of shared segments, or -1 */
	struct nl_sock *switch_nl;
	char **pcap_paths;         /* one per link */
	int *ifindex;              /* [link * nnodes + node]: a member's interface index, 0 if none */
	int fail_link;             /* after a failed lab_build: the link being built, else -1 */
	struct xfrm_watch *xfrm;   /* the nodes' SA events, feeding keys */
	struct esp_keyring *keys;  /* the run's keyring (not owned): captures decrypt ESP with it */
};

/*
** Build everything for lab->topo (already topo_finish'ed); pcaps go to dir.
** A link's MTU is set as its interfaces are born; netem goes on every
** member's egress once it is up, so a link without impairments costs no
** extra netlink request. Every node's XFRM SA events feed keys (may be
** NULL: no decrypted view), which the captures use for ESP. On failure everything built so far is torn down,
** err says what failed and fail_link names the link when one was at fault.
*/
int lab_build(struct lab *lab, const char *dir, const struct timeval *t0,
              struct timeline *tl, struct esp_keyring *keys, char *err, size_t errlen);
/* Drain every capture. */
void lab_drain(struct lab *lab);
/* Close captures (draining first) and free namespaces; safe to call twice. */
void lab_destroy(struct lab *lab);

#endif
