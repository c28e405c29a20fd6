/*
** test_spawn: spawn_start's private mount namespace. A child sees its binds
** (and its private /run) and the parent does not; a bind that cannot be made
** is an error naming that step, reported by spawn_start, not an exit status;
** a program that cannot be executed says so as before. Needs root (mount
** namespaces); skipped otherwise.
*/
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab/spawn.h"
#include "unit.h"

/* Run argv with opts; out gets what it printed, the result its exit status (-1: not started). */
static int run(struct spawn_opts *o, char *const *argv, char *out, size_t outlen, char *err, size_t errlen)
{
	int fds[2], status = -1;
	size_t n = 0;
	ssize_t r;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	o->argv = argv;
	o->netns = -1;
	o->stdin_fd = -1;
	o->out_fd = fds[1];
	err[0] = '\0';
	pid_t pid = spawn_start(o, err, errlen);
	close(fds[1]);
	while (pid > 0 && n + 1 < outlen && (r = read(fds[0], out + n, outlen - 1 - n)) > 0)
		n += (size_t)r;
	out[n] = '\0';
	close(fds[0]);
	if (pid < 0)
		return -1;
	while (spawn_exited(pid, &status) == 0) {
		if (waitpid(pid, &status, 0) == pid) {
			spawn_forget(pid);
			break;
		}
		spawn_reap();
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");
	if (f == NULL)
		return -1;
	fputs(text, f);
	return fclose(f);
}

int main(void)
{
	char top[] = "/tmp/vpnlab-test-spawn.XXXXXX", src[256], dst[256], run_dir[256], path[300];
	char out[256], err[512];

	if (geteuid() != 0) {
		printf("1..0 # SKIP mount namespaces need root\n");
		return 0;
	}
	if (mkdtemp(top) == NULL)
		return 1;
	snprintf(src, sizeof(src), "%s/src", top);
	snprintf(dst, sizeof(dst), "%s/dst", top);
	snprintf(run_dir, sizeof(run_dir), "%s/run", top);
	mkdir(src, 0755);
	mkdir(dst, 0755);
	mkdir(run_dir, 0755);
	snprintf(path, sizeof(path), "%s/secret", src);
	write_file(path, "from the bind\n");
	snprintf(path, sizeof(path), "%s/marker", run_dir);
	write_file(path, "private run\n");

	/* A bind alone: the child reads the source's file at the destination. */
	struct spawn_bind b = { src, dst };
	struct spawn_opts o = { .binds = &b, .nbinds = 1 };
	char *cat_dst[] = { "sh", "-c", "cat \"$0/secret\"", dst, NULL };
	is_int(run(&o, cat_dst, out, sizeof(out), err, sizeof(err)), 0, "bind: the child exits 0");
	is_str(out, "from the bind\n", "bind: the child sees the source at the destination");
	snprintf(path, sizeof(path), "%s/secret", dst);
	ok(access(path, F_OK) < 0 && errno == ENOENT, "bind: the parent's destination is untouched (private namespace)");

	/* With a private /run too: both mounts are there. */
	struct spawn_opts o2 = { .binds = &b, .nbinds = 1, .private_run = run_dir };
	char *cat_both[] = { "sh", "-c", "cat /run/marker \"$0/secret\"", dst, NULL };
	is_int(run(&o2, cat_both, out, sizeof(out), err, sizeof(err)), 0, "run_dir and bind: the child exits 0");
	is_str(out, "private run\nfrom the bind\n", "run_dir and bind: /run and the bind both show");

	/* A bind that cannot be made: an error from spawn_start that names the step. */
	char missing[300];
	snprintf(missing, sizeof(missing), "%s/no-such-folder", top);
	struct spawn_bind bad = { missing, dst };
	struct spawn_opts o3 = { .binds = &bad, .nbinds = 1 };
	char *t[] = { "true", NULL };
	is_int(run(&o3, t, out, sizeof(out), err, sizeof(err)), -1, "bad bind: spawn_start fails");
	is_str(err, "cannot start true: private mounts (/run, binds): No such file or directory",
	       "bad bind: the error names the mount step and errno");

	/* A missing program: the message it always had. */
	struct spawn_opts o4 = { 0 };
	char *nope[] = { "vpnlab-no-such-program", NULL };
	is_int(run(&o4, nope, out, sizeof(out), err, sizeof(err)), -1, "missing program: spawn_start fails");
	is_str(err, "cannot start vpnlab-no-such-program: No such file or directory", "missing program: the message");

	snprintf(path, sizeof(path), "rm -rf '%s'", top);
	if (system(path) != 0)
		printf("# could not remove %s\n", top);
	return unit_done();
}
