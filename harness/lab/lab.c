/*
** lab.c: see lab.h. The order matters: namespaces with IPv6 off, links born
** up in place, captures, then addresses and routes, so the pcaps hold every
** frame the lab ever carried.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lab/lab.h"
#include "lab/labinfo.h"
#include "lab/xfrm.h"
#include "lab/netlink.h"
#include "lab/netns.h"

static int make_node(struct lab_node *n, const struct topo_node *tn, char *err, size_t errlen)
{
	n->nsfd = netns_new(err, errlen);
	if (n->nsfd < 0)
		return -1;
	/* IPv6 off: neighbour discovery would put noise on every link. */
	if (netns_sysctl(n->nsfd, "net/ipv6/conf/all/disable_ipv6", "1", err, errlen) < 0 ||
	    netns_sysctl(n->nsfd, "net/ipv6/conf/default/disable_ipv6", "1", err, errlen) < 0)
		return -1;
	if (tn->kind == TOPO_ROUTER &&
	    netns_sysctl(n->nsfd, "net/ipv4/ip_forward", "1", err, errlen) < 0)
		return -1;
	n->nl = netlink_open(n->nsfd, err, errlen);
	if (n->nl == NULL)
		return -1;
	return netlink_up(n->nl, 1, err, errlen);   /* lo is always ifindex 1 */
}

/*
** Impairments on one member's end. Each member's egress gets the whole
** netem, so every direction crosses exactly one: delay d gives ~2d RTT.
*/
static int impair(struct lab *lab, const struct topo_link *l, int node, int idx,
                  char *err, size_t errlen)
{
	struct netlink_netem_opts ne = { l->delay_us, l->jitter_us, l->loss_pct };
	char why[512];

	if (netlink_netem(lab->nodes[node].nl, idx, &ne, why, sizeof(why)) == 0)
		return 0;
	if (strncmp(why, NETLINK_NO_NETEM, strlen(NETLINK_NO_NETEM)) == 0)   /* no node to name */
		snprintf(err, errlen, "link %s: %s", l->name, why);
	else
		snprintf(err, errlen, "link %s: node %s: %s", l->name, lab->topo.nodes[node].name, why);
	return -1;
}

/* Up before capturing (pcap refuses a down device); with IPv6 off and no address yet, quiet. */
static int members_up(struct lab *lab, const struct topo_link *l, char *err, size_t errlen)
{
	size_t li = (size_t)(l - lab->topo.links);
	int netem = topo_link_has_netem(l);

	for (size_t m = 0; m < l->nmembers; m++) {
		int node = l->members[m].node;
		struct nl_sock *nl = lab->nodes[node].nl;
		int idx = netlink_ifindex(nl, l->name, err, errlen);
		if (idx < 0 || netlink_up(nl, idx, err, errlen) < 0)
			return -1;
		if (netem && impair(lab, l, node, idx, err, errlen) < 0)
			return -1;
		lab->ifindex[li * lab->topo.nnodes + (size_t)node] = idx;   /* routes need it again */
	}
	return 0;
}

/* A veth pair for link l (mtu 0: the default); the link's name goes in front of an mtu error. */
static int veth(struct nl_sock *nl, const struct topo_link *l, const struct netlink_end *a,
                const struct netlink_end *b, char *err, size_t errlen)
{
	char why[512];

	if (l->mtu == 0)
		return netlink_veth(nl, a, b, 0, err, errlen);
	if (netlink_veth(nl, a, b, l->mtu, why, sizeof(why)) == 0)
		return 0;
	snprintf(err, errlen, "link %s: mtu %d: %s", l->name, l->mtu, why);
	return -1;
}

/* The bridge of a segment, with the link's MTU when it has one. */
static int bridge(struct lab *lab, const struct topo_link *l, const char *brname,
                  char *err, size_t errlen)
{
	char why[512];
	int br = netlink_bridge(lab->switch_nl, brname, err, errlen);

	if (br < 0 || l->mtu == 0)
		return br;
	if (netlink_set_mtu(lab->switch_nl, br, l->mtu, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "link %s: bridge %s: %s", l->name, brname, why);
		return -1;
	}
	return br;
}

