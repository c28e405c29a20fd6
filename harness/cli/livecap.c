/*
** livecap.c: `vpnlab capture LAB LINK [--count N] [--json]`, a link of a
** live lab decoded as it happens, one line a frame (timeline_describe) or
** one JSON object a frame (timeline_write_json, as in timeline.jsonl), with
** times counted from the lab's start like its pcaps. A veth link is watched
** as the lab captures it: both ends, each keeping what it transmits, so every
** frame on the wire shows once and an endpoint's re-injected decapsulated
** packets do not; a segment is watched on its bridge. The capture runs in the
** lab's PID namespace: `down` ends it.
*/
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "cli/livelab.h"
#include "lab/labjoin.h"
#include "wire/dissect.h"
#include "wire/timeline.h"

/* A frame read but not printed yet: the ends are read in turns, and printed merged by time. */
struct held_frame {
	struct pcap_pkthdr h;
	u_char *bytes;
};

struct live_capture {
	const char *link;
	double t0;
	int json;
	long count;                /* stop after this many frames, 0: until ^C */
	long frames;
	pcap_t *ends[2];
	int nends;
	int linktype;
	struct held_frame *held;   /* this round's frames */
	size_t nheld, capheld;
};

static volatile sig_atomic_t capture_stop;

static void on_stop(int sig)
{
	(void)sig;
	capture_stop = 1;
}

static void print_frame(struct live_capture *c, const struct held_frame *hf)
{
	struct tl_packet pkt;
	char line[1024];

	memset(&pkt, 0, sizeof(pkt));
	pkt.t = (double)hf->h.ts.tv_sec + (double)hf->h.ts.tv_usec / 1e6 - c->t0;
	pkt.frame = (uint32_t)++c->frames;
	pkt.wirelen = hf->h.len;
	dissect_frame(hf->bytes, hf->h.caplen, hf->h.len, c->linktype, &pkt.f);
	if (c->json) {
		timeline_write_json(stdout, &pkt, c->link);
	} else {
		timeline_describe(line, sizeof(line), &pkt, c->link);
		printf("%s\n", line);
	}
}

/* pcap callback: keep a copy until the round is printed. */
static void on_frame(u_char *arg, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct live_capture *c = (struct live_capture *)arg;
	struct held_frame *hf;

	if (c->nheld == c->capheld) {
		size_t cap = c->capheld ? c->capheld * 2 : 16;
		struct held_frame *v = realloc(c->held, cap * sizeof(*v));
		if (v == NULL)
			return;   /* out of memory: the frame is not shown */
		c->held = v;
		c->capheld = cap;
	}
	hf = &c->held[c->nheld];
	hf->h = *h;
	if ((hf->bytes = malloc(h->caplen ? h->caplen : 1)) == NULL)
		return;
	memcpy(hf->bytes, bytes, h->caplen);
	c->nheld++;
}

static int by_time(const void *a, const void *b)
{
	const struct timeval *x = &((const struct held_frame *)a)->h.ts, *y = &((const struct held_frame *)b)->h.ts;
	if (x->tv_sec != y->tv_sec)
		return x->tv_sec < y->tv_sec ? -1 : 1;
	return (x->tv_usec > y->tv_usec) - (x->tv_usec < y->tv_usec);
}

/* Print the round's frames in time order (up to the count), and forget them. */
static void flush_round(struct live_capture *c)
{
	qsort(c->held, c->nheld, sizeof(*c->held), by_time);
	for (size_t i = 0; i < c->nheld; i++) {
		if (c->count == 0 || c->frames < c->count)
			print_frame(c, &c->held[i]);
		free(c->held[i].bytes);
	}
	c->nheld = 0;
	fflush(stdout);
}

/* Open ifname in netns (this process moves there; sockets stay where they were made). */
static pcap_t *open_end(int netns, const char *ifname, int outbound, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p;

	if (setns(netns, CLONE_NEWNET) < 0) {
		snprintf(err, errlen, "entering the namespace of %s: %s", ifname, strerror(errno));
		return NULL;
	}
	if ((p = pcap_create(ifname, ebuf)) == NULL) {
		snprintf(err, errlen, "%s: %s", ifname, ebuf);
		return NULL;
	}
	pcap_set_snaplen(p, 262144);
	pcap_set_immediate_mode(p, 1);
	pcap_set_promisc(p, !outbound);   /* a bridge passes up only what is flooded unless promiscuous */
	if (pcap_activate(p) < 0 || (outbound && pcap_setdirection(p, PCAP_D_OUT) < 0) ||
	    pcap_setnonblock(p, 1, ebuf) < 0) {
		snprintf(err, errlen, "%s: %s", ifname, pcap_geterr(p));
		pcap_close(p);
		return NULL;
	}
	return p;
}

/* Poll every end and print frames until ^C, the count, or an error. 0 or 1 (the link failed). */
static int capture_loop(struct live_capture *c)
{
	struct pollfd fds[2];

	for (int i = 0; i < c->nends; i++)
		fds[i] = (struct pollfd){ .fd = pcap_get_selectable_fd(c->ends[i]), .events = POLLIN };
	while (!capture_stop && (c->count == 0 || c->frames < c->count)) {
		int n = poll(fds, (nfds_t)c->nends, -1);
		if (n < 0 && errno == EINTR)
			continue;
		/* Every end is read each round (non-blocking): a frame the other end sent first is not left behind. */
		for (int i = 0; n > 0 && i < c->nends; i++) {
			if (pcap_dispatch(c->ends[i], -1, on_frame, (u_char *)c) < 0) {
				fprintf(stderr, "vpnlab: capture %s: %s\n", c->link, pcap_geterr(c->ends[i]));
				flush_round(c);
				return 1;
			}
		}
		flush_round(c);
	}
	free(c->held);
	return 0;
}

