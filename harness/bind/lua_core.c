/*
** lua_core.c: the vpnlab.core module itself, error location, clocks, waits
** and the TAP points that Lua-side checks (ok/is) produce.
*/
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bind/luax.h"
#include "run/signals.h"

static const char RUN_KEY = 'r';

struct run *lx_run(lua_State *L)
{
	struct run *r;
	lua_rawgetp(L, LUA_REGISTRYINDEX, &RUN_KEY);
	r = lua_touserdata(L, -1);
	lua_pop(L, 1);
	return r;
}

void lx_set_run(lua_State *L, struct run *r)
{
	lua_pushlightuserdata(L, r);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &RUN_KEY);
}

static int is_library_frame(const struct run *r, const lua_Debug *ar)
{
	size_t n = strlen(r->libdir);
	return ar->source[0] != '@' || strncmp(ar->source + 1, r->libdir, n) == 0;
}

/* "file:line: " of the first user frame from level on, pushed ("" if none). */
static void where_from(lua_State *L, int level)
{
	struct run *r = lx_run(L);
	lua_Debug ar;

	for (; lua_getstack(L, level, &ar); level++) {
		lua_getinfo(L, "Sl", &ar);
		if (ar.currentline > 0 && !is_library_frame(r, &ar)) {
			lua_pushfstring(L, "%s:%d: ", ar.short_src, ar.currentline);
			return;
		}
	}
	lua_pushliteral(L, "");
}

void lx_where(lua_State *L)
{
	where_from(L, 1);
}

int lx_error(lua_State *L, const char *fmt, ...)
{
	va_list ap;
	lx_where(L);
	va_start(ap, fmt);
	lua_pushvfstring(L, fmt, ap);
	va_end(ap);
	lua_concat(L, 2);
	return lua_error(L);
}

/* ---- stopping a scenario: signals and the time limit ------------------ */

/* Polls the signals and reads the clock; 1 when the scenario must stop. */
static int must_stop(struct run *r)
{
	if (r->stop != RUN_GOING)
		return 1;
	signals_poll();
	if (r->loop->interrupted) {
		r->stop = RUN_SIGNALLED;
		r->stop_signal = signals_received();
	} else if (r->deadline > 0 && loop_now() >= r->deadline) {
		r->stop = RUN_TIMED_OUT;
	}
	return r->stop != RUN_GOING;
}

static void guard_hook(lua_State *L, lua_Debug *ar);

/*
** Record where the scenario was (the first time), make every further Lua
** instruction raise, and raise. level: the first stack level to look at for
** the user's line (0 inside a hook, 1 inside a C function).
*/
static int raise_stop(lua_State *L, int level, const char *what)
{
	struct run *r = lx_run(L);

	if (!r->stop_where[0]) {
		where_from(L, level);
		snprintf(r->stop_where, sizeof(r->stop_where), "%s", lua_tostring(L, -1));
		lua_pop(L, 1);
		snprintf(r->stop_what, sizeof(r->stop_what), "%s", what ? what : "");
	}
	lua_sethook(L, guard_hook, LUA_MASKCOUNT, 1);
	lua_pushstring(L, r->stop_where);
	if (r->stop == RUN_SIGNALLED) {
		const char *name = r->stop_signal ? sigabbrev_np(r->stop_signal) : NULL;
		lua_pushfstring(L, "interrupted by SIG%s", name ? name : "?");
	} else {
		lua_pushfstring(L, "time limit of %f s reached", r->timeout);
	}
	lua_concat(L, 2);
	return lua_error(L);
}

/* Every LX_GUARD_COUNT instructions (every one once stopped): stop a busy scenario. */
static void guard_hook(lua_State *L, lua_Debug *ar)
{
	(void)ar;
	if (must_stop(lx_run(L)))
		raise_stop(L, 0, NULL);
}

void lx_guard(lua_State *L)
{
	lua_sethook(L, guard_hook, LUA_MASKCOUNT, LX_GUARD_COUNT);
}

void lx_check(lua_State *L, const char *what)
{
	if (must_stop(lx_run(L)))
		raise_stop(L, 1, what);
}

void lx_wait(lua_State *L, double deadline, const char *what)
{
	struct run *r = lx_run(L);
	double now = loop_now(), until = deadline;

	/*
	** No signal polling before the poll: a SIGCHLD read here, after the
	** caller looked at its condition, would reap the child and leave the
	** poll below nothing to wake it (a whole wait lost). The loop reads the
	** signalfd itself; only a stop already known raises now.
	*/
	if (r->stop != RUN_GOING || r->loop->interrupted || (r->deadline > 0 && now >= r->deadline))
		lx_check(L, what);
	if (r->deadline > 0 && r->deadline < until)
		until = r->deadline;
	loop_once(r->loop, until > now ? until - now : 0);
	lx_check(L, what);
}

double lx_deadline(lua_State *L, double seconds)
{
	return loop_now() + seconds * lx_run(L)->time_scale;
}

