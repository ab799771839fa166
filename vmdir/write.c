/*
 * write.c: the path every change takes: a write transaction retried on
 * deadlock, a fresh USN, the server-maintained attributes and the
 * per-attribute replication metadata.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <uuid/uuid.h>
#include <openssl/crypto.h>

#include "server.h"
#include "log.h"

#define WRITE_RETRIES	32
/* Pseudo attribute under which the metadata tracks the entry's name. */
#define META_DN		"entryDN"

static void
write_gentime(char buf[16])
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(buf, 16, "%Y%m%d%H%M%SZ", &tm);
}

void
write_resolve(struct entry *e)
{
	for (size_t i = 0; i < e->nattrs; i++)
		if (e->attrs[i].at == NULL)
			e->attrs[i].at = schema_at(srv->schema, e->attrs[i].name);
}

static int
write_oc_add(struct entry *e, const struct oc_def *oc, int depth)
{
	struct attr *a = entry_attr(e, "objectClass");
	bool have = false;

	if (oc == NULL || depth > 32)
		return 0;
	for (size_t i = 0; a != NULL && i < a->nvals && !have; i++) {
		const struct oc_def *x = schema_oc(srv->schema, a->vals[i].bv_val);
		have = x == oc;
	}
	if (!have && entry_add_str(e, "objectClass", oc->names[0]) != 0)
		return -1;
	for (size_t i = 0; oc->sup != NULL && oc->sup[i] != NULL; i++)
		if (write_oc_add(e, schema_oc(srv->schema, oc->sup[i]), depth + 1) != 0)
			return -1;
	return 0;
}

int
write_expand_oc(struct entry *e)
{
	struct attr *a = entry_attr(e, "objectClass");
	size_t n = a != NULL ? a->nvals : 0;
	const struct oc_def **ocs;
	int rc = 0;

	/* RFC 4512 2.4.1: an entry belongs to the superclasses of its
	 * classes too; storing them makes (objectClass=person) find users */
	if (n == 0 || (ocs = calloc(n, sizeof(*ocs))) == NULL)
		return n == 0 ? 0 : -1;
	for (size_t i = 0; i < n; i++)
		ocs[i] = schema_oc(srv->schema, a->vals[i].bv_val);
	for (size_t i = 0; i < n && rc == 0; i++)
		if (ocs[i] != NULL)
			for (size_t j = 0; ocs[i]->sup != NULL && ocs[i]->sup[j] != NULL && rc == 0; j++)
				rc = write_oc_add(e, schema_oc(srv->schema, ocs[i]->sup[j]), 0);
	free(ocs);
	return rc;
}

/* Attributes that carry no metadata: local bookkeeping. */
static bool
write_meta_skip(const struct attr *a)
{
	if (strcasecmp(a->name, "attributeMetaData") == 0 ||
	    strcasecmp(a->name, "uSNCreated") == 0 ||
	    strcasecmp(a->name, "uSNChanged") == 0)
		return true;
	return a->at != NULL && a->at->local_only;
}

static void
write_meta_fill(struct attr_meta *m, const char *name, uint64_t usn,
    uint64_t version, const char *now)
{
	size_t i;

	memset(m, 0, sizeof(*m));
	for (i = 0; name[i] != '\0' && i < sizeof(m->attr) - 1; i++)
		m->attr[i] = (name[i] >= 'A' && name[i] <= 'Z') ? name[i] + 32 : name[i];
	m->local_usn = usn;
	m->version = version;
	m->orig_usn = usn;
	memcpy(m->orig_invocation, srv->invocation, sizeof(m->orig_invocation));
	memcpy(m->orig_time, now, sizeof(m->orig_time));
}

static int
write_meta_put(struct entry *e, const struct attr_meta *m)
{
	char buf[META_MAX];

	meta_format(m, buf, sizeof(buf));
	return entry_add_str(e, "attributeMetaData", buf);
}

static int
write_common(struct be_txn *t, struct entry *e, const char *who, uint64_t *usn,
    struct diag *d)
{
	char num[24], now[16];
	int rc;

	if ((rc = be_usn_next(t, usn)) != LDAP_SUCCESS)
		return rc == BE_RETRY ? rc : diag_set(d, rc, "cannot allocate a USN");
	snprintf(num, sizeof(num), "%llu", (unsigned long long)*usn);
	write_gentime(now);
	if (entry_set_str(e, "uSNChanged", num) != 0 ||
	    entry_set_str(e, "modifyTimestamp", now) != 0 ||
	    (who[0] != '\0' && entry_set_str(e, "modifiersName", who) != 0))
		return diag_set(d, LDAP_NO_MEMORY, "out of memory");
	return LDAP_SUCCESS;
}

