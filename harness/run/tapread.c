/*
** tapread.c: see tapread.h. The text is read line by line (a line ends at
** "\n", a trailing "\r" is dropped); each line is classified by where it
** stands (a YAML block being read, four or more columns in: the open
** subtest's, else the top level) and by its first characters:
**
**   # Subtest: FILE                    opens a scenario
**       ok N - desc [# SKIP|TODO why]   one of its points, maybe followed
**         ---  (YAML)  ...              by a YAML block two columns in
**       1..N
**   ok N - FILE (summary)              closes it
**   # results: / backend: / timing:    about it
**   ok N - FILE # SKIP why             a point without a subtest: a skipped
**   not ok N - vm backend: ...         scenario, or the VM's own failure
**   Bail out! why
**   1..N
**
** Anything else is kept as system-out of the scenario it appeared in (or of
** the run). The run's suite gets cases only for the run's own problems: a
** Bail out!, a stream without (or with a wrong) plan.
*/
#include "run/tapread.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The reader's state; the model it fills is run. */
struct reader {
	const char *tap;
	size_t len;
	struct tapread_run run;
	size_t capsuites;
	long open, last;          /* suite being read / last closed (for its "# results:"), -1 if none */
	struct tapread_case *yaml_case;   /* a YAML block being read belongs to it */
	size_t yaml_indent;
	long plan;                /* top-level plan, -1 if none */
	long points;              /* top-level points */
	int bailed;
};

static const struct tapread_span no_span;   /* no text */

/* ---- spans ------------------------------------------------------------- */

static struct tapread_span span_sub(struct tapread_span s, size_t from, size_t n)
{
	struct tapread_span r = { s.off + (from < s.len ? from : s.len), 0 };
	r.len = from < s.len ? (n < s.len - from ? n : s.len - from) : 0;
	return r;
}

static int span_starts(const struct reader *r, struct tapread_span s, const char *lit)
{
	size_t n = strlen(lit);
	return s.len >= n && memcmp(r->tap + s.off, lit, n) == 0;
}

static int span_is(const struct reader *r, struct tapread_span s, const char *lit)
{
	return s.len == strlen(lit) && span_starts(r, s, lit);
}

static struct tapread_span span_trim(const struct reader *r, struct tapread_span s)
{
	while (s.len > 0 && r->tap[s.off] == ' ')
		s.off++, s.len--;
	while (s.len > 0 && r->tap[s.off + s.len - 1] == ' ')
		s.len--;
	return s;
}

static size_t span_indent(const struct reader *r, struct tapread_span s)
{
	size_t i = 0;
	while (i < s.len && r->tap[s.off + i] == ' ')
		i++;
	return i;
}

/* ---- growing arrays ---------------------------------------------------- */

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
	size_t want = *cap ? *cap * 2 : 8;
	void *p;

	if (n < *cap)
		return 0;
	if (want > SIZE_MAX / size)
		return -1;
	if ((p = realloc(*v, want * size)) == NULL)
		return -1;
	*v = p;
	*cap = want;
	return 0;
}

static struct tapread_case *suite_add_case(struct tapread_suite *s)
{
	struct tapread_case *c;

	if (grow((void **)&s->cases, &s->capcases, s->ncases, sizeof(*c)) < 0)
		return NULL;
	c = &s->cases[s->ncases++];
	memset(c, 0, sizeof(*c));
	return c;
}

static int suite_add_out(struct tapread_suite *s, struct tapread_span line)
{
	if (grow((void **)&s->out, &s->capout, s->nout, sizeof(line)) < 0)
		return -1;
	s->out[s->nout++] = line;
	return 0;
}

static struct tapread_suite *reader_new_suite(struct reader *r)
{
	struct tapread_suite *s;

	if (grow((void **)&r->run.suites, &r->capsuites, r->run.nsuites, sizeof(*s)) < 0)
		return NULL;
	s = &r->run.suites[r->run.nsuites++];
	memset(s, 0, sizeof(*s));
	return s;
}

/* A case vpnlab adds itself: an error that is none of the points. */
static int suite_add_error(struct tapread_suite *s, const char *name, const char *type,
                           struct tapread_span reason, const char *note)
{
	struct tapread_case *c = suite_add_case(s);

