/*
 * schema_syntax.c: the syntaxes the server knows (RFC 4517 3.3), checking
 * a value against its attribute's syntax, and normalising values to the
 * form their equality rule compares.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "schema_int.h"

static int	schema_chk_any(const struct schema *, const struct berval *);
static int	schema_chk_dirstring(const struct schema *, const struct berval *);
static int	schema_chk_ia5(const struct schema *, const struct berval *);
static int	schema_chk_integer(const struct schema *, const struct berval *);
static int	schema_chk_boolean(const struct schema *, const struct berval *);
static int	schema_chk_dn(const struct schema *, const struct berval *);
static int	schema_chk_time(const struct schema *, const struct berval *);
static int	schema_chk_oid(const struct schema *, const struct berval *);
static int	schema_chk_printable(const struct schema *, const struct berval *);
static int	schema_chk_numeric(const struct schema *, const struct berval *);
static int	schema_chk_country(const struct schema *, const struct berval *);
static int	schema_chk_nameuid(const struct schema *, const struct berval *);
static int	schema_chk_bitstring(const struct schema *, const struct berval *);
static int	schema_chk_uuid(const struct schema *, const struct berval *);

const struct schema_syntax schema_syntaxes[] = {
	{ SYN(3), "Attribute Type Description", schema_chk_dirstring,
	    NORM_CASEIGNORE, false },
	{ SYN(5), "Binary", schema_chk_any, NORM_OCTET, true },
	{ SYN(6), "Bit String", schema_chk_bitstring, NORM_OCTET, false },
	{ SYN(7), "Boolean", schema_chk_boolean, NORM_BOOLEAN, false },
	{ SYN(8), "Certificate", schema_chk_any, NORM_OCTET, true },
	{ SYN(9), "Certificate List", schema_chk_any, NORM_OCTET, true },
	{ SYN(10), "Certificate Pair", schema_chk_any, NORM_OCTET, true },
	{ SYN(11), "Country String", schema_chk_country, NORM_CASEIGNORE,
	    false },
	{ SYN(12), "DN", schema_chk_dn, NORM_DN, false },
	{ SYN(15), "Directory String", schema_chk_dirstring, NORM_CASEIGNORE,
	    false },
	{ SYN(22), "Facsimile Telephone Number", schema_chk_printable,
	    NORM_TELEPHONE, false },
	{ SYN(24), "Generalized Time", schema_chk_time, NORM_TIME, false },
	{ SYN(26), "IA5 String", schema_chk_ia5, NORM_CASEIGNORE, false },
	{ SYN(27), "INTEGER", schema_chk_integer, NORM_INTEGER, false },
	{ SYN(28), "JPEG", schema_chk_any, NORM_OCTET, true },
	{ SYN(30), "Matching Rule Description", schema_chk_dirstring,
	    NORM_CASEIGNORE, false },
	{ SYN(34), "Name And Optional UID", schema_chk_nameuid,
	    NORM_UNIQUEMEMBER, false },
	{ SYN(36), "Numeric String", schema_chk_numeric, NORM_NUMERIC, false },
	{ SYN(37), "Object Class Description", schema_chk_dirstring,
	    NORM_CASEIGNORE, false },
	{ SYN(38), "OID", schema_chk_oid, NORM_OID, false },
	{ SYN(40), "Octet String", schema_chk_any, NORM_OCTET, false },
	{ SYN(41), "Postal Address", schema_chk_dirstring, NORM_CASEIGNORE,
	    false },
	{ SYN(44), "Printable String", schema_chk_printable, NORM_CASEIGNORE,
	    false },
	{ SYN(45), "Subtree Specification", schema_chk_any, NORM_OCTET,
	    false },
	{ SYN(50), "Telephone Number", schema_chk_printable, NORM_TELEPHONE,
	    false },
	{ SYN(54), "LDAP Syntax Description", schema_chk_dirstring,
	    NORM_CASEIGNORE, false },
	{ "1.3.6.1.1.16.1", "UUID", schema_chk_uuid, NORM_UUID, false },
};

const size_t schema_nsyntaxes = NITEMS(schema_syntaxes);

const struct schema_syntax *
schema_syntax_find(const char *oid)
{
	size_t	 i;

	if (oid == NULL)
		return NULL;
	for (i = 0; i < NITEMS(schema_syntaxes); i++)
		if (strcmp(schema_syntaxes[i].oid, oid) == 0)
			return &schema_syntaxes[i];
	return NULL;
}

/* Syntax checks: 1 if the value fits. */

