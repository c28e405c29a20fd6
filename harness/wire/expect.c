/*
** expect: filters over decoded packets and the four assertion kinds. A
** failing assertion explains itself in a YAML body (two-space indented lines,
** no markers) that the TAP writer wraps: what was wanted, what was there
** instead, the first packet that broke the rule, and where the pcap is.
*/
#include "wire/expect.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EX_DESC_LEN 512   /* a filter or packet description */

/* ---- matching -------------------------------------------------------------- */

static int ex_bool_eq(int a, int b)
{
	return !a == !b;
}

/* The packet's exchange as a filter names it: its name, or its number when unknown. */
static int ex_ike_name_eq(const struct pkt_facts *pf, const char *want)
{
	const char *name = dissect_ike_exchange_name(pf->ike_version, pf->ike_exchange);
	char num[16];

	if (!name) {
		snprintf(num, sizeof num, "%d", pf->ike_exchange);
		name = num;
	}
	return strcmp(name, want) == 0;
}

static int ex_l2tp_eq(const struct pkt_facts *pf, int want)
{
	if (pf->cls != PKT_L2TP)
		return 0;
	if (want == PF_L2TP_ANY)
		return 1;
	if (want == PF_L2TP_DATA)
		return !pf->l2tp_control;
	return pf->l2tp_control && pf->l2tp_msgtype == want;
}

static int ex_spi_eq(const struct pkt_facts *pf, uint32_t spi)
{
	if (pf->cls == PKT_ESP || pf->cls == PKT_ESP_UDP)
		return pf->esp_spi == spi;
	return pf->cls == PKT_AH && pf->ah_spi == spi;
}

static int ex_transport_eq(const struct pkt_facts *pf, int proto, uint16_t port)
{
	return pf->has_ip && pf->proto == proto && pf->has_ports &&
	       (pf->sport == port || pf->dport == port);
}

/* Address and port fields: a packet without an IP (or port) header never matches them. */
static int ex_match_l3l4(const struct pkt_filter *f, const struct pkt_facts *pf)
{
	unsigned s = f->set;

	if ((s & (PF_PROTO | PF_SRC | PF_DST)) && !pf->has_ip)
		return 0;
	if ((s & PF_PROTO) && pf->proto != f->proto)
		return 0;
	if ((s & PF_SRC) && (pf->src & f->src_mask) != (f->src & f->src_mask))
		return 0;
	if ((s & PF_DST) && (pf->dst & f->dst_mask) != (f->dst & f->dst_mask))
		return 0;
	if ((s & (PF_SPORT | PF_DPORT | PF_PORT)) && !pf->has_ports)
		return 0;
	if ((s & PF_SPORT) && pf->sport != f->sport)
		return 0;
	if ((s & PF_DPORT) && pf->dport != f->dport)
		return 0;
	if ((s & PF_PORT) && pf->sport != f->port && pf->dport != f->port)
		return 0;
	if ((s & PF_UDP) && !ex_transport_eq(pf, 17, f->udp))
		return 0;
	if ((s & PF_TCP) && !ex_transport_eq(pf, 6, f->tcp))
		return 0;
	return 1;
}

/*
** Does the packet carry that notify in its clear payloads? Only the first
** four are kept by the dissector (ike_nnotify counts them all): a clear IKE
** message carries few, and the ones asked about (errors) come first or alone.
*/
static int ex_notify_has(const struct pkt_facts *pf, int want)
{
	int kept = pf->ike_nnotify < 4 ? pf->ike_nnotify : 4;

	for (int i = 0; i < kept; i++)
		if (pf->ike_notify[i] == want)
			return 1;
	return 0;
}

