/*
 * op_modrdn.c: the modify DN operation: a new RDN (keeping or deleting the
 * old RDN values) and optionally a new superior. Descendants of a renamed
 * entry take its new DN as their suffix.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"
#include "log.h"

struct modrdn {
	const char	*ndn;
	const char	*newrdn;
	const char	*newsup;	/* normalised, NULL to keep the parent */
	ber_int_t	 deleteold;
	const char	*who;
};

static int
modrdn_rdn_values(struct entry *nw, const struct entry *old, const char *newrdn,
    bool deleteold, struct diag *d)
{
	char *oldrdn = dn_rdn(old->dn), **ot = NULL, **ov = NULL, **nt = NULL, **nv = NULL;
	size_t on = 0, nn = 0;
	int rc = LDAP_SUCCESS;

	if (oldrdn == NULL || dn_rdn_split(oldrdn, &ot, &ov, &on) != LDAP_SUCCESS ||
	    dn_rdn_split(newrdn, &nt, &nv, &nn) != LDAP_SUCCESS) {
		free(oldrdn);
		dn_rdn_free(ot, ov, on);
		return diag_set(d, LDAP_INVALID_DN_SYNTAX, "invalid RDN");
	}
	for (size_t i = 0; deleteold && i < on; i++) {
		const struct at_def *at = schema_at(srv->schema, ot[i]);
		struct berval v = { strlen(ov[i]), ov[i] };
		struct attr *a = at != NULL ? entry_attr(nw, at->names[0]) : NULL;
		for (size_t j = 0; a != NULL && j < a->nvals; j++)
			if (schema_value_cmp(srv->schema, at, &a->vals[j], &v) == 0) {
				entry_del_value(nw, a, j);
				break;
			}
	}
	for (size_t i = 0; i < nn && rc == LDAP_SUCCESS; i++) {
		const struct at_def *at = schema_at(srv->schema, nt[i]);
		struct berval v = { strlen(nv[i]), nv[i] };
		struct attr *a;
		bool found = false;
		if (at == NULL) {
			rc = diag_set(d, LDAP_UNDEFINED_TYPE,
			    "attribute '%s' in the new RDN undefined", nt[i]);
			break;
		}
		if ((a = entry_attr(nw, at->names[0])) != NULL)
			for (size_t j = 0; j < a->nvals && !found; j++)
				found = schema_value_cmp(srv->schema, at, &a->vals[j], &v) == 0;
		if (!found && entry_add_str(nw, at->names[0], nv[i]) != 0)
			rc = diag_set(d, LDAP_NO_MEMORY, "out of memory");
	}
	free(oldrdn);
	dn_rdn_free(ot, ov, on);
	dn_rdn_free(nt, nv, nn);
	return rc;
}

static int
modrdn_txn(struct be_txn *t, void *arg, struct diag *d)
{
	struct modrdn *m = arg;
	struct entry *old = NULL, *nw = NULL, *parent = NULL;
	char *pndn = NULL, *dn = NULL, *ndn = NULL;
	uint64_t pid;
	int rc;

	rc = be_get_dn(t, m->ndn, &old);
	if (rc == LDAP_NO_SUCH_OBJECT) {
		write_matched(t, m->ndn, d);
		return diag_set(d, rc, "no such object");
	}
	if (rc != LDAP_SUCCESS)
		return rc;
	pndn = m->newsup != NULL ? strdup(m->newsup) : dn_parent(m->ndn);
	if (pndn == NULL) {
		rc = diag_set(d, LDAP_NO_MEMORY, "out of memory");
		goto done;
	}
	rc = be_get_dn(t, pndn, &parent);
	if (rc == LDAP_NO_SUCH_OBJECT) {
		write_matched(t, pndn, d);
		rc = diag_set(d, rc, "new superior does not exist");
		goto done;
	}
	if (rc != LDAP_SUCCESS)
		goto done;
	pid = parent->id;
	if (asprintf(&dn, "%s,%s", m->newrdn, parent->dn) < 0) {
		dn = NULL;
		rc = diag_set(d, LDAP_NO_MEMORY, "out of memory");
		goto done;
	}
	if ((rc = dn_normalize(srv->schema, dn, &ndn)) != LDAP_SUCCESS) {
		rc = diag_set(d, LDAP_INVALID_DN_SYNTAX, "invalid new RDN");
		goto done;
	}
	if (dn_is_under(ndn, m->ndn) && strcmp(ndn, m->ndn) != 0) {
		rc = diag_set(d, LDAP_UNWILLING_TO_PERFORM,
		    "cannot move an entry below itself");
		goto done;
	}
	if (strcmp(ndn, m->ndn) != 0) {
		uint64_t other;
		rc = be_dn2id(t, ndn, &other);
		if (rc == LDAP_SUCCESS) {
			rc = diag_set(d, LDAP_ALREADY_EXISTS, "entry already exists");
			goto done;
		}
		if (rc != LDAP_NO_SUCH_OBJECT)
			goto done;
	}
	if ((nw = entry_dup(old)) == NULL) {
		rc = diag_set(d, LDAP_NO_MEMORY, "out of memory");
		goto done;
	}
	free(nw->dn);
	free(nw->ndn);
	nw->dn = dn;
	nw->ndn = ndn;
	dn = ndn = NULL;
	write_resolve(nw);
	if ((rc = modrdn_rdn_values(nw, old, m->newrdn, m->deleteold, d)) != LDAP_SUCCESS ||
	    (rc = write_stamp_modify(t, old, nw, m->who, d)) != LDAP_SUCCESS ||
	    (rc = schema_check_entry(srv->schema, nw, d)) != LDAP_SUCCESS)
		goto done;
	if ((rc = be_update(t, old, nw, pid)) == LDAP_SUCCESS)
		rc = write_rename_subtree(t, old, nw);
	if (rc == LDAP_ALREADY_EXISTS)
		diag_set(d, rc, "entry already exists");
done:
	free(pndn);
	free(dn);
	free(ndn);
	entry_free(old);
	entry_free(nw);
	entry_free(parent);
	return rc;
}

