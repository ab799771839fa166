/*
 * apply.c: the consumer's half of a change: one replicated entry merged
 * into the local copy (matched by objectGUID) attribute by attribute, then
 * placed: a name taken by another entry is an add-add conflict (one of the
 * two, the same on every node, gets a conflict name), a missing or deleted
 * parent sends the entry to cn=LostAndFound, a tombstone's local children
 * go there too. Those placements are originating changes of this node, so
 * they replicate and every node converges.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server.h"
#include "repl.h"
#include "log.h"

/* The entry with this objectGUID, or NULL. */
static int
apply_find(struct be_txn *t, const char *guid, struct entry **out)
{
	const struct at_def *at = schema_at(srv->schema, "objectGUID");
	struct berval in = { strlen(guid), (char *)guid }, norm;
	struct idset ids = { 0 };
	int rc;

	*out = NULL;
	if (at == NULL || schema_normalize(srv->schema, at, &in, &norm) != LDAP_SUCCESS)
		return LDAP_INVALID_SYNTAX;
	rc = be_index_eq(t, at, &norm, &ids);
	free(norm.bv_val);
	if (rc == LDAP_SUCCESS && ids.n > 0)
		rc = be_get_id(t, ids.ids[0], out);
	idset_free(&ids);
	return rc == LDAP_NO_SUCH_OBJECT ? LDAP_SUCCESS : rc;
}

static bool
apply_meta(const struct entry *e, const char *name, struct attr_meta *m)
{
	struct attr *ma = entry_attr(e, "attributeMetaData");

	for (size_t i = 0; ma != NULL && i < ma->nvals; i++)
		if (meta_parse(ma->vals[i].bv_val, ma->vals[i].bv_len, m) == LDAP_SUCCESS &&
		    strcasecmp(m->attr, name) == 0)
			return true;
	return false;
}

/* Gives e the DN rdn,parent_dn (both as written). */
static int
apply_set_dn(struct entry *e, const char *rdn, const char *parent_dn)
{
	char *dn, *ndn;

	if (asprintf(&dn, "%s,%s", rdn, parent_dn) < 0)
		return LDAP_NO_MEMORY;
	if (dn_normalize(srv->schema, dn, &ndn) != LDAP_SUCCESS) {
		free(dn);
		return LDAP_INVALID_DN_SYNTAX;
	}
	free(e->dn);
	free(e->ndn);
	e->dn = dn;
	e->ndn = ndn;
	return LDAP_SUCCESS;
}

/* Gives the attribute of each RDN value that changed from old_rdn to
 * new_rdn the new value in place of the old one (RFC 4512 2.3: the RDN's
 * values are among the entry's). */
static int
apply_rdn_values(struct entry *e, const char *old_rdn, const char *new_rdn)
{
	char **ot = NULL, **ov = NULL, **nt = NULL, **nv = NULL;
	size_t on = 0, nn = 0;
	int rc = LDAP_INVALID_DN_SYNTAX;

	if (dn_rdn_split(old_rdn, &ot, &ov, &on) != LDAP_SUCCESS ||
	    dn_rdn_split(new_rdn, &nt, &nv, &nn) != LDAP_SUCCESS || on != nn)
		goto done;
	rc = LDAP_SUCCESS;
	for (size_t i = 0; i < nn && rc == LDAP_SUCCESS; i++) {
		struct attr *a = entry_attr(e, nt[i]);
		if (strcmp(ov[i], nv[i]) == 0)
			continue;
		for (size_t k = a != NULL ? a->nvals : 0; k > 0; k--)
			if (strcasecmp(a->vals[k - 1].bv_val, ov[i]) == 0) {
				entry_del_value(e, a, k - 1);
				break;
			}
		if (entry_add_str(e, nt[i], nv[i]) != 0)
			rc = LDAP_NO_MEMORY;
	}
done:
	dn_rdn_free(ot, ov, on);
	dn_rdn_free(nt, nv, nn);
	return rc;
}

/* Renames e to crdn under parent_dn as the loser of an add-add conflict:
 * the conflict RDN's value joins the entry's values and
 * vmwConflictOriginalDN keeps the name it lost, so that every node holds
 * the same entry whichever resolved the conflict. */
static int
apply_conflict_name(struct entry *e, const char *crdn, const char *parent_dn)
{
	char *orig = strdup(e->dn), *rdn = dn_rdn(e->dn);
	int rc;

	if (orig == NULL || rdn == NULL)
		rc = LDAP_NO_MEMORY;
	else if ((rc = apply_rdn_values(e, rdn, crdn)) == LDAP_SUCCESS &&
	    (rc = apply_set_dn(e, crdn, parent_dn)) == LDAP_SUCCESS &&
	    entry_set_str(e, "vmwConflictOriginalDN", orig) != 0)
		rc = LDAP_NO_MEMORY;
	free(orig);
	free(rdn);
	write_resolve(e);
	return rc;
}

