/*
** topo: the lab's model (see topo.h). Building is append-only; topo_finish
** validates everything first and only then writes addresses and routes, so
** a failed finish leaves the model as the caller built it.
*/
#include "lab/topo.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* err may be NULL: callers that only want success/failure need not supply one. */
static int fail(struct topo_error *err, int link, int node, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(struct topo_error *err, int link, int node, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -1;
	err->link = link;
	err->node = node;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	return -1;
}

/*
** Make room for element n of an array holding n elements. struct topo keeps
** no capacities, so capacity is implicit in the count: 4, then doubled each
** time the count reaches a power of two. Returns the (maybe moved) array, or
** NULL when out of memory (the old array is then untouched).
*/
static void *grow(void *arr, size_t n, size_t elem)
{
	size_t cap;

	if (n == 0)
		cap = 4;
	else if (n >= 4 && (n & (n - 1)) == 0)
		cap = 2 * n;
	else
		return arr;
	if (cap > SIZE_MAX / elem)
		return NULL;
	return realloc(arr, cap * elem);
}

static uint32_t mask_of(int plen)
{
	return plen <= 0 ? 0 : 0xffffffffu << (32 - plen);
}

/* Addresses a subnet can give to members: /32 one, /31 two (RFC 3021). */
static uint64_t usable_hosts(int plen)
{
	if (plen >= 32)
		return 1;
	if (plen == 31)
		return 2;
	return ((uint64_t)1 << (32 - plen)) - 2;
}

static int is_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* 1..max chars of [A-Za-z0-9_-], first a letter. */
static int valid_name(const char *s, size_t max)
{
	size_t i;

	if (!s || !is_letter(s[0]))
		return 0;
	for (i = 0; s[i]; i++) {
		if (i >= max)
			return 0;
		if (!is_letter(s[i]) && !is_digit(s[i]) && s[i] != '_' && s[i] != '-')
			return 0;
	}
	return 1;
}

void topo_init(struct topo *t)
{
	memset(t, 0, sizeof *t);
}

void topo_free(struct topo *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; t->links && i < t->nlinks; i++)
		free(t->links[i].members);
	free(t->links);
	free(t->nodes);
	free(t->routes);
	memset(t, 0, sizeof *t);
}

int topo_node_index(const struct topo *t, const char *name)
{
	size_t i;

	for (i = 0; name && i < t->nnodes; i++)
		if (strcmp(t->nodes[i].name, name) == 0)
			return (int)i;
	return -1;
}

int topo_link_index(const struct topo *t, const char *name)
{
	size_t i;

	for (i = 0; name && i < t->nlinks; i++)
		if (strcmp(t->links[i].name, name) == 0)
			return (int)i;
	return -1;
}

int topo_add_node(struct topo *t, const char *name, enum topo_kind kind, struct topo_error *err)
{
	struct topo_node *nodes;
	int dup;

	if (!valid_name(name, TOPO_NAME_MAX - 1))
		return fail(err, -1, -1, "bad node name '%.40s': use 1-%d letters, digits, '_' or '-', "
			    "starting with a letter", name ? name : "(null)", TOPO_NAME_MAX - 1);
	if (kind != TOPO_HOST && kind != TOPO_ROUTER)
		return fail(err, -1, -1, "node '%s': unknown kind %d", name, (int)kind);
	dup = topo_node_index(t, name);
	if (dup >= 0)
		return fail(err, -1, dup, "duplicate node '%s'", name);
	nodes = grow(t->nodes, t->nnodes, sizeof *nodes);
	if (!nodes)
		return fail(err, -1, -1, "node '%s': out of memory", name);
	t->nodes = nodes;
	memset(&nodes[t->nnodes], 0, sizeof nodes[0]);
	strcpy(nodes[t->nnodes].name, name);
	nodes[t->nnodes].kind = kind;
	nodes[t->nnodes].nat_outside = -1;
	nodes[t->nnodes].default_link = TOPO_DEFAULT_AUTO;
	nodes[t->nnodes].default_dev = -1;
	return (int)t->nnodes++;
}

