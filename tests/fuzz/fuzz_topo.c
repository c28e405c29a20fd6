/*
** fuzz_topo: libFuzzer target over the topology model: the text it parses
** (addresses, CIDR subnets, node and link names) and topo_finish over
** topologies derived from the bytes.
**
** Input: byte 0 picks the mode (byte 0 & 1), the rest is the mode's bytes:
**   0  text: parsed as an address and as a subnet, then split at the first
**      newline into a name and a subnet for topo_add_node / topo_add_link.
**      Each verdict is checked against a plain reference (canonical dotted
**      quads format back to the same text; names and subnets are accepted
**      exactly when the rules in topo.h say so).
**   1  a topology: up to 8 nodes, 6 links, 24 members, NAT, netem and MTU
**      settings, each read from the bytes (zeros once they run out). After
**      a successful topo_finish every address and route is checked, and a
**      second finish must give the same model; a failed one must leave the
**      model as it was built.
*/
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab/topo.h"

#define MAX_NODES 8
#define MAX_LINKS 6
#define MAX_MEMBERS 24

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond, const char *what)
{
	if (cond)
		return;
	fprintf(stderr, "fuzz_topo: invariant broken: %s\n", what);
	abort();
}

static uint32_t mask_of(int plen)
{
	return plen <= 0 ? 0 : 0xffffffffu << (32 - plen);
}

/* ---- text ------------------------------------------------------------------ */

/* The name rule of topo.h: 1..max of [A-Za-z0-9_-], first a letter. */
static int ref_name(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max || !((s[0] | 0x20) >= 'a' && (s[0] | 0x20) <= 'z'))
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == n;
}

/* A parsed address is a canonical dotted quad: it formats back to the same text. */
static void check_addr_text(const char *s)
{
	char buf[16];
	uint32_t a;

	if (topo_parse_addr(s, &a) == 0)
		check(strcmp(topo_fmt_addr(a, buf), s) == 0, "an address does not format back to its text");
}

/*
** A subnet parses exactly as "<address>/<length>", length 0..32 in canonical
** decimal; raw gets the address before masking. 0 or -1.
*/
static int ref_cidr(const char *s, uint32_t *raw, int *plen)
{
	const char *slash = strchr(s, '/');
	char addr[32], len[8];
	uint32_t net;
	int rc, p;

	rc = topo_parse_cidr(s, &net, &p);
	if (!slash || (size_t)(slash - s) >= sizeof(addr) || strlen(slash + 1) >= sizeof(len)) {
		check(rc < 0, "a subnet without a short address/length accepted");
		return -1;
	}
	memcpy(addr, s, (size_t)(slash - s));
	addr[slash - s] = '\0';
	if (topo_parse_addr(addr, raw) < 0) {
		check(rc < 0, "a subnet with a bad address accepted");
		return -1;
	}
	if (rc < 0)
		return -1;
	snprintf(len, sizeof(len), "%d", p);
	check(p >= 0 && p <= 32 && strcmp(len, slash + 1) == 0, "subnet length not as written");
	check(net == (*raw & mask_of(p)), "subnet not masked");
	*plen = p;
	return 0;
}

/* Whether topo_add_link must accept this subnet (topo.h: len 8..32, unicast, no host bits). */
static int ref_link_net(const char *cidr)
{
	uint32_t raw, first;
	int plen;

	if (ref_cidr(cidr, &raw, &plen) < 0 || plen < 8)
		return 0;
	first = raw >> 24;
	return first != 0 && first != 127 && first < 224 && (raw & ~mask_of(plen)) == 0;
}

static int reserved_ifname(const char *s)
{
	return strcmp(s, "lo") == 0 || strcmp(s, "all") == 0 || strcmp(s, "default") == 0;
}

