/*
** scenario.c: see scenario.h.
*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <lualib.h>

#include "bind/luax.h"
#include "run/scenario.h"

/* Message handler: keep the message, add a traceback only for internal errors. */
static int traceback(lua_State *L)
{
	const char *msg = lua_tostring(L, 1);
	if (msg == NULL)
		msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
	luaL_traceback(L, L, msg, 1);
	return 1;
}

static void set_package_path(lua_State *L, const char *libdir)
{
	lua_getglobal(L, "package");
	lua_pushfstring(L, "%s/?.lua;%s/?/init.lua", libdir, libdir);
	lua_setfield(L, -2, "path");
	lua_pushliteral(L, "");
	lua_setfield(L, -2, "cpath");   /* no native modules from the system */
	lua_getfield(L, -1, "preload");
	lua_pushcfunction(L, lx_luaopen_core);
	lua_setfield(L, -2, "vpnlab.core");
	lua_pop(L, 2);
}

/* First line of a traceback'd message: the error itself. The rest goes to the log. */
static void keep_message(struct scenario_result *res, const char *msg)
{
	const char *nl = strstr(msg, "\nstack traceback:");
	size_t n = nl ? (size_t)(nl - msg) : strlen(msg);
	if (n >= sizeof(res->message))
		n = sizeof(res->message) - 1;
	memcpy(res->message, msg, n);
	res->message[n] = '\0';
}

static int run_file(lua_State *L, const struct scenario_opts *o, struct scenario_result *res)
{
	lua_pushcfunction(L, traceback);
	int h = lua_gettop(L);
	lua_getglobal(L, "require");
	lua_pushliteral(L, "vpnlab");
	if (lua_pcall(L, 1, 1, h) != LUA_OK)
		goto error;
	lua_setglobal(L, "vpnlab");
	if (luaL_loadfilex(L, o->path, "t") != LUA_OK)
		goto error;
	if (lua_pcall(L, 0, 0, h) != LUA_OK)
		goto error;
	/* The Lua half's own end-of-scenario checks (e.g. daemons that died). */
	lua_getglobal(L, "vpnlab");
	lua_getfield(L, -1, "_finish");
	if (lua_isfunction(L, -1) && lua_pcall(L, 0, 0, h) != LUA_OK)
		goto error;
	return 0;
error:
	if (lx_run(L)->missing[0]) {
		/* Not an error: the scenario stopped before its first test point. */
		snprintf(res->message, sizeof(res->message), "%s", lx_run(L)->missing);
		res->unmet = 1;
		return -1;
	}
	keep_message(res, lua_tostring(L, -1));
	res->error = 1;
	FILE *f;
	char path[4200];
	snprintf(path, sizeof(path), "%s/error.txt", o->dir);
	if ((f = fopen(path, "we")) != NULL) {
		fprintf(f, "%s\n", lua_tostring(L, -1));
		fclose(f);
	}
	return -1;
}

static void write_timeline(struct run *r)
{
	char path[4200];
	FILE *f;
	snprintf(path, sizeof(path), "%s/timeline.jsonl", r->dir);
	if (r->lab == NULL || (f = fopen(path, "we")) == NULL)
		return;
	for (size_t i = 0; i < r->tl.n; i++)
		timeline_write_json(f, &r->tl.p[i], r->lab->topo.links[r->tl.p[i].link].name);
	fclose(f);
}

static void teardown(lua_State *L, struct run *r)
{
	lx_stop_all_procs(r);
	lua_close(L);             /* collects vici connections and process handles */
	if (r->lab != NULL) {
		for (size_t i = 0; i < r->lab->ncaps; i++)
			if (r->lab->caps[i].fd >= 0)
				loop_del(r->loop, r->lab->caps[i].fd);
		lab_destroy(r->lab);  /* drains and closes every capture first */
		write_timeline(r);
		topo_free(&r->lab->topo);
		free(r->lab);
		r->lab = NULL;
	}
	timeline_free(&r->tl);
}

void scenario_run(const struct scenario_opts *o, struct scenario_result *res)
{
	struct run r;
	lua_State *L;

	memset(res, 0, sizeof(*res));
	memset(&r, 0, sizeof(r));
	r.loop = o->loop;
	r.tap = o->tap;
	timeline_init(&r.tl);
	gettimeofday(&r.t0, NULL);
	r.mono0 = loop_now();
	snprintf(r.dir, sizeof(r.dir), "%s", o->dir);
	snprintf(r.rundir, sizeof(r.rundir), "%s", o->rundir);
	r.libdir = o->libdir;
	r.srcdir = o->srcdir;
	r.scenario = o->path;
	r.backend = o->backend;
	r.dataplane = o->dataplane;
	r.time_scale = o->time_scale;
	r.features = o->features;

	L = luaL_newstate();
	if (L == NULL) {
		res->error = 1;
		snprintf(res->message, sizeof(res->message), "cannot create a Lua state");
		return;
	}
	luaL_openlibs(L);
	lx_set_run(L, &r);
	set_package_path(L, o->libdir);
	run_file(L, o, res);
	double down = loop_now();
	teardown(L, &r);
	res->teardown = loop_now() - down;
	res->lab_up = r.lab_up_seconds;
	res->passed = o->tap->count - o->tap->failed - o->tap->skipped;
	res->failed = o->tap->failed;
	res->skipped = o->tap->skipped;
	res->seconds = loop_now() - r.mono0;
}