void
op_modrdn(struct op *o)
{
	struct berval dn, newrdn, sup = { 0, NULL };
	struct modrdn m = { .who = o->bind_ndn != NULL ? o->bind_ndn : "" };
	ber_len_t len;
	struct diag d;
	char *cdn = NULL, *ndn = NULL, *crdn = NULL, *csup = NULL, *nsup = NULL, *tmp = NULL;

	diag_clear(&d);
	if (ber_scanf(o->ber, "{mmb", &dn, &newrdn, &m.deleteold) == LBER_ERROR ||
	    (ber_peek_tag(o->ber, &len) == LDAP_TAG_NEWSUPERIOR &&
	    ber_scanf(o->ber, "m", &sup) == LBER_ERROR)) {
		result_error(o, LDAP_RES_MODDN, LDAP_PROTOCOL_ERROR,
		    "malformed modify DN request");
		return;
	}
	cdn = strndup(dn.bv_val, dn.bv_len);
	crdn = strndup(newrdn.bv_val, newrdn.bv_len);
	if (sup.bv_val != NULL)
		csup = strndup(sup.bv_val, sup.bv_len);
	log_info("conn=%llu op=%d MODRDN dn=\"%s\" newrdn=\"%s\" deleteoldrdn=%d%s%s",
	    (unsigned long long)o->conn->id, o->num, cdn ? cdn : "", crdn ? crdn : "",
	    (int)m.deleteold, csup ? " newSuperior=" : "", csup ? csup : "");
	if (cdn == NULL || crdn == NULL || (sup.bv_val != NULL && csup == NULL))
		diag_set(&d, LDAP_NO_MEMORY, "out of memory");
	else if (dn_normalize(srv->schema, cdn, &ndn) != LDAP_SUCCESS || ndn[0] == '\0')
		diag_set(&d, LDAP_INVALID_DN_SYNTAX, "invalid DN");
	else if (dn_normalize(srv->schema, crdn, &tmp) != LDAP_SUCCESS ||
	    tmp[0] == '\0' || dn_depth(tmp) != 1)
		diag_set(&d, LDAP_INVALID_DN_SYNTAX, "invalid new RDN");
	else if (csup != NULL && dn_normalize(srv->schema, csup, &nsup) != LDAP_SUCCESS)
		diag_set(&d, LDAP_INVALID_DN_SYNTAX, "invalid new superior");
	else if (strcmp(ndn, srv->nsuffix) == 0 || strcmp(ndn, srv->admin_ndn) == 0 ||
	    strcmp(ndn, srv->admins_ndn) == 0)
		diag_set(&d, LDAP_UNWILLING_TO_PERFORM, "'%s' is protected", cdn);
	else if (write_check(o, ndn, &d) == LDAP_SUCCESS) {
		m.ndn = ndn;
		m.newrdn = crdn;
		m.newsup = nsup;
		write_txn_op(o, modrdn_txn, &m, &d);
	}
	result_send(o, LDAP_RES_MODDN, &d);
	free(cdn);
	free(ndn);
	free(crdn);
	free(csup);
	free(nsup);
	free(tmp);
}
