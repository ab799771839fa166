/*
 * filter_decode.c: decodes a search filter from BER (RFC 4511 4.5.1).
 * Every constructed filter is decoded from its own element over its
 * contents, so a child can never read past its parent's end.
 */

#include <stdlib.h>
#include <string.h>

#include "filter_int.h"

static const struct {
	ber_tag_t		tag;
	enum filter_kind	kind;
} filter_tags[] = {
	{ LDAP_FILTER_AND,		FILTER_AND },
	{ LDAP_FILTER_OR,		FILTER_OR },
	{ LDAP_FILTER_NOT,		FILTER_NOT },
	{ LDAP_FILTER_EQUALITY,		FILTER_EQ },
	{ LDAP_FILTER_SUBSTRINGS,	FILTER_SUBSTR },
	{ LDAP_FILTER_GE,		FILTER_GE },
	{ LDAP_FILTER_LE,		FILTER_LE },
	{ LDAP_FILTER_PRESENT,		FILTER_PRESENT },
	{ LDAP_FILTER_APPROX,		FILTER_APPROX },
	{ LDAP_FILTER_EXT,		FILTER_EXT },
};

static int	filter_ber(struct filter_ctx *, BerElement *, int,
		    struct filter **);

static ber_len_t
filter_ber_left(BerElement *ber)
{
	ber_len_t	 left = 0;

	if (ber_get_option(ber, LBER_OPT_REMAINING_BYTES, &left) != 0)
		return 0;
	return left;
}

static int
filter_ber_get(BerElement *ber, ber_tag_t want, struct berval *bv)
{
	ber_len_t	 len;

	if (ber_peek_tag(ber, &len) != want)
		return -1;
	if (ber_scanf(ber, "m", bv) == LBER_ERROR)
		return -1;
	return 0;
}

static int
filter_ber_attr(struct filter_ctx *c, BerElement *ber, struct filter *f)
{
	struct berval	 bv;

	if (filter_ber_get(ber, LBER_OCTETSTRING, &bv) != 0)
		return c->err;
	return filter_set_attr(c, f, bv.bv_val, bv.bv_len);
}

static int
filter_ber_set(struct filter_ctx *c, BerElement *ber, int depth,
    struct filter *f)
{
	struct filter	*child;
	int		 rc;

	while (!filter_set_full(f) && filter_ber_left(ber) > 0)
		if ((rc = filter_ber(c, ber, depth + 1, &child)) !=
		    LDAP_SUCCESS || (rc = filter_add_child(f, child)) !=
		    LDAP_SUCCESS)
			return rc;
	return filter_check_set(c, f);
}

static int
filter_ber_ava(struct filter_ctx *c, BerElement *ber, struct filter *f)
{
	struct berval	 bv;
	int		 rc;

	if ((rc = filter_ber_attr(c, ber, f)) != LDAP_SUCCESS)
		return rc;
	if (filter_ber_get(ber, LBER_OCTETSTRING, &bv) != 0)
		return c->err;
	return filter_bvdup(bv.bv_val, bv.bv_len, &f->value);
}

/* RFC 4511: at most one initial, first; at most one final, last. */
static int
filter_ber_pieces(struct filter_ctx *c, BerElement *ber, struct filter *f)
{
	struct berval	 bv;
	ber_tag_t	 tag;
	ber_len_t	 len;
	size_t		 n;
	int		 rc;

	for (n = 0; filter_ber_left(ber) > 0; n++) {
		if (f->final.bv_val != NULL || ++c->nelems > FILTER_MAX_ELEMS)
			return c->err;
		tag = ber_peek_tag(ber, &len);
		if (filter_ber_get(ber, tag, &bv) != 0)
			return c->err;
		if (tag == LDAP_SUBSTRING_INITIAL && n == 0)
			rc = filter_bvdup(bv.bv_val, bv.bv_len, &f->initial);
		else if (tag == LDAP_SUBSTRING_ANY)
			rc = filter_add_any(f, bv.bv_val, bv.bv_len);
		else if (tag == LDAP_SUBSTRING_FINAL)
			rc = filter_bvdup(bv.bv_val, bv.bv_len, &f->final);
		else
			return c->err;
		if (rc != LDAP_SUCCESS)
			return rc;
	}
	return n == 0 ? c->err : LDAP_SUCCESS;
}