/*
** Link names become interface names, so beyond the alphabet they must not be
** names the kernel keeps for itself: "lo" exists in every namespace, and
** "all" / "default" are refused by the kernel (EINVAL, measured on 6.18).
*/
static int reserved_ifname(const char *s)
{
	return strcmp(s, "lo") == 0 || strcmp(s, "all") == 0 || strcmp(s, "default") == 0;
}

/*
** With plen >= 8 a subnet lies inside one /8, so its first octet decides.
** 0/8 must go because address 0 means "unassigned" in the model; 127/8 and
** 224/3 (multicast, reserved) cannot carry interface addresses that work.
*/
static int unicast_net(uint32_t net)
{
	uint32_t first = net >> 24;

	return first != 0 && first != 127 && first < 224;
}

/* Parses "a.b.c.d/len" without masking; 0 or -1. */
static int parse_cidr_raw(const char *s, uint32_t *addr, int *plen)
{
	char buf[20];
	const char *slash;
	size_t n;
	int len = 0;

	if (!s || !(slash = strchr(s, '/')))
		return -1;
	n = (size_t)(slash - s);
	if (n >= sizeof buf)
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (topo_parse_addr(buf, addr) < 0)
		return -1;
	s = slash + 1;
	if (!is_digit(s[0]) || (s[0] == '0' && s[1]) || (s[1] && (!is_digit(s[1]) || s[2])))
		return -1;   /* one or two digits, no leading zero */
	for (; *s; s++)
		len = len * 10 + (*s - '0');
	if (len > 32)
		return -1;
	*plen = len;
	return 0;
}

int topo_add_link(struct topo *t, const char *name, const char *cidr, struct topo_error *err)
{
	struct topo_link *links;
	uint32_t addr;
	int plen, dup;
	char a[16], b[16];

	if (!valid_name(name, TOPO_IFNAME_MAX - 1) || reserved_ifname(name))
		return fail(err, -1, -1, "bad link name '%.40s': use 1-%d letters, digits, '_' or '-', "
			    "starting with a letter (it becomes an interface name; not lo, all, default)",
			    name ? name : "(null)", TOPO_IFNAME_MAX - 1);
	dup = topo_link_index(t, name);
	if (dup >= 0)
		return fail(err, dup, -1, "duplicate link '%s'", name);
	if (parse_cidr_raw(cidr, &addr, &plen) < 0 || plen < 8)
		return fail(err, -1, -1, "link '%s': bad subnet '%.40s': want a.b.c.d/len with len 8..32",
			    name, cidr ? cidr : "(null)");
	if (!unicast_net(addr))
		return fail(err, -1, -1, "link '%s': %s/%d is not a usable unicast subnet "
			    "(0/8, 127/8 and 224/3 are reserved)", name, topo_fmt_addr(addr, a), plen);
	if (addr & ~mask_of(plen))
		return fail(err, -1, -1, "link '%s': %s/%d has host bits set; did you mean %s/%d?", name,
			    topo_fmt_addr(addr, a), plen, topo_fmt_addr(addr & mask_of(plen), b), plen);
	links = grow(t->links, t->nlinks, sizeof *links);
	if (!links)
		return fail(err, -1, -1, "link '%s': out of memory", name);
	t->links = links;
	memset(&links[t->nlinks], 0, sizeof links[0]);
	strcpy(links[t->nlinks].name, name);
	links[t->nlinks].net = addr;
	links[t->nlinks].plen = plen;
	links[t->nlinks].delay_us = -1;
	links[t->nlinks].jitter_us = -1;
	links[t->nlinks].loss_pct = -1;
	return (int)t->nlinks++;
}

