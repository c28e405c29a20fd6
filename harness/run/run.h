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

struct run {
	struct loop *loop;
	struct tap *tap;
	struct timeline tl;
	struct timeval t0;          /* wall clock at scenario start (pcap timestamps) */
	double mono0;               /* monotonic clock at scenario start */
	char dir[PATH_MAX];         /* this scenario's results folder */
	char rundir[PATH_MAX];      /* this scenario's private runtime folder under /run */
	const char *libdir;         /* the lua/ folder: frames there are not the user's */
	const char *srcdir;         /* the project folder (topologies/) */
	const char *scenario;       /* path of the scenario file */
	const char *backend;        /* "host" or "vm" */
	const char *dataplane;      /* "kernel" or "kernel-libipsec" */
	double time_scale;          /* protocol timeouts are multiplied by this (slow emulation) */
	struct features *features;  /* what this kernel can do, probed once per runner */
	char missing[128];          /* set with the error when a required feature is absent */
	struct lab *lab;            /* NULL until vpnlab.start */
	double lab_up_seconds;      /* how long building the lab took (for benchmarks) */
	struct proc **procs;        /* every process started in this scenario */
	int nprocs, capprocs;
};

#endif
