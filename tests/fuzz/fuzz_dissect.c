/*
** fuzz_dissect: libFuzzer target over dissect_frame, every link type.
**
** Input: a 4-byte header, then the frame.
**   byte 0  bit 0: DLT_RAW (else Ethernet); bit 1: the wire was longer by
**           `extra` bytes; bit 2: the wire length is caplen - extra (shorter
**           than the capture, which the contract takes as caplen); bit 3: an
**           unknown link type; bits 4-6, when bit 3 is clear: 1 loopback
**           (DLT_NULL), 2 Linux cooked v1, 3 cooked v2, 4 bare IPv4 (0 and
**           5-7: bit 0 decides, as before).
**   byte 1  where to cut the capture for the truncation check (255: no cut).
**   bytes 2-3  `extra`, big-endian.
** The frame is the tail of libFuzzer's own buffer, which ends where the
** allocation ends, so any over-read is reported by ASan.
**
** Beyond "does not crash", each frame's facts are checked against the
** contract in dissect.h/dissect.c: lengths never exceed the input, each
** class implies its protocol, ports and fields, and a shorter capture of the
** same wire frame gives the same facts or PKT_TRUNCATED, never another answer.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire/dissect.h"

#define HDR 4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct input {
	const uint8_t *frame;
	size_t caplen, wirelen;   /* wirelen as handed to dissect_frame */
	size_t wire;              /* the wire length the dissector must assume */
	int linktype;
	size_t cut;               /* caplen when no cut is asked for */
};

/* A broken invariant: say which, with the class, and crash so libFuzzer keeps the input. */
static void check(int cond, const char *what, const struct pkt_facts *f)
{
	if (cond)
		return;
	fprintf(stderr, "fuzz_dissect: invariant broken: %s (class %s, problem %s)\n", what,
	        dissect_class_name(f->cls) ? dissect_class_name(f->cls) : "?",
	        f->problem ? f->problem : "-");
	abort();
}

static int either_port(const struct pkt_facts *f, uint16_t port)
{
	return f->sport == port || f->dport == port;
}

/* Bytes of link-layer header before IPv4 (a frame too short has no IPv4 facts anyway). */
static size_t link_header(const struct input *in)
{
	switch (in->linktype) {
	case DISSECT_LINK_RAW: case DISSECT_LINK_IPV4: return 0;
	case DISSECT_LINK_NULL: return 4;
	case DISSECT_LINK_LINUX_SLL: return 16;
	case DISSECT_LINK_LINUX_SLL2: return 20;
	default: break;
	}
	if (in->caplen >= 14 && in->frame[12] == 0x81 && in->frame[13] == 0x00)
		return 18;
	return 14;
}

static int is_ip_class(enum pkt_class c)
{
	return c == PKT_OTHER || c >= PKT_FRAGMENT;
}

/* Classes whose transport header was read, so the packet was not a later fragment. */
static int is_transport_class(enum pkt_class c)
{
	return c == PKT_OTHER || c >= PKT_ICMP;
}

/* The IPv4 facts: lengths within the wire frame, fragment fields consistent. */
static void check_ip(const struct input *in, const struct pkt_facts *f)
{
	check(!is_ip_class(f->cls) || f->has_ip, "an IP class without IPv4 facts", f);
	check(f->cls != PKT_NONIP || !f->has_ip, "non-ip with IPv4 facts", f);
	if (!f->has_ip)
		return;
	check(f->fragment == (f->more_fragments || f->frag_offset != 0), "fragment flag", f);
	check(f->frag_offset % 8 == 0, "fragment offset not in 8-byte units", f);
	if (f->cls == PKT_INVALID)
		return;
	check(f->ip_len >= 20, "IPv4 total length below 20 accepted", f);
	check(link_header(in) + f->ip_len <= in->wire, "IPv4 total length exceeds the frame", f);
	check(f->cls != PKT_FRAGMENT || f->frag_offset != 0, "fragment class at offset 0", f);
	check(!is_transport_class(f->cls) || f->frag_offset == 0,
	      "transport decoded in a non-first fragment", f);
}

