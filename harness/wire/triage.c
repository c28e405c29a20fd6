/*
** triage.c: see triage.h. Each rule groups the packets it cares about by a
** key (an IKE SA's SPIs, an ESP SPI, a pair of peers, a NAT-T flow), always
** per link, in a small hash table, then decides per group. Rules never look
** at each other's results: every finding stands on its own evidence.
*/
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "wire/triage.h"

const char *const triage_rule_names[] = {
	"ike-no-response", "nat-t-4500-blocked", "ike-auth-unanswered", "esp-one-way",
	"ike-fragments-unanswered", "nat-mapping-expired", "nat-rebinding",
	"ike-no-proposal-chosen", "ike-invalid-ke-payload", "ike-authentication-failed", "ike-error-notify",
	NULL,
};

#define IKE_SA_INIT 34
#define IKE_AUTH 35
#define IKEV1_MAIN_MODE 2
#define IKEV1_AGGRESSIVE 4
#define NOTIFY_ERROR_MAX 16383     /* notify types 1..16383 are errors (RFC 7296 3.10.1) */
#define NOTIFY_NO_PROPOSAL_CHOSEN 14
#define NOTIFY_INVALID_KE_PAYLOAD 17
#define NOTIFY_AUTHENTICATION_FAILED 24
#define ICMP_DEST_UNREACH 3

/* ---- a small hash table of groups ------------------------------------- */

/* A group's key; zeroed before filling so padding never differs. */
struct gkey {
	uint64_t a, b;
	uint32_t c, d;
	int32_t link, e;
};

struct gtab {
	struct gkey *keys;
	unsigned char *vals;        /* n values of valsize bytes, zeroed when created */
	size_t valsize, n, cap;
	long *slots;                /* open addressing: index + 1, 0 empty */
	size_t nslots;
};

static uint64_t gkey_hash(const struct gkey *k)
{
	const unsigned char *p = (const unsigned char *)k;
	uint64_t h = 1469598103934665603ull;   /* FNV-1a */
	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

static int gtab_rehash(struct gtab *t, size_t nslots)
{
	long *s = calloc(nslots, sizeof(*s));
	if (s == NULL)
		return -1;
	for (size_t i = 0; i < t->n; i++) {
		size_t j = gkey_hash(&t->keys[i]) & (nslots - 1);
		while (s[j] != 0)
			j = (j + 1) & (nslots - 1);
		s[j] = (long)i + 1;
	}
	free(t->slots);
	t->slots = s;
	t->nslots = nslots;
	return 0;
}

/* The value of key k; created (zeroed) when create is set. NULL: absent, or out of memory (errno). */
static void *gtab_get(struct gtab *t, const struct gkey *k, int create)
{
	errno = 0;
	if (t->nslots > 0) {
		size_t j = gkey_hash(k) & (t->nslots - 1);
		for (; t->slots[j] != 0; j = (j + 1) & (t->nslots - 1)) {
			size_t i = (size_t)t->slots[j] - 1;
			if (memcmp(&t->keys[i], k, sizeof(*k)) == 0)
				return t->vals + i * t->valsize;
		}
	}
	if (!create)
		return NULL;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct gkey *nk = realloc(t->keys, cap * sizeof(*nk));
		if (nk == NULL)
			return NULL;
		t->keys = nk;
		unsigned char *nv = realloc(t->vals, cap * t->valsize);
		if (nv == NULL)
			return NULL;
		t->vals = nv;
		t->cap = cap;
	}
	if ((t->n + 1) * 2 > t->nslots && gtab_rehash(t, t->nslots ? t->nslots * 2 : 32) < 0)
		return NULL;
	t->keys[t->n] = *k;
	memset(t->vals + t->n * t->valsize, 0, t->valsize);
	size_t j = gkey_hash(k) & (t->nslots - 1);
	while (t->slots[j] != 0)
		j = (j + 1) & (t->nslots - 1);
	t->slots[j] = (long)t->n + 1;
	return t->vals + t->n++ * t->valsize;
}

static void *gtab_at(const struct gtab *t, size_t i)
{
	return t->vals + i * t->valsize;
}

/* The index of a value gtab_get returned (values move when the table grows; indices do not). */
static size_t gtab_index(const struct gtab *t, const void *v)
{
	return (size_t)((const unsigned char *)v - t->vals) / t->valsize;
}

