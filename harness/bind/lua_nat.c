/*
** lua_nat.c: a node's connection tracking for Lua. The building block of
** node:remap (a NAT reboot) and of router:mappings(); which masquerade
** rule follows is the Lua half's policy (vpnlab/nat.lua).
*/
#include <netinet/in.h>
#include <stdlib.h>

#include "bind/luax.h"
#include "lab/conntrack.h"

/* The namespace fd of node `name` (argument arg); raises when there is no such node. */
static int node_nsfd(lua_State *L, int arg)
{
	struct lab *lab = lx_run(L)->lab;
	const char *name = luaL_checkstring(L, arg);
	int n;

	if (lab == NULL)
		return lx_error(L, "no lab: call vpnlab.start first");
	n = topo_node_index(&lab->topo, name);
	if (n < 0)
		return lx_error(L, "unknown node '%s'", name);
	return lab->nodes[n].nsfd;
}

static int push_result(lua_State *L, int n, const char *err)
{
	if (n < 0) {
		luaL_pushfail(L);
		lua_pushstring(L, err);
		return 2;
	}
	lua_pushinteger(L, n);
	return 1;
}

/* core.conntrack_count(node) -> entries | nil, msg */
static int nat_conntrack_count(lua_State *L)
{
	char err[256];
	int nsfd = node_nsfd(L, 1);
	return push_result(L, conntrack_count(nsfd, err, sizeof(err)), err);
}

/* core.conntrack_flush(node) -> entries flushed | nil, msg */
static int nat_conntrack_flush(lua_State *L)
{
	char err[256];
	int nsfd = node_nsfd(L, 1);
	return push_result(L, conntrack_flush(nsfd, err, sizeof(err)), err);
}

static void set_endpoint(lua_State *L, const char *key, uint32_t addr, uint16_t port)
{
	char a[16];

	topo_fmt_addr(addr, a);
	if (port)
		lua_pushfstring(L, "%s:%d", a, (int)port);
	else
		lua_pushstring(L, a);
	lua_setfield(L, -2, key);
}

static const char *proto_name(int proto)
{
	switch (proto) {
	case IPPROTO_UDP: return "udp";
	case IPPROTO_TCP: return "tcp";
	case IPPROTO_ICMP: return "icmp";
	default: return NULL;
	}
}

/*
** core.conntrack_mappings(node) -> { {proto=, inside="a:p", outside="a:p",
** remote="a:p", inbound=bool, timeout=s}, ... } | nil, msg
*/
static int nat_conntrack_mappings(lua_State *L)
{
	char err[256];
	struct conntrack_mapping *v;
	int nsfd = node_nsfd(L, 1);
	int n = conntrack_mappings(nsfd, &v, err, sizeof(err));

	if (n < 0)
		return push_result(L, n, err);
	lua_createtable(L, n, 0);
	for (int i = 0; i < n; i++) {
		const char *p = proto_name(v[i].proto);
		lua_createtable(L, 0, 6);
		if (p)
			lua_pushstring(L, p);
		else
			lua_pushinteger(L, v[i].proto);
		lua_setfield(L, -2, "proto");
		set_endpoint(L, "inside", v[i].inside_addr, v[i].inside_port);
		set_endpoint(L, "outside", v[i].outside_addr, v[i].outside_port);
		set_endpoint(L, "remote", v[i].remote_addr, v[i].remote_port);
		lua_pushboolean(L, v[i].inbound);
		lua_setfield(L, -2, "inbound");
		lua_pushinteger(L, v[i].timeout);
		lua_setfield(L, -2, "timeout");
		lua_rawseti(L, -2, i + 1);
	}
	free(v);
	return 1;
}

void lx_open_nat(lua_State *L)
{
	static const luaL_Reg fns[] = {
		{ "conntrack_count", nat_conntrack_count },
		{ "conntrack_flush", nat_conntrack_flush },
		{ "conntrack_mappings", nat_conntrack_mappings },
		{ NULL, NULL },
	};
	luaL_setfuncs(L, fns, 0);
}