/* Whether e's name belongs to another entry. */
static bool
apply_name_used(struct be_txn *t, const struct entry *e)
{
	uint64_t id;

	return be_dn2id(t, e->ndn, &id) == LDAP_SUCCESS && id != e->id;
}

/* Moves a stored entry (and its subtree) to LostAndFound (crdn NULL) or
 * to a conflict name, as an originating change. */
static int
apply_move_local(struct be_txn *t, const struct entry *old, const char *crdn,
    const char *parent_dn, uint64_t pid, struct diag *d)
{
	struct entry *nw = entry_dup(old);
	char *rdn = NULL;
	int rc;

	if (nw == NULL)
		return LDAP_NO_MEMORY;
	write_resolve(nw);
	if (crdn != NULL)
		rc = apply_conflict_name(nw, crdn, parent_dn);
	else if ((rdn = dn_rdn(old->dn)) == NULL)
		rc = LDAP_NO_MEMORY;
	else if ((rc = apply_set_dn(nw, rdn, parent_dn)) == LDAP_SUCCESS &&
	    apply_name_used(t, nw)) {
		/* another orphan has the name there: the one moving now, whose
		 * name is the newest, loses it, as an add-add conflict would */
		char *c = repl_conflict_rdn(rdn, entry_get_str(old, "objectGUID"));
		rc = c == NULL ? LDAP_NO_MEMORY : apply_conflict_name(nw, c, parent_dn);
		free(c);
	}
	if (rc == LDAP_SUCCESS &&
	    (rc = write_stamp_modify(t, old, nw, "", d)) == LDAP_SUCCESS &&
	    (rc = be_update(t, old, nw, pid)) == LDAP_SUCCESS)
		rc = write_rename_subtree(t, old, nw);
	free(rdn);
	entry_free(nw);
	return rc;
}

static int
apply_lostandfound_id(struct be_txn *t, uint64_t *id, char **dn)
{
	struct entry *lf;
	int rc = be_get_dn(t, srv->lostfound_ndn, &lf);

	if (rc != LDAP_SUCCESS)
		return rc;
	*id = lf->id;
	*dn = strdup(lf->dn);
	entry_free(lf);
	return *dn != NULL ? LDAP_SUCCESS : LDAP_NO_MEMORY;
}

/* A tombstone keeps no children: they move to LostAndFound. */
static int
apply_orphan_children(struct be_txn *t, const struct entry *parent, struct diag *d)
{
	struct idset kids = { 0 };
	char *lfdn = NULL;
	uint64_t lfid;
	int rc;

	if ((rc = be_children(t, parent->id, &kids)) != LDAP_SUCCESS || kids.n == 0) {
		idset_free(&kids);
		return rc;
	}
	rc = apply_lostandfound_id(t, &lfid, &lfdn);
	for (size_t i = 0; rc == LDAP_SUCCESS && i < kids.n; i++) {
		struct entry *c;
		if ((rc = be_get_id(t, kids.ids[i], &c)) != LDAP_SUCCESS)
			break;
		log_warn("replication: %s lost its parent, moved to LostAndFound", c->dn);
		rc = apply_move_local(t, c, NULL, lfdn, lfid, d);
		entry_free(c);
	}
	free(lfdn);
	idset_free(&kids);
	return rc;
}

/* Sets the local USN of every metadata value taken from the supplier. */
static int
apply_local_usn(struct entry *e, uint64_t usn)
{
	struct attr *ma = entry_attr(e, "attributeMetaData");
	char buf[META_MAX];

	for (size_t i = 0; ma != NULL && i < ma->nvals; i++) {
		struct attr_meta m;
		if (meta_parse(ma->vals[i].bv_val, ma->vals[i].bv_len, &m) != LDAP_SUCCESS ||
		    m.local_usn != 0)
			continue;
		m.local_usn = usn;
		meta_format(&m, buf, sizeof(buf));
		free(ma->vals[i].bv_val);
		if ((ma->vals[i].bv_val = strdup(buf)) == NULL)
			return LDAP_NO_MEMORY;
		ma->vals[i].bv_len = strlen(buf);
	}
	return LDAP_SUCCESS;
}

/* Whether the merge took m's name from the supplier: its name metadata
 * is not local's. */
static bool
apply_name_taken(const struct entry *local, const struct entry *m)
{
	struct attr_meta ml, mm;
	bool hl, hm;

	if (local == NULL)
		return true;
	hl = apply_meta(local, REPL_META_DN, &ml);
	hm = apply_meta(m, REPL_META_DN, &mm);
	if (hl != hm)
		return true;
	return hl && (repl_meta_cmp(&ml, &mm) != 0 || strcmp(local->dn, m->dn) != 0);
}