	if (c == NULL)
		return -1;
	c->fixed_name = name;
	c->type = type;
	c->status = TAPREAD_ERROR;
	c->reason = reason;
	snprintf(c->note, sizeof(c->note), "%s", note);
	return 0;
}

/* ---- reading a point --------------------------------------------------- */

struct point {
	int ok, number, todo, skip;
	struct tapread_span desc, reason;
};

/* "SKIP"/"TODO" (any case, "skipped" too) right after an unescaped '#'. */
static int point_directive(const struct reader *r, struct tapread_span rest, struct point *p)
{
	size_t i = span_indent(r, rest), w;
	const char *word = r->tap + rest.off + i;

	if (rest.len - i < 4)
		return 0;
	if (strncasecmp(word, "skip", 4) == 0)
		p->skip = 1;
	else if (strncasecmp(word, "todo", 4) == 0)
		p->todo = 1;
	else
		return 0;
	for (w = i; w < rest.len && r->tap[rest.off + w] != ' '; w++)
		;
	p->reason = span_trim(r, span_sub(rest, w, rest.len));
	return 1;
}

/* "ok", "not ok", then optional number, optional "-", description, directive. */
static int point_parse(const struct reader *r, struct tapread_span s, struct point *p)
{
	size_t i;

	memset(p, 0, sizeof(*p));
	if (span_starts(r, s, "not ok"))
		i = 6;
	else if (span_starts(r, s, "ok"))
		i = 2, p->ok = 1;
	else
		return 0;
	if (i < s.len && r->tap[s.off + i] != ' ')
		return 0;                       /* "okay": not a point */
	while (i < s.len && r->tap[s.off + i] == ' ')
		i++;
	for (; i < s.len && r->tap[s.off + i] >= '0' && r->tap[s.off + i] <= '9'; i++)
		if (p->number < 100000000)
			p->number = p->number * 10 + (r->tap[s.off + i] - '0');
	while (i < s.len && r->tap[s.off + i] == ' ')
		i++;
	if (i < s.len && r->tap[s.off + i] == '-')
		i++;
	s = span_sub(s, i, s.len);
	for (i = 0; i < s.len; i++) {
		if (r->tap[s.off + i] == '\\')
			i++;                        /* "\#" and "\\": escaped, skip both */
		else if (r->tap[s.off + i] == '#' && point_directive(r, span_sub(s, i + 1, s.len), p))
			break;
	}
	p->desc = span_trim(r, span_sub(s, 0, i));
	return 1;
}

/* ---- the reader -------------------------------------------------------- */

static struct tapread_suite *reader_open(struct reader *r)
{
	return r->open >= 0 ? &r->run.suites[r->open] : NULL;
}

/* A subtest point: one case; a YAML block may follow, indent + 2 in. */
static int read_sub_point(struct reader *r, struct tapread_suite *s,
                          const struct point *p, size_t indent)
{
	struct tapread_case *c = suite_add_case(s);

	if (c == NULL)
		return -1;
	c->desc = p->desc;
	c->number = p->number;
	c->reason = p->reason;
	c->todo = p->todo;
	c->status = p->skip ? TAPREAD_SKIP : p->todo ? (p->ok ? TAPREAD_PASS : TAPREAD_SKIP) : p->ok ? TAPREAD_PASS : TAPREAD_FAIL;
	r->yaml_case = c;
	r->yaml_indent = indent + 2;
	return 0;
}

/* How runner.c's report_end names the point that says a scenario did not run to its end. */
static const char *end_type(const struct reader *r, struct tapread_span desc)
{
	if (span_is(r, desc, "scenario error"))
		return "scenario error";
	if (span_is(r, desc, "time limit"))
		return "time limit";
	if (span_is(r, desc, "interrupted"))
		return "interrupted";
	if (span_is(r, desc, "the scenario ran at least one test point"))
		return "no test points";
	return NULL;
}

/* "FILE (summary)" -> the summary, by matching parentheses from the end. */
static struct tapread_span summary_of(const struct reader *r, struct tapread_span desc,
                                      struct tapread_span *name)
{
	size_t i = desc.len;
	int depth = 0;

