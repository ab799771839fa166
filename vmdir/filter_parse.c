/*
 * filter_parse.c: parses the string form of a search filter (RFC 4515),
 * or a bare item without its parentheses as ldapsearch accepts it.
 */

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "filter_int.h"

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

	while (!filter_set_full(f)) {
		filter_skip_space(c);
		if (*c->p != '(')
			break;
		if ((rc = filter_parse(c, depth + 1, &child)) !=
		    LDAP_SUCCESS || (rc = filter_add_child(f, child)) !=
		    LDAP_SUCCESS)
			return rc;
	}
	return filter_check_set(c, f);
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
