/*
 * filter.c: search filters as the decoder and the parser build them:
 * allocation, children, values and checked attribute descriptions.
 */

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "filter_int.h"

void
filter_free(struct filter *f)
{
	size_t	 i;

	if (f == NULL)
		return;
	free(f->attr);
	free(f->value.bv_val);
	free(f->initial.bv_val);
	for (i = 0; i < f->nany; i++)
		free(f->any[i].bv_val);
	free(f->any);
	free(f->final.bv_val);
	free(f->rule);
	for (i = 0; i < f->nchildren; i++)
		filter_free(f->children[i]);
	free(f->children);
	free(f);
}

int
filter_new(struct filter_ctx *c, enum filter_kind kind, struct filter **out)
{
	*out = NULL;
	if (++c->nelems > FILTER_MAX_ELEMS)
		return c->err;
	if ((*out = calloc(1, sizeof(**out))) == NULL)
		return LDAP_OTHER;
	(*out)->kind = kind;
	return LDAP_SUCCESS;
}

int
filter_add_child(struct filter *f, struct filter *child)
{
	struct filter	**nc;

	/* Grow by powers of two. */
	if ((f->nchildren & (f->nchildren - 1)) == 0) {
		nc = reallocarray(f->children,
		    f->nchildren ? f->nchildren * 2 : 1, sizeof(*nc));
		if (nc == NULL) {
			filter_free(child);
			return LDAP_OTHER;
		}
		f->children = nc;
	}
	f->children[f->nchildren++] = child;
	return LDAP_SUCCESS;
}

bool
filter_set_full(const struct filter *f)
{
	return f->kind == FILTER_NOT && f->nchildren == 1;
}

int
filter_check_set(struct filter_ctx *c, const struct filter *f)
{
	if (f->kind == FILTER_NOT && f->nchildren != 1)
		return c->err;
	return LDAP_SUCCESS;
}

int
filter_bvdup(const char *p, size_t len, struct berval *out)
{
	if ((out->bv_val = malloc(len + 1)) == NULL)
		return LDAP_OTHER;
	memcpy(out->bv_val, p, len);
	out->bv_val[len] = '\0';
	out->bv_len = len;
	return LDAP_SUCCESS;
}

int
filter_add_any(struct filter *f, const char *p, size_t len)
{
	struct berval	*na;

	na = reallocarray(f->any, f->nany + 1, sizeof(*na));
	if (na == NULL)
		return LDAP_OTHER;
	f->any = na;
	if (filter_bvdup(p, len, &f->any[f->nany]) != LDAP_SUCCESS)
		return LDAP_OTHER;
	f->nany++;
	return LDAP_SUCCESS;
}

bool
filter_attr_char(int ch)
{
	/* '_' is not RFC 4512 but some clients send it. */
	return isalnum((unsigned char)ch) || ch == '-' || ch == ';' ||
	    ch == '.' || ch == '_';
}

bool
filter_rule_char(int ch)
{
	return isalnum((unsigned char)ch) || ch == '.' || ch == '-';
}

static bool
filter_attr_ok(const char *p, size_t len)
{
	size_t	 i;

	if (len == 0 || p[0] == ';')
		return false;
	for (i = 0; i < len; i++)
		if (!filter_attr_char(p[i]))
			return false;
	return true;
}

size_t
filter_type_len(const char *desc)
{
	return strcspn(desc, ";");
}

const struct at_def *
filter_lookup_at(const struct schema *s, const char *desc)
{
	char	 type[256];
	size_t	 n;

	if (s == NULL)
		return NULL;
	n = filter_type_len(desc);
	if (n >= sizeof(type))
		return NULL;
	memcpy(type, desc, n);
	type[n] = '\0';
	return schema_at(s, type);
}

int
filter_set_attr(struct filter_ctx *c, struct filter *f, const char *p,
    size_t len)
{
	if (!filter_attr_ok(p, len))
		return c->err;
	if ((f->attr = strndup(p, len)) == NULL)
		return LDAP_OTHER;
	f->at = filter_lookup_at(c->s, f->attr);
	return LDAP_SUCCESS;
}
