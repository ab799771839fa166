/*
 * entry.c: in-memory entries and their attributes, and the binary form
 * they are stored in.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vmdir.h"

/*
 * Stored form, all lengths and counts little-endian uint32:
 *   magic 'T' version 1
 *   dn (len, bytes) ndn (len, bytes) nattrs
 *   per attribute: name (len, bytes) nvals, per value (len, bytes)
 * The id is not stored: it is the storage key.
 */
#define ENTRY_MAGIC	'T'
#define ENTRY_VERSION	1

static char *
entry_strdup(const char *s)
{
	size_t	 len;
	char	*p;

	len = strlen(s);
	if ((p = malloc(len + 1)) == NULL)
		return NULL;
	memcpy(p, s, len + 1);
	return p;
}

/* Copies len bytes into a NUL-terminated berval. */
static int
entry_bv_set(struct berval *bv, const char *val, size_t len)
{
	if ((bv->bv_val = malloc(len + 1)) == NULL)
		return -1;
	if (len > 0)
		memcpy(bv->bv_val, val, len);
	bv->bv_val[len] = '\0';
	bv->bv_len = len;
	return 0;
}

static void
entry_attr_clear(struct attr *a)
{
	size_t	 i;

	for (i = 0; i < a->nvals; i++)
		free(a->vals[i].bv_val);
	free(a->vals);
	free(a->name);
}

struct entry *
entry_new(const char *dn, const char *ndn)
{
	struct entry	*e;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	if ((e->dn = entry_strdup(dn ? dn : "")) == NULL ||
	    (ndn != NULL && (e->ndn = entry_strdup(ndn)) == NULL)) {
		entry_free(e);
		return NULL;
	}
	return e;
}

void
entry_free(struct entry *e)
{
	size_t	 i;

	if (e == NULL)
		return;
	for (i = 0; i < e->nattrs; i++)
		entry_attr_clear(&e->attrs[i]);
	free(e->attrs);
	free(e->dn);
	free(e->ndn);
	free(e);
}

struct entry *
entry_dup(const struct entry *e)
{
	struct entry	*d;
	const struct attr *sa;
	struct attr	*da;
	size_t		 i, j;

	if ((d = entry_new(e->dn, e->ndn)) == NULL)
		return NULL;
	d->id = e->id;
	if (e->nattrs == 0)
		return d;
	if ((d->attrs = calloc(e->nattrs, sizeof(*d->attrs))) == NULL)
		goto fail;
	for (i = 0; i < e->nattrs; i++) {
		sa = &e->attrs[i];
		da = &d->attrs[i];
		d->nattrs++;
		da->at = sa->at;
		if ((da->name = entry_strdup(sa->name)) == NULL)
			goto fail;
		if (sa->nvals == 0)
			continue;
		if ((da->vals = calloc(sa->nvals, sizeof(*da->vals))) == NULL)
			goto fail;
		for (j = 0; j < sa->nvals; j++) {
			if (entry_bv_set(&da->vals[j], sa->vals[j].bv_val,
			    sa->vals[j].bv_len) == -1)
				goto fail;
			da->nvals++;
		}
	}
	return d;
 fail:
	entry_free(d);
	return NULL;
}

static bool
entry_attr_match(const struct attr *a, const char *name)
{
	char * const	*n;

	if (strcasecmp(a->name, name) == 0)
		return true;
	if (a->at == NULL)
		return false;
	if (a->at->oid != NULL && strcasecmp(a->at->oid, name) == 0)
		return true;
	for (n = a->at->names; n != NULL && *n != NULL; n++)
		if (strcasecmp(*n, name) == 0)
			return true;
	return false;
}

struct attr *
entry_attr(const struct entry *e, const char *name)
{
	size_t	 i;

	for (i = 0; i < e->nattrs; i++)
		if (entry_attr_match(&e->attrs[i], name))
			return &e->attrs[i];
	return NULL;
}

/* A new attribute without values at the end of e. */
static struct attr *
entry_attr_new(struct entry *e, const char *name)
{
	struct attr	*attrs, *a;
	char		*n;

	if ((n = entry_strdup(name)) == NULL)
		return NULL;
	attrs = realloc(e->attrs, (e->nattrs + 1) * sizeof(*attrs));
	if (attrs == NULL) {
		free(n);
		return NULL;
	}
	e->attrs = attrs;
	a = &e->attrs[e->nattrs++];
	memset(a, 0, sizeof(*a));
	a->name = n;
	return a;
}