static int
filter_ber_substr(struct filter_ctx *c, BerElement *ber, struct filter *f)
{
	struct berval	 bv;
	BerElement	*seq;
	int		 rc;

	if ((rc = filter_ber_attr(c, ber, f)) != LDAP_SUCCESS)
		return rc;
	if (filter_ber_get(ber, LBER_SEQUENCE, &bv) != 0)
		return c->err;
	if ((seq = ber_alloc_t(0)) == NULL)
		return LDAP_OTHER;
	ber_init2(seq, &bv, 0);
	rc = filter_ber_pieces(c, seq, f);
	ber_free(seq, 0);
	return rc;
}

static int
filter_ber_ext(struct filter_ctx *c, BerElement *ber, struct filter *f)
{
	struct berval	 bv;
	ber_len_t	 len, i;
	int		 rc;

	if (ber_peek_tag(ber, &len) == LDAP_FILTER_EXT_OID) {
		if (filter_ber_get(ber, LDAP_FILTER_EXT_OID, &bv) != 0 ||
		    bv.bv_len == 0)
			return c->err;
		for (i = 0; i < bv.bv_len; i++)
			if (!filter_rule_char(bv.bv_val[i]))
				return c->err;
		if ((f->rule = strndup(bv.bv_val, bv.bv_len)) == NULL)
			return LDAP_OTHER;
	}
	if (ber_peek_tag(ber, &len) == LDAP_FILTER_EXT_TYPE) {
		if (filter_ber_get(ber, LDAP_FILTER_EXT_TYPE, &bv) != 0)
			return c->err;
		if ((rc = filter_set_attr(c, f, bv.bv_val, bv.bv_len)) !=
		    LDAP_SUCCESS)
			return rc;
	}
	if (f->rule == NULL && f->attr == NULL)
		return c->err;
	if (filter_ber_get(ber, LDAP_FILTER_EXT_VALUE, &bv) != 0)
		return c->err;
	rc = filter_bvdup(bv.bv_val, bv.bv_len, &f->value);
	if (rc != LDAP_SUCCESS || filter_ber_left(ber) == 0)
		return rc;
	if (filter_ber_get(ber, LDAP_FILTER_EXT_DNATTRS, &bv) != 0 ||
	    bv.bv_len != 1)
		return c->err;
	f->dnattrs = bv.bv_val[0] != 0;
	return LDAP_SUCCESS;
}

static int
filter_ber(struct filter_ctx *c, BerElement *ber, int depth,
    struct filter **out)
{
	struct filter	*f;
	struct berval	 body;
	BerElement	*sub;
	ber_tag_t	 tag;
	ber_len_t	 len;
	size_t		 i;
	int		 rc;

	*out = NULL;
	if (depth >= FILTER_MAX_DEPTH)
		return c->err;
	tag = ber_peek_tag(ber, &len);
	for (i = 0; i < sizeof(filter_tags) / sizeof(filter_tags[0]); i++)
		if (filter_tags[i].tag == tag)
			break;
	if (i == sizeof(filter_tags) / sizeof(filter_tags[0]))
		return c->err;
	if (ber_scanf(ber, "m", &body) == LBER_ERROR)
		return c->err;
	if ((rc = filter_new(c, filter_tags[i].kind, &f)) != LDAP_SUCCESS)
		return rc;
	if (f->kind == FILTER_PRESENT) {
		rc = filter_set_attr(c, f, body.bv_val, body.bv_len);
		goto done;
	}
	if ((sub = ber_alloc_t(0)) == NULL) {
		rc = LDAP_OTHER;
		goto done;
	}
	ber_init2(sub, &body, 0);
	switch (f->kind) {
	case FILTER_AND:
	case FILTER_OR:
	case FILTER_NOT:
		rc = filter_ber_set(c, sub, depth, f);
		break;
	case FILTER_SUBSTR:
		rc = filter_ber_substr(c, sub, f);
		break;
	case FILTER_EXT:
		rc = filter_ber_ext(c, sub, f);
		break;
	default:
		rc = filter_ber_ava(c, sub, f);
		break;
	}
	if (rc == LDAP_SUCCESS && filter_ber_left(sub) != 0)
		rc = c->err;
	ber_free(sub, 0);
 done:
	if (rc != LDAP_SUCCESS) {
		filter_free(f);
		return rc;
	}
	*out = f;
	return LDAP_SUCCESS;
}

int
filter_from_ber(const struct schema *s, BerElement *ber, struct filter **out)
{
	struct filter_ctx	 c = { s, 0, LDAP_PROTOCOL_ERROR, NULL };

	return filter_ber(&c, ber, 0, out);
}
