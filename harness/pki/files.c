/*
** files.c: the lab PKI's files. PEM for what strongSwan loads, PKCS#12 for
** NSS (libreswan's pk12util). Private keys and PKCS#12 files are created
** mode 0600 from the start (never widened then narrowed), O_CLOEXEC.
*/
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>

#include "pki/pki.h"

/* A stdio stream on a new file (truncated) with mode. */
static FILE *create(const char *path, unsigned mode, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, (mode_t)mode);
	FILE *f;

	if (fd < 0 || fchmod(fd, (mode_t)mode) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if ((f = fdopen(fd, "w")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
	}
	return f;
}

/* Close f, reporting what failed (the write's status in good). */
static int finish(FILE *f, int good, const char *path, char *err, size_t errlen)
{
	int closed = fclose(f) == 0;
	if (good && closed)
		return 0;
	snprintf(err, errlen, "%s: writing failed", path);
	return -1;
}

int pki_write_cert(const char *path, X509 *cert, char *err, size_t errlen)
{
	FILE *f = create(path, 0644, err, errlen);
	return f ? finish(f, PEM_write_X509(f, cert), path, err, errlen) : -1;
}

int pki_write_key(const char *path, EVP_PKEY *key, char *err, size_t errlen)
{
	FILE *f = create(path, 0600, err, errlen);
	return f ? finish(f, PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL), path, err, errlen) : -1;
}

int pki_write_crl(const char *path, X509_CRL *crl, char *err, size_t errlen)
{
	FILE *f = create(path, 0644, err, errlen);
	return f ? finish(f, PEM_write_X509_CRL(f, crl), path, err, errlen) : -1;
}

int pki_write_p12(const char *path, const char *friendly, X509 *cert, EVP_PKEY *key, X509 *ca,
                  const char *password, char *err, size_t errlen)
{
	STACK_OF(X509) *chain = sk_X509_new_null();
	PKCS12 *p12 = NULL;
	FILE *f = NULL;
	int rc = -1;

	if (chain == NULL || !sk_X509_push(chain, ca)) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto done;
	}
	/* OpenSSL 3's defaults: AES-256-CBC with PBKDF2, which NSS reads. */
	if ((p12 = PKCS12_create(password, friendly, key, cert, chain, 0, 0, 0, 0, 0)) == NULL) {
		unsigned long e = ERR_get_error();
		snprintf(err, errlen, "%s: PKCS12_create: %s", path, e ? ERR_reason_error_string(e) : "failed");
		goto done;
	}
	if ((f = create(path, 0600, err, errlen)) != NULL)
		rc = finish(f, i2d_PKCS12_fp(f, p12), path, err, errlen);
done:
	PKCS12_free(p12);
	sk_X509_free(chain);   /* the certificates are the caller's */
	return rc;
}

int pki_copy_file(const char *src, const char *dst, unsigned mode, char *err, size_t errlen)
{
	char buf[8192];
	size_t got;
	int good = 1;
	FILE *in = fopen(src, "re"), *out;

	if (in == NULL) {
		snprintf(err, errlen, "%s: %s", src, strerror(errno));
		return -1;
	}
	if ((out = create(dst, mode, err, errlen)) == NULL) {
		fclose(in);
		return -1;
	}
	while (good && (got = fread(buf, 1, sizeof(buf), in)) > 0)
		good = fwrite(buf, 1, got, out) == got;
	good = good && !ferror(in);
	fclose(in);
	return finish(out, good, dst, err, errlen);
}
