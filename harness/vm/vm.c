/*
** vm.c: see vm.h. The guest learns what to do from two files in the shared
** results folder (vm/guest.env for /init, vm/args for the runner), writes
** its TAP to vm/tap, which is read here as it grows (inotify on the host
** side of the 9p share), and its outcome to vm/status. The console (kernel
** messages, QEMU's own errors) goes to vm/console.log for diagnosis.
*/
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lab/spawn.h"
#include "vm/vm.h"

#define VM_MEMORY_MB "1024"
#define VM_BOOT_SECONDS 60.0    /* launch -> the guest's first TAP line; measured 2-9 s under TCG */

static const char vm_no_boot[] = "the VM did not boot (no word from the guest in time)";

/* Appends s to buf as one argument; returns it, or NULL when buf is full. */
static char *put(char *buf, size_t len, size_t *used, const char *s)
{
	size_t n = strlen(s) + 1;
	char *at = buf + *used;
	if (*used + n > len)
		return NULL;
	memcpy(at, s, n);
	*used += n;
	return at;
}

/* QEMU's option syntax: a ',' inside a value is written ",,". */
static void qemu_escape(char *out, size_t len, const char *s)
{
	size_t j = 0;
	for (; *s && j + 3 < len; s++) {
		if (*s == ',')
			out[j++] = ',';
		out[j++] = *s;
	}
	out[j] = '\0';
}

static int cpu_count(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 4 ? 4 : (int)n;
}

/*
** The host's TSC rate in kHz, or 0. Under TCG the guest reads the host's TSC;
** on a loaded host its calibration against the emulated PIT fails ("Unable
** to calibrate against PIT", TSC marked unstable) and the boot can hang. A
** known rate skips the calibration. /proc/cpuinfo's "cpu MHz" is the TSC
** rate when the CPU has constant_tsc.
*/
static long host_tsc_khz(void)
{
	char line[4096];
	double mhz = 0;
	int constant = 0;
	FILE *f = fopen("/proc/cpuinfo", "re");

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL && !(mhz > 0 && constant)) {
		if (strncmp(line, "cpu MHz", 7) == 0 && strchr(line, ':'))
			mhz = strtod(strchr(line, ':') + 1, NULL);
		else if (strncmp(line, "flags", 5) == 0 && strstr(line, " constant_tsc"))
			constant = 1;
	}
	fclose(f);
	return constant && mhz > 100 && mhz < 100000 ? (long)(mhz * 1000 + 0.5) : 0;
}

int vm_argv(const struct vm_run_opts *o, char **argv, int cap, char *buf, size_t buflen)
{
	char esc[3][PATH_MAX * 2], smp[16], opt[3][PATH_MAX * 2 + 128], append[256];
	long khz = o->kvm ? 0 : host_tsc_khz();
	const char *qemu = getenv("VPNLAB_QEMU");
	size_t used = 0;
	int n = 0;

	qemu_escape(esc[0], sizeof(esc[0]), o->img->modules);
	qemu_escape(esc[1], sizeof(esc[1]), o->run_dir);
	snprintf(smp, sizeof(smp), "%d", cpu_count());
	snprintf(append, sizeof(append), "console=ttyS0 panic=-1 quiet loglevel=3%s%.0ld",
	         khz ? " tsc_early_khz=" : "", khz);
	snprintf(opt[0], sizeof(opt[0]), "local,id=root,path=/,security_model=none,readonly=on,multidevs=remap");
	snprintf(opt[1], sizeof(opt[1]), "local,id=mods,path=%s,security_model=none,readonly=on", esc[0]);
	snprintf(opt[2], sizeof(opt[2]), "local,id=rw,path=%s,security_model=none", esc[1]);
	const char *words[] = {
		qemu && *qemu ? qemu : "qemu-system-x86_64",
		"-accel", o->kvm ? "kvm" : "tcg,thread=multi", "-cpu", o->kvm ? "host" : "max",
		"-smp", smp, "-m", VM_MEMORY_MB, "-M", "microvm",
		"-nodefaults", "-no-user-config", "-display", "none", "-serial", "stdio", "-no-reboot",
		"-kernel", o->img->kernel, "-initrd", o->img->initrd,
		"-append", append,
		"-fsdev", opt[0], "-device", "virtio-9p-device,fsdev=root,mount_tag=" VMCACHE_TAG_ROOT,
		"-fsdev", opt[1], "-device", "virtio-9p-device,fsdev=mods,mount_tag=" VMCACHE_TAG_MODULES,
		"-fsdev", opt[2], "-device", "virtio-9p-device,fsdev=rw,mount_tag=" VMCACHE_TAG_RW,
	};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (n + 1 >= cap || (argv[n] = put(buf, buflen, &used, words[i])) == NULL)
			return -1;
		n++;
	}
	argv[n] = NULL;
	return n;
}

