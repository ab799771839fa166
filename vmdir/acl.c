/*
 * acl.c: who may do what. Anonymous clients read the root DSE and the
 * schema only; members of the Administrators group (and the built-in
 * Administrator) do everything; other authenticated users read the
 * directory. Private attributes (password hashes) are never returned.
 */
#include <stdlib.h>
#include <string.h>

#include "server.h"

int
acl_check(const struct op *o, const char *ndn, enum acl_right r, struct diag *d)
{
	if (o->admin)
		return LDAP_SUCCESS;
	if (o->bind_ndn == NULL)
		return diag_set(d, LDAP_INSUFFICIENT_ACCESS,
		    "anonymous access is limited to the root DSE and the schema");
	if (r == ACL_READ)
		return LDAP_SUCCESS;
	return diag_set(d, LDAP_INSUFFICIENT_ACCESS,
	    "no write access to '%s': only administrators may change the directory",
	    ndn);
}

bool
acl_attr_visible(const struct op *o, const struct at_def *at)
{
	return at == NULL || !at->private;
}

bool
acl_is_admin(struct be_txn *t, const char *ndn)
{
	if (ndn == NULL)
		return false;
	return strcmp(ndn, srv->admin_ndn) == 0 || acl_is_member(t, srv->admins_ndn, ndn);
}

bool
acl_is_member(struct be_txn *t, const char *gndn, const char *ndn)
{
	struct entry *g;
	struct attr *m;
	bool yes = false;

	if (ndn == NULL || be_get_dn(t, gndn, &g) != LDAP_SUCCESS)
		return false;
	if ((m = entry_attr(g, "member")) != NULL) {
		for (size_t i = 0; i < m->nvals && !yes; i++) {
			char *n;
			if (dn_normalize(srv->schema, m->vals[i].bv_val, &n) != LDAP_SUCCESS)
				continue;
			yes = strcmp(n, ndn) == 0;
			free(n);
		}
	}
	entry_free(g);
	return yes;
}
