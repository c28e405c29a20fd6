/*
** scenario.c: see scenario.h. The scenario file runs in the environment
** lua/vpnlab/sandbox.lua builds (pure Lua and the vpnlab API), under a count
** hook that stops it at its time limit or on a signal (bind/lua_core.c).
*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <lualib.h>

#include "bind/luax.h"
#include "run/scenario.h"
#include "run/signals.h"

/* A message that starts with "file:line: " already says where. */
static int has_location(const char *msg)
{
	const char *colon = strchr(msg, ':');
	size_t digits;

	if (colon == NULL || colon == msg || memchr(msg, '\n', (size_t)(colon - msg)) != NULL)
		return 0;
	digits = strspn(colon + 1, "0123456789");
	return digits > 0 && colon[1 + digits] == ':';
}

/*
** Message handler: the error with the user's file:line in front (error({}),
** error(nil) and error("x", 0) carry none of their own), then a traceback.
*/
static int traceback(lua_State *L)
{
	const char *msg;

	if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
		msg = lua_tostring(L, -1);
	else if ((msg = lua_tostring(L, 1)) == NULL)
		msg = lua_pushfstring(L, "error object is a %s value", luaL_typename(L, 1));
	if (!has_location(msg)) {
		lx_where(L);
		lua_pushstring(L, msg);
		lua_concat(L, 2);
		msg = lua_tostring(L, -1);
	}
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

/* The message (its first line) and the traceback apart. */
static void keep_error(struct scenario_result *res, const char *msg)
{
	const char *tb = strstr(msg, "\nstack traceback:");
	size_t n = tb ? (size_t)(tb - msg) : strlen(msg);
	if (n >= sizeof(res->message))
		n = sizeof(res->message) - 1;
	memcpy(res->message, msg, n);
	res->message[n] = '\0';
	snprintf(res->traceback, sizeof(res->traceback), "%s", tb ? tb + 1 : "");
}

static void write_error_file(const char *dir, const char *text)
{
	char path[4200];
	FILE *f;
	snprintf(path, sizeof(path), "%s/error.txt", dir);
	if ((f = fopen(path, "we")) != NULL) {
		fprintf(f, "%s\n", text);
		fclose(f);
	}
}

/*
** Load the scenario file with its sandbox as _ENV (vpnlab._scenario_env,
** taken off the API table once used). Leaves the chunk on the stack.
*/
static int load_scenario(lua_State *L, const char *path, int handler)
{
	if (luaL_loadfilex(L, path, "t") != LUA_OK)
		return -1;
	lua_getglobal(L, "vpnlab");
	lua_getfield(L, -1, "_scenario_env");
	lua_pushnil(L);
	lua_setfield(L, -3, "_scenario_env");
	lua_remove(L, -2);
	if (lua_pcall(L, 0, 1, handler) != LUA_OK) {
		lua_remove(L, -2);   /* the chunk */
		return -1;
	}
	if (lua_setupvalue(L, -2, 1) == NULL) {   /* a main chunk's only upvalue is _ENV */
		lua_pushliteral(L, "scenario chunk without _ENV");
		return -1;
	}
	return 0;
}

static void run_file(lua_State *L, const struct scenario_opts *o)
{
	lua_pushcfunction(L, traceback);
	int h = lua_gettop(L);
	lua_getglobal(L, "require");
	lua_pushliteral(L, "vpnlab");
	if (lua_pcall(L, 1, 1, h) != LUA_OK)
		return;
	lua_setglobal(L, "vpnlab");
	if (load_scenario(L, o->path, h) < 0)
		return;
	if (lua_pcall(L, 0, 0, h) != LUA_OK)
		return;
	/* The Lua half's own end-of-scenario checks (e.g. daemons that died). */
	lua_getglobal(L, "vpnlab");
	lua_getfield(L, -1, "_finish");
	if (lua_isfunction(L, -1) && lua_pcall(L, 0, 0, h) != LUA_OK)
		return;
	lua_settop(L, 0);
}

/* Why the scenario ended, from the run's state and what is left on the stack. */
static void classify(lua_State *L, struct run *r, const struct scenario_opts *o,
                     struct scenario_result *res)
{
	int failed = lua_gettop(L) > 0;   /* run_file leaves the error message */

	if (r->stop == RUN_SIGNALLED || (r->stop == RUN_GOING && failed && r->loop->interrupted)) {
		res->end = SCENARIO_INTERRUPTED;
		res->signal = r->stop_signal ? r->stop_signal : signals_received();
		snprintf(res->message, sizeof(res->message), "%sinterrupted by SIG%s%s%s", r->stop_where,
		         sigabbrev_np(res->signal) ? sigabbrev_np(res->signal) : "?",
		         r->stop_what[0] ? " while waiting for " : "", r->stop_what);
	} else if (r->stop == RUN_TIMED_OUT) {
		res->end = SCENARIO_TIMED_OUT;
		snprintf(res->message, sizeof(res->message), "%stime limit of %g s reached %s%s",
		         r->stop_where, r->timeout, r->stop_what[0] ? "while waiting for " : "busy in Lua",
		         r->stop_what);
	} else if (failed && r->missing[0]) {
		/* Not an error: the scenario stopped before its first test point. */
		res->end = SCENARIO_UNMET;
		snprintf(res->message, sizeof(res->message), "%s", r->missing);
	} else if (failed) {
		const char *msg = lua_tostring(L, -1);
		res->end = SCENARIO_ERROR;
		keep_error(res, msg ? msg : "(error without a message)");
		write_error_file(o->dir, msg ? msg : res->message);
	} else if (o->tap->count == 0) {
		res->end = SCENARIO_EMPTY;
		snprintf(res->message, sizeof(res->message), "%s: the scenario ended without a single test point",
		         o->path);
	}
}

static void write_timeline(struct run *r)
{
	char path[4200];
	FILE *f;
	snprintf(path, sizeof(path), "%s/timeline.jsonl", r->dir);
	if (r->lab == NULL || (f = fopen(path, "we")) == NULL)
		return;
	int ev = 0;
	for (size_t i = 0; i <= r->tl.n; i++) {
		/* Runtime events go in between the packets, by time. */
		for (; ev < r->nevents && (i == r->tl.n || r->events[ev].t <= r->tl.p[i].t); ev++) {
			fprintf(f, "{\"t\":%.6f,\"event\":", r->events[ev].t);
			timeline_json_string(f, r->events[ev].text);
			fputs("}\n", f);
		}
		if (i < r->tl.n)
			timeline_write_json(f, &r->tl.p[i], r->lab->topo.links[r->tl.p[i].link].name);
	}
	fclose(f);
}

/*
** The SAs the run knew, for Wireshark: wireshark/esp_sa (the esp_sa table,
** "*" addresses) and wireshark/preferences turning ESP decryption on, so
** `WIRESHARK_CONFIG_DIR=<dir>/wireshark tshark -r <dir>/wan.pcap` shows
** every link decrypted. Nothing is written when no SA was known.
*/
static void write_esp_sa(struct run *r)
{
	char path[4200];
	FILE *f;

	if (r->keys.n == 0)
		return;
	snprintf(path, sizeof(path), "%s/wireshark", r->dir);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return;
	snprintf(path, sizeof(path), "%s/wireshark/esp_sa", r->dir);
	if ((f = fopen(path, "we")) != NULL) {
		esp_keyring_write_wireshark(&r->keys, f);
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/wireshark/preferences", r->dir);
	if ((f = fopen(path, "we")) != NULL) {
		fputs("# written by vpnlab: decrypt ESP with the SAs in esp_sa\n"
		      "esp.enable_encryption_decode: TRUE\n"
		      "esp.enable_authentication_check: TRUE\n", f);
		fclose(f);
	}
}

static void teardown(lua_State *L, struct run *r)
{
	lua_sethook(L, NULL, 0, 0);
	lx_stop_all_procs(r);
	lua_close(L);             /* collects vici connections and process handles */
	if (r->lab != NULL) {
		for (size_t i = 0; i < r->lab->ncaps; i++)
			if (r->lab->caps[i].fd >= 0)
				loop_del(r->loop, r->lab->caps[i].fd);
		lab_destroy(r->lab);  /* drains and closes every capture first */
		write_timeline(r);
		write_esp_sa(r);
		topo_free(&r->lab->topo);
		free(r->lab);
		r->lab = NULL;
	}
	timeline_free(&r->tl);
	esp_keyring_free(&r->keys);
	free(r->events);
	r->events = NULL;
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
	esp_keyring_init(&r.keys);
	gettimeofday(&r.t0, NULL);
	r.mono0 = loop_now();
	snprintf(r.dir, sizeof(r.dir), "%s", o->dir);
	snprintf(r.rundir, sizeof(r.rundir), "%s", o->rundir);
	r.libdir = o->libdir;
	r.srcdir = o->srcdir;
	r.scenario = o->path;
	r.backend = o->backend;
	r.time_scale = o->time_scale;
	r.features = o->features;
	r.timeout = o->timeout;
	r.deadline = o->timeout > 0 ? r.mono0 + o->timeout * o->time_scale : 0;
	r.pause = o->pause;

	L = luaL_newstate();
	if (L == NULL) {
		res->end = SCENARIO_ERROR;
		snprintf(res->message, sizeof(res->message), "cannot create a Lua state");
		return;
	}
	luaL_openlibs(L);
	lx_set_run(L, &r);
	set_package_path(L, o->libdir);
	lx_guard(L);
	run_file(L, o);
	classify(L, &r, o, res);
	double down = loop_now();
	teardown(L, &r);
	res->teardown = loop_now() - down;
	res->lab_up = r.lab_up_seconds;
	res->passed = o->tap->count - o->tap->failed - o->tap->skipped;
	res->failed = o->tap->failed;
	res->skipped = o->tap->skipped;
	res->seconds = loop_now() - r.mono0;
}
