/*
** parallel.c: see runner.h (runner_run_files). With -j N, each scenario
** runs in a worker process forked from the runner, in its own lab as
** always (its namespaces, its /run/vpnlab/<index>, its results folder).
** A worker writes its whole subtest and its top-level point to a file of
** its own and its outcome to another; the runner prints finished scenarios
** strictly in the order given, renumbering the top-level points, so the
** stream is one valid TAP document whatever order they end in. A worker
** that dies without an outcome is a failing point of its own, never a pass.
*/
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab/spawn.h"
#include "run/runner.h"
#include "run/signals.h"

struct job {
	pid_t pid;                /* 0: not started */
	int done;
	int status;               /* the worker's wait status */
	char tap[PATH_MAX + 64];  /* its TAP: subtest and top-level point */
	char outcome[PATH_MAX + 64];  /* "outcome signal\nunmet\n" */
};

/* In the worker: run one scenario as the only one of a fresh runner stream, then exit. */
__attribute__((noreturn)) static void worker(struct runner *rn, const char *file, int index,
                                              const struct job *j)
{
	char unmet[256] = "";
	FILE *out = fopen(j->tap, "we"), *st;
	enum runner_outcome oc;

	/* The parent's loop and signalfd are not this process's own events. */
	loop_free(&rn->loop);
	loop_init(&rn->loop);
	if (out == NULL || signals_init(&rn->loop) < 0)
		_exit(3);
	setvbuf(out, NULL, _IOLBF, 0);
	tap_init(&rn->top, out, 0);
	oc = runner_scenario(rn, file, index, unmet, sizeof(unmet));
	fclose(out);
	st = fopen(j->outcome, "we");
	if (st == NULL)
		_exit(3);
	fprintf(st, "%d %d\n%s\n", (int)oc, rn->signal, unmet);
	_exit(fclose(st) == 0 ? 0 : 3);
}

/* A top-level "ok N"/"not ok N" line: where its number ends, or NULL. */
static const char *top_point(const char *line, int *failed)
{
	const char *p = line;

	*failed = strncmp(p, "not ok ", 7) == 0;
	if (*failed)
		p += 7;
	else if (strncmp(p, "ok ", 3) == 0)
		p += 3;
	else
		return NULL;
	if (*p < '0' || *p > '9')
		return NULL;
	while (*p >= '0' && *p <= '9')
		p++;
	return p;
}

