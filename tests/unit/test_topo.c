/*
** Unit tests for topo: parsing, names, addressing, validation messages and
** the routes every node gets (NAT visibility, tie-breaking, scale).
*/
#include "lab/topo.h"
#include "unit.h"

#include <math.h>
#include <stdlib.h>
#include <time.h>

/* ---- building helpers: a failure here is a broken test, so bail out ---- */

static void bail(const char *what, const struct topo_error *e)
{
	printf("Bail out! %s: %s\n", what, e->msg);
	exit(255);
}

static int node(struct topo *t, const char *name, enum topo_kind k)
{
	struct topo_error e;
	int i = topo_add_node(t, name, k, &e);

	if (i < 0)
		bail(name, &e);
	return i;
}

static int link_(struct topo *t, const char *name, const char *cidr)
{
	struct topo_error e;
	int i = topo_add_link(t, name, cidr, &e);

	if (i < 0)
		bail(name, &e);
	return i;
}

static uint32_t ip(const char *s)
{
	uint32_t a = 0;

	if (topo_parse_addr(s, &a) < 0) {
		printf("Bail out! bad address literal %s\n", s);
		exit(255);
	}
	return a;
}

/* Adds node to link; addr NULL means automatic. */
static void member(struct topo *t, int l, int n, const char *addr)
{
	struct topo_error e;

	if (topo_link_add_member(t, l, n, addr ? ip(addr) : 0, &e) < 0)
		bail("member", &e);
}

static void nat(struct topo *t, int n, int l)
{
	struct topo_error e;

	if (topo_set_nat_outside(t, n, l, &e) < 0)
		bail("nat", &e);
}

static int finish(struct topo *t)
{
	struct topo_error e;

	if (topo_finish(t, &e) < 0) {
		printf("# finish failed: %s\n", e.msg);
		return -1;
	}
	return 0;
}

/* Rotating buffers so several results fit in one printf or is_str. */
static char *buf(void)
{
	static char b[8][64];
	static int i;

	return b[i++ % 8];
}

static const char *A(const struct topo *t, int n, int l)
{
	return topo_fmt_addr(topo_addr(t, n, l), buf());
}

static int nroutes(const struct topo *t, int n)
{
	size_t i;
	int c = 0;

	for (i = 0; i < t->nroutes; i++)
		c += t->routes[i].node == n;
	return c;
}

/* Node n's route to link l's subnet as "via ADDR dev LINK", or "none". */
static const char *R(const struct topo *t, int n, int l)
{
	size_t i;

	for (i = 0; i < t->nroutes; i++) {
		const struct topo_route *r = &t->routes[i];
		char a[16], *b;

		if (r->node != n || r->dst != t->links[l].net || r->plen != t->links[l].plen)
			continue;
		b = buf();
		snprintf(b, 64, "via %s dev %s", topo_fmt_addr(r->via, a), t->links[r->link].name);
		return b;
	}
	return "none";
}

/* Names of node n's destination links, in route order: "a,b,c". */
static const char *order(const struct topo *t, int n)
{
	char *b = buf();
	size_t i, j;

	b[0] = '\0';
	for (i = 0; i < t->nroutes; i++) {
		if (t->routes[i].node != n)
			continue;
		for (j = 0; j < t->nlinks; j++)
			if (t->links[j].net == t->routes[i].dst && t->links[j].plen == t->routes[i].plen)
				break;
		if (strlen(b) + strlen(j < t->nlinks ? t->links[j].name : "?") + 2 > 64)
			break;
		if (b[0])
			strcat(b, ",");
		strcat(b, j < t->nlinks ? t->links[j].name : "?");
	}
	return b;
}

/* ---- parsing ---- */

static void test_parse(void)
{
	static const char *bad[] = {
		"", "1.2.3", "1.2.3.4.5", "256.0.0.1", "1.2.3.4 ", " 1.2.3.4", "01.2.3.4",
		"1..2.3", "1.2.3.4x", "a.b.c.d", "1.2.3.-4", "1234.1.1.1", "1.2.3.", "0x1.2.3.4",
	};
	static const char *badcidr[] = {
		"10.0.0.0/33", "10.0.0.0/", "10.0.0.0", "10.0.0.0/024", "10.0.0.0/2x",
		"10.0.0.0/24 ", "10.0.0/24", "/24", "10.0.0.0/-1", "10.0.0.0/100",
	};
	uint32_t a = 1, net = 1;
	int plen = -1, nbad = 0;
	size_t i;
	char b[16];

	ok(topo_parse_addr("10.0.0.1", &a) == 0 && a == 0x0a000001u, "parse 10.0.0.1");
	ok(topo_parse_addr("255.255.255.255", &a) == 0 && a == 0xffffffffu, "parse 255.255.255.255");
	ok(topo_parse_addr("0.0.0.0", &a) == 0 && a == 0, "parse 0.0.0.0");
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		a = 7;
		if (topo_parse_addr(bad[i], &a) == 0 || a != 7) {
			printf("# accepted bad address '%s'\n", bad[i]);
			nbad++;
		}
	}
	is_int(nbad, 0, "malformed dotted quads rejected, output untouched");
	ok(topo_parse_addr(NULL, &a) < 0, "parse NULL address fails");
	ok(topo_parse_cidr("10.1.2.0/24", &net, &plen) == 0 && net == 0x0a010200u && plen == 24,
	   "parse 10.1.2.0/24");
	ok(topo_parse_cidr("10.1.2.77/24", &net, &plen) == 0 && net == 0x0a010200u,
	   "parse_cidr masks host bits");
	ok(topo_parse_cidr("192.0.2.1/32", &net, &plen) == 0 && net == 0xc0000201u && plen == 32,
	   "parse /32");
	ok(topo_parse_cidr("0.0.0.0/0", &net, &plen) == 0 && net == 0 && plen == 0, "parse /0");
	for (nbad = 0, i = 0; i < sizeof badcidr / sizeof badcidr[0]; i++) {
		if (topo_parse_cidr(badcidr[i], &net, &plen) == 0) {
			printf("# accepted bad cidr '%s'\n", badcidr[i]);
			nbad++;
		}
	}
	is_int(nbad, 0, "malformed CIDRs rejected");
	is_str(topo_fmt_addr(0xc0a80101u, b), "192.168.1.1", "fmt 192.168.1.1");
	is_str(topo_fmt_addr(0xffffffffu, b), "255.255.255.255", "fmt fills 15 chars");
}

/* ---- names and building errors ---- */