/*
** core.now() -> seconds since the scenario started, in the scenario's own
** units: real seconds divided by the time scale, so a bound a scenario
** computes from now() means the same where protocol timers run scaled (VM).
*/
static int core_now(lua_State *L)
{
	struct run *r = lx_run(L);
	lua_pushnumber(L, (loop_now() - r->mono0) / r->time_scale);
	return 1;
}

/* core.raise(msg): an error at the user's line */
static int core_raise(lua_State *L)
{
	return lx_error(L, "%s", luaL_checkstring(L, 1));
}

/* core.where() -> "file:line: " of the user's frame */
static int core_where(lua_State *L)
{
	lx_where(L);
	return 1;
}

/* core.point(pass, description [, yaml]) -> pass */
static int core_point(lua_State *L)
{
	struct run *r = lx_run(L);
	int pass = lua_toboolean(L, 1);
	const char *desc = luaL_checkstring(L, 2);
	const char *diag = luaL_optstring(L, 3, NULL);
	lx_check(L, NULL);
	tap_point(r->tap, pass, diag, "%s", desc);
	lua_pushboolean(L, pass);
	return 1;
}

/* core.yaml(key, value) -> '  key: "escaped value"\n' for diagnostics built in Lua */
static int core_yaml(lua_State *L)
{
	const char *key = luaL_checkstring(L, 1);
	const char *value = luaL_tolstring(L, 2, NULL);
	char buf[4096] = "";
	tap_yaml_kv(buf, sizeof(buf), key, value);
	lua_pushstring(L, buf);
	return 1;
}

/* core.skip(description, reason) */
static int core_skip(lua_State *L)
{
	struct run *r = lx_run(L);
	lx_check(L, NULL);
	tap_skip(r->tap, luaL_checkstring(L, 2), "%s", luaL_checkstring(L, 1));
	return 0;
}

/*
** core.event(text): a runtime event (a remap, a block) happened now. It is
** kept with the packets' clock for the timeline and for the diagnostics of
** later failing points ("after the remap at 3.2 s"), and printed as a TAP
** comment.
*/
static int core_event(lua_State *L)
{
	struct run *r = lx_run(L);
	const char *text = luaL_checkstring(L, 1);
	if (r->nevents == r->capevents) {
		int cap = r->capevents ? r->capevents * 2 : 8;
		struct run_event *v = realloc(r->events, (size_t)cap * sizeof(*v));
		if (v == NULL)
			return luaL_error(L, "out of memory");
		r->events = v;
		r->capevents = cap;
	}
	struct run_event *e = &r->events[r->nevents++];
	e->t = loop_now() - r->mono0;
	snprintf(e->text, sizeof(e->text), "%s", text);
	tap_comment(r->tap, "event at %.2f s: %s", e->t, e->text);
	return 0;
}

/* core.comment(text) */
static int core_comment(lua_State *L)
{
	tap_comment(lx_run(L)->tap, "%s", luaL_checkstring(L, 1));
	return 0;
}

/* core.mkdir(path) -> true | nil, msg (an existing folder is fine) */
static int core_mkdir(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	if (mkdir(path, 0755) < 0 && errno != EEXIST) {
		luaL_pushfail(L);
		lua_pushfstring(L, "mkdir %s: %s", path, strerror(errno));
		return 2;
	}
	lua_pushboolean(L, 1);
	return 1;
}

/* core.realpath(path) -> absolute path without symlinks | nil, msg */
static int core_realpath(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	char buf[PATH_MAX];
	if (realpath(path, buf) == NULL) {
		luaL_pushfail(L);
		lua_pushfstring(L, "%s: %s", path, strerror(errno));
		return 2;
	}
	lua_pushstring(L, buf);
	return 1;
}

struct file_wait {
	const char *path;
	int found;
};

static void on_inotify(void *arg, int fd, short revents)
{
	struct file_wait *w = arg;
	char buf[4096];
	(void)revents;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	w->found = access(w->path, F_OK) == 0;
}

/* core.wait_file(path, seconds) -> true | false: event-driven (inotify on the folder) */
static int core_wait_file(lua_State *L)
{
	struct run *r = lx_run(L);
	const char *path = luaL_checkstring(L, 1);
	double deadline = lx_deadline(L, luaL_checknumber(L, 2));
	struct file_wait w = { path, 0 };
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd;

	if (slash == NULL || (size_t)(slash - path) >= sizeof(dir))
		return lx_error(L, "wait_file needs an absolute path, got '%s'", path);
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fd < 0 || inotify_add_watch(fd, dir, IN_CREATE | IN_MOVED_TO) < 0) {
		if (fd >= 0)
			close(fd);
		return lx_error(L, "inotify on %s: %s", dir, strerror(errno));
	}
	w.found = access(path, F_OK) == 0;   /* after the watch: no window to miss it */
	loop_add(r->loop, fd, POLLIN, on_inotify, &w);
	/* A stop raises out of the wait: the watch must go first. */
	while (!w.found && loop_now() < deadline && !must_stop(r)) {
		double left = deadline - loop_now();
		if (r->deadline > 0 && r->deadline - loop_now() < left)
			left = r->deadline - loop_now();
		loop_once(r->loop, left > 0 ? left : 0);
	}
	loop_del(r->loop, fd);
	close(fd);
	lx_check(L, path);
	lua_pushboolean(L, w.found);
	return 1;
}

