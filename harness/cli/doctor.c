/*
** doctor.c: see doctor.h. The VM image is looked up first because whether a
** missing kernel feature is a problem depends on it; the rows still come out
** in reading order (kernel, tools, image, libreswan, acceleration).
*/
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/doctor.h"
#include "lab/probe.h"
#include "vm/swanfetch.h"
#include "vm/vmcache.h"

#define DOCTOR_COL 20   /* width of the item and status columns */

/* How much a missing tool matters. */
enum doctor_need {
	DOCTOR_NEEDED,     /* a problem: no scenario runs without it */
	DOCTOR_OPTIONAL,   /* a warning: some scenarios or `vm prepare` need it */
};

struct doctor_tool {
	const char *name;
	const char *fixed;     /* looked up only here when not NULL */
	const char *package;   /* the Debian package providing it */
	const char *use;       /* what needs it, for the hint */
	enum doctor_need need;
};

static const struct doctor_tool doctor_tools[] = {
	{ "charon", "/usr/lib/ipsec/charon", "strongswan-charon", "every IPsec scenario", DOCTOR_NEEDED },
	{ "swanctl", NULL, "strongswan-swanctl", "every IPsec scenario", DOCTOR_NEEDED },
	{ "xl2tpd", NULL, "xl2tpd", "node:l2tp (L2TP scenarios, scenarios/ports/07-09 and 13)", DOCTOR_OPTIONAL },
	{ "pppd", NULL, "ppp", "node:l2tp (L2TP scenarios, scenarios/ports/07-09 and 13)", DOCTOR_OPTIONAL },
	{ "certutil", NULL, "libnss3-tools", "node:libreswan (pluto's NSS database)", DOCTOR_OPTIONAL },
	{ "qemu-system-x86_64", NULL, "qemu-system-x86", "the vm backend", DOCTOR_NEEDED },
	{ "depmod", NULL, "kmod", "vpnlab vm prepare", DOCTOR_OPTIONAL },
	{ "apt-get", NULL, "apt", "vpnlab vm prepare", DOCTOR_OPTIONAL },
};

/* The problems found so far, named for the verdict line. */
struct doctor_tally {
	int problems;
	char names[256];
};

static void doctor_problem(struct doctor_tally *t, const char *item)
{
	size_t n = strlen(t->names);

	t->problems++;
	snprintf(t->names + n, sizeof(t->names) - n, "%s%s", n > 0 ? ", " : "", item);
}

static void doctor_row(FILE *out, const char *item, const char *status, const char *detail)
{
	fprintf(out, "%-*s %-*s %s\n", DOCTOR_COL, item, DOCTOR_COL, status, detail);
}

/* Whether path is an executable regular file. */
static int doctor_executable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/*
** Find name in $PATH, then /usr/sbin and /sbin (root's tools when PATH is a
** user's). 0 with path filled, or -1. Empty PATH entries are skipped.
*/
static int doctor_which(const char *name, char *path, size_t len)
{
	const char *env = getenv("PATH");
	char dirs[4096];
	char *save = NULL, *dir;

	snprintf(dirs, sizeof(dirs), "%s:/usr/sbin:/sbin", env != NULL ? env : "");
	for (dir = strtok_r(dirs, ":", &save); dir != NULL; dir = strtok_r(NULL, ":", &save)) {
		if ((size_t)snprintf(path, len, "%s/%s", dir, name) < len && doctor_executable(path))
			return 0;
	}
	return -1;
}

static void doctor_tool_row(FILE *out, const struct doctor_tool *tool, struct doctor_tally *t)
{
	char path[PATH_MAX], detail[PATH_MAX + 128];
	int found;

	if (tool->fixed != NULL) {
		snprintf(path, sizeof(path), "%s", tool->fixed);
		found = doctor_executable(path);
	} else {
		found = doctor_which(tool->name, path, sizeof(path)) == 0;
	}
	if (found) {
		doctor_row(out, tool->name, "ok", path);
		return;
	}
	snprintf(detail, sizeof(detail), "not %s; install package %s (needed by %s)",
	         tool->fixed != NULL ? "at its fixed path" : "in PATH, /usr/sbin, /sbin",
	         tool->package, tool->use);
	if (tool->need == DOCTOR_NEEDED) {
		doctor_row(out, tool->name, "missing", detail);
		doctor_problem(t, tool->name);
	} else {
		doctor_row(out, tool->name, "missing (optional)", detail);
	}
}

/*
** The hint for a kernel feature the host lacks, and whether that makes it a
** problem. Scenario features can run in the VM when an image is prepared;
** nftables cannot be replaced (the runner's NAT is on the host).
*/
static int doctor_kernel_hint(enum feature f, int vm_ready, char *hint, size_t len)
{
	const char *name = feature_name(f);

	switch (f) {
	case FEATURE_NFTABLES:
		snprintf(hint, len, "the runner itself needs nftables on the host for the lab's NAT");
		return 1;
	case FEATURE_USERNS:
		snprintf(hint, len, "informative: the runner itself does not need user namespaces");
		return 0;
	default:
		break;
	}
	if (vm_ready) {
		snprintf(hint, len, "scenarios that require %s run in the VM", name);
		return 0;
	}
	snprintf(hint, len, "scenarios that require %s cannot run (no VM image either);"
	         " run: vpnlab vm prepare", name);
	return 1;
}

