/*
** dissect.c: captured frame bytes -> struct pkt_facts.
**
** Every byte is read through a cursor that knows two limits: `cap`, what
** the capture actually holds, and `claim`, what the enclosing headers say
** exists (the wire length, then the IPv4 total length, then the UDP length,
** then the L2TP length). A header that ends beyond `cap` but within
** `claim` was cut by the capture (PKT_TRUNCATED); one that ends beyond
** `claim` contradicts the lengths around it (PKT_INVALID). Decoders always
** ask need() before reading, so a read can never pass `cap`; the reads
** check again anyway and return 0 rather than touch memory they may not.
**
** Choices the contract leaves open (tests/unit/test_dissect.c pins them):
** - wirelen smaller than caplen is taken as caplen.
** - An IPv4 total length beyond the wire frame is PKT_INVALID (the frame
**   on the wire could not have held it); Ethernet padding after the total
**   length is ignored. A UDP length shorter than the IP payload is honoured.
** - A first fragment (MF set, offset 0) is decoded like a whole packet,
**   except that its UDP length may exceed the fragment: headers that lie
**   past the end of the fragment then count as PKT_TRUNCATED.
** - On udp/500, and after the non-ESP marker on udp/4500, the bytes are
**   taken to be IKE: a major version other than 1 or 2, a length below 28
**   or a length beyond the UDP payload is PKT_INVALID, not PKT_UDP.
** - L2TP: the first AVP of a non-empty control message must be an unhidden
**   Message Type AVP (RFC 2661 4.4.1), else PKT_INVALID; so l2tp_msgtype 0
**   on a control message always means a ZLB.
** - On TRUNCATED/INVALID, the facts read before the problem (addresses,
**   ports) stay filled; the IKE, ESP, AH and L2TP fields are filled only
**   when the packet gets that class.
*/
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "wire/dissect.h"

struct cursor {
	const uint8_t *p;   /* first byte of this layer */
	size_t base;        /* offset of p from the start of the frame */
	size_t cap;         /* bytes captured from p on */
	size_t claim;       /* bytes the enclosing headers say follow p (>= cap) */
	size_t off;         /* read position, <= cap */
};

static size_t min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

static size_t cur_left(const struct cursor *c)
{
	return c->cap - c->off;
}

/* Bytes the headers say remain from the read position (captured or not). */
static size_t cur_claim_left(const struct cursor *c)
{
	return c->claim - c->off;
}

static void cur_skip(struct cursor *c, size_t n)
{
	c->off += min_size(n, cur_left(c));
}

static uint8_t cur_u8(struct cursor *c)
{
	if (cur_left(c) < 1)
		return 0;
	return c->p[c->off++];
}

static uint16_t cur_be16(struct cursor *c)
{
	uint16_t v;

	if (cur_left(c) < 2)
		return 0;
	v = (uint16_t)((unsigned)c->p[c->off] << 8 | c->p[c->off + 1]);
	c->off += 2;
	return v;
}

static uint32_t cur_be32(struct cursor *c)
{
	uint32_t hi = cur_be16(c);

	return hi << 16 | cur_be16(c);
}

static uint64_t cur_be64(struct cursor *c)
{
	uint64_t hi = cur_be32(c);

	return hi << 32 | cur_be32(c);
}

/*
** The cursor for the layer starting at the read position, whose own header
** says it is `claim` bytes long. The caller has checked that claim against
** the parent, except where it deliberately lets it run on (first fragments).
*/
static struct cursor cur_child(const struct cursor *c, size_t claim)
{
	struct cursor k;

	k.p = c->p + c->off;
	k.base = c->base + c->off;
	k.claim = claim;
	k.cap = min_size(claim, cur_left(c));
	k.off = 0;
	return k;
}

/* Shrink the layer to n bytes from its start (n <= claim, n >= off). */
static void cur_limit(struct cursor *c, size_t n)
{
	c->claim = n;
	c->cap = min_size(c->cap, n);
}

static enum pkt_class finish(struct pkt_facts *out, enum pkt_class cls, const char *problem)
{
	out->cls = cls;
	out->problem = problem;
	return cls;
}

/*
** 1 when n bytes can be read at the cursor. Otherwise classify why not:
** `cut` when the capture ended early, `lie` when the enclosing lengths leave
** no room for them; out->cls is then set and 0 returned.
*/
static int need(const struct cursor *c, size_t n, struct pkt_facts *out,
                const char *cut, const char *lie)
{
	if (n <= cur_left(c))
		return 1;
	if (n <= cur_claim_left(c))
		finish(out, PKT_TRUNCATED, cut);
	else
		finish(out, PKT_INVALID, lie);
	return 0;
}

/* ---- IKE ---------------------------------------------------------------- */

#define IKE_MAX_NOTIFY ((int)(sizeof(((struct pkt_facts *)0)->ike_notify) / sizeof(uint16_t)))

static void ike_add_notify(struct pkt_facts *out, uint16_t type)
{
	if (out->ike_nnotify < IKE_MAX_NOTIFY)
		out->ike_notify[out->ike_nnotify] = type;
	out->ike_nnotify++;
}

/*
** A NAT detection hash (the body's captured bytes from the cursor on), if
** it fits and none was kept before: IKEv2 may send several source hashes
** (one per local address); the first is kept, so that a capture cut after
** it says the same as the whole message.
*/
static void ike_natd(struct cursor *body, uint8_t *dst, uint8_t *dlen)
{
	size_t n = cur_left(body);

	if (*dlen != 0 || n == 0 || n > 64 || n != cur_claim_left(body))
		return;                 /* one kept already, empty, too long, or cut by the capture */
	memcpy(dst, body->p + body->off, n);
	*dlen = (uint8_t)n;
}

