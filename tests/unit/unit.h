/*
** unit.h: a minimal TAP producer for the C unit tests. Each test binary
** prints "ok N - ..." lines and a trailing plan; prove reads them.
*/
#ifndef VPNLAB_UNIT_H
#define VPNLAB_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_count, unit_failed;

static int unit_ok(int cond, const char *file, int line, const char *what)
{
	unit_count++;
	printf("%sok %d - %s\n", cond ? "" : "not ", unit_count, what);
	if (!cond) {
		unit_failed++;
		printf("#   failed at %s:%d\n", file, line);
	}
	return cond;
}

#define ok(cond, what) unit_ok((cond) != 0, __FILE__, __LINE__, (what))
#define is_int(got, want, what) do { \
	long long g_ = (long long)(got), w_ = (long long)(want); \
	if (!unit_ok(g_ == w_, __FILE__, __LINE__, (what))) \
		printf("#   got %lld, want %lld\n", g_, w_); \
} while (0)
#define is_str(got, want, what) do { \
	const char *g_ = (got), *w_ = (want); \
	int same_ = (g_ && w_) ? strcmp(g_, w_) == 0 : g_ == w_; \
	if (!unit_ok(same_, __FILE__, __LINE__, (what))) \
		printf("#   got '%s', want '%s'\n", g_ ? g_ : "(null)", w_ ? w_ : "(null)"); \
} while (0)

static inline int unit_done(void)
{
	printf("1..%d\n", unit_count);
	return unit_failed != 0;
}

#endif
