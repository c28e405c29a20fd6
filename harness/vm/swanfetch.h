/*
** swanfetch: libreswan for node:libreswan, kept in vpnlab's cache. Debian's
** libreswan package conflicts with the strongSwan packages vpnlab installs,
** so it is never installed: `vpnlab vm prepare` downloads it with
** `apt-get download` and unpacks it with `dpkg -x`; pluto then runs from the
** cache with the system's libraries (the Makefile's DEB_PKGS). The guest of
** the vm backend sees the host's root, so the same files serve both.
**
** Layout under the cache root (see vmcache_root):
**   libreswan/stamp   "libreswan <version>", one line, written last
**   libreswan/root/   the package as dpkg -x leaves it (usr/libexec/ipsec/pluto, ...)
** A folder without a stamp is an interrupted fetch: not usable.
*/
#ifndef VPNLAB_SWANFETCH_H
#define VPNLAB_SWANFETCH_H

#include <limits.h>
#include <stddef.h>
#include <stdio.h>

#define SWANFETCH_PACKAGE "libreswan"
#define SWANFETCH_PLUTO   "usr/libexec/ipsec/pluto"   /* relative to root/ */
#define SWANFETCH_APT_LISTS "/var/lib/apt/lists"     /* newer than the stamp: ask apt-cache again */

struct swan_pkg {
	char dir[PATH_MAX];     /* <cache>/libreswan */
	char version[128];      /* the package version, 4.10-2+deb12u1 */
	char pluto[PATH_MAX];   /* <dir>/root/usr/libexec/ipsec/pluto */
};

/*
** The fetched package: 0 with pkg filled when the stamp and pluto are there,
** -1 with err saying what is missing (the caller adds `vpnlab vm prepare`).
*/
int swanfetch_find(const char *cache_root, struct swan_pkg *pkg, char *err, size_t errlen);

/*
** Fetch (or confirm) the candidate version of libreswan: a stamp newer than
** apt's lists is current as it is (no apt call: instant); else apt-cache for
** the version, then, unless the stamp names it already (or force), apt-get
** download and dpkg -x into libreswan.tmp-<pid>, renamed into place, stamp
** last. progress gets one line, may be NULL. Waits
** for its children by PID, as vmprep_run does.
*/
int swanfetch_run(const char *cache_root, int force, FILE *progress, struct swan_pkg *pkg,
                  char *err, size_t errlen);

#endif