/*
** One IKEv2 payload's body (RFC 7296 3.10 Notify, 3.14 SK; RFC 7383 2.5
** SKF). 1 when the walk must stop (the rest is encrypted).
*/
static int ikev2_payload(uint8_t type, struct cursor *body, struct pkt_facts *out)
{
	uint16_t ntype;
	uint8_t spisize;

	switch (type) {
	case 41:                        /* Notify: protocol, SPI size, type, SPI, data */
		if (cur_left(body) < 4)
			return 0;
		cur_skip(body, 1);
		spisize = cur_u8(body);
		ntype = cur_be16(body);
		ike_add_notify(out, ntype);
		if (cur_left(body) < spisize)
			return 0;
		cur_skip(body, spisize);
		if (ntype == 16388)
			ike_natd(body, out->ike_natd_src, &out->ike_natd_src_len);
		else if (ntype == 16389)
			ike_natd(body, out->ike_natd_dst, &out->ike_natd_dst_len);
		return 0;
	case 46:                        /* SK */
		out->ike_encrypted = 1;
		return 1;
	case 53:                        /* SKF: fragment number and total first */
		out->ike_encrypted = 1;
		if (cur_left(body) >= 4) {
			out->ike_frag = cur_be16(body);
			out->ike_frag_total = cur_be16(body);
		}
		return 1;
	default:
		return 0;
	}
}

/*
** One IKEv1 payload's body of a clear message (RFC 2408 3.14 Notification:
** DOI, protocol, SPI size, then the type; RFC 3947 NAT-D and the drafts'
** 130: the first is the destination's hash, the second the source's).
*/
static void ikev1_payload(uint8_t type, struct cursor *body, struct pkt_facts *out, int *natd_seen)
{
	if (type == 11 && cur_left(body) >= 8) {
		cur_skip(body, 6);      /* DOI, protocol, SPI size */
		ike_add_notify(out, cur_be16(body));
	} else if (type == 20 || type == 130) {
		if (*natd_seen == 0)
			ike_natd(body, out->ike_natd_dst, &out->ike_natd_dst_len);
		else if (*natd_seen == 1)
			ike_natd(body, out->ike_natd_src, &out->ike_natd_src_len);
		(*natd_seen)++;
	}
}

/*
** The payload chain of a message in the clear, from the first payload type
** in the header. Each generic header (next, flags, length) must fit what
** the message claims and be at least 4 bytes, or the walk stops there,
** keeping what was read: a chain the capture cut or that lies is never a
** reason to call the packet anything but IKE.
*/
static void ike_payloads(struct cursor *c, struct pkt_facts *out, uint8_t type)
{
	int natd_seen = 0;

	while (type != 0) {
		uint8_t next;
		uint16_t plen;
		struct cursor body;

		if (cur_left(c) < 4)
			return;
		next = cur_u8(c);
		cur_skip(c, 1);         /* critical bit, reserved */
		plen = cur_be16(c);
		if (plen < 4 || (size_t)plen - 4 > cur_claim_left(c))
			return;
		body = cur_child(c, (size_t)plen - 4);
		if (out->ike_version == 2) {
			if (ikev2_payload(type, &body, out))
				return;
		} else {
			ikev1_payload(type, &body, out, &natd_seen);
		}
		cur_skip(c, (size_t)plen - 4);   /* a body cut by the capture leaves < 4 bytes */
		type = next;
	}
}

/*
** IKE header (RFC 7296 3.1, RFC 2408 3.1) at the read position; the claim
** left is the rest of the UDP datagram. nonesp: a marker preceded it.
*/
static enum pkt_class decode_ike(struct cursor *c, struct pkt_facts *out, int nonesp)
{
	uint64_t ispi, rspi;
	uint8_t ver, exch, flags, first;
	uint32_t msgid, len;
	size_t room = cur_claim_left(c);
	struct cursor pl;

	if (!need(c, 28, out, "IKE header truncated", "IKE header longer than UDP payload"))
		return out->cls;
	ispi = cur_be64(c);
	rspi = cur_be64(c);
	first = cur_u8(c);              /* next payload */
	ver = cur_u8(c);
	exch = cur_u8(c);
	flags = cur_u8(c);
	msgid = cur_be32(c);
	len = cur_be32(c);
	if (ver >> 4 != 1 && ver >> 4 != 2)
		return finish(out, PKT_INVALID, "IKE major version not 1 or 2");
	if (len < 28)
		return finish(out, PKT_INVALID, "IKE length < 28");
	if (len > room)
		return finish(out, PKT_INVALID, "IKE length exceeds UDP payload");
	out->ike_version = ver >> 4;
	out->ike_exchange = exch;
	out->ike_nonesp = nonesp;
	out->ike_msgid = msgid;
	out->ike_ispi = ispi;
	out->ike_rspi = rspi;
	if (out->ike_version == 2) {
		out->ike_initiator = (flags & 0x08) != 0;
		out->ike_response = (flags & 0x20) != 0;
	} else {
		/* IKEv1 has no I/R flags: only the initiator's first messages lack the responder cookie */
		out->ike_initiator = rspi == 0;
		out->ike_response = 0;
		out->ike_encrypted = (flags & 0x01) != 0;   /* E: the payloads are encrypted */
	}
	pl = cur_child(c, len - 28);
	if (!out->ike_encrypted)
		ike_payloads(&pl, out, first);
	return finish(out, PKT_IKE, NULL);
}

/* ---- ESP / AH ------------------------------------------------------------ */

/* ESP header (RFC 4303): SPI and sequence number; cls says raw or in UDP. */
static enum pkt_class decode_esp(struct cursor *c, struct pkt_facts *out, enum pkt_class cls)
{
	uint32_t spi, seq;

