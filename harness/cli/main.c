/*
** main.c: the command line. `vpnlab run` collects scenario files and hands
** them to the runner; `vpnlab vm prepare` caches a stock kernel for the vm
** backend; `vpnlab doctor` says what this machine can run; the other
** commands (commands.h) each live in a file of their own. Exit status: 0
** all passed, 1 a test point failed, 2 usage or scenario error.
*/
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/doctor.h"
#include "cli/guest.h"
#include "lab/isolate.h"
#include "lab/netns.h"
#include "lab/probe.h"
#include "run/progress.h"
#include "run/runner.h"
#include "run/select.h"
#include "vm/vmcache.h"
#include "vm/swanfetch.h"
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
	const char *junit;            /* --junit FILE */
	struct select_opts select;    /* --only, --skip, --tags, --shard */
	int list, quiet, verbose;
	int jobs;                     /* -j N */
	struct selection scenarios;   /* what runs, in order */
};

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: vpnlab run [--results DIR] [--backend host|vm|auto] [--cache DIR] [--kernel PKG]\n"
	        "                  [--timeout SECONDS] [--vm-timeout SECONDS] [--junit FILE]\n"
	        "                  [--only PATTERN]... [--skip PATTERN]... [--tags EXPR] [--shard I/N]\n"
	        "                  [--list] [-j N] [-q|--quiet] [-v|--verbose] SCENARIO.lua|FOLDER ...\n"
	        "       vpnlab vm prepare [--kernel PACKAGE] [--cache DIR] [--force]\n"
	        "       vpnlab doctor [--cache DIR]\n"
	        "       vpnlab timeline [--color=auto|always|never] RESULTS_DIR|FILE.pcap\n"
	        "       vpnlab decode [--json] [--link NAME] [--esp-sa ESP_SA] FILE|-\n"
	        "       vpnlab check FILE.pcap ASSERTIONS.lua\n"
	        "       vpnlab triage [--json] FILE.pcap\n"
	        "       vpnlab up [--name NAME] [--results DIR] [--timeout SECONDS] TOPOLOGY|SCENARIO\n"
	        "       vpnlab exec LAB NODE [--] COMMAND [ARG...] | vpnlab shell LAB NODE\n"
	        "       vpnlab capture LAB LINK [--count N] [--json]\n"
	        "       vpnlab down [--timeout SECONDS] LAB...|--all | vpnlab ls\n"
	        "       vpnlab --help | --version\n"
	        "\n"
	        "Runs VPN scenarios in network-namespace labs with real daemons and reports TAP.\n"
	        "  run         run scenario files in the order given; a folder means every *.lua\n"
	        "              below it, sorted\n"
	        "  --results   where results folders go (default: ./results)\n"
	        "  --backend   host: this kernel; vm: a stock kernel under QEMU; auto (default):\n"
	        "              the host, and the VM for scenarios needing what the host lacks\n"
	        "  --cache     the VM image cache (default: $XDG_CACHE_HOME/vpnlab or ~/.cache/vpnlab)\n"
	        "  --timeout   each scenario's time limit in seconds (default 300; scaled like the\n"
	        "              protocol timers in the VM); a scenario past it is stopped and fails\n"
	        "  --vm-timeout  the whole VM run's limit (default: 120 s + each scenario's, scaled)\n"
	        "  --junit     also write the results as JUnit XML to FILE (for CI servers)\n"
	        "  --only, --skip  run only / leave out scenarios whose path or name matches the\n"
	        "              glob PATTERN (repeatable)\n"
	        "  --tags      by declared tags (vpnlab.tags{...}): \"nat,!slow\" = nat and not slow\n"
	        "  --shard     I/N: the I-th of N disjoint, balanced parts of what is selected\n"
	        "  --list      print what would run (tags, requirements, backend) and exit\n"
	        "  -j, --jobs  N scenarios at once, each in its own lab (default 1); the TAP stays\n"
	        "              in the order given\n"
	        "  -q, --quiet no progress and no summary on stderr\n"
	        "  -v, --verbose  every scenario and test point on stderr as it happens\n"
	        "  --kernel    the kernel package to prepare or boot (default: what linux-image-amd64\n"
	        "              depends on; run: the one prepared last)\n"
	        "  vm prepare  download the kernel package (apt-get download, never installed), build\n"
	        "              its module index and an initramfs, and fetch libreswan for node:libreswan\n"
	        "              (unpacked into the cache); instant when the cache is current\n"
	        "  doctor      kernel features, daemons, VM image and acceleration, with hints\n"
	        "  timeline    a run's packet flow as text: sender -> receiver, what it is, NAT rewrites\n"
	        "  decode      vpnlab's dissector over any pcap/pcapng (--json: timeline.jsonl's objects)\n"
	        "  check       the wire assertions of ASSERTIONS.lua over a capture, TAP out\n"
	        "  triage      the VPN troubleshooting checklist read off a capture, frames cited\n"
	        "  up          build a lab (a scenario: up to its vpnlab.pause()) and keep it running\n"
	        "  exec, shell a command or an interactive shell in a node of a live lab\n"
	        "  capture     a live lab's link, decoded as it passes\n"
	        "  down, ls    stop live labs (a dead one is cleaned); list them\n"
	        "Exit status: 0 every test point passed, 1 one failed, 2 usage or scenario error\n"
	        "(or a scenario that timed out or ran no test point), 128+N interrupted by signal N.\n");
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

