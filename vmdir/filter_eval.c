/*
 * filter_eval.c: three-valued evaluation of a search filter against an
 * entry (RFC 4511 4.5.1.7); values compare under the schema's matching
 * rules (schema_match.c).
 */

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "filter_int.h"

#define FILTER_MAX_SUP		32	/* superclass chain walk */
#define FILTER_MAX_RDNS		256

/* Without a schema every type compares like caseIgnoreMatch, as values
 * of no type do in schema_normalize. */
static int
filter_norm(const struct schema *s, const struct at_def *at,
    const struct berval *in, struct berval *out)
{
	int	 rc;

	/* On failure there is nothing to free. */
	if ((rc = schema_normalize(s, s != NULL ? at : NULL, in, out)) !=
	    LDAP_SUCCESS) {
		out->bv_val = NULL;
		out->bv_len = 0;
	}
	return rc;
}

static bool
filter_names_has(const struct at_def *at, const char *type, size_t len)
{
	size_t	 i;

	if (at == NULL)
		return false;
	if (at->oid != NULL && strlen(at->oid) == len &&
	    strncasecmp(at->oid, type, len) == 0)
		return true;
	for (i = 0; at->names != NULL && at->names[i] != NULL; i++)
		if (strlen(at->names[i]) == len &&
		    strncasecmp(at->names[i], type, len) == 0)
			return true;
	return false;
}

/* Every option of want is among the options of have. */
static bool
filter_options_ok(const char *want, const char *have)
{
	const char	*o, *h;
	size_t		 n;

	for (o = strchr(want, ';'); o != NULL; o = strchr(o, ';')) {
		n = strcspn(++o, ";");
		for (h = strchr(have, ';'); h != NULL; h = strchr(h, ';')) {
			h++;
			if (strcspn(h, ";") == n && strncasecmp(h, o, n) == 0)
				break;
		}
		if (h == NULL)
			return false;
	}
	return true;
}

/* RFC 4512 2.5: a description matches its type, its subtypes and
 * aliases, with at least its options. */
static bool
filter_type_match(const struct schema *s, const struct filter *f,
    const char *name, const struct at_def *aat)
{
	const struct at_def	*at;
	size_t			 flen, nlen;
	int			 i;

	if (!filter_options_ok(f->attr, name))
		return false;
	if (aat == NULL)
		aat = filter_lookup_at(s, name);
	if (f->at != NULL && aat != NULL) {
		for (at = aat, i = 0; at != NULL && i < FILTER_MAX_SUP;
		    at = at->sup, i++)
			if (at == f->at)
				return true;
		return false;
	}
	flen = filter_type_len(f->attr);
	nlen = filter_type_len(name);
	if (flen == nlen && strncasecmp(f->attr, name, flen) == 0)
		return true;
	return filter_names_has(f->at, name, nlen) ||
	    filter_names_has(aat, f->attr, flen);
}

static bool
filter_value_match(const struct filter *f, const struct berval *ev,
    const struct berval *nv)
{
	int	 c;

	switch (f->kind) {
	case FILTER_GE:
	case FILTER_LE:
		c = schema_order_cmp(f->at, ev, nv);
		return f->kind == FILTER_GE ? c >= 0 : c <= 0;
	default:
		return schema_bv_cmp(ev, nv) == 0;
	}
}

/*
 * What an assertion compares: which attributes (type), and how one of
 * their values matches (value: FILTER_TRUE, FILTER_FALSE or
 * FILTER_UNDEFINED), with what the assertion prepared (arg).
 */
struct filter_match {
	bool	 (*type)(const struct schema *, const struct filter *,
		    const void *, const char *, const struct at_def *);
	int	 (*value)(const struct schema *, const struct filter *,
		    const void *, const struct berval *);
	const void *arg;
};

/* TRUE if a value of the entry matches, else UNDEFINED if one could not
 * be compared, else FALSE. */
static int
filter_match_attrs(const struct schema *s, const struct filter *f,
    const struct filter_match *m, const struct entry *e)
{
	const struct attr *a;
	size_t		 i, j;
	int		 r, res = FILTER_FALSE;

	for (i = 0; i < e->nattrs && res != FILTER_TRUE; i++) {
		a = &e->attrs[i];
		if (!m->type(s, f, m->arg, a->name, a->at))
			continue;
		for (j = 0; j < a->nvals && res != FILTER_TRUE; j++)
			if ((r = m->value(s, f, m->arg, &a->vals[j])) !=
			    FILTER_FALSE)
				res = r;
	}
	return res;
}

/* The same over the values of the RDNs of the entry's DN (RFC 4511
 * 4.5.1.7.7 dnAttributes); an RDN that does not split is Undefined. */