/* What protocol and ports each class implies (ports: 4500 before 500 before 1701). */
static void check_transport(const struct pkt_facts *f)
{
	int natt = either_port(f, 4500), ike = either_port(f, 500), l2tp = either_port(f, 1701);

	switch (f->cls) {
	case PKT_ICMP:
		check(f->proto == 1, "icmp class, protocol not 1", f);
		break;
	case PKT_TCP:
		check(f->proto == 6 && f->has_ports, "tcp class without protocol 6 and ports", f);
		break;
	case PKT_UDP:
		check(f->proto == 17 && f->has_ports && !natt && !ike && !l2tp,
		      "udp class on an IKE, NAT-T or L2TP port", f);
		break;
	case PKT_IKE:
		check(f->proto == 17 && f->has_ports, "ike class outside UDP", f);
		check(f->ike_nonesp ? natt : ike && !natt, "ike class on the wrong port", f);
		break;
	case PKT_KEEPALIVE:
	case PKT_ESP_UDP:
		check(f->proto == 17 && natt, "keepalive or esp-udp off udp/4500", f);
		break;
	case PKT_L2TP:
		check(f->proto == 17 && l2tp && !natt && !ike, "l2tp class off udp/1701", f);
		break;
	case PKT_ESP:
		check(f->proto == 50, "esp class, protocol not 50", f);
		break;
	case PKT_AH:
		check(f->proto == 51, "ah class, protocol not 51", f);
		break;
	case PKT_OTHER:
		check(f->proto != 1 && f->proto != 6 && f->proto != 17 && f->proto != 50 &&
		      f->proto != 51, "other class for a decoded protocol", f);
		break;
	default:
		break;
	}
}

/* IKE, ESP, AH and L2TP fields are filled only with their class; names round-trip. */
static void check_fields(const struct pkt_facts *f)
{
	const char *name;

	if (f->cls == PKT_IKE) {
		check(f->ike_version == 1 || f->ike_version == 2, "ike version", f);
		check(f->ike_exchange >= 0 && f->ike_exchange <= 255, "ike exchange", f);
		check(f->ike_version == 2 || (f->ike_response == 0 &&
		      f->ike_initiator == (f->ike_rspi == 0)), "ikev1 initiator/response", f);
		name = dissect_ike_exchange_name(f->ike_version, f->ike_exchange);
		check(!name || dissect_ike_exchange_known(name), "exchange name not known", f);
		check(f->ike_natd_src_len <= 64 && f->ike_natd_dst_len <= 64, "NAT-D hash longer than 64", f);
		check(f->ike_nnotify >= 0, "negative notify count", f);
		check(!f->ike_frag_total || (f->ike_version == 2 && f->ike_encrypted),
		      "an SKF fragment that is not IKEv2 and encrypted", f);
		check(!f->ike_encrypted || f->ike_nnotify == 0 || f->ike_version == 2,
		      "IKEv1 notifies read from an encrypted message", f);
	} else {
		check(!f->ike_version && !f->ike_exchange && !f->ike_initiator && !f->ike_response &&
		      !f->ike_nonesp && !f->ike_msgid && !f->ike_ispi && !f->ike_rspi,
		      "ike fields outside the ike class", f);
		check(!f->ike_encrypted && !f->ike_nnotify && !f->ike_natd_src_len && !f->ike_natd_dst_len &&
		      !f->ike_frag && !f->ike_frag_total, "ike payload facts outside the ike class", f);
	}
	check(f->cls == PKT_ESP || f->cls == PKT_ESP_UDP || (!f->esp_spi && !f->esp_seq),
	      "esp fields outside the esp classes", f);
	check(f->cls == PKT_AH || (!f->ah_spi && !f->ah_seq), "ah fields outside the ah class", f);
	if (f->cls == PKT_L2TP) {
		name = dissect_l2tp_msg_name(f->l2tp_msgtype);
		check(!name || dissect_l2tp_msg_by_name(name) == f->l2tp_msgtype,
		      "l2tp message name does not map back", f);
		check(f->l2tp_control || f->l2tp_msgtype == 0, "l2tp message type on data", f);
	} else {
		check(!f->l2tp_control && !f->l2tp_msgtype && !f->l2tp_tunnel && !f->l2tp_session,
		      "l2tp fields outside the l2tp class", f);
	}
}

