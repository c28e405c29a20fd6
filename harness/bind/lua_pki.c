/*
** lua_pki.c: the lab PKI (pki/) from Lua; lua/vpnlab/pki.lua checks the
** user's fields and builds the objects scenarios see. A CA is a userdata
** "vpnlab.pki_ca" that keeps its key in memory (its key is never written)
** and its revoked serials, and writes every file into its own folder:
**   core.pki_ca(dir, name, key_kind, lifetime) -> ca, cert path, crl path
**   ca:issue(id, key_kind, lifetime, eku_mask, distinct) -> serial, cert, key, p12
**   ca:revoke(serial)        rewrites the CRL
**   core.pki_copy(src, dst, mode)
** RSA-2048 key pairs take tens of milliseconds, so one per run (per Lua
** state) is shared by every RSA certificate not issued with distinct = true;
** ECDSA and Ed25519 keys take well under a millisecond and are always new.
*/
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "bind/luax.h"
#include "pki/pki.h"

#define CA_MT "vpnlab.pki_ca"
#define KEY_MT "vpnlab.pki_key"
#define RSA_CACHE "vpnlab.pki_rsa"
#define P12_PASSWORD "vpnlab"   /* PKCS#12 files need one for NSS's pk12util */
#define CRL_LIFETIME (7L * 86400)

struct pki_ca {
	X509 *cert;
	EVP_PKEY *key;
	char dir[PATH_MAX - 64];
	uint64_t next_serial;
	uint64_t *revoked;
	size_t n_revoked;
};

static int ca_close(lua_State *L)
{
	struct pki_ca *ca = luaL_checkudata(L, 1, CA_MT);
	X509_free(ca->cert);
	EVP_PKEY_free(ca->key);
	free(ca->revoked);
	ca->cert = NULL;
	ca->key = NULL;
	ca->revoked = NULL;
	ca->n_revoked = 0;
	return 0;
}

static struct pki_ca *check_ca(lua_State *L)
{
	struct pki_ca *ca = luaL_checkudata(L, 1, CA_MT);
	if (ca->cert == NULL)
		lx_error(L, "pki: this CA is closed");
	return ca;
}

static int key_gc(lua_State *L)
{
	EVP_PKEY **k = luaL_checkudata(L, 1, KEY_MT);
	EVP_PKEY_free(*k);
	*k = NULL;
	return 0;
}

static enum pki_key_kind check_kind(lua_State *L, int arg)
{
	enum pki_key_kind kind;
	const char *name = luaL_checkstring(L, arg);
	if (pki_key_kind_parse(name, &kind) < 0)
		lx_error(L, "pki: key must be \"ecdsa256\", \"rsa2048\" or \"ed25519\", not \"%s\"", name);
	return kind;
}

/*
** A key of kind, owned by the caller. RSA comes from the run's cache unless
** distinct; EVP_PKEY_up_ref shares it.
*/
static EVP_PKEY *take_key(lua_State *L, enum pki_key_kind kind, int distinct)
{
	char err[256];
	EVP_PKEY **cached, *key;

	if (kind != PKI_KEY_RSA2048 || distinct) {
		if ((key = pki_key_new(kind, err, sizeof(err))) == NULL)
			lx_error(L, "pki: %s", err);
		return key;
	}
	lua_getfield(L, LUA_REGISTRYINDEX, RSA_CACHE);
	cached = lua_touserdata(L, -1);
	lua_pop(L, 1);
	if (cached == NULL) {
		cached = lua_newuserdatauv(L, sizeof(*cached), 0);
		*cached = NULL;
		luaL_setmetatable(L, KEY_MT);
		lua_setfield(L, LUA_REGISTRYINDEX, RSA_CACHE);
	}
	if (*cached == NULL && (*cached = pki_key_new(kind, err, sizeof(err))) == NULL)
		lx_error(L, "pki: %s", err);
	EVP_PKEY_up_ref(*cached);
	return *cached;
}

