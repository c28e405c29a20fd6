/*
** runner.c: see runner.h. The order of a host run: results folder, isolation,
** header, each scenario on the host (those that need what this kernel lacks
** are queued), then the queue in one VM boot whose TAP is streamed through,
** then the plan and the exit status.
*/
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "lab/isolate.h"
#include "lab/netns.h"
#include "report/report.h"
#include "run/junit.h"
#include "run/runner.h"
#include "run/scenario.h"
#include "run/select.h"
#include "run/signals.h"
#include "run/tapout.h"
#include "util/datadir.h"
#include "vm/vm.h"
#include "vm/vmcache.h"

/* results/<YYYYmmdd-HHMMSS>-<pid> (absolute: the VM mounts it at the same path), and results/latest. */
static int make_results_dir(const char *root, char *out, size_t len)
{
	char stamp[32], link[PATH_MAX], abs[PATH_MAX];
	time_t now = time(NULL);

	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", localtime(&now));
	if (mkdir(root, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "vpnlab: cannot create %s: %s\n", root, strerror(errno));
		return -1;
	}
	if (realpath(root, abs) == NULL) {
		fprintf(stderr, "vpnlab: %s: %s\n", root, strerror(errno));
		return -1;
	}
	snprintf(out, len, "%.3900s/%s-%d", abs, stamp, (int)getpid());
	if (mkdir(out, 0755) < 0) {
		fprintf(stderr, "vpnlab: cannot create %s: %s\n", out, strerror(errno));
		return -1;
	}
	snprintf(link, sizeof(link), "%.4000s/latest", abs);
	unlink(link);
	if (symlink(strrchr(out, '/') + 1, link) < 0) {
		/* only a convenience */
	}
	return 0;
}

/* "scenarios/nat/ikev2.lua" (or its absolute path under the cwd) -> "scenarios_nat_ikev2" */
static void scenario_slug(const char *path, char *out, size_t len)
{
	char cwd[PATH_MAX];
	size_t j = 0, n;

	if (path[0] == '/' && getcwd(cwd, sizeof(cwd)) != NULL && (n = strlen(cwd)) > 1 &&
	    strncmp(path, cwd, n) == 0 && path[n] == '/')
		path += n + 1;
	while (path[0] == '.' && path[1] == '/')
		path += 2;
	while (path[0] == '/')
		path++;
	for (size_t i = 0; path[i] && j + 1 < len; i++) {
		if (strcmp(path + i, ".lua") == 0)
			break;
		out[j++] = (path[i] == '/' || path[i] == '.') ? '_' : path[i];
	}
	out[j] = '\0';
}

/* The name a scenario is shown by: relative to the working folder when it is below it. */
static const char *display_name(const char *path)
{
	static char cwd[PATH_MAX];
	size_t n;

	if (path[0] != '/' || getcwd(cwd, sizeof(cwd)) == NULL)
		return path;
	n = strlen(cwd);
	if (n > 1 && strncmp(path, cwd, n) == 0 && path[n] == '/')
		return path + n + 1;
	return path;
}

int runner_init(struct runner *rn, const char *backend, double time_scale, double timeout)
{
	struct utsname un;

	memset(rn, 0, sizeof(*rn));
	loop_init(&rn->loop);
	if (signals_init(&rn->loop) < 0)
		return -1;
	features_init(&rn->features);
	rn->backend = backend;
	snprintf(rn->backend_desc, sizeof(rn->backend_desc), "%s", backend);
	rn->time_scale = time_scale;
	rn->timeout = timeout > 0 ? timeout : RUNNER_DEFAULT_TIMEOUT;
	uname(&un);
	snprintf(rn->kernel, sizeof(rn->kernel), "%s", un.release);
	return 0;
}

void runner_free(struct runner *rn)
{
	loop_free(&rn->loop);
}

int runner_interrupted(struct runner *rn)
{
	if (!rn->signal && (signals_poll() || rn->loop.interrupted))
		rn->signal = signals_received();
	return rn->signal != 0;
}

int runner_finish(struct runner *rn)
{
	if (runner_interrupted(rn)) {
		const char *name = sigabbrev_np(rn->signal);
		tap_bail_out(&rn->top, "interrupted by SIG%s; no further scenario was started",
		             name ? name : "?");
		return 128 + rn->signal;
	}
	tap_plan(&rn->top);
	return rn->errors ? RUNNER_EXIT_ERROR : rn->failed ? RUNNER_EXIT_FAILED : 0;
}

