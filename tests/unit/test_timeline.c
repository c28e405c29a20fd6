/*
** test_timeline: the JSON line and the human line of a packet. The JSON is
** built by hand for speed (wire/timeline.c), so it is held here to the
** bytes the printf version wrote (lines copied from a timeline.jsonl that
** version wrote) and its time to printf's own "%.6f" over ties, near-ties
** and random values; then the facts added for issue 11, and the stable
** sort a capture file's packets get.
*/
#include <math.h>               /* NAN */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire/timeline.h"
#include "unit.h"

/* The JSON line of pkt as a string (static buffer). */
static const char *json_of(const struct tl_packet *pkt, const char *link)
{
	static char buf[8192];
	FILE *f = fmemopen(buf, sizeof buf, "w");

	timeline_write_json(f, pkt, link);
	fclose(f);
	return buf;
}

static struct tl_packet packet(double t, uint32_t frame, uint32_t len)
{
	struct tl_packet p;

	memset(&p, 0, sizeof p);
	p.t = t;
	p.frame = frame;
	p.wirelen = len;
	return p;
}

/* Lines the printf version wrote (results of scenarios/ports/01 and filters/fragments-ike-fragmentation). */
static void test_old_bytes(void)
{
	struct tl_packet p = packet(0.101453, 3, 934);

	p.f.cls = PKT_IKE;
	p.f.has_ip = 1, p.f.src = 0xc0a80102u, p.f.dst = 0xcb007102u, p.f.proto = 17;
	p.f.has_ports = 1, p.f.sport = 500, p.f.dport = 500;
	p.f.ike_version = 2, p.f.ike_exchange = 34, p.f.ike_initiator = 1, p.f.ike_ispi = 0xc5f4e3b349e3e446ULL;
	is_str(json_of(&p, "lan"),
	       "{\"t\":0.101453,\"link\":\"lan\",\"frame\":3,\"len\":934,\"class\":\"ike\",\"src\":\"192.168.1.2\","
	       "\"dst\":\"203.0.113.2\",\"proto\":17,\"sport\":500,\"dport\":500,\"ike\":{\"version\":2,"
	       "\"exchange\":\"IKE_SA_INIT\",\"initiator\":true,\"response\":false,\"nonesp\":false,\"msgid\":0,"
	       "\"ispi\":\"c5f4e3b349e3e446\",\"rspi\":\"0000000000000000\"}}\n", "old bytes: an IKE_SA_INIT");

	p = packet(0.137193, 8, 178);
	p.f.cls = PKT_ESP_UDP;
	p.f.has_ip = 1, p.f.src = 0xcb007102u, p.f.dst = 0xcb007101u, p.f.proto = 17;
	p.f.has_ports = 1, p.f.sport = 4500, p.f.dport = 4500;
	p.f.esp_spi = 0x34223d2c, p.f.esp_seq = 1;
	p.inner.state = INNER_NO_KEY;
	is_str(json_of(&p, "wan"),
	       "{\"t\":0.137193,\"link\":\"wan\",\"frame\":8,\"len\":178,\"class\":\"esp-udp\",\"src\":\"203.0.113.2\","
	       "\"dst\":\"203.0.113.1\",\"proto\":17,\"sport\":4500,\"dport\":4500,\"esp\":{\"spi\":\"0x34223d2c\","
	       "\"seq\":1},\"inner\":{\"state\":\"no key\"}}\n", "old bytes: ESP-in-UDP without a key");

	p = packet(12.5, 4294967295u, 60);
	p.link = 7;
	p.f.cls = PKT_INVALID;
	p.f.problem = "IPv4 \"total\"\tlength\x01 \xff";
	p.f.has_ip = 1, p.f.fragment = 1, p.f.more_fragments = 1, p.f.frag_offset = 1480;
	is_str(json_of(&p, NULL),
	       "{\"t\":12.500000,\"link\":7,\"frame\":4294967295,\"len\":60,\"class\":\"invalid\",\"src\":\"0.0.0.0\","
	       "\"dst\":\"0.0.0.0\",\"proto\":0,\"fragment\":true,\"mf\":true,\"offset\":1480,"
	       "\"problem\":\"IPv4 \\\"total\\\"\\tlength\\u0001 \\ufffd\"}\n",
	       "old bytes: a link by index, escapes, invalid UTF-8, a fragment");

	p = packet(NAN, 1, 70);
	p.f.cls = PKT_L2TP;
	p.f.l2tp_control = 0, p.f.l2tp_tunnel = 3, p.f.l2tp_session = 65535;
	p.f.has_ppp = 1, p.f.ppp_proto = 0x1234, p.f.ppp_code = -1;
	is_str(json_of(&p, "l\xc3\xa9n"),
	       "{\"t\":null,\"link\":\"l\xc3\xa9n\",\"frame\":1,\"len\":70,\"class\":\"l2tp\",\"l2tp\":{\"control\":false,"
	       "\"tunnel\":3,\"session\":65535},\"ppp\":{\"protocol\":\"0x1234\"}}\n",
	       "old bytes: no time, UTF-8 link name, L2TP data, unknown PPP protocol");

	p = packet(-0.0, 2, 98);
	p.f.cls = PKT_ICMP;
	p.f.icmp_type = 3, p.f.icmp_code = 13;
	p.f.cls = PKT_AH;
	p.f.ah_spi = 0xffffffffu, p.f.ah_seq = 4294967295u;
	is_str(json_of(&p, ""), "{\"t\":-0.000000,\"link\":\"\",\"frame\":2,\"len\":98,\"class\":\"ah\",\"ah\":{\"spi\":"
	       "\"0xffffffff\",\"seq\":4294967295}}\n", "old bytes: -0, an empty link name, AH");
}