/* -j N: 1 to 64 scenarios at once. */
static int parse_jobs(const char *text, int *out)
{
	char *end;
	long v = strtol(text, &end, 10);
	if (end == text || *end != '\0' || v < 1 || v > 64) {
		fprintf(stderr, "vpnlab run: -j needs a number of scenarios at once from 1 to 64, not '%s'\n", text);
		return -1;
	}
	*out = (int)v;
	return 0;
}

/* Append a repeatable option's value (argv's own string). */
static int push_arg(char ***v, int *n, char *arg)
{
	char **nv = realloc(*v, (size_t)(*n + 1) * sizeof(**v));
	if (nv == NULL)
		return -1;
	*v = nv;
	nv[(*n)++] = arg;
	return 0;
}

/* --junit FILE must be writable before anything runs: a typo is found now, not after an hour. */
static int check_junit(const char *path)
{
	FILE *f = fopen(path, "we");
	if (f == NULL) {
		fprintf(stderr, "vpnlab run: --junit %s: %s\n", path, strerror(errno));
		return -1;
	}
	fclose(f);
	return 0;
}

enum { OPT_JUNIT = 256, OPT_ONLY, OPT_SKIP, OPT_TAGS, OPT_SHARD, OPT_LIST };

static int parse_run_args(struct options *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "results", required_argument, NULL, 'r' },
		{ "backend", required_argument, NULL, 'b' },
		{ "cache", required_argument, NULL, 'c' },
		{ "kernel", required_argument, NULL, 'k' },
		{ "vm-timeout", required_argument, NULL, 't' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "junit", required_argument, NULL, OPT_JUNIT },
		{ "only", required_argument, NULL, OPT_ONLY },
		{ "skip", required_argument, NULL, OPT_SKIP },
		{ "tags", required_argument, NULL, OPT_TAGS },
		{ "shard", required_argument, NULL, OPT_SHARD },
		{ "list", no_argument, NULL, OPT_LIST },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char err[1024];
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "r:b:c:k:t:T:qvj:h", longopts, NULL)) != -1) {
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
		case OPT_JUNIT: o->junit = optarg; break;
		case OPT_ONLY:
			if (push_arg(&o->select.only, &o->select.nonly, optarg) < 0)
				return -1;
			break;
		case OPT_SKIP:
			if (push_arg(&o->select.skip, &o->select.nskip, optarg) < 0)
				return -1;
			break;
		case OPT_TAGS: o->select.tags = optarg; break;
		case OPT_SHARD:
			if (select_parse_shard(optarg, &o->select.shard_index, &o->select.shard_count,
			                       err, sizeof(err)) < 0) {
				fprintf(stderr, "vpnlab run: %s\n", err);
				return -1;
			}
			break;
		case OPT_LIST: o->list = 1; break;
		case 'q': o->quiet = 1; break;
		case 'v': o->verbose = 1; break;
		case 'j':
			if (parse_jobs(optarg, &o->jobs) < 0)
				return -1;
			break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (o->quiet && o->verbose) {
		fprintf(stderr, "vpnlab run: --quiet and --verbose contradict each other\n");
		return -1;
	}
	if (strcmp(o->backend, "host") && strcmp(o->backend, "vm") && strcmp(o->backend, "auto")) {
		fprintf(stderr, "vpnlab: unknown backend '%s' (host, vm or auto)\n", o->backend);
		return -1;
	}
	if (optind >= argc) {
		fprintf(stderr, "vpnlab run: name at least one scenario file or folder\n");
		return -1;
	}
	if (select_collect(argv + optind, argc - optind, &o->scenarios, err, sizeof(err)) < 0 ||
	    select_filter(&o->scenarios, &o->select, err, sizeof(err)) < 0) {
		fprintf(stderr, "vpnlab run: %s\n", err);
		return -1;
	}
	if (o->scenarios.n == 0) {
		int narrowed = o->select.nonly || o->select.nskip || o->select.tags || o->select.shard_count;
		fprintf(stderr, "vpnlab run: no *.lua scenario %s\n", narrowed ? "is selected" : "found");
		return -1;
	}
	if (o->junit != NULL && !o->list && check_junit(o->junit) < 0)
		return -1;
	return 0;
}

