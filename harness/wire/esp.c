/*
** esp: ESP decryption with libcrypto (OpenSSL 3 EVP), and the SA as a line
** of Wireshark's esp_sa table.
**
** Validate, then parse: the layout (SPI, sequence, IV, ciphertext, ICV) is
** computed from the SA and checked against `len` before any byte is read,
** and every read goes through a cursor that refuses to pass the end. The ICV
** is checked (constant time) before the ciphertext is decrypted; AES-GCM
** checks its tag in EVP_DecryptFinal and the plaintext is wiped on failure.
*/
#include "wire/esp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#define ESP_HDR_LEN   8        /* SPI and sequence number */
#define ESP_TRAILER   2        /* pad length and next header */
#define ESP_GCM_ICV   16
#define ESP_MAX_LEN   65535    /* an IP datagram; also keeps EVP's int lengths safe */

struct encr_info {
	const char *cipher;        /* EVP name; NULL for ENCR_NULL */
	size_t key_len, iv_len, block;
	int aead;
	const char *ws_name;       /* Wireshark 4.0's esp_encryption_type_vals */
};

static const struct encr_info encrs[] = {
	[ESP_ENCR_NULL]          = { NULL, 0, 0, 4, 0, "NULL" },
	[ESP_ENCR_AES_CBC_128]   = { "AES-128-CBC", 16, 16, 16, 0, "AES-CBC [RFC3602]" },
	[ESP_ENCR_AES_CBC_192]   = { "AES-192-CBC", 24, 16, 16, 0, "AES-CBC [RFC3602]" },
	[ESP_ENCR_AES_CBC_256]   = { "AES-256-CBC", 32, 16, 16, 0, "AES-CBC [RFC3602]" },
	[ESP_ENCR_AES_GCM16_128] = { "AES-128-GCM", 16, 8, 4, 1, "AES-GCM with 16 octet ICV [RFC4106]" },
	[ESP_ENCR_AES_GCM16_256] = { "AES-256-GCM", 32, 8, 4, 1, "AES-GCM with 16 octet ICV [RFC4106]" },
};

struct integ_info {
	const char *digest;        /* EVP digest name for HMAC */
	size_t icv_len;
	const char *ws_name;       /* Wireshark 4.0's esp_authentication_type_vals */
};

