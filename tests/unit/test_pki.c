/*
** test_pki: the lab PKI. A CA and certificates of each key kind form chains
** that OpenSSL's own verifier (X509_verify_cert) accepts; each id becomes
** the SAN of its form (DNS, email, IP); EKUs are what was asked; the CRL
** lists a revoked serial and a CRL-checking verification then refuses that
** certificate (and only it); the PEM, key (mode 0600) and PKCS#12 files read
** back; a bad id and an unknown key kind are refused.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509v3.h>

#include "pki/pki.h"
#include "unit.h"

static char err[512];

/* X509_verify_cert of cert against ca (and crl when given): the X509_V_* code. */
static int verify(X509 *cert, X509 *ca, X509_CRL *crl)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int rc;

	X509_STORE_add_cert(store, ca);
	if (crl) {
		X509_STORE_add_crl(store, crl);
		X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
	}
	X509_STORE_CTX_init(ctx, store, cert, NULL);
	rc = X509_verify_cert(ctx) == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return rc;
}

/* The first SAN's type and text ("DNS:gw.lab", "email:a@b", "IP:10.0.0.1"). */
static void san_text(X509 *cert, char *out, size_t cap)
{
	GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	GENERAL_NAME *g = names ? sk_GENERAL_NAME_value(names, 0) : NULL;
	const unsigned char *ip;

	out[0] = '\0';
	if (g && g->type == GEN_DNS)
		snprintf(out, cap, "DNS:%s", (const char *)ASN1_STRING_get0_data(g->d.dNSName));
	else if (g && g->type == GEN_EMAIL)
		snprintf(out, cap, "email:%s", (const char *)ASN1_STRING_get0_data(g->d.rfc822Name));
	else if (g && g->type == GEN_IPADD && ASN1_STRING_length(g->d.iPAddress) == 4) {
		ip = ASN1_STRING_get0_data(g->d.iPAddress);
		snprintf(out, cap, "IP:%u.%u.%u.%u", ip[0], ip[1], ip[2], ip[3]);
	}
	GENERAL_NAMES_free(names);
}

static X509 *issue(X509 *ca, EVP_PKEY *ca_key, EVP_PKEY *key, const char *id, unsigned eku, uint64_t serial)
{
	struct pki_cert_spec spec = { .name = id, .id = id, .lifetime = 3600, .eku = eku, .serial = serial };
	return pki_cert_new(&spec, key, ca, ca_key, err, sizeof(err));
}

static void test_chains_and_sans(X509 *ca, EVP_PKEY *ca_key)
{
	static const struct { const char *id, *san; enum pki_key_kind kind; } cases[] = {
		{ "gw.lab", "DNS:gw.lab", PKI_KEY_ECDSA256 },
		{ "client@lab", "email:client@lab", PKI_KEY_RSA2048 },
		{ "192.0.2.7", "IP:192.0.2.7", PKI_KEY_ED25519 },
	};
	char san[128], what[160];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		EVP_PKEY *key = pki_key_new(cases[i].kind, err, sizeof(err));
		X509 *cert = key ? issue(ca, ca_key, key, cases[i].id, 0, 10 + i) : NULL;
		snprintf(what, sizeof(what), "%s: issued", cases[i].id);
		ok(cert != NULL, what);
		if (cert == NULL) {
			EVP_PKEY_free(key);
			continue;
		}
		snprintf(what, sizeof(what), "%s: X509_verify_cert accepts the chain", cases[i].id);
		is_int(verify(cert, ca, NULL), X509_V_OK, what);
		san_text(cert, san, sizeof(san));
		snprintf(what, sizeof(what), "%s: its SAN is %s", cases[i].id, cases[i].san);
		is_str(san, cases[i].san, what);
		X509_free(cert);
		EVP_PKEY_free(key);
	}
}

static void test_eku(X509 *ca, EVP_PKEY *ca_key, EVP_PKEY *key)
{
	X509 *cert = issue(ca, ca_key, key, "vpn.lab", PKI_EKU_SERVER | PKI_EKU_IKE, 20);
	uint32_t xku = cert ? X509_get_extended_key_usage(cert) : 0;
	EXTENDED_KEY_USAGE *ekus = cert ? X509_get_ext_d2i(cert, NID_ext_key_usage, NULL, NULL) : NULL;
	char oid[64] = "";

	ok(xku & XKU_SSL_SERVER, "EKU server: serverAuth");
	ok(!(xku & XKU_SSL_CLIENT), "EKU server: no clientAuth");
	if (ekus && sk_ASN1_OBJECT_num(ekus) == 2)
		OBJ_obj2txt(oid, sizeof(oid), sk_ASN1_OBJECT_value(ekus, 1), 1);
	is_str(oid, "1.3.6.1.5.5.7.3.17", "EKU ike: ipsecIKE (1.3.6.1.5.5.7.3.17)");
	sk_ASN1_OBJECT_pop_free(ekus, ASN1_OBJECT_free);
	X509_free(cert);
	cert = issue(ca, ca_key, key, "plain.lab", 0, 21);
	ok(cert && X509_get_ext_d2i(cert, NID_ext_key_usage, NULL, NULL) == NULL, "no eku asked: no EKU extension");
	X509_free(cert);
}

