/*
** hostcmd: run one host program (apt-cache, apt-get, dpkg, depmod) to its
** end, as `vm prepare` needs: fork/exec with an argv (PATH lookup, never a
** shell), stdin /dev/null, stdout kept in memory or thrown away, the end of
** stderr kept for the error message, then a wait for that PID. An exec
** failure is reported as such, not as exit status 127.
*/
#ifndef VPNLAB_HOSTCMD_H
#define VPNLAB_HOSTCMD_H

#include <stddef.h>

#define HOSTCMD_OUT_MAX ((size_t)1 << 20)   /* stdout kept at most (apt-cache show) */
#define HOSTCMD_TAIL    1024                /* end of stderr kept, NUL included */

/* A program to run: argv, cwd, and what it printed. Zero it, then fill argv (and cwd, want_out). */
struct hostcmd {
	const char *const *argv;    /* argv[0] looked up in PATH; argv[0..1] name it in errors */
	const char *cwd;            /* or NULL */
	int want_out;               /* keep stdout in out (else /dev/null) */
	char *out;                  /* NUL-terminated, at most HOSTCMD_OUT_MAX bytes; hostcmd_free */
	size_t outlen;
	char tail[HOSTCMD_TAIL];    /* the last bytes of stderr, NUL-terminated */
	size_t taillen;
	int status;                 /* exit status, or -1 */
};

/*
** Run p->argv with stdin /dev/null, stdout kept in p->out if want_out,
** stderr's end in p->tail. 0 if it exited 0; -1 with err naming the program
** and its last error line otherwise (p->status tells the code; apt's
** "E: " lines are preferred). More stdout than HOSTCMD_OUT_MAX is an error.
** Waits for the child by PID: do not call it while a SIGCHLD handler reaps
** every child (waitpid(-1)).
*/
int hostcmd_run(struct hostcmd *p, char *err, size_t errlen);

/* Free p->out (p itself is the caller's); p may be NULL. */
void hostcmd_free(struct hostcmd *p);

#endif
