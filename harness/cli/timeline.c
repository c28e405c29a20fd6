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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/commands.h"
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

/* ---- what a packet is ---------------------------------------------------- */

struct tl_text {
	char buf[512];
	size_t pos;
};

__attribute__((format(printf, 2, 3)))
static void add(struct tl_text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->pos >= sizeof(t->buf) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->pos, sizeof(t->buf) - t->pos, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->pos += (size_t)n < sizeof(t->buf) - t->pos ? (size_t)n : sizeof(t->buf) - 1 - t->pos;
}

static const char *sget(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

/* A number or a string field as text ("" when absent). */
static const char *vtext(json_t *v, char *buf, size_t len)
{
	if (json_is_integer(v))
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
	else if (json_is_string(v))
		snprintf(buf, len, "%s", json_string_value(v));
	else
		buf[0] = '\0';
	return buf;
}

static void add_ports(struct tl_text *t, json_t *p)
{
	json_t *s = json_object_get(p, "sport"), *d = json_object_get(p, "dport");

	if (!json_is_integer(s) || !json_is_integer(d))
		return;
	if (json_integer_value(s) == json_integer_value(d))
		add(t, " %lld", (long long)json_integer_value(s));
	else
		add(t, " %lld->%lld", (long long)json_integer_value(s), (long long)json_integer_value(d));
}

/* Notifies in nearly every IKE_SA_INIT: naming them would hide the ones that tell something. */
static int routine_notify(const char *name)
{
	static const char *const routine[] = {
		"NAT_DETECTION_SOURCE_IP", "NAT_DETECTION_DESTINATION_IP", "IKEV2_FRAGMENTATION_SUPPORTED",
		"SIGNATURE_HASH_ALGORITHMS", "MULTIPLE_AUTH_SUPPORTED", "REDIRECT_SUPPORTED",
		"CHILDLESS_IKEV2_SUPPORTED", "ESP_TFC_PADDING_NOT_SUPPORTED", "NON_FIRST_FRAGMENTS_ALSO",
	};
	for (size_t i = 0; i < sizeof(routine) / sizeof(routine[0]); i++)
		if (!strcmp(name, routine[i]))
			return 1;
	return 0;
}

static void describe_ike(struct tl_text *t, json_t *p)
{
	json_t *ike = json_object_get(p, "ike"), *frag = json_object_get(p, "ike_frag"), *v;
	char a[32], b[32];
	size_t i;

	add(t, "%s %s %s->%s", json_is_string(json_object_get(ike, "exchange")) ? sget(ike, "exchange") : "IKE",
	    json_is_true(json_object_get(ike, "response")) ? "resp" : "req",
	    vtext(json_object_get(p, "sport"), a, sizeof(a)), vtext(json_object_get(p, "dport"), b, sizeof(b)));
	if (json_array_size(frag) == 2)
		add(t, " frag %s/%s", vtext(json_array_get(frag, 0), a, sizeof(a)),
		    vtext(json_array_get(frag, 1), b, sizeof(b)));
	json_array_foreach(json_object_get(p, "ike_notify"), i, v)
		if (!routine_notify(vtext(v, a, sizeof(a))))
			add(t, " N(%s)", a);
}

static void describe_l2tp(struct tl_text *t, json_t *p)
{
	json_t *l2 = json_object_get(p, "l2tp"), *ppp = json_object_get(p, "ppp");
	char a[32];

	if (json_is_true(json_object_get(l2, "control")))
		add(t, "L2TP %s", vtext(json_object_get(l2, "type"), a, sizeof(a)));
	else
		add(t, "L2TP data");
	if (json_is_object(ppp)) {
		add(t, " PPP %s", vtext(json_object_get(ppp, "protocol"), a, sizeof(a)));
		if (json_object_get(ppp, "code"))
			add(t, " %s", vtext(json_object_get(ppp, "code"), a, sizeof(a)));
	}
}

static const char *icmp_name(json_t *type)
{
	switch (json_is_integer(type) ? json_integer_value(type) : -1) {
	case 0: return "echo-reply";
	case 3: return "dest-unreach";
	case 8: return "echo-request";
	case 11: return "time-exceeded";
	default: return NULL;
	}
}

/* The ladder's words: "IKE_SA_INIT req 500->500", "ESP-in-UDP spi 0x.. 4500", "L2TP SCCRQ". */
static void describe(struct tl_text *t, json_t *p)
{
	const char *cls = sget(p, "class");
	json_t *inner = json_object_get(p, "inner");
	char a[32];

	if (!strcmp(cls, "ike")) {
		describe_ike(t, p);
	} else if (!strcmp(cls, "esp-udp")) {
		add(t, "ESP-in-UDP spi %s", sget(json_object_get(p, "esp"), "spi"));
		add_ports(t, p);
	} else if (!strcmp(cls, "esp") || !strcmp(cls, "ah")) {
		add(t, "%s spi %s", !strcmp(cls, "esp") ? "ESP" : "AH", sget(json_object_get(p, cls), "spi"));
	} else if (!strcmp(cls, "keepalive")) {
		add(t, "keepalive");
	} else if (!strcmp(cls, "l2tp")) {
		describe_l2tp(t, p);
	} else if (!strcmp(cls, "icmp")) {
		const char *name = icmp_name(json_object_get(p, "icmp_type"));
		add(t, "ICMP %s%s", name ? "" : "type ", name ? name : vtext(json_object_get(p, "icmp_type"), a, sizeof(a)));
	} else if (!strcmp(cls, "udp") || !strcmp(cls, "tcp")) {
		add(t, "%s", !strcmp(cls, "udp") ? "UDP" : "TCP");
		add_ports(t, p);
	} else if (!strcmp(cls, "fragment")) {
		add(t, "IP fragment offset %s", vtext(json_object_get(p, "offset"), a, sizeof(a)));
	} else if (!strcmp(cls, "non-ip")) {
		add(t, "non-IP");
	} else {
		add(t, "%s", *cls ? cls : "?");
		if (json_object_get(p, "proto"))
			add(t, " proto %s", vtext(json_object_get(p, "proto"), a, sizeof(a)));
	}
	if (json_is_string(json_object_get(p, "problem")))
		add(t, ": %s", sget(p, "problem"));
	if (!strcmp(sget(inner, "state"), "decrypted")) {
		add(t, " [");
		describe(t, inner);
		add(t, "]");
	} else if (json_is_object(inner) && strcmp(sget(inner, "state"), "no key") != 0) {
		add(t, " [%s]", sget(inner, "state"));
	}
}

/* ---- who sent it to whom ------------------------------------------------ */

/* The node owning mac (or, when mac is NULL, address ip on link), or NULL. */
static const char *node_by(json_t *lab, const char *link, const char *mac, const char *ip)
{
	size_t i, j, k;
	json_t *n, *ifc, *a;

	json_array_foreach(json_object_get(lab, "nodes"), i, n) {
		json_array_foreach(json_object_get(n, "interfaces"), j, ifc) {
			if (mac != NULL && strcasecmp(sget(ifc, "mac"), mac) == 0)
				return sget(n, "name");
			if (mac != NULL || (link != NULL && strcmp(sget(ifc, "link"), link) != 0))
				continue;
			json_array_foreach(json_object_get(ifc, "addresses"), k, a) {
				const char *s = json_string_value(a), *slash = s ? strchr(s, '/') : NULL;
				size_t len = slash ? (size_t)(slash - s) : s ? strlen(s) : 0;
				if (s && *ip && strlen(ip) == len && strncmp(s, ip, len) == 0)
					return sget(n, "name");
			}
		}
	}
	return NULL;
}

/* The other member of a two-member link, or NULL. */
static const char *other_member(json_t *lab, const char *link, const char *node)
{
	size_t i;
	json_t *l;

	json_array_foreach(json_object_get(lab, "links"), i, l) {
		json_t *m = json_object_get(l, "members");
		if (strcmp(sget(l, "name"), link) != 0 || json_array_size(m) != 2)
			continue;
		const char *a = json_string_value(json_array_get(m, 0)), *b = json_string_value(json_array_get(m, 1));
		if (a && b)
			return !strcmp(a, node) ? b : !strcmp(b, node) ? a : NULL;
	}
	return NULL;
}

static int group_mac(const char *mac)
{
	return *mac && (strtoul((char[3]){ mac[0], mac[1] ? mac[1] : '0', 0 }, NULL, 16) & 1);
}

/* "client -> home", "home -> (all)", or the addresses when no lab says who they are. */
static void endpoints(const struct tl_print *pr, json_t *p, char *out, size_t len)
{
	const char *link = sget(p, "link"), *src = sget(p, "src"), *dst = sget(p, "dst");
	const char *esrc = sget(p, "eth_src"), *edst = sget(p, "eth_dst");
	const char *from = NULL, *to = NULL;

	if (pr->lab != NULL) {
		from = *esrc ? node_by(pr->lab, link, esrc, NULL) : NULL;
		if (from == NULL && *src)
			from = node_by(pr->lab, link, NULL, src);
		if (*edst && group_mac(edst))
			to = "(all)";
		if (to == NULL && *edst)
			to = node_by(pr->lab, link, edst, NULL);
		if (to == NULL && *dst)
			to = node_by(pr->lab, link, NULL, dst);
		if (to == NULL && from != NULL)
			to = other_member(pr->lab, link, from);
		if (from == NULL && to != NULL && strcmp(to, "(all)") != 0)
			from = other_member(pr->lab, link, to);
	}
	snprintf(out, len, "%s -> %s", from ? from : *src ? src : *esrc ? esrc : "?",
	         to ? to : *dst ? dst : *edst ? edst : "?");
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
	const char *sgr;
	char ends[160];
	struct tl_text d = { "", 0 };

	if (json_object_get(p, "event") != NULL) {
		fprintf(pr->out, "%s%9.3f  --- event: %s%s\n", pr->color ? "\033[1;31m" : "", secs,
		        sget(p, "event"), pr->color ? "\033[0m" : "");
		return;
	}
	endpoints(pr, p, ends, sizeof(ends));
	describe(&d, p);
	/* Colour goes round the description only, so the columns stay aligned. */
	sgr = pr->color ? class_colour(sget(p, "class")) : NULL;
	fprintf(pr->out, "%9.3f  %-*s  %-24s  %s%s%s%s%s\n", secs, linkw, sget(p, "link"), ends,
	        sgr ? "\033[" : "", sgr ? sgr : "", sgr ? "m" : "", d.buf, sgr ? "\033[0m" : "");
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
