/*
** report.c: see report.h. The scenarios come from run.tap through tapread
** (the same model JUnit is written from), so scenarios run in the VM and
** skipped ones are listed too; their folders give the evidence. The page
** is the template with three marker lines replaced: the stylesheet, the
** data, the script.
*/
#include "report/report.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "report/evidence.h"
#include "run/tapread.h"
#include "util/datadir.h"

#define REPORT_FILE_MAX (16u << 20)   /* run.tap and the template files: more is not ours */

/* A whole file into a NUL-terminated buffer; NULL with err filled. */
static char *slurp(const char *path, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	struct stat st;

	if (f == NULL || fstat(fileno(f), &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto done;
	}
	if ((size_t)st.st_size > REPORT_FILE_MAX) {
		snprintf(err, errlen, "%s: larger than %u bytes", path, REPORT_FILE_MAX);
		goto done;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto done;
	}
	*len = fread(buf, 1, (size_t)st.st_size, f);
	buf[*len] = '\0';
done:
	if (f != NULL)
		fclose(f);
	return buf;
}

/* report/ beside lua/ when installed; harness/report/ in the source tree. */
static int template_dir(char *out, size_t len)
{
	const char *sub[] = { "report", "harness/report" };
	char probe[PATH_MAX + 64];

	for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		snprintf(out, len, "%s/%s", datadir_root(), sub[i]);
		snprintf(probe, sizeof(probe), "%s/page.html", out);
		if (access(probe, R_OK) == 0)
			return 0;
	}
	return -1;
}

/* A span of the TAP as a JSON string; undo TAP's "\#" and "\\" when tap_escaped. */
static json_t *span_string(const struct tapread_run *r, struct tapread_span s, int tap_escaped)
{
	char *buf = malloc(s.len + 1);
	size_t j = 0;
	json_t *v;

	if (buf == NULL)
		return json_null();
	for (size_t i = 0; i < s.len; i++) {
		char c = r->tap[s.off + i];
		if (tap_escaped && c == '\\' && i + 1 < s.len &&
		    (r->tap[s.off + i + 1] == '#' || r->tap[s.off + i + 1] == '\\'))
			c = r->tap[s.off + ++i];
		buf[j++] = c;
	}
	v = json_stringn(buf, j);
	free(buf);
	return v ? v : json_string("(not UTF-8)");
}

/* The YAML block's lines without the indentation they had in the stream. */
static json_t *yaml_string(const struct tapread_run *r, const struct tapread_case *c)
{
	char *buf = malloc(c->yaml.len + 1);
	const char *p = r->tap + c->yaml.off;
	size_t j = 0, col = 0;
	json_t *v;

	if (buf == NULL)
		return json_null();
	for (size_t i = 0; i < c->yaml.len; i++) {
		if (p[i] == '\n') {
			col = 0;
		} else if (col < c->yaml_indent && p[i] == ' ') {
			col++;
			continue;
		} else {
			col = c->yaml_indent;
		}
		buf[j++] = p[i];
	}
	v = json_stringn(buf, j);
	free(buf);
	return v ? v : json_string("(not UTF-8)");
}

static const char *status_name(enum tapread_status s)
{
	switch (s) {
	case TAPREAD_PASS: return "pass";
	case TAPREAD_FAIL: return "fail";
	case TAPREAD_ERROR: return "error";
	default: return "skip";
	}
}

static json_t *points_of(const struct tapread_run *r, const struct tapread_suite *s, const char **status)
{
	json_t *points = json_array();
	size_t fail = 0, error = 0, skip = 0;

	for (size_t i = 0; i < s->ncases; i++) {
		const struct tapread_case *c = &s->cases[i];
		json_t *p = json_object();

		fail += c->status == TAPREAD_FAIL;
		error += c->status == TAPREAD_ERROR;
		skip += c->status == TAPREAD_SKIP;
		json_object_set_new(p, "n", json_integer(c->number));
		json_object_set_new(p, "status", json_string(status_name(c->status)));
		if (c->fixed_name)
			json_object_set_new(p, "desc", json_string(c->fixed_name));
		else
			json_object_set_new(p, "desc", span_string(r, c->desc, 1));
		if (c->reason.len > 0)
			json_object_set_new(p, "reason", span_string(r, c->reason, 1));
		else if (c->note[0])
			json_object_set_new(p, "reason", json_string(c->note));
		if (c->yaml.len > 0)
			json_object_set_new(p, "yaml", yaml_string(r, c));
		json_array_append_new(points, p);
	}
	*status = error ? "error" : fail ? "failed" : (skip && skip == s->ncases) ? "skipped" : "passed";
	return points;
}

/*
** The scenario's folder: the "# results:" path when it is inside run_dir
** (the page links to it relatively), else nothing. rel gets the relative
** name, abs the path to read.
*/
static int scenario_folder(const struct tapread_run *r, const struct tapread_suite *s,
                           const char *run_dir, char *rel, size_t rellen, char *abs, size_t abslen)
{
	size_t n = strlen(run_dir);
	const char *p = r->tap + s->results.off, *name;
	size_t len = s->results.len;

	if (len <= n + 1 || len >= abslen || memcmp(p, run_dir, n) != 0 || p[n] != '/')
		return -1;
	name = p + n + 1;
	len -= n + 1;
	if (len >= rellen || memchr(name, '/', len) || memchr(name, '\0', len) ||
	    (len <= 2 && name[0] == '.'))
		return -1;
	memcpy(rel, name, len);
	rel[len] = '\0';
	return snprintf(abs, abslen, "%s/%s", run_dir, rel) < (int)abslen ? 0 : -1;
}

