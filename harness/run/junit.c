/*
** junit.c: see junit.h. Two passes: the TAP text is read line by line into
** suites and cases whose text stays in the input (spans: offset and
** length, never NUL-terminated, checked against len), then the XML is
** written from them. The reader knows the shapes runner.c prints:
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
** the run). The run gets a testsuite of its own only when it has something
** to say: a Bail out!, a stream without (or with a wrong) plan, stray lines.
** The JUnit elements are written here; escaping the text is xmlout's.
*/
#include "run/junit.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "run/xmlout.h"

struct span {
	size_t off, len;
};

static const struct span no_span;   /* no text */

enum junit_status { J_PASS, J_FAIL, J_ERROR, J_SKIP };

struct junit_case {
	struct span desc;      /* TAP-escaped ("\#"), as in the point */
	struct span reason;    /* SKIP/TODO reason, or the error's message */
	struct span yaml;      /* the "---".."..." lines, or len 0 */
	size_t yaml_indent;    /* columns to strip from each YAML line */
	int number, todo;
	enum junit_status status;
	const char *fixed_name;   /* a case vpnlab made up (not a point), or NULL */
	const char *type;         /* <error type=...> */
	char note[128];           /* a made-up case's message when reason is empty */
};

struct junit_suite {
	struct span name;
	int name_escaped;         /* from a point's description (TAP-escaped) */
	int stray;                /* the run's suite: it holds lines vpnlab does not write */
	double seconds;
	struct span results, backend, timing;
	struct junit_case *cases;
	size_t ncases, capcases;
	struct span *out;         /* system-out lines */
	size_t nout, capout;
};

struct junit_reader {
	const char *tap;
	size_t len;
	struct junit_suite *suites;
	size_t nsuites, capsuites;
	long open, last;          /* suite being read / last closed (for its "# results:"), -1 if none */
	struct junit_case *yaml_case;   /* a YAML block being read belongs to it */
	size_t yaml_indent;
	long plan;                /* top-level plan, -1 if none */
	long points;              /* top-level points */
	int bailed;
	struct junit_suite runsuite;
};

/* ---- spans ------------------------------------------------------------- */

static struct span span_sub(struct span s, size_t from, size_t n)
{
	struct span r = { s.off + (from < s.len ? from : s.len), 0 };
	r.len = from < s.len ? (n < s.len - from ? n : s.len - from) : 0;
	return r;
}

static int span_starts(const struct junit_reader *r, struct span s, const char *lit)
{
	size_t n = strlen(lit);
	return s.len >= n && memcmp(r->tap + s.off, lit, n) == 0;
}

static int span_is(const struct junit_reader *r, struct span s, const char *lit)
{
	return s.len == strlen(lit) && span_starts(r, s, lit);
}

static struct span span_trim(const struct junit_reader *r, struct span s)
{
	while (s.len > 0 && r->tap[s.off] == ' ')
		s.off++, s.len--;
	while (s.len > 0 && r->tap[s.off + s.len - 1] == ' ')
		s.len--;
	return s;
}

static size_t span_indent(const struct junit_reader *r, struct span s)
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

static struct junit_case *suite_add_case(struct junit_suite *s)
{
	struct junit_case *c;

	if (grow((void **)&s->cases, &s->capcases, s->ncases, sizeof(*c)) < 0)
		return NULL;
	c = &s->cases[s->ncases++];
	memset(c, 0, sizeof(*c));
	return c;
}

static int suite_add_out(struct junit_suite *s, struct span line)
{
	if (grow((void **)&s->out, &s->capout, s->nout, sizeof(line)) < 0)
		return -1;
	s->out[s->nout++] = line;
	return 0;
}

static struct junit_suite *reader_new_suite(struct junit_reader *r)
{
	struct junit_suite *s;

	if (grow((void **)&r->suites, &r->capsuites, r->nsuites, sizeof(*s)) < 0)
		return NULL;
	s = &r->suites[r->nsuites++];
	memset(s, 0, sizeof(*s));
	return s;
}

