/*
** lua_expect.c: the wire assertions. A Lua table becomes a pkt_filter
** (unknown fields and wrong types raise at the user's line); the assertion
** waits event-driven for its `within` window when given, evaluates on the
** timeline and becomes one TAP test point with a YAML diagnostic on failure.
*/
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "wire/dissect.h"
#include "wire/expect.h"
#include "bind/luax.h"

static const char *const proto_names[][2] = {
	{ "icmp", "1" }, { "tcp", "6" }, { "udp", "17" }, { "gre", "47" }, { "esp", "50" }, { "ah", "51" },
};

static int parse_proto(lua_State *L, const char *key)
{
	if (lua_type(L, -1) == LUA_TNUMBER)
		return (int)lua_tointeger(L, -1);
	const char *s = luaL_tolstring(L, -1, NULL);
	lua_pop(L, 1);
	for (size_t i = 0; i < sizeof(proto_names) / sizeof(proto_names[0]); i++)
		if (strcasecmp(s, proto_names[i][0]) == 0)
			return atoi(proto_names[i][1]);
	return lx_error(L, "%s: unknown protocol '%s' (icmp, tcp, udp, gre, esp, ah or a number)", key, s);
}

static void parse_net(lua_State *L, const char *key, uint32_t *addr, uint32_t *mask)
{
	const char *s = lua_tostring(L, -1);
	uint32_t a;
	int plen = 32;
	if (s == NULL)
		lx_error(L, "%s must be an address string", key);
	if (strchr(s, '/') != NULL) {
		if (topo_parse_cidr(s, &a, &plen) < 0)
			lx_error(L, "%s: '%s' is not an address or subnet", key, s);
	} else if (topo_parse_addr(s, &a) < 0) {
		lx_error(L, "%s: '%s' is not an address or subnet", key, s);
	}
	*addr = a;
	*mask = plen == 0 ? 0 : 0xffffffffu << (32 - plen);
}

static uint16_t parse_port(lua_State *L, const char *key)
{
	int ok;
	lua_Integer v = lua_tointegerx(L, -1, &ok);
	if (!ok || v < 0 || v > 65535)
		lx_error(L, "%s must be a port number (0-65535)", key);
	return (uint16_t)v;
}

static int parse_bool(lua_State *L, const char *key)
{
	if (!lua_isboolean(L, -1))
		lx_error(L, "%s must be true or false", key);
	return lua_toboolean(L, -1);
}

static int parse_l2tp(lua_State *L)
{
	if (lua_isboolean(L, -1) && lua_toboolean(L, -1))
		return PF_L2TP_ANY;
	const char *s = lua_tostring(L, -1);
	if (s != NULL && strcasecmp(s, "data") == 0)
		return PF_L2TP_DATA;
	int t = s ? dissect_l2tp_msg_by_name(s) : -1;
	if (t < 0)
		lx_error(L, "l2tp: '%s' is not an L2TP message type (SCCRQ, ICCN, ..., \"data\" or true)",
		         s ? s : "?");
	return t;
}

static void parse_text(lua_State *L, const char *key, char *out, size_t len)
{
	const char *s = lua_tostring(L, -1);
	if (s == NULL)
		lx_error(L, "%s must be a string", key);
	if (strcmp(key, "ike") == 0 && !dissect_ike_exchange_known(s))
		lx_error(L, "ike: unknown exchange '%s' (IKE_SA_INIT, IKE_AUTH, MAIN_MODE, QUICK_MODE, ...)", s);
	snprintf(out, len, "%s", s);
}

static int parse_class(lua_State *L)
{
	const char *s = lua_tostring(L, -1);
	for (int c = 0; s != NULL && c < PKT_CLASS_COUNT; c++)
		if (strcmp(s, dissect_class_name((enum pkt_class)c)) == 0)
			return c;
	return lx_error(L, "class: unknown packet class '%s'", s ? s : "?");
}

/*
** vpnlab check runs assertions over a capture file instead of a lab: its
** links (one per interface of the file) are in the registry under this key,
** as { pcap = "path", "name1", "name2", ... } (cli/check.c puts them there),
** and its packets are the run's timeline, complete before the file runs.
*/
static const char CAPTURE_KEY[] = "vpnlab.capture";

