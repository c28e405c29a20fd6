/*
** progress.c: see progress.h. It reads the TAP it is shown the way prove
** would: "# Subtest: name" at the left margin starts scenario n; a test
** point at the left margin ends it (or is a scenario of its own when no
** subtest came first: a SKIP, the VM's "did not report"); indented points
** belong to the current scenario. Lines are sanitised before they reach the
** terminal: a scenario's description must not move the cursor or recolour it.
** A status line needs stdout elsewhere: when the TAP itself goes to the
** same terminal (a plain `vpnlab run x.lua`), each of its lines would be
** written after the status text, so LINE mode stays silent there (as curl
** drops its progress meter when its output is the terminal).
*/
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "run/progress.h"

#define PROGRESS_TEXT 1024       /* longer lines are cut: this is a glance, stdout has it all */
#define PROGRESS_DEFAULT_WIDTH 80

struct progress {
	FILE *err;
	enum progress_mode mode;
	int total;
	int n;                       /* the scenario being run, from 1 */
	int in_subtest;              /* a "# Subtest:" came and its result line not yet */
	int drawn;                   /* a status line is on the terminal now */
	char name[PROGRESS_TEXT];    /* the current scenario */
};

/* Whether err is the terminal stdout writes to. */
static int shares_terminal_with_stdout(FILE *err)
{
	struct stat e, o;
	int fd = fileno(err);
	return fd >= 0 && isatty(fd) && fstat(fd, &e) == 0 && fstat(STDOUT_FILENO, &o) == 0 &&
	       S_ISCHR(o.st_mode) && e.st_rdev == o.st_rdev;
}

struct progress *progress_open(FILE *err, enum progress_mode mode, int total)
{
	struct progress *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->err = err;
	p->mode = mode == PROGRESS_LINE && shares_terminal_with_stdout(err) ? PROGRESS_OFF : mode;
	p->total = total;
	return p;
}

