/*
** livejoin.c: `vpnlab exec LAB NODE -- CMD...` and `vpnlab shell LAB NODE`:
** a command (or an interactive shell) in a node of a live lab, with the
** node's network namespace and its daemons' view of the files (swanctl finds
** charon's socket), in the lab's PID namespace (so `down` ends it). The
** command runs in the foreground and its exit status is passed through
** (128 + N for a signal), so a vpnlab error is 2 only before it starts.
*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/livelab.h"
#include "lab/labjoin.h"

/* In the child: the command, never returning. */
static void run_command(struct labjoin *j, int netns, const char *node, char *const *argv)
{
	char err[600];

	if (labjoin_node_view(j, netns, err, sizeof(err)) < 0) {
		fprintf(stderr, "vpnlab: %s\n", err);
		_exit(2);
	}
	setenv("VPNLAB_LAB", j->s->name, 1);
	setenv("VPNLAB_NODE", node, 1);
	execvp(argv[0], argv);
	fprintf(stderr, "vpnlab: %s: %s\n", argv[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

/* Run argv in node of lab; returns its exit status, or 2 when it could not be started. */
static int in_node(const char *lab, const char *node, char *const *argv)
{
	struct labstate s;
	struct labjoin j;
	char err[600];
	int ni, netns, status;
	pid_t pid;

	if (livelab_read(lab, &s) < 0)
		return 2;
	if ((ni = livelab_node(&s, node)) < 0 || labjoin_open(&j, &s, err, sizeof(err)) < 0) {
		if (ni >= 0)
			fprintf(stderr, "vpnlab: %s\n", err);
		labstate_free(&s);
		return 2;
	}
	netns = labjoin_netns(&j, s.nodes[ni].fd, err, sizeof(err));
	if (netns < 0 || (pid = labjoin_fork(&j, err, sizeof(err))) < 0) {
		fprintf(stderr, "vpnlab: %s\n", err);
		if (netns >= 0)
			close(netns);
		labjoin_close(&j);
		labstate_free(&s);
		return 2;
	}
	if (pid == 0)
		run_command(&j, netns, node, argv);
	close(netns);
	labjoin_close(&j);
	status = labjoin_wait(pid);
	labstate_free(&s);
	if (status < 0)
		return 2;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int livelab_exec(int argc, char **argv)
{
	int first = 3;

	if (argc > 3 && !strcmp(argv[3], "--"))
		first = 4;
	if (argc <= first || argv[1][0] == '-') {
		fprintf(stderr, "usage: vpnlab exec LAB NODE [--] COMMAND [ARG...]\n");
		return 2;
	}
	return in_node(argv[1], argv[2], argv + first);
}

/*
** bash reads ~/.bashrc, which usually sets PS1: the prompt is set after it,
** from an rc file of our own (a memfd the shell inherits).
*/
static int bash_rcfile(const char *lab, const char *node, char *path, size_t len)
{
	char text[512];
	int fd = memfd_create("vpnlab-bashrc", 0), n;

	if (fd < 0)
		return -1;
	/* Lab and node names are [A-Za-z0-9_.-] (labstate_name_ok, topology names): safe in quotes. */
	n = snprintf(text, sizeof(text), "[ -f ~/.bashrc ] && . ~/.bashrc\nPS1='[%s:%s \\W]\\$ '\n", lab, node);
	if (write(fd, text, (size_t)n) != n) {
		close(fd);
		return -1;
	}
	snprintf(path, len, "/proc/self/fd/%d", fd);
	return fd;
}

static int safe_name(const char *s)
{
	return s[0] != '\0' && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == strlen(s);
}

int livelab_shell(int argc, char **argv)
{
	const char *shell = getenv("SHELL");
	char prompt[128], rc[64];
	int rcfd = -1, status;

	if (argc != 3) {
		fprintf(stderr, "usage: vpnlab shell LAB NODE\n");
		return 2;
	}
	if (shell == NULL || shell[0] != '/')
		shell = "/bin/bash";
	snprintf(prompt, sizeof(prompt), "[%s:%s]# ", argv[1], argv[2]);
	setenv("PS1", prompt, 1);
	const char *base = strrchr(shell, '/') + 1;
	if (!strcmp(base, "bash") && safe_name(argv[1]) && safe_name(argv[2]))
		rcfd = bash_rcfile(argv[1], argv[2], rc, sizeof(rc));
	char *bash_argv[] = { (char *)shell, "--rcfile", rc, "-i", NULL };
	char *sh_argv[] = { (char *)shell, "-i", NULL };
	status = in_node(argv[1], argv[2], rcfd >= 0 ? bash_argv : sh_argv);
	if (rcfd >= 0)
		close(rcfd);
	return status;
}
