/*
** loop: the run's single event loop. Everything that produces events
** (capture sockets, daemon output pipes, VICI event sockets, the signalfd)
** registers a file descriptor with a callback. A blocking Lua call runs the
** loop until its own condition holds or its deadline passes: no threads, no
** fixed sleeps.
*/
#ifndef VPNLAB_LOOP_H
#define VPNLAB_LOOP_H

typedef void (*loop_fn)(void *arg, int fd, short revents);

struct loop_watch {
	int fd;
	short events;
	loop_fn fn;
	void *arg;
};

struct loop {
	struct loop_watch *w;
	int n, cap;
	int interrupted;          /* set by a callback (SIGINT/SIGTERM): waits return early */
};

void loop_init(struct loop *l);
void loop_free(struct loop *l);
int loop_add(struct loop *l, int fd, short events, loop_fn fn, void *arg);
void loop_del(struct loop *l, int fd);
/* Wait at most timeout seconds (<0: forever) and dispatch what is ready. 0 or -1. */
int loop_once(struct loop *l, double timeout);
/* Monotonic clock in seconds. */
double loop_now(void);

#endif
