/*
** Unit tests for junit.c: vpnlab's TAP shapes (passing, failing with YAML,
** skipped, TODO, scenario error, time limit, empty scenario, interrupt with
** Bail out!, a killed runner, the VM's "did not report"), XML escaping,
** and input that is not TAP at all (empty, truncated at every byte,
** random bytes): the converter never fails on it, and every document it
** writes is checked against tests/junit/junit.xsd with xmllint.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run/junit.h"
#include "unit.h"

static char xml_file[64];

/* tap as JUnit XML (malloc'd); the converter's return value in *rc. */
static char *convert_n(const char *tap, size_t len, int *rc)
{
	char *buf = NULL, err[256] = "";
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	if (f == NULL) {
		printf("Bail out! open_memstream failed\n");
		exit(1);
	}
	*rc = junit_write(tap, len, "vpnlab", f, err, sizeof err);
	fclose(f);
	if (*rc != 0)
		printf("# junit_write: %s\n", err);
	return buf;
}

static char *convert(const char *tap)
{
	int rc;
	return convert_n(tap, strlen(tap), &rc);
}

static int count(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

static int has(const char *hay, const char *needle)
{
	return strstr(hay, needle) != NULL;
}

/* xmllint against the schema: 1 valid, 0 not; -1 when xmllint is not there. */
static int valid(const char *xml)
{
	char cmd[512];
	FILE *f;

	if (system("command -v xmllint >/dev/null 2>&1") != 0)
		return -1;
	if ((f = fopen(xml_file, "w")) == NULL)
		return 0;
	fputs(xml, f);
	fclose(f);
	snprintf(cmd, sizeof cmd, "xmllint --noout --schema %s/tests/junit/junit.xsd %s 2>/dev/null",
	         VPNLAB_SRCDIR, xml_file);
	return system(cmd) == 0;
}

static void check_valid(const char *xml, const char *what)
{
	int v = valid(xml);
	ok(v != 0, what);
	if (v == 0)
		printf("# XML was:\n%s", xml);
}

static void test_pass(void)
{
	char dir[] = "/tmp/vpnlab-test-junit.XXXXXX", path[128], tap[1024];
	char *x;

	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp failed\n");
		exit(1);
	}
	snprintf(path, sizeof path, "%s/wan.pcap", dir);
	fclose(fopen(path, "w"));
	snprintf(path, sizeof path, "%s/lan.pcap", dir);
	fclose(fopen(path, "w"));
	snprintf(path, sizeof path, "%s/timeline.txt", dir);
	fclose(fopen(path, "w"));
	snprintf(tap, sizeof tap,
	         "TAP version 13\n"
	         "# vpnlab 0.1.0, backend host: host kernel 6.1 (kernel ESP: no)\n"
	         "# Subtest: scenarios/ports/01-ike.lua\n"
	         "    # gateway: strongSwan\n"
	         "    ok 1 - the tunnel is established\n"
	         "    ok 2 - wan: seen {udp=500}\n"
	         "    1..2\n"
	         "ok 1 - scenarios/ports/01-ike.lua (2 passed, 0 failed, 1.41 s)\n"
	         "# results: %s\n"
	         "# backend: host, kernel 6.1\n"
	         "# timing: lab up 23.5 ms, teardown 107.8 ms\n"
	         "1..1\n", dir);
	x = convert(tap);
	ok(has(x, "<testsuites name=\"vpnlab\" tests=\"2\" failures=\"0\" errors=\"0\" skipped=\"0\" time=\"1.410\">"),
	   "pass: testsuites totals and time");
	ok(has(x, "<testsuite name=\"scenarios/ports/01-ike.lua\" tests=\"2\" failures=\"0\" errors=\"0\" skipped=\"0\" time=\"1.410\">"),
	   "pass: one testsuite named by the file, time from the summary");
	is_int(count(x, "<testcase classname=\"scenarios.ports.01-ike\""), 2, "pass: a testcase per point, classname without .lua");
	ok(has(x, "name=\"the tunnel is established\" time=\"0\"/>"), "pass: a passing testcase is empty");
	snprintf(path, sizeof path, "<property name=\"results\" value=\"%s\"/>", dir);
	ok(has(x, path), "pass: results property");
	ok(has(x, "<property name=\"backend\" value=\"host, kernel 6.1\"/>"), "pass: backend property");
	snprintf(path, sizeof path, "<property name=\"pcap\" value=\"%s/lan.pcap\"/>\n"
	         "      <property name=\"pcap\" value=\"%s/wan.pcap\"/>", dir, dir);
	ok(has(x, path), "pass: one pcap property per pcap in the folder, sorted");
	is_int(count(x, "name=\"pcap\""), 2, "pass: nothing but pcaps");
	ok(has(x, "<system-out>gateway: strongSwan\n</system-out>"), "pass: the subtest's comments are system-out");
	ok(!has(x, "testsuite name=\"vpnlab\""), "pass: a clean run has no run suite");
	check_valid(x, "pass: valid against the schema");
	free(x);
	snprintf(path, sizeof path, "rm -rf %s", dir);
	if (system(path) != 0)
		printf("# cannot remove %s\n", dir);
}