/* The terminal's columns (TIOCGWINSZ on err's fd); 80 when err is not a terminal. */
static int term_width(FILE *err)
{
	struct winsize ws;
	int fd = fileno(err);
	if (fd >= 0 && ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return PROGRESS_DEFAULT_WIDTH;
}

/*
** At most max columns of s: a column per UTF-8 character (wide characters
** are rare in scenario names), never cutting one in two.
*/
static size_t fit_columns(const char *s, int max)
{
	size_t i = 0;
	int cols = 0;
	while (s[i] != '\0') {
		if (((unsigned char)s[i] & 0xc0) != 0x80) {   /* a character starts here */
			if (cols == max)
				break;
			cols++;
		}
		i++;
	}
	return i;
}

/* Redraw the status line: \r, the text cut one column short of the width (no wrap), clear the rest. */
static void draw_status(struct progress *p, const char *text)
{
	int width = term_width(p->err);
	size_t len = fit_columns(text, width > 1 ? width - 1 : 1);
	fprintf(p->err, "\r%.*s\033[K", (int)len, text);
	fflush(p->err);
	p->drawn = 1;
}

/* A line that stays: over the status line in LINE mode, plain in VERBOSE. */
static void print_kept(struct progress *p, const char *text)
{
	if (p->mode == PROGRESS_LINE)
		fprintf(p->err, "\r%s\033[K\n", text);
	else
		fprintf(p->err, "%s\n", text);
	fflush(p->err);
	p->drawn = 0;
}

/* "[n/N] " before a scenario's lines; n never shows past N (the VM's extra error point). */
static void counter(const struct progress *p, char *out, size_t len)
{
	int n = p->n > p->total && p->total > 0 ? p->total : p->n;
	snprintf(out, len, "[%d/%d]", n, p->total);
}

/* "ok ..." or "not ok ..." (after the indentation); 1 for a failure, 0 a pass, -1 not a point. */
static int point_failed(const char *s)
{
	if (strncmp(s, "ok", 2) == 0 && (s[2] == ' ' || s[2] == '\0'))
		return 0;
	if (strncmp(s, "not ok", 6) == 0 && (s[6] == ' ' || s[6] == '\0'))
		return strstr(s, " # TODO") == NULL && strstr(s, " # todo") == NULL;
	return -1;
}

static void on_subtest(struct progress *p, const char *name)
{
	char head[32], text[PROGRESS_TEXT + 40];

	p->n++;
	p->in_subtest = 1;
	snprintf(p->name, sizeof(p->name), "%s", name);
	counter(p, head, sizeof(head));
	snprintf(text, sizeof(text), "%s %s", head, p->name);
	if (p->mode == PROGRESS_LINE)
		draw_status(p, text);
	else
		print_kept(p, text);
}

/* A point at the left margin: the scenario's result line, or a scenario that had no subtest. */
static void on_result(struct progress *p, const char *line, int failed)
{
	char head[32], text[PROGRESS_TEXT + 40];

	if (!p->in_subtest)
		p->n++;
	p->in_subtest = 0;
	counter(p, head, sizeof(head));
	snprintf(text, sizeof(text), "%s %s", head, line);
	if (p->mode == PROGRESS_VERBOSE || failed)
		print_kept(p, text);
	else
		draw_status(p, text);
}

/* An indented point: the current scenario's latest. */
static void on_point(struct progress *p, const char *point, int failed)
{
	char head[32], text[2 * PROGRESS_TEXT + 40];

	counter(p, head, sizeof(head));
	if (p->mode == PROGRESS_VERBOSE) {
		snprintf(text, sizeof(text), "    %s", point);
		print_kept(p, text);
		return;
	}
	snprintf(text, sizeof(text), "%s %s: %s", head, p->name, point);
	if (failed)
		print_kept(p, text);
	else
		draw_status(p, text);
}

/* A comment at the left margin: the VM booting, and (verbose) each scenario's results folder. */
static void on_comment(struct progress *p, const char *comment)
{
	char text[PROGRESS_TEXT + 40];
	const char *boot;

	if (strncmp(comment, "vm: ", 4) == 0 && (boot = strstr(comment, "booting ")) != NULL) {
		snprintf(text, sizeof(text), "[vm] %s...", boot);
		if (p->mode == PROGRESS_LINE)
			draw_status(p, text);
		else
			print_kept(p, text);
	} else if (p->mode == PROGRESS_VERBOSE && strncmp(comment, "results: ", 9) == 0) {
		snprintf(text, sizeof(text), "    %s", comment);
		print_kept(p, text);
	}
}

/* One line, NUL-terminated and sanitised. */
static void take(struct progress *p, const char *line)
{
	size_t indent = strspn(line, " ");
	const char *s = line + indent;
	int failed = point_failed(s);

	if (indent == 0 && strncmp(s, "# Subtest: ", 11) == 0)
		on_subtest(p, s + 11);
	else if (indent == 0 && failed >= 0)
		on_result(p, s, failed);
	else if (indent == 0 && strncmp(s, "# ", 2) == 0)
		on_comment(p, s + 2);
	else if (indent == 0 && strncmp(s, "Bail out!", 9) == 0)
		print_kept(p, s);
	else if (indent > 0 && failed >= 0 && p->in_subtest)
		on_point(p, s, failed);
	/* plans, YAML diagnostics, the version line and other comments: nothing to show */
}

/*
** Copy a line into text: control characters (escape sequences, a stray \r,
** a NUL) become '?', tabs spaces; a trailing \r is dropped, and so is
** what does not fit.
*/
static void sanitise(char *text, size_t cap, const char *line, size_t len)
{
	size_t j = 0;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	for (size_t i = 0; i < len && j + 1 < cap; i++) {
		unsigned char c = (unsigned char)line[i];
		text[j++] = c == '\t' ? ' ' : (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	text[j] = '\0';
}

void progress_line(struct progress *p, const char *line, size_t len)
{
	char text[PROGRESS_TEXT];
	const char *nl;

	if (p == NULL || p->mode == PROGRESS_OFF || line == NULL)
		return;
	/* Whole lines are promised; should several come at once, each is taken on its own. */
	while ((nl = memchr(line, '\n', len)) != NULL) {
		size_t n = (size_t)(nl - line);
		sanitise(text, sizeof(text), line, n);
		take(p, text);
		line += n + 1;
		len -= n + 1;
	}
	if (len > 0) {
		sanitise(text, sizeof(text), line, len);
		take(p, text);
	}
}

void progress_close(struct progress *p)
{
	if (p == NULL)
		return;
	if (p->mode == PROGRESS_LINE && p->drawn) {
		fputs("\r\033[K", p->err);
		fflush(p->err);
	}
	free(p);
}
