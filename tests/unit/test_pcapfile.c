/*
** test_pcapfile: capture files built byte by byte (classic pcap in both
** byte orders with micro- and nanosecond stamps; pcapng with SHB, IDB and
** its options, EPB, SPB, the obsolete PB, unknown blocks, several sections
** and interfaces of different link types), read back through
** pcapfile_open_mem from heap copies of exactly the file's size (so ASan
** sees any over-read), then every kind of bad length, a cut at every byte,
** and pcapfile_load from a real file.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wire/pcapfile.h"
#include "wire/timeline.h"
#include "unit.h"

/* ---- a file image ------------------------------------------------------- */

struct img {
	uint8_t b[8192];
	size_t n;
	int be;                 /* write big-endian */
};

static void put(struct img *m, const void *p, size_t k)
{
	if (k == 0)
		return;
	memcpy(m->b + m->n, p, k);
	m->n += k;
}

static void u8(struct img *m, unsigned v)
{
	m->b[m->n++] = (uint8_t)v;
}

static void u16(struct img *m, unsigned v)
{
	if (m->be) {
		u8(m, v >> 8);
		u8(m, v & 0xff);
	} else {
		u8(m, v & 0xff);
		u8(m, v >> 8);
	}
}

static void u32(struct img *m, uint32_t v)
{
	if (m->be) {
		u16(m, v >> 16);
		u16(m, v & 0xffff);
	} else {
		u16(m, v & 0xffff);
		u16(m, v >> 16);
	}
}

static void set32(struct img *m, size_t at, uint32_t v)
{
	size_t keep = m->n;

	m->n = at;
	u32(m, v);
	m->n = keep;
}

static void pad4(struct img *m)
{
	while (m->n % 4)
		u8(m, 0);
}

/* The frames the files carry: recognisable bytes of a few lengths. */
static const uint8_t frame_a[] = { 0xaa, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13 };
static const uint8_t frame_b[] = { 0xbb, 1, 2, 3, 4 };
static const uint8_t frame_c[] = { 0xcc, 1, 2, 3, 4, 5, 6, 7 };

/* ---- reading an image ----------------------------------------------------- */

struct got {
	int n, rc;
	struct pcap_frame f[8];
	uint8_t first[8];       /* each frame's first byte */
	char err[160];
	int linktype[8];
	char name[8][64];
	size_t nifaces;
};

/* Read every frame of an exact-size heap copy of m; open failures leave n = -1. */
static void read_img(const struct img *m, size_t len, struct got *g)
{
	uint8_t *copy = malloc(len ? len : 1);
	struct pcapfile *pf;
	const struct pcap_iface *ifs;

	memset(g, 0, sizeof *g);
	memcpy(copy, m->b, len);
	pf = pcapfile_open_mem(copy, len, g->err, sizeof g->err);
	if (pf == NULL) {
		g->n = -1;
		free(copy);
		return;
	}
	for (;;) {
		struct pcap_frame fr;

		g->rc = pcapfile_next(pf, &fr, g->err, sizeof g->err);
		if (g->rc <= 0)
			break;
		if (g->n < 8) {
			g->f[g->n] = fr;
			g->first[g->n] = fr.caplen ? fr.bytes[0] : 0;
		}
		g->n++;
	}
	g->nifaces = pcapfile_ifaces(pf, &ifs);
	for (size_t i = 0; i < g->nifaces && i < 8; i++) {
		g->linktype[i] = ifs[i].linktype;
		snprintf(g->name[i], sizeof g->name[i], "%s", ifs[i].name);
	}
	pcapfile_close(pf);
	free(copy);
}

/* ---- classic pcap --------------------------------------------------------- */

static void classic_header(struct img *m, uint32_t magic, int linktype)
{
	u32(m, magic);
	u16(m, 2);
	u16(m, 4);
	u32(m, 0);
	u32(m, 0);
	u32(m, 65535);
	u32(m, 0x10000000u | (uint32_t)linktype);   /* FCS bits above the link type are ignored */
}

static void classic_record(struct img *m, uint32_t sec, uint32_t frac, const uint8_t *f, size_t n, uint32_t wire)
{
	u32(m, sec);
	u32(m, frac);
	u32(m, (uint32_t)n);
	u32(m, wire);
	put(m, f, n);
}

