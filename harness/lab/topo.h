/*
** topo: the lab's model. Nodes, links with their subnets, the address of
** every member on every link, and the routes each node needs. Pure code, no
** kernel calls, so addressing and routing are unit-tested on their own.
**
** Addressing is deterministic: a member with no explicit address gets the
** lowest free host number of its link's subnet, members taken in link order.
** Routes: every node gets a route to every subnet it can reach and is not on,
** via the first hop of a shortest path. Only routers forward, and a router
** never forwards from its NAT outside link into its inside, so inside subnets
** stay invisible from outside exactly as behind a real NAT.
*/
#ifndef VPNLAB_TOPO_H
#define VPNLAB_TOPO_H

#include <stddef.h>
#include <stdint.h>

#define TOPO_NAME_MAX   32   /* node names */
#define TOPO_IFNAME_MAX 16   /* link names double as interface names (IFNAMSIZ) */

enum topo_kind { TOPO_HOST, TOPO_ROUTER };

struct topo_node {
	char name[TOPO_NAME_MAX];
	enum topo_kind kind;
	int nat_outside;          /* link index of the NAT's outside, or -1 */
	int default_link;         /* where its default route goes: a link index, or TOPO_DEFAULT_* */
	uint32_t default_via;     /* set by topo_finish: the default route's next hop, 0 for none */
	int default_dev;          /* ... and the link it is on */
};

/*
** Default routes, as real hosts have them. TOPO_DEFAULT_AUTO (the default):
** a host with exactly one router neighbour gets a default route through it,
** not counting a NAT router met on its outside link (the outside world never
** routes into a NATed inside). TOPO_DEFAULT_NONE: none. A link index: through
** the first router listed on that link, which must not be its NAT outside.
** Default routes are not in `routes` (those are the computed subnet routes).
*/
#define TOPO_DEFAULT_AUTO (-2)
#define TOPO_DEFAULT_NONE (-1)

/* Secondary addresses a member may have on one link (a STUN server needs two). */
#define TOPO_EXTRA_MAX 7

struct topo_member {
	int node;                 /* node index */
	uint32_t addr;            /* host byte order; 0 until assigned */
	uint32_t extra[TOPO_EXTRA_MAX];   /* further explicit addresses, same subnet */
	int nextra;
};

/*
** Impairments and MTU of a link. netem runs on every member's egress, so
** each direction crosses one netem: a delay of 50 ms gives ~100 ms RTT.
** Defaults mean "none": no qdisc is installed and the MTU is the kernel's.
*/
#define TOPO_DELAY_MAX_MS 60000   /* delay and jitter: a minute is plenty for a test */
#define TOPO_MTU_MIN      68      /* the IPv4 minimum (RFC 791) */
#define TOPO_MTU_MAX      65535

/*
** Members of one link. More than two are joined by a Linux bridge, a port
** each, and a bridge has 1023 ports (BR_MAX_PORTS 1024, port 0 reserved):
** the kernel refuses the 1024th with EXFULL, deep in the build.
*/
#define TOPO_MEMBERS_MAX  1023

struct topo_link {
	char name[TOPO_IFNAME_MAX];
	uint32_t net;             /* host byte order, masked */
	int plen;
	struct topo_member *members;
	size_t nmembers;
	int delay_us;             /* one-way delay added on each egress; -1: none */
	int jitter_us;            /* random variation of delay; -1: none (needs delay) */
	double loss_pct;          /* 0..100 per egress; -1: none */
	int mtu;                  /* 0: the kernel's default */
};

struct topo_route {
	int node;                 /* whose route */
	uint32_t dst;             /* destination subnet, host byte order */
	int plen;
	uint32_t via;             /* next hop address */
	int link;                 /* link the next hop is on (the output interface) */
};

struct topo {
	struct topo_node *nodes;
	size_t nnodes;
	struct topo_link *links;
	size_t nlinks;
	struct topo_route *routes;
	size_t nroutes;
};

/* What went wrong in topo_finish, and where, so the caller can point at a line. */
struct topo_error {
	char msg[256];
	int link;                 /* offending link index, or -1 */
	int node;                 /* offending node index, or -1 */
};

void topo_init(struct topo *t);
void topo_free(struct topo *t);   /* accepts a zeroed or half-built topo */

/* Each returns the new index, or -1 (bad name, duplicate, out of memory) with err filled. */
int topo_add_node(struct topo *t, const char *name, enum topo_kind kind, struct topo_error *err);
int topo_add_link(struct topo *t, const char *name, const char *cidr, struct topo_error *err);
/* addr 0 means "assign automatically" */
int topo_link_add_member(struct topo *t, int link, int node, uint32_t addr, struct topo_error *err);
/*
** A further address of member `member` of `link` (added after its primary
** one, which must be explicit too); judged by topo_finish like the primary.
** 0, or -1 with err filled (no such member, more than TOPO_EXTRA_MAX).
*/
int topo_member_add_addr(struct topo *t, int link, int member, uint32_t addr, struct topo_error *err);
int topo_set_nat_outside(struct topo *t, int node, int link, struct topo_error *err);
/* link: a link index, TOPO_DEFAULT_AUTO or TOPO_DEFAULT_NONE; judged by topo_finish. 0 or -1. */
int topo_set_default(struct topo *t, int node, int link, struct topo_error *err);
/*
** netem fields of a link: delay and jitter in milliseconds (0..TOPO_DELAY_MAX_MS,
** kept to the microsecond), loss in percent (0..100). NAN means "not given";
** jitter needs a delay. Nothing is changed on error. 0 or -1 with err filled.
*/
int topo_link_set_netem(struct topo *t, int link, double delay_ms, double jitter_ms,
                        double loss_pct, struct topo_error *err);
/* mtu TOPO_MTU_MIN..TOPO_MTU_MAX, or 0 for the kernel's default. 0 or -1. */
int topo_link_set_mtu(struct topo *t, int link, int mtu, struct topo_error *err);
/* Whether the link needs a netem qdisc (any of delay, jitter, loss given). */
int topo_link_has_netem(const struct topo_link *l);

int topo_node_index(const struct topo *t, const char *name);   /* -1 if none */
int topo_link_index(const struct topo *t, const char *name);   /* -1 if none */

/*
** Validate the whole model (links with fewer than two members or more than
** TOPO_MEMBERS_MAX, a node twice on one link, overlapping subnets, a subnet
** too small for its members, an explicit address outside its subnet or taken
** twice, a NAT outside link the router is not on), then assign addresses and
** compute routes.
** Returns 0, or -1 with err filled.
*/
int topo_finish(struct topo *t, struct topo_error *err);

/* Address of node on link (0 if the node is not a member). */
uint32_t topo_addr(const struct topo *t, int node, int link);

/* "10.0.0.0/24" -> net (masked, host order) and plen; returns 0 or -1. */
int topo_parse_cidr(const char *s, uint32_t *net, int *plen);
/* "10.0.0.1" -> host-order address; returns 0 or -1. */
int topo_parse_addr(const char *s, uint32_t *addr);
/* host-order address -> dotted quad in buf (at least 16 bytes); returns buf. */
char *topo_fmt_addr(uint32_t addr, char *buf);

#endif
