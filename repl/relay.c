/*
 * relay.c: the partners a consumer pulls from directly, which it names in
 * a second control on its pull (OID_TRELLIS_PULL_DIRECT, not critical, so
 * a supplier that does not know it simply ignores it):
 *
 *   value ::= invocationId *( "," invocationId )     (at most RELAY_MAX)
 *
 * A supplier whose waiting pull wakes to changes that all come from one
 * of those partners (and not from itself) holds them back: the consumer
 * is getting them from their origin. On a full mesh this takes out the
 * N x (N - 1) relayed copies of every write. The hold ends after
 * RELAY_HOLD_MS with an empty page that asks for more (the consumer pulls
 * again at once, with its vector of then, and gets whatever it still
 * lacks), so a change whose direct path failed arrives that much later,
 * never lost.
 */
#include <string.h>
#include <strings.h>

#include "repl.h"

int
repl_relay_parse(const struct berval *v, struct relay *r)
{
	size_t i = 0, len;

	r->n = 0;
	if (v == NULL || v->bv_val == NULL)
		return LDAP_SUCCESS;
	while (i < v->bv_len) {
		const char *p = v->bv_val + i, *comma = memchr(p, ',', v->bv_len - i);
		len = comma != NULL ? (size_t)(comma - p) : v->bv_len - i;
		if (r->n == RELAY_MAX || !meta_uuid_ok(p, len))
			return LDAP_PROTOCOL_ERROR;
		memcpy(r->inv[r->n], p, len);
		r->inv[r->n++][len] = '\0';
		i += len + (comma != NULL);
		if (comma != NULL && i == v->bv_len)
			return LDAP_PROTOCOL_ERROR;	/* a trailing comma */
	}
	return LDAP_SUCCESS;
}

size_t
repl_relay_format(const struct relay *r, char *buf, size_t len)
{
	size_t k = 0;

	if (len == 0)
		return 0;
	buf[0] = '\0';
	for (size_t i = 0; i < r->n && k + REPL_INV_LEN + 2 <= len; i++) {
		if (k > 0)
			buf[k++] = ',';
		memcpy(buf + k, r->inv[i], REPL_INV_LEN);
		k += REPL_INV_LEN;
		buf[k] = '\0';
	}
	return k;
}

bool
repl_relay_has(const struct relay *r, const char *inv)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcasecmp(r->inv[i], inv) == 0)
			return true;
	return false;
}
