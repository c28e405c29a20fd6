/*
** evidence: one scenario's results folder (timeline.jsonl, lab.json,
** error.txt, the pcaps) read into one JSON object, the data the report
** page draws from. Reading is forgiving: a missing file is a null field, a
** malformed timeline line is counted and skipped, so a scenario that
** erred half-way still gets its page section.
*/
#ifndef VPNLAB_EVIDENCE_H
#define VPNLAB_EVIDENCE_H

#include <stddef.h>

#include <jansson.h>

/*
** {"timeline": [packets and events, in file order, at most max_packets
** packets], "packets_total", "packets_shown", "bad_lines", "lab": lab.json
** or null, "error": error.txt or null, "pcaps": ["wan.pcap", ...] sorted}.
** NULL only when out of memory.
*/
json_t *evidence_load(const char *dir, size_t max_packets);

#endif
