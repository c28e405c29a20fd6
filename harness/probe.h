/*
** probe: what the running kernel can do, found by trying it in a scratch
** network namespace (never by reading config files: modules may be missing
** or unloadable). The scratch namespace disappears with its descriptor.
*/
#ifndef VPNLAB_PROBE_H
#define VPNLAB_PROBE_H

#include <stddef.h>

/* 1 when the kernel accepts an XFRM state for IP protocol proto (50 ESP, 51 AH), else 0. */
int probe_xfrm(int proto);

#endif
