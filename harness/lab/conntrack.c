/*
** conntrack.c: see conntrack.h. A ctnetlink socket belongs to the namespace
** it was opened in, so the handle is opened after entering the node's
** namespace (by fd, like netlink.c and netfilter.c) and closed before
** leaving it. The runner is single-threaded and forks nothing in between,
** so the socket's lack of O_CLOEXEC (libnfnetlink opens it) cannot leak.
*/
#include <errno.h>
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
