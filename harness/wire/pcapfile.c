/*
** pcapfile.c: the capture-file reader declared in pcapfile.h, classic pcap
** and pcapng, over the whole file image in memory (mmap for a regular
** file, one read into a buffer for stdin or a pipe): a frame is then a
** pointer into the image, with no copy and no read call per frame, which
** is what lets `vpnlab decode` run at millions of frames a second.
**
** Every length read from the file is checked against what is left of the
** image before anything is read through it. A record or block that runs
** past the end of the file is "truncated at frame N (byte offset X)": the
** frames before it were returned. A block whose own lengths contradict
** each other (below its fixed part, not a multiple of 4, trailer copy
** differs) is "corrupt block at ...".
**
** A pipe or stdin is read to its end before the first frame (decode of
** a live tcpdump prints when tcpdump stops); a mapped file that another
** process truncates while it is read would fault (SIGBUS), which a
** capture a user hands over does not do.
**
** Choices the header leaves open:
** - pcapng: interfaces of every section are numbered together, in file
**   order (pcap_frame.iface indexes pcapfile_ifaces); a packet naming an
**   interface its section has not declared is corrupt.
** - A Simple Packet Block carries no timestamp: it gets the previous
**   frame's time (0 if it is the first).
** - The classic header's link type is its low 16 bits (the rest are FCS
**   flags); a wire length below the captured length is left to the
**   dissector, which takes the captured length.
*/
#include "wire/pcapfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/errf.h"

#define PCAP_MAX_FRAME   262144u      /* libpcap's MAXIMUM_SNAPLEN: larger is corrupt */
#define PCAPNG_SHB       0x0A0D0D0Au
#define PCAPNG_BOM       0x1A2B3C4Du
#define PCAPNG_IDB       1u
#define PCAPNG_PB        2u           /* obsolete Packet Block */
#define PCAPNG_SPB       3u
#define PCAPNG_EPB       6u

enum pf_kind { PF_CLASSIC, PF_PCAPNG };

/* What pcapng says about one interface beyond the public part. */
struct pf_clock {
	uint64_t units;          /* timestamp units per second (if_tsresol) */
	int64_t offset;          /* seconds added to every timestamp (if_tsoffset) */
};

struct pcapfile {
	const uint8_t *img;      /* the whole file */
	size_t size, off;        /* image size, read position */
	void *map;               /* mmap'd image, or NULL */
	uint8_t *buf;            /* read image, or NULL */
	enum pf_kind kind;
	int swap;                /* 1: the file (or section) is big-endian */
	uint64_t units;          /* classic: 1e6 or 1e9 */
	int linktype;            /* classic */
	struct pcap_iface *ifaces;
	struct pf_clock *clocks;
	size_t nifaces, cap;
	size_t section_first;    /* pcapng: index of the current section's first interface */
	int in_section;          /* pcapng: an SHB has been read */
	uint32_t number;         /* frames returned so far */
	double last_t;
};

/* ---- byte order ---------------------------------------------------------- */