static void test_classic(void)
{
	for (int be = 0; be <= 1; be++) {
		for (int nsec = 0; nsec <= 1; nsec++) {
			struct img m = { .be = be };
			struct got g;
			char what[96];

			classic_header(&m, nsec ? 0xa1b23c4du : 0xa1b2c3d4u, 1);
			classic_record(&m, 1700000000, nsec ? 250000000 : 250000, frame_a, sizeof frame_a, 60);
			classic_record(&m, 1700000001, nsec ? 999000000 : 999000, frame_b, sizeof frame_b, 5);
			read_img(&m, m.n, &g);
			snprintf(what, sizeof what, "classic %s-endian %s: two frames, clean end",
			         be ? "big" : "little", nsec ? "nsec" : "usec");
			ok(g.n == 2 && g.rc == 0, what);
			snprintf(what, sizeof what, "classic %s %s: bytes, lengths, numbers, link type",
			         be ? "BE" : "LE", nsec ? "nsec" : "usec");
			ok(g.first[0] == 0xaa && g.f[0].caplen == sizeof frame_a && g.f[0].wirelen == 60 &&
			   g.first[1] == 0xbb && g.f[1].caplen == 5 && g.f[0].number == 1 && g.f[1].number == 2 &&
			   g.f[1].iface == 0 && g.nifaces == 1 && g.linktype[0] == 1, what);
			snprintf(what, sizeof what, "classic %s %s: timestamps", be ? "BE" : "LE", nsec ? "nsec" : "usec");
			ok(g.f[0].t == 1700000000.25 && g.f[1].t > 1700000001.9989 && g.f[1].t < 1700000001.9991, what);
		}
	}
}

static void test_classic_bad(void)
{
	struct img m = { 0 };
	struct got g;
	size_t rec2;

	classic_header(&m, 0xa1b2c3d4u, 113);
	classic_record(&m, 1, 0, frame_a, sizeof frame_a, sizeof frame_a);
	rec2 = m.n;
	classic_record(&m, 2, 0, frame_b, sizeof frame_b, sizeof frame_b);
	read_img(&m, m.n - 1, &g);
	ok(g.n == 1 && g.rc == -1, "classic cut inside frame 2: frame 1, then an error");
	is_str(g.err, "truncated at frame 2 (byte offset 54)", "classic cut: the frame and its record's offset");
	ok(rec2 == 54, "classic cut: 54 is where record 2 starts (24 + 16 + 14)");
	read_img(&m, rec2 + 7, &g);
	is_str(g.err, "truncated at frame 2 (byte offset 54)", "classic cut inside a record header");
	read_img(&m, 20, &g);
	ok(g.n == -1 && strstr(g.err, "truncated pcap file header") != NULL, "classic header cut: open fails");
	is_int(pcapfile_open_mem(m.b, 0, g.err, sizeof g.err) == NULL, 1, "empty image: open fails");
	is_str(g.err, "not a pcap or pcapng file (0 bytes)", "empty image: says so");
	read_img(&(struct img){ .b = "hello, world\n", .n = 13 }, 13, &g);
	is_str(g.err, "not a pcap or pcapng file", "text: not a capture");
	set32(&m, 24 + 8, 300000);       /* frame 1 claims 300000 bytes */
	read_img(&m, m.n, &g);
	ok(g.n == 0 && g.rc == -1 && strstr(g.err, "corrupt block at frame 1 (byte offset 24)") != NULL,
	   "classic caplen beyond any snapshot length: corrupt");
	m.n = 4;
	u16(&m, 3);
	m.n = rec2 + 16 + sizeof frame_b;
	read_img(&m, m.n, &g);
	ok(g.n == -1 && strstr(g.err, "unsupported pcap version 3") != NULL, "classic version 3: refused");
}

/* ---- pcapng ----------------------------------------------------------------- */

static size_t block_start(struct img *m, uint32_t type)
{
	size_t at = m->n;

	u32(m, type);
	u32(m, 0);                       /* length, patched by block_end */
	return at;
}

static void block_end(struct img *m, size_t at)
{
	uint32_t len;

	pad4(m);
	len = (uint32_t)(m->n - at + 4);
	set32(m, at + 4, len);
	u32(m, len);
}