static int
filter_match_dn(const struct schema *s, const struct filter *f,
    const struct filter_match *m, const struct entry *e)
{
	struct berval	 v;
	char		*dn, *rdn, *up, **types, **vals;
	size_t		 i, n;
	int		 k, r, res = FILTER_FALSE;

	dn = strdup(e->dn != NULL ? e->dn : e->ndn != NULL ? e->ndn : "");
	for (k = 0; dn != NULL && *dn != '\0' && k < FILTER_MAX_RDNS &&
	    res != FILTER_TRUE; k++) {
		if ((rdn = dn_rdn(dn)) == NULL) {
			res = FILTER_UNDEFINED;
			break;
		}
		if (dn_rdn_split(rdn, &types, &vals, &n) != LDAP_SUCCESS)
			res = FILTER_UNDEFINED;
		else {
			for (i = 0; i < n && res != FILTER_TRUE; i++) {
				if (!m->type(s, f, m->arg, types[i], NULL))
					continue;
				v.bv_val = vals[i];
				v.bv_len = strlen(vals[i]);
				if ((r = m->value(s, f, m->arg, &v)) !=
				    FILTER_FALSE)
					res = r;
			}
			dn_rdn_free(types, vals, n);
		}
		free(rdn);
		up = dn_parent(dn);
		free(dn);
		dn = up;
	}
	free(dn);
	return res;
}

static bool
filter_ava_type(const struct schema *s, const struct filter *f,
    const void *arg, const char *name, const struct at_def *at)
{
	return filter_type_match(s, f, name, at);
}

/* Matches one entry value against the normalised assertion value arg. */
static int
filter_ava_value(const struct schema *s, const struct filter *f,
    const void *arg, const struct berval *v)
{
	const struct berval *nv = arg;
	struct berval	 ev;
	bool		 match;
	int		 res;

	/* Without a schema, at is not one of its types (see filter_norm). */
	if (f->kind == FILTER_APPROX) {
		if (schema_approx(s, s != NULL ? f->at : NULL, v, &f->value,
		    &match) != LDAP_SUCCESS)
			return FILTER_UNDEFINED;
		return match ? FILTER_TRUE : FILTER_FALSE;
	}
	if (filter_norm(s, f->at, v, &ev) != LDAP_SUCCESS)
		return FILTER_UNDEFINED;
	res = filter_value_match(f, &ev, nv) ? FILTER_TRUE : FILTER_FALSE;
	free(ev.bv_val);
	return res;
}

/* Equality, ordering, approx and rule-less extensible assertions, over
 * the entry's attributes or (dn) the values of its DN. */
static int
filter_eval_ava(const struct schema *s, const struct filter *f,
    const struct entry *e, bool dn)
{
	struct filter_match	 m = { filter_ava_type, filter_ava_value, NULL };
	struct berval		 nv;
	int			 res;

	if (!dn && s != NULL && f->at == NULL)
		return FILTER_UNDEFINED;
	if (filter_norm(s, f->at, &f->value, &nv) != LDAP_SUCCESS)
		return FILTER_UNDEFINED;
	m.arg = &nv;
	res = dn ? filter_match_dn(s, f, &m, e) :
	    filter_match_attrs(s, f, &m, e);
	free(nv.bv_val);
	return res;
}

/* A substring assertion's pieces, normalised. */
struct filter_pieces {
	struct berval	 ini, fin;	/* bv_val NULL if absent */
	struct berval	*any;
	size_t		 nany;
};

static void
filter_pieces_free(struct filter_pieces *p)
{
	size_t	 i;

	free(p->ini.bv_val);
	free(p->fin.bv_val);
	for (i = 0; i < p->nany; i++)
		free(p->any[i].bv_val);
	free(p->any);
}

static bool
filter_pieces_match(const struct berval *v, const struct filter_pieces *p)
{
	return schema_substr_match(v, &p->ini, p->any, p->nany, &p->fin);
}

/* Normalises one substring piece; empty pieces stay empty. */
static int
filter_norm_piece(const struct schema *s, const struct filter *f,
    const struct berval *in, struct berval *out)
{
	if (in->bv_val == NULL || in->bv_len == 0) {
		out->bv_val = in->bv_val == NULL ? NULL : strdup("");
		out->bv_len = 0;
		return in->bv_val != NULL && out->bv_val == NULL ?
		    LDAP_OTHER : LDAP_SUCCESS;
	}
	return filter_norm(s, f->at, in, out);
}

static int
filter_substr_value(const struct schema *s, const struct filter *f,
    const void *arg, const struct berval *v)
{
	const struct filter_pieces *p = arg;
	struct berval	 ev;
	int		 res;

	if (filter_norm(s, f->at, v, &ev) != LDAP_SUCCESS)
		return FILTER_UNDEFINED;
	res = filter_pieces_match(&ev, p) ? FILTER_TRUE : FILTER_FALSE;
	free(ev.bv_val);
	return res;
}

