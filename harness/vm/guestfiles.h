/*
** guestfiles: the files the host and the VM guest hand over. The host's vm backend writes an
** argument file into the run's results folder (shared read-write with the
** guest); /init execs `vpnlab __guest FILE` as PID 1 on the host's root;
** the guest runs the scenarios, writes TAP and a status file next to the
** arguments, and powers the VM off.
**
** The argument file: one "key value" per line, '#' starts a comment.
**   cwd DIR          the host's working folder (relative scenario paths)
**   results DIR      the run's results folder (same path as on the host)
**   offset N         top-level test points the host has already printed
**   time_scale X     protocol timeouts multiplier (software emulation)
**   timeout S        each scenario's time limit, in scenario seconds
**   jobs N           scenarios at once (-j), default 1
**   clock SECONDS    the host's wall clock at launch (the guest has no RTC)
**   accel NAME       kvm or tcg, for the TAP header
**   cache DIR        vpnlab's cache, the host's path (libreswan's pluto lives there);
**                    the guest has no environment to find it in
**   file PATH        a scenario, absolute; repeated, in order
*/
#ifndef VPNLAB_GUESTFILES_H
#define VPNLAB_GUESTFILES_H

#include <limits.h>
#include <stdio.h>

#define GUEST_ARGS   "vm/args"     /* relative to the results folder */
#define GUEST_TAP    "vm/tap"      /* the guest's TAP stream, read by the host as it grows */
#define GUEST_STATUS "vm/status"   /* written last: the authoritative outcome */

struct guest_args {
	char cwd[PATH_MAX];
	char results[PATH_MAX];
	int offset;
	double time_scale;
	double timeout;
	int jobs;
	double clock;
	char accel[16];
	char cache[PATH_MAX];       /* "" when the host named none */
	char **files;
	int nfiles;
};

/* The outcome the guest reports; every count of top-level points. */
struct guest_status {
	int scenarios, passed, failed, errors, skipped;
	int bailed;                /* stopped by a signal: the rest did not run */
};

/* 0, or -1 with err filled (file:line of the bad line). Free with guest_args_free. */
int guest_args_read(const char *path, struct guest_args *a, char *err, size_t errlen);
/* 0, or -1 with err filled (a path with a newline cannot be written). */
int guest_args_write(const char *path, const struct guest_args *a, char *err, size_t errlen);
void guest_args_free(struct guest_args *a);

int guest_status_write(const char *path, const struct guest_status *s);
/* 0 when the file is there and complete, -1 otherwise. */
int guest_status_read(const char *path, struct guest_status *s);

#endif