/* Duplicates and addresses are judged by topo_finish, which sees the whole link. */
int topo_link_add_member(struct topo *t, int link, int node, uint32_t addr, struct topo_error *err)
{
	struct topo_link *l;
	struct topo_member *m;

	if (link < 0 || (size_t)link >= t->nlinks)
		return fail(err, -1, -1, "no link with index %d", link);
	if (node < 0 || (size_t)node >= t->nnodes)
		return fail(err, link, -1, "link '%s': no node with index %d", t->links[link].name, node);
	l = &t->links[link];
	m = grow(l->members, l->nmembers, sizeof *m);
	if (!m)
		return fail(err, link, node, "link '%s': out of memory", l->name);
	l->members = m;
	memset(&m[l->nmembers], 0, sizeof m[0]);
	m[l->nmembers].node = node;
	m[l->nmembers].addr = addr;
	return (int)l->nmembers++;
}

int topo_member_add_addr(struct topo *t, int link, int member, uint32_t addr, struct topo_error *err)
{
	struct topo_member *m;

	if (link < 0 || (size_t)link >= t->nlinks)
		return fail(err, -1, -1, "no link with index %d", link);
	if (member < 0 || (size_t)member >= t->links[link].nmembers)
		return fail(err, link, -1, "link '%s': no member %d", t->links[link].name, member);
	m = &t->links[link].members[member];
	if (m->addr == 0 || addr == 0)
		return fail(err, link, m->node, "node '%s' on link '%s': several addresses must all be given",
			    t->nodes[m->node].name, t->links[link].name);
	if (m->nextra >= TOPO_EXTRA_MAX)
		return fail(err, link, m->node, "node '%s' on link '%s': at most %d addresses on one link",
			    t->nodes[m->node].name, t->links[link].name, TOPO_EXTRA_MAX + 1);
	m->extra[m->nextra++] = addr;
	return 0;
}

/* Whether the node is a router and on the link is judged by topo_finish. */
int topo_set_nat_outside(struct topo *t, int node, int link, struct topo_error *err)
{
	struct topo_node *n;

	if (node < 0 || (size_t)node >= t->nnodes)
		return fail(err, -1, -1, "no node with index %d", node);
	if (link < 0 || (size_t)link >= t->nlinks)
		return fail(err, -1, node, "node '%s': no link with index %d", t->nodes[node].name, link);
	n = &t->nodes[node];
	if (n->nat_outside >= 0 && n->nat_outside != link)
		return fail(err, link, node, "node '%s' already has NAT outside link '%s'",
			    n->name, t->links[n->nat_outside].name);
	n->nat_outside = link;
	return 0;
}

int topo_set_default(struct topo *t, int node, int link, struct topo_error *err)
{
	if (node < 0 || (size_t)node >= t->nnodes)
		return fail(err, -1, -1, "no node with index %d", node);
	if (link != TOPO_DEFAULT_AUTO && link != TOPO_DEFAULT_NONE && (link < 0 || (size_t)link >= t->nlinks))
		return fail(err, -1, node, "node '%s': no link with index %d", t->nodes[node].name, link);
	t->nodes[node].default_link = link;
	return 0;
}

/* A given (not NAN) value outside lo..hi; also catches infinities. */
static int out_of_range(double v, double lo, double hi)
{
	return !isnan(v) && !(v >= lo && v <= hi);
}

/* Milliseconds (checked to be in range) to whole microseconds; NAN -> -1. */
static int ms_to_us(double ms)
{
	return isnan(ms) ? -1 : (int)(ms * 1000.0 + 0.5);
}

int topo_link_set_netem(struct topo *t, int link, double delay_ms, double jitter_ms,
                        double loss_pct, struct topo_error *err)
{
	struct topo_link *l;

	if (link < 0 || (size_t)link >= t->nlinks)
		return fail(err, -1, -1, "no link with index %d", link);
	l = &t->links[link];
	if (out_of_range(delay_ms, 0, TOPO_DELAY_MAX_MS))
		return fail(err, link, -1, "link '%s': delay must be 0..%d ms, not %g", l->name,
			    TOPO_DELAY_MAX_MS, delay_ms);
	if (out_of_range(jitter_ms, 0, TOPO_DELAY_MAX_MS))
		return fail(err, link, -1, "link '%s': jitter must be 0..%d ms, not %g", l->name,
			    TOPO_DELAY_MAX_MS, jitter_ms);
	if (!isnan(jitter_ms) && isnan(delay_ms))
		return fail(err, link, -1, "link '%s': jitter needs a delay to vary", l->name);
	if (out_of_range(loss_pct, 0, 100))
		return fail(err, link, -1, "link '%s': loss must be 0..100 (percent), not %g", l->name,
			    loss_pct);
	l->delay_us = ms_to_us(delay_ms);
	l->jitter_us = ms_to_us(jitter_ms);
	l->loss_pct = isnan(loss_pct) ? -1 : loss_pct;
	return 0;
}

