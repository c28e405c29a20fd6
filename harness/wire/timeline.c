/*
** timeline: every decoded packet of a scenario, time-ordered, plus the two
** ways of showing one packet (a JSON line for the evidence file, a short
** human line for diagnostics).
*/
#include "wire/timeline.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TL_FIRST_CAP 256

void timeline_init(struct timeline *tl)
{
	tl->p = NULL;
	tl->n = 0;
	tl->cap = 0;
}

void timeline_free(struct timeline *tl)
{
	if (!tl)
		return;
	free(tl->p);
	timeline_init(tl);
}

static int timeline_grow(struct timeline *tl)
{
	size_t cap = tl->cap ? tl->cap : TL_FIRST_CAP / 2;
	struct tl_packet *p;

	if (cap > SIZE_MAX / 2 / sizeof *p) {
		errno = ENOMEM;
		return -1;
	}
	cap *= 2;
	p = realloc(tl->p, cap * sizeof *p);
	if (!p) {
		errno = ENOMEM;
		return -1;
	}
	tl->p = p;
	tl->cap = cap;
	return 0;
}

/*
** Insert keeping time order. Captures are read link by link or interleaved
** by arrival, so the new packet nearly always belongs at (or near) the end:
** search backwards. Equal times go after existing ones (arrival order).
*/
int timeline_add(struct timeline *tl, const struct tl_packet *pkt)
{
	size_t i;

	if (tl->n == tl->cap && timeline_grow(tl) < 0)
		return -1;
	i = tl->n;
	while (i > 0 && tl->p[i - 1].t > pkt->t)
		i--;
	memmove(&tl->p[i + 1], &tl->p[i], (tl->n - i) * sizeof *tl->p);
	tl->p[i] = *pkt;
	tl->n++;
	return 0;
}

int timeline_append(struct timeline *tl, const struct tl_packet *pkt)
{
	if (tl->n == tl->cap && timeline_grow(tl) < 0)
		return -1;
	tl->p[tl->n++] = *pkt;
	return 0;
}

/* Stable merge of the sorted runs a[lo, mid) and a[mid, hi) through tmp. */
static void tl_merge(struct tl_packet *a, struct tl_packet *tmp, size_t lo, size_t mid, size_t hi)
{
	size_t i = lo, j = mid, k = lo;

	while (i < mid && j < hi)
		tmp[k++] = a[j].t < a[i].t ? a[j++] : a[i++];
	while (i < mid)
		tmp[k++] = a[i++];
	while (j < hi)
		tmp[k++] = a[j++];
	memcpy(a + lo, tmp + lo, (hi - lo) * sizeof *a);
}

/* Bottom-up merge sort: O(n log n) moves, where insertion is O(n^2) on a concatenated file. */
int timeline_sort(struct timeline *tl)
{
	struct tl_packet *tmp;
	size_t i, n = tl->n;

	for (i = 1; i < n && !(tl->p[i].t < tl->p[i - 1].t); i++)
		;
	if (i >= n)
		return 0;               /* already in order: the usual case */
	tmp = malloc(n * sizeof *tmp);
	if (tmp == NULL) {
		errno = ENOMEM;
		return -1;
	}
	for (size_t width = 1; width < n; width *= 2)
		for (size_t lo = 0; lo + width < n; lo += 2 * width)
			tl_merge(tl->p, tmp, lo, lo + width, lo + 2 * width < n ? lo + 2 * width : n);
	free(tmp);
	return 0;
}

static void tl_ip4(uint32_t a, char out[16])
{
	snprintf(out, 16, "%u.%u.%u.%u", (unsigned)(a >> 24), (unsigned)(a >> 16) & 0xff,
	         (unsigned)(a >> 8) & 0xff, (unsigned)a & 0xff);
}

static const char *tl_class_name(enum pkt_class cls)
{
	const char *s = dissect_class_name(cls);

	return s ? s : "unknown";
}

/* ---- JSON ---------------------------------------------------------------- */

/*
** The JSON line is built in a buffer by hand and written with one fwrite:
** `vpnlab decode --json` writes millions of lines, and a printf per field
** was most of its time. The output is byte for byte what the printf
** version wrote (tests/unit/test_timeline.c holds it to that).
*/
#define JB_CAP 4096

