/*
** test_vmprep: the byte-level building blocks of `vm prepare`, without
** network: the xz stream search and decoder (streams made here with
** liblzma's encoder, wrapped in junk, truncated, corrupted), the ELF
** static-link check (host busybox and /bin/sh, plus fabricated headers),
** the modules.dep lookup and the nftw removal (symlinks never followed).
*/
#include "vmprep.h"
#include "unit.h"

#include <errno.h>
#include <lzma.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/test_vmprep.XXXXXX";

/* ---- xz ---- */

#define PLAIN_LEN 300000u

static unsigned char plain[PLAIN_LEN];

/* Compressible but not trivial: a mix of text and a counter. */
static void make_plain(void)
{
	uint32_t x = 12345;
	size_t i;

	for (i = 0; i < PLAIN_LEN; i++) {
		x = x * 1103515245u + 12345u;
		plain[i] = (i / 64) % 3 ? (unsigned char)("vmlinux "[i % 8]) : (unsigned char)(x >> 24);
	}
}

/* head junk + xz(plain) + tail junk in one malloc'd buffer; *xzlen is the stream's size. */
static unsigned char *wrap(const void *head, size_t hl, const void *tail, size_t tl,
                           size_t *len, size_t *xzlen)
{
	size_t cap = PLAIN_LEN + PLAIN_LEN / 2 + 4096, pos = 0;
	unsigned char *xz = malloc(cap), *all;

	if (!xz || lzma_easy_buffer_encode(6, LZMA_CHECK_CRC32, NULL, plain, PLAIN_LEN, xz, &pos,
	                                   cap) != LZMA_OK) {
		free(xz);
		return NULL;
	}
	all = malloc(hl + pos + tl);
	if (all) {
		memcpy(all, head, hl);
		memcpy(all + hl, xz, pos);
		memcpy(all + hl + pos, tail, tl);
		*len = hl + pos + tl;
		*xzlen = pos;
	}
	free(xz);
	return all;
}

static void check_decodes(const unsigned char *buf, size_t len, size_t max, const char *what)
{
	unsigned char *out = NULL;
	size_t outlen = 0;
	char err[256] = "";
	int rc = vmprep_unxz(buf, len, max, &out, &outlen, err, sizeof err);

	if (!ok(rc == 0, what))
		printf("#   err: %s\n", err);
	is_int(outlen, PLAIN_LEN, "decoded length");
	ok(out && outlen == PLAIN_LEN && memcmp(out, plain, PLAIN_LEN) == 0, "decoded bytes equal");
	free(out);
}

static void check_fails(const unsigned char *buf, size_t len, size_t max, const char *want,
                        const char *what)
{
	unsigned char *out = (unsigned char *)"x";
	size_t outlen = 7;
	char err[256] = "", label[64];

	is_int(vmprep_unxz(buf, len, max, &out, &outlen, err, sizeof err), -1, what);
	ok(out == NULL && outlen == 0, "no output on failure");
	snprintf(label, sizeof label, "the error says '%s'", want);
	if (!ok(strstr(err, want) != NULL, label))
		printf("#   err: %s\n", err);
}

static void test_unxz(void)
{
	static const unsigned char head[] = "MZ bzImage setup \xFD" "7zX junk \xFD" "7zXZ";
	static const unsigned char fake[] = "junk \xFD" "7zXZ\0 not a stream at all, then";
	static const unsigned char tail[] = "\0\0\0\0trailing padding and a signature";
	unsigned char *b;
	size_t len, xl;

	make_plain();
	b = wrap("", 0, "", 0, &len, &xl);
	ok(b != NULL, "test stream encoded");
	if (!b)
		return;
	check_decodes(b, len, 1u << 20, "bare stream");
	check_fails(b, len, PLAIN_LEN - 1, "more than", "output above max_out refused");
	check_decodes(b, len, PLAIN_LEN, "output of exactly max_out accepted");
	free(b);
	b = wrap(head, sizeof head - 1, tail, sizeof tail, &len, &xl);
	if (!b)
		return;
	check_decodes(b, len, 1u << 20, "junk before and after the stream");
	check_fails(b, sizeof head - 1 + xl / 2, 1u << 20, "truncated", "truncated stream fails");
	check_fails(b, sizeof head - 1 + 6, 1u << 20, "xz", "magic alone fails");
	b[sizeof head - 1 + xl / 2] ^= 0x55;
	check_fails(b, len, 1u << 20, "xz:", "corrupt byte in the middle fails");
	free(b);
	b = wrap(fake, sizeof fake - 1, "", 0, &len, &xl);
	if (b)
		check_decodes(b, len, 1u << 20, "a false magic before the real stream is skipped");
	free(b);
	check_fails(plain, PLAIN_LEN, 1u << 20, "no xz stream", "no magic: clean failure");
	check_fails(plain, 0, 1u << 20, "no xz stream", "empty input: clean failure");
}

