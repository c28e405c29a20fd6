/*
** test_probe: every kernel feature probe against an independent oracle (the
** same thing done by iproute2, tc, nft or unshare in a throwaway namespace),
** so the test holds on this host (esp/ah/l2tp/ppp/netem absent) and inside
** a full kernel (all present). Also: names, the cache of features_has, and
** that probing leaves the runner's namespace, the host's network and /tmp
** as they were. Needs root (CI is root); skips otherwise.
*/
#include "lab/netns.h"
#include "lab/probe.h"
#include "unit.h"

#include <fcntl.h>
#include <glob.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The same state probe_xfrm asks for (iproute2 wants ID fields in this order). */
#define XFRM_ORACLE(proto) "unshare -n ip xfrm state add src 127.0.0.1 dst 127.0.0.2 " \
	"proto " proto " spi 0x1000 mode transport "
#define AUTH_KEY "auth 'hmac(sha1)' 0x00112233445566778899aabbccddeeff00112233"

struct oracle {
	enum feature f;
	const char *tools;     /* space-separated, all must exist */
	const char *command;   /* exit status 0 <=> present; NULL: done in C */
};

static const struct oracle oracles[] = {
	{ FEATURE_ESP, "unshare ip", XFRM_ORACLE("esp") "enc 'cbc(aes)' "
	  "0x00112233445566778899aabbccddeeff " AUTH_KEY },
	{ FEATURE_AH, "unshare ip", XFRM_ORACLE("ah") AUTH_KEY },
	{ FEATURE_L2TP, "unshare ip", "unshare -n ip l2tp show tunnel" },
	{ FEATURE_PPP, "", NULL },
	{ FEATURE_NETEM, "unshare tc", "unshare -n tc qdisc add dev lo root netem delay 1ms" },
	{ FEATURE_USERNS, "unshare", "unshare -U true" },
	{ FEATURE_NFTABLES, "unshare nft", "unshare -n nft add table ip t" },
};

static void skip(const char *what, const char *why)
{
	unit_count++;
	printf("ok %d - %s # SKIP %s\n", unit_count, what, why);
}

static int run(const char *command)
{
	char line[1024];

	snprintf(line, sizeof(line), "%s >/dev/null 2>&1", command);
	return system(line);
}

/* The first of tools (space-separated) that is not installed, or NULL. */
static const char *missing_tool(const char *tools)
{
	static char word[64];
	char line[128];
	const char *p = tools;
	int n;

	while (sscanf(p, "%63s%n", word, &n) == 1) {
		snprintf(line, sizeof(line), "command -v %s", word);
		if (run(line) != 0)
			return word;
		p += n;
	}
	return NULL;
}

/*
** PPP without a tool: ppp_generic registers char major 108 as "ppp"; where
** /dev is devtmpfs the node appears with it, so /dev/ppp must open.
*/
static int ppp_oracle(void)
{
	FILE *f = fopen("/proc/devices", "re");
	char line[128];
	int registered = 0, fd;

	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (strcmp(line, "108 ppp\n") == 0)
			registered = 1;
	if (f != NULL)
		fclose(f);
	fd = open("/dev/ppp", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		return 1;
	}
	return access("/dev/ppp", F_OK) != 0 && registered;
}

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static ino_t netns_inode(void)
{
	struct stat st;

	return stat("/proc/self/ns/net", &st) == 0 ? st.st_ino : 0;
}

static size_t ppp_leftovers(void)
{
	glob_t g;
	size_t n;

	if (glob("/tmp/vpnlab-ppp.*", 0, NULL, &g) != 0)
		return 0;
	n = g.gl_pathc;
	globfree(&g);
	return n;
}

static void test_names(void)
{
	static const char *const want[FEATURE_COUNT] = {
		"esp", "ah", "l2tp", "ppp", "netem", "userns", "nftables"
	};
	char what[64];
	int f;

	for (f = 0; f < FEATURE_COUNT; f++) {
		snprintf(what, sizeof(what), "feature_name(%d) is %s", f, want[f]);
		is_str(feature_name((enum feature)f), want[f], what);
		snprintf(what, sizeof(what), "feature_from_name(\"%s\") is %d", want[f], f);
		is_int(feature_from_name(want[f]), f, what);
	}
	is_int(feature_from_name("bogus"), -1, "unknown name -> -1");
	is_int(feature_from_name("ESP"), -1, "names are case-sensitive");
	is_int(feature_from_name(""), -1, "empty name -> -1");
	is_int(feature_from_name(NULL), -1, "NULL name -> -1");
	ok(feature_name(FEATURE_COUNT) == NULL, "feature_name out of range -> NULL");
}