struct jbuf {
	FILE *out;
	size_t n;
	char b[JB_CAP];
};

static void jb_flush(struct jbuf *j)
{
	if (j->n)
		fwrite(j->b, 1, j->n, j->out);
	j->n = 0;
}

/* Room for k more bytes (k well below JB_CAP). */
static char *jb_room(struct jbuf *j, size_t k)
{
	if (j->n + k > JB_CAP)
		jb_flush(j);
	return j->b + j->n;
}

static void jb_mem_slow(struct jbuf *j, const char *s, size_t k)
{
	jb_flush(j);
	if (k > JB_CAP / 2) {
		fwrite(s, 1, k, j->out);
		return;
	}
	memcpy(j->b, s, k);
	j->n = k;
}

/* Inline, so that a literal's memcpy of a constant size is a few moves. */
static inline void jb_mem(struct jbuf *j, const char *s, size_t k)
{
	if (j->n + k <= JB_CAP) {
		memcpy(j->b + j->n, s, k);
		j->n += k;
		return;
	}
	jb_mem_slow(j, s, k);
}

#define jb_lit(j, s) jb_mem((j), (s), sizeof(s) - 1)

static void jb_char(struct jbuf *j, char c)
{
	*jb_room(j, 1) = c;
	j->n++;
}

/* Decimal, two digits a step (the hottest formatting of decode --json). */
static void jb_u64(struct jbuf *j, uint64_t v)
{
	static const char pairs[] =
		"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
		"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
		"8081828384858687888990919293949596979899";
	char tmp[20], *p = jb_room(j, sizeof tmp);
	size_t k = sizeof tmp;

	if (v < 10) {
		*p = (char)('0' + v);
		j->n++;
		return;
	}
	while (v >= 100) {
		k -= 2;
		memcpy(tmp + k, pairs + 2 * (v % 100), 2);
		v /= 100;
	}
	if (v >= 10) {
		k -= 2;
		memcpy(tmp + k, pairs + 2 * v, 2);
	} else {
		tmp[--k] = (char)('0' + v);
	}
	memcpy(p, tmp + k, sizeof tmp - k);
	j->n += sizeof tmp - k;
}

static void jb_int(struct jbuf *j, long long v)
{
	if (v < 0) {
		jb_char(j, '-');
		jb_u64(j, 0 - (uint64_t)v);
	} else {
		jb_u64(j, (uint64_t)v);
	}
}

/* Lower-case hex, zero-padded to width digits (as %0*x). */
static void jb_hex(struct jbuf *j, uint64_t v, int width)
{
	static const char digits[] = "0123456789abcdef";
	char *p = jb_room(j, (size_t)width);

	for (int i = width - 1; i >= 0; i--, v >>= 4)
		p[i] = digits[v & 15];
	j->n += (size_t)width;
}

static void jb_ip4(struct jbuf *j, uint32_t a)
{
	for (int shift = 24; shift >= 0; shift -= 8) {
		jb_u64(j, a >> shift & 0xff);
		if (shift)
			jb_char(j, '.');
	}
}

static void jb_mac(struct jbuf *j, const uint8_t *m)
{
	static const char digits[] = "0123456789abcdef";
	char *p = jb_room(j, 17);

	for (int i = 0; i < 6; i++) {
		p[3 * i] = digits[m[i] >> 4];
		p[3 * i + 1] = digits[m[i] & 15];
		if (i < 5)
			p[3 * i + 2] = ':';
	}
	j->n += 17;
}

/*
** The exact error of the rounded product p = a * b (Dekker's two-product:
** each factor split into halves whose products are exact), so that
** a * b == p + error exactly. No libm, no fused multiply-add needed.
*/
static double product_error(double a, double b, double p)
{
	double ca = 134217729.0 * a, cb = 134217729.0 * b;   /* 2^27 + 1 */
	double ah = ca - (ca - a), al = a - ah, bh = cb - (cb - b), bl = b - bh;

	return ((ah * bh - p) + ah * bl + al * bh) + al * bl;
}

