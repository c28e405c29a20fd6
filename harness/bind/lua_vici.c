/*
** lua_vici.c: strongSwan's control socket for Lua, as "vpnlab.vici"
** userdata. Lua tables become VICI messages (string keys -> sections or
** key/values, arrays -> lists) and replies come back as tables, so the Lua
** half speaks VICI without any byte handling. A connection can also listen
** for events; the loop queues them and Lua waits for them event-driven.
*/
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "bind/luax.h"
#include "daemon/vici.h"

#define VICI_MT "vpnlab.vici"
#define LUA_VICI_MAX_DEPTH 32

struct vici_event_item {
	char *name;
	uint8_t *body;
	size_t len;
};

struct lvici {
	struct vici_conn conn;
	int open;
	int listening;
	struct run *run;
	struct vici_event_item *q;
	size_t nq, capq;
	int closed_by_peer;
};

/* ---- Lua table -> VICI body ---- */

static int is_array(lua_State *L, int idx)
{
	lua_Integer n = (lua_Integer)lua_rawlen(L, idx), count = 0;
	lua_pushnil(L);
	while (lua_next(L, idx) != 0) {
		count++;
		lua_pop(L, 1);
	}
	return n > 0 && count == n;
}

static void encode_table(lua_State *L, int idx, struct vici_buf *b, int depth);

static void encode_value(lua_State *L, const char *key, struct vici_buf *b, int depth)
{
	int t = lua_type(L, -1);
	if (t == LUA_TTABLE) {
		int idx = lua_absindex(L, -1);
		if (is_array(L, idx)) {
			vici_add_list(b, key);
			for (lua_Integer i = 1; i <= (lua_Integer)lua_rawlen(L, idx); i++) {
				size_t len;
				lua_rawgeti(L, idx, i);
				const char *s = luaL_tolstring(L, -1, &len);
				vici_add_list_item(b, s, len);
				lua_pop(L, 2);
			}
			vici_end_list(b);
		} else {
			vici_add_section(b, key);
			encode_table(L, idx, b, depth + 1);
			vici_end_section(b);
		}
	} else if (t == LUA_TBOOLEAN) {
		vici_add_kv_str(b, key, lua_toboolean(L, -1) ? "yes" : "no");
	} else {
		size_t len;
		const char *s = luaL_tolstring(L, -1, &len);
		vici_add_kv(b, key, s, len);
		lua_pop(L, 1);
	}
}

static void encode_table(lua_State *L, int idx, struct vici_buf *b, int depth)
{
	if (depth > LUA_VICI_MAX_DEPTH)
		lx_error(L, "vici: table nested too deeply");
	luaL_checkstack(L, 6, "vici encode");
	lua_pushnil(L);
	while (lua_next(L, idx) != 0) {
		if (lua_type(L, -2) != LUA_TSTRING)
			lx_error(L, "vici: message keys must be strings");
		encode_value(L, lua_tostring(L, -2), b, depth);
		lua_pop(L, 1);
	}
}

/* ---- VICI body -> Lua table ---- */

static int on_section_start(void *arg, const char *name)
{
	lua_State *L = arg;
	luaL_checkstack(L, 4, "vici decode");
	lua_pushstring(L, name);
	lua_newtable(L);
	return 0;
}

static int on_end(void *arg)
{
	lua_rawset(arg, -3);
	return 0;
}

static int on_kv(void *arg, const char *key, const uint8_t *value, size_t len)
{
	lua_State *L = arg;
	luaL_checkstack(L, 2, "vici decode");
	lua_pushlstring(L, (const char *)value, len);
	lua_setfield(L, -2, key);
	return 0;
}

static int on_list_item(void *arg, const uint8_t *value, size_t len)
{
	lua_State *L = arg;
	luaL_checkstack(L, 2, "vici decode");
	lua_pushlstring(L, (const char *)value, len);
	lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
	return 0;
}

static const struct vici_visitor to_lua = {
	on_section_start, on_end, on_kv, on_section_start, on_list_item, on_end,
};