int topo_link_set_mtu(struct topo *t, int link, int mtu, struct topo_error *err)
{
	if (link < 0 || (size_t)link >= t->nlinks)
		return fail(err, -1, -1, "no link with index %d", link);
	if (mtu != 0 && (mtu < TOPO_MTU_MIN || mtu > TOPO_MTU_MAX))
		return fail(err, link, -1, "link '%s': mtu must be %d..%d, not %d", t->links[link].name,
			    TOPO_MTU_MIN, TOPO_MTU_MAX, mtu);
	t->links[link].mtu = mtu;
	return 0;
}

int topo_link_has_netem(const struct topo_link *l)
{
	return l->delay_us >= 0 || l->jitter_us >= 0 || l->loss_pct >= 0;
}

/* ---- validation ---- */

/* Member count, a node twice, overlap with an earlier link, room for the members. */
/* Addresses a link's members need: one each, plus their secondary ones. */
static size_t link_naddrs(const struct topo_link *l)
{
	size_t i, n = l->nmembers;

	for (i = 0; i < l->nmembers; i++)
		n += (size_t)l->members[i].nextra;
	return n;
}

static int check_link_shape(const struct topo *t, size_t li, struct topo_error *err)
{
	const struct topo_link *l = &t->links[li];
	char a[16], b[16];
	size_t i, j;

	if (l->nmembers < 2)
		return fail(err, (int)li, -1, "link '%s' has %zu member%s; a link needs at least 2",
			    l->name, l->nmembers, l->nmembers == 1 ? "" : "s");
	/* Before the quadratic duplicate check below, and before anything is built. */
	if (l->nmembers > TOPO_MEMBERS_MAX)
		return fail(err, (int)li, -1, "link '%s' has %zu members; a link takes at most %d "
			    "(the Linux bridge joining them has %d ports)", l->name, l->nmembers,
			    TOPO_MEMBERS_MAX, TOPO_MEMBERS_MAX);
	for (i = 0; i < l->nmembers; i++)
		for (j = i + 1; j < l->nmembers; j++)
			if (l->members[i].node == l->members[j].node)
				return fail(err, (int)li, l->members[j].node, "node '%s' is on link '%s' twice",
					    t->nodes[l->members[j].node].name, l->name);
	for (i = 0; i < li; i++) {
		const struct topo_link *o = &t->links[i];
		uint32_t m = mask_of(o->plen < l->plen ? o->plen : l->plen);

		if (((o->net ^ l->net) & m) == 0)
			return fail(err, (int)li, -1, "links '%s' (%s/%d) and '%s' (%s/%d) overlap",
				    o->name, topo_fmt_addr(o->net, a), o->plen,
				    l->name, topo_fmt_addr(l->net, b), l->plen);
	}
	if (link_naddrs(l) > usable_hosts(l->plen))
		return fail(err, (int)li, -1, "link '%s' (%s/%d) has room for %llu host%s but %zu members "
			    "need %s%s", l->name, topo_fmt_addr(l->net, a), l->plen,
			    (unsigned long long)usable_hosts(l->plen),
			    usable_hosts(l->plen) == 1 ? "" : "s", l->nmembers,
			    link_naddrs(l) == l->nmembers ? "" : "more ", "addresses");
	return 0;
}

/* Address k of member i: 0 is the primary one, 1.. the secondary ones. */
static uint32_t member_addr(const struct topo_link *l, size_t i, int k)
{
	return k == 0 ? l->members[i].addr : l->members[i].extra[k - 1];
}