/* A case vpnlab adds itself: an error that is none of the points. */
static int suite_add_error(struct junit_suite *s, const char *name, const char *type,
                           struct span reason, const char *note)
{
	struct junit_case *c = suite_add_case(s);

	if (c == NULL)
		return -1;
	c->fixed_name = name;
	c->type = type;
	c->status = J_ERROR;
	c->reason = reason;
	snprintf(c->note, sizeof(c->note), "%s", note);
	return 0;
}

/* ---- reading a point --------------------------------------------------- */

struct junit_point {
	int ok, number, todo, skip;
	struct span desc, reason;
};

/* "SKIP"/"TODO" (any case, "skipped" too) right after an unescaped '#'. */
static int point_directive(const struct junit_reader *r, struct span rest, struct junit_point *p)
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
static int point_parse(const struct junit_reader *r, struct span s, struct junit_point *p)
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

static struct junit_suite *reader_open(struct junit_reader *r)
{
	return r->open >= 0 ? &r->suites[r->open] : NULL;
}

/* A subtest point: one case; a YAML block may follow, indent + 2 in. */
static int read_sub_point(struct junit_reader *r, struct junit_suite *s,
                          const struct junit_point *p, size_t indent)
{
	struct junit_case *c = suite_add_case(s);

	if (c == NULL)
		return -1;
	c->desc = p->desc;
	c->number = p->number;
	c->reason = p->reason;
	c->todo = p->todo;
	c->status = p->skip ? J_SKIP : p->todo ? (p->ok ? J_PASS : J_SKIP) : p->ok ? J_PASS : J_FAIL;
	r->yaml_case = c;
	r->yaml_indent = indent + 2;
	return 0;
}

/* How runner.c's report_end names the point that says a scenario did not run to its end. */
static const char *end_type(const struct junit_reader *r, struct span desc)
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
static struct span summary_of(const struct junit_reader *r, struct span desc, struct span *name)
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
static int summary_ran(const struct junit_reader *r, struct span sum, double *seconds)
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
static struct span top_summary(const struct junit_reader *r, const struct junit_suite *s,
                               struct span desc, struct span *name)
{
	struct span n = s->name;

	if (n.len > 0 && !s->name_escaped && desc.len > n.len + 3 &&
	    memcmp(r->tap + desc.off, r->tap + n.off, n.len) == 0 &&
	    span_starts(r, span_sub(desc, n.len, 2), " (") && r->tap[desc.off + desc.len - 1] == ')') {
		*name = span_sub(desc, 0, n.len);
		return span_sub(desc, n.len + 2, desc.len - n.len - 3);
	}
	return summary_of(r, desc, name);
}

