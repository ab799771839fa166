/*
 * schema.c: loads the attribute types and object classes of the schema
 * files, answers lookups by name or OID, normalises and validates values,
 * checks entries against their object classes and builds the schema
 * subentry.
 */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ldap_schema.h>

#include "vmdir.h"

#define SCHEMA_MAX_DEPTH	64	/* longest SUP chain we follow */

/* How values of an equality rule (or, lacking one, a syntax) compare. */
enum norm_kind {
	NORM_CASEIGNORE, NORM_CASEEXACT, NORM_INTEGER, NORM_DN,
	NORM_UNIQUEMEMBER, NORM_BOOLEAN, NORM_TIME, NORM_OCTET, NORM_UUID,
	NORM_OID, NORM_TELEPHONE, NORM_NUMERIC
};

struct schema_rule {
	const char	*name;
	const char	*oid;
	const char	*syntax;	/* assertion syntax */
	enum norm_kind	 kind;
	enum mr_usage	 usage;
};

struct schema_syntax {
	const char	*oid;
	const char	*desc;
	int		(*check)(const struct schema *, const struct berval *);
	enum norm_kind	 kind;		/* when the attribute has no EQUALITY */
	bool		 binary;
};

/* An attribute type; def comes first so an at_def pointer leads here. */
struct schema_at {
	struct at_def		 def;
	LDAPAttributeType	*lat;	/* owns the strings def points into */
	char			*noname[2];
	char			*str;	/* RFC 4512 form, for the subentry */
	const struct schema_rule *eq;
	const struct schema_syntax *syn;
	int			 state;
};

struct schema_oc {
	struct oc_def		 def;
	LDAPObjectClass		*loc;
	char			*noname[2];
	char			*str;
	const struct schema_oc	**sups;
	size_t			 nsups;
	int			 state;
};

struct schema_key {
	const char	*key;
	void		*def;
};

struct schema {
	struct schema_at	**ats;
	size_t			  nats;
	struct schema_oc	**ocs;
	size_t			  nocs;
	struct schema_key	 *atkeys;
	size_t			  natkeys;
	struct schema_key	 *ockeys;
	size_t			  nockeys;
};

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

#define SYN(n)	"1.3.6.1.4.1.1466.115.121.1." #n

static const struct schema_syntax schema_syntaxes[] = {
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

static const struct schema_rule schema_rules[] = {
	{ "objectIdentifierMatch", "2.5.13.0", SYN(38), NORM_OID, MR_EQUALITY },
	{ "distinguishedNameMatch", "2.5.13.1", SYN(12), NORM_DN, MR_EQUALITY },
	{ "caseIgnoreMatch", "2.5.13.2", SYN(15),
	    NORM_CASEIGNORE, MR_EQUALITY },
	{ "caseIgnoreOrderingMatch", "2.5.13.3", SYN(15),
	    NORM_CASEIGNORE, MR_ORDERING },
	{ "caseIgnoreSubstringsMatch", "2.5.13.4", SYN(58),
	    NORM_CASEIGNORE, MR_SUBSTRINGS },
	{ "caseExactMatch", "2.5.13.5", SYN(15), NORM_CASEEXACT, MR_EQUALITY },
	{ "caseExactOrderingMatch", "2.5.13.6", SYN(15),
	    NORM_CASEEXACT, MR_ORDERING },
	{ "caseExactSubstringsMatch", "2.5.13.7", SYN(58),
	    NORM_CASEEXACT, MR_SUBSTRINGS },
	{ "numericStringMatch", "2.5.13.8", SYN(36),
	    NORM_NUMERIC, MR_EQUALITY },
	{ "numericStringOrderingMatch", "2.5.13.9", SYN(36),
	    NORM_NUMERIC, MR_ORDERING },
	{ "numericStringSubstringsMatch", "2.5.13.10", SYN(58),
	    NORM_NUMERIC, MR_SUBSTRINGS },
	{ "caseIgnoreListMatch", "2.5.13.11", SYN(41),
	    NORM_CASEIGNORE, MR_EQUALITY },
	{ "caseIgnoreListSubstringsMatch", "2.5.13.12", SYN(58),
	    NORM_CASEIGNORE, MR_SUBSTRINGS },
	{ "booleanMatch", "2.5.13.13", SYN(7), NORM_BOOLEAN, MR_EQUALITY },
	{ "integerMatch", "2.5.13.14", SYN(27), NORM_INTEGER, MR_EQUALITY },
	{ "integerOrderingMatch", "2.5.13.15", SYN(27),
	    NORM_INTEGER, MR_ORDERING },
	{ "bitStringMatch", "2.5.13.16", SYN(6), NORM_OCTET, MR_EQUALITY },
	{ "octetStringMatch", "2.5.13.17", SYN(40), NORM_OCTET, MR_EQUALITY },
	{ "octetStringOrderingMatch", "2.5.13.18", SYN(40),
	    NORM_OCTET, MR_ORDERING },
	{ "telephoneNumberMatch", "2.5.13.20", SYN(50),
	    NORM_TELEPHONE, MR_EQUALITY },
	{ "telephoneNumberSubstringsMatch", "2.5.13.21", SYN(58),
	    NORM_TELEPHONE, MR_SUBSTRINGS },
	{ "uniqueMemberMatch", "2.5.13.23", SYN(34),
	    NORM_UNIQUEMEMBER, MR_EQUALITY },
	{ "generalizedTimeMatch", "2.5.13.27", SYN(24),
	    NORM_TIME, MR_EQUALITY },
	{ "generalizedTimeOrderingMatch", "2.5.13.28", SYN(24),
	    NORM_TIME, MR_ORDERING },
	{ "integerFirstComponentMatch", "2.5.13.29", SYN(27),
	    NORM_INTEGER, MR_EQUALITY },
	{ "objectIdentifierFirstComponentMatch", "2.5.13.30", SYN(38),
	    NORM_CASEIGNORE, MR_EQUALITY },
	{ "certificateExactMatch", "2.5.13.34", "1.3.6.1.1.15.1",
	    NORM_OCTET, MR_EQUALITY },
	{ "caseExactIA5Match", "1.3.6.1.4.1.1466.109.114.1", SYN(26),
	    NORM_CASEEXACT, MR_EQUALITY },
	{ "caseIgnoreIA5Match", "1.3.6.1.4.1.1466.109.114.2", SYN(26),
	    NORM_CASEIGNORE, MR_EQUALITY },
	{ "caseIgnoreIA5SubstringsMatch", "1.3.6.1.4.1.1466.109.114.3",
	    SYN(58), NORM_CASEIGNORE, MR_SUBSTRINGS },
	{ "UUIDMatch", "1.3.6.1.1.16.2", "1.3.6.1.1.16.1",
	    NORM_UUID, MR_EQUALITY },
	{ "UUIDOrderingMatch", "1.3.6.1.1.16.3", "1.3.6.1.1.16.1",
	    NORM_UUID, MR_ORDERING },
};

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

static const struct schema_rule *
schema_rule_find(const char *name)
{
	size_t	 i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < NITEMS(schema_rules); i++)
		if (strcasecmp(schema_rules[i].name, name) == 0 ||
		    strcmp(schema_rules[i].oid, name) == 0)
			return &schema_rules[i];
	return NULL;
}

