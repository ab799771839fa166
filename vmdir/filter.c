/*
 * filter.c: search filters: decoding from BER (RFC 4511 4.5.1), parsing
 * and printing the string form (RFC 4515), and three-valued evaluation
 * against an entry.
 */

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vmdir.h"

/* Bounds on what a client can make us build and recurse through. */
#define FILTER_MAX_DEPTH	64
#define FILTER_MAX_ELEMS	10000
#define FILTER_MAX_SUP		32	/* superclass chain walk */
#define FILTER_MAX_RDNS		256

struct filter_ctx {
	const struct schema	*s;
	size_t			 nelems;
	int			 err;		/* code for malformed input */
	const char		*p;		/* string parser position */
};

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

static int
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

static int
filter_add_child(struct filter *f, struct filter *child)
{
	struct filter	**nc;

	/* Grow by powers of two. */
	if ((f->nchildren & (f->nchildren - 1)) == 0) {
		nc = reallocarray(f->children,
		    f->nchildren ? f->nchildren * 2 : 1, sizeof(*nc));
		if (nc == NULL)
			return LDAP_OTHER;
		f->children = nc;
	}
	f->children[f->nchildren++] = child;
	return LDAP_SUCCESS;
}

static int
filter_bvdup(const char *p, size_t len, struct berval *out)
{
	if ((out->bv_val = malloc(len + 1)) == NULL)
		return LDAP_OTHER;
	memcpy(out->bv_val, p, len);
	out->bv_val[len] = '\0';
	out->bv_len = len;
	return LDAP_SUCCESS;
}

static int
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

static bool
filter_attr_char(int ch)
{
	/* '_' is not RFC 4512 but some clients send it. */
	return isalnum((unsigned char)ch) || ch == '-' || ch == ';' ||
	    ch == '.' || ch == '_';
}

/* Matching rule ids: a descr or a numeric OID. */
static bool
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

/* Length of the type part of an attribute description (before options). */
static size_t
filter_type_len(const char *desc)
{
	return strcspn(desc, ";");
}

static const struct at_def *
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

static int
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

/* BER decoding. Every constructed filter is decoded from its own element
 * over its contents, so a child can never read past its parent's end. */

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

	while (filter_ber_left(ber) > 0) {
		rc = filter_ber(c, ber, depth + 1, &child);
		if (rc != LDAP_SUCCESS)
			return rc;
		if ((rc = filter_add_child(f, child)) != LDAP_SUCCESS) {
			filter_free(child);
			return rc;
		}
		if (f->kind == FILTER_NOT)
			break;
	}
	if (f->kind == FILTER_NOT && f->nchildren != 1)
		return c->err;
	return LDAP_SUCCESS;
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

/* RFC 4515 string form. */

static int	filter_parse(struct filter_ctx *, int, struct filter **);

