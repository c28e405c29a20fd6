/*
** triage.c: `vpnlab triage FILE.pcap [--json]`. Reads a capture
** (wire/pcapfile.c), runs the checklist (wire/triage.c) and prints each
** finding: its name, a one-line title, the frames that show it (link#frame,
** as Wireshark numbers them in that link's file) and a hint. Exit 0 with no
** finding, 1 with any, 2 on bad input.
*/
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "wire/pcapfile.h"
#include "wire/timeline.h"
#include "wire/triage.h"

static int usage(void)
{
	fprintf(stderr, "usage: vpnlab triage FILE.pcap [--json]\n"
	        "  the VPN troubleshooting checklist read off a capture (pcap or pcapng): each finding\n"
	        "  with its name, what was seen, the frames that show it and what to check.\n"
	        "  --json   one JSON object: {\"file\", \"packets\", \"links\", \"findings\": [...]}\n"
	        "Exit status: 0 no finding, 1 a finding, 2 bad input.\n");
	return 2;
}

static void print_text(const struct triage_report *r, char **names, size_t nlinks)
{
	if (r->n == 0) {
		printf("no finding\n");
		return;
	}
	for (size_t i = 0; i < r->n; i++) {
		const struct triage_finding *f = &r->f[i];
		printf("%s: %s\n  frames:", f->name, f->title);
		for (size_t j = 0; j < f->nframes; j++) {
			int li = f->frames[j].link;
			printf(" %s#%u", li >= 0 && (size_t)li < nlinks ? names[li] : "?", f->frames[j].frame);
		}
		printf("\n  hint: %s\n", f->hint);
	}
}

static void print_json(const struct triage_report *r, const char *path, size_t npackets,
                       char **names, size_t nlinks)
{
	fputs("{\"file\":", stdout);
	timeline_json_string(stdout, path);
	printf(",\"packets\":%zu,\"links\":[", npackets);
	for (size_t i = 0; i < nlinks; i++) {
		fputs(i ? "," : "", stdout);
		timeline_json_string(stdout, names[i]);
	}
	fputs("],\"findings\":[", stdout);
	for (size_t i = 0; i < r->n; i++) {
		const struct triage_finding *f = &r->f[i];
		fputs(i ? ",{\"name\":" : "{\"name\":", stdout);
		timeline_json_string(stdout, f->name);
		fputs(",\"title\":", stdout);
		timeline_json_string(stdout, f->title);
		printf(",\"t\":%.6f,\"link\":", f->t);
		timeline_json_string(stdout, (size_t)f->link < nlinks ? names[f->link] : "?");
		fputs(",\"frames\":[", stdout);
		for (size_t j = 0; j < f->nframes; j++) {
			int li = f->frames[j].link;
			fputs(j ? ",{\"link\":" : "{\"link\":", stdout);
			timeline_json_string(stdout, li >= 0 && (size_t)li < nlinks ? names[li] : "?");
			printf(",\"frame\":%u}", f->frames[j].frame);
		}
		fputs("],\"hint\":", stdout);
		timeline_json_string(stdout, f->hint);
		fputs("}", stdout);
	}
	fputs("]}\n", stdout);
}

int cmd_triage(int argc, char **argv)
{
	const char *path = NULL;
	int json = 0, truncated = 0, status;
	char err[1024] = "";
	char **names = NULL;
	size_t nlinks = 0;
	struct timeline tl;
	struct triage_report rep;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return usage();
		else if (argv[i][0] == '-' && argv[i][1] != '\0')
			return fprintf(stderr, "vpnlab triage: unknown option '%s'\n", argv[i]), usage();
		else if (path != NULL)
			return fprintf(stderr, "vpnlab triage: one capture file at a time\n"), usage();
		else
			path = argv[i];
	}
	if (path == NULL)
		return usage();

	timeline_init(&tl);
	if (pcapfile_load(path, &tl, &names, &nlinks, &truncated, err, sizeof(err)) < 0) {
		/* The reader's message does not always name the file. */
		fprintf(stderr, "vpnlab triage: %s%s%s\n", strstr(err, path) ? "" : path,
		        strstr(err, path) ? "" : ": ", err);
		timeline_free(&tl);
		return 2;
	}
	if (truncated)
		fprintf(stderr, "vpnlab triage: warning: %s (triaging the frames before the cut)\n", err);
	if (triage_run(&tl, nlinks, &rep) < 0) {
		fprintf(stderr, "vpnlab triage: out of memory\n");
		status = 2;
	} else {
		if (json)
			print_json(&rep, path, tl.n, names, nlinks);
		else
			print_text(&rep, names, nlinks);
		status = rep.n > 0 ? 1 : 0;
	}
	fflush(stdout);
	triage_report_free(&rep);
	timeline_free(&tl);
	pcapfile_free_names(names, nlinks);
	return status;
}