/* A point alone at the top (a skipped scenario, the VM's "did not report"): one case. */
static int suite_of_point(struct junit_reader *r, struct junit_suite *s, const struct junit_point *p)
{
	struct junit_case *c = suite_add_case(s);

	if (c == NULL)
		return -1;
	c->desc = p->desc;
	c->number = p->number;
	c->reason = p->reason;
	c->todo = p->todo;
	if (p->skip || (p->todo && !p->ok)) {
		c->status = J_SKIP;
	} else if (!p->ok) {
		c->status = J_ERROR;        /* the runner's own failure: nothing was asserted */
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
static int suite_close(struct junit_reader *r, struct junit_suite *s, const struct junit_point *p)
{
	struct span name, sum = top_summary(r, s, p->desc, &name);
	struct junit_case *last = s->ncases ? &s->cases[s->ncases - 1] : NULL;
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
	if (last->status == J_FAIL && (end_type(r, last->desc) || (!p->ok && !ran))) {
		last->status = J_ERROR;
		last->type = end_type(r, last->desc) ? end_type(r, last->desc) : "error";
		last->reason = sum.len ? sum : last->desc;
	}
	for (size_t i = 0; i < s->ncases; i++)
		bad |= s->cases[i].status == J_FAIL || s->cases[i].status == J_ERROR;
	if (p->ok || bad || p->todo)
		return 0;
	if (suite_add_error(s, NULL, "error", p->desc, "") < 0)
		return -1;
	s->cases[s->ncases - 1].desc = name;
	r->yaml_case = &s->cases[s->ncases - 1];
	r->yaml_indent = 2;
	return 0;
}

static int read_top_point(struct junit_reader *r, const struct junit_point *p)
{
	struct junit_suite *s = reader_open(r);

	r->points++;
	if (s == NULL && (s = reader_new_suite(r)) == NULL)
		return -1;
	r->open = -1;
	r->last = s - r->suites;
	return suite_close(r, s, p);
}

/* A line vpnlab does not write: system-out of the open scenario, or of the run. */
static int keep_line(struct junit_reader *r, struct span line)
{
	struct junit_suite *s = reader_open(r);

	if (s == NULL)
		r->runsuite.stray = 1;
	return suite_add_out(s ? s : &r->runsuite, line);
}

/* "# results: DIR" and friends after a scenario's point belong to it. */
static int read_top_comment(struct junit_reader *r, struct span line)
{
	struct junit_suite *s = r->last >= 0 && r->open < 0 ? &r->suites[r->last] : NULL;
	struct span text = span_sub(line, 2, line.len);

	if (s && span_starts(r, text, "results: "))
		s->results = span_sub(text, 9, text.len);
	else if (s && span_starts(r, text, "backend: "))
		s->backend = span_sub(text, 9, text.len);
	else if (s && span_starts(r, text, "timing: "))
		s->timing = span_sub(text, 8, text.len);
	else
		return suite_add_out(&r->runsuite, line);
	return 0;
}

static int read_bail_out(struct junit_reader *r, struct span line)
{
	struct junit_suite *s = reader_open(r);
	struct span reason = span_trim(r, span_sub(line, 9, line.len));

	r->bailed = 1;
	if (s == NULL)
		return suite_add_error(&r->runsuite, "Bail out!", "bail out", reason, "Bail out!");
	r->open = -1;
	return suite_add_error(s, "Bail out!", "bail out", reason, "Bail out!");
}

/* A line indented four or more: the open subtest's (one is opened for a headerless one). */
static int read_sub_line(struct junit_reader *r, struct span line, size_t indent)
{
	struct junit_suite *s = reader_open(r);
	struct span in = span_sub(line, 4, line.len);
	struct junit_point p;

	if (s == NULL) {
		if ((s = reader_new_suite(r)) == NULL)
			return -1;
		r->open = s - r->suites;
	}
	if (indent == 4 && point_parse(r, in, &p))
		return read_sub_point(r, s, &p, indent);
	if (indent == 4 && span_starts(r, in, "1.."))
		return 0;
	return suite_add_out(s, indent == 4 && span_starts(r, in, "# ") ? span_sub(in, 2, in.len) : in);
}

static int read_subtest_header(struct junit_reader *r, struct span line)
{
	struct junit_suite *s = reader_open(r);

	if (s != NULL && suite_add_error(s, "the scenario's end", "truncated", no_span,
	                                 "the scenario's subtest ended without its result line") < 0)
		return -1;
	if ((s = reader_new_suite(r)) == NULL)
		return -1;
	s->name = span_trim(r, span_sub(line, 10, line.len));
	r->open = s - r->suites;
	r->last = -1;
	return 0;
}

static int read_top_line(struct junit_reader *r, struct span line)
{
	struct junit_point p;

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
static int read_yaml_line(struct junit_reader *r, struct span line)
{
	struct junit_case *c = r->yaml_case;
	size_t indent = span_indent(r, line);
	struct span body = span_trim(r, line);

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

static int read_line(struct junit_reader *r, struct span line)
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
static int read_end(struct junit_reader *r)
{
	struct junit_suite *s = reader_open(r);
	char note[128];

	if (s != NULL && suite_add_error(s, "the scenario's end", "truncated", no_span,
	                                 "the TAP stream ends inside this scenario's subtest") < 0)
		return -1;
	if (r->bailed)
		return 0;
	if (r->plan < 0)
		return suite_add_error(&r->runsuite, "plan", "truncated", no_span,
		                       r->len == 0 ? "the TAP stream is empty"
		                                   : "the TAP stream ends without its plan: the run did not finish");
	if (r->plan != r->points) {
		snprintf(note, sizeof(note), "the plan says %ld scenarios, the stream has %ld", r->plan, r->points);
		return suite_add_error(&r->runsuite, "plan", "plan", no_span, note);
	}
	return 0;
}

static int reader_run(struct junit_reader *r)
{
	size_t off = 0;

	while (off < r->len) {
		const char *nl = memchr(r->tap + off, '\n', r->len - off);
		struct span line = { off, nl ? (size_t)(nl - (r->tap + off)) : r->len - off };

		off += line.len + (nl != NULL);
		if (line.len > 0 && r->tap[line.off + line.len - 1] == '\r')
			line.len--;
		if (read_line(r, line) < 0)
			return -1;
	}
	return read_end(r);
}

static void reader_free(struct junit_reader *r)
{
	for (size_t i = 0; i < r->nsuites; i++) {
		free(r->suites[i].cases);
		free(r->suites[i].out);
	}
	free(r->suites);
	free(r->runsuite.cases);
	free(r->runsuite.out);
}

/* ---- XML (the escaping is xmlout's) ------------------------------------- */

enum { XML_ATTR = 1, XML_TAP = 2 };   /* an attribute value; undo TAP's "\#" "\\" */

static void xml_put(FILE *out, const char *text, size_t n, int flags)
{
	if (flags & XML_ATTR)
		xmlout_value(out, text, n);
	else
		xmlout_text(out, text, n);
}

/*
** The text of s as XML. With XML_TAP, in runs between TAP's escapes: the
** backslash of "\#" or "\\" is dropped and the character after it starts
** the next run (a backslash is ASCII, so no UTF-8 sequence is cut).
*/
static void xml_span(FILE *out, const struct junit_reader *r, struct span s, int flags)
{
	const char *p = r->tap + s.off;
	size_t from = 0;

	for (size_t i = 0; (flags & XML_TAP) && i + 1 < s.len; i++) {
		if (p[i] == '\\' && (p[i + 1] == '#' || p[i + 1] == '\\')) {
			xml_put(out, p + from, i - from, flags);
			from = ++i;
		}
	}
	xml_put(out, p + from, s.len - from, flags);
}

/* "tests/scenarios/fail/x.lua" -> "tests.scenarios.fail.x" (malloc'd), NULL if out of memory. */
static char *suite_classname(const struct junit_reader *r, const struct junit_suite *s,
                             const char *run_name)
{
	const char *p = s == &r->runsuite ? run_name : r->tap + s->name.off;
	size_t n = s == &r->runsuite ? strlen(run_name) : s->name.len, j = 0;
	char *out = malloc(n + 1);

	if (out == NULL)
		return NULL;
	while (n >= 2 && p[0] == '.' && p[1] == '/')
		p += 2, n -= 2;
	while (n > 0 && p[0] == '/')
		p++, n--;
	if (n > 4 && memcmp(p + n - 4, ".lua", 4) == 0)
		n -= 4;
	for (size_t i = 0; i < n; i++) {
		if (s->name_escaped && p[i] == '\\' && i + 1 < n && (p[i + 1] == '#' || p[i + 1] == '\\'))
			i++;
		out[j++] = p[i] == '/' ? '.' : p[i];
	}
	out[j] = '\0';
	return out;
}

static int pcap_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One "pcap" property per *.pcap in the results folder, sorted; none if it is gone. */
static int xml_pcaps(FILE *out, const struct junit_reader *r, struct span results)
{
	char dir[PATH_MAX], **names = NULL, path[PATH_MAX + NAME_MAX + 2];
	size_t n = 0, cap = 0, i;
	struct dirent *e;
	DIR *d;
	int rc = 0;

	if (results.len == 0 || results.len >= sizeof(dir) || memchr(r->tap + results.off, '\0', results.len))
		return 0;
	memcpy(dir, r->tap + results.off, results.len);
	dir[results.len] = '\0';
	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (len <= 5 || strcmp(e->d_name + len - 5, ".pcap") != 0)
			continue;
		if (grow((void **)&names, &cap, n, sizeof(*names)) < 0 || (names[n] = strdup(e->d_name)) == NULL) {
			rc = -1;
			break;
		}
		n++;
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(*names), pcap_cmp);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		fputs("      <property", out);
		xmlout_attr(out, "name", "pcap");
		xmlout_attr(out, "value", path);
		fputs("/>\n", out);
		free(names[i]);
	}
	free(names);
	return rc;
}

static void xml_property(FILE *out, const struct junit_reader *r, const char *name, struct span value)
{
	if (value.len == 0)
		return;
	fputs("      <property", out);
	xmlout_attr(out, "name", name);
	fputs(" value=\"", out);
	xml_span(out, r, value, XML_ATTR);
	fputs("\"/>\n", out);
}

static int xml_properties(FILE *out, const struct junit_reader *r, const struct junit_suite *s)
{
	int rc;

	if (s->results.len == 0 && s->backend.len == 0 && s->timing.len == 0)
		return 0;
	fputs("    <properties>\n", out);
	xml_property(out, r, "results", s->results);
	xml_property(out, r, "backend", s->backend);
	xml_property(out, r, "timing", s->timing);
	rc = xml_pcaps(out, r, s->results);
	fputs("    </properties>\n", out);
	return rc;
}

/* The case's name: the point's description, else what vpnlab called it, else its number. */
static void xml_case_name(FILE *out, const struct junit_reader *r, const struct junit_case *c)
{
	char num[32];

	fputs(" name=\"", out);
	if (c->fixed_name) {
		xmlout_value(out, c->fixed_name, strlen(c->fixed_name));
	} else if (c->desc.len > 0) {
		xml_span(out, r, c->desc, XML_ATTR | XML_TAP);
	} else {
		snprintf(num, sizeof(num), "test point %d", c->number);
		fputs(num, out);
	}
	fputc('"', out);
}

/* <failure>, <error> or <skipped>: message, type, and the YAML as the body. */
static void xml_outcome(FILE *out, const struct junit_reader *r, const struct junit_case *c)
{
	const char *tag = c->status == J_FAIL ? "failure" : c->status == J_ERROR ? "error" : "skipped";

	fprintf(out, "      <%s message=\"", tag);
	if (c->status == J_SKIP && c->todo)
		fputs(c->reason.len ? "TODO: " : "TODO", out);
	if (c->status == J_FAIL)
		xml_span(out, r, c->desc, XML_ATTR | XML_TAP);
	else if (c->reason.len > 0)
		xml_span(out, r, c->reason, XML_ATTR | (c->status == J_ERROR && !c->fixed_name ? XML_TAP : 0));
	else
		xmlout_value(out, c->note, strlen(c->note));
	fputc('"', out);
	if (c->status != J_SKIP)
		xmlout_attr(out, "type", c->status == J_FAIL ? "assertion" : c->type ? c->type : "error");
	if (c->yaml.len == 0) {
		fputs("/>\n", out);
		return;
	}
	fputc('>', out);
	xmlout_lines(out, r->tap + c->yaml.off, c->yaml.len, c->yaml_indent);
	fprintf(out, "</%s>\n", tag);
}

struct junit_counts {
	size_t tests, failures, errors, skipped;
	double seconds;
};

static void suite_count(const struct junit_suite *s, struct junit_counts *k)
{
	memset(k, 0, sizeof(*k));
	k->tests = s->ncases;
	k->seconds = s->seconds;
	for (size_t i = 0; i < s->ncases; i++) {
		k->failures += s->cases[i].status == J_FAIL;
		k->errors += s->cases[i].status == J_ERROR;
		k->skipped += s->cases[i].status == J_SKIP;
	}
}

static int xml_suite(FILE *out, const struct junit_reader *r, const struct junit_suite *s,
                     const char *run_name)
{
	char *classname = suite_classname(r, s, run_name);
	struct junit_counts k;

	if (classname == NULL)
		return -1;
	suite_count(s, &k);
	fputs("  <testsuite name=\"", out);
	if (s == &r->runsuite)
		xmlout_value(out, run_name, strlen(run_name));
	else
		xml_span(out, r, s->name, XML_ATTR | (s->name_escaped ? XML_TAP : 0));
	fprintf(out, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" time=\"%.3f\">\n",
	        k.tests, k.failures, k.errors, k.skipped, k.seconds);
	if (xml_properties(out, r, s) < 0) {
		free(classname);
		return -1;
	}
	for (size_t i = 0; i < s->ncases; i++) {
		const struct junit_case *c = &s->cases[i];
		fputs("    <testcase", out);
		xmlout_attr(out, "classname", classname);
		xml_case_name(out, r, c);
		fputs(" time=\"0\"", out);
		if (c->status == J_PASS) {
			fputs("/>\n", out);
			continue;
		}
		fputs(">\n", out);
		xml_outcome(out, r, c);
		fputs("    </testcase>\n", out);
	}
	if (s->nout > 0) {
		fputs("    <system-out>", out);
		for (size_t i = 0; i < s->nout; i++) {
			xml_span(out, r, s->out[i], 0);
			fputc('\n', out);
		}
		fputs("</system-out>\n", out);
	}
	fputs("  </testsuite>\n", out);
	free(classname);
	return 0;
}

static int xml_write(FILE *out, const struct junit_reader *r, const char *name)
{
	int with_run = r->runsuite.ncases > 0 || r->runsuite.stray;
	struct junit_counts all = { 0 }, k;

	for (size_t i = 0; i <= r->nsuites; i++) {
		if (i == r->nsuites && !with_run)
			break;
		suite_count(i < r->nsuites ? &r->suites[i] : &r->runsuite, &k);
		all.tests += k.tests;
		all.failures += k.failures;
		all.errors += k.errors;
		all.skipped += k.skipped;
		all.seconds += k.seconds;
	}
	xmlout_prolog(out);
	fputs("<testsuites", out);
	xmlout_attr(out, "name", name);
	fprintf(out, " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" time=\"%.3f\">\n",
	        all.tests, all.failures, all.errors, all.skipped, all.seconds);
	for (size_t i = 0; i < r->nsuites; i++)
		if (xml_suite(out, r, &r->suites[i], name) < 0)
			return -1;
	if (with_run && xml_suite(out, r, &r->runsuite, name) < 0)
		return -1;
	fputs("</testsuites>\n", out);
	return 0;
}

int junit_write(const char *tap, size_t len, const char *name, FILE *out, char *err, size_t errlen)
{
	struct junit_reader r;
	int rc;

	memset(&r, 0, sizeof(r));
	r.tap = tap ? tap : "";
	r.len = tap ? len : 0;
	r.open = r.last = r.plan = -1;
	name = name && *name ? name : "vpnlab";
	rc = reader_run(&r);
	if (rc == 0)
		rc = xml_write(out, &r, name);
	reader_free(&r);
	if (rc < 0) {
		snprintf(err, errlen, "junit: out of memory");
		return -1;
	}
	if (fflush(out) != 0 || ferror(out)) {
		snprintf(err, errlen, "junit: cannot write the XML: %s", strerror(errno ? errno : EIO));
		return -1;
	}
	return 0;
}
