/*
** netlink.c: see netlink.h. libnl error codes are converted to messages at
** this boundary; callers see 0/-1 and text.
*/
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>

#include "netlink.h"
#include "netns.h"

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