static void fuzz_text(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *nl, *cidr;
	struct topo t;
	struct topo_error err;
	uint32_t a;
	int p, want, rc;

	if (!s)
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	check_addr_text(s);
	ref_cidr(s, &a, &p);
	nl = strchr(s, '\n');
	cidr = nl ? nl + 1 : s;
	if (nl)
		*nl = '\0';
	topo_init(&t);
	rc = topo_add_node(&t, s, TOPO_ROUTER, &err);
	check((rc == 0) == ref_name(s, TOPO_NAME_MAX - 1), "node name verdict");
	check(rc < 0 || topo_node_index(&t, s) == 0, "node not found by its name");
	check(rc < 0 || topo_add_node(&t, s, TOPO_HOST, &err) < 0, "a node name taken twice");
	want = ref_name(s, TOPO_IFNAME_MAX - 1) && !reserved_ifname(s) && ref_link_net(cidr);
	rc = topo_add_link(&t, s, cidr, &err);
	check((rc == 0) == want, "link name/subnet verdict");
	check(rc == 0 || err.msg[0], "a refused link without a message");
	check(rc < 0 || topo_link_index(&t, s) == 0, "link not found by its name");
	check(rc < 0 || topo_add_link(&t, s, "10.0.0.0/8", &err) < 0, "a link name taken twice");
	topo_free(&t);
	free(s);
}

/* ---- topologies --------------------------------------------------------------- */

struct bytes {
	const uint8_t *p;
	size_t n, off;
};

static unsigned u8(struct bytes *b)
{
	return b->off < b->n ? b->p[b->off++] : 0;
}

static uint32_t u32(struct bytes *b)
{
	uint32_t v = u8(b) << 24;

	v |= u8(b) << 16;
	v |= u8(b) << 8;
	return v | u8(b);
}

static double pick_double(struct bytes *b)
{
	static const double v[] = { 0, 0.5, 1, 12.3456789, 50, 100, 100.0001, 59999.9996,
	                            60000, 60000.1, -0.0, -1, 1e300, -1e300, 5e-324 };
	unsigned i = u8(b);

	if (i == 254 || i == 255)
		return i == 254 ? INFINITY : -INFINITY;
	return i < 128 ? NAN : v[i % (sizeof(v) / sizeof(v[0]))];   /* NAN: not given */
}

static int pick_mtu(struct bytes *b)
{
	static const int v[] = { 0, 67, 68, 1280, 1500, 9000, 65535, 65536, -1, INT_MIN, INT_MAX };
	unsigned i = u8(b), hi;

	if (i >= 128)
		return v[i % (sizeof(v) / sizeof(v[0]))];
	hi = u8(b);
	return (int)(hi << 8 | u8(b));
}

static void add_nodes(struct topo *t, struct bytes *b)
{
	unsigned n = 1 + u8(b) % MAX_NODES;
	char name[8];

	for (unsigned i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "n%u", i);
		check(topo_add_node(t, name, u8(b) & 1 ? TOPO_ROUTER : TOPO_HOST, NULL) == (int)i,
		      "a valid node refused");
	}
}

/*
** Links with subnets from the bytes, passed as text like the Lua side does.
** Flags: keep host bits, reuse the previous link's address (overlaps), any
** length 0..39 instead of 8..32.
*/
static void add_links(struct topo *t, struct bytes *b)
{
	unsigned n = 1 + u8(b) % MAX_LINKS, flags;
	uint32_t net, prev = 0;
	int plen;
	char name[8], cidr[24];

	for (unsigned i = 0; i < n; i++) {
		flags = u8(b);
		net = flags & 2 ? prev : u32(b);
		plen = flags & 4 ? (int)(u8(b) % 40) : 8 + (int)(u8(b) % 25);
		if (!(flags & 1) && plen <= 32)
			net &= mask_of(plen);
		prev = net;
		snprintf(name, sizeof(name), "l%u", i);
		snprintf(cidr, sizeof(cidr), "%u.%u.%u.%u/%d", net >> 24, (net >> 16) & 0xff,
		         (net >> 8) & 0xff, net & 0xff, plen);
		check((topo_add_link(t, name, cidr, NULL) >= 0) == ref_link_net(cidr), "link verdict");
	}
}

/* An explicit member address as text: inside the subnet (maybe network/broadcast) or anything. */
static uint32_t member_addr(const struct topo *t, int link, struct bytes *b)
{
	const struct topo_link *l = &t->links[link];
	unsigned how = u8(b) % 4;
	uint32_t a, parsed;
	char buf[16];

	if (how < 2)
		return 0;
	a = how == 2 ? l->net + (u8(b) & ~mask_of(l->plen)) : u32(b);
	check(topo_parse_addr(topo_fmt_addr(a, buf), &parsed) == 0 && parsed == a,
	      "a formatted address does not parse back");
	return a;
}

