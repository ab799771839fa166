/*
 * vecsd_x509.c: what entry create may store. Certificates, CRLs and keys
 * are parsed with OpenSSL and stored re-encoded (PEM), so nothing but what
 * parsed is kept; a private key must belong to the first certificate.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "vecs/vecsd.h"

/* No passphrase prompt, ever: an encrypted key is refused. */
static int
vecsd_x509_nopass(char *buf, int size, int rwflag, void *u)
{
	return -1;
}

static size_t
vecsd_x509_count(const char *pem, const char *marker)
{
	size_t n = 0;

	for (const char *p = pem; (p = strstr(p, marker)) != NULL; p++)
		n++;
	return n;
}

/* The memory BIO's text in a new string (caller frees). */
static char *
vecsd_x509_text(BIO *b)
{
	char *p, *s;
	long len = BIO_get_mem_data(b, &p);

	if (len < 0 || (s = malloc((size_t)len + 1)) == NULL)
		return NULL;
	memcpy(s, p, (size_t)len);
	s[len] = '\0';
	return s;
}

static void
vecsd_x509_hex(const unsigned char *md, unsigned int n, char thumb[41])
{
	for (unsigned int i = 0; i < n && i < 20; i++)
		snprintf(thumb + 2 * i, 3, "%02x", md[i]);
}

static int
vecsd_x509_crl(const char *pem, struct vecsd_entry *e, char thumb[41], char *why,
    size_t whylen)
{
	BIO *in = BIO_new_mem_buf(pem, -1), *out = BIO_new(BIO_s_mem());
	X509_CRL *crl = NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int rc = VECS_ERR_INVALID_PARAMETER;

	if (vecsd_x509_count(pem, "-----BEGIN ") != 1) {
		snprintf(why, whylen, "a CRL file holds one CRL and nothing else");
		goto out;
	}
	if (in == NULL || out == NULL ||
	    (crl = PEM_read_bio_X509_CRL(in, NULL, vecsd_x509_nopass, NULL)) == NULL) {
		snprintf(why, whylen, "the CRL does not parse");
		goto out;
	}
	if (!X509_CRL_digest(crl, EVP_sha1(), md, &mdlen) ||
	    !PEM_write_bio_X509_CRL(out, crl) || (e->cert = vecsd_x509_text(out)) == NULL) {
		rc = VECS_ERR_NO_MEMORY;
		goto out;
	}
	vecsd_x509_hex(md, mdlen, thumb);
	e->type = VECS_ENTRY_CRL;
	rc = 0;
 out:
	X509_CRL_free(crl);
	BIO_free(in);
	BIO_free(out);
	return rc;
}

/* Every certificate of pem, re-encoded into e->cert; *first kept. */
static int
vecsd_x509_certs(const char *pem, struct vecsd_entry *e, X509 **first, char *why,
    size_t whylen)
{
	BIO *in = BIO_new_mem_buf(pem, -1), *out = BIO_new(BIO_s_mem());
	size_t blocks = vecsd_x509_count(pem, "-----BEGIN "), n = 0;
	X509 *x;
	int rc = VECS_ERR_INVALID_PARAMETER;

	*first = NULL;
	if (in == NULL || out == NULL) {
		rc = VECS_ERR_NO_MEMORY;
		goto out;
	}
	while ((x = PEM_read_bio_X509(in, NULL, vecsd_x509_nopass, NULL)) != NULL) {
		n++;
		if (!PEM_write_bio_X509(out, x)) {
			X509_free(x);
			rc = VECS_ERR_NO_MEMORY;
			goto out;
		}
		if (*first == NULL)
			*first = x;
		else
			X509_free(x);
	}
	ERR_clear_error();
	if (n == 0 || n != blocks) {
		snprintf(why, whylen, n == 0 ? "no certificate in PEM form was found" :
		    "the certificate file holds something that is not a certificate");
		goto out;
	}
	if ((e->cert = vecsd_x509_text(out)) == NULL) {
		rc = VECS_ERR_NO_MEMORY;
		goto out;
	}
	rc = 0;
 out:
	if (rc != 0) {
		X509_free(*first);
		*first = NULL;
	}
	BIO_free(in);
	BIO_free(out);
	return rc;
}

static int
vecsd_x509_key(const char *pem, EVP_PKEY **pk, struct vecsd_entry *e, char *why,
    size_t whylen)
{
	BIO *in = BIO_new_mem_buf(pem, -1), *out = BIO_new(BIO_s_secmem());
	int rc = VECS_ERR_INVALID_PARAMETER;

	if (in == NULL || out == NULL) {
		rc = VECS_ERR_NO_MEMORY;
		goto out;
	}
	if (vecsd_x509_count(pem, "-----BEGIN ") != 1 ||
	    (*pk = PEM_read_bio_PrivateKey(in, NULL, vecsd_x509_nopass, NULL)) == NULL) {
		ERR_clear_error();
		snprintf(why, whylen, "the key file holds no unencrypted private key in PEM form");
		goto out;
	}
	if (!PEM_write_bio_PrivateKey(out, *pk, NULL, NULL, 0, NULL, NULL) ||
	    (e->key = vecsd_x509_text(out)) == NULL) {
		rc = VECS_ERR_NO_MEMORY;
		goto out;
	}
	rc = 0;
 out:
	BIO_free(in);
	BIO_free(out);
	return rc;
}

int
vecsd_x509_entry(const char *cert, const char *key, struct vecsd_entry *e,
    char thumb[41], char *why, size_t whylen)
{
	X509 *x = NULL;
	EVP_PKEY *pk = NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int rc;

	thumb[0] = '\0';
	why[0] = '\0';
	if (cert == NULL && key == NULL) {
		snprintf(why, whylen, "an entry needs a certificate or a key");
		return VECS_ERR_INVALID_PARAMETER;
	}
	if (cert != NULL && strstr(cert, "-----BEGIN X509 CRL-----") != NULL) {
		if (key != NULL) {
			snprintf(why, whylen, "a CRL takes no key");
			return VECS_ERR_INVALID_PARAMETER;
		}
		return vecsd_x509_crl(cert, e, thumb, why, whylen);
	}
	if (key != NULL && (rc = vecsd_x509_key(key, &pk, e, why, whylen)) != 0)
		return rc;
	if (cert == NULL) {
		EVP_PKEY_free(pk);
		e->type = VECS_ENTRY_SECRET_KEY;
		return 0;
	}
	if ((rc = vecsd_x509_certs(cert, e, &x, why, whylen)) != 0)
		goto out;
	if (pk != NULL && X509_check_private_key(x, pk) != 1) {
		ERR_clear_error();
		snprintf(why, whylen, "the private key does not match the certificate");
		rc = VECS_ERR_INVALID_PARAMETER;
		goto out;
	}
	if (!X509_digest(x, EVP_sha1(), md, &mdlen)) {
		rc = VECS_ERR_NO_MEMORY;
		goto out;
	}
	vecsd_x509_hex(md, mdlen, thumb);
	e->type = pk != NULL ? VECS_ENTRY_PRIVATE_KEY : VECS_ENTRY_TRUSTED_CERT;
 out:
	X509_free(x);
	EVP_PKEY_free(pk);
	return rc;
}
