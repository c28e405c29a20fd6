/*
** triage: the troubleshooting checklist VPN admins go through, read off a
** timeline of decoded packets. Each rule looks for one known failure's
** signature on the wire and, when it is there, becomes a finding: a stable
** name, a one-line title with the specifics (addresses, SPIs, counts), a
** hint saying what to check, and the frames (link + frame number) that
** show it. Pure analysis: the timeline in, findings out, no I/O.
**
** Every rule looks at one link at a time (the same packet captured before
** and after a NAT would otherwise count twice). The thresholds below are
** what "no answer" and "stopped" mean; a capture that ends too soon after a
** request to tell is given the benefit of the doubt (no finding).
*/
#ifndef VPNLAB_TRIAGE_H
#define VPNLAB_TRIAGE_H

#include <stddef.h>
#include <stdint.h>

#include "wire/timeline.h"

/*
** A request is unanswered when nothing answers it by the end of the
** capture, and the capture shows it was given a chance: it was sent at
** least twice (a retransmit), or the capture goes on at least this long
** after its last send.
*/
#define TRIAGE_ANSWER_WAIT 2.0
/* esp-one-way: at least this many ESP packets one way, none the other. */
#define TRIAGE_ESP_ONE_WAY_MIN 3
/*
** nat-mapping-expired: the NATed side silent at least this long (UDP
** mappings of the NATs in the bundled labs live 3 s; real ones 30 s to
** minutes, so a gap this short only counts with what follows it), then at
** least TRIAGE_MAPPING_UNANSWERED packets from the peer to its old mapping
** with nothing back from it.
*/
#define TRIAGE_MAPPING_SILENCE 2.0
#define TRIAGE_MAPPING_UNANSWERED 2
/* Frames cited per finding at most (the title says how many there were). */
#define TRIAGE_MAX_FRAMES 12

struct triage_frame {
	int link;
	uint32_t frame;
};

struct triage_finding {
	const char *name;          /* stable id: "ike-no-response", ... (static) */
	const char *hint;          /* what to check (static) */
	char title[256];           /* one line, with the specifics */
	int link;                  /* the link it was read on */
	double t;                  /* when it started (the first cited frame's time) */
	struct triage_frame frames[TRIAGE_MAX_FRAMES];
	size_t nframes;
};

struct triage_report {
	struct triage_finding *f;  /* in the order of t, then rule */
	size_t n, cap;
};

/*
** Run every rule over tl (nlinks links, indices 0..nlinks-1). 0, or -1 when
** memory ran out (the report holds what was found so far).
*/
int triage_run(const struct timeline *tl, size_t nlinks, struct triage_report *out);
void triage_report_free(struct triage_report *r);

/*
** The IKEv2 NAT detection hash (RFC 7296 2.23): SHA-1 over SPIi, SPIr, the
** IPv4 address and the port (network byte order), into out[20]. The
** request's SPIr is zero. Exposed for the unit tests.
*/
void triage_natd_hash(uint64_t ispi, uint64_t rspi, uint32_t addr, uint16_t port, uint8_t out[20]);

/* Every rule's name, NULL-terminated (for --help and the tests). */
extern const char *const triage_rule_names[];

#endif
