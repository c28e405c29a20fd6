/*
** vmcache: locate the cache root and a prepared guest kernel in it (layout
** and guest contract in vmcache.h). Read-only: `vm prepare` (vmprep.c)
** writes the cache, this module only looks.
*/
#include "util/errf.h"
#include "vm/vmcache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define VMCACHE_STAMP_MAX 1024   /* four short words; anything longer is damage */

/* out = a + b (b may be NULL), -1 when it does not fit. */
static int vmcache_join(char *out, size_t len, const char *a, const char *b)
{
	int n = snprintf(out, len, "%s%s", a, b ? b : "");

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* A relative override or $VPNLAB_CACHE is taken from the current directory. */
static int vmcache_absolute(const char *path, char *out, size_t len, char *err, size_t errlen)
{
	char cwd[PATH_MAX];

	if (path[0] == '/') {
		if (vmcache_join(out, len, path, NULL) < 0)
			return errf(err, errlen, "cache root too long: %.100s...", path);
		return 0;
	}
	if (!getcwd(cwd, sizeof cwd))
		return errf(err, errlen, "getcwd: %s", strerror(errno));
	if (snprintf(out, len, "%s/%s", cwd, path) >= (int)len)
		return errf(err, errlen, "cache root too long: %.100s...", path);
	return 0;
}

int vmcache_root(const char *override, char *out, size_t len, char *err, size_t errlen)
{
	const char *v;

	if (override) {
		if (!*override)
			return errf(err, errlen, "empty cache folder given");
		return vmcache_absolute(override, out, len, err, errlen);
	}
	v = getenv("VPNLAB_CACHE");
	if (v && *v)
		return vmcache_absolute(v, out, len, err, errlen);
	/* The XDG spec says a relative $XDG_CACHE_HOME is invalid: ignore it. */
	v = getenv("XDG_CACHE_HOME");
	if (v && v[0] == '/') {
		if (vmcache_join(out, len, v, "/vpnlab") < 0)
			return errf(err, errlen, "$XDG_CACHE_HOME too long");
		return 0;
	}
	v = getenv("HOME");
	if (!v || v[0] != '/')
		return errf(err, errlen, "no cache folder: set VPNLAB_CACHE, "
		                    "XDG_CACHE_HOME or HOME (absolute)");
	if (vmcache_join(out, len, v, "/.cache/vpnlab") < 0)
		return errf(err, errlen, "$HOME too long");
	return 0;
}

/* A package name as a single path component: Debian's [a-z0-9][a-z0-9+.-]+. */
static int vmcache_name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n < 2 || n >= sizeof ((struct vm_image *)0)->package)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];
		int lower = c >= 'a' && c <= 'z', digit = c >= '0' && c <= '9';

		if (!lower && !digit && (i == 0 || (c != '+' && c != '.' && c != '-')))
			return 0;
	}
	return 1;
}

/* vm/current is a relative symlink "<package>"; anything else is refused. */
static int vmcache_current(const char *root, char *pkg, size_t len, char *err, size_t errlen)
{
	char link[PATH_MAX];
	ssize_t n;

	if (snprintf(link, sizeof link, "%s/vm/current", root) >= (int)sizeof link)
		return errf(err, errlen, "cache root too long");
	n = readlink(link, pkg, len);
	if (n < 0)
		return errf(err, errlen, "no prepared guest kernel (%s: %s)", link,
		                    strerror(errno));
	if ((size_t)n >= len)
		return errf(err, errlen, "%s: target too long", link);
	pkg[n] = '\0';
	if (!vmcache_name_ok(pkg))
		return errf(err, errlen, "%s -> '%.100s' is not a package name", link, pkg);
	return 0;
}

/* Read the one-line stamp into buf (NUL-terminated), bounded. */
static int vmcache_read_stamp(const char *path, char *buf, size_t len, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return errf(err, errlen, "%s: %s (an interrupted or missing prepare)", path,
		                    strerror(errno));
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return errf(err, errlen, "%s: %s", path, strerror(errno));
	if ((size_t)n == len - 1)
		return errf(err, errlen, "%s: longer than %zu bytes", path, len - 1);
	buf[n] = '\0';
	return 0;
}

