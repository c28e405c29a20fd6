/*
** timeline.c: `vpnlab timeline RESULTS_DIR|PCAP [--color=auto|always|never]`,
** the flow a run's HTML ladder draws, as text: one line a packet (time,
** link, sender -> receiver, what it is), runtime events as lines of their
** own. A scenario's folder is read from its timeline.jsonl, named by its
** lab.json; a run's folder prints each scenario under a heading; a pcap is
** decoded (pcapfile_load) into the same JSON objects first, so every
** source prints alike. Input errors exit 2 naming the file (and line).
*/
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/commands.h"
#include "report/flowtext.h"
#include "wire/pcapfile.h"
#include "wire/timeline.h"

#define TL_PATH_MAX 4200

/* dir/name into out; an over-long path becomes "" (and then fails to open, with its name). */
static const char *join(char *out, size_t len, const char *dir, const char *name)
{
	if (snprintf(out, len, "%s/%s", dir, name) >= (int)len)
		out[0] = '\0';
	return out;
}

struct tl_print {
	FILE *out;
	int color;
	json_t *lab;             /* lab.json, or NULL: addresses stand for nodes */
};

/* ---- reading ------------------------------------------------------------ */

/* Every line of a timeline.jsonl as an array of objects; NULL with err "file:line: why". */
static json_t *load_jsonl(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	json_t *all = json_array();
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t n;

	if (f == NULL || all == NULL) {
		snprintf(err, errlen, "%s: %s", path, f == NULL ? strerror(errno) : "out of memory");
		goto fail;
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		json_error_t je;
		json_t *o;

		lineno++;
		if (n == 1 && line[0] == '\n')
			continue;
		o = json_loads(line, 0, &je);
		if (!json_is_object(o)) {
			snprintf(err, errlen, "%s:%zu: not a timeline line: %s", path, lineno,
			         o == NULL ? je.text : "not a JSON object");
			json_decref(o);
			goto fail;
		}
		json_array_append_new(all, o);
	}
	free(line);
	fclose(f);
	return all;
fail:
	free(line);
	if (f != NULL)
		fclose(f);
	json_decref(all);
	return NULL;
}

/* A pcap decoded as the runner would have: timeline_write_json's objects. */
static json_t *load_pcap(const char *path, char *err, size_t errlen, int *truncated)
{
	struct timeline tl;
	char **names = NULL, *text = NULL;
	size_t nlinks = 0, len = 0;
	json_t *all = NULL;
	FILE *mem;

	timeline_init(&tl);
	if (pcapfile_load(path, &tl, &names, &nlinks, truncated, err, errlen) < 0)
		return NULL;
	if ((mem = open_memstream(&text, &len)) != NULL) {
		for (size_t i = 0; i < tl.n; i++) {
			int l = tl.p[i].link;
			timeline_write_json(mem, &tl.p[i], l >= 0 && (size_t)l < nlinks ? names[l] : NULL);
		}
		fclose(mem);
	}
	all = json_array();
	for (char *line = text, *nl; all != NULL && line != NULL && *line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		json_array_append_new(all, json_loadb(line, nl ? (size_t)(nl - line) : strlen(line), 0, NULL));
	}
	if (text == NULL || all == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		json_decref(all);
		all = NULL;
	}
	free(text);
	pcapfile_free_names(names, nlinks);
	timeline_free(&tl);
	return all;
}

/* dir/lab.json when it is there and readable, else NULL. */
static json_t *load_lab(const char *dir)
{
	char path[TL_PATH_MAX];
	json_t *lab;

	lab = json_load_file(join(path, sizeof(path), dir, "lab.json"), 0, NULL);
	if (lab != NULL && !json_is_object(lab)) {
		json_decref(lab);
		lab = NULL;
	}
	return lab;
}

/* A field's string, "" when absent. */
static const char *sget(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v ? v : "";
}

/* ---- printing ------------------------------------------------------------- */