	*name = desc;
	if (desc.len == 0 || r->tap[desc.off + desc.len - 1] != ')')
		return span_sub(desc, desc.len, 0);
	while (i-- > 0) {
		char ch = r->tap[desc.off + i];
		depth += ch == ')' ? 1 : ch == '(' ? -1 : 0;
		if (depth == 0)
			break;
	}
	if (depth != 0 || i == 0 || r->tap[desc.off + i - 1] != ' ')
		return span_sub(desc, desc.len, 0);
	*name = span_trim(r, span_sub(desc, 0, i));
	return span_sub(desc, i + 1, desc.len - i - 2);
}

/* "3 passed, 0 failed, 1.41 s": a scenario that ran to its end; seconds from it. */
static int summary_ran(const struct reader *r, struct tapread_span sum, double *seconds)
{
	char num[32];
	size_t i = sum.len, n;

	if (sum.len == 0 || r->tap[sum.off] < '0' || r->tap[sum.off] > '9')
		return 0;
	if (sum.len < 2 || !span_is(r, span_sub(sum, sum.len - 2, 2), " s"))
		return 1;
	for (i = sum.len - 2; i > 0 && r->tap[sum.off + i - 1] != ' '; i--)
		;
	n = sum.len - 2 - i;
	if (n == 0 || n >= sizeof(num))
		return 1;
	memcpy(num, r->tap + sum.off + i, n);
	num[n] = '\0';
	if (strspn(num, "0123456789.") == n)
		*seconds = strtod(num, NULL);
	return 1;
}

/*
** The summary of a scenario's top-level point "FILE (summary)": after the
** header's file name when the point repeats it, else by matching
** parentheses from the end. name gets the file.
*/
static struct tapread_span top_summary(const struct reader *r, const struct tapread_suite *s,
                               struct tapread_span desc, struct tapread_span *name)
{
	struct tapread_span n = s->name;

	if (n.len > 0 && !s->name_escaped && desc.len > n.len + 3 &&
	    memcmp(r->tap + desc.off, r->tap + n.off, n.len) == 0 &&
	    span_starts(r, span_sub(desc, n.len, 2), " (") && r->tap[desc.off + desc.len - 1] == ')') {
		*name = span_sub(desc, 0, n.len);
		return span_sub(desc, n.len + 2, desc.len - n.len - 3);
	}
	return summary_of(r, desc, name);
}

/* A point alone at the top (a skipped scenario, the VM's "did not report"): one case. */
static int suite_of_point(struct reader *r, struct tapread_suite *s, const struct point *p)
{
	struct tapread_case *c = suite_add_case(s);

	if (c == NULL)
		return -1;
	c->desc = p->desc;
	c->number = p->number;
	c->reason = p->reason;
	c->todo = p->todo;
	if (p->skip || (p->todo && !p->ok)) {
		c->status = TAPREAD_SKIP;
	} else if (!p->ok) {
		c->status = TAPREAD_ERROR;        /* the runner's own failure: nothing was asserted */
		c->type = "error";
		c->reason = p->desc;
		r->yaml_case = c;
		r->yaml_indent = 2;
	}
	return 0;
}

/*
** A scenario's verdict from its top-level point: an end that was not a run
** to the end makes its last point an error; a failing scenario whose points
** all passed (never from vpnlab) gets an error so it cannot read as a pass.
*/
static int suite_close(struct reader *r, struct tapread_suite *s, const struct point *p)
{
	struct tapread_span name, sum = top_summary(r, s, p->desc, &name);
	struct tapread_case *last = s->ncases ? &s->cases[s->ncases - 1] : NULL;
	int ran = summary_ran(r, sum, &s->seconds), bad = 0;

	if (s->ncases == 0) {
		s->name = ran ? name : p->desc;   /* "vm backend: ..." keeps its parentheses */
		s->name_escaped = 1;
		return suite_of_point(r, s, p);
	}
	if (s->name.len == 0) {
		s->name = name;
		s->name_escaped = 1;
	}
	if (last->status == TAPREAD_FAIL && (end_type(r, last->desc) || (!p->ok && !ran))) {
		last->status = TAPREAD_ERROR;
		last->type = end_type(r, last->desc) ? end_type(r, last->desc) : "error";
		last->reason = sum.len ? sum : last->desc;
	}
	for (size_t i = 0; i < s->ncases; i++)
		bad |= s->cases[i].status == TAPREAD_FAIL || s->cases[i].status == TAPREAD_ERROR;
	if (p->ok || bad || p->todo)
		return 0;
	if (suite_add_error(s, NULL, "error", p->desc, "") < 0)
		return -1;
	s->cases[s->ncases - 1].desc = name;
	r->yaml_case = &s->cases[s->ncases - 1];
	r->yaml_indent = 2;
	return 0;
}

