/*
** swanfetch.c: see swanfetch.h. The steps mirror vmprep.c's for a kernel
** (hostcmd for apt-cache, apt-get and dpkg; a lock; a temporary folder
** renamed into place; the stamp last), for one small package and without
** the kernel's post-processing.
*/
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/errf.h"
#include "vm/hostcmd.h"
#include "vm/swanfetch.h"
#include "vm/vmprep.h"

/* Format a path; an over-long one is an error, never a truncated name. */
__attribute__((format(printf, 4, 5)))
static int swan_path(char *out, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, PATH_MAX, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= PATH_MAX)
		return errf(err, errlen, "path too long for the libreswan cache");
	return 0;
}

/* The stamp's version: "libreswan <version>\n". 0, or -1 if absent or malformed. */
static int swan_read_stamp(const char *dir, char *ver, size_t len)
{
	char path[PATH_MAX + 16], line[256];
	FILE *f;
	size_t n;

	if ((size_t)snprintf(path, sizeof path, "%s/stamp", dir) >= sizeof path)
		return -1;
	if ((f = fopen(path, "re")) == NULL)
		return -1;
	if (fgets(line, sizeof line, f) == NULL) {
		fclose(f);
		return -1;
	}
	fclose(f);
	n = strlen(SWANFETCH_PACKAGE);
	if (strncmp(line, SWANFETCH_PACKAGE " ", n + 1) != 0)
		return -1;
	line[strcspn(line, "\n")] = '\0';
	if (line[n + 1] == '\0' || strlen(line + n + 1) >= len)
		return -1;
	memcpy(ver, line + n + 1, strlen(line + n + 1) + 1);
	return 0;
}

int swanfetch_find(const char *cache_root, struct swan_pkg *pkg, char *err, size_t errlen)
{
	memset(pkg, 0, sizeof(*pkg));
	if (swan_path(pkg->dir, err, errlen, "%s/%s", cache_root, SWANFETCH_PACKAGE) < 0 ||
	    swan_path(pkg->pluto, err, errlen, "%s/root/%s", pkg->dir, SWANFETCH_PLUTO) < 0)
		return -1;
	if (swan_read_stamp(pkg->dir, pkg->version, sizeof pkg->version) < 0)
		return errf(err, errlen, "libreswan is not fetched into %s (no stamp)", pkg->dir);
	if (access(pkg->pluto, X_OK) < 0)
		return errf(err, errlen, "%s: %s", pkg->pluto, strerror(errno));
	return 0;
}

/*
** The candidate version from `apt-cache show --no-all-versions`: the value of
** its first "Version: " line, which must fit and be one plain word.
*/
static int swan_candidate(char *ver, size_t len, char *err, size_t errlen)
{
	const char *argv[] = { "apt-cache", "show", "--no-all-versions", SWANFETCH_PACKAGE, NULL };
	struct hostcmd p;
	const char *at, *end;
	size_t n;
	int rc = -1;

	memset(&p, 0, sizeof p);
	p.argv = argv;
	p.want_out = 1;
	if (hostcmd_run(&p, err, errlen) < 0)
		goto out;
	at = p.out;
	while (at != NULL && strncmp(at, "Version: ", 9) != 0) {
		at = strchr(at, '\n');
		if (at != NULL)
			at++;
	}
	if (at == NULL) {
		errf(err, errlen, "apt-cache show %s: no Version field", SWANFETCH_PACKAGE);
		goto out;
	}
	at += 9;
	end = at + strcspn(at, "\n");
	n = (size_t)(end - at);
	if (n == 0 || n >= len || memchr(at, ' ', n) != NULL || memchr(at, '/', n) != NULL) {
		errf(err, errlen, "apt-cache show %s: unusable Version '%.*s'", SWANFETCH_PACKAGE,
		     (int)(n < 64 ? n : 64), at);
		goto out;
	}
	memcpy(ver, at, n);
	ver[n] = '\0';
	rc = 0;
out:
	hostcmd_free(&p);
	return rc;
}

/* The one .deb apt-get download left in dir. */
static int swan_find_deb(const char *dir, char *deb, char *err, size_t errlen)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	int found = 0, rc = 0;
	size_t n;

	if (d == NULL)
		return errf(err, errlen, "%s: %s", dir, strerror(errno));
	while (rc == 0 && (e = readdir(d)) != NULL) {
		n = strlen(e->d_name);
		if (n <= 4 || strcmp(e->d_name + n - 4, ".deb") != 0)
			continue;
		rc = swan_path(deb, err, errlen, "%s/%s", dir, e->d_name);
		found++;
	}
	closedir(d);
	if (rc == 0 && found != 1)
		return errf(err, errlen, "apt-get download left %d .deb files in %s", found, dir);
	return rc;
}

/* apt-get download libreswan=<ver> into tmp, dpkg -x it into tmp/root, drop the .deb. */
static int swan_unpack(const char *tmp, const char *ver, char *err, size_t errlen)
{
	char spec[200], deb[PATH_MAX], root[PATH_MAX];
	const char *dl_argv[] = { "apt-get", "download", spec, NULL };
	const char *x_argv[] = { "dpkg", "-x", deb, root, NULL };
	struct hostcmd p;
	int rc;

	snprintf(spec, sizeof spec, "%s=%s", SWANFETCH_PACKAGE, ver);
	memset(&p, 0, sizeof p);
	p.argv = dl_argv;
	p.cwd = tmp;
	rc = hostcmd_run(&p, err, errlen);
	hostcmd_free(&p);
	if (rc < 0 || swan_find_deb(tmp, deb, err, errlen) < 0 ||
	    swan_path(root, err, errlen, "%s/root", tmp) < 0)
		return -1;
	memset(&p, 0, sizeof p);
	p.argv = x_argv;
	rc = hostcmd_run(&p, err, errlen);
	hostcmd_free(&p);
	if (rc < 0)
		return -1;
	if (unlink(deb) < 0)
		return errf(err, errlen, "removing %s: %s", deb, strerror(errno));
	return 0;
}