	if (!need(c, 8, out, "ESP header truncated", "ESP header longer than its payload"))
		return out->cls;
	out->esp_off = (uint32_t)(c->base + c->off);
	out->esp_len = (uint32_t)cur_left(c);
	out->esp_whole = cur_left(c) == cur_claim_left(c);
	spi = cur_be32(c);
	seq = cur_be32(c);
	out->esp_spi = spi;
	out->esp_seq = seq;
	return finish(out, cls, NULL);
}

/* AH header (RFC 4302): the 12 fixed bytes; its length counts 32-bit words minus 2. */
static enum pkt_class decode_ah(struct cursor *c, struct pkt_facts *out)
{
	uint8_t plen;
	uint32_t spi, seq;
	size_t room = cur_claim_left(c);

	if (!need(c, 12, out, "AH header truncated", "AH header longer than IP payload"))
		return out->cls;
	cur_skip(c, 1);                 /* next header */
	plen = cur_u8(c);
	cur_skip(c, 2);                 /* reserved */
	spi = cur_be32(c);
	seq = cur_be32(c);
	if (((size_t)plen + 2) * 4 < 12)
		return finish(out, PKT_INVALID, "AH payload length too small");
	if (((size_t)plen + 2) * 4 > room)
		return finish(out, PKT_INVALID, "AH length exceeds IP payload");
	out->ah_spi = spi;
	out->ah_seq = seq;
	return finish(out, PKT_AH, NULL);
}

/* ---- udp/4500 ------------------------------------------------------------ */

/*
** RFC 3948 demultiplexing of a udp/4500 payload: the one-byte keepalive,
** four zero bytes (non-ESP marker) before IKE, else an ESP header.
*/
static enum pkt_class decode_natt(struct cursor *c, struct pkt_facts *out)
{
	if (cur_claim_left(c) == 1) {
		if (!need(c, 1, out, "NAT-T keepalive truncated", "NAT-T keepalive missing"))
			return out->cls;
		if (cur_u8(c) == 0xff)
			return finish(out, PKT_KEEPALIVE, NULL);
		c->off = 0;
	}
	if (!need(c, 4, out, "NAT-T payload truncated", "NAT-T payload shorter than 4 bytes"))
		return out->cls;
	if (cur_be32(c) == 0)
		return decode_ike(c, out, 1);
	c->off = 0;
	return decode_esp(c, out, PKT_ESP_UDP);
}

/* ---- L2TP ---------------------------------------------------------------- */

#define L2TP_T 0x8000u
#define L2TP_L 0x4000u
#define L2TP_S 0x0800u
#define L2TP_O 0x0200u

struct l2tp_hdr {
	uint16_t flags, tunnel, session, offset_size;
};

/*
** The L2TPv2 header (RFC 2661 3.1) from flags to offset size. With the L
** bit the layer is narrowed to its length field. 0, or -1 with out set.
*/
static int l2tp_header(struct cursor *c, struct pkt_facts *out, struct l2tp_hdr *h)
{
	size_t hlen, len = 0;

	if (!need(c, 2, out, "L2TP header truncated", "L2TP header longer than UDP payload"))
		return -1;
	h->flags = cur_be16(c);
	if ((h->flags & 0x000f) != 2) {
		finish(out, PKT_INVALID, "L2TP version not 2");
		return -1;
	}
	hlen = 6 + (h->flags & L2TP_L ? 2 : 0) + (h->flags & L2TP_S ? 4 : 0) +
	       (h->flags & L2TP_O ? 2 : 0);
	if (!need(c, hlen - 2, out, "L2TP header truncated", "L2TP header longer than UDP payload"))
		return -1;
	if (h->flags & L2TP_L)
		len = cur_be16(c);
	h->tunnel = cur_be16(c);
	h->session = cur_be16(c);
	if (h->flags & L2TP_S)
		cur_skip(c, 4);         /* Ns, Nr */
	h->offset_size = h->flags & L2TP_O ? cur_be16(c) : 0;
	if (h->flags & L2TP_L) {
		if (len < hlen) {
			finish(out, PKT_INVALID, "L2TP length shorter than its header");
			return -1;
		}
		if (len > c->claim) {
			finish(out, PKT_INVALID, "L2TP length exceeds UDP payload");
			return -1;
		}
		cur_limit(c, len);
	}
	return 0;
}

/*
** Message type of a control message: none (ZLB, 0) when no AVP follows the
** header, else the value of the first AVP, which must be Message Type.
*/
static int l2tp_msgtype(struct cursor *c, struct pkt_facts *out, int *type)
{
	uint16_t word;

	*type = 0;
	if (cur_claim_left(c) == 0)
		return 0;
	if (!need(c, 6, out, "L2TP AVP header truncated", "L2TP AVP header longer than message"))
		return -1;
	word = cur_be16(c);
	if (cur_be16(c) != 0 || cur_be16(c) != 0) {
		finish(out, PKT_INVALID, "L2TP first AVP is not Message Type");
		return -1;
	}
	if (word & 0x4000) {
		finish(out, PKT_INVALID, "L2TP Message Type AVP hidden");
		return -1;
	}
	if ((word & 0x03ff) < 8 || (word & 0x03ffu) - 6 > cur_claim_left(c)) {
		finish(out, PKT_INVALID, "L2TP Message Type AVP length bad");
		return -1;
	}
	if (!need(c, 2, out, "L2TP Message Type AVP truncated",
	          "L2TP Message Type AVP longer than message"))
		return -1;
	*type = cur_be16(c);
	return 0;
}

