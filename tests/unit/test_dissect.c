/*
** test_dissect: frames built byte by byte (Ethernet, 802.1Q, IPv4, UDP, TCP,
** ICMP, ESP, AH, IKE, L2TP), then dissected. Every frame is handed to
** dissect_frame in a heap buffer of exactly its captured length, so an
** over-read shows up under AddressSanitizer. Ends with truncation sweeps
** and a deterministic fuzz loop; then the link layers and the clear IKE
** payloads of issue 11, on a real IKE_SA_INIT (tests/unit/ike_sa_init_r.inc).
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "wire/dissect.h"
#include "unit.h"

#define MAXF 4096
#define SRC 0xc000020au          /* 192.0.2.10 */
#define DST 0xc6336414u          /* 198.51.100.20 */

/* ---- byte writers -------------------------------------------------------- */

static size_t put8(uint8_t *b, size_t off, unsigned v)
{
	b[off] = (uint8_t)v;
	return off + 1;
}

static size_t put16(uint8_t *b, size_t off, unsigned v)
{
	b[off] = (uint8_t)(v >> 8);
	b[off + 1] = (uint8_t)v;
	return off + 2;
}

static size_t put32(uint8_t *b, size_t off, uint32_t v)
{
	off = put16(b, off, v >> 16);
	return put16(b, off, v & 0xffff);
}

static size_t put64(uint8_t *b, size_t off, uint64_t v)
{
	off = put32(b, off, (uint32_t)(v >> 32));
	return put32(b, off, (uint32_t)v);
}

/* ---- frame builders ------------------------------------------------------ */

struct ipspec {
	int raw;            /* no Ethernet header (DLT_RAW) */
	int vlan;           /* one 802.1Q tag */
	uint8_t proto;
	uint16_t frag;      /* flags and offset field as on the wire */
	uint16_t id;
	uint8_t ttl;
	int ihl;            /* 0: 5 */
	int total;          /* 0: computed from the payload */
};

static struct ipspec ipdef(uint8_t proto)
{
	return (struct ipspec){ .proto = proto, .id = 0x1234, .ttl = 64 };
}

/* Ethernet header (with the tag when asked) for ethertype `type`. */
static size_t build_eth(uint8_t *f, int vlan, uint16_t type)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };
	size_t off = 12;

	memcpy(f, macs, sizeof(macs));
	if (vlan) {
		off = put16(f, off, 0x8100);
		off = put16(f, off, 42);
	}
	return put16(f, off, type);
}

/* Link header, IPv4 header (NOP options when ihl > 5), then l4. */
static size_t build_ip(uint8_t *f, const struct ipspec *s, const uint8_t *l4, size_t l4len)
{
	size_t off = s->raw ? 0 : build_eth(f, s->vlan, 0x0800);
	int ihl = s->ihl ? s->ihl : 5;
	size_t hlen = (size_t)ihl * 4;
	size_t total = s->total ? (size_t)s->total : hlen + l4len;

	off = put8(f, off, 0x40u | (unsigned)(ihl & 0x0f));
	off = put8(f, off, 0);
	off = put16(f, off, (unsigned)total);
	off = put16(f, off, s->id);
	off = put16(f, off, s->frag);
	off = put8(f, off, s->ttl);
	off = put8(f, off, s->proto);
	off = put16(f, off, 0);
	off = put32(f, off, SRC);
	off = put32(f, off, DST);
	for (size_t i = 20; i < hlen; i++)
		off = put8(f, off, 1);
	memcpy(f + off, l4, l4len);
	return off + l4len;
}

/* UDP header and payload; ulen 0 means the true length. */
static size_t build_udp(uint8_t *l4, uint16_t sport, uint16_t dport,
                        const uint8_t *pl, size_t plen, unsigned ulen)
{
	size_t off = put16(l4, 0, sport);

	off = put16(l4, off, dport);
	off = put16(l4, off, ulen ? ulen : (unsigned)(plen + 8));
	off = put16(l4, off, 0);
	memcpy(l4 + off, pl, plen);
	return off + plen;
}

/* A whole Ethernet+IPv4+UDP frame with default IP fields. */
static size_t udp_frame(uint8_t *f, uint16_t sport, uint16_t dport, const uint8_t *pl, size_t plen)
{
	uint8_t l4[MAXF];
	struct ipspec s = ipdef(17);
	size_t n = build_udp(l4, sport, dport, pl, plen, 0);

	return build_ip(f, &s, l4, n);
}

struct ike {
	uint64_t ispi, rspi;
	uint8_t ver, exch, flags;
	uint32_t msgid;
	size_t body;        /* bytes after the 28-byte header */
	int marker;         /* prepend the non-ESP marker */
	long length;        /* 0: 28 + body */
};

static size_t build_ike(uint8_t *b, const struct ike *k)
{
	size_t off = 0;

	if (k->marker)
		off = put32(b, off, 0);
	off = put64(b, off, k->ispi);
	off = put64(b, off, k->rspi);
	off = put8(b, off, 33);                     /* next payload: SA */
	off = put8(b, off, k->ver);
	off = put8(b, off, k->exch);
	off = put8(b, off, k->flags);
	off = put32(b, off, k->msgid);
	off = put32(b, off, k->length ? (uint32_t)k->length : (uint32_t)(28 + k->body));
	for (size_t i = 0; i < k->body; i++)
		off = put8(b, off, (unsigned)(i * 7 + 3));
	return off;
}

static size_t ike_frame(uint8_t *f, uint16_t sport, uint16_t dport, const struct ike *k)
{
	uint8_t pl[MAXF];

	return udp_frame(f, sport, dport, pl, build_ike(pl, k));
}

/* L2TP control message: msgtype < 0 makes a ZLB; a second AVP follows the first. */
static size_t build_l2tp_ctrl(uint8_t *b, uint16_t tunnel, uint16_t session, int msgtype)
{
	size_t off = put16(b, 0, 0xc802);           /* T, L, S, version 2 */

	off = put16(b, off, 0);                     /* length, patched below */
	off = put16(b, off, tunnel);
	off = put16(b, off, session);
	off = put16(b, off, 3);                     /* Ns */
	off = put16(b, off, 5);                     /* Nr */
	if (msgtype >= 0) {
		off = put16(b, off, 0x8008);        /* M bit, length 8 */
		off = put32(b, off, 0);             /* vendor 0, attribute 0 */
		off = put16(b, off, (unsigned)msgtype);
		off = put16(b, off, 0x8008);
		off = put16(b, off, 0);
		off = put16(b, off, 2);             /* Protocol Version */
		off = put16(b, off, 0x0100);
	}
	put16(b, 2, (unsigned)off);
	return off;
}

/* L2TP data message carrying a few PPP bytes. */
static size_t build_l2tp_data(uint8_t *b, uint16_t tunnel, uint16_t session, int with_len, int with_off)
{
	unsigned flags = 0x0002 | (with_len ? 0x4000u : 0) | (with_off ? 0x0200u : 0);
	size_t off = put16(b, 0, flags), lenpos = off;

	if (with_len)
		off = put16(b, off, 0);
	off = put16(b, off, tunnel);
	off = put16(b, off, session);
	if (with_off) {
		off = put16(b, off, 2);
		off = put16(b, off, 0);
	}
	off = put32(b, off, 0xff030021);            /* PPP: address, control, IPv4 */
	if (with_len)
		put16(b, lenpos, (unsigned)off);
	return off;
}

/* ---- running the dissector ----------------------------------------------- */

/* Dissect caplen bytes of f from an exact-size heap copy (ASan sees over-reads). */
static enum pkt_class cut(const uint8_t *f, size_t caplen, size_t wirelen, int link,
                          struct pkt_facts *o)
{
	uint8_t *copy = malloc(caplen ? caplen : 1);
	enum pkt_class cls;

	if (copy == NULL)
		abort();
	memcpy(copy, f, caplen);
	cls = dissect_frame(copy, caplen, wirelen, link, o);
	free(copy);
	return cls;
}

static enum pkt_class run(const uint8_t *f, size_t len, struct pkt_facts *o)
{
	return cut(f, len, len, DISSECT_LINK_EN10MB, o);
}

/* Class and problem text together, for the many negative cases. */
static void is_bad(const uint8_t *f, size_t len, enum pkt_class want, const char *problem, const char *what)
{
	struct pkt_facts o;
	char buf[160];

	run(f, len, &o);
	snprintf(buf, sizeof(buf), "%s: %s", what, dissect_class_name(want));
	is_int(o.cls, want, buf);
	snprintf(buf, sizeof(buf), "%s: problem", what);
	is_str(o.problem, problem, buf);
}

/* ---- IKE ----------------------------------------------------------------- */

