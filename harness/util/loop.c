/*
** loop.c: a poll(2) loop. Watches are kept in an array; a callback may add
** or remove watches while the loop dispatches, so dispatch walks a snapshot
** of the poll set and looks each fd up again before calling.
*/
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/loop.h"

void loop_init(struct loop *l)
{
	memset(l, 0, sizeof(*l));
}

void loop_free(struct loop *l)
{
	free(l->w);
	memset(l, 0, sizeof(*l));
}

int loop_add(struct loop *l, int fd, short events, loop_fn fn, void *arg)
{
	if (l->n == l->cap) {
		int cap = l->cap ? l->cap * 2 : 16;
		struct loop_watch *w = realloc(l->w, (size_t)cap * sizeof(*w));
		if (w == NULL)
			return -1;
		l->w = w;
		l->cap = cap;
	}
	l->w[l->n++] = (struct loop_watch){ fd, events, fn, arg };
	return 0;
}

void loop_del(struct loop *l, int fd)
{
	for (int i = 0; i < l->n; i++) {
		if (l->w[i].fd == fd) {
			l->w[i] = l->w[--l->n];
			return;
		}
	}
}

static struct loop_watch *find_watch(struct loop *l, int fd)
{
	for (int i = 0; i < l->n; i++)
		if (l->w[i].fd == fd)
			return &l->w[i];
	return NULL;
}

double loop_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int loop_once(struct loop *l, double timeout)
{
	struct pollfd *p = calloc(l->n ? (size_t)l->n : 1, sizeof(*p));
	int n = l->n, ms = timeout < 0 ? -1 : (int)(timeout * 1000.0 + 0.999);
	if (p == NULL)
		return -1;
	for (int i = 0; i < n; i++)
		p[i] = (struct pollfd){ .fd = l->w[i].fd, .events = l->w[i].events };
	int r = poll(p, (nfds_t)n, ms);
	if (r < 0) {
		free(p);
		return errno == EINTR ? 0 : -1;
	}
	for (int i = 0; i < n && r > 0; i++) {
		if (p[i].revents == 0)
			continue;
		r--;
		struct loop_watch *w = find_watch(l, p[i].fd);
		if (w != NULL)
			w->fn(w->arg, p[i].fd, p[i].revents);
	}
	free(p);
	return 0;
}
