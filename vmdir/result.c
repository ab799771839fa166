/*
 * result.c: encoding of every response: LDAPResult, BindResponse,
 * ExtendedResponse, SearchResultEntry and SearchResultDone with the
 * paged-results control. Results are logged here, once per operation.
 */
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>

#include "server.h"
#include "log.h"

#define OID_PAGED	"1.2.840.113556.1.4.319"
/* Search entries wait in the op until this much is there or the result
 * goes: a small answer leaves in one write. */
#define RESULT_HOLD	(16 * 1024)

ber_tag_t
result_tag(ber_tag_t req)
{
	switch (req) {
	case LDAP_REQ_BIND:	return LDAP_RES_BIND;
	case LDAP_REQ_SEARCH:	return LDAP_RES_SEARCH_RESULT;
	case LDAP_REQ_MODIFY:	return LDAP_RES_MODIFY;
	case LDAP_REQ_ADD:	return LDAP_RES_ADD;
	case LDAP_REQ_DELETE:	return LDAP_RES_DELETE;
	case LDAP_REQ_MODDN:	return LDAP_RES_MODDN;
	case LDAP_REQ_COMPARE:	return LDAP_RES_COMPARE;
	default:		return LDAP_RES_EXTENDED;
	}
}

/*
 * Sends msg after whatever the op holds; with last false, msg may be held
 * too (up to RESULT_HOLD). Returns conn_send's answer (0 when held;
 * CONN_FULL if either send found the output over the bound).
 */
static int
result_out(struct op *o, const struct berval *msg, bool last)
{
	int rc, msg_rc;

	/* a write committed without waiting for the disk: the flusher
	 * answers once it is there */
	if (last && o->unflushed) {
		o->unflushed = false;
		if (o->out.bv_len == 0)
			return durable_send(o->conn, msg, o->msgid, result_tag(o->tag));
		if ((rc = conn_send(o->conn, &o->out)) >= 0)
			rc = durable_send(o->conn, msg, o->msgid, result_tag(o->tag));
		o->out.bv_len = 0;
		return rc;
	}

	if (o->out.bv_len + msg->bv_len <= RESULT_HOLD || (last && o->out.bv_len > 0)) {
		if (o->out.bv_len + msg->bv_len > o->out_cap) {
			size_t cap = o->out.bv_len + msg->bv_len;
			char *p = realloc(o->out.bv_val, cap < RESULT_HOLD ? RESULT_HOLD : cap);
			if (p == NULL)
				return -1;
			o->out.bv_val = p;
			o->out_cap = cap < RESULT_HOLD ? RESULT_HOLD : cap;
		}
		memcpy(o->out.bv_val + o->out.bv_len, msg->bv_val, msg->bv_len);
		o->out.bv_len += msg->bv_len;
		if (!last)
			return 0;
		rc = conn_send(o->conn, &o->out);
		o->out.bv_len = 0;
		return rc;
	}
	if (o->out.bv_len > 0) {
		rc = conn_send(o->conn, &o->out);
		o->out.bv_len = 0;
		if (rc < 0)
			return rc;
		msg_rc = conn_send(o->conn, msg);
		return msg_rc != 0 ? msg_rc : rc;
	}
	return conn_send(o->conn, msg);
}

static void
result_flush(struct op *o, BerElement *ber, const struct diag *d)
{
	struct berval bv;

	/* counted before the client can see it: a reader that follows the
	 * answer finds it counted */
	stats_result(d->rc);
	if (o->tag == LDAP_REQ_BIND)
		op_bind_answered(o);
	if (ber_flatten2(ber, &bv, 0) == 0) {
		result_out(o, &bv, true);
		/* a password modify answer may carry a generated password */
		if (o->tag == LDAP_REQ_EXTENDED)
			OPENSSL_cleanse(bv.bv_val, bv.bv_len);
	}
	ber_free(ber, 1);
	log_info("conn=%llu op=%d RESULT err=%d%s%s", (unsigned long long)o->conn->id,
	    o->num, d->rc, d->text[0] ? " text=" : "", d->text);
}

