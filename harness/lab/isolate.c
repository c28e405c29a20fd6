/*
** isolate.c: see isolate.h. The parent only forwards termination signals
** and relays the exit status; all work happens in the child.
*/
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab/isolate.h"

static volatile pid_t child_pid;

static void forward_signal(int sig)
{
	if (child_pid > 0)
		kill(child_pid, sig);
}

static void parent_wait(pid_t pid, int lifeline)
{
	struct sigaction sa;
	int status;

	child_pid = pid;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = forward_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* SIGINT from a terminal reaches the child too; forwarding a second copy is harmless. */
	sigaction(SIGINT, &sa, NULL);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			_exit(2);
	}
	close(lifeline);
	/* _exit: this process only relays; exit-time hooks (LeakSanitizer's ptrace-based
	 * check cannot work across the PID namespace) must not replace the child's status. */
	fflush(stdout);
	if (WIFEXITED(status))
		_exit(WEXITSTATUS(status));
	/* The runner died without its own report: the TAP stream must not end as if complete. */
	printf("Bail out! the runner was killed by signal %d (SIG%s)\n", WTERMSIG(status),
	       sigabbrev_np(WTERMSIG(status)) ? sigabbrev_np(WTERMSIG(status)) : "?");
	fflush(stdout);
	_exit(128 + WTERMSIG(status));
}

/* Mounts the isolated child needs: nothing propagates back to the host. */
static int child_mounts(char *err, size_t errlen)
{
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		snprintf(err, errlen, "making mounts private: %s", strerror(errno));
		return -1;
	}
	/* A /proc of the new PID namespace, so daemons see their own PIDs. */
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
		snprintf(err, errlen, "mounting /proc: %s", strerror(errno));
		return -1;
	}
	/* A private /run: daemons' pid files and sockets never meet the host's. */
	if (mount("vpnlab-run", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0) {
		snprintf(err, errlen, "mounting a private /run: %s", strerror(errno));
		return -1;
	}
	mkdir("/run/vpnlab", 0700);
	return 0;
}

int isolate_enter(char *err, size_t errlen)
{
	int lifeline[2];
	pid_t pid;

	if (unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID) < 0) {
		snprintf(err, errlen, "cannot create namespaces (%s); vpnlab must run as root "
		         "on a kernel with network, mount and PID namespaces", strerror(errno));
		return -1;
	}
	if (pipe2(lifeline, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid > 0) {
		close(lifeline[0]);
		parent_wait(pid, lifeline[1]);
	}
	close(lifeline[1]);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* The parent may have died before PDEATHSIG was armed: its end of the pipe tells. */
	struct pollfd p = { .fd = lifeline[0], .events = POLLIN };
	if (poll(&p, 1, 0) > 0)
		_exit(2);
	close(lifeline[0]);
	return child_mounts(err, errlen);
}
