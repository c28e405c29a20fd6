/*
** Unit tests for timeline.c and expect.c: time-ordered insertion, the JSON
** and human renderings of a packet, every filter field (positive and
** negative), the time window, and the four assertion kinds passing and
** failing, with their YAML diagnostics checked for content and validity.
*/
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wire/expect.h"
#include "wire/timeline.h"
#include "unit.h"

#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))
#define WAN 0
#define LAN 1

static const char *const link_names[] = { "wan", "lan", "nat" };

/* ---- packet builders ------------------------------------------------------- */

static struct tl_packet mk(double t, int link, enum pkt_class cls)
{
	struct tl_packet p;

	memset(&p, 0, sizeof p);
	p.t = t;
	p.link = link;
	p.frame = 1;
	p.wirelen = 100;
	p.f.cls = cls;
	p.f.has_ip = 1;
	p.f.proto = 17;
	p.f.src = IP4(203, 0, 113, 2);
	p.f.dst = IP4(203, 0, 113, 3);
	return p;
}

static struct tl_packet mk_udp(double t, int link, uint16_t sport, uint16_t dport)
{
	struct tl_packet p = mk(t, link, PKT_UDP);

	p.f.has_ports = 1;
	p.f.sport = sport;
	p.f.dport = dport;
	return p;
}

static struct tl_packet mk_ike(double t, int link, int version, int exchange, int init, int resp)
{
	struct tl_packet p = mk_udp(t, link, 500, 500);

	p.f.cls = PKT_IKE;
	p.f.ike_version = version;
	p.f.ike_exchange = exchange;
	p.f.ike_initiator = init;
	p.f.ike_response = resp;
	p.f.ike_ispi = 0x0123456789abcdefULL;
	return p;
}

static struct tl_packet mk_ike_natt(double t, int link, int exchange, int init, int resp)
{
	struct tl_packet p = mk_ike(t, link, 2, exchange, init, resp);

	p.f.sport = p.f.dport = 4500;
	p.f.ike_nonesp = 1;
	return p;
}

static struct tl_packet mk_esp_udp(double t, int link, uint32_t spi, uint32_t seq)
{
	struct tl_packet p = mk_udp(t, link, 4500, 4500);

	p.f.cls = PKT_ESP_UDP;
	p.f.esp_spi = spi;
	p.f.esp_seq = seq;
	return p;
}

static struct tl_packet mk_esp(double t, int link, uint32_t spi, uint32_t seq)
{
	struct tl_packet p = mk(t, link, PKT_ESP);

	p.f.proto = 50;
	p.f.esp_spi = spi;
	p.f.esp_seq = seq;
	return p;
}

static struct tl_packet mk_ah(double t, int link, uint32_t spi, uint32_t seq)
{
	struct tl_packet p = mk(t, link, PKT_AH);

	p.f.proto = 51;
	p.f.ah_spi = spi;
	p.f.ah_seq = seq;
	return p;
}

static struct tl_packet mk_keepalive(double t, int link)
{
	struct tl_packet p = mk_udp(t, link, 4500, 4500);

	p.f.cls = PKT_KEEPALIVE;
	return p;
}

static struct tl_packet mk_l2tp(double t, int link, int control, int msgtype)
{
	struct tl_packet p = mk_udp(t, link, 1701, 1701);

	p.f.cls = PKT_L2TP;
	p.f.l2tp_control = control;
	p.f.l2tp_msgtype = msgtype;
	p.f.l2tp_tunnel = 7;
	p.f.l2tp_session = control ? 0 : 3;
	return p;
}

static struct tl_packet mk_tcp(double t, int link, uint16_t sport, uint16_t dport)
{
	struct tl_packet p = mk_udp(t, link, sport, dport);

	p.f.cls = PKT_TCP;
	p.f.proto = 6;
	return p;
}

static struct tl_packet mk_frag(double t, int link, uint16_t offset, int mf)
{
	struct tl_packet p = mk(t, link, PKT_FRAGMENT);

	p.f.fragment = 1;
	p.f.more_fragments = mf;
	p.f.frag_offset = offset;
	return p;
}

static struct tl_packet mk_nonip(double t, int link)
{
	struct tl_packet p = mk(t, link, PKT_NONIP);

	p.f.has_ip = 0;
	p.f.proto = 0;
	p.f.src = p.f.dst = 0;
	return p;
}

/* ---- helpers ---------------------------------------------------------------- */

static struct pkt_filter flt(unsigned set)
{
	struct pkt_filter f;

	memset(&f, 0, sizeof f);
	f.set = set;
	f.src_mask = f.dst_mask = 0xffffffffu;
	return f;
}

static int match(const struct pkt_filter *f, struct tl_packet p)
{
	return pktfilter_match(f, &p);
}

static const char *describe(const struct pkt_filter *f)
{
	static char buf[256];

	pktfilter_describe(f, buf, sizeof buf, link_names);
	return buf;
}

static const char *pkt_line(struct tl_packet p, const char *link)
{
	static char buf[256];

	timeline_describe(buf, sizeof buf, &p, link);
	return buf;
}

static char *json_of(struct tl_packet p, const char *link)
{
	static char out[1024];
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	timeline_write_json(f, &p, link);
	fclose(f);
	snprintf(out, sizeof out, "%s", buf);
	free(buf);
	return out;
}

static struct expect_ctx ctx_for(const struct timeline *tl)
{
	struct expect_ctx c;

	memset(&c, 0, sizeof c);
	c.tl = tl;
	c.link_names = link_names;
	c.nlinks = 3;
	c.pcap_hint = "results/t/wan.pcap";
	c.from = 0;
	c.to = INFINITY;
	return c;
}

static void add(struct timeline *tl, struct tl_packet p, uint32_t frame)
{
	p.frame = frame;
	if (timeline_add(tl, &p) != 0) {
		printf("Bail out! timeline_add failed\n");
		exit(1);
	}
}

/*
** The rules a TAP writer relies on: only body lines, each indented two
** spaces and newline-terminated, no tabs, no document markers, every
** double-quoted scalar closed on its line.
*/
static int yaml_sane(const char *d)
{
	const char *line = d, *nl, *p;

	if (!d || !*d || strchr(d, '\t'))
		return 0;
	for (; *line; line = nl + 1) {
		int quotes = 0;

		nl = strchr(line, '\n');
		if (!nl || strncmp(line, "  ", 2) != 0)
			return 0;
		if (strncmp(line, "  ---", 5) == 0 || strncmp(line, "  ...", 5) == 0)
			return 0;
		for (p = line; p < nl; p++) {
			if (*p == '\\' && (quotes & 1) && p + 1 < nl)
				p++;
			else if (*p == '"')
				quotes++;
		}
		if (quotes & 1)
			return 0;
	}
	return 1;
}

static int have(const char *prog)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", prog);
	return system(cmd) == 0;
}