void runner_skip(struct runner *rn, const char *file, const char *reason)
{
	tap_skip(&rn->top, reason, "%s", display_name(file));
	rn->scenarios++;
	rn->skipped++;
}

/*
** A scenario that did not run to its end (or ran no point) gets one failing
** point of its own, after whatever it printed, saying why: never one of its
** assertions, so no verdict is scored on a wait that was cut short.
*/
static void report_end(struct tap *sub, const struct scenario_result *res, char *summary,
                       size_t len)
{
	char diag[4096] = "";
	const char *desc = "";

	switch (res->end) {
	case SCENARIO_ERROR:
		desc = "scenario error";
		tap_yaml_kv(diag, sizeof(diag), "message", "the scenario stopped with an error");
		tap_yaml_kv(diag, sizeof(diag), "error", res->message);
		if (res->traceback[0])
			tap_yaml_kv(diag, sizeof(diag), "traceback", res->traceback);
		snprintf(summary, len, "scenario error: %s", res->message);
		break;
	case SCENARIO_EMPTY:
		desc = "the scenario ran at least one test point";
		tap_yaml_kv(diag, sizeof(diag), "message", res->message);
		snprintf(summary, len, "no test points");
		break;
	case SCENARIO_TIMED_OUT:
		desc = "time limit";
		tap_yaml_kv(diag, sizeof(diag), "message", res->message);
		snprintf(summary, len, "stopped at its time limit: %s", res->message);
		break;
	case SCENARIO_INTERRUPTED:
		desc = "interrupted";
		tap_yaml_kv(diag, sizeof(diag), "message", res->message);
		snprintf(summary, len, "interrupted by SIG%s",
		         sigabbrev_np(res->signal) ? sigabbrev_np(res->signal) : "?");
		break;
	default:
		return;
	}
	tap_point(sub, 0, diag, "%s", desc);
}

enum runner_outcome runner_scenario(struct runner *rn, const char *file, int index,
                                    char *unmet, size_t unmetlen)
{
	char slug[256], dir[PATH_MAX + 300], rundir[64], tapcopy[PATH_MAX + 320], why[2200] = "";
	struct scenario_result res;
	struct tap sub;
	const char *name = display_name(file);

	scenario_slug(file, slug, sizeof(slug));
	snprintf(dir, sizeof(dir), "%s/%s", rn->results, slug);
	snprintf(rundir, sizeof(rundir), "/run/vpnlab/%d", index);
	mkdir(dir, 0755);
	mkdir(rundir, 0700);
	snprintf(tapcopy, sizeof(tapcopy), "%s/tap.txt", dir);
	tap_init(&sub, rn->top.out, rn->top.depth + 1);
	tap_subtest_defer(&sub, name);
	sub.copy = fopen(tapcopy, "we");
	struct scenario_opts so = {
		.path = name, .dir = dir,   /* the name: host and VM report the same file:line */ .rundir = rundir, .libdir = datadir_lua(), .srcdir = datadir_root(),
		.backend = rn->backend, .time_scale = rn->time_scale, .timeout = rn->timeout,
		.features = &rn->features, .loop = &rn->loop, .tap = &sub,
	};
	scenario_run(&so, &res);
	if (sub.copy != NULL)
		fclose(sub.copy);
	if (res.end == SCENARIO_UNMET) {
		unlink(tapcopy);
		if (unmet != NULL)
			snprintf(unmet, unmetlen, "%s", res.message);
		return RUN_UNMET;
	}
	sub.copy = fopen(tapcopy, "ae");
	report_end(&sub, &res, why, sizeof(why));
	tap_plan(&sub);
	if (sub.copy != NULL)
		fclose(sub.copy);
	rn->scenarios++;
	if (why[0])
		tap_point(&rn->top, 0, NULL, "%s (%s)", name, why);
	else
		tap_point(&rn->top, res.failed == 0, NULL, "%s (%d passed, %d failed%s, %.2f s)", name,
		          res.passed, res.failed, res.skipped ? ", some skipped" : "", res.seconds);
	tap_comment(&rn->top, "results: %s", dir);
	tap_comment(&rn->top, "backend: %s, kernel %s", rn->backend_desc, rn->kernel);
	tap_comment(&rn->top, "timing: lab up %.1f ms, teardown %.1f ms", res.lab_up * 1e3,
	            res.teardown * 1e3);
	if (res.end == SCENARIO_INTERRUPTED) {
		rn->signal = res.signal;
		return RUN_INTERRUPTED;
	}
	if (res.end != SCENARIO_RAN) {
		rn->errors++;
		return RUN_ERROR;
	}
	if (res.failed)
		rn->failed++;
	else
		rn->passed++;
	return res.failed ? RUN_FAILED : RUN_PASSED;
}

