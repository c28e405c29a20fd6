/*
** tapout: the run's TAP stream as one FILE that copies every byte to its
** destination (stdout) and to a file (the run's run.tap, which --junit
** converts at the end), and hands every complete line to an observer (the
** terminal progress). Everything the runner prints, the VM's forwarded
** scenarios included, goes through it, so each consumer sees exactly the
** stream prove sees.
*/
#ifndef VPNLAB_TAPOUT_H
#define VPNLAB_TAPOUT_H

#include <stddef.h>
#include <stdio.h>

typedef void (*tapout_line_fn)(void *ctx, const char *line, size_t len);

struct tapout {
	FILE *dest;               /* stdout */
	FILE *copy;               /* the run.tap file, or NULL */
	tapout_line_fn on_line;   /* or NULL */
	void *ctx;
	char *line;               /* the line being assembled for on_line */
	size_t len, cap;
	int failed;               /* a write to dest or copy failed */
};

/* The FILE to print TAP to (line buffered); NULL if it cannot be made. */
FILE *tapout_open(struct tapout *t, FILE *dest, FILE *copy, tapout_line_fn on_line, void *ctx);
/* Flush and close the FILE (not dest or copy); hands on a last unterminated line. */
void tapout_close(struct tapout *t, FILE *f);

#endif