/* The capture's link names (a NULL-ended userdata array left on the stack), or NULL without a capture. */
static const char **capture_links(lua_State *L, size_t *n, const char **pcap)
{
	if (lua_getfield(L, LUA_REGISTRYINDEX, CAPTURE_KEY) != LUA_TTABLE) {
		lua_pop(L, 1);
		return NULL;
	}
	*n = (size_t)lua_rawlen(L, -1);
	const char **names = lua_newuserdatauv(L, (*n + 1) * sizeof(*names), 0);
	for (size_t i = 0; i < *n; i++) {
		lua_rawgeti(L, -2, (lua_Integer)i + 1);
		names[i] = lua_tostring(L, -1);   /* kept alive by the registry's table */
		lua_pop(L, 1);
	}
	names[*n] = NULL;
	lua_getfield(L, -2, "pcap");
	*pcap = lua_tostring(L, -1);
	lua_pop(L, 1);
	lua_remove(L, -2);                  /* the table; the array stays */
	return names;
}

/* Is there a lab or a capture to assert over? */
static int has_packets(lua_State *L, const struct run *r)
{
	int capture = r->lab == NULL && lua_getfield(L, LUA_REGISTRYINDEX, CAPTURE_KEY) == LUA_TTABLE;
	if (r->lab == NULL)
		lua_pop(L, 1);
	return r->lab != NULL || capture;
}

/* A link name's index in the lab or the capture, -1 if it has none. */
static int link_index(lua_State *L, struct run *r, const char *s)
{
	size_t n = 0;
	const char *pcap;
	const char **names;
	int li = -1;

	if (r->lab != NULL)
		return topo_link_index(&r->lab->topo, s);
	if ((names = capture_links(L, &n, &pcap)) == NULL)
		return -1;
	for (size_t i = 0; i < n && li < 0; i++)
		if (names[i] != NULL && strcmp(names[i], s) == 0)
			li = (int)i;
	lua_pop(L, 1);
	return li;
}

static int parse_link(lua_State *L, struct run *r)
{
	const char *s = lua_tostring(L, -1);
	int li = s ? link_index(L, r, s) : -1;
	if (li < 0)
		lx_error(L, "link: unknown link '%s'", s ? s : "?");
	return li;
}

/*
** A name of a table of names, or a number from 0 to max (the field's width:
** 255 for an ICMP type, 65535 for a notify type). Anything else raises.
*/
static int parse_named(lua_State *L, const char *key, int (*by_name)(const char *), int max,
                       const char *known)
{
	int ok;
	lua_Integer v = lua_tointegerx(L, -1, &ok);
	if (ok && (v < 0 || v > max)) {
		char num[32];   /* lx_error's format is Lua's, which has no %lld */
		snprintf(num, sizeof(num), "%lld", (long long)v);
		lx_error(L, "%s: %s is out of range (0-%d)", key, num, max);
	}
	if (ok)
		return (int)v;
	const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
	int n = s ? by_name(s) : -1;
	if (n < 0)
		lx_error(L, "%s: unknown value '%s' (%s, or a number)", key, s ? s : luaL_typename(L, -1), known);
	return n;
}

/*
** An SPI of at most `digits` hex digits: a number, or a string of hex digits
** with or without 0x. A string is always hex: charon (VICI, sas()) prints
** SPIs as bare hex ("c1a2b3c4"), and reading that as decimal would match
** nothing without a word.
*/
static uint64_t parse_spi(lua_State *L, const char *key, int digits)
{
	int ok;
	lua_Integer v = lua_tointegerx(L, -1, &ok);
	if (lua_type(L, -1) == LUA_TNUMBER) {
		if (!ok || v < 0 || (digits < 16 && (uint64_t)v >> (4 * digits) != 0))
			lx_error(L, "%s: a number from 0 to 0x%s", key, digits < 16 ? "ffffffff" : "7fffffffffffffff");
		return (uint64_t)v;
	}
	const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
	if (s == NULL)
		lx_error(L, "%s must be a number or a hex string, not a %s", key, luaL_typename(L, -1));
	const char *p = (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) ? s + 2 : s;
	size_t n = strlen(p);
	uint64_t spi = 0;
	if (n == 0 || n > (size_t)digits || strspn(p, "0123456789abcdefABCDEF") != n)
		lx_error(L, "%s: '%s' is not an SPI (at most %d hex digits, with or without 0x)", key, s, digits);
	for (size_t i = 0; i < n; i++) {
		int c = p[i];
		spi = spi << 4 | (uint64_t)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
	}
	return spi;
}