static void test_ikev2_sa_init(void)
{
	uint8_t f[MAXF];
	struct ike k = { .ispi = 0x0123456789abcdefULL, .ver = 0x20, .exch = 34,
	                 .flags = 0x08, .msgid = 0, .body = 200 };
	size_t n = ike_frame(f, 500, 500, &k);
	struct pkt_facts o;

	is_int(run(f, n, &o), PKT_IKE, "IKE_SA_INIT: class ike");
	ok(o.problem == NULL, "IKE_SA_INIT: no problem");
	is_int(o.has_ip, 1, "IKE_SA_INIT: has_ip");
	is_int(o.proto, 17, "IKE_SA_INIT: proto 17");
	is_int(o.src, SRC, "IKE_SA_INIT: src host order");
	is_int(o.dst, DST, "IKE_SA_INIT: dst host order");
	is_int(o.ttl, 64, "IKE_SA_INIT: ttl");
	is_int(o.ip_id, 0x1234, "IKE_SA_INIT: ip_id");
	is_int(o.ip_len, 20 + 8 + 28 + 200, "IKE_SA_INIT: ip_len");
	is_int(o.fragment, 0, "IKE_SA_INIT: not a fragment");
	is_int(o.has_ports, 1, "IKE_SA_INIT: has_ports");
	is_int(o.sport, 500, "IKE_SA_INIT: sport");
	is_int(o.dport, 500, "IKE_SA_INIT: dport");
	is_int(o.ike_version, 2, "IKE_SA_INIT: version 2");
	is_int(o.ike_exchange, 34, "IKE_SA_INIT: exchange 34");
	is_int(o.ike_initiator, 1, "IKE_SA_INIT: I flag");
	is_int(o.ike_response, 0, "IKE_SA_INIT: not a response");
	is_int(o.ike_nonesp, 0, "IKE_SA_INIT: no marker");
	is_int(o.ike_msgid, 0, "IKE_SA_INIT: msgid 0");
	ok(o.ike_ispi == 0x0123456789abcdefULL, "IKE_SA_INIT: initiator SPI");
	ok(o.ike_rspi == 0, "IKE_SA_INIT: responder SPI zero");
	is_str(dissect_ike_exchange_name(o.ike_version, o.ike_exchange), "IKE_SA_INIT",
	       "IKE_SA_INIT: name from facts");
}

static void test_ikev2_auth_nat(void)
{
	uint8_t f[MAXF];
	struct ike k = { .ispi = 0x1111222233334444ULL, .rspi = 0xaaaabbbbccccddddULL,
	                 .ver = 0x20, .exch = 35, .flags = 0x20, .msgid = 1, .body = 300, .marker = 1 };
	size_t n = ike_frame(f, 4500, 40017, &k);
	struct pkt_facts o;

	is_int(run(f, n, &o), PKT_IKE, "IKE_AUTH on 4500: class ike");
	is_int(o.ike_nonesp, 1, "IKE_AUTH on 4500: non-ESP marker seen");
	is_int(o.ike_exchange, 35, "IKE_AUTH on 4500: exchange 35");
	is_int(o.ike_response, 1, "IKE_AUTH on 4500: R flag");
	is_int(o.ike_initiator, 0, "IKE_AUTH on 4500: I flag clear (responder)");
	is_int(o.ike_msgid, 1, "IKE_AUTH on 4500: msgid 1");
	ok(o.ike_rspi == 0xaaaabbbbccccddddULL, "IKE_AUTH on 4500: responder SPI");
	ok(o.ike_ispi == 0x1111222233334444ULL, "IKE_AUTH on 4500: initiator SPI");
	is_int(o.dport, 40017, "IKE_AUTH on 4500: NATed port kept");
	is_int(o.esp_spi, 0, "IKE_AUTH on 4500: no ESP fields");
}

static void test_ikev1(void)
{
	uint8_t f[MAXF];
	struct ike mm = { .ispi = 0x5555ULL, .ver = 0x10, .exch = 2, .flags = 0x28, .body = 80 };
	struct ike qm = { .ispi = 0x5555ULL, .rspi = 0x7777ULL, .ver = 0x10, .exch = 32,
	                  .flags = 0x01, .msgid = 0xdeadbeef, .body = 60, .marker = 1 };
	struct pkt_facts o;
	size_t n = ike_frame(f, 500, 500, &mm);

	is_int(run(f, n, &o), PKT_IKE, "IKEv1 main mode: class ike");
	is_int(o.ike_version, 1, "IKEv1 main mode: version 1");
	is_int(o.ike_exchange, 2, "IKEv1 main mode: exchange 2");
	is_int(o.ike_initiator, 1, "IKEv1 main mode: zero responder cookie -> initiator");
	is_int(o.ike_response, 0, "IKEv1 main mode: response always 0 (flags ignored)");
	mm.rspi = 0x9999ULL;
	n = ike_frame(f, 500, 500, &mm);
	run(f, n, &o);
	is_int(o.ike_initiator, 0, "IKEv1 main mode reply: responder cookie set -> not initiator");
	n = ike_frame(f, 4500, 4500, &qm);
	is_int(run(f, n, &o), PKT_IKE, "IKEv1 quick mode on 4500: class ike");
	is_int(o.ike_exchange, 32, "IKEv1 quick mode: exchange 32");
	ok(o.ike_msgid == 0xdeadbeef, "IKEv1 quick mode: message ID");
	is_int(o.ike_nonesp, 1, "IKEv1 quick mode: marker");
	is_str(dissect_ike_exchange_name(1, o.ike_exchange), "QUICK_MODE", "IKEv1 quick mode: name");
}

static void test_ike_bad(void)
{
	uint8_t f[MAXF], pl[64];
	struct ike k = { .ispi = 1, .ver = 0x20, .exch = 34, .flags = 0x08, .body = 20 };
	struct ike unk = { .ispi = 1, .ver = 0x20, .exch = 99, .flags = 0x08 };
	struct pkt_facts o;
	size_t n;

	k.length = 20;
	n = ike_frame(f, 500, 500, &k);
	is_bad(f, n, PKT_INVALID, "IKE length < 28", "IKE length 20");
	k.length = 28 + 21;
	n = ike_frame(f, 500, 500, &k);
	is_bad(f, n, PKT_INVALID, "IKE length exceeds UDP payload", "IKE length past datagram");
	k.length = 0;
	k.ver = 0x30;
	n = ike_frame(f, 500, 500, &k);
	is_bad(f, n, PKT_INVALID, "IKE major version not 1 or 2", "IKE version 3");
	memset(pl, 0, sizeof(pl));
	n = udp_frame(f, 500, 500, pl, 20);
	is_bad(f, n, PKT_INVALID, "IKE header longer than UDP payload", "20-byte datagram on 500");
	n = udp_frame(f, 4500, 4500, pl, 4 + 27);
	is_bad(f, n, PKT_INVALID, "IKE header longer than UDP payload", "marker + 27 bytes on 4500");
	n = ike_frame(f, 500, 500, &unk);
	is_int(run(f, n, &o), PKT_IKE, "unknown exchange 99 is still ike");
	ok(dissect_ike_exchange_name(2, o.ike_exchange) == NULL, "unknown exchange 99 has no name");
}

/* ---- NAT-T: keepalive, ESP in UDP ---------------------------------------- */

static void test_natt(void)
{
	uint8_t f[MAXF], pl[32] = { 0xff };
	struct pkt_facts o;
	size_t n = udp_frame(f, 4500, 4500, pl, 1);

	is_int(run(f, n, &o), PKT_KEEPALIVE, "keepalive: class");
	ok(o.has_ports && o.sport == 4500 && o.problem == NULL, "keepalive: ports, no problem");
	is_int(cut(f, n - 1, n, DISSECT_LINK_EN10MB, &o), PKT_TRUNCATED, "keepalive cut before its byte");
	n = udp_frame(f, 40001, 4500, pl, 1);
	is_int(run(f, n, &o), PKT_KEEPALIVE, "keepalive from a NATed port");
	pl[0] = 0;
	n = udp_frame(f, 4500, 4500, pl, 1);
	is_bad(f, n, PKT_INVALID, "NAT-T payload shorter than 4 bytes", "1-byte 0x00 on 4500");
	n = udp_frame(f, 4500, 4500, pl, 3);
	is_bad(f, n, PKT_INVALID, "NAT-T payload shorter than 4 bytes", "3 bytes on 4500");
	n = udp_frame(f, 4500, 4500, pl, 20);
	is_int(cut(f, n - 18, n, DISSECT_LINK_EN10MB, &o), PKT_TRUNCATED, "4500 payload captured to 2 bytes");

	put32(pl, 0, 0xc0ffee01);
	put32(pl, 4, 7);
	n = udp_frame(f, 4500, 4500, pl, 24);
	is_int(run(f, n, &o), PKT_ESP_UDP, "ESP in UDP: class");
	ok(o.esp_spi == 0xc0ffee01, "ESP in UDP: SPI");
	is_int(o.esp_seq, 7, "ESP in UDP: sequence");
	n = udp_frame(f, 4500, 4500, pl, 6);
	is_bad(f, n, PKT_INVALID, "ESP header longer than its payload", "ESP in UDP with 6 bytes");
	n = udp_frame(f, 4500, 4500, pl, 24);
	is_int(cut(f, 42 + 6, n, DISSECT_LINK_EN10MB, &o), PKT_TRUNCATED, "ESP in UDP captured to 6 bytes");
}

/* ---- raw ESP, AH --------------------------------------------------------- */

