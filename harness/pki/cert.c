/*
** cert.c: X.509 certificates for the lab PKI: a self-signed CA and the
** certificates it issues. The extensions are what IKE daemons check: the id
** as subjectAltName (strongSwan and libreswan match identities against it),
** key usages, an optional EKU, and key identifiers so chains build. They are
** made with OpenSSL's own v3 config parser, from strings built of checked ids.
*/
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "pki/pki.h"

/* Certificates start an hour back: a VM guest's clock may lag the host's. */
#define PKI_BACKDATE 3600

int pki_id_valid(const char *id)
{
	if (id == NULL || *id == '\0' || strlen(id) > 200)
		return 0;
	return strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_@:") == strlen(id);
}

static void set_err(char *err, size_t errlen, const char *what)
{
	unsigned long e = ERR_get_error();
	snprintf(err, errlen, "%s%s%s", what, e ? ": " : "", e ? ERR_reason_error_string(e) : "");
}

/* The SAN of an id by its form: IP, email (rfc822) or DNS. */
static void san_of(const char *id, char *out, size_t cap)
{
	unsigned char addr[16];
	if (inet_pton(AF_INET, id, addr) == 1 || inet_pton(AF_INET6, id, addr) == 1)
		snprintf(out, cap, "IP:%s", id);
	else if (strchr(id, '@') != NULL)
		snprintf(out, cap, "email:%s", id);
	else
		snprintf(out, cap, "DNS:%s", id);
}

static void eku_of(unsigned eku, char *out, size_t cap)
{
	out[0] = '\0';
	if (eku & PKI_EKU_SERVER)
		strncat(out, "serverAuth,", cap - strlen(out) - 1);
	if (eku & PKI_EKU_CLIENT)
		strncat(out, "clientAuth,", cap - strlen(out) - 1);
	if (eku & PKI_EKU_IKE)
		strncat(out, "1.3.6.1.5.5.7.3.17,", cap - strlen(out) - 1);
	if (out[0] != '\0')
		out[strlen(out) - 1] = '\0';
}

static int add_ext(X509 *cert, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	int rc;
	if (ext == NULL)
		return -1;
	rc = X509_add_ext(cert, ext, -1) ? 0 : -1;
	X509_EXTENSION_free(ext);
	return rc;
}

/* The extensions of a CA (issuer NULL) or of an end entity. */
static int add_extensions(X509 *cert, X509 *issuer, const struct pki_cert_spec *spec, EVP_PKEY *key)
{
	X509V3_CTX ctx;
	char san[256], eku[96];

	X509V3_set_ctx(&ctx, issuer ? issuer : cert, cert, NULL, NULL, 0);
	if (add_ext(cert, &ctx, NID_subject_key_identifier, "hash") < 0)
		return -1;
	if (issuer == NULL)
		return add_ext(cert, &ctx, NID_basic_constraints, "critical,CA:TRUE") < 0 ||
		       add_ext(cert, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign") < 0 ? -1 : 0;
	if (add_ext(cert, &ctx, NID_authority_key_identifier, "keyid:always") < 0 ||
	    add_ext(cert, &ctx, NID_basic_constraints, "CA:FALSE") < 0 ||
	    add_ext(cert, &ctx, NID_key_usage, EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA
	            ? "critical,digitalSignature,keyEncipherment" : "critical,digitalSignature") < 0)
		return -1;
	san_of(spec->id, san, sizeof(san));
	if (add_ext(cert, &ctx, NID_subject_alt_name, san) < 0)
		return -1;
	eku_of(spec->eku, eku, sizeof(eku));
	return eku[0] != '\0' && add_ext(cert, &ctx, NID_ext_key_usage, eku) < 0 ? -1 : 0;
}

/* Ed25519 signs without a separate digest; the others with SHA-256. */
static const EVP_MD *digest_for(EVP_PKEY *signer)
{
	return EVP_PKEY_get_base_id(signer) == EVP_PKEY_ED25519 ? NULL : EVP_sha256();
}

static int set_fields(X509 *cert, const struct pki_cert_spec *spec, EVP_PKEY *key, X509 *issuer)
{
	X509_NAME *subject = X509_get_subject_name(cert);
	ASN1_INTEGER *serial = X509_get_serialNumber(cert);

	if (!X509_set_version(cert, 2) || !ASN1_INTEGER_set_uint64(serial, spec->serial) ||
	    !X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_UTF8, (const unsigned char *)"vpnlab", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8, (const unsigned char *)spec->name, -1, -1, 0) ||
	    !X509_set_issuer_name(cert, issuer ? X509_get_subject_name(issuer) : subject) ||
	    !X509_gmtime_adj(X509_getm_notBefore(cert), -PKI_BACKDATE) ||
	    !X509_gmtime_adj(X509_getm_notAfter(cert), spec->lifetime) || !X509_set_pubkey(cert, key))
		return -1;
	return 0;
}

X509 *pki_cert_new(const struct pki_cert_spec *spec, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
                   char *err, size_t errlen)
{
	X509 *cert;

	if (issuer != NULL && !pki_id_valid(spec->id)) {
		snprintf(err, errlen, "id '%s': letters, digits and . - _ @ : only", spec->id ? spec->id : "");
		return NULL;
	}
	if ((cert = X509_new()) == NULL) {
		set_err(err, errlen, "X509_new");
		return NULL;
	}
	if (set_fields(cert, spec, key, issuer) < 0) {
		set_err(err, errlen, "certificate fields");
		goto fail;
	}
	if (add_extensions(cert, issuer, spec, key) < 0) {
		set_err(err, errlen, "certificate extensions");
		goto fail;
	}
	if (X509_sign(cert, issuer_key, digest_for(issuer_key)) <= 0) {
		set_err(err, errlen, "signing the certificate");
		goto fail;
	}
	return cert;
fail:
	X509_free(cert);
	return NULL;
}