/*
** t as "%.6f" does it: round to nearest, ties to even, on the exact binary
** value. t * 1e6 is rounded once by the multiplication; only when its
** fraction comes out exactly one half does the rounding error decide.
** Outside [0, 1e9) and for -0, printf itself.
*/
static void jb_time(struct jbuf *j, double t)
{
	double p, fr, e;
	uint64_t u;
	char tmp[32];

	if (signbit(t) || !(t < 1e9)) {
		int k = snprintf(tmp, sizeof tmp, "%.6f", t);

		jb_mem(j, tmp, k > 0 ? (size_t)k : 0);
		return;
	}
	p = t * 1e6;
	u = (uint64_t)p;                /* floor: p >= 0 and < 2^50 */
	fr = p - (double)u;
	if (fr > 0.5) {
		u++;
	} else if (fr == 0.5) {
		e = product_error(t, 1e6, p);
		if (e > 0 || (e == 0 && (u & 1)))
			u++;
	}
	jb_u64(j, u / 1000000);
	jb_char(j, '.');
	u %= 1000000;
	for (int i = 5; i >= 0; i--, u /= 10)
		tmp[i] = (char)('0' + u % 10);
	jb_mem(j, tmp, 6);
}

/* Length of a valid UTF-8 sequence at s, 0 when the bytes there are not one. */
static size_t tl_utf8_len(const unsigned char *s)
{
	unsigned c = s[0];
	uint32_t cp, min;
	size_t n, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, min = 0x80;
	else if ((c & 0xf0) == 0xe0)
		n = 3, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, min = 0x10000;
	else
		return 0;
	cp = c & (0x7fu >> n);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)   /* also stops at the terminating NUL */
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* One byte of ASCII as JSON wants it. */
static void jb_ascii(struct jbuf *j, unsigned char c)
{
	switch (c) {
	case '"': jb_lit(j, "\\\""); break;
	case '\\': jb_lit(j, "\\\\"); break;
	case '\n': jb_lit(j, "\\n"); break;
	case '\r': jb_lit(j, "\\r"); break;
	case '\t': jb_lit(j, "\\t"); break;
	case '\b': jb_lit(j, "\\b"); break;
	case '\f': jb_lit(j, "\\f"); break;
	default:
		if (c < 0x20) {
			jb_lit(j, "\\u00");
			jb_hex(j, c, 2);
		} else {
			jb_char(j, (char)c);
		}
	}
}

/*
** A JSON string literal. JSON text must be UTF-8: invalid bytes (a link name
** can be anything) become U+FFFD rather than making the whole line unreadable.
*/
static void jb_str(struct jbuf *j, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	jb_char(j, '"');
	while (*p) {
		size_t n = 0;

		while (p[n] >= 0x20 && p[n] < 0x7f && p[n] != '"' && p[n] != '\\')
			n++;                /* a run that needs no escaping, in one copy */
		if (n > 0) {
			jb_mem(j, (const char *)p, n);
			p += n;
			continue;
		}
		n = tl_utf8_len(p);

		if (n == 0) {
			jb_lit(j, "\\ufffd");
			p++;
		} else if (n > 1) {
			jb_mem(j, (const char *)p, n);
			p += n;
		} else {
			jb_ascii(j, *p++);
		}
	}
	jb_char(j, '"');
}

static void jb_bool(struct jbuf *j, int v)
{
	if (v)
		jb_lit(j, "true");
	else
		jb_lit(j, "false");
}

/* A name from a table, or the number when the table has none. */
static void jb_name_or_int(struct jbuf *j, const char *name, long long num)
{
	if (name)
		jb_str(j, name);
	else
		jb_int(j, num);
}

static void tl_json_ike(struct jbuf *j, const struct pkt_facts *f)
{
	jb_lit(j, ",\"ike\":{\"version\":");
	jb_int(j, f->ike_version);
	jb_lit(j, ",\"exchange\":");
	jb_name_or_int(j, dissect_ike_exchange_name(f->ike_version, f->ike_exchange), f->ike_exchange);
	jb_lit(j, ",\"initiator\":");
	jb_bool(j, f->ike_initiator);
	jb_lit(j, ",\"response\":");
	jb_bool(j, f->ike_response);
	jb_lit(j, ",\"nonesp\":");
	jb_bool(j, f->ike_nonesp);
	jb_lit(j, ",\"msgid\":");
	jb_u64(j, f->ike_msgid);
	jb_lit(j, ",\"ispi\":\"");
	jb_hex(j, f->ike_ispi, 16);
	jb_lit(j, "\",\"rspi\":\"");
	jb_hex(j, f->ike_rspi, 16);
	jb_lit(j, "\"}");
}

