/*
** livelab.c: `vpnlab up|exec|shell|capture|down|ls`, a lab kept running in
** the background, the one documented exception to "nothing outlives a run".
** This file dispatches and does `up`: it registers the lab, forks the
** detached holder (run/hold.c) and returns once the lab is ready, or with
** the scenario's error (file:line) and nothing left running.
*/
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/livelab.h"
#include "lab/labstate.h"
#include "run/hold.h"

static const char *const usages[][2] = {
	{ "up", "vpnlab up [--name NAME] [--results DIR] [--timeout SECONDS] TOPOLOGY|SCENARIO\n"
	        "  build the lab (a scenario: up to its vpnlab.pause() or its end) and keep it\n"
	        "  running in the background, on the host backend; NAME defaults to the file's name" },
	{ "exec", "vpnlab exec LAB NODE [--] COMMAND [ARG...]\n"
	          "  run COMMAND in NODE's namespaces (its daemons' /run); its exit status is passed through" },
	{ "shell", "vpnlab shell LAB NODE\n  an interactive $SHELL (default /bin/bash) in NODE's namespaces" },
	{ "capture", "vpnlab capture LAB LINK [--count N] [--json]\n"
	             "  LINK's frames decoded as they pass, until ^C or N frames" },
	{ "down", "vpnlab down [--timeout SECONDS] LAB...|--all\n"
	          "  stop the lab (its scenario's teardown) and remove it; a dead lab is cleaned" },
	{ "ls", "vpnlab ls\n  the live labs: name, state (running, starting, dead), holder pid, age, file,\n"
	        "  nodes, links" },
};

int cmd_livelab(int argc, char **argv)
{
	const char *cmd = argv[0];

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		for (size_t i = 0; i < sizeof(usages) / sizeof(usages[0]); i++)
			if (!strcmp(usages[i][0], cmd))
				printf("usage: %s\n", usages[i][1]);
		return 0;
	}

	if (!strcmp(cmd, "up"))
		return livelab_up(argc, argv);
	if (!strcmp(cmd, "down"))
		return livelab_down(argc, argv);
	if (!strcmp(cmd, "ls"))
		return livelab_ls(argc, argv);
	if (!strcmp(cmd, "exec"))
		return livelab_exec(argc, argv);
	if (!strcmp(cmd, "shell"))
		return livelab_shell(argc, argv);
	if (!strcmp(cmd, "capture"))
		return livelab_capture(argc, argv);
	fprintf(stderr, "vpnlab: unknown live lab command '%s'\n", cmd);
	return 2;
}

int livelab_read(const char *name, struct labstate *s)
{
	char err[600];

	if (labstate_read(name, s, err, sizeof(err)) < 0) {
		fprintf(stderr, "vpnlab: %s\n", err);
		return -1;
	}
	return 0;
}

int livelab_node(const struct labstate *s, const char *name)
{
	int i = labstate_node_index(s, name);

	if (i >= 0)
		return i;
	fprintf(stderr, "vpnlab: lab '%s' has no node '%s' (its nodes:", s->name, name);
	for (size_t k = 0; k < s->nnodes; k++)
		fprintf(stderr, " %s", s->nodes[k].name);
	fprintf(stderr, ")\n");
	return -1;
}

/* ---- up ------------------------------------------------------------------------ */

static volatile sig_atomic_t up_signal;

static void on_up_signal(int sig)
{
	up_signal = sig;
}

static int up_usage(void)
{
	fprintf(stderr, "usage: %s\n", usages[0][1]);
	return 2;
}

/* results/<YYYYmmdd-HHMMSS>-<pid> and the scenario's folder <name> in it, both absolute. */
static int make_dirs(const char *root, const char *name, char *run, size_t runlen, char *scen,
                     size_t scenlen)
{
	char stamp[32], abs[PATH_MAX];
	time_t now = time(NULL);

	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", localtime(&now));
	if ((mkdir(root, 0755) < 0 && errno != EEXIST) || realpath(root, abs) == NULL) {
		fprintf(stderr, "vpnlab: %s: %s\n", root, strerror(errno));
		return -1;
	}
	snprintf(run, runlen, "%.3900s/%s-%d", abs, stamp, (int)getpid());
	snprintf(scen, scenlen, "%.3900s/%s-%d/%s", abs, stamp, (int)getpid(), name);
	if (mkdir(run, 0755) < 0 || mkdir(scen, 0755) < 0) {
		fprintf(stderr, "vpnlab: cannot create %s: %s\n", scen, strerror(errno));
		return -1;
	}
	return 0;
}