/* Push the decoded body; on a malformed body push nil and return -1 with err. */
static int push_body(lua_State *L, const uint8_t *body, size_t len, char *err, size_t errlen)
{
	int top = lua_gettop(L);
	lua_newtable(L);
	if (vici_parse(body, len, &to_lua, L, err, errlen) != 0) {
		lua_settop(L, top);
		lua_pushnil(L);
		return -1;
	}
	return 0;
}

/* ---- the userdata ---- */

static struct lvici *check_vici(lua_State *L)
{
	struct lvici *v = luaL_checkudata(L, 1, VICI_MT);
	if (!v->open)
		lx_error(L, "vici connection is closed");
	return v;
}

static void free_queue(struct lvici *v)
{
	for (size_t i = 0; i < v->nq; i++) {
		free(v->q[i].name);
		free(v->q[i].body);
	}
	free(v->q);
	v->q = NULL;
	v->nq = v->capq = 0;
}

static void close_vici(struct lvici *v)
{
	if (!v->open)
		return;
	if (v->listening)
		loop_del(v->run->loop, v->conn.fd);
	vici_close(&v->conn);
	free_queue(v);
	v->open = 0;
}

static int vici_gc(lua_State *L)
{
	close_vici(luaL_checkudata(L, 1, VICI_MT));
	return 0;
}

/* core.vici_connect(socket_path) -> conn | nil, msg */
static int core_vici_connect(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	char err[256];
	struct lvici *v = lua_newuserdatauv(L, sizeof(*v), 0);
	memset(v, 0, sizeof(*v));
	v->conn.fd = -1;
	luaL_setmetatable(L, VICI_MT);
	v->run = lx_run(L);
	if (vici_connect(&v->conn, path, err, sizeof(err)) < 0) {
		luaL_pushfail(L);
		lua_pushstring(L, err);
		return 2;
	}
	v->open = 1;
	return 1;
}

struct stream_ctx {
	lua_State *L;
	int events;        /* stack index of the table collecting streamed events */
	int bad;
};

static void on_stream(void *arg, const char *event, const uint8_t *body, size_t len)
{
	struct stream_ctx *s = arg;
	char err[128];
	(void)event;
	if (push_body(s->L, body, len, err, sizeof(err)) < 0) {
		s->bad = 1;
		lua_pop(s->L, 1);
		return;
	}
	lua_rawseti(s->L, s->events, (lua_Integer)lua_rawlen(s->L, s->events) + 1);
}

/*
** conn:request(command [, message [, seconds [, stream_event]]])
** -> reply, streamed_events | nil, msg
*/
static int vici_lrequest(lua_State *L)
{
	struct lvici *v = check_vici(L);
	const char *cmd = luaL_checkstring(L, 2);
	double timeout = luaL_optnumber(L, 4, 10) * v->run->time_scale;
	const char *stream = luaL_optstring(L, 5, NULL);
	struct vici_buf body = { 0 }, reply = { 0 };
	char err[256];

	if (!lua_isnoneornil(L, 3)) {
		luaL_checktype(L, 3, LUA_TTABLE);
		encode_table(L, 3, &body, 0);
	}
	if (body.failed) {
		vici_buf_free(&body);
		return lx_error(L, "vici: message for '%s' too large or out of memory", cmd);
	}
	lua_newtable(L);
	struct stream_ctx s = { L, lua_gettop(L), 0 };
	int r = vici_request(&v->conn, cmd, &body, stream, stream ? on_stream : NULL, &s, timeout,
	                     &reply, err, sizeof(err));
	vici_buf_free(&body);
	if (r < 0 || push_body(L, reply.data, reply.len, err, sizeof(err)) < 0) {
		vici_buf_free(&reply);
		luaL_pushfail(L);
		lua_pushfstring(L, "vici %s: %s", cmd, err);
		return 2;
	}
	vici_buf_free(&reply);
	lua_insert(L, -2);   /* reply, events */
	return 2;
}

