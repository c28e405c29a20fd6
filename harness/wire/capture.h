/*
** capture: libpcap on one interface of one namespace. Every frame is
** written to the link's pcap file and decoded into the timeline as it is
** read. Immediate mode and reading to the end before closing mean no frame
** is lost to buffering.
**
** A link can be captured at two points that share one file: the two ends of
** a veth pair, each keeping only what it transmits. Their union is exactly
** the wire, and a frame an endpoint hands back to itself as received (the
** kernel's XFRM tunnel mode re-injects every decapsulated packet on the
** interface it came in on) is excluded. The first capture of the pair owns
** the file and the frame numbering; draining either drains both, merged by
** timestamp, so the file stays in time order.
*/
#ifndef VPNLAB_CAPTURE_H
#define VPNLAB_CAPTURE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

#include "wire/inner.h"
#include "wire/timeline.h"

struct capture {
	void *pcap;               /* pcap_t */
	void *dumper;             /* pcap_dumper_t; NULL on the second capture of a pair */
	struct capture *peer;     /* the other capture of the same link, or NULL */
	int fd;                   /* selectable fd for the loop */
	int link;                 /* link index stamped on every packet */
	int linktype;
	uint32_t frames;          /* frames in the file: counted on the capture owning it */
	struct timeval t0;        /* scenario start: packet times are relative to it */
	struct timeline *tl;
	struct esp_keyring *keys; /* the run's SAs for the decrypted view of ESP, or NULL */
};

/* What to capture at one point. */
struct capture_spec {
	int nsfd;
	const char *ifname;
	const char *pcap_path;    /* the link's file; NULL: write into the file of specs[peer] */
	int peer;                 /* with pcap_path NULL, the index of the spec owning the file; else -1 */
	int link;
	int outbound;             /* keep only frames ifname transmits (PCAP_D_OUT) */
	int promisc;              /* promiscuous: a bridge passes up frames between its ports */
};

/*
** Open one capture. With spec->pcap_path NULL it has no file of its own and
** drains nothing until capture_open_all pairs it with its peer. 0 or -1 with
** err filled.
*/
int capture_open(struct capture *c, const struct capture_spec *spec, const struct timeval *t0,
                 struct timeline *tl, char *err, size_t errlen);
/*
** Open n captures concurrently (one short-lived thread each): every open
** waits for a kernel RCU grace period, and concurrent waits overlap. Specs
** naming a peer are paired with it. On failure the ones opened are closed
** and err names the first failure. caps must not move while open (pairs
** point at each other).
*/
int capture_open_all(struct capture *caps, const struct capture_spec *specs, size_t n,
                     const struct timeval *t0, struct timeline *tl, char *err, size_t errlen);
/* Drain every capture (in this thread: the timeline is not shared), then close them concurrently. */
void capture_close_all(struct capture *caps, size_t n);
/* Read every frame available now from c and its peer. Returns frames read, or -1. */
int capture_drain(struct capture *c);
/* Drain, flush the pcap file and close c and its peer. Safe on a closed capture. */
void capture_close(struct capture *c);

#endif
