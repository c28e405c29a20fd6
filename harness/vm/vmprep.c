/*
** vmprep: `vpnlab vm prepare`. Resolves a Debian kernel package with
** apt-cache, downloads it with `apt-get download` (never installs it),
** unpacks it with `dpkg -x` into <root>/vm/<package>.tmp-<pid>, runs the
** host's depmod on it, extracts an uncompressed vmlinux (direct boot under
** TCG skips ~3 s of in-guest decompression) and builds the initramfs, then
** renames the folder into place, writes the stamp last and repoints
** vm/current. Programs run through hostcmd.c (fork/exec with an argv,
** never a shell); kimage.c takes the xz streams, busybox's ELF header and
** modules.dep apart.
**
** The stamp's last word hashes everything the initramfs is made of besides
** the package (the /init text, the module list, the host busybox), so a new
** /init or busybox rebuilds only the initrd.
*/
#include "util/errf.h"
#include "vm/vmprep.h"
#include "vm/hostcmd.h"
#include "vm/initramfs.h"
#include "vm/kimage.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define VMPREP_STEPS       6
#define VMPREP_BUSYBOX     "/bin/busybox"
#define VMPREP_FILE_MAX    ((size_t)256 << 20)   /* vmlinuz, busybox, modules.dep */
#define VMPREP_VMLINUX_MAX ((size_t)1 << 30)
#define VMPREP_MODULE_MAX  ((size_t)64 << 20)

/* Loaded in this order; platform-notes.md: all are modules in Debian's kernel. */
static const char *const vmprep_modules[] = {
	"virtio_ring", "virtio", "virtio_pci_modern_dev", "virtio_pci_legacy_dev",
	"virtio_pci", "virtio_mmio", "netfs", "fscache", "9pnet", "9pnet_virtio", "9p",
	"overlay",
};
#define VMPREP_NMODULES (sizeof vmprep_modules / sizeof vmprep_modules[0])

/*
** Stage 1 in the initramfs: the guest contract of vmcache.h. Silent on
** success (the console belongs to the guest program); a failure goes to the
** console and to the rw share, then the machine powers off. Paths on the
** host root are tested with -e || -L: absolute symlinks (/sbin/modprobe ->
** /bin/kmod) point into the initramfs until switch_root. /tmp stays the
** host's, seen through the overlay (writes land in the tmpfs upper layer):
** the runner binary, scenarios or results may live there. /run is fresh:
** daemons' pid files and sockets must not meet the host's.
*/
static const char vmprep_init[] =
	"#!/bin/busybox sh\n"
	"/bin/busybox mkdir -p /proc /sys /dev /newroot /lower /rw /scratch\n"
	"/bin/busybox --install -s /bin\n"
	"export PATH=/bin\n"
	"mount -t proc proc /proc\n"
	"mount -t sysfs sysfs /sys\n"
	"mount -t devtmpfs devtmpfs /dev\n"
	"ERRF=\n"
	"die() {\n"
	"\techo \"vpnlab init: FATAL: $*\" > /dev/console\n"
	"\t[ -n \"$ERRF\" ] && mkdir -p \"${ERRF%/*}\" && echo \"$*\" > \"$ERRF\"\n"
	"\techo o > /proc/sysrq-trigger\n"
	"\tpoweroff -f\n"
	"\texit 1\n"
	"}\n"
	"have() { [ -e \"$R$1\" ] || [ -L \"$R$1\" ]; }\n"
	"while read -r m; do insmod /mods/$m.ko || die \"insmod $m failed\"; done < /mods/order\n"
	"KVER=$(uname -r)\n"
	"O9P=trans=virtio,version=9p2000.L,msize=512000\n"
	"i=0\n"
	"until mount -t 9p -o $O9P,cache=none " VMCACHE_TAG_RW " /rw 2>/dev/null; do\n"
	"\ti=$((i+1)); [ $i -gt 50 ] && die \"cannot mount the 9p share " VMCACHE_TAG_RW "\"\n"
	"\tsleep 0.1\n"
	"done\n"
	"ERRF=/rw/" VMCACHE_INIT_ERROR "\n"
	"ENV=/rw/" VMCACHE_GUEST_ENV "\n"
	"[ -r $ENV ] || die \"no " VMCACHE_GUEST_ENV " in the " VMCACHE_TAG_RW " share\"\n"
	"(. $ENV) >/dev/null 2>&1 || die \"" VMCACHE_GUEST_ENV " does not run\"\n"
	". $ENV\n"
	"[ -n \"$VPNLAB_GUEST_EXEC\" ] || die \"VPNLAB_GUEST_EXEC is empty\"\n"
	"[ -n \"$VPNLAB_GUEST_RESULTS\" ] || die \"VPNLAB_GUEST_RESULTS is empty\"\n"
	"[ -n \"$VPNLAB_GUEST_ARGS\" ] || die \"VPNLAB_GUEST_ARGS is empty\"\n"
	"mount -t 9p -o $O9P,ro,cache=loose " VMCACHE_TAG_ROOT " /lower ||"
	" die \"cannot mount the 9p share " VMCACHE_TAG_ROOT "\"\n"
	"mount -t tmpfs -o mode=755 scratch /scratch || die \"cannot mount /scratch\"\n"
	"mkdir -p /scratch/upper /scratch/work\n"
	"mount -t overlay -o lowerdir=/lower,upperdir=/scratch/upper,workdir=/scratch/work,"
	"redirect_dir=off,index=off,xino=off,metacopy=off root /newroot ||"
	" die \"cannot mount the overlay root\"\n"
	"R=/newroot\n"
	"mount -t tmpfs -o mode=755 tmpfs $R/run || die \"cannot mount /run\"\n"
	"mkdir -p $R/usr/lib/modules/$KVER || die \"cannot create /usr/lib/modules/$KVER\"\n"
	"mount -t 9p -o $O9P,ro,cache=loose " VMCACHE_TAG_MODULES " $R/usr/lib/modules/$KVER ||"
	" die \"cannot mount the 9p share " VMCACHE_TAG_MODULES "\"\n"
	"have \"$VPNLAB_GUEST_EXEC\" || die \"$VPNLAB_GUEST_EXEC: not found in the guest root\"\n"
	"mkdir -p \"$R$VPNLAB_GUEST_RESULTS\" && mount --move /rw \"$R$VPNLAB_GUEST_RESULTS\" ||"
	" die \"cannot move the rw share to $VPNLAB_GUEST_RESULTS\"\n"
	"ERRF=\"$R$VPNLAB_GUEST_RESULTS/" VMCACHE_INIT_ERROR "\"\n"
	"if have /usr/sbin/modprobe; then MP=/usr/sbin/modprobe\n"
	"elif have /sbin/modprobe; then MP=/sbin/modprobe\n"
	"else\n"
	"\tB=$R/run/vpnlab-vm/bin\n"
	"\tmkdir -p $B && cp /bin/busybox $B/busybox && ln -s busybox $B/modprobe ||"
	" die \"cannot install busybox as modprobe\"\n"
	"\tMP=/run/vpnlab-vm/bin/modprobe\n"
	"fi\n"
	"echo $MP > /proc/sys/kernel/modprobe || die \"cannot set the modprobe path\"\n"
	"mount --move /dev $R/dev || die \"cannot move /dev\"\n"
	"mkdir -p $R/dev/pts $R/dev/shm\n"
	"mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts $R/dev/pts ||"
	" die \"cannot mount /dev/pts\"\n"
	"mount -t tmpfs -o mode=1777 shm $R/dev/shm || die \"cannot mount /dev/shm\"\n"
	"mount --move /proc $R/proc || die \"cannot move /proc\"\n"
	"mount --move /sys $R/sys || die \"cannot move /sys\"\n"
	"export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"
	"exec switch_root /newroot \"$VPNLAB_GUEST_EXEC\" __guest \"$VPNLAB_GUEST_ARGS\"\n";

