/*
** Unit tests for select: files kept in the order given, folders sorted,
** link loops and topologies/ folders, the literal tags/requires read from
** a scenario's text (comments and strings skipped), --only/--skip/--tags,
** shards (their union is the whole, disjoint), --shard specs and --list.
** Works in a scratch folder under /tmp; needs no root.
*/
#include "run/select.h"
#include "lab/probe.h"
#include "unit.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char tmp[] = "/tmp/test_select.XXXXXX";

static void bail(const char *what)
{
	printf("Bail out! %s\n", what);
	exit(255);
}

/* Write text into tmp/rel (its folders made). */
static void put(const char *rel, const char *text)
{
	char path[4096];
	FILE *f;
	snprintf(path, sizeof(path), "%s/%s", tmp, rel);
	for (char *s = strchr(path + strlen(tmp) + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(path, 0755) < 0 && access(path, F_OK) < 0)
			bail(path);
		*s = '/';
	}
	if ((f = fopen(path, "w")) == NULL || fputs(text, f) < 0 || fclose(f) != 0)
		bail(path);
}

static void link_(const char *target, const char *rel)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", tmp, rel);
	if (symlink(target, path) < 0)
		bail(path);
}

/* Collect the arguments (relative to tmp, NULL-terminated) into s; the error text, or "". */
static const char *collect(struct selection *s, const char *const *rel)
{
	static char err[512];
	char paths[16][4096], *args[16];
	int n = 0;
	for (; rel[n] && n < 16; n++) {
		snprintf(paths[n], sizeof(paths[n]), "%s/%s", tmp, rel[n]);
		args[n] = paths[n];
	}
	err[0] = '\0';
	*s = (struct selection){ NULL, 0 };
	if (select_collect(args, n, s, err, sizeof(err)) == 0)
		err[0] = '\0';
	return err;
}

/* The paths of s relative to tmp, space-separated. */
static const char *names(const struct selection *s)
{
	static char buf[4096];
	size_t used = 0, skip = strlen(tmp) + 1;
	buf[0] = '\0';
	for (size_t i = 0; i < s->n && used < sizeof(buf); i++) {
		const char *p = strlen(s->v[i].path) > skip ? s->v[i].path + skip : s->v[i].path;
		int w = snprintf(buf + used, sizeof(buf) - used, "%s%s", i ? " " : "", p);
		used += w > 0 ? (size_t)w : 0;
	}
	return buf;
}

static const char *joined(char *const *v, size_t n)
{
	static char buf[1024];
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n && used < sizeof(buf); i++) {
		int w = snprintf(buf + used, sizeof(buf) - used, "%s%s", i ? "," : "", v[i]);
		used += w > 0 ? (size_t)w : 0;
	}
	return buf;
}

static void test_order(void)
{
	struct selection s;
	const char *err;

	put("order/b.lua", "");
	put("order/a.lua", "");
	put("order/c.lua", "");
	err = collect(&s, (const char *[]){ "order/b.lua", "order/c.lua", "order/a.lua", NULL });
	is_str(err, "", "files: collected");
	is_str(names(&s), "order/b.lua order/c.lua order/a.lua", "files run in the order given, not sorted");
	select_free(&s);

	collect(&s, (const char *[]){ "order/c.lua", "order", "order/c.lua", NULL });
	is_str(names(&s), "order/c.lua order/a.lua order/b.lua",
	       "a file named again (or inside a folder named later) is taken once, where first named");
	select_free(&s);

	collect(&s, (const char *[]){ "order//", NULL });
	is_str(names(&s), "order/a.lua order/b.lua order/c.lua", "a folder with trailing slashes");
	select_free(&s);

	err = collect(&s, (const char *[]){ "order/a.lua", "nosuch.lua", NULL });
	ok(strstr(err, "nosuch.lua: No such file or directory") != NULL, "a missing file is an error naming it");
	select_free(&s);
	select_free(NULL);
}