static const struct integ_info integs[] = {
	[ESP_INTEG_NONE]            = { NULL, 0, "NULL" },
	[ESP_INTEG_HMAC_SHA1_96]    = { "SHA1", 12, "HMAC-SHA-1-96 [RFC2404]" },
	[ESP_INTEG_HMAC_SHA256_128] = { "SHA256", 16, "HMAC-SHA-256-128 [RFC4868]" },
	[ESP_INTEG_HMAC_SHA384_192] = { "SHA384", 24, "HMAC-SHA-384-192 [RFC4868]" },
	[ESP_INTEG_HMAC_SHA512_256] = { "SHA512", 32, "HMAC-SHA-512-256 [RFC4868]" },
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- bounds-checked cursor ------------------------------------------------ */

struct esp_cur {
	const uint8_t *p;
	size_t len, off;
};

/* The next n bytes, or NULL (and nothing consumed) when fewer are left. */
static const uint8_t *cur_take(struct esp_cur *c, size_t n)
{
	const uint8_t *at;

	if (n > c->len - c->off)
		return NULL;
	at = c->p + c->off;
	c->off += n;
	return at;
}

static uint32_t be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* ---- SA checks and packet layout ----------------------------------------- */

/* The SA's tables, or NULL when the algorithms, key lengths or pairing are not supported. */
static const struct encr_info *sa_encr(const struct esp_sa *sa, const struct integ_info **ig)
{
	const struct encr_info *e;

	if ((unsigned)sa->encr >= COUNT(encrs) || (unsigned)sa->integ >= COUNT(integs))
		return NULL;
	e = &encrs[sa->encr];
	*ig = &integs[sa->integ];
	if (sa->key_len != e->key_len)
		return NULL;
	/* AEAD carries its own ICV; anything else must have one (a wrong key
	** would otherwise go unnoticed) */
	if (e->aead != (sa->integ == ESP_INTEG_NONE))
		return NULL;
	if (sa->auth_key_len > ESP_AUTH_KEY_MAX || (!e->aead && sa->auth_key_len == 0))
		return NULL;
	return e;
}

struct esp_layout {
	const uint8_t *hdr, *iv, *ct, *icv;
	size_t iv_len, ct_len, icv_len;
};

/* Split the packet; ESP_TRUNCATED when it cannot hold every part. */
static int esp_split(const struct encr_info *e, const struct integ_info *ig,
                     const uint8_t *esp, size_t len, struct esp_layout *l)
{
	struct esp_cur c = { esp, len, 0 };
	size_t min_ct = e->block > ESP_TRAILER ? e->block : ESP_TRAILER;

	l->iv_len = e->iv_len;
	l->icv_len = e->aead ? ESP_GCM_ICV : ig->icv_len;
	if (len < ESP_HDR_LEN + l->iv_len + min_ct + l->icv_len)
		return ESP_TRUNCATED;
	l->ct_len = len - ESP_HDR_LEN - l->iv_len - l->icv_len;
	l->hdr = cur_take(&c, ESP_HDR_LEN);
	l->iv = cur_take(&c, l->iv_len);
	l->ct = cur_take(&c, l->ct_len);
	l->icv = cur_take(&c, l->icv_len);
	if (!l->hdr || !l->iv || !l->ct || !l->icv || c.off != len)
		return ESP_TRUNCATED;
	return ESP_OK;
}

/* ---- integrity and decryption -------------------------------------------- */

/* HMAC over SPI|seq|IV|ciphertext, truncated, compared in constant time. */
static int esp_check_hmac(const struct esp_sa *sa, const struct integ_info *ig,
                          const uint8_t *esp, const struct esp_layout *l)
{
	uint8_t mac[EVP_MAX_MD_SIZE];
	size_t covered = ESP_HDR_LEN + l->iv_len + l->ct_len, maclen = 0;

	if (!EVP_Q_mac(NULL, "HMAC", NULL, ig->digest, NULL, sa->auth_key, sa->auth_key_len,
	               esp, covered, mac, sizeof(mac), &maclen))
		return ESP_CRYPTO_ERROR;
	if (maclen < l->icv_len)
		return ESP_CRYPTO_ERROR;
	if (CRYPTO_memcmp(mac, l->icv, l->icv_len) != 0)
		return ESP_BAD_ICV;
	return ESP_OK;
}

/*
** AES-CBC (no padding of its own: ESP pads) or AES-GCM (nonce salt|IV, AAD
** SPI|seq, tag = ICV) into out->buf. ESP_BAD_ICV when the GCM tag fails.
*/
static int esp_cipher(const struct esp_sa *sa, const struct encr_info *e,
                      const struct esp_layout *l, uint8_t *buf)
{
	EVP_CIPHER *cipher = NULL;
	EVP_CIPHER_CTX *ctx = NULL;
	uint8_t nonce[ESP_SALT_LEN + 8];
	const uint8_t *iv = l->iv;
	int n = 0, fin = 0, rc = ESP_CRYPTO_ERROR;

	if (!(cipher = EVP_CIPHER_fetch(NULL, e->cipher, NULL)) || !(ctx = EVP_CIPHER_CTX_new()))
		goto done;
	if (e->aead) {
		memcpy(nonce, sa->salt, ESP_SALT_LEN);
		memcpy(nonce + ESP_SALT_LEN, l->iv, l->iv_len);
		iv = nonce;
	}
	if (!EVP_DecryptInit_ex2(ctx, cipher, sa->key, iv, NULL))
		goto done;
	if (e->aead) {
		if (!EVP_DecryptUpdate(ctx, NULL, &n, l->hdr, ESP_HDR_LEN) ||
		    !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, (int)l->icv_len, (void *)l->icv))
			goto done;
	} else if (!EVP_CIPHER_CTX_set_padding(ctx, 0)) {
		goto done;
	}
	if (!EVP_DecryptUpdate(ctx, buf, &n, l->ct, (int)l->ct_len))
		goto done;
	if (EVP_DecryptFinal_ex(ctx, buf + n, &fin) <= 0) {
		rc = e->aead ? ESP_BAD_ICV : ESP_CRYPTO_ERROR;
		goto done;
	}
	rc = (size_t)n + (size_t)fin == l->ct_len ? ESP_OK : ESP_CRYPTO_ERROR;
done:
	EVP_CIPHER_CTX_free(ctx);
	EVP_CIPHER_free(cipher);
	return rc;
}

/* RFC 4303 §2.4: pad length and next header last, padding bytes 1, 2, 3, ... */
static int esp_trailer(const uint8_t *pt, size_t ct_len, struct esp_plain *out)
{
	size_t padlen = pt[ct_len - 2], i, start;

	if (padlen + ESP_TRAILER > ct_len)
		return ESP_BAD_PADDING;
	start = ct_len - ESP_TRAILER - padlen;
	for (i = 0; i < padlen; i++)
		if (pt[start + i] != (uint8_t)(i + 1))
			return ESP_BAD_PADDING;
	out->next_header = pt[ct_len - 1];
	out->len = start;
	return ESP_OK;
}