/*
** inner = { ...filter... } | true | "decrypted" | "undecryptable" | "no-key".
** The table itself was parsed before the keys were walked (parse_filter).
*/
static void parse_inner(lua_State *L, struct pkt_filter *f)
{
	f->set |= PF_INNER;
	if (lua_istable(L, -1) || (lua_isboolean(L, -1) && lua_toboolean(L, -1))) {
		f->inner = PF_INNER_DECRYPTED;
		return;
	}
	const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
	if (s && !strcmp(s, "decrypted"))
		f->inner = PF_INNER_DECRYPTED;
	else if (s && !strcmp(s, "undecryptable"))
		f->inner = PF_INNER_UNDECRYPTABLE;
	else if (s && !strcmp(s, "no-key"))
		f->inner = PF_INNER_NO_KEY;
	else
		lx_error(L, "inner must be a packet filter table, true, \"decrypted\", \"undecryptable\" or \"no-key\"");
}

/* One key of a filter table; the value is on top of the stack. Returns 0, or 1 for an option key. */
static int parse_field(lua_State *L, struct run *r, const char *k, struct pkt_filter *f)
{
	if (!strcmp(k, "within") || !strcmp(k, "desc") || !strcmp(k, "min") || !strcmp(k, "max") ||
	    !strcmp(k, "exactly"))
		return 1;
	if (!strcmp(k, "proto")) { f->set |= PF_PROTO; f->proto = parse_proto(L, k); }
	else if (!strcmp(k, "src")) { f->set |= PF_SRC; parse_net(L, k, &f->src, &f->src_mask); }
	else if (!strcmp(k, "dst")) { f->set |= PF_DST; parse_net(L, k, &f->dst, &f->dst_mask); }
	else if (!strcmp(k, "sport")) { f->set |= PF_SPORT; f->sport = parse_port(L, k); }
	else if (!strcmp(k, "dport")) { f->set |= PF_DPORT; f->dport = parse_port(L, k); }
	else if (!strcmp(k, "port")) { f->set |= PF_PORT; f->port = parse_port(L, k); }
	else if (!strcmp(k, "udp")) { f->set |= PF_UDP; f->udp = parse_port(L, k); }
	else if (!strcmp(k, "tcp")) { f->set |= PF_TCP; f->tcp = parse_port(L, k); }
	else if (!strcmp(k, "ike")) { f->set |= PF_IKE; parse_text(L, k, f->ike, sizeof(f->ike)); }
	else if (!strcmp(k, "ike_version")) { f->set |= PF_IKE_VERSION; f->ike_version = (int)luaL_checkinteger(L, -1); }
	else if (!strcmp(k, "initiator")) { f->set |= PF_INITIATOR; f->initiator = parse_bool(L, k); }
	else if (!strcmp(k, "response")) { f->set |= PF_RESPONSE; f->response = parse_bool(L, k); }
	else if (!strcmp(k, "nonesp")) { f->set |= PF_NONESP; f->nonesp = parse_bool(L, k); }
	else if (!strcmp(k, "keepalive")) { f->set |= PF_KEEPALIVE; f->keepalive = parse_bool(L, k); }
	else if (!strcmp(k, "ah")) { f->set |= PF_AH; f->ah = parse_bool(L, k); }
	else if (!strcmp(k, "fragment")) { f->set |= PF_FRAGMENT; f->fragment = parse_bool(L, k); }
	else if (!strcmp(k, "l2tp")) { f->set |= PF_L2TP; f->l2tp = parse_l2tp(L); }
	else if (!strcmp(k, "class")) { f->set |= PF_CLASS; f->cls = parse_class(L); }
	else if (!strcmp(k, "link")) { f->set |= PF_LINK; f->link = parse_link(L, r); }
	else if (!strcmp(k, "icmp")) {
		f->set |= PF_ICMP;
		f->icmp = parse_named(L, k, dissect_icmp_type_by_name, 255,
		                      "echo-request, echo-reply, dest-unreach, time-exceeded, ...");
	} else if (!strcmp(k, "notify")) {
		f->set |= PF_NOTIFY;
		f->notify = parse_named(L, k, dissect_ike_notify_by_name, 65535,
		                        "NO_PROPOSAL_CHOSEN, INVALID_KE_PAYLOAD, AUTHENTICATION_FAILED, COOKIE, ...");
	} else if (!strcmp(k, "ppp")) {
		f->set |= PF_PPP;
		f->ppp = parse_named(L, k, dissect_ppp_proto_by_name, 65535, "LCP, PAP, CHAP, IPCP, CCP, IPv4, ...");
	} else if (!strcmp(k, "ppp_code")) {
		f->set |= PF_PPP_CODE;
		f->ppp_code = parse_named(L, k, dissect_ppp_code_by_name, 255,
		                          "Configure-Request, Configure-Ack, Echo-Request, Challenge, ...");
	} else if (!strcmp(k, "inner")) {
		parse_inner(L, f);
	}
	else if (!strcmp(k, "spi")) {
		f->set |= PF_SPI;
		f->spi = (uint32_t)parse_spi(L, k, 8);
	} else if (!strcmp(k, "ike_spi")) {
		f->set |= PF_IKE_SPI;
		f->ike_spi = parse_spi(L, k, 16);
	} else if (!strcmp(k, "esp")) {
		const char *s = lua_tostring(L, -1);
		f->set |= PF_ESP;
		if (s && !strcmp(s, "raw")) f->esp = PF_ESP_RAW;
		else if (s && !strcmp(s, "udp")) f->esp = PF_ESP_UDP;
		else lx_error(L, "esp must be \"raw\" (IP protocol 50) or \"udp\" (ESP in UDP)");
	} else {
		lx_error(L, "unknown packet field '%s' (proto, src, dst, sport, dport, port, udp, tcp, ike, "
		         "ike_version, initiator, response, nonesp, notify, ike_spi, esp, spi, keepalive, ah, "
		         "l2tp, fragment, class, link, icmp, ppp, ppp_code, inner)", k);
	}
	return 0;
}

