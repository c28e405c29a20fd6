/*
** spawn.c: fork/exec into namespaces. The child reports a failed exec
** through a close-on-exec pipe, so the parent knows at once whether the
** program started. All signals the runner blocks are unblocked in the child.
*/
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab/spawn.h"

struct child {
	pid_t pid;
	int exited;
	int status;
};

static struct child *children;
static size_t nchildren, capchildren;

static int track(pid_t pid)
{
	if (nchildren == capchildren) {
		size_t cap = capchildren ? capchildren * 2 : 16;
		struct child *c = realloc(children, cap * sizeof(*c));
		if (c == NULL)
			return -1;
		children = c;
		capchildren = cap;
	}
	children[nchildren++] = (struct child){ pid, 0, 0 };
	return 0;
}

int spawn_track(pid_t pid)
{
	return track(pid);
}

static struct child *find(pid_t pid)
{
	for (size_t i = 0; i < nchildren; i++)
		if (children[i].pid == pid)
			return &children[i];
	return NULL;
}

void spawn_reap(void)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		struct child *c = find(pid);
		if (c != NULL) {
			c->exited = 1;
			c->status = status;
		}
	}
}

void spawn_reap_all(void)
{
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
	nchildren = 0;
}

int spawn_exited(pid_t pid, int *status)
{
	struct child *c = find(pid);
	if (c == NULL)
		return -1;
	if (c->exited && status != NULL)
		*status = c->status;
	return c->exited;
}

void spawn_forget(pid_t pid)
{
	struct child *c = find(pid);
	if (c != NULL)
		*c = children[--nchildren];
}

/*
** In the child: a private mount namespace whose /run is o->private_run (if
** given), with o->binds mounted over their destinations, and whose /sys shows
** the node's netns (when it entered one). Nothing here can outlive the
** child's namespace.
*/
static int private_mounts(const struct spawn_opts *o)
{
	if (unshare(CLONE_NEWNS) < 0)
		return -1;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -1;
	if (o->private_run != NULL && mount(o->private_run, "/run", NULL, MS_BIND, NULL) < 0)
		return -1;
	for (size_t i = 0; i < o->nbinds; i++)
		if (mount(o->binds[i].src, o->binds[i].dst, NULL, MS_BIND, NULL) < 0)
			return -1;
	/* sysfs shows the devices of the network namespace that mounts it: a node's own. */
	if (o->netns >= 0 && mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return -1;
	return 0;
}

static char **merged_env(char *const *extra)
{
	extern char **environ;
	size_t n = 0, m = 0;
	while (environ[n] != NULL)
		n++;
	while (extra != NULL && extra[m] != NULL)
		m++;
	char **env = calloc(n + m + 1, sizeof(*env));
	if (env == NULL)
		return NULL;
	if (m > 0)
		memcpy(env, extra, m * sizeof(*env));
	memcpy(env + m, environ, n * sizeof(*env));   /* extras first: getenv finds them first */
	return env;
}

/* What the child reports when it cannot exec: errno and the step that failed. */
struct report {
	int err;
	int step;
};

static const char *const steps[] = { "", "entering the node's namespace: ", "private mounts (/run, binds): ",
                                     "changing directory: ", "" };

static void child_exec(const struct spawn_opts *o, int report)
{
	sigset_t none;
	int in = o->stdin_fd;
	struct report rep = { 0, 1 };

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	setsid();   /* a terminal's ^C goes to the runner, which stops daemons in order */
	if (o->netns >= 0 && setns(o->netns, CLONE_NEWNET) < 0)
		goto fail;
	rep.step = 2;
	if ((o->private_run != NULL || o->nbinds > 0) && private_mounts(o) < 0)
		goto fail;
	rep.step = 3;
	if (o->cwd != NULL && chdir(o->cwd) < 0)
		goto fail;
	rep.step = 4;
	if (in < 0)
		in = open("/dev/null", O_RDONLY);
	if (in < 0 || dup2(in, 0) < 0 || dup2(o->out_fd, 1) < 0 || dup2(o->out_fd, 2) < 0)
		goto fail;
	if (report > 2 && dup2(report, 3) == 3) {
		report = 3;
		fcntl(report, F_SETFD, FD_CLOEXEC);
	}
	close_range(report == 3 ? 4 : 3, ~0U, 0);
	char **env = merged_env(o->env);
	if (env == NULL)
		goto fail;
	execvpe(o->argv[0], o->argv, env);
fail:
	rep.err = errno;
	if (write(report, &rep, sizeof(rep)) < 0)
		_exit(127);
	_exit(127);
}

pid_t spawn_start(const struct spawn_opts *o, char *err, size_t errlen)
{
	int report[2];
	struct report rep = { 0, 0 };
	pid_t pid;

	if (pipe2(report, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(report[0]);
		close(report[1]);
		return -1;
	}
	if (pid == 0) {
		close(report[0]);
		child_exec(o, report[1]);
	}
	close(report[1]);
	ssize_t r;
	while ((r = read(report[0], &rep, sizeof(rep))) < 0 && errno == EINTR)
		;
	close(report[0]);
	if (track(pid) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (r == (ssize_t)sizeof(rep)) {
		int status;
		waitpid(pid, &status, 0);
		spawn_forget(pid);
		if (rep.step < 0 || rep.step > 4)
			rep.step = 0;
		snprintf(err, errlen, "cannot start %s: %s%s", o->argv[0], steps[rep.step], strerror(rep.err));
		return -1;
	}
	return pid;
}
