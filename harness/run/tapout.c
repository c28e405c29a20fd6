/*
** tapout.c: see tapout.h. A glibc cookie stream: the runner keeps using
** stdio (and the VM forwarder its fwrite), and every write lands here.
*/
#include <stdlib.h>
#include <string.h>

#include "run/tapout.h"

static void take_line(struct tapout *t, const char *p, size_t n)
{
	if (t->on_line == NULL)
		return;
	if (t->len + n + 1 > t->cap) {
		size_t cap = t->cap ? t->cap : 256;
		while (cap < t->len + n + 1)
			cap *= 2;
		char *b = realloc(t->line, cap);
		if (b == NULL) {
			t->len = 0;          /* the observer misses a line; the stream itself goes on */
			return;
		}
		t->line = b;
		t->cap = cap;
	}
	memcpy(t->line + t->len, p, n);
	t->len += n;
}

static ssize_t tee_write(void *cookie, const char *buf, size_t size)
{
	struct tapout *t = cookie;
	size_t start = 0;

	if (fwrite(buf, 1, size, t->dest) != size || fflush(t->dest) != 0)
		t->failed = 1;
	if (t->copy != NULL && fwrite(buf, 1, size, t->copy) != size)
		t->failed = 1;
	for (size_t i = 0; i < size; i++) {
		if (buf[i] != '\n')
			continue;
		take_line(t, buf + start, i - start);
		if (t->on_line != NULL && t->line != NULL) {
			t->line[t->len] = '\0';
			t->on_line(t->ctx, t->line, t->len);
		}
		t->len = 0;
		start = i + 1;
	}
	take_line(t, buf + start, size - start);
	return (ssize_t)size;
}

FILE *tapout_open(struct tapout *t, FILE *dest, FILE *copy, tapout_line_fn on_line, void *ctx)
{
	cookie_io_functions_t io = { .read = NULL, .write = tee_write, .seek = NULL, .close = NULL };
	FILE *f;

	memset(t, 0, sizeof(*t));
	t->dest = dest;
	t->copy = copy;
	t->on_line = on_line;
	t->ctx = ctx;
	f = fopencookie(t, "w", io);
	if (f != NULL)
		setvbuf(f, NULL, _IOLBF, 0);
	return f;
}

void tapout_close(struct tapout *t, FILE *f)
{
	if (f != NULL)
		fclose(f);
	if (t->len > 0 && t->on_line != NULL && t->line != NULL) {
		t->line[t->len] = '\0';
		t->on_line(t->ctx, t->line, t->len);
	}
	if (t->copy != NULL)
		fflush(t->copy);
	free(t->line);
	t->line = NULL;
	t->len = t->cap = 0;
}