static void on_event(void *arg, const char *event, const uint8_t *body, size_t len)
{
	struct lvici *v = arg;
	if (v->nq == v->capq) {
		size_t cap = v->capq ? v->capq * 2 : 16;
		struct vici_event_item *q = realloc(v->q, cap * sizeof(*q));
		if (q == NULL)
			return;
		v->q = q;
		v->capq = cap;
	}
	struct vici_event_item *it = &v->q[v->nq];
	it->name = strdup(event);
	it->body = malloc(len ? len : 1);
	if (it->name == NULL || it->body == NULL) {
		free(it->name);
		free(it->body);
		return;
	}
	memcpy(it->body, body, len);
	it->len = len;
	v->nq++;
}

static void on_readable(void *arg, int fd, short revents)
{
	struct lvici *v = arg;
	char err[128];
	(void)revents;
	if (vici_read_events(&v->conn, on_event, v, err, sizeof(err)) < 0) {
		loop_del(v->run->loop, fd);
		v->listening = 0;
		v->closed_by_peer = 1;
	}
}

/* conn:listen({"ike-updown", "child-updown", ...}) -> true | nil, msg */
static int vici_listen(lua_State *L)
{
	struct lvici *v = check_vici(L);
	char err[256];
	luaL_checktype(L, 2, LUA_TTABLE);
	for (lua_Integer i = 1; i <= (lua_Integer)luaL_len(L, 2); i++) {
		lua_geti(L, 2, i);
		const char *ev = luaL_checkstring(L, -1);
		if (vici_register(&v->conn, ev, 5 * v->run->time_scale, err, sizeof(err)) < 0) {
			luaL_pushfail(L);
			lua_pushfstring(L, "vici register %s: %s", ev, err);
			return 2;
		}
		lua_pop(L, 1);
	}
	/* Events that arrived with the confirms are already buffered: poll would not report them. */
	if (vici_read_events(&v->conn, on_event, v, err, sizeof(err)) < 0) {
		luaL_pushfail(L);
		lua_pushfstring(L, "vici: %s", err);
		return 2;
	}
	if (!v->listening) {
		loop_add(v->run->loop, v->conn.fd, POLLIN, on_readable, v);
		v->listening = 1;
	}
	lua_pushboolean(L, 1);
	return 1;
}

/*
** conn:next_event(seconds) -> name, body | nil (deadline or connection closed).
** Runs the loop until an event is queued.
*/
static int vici_next_event(lua_State *L)
{
	struct lvici *v = check_vici(L);
	double deadline = lx_deadline(L, luaL_optnumber(L, 2, 0));
	char err[128];
	while (v->nq == 0 && !v->closed_by_peer && loop_now() < deadline)
		lx_wait(L, deadline, "a VICI event from charon");
	if (v->nq == 0) {
		luaL_pushfail(L);
		return 1;
	}
	struct vici_event_item it = v->q[0];
	memmove(v->q, v->q + 1, (v->nq - 1) * sizeof(*v->q));
	v->nq--;
	lua_pushstring(L, it.name);
	push_body(L, it.body, it.len, err, sizeof(err));
	free(it.name);
	free(it.body);
	return 2;
}

static int vici_lclose(lua_State *L)
{
	close_vici(luaL_checkudata(L, 1, VICI_MT));
	return 0;
}

void lx_open_vici(lua_State *L)
{
	static const luaL_Reg methods[] = {
		{ "request", vici_lrequest },
		{ "listen", vici_listen },
		{ "next_event", vici_next_event },
		{ "close", vici_lclose },
		{ NULL, NULL },
	};
	if (luaL_newmetatable(L, VICI_MT)) {
		luaL_newlib(L, methods);
		lua_setfield(L, -2, "__index");
		lua_pushcfunction(L, vici_gc);
		lua_setfield(L, -2, "__gc");
		lua_pushcfunction(L, vici_gc);
		lua_setfield(L, -2, "__close");
	}
	lua_pop(L, 1);
	lua_pushcfunction(L, core_vici_connect);
	lua_setfield(L, -2, "vici_connect");
}
