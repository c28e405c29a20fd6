/*
** test_vm: the QEMU argument vector. It is an argv, never a shell line, so
** every option must be its own word; paths with commas must be escaped the
** way QEMU's option parser wants; the three 9p shares carry the tags /init
** mounts; TCG and KVM differ as documented; a vector that does not fit is
** refused rather than cut.
*/
#include <stdio.h>
#include <string.h>

#include "unit.h"
#include "vm/vm.h"

static int find(char **argv, int n, const char *word)
{
	for (int i = 0; i < n; i++)
		if (strcmp(argv[i], word) == 0)
			return i;
	return -1;
}

/* The word after option opt (its first occurrence after index from). */
static const char *after(char **argv, int n, const char *opt, int nth)
{
	for (int i = 0; i + 1 < n; i++)
		if (strcmp(argv[i], opt) == 0 && nth-- == 0)
			return argv[i + 1];
	return "";
}

int main(void)
{
	struct vm_image img;
	char *argv[64], buf[16384];
	memset(&img, 0, sizeof(img));
	snprintf(img.kernel, sizeof(img.kernel), "/c/vm/k/vmlinux");
	snprintf(img.initrd, sizeof(img.initrd), "/c/vm/k/initrd");
	snprintf(img.modules, sizeof(img.modules), "/c/vm/k/root/lib/modules/6.1.0-56-amd64");
	struct vm_run_opts o = { .img = &img, .run_dir = "/r/a,b", .kvm = 0, .time_scale = 4 };

	int n = vm_argv(&o, argv, 64, buf, sizeof(buf));
	ok(n > 10, "tcg: a vector");
	is_int(argv[n] == NULL, 1, "tcg: NULL-terminated");
	ok(strstr(argv[0], "qemu-system-x86_64") != NULL, "tcg: QEMU itself is argv[0] (no shell)");
	is_str(after(argv, n, "-accel", 0), "tcg,thread=multi", "tcg: multi-threaded TCG");
	is_str(after(argv, n, "-cpu", 0), "max", "tcg: -cpu max");
	is_str(after(argv, n, "-M", 0), "microvm", "tcg: the microvm machine");
	is_str(after(argv, n, "-kernel", 0), "/c/vm/k/vmlinux", "tcg: direct kernel boot of the vmlinux");
	is_str(after(argv, n, "-initrd", 0), "/c/vm/k/initrd", "tcg: the initramfs");
	ok(find(argv, n, "-no-reboot") > 0 && find(argv, n, "-nodefaults") > 0, "tcg: -no-reboot -nodefaults");
	ok(strstr(after(argv, n, "-append", 0), "panic=-1") != NULL, "tcg: a panic ends QEMU (panic=-1, -no-reboot)");
	ok(strstr(after(argv, n, "-fsdev", 0), "path=/,") != NULL && strstr(after(argv, n, "-fsdev", 0), "readonly=on"),
	   "tcg: the host root is shared read-only");
	ok(strstr(after(argv, n, "-fsdev", 1), "path=/c/vm/k/root/lib/modules/6.1.0-56-amd64,") != NULL,
	   "tcg: the modules folder is shared");
	is_str(after(argv, n, "-fsdev", 2), "local,id=rw,path=/r/a,,b,security_model=none",
	       "tcg: the results share is read-write and its comma is doubled");
	ok(strstr(after(argv, n, "-device", 0), "mount_tag=" VMCACHE_TAG_ROOT) != NULL, "tcg: root tag");
	ok(strstr(after(argv, n, "-device", 1), "mount_tag=" VMCACHE_TAG_MODULES) != NULL, "tcg: modules tag");
	ok(strstr(after(argv, n, "-device", 2), "mount_tag=" VMCACHE_TAG_RW) != NULL, "tcg: rw tag");
	for (int i = 0; i < n; i++)
		if (strchr(argv[i], ' ') && (i == 0 || strcmp(argv[i - 1], "-append") != 0)) {
			ok(0, "only -append has spaces (each option is its own word)");
			printf("#   word %d: '%s'\n", i, argv[i]);
		}

	o.kvm = 1;
	n = vm_argv(&o, argv, 64, buf, sizeof(buf));
	is_str(after(argv, n, "-accel", 0), "kvm", "kvm: -accel kvm");
	is_str(after(argv, n, "-cpu", 0), "host", "kvm: -cpu host");
	ok(strstr(after(argv, n, "-append", 0), "tsc_early_khz") == NULL, "kvm: no TSC rate passed");

	is_int(vm_argv(&o, argv, 10, buf, sizeof(buf)), -1, "too few argv slots: refused");
	is_int(vm_argv(&o, argv, 64, buf, 100), -1, "too small a buffer: refused");
	return unit_done();
}
