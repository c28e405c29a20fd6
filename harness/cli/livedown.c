/*
** livedown.c: `vpnlab down LAB...|--all` and `vpnlab ls`. Down asks the
** holder to stop (SIGTERM: the scenario is interrupted at its pause and
** torn down as a run's), waits until it is gone, then makes sure: the lab's
** PID-1 process and anything still in its PID namespace are killed, and the
** registry entry is removed. A lab whose holder was killed is cleaned the
** same way; its namespaces died with its PID 1.
*/
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cli/livelab.h"
#include "lab/labstate.h"

#define DOWN_TIMEOUT 30.0   /* seconds for the scenario's teardown before SIGKILL */

/* Wait up to seconds until the process started at start has ended. 1 gone, 0 still there. */
static int wait_gone(pid_t pid, unsigned long long start, double seconds)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	int gone;

	if (fd < 0)
		return 1;   /* ESRCH: no such process */
	/* Opened after the check could have been a recycled pid: check it is still the same one. */
	if (!labstate_alive(pid, start)) {
		close(fd);
		return 1;
	}
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int rc;
	while ((rc = poll(&p, 1, (int)(seconds * 1000))) < 0 && errno == EINTR)
		;
	gone = rc > 0 || !labstate_alive(pid, start);
	close(fd);
	return gone;
}

/* Stop the process (pid, start) with SIGTERM, then SIGKILL after timeout. 1 if it had to be killed. */
static int stop_process(pid_t pid, unsigned long long start, int sig, double timeout)
{
	if (!labstate_alive(pid, start))
		return 0;
	kill(pid, sig);
	if (wait_gone(pid, start, timeout))
		return 0;
	if (labstate_alive(pid, start))
		kill(pid, SIGKILL);
	wait_gone(pid, start, 5.0);
	return 1;
}

/* Processes in the PID namespace with inode ns: SIGKILLed; returns how many were found. */
static int kill_pidns(unsigned long long ns)
{
	char path[300];
	struct stat st;
	struct dirent *de;
	DIR *d;
	int found = 0;

	if (ns == 0 || (d = opendir("/proc")) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		if (*end != '\0' || pid <= 0 || pid == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/ns/pid", pid);
		if (stat(path, &st) == 0 && (unsigned long long)st.st_ino == ns) {
			kill((pid_t)pid, SIGKILL);
			found++;
		}
	}
	closedir(d);
	return found;
}

/* Stop lab name and remove its entry. 0, or -1 (no such lab, or it would not go). */
static int down_one(const char *name, double timeout)
{
	struct labstate s;
	int was_running, left = 0, killed;

	if (livelab_read(name, &s) < 0)
		return -1;
	was_running = labstate_alive(s.holder, s.holder_start);
	killed = stop_process(s.holder, s.holder_start, SIGTERM, timeout);
	/* PDEATHSIG ends PID 1 with its holder; a leftover means something else went wrong. */
	if (s.built && stop_process(s.init, s.init_start, SIGKILL, 5.0))
		killed = 1;
	if (s.built) {
		for (int tries = 0; tries < 50 && (left = kill_pidns(s.pidns)) > 0; tries++)
			usleep(100000);
	}
	if (labstate_alive(s.holder, s.holder_start) || (s.built && labstate_alive(s.init, s.init_start)) || left) {
		fprintf(stderr, "vpnlab: down %s: the lab's processes would not end (holder %d)\n", name, (int)s.holder);
		labstate_free(&s);
		return -1;
	}
	labstate_remove(name);
	if (was_running)
		printf("lab %s is down%s%s%s\n", name, killed ? " (its holder had to be killed)" : "",
		       s.built ? "; results in " : "", s.built ? s.results : "");
	else
		printf("lab %s was dead (its holder%s had gone); its entry is removed\n", name,
		       s.holder > 0 ? " process" : "");
	labstate_free(&s);
	return 0;
}

int livelab_down(int argc, char **argv)
{
	double timeout = DOWN_TIMEOUT;
	int all = 0, named = 0, rc = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--all"))
			all = 1;
		else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) {
			char *end;
			timeout = strtod(argv[++i], &end);
			if (*end != '\0' || !(timeout > 0)) {
				fprintf(stderr, "vpnlab: down: --timeout needs a number of seconds above 0\n");
				return 2;
			}
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "vpnlab: down: unknown option '%s'\n", argv[i]);
			return 2;
		} else {
			named++;
		}
	}
	if (all == (named > 0)) {
		fprintf(stderr, "usage: vpnlab down [--timeout SECONDS] LAB...|--all\n");
		return 2;
	}
	if (all) {
		char **names;
		int n = labstate_names(&names);
		if (n < 0) {
			fprintf(stderr, "vpnlab: down: cannot list %s\n", labstate_root());
			return 2;
		}
		for (int i = 0; i < n; i++)
			if (down_one(names[i], timeout) < 0)
				rc = 2;
		if (n == 0)
			printf("no live labs\n");
		labstate_names_free(names);
		return rc;
	}
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--timeout"))
			i++;
		else if (argv[i][0] != '-' && down_one(argv[i], timeout) < 0)
			rc = 2;
	}
	return rc;
}

