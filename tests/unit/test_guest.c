/*
** test_guest: the files the host's vm backend and the guest exchange: the
** argument file (written by one side, read by the other, so a round trip
** must be exact and bad input must be refused with file:line) and the
** status file (the authoritative outcome: an incomplete one must not read).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vm/guestfiles.h"
#include "unit.h"

static char dir[] = "/tmp/vpnlab-test-guest.XXXXXX";

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

static void test_round_trip(void)
{
	char path[256], err[256];
	char *files[] = { "/work/a b.lua", "/x/y.lua" };
	struct guest_args a = { .offset = 7, .time_scale = 4, .timeout = 12.5,
	                        .clock = 1763700000.25, .files = files, .nfiles = 2 };
	struct guest_args b;

	snprintf(a.cwd, sizeof(a.cwd), "/work/main");
	snprintf(a.results, sizeof(a.results), "/tmp/r,1/run");
	snprintf(a.accel, sizeof(a.accel), "tcg");
	snprintf(a.cache, sizeof(a.cache), "/root/.cache/vpnlab");
	snprintf(path, sizeof(path), "%s/args", dir);
	is_int(guest_args_write(path, &a, err, sizeof(err)), 0, "args: written");
	is_int(guest_args_read(path, &b, err, sizeof(err)), 0, "args: read back");
	is_str(b.cwd, "/work/main", "args: cwd");
	is_str(b.results, "/tmp/r,1/run", "args: results");
	is_int(b.offset, 7, "args: offset");
	ok(b.time_scale == 4.0, "args: time_scale");
	ok(b.timeout == 12.5, "args: the scenarios' time limit");
	ok(b.clock > 1763700000.2 && b.clock < 1763700000.3, "args: clock");
	is_str(b.accel, "tcg", "args: accel");
	is_str(b.cache, "/root/.cache/vpnlab", "args: the cache (the guest has no environment to find it)");
	is_int(b.nfiles, 2, "args: two files");
	is_str(b.nfiles > 0 ? b.files[0] : NULL, "/work/a b.lua", "args: a path with a space survives");
	is_str(b.nfiles > 1 ? b.files[1] : NULL, "/x/y.lua", "args: files keep their order");
	guest_args_free(&b);
	is_int(b.nfiles, 0, "args: free empties");
}

static void test_write_refuses(void)
{
	char path[256], err[256] = "";
	char *rel[] = { "relative.lua" }, *nl[] = { "/a\nb.lua" };
	struct guest_args a = { .time_scale = 1, .files = rel, .nfiles = 1 };

	snprintf(a.cwd, sizeof(a.cwd), "/");
	snprintf(a.results, sizeof(a.results), "/r");
	snprintf(path, sizeof(path), "%s/args2", dir);
	is_int(guest_args_write(path, &a, err, sizeof(err)), -1, "args: a relative scenario path is refused");
	ok(strstr(err, "relative.lua") != NULL, "args: the error names the path");
	a.files = nl;
	is_int(guest_args_write(path, &a, err, sizeof(err)), -1, "args: a path with a newline is refused");
	a.nfiles = 0;
	snprintf(a.results, sizeof(a.results), "/r\nx");
	is_int(guest_args_write(path, &a, err, sizeof(err)), -1, "args: a results folder with a newline is refused");
}

static void bad(const char *text, const char *want, const char *what)
{
	char path[256], err[256] = "";
	struct guest_args a;
	snprintf(path, sizeof(path), "%s/bad", dir);
	write_text(path, text);
	is_int(guest_args_read(path, &a, err, sizeof(err)), -1, what);
	if (!ok(strstr(err, want) != NULL, "  ... and the error says where"))
		printf("#   error '%s', want '%s'\n", err, want);
}

static void test_read_refuses(void)
{
	char path[256], err[256];
	struct guest_args a;

	bad("cwd /\nresults /r\nbogus 1\n", "bad:3: bad line", "read: an unknown key");
	bad("cwd /\nresults /r\nfile relative.lua\n", "bad:3:", "read: a relative scenario");
	bad("cwd /\nresults /r\ncache relative\n", "bad:3:", "read: a relative cache");
	bad("cwd /\nresults /r\noffset -1\n", "bad:3:", "read: a negative offset");
	bad("cwd /\nresults /r\ntime_scale 0\n", "bad:3:", "read: a zero time scale");
	bad("cwd /\nresults /r\ntime_scale 4x\n", "bad:3:", "read: trailing junk in a number");
	bad("cwd /\nresults /r\ntimeout 0\n", "bad:3:", "read: a zero time limit");
	bad("cwd /\nnospace\n", "bad:2:", "read: a line without a value");
	bad("# only a comment\ncwd /\n", "no results", "read: no results line");
	snprintf(path, sizeof(path), "%s/missing", dir);
	is_int(guest_args_read(path, &a, err, sizeof(err)), -1, "read: a missing file");
	ok(strstr(err, "missing") != NULL, "read: the error names the file");
}

static void test_status(void)
{
	char path[256];
	struct guest_status w = { 5, 3, 1, 0, 1, 0 }, r;

	snprintf(path, sizeof(path), "%s/status", dir);
	is_int(guest_status_write(path, &w), 0, "status: written");
	is_int(guest_status_read(path, &r), 0, "status: read back");
	ok(memcmp(&w, &r, sizeof(w)) == 0, "status: every count survives");
	ok(access(path, F_OK) == 0, "status: in place (renamed, no .tmp left)");
	write_text(path, "scenarios 5\npassed 3\nfailed 1\n");
	is_int(guest_status_read(path, &r), -1, "status: a truncated file does not read");
	write_text(path, "scenarios 5\npassed 3\nfailed 1\nerrors 0\nskipped 1\nbailed 0\n");
	is_int(guest_status_read(path, &r), -1, "status: without its end marker it does not read");
	unlink(path);
	is_int(guest_status_read(path, &r), -1, "status: a missing file does not read");
}

int main(void)
{
	if (mkdtemp(dir) == NULL)
		return 1;
	test_round_trip();
	test_write_refuses();
	test_read_refuses();
	test_status();
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return unit_done();
}
