/*
** initramfs: build an uncompressed cpio "newc" archive (SVR4, no CRC, magic
** "070701") in memory, as the Linux kernel unpacks into its initial rootfs,
** and write it to disk atomically.
**
** Paths are relative ("bin/busybox", never "/bin/busybox"): no leading or
** trailing '/', no empty, "." or ".." component. Missing parent directories
** are added automatically, mode 0755, in front of the entry that needs them;
** add a directory explicitly *before* its contents to give it another mode.
** Every path may appear once: adding an existing path (including a parent
** that was added automatically) is an error, as is putting an entry below a
** file or symlink.
**
** Modes are permission bits only (at most 07777); the type bits are implied
** by the function. Every entry gets uid 0, gid 0, device numbers 0, the
** mtime in `mtime` (0 after init, for reproducible archives: set it before
** adding entries if wanted) and a fresh inode number.
**
** Errors are sticky: the first failure fills err and sets failed; every
** later call returns -1 without touching the archive and err keeps the
** first message, so a builder can make many calls and check once (the
** return value of initramfs_write is enough). initramfs_write refuses a
** failed archive.
*/
#ifndef VPNLAB_INITRAMFS_H
#define VPNLAB_INITRAMFS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Limits the kernel's unpacker (init/initramfs.c) enforces or implies. */
#define INITRAMFS_PATH_MAX   4095u        /* path bytes; namesize (with NUL) <= PATH_MAX */
#define INITRAMFS_COMP_MAX   255u         /* one path component (NAME_MAX) */
#define INITRAMFS_TARGET_MAX 4095u        /* symlink target bytes (symlink(2) limit) */
#define INITRAMFS_SIZE_MAX   0xFFFFFFFFu  /* 8 hex digits of c_filesize: 4 GiB - 1 */

struct initramfs_name;   /* private: the set of paths already in the archive */

struct initramfs {
	unsigned char *buf;             /* the archive so far (len bytes valid) */
	size_t len, cap;
	uint32_t next_ino;              /* inode number for the next entry (starts at 1) */
	uint32_t mtime;                 /* c_mtime of every later entry */
	int failed;                     /* sticky error flag */
	int finished;                   /* trailer written: no more entries */
	struct initramfs_name *names;   /* sorted by strcmp, for parents and duplicates */
	size_t nnames, capnames;
	char err[256];
};

void initramfs_init(struct initramfs *ar);
/* Release everything and leave ar as after initramfs_init. Accepts NULL. */
void initramfs_free(struct initramfs *ar);

int initramfs_add_dir(struct initramfs *ar, const char *path, mode_t mode);
/* data may be NULL when len is 0; len above INITRAMFS_SIZE_MAX is refused. */
int initramfs_add_file(struct initramfs *ar, const char *path, mode_t mode,
                       const void *data, size_t len);
/*
** Copy the regular file host_path (following symlinks) into the archive.
** The mode is the one given, not the host file's. A missing or unreadable
** file, a non-regular file, one larger than INITRAMFS_SIZE_MAX or one that
** changes size while read is an error naming host_path.
*/
int initramfs_add_file_from(struct initramfs *ar, const char *path, mode_t mode,
                            const char *host_path);
/* Symlink with mode 0777; target is stored verbatim (absolute or relative). */
int initramfs_add_symlink(struct initramfs *ar, const char *path, const char *target);

/*
** Append the "TRAILER!!!" entry and zero-pad the archive to a multiple of
** 512 bytes. Idempotent; entries cannot be added afterwards.
*/
int initramfs_finish(struct initramfs *ar);
/*
** Finish the archive if needed, then write it to out_path through a temp
** file in the same directory and rename(2): readers see the old file or the
** new one, never a part. The file gets mode 0644. Not fsync'd (a cache file
** the harness can rebuild, not a durable record).
*/
int initramfs_write(struct initramfs *ar, const char *out_path);

#endif
