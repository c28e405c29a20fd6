/*
** test_triage.c: every triage rule over hand-built timelines, each firing
** on its failure's signature and staying quiet on the healthy variant (the
** answer present, one packet short, the capture cut too soon). The NAT
** detection hash is checked against a value computed independently
** (Python's hashlib over the same bytes).
*/
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "wire/triage.h"

#define A_CLIENT 0xc0a80102u   /* 192.168.1.2, behind the NAT */
#define A_NAT    0xcb007101u   /* 203.0.113.1, the NAT's outside */
#define A_GW     0xcb007102u   /* 203.0.113.2 */

static struct timeline tl;
static uint32_t next_frame;

static void reset(void)
{
	timeline_free(&tl);
	timeline_init(&tl);
	next_frame = 0;
}

static struct tl_packet *add(double t, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
                             enum pkt_class cls)
{
	struct tl_packet p;
	memset(&p, 0, sizeof(p));
	p.t = t;
	p.link = 0;
	p.frame = ++next_frame;
	p.f.cls = cls;
	p.f.has_ip = 1;
	p.f.proto = cls == PKT_ESP ? 50 : cls == PKT_ICMP ? 1 : 17;
	p.f.src = src;
	p.f.dst = dst;
	p.f.has_ports = cls != PKT_ESP && cls != PKT_ICMP && cls != PKT_FRAGMENT;
	p.f.sport = sport;
	p.f.dport = dport;
	if (timeline_add(&tl, &p) < 0)
		abort();
	/* timeline_add keeps time order: the tests add in order, so it is the last. */
	return &tl.p[tl.n - 1];
}

static struct tl_packet *ike(double t, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport, int exchange,
                             int response, uint64_t ispi, uint64_t rspi, uint32_t msgid)
{
	struct tl_packet *p = add(t, src, sport, dst, dport, PKT_IKE);
	p->f.ike_version = 2;
	p->f.ike_exchange = exchange;
	p->f.ike_initiator = !response;
	p->f.ike_response = response;
	p->f.ike_ispi = ispi;
	p->f.ike_rspi = rspi;
	p->f.ike_msgid = msgid;
	p->f.ike_nonesp = sport == 4500 || dport == 4500;
	return p;
}

static struct tl_packet *esp(double t, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport, uint32_t spi)
{
	struct tl_packet *p = add(t, src, sport, dst, dport, sport ? PKT_ESP_UDP : PKT_ESP);
	p->f.esp_spi = spi;
	return p;
}

static struct triage_report rep;

static size_t run(void)
{
	triage_report_free(&rep);
	if (triage_run(&tl, 1, &rep) < 0)
		abort();
	return rep.n;
}

/* How many findings of that name. */
static size_t named(const char *name)
{
	size_t n = 0;
	for (size_t i = 0; i < rep.n; i++)
		n += strcmp(rep.f[i].name, name) == 0;
	return n;
}

static const struct triage_finding *first(const char *name)
{
	for (size_t i = 0; i < rep.n; i++)
		if (strcmp(rep.f[i].name, name) == 0)
			return &rep.f[i];
	return NULL;
}

static int cites(const struct triage_finding *f, uint32_t frame)
{
	for (size_t i = 0; f && i < f->nframes; i++)
		if (f->frames[i].frame == frame)
			return 1;
	return 0;
}

static void test_natd_hash(void)
{
	static const uint8_t want[20] = {
		0xac, 0x16, 0x38, 0x58, 0x86, 0xd8, 0xea, 0xb7, 0xef, 0xad,
		0x66, 0x3c, 0x4f, 0x12, 0x57, 0xd7, 0x43, 0xd2, 0xfe, 0x6a,
	};
	uint8_t h[20], h2[20];
	triage_natd_hash(0x0102030405060708ull, 0, A_CLIENT, 500, h);
	ok(memcmp(h, want, 20) == 0, "natd hash: SHA1(SPIi | SPIr=0 | 192.168.1.2 | 500) as hashlib computes it");
	triage_natd_hash(0x0102030405060708ull, 0, A_CLIENT, 501, h2);
	ok(memcmp(h, h2, 20) != 0, "natd hash: another port, another hash");
}