/* IKE fields: any of them set means only IKE packets can match. */
static int ex_match_ike(const struct pkt_filter *f, const struct pkt_facts *pf)
{
	unsigned s = f->set;

	if (!(s & (PF_IKE | PF_IKE_VERSION | PF_INITIATOR | PF_RESPONSE | PF_NONESP | PF_NOTIFY | PF_IKE_SPI)))
		return 1;
	if (pf->cls != PKT_IKE)
		return 0;
	if ((s & PF_IKE) && !ex_ike_name_eq(pf, f->ike))
		return 0;
	if ((s & PF_IKE_VERSION) && pf->ike_version != f->ike_version)
		return 0;
	if ((s & PF_INITIATOR) && !ex_bool_eq(pf->ike_initiator, f->initiator))
		return 0;
	if ((s & PF_RESPONSE) && !ex_bool_eq(pf->ike_response, f->response))
		return 0;
	if ((s & PF_NONESP) && !ex_bool_eq(pf->ike_nonesp, f->nonesp))
		return 0;
	if ((s & PF_NOTIFY) && !ex_notify_has(pf, f->notify))
		return 0;
	if ((s & PF_IKE_SPI) && pf->ike_ispi != f->ike_spi && pf->ike_rspi != f->ike_spi)
		return 0;
	return 1;
}

/* Class-like fields: esp, spi, keepalive, ah, l2tp, fragment, cls. */
static int ex_match_kind(const struct pkt_filter *f, const struct pkt_facts *pf)
{
	unsigned s = f->set;

	if (s & PF_ESP) {
		enum pkt_class want = f->esp == PF_ESP_RAW ? PKT_ESP : PKT_ESP_UDP;

		if ((f->esp != PF_ESP_RAW && f->esp != PF_ESP_UDP) || pf->cls != want)
			return 0;
	}
	if ((s & PF_SPI) && !ex_spi_eq(pf, f->spi))
		return 0;
	if ((s & PF_KEEPALIVE) && !ex_bool_eq(pf->cls == PKT_KEEPALIVE, f->keepalive))
		return 0;
	if ((s & PF_AH) && !ex_bool_eq(pf->cls == PKT_AH, f->ah))
		return 0;
	if ((s & PF_L2TP) && !ex_l2tp_eq(pf, f->l2tp))
		return 0;
	if ((s & PF_FRAGMENT) && !ex_bool_eq(pf->fragment, f->fragment))
		return 0;
	if ((s & PF_CLASS) && (int)pf->cls != f->cls)
		return 0;
	if ((s & PF_ICMP) && (pf->cls != PKT_ICMP || pf->icmp_type != f->icmp))
		return 0;
	if ((s & PF_PPP) && (!pf->has_ppp || pf->ppp_proto != f->ppp))
		return 0;
	if ((s & PF_PPP_CODE) && (!pf->has_ppp || pf->ppp_code != f->ppp_code))
		return 0;
	return 1;
}

static int ex_match_facts(const struct pkt_filter *f, const struct pkt_facts *pf)
{
	return ex_match_l3l4(f, pf) && ex_match_ike(f, pf) && ex_match_kind(f, pf);
}

/* inner: the ESP packet's decrypted view must be in the state asked, and match the inner filter. */
static int ex_match_inner(const struct pkt_filter *f, const struct inner_view *v)
{
	switch (f->inner) {
	case PF_INNER_DECRYPTED:
		return v->state == INNER_OK && (f->inner_filter == NULL || ex_match_facts(f->inner_filter, &v->f));
	case PF_INNER_UNDECRYPTABLE:
		return v->state == INNER_FAILED;
	case PF_INNER_NO_KEY:
		return v->state == INNER_NO_KEY;
	default:
		return 0;
	}
}

/* Every field that is set must match; an empty filter matches every packet. */
int pktfilter_match(const struct pkt_filter *f, const struct tl_packet *p)
{
	if ((f->set & PF_LINK) && p->link != f->link)
		return 0;
	if ((f->set & PF_INNER) && !ex_match_inner(f, &p->inner))
		return 0;
	return ex_match_facts(f, &p->f);
}

/* ---- bounded string building (descriptions) -------------------------------- */

struct ex_sbuf {
	char *buf;
	size_t len, pos;
};

