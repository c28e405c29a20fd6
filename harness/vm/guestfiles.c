/*
** guestfiles.c: see guestfiles.h.
*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vm/guestfiles.h"

static int add_file(struct guest_args *a, const char *path)
{
	char **v = realloc(a->files, (size_t)(a->nfiles + 1) * sizeof(*v));
	if (v == NULL)
		return -1;
	a->files = v;
	return (a->files[a->nfiles++] = strdup(path)) == NULL ? -1 : 0;
}

/* One "key value" line into a; 0, or -1 for an unknown key or a bad value. */
static int parse_line(struct guest_args *a, const char *key, const char *value)
{
	char *end;
	if (!strcmp(key, "cwd"))
		return snprintf(a->cwd, sizeof(a->cwd), "%s", value) < (int)sizeof(a->cwd) ? 0 : -1;
	if (!strcmp(key, "results"))
		return snprintf(a->results, sizeof(a->results), "%s", value) < (int)sizeof(a->results) ? 0 : -1;
	if (!strcmp(key, "accel"))
		return snprintf(a->accel, sizeof(a->accel), "%s", value) < (int)sizeof(a->accel) ? 0 : -1;
	if (!strcmp(key, "cache"))
		return value[0] == '/' && snprintf(a->cache, sizeof(a->cache), "%s", value) < (int)sizeof(a->cache) ? 0 : -1;
	if (!strcmp(key, "file"))
		return value[0] == '/' ? add_file(a, value) : -1;
	if (!strcmp(key, "offset")) {
		long v = strtol(value, &end, 10);
		a->offset = (int)v;
		return *value && !*end && v >= 0 && v < 1000000 ? 0 : -1;
	}
	if (!strcmp(key, "time_scale")) {
		a->time_scale = strtod(value, &end);
		return *value && !*end && a->time_scale > 0 && a->time_scale <= 100 ? 0 : -1;
	}
	if (!strcmp(key, "timeout")) {
		a->timeout = strtod(value, &end);
		return *value && !*end && a->timeout > 0 ? 0 : -1;
	}
	if (!strcmp(key, "jobs")) {
		long v = strtol(value, &end, 10);
		a->jobs = (int)v;
		return *value && !*end && v >= 1 && v <= 64 ? 0 : -1;
	}
	if (!strcmp(key, "clock")) {
		a->clock = strtod(value, &end);
		return *value && !*end && a->clock >= 0 ? 0 : -1;
	}
	return -1;
}

int guest_args_read(const char *path, struct guest_args *a, char *err, size_t errlen)
{
	char line[PATH_MAX + 32];
	FILE *f = fopen(path, "re");
	int lineno = 0;

	memset(a, 0, sizeof(a[0]));
	a->time_scale = 1.0;
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *sp, *nl = strchr(line, '\n');
		lineno++;
		if (nl == NULL && !feof(f))
			goto bad;
		if (nl != NULL)
			*nl = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if ((sp = strchr(line, ' ')) == NULL)
			goto bad;
		*sp = '\0';
		if (parse_line(a, line, sp + 1) < 0)
			goto bad;
	}
	fclose(f);
	if (!a->results[0] || !a->cwd[0]) {
		snprintf(err, errlen, "%s: no results or cwd line", path);
		guest_args_free(a);
		return -1;
	}
	return 0;
bad:
	snprintf(err, errlen, "%s:%d: bad line", path, lineno);
	fclose(f);
	guest_args_free(a);
	return -1;
}

int guest_args_write(const char *path, const struct guest_args *a, char *err, size_t errlen)
{
	FILE *f;
	const char *paths[] = { a->cwd, a->results };

	for (int i = 0; i < 2; i++)
		if (strchr(paths[i], '\n')) {
			snprintf(err, errlen, "a path with a newline cannot be passed to the guest");
			return -1;
		}
	for (int i = 0; i < a->nfiles; i++)
		if (strchr(a->files[i], '\n') || a->files[i][0] != '/') {
			snprintf(err, errlen, "%s: the guest needs an absolute path without newlines", a->files[i]);
			return -1;
		}
	if ((f = fopen(path, "we")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	fprintf(f, "# vpnlab guest arguments (written by the host's vm backend)\n");
	fprintf(f, "cwd %s\nresults %s\noffset %d\ntime_scale %g\nclock %.3f\naccel %s\n", a->cwd,
	        a->results, a->offset, a->time_scale, a->clock, a->accel[0] ? a->accel : "tcg");
	if (a->timeout > 0)
		fprintf(f, "timeout %g\n", a->timeout);
	if (a->jobs > 1)
		fprintf(f, "jobs %d\n", a->jobs);
	if (a->cache[0])
		fprintf(f, "cache %s\n", a->cache);
	for (int i = 0; i < a->nfiles; i++)
		fprintf(f, "file %s\n", a->files[i]);
	if (fclose(f) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

void guest_args_free(struct guest_args *a)
{
	for (int i = 0; i < a->nfiles; i++)
		free(a->files[i]);
	free(a->files);
	a->files = NULL;
	a->nfiles = 0;
}

int guest_status_write(const char *path, const struct guest_status *s)
{
	char tmp[PATH_MAX + 8];
	FILE *f;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "we")) == NULL)
		return -1;
	fprintf(f, "scenarios %d\npassed %d\nfailed %d\nerrors %d\nskipped %d\nbailed %d\nend\n",
	        s->scenarios, s->passed, s->failed, s->errors, s->skipped, s->bailed);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
		fclose(f);
		return -1;
	}
	fclose(f);
	return rename(tmp, path);
}

int guest_status_read(const char *path, struct guest_status *s)
{
	FILE *f = fopen(path, "re");
	int n, end = 0;
	if (f == NULL)
		return -1;
	memset(s, 0, sizeof(*s));
	/* %n after the end marker: a file cut short before "end" does not count. */
	n = fscanf(f, "scenarios %d\npassed %d\nfailed %d\nerrors %d\nskipped %d\nbailed %d\nend%n",
	           &s->scenarios, &s->passed, &s->failed, &s->errors, &s->skipped, &s->bailed, &end);
	fclose(f);
	return n == 6 && end > 0 ? 0 : -1;
}