/* ---- the host side ---------------------------------------------------- */

struct queue {
	char **files;
	int n;
};

/* The prepared VM, or why there is none (with the command that fixes it). */
static int find_vm(const struct runner_opts *o, struct vm_image *img, char *why, size_t len)
{
	char root[PATH_MAX], err[512];
	if (vmcache_root(o->cache_root, root, sizeof(root), err, sizeof(err)) < 0 ||
	    vmcache_find(root, o->vm_package, img, err, sizeof(err)) < 0) {
		snprintf(why, len, "%s; prepare it with: vpnlab vm prepare%s%s%s%s", err,
		         o->cache_root ? " --cache " : "", o->cache_root ? o->cache_root : "",
		         o->vm_package ? " --kernel " : "", o->vm_package ? o->vm_package : "");
		return -1;
	}
	return 0;
}

static double vm_time_scale(int kvm)
{
	const char *s = getenv("VPNLAB_VM_TIME_SCALE");
	double v = s && *s ? strtod(s, NULL) : 0;
	return v > 0 ? v : kvm ? 1.0 : 4.0;
}

/* Run the queue in one VM boot; the guest's TAP goes straight to stdout. */
static void run_queue(struct runner *rn, const struct runner_opts *o, const struct vm_image *img,
                      struct queue *q)
{
	struct vm_result vr;
	int kvm = vmcache_kvm_usable();
	char root[PATH_MAX], cache[PATH_MAX], err[256];
	struct vm_run_opts vo = {
		.img = img, .run_dir = rn->results, .files = q->files, .nfiles = q->n,
		.offset = rn->top.count, .kvm = kvm, .time_scale = vm_time_scale(kvm),
		.timeout = o->vm_timeout, .scenario_timeout = rn->timeout, .jobs = o->jobs, .loop = &rn->loop,
		.out = rn->top.out,
	};

	if (vmcache_root(o->cache_root, root, sizeof(root), err, sizeof(err)) == 0 &&
	    realpath(root, cache) != NULL)
		vo.cache_root = cache;

	tap_comment(&rn->top, "vm: %d scenario%s for the VM%s: booting %s (%s, %s)", q->n,
	            q->n == 1 ? "" : "s", strcmp(o->backend, "vm") ? " (the host kernel lacks what they need)" : "",
	            img->package, img->kver, kvm ? "kvm" : "tcg");
	vm_run(&vo, &vr);
	if (vr.relaunched)
		tap_comment(&rn->top, "vm: the first boot said nothing within the boot timeout; booted again "
		            "(its console: %s/vm/console.log.first-boot)", rn->results);
	if (vr.boot_seconds > 0)
		tap_comment(&rn->top, "vm: first scenario started %.2f s after launch; whole VM run %.2f s",
		            vr.boot_seconds, vr.seconds);
	if (!vr.ok) {
		/* The guest's points that did arrive were forwarded: count them, then say why the rest did not. */
		rn->top.count += vr.forwarded;
		rn->top.failed += vr.forwarded_failed;
		rn->scenarios += vr.forwarded;
		rn->failed += vr.forwarded_failed;
		rn->passed += vr.forwarded - vr.forwarded_failed;
		if (runner_interrupted(rn))
			return;
		rn->errors++;
		rn->scenarios++;
		tap_point(&rn->top, 0, NULL, "vm backend: %d of %d scenario%s did not report: %s",
		          q->n - vr.forwarded, q->n, q->n == 1 ? "" : "s", vr.message);
		return;
	}
	rn->top.count += vr.status.scenarios;
	rn->top.failed += vr.status.failed + vr.status.errors;
	rn->top.skipped += vr.status.skipped;
	rn->scenarios += vr.status.scenarios;
	rn->passed += vr.status.passed;
	rn->failed += vr.status.failed;
	rn->errors += vr.status.errors;
	rn->skipped += vr.status.skipped;
}

static int queue_add(struct queue *q, const char *file)
{
	char abs[PATH_MAX], **v;
	if (realpath(file, abs) == NULL)
		return -1;
	v = realloc(q->files, (size_t)(q->n + 1) * sizeof(*v));
	if (v == NULL)
		return -1;
	q->files = v;
	return (q->files[q->n++] = strdup(abs)) == NULL ? -1 : 0;
}

