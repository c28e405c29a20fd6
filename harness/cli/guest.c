/*
** guest.c: see guest.h. Inside the VM this process is PID 1 on the host's
** root (an overlay with a tmpfs on top): it reaps orphans through the
** runner's loop, and it never returns: it powers the VM off, which ends
** QEMU on the host.
*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/guest.h"
#include "lab/netns.h"
#include "run/runner.h"
#include "vm/guestfiles.h"

/* ---- PID 1 in the VM ---------------------------------------------------- */

__attribute__((noreturn)) static void power_off(void)
{
	sync();
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}

/* The guest has no RTC worth trusting: take the host's clock from the arguments. */
static void set_clock(double seconds)
{
	struct timespec ts;
	if (seconds <= 0)
		return;
	ts.tv_sec = (time_t)seconds;
	ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
	clock_settime(CLOCK_REALTIME, &ts);
}

/* A scenario the VM's kernel cannot run either is skipped, saying what it lacks. */
static void guest_unmet(struct runner *rn, const char *file, const char *unmet, void *ctx)
{
	char reason[512];
	(void)ctx;
	snprintf(reason, sizeof(reason), "needs %s, which the VM's kernel %s lacks", unmet, rn->kernel);
	runner_skip(rn, file, reason);
}

void guest_main(const char *argsfile)
{
	static struct runner rn;
	struct guest_args a;
	struct guest_status st;
	char err[512], path[PATH_MAX + 32];
	FILE *tap;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (guest_args_read(argsfile, &a, err, sizeof(err)) < 0) {
		fprintf(stderr, "vpnlab guest: %s\n", err);
		power_off();
	}
	set_clock(a.clock);
	if (a.cache[0])
		setenv("VPNLAB_CACHE", a.cache, 1);   /* where the libreswan driver finds pluto */
	mkdir("/run/vpnlab", 0700);
	snprintf(path, sizeof(path), "%s/" GUEST_TAP, a.results);
	tap = fopen(path, "we");
	if (tap == NULL || chdir(a.cwd) < 0 || netns_init(err, sizeof(err)) < 0 ||
	    runner_init(&rn, "vm", a.time_scale, a.timeout) < 0) {
		fprintf(stderr, "vpnlab guest: cannot start: %s\n", tap == NULL ? path : err);
		power_off();
	}
	setvbuf(tap, NULL, _IOLBF, 0);
	snprintf(rn.results, sizeof(rn.results), "%s", a.results);
	snprintf(rn.backend_desc, sizeof(rn.backend_desc), "vm (%s)", a.accel);
	tap_init(&rn.top, tap, 0);
	rn.top.count = a.offset;
	tap_comment(&rn.top, "vm: kernel %s, %s, protocol timeouts x%g", rn.kernel, a.accel, a.time_scale);
	/* Every scenario, in order (a.jobs at once); one that errs does not stop the others, a signal does. */
	runner_run_files(&rn, a.files, a.nfiles, a.jobs, guest_unmet, NULL);
	st = (struct guest_status){ rn.scenarios, rn.passed, rn.failed, rn.errors, rn.skipped, rn.signal != 0 };
	fclose(tap);
	snprintf(path, sizeof(path), "%s/" GUEST_STATUS, a.results);
	if (guest_status_write(path, &st) < 0)
		fprintf(stderr, "vpnlab guest: cannot write %s: %s\n", path, strerror(errno));
	guest_args_free(&a);
	power_off();
}
