/*
 * cert.c: the certificates and CRLs that dir-cli reads and writes: PEM
 * input files, the id (lowercase hex SHA-1 thumbprint of the DER), the
 * subject as an RFC 4514 string, the CA check and PEM output.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "tools/dir-cli/dircli.h"

/* No trusted-roots file is anywhere near this. */
#define CERT_MAX_FILE	(16 * 1024 * 1024)

/* The whole of path into *buf (caller frees, NUL-terminated); errno on failure. */
static bool
cert_read_file(const char *path, char **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 65536, n = 0, r;
	char *b;

	if (f == NULL)
		return false;
	b = xmalloc(cap + 1);
	while ((r = fread(b + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap) {
			if (cap >= CERT_MAX_FILE) {
				fclose(f);
				free(b);
				errno = EFBIG;
				return false;
			}
			cap *= 2;
			b = xrealloc(b, cap + 1);
		}
	}
	if (ferror(f)) {
		fclose(f);
		free(b);
		errno = EIO;
		return false;
	}
	fclose(f);
	b[n] = '\0';
	*buf = b;
	*len = n;
	return true;
}

static bool
cert_blank(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (strchr(" \t\r\n", s[i]) == NULL)
			return false;
	return true;
}

static char *
cert_hex(const unsigned char *md, unsigned n)
{
	char *s = xmalloc(2 * (size_t)n + 1);
	unsigned i;

	for (i = 0; i < n; i++)
		sprintf(s + 2 * i, "%02x", md[i]);
	s[2 * n] = '\0';
	return s;
}

static char *
cert_name_string(const X509_NAME *name)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p, *s;
	long n;

	if (b == NULL || X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253) < 0) {
		BIO_free(b);
		return xstrdup("");
	}
	n = BIO_get_mem_data(b, &p);
	s = xmalloc((size_t)n + 1);
	memcpy(s, p, (size_t)n);
	s[n] = '\0';
	BIO_free(b);
	return s;
}

/* Fills c from x (takes ownership of x); false if it cannot be encoded. */
static bool
cert_fill(struct dircli_cert *c, X509 *x)
{
	unsigned char md[EVP_MAX_MD_SIZE], *p;
	unsigned mdlen;
	int n;

	memset(c, 0, sizeof(*c));
	c->x509 = x;
	if ((n = i2d_X509(x, NULL)) <= 0)
		return false;
	c->der = p = xmalloc((size_t)n);
	c->der_len = (size_t)i2d_X509(x, &p);
	if (X509_digest(x, EVP_sha1(), md, &mdlen) != 1)
		return false;
	c->id = cert_hex(md, mdlen);
	c->subject = cert_name_string(X509_get_subject_name(x));
	return true;
}

void
dircli_cert_clear(struct dircli_cert *c)
{
	X509_free(c->x509);
	free(c->id);
	free(c->subject);
	free(c->der);
	memset(c, 0, sizeof(*c));
}

void
dircli_certs_free(struct dircli_cert *certs, size_t n)
{
	size_t i;

	if (certs == NULL)
		return;
	for (i = 0; i < n; i++)
		dircli_cert_clear(&certs[i]);
	free(certs);
}

int
dircli_certs_load(const char *path, struct dircli_cert **certs, size_t *n)
{
	struct dircli_cert *v = NULL;
	size_t len, cnt = 0;
	unsigned long err;
	char *buf;
	BIO *b;
	X509 *x;
	int rc = 0;

	*certs = NULL;
	*n = 0;
	if (!cert_read_file(path, &buf, &len))
		return dircli_fail(DIRCLI_ERR_INVALID_PARAMETER,
		    "Cannot read the file [%s]: %s", path, strerror(errno));
	if (cert_blank(buf, len)) {
		free(buf);
		return dircli_fail(DIRCLI_ERR_INVALID_PARAMETER,
		    "The file [%s] contains no certificates", path);
	}
	if (strstr(buf, "-----BEGIN ") == NULL) {
		free(buf);
		return dircli_fail(DIRCLI_ERR_INVALID_PARAMETER,
		    "The file [%s] is not a PEM file", path);
	}
	if ((b = BIO_new_mem_buf(buf, (int)len)) == NULL) {
		free(buf);
		return dircli_fail(DIRCLI_ERR_INVALID_PARAMETER, "out of memory");
	}
	ERR_clear_error();
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		v = xrealloc(v, (cnt + 1) * sizeof(*v));
		if (!cert_fill(&v[cnt++], x)) {
			rc = dircli_fail(DIRCLI_ERR_INVALID_PARAMETER,
			    "The file [%s] holds a certificate that cannot be encoded",
			    path);
			goto out;
		}
	}
	err = ERR_peek_last_error();
	if (ERR_GET_LIB(err) != ERR_LIB_PEM || ERR_GET_REASON(err) != PEM_R_NO_START_LINE) {
		rc = dircli_fail(DIRCLI_ERR_INVALID_PARAMETER,
		    "The file [%s] holds a damaged certificate: %s", path,
		    ERR_reason_error_string(err) ? ERR_reason_error_string(err) :
		    "unreadable");
		goto out;
	}
	if (cnt == 0)
		rc = dircli_fail(DIRCLI_ERR_INVALID_PARAMETER,
		    "The file [%s] contains no certificates", path);
