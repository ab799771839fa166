/*
 * entry.c: in-memory entries and their attributes (entry_codec.c holds
 * the binary form they are stored in).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vmdir.h"

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