static const char *class_colour(const char *cls)
{
	static const struct { const char *cls, *sgr; } table[] = {
		{ "ike", "34" }, { "esp", "32" }, { "esp-udp", "36" }, { "keepalive", "2" },
		{ "l2tp", "35" }, { "icmp", "33" }, { "truncated", "31" }, { "invalid", "31" },
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (!strcmp(cls, table[i].cls))
			return table[i].sgr;
	return NULL;
}

static void print_line(const struct tl_print *pr, json_t *p, int linkw)
{
	json_t *t = json_object_get(p, "t");
	double secs = json_is_number(t) ? json_number_value(t) : 0;
	const char *sgr, *nat = sget(p, "nat");
	char ends[160], what[512];

	if (json_object_get(p, "event") != NULL) {
		fprintf(pr->out, "%s%9.3f  --- event: %s%s\n", pr->color ? "\033[1;31m" : "", secs,
		        sget(p, "event"), pr->color ? "\033[0m" : "");
		return;
	}
	snprintf(ends, sizeof(ends), "%s -> %s", sget(p, "sender"), sget(p, "receiver"));
	flowtext_describe(p, what, sizeof(what));
	/* Colour goes round the description only, so the columns stay aligned. */
	sgr = pr->color ? class_colour(sget(p, "class")) : NULL;
	fprintf(pr->out, "%9.3f  %-*s  %-24s  %s%s%s%s%s", secs, linkw, sget(p, "link"), ends,
	        sgr ? "\033[" : "", sgr ? sgr : "", sgr ? "m" : "", what, sgr ? "\033[0m" : "");
	if (*nat)
		fprintf(pr->out, "  %s%s%s", pr->color ? "\033[1;33m" : "", nat, pr->color ? "\033[0m" : "");
	fputc('\n', pr->out);
}

/* The objects of one timeline, link names padded to the longest. */
static void print_all(const struct tl_print *pr, json_t *all)
{
	size_t i;
	json_t *p;
	int linkw = 4;

	json_array_foreach(all, i, p) {
		size_t n = strlen(sget(p, "link"));
		if (n > (size_t)linkw && n < 32)
			linkw = (int)n;
	}
	flowtext_annotate(all, pr->lab);
	json_array_foreach(all, i, p)
		print_line(pr, p, linkw);
}

/* ---- the three kinds of input ------------------------------------------ */

static int has_timeline(const char *dir)
{
	char path[TL_PATH_MAX];
	return access(join(path, sizeof(path), dir, "timeline.jsonl"), F_OK) == 0;
}

/* A scenario's folder, or a timeline.jsonl file given itself. */
static int print_scenario(struct tl_print *pr, const char *dir, const char *file)
{
	char path[TL_PATH_MAX], err[TL_PATH_MAX + 256];
	json_t *all;

	join(path, sizeof(path), dir, "timeline.jsonl");
	if ((all = load_jsonl(file ? file : path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "vpnlab timeline: %s\n", err);
		return 2;
	}
	pr->lab = load_lab(dir);
	print_all(pr, all);
	json_decref(pr->lab);
	pr->lab = NULL;
	json_decref(all);
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A run's folder: each scenario folder holding a timeline, by name, under a heading. */
static int print_run(struct tl_print *pr, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL, sub[TL_PATH_MAX];
	size_t n = 0, cap = 0;
	int rc = 0;

	if (d == NULL) {
		fprintf(stderr, "vpnlab timeline: %s: %s\n", dir, strerror(errno));
		return 2;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (!has_timeline(join(sub, sizeof(sub), dir, e->d_name)))
			continue;
		if (n == cap) {
			char **v = realloc(names, (cap = cap ? cap * 2 : 16) * sizeof(*v));
			if (v == NULL)
				break;
			names = v;
		}
		if ((names[n] = strdup(e->d_name)) != NULL)
			n++;
	}
	closedir(d);
	if (n == 0) {
		fprintf(stderr, "vpnlab timeline: %s: no timeline.jsonl here or in its folders "
		        "(give a scenario's or a run's results folder, or a pcap)\n", dir);
		rc = 2;
	}
	if (n > 1)
		qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n; i++) {
		join(sub, sizeof(sub), dir, names[i]);
		fprintf(pr->out, "%s== %s ==%s\n", i ? "\n" : "", names[i], "");
		if (rc == 0)
			rc = print_scenario(pr, sub, NULL);
		free(names[i]);
	}
	free(names);
	return rc;
}

/* pcapfile's message, with the file's name in front unless it is there already. */
static void pcap_error(const char *path, const char *err)
{
	if (strncmp(err, path, strlen(path)) == 0)
		fprintf(stderr, "vpnlab timeline: %s\n", err);
	else
		fprintf(stderr, "vpnlab timeline: %s: %s\n", path, err);
}

/* A capture file: decoded here; a lab.json beside it names the nodes. */
static int print_pcap(struct tl_print *pr, const char *path)
{
	char err[1024], dir[TL_PATH_MAX];
	const char *slash = strrchr(path, '/');
	int truncated = 0;
	json_t *all = load_pcap(path, err, sizeof(err), &truncated);

	if (all == NULL) {
		pcap_error(path, err);
		return 2;
	}
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
	pr->lab = load_lab(dir);
	print_all(pr, all);
	json_decref(pr->lab);
	pr->lab = NULL;
	json_decref(all);
	if (truncated) {   /* what was read is printed; the file is still not whole */
		pcap_error(path, err);
		return 2;
	}
	return 0;
}

static int usage(void)
{
	fputs("usage: vpnlab timeline RESULTS_DIR|PCAP [--color=auto|always|never]\n", stderr);
	return 2;
}

int cmd_timeline(int argc, char **argv)
{
	struct tl_print pr = { stdout, -1, NULL };
	const char *path = NULL, *env = getenv("NO_COLOR");
	struct stat st;
	size_t len;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--color=always") || !strcmp(argv[i], "--color"))
			pr.color = 1;
		else if (!strcmp(argv[i], "--color=never"))
			pr.color = 0;
		else if (!strcmp(argv[i], "--color=auto"))
			pr.color = -1;
		else if (argv[i][0] == '-' && argv[i][1] != '\0')
			return fprintf(stderr, "vpnlab timeline: unknown option %s\n", argv[i]), usage();
		else if (path == NULL)
			path = argv[i];
		else
			return fprintf(stderr, "vpnlab timeline: one path only (%s)\n", argv[i]), usage();
	}
	if (path == NULL)
		return usage();
	if (pr.color < 0)
		pr.color = isatty(STDOUT_FILENO) && (env == NULL || *env == '\0');
	if (stat(path, &st) < 0) {
		fprintf(stderr, "vpnlab timeline: %s: %s\n", path, strerror(errno));
		return 2;
	}
	len = strlen(path);
	if (S_ISDIR(st.st_mode))
		return has_timeline(path) ? print_scenario(&pr, path, NULL) : print_run(&pr, path);
	if (len > 6 && !strcmp(path + len - 6, ".jsonl")) {
		char dir[TL_PATH_MAX];
		const char *slash = strrchr(path, '/');
		snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
		return print_scenario(&pr, dir, path);
	}
	return print_pcap(&pr, path);
}
