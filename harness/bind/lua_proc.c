/*
** lua_proc.c: processes started inside nodes, as "vpnlab.proc" userdata.
** A process's stdout and stderr go through one pipe that the loop reads: each
** line is appended to the process's log file in the results folder and kept
** in memory so Lua can wait for a line (readiness, failures) without polling.
*/
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bind/luax.h"
#include "lab/spawn.h"

#define PROC_MT "vpnlab.proc"

struct proc {
	pid_t pid;               /* 0 once reaped and forgotten */
	int out;                 /* read end of the output pipe, -1 at EOF */
	FILE *log;
	char **lines;
	size_t nlines, caplines;
	char partial[4096];
	size_t npartial;
	int exited, status;
	struct run *run;
	int refs;                /* the userdata and the run's list */
};

static void add_line(struct proc *p, const char *s, size_t n)
{
	if (p->log != NULL) {
		fwrite(s, 1, n, p->log);
		fputc('\n', p->log);
	}
	if (p->nlines == p->caplines) {
		size_t cap = p->caplines ? p->caplines * 2 : 64;
		char **l = realloc(p->lines, cap * sizeof(*l));
		if (l == NULL)
			return;
		p->lines = l;
		p->caplines = cap;
	}
	p->lines[p->nlines] = strndup(s, n);
	if (p->lines[p->nlines] != NULL)
		p->nlines++;
}

static void flush_partial(struct proc *p)
{
	if (p->npartial > 0)
		add_line(p, p->partial, p->npartial);
	p->npartial = 0;
}

static void close_output(struct proc *p)
{
	if (p->out < 0)
		return;
	loop_del(p->run->loop, p->out);
	close(p->out);
	p->out = -1;
	flush_partial(p);
	if (p->log != NULL)
		fflush(p->log);
}

/* Split output into lines; a line longer than the buffer is cut into pieces. */
static void consume(struct proc *p, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n' || p->npartial == sizeof(p->partial)) {
			flush_partial(p);
			if (buf[i] == '\n')
				continue;
		}
		p->partial[p->npartial++] = buf[i];
	}
	if (p->log != NULL)
		fflush(p->log);
}

static void on_output(void *arg, int fd, short revents)
{
	struct proc *p = arg;
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf));
	(void)revents;

	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			close_output(p);
		return;
	}
	consume(p, buf, (size_t)n);
}

static void update_exit(struct proc *p)
{
	if (!p->exited && p->pid > 0 && spawn_exited(p->pid, &p->status) == 1) {
		p->exited = 1;
		spawn_forget(p->pid);
	}
}

static void proc_release(struct proc *p)
{
	if (--p->refs > 0)
		return;
	close_output(p);
	if (p->log != NULL)
		fclose(p->log);
	for (size_t i = 0; i < p->nlines; i++)
		free(p->lines[i]);
	free(p->lines);
	free(p);
}

static struct proc *check_proc(lua_State *L, int arg)
{
	struct proc **pp = luaL_checkudata(L, arg, PROC_MT);
	if (*pp == NULL)
		lx_error(L, "process handle is closed");
	return *pp;
}

static char **string_array(lua_State *L, int idx, const char *what)
{
	lua_Integer n = (lua_Integer)luaL_len(L, idx);
	char **v = lua_newuserdatauv(L, (size_t)(n + 1) * sizeof(char *), 0);   /* freed by the GC */
	for (lua_Integer i = 1; i <= n; i++) {
		lua_geti(L, idx, i);
		if (lua_type(L, -1) != LUA_TSTRING && lua_type(L, -1) != LUA_TNUMBER)
			lx_error(L, "%s[%d] must be a string", what, (int)i);
		v[i - 1] = (char *)lua_tostring(L, -1);
		lua_pop(L, 1);   /* anchored in the argument table */
	}
	v[n] = NULL;
	return v;
}

/*
** binds = { { "/src", "/dst" }, ... }: bind mounts for the child's private
** mount namespace. The array lives in a userdata freed by the GC; the strings
** are anchored in the argument table.
*/
static struct spawn_bind *bind_array(lua_State *L, int idx, size_t *count)
{
	lua_Integer n = (lua_Integer)luaL_len(L, idx);
	struct spawn_bind *v = lua_newuserdatauv(L, (size_t)(n > 0 ? n : 1) * sizeof(*v), 0);
	for (lua_Integer i = 1; i <= n; i++) {
		if (lua_geti(L, idx, i) != LUA_TTABLE)
			lx_error(L, "spawn: binds[%d] must be a table { source, destination }", (int)i);
		lua_geti(L, -1, 1);
		lua_geti(L, -2, 2);
		if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING)
			lx_error(L, "spawn: binds[%d] must be { source, destination } (two paths)", (int)i);
		v[i - 1].src = lua_tostring(L, -2);
		v[i - 1].dst = lua_tostring(L, -1);
		lua_pop(L, 3);
	}
	*count = (size_t)n;
	return v;
}

