/*
** initramfs: an in-memory cpio "newc" writer for the vm backend's initrd.
**
** newc layout, per entry: a 110-byte ASCII header ("070701" and thirteen
** 8-digit hex fields), the name with its NUL, zeros up to a multiple of 4
** (counted from the start of the header), the data, zeros up to a multiple
** of 4. The archive ends with an entry named "TRAILER!!!" and is padded to
** 512 bytes by convention. The kernel's unpacker skips entries whose
** namesize exceeds PATH_MAX and symlinks whose target does: refuse those
** here instead of producing an archive that silently loses files.
*/
#include "vm/initramfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define INITRAMFS_HDR     110u
#define INITRAMFS_BLOCK   512u
#define INITRAMFS_TRAILER "TRAILER!!!"

struct initramfs_name {
	char *path;
	int is_dir;
};

/* The header fields that vary; uid, gid, device numbers and check stay 0. */
struct initramfs_hdr {
	uint32_t ino, mode, nlink, mtime, size;
};

void initramfs_init(struct initramfs *ar)
{
	memset(ar, 0, sizeof *ar);
	ar->next_ino = 1;
}

void initramfs_free(struct initramfs *ar)
{
	size_t i;

	if (!ar)
		return;
	for (i = 0; i < ar->nnames; i++)
		free(ar->names[i].path);
	free(ar->names);
	free(ar->buf);
	initramfs_init(ar);
}

/* Fill err without marking the archive failed (write errors: it is intact). */
__attribute__((format(printf, 2, 3)))
static int initramfs_seterr(struct initramfs *ar, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ar->err, sizeof ar->err, fmt, ap);
	va_end(ap);
	return -1;
}

/* The sticky failure: only the first message is kept, it names the cause. */
__attribute__((format(printf, 2, 3)))
static int initramfs_fail(struct initramfs *ar, const char *fmt, ...)
{
	va_list ap;

	if (!ar->failed) {
		va_start(ap, fmt);
		vsnprintf(ar->err, sizeof ar->err, fmt, ap);
		va_end(ap);
		ar->failed = 1;
	}
	return -1;
}

static int initramfs_usable(struct initramfs *ar)
{
	if (ar->failed)
		return -1;
	if (ar->finished)
		return initramfs_fail(ar, "archive already finished: no entries after the trailer");
	return 0;
}

static size_t initramfs_pad4(size_t n)
{
	return (n + 3u) & ~(size_t)3u;
}

static int initramfs_check_comp(struct initramfs *ar, const char *path, const char *comp,
                                size_t n)
{
	if (n == 0)
		return initramfs_fail(ar, "%.200s: empty path component (leading, trailing or "
		                      "double '/')", path);
	if ((n == 1 && comp[0] == '.') || (n == 2 && comp[0] == '.' && comp[1] == '.'))
		return initramfs_fail(ar, "%.200s: '.' or '..' component", path);
	if (n > INITRAMFS_COMP_MAX)
		return initramfs_fail(ar, "%.100s...: component of %zu bytes, at most %u", path, n,
		                      INITRAMFS_COMP_MAX);
	return 0;
}

/* Path rules of initramfs.h: relative, bounded, no empty/./.. components. */
static int initramfs_check_path(struct initramfs *ar, const char *path)
{
	size_t len, start, i;

	if (!path || !*path)
		return initramfs_fail(ar, "empty path");
	if (path[0] == '/')
		return initramfs_fail(ar, "%.200s: path must be relative (no leading '/')", path);
	len = strlen(path);
	if (len > INITRAMFS_PATH_MAX)
		return initramfs_fail(ar, "%.100s...: path of %zu bytes, at most %u", path, len,
		                      INITRAMFS_PATH_MAX);
	for (start = 0; start <= len; start = i + 1) {
		for (i = start; i < len && path[i] != '/'; i++)
			;
		if (initramfs_check_comp(ar, path, path + start, i - start) < 0)
			return -1;
	}
	return 0;
}

