/*
** labstate: the on-disk registry of live labs (`vpnlab up`), one folder a
** lab under /run/vpnlab/labs/<name>/ ($VPNLAB_LABS overrides the root) in
** the host's mount namespace. `up` creates the folder (atomically: a second
** lab of the same name is refused) and writes `holder`, the pid of the
** process that keeps the lab; once the lab is built its PID-1 child writes
** `lab`: where the nodes' network namespaces are (file descriptors of that
** PID-1 process, so /proc/<init>/fd/<n> opens them), where each link can be
** captured, the results folder. Pids are stored with their start time so a
** recycled pid is never taken for the lab's process.
*/
#ifndef VPNLAB_LABSTATE_H
#define VPNLAB_LABSTATE_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#include "lab/topo.h"

#define LABSTATE_NAME_MAX 32

struct labstate_node {
	char name[TOPO_NAME_MAX];
	int fd;                    /* its network namespace: a descriptor of the init process */
	int router;                /* 1 for a router (it forwards): the better end to watch a link from */
};

/* Where a link is seen whole: both ends of its veth pair, or the bridge of a segment. */
struct labstate_link {
	char name[TOPO_IFNAME_MAX];
	int bridge;                /* 1: captured on ifname in the switch namespace */
	char ifname[TOPO_IFNAME_MAX];
	int ends[2];               /* veth: the two member nodes (indexes into nodes) */
};

struct labstate {
	char name[LABSTATE_NAME_MAX];
	pid_t holder;              /* the process `down` signals (0: not recorded) */
	unsigned long long holder_start;
	int built;                 /* the `lab` file was there: everything below is filled */
	pid_t init;                /* PID 1 of the lab's PID namespace, as the host sees it */
	unsigned long long init_start;
	unsigned long long pidns;  /* inode of that PID namespace */
	double t0;                 /* wall clock when the scenario started: packet times count from it */
	char file[PATH_MAX];       /* the topology or scenario `up` was given */
	char results[PATH_MAX];    /* the scenario's results folder (pcaps, timeline at the end) */
	int switch_fd;             /* the switch namespace's descriptor, -1 if none */
	struct labstate_node *nodes;
	size_t nnodes;
	struct labstate_link *links;
	size_t nlinks;
};

/* The registry's root folder. Never NULL. */
const char *labstate_root(void);
/* 1 when name is a valid lab name: [A-Za-z0-9][A-Za-z0-9_.-]*, shorter than LABSTATE_NAME_MAX. */
int labstate_name_ok(const char *name);

/*
** Create the lab's folder and return a descriptor of it (O_PATH), or -1 with
** err filled; an existing folder means a lab of that name exists (errno EEXIST).
*/
int labstate_create(const char *name, char *err, size_t errlen);
/* Write `holder` (pid and start time) into the folder dirfd. 0 or -1. */
int labstate_write_holder(int dirfd, pid_t pid, unsigned long long start);
/* Write `lab` (everything after holder) into dirfd, atomically (a rename). 0 or -1 with err. */
int labstate_write(int dirfd, const struct labstate *s, char *err, size_t errlen);
/*
** Read lab name. 0, or -1 with err filled (no such lab: errno ENOENT). A lab
** whose `lab` file is not written yet (or is unreadable) has built 0.
*/
int labstate_read(const char *name, struct labstate *s, char *err, size_t errlen);
void labstate_free(struct labstate *s);
/* Remove the lab's folder (and the root when it is left empty). 0 or -1. */
int labstate_remove(const char *name);
/* Every lab's name, sorted; *names is NULL-terminated, free with labstate_names_free. Count or -1. */
int labstate_names(char ***names);
void labstate_names_free(char **names);

/*
** Start time of pid (field 22 of stat, clock ticks since boot) read through
** procfd, a descriptor of a /proc (AT_FDCWD: the caller's "/proc"); 0 if
** there is no such process or it has ended (a zombie).
*/
unsigned long long labstate_starttime(int procfd, pid_t pid);
/* 1 when pid is alive and is still the process started at start. */
int labstate_alive(pid_t pid, unsigned long long start);
/* The node's index, or -1. Likewise for links. */
int labstate_node_index(const struct labstate *s, const char *name);
int labstate_link_index(const struct labstate *s, const char *name);

#endif
