/*
** tap: a TAP writer (TAP14 content) that Perl's prove accepts. Every line
** goes to the main stream indented four spaces per subtest level, and to the
** optional copy as if this tap were at level 0, so a scenario's own TAP file
** is a complete document. Each call flushes: a run can be killed at any time
** and what was printed must already be on disk.
*/
#include "run/tap.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAP_STACK 512

void tap_init(struct tap *t, FILE *out, int depth)
{
	t->out = out ? out : stdout;
	t->copy = NULL;
	t->depth = depth < 0 ? 0 : depth;
	t->count = 0;
	t->failed = 0;
	t->skipped = 0;
	t->pending[0] = '\0';
}

/*
** printf into stack (n bytes) or, when it does not fit, into malloc'd memory.
** Out of memory gives the truncated text: a test point must still be printed.
*/
static char *tap_vfmt(char *stack, size_t n, const char *fmt, va_list ap)
{
	va_list aq;
	char *heap = NULL;
	int len;

	va_copy(aq, ap);
	len = vsnprintf(stack, n, fmt, ap);
	if (len < 0)
		stack[0] = '\0';
	else if ((size_t)len >= n && (heap = malloc((size_t)len + 1)) != NULL)
		vsnprintf(heap, (size_t)len + 1, fmt, aq);
	va_end(aq);
	return heap ? heap : stack;
}

static void tap_release(char *s, const char *stack)
{
	if (s != stack)
		free(s);
}

/*
** One line made of prefix and len bytes of text: indented on the main stream
** (unless indent is 0, or the line is empty: no trailing blanks), never on
** the copy.
*/
static void tap_put(struct tap *t, int indent, const char *prefix, const char *text,
                    size_t len)
{
	int i;

	if (t->pending[0]) {
		for (i = 0; i < (t->depth - 1) * 4; i++)
			fputc(' ', t->out);
		fprintf(t->out, "# Subtest: %s\n", t->pending);
		t->pending[0] = '\0';
	}

	if (indent && (len > 0 || *prefix))
		for (i = 0; i < t->depth * 4; i++)
			fputc(' ', t->out);
	fputs(prefix, t->out);
	fwrite(text, 1, len, t->out);
	fputc('\n', t->out);
	if (t->copy) {
		fputs(prefix, t->copy);
		fwrite(text, 1, len, t->copy);
		fputc('\n', t->copy);
	}
}

__attribute__((format(printf, 3, 4)))
static void tap_putf(struct tap *t, int indent, const char *fmt, ...)
{
	char stack[TAP_STACK], *s;
	va_list ap;

	va_start(ap, fmt);
	s = tap_vfmt(stack, sizeof stack, fmt, ap);
	va_end(ap);
	tap_put(t, indent, "", s, strlen(s));
	tap_release(s, stack);
}

static void tap_flush(const struct tap *t)
{
	fflush(t->out);
	if (t->copy)
		fflush(t->copy);
}

/*
** Text made safe for one line: newlines become spaces and, when escape_hash
** is set (descriptions), '\' and '#' are escaped as TAP14 says, so that a '#'
** in a description never starts a directive ("# SKIP" would turn a failure
** into a pass). Returns stack or malloc'd memory (truncated if that fails).
*/
static char *tap_clean(const char *s, int escape_hash, char *stack, size_t n)
{
	size_t need = 1, i, j = 0;
	char *out;

	for (i = 0; s[i]; i++)
		need += (escape_hash && (s[i] == '#' || s[i] == '\\')) ? 2 : 1;
	out = need <= n ? stack : malloc(need);
	if (!out) {
		out = stack;
		need = n;
	}
	for (i = 0; s[i] && j + 1 < need; i++) {
		char c = s[i] == '\n' || s[i] == '\r' ? ' ' : s[i];

		if (escape_hash && (c == '#' || c == '\\')) {
			if (j + 2 >= need)
				break;
			out[j++] = '\\';
		}
		out[j++] = c;
	}
	out[j] = '\0';
	return out;
}

void tap_version(struct tap *t)
{
	int saved = errno;

	/*
	 * TAP14 content under the version 13 line: TAP::Parser 3.44 (Debian 12's
	 * prove) fails a file that says "TAP version 14" ("we don't know about
	 * versions later than 13"), and the TAP14 spec lets a harness read a
	 * "TAP version 13" stream as TAP14.
	 */
	tap_put(t, 1, "", "TAP version 13", 14);
	tap_flush(t);
	errno = saved;
}

/* "# " before each line of the text; a final newline adds no empty comment. */
void tap_comment(struct tap *t, const char *fmt, ...)
{
	char stack[TAP_STACK], *text;
	const char *line, *nl;
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	text = tap_vfmt(stack, sizeof stack, fmt, ap);
	va_end(ap);
	line = text;
	do {
		size_t len;

		nl = strchr(line, '\n');
		len = nl ? (size_t)(nl - line) : strlen(line);
		if (len > 0 && line[len - 1] == '\r')
			len--;
		tap_put(t, 1, len ? "# " : "#", line, len);
		line = nl ? nl + 1 : NULL;
	} while (line && *line);
	tap_release(text, stack);
	tap_flush(t);
	errno = saved;
}