/* ---- ELF ---- */

static void put_bytes(const char *name, const unsigned char *b, size_t n, char *path)
{
	FILE *f;

	snprintf(path, PATH_MAX, "%s/%s", tmpdir, name);
	f = fopen(path, "wb");
	if (f) {
		fwrite(b, 1, n, f);
		fclose(f);
	}
}

static void le(unsigned char *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void be(unsigned char *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[n - 1 - i] = (unsigned char)(v >> (8 * i));
}

/* A 64-bit little-endian ELF: header + phnum program headers of the given types. */
static size_t elf64(unsigned char *b, const uint32_t *types, int phnum, uint64_t phoff)
{
	memset(b, 0, 512);
	memcpy(b, "\177ELF\2\1\1", 7);
	le(b + 16, 2, 2);         /* ET_EXEC */
	le(b + 18, 62, 2);        /* x86-64 */
	le(b + 32, phoff, 8);
	le(b + 54, 56, 2);
	le(b + 56, (uint64_t)phnum, 2);
	for (int i = 0; i < phnum && phoff + 56u * (unsigned)(i + 1) <= 512; i++)
		le(b + phoff + 56u * (unsigned)i, types[i], 4);
	return 64 + 56u * (unsigned)phnum;
}

static void test_elf(void)
{
	unsigned char b[512];
	char path[PATH_MAX], err[256];
	static const unsigned char script[] = "#!/bin/sh\necho a script of more than 64 bytes, "
	                                      "so only the magic can reject it\n";
	const uint32_t load_only[] = { 6, 1, 1 }, interp[] = { 6, 3, 1 };
	size_t n;

	is_int(vmprep_elf_static("/bin/busybox", err, sizeof err), 1, "/bin/busybox is static");
	is_int(vmprep_elf_static("/bin/sh", err, sizeof err), 0, "/bin/sh is dynamic");
	n = elf64(b, load_only, 3, 64);
	put_bytes("static64", b, n, path);
	is_int(vmprep_elf_static(path, err, sizeof err), 1, "fabricated ELF64 without PT_INTERP");
	n = elf64(b, interp, 3, 64);
	put_bytes("interp64", b, n, path);
	is_int(vmprep_elf_static(path, err, sizeof err), 0, "fabricated ELF64 with PT_INTERP");
	put_bytes("short", b, 100, path);
	is_int(vmprep_elf_static(path, err, sizeof err), -1, "program headers past the end: error");
	elf64(b, interp, 3, 64);
	le(b + 32, UINT64_MAX - 8, 8);
	put_bytes("wildoff", b, n, path);
	is_int(vmprep_elf_static(path, err, sizeof err), -1, "huge e_phoff: error, no overflow");
	elf64(b, interp, 3, 64);
	le(b + 54, 32, 2);
	put_bytes("badent", b, n, path);
	is_int(vmprep_elf_static(path, err, sizeof err), -1, "wrong e_phentsize: error");
	/* A 32-bit big-endian ELF with one PT_INTERP at offset 52. */
	memset(b, 0, sizeof b);
	memcpy(b, "\177ELF\1\2\1", 7);
	be(b + 28, 52, 4);
	be(b + 42, 32, 2);
	be(b + 44, 1, 2);
	be(b + 52, 3, 4);
	put_bytes("be32", b, 52 + 32, path);
	is_int(vmprep_elf_static(path, err, sizeof err), 0, "ELF32 big-endian with PT_INTERP");
	be(b + 52, 1, 4);
	put_bytes("be32s", b, 52 + 32, path);
	is_int(vmprep_elf_static(path, err, sizeof err), 1, "ELF32 big-endian without PT_INTERP");
	put_bytes("text", script, sizeof script - 1, path);
	is_int(vmprep_elf_static(path, err, sizeof err), -1, "a script is not ELF");
	ok(strstr(err, "not an ELF") != NULL, "error says not ELF");
	is_int(vmprep_elf_static("/nonexistent/busybox", err, sizeof err), -1, "missing file: error");
}

/* ---- modules.dep ---- */

static void test_moddep(void)
{
	static const char dep[] =
		"kernel/drivers/virtio/virtio_ring.ko:\n"
		"kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko\n"
		"kernel/fs/9p/9p.ko.xz: kernel/net/9p/9pnet.ko.xz kernel/fs/fscache/fscache.ko.xz\n"
		"kernel/arch/x86/events/amd/amd-uncore.ko:\n"
		"kernel/fs/overlayfs/overlay.ko";   /* no final newline, no colon: modules.builtin style */
	char *text = malloc(sizeof dep - 1);   /* exactly the bytes: ASan catches an over-read */
	char path[128], deps[256];
	size_t len = sizeof dep - 1;

	if (!text)
		return;
	memcpy(text, dep, len);
	is_int(vmprep_moddep_find(text, len, "virtio", path, sizeof path, deps, sizeof deps), 1,
	       "virtio found");
	is_str(path, "kernel/drivers/virtio/virtio.ko", "its path");
	is_str(deps, "kernel/drivers/virtio/virtio_ring.ko", "its dependency");
	is_int(vmprep_moddep_find(text, len, "virtio_ring", path, sizeof path, deps, sizeof deps), 1,
	       "virtio_ring found");
	is_str(deps, "", "no dependencies");
	is_int(vmprep_moddep_find(text, len, "9p", path, sizeof path, deps, sizeof deps), 1,
	       "compressed module found");
	is_str(path, "kernel/fs/9p/9p.ko.xz", "path keeps .ko.xz");
	is_str(deps, "kernel/net/9p/9pnet.ko.xz kernel/fs/fscache/fscache.ko.xz", "two deps");
	is_int(vmprep_moddep_find(text, len, "9pnet", path, sizeof path, NULL, 0), 0,
	       "a name seen only as a dependency is not a key");
	is_int(vmprep_moddep_find(text, len, "amd_uncore", path, sizeof path, NULL, 0), 1,
	       "'_' matches '-'");
	is_int(vmprep_moddep_find(text, len, "virt", path, sizeof path, NULL, 0), 0,
	       "prefix of a name does not match");
	is_int(vmprep_moddep_find(text, len, "overlay", path, sizeof path, deps, sizeof deps), 1,
	       "last line without newline or colon");
	is_str(path, "kernel/fs/overlayfs/overlay.ko", "builtin-style path");
	is_int(vmprep_moddep_find(text, len - 3, "overlay", path, sizeof path, NULL, 0), 0,
	       "len is respected (cut line no longer ends in .ko)");
	is_int(vmprep_moddep_find(text, len, "virtio", path, 10, NULL, 0), -1,
	       "path buffer too small: -1");
	is_int(vmprep_moddep_find(text, len, "9p", path, sizeof path, deps, 8), -1,
	       "deps buffer too small: -1");
	is_int(vmprep_moddep_find(text, 0, "virtio", path, sizeof path, NULL, 0), 0, "empty text");
	free(text);
}

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

int main(void)
{
	char err[256];

	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_unxz();
	test_elf();
	test_moddep();
	test_remove();
	is_int(vmprep_remove_tree(tmpdir, err, sizeof err), 0, "temp folder removed");
	return unit_done();
}