static int
schema_chk_any(const struct schema *s, const struct berval *v)
{
	(void)s;
	(void)v;
	return 1;
}

static int
schema_utf8_valid(const unsigned char *p, size_t len)
{
	size_t		 i, n, k;
	unsigned int	 cp;

	for (i = 0; i < len; i += n) {
		if (p[i] < 0x80) {
			n = 1;
			continue;
		}
		if ((p[i] & 0xe0) == 0xc0) {
			n = 2;
			cp = p[i] & 0x1f;
		} else if ((p[i] & 0xf0) == 0xe0) {
			n = 3;
			cp = p[i] & 0x0f;
		} else if ((p[i] & 0xf8) == 0xf0) {
			n = 4;
			cp = p[i] & 0x07;
		} else
			return 0;
		if (i + n > len)
			return 0;
		for (k = 1; k < n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		/* Overlong forms, surrogates and out-of-range code points. */
		if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
		    (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
	}
	return 1;
}

static int
schema_chk_dirstring(const struct schema *s, const struct berval *v)
{
	(void)s;
	return v->bv_len > 0 &&
	    memchr(v->bv_val, '\0', v->bv_len) == NULL &&
	    schema_utf8_valid((const unsigned char *)v->bv_val, v->bv_len);
}

static int
schema_chk_ia5(const struct schema *s, const struct berval *v)
{
	size_t	 i;

	(void)s;
	for (i = 0; i < v->bv_len; i++)
		if ((unsigned char)v->bv_val[i] >= 0x80 || v->bv_val[i] == '\0')
			return 0;
	return 1;
}

static int
schema_chk_integer(const struct schema *s, const struct berval *v)
{
	size_t	 i = 0;

	(void)s;
	if (v->bv_len > 0 && v->bv_val[0] == '-')
		i++;
	if (i == v->bv_len)
		return 0;
	for (; i < v->bv_len; i++)
		if (!isdigit((unsigned char)v->bv_val[i]))
			return 0;
	return 1;
}

static int
schema_chk_boolean(const struct schema *s, const struct berval *v)
{
	(void)s;
	return (v->bv_len == 4 && strncasecmp(v->bv_val, "TRUE", 4) == 0) ||
	    (v->bv_len == 5 && strncasecmp(v->bv_val, "FALSE", 5) == 0);
}

/* A NUL-terminated copy, or NULL if v holds a NUL or memory is short. */
static char *
schema_cstr(const struct berval *v)
{
	char	*p;

	if (memchr(v->bv_val, '\0', v->bv_len) != NULL)
		return NULL;
	if ((p = malloc(v->bv_len + 1)) == NULL)
		return NULL;
	memcpy(p, v->bv_val, v->bv_len);
	p[v->bv_len] = '\0';
	return p;
}

static int
schema_chk_dn(const struct schema *s, const struct berval *v)
{
	char	*str, *out = NULL;
	int	 rc;

	if ((str = schema_cstr(v)) == NULL)
		return 0;
	rc = dn_normalize(s, str, &out);
	free(str);
	free(out);
	return rc == LDAP_SUCCESS;
}

static int
schema_digits(const char *p, size_t n, int min, int max)
{
	size_t	 i;
	int	 val = 0;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)p[i]))
			return 0;
		val = val * 10 + (p[i] - '0');
	}
	return val >= min && val <= max;
}

