/*
** main.c: the command line. `vpnlab run` collects scenario files, isolates
** the runner, runs each scenario as a TAP subtest and exits 0 (all passed),
** 1 (a test point failed) or 2 (usage or scenario error).
*/
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <netinet/in.h>

#include "probe.h"
#include "isolate.h"
#include "loop.h"
#include "netns.h"
#include "scenario.h"
#include "signals.h"
#include "tap.h"

#define EXIT_FAILED 1
#define EXIT_ERROR 2

struct options {
	const char *results;
	const char *backend;
	char **files;
	int nfiles, capfiles;
};

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: vpnlab run [--results DIR] [--backend host|auto] SCENARIO.lua|FOLDER ...\n"
	        "       vpnlab --help | --version\n"
	        "\n"
	        "Runs VPN scenarios in network-namespace labs with real daemons and reports TAP.\n"
	        "  run        run scenario files; a folder means every *.lua below it, sorted\n"
	        "  --results  where results folders go (default: ./results)\n"
	        "  --backend  host (this kernel) or auto (default)\n"
	        "Exit status: 0 every test point passed, 1 one failed, 2 usage or scenario error.\n");
}

static int add_file(struct options *o, const char *path)
{
	if (o->nfiles == o->capfiles) {
		int cap = o->capfiles ? o->capfiles * 2 : 16;
		char **v = realloc(o->files, (size_t)cap * sizeof(*v));
		if (v == NULL)
			return -1;
		o->files = v;
		o->capfiles = cap;
	}
	o->files[o->nfiles] = strdup(path);
	return o->files[o->nfiles++] == NULL ? -1 : 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A folder: every *.lua below it, sorted by path. */
static int add_folder(struct options *o, const char *dir)
{
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, alphasort), rc = 0;
	if (n < 0) {
		fprintf(stderr, "vpnlab: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char path[PATH_MAX];
		const char *name = ents[i]->d_name;
		struct stat st;
		size_t len = strlen(name);
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (name[0] != '.' && stat(path, &st) == 0) {
			if (S_ISDIR(st.st_mode))
				rc |= add_folder(o, path);
			else if (len > 4 && strcmp(name + len - 4, ".lua") == 0)
				rc |= add_file(o, path);
		}
		free(ents[i]);
	}
	free(ents);
	return rc;
}

static int collect(struct options *o, int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		struct stat st;
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s", argv[i]);
		size_t n = strlen(path);
		while (n > 1 && path[n - 1] == '/')
			path[--n] = '\0';
		if (stat(path, &st) < 0) {
			fprintf(stderr, "vpnlab: %s: %s\n", path, strerror(errno));
			return -1;
		}
		if (S_ISDIR(st.st_mode) ? add_folder(o, path) < 0 : add_file(o, path) < 0)
			return -1;
	}
	return 0;
}

static int parse_run_args(struct options *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "results", required_argument, NULL, 'r' },
		{ "backend", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "r:b:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'r': o->results = optarg; break;
		case 'b': o->backend = optarg; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (strcmp(o->backend, "host") != 0 && strcmp(o->backend, "auto") != 0) {
		fprintf(stderr, "vpnlab: unknown backend '%s' (host or auto)\n", o->backend);
		return -1;
	}
	if (optind >= argc) {
		fprintf(stderr, "vpnlab run: name at least one scenario file or folder\n");
		return -1;
	}
	if (collect(o, argc - optind, argv + optind) < 0)
		return -1;
	qsort(o->files, (size_t)o->nfiles, sizeof(*o->files), by_name);
	if (o->nfiles == 0) {
		fprintf(stderr, "vpnlab run: no *.lua scenario found\n");
		return -1;
	}
	return 0;
}

/* results/<YYYYmmdd-HHMMSS>-<pid>, and results/latest pointing at it. */
static int make_results_dir(const char *root, char *out, size_t len)
{
	char stamp[32], link[PATH_MAX];
	time_t now = time(NULL);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", localtime(&now));
	if (mkdir(root, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "vpnlab: cannot create %s: %s\n", root, strerror(errno));
		return -1;
	}
	snprintf(out, len, "%s/%s-%d", root, stamp, (int)getpid());
	if (mkdir(out, 0755) < 0) {
		fprintf(stderr, "vpnlab: cannot create %s: %s\n", out, strerror(errno));
		return -1;
	}
	snprintf(link, sizeof(link), "%s/latest", root);
	unlink(link);
	if (symlink(strrchr(out, '/') + 1, link) < 0) {
		/* only a convenience */
	}
	return 0;
}

/* "scenarios/nat/ikev2.lua" -> "scenarios_nat_ikev2" */
static void scenario_slug(const char *path, char *out, size_t len)
{
	size_t j = 0;
	while (path[0] == '.' && path[1] == '/')
		path += 2;
	for (size_t i = 0; path[i] && j + 1 < len; i++) {
		if (strcmp(path + i, ".lua") == 0)
			break;
		out[j++] = (path[i] == '/' || path[i] == '.') ? '_' : path[i];
	}
	out[j] = '\0';
}