/*
** Appends, truncating at the end of the buffer (which stays terminated).
** Fields are written as " key=value"; the first one in the buffer loses its
** separating space.
*/
__attribute__((format(printf, 2, 3)))
static void ex_addf(struct ex_sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->len == 0 || b->pos >= b->len - 1)
		return;
	if (b->pos == 0 && fmt[0] == ' ')
		fmt++;
	va_start(ap, fmt);
	n = vsnprintf(b->buf + b->pos, b->len - b->pos, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	b->pos += (size_t)n;
	if (b->pos > b->len - 1)
		b->pos = b->len - 1;
}

static const char *ex_tf(int v)
{
	return v ? "true" : "false";
}

/* "a.b.c.d" and "/len" unless the mask is /32; a non-contiguous mask is shown dotted. */
static void ex_add_addr(struct ex_sbuf *b, const char *key, uint32_t a, uint32_t mask)
{
	int len = 0;

	ex_addf(b, " %s=%u.%u.%u.%u", key, (unsigned)(a >> 24), (unsigned)(a >> 16) & 0xff,
	        (unsigned)(a >> 8) & 0xff, (unsigned)a & 0xff);
	if (mask == 0xffffffffu)
		return;
	while (len < 32 && (mask & (0x80000000u >> len)))
		len++;
	if (len == 32 || (uint32_t)(mask << len) != 0)   /* holes: not a prefix */
		ex_addf(b, "/%u.%u.%u.%u", (unsigned)(mask >> 24), (unsigned)(mask >> 16) & 0xff,
		        (unsigned)(mask >> 8) & 0xff, (unsigned)mask & 0xff);
	else
		ex_addf(b, "/%d", len);
}

static void ex_add_l2tp(struct ex_sbuf *b, int l2tp)
{
	const char *name;

	if (l2tp == PF_L2TP_ANY) {
		ex_addf(b, " l2tp=any");
	} else if (l2tp == PF_L2TP_DATA) {
		ex_addf(b, " l2tp=data");
	} else {
		name = dissect_l2tp_msg_name(l2tp);
		if (name)
			ex_addf(b, " l2tp=%s", name);
		else
			ex_addf(b, " l2tp=%d", l2tp);
	}
}

static void ex_add_kind(struct ex_sbuf *b, const struct pkt_filter *f)
{
	unsigned s = f->set;
	const char *cn;

	if (s & PF_CLASS) {
		cn = dissect_class_name((enum pkt_class)f->cls);
		if (cn)
			ex_addf(b, " class=%s", cn);
		else
			ex_addf(b, " class=%d", f->cls);
	}
	if (s & PF_PROTO)
		ex_addf(b, " proto=%d", f->proto);
	if (s & PF_UDP)
		ex_addf(b, " udp=%u", (unsigned)f->udp);
	if (s & PF_TCP)
		ex_addf(b, " tcp=%u", (unsigned)f->tcp);
	if (s & PF_IKE)
		ex_addf(b, " ike=%s", f->ike);
	if (s & PF_IKE_VERSION)
		ex_addf(b, " ike_version=%d", f->ike_version);
	if (s & PF_INITIATOR)
		ex_addf(b, " initiator=%s", ex_tf(f->initiator));
	if (s & PF_RESPONSE)
		ex_addf(b, " response=%s", ex_tf(f->response));
	if (s & PF_NONESP)
		ex_addf(b, " nonesp=%s", ex_tf(f->nonesp));
	if (s & PF_NOTIFY) {
		const char *name = dissect_ike_notify_name(f->notify);
		if (name)
			ex_addf(b, " notify=%s", name);
		else
			ex_addf(b, " notify=%d", f->notify);
	}
	if (s & PF_IKE_SPI)
		ex_addf(b, " ike_spi=0x%016" PRIx64, f->ike_spi);
}

