/*
** kimage: the byte-level parts of `vm prepare` (see kimage.h). The xz
** decoder is liblzma's, run over a buffer that grows to a hard cap, so a
** hostile or corrupt stream cannot make it allocate without bound; the ELF
** test reads the header through a bounds-checked cursor.
*/
#include "util/errf.h"
#include "vm/kimage.h"

#include <lzma.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KIMAGE_XZ_MEMLIMIT ((uint64_t)256 << 20)

static const unsigned char kimage_xz_magic[6] = { 0xFD, '7', 'z', 'X', 'Z', 0x00 };

/* ---- xz ---- */

/* The next output buffer size: x4 the input first, then doubling, capped at hard. */
static size_t kimage_xz_grow(size_t cap, size_t inlen, size_t hard)
{
	size_t want;

	if (cap == 0)
		want = inlen < (hard - 4096) / 4 ? inlen * 4 + 4096 : hard;
	else
		want = cap < hard / 2 ? cap * 2 : hard;
	return want > hard ? hard : want;
}

static const char *kimage_lzma_what(lzma_ret r)
{
	switch (r) {
	case LZMA_BUF_ERROR:      return "truncated stream";
	case LZMA_DATA_ERROR:     return "corrupt data";
	case LZMA_FORMAT_ERROR:   return "not xz";
	case LZMA_OPTIONS_ERROR:  return "unsupported options";
	case LZMA_MEMLIMIT_ERROR: return "needs too much memory";
	case LZMA_MEM_ERROR:      return "out of memory";
	default:                  return "decoder error";
	}
}

/*
** Decode one xz stream that starts at in[0]; bytes after its end are left
** alone (no LZMA_CONCATENATED). More than max_out bytes of output fail.
*/
int kimage_xz_decode(const unsigned char *in, size_t len, size_t max_out,
                     unsigned char **out, size_t *outlen, char *err, size_t errlen)
{
	lzma_stream s = LZMA_STREAM_INIT;
	unsigned char *buf = NULL, *nb;
	size_t cap = 0, hard = max_out < SIZE_MAX - 4096 ? max_out + 4096 : SIZE_MAX;
	lzma_ret r = LZMA_OK;

	*out = NULL;
	*outlen = 0;
	if (len < sizeof kimage_xz_magic ||
	    memcmp(in, kimage_xz_magic, sizeof kimage_xz_magic) != 0)
		return errf(err, errlen, "xz: no xz magic (FD 37 7A 58 5A 00) at the start");
	if (lzma_stream_decoder(&s, KIMAGE_XZ_MEMLIMIT, 0) != LZMA_OK)
		return errf(err, errlen, "xz: cannot start the decoder");
	s.next_in = in;
	s.avail_in = len;
	while (r == LZMA_OK) {
		if (s.avail_out == 0) {
			if (cap >= hard || !(nb = realloc(buf, kimage_xz_grow(cap, len, hard))))
				break;
			buf = nb;
			cap = kimage_xz_grow(cap, len, hard);
			s.next_out = buf + s.total_out;
			s.avail_out = cap - (size_t)s.total_out;
		}
		r = lzma_code(&s, LZMA_FINISH);
	}
	*outlen = (size_t)s.total_out;
	lzma_end(&s);
	if (r == LZMA_STREAM_END && *outlen <= max_out) {
		*out = buf;
		return 0;
	}
	free(buf);
	*outlen = 0;
	if (r == LZMA_OK && cap < hard)
		return errf(err, errlen, "xz: out of memory");
	if (r == LZMA_OK || r == LZMA_STREAM_END)
		return errf(err, errlen, "xz: more than %zu bytes of output", max_out);
	return errf(err, errlen, "xz: %s", kimage_lzma_what(r));
}

int kimage_unxz(const unsigned char *buf, size_t len, size_t max_out,
                unsigned char **out, size_t *outlen, char *err, size_t errlen)
{
	const unsigned char *p;
	size_t off = 0;
	int tried = 0;
	char first[256] = "";

	*out = NULL;
	*outlen = 0;
	while (off < len && (p = memmem(buf + off, len - off, kimage_xz_magic,
	                                sizeof kimage_xz_magic)) != NULL) {
		off = (size_t)(p - buf);
		if (kimage_xz_decode(p, len - off, max_out, out, outlen,
		                     tried ? NULL : first, sizeof first) == 0)
			return 0;
		tried = 1;
		off++;   /* the magic by chance inside other data: try the next one */
	}
	if (!tried)
		return errf(err, errlen, "no xz stream (magic FD 37 7A 58 5A 00) in %zu bytes",
		                   len);
	return errf(err, errlen, "%s", first);
}

/* ---- ELF ---- */