static const struct schema_syntax *
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

/* Loading. */

static void
schema_at_free(struct schema_at *a)
{
	if (a == NULL)
		return;
	ldap_attributetype_free(a->lat);
	ldap_memfree(a->str);
	free(a);
}

static void
schema_oc_free(struct schema_oc *o)
{
	if (o == NULL)
		return;
	ldap_objectclass_free(o->loc);
	ldap_memfree(o->str);
	free(o->sups);
	free(o->def.must);
	free(o->def.may);
	free(o);
}

void
schema_free(struct schema *s)
{
	size_t	 i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nats; i++)
		schema_at_free(s->ats[i]);
	for (i = 0; i < s->nocs; i++)
		schema_oc_free(s->ocs[i]);
	free(s->ats);
	free(s->ocs);
	free(s->atkeys);
	free(s->ockeys);
	free(s);
}

static int
schema_push(void *arrp, size_t *n, void *item)
{
	void	***arr = arrp;
	void	 **p;

	if ((p = realloc(*arr, (*n + 1) * sizeof(*p))) == NULL)
		return -1;
	p[(*n)++] = item;
	*arr = p;
	return 0;
}

static bool
schema_ext_true(LDAPSchemaExtensionItem **ext, const char *name)
{
	for (; ext != NULL && *ext != NULL; ext++)
		if (strcasecmp((*ext)->lsei_name, name) == 0 &&
		    (*ext)->lsei_values != NULL &&
		    (*ext)->lsei_values[0] != NULL &&
		    strcasecmp((*ext)->lsei_values[0], "TRUE") == 0)
			return true;
	return false;
}

static int
schema_parse_at(struct schema *s, const char *text, const char *where,
    struct diag *d)
{
	LDAPAttributeType	*lat;
	struct schema_at	*a;
	const char		*err;
	int			 code;

