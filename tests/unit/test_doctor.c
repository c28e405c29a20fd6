/*
** test_doctor: the doctor table read back from a memory stream. Kernel rows
** are driven by fabricated feature sets (so each rule about what counts as a
** problem is checked on any host), the VM row by a nonexistent and a
** fabricated cache folder, the tool rows by PATH and, in a child with a
** private mount namespace, by hiding the system's tool folders under empty
** tmpfs mounts. One run with real probes checks that the count matches what
** this host lacks and that doctor prints nothing but its table.
*/
#include "cli/doctor.h"
#include "lab/netns.h"
#include "lab/probe.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define KVER "9.9.9-9-test"
#define PKG "linux-image-" KVER

static char tmp[] = "/tmp/test_doctor.XXXXXX";
static char nocache[4200], cache[4200];

/* ---- helpers: a failure here is a broken test, so bail out ---- */

static void bail(const char *what)
{
	printf("Bail out! %s: %s\n", what, strerror(errno));
	exit(255);
}

static void skip(const char *what, const char *why)
{
	unit_count++;
	printf("ok %d - %s # SKIP %s\n", unit_count, what, why);
}

static void put_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) || close(fd) < 0)
		bail(path);
}

static void mkdirs(const char *path)
{
	char p[4300];
	char *s;

	snprintf(p, sizeof(p), "%s", path);
	for (s = p + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			bail(p);
		*s = '/';
	}
	if (mkdir(p, 0755) < 0 && errno != EEXIST)
		bail(p);
}

/* A complete prepared image in the layout of vmcache.h. */
static void make_cache(void)
{
	char p[4400];

	snprintf(p, sizeof(p), "%s/vm/%s/root/lib/modules/%s", cache, PKG, KVER);
	mkdirs(p);
	snprintf(p, sizeof(p), "%s/vm/%s/root/lib/modules/%s/modules.dep", cache, PKG, KVER);
	put_file(p, "kernel/net/ipv4/esp4.ko:\n", 0644);
	snprintf(p, sizeof(p), "%s/vm/%s/vmlinux", cache, PKG);
	put_file(p, "\177ELF", 0644);
	snprintf(p, sizeof(p), "%s/vm/%s/initrd", cache, PKG);
	put_file(p, "070701", 0644);
	snprintf(p, sizeof(p), "%s/vm/%s/stamp", cache, PKG);
	put_file(p, PKG " 9.9.9-1 " KVER " 0123456789abcdef\n", 0644);
	snprintf(p, sizeof(p), "%s/vm/current", cache);
	if (symlink(PKG, p) < 0)
		bail(p);
}

/* doctor_report into a malloc'd string; *problems gets its return. */
static char *report(const char *root, struct features *fs, int *problems)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	if (out == NULL)
		bail("open_memstream");
	*problems = doctor_report(out, root, fs);
	fclose(out);
	return buf;
}

/* The table line whose item column is item (the first 21 bytes), or NULL. */
static const char *row(const char *table, const char *item)
{
	char key[32];
	const char *p = table;

	snprintf(key, sizeof(key), "%-20s ", item);
	for (; p != NULL && *p != '\0'; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, key, strlen(key)) == 0)
			return p;
	return NULL;
}

/* Whether the row for item has status (the second column) and contains text. */
static int row_says(const char *table, const char *item, const char *status, const char *text)
{
	const char *r = row(table, item), *end;
	char want[64];

	if (r == NULL)
		return 0;
	end = strchr(r, '\n');
	snprintf(want, sizeof(want), "%-20s ", status);
	if (strncmp(r + 21, want, strlen(want)) != 0)
		return 0;
	if (text == NULL)
		return 1;
	r = strstr(r, text);
	return r != NULL && (end == NULL || r < end);
}

/* Tools the test itself finds: charon, swanctl and qemu are problems when missing. */
static int missing_needed_tools(void)
{
	int n = access("/usr/lib/ipsec/charon", X_OK) != 0;

	n += system("command -v swanctl >/dev/null 2>&1") != 0;
	n += system("command -v qemu-system-x86_64 >/dev/null 2>&1") != 0;
	return n;
}

/* Every feature present, with a detail the table must repeat. */
static void all_present(struct features *fs)
{
	int f;

	for (f = 0; f < FEATURE_COUNT; f++) {
		fs->state[f] = 1;
		snprintf(fs->detail[f], sizeof(fs->detail[f]), "fabricated-%s", feature_name((enum feature)f));
	}
}

/* ---- the tests ---- */

