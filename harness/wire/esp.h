/*
** esp: decrypt one ESP payload (RFC 4303) with a known SA, and describe
** the SA in Wireshark's esp_sa table format.
** Pure code apart from libcrypto: no I/O except the writer's FILE.
** The integrity check comes before anything else is believed: a wrong key
** gives ESP_BAD_ICV ("undecryptable"), never plausible-looking bytes.
*/
#ifndef VPNLAB_ESP_H
#define VPNLAB_ESP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum esp_encr {
	ESP_ENCR_NULL = 0,
	ESP_ENCR_AES_CBC_128,
	ESP_ENCR_AES_CBC_192,
	ESP_ENCR_AES_CBC_256,
	ESP_ENCR_AES_GCM16_128,     /* RFC 4106, 16-octet ICV */
	ESP_ENCR_AES_GCM16_256,
};

enum esp_integ {
	ESP_INTEG_NONE = 0,         /* only with AES-GCM (AEAD) */
	ESP_INTEG_HMAC_SHA1_96,     /* RFC 2404 */
	ESP_INTEG_HMAC_SHA256_128,  /* RFC 4868 */
	ESP_INTEG_HMAC_SHA384_192,
	ESP_INTEG_HMAC_SHA512_256,
};

/* Outcomes of esp_decrypt; ESP_OK is 0, the others name the failure. */
enum esp_status {
	ESP_OK = 0,
	ESP_TRUNCATED,      /* too short for SPI, sequence, IV, trailer and ICV */
	ESP_BAD_ICV,        /* integrity check failed: wrong key or altered bytes */
	ESP_BAD_PADDING,    /* authentic, but the padding or alignment is wrong */
	ESP_UNSUPPORTED,    /* the SA's algorithms, key lengths or combination */
	ESP_NOSPACE,        /* the caller's buffer is smaller than the ciphertext */
	ESP_CRYPTO_ERROR,   /* libcrypto failed (allocation, provider missing) */
};

#define ESP_KEY_MAX      32
#define ESP_AUTH_KEY_MAX 64
#define ESP_SALT_LEN     4

struct esp_sa {
	uint32_t spi;               /* host byte order */
	int family;                 /* AF_INET or AF_INET6: which of src/dst is set */
	uint8_t src[16], dst[16];   /* network byte order; IPv4 in the first 4 bytes */
	enum esp_encr encr;
	uint8_t key[ESP_KEY_MAX];   /* key_len must match encr: 16, 24 or 32 (0 for NULL) */
	size_t key_len;
	uint8_t salt[ESP_SALT_LEN]; /* AES-GCM: the 4 octets after the key (RFC 4106 §8.1) */
	enum esp_integ integ;
	uint8_t auth_key[ESP_AUTH_KEY_MAX];
	size_t auth_key_len;
};

/*
** The decrypted payload. The caller sets buf and cap; esp_decrypt fills
** len, next_header, spi and seq. On any outcome but ESP_OK, len is 0 and the
** buffer holds no plaintext.
*/
struct esp_plain {
	uint8_t *buf;
	size_t cap;                 /* must be at least the ciphertext length (len of the ESP payload suffices) */
	size_t len;                 /* the inner packet (payload without padding and trailer) */
	uint8_t next_header;        /* 4: IPv4 (tunnel), 17: UDP (transport), 59: dummy packet, ... */
	uint32_t spi, seq;
};

/*
** Decrypt `len` bytes of ESP starting at the SPI (for ESP-in-UDP: after the
** UDP header; the caller strips it and rejects the non-ESP marker). Verifies
** the ICV first (HMAC over SPI|seq|IV|ciphertext; for AES-GCM the AAD is
** SPI|seq, no ESN), then decrypts and checks the RFC 4303 padding (1, 2, 3,
** ...). Returns an enum esp_status. Never reads past esp[len - 1].
*/
int esp_decrypt(const struct esp_sa *sa, const uint8_t *esp, size_t len, struct esp_plain *out);

/* Static text for an esp_status: "ok", "truncated", "undecryptable (ICV mismatch)", ... */
const char *esp_status_text(int status);

/*
** Write one line of Wireshark's esp_sa UAT file (the ESP preference
** "esp_sa" in the profile folder):
**   "IPv4","src","dst","0xSPI","encryption","0xkey","authentication","0xauthkey"
** For AES-GCM the key written includes the salt. Returns 0, or -1 with errno
** set (EINVAL for an SA it cannot describe, or the stdio error).
*/
int esp_sa_write_wireshark(FILE *f, const struct esp_sa *sa);
/* The same line with "*" (any address) for source and destination. */
int esp_sa_write_wireshark_any(FILE *f, const struct esp_sa *sa);

#endif