static void test_fail_yaml(void)
{
	char *x = convert(
		"# Subtest: tests/fail/x.lua\n"
		"    ok 1 - first\n"
		"    not ok 2 - lan: seen {dport=9}\n"
		"      ---\n"
		"      at: \"tests/fail/x.lua:23\"\n"
		"      seen_instead: {non-ip: 2, icmp: 3}\n"
		"      traceback: |\n"
		"        nested <line>\n"
		"      ...\n"
		"    not ok 3 - no diagnostic\n"
		"    1..3\n"
		"not ok 1 - tests/fail/x.lua (1 passed, 2 failed, 0.41 s)\n"
		"1..1\n");

	ok(has(x, "tests=\"3\" failures=\"2\" errors=\"0\" skipped=\"0\" time=\"0.410\""), "fail: counts");
	ok(has(x, "<failure message=\"lan: seen {dport=9}\" type=\"assertion\">---\n"
	          "at: \"tests/fail/x.lua:23\"\n"
	          "seen_instead: {non-ip: 2, icmp: 3}\n"
	          "traceback: |\n"
	          "  nested &lt;line&gt;\n"
	          "...\n</failure>"),
	   "fail: message is the description, the YAML block the body, its indent removed");
	ok(has(x, "<failure message=\"no diagnostic\" type=\"assertion\"/>"), "fail: without YAML, an empty failure");
	check_valid(x, "fail: valid");
	free(x);
}

static void test_skip_todo(void)
{
	char *x = convert(
		"# Subtest: a.lua\n"
		"    ok 1 - runs\n"
		"    ok 2 - esp part # SKIP no kernel ESP\n"
		"    not ok 3 - known bug # TODO fix the NAT\n"
		"    ok 4 - fixed one # todo\n"
		"    1..4\n"
		"ok 1 - a.lua (2 passed, 0 failed, some skipped, 2.00 s)\n"
		"ok 2 - scenarios/ports/03-nat.lua # SKIP needs esp, which kernel 6.1 lacks\n"
		"1..2\n");

	ok(has(x, "<testsuites name=\"vpnlab\" tests=\"5\" failures=\"0\" errors=\"0\" skipped=\"3\""), "skip: totals");
	ok(has(x, "name=\"esp part\" time=\"0\">\n      <skipped message=\"no kernel ESP\"/>"),
	   "skip: a point's SKIP, its reason the message");
	ok(has(x, "name=\"known bug\" time=\"0\">\n      <skipped message=\"TODO: fix the NAT\"/>"),
	   "todo: a failing TODO point is skipped, not failed");
	ok(has(x, "name=\"fixed one\" time=\"0\"/>"), "todo: a passing TODO point passes");
	ok(has(x, "<testsuite name=\"scenarios/ports/03-nat.lua\" tests=\"1\" failures=\"0\" errors=\"0\" skipped=\"1\""),
	   "skip: a skipped scenario is a suite of its own");
	ok(has(x, "<skipped message=\"needs esp, which kernel 6.1 lacks\"/>"), "skip: with the reason");
	check_valid(x, "skip: valid");
	free(x);
}

