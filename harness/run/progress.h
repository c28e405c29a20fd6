/*
** progress: what a person at a terminal sees on stderr while `vpnlab run`
** works: scenario n of N and its name, the VM booting, the current
** scenario's last test point, redrawn on one line (a TTY) so the TAP on
** stdout is never disturbed. It only observes the run's TAP stream, line
** by line, so it is the same for the host's scenarios and those the VM
** reports.
*/
#ifndef VPNLAB_PROGRESS_H
#define VPNLAB_PROGRESS_H

#include <stdio.h>

enum progress_mode {
	PROGRESS_OFF,       /* --quiet, or stderr is not a terminal */
	PROGRESS_LINE,      /* a terminal: one status line, redrawn in place (\r, cleared) */
	PROGRESS_VERBOSE,   /* --verbose: every scenario start, test point and result as its own line */
};

struct progress;

/* total: how many scenarios the run has. NULL when out of memory (the run goes on without). */
struct progress *progress_open(FILE *err, enum progress_mode mode, int total);
/* One line of the TAP stream, without its newline, as it is written. */
void progress_line(struct progress *p, const char *line, size_t len);
/* Clear the status line (before the final summary). Safe with NULL. */
void progress_close(struct progress *p);

#endif