static void shb(struct img *m)
{
	size_t at = block_start(m, 0x0A0D0D0Au);

	u32(m, 0x1A2B3C4Du);
	u16(m, 1);
	u16(m, 0);
	u32(m, 0xffffffffu);             /* section length: not given */
	u32(m, 0xffffffffu);
	block_end(m, at);
}

static void option(struct img *m, unsigned code, const void *v, size_t len)
{
	u16(m, code);
	u16(m, (unsigned)len);
	put(m, v, len);
	pad4(m);
}

/* IDB with if_name (when name) and if_tsresol (when tsresol >= 0). */
static void idb(struct img *m, int linktype, const char *name, int tsresol)
{
	size_t at = block_start(m, 1);

	u16(m, (unsigned)linktype);
	u16(m, 0);
	u32(m, 262144);
	if (name)
		option(m, 2, name, strlen(name));
	if (tsresol >= 0) {
		uint8_t r = (uint8_t)tsresol;

		option(m, 9, &r, 1);
	}
	if (name || tsresol >= 0)
		option(m, 0, NULL, 0);
	block_end(m, at);
}

static void epb(struct img *m, uint32_t iface, uint64_t ts, const uint8_t *f, size_t n, uint32_t wire)
{
	size_t at = block_start(m, 6);

	u32(m, iface);
	u32(m, (uint32_t)(ts >> 32));
	u32(m, (uint32_t)ts);
	u32(m, (uint32_t)n);
	u32(m, wire);
	put(m, f, n);
	block_end(m, at);
}

static void spb(struct img *m, const uint8_t *f, size_t n)
{
	size_t at = block_start(m, 3);

	u32(m, (uint32_t)n);
	put(m, f, n);
	block_end(m, at);
}

static void pb(struct img *m, unsigned iface, uint64_t ts, const uint8_t *f, size_t n)
{
	size_t at = block_start(m, 2);

	u16(m, iface);
	u16(m, 0);                       /* drops */
	u32(m, (uint32_t)(ts >> 32));
	u32(m, (uint32_t)ts);
	u32(m, (uint32_t)n);
	u32(m, (uint32_t)n);
	put(m, f, n);
	block_end(m, at);
}

static void unknown_block(struct img *m, uint32_t type)
{
	size_t at = block_start(m, type);

	u32(m, 0xdeadbeefu);
	block_end(m, at);
}

/*
** Section 1: Ethernet "eth0" (microseconds) and cooked v2 "any" (ns,
** if_tsresol 9), an NRB and a custom block to skip, an EPB on each, an
** SPB, a PB. Section 2 (other byte order when be2): raw IP, 2^-10 s units.
*/
static size_t build_ng(struct img *m, int be1, int be2)
{
	m->be = be1;
	shb(m);
	idb(m, 1, "eth0", -1);
	idb(m, 276, "any", 9);
	unknown_block(m, 4);
	epb(m, 0, 1700000000ull * 1000000 + 500000, frame_a, sizeof frame_a, 64);
	unknown_block(m, 0x00000BADu);
	epb(m, 1, 1700000000ull * 1000000000 + 750000000, frame_b, sizeof frame_b, 5);
	spb(m, frame_c, sizeof frame_c);
	pb(m, 1, 1700000002ull * 1000000000, frame_a, 3);
	m->be = be2;
	shb(m);
	idb(m, 101, NULL, 0x80 | 10);
	epb(m, 0, 1700000003ull * 1024 + 512, frame_c, sizeof frame_c, sizeof frame_c);
	return m->n;
}

