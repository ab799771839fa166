/*
 * vecsd_capath.c: TRUSTED_ROOTS and TRUSTED_ROOT_CRLS as an OpenSSL
 * hashed directory, named as `openssl rehash` names them: a certificate
 * as <X509_subject_name_hash>.N, a CRL as <issuer name hash>.rN, N counting
 * from 0 among those sharing a hash (ordered by SHA-1 thumbprint, so the
 * names do not depend on store order). Each file holds one PEM object; a
 * file whose content is already right is left alone, others are written to
 * a temporary name and renamed, so a reader (openssl verify -CApath,
 * vmdird's tls_ca_path at each connection) never sees half a file. Then
 * hash-named files nobody wants are removed. Only files named like a hash
 * are ever touched.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "vecs/vecsd.h"

struct capath_file {
	unsigned long	 hash;
	bool		 crl;
	unsigned char	 md[20];	/* orders and de-duplicates */
	char		*pem;
	char		 name[24];	/* <8 hex>.rNNNN */
};

struct capath_set {
	struct capath_file *v;
	size_t		 n;
};

static int
capath_add(struct capath_set *s, unsigned long hash, bool crl, const unsigned char md[20],
    BIO *pem)
{
	struct capath_file *v, *f;
	char *p;
	long len;

	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].crl == crl && memcmp(s->v[i].md, md, 20) == 0)
			return 0;	/* the same object twice: one file */
	if ((v = realloc(s->v, (s->n + 1) * sizeof(*v))) == NULL)
		return -1;
	s->v = v;
	f = &v[s->n];
	memset(f, 0, sizeof(*f));
	f->hash = hash;
	f->crl = crl;
	memcpy(f->md, md, 20);
	len = BIO_get_mem_data(pem, &p);
	if (len < 0 || (f->pem = malloc((size_t)len + 1)) == NULL)
		return -1;
	memcpy(f->pem, p, (size_t)len);
	f->pem[len] = '\0';
	s->n++;
	return 0;
}

/* Every certificate of an entry (a chain gives one file each). */
static int
capath_certs(struct capath_set *s, const char *pem)
{
	BIO *in = BIO_new_mem_buf(pem, -1), *out;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;
	X509 *x;
	int rc = 0;

	if (in == NULL)
		return -1;
	while (rc == 0 && (x = PEM_read_bio_X509(in, NULL, NULL, NULL)) != NULL) {
		if ((out = BIO_new(BIO_s_mem())) == NULL || !PEM_write_bio_X509(out, x) ||
		    !X509_digest(x, EVP_sha1(), md, &mdlen) ||
		    capath_add(s, X509_subject_name_hash(x), false, md, out) != 0)
			rc = -1;
		BIO_free(out);
		X509_free(x);
	}
	ERR_clear_error();
	BIO_free(in);
	return rc;
}

static int
capath_crl(struct capath_set *s, const char *pem)
{
	BIO *in = BIO_new_mem_buf(pem, -1), *out = NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;
	X509_CRL *c;
	int rc = 0;

	if (in == NULL)
		return -1;
	if ((c = PEM_read_bio_X509_CRL(in, NULL, NULL, NULL)) != NULL) {
		if ((out = BIO_new(BIO_s_mem())) == NULL || !PEM_write_bio_X509_CRL(out, c) ||
		    !X509_CRL_digest(c, EVP_sha1(), md, &mdlen) ||
		    capath_add(s, X509_NAME_hash(X509_CRL_get_issuer(c)), true, md, out) != 0)
			rc = -1;
	}
	ERR_clear_error();
	BIO_free(out);
	X509_CRL_free(c);
	BIO_free(in);
	return rc;
}

static int
capath_cmp(const void *a, const void *b)
{
	const struct capath_file *x = a, *y = b;

	if (x->crl != y->crl)
		return x->crl ? 1 : -1;
	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return memcmp(x->md, y->md, 20);
}

/* Names each file: N counts up within one hash (and kind). */
static void
capath_name(struct capath_set *s)
{
	unsigned n = 0;

	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), capath_cmp);
	for (size_t i = 0; i < s->n; i++) {
		if (i > 0 && s->v[i].crl == s->v[i - 1].crl && s->v[i].hash == s->v[i - 1].hash)
			n++;
		else
			n = 0;
		snprintf(s->v[i].name, sizeof(s->v[i].name), "%08lx.%s%u", s->v[i].hash,
		    s->v[i].crl ? "r" : "", n);
	}
}