static void queue_free(struct queue *q)
{
	for (int i = 0; i < q->n; i++)
		free(q->files[i]);
	free(q->files);
}

static void header(struct runner *rn, const struct runner_opts *o, const struct vm_image *img,
                   int have_vm)
{
	tap_version(&rn->top);
	if (!strcmp(o->backend, "vm"))
		tap_comment(&rn->top, "vpnlab %s, backend vm: %s (%s)", VPNLAB_VERSION, img->package,
		            img->kver);
	else
		tap_comment(&rn->top, "vpnlab %s, backend %s: host kernel %s (kernel ESP: %s)%s%s",
		            VPNLAB_VERSION, o->backend, rn->kernel,
		            features_has(&rn->features, FEATURE_ESP) ? "yes" : "no",
		            have_vm ? "; VM for what it lacks: " : "", have_vm ? img->package : "");
}

void runner_run_files(struct runner *rn, char *const *files, int n, int jobs,
                      runner_unmet_fn on_unmet, void *ctx)
{
	if (jobs > 1 && n > 1) {
		runner_run_parallel(rn, files, n, jobs, on_unmet, ctx);
		return;
	}
	for (int i = 0; i < n && !runner_interrupted(rn); i++) {
		char unmet[256];
		if (runner_scenario(rn, files[i], i + 1, unmet, sizeof(unmet)) == RUN_UNMET)
			on_unmet(rn, files[i], unmet, ctx);
	}
}

struct host_unmet {
	const struct runner_opts *o;
	int have_vm;
	const char *no_vm;
	struct queue *q;
};

/* On the host, what the host lacks is queued for the VM (auto) or skipped. */
static void host_unmet(struct runner *rn, const char *file, const char *unmet, void *ctx)
{
	const struct host_unmet *h = ctx;
	char reason[1024];

	if (!strcmp(h->o->backend, "auto") && h->have_vm) {
		if (queue_add(h->q, file) == 0)
			return;
		snprintf(reason, sizeof(reason), "cannot queue for the VM: %s", strerror(errno));
	} else if (!strcmp(h->o->backend, "auto")) {
		snprintf(reason, sizeof(reason), "needs %s, which kernel %s lacks; no VM: %s", unmet,
		         rn->kernel, h->no_vm);
	} else {
		snprintf(reason, sizeof(reason), "needs %s, which kernel %s lacks; "
		         "run it with --backend vm or auto", unmet, rn->kernel);
	}
	runner_skip(rn, file, reason);
}

static void run_on_host(struct runner *rn, const struct runner_opts *o, int have_vm,
                       const char *no_vm, struct queue *q)
{
	struct host_unmet h = { o, have_vm, no_vm, q };
	runner_run_files(rn, o->files, o->nfiles, o->jobs, host_unmet, &h);
}

/* The progress observer sees every line of the TAP stream (tapout.h). */
static void progress_tap_line(void *ctx, const char *line, size_t len)
{
	progress_line(ctx, line, len);
}

/* --junit: the whole run's TAP, as saved in run.tap, converted at the end. */
static int write_junit(const char *tap_path, const char *junit_path)
{
	char err[512], *text = NULL;
	size_t len = 0;
	FILE *in = fopen(tap_path, "re"), *out = NULL, *buf = open_memstream(&text, &len);
	int rc = -1;

	if (in != NULL && buf != NULL) {
		char chunk[8192];
		size_t n;
		while ((n = fread(chunk, 1, sizeof(chunk), in)) > 0)
			fwrite(chunk, 1, n, buf);
	}
	if (buf != NULL)
		fclose(buf);
	if (in == NULL || text == NULL) {
		fprintf(stderr, "vpnlab: --junit: cannot read %s: %s\n", tap_path, strerror(errno));
	} else if ((out = fopen(junit_path, "we")) == NULL) {
		fprintf(stderr, "vpnlab: --junit %s: %s\n", junit_path, strerror(errno));
	} else if (junit_write(text, len, "vpnlab", out, err, sizeof(err)) < 0) {
		fprintf(stderr, "vpnlab: --junit %s: %s\n", junit_path, err);
	} else {
		rc = 0;
	}
	if (out != NULL && fclose(out) != 0 && rc == 0) {
		fprintf(stderr, "vpnlab: --junit %s: %s\n", junit_path, strerror(errno));
		rc = -1;
	}
	if (in != NULL)
		fclose(in);
	free(text);
	return rc;
}