static void test_esp_ah(void)
{
	uint8_t f[MAXF], l4[64];
	struct ipspec s = ipdef(50);
	struct pkt_facts o;
	size_t n;

	memset(l4, 0x5a, sizeof(l4));
	put32(l4, 0, 0x00001001);
	put32(l4, 4, 42);
	n = build_ip(f, &s, l4, 40);
	is_int(run(f, n, &o), PKT_ESP, "raw ESP: class");
	is_int(o.esp_spi, 0x1001, "raw ESP: SPI");
	is_int(o.esp_seq, 42, "raw ESP: sequence");
	is_int(o.has_ports, 0, "raw ESP: no ports");
	is_int(cut(f, 14 + 20 + 5, n, DISSECT_LINK_EN10MB, &o), PKT_TRUNCATED, "raw ESP cut inside header");
	n = build_ip(f, &s, l4, 6);
	memset(f + n, 0x5a, 60 - n);
	is_bad(f, 60, PKT_INVALID, "ESP header longer than its payload", "raw ESP of 6 bytes + padding");

	s = ipdef(51);
	put8(l4, 0, 4);                 /* next header: IPv4 */
	put8(l4, 1, 4);                 /* (4 + 2) * 4 = 24 bytes */
	put16(l4, 2, 0);
	put32(l4, 4, 0xa0a0a0a0);
	put32(l4, 8, 9);
	n = build_ip(f, &s, l4, 44);
	is_int(run(f, n, &o), PKT_AH, "AH: class");
	ok(o.ah_spi == 0xa0a0a0a0, "AH: SPI");
	is_int(o.ah_seq, 9, "AH: sequence");
	is_int(cut(f, 14 + 20 + 11, n, DISSECT_LINK_EN10MB, &o), PKT_TRUNCATED, "AH cut inside header");
	put8(l4, 1, 0);
	n = build_ip(f, &s, l4, 44);
	is_bad(f, n, PKT_INVALID, "AH payload length too small", "AH payload length 0");
	put8(l4, 1, 20);
	n = build_ip(f, &s, l4, 44);
	is_bad(f, n, PKT_INVALID, "AH length exceeds IP payload", "AH length 88 in 44 bytes");
}

/* ---- L2TP ---------------------------------------------------------------- */

static void test_l2tp_control(void)
{
	uint8_t f[MAXF], pl[128];
	struct pkt_facts o;
	size_t n = udp_frame(f, 1701, 1701, pl, build_l2tp_ctrl(pl, 0, 0, 1));

	is_int(run(f, n, &o), PKT_L2TP, "SCCRQ: class l2tp");
	is_int(o.l2tp_control, 1, "SCCRQ: control");
	is_int(o.l2tp_msgtype, 1, "SCCRQ: message type 1");
	is_str(dissect_l2tp_msg_name(o.l2tp_msgtype), "SCCRQ", "SCCRQ: name from facts");
	n = udp_frame(f, 1701, 1701, pl, build_l2tp_ctrl(pl, 7, 9, 12));
	run(f, n, &o);
	is_int(o.l2tp_msgtype, 12, "ICCN: message type 12");
	is_int(o.l2tp_tunnel, 7, "ICCN: tunnel id");
	is_int(o.l2tp_session, 9, "ICCN: session id");
	n = udp_frame(f, 1701, 1701, pl, build_l2tp_ctrl(pl, 7, 0, -1));
	is_int(run(f, n, &o), PKT_L2TP, "ZLB: class l2tp");
	ok(o.l2tp_control == 1 && o.l2tp_msgtype == 0, "ZLB: control, message type 0");
	is_int(cut(f, n - 2, n, DISSECT_LINK_EN10MB, &o), PKT_TRUNCATED, "ZLB cut inside header");
	n = build_l2tp_ctrl(pl, 7, 0, -1);
	n = put32(pl, n, 0x80080000);   /* beyond the L length: not an AVP of this message */
	n = udp_frame(f, 1701, 1701, pl, n);
	run(f, n, &o);
	ok(o.cls == PKT_L2TP && o.l2tp_msgtype == 0, "ZLB: bytes past its L length ignored");

	/* offset field and pad before the AVPs; L length covers only the message */
	n = 0;
	n = put16(pl, n, 0xca02);       /* T, L, S, O, version 2 */
	n = put16(pl, n, 24);
	n = put16(pl, n, 3);
	n = put16(pl, n, 0);
	n = put32(pl, n, 0);
	n = put16(pl, n, 2);
	n = put16(pl, n, 0xeeee);       /* offset pad */
	n = put16(pl, n, 0x8008);
	n = put32(pl, n, 0);
	n = put16(pl, n, 6);
	n = put32(pl, n, 0x12345678);   /* bytes after the L length: ignored */
	n = udp_frame(f, 1701, 1701, pl, n);
	is_int(run(f, n, &o), PKT_L2TP, "HELLO after offset pad: class");
	is_int(o.l2tp_msgtype, 6, "HELLO after offset pad: message type 6");
}

static void test_l2tp_data_and_bad(void)
{
	uint8_t f[MAXF], pl[128];
	struct pkt_facts o;
	size_t n = udp_frame(f, 1701, 1701, pl, build_l2tp_data(pl, 4, 5, 0, 0));

	is_int(run(f, n, &o), PKT_L2TP, "L2TP data: class");
	ok(o.l2tp_control == 0 && o.l2tp_msgtype == 0, "L2TP data: not control, type 0");
	ok(o.l2tp_tunnel == 4 && o.l2tp_session == 5, "L2TP data: tunnel and session");
	n = udp_frame(f, 50000, 1701, pl, build_l2tp_data(pl, 8, 10, 1, 1));
	run(f, n, &o);
	ok(o.cls == PKT_L2TP && o.l2tp_tunnel == 8 && o.l2tp_session == 10,
	   "L2TP data with L and O bits: tunnel and session");

	n = build_l2tp_ctrl(pl, 1, 0, 1);
	put16(pl, 0, 0xc803);
	n = udp_frame(f, 1701, 1701, pl, n);
	is_bad(f, n, PKT_INVALID, "L2TP version not 2", "L2TP version 3");
	n = build_l2tp_ctrl(pl, 1, 0, 1);
	put16(pl, 16, 7);               /* first AVP: attribute 7 (Host Name) */
	n = udp_frame(f, 1701, 1701, pl, n);
	is_bad(f, n, PKT_INVALID, "L2TP first AVP is not Message Type", "L2TP first AVP not type");
	n = build_l2tp_ctrl(pl, 1, 0, 1);
	put16(pl, 12, 0xc008);
	n = udp_frame(f, 1701, 1701, pl, n);
	is_bad(f, n, PKT_INVALID, "L2TP Message Type AVP hidden", "L2TP hidden message type");
	n = build_l2tp_ctrl(pl, 1, 0, 1);
	put16(pl, 2, (unsigned)n + 10);
	n = udp_frame(f, 1701, 1701, pl, n);
	is_bad(f, n, PKT_INVALID, "L2TP length exceeds UDP payload", "L2TP length past datagram");
	n = build_l2tp_ctrl(pl, 1, 0, 1);
	put16(pl, 2, 6);
	n = udp_frame(f, 1701, 1701, pl, n);
	is_bad(f, n, PKT_INVALID, "L2TP length shorter than its header", "L2TP length 6");
}

/* ---- ICMP, TCP, other ---------------------------------------------------- */

static void test_icmp_tcp_other(void)
{
	uint8_t f[MAXF], l4[64] = { 8, 0, 0x12, 0x34, 0, 1, 0, 1 };
	struct ipspec s = ipdef(1);
	struct pkt_facts o;
	size_t n = build_ip(f, &s, l4, 16);

	is_int(run(f, n, &o), PKT_ICMP, "ICMP echo: class");
	ok(o.icmp_type == 8 && o.icmp_code == 0, "ICMP echo: type 8 code 0");
	is_int(o.has_ports, 0, "ICMP echo: no ports");
	l4[0] = 3;
	l4[1] = 3;
	n = build_ip(f, &s, l4, 16);
	run(f, n, &o);
	ok(o.icmp_type == 3 && o.icmp_code == 3, "ICMP port unreachable: type 3 code 3");

	s = ipdef(6);
	memset(l4, 0, sizeof(l4));
	put16(l4, 0, 40000);
	put16(l4, 2, 22);
	put8(l4, 12, 0x50);
	n = build_ip(f, &s, l4, 20);
	is_int(run(f, n, &o), PKT_TCP, "TCP: class");
	ok(o.has_ports && o.sport == 40000 && o.dport == 22, "TCP: ports");
	put8(l4, 12, 0x40);
	n = build_ip(f, &s, l4, 20);
	is_bad(f, n, PKT_INVALID, "TCP data offset < 5", "TCP data offset 4");
	n = build_ip(f, &s, l4, 12);
	is_bad(f, n, PKT_INVALID, "TCP header longer than IP payload", "TCP in 12 bytes");

	s = ipdef(47);
	n = build_ip(f, &s, l4, 20);
	is_int(run(f, n, &o), PKT_OTHER, "GRE: class other");
	ok(o.problem == NULL && o.has_ip && o.proto == 47, "GRE: IP facts, no problem");
}

/* ---- IPv4 and the link layer --------------------------------------------- */