static json_t *scenario_json(const struct tapread_run *r, const struct tapread_suite *s,
                             const char *run_dir)
{
	json_t *sc = json_object(), *ev;
	const char *status = "passed";
	char rel[NAME_MAX + 1], abs[PATH_MAX];

	json_object_set_new(sc, "name", span_string(r, s->name, s->name_escaped));
	json_object_set_new(sc, "points", points_of(r, s, &status));
	json_object_set_new(sc, "status", json_string(status));
	json_object_set_new(sc, "seconds", json_real(s->seconds));
	json_object_set_new(sc, "backend", span_string(r, s->backend, 0));
	if (scenario_folder(r, s, run_dir, rel, sizeof(rel), abs, sizeof(abs)) < 0)
		return sc;
	json_object_set_new(sc, "folder", json_string(rel));
	ev = evidence_load(abs, REPORT_MAX_PACKETS);
	if (ev != NULL)
		json_object_update(sc, ev);
	json_decref(ev);
	return sc;
}

/*
** JSON inside <script>: jansson escapes "/" (so "</script>" cannot occur)
** and every "<" becomes \u003c, which also rules out "<!--" changing how
** the browser reads the element. Both can only be inside strings.
*/
static int put_json(FILE *out, json_t *v)
{
	char *text = json_dumps(v, JSON_COMPACT | JSON_ESCAPE_SLASH | JSON_ENCODE_ANY);

	if (text == NULL)
		return -1;
	for (const char *p = text; *p; p++) {
		if (*p == '<')
			fputs("\\u003c", out);
		else
			fputc(*p, out);
	}
	free(text);
	return 0;
}

static int put_data(FILE *out, const struct tapread_run *r, const char *run_dir)
{
	const char *base = strrchr(run_dir, '/');
	json_t *run = json_object();
	int rc = 0;

	json_object_set_new(run, "run", json_string(base ? base + 1 : run_dir));
	json_object_set_new(run, "max_packets", json_integer(REPORT_MAX_PACKETS));
	json_object_set_new(run, "run_points", points_of(r, &r->runsuite, &(const char *){ "" }));
	fputs("<script type=\"application/json\" id=\"vpnlab-run\">", out);
	rc |= put_json(out, run);
	fputs("</script>\n", out);
	json_decref(run);
	for (size_t i = 0; i < r->nsuites; i++) {
		json_t *sc = scenario_json(r, &r->suites[i], run_dir);
		fputs("<script type=\"application/json\" class=\"vpnlab-scenario\">", out);
		rc |= put_json(out, sc);
		fputs("</script>\n", out);
		json_decref(sc);
	}
	return rc;
}

/* A template file, verbatim; "</" never appears unescaped in ours, which lets it sit inside a tag. */
static int put_file(FILE *out, const char *dir, const char *name, char *err, size_t errlen)
{
	char path[PATH_MAX + 32];
	size_t len = 0;
	char *text;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((text = slurp(path, &len, err, errlen)) == NULL)
		return -1;
	fwrite(text, 1, len, out);
	free(text);
	return 0;
}

/* The template, line by line, with the three marker lines replaced. */
static int put_page(FILE *out, const char *tdir, const char *page, const struct tapread_run *r,
                    const char *run_dir, char *err, size_t errlen)
{
	const char *line = page;

	while (*line) {
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);
		const char *next = nl ? nl + 1 : line + n;
		int rc = 0;

		if (n == 19 && memcmp(line, "<!-- vpnlab:css -->", n) == 0)
			rc = put_file(out, tdir, "page.css", err, errlen);
		else if (n == 18 && memcmp(line, "<!-- vpnlab:js -->", n) == 0)
			rc = put_file(out, tdir, "page.js", err, errlen);
		else if (n == 20 && memcmp(line, "<!-- vpnlab:data -->", n) == 0) {
			if ((rc = put_data(out, r, run_dir)) < 0)
				snprintf(err, errlen, "out of memory writing the data");
		} else {
			fwrite(line, 1, n, out);
			fputc('\n', out);
		}
		if (rc < 0)
			return -1;
		line = next;
	}
	return 0;
}

int report_write(const char *run_dir, char *err, size_t errlen)
{
	char tdir[PATH_MAX], path[PATH_MAX + 32], tmp[PATH_MAX + 48] = "";
	char *tap = NULL, *page = NULL;
	size_t taplen = 0, pagelen = 0;
	struct tapread_run r;
	FILE *out = NULL;
	int rc = -1;

	memset(&r, 0, sizeof(r));
	if (template_dir(tdir, sizeof(tdir)) < 0) {
		snprintf(err, errlen, "no report template (page.html) under %s/report", datadir_root());
		return -1;
	}
	snprintf(path, sizeof(path), "%s/page.html", tdir);
	if ((page = slurp(path, &pagelen, err, errlen)) == NULL)
		goto done;
	snprintf(path, sizeof(path), "%s/run.tap", run_dir);
	if ((tap = slurp(path, &taplen, err, errlen)) == NULL)
		goto done;
	if (tapread_parse(&r, tap, taplen) < 0) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto done;
	}
	snprintf(path, sizeof(path), "%s/index.html", run_dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((out = fopen(tmp, "we")) == NULL) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto done;
	}
	if (put_page(out, tdir, page, &r, run_dir, err, errlen) < 0)
		goto done;
	if (ferror(out) | (fclose(out) != 0)) {
		out = NULL;
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno ? errno : EIO));
		goto done;
	}
	out = NULL;
	if (rename(tmp, path) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto done;
	}
	rc = 0;
done:
	if (out != NULL)
		fclose(out);
	if (rc < 0 && tmp[0])   /* only once it names the page being written */
		unlink(tmp);
	tapread_free(&r);
	free(tap);
	free(page);
	return rc;
}
