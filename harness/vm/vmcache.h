/*
** vmcache: where `vpnlab vm prepare` keeps guest kernels, and what a
** prepared one consists of. Shared by `vm prepare` (writes), `doctor` and
** the vm backend (read).
**
** Layout under the cache root (see vmcache_root):
**   vm/<package>/stamp         "package version kver initramfs-hash", one line, written last
**   vm/<package>/vmlinux       uncompressed kernel for direct boot (-M microvm)
**   vm/<package>/initrd        cpio newc initramfs: busybox, /init, the 9p/virtio/overlay modules
**   vm/<package>/root/lib/modules/<kver>/   the package's modules with modules.dep (shared ro)
**   vm/current                 symlink to the <package> prepared last
** A package folder without a stamp is an interrupted prepare: not usable.
**
** The guest contract (what /init in the initramfs expects from the launcher):
**   9p mount tags VMCACHE_TAG_ROOT (host "/", read-only), VMCACHE_TAG_MODULES
**   (the modules folder, read-only) and VMCACHE_TAG_RW (the run's results
**   folder, read-write). /init mounts the rw share first and sources
**   VMCACHE_GUEST_ENV inside it: shell assignments of VPNLAB_GUEST_EXEC
**   (absolute path of the program to run as PID 1 after switch_root),
**   VPNLAB_GUEST_RESULTS (absolute path at which the rw share must appear in
**   the new root) and VPNLAB_GUEST_ARGS (argument file path, in the new
**   root). It then runs: exec switch_root /newroot "$VPNLAB_GUEST_EXEC"
**   __guest "$VPNLAB_GUEST_ARGS". On a fatal error /init writes the reason to
**   VMCACHE_INIT_ERROR in the rw share (if mounted) and the console, and
**   powers off.
*/
#ifndef VPNLAB_VMCACHE_H
#define VPNLAB_VMCACHE_H

#include <limits.h>
#include <stddef.h>

#define VMCACHE_TAG_ROOT    "vpnlab_root"
#define VMCACHE_TAG_MODULES "vpnlab_mods"
#define VMCACHE_TAG_RW      "vpnlab_rw"
#define VMCACHE_GUEST_ENV   "vm/guest.env"      /* relative to the rw share */
#define VMCACHE_INIT_ERROR  "vm/init-error"     /* relative to the rw share */

/* The default package: the candidate the metapackage depends on. */
#define VMCACHE_META_PACKAGE "linux-image-amd64"

struct vm_image {
	char dir[PATH_MAX];         /* <root>/vm/<package> */
	char package[128];          /* linux-image-6.1.0-56-amd64 */
	char version[128];          /* the package version, 6.1.158-1 */
	char kver[128];             /* the guest's uname -r, 6.1.0-56-amd64 */
	char kernel[PATH_MAX];      /* <dir>/vmlinux */
	char initrd[PATH_MAX];      /* <dir>/initrd */
	char modules[PATH_MAX];     /* <dir>/root/lib/modules/<kver> */
};

/*
** The cache root: `override` if not NULL, else $VPNLAB_CACHE, else
** $XDG_CACHE_HOME/vpnlab, else $HOME/.cache/vpnlab. Not created here.
*/
int vmcache_root(const char *override, char *out, size_t len, char *err, size_t errlen);

/*
** A prepared image: `package` names one, NULL means vm/current. Returns 0
** with img filled when its stamp exists and every file is there; -1 with err
** saying what is missing otherwise (the caller adds the prepare command).
*/
int vmcache_find(const char *root, const char *package, struct vm_image *img,
                 char *err, size_t errlen);

/*
** 1 if KVM really works here: /dev/kvm opens read-write and the kvm_intel or
** kvm_amd module is present (/sys/module/kvm_intel|kvm_amd). A nested or
** paravirtual /dev/kvm without them hangs guests, so it counts as 0 (TCG).
*/
int vmcache_kvm_usable(void);

#endif
