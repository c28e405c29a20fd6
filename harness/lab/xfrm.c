/*
** xfrm.c: see xfrm.h. The kernel's SA notifications (XFRM_MSG_NEWSA,
** XFRM_MSG_UPDSA) carry the whole state, algorithms and keys included; the
** same message comes from a dump. libnl's xfrmnl_sa_parse reads either,
** and sa_to_esp maps the kernel's algorithm names (crypto API names) to
** what wire/esp.c can decrypt.
*/
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/xfrm.h>
#include <netinet/in.h>
#include <netlink/addr.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <netlink/xfrm/sa.h>

#include "lab/netns.h"
#include "lab/xfrm.h"

struct xfrm_ns {
	int nsfd;                 /* borrowed from the lab */
	struct nl_sock *sk;       /* subscribed to XFRMNLGRP_SA */
};

struct xfrm_watch {
	struct xfrm_ns *ns;
	size_t n;
};

/* The largest key the kernel may report (bits): far above any algorithm's. */
#define XFRM_KEY_BYTES 512

static int copy_addr(struct nl_addr *a, int family, uint8_t out[16])
{
	size_t len = family == AF_INET ? 4 : 16;

	if (a == NULL || nl_addr_get_len(a) != len)
		return -1;
	memcpy(out, nl_addr_get_binary_addr(a), len);
	return 0;
}

/* "rfc4106(gcm(aes))" with a 16-octet ICV: key || 4-octet salt (RFC 4106 8.1). */
static int aead_params(struct xfrmnl_sa *x, struct esp_sa *sa)
{
	char name[128];
	unsigned bits = 0, icv = 0;
	uint8_t key[XFRM_KEY_BYTES];

	if (xfrmnl_sa_get_aead_params(x, name, &bits, &icv, NULL) < 0)
		return 0;                       /* no AEAD on this SA */
	if (strcmp(name, "rfc4106(gcm(aes))") != 0 || icv != 128 || (bits != 160 && bits != 288))
		return -1;
	xfrmnl_sa_get_aead_params(x, name, &bits, &icv, (char *)key);
	sa->encr = bits == 160 ? ESP_ENCR_AES_GCM16_128 : ESP_ENCR_AES_GCM16_256;
	sa->key_len = bits / 8 - ESP_SALT_LEN;
	memcpy(sa->key, key, sa->key_len);
	memcpy(sa->salt, key + sa->key_len, ESP_SALT_LEN);
	sa->integ = ESP_INTEG_NONE;
	return 1;
}

static int crypt_params(struct xfrmnl_sa *x, struct esp_sa *sa)
{
	char name[128];
	unsigned bits = 0;
	uint8_t key[XFRM_KEY_BYTES];

	if (xfrmnl_sa_get_crypto_params(x, name, &bits, NULL) < 0)
		return -1;
	if (strcmp(name, "ecb(cipher_null)") == 0) {
		sa->encr = ESP_ENCR_NULL;
		sa->key_len = 0;
		return 0;
	}
	if (strcmp(name, "cbc(aes)") != 0 || (bits != 128 && bits != 192 && bits != 256))
		return -1;
	xfrmnl_sa_get_crypto_params(x, name, &bits, (char *)key);
	sa->encr = bits == 128 ? ESP_ENCR_AES_CBC_128 : bits == 192 ? ESP_ENCR_AES_CBC_192
	                                                            : ESP_ENCR_AES_CBC_256;
	sa->key_len = bits / 8;
	memcpy(sa->key, key, sa->key_len);
	return 0;
}

static int auth_params(struct xfrmnl_sa *x, struct esp_sa *sa)
{
	static const struct { const char *name; unsigned trunc; enum esp_integ integ; } known[] = {
		{ "hmac(sha1)", 96, ESP_INTEG_HMAC_SHA1_96 },
		{ "hmac(sha256)", 128, ESP_INTEG_HMAC_SHA256_128 },
		{ "hmac(sha384)", 192, ESP_INTEG_HMAC_SHA384_192 },
		{ "hmac(sha512)", 256, ESP_INTEG_HMAC_SHA512_256 },
	};
	char name[128];
	unsigned bits = 0, trunc = 0;
	uint8_t key[XFRM_KEY_BYTES];

	if (xfrmnl_sa_get_auth_params(x, name, &bits, &trunc, NULL) < 0 || bits / 8 > ESP_AUTH_KEY_MAX)
		return -1;
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (strcmp(name, known[i].name) != 0 || trunc != known[i].trunc)
			continue;
		xfrmnl_sa_get_auth_params(x, name, &bits, &trunc, (char *)key);
		sa->integ = known[i].integ;
		sa->auth_key_len = bits / 8;
		memcpy(sa->auth_key, key, sa->auth_key_len);
		return 0;
	}
	return -1;
}