/* What a person at the terminal sees on stderr (progress.h). */
static enum progress_mode progress_mode_of(const struct options *o)
{
	if (o->quiet)
		return PROGRESS_OFF;
	if (o->verbose)
		return PROGRESS_VERBOSE;
	return isatty(STDERR_FILENO) ? PROGRESS_LINE : PROGRESS_OFF;
}

static int cmd_run(struct options *o, int argc, char **argv)
{
	const char *t = getenv("VPNLAB_VM_TIMEOUT");
	if (t && *t && parse_seconds("VPNLAB_VM_TIMEOUT", t, &o->vm_timeout) < 0)
		return EXIT_ERROR;
	if (parse_run_args(o, argc, argv) < 0)
		return EXIT_ERROR;
	char **files = calloc(o->scenarios.n, sizeof(*files));
	if (files == NULL)
		return EXIT_ERROR;
	for (size_t i = 0; i < o->scenarios.n; i++)
		files[i] = o->scenarios.v[i].path;
	struct runner_opts ro = {
		.results_root = o->results, .backend = o->backend, .cache_root = o->cache,
		.vm_package = o->kernel, .vm_timeout = o->vm_timeout, .timeout = o->timeout,
		.files = files, .nfiles = (int)o->scenarios.n,
		.junit = o->junit, .progress = progress_mode_of(o), .quiet = o->quiet, .jobs = o->jobs,
	};
	int rc = o->list ? runner_list(&ro, &o->scenarios) : runner_main(&ro);
	free(files);
	return rc;
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
	/* libreswan for node:libreswan: fetched, never installed (vm/swanfetch.h). */
	struct swan_pkg swan;
	if (swanfetch_run(root, force, stdout, &swan, err, sizeof(err)) < 0) {
		fprintf(stderr, "vpnlab vm prepare: libreswan: %s\n", err);
		return EXIT_ERROR;
	}
	printf("vm prepare: ready: libreswan %s in %s\n", swan.version, swan.dir);
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
	else if (!strcmp(argv[1], "decode"))
		rc = cmd_decode(argc - 1, argv + 1);
	else if (!strcmp(argv[1], "check"))
		rc = cmd_check(argc - 1, argv + 1);
	else if (!strcmp(argv[1], "triage"))
		rc = cmd_triage(argc - 1, argv + 1);
	else if (!strcmp(argv[1], "timeline"))
		rc = cmd_timeline(argc - 1, argv + 1);
	else if (!strcmp(argv[1], "up") || !strcmp(argv[1], "exec") || !strcmp(argv[1], "shell") ||
	         !strcmp(argv[1], "capture") || !strcmp(argv[1], "down") || !strcmp(argv[1], "ls"))
		rc = cmd_livelab(argc - 1, argv + 1);
	else {
		fprintf(stderr, "vpnlab: unknown command '%s'\n", argv[1]);
		usage(stderr);
		return EXIT_ERROR;
	}
	select_free(&o.scenarios);
	free(o.select.only);
	free(o.select.skip);
	return rc;
}
