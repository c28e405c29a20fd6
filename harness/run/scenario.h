/*
** scenario: run one scenario file from start to teardown. A fresh Lua state
** with the vpnlab module, the file run under a traceback handler, and a
** teardown that always happens: processes stopped, captures drained and
** closed, the timeline written, namespaces released.
*/
#ifndef VPNLAB_SCENARIO_H
#define VPNLAB_SCENARIO_H

#include "util/loop.h"
#include "lab/probe.h"
#include "run/tap.h"

struct run_pause;   /* run.h */

struct scenario_opts {
	const char *path;          /* the scenario file */
	const char *dir;           /* its results folder (created) */
	const char *rundir;        /* its private runtime folder (created under /run) */
	const char *libdir;
	const char *srcdir;
	const char *backend;
	double time_scale;
	double timeout;            /* the scenario's time limit in its own seconds (scaled like the rest) */
	struct features *features;
	struct loop *loop;
	struct tap *tap;           /* the subtest's TAP writer */
	const struct run_pause *pause;  /* `vpnlab up`: where vpnlab.pause() hands the lab over; NULL for a run */
};

/*
** How a scenario ended. Only a scenario that ran to its end with at least one
** test point can pass; everything else is reported by the runner, never as
** one of the scenario's own test points.
*/
enum scenario_end {
	SCENARIO_RAN,              /* ran to the end: its points decide */
	SCENARIO_ERROR,            /* a Lua error or bad input: message, traceback */
	SCENARIO_EMPTY,            /* ran to the end without a single test point */
	SCENARIO_TIMED_OUT,        /* stopped at its time limit: message says where, waiting for what */
	SCENARIO_INTERRUPTED,      /* stopped by a signal (signal) */
	SCENARIO_UNMET,            /* it requires a kernel feature this kernel lacks: message names them */
};

struct scenario_result {
	int passed, failed, skipped;
	enum scenario_end end;
	int signal;                /* SCENARIO_INTERRUPTED: which */
	char message[2048];        /* the error, with file:line */
	char traceback[2048];      /* SCENARIO_ERROR: the Lua traceback, "" if none */
	double seconds;
	double lab_up, teardown;   /* seconds spent building the lab and tearing everything down */
};

void scenario_run(const struct scenario_opts *o, struct scenario_result *res);

#endif
