/*
 * schema_check.c: checks an entry about to be stored against the schema:
 * known types spelled by their primary names, one structural class chain,
 * MUST and MAY, single values, syntaxes, duplicate values and the RDN.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "schema_int.h"

static bool
schema_oc_is_a(const struct schema_oc *o, const struct schema_oc *anc)
{
	size_t	 i;

	if (o == anc)
		return true;
	for (i = 0; i < o->nsups; i++)
		if (schema_oc_is_a(o->sups[i], anc))
			return true;
	return false;
}

static bool
schema_has(const struct at_def **list, const struct at_def *at)
{
	for (; *list != NULL; list++)
		if (*list == at)
			return true;
	return false;
}

/* Looks the type up and respells the name as the schema's primary name,
 * keeping options other than the transfer option ";binary" (RFC 4522). */
static int
schema_attr_type(const struct schema *s, struct attr *a, struct diag *d)
{
	const struct at_def	*at;
	const char		*opt;
	char			*name, *p;
	size_t			 len;

	if ((at = schema_at(s, a->name)) == NULL)
		return diag_set(d, LDAP_UNDEFINED_TYPE,
		    "attribute '%s' undefined", a->name);
	a->at = at;
	opt = strchr(a->name, ';');
	if (opt != NULL && strcasecmp(opt, ";binary") == 0)
		opt = NULL;
	len = strlen(at->names[0]) + (opt ? strlen(opt) : 0);
	if ((name = malloc(len + 1)) == NULL)
		return diag_set(d, LDAP_OTHER, "out of memory");
	p = stpcpy(name, at->names[0]);
	if (opt != NULL)
		strcpy(p, opt);
	free(a->name);
	a->name = name;
	return LDAP_SUCCESS;
}

struct schema_nval {
	struct berval	 bv;
	size_t		 idx;
};

