/*
** hold.c: see hold.h. The lab is described to the registry from the run's
** own state when the scenario pauses; the descriptors it records are the
** ones the lab already holds its namespaces by, so nothing is pinned that
** the lab's PID-1 process does not keep alive itself.
*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lualib.h>

#include "lab/isolate.h"
#include "lab/labstate.h"
#include "lab/netns.h"
#include "run/hold.h"
#include "run/run.h"
#include "run/runner.h"
#include "run/scenario.h"
#include "util/datadir.h"

/* ---- what a file is ----------------------------------------------------- */

#define TOPOLOGY_PROBE_BUDGET 10000000   /* Lua instructions: a table literal needs a few thousand */

static void probe_budget(lua_State *L, lua_Debug *ar)
{
	(void)ar;
	luaL_error(L, "instruction budget exhausted");
}

/* The pure part of the standard library, as topology files get it (lua/vpnlab/sandbox.lua). */
static void push_pure_env(lua_State *L)
{
	static const char *const names[] = { "assert", "error", "ipairs", "next", "pairs", "pcall",
		"rawequal", "rawget", "rawlen", "rawset", "select", "getmetatable", "setmetatable",
		"tonumber", "tostring", "type", "xpcall", "string", "table", "math", "utf8" };

	lua_newtable(L);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		lua_getglobal(L, names[i]);
		lua_setfield(L, -2, names[i]);
	}
}

