/*
** inner.c: see inner.h. The keyring is a short list (a lab has a handful
** of SAs, a rekey adds two), searched linearly.
*/
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "wire/inner.h"

void esp_keyring_init(struct esp_keyring *kr)
{
	memset(kr, 0, sizeof(*kr));
}

void esp_keyring_free(struct esp_keyring *kr)
{
	free(kr->sa);
	free(kr->given);
	kr->sa = NULL;
	kr->given = NULL;
	kr->n = kr->cap = 0;
}

static int same_keys(const struct esp_sa *a, const struct esp_sa *b)
{
	return a->spi == b->spi && a->encr == b->encr && a->integ == b->integ &&
	       a->key_len == b->key_len && a->auth_key_len == b->auth_key_len &&
	       memcmp(a->key, b->key, a->key_len) == 0 && memcmp(a->salt, b->salt, ESP_SALT_LEN) == 0 &&
	       memcmp(a->auth_key, b->auth_key, a->auth_key_len) == 0;
}

int esp_keyring_add(struct esp_keyring *kr, const struct esp_sa *sa, int given)
{
	for (size_t i = 0; i < kr->n; i++)
		if (kr->given[i] == given && same_keys(&kr->sa[i], sa))
			return 0;
	if (kr->n == kr->cap) {
		size_t cap = kr->cap ? kr->cap * 2 : 8;
		struct esp_sa *s = realloc(kr->sa, cap * sizeof(*s));
		if (s == NULL)
			return -1;
		kr->sa = s;
		int *g = realloc(kr->given, cap * sizeof(*g));
		if (g == NULL)
			return -1;
		kr->given = g;
		kr->cap = cap;
	}
	kr->sa[kr->n] = *sa;
	kr->given[kr->n] = given;
	kr->n++;
	return 1;
}

const struct esp_sa *esp_keyring_find(const struct esp_keyring *kr, uint32_t spi)
{
	const struct esp_sa *learned = NULL;

	for (size_t i = 0; i < kr->n; i++) {
		if (kr->sa[i].spi != spi)
			continue;
		if (kr->given[i])
			return &kr->sa[i];
		if (learned == NULL)
			learned = &kr->sa[i];
	}
	return learned;
}

int esp_keyring_write_wireshark(const struct esp_keyring *kr, FILE *f)
{
	for (size_t i = 0; i < kr->n; i++) {
		/* A learned SA that a given one overrides would decrypt nothing in Wireshark either. */
		if (!kr->given[i] && esp_keyring_find(kr, kr->sa[i].spi) != &kr->sa[i])
			continue;
		if (esp_sa_write_wireshark_any(f, &kr->sa[i]) < 0)
			return -1;
	}
	return 0;
}

void inner_decode(struct esp_keyring *kr, const uint8_t *frame, size_t caplen,
                  const struct pkt_facts *outer, struct inner_view *out)
{
	const struct esp_sa *sa;
	uint8_t plain[65536];
	struct esp_plain p = { plain, sizeof(plain), 0, 0, 0, 0 };
	int rc;

	memset(out, 0, sizeof(*out));
	if (kr == NULL || (outer->cls != PKT_ESP && outer->cls != PKT_ESP_UDP))
		return;
	sa = esp_keyring_find(kr, outer->esp_spi);
	if (sa == NULL && kr->refresh != NULL && kr->refresh(kr->refresh_ctx, kr) > 0)
		sa = esp_keyring_find(kr, outer->esp_spi);
	if (sa == NULL) {
		out->state = INNER_NO_KEY;
		return;
	}
	/* The dissector's offsets were bounds-checked against caplen; check again, cheaply. */
	if (!outer->esp_whole || outer->esp_off > caplen || outer->esp_len > caplen - outer->esp_off) {
		out->state = INNER_FAILED;
		out->status = ESP_TRUNCATED;
		return;
	}
	rc = esp_decrypt(sa, frame + outer->esp_off, outer->esp_len, &p);
	if (rc != ESP_OK) {
		out->state = INNER_FAILED;
		out->status = rc;
		return;
	}
	out->state = INNER_OK;
	out->next_header = p.next_header;
	dissect_inner(plain, p.len, p.next_header, outer, &out->f);
}

const char *inner_state_text(const struct inner_view *v)
{
	switch (v->state) {
	case INNER_NONE: return "not ESP";
	case INNER_NO_KEY: return "no key";
	case INNER_OK: return "decrypted";
	default: return esp_status_text(v->status);
	}
}