static int
schema_nval_cmp(const void *a, const void *b)
{
	const struct schema_nval *x = a, *y = b;
	int	 c;

	if ((c = schema_bv_cmp(&x->bv, &y->bv)) != 0)
		return c;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

static int
schema_check_values(const struct schema *s, const struct attr *a,
    struct diag *d)
{
	struct schema_nval	*nv;
	size_t			 i, n = 0, dup = 0;
	int			 rc = LDAP_SUCCESS;

	if (a->nvals == 0)
		return diag_set(d, LDAP_CONSTRAINT_VIOLATION,
		    "attribute '%s' has no values", a->name);
	if (a->at->single_value && a->nvals > 1)
		return diag_set(d, LDAP_CONSTRAINT_VIOLATION,
		    "attribute '%s' cannot have multiple values", a->name);
	for (i = 0; i < a->nvals; i++)
		if (!schema_syntax_ok(s, a->at, &a->vals[i]))
			return diag_set(d, LDAP_INVALID_SYNTAX,
			    "%s: value #%zu invalid per syntax", a->name, i);
	if (a->nvals == 1)
		return LDAP_SUCCESS;
	if ((nv = calloc(a->nvals, sizeof(*nv))) == NULL)
		return diag_set(d, LDAP_OTHER, "out of memory");
	for (; n < a->nvals; n++) {
		nv[n].idx = n;
		rc = schema_normalize(s, a->at, &a->vals[n], &nv[n].bv);
		if (rc != LDAP_SUCCESS) {
			rc = rc == LDAP_INVALID_SYNTAX ? diag_set(d, rc,
			    "%s: value #%zu invalid per syntax", a->name, n) :
			    diag_set(d, LDAP_OTHER, "out of memory");
			break;
		}
	}
	if (rc == LDAP_SUCCESS) {
		qsort(nv, n, sizeof(*nv), schema_nval_cmp);
		for (i = 1; i < n; i++)
			if (schema_bv_cmp(&nv[i - 1].bv, &nv[i].bv) == 0 &&
			    nv[i].idx >= dup)
				dup = nv[i].idx;
		if (dup > 0)
			rc = diag_set(d, LDAP_TYPE_OR_VALUE_EXISTS,
			    "%s: value #%zu provided more than once",
			    a->name, dup);
	}
	for (i = 0; i < n; i++)
		free(nv[i].bv.bv_val);
	free(nv);
	return rc;
}

/* The object classes of e, checked: exactly one structural chain. */
static int
schema_entry_classes(const struct schema *s, const struct entry *e,
    const struct schema_oc ***ocsp, size_t *nocs, bool *extensible,
    struct diag *d)
{
	const struct at_def	 *oc_at = schema_at(s, "objectClass");
	const struct schema_oc	**ocs, *o, *top = NULL;
	const struct attr	 *a = NULL;
	size_t			  i;

	for (i = 0; i < e->nattrs && a == NULL; i++)
		if (e->attrs[i].at == oc_at && e->attrs[i].nvals > 0)
			a = &e->attrs[i];
	if (a == NULL)
		return diag_set(d, LDAP_OBJECT_CLASS_VIOLATION,
		    "no objectClass attribute");
	if ((ocs = calloc(a->nvals, sizeof(*ocs))) == NULL)
		return diag_set(d, LDAP_OTHER, "out of memory");
	*ocsp = ocs;
	*nocs = a->nvals;
	*extensible = false;
	for (i = 0; i < a->nvals; i++) {
		o = schema_key_find(s->ockeys, s->nockeys, a->vals[i].bv_val);
		if (o == NULL)
			return diag_set(d, LDAP_OBJECT_CLASS_VIOLATION,
			    "unrecognized objectClass '%s'", a->vals[i].bv_val);
		ocs[i] = o;
		if (strcmp(o->def.oid, "1.3.6.1.4.1.1466.101.120.111") == 0)
			*extensible = true;
		if (o->def.kind != OC_STRUCTURAL)
			continue;
		if (top == NULL || schema_oc_is_a(o, top))
			top = o;
		else if (!schema_oc_is_a(top, o))
			return diag_set(d, LDAP_OBJECT_CLASS_VIOLATION,
			    "invalid structural object class chain (%s/%s)",
			    top->def.names[0], o->def.names[0]);
	}
	if (top == NULL)
		return diag_set(d, LDAP_OBJECT_CLASS_VIOLATION,
		    "no structural object class provided");
	return LDAP_SUCCESS;
}

static bool
schema_entry_has(const struct entry *e, const struct at_def *at)
{
	size_t	 i;

	for (i = 0; i < e->nattrs; i++)
		if (e->attrs[i].at == at && e->attrs[i].nvals > 0)
			return true;
	return false;
}

static int
schema_check_oc(const struct entry *e, const struct schema_oc **ocs,
    size_t nocs, bool extensible, struct diag *d)
{
	const struct at_def	**m;
	const struct attr	 *a;
	size_t			  i, k;

	for (i = 0; i < nocs; i++)
		for (m = ocs[i]->def.must; *m != NULL; m++)
			if (!schema_entry_has(e, *m))
				return diag_set(d, LDAP_OBJECT_CLASS_VIOLATION,
				    "object class '%s' requires attribute '%s'",
				    ocs[i]->def.names[0], (*m)->names[0]);
	if (extensible)
		return LDAP_SUCCESS;
	for (i = 0; i < e->nattrs; i++) {
		a = &e->attrs[i];
		if (a->at->operational)
			continue;
		for (k = 0; k < nocs; k++)
			if (schema_has(ocs[k]->def.must, a->at) ||
			    schema_has(ocs[k]->def.may, a->at))
				break;
		if (k == nocs)
			return diag_set(d, LDAP_OBJECT_CLASS_VIOLATION,
			    "attribute '%s' not allowed", a->name);
	}
	return LDAP_SUCCESS;
}

/* Every value of the RDN must be a value of the entry (RFC 4512 2.3.1). */
static int
schema_check_rdn(const struct schema *s, const struct entry *e,
    struct diag *d)
{
	const struct at_def	 *at;
	const struct attr	 *a;
	struct berval		  bv;
	char			 *rdn, **types, **vals;
	size_t			  n, i, k;
	int			  rc = LDAP_SUCCESS;

	if (e->dn == NULL || e->dn[0] == '\0')
		return LDAP_SUCCESS;
	if ((rdn = dn_rdn(e->dn)) == NULL)
		return diag_set(d, LDAP_OTHER, "out of memory");
	if (dn_rdn_split(rdn, &types, &vals, &n) != LDAP_SUCCESS) {
		free(rdn);
		return diag_set(d, LDAP_INVALID_DN_SYNTAX, "invalid DN");
	}
	free(rdn);
	for (i = 0; i < n && rc == LDAP_SUCCESS; i++) {
		if ((at = schema_at(s, types[i])) == NULL) {
			rc = diag_set(d, LDAP_UNDEFINED_TYPE,
			    "attribute '%s' undefined", types[i]);
			break;
		}
		bv.bv_val = vals[i];
		bv.bv_len = strlen(vals[i]);
		a = NULL;
		for (k = 0; k < e->nattrs && a == NULL; k++)
			if (e->attrs[k].at == at)
				a = &e->attrs[k];
		for (k = 0; a != NULL && k < a->nvals; k++)
			if (schema_value_cmp(s, at, &a->vals[k], &bv) == 0)
				break;
		if (a == NULL || k == a->nvals)
			rc = diag_set(d, LDAP_NOT_ALLOWED_ON_RDN,
			    "value of naming attribute '%s' is not present "
			    "in entry", at->names[0]);
	}
	dn_rdn_free(types, vals, n);
	return rc;
}

/*
 * "cn" and "commonName" added separately (or before the types were known)
 * are one attribute: the values of attribute k move to attribute i.
 */
static int
schema_attr_merge(struct entry *e, size_t i, size_t k)
{
	struct attr	*a = &e->attrs[i], *b = &e->attrs[k];
	struct berval	*vals;

	vals = realloc(a->vals, (a->nvals + b->nvals + 1) * sizeof(*vals));
	if (vals == NULL)
		return -1;
	if (b->nvals > 0)
		memcpy(vals + a->nvals, b->vals, b->nvals * sizeof(*vals));
	a->vals = vals;
	a->nvals += b->nvals;
	free(b->vals);
	free(b->name);
	memmove(b, b + 1, (e->nattrs - k - 1) * sizeof(*b));
	e->nattrs--;
	return 0;
}

int
schema_check_entry(const struct schema *s, struct entry *e, struct diag *d)
{
	const struct schema_oc	**ocs = NULL;
	size_t			  nocs = 0, i, k;
	bool			  extensible = false;
	int			  rc;

	for (i = 0; i < e->nattrs; i++)
		if ((rc = schema_attr_type(s, &e->attrs[i], d)) != LDAP_SUCCESS)
			return rc;
	for (i = 0; i < e->nattrs; i++)
		for (k = i + 1; k < e->nattrs; k++)
			if (strcasecmp(e->attrs[i].name, e->attrs[k].name) == 0 &&
			    schema_attr_merge(e, i, k--) == -1)
				return diag_set(d, LDAP_OTHER, "out of memory");
	rc = schema_entry_classes(s, e, &ocs, &nocs, &extensible, d);
	if (rc == LDAP_SUCCESS)
		rc = schema_check_oc(e, ocs, nocs, extensible, d);
	free(ocs);
	if (rc != LDAP_SUCCESS)
		return rc;
	for (i = 0; i < e->nattrs; i++)
		if ((rc = schema_check_values(s, &e->attrs[i], d)) != 0)
			return rc;
	return schema_check_rdn(s, e, d);
}
