/*
** test_espsa: Wireshark's esp_sa lines, as esp_sa_write_wireshark writes
** them for every algorithm vpnlab decrypts, read back by
** espsa_read_wireshark into the same SAs; comments and blank lines
** skipped; and each kind of bad line refused with its line number.
*/
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire/espsa.h"
#include "unit.h"

/* An SA of each algorithm pair, keys counting up from seed. */
static struct esp_sa make_sa(uint32_t spi, enum esp_encr e, size_t klen, enum esp_integ g, size_t alen, int seed)
{
	struct esp_sa sa;

	memset(&sa, 0, sizeof sa);
	sa.spi = spi;
	sa.family = AF_INET;
	sa.encr = e;
	sa.key_len = klen;
	for (size_t i = 0; i < klen; i++)
		sa.key[i] = (uint8_t)(seed + i);
	if (e == ESP_ENCR_AES_GCM16_128 || e == ESP_ENCR_AES_GCM16_256)
		memcpy(sa.salt, "\xde\xad\xbe\xef", 4);
	sa.integ = g;
	sa.auth_key_len = alen;
	for (size_t i = 0; i < alen; i++)
		sa.auth_key[i] = (uint8_t)(seed * 3 + i);
	return sa;
}

static int same_sa(const struct esp_sa *a, const struct esp_sa *b)
{
	return a->spi == b->spi && a->encr == b->encr && a->key_len == b->key_len &&
	       memcmp(a->key, b->key, a->key_len) == 0 && memcmp(a->salt, b->salt, 4) == 0 &&
	       a->integ == b->integ && a->auth_key_len == b->auth_key_len &&
	       memcmp(a->auth_key, b->auth_key, a->auth_key_len) == 0;
}

/* Read text as an esp_sa file into kr; the return of espsa_read_wireshark. */
static int read_text(const char *text, struct esp_keyring *kr, char *err, size_t errlen)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int rc = espsa_read_wireshark(f, kr, err, errlen);

	fclose(f);
	return rc;
}

static void test_round_trip(void)
{
	struct esp_sa sas[] = {
		make_sa(0xc6f6d5bbu, ESP_ENCR_AES_CBC_128, 16, ESP_INTEG_HMAC_SHA256_128, 32, 1),
		make_sa(0x00000001u, ESP_ENCR_AES_CBC_192, 24, ESP_INTEG_HMAC_SHA1_96, 20, 2),
		make_sa(0xffffffffu, ESP_ENCR_AES_CBC_256, 32, ESP_INTEG_HMAC_SHA384_192, 48, 3),
		make_sa(0x12345678u, ESP_ENCR_AES_GCM16_128, 16, ESP_INTEG_NONE, 0, 4),
		make_sa(0x9abcdef0u, ESP_ENCR_AES_GCM16_256, 32, ESP_INTEG_NONE, 0, 5),
		make_sa(0x0badf00du, ESP_ENCR_NULL, 0, ESP_INTEG_HMAC_SHA512_256, 64, 6),
	};
	size_t n = sizeof sas / sizeof sas[0], len = 0;
	char *text = NULL, err[160];
	FILE *f = open_memstream(&text, &len);
	struct esp_keyring kr;
	int bad = 0;

	fputs("# written by esp_sa_write_wireshark\n\n", f);
	for (size_t i = 0; i < n; i++)
		bad += esp_sa_write_wireshark_any(f, &sas[i]) < 0;
	fclose(f);
	is_int(bad, 0, "round trip: six SAs written");
	esp_keyring_init(&kr);
	is_int(read_text(text, &kr, err, sizeof err), 0, "round trip: read back");
	is_int(kr.n, n, "round trip: six SAs, the comment and blank line skipped");
	bad = 0;
	for (size_t i = 0; i < n && i < kr.n; i++)
		bad += !same_sa(&kr.sa[i], &sas[i]) || esp_keyring_find(&kr, sas[i].spi) != &kr.sa[i] || !kr.given[i];
	is_int(bad, 0, "round trip: AES-CBC 128/192/256, AES-GCM 128/256 (salt), NULL; every HMAC: the same SAs, found by SPI");
	esp_keyring_free(&kr);
	free(text);
}

