/*
** Unit tests for netlink: the loss probability netem wants, the extended-ack
** reader on crafted, truncated and lying messages, and (as root) MTU and
** netem against the running kernel in a scratch namespace. Where the kernel
** has no sch_netem the netem test checks the error instead; on a full
** kernel it reads the qdisc back.
*/
#include "lab/netlink.h"
#include "lab/netns.h"
#include "unit.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/netem.h>

/* ---- loss probability ---- */

static void test_loss_prob(void)
{
	is_int(netlink_loss_prob(0), 0, "loss 0 % -> 0");
	is_int(netlink_loss_prob(100), UINT32_MAX, "loss 100 % -> UINT32_MAX");
	is_int(netlink_loss_prob(50), 2147483648u, "loss 50 % -> 2^31 (rounded)");
	is_int(netlink_loss_prob(1), 42949673u, "loss 1 % -> 42949673");
	is_int(netlink_loss_prob(0.5), 21474836u, "loss 0.5 % -> 21474836");
	is_int(netlink_loss_prob(-3), 0, "a negative loss clamps to 0");
	is_int(netlink_loss_prob(250), UINT32_MAX, "above 100 % clamps to UINT32_MAX");
	is_int(netlink_loss_prob(NAN), 0, "NAN -> 0");
}

/* ---- extended ack reader ---- */

static void put16(unsigned char *p, uint16_t v)
{
	memcpy(p, &v, sizeof v);
}

static void put32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, sizeof v);
}

/*
** An NLMSG_ERROR as the kernel sends it: header, error, the echoed request
** header plus (unless capped) its payload of echo bytes, then TLVs: an
** unrelated attribute (type 4, 4 bytes of u32) and NLMSGERR_ATTR_MSG text
** (with its NUL). Returns the length written into m (at least 256 bytes).
*/
static size_t craft(unsigned char *m, int capped, size_t echo, const char *text)
{
	size_t off = 0, tl = strlen(text) + 1;
	uint16_t flags = NLM_F_ACK_TLVS | (capped ? NLM_F_CAPPED : 0);

	memset(m, 0xee, 256);
	put16(m + 4, NLMSG_ERROR);
	put16(m + 6, flags);
	put32(m + 8, 7);
	put32(m + 12, 1234);
	off = 16;
	put32(m + off, (uint32_t)-2);            /* -ENOENT */
	put32(m + off + 4, (uint32_t)(16 + echo)); /* the echoed request's length */
	off += 20;
	if (!capped)
		off += echo;
	off = (off + 3) & ~(size_t)3;
	put16(m + off, 8);
	put16(m + off + 2, 4);
	off += 8;
	put16(m + off, (uint16_t)(4 + tl));
	put16(m + off + 2, NLMSGERR_ATTR_MSG);
	memcpy(m + off + 4, text, tl);
	off += (4 + tl + 3) & ~(size_t)3;
	put32(m, (uint32_t)off);
	return off;
}