/* Shell single quotes for /init's `. guest.env`; a path with a quote is refused. */
static int write_env(const char *dir, const char *exe, const char *results, const char *args)
{
	char path[PATH_MAX + 32];
	FILE *f;
	if (strchr(exe, '\'') || strchr(results, '\'') || strchr(args, '\''))
		return -1;
	snprintf(path, sizeof(path), "%s/guest.env", dir);
	if ((f = fopen(path, "we")) == NULL)
		return -1;
	fprintf(f, "VPNLAB_GUEST_EXEC='%s'\nVPNLAB_GUEST_RESULTS='%s'\nVPNLAB_GUEST_ARGS='%s'\n", exe,
	        results, args);
	return fclose(f) == 0 ? 0 : -1;
}

static int write_args(const struct vm_run_opts *o, char *err, size_t errlen)
{
	struct guest_args a;
	char path[PATH_MAX + 32];
	struct timespec now;

	memset(&a, 0, sizeof(a));
	if (getcwd(a.cwd, sizeof(a.cwd)) == NULL)
		snprintf(a.cwd, sizeof(a.cwd), "/");
	snprintf(a.results, sizeof(a.results), "%s", o->run_dir);
	a.offset = o->offset;
	a.time_scale = o->time_scale;
	a.timeout = o->scenario_timeout;
	a.jobs = o->jobs;
	clock_gettime(CLOCK_REALTIME, &now);
	a.clock = (double)now.tv_sec + now.tv_nsec / 1e9;
	snprintf(a.accel, sizeof(a.accel), "%s", o->kvm ? "kvm" : "tcg");
	if (o->cache_root != NULL && o->cache_root[0] == '/' && strchr(o->cache_root, '\n') == NULL)
		snprintf(a.cache, sizeof(a.cache), "%s", o->cache_root);
	a.files = o->files;
	a.nfiles = o->nfiles;
	snprintf(path, sizeof(path), "%s/" GUEST_ARGS, o->run_dir);
	return guest_args_write(path, &a, err, errlen);
}

/* The guest's TAP file, forwarded line by line as it grows. */
struct follow {
	char path[PATH_MAX + 32];
	int fd;
	char line[8192];
	size_t have;
	FILE *out;
	double launched, first;     /* loop_now() at launch and at the first line */
	int points, failed;         /* top-level test points seen (column 0 "ok"/"not ok") */
};

/* Count a forwarded line that is a top-level test point. */
static void follow_count(struct follow *f, const char *line, size_t len)
{
	if (len >= 3 && memcmp(line, "ok ", 3) == 0) {
		f->points++;
	} else if (len >= 7 && memcmp(line, "not ok ", 7) == 0) {
		f->points++;
		f->failed++;
	}
}