/* The double next to t (t > 0) towards zero (dir -1) or away (dir 1); no libm. */
static double beside(double t, int dir)
{
	uint64_t u;

	memcpy(&u, &t, sizeof u);
	u = dir < 0 ? u - 1 : u + 1;
	memcpy(&t, &u, sizeof t);
	return t;
}

/* The time as the JSON has it, against printf. */
static int time_differs(double t)
{
	struct tl_packet p = packet(t, 1, 1);
	char want[64], got[64];
	const char *j = json_of(&p, "x"), *comma = strchr(j, ',');

	snprintf(want, sizeof want, "%.6f", t);
	snprintf(got, sizeof got, "%.*s", (int)(comma - j - 5), j + 5);
	if (strcmp(got, want) != 0) {
		printf("#   t %.17g: got %s, printf %s\n", t, got, want);
		return 1;
	}
	return 0;
}

static void test_time(void)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	int bad = 0;

	for (int k = 0; k < 200000; k++)                 /* exact ties: odd multiples of 1/128 */
		bad += time_differs((2.0 * k + 1) / 128.0);
	is_int(bad, 0, "t: 200000 exact decimal ties (odd/128) as printf rounds them (to even)");
	bad = 0;
	for (int k = 0; k < 100000; k++) {
		double t = (2.0 * k + 1) / 128.0;

		bad += time_differs(beside(t, -1)) + time_differs(beside(t, 1));
	}
	is_int(bad, 0, "t: 200000 values one ulp beside a tie");
	bad = 0;
	for (int k = 0; k < 300000; k++) {
		double t;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		t = (double)(x >> 11) / 9007199254740992.0 * (k % 3 == 0 ? 1e9 : k % 3 == 1 ? 100 : 1e-3);
		bad += time_differs(t);
	}
	is_int(bad, 0, "t: 300000 random values in [0, 1e-3), [0, 100), [0, 1e9)");
	bad = time_differs(0) + time_differs(999999999.9999995) + time_differs(1e9) + time_differs(2e15) +
	      time_differs(-1.5) + time_differs(1e-7) + time_differs(0.0000005) + time_differs(1700000000.123456);
	is_int(bad, 0, "t: 0, the edges of the fast path, negatives, beyond 1e9");
}