static void test_no_response(void)
{
	reset();
	ike(0.0, A_CLIENT, 500, A_GW, 500, 34, 0, 0x11, 0, 0);
	ike(0.5, A_CLIENT, 500, A_GW, 500, 34, 0, 0x11, 0, 0);
	is_int(run(), 1, "no-response: two IKE_SA_INITs, nothing back: one finding");
	const struct triage_finding *f = first("ike-no-response");
	ok(f && cites(f, 1) && cites(f, 2), "no-response: it cites both sends");
	ok(f && strstr(f->title, "192.168.1.2:500") && strstr(f->title, "2 sent"), "no-response: the title names the sender and the count");

	ike(0.6, A_GW, 500, A_CLIENT, 500, 34, 1, 0x11, 0x22, 0);
	is_int(run(), 0, "no-response: the same with an answer: no finding");

	reset();
	ike(0.0, A_CLIENT, 500, A_GW, 500, 34, 0, 0x11, 0, 0);
	add(1.0, A_CLIENT, 53, A_GW, 53, PKT_UDP);
	run();
	is_int(named("ike-no-response"), 0, "no-response: one send and the capture ends 1 s later: too soon to tell");
	add(2.5, A_CLIENT, 53, A_GW, 53, PKT_UDP);
	run();
	is_int(named("ike-no-response"), 1, "no-response: one send, the capture goes on 2.5 s: a finding");

	reset();
	struct tl_packet *v1 = ike(0.0, A_CLIENT, 500, A_GW, 500, 2, 0, 0x33, 0, 0);
	v1->f.ike_version = 1;
	v1 = ike(1.0, A_CLIENT, 500, A_GW, 500, 2, 0, 0x33, 0, 0);
	v1->f.ike_version = 1;
	run();
	is_int(named("ike-no-response"), 1, "no-response: IKEv1 Main Mode's first message unanswered");
	v1 = ike(1.1, A_GW, 500, A_CLIENT, 500, 2, 0, 0x33, 0x44, 0);
	v1->f.ike_version = 1;
	run();
	is_int(named("ike-no-response"), 0, "no-response: IKEv1 answered (responder SPI set)");
}

/* An IKE_SA_INIT exchange through a NAT: the client hashed its private address. */
static void sa_init_through_nat(int nat)
{
	struct tl_packet *req = ike(0.0, A_NAT, 500, A_GW, 500, 34, 0, 0x55, 0, 0);
	req->f.ike_natd_src_len = req->f.ike_natd_dst_len = 20;
	triage_natd_hash(0x55, 0, nat ? A_CLIENT : A_NAT, 500, req->f.ike_natd_src);
	triage_natd_hash(0x55, 0, A_GW, 500, req->f.ike_natd_dst);
	struct tl_packet *resp = ike(0.1, A_GW, 500, A_NAT, 500, 34, 1, 0x55, 0x66, 0);
	resp->f.ike_natd_src_len = resp->f.ike_natd_dst_len = 20;
	triage_natd_hash(0x55, 0x66, A_GW, 500, resp->f.ike_natd_src);
	triage_natd_hash(0x55, 0x66, A_NAT, 500, resp->f.ike_natd_dst);
}

static void test_nat_t(void)
{
	reset();
	sa_init_through_nat(1);
	ike(0.2, A_NAT, 4500, A_GW, 4500, 35, 0, 0x55, 0x66, 1);
	ike(0.7, A_NAT, 4500, A_GW, 4500, 35, 0, 0x55, 0x66, 1);
	run();
	const struct triage_finding *f = first("nat-t-4500-blocked");
	ok(f != NULL, "nat-t: NAT detected, IKE_AUTH to 4500 twice, nothing back: 4500 blocked");
	ok(f && cites(f, 1) && cites(f, 2) && cites(f, 3) && cites(f, 4), "nat-t: it cites IKE_SA_INIT and the 4500 packets");
	is_int(named("ike-auth-unanswered"), 1, "nat-t: and the IKE_AUTH retransmitted unanswered");

	ike(0.8, A_GW, 4500, A_NAT, 4500, 35, 1, 0x55, 0x66, 1);
	is_int(run(), 0, "nat-t: with an answer on 4500: no finding at all");

	reset();
	sa_init_through_nat(1);
	add(3.0, A_CLIENT, 53, A_GW, 53, PKT_UDP);
	run();
	f = first("nat-t-4500-blocked");
	ok(f && strstr(f->title, "no udp/4500"), "nat-t: NAT detected and no 4500 at all for 3 s: a finding");

	reset();
	sa_init_through_nat(0);
	add(3.0, A_CLIENT, 53, A_GW, 53, PKT_UDP);
	is_int(run(), 0, "nat-t: the hashes match (no NAT) and 500 stays: no finding");
}

