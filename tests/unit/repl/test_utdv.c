/*
 * test_utdv.c: up-to-dateness vectors: the text form, lookups, element-wise
 * maximum, and whether a vector covers a change.
 */
#include <stdlib.h>
#include <string.h>

#include "repl.h"
#include "../tap.h"

#define A	"11111111-1111-4111-8111-111111111111"
#define B	"22222222-2222-4222-8222-222222222222"
#define C	"cccccccc-cccc-4ccc-8ccc-cccccccccccc"

/* parse then format; the formatted string, or NULL if either failed. */
static char *
roundtrip(const char *s)
{
	struct utdv	 u;
	char		*out = NULL;

	if (repl_utdv_parse(s, &u) != LDAP_SUCCESS)
		return NULL;
	if (repl_utdv_format(&u, &out) != LDAP_SUCCESS)
		out = NULL;
	repl_utdv_free(&u);
	return out;
}

static void
good(const char *s, const char *want)
{
	char	*got = roundtrip(s);

	is_str(got, want, "'%s' formats as '%s'", s, want);
	free(got);
}

static void
bad(const char *s, const char *why)
{
	struct utdv	 u;
	int		 rc;

	rc = repl_utdv_parse(s, &u);
	is_int(rc, LDAP_INVALID_SYNTAX, "rejects %s", why);
	ok(u.n == 0 && u.v == NULL, "left empty after rejecting %s", why);
}

static void
test_parse(void)
{
	struct utdv	 u;

	good("", "");
	good(A ":5,", A ":5,");
	good(B ":7," A ":5,", A ":5," B ":7,");
	good(A ":5," A ":9," A ":3,", A ":9,");
	good(A ":0,", A ":0,");
	good(A ":18446744073709551615,", A ":18446744073709551615,");
	good("11111111-1111-4111-8111-11111111111F:1,",
	    "11111111-1111-4111-8111-11111111111f:1,");
	good("AAAAAAAA-1111-4111-8111-111111111111:2,"
	    "aaaaaaaa-1111-4111-8111-111111111111:1,",
	    "aaaaaaaa-1111-4111-8111-111111111111:2,");
	good(C ":1," B ":2," A ":3,", A ":3," B ":2," C ":1,");

	is_int(repl_utdv_parse(B ":7," A ":5,", &u), LDAP_SUCCESS, "parse two");
	is_int(u.n, 2, "two elements");
	is_str(u.v[0].inv, A, "sorted: first");
	is_int(u.v[1].usn, 7, "second usn");
	repl_utdv_free(&u);
	ok(u.v == NULL && u.n == 0 && u.cap == 0, "free empties");
	repl_utdv_free(&u);
	repl_utdv_free(NULL);
	ok(u.v == NULL && u.n == 0 && u.cap == 0,
	    "free twice (and free NULL) leaves it empty");

	bad(A ":5", "a missing trailing comma");
	bad(",", "a lone comma");
	bad(A ":5,,", "an empty element");
	bad("," A ":5,", "a leading comma");
	bad(A ":,", "an empty USN");
	bad(A ",", "a missing USN");
	bad(A "5,", "a missing colon");
	bad(A "::5,", "a double colon");
	bad(A ":5:6,", "an extra field");
	bad(A ":-5,", "a negative USN");
	bad(A ":+5,", "a signed USN");
	bad(A ":05,", "a leading zero");
	bad(A ":5x,", "trailing garbage in the USN");
	bad(A ": 5,", "a space before the USN");
	bad(A ":5 ,", "a space after the USN");
	bad(" " A ":5,", "a leading space");
	bad(A ":5, ", "a trailing space");
	bad(A ":18446744073709551616,", "a USN over 64 bits");
	bad(A ":99999999999999999999,", "a 20-digit USN over 64 bits");
	bad(A ":123456789012345678901,", "a 21-digit USN");
	bad("1111111-1111-4111-8111-111111111111:5,", "a short UUID");
	bad("111111111-1111-4111-8111-111111111111:5,", "a long UUID");
	bad("11111111_1111-4111-8111-111111111111:5,", "a bad separator");
	bad("1111111g-1111-4111-8111-111111111111:5,", "a non-hex digit");
	bad("111111111111141118111111111111111111:5,", "a UUID without dashes");
	bad("1111", "a truncated UUID");
	bad(A, "a UUID alone");
	bad(A ":5," B, "a truncated second element");
	bad("x", "garbage");
	bad(A ":5;" B ":6,", "a wrong separator");
	bad(NULL, "NULL");
}

