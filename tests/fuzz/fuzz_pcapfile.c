/*
** fuzz_pcapfile: libFuzzer target over the capture-file reader.
**
** Input: a whole file image (classic pcap or pcapng), read through
** pcapfile_open_mem from libFuzzer's own buffer, which ends where the
** allocation ends, so any read past the image is reported by ASan. Every
** frame is also handed to the dissector with its interface's link type.
**
** Beyond "does not crash", each answer is checked against the contract in
** pcapfile.h: frames lie inside the image and are numbered 1, 2, ... in
** order; interfaces are declared before use; times are finite; an error
** says why; after the end the reader stays at the end; and a file that
** reads cleanly has as many interfaces as were counted ahead.
*/
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire/dissect.h"
#include "wire/pcapfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken invariant: say which and crash, so libFuzzer keeps the input. */
static void check(int cond, const char *what, uint32_t frame)
{
	if (cond)
		return;
	fprintf(stderr, "fuzz_pcapfile: invariant broken: %s (frame %u)\n", what, frame);
	abort();
}

/* One frame: inside the image, numbered next, of a declared interface. */
static void check_frame(const struct pcapfile *pf, const struct pcap_frame *fr, const uint8_t *data,
                        size_t size, uint32_t want_number)
{
	const struct pcap_iface *ifaces;
	size_t n = pcapfile_ifaces(pf, &ifaces);
	struct pkt_facts f;

	check(fr->number == want_number, "frames not numbered 1, 2, ... in order", fr->number);
	check(fr->caplen <= size && fr->bytes >= data && (size_t)(fr->bytes - data) <= size - fr->caplen,
	      "frame bytes outside the image", fr->number);
	check(fr->iface >= 0 && (size_t)fr->iface < n, "frame of an undeclared interface", fr->number);
	check(isfinite(fr->t), "time not finite", fr->number);
	check(ifaces[fr->iface].linktype >= 0 && ifaces[fr->iface].linktype <= 0xffff, "link type beyond 16 bits",
	      fr->number);
	check(memchr(ifaces[fr->iface].name, '\0', sizeof ifaces[fr->iface].name) != NULL,
	      "interface name not terminated", fr->number);
	dissect_frame(fr->bytes, fr->caplen, fr->wirelen, ifaces[fr->iface].linktype, &f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256] = "";
	struct pcapfile *pf = pcapfile_open_mem(data, size, err, sizeof err);
	const struct pcap_iface *ifaces;
	struct pcap_frame fr;
	size_t counted;
	uint32_t n = 0;
	int rc;

	if (pf == NULL) {
		check(err[0] != '\0', "open failed without saying why", 0);
		return 0;
	}
	counted = pcapfile_count_ifaces(pf);
	while ((rc = pcapfile_next(pf, &fr, err, sizeof err)) > 0)
		check_frame(pf, &fr, data, size, ++n);
	check(rc == 0 || err[0] != '\0', "an error without saying why", n);
	check(rc == 0 || strstr(err, "frame ") != NULL || strstr(err, "version") != NULL ||
	      strstr(err, "memory") != NULL, "an error not naming the frame", n);
	check(pcapfile_next(pf, &fr, err, sizeof err) == 0, "reading on after the end gave something", n);
	check(rc < 0 || pcapfile_ifaces(pf, &ifaces) == counted, "interfaces counted ahead differ from those read", n);
	pcapfile_close(pf);
	return 0;
}