/*
** The PPP frame an L2TP data message carries (RFC 1661, RFC 2661 5.1):
** optional address and control bytes (FF 03), the protocol (one byte when
** compressed: an odd first byte), and for the control protocols (LCP, PAP,
** CHAP, IPCP, ...: 0x8000 and up) the code of the message. A frame too
** short for these is PKT_TRUNCATED or PKT_INVALID, like any header.
*/
static int decode_ppp(struct cursor *c, struct pkt_facts *out)
{
	uint16_t proto;
	int code = -1;

	if (cur_claim_left(c) == 0)
		return 0;               /* an empty data message: no PPP frame */
	if (!need(c, 1, out, "PPP header truncated", "PPP header longer than message"))
		return -1;
	if (c->p[c->off] == 0xff) {
		if (!need(c, 2, out, "PPP header truncated", "PPP header longer than message"))
			return -1;
		cur_skip(c, 2);         /* address 0xff, control 0x03 */
	}
	if (!need(c, 1, out, "PPP protocol truncated", "PPP protocol missing"))
		return -1;
	proto = cur_u8(c);
	if (!(proto & 1)) {
		if (!need(c, 1, out, "PPP protocol truncated", "PPP protocol longer than message"))
			return -1;
		proto = (uint16_t)(proto << 8 | cur_u8(c));
	}
	if (proto >= 0x8000) {
		if (!need(c, 1, out, "PPP control code truncated", "PPP control code missing"))
			return -1;
		code = cur_u8(c);
	}
	out->has_ppp = 1;
	out->ppp_proto = proto;
	out->ppp_code = code;
	return 0;
}

/* L2TPv2 on udp/1701: header, then the message type (control) or the PPP frame (data). */
static enum pkt_class decode_l2tp(struct cursor *c, struct pkt_facts *out)
{
	struct l2tp_hdr h;
	int type = 0;

	if (l2tp_header(c, out, &h) < 0)
		return out->cls;
	if (!need(c, h.offset_size, out, "L2TP offset padding truncated",
	          "L2TP offset padding longer than message"))
		return out->cls;
	cur_skip(c, h.offset_size);
	if (h.flags & L2TP_T) {
		if (l2tp_msgtype(c, out, &type) < 0)
			return out->cls;
	} else if (decode_ppp(c, out) < 0) {
		return out->cls;
	}
	out->l2tp_control = (h.flags & L2TP_T) != 0;
	out->l2tp_msgtype = type;
	out->l2tp_tunnel = h.tunnel;
	out->l2tp_session = h.session;
	return finish(out, PKT_L2TP, NULL);
}

/* ---- transport ----------------------------------------------------------- */

static int either_port(const struct pkt_facts *out, uint16_t port)
{
	return out->sport == port || out->dport == port;
}

/*
** UDP header, then its payload by port: 4500 before 500 before 1701. The
** payload layer's claim is the UDP length, which a first fragment may
** carry beyond its own end.
*/
static enum pkt_class decode_udp(struct cursor *c, struct pkt_facts *out)
{
	uint16_t ulen;
	struct cursor pl;

	if (!need(c, 8, out, "UDP header truncated", "UDP header longer than IP payload"))
		return out->cls;
	out->sport = cur_be16(c);
	out->dport = cur_be16(c);
	out->has_ports = 1;
	ulen = cur_be16(c);
	cur_skip(c, 2);                 /* checksum */
	if (ulen < 8)
		return finish(out, PKT_INVALID, "UDP length < 8");
	if (ulen > c->claim && !out->more_fragments)
		return finish(out, PKT_INVALID, "UDP length exceeds IP payload");
	pl = cur_child(c, (size_t)ulen - 8);
	if (either_port(out, 4500))
		return decode_natt(&pl, out);
	if (either_port(out, 500))
		return decode_ike(&pl, out, 0);
	if (either_port(out, 1701))
		return decode_l2tp(&pl, out);
	return finish(out, PKT_UDP, NULL);
}

/* TCP: ports, and a data offset that fits the header and the packet. */
static enum pkt_class decode_tcp(struct cursor *c, struct pkt_facts *out)
{
	size_t hlen;

	if (!need(c, 20, out, "TCP header truncated", "TCP header longer than IP payload"))
		return out->cls;
	out->sport = cur_be16(c);
	out->dport = cur_be16(c);
	out->has_ports = 1;
	cur_skip(c, 8);                 /* sequence and acknowledgement numbers */
	hlen = (size_t)(cur_u8(c) >> 4) * 4;
	if (hlen < 20)
		return finish(out, PKT_INVALID, "TCP data offset < 5");
	if (hlen > c->claim)
		return finish(out, PKT_INVALID, "TCP header longer than IP payload");
	return finish(out, PKT_TCP, NULL);
}

/* ICMP: type, code and checksum are what every message has (RFC 792). */
static enum pkt_class decode_icmp(struct cursor *c, struct pkt_facts *out)
{
	if (!need(c, 4, out, "ICMP header truncated", "ICMP header longer than IP payload"))
		return out->cls;
	out->icmp_type = cur_u8(c);
	out->icmp_code = cur_u8(c);
	return finish(out, PKT_ICMP, NULL);
}

/* The IP payload by protocol; anything not named here is PKT_OTHER. */
static enum pkt_class decode_transport(struct cursor *c, struct pkt_facts *out)
{
	switch (out->proto) {
	case 1:
		return decode_icmp(c, out);
	case 6:
		return decode_tcp(c, out);
	case 17:
		return decode_udp(c, out);
	case 50:
		return decode_esp(c, out, PKT_ESP);
	case 51:
		return decode_ah(c, out);
	default:
		return finish(out, PKT_OTHER, NULL);
	}
}

/* ---- IPv4 ---------------------------------------------------------------- */