static void test_node_names(void)
{
	struct topo t;
	struct topo_error e;
	int r;

	topo_init(&t);
	is_int(topo_add_node(&t, "a", TOPO_HOST, &e), 0, "one-letter node name");
	is_int(topo_add_node(&t, "abcdefghij0123456789ABCDEFGHI_-", TOPO_ROUTER, &e), 1,
	       "31-char node name with _ and -");
	ok(topo_add_node(&t, "abcdefghij0123456789ABCDEFGHIJ_-", TOPO_HOST, &e) < 0,
	   "32-char node name rejected");
	ok(topo_add_node(&t, "1host", TOPO_HOST, &e) < 0 && strstr(e.msg, "bad node name '1host'"),
	   "node name starting with a digit rejected");
	ok(topo_add_node(&t, "a b", TOPO_HOST, &e) < 0, "node name with space rejected");
	ok(topo_add_node(&t, "", TOPO_HOST, &e) < 0, "empty node name rejected");
	ok(topo_add_node(&t, NULL, TOPO_HOST, &e) < 0, "NULL node name rejected");
	ok(topo_add_node(&t, "x", (enum topo_kind)7, &e) < 0, "unknown kind rejected");
	r = topo_add_node(&t, "a", TOPO_ROUTER, &e);
	ok(r < 0 && e.node == 0, "duplicate node rejected, err->node = the first");
	is_str(e.msg, "duplicate node 'a'", "duplicate node message");
	is_int(topo_node_index(&t, "abcdefghij0123456789ABCDEFGHI_-"), 1, "node_index finds node");
	is_int(topo_node_index(&t, "zz"), -1, "node_index of unknown is -1");
	topo_free(&t);
}

static void test_link_names(void)
{
	struct topo t;
	struct topo_error e;
	int r;

	topo_init(&t);
	node(&t, "a", TOPO_HOST);
	node(&t, "b", TOPO_ROUTER);
	is_int(topo_add_link(&t, "abcdefghij01234", "10.0.0.0/24", &e), 0, "15-char link name");
	ok(topo_add_link(&t, "abcdefghij012345", "10.0.1.0/24", &e) < 0, "16-char link name rejected");
	ok(topo_add_link(&t, "lo", "10.0.1.0/24", &e) < 0, "link name lo rejected");
	ok(topo_add_link(&t, "all", "10.0.1.0/24", &e) < 0, "link name all rejected");
	ok(topo_add_link(&t, "wan.1", "10.0.1.0/24", &e) < 0, "link name with dot rejected");
	r = topo_add_link(&t, "abcdefghij01234", "10.0.1.0/24", &e);
	ok(r < 0 && e.link == 0 && strstr(e.msg, "duplicate link"), "duplicate link rejected");
	ok(topo_add_link(&t, "wan", "10.0.1.0/7", &e) < 0, "/7 rejected");
	ok(topo_add_link(&t, "wan", "10.0.1.0/33", &e) < 0, "/33 rejected");
	ok(topo_add_link(&t, "wan", "10.0.1.0", &e) < 0 && strstr(e.msg, "bad subnet"),
	   "missing prefix length rejected");
	r = topo_add_link(&t, "wan", "203.0.113.5/24", &e);
	ok(r < 0, "host bits set rejected");
	is_str(e.msg, "link 'wan': 203.0.113.5/24 has host bits set; did you mean 203.0.113.0/24?",
	       "host bits message suggests the network");
	ok(topo_add_link(&t, "wan", "0.0.0.0/31", &e) < 0 && strstr(e.msg, "not a usable unicast"),
	   "0.0.0.0/8 subnet rejected (0 means unassigned)");
	ok(topo_add_link(&t, "wan", "127.0.0.0/8", &e) < 0, "loopback subnet rejected");
	ok(topo_add_link(&t, "wan", "224.0.0.0/24", &e) < 0, "multicast subnet rejected");
	ok(topo_add_link(&t, "wan", "240.0.0.0/24", &e) < 0, "class E subnet rejected");
	is_int(topo_add_link(&t, "wan", "203.0.113.7/32", &e), 1, "/32 accepted");
	is_int(topo_add_link(&t, "top", "223.255.255.254/31", &e), 2, "223.255.255.254/31 accepted");
	is_int(topo_link_index(&t, "wan"), 1, "link_index finds link");

	ok(topo_link_add_member(&t, 5, 0, 0, &e) < 0, "member of unknown link rejected");
	ok(topo_link_add_member(&t, 0, 9, 0, &e) < 0 && e.link == 0, "unknown node as member rejected");
	ok(topo_link_add_member(&t, 0, -1, 0, &e) < 0, "negative node index rejected");
	ok(topo_set_nat_outside(&t, 9, 0, &e) < 0, "NAT on unknown node rejected");
	ok(topo_set_nat_outside(&t, 1, 9, &e) < 0, "NAT on unknown link rejected");
	ok(topo_set_nat_outside(&t, 1, 0, &e) == 0 && topo_set_nat_outside(&t, 1, 0, &e) == 0,
	   "setting the same NAT outside twice is fine");
	ok(topo_set_nat_outside(&t, 1, 1, &e) < 0 && strstr(e.msg, "already has NAT outside"),
	   "a second, different NAT outside rejected");
	ok(topo_add_node(&t, "ok", TOPO_HOST, NULL) == 2 && topo_add_node(&t, "ok", TOPO_HOST, NULL) < 0,
	   "err may be NULL");
	topo_free(&t);
	ok(t.nodes == NULL && t.nnodes == 0 && t.links == NULL && t.nlinks == 0, "free resets");
	topo_free(&t);
	topo_free(NULL);
	ok(1, "free twice and free(NULL) are harmless");
}

/* ---- addressing ---- */

static void test_addressing(void)
{
	struct topo t;
	int a, b, c, d, lan, p2p, full, mix;

	topo_init(&t);
	a = node(&t, "a", TOPO_HOST);
	b = node(&t, "b", TOPO_ROUTER);
	c = node(&t, "c", TOPO_HOST);
	d = node(&t, "d", TOPO_HOST);
	lan = link_(&t, "lan", "10.0.0.0/24");
	p2p = link_(&t, "p2p", "10.0.1.0/31");
	full = link_(&t, "full", "10.0.2.0/30");
	mix = link_(&t, "mix", "10.0.3.0/29");
	member(&t, lan, a, NULL);
	member(&t, lan, b, NULL);
	member(&t, lan, c, NULL);
	member(&t, p2p, b, NULL);
	member(&t, p2p, d, NULL);
	member(&t, full, c, NULL);
	member(&t, full, d, NULL);
	member(&t, mix, a, NULL);
	member(&t, mix, b, "10.0.3.1");
	member(&t, mix, c, NULL);
	member(&t, mix, d, "10.0.3.6");
	is_int(topo_addr(&t, a, lan), 0, "no address before finish");
	ok(finish(&t) == 0, "addressing topology finishes");
	ok(!strcmp(A(&t, a, lan), "10.0.0.1") && !strcmp(A(&t, b, lan), "10.0.0.2") &&
	   !strcmp(A(&t, c, lan), "10.0.0.3"), "auto: lowest hosts in member order");
	ok(!strcmp(A(&t, b, p2p), "10.0.1.0") && !strcmp(A(&t, d, p2p), "10.0.1.1"),
	   "/31: both addresses used, network included");
	ok(!strcmp(A(&t, c, full), "10.0.2.1") && !strcmp(A(&t, d, full), "10.0.2.2"),
	   "/30 filled exactly");
	is_str(A(&t, b, mix), "10.0.3.1", "mixed: explicit .1 kept");
	is_str(A(&t, a, mix), "10.0.3.2", "mixed: first auto skips explicit .1");
	is_str(A(&t, c, mix), "10.0.3.3", "mixed: second auto gets .3");
	is_str(A(&t, d, mix), "10.0.3.6", "mixed: explicit .6 (last host of /29) kept");
	is_int(topo_addr(&t, d, lan), 0, "topo_addr of non-member is 0");
	is_int(topo_addr(&t, a, 99), 0, "topo_addr of bad link is 0");
	topo_free(&t);
}

