/*
** capture.c: see capture.h. The pcap handle is opened inside the node's
** namespace (a packet socket binds to the namespace it was created in).
*/
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/filter.h>
#include <linux/if_packet.h>
#include <pcap/pcap.h>

#include "wire/capture.h"
#include "wire/dissect.h"
#include "lab/netns.h"

/* Allocating the kernel ring costs ~3 ms per MiB on open and on close: keep it small, we read it continuously. */
#define CAPTURE_BUFFER (512 * 1024)
/*
** Immediate mode gives a ring of fixed-size frames: snaplen plus ~80 bytes
** of headers, each in a power-of-two block. At 65535 a frame takes a
** 128 KiB block (1 MiB for 8 frames, measured); just under 64 KiB it takes
** a 64 KiB block, the same frames in about half the memory. Only a GSO
** super-frame longer than this loses its tail (the length is kept).
*/
#define CAPTURE_SNAPLEN (65535 - 128)

/*
** Keep only frames the interface transmits. pcap_setdirection alone is
** applied by libpcap as it reads: received frames would still take space
** in the (small) ring and wake the loop for nothing.
** So a socket filter tests the packet type in the kernel as well. It is
** attached directly, not through pcap_setfilter: libpcap runs a new
** filter in userland over the frame that next arrives, and its userland
** BPF cannot read SKF_AD_PKTTYPE, so the first frame (an ARP request)
** would be rejected. The direction stays set in libpcap in any case.
*/
static int outbound_only(pcap_t *p, char *err, size_t errlen)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, (uint32_t)(SKF_AD_OFF + SKF_AD_PKTTYPE)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_OUTGOING, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, UINT32_MAX),   /* the whole frame */
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = { (unsigned short)(sizeof(code) / sizeof(code[0])), code };

	if (pcap_setdirection(p, PCAP_D_OUT) < 0) {
		snprintf(err, errlen, "pcap direction: %s", pcap_geterr(p));
		return -1;
	}
	if (setsockopt(pcap_fileno(p), SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0) {
		snprintf(err, errlen, "capture filter: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Settings, then activation, then the direction (see outbound_only). */
static int activate(pcap_t *p, const struct capture_spec *spec, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	int r;

	pcap_set_snaplen(p, CAPTURE_SNAPLEN);
	pcap_set_immediate_mode(p, 1);
	pcap_set_buffer_size(p, CAPTURE_BUFFER);
	pcap_set_promisc(p, spec->promisc);
	r = pcap_activate(p);
	if (r < 0) {
		snprintf(err, errlen, "pcap: %s", pcap_geterr(p));
		return -1;
	}
	if (spec->outbound && outbound_only(p, err, errlen) < 0)
		return -1;
	if (pcap_setnonblock(p, 1, ebuf) < 0) {
		snprintf(err, errlen, "pcap: %s", ebuf);
		return -1;
	}
	return 0;
}

/*
** Open spec's interface inside its namespace (a packet socket stays bound
** to the namespace it was created in); the direction is set before any
** frame is read.
*/
int capture_open(struct capture *c, const struct capture_spec *spec, const struct timeval *t0,
                 struct timeline *tl, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if (netns_enter(spec->nsfd) < 0) {
		snprintf(err, errlen, "setns: %s", strerror(errno));
		return -1;
	}
	p = pcap_create(spec->ifname, ebuf);
	if (p != NULL && activate(p, spec, err, errlen) < 0) {
		pcap_close(p);
		p = NULL;
	} else if (p == NULL) {
		snprintf(err, errlen, "pcap on %s: %s", spec->ifname, ebuf);
	}
	netns_leave();
	if (p == NULL)
		return -1;
	if (spec->pcap_path != NULL) {
		c->dumper = pcap_dump_open(p, spec->pcap_path);
		if (c->dumper == NULL) {
			snprintf(err, errlen, "pcap file %s: %s", spec->pcap_path, pcap_geterr(p));
			pcap_close(p);
			return -1;
		}
	}
	c->pcap = p;
	c->fd = pcap_get_selectable_fd(p);
	/* libpcap sets no close-on-exec; daemons must not inherit capture sockets or files. */
	fcntl(c->fd, F_SETFD, FD_CLOEXEC);
	if (c->dumper != NULL)
		fcntl(fileno(pcap_dump_file(c->dumper)), F_SETFD, FD_CLOEXEC);
	c->link = spec->link;
	c->linktype = pcap_datalink(p);
	c->t0 = *t0;
	c->tl = tl;
	return 0;
}

/* The capture holding the file c's frames go to, or NULL (an unpaired second). */
static struct capture *file_owner(struct capture *c)
{
	if (c->dumper != NULL)
		return c;
	if (c->peer != NULL && c->peer->dumper != NULL)
		return c->peer;
	return NULL;
}

/*
** The dissector's link type for libpcap's DLT: the ones it knows by their
** own value (cooked captures on "any", loopback, bare IPv4); DLT_RAW, whose
** number differs between systems, and anything else as bare IP.
*/
static int capture_dissect_link(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB: return DISSECT_LINK_EN10MB;
	case DLT_NULL: return DISSECT_LINK_NULL;
#ifdef DLT_LINUX_SLL
	case DLT_LINUX_SLL: return DISSECT_LINK_LINUX_SLL;
#endif
#ifdef DLT_LINUX_SLL2
	case DLT_LINUX_SLL2: return DISSECT_LINK_LINUX_SLL2;
#endif
#ifdef DLT_IPV4
	case DLT_IPV4: return DISSECT_LINK_IPV4;
#endif
	default: return DISSECT_LINK_RAW;
	}
}

/* One frame to the file and the timeline, numbered in file order. */
static void emit(struct capture *owner, const struct capture *src, const struct pcap_pkthdr *h,
                 const u_char *bytes)
{
	struct tl_packet pkt;
	int lt = capture_dissect_link(src->linktype);

	pcap_dump((u_char *)owner->dumper, h, bytes);
	memset(&pkt, 0, sizeof(pkt));
	pkt.t = (double)(h->ts.tv_sec - owner->t0.tv_sec) +
	        (double)(h->ts.tv_usec - owner->t0.tv_usec) / 1e6;
	pkt.link = owner->link;
	pkt.frame = ++owner->frames;
	pkt.wirelen = h->len;
	dissect_frame(bytes, h->caplen, h->len, lt, &pkt.f);
	inner_decode(owner->keys, bytes, h->caplen, &pkt.f, &pkt.inner);
	timeline_add(owner->tl, &pkt);
}

/* One capture being drained and its head frame (h, bytes valid until its next read). */
struct source {
	struct capture *c;        /* NULL: none (a link captured at one point) */
	struct pcap_pkthdr *h;
	const u_char *bytes;
	int rc;                   /* 1 a head frame, 0 none readable now, -1 error */
};

/* Read the next head frame of s. */
static void next(struct source *s)
{
	if (s->c == NULL || s->c->pcap == NULL) {
		s->rc = 0;
		return;
	}
	s->rc = pcap_next_ex(s->c->pcap, &s->h, &s->bytes);
	if (s->rc < 0)
		s->rc = -1;
}

/* a goes first: older, or as old (a tie goes to the first member's end: nothing tells them apart). */
static int earlier(const struct pcap_pkthdr *a, const struct pcap_pkthdr *b)
{
	return timercmp(&a->ts, &b->ts, <=);
}

/*
** Read both captures of a link to the end, writing the older head frame
** first: the file is in time order as far as the kernel has made frames
** readable (a frame stamped on one end but not yet in its ring when the
** other end's later frame is read lands after it; the timeline sorts
** regardless). pcap_next_ex copies each frame out of the ring, so holding
** one head per capture is safe.
*/
int capture_drain(struct capture *c)
{
	struct capture *owner = c->pcap != NULL ? file_owner(c) : NULL;
	struct source a = { owner, NULL, NULL, 0 }, b = { NULL, NULL, NULL, 0 };
	int total = 0;

	if (owner == NULL)
		return 0;
	b.c = owner->peer;
	next(&a);
	next(&b);
	while (a.rc == 1 || b.rc == 1) {
		struct source *s = (a.rc == 1 && (b.rc != 1 || earlier(a.h, b.h))) ? &a : &b;
		emit(owner, s->c, s->h, s->bytes);
		total++;
		next(s);
	}
	if (total > 0)
		pcap_dump_flush(owner->dumper);   /* evidence survives an interrupted run */
	return a.rc < 0 || b.rc < 0 ? -1 : total;
}

static void forget(struct capture *c)
{
	c->peer = NULL;
	c->pcap = NULL;
	c->dumper = NULL;
	c->fd = -1;
}

static void close_handles(struct capture *c)
{
	if (c->dumper != NULL)
		pcap_dump_close(c->dumper);
	if (c->pcap != NULL)
		pcap_close(c->pcap);
}

void capture_close(struct capture *c)
{
	struct capture *peer = c->peer;

	if (c->pcap == NULL)
		return;
	capture_drain(c);   /* both ends, before the file closes */
	close_handles(c);
	forget(c);
	if (peer != NULL && peer->pcap != NULL) {
		close_handles(peer);
		forget(peer);
	}
}

/* ---- many at once ---- */

struct open_job {
	struct capture *cap;
	const struct capture_spec *spec;
	const struct timeval *t0;
	struct timeline *tl;
	int rc;
	char err[256];
};

static void *open_one(void *arg)
{
	struct open_job *j = arg;
	j->rc = capture_open(j->cap, j->spec, j->t0, j->tl, j->err, sizeof(j->err));
	return NULL;
}

static void *close_one(void *arg)
{
	close_handles(arg);
	return NULL;
}

/* Run fn over n items in threads; items whose thread cannot start run here. */
static void run_parallel(void *(*fn)(void *), void *items, size_t size, size_t n)
{
	pthread_t *t = calloc(n ? n : 1, sizeof(*t));
	char *started = calloc(n ? n : 1, 1);

	for (size_t i = 0; i < n; i++) {
		void *item = (char *)items + i * size;
		if (t != NULL && started != NULL && pthread_create(&t[i], NULL, fn, item) == 0)
			started[i] = 1;
		else
			fn(item);
	}
	for (size_t i = 0; i < n; i++)
		if (started != NULL && started[i])
			pthread_join(t[i], NULL);
	free(t);
	free(started);
}

/*
** A spec without a file must name, as its peer, another spec of the same
** link that has one; no file may be named twice (a pair is two captures).
*/
static int check_pairs(const struct capture_spec *specs, size_t n, char *err, size_t errlen)
{
	char *named = calloc(n ? n : 1, 1);
	int rc = 0;

	if (named == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		int p = specs[i].peer;
		if (specs[i].pcap_path != NULL)
			continue;
		if (p < 0 || (size_t)p >= n || specs[p].pcap_path == NULL ||
		    specs[p].link != specs[i].link || named[p]) {
			snprintf(err, errlen, "internal: capture %zu has no file and no valid peer", i);
			rc = -1;
		} else {
			named[p] = 1;
		}
	}
	free(named);
	return rc;
}

/* Pair each second capture with the one owning its file (both must be open). */
static void pair(struct capture *caps, const struct capture_spec *specs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct capture *owner = specs[i].pcap_path == NULL ? &caps[specs[i].peer] : NULL;
		if (owner != NULL && caps[i].pcap != NULL && owner->pcap != NULL) {
			caps[i].peer = owner;
			owner->peer = &caps[i];
		}
	}
}

int capture_open_all(struct capture *caps, const struct capture_spec *specs, size_t n,
                     const struct timeval *t0, struct timeline *tl, char *err, size_t errlen)
{
	struct open_job *jobs;
	int rc = 0;

	if (check_pairs(specs, n, err, errlen) < 0)
		return -1;
	jobs = calloc(n ? n : 1, sizeof(*jobs));
	if (jobs == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		jobs[i] = (struct open_job){ &caps[i], &specs[i], t0, tl, 0, "" };
	run_parallel(open_one, jobs, sizeof(*jobs), n);
	for (size_t i = 0; i < n; i++) {
		if (jobs[i].rc < 0 && rc == 0) {
			snprintf(err, errlen, "%s", jobs[i].err);
			rc = -1;
		}
	}
	free(jobs);
	pair(caps, specs, n);
	if (rc < 0)
		capture_close_all(caps, n);
	return rc;
}

/*
** Every file owner drains its pair first (no file closes while its other
** capture could still write), then all handles close at once: closing a
** ring is slow and the waits overlap.
*/
void capture_close_all(struct capture *caps, size_t n)
{
	struct capture *open = calloc(n ? n : 1, sizeof(*open));
	size_t m = 0;

	for (size_t i = 0; i < n; i++)
		if (caps[i].pcap != NULL && caps[i].dumper != NULL)
			capture_drain(&caps[i]);
	for (size_t i = 0; i < n; i++) {
		if (caps[i].pcap == NULL)
			continue;
		if (open != NULL)
			open[m++] = caps[i];
		else
			close_handles(&caps[i]);
		forget(&caps[i]);
	}
	run_parallel(close_one, open, sizeof(*open), m);
	free(open);
}