static int write_crl(struct pki_ca *ca, char *err, size_t errlen)
{
	char path[PATH_MAX];
	X509_CRL *crl = pki_crl_new(ca->cert, ca->key, ca->revoked, ca->n_revoked, CRL_LIFETIME, err, errlen);
	int rc;
	if (crl == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/ca.crl", ca->dir);
	rc = pki_write_crl(path, crl, err, errlen);
	X509_CRL_free(crl);
	return rc;
}

/* core.pki_ca(dir, name, key_kind, lifetime) -> ca, cert path, crl path */
static int core_pki_ca(lua_State *L)
{
	const char *dir = luaL_checkstring(L, 1);
	struct pki_cert_spec spec = { .name = luaL_checkstring(L, 2), .lifetime = (long)luaL_checkinteger(L, 4),
	                              .serial = 1 };
	enum pki_key_kind kind = check_kind(L, 3);
	struct pki_ca *ca;
	char err[512], path[PATH_MAX];

	if (strlen(dir) >= sizeof(ca->dir))
		return lx_error(L, "pki: folder name too long: %s", dir);
	ca = lua_newuserdatauv(L, sizeof(*ca), 0);   /* created closed, then filled */
	memset(ca, 0, sizeof(*ca));
	luaL_setmetatable(L, CA_MT);
	snprintf(ca->dir, sizeof(ca->dir), "%s", dir);
	ca->next_serial = 2;
	if ((ca->key = pki_key_new(kind, err, sizeof(err))) == NULL ||
	    (ca->cert = pki_cert_new(&spec, ca->key, NULL, ca->key, err, sizeof(err))) == NULL)
		return lx_error(L, "pki: CA '%s': %s", spec.name, err);
	snprintf(path, sizeof(path), "%s/ca.crt", dir);
	if (pki_write_cert(path, ca->cert, err, sizeof(err)) < 0 || write_crl(ca, err, sizeof(err)) < 0)
		return lx_error(L, "pki: CA '%s': %s", spec.name, err);
	lua_pushstring(L, path);
	lua_pushfstring(L, "%s/ca.crl", dir);
	return 3;
}

/* Writes the certificate's three files; pushes their paths. */
static int write_issued(lua_State *L, struct pki_ca *ca, X509 *cert, EVP_PKEY *key, const char *id,
                        uint64_t serial, char *err, size_t errlen)
{
	char base[PATH_MAX - 8], path[PATH_MAX];

	if ((size_t)snprintf(base, sizeof(base), "%s/%llu-%s", ca->dir, (unsigned long long)serial, id) >= sizeof(base)) {
		snprintf(err, errlen, "the path of its files is too long");
		return -1;
	}
	snprintf(path, sizeof(path), "%s.crt", base);
	if (pki_write_cert(path, cert, err, errlen) < 0)
		return -1;
	lua_pushstring(L, path);
	snprintf(path, sizeof(path), "%s.key", base);
	if (pki_write_key(path, key, err, errlen) < 0)
		return -1;
	lua_pushstring(L, path);
	snprintf(path, sizeof(path), "%s.p12", base);
	if (pki_write_p12(path, id, cert, key, ca->cert, P12_PASSWORD, err, errlen) < 0)
		return -1;
	lua_pushstring(L, path);
	return 0;
}

/* ca:issue(id, key_kind, lifetime, eku_mask, distinct) -> serial, cert, key, p12 */
static int ca_issue(lua_State *L)
{
	struct pki_ca *ca = check_ca(L);
	struct pki_cert_spec spec = { .id = luaL_checkstring(L, 2), .lifetime = (long)luaL_checkinteger(L, 4),
	                              .eku = (unsigned)luaL_checkinteger(L, 5), .serial = ca->next_serial };
	enum pki_key_kind kind = check_kind(L, 3);
	EVP_PKEY *key;
	X509 *cert;
	char err[512];
	int rc;

	spec.name = spec.id;
	if (!pki_id_valid(spec.id))
		return lx_error(L, "pki: id '%s': letters, digits and . - _ @ : only", spec.id);
	key = take_key(L, kind, lua_toboolean(L, 6));
	cert = pki_cert_new(&spec, key, ca->cert, ca->key, err, sizeof(err));
	lua_pushinteger(L, (lua_Integer)spec.serial);
	rc = cert ? write_issued(L, ca, cert, key, spec.id, spec.serial, err, sizeof(err)) : -1;
	X509_free(cert);
	EVP_PKEY_free(key);
	if (rc < 0)
		return lx_error(L, "pki: issuing '%s': %s", spec.id, err);
	ca->next_serial++;
	return 4;
}

/* ca:revoke(serial): the CRL lists it from now on. */
static int ca_revoke(lua_State *L)
{
	struct pki_ca *ca = check_ca(L);
	lua_Integer serial = luaL_checkinteger(L, 2);
	uint64_t *grown;
	char err[512];

	if (serial < 2 || (uint64_t)serial >= ca->next_serial)
		return lx_error(L, "pki: revoke: serial %lld was not issued by this CA", (long long)serial);
	for (size_t i = 0; i < ca->n_revoked; i++)
		if (ca->revoked[i] == (uint64_t)serial)
			return 0;
	if ((grown = realloc(ca->revoked, (ca->n_revoked + 1) * sizeof(*grown))) == NULL)
		return lx_error(L, "pki: revoke: out of memory");
	ca->revoked = grown;
	ca->revoked[ca->n_revoked++] = (uint64_t)serial;
	if (write_crl(ca, err, sizeof(err)) < 0)
		return lx_error(L, "pki: revoke: %s", err);
	return 0;
}

/* core.pki_copy(src, dst, mode) -> true, or nil, msg */
static int core_pki_copy(lua_State *L)
{
	char err[512];
	if (pki_copy_file(luaL_checkstring(L, 1), luaL_checkstring(L, 2), (unsigned)luaL_checkinteger(L, 3),
	                  err, sizeof(err)) < 0) {
		luaL_pushfail(L);
		lua_pushstring(L, err);
		return 2;
	}
	lua_pushboolean(L, 1);
	return 1;
}

void lx_open_pki(lua_State *L)
{
	static const luaL_Reg ca_methods[] = {
		{ "issue", ca_issue },
		{ "revoke", ca_revoke },
		{ "close", ca_close },
		{ NULL, NULL },
	};
	static const luaL_Reg fns[] = {
		{ "pki_ca", core_pki_ca },
		{ "pki_copy", core_pki_copy },
		{ NULL, NULL },
	};
	if (luaL_newmetatable(L, CA_MT)) {
		luaL_newlib(L, ca_methods);
		lua_setfield(L, -2, "__index");
		lua_pushcfunction(L, ca_close);
		lua_setfield(L, -2, "__gc");
	}
	lua_pop(L, 1);
	if (luaL_newmetatable(L, KEY_MT)) {
		lua_pushcfunction(L, key_gc);
		lua_setfield(L, -2, "__gc");
	}
	lua_pop(L, 1);
	luaL_setfuncs(L, fns, 0);
}