static void doctor_kernel_rows(FILE *out, struct features *fs, int vm_ready, struct doctor_tally *t)
{
	char item[64], hint[160], detail[sizeof(fs->detail[0]) + sizeof(hint) + 4];
	int f;

	for (f = 0; f < FEATURE_COUNT; f++) {
		snprintf(item, sizeof(item), "kernel %s", feature_name((enum feature)f));
		if (features_has(fs, (enum feature)f)) {
			doctor_row(out, item, "yes", fs->detail[f]);
			continue;
		}
		if (doctor_kernel_hint((enum feature)f, vm_ready, hint, sizeof(hint)))
			doctor_problem(t, item);
		snprintf(detail, sizeof(detail), "%s; %s", fs->detail[f], hint);
		doctor_row(out, item, "no", detail);
	}
}

static void doctor_vm_row(FILE *out, const struct vm_image *img, int ready, const char *err)
{
	char detail[sizeof(img->package) * 3 + 512];

	if (ready)
		snprintf(detail, sizeof(detail), "%s %s (guest kernel %s)", img->package,
		         img->version, img->kver);
	else
		snprintf(detail, sizeof(detail), "%s; run: vpnlab vm prepare", err);
	doctor_row(out, "vm image", ready ? "prepared" : "missing", detail);
}

/*
** libreswan, fetched into the cache by `vm prepare` (never installed): a
** warning when missing, as only node:libreswan needs it.
*/
static void doctor_libreswan_row(FILE *out, const char *cache_root)
{
	char root[PATH_MAX], err[512], detail[PATH_MAX + 640];
	struct swan_pkg *pkg = calloc(1, sizeof(*pkg));   /* two paths: keep it off the stack */

	if (pkg == NULL) {
		doctor_row(out, "libreswan", "unknown", "out of memory");
		return;
	}
	if (cache_root == NULL && vmcache_root(NULL, root, sizeof(root), err, sizeof(err)) == 0)
		cache_root = root;
	if (cache_root == NULL) {
		snprintf(detail, sizeof(detail), "%s; run: vpnlab vm prepare", err);
		doctor_row(out, "libreswan", "missing (optional)", detail);
	} else if (swanfetch_find(cache_root, pkg, err, sizeof(err)) == 0) {
		snprintf(detail, sizeof(detail), "%s %s (pluto %s)", SWANFETCH_PACKAGE, pkg->version,
		         pkg->pluto);
		doctor_row(out, "libreswan", "fetched", detail);
	} else {
		snprintf(detail, sizeof(detail), "%s; run: vpnlab vm prepare (needed by node:libreswan,"
		         " scenarios/interop)", err);
		doctor_row(out, "libreswan", "missing (optional)", detail);
	}
	free(pkg);
}

static void doctor_accel_row(FILE *out)
{
	const char *detail;
	int kvm = vmcache_kvm_usable();

	if (kvm)
		detail = "/dev/kvm with kvm_intel/kvm_amd: guests run at native speed";
	else if (access("/dev/kvm", F_OK) != 0)
		detail = "no /dev/kvm; using TCG (software, ~4x slower protocol timeouts)";
	else if (access("/sys/module/kvm_intel", F_OK) == 0 || access("/sys/module/kvm_amd", F_OK) == 0)
		detail = "/dev/kvm does not open read-write; using TCG (software, ~4x slower protocol timeouts)";
	else
		detail = "/dev/kvm present but no kvm_intel/kvm_amd module: nested hypervisor, guests hang;"
		         " using TCG (software, ~4x slower protocol timeouts)";
	doctor_row(out, "acceleration", kvm ? "kvm" : "tcg", detail);
}

/* Look up the prepared image; 1 when there is one, else 0 with err filled. */
static int doctor_find_image(const char *cache_root, struct vm_image *img, char *err, size_t errlen)
{
	char root[PATH_MAX];

	if (cache_root == NULL) {
		if (vmcache_root(NULL, root, sizeof(root), err, errlen) < 0)
			return 0;
		cache_root = root;
	}
	return vmcache_find(cache_root, NULL, img, err, errlen) == 0;
}

int doctor_report(FILE *out, const char *cache_root, struct features *fs)
{
	struct features own;
	struct vm_image *img = calloc(1, sizeof(*img));   /* ~16 KB: keep it off the stack */
	struct doctor_tally t = { 0, "" };
	char err[512] = "out of memory";
	size_t i;
	int ready = img != NULL && doctor_find_image(cache_root, img, err, sizeof(err));

	if (fs == NULL) {
		features_init(&own);
		fs = &own;
	}
	fprintf(out, "%-*s %-*s %s\n", DOCTOR_COL, "item", DOCTOR_COL, "status", "detail / hint");
	doctor_kernel_rows(out, fs, ready, &t);
	for (i = 0; i < sizeof(doctor_tools) / sizeof(doctor_tools[0]); i++)
		doctor_tool_row(out, &doctor_tools[i], &t);
	if (img != NULL)
		doctor_vm_row(out, img, ready, err);
	else
		doctor_row(out, "vm image", "unknown", err);
	doctor_libreswan_row(out, cache_root);
	doctor_accel_row(out);
	if (t.problems == 0)
		fprintf(out, "\nall good\n");
	else
		fprintf(out, "\n%d problem%s: %s\n", t.problems, t.problems == 1 ? "" : "s", t.names);
	free(img);
	return t.problems;
}