int esp_decrypt(const struct esp_sa *sa, const uint8_t *esp, size_t len, struct esp_plain *out)
{
	const struct encr_info *e;
	const struct integ_info *ig = NULL;
	struct esp_layout l;
	int rc;

	out->len = 0;
	out->next_header = 0;
	out->spi = out->seq = 0;
	if (!(e = sa_encr(sa, &ig)) || len > ESP_MAX_LEN)
		return ESP_UNSUPPORTED;
	if ((rc = esp_split(e, ig, esp, len, &l)) != ESP_OK)
		return rc;
	if (!out->buf || out->cap < l.ct_len)
		return ESP_NOSPACE;
	out->spi = be32(l.hdr);
	out->seq = be32(l.hdr + 4);
	/* the ciphertext ends on the cipher's block and a 4-byte boundary:
	** checked once the bytes are known to be authentic */
	if (!e->aead) {
		if ((rc = esp_check_hmac(sa, ig, esp, &l)) != ESP_OK)
			return rc;
		if (l.ct_len % e->block != 0)
			return ESP_BAD_PADDING;
	}
	if (e->cipher)
		rc = esp_cipher(sa, e, &l, out->buf);
	else
		memcpy(out->buf, l.ct, l.ct_len);
	if (rc == ESP_OK && l.ct_len % e->block != 0)
		rc = ESP_BAD_PADDING;
	if (rc == ESP_OK)
		rc = esp_trailer(out->buf, l.ct_len, out);
	if (rc != ESP_OK) {
		OPENSSL_cleanse(out->buf, l.ct_len);
		out->len = 0;
		out->next_header = 0;
	}
	return rc;
}

const char *esp_status_text(int status)
{
	switch (status) {
	case ESP_OK:           return "ok";
	case ESP_TRUNCATED:    return "truncated";
	case ESP_BAD_ICV:      return "undecryptable (ICV mismatch: wrong key or altered packet)";
	case ESP_BAD_PADDING:  return "invalid padding";
	case ESP_UNSUPPORTED:  return "unsupported SA";
	case ESP_NOSPACE:      return "buffer too small";
	case ESP_CRYPTO_ERROR: return "libcrypto error";
	}
	return "unknown";
}

/* ---- Wireshark's esp_sa table -------------------------------------------- */

/* "0x" and the bytes in lower-case hex, or "" when there are none. */
static int write_hex(FILE *f, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	size_t i;

	if (fputc('"', f) == EOF)
		return -1;
	if (alen + blen > 0 && fputs("0x", f) == EOF)
		return -1;
	for (i = 0; i < alen + blen; i++)
		if (fprintf(f, "%02x", i < alen ? a[i] : b[i - alen]) < 0)
			return -1;
	return fputc('"', f) == EOF ? -1 : 0;
}

/* any: "*" for both addresses (Wireshark's wildcard) instead of the SA's own. */
static int write_line(FILE *f, const struct esp_sa *sa, int any)
{
	const struct encr_info *e;
	const struct integ_info *ig = NULL;
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	int gcm;

	if (!(e = sa_encr(sa, &ig)) || (sa->family != AF_INET && sa->family != AF_INET6)) {
		errno = EINVAL;
		return -1;
	}
	if (any) {
		snprintf(src, sizeof(src), "*");
		snprintf(dst, sizeof(dst), "*");
	} else if (!inet_ntop(sa->family, sa->src, src, sizeof(src)) ||
	           !inet_ntop(sa->family, sa->dst, dst, sizeof(dst))) {
		return -1;
	}
	gcm = e->aead;
	if (fprintf(f, "\"%s\",\"%s\",\"%s\",\"0x%08x\",\"%s\",",
	            sa->family == AF_INET ? "IPv4" : "IPv6", src, dst, sa->spi, e->ws_name) < 0 ||
	    write_hex(f, sa->key, sa->key_len, sa->salt, gcm ? ESP_SALT_LEN : 0) < 0 ||
	    fprintf(f, ",\"%s\",", ig->ws_name) < 0 ||
	    write_hex(f, sa->auth_key, sa->auth_key_len, NULL, 0) < 0 ||
	    fputc('\n', f) == EOF)
		return -1;
	return 0;
}

int esp_sa_write_wireshark(FILE *f, const struct esp_sa *sa)
{
	return write_line(f, sa, 0);
}

int esp_sa_write_wireshark_any(FILE *f, const struct esp_sa *sa)
{
	return write_line(f, sa, 1);
}