static void add_members(struct topo *t, struct bytes *b)
{
	unsigned n = u8(b) % (MAX_MEMBERS + 1);
	int link, node, rc;

	for (unsigned i = 0; i < n && t->nlinks > 0; i++) {
		link = (int)(u8(b) % (t->nlinks + 2)) - 1;   /* -1 and nlinks: out of range */
		node = (int)(u8(b) % t->nnodes);
		if (link < 0 || (size_t)link >= t->nlinks) {
			check(topo_link_add_member(t, link, node, 0, NULL) < 0, "a bad link index accepted");
			continue;
		}
		rc = topo_link_add_member(t, link, node, member_addr(t, link, b), NULL);
		check(rc >= 0, "a member of a valid link and node refused");
	}
}

/* A given value out of lo..hi (NAN: not given). */
static int bad_value(double v, double lo, double hi)
{
	return !isnan(v) && !(v >= lo && v <= hi);
}

/* The netem rule of topo.h: delay and jitter 0..max ms, loss 0..100, jitter needs a delay. */
static int ref_netem(double d, double j, double l)
{
	return !bad_value(d, 0, TOPO_DELAY_MAX_MS) && !bad_value(j, 0, TOPO_DELAY_MAX_MS) &&
	       !bad_value(l, 0, 100) && (isnan(j) || !isnan(d));
}

/* NAT outsides, netem and MTU, each verdict checked against the rules. */
static void add_settings(struct topo *t, struct bytes *b)
{
	unsigned n = u8(b) % 3;
	double d, j, l;
	int mtu, rc;

	for (unsigned i = 0; i < n && t->nlinks > 0; i++)
		topo_set_nat_outside(t, (int)(u8(b) % t->nnodes), (int)(u8(b) % t->nlinks), NULL);
	for (size_t i = 0; i < t->nlinks; i++) {
		if (!(u8(b) & 1))
			continue;
		d = pick_double(b), j = pick_double(b), l = pick_double(b);
		rc = topo_link_set_netem(t, (int)i, d, j, l, NULL);
		check((rc == 0) == ref_netem(d, j, l), "netem verdict");
		check(rc < 0 || topo_link_has_netem(&t->links[i]) == (!isnan(d) || !isnan(j) || !isnan(l)),
		      "netem wanted, or not, after a setting");
		check(rc < 0 || (t->links[i].delay_us >= -1 && t->links[i].delay_us <= TOPO_DELAY_MAX_MS * 1000 &&
		      t->links[i].jitter_us >= -1 && t->links[i].jitter_us <= TOPO_DELAY_MAX_MS * 1000 &&
		      (t->links[i].loss_pct == -1 || (t->links[i].loss_pct >= 0 && t->links[i].loss_pct <= 100))),
		      "netem accepted out of range");
		mtu = pick_mtu(b);
		rc = topo_link_set_mtu(t, (int)i, mtu, NULL);
		check((rc == 0) == (mtu == 0 || (mtu >= TOPO_MTU_MIN && mtu <= TOPO_MTU_MAX)), "mtu verdict");
	}
}

/* After a finish: every member has a unique usable address of its subnet. */
static void check_addresses(const struct topo *t)
{
	for (size_t i = 0; i < t->nlinks; i++) {
		const struct topo_link *l = &t->links[i];
		uint32_t m = mask_of(l->plen);

		for (size_t k = 0; k < l->nmembers; k++) {
			uint32_t a = l->members[k].addr;

			check(a != 0 && (a & m) == l->net, "member address outside its subnet");
			check(l->plen > 30 || (a != l->net && a != (l->net | ~m)),
			      "member given the network or broadcast address");
			check(topo_addr(t, l->members[k].node, (int)i) == a, "topo_addr disagrees");
			for (size_t q = 0; q < k; q++)
				check(l->members[q].addr != a, "address given twice on a link");
		}
	}
}

static int member_with(const struct topo_link *l, uint32_t addr)
{
	for (size_t k = 0; k < l->nmembers; k++)
		if (l->members[k].addr == addr)
			return l->members[k].node;
	return -1;
}

