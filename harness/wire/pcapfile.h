/*
** pcapfile: reads a capture file a user brings, classic pcap (either byte
** order, micro- or nanosecond timestamps) or pcapng (any number of
** interfaces, each with its own link type and timestamp resolution). Every
** field read from the file is bounds-checked: a truncated or foreign file is
** an error naming the frame and byte offset, never a crash. libpcap is not
** used here because its pcapng reader refuses a file whose interfaces have
** different link types, which is what a capture on "any" or a merged
** customer capture often is.
*/
#ifndef VPNLAB_PCAPFILE_H
#define VPNLAB_PCAPFILE_H

#include <stddef.h>
#include <stdint.h>

struct pcapfile;

struct pcap_iface {
	int linktype;              /* LINKTYPE_* (1 Ethernet, 101 raw IP, 113 cooked v1, 276 cooked v2, ...) */
	char name[64];             /* pcapng if_name, or "" */
};

struct pcap_frame {
	const uint8_t *bytes;      /* valid until the next pcapfile_next or pcapfile_close */
	uint32_t caplen, wirelen;
	double t;                  /* seconds since the epoch */
	int iface;                 /* index into the interfaces (0 for classic pcap) */
	uint32_t number;           /* 1-based frame number in the file, as Wireshark counts */
};

/* Open path ("-" is stdin). NULL with err filled: missing, not a capture file, unsupported version. */
struct pcapfile *pcapfile_open(const char *path, char *err, size_t errlen);
/* The next frame: 1, 0 at the clean end, -1 with err filled (truncated, corrupt block). */
int pcapfile_next(struct pcapfile *pf, struct pcap_frame *fr, char *err, size_t errlen);
/* The interfaces seen so far (pcapng declares them as it goes; classic pcap has one). */
size_t pcapfile_ifaces(const struct pcapfile *pf, const struct pcap_iface **out);
void pcapfile_close(struct pcapfile *pf);

/*
** A whole file into a timeline, for check, triage and timeline: one link
** per interface, named after the file's stem ("wan" for wan.pcap) when it
** has one interface, "stem:ifname" (or "stem:N") when it has several.
** Times are relative to the first frame. *names gets nlinks malloc'd
** strings (free with pcapfile_free_names). With a truncated file the frames
** before the cut are kept, *truncated is set and err says where; a file
** that cannot be read at all returns -1.
*/
struct timeline;
int pcapfile_load(const char *path, struct timeline *tl, char ***names, size_t *nlinks,
                  int *truncated, char *err, size_t errlen);
void pcapfile_free_names(char **names, size_t nlinks);

#endif