	lat = ldap_str2attributetype(text, &code, &err, LDAP_SCHEMA_ALLOW_ALL);
	if (lat == NULL)
		return diag_set(d, LDAP_OTHER, "%s: %s near '%.20s'", where,
		    ldap_scherr2str(code), err ? err : "");
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		ldap_attributetype_free(lat);
		return diag_set(d, LDAP_NO_MEMORY, "out of memory");
	}
	a->lat = lat;
	a->def.oid = lat->at_oid;
	if (lat->at_names != NULL && lat->at_names[0] != NULL)
		a->def.names = lat->at_names;
	else {
		a->noname[0] = lat->at_oid;
		a->def.names = a->noname;
	}
	a->def.single_value = lat->at_single_value != 0;
	a->def.no_user_mod = lat->at_no_user_mod != 0;
	a->def.operational = lat->at_usage != LDAP_SCHEMA_USER_APPLICATIONS;
	a->def.private = schema_ext_true(lat->at_extensions, "X-PRIVATE");
	a->def.local_only = schema_ext_true(lat->at_extensions, "X-LOCAL");
	if ((a->str = ldap_attributetype2str(lat)) == NULL ||
	    schema_push(&s->ats, &s->nats, a) == -1) {
		schema_at_free(a);
		return diag_set(d, LDAP_NO_MEMORY, "out of memory");
	}
	return LDAP_SUCCESS;
}

static int
schema_parse_oc(struct schema *s, const char *text, const char *where,
    struct diag *d)
{
	static char		*nosup[] = { NULL };
	LDAPObjectClass		*loc;
	struct schema_oc	*o;
	const char		*err;
	int			 code;

	loc = ldap_str2objectclass(text, &code, &err, LDAP_SCHEMA_ALLOW_ALL);
	if (loc == NULL)
		return diag_set(d, LDAP_OTHER, "%s: %s near '%.20s'", where,
		    ldap_scherr2str(code), err ? err : "");
	if ((o = calloc(1, sizeof(*o))) == NULL) {
		ldap_objectclass_free(loc);
		return diag_set(d, LDAP_NO_MEMORY, "out of memory");
	}
	o->loc = loc;
	o->def.oid = loc->oc_oid;
	if (loc->oc_names != NULL && loc->oc_names[0] != NULL)
		o->def.names = loc->oc_names;
	else {
		o->noname[0] = loc->oc_oid;
		o->def.names = o->noname;
	}
	o->def.sup = loc->oc_sup_oids != NULL ? loc->oc_sup_oids : nosup;
	switch (loc->oc_kind) {
	case LDAP_SCHEMA_ABSTRACT:
		o->def.kind = OC_ABSTRACT;
		break;
	case LDAP_SCHEMA_AUXILIARY:
		o->def.kind = OC_AUXILIARY;
		break;
	default:
		o->def.kind = OC_STRUCTURAL;
		break;
	}
	if ((o->str = ldap_objectclass2str(loc)) == NULL ||
	    schema_push(&s->ocs, &s->nocs, o) == -1) {
		schema_oc_free(o);
		return diag_set(d, LDAP_NO_MEMORY, "out of memory");
	}
	return LDAP_SUCCESS;
}

/* One logical line "attributetypes: ( ... )" of a schema file. */
static int
schema_parse_line(struct schema *s, char *line, const char *where,
    struct diag *d)
{
	char	*colon, *key, *val, *end;

	if ((colon = strchr(line, ':')) == NULL)
		return diag_set(d, LDAP_OTHER, "%s: missing ':'", where);
	*colon = '\0';
	key = line;
	for (end = colon; end > key && isspace((unsigned char)end[-1]); end--)
		end[-1] = '\0';
	val = colon + 1;
	while (isspace((unsigned char)*val))
		val++;
	for (end = val + strlen(val); end > val &&
	    isspace((unsigned char)end[-1]); end--)
		end[-1] = '\0';
	if (strcasecmp(key, "attributetypes") == 0 ||
	    strcasecmp(key, "attributetype") == 0)
		return schema_parse_at(s, val, where, d);
	if (strcasecmp(key, "objectclasses") == 0 ||
	    strcasecmp(key, "objectclass") == 0)
		return schema_parse_oc(s, val, where, d);
	return diag_set(d, LDAP_OTHER, "%s: unknown keyword '%s'", where, key);
}

struct schema_buf {
	char	*p;
	size_t	 len, cap;
};

static int
schema_buf_add(struct schema_buf *b, const char *str, size_t len)
{
	char	*p;
	size_t	 cap;

	if (b->len + len + 1 > b->cap) {
		cap = (b->len + len + 1) * 2;
		if ((p = realloc(b->p, cap)) == NULL)
			return -1;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, str, len);
	b->len += len;
	b->p[b->len] = '\0';
	return 0;
}

static int
schema_flush(struct schema *s, struct schema_buf *b, const char *path,
    int lineno, struct diag *d)
{
	char	 where[512];
	int	 rc;

	if (b->len == 0)
		return LDAP_SUCCESS;
	snprintf(where, sizeof(where), "%s:%d", path, lineno);
	rc = schema_parse_line(s, b->p, where, d);
	b->len = 0;
	return rc;
}

/*
 * Blank lines end a description, '#' lines are comments, lines starting
 * with white space continue the previous one.
 */