/* RFC 4517 3.3.13: YYYYMMDDHH[MM[SS]][(.|,)frac](Z|(+|-)HH[MM]). */
static int
schema_chk_time(const struct schema *s, const struct berval *v)
{
	const char	*p = v->bv_val;
	size_t		 len = v->bv_len, i;

	(void)s;
	if (len < 11 || !schema_digits(p, 4, 0, 9999) ||
	    !schema_digits(p + 4, 2, 1, 12) || !schema_digits(p + 6, 2, 1, 31) ||
	    !schema_digits(p + 8, 2, 0, 23))
		return 0;
	i = 10;
	if (i + 2 <= len && isdigit((unsigned char)p[i])) {
		if (!schema_digits(p + i, 2, 0, 59))
			return 0;
		i += 2;
		if (i + 2 <= len && isdigit((unsigned char)p[i])) {
			if (!schema_digits(p + i, 2, 0, 60))
				return 0;
			i += 2;
		}
	}
	if (i < len && (p[i] == '.' || p[i] == ',')) {
		if (++i >= len || !isdigit((unsigned char)p[i]))
			return 0;
		while (i < len && isdigit((unsigned char)p[i]))
			i++;
	}
	if (i < len && p[i] == 'Z')
		return i + 1 == len;
	if (i < len && (p[i] == '+' || p[i] == '-')) {
		i++;
		if (len - i == 2)
			return schema_digits(p + i, 2, 0, 23);
		if (len - i == 4)
			return schema_digits(p + i, 2, 0, 23) &&
			    schema_digits(p + i + 2, 2, 0, 59);
	}
	return 0;
}

/* numericoid or descr (RFC 4512 1.4). */
static int
schema_chk_oid(const struct schema *s, const struct berval *v)
{
	const char	*p = v->bv_val;
	size_t		 len = v->bv_len, i, start;

	(void)s;
	if (len == 0)
		return 0;
	if (isalpha((unsigned char)p[0])) {
		for (i = 1; i < len; i++)
			if (!isalnum((unsigned char)p[i]) && p[i] != '-')
				return 0;
		return 1;
	}
	for (i = 0; i < len; i++) {
		start = i;
		while (i < len && isdigit((unsigned char)p[i]))
			i++;
		if (i == start || (p[start] == '0' && i - start > 1))
			return 0;
		if (i < len && p[i] != '.')
			return 0;
		if (i + 1 == len)
			return 0;	/* trailing dot */
	}
	return 1;
}

static int
schema_printable_char(int c)
{
	return isalnum(c) || strchr("'()+,-./:? ", c) != NULL;
}

static int
schema_chk_printable(const struct schema *s, const struct berval *v)
{
	size_t	 i;

	(void)s;
	if (v->bv_len == 0)
		return 0;
	for (i = 0; i < v->bv_len; i++)
		if (v->bv_val[i] == '\0' ||
		    !schema_printable_char((unsigned char)v->bv_val[i]))
			return 0;
	return 1;
}

static int
schema_chk_numeric(const struct schema *s, const struct berval *v)
{
	size_t	 i;

	(void)s;
	if (v->bv_len == 0)
		return 0;
	for (i = 0; i < v->bv_len; i++)
		if (!isdigit((unsigned char)v->bv_val[i]) && v->bv_val[i] != ' ')
			return 0;
	return 1;
}

static int
schema_chk_country(const struct schema *s, const struct berval *v)
{
	return v->bv_len == 2 && schema_chk_printable(s, v);
}

static int
schema_bits_valid(const char *p, size_t len)
{
	size_t	 i;

	if (len < 3 || p[0] != '\'' || p[len - 2] != '\'' || p[len - 1] != 'B')
		return 0;
	for (i = 1; i < len - 2; i++)
		if (p[i] != '0' && p[i] != '1')
			return 0;
	return 1;
}

static int
schema_chk_bitstring(const struct schema *s, const struct berval *v)
{
	(void)s;
	return schema_bits_valid(v->bv_val, v->bv_len);
}

/* Length of the DN part of a NameAndOptionalUID (RFC 4517 3.3.21). */
static size_t
schema_nameuid_dnlen(const struct berval *v)
{
	const char	*hash;
	size_t		 off;

	for (off = v->bv_len; off > 0; off--)
		if (v->bv_val[off - 1] == '#')
			break;
	if (off == 0)
		return v->bv_len;
	hash = v->bv_val + off - 1;
	if (!schema_bits_valid(hash + 1, v->bv_len - off))
		return v->bv_len;
	return off - 1;
}

static int
schema_chk_nameuid(const struct schema *s, const struct berval *v)
{
	struct berval	 dn;

	dn.bv_val = v->bv_val;
	dn.bv_len = schema_nameuid_dnlen(v);
	return schema_chk_dn(s, &dn);
}

static int
schema_chk_uuid(const struct schema *s, const struct berval *v)
{
	size_t	 i;

	(void)s;
	if (v->bv_len != 36)
		return 0;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (v->bv_val[i] != '-')
				return 0;
		} else if (!isxdigit((unsigned char)v->bv_val[i]))
			return 0;
	}
	return 1;
}

