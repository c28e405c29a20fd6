/*
** decode.c: `vpnlab decode FILE [--json] [--link NAME] [--esp-sa ESP_SA]`, the dissector over
** any pcap or pcapng a user brings. It streams: one frame is read, dissected
** and printed before the next (nothing is kept, so a capture of millions
** of frames costs no memory), through the same pcapfile_packet and
** timeline writers a run uses, so --json prints exactly the objects a
** run's timeline.jsonl holds for that link.
**
** With --esp-sa, Wireshark's esp_sa table gives the SAs, and ESP packets
** show what they carried, as in a run that knew the keys.
**
** Exit status: 0; 2 for usage, a file that cannot be read or is not a
** capture, and a truncated or corrupt file (after the frames before the cut).
*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "wire/dissect.h"
#include "wire/espsa.h"
#include "wire/inner.h"
#include "wire/pcapfile.h"
#include "wire/timeline.h"

#define DECODE_USAGE \
	"usage: vpnlab decode FILE [--json] [--link NAME] [--esp-sa ESP_SA]   (FILE: pcap or pcapng, - for stdin)"

struct decode_opts {
	const char *path;
	const char *link;        /* the name instead of the file's stem */
	const char *esp_sa;      /* Wireshark's esp_sa file: the keys of the capture's ESP */
	int json;
};

struct decode_state {
	const struct decode_opts *o;
	char *stem;
	char **names;            /* one per interface seen so far */
	size_t nnames;
	int several;             /* the file declares more than one interface */
	struct esp_keyring keys; /* --esp-sa's SAs; without, ESP is "no key" as in a run that learned none */
	int warned[8];           /* link types already reported unsupported */
	size_t nwarned;
	double t0;
};

/* 0 to decode, 1 when help was asked for (printed), -1 on a usage error (said). */
static int parse_args(int argc, char **argv, struct decode_opts *o)
{
	memset(o, 0, sizeof *o);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			o->json = 1;
		} else if (strcmp(argv[i], "--link") == 0 && i + 1 < argc && argv[i + 1][0]) {
			o->link = argv[++i];
		} else if (strcmp(argv[i], "--esp-sa") == 0 && i + 1 < argc && argv[i + 1][0]) {
			o->esp_sa = argv[++i];
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			printf("%s\n", DECODE_USAGE);
			return 1;
		} else if ((argv[i][0] == '-' && argv[i][1] != '\0') || o->path != NULL) {
			fprintf(stderr, "vpnlab decode: unexpected argument '%s'\n%s\n", argv[i],
			        DECODE_USAGE);
			return -1;
		} else {
			o->path = argv[i];
		}
	}
	if (o->path == NULL) {
		fprintf(stderr, "vpnlab decode: no capture file given\n%s\n", DECODE_USAGE);
		return -1;
	}
	return 0;
}

/* Names for every interface declared so far (pcapng declares them as it goes). */
static int refresh_names(struct decode_state *st, const struct pcapfile *pf)
{
	const struct pcap_iface *ifaces;
	size_t n = pcapfile_ifaces(pf, &ifaces);
	char **names;

	if (n <= st->nnames)
		return 0;
	names = pcapfile_link_names(st->stem, ifaces, n, st->several);
	if (names == NULL)
		return -1;
	pcapfile_free_names(st->names, st->nnames);
	st->names = names;
	st->nnames = n;
	return 0;
}

/* Once per link type: its frames are printed, as non-ip. */
static void warn_linktype(struct decode_state *st, int linktype, const char *name)
{
	for (size_t i = 0; i < st->nwarned; i++)
		if (st->warned[i] == linktype)
			return;
	if (st->nwarned < sizeof st->warned / sizeof st->warned[0])
		st->warned[st->nwarned++] = linktype;
	fprintf(stderr, "vpnlab decode: %s: link type %d (%s) is not supported: "
	        "its frames are shown as non-ip\n", st->o->path, linktype, name);
}

static void print_frame(struct decode_state *st, const struct pcap_frame *fr, const struct pcap_iface *iface)
{
	struct tl_packet pkt;
	char line[512];

	if (fr->number == 1)
		st->t0 = fr->t;
	if (!dissect_link_supported(iface->linktype))
		warn_linktype(st, iface->linktype, st->names[fr->iface]);
	pcapfile_packet(fr, iface->linktype, st->t0, &st->keys, &pkt);
	if (st->o->json) {
		timeline_write_json(stdout, &pkt, st->names[fr->iface]);
		return;
	}
	timeline_describe(line, sizeof line, &pkt, st->names[fr->iface]);
	printf("%u %s\n", fr->number, line);
}

static int decode_file(struct decode_state *st)
{
	char err[256];
	struct pcapfile *pf = pcapfile_open(st->o->path, err, sizeof err);
	const struct pcap_iface *ifaces;
	struct pcap_frame fr;
	int rc;

	if (pf == NULL) {
		fprintf(stderr, "vpnlab decode: %s\n", err);
		return 2;
	}
	st->several = pcapfile_count_ifaces(pf) > 1;
	while ((rc = pcapfile_next(pf, &fr, err, sizeof err)) > 0) {
		if (refresh_names(st, pf) < 0) {
			snprintf(err, sizeof err, "out of memory");
			rc = -1;
			break;
		}
		pcapfile_ifaces(pf, &ifaces);
		print_frame(st, &fr, &ifaces[fr.iface]);
	}
	pcapfile_close(pf);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "vpnlab decode: writing the output failed\n");
		return 2;
	}
	if (rc < 0) {
		fprintf(stderr, "vpnlab decode: %s: %s\n", st->o->path, err);
		return 2;
	}
	return 0;
}

/* The SAs of an esp_sa file; 0, or 2 (said). */
static int read_keys(struct esp_keyring *kr, const char *path)
{
	char err[256];
	FILE *f = fopen(path, "re");
	int rc;

	if (f == NULL) {
		fprintf(stderr, "vpnlab decode: %s: %s\n", path, strerror(errno));
		return 2;
	}
	rc = espsa_read_wireshark(f, kr, err, sizeof err);
	fclose(f);
	if (rc < 0) {
		fprintf(stderr, "vpnlab decode: %s: %s\n", path, err);
		return 2;
	}
	return 0;
}

int cmd_decode(int argc, char **argv)
{
	struct decode_opts o;
	struct decode_state st;
	static char outbuf[1 << 20];
	int rc;

	rc = parse_args(argc, argv, &o);
	if (rc != 0)
		return rc < 0 ? 2 : 0;
	memset(&st, 0, sizeof st);
	st.o = &o;
	esp_keyring_init(&st.keys);
	st.stem = o.link ? strdup(o.link) : pcapfile_stem(o.path);
	if (st.stem == NULL) {
		fprintf(stderr, "vpnlab decode: out of memory\n");
		return 2;
	}
	setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
	rc = o.esp_sa ? read_keys(&st.keys, o.esp_sa) : 0;
	if (rc == 0)
		rc = decode_file(&st);
	pcapfile_free_names(st.names, st.nnames);
	esp_keyring_free(&st.keys);
	free(st.stem);
	return rc;
}