static int
schema_load_file(struct schema *s, const char *path, struct diag *d)
{
	FILE			*fp;
	struct schema_buf	 b = { NULL, 0, 0 };
	char			*line = NULL, *p;
	size_t			 cap = 0, n;
	ssize_t			 len;
	int			 lineno = 0, start = 0, rc = LDAP_SUCCESS;

	if ((fp = fopen(path, "r")) == NULL)
		return diag_set(d, LDAP_OTHER, "%s: cannot open", path);
	while (rc == LDAP_SUCCESS && (len = getline(&line, &cap, fp)) != -1) {
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (line[0] == '#')
			continue;
		if (line[0] == ' ' || line[0] == '\t') {
			for (p = line; isspace((unsigned char)*p); p++)
				;
			if (*p == '\0') {
				rc = schema_flush(s, &b, path, start, d);
				continue;
			}
			if (b.len == 0) {
				rc = diag_set(d, LDAP_OTHER,
				    "%s:%d: continuation without a description",
				    path, lineno);
				break;
			}
			n = strlen(p);
			if (schema_buf_add(&b, " ", 1) == -1 ||
			    schema_buf_add(&b, p, n) == -1)
				rc = diag_set(d, LDAP_NO_MEMORY, "out of memory");
			continue;
		}
		if ((rc = schema_flush(s, &b, path, start, d)) != LDAP_SUCCESS)
			break;
		start = lineno;
		if (len > 0 && schema_buf_add(&b, line, (size_t)len) == -1)
			rc = diag_set(d, LDAP_NO_MEMORY, "out of memory");
	}
	if (rc == LDAP_SUCCESS)
		rc = schema_flush(s, &b, path, start, d);
	free(line);
	free(b.p);
	fclose(fp);
	return rc;
}

static int
schema_key_cmp(const void *a, const void *b)
{
	const struct schema_key *ka = a, *kb = b;

	return strcasecmp(ka->key, kb->key);
}

static int
schema_key_add(struct schema_key **keys, size_t *n, size_t *cap,
    const char *key, void *def)
{
	struct schema_key	*p;

	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		if ((p = realloc(*keys, *cap * sizeof(*p))) == NULL)
			return -1;
		*keys = p;
	}
	(*keys)[*n].key = key;
	(*keys)[(*n)++].def = def;
	return 0;
}

static int
schema_index(struct schema *s, struct diag *d)
{
	char		**n;
	size_t		  i, cap = 0;

	for (i = 0; i < s->nats; i++) {
		if (schema_key_add(&s->atkeys, &s->natkeys, &cap,
		    s->ats[i]->def.oid, s->ats[i]) == -1)
			return diag_set(d, LDAP_NO_MEMORY, "out of memory");
		for (n = s->ats[i]->lat->at_names; n != NULL && *n; n++)
			if (schema_key_add(&s->atkeys, &s->natkeys, &cap, *n,
			    s->ats[i]) == -1)
				return diag_set(d, LDAP_NO_MEMORY,
				    "out of memory");
	}
	cap = 0;
	for (i = 0; i < s->nocs; i++) {
		if (schema_key_add(&s->ockeys, &s->nockeys, &cap,
		    s->ocs[i]->def.oid, s->ocs[i]) == -1)
			return diag_set(d, LDAP_NO_MEMORY, "out of memory");
		for (n = s->ocs[i]->loc->oc_names; n != NULL && *n; n++)
			if (schema_key_add(&s->ockeys, &s->nockeys, &cap, *n,
			    s->ocs[i]) == -1)
				return diag_set(d, LDAP_NO_MEMORY,
				    "out of memory");
	}
	if (s->natkeys > 0)
		qsort(s->atkeys, s->natkeys, sizeof(*s->atkeys), schema_key_cmp);
	if (s->nockeys > 0)
		qsort(s->ockeys, s->nockeys, sizeof(*s->ockeys), schema_key_cmp);
	for (i = 1; i < s->natkeys; i++)
		if (strcasecmp(s->atkeys[i - 1].key, s->atkeys[i].key) == 0)
			return diag_set(d, LDAP_OTHER,
			    "attribute type '%s' defined twice", s->atkeys[i].key);
	for (i = 1; i < s->nockeys; i++)
		if (strcasecmp(s->ockeys[i - 1].key, s->ockeys[i].key) == 0)
			return diag_set(d, LDAP_OTHER,
			    "object class '%s' defined twice", s->ockeys[i].key);
	return LDAP_SUCCESS;
}

static void *
schema_key_find(const struct schema_key *keys, size_t n, const char *name)
{
	struct schema_key	 k, *found;

	if (n == 0)
		return NULL;
	k.key = name;
	found = bsearch(&k, keys, n, sizeof(*keys), schema_key_cmp);
	return found ? found->def : NULL;
}