/* The local parent of m, or NULL (*parent) if it has none here. A name
 * that came from the supplier names its parent by GUID: m's DN becomes
 * its RDN under that entry's local name. An entry is never placed under
 * itself or its own descendant (two concurrent moves can ask for that):
 * such a parent counts as none. Tombstones and names kept from local are
 * placed by their DN. */
static int
apply_parent(struct be_txn *t, const struct entry *local, struct entry *m,
    const char *pguid, bool name_in, struct entry **parent)
{
	char *pndn, *rdn;
	int rc;

	*parent = NULL;
	if (name_in && pguid != NULL && !repl_entry_is_tombstone(m)) {
		if ((rc = apply_find(t, pguid, parent)) != LDAP_SUCCESS || *parent == NULL)
			return rc;
		if (local != NULL && ((*parent)->id == local->id ||
		    dn_is_under((*parent)->ndn, local->ndn))) {
			log_warn("replication: %s would move below itself", m->dn);
			entry_free(*parent);
			*parent = NULL;
			return LDAP_SUCCESS;
		}
		if ((rdn = dn_rdn(m->dn)) == NULL)
			return LDAP_NO_MEMORY;
		rc = apply_set_dn(m, rdn, (*parent)->dn);
		free(rdn);
		return rc;
	}
	if ((pndn = dn_parent(m->ndn)) == NULL)
		return LDAP_NO_MEMORY;
	rc = be_get_dn(t, pndn, parent);
	free(pndn);
	return rc == LDAP_NO_SUCH_OBJECT ? LDAP_SUCCESS : rc;
}

/* m goes to LostAndFound: its parent (GUID pguid, if sent) is unknown here
 * or deleted. */
static int
apply_to_lostandfound(struct be_txn *t, struct entry *m, const char *pguid,
    uint64_t *pid, char **pdn)
{
	char *rdn = dn_rdn(m->dn), *lfdn = NULL, *was = strdup(m->dn);
	int rc;

	if (rdn == NULL || was == NULL) {
		free(rdn);
		free(was);
		return LDAP_NO_MEMORY;
	}
	if ((rc = apply_lostandfound_id(t, pid, &lfdn)) == LDAP_SUCCESS &&
	    (rc = apply_set_dn(m, rdn, lfdn)) == LDAP_SUCCESS)
		log_warn("replication: the parent (%s) of %s is unknown here or deleted: "
		    "placed in LostAndFound", pguid != NULL ? pguid : "no GUID sent", was);
	free(rdn);
	free(was);
	*pdn = lfdn;
	return rc;
}

/* m (after the merge) and other, a different entry, claim one name below
 * parent pdn (id pid). The same decision on every node: the loser gets
 * a conflict name. */
static int
apply_add_add(struct be_txn *t, struct entry *m, const struct entry *other,
    const char *pdn, uint64_t pid, struct diag *d)
{
	struct attr_meta ma, mb;
	bool ha = apply_meta(m, REPL_META_DN, &ma);
	bool hb = apply_meta(other, REPL_META_DN, &mb);
	const char *ga = entry_get_str(m, "objectGUID");
	const char *gb = entry_get_str(other, "objectGUID");
	char *orig = dn_rdn(m->dn), *crdn = NULL;
	int rc;

	if (orig == NULL || ga == NULL || gb == NULL) {
		free(orig);
		return LDAP_OTHER;
	}
	if (repl_add_add_keeps(ha ? &ma : NULL, ga, hb ? &mb : NULL, gb)) {
		crdn = repl_conflict_rdn(orig, gb);
		log_warn("replication: add-add conflict on %s: the other entry "
		    "becomes %s", m->dn, crdn ? crdn : "?");
		rc = crdn == NULL ? LDAP_NO_MEMORY :
		    apply_move_local(t, other, crdn, pdn, pid, d);
	} else {
		crdn = repl_conflict_rdn(orig, ga);
		log_warn("replication: add-add conflict on %s: the incoming entry "
		    "becomes %s", m->dn, crdn ? crdn : "?");
		char *pcopy = strdup(pdn);
		rc = crdn == NULL || pcopy == NULL ? LDAP_NO_MEMORY :
		    apply_conflict_name(m, crdn, pcopy);
		free(pcopy);
	}
	free(crdn);
	free(orig);
	return rc;
}

/* Where the merged entry m goes: its parent's id, after any move to
 * LostAndFound or to a conflict name. Those moves are this node's own
 * changes: *pre (caller frees) is then m as it was before them, for the
 * caller to stamp the difference. */
