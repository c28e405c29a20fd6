/*
** test_kimage: the byte-level building blocks of `vm prepare`, without
** files or network: the xz stream search and the single-stream decoder
** (streams made here with liblzma's encoder, wrapped in junk, truncated,
** corrupted), the ELF static-link check (host busybox and /bin/sh, plus
** fabricated headers), the modules.dep lookup and the module name match.
** Inputs are passed in buffers of exactly their size, so an over-read is
** an ASan error.
*/
#include "vm/kimage.h"
#include "unit.h"

#include <lzma.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	int rc = kimage_unxz(buf, len, max, &out, &outlen, err, sizeof err);

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

	is_int(kimage_unxz(buf, len, max, &out, &outlen, err, sizeof err), -1, what);
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

/* The stream alone must start at byte 0; what follows it is left alone. */
static void test_xz_decode(void)
{
	static const unsigned char tail[] = "trailing bytes after the stream";
	unsigned char *b, *out = (unsigned char *)"x";
	size_t len, xl, outlen = 7;
	char err[256] = "";

	b = wrap("", 0, tail, sizeof tail, &len, &xl);
	if (!ok(b != NULL, "test stream encoded"))
		return;
	is_int(kimage_xz_decode(b, len, PLAIN_LEN, &out, &outlen, err, sizeof err), 0,
	       "a stream at byte 0 with bytes after it decodes");
	ok(out && outlen == PLAIN_LEN && memcmp(out, plain, PLAIN_LEN) == 0, "decoded bytes equal");
	free(out);
	out = (unsigned char *)"x";
	is_int(kimage_xz_decode(b, len, PLAIN_LEN - 1, &out, &outlen, err, sizeof err), -1,
	       "output above max_out refused");
	ok(out == NULL && outlen == 0, "no output on failure");
	ok(strstr(err, "more than") != NULL, "the error says 'more than'");
	is_int(kimage_xz_decode(b, xl - 1, PLAIN_LEN, &out, &outlen, err, sizeof err), -1,
	       "stream cut by one byte fails");
	ok(strstr(err, "truncated") != NULL, "the error says 'truncated'");
	free(b);
	b = wrap("J", 1, "", 0, &len, &xl);
	if (!b)
		return;
	out = (unsigned char *)"x";
	is_int(kimage_xz_decode(b, len, PLAIN_LEN, &out, &outlen, err, sizeof err), -1,
	       "one byte before the magic: refused, no search");
	ok(out == NULL && outlen == 0, "no output without the magic");
	ok(strstr(err, "magic") != NULL, "the error says 'magic'");
	is_int(kimage_xz_decode(b + 1, 5, PLAIN_LEN, &out, &outlen, err, sizeof err), -1,
	       "five bytes (a cut magic): refused");
	free(b);
}

/* ---- ELF ---- */

/* kimage_elf_static over an exact-size copy of b. */
static int elf_check(const unsigned char *b, size_t n, char *err, size_t errlen)
{
	unsigned char *copy = malloc(n ? n : 1);
	int rc;

	if (!copy)
		return -2;
	memcpy(copy, b, n);
	rc = kimage_elf_static(copy, n, "test", err, errlen);
	free(copy);
	return rc;
}

