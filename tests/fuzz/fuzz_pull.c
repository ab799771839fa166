/*
 * fuzz_pull.c: feeds arbitrary bytes to the pull control's decoders
 * (repl/pull.c). The first byte picks the side: 'Q' a request (what the
 * supplier decodes), 'R' a response (what the consumer decodes); the rest
 * is the control value. Whatever decodes must encode, and decode again to
 * the same values.
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
fuzz_pull_same_utdv(const struct utdv *a, const struct utdv *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i].inv, b->v[i].inv) != 0 || a->v[i].usn != b->v[i].usn)
			return false;
	return true;
}

static int
fuzz_pull_request(struct berval *v)
{
	struct pull_request r, back;
	struct berval enc;

	if (repl_pull_request_decode(v, &r) != LDAP_SUCCESS) {
		repl_pull_request_free(&r);
		return 0;
	}
	if (r.page <= 0 || r.wait_ms < 0)
		abort();
	if (repl_pull_request_encode(&r, &enc) != LDAP_SUCCESS ||
	    repl_pull_request_decode(&enc, &back) != LDAP_SUCCESS)
		abort();
	if (back.hwm != r.hwm || back.page != r.page || back.wait_ms != r.wait_ms ||
	    strcmp(back.inv, r.inv) != 0 || !fuzz_pull_same_utdv(&back.utdv, &r.utdv))
		abort();
	ber_memfree(enc.bv_val);
	repl_pull_request_free(&back);
	repl_pull_request_free(&r);
	return 1;
}

static int
fuzz_pull_response(struct berval *v)
{
	struct pull_response r, back;
	struct berval enc;

	if (repl_pull_response_decode(v, &r) != LDAP_SUCCESS) {
		if (r.inv != NULL || r.utdv != NULL)
			abort();
		return 0;
	}
	if (r.inv == NULL || (r.more ? r.utdv != NULL : r.utdv == NULL))
		abort();
	if (repl_pull_response_encode(&r, &enc) != LDAP_SUCCESS ||
	    repl_pull_response_decode(&enc, &back) != LDAP_SUCCESS)
		abort();
	if (back.hwm != r.hwm || back.more != r.more || back.top != r.top ||
	    strcmp(back.inv, r.inv) != 0 ||
	    (!r.more && strcmp(back.utdv, r.utdv) != 0))
		abort();
	ber_memfree(enc.bv_val);
	repl_pull_response_free(&back);
	repl_pull_response_free(&r);
	return 1;
}

int
fuzz_accepts(const uint8_t *data, size_t size)
{
	struct berval v;
	int ok;

	if (size < 1 || (data[0] != 'Q' && data[0] != 'R'))
		return 0;
	/* a copy of exactly the value, so reading past it is caught */
	v.bv_len = size - 1;
	if ((v.bv_val = malloc(v.bv_len ? v.bv_len : 1)) == NULL)
		abort();
	memcpy(v.bv_val, data + 1, v.bv_len);
	ok = data[0] == 'Q' ? fuzz_pull_request(&v) : fuzz_pull_response(&v);
	free(v.bv_val);
	return ok;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_accepts(data, size);
	return 0;
}