int hold_is_topology(const char *path, char *err, size_t errlen)
{
	lua_State *L;
	int topology = 0;

	if (access(path, R_OK) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if ((L = luaL_newstate()) == NULL) {
		snprintf(err, errlen, "cannot create a Lua state");
		return -1;
	}
	luaL_openlibs(L);
	/* A syntax error or a scenario's first use of vpnlab fails here: the scenario run reports it. */
	if (luaL_loadfilex(L, path, "t") == LUA_OK) {
		push_pure_env(L);
		lua_setupvalue(L, -2, 1);
		lua_sethook(L, probe_budget, LUA_MASKCOUNT, TOPOLOGY_PROBE_BUDGET);
		if (lua_pcall(L, 0, 1, 0) == LUA_OK && lua_istable(L, -1)) {
			lua_getfield(L, -1, "nodes");
			topology = lua_istable(L, -1);
		}
	}
	lua_close(L);
	return topology;
}

/* ---- telling `up` --------------------------------------------------------- */

struct hold {
	const struct hold_opts *o;
	int told;                  /* `up` has its answer */
};

/* "ready" or "error\n<message>", NUL-terminated; `up` reads to the NUL. */
static void tell(struct hold *h, const char *what, const char *message)
{
	char buf[4096];
	int n = snprintf(buf, sizeof(buf) - 1, "%s%s%s", what, message ? "\n" : "", message ? message : "");

	if (n < 0 || (size_t)n >= sizeof(buf) - 1)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\0';
	for (const char *p = buf; n > 0;) {
		ssize_t w = write(h->o->ready_fd, p, (size_t)n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;   /* `up` is gone: the registry still says what is held */
		p += w;
		n -= (int)w;
	}
	close(h->o->ready_fd);
	h->told = 1;
}

/* This process's pid as the host sees it: "self" of the host's /proc. */
static pid_t host_pid(int proc_fd)
{
	char buf[32];
	ssize_t n = readlinkat(proc_fd, "self", buf, sizeof(buf) - 1);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return (pid_t)atoi(buf);
}

/* The run's lab as a registry entry (nodes and links point into r->lab). */
static int describe(const struct hold_opts *o, const struct run *r, struct labstate *s)
{
	const struct lab *lab = r->lab;
	struct stat st;

	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", o->name);
	snprintf(s->file, sizeof(s->file), "%s", o->abs_file);
	snprintf(s->results, sizeof(s->results), "%s", r->dir);
	s->init = host_pid(o->proc_fd);
	s->init_start = labstate_starttime(o->proc_fd, s->init);
	s->pidns = stat("/proc/self/ns/pid", &st) == 0 ? (unsigned long long)st.st_ino : 0;
	s->t0 = (double)r->t0.tv_sec + (double)r->t0.tv_usec / 1e6;
	s->switch_fd = lab->switch_nsfd;
	s->nnodes = lab->topo.nnodes;
	s->nlinks = lab->topo.nlinks;
	s->nodes = calloc(s->nnodes ? s->nnodes : 1, sizeof(*s->nodes));
	s->links = calloc(s->nlinks ? s->nlinks : 1, sizeof(*s->links));
	if (s->init <= 0 || s->nodes == NULL || s->links == NULL)
		return -1;
	for (size_t i = 0; i < s->nnodes; i++) {
		snprintf(s->nodes[i].name, sizeof(s->nodes[i].name), "%s", lab->topo.nodes[i].name);
		s->nodes[i].fd = lab->nodes[i].nsfd;
		s->nodes[i].router = lab->topo.nodes[i].kind == TOPO_ROUTER;
	}
	for (size_t i = 0; i < s->nlinks; i++) {
		const struct topo_link *l = &lab->topo.links[i];
		struct labstate_link *sl = &s->links[i];
		snprintf(sl->name, sizeof(sl->name), "%s", l->name);
		if (l->nmembers == 2) {
			snprintf(sl->ifname, sizeof(sl->ifname), "%s", l->name);
			sl->ends[0] = l->members[0].node;
			sl->ends[1] = l->members[1].node;
		} else {
			/* The bridge's name as lab.c's make_link gives it. */
			sl->bridge = 1;
			snprintf(sl->ifname, sizeof(sl->ifname), "br%u", (unsigned)i % 100000u);
		}
	}
	return 0;
}

/* run_pause.ready: record the lab, then tell `up`. */
static int on_ready(void *ctx, const struct run *r, char *err, size_t errlen)
{
	struct hold *h = ctx;
	struct labstate s;
	int rc;

	if (describe(h->o, r, &s) < 0) {
		snprintf(err, errlen, "cannot describe the lab for the registry");
		labstate_free(&s);
		return -1;
	}
	rc = labstate_write(h->o->registry_fd, &s, err, errlen);
	labstate_free(&s);
	if (rc == 0)
		tell(h, "ready", NULL);
	return rc;
}

/* ---- holding ---------------------------------------------------------------- */

/* The two-line scenario that holds a topology file: <run>/up.lua. */
static int write_wrapper(const struct hold_opts *o, char *path, size_t len, char *err, size_t errlen)
{
	FILE *f;

	snprintf(path, len, "%s/up.lua", o->run_dir);
	if ((f = fopen(path, "we")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	fprintf(f, "-- written by vpnlab up: the topology %s, started and held\nvpnlab.start(\"", o->abs_file);
	for (const unsigned char *p = (const unsigned char *)o->abs_file; *p; p++)
		fprintf(f, (*p < 0x20 || *p == '"' || *p == '\\' || *p >= 0x7f) ? "\\%03u" : "%c", *p);
	fprintf(f, "\")\nvpnlab.pause()\n");
	if (fclose(f) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Why the lab never became ready, for `up` to print. */
static void why_not_ready(const struct hold_opts *o, const struct scenario_result *res,
                          const char *kernel, char *msg, size_t len)
{
	switch (res->end) {
	case SCENARIO_UNMET:
		snprintf(msg, len, "%s needs %s, which kernel %s lacks: live labs run on the host backend "
		         "(vpnlab run --backend vm runs it, but cannot hold it)", o->file, res->message, kernel);
		break;
	case SCENARIO_INTERRUPTED:
		snprintf(msg, len, "stopped before the lab was ready: %s", res->message);
		break;
	default:
		snprintf(msg, len, "%s", res->message[0] ? res->message : "the scenario ended without holding its lab");
	}
}

int hold_main(const struct hold_opts *o)
{
	struct runner rn;
	struct scenario_result res;
	struct tap top, sub;
	struct hold h = { o, 0 };
	struct run_pause pause = { on_ready, &h };
	char err[4400], wrapper[4200], tapcopy[4200], msg[3000];
	const char *path = o->file;

	if (isolate_enter(err, sizeof(err)) < 0 || netns_init(err, sizeof(err)) < 0) {
		tell(&h, "error", err);
		return 2;
	}
	if (runner_init(&rn, "host", 1.0, o->timeout) < 0) {
		tell(&h, "error", "cannot watch signals");
		return 2;
	}
	if (o->topology) {
		if (write_wrapper(o, wrapper, sizeof(wrapper), err, sizeof(err)) < 0) {
			tell(&h, "error", err);
			return 2;
		}
		path = wrapper;
	}
	mkdir("/run/vpnlab/1", 0700);
	tap_init(&top, stdout, 0);
	tap_version(&top);
	tap_comment(&top, "vpnlab up %s: %s, held until vpnlab down", o->name, o->file);
	tap_init(&sub, stdout, 1);
	tap_subtest_defer(&sub, o->file);
	snprintf(tapcopy, sizeof(tapcopy), "%s/tap.txt", o->scenario_dir);
	sub.copy = fopen(tapcopy, "we");
	struct scenario_opts so = {
		.path = path, .dir = o->scenario_dir, .rundir = "/run/vpnlab/1", .libdir = datadir_lua(),
		.srcdir = datadir_root(), .backend = "host", .time_scale = 1.0, .timeout = rn.timeout,
		.features = &rn.features, .loop = &rn.loop, .tap = &sub, .pause = &pause,
	};
	scenario_run(&so, &res);
	tap_plan(&sub);
	if (sub.copy != NULL)
		fclose(sub.copy);
	if (!h.told) {
		why_not_ready(o, &res, rn.kernel, msg, sizeof(msg));
		tap_point(&top, 0, NULL, "%s: %s", o->file, msg);
		tell(&h, "error", msg);
	} else {
		tap_point(&top, 1, NULL, "%s: held as lab %s until %s", o->file, o->name,
		          res.end == SCENARIO_INTERRUPTED ? "a signal (vpnlab down)" : "its end");
	}
	tap_comment(&top, "timing: lab up %.1f ms, teardown %.1f ms", res.lab_up * 1e3, res.teardown * 1e3);
	tap_plan(&top);
	runner_free(&rn);
	fflush(stdout);
	return h.told ? 0 : 2;
}
