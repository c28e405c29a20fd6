/*
** crl.c: the lab CA's certificate revocation list (X.509 v2 CRL). A CA
** rewrites its whole CRL on each revocation: labs revoke a handful of
** certificates, and a daemon loads the file as it is when the node starts.
*/
#include <stdio.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "pki/pki.h"

static int add_revoked(X509_CRL *crl, uint64_t serial, ASN1_TIME *when)
{
	X509_REVOKED *rev = X509_REVOKED_new();
	ASN1_INTEGER *num = ASN1_INTEGER_new();
	int rc = -1;

	if (rev && num && ASN1_INTEGER_set_uint64(num, serial) && X509_REVOKED_set_serialNumber(rev, num) &&
	    X509_REVOKED_set_revocationDate(rev, when) && X509_CRL_add0_revoked(crl, rev)) {
		rev = NULL;   /* the CRL owns it now */
		rc = 0;
	}
	X509_REVOKED_free(rev);
	ASN1_INTEGER_free(num);
	return rc;
}

/* crlNumber (the count of revocations, so each rewrite is newer) and the CA's key id. */
static int add_crl_extensions(X509_CRL *crl, X509 *ca, size_t n)
{
	X509V3_CTX ctx;
	X509_EXTENSION *aki;
	ASN1_INTEGER *number = ASN1_INTEGER_new();
	int rc = -1;

	X509V3_set_ctx(&ctx, ca, NULL, NULL, crl, 0);
	aki = X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier, "keyid:always");
	if (number && aki && ASN1_INTEGER_set_uint64(number, (uint64_t)n + 1) &&
	    X509_CRL_add1_ext_i2d(crl, NID_crl_number, number, 0, 0) && X509_CRL_add_ext(crl, aki, -1))
		rc = 0;
	X509_EXTENSION_free(aki);
	ASN1_INTEGER_free(number);
	return rc;
}

X509_CRL *pki_crl_new(X509 *ca, EVP_PKEY *ca_key, const uint64_t *serials, size_t n, long lifetime,
                      char *err, size_t errlen)
{
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *now = X509_gmtime_adj(NULL, 0), *next = X509_gmtime_adj(NULL, lifetime);
	const EVP_MD *md = EVP_PKEY_get_base_id(ca_key) == EVP_PKEY_ED25519 ? NULL : EVP_sha256();
	int good = crl && now && next && X509_CRL_set_version(crl, 1) &&
	           X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca)) &&
	           X509_CRL_set1_lastUpdate(crl, now) && X509_CRL_set1_nextUpdate(crl, next);

	for (size_t i = 0; good && i < n; i++)
		good = add_revoked(crl, serials[i], now) == 0;
	good = good && X509_CRL_sort(crl) && add_crl_extensions(crl, ca, n) == 0 &&
	       X509_CRL_sign(crl, ca_key, md) > 0;
	ASN1_TIME_free(now);
	ASN1_TIME_free(next);
	if (!good) {
		unsigned long e = ERR_get_error();
		snprintf(err, errlen, "making the CRL failed%s%s", e ? ": " : "", e ? ERR_reason_error_string(e) : "");
		X509_CRL_free(crl);
		return NULL;
	}
	return crl;
}
