/*
** labstate.c: see labstate.h. The files are lines of "key value"; a value
** that is a path runs to the end of its line (paths with a newline are
** refused when written). Readers check every field, as the files outlive the
** process that wrote them and a killed writer may leave them short.
*/
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab/labstate.h"

const char *labstate_root(void)
{
	const char *env = getenv("VPNLAB_LABS");
	return env != NULL && env[0] == '/' ? env : "/run/vpnlab/labs";
}

int labstate_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n >= LABSTATE_NAME_MAX || strspn(name, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != n)
		return 0;
	return name[0] != '.' && name[0] != '-' && name[0] != '_';
}

/* mkdir -p of the root (its parents too: /run/vpnlab may not exist yet). */
static int make_root(const char *root)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s", root);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(path, 0700) < 0 && errno != EEXIST ? -1 : 0;
}

int labstate_create(const char *name, char *err, size_t errlen)
{
	char path[PATH_MAX];
	const char *root = labstate_root();
	int fd;

	snprintf(path, sizeof(path), "%s/%s", root, name);
	/* A `down` of the last lab may remove the root between the two steps: try again. */
	for (int tries = 0;; tries++) {
		if (make_root(root) == 0 && mkdir(path, 0700) == 0)
			break;
		if (errno == ENOENT && tries < 3)
			continue;
		int e = errno;
		if (e == EEXIST)
			snprintf(err, errlen, "a lab named '%s' exists (vpnlab ls; vpnlab down %s)", name, name);
		else
			snprintf(err, errlen, "cannot create %s: %s", path, strerror(e));
		errno = e;
		return -1;
	}
	fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	return fd;
}