static void test_bad_lines(void)
{
	static const struct { const char *line, *want; } cases[] = {
		{ "IPv4,*,*,0x1,NULL,,NULL,\n", "line 2: not 8 quoted fields" },
		{ "\"IPv4\",\"*\",\"*\",\"0x1\",\"NULL\",\"\",\"NULL\"\n", "line 2: not 8 quoted fields" },
		{ "\"IPv5\",\"*\",\"*\",\"0x1\",\"NULL\",\"\",\"NULL\",\"\"\n", "line 2: protocol 'IPv5'" },
		{ "\"IPv4\",\"*\",\"*\",\"1\",\"NULL\",\"\",\"NULL\",\"\"\n", "line 2: SPI '1' is not 0x" },
		{ "\"IPv4\",\"*\",\"*\",\"0x123456789\",\"NULL\",\"\",\"NULL\",\"\"\n", "line 2: SPI '0x123456789'" },
		{ "\"IPv4\",\"*\",\"*\",\"0x1\",\"TripleDES-CBC [RFC2451]\",\"0x00\",\"NULL\",\"\"\n",
		  "line 2: unsupported encryption 'TripleDES-CBC [RFC2451]'" },
		{ "\"IPv4\",\"*\",\"*\",\"0x1\",\"AES-CBC [RFC3602]\",\"0x0011\",\"NULL\",\"\"\n",
		  "line 2: a key of 2 bytes does not fit 'AES-CBC [RFC3602]'" },
		{ "\"IPv4\",\"*\",\"*\",\"0x1\",\"AES-CBC [RFC3602]\",\"0x00112233445566778899aabbccddeeff\",\"NULL\",\"\"\n",
		  "line 2: no authentication: only AES-GCM goes without" },
		{ "\"IPv4\",\"*\",\"*\",\"0x1\",\"NULL\",\"\",\"HMAC-SHA-1-96 [RFC2404]\",\"0x00\"\n",
		  "line 2: 'HMAC-SHA-1-96 [RFC2404]' needs a key of 20 bytes" },
		{ "\"IPv4\",\"*\",\"*\",\"0x1\",\"NULL\",\"\",\"HMAC-MD5-96 [RFC2403]\",\"0x00\"\n",
		  "line 2: unsupported authentication" },
		{ "\"IPv4\",\"*\",\"*\",\"0x1\",\"AES-CBC [RFC3602]\",\"0x0g112233445566778899aabbccddeeff\",\"NULL\",\"\"\n",
		  "line 2: a key of -1 bytes" },
	};
	const char *good = "\"IPv4\",\"192.0.2.1\",\"*\",\"0xa\",\"NULL\",\"\",\"HMAC-SHA-1-96 [RFC2404]\","
	                   "\"0x0102030405060708090a0b0c0d0e0f1011121314\"\n";

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct esp_keyring kr;
		char text[512], err[200], what[160];
		int rc;

		snprintf(text, sizeof text, "%s%s", good, cases[i].line);
		esp_keyring_init(&kr);
		rc = read_text(text, &kr, err, sizeof err);
		snprintf(what, sizeof what, "bad line %zu: -1, the good line before it kept, says '%s'", i + 1, cases[i].want);
		if (!ok(rc == -1 && kr.n == 1 && strncmp(err, cases[i].want, strlen(cases[i].want)) == 0, what))
			printf("#   rc %d, %zu SAs, err '%s'\n", rc, kr.n, err);
		esp_keyring_free(&kr);
	}
}

int main(void)
{
	test_round_trip();
	test_bad_lines();
	return unit_done();
}