static void gtab_free(struct gtab *t)
{
	free(t->keys);
	free(t->vals);
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

/* ---- evidence and findings -------------------------------------------- */

/* Frames kept as evidence of one group: the first TRIAGE_MAX_FRAMES, and how many there were. */
struct cite {
	struct triage_frame f[TRIAGE_MAX_FRAMES];
	size_t n, total;
	double first_t, last_t;
};

static void cite_add(struct cite *c, const struct tl_packet *p)
{
	if (c->total == 0)
		c->first_t = p->t;
	c->last_t = p->t;
	c->total++;
	if (c->n < TRIAGE_MAX_FRAMES)
		c->f[c->n++] = (struct triage_frame){ p->link, p->frame };
}

struct ctx {
	const struct timeline *tl;
	size_t nlinks;
	double end;                 /* the capture's last packet time */
	struct triage_report *out;
	int oom;
};

static struct triage_finding *finding(struct ctx *c, const char *name, const char *hint, int link,
                                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static struct triage_finding *finding(struct ctx *c, const char *name, const char *hint, int link,
                                      const char *fmt, ...)
{
	struct triage_report *r = c->out;
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 8;
		struct triage_finding *v = realloc(r->f, cap * sizeof(*v));
		if (v == NULL) {
			c->oom = 1;
			return NULL;
		}
		r->f = v;
		r->cap = cap;
	}
	struct triage_finding *f = &r->f[r->n++];
	memset(f, 0, sizeof(*f));
	f->name = name;
	f->hint = hint;
	f->link = link;
	f->t = 1e300;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(f->title, sizeof(f->title), fmt, ap);
	va_end(ap);
	return f;
}

/* Cite frames into a finding (its start is the earliest cited time). */
static void finding_cite(struct triage_finding *f, const struct cite *c)
{
	if (f == NULL || c->total == 0)
		return;
	for (size_t i = 0; i < c->n && f->nframes < TRIAGE_MAX_FRAMES; i++)
		f->frames[f->nframes++] = c->f[i];
	if (c->first_t < f->t)
		f->t = c->first_t;
}

static void finding_cite_one(struct triage_finding *f, const struct tl_packet *p)
{
	struct cite c = { .n = 0 };
	cite_add(&c, p);
	finding_cite(f, &c);
}

/* Was a request given its chance to be answered? (see TRIAGE_ANSWER_WAIT) */
static int settled(const struct ctx *c, size_t sends, double last_send)
{
	return sends >= 2 || c->end - last_send >= TRIAGE_ANSWER_WAIT;
}

static void ip4(uint32_t a, char out[16])
{
	snprintf(out, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

/* "a.b.c.d:port" */
static void endpoint(uint32_t a, uint16_t port, char out[24])
{
	char s[16];
	ip4(a, s);
	snprintf(out, 24, "%s:%u", s, port);
}

static int is_ike(const struct tl_packet *p, int version)
{
	return p->f.cls == PKT_IKE && (version == 0 || p->f.ike_version == version);
}

static int is_esp(const struct tl_packet *p)
{
	return p->f.cls == PKT_ESP || p->f.cls == PKT_ESP_UDP;
}

static const char *exchange_name(const struct tl_packet *p)
{
	const char *n = dissect_ike_exchange_name(p->f.ike_version, p->f.ike_exchange);
	return n ? n : "IKE";
}

/* ---- ike-no-response --------------------------------------------------- */

static const char HINT_NO_RESPONSE[] =
	"nothing came back: udp/500 is blocked on the path or not forwarded, an ACL at the responder "
	"drops this peer, or the responder's address is wrong; check firewalls, ACLs and NAT between the peers";

struct first_msg {
	struct cite sends;
	const struct tl_packet *p;  /* the first send */
	int answered;
};

static void rule_ike_no_response(struct ctx *c)
{
	struct gtab t = { .valsize = sizeof(struct first_msg) };
	const struct timeline *tl = c->tl;

	for (size_t i = 0; i < tl->n && !c->oom; i++) {
		const struct tl_packet *p = &tl->p[i];
		if (!is_ike(p, 0))
			continue;
		const struct pkt_facts *f = &p->f;
		int first = f->ike_rspi == 0 &&
		            ((f->ike_version == 2 && f->ike_exchange == IKE_SA_INIT && !f->ike_response) ||
		             (f->ike_version == 1 && (f->ike_exchange == IKEV1_MAIN_MODE ||
		                                      f->ike_exchange == IKEV1_AGGRESSIVE)));
		struct gkey k = { 0 };
		k.a = f->ike_ispi;
		k.link = p->link;
		struct first_msg *g = gtab_get(&t, &k, first);
		if (g == NULL) {
			if (first)
				c->oom = 1;
			continue;
		}
		if (first) {
			if (g->p == NULL)
				g->p = p;
			cite_add(&g->sends, p);
		} else if (f->ike_version == 2 ? f->ike_response : f->ike_rspi != 0) {
			g->answered = 1;   /* any answer counts: a COOKIE or an error too */
		}
	}
	for (size_t i = 0; i < t.n && !c->oom; i++) {
		struct first_msg *g = gtab_at(&t, i);
		if (g->answered || !settled(c, g->sends.total, g->sends.last_t))
			continue;
		char src[24], dst[24];
		endpoint(g->p->f.src, g->p->f.sport, src);
		endpoint(g->p->f.dst, g->p->f.dport, dst);
		finding_cite(finding(c, "ike-no-response", HINT_NO_RESPONSE, g->p->link,
		                     "IKEv%d %s from %s to %s never answered (%zu sent over %.1f s, SPIi %016llx)",
		                     g->p->f.ike_version, exchange_name(g->p), src, dst, g->sends.total,
		                     g->sends.last_t - g->sends.first_t, (unsigned long long)g->p->f.ike_ispi),
		             &g->sends);
	}
	gtab_free(&t);
}

/* ---- nat-t-4500-blocked ------------------------------------------------ */

static const char HINT_4500[] =
	"a NAT sits between the peers, so after IKE_SA_INIT they move to udp/4500 (NAT-T), and nothing "
	"on 4500 comes back: udp/4500 is blocked or not forwarded (firewall, ACL, port forward); allow "
	"udp/4500 in both directions";

void triage_natd_hash(uint64_t ispi, uint64_t rspi, uint32_t addr, uint16_t port, uint8_t out[20])
{
	uint8_t in[8 + 8 + 4 + 2];
	unsigned int len = 0;
	for (int i = 0; i < 8; i++) {
		in[i] = (uint8_t)(ispi >> (56 - 8 * i));
		in[8 + i] = (uint8_t)(rspi >> (56 - 8 * i));
	}
	for (int i = 0; i < 4; i++)
		in[16 + i] = (uint8_t)(addr >> (24 - 8 * i));
	in[20] = (uint8_t)(port >> 8);
	in[21] = (uint8_t)port;
	if (EVP_Digest(in, sizeof(in), out, &len, EVP_sha1(), NULL) != 1 || len != 20)
		memset(out, 0, 20);
}

/*
** Does this IKE_SA_INIT message's NAT detection say a NAT is between its
** sender and this capture point (source hash) or between here and its
** receiver (destination hash)? The hashes use the SPIs of the message.
*/
static int natd_mismatch(const struct pkt_facts *f)
{
	uint8_t h[20];
	uint64_t rspi = f->ike_response ? f->ike_rspi : 0;
	if (f->ike_natd_src_len == 20) {
		triage_natd_hash(f->ike_ispi, rspi, f->src, f->sport, h);
		if (memcmp(h, f->ike_natd_src, 20) != 0)
			return 1;
	}
	if (f->ike_natd_dst_len == 20) {
		triage_natd_hash(f->ike_ispi, rspi, f->dst, f->dport, h);
		if (memcmp(h, f->ike_natd_dst, 20) != 0)
			return 1;
	}
	return 0;
}

static int has_error_notify(const struct pkt_facts *f)
{
	for (int i = 0; i < f->ike_nnotify && i < 4; i++)
		if (f->ike_notify[i] >= 1 && f->ike_notify[i] <= NOTIFY_ERROR_MAX)
			return 1;
	return 0;
}

struct sa_init {
	const struct tl_packet *req, *resp;
	int nat;                     /* a NAT detection hash did not match */
	struct cite to4500;          /* udp/4500 from the initiator's side after the response */
	size_t back4500;             /* udp/4500 from the responder's side after the response */
	size_t fragmented4500;       /* IP fragments among the initiator's (not in to4500) */
};

static void rule_nat_t_blocked(struct ctx *c)
{
	struct gtab t = { .valsize = sizeof(struct sa_init) };
	const struct timeline *tl = c->tl;

	for (size_t i = 0; i < tl->n && !c->oom; i++) {
		const struct tl_packet *p = &tl->p[i];
		const struct pkt_facts *f = &p->f;
		if (!is_ike(p, 2) || f->ike_exchange != IKE_SA_INIT || f->ike_nonesp)
			continue;
		struct gkey k = { 0 };
		k.a = f->ike_ispi;
		k.link = p->link;
		struct sa_init *g = gtab_get(&t, &k, 1);
		if (g == NULL) {
			c->oom = 1;
			break;
		}
		if (!f->ike_response && g->req == NULL)
			g->req = p;
		if (f->ike_response && g->req != NULL && g->resp == NULL) {
			if (has_error_notify(f))
				continue;   /* no SA follows an error: that is another finding */
			g->resp = p;
		}
		if (natd_mismatch(f))
			g->nat = 1;
	}
	/* What crossed udp/4500 between the two after the response. */
	for (size_t i = 0; i < t.n; i++) {
		struct sa_init *g = gtab_at(&t, i);
		if (g->resp == NULL || !g->nat)
			continue;
		uint32_t init = g->req->f.src, resp = g->req->f.dst;
		/* The timeline is in time order: what came after the response starts at its index. */
		for (size_t j = (size_t)(g->resp - tl->p); j < tl->n; j++) {
			const struct tl_packet *p = &tl->p[j];
			const struct pkt_facts *f = &p->f;
			if (p->link != g->req->link || p->t < g->resp->t || !f->has_ports || f->proto != 17 ||
			    (f->sport != 4500 && f->dport != 4500))
				continue;
			if (f->src == init && f->dst == resp && f->fragment)
				g->fragmented4500++;
			else if (f->src == init && f->dst == resp)
				cite_add(&g->to4500, p);
			else if (f->src == resp && f->dst == init)
				g->back4500++;
		}
		double last = g->to4500.total ? g->to4500.last_t : g->resp->t;
		if (g->back4500 > 0 || !settled(c, g->to4500.total, last))
			continue;
		/* Only IP fragments went to 4500: lost fragments explain the silence (ike-fragments-unanswered). */
		if (g->to4500.total == 0 && g->fragmented4500 > 0)
			continue;
		char a[16], b[16];
		ip4(init, a);
		ip4(resp, b);
		struct triage_finding *fd;
		if (g->to4500.total > 0)
			fd = finding(c, "nat-t-4500-blocked", HINT_4500, g->req->link,
			             "NAT detected in IKE_SA_INIT between %s and %s (SPIi %016llx), then %zu packet%s "
			             "to udp/4500 and none back", a, b, (unsigned long long)g->req->f.ike_ispi,
			             g->to4500.total, g->to4500.total == 1 ? "" : "s");
		else
			fd = finding(c, "nat-t-4500-blocked", HINT_4500, g->req->link,
			             "NAT detected in IKE_SA_INIT between %s and %s (SPIi %016llx), then no udp/4500 "
			             "crossed here", a, b, (unsigned long long)g->req->f.ike_ispi);
		finding_cite_one(fd, g->req);
		finding_cite_one(fd, g->resp);
		finding_cite(fd, &g->to4500);
		if (c->oom)
			break;
	}
	gtab_free(&t);
}

/* ---- ike-auth-unanswered ----------------------------------------------- */

static const char HINT_AUTH[] =
	"IKE_SA_INIT got through but the authentication exchange gets no answer: its packets die on the "
	"way (udp/4500 blocked after the NAT-T move; large, fragmented packets dropped: turn on IKEv2 "
	"fragmentation or lower the MTU) or the responder ignores them (check its log)";

struct auth_msg {
	const struct tl_packet *p;
	struct cite sends;
	size_t fragmented;           /* sends that left as IP fragments */
	int answered;
};

static void rule_ike_auth_unanswered(struct ctx *c)
{
	struct gtab t = { .valsize = sizeof(struct auth_msg) };
	const struct timeline *tl = c->tl;

	for (size_t i = 0; i < tl->n && !c->oom; i++) {
		const struct tl_packet *p = &tl->p[i];
		const struct pkt_facts *f = &p->f;
		if (!is_ike(p, 0) || f->ike_rspi == 0)
			continue;
		struct gkey k = { 0 };
		k.a = f->ike_ispi;
		k.b = f->ike_rspi;
		k.link = p->link;
		if (f->ike_version == 2) {
			if (f->ike_exchange != IKE_AUTH)
				continue;
			k.c = f->ike_msgid;
			k.e = 2;
			struct auth_msg *g = gtab_get(&t, &k, !f->ike_response);
			if (g == NULL) {
				c->oom |= !f->ike_response;
				continue;
			}
			if (f->ike_response) {
				g->answered = 1;
			} else if (f->ike_frag <= 1) {   /* a retransmit resends every SKF fragment */
				g->p = g->p ? g->p : p;
				cite_add(&g->sends, p);
				g->fragmented += f->fragment != 0;
			}
			continue;
		}
		/*
		** IKEv1: the encrypted Main Mode messages (5 and 6) have no
		** message id or response flag: one group per sender, and anything
		** from the other side with the same SPIs after it answers it.
		*/
		k.c = f->src;
		k.d = f->dst;
		k.e = 1;
		if (f->ike_exchange == IKEV1_MAIN_MODE && f->ike_encrypted) {
			struct auth_msg *g = gtab_get(&t, &k, 1);
			if (g == NULL) {
				c->oom = 1;
				continue;
			}
			g->p = g->p ? g->p : p;
			cite_add(&g->sends, p);
			g->fragmented += f->fragment != 0;
		}
		k.c = f->dst;
		k.d = f->src;
		struct auth_msg *back = gtab_get(&t, &k, 0);
		if (back != NULL && back->sends.total > 0 && back->sends.first_t <= p->t && back->p != p)
			back->answered = 1;
	}
	for (size_t i = 0; i < t.n && !c->oom; i++) {
		struct auth_msg *g = gtab_at(&t, i);
		/* Every send IP-fragmented: lost fragments are the likelier cause (ike-fragments-unanswered). */
		if (g->p == NULL || g->answered || g->sends.total < 2 || g->fragmented == g->sends.total)
			continue;
		char src[24], dst[24];
		endpoint(g->p->f.src, g->p->f.sport, src);
		endpoint(g->p->f.dst, g->p->f.dport, dst);
		finding_cite(finding(c, "ike-auth-unanswered", HINT_AUTH, g->p->link,
		                     "IKEv%d %s from %s to %s sent %zu times over %.1f s, never answered "
		                     "(SPIs %016llx/%016llx, message id %u)", g->p->f.ike_version,
		                     g->p->f.ike_version == 1 ? "encrypted Main Mode" : "IKE_AUTH", src, dst,
		                     g->sends.total, g->sends.last_t - g->sends.first_t,
		                     (unsigned long long)g->p->f.ike_ispi, (unsigned long long)g->p->f.ike_rspi,
		                     g->p->f.ike_msgid),
		             &g->sends);
	}
	gtab_free(&t);
}

/* ---- esp-one-way ------------------------------------------------------- */

static const char HINT_ESP_ONE_WAY[] =
	"the tunnel carries data one way only: a stateful firewall on the path drops ESP (IP protocol 50) "
	"it does not track, or the far end has no SA for these packets; allow protocol 50 (or force UDP "
	"encapsulation) and compare the SAs on both ends";

struct esp_pair {
	struct cite dir[2];          /* [0]: lower address -> higher, [1]: back */
	size_t raw[2];
	uint32_t lo, hi;
};

static void rule_esp_one_way(struct ctx *c)
{
	struct gtab t = { .valsize = sizeof(struct esp_pair) };
	const struct timeline *tl = c->tl;

	for (size_t i = 0; i < tl->n && !c->oom; i++) {
		const struct tl_packet *p = &tl->p[i];
		if (!is_esp(p))
			continue;
		int d = p->f.src > p->f.dst;
		struct gkey k = { 0 };
		k.c = d ? p->f.dst : p->f.src;
		k.d = d ? p->f.src : p->f.dst;
		k.link = p->link;
		struct esp_pair *g = gtab_get(&t, &k, 1);
		if (g == NULL) {
			c->oom = 1;
			break;
		}
		g->lo = k.c;
		g->hi = k.d;
		cite_add(&g->dir[d], p);
		g->raw[d] += p->f.cls == PKT_ESP;
	}
	for (size_t i = 0; i < t.n && !c->oom; i++) {
		struct esp_pair *g = gtab_at(&t, i);
		for (int d = 0; d < 2; d++) {
			if (g->dir[d].total < TRIAGE_ESP_ONE_WAY_MIN || g->dir[!d].total > 0)
				continue;
			char a[16], b[16];
			ip4(d ? g->hi : g->lo, a);
			ip4(d ? g->lo : g->hi, b);
			const char *how = g->raw[d] == g->dir[d].total ? "raw, IP protocol 50"
			                  : g->raw[d] == 0 ? "in UDP" : "raw and in UDP";
			finding_cite(finding(c, "esp-one-way", HINT_ESP_ONE_WAY, g->dir[d].f[0].link,
			                     "ESP from %s to %s only: %zu packets (%s) over %.1f s, none back",
			                     a, b, g->dir[d].total, how, g->dir[d].last_t - g->dir[d].first_t),
			             &g->dir[d]);
		}
	}
	gtab_free(&t);
}

/* ---- ike-fragments-unanswered ------------------------------------------ */

static const char HINT_IP_FRAGMENTS[] =
	"IKE messages larger than the path MTU leave as IP fragments and get no answer: a firewall or NAT "
	"on the path drops fragments; turn on IKEv2 fragmentation (RFC 7383), lower the MTU, or let "
	"fragments through";
static const char HINT_SKF[] =
	"even IKEv2's own fragments (SKF) get no answer: the path's MTU is below the fragment size or it "
	"drops these packets; lower the fragment size (strongSwan charon.fragment_size) and check the path";

struct frag_msg {
	const struct tl_packet *p;
	struct cite sends;           /* first IP fragments, or SKF fragment 1 */
	struct cite pieces;          /* every fragment (IP: the later pieces are matched by IP id) */
	int skf, answered;
};

/* The IP fragments' (src, dst, id) of the first pieces seen, to find the rest. */
struct frag_id {
	size_t msg_index;            /* the message's group index + 1 */
};

static void rule_ike_fragments(struct ctx *c)
{
	struct gtab t = { .valsize = sizeof(struct frag_msg) };
	struct gtab ids = { .valsize = sizeof(struct frag_id) };
	const struct timeline *tl = c->tl;

	for (size_t i = 0; i < tl->n && !c->oom; i++) {
		const struct tl_packet *p = &tl->p[i];
		const struct pkt_facts *f = &p->f;
		if (!is_ike(p, 0))
			continue;
		int ipfrag = f->fragment && f->frag_offset == 0;
		struct gkey k = { 0 };
		k.a = f->ike_ispi;
		k.b = f->ike_rspi;
		k.c = f->ike_msgid;
		k.link = p->link;
		k.e = f->ike_version;
		int request = f->ike_version == 2 ? !f->ike_response : 1;
		if ((ipfrag || f->ike_frag > 0) && request) {
			/* IKEv1 has no response flag: key by the sender as well. */
			if (f->ike_version == 1)
				k.d = f->src;
			struct frag_msg *g = gtab_get(&t, &k, 1);
			if (g == NULL) {
				c->oom = 1;
				break;
			}
			g->p = g->p ? g->p : p;
			g->skf |= f->ike_frag > 0;
			if (ipfrag || f->ike_frag == 1)
				cite_add(&g->sends, p);
			cite_add(&g->pieces, p);
			if (ipfrag) {
				struct gkey ik = { 0 };
				ik.c = f->src;
				ik.d = f->dst;
				ik.e = f->ip_id;
				ik.link = p->link;
				struct frag_id *id = gtab_get(&ids, &ik, 1);
				if (id == NULL) {
					c->oom = 1;
					break;
				}
				id->msg_index = gtab_index(&t, g) + 1;
			}
			continue;
		}
		/* An answer: IKEv2 a response of the same message; IKEv1 anything from the other side. */
		if (f->ike_version == 2 && f->ike_response) {
			struct frag_msg *g = gtab_get(&t, &k, 0);
			if (g != NULL)
				g->answered = 1;
		} else if (f->ike_version == 1) {
			k.d = f->dst;
			struct frag_msg *g = gtab_get(&t, &k, 0);
			if (g != NULL && g->p->t <= p->t)
				g->answered = 1;
		}
	}
	/* The later pieces of IP-fragmented messages, as evidence. */
	for (size_t i = 0; i < tl->n && !c->oom && ids.n > 0; i++) {
		const struct tl_packet *p = &tl->p[i];
		if (p->f.cls != PKT_FRAGMENT)
			continue;
		struct gkey ik = { 0 };
		ik.c = p->f.src;
		ik.d = p->f.dst;
		ik.e = p->f.ip_id;
		ik.link = p->link;
		struct frag_id *id = gtab_get(&ids, &ik, 0);
		if (id != NULL && id->msg_index > 0)
			cite_add(&((struct frag_msg *)gtab_at(&t, id->msg_index - 1))->pieces, p);
	}
	for (size_t i = 0; i < t.n && !c->oom; i++) {
		struct frag_msg *g = gtab_at(&t, i);
		if (g->answered || g->sends.total == 0 || !settled(c, g->sends.total, g->sends.last_t))
			continue;
		char src[24], dst[24];
		endpoint(g->p->f.src, g->p->f.sport, src);
		endpoint(g->p->f.dst, g->p->f.dport, dst);
		finding_cite(finding(c, "ike-fragments-unanswered", g->skf ? HINT_SKF : HINT_IP_FRAGMENTS, g->p->link,
		                     "IKEv%d %s from %s to %s sent %zu time%s as %s (%zu fragments seen), never answered",
		                     g->p->f.ike_version, exchange_name(g->p), src, dst, g->sends.total,
		                     g->sends.total == 1 ? "" : "s", g->skf ? "IKEv2 fragments (SKF)" : "IP fragments",
		                     g->pieces.total),
		             &g->pieces);
	}
	gtab_free(&t);
	gtab_free(&ids);
}

/* ---- nat-mapping-expired ----------------------------------------------- */

static const char HINT_MAPPING[] =
	"the NAT in front of the quiet side forgot its idle UDP mapping: the peer's packets to the old "
	"outside port die there (often answered by ICMP port unreachable); keep the mapping alive with "
	"NAT-T keepalives more often than the NAT's UDP timeout (strongSwan keep_alive, 20 s by default) "
	"or raise that timeout";

/* A NAT-T flow: udp/4500 between two endpoints, [0] the lower (addr, port). */
struct natt_flow {
	uint32_t addr[2];
	uint16_t port[2];
	size_t keepalives[2], initiator[2];
	struct cite from[2];
	const struct tl_packet *last[2];
};

static uint64_t ep_key(uint32_t a, uint16_t port)
{
	return (uint64_t)a << 16 | port;
}

static void rule_mapping_expired(struct ctx *c)
{
	struct gtab t = { .valsize = sizeof(struct natt_flow) };
	const struct timeline *tl = c->tl;

	for (size_t i = 0; i < tl->n && !c->oom; i++) {
		const struct tl_packet *p = &tl->p[i];
		const struct pkt_facts *f = &p->f;
		if (p->f.cls != PKT_IKE && p->f.cls != PKT_KEEPALIVE && p->f.cls != PKT_ESP_UDP)
			continue;
		if (!f->has_ports || (f->sport != 4500 && f->dport != 4500))
			continue;
		uint64_t s = ep_key(f->src, f->sport), d = ep_key(f->dst, f->dport);
		int dir = s > d;
		struct gkey k = { 0 };
		k.a = dir ? d : s;
		k.b = dir ? s : d;
		k.link = p->link;
		struct natt_flow *g = gtab_get(&t, &k, 1);
		if (g == NULL) {
			c->oom = 1;
			break;
		}
		g->addr[dir] = f->src;
		g->port[dir] = f->sport;
		g->addr[!dir] = f->dst;
		g->port[!dir] = f->dport;
		cite_add(&g->from[dir], p);
		g->last[dir] = p;
		g->keepalives[dir] += p->f.cls == PKT_KEEPALIVE;
		g->initiator[dir] += p->f.cls == PKT_IKE && p->f.ike_version == 2 && p->f.ike_initiator;
	}
	for (size_t i = 0; i < t.n && !c->oom; i++) {
		struct natt_flow *g = gtab_at(&t, i);
		/* Which side is behind the NAT: the one not on 4500, else the one sending keepalives, else the IKE initiator. */
		int nat;
		if ((g->port[0] == 4500) != (g->port[1] == 4500))
			nat = g->port[1] != 4500;
		else if ((g->keepalives[0] > 0) != (g->keepalives[1] > 0))
			nat = g->keepalives[1] > 0;
		else if ((g->initiator[0] > 0) != (g->initiator[1] > 0))
			nat = g->initiator[1] > 0;
		else
			continue;
		int peer = !nat;
		if (g->last[nat] == NULL || g->last[peer] == NULL)
			continue;
		double quiet_from = g->last[nat]->t;
		/* The peer's packets to the old mapping after the NATed side's silence. */
		struct cite late = { .n = 0 };
		const struct tl_packet *icmp = NULL;
		for (size_t j = (size_t)(g->last[nat] - tl->p) + 1; j < tl->n; j++) {
			const struct tl_packet *p = &tl->p[j];
			if (p->link != g->last[nat]->link || p->t <= quiet_from)
				continue;
			if (p->f.has_ports && p->f.src == g->addr[peer] && p->f.sport == g->port[peer] &&
			    p->f.dst == g->addr[nat] && p->f.dport == g->port[nat] &&
			    p->t >= quiet_from + TRIAGE_MAPPING_SILENCE)
				cite_add(&late, p);
			if (icmp == NULL && p->f.cls == PKT_ICMP && p->f.icmp_type == ICMP_DEST_UNREACH &&
			    p->f.src == g->addr[nat] && p->f.dst == g->addr[peer])
				icmp = p;
		}
		if (late.total < TRIAGE_MAPPING_UNANSWERED)
			continue;
		char quiet[24], other[24];
		endpoint(g->addr[nat], g->port[nat], quiet);
		endpoint(g->addr[peer], g->port[peer], other);
		struct triage_finding *fd = finding(
			c, "nat-mapping-expired", HINT_MAPPING, g->last[nat]->link,
			"NAT-T flow %s <-> %s: nothing from %s for %.1f s%s, then %zu packets to it unanswered%s",
			quiet, other, quiet, late.first_t - quiet_from,
			g->keepalives[nat] ? " (its keepalives stopped)" : " (no keepalives)", late.total,
			icmp ? ", ICMP unreachable from its address" : "");
		finding_cite_one(fd, g->last[nat]);
		finding_cite(fd, &late);
		if (icmp != NULL && fd != NULL) {
			if (fd->nframes == TRIAGE_MAX_FRAMES)
				fd->nframes--;
			fd->frames[fd->nframes++] = (struct triage_frame){ icmp->link, icmp->frame };
		}
	}
	gtab_free(&t);
}

/* ---- nat-rebinding ----------------------------------------------------- */

static const char HINT_REBIND[] =
	"the NAT in front of the peer gave its flow a new outside address or port (a router reboot, an "
	"expired mapping, a CGNAT); the other end must follow (NAT-T mapping updates: Linux's kernel data "
	"plane does, strongSwan's libipsec does not) or the tunnel goes dark; keepalives keep mappings";

struct sender {
	const struct tl_packet *last;   /* the previous packet of this SA/SPI from that side */
	int changed;
};

/* One endpoint change, possibly shown by several SAs/SPIs. */
struct rebind {
	const struct tl_packet *old, *new_;
	char what[64];
	size_t count;
	int esp;                        /* seen on ESP (else on IKE): following is judged on the same traffic */
};

static int same_ep(const struct tl_packet *a, const struct tl_packet *b)
{
	int ports = a->f.has_ports && b->f.has_ports;
	return a->f.src == b->f.src && (!ports || a->f.sport == b->f.sport) && a->f.has_ports == b->f.has_ports;
}

static void rule_rebinding(struct ctx *c)
{
	struct gtab t = { .valsize = sizeof(struct sender) };
	struct gtab changes = { .valsize = sizeof(struct rebind) };
	const struct timeline *tl = c->tl;

	for (size_t i = 0; i < tl->n && !c->oom; i++) {
		const struct tl_packet *p = &tl->p[i];
		const struct pkt_facts *f = &p->f;
		struct gkey k = { 0 };
		char what[64];
		k.link = p->link;
		if (is_esp(p)) {
			k.c = f->esp_spi;
			k.d = f->dst;       /* an SPI is the receiver's */
			k.e = 1;
			snprintf(what, sizeof(what), "ESP SPI %08x", f->esp_spi);
		} else if (is_ike(p, 2) && f->ike_nonesp && f->ike_rspi != 0) {
			/* IKE on 4500 only: the move from 500 to 4500 is NAT-T, not a rebinding. */
			k.a = f->ike_ispi;
			k.b = f->ike_rspi;
			k.e = 2 + f->ike_initiator;
			snprintf(what, sizeof(what), "IKE SA %016llx", (unsigned long long)f->ike_ispi);
		} else {
			continue;
		}
		struct sender *s = gtab_get(&t, &k, 1);
		if (s == NULL) {
			c->oom = 1;
			break;
		}
		if (s->last != NULL && !same_ep(s->last, p)) {
			struct gkey ck = { 0 };
			ck.a = ep_key(s->last->f.src, s->last->f.sport);
			ck.b = ep_key(f->src, f->sport);
			ck.link = p->link;
			struct rebind *r = gtab_get(&changes, &ck, 1);
			if (r == NULL) {
				c->oom = 1;
				break;
			}
			if (r->count++ == 0) {
				r->old = s->last;
				r->new_ = p;
				r->esp = is_esp(p);
				snprintf(r->what, sizeof(r->what), "%s", what);
			}
		}
		s->last = p;
	}
	for (size_t i = 0; i < changes.n && !c->oom; i++) {
		struct rebind *r = gtab_at(&changes, i);
		/* A change back and forth (two senders sharing an SPI) is not a rebinding: it needs the old one to stop. */
		struct gkey back = { 0 };
		back.a = changes.keys[i].b;
		back.b = changes.keys[i].a;
		back.link = changes.keys[i].link;
		if (gtab_get(&changes, &back, 0) != NULL)
			continue;
		/*
		** Did the other side follow to the new endpoint, or keep sending to
		** the old one? Judged on the traffic that moved: charon answers IKE
		** where a request came from even when its ESP does not follow.
		*/
		size_t to_new = 0, to_old = 0;
		const struct tl_packet *first_old = NULL;
		for (size_t j = (size_t)(r->new_ - tl->p); j < tl->n; j++) {
			const struct tl_packet *p = &tl->p[j];
			if (p->link != r->new_->link || p->t < r->new_->t || p->f.src != r->new_->f.dst ||
			    (r->esp ? !is_esp(p) : !is_ike(p, 0)))
				continue;
			if (p->f.dst == r->new_->f.src && (!p->f.has_ports || p->f.dport == r->new_->f.sport))
				to_new++;
			else if (p->f.dst == r->old->f.src && (!p->f.has_ports || p->f.dport == r->old->f.sport)) {
				to_old++;
				first_old = first_old ? first_old : p;
			}
		}
		char from[24], to[24];
		endpoint(r->old->f.src, r->old->f.sport, from);
		endpoint(r->new_->f.src, r->new_->f.sport, to);
		char follow[96];
		const char *kind = r->esp ? "ESP" : "IKE";
		if (to_new > 0)
			snprintf(follow, sizeof(follow), "the other side's %s followed (%zu packets to the new one)", kind, to_new);
		else if (to_old > 0)
			snprintf(follow, sizeof(follow), "the other side's %s kept going to the old one (%zu packets)", kind, to_old);
		else
			snprintf(follow, sizeof(follow), "no %s came back since", kind);
		char more[32] = "";
		if (r->count > 1)
			snprintf(more, sizeof(more), " and %zu more", r->count - 1);
		/* A move after a long silence is what an expired mapping looks like from the far side. */
		char quiet[64] = "";
		if (r->new_->t - r->old->t >= TRIAGE_MAPPING_SILENCE)
			snprintf(quiet, sizeof(quiet), " after %.1f s of silence", r->new_->t - r->old->t);
		struct triage_finding *fd = finding(c, "nat-rebinding", HINT_REBIND, r->new_->link,
		                                    "peer %s moved to %s mid-flow%s (%s%s): %s", from, to, quiet,
		                                    r->what, more, follow);
		finding_cite_one(fd, r->old);
		finding_cite_one(fd, r->new_);
		if (first_old != NULL && to_new == 0)
			finding_cite_one(fd, first_old);
		if (fd != NULL)
			fd->t = r->new_->t;
	}
	gtab_free(&t);
	gtab_free(&changes);
}

/* ---- IKEv2 error notifies in clear responses --------------------------- */

static const char HINT_NO_PROPOSAL[] =
	"the responder accepts none of the offered proposals: compare both ends' IKE (or ESP) proposals, "
	"encryption, integrity, PRF and DH group";
static const char HINT_INVALID_KE[] =
	"the responder wants another DH group and the initiator never retried with it: put the same DH "
	"group first on both ends";
static const char HINT_AUTH_FAILED[] =
	"the peers do not accept each other's authentication: compare the pre-shared key, the identities "
	"(IDi/IDr), the certificates and their CAs";
static const char HINT_ERROR_NOTIFY[] =
	"the responder refused the exchange with an error notify: its log says why";

static void rule_error_notify(struct ctx *c)
{
	struct gtab seen = { .valsize = 1 };
	const struct timeline *tl = c->tl;

	for (size_t i = 0; i < tl->n && !c->oom; i++) {
		const struct tl_packet *p = &tl->p[i];
		const struct pkt_facts *f = &p->f;
		if (!is_ike(p, 2) || !f->ike_response || f->ike_encrypted)
			continue;
		for (int n = 0; n < f->ike_nnotify && n < 4; n++) {
			int type = f->ike_notify[n];
			if (type < 1 || type > NOTIFY_ERROR_MAX)
				continue;
			struct gkey k = { 0 };
			k.a = f->ike_ispi;
			k.c = (uint32_t)type;
			k.link = p->link;
			if (gtab_get(&seen, &k, 0) != NULL)
				continue;
			if (gtab_get(&seen, &k, 1) == NULL) {
				c->oom = 1;
				break;
			}
			/* INVALID_KE_PAYLOAD is harmless when a later IKE_SA_INIT between the two succeeds. */
			if (type == NOTIFY_INVALID_KE_PAYLOAD) {
				int recovered = 0;
				for (size_t j = i + 1; j < tl->n && !recovered; j++) {
					const struct pkt_facts *g = &tl->p[j].f;
					recovered = tl->p[j].link == p->link && tl->p[j].f.cls == PKT_IKE &&
					            g->ike_version == 2 && g->ike_exchange == IKE_SA_INIT && g->ike_response &&
					            g->src == f->src && g->dst == f->dst && !has_error_notify(g);
				}
				if (recovered)
					continue;
			}
			const char *name = "ike-error-notify", *hint = HINT_ERROR_NOTIFY;
			if (type == NOTIFY_NO_PROPOSAL_CHOSEN)
				name = "ike-no-proposal-chosen", hint = HINT_NO_PROPOSAL;
			else if (type == NOTIFY_INVALID_KE_PAYLOAD)
				name = "ike-invalid-ke-payload", hint = HINT_INVALID_KE;
			else if (type == NOTIFY_AUTHENTICATION_FAILED)
				name = "ike-authentication-failed", hint = HINT_AUTH_FAILED;
			const char *tname = dissect_ike_notify_name(type);
			char src[24], dst[24];
			endpoint(f->src, f->sport, src);
			endpoint(f->dst, f->dport, dst);
			finding_cite_one(finding(c, name, hint, p->link, "%s answered by %s to %s with %s (%d), SPIi %016llx",
			                         exchange_name(p), src, dst, tname ? tname : "an error notify", type,
			                         (unsigned long long)f->ike_ispi),
			                 p);
		}
	}
	gtab_free(&seen);
}

/* ---- the whole checklist ----------------------------------------------- */

int triage_run(const struct timeline *tl, size_t nlinks, struct triage_report *out)
{
	struct ctx c = { .tl = tl, .nlinks = nlinks, .out = out };
	memset(out, 0, sizeof(*out));
	if (tl->n > 0)
		c.end = tl->p[tl->n - 1].t;
	rule_ike_no_response(&c);
	rule_nat_t_blocked(&c);
	rule_ike_auth_unanswered(&c);
	rule_esp_one_way(&c);
	rule_ike_fragments(&c);
	rule_mapping_expired(&c);
	rule_rebinding(&c);
	rule_error_notify(&c);
	/* Each finding's frames in file order. */
	for (size_t i = 0; i < out->n; i++) {
		struct triage_finding *f = &out->f[i];
		for (size_t a = 1; a < f->nframes; a++) {
			struct triage_frame x = f->frames[a];
			size_t b = a;
			for (; b > 0 && (f->frames[b - 1].link > x.link ||
			                 (f->frames[b - 1].link == x.link && f->frames[b - 1].frame > x.frame)); b--)
				f->frames[b] = f->frames[b - 1];
			f->frames[b] = x;
		}
	}
	/* By time, ties in rule order (insertion sort is stable; a report is short). */
	for (size_t i = 1; i < out->n; i++) {
		struct triage_finding f = out->f[i];
		size_t j = i;
		for (; j > 0 && out->f[j - 1].t > f.t; j--)
			out->f[j] = out->f[j - 1];
		out->f[j] = f;
	}
	return c.oom ? -1 : 0;
}

void triage_report_free(struct triage_report *r)
{
	free(r->f);
	memset(r, 0, sizeof(*r));
}
