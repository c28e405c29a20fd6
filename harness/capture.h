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
/* Read every frame available now. Returns frames read, or -1. */
int capture_drain(struct capture *c);
/* Drain, flush the pcap file and close. Safe on a closed capture. */
void capture_close(struct capture *c);

#endif