/* Bounds-checked reader over the ELF image's bytes. */
struct kimage_cur {
	const unsigned char *p;
	size_t len, off;
	int be;                     /* ELFDATA2MSB */
};

static int kimage_cur_seek(struct kimage_cur *c, uint64_t off)
{
	if (off > c->len)
		return -1;
	c->off = (size_t)off;
	return 0;
}

/* An n-byte (2, 4 or 8) unsigned integer in the file's byte order. */
static int kimage_cur_uint(struct kimage_cur *c, size_t n, uint64_t *v)
{
	size_t i;

	if (c->len - c->off < n)
		return -1;
	*v = 0;
	for (i = 0; i < n; i++) {
		size_t k = c->be ? i : n - 1 - i;

		*v = *v << 8 | c->p[c->off + k];
	}
	c->off += n;
	return 0;
}

/* 1 if no program header is PT_INTERP (3), 0 if one is, -1 if malformed. */
static int kimage_elf_scan(struct kimage_cur *c)
{
	int is64 = c->p[4] == 2;
	uint64_t phoff, phentsize, phnum, type, i;

	if (kimage_cur_seek(c, is64 ? 32 : 28) < 0 ||
	    kimage_cur_uint(c, is64 ? 8 : 4, &phoff) < 0 ||
	    kimage_cur_seek(c, is64 ? 54 : 42) < 0 ||
	    kimage_cur_uint(c, 2, &phentsize) < 0 || kimage_cur_uint(c, 2, &phnum) < 0)
		return -1;
	if (phnum == 0xFFFF || phentsize != (is64 ? 56u : 32u))
		return -1;   /* PN_XNUM or a foreign layout: not worth guessing */
	for (i = 0; i < phnum; i++) {
		if (phoff > c->len || i * phentsize > c->len - phoff ||
		    kimage_cur_seek(c, phoff + i * phentsize) < 0 ||
		    kimage_cur_uint(c, 4, &type) < 0)
			return -1;
		if (type == 3)
			return 0;
	}
	return 1;
}

int kimage_elf_static(const unsigned char *buf, size_t len, const char *name,
                      char *err, size_t errlen)
{
	struct kimage_cur c = { buf, len, 0, 0 };
	int rc;

	if (len < 64 || memcmp(buf, "\177ELF", 4) != 0 || (buf[4] != 1 && buf[4] != 2) ||
	    (buf[5] != 1 && buf[5] != 2))
		return errf(err, errlen, "%s: not an ELF file", name);
	c.be = buf[5] == 2;
	rc = kimage_elf_scan(&c);
	if (rc < 0)
		return errf(err, errlen, "%s: malformed ELF program headers", name);
	return rc;
}

/* ---- modules.dep / modules.builtin ---- */

/*
** Does the module path (kernel/x/name.ko[.xz]) of n bytes name `name`?
** Compares the basename up to ".ko" with '-' and '_' equal.
*/
int kimage_mod_is(const char *path, size_t n, const char *name)
{
	const char *base = path, *p;
	size_t i, bl, nl = strlen(name);

	for (p = path; p < path + n; p++) {
		if (*p == '/')
			base = p + 1;
	}
	bl = (size_t)(path + n - base);
	if (bl < nl + 3 || memcmp(base + nl, ".ko", 3) != 0 ||
	    (bl > nl + 3 && base[nl + 3] != '.'))
		return 0;
	for (i = 0; i < nl; i++) {
		char a = base[i] == '-' ? '_' : base[i], b = name[i] == '-' ? '_' : name[i];

		if (a != b)
			return 0;
	}
	return 1;
}

/* Copy n bytes plus NUL into out when they fit. */
static int kimage_copy(char *out, size_t outlen, const char *s, size_t n)
{
	if (!out)
		return 0;
	if (n >= outlen)
		return -1;
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

int kimage_moddep_find(const char *text, size_t len, const char *name,
                       char *path, size_t pathlen, char *deps, size_t depslen)
{
	size_t off = 0, ll, kl, d;
	const char *line, *nl, *colon;

	while (off < len) {
		line = text + off;
		nl = memchr(line, '\n', len - off);
		ll = nl ? (size_t)(nl - line) : len - off;
		off += ll + 1;
		colon = memchr(line, ':', ll);
		kl = colon ? (size_t)(colon - line) : ll;
		while (kl && (line[kl - 1] == ' ' || line[kl - 1] == '\r'))
			kl--;
		if (!kl || !kimage_mod_is(line, kl, name))
			continue;
		d = colon ? (size_t)(colon + 1 - line) : ll;
		while (d < ll && line[d] == ' ')
			d++;
		if (kimage_copy(path, pathlen, line, kl) < 0 ||
		    kimage_copy(deps, depslen, line + d, ll - d) < 0)
			return -1;
		return 1;
	}
	return 0;
}
