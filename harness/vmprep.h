/*
** vmprep: `vpnlab vm prepare` — download a stock Debian kernel package with
** apt (never installing it), unpack it into the cache, run depmod, extract
** an uncompressed vmlinux and build the initramfs whose /init implements the
** guest contract of vmcache.h. The building blocks that parse bytes are
** exported for the unit tests.
*/
#ifndef VPNLAB_VMPREP_H
#define VPNLAB_VMPREP_H

#include <stddef.h>
#include <stdio.h>

#include "vmcache.h"

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
** Find the first xz stream (magic FD 37 7A 58 5A 00) in buf that decodes to
** its end and return its decompressed bytes in *out (malloc'd, *outlen set).
** Bytes before the magic and after the stream's end are ignored, as in a
** bzImage. Output above max_out bytes is an error. -1 with err filled when
** there is no magic or no occurrence decodes (truncated, corrupt).
*/
int vmprep_unxz(const unsigned char *buf, size_t len, size_t max_out,
                unsigned char **out, size_t *outlen, char *err, size_t errlen);

/*
** 1 if the ELF file at path (symlinks followed) has no PT_INTERP program
** header (statically linked, static-pie included), 0 if it has one, -1 with
** err filled if it is not a readable ELF file.
*/
int vmprep_elf_static(const char *path, char *err, size_t errlen);

/*
** Look a module name up in the text of modules.dep or modules.builtin
** (lines "kernel/path/name.ko[.xz]: deps..." or "kernel/path/name.ko").
** Names compare with '-' and '_' equal, as the kernel does. 1 with the
** module's path (relative to the modules folder) in path and, if deps is
** not NULL, its dependency list (space separated, maybe empty) in deps;
** 0 when absent; -1 when a result does not fit.
*/
int vmprep_moddep_find(const char *text, size_t len, const char *name,
                       char *path, size_t pathlen, char *deps, size_t depslen);

/*
** Remove path and everything below it (nftw, FTW_DEPTH|FTW_PHYS|FTW_MOUNT:
** symlinks are removed, never followed; another filesystem mounted inside
** is not entered, so its mount point stays and the removal fails). A
** missing path is success.
*/
int vmprep_remove_tree(const char *path, char *err, size_t errlen);

#endif
