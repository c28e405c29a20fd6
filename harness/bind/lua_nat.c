/*
** lua_nat.c: a node's connection tracking for Lua. The building block of
** node:remap (a NAT reboot); which masquerade rule follows is the Lua
** half's policy (vpnlab/middlebox.lua).
*/
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

void lx_open_nat(lua_State *L)
{
	static const luaL_Reg fns[] = {
		{ "conntrack_count", nat_conntrack_count },
		{ "conntrack_flush", nat_conntrack_flush },
		{ NULL, NULL },
	};
	luaL_setfuncs(L, fns, 0);
}