static void
test_getset(void)
{
	struct utdv	 u = REPL_UTDV_INIT;
	char		*s = NULL;

	is_int(repl_utdv_get(&u, A), 0, "empty vector: 0");
	is_int(repl_utdv_set_max(&u, A, 10), LDAP_SUCCESS, "set A 10");
	is_int(repl_utdv_get(&u, A), 10, "A is 10");
	is_int(repl_utdv_set_max(&u, A, 4), LDAP_SUCCESS, "set A 4");
	is_int(repl_utdv_get(&u, A), 10, "lower USN ignored");
	is_int(repl_utdv_set_max(&u, A, 11), LDAP_SUCCESS, "set A 11");
	is_int(repl_utdv_get(&u, A), 11, "higher USN taken");
	is_int(repl_utdv_set_max(&u, "CCCCCCCC-CCCC-4CCC-8CCC-CCCCCCCCCCCC", 3),
	    LDAP_SUCCESS, "set upper-case C");
	is_int(repl_utdv_get(&u, C), 3, "stored lowercased");
	is_int(repl_utdv_get(&u, "CCCCCCCC-CCCC-4CCC-8CCC-CCCCCCCCCCCC"), 3,
	    "get ignores case");
	is_int(repl_utdv_get(&u, B), 0, "absent B: 0");
	is_int(repl_utdv_get(&u, "nonsense"), 0, "bad id: 0");
	is_int(repl_utdv_get(&u, NULL), 0, "NULL id: 0");
	is_int(repl_utdv_get(NULL, A), 0, "NULL vector: 0");
	is_int(repl_utdv_set_max(&u, "nonsense", 1), LDAP_INVALID_SYNTAX,
	    "set rejects a bad id");
	is_int(repl_utdv_set_max(&u, A "0", 1), LDAP_INVALID_SYNTAX,
	    "set rejects a long id");
	is_int(repl_utdv_set_max(&u, NULL, 1), LDAP_INVALID_SYNTAX,
	    "set rejects NULL");
	is_int(repl_utdv_set_max(&u, B, 0), LDAP_SUCCESS, "set B 0");
	is_int(repl_utdv_format(&u, &s), LDAP_SUCCESS, "format");
	is_str(s, A ":11," B ":0," C ":3,", "formatted sorted");
	free(s);
	repl_utdv_free(&u);

	is_int(repl_utdv_format(&u, &s), LDAP_SUCCESS, "format empty");
	is_str(s, "", "empty vector formats as ''");
	free(s);
}

/* Many ids inserted in scrambled order stay sorted and findable. */
static void
test_many(void)
{
	struct utdv	 u = REPL_UTDV_INIT, back;
	char		 inv[REPL_INV_LEN + 1], *s = NULL;
	unsigned	 i, k, bad_n = 0;
	bool		 sorted = true;

	for (i = 0; i < 500; i++) {
		k = (i * 7919u) % 500u;
		snprintf(inv, sizeof(inv), "%08x-0000-4000-8000-%012x", k, k);
		if (repl_utdv_set_max(&u, inv, k + 1) != LDAP_SUCCESS)
			bad_n++;
	}
	is_int(bad_n, 0, "500 inserts");
	is_int(u.n, 500, "500 elements");
	for (i = 1; i < u.n; i++)
		if (strcmp(u.v[i - 1].inv, u.v[i].inv) >= 0)
			sorted = false;
	ok(sorted, "kept sorted");
	for (i = 0, bad_n = 0; i < 500; i++) {
		snprintf(inv, sizeof(inv), "%08x-0000-4000-8000-%012x", i, i);
		if (repl_utdv_get(&u, inv) != i + 1)
			bad_n++;
	}
	is_int(bad_n, 0, "every element found");
	is_int(repl_utdv_format(&u, &s), LDAP_SUCCESS, "format 500");
	is_int(repl_utdv_parse(s, &back), LDAP_SUCCESS, "reparse 500");
	is_int(back.n, 500, "same size");
	for (i = 0, bad_n = 0; i < u.n && i < back.n; i++)
		if (strcmp(back.v[i].inv, u.v[i].inv) != 0 ||
		    back.v[i].usn != u.v[i].usn)
			bad_n++;
	is_int(bad_n, 0, "same elements");
	free(s);
	repl_utdv_free(&back);
	repl_utdv_free(&u);
}

