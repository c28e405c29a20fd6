/*
** inner: the decrypted view of an ESP packet. A keyring holds the SAs the
** run knows (learned from the kernel's XFRM, or given by the scenario);
** inner_decode finds a packet's SA by its SPI, decrypts it (wire/esp.c)
** and dissects what was inside (wire/dissect.c). A packet whose SA is
** unknown is "no key"; one whose integrity check fails is "undecryptable":
** the view never shows facts the keys did not prove.
*/
#ifndef VPNLAB_INNER_H
#define VPNLAB_INNER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "wire/dissect.h"
#include "wire/esp.h"

enum inner_state {
	INNER_NONE = 0,     /* not an ESP packet (or no keyring) */
	INNER_NO_KEY,       /* no SA with this SPI is known */
	INNER_FAILED,       /* an SA is known, and decryption failed (see inner_view.status) */
	INNER_OK,           /* decrypted and authenticated: f holds the inner packet */
};

struct inner_view {
	enum inner_state state;
	int status;               /* the enum esp_status of INNER_FAILED (ESP_BAD_ICV: wrong key) */
	uint8_t next_header;      /* INNER_OK: 4 tunnel mode (IPv4), 17 UDP, ... */
	struct pkt_facts f;       /* INNER_OK: the inner packet's facts */
};

struct esp_keyring {
	struct esp_sa *sa;
	int *given;               /* 1: from the scenario (it wins over what XFRM says) */
	size_t n, cap;
	/* Asked once when a SPI is not in the ring: read what the key source has learned since. */
	int (*refresh)(void *ctx, struct esp_keyring *kr);
	void *refresh_ctx;
};

void esp_keyring_init(struct esp_keyring *kr);
void esp_keyring_free(struct esp_keyring *kr);
/*
** Add an SA; one with the same SPI and the same keys is not added twice.
** given = 1 for an SA the scenario states: it is used before any learned
** SA of the same SPI. 1 added, 0 already there, -1 out of memory.
*/
int esp_keyring_add(struct esp_keyring *kr, const struct esp_sa *sa, int given);
/* The SA for spi (a given one first), or NULL. */
const struct esp_sa *esp_keyring_find(const struct esp_keyring *kr, uint32_t spi);
/*
** Wireshark's esp_sa file: one line per SA, with "*" for both addresses
** (a NAT rewrites the outer addresses, so the SA's own ones would not match
** every link's pcap). 0, or -1 with errno set.
*/
int esp_keyring_write_wireshark(const struct esp_keyring *kr, FILE *f);

/*
** The inner view of one captured frame already dissected into outer. Does
** nothing (INNER_NONE) unless outer is ESP, raw or in UDP. A SPI not in the
** ring makes one refresh call before it counts as INNER_NO_KEY.
*/
void inner_decode(struct esp_keyring *kr, const uint8_t *frame, size_t caplen,
                  const struct pkt_facts *outer, struct inner_view *out);

/* "decrypted", "no key", "undecryptable (ICV mismatch)", ... */
const char *inner_state_text(const struct inner_view *v);

#endif