/* The lab's default name: the file's name without folder and ".lua". */
static void default_name(const char *file, char *out, size_t len)
{
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	size_t n = strlen(base);

	if (n > 4 && !strcmp(base + n - 4, ".lua"))
		n -= 4;
	snprintf(out, len, "%.*s", (int)n, base);
}

/* Read the holder's answer up to its NUL. 1 ready, 0 an error (msg), -1 no answer (EOF) or a signal. */
static int await_ready(int fd, char *msg, size_t len)
{
	size_t got = 0;

	while (got + 1 < len) {
		ssize_t n = read(fd, msg + got, len - 1 - got);
		if (n < 0 && errno == EINTR && !up_signal)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (memchr(msg, '\0', got) != NULL)
			break;
	}
	msg[got < len ? got : len - 1] = '\0';
	if (got == 0 || memchr(msg, '\0', got) == NULL)
		return -1;
	if (!strcmp(msg, "ready"))
		return 1;
	if (!strncmp(msg, "error\n", 6)) {
		memmove(msg, msg + 6, strlen(msg + 6) + 1);
		return 0;
	}
	return -1;
}

static void print_ready(const char *name, const char *file, const char *run)
{
	struct labstate s;

	if (livelab_read(name, &s) < 0)
		return;
	printf("lab %s is up: %s\n  nodes:  ", name, file);
	for (size_t i = 0; i < s.nnodes; i++)
		printf("%s%s", i ? " " : "", s.nodes[i].name);
	printf("\n  links:  ");
	for (size_t i = 0; i < s.nlinks; i++) {
		if (s.links[i].bridge)
			printf("%s%s (segment)", i ? "  " : "", s.links[i].name);
		else
			printf("%s%s (%s, %s)", i ? "  " : "", s.links[i].name, s.nodes[s.links[i].ends[0]].name,
			       s.nodes[s.links[i].ends[1]].name);
	}
	printf("\n  results: %s (holder's log: %s/holder.log)\n", s.results, run);
	printf("  vpnlab exec %s NODE -- CMD | shell %s NODE | capture %s LINK | down %s\n", name, name,
	       name, name);
	labstate_free(&s);
}

static int cmp_int(const void *a, const void *b)
{
	return (*(const int *)a > *(const int *)b) - (*(const int *)a < *(const int *)b);
}

/*
** Close every descriptor from 3 on but the holder's own: one inherited from
** whoever ran `up` (a pipe a script reads to its end) would be held open
** until `down`.
*/
static void close_inherited(const struct hold_opts *ho)
{
	int keep[3] = { ho->registry_fd, ho->proc_fd, ho->ready_fd };
	unsigned from = 3;

	qsort(keep, 3, sizeof(keep[0]), cmp_int);
	for (int i = 0; i < 3; i++) {
		if ((unsigned)keep[i] > from)
			close_range(from, (unsigned)keep[i] - 1, 0);
		if ((unsigned)keep[i] + 1 > from)
			from = (unsigned)keep[i] + 1;
	}
	close_range(from, ~0U, 0);
}

