/*
 * vecsd_reconcile.c: the trusted-roots puller's rules, applied to
 * TRUSTED_ROOTS and TRUSTED_ROOT_CRLS. An entry is matched to what the
 * directory publishes by the thumbprint of its certificate (or CRL), not
 * by its alias, so a root added by hand under a name of its own is still
 * recognised. The caller holds the storage lock for the whole pass:
 * clients see the stores before or after it, never half-way.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "log.h"
#include "vecs/vecsd.h"

#define STORE_ROOTS	"TRUSTED_ROOTS"
#define STORE_CRLS	"TRUSTED_ROOT_CRLS"

bool
vecsd_reconcile_thumb(const char *pem, bool crl, char thumb[41])
{
	BIO *in = BIO_new_mem_buf(pem, -1);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	X509 *x = NULL;
	X509_CRL *c = NULL;
	bool ok;

	if (in == NULL)
		return false;
	if (crl)
		ok = (c = PEM_read_bio_X509_CRL(in, NULL, NULL, NULL)) != NULL &&
		    X509_CRL_digest(c, EVP_sha1(), md, &mdlen);
	else
		ok = (x = PEM_read_bio_X509(in, NULL, NULL, NULL)) != NULL &&
		    X509_digest(x, EVP_sha1(), md, &mdlen);
	X509_free(x);
	X509_CRL_free(c);
	BIO_free(in);
	ERR_clear_error();
	if (!ok || mdlen != 20)
		return false;
	for (unsigned i = 0; i < 20; i++) {
		static const char hex[] = "0123456789abcdef";
		thumb[2 * i] = hex[md[i] >> 4];
		thumb[2 * i + 1] = hex[md[i] & 15];
	}
	thumb[40] = '\0';
	return true;
}

/* One store against the items the directory has. */
static int
vecsd_reconcile_store(struct vecsd_db *db, const char *store, bool crl,
    const struct vecsd_dirca_item *items, size_t nitems, struct vecsd_reconcile_counts *n)
{
	struct vecsd_entry *v = NULL;
	char (*thumbs)[41] = NULL;
	bool *found = NULL;
	size_t nv = 0;
	int rc;

	if ((rc = vecsd_db_entry_list(db, store, &v, &nv)) != 0)
		return rc;
	thumbs = calloc(nv + 1, sizeof(*thumbs));
	found = calloc(nitems + 1, sizeof(*found));
	if (thumbs == NULL || found == NULL) {
		rc = VECS_ERR_NO_MEMORY;
		goto out;
	}
	for (size_t i = 0; i < nv; i++)
		if (v[i].cert == NULL || !vecsd_reconcile_thumb(v[i].cert, crl, thumbs[i]))
			thumbs[i][0] = '\0';
	/* entries first: mark what the directory has, remove pulled ones it lost */
	for (size_t i = 0; i < nv && rc == 0; i++) {
		bool published = false;

		for (size_t j = 0; j < nitems; j++)
			if (thumbs[i][0] != '\0' && strcmp(thumbs[i], items[j].thumb) == 0) {
				published = found[j] = true;
			}
		if (published && !v[i].pulled) {
			if ((rc = vecsd_db_entry_set_pulled(db, store, v[i].alias, true)) == 0) {
				n->marked++;
				log_info("puller: store [%s]: entry [%s] is published: now pulled",
				    store, v[i].alias);
			}
		} else if (!published && v[i].pulled) {
			if ((rc = vecsd_db_entry_delete(db, store, v[i].alias)) == 0) {
				n->removed++;
				log_info("puller: store [%s]: entry [%s] is no longer published: "
				    "removed", store, v[i].alias);
			}
		}
	}
	/* then what the directory has and the store lacks */
	for (size_t j = 0; j < nitems && rc == 0; j++) {
		struct vecsd_entry e = {
			.alias = (char *)items[j].thumb,
			.type = crl ? VECS_ENTRY_CRL : VECS_ENTRY_TRUSTED_CERT,
			.pulled = true,
			.cert = items[j].pem,
			.added = (int64_t)time(NULL),
		};

		if (found[j])
			continue;
		/* a value published twice (two entries, or twice in one) is added once */
		found[j] = true;
		for (size_t k = j + 1; k < nitems; k++)
			if (strcmp(items[k].thumb, items[j].thumb) == 0)
				found[k] = true;
		rc = vecsd_db_entry_add(db, store, &e);
		if (rc == VECS_ERR_ALREADY_EXISTS) {
			/* the alias holds something else: keep it, say so */
			log_warn("puller: store [%s]: alias [%s] is taken by another entry; "
			    "the published %s is not added", store, e.alias,
			    crl ? "CRL" : "root");
			rc = 0;
		} else if (rc == 0) {
			n->added++;
			log_info("puller: store [%s]: entry [%s] added from the directory",
			    store, e.alias);
		}
	}
 out:
	free(thumbs);
	free(found);
	vecsd_entries_free(v, nv);
	return rc;
}

int
vecsd_reconcile_count(struct vecsd_db *db, struct vecsd_reconcile_counts *n)
{
	struct vecsd_entry *v;
	size_t nv;
	int rc;

	if ((rc = vecsd_db_entry_list(db, STORE_ROOTS, &v, &nv)) != 0)
		return rc;
	n->roots = (unsigned)nv;
	n->roots_pulled = 0;
	for (size_t i = 0; i < nv; i++)
		n->roots_pulled += v[i].pulled;
	vecsd_entries_free(v, nv);
	if ((rc = vecsd_db_entry_list(db, STORE_CRLS, &v, &nv)) != 0)
		return rc;
	n->crls = (unsigned)nv;
	n->crls_pulled = 0;
	for (size_t i = 0; i < nv; i++)
		n->crls_pulled += v[i].pulled;
	vecsd_entries_free(v, nv);
	return 0;
}

int
vecsd_reconcile(struct vecsd_db *db, const struct vecsd_dirca *ca,
    struct vecsd_reconcile_counts *n)
{
	int rc;

	memset(n, 0, sizeof(*n));
	if ((rc = vecsd_reconcile_store(db, STORE_ROOTS, false, ca->roots, ca->nroots, n)) != 0 ||
	    (rc = vecsd_reconcile_store(db, STORE_CRLS, true, ca->crls, ca->ncrls, n)) != 0)
		return rc;
	return vecsd_reconcile_count(db, n);
}