/* Address x (member i's k-th) taken by an earlier member, or earlier by member i itself: that node, or -1. */
static int taken_before(const struct topo_link *l, size_t i, int k, uint32_t x)
{
	size_t j;
	int q;

	for (j = 0; j <= i; j++)
		for (q = 0; q <= l->members[j].nextra && (j < i || q < k); q++)
			if (member_addr(l, j, q) == x)
				return l->members[j].node;
	return -1;
}

/* Every explicit address inside the subnet, not network/broadcast, not taken twice. */
static int check_link_addrs(const struct topo *t, size_t li, struct topo_error *err)
{
	const struct topo_link *l = &t->links[li];
	uint32_t bcast = l->net | ~mask_of(l->plen);
	char a[16], b[16];
	size_t i;
	int k, owner;

	for (i = 0; i < l->nmembers; i++) {
		int node = l->members[i].node;

		for (k = 0; k <= l->members[i].nextra; k++) {
			uint32_t x = member_addr(l, i, k);
			const char *what = NULL;

			if (x == 0)
				continue;
			if ((x & mask_of(l->plen)) != l->net)
				what = "outside";
			else if (l->plen <= 30 && x == l->net)
				what = "the network address of";
			else if (l->plen <= 30 && x == bcast)
				what = "the broadcast address of";
			if (what)
				return fail(err, (int)li, node, "node '%s' on link '%s': address %s is %s %s/%d",
					    t->nodes[node].name, l->name, topo_fmt_addr(x, a), what,
					    topo_fmt_addr(l->net, b), l->plen);
			owner = taken_before(l, i, k, x);
			if (owner >= 0)
				return fail(err, (int)li, node, "node '%s' on link '%s': address %s is "
					    "already taken by '%s'", t->nodes[node].name, l->name,
					    topo_fmt_addr(x, a), t->nodes[owner].name);
		}
	}
	return 0;
}

static int is_member(const struct topo_link *l, int node)
{
	size_t i;

	for (i = 0; i < l->nmembers; i++)
		if (l->members[i].node == node)
			return 1;
	return 0;
}

/* Only routers NAT, and only on a link they are on. */
static int check_nat(const struct topo *t, size_t ni, struct topo_error *err)
{
	const struct topo_node *n = &t->nodes[ni];
	const struct topo_link *l;

	if (n->nat_outside < 0)
		return 0;
	l = &t->links[n->nat_outside];
	if (n->kind != TOPO_ROUTER)
		return fail(err, n->nat_outside, (int)ni, "node '%s' is a host; only routers can NAT "
			    "(outside link '%s')", n->name, l->name);
	if (!is_member(l, (int)ni))
		return fail(err, n->nat_outside, (int)ni, "node '%s' has NAT outside link '%s' but is "
			    "not on that link", n->name, l->name);
	return 0;
}

/*
** The router node `ni` would send default traffic to on link li: the first
** other router listed there that forwards from that link (not its NAT
** outside), or -1.
*/
static int default_router(const struct topo *t, int ni, int li)
{
	const struct topo_link *l = &t->links[li];
	size_t j;

	for (j = 0; j < l->nmembers; j++) {
		const struct topo_node *r = &t->nodes[l->members[j].node];

		if (l->members[j].node != ni && r->kind == TOPO_ROUTER && r->nat_outside != li)
			return l->members[j].node;
	}
	return -1;
}

/* An explicit default link: the node is on it and a router there forwards. */
static int check_default(const struct topo *t, size_t ni, struct topo_error *err)
{
	const struct topo_node *n = &t->nodes[ni];
	const struct topo_link *l;

	if (n->default_link < 0)
		return 0;
	l = &t->links[n->default_link];
	if (!is_member(l, (int)ni))
		return fail(err, n->default_link, (int)ni, "node '%s': default '%s' is a link it is not on",
			    n->name, l->name);
	if (default_router(t, (int)ni, n->default_link) < 0)
		return fail(err, n->default_link, (int)ni, "node '%s': default '%s' has no router that "
			    "forwards from it (a NAT's outside link does not lead inside)", n->name, l->name);
	return 0;
}