static void test_folder(void)
{
	struct selection s;
	const char *err;

	put("tree/z.lua", "");
	put("tree/a.lua", "");
	put("tree/a/m.lua", "");
	put("tree/a-b/x.lua", "");
	put("tree/b/deep/er/y.lua", "");
	put("tree/readme.txt", "");
	put("tree/lua", "");
	put("tree/.hidden.lua", "");
	put("tree/.hid/h.lua", "");
	put("tree/topologies/home.lua", "");
	put("tree/b/topologies/net.lua", "");
	link_("..", "tree/b/up");                  /* a loop: tree/b/up/b/up/... */
	link_("a.lua", "tree/link.lua");           /* the same file twice */
	link_("nowhere.lua", "tree/dangling.lua");
	link_("../order", "tree/ordlink");         /* a linked folder is followed */
	err = collect(&s, (const char *[]){ "tree", NULL });
	is_str(err, "", "folder: collected (the link loop ends)");
	is_str(names(&s), "tree/a-b/x.lua tree/a.lua tree/a/m.lua tree/b/deep/er/y.lua "
	       "tree/ordlink/a.lua tree/ordlink/b.lua tree/ordlink/c.lua tree/z.lua",
	       "sorted by path (strcmp); hidden, topologies/, non-.lua, dangling and repeated files left out");
	select_free(&s);
}

static const char declarations[] =
	"-- vpnlab.tags{ \"commented\" }\n"
	"--[[ vpnlab.tags{ \"block\" }\n"
	"vpnlab.requires{ \"ah\" } ]]\n"
	"--[==[ vpnlab.tags{ \"level2\" } ]] still a comment ]=] too\n"
	"   vpnlab.tags{ \"level2b\" } ]==]\n"
	"local s = \"vpnlab.tags{ 'instring' }\"\n"
	"local t = 'vpnlab.tags{ \"instring2\" } -- '\n"
	"local u = [[ vpnlab.tags{ \"long\" } ]]\n"
	"local v = \"escaped \\\" vpnlab.tags{ 'escaped' }\"\n"
	"vpnlab.requires(\"esp\")\n"
	"vpnlab.tags{ \"nat\", \"slow\" }   -- a trailing comment\n"
	"vpnlab.tags({ 'ipsec' ; \"nat\", })\n"
	"vpnlab.tags{\n"
	"  \"multi\",   -- a comment inside\n"
	"  --[[ \"not\", ]] \"line\"\n"
	"}\n"
	"vpnlab.tags{ \"x\", other }\n"
	"vpnlab.tags(mine)\n"
	"vpnlab.tags{}\n"
	"foo.vpnlab.tags{ \"member\" }\n"
	"vpnlab.requires \"l2tp\"\n"
	"vpnlab.requires{ \"ppp\", \"esp\" }\n"
	"vpnlab . requires ( { \"netem\" } )\n"
	"local n = 1e5vpnlab = 2\n"
	"vpnlab.tags { 'after', 'numbers' }\n";

/* Past the read limit and the count limits: bounded work, bounded lists. */
static void test_big_declarations(void)
{
	struct selection s;
	size_t size = 1024 * 1024 + 4096, used = 0;
	char *text = malloc(size + 1);
	time_t t0 = time(NULL);

	if (text == NULL)
		bail("malloc");
	/* 300 declarations of distinct tags, then one list of 300, then filler past 1 MiB, then a tag. */
	for (int i = 0; i < 300; i++)
		used += (size_t)snprintf(text + used, size - used, "vpnlab.tags{ \"t%d\" }\n", i);
	used += (size_t)snprintf(text + used, size - used, "vpnlab.requires{");
	for (int i = 0; i < 300; i++)
		used += (size_t)snprintf(text + used, size - used, " \"r%d\",", i);
	used += (size_t)snprintf(text + used, size - used, " }\n");
	while (used < 1024 * 1024 + 10)
		text[used++] = '\n';
	snprintf(text + used, size - used, "vpnlab.requires{ \"late\" }\n");
	put("big/big.lua", text);
	free(text);
	collect(&s, (const char *[]){ "big/big.lua", NULL });
	if (s.n != 1)
		bail("big: one file expected");
	is_int(s.v[0].ntags, 256, "at most 256 tags kept per scenario");
	is_int(s.v[0].nrequires, 0, "a list of more than 256 names counts as none; past 1 MiB is not read");
	ok(time(NULL) - t0 < 5, "a large file is scanned quickly");
	select_free(&s);
}

