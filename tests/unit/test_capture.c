/*
** Unit tests for capture (as root, against the running kernel): a veth
** pair between two scratch namespaces captured on both ends, each keeping
** what it transmits, into one file. A tc mirred action on one end hands
** every frame that end sends back to it as received, the way an XFRM
** tunnel endpoint re-injects decapsulated packets: a control capture taken
** the old way (one end, every direction) sees those copies; the pair must
** not. Also: both directions once each, one file in time order whose frame
** numbers are the timeline's, draining either end drains both, and bad
** pairings are refused.
*/
#include "wire/capture.h"
#include "lab/netlink.h"
#include "lab/netns.h"
#include "wire/timeline.h"
#include "unit.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <pcap/pcap.h>

#define IFNAME "capt0"
#define ADDR_A 0x0a630001u   /* 10.99.0.1 */
#define ADDR_B 0x0a630002u   /* 10.99.0.2 */
#define PORT_A 5000
#define PORT_B 5001

/* ---- pairing rules (no kernel needed) ---- */

static void test_bad_pairs(void)
{
	struct capture caps[3];
	struct timeval t0 = { 0, 0 };
	struct timeline tl;
	char err[256] = "";
	struct capture_spec no_owner[2] = {
		{ -1, "x", NULL, 1, 0, 1, 0 }, { -1, "y", NULL, 0, 0, 1, 0 },
	};
	struct capture_spec other_link[2] = {
		{ -1, "x", "/nonexistent/x.pcap", -1, 0, 1, 0 }, { -1, "y", NULL, 0, 1, 1, 0 },
	};
	struct capture_spec out_of_range[1] = { { -1, "x", NULL, 5, 0, 1, 0 } };
	struct capture_spec named_twice[3] = {
		{ -1, "x", "/nonexistent/x.pcap", -1, 0, 1, 0 }, { -1, "y", NULL, 0, 0, 1, 0 },
		{ -1, "z", NULL, 0, 0, 1, 0 },
	};

	timeline_init(&tl);
	is_int(capture_open_all(caps, no_owner, 2, &t0, &tl, err, sizeof(err)), -1,
	       "a pair where neither capture owns a file is refused");
	ok(strstr(err, "no file and no valid peer") != NULL, "... and the error says why");
	is_int(capture_open_all(caps, other_link, 2, &t0, &tl, err, sizeof(err)), -1,
	       "a peer stamping another link is refused");
	is_int(capture_open_all(caps, out_of_range, 1, &t0, &tl, err, sizeof(err)), -1,
	       "a peer index out of range is refused");
	is_int(capture_open_all(caps, named_twice, 3, &t0, &tl, err, sizeof(err)), -1,
	       "a file named as the peer of two captures is refused");
	is_int((long long)tl.n, 0, "nothing reached the timeline");
	timeline_free(&tl);
}

/* ---- a veth pair in two namespaces ---- */

struct pair {
	int ns[2];
	struct nl_sock *nl[2];
	int sock[2];
};

static int end_up(struct pair *p, int i, uint32_t addr, char *err, size_t errlen)
{
	int idx;

	p->nl[i] = netlink_open(p->ns[i], err, errlen);
	if (p->nl[i] == NULL)
		return -1;
	idx = netlink_ifindex(p->nl[i], IFNAME, err, errlen);
	if (idx < 0 || netlink_up(p->nl[i], idx, err, errlen) < 0)
		return -1;
	return netlink_addr(p->nl[i], idx, addr, 24, err, errlen);
}

/* A UDP socket bound to addr:port inside ns. */
static int udp_in(int ns, uint32_t addr, uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
	                          .sin_addr.s_addr = htonl(addr) };
	int fd;

	if (netns_enter(ns) < 0)
		return -1;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	netns_leave();
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A fresh namespace with IPv6 off, as in a lab: then the only non-IP frames are ARP. */
static int quiet_ns(char *err, size_t errlen)
{
	int ns = netns_new(err, errlen);

	if (ns >= 0 && (netns_sysctl(ns, "net/ipv6/conf/all/disable_ipv6", "1", err, errlen) < 0 ||
	                netns_sysctl(ns, "net/ipv6/conf/default/disable_ipv6", "1", err, errlen) < 0)) {
		close(ns);
		return -1;
	}
	return ns;
}