static const char *lib_dir(void)
{
	const char *d = getenv("VPNLAB_LUA_DIR");
	return d && *d ? d : VPNLAB_SRCDIR "/lua";
}

static const char *src_dir(void)
{
	const char *d = getenv("VPNLAB_SRCDIR");
	return d && *d ? d : VPNLAB_SRCDIR;
}

struct totals {
	int scenarios, passed, failed, errors;
};

/* One scenario as one subtest; returns its result. */
static void run_one(const char *file, int index, const char *results, const char *dataplane,
                    struct loop *loop, struct tap *top, struct scenario_result *res)
{
	char slug[256], dir[PATH_MAX + 300], rundir[64], tapcopy[PATH_MAX + 320];
	struct tap sub;

	scenario_slug(file, slug, sizeof(slug));
	snprintf(dir, sizeof(dir), "%s/%s", results, slug);
	snprintf(rundir, sizeof(rundir), "/run/vpnlab/%d", index);
	mkdir(dir, 0755);
	mkdir(rundir, 0700);
	snprintf(tapcopy, sizeof(tapcopy), "%s/tap.txt", dir);
	tap_subtest_header(top, file);
	tap_init(&sub, stdout, 1);
	sub.copy = fopen(tapcopy, "we");
	struct scenario_opts so = {
		.path = file, .dir = dir, .rundir = rundir, .libdir = lib_dir(), .srcdir = src_dir(),
		.backend = "host", .dataplane = dataplane, .time_scale = 1.0, .loop = loop, .tap = &sub,
	};
	scenario_run(&so, res);
	if (res->error) {
		char diag[2600] = "";
		tap_yaml_kv(diag, sizeof(diag), "message", "scenario error");
		tap_yaml_kv(diag, sizeof(diag), "error", res->message);
		tap_point(&sub, 0, diag, "scenario ran to the end");
		res->failed++;
	}
	tap_plan(&sub);
	if (sub.copy != NULL)
		fclose(sub.copy);
	tap_point(top, !res->error && res->failed == 0, NULL, "%s (%d passed, %d failed%s, %.2f s)",
	          file, res->passed, res->failed, res->skipped ? ", some skipped" : "", res->seconds);
	tap_comment(top, "results: %s", dir);
	tap_comment(top, "timing: lab up %.1f ms, teardown %.1f ms", res->lab_up * 1e3, res->teardown * 1e3);
}

static int run_all(struct options *o)
{
	char results[PATH_MAX], err[512];
	struct loop loop;
	struct tap top;
	struct totals t = { 0, 0, 0, 0 };
	struct utsname un;
	const char *dataplane;

	if (make_results_dir(o->results, results, sizeof(results)) < 0)
		return EXIT_ERROR;
	if (isolate_enter(err, sizeof(err)) < 0 || netns_init(err, sizeof(err)) < 0) {
		fprintf(stderr, "vpnlab: %s\n", err);
		return EXIT_ERROR;
	}
	loop_init(&loop);
	if (signals_init(&loop) < 0) {
		fprintf(stderr, "vpnlab: cannot watch signals\n");
		return EXIT_ERROR;
	}
	/* Kernel ESP when the kernel has it; strongSwan's userspace ESP otherwise. */
	dataplane = probe_xfrm(IPPROTO_ESP) ? "kernel" : "kernel-libipsec";
	uname(&un);
	tap_init(&top, stdout, 0);
	tap_version(&top);
	tap_comment(&top, "vpnlab %s, backend host, kernel %s, data plane %s", VPNLAB_VERSION,
	            un.release, dataplane);
	for (int i = 0; i < o->nfiles; i++) {
		struct scenario_result res;
		run_one(o->files[i], i + 1, results, dataplane, &loop, &top, &res);
		t.scenarios++;
		if (res.error) {
			t.errors++;
			tap_bail_out(&top, "%s", res.message);
			break;
		}
		if (res.failed)
			t.failed++;
		else
			t.passed++;
	}
	if (!t.errors)
		tap_plan(&top);
	loop_free(&loop);
	fprintf(stderr, "vpnlab: %d scenario%s: %d passed, %d failed%s; results in %s\n",
	        t.scenarios, t.scenarios == 1 ? "" : "s", t.passed, t.failed,
	        t.errors ? ", stopped by a scenario error" : "", results);
	return t.errors ? EXIT_ERROR : t.failed ? EXIT_FAILED : 0;
}

int main(int argc, char **argv)
{
	struct options o = { .results = "results", .backend = "auto" };

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2) {
		usage(stderr);
		return EXIT_ERROR;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("vpnlab %s\n", VPNLAB_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "run")) {
		int rc = parse_run_args(&o, argc - 1, argv + 1) < 0 ? EXIT_ERROR : run_all(&o);
		for (int i = 0; i < o.nfiles; i++)
			free(o.files[i]);
		free(o.files);
		return rc;
	}
	fprintf(stderr, "vpnlab: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_ERROR;
}
