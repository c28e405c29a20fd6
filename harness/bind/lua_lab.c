/*
** lua_lab.c: build the lab from the normalized spec the Lua half hands
** over, and the per-node operations scenarios need (addresses, nft,
** sysctls). Model errors come back as nil, message, {link=, node=} so the
** Lua half can point at the topology file's line; kernel errors likewise.
*/
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bind/luax.h"
#include "lab/netfilter.h"
#include "lab/netlink.h"
#include "lab/netns.h"

static int push_fail(lua_State *L, const char *msg, const struct topo *t, const struct topo_error *e)
{
	luaL_pushfail(L);
	lua_pushstring(L, msg);
	lua_createtable(L, 0, 2);
	if (e != NULL && e->link >= 0 && (size_t)e->link < t->nlinks) {
		lua_pushstring(L, t->links[e->link].name);
		lua_setfield(L, -2, "link");
	}
	if (e != NULL && e->node >= 0 && (size_t)e->node < t->nnodes) {
		lua_pushstring(L, t->nodes[e->node].name);
		lua_setfield(L, -2, "node");
	}
	return 3;
}

static const char *field_string(lua_State *L, int idx, const char *key)
{
	const char *s;
	lua_getfield(L, idx, key);
	s = lua_tostring(L, -1);
	lua_pop(L, 1);   /* the string stays alive in the spec table */
	return s;
}

static int add_nodes(lua_State *L, struct topo *t, struct topo_error *e)
{
	lua_getfield(L, 1, "nodes");
	luaL_checktype(L, -1, LUA_TTABLE);
	for (lua_Integer i = 1; lua_geti(L, -1, i) == LUA_TTABLE; i++) {
		const char *name = field_string(L, -1, "name");
		const char *kind = field_string(L, -1, "kind");
		if (name == NULL || kind == NULL)
			return lx_error(L, "internal: node spec without name/kind");
		if (topo_add_node(t, name, strcmp(kind, "router") == 0 ? TOPO_ROUTER : TOPO_HOST, e) < 0)
			return -1;
		lua_pop(L, 1);
	}
	lua_pop(L, 2);
	return 0;
}

/* The member spec's `extra` list (its secondary addresses on the link), if any. */
static int add_extra_addrs(lua_State *L, struct topo *t, int link, int member, struct topo_error *e)
{
	int rc = 0;

	lua_getfield(L, -1, "extra");
	if (!lua_istable(L, -1)) {
		lua_pop(L, 1);
		return 0;
	}
	for (lua_Integer k = 1; rc == 0 && lua_geti(L, -1, k) != LUA_TNIL; k++) {
		const char *s = lua_tostring(L, -1);
		uint32_t a = 0;
		if (s == NULL || topo_parse_addr(s, &a) < 0) {
			snprintf(e->msg, sizeof(e->msg), "link '%s': '%s' is not an IPv4 address",
			         t->links[link].name, s ? s : "?");
			e->link = link;
			e->node = t->links[link].members[member].node;
			rc = -1;
		} else {
			rc = topo_member_add_addr(t, link, member, a, e);
		}
		lua_pop(L, 1);
	}
	if (rc == 0)
		lua_pop(L, 1);   /* the nil that ended the list */
	lua_pop(L, 1);
	return rc;
}

static int add_members(lua_State *L, struct topo *t, int link, struct topo_error *e)
{
	lua_getfield(L, -1, "members");
	for (lua_Integer m = 1; lua_geti(L, -1, m) == LUA_TTABLE; m++) {
		const char *node = field_string(L, -1, "node");
		const char *addr = field_string(L, -1, "addr");
		uint32_t a = 0;
		int ni = node ? topo_node_index(t, node) : -1;
		if (ni < 0) {
			snprintf(e->msg, sizeof(e->msg), "link '%s' names unknown node '%s'",
			         t->links[link].name, node ? node : "?");
			e->link = link;
			e->node = -1;
			return -1;
		}
		if (addr != NULL && topo_parse_addr(addr, &a) < 0) {
			snprintf(e->msg, sizeof(e->msg), "link '%s': '%s' is not an IPv4 address",
			         t->links[link].name, addr);
			e->link = link;
			e->node = ni;
			return -1;
		}
		int mi = topo_link_add_member(t, link, ni, a, e);
		if (mi < 0 || add_extra_addrs(L, t, link, mi, e) < 0)
			return -1;
		lua_pop(L, 1);
	}
	lua_pop(L, 2);
	return 0;
}