static int read_top_point(struct reader *r, const struct point *p)
{
	struct tapread_suite *s = reader_open(r);

	r->points++;
	if (s == NULL && (s = reader_new_suite(r)) == NULL)
		return -1;
	r->open = -1;
	r->last = s - r->run.suites;
	return suite_close(r, s, p);
}

/* A line vpnlab does not write: system-out of the open scenario, or of the run. */
static int keep_line(struct reader *r, struct tapread_span line)
{
	struct tapread_suite *s = reader_open(r);

	if (s == NULL)
		r->run.runsuite.stray = 1;
	return suite_add_out(s ? s : &r->run.runsuite, line);
}

/* "# results: DIR" and friends after a scenario's point belong to it. */
static int read_top_comment(struct reader *r, struct tapread_span line)
{
	struct tapread_suite *s = r->last >= 0 && r->open < 0 ? &r->run.suites[r->last] : NULL;
	struct tapread_span text = span_sub(line, 2, line.len);

	if (s && span_starts(r, text, "results: "))
		s->results = span_sub(text, 9, text.len);
	else if (s && span_starts(r, text, "backend: "))
		s->backend = span_sub(text, 9, text.len);
	else if (s && span_starts(r, text, "timing: "))
		s->timing = span_sub(text, 8, text.len);
	else
		return suite_add_out(&r->run.runsuite, line);
	return 0;
}

static int read_bail_out(struct reader *r, struct tapread_span line)
{
	struct tapread_suite *s = reader_open(r);
	struct tapread_span reason = span_trim(r, span_sub(line, 9, line.len));

	r->bailed = 1;
	if (s == NULL)
		return suite_add_error(&r->run.runsuite, "Bail out!", "bail out", reason, "Bail out!");
	r->open = -1;
	return suite_add_error(s, "Bail out!", "bail out", reason, "Bail out!");
}

/* A line indented four or more: the open subtest's (one is opened for a headerless one). */
static int read_sub_line(struct reader *r, struct tapread_span line, size_t indent)
{
	struct tapread_suite *s = reader_open(r);
	struct tapread_span in = span_sub(line, 4, line.len);
	struct point p;

	if (s == NULL) {
		if ((s = reader_new_suite(r)) == NULL)
			return -1;
		r->open = s - r->run.suites;
	}
	if (indent == 4 && point_parse(r, in, &p))
		return read_sub_point(r, s, &p, indent);
	if (indent == 4 && span_starts(r, in, "1.."))
		return 0;
	return suite_add_out(s, indent == 4 && span_starts(r, in, "# ") ? span_sub(in, 2, in.len) : in);
}

static int read_subtest_header(struct reader *r, struct tapread_span line)
{
	struct tapread_suite *s = reader_open(r);

	if (s != NULL && suite_add_error(s, "the scenario's end", "truncated", no_span,
	                                 "the scenario's subtest ended without its result line") < 0)
		return -1;
	if ((s = reader_new_suite(r)) == NULL)
		return -1;
	s->name = span_trim(r, span_sub(line, 10, line.len));
	r->open = s - r->run.suites;
	r->last = -1;
	return 0;
}

