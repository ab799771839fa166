/*
 * op_delete.c: the delete operation: leaf entries only; the naming
 * context, the Administrator and the Administrators group are protected.
 */
#include <stdlib.h>
#include <string.h>

#include "server.h"
#include "log.h"

static int
delete_txn(struct be_txn *t, void *arg, struct diag *d)
{
	const char *ndn = arg;
	struct entry *e = NULL;
	bool kids = false;
	int rc;

	rc = be_get_dn(t, ndn, &e);
	if (rc == LDAP_NO_SUCH_OBJECT) {
		write_matched(t, ndn, d);
		return diag_set(d, rc, "no such object");
	}
	if (rc != LDAP_SUCCESS)
		return rc;
	if ((rc = be_has_children(t, e->id, &kids)) == LDAP_SUCCESS) {
		if (kids)
			rc = diag_set(d, LDAP_NOT_ALLOWED_ON_NONLEAF,
			    "cannot delete an entry that has children");
		else
			rc = be_delete(t, e);
	}
	entry_free(e);
	return rc;
}

void
op_delete(struct op *o)
{
	struct berval dn;
	struct diag d;
	char *cdn = NULL, *ndn = NULL;

	diag_clear(&d);
	if (ber_scanf(o->ber, "m", &dn) == LBER_ERROR ||
	    (cdn = strndup(dn.bv_val, dn.bv_len)) == NULL) {
		result_error(o, LDAP_RES_DELETE, LDAP_PROTOCOL_ERROR,
		    "malformed delete request");
		return;
	}
	log_info("conn=%llu op=%d DEL dn=\"%s\"", (unsigned long long)o->conn->id,
	    o->num, cdn);
	if (dn_normalize(srv->schema, cdn, &ndn) != LDAP_SUCCESS || ndn[0] == '\0')
		diag_set(&d, LDAP_INVALID_DN_SYNTAX, "invalid DN");
	else if (write_check(o, ndn, &d) != LDAP_SUCCESS)
		;
	else if (strcmp(ndn, srv->nsuffix) == 0 || strcmp(ndn, srv->admin_ndn) == 0 ||
	    strcmp(ndn, srv->admins_ndn) == 0)
		diag_set(&d, LDAP_UNWILLING_TO_PERFORM, "'%s' is protected", cdn);
	else
		write_txn(delete_txn, ndn, &d);
	result_send(o, LDAP_RES_DELETE, &d);
	free(cdn);
	free(ndn);
}
