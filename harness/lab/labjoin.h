/*
** labjoin: step into a live lab from outside (`vpnlab exec`, `shell`,
** `capture`). Everything is reached through the lab's PID-1 process, as the
** registry records it (lab/labstate.h): its PID and mount namespaces, and
** the nodes' network namespaces as its file descriptors. The work is done by
** a child forked into the lab's PID namespace, so `vpnlab down` (which ends
** that namespace) ends it too and nothing a user starts outlives the lab.
*/
#ifndef VPNLAB_LABJOIN_H
#define VPNLAB_LABJOIN_H

#include <stddef.h>
#include <sys/types.h>

#include "lab/labstate.h"

struct labjoin {
	const struct labstate *s;
	int pidns;                 /* the lab's PID namespace */
	int mntns;                 /* the run's mount namespace (private /run, the lab's /proc) */
};

/*
** Check that the lab is running and open its namespaces. 0, or -1 with err
** filled (a lab whose holder is gone says how to clean it).
*/
int labjoin_open(struct labjoin *j, const struct labstate *s, char *err, size_t errlen);
void labjoin_close(struct labjoin *j);
/* A network namespace of the lab, by the init process's descriptor number: an fd, or -1 with err. */
int labjoin_netns(struct labjoin *j, int fd_in_init, char *err, size_t errlen);
/*
** Fork a child in the lab's PID namespace: 0 in the child, its pid in the
** parent, -1 with err filled.
*/
pid_t labjoin_fork(struct labjoin *j, char *err, size_t errlen);
/*
** In the child: enter netns and the node's view of the files: the mount
** namespace of a daemon running in that node (its private /run, so
** swanctl finds its charon), else the run's, with the node's /sys; either
** way in a private copy, so nothing mounted here reaches the daemons. The
** working folder is kept when it exists there. 0 or -1 with err filled.
*/
int labjoin_node_view(struct labjoin *j, int netns, char *err, size_t errlen);
/*
** Wait for the child, ignoring the terminal's SIGINT and SIGQUIT meanwhile
** (they reach the child from the terminal, as with system(3)) and passing
** SIGTERM and SIGHUP on to it. Its wait status, or -1.
*/
int labjoin_wait(pid_t pid);

#endif
