/*
** isolate: put the runner into its own network, mount and PID namespaces.
** The calling process forks; the child becomes PID 1 of a new PID namespace
** and does the run. If the parent dies, even by SIGKILL, the child is killed
** (PR_SET_PDEATHSIG) and with it every process in the namespace; the lab's
** network namespaces are only held by file descriptors and mounts live in
** the private mount namespace, so the kernel frees everything.
*/
#ifndef VPNLAB_ISOLATE_H
#define VPNLAB_ISOLATE_H

#include <stddef.h>

/*
** Returns 0 in the isolated child (which goes on to do the run), or, in the
** parent, never returns: it waits for the child and exits with its status.
** Returns -1 with err filled when isolation is impossible (not root, no
** namespaces).
*/
int isolate_enter(char *err, size_t errlen);

#endif