static void test_addressing_edges(void)
{
	struct topo t;
	struct topo_error e;
	int a, b, c, p2p, full;

	/* explicit higher in member order than autos; /31 with explicit upper half */
	topo_init(&t);
	a = node(&t, "a", TOPO_HOST);
	b = node(&t, "b", TOPO_HOST);
	p2p = link_(&t, "p", "192.0.2.10/31");
	member(&t, p2p, a, NULL);
	member(&t, p2p, b, "192.0.2.10");
	ok(finish(&t) == 0 && !strcmp(A(&t, a, p2p), "192.0.2.11"),
	   "/31: explicit network address allowed, auto takes the other");
	topo_free(&t);

	topo_init(&t);
	a = node(&t, "a", TOPO_HOST);
	b = node(&t, "b", TOPO_HOST);
	c = node(&t, "c", TOPO_HOST);
	full = link_(&t, "small", "10.9.0.4/30");
	member(&t, full, a, NULL);
	member(&t, full, b, NULL);
	member(&t, full, c, NULL);
	ok(topo_finish(&t, &e) < 0, "/30 with three members fails");
	is_str(e.msg, "link 'small' (10.9.0.4/30) has room for 2 hosts but 3 members need addresses",
	       "too-small message says room and need");
	ok(e.link == full && e.node == -1, "too small: err->link set, err->node -1");
	is_int(topo_addr(&t, a, full), 0, "failed finish assigns nothing");
	topo_free(&t);
}

/* ---- validation errors ---- */

/* Builds two hosts on "l0" 10.0.0.0/24; each case then breaks something. */
static void base(struct topo *t, int *h1, int *h2, int *l0)
{
	topo_init(t);
	*h1 = node(t, "h1", TOPO_HOST);
	*h2 = node(t, "h2", TOPO_HOST);
	*l0 = link_(t, "l0", "10.0.0.0/24");
}

static void expect_fail(struct topo *t, const char *msg, int link, int nd, const char *what)
{
	struct topo_error e;
	char w[128];

	memset(&e, 0x55, sizeof e);
	e.msg[sizeof e.msg - 1] = '\0';
	snprintf(w, sizeof w, "%s: finish fails", what);
	ok(topo_finish(t, &e) < 0, w);
	snprintf(w, sizeof w, "%s: message", what);
	is_str(e.msg, msg, w);
	snprintf(w, sizeof w, "%s: err->link %d, err->node %d", what, link, nd);
	ok(e.link == link && e.node == nd, w);
	if (e.link != link || e.node != nd)
		printf("#   got link %d node %d\n", e.link, e.node);
	topo_free(t);
}

static void test_validation_links(void)
{
	struct topo t;
	int h1, h2, l0, l1;

	base(&t, &h1, &h2, &l0);
	member(&t, l0, h1, NULL);
	expect_fail(&t, "link 'l0' has 1 member; a link needs at least 2", l0, -1, "one member");

	base(&t, &h1, &h2, &l0);
	member(&t, l0, h1, NULL);
	member(&t, l0, h2, NULL);
	l1 = link_(&t, "l1", "10.0.1.0/24");
	expect_fail(&t, "link 'l1' has 0 members; a link needs at least 2", l1, -1, "empty link");

	base(&t, &h1, &h2, &l0);
	member(&t, l0, h1, NULL);
	member(&t, l0, h2, NULL);
	member(&t, l0, h1, NULL);
	expect_fail(&t, "node 'h1' is on link 'l0' twice", l0, h1, "node twice");

	base(&t, &h1, &h2, &l0);
	member(&t, l0, h1, NULL);
	member(&t, l0, h2, NULL);
	l1 = link_(&t, "big", "10.0.0.0/16");
	member(&t, l1, h1, NULL);
	member(&t, l1, h2, NULL);
	expect_fail(&t, "links 'l0' (10.0.0.0/24) and 'big' (10.0.0.0/16) overlap", l1, -1,
		    "overlap, later link is wider");

	base(&t, &h1, &h2, &l0);
	member(&t, l0, h1, NULL);
	member(&t, l0, h2, NULL);
	link_(&t, "x", "10.1.0.0/24");
	l1 = link_(&t, "in", "10.0.0.128/25");
	expect_fail(&t, "link 'x' has 0 members; a link needs at least 2", 1, -1,
		    "errors come in link order");

	topo_init(&t);
	h1 = node(&t, "h1", TOPO_HOST);
	h2 = node(&t, "h2", TOPO_HOST);
	l0 = link_(&t, "wide", "172.16.0.0/12");
	l1 = link_(&t, "inner", "172.20.5.0/24");
	member(&t, l0, h1, NULL);
	member(&t, l0, h2, NULL);
	member(&t, l1, h1, NULL);
	member(&t, l1, h2, NULL);
	expect_fail(&t, "links 'wide' (172.16.0.0/12) and 'inner' (172.20.5.0/24) overlap", l1, -1,
		    "overlap, later link inside earlier");
}

