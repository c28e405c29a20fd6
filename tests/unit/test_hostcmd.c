/*
** test_hostcmd: running a host program the way `vm prepare` runs apt-get,
** dpkg and depmod: stdout kept, the useful stderr line picked for the
** error, a program that cannot run reported as such, the working folder
** honoured, and an output flood refused instead of eating memory.
*/
#include <stdio.h>
#include <string.h>

#include "vm/hostcmd.h"
#include "unit.h"

static int run(const char *const *argv, const char *cwd, int want_out, struct hostcmd *p, char *err,
               size_t errlen)
{
	memset(p, 0, sizeof(*p));
	p->argv = argv;
	p->cwd = cwd;
	p->want_out = want_out;
	err[0] = '\0';
	return hostcmd_run(p, err, errlen);
}

int main(void)
{
	struct hostcmd p;
	char err[512];

	const char *echo[] = { "sh", "-c", "printf 'Depends: x\\n'; echo noise >&2", NULL };
	is_int(run(echo, NULL, 1, &p, err, sizeof(err)), 0, "exit 0: success");
	is_str(p.out, "Depends: x\n", "stdout kept");
	ok(strstr(p.tail, "noise") != NULL, "stderr's end kept");
	is_int(p.status, 0, "status 0");
	hostcmd_free(&p);

	const char *pwd[] = { "pwd", NULL };
	run(pwd, "/usr", 1, &p, err, sizeof(err));
	is_str(p.out, "/usr\n", "the working folder is honoured");
	hostcmd_free(&p);

	const char *apt[] = { "sh", "-c", "echo 'W: a warning' >&2; echo 'E: the real error' >&2;"
	                      " echo 'trailing chatter' >&2; exit 100", NULL };
	is_int(run(apt, NULL, 0, &p, err, sizeof(err)), -1, "exit 100: failure");
	is_int(p.status, 100, "status 100");
	ok(strstr(err, "E: the real error") != NULL, "the error prefers apt's \"E: \" line");
	ok(strstr(err, "sh") != NULL, "the error names the program");
	hostcmd_free(&p);

	const char *missing[] = { "/nonexistent/apt-get", "download", NULL };
	is_int(run(missing, NULL, 0, &p, err, sizeof(err)), -1, "a program that cannot run fails");
	ok(strstr(err, "No such file") != NULL, "... and says why (not exit status 127)");
	hostcmd_free(&p);

	const char *flood[] = { "head", "-c", "1100000", "/dev/zero", NULL };
	is_int(run(flood, NULL, 1, &p, err, sizeof(err)), -1, "more stdout than the cap fails");
	ok(strstr(err, "more than") != NULL, "... and says so");
	ok(p.outlen <= HOSTCMD_OUT_MAX, "... without keeping more than the cap");
	hostcmd_free(&p);

	const char *quiet[] = { "head", "-c", "1100000", "/dev/zero", NULL };
	is_int(run(quiet, NULL, 0, &p, err, sizeof(err)), 0, "unwanted stdout is thrown away, not capped");
	hostcmd_free(&p);
	hostcmd_free(NULL);
	ok(1, "hostcmd_free(NULL) is harmless");
	return unit_done();
}