static void test_pcapng(void)
{
	static const int orders[][2] = { { 0, 0 }, { 1, 1 }, { 0, 1 } };

	for (size_t k = 0; k < 3; k++) {
		struct img m = { 0 };
		struct got g;
		char what[128];
		const char *o = k == 0 ? "LE" : k == 1 ? "BE" : "LE then BE";

		build_ng(&m, orders[k][0], orders[k][1]);
		read_img(&m, m.n, &g);
		snprintf(what, sizeof what, "pcapng %s: 5 frames from EPB, EPB, SPB, PB, EPB; clean end", o);
		ok(g.n == 5 && g.rc == 0, what);
		snprintf(what, sizeof what, "pcapng %s: three interfaces, link types 1, 276, 101, names", o);
		ok(g.nifaces == 3 && g.linktype[0] == 1 && g.linktype[1] == 276 && g.linktype[2] == 101 &&
		   strcmp(g.name[0], "eth0") == 0 && strcmp(g.name[1], "any") == 0 && g.name[2][0] == '\0', what);
		snprintf(what, sizeof what, "pcapng %s: each frame's interface (second section counted on)", o);
		ok(g.f[0].iface == 0 && g.f[1].iface == 1 && g.f[2].iface == 0 && g.f[3].iface == 1 &&
		   g.f[4].iface == 2, what);
		snprintf(what, sizeof what, "pcapng %s: bytes and lengths (SPB: its packet length)", o);
		ok(g.first[0] == 0xaa && g.f[0].caplen == 14 && g.f[0].wirelen == 64 && g.first[1] == 0xbb &&
		   g.first[2] == 0xcc && g.f[2].caplen == 8 && g.f[3].caplen == 3 && g.first[4] == 0xcc, what);
		snprintf(what, sizeof what, "pcapng %s: times in us, ns (if_tsresol 9), 2^-10 s; SPB the previous frame's", o);
		ok(g.f[0].t == 1700000000.5 && g.f[1].t == 1700000000.75 && g.f[2].t == 1700000000.75 &&
		   g.f[3].t == 1700000002.0 && g.f[4].t == 1700000003.5, what);
		snprintf(what, sizeof what, "pcapng %s: frames numbered 1..5", o);
		ok(g.f[0].number == 1 && g.f[4].number == 5, what);
	}
}

static void test_pcapng_count(void)
{
	struct img m = { 0 };
	char err[128];
	struct pcapfile *pf;
	struct pcap_frame fr;

	build_ng(&m, 0, 1);
	pf = pcapfile_open_mem(m.b, m.n, err, sizeof err);
	is_int(pcapfile_count_ifaces(pf), 3, "count ahead: 3 interfaces over both sections before any frame");
	pcapfile_next(pf, &fr, err, sizeof err);
	is_int(pcapfile_count_ifaces(pf), 3, "count ahead: the same after a frame (nothing counted twice)");
	pcapfile_close(pf);
}

/* A file whose block at `at` had a length field changed to len; what the reader says. */
static void bad_len(const char *what, size_t at, uint32_t len, int trailer_too, int want_n, const char *want)
{
	struct img m = { 0 };
	struct got g;
	char desc[160];

	build_ng(&m, 0, 0);
	set32(&m, at + 4, len);
	if (trailer_too)
		set32(&m, at + len - 4, len);
	read_img(&m, m.n, &g);
	snprintf(desc, sizeof desc, "%s: %d frames, then an error", what, want_n);
	ok(g.n == want_n && g.rc == -1, desc);
	snprintf(desc, sizeof desc, "%s: says '%s'", what, want);
	if (!ok(strstr(g.err, want) != NULL, desc))
		printf("#   got '%s'\n", g.err);
}

