/*
** kimage: pure functions over the bytes `vm prepare` takes out of a kernel
** package and the host: the xz stream inside a bzImage (vmlinuz) or a
** .ko.xz module, the PT_INTERP test that tells a static ELF executable
** (busybox) from a dynamic one, and name lookups in modules.dep and
** modules.builtin. No file access, no processes: the caller reads the
** bytes; every result is a return value, every failure a message in err.
*/
#ifndef VPNLAB_KIMAGE_H
#define VPNLAB_KIMAGE_H

#include <stddef.h>

/*
** Find the first xz stream (magic FD 37 7A 58 5A 00) in buf that decodes to
** its end and return its decompressed bytes in *out (malloc'd, *outlen set).
** Bytes before the magic and after the stream's end are ignored, as in a
** bzImage. Output above max_out bytes is an error. -1 with err filled, *out
** NULL and *outlen 0 when there is no magic or no occurrence decodes
** (truncated, corrupt); err then describes the first occurrence's failure.
*/
int kimage_unxz(const unsigned char *buf, size_t len, size_t max_out,
                unsigned char **out, size_t *outlen, char *err, size_t errlen);

/*
** Decode the one xz stream that must start at in[0] (a .ko.xz file):
** bytes after its end are left alone (no LZMA_CONCATENATED). 0 with *out
** (malloc'd) and *outlen set; -1 with err filled, *out NULL and *outlen 0
** when in does not start with the magic, the stream is truncated or
** corrupt, or it decodes to more than max_out bytes.
*/
int kimage_xz_decode(const unsigned char *in, size_t len, size_t max_out,
                     unsigned char **out, size_t *outlen, char *err, size_t errlen);

/*
** 1 if the ELF image in buf has no PT_INTERP program header (statically
** linked, static-pie included), 0 if it has one, -1 with err filled (naming
** it `name`) if it is not an ELF file or its program headers do not fit.
*/
int kimage_elf_static(const unsigned char *buf, size_t len, const char *name,
                      char *err, size_t errlen);

/*
** Look a module name up in the text of modules.dep or modules.builtin
** (lines "kernel/path/name.ko[.xz]: deps..." or "kernel/path/name.ko").
** Names compare with '-' and '_' equal, as the kernel does. 1 with the
** module's path (relative to the modules folder) in path and, if deps is
** not NULL, its dependency list (space separated, maybe empty) in deps;
** 0 when absent; -1 when a result does not fit. path may be NULL too.
*/
int kimage_moddep_find(const char *text, size_t len, const char *name,
                       char *path, size_t pathlen, char *deps, size_t depslen);

/*
** 1 if the module path of n bytes (kernel/x/name.ko, name.ko.xz, ...: no
** NUL needed) names the module `name`, comparing the basename up to ".ko"
** with '-' and '_' equal; else 0.
*/
int kimage_mod_is(const char *path, size_t n, const char *name);

#endif