/* Whether every non-empty line of diag already carries the two-space YAML indent. */
static int tap_diag_indented(const char *diag)
{
	const char *line = diag;

	while (line && *line) {
		if (*line != '\n' && strncmp(line, "  ", 2) != 0)
			return 0;
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return 1;
}

/*
** The YAML block after a point: "  ---", the body, "  ...". Body lines are
** expected two-space indented (expect.c makes them so); a body that is not
** gets two spaces on every line, which keeps its own nesting. Blank lines are
** dropped: prove's YAMLish reader does not take them.
*/
static void tap_diag(struct tap *t, const char *diag)
{
	const char *pad = tap_diag_indented(diag) ? "" : "  ";
	const char *line = diag, *nl;

	tap_put(t, 1, "", "  ---", 5);
	while (line && *line) {
		size_t len;

		nl = strchr(line, '\n');
		len = nl ? (size_t)(nl - line) : strlen(line);
		if (len > 0 && line[len - 1] == '\r')
			len--;
		if (len > 0)
			tap_put(t, 1, pad, line, len);
		line = nl ? nl + 1 : NULL;
	}
	tap_put(t, 1, "", "  ...", 5);
}

/* Prints one point: "ok N - desc" plus an optional " # SKIP reason". */
static int tap_emit(struct tap *t, int pass, const char *desc, const char *skip)
{
	char dstack[TAP_STACK], rstack[TAP_STACK], *d, *r = NULL;

	t->count++;
	if (!pass)
		t->failed++;
	d = tap_clean(desc, 1, dstack, sizeof dstack);
	if (skip)
		r = tap_clean(skip, 0, rstack, sizeof rstack);
	tap_putf(t, 1, "%sok %d%s%s%s%s%s", pass ? "" : "not ", t->count, *d ? " - " : "", d,
	         skip ? " # SKIP" : "", r && *r ? " " : "", r ? r : "");
	tap_release(d, dstack);
	if (r)
		tap_release(r, rstack);
	return t->count;
}

int tap_point(struct tap *t, int pass, const char *diag, const char *fmt, ...)
{
	char stack[TAP_STACK], *desc;
	int saved = errno, n;
	va_list ap;

	va_start(ap, fmt);
	desc = tap_vfmt(stack, sizeof stack, fmt, ap);
	va_end(ap);
	n = tap_emit(t, pass, desc, NULL);
	tap_release(desc, stack);
	if (diag && *diag)
		tap_diag(t, diag);
	tap_flush(t);
	errno = saved;
	return n;
}

int tap_skip(struct tap *t, const char *reason, const char *fmt, ...)
{
	char stack[TAP_STACK], *desc;
	int saved = errno, n;
	va_list ap;

	va_start(ap, fmt);
	desc = tap_vfmt(stack, sizeof stack, fmt, ap);
	va_end(ap);
	t->skipped++;
	n = tap_emit(t, 1, desc, reason ? reason : "");
	tap_release(desc, stack);
	tap_flush(t);
	errno = saved;
	return n;
}

void tap_plan(struct tap *t)
{
	int saved = errno;

	tap_putf(t, 1, "1..%d", t->count);
	tap_flush(t);
	errno = saved;
}

void tap_plan_skip_all(struct tap *t, const char *reason)
{
	char stack[TAP_STACK], *r = tap_clean(reason ? reason : "", 0, stack, sizeof stack);
	int saved = errno;

	tap_putf(t, 1, "1..0 # SKIP%s%s", *r ? " " : "", r);
	tap_release(r, stack);
	tap_flush(t);
	errno = saved;
}

/* Printed with t's indentation: pass the child's tap for Test::More's layout. */
void tap_subtest_header(struct tap *t, const char *name)
{
	char stack[TAP_STACK], *n = tap_clean(name ? name : "", 0, stack, sizeof stack);
	int saved = errno;

	tap_putf(t, 1, "# Subtest%s%s", *n ? ": " : "", n);
	tap_release(n, stack);
	tap_flush(t);
	errno = saved;
}

void tap_subtest_defer(struct tap *sub, const char *name)
{
	char stack[TAP_STACK], *n = tap_clean(name ? name : "", 0, stack, sizeof stack);

	snprintf(sub->pending, sizeof(sub->pending), "%s", n);
	tap_release(n, stack);
}

/* Always at column 0: prove stops the whole run on it, from any depth. */
void tap_bail_out(struct tap *t, const char *fmt, ...)
{
	char stack[TAP_STACK], rstack[TAP_STACK], *text, *r;
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	text = tap_vfmt(stack, sizeof stack, fmt, ap);
	va_end(ap);
	r = tap_clean(text, 0, rstack, sizeof rstack);
	tap_putf(t, 0, "Bail out!%s%s", *r ? " " : "", r);
	tap_release(r, rstack);
	tap_release(text, stack);
	tap_flush(t);
	errno = saved;
}

void tap_yaml_kv(char *buf, size_t len, const char *key, const char *value)
{
	size_t n = strlen(buf);
	const unsigned char *p = (const unsigned char *)value;

	/* Room for the closing quote and newline is kept back while escaping. */
	if (n + strlen(key) + 8 > len)
		return;
	n += (size_t)snprintf(buf + n, len - n, "  %s: \"", key);
	for (; *p && n + 8 < len; p++) {
		if (*p == '"' || *p == '\\')
			n += (size_t)snprintf(buf + n, len - n, "\\%c", *p);
		else if (*p == '\n')
			n += (size_t)snprintf(buf + n, len - n, "\\n");
		else if (*p < 0x20 || *p == 0x7f)
			n += (size_t)snprintf(buf + n, len - n, "\\x%02x", *p);
		else
			buf[n++] = (char)*p;
	}
	snprintf(buf + n, len - n, "\"\n");
}