BerElement *
result_ber(ber_int_t msgid, ber_tag_t tag, int rc, const char *matched,
    const char *text)
{
	BerElement *ber = ber_alloc_t(LBER_USE_DER);

	if (ber == NULL)
		return NULL;
	if (ber_printf(ber, "{it{ess", msgid, tag, rc, matched, text) < 0) {
		ber_free(ber, 1);
		return NULL;
	}
	return ber;
}

/* RFC 4511 4.1.9: matchedDN only with noSuchObject (and its kin). */
static BerElement *
result_begin(struct op *o, ber_tag_t tag, const struct diag *d)
{
	return result_ber(o->msgid, tag, d->rc,
	    d->rc == LDAP_NO_SUCH_OBJECT ? d->matched : "", d->text);
}

void
result_send(struct op *o, ber_tag_t tag, const struct diag *d)
{
	BerElement *ber = result_begin(o, tag, d);

	if (ber == NULL || ber_printf(ber, "N}N}") < 0) {
		ber_free(ber, 1);
		return;
	}
	result_flush(o, ber, d);
}

void
result_error(struct op *o, ber_tag_t tag, int rc, const char *text)
{
	struct diag d;

	diag_clear(&d);
	diag_set(&d, rc, "%s", text);
	result_send(o, tag, &d);
}

void
result_bind(struct op *o, const struct diag *d)
{
	result_send(o, LDAP_RES_BIND, d);
}

void
result_extended(struct op *o, const struct diag *d, const char *oid,
    const struct berval *value)
{
	BerElement *ber = result_begin(o, LDAP_RES_EXTENDED, d);

	if (ber == NULL)
		return;
	if ((oid != NULL && ber_printf(ber, "ts", LDAP_TAG_EXOP_RES_OID, oid) < 0) ||
	    (value != NULL && ber_printf(ber, "tO", LDAP_TAG_EXOP_RES_VALUE, value) < 0) ||
	    ber_printf(ber, "N}N}") < 0) {
		ber_free(ber, 1);
		return;
	}
	result_flush(o, ber, d);
}

void
result_search_done_control(struct op *o, const struct diag *d, const char *oid,
    const struct berval *value)
{
	BerElement *ber = result_begin(o, LDAP_RES_SEARCH_RESULT, d);

	if (ber == NULL)
		return;
	if (ber_printf(ber, "N}") < 0 ||
	    (oid != NULL && ber_printf(ber, "t{{sON}N}", LDAP_TAG_CONTROLS, oid,
	    value) < 0) || ber_printf(ber, "N}") < 0) {
		ber_free(ber, 1);
		return;
	}
	result_flush(o, ber, d);
}

void
result_search_done(struct op *o, const struct diag *d, const struct berval *cookie)
{
	BerElement *ctl;
	struct berval cv, empty = { 0, "" };

	if (!o->paged) {
		result_search_done_control(o, d, NULL, NULL);
		return;
	}
	if ((ctl = ber_alloc_t(LBER_USE_DER)) == NULL ||
	    ber_printf(ctl, "{iO}", 0, cookie != NULL ? cookie : &empty) < 0 ||
	    ber_flatten2(ctl, &cv, 0) != 0)
		result_search_done_control(o, d, NULL, NULL);
	else
		result_search_done_control(o, d, OID_PAGED, &cv);
	ber_free(ctl, 1);
}

int
result_entry(struct op *o, const struct entry *e, bool types_only)
{
	BerElement *ber = ber_alloc_t(LBER_USE_DER);
	struct berval bv;
	int rc = -1;

	if (ber == NULL)
		return -1;
	if (ber_printf(ber, "{it{s{", o->msgid, LDAP_RES_SEARCH_ENTRY, e->dn) < 0)
		goto done;
	for (size_t i = 0; i < e->nattrs; i++) {
		const struct attr *a = &e->attrs[i];
		if (ber_printf(ber, "{s[", a->name) < 0)
			goto done;
		for (size_t j = 0; !types_only && j < a->nvals; j++)
			if (ber_printf(ber, "O", &a->vals[j]) < 0)
				goto done;
		if (ber_printf(ber, "N]N}") < 0)
			goto done;
	}
	if (ber_printf(ber, "N}N}N}") < 0 || ber_flatten2(ber, &bv, 0) != 0)
		goto done;
	stats_entry_sent();
	rc = result_out(o, &bv, false);
done:
	ber_free(ber, 1);
	return rc;
}