static void ex_add_rest(struct ex_sbuf *b, const struct pkt_filter *f)
{
	unsigned s = f->set;

	if (s & PF_ESP)
		ex_addf(b, " esp=%s", f->esp == PF_ESP_RAW ? "raw" : f->esp == PF_ESP_UDP ? "udp" : "?");
	if (s & PF_SPI)
		ex_addf(b, " spi=0x%08" PRIx32, f->spi);
	if (s & PF_AH)
		ex_addf(b, " ah=%s", ex_tf(f->ah));
	if (s & PF_KEEPALIVE)
		ex_addf(b, " keepalive=%s", ex_tf(f->keepalive));
	if (s & PF_L2TP)
		ex_add_l2tp(b, f->l2tp);
	if (s & PF_FRAGMENT)
		ex_addf(b, " fragment=%s", ex_tf(f->fragment));
	if (s & PF_ICMP) {
		const char *name = dissect_icmp_type_name(f->icmp);
		if (name)
			ex_addf(b, " icmp=%s", name);
		else
			ex_addf(b, " icmp=%d", f->icmp);
	}
	if (s & PF_PPP) {
		const char *name = dissect_ppp_proto_name(f->ppp);
		if (name)
			ex_addf(b, " ppp=%s", name);
		else
			ex_addf(b, " ppp=0x%04x", (unsigned)f->ppp);
	}
	if (s & PF_PPP_CODE) {
		const char *name = dissect_ppp_code_name((s & PF_PPP) ? f->ppp : 0xc021, f->ppp_code);
		if (name)
			ex_addf(b, " ppp_code=%s", name);
		else
			ex_addf(b, " ppp_code=%d", f->ppp_code);
	}
	if (s & PF_SRC)
		ex_add_addr(b, "src", f->src, f->src_mask);
	if (s & PF_DST)
		ex_add_addr(b, "dst", f->dst, f->dst_mask);
	if (s & PF_SPORT)
		ex_addf(b, " sport=%u", (unsigned)f->sport);
	if (s & PF_DPORT)
		ex_addf(b, " dport=%u", (unsigned)f->dport);
	if (s & PF_PORT)
		ex_addf(b, " port=%u", (unsigned)f->port);
}

/*
** "link=wan ike=IKE_SA_INIT sport=500": link, then what kind of packet, then
** addresses and ports, always in that order so descriptions can be compared.
** An empty filter is "any". names[] is indexed by link without a bound: the
** caller passes NULL when the index may be out of range.
*/
void pktfilter_describe(const struct pkt_filter *f, char *buf, size_t len,
                        const char *const *link_names)
{
	struct ex_sbuf b = { buf, len, 0 };

	if (len == 0)
		return;
	buf[0] = '\0';
	if (f->set & PF_LINK) {
		const char *name = link_names && f->link >= 0 ? link_names[f->link] : NULL;

		if (name)
			ex_addf(&b, " link=%s", name);
		else
			ex_addf(&b, " link=%d", f->link);
	}
	ex_add_kind(&b, f);
	ex_add_rest(&b, f);
	if (f->set & PF_INNER) {
		if (f->inner == PF_INNER_UNDECRYPTABLE)
			ex_addf(&b, " inner=undecryptable");
		else if (f->inner == PF_INNER_NO_KEY)
			ex_addf(&b, " inner=no-key");
		else if (f->inner_filter == NULL)
			ex_addf(&b, " inner=decrypted");
		else {
			char in[200];
			pktfilter_describe(f->inner_filter, in, sizeof(in), NULL);
			ex_addf(&b, " inner={%s}", in);
		}
	}
	if (b.pos == 0)
		ex_addf(&b, "any");
}

/* ---- context helpers --------------------------------------------------------- */

static const char *ex_link_name(const struct expect_ctx *c, int link)
{
	if (!c->link_names || link < 0 || (size_t)link >= c->nlinks)
		return NULL;
	return c->link_names[link];
}

static void ex_filter_desc(const struct expect_ctx *c, const struct pkt_filter *f, char *buf)
{
	int named = !(f->set & PF_LINK) || ex_link_name(c, f->link);

	pktfilter_describe(f, buf, EX_DESC_LEN, named ? c->link_names : NULL);
}

/* The packet's human line and where to find it in its pcap. */
static void ex_pkt_desc(const struct expect_ctx *c, const struct tl_packet *p, char *buf)
{
	size_t n;

	timeline_describe(buf, EX_DESC_LEN, p, ex_link_name(c, p->link));
	n = strlen(buf);
	snprintf(buf + n, EX_DESC_LEN - n, " (frame %" PRIu32 ")", p->frame);
}

