/*
** netlink.c: see netlink.h. libnl error codes are converted to messages at
** this boundary; callers see 0/-1 and text.
*/
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/netem.h>
#include <netlink/route/route.h>

#include "lab/netlink.h"
#include "lab/netns.h"

static int fail(char *err, size_t errlen, const char *what, const char *name, int nlerr)
{
	snprintf(err, errlen, "%s %s: %s", what, name ? name : "", nl_geterror(nlerr));
	return -1;
}

struct nl_sock *netlink_open(int nsfd, char *err, size_t errlen)
{
	struct nl_sock *sk = nl_socket_alloc();
	int r;

	if (sk == NULL) {
		snprintf(err, errlen, "netlink socket: out of memory");
		return NULL;
	}
	if (nsfd >= 0 && netns_enter(nsfd) < 0) {
		snprintf(err, errlen, "setns: %s", strerror(errno));
		nl_socket_free(sk);
		return NULL;
	}
	r = nl_connect(sk, NETLINK_ROUTE);
	if (nsfd >= 0)
		netns_leave();
	if (r < 0) {
		fail(err, errlen, "netlink connect", NULL, r);
		nl_socket_free(sk);
		return NULL;
	}
	return sk;
}

void netlink_close(struct nl_sock *sk)
{
	if (sk != NULL)
		nl_socket_free(sk);
}

static void describe_end(struct rtnl_link *l, const struct netlink_end *e, int mtu)
{
	rtnl_link_set_name(l, e->name);
	if (e->nsfd >= 0)
		rtnl_link_set_ns_fd(l, e->nsfd);
	if (e->master > 0)
		rtnl_link_set_master(l, e->master);
	if (mtu > 0)
		rtnl_link_set_mtu(l, (unsigned)mtu);
	if (e->mac != NULL) {   /* one IFLA_ADDRESS in the same request */
		struct nl_addr *mac = nl_addr_build(AF_LLC, e->mac, 6);
		if (mac != NULL) {
			rtnl_link_set_addr(l, mac);
			nl_addr_put(mac);
		}
	}
	/* Not IFF_UP here: veth refuses to open before its peer exists (ENOTCONN). */
}

int netlink_veth(struct nl_sock *sk, const struct netlink_end *a, const struct netlink_end *b,
                 int mtu, char *err, size_t errlen)
{
	struct rtnl_link *link = rtnl_link_veth_alloc(), *peer;
	int r;

	if (link == NULL) {
		snprintf(err, errlen, "veth: out of memory");
		return -1;
	}
	peer = rtnl_link_veth_get_peer(link);
	describe_end(link, a, mtu);
	describe_end(peer, b, mtu);
	r = rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(peer);
	rtnl_link_put(link);
	if (r < 0)
		return fail(err, errlen, "creating veth", a->name, r);
	return 0;
}

int netlink_bridge(struct nl_sock *sk, const char *name, char *err, size_t errlen)
{
	struct rtnl_link *link = rtnl_link_bridge_alloc();
	int r;

	if (link == NULL) {
		snprintf(err, errlen, "bridge: out of memory");
		return -1;
	}
	rtnl_link_set_name(link, name);
	rtnl_link_set_flags(link, IFF_UP);
	r = rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(link);
	if (r < 0)
		return fail(err, errlen, "creating bridge", name, r);
	return netlink_ifindex(sk, name, err, errlen);
}

int netlink_ifindex(struct nl_sock *sk, const char *name, char *err, size_t errlen)
{
	struct rtnl_link *link = NULL;
	int r = rtnl_link_get_kernel(sk, 0, name, &link), idx;

	if (r < 0)
		return fail(err, errlen, "looking up interface", name, r);
	idx = rtnl_link_get_ifindex(link);
	rtnl_link_put(link);
	return idx;
}

int netlink_up(struct nl_sock *sk, int ifindex, char *err, size_t errlen)
{
	struct rtnl_link *orig = rtnl_link_alloc(), *change = rtnl_link_alloc();
	int r = -NLE_NOMEM;

	if (orig != NULL && change != NULL) {
		rtnl_link_set_ifindex(orig, ifindex);
		rtnl_link_set_flags(change, IFF_UP);
		r = rtnl_link_change(sk, orig, change, 0);
	}
	rtnl_link_put(orig);
	rtnl_link_put(change);
	if (r < 0)
		return fail(err, errlen, "setting link up", NULL, r);
	return 0;
}

static struct nl_addr *inet_nladdr(uint32_t host_order, int plen)
{
	uint32_t be = htonl(host_order);
	struct nl_addr *a = nl_addr_build(AF_INET, &be, sizeof(be));
	if (a != NULL)
		nl_addr_set_prefixlen(a, plen);
	return a;
}