static void test_crl(X509 *ca, EVP_PKEY *ca_key, EVP_PKEY *key)
{
	X509 *good = issue(ca, ca_key, key, "good.lab", 0, 30), *bad = issue(ca, ca_key, key, "bad.lab", 0, 31);
	uint64_t revoked[] = { 31 };
	X509_CRL *crl = pki_crl_new(ca, ca_key, revoked, 1, 86400, err, sizeof(err));
	X509_REVOKED *entry = NULL;

	ok(crl != NULL, "CRL made");
	ok(crl && X509_CRL_verify(crl, X509_get0_pubkey(ca)) == 1, "the CRL is signed by the CA");
	ok(crl && X509_CRL_get0_by_cert(crl, &entry, bad) == 1, "the CRL lists the revoked certificate");
	ok(crl && X509_CRL_get0_by_cert(crl, &entry, good) == 0, "the CRL does not list the other one");
	is_int(verify(bad, ca, crl), X509_V_ERR_CERT_REVOKED, "with the CRL, verification refuses the revoked one");
	is_int(verify(good, ca, crl), X509_V_OK, "with the CRL, the other one still verifies");
	X509_CRL_free(crl);
	X509_free(good);
	X509_free(bad);
}

static void test_files(X509 *ca, EVP_PKEY *ca_key, EVP_PKEY *key)
{
	char dir[] = "/tmp/test_pki.XXXXXX", path[256];
	X509 *cert = issue(ca, ca_key, key, "file.lab", 0, 40), *back = NULL, *p12cert = NULL;
	EVP_PKEY *p12key = NULL;
	STACK_OF(X509) *chain = NULL;
	PKCS12 *p12 = NULL;
	struct stat st;
	FILE *f;

	ok(mkdtemp(dir) != NULL, "a temporary folder");
	snprintf(path, sizeof(path), "%s/c.crt", dir);
	ok(pki_write_cert(path, cert, err, sizeof(err)) == 0, "certificate written");
	if ((f = fopen(path, "r")) != NULL) {
		back = PEM_read_X509(f, NULL, NULL, NULL);
		fclose(f);
	}
	ok(back && X509_cmp(back, cert) == 0, "the PEM certificate reads back the same");
	snprintf(path, sizeof(path), "%s/c.key", dir);
	ok(pki_write_key(path, key, err, sizeof(err)) == 0 && stat(path, &st) == 0, "key written");
	is_int(st.st_mode & 0777, 0600, "the key file is mode 0600");
	snprintf(path, sizeof(path), "%s/c.p12", dir);
	ok(pki_write_p12(path, "file.lab", cert, key, ca, "vpnlab", err, sizeof(err)) == 0, "PKCS#12 written");
	if ((f = fopen(path, "r")) != NULL) {
		p12 = d2i_PKCS12_fp(f, NULL);
		fclose(f);
	}
	ok(p12 && PKCS12_parse(p12, "vpnlab", &p12key, &p12cert, &chain) == 1, "PKCS#12 opens with its password");
	ok(p12cert && X509_cmp(p12cert, cert) == 0 && p12key && EVP_PKEY_eq(p12key, key) == 1 &&
	   sk_X509_num(chain) == 1 && X509_cmp(sk_X509_value(chain, 0), ca) == 0,
	   "PKCS#12 holds the certificate, its key and the CA");
	snprintf(path, sizeof(path), "%s/missing/c.crt", dir);
	ok(pki_write_cert(path, cert, err, sizeof(err)) < 0 && strstr(err, "missing/c.crt") != NULL,
	   "a write that fails names the file");
	PKCS12_free(p12);
	EVP_PKEY_free(p12key);
	X509_free(p12cert);
	sk_X509_pop_free(chain, X509_free);
	X509_free(back);
	X509_free(cert);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	ok(system(path) == 0, "temporary folder removed");
}

static void test_refusals(X509 *ca, EVP_PKEY *ca_key, EVP_PKEY *key)
{
	enum pki_key_kind kind;
	ok(pki_key_kind_parse("dsa1024", &kind) < 0, "an unknown key kind is refused");
	ok(pki_key_kind_parse("ed25519", &kind) == 0 && kind == PKI_KEY_ED25519, "ed25519 is a key kind");
	ok(issue(ca, ca_key, key, "bad,DNS:evil", 0, 50) == NULL && strstr(err, "bad,DNS:evil") != NULL,
	   "an id with a comma (it could add SANs) is refused, naming it");
	ok(issue(ca, ca_key, key, "", 0, 51) == NULL, "an empty id is refused");
}

int main(void)
{
	struct pki_cert_spec ca_spec = { .name = "Unit CA", .lifetime = 86400, .serial = 1 };
	EVP_PKEY *ca_key = pki_key_new(PKI_KEY_ECDSA256, err, sizeof(err));
	EVP_PKEY *key = pki_key_new(PKI_KEY_ECDSA256, err, sizeof(err));
	X509 *ca = ca_key ? pki_cert_new(&ca_spec, ca_key, NULL, ca_key, err, sizeof(err)) : NULL;

	ok(ca != NULL, "a self-signed CA");
	if (ca == NULL)
		return unit_done();
	ok(X509_check_ca(ca) == 1, "it is a CA (basicConstraints CA:TRUE, keyCertSign)");
	is_int(verify(ca, ca, NULL), X509_V_OK, "the CA verifies against itself");
	test_chains_and_sans(ca, ca_key);
	test_eku(ca, ca_key, key);
	test_crl(ca, ca_key, key);
	test_files(ca, ca_key, key);
	test_refusals(ca, ca_key, key);
	X509_free(ca);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(key);
	return unit_done();
}
