/*
** labjoin.c: see labjoin.h. Every descriptor is opened through
** /proc/<init>/..., and the init process's start time is checked again after
** the opens: a pid recycled between the check and the open is refused.
*/
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab/labjoin.h"

static int not_running(const struct labstate *s, char *err, size_t errlen)
{
	if (!s->built && labstate_alive(s->holder, s->holder_start))
		snprintf(err, errlen, "lab '%s' is still starting", s->name);
	else if (s->holder > 0)
		snprintf(err, errlen, "lab '%s' is not running (its holder, pid %d, is gone): "
		         "vpnlab down %s removes it", s->name, (int)s->holder, s->name);
	else
		snprintf(err, errlen, "lab '%s' is not running (it has no holder): vpnlab down %s removes it",
		         s->name, s->name);
	return -1;
}

static int open_init(const struct labstate *s, const char *what, char *err, size_t errlen)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)s->init, what);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		snprintf(err, errlen, "lab '%s': %s: %s", s->name, path, strerror(errno));
	return fd;
}

int labjoin_open(struct labjoin *j, const struct labstate *s, char *err, size_t errlen)
{
	j->s = s;
	j->pidns = j->mntns = -1;
	if (!s->built || !labstate_alive(s->holder, s->holder_start) || !labstate_alive(s->init, s->init_start))
		return not_running(s, err, errlen);
	if ((j->pidns = open_init(s, "ns/pid", err, errlen)) >= 0)
		j->mntns = open_init(s, "ns/mnt", err, errlen);
	if (j->mntns < 0 || !labstate_alive(s->init, s->init_start)) {
		labjoin_close(j);
		/* It ended meanwhile (a down), or its pid now names another process. */
		return labstate_alive(s->init, s->init_start) ? -1 : not_running(s, err, errlen);
	}
	return 0;
}

void labjoin_close(struct labjoin *j)
{
	if (j->pidns >= 0)
		close(j->pidns);
	if (j->mntns >= 0)
		close(j->mntns);
	j->pidns = j->mntns = -1;
}

int labjoin_netns(struct labjoin *j, int fd_in_init, char *err, size_t errlen)
{
	char what[32];
	struct stat st;
	int fd;

	snprintf(what, sizeof(what), "fd/%d", fd_in_init);
	fd = open_init(j->s, what, err, errlen);
	if (fd < 0)
		return -1;
	/* A network namespace, and still the lab's init holding it. */
	if (fstat(fd, &st) < 0 || !labstate_alive(j->s->init, j->s->init_start)) {
		close(fd);
		return not_running(j->s, err, errlen);
	}
	return fd;
}

pid_t labjoin_fork(struct labjoin *j, char *err, size_t errlen)
{
	int own = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
	pid_t pid;

	/*
	** The PID namespace applies to children only: this process stays where
	** it is, and its later children (a sanitizer's tracer) go back to its own.
	*/
	if (own < 0 || setns(j->pidns, CLONE_NEWPID) < 0) {
		snprintf(err, errlen, "entering the lab's PID namespace: %s", strerror(errno));
		if (own >= 0)
			close(own);
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		snprintf(err, errlen, "fork: %s", strerror(errno));
	if (pid != 0)
		setns(own, CLONE_NEWPID);   /* its own active namespace: always allowed */
	close(own);
	return pid;
}

/* 1 when the lab's process pid is a child of its PID 1 (a daemon the scenario started, not a joined one). */
static int started_by_lab(long pid)
{
	char path[64], buf[512];
	FILE *f;
	int ppid = 0;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((f = fopen(path, "re")) == NULL)
		return 0;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	return p != NULL && sscanf(p + 1, " %*c %d", &ppid) == 1 && ppid == 1;
}

/*
** The mount namespace of the first daemon (lowest pid) the lab started in
** netns that has mounts of its own, or -1.
*/
static int daemon_mntns(int netns, int run_mnt)
{
	struct stat net, mnt, st;
	char path[300];
	DIR *d;
	struct dirent *de;
	long best = LONG_MAX;

	if (fstat(netns, &net) < 0 || fstat(run_mnt, &mnt) < 0 || (d = opendir("/proc")) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		if (*end != '\0' || pid <= 1 || pid >= best)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/ns/net", pid);
		if (stat(path, &st) < 0 || st.st_ino != net.st_ino || st.st_dev != net.st_dev)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/ns/mnt", pid);
		if (stat(path, &st) == 0 && st.st_ino != mnt.st_ino && started_by_lab(pid))
			best = pid;
	}
	closedir(d);
	if (best == LONG_MAX)
		return -1;
	snprintf(path, sizeof(path), "/proc/%ld/ns/mnt", best);
	return open(path, O_RDONLY | O_CLOEXEC);
}

int labjoin_node_view(struct labjoin *j, int netns, char *err, size_t errlen)
{
	char cwd[PATH_MAX];
	int have_cwd = getcwd(cwd, sizeof(cwd)) != NULL, daemon;

	if (setns(netns, CLONE_NEWNET) < 0 || setns(j->mntns, CLONE_NEWNS) < 0) {
		snprintf(err, errlen, "entering the lab's namespaces: %s", strerror(errno));
		return -1;
	}
	/* Now /proc is the lab's: its processes are the only ones to look at. */
	daemon = daemon_mntns(netns, j->mntns);
	if (daemon >= 0 && setns(daemon, CLONE_NEWNS) < 0) {
		snprintf(err, errlen, "entering the node's daemon's mounts: %s", strerror(errno));
		close(daemon);
		return -1;
	}
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		snprintf(err, errlen, "a private mount namespace: %s", strerror(errno));
		return -1;
	}
	/* A daemon's mounts already show the node's /sys (spawn.c); the run's show the runner's. */
	if (daemon < 0 && mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
		snprintf(err, errlen, "mounting the node's /sys: %s", strerror(errno));
		return -1;
	}
	if (daemon >= 0)
		close(daemon);
	if ((!have_cwd || chdir(cwd) < 0) && chdir("/") < 0) {
		snprintf(err, errlen, "chdir /: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static volatile pid_t waited_child;

static void forward_signal(int sig)
{
	if (waited_child > 0)
		kill(waited_child, sig);
}

int labjoin_wait(pid_t pid)
{
	struct sigaction ign, fwd, old[4];
	static const int sigs[4] = { SIGINT, SIGQUIT, SIGTERM, SIGHUP };
	int status = -1;

	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	memset(&fwd, 0, sizeof(fwd));
	fwd.sa_handler = forward_signal;
	waited_child = pid;
	for (int i = 0; i < 4; i++)
		sigaction(sigs[i], i < 2 ? &ign : &fwd, &old[i]);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			status = -1;
			break;
		}
	}
	for (int i = 0; i < 4; i++)
		sigaction(sigs[i], &old[i], NULL);
	waited_child = 0;
	return status;
}