static void test_validation_addrs(void)
{
	struct topo t;
	int h1, h2, l0, l1, r;

	base(&t, &h1, &h2, &l0);
	member(&t, l0, h1, "10.0.1.1");
	member(&t, l0, h2, NULL);
	expect_fail(&t, "node 'h1' on link 'l0': address 10.0.1.1 is outside 10.0.0.0/24", l0, h1,
		    "explicit outside");

	base(&t, &h1, &h2, &l0);
	member(&t, l0, h1, NULL);
	member(&t, l0, h2, "10.0.0.0");
	expect_fail(&t, "node 'h2' on link 'l0': address 10.0.0.0 is the network address of "
		    "10.0.0.0/24", l0, h2, "explicit network address");

	base(&t, &h1, &h2, &l0);
	member(&t, l0, h1, NULL);
	member(&t, l0, h2, "10.0.0.255");
	expect_fail(&t, "node 'h2' on link 'l0': address 10.0.0.255 is the broadcast address of "
		    "10.0.0.0/24", l0, h2, "explicit broadcast address");

	base(&t, &h1, &h2, &l0);
	member(&t, l0, h1, "10.0.0.9");
	member(&t, l0, h2, "10.0.0.9");
	expect_fail(&t, "node 'h2' on link 'l0': address 10.0.0.9 is already taken by 'h1'", l0, h2,
		    "explicit address twice");

	base(&t, &h1, &h2, &l0);
	r = node(&t, "r", TOPO_ROUTER);
	l1 = link_(&t, "wan", "10.0.1.0/24");
	member(&t, l0, h1, NULL);
	member(&t, l0, r, NULL);
	member(&t, l1, h2, NULL);
	member(&t, l1, h1, NULL);
	nat(&t, r, l1);
	expect_fail(&t, "node 'r' has NAT outside link 'wan' but is not on that link", l1, r,
		    "NAT outside not on");

	base(&t, &h1, &h2, &l0);
	member(&t, l0, h1, NULL);
	member(&t, l0, h2, NULL);
	nat(&t, h2, l0);
	expect_fail(&t, "node 'h2' is a host; only routers can NAT (outside link 'l0')", l0, h2,
		    "NAT on a host");

	topo_init(&t);
	h1 = node(&t, "h1", TOPO_HOST);
	h2 = node(&t, "h2", TOPO_HOST);
	l0 = link_(&t, "one", "10.0.0.1/32");
	member(&t, l0, h1, NULL);
	member(&t, l0, h2, NULL);
	expect_fail(&t, "link 'one' (10.0.0.1/32) has room for 1 host but 2 members need addresses",
		    l0, -1, "/32 never fits a link");
}

/* ---- routes ---- */

static void test_direct(void)
{
	struct topo t;
	int c, g, l;

	topo_init(&t);
	c = node(&t, "client", TOPO_HOST);
	g = node(&t, "gateway", TOPO_HOST);
	l = link_(&t, "net", "198.51.100.0/24");
	member(&t, l, c, NULL);
	member(&t, l, g, NULL);
	ok(finish(&t) == 0 && t.nroutes == 0, "direct: client and gateway need no routes");
	topo_free(&t);
}

/* client - lan - home(NAT out wan) - wan - isp - core - server */
static void test_home_nat(void)
{
	struct topo t;
	int c, h, g, s, lan, wan, core;

	topo_init(&t);
	c = node(&t, "client", TOPO_HOST);
	h = node(&t, "home", TOPO_ROUTER);
	g = node(&t, "gateway", TOPO_HOST);
	lan = link_(&t, "lan", "192.168.1.0/24");
	wan = link_(&t, "wan", "203.0.113.0/24");
	member(&t, lan, c, NULL);
	member(&t, lan, h, NULL);
	member(&t, wan, h, NULL);
	member(&t, wan, g, NULL);
	nat(&t, h, wan);
	ok(finish(&t) == 0, "home NAT finishes");
	is_str(R(&t, c, wan), "via 192.168.1.2 dev lan", "client -> wan via home's lan address");
	is_str(R(&t, g, lan), "none", "gateway gets no route into the NATed lan");
	is_int(t.nroutes, 1, "home NAT: exactly one route in all");
	is_int(nroutes(&t, h), 0, "home router needs no routes");
	topo_free(&t);

	/* same, with the gateway a router leading to a server's core link */
	topo_init(&t);
	c = node(&t, "client", TOPO_HOST);
	h = node(&t, "home", TOPO_ROUTER);
	g = node(&t, "gateway", TOPO_ROUTER);
	s = node(&t, "server", TOPO_HOST);
	lan = link_(&t, "lan", "192.168.1.0/24");
	wan = link_(&t, "wan", "203.0.113.0/24");
	core = link_(&t, "core", "10.1.0.0/16");
	member(&t, lan, c, NULL);
	member(&t, lan, h, "192.168.1.1");
	member(&t, wan, h, NULL);
	member(&t, wan, g, NULL);
	member(&t, core, g, NULL);
	member(&t, core, s, NULL);
	nat(&t, h, wan);
	ok(finish(&t) == 0, "home NAT with routed core finishes");
	is_str(R(&t, c, core), "via 192.168.1.1 dev lan", "client -> core via home (explicit .1)");
	is_str(R(&t, h, core), "via 203.0.113.2 dev wan", "home -> core via gateway");
	is_str(R(&t, s, wan), "via 10.1.0.1 dev core", "server -> wan via gateway");
	is_str(R(&t, s, lan), "none", "server cannot see the lan behind NAT");
	is_str(R(&t, g, lan), "none", "gateway cannot see the lan behind NAT");
	is_int(t.nroutes, 4, "routed core: four routes in all");
	topo_free(&t);
}

/* client - lan - home(NAT mid) - mid - isp(NAT wan) - wan - gateway */
static void test_double_nat(void)
{
	struct topo t;
	int c, h, i, g, lan, mid, wan;

	topo_init(&t);
	c = node(&t, "client", TOPO_HOST);
	h = node(&t, "home", TOPO_ROUTER);
	i = node(&t, "isp", TOPO_ROUTER);
	g = node(&t, "gateway", TOPO_HOST);
	lan = link_(&t, "lan", "192.168.1.0/24");
	mid = link_(&t, "mid", "100.64.0.0/24");
	wan = link_(&t, "wan", "203.0.113.0/24");
	member(&t, lan, c, NULL);
	member(&t, lan, h, NULL);
	member(&t, mid, h, NULL);
	member(&t, mid, i, NULL);
	member(&t, wan, i, NULL);
	member(&t, wan, g, NULL);
	nat(&t, h, mid);
	nat(&t, i, wan);
	ok(finish(&t) == 0, "double NAT finishes");
	is_str(R(&t, c, mid), "via 192.168.1.2 dev lan", "double NAT: client -> mid via home");
	is_str(R(&t, c, wan), "via 192.168.1.2 dev lan", "double NAT: client -> wan via home");
	is_str(R(&t, h, wan), "via 100.64.0.2 dev mid", "double NAT: home -> wan via isp");
	is_str(R(&t, i, lan), "none", "double NAT: isp cannot see home's lan");
	is_int(nroutes(&t, g), 0, "double NAT: gateway sees nothing behind isp");
	is_int(t.nroutes, 3, "double NAT: three routes in all");
	topo_free(&t);
}

