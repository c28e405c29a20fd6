/*
** Unit tests for tap.c: exact lines on the main stream (indented by depth)
** and on the copy (as if at depth 0), escaping, YAML blocks, SKIP, plans,
** comments, Bail out!, errno preservation and flushing; then the real
** consumer: nested streams written by tap.c are fed to prove, which must
** pass the good one and fail the ones with a failing point.
*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run/tap.h"
#include "unit.h"

/* A tap writing into memory; text is read without any fflush by the test. */
struct mem {
	char *buf, *cbuf;
	size_t len, clen;
	FILE *f, *c;
	struct tap t;
};

static void mem_open(struct mem *m, int depth, int with_copy)
{
	memset(m, 0, sizeof *m);
	m->f = open_memstream(&m->buf, &m->len);
	if (with_copy)
		m->c = open_memstream(&m->cbuf, &m->clen);
	if (!m->f || (with_copy && !m->c)) {
		printf("Bail out! open_memstream failed\n");
		exit(1);
	}
	tap_init(&m->t, m->f, depth);
	m->t.copy = m->c;
}

/* What the streams hold now: the tap must have flushed for this to be complete. */
static const char *mem_main(struct mem *m)
{
	return m->len ? m->buf : "";
}

static const char *mem_copy(struct mem *m)
{
	return m->clen ? m->cbuf : "";
}

static void mem_close(struct mem *m)
{
	fclose(m->f);
	if (m->c)
		fclose(m->c);
	free(m->buf);
	free(m->cbuf);
}

static void test_points(void)
{
	struct mem m;
	int n;

	mem_open(&m, 0, 0);
	tap_version(&m.t);
	is_str(mem_main(&m), "TAP version 13\n", "version line (13: what prove 3.44 accepts)");
	n = tap_point(&m.t, 1, NULL, "first %d", 1);
	is_int(n, 1, "tap_point returns its number");
	n = tap_point(&m.t, 0, NULL, "second");
	is_int(n, 2, "numbers count up");
	is_str(mem_main(&m), "TAP version 13\nok 1 - first 1\nnot ok 2 - second\n",
	       "ok / not ok lines, flushed");
	is_int(m.t.count, 2, "count field");
	is_int(m.t.failed, 1, "failed field");
	mem_close(&m);

	mem_open(&m, 0, 0);
	tap_point(&m.t, 1, NULL, "a # b \\ c\nd\re");
	is_str(mem_main(&m), "ok 1 - a \\# b \\\\ c d e\n", "description: # and \\ escaped, newlines -> spaces");
	mem_close(&m);

	mem_open(&m, 0, 0);
	tap_point(&m.t, 1, NULL, "%s", "");
	is_str(mem_main(&m), "ok 1\n", "empty description: no dash");
	mem_close(&m);

	mem_open(&m, 0, 0);
	{
		char long_desc[2000];

		memset(long_desc, 'x', sizeof long_desc - 1);
		long_desc[sizeof long_desc - 1] = '\0';
		long_desc[1500] = '#';
		tap_point(&m.t, 1, NULL, "%s", long_desc);
		ok(m.len == strlen("ok 1 - ") + 1999 + 1 + 1 && strstr(mem_main(&m), "x\\#x"),
		   "long description (beyond the stack buffer) intact and escaped");
	}
	mem_close(&m);
}

static void test_diag(void)
{
	struct mem m;

	mem_open(&m, 0, 0);
	tap_point(&m.t, 0, "  message: \"x\"\n  found: 0\n", "d");
	is_str(mem_main(&m), "not ok 1 - d\n  ---\n  message: \"x\"\n  found: 0\n  ...\n",
	       "diag block at depth 0");
	mem_close(&m);

	mem_open(&m, 1, 1);
	tap_point(&m.t, 0, "  message: \"x\"\n  nested:\n    a: 1\n", "d");
	is_str(mem_main(&m), "    not ok 1 - d\n      ---\n      message: \"x\"\n      nested:\n"
	       "        a: 1\n      ...\n", "diag block at depth 1: four more spaces");
	is_str(mem_copy(&m), "not ok 1 - d\n  ---\n  message: \"x\"\n  nested:\n    a: 1\n  ...\n",
	       "copy stream: same block as at depth 0");
	mem_close(&m);

	mem_open(&m, 0, 0);
	tap_point(&m.t, 0, "message: x\n\nsub:\n  k: v", "d");
	is_str(mem_main(&m), "not ok 1 - d\n  ---\n  message: x\n  sub:\n    k: v\n  ...\n",
	       "unindented diag gets two spaces, keeps nesting, drops blank lines");
	mem_close(&m);

	mem_open(&m, 0, 0);
	tap_point(&m.t, 1, "", "e");
	is_str(mem_main(&m), "ok 1 - e\n", "empty diag: no block");
	mem_close(&m);
}