static void test_auth(void)
{
	reset();
	ike(0.0, A_CLIENT, 500, A_GW, 500, 35, 0, 0x77, 0x88, 1);
	ike(1.0, A_CLIENT, 500, A_GW, 500, 35, 0, 0x77, 0x88, 1);
	ike(3.0, A_CLIENT, 500, A_GW, 500, 35, 0, 0x77, 0x88, 1);
	is_int(run(), 1, "auth: IKE_AUTH three times, no answer: one finding");
	ok(first("ike-auth-unanswered") && strstr(first("ike-auth-unanswered")->title, "3 times"),
	   "auth: the title counts the sends");

	reset();
	ike(0.0, A_CLIENT, 500, A_GW, 500, 35, 0, 0x77, 0x88, 1);
	add(5.0, A_CLIENT, 53, A_GW, 53, PKT_UDP);
	is_int(run(), 0, "auth: sent once: not a retransmission");

	reset();
	ike(0.0, A_CLIENT, 500, A_GW, 500, 35, 0, 0x77, 0x88, 1);
	ike(1.0, A_CLIENT, 500, A_GW, 500, 35, 0, 0x77, 0x88, 1);
	ike(1.1, A_GW, 500, A_CLIENT, 500, 35, 1, 0x77, 0x88, 1);
	is_int(run(), 0, "auth: retransmitted once, then answered: no finding");

	reset();
	ike(0.0, A_CLIENT, 500, A_GW, 500, 35, 0, 0x77, 0x88, 1);
	ike(1.0, A_CLIENT, 500, A_GW, 500, 35, 0, 0x77, 0x88, 2);
	is_int(run(), 0, "auth: two different message ids are not a retransmission");

	/* IKEv1: the encrypted Main Mode messages (5 and 6) have no response flag. */
	reset();
	for (int i = 0; i < 3; i++) {
		struct tl_packet *p = ike(i * 1.0, A_CLIENT, 500, A_GW, 500, 2, 0, 0x77, 0x88, 0);
		p->f.ike_version = 1;
		p->f.ike_initiator = 0;
		p->f.ike_encrypted = 1;
	}
	run();
	const struct triage_finding *f = first("ike-auth-unanswered");
	ok(f && strstr(f->title, "IKEv1 encrypted Main Mode") && strstr(f->title, "3 times"),
	   "auth: IKEv1 encrypted Main Mode sent three times, unanswered: a finding");
	struct tl_packet *back = ike(2.5, A_GW, 500, A_CLIENT, 500, 2, 0, 0x77, 0x88, 0);
	back->f.ike_version = 1;
	back->f.ike_initiator = 0;
	back->f.ike_encrypted = 1;
	run();
	is_int(named("ike-auth-unanswered"), 0, "auth: IKEv1 answered by the responder's encrypted message: no finding");
}

static void test_esp_one_way(void)
{
	reset();
	esp(0.0, A_CLIENT, 0, A_GW, 0, 0xc1);
	esp(0.2, A_CLIENT, 0, A_GW, 0, 0xc1);
	esp(0.4, A_CLIENT, 0, A_GW, 0, 0xc1);
	is_int(run(), 1, "esp: three raw ESP one way, none back: one finding");
	const struct triage_finding *f = first("esp-one-way");
	ok(f && strstr(f->title, "protocol 50") && cites(f, 3), "esp: raw ESP named, its frames cited");
	esp(0.5, A_GW, 0, A_CLIENT, 0, 0xc2);
	is_int(run(), 0, "esp: one packet back: no finding");

	reset();
	esp(0.0, A_CLIENT, 0, A_GW, 0, 0xc1);
	esp(0.2, A_CLIENT, 0, A_GW, 0, 0xc1);
	is_int(run(), 0, "esp: two packets are below the threshold");
}