out:
	ERR_clear_error();
	BIO_free(b);
	free(buf);
	if (rc != 0) {
		dircli_certs_free(v, cnt);
		return rc;
	}
	*certs = v;
	*n = cnt;
	return 0;
}

int
dircli_certs_load_checked(const char *path, bool chain, const char *verb,
    struct dircli_cert **certs, size_t *n)
{
	int rc;

	if ((rc = dircli_certs_load(path, certs, n)) != 0)
		return rc;
	if (*n > 1 && !chain) {
		dircli_certs_free(*certs, *n);
		*certs = NULL;
		*n = 0;
		return dircli_fail(DIRCLI_ERR_INVALID_PARAMETER,
		    "The file [%s] contains more than 1 certificate\n"
		    "Use --chain to %s every certificate of the file", path, verb);
	}
	return 0;
}

bool
dircli_cert_is_ca(const struct dircli_cert *c)
{
	uint32_t f = X509_get_extension_flags(c->x509);

	return (f & EXFLAG_BCONS) != 0 && (f & EXFLAG_CA) != 0;
}

bool
dircli_cert_from_der(const unsigned char *der, size_t len, struct dircli_cert *c)
{
	const unsigned char *p = der;
	X509 *x = NULL;

	memset(c, 0, sizeof(*c));
	if (len <= (size_t)CERT_MAX_FILE)
		x = d2i_X509(NULL, &p, (long)len);
	if (x == NULL || p != der + len) {
		X509_free(x);
		ERR_clear_error();
		return false;
	}
	if (!cert_fill(c, x)) {
		dircli_cert_clear(c);
		return false;
	}
	return true;
}

int
dircli_crl_load(const char *path, X509_CRL **crl, unsigned char **der,
    size_t *der_len)
{
	const unsigned char *q;
	unsigned char *p;
	size_t len;
	char *buf;
	BIO *b;
	int n;

	*crl = NULL;
	*der = NULL;
	if (!cert_read_file(path, &buf, &len))
		return dircli_fail(DIRCLI_ERR_INVALID_PARAMETER,
		    "Cannot read the file [%s]: %s", path, strerror(errno));
	if ((b = BIO_new_mem_buf(buf, (int)len)) != NULL)
		*crl = PEM_read_bio_X509_CRL(b, NULL, NULL, NULL);
	BIO_free(b);
	if (*crl == NULL) {
		q = (const unsigned char *)buf;
		*crl = d2i_X509_CRL(NULL, &q, (long)len);
	}
	ERR_clear_error();
	free(buf);
	if (*crl == NULL)
		return dircli_fail(DIRCLI_ERR_INVALID_PARAMETER,
		    "The file [%s] contains no CRL", path);
	if ((n = i2d_X509_CRL(*crl, NULL)) <= 0) {
		X509_CRL_free(*crl);
		*crl = NULL;
		return dircli_fail(DIRCLI_ERR_INVALID_PARAMETER,
		    "The CRL in [%s] cannot be encoded", path);
	}
	*der = p = xmalloc((size_t)n);
	*der_len = (size_t)i2d_X509_CRL(*crl, &p);
	return 0;
}

bool
dircli_crl_issued_by(X509_CRL *crl, const struct dircli_cert *c)
{
	EVP_PKEY *k = X509_get0_pubkey(c->x509);
	bool ok;

	ok = X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(c->x509)) == 0 &&
	    k != NULL && X509_CRL_verify(crl, k) == 1;
	ERR_clear_error();
	return ok;
}

static bool
cert_write_pem(const char *path, const unsigned char *der, size_t len, bool crl)
{
	const unsigned char *p = der;
	X509_CRL *c = NULL;
	X509 *x = NULL;
	FILE *f;
	bool ok;

	if (crl)
		c = d2i_X509_CRL(NULL, &p, (long)len);
	else
		x = d2i_X509(NULL, &p, (long)len);
	if (c == NULL && x == NULL) {
		ERR_clear_error();
		errno = EINVAL;
		return false;
	}
	if ((f = fopen(path, "w")) == NULL) {
		X509_free(x);
		X509_CRL_free(c);
		return false;
	}
	ok = crl ? PEM_write_X509_CRL(f, c) == 1 : PEM_write_X509(f, x) == 1;
	if (fclose(f) != 0)
		ok = false;
	X509_free(x);
	X509_CRL_free(c);
	return ok;
}

bool
dircli_write_pem_cert(const char *path, const unsigned char *der, size_t len)
{
	return cert_write_pem(path, der, len, false);
}

bool
dircli_write_pem_crl(const char *path, const unsigned char *der, size_t len)
{
	return cert_write_pem(path, der, len, true);
}