/* Inherits syntax and matching rules from the SUP chain (RFC 4512 2.5.1). */
static int
schema_resolve_at(struct schema *s, struct schema_at *a, int depth,
    struct diag *d)
{
	LDAPAttributeType	*lat = a->lat;
	struct schema_at	*sup;
	int			 rc;

	if (a->state == 2)
		return LDAP_SUCCESS;
	if (a->state == 1 || depth > SCHEMA_MAX_DEPTH)
		return diag_set(d, LDAP_OTHER,
		    "attribute type '%s': SUP loop", a->def.names[0]);
	a->state = 1;
	a->def.syntax = lat->at_syntax_oid;
	a->def.equality = lat->at_equality_oid;
	a->def.ordering = lat->at_ordering_oid;
	a->def.substr = lat->at_substr_oid;
	if (lat->at_sup_oid != NULL) {
		sup = schema_key_find(s->atkeys, s->natkeys, lat->at_sup_oid);
		if (sup == NULL)
			return diag_set(d, LDAP_OTHER,
			    "attribute type '%s': SUP '%s' undefined",
			    a->def.names[0], lat->at_sup_oid);
		if ((rc = schema_resolve_at(s, sup, depth + 1, d)) != 0)
			return rc;
		a->def.sup = &sup->def;
		if (a->def.syntax == NULL)
			a->def.syntax = sup->def.syntax;
		if (a->def.equality == NULL)
			a->def.equality = sup->def.equality;
		if (a->def.ordering == NULL)
			a->def.ordering = sup->def.ordering;
		if (a->def.substr == NULL)
			a->def.substr = sup->def.substr;
	}
	if (a->def.syntax == NULL)
		return diag_set(d, LDAP_OTHER, "attribute type '%s' has no syntax",
		    a->def.names[0]);
	a->eq = schema_rule_find(a->def.equality);
	a->syn = schema_syntax_find(a->def.syntax);
	a->state = 2;
	return LDAP_SUCCESS;
}

/* Adds at to the NULL-terminated list unless it is there already. */
static int
schema_list_add(const struct at_def ***list, size_t *n, const struct at_def *at)
{
	const struct at_def	**p;
	size_t			  i;

	for (i = 0; i < *n; i++)
		if ((*list)[i] == at)
			return 0;
	if ((p = realloc(*list, (*n + 2) * sizeof(*p))) == NULL)
		return -1;
	p[(*n)++] = at;
	p[*n] = NULL;
	*list = p;
	return 0;
}

static int
schema_list_merge(const struct at_def ***list, size_t *n,
    const struct at_def **from)
{
	for (; from != NULL && *from != NULL; from++)
		if (schema_list_add(list, n, *from) == -1)
			return -1;
	return 0;
}

static int
schema_list_names(struct schema *s, struct schema_oc *o,
    const struct at_def ***list, size_t *n, char **names, struct diag *d)
{
	struct schema_at	*a;

	for (; names != NULL && *names != NULL; names++) {
		a = schema_key_find(s->atkeys, s->natkeys, *names);
		if (a == NULL)
			return diag_set(d, LDAP_OTHER,
			    "object class '%s': attribute '%s' undefined",
			    o->def.names[0], *names);
		if (schema_list_add(list, n, &a->def) == -1)
			return diag_set(d, LDAP_NO_MEMORY, "out of memory");
	}
	return LDAP_SUCCESS;
}

/* Computes the full MUST and MAY lists, superclasses' included. */
static int
schema_resolve_oc(struct schema *s, struct schema_oc *o, int depth,
    struct diag *d)
{
	struct schema_oc	*sup;
	char			**n;
	size_t			  nmust = 0, nmay = 0;
	int			  rc;

	if (o->state == 2)
		return LDAP_SUCCESS;
	if (o->state == 1 || depth > SCHEMA_MAX_DEPTH)
		return diag_set(d, LDAP_OTHER, "object class '%s': SUP loop",
		    o->def.names[0]);
	o->state = 1;
	for (n = o->def.sup; *n != NULL; n++) {
		if ((sup = schema_key_find(s->ockeys, s->nockeys, *n)) == NULL)
			return diag_set(d, LDAP_OTHER,
			    "object class '%s': SUP '%s' undefined",
			    o->def.names[0], *n);
		if ((rc = schema_resolve_oc(s, sup, depth + 1, d)) != 0)
			return rc;
		if (schema_push(&o->sups, &o->nsups, sup) == -1 ||
		    schema_list_merge(&o->def.must, &nmust, sup->def.must) ||
		    schema_list_merge(&o->def.may, &nmay, sup->def.may))
			return diag_set(d, LDAP_NO_MEMORY, "out of memory");
	}
	if ((rc = schema_list_names(s, o, &o->def.must, &nmust,
	    o->loc->oc_at_oids_must, d)) != LDAP_SUCCESS ||
	    (rc = schema_list_names(s, o, &o->def.may, &nmay,
	    o->loc->oc_at_oids_may, d)) != LDAP_SUCCESS)
		return rc;
	/* Callers walk the lists without checking for NULL. */
	if ((nmust == 0 && (o->def.must = calloc(1, sizeof(*o->def.must))) ==
	    NULL) || (nmay == 0 && (o->def.may = calloc(1,
	    sizeof(*o->def.may))) == NULL))
		return diag_set(d, LDAP_NO_MEMORY, "out of memory");
	o->state = 2;
	return LDAP_SUCCESS;
}