/* The fixed 19 bytes after version/IHL; reads only, checks nothing. */
static void ipv4_fields(struct cursor *c, struct pkt_facts *out)
{
	uint16_t frag;

	cur_skip(c, 1);                 /* DSCP/ECN */
	out->ip_len = cur_be16(c);
	out->ip_id = cur_be16(c);
	frag = cur_be16(c);
	out->ttl = cur_u8(c);
	out->proto = cur_u8(c);
	cur_skip(c, 2);                 /* header checksum */
	out->src = cur_be32(c);
	out->dst = cur_be32(c);
	out->more_fragments = (frag & 0x2000) != 0;
	out->frag_offset = (uint16_t)((frag & 0x1fff) * 8);
	out->fragment = out->more_fragments || out->frag_offset != 0;
	out->has_ip = 1;
}

/*
** IPv4 header and what it carries. raw: the link layer did not say the
** bytes are IPv4 (DLT_RAW), so an IPv6 header is PKT_NONIP, not invalid.
*/
static enum pkt_class decode_ipv4(struct cursor *c, struct pkt_facts *out, int raw)
{
	uint8_t vihl;
	size_t hlen;
	struct cursor pl;

	if (!need(c, 1, out, "IPv4 header truncated", "frame too short for an IPv4 header"))
		return out->cls;
	vihl = cur_u8(c);
	if (vihl >> 4 != 4)
		return raw && vihl >> 4 == 6 ? finish(out, PKT_NONIP, NULL)
		                             : finish(out, PKT_INVALID, "IP version not 4");
	hlen = (size_t)(vihl & 0x0f) * 4;
	if (hlen < 20)
		return finish(out, PKT_INVALID, "IPv4 IHL < 5");
	if (!need(c, 19, out, "IPv4 header truncated", "frame too short for an IPv4 header"))
		return out->cls;
	ipv4_fields(c, out);
	if (out->ip_len < hlen)
		return finish(out, PKT_INVALID, "IPv4 total length < header length");
	if (out->ip_len > c->claim)
		return finish(out, PKT_INVALID, "IPv4 total length exceeds frame");
	if (!need(c, hlen - 20, out, "IPv4 options truncated", "IPv4 options longer than packet"))
		return out->cls;
	cur_skip(c, hlen - 20);
	if (out->frag_offset != 0)
		return finish(out, PKT_FRAGMENT, NULL);
	pl = cur_child(c, out->ip_len - hlen);  /* Ethernet padding stays outside */
	return decode_transport(&pl, out);
}

/* ---- link layer ---------------------------------------------------------- */

/* What follows a link header: IPv4 by its EtherType, else not IP. */
static enum pkt_class decode_ethertype(struct cursor *c, struct pkt_facts *out, uint16_t type)
{
	struct cursor ip;

	if (type != 0x0800)
		return finish(out, PKT_NONIP, NULL);
	ip = cur_child(c, cur_claim_left(c));
	return decode_ipv4(&ip, out, 0);
}

/* Ethernet II, with at most one 802.1Q tag, then IPv4. */
static enum pkt_class decode_ether(struct cursor *c, struct pkt_facts *out)
{
	uint16_t type;

	if (!need(c, 14, out, "Ethernet header truncated", "frame shorter than an Ethernet header"))
		return out->cls;
	memcpy(out->eth_dst, c->p + c->off, 6);
	memcpy(out->eth_src, c->p + c->off + 6, 6);
	out->has_eth = 1;
	cur_skip(c, 12);
	type = cur_be16(c);
	if (type == 0x8100) {
		if (!need(c, 4, out, "802.1Q tag truncated", "frame shorter than an 802.1Q tag"))
			return out->cls;
		cur_skip(c, 2);         /* TCI */
		type = cur_be16(c);
	}
	return decode_ethertype(c, out, type);
}

/* The sender's link-layer address of a cooked header, when it is a MAC (6 bytes). */
static void cooked_source(const struct cursor *c, size_t at, size_t alen, struct pkt_facts *out)
{
	if (alen != 6)
		return;
	memcpy(out->eth_src, c->p + at, 6);
	out->has_eth = 2;
}

/*
** Linux cooked capture v1 (DLT_LINUX_SLL, 16 bytes): packet type, ARPHRD
** type, address length, 8 address bytes, protocol (an EtherType).
*/
static enum pkt_class decode_sll(struct cursor *c, struct pkt_facts *out)
{
	uint16_t alen;

	if (!need(c, 16, out, "Linux cooked header truncated", "frame shorter than a Linux cooked header"))
		return out->cls;
	cur_skip(c, 4);                 /* packet type, ARPHRD type */
	alen = cur_be16(c);
	cooked_source(c, c->off, alen, out);
	cur_skip(c, 8);
	return decode_ethertype(c, out, cur_be16(c));
}

/*
** Linux cooked capture v2 (DLT_LINUX_SLL2, 20 bytes): protocol, reserved,
** interface index, ARPHRD type, packet type, address length, 8 address bytes.
*/
static enum pkt_class decode_sll2(struct cursor *c, struct pkt_facts *out)
{
	uint16_t type;
	uint8_t alen;

	if (!need(c, 20, out, "Linux cooked v2 header truncated",
	          "frame shorter than a Linux cooked v2 header"))
		return out->cls;
	type = cur_be16(c);
	cur_skip(c, 9);                 /* reserved, interface index, ARPHRD type, packet type */
	alen = cur_u8(c);
	cooked_source(c, c->off, alen, out);
	cur_skip(c, 8);
	return decode_ethertype(c, out, type);
}

/*
** BSD loopback (DLT_NULL): the address family in the capturing host's byte
** order, so AF_INET (2) is taken in either order; anything else is not IPv4.
*/
static enum pkt_class decode_null(struct cursor *c, struct pkt_facts *out)
{
	uint32_t family;
	struct cursor ip;

