/*
** test_vmcache: the cache root's precedence (override > $VPNLAB_CACHE >
** $XDG_CACHE_HOME > $HOME) and vmcache_find on fabricated cache folders:
** every way a prepared image can be incomplete, and vm/current.
*/
#include "vm/vmcache.h"
#include "unit.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/test_vmcache.XXXXXX";

static void put(const char *rel, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", tmpdir, rel);
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void dir(const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof path, "%s/%s", tmpdir, rel);
	mkdir(path, 0755);
}

static void link_current(const char *target)
{
	char path[PATH_MAX];

	snprintf(path, sizeof path, "%s/vm/current", tmpdir);
	unlink(path);
	if (symlink(target, path) < 0)
		perror("symlink");
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(p) : unlink(p);
}

static void test_root(void)
{
	char out[PATH_MAX], err[256], cwd[PATH_MAX], want[PATH_MAX + 16];

	setenv("VPNLAB_CACHE", "/c/vpnlab", 1);
	setenv("XDG_CACHE_HOME", "/x", 1);
	setenv("HOME", "/h", 1);
	is_int(vmcache_root("/o", out, sizeof out, err, sizeof err), 0, "override wins");
	is_str(out, "/o", "override used as is");
	if (getcwd(cwd, sizeof cwd)) {
		snprintf(want, sizeof want, "%s/rel/c", cwd);
		is_int(vmcache_root("rel/c", out, sizeof out, err, sizeof err), 0, "relative override");
		is_str(out, want, "relative override is taken from the current folder");
	}
	is_int(vmcache_root("", out, sizeof out, err, sizeof err), -1, "empty override refused");
	is_int(vmcache_root(NULL, out, sizeof out, err, sizeof err), 0, "VPNLAB_CACHE");
	is_str(out, "/c/vpnlab", "VPNLAB_CACHE beats XDG_CACHE_HOME and HOME");
	setenv("VPNLAB_CACHE", "", 1);
	is_int(vmcache_root(NULL, out, sizeof out, err, sizeof err), 0, "XDG_CACHE_HOME");
	is_str(out, "/x/vpnlab", "empty VPNLAB_CACHE: XDG_CACHE_HOME/vpnlab");
	unsetenv("VPNLAB_CACHE");
	setenv("XDG_CACHE_HOME", "relative/x", 1);
	is_int(vmcache_root(NULL, out, sizeof out, err, sizeof err), 0, "HOME");
	is_str(out, "/h/.cache/vpnlab", "relative XDG_CACHE_HOME ignored: HOME/.cache/vpnlab");
	unsetenv("XDG_CACHE_HOME");
	is_int(vmcache_root(NULL, out, sizeof out, err, sizeof err), 0, "HOME alone");
	is_str(out, "/h/.cache/vpnlab", "HOME/.cache/vpnlab");
	unsetenv("HOME");
	err[0] = '\0';
	is_int(vmcache_root(NULL, out, sizeof out, err, sizeof err), -1, "nothing set: error");
	ok(strstr(err, "VPNLAB_CACHE") != NULL, "the error names VPNLAB_CACHE");
	setenv("HOME", "/h", 1);
	is_int(vmcache_root(NULL, out, 8, err, sizeof err), -1, "a root that does not fit: error");
}

/* Is err about `what`? Prints err on failure to help. */
static void err_has(const char *err, const char *what, const char *msg)
{
	if (!ok(strstr(err, what) != NULL, msg))
		printf("#   err: %s\n", err);
}