static int validate(const struct topo *t, struct topo_error *err)
{
	size_t i;

	for (i = 0; i < t->nlinks; i++)
		if (check_link_shape(t, i, err) < 0 || check_link_addrs(t, i, err) < 0)
			return -1;
	for (i = 0; i < t->nnodes; i++)
		if (check_nat(t, i, err) < 0 || check_default(t, i, err) < 0)
			return -1;
	return 0;
}

/* ---- addressing ---- */

static int addr_taken(const struct topo_link *l, uint32_t x)
{
	size_t i;

	int k;

	for (i = 0; i < l->nmembers; i++)
		for (k = 0; k <= l->members[i].nextra; k++)
			if (member_addr(l, i, k) == x)
				return 1;
	return 0;
}

/*
** Automatic members, in member order, take the lowest free host address.
** Explicit ones were placed already; validation guaranteed there is room.
*/
static void assign_link(struct topo_link *l)
{
	uint32_t next = l->plen >= 31 ? l->net : l->net + 1;
	size_t i;

	for (i = 0; i < l->nmembers; i++) {
		if (l->members[i].addr != 0)
			continue;
		while (addr_taken(l, next))
			next++;
		l->members[i].addr = next++;
	}
}

uint32_t topo_addr(const struct topo *t, int node, int link)
{
	const struct topo_link *l;
	size_t i;

	if (link < 0 || (size_t)link >= t->nlinks)
		return 0;
	l = &t->links[link];
	for (i = 0; i < l->nmembers; i++)
		if (l->members[i].node == node)
			return l->members[i].addr;
	return 0;
}

/* ---- routes ---- */

/* How a node or link was first reached: the first link and first-hop router. */
struct label {
	int l0, r1;
};

enum { FRESH, CANDIDATE, DONE };   /* node and link states during one search */

/* Scratch for the per-node breadth-first search, allocated once per finish. */
struct search {
	const struct topo *t;
	size_t *adj_start;         /* node -> its links, ascending: adj[adj_start[n] ..] */
	int *adj;
	unsigned char *nstate, *lstate;
	struct label *nlab, *llab;
	int *cur, *next, *found;
	size_t ncur, nnext, nfound;
};

static int label_less(struct label a, struct label b)
{
	return a.l0 < b.l0 || (a.l0 == b.l0 && a.r1 < b.r1);
}

static void search_free(struct search *s)
{
	free(s->adj_start);
	free(s->adj);
	free(s->nstate);
	free(s->lstate);
	free(s->nlab);
	free(s->llab);
	free(s->cur);
	free(s->next);
	free(s->found);
}

/* Allocates the scratch and builds node -> links adjacency in link order. */
static int search_init(struct search *s, const struct topo *t)
{
	size_t nn = t->nnodes, nl = t->nlinks, total = 0, i, j;

	memset(s, 0, sizeof *s);
	s->t = t;
	for (i = 0; i < nl; i++)
		total += t->links[i].nmembers;
	s->adj_start = calloc(nn + 1, sizeof *s->adj_start);
	s->adj = calloc(total + 1, sizeof *s->adj);
	s->nstate = calloc(nn + 1, 1);
	s->lstate = calloc(nl + 1, 1);
	s->nlab = calloc(nn + 1, sizeof *s->nlab);
	s->llab = calloc(nl + 1, sizeof *s->llab);
	s->cur = calloc(nn + 1, sizeof *s->cur);
	s->next = calloc(nn + 1, sizeof *s->next);
	s->found = calloc(nl + 1, sizeof *s->found);
	if (!s->adj_start || !s->adj || !s->nstate || !s->lstate || !s->nlab || !s->llab ||
	    !s->cur || !s->next || !s->found)
		return -1;
	for (i = 0; i < nl; i++)
		for (j = 0; j < t->links[i].nmembers; j++)
			s->adj_start[t->links[i].members[j].node + 1]++;
	for (i = 0; i < nn; i++)
		s->adj_start[i + 1] += s->adj_start[i];
	for (i = 0; i < nl; i++) {   /* fill, reusing cur as per-node fill counters */
		for (j = 0; j < t->links[i].nmembers; j++) {
			int n = t->links[i].members[j].node;

			s->adj[s->adj_start[n] + (size_t)s->cur[n]++] = (int)i;
		}
	}
	memset(s->cur, 0, (nn + 1) * sizeof *s->cur);
	return 0;
}