/* In the holder: detach, put stdio on the log, hold. Never returns. */
static void holder(const struct hold_opts *ho, int unused_fd)
{
	char log[PATH_MAX + 16];
	int fd, null;

	close(unused_fd);
	close_inherited(ho);
	setsid();   /* no terminal: its hangup or ^C is not the lab's */
	snprintf(log, sizeof(log), "%s/holder.log", ho->run_dir);
	fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || null < 0 || dup2(null, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
		_exit(2);
	close(fd);
	close(null);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	_exit(hold_main(ho));
}

/* After a failed start: the holder is waited for, its registry entry removed. */
static void abandon(const char *name, pid_t pid, int stop)
{
	if (stop)
		kill(pid, SIGTERM);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	labstate_remove(name);
}

struct up_args {
	const char *name, *results, *file;
	double timeout;
};

static int parse_up(int argc, char **argv, struct up_args *a)
{
	a->name = NULL;
	a->results = "results";
	a->file = NULL;
	a->timeout = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--name") && i + 1 < argc)
			a->name = argv[++i];
		else if (!strcmp(argv[i], "--results") && i + 1 < argc)
			a->results = argv[++i];
		else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) {
			char *end;
			a->timeout = strtod(argv[++i], &end);
			if (*end != '\0' || !(a->timeout > 0)) {
				fprintf(stderr, "vpnlab: up: --timeout needs a number of seconds above 0, not '%s'\n", argv[i]);
				return -1;
			}
		} else if (argv[i][0] == '-' || a->file != NULL) {
			up_usage();
			return -1;
		} else {
			a->file = argv[i];
		}
	}
	if (a->file == NULL) {
		up_usage();
		return -1;
	}
	return 0;
}

int livelab_up(int argc, char **argv)
{
	struct up_args a;
	char name[LABSTATE_NAME_MAX + 8], abs[PATH_MAX], run[PATH_MAX], scen[PATH_MAX], err[600], msg[4096];
	int ready[2], regfd, procfd, topology, answer;
	pid_t pid;

	if (parse_up(argc, argv, &a) < 0)
		return 2;
	default_name(a.file, name, sizeof(name));
	if (a.name != NULL)
		snprintf(name, sizeof(name), "%s", a.name);
	if (!labstate_name_ok(name)) {
		fprintf(stderr, "vpnlab: up: '%s' is not a lab name (letters, digits, '_', '.', '-', at most %d; "
		        "choose one with --name)\n", name, LABSTATE_NAME_MAX - 1);
		return 2;
	}
	if (realpath(a.file, abs) == NULL) {
		fprintf(stderr, "vpnlab: up: %s: %s\n", a.file, strerror(errno));
		return 2;
	}
	if ((topology = hold_is_topology(abs, err, sizeof(err))) < 0) {
		fprintf(stderr, "vpnlab: up: %s\n", err);
		return 2;
	}
	if ((regfd = labstate_create(name, err, sizeof(err))) < 0) {
		fprintf(stderr, "vpnlab: up: %s\n", err);
		return 2;
	}
	procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (make_dirs(a.results, name, run, sizeof(run), scen, sizeof(scen)) < 0 || procfd < 0 ||
	    pipe2(ready, O_CLOEXEC) < 0) {
		if (procfd < 0)
			fprintf(stderr, "vpnlab: up: /proc: %s\n", strerror(errno));
		labstate_remove(name);
		return 2;
	}
	struct hold_opts ho = {
		.name = name, .file = a.file, .abs_file = abs, .topology = topology, .run_dir = run,
		.scenario_dir = scen, .timeout = a.timeout, .registry_fd = regfd, .proc_fd = procfd,
		.ready_fd = ready[1],
	};
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_up_signal;   /* no SA_RESTART: the read below returns */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) < 0) {
		fprintf(stderr, "vpnlab: up: fork: %s\n", strerror(errno));
		labstate_remove(name);
		return 2;
	}
	if (pid == 0)
		holder(&ho, ready[0]);
	close(ready[1]);
	close(procfd);
	labstate_write_holder(regfd, pid, labstate_starttime(AT_FDCWD, pid));
	close(regfd);
	answer = await_ready(ready[0], msg, sizeof(msg));
	close(ready[0]);
	if (answer == 1) {
		print_ready(name, a.file, run);
		return 0;
	}
	abandon(name, pid, up_signal != 0);
	if (up_signal) {
		fprintf(stderr, "vpnlab: up: interrupted by SIG%s; the lab was stopped\n", sigabbrev_np(up_signal));
		return 128 + up_signal;
	}
	if (answer == 0)
		fprintf(stderr, "vpnlab: up: %s\nvpnlab: up: nothing is left running; results in %s\n", msg, scen);
	else
		fprintf(stderr, "vpnlab: up: the lab's holder ended before the lab was ready (see %s/holder.log)\n", run);
	return 2;
}