static void parse_keys(lua_State *L, int idx, struct pkt_filter *f, int nested)
{
	struct run *r = lx_run(L);
	lua_pushnil(L);
	while (lua_next(L, idx) != 0) {
		if (lua_type(L, -2) != LUA_TSTRING)
			lx_error(L, "packet filter keys must be names (got a %s)", luaL_typename(L, -2));
		const char *k = lua_tostring(L, -2);
		if (nested && (!strcmp(k, "inner") || !strcmp(k, "link") || !strcmp(k, "within") ||
		               !strcmp(k, "desc") || !strcmp(k, "min") || !strcmp(k, "max") || !strcmp(k, "exactly")))
			lx_error(L, "inner: '%s' belongs to the outer filter, not to the decrypted packet's", k);
		parse_field(L, r, k, f);
		lua_pop(L, 1);
	}
}

/*
** The table at idx into f. An `inner` table is parsed first, into a
** userdata left on the stack (it lives as long as this call's frame, as
** f does): nothing may be pushed while lua_next walks the keys.
*/
static void parse_filter(lua_State *L, int idx, struct pkt_filter *f)
{
	idx = lua_absindex(L, idx);
	memset(f, 0, sizeof(*f));
	luaL_checktype(L, idx, LUA_TTABLE);
	if (lua_getfield(L, idx, "inner") == LUA_TTABLE) {
		struct pkt_filter *in = lua_newuserdatauv(L, sizeof(*in), 0);
		memset(in, 0, sizeof(*in));
		lua_insert(L, -2);              /* the userdata under the inner table */
		parse_keys(L, lua_absindex(L, -1), in, 1);
		f->inner_filter = in;
	}
	lua_pop(L, 1);                      /* the inner table (or nil); the userdata stays */
	parse_keys(L, idx, f, 0);
}

struct expectation {
	const char *kind;
	struct pkt_filter a, b;
	long min, max;
};

