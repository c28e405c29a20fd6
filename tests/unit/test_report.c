/*
** Unit tests for report.c and evidence.c: a run folder made here (run.tap,
** one scenario's timeline.jsonl with more packets than the cap and a
** malformed line, lab.json, an error.txt that is not UTF-8, two pcaps)
** written as index.html. The embedded data must not contain a "<" (so no
** text can end its <script> element), must read back as JSON with the
** cap, the count of bad lines, the points and their dedented YAML; the
** template's marker lines are gone. Failure modes: no run.tap, no
** template (an error naming what is missing, no page left behind).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "report/report.h"
#include "unit.h"

static char dir[64];

static void write_file(const char *name, const char *text, size_t len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
	fwrite(text, 1, len, f);
	fclose(f);
}

static char *read_file(const char *name)
{
	char path[256], *buf = NULL;
	size_t cap = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	if (getdelim(&buf, &cap, '\0', f) < 0) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static void make_run(void)
{
	char tap[1024], *tl;
	size_t len = 0;
	FILE *f;

	snprintf(tap, sizeof(tap),
	         "TAP version 13\n"
	         "# Subtest: a.lua\n"
	         "    ok 1 - first </script><!--<script> \\# not a comment\n"
	         "    not ok 2 - second\n"
	         "      ---\n"
	         "      message: \"boom\"\n"
	         "      ...\n"
	         "    1..2\n"
	         "not ok 1 - a.lua (1 passed, 1 failed, 0.10 s)\n"
	         "# results: %s/a\n"
	         "# backend: host, kernel x\n"
	         "1..1\n", dir);
	write_file("run.tap", tap, strlen(tap));
	snprintf(tap, sizeof(tap), "%s/a", dir);
	mkdir(tap, 0755);
	f = open_memstream(&tl, &len);
	fputs("{\"t\":0.000001,\"event\":\"home:block </script>\"}\n", f);
	for (int i = 0; i < 6000; i++)
		fprintf(f, "{\"t\":%d.5,\"link\":\"wan\",\"frame\":%d,\"len\":60,\"class\":\"udp\"}\n", i, i + 1);
	fputs("{\"t\":1,\"link\":\n", f);
	fclose(f);
	write_file("a/timeline.jsonl", tl, len);
	free(tl);
	write_file("a/lab.json", "{\"nodes\":[],\"links\":[]}\n", 24);
	write_file("a/error.txt", "\xff bad </script>\n", 16);
	write_file("a/x.pcap", "", 0);
	write_file("a/b.pcap", "", 0);
}

/* The first scenario's embedded JSON (malloc'd), or NULL. */
static char *scenario_data(const char *page)
{
	const char *tag = "<script type=\"application/json\" class=\"vpnlab-scenario\">";
	const char *from = strstr(page, tag), *to;

	if (from == NULL || (to = strstr(from += strlen(tag), "</script>")) == NULL)
		return NULL;
	return strndup(from, (size_t)(to - from));
}

static void test_page(void)
{
	char err[512] = "", *page, *data;
	json_t *sc, *points;

	is_int(report_write(dir, err, sizeof(err)), 0, "report_write on a run folder");
	if (err[0])
		printf("# %s\n", err);
	page = read_file("index.html");
	ok(page != NULL, "index.html is written");
	if (page == NULL)
		return;
	ok(strstr(page, "<!-- vpnlab:") == NULL, "no marker line is left");
	ok(strstr(page, "function describe(") != NULL, "the script is inlined");
	ok(strstr(page, "svg.ladder") != NULL, "the stylesheet is inlined");
	data = scenario_data(page);
	ok(data != NULL && strchr(data, '<') == NULL, "the embedded data holds no '<' at all");
	sc = data ? json_loads(data, 0, NULL) : NULL;
	ok(json_is_object(sc), "the embedded data is JSON");
	is_int(json_integer_value(json_object_get(sc, "packets_total")), 6000, "packets_total counts them all");
	is_int(json_integer_value(json_object_get(sc, "packets_shown")), REPORT_MAX_PACKETS, "packets_shown is the cap");
	is_int(json_array_size(json_object_get(sc, "timeline")), REPORT_MAX_PACKETS + 1, "the cap's packets and the event");
	is_str(json_string_value(json_object_get(json_array_get(json_object_get(sc, "timeline"), 0), "event")),
	       "home:block </script>", "the event's text survives the escaping");
	is_int(json_integer_value(json_object_get(sc, "bad_lines")), 1, "the malformed line is counted");
	is_str(json_string_value(json_object_get(sc, "status")), "failed", "status failed");
	is_str(json_string_value(json_object_get(sc, "folder")), "a", "the folder, relative");
	is_str(json_string_value(json_object_get(sc, "backend")), "host, kernel x", "the backend");
	is_str(json_string_value(json_object_get(sc, "error")), "? bad </script>\n", "error.txt, not UTF-8, kept");
	is_str(json_string_value(json_array_get(json_object_get(sc, "pcaps"), 0)), "b.pcap", "pcaps sorted");
	is_int(json_array_size(json_object_get(sc, "pcaps")), 2, "both pcaps");
	ok(json_is_object(json_object_get(sc, "lab")), "lab.json embedded");
	points = json_object_get(sc, "points");
	is_str(json_string_value(json_object_get(json_array_get(points, 0), "desc")),
	       "first </script><!--<script> # not a comment", "a point's description, TAP escapes undone");
	is_str(json_string_value(json_object_get(json_array_get(points, 1), "yaml")),
	       "---\nmessage: \"boom\"\n...", "the failing point's YAML, dedented");
	is_str(json_string_value(json_object_get(json_array_get(points, 1), "status")), "fail", "its status");
	json_decref(sc);
	free(data);
	free(page);
}

static void test_failures(void)
{
	char err[512] = "", path[128];

	snprintf(path, sizeof(path), "%s/run.tap", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/index.html", dir);
	unlink(path);
	is_int(report_write(dir, err, sizeof(err)), -1, "no run.tap: an error");
	ok(strstr(err, "run.tap") != NULL, "... naming run.tap");
	ok(access(path, F_OK) != 0, "... and no page");
	setenv("VPNLAB_SRCDIR", dir, 1);
	make_run();
	err[0] = '\0';
	is_int(report_write(dir, err, sizeof(err)), -1, "no template: an error");
	ok(strstr(err, "no report template") != NULL, "... saying so");
	ok(access(path, F_OK) != 0, "... and no page");
	unsetenv("VPNLAB_SRCDIR");
}

int main(void)
{
	char cmd[128];

	snprintf(dir, sizeof(dir), "/tmp/vpnlab-unit-report.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	make_run();
	test_page();
	test_failures();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return unit_done();
}
