/*
** pcapload.c: a capture file a user brings, into the same timeline a run
** builds (pcapfile_load and its helpers in pcapfile.h). Kept apart from the
** reader (pcapfile.c), which knows bytes and blocks only: this file knows
** what a frame means (the dissector) and where it goes (the timeline), so
** the reader can be fuzzed and reused without either.
*/
#include "wire/pcapfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/errf.h"
#include "wire/dissect.h"
#include "wire/inner.h"
#include "wire/timeline.h"

void pcapfile_packet(const struct pcap_frame *fr, int linktype, double t0, struct esp_keyring *kr,
                     struct tl_packet *pkt)
{
	pkt->t = fr->t - t0;
	pkt->link = fr->iface;
	pkt->frame = fr->number;
	pkt->wirelen = fr->wirelen > fr->caplen ? fr->wirelen : fr->caplen;
	if (dissect_link_supported(linktype)) {
		dissect_frame(fr->bytes, fr->caplen, fr->wirelen, linktype, &pkt->f);
	} else {
		memset(&pkt->f, 0, sizeof pkt->f);
		pkt->f.cls = PKT_NONIP;
	}
	if (kr != NULL && (pkt->f.cls == PKT_ESP || pkt->f.cls == PKT_ESP_UDP))
		inner_decode(kr, fr->bytes, fr->caplen, &pkt->f, &pkt->inner);
	else
		pkt->inner.state = INNER_NONE;
}

char *pcapfile_stem(const char *path)
{
	const char *base = strrchr(path, '/'), *dot;
	size_t n;
	char *s;

	if (strcmp(path, "-") == 0)
		return strdup("stdin");
	base = base ? base + 1 : path;
	dot = strrchr(base, '.');
	n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
	s = malloc(n + 1);
	if (s == NULL)
		return NULL;
	memcpy(s, base, n);
	s[n] = '\0';
	return s;
}

char **pcapfile_link_names(const char *stem, const struct pcap_iface *ifaces, size_t nifaces, int several)
{
	char **names = calloc(nifaces ? nifaces : 1, sizeof *names);
	size_t i;

	if (names == NULL)
		return NULL;
	for (i = 0; i < nifaces; i++) {
		size_t len = strlen(stem) + sizeof ifaces[i].name + 24;

		names[i] = malloc(len);
		if (names[i] == NULL) {
			pcapfile_free_names(names, nifaces);
			return NULL;
		}
		if (!several)
			snprintf(names[i], len, "%s", stem);
		else if (ifaces[i].name[0])
			snprintf(names[i], len, "%s:%s", stem, ifaces[i].name);
		else
			snprintf(names[i], len, "%s:%zu", stem, i);
	}
	return names;
}

void pcapfile_free_names(char **names, size_t nlinks)
{
	if (names == NULL)
		return;
	for (size_t i = 0; i < nlinks; i++)
		free(names[i]);
	free(names);
}

int pcapfile_load(const char *path, struct timeline *tl, char ***names, size_t *nlinks,
                  int *truncated, char *err, size_t errlen)
{
	struct pcapfile *pf = pcapfile_open(path, err, errlen);
	const struct pcap_iface *ifaces;
	struct pcap_frame fr;
	struct tl_packet pkt;
	struct esp_keyring none;        /* a capture file brings no keys */
	double t0 = 0;
	char *stem;
	int rc;

	*names = NULL;
	*nlinks = 0;
	*truncated = 0;
	if (pf == NULL)
		return -1;
	memset(&pkt, 0, sizeof pkt);
	esp_keyring_init(&none);
	while ((rc = pcapfile_next(pf, &fr, err, errlen)) > 0) {
		pcapfile_ifaces(pf, &ifaces);
		if (fr.number == 1)
			t0 = fr.t;
		pcapfile_packet(&fr, ifaces[fr.iface].linktype, t0, &none, &pkt);
		if (timeline_append(tl, &pkt) < 0) {
			pcapfile_close(pf);
			return errf(err, errlen, "%s: out of memory at frame %u", path, fr.number);
		}
	}
	*truncated = rc < 0;
	if (timeline_sort(tl) < 0) {
		pcapfile_close(pf);
		return errf(err, errlen, "%s: out of memory", path);
	}
	*nlinks = pcapfile_ifaces(pf, &ifaces);
	stem = pcapfile_stem(path);
	*names = stem ? pcapfile_link_names(stem, ifaces, *nlinks, *nlinks > 1) : NULL;
	free(stem);
	pcapfile_close(pf);
	if (*names == NULL) {
		*nlinks = 0;
		return errf(err, errlen, "out of memory");
	}
	return 0;
}
