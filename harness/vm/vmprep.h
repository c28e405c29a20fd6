/*
** vmprep: `vpnlab vm prepare` — download a stock Debian kernel package with
** apt (never installing it), unpack it into the cache, run depmod, extract
** an uncompressed vmlinux and build the initramfs whose /init implements the
** guest contract of vmcache.h. The host programs run through hostcmd.h,
** the kernel's bytes are taken apart by kimage.h; vmprep_remove_tree is
** exported for the unit tests.
*/
#ifndef VPNLAB_VMPREP_H
#define VPNLAB_VMPREP_H

#include <stddef.h>
#include <stdio.h>

#include "vm/vmcache.h"

struct vmprep_opts {
	const char *cache_root;   /* from vmcache_root */
	const char *package;      /* NULL: the package linux-image-amd64 currently depends on (apt-cache) */
	int force;                /* rebuild even when current */
	FILE *progress;           /* one line per step, may be NULL */
};

/*
** Prepare (or confirm) a guest kernel. 0 with img filled (vm/current now
** points at it), -1 with err filled. Runs apt-cache, apt-get download,
** dpkg -x and depmod as child processes and waits for each by PID: do not
** call it while a SIGCHLD handler reaps every child (waitpid(-1)).
*/
int vmprep_run(const struct vmprep_opts *o, struct vm_image *img, char *err, size_t errlen);

/*
** Remove path and everything below it (nftw, FTW_DEPTH|FTW_PHYS|FTW_MOUNT:
** symlinks are removed, never followed; another filesystem mounted inside
** is not entered, so its mount point stays and the removal fails). A
** missing path is success.
*/
int vmprep_remove_tree(const char *path, char *err, size_t errlen);

#endif