int
write_stamp_add(struct be_txn *t, struct entry *e, const char *who, struct diag *d)
{
	char num[24], now[16], mtime[19];
	struct attr_meta m;
	uint64_t usn;
	int rc;

	write_resolve(e);
	if ((rc = write_common(t, e, who, &usn, d)) != LDAP_SUCCESS)
		return rc;
	snprintf(num, sizeof(num), "%llu", (unsigned long long)usn);
	write_gentime(now);
	if (entry_get_str(e, "objectGUID") == NULL) {
		uuid_t u;
		char guid[37];
		uuid_generate(u);
		uuid_unparse_lower(u, guid);
		if (entry_add_str(e, "objectGUID", guid) != 0)
			return diag_set(d, LDAP_NO_MEMORY, "out of memory");
	}
	if (entry_set_str(e, "uSNCreated", num) != 0 ||
	    entry_set_str(e, "createTimestamp", now) != 0 ||
	    (who[0] != '\0' && entry_set_str(e, "creatorsName", who) != 0))
		return diag_set(d, LDAP_NO_MEMORY, "out of memory");
	entry_del_attr(e, "attributeMetaData");
	meta_now(mtime);
	write_meta_fill(&m, META_DN, usn, 1, mtime);
	if (write_meta_put(e, &m) != 0)
		return diag_set(d, LDAP_NO_MEMORY, "out of memory");
	for (size_t i = 0; i < e->nattrs; i++) {
		if (write_meta_skip(&e->attrs[i]))
			continue;
		write_meta_fill(&m, e->attrs[i].name, usn, 1, mtime);
		if (write_meta_put(e, &m) != 0)
			return diag_set(d, LDAP_NO_MEMORY, "out of memory");
	}
	return LDAP_SUCCESS;
}

/* True if both attributes hold the same values (order aside). */
static bool
write_same_values(const struct attr *a, const struct attr *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	if (a->nvals != b->nvals)
		return false;
	for (size_t i = 0; i < a->nvals; i++) {
		size_t j;
		for (j = 0; j < b->nvals; j++)
			if (a->vals[i].bv_len == b->vals[j].bv_len &&
			    memcmp(a->vals[i].bv_val, b->vals[j].bv_val,
			    a->vals[i].bv_len) == 0)
				break;
		if (j == b->nvals)
			return false;
	}
	return true;
}

/* Index of the metadata value for name in a, or -1. */
static ssize_t
write_meta_find(const struct attr *a, const char *name, struct attr_meta *m)
{
	for (size_t i = 0; a != NULL && i < a->nvals; i++)
		if (meta_parse(a->vals[i].bv_val, a->vals[i].bv_len, m) == LDAP_SUCCESS &&
		    strcasecmp(m->attr, name) == 0)
			return (ssize_t)i;
	return -1;
}

static int
write_meta_bump(struct entry *nw, const char *name, uint64_t usn,
    const char *mtime)
{
	struct attr *ma = entry_attr(nw, "attributeMetaData");
	struct attr_meta m;
	ssize_t i = write_meta_find(ma, name, &m);
	uint64_t version = i >= 0 ? m.version + 1 : 1;

	if (i >= 0)
		entry_del_value(nw, ma, (size_t)i);
	write_meta_fill(&m, name, usn, version, mtime);
	return write_meta_put(nw, &m);
}

int
write_meta_originate(struct entry *e, const char *attr, uint64_t usn)
{
	char mtime[19];

	meta_now(mtime);
	return write_meta_bump(e, attr, usn, mtime);
}

int
write_stamp_diff(const struct entry *old, struct entry *nw, uint64_t usn)
{
	char mtime[19];

	meta_now(mtime);
	if (strcmp(old->ndn, nw->ndn) != 0 && write_meta_bump(nw, META_DN, usn, mtime) != 0)
		return -1;
	for (size_t i = 0; i < nw->nattrs; i++) {
		struct attr *a = &nw->attrs[i];
		if (write_meta_skip(a) || write_same_values(a, entry_attr(old, a->name)))
			continue;
		if (write_meta_bump(nw, a->name, usn, mtime) != 0)
			return -1;
	}
	for (size_t i = 0; i < old->nattrs; i++) {
		const struct attr *a = &old->attrs[i];
		if (write_meta_skip(a) || entry_attr(nw, a->name) != NULL)
			continue;
		if (write_meta_bump(nw, a->name, usn, mtime) != 0)
			return -1;
	}
	return 0;
}

int
write_stamp_modify(struct be_txn *t, const struct entry *old, struct entry *nw,
    const char *who, struct diag *d)
{
	uint64_t usn;
	int rc;

	write_resolve(nw);
	if ((rc = write_common(t, nw, who, &usn, d)) != LDAP_SUCCESS)
		return rc;
	if (write_stamp_diff(old, nw, usn) != 0)
		return diag_set(d, LDAP_NO_MEMORY, "out of memory");
	return LDAP_SUCCESS;
}