static void test_skip_plan(void)
{
	struct mem m;
	int n;

	mem_open(&m, 0, 0);
	n = tap_skip(&m.t, "no kernel ESP", "raw esp %s", "tunnel");
	tap_skip(&m.t, NULL, "other");
	tap_skip(&m.t, "a\nb # c", "x#y");
	is_int(n, 1, "tap_skip returns its number");
	is_str(mem_main(&m), "ok 1 - raw esp tunnel # SKIP no kernel ESP\nok 2 - other # SKIP\n"
	       "ok 3 - x\\#y # SKIP a b # c\n", "skip lines");
	is_int(m.t.skipped, 3, "skipped field");
	is_int(m.t.failed, 0, "skips are not failures");
	tap_plan(&m.t);
	ok(strstr(mem_main(&m), "\n1..3\n") != NULL, "plan counts the points");
	mem_close(&m);

	mem_open(&m, 2, 1);
	tap_plan_skip_all(&m.t, "needs\nroot");
	is_str(mem_main(&m), "        1..0 # SKIP needs root\n", "skip-all plan at depth 2");
	is_str(mem_copy(&m), "1..0 # SKIP needs root\n", "skip-all plan in the copy");
	mem_close(&m);

	mem_open(&m, 0, 0);
	tap_plan(&m.t);
	is_str(mem_main(&m), "1..0\n", "plan with no points");
	mem_close(&m);
}

static void test_comments_subtests(void)
{
	struct mem m;

	mem_open(&m, 0, 0);
	tap_comment(&m.t, "hello %s", "world");
	tap_comment(&m.t, "one\ntwo\n\nfour\n");
	is_str(mem_main(&m), "# hello world\n# one\n# two\n#\n# four\n",
	       "comments: each line prefixed, blank line '#', final newline adds none");
	mem_close(&m);

	mem_open(&m, 1, 1);
	tap_subtest_header(&m.t, "ikev2-nat");
	tap_comment(&m.t, "inside");
	tap_point(&m.t, 1, NULL, "up");
	tap_plan(&m.t);
	is_str(mem_main(&m), "    # Subtest: ikev2-nat\n    # inside\n    ok 1 - up\n    1..1\n",
	       "subtest at depth 1: four spaces");
	is_str(mem_copy(&m), "# Subtest: ikev2-nat\n# inside\nok 1 - up\n1..1\n",
	       "copy of the subtest: a document at depth 0");
	mem_close(&m);

	mem_open(&m, 2, 1);
	tap_bail_out(&m.t, "charon %s\nstopped", "died");
	is_str(mem_main(&m), "Bail out! charon died stopped\n", "bail out at column 0 from depth 2");
	is_str(mem_copy(&m), "Bail out! charon died stopped\n", "bail out in the copy");
	mem_close(&m);

	mem_open(&m, 0, 0);
	tap_bail_out(&m.t, "%s", "");
	is_str(mem_main(&m), "Bail out!\n", "bail out without a reason");
	mem_close(&m);
}

static void test_misc(void)
{
	struct mem m;
	struct tap t;
	int e;

	tap_init(&t, NULL, -3);
	ok(t.out == stdout && t.depth == 0 && t.copy == NULL && t.count == 0,
	   "tap_init: NULL out is stdout, negative depth is 0");

	mem_open(&m, 0, 1);
	errno = EDOM;
	tap_version(&m.t);
	tap_comment(&m.t, "c");
	tap_point(&m.t, 0, "  a: 1\n", "p");
	tap_skip(&m.t, "r", "s");
	tap_plan(&m.t);
	tap_plan_skip_all(&m.t, "x");
	tap_subtest_header(&m.t, "h");
	tap_bail_out(&m.t, "b");
	e = errno;
	is_int(e, EDOM, "errno preserved across every printer");
	mem_close(&m);
}

