/*
** test_initramfs: the cpio newc writer. Headers are checked byte by byte
** against hand-written strings, every archive is walked by an independent
** bounds-checked reader here, and a full archive (host busybox included) is
** listed and extracted by GNU cpio and busybox cpio.
*/
#include "vm/initramfs.h"
#include "unit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/test_initramfs.XXXXXX";

/* ---- an independent newc reader: bounds-checked cursor, no structs on bytes ---- */

struct cur {
	const unsigned char *p;
	size_t len, off;
};

struct ent {
	char name[4097];
	uint32_t ino, mode, uid, gid, nlink, mtime, size, namesize, check;
	size_t data_off;   /* offset of the data in the archive */
};

static int cur_hex8(struct cur *c, uint32_t *v)
{
	uint32_t x = 0;
	int i, d;

	if (c->len - c->off < 8)
		return -1;
	for (i = 0; i < 8; i++) {
		d = c->p[c->off + (size_t)i];
		if (d >= '0' && d <= '9')
			d -= '0';
		else if (d >= 'A' && d <= 'F')
			d = d - 'A' + 10;
		else
			return -1;   /* the writer promises upper-case hex */
		x = x << 4 | (uint32_t)d;
	}
	c->off += 8;
	*v = x;
	return 0;
}

/* Skip to a 4-byte boundary; the skipped bytes must be zero. */
static int cur_pad4(struct cur *c)
{
	while (c->off % 4) {
		if (c->off >= c->len || c->p[c->off] != 0)
			return -1;
		c->off++;
	}
	return 0;
}

/* Parse one entry at c->off and move past its padded data. */
static int parse_entry(struct cur *c, struct ent *e)
{
	uint32_t skip;

	if (c->len - c->off < 6 || memcmp(c->p + c->off, "070701", 6) != 0)
		return -1;
	c->off += 6;
	if (cur_hex8(c, &e->ino) || cur_hex8(c, &e->mode) || cur_hex8(c, &e->uid) ||
	    cur_hex8(c, &e->gid) || cur_hex8(c, &e->nlink) || cur_hex8(c, &e->mtime) ||
	    cur_hex8(c, &e->size) || cur_hex8(c, &skip) || cur_hex8(c, &skip) ||
	    cur_hex8(c, &skip) || cur_hex8(c, &skip) || cur_hex8(c, &e->namesize) ||
	    cur_hex8(c, &e->check))
		return -1;
	if (e->namesize < 2 || e->namesize > sizeof e->name || c->len - c->off < e->namesize ||
	    c->p[c->off + e->namesize - 1] != 0)
		return -1;
	memcpy(e->name, c->p + c->off, e->namesize);
	if (strlen(e->name) != e->namesize - 1)
		return -1;
	c->off += e->namesize;
	if (cur_pad4(c) < 0 || c->len - c->off < e->size)
		return -1;
	e->data_off = c->off;
	c->off += e->size;
	return cur_pad4(c);
}

/*
** Walk a finished archive: every entry well formed, inodes unique and
** nonzero, the trailer last, only zeros after it, total a multiple of 512.
** Returns the number of entries before the trailer, or -1.
*/
static int walk(const unsigned char *p, size_t len, struct ent *out, int max)
{
	struct cur c = { p, len, 0 };
	struct ent e;
	int n = 0, i;

	if (len % 512)
		return -1;
	for (;;) {
		if (parse_entry(&c, &e) < 0)
			return -1;
		if (strcmp(e.name, "TRAILER!!!") == 0)
			break;
		if (e.ino == 0 || n >= max)
			return -1;
		for (i = 0; i < n; i++)
			if (out[i].ino == e.ino)
				return -1;
		out[n++] = e;
	}
	for (; c.off < len; c.off++)
		if (p[c.off])
			return -1;
	return n;
}