/* Normalisation. */

enum norm_kind
schema_kind(const struct at_def *at)
{
	const struct schema_at	*a = (const struct schema_at *)at;

	if (at == NULL)
		return NORM_CASEIGNORE;
	if (a->eq != NULL)
		return a->eq->kind;
	if (at->equality != NULL)
		return NORM_OCTET;	/* a rule we do not know */
	if (a->syn != NULL)
		return a->syn->kind;
	return NORM_OCTET;
}

int
schema_syntax_ok(const struct schema *s, const struct at_def *at,
    const struct berval *v)
{
	const struct schema_at	*a = (const struct schema_at *)at;

	if (at == NULL || a->syn == NULL)
		return 1;
	return a->syn->check(s, v);
}

static int
schema_bv_take(struct berval *out, char *p, size_t len)
{
	out->bv_val = p;
	out->bv_len = len;
	return LDAP_SUCCESS;
}

/* Trims and collapses runs of spaces; lowercases ASCII if fold. */
static int
schema_norm_space(const struct berval *in, struct berval *out, bool fold)
{
	char	*p;
	size_t	 i, n = 0;
	bool	 space = false;

	if ((p = malloc(in->bv_len + 1)) == NULL)
		return LDAP_NO_MEMORY;
	for (i = 0; i < in->bv_len; i++) {
		unsigned char c = in->bv_val[i];

		if (c == ' ') {
			space = n > 0;
			continue;
		}
		if (space)
			p[n++] = ' ';
		space = false;
		p[n++] = fold ? tolower(c) : c;
	}
	p[n] = '\0';
	return schema_bv_take(out, p, n);
}

/* Copies in without the characters of drop. */
static int
schema_norm_drop(const struct berval *in, struct berval *out, const char *drop)
{
	char	*p;
	size_t	 i, n = 0;

	if ((p = malloc(in->bv_len + 1)) == NULL)
		return LDAP_NO_MEMORY;
	for (i = 0; i < in->bv_len; i++)
		if (strchr(drop, in->bv_val[i]) == NULL)
			p[n++] = tolower((unsigned char)in->bv_val[i]);
	p[n] = '\0';
	return schema_bv_take(out, p, n);
}

static int
schema_norm_copy(const struct berval *in, struct berval *out, bool lower)
{
	char	*p;
	size_t	 i;

	if ((p = malloc(in->bv_len + 1)) == NULL)
		return LDAP_NO_MEMORY;
	for (i = 0; i < in->bv_len; i++)
		p[i] = lower ? tolower((unsigned char)in->bv_val[i]) :
		    in->bv_val[i];
	p[in->bv_len] = '\0';
	return schema_bv_take(out, p, in->bv_len);
}

static int
schema_norm_upper(const struct berval *in, struct berval *out)
{
	size_t	 i;
	int	 rc;

	if ((rc = schema_norm_copy(in, out, false)) != LDAP_SUCCESS)
		return rc;
	for (i = 0; i < out->bv_len; i++)
		out->bv_val[i] = toupper((unsigned char)out->bv_val[i]);
	return LDAP_SUCCESS;
}

static int
schema_norm_integer(const struct berval *in, struct berval *out)
{
	char	*p;
	size_t	 i = 0, n = 0;
	bool	 neg = false;

	if (!schema_chk_integer(NULL, in))
		return LDAP_INVALID_SYNTAX;
	if ((p = malloc(in->bv_len + 2)) == NULL)
		return LDAP_NO_MEMORY;
	if (in->bv_val[0] == '-') {
		neg = true;
		i++;
	}
	while (i + 1 < in->bv_len && in->bv_val[i] == '0')
		i++;
	if (neg && !(in->bv_len - i == 1 && in->bv_val[i] == '0'))
		p[n++] = '-';
	memcpy(p + n, in->bv_val + i, in->bv_len - i);
	n += in->bv_len - i;
	p[n] = '\0';
	return schema_bv_take(out, p, n);
}

static int
schema_norm_dn(const struct schema *s, const struct berval *in,
    struct berval *out)
{
	char	*str, *dn;

