/*
** hold: the holding side of a live lab (`vpnlab up`). In the detached
** holder process: isolation (the same network, mount and PID namespaces as a
** run, so a SIGKILL of the holder frees everything), then the scenario on the
** host backend up to vpnlab.pause() or its end, where the lab is recorded in
** the registry (lab/labstate.h) and `up` is told it is ready. The scenario
** is then held until a signal (`vpnlab down`) stops it, and its teardown is
** a run's own. A topology file is held through a two-line scenario that
** starts it and pauses.
*/
#ifndef VPNLAB_HOLD_H
#define VPNLAB_HOLD_H

#include <stddef.h>

struct hold_opts {
	const char *name;          /* the lab's name */
	const char *file;          /* the topology or scenario, as the user gave it (for messages) */
	const char *abs_file;      /* the same, absolute */
	int topology;              /* 1: file is a topology (hold_is_topology) */
	const char *run_dir;       /* this lab's run folder under results/ (absolute, created) */
	const char *scenario_dir;  /* the scenario's results folder inside it (created) */
	double timeout;            /* time limit of the part before the pause, seconds (0: the default) */
	int registry_fd;           /* the lab's registry folder (labstate_create) */
	int proc_fd;               /* the host's /proc, opened before isolation (O_PATH) */
	int ready_fd;              /* `up`'s pipe: "ready" or "error\n<message>", then a NUL */
};

/*
** 1 when path is a topology file (run as pure Lua, it returns a table with
** `nodes`), 0 when it is something else (a scenario), -1 when it cannot be
** read (err filled). Nothing but pure Lua runs, under an instruction limit.
*/
int hold_is_topology(const char *path, char *err, size_t errlen);

/*
** Run in the holder (already detached, stdio on its log). Returns the exit
** status of the lab's PID-1 process once the scenario ends: 0 after a
** hold stopped by a signal, 2 when the lab never became ready (`up` got the
** reason through ready_fd). The holder process itself waits inside
** isolate_enter and exits with that status.
*/
int hold_main(const struct hold_opts *o);

#endif