static void test_find_incomplete(void)
{
	struct vm_image img;
	char err[512];

	dir("vm");
	dir("vm/linux-image-9.9.9-1-amd64");
	is_int(vmcache_find(tmpdir, "linux-image-9.9.9-1-amd64", &img, err, sizeof err), -1,
	       "no stamp: not usable");
	err_has(err, "stamp", "the error names the stamp");
	put("vm/linux-image-9.9.9-1-amd64/stamp", "linux-image-9.9.9-1-amd64 9.9.9-1 9.9.9-1-amd64\n");
	is_int(vmcache_find(tmpdir, "linux-image-9.9.9-1-amd64", &img, err, sizeof err), -1,
	       "stamp with three words refused");
	put("vm/linux-image-9.9.9-1-amd64/stamp", "linux-image-other 9.9.9-1 9.9.9-1-amd64 abcd\n");
	is_int(vmcache_find(tmpdir, "linux-image-9.9.9-1-amd64", &img, err, sizeof err), -1,
	       "stamp naming another package refused");
	put("vm/linux-image-9.9.9-1-amd64/stamp",
	    "linux-image-9.9.9-1-amd64 9.9.9-1 9.9.9-1-amd64 0123456789abcdef\n");
	is_int(vmcache_find(tmpdir, "linux-image-9.9.9-1-amd64", &img, err, sizeof err), -1,
	       "stamp but no vmlinux");
	err_has(err, "vmlinux", "the error names vmlinux");
	put("vm/linux-image-9.9.9-1-amd64/vmlinux", "");
	is_int(vmcache_find(tmpdir, "linux-image-9.9.9-1-amd64", &img, err, sizeof err), -1,
	       "empty vmlinux");
	put("vm/linux-image-9.9.9-1-amd64/vmlinux", "\177ELF...");
	is_int(vmcache_find(tmpdir, "linux-image-9.9.9-1-amd64", &img, err, sizeof err), -1,
	       "no initrd");
	err_has(err, "initrd", "the error names initrd");
	put("vm/linux-image-9.9.9-1-amd64/initrd", "070701...");
	is_int(vmcache_find(tmpdir, "linux-image-9.9.9-1-amd64", &img, err, sizeof err), -1,
	       "no modules folder");
	dir("vm/linux-image-9.9.9-1-amd64/root");
	dir("vm/linux-image-9.9.9-1-amd64/root/lib");
	dir("vm/linux-image-9.9.9-1-amd64/root/lib/modules");
	dir("vm/linux-image-9.9.9-1-amd64/root/lib/modules/9.9.9-1-amd64");
	is_int(vmcache_find(tmpdir, "linux-image-9.9.9-1-amd64", &img, err, sizeof err), -1,
	       "modules folder without modules.dep");
	err_has(err, "modules.dep", "the error names modules.dep");
	is_str(img.dir, "", "img cleared on failure");
}

static void test_find_complete(void)
{
	struct vm_image img;
	char err[512], want[PATH_MAX + 64];

	put("vm/linux-image-9.9.9-1-amd64/root/lib/modules/9.9.9-1-amd64/modules.dep", "x.ko:\n");
	is_int(vmcache_find(tmpdir, "linux-image-9.9.9-1-amd64", &img, err, sizeof err), 0,
	       "complete image found");
	is_str(img.package, "linux-image-9.9.9-1-amd64", "package");
	is_str(img.version, "9.9.9-1", "version");
	is_str(img.kver, "9.9.9-1-amd64", "kver");
	snprintf(want, sizeof want, "%s/vm/linux-image-9.9.9-1-amd64", tmpdir);
	is_str(img.dir, want, "dir");
	snprintf(want, sizeof want, "%s/vm/linux-image-9.9.9-1-amd64/vmlinux", tmpdir);
	is_str(img.kernel, want, "kernel");
	snprintf(want, sizeof want, "%s/vm/linux-image-9.9.9-1-amd64/initrd", tmpdir);
	is_str(img.initrd, want, "initrd");
	snprintf(want, sizeof want, "%s/vm/linux-image-9.9.9-1-amd64/root/lib/modules/9.9.9-1-amd64",
	         tmpdir);
	is_str(img.modules, want, "modules");
	is_int(vmcache_find(tmpdir, "../etc", &img, err, sizeof err), -1, "a path as package refused");
}

static void test_find_current(void)
{
	struct vm_image img;
	char err[512];

	is_int(vmcache_find(tmpdir, NULL, &img, err, sizeof err), -1, "no vm/current: error");
	err_has(err, "current", "the error names vm/current");
	link_current("linux-image-9.9.9-1-amd64");
	is_int(vmcache_find(tmpdir, NULL, &img, err, sizeof err), 0, "vm/current followed");
	is_str(img.package, "linux-image-9.9.9-1-amd64", "current's package");
	link_current("../../etc");
	is_int(vmcache_find(tmpdir, NULL, &img, err, sizeof err), -1, "current leaving vm/ refused");
	link_current("linux-image-missing");
	is_int(vmcache_find(tmpdir, NULL, &img, err, sizeof err), -1, "current to a missing package");
}

static void test_kvm(void)
{
	int mod = access("/sys/module/kvm_intel", F_OK) == 0 ||
	          access("/sys/module/kvm_amd", F_OK) == 0;
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd >= 0)
		close(fd);
	is_int(vmcache_kvm_usable(), mod && fd >= 0, "kvm usable iff kvm_intel/kvm_amd and /dev/kvm rw");
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_root();
	test_find_incomplete();
	test_find_complete();
	test_find_current();
	test_kvm();
	nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return unit_done();
}
