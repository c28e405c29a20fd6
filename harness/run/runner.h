/*
** runner: run a list of scenarios as TAP subtests on one backend, and on
** the host, hand the ones this kernel cannot run to the vm backend in one
** VM boot. Used by `vpnlab run` on the host and by the guest inside the VM.
**
** A scenario that requires a kernel feature this kernel lacks stops before
** its first test point (vpnlab.requires, or an endpoint's own needs). With
** --backend auto it is queued for the VM, which runs every queued scenario
** after the host's; with host (or without a prepared VM) it is reported as
** "# SKIP" with the command that would run it for real.
*/
#ifndef VPNLAB_RUNNER_H
#define VPNLAB_RUNNER_H

#include "util/loop.h"
#include "lab/probe.h"
#include "run/progress.h"
#include "run/tap.h"

#define RUNNER_EXIT_FAILED 1
#define RUNNER_EXIT_ERROR  2   /* a scenario error, a time limit, or a usage error */
/* An interrupted run exits 128 + the signal, as a shell reports a killed command. */
#define RUNNER_DEFAULT_TIMEOUT 300.0

struct runner_opts {
	const char *results_root;  /* parent of the run folders (./results) */
	const char *backend;       /* "host", "vm" or "auto" */
	const char *cache_root;    /* VM image cache, NULL for the default */
	const char *vm_package;    /* the prepared kernel package to boot, NULL for vm/current */
	double vm_timeout;         /* seconds for the whole VM run, 0 for the default */
	double timeout;            /* each scenario's time limit in its own seconds (scaled in the VM) */
	char **files;
	int nfiles;
	const char *junit;         /* also write JUnit XML here, or NULL */
	enum progress_mode progress;  /* what stderr shows while it runs */
	int quiet;                 /* no summary line on stderr */
	int jobs;                  /* scenarios at once (-j), on the host and in the VM; 0 or 1: one */
};

struct selection;

/* What every scenario needs from the runner, on either side of the VM. */
struct runner {
	struct loop loop;
	struct tap top;
	struct features features;
	char results[4096];        /* this run's folder */
	const char *backend;       /* "host" or "vm": where the scenarios run */
	char backend_desc[32];     /* for the TAP comments: "host", "vm (tcg)" */
	char kernel[128];          /* uname -r */
	double time_scale;
	double timeout;            /* each scenario's time limit, scenario seconds */
	int scenarios, passed, failed, errors, skipped;
	int signal;                /* the run was interrupted by this signal: nothing more starts */
};

enum runner_outcome { RUN_PASSED, RUN_FAILED, RUN_ERROR, RUN_UNMET, RUN_INTERRUPTED };

/*
** Run one scenario as a subtest of rn->top. index makes its /run folder
** unique. RUN_UNMET: it stopped for a missing kernel feature and printed
** nothing; unmet (if not NULL) gets the feature names. Counts are updated
** for every other outcome. A scenario error, an empty scenario or a time
** limit is a failing point of its own (RUN_ERROR) and the run goes on;
** RUN_INTERRUPTED (a signal) sets rn->signal and the caller starts nothing
** more.
*/
enum runner_outcome runner_scenario(struct runner *rn, const char *file, int index,
                                    char *unmet, size_t unmetlen);

/* What to do with a scenario that stopped for a kernel feature it lacks (queue it for the VM, or skip it). */
typedef void (*runner_unmet_fn)(struct runner *rn, const char *file, const char *unmet, void *ctx);
/*
** Every file in order, up to jobs at once (jobs > 1: each in a worker
** process, parallel.c; the TAP still comes out whole and in order). An
** unmet scenario goes to on_unmet in its turn. A signal stops the ones in
** flight and starts nothing more.
*/
void runner_run_files(struct runner *rn, char *const *files, int n, int jobs,
                      runner_unmet_fn on_unmet, void *ctx);
/* The jobs > 1 case of runner_run_files. */
void runner_run_parallel(struct runner *rn, char *const *files, int n, int jobs,
                         runner_unmet_fn on_unmet, void *ctx);

/* A top-level "ok N - file # SKIP reason" for a scenario that cannot run. */
void runner_skip(struct runner *rn, const char *file, const char *reason);

/* Set up loop, signals and feature cache (after isolation). 0 or -1. */
int runner_init(struct runner *rn, const char *backend, double time_scale, double timeout);
/* Whether the run must stop (a termination signal arrived); polls the signals. */
int runner_interrupted(struct runner *rn);
/*
** After the last scenario: the plan, or "Bail out!" naming the signal, and
** the exit status (0, 1, 2, or 128 + signal).
*/
int runner_finish(struct runner *rn);
void runner_free(struct runner *rn);

/* `vpnlab run` on the host: returns the exit status (0, 1, 2). */
int runner_main(const struct runner_opts *o);
/* `vpnlab run --list`: what would run, where; runs nothing, makes no results folder. 0 or 2. */
int runner_list(const struct runner_opts *o, const struct selection *s);

#endif