/* First index with t >= from: the timeline is sorted, so bisect. */
static size_t ex_window_start(const struct expect_ctx *c)
{
	size_t lo = 0, hi = c->tl->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->tl->p[mid].t < c->from)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Index just past the window. */
static size_t ex_window_end(const struct expect_ctx *c, size_t start)
{
	size_t i = start;

	while (i < c->tl->n && c->tl->p[i].t <= c->to)
		i++;
	return i;
}

/* The matches in the window: their number, and the first and last (SIZE_MAX if none). */
static size_t ex_scan(const struct expect_ctx *c, const struct pkt_filter *f, size_t *first,
                      size_t *last)
{
	size_t i, n = 0, start = ex_window_start(c), end = ex_window_end(c, start);

	*first = *last = SIZE_MAX;
	for (i = start; i < end; i++) {
		if (!pktfilter_match(f, &c->tl->p[i]))
			continue;
		if (n++ == 0)
			*first = i;
		*last = i;
	}
	return n;
}

size_t expect_count_matches(const struct expect_ctx *c, const struct pkt_filter *f)
{
	size_t first, last;

	return ex_scan(c, f, &first, &last);
}

/* ---- YAML diagnostics ---------------------------------------------------------- */

struct ex_dstr {
	char *s;
	size_t len, cap;
	int oom;
};

/* Room for `need` more bytes (and the terminator); sets oom on failure. */
static int ex_reserve(struct ex_dstr *d, size_t need)
{
	size_t cap = d->cap ? d->cap : 512;
	char *s;

	while (cap <= d->len + need) {
		if (cap > SIZE_MAX / 2) {
			d->oom = 1;
			return -1;
		}
		cap *= 2;
	}
	if (cap == d->cap)
		return 0;
	s = realloc(d->s, cap);
	if (!s) {
		d->oom = 1;
		return -1;
	}
	d->s = s;
	d->cap = cap;
	return 0;
}

/* Appends formatted text; after one failed allocation everything is dropped. */
__attribute__((format(printf, 2, 3)))
static void ex_yf(struct ex_dstr *d, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (d->oom)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || ex_reserve(d, (size_t)n) < 0) {
		d->oom = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(d->s + d->len, d->cap - d->len, fmt, ap);
	va_end(ap);
	d->len += (size_t)n;
}

/*
** `  key: "value"` as a YAML double-quoted scalar. Only the escapes that both
** YAML 1.1/1.2 and prove's YAMLish reader understand: \" \\ \n \t \xNN.
*/
static void ex_yq(struct ex_dstr *d, const char *key, const char *val)
{
	const unsigned char *p = (const unsigned char *)val;

	ex_yf(d, "  %s: \"", key);
	for (; *p; p++) {
		if (*p == '"' || *p == '\\')
			ex_yf(d, "\\%c", *p);
		else if (*p == '\n')
			ex_yf(d, "\\n");
		else if (*p == '\t')
			ex_yf(d, "\\t");
		else if (*p < 0x20 || *p == 0x7f)
			ex_yf(d, "\\x%02x", *p);
		else
			ex_yf(d, "%c", *p);
	}
	ex_yf(d, "\"\n");
}

/* A quoted value built with printf: messages are longer than any fixed buffer. */
__attribute__((format(printf, 3, 4)))
static void ex_yqf(struct ex_dstr *d, const char *key, const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		d->oom = 1;
		return;
	}
	ex_yq(d, key, s);
	free(s);
}

static void ex_window_text(const struct expect_ctx *c, char *buf, size_t len)
{
	if (isfinite(c->to))
		snprintf(buf, len, "%.3f..%.3f", c->from, c->to);
	else
		snprintf(buf, len, "%.3f..end", c->from);
}

