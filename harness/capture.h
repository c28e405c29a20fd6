/*
** capture: libpcap on one interface of one namespace. Every frame is
** written to the link's pcap file and decoded into the timeline as it is
** read. Immediate mode and reading to the end before closing mean no frame
** is lost to buffering.
*/
#ifndef VPNLAB_CAPTURE_H
#define VPNLAB_CAPTURE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

#include "timeline.h"

struct capture {
	void *pcap;               /* pcap_t */
	void *dumper;             /* pcap_dumper_t */
	int fd;                   /* selectable fd for the loop */
	int link;                 /* link index stamped on every packet */
	int linktype;
	uint32_t frames;
	struct timeval t0;        /* scenario start: packet times are relative to it */
	struct timeline *tl;
};

/* Open a capture on ifname inside nsfd, writing pcap_path. 0 or -1 with err filled. */
int capture_open(struct capture *c, int nsfd, const char *ifname, const char *pcap_path,
                 int link, const struct timeval *t0, struct timeline *tl, char *err, size_t errlen);
/* What capture_open_all needs for one capture. */
struct capture_spec {
	int nsfd;
	const char *ifname;
	const char *pcap_path;
	int link;
};

/*
** Open n captures concurrently (one short-lived thread each): every open
** waits for a kernel RCU grace period, and concurrent waits overlap. On
** failure the ones opened are closed and err names the first failure.
*/
int capture_open_all(struct capture *caps, const struct capture_spec *specs, size_t n,
                     const struct timeval *t0, struct timeline *tl, char *err, size_t errlen);
/* Drain every capture (in this thread: the timeline is not shared), then close them concurrently. */
void capture_close_all(struct capture *caps, size_t n);
/* Read every frame available now. Returns frames read, or -1. */
int capture_drain(struct capture *c);
/* Drain, flush the pcap file and close. Safe on a closed capture. */
void capture_close(struct capture *c);

#endif