/* A real file's bytes through kimage_elf_static; -2 if unreadable. */
static int elf_file(const char *path, char *err, size_t errlen)
{
	unsigned char *buf = NULL, *nb;
	size_t len = 0, n;
	FILE *f = fopen(path, "rb");
	int rc = -2;

	if (!f)
		return -2;
	do {
		nb = realloc(buf, len + 65536);
		if (!nb)
			goto done;
		buf = nb;
		n = fread(buf + len, 1, 65536, f);
		len += n;
	} while (n == 65536);
	if (!ferror(f))
		rc = kimage_elf_static(buf, len, path, err, errlen);
done:
	fclose(f);
	free(buf);
	return rc;
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
	char err[256];
	static const unsigned char script[] = "#!/bin/sh\necho a script of more than 64 bytes, "
	                                      "so only the magic can reject it\n";
	const uint32_t load_only[] = { 6, 1, 1 }, interp[] = { 6, 3, 1 };
	size_t n;

	is_int(elf_file("/bin/busybox", err, sizeof err), 1, "/bin/busybox is static");
	is_int(elf_file("/bin/sh", err, sizeof err), 0, "/bin/sh is dynamic");
	n = elf64(b, load_only, 3, 64);
	is_int(elf_check(b, n, err, sizeof err), 1, "fabricated ELF64 without PT_INTERP");
	n = elf64(b, interp, 3, 64);
	is_int(elf_check(b, n, err, sizeof err), 0, "fabricated ELF64 with PT_INTERP");
	is_int(elf_check(b, 100, err, sizeof err), -1, "program headers past the end: error");
	ok(strstr(err, "test: malformed") != NULL, "the error names the image and says malformed");
	elf64(b, interp, 3, 64);
	le(b + 32, UINT64_MAX - 8, 8);
	is_int(elf_check(b, n, err, sizeof err), -1, "huge e_phoff: error, no overflow");
	elf64(b, interp, 3, 64);
	le(b + 54, 32, 2);
	is_int(elf_check(b, n, err, sizeof err), -1, "wrong e_phentsize: error");
	/* A 32-bit big-endian ELF with one PT_INTERP at offset 52. */
	memset(b, 0, sizeof b);
	memcpy(b, "\177ELF\1\2\1", 7);
	be(b + 28, 52, 4);
	be(b + 42, 32, 2);
	be(b + 44, 1, 2);
	be(b + 52, 3, 4);
	is_int(elf_check(b, 52 + 32, err, sizeof err), 0, "ELF32 big-endian with PT_INTERP");
	be(b + 52, 1, 4);
	is_int(elf_check(b, 52 + 32, err, sizeof err), 1, "ELF32 big-endian without PT_INTERP");
	is_int(elf_check(script, sizeof script - 1, err, sizeof err), -1, "a script is not ELF");
	ok(strstr(err, "not an ELF") != NULL, "error says not ELF");
	is_int(elf_check(b, 63, err, sizeof err), -1, "63 bytes: too short for a header");
	is_int(elf_check(b, 0, err, sizeof err), -1, "no bytes: not ELF");
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
	is_int(kimage_moddep_find(text, len, "virtio", path, sizeof path, deps, sizeof deps), 1,
	       "virtio found");
	is_str(path, "kernel/drivers/virtio/virtio.ko", "its path");
	is_str(deps, "kernel/drivers/virtio/virtio_ring.ko", "its dependency");
	is_int(kimage_moddep_find(text, len, "virtio_ring", path, sizeof path, deps, sizeof deps), 1,
	       "virtio_ring found");
	is_str(deps, "", "no dependencies");
	is_int(kimage_moddep_find(text, len, "9p", path, sizeof path, deps, sizeof deps), 1,
	       "compressed module found");
	is_str(path, "kernel/fs/9p/9p.ko.xz", "path keeps .ko.xz");
	is_str(deps, "kernel/net/9p/9pnet.ko.xz kernel/fs/fscache/fscache.ko.xz", "two deps");
	is_int(kimage_moddep_find(text, len, "9pnet", path, sizeof path, NULL, 0), 0,
	       "a name seen only as a dependency is not a key");
	is_int(kimage_moddep_find(text, len, "amd_uncore", path, sizeof path, NULL, 0), 1,
	       "'_' matches '-'");
	is_int(kimage_moddep_find(text, len, "virt", path, sizeof path, NULL, 0), 0,
	       "prefix of a name does not match");
	is_int(kimage_moddep_find(text, len, "overlay", path, sizeof path, deps, sizeof deps), 1,
	       "last line without newline or colon");
	is_str(path, "kernel/fs/overlayfs/overlay.ko", "builtin-style path");
	is_int(kimage_moddep_find(text, len - 3, "overlay", path, sizeof path, NULL, 0), 0,
	       "len is respected (cut line no longer ends in .ko)");
	is_int(kimage_moddep_find(text, len, "virtio", path, 10, NULL, 0), -1,
	       "path buffer too small: -1");
	is_int(kimage_moddep_find(text, len, "9p", path, sizeof path, deps, 8), -1,
	       "deps buffer too small: -1");
	is_int(kimage_moddep_find(text, 0, "virtio", path, sizeof path, NULL, 0), 0, "empty text");
	free(text);
}

/* ---- module names ---- */

/* kimage_mod_is over an exact-size copy of the first n bytes of s (no NUL after them). */
static int mod_is(const char *s, size_t n, const char *name)
{
	char *copy = malloc(n ? n : 1);
	int r;

	if (!copy)
		return -1;
	memcpy(copy, s, n);
	r = kimage_mod_is(copy, n, name);
	free(copy);
	return r;
}

static void test_mod_is(void)
{
	static const char p9[] = "kernel/fs/9p/9p.ko.xz";

	is_int(mod_is(p9, sizeof p9 - 1, "9p"), 1, "9p.ko.xz is 9p");
	is_int(mod_is(p9, sizeof p9 - 4, "9p"), 1, "9p.ko (n cuts .xz) is 9p");
	is_int(mod_is(p9, sizeof p9 - 5, "9p"), 0, "9p.k (n cuts the o) is not");
	is_int(mod_is(p9, sizeof p9 - 1, "9pnet"), 0, "a longer name does not match");
	is_int(mod_is("kernel/net/9p/9pnet.ko", 22, "9p"), 0, "9pnet.ko is not 9p");
	is_int(mod_is("kernel/x/amd-uncore.ko", 22, "amd_uncore"), 1, "'-' in the path matches '_'");
	is_int(mod_is("kernel/x/amd_uncore.ko", 22, "amd-uncore"), 1, "'_' in the path matches '-'");
	is_int(mod_is("kernel/fs/overlay.kox", 21, "overlay"), 0, ".kox is not a module");
	is_int(mod_is("overlay.ko", 10, "overlay"), 1, "no folder part");
}

int main(void)
{
	test_unxz();
	test_xz_decode();
	test_elf();
	test_moddep();
	test_mod_is();
	return unit_done();
}