int runner_main(const struct runner_opts *o)
{
	struct runner rn;
	struct vm_image img;
	struct queue q = { NULL, 0 };
	struct tapout tee;
	struct progress *prog;
	char err[512], no_vm[1024] = "", results[4096], tap_path[4200];
	int have_vm = 0, vm_only = !strcmp(o->backend, "vm"), rc;
	FILE *run_tap, *out;

	if (strcmp(o->backend, "host") != 0)
		have_vm = find_vm(o, &img, no_vm, sizeof(no_vm)) == 0;
	if (vm_only && !have_vm) {
		fprintf(stderr, "vpnlab: --backend vm: %s\n", no_vm);
		return RUNNER_EXIT_ERROR;
	}
	if (make_results_dir(o->results_root, results, sizeof(results)) < 0)
		return RUNNER_EXIT_ERROR;
	/* --cache reaches the drivers that use the cache (libreswan) as the guest's does: VPNLAB_CACHE. */
	if (o->cache_root != NULL) {
		char cache[PATH_MAX];
		if (realpath(o->cache_root, cache) != NULL)
			setenv("VPNLAB_CACHE", cache, 1);
	}
	if (isolate_enter(err, sizeof(err)) < 0 || netns_init(err, sizeof(err)) < 0) {
		fprintf(stderr, "vpnlab: %s\n", err);
		return RUNNER_EXIT_ERROR;
	}
	if (runner_init(&rn, "host", 1.0, o->timeout) < 0) {
		fprintf(stderr, "vpnlab: cannot watch signals\n");
		return RUNNER_EXIT_ERROR;
	}
	snprintf(rn.results, sizeof(rn.results), "%s", results);
	/* One stream, three readers: stdout (prove), run.tap (--junit, and a record), the progress line. */
	snprintf(tap_path, sizeof(tap_path), "%s/run.tap", results);
	run_tap = fopen(tap_path, "we");
	prog = progress_open(stderr, o->progress, o->nfiles);
	out = tapout_open(&tee, stdout, run_tap, prog ? progress_tap_line : NULL, prog);
	tap_init(&rn.top, out ? out : stdout, 0);
	header(&rn, o, &img, have_vm);
	if (vm_only) {
		for (int i = 0; i < o->nfiles; i++)
			if (queue_add(&q, o->files[i]) < 0)
				fprintf(stderr, "vpnlab: %s: %s\n", o->files[i], strerror(errno));
	} else {
		run_on_host(&rn, o, have_vm, no_vm, &q);
	}
	if (q.n > 0 && !runner_interrupted(&rn))
		run_queue(&rn, o, &img, &q);
	rc = runner_finish(&rn);
	tapout_close(&tee, out);
	if (run_tap != NULL)
		fclose(run_tap);
	progress_close(prog);
	if (o->junit != NULL && (run_tap == NULL || write_junit(tap_path, o->junit) < 0) && rc < 2)
		rc = RUNNER_EXIT_ERROR;   /* a report that was asked for and is missing is not a pass */
	/* The HTML page only reads what the run left: without it the run's outcome is the same. */
	if (run_tap != NULL && report_write(rn.results, err, sizeof(err)) < 0)
		fprintf(stderr, "vpnlab: warning: no HTML report: %s\n", err);
	if (!o->quiet)
		fprintf(stderr, "vpnlab: %d scenario%s: %d passed, %d failed, %d skipped, %d error%s%s; results in %s\n",
		        rn.scenarios, rn.scenarios == 1 ? "" : "s", rn.passed, rn.failed, rn.skipped,
		        rn.errors, rn.errors == 1 ? "" : "s", rn.signal ? ", interrupted" : "", rn.results);
	queue_free(&q);
	runner_free(&rn);
	return rc;
}

int runner_list(const struct runner_opts *o, const struct selection *s)
{
	struct vm_image img;
	struct features fs;
	char err[512], no_vm[1024] = "";
	int have_vm = 0;

	if (strcmp(o->backend, "host") != 0)
		have_vm = find_vm(o, &img, no_vm, sizeof(no_vm)) == 0;
	/* The feature probes make scratch namespaces: isolated, like a run. */
	if (isolate_enter(err, sizeof(err)) < 0 || netns_init(err, sizeof(err)) < 0) {
		fprintf(stderr, "vpnlab: %s\n", err);
		return RUNNER_EXIT_ERROR;
	}
	features_init(&fs);
	select_print_list(stdout, s, &fs, o->backend, have_vm);
	return fflush(stdout) == 0 ? 0 : RUNNER_EXIT_ERROR;
}