/* A link of two members: one veth pair. Of more: a bridge and a veth per member. */
static int make_link(struct lab *lab, size_t li, char *err, size_t errlen)
{
	const struct topo_link *l = &lab->topo.links[li];
	char brname[32], portname[32];

	if (l->nmembers == 2) {
		uint8_t mac_a[6], mac_b[6];
		labinfo_mac((int)li, l->members[0].node, mac_a);
		labinfo_mac((int)li, l->members[1].node, mac_b);
		struct netlink_end a = { l->name, lab->nodes[l->members[0].node].nsfd, 0, mac_a };
		struct netlink_end b = { l->name, lab->nodes[l->members[1].node].nsfd, 0, mac_b };
		if (veth(lab->home_nl, l, &a, &b, err, errlen) < 0)
			return -1;
		return members_up(lab, l, err, errlen);
	}
	if (lab->switch_nl == NULL) {
		lab->switch_nsfd = netns_new(err, errlen);
		if (lab->switch_nsfd < 0 ||
		    netns_sysctl(lab->switch_nsfd, "net/ipv6/conf/all/disable_ipv6", "1", err, errlen) < 0 ||
		    netns_sysctl(lab->switch_nsfd, "net/ipv6/conf/default/disable_ipv6", "1", err, errlen) < 0)
			return -1;
		lab->switch_nl = netlink_open(lab->switch_nsfd, err, errlen);
		if (lab->switch_nl == NULL)
			return -1;
	}
	snprintf(brname, sizeof(brname), "br%u", (unsigned)li % 100000u);
	int br = bridge(lab, l, brname, err, errlen);
	if (br < 0)
		return -1;
	for (size_t m = 0; m < l->nmembers; m++) {
		uint8_t mac[6];
		snprintf(portname, sizeof(portname), "br%up%u", (unsigned)li % 10000u, (unsigned)m % 10000u);
		labinfo_mac((int)li, l->members[m].node, mac);
		struct netlink_end a = { portname, -1, br, NULL };
		struct netlink_end b = { l->name, lab->nodes[l->members[m].node].nsfd, 0, mac };
		if (veth(lab->switch_nl, l, &a, &b, err, errlen) < 0)
			return -1;
		int port = netlink_ifindex(lab->switch_nl, portname, err, errlen);
		if (port < 0 || netlink_up(lab->switch_nl, port, err, errlen) < 0)
			return -1;
	}
	return members_up(lab, l, err, errlen);
}

/* Captures link l needs: one per end of a veth, one on a segment's bridge. */
static size_t captures_of(const struct topo_link *l)
{
	return l->nmembers == 2 ? 2 : 1;
}

/*
** The specs of link li from specs[0]: a veth on both ends, each keeping
** what it sends (the union is the wire, and no endpoint's re-injected
** packet is in it), the first end owning the file; a segment on its bridge,
** every direction and promiscuous (no endpoint sits there). Returns the
** specs written, or -1.
*/
static int capture_spec_of(struct lab *lab, size_t li, const char *dir, struct capture_spec *specs,
                           int first, char *brname, size_t brlen, char *err, size_t errlen)
{
	const struct topo_link *l = &lab->topo.links[li];
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s.pcap", dir, l->name);
	lab->pcap_paths[li] = strdup(path);
	if (lab->pcap_paths[li] == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (l->nmembers == 2) {
		specs[0] = (struct capture_spec){ lab->nodes[l->members[0].node].nsfd, l->name,
		                                  lab->pcap_paths[li], -1, (int)li, 1, 0 };
		specs[1] = (struct capture_spec){ lab->nodes[l->members[1].node].nsfd, l->name,
		                                  NULL, first, (int)li, 1, 0 };
		return 2;
	}
	/* Promiscuous, or the bridge passes up only what is flooded: broadcast, multicast. */
	snprintf(brname, brlen, "br%u", (unsigned)li % 100000u);
	specs[0] = (struct capture_spec){ lab->switch_nsfd, brname, lab->pcap_paths[li], -1,
	                                  (int)li, 0, 1 };
	return 1;
}

static int start_captures(struct lab *lab, const char *dir, const struct timeval *t0,
                          struct timeline *tl, char *err, size_t errlen)
{
	size_t n = lab->topo.nlinks, k = 0;
	struct capture_spec *specs = calloc(lab->ncaps ? lab->ncaps : 1, sizeof(*specs));
	char (*brnames)[32] = calloc(n ? n : 1, sizeof(*brnames));
	int rc = -1;

	if (specs == NULL || brnames == NULL) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		int made = capture_spec_of(lab, i, dir, &specs[k], (int)k, brnames[i], sizeof(brnames[i]),
		                           err, errlen);
		if (made < 0)
			goto done;
		k += (size_t)made;
	}
	rc = capture_open_all(lab->caps, specs, k, t0, tl, err, errlen);
done:
	free(specs);
	free(brnames);
	return rc;
}

