/*
 * fuzz_filter.c: feeds arbitrary bytes to both filter parsers (as an RFC
 * 4515 string and as a BER Filter), then prints and evaluates what they
 * accept.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmdir.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
/* Runs the target on one input; 1 if the input was accepted as valid, 0
 * if rejected (the replay checks bad_* seeds against it). */
int	fuzz_accepts(const uint8_t *, size_t);

/* Loaded once and kept (reachable, so not a leak); NULL if absent, and
 * then everything compares as caseIgnore. */
static const struct schema *
fuzz_schema(void)
{
	static struct schema	*s;
	static int		 tried;
	const char		*top;
	char			 dir[1024];

	if (tried)
		return s;
	tried = 1;
	if ((top = getenv("top_srcdir")) == NULL)
		top = ".";
	snprintf(dir, sizeof(dir), "%s/schema", top);
	if (schema_load(dir, &s, NULL) != LDAP_SUCCESS)
		s = NULL;
	return s;
}

static struct entry *
fuzz_entry(void)
{
	struct entry	*e;

	if ((e = entry_new("cn=John Smith,ou=People,dc=example", NULL)) == NULL)
		return NULL;
	entry_add_str(e, "objectClass", "person");
	entry_add_str(e, "cn", "John Smith");
	entry_add_str(e, "sn", "Smith");
	entry_add_str(e, "title;lang-de", "Chef");
	entry_add_str(e, "uSNChanged", "10");
	return e;
}

static void
fuzz_use(const struct schema *sc, struct filter *f, const struct entry *e)
{
	struct filter	*again = NULL;
	char		*s, *s2;
	int		 r;

	r = filter_eval(sc, f, e);
	if (r != FILTER_TRUE && r != FILTER_FALSE && r != FILTER_UNDEFINED)
		abort();
	if ((s = filter_to_str(f)) == NULL)
		return;
	/* What we print we must parse back to the same string. */
	if (filter_from_str(NULL, s, &again) != LDAP_SUCCESS)
		abort();
	if ((s2 = filter_to_str(again)) == NULL || strcmp(s, s2) != 0)
		abort();
	free(s2);
	free(s);
	filter_free(again);
}

/* An input is accepted when either parser takes it. */
int
fuzz_accepts(const uint8_t *data, size_t size)
{
	const struct schema *sc = fuzz_schema();
	struct berval	 bv;
	struct filter	*f = NULL;
	struct entry	*e;
	BerElement	*ber;
	char		*s;
	int		 accepted = 0;

	if ((e = fuzz_entry()) == NULL || (s = malloc(size + 1)) == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	if (filter_from_str(sc, s, &f) == LDAP_SUCCESS) {
		fuzz_use(sc, f, e);
		accepted = 1;
	}
	filter_free(f);
	free(s);

	/* ber_init copies the bytes and wants a non-NULL buffer. */
	bv.bv_len = size;
	bv.bv_val = size > 0 ? (char *)data : "";
	f = NULL;
	if ((ber = ber_init(&bv)) != NULL) {
		if (filter_from_ber(sc, ber, &f) == LDAP_SUCCESS) {
			fuzz_use(sc, f, e);
			accepted = 1;
		}
		filter_free(f);
		ber_free(ber, 1);
	}
	entry_free(e);
	return accepted;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_accepts(data, size);
	return 0;
}
