/*
** lua_keys.c: the run's ESP keyring from Lua. core.esp_keys() lists the SAs
** the decrypted view knows (learned from the nodes' XFRM, or given);
** core.esp_sa{...} gives one, for keys vpnlab cannot read from a kernel (a
** userspace data plane, a product's debug output), and it wins over a
** learned SA of the same SPI. Algorithm names are strongSwan's proposal
** keywords, as in esp_proposals.
*/
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "bind/luax.h"
#include "wire/inner.h"

static const struct { const char *name; enum esp_encr encr; size_t key_len; } encr_names[] = {
	{ "null", ESP_ENCR_NULL, 0 },
	{ "aes128", ESP_ENCR_AES_CBC_128, 16 },
	{ "aes192", ESP_ENCR_AES_CBC_192, 24 },
	{ "aes256", ESP_ENCR_AES_CBC_256, 32 },
	{ "aes128gcm16", ESP_ENCR_AES_GCM16_128, 16 },
	{ "aes256gcm16", ESP_ENCR_AES_GCM16_256, 32 },
};

static const struct { const char *name; enum esp_integ integ; size_t key_len; } integ_names[] = {
	{ "sha1", ESP_INTEG_HMAC_SHA1_96, 20 },
	{ "sha256", ESP_INTEG_HMAC_SHA256_128, 32 },
	{ "sha384", ESP_INTEG_HMAC_SHA384_192, 48 },
	{ "sha512", ESP_INTEG_HMAC_SHA512_256, 64 },
};

/* Hex (an optional 0x, colons allowed) into out: the number of bytes, or -1. */
static long hex_bytes(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	for (; *s; s++) {
		int v;
		if (*s == ':')
			continue;
		if (*s >= '0' && *s <= '9') v = *s - '0';
		else if (*s >= 'a' && *s <= 'f') v = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F') v = *s - 'A' + 10;
		else return -1;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n == cap)
			return -1;
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	return hi < 0 ? (long)n : -1;
}

static const char *field_string(lua_State *L, const char *key, int required)
{
	const char *s;
	lua_getfield(L, 1, key);
	s = lua_tostring(L, -1);
	if (s == NULL && (required || !lua_isnil(L, -1)))
		lx_error(L, "esp_sa: %s must be a string", key);
	lua_pop(L, 1);   /* the string stays alive: the table holds it */
	return s;
}

