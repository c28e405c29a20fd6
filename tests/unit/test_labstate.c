/*
** test_labstate.c: the live labs' registry (lab/labstate.c) and what `up`
** decides a file is (run/hold.c: hold_is_topology). Round trip of an entry,
** a second lab of a name refused, entries cut short or contradicting
** themselves read as never built (not trusted, still removable), recycled
** pids told apart by start time, listing and removal.
*/
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab/labstate.h"
#include "run/hold.h"
#include "unit.h"

static char root[256];

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f != NULL) {
		fputs(text, f);
		fclose(f);
	}
}

/* A lab folder with a `lab` file of the given text; returns what labstate_read makes of it. */
static int read_text(const char *name, const char *text, struct labstate *s)
{
	char path[512], err[256];

	snprintf(path, sizeof(path), "%s/%s", root, name);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/%s/lab", root, name);
	write_text(path, text);
	return labstate_read(name, s, err, sizeof(err));
}

static void test_names(void)
{
	ok(labstate_name_ok("home-nat"), "home-nat is a lab name");
	ok(labstate_name_ok("a.b_c-1"), "letters, digits, '.', '_', '-'");
	ok(!labstate_name_ok(""), "the empty name is not");
	ok(!labstate_name_ok(".hidden") && !labstate_name_ok("-x"), "a leading '.' or '-' is not");
	ok(!labstate_name_ok("a/b") && !labstate_name_ok("a b"), "'/' and spaces are not");
	ok(!labstate_name_ok("0123456789012345678901234567890123"), "34 characters are too many");
}

static void test_round_trip(void)
{
	struct labstate_node nodes[3] = { { "client", 7, 0 }, { "home", 8, 1 }, { "gw", 9, 0 } };
	struct labstate_link links[2] = { { "lan", 0, "lan", { 1, 0 } }, { "seg", 1, "br1", { 0, 0 } } };
	struct labstate w = { .name = "rt", .init = 4242, .init_start = 99, .pidns = 4026531836ULL,
	                      .t0 = 1700000000.25, .file = "/x/home nat.lua", .results = "/r/x",
	                      .switch_fd = 11, .nodes = nodes, .nnodes = 3, .links = links, .nlinks = 2 };
	struct labstate r;
	char err[256];
	int fd = labstate_create("rt", err, sizeof(err));

	ok(fd >= 0, "create a lab's folder");
	ok(labstate_create("rt", err, sizeof(err)) < 0 && errno == EEXIST, "a second lab of that name is refused");
	ok(strstr(err, "a lab named 'rt' exists") != NULL, "... saying so");
	ok(labstate_read("rt", &r, err, sizeof(err)) == 0 && !r.built && r.holder == 0,
	   "an entry without files reads as starting, no holder");
	ok(labstate_write_holder(fd, 1234, 5678) == 0, "write the holder");
	ok(labstate_write(fd, &w, err, sizeof(err)) == 0, "write the lab");
	close(fd);
	ok(labstate_read("rt", &r, err, sizeof(err)) == 0 && r.built, "read it back, built");
	is_int(r.holder, 1234, "holder pid");
	ok(r.holder_start == 5678 && r.init == 4242 && r.init_start == 99 && r.pidns == 4026531836ULL,
	   "init pid, start times, PID namespace");
	ok(r.t0 > 1700000000.24 && r.t0 < 1700000000.26, "t0");
	is_str(r.file, "/x/home nat.lua", "a path with a space");
	is_int(r.switch_fd, 11, "switch fd");
	ok(r.nnodes == 3 && r.nodes[1].fd == 8 && r.nodes[1].router && !r.nodes[0].router, "nodes, fds, kinds");
	ok(r.nlinks == 2 && !r.links[0].bridge && r.links[0].ends[0] == 1 && r.links[0].ends[1] == 0 &&
	   !strcmp(r.links[0].ifname, "lan"), "a veth link and its ends");
	ok(r.links[1].bridge && !strcmp(r.links[1].ifname, "br1"), "a bridged link and its bridge");
	is_int(labstate_node_index(&r, "gw"), 2, "node index");
	is_int(labstate_link_index(&r, "nosuch"), -1, "no such link");
	labstate_free(&r);

	strcpy(w.file, "/x/a\nb");
	fd = open(root, O_PATH | O_DIRECTORY);
	ok(labstate_write(fd, &w, err, sizeof(err)) < 0, "a path with a newline is refused");
	close(fd);
}