/* Split "package version kver hash\n" into the image; the package must match. */
static int vmcache_parse_stamp(const char *path, const char *text, const char *pkg,
                               struct vm_image *img, char *err, size_t errlen)
{
	char p[128], v[128], k[128], h[128], extra[2];

	if (sscanf(text, "%127s %127s %127s %127s %1s", p, v, k, h, extra) != 4)
		return errf(err, errlen, "%s: not 'package version kver hash'", path);
	if (strcmp(p, pkg) != 0)
		return errf(err, errlen, "%s: names package %s, not %s", path, p, pkg);
	if (strchr(k, '/') || !strcmp(k, ".") || !strcmp(k, ".."))
		return errf(err, errlen, "%s: bad kernel version '%s'", path, k);
	snprintf(img->package, sizeof img->package, "%s", p);
	snprintf(img->version, sizeof img->version, "%s", v);
	snprintf(img->kver, sizeof img->kver, "%s", k);
	return 0;
}

/* The file must exist, be of the given type and, for files, not be empty. */
static int vmcache_check(const char *path, mode_t type, char *err, size_t errlen)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return errf(err, errlen, "%s: %s", path, strerror(errno));
	if ((st.st_mode & S_IFMT) != type)
		return errf(err, errlen, "%s: not a %s", path,
		                    type == S_IFDIR ? "directory" : "regular file");
	if (type == S_IFREG && st.st_size == 0)
		return errf(err, errlen, "%s: empty", path);
	return 0;
}

/* Fill the paths of img from dir and kver; every file must be there. */
static int vmcache_fill_paths(struct vm_image *img, char *err, size_t errlen)
{
	char dep[PATH_MAX];
	int bad = 0;

	bad |= snprintf(img->kernel, sizeof img->kernel, "%s/vmlinux", img->dir) >=
	       (int)sizeof img->kernel;
	bad |= snprintf(img->initrd, sizeof img->initrd, "%s/initrd", img->dir) >=
	       (int)sizeof img->initrd;
	bad |= snprintf(img->modules, sizeof img->modules, "%s/root/lib/modules/%s", img->dir,
	                img->kver) >= (int)sizeof img->modules;
	bad |= snprintf(dep, sizeof dep, "%s/modules.dep", img->modules) >= (int)sizeof dep;
	if (bad)
		return errf(err, errlen, "%s: path too long", img->dir);
	if (vmcache_check(img->kernel, S_IFREG, err, errlen) < 0 ||
	    vmcache_check(img->initrd, S_IFREG, err, errlen) < 0 ||
	    vmcache_check(img->modules, S_IFDIR, err, errlen) < 0 ||
	    vmcache_check(dep, S_IFREG, err, errlen) < 0)
		return -1;
	return 0;
}

int vmcache_find(const char *root, const char *package, struct vm_image *img,
                 char *err, size_t errlen)
{
	char pkg[sizeof img->package], stamp[PATH_MAX], text[VMCACHE_STAMP_MAX];

	memset(img, 0, sizeof *img);
	if (package) {
		if (!vmcache_name_ok(package))
			return errf(err, errlen, "'%.100s' is not a package name", package);
		snprintf(pkg, sizeof pkg, "%s", package);
	} else if (vmcache_current(root, pkg, sizeof pkg, err, errlen) < 0) {
		return -1;
	}
	if (snprintf(img->dir, sizeof img->dir, "%s/vm/%s", root, pkg) >= (int)sizeof img->dir ||
	    snprintf(stamp, sizeof stamp, "%s/stamp", img->dir) >= (int)sizeof stamp)
		return errf(err, errlen, "cache root too long");
	if (vmcache_read_stamp(stamp, text, sizeof text, err, errlen) < 0 ||
	    vmcache_parse_stamp(stamp, text, pkg, img, err, errlen) < 0 ||
	    vmcache_fill_paths(img, err, errlen) < 0) {
		memset(img, 0, sizeof *img);
		return -1;
	}
	return 0;
}

int vmcache_kvm_usable(void)
{
	int fd;

	if (access("/sys/module/kvm_intel", F_OK) < 0 && access("/sys/module/kvm_amd", F_OK) < 0)
		return 0;
	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}
