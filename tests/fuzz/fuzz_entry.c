/*
 * fuzz_entry.c: feeds arbitrary bytes to the stored-entry decoder (both
 * versions). Whatever decodes must encode, decode to the same entry, and
 * encode to the same bytes again: the stored form is canonical and loses
 * nothing, packed attribute metadata included.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmdir.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
/* Runs the target on one input; 1 if the input was accepted as valid, 0
 * if rejected (the replay checks bad_* seeds against it). */
int	fuzz_accepts(const uint8_t *, size_t);

static bool
fuzz_entry_equal(const struct entry *a, const struct entry *b)
{
	if (strcmp(a->dn, b->dn) != 0 || strcmp(a->ndn, b->ndn) != 0 ||
	    a->nattrs != b->nattrs)
		return false;
	for (size_t i = 0; i < a->nattrs; i++) {
		const struct attr *x = &a->attrs[i], *y = &b->attrs[i];
		if (strcmp(x->name, y->name) != 0 || x->nvals != y->nvals)
			return false;
		for (size_t j = 0; j < x->nvals; j++)
			if (x->vals[j].bv_len != y->vals[j].bv_len ||
			    memcmp(x->vals[j].bv_val, y->vals[j].bv_val, x->vals[j].bv_len) != 0 ||
			    y->vals[j].bv_val[y->vals[j].bv_len] != '\0')
				return false;
	}
	return true;
}

int
fuzz_accepts(const uint8_t *data, size_t size)
{
	struct entry *e = entry_decode(data, size), *back;
	void *buf = NULL, *buf2 = NULL;
	size_t len, len2;

	if (e == NULL)
		return 0;
	if (entry_encode(e, &buf, &len) != LDAP_SUCCESS)
		abort();
	if ((back = entry_decode(buf, len)) == NULL || !fuzz_entry_equal(e, back))
		abort();
	if (entry_encode(back, &buf2, &len2) != LDAP_SUCCESS || len2 != len ||
	    memcmp(buf, buf2, len) != 0)
		abort();
	entry_free(back);
	entry_free(e);
	free(buf);
	free(buf2);
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_accepts(data, size);
	return 0;
}
