/*
 * schema_match.c: the matching rules the server knows (RFC 4517 4.2):
 * looking a rule up, which attributes it applies to, and comparing
 * normalised values by equality, ordering, substrings and approximate
 * match.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "schema_int.h"

/* Bounds the walk up a SUP chain. */
#define SCHEMA_MAX_SUP	32

const struct schema_rule schema_rules[] = {
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

const size_t schema_nrules = NITEMS(schema_rules);

const struct schema_rule *
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

/* Comparing normalised values. */

int
schema_bv_cmp(const struct berval *a, const struct berval *b)
{
	size_t	 n = a->bv_len < b->bv_len ? a->bv_len : b->bv_len;
	int	 c;

	if (n > 0 && (c = memcmp(a->bv_val, b->bv_val, n)) != 0)
		return c;
	return (a->bv_len > b->bv_len) - (a->bv_len < b->bv_len);
}

/* Decimal integers ("-12", "0", "0345") order by sign, then length
 * without leading zeros, then digits. */
static int
schema_int_cmp(const struct berval *a, const struct berval *b)
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

/* integerMatch, integerOrderingMatch or the INTEGER syntax on at or a
 * supertype. */
static bool
schema_at_integer(const struct at_def *at)
{
	int	 i;

	for (i = 0; at != NULL && i < SCHEMA_MAX_SUP; at = at->sup, i++) {
		if ((at->equality != NULL &&
		    (strcasecmp(at->equality, "integerMatch") == 0 ||
		    strcmp(at->equality, "2.5.13.14") == 0)) ||
		    (at->ordering != NULL &&
		    (strcasecmp(at->ordering, "integerOrderingMatch") == 0 ||
		    strcmp(at->ordering, "2.5.13.15") == 0)) ||
		    (at->syntax != NULL && strcmp(at->syntax, SYN(27)) == 0))
			return true;
	}
	return false;
}

int
schema_order_cmp(const struct at_def *at, const struct berval *a,
    const struct berval *b)
{
	if (schema_at_integer(at))
		return schema_int_cmp(a, b);
	return schema_bv_cmp(a, b);
}

bool
schema_substr_match(const struct berval *v, const struct berval *ini,
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

int
schema_mr_cmp(const struct schema_rule *mr, const struct berval *a,
    const struct berval *b)
{
	if (schema_mr_integer(mr))
		return schema_int_cmp(a, b);
	return schema_bv_cmp(a, b);
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

bool
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