static void test_declarations(void)
{
	struct selection s;

	put("decl/all.lua", declarations);
	put("decl/none.lua", "vpnlab.ok(true)\n");
	put("decl/unterminated.lua", "vpnlab.tags{ \"a\"\n");
	put("decl/unclosed-comment.lua", "--[[ vpnlab.tags{ \"a\" }\n");
	put("decl/string-call.lua", "vpnlab.tags \"one\"\nvpnlab.tags(\"two\")\n");
	collect(&s, (const char *[]){ "decl/all.lua", "decl/none.lua", "decl/unterminated.lua",
	                              "decl/unclosed-comment.lua", "decl/string-call.lua", NULL });
	if (s.n != 5)
		bail("decl: five files expected");
	is_str(joined(s.v[0].tags, s.v[0].ntags), "nat,slow,ipsec,multi,line,after,numbers",
	       "tags: literal lists, parens, ';', trailing ',', multiline, in file order, once each; "
	       "none from comments, strings or non-literal lists");
	is_str(joined(s.v[0].requires, s.v[0].nrequires), "esp,l2tp,ppp,netem",
	       "requires: (\"esp\"), \"l2tp\", {...}, spaced ( { } ); once each; none from a comment");
	is_int(s.v[1].ntags + s.v[1].nrequires, 0, "a file without declarations has none");
	is_int(s.v[2].ntags, 0, "an unterminated list declares nothing");
	is_int(s.v[3].ntags, 0, "an unclosed long comment hides the rest");
	is_str(joined(s.v[4].tags, s.v[4].ntags), "one,two", "tags \"one\" and tags(\"two\")");
	select_free(&s);
	test_big_declarations();
}

/* A fixture of six scenarios with tags, for the filters. */
static void fixture(struct selection *s)
{
	static int made;
	if (!made) {
		put("pick/nat/home.lua", "vpnlab.tags{ \"nat\" }\n");
		put("pick/nat/cgnat.lua", "vpnlab.tags{ \"nat\", \"slow\" }\n");
		put("pick/l2tp/dial.lua", "vpnlab.requires{ \"esp\", \"l2tp\" }\nvpnlab.tags{ \"l2tp\", \"nat\" }\n");
		put("pick/plain.lua", "");
		put("pick/fw/block.lua", "vpnlab.tags{ \"firewall\", \"slow\" }\n");
		put("pick/fw/allow.lua", "vpnlab.tags{ \"firewall\" }\n");
		made = 1;
	}
	if (collect(s, (const char *[]){ "pick", NULL })[0] || s->n != 6)
		bail("pick: six scenarios expected");
}

/* names() of the fixture after filtering with o; or "error: ..." */
static const char *filtered(const struct select_opts *o)
{
	static char out[4096];
	struct selection s;
	char err[512] = "";
	fixture(&s);
	if (select_filter(&s, o, err, sizeof(err)) < 0)
		snprintf(out, sizeof(out), "error: %s", err);
	else
		snprintf(out, sizeof(out), "%s", names(&s));
	select_free(&s);
	return out;
}