/* "0123abcd.7" or "0123abcd.r7": a name this file owns. */
static bool
capath_ours(const char *name)
{
	size_t i;

	for (i = 0; i < 8; i++)
		if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
			return false;
	if (name[i++] != '.')
		return false;
	if (name[i] == 'r')
		i++;
	if (name[i] == '\0')
		return false;
	for (; name[i] != '\0'; i++)
		if (name[i] < '0' || name[i] > '9')
			return false;
	return true;
}

/* True when path holds exactly text. */
static bool
capath_same(const char *path, const char *text)
{
	size_t len = strlen(text);
	char *buf;
	ssize_t r;
	int fd;
	bool same = false;
	struct stat st;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return false;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size == len &&
	    (st.st_mode & 07777) == 0644 && (buf = malloc(len + 1)) != NULL) {
		r = read(fd, buf, len + 1);
		same = r == (ssize_t)len && memcmp(buf, text, len) == 0;
		free(buf);
	}
	close(fd);
	return same;
}

static int
capath_put(const char *dir, const struct capath_file *f, char *err, size_t errlen)
{
	char path[4096], tmp[4096];
	size_t len = strlen(f->pem);
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, f->name);
	if (capath_same(path, f->pem))
		return 0;
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, f->name);
	unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0) {
		snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
		return -1;
	}
	/* vecsd's umask is 077: the mode is set, not asked for */
	if (fchmod(fd, 0644) != 0 || write(fd, f->pem, len) != (ssize_t)len ||
	    close(fd) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) != 0) {
		snprintf(err, errlen, "cannot rename %s: %s", tmp, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* Removes hash-named files (and leftover temporaries) not in s. */
static void
capath_sweep(const char *dir, const struct capath_set *s)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[4096];
	size_t len;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		const char *name = de->d_name;
		bool keep = false;

		len = strlen(name);
		if (name[0] == '.' && len > 5 && strcmp(name + len - 4, ".tmp") == 0) {
			char inner[64];

			if (len - 5 >= sizeof(inner))
				continue;
			memcpy(inner, name + 1, len - 5);
			inner[len - 5] = '\0';
			if (!capath_ours(inner))
				continue;
		} else if (!capath_ours(name))
			continue;
		else
			for (size_t i = 0; i < s->n && !keep; i++)
				keep = strcmp(s->v[i].name, name) == 0;
		if (keep)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		unlink(path);
	}
	closedir(d);
}

/* mkdir -p, each new level 0755; the last one made 0755 if it exists. */
static int
capath_mkdir(const char *dir, char *err, size_t errlen)
{
	char p[4096];
	size_t len = strlen(dir);

	if (len == 0 || len >= sizeof(p)) {
		snprintf(err, errlen, "invalid ca_path");
		return -1;
	}
	memcpy(p, dir, len + 1);
	for (char *s = p + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) == 0)
			chmod(p, 0755);
		*s = '/';
	}
	if (mkdir(p, 0755) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	if (chmod(p, 0755) != 0) {
		snprintf(err, errlen, "cannot make %s readable: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

int
vecsd_capath_write(const char *dir, const struct vecsd_entry *roots, size_t nroots,
    const struct vecsd_entry *crls, size_t ncrls, char *err, size_t errlen)
{
	struct capath_set s = { NULL, 0 };
	int rc = 0;

	err[0] = '\0';
	if (capath_mkdir(dir, err, errlen) != 0)
		return -1;
	for (size_t i = 0; i < nroots && rc == 0; i++)
		if (roots[i].cert != NULL)
			rc = capath_certs(&s, roots[i].cert);
	for (size_t i = 0; i < ncrls && rc == 0; i++)
		if (crls[i].cert != NULL)
			rc = capath_crl(&s, crls[i].cert);
	if (rc != 0)
		snprintf(err, errlen, "out of memory");
	if (rc == 0) {
		capath_name(&s);
		for (size_t i = 0; i < s.n && rc == 0; i++)
			rc = capath_put(dir, &s.v[i], err, errlen);
	}
	/* stale names go only once every wanted file is in place */
	if (rc == 0)
		capath_sweep(dir, &s);
	for (size_t i = 0; i < s.n; i++)
		free(s.v[i].pem);
	free(s.v);
	return rc;
}