/*
** A chain h0 - l0 - r0 - l1 - r1 - ... - r(n-1) - ln - h1: n routers, n+1
** links. Every node reaches every link; next hops are the neighbours.
** Returns the number of wrong or missing routes.
*/
static int check_chain(int n, double *ms)
{
	struct topo t;
	struct timespec t0, t1;
	int *r = calloc((size_t)n, sizeof *r), *l = calloc((size_t)n + 1, sizeof *l);
	int i, j, bad = 0, hs, he;
	char name[32], cidr[32];

	topo_init(&t);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof name, "r%d", i);
		r[i] = node(&t, name, TOPO_ROUTER);
	}
	hs = node(&t, "hs", TOPO_HOST);
	he = node(&t, "he", TOPO_HOST);
	for (i = 0; i <= n; i++) {
		snprintf(name, sizeof name, "l%d", i);
		snprintf(cidr, sizeof cidr, "10.%d.%d.0/30", i / 64, (i % 64) * 4);
		l[i] = link_(&t, name, cidr);
		member(&t, l[i], i == 0 ? hs : r[i - 1], NULL);
		member(&t, l[i], i == n ? he : r[i], NULL);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (finish(&t) < 0)
		bad = 1000000;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	*ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	for (i = 0; i < n && !bad; i++) {
		for (j = 0; j <= n; j++) {
			char want[64];

			if (j == i || j == i + 1)
				strcpy(want, "none");
			else if (j > i + 1)
				snprintf(want, sizeof want, "via %s dev l%d", A(&t, r[i + 1], l[i + 1]), i + 1);
			else
				snprintf(want, sizeof want, "via %s dev l%d", A(&t, r[i - 1], l[i]), i);
			if (strcmp(R(&t, r[i], l[j]), want) != 0) {
				if (bad++ < 5)
					printf("# r%d -> l%d: got %s, want %s\n", i, j, R(&t, r[i], l[j]), want);
			}
		}
	}
	for (j = 1; j <= n && !bad; j++)
		bad += strcmp(R(&t, hs, l[j]), "via 10.0.0.2 dev l0") != 0;
	bad += nroutes(&t, hs) != n || nroutes(&t, he) != n;
	bad += t.nroutes != (size_t)(n + 1) * (size_t)(n + 1) - 1 - (size_t)n;
	topo_free(&t);
	free(r);
	free(l);
	return bad;
}

static void test_chains(void)
{
	double ms;

	is_int(check_chain(10, &ms), 0, "chain of 10 routers: every route via the right neighbour");
	is_int(check_chain(1, &ms), 0, "chain of 1 router: both hosts route through it");
	is_int(check_chain(100, &ms), 0, "chain of 100 routers: all routes correct");
	printf("# chain of 100 routers: topo_finish took %.2f ms\n", ms);
	ok(ms < 1000, "chain of 100 routers finishes in under a second");
}

/* Router hub with five hosts on one segment; hub also leads up to u and far to s. */
static void test_star(void)
{
	struct topo t;
	int hub, h[5], u, s, seg, up, far, side, x, i, good = 0;
	char name[8];

	topo_init(&t);
	hub = node(&t, "hub", TOPO_ROUTER);
	for (i = 0; i < 5; i++) {
		snprintf(name, sizeof name, "h%d", i);
		h[i] = node(&t, name, TOPO_HOST);
	}
	u = node(&t, "u", TOPO_ROUTER);
	s = node(&t, "s", TOPO_HOST);
	x = node(&t, "x", TOPO_HOST);
	seg = link_(&t, "seg", "10.0.0.0/29");
	up = link_(&t, "up", "10.0.1.0/31");
	far = link_(&t, "far", "10.0.2.0/24");
	side = link_(&t, "side", "10.0.3.0/24");
	for (i = 0; i < 5; i++)
		member(&t, seg, h[i], NULL);
	member(&t, seg, hub, NULL);
	member(&t, up, hub, NULL);
	member(&t, up, u, NULL);
	member(&t, far, u, NULL);
	member(&t, far, s, NULL);
	member(&t, side, h[0], NULL);
	member(&t, side, x, NULL);
	ok(finish(&t) == 0, "star finishes");
	is_str(A(&t, hub, seg), "10.0.0.6", "six members fill a /29, hub last");
	for (i = 0; i < 5; i++)
		good += !strcmp(R(&t, h[i], far), "via 10.0.0.6 dev seg") &&
			!strcmp(R(&t, h[i], up), "via 10.0.0.6 dev seg");
	is_int(good, 5, "star: every host reaches up and far via the hub");
	is_str(R(&t, s, seg), "via 10.0.2.1 dev far", "star: s -> seg via u");
	is_str(R(&t, u, seg), "via 10.0.1.0 dev up", "star: u -> seg via hub's /31 address");
	is_str(R(&t, s, side), "none", "star: side link behind a host is unreachable");
	is_int(nroutes(&t, x), 0, "star: x behind host h0 has no routes");
	is_int(nroutes(&t, hub), 1, "star: hub has one route (far)");
	topo_free(&t);
}

/* Three routers on one segment, each with a stub link to a host. */
static void test_segment(void)
{
	struct topo t;
	int r[3], h[3], stub[3], seg, i;
	char name[8], cidr[20];

	topo_init(&t);
	seg = link_(&t, "seg", "10.10.0.0/24");
	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof name, "r%d", i);
		r[i] = node(&t, name, TOPO_ROUTER);
		snprintf(name, sizeof name, "h%d", i);
		h[i] = node(&t, name, TOPO_HOST);
		snprintf(name, sizeof name, "stub%d", i);
		snprintf(cidr, sizeof cidr, "10.20.%d.0/24", i);
		stub[i] = link_(&t, name, cidr);
	}
	for (i = 2; i >= 0; i--)   /* member order reversed: r2 .1, r1 .2, r0 .3 */
		member(&t, seg, r[i], NULL);
	for (i = 0; i < 3; i++) {
		member(&t, stub[i], h[i], NULL);
		member(&t, stub[i], r[i], NULL);
	}
	ok(finish(&t) == 0, "segment finishes");
	is_str(R(&t, r[0], stub[1]), "via 10.10.0.2 dev seg", "segment: r0 -> stub1 via r1");
	is_str(R(&t, r[0], stub[2]), "via 10.10.0.1 dev seg", "segment: r0 -> stub2 via r2");
	is_str(R(&t, h[0], stub[2]), "via 10.20.0.2 dev stub0", "segment: h0 -> stub2 via r0");
	is_str(R(&t, h[2], seg), "via 10.20.2.2 dev stub2", "segment: h2 -> seg via r2");
	is_int(t.nroutes, 3 * 2 + 3 * 3, "segment: 2 routes per router, 3 per host");
	is_str(order(&t, r[0]), "stub1,stub2", "segment: one layer's routes in link order");
	is_str(order(&t, h[2]), "seg,stub0,stub1", "segment: nearer subnets first");
	topo_free(&t);
}