static int register_proc(struct run *r, struct proc *p)
{
	if (r->nprocs == r->capprocs) {
		int cap = r->capprocs ? r->capprocs * 2 : 16;
		struct proc **v = realloc(r->procs, (size_t)cap * sizeof(*v));
		if (v == NULL)
			return -1;
		r->procs = v;
		r->capprocs = cap;
	}
	r->procs[r->nprocs++] = p;
	p->refs++;
	return 0;
}

/*
** core.spawn(node, { argv = {...}, env = {...}, log = path, run_dir = path, cwd = path,
**                    binds = { { src, dst }, ... } })
** -> proc | nil, msg. node may be false to run in the runner's namespace.
** run_dir is bound over /run and each of binds over its destination, in a
** private mount namespace the child alone sees.
*/
static int core_spawn(lua_State *L)
{
	struct run *r = lx_run(L);
	struct spawn_opts o = { .netns = -1, .stdin_fd = -1 };
	int pipefd[2];
	char err[512];

	luaL_checktype(L, 2, LUA_TTABLE);
	if (lua_toboolean(L, 1)) {
		if (r->lab == NULL)
			return lx_error(L, "no lab: call vpnlab.start first");
		int n = topo_node_index(&r->lab->topo, luaL_checkstring(L, 1));
		if (n < 0)
			return lx_error(L, "unknown node '%s'", lua_tostring(L, 1));
		o.netns = r->lab->nodes[n].nsfd;
	}
	if (lua_getfield(L, 2, "argv") != LUA_TTABLE || luaL_len(L, -1) < 1)
		return lx_error(L, "spawn: argv must be a non-empty list");
	o.argv = string_array(L, lua_absindex(L, -1), "argv");
	if (lua_getfield(L, 2, "env") == LUA_TTABLE)
		o.env = string_array(L, lua_absindex(L, -1), "env");
	if (lua_getfield(L, 2, "binds") == LUA_TTABLE)
		o.binds = bind_array(L, lua_absindex(L, -1), &o.nbinds);
	lua_getfield(L, 2, "run_dir");
	o.private_run = lua_tostring(L, -1);
	lua_getfield(L, 2, "cwd");
	o.cwd = lua_tostring(L, -1);
	lua_getfield(L, 2, "log");
	const char *logpath = lua_tostring(L, -1);

	struct proc **pp = lua_newuserdatauv(L, sizeof(*pp), 0);
	*pp = NULL;
	luaL_setmetatable(L, PROC_MT);
	struct proc *p = calloc(1, sizeof(*p));
	if (p == NULL || pipe2(pipefd, O_CLOEXEC) < 0) {
		free(p);
		return luaL_error(L, "spawn: out of resources");
	}
	p->run = r;
	p->out = pipefd[0];
	p->refs = 1;
	*pp = p;
	if (logpath != NULL && (p->log = fopen(logpath, "we")) == NULL)
		return lx_error(L, "spawn: cannot write %s: %s", logpath, strerror(errno));
	o.out_fd = pipefd[1];
	p->pid = spawn_start(&o, err, sizeof(err));
	close(pipefd[1]);
	if (p->pid < 0) {
		p->pid = 0;
		luaL_pushfail(L);
		lua_pushstring(L, err);
		return 2;
	}
	fcntl(p->out, F_SETFL, O_NONBLOCK);
	loop_add(r->loop, p->out, POLLIN, on_output, p);
	register_proc(r, p);
	return 1;
}

/* proc:line(i) -> string | nil   proc:lines() -> count */
static int proc_line(lua_State *L)
{
	struct proc *p = check_proc(L, 1);
	lua_Integer i = luaL_checkinteger(L, 2);
	if (i < 1 || (size_t)i > p->nlines)
		luaL_pushfail(L);
	else
		lua_pushstring(L, p->lines[i - 1]);
	return 1;
}

static int proc_count(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)check_proc(L, 1)->nlines);
	return 1;
}

/*
** proc:wait_line(i, seconds) -> true when line i exists, false at the
** deadline or when the process closed its output without writing it.
*/
static int proc_wait_line(lua_State *L)
{
	struct proc *p = check_proc(L, 1);
	size_t want = (size_t)luaL_checkinteger(L, 2);
	double deadline = lx_deadline(L, luaL_checknumber(L, 3));
	while (p->nlines < want && p->out >= 0 && loop_now() < deadline)
		lx_wait(L, deadline, "a line of a process's output");
	lua_pushboolean(L, p->nlines >= want);
	return 1;
}