/* Runs cmd with the diag in a temp file as $1-equivalent; its first output line in out. */
static int run_on_diag(const char *cmd_fmt, const char *diag, char *out, size_t len)
{
	char path[] = "/tmp/test_expect_yaml.XXXXXX", cmd[2048];
	int fd = mkstemp(path);
	FILE *p;

	out[0] = '\0';
	if (fd < 0)
		return -1;
	if (write(fd, diag, strlen(diag)) != (ssize_t)strlen(diag)) {
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	snprintf(cmd, sizeof cmd, cmd_fmt, path);
	p = popen(cmd, "r");
	if (p) {
		if (!fgets(out, (int)len, p))
			out[0] = '\0';
		pclose(p);
	}
	unlink(path);
	out[strcspn(out, "\n")] = '\0';
	return 0;
}

#define PY_YAML "python3 -c 'import sys,yaml; d=yaml.safe_load(open(sys.argv[1])); " \
	"print(\",\".join(k+\"=\"+type(v).__name__ for k,v in sorted(d.items())))' %s 2>&1"
#define PL_YAML "perl -MTAP::Parser::YAMLish::Reader -e 'open my $f, \"<\", $ARGV[0] or die; " \
	"my @l = (\"---\", (map { chomp; s/^  //; $_ } <$f>), \"...\"); " \
	"my $d = TAP::Parser::YAMLish::Reader->new->read(sub { shift @l }); " \
	"print join(\",\", sort keys %%$d), \"\\n\"' %s 2>&1"

/*
** The diag parsed by a real YAML parser (PyYAML) and by the reader prove
** itself uses: both must accept it and see the keys in want (comma list in
** PyYAML's "key=type" form, e.g. "seen_instead=dict").
*/
static void yaml_parses(const char *diag, const char *want, const char *what)
{
	static int py = -1, pl = -1;
	char out[1024], msg[256], w[256], *tok, *save;
	int good = 1;

	if (!diag) {
		ok(0, what);
		printf("#   no diagnostic to parse\n");
		return;
	}
	if (py < 0) {
		py = have("python3") && system("python3 -c 'import yaml' 2>/dev/null") == 0;
		pl = have("perl");
	}
	snprintf(msg, sizeof msg, "%s: YAML parses (PyYAML)%s", what, py ? "" : " # SKIP no PyYAML");
	if (py) {
		run_on_diag(PY_YAML, diag, out, sizeof out);
		snprintf(w, sizeof w, "%s", want);
		for (tok = strtok_r(w, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
			good = good && strstr(out, tok) != NULL;
		if (!ok(good, msg))
			printf("#   parser said: %s\n", out);
	} else {
		ok(1, msg);
	}
	snprintf(msg, sizeof msg, "%s: prove's YAMLish reader takes it%s", what,
	         pl ? "" : " # SKIP no perl");
	if (pl) {
		run_on_diag(PL_YAML, diag, out, sizeof out);
		if (!ok(strstr(out, "expected") && strstr(out, "message") && strstr(out, "pcap"), msg))
			printf("#   reader said: %s\n", out);
	} else {
		ok(1, msg);
	}
}

static void show_diag(const char *d)
{
	const char *line = d, *nl;

	for (; line && *line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		printf("#   |%.*s\n", nl ? (int)(nl - line) : (int)strlen(line), line);
	}
}

static int has(const char *diag, const char *needle)
{
	int found = diag && strstr(diag, needle) != NULL;

	if (!found) {
		printf("#   missing: %s\n", needle);
		show_diag(diag);
	}
	return found;
}

/* ---- timeline ---------------------------------------------------------------- */

static void test_timeline_order(void)
{
	struct timeline tl;
	double want[] = { 0.5, 1.0, 2.0, 2.0, 2.0, 3.0 };
	uint32_t want_frames[] = { 5, 2, 3, 4, 6, 1 };
	int sorted = 1, frames = 1;
	size_t i;

	timeline_init(&tl);
	is_int(tl.n, 0, "timeline_init: empty");
	add(&tl, mk(3.0, WAN, PKT_UDP), 1);
	add(&tl, mk(1.0, LAN, PKT_UDP), 2);
	add(&tl, mk(2.0, WAN, PKT_UDP), 3);
	add(&tl, mk(2.0, LAN, PKT_UDP), 4);
	add(&tl, mk(0.5, WAN, PKT_UDP), 5);
	add(&tl, mk(2.0, WAN, PKT_UDP), 6);
	is_int(tl.n, 6, "timeline_add: six packets");
	for (i = 0; i < 6; i++) {
		sorted = sorted && tl.p[i].t == want[i];
		frames = frames && tl.p[i].frame == want_frames[i];
	}
	ok(sorted, "timeline_add: out-of-order adds come out sorted by time");
	ok(frames, "timeline_add: equal times keep arrival order");
	timeline_free(&tl);
	ok(tl.p == NULL && tl.n == 0 && tl.cap == 0, "timeline_free: back to empty");
	timeline_free(NULL);
	ok(1, "timeline_free(NULL) is harmless");

	/* growth past the first allocation, arriving in reverse */
	timeline_init(&tl);
	for (i = 0; i < 2000; i++)
		add(&tl, mk((double)(2000 - i), WAN, PKT_UDP), (uint32_t)i + 1);
	sorted = tl.n == 2000;
	for (i = 1; i < tl.n; i++)
		sorted = sorted && tl.p[i - 1].t <= tl.p[i].t;
	ok(sorted && tl.p[0].frame == 2000, "timeline_add: 2000 reversed packets sorted");
	timeline_free(&tl);
}

static void test_timeline_json(void)
{
	struct tl_packet p = mk_ike(0.412, WAN, 2, 34, 1, 0);
	const char *j;

	p.frame = 3;
	p.wirelen = 336;
	p.f.ike_rspi = 0;
	is_str(json_of(p, "wan"),
	       "{\"t\":0.412000,\"link\":\"wan\",\"frame\":3,\"len\":336,\"class\":\"ike\","
	       "\"src\":\"203.0.113.2\",\"dst\":\"203.0.113.3\",\"proto\":17,\"sport\":500,"
	       "\"dport\":500,\"ike\":{\"version\":2,\"exchange\":\"IKE_SA_INIT\",\"initiator\":true,"
	       "\"response\":false,\"nonesp\":false,\"msgid\":0,\"ispi\":\"0123456789abcdef\","
	       "\"rspi\":\"0000000000000000\"}}\n",
	       "json: IKE packet, exact line");

	p = mk_ike(1, WAN, 2, 99, 0, 1);
	ok(strstr(json_of(p, "wan"), "\"exchange\":99,") != NULL, "json: unknown exchange as a number");

	p = mk_esp_udp(1.5, LAN, 0xc1a2b3c4, 3);
	j = json_of(p, "lan");
	ok(strstr(j, "\"class\":\"esp-udp\"") && strstr(j, "\"esp\":{\"spi\":\"0xc1a2b3c4\",\"seq\":3}")
	   && !strstr(j, "\"ike\"") && !strstr(j, "problem"), "json: esp-udp has esp object only");

	p = mk_esp(2, WAN, 0x10, 1);
	j = json_of(p, "wan");
	ok(strstr(j, "\"proto\":50") && !strstr(j, "sport") && strstr(j, "\"spi\":\"0x00000010\""),
	   "json: raw esp has no ports, spi zero-padded");

	p = mk_l2tp(3, WAN, 1, 1);
	ok(strstr(json_of(p, "wan"), "\"l2tp\":{\"control\":true,\"type\":\"SCCRQ\",\"tunnel\":7,"
	          "\"session\":0}") != NULL, "json: l2tp control names its type");
	p = mk_l2tp(3, WAN, 0, 0);
	ok(strstr(json_of(p, "wan"), "\"l2tp\":{\"control\":false,\"tunnel\":7,\"session\":3}") != NULL,
	   "json: l2tp data has no type");

	p = mk_frag(4, WAN, 1480, 0);
	ok(strstr(json_of(p, "wan"), "\"fragment\":true,\"mf\":false,\"offset\":1480") != NULL,
	   "json: fragment fields");

	p = mk(5, WAN, PKT_ICMP);
	p.f.proto = 1;
	p.f.icmp_type = 8;
	ok(strstr(json_of(p, "wan"), "\"icmp_type\":8,\"icmp_code\":0") != NULL, "json: icmp fields");

	p = mk_nonip(6, WAN);
	p.f.cls = PKT_TRUNCATED;
	p.f.problem = "ip header \"cut\"";
	is_str(json_of(p, NULL), "{\"t\":6.000000,\"link\":0,\"frame\":1,\"len\":100,"
	       "\"class\":\"truncated\",\"problem\":\"ip header \\\"cut\\\"\"}\n",
	       "json: no IP fields without IP; problem escaped; unnamed link by index");

	p = mk_keepalive(7, WAN);
	ok(strstr(json_of(p, "a\"b\\c\nd\te\x01\xc3\xa9\xff"),
	          "\"link\":\"a\\\"b\\\\c\\nd\\te\\u0001\xc3\xa9\\ufffd\"") != NULL,
	   "json: string escaping (quote, backslash, controls, UTF-8 kept, bad byte replaced)");

	p = mk_ah(8, WAN, 0xabc, 9);
	ok(strstr(json_of(p, "wan"), "\"ah\":{\"spi\":\"0x00000abc\",\"seq\":9}") != NULL,
	   "json: ah object");
}

static void test_timeline_describe(void)
{
	struct tl_packet p;
	char small[8];

	is_str(pkt_line(mk_ike(0.412, WAN, 2, 34, 1, 0), "wan"),
	       "0.412 wan 203.0.113.2:500 > 203.0.113.3:500 ike IKE_SA_INIT v2 I",
	       "describe: IKE_SA_INIT request");
	is_str(pkt_line(mk_ike_natt(1, WAN, 35, 0, 1), "wan"),
	       "1.000 wan 203.0.113.2:4500 > 203.0.113.3:4500 ike IKE_AUTH v2 R",
	       "describe: IKE_AUTH response");
	is_str(pkt_line(mk_esp_udp(2.5, WAN, 0xc1a2b3c4, 3), "wan"),
	       "2.500 wan 203.0.113.2:4500 > 203.0.113.3:4500 esp-udp spi 0xc1a2b3c4 seq 3",
	       "describe: esp-udp");
	is_str(pkt_line(mk_esp(3, LAN, 0xdeadbeef, 1), "lan"),
	       "3.000 lan 203.0.113.2 > 203.0.113.3 esp spi 0xdeadbeef seq 1", "describe: raw esp");
	is_str(pkt_line(mk_keepalive(4, WAN), "wan"),
	       "4.000 wan 203.0.113.2:4500 > 203.0.113.3:4500 keepalive", "describe: keepalive");
	is_str(pkt_line(mk_l2tp(5, WAN, 1, 14), NULL),
	       "5.000 link0 203.0.113.2:1701 > 203.0.113.3:1701 l2tp CDN tunnel 7 session 0",
	       "describe: l2tp, unnamed link");
	p = mk_nonip(6, WAN);
	is_str(pkt_line(p, "wan"), "6.000 wan non-ip", "describe: non-ip");
	timeline_describe(small, sizeof small, &p, "wan");
	is_str(small, "6.000 w", "describe: truncates to the buffer");
}

/* ---- filters -------------------------------------------------------------- */

static void test_filter_fields(void)
{
	struct pkt_filter f;
	struct tl_packet ike = mk_ike(1, WAN, 2, 34, 1, 0);

	f = flt(0);
	ok(match(&f, ike) && match(&f, mk_nonip(1, LAN)), "filter: empty matches everything");

	f = flt(PF_LINK);
	f.link = WAN;
	ok(match(&f, ike) && !match(&f, mk_ike(1, LAN, 2, 34, 1, 0)), "filter link: +/-");

	f = flt(PF_PROTO);
	f.proto = 50;
	ok(match(&f, mk_esp(1, WAN, 1, 1)) && !match(&f, ike) && !match(&f, mk_nonip(1, WAN)),
	   "filter proto: +/- (non-IP never)");

	f = flt(PF_SRC);
	f.src = IP4(203, 0, 113, 2);
	ok(match(&f, ike), "filter src /32: +");
	f.src = IP4(203, 0, 113, 9);
	ok(!match(&f, ike), "filter src /32: -");
	f.src_mask = 0xffffff00u;
	ok(match(&f, ike), "filter src /24 covers .2");
	f.src = IP4(198, 51, 100, 0);
	ok(!match(&f, ike), "filter src /24 other net: -");

	f = flt(PF_DST);
	f.dst = IP4(203, 0, 113, 3);
	ok(match(&f, ike) && !match(&f, mk_nonip(1, WAN)), "filter dst: + and non-IP -");
	f.dst = IP4(203, 0, 113, 2);
	ok(!match(&f, ike), "filter dst: - (that is the source)");

	f = flt(PF_SPORT);
	f.sport = 4500;
	ok(match(&f, mk_udp(1, WAN, 4500, 1)) && !match(&f, mk_udp(1, WAN, 1, 4500)), "filter sport: +/-");
	f = flt(PF_DPORT);
	f.dport = 4500;
	ok(match(&f, mk_udp(1, WAN, 1, 4500)) && !match(&f, mk_udp(1, WAN, 4500, 1)), "filter dport: +/-");
	f = flt(PF_PORT);
	f.port = 53;
	ok(match(&f, mk_udp(1, WAN, 53, 1)) && match(&f, mk_udp(1, WAN, 1, 53)) &&
	   !match(&f, mk_udp(1, WAN, 1, 2)) && !match(&f, mk_esp(1, WAN, 53, 53)),
	   "filter port: either side; no ports never");

	f = flt(PF_UDP);
	f.udp = 500;
	ok(match(&f, ike) && match(&f, mk_udp(1, WAN, 500, 9)) && !match(&f, mk_udp(1, WAN, 4500, 4500)),
	   "filter udp=500: +/-");
	ok(!match(&f, mk_tcp(1, WAN, 500, 500)), "filter udp=500: tcp/500 -");
	f = flt(PF_TCP);
	f.tcp = 443;
	ok(match(&f, mk_tcp(1, WAN, 40000, 443)) && !match(&f, mk_udp(1, WAN, 40000, 443)),
	   "filter tcp=443: +/-");
}

static void test_filter_ike(void)
{
	struct pkt_filter f;
	struct tl_packet init = mk_ike(1, WAN, 2, 34, 1, 0), auth = mk_ike_natt(2, WAN, 35, 0, 1);
	struct tl_packet v1 = mk_ike(3, WAN, 1, 5, 1, 0), odd = mk_ike(4, WAN, 2, 99, 1, 0);

	f = flt(PF_IKE);
	snprintf(f.ike, sizeof f.ike, "IKE_SA_INIT");
	ok(match(&f, init) && !match(&f, auth) && !match(&f, mk_udp(1, WAN, 500, 500)), "filter ike: +/-");
	snprintf(f.ike, sizeof f.ike, "INFORMATIONAL");
	ok(match(&f, v1) && match(&f, mk_ike(5, WAN, 2, 37, 0, 0)),
	   "filter ike=INFORMATIONAL: both versions' numbers");
	snprintf(f.ike, sizeof f.ike, "99");
	ok(match(&f, odd) && !match(&f, init), "filter ike by number for an unknown exchange");

	f = flt(PF_IKE_VERSION);
	f.ike_version = 1;
	ok(match(&f, v1) && !match(&f, init), "filter ike_version: +/-");

	f = flt(PF_INITIATOR);
	f.initiator = 1;
	ok(match(&f, init) && !match(&f, auth), "filter initiator=true: +/-");
	f.initiator = 0;
	ok(match(&f, auth) && !match(&f, init), "filter initiator=false: +/-");
	ok(!match(&f, mk_udp(1, WAN, 500, 500)) && !match(&f, mk_keepalive(1, WAN)),
	   "filter initiator=false: non-IKE never matches");

	f = flt(PF_RESPONSE);
	f.response = 1;
	ok(match(&f, auth) && !match(&f, init), "filter response=true: +/-");
	f.response = 0;
	ok(match(&f, init) && !match(&f, mk_esp_udp(1, WAN, 1, 1)), "filter response=false: IKE only");

	f = flt(PF_NONESP);
	f.nonesp = 1;
	ok(match(&f, auth) && !match(&f, init), "filter nonesp=true: +/-");
	f.nonesp = 0;
	ok(match(&f, init) && !match(&f, auth) && !match(&f, mk_udp(1, WAN, 500, 500)),
	   "filter nonesp=false: IKE on 500 only");

	/* notify: any of the (first four) notifies a clear IKE message carried */
	struct tl_packet npc = mk_ike(5, WAN, 2, 34, 0, 1), many = mk_ike(6, WAN, 2, 34, 1, 0);
	npc.f.ike_nnotify = 1;
	npc.f.ike_notify[0] = 14;
	many.f.ike_nnotify = 6;   /* the dissector counts six and keeps four */
	many.f.ike_notify[0] = 16388;
	many.f.ike_notify[1] = 16389;
	many.f.ike_notify[2] = 16430;
	many.f.ike_notify[3] = 16431;
	f = flt(PF_NOTIFY);
	f.notify = 14;
	ok(match(&f, npc) && !match(&f, many) && !match(&f, init), "filter notify=NO_PROPOSAL_CHOSEN: +/-");
	f.notify = 16431;
	ok(match(&f, many) && !match(&f, npc), "filter notify: the fourth notify kept matches");
	f.notify = 0;
	ok(!match(&f, many), "filter notify=0: a count of six reads no slot past the four kept");
	struct tl_packet udp14 = mk_udp(1, WAN, 500, 500);
	udp14.f.ike_nnotify = 1;
	udp14.f.ike_notify[0] = 14;
	f.notify = 14;
	ok(!match(&f, udp14), "filter notify: only IKE packets");
	f.set |= PF_RESPONSE;
	f.response = 1;
	ok(match(&f, npc), "filter notify with response=true: the IKE_SA_INIT response");
	f.response = 0;
	ok(!match(&f, npc), "filter notify with response=false: not the request");

	/* ike_spi: either SPI of the header, so both ends' messages of one IKE SA match */
	struct tl_packet rekeyed = mk_ike_natt(7, WAN, 37, 1, 0);
	rekeyed.f.ike_ispi = 0x1122334455667788ULL;
	rekeyed.f.ike_rspi = 0x99aabbccddeeff00ULL;
	f = flt(PF_IKE_SPI);
	f.ike_spi = 0x1122334455667788ULL;
	ok(match(&f, rekeyed) && !match(&f, init), "filter ike_spi: the initiator's SPI");
	f.ike_spi = 0x99aabbccddeeff00ULL;
	ok(match(&f, rekeyed) && !match(&f, init), "filter ike_spi: the responder's SPI");
	f.ike_spi = 0x0123456789abcdefULL;   /* mk_ike's initiator SPI */
	ok(match(&f, init) && !match(&f, rekeyed), "filter ike_spi: another IKE SA's packets do not match");
	struct tl_packet esp_same = mk_esp_udp(1, WAN, 0x01234567, 1);
	esp_same.f.ike_ispi = 0x0123456789abcdefULL;   /* stale facts of another class never count */
	ok(!match(&f, esp_same), "filter ike_spi: only IKE packets");
	is_str(describe(&f), "ike_spi=0x0123456789abcdef", "describe ike_spi: 16 hex digits");

	f = flt(PF_IKE | PF_LINK | PF_SPORT);
	snprintf(f.ike, sizeof f.ike, "IKE_AUTH");
	f.link = WAN;
	f.sport = 4500;
	ok(match(&f, auth) && !match(&f, mk_ike_natt(2, LAN, 35, 0, 1)), "filter: all set fields must match");
}

static void test_filter_kinds(void)
{
	struct pkt_filter f;
	struct tl_packet esp = mk_esp(1, WAN, 0xc1a2b3c4, 1), espu = mk_esp_udp(1, WAN, 0xc1a2b3c4, 1);
	struct tl_packet ah = mk_ah(1, WAN, 0x1234, 1), ka = mk_keepalive(1, WAN);

	f = flt(PF_ESP);
	f.esp = PF_ESP_RAW;
	ok(match(&f, esp) && !match(&f, espu), "filter esp=raw: +/-");
	f.esp = PF_ESP_UDP;
	ok(match(&f, espu) && !match(&f, esp) && !match(&f, ka), "filter esp=udp: +/-");

	f = flt(PF_SPI);
	f.spi = 0xc1a2b3c4;
	ok(match(&f, esp) && match(&f, espu) && !match(&f, ah), "filter spi: ESP both kinds");
	f.spi = 0x1234;
	ok(match(&f, ah) && !match(&f, esp), "filter spi: AH");
	f.spi = 0;
	ok(!match(&f, mk_udp(1, WAN, 1, 1)), "filter spi=0: not a UDP packet (spi field unset)");

	f = flt(PF_KEEPALIVE);
	f.keepalive = 1;
	ok(match(&f, ka) && !match(&f, espu), "filter keepalive=true: +/-");
	f.keepalive = 0;
	ok(!match(&f, ka) && match(&f, espu) && match(&f, mk_nonip(1, WAN)),
	   "filter keepalive=false: anything else");

	f = flt(PF_AH);
	f.ah = 1;
	ok(match(&f, ah) && !match(&f, esp), "filter ah=true: +/-");

	f = flt(PF_L2TP);
	f.l2tp = PF_L2TP_ANY;
	ok(match(&f, mk_l2tp(1, WAN, 1, 1)) && match(&f, mk_l2tp(1, WAN, 0, 0)) &&
	   !match(&f, mk_udp(1, WAN, 1701, 1701)), "filter l2tp=any: +/-");
	f.l2tp = PF_L2TP_DATA;
	ok(match(&f, mk_l2tp(1, WAN, 0, 0)) && !match(&f, mk_l2tp(1, WAN, 1, 1)), "filter l2tp=data: +/-");
	f.l2tp = 1;
	ok(match(&f, mk_l2tp(1, WAN, 1, 1)) && !match(&f, mk_l2tp(1, WAN, 1, 2)), "filter l2tp=SCCRQ: +/-");
	f.l2tp = 0;
	ok(match(&f, mk_l2tp(1, WAN, 1, 0)) && !match(&f, mk_l2tp(1, WAN, 0, 0)),
	   "filter l2tp=ZLB: control type 0, not data");

	f = flt(PF_FRAGMENT);
	f.fragment = 1;
	ok(match(&f, mk_frag(1, WAN, 8, 1)) && !match(&f, esp), "filter fragment=true: +/-");
	f.fragment = 0;
	ok(!match(&f, mk_frag(1, WAN, 8, 1)) && match(&f, esp), "filter fragment=false: +/-");

	f = flt(PF_CLASS);
	f.cls = PKT_KEEPALIVE;
	ok(match(&f, ka) && !match(&f, espu), "filter class: +/-");
}

/* inner, icmp, ppp, ppp_code: the decrypted view's states and the inner filter. */
static void test_filter_inner(void)
{
	struct pkt_filter f, in;
	struct tl_packet ok_p = mk_esp_udp(1, WAN, 0x10, 1), bad = mk_esp_udp(1, WAN, 0x11, 1);
	struct tl_packet nokey = mk_esp_udp(1, WAN, 0x12, 1), plain = mk_udp(1, WAN, 1701, 1701);

	ok_p.inner.state = INNER_OK;
	ok_p.inner.f = mk_l2tp(1, WAN, 0, 0).f;
	ok_p.inner.f.has_ppp = 1;
	ok_p.inner.f.ppp_proto = 0xc021;
	ok_p.inner.f.ppp_code = 1;
	bad.inner.state = INNER_FAILED;
	bad.inner.status = ESP_BAD_ICV;
	nokey.inner.state = INNER_NO_KEY;

	f = flt(PF_INNER);
	f.inner = PF_INNER_DECRYPTED;
	ok(match(&f, ok_p) && !match(&f, bad) && !match(&f, nokey) && !match(&f, plain),
	   "filter inner=decrypted: only a decrypted ESP packet");
	f.inner = PF_INNER_UNDECRYPTABLE;
	ok(match(&f, bad) && !match(&f, ok_p) && !match(&f, nokey), "filter inner=undecryptable: +/-");
	f.inner = PF_INNER_NO_KEY;
	ok(match(&f, nokey) && !match(&f, bad) && !match(&f, plain), "filter inner=no-key: +/-");

	in = flt(PF_PPP | PF_PPP_CODE);
	in.ppp = 0xc021;
	in.ppp_code = 1;
	f = flt(PF_INNER);
	f.inner = PF_INNER_DECRYPTED;
	f.inner_filter = &in;
	ok(match(&f, ok_p), "filter inner={ppp=LCP ppp_code=Configure-Request}: matches the inner packet");
	ok(!match(&f, bad), "filter inner={...}: never an undecryptable packet");
	in.ppp_code = 2;
	ok(!match(&f, ok_p), "filter inner={ppp_code=Configure-Ack}: not a Configure-Request");
	ok(!match(&in, ok_p), "filter ppp=...: the outer ESP packet has no PPP");
	is_str(describe(&f), "inner={ppp=LCP ppp_code=Configure-Ack}", "describe inner filter");

	f = flt(PF_ICMP);
	f.icmp = 8;
	struct tl_packet echo = mk(1, WAN, PKT_ICMP);
	echo.f.proto = 1;
	echo.f.icmp_type = 8;
	ok(match(&f, echo) && !match(&f, plain), "filter icmp=echo-request: +/-");
	f.icmp = 0;
	ok(!match(&f, echo) && !match(&f, plain), "filter icmp=echo-reply: neither");
	is_str(describe(&f), "icmp=echo-reply", "describe icmp");
	f.icmp = 8;
	ok(match(&f, echo), "filter icmp=8 (by number) matches an echo request");
	f.icmp = 13;   /* timestamp: no name in the table */
	ok(!match(&f, echo), "filter icmp=13: not an echo request");
	echo.f.icmp_type = 13;
	ok(match(&f, echo), "filter icmp=13: a timestamp request");
	is_str(describe(&f), "icmp=13", "describe icmp: a number when it has no name");
}

static void test_filter_describe(void)
{
	struct pkt_filter f = flt(PF_LINK | PF_IKE | PF_SPORT);
	char small[10];

	f.link = WAN;
	snprintf(f.ike, sizeof f.ike, "IKE_SA_INIT");
	f.sport = 500;
	is_str(describe(&f), "link=wan ike=IKE_SA_INIT sport=500", "describe filter: link, ike, sport");

	f = flt(PF_SRC | PF_DST | PF_INITIATOR | PF_RESPONSE | PF_NONESP | PF_IKE_VERSION);
	f.src = IP4(10, 1, 0, 0);
	f.src_mask = 0xffff0000u;
	f.dst = IP4(203, 0, 113, 3);
	f.initiator = 1;
	f.ike_version = 2;
	is_str(describe(&f), "ike_version=2 initiator=true response=false nonesp=false "
	       "src=10.1.0.0/16 dst=203.0.113.3", "describe filter: booleans, /len only when not /32");

	f = flt(PF_ESP | PF_SPI | PF_AH | PF_KEEPALIVE | PF_FRAGMENT | PF_CLASS | PF_PROTO);
	f.esp = PF_ESP_UDP;
	f.spi = 0xc1a2b3c4;
	f.cls = PKT_ESP_UDP;
	f.proto = 17;
	is_str(describe(&f), "class=esp-udp proto=17 esp=udp spi=0xc1a2b3c4 ah=false "
	       "keepalive=false fragment=false", "describe filter: esp, spi, class");

	f = flt(PF_L2TP | PF_UDP | PF_TCP | PF_PORT | PF_DPORT);
	f.l2tp = 10;
	f.udp = 1701;
	f.tcp = 22;
	f.port = 7;
	f.dport = 8;
	is_str(describe(&f), "udp=1701 tcp=22 l2tp=ICRQ dport=8 port=7", "describe filter: l2tp by name");
	f.l2tp = PF_L2TP_ANY;
	ok(strstr(describe(&f), "l2tp=any") != NULL, "describe filter: l2tp=any");
	f.l2tp = PF_L2TP_DATA;
	ok(strstr(describe(&f), "l2tp=data") != NULL, "describe filter: l2tp=data");
	f = flt(PF_ESP);
	f.esp = PF_ESP_RAW;
	is_str(describe(&f), "esp=raw", "describe filter: esp=raw");
	f = flt(PF_IKE | PF_RESPONSE | PF_NOTIFY);
	snprintf(f.ike, sizeof f.ike, "IKE_SA_INIT");
	f.response = 1;
	f.notify = 14;
	is_str(describe(&f), "ike=IKE_SA_INIT response=true notify=NO_PROPOSAL_CHOSEN",
	       "describe filter: notify by name");
	f.notify = 40000;
	is_str(describe(&f), "ike=IKE_SA_INIT response=true notify=40000", "describe filter: notify by number");
	f = flt(0);
	is_str(describe(&f), "any", "describe filter: empty is 'any'");
	f = flt(PF_LINK);
	f.link = 5;
	pktfilter_describe(&f, small, sizeof small, NULL);
	is_str(small, "link=5", "describe filter: no names -> index");
	f = flt(PF_SRC);
	f.src = IP4(192, 168, 100, 200);
	pktfilter_describe(&f, small, sizeof small, NULL);
	is_int(strlen(small), sizeof small - 1, "describe filter: truncated to the buffer");
}

/* ---- assertions ------------------------------------------------------------- */

/* A run: IKE on wan (2 INIT, 4 AUTH), NAT-T keepalive, ESP, DNS on lan. */
static void build_run(struct timeline *tl)
{
	uint32_t fr = 1;

	timeline_init(tl);
	add(tl, mk_ike(0.10, WAN, 2, 34, 1, 0), fr++);
	add(tl, mk_ike(0.12, WAN, 2, 34, 0, 1), fr++);
	add(tl, mk_ike_natt(0.20, WAN, 35, 1, 0), fr++);
	add(tl, mk_ike_natt(0.22, WAN, 35, 0, 1), fr++);
	add(tl, mk_udp(0.30, LAN, 33333, 53), 1);
	add(tl, mk_ike_natt(0.40, WAN, 35, 1, 0), fr++);
	add(tl, mk_ike_natt(0.42, WAN, 35, 0, 1), fr++);
	add(tl, mk_esp_udp(1.00, WAN, 0xc1a2b3c4, 1), fr++);
	add(tl, mk_udp(1.10, LAN, 53, 33333), 2);
	add(tl, mk_keepalive(5.00, WAN), fr++);
}

static void test_window(void)
{
	struct timeline tl;
	struct expect_ctx c;
	struct pkt_filter f = flt(0);

	build_run(&tl);
	c = ctx_for(&tl);
	is_int(expect_count_matches(&c, &f), 10, "count_matches: whole run");
	c.from = 0.20;
	c.to = 0.42;
	is_int(expect_count_matches(&c, &f), 5, "window: both ends inclusive");
	c.from = 0.21;
	c.to = 0.41;
	is_int(expect_count_matches(&c, &f), 3, "window: packets just outside are left out");
	c.from = 6;
	c.to = INFINITY;
	is_int(expect_count_matches(&c, &f), 0, "window after the last packet: none");
	c.from = 5;
	c.to = 5;
	is_int(expect_count_matches(&c, &f), 1, "window of one instant");
	f = flt(PF_LINK);
	f.link = LAN;
	c.from = 0;
	c.to = 1.0;
	is_int(expect_count_matches(&c, &f), 1, "count_matches: filter and window together");
	timeline_free(&tl);
}

static void test_seen(void)
{
	struct timeline tl;
	struct expect_ctx c;
	struct expect_result r;
	struct pkt_filter f = flt(PF_IKE);

	build_run(&tl);
	c = ctx_for(&tl);
	snprintf(f.ike, sizeof f.ike, "IKE_AUTH");
	is_int(expect_seen(&c, &f, &r), 0, "seen: returns 0");
	ok(r.pass && r.diag == NULL, "seen IKE_AUTH: passes, no diag");
	expect_result_free(&r);

	c.from = 0.5;   /* the window hides every IKE_AUTH */
	f.set |= PF_LINK;
	f.link = WAN;
	expect_seen(&c, &f, &r);
	ok(!r.pass, "seen IKE_AUTH after t=0.5: fails");
	ok(has(r.diag, "  message: \"expected at least one packet matching link=wan ike=IKE_AUTH\"\n"),
	   "seen diag: message");
	ok(has(r.diag, "  expected: \"link=wan ike=IKE_AUTH\"\n"), "seen diag: expected");
	ok(has(r.diag, "  found: \"0 matching of 2 packets\"\n"), "seen diag: found counts the link's window");
	ok(has(r.diag, "  seen_instead: {keepalive: 1, esp-udp: 1}\n"), "seen diag: class histogram");
	ok(has(r.diag, "  last_packet: \"5.000 wan 203.0.113.2:4500 > 203.0.113.3:4500 keepalive "
	       "(frame 8)\"\n"), "seen diag: last packet with frame");
	ok(has(r.diag, "  pcap: \"results/t/wan.pcap\"\n"), "seen diag: pcap");
	ok(has(r.diag, "  window: \"0.500..end\"\n"), "seen diag: window");
	ok(!strstr(r.diag, "ike_exchanges"), "seen diag: no IKE breakdown without IKE");
	ok(yaml_sane(r.diag), "seen diag: YAML sane");
	yaml_parses(r.diag, "seen_instead=dict,found=str,message=str,pcap=str", "seen diag");
	expect_result_free(&r);
	ok(r.diag == NULL, "expect_result_free clears diag");
	expect_result_free(NULL);

	c.from = 0;
	snprintf(f.ike, sizeof f.ike, "CREATE_CHILD_SA");
	f.set &= ~(unsigned)PF_LINK;
	expect_seen(&c, &f, &r);
	ok(!r.pass && has(r.diag, "  found: \"0 matching of 10 packets\"\n"),
	   "seen (no link): counts every link");
	ok(has(r.diag, "  seen_instead: {udp: 2, ike: 6, keepalive: 1, esp-udp: 1}\n"),
	   "seen diag: histogram over all links in class order");
	ok(has(r.diag, "  ike_exchanges: {IKE_SA_INIT: 2, IKE_AUTH: 4}\n"), "seen diag: IKE exchange breakdown");
	ok(yaml_sane(r.diag), "seen diag (all links): YAML sane");
	expect_result_free(&r);

	c.from = 10;   /* nothing at all in the window */
	expect_seen(&c, &f, &r);
	ok(!r.pass && has(r.diag, "  seen_instead: {}\n") && !strstr(r.diag, "last_packet"),
	   "seen diag: empty window gives {} and no last packet");
	c.pcap_hint = NULL;
	expect_result_free(&r);
	expect_seen(&c, &f, &r);
	ok(has(r.diag, "  pcap: ~\n") && yaml_sane(r.diag), "seen diag: no pcap hint -> ~");
	expect_result_free(&r);
	timeline_free(&tl);
}

/* A seen on a notify that is not there names the notifies that were. */
static void test_seen_notify(void)
{
	struct timeline tl;
	struct expect_ctx c;
	struct expect_result r;
	struct pkt_filter f = flt(PF_IKE | PF_RESPONSE | PF_NOTIFY);
	struct tl_packet req = mk_ike(0.10, WAN, 2, 34, 1, 0), resp = mk_ike(0.12, WAN, 2, 34, 0, 1);

	req.f.ike_nnotify = resp.f.ike_nnotify = 2;
	req.f.ike_notify[0] = resp.f.ike_notify[0] = 16388;
	req.f.ike_notify[1] = resp.f.ike_notify[1] = 16389;
	timeline_init(&tl);
	add(&tl, req, 1);
	add(&tl, resp, 2);
	c = ctx_for(&tl);
	snprintf(f.ike, sizeof f.ike, "IKE_SA_INIT");
	f.response = 1;
	f.notify = 14;
	expect_seen(&c, &f, &r);
	ok(!r.pass, "seen notify=NO_PROPOSAL_CHOSEN on an accepted IKE_SA_INIT: fails");
	ok(has(r.diag, "  expected: \"ike=IKE_SA_INIT response=true notify=NO_PROPOSAL_CHOSEN\"\n"),
	   "seen notify diag: the filter names the notify");
	ok(has(r.diag, "  ike_notifies: {NAT_DETECTION_SOURCE_IP: 2, NAT_DETECTION_DESTINATION_IP: 2}\n"),
	   "seen notify diag: the notifies that were there instead");
	yaml_parses(r.diag, "ike_notifies=dict,found=str", "seen notify diag");
	expect_result_free(&r);

	f.notify = 16389;
	expect_seen(&c, &f, &r);
	ok(r.pass, "seen notify=NAT_DETECTION_DESTINATION_IP response: passes");
	expect_result_free(&r);
	f.set &= ~(unsigned)PF_NOTIFY;
	f.set |= PF_IKE_VERSION;
	f.ike_version = 1;
	expect_seen(&c, &f, &r);
	ok(!r.pass && !strstr(r.diag, "ike_notifies"), "seen diag: no notify breakdown unless asked");
	expect_result_free(&r);
	timeline_free(&tl);
}

static void test_never(void)
{
	struct timeline tl;
	struct expect_ctx c;
	struct expect_result r;
	struct pkt_filter f = flt(PF_KEEPALIVE);

	build_run(&tl);
	c = ctx_for(&tl);
	f.keepalive = 1;
	c.to = 4.0;
	expect_never(&c, &f, &r);
	ok(r.pass && !r.diag, "never keepalive before t=4: passes");
	c.to = INFINITY;
	is_int(expect_never(&c, &f, &r), 0, "never: returns 0 on failure too");
	ok(!r.pass, "never keepalive over the run: fails");
	ok(has(r.diag, "  message: \"expected no packet matching keepalive=true\"\n"), "never diag: message");
	ok(has(r.diag, "  found: \"1 matching\"\n"), "never diag: found");
	ok(has(r.diag, "  first_offending: \"5.000 wan 203.0.113.2:4500 > 203.0.113.3:4500 keepalive "
	       "(frame 8)\"\n"), "never diag: first offending with frame");
	ok(has(r.diag, "  t: 5.000000\n"), "never diag: t");
	ok(yaml_sane(r.diag), "never diag: YAML sane");
	yaml_parses(r.diag, "first_offending=str,t=float", "never diag");
	expect_result_free(&r);

	f = flt(PF_UDP);
	f.udp = 53;
	expect_never(&c, &f, &r);
	ok(!r.pass && has(r.diag, "  found: \"2 matching\"\n") &&
	   has(r.diag, "0.300 lan 203.0.113.2:33333 > 203.0.113.3:53 udp (frame 1)"),
	   "never diag: the first of several is reported");
	expect_result_free(&r);
	timeline_free(&tl);
}

static void test_count(void)
{
	struct timeline tl;
	struct expect_ctx c;
	struct expect_result r;
	struct pkt_filter f = flt(PF_IKE);

	build_run(&tl);
	c = ctx_for(&tl);
	snprintf(f.ike, sizeof f.ike, "IKE_AUTH");
	expect_count(&c, &f, 4, 4, &r);
	ok(r.pass && !r.diag, "count exactly 4 IKE_AUTH: passes");
	expect_count(&c, &f, 1, -1, &r);
	ok(r.pass, "count at least 1 (no upper bound): passes");
	expect_count(&c, &f, 2, 6, &r);
	ok(r.pass, "count 2..6: passes");
	expect_count(&c, &f, 0, 0, &r);
	ok(!r.pass, "count 0..0 with 4: fails");
	ok(has(r.diag, "  wanted: \"0\"\n") && has(r.diag, "  found: 4\n"), "count diag: exact wanted, found");
	expect_result_free(&r);

	expect_count(&c, &f, 1, 2, &r);
	ok(!r.pass, "count 1..2 with 4: fails");
	ok(has(r.diag, "  message: \"expected 1..2 packets matching ike=IKE_AUTH, found 4\"\n"),
	   "count diag: message");
	ok(has(r.diag, "  wanted: \"1..2\"\n"), "count diag: range");
	ok(has(r.diag, "  first_match: \"0.200 wan 203.0.113.2:4500 > 203.0.113.3:4500 ike IKE_AUTH "
	       "v2 I (frame 3)\"\n"), "count diag: first match");
	ok(has(r.diag, "  last_match: \"0.420 wan 203.0.113.2:4500 > 203.0.113.3:4500 ike IKE_AUTH "
	       "v2 R (frame 6)\"\n"), "count diag: last match");
	ok(yaml_sane(r.diag), "count diag: YAML sane");
	yaml_parses(r.diag, "found=int,wanted=str,first_match=str,last_match=str", "count diag");
	expect_result_free(&r);

	expect_count(&c, &f, 5, -1, &r);
	ok(!r.pass && has(r.diag, "  wanted: \"at least 5\"\n"), "count at least 5: fails, says so");
	expect_result_free(&r);
	c.from = 0.3;
	c.to = 0.41;
	expect_count(&c, &f, 2, 2, &r);
	ok(!r.pass && has(r.diag, "  found: 1\n"), "count honours the window");
	expect_result_free(&r);
	snprintf(f.ike, sizeof f.ike, "CREATE_CHILD_SA");
	expect_count(&c, &f, 1, 3, &r);
	ok(!r.pass && !strstr(r.diag, "first_match"), "count diag: no match lines when none matched");
	expect_result_free(&r);
	timeline_free(&tl);
}

/* ---- transition ------------------------------------------------------------- */

struct trans_case {
	struct timeline tl;
	struct expect_ctx c;
	struct pkt_filter from, to;
	struct expect_result r;
};

static void trans_begin(struct trans_case *k, int with_link)
{
	memset(k, 0, sizeof *k);
	timeline_init(&k->tl);
	k->c = ctx_for(&k->tl);
	k->from = flt(PF_UDP | (with_link ? PF_LINK : 0));
	k->from.udp = 500;
	k->to = flt(PF_UDP | (with_link ? PF_LINK : 0));
	k->to.udp = 4500;
}

static void trans_end(struct trans_case *k)
{
	expect_result_free(&k->r);
	timeline_free(&k->tl);
}

static void test_transition(void)
{
	struct trans_case k;

	trans_begin(&k, 1);
	add(&k.tl, mk_ike(1, WAN, 2, 34, 1, 0), 1);
	add(&k.tl, mk_ike(2, WAN, 2, 34, 0, 1), 2);
	add(&k.tl, mk_ike_natt(3, WAN, 35, 1, 0), 3);
	add(&k.tl, mk_esp_udp(4, WAN, 1, 1), 4);
	expect_transition(&k.c, &k.from, &k.to, &k.r);
	ok(k.r.pass && !k.r.diag, "transition 500 -> 4500: passes");
	expect_result_free(&k.r);
	add(&k.tl, mk_ike(5, LAN, 2, 37, 1, 0), 1);   /* 500 again, but on another link */
	expect_transition(&k.c, &k.from, &k.to, &k.r);
	ok(k.r.pass, "transition with link=wan: a later from on lan does not count");
	trans_end(&k);

	trans_begin(&k, 0);
	add(&k.tl, mk_ike(1, WAN, 2, 34, 1, 0), 1);
	add(&k.tl, mk_ike_natt(2, WAN, 35, 1, 0), 2);
	add(&k.tl, mk_ike(3, LAN, 2, 37, 1, 0), 7);
	expect_transition(&k.c, &k.from, &k.to, &k.r);
	ok(!k.r.pass, "transition without link: a later from on another link fails it");
	ok(has(k.r.diag, "  rule: \"from seen again after to\"\n"), "transition diag: rule from again");
	ok(has(k.r.diag, "  first_offending: \"3.000 lan 203.0.113.2:500 > 203.0.113.3:500 ike "
	       "INFORMATIONAL v2 I (frame 7)\"\n") && has(k.r.diag, "  t: 3.000000\n"),
	   "transition diag: first offending from");
	ok(has(k.r.diag, "  switched_at: \"2.000 wan 203.0.113.2:4500 > 203.0.113.3:4500 ike IKE_AUTH "
	       "v2 I (frame 2)\"\n"), "transition diag: switched_at is the first to");
	ok(has(k.r.diag, "  expected: \"from udp=500 to udp=4500\"\n"), "transition diag: expected");
	ok(yaml_sane(k.r.diag), "transition diag: YAML sane");
	yaml_parses(k.r.diag, "rule=str,switched_at=str,first_offending=str", "transition diag");
	k.c.to = 2.5;
	expect_result_free(&k.r);
	expect_transition(&k.c, &k.from, &k.to, &k.r);
	ok(k.r.pass, "transition: the window hides the late from");
	trans_end(&k);

}

static void test_transition_order(void)
{
	struct trans_case k;

	/*
	** Ties: the same capture time has no order (two links drained in either
	** order; the VM's 4 ms jiffies clock), so a tie is neither "after" nor "before".
	*/
	trans_begin(&k, 0);
	add(&k.tl, mk_ike(1, WAN, 2, 34, 1, 0), 1);
	add(&k.tl, mk_ike_natt(2, WAN, 35, 1, 0), 2);
	add(&k.tl, mk_ike(2, WAN, 2, 34, 0, 1), 3);    /* a 500 answer stamped the same as the first 4500 */
	expect_transition(&k.c, &k.from, &k.to, &k.r);
	ok(k.r.pass, "transition: a from at the very time of the first to is not after it");
	expect_result_free(&k.r);
	add(&k.tl, mk_ike(3, WAN, 2, 34, 0, 1), 4);    /* one strictly later is */
	expect_transition(&k.c, &k.from, &k.to, &k.r);
	ok(!k.r.pass && has(k.r.diag, "(frame 4)\"\n  t: 3.000000\n"),
	   "transition: a from strictly later than the first to still fails it");
	trans_end(&k);

	trans_begin(&k, 0);
	add(&k.tl, mk_ike_natt(1, WAN, 35, 1, 0), 1);   /* the to drained first ... */
	add(&k.tl, mk_ike(1, LAN, 2, 34, 1, 0), 2);     /* ... the from at the same time */
	expect_transition(&k.c, &k.from, &k.to, &k.r);
	ok(k.r.pass, "transition: a to tied with the first from is not before it");
	trans_end(&k);

	trans_begin(&k, 1);   /* interleaved: from, to, from, to */
	add(&k.tl, mk_ike(1, WAN, 2, 34, 1, 0), 1);
	add(&k.tl, mk_esp_udp(2, WAN, 1, 1), 2);
	add(&k.tl, mk_ike(3, WAN, 2, 37, 1, 0), 3);
	add(&k.tl, mk_esp_udp(4, WAN, 1, 2), 4);
	add(&k.tl, mk_ike(5, WAN, 2, 37, 0, 1), 5);
	expect_transition(&k.c, &k.from, &k.to, &k.r);
	ok(!k.r.pass && has(k.r.diag, "(frame 3)\"\n  t: 3.000000\n") &&
	   has(k.r.diag, "  found: \"3 from, 2 to\"\n"),
	   "transition interleaved: the first from after the first to is reported");
	trans_end(&k);

	trans_begin(&k, 1);   /* to before from */
	add(&k.tl, mk_esp_udp(1, WAN, 1, 1), 1);
	add(&k.tl, mk_ike(2, WAN, 2, 34, 1, 0), 2);
	add(&k.tl, mk_esp_udp(3, WAN, 1, 2), 3);
	expect_transition(&k.c, &k.from, &k.to, &k.r);
	ok(!k.r.pass && has(k.r.diag, "  rule: \"to seen before any from\"\n"),
	   "transition: to before from fails");
	ok(has(k.r.diag, "  first_offending: \"1.000 wan 203.0.113.2:4500 > 203.0.113.3:4500 esp-udp "
	       "spi 0x00000001 seq 1 (frame 1)\"\n") && has(k.r.diag, "  t: 1.000000\n"),
	   "transition diag: the early to, with its time");
	ok(yaml_sane(k.r.diag), "transition (to first) diag: YAML sane");
	expect_result_free(&k.r);
	k.c.from = 1.5;
	expect_transition(&k.c, &k.from, &k.to, &k.r);
	ok(k.r.pass, "transition: window starting after the early to passes");
	trans_end(&k);

}

static void test_transition_missing(void)
{
	struct trans_case k;

	trans_begin(&k, 1);   /* never from, never to */
	add(&k.tl, mk_esp_udp(1, WAN, 1, 1), 1);
	expect_transition(&k.c, &k.from, &k.to, &k.r);
	ok(!k.r.pass && has(k.r.diag, "  rule: \"from never seen\"\n") &&
	   has(k.r.diag, "  first_to: \"1.000 wan"), "transition: from never seen");
	expect_result_free(&k.r);
	k.c.to = 0.5;
	expect_transition(&k.c, &k.from, &k.to, &k.r);
	ok(!k.r.pass && has(k.r.diag, "  found: \"0 from, 0 to\"\n"), "transition: empty window fails");
	trans_end(&k);

	trans_begin(&k, 1);
	add(&k.tl, mk_ike(1, WAN, 2, 34, 1, 0), 1);
	add(&k.tl, mk_ike(2, WAN, 2, 34, 0, 1), 2);
	expect_transition(&k.c, &k.from, &k.to, &k.r);
	ok(!k.r.pass && has(k.r.diag, "  rule: \"to never seen\"\n") &&
	   has(k.r.diag, "  first_from: \"1.000 wan"), "transition: to never seen");
	ok(yaml_sane(k.r.diag), "transition (no to) diag: YAML sane");
	trans_end(&k);

	trans_begin(&k, 1);   /* 500 -> 4500 packet matches both filters */
	add(&k.tl, mk_ike(1, WAN, 2, 34, 1, 0), 1);
	add(&k.tl, mk_udp(2, WAN, 500, 4500), 2);
	add(&k.tl, mk_esp_udp(3, WAN, 1, 1), 3);
	expect_transition(&k.c, &k.from, &k.to, &k.r);
	ok(k.r.pass, "transition: a packet matching both is the switch, not a relapse");
	add(&k.tl, mk_udp(4, WAN, 500, 4500), 4);
	expect_result_free(&k.r);
	expect_transition(&k.c, &k.from, &k.to, &k.r);
	ok(!k.r.pass && has(k.r.diag, "(frame 4)"), "transition: a later both-packet is a from again");
	trans_end(&k);
}

static void test_diag_quoting(void)
{
	struct timeline tl;
	struct expect_ctx c;
	struct expect_result r;
	struct pkt_filter f = flt(PF_LINK);
	const char *const odd_names[] = { "we\"ird\\link" };

	timeline_init(&tl);
	add(&tl, mk_udp(1, 0, 1, 2), 1);
	c = ctx_for(&tl);
	c.link_names = odd_names;
	c.nlinks = 1;
	c.pcap_hint = "results/a \"b\"/x.pcap";
	f.link = 0;
	expect_never(&c, &f, &r);
	ok(!r.pass && has(r.diag, "  expected: \"link=we\\\"ird\\\\link\"\n") &&
	   has(r.diag, "  pcap: \"results/a \\\"b\\\"/x.pcap\"\n"), "diag: quotes and backslashes escaped");
	ok(yaml_sane(r.diag), "diag with odd names: YAML sane");
	yaml_parses(r.diag, "expected=str,pcap=str", "odd-name diag");
	expect_result_free(&r);
	f.link = 2;   /* beyond nlinks: the number, not a read past the array */
	c.nlinks = 1;
	expect_seen(&c, &f, &r);
	ok(!r.pass && has(r.diag, "  expected: \"link=2\"\n"), "diag: link index beyond names is a number");
	expect_result_free(&r);
	timeline_free(&tl);
}

int main(void)
{
	test_timeline_order();
	test_timeline_json();
	test_timeline_describe();
	test_filter_fields();
	test_filter_ike();
	test_filter_kinds();
	test_filter_inner();
	test_filter_describe();
	test_window();
	test_seen();
	test_seen_notify();
	test_never();
	test_count();
	test_transition();
	test_transition_order();
	test_transition_missing();
	test_diag_quoting();
	return unit_done();
}
