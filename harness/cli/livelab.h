/*
** livelab: the live lab's commands, split by what they do: livelab.c
** (dispatch, `up`), livedown.c (`down`, `ls`), livejoin.c (`exec`, `shell`),
** livecap.c (`capture`). Each returns the process exit status; 2 is a usage
** or input error.
*/
#ifndef VPNLAB_LIVELAB_H
#define VPNLAB_LIVELAB_H

#include "lab/labstate.h"

int livelab_up(int argc, char **argv);
int livelab_down(int argc, char **argv);
int livelab_ls(int argc, char **argv);
int livelab_exec(int argc, char **argv);
int livelab_shell(int argc, char **argv);
int livelab_capture(int argc, char **argv);

/* Read lab name into s, or print why not ("vpnlab: ...") and return -1. */
int livelab_read(const char *name, struct labstate *s);
/* The node named, or -1 after printing the lab's nodes. */
int livelab_node(const struct labstate *s, const char *name);

#endif
