/*
** check.c: `vpnlab check FILE.pcap ASSERTIONS.lua`. The scenario API's wire
** assertions over a capture a user brings: the file is decoded into a
** timeline (wire/pcapfile.c), its links are handed to the assertion binding
** (bind/lua_expect.c reads them from the registry, see CAPTURE_KEY there)
** and the assertions file runs in a sandbox built by lua/vpnlab/check.lua.
** No lab, no namespaces, no root. TAP on stdout; exit 0 when every point
** passed, 1 when one failed, 2 on bad input (a missing or unreadable
** capture, a Lua error with file:line, an unknown link, no test point).
*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lualib.h>

#include "bind/luax.h"
#include "cli/commands.h"
#include "run/tap.h"
#include "util/datadir.h"
#include "wire/pcapfile.h"
#include "wire/timeline.h"

static int usage(void)
{
	fprintf(stderr, "usage: vpnlab check FILE.pcap ASSERTIONS.lua\n"
	        "  runs the assertions (seen, never, count, transition, ok, is) of ASSERTIONS.lua over\n"
	        "  the capture; its links are vpnlab.links[<file stem>] (\"stem:ifname\" for each\n"
	        "  interface of a pcapng) and vpnlab.capture (all of them). TAP on stdout.\n"
	        "Exit status: 0 all points pass, 1 a point failed, 2 bad input.\n");
	return 2;
}

/* The registry table bind/lua_expect.c reads: { pcap = path, names... }. */
static void set_capture(lua_State *L, const char *pcap, char **names, size_t nlinks)
{
	lua_createtable(L, (int)nlinks, 1);
	for (size_t i = 0; i < nlinks; i++) {
		lua_pushstring(L, names[i]);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	lua_pushstring(L, pcap);
	lua_setfield(L, -2, "pcap");
	lua_setfield(L, LUA_REGISTRYINDEX, "vpnlab.capture");
}

/*
** Run the check file through vpnlab.check.run. 0 when it ran to its end,
** -1 with the error (file:line first) in err.
*/
static int run_check(lua_State *L, const char *libdir, const char *path, const char *pcap,
                     char **names, size_t nlinks, char *err, size_t errlen)
{
	lua_getglobal(L, "package");
	lua_pushfstring(L, "%s/?.lua;%s/?/init.lua", libdir, libdir);
	lua_setfield(L, -2, "path");
	lua_pushliteral(L, "");
	lua_setfield(L, -2, "cpath");
	lua_getfield(L, -1, "preload");
	lua_pushcfunction(L, lx_luaopen_core);
	lua_setfield(L, -2, "vpnlab.core");
	lua_pop(L, 2);

	lua_getglobal(L, "require");
	lua_pushliteral(L, "vpnlab.check");
	if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
		snprintf(err, errlen, "%s", lua_tostring(L, -1));
		return -1;
	}
	lua_getfield(L, -1, "run");
	lua_pushstring(L, path);
	lua_pushstring(L, pcap);
	lua_createtable(L, (int)nlinks, 0);
	for (size_t i = 0; i < nlinks; i++) {
		lua_pushstring(L, names[i]);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	if (lua_pcall(L, 3, 2, 0) != LUA_OK) {
		snprintf(err, errlen, "%s", lua_tostring(L, -1));
		return -1;
	}
	if (!lua_toboolean(L, -2)) {
		const char *msg = lua_tostring(L, -1);
		snprintf(err, errlen, "%s", msg ? msg : "(error without a message)");
		return -1;
	}
	return 0;
}

int cmd_check(int argc, char **argv)
{
	const char *pcap, *path;
	char err[2048] = "";
	char **names = NULL;
	size_t nlinks = 0;
	int truncated = 0, status;
	struct run r;
	struct loop loop;
	struct tap tap;

	if (argc != 3 || argv[1][0] == '-' || argv[2][0] == '-')
		return usage();
	pcap = argv[1];
	path = argv[2];
	if (access(path, R_OK) < 0) {
		fprintf(stderr, "vpnlab check: %s: %s\n", path, strerror(errno));
		return 2;
	}

	memset(&r, 0, sizeof(r));
	timeline_init(&r.tl);
	if (pcapfile_load(pcap, &r.tl, &names, &nlinks, &truncated, err, sizeof(err)) < 0) {
		/* The reader's message does not always name the file. */
		fprintf(stderr, "vpnlab check: %s%s%s\n", strstr(err, pcap) ? "" : pcap,
		        strstr(err, pcap) ? "" : ": ", err);
		timeline_free(&r.tl);
		return 2;
	}
	if (truncated)
		fprintf(stderr, "vpnlab check: warning: %s (checking the frames before the cut)\n", err);

	loop_init(&loop);
	tap_init(&tap, stdout, 0);
	r.loop = &loop;
	r.tap = &tap;
	r.mono0 = loop_now();
	r.time_scale = 1.0;
	r.libdir = datadir_lua();
	r.srcdir = datadir_root();
	r.scenario = path;
	r.backend = "check";

	lua_State *L = luaL_newstate();
	if (L == NULL) {
		fprintf(stderr, "vpnlab check: cannot create a Lua state\n");
		status = 2;
		goto out;
	}
	luaL_openlibs(L);
	lx_set_run(L, &r);
	set_capture(L, pcap, names, nlinks);
	tap_version(&tap);
	tap_comment(&tap, "check %s: %zu packets on %zu link%s%s", pcap, r.tl.n, nlinks,
	            nlinks == 1 ? "" : "s", truncated ? " (truncated file)" : "");
	for (size_t i = 0; i < nlinks; i++)
		tap_comment(&tap, "link %s", names[i]);
	if (run_check(L, r.libdir, path, pcap, names, nlinks, err, sizeof(err)) < 0) {
		fprintf(stdout, "Bail out! %.*s\n", (int)strcspn(err, "\n"), err);
		fprintf(stderr, "vpnlab check: %s\n", err);
		status = 2;
	} else if (tap.count == 0) {
		fprintf(stderr, "vpnlab check: %s: the check file ended without a single test point\n", path);
		status = 2;
	} else {
		tap_plan(&tap);
		status = tap.failed > 0 ? 1 : 0;
	}
	lua_close(L);
out:
	fflush(stdout);
	loop_free(&loop);
	timeline_free(&r.tl);
	pcapfile_free_names(names, nlinks);
	return status;
}