/* One probe against its oracle; returns the probe's answer. */
static int test_one(const struct oracle *o)
{
	char detail[128] = "", what[160], line[512];
	const char *name = feature_name(o->f), *tool;
	double t0 = now_ms(), ms;
	int got = probe_feature(o->f, detail, sizeof(detail)), want;

	ms = now_ms() - t0;
	printf("# %-8s %d  %7.2f ms  %s\n", name, got, ms, detail);
	snprintf(what, sizeof(what), "%s: detail is filled", name);
	ok(detail[0] != '\0', what);
	snprintf(what, sizeof(what), "%s: probe (%d) agrees with its oracle", name, got);
	tool = missing_tool(o->tools);
	if (tool != NULL) {
		skip(what, tool);
		return got;
	}
	want = o->command != NULL ? run(o->command) == 0 : ppp_oracle();
	ok(got == want, what);
	if (got != want && o->command != NULL) {
		printf("#   oracle says %d: %s\n", want, o->command);
		snprintf(line, sizeof(line), "%s 2>&1 | sed 's/^/#   /'", o->command);
		fflush(stdout);
		if (system(line) != 0)
			printf("#   (could not rerun the oracle)\n");
	}
	snprintf(what, sizeof(what), "%s: same answer without a detail buffer", name);
	is_int(probe_feature(o->f, NULL, 0), got, what);
	return got;
}

static void test_probes(void)
{
	ino_t home = netns_inode();
	size_t leftovers = ppp_leftovers(), i;
	char detail[128];

	for (i = 0; i < sizeof(oracles) / sizeof(oracles[0]); i++) {
		int got = test_one(&oracles[i]);

		if (oracles[i].f == FEATURE_ESP)
			is_int(probe_xfrm(IPPROTO_ESP), got, "probe_xfrm(ESP) agrees with probe_feature");
		if (oracles[i].f == FEATURE_AH)
			is_int(probe_xfrm(IPPROTO_AH), got, "probe_xfrm(AH) agrees with probe_feature");
	}
	is_int(probe_feature(FEATURE_COUNT, detail, sizeof(detail)), 0, "out-of-range feature -> 0");
	ok(strstr(detail, "unknown") != NULL, "out-of-range feature: detail says unknown");
	ok(netns_inode() == home, "still in the runner's own network namespace");
	is_int(ppp_leftovers(), leftovers, "ppp probe leaves nothing under /tmp");
	if (missing_tool("nft") == NULL)
		ok(run("nft list table ip probe") != 0, "nftables probe left no table on the host");
	if (missing_tool("tc") == NULL)
		ok(run("tc qdisc show dev lo | grep -q netem") != 0, "netem probe left no qdisc on host lo");
}

static void test_cache(void)
{
	struct features fs;
	int f, first, fresh = 1, empty = 1;

	features_init(&fs);
	for (f = 0; f < FEATURE_COUNT; f++) {
		fresh &= fs.state[f] == -1;
		empty &= fs.detail[f][0] == '\0';
	}
	ok(fresh, "features_init: nothing probed yet");
	ok(empty, "features_init: no details yet");
	first = features_has(&fs, FEATURE_ESP);
	is_int(fs.state[FEATURE_ESP], first, "features_has stores its answer");
	is_int(first, probe_feature(FEATURE_ESP, NULL, 0), "features_has = probe_feature");
	ok(fs.detail[FEATURE_ESP][0] != '\0', "features_has keeps the detail");
	is_int(fs.state[FEATURE_AH], -1, "other features stay unprobed");
	/* Flip the cached answer: a re-probe would undo it. */
	fs.state[FEATURE_ESP] = (signed char)!first;
	strcpy(fs.detail[FEATURE_ESP], "cached");
	is_int(features_has(&fs, FEATURE_ESP), !first, "second call answers from the cache");
	is_str(fs.detail[FEATURE_ESP], "cached", "second call leaves the detail alone");
	is_int(features_has(&fs, FEATURE_COUNT), 0, "features_has out of range -> 0");
}

int main(void)
{
	char err[256], path[4096];
	const char *p = getenv("PATH");

	setvbuf(stdout, NULL, _IOLBF, 0);
	test_names();
	if (geteuid() != 0 || netns_init(err, sizeof(err)) < 0) {
		skip("kernel probes", geteuid() != 0 ? "not root" : err);
		return unit_done();
	}
	/* The oracles live in /usr/sbin, which a non-login PATH may lack. */
	snprintf(path, sizeof(path), "%s:/usr/sbin:/sbin", p != NULL ? p : "/usr/bin:/bin");
	setenv("PATH", path, 1);
	test_probes();
	test_cache();
	return unit_done();
}