static int
filter_hex(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Decodes [p, end) (no unescaped '*' in it) into a fresh berval. */
static int
filter_unescape(struct filter_ctx *c, const char *p, const char *end,
    struct berval *out)
{
	char	*d;
	int	 hi, lo;

	if ((out->bv_val = d = malloc(end - p + 1)) == NULL)
		return LDAP_OTHER;
	for (; p < end; p++) {
		if (*p == '(' || *p == '*')
			goto bad;
		if (*p != '\\') {
			*d++ = *p;
			continue;
		}
		if (end - p < 3 || (hi = filter_hex(p[1])) < 0 ||
		    (lo = filter_hex(p[2])) < 0)
			goto bad;
		*d++ = (char)(hi << 4 | lo);
		p += 2;
	}
	*d = '\0';
	out->bv_len = d - out->bv_val;
	return LDAP_SUCCESS;
 bad:
	free(out->bv_val);
	out->bv_val = NULL;
	return c->err;
}

static int
filter_parse_substr(struct filter_ctx *c, const char *p, const char *end,
    struct filter *f)
{
	struct berval	 bv;
	const char	*star;
	int		 rc;

	f->kind = FILTER_SUBSTR;
	star = memchr(p, '*', end - p);
	if (star > p && (rc = filter_unescape(c, p, star, &f->initial)) !=
	    LDAP_SUCCESS)
		return rc;
	for (p = star + 1; (star = memchr(p, '*', end - p)) != NULL;
	    p = star + 1) {
		if (++c->nelems > FILTER_MAX_ELEMS)
			return c->err;
		if ((rc = filter_unescape(c, p, star, &bv)) != LDAP_SUCCESS)
			return rc;
		rc = filter_add_any(f, bv.bv_val, bv.bv_len);
		free(bv.bv_val);
		if (rc != LDAP_SUCCESS)
			return rc;
	}
	if (p < end)
		return filter_unescape(c, p, end, &f->final);
	return LDAP_SUCCESS;
}

/* attr[:dn][:rule]:=value or [:dn]:rule:=value, at the first ':'. */
static int
filter_parse_ext(struct filter_ctx *c, struct filter *f)
{
	const char	*p = c->p, *rule, *end;
	int		 rc;

	f->kind = FILTER_EXT;
	if (strncasecmp(p, ":dn:", 4) == 0) {
		f->dnattrs = true;
		p += 3;
	}
	if (p[0] == ':' && p[1] != '=') {
		for (rule = ++p; filter_rule_char(*p); p++)
			;
		if (p == rule)
			return c->err;
		if ((f->rule = strndup(rule, p - rule)) == NULL)
			return LDAP_OTHER;
	}
	if (p[0] != ':' || p[1] != '=')
		return c->err;
	if (f->attr == NULL && f->rule == NULL)
		return c->err;
	p += 2;
	end = p + strcspn(p, ")");
	if ((rc = filter_unescape(c, p, end, &f->value)) != LDAP_SUCCESS)
		return rc;
	c->p = end;
	return LDAP_SUCCESS;
}

/* A simple item, c->p at the attribute; stops at ')' or the end. */
static int
filter_parse_item(struct filter_ctx *c, struct filter **out)
{
	struct filter	*f;
	const char	*a = c->p, *p, *end;
	int		 rc;

	*out = NULL;
	if ((rc = filter_new(c, FILTER_EQ, &f)) != LDAP_SUCCESS)
		return rc;
	for (p = a; filter_attr_char(*p); p++)
		;
	if (p > a && (rc = filter_set_attr(c, f, a, p - a)) != LDAP_SUCCESS)
		goto done;
	c->p = p;
	if (*p == ':') {
		rc = filter_parse_ext(c, f);
		goto done;
	}
	if (*p == '~' || *p == '>' || *p == '<') {
		f->kind = *p == '~' ? FILTER_APPROX :
		    *p == '>' ? FILTER_GE : FILTER_LE;
		p++;
	}
	if (f->attr == NULL || *p++ != '=') {
		rc = c->err;
		goto done;
	}
	end = p + strcspn(p, ")");
	c->p = end;
	if (f->kind == FILTER_EQ && end - p == 1 && *p == '*')
		f->kind = FILTER_PRESENT;
	else if (f->kind == FILTER_EQ && memchr(p, '*', end - p) != NULL)
		rc = filter_parse_substr(c, p, end, f);
	else
		rc = filter_unescape(c, p, end, &f->value);
 done:
	if (rc != LDAP_SUCCESS) {
		filter_free(f);
		return rc;
	}
	*out = f;
	return LDAP_SUCCESS;
}

static void
filter_skip_space(struct filter_ctx *c)
{
	while (*c->p == ' ')
		c->p++;
}

static int
filter_parse_list(struct filter_ctx *c, int depth, struct filter *f)
{
	struct filter	*child;
	int		 rc;

	for (;;) {
		filter_skip_space(c);
		if (*c->p != '(')
			break;
		if ((rc = filter_parse(c, depth + 1, &child)) != LDAP_SUCCESS)
			return rc;
		if ((rc = filter_add_child(f, child)) != LDAP_SUCCESS) {
			filter_free(child);
			return rc;
		}
		if (f->kind == FILTER_NOT)
			break;
	}
	if (f->kind == FILTER_NOT && f->nchildren != 1)
		return c->err;
	return LDAP_SUCCESS;
}

/* "(" filtercomp ")", c->p at the '('. */
static int
filter_parse(struct filter_ctx *c, int depth, struct filter **out)
{
	struct filter	*f = NULL;
	int		 rc;

	*out = NULL;
	if (depth >= FILTER_MAX_DEPTH || *c->p != '(')
		return c->err;
	c->p++;
	filter_skip_space(c);
	switch (*c->p) {
	case '&':
	case '|':
	case '!':
		if ((rc = filter_new(c, *c->p == '&' ? FILTER_AND :
		    *c->p == '|' ? FILTER_OR : FILTER_NOT, &f)) != LDAP_SUCCESS)
			return rc;
		c->p++;
		rc = filter_parse_list(c, depth, f);
		break;
	default:
		rc = filter_parse_item(c, &f);
		break;
	}
	if (rc == LDAP_SUCCESS && *c->p != ')')
		rc = c->err;
	if (rc != LDAP_SUCCESS) {
		filter_free(f);
		return rc;
	}
	c->p++;
	*out = f;
	return LDAP_SUCCESS;
}

int
filter_from_str(const struct schema *s, const char *str, struct filter **out)
{
	struct filter_ctx	 c = { s, 0, LDAP_FILTER_ERROR, str };
	struct filter		*f;
	int			 rc;

	*out = NULL;
	if (str == NULL)
		return LDAP_FILTER_ERROR;
	filter_skip_space(&c);
	/* Like ldapsearch, accept a bare item without its parentheses. */
	if (*c.p == '(')
		rc = filter_parse(&c, 0, &f);
	else
		rc = filter_parse_item(&c, &f);
	if (rc != LDAP_SUCCESS)
		return rc;
	filter_skip_space(&c);
	if (*c.p != '\0') {
		filter_free(f);
		return LDAP_FILTER_ERROR;
	}
	*out = f;
	return LDAP_SUCCESS;
}

/* Printing. */

struct filter_buf {
	char	*p;
	size_t	 len, cap;
	bool	 failed;
};

static void
filter_put(struct filter_buf *b, const char *s, size_t n)
{
	char	*np;
	size_t	 ncap;

	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		for (ncap = b->cap ? b->cap : 64; ncap < b->len + n + 1;)
			ncap *= 2;
		if ((np = realloc(b->p, ncap)) == NULL) {
			b->failed = true;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
filter_puts(struct filter_buf *b, const char *s)
{
	filter_put(b, s, strlen(s));
}

static void
filter_put_value(struct filter_buf *b, const struct berval *v)
{
	static const char	 hex[] = "0123456789abcdef";
	char			 esc[3];
	size_t			 i;
	unsigned char		 ch;

	for (i = 0; i < v->bv_len; i++) {
		ch = v->bv_val[i];
		if (ch != '*' && ch != '(' && ch != ')' && ch != '\\' &&
		    ch != '\0') {
			filter_put(b, (char *)&ch, 1);
			continue;
		}
		esc[0] = '\\';
		esc[1] = hex[ch >> 4];
		esc[2] = hex[ch & 0xf];
		filter_put(b, esc, 3);
	}
}

static void
filter_print(struct filter_buf *b, const struct filter *f)
{
	size_t	 i;

	filter_puts(b, "(");
	switch (f->kind) {
	case FILTER_AND:
	case FILTER_OR:
	case FILTER_NOT:
		filter_puts(b, f->kind == FILTER_AND ? "&" :
		    f->kind == FILTER_OR ? "|" : "!");
		for (i = 0; i < f->nchildren; i++)
			filter_print(b, f->children[i]);
		break;
	case FILTER_PRESENT:
		filter_puts(b, f->attr);
		filter_puts(b, "=*");
		break;
	case FILTER_SUBSTR:
		filter_puts(b, f->attr);
		filter_puts(b, "=");
		if (f->initial.bv_val != NULL)
			filter_put_value(b, &f->initial);
		filter_puts(b, "*");
		for (i = 0; i < f->nany; i++) {
			filter_put_value(b, &f->any[i]);
			filter_puts(b, "*");
		}
		if (f->final.bv_val != NULL)
			filter_put_value(b, &f->final);
		break;
	case FILTER_EXT:
		if (f->attr != NULL)
			filter_puts(b, f->attr);
		if (f->dnattrs)
			filter_puts(b, ":dn");
		if (f->rule != NULL) {
			filter_puts(b, ":");
			filter_puts(b, f->rule);
		}
		filter_puts(b, ":=");
		filter_put_value(b, &f->value);
		break;
	default:
		filter_puts(b, f->attr);
		filter_puts(b, f->kind == FILTER_GE ? ">=" :
		    f->kind == FILTER_LE ? "<=" :
		    f->kind == FILTER_APPROX ? "~=" : "=");
		filter_put_value(b, &f->value);
		break;
	}
	filter_puts(b, ")");
}

char *
filter_to_str(const struct filter *f)
{
	struct filter_buf	 b = { NULL, 0, 0, false };

	if (f == NULL)
		return NULL;
	filter_print(&b, f);
	if (b.failed) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

/* Evaluation. */

/* Without a schema every type compares like caseIgnoreMatch. */
static int
filter_norm_ci(const struct berval *in, struct berval *out)
{
	size_t	 i, n = 0;
	bool	 space = false;
	char	 ch;

	if ((out->bv_val = malloc(in->bv_len + 1)) == NULL)
		return LDAP_OTHER;
	for (i = 0; i < in->bv_len; i++) {
		ch = in->bv_val[i];
		if (ch == ' ') {
			space = n > 0;
			continue;
		}
		if (space)
			out->bv_val[n++] = ' ';
		space = false;
		out->bv_val[n++] = tolower((unsigned char)ch);
	}
	out->bv_val[n] = '\0';
	out->bv_len = n;
	return LDAP_SUCCESS;
}

static int
filter_norm(const struct schema *s, const struct at_def *at,
    const struct berval *in, struct berval *out)
{
	int	 rc;

	out->bv_val = NULL;
	out->bv_len = 0;
	if (s == NULL)
		return filter_norm_ci(in, out);
	/* On failure there is nothing to free. */
	if ((rc = schema_normalize(s, at, in, out)) != LDAP_SUCCESS) {
		out->bv_val = NULL;
		out->bv_len = 0;
	}
	return rc;
}

static bool
filter_is_integer(const struct at_def *at)
{
	int	 i;

	for (i = 0; at != NULL && i < FILTER_MAX_SUP; at = at->sup, i++) {
		if ((at->equality != NULL &&
		    (strcasecmp(at->equality, "integerMatch") == 0 ||
		    strcmp(at->equality, "2.5.13.14") == 0)) ||
		    (at->ordering != NULL &&
		    (strcasecmp(at->ordering, "integerOrderingMatch") == 0 ||
		    strcmp(at->ordering, "2.5.13.15") == 0)) ||
		    (at->syntax != NULL &&
		    strcmp(at->syntax, "1.3.6.1.4.1.1466.115.121.1.27") == 0))
			return true;
	}
	return false;
}

static int
filter_bytecmp(const struct berval *a, const struct berval *b)
{
	size_t	 n = a->bv_len < b->bv_len ? a->bv_len : b->bv_len;
	int	 c;

	if ((c = memcmp(a->bv_val, b->bv_val, n)) != 0)
		return c;
	return a->bv_len < b->bv_len ? -1 : a->bv_len > b->bv_len;
}

/* Compares canonical decimal integers ("-12", "0", "345"). */
static int
filter_intcmp(const struct berval *a, const struct berval *b)
{
	struct berval	 ma = *a, mb = *b;
	bool		 na, nb;
	int		 c;

	na = ma.bv_len > 0 && ma.bv_val[0] == '-';
	nb = mb.bv_len > 0 && mb.bv_val[0] == '-';
	if (na != nb)
		return na ? -1 : 1;
	for (ma.bv_val += na, ma.bv_len -= na; ma.bv_len > 1 &&
	    ma.bv_val[0] == '0'; ma.bv_val++, ma.bv_len--)
		;
	for (mb.bv_val += nb, mb.bv_len -= nb; mb.bv_len > 1 &&
	    mb.bv_val[0] == '0'; mb.bv_val++, mb.bv_len--)
		;
	if (ma.bv_len != mb.bv_len)
		c = ma.bv_len < mb.bv_len ? -1 : 1;
	else
		c = memcmp(ma.bv_val, mb.bv_val, ma.bv_len);
	return na ? -c : c;
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
		if (filter_is_integer(f->at))
			c = filter_intcmp(ev, nv);
		else
			c = filter_bytecmp(ev, nv);
		return f->kind == FILTER_GE ? c >= 0 : c <= 0;
	default:
		return ev->bv_len == nv->bv_len &&
		    memcmp(ev->bv_val, nv->bv_val, nv->bv_len) == 0;
	}
}

/* Matches one entry value against normalised nv. */
static int
filter_eval_value(const struct schema *s, const struct filter *f,
    const struct berval *v, const struct berval *nv)
{
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

/* Equality, ordering, approx and rule-less extensible assertions. */
static int
filter_eval_ava(const struct schema *s, const struct filter *f,
    const struct entry *e)
{
	struct berval	 nv;
	const struct attr *a;
	size_t		 i, j;
	int		 r, res = FILTER_FALSE;

	if (s != NULL && f->at == NULL)
		return FILTER_UNDEFINED;
	if (filter_norm(s, f->at, &f->value, &nv) != LDAP_SUCCESS)
		return FILTER_UNDEFINED;
	for (i = 0; i < e->nattrs && res != FILTER_TRUE; i++) {
		a = &e->attrs[i];
		if (!filter_type_match(s, f, a->name, a->at))
			continue;
		for (j = 0; j < a->nvals && res != FILTER_TRUE; j++)
			if ((r = filter_eval_value(s, f, &a->vals[j], &nv)) !=
			    FILTER_FALSE)
				res = r;
	}
	free(nv.bv_val);
	return res;
}

static bool
filter_substr_match(const struct berval *v, const struct berval *ini,
    const struct berval *any, size_t nany, const struct berval *fin)
{
	size_t	 pos = 0, end = v->bv_len, i;

	if (ini->bv_val != NULL) {
		if (ini->bv_len > end || memcmp(v->bv_val, ini->bv_val,
		    ini->bv_len) != 0)
			return false;
		pos = ini->bv_len;
	}
	if (fin->bv_val != NULL) {
		if (fin->bv_len > end - pos || memcmp(v->bv_val + end -
		    fin->bv_len, fin->bv_val, fin->bv_len) != 0)
			return false;
		end -= fin->bv_len;
	}
	for (i = 0; i < nany; i++) {
		for (; pos + any[i].bv_len <= end; pos++)
			if (memcmp(v->bv_val + pos, any[i].bv_val,
			    any[i].bv_len) == 0)
				break;
		if (pos + any[i].bv_len > end)
			return false;
		pos += any[i].bv_len;
	}
	return true;
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
filter_eval_substr(const struct schema *s, const struct filter *f,
    const struct entry *e)
{
	struct berval	 ini = { 0, NULL }, fin = { 0, NULL }, *any, ev;
	const struct attr *a;
	size_t		 i, j, nany = 0;
	int		 res = FILTER_UNDEFINED;

	if (s != NULL && f->at == NULL)
		return FILTER_UNDEFINED;
	if ((any = calloc(f->nany + 1, sizeof(*any))) == NULL)
		return FILTER_UNDEFINED;
	if (filter_norm_piece(s, f, &f->initial, &ini) != LDAP_SUCCESS ||
	    filter_norm_piece(s, f, &f->final, &fin) != LDAP_SUCCESS)
		goto done;
	for (; nany < f->nany; nany++)
		if (filter_norm_piece(s, f, &f->any[nany], &any[nany]) !=
		    LDAP_SUCCESS)
			goto done;
	res = FILTER_FALSE;
	for (i = 0; i < e->nattrs && res != FILTER_TRUE; i++) {
		a = &e->attrs[i];
		if (!filter_type_match(s, f, a->name, a->at))
			continue;
		for (j = 0; j < a->nvals && res != FILTER_TRUE; j++) {
			if (filter_norm(s, f->at, &a->vals[j], &ev) !=
			    LDAP_SUCCESS)
				res = FILTER_UNDEFINED;
			else if (filter_substr_match(&ev, &ini, any, nany,
			    &fin))
				res = FILTER_TRUE;
			free(ev.bv_val);
		}
	}
 done:
	free(ini.bv_val);
	free(fin.bv_val);
	for (i = 0; i < f->nany; i++)
		free(any[i].bv_val);
	free(any);
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

/* One RDN's values, for dnAttributes (RFC 4511 4.5.1.7.7). */
static int
filter_eval_rdn(const struct schema *s, const struct filter *f,
    const char *rdn, const struct berval *nv)
{
	struct berval	 v;
	char		**types, **vals;
	size_t		 i, n;
	int		 r, res = FILTER_FALSE;

	if (dn_rdn_split(rdn, &types, &vals, &n) != LDAP_SUCCESS)
		return FILTER_UNDEFINED;
	for (i = 0; i < n && res != FILTER_TRUE; i++) {
		if (!filter_type_match(s, f, types[i], NULL))
			continue;
		v.bv_val = vals[i];
		v.bv_len = strlen(vals[i]);
		if ((r = filter_eval_value(s, f, &v, nv)) != FILTER_FALSE)
			res = r;
	}
	dn_rdn_free(types, vals, n);
	return res;
}

static int
filter_eval_dn(const struct schema *s, const struct filter *f,
    const struct entry *e)
{
	struct berval	 nv;
	char		*dn, *rdn, *up;
	int		 i, r, res = FILTER_FALSE;

	if (filter_norm(s, f->at, &f->value, &nv) != LDAP_SUCCESS)
		return FILTER_UNDEFINED;
	dn = strdup(e->dn != NULL ? e->dn : e->ndn != NULL ? e->ndn : "");
	for (i = 0; dn != NULL && *dn != '\0' && i < FILTER_MAX_RDNS &&
	    res != FILTER_TRUE; i++) {
		if ((rdn = dn_rdn(dn)) == NULL) {
			res = FILTER_UNDEFINED;
			break;
		}
		if ((r = filter_eval_rdn(s, f, rdn, &nv)) != FILTER_FALSE)
			res = r;
		free(rdn);
		up = dn_parent(dn);
		free(dn);
		dn = up;
	}
	free(dn);
	free(nv.bv_val);
	return res;
}

/* An extensible match with a rule: the assertion prepared once. */
struct filter_mra {
	const struct schema_rule *mr;
	struct berval	 nv;		/* equality and ordering rules */
	struct berval	 ini, fin;	/* substrings; bv_val NULL if absent */
	struct berval	*any;
	size_t		 nany;
};

static void
filter_mra_free(struct filter_mra *m)
{
	size_t	 i;

	free(m->nv.bv_val);
	free(m->ini.bv_val);
	free(m->fin.bv_val);
	for (i = 0; i < m->nany; i++)
		free(m->any[i].bv_val);
	free(m->any);
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
	if (star > p && (rc = filter_mra_piece(s, m, p, star - p, &m->ini)) !=
	    LDAP_SUCCESS)
		return rc;
	for (p = star + 1; (star = memchr(p, '*', end - p)) != NULL;
	    p = star + 1) {
		if (star == p)
			continue;
		if ((na = reallocarray(m->any, m->nany + 1, sizeof(*na))) ==
		    NULL)
			return LDAP_OTHER;
		m->any = na;
		if ((rc = filter_mra_piece(s, m, p, star - p,
		    &m->any[m->nany])) != LDAP_SUCCESS)
			return rc;
		m->nany++;
	}
	if (p < end)
		return filter_mra_piece(s, m, p, end - p, &m->fin);
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
filter_mra_value(const struct schema *s, const struct filter_mra *m,
    const struct berval *v)
{
	struct berval	 ev;
	bool		 match;
	int		 c;

	if (schema_mr_normalize(s, m->mr, v, &ev) != LDAP_SUCCESS)
		return FILTER_FALSE;
	switch (schema_mr_usage(m->mr)) {
	case MR_SUBSTRINGS:
		match = filter_substr_match(&ev, &m->ini, m->any, m->nany,
		    &m->fin);
		break;
	case MR_ORDERING:
		/* RFC 4517 4.2: TRUE if the value is below the assertion. */
		c = schema_mr_integer(m->mr) ? filter_intcmp(&ev, &m->nv) :
		    filter_bytecmp(&ev, &m->nv);
		match = c < 0;
		break;
	default:
		match = ev.bv_len == m->nv.bv_len &&
		    memcmp(ev.bv_val, m->nv.bv_val, ev.bv_len) == 0;
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
    const struct filter_mra *m, const char *name, const struct at_def *at)
{
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

/* The values of the entry's DN's RDNs (RFC 4511 4.5.1.7.7 dnAttributes). */
static bool
filter_mra_dn(const struct schema *s, const struct filter *f,
    const struct filter_mra *m, const struct entry *e)
{
	struct berval	 v;
	char		*dn, *rdn, *up, **types, **vals;
	size_t		 i, n;
	int		 k;
	bool		 found = false;

	dn = strdup(e->dn != NULL ? e->dn : e->ndn != NULL ? e->ndn : "");
	for (k = 0; dn != NULL && *dn != '\0' && k < FILTER_MAX_RDNS &&
	    !found; k++) {
		if ((rdn = dn_rdn(dn)) == NULL)
			break;
		if (dn_rdn_split(rdn, &types, &vals, &n) == LDAP_SUCCESS) {
			for (i = 0; i < n && !found; i++) {
				if (!filter_mra_attr(s, f, m, types[i], NULL))
					continue;
				v.bv_val = vals[i];
				v.bv_len = strlen(vals[i]);
				found = filter_mra_value(s, m, &v) ==
				    FILTER_TRUE;
			}
			dn_rdn_free(types, vals, n);
		}
		free(rdn);
		up = dn_parent(dn);
		free(dn);
		dn = up;
	}
	free(dn);
	return found;
}

static int
filter_eval_mra(const struct schema *s, const struct filter *f,
    const struct entry *e)
{
	struct filter_mra	 m;
	const struct attr	*a;
	size_t			 i, j;
	int			 res = FILTER_FALSE;

	/* An unknown rule, one that cannot compare the type, or a value
	 * the rule cannot read make the item Undefined (RFC 4511 4.5.1.7). */
	if (filter_mra_init(s, f, &m) != LDAP_SUCCESS) {
		filter_mra_free(&m);
		return FILTER_UNDEFINED;
	}
	for (i = 0; i < e->nattrs && res != FILTER_TRUE; i++) {
		a = &e->attrs[i];
		if (!filter_mra_attr(s, f, &m, a->name, a->at))
			continue;
		for (j = 0; j < a->nvals && res != FILTER_TRUE; j++)
			res = filter_mra_value(s, &m, &a->vals[j]);
	}
	if (res != FILTER_TRUE && f->dnattrs && filter_mra_dn(s, f, &m, e))
		res = FILTER_TRUE;
	filter_mra_free(&m);
	return res;
}

static int
filter_eval_ext(const struct schema *s, const struct filter *f,
    const struct entry *e)
{
	int	 r, d;

	if (f->rule != NULL)
		return filter_eval_mra(s, f, e);
	r = filter_eval_ava(s, f, e);
	if (r == FILTER_TRUE || !f->dnattrs)
		return r;
	if ((d = filter_eval_dn(s, f, e)) == FILTER_TRUE)
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
		return filter_eval_ava(s, f, e);
	}
}
