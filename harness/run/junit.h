/*
** junit: a run's TAP stream (as vpnlab writes it: one subtest per scenario,
** top-level points per scenario, "# results: DIR" after each) as JUnit XML,
** the format CI servers (Jenkins, GitLab, GitHub Actions reporters) read.
** One <testsuite> per scenario, one <testcase> per test point of it; a
** failing point is a <failure> with its description as message and its YAML
** diagnostic as the body; "# SKIP reason" is <skipped message=reason/>; a
** scenario that did not run to its end (scenario error, time limit,
** interrupt, "Bail out!") is an <error>. The scenario's results folder and
** its pcap files are <properties>. Pure text in, XML out: no knowledge of the
** runner, so the same converter reads a saved run.tap.
*/
#ifndef VPNLAB_JUNIT_H
#define VPNLAB_JUNIT_H

#include <stddef.h>
#include <stdio.h>

/*
** Convert tap[0..len) into JUnit XML on out. name is the <testsuites>
** name (e.g. "vpnlab"). Returns 0, or -1 with err filled (out of memory, a
** write error). Malformed TAP is never an error: what cannot be read is
** kept as system-out text.
*/
int junit_write(const char *tap, size_t len, const char *name, FILE *out, char *err, size_t errlen);

#endif