static void test_scenario_errors(void)
{
	char *x = convert(
		"# Subtest: e.lua\n"
		"    ok 1 - the lab started\n"
		"    not ok 2 - scenario error\n"
		"      ---\n"
		"      message: \"the scenario stopped with an error\"\n"
		"      error: \"e.lua:5: attempt to index a nil value (local 'sas')\"\n"
		"      ...\n"
		"    1..2\n"
		"not ok 1 - e.lua (scenario error: e.lua:5: attempt to index a nil value (local 'sas'))\n"
		"# Subtest: t.lua\n"
		"    not ok 1 - a real failure\n"
		"    not ok 2 - time limit\n"
		"    1..2\n"
		"not ok 2 - t.lua (stopped at its time limit: t.lua:4: time limit of 5 s reached busy in Lua)\n"
		"# Subtest: empty.lua\n"
		"    not ok 1 - the scenario ran at least one test point\n"
		"    1..1\n"
		"not ok 3 - empty.lua (no test points)\n"
		"1..3\n");

	ok(has(x, "<testsuites name=\"vpnlab\" tests=\"5\" failures=\"1\" errors=\"3\" skipped=\"0\""),
	   "errors: only the assertion is a failure");
	ok(has(x, "<error message=\"scenario error: e.lua:5: attempt to index a nil value (local 'sas')\" "
	          "type=\"scenario error\">---\nmessage:"),
	   "errors: a scenario error is an error, the summary its message, the YAML its body");
	ok(has(x, "<failure message=\"a real failure\" type=\"assertion\"/>"), "errors: a point before it stays a failure");
	ok(has(x, "<error message=\"stopped at its time limit: t.lua:4: time limit of 5 s reached busy in Lua\" "
	          "type=\"time limit\"/>"), "errors: time limit");
	ok(has(x, "<error message=\"no test points\" type=\"no test points\"/>"), "errors: a scenario without points");
	check_valid(x, "errors: valid");
	free(x);
}

static void test_bail_out(void)
{
	char *x = convert(
		"# Subtest: i.lua\n"
		"    ok 1 - up\n"
		"    not ok 2 - interrupted\n"
		"      ---\n"
		"      message: \"i.lua:9: interrupted by SIGTERM\"\n"
		"      ...\n"
		"    1..2\n"
		"not ok 1 - i.lua (interrupted by SIGTERM)\n"
		"Bail out! interrupted by SIGTERM; no further scenario was started\n");

	ok(has(x, "<error message=\"interrupted by SIGTERM\" type=\"interrupted\">"), "bail out: the interrupted point is an error");
	ok(has(x, "<testsuite name=\"vpnlab\" tests=\"1\" failures=\"0\" errors=\"1\""), "bail out: the run's own suite");
	ok(has(x, "<testcase classname=\"vpnlab\" name=\"Bail out!\" time=\"0\">\n"
	          "      <error message=\"interrupted by SIGTERM; no further scenario was started\" type=\"bail out\"/>"),
	   "bail out: an error with its reason; no plan is expected after it");
	ok(has(x, "<testsuites name=\"vpnlab\" tests=\"3\" failures=\"0\" errors=\"2\""), "bail out: totals");
	check_valid(x, "bail out: valid");
	free(x);

	x = convert(
		"# Subtest: k.lua\n"
		"    ok 1 - up\n"
		"Bail out! the runner was killed by signal 9 (SIGKILL)\n");
	ok(has(x, "<testsuite name=\"k.lua\" tests=\"2\" failures=\"0\" errors=\"1\""),
	   "killed runner: the unfinished scenario gets the error");
	ok(!has(x, "testsuite name=\"vpnlab\""), "killed runner: counted once");
	check_valid(x, "killed runner: valid");
	free(x);

	x = convert(
		"ok 1 - a.lua (1 passed, 0 failed, 0.10 s)\n"
		"not ok 2 - vm backend: 2 of 3 scenarios did not report: the VM did not boot\n"
		"1..2\n");
	ok(has(x, "<testsuite name=\"vm backend: 2 of 3 scenarios did not report: the VM did not boot\" tests=\"1\" "
	          "failures=\"0\" errors=\"1\""), "vm backend: an error suite of its own");
	ok(has(x, "<error message=\"vm backend: 2 of 3 scenarios did not report: the VM did not boot\" type=\"error\"/>"),
	   "vm backend: the point is the message");
	check_valid(x, "vm backend: valid");
	free(x);
}