static int
schema_file_filter(const struct dirent *de)
{
	size_t	 len = strlen(de->d_name);

	return de->d_name[0] != '.' && len > 7 &&
	    strcmp(de->d_name + len - 7, ".schema") == 0;
}

int
schema_load(const char *dir, struct schema **out, struct diag *d)
{
	struct schema	 *s;
	struct dirent	**list = NULL;
	char		  path[4096];
	int		  i, n, rc = LDAP_SUCCESS;
	size_t		  k;

	*out = NULL;
	if ((n = scandir(dir, &list, schema_file_filter, alphasort)) == -1)
		return diag_set(d, LDAP_OTHER, "%s: cannot read directory", dir);
	if ((s = calloc(1, sizeof(*s))) == NULL)
		rc = diag_set(d, LDAP_NO_MEMORY, "out of memory");
	for (i = 0; i < n; i++) {
		if (rc == LDAP_SUCCESS) {
			snprintf(path, sizeof(path), "%s/%s", dir,
			    list[i]->d_name);
			rc = schema_load_file(s, path, d);
		}
		free(list[i]);
	}
	free(list);
	if (rc == LDAP_SUCCESS && n == 0)
		rc = diag_set(d, LDAP_OTHER, "%s: no schema files", dir);
	if (rc == LDAP_SUCCESS)
		rc = schema_index(s, d);
	for (k = 0; rc == LDAP_SUCCESS && k < s->nats; k++)
		rc = schema_resolve_at(s, s->ats[k], 0, d);
	for (k = 0; rc == LDAP_SUCCESS && k < s->nocs; k++)
		rc = schema_resolve_oc(s, s->ocs[k], 0, d);
	if (rc == LDAP_SUCCESS && schema_at(s, "objectClass") == NULL)
		rc = diag_set(d, LDAP_OTHER, "attribute type 'objectClass' "
		    "undefined");
	if (rc != LDAP_SUCCESS) {
		schema_free(s);
		return rc;
	}
	*out = s;
	return LDAP_SUCCESS;
}

/* Lookups ignore attribute options ("userCertificate;binary"). */
const struct at_def *
schema_at(const struct schema *s, const char *name)
{
	struct schema_at	*a;
	char			 buf[256];
	const char		*semi;

	if (s == NULL || name == NULL)
		return NULL;
	if ((semi = strchr(name, ';')) != NULL) {
		if ((size_t)(semi - name) >= sizeof(buf))
			return NULL;
		memcpy(buf, name, semi - name);
		buf[semi - name] = '\0';
		name = buf;
	}
	a = schema_key_find(s->atkeys, s->natkeys, name);
	return a ? &a->def : NULL;
}

const struct oc_def *
schema_oc(const struct schema *s, const char *name)
{
	struct schema_oc	*o;

	if (s == NULL || name == NULL)
		return NULL;
	o = schema_key_find(s->ockeys, s->nockeys, name);
	return o ? &o->def : NULL;
}

/* Values. */

static enum norm_kind
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

static int
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

static int
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

static int
schema_bv_cmp(const struct berval *a, const struct berval *b)
{
	size_t	 n = a->bv_len < b->bv_len ? a->bv_len : b->bv_len;
	int	 c;

	if (n > 0 && (c = memcmp(a->bv_val, b->bv_val, n)) != 0)
		return c;
	return (a->bv_len > b->bv_len) - (a->bv_len < b->bv_len);
}

/* Canonical integers order by sign, then length, then digits. */
static int
schema_int_cmp(const struct berval *a, const struct berval *b)
{
	bool	 na = a->bv_val[0] == '-', nb = b->bv_val[0] == '-';
	int	 c;

	if (na != nb)
		return na ? -1 : 1;
	if (a->bv_len != b->bv_len)
		c = a->bv_len < b->bv_len ? -1 : 1;
	else
		c = memcmp(a->bv_val, b->bv_val, a->bv_len);
	return na ? -c : c;
}