/*
** Number field key of the table at idx into *v, NAN when absent (the topo
** setters' "not given"); -1 if it is not a number or is itself a NaN.
*/
static int field_number(lua_State *L, int idx, const char *key, double *v)
{
	int isnum = 1;

	lua_getfield(L, idx, key);
	*v = lua_isnil(L, -1) ? NAN : (double)lua_tonumberx(L, -1, &isnum);
	if (!lua_isnil(L, -1) && isnum && isnan(*v))
		isnum = 0;
	lua_pop(L, 1);
	return isnum ? 0 : -1;
}

static int link_fail(struct topo *t, int link, struct topo_error *e, const char *what)
{
	snprintf(e->msg, sizeof(e->msg), "link '%s': %s", t->links[link].name, what);
	e->link = link;
	e->node = -1;
	return -1;
}

/* delay/jitter/loss (ms, ms, %) and mtu of the link table on top of the stack. */
static int link_extras(lua_State *L, struct topo *t, int link, struct topo_error *e)
{
	double delay, jitter, loss, mtu;

	if (field_number(L, -1, "delay", &delay) < 0 || field_number(L, -1, "jitter", &jitter) < 0 ||
	    field_number(L, -1, "loss", &loss) < 0 || field_number(L, -1, "mtu", &mtu) < 0)
		return link_fail(t, link, e, "delay, jitter, loss and mtu must be numbers (not NaN)");
	if (!isnan(delay) || !isnan(jitter) || !isnan(loss))
		if (topo_link_set_netem(t, link, delay, jitter, loss, e) < 0)
			return -1;
	if (isnan(mtu))
		return 0;
	if (!(mtu >= TOPO_MTU_MIN && mtu <= TOPO_MTU_MAX) || mtu != (double)(int)mtu) {
		char what[80];

		snprintf(what, sizeof(what), "mtu must be a whole number from %d to %d, not %g",
		         TOPO_MTU_MIN, TOPO_MTU_MAX, mtu);
		return link_fail(t, link, e, what);
	}
	return topo_link_set_mtu(t, link, (int)mtu, e);
}

static int add_links(lua_State *L, struct topo *t, struct topo_error *e)
{
	lua_getfield(L, 1, "links");
	luaL_checktype(L, -1, LUA_TTABLE);
	for (lua_Integer i = 1; lua_geti(L, -1, i) == LUA_TTABLE; i++) {
		int li = topo_add_link(t, field_string(L, -1, "name"), field_string(L, -1, "net"), e);
		if (li < 0 || link_extras(L, t, li, e) < 0 || add_members(L, t, li, e) < 0)
			return -1;
		lua_pop(L, 1);
	}
	lua_pop(L, 2);
	return 0;
}

static int set_nats(lua_State *L, struct topo *t, struct topo_error *e)
{
	lua_getfield(L, 1, "nodes");
	for (lua_Integer i = 1; lua_geti(L, -1, i) == LUA_TTABLE; i++) {
		const char *outside = field_string(L, -1, "nat_outside");
		if (outside != NULL) {
			int li = topo_link_index(t, outside);
			if (li < 0) {
				snprintf(e->msg, sizeof(e->msg), "node '%s': NAT outside '%s' is not a link",
				         t->nodes[i - 1].name, outside);
				e->node = (int)i - 1;
				e->link = -1;
				return -1;
			}
			if (topo_set_nat_outside(t, (int)i - 1, li, e) < 0)
				return -1;
		}
		lua_pop(L, 1);
	}
	lua_pop(L, 2);
	return 0;
}

