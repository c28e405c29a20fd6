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

#include "guest.h"
#include "netns.h"
#include "runner.h"

static int add_file(struct guest_args *a, const char *path)
{
	char **v = realloc(a->files, (size_t)(a->nfiles + 1) * sizeof(*v));
	if (v == NULL)
		return -1;
	a->files = v;
	return (a->files[a->nfiles++] = strdup(path)) == NULL ? -1 : 0;
}

/* One "key value" line into a; 0, or -1 for an unknown key or a bad value. */
static int parse_line(struct guest_args *a, const char *key, const char *value)
{
	char *end;
	if (!strcmp(key, "cwd"))
		return snprintf(a->cwd, sizeof(a->cwd), "%s", value) < (int)sizeof(a->cwd) ? 0 : -1;
	if (!strcmp(key, "results"))
		return snprintf(a->results, sizeof(a->results), "%s", value) < (int)sizeof(a->results) ? 0 : -1;
	if (!strcmp(key, "accel"))
		return snprintf(a->accel, sizeof(a->accel), "%s", value) < (int)sizeof(a->accel) ? 0 : -1;
	if (!strcmp(key, "file"))
		return value[0] == '/' ? add_file(a, value) : -1;
	if (!strcmp(key, "offset")) {
		long v = strtol(value, &end, 10);
		a->offset = (int)v;
		return *value && !*end && v >= 0 && v < 1000000 ? 0 : -1;
	}
	if (!strcmp(key, "time_scale")) {
		a->time_scale = strtod(value, &end);
		return *value && !*end && a->time_scale > 0 && a->time_scale <= 100 ? 0 : -1;
	}
	if (!strcmp(key, "clock")) {
		a->clock = strtod(value, &end);
		return *value && !*end && a->clock >= 0 ? 0 : -1;
	}
	return -1;
}

int guest_args_read(const char *path, struct guest_args *a, char *err, size_t errlen)
{
	char line[PATH_MAX + 32];
	FILE *f = fopen(path, "re");
	int lineno = 0;

	memset(a, 0, sizeof(a[0]));
	a->time_scale = 1.0;
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *sp, *nl = strchr(line, '\n');
		lineno++;
		if (nl == NULL && !feof(f))
			goto bad;
		if (nl != NULL)
			*nl = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if ((sp = strchr(line, ' ')) == NULL)
			goto bad;
		*sp = '\0';
		if (parse_line(a, line, sp + 1) < 0)
			goto bad;
	}
	fclose(f);
	if (!a->results[0] || !a->cwd[0]) {
		snprintf(err, errlen, "%s: no results or cwd line", path);
		guest_args_free(a);
		return -1;
	}
	return 0;
bad:
	snprintf(err, errlen, "%s:%d: bad line", path, lineno);
	fclose(f);
	guest_args_free(a);
	return -1;
}

int guest_args_write(const char *path, const struct guest_args *a, char *err, size_t errlen)
{
	FILE *f;
	const char *paths[] = { a->cwd, a->results };

	for (int i = 0; i < 2; i++)
		if (strchr(paths[i], '\n')) {
			snprintf(err, errlen, "a path with a newline cannot be passed to the guest");
			return -1;
		}
	for (int i = 0; i < a->nfiles; i++)
		if (strchr(a->files[i], '\n') || a->files[i][0] != '/') {
			snprintf(err, errlen, "%s: the guest needs an absolute path without newlines", a->files[i]);
			return -1;
		}
	if ((f = fopen(path, "we")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	fprintf(f, "# vpnlab guest arguments (written by the host's vm backend)\n");
	fprintf(f, "cwd %s\nresults %s\noffset %d\ntime_scale %g\nclock %.3f\naccel %s\n", a->cwd,
	        a->results, a->offset, a->time_scale, a->clock, a->accel[0] ? a->accel : "tcg");
	for (int i = 0; i < a->nfiles; i++)
		fprintf(f, "file %s\n", a->files[i]);
	if (fclose(f) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

void guest_args_free(struct guest_args *a)
{
	for (int i = 0; i < a->nfiles; i++)
		free(a->files[i]);
	free(a->files);
	a->files = NULL;
	a->nfiles = 0;
}

int guest_status_write(const char *path, const struct guest_status *s)
{
	char tmp[PATH_MAX + 8];
	FILE *f;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "we")) == NULL)
		return -1;
	fprintf(f, "scenarios %d\npassed %d\nfailed %d\nerrors %d\nskipped %d\nbailed %d\nend\n",
	        s->scenarios, s->passed, s->failed, s->errors, s->skipped, s->bailed);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
		fclose(f);
		return -1;
	}
	fclose(f);
	return rename(tmp, path);
}

int guest_status_read(const char *path, struct guest_status *s)
{
	FILE *f = fopen(path, "re");
	int n, end = 0;
	if (f == NULL)
		return -1;
	memset(s, 0, sizeof(*s));
	/* %n after the end marker: a file cut short before "end" does not count. */
	n = fscanf(f, "scenarios %d\npassed %d\nfailed %d\nerrors %d\nskipped %d\nbailed %d\nend%n",
	           &s->scenarios, &s->passed, &s->failed, &s->errors, &s->skipped, &s->bailed, &end);
	fclose(f);
	return n == 6 && end > 0 ? 0 : -1;
}

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

static void run_files(struct runner *rn, const struct guest_args *a)
{
	for (int i = 0; i < a->nfiles && !rn->errors; i++) {
		char unmet[256], reason[512];
		if (runner_scenario(rn, a->files[i], i + 1, unmet, sizeof(unmet)) == RUN_UNMET) {
			snprintf(reason, sizeof(reason), "needs %s, which the VM's kernel %s lacks", unmet,
			         rn->kernel);
			runner_skip(rn, a->files[i], reason);
		}
	}
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
	mkdir("/run/vpnlab", 0700);
	snprintf(path, sizeof(path), "%s/" GUEST_TAP, a.results);
	tap = fopen(path, "we");
	if (tap == NULL || chdir(a.cwd) < 0 || netns_init(err, sizeof(err)) < 0 ||
	    runner_init(&rn, "vm", a.time_scale) < 0) {
		fprintf(stderr, "vpnlab guest: cannot start: %s\n", tap == NULL ? path : err);
		power_off();
	}
	setvbuf(tap, NULL, _IOLBF, 0);
	snprintf(rn.results, sizeof(rn.results), "%s", a.results);
	snprintf(rn.backend_desc, sizeof(rn.backend_desc), "vm (%s)", a.accel);
	tap_init(&rn.top, tap, 0);
	rn.top.count = a.offset;
	tap_comment(&rn.top, "vm: kernel %s, %s, protocol timeouts x%g", rn.kernel, a.accel, a.time_scale);
	run_files(&rn, &a);
	st = (struct guest_status){ rn.scenarios, rn.passed, rn.failed, rn.errors, rn.skipped, rn.errors > 0 };
	fclose(tap);
	snprintf(path, sizeof(path), "%s/" GUEST_STATUS, a.results);
	if (guest_status_write(path, &st) < 0)
		fprintf(stderr, "vpnlab guest: cannot write %s: %s\n", path, strerror(errno));
	guest_args_free(&a);
	power_off();
}