static int address_link(struct lab *lab, size_t li, char *err, size_t errlen)
{
	const struct topo_link *l = &lab->topo.links[li];

	for (size_t m = 0; m < l->nmembers; m++) {
		int node = l->members[m].node;
		int idx = lab->ifindex[li * lab->topo.nnodes + (size_t)node];
		if (netlink_addr(lab->nodes[node].nl, idx, l->members[m].addr, l->plen, err, errlen) < 0)
			return -1;
		for (int k = 0; k < l->members[m].nextra; k++)
			if (netlink_addr(lab->nodes[node].nl, idx, l->members[m].extra[k], l->plen,
			                 err, errlen) < 0)
				return -1;
	}
	return 0;
}

static int add_routes(struct lab *lab, char *err, size_t errlen)
{
	for (size_t i = 0; i < lab->topo.nroutes; i++) {
		const struct topo_route *r = &lab->topo.routes[i];
		int idx = lab->ifindex[(size_t)r->link * lab->topo.nnodes + (size_t)r->node];
		if (netlink_route(lab->nodes[r->node].nl, r->dst, r->plen, r->via, idx, err, errlen) < 0)
			return -1;
	}
	for (size_t n = 0; n < lab->topo.nnodes; n++) {   /* default routes (topo.h) */
		const struct topo_node *tn = &lab->topo.nodes[n];
		if (tn->default_via == 0)
			continue;
		int idx = lab->ifindex[(size_t)tn->default_dev * lab->topo.nnodes + n];
		if (netlink_route(lab->nodes[n].nl, 0, 0, tn->default_via, idx, err, errlen) < 0)
			return -1;
	}
	return 0;
}

static int allocate(struct lab *lab, char *err, size_t errlen)
{
	size_t nn = lab->topo.nnodes, nl = lab->topo.nlinks;

	lab->ncaps = 0;
	for (size_t i = 0; i < nl; i++)
		lab->ncaps += captures_of(&lab->topo.links[i]);
	lab->nodes = calloc(nn ? nn : 1, sizeof(*lab->nodes));
	lab->caps = calloc(lab->ncaps ? lab->ncaps : 1, sizeof(*lab->caps));
	lab->pcap_paths = calloc(nl ? nl : 1, sizeof(*lab->pcap_paths));
	lab->ifindex = calloc(nl * nn > 0 ? nl * nn : 1, sizeof(*lab->ifindex));
	if (lab->nodes == NULL || lab->caps == NULL || lab->pcap_paths == NULL || lab->ifindex == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < nn; i++)
		lab->nodes[i].nsfd = -1;
	for (size_t i = 0; i < lab->ncaps; i++)
		lab->caps[i].fd = -1;
	lab->switch_nsfd = -1;
	return 0;
}

