/*
** probe.c: see probe.h. Each probe does the real thing once, in a scratch
** network namespace where networking is involved, and keeps the kernel's
** answer as the detail. A kernel that can load modules loads them during
** the try (xfrm algorithms, l2tp_netlink, ppp_generic, sch_netem); one
** without them answers at once, so a probe costs about a namespace.
**
** The XFRM probe sends one XFRM_MSG_NEWSA with a transport-mode state; a
** kernel without esp4/ah4 answers EPROTONOSUPPORT.
*/
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/xfrm.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <netlink/errno.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/netem.h>
#include <netlink/route/tc.h>

#include "lab/netfilter.h"
#include "lab/netns.h"
#include "lab/probe.h"

static const char *const feature_names[FEATURE_COUNT] = {
	[FEATURE_ESP] = "esp",
	[FEATURE_AH] = "ah",
	[FEATURE_L2TP] = "l2tp",
	[FEATURE_PPP] = "ppp",
	[FEATURE_NETEM] = "netem",
	[FEATURE_USERNS] = "userns",
	[FEATURE_NFTABLES] = "nftables",
};

const char *feature_name(enum feature f)
{
	if ((unsigned)f >= FEATURE_COUNT)
		return NULL;
	return feature_names[f];
}

int feature_from_name(const char *name)
{
	int i;

	for (i = 0; name != NULL && i < FEATURE_COUNT; i++)
		if (strcmp(name, feature_names[i]) == 0)
			return i;
	return -1;
}