static void tl_json_l2tp(struct jbuf *j, const struct pkt_facts *f)
{
	jb_lit(j, ",\"l2tp\":{\"control\":");
	jb_bool(j, f->l2tp_control);
	if (f->l2tp_control) {
		jb_lit(j, ",\"type\":");
		jb_name_or_int(j, dissect_l2tp_msg_name(f->l2tp_msgtype), f->l2tp_msgtype);
	}
	jb_lit(j, ",\"tunnel\":");
	jb_u64(j, f->l2tp_tunnel);
	jb_lit(j, ",\"session\":");
	jb_u64(j, f->l2tp_session);
	jb_char(j, '}');
}

static void tl_json_ppp(struct jbuf *j, const struct pkt_facts *f)
{
	const char *proto = dissect_ppp_proto_name(f->ppp_proto);
	const char *code = dissect_ppp_code_name(f->ppp_proto, f->ppp_code);

	jb_lit(j, ",\"ppp\":{\"protocol\":");
	if (proto) {
		jb_str(j, proto);
	} else {
		jb_lit(j, "\"0x");
		jb_hex(j, f->ppp_proto, 4);
		jb_char(j, '"');
	}
	if (code) {
		jb_lit(j, ",\"code\":");
		jb_str(j, code);
	} else if (f->ppp_code >= 0) {
		jb_lit(j, ",\"code\":");
		jb_int(j, f->ppp_code);
	}
	jb_char(j, '}');
}

/* ",\"esp\":{\"spi\":\"0x%08x\",\"seq\":%u}" and the same for AH. */
static void tl_json_spi(struct jbuf *j, const char *key, size_t keylen, uint32_t spi, uint32_t seq)
{
	jb_mem(j, key, keylen);
	jb_lit(j, "{\"spi\":\"0x");
	jb_hex(j, spi, 8);
	jb_lit(j, "\",\"seq\":");
	jb_u64(j, seq);
	jb_char(j, '}');
}

/* The facts added for issue 11: MACs, clear IKE notifies, SKF fragments, encryption. */
static void tl_json_new(struct jbuf *j, const struct pkt_facts *f)
{
	if (f->has_eth) {
		jb_lit(j, ",\"eth_src\":\"");
		jb_mac(j, f->eth_src);
		jb_char(j, '"');
	}
	if (f->has_eth == 1) {
		jb_lit(j, ",\"eth_dst\":\"");
		jb_mac(j, f->eth_dst);
		jb_char(j, '"');
	}
	if (f->cls != PKT_IKE)
		return;
	if (f->ike_nnotify > 0) {
		int kept = f->ike_nnotify < 4 ? f->ike_nnotify : 4;

		jb_lit(j, ",\"ike_notify\":[");
		for (int i = 0; i < kept; i++) {
			if (i)
				jb_char(j, ',');
			jb_name_or_int(j, dissect_ike_notify_name(f->ike_notify[i]), f->ike_notify[i]);
		}
		jb_char(j, ']');
	}
	if (f->ike_frag_total) {
		jb_lit(j, ",\"ike_frag\":[");
		jb_u64(j, f->ike_frag);
		jb_char(j, ',');
		jb_u64(j, f->ike_frag_total);
		jb_char(j, ']');
	}
	if (f->ike_encrypted)
		jb_lit(j, ",\"ike_encrypted\":true");
}