static void test_fragments(void)
{
	uint8_t f[MAXF], l4[MAXF], pl[MAXF];
	struct ike k = { .ispi = 3, .rspi = 4, .ver = 0x20, .exch = 35, .flags = 0x08,
	                 .msgid = 1, .body = 2000, .marker = 1 };
	struct ipspec s = ipdef(17);
	struct pkt_facts o;
	size_t plen = build_ike(pl, &k);
	size_t ulen = build_udp(l4, 4500, 4500, pl, plen, 0);
	size_t n;

	s.frag = 0x2000;                /* MF, offset 0: 1480 of the datagram's bytes */
	n = build_ip(f, &s, l4, 1480);
	is_int(run(f, n, &o), PKT_IKE, "first fragment: decoded as ike");
	ok(o.fragment == 1 && o.more_fragments == 1 && o.frag_offset == 0,
	   "first fragment: fragment, MF, offset 0");
	is_int(o.ike_exchange, 35, "first fragment: exchange");
	n = build_ip(f, &s, l4, 8 + 10);
	is_bad(f, n, PKT_TRUNCATED, "IKE header truncated", "first fragment ends inside IKE header");

	s.frag = 185;                   /* last fragment at 1480 bytes */
	n = build_ip(f, &s, l4 + 1480, ulen - 1480);
	is_int(run(f, n, &o), PKT_FRAGMENT, "non-first fragment: class fragment");
	ok(o.fragment == 1 && o.more_fragments == 0 && o.frag_offset == 1480,
	   "non-first fragment: offset 1480 bytes, no MF");
	ok(o.has_ports == 0 && o.proto == 17 && o.problem == NULL,
	   "non-first fragment: no transport parsed");
	s.frag = 0x2000 | 185;
	n = build_ip(f, &s, l4 + 1480, 64);
	run(f, n, &o);
	ok(o.cls == PKT_FRAGMENT && o.more_fragments == 1, "middle fragment: fragment with MF");
}

static void test_link(void)
{
	uint8_t f[MAXF], l4[128], pl[64];
	struct ike k = { .ispi = 77, .ver = 0x20, .exch = 34, .flags = 0x08, .body = 10 };
	struct ipspec s = ipdef(17);
	struct pkt_facts o;
	size_t n, ln = build_udp(l4, 500, 500, pl, build_ike(pl, &k), 0);

	s.vlan = 1;
	n = build_ip(f, &s, l4, ln);
	is_int(run(f, n, &o), PKT_IKE, "802.1Q-tagged IKE: class ike");
	ok(o.ike_ispi == 77 && o.src == SRC && o.sport == 500, "802.1Q-tagged IKE: fields");
	is_int(cut(f, 16, n, DISSECT_LINK_EN10MB, &o), PKT_TRUNCATED, "802.1Q tag truncated");
	build_eth(f, 1, 0x0806);
	is_int(run(f, 60, &o), PKT_NONIP, "802.1Q-tagged ARP: non-ip");

	s.vlan = 0;
	s.raw = 1;
	n = build_ip(f, &s, l4, ln);
	is_int(cut(f, n, n, DISSECT_LINK_RAW, &o), PKT_IKE, "raw IP link: ike");
	ok(o.ip_len == n && o.dst == DST, "raw IP link: IP fields");
	f[0] = 0x60;
	is_int(cut(f, n, n, DISSECT_LINK_RAW, &o), PKT_NONIP, "raw IP link, version 6: non-ip");
	is_int(cut(f, n, n, 999, &o), PKT_INVALID, "unknown link type: invalid");
	is_str(o.problem, "unknown link type", "unknown link type: problem");

	memset(f, 0, 60);
	build_eth(f, 0, 0x0806);
	is_int(run(f, 60, &o), PKT_NONIP, "ARP: non-ip");
	build_eth(f, 0, 0x86dd);
	is_int(run(f, 60, &o), PKT_NONIP, "IPv6 ethertype: non-ip");
	ok(o.has_ip == 0 && o.problem == NULL, "non-ip: no IP facts, no problem");
	is_int(run(f, 10, &o), PKT_INVALID, "10-byte frame (on the wire too): invalid");
	is_int(cut(f, 10, 60, DISSECT_LINK_EN10MB, &o), PKT_TRUNCATED, "10 of 60 bytes captured: truncated");
}

static void test_ipv4_bad(void)
{
	uint8_t f[MAXF], l4[64], pl[4] = { 0xff };
	struct ipspec s = ipdef(17);
	struct pkt_facts o;
	size_t ln = build_udp(l4, 4500, 4500, pl, 1, 0), n;

	s.ihl = 4;
	n = build_ip(f, &s, l4, ln);
	is_bad(f, n, PKT_INVALID, "IPv4 IHL < 5", "IHL 4");
	s.ihl = 15;
	s.total = 40;
	n = build_ip(f, &s, l4, ln);
	is_bad(f, n, PKT_INVALID, "IPv4 total length < header length", "IHL 15, total length 40");
	s.ihl = 0;
	s.total = 10;
	n = build_ip(f, &s, l4, ln);
	is_bad(f, n, PKT_INVALID, "IPv4 total length < header length", "total length 10");
	s.total = 200;
	n = build_ip(f, &s, l4, ln);
	is_bad(f, n, PKT_INVALID, "IPv4 total length exceeds frame", "total length 200 in 43 bytes");
	is_int(cut(f, n, 14 + 200, DISSECT_LINK_EN10MB, &o), PKT_KEEPALIVE,
	       "total length 200, wire 214, 43 captured: headers all there");
	is_int(cut(f, 14 + 24, 14 + 200, DISSECT_LINK_EN10MB, &o), PKT_TRUNCATED,
	       "total length 200, wire 214, 38 captured: truncated");
	s.total = 0;
	s.ihl = 6;
	n = build_ip(f, &s, l4, ln);
	is_int(run(f, n, &o), PKT_KEEPALIVE, "IHL 6: options skipped");
	is_int(cut(f, 14 + 22, n, DISSECT_LINK_EN10MB, &o), PKT_TRUNCATED, "options cut by capture");
	is_str(o.problem, "IPv4 options truncated", "options cut: problem");
	s.ihl = 0;
	n = build_ip(f, &s, l4, ln);
	f[14] = 0x55;
	is_bad(f, n, PKT_INVALID, "IP version not 4", "IP version 5");
	f[14] = 0x65;
	is_bad(f, n, PKT_INVALID, "IP version not 4", "IPv6 header behind ethertype 0x0800");
	is_int(cut(f, 14 + 19, n, DISSECT_LINK_EN10MB, &o), PKT_INVALID,
	       "bad version is seen even when header is cut");
}

static void test_udp_lengths(void)
{
	uint8_t f[MAXF], l4[64], pl[16];
	struct ipspec s = ipdef(17);
	struct pkt_facts o;
	size_t ln, n;

	memset(pl, 0xff, sizeof(pl));
	ln = build_udp(l4, 4500, 4500, pl, 1, 6);
	n = build_ip(f, &s, l4, ln);
	is_bad(f, n, PKT_INVALID, "UDP length < 8", "UDP length 6");
	ln = build_udp(l4, 4500, 4500, pl, 1, 30);
	n = build_ip(f, &s, l4, ln);
	is_bad(f, n, PKT_INVALID, "UDP length exceeds IP payload", "UDP length 30 in 9 bytes");
	ln = build_udp(l4, 4500, 4500, pl, 1, 20);
	n = build_ip(f, &s, l4, ln);
	memset(f + n, 0, 60 - n);       /* Ethernet padding must not make room for it */
	is_bad(f, 60, PKT_INVALID, "UDP length exceeds IP payload", "UDP length 20 in 9 bytes + padding");
	ln = build_udp(l4, 4500, 4500, pl, 4, 9);
	n = build_ip(f, &s, l4, ln);
	is_int(run(f, n, &o), PKT_KEEPALIVE, "UDP length 9 in 12-byte IP payload: keepalive");
	ln = build_udp(l4, 4500, 4500, pl, 1, 0);
	n = build_ip(f, &s, l4, ln);
	memset(f + n, 0xff, 60 - n);
	is_int(run(f, 60, &o), PKT_KEEPALIVE, "padded keepalive: padding ignored");
	is_int(o.ip_len, 29, "padded keepalive: ip_len from header");
	n = build_ip(f, &s, l4, 4);
	is_bad(f, n, PKT_INVALID, "UDP header longer than IP payload", "UDP in 4 bytes");
	n = build_ip(f, &s, l4, ln);
	is_bad(f, 14 + 24, PKT_INVALID, "IPv4 total length exceeds frame", "frame cut on the wire");
	is_int(cut(f, 14 + 24, n, DISSECT_LINK_EN10MB, &o), PKT_TRUNCATED, "frame cut by the capture");
	is_str(o.problem, "UDP header truncated", "frame cut by the capture: problem");
	ln = build_udp(l4, 5353, 5353, pl, 8, 0);
	n = build_ip(f, &s, l4, ln);
	is_int(run(f, n, &o), PKT_UDP, "mDNS port: plain udp");
}

/* ---- truncation sweeps --------------------------------------------------- */

