/*
** evidence.c: see evidence.h. Everything read here was written by this
** program, but the folder may be half-written (a scenario killed at its
** time limit) or edited by hand: nothing is trusted to be well formed.
*/
#include "report/evidence.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EVIDENCE_EVENTS_MAX 1000    /* runtime events kept, besides the packets */
#define EVIDENCE_TEXT_MAX   65536   /* error.txt kept up to this many bytes */

/* The timeline's objects: every event (up to a limit), packets up to max_packets. */
static void load_timeline(json_t *ev, const char *dir, size_t max_packets)
{
	char path[4200], *line = NULL;
	size_t cap = 0, total = 0, shown = 0, events = 0, bad = 0;
	json_t *list = json_array();
	FILE *f;

	snprintf(path, sizeof(path), "%s/timeline.jsonl", dir);
	if (list == NULL || (f = fopen(path, "re")) == NULL) {
		json_decref(list);
		json_object_set_new(ev, "timeline", json_null());
		return;
	}
	while (getline(&line, &cap, f) > 0) {
		json_t *o = json_loads(line, JSON_REJECT_DUPLICATES, NULL);

		if (!json_is_object(o)) {
			bad++;
		} else if (json_object_get(o, "event") != NULL) {
			if (events++ < EVIDENCE_EVENTS_MAX)
				json_array_append(list, o);
		} else if (total++ < max_packets) {
			json_array_append(list, o);
			shown++;
		}
		json_decref(o);
	}
	free(line);
	fclose(f);
	json_object_set_new(ev, "timeline", list);
	json_object_set_new(ev, "packets_total", json_integer((json_int_t)total));
	json_object_set_new(ev, "packets_shown", json_integer((json_int_t)shown));
	json_object_set_new(ev, "bad_lines", json_integer((json_int_t)bad));
}

static json_t *load_text(const char *path)
{
	char *buf = malloc(EVIDENCE_TEXT_MAX + 1);
	FILE *f = fopen(path, "re");
	json_t *s = NULL;

	if (buf != NULL && f != NULL) {
		size_t n = fread(buf, 1, EVIDENCE_TEXT_MAX, f);
		s = json_stringn(buf, n);
		/* Not UTF-8 (a daemon's bytes in a message): keep the ASCII rather than lose the text. */
		for (size_t i = 0; s == NULL && i < n; i++)
			if ((unsigned char)buf[i] >= 0x80)
				buf[i] = '?';
		if (s == NULL)
			s = json_stringn(buf, n);
	}
	if (f != NULL)
		fclose(f);
	free(buf);
	return s ? s : json_null();
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a), json_string_value(*(json_t *const *)b));
}

/* The pcap files' names, sorted, for the page's links. */
static json_t *list_pcaps(const char *dir)
{
	json_t *names = json_array(), **v = NULL;
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	if (names == NULL || d == NULL) {
		if (d != NULL)
			closedir(d);
		return names;
	}
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (len > 5 && strcmp(e->d_name + len - 5, ".pcap") == 0)
			json_array_append_new(names, json_string(e->d_name));
	}
	closedir(d);
	n = json_array_size(names);
	if (n > 1 && (v = calloc(n, sizeof(*v))) != NULL) {
		for (size_t i = 0; i < n; i++)
			v[i] = json_incref(json_array_get(names, i));
		qsort(v, n, sizeof(*v), name_cmp);
		json_array_clear(names);
		for (size_t i = 0; i < n; i++)
			json_array_append_new(names, v[i]);
		free(v);
	}
	return names;
}

json_t *evidence_load(const char *dir, size_t max_packets)
{
	json_t *ev = json_object(), *lab;
	char path[4200];

	if (ev == NULL)
		return NULL;
	load_timeline(ev, dir, max_packets);
	snprintf(path, sizeof(path), "%s/lab.json", dir);
	lab = json_load_file(path, 0, NULL);
	json_object_set_new(ev, "lab", json_is_object(lab) ? lab : json_null());
	if (lab != NULL && !json_is_object(lab))
		json_decref(lab);
	snprintf(path, sizeof(path), "%s/error.txt", dir);
	json_object_set_new(ev, "error", load_text(path));
	json_object_set_new(ev, "pcaps", list_pcaps(dir));
	return ev;
}
