/*
** expect: assertions over the timeline. A filter selects packets by their
** decoded facts; the four assertion kinds (seen, never, count, transition)
** say what must be true of the selected packets in a time window. A result
** carries a verdict and, on failure, a YAML diagnostic: what was expected,
** what was seen instead, the first offending packet and the pcap.
*/
#ifndef VPNLAB_EXPECT_H
#define VPNLAB_EXPECT_H

#include <stddef.h>
#include <stdint.h>

#include "wire/timeline.h"

/* Which fields of a filter are set (bit flags of pkt_filter.set). */
enum {
	PF_LINK = 1u << 0,  PF_PROTO = 1u << 1,   PF_SRC = 1u << 2,      PF_DST = 1u << 3,
	PF_SPORT = 1u << 4, PF_DPORT = 1u << 5,   PF_PORT = 1u << 6,     PF_IKE = 1u << 7,
	PF_IKE_VERSION = 1u << 8, PF_INITIATOR = 1u << 9, PF_RESPONSE = 1u << 10,
	PF_NONESP = 1u << 11, PF_ESP = 1u << 12,  PF_SPI = 1u << 13,     PF_KEEPALIVE = 1u << 14,
	PF_AH = 1u << 15,   PF_L2TP = 1u << 16,   PF_FRAGMENT = 1u << 17, PF_CLASS = 1u << 18,
	PF_UDP = 1u << 19,  PF_TCP = 1u << 20,    PF_ICMP = 1u << 21,    PF_PPP = 1u << 22,
	PF_PPP_CODE = 1u << 23, PF_INNER = 1u << 24, PF_NOTIFY = 1u << 25, PF_IKE_SPI = 1u << 26,
};

#define PF_ESP_RAW 1
#define PF_ESP_UDP 2
#define PF_L2TP_ANY  (-1)   /* any L2TP packet */
#define PF_L2TP_DATA (-2)   /* L2TP data (T bit clear) */

/* What `inner` asks of an ESP packet's decrypted view (wire/inner.h). */
enum pf_inner {
	PF_INNER_DECRYPTED = 1,    /* decrypted; with inner_filter set, what it carried must match it */
	PF_INNER_UNDECRYPTABLE,    /* a key was known and decryption failed (ICV: the wrong key) */
	PF_INNER_NO_KEY,           /* no SA known for its SPI */
};

struct pkt_filter {
	unsigned set;
	int link;                  /* link index */
	int proto;                 /* IP protocol number */
	uint32_t src, src_mask;    /* host order; a plain address has mask 0xffffffff */
	uint32_t dst, dst_mask;
	uint16_t sport, dport, port;   /* port: either side */
	uint16_t udp, tcp;         /* {udp=500}: UDP with port 500 on either side */
	char ike[32];              /* exchange name, compared with dissect_ike_exchange_name */
	int ike_version;
	int initiator, response, nonesp, keepalive, ah, fragment;   /* booleans */
	int esp;                   /* PF_ESP_RAW or PF_ESP_UDP */
	uint32_t spi;              /* ESP or AH SPI */
	int l2tp;                  /* message type number, PF_L2TP_ANY or PF_L2TP_DATA */
	int cls;                   /* enum pkt_class */
	int icmp;                  /* ICMP type */
	int notify;                /* IKE notify message type carried in the clear (dissect's ike_notify[]) */
	uint64_t ike_spi;          /* an IKE SA's SPI: the header's initiator or responder SPI */
	int ppp, ppp_code;         /* PPP protocol number; its control code */
	int inner;                 /* enum pf_inner */
	const struct pkt_filter *inner_filter;  /* the decrypted packet's filter, or NULL; no inner of its own */
};

int pktfilter_match(const struct pkt_filter *f, const struct tl_packet *p);
/* "ike=IKE_SA_INIT sport=500 dport=500"; link names resolve through names[] (may be NULL). */
void pktfilter_describe(const struct pkt_filter *f, char *buf, size_t len,
                        const char *const *link_names);

/* Context every evaluation needs to explain itself. */
struct expect_ctx {
	const struct timeline *tl;
	const char *const *link_names;    /* index -> name */
	size_t nlinks;
	const char *pcap_hint;            /* e.g. "results/.../wan.pcap" or the folder for all links */
	double from, to;                  /* only packets with from <= t <= to count */
};

struct expect_result {
	int pass;
	char *diag;       /* malloc'd YAML body lines (no --- / ... markers), NULL when passing */
};

void expect_result_free(struct expect_result *r);

/* At least one matching packet. */
int expect_seen(const struct expect_ctx *c, const struct pkt_filter *f, struct expect_result *r);
/* No matching packet. */
int expect_never(const struct expect_ctx *c, const struct pkt_filter *f, struct expect_result *r);
/* min <= matches <= max (max < 0: no upper bound). */
int expect_count(const struct expect_ctx *c, const struct pkt_filter *f, long min, long max,
                 struct expect_result *r);
/* A `from` packet first; a `to` packet later; after the first `to`, no `from` again. */
int expect_transition(const struct expect_ctx *c, const struct pkt_filter *from,
                      const struct pkt_filter *to, struct expect_result *r);
/* Number of matching packets in the window (for event-driven waits). */
size_t expect_count_matches(const struct expect_ctx *c, const struct pkt_filter *f);

#endif