/*
** Capture every prefix of a valid frame (the wire length stays whole).
** Below hdr_end bytes the class must be TRUNCATED with a problem, from
** there on the frame's own class; has_ip appears at ip_end.
*/
static void sweep(const char *what, const uint8_t *f, size_t n, int link,
                  size_t ip_end, size_t hdr_end, enum pkt_class whole)
{
	struct pkt_facts o;
	int bad_cls = 0, bad_problem = 0, bad_ip = 0;
	char buf[128];

	for (size_t cap = 0; cap <= n; cap++) {
		enum pkt_class want = cap < hdr_end ? PKT_TRUNCATED : whole;

		if (cut(f, cap, n, link, &o) != want || o.cls != want)
			bad_cls++;
		if ((want == PKT_TRUNCATED) != (o.problem != NULL))
			bad_problem++;
		if (o.has_ip != (cap >= ip_end))
			bad_ip++;
	}
	snprintf(buf, sizeof(buf), "%s: every prefix classified right", what);
	is_int(bad_cls, 0, buf);
	snprintf(buf, sizeof(buf), "%s: problem set exactly when truncated", what);
	is_int(bad_problem, 0, buf);
	snprintf(buf, sizeof(buf), "%s: has_ip from the 20th IP byte on", what);
	is_int(bad_ip, 0, buf);
}

static void test_truncation(void)
{
	uint8_t f[MAXF], pl[256], l4[512];
	struct ike k = { .ispi = 9, .ver = 0x20, .exch = 34, .flags = 0x08, .body = 64 };
	struct ipspec s = ipdef(17);
	size_t n = ike_frame(f, 500, 500, &k), ln;

	sweep("IKE on 500", f, n, DISSECT_LINK_EN10MB, 34, 42 + 28, PKT_IKE);
	k.marker = 1;
	n = ike_frame(f, 4500, 4500, &k);
	sweep("IKE on 4500", f, n, DISSECT_LINK_EN10MB, 34, 42 + 32, PKT_IKE);
	n = udp_frame(f, 1701, 1701, pl, build_l2tp_ctrl(pl, 1, 2, 1));
	sweep("L2TP SCCRQ", f, n, DISSECT_LINK_EN10MB, 34, 42 + 12 + 8, PKT_L2TP);
	k.marker = 0;
	ln = build_udp(l4, 500, 500, pl, build_ike(pl, &k), 0);
	s.vlan = 1;
	n = build_ip(f, &s, l4, ln);
	sweep("802.1Q IKE", f, n, DISSECT_LINK_EN10MB, 38, 46 + 28, PKT_IKE);
	s.vlan = 0;
	s.raw = 1;
	n = build_ip(f, &s, l4, ln);
	sweep("raw-IP IKE", f, n, DISSECT_LINK_RAW, 20, 28 + 28, PKT_IKE);
}

/* ---- fuzz ---------------------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

struct seed {
	uint8_t b[MAXF];
	size_t n;
	int link;
};

static size_t make_seeds(struct seed *sd)
{
	struct ike v2 = { .ispi = 1, .ver = 0x20, .exch = 34, .flags = 0x08, .body = 40 };
	struct ike v1 = { .ispi = 1, .rspi = 2, .ver = 0x10, .exch = 32, .body = 40, .marker = 1 };
	uint8_t pl[256], l4[256];
	struct ipspec s = ipdef(51);
	size_t i = 0;

	sd[i].link = DISSECT_LINK_EN10MB, sd[i].n = ike_frame(sd[i].b, 500, 500, &v2), i++;
	sd[i].link = DISSECT_LINK_EN10MB, sd[i].n = ike_frame(sd[i].b, 4500, 4500, &v1), i++;
	sd[i].link = DISSECT_LINK_EN10MB;
	sd[i].n = udp_frame(sd[i].b, 1701, 1701, pl, build_l2tp_ctrl(pl, 1, 2, 1)), i++;
	sd[i].link = DISSECT_LINK_EN10MB;
	sd[i].n = udp_frame(sd[i].b, 1701, 1701, pl, build_l2tp_data(pl, 1, 2, 1, 1)), i++;
	memset(pl, 0x11, sizeof(pl));
	sd[i].link = DISSECT_LINK_EN10MB, sd[i].n = udp_frame(sd[i].b, 4500, 4500, pl, 40), i++;
	memset(l4, 0, sizeof(l4));
	put8(l4, 1, 4);
	sd[i].link = DISSECT_LINK_EN10MB, sd[i].n = build_ip(sd[i].b, &s, l4, 40), i++;
	s = ipdef(6);
	s.raw = 1;
	put8(l4, 12, 0x50);
	sd[i].link = DISSECT_LINK_RAW, sd[i].n = build_ip(sd[i].b, &s, l4, 40), i++;
	s = ipdef(1);
	s.vlan = 1;
	s.ihl = 7;
	sd[i].link = DISSECT_LINK_EN10MB, sd[i].n = build_ip(sd[i].b, &s, l4, 16), i++;
	return i;
}

/* One mutated (or wholly random) frame into f; its captured length returned. */
static size_t mutate(uint8_t *f, const struct seed *sd, size_t nseeds, int *link, size_t *wire)
{
	const struct seed *s = &sd[rng() % nseeds];
	size_t n = s->n, flips = 1 + rng() % 8;

	*link = s->link;
	memcpy(f, s->b, n);
	switch (rng() % 4) {
	case 0:                         /* whole random frame */
		n = rng() % 200;
		for (size_t i = 0; i < n; i++)
			f[i] = (uint8_t)rng();
		break;
	case 1:                         /* bytes in the headers */
		for (size_t i = 0; i < flips; i++)
			f[rng() % (n < 90 ? n : 90)] = (uint8_t)rng();
		break;
	case 2:                         /* bytes anywhere, then a random cut */
		for (size_t i = 0; i < flips; i++)
			f[rng() % n] ^= (uint8_t)(1u << rng() % 8);
		n = rng() % (n + 1);
		break;
	default:                        /* mostly-zero or mostly-0xff length words */
		f[rng() % (n < 90 ? n : 90)] = rng() % 2 ? 0xff : 0;
		f[rng() % (n < 90 ? n : 90)] = (uint8_t)(rng() % 32);
		break;
	}
	*wire = rng() % 4 == 0 ? n + rng() % 64 : n;
	if (rng() % 50 == 0)
		*link = (int)(rng() % 200);
	return n;
}

static int facts_consistent(const struct pkt_facts *o)
{
	int bad = o->cls == PKT_TRUNCATED || o->cls == PKT_INVALID;

	if ((unsigned)o->cls >= PKT_CLASS_COUNT || dissect_class_name(o->cls) == NULL)
		return 0;
	if (bad != (o->problem != NULL))
		return 0;
	if (o->cls == PKT_IKE && (o->ike_version < 1 || o->ike_version > 2 || !o->has_ports))
		return 0;
	if (o->cls >= PKT_FRAGMENT && o->cls != PKT_NONIP && !o->has_ip)
		return 0;
	if (o->cls == PKT_FRAGMENT && (o->frag_offset == 0 || o->has_ports))
		return 0;
	return 1;
}

static void test_fuzz(void)
{
	static struct seed sd[16];
	size_t nseeds = make_seeds(sd);
	uint8_t f[MAXF];
	long inconsistent = 0, seen[PKT_CLASS_COUNT] = { 0 };
	int reached = 0;

	for (long i = 0; i < 200000; i++) {
		struct pkt_facts o;
		int link;
		size_t wire, n = mutate(f, sd, nseeds, &link, &wire);

		cut(f, n, wire, link, &o);
		if (!facts_consistent(&o))
			inconsistent++;
		else
			seen[o.cls]++;
	}
	printf("# fuzz outcomes:");
	for (int c = 0; c < PKT_CLASS_COUNT; c++)
		printf(" %s=%ld", dissect_class_name((enum pkt_class)c), seen[c]);
	printf("\n");
	is_int(inconsistent, 0, "fuzz: 200000 mutated frames, facts always consistent");
	for (int c = 0; c < PKT_CLASS_COUNT; c++)
		reached += seen[c] > 0;
	ok(reached >= 12, "fuzz: mutations reach at least 12 of the 14 classes");
	ok(seen[PKT_IKE] > 1000 && seen[PKT_TRUNCATED] > 1000 && seen[PKT_INVALID] > 1000,
	   "fuzz: plenty of ike, truncated and invalid outcomes");
}

/* ---- misc and names ------------------------------------------------------ */

static void test_api_edges(void)
{
	uint8_t f[MAXF], pl[4] = { 0xff };
	struct pkt_facts o;
	size_t n = udp_frame(f, 4500, 4500, pl, 1);

	memset(&o, 0xaa, sizeof(o));
	memset(f + 12, 0x08, 1);
	f[13] = 0x06;                   /* ARP */
	run(f, n, &o);
	ok(o.has_ip == 0 && o.src == 0 && o.sport == 0 && o.ike_ispi == 0 && o.problem == NULL,
	   "facts are zeroed before decoding");
	is_int(dissect_frame(NULL, 0, 0, DISSECT_LINK_EN10MB, &o), PKT_INVALID, "NULL bytes, length 0: invalid");
	is_int(dissect_frame(NULL, 0, 60, DISSECT_LINK_EN10MB, &o), PKT_TRUNCATED, "NULL bytes, wire 60: truncated");
	n = udp_frame(f, 4500, 4500, pl, 1);
	is_int(dissect_frame(f, n, 0, DISSECT_LINK_EN10MB, NULL), PKT_KEEPALIVE,
	       "NULL out, wirelen 0: class still returned");
}