/* The lines every failure ends with: the window and where the evidence is. */
static void ex_y_tail(struct ex_dstr *d, const struct expect_ctx *c)
{
	char w[96];

	ex_window_text(c, w, sizeof w);
	ex_yq(d, "window", w);
	if (c->pcap_hint)
		ex_yq(d, "pcap", c->pcap_hint);
	else
		ex_yf(d, "  pcap: ~\n");
}

static void ex_y_packet(struct ex_dstr *d, const struct expect_ctx *c, const char *key,
                        size_t idx)
{
	char buf[EX_DESC_LEN];

	ex_pkt_desc(c, &c->tl->p[idx], buf);
	ex_yq(d, key, buf);
}

/* Hands the text over, or reports ENOMEM. */
static int ex_finish(struct ex_dstr *d, struct expect_result *r)
{
	if (d->oom) {
		free(d->s);
		r->diag = NULL;
		errno = ENOMEM;
		return -1;
	}
	r->diag = d->s;
	return 0;
}

void expect_result_free(struct expect_result *r)
{
	if (!r)
		return;
	free(r->diag);
	r->diag = NULL;
}

/* ---- seen ---------------------------------------------------------------------- */

/* Names (IKE exchanges, notifies; a number when unknown) in first-seen order, with counts. */
struct ex_namehist {
	char name[32][40];
	size_t count[32];
	size_t n, other;
};

static void ex_namehist_add(struct ex_namehist *h, const char *name, int num)
{
	char numtext[24];
	size_t i;

	if (!name) {
		snprintf(numtext, sizeof numtext, "%d", num);
		name = numtext;
	}
	for (i = 0; i < h->n; i++) {
		if (strcmp(h->name[i], name) == 0) {
			h->count[i]++;
			return;
		}
	}
	if (h->n == 32) {   /* only garbage has this many kinds; keep the line short */
		h->other++;
		return;
	}
	snprintf(h->name[h->n], sizeof h->name[0], "%s", name);
	h->count[h->n++] = 1;
}

/* `  key: {NAME: n, ...}`, nothing when empty. */
static void ex_y_namehist(struct ex_dstr *d, const char *key, const struct ex_namehist *h)
{
	size_t i;

	if (h->n == 0)
		return;
	ex_yf(d, "  %s: {", key);
	for (i = 0; i < h->n; i++)
		ex_yf(d, "%s%s: %zu", i ? ", " : "", h->name[i], h->count[i]);
	if (h->other)
		ex_yf(d, ", others: %zu", h->other);
	ex_yf(d, "}\n");
}

static void ex_y_classes(struct ex_dstr *d, const size_t cls[PKT_CLASS_COUNT])
{
	const char *sep = "";
	size_t i;

	ex_yf(d, "  seen_instead: {");
	for (i = 0; i < PKT_CLASS_COUNT; i++) {
		const char *name = dissect_class_name((enum pkt_class)i);

		if (!cls[i])
			continue;
		if (name)
			ex_yf(d, "%s%s: %zu", sep, name, cls[i]);
		else
			ex_yf(d, "%sclass%zu: %zu", sep, i, cls[i]);
		sep = ", ";
	}
	ex_yf(d, "}\n");
}

/*
** What the window held on the filter's link (all links when it names none):
** packet classes, IKE exchanges and, when a notify was asked for, the
** notifies that were there instead.
*/
static void ex_y_seen_instead(struct ex_dstr *d, const struct expect_ctx *c,
                              const struct pkt_filter *f)
{
	size_t cls[PKT_CLASS_COUNT] = { 0 };
	struct ex_namehist h, nh;
	size_t i, n = 0, lastp = SIZE_MAX, start = ex_window_start(c);
	size_t end = ex_window_end(c, start);

	memset(&h, 0, sizeof h);
	memset(&nh, 0, sizeof nh);
	for (i = start; i < end; i++) {
		const struct tl_packet *p = &c->tl->p[i];

		if ((f->set & PF_LINK) && p->link != f->link)
			continue;
		n++;
		lastp = i;
		if ((unsigned)p->f.cls < PKT_CLASS_COUNT)
			cls[p->f.cls]++;
		if (p->f.cls != PKT_IKE)
			continue;
		ex_namehist_add(&h, dissect_ike_exchange_name(p->f.ike_version, p->f.ike_exchange),
		                p->f.ike_exchange);
		for (int k = 0; k < p->f.ike_nnotify && k < 4; k++)
			ex_namehist_add(&nh, dissect_ike_notify_name(p->f.ike_notify[k]), p->f.ike_notify[k]);
	}
	ex_yf(d, "  found: \"0 matching of %zu packets\"\n", n);
	ex_y_classes(d, cls);
	ex_y_namehist(d, "ike_exchanges", &h);
	if (f->set & PF_NOTIFY)
		ex_y_namehist(d, "ike_notifies", &nh);
	if (lastp != SIZE_MAX)
		ex_y_packet(d, c, "last_packet", lastp);
}