/* The fields that depend on what the packet is: only those that apply. */
static void tl_json_facts(struct jbuf *j, const struct pkt_facts *f)
{
	if (f->has_ip) {
		jb_lit(j, ",\"src\":\"");
		jb_ip4(j, f->src);
		jb_lit(j, "\",\"dst\":\"");
		jb_ip4(j, f->dst);
		jb_lit(j, "\",\"proto\":");
		jb_u64(j, f->proto);
	}
	if (f->has_ports) {
		jb_lit(j, ",\"sport\":");
		jb_u64(j, f->sport);
		jb_lit(j, ",\"dport\":");
		jb_u64(j, f->dport);
	}
	if (f->fragment) {
		jb_lit(j, ",\"fragment\":true,\"mf\":");
		jb_bool(j, f->more_fragments);
		jb_lit(j, ",\"offset\":");
		jb_u64(j, f->frag_offset);
	}
	if (f->cls == PKT_ICMP) {
		jb_lit(j, ",\"icmp_type\":");
		jb_u64(j, f->icmp_type);
		jb_lit(j, ",\"icmp_code\":");
		jb_u64(j, f->icmp_code);
	}
	if (f->cls == PKT_IKE)
		tl_json_ike(j, f);
	if (f->cls == PKT_ESP || f->cls == PKT_ESP_UDP)
		tl_json_spi(j, ",\"esp\":", 7, f->esp_spi, f->esp_seq);
	if (f->cls == PKT_AH)
		tl_json_spi(j, ",\"ah\":", 6, f->ah_spi, f->ah_seq);
	if (f->cls == PKT_L2TP)
		tl_json_l2tp(j, f);
	if (f->cls == PKT_L2TP && f->has_ppp)
		tl_json_ppp(j, f);
	tl_json_new(j, f);
	if (f->problem) {
		jb_lit(j, ",\"problem\":");
		jb_str(j, f->problem);
	}
}

void timeline_json_string(FILE *out, const char *s)
{
	struct jbuf j;

	j.out = out;
	j.n = 0;
	jb_str(&j, s);
	jb_flush(&j);
}

/* One object per line; a link without a name is given by its index. */
void timeline_write_json(FILE *out, const struct tl_packet *pkt, const char *link_name)
{
	struct jbuf j;

	j.out = out;
	j.n = 0;
	jb_lit(&j, "{\"t\":");
	if (isfinite(pkt->t))
		jb_time(&j, pkt->t);
	else
		jb_lit(&j, "null");
	jb_lit(&j, ",\"link\":");
	if (link_name)
		jb_str(&j, link_name);
	else
		jb_int(&j, pkt->link);
	jb_lit(&j, ",\"frame\":");
	jb_u64(&j, pkt->frame);
	jb_lit(&j, ",\"len\":");
	jb_u64(&j, pkt->wirelen);
	jb_lit(&j, ",\"class\":");
	jb_str(&j, tl_class_name(pkt->f.cls));
	tl_json_facts(&j, &pkt->f);
	if (pkt->inner.state != INNER_NONE) {
		jb_lit(&j, ",\"inner\":{\"state\":");
		jb_str(&j, inner_state_text(&pkt->inner));
		if (pkt->inner.state == INNER_OK) {
			jb_lit(&j, ",\"next_header\":");
			jb_u64(&j, pkt->inner.next_header);
			jb_lit(&j, ",\"class\":");
			jb_str(&j, tl_class_name(pkt->inner.f.cls));
			tl_json_facts(&j, &pkt->inner.f);
		}
		jb_char(&j, '}');
	}
	jb_lit(&j, "}\n");
	jb_flush(&j);
}

/* ---- human line ----------------------------------------------------------- */

struct tl_sbuf {
	char *buf;
	size_t len, pos;
};

/* Appends, truncating silently at the end of the buffer (always terminated). */
__attribute__((format(printf, 2, 3)))
static void tl_addf(struct tl_sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->len == 0 || b->pos >= b->len - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->buf + b->pos, b->len - b->pos, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	b->pos += (size_t)n;
	if (b->pos > b->len - 1)
		b->pos = b->len - 1;
}

static void tl_describe_ike(struct tl_sbuf *b, const struct pkt_facts *f)
{
	const char *ex = dissect_ike_exchange_name(f->ike_version, f->ike_exchange);

	if (ex)
		tl_addf(b, " %s", ex);
	else
		tl_addf(b, " exchange %d", f->ike_exchange);
	tl_addf(b, " v%d", f->ike_version);
	if (f->ike_initiator || f->ike_response)
		tl_addf(b, " %s%s", f->ike_initiator ? "I" : "", f->ike_response ? "R" : "");
	for (int i = 0; i < f->ike_nnotify && i < 4; i++) {
		const char *n = dissect_ike_notify_name(f->ike_notify[i]);

		if (n)
			tl_addf(b, " N(%s)", n);
		else
			tl_addf(b, " N(%u)", (unsigned)f->ike_notify[i]);
	}
	if (f->ike_frag_total)
		tl_addf(b, " frag %u/%u", (unsigned)f->ike_frag, (unsigned)f->ike_frag_total);
}

