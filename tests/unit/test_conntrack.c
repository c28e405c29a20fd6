/*
** Unit tests for conntrack (as root, against the running kernel): in a
** scratch namespace the table starts empty and a flush of it reports 0; a
** UDP flow over loopback (conntrack runs there once a rule uses it) makes an
** entry, a flush reports it and leaves the table empty, and a flush of a
** namespace that is not one fails with a message.
*/
#include "lab/conntrack.h"
#include "lab/netfilter.h"
#include "lab/netlink.h"
#include "lab/netns.h"
#include "unit.h"

#include <arpa/inet.h>
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

/* One UDP datagram 127.0.0.1 -> 127.0.0.1:port, sent from inside ns; 0 or -1. */
static int send_udp(int ns, int port)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int s, rc;

	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (netns_enter(ns) < 0)
		return -1;
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);   /* the socket stays in ns */
	netns_leave();
	if (s < 0)
		return -1;
	rc = sendto(s, "x", 1, 0, (struct sockaddr *)&to, sizeof to) == 1 ? 0 : -1;
	close(s);
	return rc;
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
	close(ns);

	err[0] = '\0';
	is_int(conntrack_flush(0, err, sizeof err), -1, "flush in an fd that is no namespace fails");
	ok(strncmp(err, "conntrack: setns: ", 18) == 0, "  and says why");
	printf("#   %s\n", err);
	return unit_done();
}