static void test_bad_entries(void)
{
	struct labstate s;
	const char *good = "file /f\nresults /r\ninit 10 20\npidns 30\nt0 1.5\nswitch -1\n"
	                   "node a 3 host\nnode b 4 router\nlink l veth a b\n";
	char text[1024];

	ok(read_text("good", good, &s) == 0 && s.built, "a whole entry is built");
	labstate_free(&s);
	snprintf(text, sizeof(text), "%sfuture key from a later version\n", good);
	ok(read_text("future", text, &s) == 0 && s.built, "an unknown key is ignored");
	labstate_free(&s);
	memcpy(text, good, strlen(good) - 1);   /* the last newline cut off */
	text[strlen(good) - 1] = '\0';
	ok(read_text("cut", text, &s) == 0 && !s.built, "a last line cut short: not built");
	ok(read_text("noinit", "file /f\nresults /r\n", &s) == 0 && !s.built, "no init: not built");
	snprintf(text, sizeof(text), "%slink m veth a c\n", good);
	ok(read_text("badend", text, &s) == 0 && !s.built, "a veth end naming no node: not built");
	snprintf(text, sizeof(text), "%snode c -1 host\n", good);
	ok(read_text("negfd", text, &s) == 0 && !s.built, "a negative descriptor: not built");
	snprintf(text, sizeof(text), "%snode %s 5 host\n", good, "a_name_much_longer_than_thirty_two_chars");
	ok(read_text("longname", text, &s) == 0 && !s.built, "a node name too long: not built");
	snprintf(text, sizeof(text), "%slink l2 bridge\n", good);
	ok(read_text("nobr", text, &s) == 0 && !s.built, "a bridge without its name: not built");
	ok(read_text("noval", "init\n", &s) == 0 && !s.built, "a key without a value: not built");
}

static void test_processes(void)
{
	unsigned long long me = labstate_starttime(AT_FDCWD, getpid());
	int procfd = open("/proc", O_PATH | O_DIRECTORY);

	ok(me > 0, "this process's start time");
	ok(labstate_starttime(procfd, getpid()) == me, "the same through a descriptor of /proc");
	ok(labstate_alive(getpid(), me), "alive with its start time");
	ok(!labstate_alive(getpid(), me + 1), "not with another start time (a recycled pid)");
	ok(!labstate_alive(0, me) && labstate_starttime(AT_FDCWD, 0) == 0, "pid 0 is no process");
	close(procfd);
}

static void test_list_remove(void)
{
	char **names, path[512], err[256];
	struct labstate s;
	int n;

	snprintf(path, sizeof(path), "%s/.not-a-lab", root);
	mkdir(path, 0700);
	n = labstate_names(&names);
	ok(n >= 3 && !strcmp(names[0], "badend") && names[n] == NULL, "names sorted, NULL-terminated");
	for (int i = 0; i < n; i++)
		ok(labstate_name_ok(names[i]), names[i]);
	labstate_names_free(names);
	ok(labstate_remove("rt") == 0 && labstate_read("rt", &s, err, sizeof(err)) < 0 && errno == ENOENT,
	   "removed: no such lab");
	ok(strstr(err, "no lab named 'rt'") != NULL, "... saying so");
	ok(labstate_read("../etc", &s, err, sizeof(err)) < 0, "a path is not a lab name");
	rmdir(path);
	n = labstate_names(&names);
	for (int i = 0; i < n; i++)
		labstate_remove(names[i]);
	labstate_names_free(names);
	ok(access(root, F_OK) < 0, "removing the last lab removes the empty root");
}

static void test_file_kind(void)
{
	char path[512], err[256];

	snprintf(path, sizeof(path), "%s.topo.lua", root);
	write_text(path, "-- a topology\nlocal n = string.format('%s', 'a')\n"
	                 "return { nodes = { [n] = { kind = 'host' } }, links = {} }\n");
	is_int(hold_is_topology(path, err, sizeof(err)), 1, "a file returning { nodes = ... } is a topology");
	write_text(path, "local net = vpnlab.start('home-nat')\nvpnlab.pause()\n");
	is_int(hold_is_topology(path, err, sizeof(err)), 0, "a scenario is not");
	write_text(path, "io.open('/tmp/x', 'w')\nreturn { nodes = {} }\n");
	is_int(hold_is_topology(path, err, sizeof(err)), 0, "io is not reachable while probing");
	write_text(path, "while true do end\n");
	is_int(hold_is_topology(path, err, sizeof(err)), 0, "an endless loop is stopped");
	write_text(path, "return {\n");
	is_int(hold_is_topology(path, err, sizeof(err)), 0, "a syntax error: left to the scenario run to report");
	unlink(path);
	is_int(hold_is_topology(path, err, sizeof(err)), -1, "a missing file is an error");
	ok(strstr(err, "No such file") != NULL, "... saying why");
}

int main(void)
{
	snprintf(root, sizeof(root), "/tmp/test_labstate.%d/labs", (int)getpid());
	setenv("VPNLAB_LABS", root, 1);
	test_names();
	test_round_trip();
	test_bad_entries();
	test_processes();
	test_list_remove();
	test_file_kind();
	snprintf(root, sizeof(root), "/tmp/test_labstate.%d", (int)getpid());
	rmdir(root);
	return unit_done();
}