/* core.esp_sa{ spi =, encr =, key =, integ =, auth_key = } */
static int core_esp_sa(lua_State *L)
{
	struct run *r = lx_run(L);
	struct esp_sa sa;
	const char *encr, *integ, *key, *auth;
	size_t i, key_len = 0;

	luaL_checktype(L, 1, LUA_TTABLE);
	memset(&sa, 0, sizeof(sa));
	lua_getfield(L, 1, "spi");
	if (lua_type(L, -1) == LUA_TSTRING)
		sa.spi = (uint32_t)strtoul(lua_tostring(L, -1), NULL, 0);
	else if (lua_isinteger(L, -1))
		sa.spi = (uint32_t)lua_tointeger(L, -1);
	else
		return lx_error(L, "esp_sa: spi must be a number or a \"0x...\" string");
	lua_pop(L, 1);
	sa.family = AF_INET;
	encr = field_string(L, "encr", 1);
	for (i = 0; i < sizeof(encr_names) / sizeof(encr_names[0]); i++)
		if (!strcmp(encr, encr_names[i].name))
			break;
	if (i == sizeof(encr_names) / sizeof(encr_names[0]))
		return lx_error(L, "esp_sa: unknown encr '%s' (aes128, aes192, aes256, aes128gcm16, aes256gcm16, null)",
		                encr);
	sa.encr = encr_names[i].encr;
	key_len = encr_names[i].key_len;
	key = field_string(L, "key", key_len > 0);
	if (key_len > 0) {
		int gcm = sa.encr == ESP_ENCR_AES_GCM16_128 || sa.encr == ESP_ENCR_AES_GCM16_256;
		uint8_t buf[ESP_KEY_MAX + ESP_SALT_LEN];
		long n = hex_bytes(key, buf, sizeof(buf));
		if (n != (long)(key_len + (gcm ? ESP_SALT_LEN : 0)))
			return lx_error(L, "esp_sa: key must be %d bytes of hex for %s%s", (int)(key_len + (gcm ? 4 : 0)),
			                encr, gcm ? " (key and 4-byte salt)" : "");
		memcpy(sa.key, buf, key_len);
		sa.key_len = key_len;
		if (gcm)
			memcpy(sa.salt, buf + key_len, ESP_SALT_LEN);
	}
	integ = field_string(L, "integ", 0);
	if (integ != NULL) {
		for (i = 0; i < sizeof(integ_names) / sizeof(integ_names[0]); i++)
			if (!strcmp(integ, integ_names[i].name))
				break;
		if (i == sizeof(integ_names) / sizeof(integ_names[0]))
			return lx_error(L, "esp_sa: unknown integ '%s' (sha1, sha256, sha384, sha512)", integ);
		sa.integ = integ_names[i].integ;
		auth = field_string(L, "auth_key", 1);
		if (hex_bytes(auth, sa.auth_key, sizeof(sa.auth_key)) != (long)integ_names[i].key_len)
			return lx_error(L, "esp_sa: auth_key must be %d bytes of hex for %s", (int)integ_names[i].key_len,
			                integ);
		sa.auth_key_len = integ_names[i].key_len;
	}
	if (esp_keyring_add(&r->keys, &sa, 1) < 0)
		return luaL_error(L, "out of memory");
	return 0;
}

static const char *encr_name(enum esp_encr e)
{
	for (size_t i = 0; i < sizeof(encr_names) / sizeof(encr_names[0]); i++)
		if (encr_names[i].encr == e)
			return encr_names[i].name;
	return "?";
}

static const char *integ_name(enum esp_integ g)
{
	for (size_t i = 0; i < sizeof(integ_names) / sizeof(integ_names[0]); i++)
		if (integ_names[i].integ == g)
			return integ_names[i].name;
	return NULL;
}

/* core.esp_keys() -> { {spi=, encr=, integ=, src=, dst=, given=}, ... } after reading new SA events */
static int core_esp_keys(lua_State *L)
{
	struct run *r = lx_run(L);
	char a[INET6_ADDRSTRLEN];

	if (r->keys.refresh != NULL)
		r->keys.refresh(r->keys.refresh_ctx, &r->keys);
	lua_createtable(L, (int)r->keys.n, 0);
	for (size_t i = 0; i < r->keys.n; i++) {
		const struct esp_sa *sa = &r->keys.sa[i];
		lua_createtable(L, 0, 6);
		lua_pushinteger(L, (lua_Integer)sa->spi);
		lua_setfield(L, -2, "spi");
		lua_pushstring(L, encr_name(sa->encr));
		lua_setfield(L, -2, "encr");
		if (integ_name(sa->integ)) {
			lua_pushstring(L, integ_name(sa->integ));
			lua_setfield(L, -2, "integ");
		}
		if (!r->keys.given[i] && inet_ntop(sa->family, sa->src, a, sizeof(a))) {
			lua_pushstring(L, a);
			lua_setfield(L, -2, "src");
		}
		if (!r->keys.given[i] && inet_ntop(sa->family, sa->dst, a, sizeof(a))) {
			lua_pushstring(L, a);
			lua_setfield(L, -2, "dst");
		}
		lua_pushboolean(L, r->keys.given[i]);
		lua_setfield(L, -2, "given");
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	return 1;
}

void lx_open_keys(lua_State *L)
{
	static const luaL_Reg fns[] = {
		{ "esp_sa", core_esp_sa },
		{ "esp_keys", core_esp_keys },
		{ NULL, NULL },
	};
	luaL_setfuncs(L, fns, 0);
}