static void test_pcapng_bad(void)
{
	struct img m = { 0 };
	struct got g;
	size_t shb_len = 28, idb0 = shb_len, idb0_len = 20 + 12, idb1 = idb0 + idb0_len;
	size_t idb1_len = 20 + 8 + 8 + 4, nrb = idb1 + idb1_len, epb0 = nrb + 16;
	char want[128];

	snprintf(want, sizeof want, "corrupt block at frame 1 (byte offset %zu): block length below 12", epb0);
	bad_len("EPB length below 12", epb0, 8, 0, 0, want);
	bad_len("EPB length not a multiple of 4", epb0, 50, 0, 0, "not a multiple of 4");
	bad_len("EPB trailer differs", epb0, 52, 0, 0, "differs from its trailing copy");
	snprintf(want, sizeof want, "truncated at frame 1 (byte offset %zu)", epb0);
	bad_len("EPB beyond the file", epb0, 100000, 0, 0, want);
	bad_len("EPB shorter than its fixed part", epb0, 28, 1, 0, "shorter than its fixed part");
	bad_len("IDB shorter than its fixed part", idb0, 16, 1, 0, "interface block shorter");

	m.n = 0;
	build_ng(&m, 0, 0);
	set32(&m, epb0 + 20, 200);       /* captured length beyond the block */
	read_img(&m, m.n, &g);
	ok(g.n == 0 && strstr(g.err, "captured length beyond its block") != NULL, "EPB caplen beyond its block: corrupt");
	m.n = 0;
	build_ng(&m, 0, 0);
	set32(&m, epb0 + 8, 7);          /* interface 7 of 2 */
	read_img(&m, m.n, &g);
	if (!ok(g.n == 0 && strstr(g.err, "undeclared interface") != NULL, "EPB of an undeclared interface: corrupt"))
		printf("#   %d frames, '%s'\n", g.n, g.err);
	m.n = 0;
	build_ng(&m, 0, 0);
	memcpy(m.b + 8, "\x01\x02\x03\x04", 4);
	read_img(&m, m.n, &g);
	ok(g.n == 0 && strstr(g.err, "no byte-order magic") != NULL, "SHB without its byte-order magic: corrupt");
	m.n = 0;
	build_ng(&m, 0, 0);
	m.b[12] = 2;                     /* major version 2 */
	read_img(&m, m.n, &g);
	if (!ok(g.n == 0 && strstr(g.err, "unsupported pcapng version 2") != NULL, "pcapng version 2: refused"))
		printf("#   %d frames, '%s'\n", g.n, g.err);

	/* Every cut of the file: never more frames than the blocks before the cut, always an error or the end. */
	{
		size_t full = build_ng(&(struct img){ 0 }, 0, 1);
		int bad = 0, prev = 0;

		memset(&m, 0, sizeof m);
		build_ng(&m, 0, 1);
		for (size_t cut = 0; cut <= full; cut++) {
			read_img(&m, cut, &g);
			if (g.n < 0) {          /* not even a magic number: only the first 3 cuts */
				bad += cut >= 4;
				continue;
			}
			if (g.n > prev + 1 || g.n < prev || (cut < full && g.rc == 0 && g.n == 5) ||
			    (g.rc < 0 && strstr(g.err, "truncated at frame") == NULL))
				bad++;
			if (g.n > prev)
				prev = g.n;
		}
		is_int(bad, 0, "pcapng cut at every byte: frames before the cut, then 'truncated at frame N'");
		is_int(prev, 5, "pcapng cut at every byte: the whole file gives all 5");
	}
}

/* ---- pcapfile_load ---------------------------------------------------------- */