static void ex_begin(struct expect_result *r)
{
	r->pass = 0;
	r->diag = NULL;
}

int expect_seen(const struct expect_ctx *c, const struct pkt_filter *f, struct expect_result *r)
{
	struct ex_dstr d = { 0 };
	char desc[EX_DESC_LEN];
	size_t first, last;

	ex_begin(r);
	if (ex_scan(c, f, &first, &last) > 0) {
		r->pass = 1;
		return 0;
	}
	ex_filter_desc(c, f, desc);
	ex_yqf(&d, "message", "expected at least one packet matching %s", desc);
	ex_yq(&d, "expected", desc);
	ex_y_seen_instead(&d, c, f);
	ex_y_tail(&d, c);
	return ex_finish(&d, r);
}

/* ---- never / count ----------------------------------------------------------------- */

int expect_never(const struct expect_ctx *c, const struct pkt_filter *f, struct expect_result *r)
{
	struct ex_dstr d = { 0 };
	char desc[EX_DESC_LEN];
	size_t n, first, last;

	ex_begin(r);
	n = ex_scan(c, f, &first, &last);
	if (n == 0) {
		r->pass = 1;
		return 0;
	}
	ex_filter_desc(c, f, desc);
	ex_yqf(&d, "message", "expected no packet matching %s", desc);
	ex_yq(&d, "expected", desc);
	ex_yf(&d, "  found: \"%zu matching\"\n", n);
	ex_y_packet(&d, c, "first_offending", first);
	ex_yf(&d, "  t: %.6f\n", c->tl->p[first].t);
	ex_y_tail(&d, c);
	return ex_finish(&d, r);
}

static void ex_wanted_text(long min, long max, char *buf, size_t len)
{
	if (max < 0)
		snprintf(buf, len, "at least %ld", min);
	else if (min == max)
		snprintf(buf, len, "%ld", min);
	else
		snprintf(buf, len, "%ld..%ld", min, max);
}

/* min <= matches <= max; max < 0 means no upper bound. */
int expect_count(const struct expect_ctx *c, const struct pkt_filter *f, long min, long max,
                 struct expect_result *r)
{
	struct ex_dstr d = { 0 };
	char desc[EX_DESC_LEN], wanted[64];
	size_t n, first, last;

	ex_begin(r);
	n = ex_scan(c, f, &first, &last);
	if ((min <= 0 || n >= (size_t)min) && (max < 0 || n <= (size_t)max)) {
		r->pass = 1;
		return 0;
	}
	ex_filter_desc(c, f, desc);
	ex_wanted_text(min, max, wanted, sizeof wanted);
	ex_yqf(&d, "message", "expected %s packets matching %s, found %zu", wanted, desc, n);
	ex_yq(&d, "expected", desc);
	ex_yf(&d, "  found: %zu\n", n);
	ex_yq(&d, "wanted", wanted);
	if (n > 0) {
		ex_y_packet(&d, c, "first_match", first);
		ex_y_packet(&d, c, "last_match", last);
	}
	ex_y_tail(&d, c);
	return ex_finish(&d, r);
}

/* ---- transition -------------------------------------------------------------------- */

struct ex_trans {
	size_t nfrom, nto;
	size_t first_from, first_to, from_again;   /* SIZE_MAX: none */
};