static void test_fragments(void)
{
	reset();
	for (int i = 0; i < 2; i++) {
		struct tl_packet *p = ike(i * 0.5, A_CLIENT, 4500, A_GW, 4500, 35, 0, 0x99, 0xaa, 1);
		p->f.fragment = p->f.more_fragments = 1;
		p->f.ip_id = (uint16_t)(100 + i);
		struct tl_packet *rest = add(i * 0.5 + 0.001, A_CLIENT, 0, A_GW, 0, PKT_FRAGMENT);
		rest->f.fragment = 1;
		rest->f.frag_offset = 1480;
		rest->f.ip_id = (uint16_t)(100 + i);
	}
	run();
	const struct triage_finding *f = first("ike-fragments-unanswered");
	ok(f != NULL, "fragments: IKE_AUTH twice as IP fragments, no answer: a finding");
	ok(f && cites(f, 1) && cites(f, 2) && cites(f, 3) && cites(f, 4), "fragments: every piece cited (matched by IP id)");
	is_int(named("ike-auth-unanswered"), 0, "fragments: not also reported as a plain IKE_AUTH loss");
	ike(1.2, A_GW, 4500, A_CLIENT, 4500, 35, 1, 0x99, 0xaa, 1);
	run();
	is_int(named("ike-fragments-unanswered"), 0, "fragments: answered: no finding");

	reset();
	for (int i = 1; i <= 2; i++) {
		struct tl_packet *p = ike(0.01 * i, A_CLIENT, 4500, A_GW, 4500, 35, 0, 0x99, 0xaa, 1);
		p->f.ike_frag = (uint16_t)i;
		p->f.ike_frag_total = 2;
	}
	add(3.0, A_CLIENT, 53, A_GW, 53, PKT_UDP);
	run();
	f = first("ike-fragments-unanswered");
	ok(f && strstr(f->title, "SKF"), "fragments: IKEv2 fragments (SKF) unanswered for 3 s: a finding");
}

static void test_mapping(void)
{
	reset();
	esp(0.0, A_NAT, 40000, A_GW, 4500, 0xd1);
	esp(0.1, A_GW, 4500, A_NAT, 40000, 0xd2);
	esp(1.0, A_NAT, 40000, A_GW, 4500, 0xd1);
	ike(7.0, A_GW, 4500, A_NAT, 40000, 37, 0, 0x1, 0x2, 5);
	add(7.0001, A_NAT, 0, A_GW, 0, PKT_ICMP)->f.icmp_type = 3;
	ike(8.0, A_GW, 4500, A_NAT, 40000, 37, 0, 0x1, 0x2, 5);
	run();
	const struct triage_finding *f = first("nat-mapping-expired");
	ok(f != NULL, "mapping: the NATed side silent 6 s, then two packets to it unanswered: a finding");
	ok(f && cites(f, 3) && cites(f, 4) && cites(f, 6) && cites(f, 5), "mapping: cites its last packet, the unanswered ones and the ICMP");
	ok(f && strstr(f->title, "ICMP"), "mapping: the ICMP unreachable is named");

	reset();
	esp(0.0, A_NAT, 40000, A_GW, 4500, 0xd1);
	esp(1.0, A_NAT, 40000, A_GW, 4500, 0xd1);
	ike(7.0, A_GW, 4500, A_NAT, 40000, 37, 0, 0x1, 0x2, 5);
	run();
	is_int(named("nat-mapping-expired"), 0, "mapping: only one packet after the silence: no finding");
	add(7.5, A_NAT, 40000, A_GW, 4500, PKT_KEEPALIVE);
	ike(8.0, A_GW, 4500, A_NAT, 40000, 37, 0, 0x1, 0x2, 5);
	run();
	is_int(named("nat-mapping-expired"), 0, "mapping: the NATed side speaks again (a keepalive): no finding");
}

static void test_rebinding(void)
{
	reset();
	esp(0.0, A_NAT, 4500, A_GW, 4500, 0xe1);
	esp(0.1, A_GW, 4500, A_NAT, 4500, 0xe2);
	esp(1.0, A_NAT, 40001, A_GW, 4500, 0xe1);
	esp(1.1, A_GW, 4500, A_NAT, 4500, 0xe2);
	run();
	const struct triage_finding *f = first("nat-rebinding");
	ok(f && cites(f, 1) && cites(f, 3), "rebinding: the same SPI from a new port: cites the last old and first new");
	ok(f && strstr(f->title, "ESP kept going to the old one"), "rebinding: the peer's ESP did not follow");

	ike(1.15, A_GW, 4500, A_NAT, 40001, 37, 1, 0x5, 0x6, 7);
	run();
	f = first("nat-rebinding");
	ok(f && strstr(f->title, "ESP kept going to the old one"), "rebinding: an IKE answer to the new port is not the ESP following");
	esp(1.2, A_GW, 4500, A_NAT, 40001, 0xe2);
	run();
	f = first("nat-rebinding");
	ok(f && strstr(f->title, "ESP followed"), "rebinding: the peer's ESP followed");
	ok(f && !strstr(f->title, "silence"), "rebinding: a move 1 s after the last packet is not called a silence");

	reset();
	esp(0.0, A_NAT, 4500, A_GW, 4500, 0xe1);
	esp(5.0, A_NAT, 40001, A_GW, 4500, 0xe1);
	run();
	f = first("nat-rebinding");
	ok(f && strstr(f->title, "after 5.0 s of silence") && strstr(f->title, "no ESP came back"),
	   "rebinding: after 5 s of silence (an expired mapping), nothing back");

	reset();
	esp(0.0, A_NAT, 4500, A_GW, 4500, 0xe1);
	esp(1.0, A_NAT, 4500, A_GW, 4500, 0xe1);
	ike(1.1, A_NAT, 500, A_GW, 500, 37, 0, 0x5, 0x6, 2);
	ike(1.2, A_NAT, 4500, A_GW, 4500, 37, 0, 0x5, 0x6, 3);
	is_int(run(), 0, "rebinding: the same port all along, and IKE's move from 500 to 4500: no finding");
}