/* In the child: open the ends, announce, capture. Never returns. */
static void capture_child(struct live_capture *c, const int *netns, const char *const *ifnames,
                          int outbound)
{
	struct sigaction sa;
	char err[600];

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;   /* no SA_RESTART: poll returns */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_DFL);
	for (int i = 0; i < c->nends; i++) {
		if ((c->ends[i] = open_end(netns[i], ifnames[i], outbound, err, sizeof(err))) == NULL) {
			fprintf(stderr, "vpnlab: capture %s: %s\n", c->link, err);
			_exit(2);
		}
	}
	c->linktype = pcap_datalink(c->ends[0]);
	fprintf(stderr, "vpnlab: capturing link %s (%s); ^C stops\n", c->link,
	        c->nends == 2 ? "both ends" : "its bridge");
	int rc = capture_loop(c);
	fprintf(stderr, "vpnlab: %ld frame%s\n", c->frames, c->frames == 1 ? "" : "s");
	_exit(rc);
}

static int capture_usage(void)
{
	fprintf(stderr, "usage: vpnlab capture LAB LINK [--count N] [--json]\n");
	return 2;
}

static int parse_capture(int argc, char **argv, struct live_capture *c, const char **lab)
{
	const char *pos[2];
	int npos = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			c->json = 1;
		} else if (!strcmp(argv[i], "--count") && i + 1 < argc) {
			char *end;
			c->count = strtol(argv[++i], &end, 10);
			if (*end != '\0' || c->count <= 0) {
				fprintf(stderr, "vpnlab: capture: --count needs a whole number above 0, not '%s'\n", argv[i]);
				return -1;
			}
		} else if (argv[i][0] == '-' || npos == 2) {
			capture_usage();
			return -1;
		} else {
			pos[npos++] = argv[i];
		}
	}
	if (npos != 2) {
		capture_usage();
		return -1;
	}
	*lab = pos[0];
	c->link = pos[1];
	return 0;
}

/* The namespaces and interfaces a link is watched at: both veth ends, or the bridge. */
static int link_points(struct labjoin *j, const struct labstate *s, int li, int *netns,
                       const char **ifnames, char *err, size_t errlen)
{
	const struct labstate_link *l = &s->links[li];

	if (l->bridge) {
		ifnames[0] = l->ifname;
		netns[0] = labjoin_netns(j, s->switch_fd, err, errlen);
		return netns[0] < 0 ? -1 : 1;
	}
	for (int e = 0; e < 2; e++) {
		ifnames[e] = l->ifname;
		netns[e] = labjoin_netns(j, s->nodes[l->ends[e]].fd, err, errlen);
		if (netns[e] < 0) {
			if (e == 1)
				close(netns[0]);
			return -1;
		}
	}
	return 2;
}

static int run_capture(struct live_capture *c, const struct labstate *s, int li)
{
	struct labjoin j;
	char err[600];
	int netns[2] = { -1, -1 }, status;
	const char *ifnames[2];
	pid_t pid;

	if (labjoin_open(&j, s, err, sizeof(err)) < 0 ||
	    (c->nends = link_points(&j, s, li, netns, ifnames, err, sizeof(err))) < 0 ||
	    (pid = labjoin_fork(&j, err, sizeof(err))) < 0) {
		fprintf(stderr, "vpnlab: %s\n", err);
		for (int i = 0; i < 2; i++)
			if (netns[i] >= 0)
				close(netns[i]);
		labjoin_close(&j);
		return 2;
	}
	if (pid == 0)
		capture_child(c, netns, ifnames, !s->links[li].bridge);
	for (int i = 0; i < c->nends; i++)
		close(netns[i]);
	labjoin_close(&j);
	status = labjoin_wait(pid);
	if (status >= 0 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
		fprintf(stderr, "vpnlab: capture %s: the lab %s went down\n", c->link, s->name);
		return 1;
	}
	if (status < 0)
		return 2;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);   /* e.g. SIGPIPE from | head */
}

int livelab_capture(int argc, char **argv)
{
	struct live_capture c;
	struct labstate s;
	const char *lab;
	int li, rc;

	memset(&c, 0, sizeof(c));
	if (parse_capture(argc, argv, &c, &lab) < 0 || livelab_read(lab, &s) < 0)
		return 2;
	if ((li = labstate_link_index(&s, c.link)) < 0) {
		fprintf(stderr, "vpnlab: lab '%s' has no link '%s' (its links:", s.name, c.link);
		for (size_t k = 0; k < s.nlinks; k++)
			fprintf(stderr, " %s", s.links[k].name);
		fprintf(stderr, ")\n");
		labstate_free(&s);
		return 2;
	}
	c.t0 = s.t0;
	rc = run_capture(&c, &s, li);
	labstate_free(&s);
	return rc;
}