/* An ESP SA wire/esp.c can decrypt: 0, or -1 (not ESP, or algorithms it does not do). */
static int sa_to_esp(struct xfrmnl_sa *x, struct esp_sa *sa)
{
	int family = xfrmnl_sa_get_family(x), aead;

	memset(sa, 0, sizeof(*sa));
	if (xfrmnl_sa_get_proto(x) != IPPROTO_ESP || (family != AF_INET && family != AF_INET6))
		return -1;
	sa->spi = (uint32_t)xfrmnl_sa_get_spi(x);   /* libnl gives it in host order */
	sa->family = family;
	if (copy_addr(xfrmnl_sa_get_saddr(x), family, sa->src) < 0 ||
	    copy_addr(xfrmnl_sa_get_daddr(x), family, sa->dst) < 0)
		return -1;
	aead = aead_params(x, sa);
	if (aead < 0)
		return -1;
	if (aead == 0 && (crypt_params(x, sa) < 0 || auth_params(x, sa) < 0))
		return -1;
	return 0;
}

struct poll_state {
	struct esp_keyring *kr;
	int added;
};

static int on_message(struct nl_msg *msg, void *arg)
{
	struct poll_state *st = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct xfrmnl_sa *x = NULL;
	struct esp_sa sa;

	if (h->nlmsg_type != XFRM_MSG_NEWSA && h->nlmsg_type != XFRM_MSG_UPDSA)
		return NL_OK;
	if (xfrmnl_sa_parse(h, &x) < 0)
		return NL_OK;
	if (sa_to_esp(x, &sa) == 0 && esp_keyring_add(st->kr, &sa, 0) > 0)
		st->added++;
	xfrmnl_sa_put(x);
	return NL_OK;
}

/* A NETLINK_XFRM socket in nsfd (non-blocking when asked); NULL if the kernel has none. */
static struct nl_sock *xfrm_socket(int nsfd, int nonblock)
{
	struct nl_sock *sk = nl_socket_alloc();
	int r;

	if (sk == NULL)
		return NULL;
	if (netns_enter(nsfd) < 0) {
		nl_socket_free(sk);
		return NULL;
	}
	r = nl_connect(sk, NETLINK_XFRM);
	netns_leave();
	if (r < 0) {
		nl_socket_free(sk);
		return NULL;
	}
	fcntl(nl_socket_get_fd(sk), F_SETFD, FD_CLOEXEC);
	if (nonblock) {
		nl_socket_set_nonblocking(sk);
		nl_socket_disable_seq_check(sk);   /* events carry no sequence numbers of ours */
	}
	return sk;
}

/* Every ESP SA of one namespace, by a dump on a socket of its own. */
static int dump_into(int nsfd, struct esp_keyring *kr)
{
	struct poll_state st = { kr, 0 };
	struct nl_sock *sk = xfrm_socket(nsfd, 0);

	if (sk == NULL)
		return 0;
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, on_message, &st);
	if (nl_send_simple(sk, XFRM_MSG_GETSA, NLM_F_DUMP, NULL, 0) >= 0)
		nl_recvmsgs_default(sk);
	nl_socket_free(sk);
	return st.added;
}

struct xfrm_watch *xfrm_watch_open(const int *nsfds, size_t n)
{
	struct xfrm_watch *w = calloc(1, sizeof(*w));

	if (w == NULL || (w->ns = calloc(n ? n : 1, sizeof(*w->ns))) == NULL) {
		free(w);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		struct nl_sock *sk = xfrm_socket(nsfds[i], 1);
		if (sk == NULL)
			continue;
		if (nl_socket_add_membership(sk, XFRMNLGRP_SA) < 0) {
			nl_socket_free(sk);
			continue;
		}
		w->ns[w->n].nsfd = nsfds[i];
		w->ns[w->n].sk = sk;
		w->n++;
	}
	return w;
}

int xfrm_watch_poll(struct xfrm_watch *w, struct esp_keyring *kr)
{
	struct poll_state st = { kr, 0 };

	for (size_t i = 0; w != NULL && i < w->n; i++) {
		struct nl_sock *sk = w->ns[i].sk;
		int r;

		nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, on_message, &st);
		do
			r = nl_recvmsgs_default(sk);
		while (r >= 0);
		/* ENOBUFS (libnl: NLE_NOMEM): events were dropped; the kernel's table is the truth. */
		if (r == -NLE_NOMEM)
			st.added += dump_into(w->ns[i].nsfd, kr);
	}
	return st.added;
}

int xfrm_watch_refresh(void *ctx, struct esp_keyring *kr)
{
	return xfrm_watch_poll(ctx, kr);
}

size_t xfrm_watch_count(const struct xfrm_watch *w)
{
	return w ? w->n : 0;
}

void xfrm_watch_close(struct xfrm_watch *w)
{
	if (w == NULL)
		return;
	for (size_t i = 0; i < w->n; i++)
		nl_socket_free(w->ns[i].sk);
	free(w->ns);
	free(w);
}
