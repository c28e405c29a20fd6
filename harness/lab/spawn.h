/*
** spawn: start programs inside a node's network namespace, optionally in a
** private mount namespace with their own /run (so several charons can each
** have /run/charon.pid), and keep track of every child until it is reaped.
** The runner is PID 1 of its PID namespace, so it also reaps orphans that
** daemons leave behind.
*/
#ifndef VPNLAB_SPAWN_H
#define VPNLAB_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

/* A bind mount made in the child's private mount namespace: src over dst. */
struct spawn_bind {
	const char *src;
	const char *dst;
};

struct spawn_opts {
	char *const *argv;          /* argv[0] is looked up in PATH */
	char *const *env;           /* extra NAME=value entries added to the runner's environment, may be NULL */
	int netns;                  /* namespace fd to enter, or -1 to stay */
	const char *private_run;    /* directory bound over /run in a new mount namespace, or NULL */
	const struct spawn_bind *binds;   /* more bind mounts in that namespace (one is made without private_run) */
	size_t nbinds;
	const char *cwd;            /* or NULL */
	int stdin_fd;               /* or -1 for /dev/null */
	int out_fd;                 /* stdout and stderr go here (a pipe or a file) */
};

/*
** Fork and exec. Returns the child's PID, or -1 with err filled; a program
** that cannot be executed (not found, not executable) is reported here as an
** error, not later as an exit status.
*/
pid_t spawn_start(const struct spawn_opts *o, char *err, size_t errlen);

/* Track a child forked elsewhere (a parallel runner's worker), so spawn_reap records its exit. 0 or -1. */
int spawn_track(pid_t pid);
/* Reap every child that has exited (call on SIGCHLD). */
void spawn_reap(void);
/* Wait for every child to exit and forget them all (after killing them). */
void spawn_reap_all(void);
/* 1 if pid has exited (status filled, as from waitpid), 0 if still running, -1 if unknown. */
int spawn_exited(pid_t pid, int *status);
/* Forget a reaped child. */
void spawn_forget(pid_t pid);

#endif
