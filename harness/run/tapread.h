/*
** tapread: a run's TAP stream as vpnlab writes it (one subtest per
** scenario, a top-level point closing each, "# results:" / "# backend:" /
** "# timing:" after it, SKIP/TODO directives, YAML diagnostics, "Bail out!",
** the plan), read into a small model: scenarios with their points, the
** lines vpnlab does not write, and the run's own problems. Text stays in
** the input: every piece is a span (offset, length) into tap[0..len),
** never NUL-terminated. Bounds: every read is checked against the length;
** malformed input is classified (a stray line, a truncated scenario, a
** wrong plan), never an error and never a crash. junit.c writes the model
** as JUnit XML.
*/
#ifndef VPNLAB_TAPREAD_H
#define VPNLAB_TAPREAD_H

#include <stddef.h>

struct tapread_span {
	size_t off, len;
};

enum tapread_status { TAPREAD_PASS, TAPREAD_FAIL, TAPREAD_ERROR, TAPREAD_SKIP };

/* A test point, or a case vpnlab made up for a problem that is none of them. */
struct tapread_case {
	struct tapread_span desc;     /* TAP-escaped ("\#"), as in the point */
	struct tapread_span reason;   /* SKIP/TODO reason, or the error's message */
	struct tapread_span yaml;     /* the "---".."..." lines, or len 0 */
	size_t yaml_indent;           /* columns to strip from each YAML line */
	int number, todo;
	enum tapread_status status;
	const char *fixed_name;       /* a case vpnlab made up (not a point), or NULL */
	const char *type;             /* the error's type, or NULL */
	char note[128];               /* a made-up case's message when reason is empty */
};

/* A scenario (or the run itself: tapread_run.runsuite). */
struct tapread_suite {
	struct tapread_span name;
	int name_escaped;             /* from a point's description (TAP-escaped) */
	int stray;                    /* the run's suite: it holds lines vpnlab does not write */
	double seconds;
	struct tapread_span results, backend, timing;
	struct tapread_case *cases;
	size_t ncases, capcases;
	struct tapread_span *out;     /* system-out lines */
	size_t nout, capout;
};

struct tapread_run {
	const char *tap;              /* the input; spans index into it */
	size_t len;
	struct tapread_suite *suites; /* the scenarios, in stream order */
	size_t nsuites;
	struct tapread_suite runsuite;   /* the run's problems and stray lines */
};

/*
** Read tap[0..len) (tap may be NULL: an empty stream) into run, which
** keeps pointing at tap. Returns 0, or -1 when out of memory (run is then
** empty). Free with tapread_free.
*/
int tapread_parse(struct tapread_run *run, const char *tap, size_t len);
/* Frees what tapread_parse allocated; run may be zeroed or NULL. */
void tapread_free(struct tapread_run *run);

#endif
