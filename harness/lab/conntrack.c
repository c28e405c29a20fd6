/*
** conntrack.c: see conntrack.h. A ctnetlink socket belongs to the namespace
** it was opened in, so the handle is opened after entering the node's
** namespace (by fd, like netlink.c and netfilter.c) and closed before
** leaving it. The runner is single-threaded and forks nothing in between,
** so the socket's lack of O_CLOEXEC (libnfnetlink opens it) cannot leak.
*/
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "lab/conntrack.h"
#include "lab/netns.h"
#include "util/errf.h"

static int count_entry(enum nf_conntrack_msg_type type, struct nf_conntrack *ct, void *arg)
{
	(void)type;
	(void)ct;
	++*(int *)arg;
	return NFCT_CB_CONTINUE;
}

/* Dump (and with flush, then flush) the table in the current namespace. */
static int query(int flush, char *err, size_t errlen)
{
	struct nfct_handle *h;
	uint32_t family = AF_INET;
	int n = 0, rc = -1;

	h = nfct_open(CONNTRACK, 0);
	if (h == NULL)
		return errf(err, errlen, "conntrack: open ctnetlink: %s", strerror(errno));
	if (nfct_callback_register(h, NFCT_T_ALL, count_entry, &n) < 0) {
		errf(err, errlen, "conntrack: register callback: %s", strerror(errno));
		goto done;
	}
	if (nfct_query(h, NFCT_Q_DUMP, &family) < 0) {
		errf(err, errlen, "conntrack: dump: %s", strerror(errno));
		goto done;
	}
	if (flush && nfct_query(h, NFCT_Q_FLUSH, &family) < 0) {
		errf(err, errlen, "conntrack: flush: %s", strerror(errno));
		goto done;
	}
	rc = n;
done:
	nfct_close(h);
	return rc;
}

static int in_ns(int nsfd, int flush, char *err, size_t errlen)
{
	int rc;

	if (netns_enter(nsfd) < 0)
		return errf(err, errlen, "conntrack: setns: %s", strerror(errno));
	rc = query(flush, err, errlen);
	if (netns_leave() < 0 && rc >= 0)
		rc = errf(err, errlen, "conntrack: return to the runner's namespace: %s", strerror(errno));
	return rc;
}

int conntrack_count(int nsfd, char *err, size_t errlen)
{
	return in_ns(nsfd, 0, err, errlen);
}

int conntrack_flush(int nsfd, char *err, size_t errlen)
{
	return in_ns(nsfd, 1, err, errlen);
}

/* The growing result of a mappings dump; failed is set when memory ran out. */
struct mapping_list {
	struct conntrack_mapping *v;
	size_t n, cap;
	int failed;
};

static void fill_mapping(const struct nf_conntrack *ct, struct conntrack_mapping *m, int inbound)
{
	memset(m, 0, sizeof *m);
	m->proto = nfct_get_attr_u8(ct, ATTR_ORIG_L4PROTO);
	m->inbound = inbound;
	m->timeout = nfct_get_attr_u32(ct, ATTR_TIMEOUT);
	if (inbound) {   /* remote -> outside, sent on to inside (the reply's source) */
		m->remote_addr = ntohl(nfct_get_attr_u32(ct, ATTR_ORIG_IPV4_SRC));
		m->outside_addr = ntohl(nfct_get_attr_u32(ct, ATTR_ORIG_IPV4_DST));
		m->inside_addr = ntohl(nfct_get_attr_u32(ct, ATTR_REPL_IPV4_SRC));
	} else {         /* inside -> remote, answered to outside (the reply's destination) */
		m->inside_addr = ntohl(nfct_get_attr_u32(ct, ATTR_ORIG_IPV4_SRC));
		m->remote_addr = ntohl(nfct_get_attr_u32(ct, ATTR_ORIG_IPV4_DST));
		m->outside_addr = ntohl(nfct_get_attr_u32(ct, ATTR_REPL_IPV4_DST));
	}
	if (m->proto != IPPROTO_UDP && m->proto != IPPROTO_TCP)
		return;
	if (inbound) {
		m->remote_port = ntohs(nfct_get_attr_u16(ct, ATTR_ORIG_PORT_SRC));
		m->outside_port = ntohs(nfct_get_attr_u16(ct, ATTR_ORIG_PORT_DST));
		m->inside_port = ntohs(nfct_get_attr_u16(ct, ATTR_REPL_PORT_SRC));
	} else {
		m->inside_port = ntohs(nfct_get_attr_u16(ct, ATTR_ORIG_PORT_SRC));
		m->remote_port = ntohs(nfct_get_attr_u16(ct, ATTR_ORIG_PORT_DST));
		m->outside_port = ntohs(nfct_get_attr_u16(ct, ATTR_REPL_PORT_DST));
	}
}

static int collect_mapping(enum nf_conntrack_msg_type type, struct nf_conntrack *ct, void *arg)
{
	struct mapping_list *l = arg;
	uint32_t status = nfct_get_attr_u32(ct, ATTR_STATUS);

	(void)type;
	if (!(status & (IPS_SRC_NAT | IPS_DST_NAT)) || l->failed)
		return NFCT_CB_CONTINUE;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct conntrack_mapping *v = realloc(l->v, cap * sizeof *v);
		if (v == NULL) {
			l->failed = 1;
			return NFCT_CB_CONTINUE;
		}
		l->v = v;
		l->cap = cap;
	}
	fill_mapping(ct, &l->v[l->n++], !(status & IPS_SRC_NAT));
	return NFCT_CB_CONTINUE;
}

static int dump_mappings(struct mapping_list *l, char *err, size_t errlen)
{
	struct nfct_handle *h;
	uint32_t family = AF_INET;
	int rc = -1;

	h = nfct_open(CONNTRACK, 0);
	if (h == NULL)
		return errf(err, errlen, "conntrack: open ctnetlink: %s", strerror(errno));
	if (nfct_callback_register(h, NFCT_T_ALL, collect_mapping, l) < 0) {
		errf(err, errlen, "conntrack: register callback: %s", strerror(errno));
		goto done;
	}
	if (nfct_query(h, NFCT_Q_DUMP, &family) < 0) {
		errf(err, errlen, "conntrack: dump: %s", strerror(errno));
		goto done;
	}
	if (l->failed) {
		errf(err, errlen, "conntrack: out of memory");
		goto done;
	}
	rc = 0;
done:
	nfct_close(h);
	return rc;
}

int conntrack_mappings(int nsfd, struct conntrack_mapping **out, char *err, size_t errlen)
{
	struct mapping_list l = { NULL, 0, 0, 0 };
	int rc;

	*out = NULL;
	if (netns_enter(nsfd) < 0)
		return errf(err, errlen, "conntrack: setns: %s", strerror(errno));
	rc = dump_mappings(&l, err, errlen);
	if (netns_leave() < 0 && rc == 0)
		rc = errf(err, errlen, "conntrack: return to the runner's namespace: %s", strerror(errno));
	if (rc < 0) {
		free(l.v);
		return -1;
	}
	*out = l.v;
	return (int)l.n;
}
