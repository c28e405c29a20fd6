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

struct scenario_opts {
	const char *path;          /* the scenario file */
	const char *dir;           /* its results folder (created) */
	const char *rundir;        /* its private runtime folder (created under /run) */
	const char *libdir;
	const char *srcdir;
	const char *backend;
	const char *dataplane;
	double time_scale;
	struct features *features;
	struct loop *loop;
	struct tap *tap;           /* the subtest's TAP writer */
};

struct scenario_result {
	int passed, failed, skipped;
	int error;                 /* the scenario itself failed (Lua error, bad input) */
	int unmet;                 /* it requires a kernel feature this kernel lacks: message names them */
	char message[1024];        /* the error, with file:line */
	double seconds;
	double lab_up, teardown;   /* seconds spent building the lab and tearing everything down */
};

void scenario_run(const struct scenario_opts *o, struct scenario_result *res);

#endif