static void test_load(void)
{
	char dir[] = "/tmp/test_pcapfile.XXXXXX", path[96], err[160];
	struct img m = { 0 };
	struct timeline tl;
	char **names;
	size_t n;
	int trunc;
	FILE *f;

	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof path, "%s/office.pcapng", dir);
	build_ng(&m, 0, 0);
	f = fopen(path, "wb");
	fwrite(m.b, 1, m.n, f);
	fclose(f);
	timeline_init(&tl);
	is_int(pcapfile_load(path, &tl, &names, &n, &trunc, err, sizeof err), 0, "load pcapng: 0");
	ok(tl.n == 5 && n == 3 && !trunc, "load pcapng: 5 packets, 3 links, not truncated");
	ok(n == 3 && strcmp(names[0], "office:eth0") == 0 && strcmp(names[1], "office:any") == 0 &&
	   strcmp(names[2], "office:2") == 0, "load pcapng: links office:eth0, office:any, office:2");
	ok(tl.n == 5 && tl.p[0].t == 0 && tl.p[0].frame == 1 && tl.p[4].link == 2 && tl.p[4].t == 3.0,
	   "load pcapng: times from the first frame, frames and links kept");
	ok(tl.n == 5 && tl.p[0].f.cls == PKT_NONIP && tl.p[0].f.has_eth == 1 && tl.p[4].f.cls == PKT_INVALID &&
	   tl.p[4].f.has_eth == 0, "load pcapng: frames dissected by their interface's link type");
	pcapfile_free_names(names, n);
	timeline_free(&tl);

	snprintf(path, sizeof path, "%s/wan.pcap", dir);
	memset(&m, 0, sizeof m);
	classic_header(&m, 0xa1b2c3d4u, 147);   /* a user link type the dissector does not know */
	classic_record(&m, 5, 0, frame_a, sizeof frame_a, sizeof frame_a);
	classic_record(&m, 6, 0, frame_b, sizeof frame_b, sizeof frame_b);
	f = fopen(path, "wb");
	fwrite(m.b, 1, m.n - 2, f);
	fclose(f);
	timeline_init(&tl);
	is_int(pcapfile_load(path, &tl, &names, &n, &trunc, err, sizeof err), 0, "load truncated: 0");
	ok(tl.n == 1 && trunc && n == 1 && strcmp(names[0], "wan") == 0, "load truncated: frame 1 kept, flagged, link 'wan'");
	is_str(err, "truncated at frame 2 (byte offset 54)", "load truncated: where");
	ok(tl.n == 1 && tl.p[0].f.cls == PKT_NONIP, "load: an unknown link type is non-ip");
	pcapfile_free_names(names, n);
	timeline_free(&tl);
	unlink(path);
	snprintf(path, sizeof path, "%s/office.pcapng", dir);
	unlink(path);

	/* Two interfaces concatenated (mergecap -a): the timeline is in time order all the same. */
	snprintf(path, sizeof path, "%s/cat.pcapng", dir);
	memset(&m, 0, sizeof m);
	shb(&m);
	idb(&m, 1, "a", -1);
	idb(&m, 1, "b", -1);
	for (int i = 0; i < 6; i++)
		epb(&m, i < 3 ? 0 : 1, 1700000000ull * 1000000 + (uint64_t)(i < 3 ? 2 * i : 2 * (i - 3) + 1) * 1000,
		    frame_b, sizeof frame_b, 5);
	f = fopen(path, "wb");
	fwrite(m.b, 1, m.n, f);
	fclose(f);
	timeline_init(&tl);
	pcapfile_load(path, &tl, &names, &n, &trunc, err, sizeof err);
	ok(tl.n == 6 && tl.p[0].frame == 1 && tl.p[1].frame == 4 && tl.p[2].frame == 2 && tl.p[3].frame == 5 &&
	   tl.p[4].frame == 3 && tl.p[5].frame == 6 && tl.p[1].link == 1 && tl.p[5].t > 0.0049,
	   "load concatenated interfaces: frames 1 4 2 5 3 6, in time order");
	pcapfile_free_names(names, n);
	timeline_free(&tl);
	unlink(path);
	rmdir(dir);

	timeline_init(&tl);
	is_int(pcapfile_load("/nonexistent/x.pcap", &tl, &names, &n, &trunc, err, sizeof err), -1, "load missing: -1");
	ok(strstr(err, "No such file") != NULL && names == NULL && n == 0, "load missing: says why, no names");
	is_int(pcapfile_load("/etc", &tl, &names, &n, &trunc, err, sizeof err), -1, "load a directory: -1");
	timeline_free(&tl);
}

static void test_names(void)
{
	struct pcap_iface ifs[2] = { { 1, "eth0" }, { 113, "" } };
	char **names = pcapfile_link_names("cap", ifs, 2, 1);
	char *stem;

	ok(names && strcmp(names[0], "cap:eth0") == 0 && strcmp(names[1], "cap:1") == 0, "names: stem:ifname, stem:N");
	pcapfile_free_names(names, 2);
	names = pcapfile_link_names("cap", ifs, 1, 0);
	ok(names && strcmp(names[0], "cap") == 0, "names: one interface is the stem alone");
	pcapfile_free_names(names, 1);
	stem = pcapfile_stem("/a/b.c/wan.pcap.gz");
	is_str(stem, "wan.pcap", "stem: the last extension goes");
	free(stem);
	stem = pcapfile_stem(".hidden");
	is_str(stem, ".hidden", "stem: a leading dot stays");
	free(stem);
	stem = pcapfile_stem("-");
	is_str(stem, "stdin", "stem: - is stdin");
	free(stem);
}

int main(void)
{
	test_classic();
	test_classic_bad();
	test_pcapng();
	test_pcapng_count();
	test_pcapng_bad();
	test_load();
	test_names();
	return unit_done();
}