/* Write text to file name in dirfd through a temporary file and a rename. */
static int write_file(int dirfd, const char *name, const char *text, size_t len)
{
	char tmpname[64];
	int fd, rc = -1;

	snprintf(tmpname, sizeof(tmpname), ".%s.tmp", name);
	fd = openat(dirfd, tmpname, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (write(fd, text, len) == (ssize_t)len && fsync(fd) == 0)
		rc = 0;
	if (close(fd) < 0)
		rc = -1;
	if (rc == 0)
		rc = renameat(dirfd, tmpname, dirfd, name);
	if (rc < 0)
		unlinkat(dirfd, tmpname, 0);
	return rc;
}

int labstate_write_holder(int dirfd, pid_t pid, unsigned long long start)
{
	char text[64];
	int n = snprintf(text, sizeof(text), "%d %llu\n", (int)pid, start);
	return write_file(dirfd, "holder", text, (size_t)n);
}

static void write_body(FILE *f, const struct labstate *s)
{
	fprintf(f, "file %s\nresults %s\n", s->file, s->results);
	fprintf(f, "init %d %llu\npidns %llu\nt0 %.6f\nswitch %d\n", (int)s->init, s->init_start,
	        s->pidns, s->t0, s->switch_fd);
	for (size_t i = 0; i < s->nnodes; i++)
		fprintf(f, "node %s %d %s\n", s->nodes[i].name, s->nodes[i].fd,
		        s->nodes[i].router ? "router" : "host");
	for (size_t i = 0; i < s->nlinks; i++) {
		const struct labstate_link *l = &s->links[i];
		if (l->bridge)
			fprintf(f, "link %s bridge %s\n", l->name, l->ifname);
		else
			fprintf(f, "link %s veth %s %s\n", l->name, s->nodes[l->ends[0]].name,
			        s->nodes[l->ends[1]].name);
	}
}

int labstate_write(int dirfd, const struct labstate *s, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	if (strchr(s->file, '\n') != NULL || strchr(s->results, '\n') != NULL) {
		snprintf(err, errlen, "a path with a newline cannot be recorded");
		return -1;
	}
	if ((f = open_memstream(&text, &len)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	write_body(f, s);
	if (fclose(f) != 0) {
		free(text);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = write_file(dirfd, "lab", text, len);
	if (rc < 0)
		snprintf(err, errlen, "writing the lab's registry entry: %s", strerror(errno));
	free(text);
	return rc;
}

/* ---- reading ------------------------------------------------------------ */

/* Copy src into dst (size n); -1 if it does not fit or is empty. */
static int copy_name(char *dst, size_t n, const char *src)
{
	size_t len = strlen(src);
	if (len == 0 || len >= n)
		return -1;
	memcpy(dst, src, len + 1);
	return 0;
}

static int parse_node(struct labstate *s, char *rest)
{
	char name[64], kind[16];
	int fd;
	struct labstate_node *v;

	if (sscanf(rest, "%63s %d %15s", name, &fd, kind) != 3 || fd < 0)
		return -1;
	v = realloc(s->nodes, (s->nnodes + 1) * sizeof(*v));
	if (v == NULL)
		return -1;
	s->nodes = v;
	v = &s->nodes[s->nnodes];
	if (copy_name(v->name, sizeof(v->name), name) < 0)
		return -1;
	v->fd = fd;
	v->router = strcmp(kind, "router") == 0;
	s->nnodes++;
	return 0;
}

/* After every node line: a veth's ends name nodes already read. */
static int parse_link(struct labstate *s, char *rest)
{
	char name[64], kind[16], a[64], b[64];
	struct labstate_link *v;
	int got = sscanf(rest, "%63s %15s %63s %63s", name, kind, a, b);

	if (got < 3)
		return -1;
	v = realloc(s->links, (s->nlinks + 1) * sizeof(*v));
	if (v == NULL)
		return -1;
	s->links = v;
	v = &s->links[s->nlinks];
	memset(v, 0, sizeof(*v));
	if (copy_name(v->name, sizeof(v->name), name) < 0)
		return -1;
	if (strcmp(kind, "bridge") == 0 && got == 3) {
		v->bridge = 1;
		if (copy_name(v->ifname, sizeof(v->ifname), a) < 0)
			return -1;
	} else if (strcmp(kind, "veth") == 0 && got == 4) {
		memcpy(v->ifname, v->name, sizeof(v->ifname));
		v->ends[0] = labstate_node_index(s, a);
		v->ends[1] = labstate_node_index(s, b);
		if (v->ends[0] < 0 || v->ends[1] < 0)
			return -1;
	} else {
		return -1;
	}
	s->nlinks++;
	return 0;
}

static int parse_line(struct labstate *s, char *line)
{
	char *sp = strchr(line, ' ');
	int pid = 0;

	if (sp == NULL)
		return -1;
	*sp = '\0';
	char *rest = sp + 1;
	if (!strcmp(line, "file"))
		return copy_name(s->file, sizeof(s->file), rest);
	if (!strcmp(line, "results"))
		return copy_name(s->results, sizeof(s->results), rest);
	if (!strcmp(line, "init")) {
		if (sscanf(rest, "%d %llu", &pid, &s->init_start) != 2 || pid <= 0)
			return -1;
		s->init = pid;
		return 0;
	}
	if (!strcmp(line, "pidns"))
		return sscanf(rest, "%llu", &s->pidns) == 1 ? 0 : -1;
	if (!strcmp(line, "t0"))
		return sscanf(rest, "%lf", &s->t0) == 1 ? 0 : -1;
	if (!strcmp(line, "switch"))
		return sscanf(rest, "%d", &s->switch_fd) == 1 ? 0 : -1;
	if (!strcmp(line, "node"))
		return parse_node(s, rest);
	if (!strcmp(line, "link"))
		return parse_link(s, rest);
	return 0;   /* a key of a later version: not ours to judge */
}

static int read_lab_file(FILE *f, struct labstate *s)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int rc = 0;

	while (rc == 0 && (len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] != '\n') {
			rc = -1;   /* cut short: a writer died mid-line (rename makes this unlikely) */
			break;
		}
		line[len - 1] = '\0';
		rc = parse_line(s, line);
	}
	free(line);
	if (rc == 0 && (s->init <= 0 || !s->file[0] || !s->results[0]))
		rc = -1;
	return rc;
}

static void read_holder(const char *dir, struct labstate *s)
{
	char path[PATH_MAX + 16];
	FILE *f;
	int pid;

	snprintf(path, sizeof(path), "%s/holder", dir);
	if ((f = fopen(path, "re")) == NULL)
		return;
	if (fscanf(f, "%d %llu", &pid, &s->holder_start) == 2 && pid > 0)
		s->holder = pid;
	fclose(f);
}

int labstate_read(const char *name, struct labstate *s, char *err, size_t errlen)
{
	char dir[PATH_MAX], path[PATH_MAX + 8];
	struct stat st;
	FILE *f;

	memset(s, 0, sizeof(*s));
	s->switch_fd = -1;
	if (!labstate_name_ok(name)) {
		snprintf(err, errlen, "'%s' is not a lab name", name);
		errno = ENOENT;
		return -1;
	}
	snprintf(s->name, sizeof(s->name), "%s", name);
	snprintf(dir, sizeof(dir), "%s/%s", labstate_root(), name);
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "no lab named '%s' (vpnlab ls lists them)", name);
		errno = ENOENT;
		return -1;
	}
	read_holder(dir, s);
	snprintf(path, sizeof(path), "%s/lab", dir);
	if ((f = fopen(path, "re")) == NULL)
		return 0;   /* still starting, or its holder died before the lab was built */
	int rc = read_lab_file(f, s);
	fclose(f);
	if (rc < 0) {
		/* Treated as never built: it can still be listed as dead and removed. */
		labstate_free(s);
		s->init = 0;
		s->pidns = 0;
		return 0;
	}
	s->built = 1;
	return 0;
}