static int swan_write_stamp(const char *dir, const char *ver, char *err, size_t errlen)
{
	char path[PATH_MAX];
	FILE *f;

	if (swan_path(path, err, errlen, "%s/stamp", dir) < 0)
		return -1;
	if ((f = fopen(path, "we")) == NULL)
		return errf(err, errlen, "%s: %s", path, strerror(errno));
	fprintf(f, "%s %s\n", SWANFETCH_PACKAGE, ver);
	if (fclose(f) != 0)
		return errf(err, errlen, "%s: %s", path, strerror(errno));
	return 0;
}

/* mkdir -p for the cache root (it may not exist before the first prepare). */
static int swan_mkdirs(const char *path, char *err, size_t errlen)
{
	char buf[PATH_MAX];
	size_t i, n = strlen(path);

	if (n == 0 || n >= sizeof buf)
		return errf(err, errlen, "bad cache folder '%s'", path);
	memcpy(buf, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return errf(err, errlen, "mkdir %s: %s", buf, strerror(errno));
		buf[i] = path[i];
	}
	return 0;
}

/*
** Whether the stamp is newer than apt's package lists: the candidate can
** only have changed if `apt-get update` ran since (it renames new lists into
** the folder), so a newer stamp is current without asking apt-cache, which
** costs over a second (`vm prepare` must be instant when current).
*/
static int swan_stamp_fresh(const struct swan_pkg *pkg)
{
	char path[PATH_MAX + 16];
	struct stat stamp, lists;

	if ((size_t)snprintf(path, sizeof path, "%s/stamp", pkg->dir) >= sizeof path ||
	    stat(path, &stamp) < 0 || stat(SWANFETCH_APT_LISTS, &lists) < 0)
		return 0;
	return stamp.st_mtim.tv_sec > lists.st_mtim.tv_sec ||
	       (stamp.st_mtim.tv_sec == lists.st_mtim.tv_sec &&
	        stamp.st_mtim.tv_nsec >= lists.st_mtim.tv_nsec);
}

/* The fetch proper, under the lock. */
static int swan_fetch_locked(const char *cache_root, int force, FILE *progress,
                             struct swan_pkg *pkg, char *err, size_t errlen)
{
	char ver[128], tmp[PATH_MAX];
	struct timespec t0, t1;
	int have = !force && swanfetch_find(cache_root, pkg, err, errlen) == 0;

	if (have && swan_stamp_fresh(pkg)) {
		if (progress != NULL)
			fprintf(progress, "vm prepare: libreswan %s is current (apt's lists are older)\n",
			        pkg->version);
		return 0;
	}
	if (swan_candidate(ver, sizeof ver, err, errlen) < 0)
		return -1;
	if (have && strcmp(pkg->version, ver) == 0) {
		/* Rewritten so its time says it was checked against these lists. */
		if (swan_write_stamp(pkg->dir, ver, err, errlen) < 0)
			return -1;
		if (progress != NULL)
			fprintf(progress, "vm prepare: libreswan %s is current\n", ver);
		return 0;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (progress != NULL) {
		fprintf(progress, "vm prepare: libreswan %s: apt-get download, dpkg -x ... ", ver);
		fflush(progress);
	}
	if (swan_path(tmp, err, errlen, "%s/%s.tmp-%ld", cache_root, SWANFETCH_PACKAGE,
	              (long)getpid()) < 0 ||
	    swan_path(pkg->dir, err, errlen, "%s/%s", cache_root, SWANFETCH_PACKAGE) < 0)
		return -1;
	if (vmprep_remove_tree(tmp, err, errlen) < 0)
		return -1;
	if (mkdir(tmp, 0755) < 0)
		return errf(err, errlen, "mkdir %s: %s", tmp, strerror(errno));
	if (swan_unpack(tmp, ver, err, errlen) < 0 ||
	    vmprep_remove_tree(pkg->dir, err, errlen) < 0) {
		char ignored[256];

		vmprep_remove_tree(tmp, ignored, sizeof ignored);
		if (progress != NULL)
			fputs("failed\n", progress);
		return -1;
	}
	if (rename(tmp, pkg->dir) < 0)
		return errf(err, errlen, "rename %s: %s", tmp, strerror(errno));
	if (swan_write_stamp(pkg->dir, ver, err, errlen) < 0 ||
	    swanfetch_find(cache_root, pkg, err, errlen) < 0)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (progress != NULL)
		fprintf(progress, "%.1f s\n", (double)(t1.tv_sec - t0.tv_sec) +
		        (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	return 0;
}

int swanfetch_run(const char *cache_root, int force, FILE *progress, struct swan_pkg *pkg,
                  char *err, size_t errlen)
{
	char lock[PATH_MAX];
	int fd, rc;

	if (swan_mkdirs(cache_root, err, errlen) < 0 ||
	    swan_path(lock, err, errlen, "%s/%s.lock", cache_root, SWANFETCH_PACKAGE) < 0)
		return -1;
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return errf(err, errlen, "%s: %s", lock, strerror(errno));
	while ((rc = flock(fd, LOCK_EX)) < 0 && errno == EINTR)
		;
	if (rc < 0) {
		errf(err, errlen, "flock %s: %s", lock, strerror(errno));
		close(fd);
		return -1;
	}
	rc = swan_fetch_locked(cache_root, force, progress, pkg, err, errlen);
	close(fd);
	return rc;
}