/*
** One pass over the window. A packet matching both filters counts as both
** (the `from` then the `to`), so it alone never breaks the rule; only a `from`
** strictly after the first `to` is "seen again", and strictly means a later
** capture time: packets with the same timestamp have no order to judge (two
** links' captures drained in either order; the VM's clock is the 4 ms
** jiffies clock, since its TSC is marked unstable under emulation), so a tie
** is never "after", nor "before any from".
*/
static void ex_trans_scan(const struct expect_ctx *c, const struct pkt_filter *from,
                          const struct pkt_filter *to, struct ex_trans *x)
{
	size_t i, start = ex_window_start(c), end = ex_window_end(c, start);

	memset(x, 0, sizeof *x);
	x->first_from = x->first_to = x->from_again = SIZE_MAX;
	for (i = start; i < end; i++) {
		int mf = pktfilter_match(from, &c->tl->p[i]);
		int mt = pktfilter_match(to, &c->tl->p[i]);

		if (mf) {
			x->nfrom++;
			if (x->first_from == SIZE_MAX)
				x->first_from = i;
			else if (x->first_to != SIZE_MAX && x->from_again == SIZE_MAX &&
			         c->tl->p[i].t > c->tl->p[x->first_to].t)
				x->from_again = i;
		}
		if (mt) {
			x->nto++;
			if (x->first_to == SIZE_MAX)
				x->first_to = i;
		}
	}
}

/* Which rule broke (NULL: none), with the packet lines that show it. */
static const char *ex_trans_rule(const struct expect_ctx *c, const struct ex_trans *x)
{
	if (x->first_from == SIZE_MAX)
		return "from never seen";
	if (x->first_to == SIZE_MAX)
		return "to never seen";
	if (x->first_to < x->first_from && c->tl->p[x->first_to].t < c->tl->p[x->first_from].t)
		return "to seen before any from";
	if (x->from_again != SIZE_MAX)
		return "from seen again after to";
	return NULL;
}

static void ex_y_trans_packets(struct ex_dstr *d, const struct expect_ctx *c,
                               const struct ex_trans *x, const char *rule)
{
	if (strcmp(rule, "to seen before any from") == 0) {
		ex_y_packet(d, c, "first_offending", x->first_to);
		ex_yf(d, "  t: %.6f\n", c->tl->p[x->first_to].t);
		if (x->first_from != SIZE_MAX)
			ex_y_packet(d, c, "first_from", x->first_from);
	} else if (strcmp(rule, "from seen again after to") == 0) {
		ex_y_packet(d, c, "first_offending", x->from_again);
		ex_yf(d, "  t: %.6f\n", c->tl->p[x->from_again].t);
		ex_y_packet(d, c, "switched_at", x->first_to);
	} else if (x->first_from != SIZE_MAX) {
		ex_y_packet(d, c, "first_from", x->first_from);
	} else if (x->first_to != SIZE_MAX) {
		ex_y_packet(d, c, "first_to", x->first_to);
	}
}

int expect_transition(const struct expect_ctx *c, const struct pkt_filter *from,
                      const struct pkt_filter *to, struct expect_result *r)
{
	struct ex_dstr d = { 0 };
	char df[EX_DESC_LEN], dt[EX_DESC_LEN];
	struct ex_trans x;
	const char *rule;

	ex_begin(r);
	ex_trans_scan(c, from, to, &x);
	rule = ex_trans_rule(c, &x);
	if (!rule) {
		r->pass = 1;
		return 0;
	}
	ex_filter_desc(c, from, df);
	ex_filter_desc(c, to, dt);
	ex_yqf(&d, "message", "expected a packet matching %s, later one matching %s and no "
	       "more of the first after it, but %s", df, dt, rule);
	ex_yqf(&d, "expected", "from %s to %s", df, dt);
	ex_yq(&d, "rule", rule);
	ex_yf(&d, "  found: \"%zu from, %zu to\"\n", x.nfrom, x.nto);
	ex_y_trans_packets(&d, c, &x, rule);
	ex_y_tail(&d, c);
	return ex_finish(&d, r);
}