	if (!need(c, 4, out, "loopback header truncated", "frame shorter than a loopback header"))
		return out->cls;
	family = cur_be32(c);
	if (family != 2 && family != 0x02000000u)
		return finish(out, PKT_NONIP, NULL);
	ip = cur_child(c, cur_claim_left(c));
	return decode_ipv4(&ip, out, 0);
}

int dissect_link_supported(int linktype)
{
	switch (linktype) {
	case DISSECT_LINK_EN10MB: case DISSECT_LINK_RAW: case DISSECT_LINK_NULL:
	case DISSECT_LINK_LINUX_SLL: case DISSECT_LINK_IPV4: case DISSECT_LINK_LINUX_SLL2:
		return 1;
	default:
		return 0;
	}
}

enum pkt_class dissect_frame(const uint8_t *bytes, size_t caplen, size_t wirelen,
                             int linktype, struct pkt_facts *out)
{
	static const uint8_t none[1];
	struct pkt_facts scratch;
	struct cursor c;

	if (out == NULL)
		out = &scratch;
	memset(out, 0, sizeof(*out));
	if (bytes == NULL)              /* no arithmetic on a null pointer, even + 0 */
		bytes = none, caplen = 0;
	c.p = bytes;
	c.base = 0;
	c.cap = caplen;
	c.claim = wirelen > caplen ? wirelen : caplen;
	c.off = 0;
	switch (linktype) {
	case DISSECT_LINK_EN10MB:
		return decode_ether(&c, out);
	case DISSECT_LINK_RAW:
		return decode_ipv4(&c, out, 1);
	case DISSECT_LINK_IPV4:
		return decode_ipv4(&c, out, 0);
	case DISSECT_LINK_NULL:
		return decode_null(&c, out);
	case DISSECT_LINK_LINUX_SLL:
		return decode_sll(&c, out);
	case DISSECT_LINK_LINUX_SLL2:
		return decode_sll2(&c, out);
	default:
		return finish(out, PKT_INVALID, "unknown link type");
	}
}

/*
** Tunnel mode: the payload is an IPv4 packet. Transport mode: a transport
** header with the outer addresses; it is decoded by the same code as a
** packet on the wire, with the outer IPv4 fields standing in for the
** header transport mode leaves out.
*/
enum pkt_class dissect_inner(const uint8_t *bytes, size_t len, uint8_t next_header,
                             const struct pkt_facts *outer, struct pkt_facts *out)
{
	static const uint8_t none[1];
	struct cursor c;

	if (next_header == 4)
		return dissect_frame(bytes, len, len, DISSECT_LINK_RAW, out);
	memset(out, 0, sizeof(*out));
	if (bytes == NULL)
		bytes = none, len = 0;
	out->has_ip = 1;
	out->proto = next_header;
	out->src = outer->src;
	out->dst = outer->dst;
	out->ttl = outer->ttl;
	out->ip_id = outer->ip_id;
	out->ip_len = (uint16_t)(len + 20 > 0xffff ? 0xffff : len + 20);
	c.p = bytes;
	c.base = 0;
	c.cap = len;
	c.claim = len;
	c.off = 0;
	return decode_transport(&c, out);
}

/* ---- names --------------------------------------------------------------- */

struct name {
	int num;
	const char *name;
};

static const struct name ikev2_exchanges[] = {
	{ 34, "IKE_SA_INIT" }, { 35, "IKE_AUTH" }, { 36, "CREATE_CHILD_SA" },
	{ 37, "INFORMATIONAL" }, { 38, "IKE_SESSION_RESUME" }, { 43, "IKE_INTERMEDIATE" },
	{ 44, "IKE_FOLLOWUP_KE" }, { 0, NULL }
};

static const struct name ikev1_exchanges[] = {
	{ 1, "BASE" }, { 2, "MAIN_MODE" }, { 3, "AUTH_ONLY" }, { 4, "AGGRESSIVE" },
	{ 5, "INFORMATIONAL" }, { 6, "TRANSACTION" }, { 32, "QUICK_MODE" },
	{ 33, "NEW_GROUP_MODE" }, { 0, NULL }
};

static const struct name l2tp_messages[] = {
	{ 0, "ZLB" }, { 1, "SCCRQ" }, { 2, "SCCRP" }, { 3, "SCCCN" }, { 4, "StopCCN" },
	{ 6, "HELLO" }, { 7, "OCRQ" }, { 8, "OCRP" }, { 9, "OCCN" }, { 10, "ICRQ" },
	{ 11, "ICRP" }, { 12, "ICCN" }, { 14, "CDN" }, { 15, "WEN" }, { 16, "SLI" },
	{ 0, NULL }
};

static const struct name ppp_protocols[] = {
	{ 0x0021, "IPv4" }, { 0x0057, "IPv6" }, { 0x00fd, "compressed" }, { 0x8021, "IPCP" },
	{ 0x8057, "IPV6CP" }, { 0x80fd, "CCP" }, { 0xc021, "LCP" }, { 0xc023, "PAP" },
	{ 0xc223, "CHAP" }, { 0xc227, "EAP" }, { 0, NULL }
};

/* LCP, IPCP, CCP and IPV6CP share these codes (RFC 1661 5, RFC 1332). */
static const struct name ppp_config_codes[] = {
	{ 1, "Configure-Request" }, { 2, "Configure-Ack" }, { 3, "Configure-Nak" },
	{ 4, "Configure-Reject" }, { 5, "Terminate-Request" }, { 6, "Terminate-Ack" },
	{ 7, "Code-Reject" }, { 8, "Protocol-Reject" }, { 9, "Echo-Request" },
	{ 10, "Echo-Reply" }, { 11, "Discard-Request" }, { 0, NULL }
};