/* proc:wait(seconds) -> exit status (128+signal when killed) | nil on timeout */
static int proc_wait(lua_State *L)
{
	struct proc *p = check_proc(L, 1);
	double deadline = lx_deadline(L, luaL_optnumber(L, 2, 30));
	for (update_exit(p); !(p->exited && p->out < 0); update_exit(p)) {
		if (loop_now() >= deadline)
			break;
		lx_wait(L, deadline, "a process to exit");
	}
	if (!p->exited) {
		luaL_pushfail(L);
		return 1;
	}
	lua_pushinteger(L, WIFEXITED(p->status) ? WEXITSTATUS(p->status) : 128 + WTERMSIG(p->status));
	return 1;
}

/* proc:alive() -> boolean */
static int proc_alive(lua_State *L)
{
	struct proc *p = check_proc(L, 1);
	update_exit(p);
	lua_pushboolean(L, p->pid > 0 && !p->exited);
	return 1;
}

/* proc:kill([signal number]) */
static int proc_kill(lua_State *L)
{
	struct proc *p = check_proc(L, 1);
	update_exit(p);
	if (p->pid > 0 && !p->exited)
		kill(p->pid, (int)luaL_optinteger(L, 2, SIGTERM));
	return 0;
}

/* proc:pid() */
static int proc_pid(lua_State *L)
{
	lua_pushinteger(L, check_proc(L, 1)->pid);
	return 1;
}

/* proc:output() -> every line so far, joined with newlines */
static int proc_output(lua_State *L)
{
	struct proc *p = check_proc(L, 1);
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	for (size_t i = 0; i < p->nlines; i++) {
		luaL_addstring(&b, p->lines[i]);
		luaL_addchar(&b, '\n');
	}
	luaL_pushresult(&b);
	return 1;
}

static int proc_gc(lua_State *L)
{
	struct proc **pp = luaL_checkudata(L, 1, PROC_MT);
	if (*pp != NULL)
		proc_release(*pp);
	*pp = NULL;
	return 0;
}

/* Read what a stopped process wrote last, then close its pipe. */
static void drain_output(struct proc *p)
{
	while (p->out >= 0) {
		char buf[4096];
		ssize_t n = read(p->out, buf, sizeof(buf));
		if (n <= 0) {
			close_output(p);
			break;
		}
		consume(p, buf, (size_t)n);
	}
}

static int all_exited(struct run *r)
{
	for (int i = 0; i < r->nprocs; i++) {
		update_exit(r->procs[i]);
		if (r->procs[i]->pid > 0 && !r->procs[i]->exited)
			return 0;
	}
	return 1;
}

static void signal_all(struct run *r, int sig)
{
	for (int i = 0; i < r->nprocs; i++)
		if (r->procs[i]->pid > 0 && !r->procs[i]->exited)
			kill(r->procs[i]->pid, sig);
}

/*
** Stop every process of the run at once: SIGTERM to all (daemons shut down
** in parallel), a grace period that ends as soon as all have exited, then
** SIGKILL for the rest.
*/
void lx_stop_all_procs(struct run *r)
{
	double deadline = loop_now() + 2.0 * r->time_scale;

	signal_all(r, SIGTERM);
	while (!all_exited(r) && loop_now() < deadline)
		loop_once(r->loop, deadline - loop_now());
	signal_all(r, SIGKILL);
	while (!all_exited(r))
		loop_once(r->loop, 1.0);
	/* Anything the daemons forked and left behind; only as PID 1 of our own namespace. */
	if (getpid() == 1) {
		kill(-1, SIGKILL);
		spawn_reap_all();
	}
	for (int i = 0; i < r->nprocs; i++) {
		drain_output(r->procs[i]);
		proc_release(r->procs[i]);
	}
	free(r->procs);
	r->procs = NULL;
	r->nprocs = r->capprocs = 0;
}

void lx_open_proc(lua_State *L)
{
	static const luaL_Reg methods[] = {
		{ "line", proc_line },
		{ "count", proc_count },
		{ "wait_line", proc_wait_line },
		{ "wait", proc_wait },
		{ "alive", proc_alive },
		{ "kill", proc_kill },
		{ "pid", proc_pid },
		{ "output", proc_output },
		{ NULL, NULL },
	};
	if (luaL_newmetatable(L, PROC_MT)) {
		luaL_newlib(L, methods);
		lua_setfield(L, -2, "__index");
		lua_pushcfunction(L, proc_gc);
		lua_setfield(L, -2, "__gc");
	}
	lua_pop(L, 1);
	lua_pushcfunction(L, core_spawn);
	lua_setfield(L, -2, "spawn");
}
