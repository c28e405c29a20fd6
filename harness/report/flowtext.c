/*
** flowtext.c: see flowtext.h. The same words and the same sender/receiver
** and NAT rules as page.js draws, for the terminal: keep the two alike.
*/
#include "report/flowtext.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A label being built; add() truncates at the end of buf. */
struct label {
	char buf[512];
	size_t pos;
};

__attribute__((format(printf, 2, 3)))
static void add(struct label *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->pos >= sizeof(t->buf) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->pos, sizeof(t->buf) - t->pos, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->pos += (size_t)n < sizeof(t->buf) - t->pos ? (size_t)n : sizeof(t->buf) - 1 - t->pos;
}

static const char *sget(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

/* A number or a string field as text ("" when absent). */
static const char *vtext(json_t *v, char *buf, size_t len)
{
	if (json_is_integer(v))
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
	else if (json_is_string(v))
		snprintf(buf, len, "%s", json_string_value(v));
	else
		buf[0] = '\0';
	return buf;
}

static void add_ports(struct label *t, json_t *p)
{
	json_t *s = json_object_get(p, "sport"), *d = json_object_get(p, "dport");

	if (!json_is_integer(s) || !json_is_integer(d))
		return;
	if (json_integer_value(s) == json_integer_value(d))
		add(t, " %lld", (long long)json_integer_value(s));
	else
		add(t, " %lld->%lld", (long long)json_integer_value(s), (long long)json_integer_value(d));
}

/* Notifies in nearly every IKE_SA_INIT: naming them would hide the ones that tell something. */
static int routine_notify(const char *name)
{
	static const char *const routine[] = {
		"NAT_DETECTION_SOURCE_IP", "NAT_DETECTION_DESTINATION_IP", "IKEV2_FRAGMENTATION_SUPPORTED",
		"SIGNATURE_HASH_ALGORITHMS", "MULTIPLE_AUTH_SUPPORTED", "REDIRECT_SUPPORTED",
		"CHILDLESS_IKEV2_SUPPORTED", "ESP_TFC_PADDING_NOT_SUPPORTED", "NON_FIRST_FRAGMENTS_ALSO",
	};
	for (size_t i = 0; i < sizeof(routine) / sizeof(routine[0]); i++)
		if (!strcmp(name, routine[i]))
			return 1;
	return 0;
}

static void describe_ike(struct label *t, json_t *p)
{
	json_t *ike = json_object_get(p, "ike"), *frag = json_object_get(p, "ike_frag"), *v;
	char a[32], b[32];
	size_t i;

	add(t, "%s %s %s->%s", json_is_string(json_object_get(ike, "exchange")) ? sget(ike, "exchange") : "IKE",
	    json_is_true(json_object_get(ike, "response")) ? "resp" : "req",
	    vtext(json_object_get(p, "sport"), a, sizeof(a)), vtext(json_object_get(p, "dport"), b, sizeof(b)));
	if (json_array_size(frag) == 2)
		add(t, " frag %s/%s", vtext(json_array_get(frag, 0), a, sizeof(a)),
		    vtext(json_array_get(frag, 1), b, sizeof(b)));
	json_array_foreach(json_object_get(p, "ike_notify"), i, v)
		if (!routine_notify(vtext(v, a, sizeof(a))))
			add(t, " N(%s)", a);
}

static void describe_l2tp(struct label *t, json_t *p)
{
	json_t *l2 = json_object_get(p, "l2tp"), *ppp = json_object_get(p, "ppp");
	char a[32];

	if (json_is_true(json_object_get(l2, "control")))
		add(t, "L2TP %s", vtext(json_object_get(l2, "type"), a, sizeof(a)));
	else
		add(t, "L2TP data");
	if (json_is_object(ppp)) {
		add(t, " PPP %s", vtext(json_object_get(ppp, "protocol"), a, sizeof(a)));
		if (json_object_get(ppp, "code"))
			add(t, " %s", vtext(json_object_get(ppp, "code"), a, sizeof(a)));
	}
}

static const char *icmp_name(json_t *type)
{
	switch (json_is_integer(type) ? json_integer_value(type) : -1) {
	case 0: return "echo-reply";
	case 3: return "dest-unreach";
	case 8: return "echo-request";
	case 11: return "time-exceeded";
	default: return NULL;
	}
}

static void describe(struct label *t, json_t *p)
{
	const char *cls = sget(p, "class");
	json_t *inner = json_object_get(p, "inner");
	char a[32];

	if (!strcmp(cls, "ike")) {
		describe_ike(t, p);
	} else if (!strcmp(cls, "esp-udp")) {
		add(t, "ESP-in-UDP spi %s", sget(json_object_get(p, "esp"), "spi"));
		add_ports(t, p);
	} else if (!strcmp(cls, "esp") || !strcmp(cls, "ah")) {
		add(t, "%s spi %s", !strcmp(cls, "esp") ? "ESP" : "AH", sget(json_object_get(p, cls), "spi"));
	} else if (!strcmp(cls, "keepalive")) {
		add(t, "keepalive");
	} else if (!strcmp(cls, "l2tp")) {
		describe_l2tp(t, p);
	} else if (!strcmp(cls, "icmp")) {
		const char *name = icmp_name(json_object_get(p, "icmp_type"));
		add(t, "ICMP %s%s", name ? "" : "type ", name ? name : vtext(json_object_get(p, "icmp_type"), a, sizeof(a)));
	} else if (!strcmp(cls, "udp") || !strcmp(cls, "tcp")) {
		add(t, "%s", !strcmp(cls, "udp") ? "UDP" : "TCP");
		add_ports(t, p);
	} else if (!strcmp(cls, "fragment")) {
		add(t, "IP fragment offset %s", vtext(json_object_get(p, "offset"), a, sizeof(a)));
	} else if (!strcmp(cls, "non-ip")) {
		add(t, "non-IP");
	} else {
		add(t, "%s", *cls ? cls : "?");
		if (json_object_get(p, "proto"))
			add(t, " proto %s", vtext(json_object_get(p, "proto"), a, sizeof(a)));
	}
	if (json_is_string(json_object_get(p, "problem")))
		add(t, ": %s", sget(p, "problem"));
	if (!strcmp(sget(inner, "state"), "decrypted")) {
		add(t, " [");
		describe(t, inner);
		add(t, "]");
	} else if (json_is_object(inner) && strcmp(sget(inner, "state"), "no key") != 0) {
		add(t, " [%s]", sget(inner, "state"));
	}
}

/* ---- who sent it to whom ------------------------------------------------ */

/* The node owning mac (or, when mac is NULL, address ip on link), or NULL. */
static const char *node_by(json_t *lab, const char *link, const char *mac, const char *ip)
{
	size_t i, j, k;
	json_t *n, *ifc, *a;

	json_array_foreach(json_object_get(lab, "nodes"), i, n) {
		json_array_foreach(json_object_get(n, "interfaces"), j, ifc) {
			if (mac != NULL && strcasecmp(sget(ifc, "mac"), mac) == 0)
				return sget(n, "name");
			if (mac != NULL || (link != NULL && strcmp(sget(ifc, "link"), link) != 0))
				continue;
			json_array_foreach(json_object_get(ifc, "addresses"), k, a) {
				const char *s = json_string_value(a), *slash = s ? strchr(s, '/') : NULL;
				size_t len = slash ? (size_t)(slash - s) : s ? strlen(s) : 0;
				if (s && *ip && strlen(ip) == len && strncmp(s, ip, len) == 0)
					return sget(n, "name");
			}
		}
	}
	return NULL;
}

/* The other member of a two-member link, or NULL. */
static const char *other_member(json_t *lab, const char *link, const char *node)
{
	size_t i;
	json_t *l;

	json_array_foreach(json_object_get(lab, "links"), i, l) {
		json_t *m = json_object_get(l, "members");
		if (strcmp(sget(l, "name"), link) != 0 || json_array_size(m) != 2)
			continue;
		const char *a = json_string_value(json_array_get(m, 0)), *b = json_string_value(json_array_get(m, 1));
		if (a && b)
			return !strcmp(a, node) ? b : !strcmp(b, node) ? a : NULL;
	}
	return NULL;
}

static int group_mac(const char *mac)
{
	return *mac && (strtoul((char[3]){ mac[0], mac[1] ? mac[1] : '0', 0 }, NULL, 16) & 1);
}

/* "client" for the frame's sender and receiver on its link, "(all)" for a broadcast; NULL when unknown. */
static void endpoints(json_t *lab, json_t *p, const char **from, const char **to)
{
	const char *link = sget(p, "link"), *src = sget(p, "src"), *dst = sget(p, "dst");
	const char *esrc = sget(p, "eth_src"), *edst = sget(p, "eth_dst");

	*from = *esrc ? node_by(lab, link, esrc, NULL) : NULL;
	if (*from == NULL && *src)
		*from = node_by(lab, link, NULL, src);
	*to = *edst && group_mac(edst) ? "(all)" : NULL;
	if (*to == NULL && *edst)
		*to = node_by(lab, link, edst, NULL);
	if (*to == NULL && *dst)
		*to = node_by(lab, link, NULL, dst);
	if (*to == NULL && *from != NULL)
		*to = other_member(lab, link, *from);
	if (*from == NULL && *to != NULL && strcmp(*to, "(all)") != 0)
		*from = other_member(lab, link, *to);
}

/* ---- NAT: the same packet before and after a router ------------------- */

static int is_router(json_t *lab, const char *name)
{
	size_t i;
	json_t *n;

	json_array_foreach(json_object_get(lab, "nodes"), i, n)
		if (!strcmp(sget(n, "name"), name))
			return !strcmp(sget(n, "kind"), "router");
	return 0;
}

/* What stays the same across a NAT: the class and the fields that name the packet. */
static void identity(json_t *p, char *out, size_t len)
{
	const char *cls = sget(p, "class");
	json_t *ike = json_object_get(p, "ike"), *esp = json_object_get(p, "esp");
	char a[32], b[32];

	if (!strcmp(cls, "ike"))
		snprintf(out, len, "ike%s/%s/%d", sget(ike, "ispi"), vtext(json_object_get(ike, "msgid"), a, sizeof(a)),
		         json_is_true(json_object_get(ike, "response")));
	else if (!strcmp(cls, "esp") || !strcmp(cls, "esp-udp"))
		snprintf(out, len, "%s%s/%s", cls, sget(esp, "spi"), vtext(json_object_get(esp, "seq"), a, sizeof(a)));
	else if (!strcmp(cls, "icmp"))
		snprintf(out, len, "icmp%s/%s", vtext(json_object_get(p, "icmp_type"), a, sizeof(a)),
		         vtext(json_object_get(p, "icmp_code"), b, sizeof(b)));
	else
		snprintf(out, len, "%s/%s", cls, vtext(json_object_get(p, "proto"), a, sizeof(a)));
}

/* "10.0.0.2:500", or the address alone without ports. */
static void endpoint_text(json_t *p, const char *addr, const char *port, char *out, size_t len)
{
	char num[32];

	if (json_object_get(p, port))
		snprintf(out, len, "%s:%s", sget(p, addr), vtext(json_object_get(p, port), num, sizeof(num)));
	else
		snprintf(out, len, "%s", sget(p, addr));
}

/* "NAT a -> b[, c -> d]" for what changed from before to after, or "" when nothing did. */
static void nat_text(json_t *before, json_t *after, char *out, size_t len)
{
	static const char *const side[2][2] = { { "src", "sport" }, { "dst", "dport" } };
	char was[64], now[64];
	size_t pos = 0;

	out[0] = '\0';
	for (int s = 0; s < 2; s++) {
		endpoint_text(before, side[s][0], side[s][1], was, sizeof(was));
		endpoint_text(after, side[s][0], side[s][1], now, sizeof(now));
		if (strcmp(was, now) == 0 || pos >= len)
			continue;
		pos += (size_t)snprintf(out + pos, len - pos, "%s%s -> %s", pos ? ", " : "NAT ", was, now);
	}
}

/*
** A packet a router received on one link, sent on by it on another within
** a second with the same length and identity: the later one gets "nat"
** when addresses or ports changed. Looks at most NAT_WINDOW packets ahead.
*/
#define NAT_WINDOW 400

static void mark_nat(json_t *lab, json_t *all)
{
	size_t n = json_array_size(all);
	char id[160], id2[160], text[200];

	for (size_t i = 0; i < n; i++) {
		json_t *p = json_array_get(all, i);
		const char *router = sget(p, "receiver");
		double t0 = json_number_value(json_object_get(p, "t"));

		if (!is_router(lab, router) || !json_object_get(p, "src"))
			continue;
		identity(p, id, sizeof(id));
		for (size_t j = i + 1; j < n && j < i + NAT_WINDOW; j++) {
			json_t *q = json_array_get(all, j);
			if (json_object_get(q, "event") != NULL)
				continue;
			if (json_number_value(json_object_get(q, "t")) - t0 > 1.0)
				break;
			if (json_object_get(q, "nat_of") || strcmp(sget(q, "sender"), router) != 0 ||
			    !strcmp(sget(q, "link"), sget(p, "link")) ||
			    !json_equal(json_object_get(q, "len"), json_object_get(p, "len")))
				continue;
			identity(q, id2, sizeof(id2));
			if (strcmp(id, id2) != 0)
				continue;
			nat_text(p, q, text, sizeof(text));
			json_object_set_new(q, "nat_of", json_integer((json_int_t)i));
			if (text[0])
				json_object_set_new(q, "nat", json_string(text));
			break;
		}
	}
}

/* ---- the interface ------------------------------------------------------ */

void flowtext_describe(json_t *pkt, char *buf, size_t len)
{
	struct label t = { "", 0 };

	describe(&t, pkt);
	snprintf(buf, len, "%s", t.buf);
}

void flowtext_annotate(json_t *all, json_t *lab)
{
	size_t i;
	json_t *p;

	json_array_foreach(all, i, p) {
		const char *from = NULL, *to = NULL;
		char f[64], t[64];

		if (!json_is_object(p) || json_object_get(p, "event") != NULL)
			continue;
		if (json_is_object(lab))
			endpoints(lab, p, &from, &to);
		snprintf(f, sizeof(f), "%s", from ? from : *sget(p, "src") ? sget(p, "src") : *sget(p, "eth_src") ? sget(p, "eth_src") : "?");
		snprintf(t, sizeof(t), "%s", to ? to : *sget(p, "dst") ? sget(p, "dst") : *sget(p, "eth_dst") ? sget(p, "eth_dst") : "?");
		json_object_set_new(p, "sender", json_string(f));
		json_object_set_new(p, "receiver", json_string(t));
	}
	if (json_is_object(lab))
		mark_nat(lab, all);
}