static void
entry_attr_remove(struct entry *e, struct attr *a)
{
	size_t	 i = (size_t)(a - e->attrs);

	entry_attr_clear(a);
	memmove(&e->attrs[i], &e->attrs[i + 1],
	    (e->nattrs - i - 1) * sizeof(*e->attrs));
	e->nattrs--;
}

int
entry_add_value(struct entry *e, const char *name, const char *val,
    size_t len)
{
	struct attr	*a;
	struct berval	 bv, *vals;

	if (entry_bv_set(&bv, val, len) == -1)
		return -1;
	if ((a = entry_attr(e, name)) == NULL &&
	    (a = entry_attr_new(e, name)) == NULL) {
		free(bv.bv_val);
		return -1;
	}
	if ((vals = realloc(a->vals, (a->nvals + 1) * sizeof(*vals))) == NULL) {
		free(bv.bv_val);
		if (a->nvals == 0)
			entry_attr_remove(e, a);
		return -1;
	}
	a->vals = vals;
	a->vals[a->nvals++] = bv;
	return 0;
}

int
entry_add_str(struct entry *e, const char *name, const char *val)
{
	return entry_add_value(e, name, val, strlen(val));
}

bool
entry_del_attr(struct entry *e, const char *name)
{
	struct attr	*a;

	if ((a = entry_attr(e, name)) == NULL)
		return false;
	entry_attr_remove(e, a);
	return true;
}

void
entry_del_value(struct entry *e, struct attr *a, size_t i)
{
	if (i >= a->nvals)
		return;
	free(a->vals[i].bv_val);
	memmove(&a->vals[i], &a->vals[i + 1],
	    (a->nvals - i - 1) * sizeof(*a->vals));
	if (--a->nvals == 0)
		entry_attr_remove(e, a);
}

int
entry_set_str(struct entry *e, const char *name, const char *val)
{
	struct attr	*a;
	struct berval	 bv;
	size_t		 i;

	if ((a = entry_attr(e, name)) == NULL)
		return entry_add_str(e, name, val);
	/* Copy first: val may be one of the values about to be freed. */
	if (entry_bv_set(&bv, val, strlen(val)) == -1)
		return -1;
	for (i = 0; i < a->nvals; i++)
		free(a->vals[i].bv_val);
	a->vals[0] = bv;
	a->nvals = 1;
	return 0;
}

const char *
entry_get_str(const struct entry *e, const char *name)
{
	const struct attr *a;

	if ((a = entry_attr(e, name)) == NULL || a->nvals == 0)
		return NULL;
	return a->vals[0].bv_val;
}

uint64_t
entry_get_u64(const struct entry *e, const char *name)
{
	const char	*s;
	uint64_t	 v = 0;

	if ((s = entry_get_str(e, name)) == NULL)
		return 0;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return 0;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	return *s == '\0' ? v : 0;
}

static void
entry_put32(unsigned char **p, size_t v)
{
	(*p)[0] = (unsigned char)(v & 0xff);
	(*p)[1] = (unsigned char)((v >> 8) & 0xff);
	(*p)[2] = (unsigned char)((v >> 16) & 0xff);
	(*p)[3] = (unsigned char)((v >> 24) & 0xff);
	*p += 4;
}

static void
entry_putbytes(unsigned char **p, const void *s, size_t len)
{
	entry_put32(p, len);
	if (len > 0)
		memcpy(*p, s, len);
	*p += len;
}

/* Adds 4 + n to *total, failing on overflow or a length over 32 bits. */
static int
entry_size_add(size_t *total, size_t n)
{
	if (n > UINT32_MAX || *total > SIZE_MAX - 4 - n)
		return -1;
	*total += 4 + n;
	return 0;
}