static void test_filter(void)
{
	struct selection s;
	char *nat_glob[] = { "*/nat/*" }, *stem[] = { "home", "allow" }, *base[] = { "dial.lua" };
	char *cg[] = { "cg*" }, *slowish[] = { "*block*", "plain" }, *empty[] = { "" };

	fixture(&s);
	is_str(names(&s), "pick/fw/allow.lua pick/fw/block.lua pick/l2tp/dial.lua pick/nat/cgnat.lua "
	       "pick/nat/home.lua pick/plain.lua", "fixture sorted");
	select_free(&s);

	is_str(filtered(&(struct select_opts){ 0 }), "pick/fw/allow.lua pick/fw/block.lua pick/l2tp/dial.lua "
	       "pick/nat/cgnat.lua pick/nat/home.lua pick/plain.lua", "no options: all, in order");
	is_str(filtered(&(struct select_opts){ .only = nat_glob, .nonly = 1 }), "pick/nat/cgnat.lua pick/nat/home.lua",
	       "--only matches the path ('*' crosses '/')");
	is_str(filtered(&(struct select_opts){ .only = stem, .nonly = 2 }), "pick/fw/allow.lua pick/nat/home.lua",
	       "--only repeated: the basename without .lua, any pattern");
	is_str(filtered(&(struct select_opts){ .only = base, .nonly = 1 }), "pick/l2tp/dial.lua",
	       "--only matches the basename");
	is_str(filtered(&(struct select_opts){ .skip = slowish, .nskip = 2 }),
	       "pick/fw/allow.lua pick/l2tp/dial.lua pick/nat/cgnat.lua pick/nat/home.lua", "--skip, repeated");
	is_str(filtered(&(struct select_opts){ .only = nat_glob, .nonly = 1, .skip = cg, .nskip = 1 }),
	       "pick/nat/home.lua", "--only and --skip together: skip wins");
	is_str(filtered(&(struct select_opts){ .tags = "nat" }),
	       "pick/l2tp/dial.lua pick/nat/cgnat.lua pick/nat/home.lua", "--tags nat");
	is_str(filtered(&(struct select_opts){ .tags = "nat,!slow" }), "pick/l2tp/dial.lua pick/nat/home.lua",
	       "--tags nat,!slow");
	is_str(filtered(&(struct select_opts){ .tags = "!slow" }),
	       "pick/fw/allow.lua pick/l2tp/dial.lua pick/nat/home.lua pick/plain.lua",
	       "--tags !slow: untagged scenarios too");
	is_str(filtered(&(struct select_opts){ .tags = "slow, firewall" }), "pick/fw/block.lua",
	       "--tags: all plain tags, spaces around items allowed");
	is_str(filtered(&(struct select_opts){ .tags = "nat", .skip = cg, .nskip = 1, .shard_index = 2, .shard_count = 2 }),
	       "pick/nat/home.lua", "--tags, --skip, then the shard over what remains");
	is_str(filtered(&(struct select_opts){ .tags = "nat,nosuchtag" }),
	       "error: --tags: no scenario declares the tag 'nosuchtag' (declared: firewall, l2tp, nat, slow)",
	       "an unknown tag is an error naming it and the known ones");
	is_str(filtered(&(struct select_opts){ .tags = "nat,,slow" }),
	       "error: --tags 'nat,,slow': an empty tag (write tags like nat,!slow)", "an empty tag is an error");
	ok(strncmp(filtered(&(struct select_opts){ .tags = "" }), "error: --tags '': an empty tag", 30) == 0,
	   "an empty --tags is an error");
	ok(strncmp(filtered(&(struct select_opts){ .tags = "!" }), "error: --tags '!': an empty tag", 30) == 0,
	   "a lone ! is an error");
	is_str(filtered(&(struct select_opts){ .tags = "!!nat" }),
	       "error: --tags '!!nat': '!nat' is not a tag (letters, digits, '_', '.', '-'; '!' negates; ',' separates)",
	       "!!tag is an error");
	ok(strstr(filtered(&(struct select_opts){ .tags = "nat slow" }), "'nat slow' is not a tag") != NULL,
	   "a space inside an item is an error");
	ok(strstr(filtered(&(struct select_opts){ .tags = "nat,sl*w" }), "'sl*w' is not a tag") != NULL,
	   "a glob in --tags is an error");
	is_str(filtered(&(struct select_opts){ .only = empty, .nonly = 1 }),
	       "error: --only needs a pattern, not an empty string", "an empty --only pattern is an error");
	is_str(filtered(&(struct select_opts){ .shard_index = 3, .shard_count = 2 }),
	       "error: --shard 3/2: needs 1 <= I <= N <= 10000", "a bad shard in the options is an error");

	/* An error leaves the selection as it was. */
	fixture(&s);
	char err[256];
	is_int(select_filter(&s, &(struct select_opts){ .only = nat_glob, .nonly = 1, .tags = "nosuch" },
	                     err, sizeof(err)), -1, "filter: -1 on an error");
	is_int(s.n, 6, "filter: an error drops nothing");
	select_free(&s);
}