static int initramfs_check_mode(struct initramfs *ar, const char *path, mode_t mode)
{
	if (mode & ~(mode_t)07777)
		return initramfs_fail(ar, "%.200s: mode %#o is not permission bits (at most 07777)",
		                      path, (unsigned)mode);
	return 0;
}

/* Binary search of the name set: index of path, or where it would go. */
static size_t initramfs_find(const struct initramfs *ar, const char *path, int *found)
{
	size_t lo = 0, hi = ar->nnames, mid;
	int c;

	*found = 0;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(path, ar->names[mid].path);
		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static int initramfs_remember(struct initramfs *ar, size_t at, const char *path, int is_dir)
{
	struct initramfs_name *n;
	size_t cap;
	char *copy;

	if (ar->nnames == ar->capnames) {
		cap = ar->capnames ? ar->capnames * 2 : 32;
		n = realloc(ar->names, cap * sizeof *n);
		if (!n)
			return initramfs_fail(ar, "out of memory");
		ar->names = n;
		ar->capnames = cap;
	}
	copy = strdup(path);
	if (!copy)
		return initramfs_fail(ar, "out of memory");
	memmove(&ar->names[at + 1], &ar->names[at], (ar->nnames - at) * sizeof *ar->names);
	ar->names[at].path = copy;
	ar->names[at].is_dir = is_dir;
	ar->nnames++;
	return 0;
}

/* Grow the buffer geometrically so need more bytes fit; they are zeroed. */
static int initramfs_reserve(struct initramfs *ar, size_t need)
{
	unsigned char *b;
	size_t cap;

	if (need > SIZE_MAX - ar->len)
		return initramfs_fail(ar, "archive too large");
	if (ar->len + need > ar->cap) {
		cap = ar->cap ? ar->cap : 4096;
		while (cap < ar->len + need)
			cap = cap > SIZE_MAX / 2 ? ar->len + need : cap * 2;
		b = realloc(ar->buf, cap);
		if (!b)
			return initramfs_fail(ar, "out of memory (archive of %zu bytes)", cap);
		ar->buf = b;
		ar->cap = cap;
	}
	memset(ar->buf + ar->len, 0, need);
	return 0;
}

/*
** Append a header, the padded name and room for h->size bytes of data
** (zeroed, padding included); *data_at gets the data offset. The name is
** not checked here: callers validated it.
*/
static int initramfs_emit(struct initramfs *ar, const char *name,
                          const struct initramfs_hdr *h, size_t *data_at)
{
	char hdr[INITRAMFS_HDR + 1];
	size_t namesize = strlen(name) + 1;
	size_t head = initramfs_pad4(INITRAMFS_HDR + namesize);
	size_t body = initramfs_pad4((size_t)h->size);

	if (initramfs_reserve(ar, head + body) < 0)
		return -1;
	snprintf(hdr, sizeof hdr, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
	         (unsigned)h->ino, (unsigned)h->mode, 0u, 0u, (unsigned)h->nlink,
	         (unsigned)h->mtime, (unsigned)h->size, 0u, 0u, 0u, 0u, (unsigned)namesize, 0u);
	memcpy(ar->buf + ar->len, hdr, INITRAMFS_HDR);
	memcpy(ar->buf + ar->len + INITRAMFS_HDR, name, namesize);
	*data_at = ar->len + head;
	ar->len += head + body;
	return 0;
}

/* Emit an entry with a fresh inode and record its name at index at. */
static int initramfs_put(struct initramfs *ar, const char *path, size_t at, mode_t mode,
                         uint32_t size, size_t *data_at)
{
	struct initramfs_hdr h;

	if (ar->next_ino == 0)
		return initramfs_fail(ar, "%.200s: out of inode numbers", path);
	h.ino = ar->next_ino;
	h.mode = (uint32_t)mode;
	h.nlink = S_ISDIR(mode) ? 2 : 1;
	h.mtime = ar->mtime;
	h.size = size;
	if (initramfs_remember(ar, at, path, S_ISDIR(mode)) < 0 ||
	    initramfs_emit(ar, path, &h, data_at) < 0)
		return -1;
	ar->next_ino++;   /* wraps to 0 after UINT32_MAX: refused above */
	return 0;
}

/* A parent of a new entry: fine if a directory, added (0755) if missing. */
static int initramfs_parent(struct initramfs *ar, const char *dir)
{
	size_t idx, unused;
	int found;

	idx = initramfs_find(ar, dir, &found);
	if (found)
		return ar->names[idx].is_dir ? 0
		       : initramfs_fail(ar, "%.200s: parent is not a directory", dir);
	return initramfs_put(ar, dir, idx, S_IFDIR | 0755, 0, &unused);
}

/*
** Make sure every parent of path exists (adding missing ones) and path
** itself is new; *at gets its index in the name set.
*/
static int initramfs_prepare(struct initramfs *ar, const char *path, size_t *at)
{
	char *tmp, *slash;
	int found, rc = -1;

	tmp = strdup(path);
	if (!tmp)
		return initramfs_fail(ar, "out of memory");
	for (slash = strchr(tmp, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (initramfs_parent(ar, tmp) < 0)
			goto out;
		*slash = '/';
	}
	*at = initramfs_find(ar, path, &found);
	if (found) {
		initramfs_fail(ar, "%.200s: already in the archive", path);
		goto out;
	}
	rc = 0;
out:
	free(tmp);
	return rc;
}

/*
** What every add does: check, add parents, write the header and name and
** reserve size bytes of data at *data_at for the caller to fill.
*/
static int initramfs_begin(struct initramfs *ar, const char *path, mode_t type, mode_t perm,
                           size_t size, size_t *data_at)
{
	size_t at = 0;

	if (initramfs_usable(ar) < 0 || initramfs_check_path(ar, path) < 0 ||
	    initramfs_check_mode(ar, path, perm) < 0)
		return -1;
	if ((uint64_t)size > INITRAMFS_SIZE_MAX)
		return initramfs_fail(ar, "%.200s: %zu bytes, newc holds at most 4 GiB - 1", path,
		                      size);
	if (initramfs_prepare(ar, path, &at) < 0)
		return -1;
	return initramfs_put(ar, path, at, type | perm, (uint32_t)size, data_at);
}

int initramfs_add_dir(struct initramfs *ar, const char *path, mode_t mode)
{
	size_t at = 0;

	return initramfs_begin(ar, path, S_IFDIR, mode, 0, &at);
}

int initramfs_add_file(struct initramfs *ar, const char *path, mode_t mode,
                       const void *data, size_t len)
{
	size_t at = 0;

	if (initramfs_usable(ar) < 0)
		return -1;
	if (!data && len)
		return initramfs_fail(ar, "%.200s: no data for %zu bytes", path ? path : "?", len);
	if (initramfs_begin(ar, path, S_IFREG, mode, len, &at) < 0)
		return -1;
	if (len)
		memcpy(ar->buf + at, data, len);
	return 0;
}

int initramfs_add_symlink(struct initramfs *ar, const char *path, const char *target)
{
	size_t at = 0, n;

	if (initramfs_usable(ar) < 0)
		return -1;
	if (!target || !*target)
		return initramfs_fail(ar, "%.200s: empty symlink target", path ? path : "?");
	n = strlen(target);
	if (n > INITRAMFS_TARGET_MAX)
		return initramfs_fail(ar, "%.200s: symlink target of %zu bytes, at most %u",
		                      path ? path : "?", n, INITRAMFS_TARGET_MAX);
	if (initramfs_begin(ar, path, S_IFLNK, 0777, n, &at) < 0)
		return -1;
	memcpy(ar->buf + at, target, n);
	return 0;
}

/* Read exactly len bytes of fd into the archive at offset at. */
static int initramfs_slurp(struct initramfs *ar, int fd, const char *host_path, size_t at,
                           size_t len)
{
	size_t done = 0;
	ssize_t n;
	char extra;

	while (done < len) {
		n = read(fd, ar->buf + at + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return initramfs_fail(ar, "%.200s: %s", host_path, strerror(errno));
		if (n == 0)
			return initramfs_fail(ar, "%.200s: file shrank while read", host_path);
		done += (size_t)n;
	}
	do
		n = read(fd, &extra, 1);
	while (n < 0 && errno == EINTR);
	if (n != 0)
		return initramfs_fail(ar, "%.200s: file grew while read", host_path);
	return 0;
}

/*
** O_NONBLOCK so a FIFO does not hang the open; it is then refused as not a
** regular file. Size is checked before anything is appended.
*/
int initramfs_add_file_from(struct initramfs *ar, const char *path, mode_t mode,
                            const char *host_path)
{
	struct stat st;
	size_t at = 0;
	int fd, rc = -1;

	if (initramfs_usable(ar) < 0)
		return -1;
	if (!host_path || !*host_path)
		return initramfs_fail(ar, "%.200s: empty host path", path ? path : "?");
	fd = open(host_path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return initramfs_fail(ar, "%.200s: %s", host_path, strerror(errno));
	if (fstat(fd, &st) < 0)
		initramfs_fail(ar, "%.200s: %s", host_path, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		initramfs_fail(ar, "%.200s: not a regular file", host_path);
	else if ((uint64_t)st.st_size > INITRAMFS_SIZE_MAX)
		initramfs_fail(ar, "%.200s: %lld bytes, newc holds at most 4 GiB - 1", host_path,
		               (long long)st.st_size);
	else if (initramfs_begin(ar, path, S_IFREG, mode, (size_t)st.st_size, &at) == 0)
		rc = initramfs_slurp(ar, fd, host_path, at, (size_t)st.st_size);
	close(fd);
	return rc;
}

int initramfs_finish(struct initramfs *ar)
{
	struct initramfs_hdr h = { .nlink = 1 };
	size_t at = 0, pad;

	if (ar->failed)
		return -1;
	if (ar->finished)
		return 0;
	if (initramfs_emit(ar, INITRAMFS_TRAILER, &h, &at) < 0)
		return -1;
	pad = (INITRAMFS_BLOCK - ar->len % INITRAMFS_BLOCK) % INITRAMFS_BLOCK;
	if (initramfs_reserve(ar, pad) < 0)
		return -1;
	ar->len += pad;
	ar->finished = 1;
	return 0;
}

static int initramfs_write_all(int fd, const unsigned char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
** Temp file next to out_path (rename needs the same filesystem); 0644 set
** explicitly, whatever the umask, so QEMU run as another user can read it.
** Errors here leave the archive usable: err is filled, failed is not set.
*/
int initramfs_write(struct initramfs *ar, const char *out_path)
{
	char *tmp = NULL;
	int fd = -1, rc = -1;

	if (initramfs_finish(ar) < 0)
		return -1;
	if (!out_path || !*out_path)
		return initramfs_seterr(ar, "empty output path");
	if (asprintf(&tmp, "%s.XXXXXX", out_path) < 0)
		return initramfs_seterr(ar, "out of memory");
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		initramfs_seterr(ar, "%.200s: %s", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	if (fchmod(fd, 0644) < 0 || initramfs_write_all(fd, ar->buf, ar->len) < 0) {
		initramfs_seterr(ar, "%.200s: %s", tmp, strerror(errno));
		goto out;
	}
	rc = close(fd);
	fd = -1;
	if (rc < 0 || rename(tmp, out_path) < 0) {
		rc = initramfs_seterr(ar, "%.200s: %s", rc < 0 ? tmp : out_path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	return rc;
}