static void test_rows(void)
{
	static const char *const items[] = {
		"kernel esp", "kernel ah", "kernel l2tp", "kernel ppp", "kernel netem",
		"kernel userns", "kernel nftables", "charon", "swanctl", "xl2tpd", "pppd",
		"qemu-system-x86_64", "depmod", "apt-get", "vm image", "acceleration",
	};
	struct features fs;
	char what[64];
	char *t;
	size_t i;
	int n, tools = missing_needed_tools();

	all_present(&fs);
	t = report(nocache, &fs, &n);
	ok(strncmp(t, "item", 4) == 0 && strstr(t, "status") && strstr(t, "detail / hint"), "header line");
	for (i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
		snprintf(what, sizeof(what), "row %s", items[i]);
		ok(row(t, items[i]) != NULL, what);
	}
	ok(row_says(t, "kernel esp", "yes", "fabricated-esp"), "kernel rows show the given detail (no re-probe)");
	ok(row_says(t, "kernel nftables", "yes", "fabricated-nftables"), "nftables row present");
	ok(row_says(t, "vm image", "missing", "run: vpnlab vm prepare"), "no cache: vm image missing, hint names vpnlab vm prepare");
	ok(row_says(t, "acceleration", "kvm", NULL) || row_says(t, "acceleration", "tcg", "TCG"), "acceleration is kvm or tcg");
	is_int(n, tools, "everything present: problems are only missing charon/swanctl/qemu");
	ok((n == 0) == (strstr(t, "\nall good\n") != NULL), "verdict line matches the count");
	free(t);

	t = report(cache, &fs, &n);
	if (!ok(row_says(t, "vm image", "prepared", PKG " 9.9.9-1"), "fabricated cache: prepared, package and version"))
		printf("#   %.300s\n", row(t, "vm image") ? row(t, "vm image") : "(no row)");
	ok(row_says(t, "vm image", "prepared", KVER), "fabricated cache: guest kernel version");
	is_int(n, tools, "fabricated cache: same count when nothing is missing");
	free(t);
}

/* esp absent: a problem only without a VM image. nftables absent: always. userns: never. */
static void test_kernel_rules(void)
{
	struct features fs;
	char *t;
	int n, base = missing_needed_tools();

	all_present(&fs);
	fs.state[FEATURE_ESP] = 0;
	t = report(nocache, &fs, &n);
	is_int(n, base + 1, "esp absent, no VM image: one more problem");
	ok(row_says(t, "kernel esp", "no", "fabricated-esp"), "esp row says no with the probe detail");
	ok(row_says(t, "kernel esp", "no", "vpnlab vm prepare"), "esp row hints vpnlab vm prepare");
	ok(strstr(t, "problem") && strstr(t, "kernel esp"), "verdict names kernel esp");
	free(t);
	t = report(cache, &fs, &n);
	is_int(n, base, "esp absent, VM image prepared: not a problem");
	ok(row_says(t, "kernel esp", "no", "run in the VM"), "esp row says those scenarios run in the VM");
	free(t);

	all_present(&fs);
	fs.state[FEATURE_NFTABLES] = 0;
	fs.state[FEATURE_USERNS] = 0;
	t = report(cache, &fs, &n);
	is_int(n, base + 1, "nftables absent is a problem even with a VM image; userns is not");
	ok(row_says(t, "kernel nftables", "no", "runner itself needs"), "nftables row: the runner needs it");
	ok(row_says(t, "kernel userns", "no", "informative"), "userns row: informative");
	free(t);
}

/* PATH is searched first: an executable there wins, a non-executable file does not. */
static void test_path(void)
{
	struct features fs;
	char dir[4300], p[4400], *oldpath = getenv("PATH") ? strdup(getenv("PATH")) : NULL, *t;
	int n;

	snprintf(dir, sizeof(dir), "%s/bin", tmp);
	mkdirs(dir);
	snprintf(p, sizeof(p), "%s/xl2tpd", dir);
	put_file(p, "#!/bin/sh\n", 0755);
	snprintf(p, sizeof(p), "%s/pppd", dir);
	put_file(p, "#!/bin/sh\n", 0644);
	snprintf(p, sizeof(p), "%s:%s", dir, oldpath ? oldpath : "");
	setenv("PATH", p, 1);
	all_present(&fs);
	t = report(nocache, &fs, &n);
	snprintf(p, sizeof(p), "%s/xl2tpd", dir);
	ok(row_says(t, "xl2tpd", "ok", p), "an executable first in PATH is the one found");
	snprintf(p, sizeof(p), "%s/pppd", dir);
	ok(row(t, "pppd") != NULL && !row_says(t, "pppd", "ok", p), "a non-executable file in PATH is skipped");
	free(t);
	if (oldpath != NULL)
		setenv("PATH", oldpath, 1);
	free(oldpath);
}

