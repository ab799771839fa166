/*
 * fuzz_utdv.c: feeds arbitrary bytes to the up-to-dateness vector parser;
 * whatever parses must format, reparse to the same vector, and format to
 * the same text again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "repl.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
/* Runs the target on one input; 1 if the input was accepted as valid, 0
 * if rejected (the replay checks bad_* seeds against it). */
int	fuzz_accepts(const uint8_t *, size_t);

static bool
fuzz_utdv_equal(const struct utdv *a, const struct utdv *b)
{
	size_t	 i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->v[i].inv, b->v[i].inv) != 0 ||
		    a->v[i].usn != b->v[i].usn)
			return false;
	return true;
}

/* Sorted, unique, lowercase ids: what repl_utdv_get relies on. */
static void
fuzz_utdv_check(const struct utdv *u)
{
	size_t	 i;

	for (i = 0; i < u->n; i++) {
		if (strlen(u->v[i].inv) != REPL_INV_LEN ||
		    strpbrk(u->v[i].inv, "ABCDEF") != NULL ||
		    repl_utdv_get(u, u->v[i].inv) != u->v[i].usn)
			abort();
		if (i > 0 && strcmp(u->v[i - 1].inv, u->v[i].inv) >= 0)
			abort();
	}
}

int
fuzz_accepts(const uint8_t *data, size_t size)
{
	struct utdv	 u, back, merged = REPL_UTDV_INIT;
	char		*s, *text = NULL, *text2 = NULL;

	if ((s = malloc(size + 1)) == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	if (repl_utdv_parse(s, &u) != LDAP_SUCCESS) {
		if (u.n != 0 || u.v != NULL)
			abort();
		free(s);
		return 0;
	}
	fuzz_utdv_check(&u);
	if (repl_utdv_format(&u, &text) != LDAP_SUCCESS)
		abort();
	if (repl_utdv_parse(text, &back) != LDAP_SUCCESS ||
	    !fuzz_utdv_equal(&u, &back))
		abort();
	if (repl_utdv_format(&back, &text2) != LDAP_SUCCESS ||
	    strcmp(text, text2) != 0)
		abort();
	/* Merging a vector into an empty one, then into itself, is a copy. */
	if (repl_utdv_merge(&merged, &u) != LDAP_SUCCESS ||
	    repl_utdv_merge(&merged, &back) != LDAP_SUCCESS ||
	    !fuzz_utdv_equal(&merged, &u))
		abort();
	repl_utdv_free(&merged);
	repl_utdv_free(&back);
	repl_utdv_free(&u);
	free(text);
	free(text2);
	free(s);
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_accepts(data, size);
	return 0;
}