/* snprintf into detail when the caller wants one (detail may be NULL). */
__attribute__((format(printf, 3, 4)))
static void put_detail(char *detail, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (detail == NULL || len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(detail, len, fmt, ap);
	va_end(ap);
}

/*
** Enter a fresh scratch namespace. Returns its fd (give it to scratch_leave)
** or -1 with detail filled; on -1 the caller is still at home.
*/
static int scratch_enter(char *detail, size_t len)
{
	char err[128];
	int ns = netns_new(err, sizeof(err));

	if (ns < 0) {
		put_detail(detail, len, "scratch namespace: %s", err);
		return -1;
	}
	if (netns_enter(ns) < 0) {
		put_detail(detail, len, "enter scratch namespace: %s", strerror(errno));
		close(ns);
		return -1;
	}
	return ns;
}

/* Back to the runner's namespace; the scratch one dies with its last socket. */
static void scratch_leave(int ns)
{
	netns_leave();
	close(ns);
}

/* ---- esp / ah: XFRM_MSG_NEWSA ---- */

struct xfrm_probe_msg {
	struct nlmsghdr nh;
	struct xfrm_usersa_info sa;
	uint8_t attrs[512];
};

/* Append one netlink attribute holding an xfrm_algo with a constant key of keybits. */
static size_t add_algo(uint8_t *at, unsigned short type, const char *name, unsigned keybits)
{
	struct nlattr na;
	struct xfrm_algo algo;
	size_t keylen = keybits / 8, len = NLA_HDRLEN + sizeof(algo) + keylen;

	memset(&algo, 0, sizeof(algo));
	strncpy(algo.alg_name, name, sizeof(algo.alg_name) - 1);
	algo.alg_key_len = keybits;
	na.nla_len = (unsigned short)len;
	na.nla_type = type;
	memcpy(at, &na, sizeof(na));
	memcpy(at + NLA_HDRLEN, &algo, sizeof(algo));
	memset(at + NLA_HDRLEN + sizeof(algo), 0x11, keylen);
	return NLA_ALIGN(len);
}

static int send_probe(int sk, int proto)
{
	struct xfrm_probe_msg m;
	size_t attrs = 0;

	memset(&m, 0, sizeof(m));
	m.sa.family = AF_INET;
	m.sa.sel.family = AF_INET;
	m.sa.id.proto = (uint8_t)proto;
	m.sa.id.spi = htonl(0x1000);
	m.sa.id.daddr.a4 = htonl(0x7f000002);
	m.sa.saddr.a4 = htonl(0x7f000001);
	m.sa.mode = XFRM_MODE_TRANSPORT;
	m.sa.lft.soft_byte_limit = m.sa.lft.hard_byte_limit = XFRM_INF;
	m.sa.lft.soft_packet_limit = m.sa.lft.hard_packet_limit = XFRM_INF;
	if (proto == IPPROTO_ESP)
		attrs += add_algo(m.attrs + attrs, XFRMA_ALG_CRYPT, "cbc(aes)", 128);
	attrs += add_algo(m.attrs + attrs, XFRMA_ALG_AUTH, "hmac(sha1)", 160);
	m.nh.nlmsg_len = (uint32_t)(NLMSG_LENGTH(sizeof(m.sa)) + attrs);
	m.nh.nlmsg_type = XFRM_MSG_NEWSA;
	m.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	m.nh.nlmsg_seq = 1;
	return send(sk, &m, m.nh.nlmsg_len, 0) < 0 ? -errno : 0;
}

/* The ack's error code: 0 for success, a negative errno otherwise. */
static int read_ack(int sk)
{
	uint8_t buf[1024];
	struct nlmsghdr nh;
	struct nlmsgerr e;
	ssize_t n = recv(sk, buf, sizeof(buf), 0);

	if (n < 0)
		return -errno;
	if (n < (ssize_t)(NLMSG_HDRLEN + sizeof(e)))
		return -EIO;
	memcpy(&nh, buf, sizeof(nh));
	if (nh.nlmsg_type != NLMSG_ERROR)
		return -EIO;
	memcpy(&e, buf + NLMSG_HDRLEN, sizeof(e));
	return e.error;
}

/* probe_xfrm with the kernel's answer in detail. */
static int xfrm_try(int proto, char *detail, size_t len)
{
	struct timeval tv = { 5, 0 };
	int ns = scratch_enter(detail, len), sk, rc;

	if (ns < 0)
		return 0;
	sk = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_XFRM);
	rc = sk < 0 ? -errno : 0;
	scratch_leave(ns);
	if (sk < 0) {
		put_detail(detail, len, "NETLINK_XFRM socket: %s", strerror(-rc));
		return 0;
	}
	setsockopt(sk, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	rc = send_probe(sk, proto);
	if (rc == 0)
		rc = read_ack(sk);
	close(sk);
	put_detail(detail, len, "XFRM_MSG_NEWSA proto %d: %s", proto,
	           rc == 0 ? "accepted" : strerror(-rc));
	return rc == 0;
}

int probe_xfrm(int proto)
{
	return xfrm_try(proto, NULL, 0);
}

/* ---- l2tp: the generic-netlink family resolves (autoloads l2tp_netlink) ---- */

static int probe_l2tp(char *detail, size_t len)
{
	struct nl_sock *sk = nl_socket_alloc();
	int ns, rc;

	if (sk == NULL) {
		put_detail(detail, len, "netlink socket: out of memory");
		return 0;
	}
	ns = scratch_enter(detail, len);
	if (ns < 0) {
		nl_socket_free(sk);
		return 0;
	}
	rc = genl_connect(sk);
	scratch_leave(ns);
	if (rc == 0)
		rc = genl_ctrl_resolve(sk, "l2tp");
	nl_socket_free(sk);
	if (rc < 0) {
		put_detail(detail, len, "generic netlink family l2tp: %s%s", nl_geterror(rc),
		           rc == -NLE_OBJ_NOTFOUND ? " (no l2tp_netlink)" : "");
		return 0;
	}
	put_detail(detail, len, "generic netlink family l2tp: id %d", rc);
	return 1;
}

/* ---- ppp: /dev/ppp, or a private 108:0 node when there is no /dev/ppp ---- */

/*
** A tmpfs mounted nowhere: its fd is the only way in, and the kernel frees
** it (and any node in it) when the fd closes, even on SIGKILL. Devices work
** on it (no MOUNT_ATTR_NODEV). Returns the fd, or -1 with errno set.
*/
static int ppp_scratch_mount(const char **step)
{
	int fs, mnt, err;

	*step = "fsopen tmpfs";
	fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
	if (fs < 0)
		return -1;
	*step = "creating a tmpfs";
	if (fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0700", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
		err = errno;
		close(fs);
		errno = err;
		return -1;
	}
	*step = "fsmount";
	mnt = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC);
	err = errno;
	close(fs);
	errno = err;
	return mnt;
}

