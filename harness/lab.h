/*
** lab: turns a finished topo model into kernel objects. One network
** namespace per node, veth pairs for two-member links, a bridge (in the
** runner's namespace) for segments of three or more, addresses, routes,
** sysctls, and a capture on every link before any traffic flows. Tearing
** down is closing descriptors: the kernel removes links with namespaces.
*/
#ifndef VPNLAB_LAB_H
#define VPNLAB_LAB_H

#include <stddef.h>
#include <sys/time.h>

#include "capture.h"
#include "topo.h"

struct nl_sock;

struct lab_node {
	int nsfd;
	struct nl_sock *nl;
};

struct lab {
	struct topo topo;          /* owned; finished before lab_build */
	struct lab_node *nodes;
	struct capture *caps;      /* one per link */
	struct nl_sock *home_nl;   /* the runner's namespace: veth pairs are created from here */
	int switch_nsfd;           /* holds the bridges of shared segments, or -1 */
	struct nl_sock *switch_nl;
	char **pcap_paths;         /* one per link */
	int *ifindex;              /* [link * nnodes + node]: a member's interface index, 0 if none */
};

/*
** Build everything for lab->topo (already topo_finish'ed); pcaps go to dir.
** On failure everything built so far is torn down and err says what failed.
*/
int lab_build(struct lab *lab, const char *dir, const struct timeval *t0,
              struct timeline *tl, char *err, size_t errlen);
/* Drain every capture. */
void lab_drain(struct lab *lab);
/* Close captures (draining first) and free namespaces; safe to call twice. */
void lab_destroy(struct lab *lab);

#endif