static void test_ack_reader(void)
{
	unsigned char m[256];
	char out[NETLINK_ACK_MAX];
	size_t n, cut;
	int found, bad = 0;

	n = craft(m, 0, 23, "Specified qdisc kind is unknown");
	ok(netlink_ack_message(m, n, out, sizeof out) == 0, "uncapped error with a 23-byte echo: found");
	is_str(out, "Specified qdisc kind is unknown", "  the kernel's text");
	n = craft(m, 1, 23, "mtu greater than device maximum");
	ok(netlink_ack_message(m, n, out, sizeof out) == 0, "capped error (no echoed payload): found");
	is_str(out, "mtu greater than device maximum", "  the kernel's text");

	n = craft(m, 0, 8, "abc");
	for (cut = 0; cut < n; cut++) {   /* every truncation: never found, never read past cut */
		unsigned char *copy = malloc(cut ? cut : 1);

		memcpy(copy, m, cut);
		found = netlink_ack_message(copy, cut, out, sizeof out) == 0;
		bad += found;   /* "abc" fills its attribute exactly: no padding to spare */
		free(copy);
	}
	is_int(bad, 0, "every truncation short of the text: not found (and ASan-clean)");

	n = craft(m, 0, 8, "abc");
	put16(m + 6, 0);
	ok(netlink_ack_message(m, n, out, sizeof out) < 0, "no NLM_F_ACK_TLVS flag: nothing");
	n = craft(m, 0, 8, "abc");
	put16(m + 4, NLMSG_DONE);
	ok(netlink_ack_message(m, n, out, sizeof out) < 0, "not an NLMSG_ERROR: nothing");
	n = craft(m, 0, 8, "abc");
	put32(m + 20, 8);   /* echoed length below a header */
	ok(netlink_ack_message(m, n, out, sizeof out) < 0, "an echoed length under 16: nothing");
	n = craft(m, 0, 8, "abc");
	put32(m + 20, 200);   /* echo claims more than there is */
	ok(netlink_ack_message(m, n, out, sizeof out) < 0, "an echo longer than the message: nothing");
	n = craft(m, 0, 8, "abc");
	put16(m + n - 8, 200);   /* the text attribute claims more than there is */
	ok(netlink_ack_message(m, n, out, sizeof out) < 0, "an attribute longer than the message: nothing");
	n = craft(m, 0, 8, "abc");
	put32(m, (uint32_t)(n - 8));   /* nlmsg_len stops before the text: it bounds the reader */
	ok(netlink_ack_message(m, sizeof m, out, sizeof out) < 0, "nlmsg_len bounds the reader");
	put32(m, 3);
	ok(netlink_ack_message(m, sizeof m, out, sizeof out) < 0, "nlmsg_len under a header: nothing");

	n = craft(m, 1, 0, "x\001y\177z");
	ok(netlink_ack_message(m, n, out, sizeof out) == 0, "control characters in the text: found");
	is_str(out, "x?y?z", "  replaced by '?'");
	n = craft(m, 1, 0, "abcd");
	put16(m + n - 12, 8);   /* exactly "abcd", no NUL inside the attribute */
	ok(netlink_ack_message(m, n, out, sizeof out) == 0, "text without a NUL: found");
	is_str(out, "abcd", "  stops at the attribute's end");
	n = craft(m, 1, 0, "a long message");
	ok(netlink_ack_message(m, n, out, 5) == 0, "a small output buffer");
	is_str(out, "a lo", "  truncates and terminates");
	ok(netlink_ack_message(m, n, out, 0) < 0, "a zero-size output buffer: nothing");
}

/* ---- against the kernel (root) ---- */

static int link_mtu(struct nl_sock *sk, const char *name)
{
	struct rtnl_link *l = NULL;
	int mtu = -1;

	if (rtnl_link_get_kernel(sk, 0, name, &l) == 0)
		mtu = (int)rtnl_link_get_mtu(l);
	rtnl_link_put(l);
	return mtu;
}

/* The root qdisc of ifindex as "kind delay_us jitter_us loss", or "none". */
static const char *root_qdisc(struct nl_sock *sk, int ifindex)
{
	static char b[96];
	struct nl_cache *cache = NULL;
	struct rtnl_qdisc *q;

	snprintf(b, sizeof b, "none");
	if (rtnl_qdisc_alloc_cache(sk, &cache) < 0)
		return b;
	q = rtnl_qdisc_get_by_parent(cache, ifindex, TC_H_ROOT);
	if (q != NULL && strcmp(rtnl_tc_get_kind(TC_CAST(q)), "netem") == 0)
		snprintf(b, sizeof b, "netem %d %d %u", rtnl_netem_get_delay(q), rtnl_netem_get_jitter(q),
			 (unsigned)rtnl_netem_get_loss(q));
	else if (q != NULL)
		snprintf(b, sizeof b, "%s", rtnl_tc_get_kind(TC_CAST(q)));
	rtnl_qdisc_put(q);
	nl_cache_free(cache);
	return b;
}

static void skip(const char *what, const char *why)
{
	unit_count++;
	printf("ok %d - %s # SKIP %s\n", unit_count, what, why);
}