/* Over a list of 20 files: every N in 1..7, the shards are disjoint, balanced, and make the whole. */
static void test_shards(void)
{
	struct selection all, part;
	char rel[64], err[256];
	int failures = 0, sizes_ok = 1, order_ok = 1;

	for (int i = 0; i < 20; i++) {
		snprintf(rel, sizeof(rel), "many/s%02d.lua", i);
		put(rel, "");
	}
	collect(&all, (const char *[]){ "many", NULL });
	is_int(all.n, 20, "twenty scenarios");
	for (int n = 1; n <= 7; n++) {
		int owner[20];
		for (int i = 0; i < 20; i++)
			owner[i] = 0;
		for (int k = 1; k <= n; k++) {
			size_t j = 0;
			collect(&part, (const char *[]){ "many", NULL });
			if (select_filter(&part, &(struct select_opts){ .shard_index = k, .shard_count = n }, err, sizeof(err)) < 0)
				bail(err);
			if (part.n < (size_t)(20 / n) || part.n > (size_t)((20 + n - 1) / n))
				sizes_ok = 0;
			for (size_t i = 0; i < part.n; i++) {
				for (; j < all.n && strcmp(all.v[j].path, part.v[i].path) != 0; j++)
					;
				if (j == all.n) {
					order_ok = 0;
					break;
				}
				failures += owner[j]++ != 0;   /* in two shards */
			}
			select_free(&part);
		}
		for (int i = 0; i < 20; i++)
			failures += owner[i] == 0;         /* in none */
	}
	is_int(failures, 0, "N = 1..7: each scenario in exactly one shard (union = whole, disjoint)");
	ok(sizes_ok, "N = 1..7: shard sizes differ by at most one");
	ok(order_ok, "each shard keeps the order");

	collect(&part, (const char *[]){ "many", NULL });
	select_filter(&part, &(struct select_opts){ .shard_index = 2, .shard_count = 7 }, err, sizeof(err));
	is_str(names(&part), "many/s01.lua many/s08.lua many/s15.lua", "shard 2/7: round robin (k % N + 1)");
	select_free(&part);
	select_free(&all);
}

static void test_parse_shard(void)
{
	static const char *bad[] = { "0/2", "3/2", "1/0", "a/b", "2", "", "/2", "1/", "1//2", " 1/2", "1/2 ",
	                             "1 /2", "+1/2", "-1/2", "01/2", "1/02", "1/10001", "10001/10001",
	                             "1/99999999999999999999", "1/2/3", "1.0/2", "1/2x" };
	char err[256];
	int i = -1, n = -1, rejected = 0;

	is_int(select_parse_shard("1/1", &i, &n, err, sizeof(err)), 0, "1/1 parses");
	is_int(select_parse_shard("3/7", &i, &n, err, sizeof(err)), 0, "3/7 parses");
	ok(i == 3 && n == 7, "3/7 is index 3 of 7");
	is_int(select_parse_shard("10000/10000", &i, &n, err, sizeof(err)), 0, "10000/10000 parses");
	for (size_t k = 0; k < sizeof(bad) / sizeof(*bad); k++) {
		i = n = 42;
		if (select_parse_shard(bad[k], &i, &n, err, sizeof(err)) == -1 && i == 42 && n == 42)
			rejected++;
		else
			printf("# accepted: '%s'\n", bad[k]);
	}
	is_int(rejected, (int)(sizeof(bad) / sizeof(*bad)), "bad specs refused, outputs untouched");
	select_parse_shard("3/2", &i, &n, err, sizeof(err));
	is_str(err, "--shard needs I/N with 1 <= I <= N <= 10000 (e.g. 2/3), not '3/2'", "the message says the form");
}

