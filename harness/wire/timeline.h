/*
** timeline: every decoded packet of a scenario, from every link, ordered by
** capture time. Assertions read it; it is also written as JSON lines next to
** the pcaps, one object per packet, as evidence a person or a script can read.
*/
#ifndef VPNLAB_TIMELINE_H
#define VPNLAB_TIMELINE_H

#include <stdint.h>
#include <stdio.h>

#include "wire/dissect.h"
#include "wire/inner.h"

struct tl_packet {
	double t;                 /* seconds since the scenario started (capture timestamp) */
	int link;                 /* index of the link it was captured on */
	uint32_t frame;           /* 1-based frame number in that link's pcap */
	uint32_t wirelen;
	struct pkt_facts f;
	struct inner_view inner;  /* ESP: what it carried, when the run knows its SA (inner.h) */
};

struct timeline {
	struct tl_packet *p;      /* sorted by t (ties keep arrival order) */
	size_t n, cap;
};

void timeline_init(struct timeline *tl);
void timeline_free(struct timeline *tl);
/* Insert keeping time order; captures of several links interleave. 0 or -1 (ENOMEM). */
int timeline_add(struct timeline *tl, const struct tl_packet *pkt);
/*
** For many packets that may come out of order (a capture file whose
** interfaces were concatenated): append each, then sort once, stably (equal
** times keep their order), instead of timeline_add's insertion. 0 or -1 (ENOMEM).
*/
int timeline_append(struct timeline *tl, const struct tl_packet *pkt);
int timeline_sort(struct timeline *tl);
/* One JSON object and a newline for pkt, naming its link. */
/* s as a JSON string (quoted, escaped; invalid UTF-8 becomes U+FFFD). */
void timeline_json_string(FILE *out, const char *s);
void timeline_write_json(FILE *out, const struct tl_packet *pkt, const char *link_name);
/* A short human line: "0.412 wan 203.0.113.2:500 > 203.0.113.3:500 ike IKE_SA_INIT v2 I". */
void timeline_describe(char *buf, size_t len, const struct tl_packet *pkt, const char *link_name);

#endif
