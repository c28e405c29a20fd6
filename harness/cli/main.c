/*
** main.c: the command line. `vpnlab run` collects scenario files and hands
** them to the runner; `vpnlab vm prepare` caches a stock kernel for the vm
** backend; `vpnlab doctor` says what this machine can run. Exit status: 0
** all passed, 1 a test point failed, 2 usage or scenario error.
*/
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/doctor.h"
#include "cli/guest.h"
#include "lab/isolate.h"
#include "lab/netns.h"
#include "lab/probe.h"
#include "run/runner.h"
#include "vm/vmcache.h"
#include "vm/vmprep.h"

#define EXIT_FAILED RUNNER_EXIT_FAILED
#define EXIT_ERROR RUNNER_EXIT_ERROR

struct options {
	const char *results;
	const char *backend;
	const char *cache;
	const char *kernel;
	double vm_timeout;
	double timeout;
	char **files;
	int nfiles, capfiles;
	struct seen { dev_t dev; ino_t ino; } *seen;   /* folders and files met while expanding */
	int nseen;
};

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: vpnlab run [--results DIR] [--backend host|vm|auto] [--cache DIR] [--kernel PKG]\n"
	        "                  [--timeout SECONDS] [--vm-timeout SECONDS] SCENARIO.lua|FOLDER ...\n"
	        "       vpnlab vm prepare [--kernel PACKAGE] [--cache DIR] [--force]\n"
	        "       vpnlab doctor [--cache DIR]\n"
	        "       vpnlab --help | --version\n"
	        "\n"
	        "Runs VPN scenarios in network-namespace labs with real daemons and reports TAP.\n"
	        "  run         run scenario files; a folder means every *.lua below it, sorted\n"
	        "  --results   where results folders go (default: ./results)\n"
	        "  --backend   host: this kernel; vm: a stock kernel under QEMU; auto (default):\n"
	        "              the host, and the VM for scenarios needing what the host lacks\n"
	        "  --cache     the VM image cache (default: $XDG_CACHE_HOME/vpnlab or ~/.cache/vpnlab)\n"
	        "  --timeout   each scenario's time limit in seconds (default 300; scaled like the\n"
	        "              protocol timers in the VM); a scenario past it is stopped and fails\n"
	        "  --vm-timeout  the whole VM run's limit (default: 120 s + each scenario's, scaled)\n"
	        "  --kernel    the kernel package to prepare or boot (default: what linux-image-amd64\n"
	        "              depends on; run: the one prepared last)\n"
	        "  vm prepare  download the kernel package (apt-get download, never installed), build\n"
	        "              its module index and an initramfs; instant when the cache is current\n"
	        "  doctor      kernel features, daemons, VM image and acceleration, with hints\n"
	        "Exit status: 0 every test point passed, 1 one failed, 2 usage or scenario error\n"
	        "(or a scenario that timed out or ran no test point), 128+N interrupted by signal N.\n");
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

/* 1 the first time this file or folder is met during folder expansion, 0 after. */
static int first_visit(struct options *o, const struct stat *st)
{
	struct seen *v;
	for (int i = 0; i < o->nseen; i++)
		if (o->seen[i].dev == st->st_dev && o->seen[i].ino == st->st_ino)
			return 0;
	v = realloc(o->seen, (size_t)(o->nseen + 1) * sizeof(*v));
	if (v == NULL)
		return 1;   /* out of memory: at worst a scenario runs twice */
	o->seen = v;
	o->seen[o->nseen++] = (struct seen){ st->st_dev, st->st_ino };
	return 1;
}

/*
** A folder: every *.lua below it, sorted by path. Symbolic links are
** followed, but each folder and file is taken once (a link loop ends), and
** a folder named topologies holds topologies, not scenarios.
*/
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
		if (name[0] != '.' && stat(path, &st) == 0 && first_visit(o, &st)) {
			if (S_ISDIR(st.st_mode) && strcmp(name, "topologies") != 0)
				rc |= add_folder(o, path);
			else if (S_ISREG(st.st_mode) && len > 4 && strcmp(name + len - 4, ".lua") == 0)
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
		if (S_ISDIR(st.st_mode)) {
			first_visit(o, &st);
			if (add_folder(o, path) < 0)
				return -1;
		} else if (add_file(o, path) < 0) {
			return -1;
		}
	}
	return 0;
}