static void test_escaping(void)
{
	static const char tap[] =
		"# Subtest: a&b.lua\n"
		"    not ok 1 - <x> & \"y\" 'z' \\# not a directive \\\\ tab\there\n"
		"      ---\n"
		"      got: \"\x01\x1b[0m\x7f\"\n"
		"      bytes: \"\xff\xfe \xc0\xaf \xed\xa0\x80 \xef\xbf\xbf \xe2\x82\"\n"
		"      utf8: \"\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"\n"
		"      ...\n"
		"    1..1\n"
		"not ok 1 - a&b.lua (0 passed, 1 failed, 0.10 s)\n"
		"1..1\n";
	char *x = convert(tap);

	ok(has(x, "<testsuite name=\"a&amp;b.lua\""), "escape: & in a name");
	ok(has(x, "classname=\"a&amp;b\""), "escape: & in a classname");
	ok(has(x, "name=\"&lt;x&gt; &amp; &quot;y&quot; 'z' # not a directive \\ tab&#9;here\""),
	   "escape: markup, quotes, a tab in an attribute; TAP's \\# and \\\\ undone");
	ok(has(x, "got: \"\xef\xbf\xbd\xef\xbf\xbd[0m\x7f\""), "escape: control characters become U+FFFD");
	ok(has(x, "bytes: \"\xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd "
	          "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd\""),
	   "escape: invalid UTF-8 (stray, overlong, surrogate, U+FFFF, cut short) byte by byte as U+FFFD");
	ok(has(x, "utf8: \"\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\""), "escape: valid UTF-8 kept");
	check_valid(x, "escape: valid");
	free(x);

	int rc;
	static const char nul[] = "# Subtest: n.lua\n    ok 1 - a\0b\n    1..1\nok 1 - n.lua (1 passed, 0 failed, 0.01 s)\n1..1\n";
	x = convert_n(nul, sizeof nul - 1, &rc);
	ok(rc == 0 && has(x, "name=\"a\xef\xbf\xbd" "b\""), "escape: a NUL inside the input is U+FFFD, not the end");
	check_valid(x, "escape: NUL valid");
	free(x);
}

