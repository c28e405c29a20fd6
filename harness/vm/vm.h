/*
** vm: the vm backend's host side. Boots a prepared stock kernel under QEMU
** (microvm, direct kernel boot, the host's root shared read-only over 9p,
** the run's results folder shared read-write), runs the guest runner on a
** list of scenarios and streams the guest's TAP to the host's output as it
** is written. QEMU is started from an argument vector, watched through the
** loop, and killed by its PID at the deadline or on SIGINT/SIGTERM. A guest
** that says nothing within the boot timeout (60 s, VPNLAB_VM_BOOT_TIMEOUT)
** is killed and booted once more: early boot under emulation on a loaded
** host can hang.
*/
#ifndef VPNLAB_VM_H
#define VPNLAB_VM_H

#include <stdio.h>

#include "vm/guestfiles.h"
#include "util/loop.h"
#include "vm/vmcache.h"

struct vm_run_opts {
	const struct vm_image *img;
	const char *run_dir;        /* the run's results folder, absolute */
	char **files;               /* scenario files, absolute */
	int nfiles;
	int offset;                 /* top-level test points printed before the guest's */
	int kvm;                    /* 1: -accel kvm; 0: TCG */
	double time_scale;          /* handed to the guest */
	double timeout;             /* seconds for the whole VM run; 0: 120 s + each scenario's limit, scaled */
	double scenario_timeout;    /* each scenario's time limit (scenario seconds), handed to the guest */
	int jobs;                   /* scenarios at once in the guest (-j) */
	const char *cache_root;     /* vpnlab's cache, absolute, handed to the guest; may be NULL */
	struct loop *loop;
	FILE *out;                  /* where the guest's TAP lines go */
};

struct vm_result {
	int ok;                     /* the guest ran and wrote its status */
	struct guest_status status; /* what the guest reported (zero when !ok) */
	double boot_seconds;        /* QEMU launch -> the guest's first TAP line */
	int relaunched;             /* the first boot hung (no word within the boot timeout): booted again */
	double seconds;             /* QEMU launch -> QEMU gone */
	int forwarded;              /* top-level test points forwarded from the guest's TAP */
	int forwarded_failed;       /* of which "not ok" */
	char message[1024];         /* why not ok: deadline, boot failure (with the console's tail) */
};

/* 0 when the guest reported, -1 otherwise (res->message says why). */
int vm_run(const struct vm_run_opts *o, struct vm_result *res);

/*
** The QEMU argument vector for o (exported for the unit test and for
** `vpnlab vm argv`): fills argv (capacity cap, NULL-terminated) with
** pointers into buf. Returns the count, or -1 when it does not fit.
*/
int vm_argv(const struct vm_run_opts *o, char **argv, int cap, char *buf, size_t buflen);

#endif
