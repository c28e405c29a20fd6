/*
** espsa.c: Wireshark's esp_sa table into a keyring (espsa.h). The inverse
** of esp_sa_write_wireshark: the same names, the same key layout, so the
** file a run writes for Wireshark gives vpnlab decode the same SAs.
*/
#include "wire/espsa.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "util/errf.h"

#define ESPSA_FIELDS 8
#define ESPSA_LINE   1024

static const struct { const char *name; enum esp_encr encr; size_t key_len; int gcm; } encrs[] = {
	{ "NULL", ESP_ENCR_NULL, 0, 0 },
	{ "AES-CBC [RFC3602]", ESP_ENCR_AES_CBC_128, 16, 0 },
	{ "AES-CBC [RFC3602]", ESP_ENCR_AES_CBC_192, 24, 0 },
	{ "AES-CBC [RFC3602]", ESP_ENCR_AES_CBC_256, 32, 0 },
	{ "AES-GCM with 16 octet ICV [RFC4106]", ESP_ENCR_AES_GCM16_128, 16, 1 },
	{ "AES-GCM with 16 octet ICV [RFC4106]", ESP_ENCR_AES_GCM16_256, 32, 1 },
};

static const struct { const char *name; enum esp_integ integ; size_t key_len; } integs[] = {
	{ "NULL", ESP_INTEG_NONE, 0 },
	{ "HMAC-SHA-1-96 [RFC2404]", ESP_INTEG_HMAC_SHA1_96, 20 },
	{ "HMAC-SHA-256-128 [RFC4868]", ESP_INTEG_HMAC_SHA256_128, 32 },
	{ "HMAC-SHA-384-192 [RFC4868]", ESP_INTEG_HMAC_SHA384_192, 48 },
	{ "HMAC-SHA-512-256 [RFC4868]", ESP_INTEG_HMAC_SHA512_256, 64 },
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/*
** The quoted, comma-separated fields of line, unquoted in place (a
** backslash keeps the next character). The number of fields, or -1 when
** the line is not of that shape.
*/
static int split_fields(char *line, char **fields, int max)
{
	char *p = line;
	int n = 0;

	while (*p == ' ' || *p == '\t')
		p++;
	while (*p && *p != '\n' && *p != '\r') {
		char *w;

		if (*p != '"')
			return -1;
		w = ++p;
		if (n < max)
			fields[n] = w;
		while (*p && *p != '"') {
			if (*p == '\\' && p[1])
				p++;
			*w++ = *p++;
		}
		if (*p != '"')
			return -1;
		*w = '\0';
		p++;
		n++;
		if (*p == ',')
			p++;
		else if (*p && *p != '\n' && *p != '\r')
			return -1;
	}
	return n;
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "0x..." hex (or "") into out: the number of bytes, or -1 (odd, not hex, too long). */
static long hex_bytes(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	for (; s[0] != '\0'; s += 2) {
		int hi = nibble(s[0]), lo = s[1] ? nibble(s[1]) : -1;

		if (hi < 0 || lo < 0 || n == cap)
			return -1;
		out[n++] = (uint8_t)(hi << 4 | lo);
	}
	return (long)n;
}

/* The encryption called name with its key in hex (the salt after it for GCM); 0, or -1 with why. */
static int parse_encr(const char *name, const char *hex, struct esp_sa *sa, char *why, size_t whylen)
{
	uint8_t buf[ESP_KEY_MAX + ESP_SALT_LEN];
	long n = hex_bytes(hex, buf, sizeof buf);
	int known = 0;

	for (size_t i = 0; i < COUNT(encrs); i++) {
		if (strcmp(encrs[i].name, name) != 0)
			continue;
		known = 1;
		if (n != (long)(encrs[i].key_len + (encrs[i].gcm ? ESP_SALT_LEN : 0)))
			continue;
		sa->encr = encrs[i].encr;
		sa->key_len = encrs[i].key_len;
		memcpy(sa->key, buf, sa->key_len);
		if (encrs[i].gcm)
			memcpy(sa->salt, buf + sa->key_len, ESP_SALT_LEN);
		return 0;
	}
	if (known)
		return errf(why, whylen, "a key of %ld bytes does not fit '%s'", n, name);
	return errf(why, whylen, "unsupported encryption '%s'", name);
}

static int parse_integ(const char *name, const char *hex, struct esp_sa *sa, char *why, size_t whylen)
{
	for (size_t i = 0; i < COUNT(integs); i++) {
		if (strcmp(integs[i].name, name) != 0)
			continue;
		if (hex_bytes(hex, sa->auth_key, sizeof sa->auth_key) != (long)integs[i].key_len)
			return errf(why, whylen, "'%s' needs a key of %zu bytes", name, integs[i].key_len);
		sa->integ = integs[i].integ;
		sa->auth_key_len = integs[i].key_len;
		return 0;
	}
	return errf(why, whylen, "unsupported authentication '%s'", name);
}

/* One line's SA; 0, or -1 with why. */
static int parse_line(char *line, struct esp_sa *sa, char *why, size_t whylen)
{
	char *f[ESPSA_FIELDS], *end;
	unsigned long spi;
	int n = split_fields(line, f, ESPSA_FIELDS);

	if (n < ESPSA_FIELDS)
		return errf(why, whylen, "not 8 quoted fields (\"IPv4\",\"src\",\"dst\",\"0xSPI\",...)");
	memset(sa, 0, sizeof *sa);
	if (strcmp(f[0], "IPv4") == 0)
		sa->family = AF_INET;
	else if (strcmp(f[0], "IPv6") == 0)
		sa->family = AF_INET6;
	else
		return errf(why, whylen, "protocol '%s' is neither IPv4 nor IPv6", f[0]);
	if (strcmp(f[1], "*") != 0)
		inet_pton(sa->family, f[1], sa->src);   /* advisory: SAs are found by SPI */
	if (strcmp(f[2], "*") != 0)
		inet_pton(sa->family, f[2], sa->dst);
	spi = strtoul(f[3], &end, 16);
	if (strncmp(f[3], "0x", 2) != 0 || f[3][2] == '\0' || *end != '\0' || spi > 0xffffffffUL)
		return errf(why, whylen, "SPI '%s' is not 0x and 1-8 hex digits", f[3]);
	sa->spi = (uint32_t)spi;
	if (parse_encr(f[4], f[5], sa, why, whylen) < 0 || parse_integ(f[6], f[7], sa, why, whylen) < 0)
		return -1;
	if (sa->integ == ESP_INTEG_NONE && sa->encr != ESP_ENCR_AES_GCM16_128 &&
	    sa->encr != ESP_ENCR_AES_GCM16_256)
		return errf(why, whylen, "no authentication: only AES-GCM goes without");
	return 0;
}

int espsa_read_wireshark(FILE *f, struct esp_keyring *kr, char *err, size_t errlen)
{
	char line[ESPSA_LINE], why[160];
	struct esp_sa sa;
	unsigned lineno = 0;

	while (fgets(line, sizeof line, f) != NULL) {
		char *p = line;

		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f))
			return errf(err, errlen, "line %u: longer than %d bytes", lineno, ESPSA_LINE - 1);
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '#' || *p == '\n' || *p == '\r' || *p == '\0')
			continue;
		if (parse_line(p, &sa, why, sizeof why) < 0)
			return errf(err, errlen, "line %u: %s", lineno, why);
		if (esp_keyring_add(kr, &sa, 1) < 0)
			return errf(err, errlen, "out of memory");
	}
	return ferror(f) ? errf(err, errlen, "read error") : 0;
}
