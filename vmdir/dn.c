/*
 * dn.c: distinguished names after RFC 4514: parsing, the normalised form
 * used as storage key, and the small operations on it.
 *
 * Not accepted: quoted values and ';' as a separator (both RFC 2253 only),
 * and "\00" (values are handed around as C strings).
 */
#include <stdlib.h>
#include <string.h>

#include "vmdir.h"

/* One attribute type and value assertion of an RDN. */
struct dn_ava {
	char	*type;		/* as written */
	char	*val;		/* unescaped; "#hex" (lowercased) when hex */
	bool	 hex;
	char	*norm;		/* "type=value" normalised, for sorting */
};

struct dn_buf {
	char	*p;
	size_t	 len, cap;
	bool	 err;
};

static bool
dn_isalpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
dn_isdigit(int c)
{
	return c >= '0' && c <= '9';
}

static int
dn_hexval(int c)
{
	if (dn_isdigit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static char
dn_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static void
dn_addc(struct dn_buf *b, char c)
{
	char	*p;
	size_t	 cap;

	if (b->err)
		return;
	if (b->len + 1 >= b->cap) {
		cap = b->cap ? b->cap * 2 : 64;
		if ((p = realloc(b->p, cap)) == NULL) {
			b->err = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	b->p[b->len++] = c;
	b->p[b->len] = '\0';
}

static void
dn_adds(struct dn_buf *b, const char *s)
{
	for (; *s != '\0'; s++)
		dn_addc(b, *s);
}

/* Hands the buffer's string over (never NULL unless allocation failed). */
static char *
dn_buf_take(struct dn_buf *b)
{
	if (!b->err && b->p == NULL && (b->p = calloc(1, 1)) == NULL)
		b->err = true;
	if (b->err) {
		free(b->p);
		return NULL;
	}
	return b->p;
}

static void
dn_ava_free(struct dn_ava *a, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free(a[i].type);
		free(a[i].val);
		free(a[i].norm);
	}
	free(a);
}

static char *
dn_strndup(const char *s, size_t len)
{
	char	*p;

	if ((p = malloc(len + 1)) == NULL)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* A descriptor or a numeric OID, then '='; spaces around both allowed. */
static int
dn_parse_type(const char **pp, char **type)
{
	const char	*p = *pp, *start;

	while (*p == ' ')
		p++;
	start = p;
	if (dn_isalpha(*p)) {
		while (dn_isalpha(*p) || dn_isdigit(*p) || *p == '-')
			p++;
	} else if (dn_isdigit(*p)) {
		for (;;) {
			/* RFC 4512 numbers have no leading zeros. */
			if (!dn_isdigit(*p) || (*p == '0' && dn_isdigit(p[1])))
				return LDAP_INVALID_DN_SYNTAX;
			while (dn_isdigit(*p))
				p++;
			if (*p != '.')
				break;
			p++;
		}
	} else
		return LDAP_INVALID_DN_SYNTAX;
	if ((*type = dn_strndup(start, (size_t)(p - start))) == NULL)
		return LDAP_OTHER;
	while (*p == ' ')
		p++;
	if (*p != '=')
		return LDAP_INVALID_DN_SYNTAX;
	*pp = p + 1;
	return LDAP_SUCCESS;
}

/* "#" followed by hex pairs, then only spaces up to the separator. */
static int
dn_parse_hex(const char **pp, struct dn_buf *b)
{
	const char	*p = *pp + 1;
	size_t		 n = 0;

	dn_addc(b, '#');
	for (; dn_hexval(*p) != -1; p++, n++)
		dn_addc(b, dn_lower(*p));
	if (n == 0 || n % 2 != 0)
		return LDAP_INVALID_DN_SYNTAX;
	while (*p == ' ')
		p++;
	if (*p != '\0' && *p != ',' && *p != '+')
		return LDAP_INVALID_DN_SYNTAX;
	*pp = p;
	return LDAP_SUCCESS;
}

/* A string value up to an unescaped ',' '+' or the end, unescaped into b;
 * unescaped trailing spaces are dropped. */
static int
dn_parse_string(const char **pp, struct dn_buf *b)
{
	const char	*p = *pp;
	size_t		 keep = 0;
	int		 hi, lo;

	for (; *p != '\0' && *p != ',' && *p != '+'; p++) {
		if (strchr("\"<>;", *p) != NULL)
			return LDAP_INVALID_DN_SYNTAX;
		if (*p != '\\') {
			dn_addc(b, *p);
			if (*p != ' ')
				keep = b->len;
			continue;
		}
		p++;
		if (*p != '\0' && strchr(",+\"\\<>;=# ", *p) != NULL)
			dn_addc(b, *p);
		else if ((hi = dn_hexval(*p)) != -1 &&
		    (lo = dn_hexval(p[1])) != -1 && (hi || lo)) {
			dn_addc(b, (char)(hi << 4 | lo));
			p++;
		} else
			return LDAP_INVALID_DN_SYNTAX;
		keep = b->len;
	}
	if (!b->err && b->p != NULL)
		b->p[b->len = keep] = '\0';
	*pp = p;
	return LDAP_SUCCESS;
}

static int
dn_parse_ava(const char **pp, struct dn_ava *a)
{
	struct dn_buf	 b = { 0 };
	const char	*p = *pp;
	int		 rc;

	if ((rc = dn_parse_type(&p, &a->type)) != LDAP_SUCCESS)
		return rc;
	while (*p == ' ')
		p++;
	a->hex = *p == '#';
	if (a->hex)
		rc = dn_parse_hex(&p, &b);
	else
		rc = dn_parse_string(&p, &b);
	if (rc != LDAP_SUCCESS) {
		free(b.p);
		return rc;
	}
	if ((a->val = dn_buf_take(&b)) == NULL)
		return LDAP_OTHER;
	*pp = p;
	return LDAP_SUCCESS;
}

/* Parses the AVAs of one RDN; *pp is left at the ',' or NUL ending it. */
static int
dn_parse_rdn(const char **pp, struct dn_ava **avas, size_t *n)
{
	struct dn_ava	*a = NULL, *na;
	const char	*p = *pp;
	size_t		 cnt = 0;
	int		 rc;

	for (;;) {
		if ((na = realloc(a, (cnt + 1) * sizeof(*a))) == NULL) {
			rc = LDAP_OTHER;
			goto fail;
		}
		a = na;
		memset(&a[cnt], 0, sizeof(*a));
		cnt++;
		if ((rc = dn_parse_ava(&p, &a[cnt - 1])) != LDAP_SUCCESS)
			goto fail;
		if (*p != '+')
			break;
		p++;
	}
	*pp = p;
	*avas = a;
	*n = cnt;
	return LDAP_SUCCESS;
 fail:
	dn_ava_free(a, cnt);
	return rc;
}

static void
dn_norm_type(const struct schema *s, const char *type, struct dn_buf *b)
{
	const struct at_def	*at;

	if (s != NULL && (at = schema_at(s, type)) != NULL &&
	    at->names != NULL && at->names[0] != NULL)
		type = at->names[0];
	for (; *type != '\0'; type++)
		dn_addc(b, dn_lower(*type));
}

/* Lowercased, spaces trimmed and collapsed, re-escaped one way. */
static void
dn_norm_value(const char *v, struct dn_buf *b)
{
	bool	 first = true, space = false;

	for (; *v != '\0'; v++) {
		if (*v == ' ') {
			space = true;
			continue;
		}
		if (space && !first)
			dn_addc(b, ' ');
		space = false;
		if (strchr(",+\"\\<>;=", *v) != NULL || (first && *v == '#'))
			dn_addc(b, '\\');
		dn_addc(b, dn_lower(*v));
		first = false;
	}
}

static int
dn_ava_cmp(const void *a, const void *b)
{
	return strcmp(((const struct dn_ava *)a)->norm,
	    ((const struct dn_ava *)b)->norm);
}

static int
dn_norm_rdn(const struct schema *s, struct dn_ava *a, size_t n,
    struct dn_buf *out)
{
	struct dn_buf	 b;
	size_t		 i;

	for (i = 0; i < n; i++) {
		memset(&b, 0, sizeof(b));
		dn_norm_type(s, a[i].type, &b);
		dn_addc(&b, '=');
		if (a[i].hex)
			dn_adds(&b, a[i].val);
		else
			dn_norm_value(a[i].val, &b);
		if ((a[i].norm = dn_buf_take(&b)) == NULL)
			return LDAP_OTHER;
	}
	qsort(a, n, sizeof(*a), dn_ava_cmp);
	for (i = 0; i < n; i++) {
		if (i > 0)
			dn_addc(out, '+');
		dn_adds(out, a[i].norm);
	}
	return LDAP_SUCCESS;
}

int
dn_normalize(const struct schema *s, const char *dn, char **out)
{
	struct dn_buf	 b = { 0 };
	struct dn_ava	*a;
	const char	*p = dn;
	size_t		 n;
	int		 rc;

	*out = NULL;
	while (*p == ' ')
		p++;
	if (*p != '\0') {
		for (;;) {
			if ((rc = dn_parse_rdn(&p, &a, &n)) != LDAP_SUCCESS)
				goto fail;
			rc = dn_norm_rdn(s, a, n, &b);
			dn_ava_free(a, n);
			if (rc != LDAP_SUCCESS)
				goto fail;
			if (*p == '\0')
				break;
			p++;
			dn_addc(&b, ',');
		}
	}
	if ((*out = dn_buf_take(&b)) == NULL)
		return LDAP_OTHER;
	return LDAP_SUCCESS;
 fail:
	free(b.p);
	return rc;
}

/* Position of the first unescaped ',' in dn, or of its NUL. */
static const char *
dn_next_comma(const char *dn)
{
	for (; *dn != '\0' && *dn != ','; dn++)
		if (*dn == '\\' && dn[1] != '\0')
			dn++;
	return dn;
}

char *
dn_parent(const char *ndn)
{
	const char	*p = dn_next_comma(ndn);

	if (*p == ',')
		p++;
	return dn_strndup(p, strlen(p));
}

char *
dn_rdn(const char *dn)
{
	const char	*p = dn, *start, *end;

	while (*p == ' ')
		p++;
	start = end = p;
	/* Trailing spaces go unless escaped. */
	for (; *p != '\0' && *p != ','; p++) {
		if (*p == '\\' && p[1] != '\0') {
			end = ++p + 1;
			continue;
		}
		if (*p != ' ')
			end = p + 1;
	}
	return dn_strndup(start, (size_t)(end - start));
}

bool
dn_is_under(const char *ndn, const char *nbase)
{
	size_t		 n = strlen(ndn), nb = strlen(nbase), k;
	const char	*c;

	if (nb == 0)
		return true;
	if (n < nb || strcmp(ndn + n - nb, nbase) != 0)
		return false;
	if (n == nb)
		return true;
	if (n == nb + 1 || ndn[n - nb - 1] != ',')
		return false;
	/* The ',' is a boundary unless an odd run of '\' escapes it. */
	c = ndn + n - nb - 1;
	for (k = 0; c > ndn && c[-1] == '\\'; c--)
		k++;
	return k % 2 == 0;
}

int
dn_rdn_split(const char *rdn, char ***types, char ***vals, size_t *n)
{
	struct dn_ava	*a;
	const char	*p = rdn;
	size_t		 cnt, i;
	int		 rc;

	*types = *vals = NULL;
	*n = 0;
	if ((rc = dn_parse_rdn(&p, &a, &cnt)) != LDAP_SUCCESS)
		return rc;
	if (*p != '\0') {
		dn_ava_free(a, cnt);
		return LDAP_INVALID_DN_SYNTAX;
	}
	*types = calloc(cnt, sizeof(**types));
	*vals = calloc(cnt, sizeof(**vals));
	if (*types == NULL || *vals == NULL) {
		free(*types);
		free(*vals);
		*types = *vals = NULL;
		dn_ava_free(a, cnt);
		return LDAP_OTHER;
	}
	for (i = 0; i < cnt; i++) {
		(*types)[i] = a[i].type;
		(*vals)[i] = a[i].val;
		a[i].type = a[i].val = NULL;
	}
	dn_ava_free(a, cnt);
	*n = cnt;
	return LDAP_SUCCESS;
}

void
dn_rdn_free(char **types, char **vals, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (types != NULL)
			free(types[i]);
		if (vals != NULL)
			free(vals[i]);
	}
	free(types);
	free(vals);
}