/* One run's state: where it builds, what it builds, how it reports. */
struct vmprep_ctx {
	const struct vmprep_opts *o;
	char vmdir[PATH_MAX];       /* <root>/vm */
	char tmp[PATH_MAX];         /* <root>/vm/<package>.tmp-<pid>, or "" */
	char pkg[128], ver[128], kver[128];
	char hash[17];
	struct timespec t0;         /* start of the current step */
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 3, 4)))
static int vmprep_path(struct vmprep_ctx *c, char *out, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, PATH_MAX, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= PATH_MAX)
		return errf(c->err, c->errlen, "path too long under %.100s", c->vmdir);
	return 0;
}

/* ---- progress: "vm prepare [n/6] what ... 1.2 s", one line per step ---- */

__attribute__((format(printf, 3, 4)))
static void vmprep_begin(struct vmprep_ctx *c, int step, const char *fmt, ...)
{
	va_list ap;

	clock_gettime(CLOCK_MONOTONIC, &c->t0);
	if (!c->o->progress)
		return;
	fprintf(c->o->progress, "vm prepare [%d/%d] ", step, VMPREP_STEPS);
	va_start(ap, fmt);
	vfprintf(c->o->progress, fmt, ap);
	va_end(ap);
	fputs(" ... ", c->o->progress);
	fflush(c->o->progress);
}

/* Ends the line begun by vmprep_begin; passes rc through. */
static int vmprep_end(struct vmprep_ctx *c, int rc)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	if (c->o->progress) {
		if (rc == 0)
			fprintf(c->o->progress, "%.1f s\n", (double)(t.tv_sec - c->t0.tv_sec) +
			        (double)(t.tv_nsec - c->t0.tv_nsec) / 1e9);
		else
			fputs("failed\n", c->o->progress);
		fflush(c->o->progress);
	}
	return rc;
}

/* ---- files ---- */