static void test_empty_truncated(void)
{
	static const char full[] =
		"TAP version 13\n"
		"# Subtest: f.lua\n"
		"    ok 1 - one\n"
		"    not ok 2 - two # with \\# hash\n"
		"      ---\n"
		"      at: \"f.lua:2\"\n"
		"      ...\n"
		"    ok 3 - three # SKIP why\n"
		"    1..3\n"
		"not ok 1 - f.lua (1 passed, 1 failed, some skipped, 0.50 s)\n"
		"# results: /nonexistent/f\n"
		"ok 2 - g.lua # SKIP needs esp\n"
		"1..2\n";
	int rc, crashed = 0, invalid = 0;
	char *x;

	x = convert("");
	ok(has(x, "<testcase classname=\"vpnlab\" name=\"plan\" time=\"0\">\n"
	          "      <error message=\"the TAP stream is empty\" type=\"truncated\"/>"), "empty: an error, not a pass");
	check_valid(x, "empty: valid");
	free(x);
	x = convert_n(NULL, 0, &rc);
	ok(rc == 0 && has(x, "errors=\"1\""), "NULL input: the same");
	free(x);

	x = convert("# Subtest: f.lua\n    ok 1 - one\n    not ok 2 - two\n      ---\n      at: \"f.lua:2\"\n");
	ok(has(x, "<failure message=\"two\" type=\"assertion\">---\nat: \"f.lua:2\"\n</failure>"),
	   "truncated: an unterminated YAML block is what there is");
	ok(has(x, "name=\"the scenario's end\" time=\"0\">\n"
	          "      <error message=\"the TAP stream ends inside this scenario's subtest\" type=\"truncated\"/>"),
	   "truncated: the unfinished scenario is an error");
	ok(has(x, "the TAP stream ends without its plan: the run did not finish"), "truncated: the run without its plan too");
	check_valid(x, "truncated: valid");
	free(x);

	x = convert("ok 1 - a.lua (1 passed, 0 failed, 0.10 s)\n1..3\n");
	ok(has(x, "the plan says 3 scenarios, the stream has 1"), "plan: a plan the stream does not meet is an error");
	free(x);

	/* Every prefix of a real stream: never an error, always a valid document. */
	for (size_t n = 0; n <= sizeof full - 1; n++) {
		x = convert_n(full, n, &rc);
		crashed += rc != 0 || x == NULL || !has(x, "</testsuites>\n");
		if (n % 23 == 0 || n == sizeof full - 1)
			invalid += valid(x) == 0;
		free(x);
	}
	is_int(crashed, 0, "truncated at every byte: converted");
	is_int(invalid, 0, "truncated: every sampled prefix valid against the schema");
}

static void test_garbage(void)
{
	static const char *pieces[] = {
		"ok", "not ok ", " - ", "# SKIP", " # TODO ", "\\", "#", "1..", "9999999999999999999",
		"Bail out!", "# Subtest: ", "    ", "  ---\n", "  ...\n", "\n", "(", ")", " s)", "\xff",
		"\xe2\x82", "\0", "\r\n", "# results: /", "# results: /tmp\n", "&<>\"",
	};
	char buf[512];
	unsigned state = 12345;
	int bad = 0, invalid = 0, rc;

	for (int iter = 0; iter < 3000; iter++) {
		size_t len = 0;
		char *x;

		while (len < sizeof buf - 32) {
			state = state * 1103515245u + 12345u;
			if ((state >> 16) % 4 == 0) {
				buf[len++] = (char)(state >> 8);
			} else {
				const char *p = pieces[(state >> 16) % (sizeof pieces / sizeof *pieces)];
				size_t n = *p ? strlen(p) : 1;
				memcpy(buf + len, p, n);
				len += n;
			}
			if ((state >> 20) % 50 == 0)
				break;
		}
		x = convert_n(buf, len, &rc);
		bad += rc != 0 || x == NULL || !has(x, "</testsuites>\n");
		if (iter % 150 == 0)
			invalid += valid(x) == 0;
		free(x);
	}
	is_int(bad, 0, "garbage: 3000 random streams converted");
	is_int(invalid, 0, "garbage: sampled outputs valid against the schema");
}

static void test_write_error(void)
{
	char err[256] = "";
	FILE *f = fopen("/dev/full", "w");

	if (f == NULL) {
		ok(1, "write error: no /dev/full (skipped)");
		return;
	}
	ok(junit_write("ok 1 - a\n1..1\n", 14, "vpnlab", f, err, sizeof err) == -1, "write error: -1");
	ok(has(err, "cannot write"), "write error: says so");
	fclose(f);
}

int main(void)
{
	snprintf(xml_file, sizeof xml_file, "/tmp/vpnlab-test-junit-%d.xml", (int)getpid());
	test_pass();
	test_fail_yaml();
	test_skip_todo();
	test_scenario_errors();
	test_bail_out();
	test_escaping();
	test_empty_truncated();
	test_garbage();
	test_write_error();
	unlink(xml_file);
	return unit_done();
}