/* In the child: hide every tool folder, run doctor, write the table to path. */
static int hidden_tools_child(const char *path)
{
	static const char *const hide[] = { "/usr/sbin", "/usr/bin", "/usr/lib/ipsec", "/sbin", "/bin" };
	struct features fs;
	char *t;
	size_t i;
	int n, fd;

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		_exit(200);
	for (i = 0; i < sizeof(hide) / sizeof(hide[0]); i++) {
		struct stat st;

		if (lstat(hide[i], &st) == 0 && S_ISDIR(st.st_mode) &&
		    mount("none", hide[i], "tmpfs", MS_RDONLY, NULL) < 0)
			_exit(201);
	}
	setenv("PATH", "/nonexistent", 1);
	all_present(&fs);
	t = report(NULL, &fs, &n);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, t, strlen(t)) != (ssize_t)strlen(t))
		_exit(202);
	close(fd);
	free(t);
	_exit(n);
}

static char *slurp(const char *path)
{
	static char buf[16384];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void test_missing_tools(void)
{
	static const char *const rows[][3] = {
		{ "charon", "missing", "strongswan-charon" },
		{ "swanctl", "missing", "strongswan-swanctl" },
		{ "xl2tpd", "missing (optional)", "xl2tpd" },
		{ "pppd", "missing (optional)", "ppp" },
		{ "qemu-system-x86_64", "missing", "qemu-system-x86" },
		{ "depmod", "missing (optional)", "kmod" },
		{ "apt-get", "missing (optional)", "apt" },
	};
	char path[4300], what[96];
	const char *t;
	size_t i;
	int status;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/hidden.txt", tmp);
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		hidden_tools_child(path);
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) >= 200) {
		skip("doctor with every tool hidden", "no private mount namespace here");
		return;
	}
	t = slurp(path);
	is_int(WEXITSTATUS(status), 3, "tools hidden: charon, swanctl, qemu are the 3 problems");
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		snprintf(what, sizeof(what), "hidden %s: %s, install package %s", rows[i][0], rows[i][1], rows[i][2]);
		snprintf(path, sizeof(path), "install package %s ", rows[i][2]);
		ok(row_says(t, rows[i][0], rows[i][1], path), what);
	}
	ok(strstr(t, "3 problems: charon, swanctl, qemu-system-x86_64") != NULL, "verdict lists them");
}

/* Real probes, stdout and stderr redirected: doctor must write only to out. */
static void test_real_host(void)
{
	struct features fs;
	char path[4300], *t;
	int n, f, want = missing_needed_tools(), saved[2], fd;

	features_init(&fs);
	for (f = FEATURE_ESP; f <= FEATURE_NETEM; f++)
		want += !features_has(&fs, (enum feature)f);
	want += !features_has(&fs, FEATURE_NFTABLES);
	snprintf(path, sizeof(path), "%s/stray.txt", tmp);
	fflush(stdout);
	fflush(stderr);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	saved[0] = dup(1);
	saved[1] = dup(2);
	if (fd < 0 || saved[0] < 0 || saved[1] < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
		bail("redirect");
	t = report(nocache, NULL, &n);
	fflush(stdout);
	fflush(stderr);
	dup2(saved[0], 1);
	dup2(saved[1], 2);
	close(saved[0]);
	close(saved[1]);
	close(fd);
	is_str(slurp(path), "", "doctor with real probes prints nothing outside out");
	is_int(n, want, "real probes, no VM image: count = what this host lacks");
	printf("# real host, no VM image: %d problem(s)\n", n);
	free(t);
}

static void cleanup(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmp);
}

int main(void)
{
	char err[256], path[4096];
	const char *p = getenv("PATH");

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (mkdtemp(tmp) == NULL)
		bail("mkdtemp");
	snprintf(path, sizeof(path), "%s:/usr/sbin:/sbin", p != NULL ? p : "/usr/bin:/bin");
	setenv("PATH", path, 1);   /* what doctor searches, for the test's own lookups */
	snprintf(nocache, sizeof(nocache), "%s/nocache", tmp);
	snprintf(cache, sizeof(cache), "%s/cache", tmp);
	setenv("VPNLAB_CACHE", nocache, 1);   /* for the run with the default root */
	make_cache();
	test_rows();
	test_kernel_rules();
	test_path();
	if (geteuid() != 0 || netns_init(err, sizeof(err)) < 0) {
		skip("hidden tools and real probes", geteuid() != 0 ? "not root" : err);
	} else {
		test_missing_tools();
		test_real_host();
	}
	cleanup();
	return unit_done();
}