static int
filter_eval_substr(const struct schema *s, const struct filter *f,
    const struct entry *e)
{
	struct filter_pieces	 p = { { 0, NULL }, { 0, NULL }, NULL, 0 };
	struct filter_match	 m = { filter_ava_type, filter_substr_value, &p };
	int			 res = FILTER_UNDEFINED;

	if (s != NULL && f->at == NULL)
		return FILTER_UNDEFINED;
	if ((p.any = calloc(f->nany + 1, sizeof(*p.any))) == NULL)
		return FILTER_UNDEFINED;
	if (filter_norm_piece(s, f, &f->initial, &p.ini) != LDAP_SUCCESS ||
	    filter_norm_piece(s, f, &f->final, &p.fin) != LDAP_SUCCESS)
		goto done;
	for (; p.nany < f->nany; p.nany++)
		if (filter_norm_piece(s, f, &f->any[p.nany],
		    &p.any[p.nany]) != LDAP_SUCCESS)
			goto done;
	res = filter_match_attrs(s, f, &m, e);
 done:
	filter_pieces_free(&p);
	return res;
}

static int
filter_eval_present(const struct schema *s, const struct filter *f,
    const struct entry *e)
{
	size_t	 i;

	for (i = 0; i < e->nattrs; i++)
		if (e->attrs[i].nvals > 0 &&
		    filter_type_match(s, f, e->attrs[i].name, e->attrs[i].at))
			return FILTER_TRUE;
	return FILTER_FALSE;
}

/* An extensible match with a rule: the assertion prepared once. */
struct filter_mra {
	const struct schema_rule *mr;
	struct berval	 nv;		/* equality and ordering rules */
	struct filter_pieces sub;	/* substrings rules */
};

static void
filter_mra_free(struct filter_mra *m)
{
	free(m->nv.bv_val);
	filter_pieces_free(&m->sub);
}

/* One piece of a SubstringAssertion (RFC 4517 3.3.30), in which only
 * "\2A" and "\5C" are escapes, normalised under the rule. */
static int
filter_mra_piece(const struct schema *s, const struct filter_mra *m,
    const char *p, size_t len, struct berval *out)
{
	struct berval	 raw;
	char		*d;
	size_t		 i;
	int		 rc;

	if ((raw.bv_val = d = malloc(len + 1)) == NULL)
		return LDAP_OTHER;
	for (i = 0; i < len; i++) {
		if (p[i] != '\\') {
			*d++ = p[i];
			continue;
		}
		if (len - i >= 3 && strncasecmp(p + i, "\\2a", 3) == 0)
			*d++ = '*';
		else if (len - i >= 3 && strncasecmp(p + i, "\\5c", 3) == 0)
			*d++ = '\\';
		else {
			free(raw.bv_val);
			return LDAP_INVALID_SYNTAX;
		}
		i += 2;
	}
	*d = '\0';
	raw.bv_len = d - raw.bv_val;
	rc = schema_mr_normalize(s, m->mr, &raw, out);
	free(raw.bv_val);
	return rc;
}

/* initial "*" any "*" ... final: at least one '*'; empty pieces dropped. */
static int
filter_mra_substr(const struct schema *s, const struct filter *f,
    struct filter_mra *m)
{
	const char	*p = f->value.bv_val, *end = p + f->value.bv_len, *star;
	struct berval	*na;
	int		 rc;

	if ((star = memchr(p, '*', end - p)) == NULL)
		return LDAP_INVALID_SYNTAX;
	if (star > p && (rc = filter_mra_piece(s, m, p, star - p, &m->sub.ini)) !=
	    LDAP_SUCCESS)
		return rc;
	for (p = star + 1; (star = memchr(p, '*', end - p)) != NULL;
	    p = star + 1) {
		if (star == p)
			continue;
		if ((na = reallocarray(m->sub.any, m->sub.nany + 1,
		    sizeof(*na))) == NULL)
			return LDAP_OTHER;
		m->sub.any = na;
		if ((rc = filter_mra_piece(s, m, p, star - p,
		    &m->sub.any[m->sub.nany])) != LDAP_SUCCESS)
			return rc;
		m->sub.nany++;
	}
	if (p < end)
		return filter_mra_piece(s, m, p, end - p, &m->sub.fin);
	return LDAP_SUCCESS;
}

static int
filter_mra_init(const struct schema *s, const struct filter *f,
    struct filter_mra *m)
{
	memset(m, 0, sizeof(*m));
	if ((m->mr = schema_mr(f->rule)) == NULL)
		return LDAP_INAPPROPRIATE_MATCHING;
	if (f->attr != NULL && s != NULL && (f->at == NULL ||
	    !schema_mr_usable(m->mr, f->at)))
		return LDAP_INAPPROPRIATE_MATCHING;
	if (f->attr != NULL && s == NULL && !schema_mr_usable(m->mr, NULL))
		return LDAP_INAPPROPRIATE_MATCHING;
	if (schema_mr_usage(m->mr) == MR_SUBSTRINGS)
		return filter_mra_substr(s, f, m);
	return schema_mr_normalize(s, m->mr, &f->value, &m->nv);
}

