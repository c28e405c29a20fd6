/*
** pki: a certificate authority for labs, over OpenSSL's libcrypto (no
** hand-written ASN.1). Keys (ECDSA P-256, RSA-2048, Ed25519), a self-signed
** CA, certificates whose id is their subjectAltName (an IP address, an email
** address when it has an '@', else a DNS name), CRLs, and the PEM and
** PKCS#12 files the IKE daemons load. Functions return NULL or -1 with a
** message in err.
*/
#ifndef VPNLAB_PKI_H
#define VPNLAB_PKI_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

enum pki_key_kind { PKI_KEY_ECDSA256, PKI_KEY_RSA2048, PKI_KEY_ED25519 };

/* "ecdsa256", "rsa2048", "ed25519" into *kind: 0, or -1 for another name. */
int pki_key_kind_parse(const char *name, enum pki_key_kind *kind);
EVP_PKEY *pki_key_new(enum pki_key_kind kind, char *err, size_t errlen);

/* Extended key usages, as a mask. */
#define PKI_EKU_SERVER 1u   /* serverAuth (Windows' IKEv2 client wants it on the gateway) */
#define PKI_EKU_CLIENT 2u   /* clientAuth */
#define PKI_EKU_IKE    4u   /* ipsecIKE, 1.3.6.1.5.5.7.3.17 (RFC 4945) */

/* Ids are letters, digits and . - _ @ : (what a SAN of each form needs). */
int pki_id_valid(const char *id);

struct pki_cert_spec {
	const char *name;   /* the subject's CN: the CA's name, or the id */
	const char *id;     /* subjectAltName; NULL for a CA */
	long lifetime;      /* seconds from now */
	unsigned eku;       /* PKI_EKU_* */
	uint64_t serial;
};

/*
** A certificate for key, signed by issuer_key and named after issuer; with
** issuer NULL, a self-signed CA certificate (basicConstraints CA:TRUE).
*/
X509 *pki_cert_new(const struct pki_cert_spec *spec, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
                   char *err, size_t errlen);

/* The CA's CRL listing serials (n of them), valid for lifetime seconds. */
X509_CRL *pki_crl_new(X509 *ca, EVP_PKEY *ca_key, const uint64_t *serials, size_t n, long lifetime,
                      char *err, size_t errlen);

/* PEM files; a private key's is created mode 0600. */
int pki_write_cert(const char *path, X509 *cert, char *err, size_t errlen);
int pki_write_key(const char *path, EVP_PKEY *key, char *err, size_t errlen);
int pki_write_crl(const char *path, X509_CRL *crl, char *err, size_t errlen);
/* PKCS#12 of cert, key and the CA (for an NSS database: pk12util), mode 0600. */
int pki_write_p12(const char *path, const char *friendly, X509 *cert, EVP_PKEY *key, X509 *ca,
                  const char *password, char *err, size_t errlen);

/* Copy a file (a certificate or key into a node's folder) with mode. */
int pki_copy_file(const char *src, const char *dst, unsigned mode, char *err, size_t errlen);

#endif
