/*
** doctor: `vpnlab doctor`, what this machine can run and what to do about
** what it cannot. One fixed-width table (item, status, detail / hint) of the
** host kernel's features (probe.h), the daemons and tools the scenarios and
** the vm backend start, the prepared VM image (vmcache.h) and the QEMU
** acceleration, followed by a one-line verdict.
**
** A row is a problem when something cannot run anywhere: charon, swanctl or
** qemu-system-x86_64 missing; nftables missing on the host (the lab's NAT
** needs it); a kernel feature (esp, ah, l2tp, ppp, netem) missing on the host
** with no prepared VM image to run those scenarios in. xl2tpd/pppd, depmod
** and apt-get missing are warnings; userns is informative.
*/
#ifndef VPNLAB_DOCTOR_H
#define VPNLAB_DOCTOR_H

#include <stdio.h>

struct features;

/*
** Print the doctor table to out; returns the number of rows that are a
** problem (0 = all good). cache_root NULL means the default (vmcache_root).
** fs holds the probes: features not probed yet are probed now (needs root and
** netns_init); fs NULL probes into a private set. Prints only to out.
*/
int doctor_report(FILE *out, const char *cache_root, struct features *fs);

#endif
