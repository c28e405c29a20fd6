/*
** junit.c: see junit.h. The TAP stream is read into tapread's model
** (scenarios, their points and diagnostics, the run's own problems: see
** tapread.h); this file only writes that model as JUnit elements, one
** <testsuite> per scenario and, when it has something to say, one for the
** run. The text stays in the input as spans; escaping it is xmlout's, and
** TAP's own "\#" "\\" escapes are undone here as it is written.
*/
#include "run/junit.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "run/tapread.h"
#include "run/xmlout.h"

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
static void xml_span(FILE *out, const struct tapread_run *r, struct tapread_span s, int flags)
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
static char *suite_classname(const struct tapread_run *r, const struct tapread_suite *s,
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

/* Room for names[n]: doubles cap as needed. */
static int names_grow(char ***names, size_t *cap, size_t n)
{
	size_t want = *cap ? *cap * 2 : 8;
	char **p;

	if (n < *cap)
		return 0;
	if (want > SIZE_MAX / sizeof(*p))
		return -1;
	if ((p = realloc(*names, want * sizeof(*p))) == NULL)
		return -1;
	*names = p;
	*cap = want;
	return 0;
}

static int pcap_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One "pcap" property per *.pcap in the results folder, sorted; none if it is gone. */
static int xml_pcaps(FILE *out, const struct tapread_run *r, struct tapread_span results)
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
		if (names_grow(&names, &cap, n) < 0 || (names[n] = strdup(e->d_name)) == NULL) {
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

static void xml_property(FILE *out, const struct tapread_run *r, const char *name, struct tapread_span value)
{
	if (value.len == 0)
		return;
	fputs("      <property", out);
	xmlout_attr(out, "name", name);
	fputs(" value=\"", out);
	xml_span(out, r, value, XML_ATTR);
	fputs("\"/>\n", out);
}

static int xml_properties(FILE *out, const struct tapread_run *r, const struct tapread_suite *s)
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
static void xml_case_name(FILE *out, const struct tapread_run *r, const struct tapread_case *c)
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
static void xml_outcome(FILE *out, const struct tapread_run *r, const struct tapread_case *c)
{
	const char *tag = c->status == TAPREAD_FAIL ? "failure" : c->status == TAPREAD_ERROR ? "error" : "skipped";

	fprintf(out, "      <%s message=\"", tag);
	if (c->status == TAPREAD_SKIP && c->todo)
		fputs(c->reason.len ? "TODO: " : "TODO", out);
	if (c->status == TAPREAD_FAIL)
		xml_span(out, r, c->desc, XML_ATTR | XML_TAP);
	else if (c->reason.len > 0)
		xml_span(out, r, c->reason, XML_ATTR | (c->status == TAPREAD_ERROR && !c->fixed_name ? XML_TAP : 0));
	else
		xmlout_value(out, c->note, strlen(c->note));
	fputc('"', out);
	if (c->status != TAPREAD_SKIP)
		xmlout_attr(out, "type", c->status == TAPREAD_FAIL ? "assertion" : c->type ? c->type : "error");
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

static void suite_count(const struct tapread_suite *s, struct junit_counts *k)
{
	memset(k, 0, sizeof(*k));
	k->tests = s->ncases;
	k->seconds = s->seconds;
	for (size_t i = 0; i < s->ncases; i++) {
		k->failures += s->cases[i].status == TAPREAD_FAIL;
		k->errors += s->cases[i].status == TAPREAD_ERROR;
		k->skipped += s->cases[i].status == TAPREAD_SKIP;
	}
}

static int xml_suite(FILE *out, const struct tapread_run *r, const struct tapread_suite *s,
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
		const struct tapread_case *c = &s->cases[i];
		fputs("    <testcase", out);
		xmlout_attr(out, "classname", classname);
		xml_case_name(out, r, c);
		fputs(" time=\"0\"", out);
		if (c->status == TAPREAD_PASS) {
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

static int xml_write(FILE *out, const struct tapread_run *r, const char *name)
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
	struct tapread_run r;
	int rc;

	name = name && *name ? name : "vpnlab";
	rc = tapread_parse(&r, tap, len);
	if (rc == 0)
		rc = xml_write(out, &r, name);
	tapread_free(&r);
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