/* ---- ls ----------------------------------------------------------------------- */

/* "42s", "3m05s", "2h07m", "3d04h" */
static void fmt_age(char *buf, size_t len, long secs)
{
	if (secs < 0)
		snprintf(buf, len, "-");
	else if (secs < 60)
		snprintf(buf, len, "%lds", secs);
	else if (secs < 3600)
		snprintf(buf, len, "%ldm%02lds", secs / 60, secs % 60);
	else if (secs < 86400)
		snprintf(buf, len, "%ldh%02ldm", secs / 3600, secs % 3600 / 60);
	else
		snprintf(buf, len, "%ldd%02ldh", secs / 86400, secs % 86400 / 3600);
}

/* The file as the user would name it: relative to the working folder when below it. */
static const char *shown_path(const char *path)
{
	static char cwd[PATH_MAX];
	size_t n;

	if (getcwd(cwd, sizeof(cwd)) == NULL || (n = strlen(cwd)) <= 1 || strncmp(path, cwd, n) != 0 ||
	    path[n] != '/')
		return path;
	return path + n + 1;
}

static void ls_one(const char *name)
{
	struct labstate s;
	struct stat st;
	char path[PATH_MAX + 64], age[32];
	const char *state;

	if (livelab_read(name, &s) < 0)
		return;
	if (!labstate_alive(s.holder, s.holder_start))
		state = "dead";
	else if (!s.built)
		state = "starting";
	else
		state = labstate_alive(s.init, s.init_start) ? "running" : "dead";
	snprintf(path, sizeof(path), "%s/%s/holder", labstate_root(), name);
	if (stat(path, &st) < 0) {
		snprintf(path, sizeof(path), "%s/%s", labstate_root(), name);
		if (stat(path, &st) < 0)
			st.st_mtime = time(NULL);
	}
	fmt_age(age, sizeof(age), (long)(time(NULL) - st.st_mtime));
	printf("%-16s %-8s %-8d %-7s %-32s ", name, state, (int)s.holder, age, s.built ? shown_path(s.file) : "-");
	for (size_t i = 0; i < s.nnodes; i++)
		printf("%s%s", i ? "," : "", s.nodes[i].name);
	printf("%s", s.nnodes ? " " : "- ");
	for (size_t i = 0; i < s.nlinks; i++)
		printf("%s%s", i ? "," : "", s.links[i].name);
	printf("%s\n", s.nlinks ? "" : "-");
	labstate_free(&s);
}

int livelab_ls(int argc, char **argv)
{
	char **names;
	int n;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: vpnlab ls\n");
		return 2;
	}
	if ((n = labstate_names(&names)) < 0) {
		fprintf(stderr, "vpnlab: ls: cannot list %s\n", labstate_root());
		return 2;
	}
	if (n > 0)
		printf("%-16s %-8s %-8s %-7s %-32s %s %s\n", "NAME", "STATE", "PID", "AGE", "FILE", "NODES", "LINKS");
	for (int i = 0; i < n; i++)
		ls_one(names[i]);
	labstate_names_free(names);
	return 0;
}