static const struct name ppp_chap_codes[] = {      /* RFC 1994 4 */
	{ 1, "Challenge" }, { 2, "Response" }, { 3, "Success" }, { 4, "Failure" }, { 0, NULL }
};

static const struct name ppp_pap_codes[] = {       /* RFC 1334 2.2 */
	{ 1, "Authenticate-Request" }, { 2, "Authenticate-Ack" }, { 3, "Authenticate-Nak" }, { 0, NULL }
};

/*
** IKE notify message types (IANA "IKEv2 Notify Message Types"): the IKEv2
** names, the IKEv1 ones (RFC 2408 3.14.1, written with underscores) where
** IKEv2 left the number unused, and IKEv1's usual status types.
*/
static const struct name ike_notifies[] = {
	{ 1, "UNSUPPORTED_CRITICAL_PAYLOAD" }, { 2, "DOI_NOT_SUPPORTED" },
	{ 3, "SITUATION_NOT_SUPPORTED" }, { 4, "INVALID_IKE_SPI" }, { 5, "INVALID_MAJOR_VERSION" },
	{ 6, "INVALID_MINOR_VERSION" }, { 7, "INVALID_SYNTAX" }, { 8, "INVALID_FLAGS" },
	{ 9, "INVALID_MESSAGE_ID" }, { 10, "INVALID_PROTOCOL_ID" }, { 11, "INVALID_SPI" },
	{ 12, "INVALID_TRANSFORM_ID" }, { 13, "ATTRIBUTES_NOT_SUPPORTED" },
	{ 14, "NO_PROPOSAL_CHOSEN" }, { 15, "BAD_PROPOSAL_SYNTAX" }, { 16, "PAYLOAD_MALFORMED" },
	{ 17, "INVALID_KE_PAYLOAD" }, { 18, "INVALID_ID_INFORMATION" },
	{ 19, "INVALID_CERT_ENCODING" }, { 20, "INVALID_CERTIFICATE" },
	{ 21, "CERT_TYPE_UNSUPPORTED" }, { 22, "INVALID_CERT_AUTHORITY" },
	{ 23, "INVALID_HASH_INFORMATION" }, { 24, "AUTHENTICATION_FAILED" },
	{ 25, "INVALID_SIGNATURE" }, { 26, "ADDRESS_NOTIFICATION" }, { 27, "NOTIFY_SA_LIFETIME" },
	{ 28, "CERTIFICATE_UNAVAILABLE" }, { 29, "UNSUPPORTED_EXCHANGE_TYPE" },
	{ 30, "UNEQUAL_PAYLOAD_LENGTHS" }, { 34, "SINGLE_PAIR_REQUIRED" },
	{ 35, "NO_ADDITIONAL_SAS" }, { 36, "INTERNAL_ADDRESS_FAILURE" },
	{ 37, "FAILED_CP_REQUIRED" }, { 38, "TS_UNACCEPTABLE" }, { 39, "INVALID_SELECTORS" },
	{ 40, "UNACCEPTABLE_ADDRESSES" }, { 41, "UNEXPECTED_NAT_DETECTED" },
	{ 42, "USE_ASSIGNED_HoA" }, { 43, "TEMPORARY_FAILURE" }, { 44, "CHILD_SA_NOT_FOUND" },
	{ 45, "INVALID_GROUP_ID" }, { 46, "AUTHORIZATION_FAILED" }, { 47, "STATE_NOT_FOUND" },
	{ 16384, "INITIAL_CONTACT" }, { 16385, "SET_WINDOW_SIZE" },
	{ 16386, "ADDITIONAL_TS_POSSIBLE" }, { 16387, "IPCOMP_SUPPORTED" },
	{ 16388, "NAT_DETECTION_SOURCE_IP" }, { 16389, "NAT_DETECTION_DESTINATION_IP" },
	{ 16390, "COOKIE" }, { 16391, "USE_TRANSPORT_MODE" },
	{ 16392, "HTTP_CERT_LOOKUP_SUPPORTED" }, { 16393, "REKEY_SA" },
	{ 16394, "ESP_TFC_PADDING_NOT_SUPPORTED" }, { 16395, "NON_FIRST_FRAGMENTS_ALSO" },
	{ 16396, "MOBIKE_SUPPORTED" }, { 16397, "ADDITIONAL_IP4_ADDRESS" },
	{ 16398, "ADDITIONAL_IP6_ADDRESS" }, { 16399, "NO_ADDITIONAL_ADDRESSES" },
	{ 16400, "UPDATE_SA_ADDRESSES" }, { 16401, "COOKIE2" }, { 16402, "NO_NATS_ALLOWED" },
	{ 16403, "AUTH_LIFETIME" }, { 16404, "MULTIPLE_AUTH_SUPPORTED" },
	{ 16405, "ANOTHER_AUTH_FOLLOWS" }, { 16406, "REDIRECT_SUPPORTED" }, { 16407, "REDIRECT" },
	{ 16408, "REDIRECTED_FROM" }, { 16409, "TICKET_LT_OPAQUE" }, { 16410, "TICKET_REQUEST" },
	{ 16411, "TICKET_ACK" }, { 16412, "TICKET_NACK" }, { 16413, "TICKET_OPAQUE" },
	{ 16414, "LINK_ID" }, { 16415, "USE_WESP_MODE" }, { 16416, "ROHC_SUPPORTED" },
	{ 16417, "EAP_ONLY_AUTHENTICATION" }, { 16418, "CHILDLESS_IKEV2_SUPPORTED" },
	{ 16419, "QUICK_CRASH_DETECTION" }, { 16420, "IKEV2_MESSAGE_ID_SYNC_SUPPORTED" },
	{ 16421, "IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED" }, { 16422, "IKEV2_MESSAGE_ID_SYNC" },
	{ 16423, "IPSEC_REPLAY_COUNTER_SYNC" }, { 16424, "SECURE_PASSWORD_METHODS" },
	{ 16425, "PSK_PERSIST" }, { 16426, "PSK_CONFIRM" }, { 16427, "ERX_SUPPORTED" },
	{ 16428, "IFOM_CAPABILITY" }, { 16429, "SENDER_REQUEST_ID" },
	{ 16430, "IKEV2_FRAGMENTATION_SUPPORTED" }, { 16431, "SIGNATURE_HASH_ALGORITHMS" },
	{ 16432, "CLONE_IKE_SA_SUPPORTED" }, { 16433, "CLONE_IKE_SA" }, { 16434, "PUZZLE" },
	{ 16435, "USE_PPK" }, { 16436, "PPK_IDENTITY" }, { 16437, "NO_PPK_AUTH" },
	{ 16438, "INTERMEDIATE_EXCHANGE_SUPPORTED" }, { 16439, "IP4_ALLOWED" },
	{ 16440, "IP6_ALLOWED" }, { 16441, "ADDITIONAL_KEY_EXCHANGE" }, { 16442, "USE_AGGFRAG" },
	{ 24576, "RESPONDER_LIFETIME" }, { 24577, "REPLAY_STATUS" }, { 24578, "INITIAL_CONTACT_V1" },
	{ 36136, "R_U_THERE" }, { 36137, "R_U_THERE_ACK" }, { 0, NULL }
};