static int read_top_line(struct reader *r, struct tapread_span line)
{
	struct point p;

	if (r->bailed)
		return keep_line(r, line);
	if (span_starts(r, line, "Bail out!"))
		return read_bail_out(r, line);
	if (span_starts(r, line, "# Subtest:"))
		return read_subtest_header(r, line);
	if (span_starts(r, line, "# "))
		return read_top_comment(r, line);
	if (point_parse(r, line, &p))
		return read_top_point(r, &p);
	if (span_starts(r, line, "1..")) {
		r->plan = 0;
		for (size_t i = 3; i < line.len && r->tap[line.off + i] >= '0' &&
		     r->tap[line.off + i] <= '9' && r->plan < 100000000; i++)
			r->plan = r->plan * 10 + (r->tap[line.off + i] - '0');
		return 0;
	}
	if (line.len == 0 || span_starts(r, line, "TAP version "))
		return 0;
	return keep_line(r, line);
}

/* Inside a YAML block: its lines are indented at least as far as its "---". */
static int read_yaml_line(struct reader *r, struct tapread_span line)
{
	struct tapread_case *c = r->yaml_case;
	size_t indent = span_indent(r, line);
	struct tapread_span body = span_trim(r, line);

	if (c->yaml.len == 0) {
		if (indent != r->yaml_indent || !span_is(r, body, "---"))
			return 0;
		c->yaml = line;
		c->yaml_indent = indent;
		return 1;
	}
	if (indent < r->yaml_indent && line.len > 0)
		return 0;
	c->yaml.len = line.off + line.len - c->yaml.off;
	if (indent == r->yaml_indent && span_is(r, body, "..."))
		r->yaml_case = NULL;
	return 1;
}

static int read_line(struct reader *r, struct tapread_span line)
{
	size_t indent = span_indent(r, line);

	if (r->yaml_case) {
		if (read_yaml_line(r, line))
			return 0;
		r->yaml_case = NULL;
	}
	if (!r->bailed && indent >= 4 && (r->open >= 0 || indent == 4))
		return read_sub_line(r, line, indent);
	if (indent > 0)
		return keep_line(r, line);
	return read_top_line(r, line);
}

/* The run's own verdicts: a stream cut short, a plan the points do not meet. */
static int read_end(struct reader *r)
{
	struct tapread_suite *s = reader_open(r);
	char note[128];

	if (s != NULL && suite_add_error(s, "the scenario's end", "truncated", no_span,
	                                 "the TAP stream ends inside this scenario's subtest") < 0)
		return -1;
	if (r->bailed)
		return 0;
	if (r->plan < 0)
		return suite_add_error(&r->run.runsuite, "plan", "truncated", no_span,
		                       r->len == 0 ? "the TAP stream is empty"
		                                   : "the TAP stream ends without its plan: the run did not finish");
	if (r->plan != r->points) {
		snprintf(note, sizeof(note), "the plan says %ld scenarios, the stream has %ld", r->plan, r->points);
		return suite_add_error(&r->run.runsuite, "plan", "plan", no_span, note);
	}
	return 0;
}

static int reader_run(struct reader *r)
{
	size_t off = 0;

	while (off < r->len) {
		const char *nl = memchr(r->tap + off, '\n', r->len - off);
		struct tapread_span line = { off, nl ? (size_t)(nl - (r->tap + off)) : r->len - off };

		off += line.len + (nl != NULL);
		if (line.len > 0 && r->tap[line.off + line.len - 1] == '\r')
			line.len--;
		if (read_line(r, line) < 0)
			return -1;
	}
	return read_end(r);
}

void tapread_free(struct tapread_run *run)
{
	if (run == NULL)
		return;
	for (size_t i = 0; i < run->nsuites; i++) {
		free(run->suites[i].cases);
		free(run->suites[i].out);
	}
	free(run->suites);
	free(run->runsuite.cases);
	free(run->runsuite.out);
	memset(run, 0, sizeof(*run));
}

int tapread_parse(struct tapread_run *run, const char *tap, size_t len)
{
	struct reader r;

	memset(&r, 0, sizeof(r));
	r.tap = r.run.tap = tap ? tap : "";
	r.len = r.run.len = tap ? len : 0;
	r.open = r.last = r.plan = -1;
	if (reader_run(&r) < 0) {
		tapread_free(&r.run);
		*run = r.run;
		return -1;
	}
	*run = r.run;
	return 0;
}
