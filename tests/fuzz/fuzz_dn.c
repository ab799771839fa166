/*
 * fuzz_dn.c: feeds arbitrary bytes to the DN parser and the operations
 * on DNs.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmdir.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
/* Runs the target on one input; 1 if the input was accepted as valid, 0
 * if rejected (the replay checks bad_* seeds against it). */
int	fuzz_accepts(const uint8_t *, size_t);

int
fuzz_accepts(const uint8_t *data, size_t size)
{
	char	*s, *ndn = NULL, *p, *rdn, **types, **vals;
	size_t	 n;
	int	 accepted = 0;

	if ((s = malloc(size + 1)) == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';

	if (dn_normalize(NULL, s, &ndn) == LDAP_SUCCESS) {
		accepted = 1;
		/* A normalised DN is its own normal form. */
		char *again = NULL;

		if (dn_normalize(NULL, ndn, &again) != LDAP_SUCCESS ||
		    strcmp(again, ndn) != 0)
			abort();
		free(again);
		if ((p = dn_parent(ndn)) != NULL) {
			if (!dn_is_under(ndn, p))
				abort();
			free(p);
		}
		free(ndn);
	}
	free(dn_parent(s));
	dn_is_under(s, s);
	dn_is_under(s, "dc=com");
	if ((rdn = dn_rdn(s)) != NULL) {
		if (dn_rdn_split(rdn, &types, &vals, &n) == LDAP_SUCCESS)
			dn_rdn_free(types, vals, n);
		free(rdn);
	}
	if (dn_rdn_split(s, &types, &vals, &n) == LDAP_SUCCESS)
		dn_rdn_free(types, vals, n);
	free(s);
	return accepted;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_accepts(data, size);
	return 0;
}
