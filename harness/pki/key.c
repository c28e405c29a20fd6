/*
** key.c: key pairs for the lab PKI. ECDSA P-256 is the default kind because
** it is generated in well under a millisecond; RSA-2048 takes tens of
** milliseconds, which is why the Lua binding caches one per run.
*/
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "pki/pki.h"

int pki_key_kind_parse(const char *name, enum pki_key_kind *kind)
{
	static const struct { const char *name; enum pki_key_kind kind; } names[] = {
		{ "ecdsa256", PKI_KEY_ECDSA256 },
		{ "rsa2048", PKI_KEY_RSA2048 },
		{ "ed25519", PKI_KEY_ED25519 },
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(name, names[i].name) == 0) {
			*kind = names[i].kind;
			return 0;
		}
	}
	return -1;
}

EVP_PKEY *pki_key_new(enum pki_key_kind kind, char *err, size_t errlen)
{
	EVP_PKEY *key = NULL;

	switch (kind) {
	case PKI_KEY_ECDSA256:
		key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		break;
	case PKI_KEY_RSA2048:
		key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
		break;
	case PKI_KEY_ED25519:
		key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
		break;
	}
	if (key == NULL)
		snprintf(err, errlen, "key generation failed: %s", ERR_reason_error_string(ERR_get_error()));
	return key;
}