static void test_names_l2tp(void)
{
	static const struct { int num; const char *name; } l2[] = {
		{ 0, "ZLB" }, { 1, "SCCRQ" }, { 2, "SCCRP" }, { 3, "SCCCN" }, { 4, "StopCCN" },
		{ 6, "HELLO" }, { 7, "OCRQ" }, { 8, "OCRP" }, { 9, "OCCN" }, { 10, "ICRQ" },
		{ 11, "ICRP" }, { 12, "ICCN" }, { 14, "CDN" }, { 15, "WEN" }, { 16, "SLI" } };
	int bad = 0;

	for (size_t i = 0; i < sizeof(l2) / sizeof(l2[0]); i++)
		bad += dissect_l2tp_msg_by_name(l2[i].name) != l2[i].num ||
		       dissect_l2tp_msg_name(l2[i].num) == NULL ||
		       strcmp(dissect_l2tp_msg_name(l2[i].num), l2[i].name) != 0;
	is_int(bad, 0, "L2TP message names: all 15 both ways");
	is_int(dissect_l2tp_msg_by_name("sccrq"), 1, "L2TP by name: lower case");
	is_int(dissect_l2tp_msg_by_name("STOPCCN"), 4, "L2TP by name: upper case");
	is_int(dissect_l2tp_msg_by_name("zlb"), 0, "L2TP by name: zlb is 0");
	is_int(dissect_l2tp_msg_by_name("FOO"), -1, "L2TP by name: unknown is -1");
	is_int(dissect_l2tp_msg_by_name(NULL), -1, "L2TP by name: NULL is -1");
	ok(dissect_l2tp_msg_name(5) == NULL && dissect_l2tp_msg_name(13) == NULL &&
	   dissect_l2tp_msg_name(-1) == NULL, "L2TP names: reserved numbers unknown");
}

static void test_names(void)
{
	static const char *const cls[PKT_CLASS_COUNT] = {
		"other", "non-ip", "truncated", "invalid", "fragment", "icmp", "tcp", "udp",
		"ike", "keepalive", "esp-udp", "esp", "ah", "l2tp" };
	static const struct { int num; const char *name; } v2[] = {
		{ 34, "IKE_SA_INIT" }, { 35, "IKE_AUTH" }, { 36, "CREATE_CHILD_SA" },
		{ 37, "INFORMATIONAL" }, { 38, "IKE_SESSION_RESUME" }, { 43, "IKE_INTERMEDIATE" },
		{ 44, "IKE_FOLLOWUP_KE" } }, v1[] = {
		{ 1, "BASE" }, { 2, "MAIN_MODE" }, { 3, "AUTH_ONLY" }, { 4, "AGGRESSIVE" },
		{ 5, "INFORMATIONAL" }, { 6, "TRANSACTION" }, { 32, "QUICK_MODE" },
		{ 33, "NEW_GROUP_MODE" } };
	int bad = 0;

	for (int c = 0; c < PKT_CLASS_COUNT; c++)
		bad += dissect_class_name((enum pkt_class)c) == NULL ||
		       strcmp(dissect_class_name((enum pkt_class)c), cls[c]) != 0;
	is_int(bad, 0, "class names: all 14 as specified");
	ok(dissect_class_name(PKT_CLASS_COUNT) == NULL, "class name: out of range is NULL");
	bad = 0;
	for (size_t i = 0; i < sizeof(v2) / sizeof(v2[0]); i++)
		bad += !dissect_ike_exchange_known(v2[i].name) ||
		       dissect_ike_exchange_name(2, v2[i].num) == NULL ||
		       strcmp(dissect_ike_exchange_name(2, v2[i].num), v2[i].name) != 0;
	is_int(bad, 0, "IKEv2 exchange names: all 7 both ways");
	bad = 0;
	for (size_t i = 0; i < sizeof(v1) / sizeof(v1[0]); i++)
		bad += !dissect_ike_exchange_known(v1[i].name) ||
		       dissect_ike_exchange_name(1, v1[i].num) == NULL ||
		       strcmp(dissect_ike_exchange_name(1, v1[i].num), v1[i].name) != 0;
	is_int(bad, 0, "IKEv1 exchange names: all 8 both ways");
	ok(dissect_ike_exchange_name(1, 34) == NULL, "IKEv1 has no exchange 34");
	ok(dissect_ike_exchange_name(2, 2) == NULL, "IKEv2 has no exchange 2");
	ok(dissect_ike_exchange_name(3, 34) == NULL, "no IKE version 3");
	ok(!dissect_ike_exchange_known("IKE_SA_INITX") && !dissect_ike_exchange_known(""),
	   "unknown exchange names rejected");
	ok(!dissect_ike_exchange_known(NULL), "NULL exchange name rejected");
	ok(!dissect_ike_exchange_known("ike_sa_init"), "exchange names are case-sensitive");
}

/* PPP inside L2TP data: address/control present or not, compressed protocol, control codes, cut frames. */
static void test_l2tp_ppp(void)
{
	static const struct { const char *name; uint8_t ppp[6]; size_t n; int cls, proto, code; } cases[] = {
		{ "LCP Configure-Request", { 0xff, 0x03, 0xc0, 0x21, 0x01, 0x07 }, 6, PKT_L2TP, 0xc021, 1 },
		{ "IPCP Configure-Ack without FF 03", { 0x80, 0x21, 0x02, 0x01 }, 4, PKT_L2TP, 0x8021, 2 },
		{ "CHAP Success", { 0xff, 0x03, 0xc2, 0x23, 0x03, 0x01 }, 6, PKT_L2TP, 0xc223, 3 },
		{ "compressed IPv4 protocol", { 0x21, 0x45, 0x00 }, 3, PKT_L2TP, 0x0021, -1 },
		{ "IPv4 has no code", { 0xff, 0x03, 0x00, 0x21, 0x45 }, 5, PKT_L2TP, 0x0021, -1 },
		{ "LCP without its code", { 0xff, 0x03, 0xc0, 0x21 }, 4, PKT_INVALID, 0, 0 },
		{ "only FF", { 0xff }, 1, PKT_INVALID, 0, 0 },
	};
	uint8_t f[MAXF], pl[64];
	struct pkt_facts o;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char what[128];
		size_t off = put16(pl, 0, 0x0002);      /* data, no length */
		off = put16(pl, off, 3);
		off = put16(pl, off, 4);
		memcpy(pl + off, cases[i].ppp, cases[i].n);
		size_t n = udp_frame(f, 1701, 1701, pl, off + cases[i].n);
		snprintf(what, sizeof(what), "ppp: %s: class", cases[i].name);
		is_int(run(f, n, &o), cases[i].cls, what);
		if (cases[i].cls != PKT_L2TP) {
			snprintf(what, sizeof(what), "ppp: %s: no PPP facts", cases[i].name);
			ok(!o.has_ppp, what);
			continue;
		}
		snprintf(what, sizeof(what), "ppp: %s: protocol and code", cases[i].name);
		ok(o.has_ppp && o.ppp_proto == cases[i].proto && o.ppp_code == cases[i].code, what);
	}
	is_str(dissect_ppp_proto_name(0xc021), "LCP", "ppp: LCP's name");
	is_int(dissect_ppp_proto_by_name("ipcp"), 0x8021, "ppp: IPCP by name, any case");
	is_str(dissect_ppp_code_name(0xc223, 1), "Challenge", "ppp: CHAP's code 1");
	is_str(dissect_ppp_code_name(0x8021, 1), "Configure-Request", "ppp: IPCP's code 1");
	ok(dissect_ppp_code_name(0x0021, 1) == NULL, "ppp: IPv4 has no codes");
	is_int(dissect_ppp_code_by_name("Echo-Reply"), 10, "ppp: Echo-Reply by name");
	is_int(dissect_icmp_type_by_name("dest-unreach"), 3, "icmp: dest-unreach by name");
	is_str(dissect_icmp_type_name(8), "echo-request", "icmp: type 8's name");
	is_int(dissect_icmp_type_by_name("nonsense"), -1, "icmp: an unknown name");
}

/* ---- link layers (issue 11) ------------------------------------------------ */

/* The IKE frame of test_link behind another link header: what dissect_frame makes of it. */
static enum pkt_class behind(const uint8_t *hdr, size_t hlen, const uint8_t *ip, size_t iplen, int link,
                             size_t caplen, struct pkt_facts *o)
{
	uint8_t f[MAXF];

	memcpy(f, hdr, hlen);
	memcpy(f + hlen, ip, iplen);
	return cut(f, caplen ? caplen : hlen + iplen, hlen + iplen, link, o);
}