static void tl_describe_l2tp(struct tl_sbuf *b, const struct pkt_facts *f)
{
	if (f->l2tp_control) {
		const char *name = dissect_l2tp_msg_name(f->l2tp_msgtype);

		if (name)
			tl_addf(b, " %s", name);
		else
			tl_addf(b, " type %d", f->l2tp_msgtype);
	} else {
		tl_addf(b, " data");
	}
	tl_addf(b, " tunnel %u session %u", (unsigned)f->l2tp_tunnel, (unsigned)f->l2tp_session);
}

static void tl_describe_ppp(struct tl_sbuf *b, const struct pkt_facts *f)
{
	const char *proto = dissect_ppp_proto_name(f->ppp_proto);
	const char *code = dissect_ppp_code_name(f->ppp_proto, f->ppp_code);

	if (proto)
		tl_addf(b, " ppp %s", proto);
	else
		tl_addf(b, " ppp 0x%04x", (unsigned)f->ppp_proto);
	if (code)
		tl_addf(b, " %s", code);
	else if (f->ppp_code >= 0)
		tl_addf(b, " code %d", f->ppp_code);
}

/* What follows the class name: the few facts a person looks for first. */
static void tl_describe_tail(struct tl_sbuf *b, const struct pkt_facts *f)
{
	switch (f->cls) {
	case PKT_IKE: tl_describe_ike(b, f); break;
	case PKT_ESP:
	case PKT_ESP_UDP:
		tl_addf(b, " spi 0x%08" PRIx32 " seq %" PRIu32, f->esp_spi, f->esp_seq);
		break;
	case PKT_AH: tl_addf(b, " spi 0x%08" PRIx32 " seq %" PRIu32, f->ah_spi, f->ah_seq); break;
	case PKT_L2TP:
		tl_describe_l2tp(b, f);
		if (f->has_ppp)
			tl_describe_ppp(b, f);
		break;
	case PKT_ICMP:
		tl_addf(b, " type %u code %u", (unsigned)f->icmp_type, (unsigned)f->icmp_code);
		break;
	case PKT_OTHER:
	case PKT_FRAGMENT:
		if (f->has_ip)
			tl_addf(b, " proto %u", (unsigned)f->proto);
		break;
	default: break;
	}
	if (f->fragment)
		tl_addf(b, " offset %u%s", (unsigned)f->frag_offset, f->more_fragments ? " mf" : "");
	if (f->problem)
		tl_addf(b, ": %s", f->problem);
}

void timeline_describe(char *buf, size_t len, const struct tl_packet *pkt, const char *link_name)
{
	struct tl_sbuf b = { buf, len, 0 };
	const struct pkt_facts *f = &pkt->f;
	char s[16], d[16];

	if (len == 0)
		return;
	buf[0] = '\0';
	tl_addf(&b, "%.3f ", pkt->t);
	if (link_name)
		tl_addf(&b, "%s ", link_name);
	else
		tl_addf(&b, "link%d ", pkt->link);
	if (f->has_ip) {
		tl_ip4(f->src, s);
		tl_ip4(f->dst, d);
		if (f->has_ports)
			tl_addf(&b, "%s:%u > %s:%u ", s, (unsigned)f->sport, d, (unsigned)f->dport);
		else
			tl_addf(&b, "%s > %s ", s, d);
	}
	tl_addf(&b, "%s", tl_class_name(f->cls));
	tl_describe_tail(&b, f);
	if (pkt->inner.state == INNER_OK) {
		const struct pkt_facts *in = &pkt->inner.f;
		tl_addf(&b, " [inner");
		if (in->has_ports)
			tl_addf(&b, " %u>%u", (unsigned)in->sport, (unsigned)in->dport);
		tl_addf(&b, " %s", tl_class_name(in->cls));
		tl_describe_tail(&b, in);
		tl_addf(&b, "]");
	} else if (pkt->inner.state != INNER_NONE) {
		tl_addf(&b, " [%s]", inner_state_text(&pkt->inner));
	}
}
