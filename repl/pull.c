/*
 * pull.c: the pull control (OID_TRELLIS_PULL) on the wire, both ways. The
 * consumer sends it with its search; the supplier answers with it on the
 * searchResultDone:
 *
 *   request  ::= SEQUENCE { hwm OCTET STRING, utdv OCTET STRING,
 *                           page INTEGER, waitMs INTEGER, inv OCTET STRING }
 *   response ::= SEQUENCE { hwm OCTET STRING, more BOOLEAN, inv OCTET STRING,
 *                           utdv OCTET STRING, top OCTET STRING OPTIONAL }
 *
 * USNs travel as decimal text; utdv is repl_utdv_parse's text form.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repl.h"

/* A decimal USN of at most 20 digits, no sign, no leading zero. */
static bool
pull_usn(const struct berval *b, uint64_t *usn)
{
	char buf[24], *end;

	if (b->bv_len == 0 || b->bv_len > 20 || (b->bv_len > 1 && b->bv_val[0] == '0'))
		return false;
	memcpy(buf, b->bv_val, b->bv_len);
	buf[b->bv_len] = '\0';
	if (strspn(buf, "0123456789") != b->bv_len)
		return false;
	errno = 0;
	*usn = strtoull(buf, &end, 10);
	return errno == 0 && *end == '\0';
}

/* Flattens ber into out (ber_memfree out->bv_val); releases ber. */
/* A decoder over v: liblber's ber_init crashes on an empty value, which
 * is a protocol error here. */
static int
pull_ber(const struct berval *v, BerElement **ber)
{
	if (v->bv_len == 0)
		return LDAP_PROTOCOL_ERROR;
	if ((*ber = ber_init((struct berval *)v)) == NULL)
		return LDAP_NO_MEMORY;
	return LDAP_SUCCESS;
}

static int
pull_flatten(BerElement *ber, int printed, struct berval *out)
{
	struct berval *bv = NULL;
	int rc = LDAP_NO_MEMORY;

	if (printed >= 0 && ber_flatten(ber, &bv) == 0) {
		*out = *bv;
		ber_memfree(bv);
		rc = LDAP_SUCCESS;
	}
	ber_free(ber, 1);
	return rc;
}

int
repl_pull_request_encode(const struct pull_request *r, struct berval *out)
{
	BerElement *ber = ber_alloc_t(LBER_USE_DER);
	char hwm[24], *utdv = NULL;
	int rc;

	out->bv_val = NULL;
	out->bv_len = 0;
	if (ber == NULL)
		return LDAP_NO_MEMORY;
	if ((rc = repl_utdv_format(&r->utdv, &utdv)) != LDAP_SUCCESS) {
		ber_free(ber, 1);
		return rc;
	}
	snprintf(hwm, sizeof(hwm), "%" PRIu64, r->hwm);
	rc = pull_flatten(ber, ber_printf(ber, "{ssiis}", hwm, utdv,
	    (ber_int_t)r->page, (ber_int_t)r->wait_ms, r->inv), out);
	free(utdv);
	return rc;
}

int
repl_pull_request_decode(const struct berval *v, struct pull_request *r)
{
	struct berval hwm, utdv, inv;
	ber_int_t page, wait;
	ber_len_t len;
	BerElement *ber;
	char *u = NULL;
	int rc = LDAP_PROTOCOL_ERROR;

	memset(r, 0, sizeof(*r));
	if ((rc = pull_ber(v, &ber)) != LDAP_SUCCESS)
		return rc;
	rc = LDAP_PROTOCOL_ERROR;
	if (ber_scanf(ber, "{mmiim}", &hwm, &utdv, &page, &wait, &inv) == LBER_ERROR ||
	    ber_peek_tag(ber, &len) != LBER_DEFAULT)
		goto out;
	if (!pull_usn(&hwm, &r->hwm) || page <= 0 || inv.bv_len >= sizeof(r->inv) ||
	    memchr(inv.bv_val, '\0', inv.bv_len) != NULL ||
	    memchr(utdv.bv_val, '\0', utdv.bv_len) != NULL)
		goto out;
	if ((u = strndup(utdv.bv_val, utdv.bv_len)) == NULL) {
		rc = LDAP_NO_MEMORY;
		goto out;
	}
	if (repl_utdv_parse(u, &r->utdv) != LDAP_SUCCESS)
		goto out;
	r->page = page;
	r->wait_ms = wait < 0 ? 0 : wait;
	memcpy(r->inv, inv.bv_val, inv.bv_len);
	r->inv[inv.bv_len] = '\0';
	rc = LDAP_SUCCESS;
out:
	free(u);
	ber_free(ber, 1);
	return rc;
}

