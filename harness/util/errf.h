/*
** errf: the house's way to fail. Fill the caller's error buffer printf-style
** (err may be NULL or errlen 0: then nothing is written) and return -1, so
** a failing path is one line: `return errf(err, errlen, "...", ...);`.
*/
#ifndef VPNLAB_ERRF_H
#define VPNLAB_ERRF_H

#include <stddef.h>

int errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
