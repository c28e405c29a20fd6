/*
** netns: network namespaces held by file descriptors only. Nothing is
** pinned in /run/netns, so a namespace dies with the last fd or process.
*/
#ifndef VPNLAB_NETNS_H
#define VPNLAB_NETNS_H

#include <stddef.h>

/* Remember the runner's own namespace; call once before any other netns_*. 0 or -1. */
int netns_init(char *err, size_t errlen);
/* A fresh namespace (the caller stays where it is): its fd, or -1 with err filled. */
int netns_new(char *err, size_t errlen);
/* Enter ns (fd) / go back to the runner's namespace. 0 or -1. */
int netns_enter(int fd);
int netns_leave(void);
/* The runner's own namespace fd (valid after netns_init). */
int netns_home(void);
/* Write a sysctl under /proc/sys inside ns: key "net/ipv4/ip_forward". 0 or -1. */
int netns_sysctl(int fd, const char *key, const char *value, char *err, size_t errlen);

#endif
