/*
** run: the state of one scenario while it runs, shared by the Lua bindings.
** The bindings find it in the Lua registry; nothing here is global.
*/
#ifndef VPNLAB_RUN_H
#define VPNLAB_RUN_H

#include <limits.h>
#include <sys/time.h>

#include "lab/lab.h"
#include "lab/probe.h"
#include "util/loop.h"
#include "run/tap.h"
#include "wire/timeline.h"

struct proc;
struct run;

/*
** Under `vpnlab up` (run/hold.c): vpnlab.pause() calls ready once the lab is
** built and the scenario has reached its pause; the lab is then held until a
** signal stops the scenario. NULL under `vpnlab run`, where a pause does nothing.
*/
struct run_pause {
	int (*ready)(void *ctx, const struct run *r, char *err, size_t errlen);   /* 0 or -1 */
	void *ctx;
};

/* A runtime event of the scenario (a NAT remap, a block), in the timeline. */
struct run_event {
	double t;                   /* seconds since the scenario started, the packets' clock */
	char text[240];
};

struct run {
	struct loop *loop;
	struct tap *tap;
	struct timeline tl;
	struct esp_keyring keys;    /* SAs for the decrypted view: learned from XFRM, or given (vpnlab.esp_sa) */
	struct timeval t0;          /* wall clock at scenario start (pcap timestamps) */
	double mono0;               /* monotonic clock at scenario start */
	char dir[PATH_MAX];         /* this scenario's results folder */
	char rundir[PATH_MAX];      /* this scenario's private runtime folder under /run */
	const char *libdir;         /* the lua/ folder: frames there are not the user's */
	const char *srcdir;         /* the project folder (topologies/) */
	const char *scenario;       /* path of the scenario file */
	const char *backend;        /* "host" or "vm" */
	double time_scale;          /* protocol timeouts are multiplied by this (slow emulation) */
	struct features *features;  /* what this kernel can do, probed once per runner */
	char missing[128];          /* set with the error when a required feature is absent */
	struct lab *lab;            /* NULL until vpnlab.start */
	double lab_up_seconds;      /* how long building the lab took (for benchmarks) */
	struct proc **procs;        /* every process started in this scenario */
	int nprocs, capprocs;
	struct run_event *events;   /* runtime events, in order */
	int nevents, capevents;
	const struct run_pause *pause;  /* `vpnlab up`'s hand-over, or NULL */
	/*
	** Stopping a scenario from outside its own logic: a termination signal or
	** its time limit. Once stop is set, every wait and every test point raises
	** and a count hook raises on every Lua instruction, so neither a wait, a
	** busy loop nor a pcall can carry on; the runner reports the stop itself,
	** never as a test point of the scenario's.
	*/
	double deadline;            /* monotonic: the scenario's time limit (already scaled) */
	double timeout;             /* that limit in the scenario's own seconds, for messages */
	enum run_stop { RUN_GOING, RUN_SIGNALLED, RUN_TIMED_OUT } stop;
	int stop_signal;            /* the signal, for RUN_SIGNALLED */
	char stop_where[512];       /* "file:line: " where the scenario was */
	char stop_what[512];        /* what it was waiting for, or "" (busy in Lua) */
};

#endif