/* NAT router with two inside links: inside-to-inside forwarding is allowed. */
static void test_nat_two_insides(void)
{
	struct topo t;
	int r, a, b, g, in1, in2, wan;

	topo_init(&t);
	r = node(&t, "r", TOPO_ROUTER);
	a = node(&t, "a", TOPO_HOST);
	b = node(&t, "b", TOPO_HOST);
	g = node(&t, "g", TOPO_ROUTER);
	wan = link_(&t, "wan", "203.0.113.0/24");
	in1 = link_(&t, "in1", "192.168.1.0/24");
	in2 = link_(&t, "in2", "192.168.2.0/24");
	member(&t, wan, g, NULL);
	member(&t, wan, r, NULL);
	member(&t, in1, a, NULL);
	member(&t, in1, r, NULL);
	member(&t, in2, r, NULL);
	member(&t, in2, b, NULL);
	nat(&t, r, wan);
	ok(finish(&t) == 0, "NAT with two insides finishes");
	is_str(R(&t, a, in2), "via 192.168.1.2 dev in1", "inside1 -> inside2 through the NAT router");
	is_str(R(&t, b, in1), "via 192.168.2.1 dev in2", "inside2 -> inside1 through the NAT router");
	is_str(R(&t, a, wan), "via 192.168.1.2 dev in1", "inside -> outside allowed");
	is_int(nroutes(&t, g), 0, "outside router sees neither inside");
	topo_free(&t);
}

/* r1 - a - H(host) - b - r2, with stubs c1 on r1 and c2 on r2. */
static void test_host_in_middle(void)
{
	struct topo t;
	int r1, r2, hm, s1, s2, a, b, c1, c2;

	topo_init(&t);
	r1 = node(&t, "r1", TOPO_ROUTER);
	hm = node(&t, "H", TOPO_HOST);
	r2 = node(&t, "r2", TOPO_ROUTER);
	s1 = node(&t, "s1", TOPO_HOST);
	s2 = node(&t, "s2", TOPO_HOST);
	a = link_(&t, "a", "10.0.1.0/24");
	b = link_(&t, "b", "10.0.2.0/24");
	c1 = link_(&t, "c1", "10.0.3.0/24");
	c2 = link_(&t, "c2", "10.0.4.0/24");
	member(&t, a, r1, NULL);
	member(&t, a, hm, NULL);
	member(&t, b, hm, NULL);
	member(&t, b, r2, NULL);
	member(&t, c1, r1, NULL);
	member(&t, c1, s1, NULL);
	member(&t, c2, r2, NULL);
	member(&t, c2, s2, NULL);
	ok(finish(&t) == 0, "host in the middle finishes");
	is_str(R(&t, r1, b), "none", "a host is never transited (r1 -> b)");
	is_str(R(&t, s1, c2), "none", "a host is never transited (s1 -> c2)");
	is_str(R(&t, hm, c1), "via 10.0.1.1 dev a", "middle host -> c1 via r1");
	is_str(R(&t, hm, c2), "via 10.0.2.2 dev b", "middle host -> c2 via r2");
	is_str(R(&t, s1, a), "via 10.0.3.1 dev c1", "s1 -> a via r1");
	is_int(t.nroutes, 4, "host in the middle: four routes in all");
	topo_free(&t);
}

/* Equal-length paths: lowest first link, then lowest first-hop node index. */
static void test_ties(void)
{
	struct topo t;
	int n, x, y, s, la, lb, lt;

	topo_init(&t);
	n = node(&t, "n", TOPO_HOST);
	x = node(&t, "x", TOPO_ROUTER);
	y = node(&t, "y", TOPO_ROUTER);
	s = node(&t, "s", TOPO_HOST);
	lb = link_(&t, "lb", "10.0.2.0/24");   /* index 0 */
	la = link_(&t, "la", "10.0.1.0/24");   /* index 1 */
	lt = link_(&t, "lt", "10.0.9.0/24");
	member(&t, la, n, NULL);
	member(&t, la, x, NULL);
	member(&t, lb, n, NULL);
	member(&t, lb, y, NULL);
	member(&t, lt, x, NULL);
	member(&t, lt, y, NULL);
	member(&t, lt, s, NULL);
	ok(finish(&t) == 0, "tie by link finishes");
	is_str(R(&t, n, lt), "via 10.0.2.2 dev lb", "tie: lowest link index wins");
	topo_free(&t);

	topo_init(&t);
	n = node(&t, "n", TOPO_HOST);
	x = node(&t, "x", TOPO_ROUTER);
	y = node(&t, "y", TOPO_ROUTER);
	la = link_(&t, "la", "10.0.1.0/24");
	lt = link_(&t, "lt", "10.0.9.0/24");
	member(&t, la, n, NULL);
	member(&t, la, y, NULL);   /* y first in member order, but x has the lower index */
	member(&t, la, x, NULL);
	member(&t, lt, y, NULL);
	member(&t, lt, x, NULL);
	ok(finish(&t) == 0, "tie by node finishes");
	is_str(R(&t, n, lt), "via 10.0.1.3 dev la", "tie: lowest node index wins over member order");
	topo_free(&t);

}

/* A shorter path on a higher link beats a longer one on a lower link. */
static void test_shortest(void)
{
	struct topo t;
	int n, x, y, z, la, lb, lt, lu;

	topo_init(&t);
	n = node(&t, "n", TOPO_HOST);
	x = node(&t, "x", TOPO_ROUTER);
	y = node(&t, "y", TOPO_ROUTER);
	z = node(&t, "z", TOPO_ROUTER);
	la = link_(&t, "la", "10.0.1.0/24");
	lu = link_(&t, "lu", "10.0.5.0/24");
	lb = link_(&t, "lb", "10.0.2.0/24");
	lt = link_(&t, "lt", "10.0.9.0/24");
	member(&t, la, n, NULL);
	member(&t, la, x, NULL);
	member(&t, lu, x, NULL);
	member(&t, lu, y, NULL);
	member(&t, lt, y, NULL);
	member(&t, lt, z, NULL);
	member(&t, lb, n, NULL);
	member(&t, lb, z, NULL);
	ok(finish(&t) == 0, "shortest path topology finishes");
	is_str(R(&t, n, lt), "via 10.0.2.2 dev lb", "fewest hops beats lowest link index");
	is_str(R(&t, n, lu), "via 10.0.1.2 dev la", "and lu goes the other way");
	topo_free(&t);
}