static void test_cooked_links(void)
{
	uint8_t ip[MAXF], l4[128], pl[64];
	struct ike k = { .ispi = 77, .ver = 0x20, .exch = 34, .flags = 0x08, .body = 10 };
	struct ipspec s = ipdef(17);
	struct pkt_facts o;
	size_t n;
	static const uint8_t mac[6] = { 0x02, 0x62, 0, 0, 0, 0x0b };
	uint8_t sll[16] = { 0, 0, 0, 1, 0, 6, 0x02, 0x62, 0, 0, 0, 0x0b, 0, 0, 0x08, 0x00 };
	uint8_t sll2[20] = { 0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 0x02, 0x62, 0, 0, 0, 0x0b, 0, 0 };
	uint8_t null_le[4] = { 2, 0, 0, 0 }, null_be[4] = { 0, 0, 0, 2 }, null_v6[4] = { 30, 0, 0, 0 };

	s.raw = 1;
	n = build_ip(ip, &s, l4, build_udp(l4, 500, 500, pl, build_ike(pl, &k), 0));

	is_int(behind(sll, 16, ip, n, DISSECT_LINK_LINUX_SLL, 0, &o), PKT_IKE, "cooked v1: ike");
	ok(o.has_eth == 2 && memcmp(o.eth_src, mac, 6) == 0 && o.src == SRC && o.ike_ispi == 77,
	   "cooked v1: the sender's MAC (has_eth 2), the IP and IKE facts");
	ok(memcmp(o.eth_dst, "\0\0\0\0\0\0", 6) == 0, "cooked v1: no destination MAC");
	sll[5] = 4;                     /* a 4-byte link-layer address is no MAC */
	behind(sll, 16, ip, n, DISSECT_LINK_LINUX_SLL, 0, &o);
	ok(o.cls == PKT_IKE && o.has_eth == 0, "cooked v1, address length 4: ike, no MAC");
	sll[14] = 0x86, sll[15] = 0xdd;
	is_int(behind(sll, 16, ip, n, DISSECT_LINK_LINUX_SLL, 0, &o), PKT_NONIP, "cooked v1, IPv6 protocol: non-ip");
	is_int(behind(sll, 16, ip, n, DISSECT_LINK_LINUX_SLL, 10, &o), PKT_TRUNCATED, "cooked v1 header cut: truncated");
	is_int(behind(sll, 16, ip, n, DISSECT_LINK_LINUX_SLL, 0, &o) == PKT_NONIP && dissect_frame(sll, 12, 12,
	       DISSECT_LINK_LINUX_SLL, &o) == PKT_INVALID, 1, "cooked v1, 12-byte frame: invalid");

	is_int(behind(sll2, 20, ip, n, DISSECT_LINK_LINUX_SLL2, 0, &o), PKT_IKE, "cooked v2: ike");
	ok(o.has_eth == 2 && memcmp(o.eth_src, mac, 6) == 0 && o.dst == DST && o.sport == 500,
	   "cooked v2: the sender's MAC, the IP facts");
	sll2[0] = 0x08, sll2[1] = 0x06;
	is_int(behind(sll2, 20, ip, n, DISSECT_LINK_LINUX_SLL2, 0, &o), PKT_NONIP, "cooked v2, ARP: non-ip");
	is_int(behind(sll2, 20, ip, n, DISSECT_LINK_LINUX_SLL2, 19, &o), PKT_TRUNCATED, "cooked v2 header cut: truncated");

	is_int(behind(null_le, 4, ip, n, DISSECT_LINK_NULL, 0, &o), PKT_IKE, "loopback, AF_INET little-endian: ike");
	is_int(behind(null_be, 4, ip, n, DISSECT_LINK_NULL, 0, &o), PKT_IKE, "loopback, AF_INET big-endian: ike");
	ok(o.has_eth == 0 && o.src == SRC, "loopback: IP facts, no MAC");
	is_int(behind(null_v6, 4, ip, n, DISSECT_LINK_NULL, 0, &o), PKT_NONIP, "loopback, AF_INET6 (30): non-ip");
	is_int(cut(ip, n, n, DISSECT_LINK_IPV4, &o), PKT_IKE, "bare IPv4 (228): ike");
	ip[0] = 0x60;
	is_int(cut(ip, n, n, DISSECT_LINK_IPV4, &o), PKT_INVALID, "bare IPv4 (228), version 6: invalid (it said IPv4)");
	ok(dissect_link_supported(1) && dissect_link_supported(101) && dissect_link_supported(0) &&
	   dissect_link_supported(113) && dissect_link_supported(228) && dissect_link_supported(276) &&
	   !dissect_link_supported(105) && !dissect_link_supported(-1), "link types supported: 0 1 101 113 228 276 only");
}

static void test_ether_macs(void)
{
	uint8_t f[MAXF], pl[4] = { 0xff };
	static const uint8_t dst[6] = { 2, 0, 0, 0, 0, 1 }, src[6] = { 2, 0, 0, 0, 0, 2 };
	struct pkt_facts o;
	size_t n = udp_frame(f, 4500, 4500, pl, 1);

	run(f, n, &o);
	ok(o.cls == PKT_KEEPALIVE && o.has_eth == 1 && memcmp(o.eth_dst, dst, 6) == 0 &&
	   memcmp(o.eth_src, src, 6) == 0, "Ethernet: both MACs, has_eth 1");
	build_eth(f, 0, 0x0806);
	run(f, 60, &o);
	ok(o.cls == PKT_NONIP && o.has_eth == 1 && memcmp(o.eth_src, src, 6) == 0, "ARP: its MACs too");
	is_int(cut(f, 13, 60, DISSECT_LINK_EN10MB, &o), PKT_TRUNCATED, "Ethernet cut: truncated");
	ok(o.has_eth == 0, "Ethernet cut: no MACs");
}

/* ---- clear IKE payloads (issue 11) ------------------------------------------ */

/*
** A real IKE_SA_INIT response, as strongSwan sent it from the gateway behind
** a port-forwarding NAT (topologies/server-behind-nat.lua: the router's
** outside 203.0.113.1; charon logged "local host is behind NAT") to the
** client 203.0.113.2, both on udp/500 (scenarios/filters/fragments-ike-fragmentation.lua, wan.pcap
** frame 4, from 203.0.113.1:500): SA, KE, Nonce, then the notifies
** NAT_DETECTION_SOURCE_IP, NAT_DETECTION_DESTINATION_IP,
** IKEV2_FRAGMENTATION_SUPPORTED, SIGNATURE_HASH_ALGORITHMS,
** CHILDLESS_IKEV2_SUPPORTED, MULTIPLE_AUTH_SUPPORTED.
*/
static const uint8_t real_sa_init_r[] = {
#include "ike_sa_init_r.inc"
};

/* SHA1(SPIi | SPIr | address | port): what a NAT detection hash must be (RFC 7296 2.23). */
static void natd_hash(const uint8_t *spis, const uint8_t addr[4], uint16_t port, uint8_t out[20])
{
	uint8_t in[22];
	unsigned len = 20;

	memcpy(in, spis, 16);
	memcpy(in + 16, addr, 4);
	in[20] = (uint8_t)(port >> 8);
	in[21] = (uint8_t)port;
	EVP_Digest(in, sizeof in, out, &len, EVP_sha1(), NULL);
}

static void test_ike_real(void)
{
	static const uint8_t outside[4] = { 203, 0, 113, 1 }, client[4] = { 203, 0, 113, 2 };
	uint8_t f[MAXF], h[20];
	struct pkt_facts o, c;
	size_t n = udp_frame(f, 500, 500, real_sa_init_r, sizeof real_sa_init_r), bad = 0;

	is_int(run(f, n, &o), PKT_IKE, "real IKE_SA_INIT response: ike");
	ok(o.ike_exchange == 34 && o.ike_response && !o.ike_encrypted, "real IKE_SA_INIT response: R, in the clear");
	is_int(o.ike_nnotify, 6, "real IKE_SA_INIT response: 6 notifies read");
	ok(o.ike_notify[0] == 16388 && o.ike_notify[1] == 16389 && o.ike_notify[2] == 16430 &&
	   o.ike_notify[3] == 16431, "real IKE_SA_INIT response: the first 4 kept, in order");
	ok(o.ike_natd_src_len == 20 && o.ike_natd_dst_len == 20, "real IKE_SA_INIT response: two 20-byte NAT-D hashes");
	natd_hash(real_sa_init_r, outside, 500, h);
	ok(memcmp(o.ike_natd_src, h, 20) != 0,
	   "NAT_DETECTION_SOURCE_IP is not SHA1(SPIs, 203.0.113.1, 500): the sender is behind the NAT (charon said so)");
	ok(memcmp(o.ike_natd_src, o.ike_natd_dst, 20) != 0,
	   "NAT_DETECTION_SOURCE_IP: not the receiver's hash either");
	natd_hash(real_sa_init_r, client, 500, h);
	ok(memcmp(o.ike_natd_dst, h, 20) == 0, "NAT_DETECTION_DESTINATION_IP is SHA1(SPIs, 203.0.113.2, 500): the receiver");
	natd_hash(real_sa_init_r, client, 4500, h);
	ok(memcmp(o.ike_natd_dst, h, 20) != 0, "built to fail: another port gives another hash");

	/* Every shorter capture: still ike (or truncated), and what was read is a prefix of the whole. */
	for (size_t caplen = 14; caplen < n; caplen++) {
		enum pkt_class cls = cut(f, caplen, n, DISSECT_LINK_EN10MB, &c);

		if (cls == PKT_TRUNCATED)
			continue;
		bad += cls != PKT_IKE || c.ike_nnotify > o.ike_nnotify ||
		       memcmp(c.ike_notify, o.ike_notify, sizeof(uint16_t) * (size_t)(c.ike_nnotify < 4 ? c.ike_nnotify : 4)) ||
		       (c.ike_natd_src_len && memcmp(c.ike_natd_src, o.ike_natd_src, 20)) ||
		       (c.ike_natd_dst_len && memcmp(c.ike_natd_dst, o.ike_natd_dst, 20));
	}
	is_int(bad, 0, "real IKE_SA_INIT cut at every byte: ike or truncated, notifies and hashes a prefix of the whole");
}

