/*
 * test_store.c: vecsd's storage (vecsd_db.c) in a scratch directory, and
 * what entry create accepts (vecsd_x509.c), with keys and certificates
 * made here with OpenSSL.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "tests/unit/tap.h"
#include "log.h"
#include "vecs/vecsd.h"

static char dir[256];

/* A self-signed certificate of a new EC key; *pem and *keypem caller frees. */
static void
make_cert(const char *cn, char **pem, char **keypem, char thumb[41])
{
	EVP_PKEY *pk = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	BIO *b = BIO_new(BIO_s_mem()), *k = BIO_new(BIO_s_mem());
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;
	char *p;
	long len;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, n);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, pk);
	X509_sign(x, pk, EVP_sha256());
	PEM_write_bio_X509(b, x);
	PEM_write_bio_PrivateKey(k, pk, NULL, NULL, 0, NULL, NULL);
	len = BIO_get_mem_data(b, &p);
	*pem = strndup(p, (size_t)len);
	len = BIO_get_mem_data(k, &p);
	*keypem = strndup(p, (size_t)len);
	X509_digest(x, EVP_sha1(), md, &mdlen);
	for (unsigned int i = 0; i < mdlen; i++)
		sprintf(thumb + 2 * i, "%02x", md[i]);
	BIO_free(b);
	BIO_free(k);
	X509_NAME_free(n);
	X509_free(x);
	EVP_PKEY_free(pk);
}

static void
test_x509(void)
{
	struct vecsd_entry e = { 0 };
	char *c1, *k1, *c2, *k2, t1[41], t2[41], thumb[41], why[256], *chain;

	make_cert("one", &c1, &k1, t1);
	make_cert("two", &c2, &k2, t2);
	ok(vecsd_x509_entry(c1, NULL, &e, thumb, why, sizeof(why)) == 0 &&
	    e.type == VECS_ENTRY_TRUSTED_CERT, "a certificate alone is a Trusted Cert");
	is_str(thumb, t1, "its default alias is the lowercase SHA-1 thumbprint");
	free(e.cert);
	memset(&e, 0, sizeof(e));
	ok(vecsd_x509_entry(c1, k1, &e, thumb, why, sizeof(why)) == 0 &&
	    e.type == VECS_ENTRY_PRIVATE_KEY && e.key != NULL, "a certificate and its key: Private Key");
	free(e.cert);
	free(e.key);
	memset(&e, 0, sizeof(e));
	is_int(vecsd_x509_entry(c1, k2, &e, thumb, why, sizeof(why)), VECS_ERR_INVALID_PARAMETER,
	    "a key that does not match the certificate is refused");
	is_str(why, "the private key does not match the certificate", "and says so");
	free(e.cert);
	free(e.key);
	memset(&e, 0, sizeof(e));
	ok(vecsd_x509_entry(NULL, k2, &e, thumb, why, sizeof(why)) == 0 &&
	    e.type == VECS_ENTRY_SECRET_KEY && thumb[0] == '\0', "a key alone: Secret Key, no thumbprint");
	free(e.key);
	memset(&e, 0, sizeof(e));
	is_int(vecsd_x509_entry("hello\n", NULL, &e, thumb, why, sizeof(why)),
	    VECS_ERR_INVALID_PARAMETER, "text that is not PEM is refused");
	is_int(vecsd_x509_entry(NULL, "hello\n", &e, thumb, why, sizeof(why)),
	    VECS_ERR_INVALID_PARAMETER, "a key that is not PEM is refused");
	if (asprintf(&chain, "%s%s", c1, c2) < 0)
		abort();
	ok(vecsd_x509_entry(chain, k1, &e, thumb, why, sizeof(why)) == 0 &&
	    strcmp(e.cert, chain) == 0, "a chain is kept whole, its first certificate matched");
	free(e.cert);
	free(e.key);
	memset(&e, 0, sizeof(e));
	free(chain);
	if (asprintf(&chain, "%s-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n", c1) < 0)
		abort();
	is_int(vecsd_x509_entry(chain, NULL, &e, thumb, why, sizeof(why)),
	    VECS_ERR_INVALID_PARAMETER, "a file with a broken second block is refused");
	free(e.cert);
	free(chain);
	free(c1); free(k1); free(c2); free(k2);
}

static int
count_files(const char *d, mode_t want, int *bad)
{
	DIR *dd = opendir(d);
	struct dirent *de;
	struct stat st;
	char p[512];
	int n = 0;

	while (dd != NULL && (de = readdir(dd)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", d, de->d_name);
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
			n++;
			if ((st.st_mode & 0777) != want)
				(*bad)++;
		}
	}
	if (dd != NULL)
		closedir(dd);
	return n;
}