/*
** No /dev/ppp (devtmpfs makes it only once ppp_generic is loaded): make a
** 108:0 node and open it, which makes the kernel request char-major-108.
** Where the node lives matters: under the host's /tmp a SIGKILL between
** mknod and unlink leaves it behind; O_TMPFILE makes regular files only;
** the runner's private /run is mounted nodev, so a node there would not
** open. A detached tmpfs (ppp_scratch_mount) is private and cannot outlive
** this process.
*/
static int ppp_private_node(char *detail, size_t len)
{
	const char *step;
	int mnt = ppp_scratch_mount(&step), fd, err;

	if (mnt < 0) {
		put_detail(detail, len, "no /dev/ppp; %s: %s", step, strerror(errno));
		return 0;
	}
	if (mknodat(mnt, "ppp", S_IFCHR | 0600, makedev(108, 0)) < 0) {
		put_detail(detail, len, "no /dev/ppp; mknod char 108:0: %s", strerror(errno));
		close(mnt);
		return 0;
	}
	fd = openat(mnt, "ppp", O_RDWR | O_CLOEXEC);
	err = errno;
	close(mnt);
	if (fd < 0) {
		put_detail(detail, len, "no /dev/ppp; open char 108:0: %s", strerror(err));
		return 0;
	}
	close(fd);
	put_detail(detail, len, "no /dev/ppp node, but char 108:0 opens");
	return 1;
}

static int probe_ppp(char *detail, size_t len)
{
	int fd = open("/dev/ppp", O_RDWR | O_CLOEXEC);

	if (fd >= 0) {
		close(fd);
		put_detail(detail, len, "/dev/ppp opens");
		return 1;
	}
	if (errno != ENOENT) {
		put_detail(detail, len, "open /dev/ppp: %s", strerror(errno));
		return 0;
	}
	return ppp_private_node(detail, len);
}

/* ---- netem: a root netem qdisc on the scratch namespace's lo ---- */

static const char netem_step_link[] = "lo up", netem_step_qdisc[] = "netem qdisc on lo";

/* lo up, then RTM_NEWQDISC netem delay 1ms as root qdisc. 0 or a libnl error. */
static int netem_add(struct nl_sock *sk, const char **step)
{
	struct rtnl_link *lo = NULL, *up = rtnl_link_alloc();
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();
	int rc = -NLE_NOMEM;

	*step = netem_step_link;
	if (up == NULL || q == NULL)
		goto done;
	rc = rtnl_link_get_kernel(sk, 0, "lo", &lo);
	if (rc < 0)
		goto done;
	rtnl_link_set_flags(up, IFF_UP);
	rc = rtnl_link_change(sk, lo, up, 0);
	if (rc < 0)
		goto done;
	*step = netem_step_qdisc;
	rtnl_tc_set_ifindex(TC_CAST(q), rtnl_link_get_ifindex(lo));
	rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
	rc = rtnl_tc_set_kind(TC_CAST(q), "netem");
	if (rc < 0)
		goto done;
	rtnl_netem_set_delay(q, 1000);
	rc = rtnl_qdisc_add(sk, q, NLM_F_CREATE);
done:
	rtnl_qdisc_put(q);
	rtnl_link_put(up);
	rtnl_link_put(lo);
	return rc;
}