static void
test_merge(void)
{
	struct utdv	 a, b, empty = REPL_UTDV_INIT, ab, ba;
	char		*s = NULL, *s2 = NULL;

	repl_utdv_parse(A ":5," B ":9,", &a);
	repl_utdv_parse(B ":3," C ":7,", &b);
	is_int(repl_utdv_merge(&a, &b), LDAP_SUCCESS, "merge");
	repl_utdv_format(&a, &s);
	is_str(s, A ":5," B ":9," C ":7,", "element-wise maximum");
	free(s);

	is_int(repl_utdv_merge(&a, &empty), LDAP_SUCCESS, "merge empty");
	repl_utdv_format(&a, &s);
	is_str(s, A ":5," B ":9," C ":7,", "empty source changes nothing");
	free(s);

	is_int(repl_utdv_merge(&a, &a), LDAP_SUCCESS, "merge with itself");
	is_int(a.n, 3, "self merge is idempotent");

	is_int(repl_utdv_merge(&empty, &b), LDAP_SUCCESS, "into empty");
	repl_utdv_format(&empty, &s);
	is_str(s, B ":3," C ":7,", "empty destination becomes the source");
	free(s);
	repl_utdv_free(&empty);
	repl_utdv_free(&a);
	repl_utdv_free(&b);

	/* Commutative. */
	repl_utdv_parse(A ":1," B ":20,", &a);
	repl_utdv_parse(A ":10," C ":2,", &b);
	repl_utdv_parse("", &ab);
	repl_utdv_parse("", &ba);
	repl_utdv_merge(&ab, &a);
	repl_utdv_merge(&ab, &b);
	repl_utdv_merge(&ba, &b);
	repl_utdv_merge(&ba, &a);
	repl_utdv_format(&ab, &s);
	repl_utdv_format(&ba, &s2);
	is_str(s, s2, "merge order does not matter");
	is_str(s, A ":10," B ":20," C ":2,", "commutative result");
	free(s);
	free(s2);
	repl_utdv_free(&a);
	repl_utdv_free(&b);
	repl_utdv_free(&ab);
	repl_utdv_free(&ba);
}

static void
test_covers(void)
{
	struct utdv		 u;
	struct attr_meta	 m;

	memset(&m, 0, sizeof(m));
	strcpy(m.attr, "cn");
	strcpy(m.orig_time, "20260101000000.000");
	repl_utdv_parse(A ":10,", &u);

	strcpy(m.orig_invocation, A);
	m.orig_usn = 9;
	ok(repl_utdv_covers(&u, &m), "USN below: covered");
	m.orig_usn = 10;
	ok(repl_utdv_covers(&u, &m), "USN equal: covered");
	m.orig_usn = 11;
	ok(!repl_utdv_covers(&u, &m), "USN above: not covered");
	strcpy(m.orig_invocation, B);
	m.orig_usn = 1;
	ok(!repl_utdv_covers(&u, &m), "unknown invocation: not covered");
	strcpy(m.orig_invocation, "11111111-1111-4111-8111-111111111111");
	m.orig_invocation[0] = 'A';
	m.orig_usn = 1;
	ok(!repl_utdv_covers(&u, &m), "different id not covered");
	strcpy(m.orig_invocation, "CCCCCCCC-CCCC-4CCC-8CCC-CCCCCCCCCCCC");
	repl_utdv_set_max(&u, C, 4);
	m.orig_usn = 4;
	ok(repl_utdv_covers(&u, &m), "upper-case origin matches");
	repl_utdv_free(&u);
}

int
main(void)
{
	test_parse();
	test_getset();
	test_many();
	test_merge();
	test_covers();
	return tap_done();
}