static int make_pair(struct pair *p, char *err, size_t errlen)
{
	struct nl_sock *home = netlink_open(-1, err, errlen);
	int rc = -1;

	p->ns[0] = quiet_ns(err, errlen);
	p->ns[1] = quiet_ns(err, errlen);
	if (home != NULL && p->ns[0] >= 0 && p->ns[1] >= 0) {
		struct netlink_end a = { IFNAME, p->ns[0], 0, NULL }, b = { IFNAME, p->ns[1], 0, NULL };
		if (netlink_veth(home, &a, &b, 0, err, errlen) == 0 &&
		    end_up(p, 0, ADDR_A, err, errlen) == 0 && end_up(p, 1, ADDR_B, err, errlen) == 0)
			rc = 0;
	}
	netlink_close(home);
	if (rc == 0) {
		p->sock[0] = udp_in(p->ns[0], ADDR_A, PORT_A);
		p->sock[1] = udp_in(p->ns[1], ADDR_B, PORT_B);
		if (p->sock[0] < 0 || p->sock[1] < 0) {
			snprintf(err, errlen, "udp sockets");
			rc = -1;
		}
	}
	return rc;
}

static void free_pair(struct pair *p)
{
	for (int i = 0; i < 2; i++) {
		netlink_close(p->nl[i]);
		if (p->ns[i] >= 0)
			close(p->ns[i]);
		if (p->sock[i] >= 0)
			close(p->sock[i]);
	}
}