static const struct name icmp_types[] = {
	{ 0, "echo-reply" }, { 3, "dest-unreach" }, { 4, "source-quench" }, { 5, "redirect" },
	{ 8, "echo-request" }, { 11, "time-exceeded" }, { 12, "parameter-problem" }, { 0, NULL }
};

static const char *const class_names[PKT_CLASS_COUNT] = {
	[PKT_OTHER] = "other", [PKT_NONIP] = "non-ip", [PKT_TRUNCATED] = "truncated",
	[PKT_INVALID] = "invalid", [PKT_FRAGMENT] = "fragment", [PKT_ICMP] = "icmp",
	[PKT_TCP] = "tcp", [PKT_UDP] = "udp", [PKT_IKE] = "ike",
	[PKT_KEEPALIVE] = "keepalive", [PKT_ESP_UDP] = "esp-udp", [PKT_ESP] = "esp",
	[PKT_AH] = "ah", [PKT_L2TP] = "l2tp",
};

static const char *name_of(const struct name *t, int num)
{
	for (; t->name != NULL; t++)
		if (t->num == num)
			return t->name;
	return NULL;
}

/* NULL for a value outside the enum. */
const char *dissect_class_name(enum pkt_class cls)
{
	if ((unsigned)cls >= PKT_CLASS_COUNT)
		return NULL;
	return class_names[cls];
}

const char *dissect_ike_exchange_name(int version, int exchange)
{
	if (version == 2)
		return name_of(ikev2_exchanges, exchange);
	if (version == 1)
		return name_of(ikev1_exchanges, exchange);
	return NULL;
}

/*
** Case-sensitive, like the strcmp a filter does against
** dissect_ike_exchange_name: a name accepted here must be able to match.
*/
int dissect_ike_exchange_known(const char *name)
{
	const struct name *tables[] = { ikev2_exchanges, ikev1_exchanges };

	if (name == NULL)
		return 0;
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		for (const struct name *t = tables[i]; t->name != NULL; t++)
			if (strcmp(t->name, name) == 0)
				return 1;
	return 0;
}

const char *dissect_l2tp_msg_name(int msgtype)
{
	return name_of(l2tp_messages, msgtype);
}

int dissect_l2tp_msg_by_name(const char *name)
{
	if (name == NULL)
		return -1;
	for (const struct name *t = l2tp_messages; t->name != NULL; t++)
		if (strcasecmp(t->name, name) == 0)
			return t->num;
	return -1;
}

static int num_by_name(const struct name *t, const char *name)
{
	if (name == NULL)
		return -1;
	for (; t->name != NULL; t++)
		if (strcasecmp(t->name, name) == 0)
			return t->num;
	return -1;
}

const char *dissect_ppp_proto_name(int proto)
{
	return name_of(ppp_protocols, proto);
}

int dissect_ppp_proto_by_name(const char *name)
{
	return num_by_name(ppp_protocols, name);
}

const char *dissect_ppp_code_name(int proto, int code)
{
	switch (proto) {
	case 0xc223: return name_of(ppp_chap_codes, code);
	case 0xc023: return name_of(ppp_pap_codes, code);
	case 0xc021: case 0x8021: case 0x80fd: case 0x8057: return name_of(ppp_config_codes, code);
	default: return NULL;
	}
}

int dissect_ppp_code_by_name(const char *name)
{
	int code = num_by_name(ppp_config_codes, name);

	if (code < 0)
		code = num_by_name(ppp_chap_codes, name);
	if (code < 0)
		code = num_by_name(ppp_pap_codes, name);
	return code;
}

const char *dissect_icmp_type_name(int type)
{
	return name_of(icmp_types, type);
}

int dissect_icmp_type_by_name(const char *name)
{
	return num_by_name(icmp_types, name);
}

/* Binary search: the table is sorted, and decode asks it for every notify of every packet. */
const char *dissect_ike_notify_name(int type)
{
	size_t lo = 0, hi = sizeof(ike_notifies) / sizeof(ike_notifies[0]) - 1;   /* without the terminator */

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ike_notifies[mid].num < type)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < sizeof(ike_notifies) / sizeof(ike_notifies[0]) - 1 && ike_notifies[lo].num == type
	       ? ike_notifies[lo].name : NULL;
}

int dissect_ike_notify_by_name(const char *name)
{
	return num_by_name(ike_notifies, name);
}
