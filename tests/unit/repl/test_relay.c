/*
 * test_relay.c: the value of the direct-partners control (relay.c): what
 * parses, what is refused, the round trip, and membership.
 */
#include <stdlib.h>
#include <string.h>

#include "repl.h"
#include "../tap.h"

#define A	"11111111-1111-4111-8111-111111111111"
#define B	"22222222-2222-4222-8222-222222222222"
#define C	"cccccccc-cccc-4ccc-8ccc-cccccccccccc"

static int
parse(const char *s, struct relay *r)
{
	struct berval v = { strlen(s), (char *)s };

	return repl_relay_parse(&v, r);
}

int
main(void)
{
	struct relay *r = calloc(1, sizeof(*r));
	struct berval none = { 0, NULL };
	char buf[RELAY_MAX * (REPL_INV_LEN + 1) + 8], *many, *p;
	size_t len;

	if (r == NULL)
		return 1;
	is_int(repl_relay_parse(NULL, r), LDAP_SUCCESS, "no control: accepted");
	is_int((int)r->n, 0, "... naming nobody");
	is_int(repl_relay_parse(&none, r), LDAP_SUCCESS, "no value: nobody");
	is_int(parse(A, r), LDAP_SUCCESS, "one partner");
	ok(r->n == 1 && strcmp(r->inv[0], A) == 0, "... kept as sent");
	is_int(parse(A "," B "," C, r), LDAP_SUCCESS, "three partners");
	is_int((int)r->n, 3, "... three kept");
	ok(repl_relay_has(r, B), "B is one");
	ok(repl_relay_has(r, "CCCCCCCC-CCCC-4CCC-8CCC-CCCCCCCCCCCC"),
	    "membership ignores case");
	ok(!repl_relay_has(r, "33333333-3333-4333-8333-333333333333"), "another is not");
	len = repl_relay_format(r, buf, sizeof(buf));
	ok(len == strlen(A "," B "," C) && strcmp(buf, A "," B "," C) == 0,
	    "formats back to the same value: %s", buf);
	len = repl_relay_format(r, buf, 40);
	ok(len == REPL_INV_LEN && strcmp(buf, A) == 0, "a short buffer gets what fits");

	is_int(parse("", r), LDAP_SUCCESS, "an empty value names nobody");
	is_int((int)r->n, 0, "... nobody");
	is_int(parse(A ",", r), LDAP_PROTOCOL_ERROR, "a trailing comma is refused");
	is_int(parse("," A, r), LDAP_PROTOCOL_ERROR, "a leading comma is refused");
	is_int(parse(A ",," B, r), LDAP_PROTOCOL_ERROR, "an empty element is refused");
	is_int(parse("11111111-1111-4111-8111-11111111111", r), LDAP_PROTOCOL_ERROR,
	    "35 characters are refused");
	is_int(parse("11111111x1111-4111-8111-111111111111", r), LDAP_PROTOCOL_ERROR,
	    "a misplaced dash is refused");
	is_int(parse("1111111g-1111-4111-8111-111111111111", r), LDAP_PROTOCOL_ERROR,
	    "a non-hex digit is refused");
	{
		struct berval v = { REPL_INV_LEN, (char *)"11111111-1111-4111-8111-1111111\0" "1111" };
		is_int(repl_relay_parse(&v, r), LDAP_PROTOCOL_ERROR, "a NUL inside is refused");
	}

	/* RELAY_MAX partners, then one more */
	many = malloc((RELAY_MAX + 1) * (REPL_INV_LEN + 1) + 1);
	p = many;
	for (int i = 0; i <= RELAY_MAX; i++) {
		p += sprintf(p, "%s%08x-1111-4111-8111-111111111111", i ? "," : "", i);
	}
	is_int(parse(many, r), LDAP_PROTOCOL_ERROR, "%d partners are refused", RELAY_MAX + 1);
	many[RELAY_MAX * (REPL_INV_LEN + 1) - 1] = '\0';
	is_int(parse(many, r), LDAP_SUCCESS, "%d partners are accepted", RELAY_MAX);
	is_int((int)r->n, RELAY_MAX, "... all kept");
	free(many);
	free(r);
	return tap_done();
}