/*
** A NAT router first met over its outside (blocked) may still be reached
** from inside by a longer path and forward from there.
*/
static void test_nat_reentry(void)
{
	struct topo t;
	int n, p, r, o, w, l1, l2, l3;

	topo_init(&t);
	n = node(&t, "n", TOPO_HOST);
	p = node(&t, "p", TOPO_ROUTER);
	r = node(&t, "r", TOPO_ROUTER);
	o = node(&t, "o", TOPO_HOST);
	w = link_(&t, "w", "10.0.0.0/24");
	l1 = link_(&t, "l1", "10.0.1.0/24");
	l2 = link_(&t, "l2", "10.0.2.0/24");
	l3 = link_(&t, "l3", "10.0.3.0/24");
	member(&t, w, n, NULL);
	member(&t, w, r, NULL);
	member(&t, l1, n, NULL);
	member(&t, l1, p, NULL);
	member(&t, l2, p, NULL);
	member(&t, l2, r, NULL);
	member(&t, l3, r, NULL);
	member(&t, l3, o, NULL);
	nat(&t, r, w);
	ok(finish(&t) == 0, "NAT re-entry finishes");
	is_str(R(&t, n, l3), "via 10.0.1.2 dev l1", "NAT router reached from inside by a longer path");
	is_str(R(&t, o, w), "via 10.0.3.1 dev l3", "inside host reaches the outside link via r");
	is_str(R(&t, o, l1), "via 10.0.3.1 dev l3", "inside host reaches l1 via r then p");
	topo_free(&t);
}

/* Links made far-first: routes still come nearest-first (discovery order). */
static void test_route_order(void)
{
	struct topo t;
	int n, r1, r2, s, far, near, att;

	topo_init(&t);
	n = node(&t, "n", TOPO_HOST);
	r1 = node(&t, "r1", TOPO_ROUTER);
	r2 = node(&t, "r2", TOPO_ROUTER);
	s = node(&t, "s", TOPO_HOST);
	far = link_(&t, "far", "10.0.0.0/24");
	near = link_(&t, "near", "10.0.1.0/24");
	att = link_(&t, "att", "10.0.2.0/24");
	member(&t, att, n, NULL);
	member(&t, att, r1, NULL);
	member(&t, near, r1, NULL);
	member(&t, near, r2, NULL);
	member(&t, far, r2, NULL);
	member(&t, far, s, NULL);
	ok(finish(&t) == 0, "route order topology finishes");
	is_str(order(&t, n), "near,far", "routes ordered by hops, not link index");
	is_str(order(&t, s), "near,att", "the other way too");
	is_str(R(&t, n, far), "via 10.0.2.2 dev att", "two hops away: still via the first hop");
	topo_free(&t);
}

static void build_mesh(struct topo *t)
{
	static const char *names[] = { "a", "b", "c", "d", "e", "f" };
	static const int mem[][3] = {   /* link: members (-1 none) */
		{ 0, 1, -1 }, { 1, 2, 3 }, { 2, 4, -1 }, { 3, 4, -1 }, { 4, 5, -1 }, { 0, 3, -1 },
	};
	int i, j, n[6], l;
	char name[8], cidr[20];

	topo_init(t);
	for (i = 0; i < 6; i++)
		n[i] = node(t, names[i], i == 0 || i == 5 ? TOPO_HOST : TOPO_ROUTER);
	for (i = 0; i < 6; i++) {
		snprintf(name, sizeof name, "m%d", i);
		snprintf(cidr, sizeof cidr, "10.%d.0.0/16", 50 + i);
		l = link_(t, name, cidr);
		for (j = 0; j < 3 && mem[i][j] >= 0; j++)
			member(t, l, n[mem[i][j]], NULL);
	}
	nat(t, n[4], 4);
}

static int same_routes(const struct topo *x, const struct topo *y)
{
	size_t i;

	if (x->nroutes != y->nroutes)
		return 0;
	for (i = 0; i < x->nroutes; i++) {
		const struct topo_route *a = &x->routes[i], *b = &y->routes[i];

		if (a->node != b->node || a->dst != b->dst || a->plen != b->plen ||
		    a->via != b->via || a->link != b->link)
			return 0;
	}
	return 1;
}

static void test_determinism(void)
{
	struct topo x, y;
	size_t i;
	int sorted = 1;

	build_mesh(&x);
	build_mesh(&y);
	ok(finish(&x) == 0 && finish(&y) == 0, "mesh finishes twice");
	ok(x.nroutes > 10 && same_routes(&x, &y), "two builds give identical routes");
	for (i = 1; i < x.nroutes; i++)
		sorted &= x.routes[i - 1].node <= x.routes[i].node;
	ok(sorted, "routes grouped by node in node order");
	is_str(R(&x, 0, 2), "via 10.50.0.2 dev m0", "mesh: a -> m2, equal paths, lowest first link");
	is_str(R(&x, 0, 4), "via 10.55.0.2 dev m5", "mesh: a -> m4, the shorter path via d");
	is_str(R(&x, 5, 0), "none", "mesh: f behind e's NAT outside sees nothing");
	ok(finish(&y) == 0 && same_routes(&x, &y), "finishing again recomputes the same routes");
	topo_free(&x);
	topo_free(&y);
}


/* ---- link impairments and MTU ---- */

/* The impairment fields of link l as "delay jitter loss mtu", e.g. "50000 -1 0 0". */
static const char *IMP(const struct topo *t, int l)
{
	const struct topo_link *k = &t->links[l];
	char *b = buf();

	snprintf(b, 64, "%d %d %g %d", k->delay_us, k->jitter_us, k->loss_pct, k->mtu);
	return b;
}

/* A failing set_netem: -1, the message, err->link, and nothing changed. */
static void netem_fails(struct topo *t, int l, double d, double j, double loss, const char *msg)
{
	struct topo_error e = { "", -2, -2 };
	const char *before = IMP(t, l);
	char w[128];

	snprintf(w, sizeof w, "netem rejected: %s", msg);
	ok(topo_link_set_netem(t, l, d, j, loss, &e) < 0, w);
	is_str(e.msg, msg, "  its message");
	ok(e.link == l && e.node == -1, "  err->link is the link, err->node -1");
	is_str(IMP(t, l), before, "  the link is unchanged");
}