/* The facts of issue 11 in both lines. */
static void test_new_facts(void)
{
	static const uint8_t a[6] = { 0x02, 0, 0, 0, 0, 0x0a }, b[6] = { 0xee, 0x0c, 0xeb, 0xf8, 0x9b, 0x43 };
	struct tl_packet p = packet(1.5, 5, 1282);
	char line[512];

	p.f.cls = PKT_IKE;
	p.f.has_ip = 1, p.f.src = 0xcb007102u, p.f.dst = 0xcb007101u, p.f.proto = 17;
	p.f.has_ports = 1, p.f.sport = 4500, p.f.dport = 4500;
	p.f.ike_version = 2, p.f.ike_exchange = 35, p.f.ike_initiator = 1, p.f.ike_nonesp = 1, p.f.ike_msgid = 1;
	p.f.has_eth = 1;
	memcpy(p.f.eth_src, b, 6);
	memcpy(p.f.eth_dst, a, 6);
	p.f.ike_frag = 1, p.f.ike_frag_total = 2, p.f.ike_encrypted = 1;
	ok(strstr(json_of(&p, "wan"), "\"rspi\":\"0000000000000000\"},\"eth_src\":\"ee:0c:eb:f8:9b:43\","
	          "\"eth_dst\":\"02:00:00:00:00:0a\",\"ike_frag\":[1,2],\"ike_encrypted\":true}\n") != NULL,
	   "JSON: MACs, fragment 1 of 2, encrypted, after the IKE object");
	timeline_describe(line, sizeof line, &p, "wan");
	is_str(line, "1.500 wan 203.0.113.2:4500 > 203.0.113.1:4500 ike IKE_AUTH v2 I frag 1/2",
	       "human: frag 1/2");

	p.f.ike_exchange = 34, p.f.ike_response = 1, p.f.ike_initiator = 0, p.f.ike_nonesp = 0;
	p.f.ike_frag = p.f.ike_frag_total = 0, p.f.ike_encrypted = 0;
	p.f.has_eth = 2;
	p.f.ike_nnotify = 6;
	p.f.ike_notify[0] = 14, p.f.ike_notify[1] = 16388, p.f.ike_notify[2] = 50000, p.f.ike_notify[3] = 16430;
	ok(strstr(json_of(&p, "wan"), "},\"eth_src\":\"ee:0c:eb:f8:9b:43\",\"ike_notify\":[\"NO_PROPOSAL_CHOSEN\","
	          "\"NAT_DETECTION_SOURCE_IP\",50000,\"IKEV2_FRAGMENTATION_SUPPORTED\"]}\n") != NULL,
	   "JSON: cooked (source MAC only), notifies by name, an unknown one by number, 4 of 6 kept");
	timeline_describe(line, sizeof line, &p, "wan");
	is_str(line, "1.500 wan 203.0.113.2:4500 > 203.0.113.1:4500 ike IKE_SA_INIT v2 R N(NO_PROPOSAL_CHOSEN) "
	       "N(NAT_DETECTION_SOURCE_IP) N(50000) N(IKEV2_FRAGMENTATION_SUPPORTED)", "human: N(NAME), N(number)");

	p.f.cls = PKT_UDP;
	p.f.has_eth = 0;
	ok(strstr(json_of(&p, "wan"), "ike_notify") == NULL && strstr(json_of(&p, "wan"), "eth_") == NULL,
	   "JSON: IKE facts only with the ike class, MACs only when there are some");
}

/* timeline_sort: time order, equal times in the order appended, against timeline_add's insertion. */
static void test_sort(void)
{
	struct timeline a, b;
	uint64_t x = 42;
	int bad = 0;

	timeline_init(&a);
	timeline_init(&b);
	for (uint32_t i = 0; i < 20000; i++) {
		struct tl_packet p;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		p = packet((double)(x % 500) / 8, i, 60);    /* many equal times */
		p.link = i < 10000 ? 0 : 1;                  /* two links concatenated, as mergecap -a does */
		timeline_append(&a, &p);
		timeline_add(&b, &p);
	}
	is_int(timeline_sort(&a), 0, "sort: 0");
	for (size_t i = 1; i < a.n; i++)
		bad += a.p[i].t < a.p[i - 1].t || (a.p[i].t == a.p[i - 1].t && a.p[i].frame < a.p[i - 1].frame);
	is_int(bad, 0, "sort: 20000 packets in time order, equal times in the order appended");
	bad = a.n != b.n;
	for (size_t i = 0; i < a.n && i < b.n; i++)
		bad += a.p[i].frame != b.p[i].frame;
	is_int(bad, 0, "sort: the same order timeline_add's insertion gives");
	timeline_free(&a);
	timeline_free(&b);
	timeline_init(&a);
	is_int(timeline_sort(&a), 0, "sort: an empty timeline");
	timeline_free(&a);
}

int main(void)
{
	test_old_bytes();
	test_time();
	test_new_facts();
	test_sort();
	return unit_done();
}
