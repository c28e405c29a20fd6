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

/*
** A JSON string literal. JSON text must be UTF-8: invalid bytes (a link name
** can be anything) become U+FFFD rather than making the whole line unreadable.
*/
static void tl_json_str(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', out);
	while (*p) {
		size_t n = tl_utf8_len(p);

		if (n == 0) {
			fputs("\\ufffd", out);
			p++;
			continue;
		}
		if (n > 1) {
			fwrite(p, 1, n, out);
			p += n;
			continue;
		}
		switch (*p) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\r': fputs("\\r", out); break;
		case '\t': fputs("\\t", out); break;
		case '\b': fputs("\\b", out); break;
		case '\f': fputs("\\f", out); break;
		default:
			if (*p < 0x20)
				fprintf(out, "\\u%04x", *p);
			else
				fputc(*p, out);
		}
		p++;
	}
	fputc('"', out);
}

static const char *tl_bool(int v)
{
	return v ? "true" : "false";
}

static void tl_json_ike(FILE *out, const struct pkt_facts *f)
{
	const char *ex = dissect_ike_exchange_name(f->ike_version, f->ike_exchange);

	fprintf(out, ",\"ike\":{\"version\":%d,\"exchange\":", f->ike_version);
	if (ex)
		tl_json_str(out, ex);
	else
		fprintf(out, "%d", f->ike_exchange);
	fprintf(out, ",\"initiator\":%s,\"response\":%s,\"nonesp\":%s,\"msgid\":%" PRIu32
	        ",\"ispi\":\"%016" PRIx64 "\",\"rspi\":\"%016" PRIx64 "\"}",
	        tl_bool(f->ike_initiator), tl_bool(f->ike_response), tl_bool(f->ike_nonesp),
	        f->ike_msgid, f->ike_ispi, f->ike_rspi);
}

static void tl_json_l2tp(FILE *out, const struct pkt_facts *f)
{
	fprintf(out, ",\"l2tp\":{\"control\":%s", tl_bool(f->l2tp_control));
	if (f->l2tp_control) {
		const char *name = dissect_l2tp_msg_name(f->l2tp_msgtype);

		fputs(",\"type\":", out);
		if (name)
			tl_json_str(out, name);
		else
			fprintf(out, "%d", f->l2tp_msgtype);
	}
	fprintf(out, ",\"tunnel\":%u,\"session\":%u}", (unsigned)f->l2tp_tunnel,
	        (unsigned)f->l2tp_session);
}

static void tl_json_ppp(FILE *out, const struct pkt_facts *f)
{
	const char *proto = dissect_ppp_proto_name(f->ppp_proto);
	const char *code = dissect_ppp_code_name(f->ppp_proto, f->ppp_code);

	fputs(",\"ppp\":{\"protocol\":", out);
	if (proto)
		tl_json_str(out, proto);
	else
		fprintf(out, "\"0x%04x\"", (unsigned)f->ppp_proto);
	if (code) {
		fputs(",\"code\":", out);
		tl_json_str(out, code);
	} else if (f->ppp_code >= 0) {
		fprintf(out, ",\"code\":%d", f->ppp_code);
	}
	fputc('}', out);
}

/* The fields that depend on what the packet is: only those that apply. */
static void tl_json_facts(FILE *out, const struct pkt_facts *f)
{
	char a[16];

	if (f->has_ip) {
		tl_ip4(f->src, a);
		fprintf(out, ",\"src\":\"%s\"", a);
		tl_ip4(f->dst, a);
		fprintf(out, ",\"dst\":\"%s\",\"proto\":%u", a, (unsigned)f->proto);
	}
	if (f->has_ports)
		fprintf(out, ",\"sport\":%u,\"dport\":%u", (unsigned)f->sport, (unsigned)f->dport);
	if (f->fragment)
		fprintf(out, ",\"fragment\":true,\"mf\":%s,\"offset\":%u",
		        tl_bool(f->more_fragments), (unsigned)f->frag_offset);
	if (f->cls == PKT_ICMP)
		fprintf(out, ",\"icmp_type\":%u,\"icmp_code\":%u", (unsigned)f->icmp_type,
		        (unsigned)f->icmp_code);
	if (f->cls == PKT_IKE)
		tl_json_ike(out, f);
	if (f->cls == PKT_ESP || f->cls == PKT_ESP_UDP)
		fprintf(out, ",\"esp\":{\"spi\":\"0x%08" PRIx32 "\",\"seq\":%" PRIu32 "}",
		        f->esp_spi, f->esp_seq);
	if (f->cls == PKT_AH)
		fprintf(out, ",\"ah\":{\"spi\":\"0x%08" PRIx32 "\",\"seq\":%" PRIu32 "}",
		        f->ah_spi, f->ah_seq);
	if (f->cls == PKT_L2TP)
		tl_json_l2tp(out, f);
	if (f->cls == PKT_L2TP && f->has_ppp)
		tl_json_ppp(out, f);
	if (f->problem) {
		fputs(",\"problem\":", out);
		tl_json_str(out, f->problem);
	}
}

/* One object per line; a link without a name is given by its index. */
void timeline_json_string(FILE *out, const char *s)
{
	tl_json_str(out, s);
}

void timeline_write_json(FILE *out, const struct tl_packet *pkt, const char *link_name)
{
	fputs("{\"t\":", out);
	if (isfinite(pkt->t))
		fprintf(out, "%.6f", pkt->t);
	else
		fputs("null", out);
	fputs(",\"link\":", out);
	if (link_name)
		tl_json_str(out, link_name);
	else
		fprintf(out, "%d", pkt->link);
	fprintf(out, ",\"frame\":%" PRIu32 ",\"len\":%" PRIu32 ",\"class\":", pkt->frame,
	        pkt->wirelen);
	tl_json_str(out, tl_class_name(pkt->f.cls));
	tl_json_facts(out, &pkt->f);
	if (pkt->inner.state != INNER_NONE) {
		fputs(",\"inner\":{\"state\":", out);
		tl_json_str(out, inner_state_text(&pkt->inner));
		if (pkt->inner.state == INNER_OK) {
			fprintf(out, ",\"next_header\":%u,\"class\":", (unsigned)pkt->inner.next_header);
			tl_json_str(out, tl_class_name(pkt->inner.f.cls));
			tl_json_facts(out, &pkt->inner.f);
		}
		fputc('}', out);
	}
	fputs("}\n", out);
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
