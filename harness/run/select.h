/*
** select: which scenarios a run runs, and in which order. Files named on
** the command line keep the order given; a folder expands to every *.lua
** below it, sorted by path (links followed once, topologies/ skipped).
** Each file's tags (a literal `vpnlab.tags{ "nat", "slow" }`) and kernel
** requirements (a literal `vpnlab.requires{ ... }`) are read from its text
** without running it, so --tags and --list work before any lab exists.
*/
#ifndef VPNLAB_SELECT_H
#define VPNLAB_SELECT_H

#include <stddef.h>
#include <stdio.h>

struct features;

struct scenario_info {
	char *path;                 /* as given, or found under a given folder */
	char **tags;                /* declared tags, in file order */
	size_t ntags;
	char **requires;            /* declared kernel features (esp, ah, l2tp, ppp, netem, ...) */
	size_t nrequires;
};

struct selection {
	struct scenario_info *v;
	size_t n;
};

struct select_opts {
	char **only;                /* glob patterns; a scenario must match one (none: all) */
	int nonly;
	char **skip;                /* glob patterns; a scenario matching one is left out */
	int nskip;
	const char *tags;           /* "nat,!slow": all plain tags present, no !tag present; NULL: any */
	int shard_index;            /* 1-based I of --shard I/N; 0 when not sharding */
	int shard_count;
};

/* Collect args into out (appended). 0, or -1 with err ("path: No such file ..."). */
int select_collect(char **args, int nargs, struct selection *out, char *err, size_t errlen);
/*
** Keep what o selects, in order: --only, --skip, --tags, then the shard
** (the k-th remaining scenario, 0-based, is in shard k % N + 1: balanced,
** the same on every machine for the same files). -1 with err for a tag
** that no collected scenario declares (a typo selects nothing silently
** otherwise) or a bad pattern.
*/
int select_filter(struct selection *s, const struct select_opts *o, char *err, size_t errlen);
/* "I/N" with 1 <= I <= N: 0, or -1 with err. */
int select_parse_shard(const char *spec, int *index, int *count, char *err, size_t errlen);
/*
** --list: one line per scenario: its path, tags, requirements and the
** backend it would get ("host", "vm", or "skip: <why>") given this kernel's
** features, the chosen backend ("host", "vm", "auto") and whether a VM
** image is ready. f is probed lazily (features_has), hence not const.
*/
void select_print_list(FILE *out, const struct selection *s, struct features *f,
                       const char *backend, int have_vm);
void select_free(struct selection *s);

#endif