static void
test_db(void)
{
	struct vecsd_db *db;
	struct vecsd_ctx ctx = { 0 };
	struct vecsd_store *s, *v, mine = { "Mine", 1000, 0, NULL };
	struct vecsd_entry e = { "Alias1", VECS_ENTRY_TRUSTED_CERT, false, "C1", NULL, 1 }, *ev, *eg;
	char err[256];
	size_t n;
	int bad = 0;
	struct stat st;

	ok(vecsd_db_open(dir, &db, err, sizeof(err)) == 0, "the environment opens");
	ctx.db = db;
	ok(stat(dir, &st) == 0 && (st.st_mode & 0777) == 0700, "the data directory is 0700");
	ok(vecsd_req_bootstrap(&ctx) == 0, "the default stores are made");
	ok(vecsd_req_bootstrap(&ctx) == 0, "again, without complaint");
	ok(vecsd_db_store_list(db, &v, &n) == 0 && n == 8, "eight default stores");
	vecsd_stores_free(v, n);
	ok(vecsd_db_store_get(db, "trusted_roots", &s) == 0 && strcmp(s->name, "TRUSTED_ROOTS") == 0 &&
	    s->ngrants == 1 && s->grants[0].uid == VECSD_UID_EVERYONE, "TRUSTED_ROOTS grants EVERYONE read");
	vecsd_store_free(s);
	ok(vecsd_db_store_create(db, &mine) == 0, "a store is created");
	mine.name = "MINE";
	is_int(vecsd_db_store_create(db, &mine), VECS_ERR_ALREADY_EXISTS,
	    "the same name in another case already exists");
	is_int(vecsd_db_store_get(db, "nope", &s), VECS_ERR_NOT_FOUND, "an unknown store is not found");
	ok(vecsd_db_entry_add(db, "mine", &e) == 0, "an entry is added");
	e.alias = "ALIAS1";
	is_int(vecsd_db_entry_add(db, "Mine", &e), VECS_ERR_ALREADY_EXISTS,
	    "its alias in another case already exists");
	e.alias = "alias2";
	e.cert = "C2";
	is_int(vecsd_db_entry_add(db, "nope", &e), VECS_ERR_NOT_FOUND, "no entry goes into an unknown store");
	ok(vecsd_db_entry_add(db, "Mine", &e) == 0, "a second entry is added");
	ok(vecsd_db_entry_add(db, "MACHINE_SSL_CERT", &e) == 0, "an alias may repeat in another store");
	ok(vecsd_db_entry_list(db, "MINE", &ev, &n) == 0 && n == 2 &&
	    strcmp(ev[0].alias, "Alias1") == 0 && strcmp(ev[1].cert, "C2") == 0,
	    "the store lists its two entries, aliases as given");
	vecsd_entries_free(ev, n);
	ok(vecsd_db_entry_set_pulled(db, "mine", "alias1", true) == 0 &&
	    vecsd_db_entry_get(db, "mine", "ALIAS1", &eg) == 0 && eg->pulled,
	    "the pulled flag is kept");
	vecsd_entry_free(eg);
	ok(vecsd_db_entry_delete(db, "mine", "alias2") == 0, "an entry is deleted");
	is_int(vecsd_db_entry_delete(db, "mine", "alias2"), VECS_ERR_NOT_FOUND,
	    "deleting it again finds nothing");
	ok(vecsd_db_store_delete(db, "mine") == 0, "the store is deleted");
	ok(vecsd_db_store_create(db, &mine) == 0 && vecsd_db_entry_list(db, "mine", &ev, &n) == 0 &&
	    n == 0, "a store made again under the name starts empty");
	vecsd_entries_free(ev, n);
	ok(vecsd_db_entry_list(db, "MACHINE_SSL_CERT", &ev, &n) == 0 && n == 1,
	    "other stores keep their entries");
	vecsd_entries_free(ev, n);
	vecsd_db_close(db);
	ok(vecsd_db_open(dir, &db, err, sizeof(err)) == 0 &&
	    vecsd_db_entry_get(db, "machine_ssl_cert", "alias2", &eg) == 0,
	    "after a reopen the entries are there");
	vecsd_entry_free(eg);
	vecsd_db_close(db);
	ok(count_files(dir, 0600, &bad) >= 3 && bad == 0, "every file in the data directory is 0600");
}

int
main(void)
{
	char cmd[300];

	snprintf(dir, sizeof(dir), "%s/vecs-unit.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL)
		return 1;
	strcat(dir, "/db");
	log_init("test_store", false, LOG_LVL_ERROR);
	test_x509();
	test_db();
	snprintf(cmd, sizeof(cmd), "rm -rf '%.*s'", (int)(strlen(dir) - 3), dir);
	if (tap_failed == 0 && system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return tap_done();
}