/*
** Node m is offered as a next-layer candidate, entered over link `via` on a
** path labelled lab. Only routers forward, and a router entered over its NAT
** outside may forward nowhere (it would leave into its inside), so those
** offers are dropped. Among offers in one layer the least label wins.
*/
static void offer(struct search *s, int m, int via, struct label lab)
{
	const struct topo_node *n = &s->t->nodes[m];

	if (n->kind != TOPO_ROUTER || n->nat_outside == via || s->nstate[m] == DONE)
		return;
	if (s->nstate[m] == FRESH) {
		s->nstate[m] = CANDIDATE;
		s->nlab[m] = lab;
		s->next[s->nnext++] = m;
	} else if (label_less(lab, s->nlab[m])) {
		s->nlab[m] = lab;
	}
}

/* Every link of router r is reached (if new) and its members offered. */
static void expand(struct search *s, int r)
{
	size_t k, j;

	for (k = s->adj_start[r]; k < s->adj_start[r + 1]; k++) {
		int x = s->adj[k];
		const struct topo_link *l = &s->t->links[x];

		if (s->lstate[x] == FRESH) {
			s->lstate[x] = CANDIDATE;
			s->llab[x] = s->nlab[r];
			s->found[s->nfound++] = x;
		} else if (s->lstate[x] == CANDIDATE && label_less(s->nlab[r], s->llab[x])) {
			s->llab[x] = s->nlab[r];
		}
		for (j = 0; j < l->nmembers; j++)
			offer(s, l->members[j].node, x, s->nlab[r]);
	}
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

static int add_route(struct topo *t, int node, int link, struct label lab)
{
	struct topo_route *r = grow(t->routes, t->nroutes, sizeof *r);

	if (!r)
		return -1;
	t->routes = r;
	r[t->nroutes].node = node;
	r[t->nroutes].dst = t->links[link].net;
	r[t->nroutes].plen = t->links[link].plen;
	r[t->nroutes].via = topo_addr(t, lab.r1, lab.l0);
	r[t->nroutes].link = lab.l0;
	t->nroutes++;
	return 0;
}

/* Starts the search at node src: its own links are attached, its neighbours layer one. */
static void search_start(struct search *s, int src)
{
	const struct topo *t = s->t;
	size_t k, j;

	memset(s->nstate, FRESH, t->nnodes);
	memset(s->lstate, FRESH, t->nlinks);
	s->nnext = 0;
	s->nstate[src] = DONE;
	for (k = s->adj_start[src]; k < s->adj_start[src + 1]; k++)
		s->lstate[s->adj[k]] = DONE;
	for (k = s->adj_start[src]; k < s->adj_start[src + 1]; k++) {
		const struct topo_link *l = &t->links[s->adj[k]];

		for (j = 0; j < l->nmembers; j++) {
			struct label lab = { s->adj[k], l->members[j].node };

			offer(s, l->members[j].node, s->adj[k], lab);
		}
	}
}

/*
** Routes of node src, layer by layer (a layer = one more router crossed).
** Within a layer every candidate holds the least label of its shortest paths,
** so each new link gets the least (first link, first hop) of its shortest
** paths; links of one layer are emitted in index order.
*/
static int route_node(struct topo *t, struct search *s, int src)
{
	size_t i;

	search_start(s, src);
	while (s->nnext > 0) {
		int *tmp = s->cur;

		s->cur = s->next;
		s->next = tmp;
		s->ncur = s->nnext;
		s->nnext = 0;
		for (i = 0; i < s->ncur; i++)
			s->nstate[s->cur[i]] = DONE;
		s->nfound = 0;
		for (i = 0; i < s->ncur; i++)
			expand(s, s->cur[i]);
		qsort(s->found, s->nfound, sizeof *s->found, cmp_int);
		for (i = 0; i < s->nfound; i++) {
			s->lstate[s->found[i]] = DONE;
			if (add_route(t, src, s->found[i], s->llab[s->found[i]]) < 0)
				return -1;
		}
	}
	return 0;
}

static int compute_routes(struct topo *t, struct topo_error *err)
{
	struct search s;
	size_t n;
	int rc = -1;

	free(t->routes);
	t->routes = NULL;
	t->nroutes = 0;
	if (search_init(&s, t) < 0)
		goto out;
	for (n = 0; n < t->nnodes; n++)
		if (route_node(t, &s, (int)n) < 0)
			goto out;
	rc = 0;
out:
	search_free(&s);
	if (rc < 0)
		fail(err, -1, -1, "out of memory computing routes");
	return rc;
}

/*
** The link of a host's automatic default route: the host has exactly one
** router neighbour (a router on one of its links, not met on that router's
** NAT outside), counted once per link it is met on; -1 otherwise.
*/
static int auto_default_link(const struct topo *t, int ni)
{
	size_t li, j;
	int found = -1, count = 0;

	if (t->nodes[ni].kind != TOPO_HOST)
		return -1;
	for (li = 0; li < t->nlinks; li++) {
		const struct topo_link *l = &t->links[li];

		if (!is_member(l, ni))
			continue;
		for (j = 0; j < l->nmembers; j++) {
			const struct topo_node *r = &t->nodes[l->members[j].node];

			if (r->kind == TOPO_ROUTER && r->nat_outside != (int)li) {
				found = (int)li;
				count++;
			}
		}
	}
	return count == 1 ? found : -1;
}

/* Each node's default route (validation has checked explicit links). */
static void compute_defaults(struct topo *t)
{
	size_t i;

	for (i = 0; i < t->nnodes; i++) {
		struct topo_node *n = &t->nodes[i];
		int li = n->default_link == TOPO_DEFAULT_AUTO ? auto_default_link(t, (int)i) : n->default_link;
		int r = li < 0 ? -1 : default_router(t, (int)i, li);

		n->default_via = r < 0 ? 0 : topo_addr(t, r, li);
		n->default_dev = r < 0 ? -1 : li;
	}
}

int topo_finish(struct topo *t, struct topo_error *err)
{
	size_t i;

	if (err) {
		err->msg[0] = '\0';
		err->link = err->node = -1;
	}
	if (validate(t, err) < 0)
		return -1;
	for (i = 0; i < t->nlinks; i++)
		assign_link(&t->links[i]);
	compute_defaults(t);
	return compute_routes(t, err);
}

/* ---- addresses as text ---- */

/* Strict dotted quad: four decimal octets 0..255, no leading zeros, nothing else. */
int topo_parse_addr(const char *s, uint32_t *addr)
{
	uint32_t a = 0;
	int octet, digits;

	if (!s)
		return -1;
	for (octet = 0; octet < 4; octet++) {
		unsigned v = 0;

		if (octet > 0 && *s++ != '.')
			return -1;
		for (digits = 0; is_digit(*s); digits++, s++) {
			if (digits == 3 || (digits == 1 && v == 0))
				return -1;   /* too long, or a leading zero */
			v = v * 10 + (unsigned)(*s - '0');
		}
		if (digits == 0 || v > 255)
			return -1;
		a = a << 8 | v;
	}
	if (*s)
		return -1;
	*addr = a;
	return 0;
}

int topo_parse_cidr(const char *s, uint32_t *net, int *plen)
{
	uint32_t a;
	int len;

	if (parse_cidr_raw(s, &a, &len) < 0)
		return -1;
	*net = a & mask_of(len);
	*plen = len;
	return 0;
}

char *topo_fmt_addr(uint32_t addr, char *buf)
{
	snprintf(buf, 16, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 0xff, (addr >> 8) & 0xff,
		 addr & 0xff);
	return buf;
}