/* Run argv inside ns; 0 when it exits 0. */
static int run_in(int ns, char *const argv[])
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (devnull >= 0) {
			dup2(devnull, 1);
			dup2(devnull, 2);
		}
		if (setns(ns, CLONE_NEWNET) == 0)
			execvp(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* Every frame end 0 sends comes back to it as received: a re-injection stand-in. */
static int mirror_back(int ns)
{
	char *qdisc[] = { "tc", "qdisc", "add", "dev", IFNAME, "clsact", NULL };
	char *filter[] = { "tc", "filter", "add", "dev", IFNAME, "egress", "u32", "match", "u32", "0",
	                   "0", "action", "mirred", "ingress", "mirror", "dev", IFNAME, NULL };

	return run_in(ns, qdisc) == 0 && run_in(ns, filter) == 0 ? 0 : -1;
}

/* from sends one datagram to the other end, which must receive it within 2 s. */
static int send_one(struct pair *p, int from, const char *payload)
{
	struct sockaddr_in to = { .sin_family = AF_INET,
	                          .sin_port = htons(from == 0 ? PORT_B : PORT_A),
	                          .sin_addr.s_addr = htonl(from == 0 ? ADDR_B : ADDR_A) };
	struct pollfd pfd = { p->sock[!from], POLLIN, 0 };
	char buf[64];

	if (sendto(p->sock[from], payload, strlen(payload), 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		return -1;
	if (poll(&pfd, 1, 2000) != 1)
		return -1;
	return recv(p->sock[!from], buf, sizeof(buf), 0) == (ssize_t)strlen(payload) ? 0 : -1;
}

/* UDP frames of link whose source is addr. */
static int udp_from(const struct timeline *tl, int link, uint32_t addr)
{
	int n = 0;

	for (size_t i = 0; i < tl->n; i++)
		if (tl->p[i].link == link && tl->p[i].f.has_ip && tl->p[i].f.proto == 17 &&
		    tl->p[i].f.src == addr)
			n++;
	return n;
}

/* Non-IP frames (here: ARP) of link. */
static int nonip(const struct timeline *tl, int link)
{
	int n = 0;

	for (size_t i = 0; i < tl->n; i++)
		if (tl->p[i].link == link && tl->p[i].f.cls == PKT_NONIP)
			n++;
	return n;
}

/* Frames of link in the timeline; *numbered: they are 1, 2, ... in time order. */
static uint32_t frames_of(const struct timeline *tl, int link, int *numbered)
{
	uint32_t n = 0;

	*numbered = 1;
	for (size_t i = 0; i < tl->n; i++)
		if (tl->p[i].link == link && tl->p[i].frame != ++n)
			*numbered = 0;
	return n;
}

/* Records of a pcap file, and whether their timestamps never go back. */
static long file_records(const char *path, int *in_order)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *bytes;
	struct timeval last = { 0, 0 };
	long n = 0;
	pcap_t *p = pcap_open_offline(path, ebuf);

	*in_order = 1;
	if (p == NULL)
		return -1;
	while (pcap_next_ex(p, &h, &bytes) == 1) {
		if (timercmp(&h->ts, &last, <))
			*in_order = 0;
		last = h->ts;
		n++;
	}
	pcap_close(p);
	return n;
}

/* What the pair and the control recorded, the file included. */
static void check_traffic(const struct timeline *tl, const char *file, int mirrored)
{
	int numbered, in_order;
	uint32_t frames = frames_of(tl, 0, &numbered);

	is_int(udp_from(tl, 0, ADDR_A), 2, "pair: each datagram end 0 sent, once");
	is_int(udp_from(tl, 0, ADDR_B), 2, "pair: each datagram end 1 sent, once");
	is_int(nonip(tl, 0), 2, "pair: the ARP request and reply, once each (no end loses its first frame)");
	ok(numbered && frames == 6, "pair: frames numbered 1..6 in timeline order (one numbering for both ends)");
	if (mirrored) {
		is_int(udp_from(tl, 1, ADDR_A), 4,
		       "control (one end, any direction) sees end 0's datagrams twice: the stand-in works");
	} else {
		is_int(udp_from(tl, 1, ADDR_A), 2, "control (one end, any direction) sees end 0's datagrams");
		printf("ok %d - control duplicate check # SKIP tc mirred not available\n", ++unit_count);
	}
	is_int(udp_from(tl, 1, ADDR_B), 2, "control sees end 1's datagrams once");
	is_int(nonip(tl, 1), mirrored ? 3 : 2, "control sees the ARP request (twice if mirrored) and reply");
	is_int(file_records(file, &in_order), frames, "the shared file holds exactly the link's frames");
	ok(in_order, "the shared file is in time order (the two ends merged by timestamp)");
}

/* Two rounds of traffic through open captures, the first drained through the second end. */
static void exercise(struct pair *p, struct capture *caps, struct timeline *tl)
{
	ok(caps[0].peer == &caps[1] && caps[1].peer == &caps[0] && caps[2].peer == NULL,
	   "the two ends are paired, the control is alone");
	ok(caps[1].dumper == NULL && caps[0].dumper != NULL, "one file, owned by the first end");
	ok((fcntl(caps[1].fd, F_GETFD) & FD_CLOEXEC) != 0, "the second end's fd is close-on-exec");
	ok(send_one(p, 0, "ping") == 0 && send_one(p, 1, "pong") == 0, "round 1 crosses the link");
	capture_drain(&caps[1]);   /* the second end drains the pair */
	capture_drain(&caps[2]);
	is_int(udp_from(tl, 0, ADDR_A) + udp_from(tl, 0, ADDR_B), 2,
	       "draining the second end drained both ends");
	ok(send_one(p, 0, "ping2") == 0 && send_one(p, 1, "pong2") == 0, "round 2 crosses the link");
	capture_close_all(caps, 3);
	ok(caps[0].pcap == NULL && caps[1].pcap == NULL && caps[0].fd == -1, "all closed");
	capture_close(&caps[0]);   /* closed already: a no-op */
}

static void test_pair(void)
{
	char err[512] = "", dir[] = "/tmp/vpnlab-test-capture.XXXXXX", file[64], control[64];
	struct pair p = { { -1, -1 }, { NULL, NULL }, { -1, -1 } };
	struct capture caps[3];
	struct timeline tl;
	struct timeval t0;
	int mirrored;

	timeline_init(&tl);
	gettimeofday(&t0, NULL);
	if (!ok(mkdtemp(dir) != NULL, "scratch folder") ||
	    !ok(make_pair(&p, err, sizeof(err)) == 0, "a veth pair between two namespaces"))
		goto done;
	mirrored = mirror_back(p.ns[0]) == 0;
	snprintf(file, sizeof(file), "%s/link.pcap", dir);
	snprintf(control, sizeof(control), "%s/control.pcap", dir);
	struct capture_spec specs[3] = {
		{ p.ns[0], IFNAME, file, -1, 0, 1, 0 },     /* end 0 sends; owns the file */
		{ p.ns[1], IFNAME, NULL, 0, 0, 1, 0 },      /* end 1 sends; writes into specs[0]'s file */
		{ p.ns[0], IFNAME, control, -1, 1, 0, 0 },  /* the old way: end 0, any direction */
	};
	if (!ok(capture_open_all(caps, specs, 3, &t0, &tl, err, sizeof(err)) == 0, "captures open"))
		goto done;
	exercise(&p, caps, &tl);
	check_traffic(&tl, file, mirrored);
	unlink(file);
	unlink(control);
	rmdir(dir);
done:
	if (err[0] != '\0')
		printf("#   %s\n", err);
	free_pair(&p);
	timeline_free(&tl);
}

int main(void)
{
	char err[256];

	test_bad_pairs();
	if (geteuid() != 0 || netns_init(err, sizeof(err)) < 0) {
		printf("ok %d - namespace tests # SKIP not root\n", ++unit_count);
		return unit_done();
	}
	test_pair();
	return unit_done();
}