/* A payload: generic header then body. */
static size_t payload(uint8_t *b, size_t off, uint8_t next, const uint8_t *body, size_t blen)
{
	off = put8(b, off, next);
	off = put8(b, off, 0);
	off = put16(b, off, (unsigned)(blen + 4));
	memcpy(b + off, body, blen);
	return off + blen;
}

/* An IKE message: header with first payload `first`, then the payload bytes. */
static size_t ike_msg(uint8_t *b, uint8_t ver, uint8_t exch, uint8_t flags, uint8_t first, const uint8_t *pl, size_t plen)
{
	size_t off = put64(b, 0, 0x1111111111111111ULL);

	off = put64(b, off, 0x2222222222222222ULL);
	off = put8(b, off, first);
	off = put8(b, off, ver);
	off = put8(b, off, exch);
	off = put8(b, off, flags);
	off = put32(b, off, 1);
	off = put32(b, off, (uint32_t)(28 + plen));
	memcpy(b + off, pl, plen);
	return off + plen;
}

static void test_ike_payloads(void)
{
	uint8_t f[MAXF], msg[512], pl[512];
	uint8_t skf[8] = { 0, 2, 0, 3, 0xee, 0xee, 0xee, 0xee };
	uint8_t v2n[4] = { 0, 0, 0, 14 }, cookie[12] = { 0, 0, 0x40, 0x06, 1, 2, 3, 4, 5, 6, 7, 8 };
	uint8_t v1n[8] = { 0, 0, 0, 1, 1, 0, 0, 14 }, hd[20], hs[20];
	struct pkt_facts o;
	size_t p, n;

	/* IKEv2: an SKF fragment 2 of 3. */
	p = payload(pl, 0, 35, skf, sizeof skf);
	memset(msg, 0, 4);              /* the non-ESP marker */
	n = udp_frame(f, 4500, 4500, msg, 4 + ike_msg(msg + 4, 0x20, 35, 0x08, 53, pl, p));
	run(f, n, &o);
	ok(o.cls == PKT_IKE && o.ike_frag == 2 && o.ike_frag_total == 3 && o.ike_encrypted && o.ike_nnotify == 0,
	   "IKEv2 SKF: fragment 2 of 3, encrypted");
	/* IKEv2: SK first; a notify after it would be inside the ciphertext, never read. */
	p = payload(pl, 0, 41, skf, sizeof skf);
	p = payload(pl, p, 0, v2n, sizeof v2n);
	n = udp_frame(f, 500, 500, msg, ike_msg(msg, 0x20, 37, 0x08, 46, pl, p));
	run(f, n, &o);
	ok(o.cls == PKT_IKE && o.ike_encrypted && o.ike_nnotify == 0 && o.ike_frag_total == 0,
	   "IKEv2 SK: encrypted, nothing read behind it");
	/* IKEv2 in the clear: NO_PROPOSAL_CHOSEN, then COOKIE (its data is no NAT-D hash). */
	p = payload(pl, 0, 41, v2n, sizeof v2n);
	p = payload(pl, p, 0, cookie, sizeof cookie);
	n = udp_frame(f, 500, 500, msg, ike_msg(msg, 0x20, 34, 0x20, 41, pl, p));
	run(f, n, &o);
	ok(o.cls == PKT_IKE && !o.ike_encrypted && o.ike_nnotify == 2 && o.ike_notify[0] == 14 &&
	   o.ike_notify[1] == 16390 && o.ike_natd_src_len == 0, "IKEv2 clear: NO_PROPOSAL_CHOSEN, COOKIE");
	/* Bad chains: a payload length below 4, or beyond the message: the walk stops, still ike. */
	p = payload(pl, 0, 41, v2n, sizeof v2n);
	p = payload(pl, p, 0, v2n, sizeof v2n);
	put16(pl, 10, 3);
	n = udp_frame(f, 500, 500, msg, ike_msg(msg, 0x20, 34, 0x20, 41, pl, p));
	run(f, n, &o);
	ok(o.cls == PKT_IKE && o.ike_nnotify == 1 && o.problem == NULL, "payload length 3: the walk stops, one notify kept, ike");
	put16(pl, 10, 200);
	n = udp_frame(f, 500, 500, msg, ike_msg(msg, 0x20, 34, 0x20, 41, pl, p));
	run(f, n, &o);
	ok(o.cls == PKT_IKE && o.ike_nnotify == 1, "payload length beyond the message: the walk stops, ike");
	/* Five notifies: five counted, four kept. */
	p = 0;
	for (int i = 0; i < 5; i++) {
		v2n[3] = (uint8_t)(20 + i);
		p = payload(pl, p, i < 4 ? 41 : 0, v2n, sizeof v2n);
	}
	n = udp_frame(f, 500, 500, msg, ike_msg(msg, 0x20, 34, 0x20, 41, pl, p));
	run(f, n, &o);
	ok(o.ike_nnotify == 5 && o.ike_notify[0] == 20 && o.ike_notify[3] == 23, "five notifies: counted 5, the first 4 kept");

	/* IKEv1 Main Mode message 3: NAT-D (destination's hash first), NAT-D, a notify (type at offset 10). */
	memset(hd, 0xd1, sizeof hd);
	memset(hs, 0x51, sizeof hs);
	p = payload(pl, 0, 20, hd, sizeof hd);
	p = payload(pl, p, 11, hs, sizeof hs);
	p = payload(pl, p, 0, v1n, sizeof v1n);
	n = udp_frame(f, 500, 500, msg, ike_msg(msg, 0x10, 2, 0, 20, pl, p));
	run(f, n, &o);
	ok(o.cls == PKT_IKE && !o.ike_encrypted && o.ike_natd_dst_len == 20 && memcmp(o.ike_natd_dst, hd, 20) == 0 &&
	   o.ike_natd_src_len == 20 && memcmp(o.ike_natd_src, hs, 20) == 0, "IKEv1 NAT-D: the first the destination's, the second the source's");
	ok(o.ike_nnotify == 1 && o.ike_notify[0] == 14, "IKEv1 notification: NO_PROPOSAL_CHOSEN at offset 10 of the payload");
	n = udp_frame(f, 500, 500, msg, ike_msg(msg, 0x10, 2, 0, 130, pl, p));
	run(f, n, &o);
	ok(o.ike_natd_dst_len == 20 && memcmp(o.ike_natd_dst, hd, 20) == 0, "IKEv1 NAT-D of the drafts (130): read too");
	n = udp_frame(f, 500, 500, msg, ike_msg(msg, 0x10, 5, 0x01, 20, pl, p));
	run(f, n, &o);
	ok(o.cls == PKT_IKE && o.ike_encrypted && o.ike_natd_dst_len == 0 && o.ike_nnotify == 0,
	   "IKEv1 E flag: encrypted, the payloads not read");

	is_str(dissect_ike_notify_name(14), "NO_PROPOSAL_CHOSEN", "notify name: 14");
	is_str(dissect_ike_notify_name(24), "AUTHENTICATION_FAILED", "notify name: 24");
	is_str(dissect_ike_notify_name(16384), "INITIAL_CONTACT", "notify name: 16384");
	is_str(dissect_ike_notify_name(16389), "NAT_DETECTION_DESTINATION_IP", "notify name: 16389");
	is_str(dissect_ike_notify_name(16430), "IKEV2_FRAGMENTATION_SUPPORTED", "notify name: 16430");
	is_str(dissect_ike_notify_name(1), "UNSUPPORTED_CRITICAL_PAYLOAD", "notify name: 1 (the first)");
	is_str(dissect_ike_notify_name(36137), "R_U_THERE_ACK", "notify name: 36137 (the last)");
	ok(dissect_ike_notify_name(0) == NULL && dissect_ike_notify_name(31) == NULL &&
	   dissect_ike_notify_name(65535) == NULL && dissect_ike_notify_name(-1) == NULL, "notify names: unknown numbers NULL");
	is_int(dissect_ike_notify_by_name("NO_PROPOSAL_CHOSEN"), 14, "notify by name: NO_PROPOSAL_CHOSEN");
	is_int(dissect_ike_notify_by_name("r_u_there_ack"), 36137, "notify by name: any case");
	ok(dissect_ike_notify_by_name("NO_PROPOSAL") == -1 && dissect_ike_notify_by_name(NULL) == -1,
	   "notify by name: a prefix or NULL is unknown");
}

int main(void)
{
	test_ikev2_sa_init();
	test_ikev2_auth_nat();
	test_ikev1();
	test_ike_bad();
	test_natt();
	test_esp_ah();
	test_l2tp_control();
	test_l2tp_data_and_bad();
	test_l2tp_ppp();
	test_icmp_tcp_other();
	test_fragments();
	test_link();
	test_ipv4_bad();
	test_udp_lengths();
	test_truncation();
	test_fuzz();
	test_api_edges();
	test_names();
	test_names_l2tp();
	test_cooked_links();
	test_ether_macs();
	test_ike_real();
	test_ike_payloads();
	return unit_done();
}