/* Copy a worker's TAP into the run's stream, numbering its top-level points after those already printed. */
static void copy_tap(struct runner *rn, const struct job *j)
{
	FILE *in = fopen(j->tap, "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	if (in == NULL)
		return;
	while ((len = getline(&line, &cap, in)) > 0) {
		int failed;
		const char *rest = top_point(line, &failed);
		if (rest == NULL) {
			fwrite(line, 1, (size_t)len, rn->top.out);
			continue;
		}
		rn->top.count++;
		rn->top.failed += failed;
		fprintf(rn->top.out, "%sok %d%s", failed ? "not " : "", rn->top.count, rest);
	}
	free(line);
	fclose(in);
	fflush(rn->top.out);
}

/* A finished scenario, in its turn: its TAP, the counts, and where an unmet one goes. */
static void emit(struct runner *rn, const struct job *j, const char *file, runner_unmet_fn on_unmet,
                 void *ctx)
{
	FILE *st = fopen(j->outcome, "re");
	char unmet[256] = "";
	int oc = -1, sig = 0;

	if (st != NULL) {
		if (fscanf(st, "%d %d\n", &oc, &sig) != 2)
			oc = -1;
		if (fgets(unmet, sizeof(unmet), st) != NULL)
			unmet[strcspn(unmet, "\n")] = '\0';
		fclose(st);
	}
	if (oc == RUN_UNMET) {
		on_unmet(rn, file, unmet, ctx);
	} else if (oc < 0) {
		/* No outcome: the worker died. What it printed stays; its verdict is an error. */
		copy_tap(rn, j);
		rn->scenarios++;
		rn->errors++;
		if (WIFSIGNALED(j->status))
			tap_point(&rn->top, 0, NULL, "%s (the worker running it was killed by signal %d)", file,
			          WTERMSIG(j->status));
		else
			tap_point(&rn->top, 0, NULL, "%s (the worker running it exited with status %d)", file,
			          WEXITSTATUS(j->status));
	} else {
		copy_tap(rn, j);
		rn->scenarios++;
		if (oc == RUN_PASSED)
			rn->passed++;
		else if (oc == RUN_FAILED)
			rn->failed++;
		else if (oc == RUN_ERROR)
			rn->errors++;
		else if (oc == RUN_INTERRUPTED && !rn->signal)
			rn->signal = sig;
	}
	unlink(j->tap);
	unlink(j->outcome);
}

static int start(struct runner *rn, struct job *j, const char *file, int index)
{
	pid_t pid;

	fflush(NULL);   /* nothing buffered may be written twice */
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		worker(rn, file, index, j);
	j->pid = pid;
	spawn_track(pid);
	return 0;
}

/* Record workers that have exited; returns how many. */
static int collect_exits(struct job *jobs, int n)
{
	int found = 0;

	for (int i = 0; i < n; i++) {
		if (jobs[i].pid == 0 || jobs[i].done || spawn_exited(jobs[i].pid, &jobs[i].status) != 1)
			continue;
		spawn_forget(jobs[i].pid);
		jobs[i].done = 1;
		found++;
	}
	return found;
}

void runner_run_parallel(struct runner *rn, char *const *files, int n, int width,
                         runner_unmet_fn on_unmet, void *ctx)
{
	struct job *jobs = calloc(n > 0 ? (size_t)n : 1, sizeof(*jobs));
	char dir[PATH_MAX + 16];
	int next = 0, flushed = 0, running = 0, forwarded = 0;

	snprintf(dir, sizeof(dir), "%s/.jobs", rn->results);
	if (jobs == NULL || (mkdir(dir, 0700) < 0 && errno != EEXIST)) {
		free(jobs);
		runner_run_files(rn, files, n, 1, on_unmet, ctx);   /* one at a time still works */
		return;
	}
	for (int i = 0; i < n; i++) {
		snprintf(jobs[i].tap, sizeof(jobs[i].tap), "%s/%d.tap", dir, i + 1);
		snprintf(jobs[i].outcome, sizeof(jobs[i].outcome), "%s/%d.outcome", dir, i + 1);
	}
	for (;;) {
		int stopping = runner_interrupted(rn);
		/* Exits first: a slot freed since the last pass is filled before sleeping again. */
		running -= collect_exits(jobs, next);
		while (!stopping && running < width && next < n) {
			if (start(rn, &jobs[next], files[next], next + 1) < 0) {
				jobs[next].done = 1;        /* emitted as a worker without an outcome */
				jobs[next].status = 3 << 8;
			} else {
				running++;
			}
			next++;
		}
		if (stopping && !forwarded) {
			/* A signal to the runner stops every scenario in flight, as it stops the current one. */
			for (int i = 0; i < next; i++)
				if (jobs[i].pid > 0 && !jobs[i].done)
					kill(jobs[i].pid, rn->signal ? rn->signal : SIGTERM);
			forwarded = 1;
		}
		while (flushed < next && jobs[flushed].done) {
			emit(rn, &jobs[flushed], files[flushed], on_unmet, ctx);
			flushed++;
		}
		if (flushed == next && (next == n || stopping))
			break;
		/*
		** Sleep until a worker ends (SIGCHLD on the signalfd) or a signal
		** comes. One that ended since collect_exits left SIGCHLD pending, or
		** was reaped by the poll at the top and is found on the next pass.
		*/
		if (running > 0)
			loop_once(&rn->loop, -1);
	}
	rmdir(dir);
	free(jobs);
}