/* Number of RDNs of a DN (commas that are not escaped, plus one). */
int
dn_depth(const char *dn)
{
	int n = dn[0] != '\0';

	for (const char *p = dn; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		else if (*p == ',')
			n++;
	}
	return n;
}

/* Length of the first k RDNs of dn (up to, not including, the k-th comma). */
static size_t
write_dn_head(const char *dn, int k)
{
	const char *p;

	for (p = dn; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		else if (*p == ',' && --k == 0)
			break;
	}
	return (size_t)(p - dn);
}

/* Gives every descendant of the renamed entry its new DN. */
int
write_rename_subtree(struct be_txn *t, const struct entry *old, const struct entry *nw)
{
	struct idset ids = { 0 };
	int depth = dn_depth(old->ndn), rc;

	/* parents first: each descendant's new parent name must exist when
	 * it is looked up (ids do not follow the tree once entries move) */
	if ((rc = be_subtree_topdown(t, old->id, &ids)) != LDAP_SUCCESS)
		return rc;
	for (size_t i = 0; i < ids.n && rc == LDAP_SUCCESS; i++) {
		struct entry *c = NULL, *cn = NULL;
		char *dn = NULL, *ndn = NULL, *parent = NULL;
		uint64_t pid;
		int k;

		if (ids.ids[i] == old->id)
			continue;
		if ((rc = be_get_id(t, ids.ids[i], &c)) != LDAP_SUCCESS)
			break;
		k = dn_depth(c->ndn) - depth;
		if (asprintf(&dn, "%.*s,%s", (int)write_dn_head(c->dn, k), c->dn, nw->dn) < 0) {
			dn = NULL;
			rc = LDAP_NO_MEMORY;
		} else if ((rc = dn_normalize(srv->schema, dn, &ndn)) == LDAP_SUCCESS &&
		    (cn = entry_dup(c)) != NULL && (parent = dn_parent(ndn)) != NULL &&
		    (rc = be_dn2id(t, parent, &pid)) == LDAP_SUCCESS) {
			free(cn->dn);
			free(cn->ndn);
			cn->dn = dn;
			cn->ndn = ndn;
			dn = ndn = NULL;
			rc = be_update(t, c, cn, pid);
		} else if (rc == LDAP_SUCCESS && (cn == NULL || parent == NULL))
			rc = LDAP_NO_MEMORY;
		free(dn);
		free(ndn);
		free(parent);
		entry_free(c);
		entry_free(cn);
	}
	idset_free(&ids);
	return rc;
}

void
write_matched(struct be_txn *t, const char *ndn, struct diag *d)
{
	char *p = dn_parent(ndn), *next;
	struct entry *e;

	while (p != NULL && p[0] != '\0') {
		if (be_get_dn(t, p, &e) == LDAP_SUCCESS) {
			snprintf(d->matched, sizeof(d->matched), "%s", e->dn);
			entry_free(e);
			break;
		}
		next = dn_parent(p);
		free(p);
		p = next;
	}
	free(p);
}

/* RFC 4511 4.7: the RDN's values must be in the entry; add them. */
static int
write_rdn_values(struct entry *e, struct diag *d)
{
	char *rdn = dn_rdn(e->dn), **types = NULL, **vals = NULL;
	size_t n = 0;
	int rc;

	if (rdn == NULL)
		return diag_set(d, LDAP_INVALID_DN_SYNTAX, "invalid DN");
	rc = dn_rdn_split(rdn, &types, &vals, &n);
	free(rdn);
	if (rc != LDAP_SUCCESS)
		return diag_set(d, LDAP_INVALID_DN_SYNTAX, "invalid RDN");
	for (size_t i = 0; i < n && rc == LDAP_SUCCESS; i++) {
		const struct at_def *at = schema_at(srv->schema, types[i]);
		struct attr *a;
		struct berval want = { strlen(vals[i]), vals[i] };
		bool found = false;

		if (at == NULL) {
			rc = diag_set(d, LDAP_UNDEFINED_TYPE,
			    "attribute '%s' in the RDN undefined", types[i]);
			break;
		}
		if ((a = entry_attr(e, at->names[0])) != NULL)
			for (size_t j = 0; j < a->nvals && !found; j++)
				found = schema_value_cmp(srv->schema, at, &a->vals[j],
				    &want) == 0;
		if (!found && entry_add_str(e, at->names[0], vals[i]) != 0)
			rc = diag_set(d, LDAP_NO_MEMORY, "out of memory");
	}
	dn_rdn_free(types, vals, n);
	return rc;
}