static int evaluate(const struct expect_ctx *c, const struct expectation *e, struct expect_result *res)
{
	if (!strcmp(e->kind, "seen"))
		return expect_seen(c, &e->a, res);
	if (!strcmp(e->kind, "never"))
		return expect_never(c, &e->a, res);
	if (!strcmp(e->kind, "count"))
		return expect_count(c, &e->a, e->min, e->max, res);
	return expect_transition(c, &e->a, &e->b, res);
}

/* Is the condition settled early, so a `within` wait can stop? */
static int settled(const struct expect_ctx *c, const struct expectation *e)
{
	if (!strcmp(e->kind, "seen"))
		return expect_count_matches(c, &e->a) > 0;
	if (!strcmp(e->kind, "never"))
		return expect_count_matches(c, &e->a) > 0;   /* already failed */
	if (!strcmp(e->kind, "count")) {
		size_t n = expect_count_matches(c, &e->a);
		return (e->max >= 0 && (long)n > e->max) || (e->max < 0 && (long)n >= e->min);
	}
	return expect_count_matches(c, &e->b) > 0;
}

static void describe(char *buf, size_t len, const struct expectation *e, const char *link,
                     const char *const *names)
{
	char fa[256], fb[256];
	pktfilter_describe(&e->a, fa, sizeof(fa), names);
	if (!strcmp(e->kind, "transition")) {
		pktfilter_describe(&e->b, fb, sizeof(fb), names);
		snprintf(buf, len, "%s: transition from {%s} to {%s}", link, fa, fb);
	} else if (!strcmp(e->kind, "count")) {
		if (e->max < 0)
			snprintf(buf, len, "%s: count {%s} >= %ld", link, fa, e->min);
		else if (e->min == e->max)
			snprintf(buf, len, "%s: count {%s} == %ld", link, fa, e->min);
		else
			snprintf(buf, len, "%s: count {%s} in %ld..%ld", link, fa, e->min, e->max);
	} else {
		snprintf(buf, len, "%s: %s {%s}", link, e->kind, fa);
	}
}

static double option_number(lua_State *L, int idx, const char *key, double dflt)
{
	double v = dflt;
	if (lua_type(L, idx) == LUA_TTABLE && lua_getfield(L, idx, key) != LUA_TNIL) {
		int ok;
		v = lua_tonumberx(L, -1, &ok);
		if (!ok)
			lx_error(L, "%s must be a number", key);
	}
	if (lua_type(L, idx) == LUA_TTABLE)
		lua_pop(L, 1);
	return v;
}

/* The runtime events so far, for a failing point: what changed the network, and when. */
static void add_events(luaL_Buffer *b, const struct run *r)
{
	char list[2048] = "", yaml[2200] = "";
	size_t used = 0;

	if (r->nevents == 0)
		return;
	for (int i = 0; i < r->nevents && used + 1 < sizeof(list); i++) {
		int n = snprintf(list + used, sizeof(list) - used, "%s%s at %.2f s", i ? "; " : "",
		                 r->events[i].text, r->events[i].t);
		if (n < 0)
			break;
		used += (size_t)n;
	}
	tap_yaml_kv(yaml, sizeof(yaml), "events", list);
	luaL_addstring(b, yaml);
}

