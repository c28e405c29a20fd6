/*
** Unit tests for luascan.c on text alone (test_select.c covers the same
** lexer through scenario files): each literal declaration reaches the
** callback once, with its kind and its strings deduplicated in order; a
** non-literal or commented one does not; -1 from the callback stops the scan.
*/
#include <stdio.h>
#include <string.h>

#include "run/luascan.h"
#include "unit.h"

struct seen {
	char log[512];   /* "T:a,b|R:esp|" */
	int calls, stop_at;
};

static int record(void *ctx, enum luascan_kind kind, char *const *words, size_t nwords)
{
	struct seen *s = ctx;
	size_t used = strlen(s->log);

	s->calls++;
	used += (size_t)snprintf(s->log + used, sizeof(s->log) - used, "%s:", kind == LUASCAN_TAGS ? "T" : "R");
	for (size_t i = 0; i < nwords && used < sizeof(s->log); i++)
		used += (size_t)snprintf(s->log + used, sizeof(s->log) - used, "%s%s", i ? "," : "", words[i]);
	if (used < sizeof(s->log))
		snprintf(s->log + used, sizeof(s->log) - used, "|");
	return s->calls == s->stop_at ? -1 : 0;
}

static const char text[] =
	"-- vpnlab.tags{ \"commented\" }\n"
	"--[[ vpnlab.tags{ \"block\" } ]]\n"
	"local s = \"vpnlab.tags{ 'instring' }\"\n"
	"vpnlab.tags{ \"nat\", 'slow'; \"nat\", }\n"
	"vpnlab.requires(\"esp\")\n"
	"vpnlab.requires \"ppp\"\n"
	"vpnlab.tags{ \"x\", other }\n"
	"x.vpnlab.tags{ \"field\" }\n"
	"vpnlab.tags({ 'a\\tb' })\n"
	"vpnlab.tags{}\n";

int main(void)
{
	struct seen s = { "", 0, 0 };

	is_int(luascan_text(text, strlen(text), record, &s), 0, "scan: 0");
	is_str(s.log, "T:nat,slow|R:esp|R:ppp|T:a\tb|T:|", "literal declarations only, in order, deduplicated");

	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	is_int(luascan_text(text, strlen(text), record, &s), -1, "callback -1: scan -1");
	is_int(s.calls, 2, "and no call after it");

	memset(&s, 0, sizeof(s));
	is_int(luascan_text("vpnlab.tags{ \"cut\"", 18, record, &s), 0, "unterminated list: 0");
	is_int(s.calls, 0, "and nothing found");
	return unit_done();
}
