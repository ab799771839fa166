/*
 * op_delete.c: the delete operation. Leaf entries only; the naming
 * context, the Administrator and the Administrators group are protected.
 * A deleted entry becomes a tombstone under cn=Deleted Objects (same
 * objectGUID, isDeleted: TRUE, most attributes gone) so the delete
 * replicates like any change; tombstones are purged after their lifetime.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server.h"
#include "repl.h"
#include "log.h"

/* An RDN value escaped after RFC 4514 2.4. */
static char *
delete_escape(const char *v)
{
	size_t n = strlen(v);
	char *out = malloc(n * 3 + 1), *w = out;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		if (strchr(",+\"\\<>;=", c) != NULL || (i == 0 && (c == '#' || c == ' ')) ||
		    (i == n - 1 && c == ' '))
			*w++ = '\\';
		*w++ = (char)c;
	}
	*w = '\0';
	return out;
}

/* Exactly what the merge keeps of a replicated tombstone
 * (repl_tombstone_attrs), so every node holds the same tombstone. */
static bool
delete_keeps(const char *name)
{
	for (size_t i = 0; repl_tombstone_attrs[i] != NULL; i++)
		if (strcasecmp(repl_tombstone_attrs[i], name) == 0)
			return true;
	return false;
}

/* The tombstone of e: "cn=<value> DEL:<guid>,cn=Deleted Objects,<suffix>". */
static struct entry *
delete_tombstone(const struct entry *e, const char *parent_dn)
{
	const char *guid = entry_get_str(e, "objectGUID");
	char *rdn = dn_rdn(e->dn), **types = NULL, **vals = NULL, *esc = NULL, *dn = NULL,
	    *ndn = NULL, *cn = NULL;
	struct entry *t = NULL;
	size_t n = 0;

	if (guid == NULL || rdn == NULL || dn_rdn_split(rdn, &types, &vals, &n) != LDAP_SUCCESS ||
	    n == 0 || asprintf(&cn, "%s DEL:%s", vals[0], guid) < 0 ||
	    (esc = delete_escape(cn)) == NULL ||
	    asprintf(&dn, "cn=%s,cn=Deleted Objects,%s", esc, srv->suffix) < 0 ||
	    dn_normalize(srv->schema, dn, &ndn) != LDAP_SUCCESS ||
	    (t = entry_dup(e)) == NULL)
		goto done;
	free(t->dn);
	free(t->ndn);
	t->dn = dn;
	t->ndn = ndn;
	dn = ndn = NULL;
	for (size_t i = t->nattrs; i-- > 0;)
		if (!delete_keeps(t->attrs[i].name))
			entry_del_attr(t, t->attrs[i].name);
	if (entry_set_str(t, "cn", cn) != 0 || entry_set_str(t, "isDeleted", "TRUE") != 0 ||
	    entry_set_str(t, "lastKnownParent", parent_dn) != 0) {
		entry_free(t);
		t = NULL;
	}
done:
	dn_rdn_free(types, vals, n);
	free(rdn);
	free(cn);
	free(esc);
	free(dn);
	free(ndn);
	return t;
}

static int
delete_txn(struct be_txn *t, void *arg, struct diag *d)
{
	return delete_entry(t, arg, d);
}

int
delete_entry(struct be_txn *t, const char *ndn, struct diag *d)
{
	struct entry *e = NULL, *parent = NULL, *dead = NULL, *tomb = NULL;
	char *pndn = NULL;
	bool kids = false;
	int rc;

	rc = be_get_dn(t, ndn, &e);
	if (rc == LDAP_NO_SUCH_OBJECT || (rc == LDAP_SUCCESS && repl_entry_is_tombstone(e))) {
		entry_free(e);
		write_matched(t, ndn, d);
		return diag_set(d, LDAP_NO_SUCH_OBJECT, "no such object");
	}
	if (rc != LDAP_SUCCESS)
		return rc;
	if ((rc = be_has_children(t, e->id, &kids)) != LDAP_SUCCESS)
		goto done;
	if (kids) {
		rc = diag_set(d, LDAP_NOT_ALLOWED_ON_NONLEAF,
		    "cannot delete an entry that has children");
		goto done;
	}
	if ((pndn = dn_parent(e->ndn)) == NULL ||
	    (rc = be_get_dn(t, pndn, &parent)) != LDAP_SUCCESS ||
	    (rc = be_get_dn(t, srv->deleted_ndn, &dead)) != LDAP_SUCCESS)
		goto done;
	if ((tomb = delete_tombstone(e, parent->dn)) == NULL) {
		rc = diag_set(d, LDAP_OTHER, "cannot make the tombstone of %s", e->dn);
		goto done;
	}
	write_resolve(tomb);
	if ((rc = write_stamp_modify(t, e, tomb, "", d)) == LDAP_SUCCESS)
		rc = be_update(t, e, tomb, dead->id);
done:
	free(pndn);
	entry_free(e);
	entry_free(parent);
	entry_free(dead);
	entry_free(tomb);
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
	    strcmp(ndn, srv->admins_ndn) == 0 || dn_is_under(ndn, srv->deleted_ndn) ||
	    strcmp(ndn, srv->lostfound_ndn) == 0)
		diag_set(&d, LDAP_UNWILLING_TO_PERFORM, "'%s' is protected", cdn);
	else
		write_txn_op(o, delete_txn, ndn, &d);
	result_send(o, LDAP_RES_DELETE, &d);
	free(cdn);
	free(ndn);
}

struct purge {
	time_t	 before;
	int	 purged;
};

static int
purge_txn(struct be_txn *t, void *arg, struct diag *d)
{
	struct purge *p = arg;
	struct idset ids = { 0 };
	uint64_t id;
	int rc;

	p->purged = 0;
	if ((rc = be_dn2id(t, srv->deleted_ndn, &id)) != LDAP_SUCCESS ||
	    (rc = be_children(t, id, &ids)) != LDAP_SUCCESS) {
		idset_free(&ids);
		return rc == LDAP_NO_SUCH_OBJECT ? LDAP_SUCCESS : rc;
	}
	for (size_t i = 0; i < ids.n && rc == LDAP_SUCCESS && p->purged < 1000; i++) {
		struct entry *e;
		const char *ts;
		struct tm tm = { 0 };
		if ((rc = be_get_id(t, ids.ids[i], &e)) != LDAP_SUCCESS)
			break;
		ts = entry_get_str(e, "modifyTimestamp");
		if (repl_entry_is_tombstone(e) && ts != NULL &&
		    strptime(ts, "%Y%m%d%H%M%SZ", &tm) != NULL && timegm(&tm) < p->before) {
			rc = be_delete(t, e);
			p->purged++;
		}
		entry_free(e);
	}
	idset_free(&ids);
	return rc;
}

/* Removes tombstones older than the tombstone lifetime (each node its own:
 * purging is not replicated). */
void
delete_purge(void *unused)
{
	struct purge p = { time(NULL) - srv->conf.tombstone_lifetime, 0 };
	struct diag d;

	diag_clear(&d);
	if (write_txn(purge_txn, &p, &d) != LDAP_SUCCESS)
		log_error("tombstone purge failed: %s", d.text);
	else if (p.purged > 0)
		log_info("purged %d tombstone(s)", p.purged);
}
