/*
** netns.c: see netns.h. unshare(CLONE_NEWNET) moves the caller into the new
** namespace; we take an fd to it and step back with setns.
*/
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lab/netns.h"

static int home_fd = -1;

int netns_init(char *err, size_t errlen)
{
	if (home_fd >= 0)
		return 0;
	home_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (home_fd < 0) {
		snprintf(err, errlen, "open /proc/self/ns/net: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int netns_new(char *err, size_t errlen)
{
	int fd;

	if (unshare(CLONE_NEWNET) < 0) {
		snprintf(err, errlen, "new network namespace: %s", strerror(errno));
		return -1;
	}
	fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		snprintf(err, errlen, "open /proc/self/ns/net: %s", strerror(errno));
	if (netns_leave() < 0) {
		snprintf(err, errlen, "return to the runner's namespace: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

int netns_enter(int fd)
{
	return setns(fd, CLONE_NEWNET);
}

int netns_leave(void)
{
	return setns(home_fd, CLONE_NEWNET);
}

int netns_sysctl(int fd, const char *key, const char *value, char *err, size_t errlen)
{
	char path[256];
	int f, rc = -1;

	snprintf(path, sizeof(path), "/proc/sys/%s", key);
	if (netns_enter(fd) < 0) {
		snprintf(err, errlen, "setns: %s", strerror(errno));
		return -1;
	}
	/* /proc/sys/net resolves to the namespace of the opener. */
	f = open(path, O_WRONLY | O_CLOEXEC);
	if (f >= 0 && write(f, value, strlen(value)) == (ssize_t)strlen(value))
		rc = 0;
	if (rc < 0)
		snprintf(err, errlen, "sysctl %s=%s: %s", key, value, strerror(errno));
	if (f >= 0)
		close(f);
	netns_leave();
	return rc;
}

int netns_home(void)
{
	return home_fd;
}