/* Each node spec's `default`: a link name, false (none), or nil (automatic). */
static int set_defaults(lua_State *L, struct topo *t, struct topo_error *e)
{
	int rc = 0;

	lua_getfield(L, 1, "nodes");
	for (lua_Integer i = 1; lua_geti(L, -1, i) == LUA_TTABLE; i++) {
		int type = lua_getfield(L, -1, "default");
		int li = type == LUA_TNIL ? TOPO_DEFAULT_AUTO : TOPO_DEFAULT_NONE;
		if (type == LUA_TSTRING) {
			li = topo_link_index(t, lua_tostring(L, -1));
			if (li < 0) {
				snprintf(e->msg, sizeof(e->msg), "node '%s': default '%s' is not a link",
				         t->nodes[i - 1].name, lua_tostring(L, -1));
				e->node = (int)i - 1;
				e->link = -1;
				rc = -1;
			}
		}
		if (rc == 0)
			rc = topo_set_default(t, (int)i - 1, li, e);
		lua_pop(L, 2);
		if (rc < 0) {
			lua_pushnil(L);   /* stands for the end of the list, popped below */
			break;
		}
	}
	lua_pop(L, 2);
	return rc;
}

static void on_capture(void *arg, int fd, short revents)
{
	(void)fd;
	(void)revents;
	capture_drain(arg);
}

/* core.lab_start(spec) -> true | nil, msg, {link=, node=} */
static int lab_start(lua_State *L)
{
	struct run *r = lx_run(L);
	struct topo_error e = { "", -1, -1 };
	char err[512];

	double started = loop_now();
	luaL_checktype(L, 1, LUA_TTABLE);
	if (r->lab != NULL)
		return lx_error(L, "vpnlab.start: this scenario already started a lab");
	struct lab *lab = calloc(1, sizeof(*lab));
	if (lab == NULL)
		return luaL_error(L, "out of memory");
	topo_init(&lab->topo);
	if (add_nodes(L, &lab->topo, &e) < 0 || add_links(L, &lab->topo, &e) < 0 ||
	    set_nats(L, &lab->topo, &e) < 0 || set_defaults(L, &lab->topo, &e) < 0 ||
	    topo_finish(&lab->topo, &e) < 0) {
		int n = push_fail(L, e.msg, &lab->topo, &e);
		topo_free(&lab->topo);
		free(lab);
		return n;
	}
	if (lab_build(lab, r->dir, &r->t0, &r->tl, &r->keys, err, sizeof(err)) < 0) {
		struct topo_error at = { "", lab->fail_link, -1 };   /* lets Lua point at the link */
		int n = push_fail(L, err, &lab->topo, &at);
		topo_free(&lab->topo);
		free(lab);
		return n;
	}
	r->lab = lab;
	r->lab_up_seconds = loop_now() - started;
	for (size_t i = 0; i < lab->ncaps; i++)   /* both ends of a veth link: either drains the pair */
		loop_add(r->loop, lab->caps[i].fd, POLLIN, on_capture, &lab->caps[i]);
	lua_pushboolean(L, 1);
	return 1;
}

static struct lab *check_lab(lua_State *L)
{
	struct lab *lab = lx_run(L)->lab;
	if (lab == NULL)
		lx_error(L, "no lab: call vpnlab.start first");
	return lab;
}

static int check_node(lua_State *L, struct lab *lab, int arg)
{
	const char *name = luaL_checkstring(L, arg);
	int n = topo_node_index(&lab->topo, name);
	if (n < 0)
		lx_error(L, "unknown node '%s'", name);
	return n;
}

/* core.lab_addr(node, link) -> "a.b.c.d" | nil */
static int lab_addr(lua_State *L)
{
	struct lab *lab = check_lab(L);
	int n = check_node(L, lab, 1);
	int li = topo_link_index(&lab->topo, luaL_checkstring(L, 2));
	uint32_t a = li < 0 ? 0 : topo_addr(&lab->topo, n, li);
	char buf[16];
	if (a == 0) {
		luaL_pushfail(L);
		return 1;
	}
	lua_pushstring(L, topo_fmt_addr(a, buf));
	return 1;
}

/* core.lab_nft(node, commands [, query [, handles]]) -> true | output | nil, msg */
static int lab_nft(lua_State *L)
{
	struct lab *lab = check_lab(L);
	int n = check_node(L, lab, 1);
	char err[1024], *out = NULL;
	int query = lua_toboolean(L, 3);
	if (netfilter_query(lab->nodes[n].nsfd, luaL_checkstring(L, 2), lua_toboolean(L, 4),
	                    query ? &out : NULL, err, sizeof(err)) < 0) {
		luaL_pushfail(L);
		lua_pushstring(L, err);
		return 2;
	}
	if (query) {
		lua_pushstring(L, out);
		free(out);
	} else {
		lua_pushboolean(L, 1);
	}
	return 1;
}

