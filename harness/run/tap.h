/*
** tap: a TAP version 14 writer. Test points, YAML diagnostics, comments,
** subtests (indented four spaces per level), plans, SKIP and Bail out!.
** Output is line-buffered stdout by default; a second copy can go to a file
** (each scenario keeps its own TAP in the results folder).
*/
#ifndef VPNLAB_TAP_H
#define VPNLAB_TAP_H

#include <stdio.h>

struct tap {
	FILE *out;          /* main stream */
	FILE *copy;         /* optional second stream (no indentation applied), may be NULL */
	int depth;          /* subtest nesting level */
	int count;          /* test points at this level */
	int failed;
	int skipped;
	char pending[512];  /* a subtest header printed before this tap's first line, or "" */
};

void tap_init(struct tap *t, FILE *out, int depth);
void tap_version(struct tap *t);  /* "TAP version 13": Debian 12's prove fails a "14" line */
void tap_comment(struct tap *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* One test point; returns its number. diag (YAML body, may be NULL) is printed after it. */
int tap_point(struct tap *t, int pass, const char *diag, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int tap_skip(struct tap *t, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void tap_plan(struct tap *t);                                /* "1..count" */
void tap_plan_skip_all(struct tap *t, const char *reason);   /* "1..0 # SKIP reason" */
void tap_subtest_header(struct tap *t, const char *name);    /* "# Subtest: name" at this depth */
/*
** The header of the subtest that sub is, printed (one level out) just before
** sub's first line: a subtest that never prints leaves no trace. The runner
** uses it for scenarios it hands over to another backend before they start.
*/
void tap_subtest_defer(struct tap *sub, const char *name);
/*
** Append `  key: "value"` and a newline to buf (a NUL-terminated string of
** capacity len), escaping value as a YAML double-quoted scalar; truncates
** without breaking the quoting.
*/
void tap_yaml_kv(char *buf, size_t len, const char *key, const char *value);
void tap_bail_out(struct tap *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