int netlink_addr(struct nl_sock *sk, int ifindex, uint32_t addr, int plen, char *err, size_t errlen)
{
	struct rtnl_addr *ra = rtnl_addr_alloc();
	struct nl_addr *local = inet_nladdr(addr, plen);
	int r = -NLE_NOMEM;

	if (ra != NULL && local != NULL) {
		rtnl_addr_set_ifindex(ra, ifindex);
		rtnl_addr_set_local(ra, local);
		rtnl_addr_set_prefixlen(ra, plen);   /* set_local overwrote it */
		r = rtnl_addr_add(sk, ra, 0);
	}
	nl_addr_put(local);
	rtnl_addr_put(ra);
	if (r < 0)
		return fail(err, errlen, "adding address", NULL, r);
	return 0;
}

int netlink_route(struct nl_sock *sk, uint32_t dst, int plen, uint32_t via, int ifindex,
                  char *err, size_t errlen)
{
	struct rtnl_route *route = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct nl_addr *d = inet_nladdr(dst, plen), *gw = inet_nladdr(via, 32);
	int r = -NLE_NOMEM;

	if (route != NULL && nh != NULL && d != NULL && gw != NULL) {
		rtnl_route_set_family(route, AF_INET);
		rtnl_route_set_dst(route, d);
		rtnl_route_set_scope(route, RT_SCOPE_UNIVERSE);
		rtnl_route_set_protocol(route, RTPROT_STATIC);
		rtnl_route_nh_set_gateway(nh, gw);
		rtnl_route_nh_set_ifindex(nh, ifindex);
		rtnl_route_add_nexthop(route, nh);   /* the route owns nh from here */
		nh = NULL;
		r = rtnl_route_add(sk, route, NLM_F_CREATE | NLM_F_EXCL);
	}
	if (nh != NULL)
		rtnl_route_nh_free(nh);
	nl_addr_put(d);
	nl_addr_put(gw);
	rtnl_route_put(route);
	if (r < 0)
		return fail(err, errlen, "adding route", NULL, r);
	return 0;
}

/* ---- the kernel's own error text (extended ack) ---- */

/* A bounds-checked reader over one netlink message; values are host order. */
struct cursor {
	const unsigned char *p;
	size_t len, off;
};

static int cur_skip(struct cursor *c, size_t n)
{
	if (c->len - c->off < n)
		return -1;
	c->off += n;
	return 0;
}

static int cur_u16(struct cursor *c, uint16_t *v)
{
	if (c->len - c->off < sizeof(*v))
		return -1;
	memcpy(v, c->p + c->off, sizeof(*v));
	c->off += sizeof(*v);
	return 0;
}

static int cur_u32(struct cursor *c, uint32_t *v)
{
	if (c->len - c->off < sizeof(*v))
		return -1;
	memcpy(v, c->p + c->off, sizeof(*v));
	c->off += sizeof(*v);
	return 0;
}

static size_t align4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/* Copies an NLMSGERR_ATTR_MSG payload of n bytes (NUL-terminated or not) into out. */
static void copy_text(const unsigned char *p, size_t n, char *out, size_t outlen)
{
	size_t i;

	for (i = 0; i < n && i + 1 < outlen && p[i] != '\0'; i++)
		out[i] = (p[i] >= 0x20 && p[i] < 0x7f) ? (char)p[i] : '?';
	out[i] = '\0';
}

/*
** Skips an NLMSG_ERROR message's fixed part: the error code and the echoed
** request header, plus the echoed request's payload unless the kernel capped
** it (NLM_F_CAPPED). The TLVs start at the next 4-byte boundary.
*/
static int skip_error_body(struct cursor *c, uint16_t flags)
{
	uint32_t code, olen;

	if (cur_u32(c, &code) < 0 || cur_u32(c, &olen) < 0 || cur_skip(c, 12) < 0)
		return -1;
	if (!(flags & NLM_F_CAPPED) && (olen < 16 || cur_skip(c, olen - 16) < 0))
		return -1;
	return cur_skip(c, align4(c->off) - c->off);
}