static void follow_read(struct follow *f, int final)
{
	ssize_t n;
	if (f->fd < 0 && (f->fd = open(f->path, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	while ((n = read(f->fd, f->line + f->have, sizeof(f->line) - 1 - f->have)) > 0) {
		char *start = f->line, *nl;
		f->have += (size_t)n;
		if (f->first == 0)
			f->first = loop_now();
		while ((nl = memchr(start, '\n', f->have - (size_t)(start - f->line))) != NULL) {
			follow_count(f, start, (size_t)(nl - start));
			fwrite(start, 1, (size_t)(nl - start) + 1, f->out);
			start = nl + 1;
		}
		f->have -= (size_t)(start - f->line);
		memmove(f->line, start, f->have);
		if (f->have == sizeof(f->line) - 1) {  /* a line longer than the buffer: pass it on in pieces */
			fwrite(f->line, 1, f->have, f->out);
			f->have = 0;
		}
	}
	if (final && f->have > 0) {
		fwrite(f->line, 1, f->have, f->out);
		fputc('\n', f->out);
		f->have = 0;
	}
	fflush(f->out);
}

static void on_inotify(void *arg, int fd, short revents)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	(void)revents;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	follow_read(arg, 0);
}

/* The last lines of a file, for a boot that went wrong. */
static void tail_of(const char *path, char *out, size_t len)
{
	char buf[1024];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	off_t size;
	ssize_t n;

	out[0] = '\0';
	if (fd < 0)
		return;
	size = lseek(fd, 0, SEEK_END);
	lseek(fd, size > (off_t)sizeof(buf) - 1 ? size - (off_t)sizeof(buf) + 1 : 0, SEEK_SET);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (char *p = buf; *p; p++)
		if (*p == '\r' || (*p < 0x20 && *p != '\n'))
			*p = ' ';
	snprintf(out, len, "%.*s", (int)len - 1, buf);
}

/* Why the guest did not report: /init's own message, or the console's tail. */
static void explain(const struct vm_run_opts *o, const char *why, int status, struct vm_result *res)
{
	char path[PATH_MAX + 32], text[900] = "";
	snprintf(path, sizeof(path), "%s/" VMCACHE_INIT_ERROR, o->run_dir);
	tail_of(path, text, sizeof(text));
	if (!text[0]) {
		snprintf(path, sizeof(path), "%s/vm/console.log", o->run_dir);
		tail_of(path, text, sizeof(text));
	}
	snprintf(res->message, sizeof(res->message), "%s (QEMU %s %d); see %s/vm/console.log: %s", why,
	         WIFSIGNALED(status) ? "killed by signal" : "exit status",
	         WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status), o->run_dir, text);
}

static double default_timeout(const struct vm_run_opts *o)
{
	return o->timeout > 0 ? o->timeout : (120.0 + o->scenario_timeout * o->nfiles) * o->time_scale;
}

static double boot_timeout(void)
{
	const char *s = getenv("VPNLAB_VM_BOOT_TIMEOUT");
	double v = s && *s ? strtod(s, NULL) : 0;
	return v > 0 ? v : VM_BOOT_SECONDS;
}

/*
** Launch QEMU and follow the guest until QEMU is gone. why (NULL when QEMU
** ended by itself) says what ended it early: the run's deadline, an
** interruption, or vm_no_boot when the guest wrote nothing within the boot
** timeout (a hung early boot, which a second launch usually gets past).
*/
static int supervise(const struct vm_run_opts *o, int logfd, struct follow *f, int *status,
                     const char **why, char *err, size_t errlen)
{
	char *argv[64], buf[4 * PATH_MAX + 2048];
	double deadline, booted_by;
	pid_t pid;

	if (vm_argv(o, argv, 64, buf, sizeof(buf)) < 0) {
		snprintf(err, errlen, "the QEMU command line does not fit");
		return -1;
	}
	struct spawn_opts so = { .argv = argv, .netns = -1, .stdin_fd = -1, .out_fd = logfd };
	f->launched = loop_now();
	if ((pid = spawn_start(&so, err, errlen)) < 0)
		return -1;
	deadline = f->launched + default_timeout(o);
	booted_by = f->launched + boot_timeout();
	*why = NULL;
	while (spawn_exited(pid, status) == 0) {
		double now = loop_now(), left = deadline - now;
		if (*why == NULL && f->first == 0 && booted_by < deadline)
			left = booted_by - now;
		if (*why == NULL && (left <= 0 || o->loop->interrupted)) {
			*why = o->loop->interrupted ? "interrupted"
			       : now >= deadline ? "the VM did not finish before its deadline" : vm_no_boot;
			kill(pid, SIGKILL);
		}
		loop_once(o->loop, left > 0 && *why == NULL ? left : 0.1);
	}
	spawn_forget(pid);
	return 0;
}

/* Keep a failed boot's console for diagnosis and start the next one afresh. */
static int relaunch_log(const char *log, int *logfd)
{
	char old[PATH_MAX + 64];
	snprintf(old, sizeof(old), "%.4000s.first-boot", log);
	close(*logfd);
	rename(log, old);
	*logfd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	return *logfd < 0 ? -1 : 0;
}

int vm_run(const struct vm_run_opts *o, struct vm_result *res)
{
	char dir[PATH_MAX + 8], exe[PATH_MAX], args[PATH_MAX + 32], log[PATH_MAX + 32], err[512];
	struct follow *f = calloc(1, sizeof(*f));
	const char *why = NULL;
	int status = 0, in = -1, logfd = -1, rc = -1;
	ssize_t n;

	memset(res, 0, sizeof(*res));
	snprintf(dir, sizeof(dir), "%s/vm", o->run_dir);
	snprintf(args, sizeof(args), "%s/" GUEST_ARGS, o->run_dir);
	snprintf(log, sizeof(log), "%s/console.log", dir);
	if (f == NULL || (mkdir(dir, 0755) < 0 && errno != EEXIST) ||
	    (n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) <= 0) {
		snprintf(res->message, sizeof(res->message), "cannot set up %.900s: %s", dir, strerror(errno));
		goto out;
	}
	exe[n] = '\0';
	if (write_env(dir, exe, o->run_dir, args) < 0 || write_args(o, err, sizeof(err)) < 0) {
		snprintf(res->message, sizeof(res->message), "cannot write the guest's arguments in %.900s", dir);
		goto out;
	}
	snprintf(f->path, sizeof(f->path), "%s/" GUEST_TAP, o->run_dir);
	f->fd = -1;
	f->out = o->out;
	in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	logfd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (in < 0 || logfd < 0 || inotify_add_watch(in, dir, IN_MODIFY | IN_CREATE | IN_CLOSE_WRITE) < 0 ||
	    loop_add(o->loop, in, POLLIN, on_inotify, f) < 0) {
		snprintf(res->message, sizeof(res->message), "cannot watch %.900s: %s", dir, strerror(errno));
		goto out;
	}
	for (int attempt = 1; attempt <= 2; attempt++) {
		if (supervise(o, logfd, f, &status, &why, err, sizeof(err)) < 0) {
			snprintf(res->message, sizeof(res->message),
			         "cannot start QEMU: %s (apt-get install qemu-system-x86)", err);
			goto out;
		}
		if (why != vm_no_boot || attempt == 2 || relaunch_log(log, &logfd) < 0)
			break;
		res->relaunched = 1;
	}
	follow_read(f, 1);
	res->seconds = loop_now() - f->launched;
	res->forwarded = f->points;
	res->forwarded_failed = f->failed;
	res->boot_seconds = f->first > 0 ? f->first - f->launched : 0;
	snprintf(args, sizeof(args), "%s/" GUEST_STATUS, o->run_dir);
	if (why == NULL && guest_status_read(args, &res->status) == 0) {
		res->ok = 1;
		rc = 0;
	} else {
		memset(&res->status, 0, sizeof(res->status));
		explain(o, why ? why : "the VM stopped without reporting", status, res);
	}
out:
	if (in >= 0) {
		loop_del(o->loop, in);
		close(in);
	}
	if (logfd >= 0)
		close(logfd);
	if (f != NULL && f->fd >= 0)
		close(f->fd);
	free(f);
	return rc;
}