/*
** core.expect(kind, link|nil, filter [, to_filter], opts) -> pass
** kind: "seen", "never", "count", "transition". opts: within, desc, min, max, exactly.
*/
static int core_expect(lua_State *L)
{
	struct run *r = lx_run(L);
	struct expectation e = { .kind = luaL_checkstring(L, 1), .min = 1, .max = -1 };
	int is_transition = !strcmp(e.kind, "transition"), opts = is_transition ? 5 : 4;
	const char *link = luaL_optstring(L, 2, NULL);

	if (!has_packets(L, r))
		return lx_error(L, "no lab: call vpnlab.start first");
	parse_filter(L, 3, &e.a);
	if (is_transition)
		parse_filter(L, 4, &e.b);
	if (link != NULL) {
		int li = link_index(L, r, link);
		if (li < 0)
			return lx_error(L, "unknown link '%s'", link);
		e.a.set |= PF_LINK;
		e.a.link = li;
		e.b.set |= PF_LINK;
		e.b.link = li;
	}
	/* count: {exactly=n}, {min=a}, {max=b}, {min=a, max=b}; with none, at least one. */
	double exactly = option_number(L, opts, "exactly", -1);
	e.max = (long)option_number(L, opts, "max", exactly >= 0 ? exactly : -1);
	e.min = (long)option_number(L, opts, "min", exactly >= 0 ? exactly : (e.max >= 0 ? 0 : 1));
	double within = option_number(L, opts, "within", 0);
	const char *desc = NULL;
	if (lua_type(L, opts) == LUA_TTABLE && lua_getfield(L, opts, "desc") == LUA_TSTRING)
		desc = lua_tostring(L, -1);
	lx_where(L);
	const char *where = lua_tostring(L, -1);

	/* Userdata, not malloc: a stop raises out of the wait below. */
	const char **names;
	struct expect_ctx c = { .tl = &r->tl, .from = 0 };
	if (r->lab != NULL) {
		names = lua_newuserdatauv(L, (r->lab->topo.nlinks + 1) * sizeof(*names), 0);
		for (size_t i = 0; i < r->lab->topo.nlinks; i++)
			names[i] = r->lab->topo.links[i].name;
		names[r->lab->topo.nlinks] = NULL;
		c.nlinks = r->lab->topo.nlinks;
		c.pcap_hint = link ? r->lab->pcap_paths[e.a.link] : r->dir;
	} else {
		names = capture_links(L, &c.nlinks, &c.pcap_hint);
	}
	c.link_names = names;
	double deadline = loop_now() + within * r->time_scale;
	char text[600];
	if (desc != NULL)
		snprintf(text, sizeof(text), "%s", desc);
	else
		describe(text, sizeof(text), &e, link ? link : "all links", names);
	for (;;) {
		if (r->lab == NULL) {
			/* A capture is whole already: `within` is its first seconds. */
			c.to = within > 0 ? within : r->tl.n > 0 ? r->tl.p[r->tl.n - 1].t : 0;
			break;
		}
		lab_drain(r->lab);
		c.to = loop_now() - r->mono0 + 1.0;   /* capture stamps may run slightly ahead */
		if (within <= 0 || settled(&c, &e) || loop_now() >= deadline)
			break;
		lx_wait(L, deadline, text);   /* a stop raises: never scored as an assertion */
	}
	lx_check(L, text);
	struct expect_result res = { 0, NULL };
	if (evaluate(&c, &e, &res) < 0)
		return luaL_error(L, "out of memory");
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	if (!res.pass) {
		char at[600] = "", loc[512];
		snprintf(loc, sizeof(loc), "%.*s", (int)(strlen(where) > 2 ? strlen(where) - 2 : 0), where);
		tap_yaml_kv(at, sizeof(at), "at", loc);
		luaL_addstring(&b, at);
		if (res.diag != NULL)
			luaL_addstring(&b, res.diag);
		add_events(&b, r);
	}
	luaL_pushresult(&b);
	tap_point(r->tap, res.pass, res.pass ? NULL : lua_tostring(L, -1), "%s", text);
	expect_result_free(&res);
	lua_pushboolean(L, res.pass);
	return 1;
}

/* core.drain(): read every capture now */
static int core_drain(lua_State *L)
{
	struct run *r = lx_run(L);
	if (r->lab != NULL)
		lab_drain(r->lab);
	return 0;
}

/* core.packets(filter) -> count of matching packets so far (for scenario logic) */
static int core_packets(lua_State *L)
{
	struct run *r = lx_run(L);
	struct pkt_filter f;
	if (!has_packets(L, r))
		return lx_error(L, "no lab: call vpnlab.start first");
	parse_filter(L, 1, &f);
	if (r->lab != NULL)
		lab_drain(r->lab);
	struct expect_ctx c = { .tl = &r->tl, .from = 0, .to = 1e12 };
	lua_pushinteger(L, (lua_Integer)expect_count_matches(&c, &f));
	return 1;
}

void lx_open_expect(lua_State *L)
{
	static const luaL_Reg fns[] = {
		{ "expect", core_expect },
		{ "drain", core_drain },
		{ "packets", core_packets },
		{ NULL, NULL },
	};
	luaL_setfuncs(L, fns, 0);
}
