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

#include <pcap/pcap.h>

#include "capture.h"
#include "dissect.h"
#include "netns.h"

/* Allocating the kernel ring costs ~3 ms per MiB on open and on close: keep it small, we read it continuously. */
#define CAPTURE_BUFFER (512 * 1024)

static int activate(pcap_t *p, char *err, size_t errlen)
{
	int r;

	pcap_set_snaplen(p, 65535);
	pcap_set_immediate_mode(p, 1);
	pcap_set_buffer_size(p, CAPTURE_BUFFER);
	r = pcap_activate(p);
	if (r < 0) {
		snprintf(err, errlen, "pcap: %s", pcap_geterr(p));
		return -1;
	}
	if (pcap_setnonblock(p, 1, NULL) < 0) {
		snprintf(err, errlen, "pcap: %s", pcap_geterr(p));
		return -1;
	}
	return 0;
}

int capture_open(struct capture *c, int nsfd, const char *ifname, const char *pcap_path,
                 int link, const struct timeval *t0, struct timeline *tl, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if (netns_enter(nsfd) < 0) {
		snprintf(err, errlen, "setns: %s", strerror(errno));
		return -1;
	}
	p = pcap_create(ifname, ebuf);
	if (p != NULL && activate(p, err, errlen) < 0) {
		pcap_close(p);
		p = NULL;
	} else if (p == NULL) {
		snprintf(err, errlen, "pcap on %s: %s", ifname, ebuf);
	}
	netns_leave();
	if (p == NULL)
		return -1;
	c->dumper = pcap_dump_open(p, pcap_path);
	if (c->dumper == NULL) {
		snprintf(err, errlen, "pcap file %s: %s", pcap_path, pcap_geterr(p));
		pcap_close(p);
		return -1;
	}
	c->pcap = p;
	c->fd = pcap_get_selectable_fd(p);
	/* libpcap does not set close-on-exec; daemons must not inherit capture sockets. */
	fcntl(c->fd, F_SETFD, FD_CLOEXEC);
	c->link = link;
	c->linktype = pcap_datalink(p);
	c->t0 = *t0;
	c->tl = tl;
	return 0;
}

static void on_frame(u_char *arg, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct capture *c = (struct capture *)arg;
	struct tl_packet pkt;
	int lt = c->linktype == DLT_EN10MB ? DISSECT_LINK_EN10MB : DISSECT_LINK_RAW;

	pcap_dump((u_char *)c->dumper, h, bytes);
	memset(&pkt, 0, sizeof(pkt));
	pkt.t = (double)(h->ts.tv_sec - c->t0.tv_sec) + (double)(h->ts.tv_usec - c->t0.tv_usec) / 1e6;
	pkt.link = c->link;
	pkt.frame = ++c->frames;
	pkt.wirelen = h->len;
	dissect_frame(bytes, h->caplen, h->len, lt, &pkt.f);
	timeline_add(c->tl, &pkt);
}

int capture_drain(struct capture *c)
{
	int total = 0, r;

	if (c->pcap == NULL)
		return 0;
	while ((r = pcap_dispatch(c->pcap, -1, on_frame, (u_char *)c)) > 0)
		total += r;
	if (total > 0)
		pcap_dump_flush(c->dumper);   /* evidence survives an interrupted run */
	return r < 0 ? -1 : total;
}

void capture_close(struct capture *c)
{
	if (c->pcap == NULL)
		return;
	capture_drain(c);
	pcap_dump_close(c->dumper);
	pcap_close(c->pcap);
	c->pcap = NULL;
	c->dumper = NULL;
	c->fd = -1;
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
	j->rc = capture_open(j->cap, j->spec->nsfd, j->spec->ifname, j->spec->pcap_path,
	                     j->spec->link, j->t0, j->tl, j->err, sizeof(j->err));
	return NULL;
}

static void *close_one(void *arg)
{
	struct capture *c = arg;
	pcap_dump_close(c->dumper);
	pcap_close(c->pcap);
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

int capture_open_all(struct capture *caps, const struct capture_spec *specs, size_t n,
                     const struct timeval *t0, struct timeline *tl, char *err, size_t errlen)
{
	struct open_job *jobs = calloc(n ? n : 1, sizeof(*jobs));
	int rc = 0;

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
	if (rc < 0)
		capture_close_all(caps, n);
	return rc;
}

void capture_close_all(struct capture *caps, size_t n)
{
	struct capture *open = calloc(n ? n : 1, sizeof(*open));
	size_t m = 0;

	for (size_t i = 0; i < n; i++) {
		if (caps[i].pcap == NULL)
			continue;
		capture_drain(&caps[i]);
		if (open != NULL)
			open[m++] = caps[i];
		else
			close_one(&caps[i]);
		caps[i].pcap = NULL;
		caps[i].dumper = NULL;
		caps[i].fd = -1;
	}
	run_parallel(close_one, open, sizeof(*open), m);
	free(open);
}
