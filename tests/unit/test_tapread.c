/*
** Unit tests for tapread.c, on its own: a scenario's subtest read into a
** suite with its points (pass, fail with YAML, SKIP, TODO), its summary's
** seconds and its "# results:"; a stray line, a Bail out!, a missing or
** wrong plan as the run's problems; a cut or garbled stream classified,
** never a crash.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/tapread.h"
#include "unit.h"

static int span_eq(const struct tapread_run *r, struct tapread_span s, const char *want)
{
	return s.len == strlen(want) && memcmp(r->tap + s.off, want, s.len) == 0;
}

static const char good[] =
	"TAP version 14\n"
	"# Subtest: a.lua\n"
	"    ok 1 - up\n"
	"    not ok 2 - ping\n"
	"      ---\n"
	"      got: 0\n"
	"      ...\n"
	"    ok 3 - later # SKIP no v6\n"
	"    not ok 4 - wish # TODO one day\n"
	"    1..4\n"
	"not ok 1 - a.lua (2 passed, 1 failed, 1.50 s)\r\n"
	"# results: /tmp/x/a\n"
	"ok 2 - b.lua # SKIP needs the vm\n"
	"1..2\n";

static void test_good(void)
{
	struct tapread_run r;
	const struct tapread_suite *a;

	ok(tapread_parse(&r, good, sizeof(good) - 1) == 0, "parse: 0");
	is_int(r.nsuites, 2, "two scenarios");
	a = &r.suites[0];
	ok(span_eq(&r, a->name, "a.lua"), "name from the header");
	is_int(a->ncases, 4, "four points");
	is_int(a->cases[0].status, TAPREAD_PASS, "1 passes");
	is_int(a->cases[1].status, TAPREAD_FAIL, "2 fails");
	ok(span_eq(&r, a->cases[1].yaml, "      ---\n      got: 0\n      ..."), "2's YAML block");
	is_int(a->cases[1].yaml_indent, 6, "YAML indent");
	is_int(a->cases[2].status, TAPREAD_SKIP, "3 skipped");
	ok(span_eq(&r, a->cases[2].reason, "no v6"), "SKIP reason");
	ok(a->cases[3].status == TAPREAD_SKIP && a->cases[3].todo, "failing TODO: skipped");
	ok(a->seconds > 1.49 && a->seconds < 1.51, "seconds from the summary");
	ok(span_eq(&r, a->results, "/tmp/x/a"), "# results: is the scenario's");
	ok(r.suites[1].ncases == 1 && r.suites[1].cases[0].status == TAPREAD_SKIP, "a skipped scenario");
	ok(r.runsuite.ncases == 0 && !r.runsuite.stray, "the run has nothing to say");
	tapread_free(&r);
}

static void test_problems(void)
{
	static const char bail[] = "# Subtest: a.lua\n    ok 1 - up\nBail out! gone\nok 1 - x\n";
	static const char stray[] = "hello\nok 1 - a.lua (1 passed, 0 failed, 0.1 s)\n1..3\n";
	struct tapread_run r;
	const struct tapread_suite *s;

	ok(tapread_parse(&r, bail, sizeof(bail) - 1) == 0, "bail: parse 0");
	s = &r.suites[0];
	ok(s->ncases == 2 && s->cases[1].status == TAPREAD_ERROR && !strcmp(s->cases[1].type, "bail out"),
	   "Bail out! ends the open scenario with an error");
	ok(span_eq(&r, s->cases[1].reason, "gone"), "its reason");
	ok(r.runsuite.stray && r.runsuite.nout == 1, "a line after it is stray");
	tapread_free(&r);

	ok(tapread_parse(&r, stray, sizeof(stray) - 1) == 0, "stray: parse 0");
	ok(r.runsuite.stray && r.runsuite.nout == 1, "a stray line is the run's");
	ok(r.runsuite.ncases == 1 && !strcmp(r.runsuite.cases[0].type, "plan"), "wrong plan: the run's error");
	tapread_free(&r);

	ok(tapread_parse(&r, NULL, 5) == 0 && r.nsuites == 0, "NULL: empty");
	ok(r.runsuite.ncases == 1 && !strcmp(r.runsuite.cases[0].note, "the TAP stream is empty"), "empty: no plan");
	tapread_free(&r);
}

/* Every prefix of the good stream, and garbled copies: read without a crash. */
static void test_garbled(void)
{
	char buf[sizeof(good)];
	struct tapread_run r;
	int fails = 0;

	for (size_t n = 0; n < sizeof(good); n++) {
		fails += tapread_parse(&r, good, n) != 0;
		tapread_free(&r);
	}
	srand(7);
	for (int k = 0; k < 2000; k++) {
		memcpy(buf, good, sizeof(good) - 1);
		for (int j = 0; j < 8; j++)
			buf[rand() % (sizeof(good) - 1)] = (char)(rand() % 256);
		fails += tapread_parse(&r, buf, sizeof(good) - 1) != 0;
		tapread_free(&r);
	}
	is_int(fails, 0, "prefixes and garbled copies read");
	tapread_free(NULL);
}

int main(void)
{
	test_good();
	test_problems();
	test_garbled();
	return unit_done();
}
