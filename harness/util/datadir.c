/*
** datadir.c: see datadir.h. The folder is looked up once per process: the
** executable does not move while it runs.
*/
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/datadir.h"

/* <dir of /proc/self/exe>/../share/vpnlab, resolved, if it holds lua/vpnlab.lua; else -1. */
static int beside_executable(char *out, size_t len)
{
	char exe[PATH_MAX], share[PATH_MAX + 32], probe[PATH_MAX + 64], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return -1;
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) == NULL)
		return -1;
	*slash = '\0';
	snprintf(share, sizeof(share), "%s/../share/vpnlab", exe);
	snprintf(probe, sizeof(probe), "%s/lua/vpnlab.lua", share);
	if (access(probe, R_OK) != 0 || realpath(share, exe) == NULL)
		return -1;
	snprintf(out, len, "%s", exe);
	return 0;
}

const char *datadir_root(void)
{
	static char root[PATH_MAX];
	const char *env = getenv("VPNLAB_SRCDIR");

	if (env != NULL && *env)
		return env;
	if (root[0] == '\0' && beside_executable(root, sizeof(root)) < 0)
		snprintf(root, sizeof(root), "%s", VPNLAB_SRCDIR);
	return root;
}

const char *datadir_lua(void)
{
	static char lua[PATH_MAX + 8];
	const char *env = getenv("VPNLAB_LUA_DIR");

	if (env != NULL && *env)
		return env;
	if (lua[0] == '\0')
		snprintf(lua, sizeof(lua), "%s/lua", datadir_root());
	return lua;
}
