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

/* Moves a stored entry (and its subtree) to LostAndFound or to a
 * conflict name, as an originating change. */
static int
apply_move_local(struct be_txn *t, const struct entry *old, const char *rdn,
    const char *parent_dn, uint64_t pid, struct diag *d)
{
	struct entry *nw = entry_dup(old);
	int rc;

	if (nw == NULL)
		return LDAP_NO_MEMORY;
	write_resolve(nw);
	if ((rc = apply_set_dn(nw, rdn, parent_dn)) == LDAP_SUCCESS &&
	    (rc = write_stamp_modify(t, old, nw, "", d)) == LDAP_SUCCESS &&
	    (rc = be_update(t, old, nw, pid)) == LDAP_SUCCESS)
		rc = write_rename_subtree(t, old, nw);
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
		char *rdn;
		if ((rc = be_get_id(t, kids.ids[i], &c)) != LDAP_SUCCESS)
			break;
		if ((rdn = dn_rdn(c->dn)) == NULL)
			rc = LDAP_NO_MEMORY;
		else {
			log_warn("replication: %s lost its parent, moved to LostAndFound", c->dn);
			rc = apply_move_local(t, c, rdn, lfdn, lfid, d);
		}
		free(rdn);
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

/* Where the merged entry m goes: its parent's id, after any move to
 * LostAndFound or to a conflict name. *originate says the name changed
 * here. */
static int
apply_place(struct be_txn *t, struct entry *m, uint64_t *pid, bool *originate,
    struct diag *d)
{
	struct entry *parent = NULL, *other = NULL;
	char *pndn, *rdn = NULL, *lfdn = NULL, *pdn_w = NULL;
	uint64_t oid;
	int rc;

	if (strcmp(m->ndn, srv->nsuffix) == 0) {
		*pid = 0;
	} else {
		if ((pndn = dn_parent(m->ndn)) == NULL)
			return LDAP_NO_MEMORY;
		rc = be_get_dn(t, pndn, &parent);
		free(pndn);
		if (rc != LDAP_SUCCESS && rc != LDAP_NO_SUCH_OBJECT)
			return rc;
		if (rc == LDAP_NO_SUCH_OBJECT || (repl_entry_is_tombstone(parent) &&
		    !repl_entry_is_tombstone(m))) {
			if ((rdn = dn_rdn(m->dn)) == NULL ||
			    (rc = apply_lostandfound_id(t, pid, &lfdn)) != LDAP_SUCCESS ||
			    (rc = apply_set_dn(m, rdn, lfdn)) != LDAP_SUCCESS) {
				free(rdn);
				free(lfdn);
				entry_free(parent);
				return rdn == NULL ? LDAP_NO_MEMORY : rc;
			}
			log_warn("replication: parent of %s is missing or deleted, "
			    "placed in LostAndFound", m->dn);
			*originate = true;
			free(rdn);
			pdn_w = lfdn;
			rdn = lfdn = NULL;
		} else {
			*pid = parent->id;
			pdn_w = strdup(parent->dn);
		}
	}
	entry_free(parent);
	rc = be_dn2id(t, m->ndn, &oid);
	if (rc == LDAP_NO_SUCH_OBJECT || (rc == LDAP_SUCCESS && oid == m->id)) {
		free(pdn_w);
		return LDAP_SUCCESS;
	}
	if (rc != LDAP_SUCCESS || pdn_w == NULL ||
	    (rc = be_get_id(t, oid, &other)) != LDAP_SUCCESS) {
		free(pdn_w);
		return rc != LDAP_SUCCESS ? rc : LDAP_OTHER;
	}
	/* add-add: the same decision on every node */
	{
		struct attr_meta ma, mb;
		bool ha = apply_meta(m, REPL_META_DN, &ma);
		bool hb = apply_meta(other, REPL_META_DN, &mb);
		const char *ga = entry_get_str(m, "objectGUID");
		const char *gb = entry_get_str(other, "objectGUID");
		const char *pdn = pdn_w;
		char *orig = dn_rdn(m->dn), *crdn;

		if (orig == NULL || ga == NULL || gb == NULL) {
			free(orig);
			free(pdn_w);
			entry_free(other);
			return LDAP_OTHER;
		}
		if (repl_add_add_keeps(ha ? &ma : NULL, ga, hb ? &mb : NULL, gb)) {
			crdn = repl_conflict_rdn(orig, gb);
			log_warn("replication: add-add conflict on %s: the other entry "
			    "becomes %s", m->dn, crdn ? crdn : "?");
			rc = crdn == NULL ? LDAP_NO_MEMORY :
			    apply_move_local(t, other, crdn, pdn, *pid, d);
		} else {
			crdn = repl_conflict_rdn(orig, ga);
			log_warn("replication: add-add conflict on %s: the incoming entry "
			    "becomes %s", m->dn, crdn ? crdn : "?");
			char *pcopy = strdup(pdn);
			rc = crdn == NULL || pcopy == NULL ? LDAP_NO_MEMORY :
			    apply_set_dn(m, crdn, pcopy);
			free(pcopy);
			if (rc == LDAP_SUCCESS && entry_set_str(m, "vmwConflictOriginalDN",
			    other->dn) != 0)
				rc = LDAP_NO_MEMORY;
			*originate = true;
		}
		free(crdn);
		free(orig);
	}
	entry_free(other);
	free(pdn_w);
	return rc;
}

int
repl_apply_entry(struct be_txn *t, struct entry *in, struct diag *d)
{
	const char *guid = entry_get_str(in, "objectGUID");
	struct entry *local = NULL, *m = NULL;
	bool changed = false, originate = false;
	uint64_t pid = 0, usn;
	char num[24];
	int rc;

	if (guid == NULL)
		return diag_set(d, LDAP_PROTOCOL_ERROR, "replicated entry %s has no objectGUID",
		    in->dn);
	write_resolve(in);
	if ((rc = apply_find(t, guid, &local)) != LDAP_SUCCESS)
		return rc;
	rc = repl_merge_entry(local, in, &m, &changed);
	if (rc != LDAP_SUCCESS || !changed)
		goto done;
	m->id = local != NULL ? local->id : 0;
	write_resolve(m);
	if (local != NULL && repl_entry_is_tombstone(m) && !repl_entry_is_tombstone(local) &&
	    (rc = apply_orphan_children(t, local, d)) != LDAP_SUCCESS)
		goto done;
	if ((rc = apply_place(t, m, &pid, &originate, d)) != LDAP_SUCCESS)
		goto done;
	if ((rc = be_usn_next(t, &usn)) != LDAP_SUCCESS)
		goto done;
	snprintf(num, sizeof(num), "%" PRIu64, usn);
	if (entry_set_str(m, "uSNChanged", num) != 0 ||
	    (local == NULL && entry_set_str(m, "uSNCreated", num) != 0) ||
	    apply_local_usn(m, usn) != LDAP_SUCCESS ||
	    (originate && write_meta_originate(m, REPL_META_DN, usn) != 0)) {
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
		diag_set(d, rc, "cannot apply %s", in->dn);
	entry_free(local);
	entry_free(m);
	return rc;
}