/* Subscribe to every node's SA events before any daemon can install one. */
static int watch_keys(struct lab *lab, struct esp_keyring *keys, char *err, size_t errlen)
{
	int *fds = calloc(lab->topo.nnodes ? lab->topo.nnodes : 1, sizeof(*fds));

	lab->keys = keys;
	if (keys == NULL) {
		free(fds);
		return 0;
	}
	for (size_t i = 0; fds != NULL && i < lab->topo.nnodes; i++)
		fds[i] = lab->nodes[i].nsfd;
	lab->xfrm = fds ? xfrm_watch_open(fds, lab->topo.nnodes) : NULL;
	free(fds);
	if (lab->xfrm == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	keys->refresh = xfrm_watch_refresh;
	keys->refresh_ctx = lab->xfrm;
	for (size_t i = 0; i < lab->ncaps; i++)
		lab->caps[i].keys = keys;
	return 0;
}

int lab_build(struct lab *lab, const char *dir, const struct timeval *t0,
              struct timeline *tl, struct esp_keyring *keys, char *err, size_t errlen)
{
	lab->fail_link = -1;
	if (allocate(lab, err, errlen) < 0)
		goto fail;
	lab->home_nl = netlink_open(-1, err, errlen);
	if (lab->home_nl == NULL)
		goto fail;
	for (size_t i = 0; i < lab->topo.nnodes; i++)
		if (make_node(&lab->nodes[i], &lab->topo.nodes[i], err, errlen) < 0)
			goto fail;
	for (size_t i = 0; i < lab->topo.nlinks; i++) {
		lab->fail_link = (int)i;
		if (make_link(lab, i, err, errlen) < 0)
			goto fail;
	}
	lab->fail_link = -1;
	if (start_captures(lab, dir, t0, tl, err, errlen) < 0)
		goto fail;
	if (watch_keys(lab, keys, err, errlen) < 0)
		goto fail;
	for (size_t i = 0; i < lab->topo.nlinks; i++)
		if (address_link(lab, i, err, errlen) < 0)
			goto fail;
	if (add_routes(lab, err, errlen) < 0)
		goto fail;
	/* lab.json is evidence for readers (report, timeline): a run does not fail for it. */
	char why[512];
	(void)labinfo_write(lab, dir, why, sizeof(why));
	return 0;
fail:
	lab_destroy(lab);
	return -1;
}

void lab_drain(struct lab *lab)
{
	for (size_t i = 0; lab->caps != NULL && i < lab->ncaps; i++)
		if (lab->caps[i].dumper != NULL)   /* a file's owner drains both ends of its link */
			capture_drain(&lab->caps[i]);
}

void lab_destroy(struct lab *lab)
{
	if (lab->caps != NULL)
		capture_close_all(lab->caps, lab->ncaps);   /* the last frames may still ask for keys */
	if (lab->keys != NULL && lab->keys->refresh_ctx == lab->xfrm) {
		lab->keys->refresh = NULL;
		lab->keys->refresh_ctx = NULL;
	}
	xfrm_watch_close(lab->xfrm);
	lab->xfrm = NULL;
	lab->keys = NULL;
	for (size_t i = 0; lab->nodes != NULL && i < lab->topo.nnodes; i++) {
		netlink_close(lab->nodes[i].nl);
		if (lab->nodes[i].nsfd >= 0)
			close(lab->nodes[i].nsfd);
	}
	for (size_t i = 0; lab->pcap_paths != NULL && i < lab->topo.nlinks; i++)
		free(lab->pcap_paths[i]);
	netlink_close(lab->home_nl);
	netlink_close(lab->switch_nl);
	if (lab->switch_nsfd >= 0)
		close(lab->switch_nsfd);
	lab->switch_nsfd = -1;
	lab->switch_nl = NULL;
	free(lab->nodes);
	free(lab->caps);
	free(lab->pcap_paths);
	free(lab->ifindex);
	lab->ifindex = NULL;
	lab->nodes = NULL;
	lab->caps = NULL;
	lab->ncaps = 0;
	lab->pcap_paths = NULL;
	lab->home_nl = NULL;
}