/* ---- helpers ---- */

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rbe");
	char *buf = NULL;
	size_t cap = 0, n = 0, got;

	if (!f)
		return NULL;
	do {
		if (n == cap) {
			char *nb = realloc(buf, cap = cap ? cap * 2 : 65536);
			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got > 0);
	fclose(f);
	if (n == cap) {
		char *nb = realloc(buf, cap + 1);
		if (!nb) {
			free(buf);
			return NULL;
		}
		buf = nb;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

static const char *tpath(const char *name)
{
	static char buf[4][512];
	static int which;

	which = (which + 1) % 4;
	snprintf(buf[which], sizeof buf[which], "%s/%s", tmpdir, name);
	return buf[which];
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static int count_dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* ---- tests ---- */

static void test_header_bytes(void)
{
	static const char want[] =
		"070701" "00000001" "000081A4" "00000000" "00000000" "00000001" "00000000"
		"00000002" "00000000" "00000000" "00000000" "00000000" "00000002" "00000000"
		"a\0" "hi\0\0";
	static const char want_dir[] =
		"070701" "00000002" "000041C0" "00000000" "00000000" "00000002" "00000000"
		"00000000" "00000000" "00000000" "00000000" "00000000" "00000002" "00000000"
		"d\0";
	static const char want_lnk[] =
		"070701" "00000003" "0000A1FF" "00000000" "00000000" "00000001" "00000000"
		"00000001" "00000000" "00000000" "00000000" "00000000" "00000002" "00000000"
		"l\0" "a\0\0\0";
	static const char want_trl[] =   /* sizeof includes the name's NUL */
		"070701" "00000000" "00000000" "00000000" "00000000" "00000001" "00000000"
		"00000000" "00000000" "00000000" "00000000" "00000000" "0000000B" "00000000"
		"TRAILER!!!";
	struct initramfs ar;

	initramfs_init(&ar);
	is_int(ar.len, 0, "init: empty archive");
	is_int(initramfs_add_file(&ar, "a", 0644, "hi", 2), 0, "add_file a");
	is_int(ar.len, sizeof want - 1, "file entry is 116 bytes (110 + name 2 + data 2 + pad 2)");
	ok(ar.len >= 116 && memcmp(ar.buf, want, 116) == 0,
	   "file header, name, data and padding match the hand-computed bytes");
	is_int(initramfs_add_dir(&ar, "d", 0700), 0, "add_dir d");
	ok(ar.len == 116 + 112 && memcmp(ar.buf + 116, want_dir, 112) == 0,
	   "dir header: ino 2, mode 041700, nlink 2, no data");
	is_int(initramfs_add_symlink(&ar, "l", "a"), 0, "add_symlink l -> a");
	ok(ar.len == 228 + 116 && memcmp(ar.buf + 228, want_lnk, 116) == 0,
	   "symlink header: mode 0120777, size 1, target without NUL, padded");
	is_int(initramfs_finish(&ar), 0, "finish");
	ok(ar.len == 512 && memcmp(ar.buf + 344, want_trl, sizeof want_trl) == 0,
	   "trailer: ino 0, mode 0, nlink 1, namesize 11, archive padded to 512");
	ok(ar.len == 512 && ar.buf[511] == 0 && ar.buf[344 + sizeof want_trl] == 0,
	   "zeros after the trailer");
	initramfs_free(&ar);
	ok(ar.buf == NULL && ar.len == 0 && ar.nnames == 0 && ar.next_ino == 1,
	   "free leaves the struct as after init");
	initramfs_free(NULL);
}

static void test_padding(void)
{
	static const char data[] = "ABCDEFGH";
	struct initramfs ar;
	char name[16], what[96];
	size_t n, k, want;
	int good;

	for (n = 0; n <= 8; n++) {   /* data lengths 0..8 after a 2-byte name */
		initramfs_init(&ar);
		good = initramfs_add_file(&ar, "f", 0644, data, n) == 0;
		want = 112 + ((n + 3) & ~(size_t)3);
		good = good && ar.len == want && memcmp(ar.buf + 112, data, n) == 0;
		for (k = 112 + n; good && k < want; k++)
			good = ar.buf[k] == 0;
		snprintf(what, sizeof what, "data length %zu: %zu bytes, zero padding", n, want);
		ok(good, what);
		initramfs_free(&ar);
	}
	for (n = 1; n <= 8; n++) {   /* name lengths 1..8, no data */
		initramfs_init(&ar);
		memset(name, 'x', n);
		name[n] = '\0';
		good = initramfs_add_dir(&ar, name, 0755) == 0;
		want = (110 + n + 1 + 3) & ~(size_t)3;
		good = good && ar.len == want && memcmp(ar.buf + 110, name, n) == 0;
		for (k = 110 + n; good && k < want; k++)
			good = ar.buf[k] == 0;   /* the NUL and the padding */
		snprintf(what, sizeof what, "name length %zu: header block %zu bytes, NUL + zero pad",
		         n, want);
		ok(good, what);
		initramfs_free(&ar);
	}
}

static void test_parents_and_walk(void)
{
	struct initramfs ar;
	struct ent e[16];
	int n;

	initramfs_init(&ar);
	ar.mtime = 0x5A5A5A5A;
	initramfs_add_dir(&ar, "etc", 0750);
	initramfs_add_file(&ar, "etc/x/y/z.conf", 0600, "zz", 2);
	is_int(initramfs_finish(&ar), 0, "archive with auto parents finishes");
	n = walk(ar.buf, ar.len, e, 16);
	is_int(n, 4, "reader walks 4 entries + trailer, padding and zero tail valid");
	if (n == 4) {
		ok(strcmp(e[0].name, "etc") == 0 && e[0].mode == 040750,
		   "explicit dir keeps its mode");
		ok(strcmp(e[1].name, "etc/x") == 0 && e[1].mode == 040755 &&
		   strcmp(e[2].name, "etc/x/y") == 0 && e[2].mode == 040755,
		   "missing parents added in order, mode 0755");
		ok(strcmp(e[3].name, "etc/x/y/z.conf") == 0 && e[3].size == 2 &&
		   memcmp(ar.buf + e[3].data_off, "zz", 2) == 0, "file after its parents");
		ok(e[0].mtime == 0x5A5A5A5A && e[3].mtime == 0x5A5A5A5A && e[3].uid == 0 &&
		   e[3].gid == 0 && e[3].check == 0, "mtime stamped, uid/gid/check 0");
	}
	initramfs_free(&ar);
}

/* Run one failing call on a fresh archive; the call must fail with a message. */
#define FAILS(call, substr, what) do { \
	struct initramfs ar_; \
	int rc_; \
	initramfs_init(&ar_); \
	{ struct initramfs *A = &ar_; rc_ = (call); } \
	ok(rc_ == -1 && ar_.failed && strstr(ar_.err, (substr)) != NULL, (what)); \
	if (rc_ != -1 || !strstr(ar_.err, (substr))) \
		printf("#   rc %d, err '%s'\n", rc_, ar_.err); \
	initramfs_free(&ar_); \
} while (0)

static void test_path_errors(void)
{
	char big[4200];
	size_t i;

	FAILS(initramfs_add_dir(A, "", 0755), "empty path", "empty path refused");
	FAILS(initramfs_add_dir(A, NULL, 0755), "empty path", "NULL path refused");
	FAILS(initramfs_add_dir(A, "/bin", 0755), "relative", "leading '/' refused");
	FAILS(initramfs_add_dir(A, "a//b", 0755), "empty path component", "'//' refused");
	FAILS(initramfs_add_dir(A, "a/", 0755), "empty path component", "trailing '/' refused");
	FAILS(initramfs_add_dir(A, "./a", 0755), "'.'", "'.' component refused");
	FAILS(initramfs_add_file(A, "a/../b", 0644, "", 0), "'..'", "'..' component refused");
	FAILS(initramfs_add_dir(A, ".", 0755), "'.'", "bare '.' refused");
	memset(big, 'c', 256);
	big[256] = '\0';
	FAILS(initramfs_add_dir(A, big, 0755), "component of 256", "256-byte component refused");
	big[255] = '\0';
	{
		struct initramfs ar;
		initramfs_init(&ar);
		is_int(initramfs_add_dir(&ar, big, 0755), 0, "255-byte component accepted");
		initramfs_free(&ar);
	}
	/* 16 components of 255 bytes joined by '/': exactly 4095 bytes */
	for (i = 0; i < 4096; i++)
		big[i] = (i % 256 == 255) ? '/' : 'p';
	big[4095] = '\0';
	{
		struct initramfs ar;
		struct ent e[20];
		initramfs_init(&ar);
		ok(initramfs_add_file(&ar, big, 0644, "", 0) == 0 && initramfs_finish(&ar) == 0 &&
		   walk(ar.buf, ar.len, e, 20) == 16 && e[15].namesize == 4096,
		   "4095-byte path accepted (namesize 4096 = PATH_MAX), with 15 parents");
		initramfs_free(&ar);
	}
	big[4095] = 'p';
	big[4096] = '\0';
	FAILS(initramfs_add_file(A, big, 0644, "", 0), "path of 4096", "4096-byte path refused");
}

static void test_entry_errors(void)
{
	static char dummy[8];
	char target[4097];

	FAILS(initramfs_add_file(A, "f", 0100644, "x", 1), "permission bits",
	      "type bits in mode refused");
	FAILS(initramfs_add_dir(A, "d", 010000), "permission bits", "mode above 07777 refused");
	FAILS((initramfs_add_file(A, "f", 0644, "x", 1), initramfs_add_file(A, "f", 0644, "y", 1)),
	      "already in the archive", "duplicate path refused");
	FAILS((initramfs_add_file(A, "bin/x", 0755, "x", 1), initramfs_add_dir(A, "bin", 0700)),
	      "bin: already", "dir after its auto-added self refused");
	FAILS((initramfs_add_file(A, "f", 0644, "x", 1), initramfs_add_file(A, "f/g", 0644, "", 0)),
	      "f: parent is not a directory", "entry below a file refused");
	FAILS((initramfs_add_symlink(A, "s", "/tmp"), initramfs_add_dir(A, "s/d", 0755)),
	      "parent is not a directory", "entry below a symlink refused");
	FAILS(initramfs_add_file(A, "f", 0644, NULL, 3), "no data", "NULL data with len 3 refused");
	FAILS(initramfs_add_symlink(A, "s", ""), "empty symlink target", "empty target refused");
	memset(target, 't', 4096);
	target[4096] = '\0';
	FAILS(initramfs_add_symlink(A, "s", target), "target of 4096", "4096-byte target refused");
	target[4095] = '\0';
	{
		struct initramfs ar;
		initramfs_init(&ar);
		is_int(initramfs_add_symlink(&ar, "s", target), 0, "4095-byte target accepted");
		initramfs_free(&ar);
	}
	if (sizeof(size_t) > 4) {
		struct initramfs ar;
		initramfs_init(&ar);
		ok(initramfs_add_file(&ar, "big", 0644, dummy, (size_t)0xFFFFFFFFu + 1) == -1 &&
		   strstr(ar.err, "4 GiB") && ar.len == 0,
		   "4 GiB of data refused before anything is copied");
		initramfs_free(&ar);
	}
}

static void test_sticky_and_limits(void)
{
	struct initramfs ar;
	char err[sizeof ar.err];
	size_t len;

	initramfs_init(&ar);
	initramfs_add_file(&ar, "ok", 0644, "1", 1);
	len = ar.len;
	initramfs_add_dir(&ar, "/abs", 0755);
	memcpy(err, ar.err, sizeof err);
	ok(initramfs_add_file(&ar, "fine", 0644, "2", 2) == -1 && ar.len == len &&
	   strcmp(err, ar.err) == 0, "after an error a valid add fails, first message kept");
	ok(initramfs_finish(&ar) == -1 && initramfs_write(&ar, tpath("failed.img")) == -1 &&
	   access(tpath("failed.img"), F_OK) == -1, "failed archive: finish and write refuse, no file");
	initramfs_free(&ar);

	initramfs_init(&ar);
	initramfs_add_file(&ar, "a", 0644, "1", 1);
	initramfs_finish(&ar);
	len = ar.len;
	ok(initramfs_finish(&ar) == 0 && ar.len == len, "finish twice: one trailer");
	ok(initramfs_add_file(&ar, "b", 0644, "", 0) == -1 && strstr(ar.err, "finished"),
	   "add after finish refused");
	initramfs_free(&ar);

	initramfs_init(&ar);
	ar.next_ino = UINT32_MAX;
	ok(initramfs_add_file(&ar, "last", 0644, "", 0) == 0 && memcmp(ar.buf + 6, "FFFFFFFF", 8) == 0,
	   "inode 0xFFFFFFFF is used");
	ok(initramfs_add_file(&ar, "next", 0644, "", 0) == -1 && strstr(ar.err, "inode"),
	   "then inode numbers run out (no wrap to 0)");
	initramfs_free(&ar);
}

static void test_host_errors(void)
{
	int fd;

	FAILS(initramfs_add_file_from(A, "x", 0644, "/nonexistent/busybox"),
	      "/nonexistent/busybox: No such file", "missing host file refused, named");
	FAILS(initramfs_add_file_from(A, "x", 0644, NULL), "empty host path",
	      "NULL host path refused");
	FAILS(initramfs_add_file_from(A, "x", 0644, "/"), "not a regular file",
	      "host directory refused");
	ok(mkfifo(tpath("fifo"), 0600) == 0, "mkfifo for the FIFO case");
	FAILS(initramfs_add_file_from(A, "x", 0644, tpath("fifo")), "not a regular file",
	      "host FIFO refused without blocking");
	unlink(tpath("fifo"));
	fd = open(tpath("sparse"), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ok(fd >= 0 && ftruncate(fd, (off_t)5 << 30) == 0, "5 GiB sparse host file made");
	if (fd >= 0)
		close(fd);
	FAILS(initramfs_add_file_from(A, "x", 0644, tpath("sparse")), "at most 4 GiB",
	      "host file above 4 GiB refused before reading");
	unlink(tpath("sparse"));
}

static const char *host_binary(void)
{
	return access("/bin/busybox", R_OK) == 0 ? "/bin/busybox" : "/bin/sh";
}

/* The archive the real cpio tools read. */
static int build_full(struct initramfs *ar)
{
	ar->mtime = 1700000000;
	initramfs_add_dir(ar, "bin", 0755);
	initramfs_add_file_from(ar, "bin/busybox", 0755, host_binary());
	initramfs_add_symlink(ar, "bin/sh", "busybox");
	initramfs_add_dir(ar, "secret", 0700);
	initramfs_add_file(ar, "secret/key", 0640, "k3y\n", 4);
	initramfs_add_file(ar, "empty", 0600, NULL, 0);
	initramfs_add_file(ar, "lib/modules/6.1.0/kernel/virtio.ko", 0644, "\177ELF", 4);
	initramfs_add_symlink(ar, "init", "/bin/busybox");
	return initramfs_write(ar, tpath("initrd"));
}

static const char full_list[] =
	"bin\nbin/busybox\nbin/sh\nsecret\nsecret/key\nempty\nlib\nlib/modules\n"
	"lib/modules/6.1.0\nlib/modules/6.1.0/kernel\nlib/modules/6.1.0/kernel/virtio.ko\ninit\n";

static void test_list_with_tools(void)
{
	char cmd[1024], *out, *err;
	size_t len, elen;

	snprintf(cmd, sizeof cmd, "cpio -it --quiet < '%s' > '%s' 2> '%s'", tpath("initrd"),
	         tpath("list"), tpath("list.err"));
	is_int(system(cmd), 0, "GNU cpio -it exits 0");
	out = slurp(tpath("list"), &len);
	err = slurp(tpath("list.err"), &elen);
	is_str(out, full_list, "cpio -it lists exactly the entries, in order");
	ok(err && elen == 0, "cpio -it prints no warning");
	if (err && elen)
		printf("#   %s", err);
	free(out);
	free(err);
	snprintf(cmd, sizeof cmd, "busybox cpio -t < '%s' > '%s' 2> '%s'", tpath("initrd"),
	         tpath("list"), tpath("list.err"));
	is_int(system(cmd), 0, "busybox cpio -t exits 0");
	out = slurp(tpath("list"), &len);
	is_str(out, full_list, "busybox cpio -t lists the same entries");
	free(out);
	unlink(tpath("list"));
	unlink(tpath("list.err"));
}

static int mode_is(const char *rel, mode_t want)
{
	struct stat st;
	char p[600];

	snprintf(p, sizeof p, "%s/x/%s", tmpdir, rel);
	return lstat(p, &st) == 0 && (st.st_mode & 07777) == want;
}

static void test_extract_with_cpio(void)
{
	char cmd[1024], p[600], link[64], *host, *got;
	size_t hlen, glen;
	struct stat st;
	ssize_t n;

	snprintf(cmd, sizeof cmd, "mkdir '%s' && cd '%s' && cpio -idm --quiet < '%s' 2> '%s'",
	         tpath("x"), tpath("x"), tpath("initrd"), tpath("x.err"));
	is_int(system(cmd), 0, "cpio -idm extracts the archive");
	got = slurp(tpath("x.err"), &glen);
	ok(got && glen == 0, "cpio -idm prints no warning");
	if (got && glen)
		printf("#   %s", got);
	free(got);
	unlink(tpath("x.err"));
	host = slurp(host_binary(), &hlen);
	snprintf(p, sizeof p, "%s/x/bin/busybox", tmpdir);
	got = slurp(p, &glen);
	ok(host && got && hlen == glen && hlen > 0 && memcmp(host, got, hlen) == 0,
	   "host binary extracted byte for byte");
	free(host);
	free(got);
	ok(mode_is("bin/busybox", 0755), "bin/busybox mode 0755");
	ok(mode_is("secret", 0700), "secret/ mode 0700");
	ok(mode_is("secret/key", 0640), "secret/key mode 0640");
	ok(mode_is("empty", 0600), "empty mode 0600");
	ok(mode_is("lib/modules/6.1.0", 0755), "auto parent mode 0755");
	snprintf(p, sizeof p, "%s/x/secret/key", tmpdir);
	got = slurp(p, &glen);
	ok(got && glen == 4 && memcmp(got, "k3y\n", 4) == 0, "secret/key contents");
	free(got);
	ok(stat(p, &st) == 0 && st.st_mtime == 1700000000, "mtime restored by -m");
	snprintf(p, sizeof p, "%s/x/empty", tmpdir);
	ok(stat(p, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0, "empty file is empty");
	snprintf(p, sizeof p, "%s/x/bin/sh", tmpdir);
	n = readlink(p, link, sizeof link - 1);
	ok(n == 7 && memcmp(link, "busybox", 7) == 0, "bin/sh -> busybox");
	snprintf(p, sizeof p, "%s/x/init", tmpdir);
	n = readlink(p, link, sizeof link - 1);
	ok(n == 12 && memcmp(link, "/bin/busybox", 12) == 0, "init -> /bin/busybox (absolute)");
	snprintf(p, sizeof p, "%s/x/lib/modules/6.1.0/kernel/virtio.ko", tmpdir);
	got = slurp(p, &glen);
	ok(got && glen == 4 && memcmp(got, "\177ELF", 4) == 0, "file below auto parents");
	free(got);
}

static void test_write(void)
{
	struct initramfs a, b;
	struct stat st;
	char *got, old[8];
	size_t glen;
	mode_t mask;
	int fd;

	initramfs_init(&a);
	initramfs_add_file(&a, "v", 0644, "one", 3);
	mask = umask(077);
	is_int(initramfs_write(&a, tpath("out.img")), 0, "write finishes and writes");
	umask(mask);
	ok(stat(tpath("out.img"), &st) == 0 && (st.st_mode & 0777) == 0644 &&
	   (size_t)st.st_size == a.len && a.len % 512 == 0,
	   "output: mode 0644 despite umask 077, size = archive, multiple of 512");
	got = slurp(tpath("out.img"), &glen);
	ok(got && glen == a.len && memcmp(got, a.buf, glen) == 0, "output bytes = buffer");
	free(got);
	fd = open(tpath("out.img"), O_RDONLY | O_CLOEXEC);
	initramfs_init(&b);
	initramfs_add_file(&b, "v", 0644, "two", 3);
	is_int(initramfs_write(&b, tpath("out.img")), 0, "second write replaces the file");
	ok(fd >= 0 && pread(fd, old, 3, 112) == 3 && memcmp(old, "one", 3) == 0,
	   "a reader holding the old file still sees the old archive (rename, not rewrite)");
	if (fd >= 0)
		close(fd);
	got = slurp(tpath("out.img"), &glen);
	ok(got && glen > 115 && memcmp(got + 112, "two", 3) == 0, "path now has the new archive");
	free(got);
	ok(initramfs_write(&b, "/nonexistent-dir/out.img") == -1 &&
	   strstr(b.err, "/nonexistent-dir/out.img") && !b.failed,
	   "write into a missing dir fails, named, archive still usable");
	is_int(initramfs_write(&b, tpath("again.img")), 0, "and can be written elsewhere");
	ok(mkdir(tpath("adir"), 0755) == 0 && initramfs_write(&b, tpath("adir")) == -1 &&
	   strstr(b.err, "adir"), "rename onto a directory fails, named");
	rmdir(tpath("adir"));
	is_int(count_dir_entries(tmpdir), 4, "no temp files left (out.img, again.img, initrd, x)");
	unlink(tpath("out.img"));
	unlink(tpath("again.img"));
	initramfs_free(&a);
	initramfs_free(&b);
}

static void test_full(void)
{
	struct initramfs ar;
	struct ent e[16];
	char *host;
	size_t hlen;
	int n;

	initramfs_init(&ar);
	is_int(build_full(&ar), 0, "full archive (dirs, files, symlinks, host binary) written");
	if (ar.err[0])
		printf("#   %s\n", ar.err);
	n = walk(ar.buf, ar.len, e, 16);
	is_int(n, 12, "reader walks 12 entries and the trailer");
	host = slurp(host_binary(), &hlen);
	ok(n == 12 && host && e[1].size == hlen && e[1].mode == 0100755 &&
	   memcmp(ar.buf + e[1].data_off, host, hlen) == 0,
	   "host binary stored whole with its size in the header");
	free(host);
	initramfs_free(&ar);
	if (access("/usr/bin/cpio", X_OK) != 0 && access("/bin/cpio", X_OK) != 0)
		printf("# cpio not installed: apt-get install -y cpio\n");
	test_list_with_tools();
	test_extract_with_cpio();
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_header_bytes();
	test_padding();
	test_parents_and_walk();
	test_path_errors();
	test_entry_errors();
	test_sticky_and_limits();
	test_host_errors();
	test_full();
	test_write();
	nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	ok(access(tmpdir, F_OK) == -1 && errno == ENOENT, "temp dir removed");
	return unit_done();
}