static void test_impairment_defaults(void)
{
	struct topo t;
	struct topo_error e;
	int l0, l1;

	topo_init(&t);
	l0 = link_(&t, "wan", "10.0.0.0/24");
	is_str(IMP(&t, l0), "-1 -1 -1 0", "a new link: no delay, jitter, loss; default mtu");
	ok(!topo_link_has_netem(&t.links[l0]), "a new link needs no netem");
	ok(topo_link_set_netem(&t, l0, NAN, NAN, NAN, &e) == 0, "nothing given is accepted");
	ok(!topo_link_has_netem(&t.links[l0]), "  and still needs no netem");
	ok(topo_link_set_netem(&t, l0, 50, NAN, 0, &e) == 0, "delay 50 ms, loss 0 %");
	is_str(IMP(&t, l0), "50000 -1 0 0", "  stored as 50000 us, no jitter, loss 0");
	ok(topo_link_has_netem(&t.links[l0]), "  needs netem");
	l1 = link_(&t, "lan", "10.0.1.0/24");
	ok(topo_link_set_netem(&t, l1, 0, NAN, NAN, &e) == 0, "delay 0 alone");
	ok(topo_link_has_netem(&t.links[l1]), "  is still a netem (the field was given)");
	ok(topo_link_set_netem(&t, l1, 0.25, 0.0015, 100, &e) == 0, "fractions of a ms, loss 100 %");
	is_str(IMP(&t, l1), "250 2 100 0", "  kept to the microsecond (rounded)");
	ok(topo_link_set_netem(&t, l1, NAN, NAN, 2.5, &e) == 0, "loss alone, fractional percent");
	is_str(IMP(&t, l1), "-1 -1 2.5 0", "  replaces the earlier fields");
	ok(topo_link_set_netem(&t, l1, TOPO_DELAY_MAX_MS, TOPO_DELAY_MAX_MS, 0, &e) == 0,
	   "delay and jitter at the maximum");
	is_str(IMP(&t, l1), "60000000 60000000 0 0", "  60 s in microseconds");
	topo_free(&t);
}

static void test_impairment_errors(void)
{
	struct topo t;
	struct topo_error e = { "", -2, -2 };
	int l0;

	topo_init(&t);
	l0 = link_(&t, "wan", "10.0.0.0/24");
	ok(topo_link_set_netem(&t, l0, 10, 1, 5, &e) == 0, "a valid netem first");
	netem_fails(&t, l0, -1, NAN, NAN, "link 'wan': delay must be 0..60000 ms, not -1");
	netem_fails(&t, l0, 60000.5, NAN, NAN, "link 'wan': delay must be 0..60000 ms, not 60000.5");
	netem_fails(&t, l0, INFINITY, NAN, NAN, "link 'wan': delay must be 0..60000 ms, not inf");
	netem_fails(&t, l0, 5, -0.5, NAN, "link 'wan': jitter must be 0..60000 ms, not -0.5");
	netem_fails(&t, l0, NAN, 5, NAN, "link 'wan': jitter needs a delay to vary");
	netem_fails(&t, l0, NAN, NAN, 100.01, "link 'wan': loss must be 0..100 (percent), not 100.01");
	netem_fails(&t, l0, NAN, NAN, -1, "link 'wan': loss must be 0..100 (percent), not -1");
	netem_fails(&t, l0, NAN, NAN, -INFINITY, "link 'wan': loss must be 0..100 (percent), not -inf");
	ok(topo_link_set_netem(&t, 7, 1, NAN, NAN, &e) < 0, "netem on a missing link index fails");
	is_str(e.msg, "no link with index 7", "  and says so");
	ok(topo_link_set_netem(&t, -1, 1, NAN, NAN, NULL) < 0, "netem without an err struct fails quietly");

	ok(topo_link_set_mtu(&t, l0, 68, &e) == 0 && t.links[l0].mtu == 68, "mtu 68 (the minimum)");
	ok(topo_link_set_mtu(&t, l0, 65535, &e) == 0 && t.links[l0].mtu == 65535, "mtu 65535 (the maximum)");
	ok(topo_link_set_mtu(&t, l0, 67, &e) < 0, "mtu 67 is refused");
	is_str(e.msg, "link 'wan': mtu must be 68..65535, not 67", "  with its message");
	ok(e.link == l0 && e.node == -1, "  naming the link");
	ok(topo_link_set_mtu(&t, l0, 65536, &e) < 0, "mtu 65536 is refused");
	ok(topo_link_set_mtu(&t, l0, -1500, &e) < 0, "a negative mtu is refused");
	is_int(t.links[l0].mtu, 65535, "  refusals leave the mtu as it was");
	ok(topo_link_set_mtu(&t, l0, 0, &e) == 0 && t.links[l0].mtu == 0, "mtu 0 goes back to the default");
	ok(topo_link_set_mtu(&t, 3, 1500, &e) < 0, "mtu on a missing link index fails");
	topo_free(&t);
}

/* The fields survive growing the link array, adding members and topo_finish. */
static void test_impairment_survives(void)
{
	struct topo t;
	struct topo_error e;
	char name[16], net[24];
	int a, b, r, l0, l1, i;

	topo_init(&t);
	a = node(&t, "a", TOPO_HOST);
	r = node(&t, "r", TOPO_ROUTER);
	b = node(&t, "b", TOPO_HOST);
	l0 = link_(&t, "slow", "10.0.0.0/24");
	ok(topo_link_set_netem(&t, l0, 50, 5, 1.5, &e) == 0 && topo_link_set_mtu(&t, l0, 1280, &e) == 0,
	   "slow: delay 50, jitter 5, loss 1.5, mtu 1280");
	member(&t, l0, a, NULL);
	member(&t, l0, r, NULL);
	for (i = 1; i <= 20; i++) {   /* forces several reallocations of the link array */
		snprintf(name, sizeof name, "x%d", i);
		snprintf(net, sizeof net, "10.1.%d.0/24", i);
		l1 = link_(&t, name, net);
		member(&t, l1, r, NULL);
		member(&t, l1, b, NULL);
	}
	ok(topo_link_set_mtu(&t, l1, 9000, &e) == 0, "the last link: mtu 9000");
	ok(finish(&t) == 0, "the topology finishes");
	is_str(IMP(&t, l0), "50000 5000 1.5 1280", "slow keeps its fields through growth and finish");
	is_str(IMP(&t, l1), "-1 -1 -1 9000", "the last link keeps mtu 9000 and no netem");
	is_str(IMP(&t, 5), "-1 -1 -1 0", "links in between keep the defaults");
	ok(topo_link_has_netem(&t.links[l0]) && !topo_link_has_netem(&t.links[l1]),
	   "only slow needs netem");
	is_str(A(&t, a, l0), "10.0.0.1", "impairments do not disturb addressing");
	is_str(R(&t, a, l1), "via 10.0.0.2 dev slow", "nor routing");
	topo_free(&t);
}

int main(void)
{
	test_parse();
	test_node_names();
	test_link_names();
	test_addressing();
	test_addressing_edges();
	test_validation_links();
	test_validation_addrs();
	test_direct();
	test_home_nat();
	test_double_nat();
	test_chains();
	test_star();
	test_segment();
	test_nat_two_insides();
	test_host_in_middle();
	test_ties();
	test_shortest();
	test_nat_reentry();
	test_route_order();
	test_determinism();
	test_impairment_defaults();
	test_impairment_errors();
	test_impairment_survives();
	return unit_done();
}
