/*
** select.c: collect scenario files, read their declared tags and kernel
** requirements from their text, keep what --only/--skip/--tags/--shard
** select, and print --list. The declarations are found by luascan,
** which reads the text without running it.
*/
#include "run/select.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab/probe.h"
#include "run/luascan.h"

#define SELECT_MAX_TEXT (1024 * 1024)   /* bytes read from a scenario: declarations sit at its top */
#define SELECT_MAX_WORD LUASCAN_MAX_WORD   /* a --tags tag is as long as a declared one can be */
#define SELECT_MAX_WORDS 256            /* tags (or requirements) kept per scenario: keeps dedup cheap */
#define SELECT_MAX_SHARDS 10000

__attribute__((format(printf, 3, 4)))
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	if (errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* ---- a list of strings (tags, requirements, found paths) ---------------- */

/* Append a copy of s (len bytes) unless unique is set and it is there already. 0 or -1. */
static int words_add(char ***v, size_t *n, const char *s, size_t len, int unique)
{
	char **nv, *copy;
	for (size_t i = 0; unique && i < *n; i++)
		if (strlen((*v)[i]) == len && memcmp((*v)[i], s, len) == 0)
			return 0;
	if ((copy = strndup(s, len)) == NULL)
		return -1;
	if ((nv = realloc(*v, (*n + 1) * sizeof(*nv))) == NULL) {
		free(copy);
		return -1;
	}
	*v = nv;
	(*v)[(*n)++] = copy;
	return 0;
}

static void words_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int words_have(char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

/* ---- declarations (found by luascan) -------------------------------------- */

/* A literal declaration: its strings join the scenario's, without duplicates. */
static int add_declared(void *ctx, enum luascan_kind kind, char *const *words, size_t nwords)
{
	struct scenario_info *si = ctx;
	char ***list = kind == LUASCAN_TAGS ? &si->tags : &si->requires;
	size_t *n = kind == LUASCAN_TAGS ? &si->ntags : &si->nrequires;
	int rc = 0;

	for (size_t i = 0; i < nwords && rc == 0 && *n < SELECT_MAX_WORDS; i++)
		rc = words_add(list, n, words[i], strlen(words[i]), 1);
	return rc;
}

/* Read the first SELECT_MAX_TEXT bytes of a regular file and scan them. */
static int read_declarations(struct scenario_info *si, char *err, size_t errlen)
{
	struct stat st;
	char *text;
	size_t len = 0;
	ssize_t got = 1;
	int fd = open(si->path, O_RDONLY | O_CLOEXEC), rc = -1;

	if (fd < 0)
		return fail(err, errlen, "%s: %s", si->path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {   /* a FIFO would block: nothing to read */
		close(fd);
		return 0;
	}
	if ((text = malloc(SELECT_MAX_TEXT)) == NULL) {
		close(fd);
		return fail(err, errlen, "%s: out of memory", si->path);
	}
	while (len < SELECT_MAX_TEXT && (got = read(fd, text + len, SELECT_MAX_TEXT - len)) > 0)
		len += (size_t)got;
	if (got < 0)
		fail(err, errlen, "%s: %s", si->path, strerror(errno));
	else if ((rc = luascan_text(text, len, add_declared, si)) < 0)
		fail(err, errlen, "%s: out of memory", si->path);
	free(text);
	close(fd);
	return rc;
}

/* ---- collecting files and folders ---------------------------------------- */

struct walk {
	struct seen { dev_t dev; ino_t ino; } *seen;   /* folders and files taken, so each is taken once */
	size_t nseen;
};

/* 1 the first time this file or folder is met, 0 after, -1 out of memory. */
static int first_visit(struct walk *w, const struct stat *st)
{
	struct seen *v;
	for (size_t i = 0; i < w->nseen; i++)
		if (w->seen[i].dev == st->st_dev && w->seen[i].ino == st->st_ino)
			return 0;
	if ((v = realloc(w->seen, (w->nseen + 1) * sizeof(*v))) == NULL)
		return -1;
	w->seen = v;
	w->seen[w->nseen++] = (struct seen){ st->st_dev, st->st_ino };
	return 1;
}

static int join_path(char *out, size_t outlen, const char *dir, const char *name, char *err, size_t errlen)
{
	size_t d = strlen(dir);
	int n = snprintf(out, outlen, "%s%s%s", dir, d > 0 && dir[d - 1] == '/' ? "" : "/", name);
	if (n < 0 || (size_t)n >= outlen)
		return fail(err, errlen, "%s/%s: path too long", dir, name);
	return 0;
}

static int is_lua_name(const char *name)
{
	size_t len = strlen(name);
	return len > 4 && strcmp(name + len - 4, ".lua") == 0;
}

/*
** Every *.lua below dir into found (unsorted). Links are followed, each
** folder and file taken once (a link loop ends); hidden entries and
** folders named topologies (they hold topologies, not scenarios) skipped.
*/
static int expand_folder(struct walk *w, const char *dir, char ***found, size_t *nfound,
                         char *err, size_t errlen)
{
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, alphasort), rc = 0;
	if (n < 0)
		return fail(err, errlen, "%s: %s", dir, strerror(errno));
	for (int i = 0; i < n; i++) {
		char path[PATH_MAX];
		const char *name = ents[i]->d_name;
		struct stat st;
		int first;
		if (rc == 0 && name[0] != '.' && (rc = join_path(path, sizeof(path), dir, name, err, errlen)) == 0 &&
		    stat(path, &st) == 0 && (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode))) {
			if (S_ISDIR(st.st_mode) && strcmp(name, "topologies") == 0)
				first = 0;
			else if (S_ISREG(st.st_mode) && !is_lua_name(name))
				first = 0;
			else if ((first = first_visit(w, &st)) < 0)
				rc = fail(err, errlen, "%s: out of memory", path);
			if (first > 0 && S_ISDIR(st.st_mode))
				rc = expand_folder(w, path, found, nfound, err, errlen);
			else if (first > 0 && words_add(found, nfound, path, strlen(path), 0) < 0)
				rc = fail(err, errlen, "%s: out of memory", path);
		}
		free(ents[i]);
	}
	free(ents);
	return rc;
}

static int by_path(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int selection_add(struct selection *out, char *path, char *err, size_t errlen)
{
	struct scenario_info *v = realloc(out->v, (out->n + 1) * sizeof(*v));
	if (v == NULL) {
		free(path);
		return fail(err, errlen, "out of memory");
	}
	out->v = v;
	out->v[out->n] = (struct scenario_info){ .path = path };
	out->n++;
	return read_declarations(&out->v[out->n - 1], err, errlen);
}

/* One argument: a file, or a folder's files sorted by path (strcmp: the same on every machine). */
static int collect_one(struct walk *w, const char *arg, struct selection *out, char *err, size_t errlen)
{
	char path[PATH_MAX], **found = NULL;
	size_t n = strlen(arg), nfound = 0, i = 0;
	struct stat st;
	int rc = 0;

	if (n >= sizeof(path))
		return fail(err, errlen, "%s: path too long", arg);
	memcpy(path, arg, n + 1);
	while (n > 1 && path[n - 1] == '/')
		path[--n] = '\0';
	if (stat(path, &st) < 0)
		return fail(err, errlen, "%s: %s", path, strerror(errno));
	if (!S_ISDIR(st.st_mode)) {
		/* A file named twice runs once, where it was first named. */
		int first = first_visit(w, &st);
		if (first < 0)
			return fail(err, errlen, "out of memory");
		return first ? selection_add(out, strdup(path), err, errlen) : 0;
	}
	if (first_visit(w, &st) < 0)
		return fail(err, errlen, "out of memory");
	rc = expand_folder(w, path, &found, &nfound, err, errlen);
	qsort(found, nfound, sizeof(*found), by_path);
	for (; rc == 0 && i < nfound; i++)
		rc = selection_add(out, found[i], err, errlen);   /* takes found[i] */
	for (; i < nfound; i++)
		free(found[i]);
	free(found);
	return rc;
}

int select_collect(char **args, int nargs, struct selection *out, char *err, size_t errlen)
{
	struct walk w = { NULL, 0 };
	struct stat st;
	int rc = 0;

	/* What out holds already counts as taken. */
	for (size_t i = 0; i < out->n && rc == 0; i++)
		if (stat(out->v[i].path, &st) == 0 && first_visit(&w, &st) < 0)
			rc = fail(err, errlen, "out of memory");
	for (int i = 0; i < nargs && rc == 0; i++)
		rc = collect_one(&w, args[i], out, err, errlen);
	free(w.seen);
	return rc;
}

/* ---- filtering ------------------------------------------------------------ */

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* Whether pattern matches the path, its basename or its basename without ".lua". */
static int pattern_matches(const char *pattern, const char *path)
{
	char stem[NAME_MAX + 1];
	const char *base = base_name(path);
	size_t len = strlen(base);

	if (fnmatch(pattern, path, 0) == 0 || fnmatch(pattern, base, 0) == 0)
		return 1;
	if (!is_lua_name(base) || len - 4 >= sizeof(stem))
		return 0;
	memcpy(stem, base, len - 4);
	stem[len - 4] = '\0';
	return fnmatch(pattern, stem, 0) == 0;
}

static int any_pattern(char *const *patterns, int n, const char *path)
{
	for (int i = 0; i < n; i++)
		if (pattern_matches(patterns[i], path))
			return 1;
	return 0;
}

static int check_patterns(const char *option, char *const *patterns, int n, char *err, size_t errlen)
{
	for (int i = 0; i < n; i++)
		if (patterns[i] == NULL || patterns[i][0] == '\0')
			return fail(err, errlen, "%s needs a pattern, not an empty string", option);
	return 0;
}

static int is_tag_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

/* A --tags expression, parsed: plain tags in want, !tags in shun. */
struct tag_expr {
	char **want, **shun;
	size_t nwant, nshun;
};

/* Every tag any scenario of s declares, comma-separated, into buf (for a message). */
static void declared_tags(const struct selection *s, char *buf, size_t len)
{
	char **all = NULL;
	size_t nall = 0, used = 0;
	for (size_t i = 0; i < s->n; i++)
		for (size_t j = 0; j < s->v[i].ntags; j++)
			if (words_add(&all, &nall, s->v[i].tags[j], strlen(s->v[i].tags[j]), 1) < 0)
				break;
	qsort(all, nall, sizeof(*all), by_path);
	buf[0] = '\0';
	for (size_t i = 0; i < nall && used < len; i++) {
		int n = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", all[i]);
		used += n > 0 ? (size_t)n : 0;
	}
	if (nall == 0)
		snprintf(buf, len, "none");
	words_free(all, nall);
}

/* Whether some scenario of s declares tag. */
static int tag_declared(const struct selection *s, const char *tag)
{
	for (size_t i = 0; i < s->n; i++)
		if (words_have(s->v[i].tags, s->v[i].ntags, tag))
			return 1;
	return 0;
}

/*
** "a,b,!c" (spaces around an item allowed): each item a tag of
** [A-Za-z0-9_.-], optionally negated; every tag must be declared by some
** scenario of s. 0, or -1 with err.
*/
static int parse_tags(const char *expr, const struct selection *s, struct tag_expr *te,
                      char *err, size_t errlen)
{
	const char *p = expr;
	for (;;) {
		const char *end = p + strcspn(p, ","), *a = p, *b = end;
		char tag[SELECT_MAX_WORD], known[1024];
		int negated;
		while (a < b && *a == ' ')
			a++;
		while (b > a && b[-1] == ' ')
			b--;
		if ((negated = (a < b && *a == '!')))
			a++;
		if (a == b)
			return fail(err, errlen, "--tags '%s': an empty tag (write tags like nat,!slow)", expr);
		if ((size_t)(b - a) >= sizeof(tag))
			return fail(err, errlen, "--tags '%s': a tag longer than %zu characters", expr, sizeof(tag) - 1);
		for (const char *c = a; c < b; c++)
			if (!is_tag_char((unsigned char)*c))
				return fail(err, errlen, "--tags '%s': '%.*s' is not a tag (letters, digits, '_', '.', '-'; "
				            "'!' negates; ',' separates)", expr, (int)(b - a), a);
		memcpy(tag, a, (size_t)(b - a));
		tag[b - a] = '\0';
		if (!tag_declared(s, tag)) {
			declared_tags(s, known, sizeof(known));
			return fail(err, errlen, "--tags: no scenario declares the tag '%s' (declared: %s)", tag, known);
		}
		if (negated ? words_add(&te->shun, &te->nshun, a, (size_t)(b - a), 1)
		            : words_add(&te->want, &te->nwant, a, (size_t)(b - a), 1))
			return fail(err, errlen, "out of memory");
		if (*end == '\0')
			return 0;
		p = end + 1;
	}
}

static int tags_match(const struct tag_expr *te, const struct scenario_info *si)
{
	for (size_t i = 0; i < te->nwant; i++)
		if (!words_have(si->tags, si->ntags, te->want[i]))
			return 0;
	for (size_t i = 0; i < te->nshun; i++)
		if (words_have(si->tags, si->ntags, te->shun[i]))
			return 0;
	return 1;
}

static void info_free(struct scenario_info *si)
{
	free(si->path);
	words_free(si->tags, si->ntags);
	words_free(si->requires, si->nrequires);
}

int select_filter(struct selection *s, const struct select_opts *o, char *err, size_t errlen)
{
	struct tag_expr te = { NULL, NULL, 0, 0 };
	size_t kept = 0, k = 0;
	int rc = -1;

	/* Every check before anything is dropped, so an error leaves s as it was. */
	if (check_patterns("--only", o->only, o->nonly, err, errlen) < 0 ||
	    check_patterns("--skip", o->skip, o->nskip, err, errlen) < 0)
		goto done;
	if (o->tags != NULL && parse_tags(o->tags, s, &te, err, errlen) < 0)
		goto done;
	if (o->shard_index != 0 &&
	    (o->shard_count < 1 || o->shard_count > SELECT_MAX_SHARDS ||
	     o->shard_index < 1 || o->shard_index > o->shard_count)) {
		fail(err, errlen, "--shard %d/%d: needs 1 <= I <= N <= %d", o->shard_index, o->shard_count,
		     SELECT_MAX_SHARDS);
		goto done;
	}
	for (size_t i = 0; i < s->n; i++) {
		struct scenario_info *si = &s->v[i];
		int keep = (o->nonly == 0 || any_pattern(o->only, o->nonly, si->path)) &&
		           !any_pattern(o->skip, o->nskip, si->path) &&
		           (o->tags == NULL || tags_match(&te, si));
		/* The shard counts only what the other filters kept. */
		if (keep && o->shard_index != 0)
			keep = (int)(k++ % (size_t)o->shard_count) + 1 == o->shard_index;
		if (keep)
			s->v[kept++] = *si;
		else
			info_free(si);
	}
	s->n = kept;
	rc = 0;
done:
	words_free(te.want, te.nwant);
	words_free(te.shun, te.nshun);
	return rc;
}

/* ---- --shard I/N ---------------------------------------------------------- */

/* A decimal 1..SELECT_MAX_SHARDS without sign, spaces or leading zeros, up to stop. */
static int parse_count(const char **p, char stop, int *out)
{
	long v = 0;
	const char *s = *p;
	if (*s < '1' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++)
		if ((v = v * 10 + (*s - '0')) > SELECT_MAX_SHARDS)
			return -1;
	if (*s != stop)
		return -1;
	*out = (int)v;
	*p = s;
	return 0;
}

int select_parse_shard(const char *spec, int *index, int *count, char *err, size_t errlen)
{
	const char *p = spec;
	int i, n;
	if (spec == NULL || parse_count(&p, '/', &i) < 0 || (p++, parse_count(&p, '\0', &n)) < 0 || i > n)
		return fail(err, errlen, "--shard needs I/N with 1 <= I <= N <= %d (e.g. 2/3), not '%s'",
		            SELECT_MAX_SHARDS, spec ? spec : "");
	*index = i;
	*count = n;
	return 0;
}

/* ---- --list ---------------------------------------------------------------- */

static void print_words(FILE *out, const char *label, char *const *v, size_t n)
{
	fprintf(out, "  %s=", label);
	if (n == 0)
		fputc('-', out);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%s%s", i ? "," : "", v[i]);
}

enum list_backend { LIST_HOST, LIST_VM, LIST_AUTO };

/*
** The backend a scenario would get, as the runner decides: a requirement
** this kernel lacks (probed now if need be; every one if f is NULL) sends
** it to the VM under auto or vm when one is prepared, else it is skipped;
** without one it runs on the host under host or auto, in the VM under vm.
*/
static void print_backend(FILE *out, const struct scenario_info *si, struct features *f,
                          enum list_backend backend, int have_vm)
{
	char missing[256] = "";
	size_t used = 0;
	for (size_t i = 0; i < si->nrequires; i++) {
		int feat = feature_from_name(si->requires[i]);
		if (feat < 0) {
			fprintf(out, "  backend=error (unknown kernel feature '%s')\n", si->requires[i]);
			return;
		}
		if ((f == NULL || !features_has(f, (enum feature)feat)) && used < sizeof(missing)) {
			int n = snprintf(missing + used, sizeof(missing) - used, "%s%s", used ? ", " : "",
			                 si->requires[i]);
			used += n > 0 ? (size_t)n : 0;
		}
	}
	if (backend == LIST_VM)
		fputs(have_vm ? "  backend=vm\n" : "  backend=skip (no VM image: run vpnlab vm prepare)\n", out);
	else if (!missing[0])
		fputs("  backend=host\n", out);
	else if (backend == LIST_AUTO && have_vm)
		fputs("  backend=vm\n", out);
	else if (backend == LIST_AUTO)
		fprintf(out, "  backend=skip (needs %s; no VM image: run vpnlab vm prepare)\n", missing);
	else
		fprintf(out, "  backend=skip (needs %s: run with --backend vm or auto)\n", missing);
}

void select_print_list(FILE *out, const struct selection *s, struct features *f,
                       const char *backend, int have_vm)
{
	/*
	** Decided once, as an enum: gcc 12.2 -O2 folded away a strcmp(backend,
	** "vm") inlined here after `backend ? backend : "auto"` (wrong output).
	*/
	enum list_backend b = backend == NULL ? LIST_AUTO : !strcmp(backend, "vm") ? LIST_VM
	                    : !strcmp(backend, "host") ? LIST_HOST : LIST_AUTO;
	for (size_t i = 0; i < s->n; i++) {
		const struct scenario_info *si = &s->v[i];
		fputs(si->path, out);
		print_words(out, "tags", si->tags, si->ntags);
		print_words(out, "requires", si->requires, si->nrequires);
		print_backend(out, si, f, b, have_vm);
	}
}

void select_free(struct selection *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++)
		info_free(&s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}
