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
** Times are relative to the first frame; ESP packets are "no key" (the
** file brings no keys). *names gets nlinks malloc'd
** strings (free with pcapfile_free_names). With a truncated file the frames
** before the cut are kept, *truncated is set and err says where; a file
** that cannot be read at all returns -1.
*/
struct timeline;
int pcapfile_load(const char *path, struct timeline *tl, char ***names, size_t *nlinks,
                  int *truncated, char *err, size_t errlen);
void pcapfile_free_names(char **names, size_t nlinks);

/* ---- additions beyond the first contract (pcapfile.c, pcapload.c) ---- */

/* The same reader over a file image in memory, which is not copied: keep it until pcapfile_close. */
struct pcapfile *pcapfile_open_mem(const void *data, size_t size, char *err, size_t errlen);
/* Interfaces of the whole file, counted ahead without reading frames (pcapng declares them as it goes). */
size_t pcapfile_count_ifaces(const struct pcapfile *pf);
/*
** One frame as a timeline packet: link = its interface, t relative to t0,
** the file's frame number, the dissector's facts (a link type the
** dissector does not know gives PKT_NONIP), and ESP's inner view from kr
** ("no key" for every ESP packet with an empty ring, as in a run; none
** with kr NULL). What pcapfile_load stores and `vpnlab decode` prints, so
** the two cannot disagree.
*/
struct tl_packet;
struct esp_keyring;
void pcapfile_packet(const struct pcap_frame *fr, int linktype, double t0, struct esp_keyring *kr,
                     struct tl_packet *pkt);
/* The file's stem: "wan" for "dir/wan.pcap", "stdin" for "-" (malloc'd; NULL if out of memory). */
char *pcapfile_stem(const char *path);
/*
** The link names pcapfile_load gives (see above) to the first nifaces
** interfaces: stem alone, or with several set "stem:ifname" ("stem:N"
** when unnamed). NULL if out of memory.
*/
char **pcapfile_link_names(const char *stem, const struct pcap_iface *ifaces, size_t nifaces, int several);

#endif