static void check_facts(const struct input *in, enum pkt_class rc, const struct pkt_facts *f)
{
	check(rc == f->cls, "return value differs from out->cls", f);
	check((unsigned)rc < PKT_CLASS_COUNT && dissect_class_name(rc), "class out of range", f);
	check((f->problem != NULL) == (rc == PKT_TRUNCATED || rc == PKT_INVALID),
	      "problem text set exactly for truncated and invalid", f);
	if (!dissect_link_supported(in->linktype))
		check(rc == PKT_INVALID && !f->has_ip, "unknown link type accepted", f);
	check(f->has_eth == 0 || (f->has_eth == 1 && in->linktype == DISSECT_LINK_EN10MB) ||
	      (f->has_eth == 2 && (in->linktype == DISSECT_LINK_LINUX_SLL || in->linktype == DISSECT_LINK_LINUX_SLL2)),
	      "MACs from a link type that has none", f);
	check_ip(in, f);
	check_transport(f);
	check_fields(f);
}

/*
** The same wire frame captured shorter: either the same facts (what decided
** the class was inside the shorter capture) or PKT_TRUNCATED, never a
** different verdict, and never PKT_INVALID for bytes that were not captured.
*/
static void check_cut(const struct input *in, const struct pkt_facts *full)
{
	struct pkt_facts f;
	enum pkt_class rc;

	if (in->cut >= in->caplen)
		return;
	rc = dissect_frame(in->frame, in->cut, in->wire, in->linktype, &f);
	if (rc == PKT_TRUNCATED)
		return;
	check(rc == full->cls, "a shorter capture changed the verdict (not to truncated)", &f);
	/* How much of the ESP payload was captured is the one fact a cut may change. */
	check(f.esp_off == full->esp_off && f.esp_len <= full->esp_len && (!f.esp_whole || full->esp_whole),
	      "a shorter capture moved the ESP payload", &f);
	f.esp_len = full->esp_len;
	f.esp_whole = full->esp_whole;
	/* The IKE payload walk stops where the capture does: what it read is a prefix of the whole. */
	if (f.cls == PKT_IKE) {
		int kept = f.ike_nnotify < 4 ? f.ike_nnotify : 4;

		check(f.ike_nnotify <= full->ike_nnotify &&
		      memcmp(f.ike_notify, full->ike_notify, sizeof(f.ike_notify[0]) * (size_t)kept) == 0,
		      "a shorter capture read other notifies", &f);
		check((!f.ike_natd_src_len || (f.ike_natd_src_len == full->ike_natd_src_len &&
		       memcmp(f.ike_natd_src, full->ike_natd_src, f.ike_natd_src_len) == 0)) &&
		      (!f.ike_natd_dst_len || (f.ike_natd_dst_len == full->ike_natd_dst_len &&
		       memcmp(f.ike_natd_dst, full->ike_natd_dst, f.ike_natd_dst_len) == 0)),
		      "a shorter capture read another NAT-D hash", &f);
		check((!f.ike_frag_total || (f.ike_frag == full->ike_frag && f.ike_frag_total == full->ike_frag_total)) &&
		      (!f.ike_encrypted || full->ike_encrypted), "a shorter capture read another fragment", &f);
		f.ike_nnotify = full->ike_nnotify;
		memcpy(f.ike_notify, full->ike_notify, sizeof(f.ike_notify));
		f.ike_natd_src_len = full->ike_natd_src_len;
		f.ike_natd_dst_len = full->ike_natd_dst_len;
		memcpy(f.ike_natd_src, full->ike_natd_src, sizeof(f.ike_natd_src));
		memcpy(f.ike_natd_dst, full->ike_natd_dst, sizeof(f.ike_natd_dst));
		f.ike_frag = full->ike_frag;
		f.ike_frag_total = full->ike_frag_total;
		f.ike_encrypted = full->ike_encrypted;
	}
	check(memcmp(&f, full, sizeof(f)) == 0, "a shorter capture changed the facts", &f);
}

