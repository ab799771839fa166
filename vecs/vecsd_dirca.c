/*
 * vecsd_dirca.c: what the directory publishes as trusted: the entries
 * under cn=Certificate-Authorities,cn=Configuration,<suffix> (classes
 * vmwCertificationAuthority and pkiCA), each cACertificate value a root
 * and each certificateRevocationList value a CRL, both DER. Also the root
 * DSE's highestCommittedUSN, which the puller watches. Reads only; the
 * only file of vecsd that speaks LDAP besides the connection in
 * vecsd_pull.c.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ldap.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "log.h"
#include "vecs/vecsd.h"

#define DIRCA_RDN	"cn=Certificate-Authorities"

/* The first value of attr in the only entry of res (caller frees). */
static char *
vecsd_dirca_first(LDAP *ld, LDAPMessage *res, const char *attr)
{
	LDAPMessage *e = ldap_first_entry(ld, res);
	struct berval **v;
	char *s = NULL;

	if (e == NULL || (v = ldap_get_values_len(ld, e, attr)) == NULL)
		return NULL;
	if (v[0] != NULL && (s = malloc(v[0]->bv_len + 1)) != NULL) {
		memcpy(s, v[0]->bv_val, v[0]->bv_len);
		s[v[0]->bv_len] = '\0';
	}
	ldap_value_free_len(v);
	return s;
}

int
vecsd_dirca_usn(LDAP *ld, uint64_t *usn, char **config)
{
	char *attrs[] = { "highestCommittedUSN", "configurationNamingContext", NULL };
	LDAPMessage *res = NULL;
	char *v;
	int rc;

	*usn = 0;
	if (config != NULL)
		*config = NULL;
	rc = ldap_search_ext_s(ld, "", LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 0,
	    NULL, NULL, NULL, 0, &res);
	if (rc == LDAP_SUCCESS) {
		if ((v = vecsd_dirca_first(ld, res, attrs[0])) != NULL)
			*usn = strtoull(v, NULL, 10);
		free(v);
		if (config != NULL)
			*config = vecsd_dirca_first(ld, res, attrs[1]);
	}
	ldap_msgfree(res);
	return rc;
}

bool
vecsd_dirca_add(struct vecsd_dirca *ca, bool crl, const unsigned char *der, size_t len)
{
	struct vecsd_dirca_item *v, *it;
	const unsigned char *p = der;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	BIO *out = BIO_new(BIO_s_mem());
	X509 *x = NULL;
	X509_CRL *c = NULL;
	char *mem;
	long n;
	bool ok = false;

	if (out == NULL)
		return false;
	if (crl)
		ok = (c = d2i_X509_CRL(NULL, &p, (long)len)) != NULL &&
		    X509_CRL_digest(c, EVP_sha1(), md, &mdlen) &&
		    PEM_write_bio_X509_CRL(out, c);
	else
		ok = (x = d2i_X509(NULL, &p, (long)len)) != NULL &&
		    X509_digest(x, EVP_sha1(), md, &mdlen) && PEM_write_bio_X509(out, x);
	X509_free(x);
	X509_CRL_free(c);
	if (!ok || p != der + len || mdlen != 20) {
		BIO_free(out);
		return false;
	}
	v = realloc(crl ? ca->crls : ca->roots,
	    ((crl ? ca->ncrls : ca->nroots) + 1) * sizeof(*v));
	if (v == NULL) {
		BIO_free(out);
		return false;
	}
	if (crl)
		ca->crls = v;
	else
		ca->roots = v;
	it = &v[crl ? ca->ncrls : ca->nroots];
	for (unsigned i = 0; i < 20; i++) {
		static const char hex[] = "0123456789abcdef";
		it->thumb[2 * i] = hex[md[i] >> 4];
		it->thumb[2 * i + 1] = hex[md[i] & 15];
	}
	it->thumb[40] = '\0';
	n = BIO_get_mem_data(out, &mem);
	if ((it->pem = malloc((size_t)n + 1)) == NULL) {
		BIO_free(out);
		return false;
	}
	memcpy(it->pem, mem, (size_t)n);
	it->pem[n] = '\0';
	BIO_free(out);
	if (crl)
		ca->ncrls++;
	else
		ca->nroots++;
	return true;
}

/* Every value of attr in e into ca (names compared without options such
 * as ";binary"). */
static void
vecsd_dirca_values(LDAP *ld, LDAPMessage *e, const char *want, bool crl,
    struct vecsd_dirca *ca)
{
	BerElement *ber = NULL;
	struct berval **v;
	char *a, *dn;

	for (a = ldap_first_attribute(ld, e, &ber); a != NULL;
	    ldap_memfree(a), a = ldap_next_attribute(ld, e, ber)) {
		size_t len = strcspn(a, ";");

		if (len != strlen(want) || strncasecmp(a, want, len) != 0)
			continue;
		if ((v = ldap_get_values_len(ld, e, a)) == NULL)
			continue;
		for (size_t i = 0; v[i] != NULL; i++) {
			if (vecsd_dirca_add(ca, crl, (unsigned char *)v[i]->bv_val,
			    v[i]->bv_len))
				continue;
			dn = ldap_get_dn(ld, e);
			log_debug("puller: a %s value of %s does not parse; skipped", want,
			    dn != NULL ? dn : "?");
			ldap_memfree(dn);
		}
		ldap_value_free_len(v);
	}
	ber_free(ber, 0);
}

int
vecsd_dirca_read(LDAP *ld, const char *config, struct vecsd_dirca *ca)
{
	char *attrs[] = { "cACertificate", "certificateRevocationList", NULL };
	LDAPMessage *res = NULL, *e;
	char *base;
	int rc;

	memset(ca, 0, sizeof(*ca));
	if (asprintf(&base, DIRCA_RDN ",%s", config) < 0)
		return LDAP_NO_MEMORY;
	rc = ldap_search_ext_s(ld, base, LDAP_SCOPE_ONELEVEL,
	    "(|(objectClass=vmwCertificationAuthority)(objectClass=pkiCA))", attrs, 0,
	    NULL, NULL, NULL, 0, &res);
	free(base);
	/* no container yet: nothing is published */
	if (rc == LDAP_NO_SUCH_OBJECT) {
		ldap_msgfree(res);
		return LDAP_SUCCESS;
	}
	if (rc != LDAP_SUCCESS) {
		ldap_msgfree(res);
		return rc;
	}
	for (e = ldap_first_entry(ld, res); e != NULL; e = ldap_next_entry(ld, e)) {
		vecsd_dirca_values(ld, e, attrs[0], false, ca);
		vecsd_dirca_values(ld, e, attrs[1], true, ca);
	}
	ldap_msgfree(res);
	return LDAP_SUCCESS;
}

void
vecsd_dirca_free(struct vecsd_dirca *ca)
{
	if (ca == NULL)
		return;
	for (size_t i = 0; i < ca->nroots; i++)
		free(ca->roots[i].pem);
	for (size_t i = 0; i < ca->ncrls; i++)
		free(ca->crls[i].pem);
	free(ca->roots);
	free(ca->crls);
	memset(ca, 0, sizeof(*ca));
}