/* ---- prove -------------------------------------------------------------------- */

static char workdir[64];

/* A sample run: a scenario subtest (with its own copy file) inside the main stream. */
static void write_stream(const char *path, const char *copy_path, int fail_in_desc)
{
	FILE *f = fopen(path, "w"), *c = fopen(copy_path, "w");
	struct tap top, sub;

	if (!f || !c) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
	tap_init(&top, f, 0);
	tap_version(&top);
	tap_comment(&top, "vpnlab sample\nsecond comment line");
	tap_subtest_header(&top, "ikev2-psk-nat");
	tap_init(&sub, f, 1);
	sub.copy = c;
	tap_version(&sub);
	tap_point(&sub, 1, NULL, "ike established # first try");
	tap_point(&sub, 1, "  message: \"informational\"\n  seen_instead: {ike: 4, udp: 2}\n"
	          "  last_packet: \"0.412 wan 203.0.113.2:500 > 203.0.113.3:500 ike IKE_SA_INIT v2 I\"\n"
	          "  nested:\n    frame: 7\n", "diag on a passing point");
	tap_skip(&sub, "kernel lacks ESP", "raw esp");
	tap_plan(&sub);
	tap_point(&top, sub.failed == 0, NULL, "ikev2-psk-nat");
	tap_point(&top, 1, "  message: \"a \\\"quoted\\\" word\"\n  found: 0\n", "top-level diag");
	if (fail_in_desc)
		tap_point(&top, 0, "  message: \"expected at least one packet\"\n  found: \"0 matching of 3 packets\"\n",
		          "looks like a # TODO but is a failure");
	tap_skip(&top, "not here", "skipped at top");
	tap_plan(&top);
	fclose(f);
	fclose(c);
}

/* prove on a .t script that cats path: its exit status, output kept in out. */
static int prove_on(const char *path, char *out, size_t len)
{
	char script[128], cmd[256];
	size_t n = 0;
	FILE *f, *p;
	int st;

	snprintf(script, sizeof script, "%s/x.t", workdir);
	f = fopen(script, "w");
	if (!f)
		return -1;
	fprintf(f, "#!/bin/sh\ncat '%s'\n", path);
	fclose(f);
	chmod(script, 0755);
	snprintf(cmd, sizeof cmd, "prove %s 2>&1", script);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	out[0] = '\0';
	while (n + 1 < len && fgets(out + n, (int)(len - n), p))
		n += strlen(out + n);
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_prove(void)
{
	char main_path[128], copy_path[128], out[8192];
	int rc;

	if (system("command -v prove >/dev/null 2>&1") != 0) {
		ok(1, "prove accepts the nested stream # SKIP prove not installed");
		return;
	}
	snprintf(workdir, sizeof workdir, "/tmp/test_tap.XXXXXX");
	if (!mkdtemp(workdir)) {
		ok(0, "mkdtemp for the prove test");
		return;
	}
	snprintf(main_path, sizeof main_path, "%s/main.tap", workdir);
	snprintf(copy_path, sizeof copy_path, "%s/copy.tap", workdir);

	write_stream(main_path, copy_path, 0);
	rc = prove_on(main_path, out, sizeof out);
	if (!ok(rc == 0 && strstr(out, "Result: PASS") && !strstr(out, "Parse errors"),
	        "prove passes the nested stream, no parse errors"))
		printf("# %s", out);
	rc = prove_on(copy_path, out, sizeof out);
	if (!ok(rc == 0 && strstr(out, "Result: PASS") && !strstr(out, "Parse errors"),
	        "prove passes the subtest's copy as a document of its own"))
		printf("# %s", out);

	write_stream(main_path, copy_path, 1);
	rc = prove_on(main_path, out, sizeof out);
	if (!ok(rc != 0 && strstr(out, "Result: FAIL") && strstr(out, "Failed test:  3"),
	        "prove fails a not-ok point whose description holds '# TODO' (escaped)"))
		printf("# %s", out);

	unlink(main_path);
	unlink(copy_path);
	snprintf(main_path, sizeof main_path, "%s/x.t", workdir);
	unlink(main_path);
	rmdir(workdir);
}

int main(void)
{
	test_points();
	test_diag();
	test_skip_plan();
	test_comments_subtests();
	test_misc();
	test_prove();
	return unit_done();
}
