/*
 * op_compare.c: the compare operation, by the attribute's equality rule.
 */
#include <stdlib.h>
#include <string.h>

#include "server.h"
#include "log.h"

static int
compare_run(const char *ndn, const struct at_def *at, const struct berval *v,
    struct diag *d)
{
	struct be_txn *t;
	struct entry *e = NULL;
	struct attr *a;
	int rc;

	if ((rc = be_begin(srv->be, false, &t)) != LDAP_SUCCESS)
		return diag_set(d, rc, "cannot start a transaction");
	rc = be_get_dn(t, ndn, &e);
	if (rc == LDAP_NO_SUCH_OBJECT) {
		write_matched(t, ndn, d);
		diag_set(d, rc, "no such object");
	} else if (rc != LDAP_SUCCESS)
		diag_set(d, rc == BE_RETRY ? LDAP_BUSY : rc, "cannot read the entry");
	else if ((a = entry_attr(e, at->names[0])) == NULL || at->private)
		diag_set(d, LDAP_NO_SUCH_ATTRIBUTE, "no such attribute");
	else {
		diag_set(d, LDAP_COMPARE_FALSE, "%s", "");
		for (size_t i = 0; i < a->nvals; i++)
			if (schema_value_cmp(srv->schema, at, &a->vals[i], v) == 0)
				diag_set(d, LDAP_COMPARE_TRUE, "%s", "");
	}
	entry_free(e);
	be_abort(t);
	return d->rc;
}

void
op_compare(struct op *o)
{
	struct berval dn, type, value;
	const struct at_def *at = NULL;
	struct diag d;
	char *cdn = NULL, *ndn = NULL, *name = NULL;

	diag_clear(&d);
	if (ber_scanf(o->ber, "{m{mm}", &dn, &type, &value) == LBER_ERROR ||
	    (cdn = strndup(dn.bv_val, dn.bv_len)) == NULL ||
	    (name = strndup(type.bv_val, type.bv_len)) == NULL) {
		free(cdn);
		result_error(o, LDAP_RES_COMPARE, LDAP_PROTOCOL_ERROR,
		    "malformed compare request");
		return;
	}
	log_info("conn=%llu op=%d CMP dn=\"%s\" attr=\"%s\"",
	    (unsigned long long)o->conn->id, o->num, cdn, name);
	if (dn_normalize(srv->schema, cdn, &ndn) != LDAP_SUCCESS)
		diag_set(&d, LDAP_INVALID_DN_SYNTAX, "invalid DN");
	else if ((at = schema_at(srv->schema, name)) == NULL)
		diag_set(&d, LDAP_UNDEFINED_TYPE, "attribute '%s' undefined", name);
	else if (acl_check(o, ndn, ACL_READ, &d) == LDAP_SUCCESS)
		compare_run(ndn, at, &value, &d);
	result_send(o, LDAP_RES_COMPARE, &d);
	free(cdn);
	free(ndn);
	free(name);
}
