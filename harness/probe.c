/*
** probe.c: see probe.h. The XFRM probe sends one XFRM_MSG_NEWSA with
** a transport-mode state; a kernel without esp4/ah4 answers EPROTONOSUPPORT.
*/
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/xfrm.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "probe.h"
#include "netns.h"

struct xfrm_probe_msg {
	struct nlmsghdr nh;
	struct xfrm_usersa_info sa;
	uint8_t attrs[512];
};

/* Append one netlink attribute holding an xfrm_algo with a zero key of keybits. */
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
	return send(sk, &m, m.nh.nlmsg_len, 0) < 0 ? -1 : 0;
}

/* The ack's error code: 0 for success, a negative errno otherwise. */
static int read_ack(int sk)
{
	uint8_t buf[1024];
	struct nlmsghdr nh;
	struct nlmsgerr e;
	ssize_t n = recv(sk, buf, sizeof(buf), 0);

	if (n < (ssize_t)(NLMSG_HDRLEN + sizeof(e)))
		return -EIO;
	memcpy(&nh, buf, sizeof(nh));
	if (nh.nlmsg_type != NLMSG_ERROR)
		return -EIO;
	memcpy(&e, buf + NLMSG_HDRLEN, sizeof(e));
	return e.error;
}

int probe_xfrm(int proto)
{
	char err[256];
	int ns = netns_new(err, sizeof(err)), sk = -1, result = 0;
	struct timeval tv = { 5, 0 };

	if (ns < 0)
		return 0;
	if (netns_enter(ns) == 0) {
		sk = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_XFRM);
		netns_leave();
	}
	if (sk >= 0) {
		setsockopt(sk, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (send_probe(sk, proto) == 0)
			result = read_ack(sk) == 0;
		close(sk);
	}
	close(ns);
	return result;
}