static void parse_input(const uint8_t *data, size_t size, struct input *in)
{
	uint8_t flags = data[0];
	size_t extra = (size_t)data[2] << 8 | data[3];

	in->frame = data + HDR;
	in->caplen = size - HDR;
	if (flags & 0x04)
		in->wirelen = in->caplen > extra ? in->caplen - extra : 0;
	else if (flags & 0x02)
		in->wirelen = in->caplen + extra;
	else
		in->wirelen = in->caplen;
	in->wire = in->wirelen > in->caplen ? in->wirelen : in->caplen;
	static const int links[8] = { -1, DISSECT_LINK_NULL, DISSECT_LINK_LINUX_SLL, DISSECT_LINK_LINUX_SLL2,
	                              DISSECT_LINK_IPV4, -1, -1, -1 };

	if (flags & 0x08)
		in->linktype = 0x100 | flags;
	else if (links[(flags >> 4) & 7] >= 0)
		in->linktype = links[(flags >> 4) & 7];
	else
		in->linktype = flags & 0x01 ? DISSECT_LINK_RAW : DISSECT_LINK_EN10MB;
	in->cut = data[1] == 255 ? in->caplen : in->caplen * data[1] / 255;
}

#ifdef FUZZ_SELFTEST
/*
** A planted bug, built only for tests/60-fuzz.t: a frame holding the marker
** makes the harness read one byte past its input, which ASan must report
** and libFuzzer must turn into a crash artifact.
*/
static void planted_bug(const uint8_t *data, size_t size)
{
	static const char marker[] = "VPNLAB-FUZZ-SELFTEST";

	if (memmem(data, size, marker, sizeof(marker) - 1) != NULL) {
		volatile uint8_t past = data[size];

		(void)past;
	}
}
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in;
	struct pkt_facts f, again;
	enum pkt_class rc;

#ifdef FUZZ_SELFTEST
	planted_bug(data, size);
#endif
	if (size < HDR) {
		rc = dissect_frame(size ? data : NULL, size, size, DISSECT_LINK_EN10MB, &f);
		check(rc == PKT_TRUNCATED || rc == PKT_INVALID, "a frame of < 4 bytes decoded", &f);
		return 0;
	}
	parse_input(data, size, &in);
	rc = dissect_frame(in.frame, in.caplen, in.wirelen, in.linktype, &f);
	check_facts(&in, rc, &f);
	check(dissect_frame(in.frame, in.caplen, in.wirelen, in.linktype, &again) == rc &&
	      memcmp(&f, &again, sizeof(f)) == 0, "the same frame decoded twice differs", &f);
	check(dissect_frame(in.frame, in.caplen, in.wirelen, in.linktype, NULL) == rc,
	      "a NULL out changes the class", &f);
	check_cut(&in, &f);
	if (f.cls == PKT_ESP || f.cls == PKT_ESP_UDP)
		check(f.esp_off + f.esp_len <= in.caplen && f.esp_len >= 8, "ESP payload outside the capture", &f);
	/* The same bytes as a decrypted payload: byte 1 stands for the next header. */
	rc = dissect_inner(in.frame, in.caplen, data[1], &f, &again);
	check(rc == again.cls && (unsigned)rc < PKT_CLASS_COUNT, "dissect_inner: class", &again);
	check(data[1] == 4 || (again.has_ip && again.proto == data[1] && again.src == f.src),
	      "dissect_inner: transport mode keeps the outer addresses", &again);
	check_transport(&again);
	check_fields(&again);
	return 0;
}
