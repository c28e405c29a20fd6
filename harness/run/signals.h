/*
** signals: termination and child signals as events of the loop (signalfd).
** SIGCHLD reaps children; SIGINT, SIGTERM and SIGHUP mark the loop
** interrupted so every wait returns and the scenario tears down in order.
*/
#ifndef VPNLAB_SIGNALS_H
#define VPNLAB_SIGNALS_H

#include "util/loop.h"

/* Block the signals and watch them on l. 0 or -1. */
int signals_init(struct loop *l);
/*
** Read what is pending now, without the loop (a busy Lua loop polls this
** from its count hook); returns signals_received().
*/
int signals_poll(void);
/* The termination signal received, or 0. */
int signals_received(void);

#endif