static void test_netem_kernel(struct nl_sock *sk, int idx)
{
	struct netlink_netem_opts ne = { 50000, -1, 0 }, lossy = { -1, -1, 100 };
	char err[512] = "";
	int rc = netlink_netem(sk, idx, &ne, err, sizeof err);

	if (rc < 0 && strncmp(err, NETLINK_NO_NETEM, strlen(NETLINK_NO_NETEM)) == 0) {
		ok(1, "netem: this kernel lacks sch_netem and the error says so");
		is_str(err, NETLINK_NO_NETEM ": Specified qdisc kind is unknown",
		       "  ending with the kernel's own message");
		is_str(root_qdisc(sk, idx), "noqueue", "  and the interface's qdisc is untouched");
		skip("netem delay read back", "no sch_netem in this kernel");
		skip("netem loss read back", "no sch_netem in this kernel");
		return;
	}
	ok(rc == 0, "netem: delay 50 ms added");
	if (rc < 0)
		printf("#   %s\n", err);
	/* libnl reads back through psched ticks: 50000 us may come back a tick short. */
	ok(strncmp(root_qdisc(sk, idx), "netem 49", 8) == 0 || strcmp(root_qdisc(sk, idx), "netem 50000 0 0") == 0,
	   "  read back as a 50 ms netem, no jitter, no loss");
	printf("#   root qdisc: %s\n", root_qdisc(sk, idx));
	ok(netlink_netem(sk, idx, &lossy, err, sizeof err) == 0, "netem again (replace): loss 100 %");
	ok(strstr(root_qdisc(sk, idx), " 4294967295") != NULL, "  read back with loss UINT32_MAX");
}

static void test_kernel(void)
{
	struct netlink_end a = { "ta", -1, 0, NULL }, b = { "tb", -1, 0, NULL };
	char err[512] = "";
	struct nl_sock *sk;
	int ns, idx, br;

	if (geteuid() != 0 || netns_init(err, sizeof err) < 0 || (ns = netns_new(err, sizeof err)) < 0) {
		skip("kernel tests", "need root (a scratch network namespace)");
		return;
	}
	sk = netlink_open(ns, err, sizeof err);
	ok(sk != NULL, "a route socket in a scratch namespace");
	if (sk == NULL) {
		close(ns);
		return;
	}
	ok(netlink_veth(sk, &a, &b, 1280, err, sizeof err) == 0, "a veth pair born with mtu 1280");
	is_int(link_mtu(sk, "ta"), 1280, "  one end has 1280");
	is_int(link_mtu(sk, "tb"), 1280, "  the other end too");
	idx = netlink_ifindex(sk, "ta", err, sizeof err);
	ok(idx > 0 && netlink_set_mtu(sk, idx, 9000, err, sizeof err) == 0, "mtu set to 9000");
	is_int(link_mtu(sk, "ta"), 9000, "  read back 9000");
	ok(netlink_set_mtu(sk, idx, 70000, err, sizeof err) < 0, "mtu 70000 is refused by the kernel");
	is_str(err, "setting mtu 70000: mtu greater than device maximum", "  with the kernel's own words");
	is_int(link_mtu(sk, "ta"), 9000, "  and the mtu stays 9000");
	ok(netlink_set_mtu(sk, 999999, 1400, err, sizeof err) < 0, "mtu on a missing interface fails");
	br = netlink_bridge(sk, "tbr", err, sizeof err);
	ok(br > 0 && netlink_set_mtu(sk, br, 4000, err, sizeof err) == 0, "a bridge (no ports) takes mtu 4000");
	is_int(link_mtu(sk, "tbr"), 4000, "  read back 4000");
	ok(netlink_up(sk, idx, err, sizeof err) == 0, "the veth comes up");
	test_netem_kernel(sk, idx);
	netlink_close(sk);
	close(ns);   /* the namespace and its links go with the last fd */
}

int main(void)
{
	test_loss_prob();
	test_ack_reader();
	test_kernel();
	return unit_done();
}