int
entry_encode(const struct entry *e, void **buf, size_t *len)
{
	const struct attr *a;
	unsigned char	*b, *p;
	const char	*ndn = e->ndn ? e->ndn : "";
	size_t		 total = 2, i, j;

	*buf = NULL;
	*len = 0;
	if (entry_size_add(&total, strlen(e->dn)) == -1 ||
	    entry_size_add(&total, strlen(ndn)) == -1 ||
	    entry_size_add(&total, 0) == -1 || e->nattrs > UINT32_MAX)
		return LDAP_OTHER;
	for (i = 0; i < e->nattrs; i++) {
		a = &e->attrs[i];
		if (entry_size_add(&total, strlen(a->name)) == -1 ||
		    entry_size_add(&total, 0) == -1 || a->nvals > UINT32_MAX)
			return LDAP_OTHER;
		for (j = 0; j < a->nvals; j++)
			if (entry_size_add(&total, a->vals[j].bv_len) == -1)
				return LDAP_OTHER;
	}
	if ((b = malloc(total)) == NULL)
		return LDAP_OTHER;
	p = b;
	*p++ = ENTRY_MAGIC;
	*p++ = ENTRY_VERSION;
	entry_putbytes(&p, e->dn, strlen(e->dn));
	entry_putbytes(&p, ndn, strlen(ndn));
	entry_put32(&p, e->nattrs);
	for (i = 0; i < e->nattrs; i++) {
		a = &e->attrs[i];
		entry_putbytes(&p, a->name, strlen(a->name));
		entry_put32(&p, a->nvals);
		for (j = 0; j < a->nvals; j++)
			entry_putbytes(&p, a->vals[j].bv_val,
			    a->vals[j].bv_len);
	}
	*buf = b;
	*len = total;
	return LDAP_SUCCESS;
}

struct entry_rd {
	const unsigned char	*p;
	size_t			 left;
};

static int
entry_get32(struct entry_rd *r, size_t *v)
{
	if (r->left < 4)
		return -1;
	*v = (size_t)r->p[0] | (size_t)r->p[1] << 8 | (size_t)r->p[2] << 16 |
	    (size_t)r->p[3] << 24;
	r->p += 4;
	r->left -= 4;
	return 0;
}

/* A length-prefixed byte string; text ones may not hold a NUL. */
static int
entry_getbytes(struct entry_rd *r, struct berval *bv, bool text)
{
	size_t	 len;

	if (entry_get32(r, &len) == -1 || len > r->left)
		return -1;
	if (text && memchr(r->p, '\0', len) != NULL)
		return -1;
	if (entry_bv_set(bv, (const char *)r->p, len) == -1)
		return -1;
	r->p += len;
	r->left -= len;
	return 0;
}

static int
entry_decode_attr(struct entry_rd *r, struct attr *a)
{
	struct berval	 name;
	size_t		 n;

	if (entry_getbytes(r, &name, true) == -1)
		return -1;
	a->name = name.bv_val;
	if (name.bv_len == 0)
		return -1;
	/* Each value takes at least its 4 length bytes. */
	if (entry_get32(r, &n) == -1 || n == 0 || n > r->left / 4)
		return -1;
	if ((a->vals = calloc(n, sizeof(*a->vals))) == NULL)
		return -1;
	while (a->nvals < n) {
		if (entry_getbytes(r, &a->vals[a->nvals], false) == -1)
			return -1;
		a->nvals++;
	}
	return 0;
}

struct entry *
entry_decode(const void *buf, size_t len)
{
	struct entry_rd	 r = { buf, len };
	struct entry	*e;
	struct berval	 dn, ndn;
	size_t		 n;

	if (buf == NULL || len < 2 || r.p[0] != ENTRY_MAGIC ||
	    r.p[1] != ENTRY_VERSION)
		return NULL;
	r.p += 2;
	r.left -= 2;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	if (entry_getbytes(&r, &dn, true) == -1)
		goto fail;
	e->dn = dn.bv_val;
	if (entry_getbytes(&r, &ndn, true) == -1)
		goto fail;
	e->ndn = ndn.bv_val;
	/* Each attribute takes at least 12 bytes: name, count, one value. */
	if (entry_get32(&r, &n) == -1 || n > r.left / 12)
		goto fail;
	if (n > 0 && (e->attrs = calloc(n, sizeof(*e->attrs))) == NULL)
		goto fail;
	while (e->nattrs < n) {
		e->nattrs++;
		if (entry_decode_attr(&r, &e->attrs[e->nattrs - 1]) == -1)
			goto fail;
	}
	if (r.left != 0)
		goto fail;
	return e;
 fail:
	entry_free(e);
	return NULL;
}
