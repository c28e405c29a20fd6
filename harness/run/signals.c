/*
** signals.c: see signals.h. The runner is PID 1 of its PID namespace;
** blocked signals still queue for it, so signalfd sees them.
*/
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "run/signals.h"
#include "lab/spawn.h"

static int received;
static int signal_fd = -1;
static struct loop *signal_loop;

static void on_signal(void *arg, int fd, short revents)
{
	struct loop *l = arg;
	struct signalfd_siginfo si;
	(void)revents;

	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGCHLD) {
			spawn_reap();
			continue;
		}
		received = (int)si.ssi_signo;
		l->interrupted = 1;
	}
}

int signals_init(struct loop *l)
{
	sigset_t set;
	int fd;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -1;
	signal_fd = fd;
	signal_loop = l;
	return loop_add(l, fd, POLLIN, on_signal, l);
}

int signals_poll(void)
{
	if (signal_fd >= 0)
		on_signal(signal_loop, signal_fd, POLLIN);
	return received;
}

int signals_received(void)
{
	return received;
}
