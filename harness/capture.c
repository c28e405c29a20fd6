/*
** capture.c: see capture.h. The pcap handle is opened inside the node's
** namespace (a packet socket binds to the namespace it was created in).
*/
#include <errno.h>
#include <fcntl.h>
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