/* One route: from a node to a subnet it is not on, via a router on one of its links. */
static void check_route(const struct topo *t, const struct topo_route *r)
{
	int dst = -1, hop;

	check(r->node >= 0 && (size_t)r->node < t->nnodes, "route of no node");
	check(r->link >= 0 && (size_t)r->link < t->nlinks, "route out of no link");
	check(topo_addr(t, r->node, r->link) != 0, "route out of a link the node is not on");
	hop = member_with(&t->links[r->link], r->via);
	check(hop >= 0 && hop != r->node && t->nodes[hop].kind == TOPO_ROUTER &&
	      t->nodes[hop].nat_outside != r->link, "next hop not a forwarding router on the link");
	for (size_t i = 0; i < t->nlinks; i++)
		if (t->links[i].net == r->dst && t->links[i].plen == r->plen)
			dst = (int)i;
	check(dst >= 0, "route to no link's subnet");
	check(topo_addr(t, r->node, dst) == 0, "route to a subnet the node is on");
}

/* Every link one router away (not entered over its NAT outside) has a route. */
static int has_route(const struct topo *t, int node, int link)
{
	for (size_t i = 0; i < t->nroutes; i++)
		if (t->routes[i].node == node && t->routes[i].dst == t->links[link].net &&
		    t->routes[i].plen == t->links[link].plen)
			return 1;
	return 0;
}

static void check_one_hop(const struct topo *t)
{
	for (size_t x = 0; x < t->nlinks; x++)
		for (size_t a = 0; a < t->links[x].nmembers; a++)
			for (size_t r = 0; r < t->links[x].nmembers; r++) {
				int na = t->links[x].members[a].node, nr = t->links[x].members[r].node;

				if (na == nr || t->nodes[nr].kind != TOPO_ROUTER ||
				    t->nodes[nr].nat_outside == (int)x)
					continue;
				for (size_t y = 0; y < t->nlinks; y++)
					check(!topo_addr(t, nr, (int)y) || topo_addr(t, na, (int)y) ||
					      has_route(t, na, (int)y), "a link one router away has no route");
			}
}

static void check_routes(const struct topo *t)
{
	for (size_t i = 0; i < t->nroutes; i++) {
		check_route(t, &t->routes[i]);
		for (size_t k = 0; k < i; k++)
			check(t->routes[k].node != t->routes[i].node || t->routes[k].dst != t->routes[i].dst ||
			      t->routes[k].plen != t->routes[i].plen, "two routes of a node to one subnet");
	}
	check_one_hop(t);
}

/* Member addresses, flattened: what a failed finish must leave alone. */
static size_t snapshot(const struct topo *t, uint32_t *out)
{
	size_t n = 0;

	for (size_t i = 0; i < t->nlinks; i++)
		for (size_t k = 0; k < t->links[i].nmembers; k++)
			out[n++] = t->links[i].members[k].addr;
	return n;
}

static void finish_and_check(struct topo *t)
{
	uint32_t before[MAX_MEMBERS], after[MAX_MEMBERS];
	struct topo_route *routes;
	struct topo_error err;
	size_t n = snapshot(t, before), nroutes;

	if (topo_finish(t, &err) < 0) {
		check(err.msg[0] != '\0', "finish failed without a message");
		check(snapshot(t, after) == n && (!n || memcmp(before, after, n * sizeof(*before)) == 0) &&
		      t->nroutes == 0, "a failed finish changed the model");
		return;
	}
	check_addresses(t);
	check_routes(t);
	n = snapshot(t, before);
	nroutes = t->nroutes;
	routes = malloc((nroutes + 1) * sizeof(*routes));
	if (!routes)
		return;
	if (nroutes)
		memcpy(routes, t->routes, nroutes * sizeof(*routes));
	check(topo_finish(t, &err) == 0, "a second finish failed");
	check(snapshot(t, after) == n && (!n || memcmp(before, after, n * sizeof(*before)) == 0) &&
	      t->nroutes == nroutes && (!nroutes || memcmp(routes, t->routes, nroutes * sizeof(*routes)) == 0),
	      "a second finish gave another model");
	free(routes);
}

static void fuzz_topology(const uint8_t *data, size_t size)
{
	struct bytes b = { data, size, 0 };
	struct topo t;

	topo_init(&t);
	add_nodes(&t, &b);
	add_links(&t, &b);
	add_members(&t, &b);
	add_settings(&t, &b);
	finish_and_check(&t);
	topo_free(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		fuzz_topology(data + 1, size - 1);
	else
		fuzz_text(data + 1, size - 1);
	return 0;
}