/* A positive number of seconds for option name, or -1 with a message. */
static int parse_seconds(const char *name, const char *text, double *out)
{
	char *end;
	double v = strtod(text, &end);
	if (end == text || *end != '\0' || !(v > 0) || v > 1e7) {
		fprintf(stderr, "vpnlab run: %s needs a positive number of seconds, not '%s'\n", name, text);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_run_args(struct options *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "results", required_argument, NULL, 'r' },
		{ "backend", required_argument, NULL, 'b' },
		{ "cache", required_argument, NULL, 'c' },
		{ "kernel", required_argument, NULL, 'k' },
		{ "vm-timeout", required_argument, NULL, 't' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "r:b:c:k:t:T:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'r': o->results = optarg; break;
		case 'b': o->backend = optarg; break;
		case 'c': o->cache = optarg; break;
		case 'k': o->kernel = optarg; break;
		case 't':
			if (parse_seconds("--vm-timeout", optarg, &o->vm_timeout) < 0)
				return -1;
			break;
		case 'T':
			if (parse_seconds("--timeout", optarg, &o->timeout) < 0)
				return -1;
			break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (strcmp(o->backend, "host") && strcmp(o->backend, "vm") && strcmp(o->backend, "auto")) {
		fprintf(stderr, "vpnlab: unknown backend '%s' (host, vm or auto)\n", o->backend);
		return -1;
	}
	if (optind >= argc) {
		fprintf(stderr, "vpnlab run: name at least one scenario file or folder\n");
		return -1;
	}
	if (collect(o, argc - optind, argv + optind) < 0)
		return -1;
	if (o->nfiles == 0) {
		fprintf(stderr, "vpnlab run: no *.lua scenario found\n");
		return -1;
	}
	qsort(o->files, (size_t)o->nfiles, sizeof(*o->files), by_name);
	return 0;
}

static int cmd_run(struct options *o, int argc, char **argv)
{
	const char *t = getenv("VPNLAB_VM_TIMEOUT");
	if (t && *t && parse_seconds("VPNLAB_VM_TIMEOUT", t, &o->vm_timeout) < 0)
		return EXIT_ERROR;
	if (parse_run_args(o, argc, argv) < 0)
		return EXIT_ERROR;
	struct runner_opts ro = {
		.results_root = o->results, .backend = o->backend, .cache_root = o->cache,
		.vm_package = o->kernel, .vm_timeout = o->vm_timeout, .timeout = o->timeout,
		.files = o->files,
		.nfiles = o->nfiles,
	};
	return runner_main(&ro);
}

/* --cache, --kernel, --force for the vm and doctor commands. */
static int parse_vm_args(struct options *o, int *force, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "cache", required_argument, NULL, 'c' },
		{ "kernel", required_argument, NULL, 'k' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:k:fh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o->cache = optarg; break;
		case 'k': o->kernel = optarg; break;
		case 'f': *force = 1; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vpnlab: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	return 0;
}

static int cmd_vm_prepare(struct options *o, int argc, char **argv)
{
	char root[PATH_MAX], err[1024];
	struct vm_image img;
	int force = 0;

	if (parse_vm_args(o, &force, argc, argv) < 0)
		return EXIT_ERROR;
	if (vmcache_root(o->cache, root, sizeof(root), err, sizeof(err)) < 0) {
		fprintf(stderr, "vpnlab vm prepare: %s\n", err);
		return EXIT_ERROR;
	}
	struct vmprep_opts po = { .cache_root = root, .package = o->kernel, .force = force,
	                          .progress = stdout };
	if (vmprep_run(&po, &img, err, sizeof(err)) < 0) {
		fprintf(stderr, "vpnlab vm prepare: %s\n", err);
		return EXIT_ERROR;
	}
	printf("vm prepare: ready: %s %s (kernel %s) in %s\n", img.package, img.version, img.kver, img.dir);
	return 0;
}

static int cmd_doctor(struct options *o, int argc, char **argv)
{
	char root[PATH_MAX], err[512];
	struct features fs;
	int force = 0, problems;

	if (parse_vm_args(o, &force, argc, argv) < 0)
		return EXIT_ERROR;
	if (vmcache_root(o->cache, root, sizeof(root), err, sizeof(err)) < 0)
		snprintf(root, sizeof(root), "(none: %s)", err);
	/* Probes make scratch namespaces: do it isolated, like a run. */
	if (isolate_enter(err, sizeof(err)) < 0 || netns_init(err, sizeof(err)) < 0) {
		fprintf(stderr, "vpnlab doctor: %s\n", err);
		return EXIT_ERROR;
	}
	features_init(&fs);
	problems = doctor_report(stdout, root, &fs);
	return problems ? EXIT_FAILED : 0;
}

int main(int argc, char **argv)
{
	struct options o = { .results = "results", .backend = "auto" };
	int rc;

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
	if (!strcmp(argv[1], "__guest") && argc == 3)
		guest_main(argv[2]);   /* PID 1 inside the VM; powers it off */
	if (!strcmp(argv[1], "run"))
		rc = cmd_run(&o, argc - 1, argv + 1);
	else if (!strcmp(argv[1], "vm") && argc > 2 && !strcmp(argv[2], "prepare"))
		rc = cmd_vm_prepare(&o, argc - 2, argv + 2);
	else if (!strcmp(argv[1], "doctor"))
		rc = cmd_doctor(&o, argc - 1, argv + 1);
	else {
		fprintf(stderr, "vpnlab: unknown command '%s'\n", argv[1]);
		usage(stderr);
		return EXIT_ERROR;
	}
	for (int i = 0; i < o.nfiles; i++)
		free(o.files[i]);
	free(o.files);
	free(o.seen);
	return rc;
}
