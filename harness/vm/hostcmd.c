/*
** hostcmd: one host program run to its end (see hostcmd.h). Three pipes:
** stdout, stderr, and a CLOEXEC status pipe on which the child writes its
** errno only if exec fails, so the parent tells "cannot run" from "ran and
** failed". Both output pipes are drained with poll before the wait, so a
** chatty child never blocks on a full pipe.
*/
#include "util/errf.h"
#include "vm/hostcmd.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/*
** In the child: wire the pipes, exec; report an exec failure through sfd.
** The runner blocks SIGINT/SIGTERM/SIGCHLD and ignores SIGPIPE; both would
** be inherited across exec, so apt or dpkg would ignore Ctrl-C: undo them.
*/
static void hostcmd_child(const struct hostcmd *p, int ofd, int efd, int sfd)
{
	sigset_t none;
	int null, e;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0 || dup2(null, 0) < 0 || dup2(ofd >= 0 ? ofd : null, 1) < 0 ||
	    dup2(efd, 2) < 0 || (p->cwd && chdir(p->cwd) < 0)) {
		e = errno;
	} else {
		execvp(p->argv[0], (char *const *)p->argv);
		e = errno;
	}
	if (write(sfd, &e, sizeof e) < 0)
		_exit(127);
	_exit(127);
}

/* Append to the stdout buffer (bounded: excess is dropped, flagged by -1). */
static int hostcmd_keep_out(struct hostcmd *p, const char *b, size_t n)
{
	char *nb;

	if (p->outlen + n > HOSTCMD_OUT_MAX)
		return -1;
	nb = realloc(p->out, p->outlen + n + 1);
	if (!nb)
		return -1;
	memcpy(nb + p->outlen, b, n);
	p->out = nb;
	p->outlen += n;
	p->out[p->outlen] = '\0';
	return 0;
}

/* Keep the last HOSTCMD_TAIL-1 bytes of stderr: the error lines come last. */
static void hostcmd_keep_tail(struct hostcmd *p, const char *b, size_t n)
{
	size_t room = sizeof p->tail - 1;

	if (n >= room) {
		memcpy(p->tail, b + n - room, room);
		p->taillen = room;
	} else {
		if (p->taillen + n > room) {
			memmove(p->tail, p->tail + (p->taillen + n - room), room - n);
			p->taillen = room - n;
		}
		memcpy(p->tail + p->taillen, b, n);
		p->taillen += n;
	}
	p->tail[p->taillen] = '\0';
}

/* Read stdout and stderr until both close. -1 if stdout overflowed, -2 (errno set) if poll failed. */
static int hostcmd_collect(struct hostcmd *p, int ofd, int efd)
{
	struct pollfd pf[2] = { { ofd, POLLIN, 0 }, { efd, POLLIN, 0 } };
	char b[8192];
	ssize_t n;
	int i, rc = 0;

	while (pf[0].fd >= 0 || pf[1].fd >= 0) {
		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -2;
		}
		for (i = 0; i < 2; i++) {
			if (pf[i].fd < 0 || !pf[i].revents)
				continue;
			n = read(pf[i].fd, b, sizeof b);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				pf[i].fd = -1;   /* closed by the caller */
				continue;
			}
			if (i == 0 && hostcmd_keep_out(p, b, (size_t)n) < 0)
				rc = -1;
			else if (i == 1)
				hostcmd_keep_tail(p, b, (size_t)n);
		}
	}
	return rc;
}

/*
** The most useful line of a child's stderr tail: the last "E: " line (apt's
** errors), else the last non-empty one. Sets *n to its length.
*/
static const char *hostcmd_last_line(const char *tail, int *n)
{
	const char *line = tail, *end, *best = NULL;
	size_t bl = 0, ll;

	while (*line) {
		end = strchr(line, '\n');
		ll = end ? (size_t)(end - line) : strlen(line);
		if (ll && (!strncmp(line, "E: ", 3) || !best || strncmp(best, "E: ", 3))) {
			best = line;
			bl = ll;
		}
		line += ll + (end ? 1 : 0);
	}
	if (!best) {
		best = "(no message)";
		bl = strlen(best);
	}
	*n = bl > 300 ? 300 : (int)bl;
	return best;
}

/* Wait for the child; fill p->status; -1 with err if it did not exit 0. */
static int hostcmd_wait(struct hostcmd *p, pid_t pid, int exec_errno, char *err,
                        size_t errlen)
{
	const char *line;
	int st, n;

	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR)
			return errf(err, errlen, "%s: waitpid: %s", p->argv[0], strerror(errno));
	}
	p->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	if (exec_errno)
		return errf(err, errlen, "cannot run %s: %s", p->argv[0],
		                    strerror(exec_errno));
	if (WIFSIGNALED(st))
		return errf(err, errlen, "%s killed by signal %d", p->argv[0], WTERMSIG(st));
	if (p->status != 0) {
		line = hostcmd_last_line(p->tail, &n);
		return errf(err, errlen, "%s %s: exit status %d: %.*s", p->argv[0],
		                    p->argv[1] ? p->argv[1] : "", p->status, n, line);
	}
	return 0;
}

/*
** Run p->argv (PATH lookup) with stdin /dev/null, stdout kept in p->out if
** want_out, stderr's end in p->tail. 0 if it exited 0; -1 with err naming
** the program and its last error line otherwise (p->status tells the code).
*/
int hostcmd_run(struct hostcmd *p, char *err, size_t errlen)
{
	int o[2] = { -1, -1 }, e[2] = { -1, -1 }, s[2] = { -1, -1 }, exec_errno = 0, rc = -1;
	pid_t pid;

	p->status = -1;
	if ((p->want_out && pipe2(o, O_CLOEXEC) < 0) || pipe2(e, O_CLOEXEC) < 0 ||
	    pipe2(s, O_CLOEXEC) < 0) {
		errf(err, errlen, "pipe: %s", strerror(errno));
		goto done;
	}
	pid = fork();
	if (pid < 0) {
		errf(err, errlen, "fork: %s", strerror(errno));
		goto done;
	}
	if (pid == 0)
		hostcmd_child(p, o[1], e[1], s[1]);
	close(o[1]);
	close(e[1]);
	close(s[1]);
	o[1] = e[1] = s[1] = -1;
	rc = hostcmd_collect(p, o[0], e[0]);
	int poll_errno = rc == -2 ? errno : 0;
	/* At EOF, or poll failed: a child still writing then gets EPIPE, not a hang. */
	if (o[0] >= 0)
		close(o[0]);
	close(e[0]);
	o[0] = e[0] = -1;
	if (read(s[0], &exec_errno, sizeof exec_errno) != (ssize_t)sizeof exec_errno)
		exec_errno = 0;
	if (hostcmd_wait(p, pid, exec_errno, err, errlen) < 0)
		rc = -1;
	else if (rc == -2)
		errf(err, errlen, "%s: cannot read its output: %s", p->argv[0],
		             strerror(poll_errno));
	else if (rc < 0)
		errf(err, errlen, "%s: more than %zu bytes of output", p->argv[0],
		             HOSTCMD_OUT_MAX);
done:
	for (int i = 0; i < 2; i++) {
		if (o[i] >= 0)
			close(o[i]);
		if (e[i] >= 0)
			close(e[i]);
		if (s[i] >= 0)
			close(s[i]);
	}
	return rc;
}

void hostcmd_free(struct hostcmd *p)
{
	if (!p)
		return;
	free(p->out);
	p->out = NULL;
	p->outlen = 0;
}
