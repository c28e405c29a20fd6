/*
** Unit tests for conntrack (as root, against the running kernel): in a
** scratch namespace the table starts empty and a flush of it reports 0; a
** UDP flow over loopback (conntrack runs there once a rule uses it) makes an
** entry, a flush reports it and leaves the table empty, and a flush of a
** namespace that is not one fails with a message. conntrack_mappings lists
** only what a NAT rewrote: a source-NATed flow as inside -> outside towards
** its remote, a destination-NATed one as inbound, each with its lifetime.
*/
#include "lab/conntrack.h"
#include "lab/netfilter.h"
#include "lab/netlink.h"
#include "lab/netns.h"
#include "unit.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

static void skip(const char *what, const char *why)
{
	unit_count++;
	printf("ok %d - %s # SKIP %s\n", unit_count, what, why);
}

/* Loopback up inside ns, and a rule that makes conntrack track this namespace. */
static int prepare(int ns, char *err, size_t errlen)
{
	struct nl_sock *sk = netlink_open(ns, err, errlen);
	int idx, rc = -1;

	if (sk == NULL)
		return -1;
	idx = netlink_ifindex(sk, "lo", err, errlen);
	if (idx > 0 && netlink_up(sk, idx, err, errlen) == 0)
		rc = netfilter_apply(ns, "table ip t {\n chain o {\n  type filter hook output priority 0;\n"
		                         "  ct state new counter\n }\n}\n", err, errlen);
	netlink_close(sk);
	return rc;
}

/* One UDP datagram 127.0.0.1[:sport] -> 127.0.0.1:port, sent from inside ns; 0 or -1. */
static int send_udp_from(int ns, int sport, int port)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct sockaddr_in from = { .sin_family = AF_INET, .sin_port = htons((uint16_t)sport) };
	int s, rc;

	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	from.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (netns_enter(ns) < 0)
		return -1;
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);   /* the socket stays in ns */
	netns_leave();
	if (s < 0)
		return -1;
	rc = (sport == 0 || bind(s, (struct sockaddr *)&from, sizeof from) == 0) &&
	     sendto(s, "x", 1, 0, (struct sockaddr *)&to, sizeof to) == 1 ? 0 : -1;
	close(s);
	return rc;
}

static int send_udp(int ns, int port)
{
	return send_udp_from(ns, 0, port);
}

/* A SNAT of udp to port 7 (source port 40000) and a DNAT of udp to port 9 (to 19). */
static const char NAT_RULES[] =
	"table ip n {\n"
	" chain out { type nat hook output priority -100; udp dport 9 dnat to 127.0.0.1:19; }\n"
	" chain post { type nat hook postrouting priority 100; udp dport 7 snat to 127.0.0.1:40000; }\n"
	"}\n";

static void test_mappings(int ns)
{
	char err[512] = "";
	struct conntrack_mapping *v = NULL;
	int n, snat = -1, dnat = -1;

	ok(netfilter_apply(ns, NAT_RULES, err, sizeof err) == 0, "a SNAT and a DNAT rule");
	ok(send_udp_from(ns, 33333, 7) == 0 && send_udp_from(ns, 33334, 9) == 0 && send_udp(ns, 5) == 0,
	   "three flows: source-NATed, destination-NATed, untouched");
	n = conntrack_mappings(ns, &v, err, sizeof err);
	is_int(n, 2, "conntrack_mappings lists the two NATed flows only");
	for (int i = 0; i < n; i++) {
		if (v[i].inbound)
			dnat = i;
		else
			snat = i;
	}
	ok(snat >= 0 && v[snat].proto == IPPROTO_UDP && v[snat].inside_port == 33333 &&
	   v[snat].outside_port == 40000 && v[snat].remote_port == 7 &&
	   v[snat].inside_addr == INADDR_LOOPBACK && v[snat].outside_addr == INADDR_LOOPBACK,
	   "  the SNAT: 127.0.0.1:33333 -> 127.0.0.1:40000, remote :7");
	ok(snat >= 0 && v[snat].timeout > 0 && v[snat].timeout <= 30, "  with its lifetime (unreplied udp: 30 s at most)");
	ok(dnat >= 0 && v[dnat].outside_port == 9 && v[dnat].inside_port == 19 && v[dnat].remote_port == 33334,
	   "  the DNAT is inbound: from :33334 to outside :9, sent on to :19");
	free(v);
	is_int(conntrack_mappings(0, &v, err, sizeof err), -1, "mappings in an fd that is no namespace fail");
	ok(v == NULL && strncmp(err, "conntrack: setns: ", 18) == 0, "  with no array and a message");
}

int main(void)
{
	char err[512] = "";
	int ns;

	if (geteuid() != 0 || netns_init(err, sizeof err) < 0 || (ns = netns_new(err, sizeof err)) < 0) {
		skip("conntrack tests", "need root (a scratch network namespace)");
		return unit_done();
	}
	is_int(conntrack_count(ns, err, sizeof err), 0, "a fresh namespace tracks nothing");
	is_int(conntrack_flush(ns, err, sizeof err), 0, "flushing an empty table reports 0 entries");
	ok(prepare(ns, err, sizeof err) == 0, "loopback up and a ct rule in the scratch namespace");
	if (err[0])
		printf("#   %s\n", err);
	ok(send_udp(ns, 9) == 0 && send_udp(ns, 7) == 0, "two UDP flows over loopback");
	is_int(conntrack_count(ns, err, sizeof err), 2, "  two conntrack entries");
	is_int(conntrack_flush(ns, err, sizeof err), 2, "flush reports the two entries");
	is_int(conntrack_count(ns, err, sizeof err), 0, "  and the table is empty");
	ok(send_udp(ns, 9) == 0, "the same flow again");
	is_int(conntrack_count(ns, err, sizeof err), 1, "  is a new entry");
	conntrack_flush(ns, err, sizeof err);
	test_mappings(ns);
	close(ns);

	err[0] = '\0';
	is_int(conntrack_flush(0, err, sizeof err), -1, "flush in an fd that is no namespace fails");
	ok(strncmp(err, "conntrack: setns: ", 18) == 0, "  and says why");
	printf("#   %s\n", err);
	return unit_done();
}