void labstate_free(struct labstate *s)
{
	free(s->nodes);
	free(s->links);
	s->nodes = NULL;
	s->links = NULL;
	s->nnodes = s->nlinks = 0;
}

int labstate_remove(const char *name)
{
	static const char *const files[] = { "holder", "lab", ".holder.tmp", ".lab.tmp" };
	char dir[PATH_MAX], path[PATH_MAX + 16];
	const char *root = labstate_root();

	if (!labstate_name_ok(name))
		return -1;
	snprintf(dir, sizeof(dir), "%s/%s", root, name);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	if (rmdir(dir) < 0 && errno != ENOENT)
		return -1;
	/* Leave no empty folders behind; another lab's (or a racing up's) keeps them. */
	if (rmdir(root) == 0 && strcmp(root, "/run/vpnlab/labs") == 0)
		rmdir("/run/vpnlab");
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int labstate_names(char ***names)
{
	DIR *d = opendir(labstate_root());
	struct dirent *de;
	char **v = calloc(1, sizeof(*v));
	int n = 0;

	*names = NULL;
	if (v == NULL) {
		if (d != NULL)
			closedir(d);
		return -1;
	}
	while (d != NULL && (de = readdir(d)) != NULL) {
		if (!labstate_name_ok(de->d_name))
			continue;
		char **nv = realloc(v, (size_t)(n + 2) * sizeof(*v));
		if (nv == NULL || (nv[n] = strdup(de->d_name)) == NULL) {
			v = nv ? nv : v;
			v[n] = NULL;
			labstate_names_free(v);
			closedir(d);
			return -1;
		}
		v = nv;
		v[++n] = NULL;
	}
	if (d != NULL)
		closedir(d);
	qsort(v, (size_t)n, sizeof(*v), cmp_names);
	*names = v;
	return n;
}

void labstate_names_free(char **names)
{
	for (size_t i = 0; names != NULL && names[i] != NULL; i++)
		free(names[i]);
	free(names);
}

unsigned long long labstate_starttime(int procfd, pid_t pid)
{
	char path[64], buf[1024];
	unsigned long long start = 0;
	ssize_t len;
	int fd;

	if (procfd == AT_FDCWD)
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	else
		snprintf(path, sizeof(path), "%d/stat", (int)pid);
	if (pid <= 0 || (fd = openat(procfd, path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return 0;
	buf[len] = '\0';
	/* The command name may hold spaces and ')': the fields start after the last ')'. */
	char *p = strrchr(buf, ')');
	if (p == NULL)
		return 0;
	/* ") S ...": field 3 is the state; a zombie has ended, whoever reaps it. */
	if (p[1] != ' ' || p[2] == 'Z' || p[2] == 'X')
		return 0;
	for (int field = 3; field <= 22 && p != NULL; field++)
		p = strchr(p + 1, ' ');   /* the space before field `field` */
	if (p == NULL || sscanf(p + 1, "%llu", &start) != 1)
		return 0;
	return start;
}

int labstate_alive(pid_t pid, unsigned long long start)
{
	return pid > 0 && start != 0 && labstate_starttime(AT_FDCWD, pid) == start;
}

int labstate_node_index(const struct labstate *s, const char *name)
{
	for (size_t i = 0; i < s->nnodes; i++)
		if (strcmp(s->nodes[i].name, name) == 0)
			return (int)i;
	return -1;
}

int labstate_link_index(const struct labstate *s, const char *name)
{
	for (size_t i = 0; i < s->nlinks; i++)
		if (strcmp(s->links[i].name, name) == 0)
			return (int)i;
	return -1;
}