static const char *listed(const struct selection *s, struct features *f, const char *backend, int have_vm)
{
	static char buf[4096];
	FILE *out = fmemopen(buf, sizeof(buf), "w");
	if (out == NULL)
		bail("fmemopen");
	select_print_list(out, s, f, backend, have_vm);
	fputc('\0', out);
	fclose(out);
	buf[sizeof(buf) - 1] = '\0';
	return buf + 0;
}

static void test_list(void)
{
	struct selection s;
	struct features f;
	char want[4096];
	const char *p;

	features_init(&f);
	for (int i = 0; i < FEATURE_COUNT; i++)
		f.state[i] = 1;   /* no probing here: a kernel with all but l2tp */
	f.state[FEATURE_L2TP] = 0;
	put("list/a.lua", "vpnlab.tags{ \"nat\", \"slow\" }\n");
	put("list/b.lua", "vpnlab.requires{ \"esp\", \"l2tp\" }\nvpnlab.tags{ \"l2tp\" }\n");
	put("list/c.lua", "vpnlab.requires{ \"esp\" }\n");
	put("list/d.lua", "vpnlab.requires{ \"ipsec\" }\n");
	collect(&s, (const char *[]){ "list", NULL });
	p = listed(&s, &f, "auto", 1);
	snprintf(want, sizeof(want),
	         "%1$s/list/a.lua  tags=nat,slow  requires=-  backend=host\n"
	         "%1$s/list/b.lua  tags=l2tp  requires=esp,l2tp  backend=vm\n"
	         "%1$s/list/c.lua  tags=-  requires=esp  backend=host\n"
	         "%1$s/list/d.lua  tags=-  requires=ipsec  backend=error (unknown kernel feature 'ipsec')\n", tmp);
	is_str(p, want, "--list, auto with a VM: the host unless a requirement is lacking");
	p = listed(&s, &f, "host", 1);
	ok(strstr(p, "b.lua  tags=l2tp  requires=esp,l2tp  backend=skip (needs l2tp: run with --backend vm or auto)\n") &&
	   strstr(p, "a.lua  tags=nat,slow  requires=-  backend=host\n"), "--list, host: lacking means skip, saying how");
	p = listed(&s, &f, "auto", 0);
	ok(strstr(p, "b.lua  tags=l2tp  requires=esp,l2tp  backend=skip (needs l2tp; no VM image: run vpnlab vm prepare)\n")
	   != NULL, "--list, auto without a VM: skip, saying why");
	p = listed(&s, &f, "vm", 1);
	ok(strstr(p, "a.lua  tags=nat,slow  requires=-  backend=vm\n") &&
	   strstr(p, "b.lua  tags=l2tp  requires=esp,l2tp  backend=vm\n"), "--list, vm: everything in the VM");
	p = listed(&s, NULL, "auto", 1);
	ok(strstr(p, "c.lua  tags=-  requires=esp  backend=vm\n") && strstr(p, "a.lua  tags=nat,slow  requires=-  backend=host\n"),
	   "--list without features: every requirement counts as lacking");
	select_free(&s);
}

int main(void)
{
	char cmd[128];
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (mkdtemp(tmp) == NULL)
		bail("mkdtemp");
	test_order();
	test_folder();
	test_declarations();
	test_filter();
	test_shards();
	test_parse_shard();
	test_list();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmp);
	return unit_done();
}