/* core.lab_sysctl(node, "net/ipv4/...", value) -> true | nil, msg */
static int lab_sysctl(lua_State *L)
{
	struct lab *lab = check_lab(L);
	int n = check_node(L, lab, 1);
	char err[512];
	if (netns_sysctl(lab->nodes[n].nsfd, luaL_checkstring(L, 2), luaL_checkstring(L, 3),
	                 err, sizeof(err)) < 0) {
		luaL_pushfail(L);
		lua_pushstring(L, err);
		return 2;
	}
	lua_pushboolean(L, 1);
	return 1;
}

/* core.lab_addr_add(node, ifname, "a.b.c.d/len") -> true | nil, msg */
static int lab_addr_add(lua_State *L)
{
	struct lab *lab = check_lab(L);
	int n = check_node(L, lab, 1);
	const char *cidr = luaL_checkstring(L, 3);
	char err[512], host[32];
	uint32_t a;
	int plen = 32, idx;
	const char *slash = strchr(cidr, '/');
	size_t hl = slash ? (size_t)(slash - cidr) : strlen(cidr);

	if (hl >= sizeof(host))
		return lx_error(L, "bad address '%s'", cidr);
	memcpy(host, cidr, hl);
	host[hl] = '\0';
	if (slash != NULL)
		plen = atoi(slash + 1);
	if (topo_parse_addr(host, &a) < 0 || plen < 0 || plen > 32)
		return lx_error(L, "bad address '%s'", cidr);
	idx = netlink_ifindex(lab->nodes[n].nl, luaL_checkstring(L, 2), err, sizeof(err));
	if (idx < 0 || netlink_addr(lab->nodes[n].nl, idx, a, plen, err, sizeof(err)) < 0) {
		luaL_pushfail(L);
		lua_pushstring(L, err);
		return 2;
	}
	lua_pushboolean(L, 1);
	return 1;
}

/* core.lab_routes() -> { {node=, dst=, via=, link=}, ... } */
static int lab_routes(lua_State *L)
{
	struct lab *lab = check_lab(L);
	char a[16], b[16];
	lua_createtable(L, (int)lab->topo.nroutes, 0);
	for (size_t i = 0; i < lab->topo.nroutes; i++) {
		const struct topo_route *rt = &lab->topo.routes[i];
		lua_createtable(L, 0, 4);
		lua_pushstring(L, lab->topo.nodes[rt->node].name);
		lua_setfield(L, -2, "node");
		lua_pushfstring(L, "%s/%d", topo_fmt_addr(rt->dst, a), rt->plen);
		lua_setfield(L, -2, "dst");
		lua_pushstring(L, topo_fmt_addr(rt->via, b));
		lua_setfield(L, -2, "via");
		lua_pushstring(L, lab->topo.links[rt->link].name);
		lua_setfield(L, -2, "link");
		lua_seti(L, -2, (lua_Integer)i + 1);
	}
	return 1;
}

/* core.lab_pcap(link) -> path */
static int lab_pcap(lua_State *L)
{
	struct lab *lab = check_lab(L);
	int li = topo_link_index(&lab->topo, luaL_checkstring(L, 1));
	if (li < 0)
		return lx_error(L, "unknown link '%s'", lua_tostring(L, 1));
	lua_pushstring(L, lab->pcap_paths[li]);
	return 1;
}

void lx_open_lab(lua_State *L)
{
	static const luaL_Reg fns[] = {
		{ "lab_start", lab_start },
		{ "lab_addr", lab_addr },
		{ "lab_nft", lab_nft },
		{ "lab_sysctl", lab_sysctl },
		{ "lab_addr_add", lab_addr_add },
		{ "lab_routes", lab_routes },
		{ "lab_pcap", lab_pcap },
		{ NULL, NULL },
	};
	luaL_setfuncs(L, fns, 0);
}