static int
apply_place(struct be_txn *t, const struct entry *local, struct entry *m,
    const char *pguid, uint64_t *pid, struct entry **pre, struct diag *d)
{
	struct entry *parent = NULL, *other = NULL;
	char *pdn = NULL;
	uint64_t oid;
	int rc;

	*pre = NULL;
	if (strcmp(m->ndn, srv->nsuffix) == 0) {
		*pid = 0;
		return LDAP_SUCCESS;
	}
	if ((rc = apply_parent(t, local, m, pguid, apply_name_taken(local, m),
	    &parent)) != LDAP_SUCCESS)
		return rc;
	if (parent == NULL || (repl_entry_is_tombstone(parent) &&
	    !repl_entry_is_tombstone(m))) {
		if ((*pre = entry_dup(m)) == NULL)
			rc = LDAP_NO_MEMORY;
		else
			rc = apply_to_lostandfound(t, m, pguid, pid, &pdn);
	} else {
		*pid = parent->id;
		if ((pdn = strdup(parent->dn)) == NULL)
			rc = LDAP_NO_MEMORY;
	}
	entry_free(parent);
	if (rc != LDAP_SUCCESS) {
		free(pdn);
		return rc;
	}
	rc = be_dn2id(t, m->ndn, &oid);
	if (rc == LDAP_NO_SUCH_OBJECT || (rc == LDAP_SUCCESS && oid == m->id)) {
		free(pdn);
		return LDAP_SUCCESS;
	}
	if (rc == LDAP_SUCCESS && (rc = be_get_id(t, oid, &other)) == LDAP_SUCCESS) {
		if (*pre == NULL && (*pre = entry_dup(m)) == NULL)
			rc = LDAP_NO_MEMORY;
		else
			rc = apply_add_add(t, m, other, pdn, *pid, d);
	}
	entry_free(other);
	free(pdn);
	return rc;
}

/* Takes the supplier's parent GUID out of the replicated entry in.
 * Caller frees; NULL if it carried none. */
static char *
apply_take_parent_guid(struct entry *in)
{
	const char *v = entry_get_str(in, REPL_PARENT_GUID);
	char *g = v != NULL ? strdup(v) : NULL;

	entry_del_attr(in, REPL_PARENT_GUID);
	return g;
}

int
repl_apply_entry(struct be_txn *t, struct entry *in, struct diag *d)
{
	const char *guid = entry_get_str(in, "objectGUID");
	struct entry *local = NULL, *m = NULL, *pre = NULL;
	char num[24], *pguid = NULL;
	bool changed = false;
	uint64_t pid = 0, usn;
	int rc;

	if (guid == NULL)
		return diag_set(d, LDAP_PROTOCOL_ERROR, "replicated entry %s has no objectGUID",
		    in->dn);
	pguid = apply_take_parent_guid(in);
	write_resolve(in);
	if ((rc = apply_find(t, guid, &local)) != LDAP_SUCCESS)
		goto done;
	rc = repl_merge_entry(local, in, &m, &changed);
	if (rc != LDAP_SUCCESS || !changed)
		goto done;
	m->id = local != NULL ? local->id : 0;
	write_resolve(m);
	if (local != NULL && repl_entry_is_tombstone(m) && !repl_entry_is_tombstone(local) &&
	    (rc = apply_orphan_children(t, local, d)) != LDAP_SUCCESS)
		goto done;
	if ((rc = apply_place(t, local, m, pguid, &pid, &pre, d)) != LDAP_SUCCESS)
		goto done;
	if ((rc = be_usn_next(t, &usn)) != LDAP_SUCCESS)
		goto done;
	snprintf(num, sizeof(num), "%" PRIu64, usn);
	if (entry_set_str(m, "uSNChanged", num) != 0 ||
	    (local == NULL && entry_set_str(m, "uSNCreated", num) != 0) ||
	    apply_local_usn(m, usn) != LDAP_SUCCESS ||
	    (pre != NULL && write_stamp_diff(pre, m, usn) != 0)) {
		rc = LDAP_NO_MEMORY;
		goto done;
	}
	if (local == NULL)
		rc = be_add(t, m, pid);
	else if ((rc = be_update(t, local, m, pid)) == LDAP_SUCCESS &&
	    strcmp(local->ndn, m->ndn) != 0)
		rc = write_rename_subtree(t, local, m);
	log_debug("replication: applied %s (%s) as USN %" PRIu64 ": %d", m->dn, guid,
	    usn, rc);
done:
	if (rc != LDAP_SUCCESS && rc != BE_RETRY && d->rc == LDAP_SUCCESS)
		diag_set(d, rc, "cannot apply %s: %s (%d)", in->dn, ldap_err2string(rc), rc);
	free(pguid);
	entry_free(local);
	entry_free(m);
	entry_free(pre);
	return rc;
}