int
repl_pull_response_encode(const struct pull_response *r, struct berval *out)
{
	BerElement *ber = ber_alloc_t(LBER_USE_DER);
	char hwm[24], top[24];

	out->bv_val = NULL;
	out->bv_len = 0;
	if (ber == NULL)
		return LDAP_NO_MEMORY;
	snprintf(hwm, sizeof(hwm), "%" PRIu64, r->hwm);
	snprintf(top, sizeof(top), "%" PRIu64, r->top);
	return pull_flatten(ber, ber_printf(ber, "{sbsss}", hwm, (ber_int_t)r->more,
	    r->inv, r->more || r->utdv == NULL ? "" : r->utdv, top), out);
}

int
repl_pull_response_decode(const struct berval *v, struct pull_response *r)
{
	struct berval hwm, inv, utdv, top = { 0, NULL };
	struct utdv check = REPL_UTDV_INIT;
	ber_int_t more = 0;
	ber_len_t len;
	BerElement *ber;
	int rc = LDAP_PROTOCOL_ERROR;

	memset(r, 0, sizeof(*r));
	if ((rc = pull_ber(v, &ber)) != LDAP_SUCCESS)
		return rc;
	rc = LDAP_PROTOCOL_ERROR;
	if (ber_scanf(ber, "{mbmm", &hwm, &more, &inv, &utdv) == LBER_ERROR)
		goto out;
	if (ber_peek_tag(ber, &len) == LBER_OCTETSTRING &&
	    ber_scanf(ber, "m", &top) == LBER_ERROR)
		goto out;
	if (ber_scanf(ber, "}") == LBER_ERROR || ber_peek_tag(ber, &len) != LBER_DEFAULT)
		goto out;
	if (!pull_usn(&hwm, &r->hwm) || (top.bv_len > 0 && !pull_usn(&top, &r->top)) ||
	    memchr(inv.bv_val, '\0', inv.bv_len) != NULL ||
	    memchr(utdv.bv_val, '\0', utdv.bv_len) != NULL)
		goto out;
	r->more = more != 0;
	rc = LDAP_NO_MEMORY;
	if ((r->inv = strndup(inv.bv_val, inv.bv_len)) == NULL)
		goto out;
	if (!r->more) {
		if ((r->utdv = strndup(utdv.bv_val, utdv.bv_len)) == NULL)
			goto out;
		/* the vector that ends a cycle is merged: it must parse */
		if (repl_utdv_parse(r->utdv, &check) != LDAP_SUCCESS) {
			rc = LDAP_PROTOCOL_ERROR;
			goto out;
		}
		repl_utdv_free(&check);
	}
	rc = LDAP_SUCCESS;
out:
	ber_free(ber, 1);
	if (rc != LDAP_SUCCESS)
		repl_pull_response_free(r);
	return rc;
}

void
repl_pull_request_free(struct pull_request *r)
{
	if (r == NULL)
		return;
	repl_utdv_free(&r->utdv);
}

void
repl_pull_response_free(struct pull_response *r)
{
	if (r == NULL)
		return;
	free(r->inv);
	free(r->utdv);
	r->inv = r->utdv = NULL;
}