int
write_add(struct be_txn *t, struct entry *e, const char *who, struct diag *d)
{
	char *parent = dn_parent(e->ndn);
	uint64_t pid = 0;
	int rc;

	if (parent == NULL)
		return diag_set(d, LDAP_NO_MEMORY, "out of memory");
	if (strcmp(e->ndn, srv->nsuffix) != 0) {
		if (!dn_is_under(e->ndn, srv->nsuffix)) {
			free(parent);
			return diag_set(d, LDAP_NO_SUCH_OBJECT,
			    "'%s' is not within the naming context %s", e->dn, srv->suffix);
		}
		rc = be_dn2id(t, parent, &pid);
		if (rc == LDAP_NO_SUCH_OBJECT) {
			write_matched(t, e->ndn, d);
			free(parent);
			return diag_set(d, rc, "parent entry does not exist");
		}
		if (rc != LDAP_SUCCESS) {
			free(parent);
			return rc == BE_RETRY ? rc : diag_set(d, rc, "cannot read the parent entry");
		}
	}
	free(parent);
	if (write_expand_oc(e) != 0)
		return diag_set(d, LDAP_NO_MEMORY, "out of memory");
	if ((rc = write_rdn_values(e, d)) != LDAP_SUCCESS ||
	    (rc = write_stamp_add(t, e, who, d)) != LDAP_SUCCESS)
		return rc;
	if ((rc = schema_check_entry(srv->schema, e, d)) != LDAP_SUCCESS)
		return rc;
	rc = be_add(t, e, pid);
	if (rc == LDAP_ALREADY_EXISTS)
		return diag_set(d, rc, "entry already exists");
	if (rc != LDAP_SUCCESS && rc != BE_RETRY)
		return diag_set(d, rc, "cannot store the entry");
	return rc;
}

static int
write_txn_run(int (*fn)(struct be_txn *, void *, struct diag *), void *arg,
    struct diag *d, bool sync)
{
	struct be_txn *t;
	int rc = LDAP_BUSY;

	for (int i = 0; i < WRITE_RETRIES; i++) {
		diag_clear(d);
		if ((rc = be_begin(srv->be, true, &t)) != LDAP_SUCCESS)
			return diag_set(d, rc, "cannot start a transaction");
		rc = fn(t, arg, d);
		if (rc != LDAP_SUCCESS) {
			be_abort(t);
			if (rc == BE_RETRY)
				continue;
			if (d->rc == LDAP_SUCCESS)
				diag_set(d, rc, "%s", ldap_err2string(rc));
			return d->rc;
		}
		rc = sync ? be_commit(t) : be_commit_nosync(t);
		if (rc == LDAP_SUCCESS) {
			repl_notify();
			return diag_set(d, LDAP_SUCCESS, "%s", "");
		}
		if (rc != BE_RETRY)
			return diag_set(d, rc, "cannot commit the change");
	}
	return diag_set(d, LDAP_BUSY, "too much contention, try again");
}

int
write_txn(int (*fn)(struct be_txn *, void *, struct diag *), void *arg,
    struct diag *d)
{
	return write_txn_run(fn, arg, d, true);
}

int
write_txn_nosync(int (*fn)(struct be_txn *, void *, struct diag *), void *arg,
    struct diag *d)
{
	return write_txn_run(fn, arg, d, false);
}

int
write_txn_op(struct op *o, int (*fn)(struct be_txn *, void *, struct diag *),
    void *arg, struct diag *d)
{
	int rc = write_txn_run(fn, arg, d, false);

	if (rc == LDAP_SUCCESS)
		o->unflushed = true;
	return rc;
}

int
write_check(const struct op *o, const char *ndn, struct diag *d)
{
	if (srv->state == STATE_READONLY)
		return diag_set(d, LDAP_UNWILLING_TO_PERFORM,
		    "this node is read-only");
	return acl_check(o, ndn, ACL_WRITE, d);
}

int
write_user_attr(const char *name, const struct at_def **at, struct diag *d)
{
	*at = schema_at(srv->schema, name);
	if (*at == NULL)
		return diag_set(d, LDAP_UNDEFINED_TYPE, "attribute '%s' undefined", name);
	if ((*at)->no_user_mod)
		return diag_set(d, LDAP_CONSTRAINT_VIOLATION,
		    "attribute '%s' is not user modifiable", name);
	return LDAP_SUCCESS;
}

int
write_password(struct berval *v, struct diag *d)
{
	struct policy p;
	char *h;
	int rc;

	policy_load(&p);
	if ((rc = policy_check_password(&p, v->bv_val, v->bv_len, d)) != LDAP_SUCCESS) {
		OPENSSL_cleanse(v->bv_val, v->bv_len);
		return rc;
	}
	h = pwd_hash(v->bv_val, v->bv_len);
	OPENSSL_cleanse(v->bv_val, v->bv_len);
	if (h == NULL)
		return diag_set(d, LDAP_OTHER, "cannot hash the password");
	free(v->bv_val);
	v->bv_val = h;
	v->bv_len = strlen(h);
	return LDAP_SUCCESS;
}