	if ((str = schema_cstr(in)) == NULL)
		return memchr(in->bv_val, '\0', in->bv_len) ?
		    LDAP_INVALID_SYNTAX : LDAP_NO_MEMORY;
	if (dn_normalize(s, str, &dn) != LDAP_SUCCESS) {
		free(str);
		return LDAP_INVALID_SYNTAX;
	}
	free(str);
	return schema_bv_take(out, dn, strlen(dn));
}

/* The DN part normalised, the optional "#'0101'B" kept as is. */
static int
schema_norm_nameuid(const struct schema *s, const struct berval *in,
    struct berval *out)
{
	struct berval	 dn, ndn;
	size_t		 dnlen = schema_nameuid_dnlen(in), rest;
	char		*p;
	int		 rc;

	dn.bv_val = in->bv_val;
	dn.bv_len = dnlen;
	if ((rc = schema_norm_dn(s, &dn, &ndn)) != LDAP_SUCCESS)
		return rc;
	rest = in->bv_len - dnlen;
	if (rest == 0)
		return schema_bv_take(out, ndn.bv_val, ndn.bv_len);
	if ((p = realloc(ndn.bv_val, ndn.bv_len + rest + 1)) == NULL) {
		free(ndn.bv_val);
		return LDAP_NO_MEMORY;
	}
	memcpy(p + ndn.bv_len, in->bv_val + dnlen, rest);
	p[ndn.bv_len + rest] = '\0';
	return schema_bv_take(out, p, ndn.bv_len + rest);
}

/* Names of classes and types map to the primary name, so "2.5.6.6",
 * "Person" and "person" match. */
static int
schema_norm_oid(const struct schema *s, const struct berval *in,
    struct berval *out)
{
	const struct oc_def	*oc;
	const struct at_def	*at;
	char			*str;
	const char		*name = NULL;
	struct berval		 bv;

	if ((str = schema_cstr(in)) == NULL)
		return LDAP_NO_MEMORY;
	if ((oc = schema_oc(s, str)) != NULL)
		name = oc->names[0];
	else if ((at = schema_at(s, str)) != NULL)
		name = at->names[0];
	free(str);
	if (name == NULL)
		return schema_norm_copy(in, out, true);
	bv.bv_val = (char *)name;
	bv.bv_len = strlen(name);
	return schema_norm_copy(&bv, out, true);
}

int
schema_norm_kind(const struct schema *s, enum norm_kind kind,
    const struct berval *in, struct berval *out)
{
	switch (kind) {
	case NORM_CASEIGNORE:
		return schema_norm_space(in, out, true);
	case NORM_CASEEXACT:
		return schema_norm_space(in, out, false);
	case NORM_INTEGER:
		return schema_norm_integer(in, out);
	case NORM_DN:
		return schema_norm_dn(s, in, out);
	case NORM_UNIQUEMEMBER:
		return schema_norm_nameuid(s, in, out);
	case NORM_BOOLEAN:
		if (!schema_chk_boolean(s, in))
			return LDAP_INVALID_SYNTAX;
		return schema_norm_upper(in, out);
	case NORM_TIME:
		if (!schema_chk_time(s, in))
			return LDAP_INVALID_SYNTAX;
		return schema_norm_copy(in, out, false);
	case NORM_UUID:
		return schema_norm_copy(in, out, true);
	case NORM_OID:
		return schema_norm_oid(s, in, out);
	case NORM_TELEPHONE:
		return schema_norm_drop(in, out, " -");
	case NORM_NUMERIC:
		return schema_norm_drop(in, out, " ");
	case NORM_OCTET:
		break;
	}
	return schema_norm_copy(in, out, false);
}

int
schema_normalize(const struct schema *s, const struct at_def *at,
    const struct berval *in, struct berval *out)
{
	enum norm_kind	 kind = schema_kind(at);

	out->bv_val = NULL;
	out->bv_len = 0;
	/* DN syntaxes are validated by normalising them. */
	if (kind != NORM_DN && kind != NORM_UNIQUEMEMBER &&
	    !schema_syntax_ok(s, at, in))
		return LDAP_INVALID_SYNTAX;
	return schema_norm_kind(s, kind, in, out);
}

int
schema_check_syntax(const struct schema *s, const struct at_def *at,
    const struct berval *v, struct diag *d)
{
	if (schema_syntax_ok(s, at, v))
		return LDAP_SUCCESS;
	return diag_set(d, LDAP_INVALID_SYNTAX, "%s: value invalid per syntax",
	    at->names[0]);
}
