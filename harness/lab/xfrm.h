/*
** xfrm: the kernel's IPsec SAs, with their keys, as the lab's nodes install
** them. One NETLINK_XFRM socket per node namespace (libnl's xfrm module),
** subscribed to SA events before any daemon runs, so no SA is missed even
** when it is deleted before its packets are decoded. What it learns goes
** into a keyring (wire/inner.h) for the decrypted view of ESP.
**
** A kernel without xfrm_user, or an endpoint with a userspace data plane
** (strongSwan's kernel-libipsec), installs nothing here: its ESP stays
** "no key".
*/
#ifndef VPNLAB_XFRM_H
#define VPNLAB_XFRM_H

#include <stddef.h>

#include "wire/inner.h"

struct xfrm_watch;

/*
** Subscribe in each of the n namespaces (fds). A namespace whose kernel
** has no XFRM netlink is left out, not an error. NULL only when out of
** memory.
*/
struct xfrm_watch *xfrm_watch_open(const int *nsfds, size_t n);
/*
** Read every SA event queued so far (never blocks) into kr: new and
** updated ESP SAs. After a lost event (the socket's buffer overflowed) it
** dumps that namespace's SAs instead. Returns the SAs added, or 0.
*/
int xfrm_watch_poll(struct xfrm_watch *w, struct esp_keyring *kr);
/* The keyring's refresh hook: ctx is a struct xfrm_watch. */
int xfrm_watch_refresh(void *ctx, struct esp_keyring *kr);
/* Namespaces being watched (for tests and the log). */
size_t xfrm_watch_count(const struct xfrm_watch *w);
void xfrm_watch_close(struct xfrm_watch *w);

#endif