/* Read a whole regular file (at most max bytes) into a malloc'd buffer + NUL. */
static int vmprep_slurp(const char *path, size_t max, unsigned char **buf, size_t *len,
                        char *err, size_t errlen)
{
	struct stat st;
	size_t got = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*buf = NULL;
	if (fd < 0)
		return errf(err, errlen, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
		close(fd);
		return errf(err, errlen, "%s: not a regular file of at most %zu bytes", path,
		                   max);
	}
	*buf = malloc((size_t)st.st_size + 1);
	while (*buf && got < (size_t)st.st_size) {
		n = read(fd, *buf + got, (size_t)st.st_size - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (!*buf || got != (size_t)st.st_size) {
		free(*buf);
		*buf = NULL;
		return errf(err, errlen, "%s: %s", path, got ? "changed while read" :
		                   "cannot read");
	}
	(*buf)[got] = '\0';
	*len = got;
	return 0;
}

/* Write len bytes to path through path.tmp and rename: all or nothing. */
static int vmprep_write_file(const char *path, const void *data, size_t len, char *err,
                             size_t errlen)
{
	char tmp[PATH_MAX];
	const unsigned char *p = data;
	size_t done = 0;
	ssize_t n = 0;
	int fd, rc;

	if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
		return errf(err, errlen, "%s: path too long", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return errf(err, errlen, "%s: %s", tmp, strerror(errno));
	while (done < len && (n = write(fd, p + done, len - done)) > 0)
		done += (size_t)n;
	rc = done == len ? 0 : -1;
	if (close(fd) < 0 || rc < 0 || rename(tmp, path) < 0) {
		rc = errf(err, errlen, "%s: %s", path, strerror(errno ? errno : EIO));
		unlink(tmp);
	}
	return rc;
}

/* ---- apt: which package, which version ---- */

/*
** The value of field `name` in the first stanza of apt-cache output (the
** first line of it), trimmed. 1 found, 0 absent, -1 does not fit.
*/
static int vmprep_field(const char *text, const char *name, char *out, size_t outlen)
{
	size_t nl = strlen(name), vl;
	const char *line = text, *end, *v;

	while (*line && *line != '\n') {
		end = strchr(line, '\n');
		if (!end)
			end = line + strlen(line);
		if (!strncmp(line, name, nl) && line[nl] == ':') {
			for (v = line + nl + 1; v < end && (*v == ' ' || *v == '\t'); v++)
				;
			vl = (size_t)(end - v);
			while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\r'))
				vl--;
			if (vl >= outlen)
				return -1;
			memcpy(out, v, vl);
			out[vl] = '\0';
			return 1;
		}
		line = *end ? end + 1 : end;
	}
	return 0;
}

/* Words that become folder names and argv entries: no '/', no surprises. */
static int vmprep_word_ok(const char *s, const char *extra)
{
	if (!*s || *s == '-' || *s == '.')
		return 0;
	for (; *s; s++) {
		if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') &&
		    !(*s >= '0' && *s <= '9') && !strchr(extra, *s))
			return 0;
	}
	return 1;
}

/* `apt-cache show --no-all-versions pkg` into p->out; unknown package: clear error. */
static int vmprep_apt_show(struct vmprep_ctx *c, const char *pkg, struct hostcmd *p)
{
	const char *argv[] = { "apt-cache", "show", "--no-all-versions", pkg, NULL };
	char name[128];
	int rc;

	memset(p, 0, sizeof *p);
	p->argv = argv;
	p->want_out = 1;
	rc = hostcmd_run(p, c->err, c->errlen);
	p->argv = NULL;   /* argv lives on this stack frame */
	if (rc < 0 && p->status == 100)
		return errf(c->err, c->errlen, "apt does not know the package %s "
		                   "(check the name; apt-get update?)", pkg);
	if (rc < 0)
		return -1;
	if (!p->out || vmprep_field(p->out, "Package", name, sizeof name) != 1 ||
	    strcmp(name, pkg) != 0)
		return errf(c->err, c->errlen, "apt-cache show %s: no stanza for %s", pkg, pkg);
	return 0;
}

/* The first package of a Depends value, and its "(= version)" if it has one. */
static int vmprep_first_dep(const char *deps, char *pkg, size_t plen, char *ver, size_t vlen)
{
	size_t n = strcspn(deps, " ,|(:");
	const char *eq;

	if (n == 0 || n >= plen)
		return -1;
	memcpy(pkg, deps, n);
	pkg[n] = '\0';
	ver[0] = '\0';
	eq = deps + n + strspn(deps + n, " ");
	if (!strncmp(eq, "(=", 2)) {
		eq += 2 + strspn(eq + 2, " ");
		n = strcspn(eq, " )");
		if (n == 0 || n >= vlen || eq[n] == '\0')
			return -1;
		memcpy(ver, eq, n);
		ver[n] = '\0';
	}
	return 0;
}

/* The metapackage's first dependency, pinned to the version it names. */
static int vmprep_resolve_default(struct vmprep_ctx *c)
{
	struct hostcmd p;
	struct utsname u;
	char deps[1024];
	int rc = -1;

	if (uname(&u) < 0)
		return errf(c->err, c->errlen, "uname: %s", strerror(errno));
	if (strcmp(u.machine, "x86_64") != 0)
		return errf(c->err, c->errlen, "no default guest kernel on %s: %s is the "
		                   "x86_64 default; name a kernel package", u.machine,
		                   VMCACHE_META_PACKAGE);
	if (vmprep_apt_show(c, VMCACHE_META_PACKAGE, &p) < 0)
		goto done;
	if (vmprep_field(p.out, "Depends", deps, sizeof deps) != 1 ||
	    vmprep_first_dep(deps, c->pkg, sizeof c->pkg, c->ver, sizeof c->ver) < 0) {
		errf(c->err, c->errlen, "%s: no usable Depends field", VMCACHE_META_PACKAGE);
		goto done;
	}
	rc = 0;
done:
	hostcmd_free(&p);
	return rc;
}

/* Package and version: named or default; the candidate version when not pinned. */
static int vmprep_resolve(struct vmprep_ctx *c)
{
	struct hostcmd p;
	int rc = -1;

	if (!c->o->package) {
		if (vmprep_resolve_default(c) < 0)
			return -1;
	} else if (snprintf(c->pkg, sizeof c->pkg, "%s", c->o->package) >= (int)sizeof c->pkg) {
		return errf(c->err, c->errlen, "package name too long");
	}
	if (!vmprep_word_ok(c->pkg, "+.-"))
		return errf(c->err, c->errlen, "'%.100s' is not a package name", c->pkg);
	if (!c->ver[0]) {
		if (vmprep_apt_show(c, c->pkg, &p) < 0)
			goto done;
		if (vmprep_field(p.out, "Version", c->ver, sizeof c->ver) != 1) {
			errf(c->err, c->errlen, "apt-cache show %s: no Version", c->pkg);
			goto done;
		}
		hostcmd_free(&p);
	}
	if (!vmprep_word_ok(c->ver, "+.~:-"))
		return errf(c->err, c->errlen, "%s: odd version '%.100s'", c->pkg, c->ver);
	return 0;
done:
	hostcmd_free(&p);
	return rc;
}

/* ---- removal ---- */

static _Thread_local char vmprep_rm_failed[PATH_MAX];
static _Thread_local int vmprep_rm_errno;

static int vmprep_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if ((flag == FTW_DP ? rmdir(path) : unlink(path)) == 0 || errno == ENOENT)
		return 0;
	vmprep_rm_errno = errno;
	snprintf(vmprep_rm_failed, sizeof vmprep_rm_failed, "%s", path);
	return 1;
}

int vmprep_remove_tree(const char *path, char *err, size_t errlen)
{
	struct stat st;
	int rc;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : errf(err, errlen, "%s: %s", path, strerror(errno));
	vmprep_rm_failed[0] = '\0';
	vmprep_rm_errno = 0;
	rc = nftw(path, vmprep_rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	if (rc == 0)
		return 0;
	if (rc > 0)
		return errf(err, errlen, "cannot remove %s: %s", vmprep_rm_failed,
		                   strerror(vmprep_rm_errno));
	return errf(err, errlen, "cannot remove %s: %s", path, strerror(errno));
}

/* ---- the initramfs hash ---- */

static uint64_t vmprep_fnv(uint64_t h, const void *data, size_t n)
{
	const unsigned char *p = data;

	while (n--) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* FNV-1a 64 over the /init text, the module list and busybox's size and mtime. */
static int vmprep_hash(struct vmprep_ctx *c)
{
	struct stat st;
	uint64_t h = 0xcbf29ce484222325ULL;
	char meta[96];
	size_t i;

	if (stat(VMPREP_BUSYBOX, &st) < 0)
		return errf(c->err, c->errlen, "%s: %s (install busybox-static)",
		                   VMPREP_BUSYBOX, strerror(errno));
	h = vmprep_fnv(h, vmprep_init, sizeof vmprep_init);
	for (i = 0; i < VMPREP_NMODULES; i++)
		h = vmprep_fnv(h, vmprep_modules[i], strlen(vmprep_modules[i]) + 1);
	snprintf(meta, sizeof meta, "%jd %jd.%09ld", (intmax_t)st.st_size,
	         (intmax_t)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec);
	h = vmprep_fnv(h, meta, strlen(meta));
	snprintf(c->hash, sizeof c->hash, "%016" PRIx64, h);
	return 0;
}

/* ---- folders, lock, stamp, current ---- */

/* mkdir -p for an absolute path (the cache root may not exist yet). */
static int vmprep_mkdirs(struct vmprep_ctx *c, const char *path)
{
	char p[PATH_MAX];
	size_t i;

	if (vmprep_path(c, p, "%s", path) < 0)
		return -1;
	for (i = 1; ; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		char save = p[i];

		p[i] = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return errf(c->err, c->errlen, "mkdir %s: %s", p, strerror(errno));
		p[i] = save;
		if (!save)
			return 0;
	}
}

/* vm/.lock serialises prepares (flock, released when the fd closes). */
static int vmprep_lock(struct vmprep_ctx *c)
{
	char path[PATH_MAX];
	int fd, r;

	if (vmprep_path(c, path, "%s/.lock", c->vmdir) < 0)
		return -1;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return errf(c->err, c->errlen, "%s: %s", path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return fd;
	if (errno == EWOULDBLOCK) {
		if (c->o->progress) {
			fprintf(c->o->progress, "vm prepare: waiting for another vm prepare (%s)\n",
			        path);
			fflush(c->o->progress);
		}
		while ((r = flock(fd, LOCK_EX)) < 0 && errno == EINTR)
			;
		if (r == 0)
			return fd;
	}
	errf(c->err, c->errlen, "flock %s: %s", path, strerror(errno));
	close(fd);
	return -1;
}

/*
** Leftovers of an interrupted prepare of this package: <pkg>.tmp-N and
** <pkg>.old-N. We hold the lock, so no other prepare owns them.
*/
static int vmprep_sweep(struct vmprep_ctx *c)
{
	char path[PATH_MAX];
	size_t pl = strlen(c->pkg);
	struct dirent *e;
	DIR *d = opendir(c->vmdir);
	int rc = 0;

	if (!d)
		return errf(c->err, c->errlen, "%s: %s", c->vmdir, strerror(errno));
	while (rc == 0 && (e = readdir(d)) != NULL) {
		const char *rest = e->d_name + pl;

		if (strncmp(e->d_name, c->pkg, pl) != 0 ||
		    (strncmp(rest, ".tmp-", 5) != 0 && strncmp(rest, ".old-", 5) != 0) ||
		    rest[5] == '\0' || rest[5 + strspn(rest + 5, "0123456789")] != '\0')
			continue;
		rc = vmprep_path(c, path, "%s/%s", c->vmdir, e->d_name);
		if (rc == 0)
			rc = vmprep_remove_tree(path, c->err, c->errlen);
	}
	closedir(d);
	return rc;
}

/* The stamp, written last: "package version kver hash". */
static int vmprep_stamp(struct vmprep_ctx *c, const char *dir)
{
	char path[PATH_MAX], text[600];
	int n;

	if (vmprep_path(c, path, "%s/stamp", dir) < 0)
		return -1;
	n = snprintf(text, sizeof text, "%s %s %s %s\n", c->pkg, c->ver, c->kver, c->hash);
	return vmprep_write_file(path, text, (size_t)n, c->err, c->errlen);
}

/* The hash word of an existing stamp (vmcache_find has checked the rest). */
static int vmprep_stamp_hash(const char *dir, char *hash, size_t len)
{
	char path[PATH_MAX], h[64];
	unsigned char *text;
	size_t n;
	int ok;

	if (snprintf(path, sizeof path, "%s/stamp", dir) >= (int)sizeof path ||
	    vmprep_slurp(path, 1024, &text, &n, NULL, 0) < 0)
		return -1;
	ok = sscanf((const char *)text, "%*s %*s %*s %63s", h) == 1 && strlen(h) < len;
	free(text);
	if (ok)
		memcpy(hash, h, strlen(h) + 1);
	return ok ? 0 : -1;
}

/* vm/current -> <pkg>, replaced atomically (a new link renamed over it). */
static int vmprep_point_current(struct vmprep_ctx *c)
{
	char link[PATH_MAX], tmp[PATH_MAX], now[sizeof c->pkg];
	ssize_t n;

	if (vmprep_path(c, link, "%s/current", c->vmdir) < 0 ||
	    vmprep_path(c, tmp, "%s/.current-%ld", c->vmdir, (long)getpid()) < 0)
		return -1;
	n = readlink(link, now, sizeof now - 1);
	if (n >= 0) {
		now[n] = '\0';
		if (!strcmp(now, c->pkg))
			return 0;
	}
	unlink(tmp);
	if (symlink(c->pkg, tmp) < 0)
		return errf(c->err, c->errlen, "symlink %s: %s", tmp, strerror(errno));
	if (rename(tmp, link) < 0) {
		errf(c->err, c->errlen, "rename %s: %s", link, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/*
** Move the finished tmp folder to vm/<pkg>: the old one is renamed aside
** first and removed once the new one is in place with its stamp.
*/
static int vmprep_install(struct vmprep_ctx *c, const char *final)
{
	char old[PATH_MAX];

	if (vmprep_path(c, old, "%s/%s.old-%ld", c->vmdir, c->pkg, (long)getpid()) < 0)
		return -1;
	if (rename(final, old) < 0 && errno != ENOENT)
		return errf(c->err, c->errlen, "rename %s: %s", final, strerror(errno));
	if (rename(c->tmp, final) < 0) {
		errf(c->err, c->errlen, "rename %s: %s", c->tmp, strerror(errno));
		rename(old, final);
		return -1;
	}
	c->tmp[0] = '\0';   /* no longer ours to remove on failure */
	if (vmprep_stamp(c, final) < 0 || vmprep_point_current(c) < 0)
		return -1;
	return vmprep_remove_tree(old, c->err, c->errlen);
}

/* ---- download, extract, depmod ---- */

/* The one .deb apt-get put into dir. */
static int vmprep_find_deb(struct vmprep_ctx *c, const char *dir, char *deb)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	int found = 0, rc = 0;
	size_t n;

	if (!d)
		return errf(c->err, c->errlen, "%s: %s", dir, strerror(errno));
	while (rc == 0 && (e = readdir(d)) != NULL) {
		n = strlen(e->d_name);
		if (n <= 4 || strcmp(e->d_name + n - 4, ".deb") != 0)
			continue;
		rc = vmprep_path(c, deb, "%s/%s", dir, e->d_name);
		found++;
	}
	closedir(d);
	if (rc == 0 && found != 1)
		return errf(c->err, c->errlen, "apt-get download left %d .deb files in %s",
		                   found, dir);
	return rc;
}

/* apt-get download <pkg>=<ver> into <tmp>/download (nothing is installed). */
static int vmprep_download(struct vmprep_ctx *c, char *deb)
{
	char dl[PATH_MAX], spec[300];
	const char *argv[] = { "apt-get", "download", spec, NULL };
	struct hostcmd p;
	int rc;

	if (vmprep_path(c, dl, "%s/download", c->tmp) < 0)
		return -1;
	if (mkdir(dl, 0755) < 0)
		return errf(c->err, c->errlen, "mkdir %s: %s", dl, strerror(errno));
	snprintf(spec, sizeof spec, "%s=%s", c->pkg, c->ver);
	memset(&p, 0, sizeof p);
	p.argv = argv;
	p.cwd = dl;
	rc = hostcmd_run(&p, c->err, c->errlen);
	hostcmd_free(&p);
	return rc < 0 ? -1 : vmprep_find_deb(c, dl, deb);
}

/* dpkg -x the .deb into <tmp>/root, then delete it and its folder. */
static int vmprep_extract(struct vmprep_ctx *c, const char *deb)
{
	char root[PATH_MAX], dl[PATH_MAX];
	const char *argv[] = { "dpkg", "-x", deb, root, NULL };
	struct hostcmd p;
	int rc;

	if (vmprep_path(c, root, "%s/root", c->tmp) < 0 ||
	    vmprep_path(c, dl, "%s/download", c->tmp) < 0)
		return -1;
	memset(&p, 0, sizeof p);
	p.argv = argv;
	rc = hostcmd_run(&p, c->err, c->errlen);
	hostcmd_free(&p);
	if (unlink(deb) < 0 || rmdir(dl) < 0)
		return rc < 0 ? -1 : errf(c->err, c->errlen, "removing %s: %s", deb,
		                                 strerror(errno));
	return rc;
}

/*
** The kernel version: the single folder under root/lib/modules. A package
** that ships usr/lib/modules (merged /usr) gets root/lib -> usr/lib, so
** the layout of vmcache.h holds and depmod -b finds it either way.
*/
static int vmprep_find_kver(struct vmprep_ctx *c)
{
	char lib[PATH_MAX], usr[PATH_MAX], mods[PATH_MAX];
	struct dirent *e;
	struct stat st;
	DIR *d;
	int n = 0;

	if (vmprep_path(c, lib, "%s/root/lib", c->tmp) < 0 ||
	    vmprep_path(c, usr, "%s/root/usr/lib/modules", c->tmp) < 0 ||
	    vmprep_path(c, mods, "%s/modules", lib) < 0)
		return -1;
	if (lstat(lib, &st) < 0 && stat(usr, &st) == 0 && symlink("usr/lib", lib) < 0)
		return errf(c->err, c->errlen, "symlink %s: %s", lib, strerror(errno));
	if (!(d = opendir(mods)))
		return errf(c->err, c->errlen, "%s ships no %s (a metapackage, not a kernel "
		                   "image?)", c->pkg, "lib/modules");
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		n++;
		if (strlen(e->d_name) < sizeof c->kver)
			memcpy(c->kver, e->d_name, strlen(e->d_name) + 1);
	}
	closedir(d);
	if (n != 1 || !vmprep_word_ok(c->kver, "+.~_-"))
		return errf(c->err, c->errlen, "%s: expected one kernel version folder, "
		                   "found %d", mods, n);
	return 0;
}

/* The host's depmod: /usr/sbin, /sbin, then $PATH. */
static int vmprep_find_depmod(struct vmprep_ctx *c, char *out)
{
	const char *path = getenv("PATH");
	char dirs[4096];
	char *dir, *save = NULL;

	snprintf(dirs, sizeof dirs, "/usr/sbin:/sbin:%s", path ? path : "");
	for (dir = strtok_r(dirs, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		if (snprintf(out, PATH_MAX, "%s/depmod", dir) < PATH_MAX && access(out, X_OK) == 0)
			return 0;
	}
	return errf(c->err, c->errlen, "depmod not found (/usr/sbin, /sbin, $PATH): "
	                   "install the kmod package");
}

/* depmod -b <tmp>/root <kver>: the .deb ships no modules.dep. */
static int vmprep_depmod(struct vmprep_ctx *c)
{
	char depmod[PATH_MAX], root[PATH_MAX], dep[PATH_MAX];
	const char *argv[] = { depmod, "-b", root, c->kver, NULL };
	struct hostcmd p;
	int rc;

	if (vmprep_find_kver(c) < 0 || vmprep_find_depmod(c, depmod) < 0 ||
	    vmprep_path(c, root, "%s/root", c->tmp) < 0 ||
	    vmprep_path(c, dep, "%s/lib/modules/%s/modules.dep", root, c->kver) < 0)
		return -1;
	memset(&p, 0, sizeof p);
	p.argv = argv;
	rc = hostcmd_run(&p, c->err, c->errlen);
	hostcmd_free(&p);
	if (rc == 0 && access(dep, R_OK) < 0)
		return errf(c->err, c->errlen, "depmod wrote no %s", dep);
	return rc;
}

/* root/boot/vmlinuz-<kver> -> vmlinux: the xz stream inside, decompressed. */
static int vmprep_vmlinux(struct vmprep_ctx *c, const char *dir)
{
	char in[PATH_MAX], out[PATH_MAX];
	unsigned char *z = NULL, *k = NULL;
	size_t zl, kl;
	int rc = -1;

	if (vmprep_path(c, in, "%s/root/boot/vmlinuz-%s", dir, c->kver) < 0 ||
	    vmprep_path(c, out, "%s/vmlinux", dir) < 0 ||
	    vmprep_slurp(in, VMPREP_FILE_MAX, &z, &zl, c->err, c->errlen) < 0)
		goto done;
	if (kimage_unxz(z, zl, VMPREP_VMLINUX_MAX, &k, &kl, c->err, c->errlen) < 0) {
		size_t n = strlen(c->err);

		snprintf(c->err + n, c->errlen - n, " (in %s)", in);
		goto done;
	}
	if (kl < 4 || memcmp(k, "\177ELF", 4) != 0) {
		errf(c->err, c->errlen, "%s: the xz stream is not an ELF vmlinux", in);
		goto done;
	}
	rc = vmprep_write_file(out, k, kl, c->err, c->errlen);
done:
	free(z);
	free(k);
	return rc;
}

/* ---- initrd ---- */

/* Add moddir/rel as mods/<name>.ko, decompressing .ko.xz. */
static int vmprep_add_module(struct vmprep_ctx *c, struct initramfs *ar, const char *moddir,
                             const char *name, const char *rel)
{
	char path[PATH_MAX], in[PATH_MAX];
	unsigned char *raw = NULL, *ko = NULL;
	size_t rl, kl, n = strlen(rel);
	int rc = -1;

	if (vmprep_path(c, in, "%s/%s", moddir, rel) < 0 ||
	    vmprep_path(c, path, "mods/%s.ko", name) < 0 ||
	    vmprep_slurp(in, VMPREP_MODULE_MAX, &raw, &rl, c->err, c->errlen) < 0)
		goto done;
	if (n > 3 && !strcmp(rel + n - 3, ".ko")) {
		rc = initramfs_add_file(ar, path, 0644, raw, rl);
	} else if (n > 6 && !strcmp(rel + n - 6, ".ko.xz")) {
		if (kimage_xz_decode(raw, rl, VMPREP_MODULE_MAX, &ko, &kl, c->err, c->errlen) < 0) {
			errf(c->err, c->errlen, "%s: not a valid xz file", in);
			goto done;
		}
		rc = initramfs_add_file(ar, path, 0644, ko, kl);
	} else {
		errf(c->err, c->errlen, "%s: a compression vm prepare does not handle "
		            "(only .ko and .ko.xz)", in);
		goto done;
	}
	if (rc < 0)
		errf(c->err, c->errlen, "initramfs: %s", ar->err);
done:
	free(raw);
	free(ko);
	return rc;
}

/* Every dependency of a module must be one loaded before it. */
static int vmprep_check_deps(struct vmprep_ctx *c, const char *name, const char *deps,
                             const int *loaded)
{
	size_t off = 0, n, i;

	while (deps[off]) {
		n = strcspn(deps + off, " ");
		for (i = 0; i < VMPREP_NMODULES; i++) {
			if (loaded[i] && kimage_mod_is(deps + off, n, vmprep_modules[i]))
				break;
		}
		if (n && i == VMPREP_NMODULES)
			return errf(c->err, c->errlen, "module %s needs %.*s, which the "
			                   "initramfs does not load before it", name, (int)n, deps + off);
		off += n + strspn(deps + off + n, " ");
	}
	return 0;
}

/* One module of the list: 1 added, 0 built in (skipped), -1 error. */
static int vmprep_one_module(struct vmprep_ctx *c, struct initramfs *ar, const char *moddir,
                             const char *dep, size_t dl, const char *bi, size_t bl,
                             size_t i, const int *loaded)
{
	char rel[PATH_MAX], deps[16384];
	const char *name = vmprep_modules[i];
	int r = kimage_moddep_find(dep, dl, name, rel, sizeof rel, deps, sizeof deps);

	if (r < 0)
		return errf(c->err, c->errlen, "modules.dep: the line of %s is too long", name);
	if (r == 0 && kimage_moddep_find(bi, bl, name, NULL, 0, NULL, 0) == 1)
		return 0;
	if (r == 0)
		return errf(c->err, c->errlen, "module %s: neither in modules.dep nor in "
		                   "modules.builtin of %s", name, c->kver);
	if (vmprep_check_deps(c, name, deps, loaded) < 0 ||
	    vmprep_add_module(c, ar, moddir, name, rel) < 0)
		return -1;
	return 1;
}

/* The module list, in load order, plus mods/order for /init. */
static int vmprep_add_modules(struct vmprep_ctx *c, struct initramfs *ar, const char *moddir)
{
	char path[PATH_MAX], order[VMPREP_NMODULES * 32];
	unsigned char *dep = NULL, *bi = NULL;
	size_t dl, bl = 0, ol = 0, i;
	int loaded[VMPREP_NMODULES] = { 0 }, rc = -1, r;

	if (vmprep_path(c, path, "%s/modules.dep", moddir) < 0 ||
	    vmprep_slurp(path, VMPREP_FILE_MAX, &dep, &dl, c->err, c->errlen) < 0 ||
	    vmprep_path(c, path, "%s/modules.builtin", moddir) < 0 ||
	    (access(path, F_OK) == 0 &&
	     vmprep_slurp(path, VMPREP_FILE_MAX, &bi, &bl, c->err, c->errlen) < 0))
		goto done;
	for (i = 0; i < VMPREP_NMODULES; i++) {
		r = vmprep_one_module(c, ar, moddir, (const char *)dep, dl, (const char *)bi, bl, i,
		                      loaded);
		if (r < 0)
			goto done;
		loaded[i] = r;
		if (r)
			ol += (size_t)snprintf(order + ol, sizeof order - ol, "%s\n", vmprep_modules[i]);
	}
	rc = initramfs_add_file(ar, "mods/order", 0644, order, ol);
	if (rc < 0)
		errf(c->err, c->errlen, "initramfs: %s", ar->err);
done:
	free(dep);
	free(bi);
	return rc;
}

/* Host busybox must be static: it runs before any library is reachable. */
static int vmprep_check_busybox(struct vmprep_ctx *c)
{
	unsigned char *buf;
	size_t len;
	int r = vmprep_slurp(VMPREP_BUSYBOX, VMPREP_FILE_MAX, &buf, &len, c->err, c->errlen);

	if (r == 0) {
		r = kimage_elf_static(buf, len, VMPREP_BUSYBOX, c->err, c->errlen);
		free(buf);
	}
	if (r < 0) {
		size_t n = strlen(c->err);

		snprintf(c->err + n, c->errlen - n, " (install busybox-static)");
		return -1;
	}
	if (r == 0)
		return errf(c->err, c->errlen, "%s is dynamically linked; the guest's /init "
		                   "needs a static one: install busybox-static", VMPREP_BUSYBOX);
	return 0;
}

/* <dir>/initrd: busybox, /init, the modules. */
static int vmprep_initrd(struct vmprep_ctx *c, const char *dir)
{
	char moddir[PATH_MAX], out[PATH_MAX];
	struct initramfs ar;
	int rc = -1;

	if (vmprep_check_busybox(c) < 0 ||
	    vmprep_path(c, moddir, "%s/root/lib/modules/%s", dir, c->kver) < 0 ||
	    vmprep_path(c, out, "%s/initrd", dir) < 0)
		return -1;
	initramfs_init(&ar);
	initramfs_add_dir(&ar, "bin", 0755);
	initramfs_add_file_from(&ar, "bin/busybox", 0755, VMPREP_BUSYBOX);
	initramfs_add_file(&ar, "init", 0755, vmprep_init, sizeof vmprep_init - 1);
	if (initramfs_add_dir(&ar, "mods", 0755) < 0) {
		errf(c->err, c->errlen, "initramfs: %s", ar.err);
		goto done;
	}
	if (vmprep_add_modules(c, &ar, moddir) < 0)
		goto done;
	if (initramfs_write(&ar, out) < 0) {
		errf(c->err, c->errlen, "initramfs: %s", ar.err);
		goto done;
	}
	rc = 0;
done:
	initramfs_free(&ar);
	return rc;
}

/* ---- the whole run ---- */

/* The full build in <pkg>.tmp-<pid>, steps 2-6, then install. */
static int vmprep_build(struct vmprep_ctx *c, struct vm_image *img)
{
	char deb[PATH_MAX], final[PATH_MAX];
	int rc = -1;

	if (vmprep_sweep(c) < 0 ||
	    vmprep_path(c, c->tmp, "%s/%s.tmp-%ld", c->vmdir, c->pkg, (long)getpid()) < 0 ||
	    vmprep_path(c, final, "%s/%s", c->vmdir, c->pkg) < 0)
		return -1;
	if (mkdir(c->tmp, 0755) < 0) {
		errf(c->err, c->errlen, "mkdir %s: %s", c->tmp, strerror(errno));
		c->tmp[0] = '\0';
		return -1;
	}
	vmprep_begin(c, 2, "download %s %s", c->pkg, c->ver);
	if (vmprep_end(c, vmprep_download(c, deb)) < 0)
		goto done;
	vmprep_begin(c, 3, "extract (dpkg -x)");
	if (vmprep_end(c, vmprep_extract(c, deb)) < 0)
		goto done;
	vmprep_begin(c, 4, "depmod");
	if (vmprep_end(c, vmprep_depmod(c)) < 0)
		goto done;
	vmprep_begin(c, 5, "vmlinux %s", c->kver);
	if (vmprep_end(c, vmprep_vmlinux(c, c->tmp)) < 0)
		goto done;
	vmprep_begin(c, 6, "initrd");
	if (vmprep_end(c, vmprep_initrd(c, c->tmp)) < 0)
		goto done;
	if (vmprep_install(c, final) < 0)
		goto done;
	rc = vmcache_find(c->o->cache_root, c->pkg, img, c->err, c->errlen);
done:
	if (rc < 0 && c->tmp[0])
		vmprep_remove_tree(c->tmp, NULL, 0);
	return rc;
}

/*
** The package is there at this version. Same hash: only make sure
** vm/current points at it. Another hash: rebuild the initrd alone (written
** atomically before the new stamp, so an interruption leaves a stamp whose
** hash still differs and the next run rebuilds it again).
*/
static int vmprep_reuse(struct vmprep_ctx *c, struct vm_image *img, const char *old_hash)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof dir, "%s", img->dir);
	if (strcmp(old_hash, c->hash) != 0) {
		snprintf(c->kver, sizeof c->kver, "%s", img->kver);
		vmprep_begin(c, 6, "initrd (the /init or busybox changed)");
		if (vmprep_end(c, vmprep_initrd(c, dir)) < 0 || vmprep_stamp(c, dir) < 0)
			return -1;
	} else if (c->o->progress) {
		fprintf(c->o->progress, "vm prepare: %s %s is current in %s\n", c->pkg, c->ver, dir);
		fflush(c->o->progress);
	}
	if (vmprep_point_current(c) < 0)
		return -1;
	return vmcache_find(c->o->cache_root, c->pkg, img, c->err, c->errlen);
}

/* Resolve, then reuse what is there or build; the caller holds the lock. */
static int vmprep_locked(struct vmprep_ctx *c, struct vm_image *img)
{
	char old_hash[64];

	vmprep_begin(c, 1, "resolve %s", c->o->package ? c->o->package : VMCACHE_META_PACKAGE);
	if (vmprep_end(c, vmprep_resolve(c)) < 0 || vmprep_hash(c) < 0)
		return -1;
	if (!c->o->force && vmcache_find(c->o->cache_root, c->pkg, img, NULL, 0) == 0 &&
	    !strcmp(img->version, c->ver) &&
	    vmprep_stamp_hash(img->dir, old_hash, sizeof old_hash) == 0)
		return vmprep_reuse(c, img, old_hash);
	return vmprep_build(c, img);
}

int vmprep_run(const struct vmprep_opts *o, struct vm_image *img, char *err, size_t errlen)
{
	struct vmprep_ctx c;
	int lock, rc;

	memset(img, 0, sizeof *img);
	memset(&c, 0, sizeof c);
	c.o = o;
	c.err = err;
	c.errlen = errlen;
	if (!o || !o->cache_root || o->cache_root[0] != '/')
		return errf(err, errlen, "vm prepare needs an absolute cache folder");
	if (vmprep_path(&c, c.vmdir, "%s/vm", o->cache_root) < 0 ||
	    vmprep_mkdirs(&c, c.vmdir) < 0 || (lock = vmprep_lock(&c)) < 0)
		return -1;
	rc = vmprep_locked(&c, img);
	close(lock);
	if (rc < 0)
		memset(img, 0, sizeof *img);
	return rc;
}
