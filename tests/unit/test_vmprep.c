/*
** test_vmprep: what of `vm prepare` runs without apt and network: the
** nftw removal (symlinks never followed, a missing path is success) and
** vmprep_run refusing a cache folder that is not absolute before it
** touches anything. The byte-level parts are in test_kimage.c; the whole
** prepare is exercised by `./vpnlab vm prepare` (tests/50-vm.t).
*/
#include "vm/vmprep.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/test_vmprep.XXXXXX";

/* ---- removal ---- */

static void mk(const char *rel, int is_dir)
{
	char p[PATH_MAX];
	FILE *f;

	snprintf(p, sizeof p, "%s/%s", tmpdir, rel);
	if (is_dir) {
		mkdir(p, 0755);
	} else if ((f = fopen(p, "w")) != NULL) {
		fputs("x\n", f);
		fclose(f);
	}
}

static int exists(const char *rel)
{
	char p[PATH_MAX];
	struct stat st;

	snprintf(p, sizeof p, "%s/%s", tmpdir, rel);
	return lstat(p, &st) == 0;
}

static void test_remove(void)
{
	char p[PATH_MAX], t[PATH_MAX], err[256];

	mk("keep", 1);
	mk("keep/precious", 0);
	mk("tree", 1);
	mk("tree/a", 1);
	mk("tree/a/b", 1);
	mk("tree/a/b/file", 0);
	mk("tree/file", 0);
	snprintf(t, sizeof t, "%s/keep", tmpdir);
	snprintf(p, sizeof p, "%s/tree/a/link-to-keep", tmpdir);
	ok(symlink(t, p) == 0, "symlink to a folder outside the tree");
	snprintf(p, sizeof p, "%s/tree/dangling", tmpdir);
	ok(symlink("/nonexistent/x", p) == 0, "dangling symlink");
	snprintf(p, sizeof p, "%s/tree", tmpdir);
	is_int(vmprep_remove_tree(p, err, sizeof err), 0, "tree removed");
	ok(!exists("tree"), "tree gone");
	ok(exists("keep/precious"), "the symlink's target and its contents survive");
	is_int(vmprep_remove_tree(p, err, sizeof err), 0, "removing a missing path is success");
	snprintf(p, sizeof p, "%s/link-top", tmpdir);
	ok(symlink(t, p) == 0, "a symlink as the path itself");
	is_int(vmprep_remove_tree(p, err, sizeof err), 0, "top symlink removed");
	ok(!exists("link-top") && exists("keep/precious"), "only the link went, not its target");
	snprintf(p, sizeof p, "%s/keep", tmpdir);
	is_int(vmprep_remove_tree(p, err, sizeof err), 0, "cleanup");
}

/* ---- vmprep_run's arguments ---- */

static void test_run_args(void)
{
	struct vmprep_opts o = { .cache_root = "vmprep-test-relative/cache", .package = "linux-image-x" };
	struct vm_image img;
	char err[256] = "";

	memset(&img, 0x55, sizeof img);
	is_int(vmprep_run(&o, &img, err, sizeof err), -1, "relative cache folder refused");
	ok(strstr(err, "absolute") != NULL, "the error asks for an absolute folder");
	is_str(img.dir, "", "img cleared on failure");
	ok(access("vmprep-test-relative", F_OK) != 0, "nothing created under the relative path");
	o.cache_root = NULL;
	err[0] = '\0';
	is_int(vmprep_run(&o, &img, err, sizeof err), -1, "no cache folder refused");
	ok(err[0] != '\0', "with a message");
	is_int(vmprep_run(NULL, &img, err, sizeof err), -1, "no options refused");
}

int main(void)
{
	char err[256];

	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_remove();
	test_run_args();
	is_int(vmprep_remove_tree(tmpdir, err, sizeof err), 0, "temp folder removed");
	return unit_done();
}