int netlink_ack_message(const void *msg, size_t len, char *out, size_t outlen)
{
	struct cursor c = { msg, len, 0 };
	uint32_t mlen;
	uint16_t type, flags, alen, atype;

	if (outlen == 0 || cur_u32(&c, &mlen) < 0 || cur_u16(&c, &type) < 0 ||
	    cur_u16(&c, &flags) < 0 || cur_skip(&c, 8) < 0)
		return -1;
	if (mlen < c.off || type != NLMSG_ERROR || !(flags & NLM_F_ACK_TLVS))
		return -1;
	if (mlen < c.len)
		c.len = mlen;   /* the message's own length bounds it too */
	if (skip_error_body(&c, flags) < 0)
		return -1;
	while (cur_u16(&c, &alen) == 0 && cur_u16(&c, &atype) == 0 && alen >= 4 &&
	       (size_t)alen - 4 <= c.len - c.off) {
		if ((atype & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG) {
			copy_text(c.p + c.off, (size_t)alen - 4, out, outlen);
			return 0;
		}
		if (cur_skip(&c, (size_t)alen - 4) < 0 || cur_skip(&c, align4(alen) - alen) < 0)
			break;
	}
	return -1;
}

/* NL_CB_MSG_IN: sees every reply before libnl turns an error into a code. */
static int keep_ack_message(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *h = nlmsg_hdr(msg);   /* libnl checked nlmsg_len against what it read */

	netlink_ack_message(h, h->nlmsg_len, arg, NETLINK_ACK_MAX);
	return NL_OK;
}

/*
** Run one request with the kernel's extended ack on, keeping its message
** text in ack (empty when it gave none). The socket keeps NETLINK_EXT_ACK
** (harmless; a kernel without it just ignores the option), the callback is
** removed again.
*/
static int with_ack(struct nl_sock *sk, char ack[NETLINK_ACK_MAX],
                    int (*request)(struct nl_sock *, void *), void *obj)
{
	int one = 1, r;

	ack[0] = '\0';
	(void)setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	r = nl_socket_modify_cb(sk, NL_CB_MSG_IN, NL_CB_CUSTOM, keep_ack_message, ack);
	if (r < 0)
		return r;
	r = request(sk, obj);
	nl_socket_modify_cb(sk, NL_CB_MSG_IN, NL_CB_DEFAULT, NULL, NULL);
	return r;
}

/* The kernel's words if it gave any, else libnl's reading of the error code. */
static const char *kernel_says(const char *ack, int nlerr)
{
	return ack[0] != '\0' ? ack : nl_geterror(nlerr);
}

/* ---- MTU ---- */

struct link_change {
	struct rtnl_link *orig, *change;
};

static int request_link_change(struct nl_sock *sk, void *obj)
{
	struct link_change *lc = obj;

	return rtnl_link_change(sk, lc->orig, lc->change, 0);
}

int netlink_set_mtu(struct nl_sock *sk, int ifindex, int mtu, char *err, size_t errlen)
{
	struct link_change lc = { rtnl_link_alloc(), rtnl_link_alloc() };
	char ack[NETLINK_ACK_MAX] = "";
	int r = -NLE_NOMEM;

	if (mtu <= 0)
		r = -NLE_INVAL;
	else if (lc.orig != NULL && lc.change != NULL) {
		rtnl_link_set_ifindex(lc.orig, ifindex);
		rtnl_link_set_mtu(lc.change, (unsigned)mtu);
		r = with_ack(sk, ack, request_link_change, &lc);
	}
	rtnl_link_put(lc.orig);
	rtnl_link_put(lc.change);
	if (r < 0) {
		snprintf(err, errlen, "setting mtu %d: %s", mtu, kernel_says(ack, r));
		return -1;
	}
	return 0;
}

/* ---- netem ---- */

uint32_t netlink_loss_prob(double pct)
{
	if (!(pct > 0))
		return 0;   /* also NAN */
	if (pct >= 100)
		return UINT32_MAX;
	return (uint32_t)(pct / 100.0 * (double)UINT32_MAX + 0.5);
}

/*
** libnl's rtnl_netem_set_loss takes an int but stores it in the u32 the
** kernel reads as the probability (UINT32_MAX = 100 %). Probabilities above
** 50 % do not fit an int: hand over the same 32 bits, computed without an
** implementation-defined conversion.
*/
static int u32_bits_as_int(uint32_t v)
{
	if (v <= (uint32_t)INT_MAX)
		return (int)v;
	return (int)(v - 0x80000000u) + INT_MIN;
}

static int request_qdisc_add(struct nl_sock *sk, void *obj)
{
	return rtnl_qdisc_add(sk, obj, NLM_F_CREATE | NLM_F_REPLACE);
}

/*
** The qdisc as libnl wants it: delay and jitter in microseconds (libnl turns
** them into psched ticks), loss as the kernel's 32-bit probability.
*/
static int describe_netem(struct rtnl_qdisc *q, int ifindex, const struct netlink_netem_opts *ne)
{
	int r;

	rtnl_tc_set_ifindex(TC_CAST(q), ifindex);
	rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
	r = rtnl_tc_set_kind(TC_CAST(q), "netem");   /* before the netem setters: they need the ops */
	if (r < 0)
		return r;
	if (ne->delay_us >= 0)
		rtnl_netem_set_delay(q, ne->delay_us);
	if (ne->jitter_us >= 0)
		rtnl_netem_set_jitter(q, ne->jitter_us);
	if (ne->loss_pct >= 0)
		rtnl_netem_set_loss(q, u32_bits_as_int(netlink_loss_prob(ne->loss_pct)));
	return 0;
}

int netlink_netem(struct nl_sock *sk, int ifindex, const struct netlink_netem_opts *ne,
                  char *err, size_t errlen)
{
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();
	char ack[NETLINK_ACK_MAX] = "";
	int r = -NLE_NOMEM;

	if (q != NULL) {
		r = describe_netem(q, ifindex, ne);
		if (r == 0)
			r = with_ack(sk, ack, request_qdisc_add, q);
	}
	rtnl_qdisc_put(q);
	if (r == -NLE_OBJ_NOTFOUND) {
		/* ENOENT from RTM_NEWQDISC on an existing device: the kind is unknown. */
		snprintf(err, errlen, NETLINK_NO_NETEM ": %s", kernel_says(ack, r));
		return -1;
	}
	if (r < 0) {
		snprintf(err, errlen, "adding netem qdisc: %s", kernel_says(ack, r));
		return -1;
	}
	return 0;
}