/*
** core.require(name, ...): every named kernel feature must be present. An
** unknown name is an error at the user's line. A missing one stops the
** scenario so the runner can hand it to a backend that has it; that is only
** possible before the first test point, so later it is an error.
*/
static int core_require(lua_State *L)
{
	struct run *r = lx_run(L);
	char missing[sizeof(r->missing)] = "";
	int n = lua_gettop(L);

	for (int i = 1; i <= n; i++) {
		const char *name = luaL_checkstring(L, i);
		int f = feature_from_name(name);
		if (f < 0)
			return lx_error(L, "unknown kernel feature '%s' (esp, ah, l2tp, ppp, netem, userns, nftables)", name);
		if (!features_has(r->features, (enum feature)f)) {
			size_t len = strlen(missing);
			snprintf(missing + len, sizeof(missing) - len, "%s%s", len ? ", " : "", name);
		}
	}
	if (!missing[0])
		return 0;
	/* The subtest header is still pending while the scenario has printed nothing. */
	if (r->tap->count > 0 || !r->tap->pending[0])
		return lx_error(L, "this kernel lacks %s, required after the scenario printed output: "
		                "put vpnlab.requires{...} at the top of the scenario", missing);
	snprintf(r->missing, sizeof(r->missing), "%s", missing);
	return lx_error(L, "this kernel lacks %s", missing);
}

/*
** core.pause(at_end): where `vpnlab up` hands the lab to the user (or, with
** at_end, the scenario's end when it had no pause). Under `vpnlab run` it
** does nothing but say so in a TAP comment: a scenario means the same on
** every backend. Under `up` it never returns: the lab is held, without a time
** limit, until a signal (vpnlab down) stops the scenario as a run's signal
** does, and the teardown is the run's own.
*/
static int core_pause(lua_State *L)
{
	struct run *r = lx_run(L);
	int at_end = lua_toboolean(L, 1);
	char err[512];

	if (r->pause == NULL) {
		if (!at_end)
			tap_comment(r->tap, "vpnlab.pause(): nothing to do under vpnlab run (vpnlab up holds the lab here)");
		return 0;
	}
	lx_check(L, NULL);
	if (r->lab == NULL)
		return lx_error(L, "vpnlab.pause: no lab to hold: the scenario %s without vpnlab.start",
		                at_end ? "ended" : "paused");
	if (r->pause->ready(r->pause->ctx, r, err, sizeof(err)) < 0)
		return lx_error(L, "vpnlab.pause: %s", err);
	r->deadline = 0;   /* held until `vpnlab down`: no time limit */
	tap_comment(r->tap, "paused%s: the lab is held until vpnlab down", at_end ? " at the scenario's end" : "");
	for (;;)
		lx_wait(L, loop_now() + 3600, "vpnlab down");
}

static int core_info(lua_State *L)
{
	struct run *r = lx_run(L);
	lua_createtable(L, 0, 8);
	lua_pushstring(L, r->dir);
	lua_setfield(L, -2, "results");
	lua_pushstring(L, r->rundir);
	lua_setfield(L, -2, "rundir");
	lua_pushstring(L, r->libdir);
	lua_setfield(L, -2, "libdir");
	lua_pushstring(L, r->srcdir);
	lua_setfield(L, -2, "srcdir");
	lua_pushstring(L, r->scenario);
	lua_setfield(L, -2, "scenario");
	lua_pushstring(L, r->backend);
	lua_setfield(L, -2, "backend");
	lua_pushnumber(L, r->time_scale);
	lua_setfield(L, -2, "time_scale");
	return 1;
}

void lx_open_core(lua_State *L)
{
	static const luaL_Reg fns[] = {
		{ "now", core_now },
		{ "raise", core_raise },
		{ "where", core_where },
		{ "point", core_point },
		{ "skip", core_skip },
		{ "yaml", core_yaml },
		{ "comment", core_comment },
		{ "event", core_event },
		{ "mkdir", core_mkdir },
		{ "realpath", core_realpath },
		{ "wait_file", core_wait_file },
		{ "info", core_info },
		{ "require", core_require },
		{ "pause", core_pause },
		{ NULL, NULL },
	};
	luaL_setfuncs(L, fns, 0);
}

int lx_luaopen_core(lua_State *L)
{
	lua_newtable(L);
	lx_open_core(L);
	lx_open_lab(L);
	lx_open_proc(L);
	lx_open_expect(L);
	lx_open_vici(L);
	lx_open_nat(L);
	lx_open_keys(L);
	lx_open_pki(L);
	return 1;
}