/* A value the rule cannot compare does not match. */
static int
filter_mra_value(const struct schema *s, const struct filter *f,
    const void *arg, const struct berval *v)
{
	const struct filter_mra *m = arg;
	struct berval	 ev;
	bool		 match;

	if (schema_mr_normalize(s, m->mr, v, &ev) != LDAP_SUCCESS)
		return FILTER_FALSE;
	switch (schema_mr_usage(m->mr)) {
	case MR_SUBSTRINGS:
		match = filter_pieces_match(&ev, &m->sub);
		break;
	case MR_ORDERING:
		/* RFC 4517 4.2: TRUE if the value is below the assertion. */
		match = schema_mr_cmp(m->mr, &ev, &m->nv) < 0;
		break;
	default:
		match = schema_bv_cmp(&ev, &m->nv) == 0;
		break;
	}
	free(ev.bv_val);
	return match ? FILTER_TRUE : FILTER_FALSE;
}

/* Whether the values of attribute name (schema type at, if known) are
 * compared: the asserted type and its subtypes, or with no type, every
 * attribute the rule can compare except private ones. */
static bool
filter_mra_attr(const struct schema *s, const struct filter *f,
    const void *arg, const char *name, const struct at_def *at)
{
	const struct filter_mra *m = arg;

	if (f->attr != NULL)
		return filter_type_match(s, f, name, at);
	if (at == NULL)
		at = filter_lookup_at(s, name);
	if (s != NULL && at == NULL)
		return false;
	if (at != NULL && at->private)
		return false;
	return schema_mr_usable(m->mr, s != NULL ? at : NULL);
}

static int
filter_eval_mra(const struct schema *s, const struct filter *f,
    const struct entry *e)
{
	struct filter_mra	 mra;
	struct filter_match	 m = { filter_mra_attr, filter_mra_value, &mra };
	int			 res;

	/* An unknown rule, one that cannot compare the type, or a value
	 * the rule cannot read make the item Undefined (RFC 4511 4.5.1.7). */
	if (filter_mra_init(s, f, &mra) != LDAP_SUCCESS) {
		filter_mra_free(&mra);
		return FILTER_UNDEFINED;
	}
	res = filter_match_attrs(s, f, &m, e);
	/* Values never compare Undefined here: only a match counts. */
	if (res != FILTER_TRUE && f->dnattrs &&
	    filter_match_dn(s, f, &m, e) == FILTER_TRUE)
		res = FILTER_TRUE;
	filter_mra_free(&mra);
	return res;
}

static int
filter_eval_ext(const struct schema *s, const struct filter *f,
    const struct entry *e)
{
	int	 r, d;

	if (f->rule != NULL)
		return filter_eval_mra(s, f, e);
	r = filter_eval_ava(s, f, e, false);
	if (r == FILTER_TRUE || !f->dnattrs)
		return r;
	if ((d = filter_eval_ava(s, f, e, true)) == FILTER_TRUE)
		return FILTER_TRUE;
	return r == FILTER_UNDEFINED || d == FILTER_UNDEFINED ?
	    FILTER_UNDEFINED : FILTER_FALSE;
}

int
filter_eval(const struct schema *s, const struct filter *f,
    const struct entry *e)
{
	size_t	 i;
	int	 r, res;

	switch (f->kind) {
	case FILTER_AND:
	case FILTER_OR:
		/* RFC 4526: the empty AND is TRUE, the empty OR FALSE. */
		res = f->kind == FILTER_AND ? FILTER_TRUE : FILTER_FALSE;
		for (i = 0; i < f->nchildren; i++) {
			r = filter_eval(s, f->children[i], e);
			if (r == FILTER_UNDEFINED)
				res = FILTER_UNDEFINED;
			else if (r != (f->kind == FILTER_AND ? FILTER_TRUE :
			    FILTER_FALSE))
				return r;
		}
		return res;
	case FILTER_NOT:
		if (f->nchildren != 1)
			return FILTER_UNDEFINED;
		r = filter_eval(s, f->children[0], e);
		return r == FILTER_UNDEFINED ? r : !r;
	case FILTER_PRESENT:
		return filter_eval_present(s, f, e);
	case FILTER_SUBSTR:
		return filter_eval_substr(s, f, e);
	case FILTER_EXT:
		return filter_eval_ext(s, f, e);
	default:
		return filter_eval_ava(s, f, e, false);
	}
}
