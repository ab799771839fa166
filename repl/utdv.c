/*
 * utdv.c: up-to-dateness vectors: for each invocationId, the originating
 * USN up to which a node has seen every change. Kept sorted so lookups are
 * binary searches and the text form is deterministic.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repl.h"

/* Longest text of one element: uuid ':' 20 digits ','. */
#define UTDV_ELEM_MAX	(REPL_INV_LEN + 1 + 20 + 1)

static bool
utdv_ishex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

static char
utdv_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Copies the UUID s[0..36) lowercased into out; -1 unless 8-4-4-4-12 hex. */
static int
utdv_uuid(const char *s, char out[REPL_INV_LEN + 1])
{
	size_t	 i;

	for (i = 0; i < REPL_INV_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return -1;
		} else if (!utdv_ishex(s[i]))
			return -1;
		out[i] = utdv_lower(s[i]);
	}
	out[REPL_INV_LEN] = '\0';
	return 0;
}

/* Index of inv in u, or where it would go (*found false). inv is a
 * lowercase UUID, so strcmp orders as the text form does. */
static size_t
utdv_find(const struct utdv *u, const char *inv, bool *found)
{
	size_t	 lo = 0, hi = u->n, mid;
	int	 c;

	*found = false;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(u->v[mid].inv, inv);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Sets a lowercase, validated inv. */
static int
utdv_put(struct utdv *u, const char *inv, uint64_t usn)
{
	struct utdv_elem	*v;
	size_t			 i, cap;
	bool			 found;

	i = utdv_find(u, inv, &found);
	if (found) {
		if (usn > u->v[i].usn)
			u->v[i].usn = usn;
		return LDAP_SUCCESS;
	}
	if (u->n == u->cap) {
		cap = u->cap ? u->cap * 2 : 8;
		if (cap > SIZE_MAX / sizeof(*v) ||
		    (v = realloc(u->v, cap * sizeof(*v))) == NULL)
			return LDAP_NO_MEMORY;
		u->v = v;
		u->cap = cap;
	}
	memmove(&u->v[i + 1], &u->v[i], (u->n - i) * sizeof(*u->v));
	memcpy(u->v[i].inv, inv, sizeof(u->v[i].inv));
	u->v[i].usn = usn;
	u->n++;
	return LDAP_SUCCESS;
}

/* 1 to 20 digits, no leading zero (but "0"), fitting in 64 bits, ended by
 * ','; *pp is left on the ','. */
static int
utdv_usn(const char **pp, uint64_t *out)
{
	const char	*p = *pp;
	uint64_t	 v = 0, d;

	if (*p < '0' || *p > '9' || (*p == '0' && p[1] >= '0' && p[1] <= '9'))
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		d = (uint64_t)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (*p != ',')
		return -1;
	*pp = p;
	*out = v;
	return 0;
}

int
repl_utdv_parse(const char *s, struct utdv *out)
{
	char		 inv[REPL_INV_LEN + 1];
	uint64_t	 usn;
	size_t		 i;
	int		 rc;

	memset(out, 0, sizeof(*out));
	if (s == NULL)
		return LDAP_INVALID_SYNTAX;
	while (*s != '\0') {
		/* strnlen-like check so the UUID scan never runs past the NUL. */
		for (i = 0; i < REPL_INV_LEN && s[i] != '\0'; i++)
			;
		if (i < REPL_INV_LEN || utdv_uuid(s, inv) == -1 ||
		    s[REPL_INV_LEN] != ':') {
			rc = LDAP_INVALID_SYNTAX;
			goto fail;
		}
		s += REPL_INV_LEN + 1;
		if (utdv_usn(&s, &usn) == -1) {
			rc = LDAP_INVALID_SYNTAX;
			goto fail;
		}
		s++;
		if ((rc = utdv_put(out, inv, usn)) != LDAP_SUCCESS)
			goto fail;
	}
	return LDAP_SUCCESS;
 fail:
	repl_utdv_free(out);
	return rc;
}

int
repl_utdv_format(const struct utdv *u, char **out)
{
	char	*buf, *p;
	size_t	 i, left;
	int	 n;

	*out = NULL;
	if (u->n > (SIZE_MAX - 1) / UTDV_ELEM_MAX)
		return LDAP_NO_MEMORY;
	left = u->n * UTDV_ELEM_MAX + 1;
	if ((buf = malloc(left)) == NULL)
		return LDAP_NO_MEMORY;
	p = buf;
	*p = '\0';
	for (i = 0; i < u->n; i++) {
		n = snprintf(p, left, "%s:%" PRIu64 ",", u->v[i].inv,
		    u->v[i].usn);
		if (n < 0 || (size_t)n >= left) {
			free(buf);
			return LDAP_OTHER;
		}
		p += n;
		left -= (size_t)n;
	}
	*out = buf;
	return LDAP_SUCCESS;
}

uint64_t
repl_utdv_get(const struct utdv *u, const char *inv)
{
	char	 key[REPL_INV_LEN + 1];
	size_t	 i;
	bool	 found;

	if (u == NULL || inv == NULL || strlen(inv) != REPL_INV_LEN ||
	    utdv_uuid(inv, key) == -1)
		return 0;
	i = utdv_find(u, key, &found);
	return found ? u->v[i].usn : 0;
}

int
repl_utdv_set_max(struct utdv *u, const char *inv, uint64_t usn)
{
	char	 key[REPL_INV_LEN + 1];

	if (inv == NULL || strlen(inv) != REPL_INV_LEN ||
	    utdv_uuid(inv, key) == -1)
		return LDAP_INVALID_SYNTAX;
	return utdv_put(u, key, usn);
}

int
repl_utdv_merge(struct utdv *dst, const struct utdv *src)
{
	size_t	 i;
	int	 rc;

	if (dst == src)
		return LDAP_SUCCESS;
	for (i = 0; i < src->n; i++)
		if ((rc = utdv_put(dst, src->v[i].inv, src->v[i].usn)) !=
		    LDAP_SUCCESS)
			return rc;
	return LDAP_SUCCESS;
}

bool
repl_utdv_covers(const struct utdv *u, const struct attr_meta *m)
{
	return repl_utdv_get(u, m->orig_invocation) >= m->orig_usn;
}

void
repl_utdv_free(struct utdv *u)
{
	if (u == NULL)
		return;
	free(u->v);
	u->v = NULL;
	u->n = u->cap = 0;
}