int
schema_value_cmp(const struct schema *s, const struct at_def *at,
    const struct berval *a, const struct berval *b)
{
	struct berval	 na, nb;
	int		 c;

	/* Values that do not normalise compare as raw bytes. */
	if (schema_normalize(s, at, a, &na) != LDAP_SUCCESS)
		return schema_bv_cmp(a, b);
	if (schema_normalize(s, at, b, &nb) != LDAP_SUCCESS) {
		free(na.bv_val);
		return schema_bv_cmp(a, b);
	}
	if (schema_kind(at) == NORM_INTEGER)
		c = schema_int_cmp(&na, &nb);
	else
		c = schema_bv_cmp(&na, &nb);
	free(na.bv_val);
	free(nb.bv_val);
	return c;
}

/* Matching rules for extensible match. */

const struct schema_rule *
schema_mr(const char *name)
{
	return schema_rule_find(name);
}

enum mr_usage
schema_mr_usage(const struct schema_rule *mr)
{
	return mr->usage;
}

bool
schema_mr_integer(const struct schema_rule *mr)
{
	return mr->kind == NORM_INTEGER;
}

/* The equality rule whose values an ordering or substrings rule compares:
 * "caseIgnoreIA5SubstringsMatch" works on values of "caseIgnoreIA5Match". */
static const struct schema_rule *
schema_mr_equality(const struct schema_rule *mr)
{
	const struct schema_rule	*eq;
	const char			*word;
	char				 name[64];
	size_t				 n;

	word = mr->usage == MR_SUBSTRINGS ? "Substrings" :
	    mr->usage == MR_ORDERING ? "Ordering" : NULL;
	if (word == NULL || strlen(mr->name) >= sizeof(name))
		return mr;
	n = strlen(mr->name) - strlen("Match") - strlen(word);
	snprintf(name, sizeof(name), "%.*sMatch", (int)n, mr->name);
	eq = schema_rule_find(name);
	return eq != NULL ? eq : mr;
}

static bool
schema_kind_string(enum norm_kind kind)
{
	return kind == NORM_CASEIGNORE || kind == NORM_CASEEXACT ||
	    kind == NORM_NUMERIC || kind == NORM_TELEPHONE;
}

/* A rule on character strings: its values have a string syntax. */
static bool
schema_mr_string(const struct schema_rule *eq)
{
	const struct schema_syntax	*syn = schema_syntax_find(eq->syntax);

	return syn != NULL && schema_kind_string(syn->kind);
}

bool
schema_mr_usable(const struct schema_rule *mr, const struct at_def *at)
{
	const struct schema_at		*a = (const struct schema_at *)at;
	const struct schema_rule	*eq = schema_mr_equality(mr);

	if (strcmp(eq->name, "octetStringMatch") == 0)
		return true;
	if (at == NULL)
		return schema_mr_string(eq);
	if (schema_rule_find(at->equality) == mr ||
	    schema_rule_find(at->ordering) == mr ||
	    schema_rule_find(at->substr) == mr)
		return true;
	if (a->syn == NULL)
		return false;
	if (strcmp(a->syn->oid, eq->syntax) == 0)
		return true;
	return schema_mr_string(eq) && schema_kind_string(a->syn->kind);
}

int
schema_mr_normalize(const struct schema *s, const struct schema_rule *mr,
    const struct berval *in, struct berval *out)
{
	const struct schema_syntax	*syn;

	out->bv_val = NULL;
	out->bv_len = 0;
	syn = schema_syntax_find(schema_mr_equality(mr)->syntax);
	if (mr->kind != NORM_DN && mr->kind != NORM_UNIQUEMEMBER &&
	    syn != NULL && !syn->check(s, in))
		return LDAP_INVALID_SYNTAX;
	return schema_norm_kind(s, mr->kind, in, out);
}

/* Approximate matching: Soundex codes of words. */

#define SCHEMA_SOUNDEX_LEN	4

struct schema_word {
	const char	*p;		/* the word as written */
	size_t		 len;
	/* its Soundex code; "" unless it is all ASCII letters */
	char		 code[SCHEMA_SOUNDEX_LEN + 1];
};

static bool
schema_word_char(int ch)
{
	return isalnum((unsigned char)ch) || (unsigned char)ch >= 0x80;
}

/* Soundex (Knuth, TAOCP vol. 3): the first letter, then the digits of the
 * following consonants, runs of one digit kept once; vowels separate runs,
 * 'h' and 'w' do not. */
static void
schema_soundex(struct schema_word *w)
{
	static const char	 digits[] = "01230120022455012623010202";
	size_t			 i, n = 1;
	int			 ch;
	char			 d, last;

	w->code[0] = toupper((unsigned char)w->p[0]);
	last = digits[tolower((unsigned char)w->p[0]) - 'a'];
	for (i = 1; i < w->len && n < SCHEMA_SOUNDEX_LEN; i++) {
		ch = tolower((unsigned char)w->p[i]);
		if (ch == 'h' || ch == 'w')
			continue;
		d = digits[ch - 'a'];
		if (d != '0' && d != last)
			w->code[n++] = d;
		last = d;
	}
	while (n < SCHEMA_SOUNDEX_LEN)
		w->code[n++] = '0';
	w->code[n] = '\0';
}