static uint32_t le32_at(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int is_shb(const uint8_t *p)
{
	return p[0] == 0x0a && p[1] == 0x0d && p[2] == 0x0d && p[3] == 0x0a;
}

/* Reads in the file's byte order, byte by byte: no alignment, no host order. */
static uint32_t pf_u32(const struct pcapfile *pf, size_t off)
{
	uint32_t le = le32_at(pf->img + off);

	return pf->swap ? __builtin_bswap32(le) : le;
}

static uint16_t pf_u16(const struct pcapfile *pf, size_t off)
{
	const uint8_t *p = pf->img + off;
	uint16_t le = (uint16_t)(p[0] | p[1] << 8);

	return pf->swap ? __builtin_bswap16(le) : le;
}

static size_t left(const struct pcapfile *pf, size_t off)
{
	return off <= pf->size ? pf->size - off : 0;
}

static int truncated(struct pcapfile *pf, size_t at, char *err, size_t errlen)
{
	pf->off = pf->size;
	return errf(err, errlen, "truncated at frame %u (byte offset %zu)", pf->number + 1, at);
}

static int corrupt(struct pcapfile *pf, size_t at, const char *why, char *err, size_t errlen)
{
	pf->off = pf->size;
	return errf(err, errlen, "corrupt block at frame %u (byte offset %zu): %s", pf->number + 1, at, why);
}

/* ---- interfaces ---------------------------------------------------------- */

static int add_iface(struct pcapfile *pf, int linktype, uint64_t units)
{
	if (pf->nifaces == pf->cap) {
		size_t cap = pf->cap ? pf->cap * 2 : 4;
		struct pcap_iface *i = realloc(pf->ifaces, cap * sizeof *i);
		struct pf_clock *c;

		if (i == NULL)
			return -1;
		pf->ifaces = i;
		c = realloc(pf->clocks, cap * sizeof *c);
		if (c == NULL)
			return -1;
		pf->clocks = c;
		pf->cap = cap;
	}
	pf->ifaces[pf->nifaces].linktype = linktype;
	pf->ifaces[pf->nifaces].name[0] = '\0';
	pf->clocks[pf->nifaces].units = units;
	pf->clocks[pf->nifaces].offset = 0;
	pf->nifaces++;
	return 0;
}

size_t pcapfile_ifaces(const struct pcapfile *pf, const struct pcap_iface **out)
{
	*out = pf->ifaces;
	return pf->nifaces;
}

/* ---- opening ------------------------------------------------------------- */

/* Classic header: magic, version 2.x, snaplen, link type (24 bytes). */
static int open_classic(struct pcapfile *pf, uint32_t magic, char *err, size_t errlen)
{
	pf->kind = PF_CLASSIC;
	pf->units = (magic == 0xa1b2c3d4u || magic == 0xd4c3b2a1u) ? 1000000u : 1000000000u;
	pf->swap = magic == 0xa1b2c3d4u || magic == 0xa1b23c4du;   /* magic bytes in big-endian order */
	if (pf->size < 24)
		return errf(err, errlen, "truncated pcap file header (%zu of 24 bytes)", pf->size);
	if (pf_u16(pf, 4) != 2)
		return errf(err, errlen, "unsupported pcap version %u.%u", pf_u16(pf, 4), pf_u16(pf, 6));
	pf->linktype = (int)(pf_u32(pf, 20) & 0xffff);
	pf->off = 24;
	return add_iface(pf, pf->linktype, pf->units) < 0 ? errf(err, errlen, "out of memory") : 0;
}

/* Recognise the image; fills pf->kind and reads the classic header. */
static int open_image(struct pcapfile *pf, char *err, size_t errlen)
{
	uint32_t magic;

	if (pf->size < 4)
		return errf(err, errlen, "not a pcap or pcapng file (%zu bytes)", pf->size);
	magic = __builtin_bswap32(le32_at(pf->img));   /* the first four bytes, as written */
	switch (magic) {
	case 0xa1b2c3d4u: case 0xd4c3b2a1u: case 0xa1b23c4du: case 0x4d3cb2a1u:
		return open_classic(pf, magic, err, errlen);
	case PCAPNG_SHB:
		pf->kind = PF_PCAPNG;
		pf->off = 0;
		return 0;
	default:
		return errf(err, errlen, "not a pcap or pcapng file");
	}
}

struct pcapfile *pcapfile_open_mem(const void *data, size_t size, char *err, size_t errlen)
{
	struct pcapfile *pf = calloc(1, sizeof(struct pcapfile));
	static const uint8_t none[1];

	if (pf == NULL) {
		errf(err, errlen, "out of memory");
		return NULL;
	}
	pf->img = data ? data : none;
	pf->size = data ? size : 0;
	if (open_image(pf, err, errlen) < 0) {
		pcapfile_close(pf);
		return NULL;
	}
	return pf;
}

/* The whole of a pipe or stdin into a buffer. */
static int read_all(int fd, uint8_t **out, size_t *size)
{
	size_t cap = 1 << 20, n = 0;
	uint8_t *b = malloc(cap), *nb;
	ssize_t r;

	if (b == NULL)
		return -1;
	for (;;) {
		if (n == cap) {
			nb = realloc(b, cap * 2);
			if (nb == NULL)
				goto fail;
			b = nb;
			cap *= 2;
		}
		r = read(fd, b + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto fail;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*out = b;
	*size = n;
	return 0;
fail:
	free(b);
	return -1;
}

/* The image of path: mapped when it is a non-empty regular file, else read. */
static int load_image(struct pcapfile *pf, const char *path, char *err, size_t errlen)
{
	int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	int rc = 0;

	if (fd < 0)
		return errf(err, errlen, "%s", strerror(errno));
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		rc = errf(err, errlen, "is a directory");
	} else if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
		pf->map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (pf->map == MAP_FAILED) {
			pf->map = NULL;
			rc = errf(err, errlen, "%s", strerror(errno));
		} else {
			madvise(pf->map, (size_t)st.st_size, MADV_SEQUENTIAL);
			pf->img = pf->map;
			pf->size = (size_t)st.st_size;
		}
	} else if (read_all(fd, &pf->buf, &pf->size) < 0) {
		rc = errf(err, errlen, "%s", strerror(errno));
	} else {
		pf->img = pf->buf;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	return rc;
}

struct pcapfile *pcapfile_open(const char *path, char *err, size_t errlen)
{
	struct pcapfile *pf = calloc(1, sizeof(struct pcapfile));

	if (pf == NULL) {
		errf(err, errlen, "out of memory");
		return NULL;
	}
	if (load_image(pf, path, err, errlen) < 0 || open_image(pf, err, errlen) < 0) {
		char why[256];

		snprintf(why, sizeof why, "%s", err ? err : "");
		errf(err, errlen, "%s: %s", path, why);
		pcapfile_close(pf);
		return NULL;
	}
	return pf;
}

void pcapfile_close(struct pcapfile *pf)
{
	if (pf == NULL)
		return;
	if (pf->map != NULL)
		munmap(pf->map, pf->size);
	free(pf->buf);
	free(pf->ifaces);
	free(pf->clocks);
	free(pf);
}

/* ---- classic records ----------------------------------------------------- */

static int next_classic(struct pcapfile *pf, struct pcap_frame *fr, char *err, size_t errlen)
{
	size_t at = pf->off;
	uint32_t caplen;

	if (left(pf, at) == 0)
		return 0;
	if (left(pf, at) < 16)
		return truncated(pf, at, err, errlen);
	caplen = pf_u32(pf, at + 8);
	if (caplen > PCAP_MAX_FRAME)
		return corrupt(pf, at, "captured length beyond any snapshot length", err, errlen);
	if (left(pf, at + 16) < caplen)
		return truncated(pf, at, err, errlen);
	fr->t = (double)pf_u32(pf, at) + (double)pf_u32(pf, at + 4) / (double)pf->units;
	fr->caplen = caplen;
	fr->wirelen = pf_u32(pf, at + 12);
	fr->bytes = pf->img + at + 16;
	fr->iface = 0;
	fr->number = ++pf->number;
	pf->off = at + 16 + caplen;
	return 1;
}

/* ---- pcapng blocks ------------------------------------------------------- */

/* 10^n, or 0 when it does not fit. */
static uint64_t pow10_u64(unsigned n)
{
	uint64_t v = 1;

	if (n > 19)
		return 0;
	while (n--)
		v *= 10;
	return v;
}

/*
** The options of an IDB from `at` to `end`: if_name (2), if_tsresol (9),
** if_tsoffset (14). Stops at opt_endofopt or at an option that does not
** fit (options are advisory: a bad one is not worth refusing the file).
*/
static void idb_options(struct pcapfile *pf, size_t at, size_t end, size_t idx)
{
	while (at + 4 <= end) {
		uint16_t code = pf_u16(pf, at), len = pf_u16(pf, at + 2);
		size_t body = at + 4;

		if (code == 0 || len > end - body)
			return;
		if (code == 2) {
			size_t n = len < sizeof pf->ifaces[idx].name ? len : sizeof pf->ifaces[idx].name - 1;

			memcpy(pf->ifaces[idx].name, pf->img + body, n);
			pf->ifaces[idx].name[n] = '\0';
			pf->ifaces[idx].name[strnlen(pf->ifaces[idx].name, n)] = '\0';
		} else if (code == 9 && len >= 1) {
			uint8_t r = pf->img[body];
			unsigned e = r & 0x7f;
			uint64_t u = r & 0x80 ? (e < 64 ? (uint64_t)1 << e : 0) : pow10_u64(r);

			if (u != 0)
				pf->clocks[idx].units = u;
		} else if (code == 14 && len >= 8) {
			uint64_t lo = pf_u32(pf, body), hi = pf_u32(pf, body + 4);
			uint64_t v = pf->swap ? (lo << 32 | hi) : (hi << 32 | lo);

			pf->clocks[idx].offset = (int64_t)v;
		}
		at = body + (((size_t)len + 3) & ~(size_t)3);
	}
}

/* A Section Header Block at `at`: byte order, version; 0, or -1 with err. */
static int read_shb(struct pcapfile *pf, size_t at, size_t *blen, char *err, size_t errlen)
{
	uint32_t bom;

	if (left(pf, at) < 12)
		return truncated(pf, at, err, errlen);
	bom = le32_at(pf->img + at + 8);
	if (bom == PCAPNG_BOM || bom == __builtin_bswap32(PCAPNG_BOM))
		pf->swap = bom != PCAPNG_BOM;
	else
		return corrupt(pf, at, "section header with no byte-order magic", err, errlen);
	*blen = pf_u32(pf, at + 4);
	if (*blen < 28)
		return corrupt(pf, at, "section header shorter than 28 bytes", err, errlen);
	if (left(pf, at) >= 14 && pf_u16(pf, at + 12) != 1) {
		pf->off = pf->size;
		return errf(err, errlen, "unsupported pcapng version %u at byte offset %zu",
		            pf_u16(pf, at + 12), at);
	}
	pf->section_first = pf->nifaces;
	pf->in_section = 1;
	return 0;
}

/* pcapng timestamp (high, low words) of interface idx in seconds. */
static double ng_time(const struct pcapfile *pf, size_t idx, uint32_t hi, uint32_t lo)
{
	uint64_t ts = (uint64_t)hi << 32 | lo, units = pf->clocks[idx].units;

	return (double)(ts / units) + (double)(ts % units) / (double)units + (double)pf->clocks[idx].offset;
}

/*
** The packet of an EPB (6) or PB (2) whose body starts at b and holds
** `room` bytes before the trailer. 1, or -1 with err.
*/
static int ng_packet(struct pcapfile *pf, uint32_t type, size_t at, size_t b, size_t room,
                     struct pcap_frame *fr, char *err, size_t errlen)
{
	uint32_t id, caplen;
	size_t idx;

	if (room < 20)
		return corrupt(pf, at, "packet block shorter than its fixed part", err, errlen);
	id = type == PCAPNG_PB ? pf_u16(pf, b) : pf_u32(pf, b);
	caplen = pf_u32(pf, b + 12);
	if (caplen > room - 20)
		return corrupt(pf, at, "captured length beyond its block", err, errlen);
	if (id >= pf->nifaces - pf->section_first)
		return corrupt(pf, at, "packet of an undeclared interface", err, errlen);
	idx = pf->section_first + id;
	fr->t = ng_time(pf, idx, pf_u32(pf, b + 4), pf_u32(pf, b + 8));
	fr->caplen = caplen;
	fr->wirelen = pf_u32(pf, b + 16);
	fr->bytes = pf->img + b + 20;
	fr->iface = (int)idx;
	return 1;
}

/* A Simple Packet Block: interface 0 of the section, no timestamp. */
static int ng_simple(struct pcapfile *pf, size_t at, size_t b, size_t room,
                     struct pcap_frame *fr, char *err, size_t errlen)
{
	uint32_t wirelen;

	if (room < 4)
		return corrupt(pf, at, "simple packet block shorter than its fixed part", err, errlen);
	if (pf->nifaces == pf->section_first)
		return corrupt(pf, at, "packet of an undeclared interface", err, errlen);
	wirelen = pf_u32(pf, b);
	fr->caplen = wirelen < room - 4 ? wirelen : (uint32_t)(room - 4);
	fr->wirelen = wirelen;
	fr->bytes = pf->img + b + 4;
	fr->t = pf->last_t;
	fr->iface = (int)pf->section_first;
	return 1;
}

/* An Interface Description Block: link type, then its options. */
static int ng_iface(struct pcapfile *pf, size_t at, size_t b, size_t room, char *err, size_t errlen)
{
	if (room < 8)
		return corrupt(pf, at, "interface block shorter than its fixed part", err, errlen);
	if (add_iface(pf, pf_u16(pf, b), 1000000u) < 0) {
		pf->off = pf->size;
		return errf(err, errlen, "out of memory");
	}
	idb_options(pf, b + 8, b + room, pf->nifaces - 1);
	return 0;
}

/*
** The block at `at`, its total length checked (fits the file, at least 12,
** a multiple of 4, repeated at its end). 1 a frame, 0 not a frame, -1 error.
*/
static int ng_block(struct pcapfile *pf, size_t at, struct pcap_frame *fr, char *err, size_t errlen)
{
	uint32_t type;
	size_t blen = 0, room;

	if (left(pf, at) < 8)
		return truncated(pf, at, err, errlen);
	if (is_shb(pf->img + at)) {
		if (read_shb(pf, at, &blen, err, errlen) < 0)
			return -1;
		type = PCAPNG_SHB;
	} else if (!pf->in_section) {
		return corrupt(pf, at, "no section header", err, errlen);
	} else {
		type = pf_u32(pf, at);
		blen = pf_u32(pf, at + 4);
	}
	if (blen < 12 || blen % 4 != 0)
		return corrupt(pf, at, "block length below 12 or not a multiple of 4", err, errlen);
	if (blen > left(pf, at))
		return truncated(pf, at, err, errlen);
	if (pf_u32(pf, at + blen - 4) != blen)
		return corrupt(pf, at, "block length differs from its trailing copy", err, errlen);
	pf->off = at + blen;
	room = blen - 12;
	switch (type) {
	case PCAPNG_IDB:
		return ng_iface(pf, at, at + 8, room, err, errlen);
	case PCAPNG_EPB:
	case PCAPNG_PB:
		return ng_packet(pf, type, at, at + 8, room, fr, err, errlen);
	case PCAPNG_SPB:
		return ng_simple(pf, at, at + 8, room, fr, err, errlen);
	default:
		return 0;               /* SHB (read above), NRB, ISB, DSB, custom: nothing to return */
	}
}

static int next_pcapng(struct pcapfile *pf, struct pcap_frame *fr, char *err, size_t errlen)
{
	int rc;

	while (left(pf, pf->off) > 0) {
		rc = ng_block(pf, pf->off, fr, err, errlen);
		if (rc != 0) {
			if (rc > 0) {
				fr->number = ++pf->number;
				pf->last_t = fr->t;
			}
			return rc;
		}
	}
	return 0;
}

int pcapfile_next(struct pcapfile *pf, struct pcap_frame *fr, char *err, size_t errlen)
{
	if (pf->kind == PF_CLASSIC)
		return next_classic(pf, fr, err, errlen);
	return next_pcapng(pf, fr, err, errlen);
}

/*
** Interfaces in the whole file, counted without reading a frame: jumps
** block to block from the read position (pcapng) and stops quietly at
** anything odd, which pcapfile_next will report in its turn.
*/
size_t pcapfile_count_ifaces(const struct pcapfile *pf)
{
	struct pcapfile probe = *pf;
	size_t n = pf->nifaces, at = pf->off;

	if (pf->kind == PF_CLASSIC)
		return n;
	while (left(&probe, at) >= 12) {
		uint32_t type = pf_u32(&probe, at), blen;

		if (is_shb(probe.img + at)) {
			uint32_t bom = le32_at(probe.img + at + 8);

			if (bom != PCAPNG_BOM && bom != __builtin_bswap32(PCAPNG_BOM))
				break;
			probe.swap = bom != PCAPNG_BOM;
			type = PCAPNG_SHB;
		}
		blen = pf_u32(&probe, at + 4);
		if (blen < 12 || blen % 4 != 0 || blen > left(&probe, at))
			break;
		if (type == PCAPNG_IDB)
			n++;
		at += blen;
	}
	return n;
}