static int probe_netem(char *detail, size_t len)
{
	struct nl_sock *sk = nl_socket_alloc();
	const char *step = "netlink socket";
	int ns, rc = -NLE_NOMEM;

	if (sk == NULL)
		goto done;
	ns = scratch_enter(detail, len);
	if (ns < 0) {
		nl_socket_free(sk);
		return 0;
	}
	rc = nl_connect(sk, NETLINK_ROUTE);
	scratch_leave(ns);
	if (rc == 0)
		rc = netem_add(sk, &step);
done:
	nl_socket_free(sk);
	if (rc < 0) {
		/* RTM_NEWQDISC answers ENOENT for a kind no loaded module provides. */
		put_detail(detail, len, "%s: %s%s", step, nl_geterror(rc),
		           rc == -NLE_OBJ_NOTFOUND && step == netem_step_qdisc ? " (no sch_netem)" : "");
		return 0;
	}
	put_detail(detail, len, "%s: added", netem_step_qdisc);
	return 1;
}

/* ---- userns: unshare(CLONE_NEWUSER) in a child (a threaded caller cannot) ---- */

static int probe_userns(char *detail, size_t len)
{
	int status;
	pid_t pid = fork(), r;

	if (pid < 0) {
		put_detail(detail, len, "fork: %s", strerror(errno));
		return 0;
	}
	if (pid == 0)   /* the child reports errno as its exit status */
		_exit(unshare(CLONE_NEWUSER) == 0 ? 0 : (errno > 0 && errno < 256 ? errno : 255));
	do
		r = waitpid(pid, &status, 0);
	while (r < 0 && errno == EINTR);
	if (r < 0 || !WIFEXITED(status)) {
		put_detail(detail, len, "unshare(CLONE_NEWUSER) child: %s",
		           r < 0 ? strerror(errno) : "killed");
		return 0;
	}
	if (WEXITSTATUS(status) != 0) {
		put_detail(detail, len, "unshare(CLONE_NEWUSER): %s", strerror(WEXITSTATUS(status)));
		return 0;
	}
	put_detail(detail, len, "unshare(CLONE_NEWUSER): ok");
	return 1;
}

/* ---- nftables: what the lab's NAT needs, in a scratch namespace ---- */

static const char nft_probe_ruleset[] =
	"add table ip probe\n"
	"add chain ip probe post { type nat hook postrouting priority srcnat; }\n"
	"add rule ip probe post masquerade\n";

static int probe_nftables(char *detail, size_t len)
{
	char err[256];
	int ns = netns_new(err, sizeof(err)), rc;

	if (ns < 0) {
		put_detail(detail, len, "scratch namespace: %s", err);
		return 0;
	}
	rc = netfilter_apply(ns, nft_probe_ruleset, err, sizeof(err));
	close(ns);
	if (rc < 0) {
		put_detail(detail, len, "nat table with masquerade: %s", err);
		return 0;
	}
	put_detail(detail, len, "nat table with masquerade: accepted");
	return 1;
}

int probe_feature(enum feature f, char *detail, size_t detaillen)
{
	switch (f) {
	case FEATURE_ESP:
		return xfrm_try(IPPROTO_ESP, detail, detaillen);
	case FEATURE_AH:
		return xfrm_try(IPPROTO_AH, detail, detaillen);
	case FEATURE_L2TP:
		return probe_l2tp(detail, detaillen);
	case FEATURE_PPP:
		return probe_ppp(detail, detaillen);
	case FEATURE_NETEM:
		return probe_netem(detail, detaillen);
	case FEATURE_USERNS:
		return probe_userns(detail, detaillen);
	case FEATURE_NFTABLES:
		return probe_nftables(detail, detaillen);
	case FEATURE_COUNT:
		break;
	}
	put_detail(detail, detaillen, "unknown feature %d", (int)f);
	return 0;
}

void features_init(struct features *fs)
{
	int i;

	for (i = 0; i < FEATURE_COUNT; i++) {
		fs->state[i] = -1;
		fs->detail[i][0] = '\0';
	}
}

int features_has(struct features *fs, enum feature f)
{
	if ((unsigned)f >= FEATURE_COUNT)
		return 0;
	if (fs->state[f] < 0)
		fs->state[f] = (signed char)probe_feature(f, fs->detail[f], sizeof(fs->detail[f]));
	return fs->state[f];
}