/* The next word of v from *pos; false at the end. */
static bool
schema_word_next(const struct berval *v, size_t *pos, struct schema_word *w)
{
	size_t	 i = *pos;
	bool	 letters = true;

	while (i < v->bv_len && !schema_word_char(v->bv_val[i]))
		i++;
	if (i == v->bv_len)
		return false;
	w->p = v->bv_val + i;
	for (w->len = 0; i < v->bv_len && schema_word_char(v->bv_val[i]);
	    i++, w->len++)
		if (!isalpha((unsigned char)v->bv_val[i]) ||
		    (unsigned char)v->bv_val[i] >= 0x80)
			letters = false;
	*pos = i;
	w->code[0] = '\0';
	if (letters)
		schema_soundex(w);
	return true;
}

/* Words with digits or non-ASCII letters must be equal, case aside. */
static bool
schema_word_like(const struct schema_word *a, const struct schema_word *b)
{
	if (a->code[0] != '\0' || b->code[0] != '\0')
		return strcmp(a->code, b->code) == 0;
	return a->len == b->len && strncasecmp(a->p, b->p, a->len) == 0;
}

static bool
schema_sounds_like(const struct berval *v, const struct berval *a)
{
	struct schema_word	 aw, vw;
	size_t			 apos = 0, vpos = 0;
	bool			 any = false;

	while (schema_word_next(a, &apos, &aw)) {
		any = true;
		do {
			if (!schema_word_next(v, &vpos, &vw))
				return false;
		} while (!schema_word_like(&aw, &vw));
	}
	return any;
}

int
schema_approx(const struct schema *s, const struct at_def *at,
    const struct berval *v, const struct berval *a, bool *match)
{
	struct berval	 nv, na;
	int		 rc;

	*match = false;
	if ((rc = schema_normalize(s, at, v, &nv)) != LDAP_SUCCESS)
		return rc;
	if ((rc = schema_normalize(s, at, a, &na)) != LDAP_SUCCESS) {
		free(nv.bv_val);
		return rc;
	}
	*match = nv.bv_len == na.bv_len &&
	    memcmp(nv.bv_val, na.bv_val, na.bv_len) == 0;
	if (!*match && schema_kind_string(schema_kind(at)))
		*match = schema_sounds_like(&nv, &na);
	free(nv.bv_val);
	free(na.bv_val);
	return LDAP_SUCCESS;
}

/* Entries. */

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

/* The subentry. */

static int
schema_sub_syntaxes(struct entry *e)
{
	const struct schema_syntax	*syn;
	char				 buf[256];
	size_t				 i;

	for (i = 0; i < NITEMS(schema_syntaxes); i++) {
		syn = &schema_syntaxes[i];
		snprintf(buf, sizeof(buf), "( %s DESC '%s'%s )", syn->oid,
		    syn->desc, syn->binary ?
		    " X-NOT-HUMAN-READABLE 'TRUE'" : "");
		if (entry_add_str(e, "ldapSyntaxes", buf) == -1)
			return -1;
	}
	return 0;
}

static int
schema_sub_rules(struct entry *e)
{
	const struct schema_rule	*r;
	char				 buf[256];
	size_t				 i;

	for (i = 0; i < NITEMS(schema_rules); i++) {
		r = &schema_rules[i];
		snprintf(buf, sizeof(buf), "( %s NAME '%s' SYNTAX %s )",
		    r->oid, r->name, r->syntax);
		if (entry_add_str(e, "matchingRules", buf) == -1)
			return -1;
	}
	return 0;
}

struct entry *
schema_subentry(const struct schema *s)
{
	struct entry	*e;
	size_t		 i;

	if ((e = entry_new("cn=schema", "cn=schema")) == NULL)
		return NULL;
	if (entry_add_str(e, "objectClass", "top") == -1 ||
	    entry_add_str(e, "objectClass", "subentry") == -1 ||
	    entry_add_str(e, "objectClass", "subschema") == -1 ||
	    entry_add_str(e, "cn", "schema") == -1)
		goto fail;
	for (i = 0; i < s->nats; i++)
		if (entry_add_str(e, "attributeTypes", s->ats[i]->str) == -1)
			goto fail;
	for (i = 0; i < s->nocs; i++)
		if (entry_add_str(e, "objectClasses", s->ocs[i]->str) == -1)
			goto fail;
	if (schema_sub_syntaxes(e) == -1 || schema_sub_rules(e) == -1)
		goto fail;
	for (i = 0; i < e->nattrs; i++)
		e->attrs[i].at = schema_at(s, e->attrs[i].name);
	return e;
fail:
	entry_free(e);
	return NULL;
}