static void test_notify(void)
{
	reset();
	ike(0.0, A_CLIENT, 500, A_GW, 500, 34, 0, 0xf1, 0, 0);
	struct tl_packet *r = ike(0.1, A_GW, 500, A_CLIENT, 500, 34, 1, 0xf1, 0, 0);
	r->f.ike_nnotify = 1;
	r->f.ike_notify[0] = 14;
	run();
	ok(first("ike-no-proposal-chosen") && cites(first("ike-no-proposal-chosen"), 2),
	   "notify: NO_PROPOSAL_CHOSEN in the response: a finding citing it");
	is_int(named("ike-no-response"), 0, "notify: an error is an answer: not no-response");

	reset();
	ike(0.0, A_CLIENT, 500, A_GW, 500, 34, 0, 0xf1, 0, 0);
	r = ike(0.1, A_GW, 500, A_CLIENT, 500, 34, 1, 0xf1, 0, 0);
	r->f.ike_nnotify = 1;
	r->f.ike_notify[0] = 17;
	run();
	is_int(named("ike-invalid-ke-payload"), 1, "notify: INVALID_KE_PAYLOAD and no retry that works: a finding");
	ike(0.2, A_CLIENT, 500, A_GW, 500, 34, 0, 0xf2, 0, 0);
	ike(0.3, A_GW, 500, A_CLIENT, 500, 34, 1, 0xf2, 0xf3, 0);
	run();
	is_int(named("ike-invalid-ke-payload"), 0, "notify: INVALID_KE_PAYLOAD then a good IKE_SA_INIT: harmless");

	reset();
	ike(0.0, A_CLIENT, 500, A_GW, 500, 34, 0, 0xf1, 0, 0);
	r = ike(0.1, A_GW, 500, A_CLIENT, 500, 34, 1, 0xf1, 0xf4, 0);
	r->f.ike_nnotify = 2;
	r->f.ike_notify[0] = 16388;   /* NAT_DETECTION_SOURCE_IP: a status, not an error */
	r->f.ike_notify[1] = 16390;
	is_int(run(), 0, "notify: status notifies only: no finding");
}

static void test_order_and_names(void)
{
	reset();
	esp(0.0, A_CLIENT, 0, A_GW, 0, 0xc1);
	esp(0.1, A_CLIENT, 0, A_GW, 0, 0xc1);
	esp(0.2, A_CLIENT, 0, A_GW, 0, 0xc1);
	ike(0.3, 0x0a000001, 500, A_GW, 500, 34, 0, 0x11, 0, 0);
	ike(0.8, 0x0a000001, 500, A_GW, 500, 34, 0, 0x11, 0, 0);
	is_int(run(), 2, "order: two findings of two rules");
	ok(rep.n == 2 && rep.f[0].t <= rep.f[1].t, "order: by the time they start");
	size_t known = 0;
	for (size_t i = 0; i < rep.n; i++)
		for (size_t j = 0; triage_rule_names[j]; j++)
			known += strcmp(rep.f[i].name, triage_rule_names[j]) == 0;
	is_int(known, rep.n, "order: every finding's name is in triage_rule_names");

	reset();
	is_int(run(), 0, "an empty capture: no finding");
}

int main(void)
{
	timeline_init(&tl);
	test_natd_hash();
	test_no_response();
	test_nat_t();
	test_auth();
	test_esp_one_way();
	test_fragments();
	test_mapping();
	test_rebinding();
	test_notify();
	test_order_and_names();
	triage_report_free(&rep);
	timeline_free(&tl);
	return unit_done();
}
