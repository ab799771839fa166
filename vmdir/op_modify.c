/*
 * op_modify.c: the modify operation (add, delete, replace and increment
 * of values), applied to a copy of the entry that is checked against the
 * schema as a whole before it replaces the stored one.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/crypto.h>

#include "server.h"
#include "log.h"

struct mod {
	int			 op;
	const struct at_def	*at;
	struct berval		*vals;		/* NULL-terminated, ber_bvarray */
};

struct modify {
	const char	*ndn;
	const char	*who;
	struct mod	*mods;
	size_t		 nmods;
};

static ssize_t
modify_find(const struct attr *a, const struct at_def *at, const struct berval *v)
{
	for (size_t i = 0; a != NULL && i < a->nvals; i++)
		if (schema_value_cmp(srv->schema, at, &a->vals[i], v) == 0)
			return (ssize_t)i;
	return -1;
}

/* Values of the RDN may not be removed (RFC 4511 4.6). */
static bool
modify_in_rdn(const struct entry *e, const struct at_def *at, const struct berval *v)
{
	char *rdn = dn_rdn(e->dn), **types = NULL, **vals = NULL;
	size_t n = 0;
	bool yes = false;

	if (rdn == NULL || dn_rdn_split(rdn, &types, &vals, &n) != LDAP_SUCCESS) {
		free(rdn);
		return false;
	}
	for (size_t i = 0; i < n && !yes; i++) {
		struct berval rv = { strlen(vals[i]), vals[i] };
		if (schema_at(srv->schema, types[i]) != at)
			continue;
		yes = v == NULL || schema_value_cmp(srv->schema, at, v, &rv) == 0;
	}
	dn_rdn_free(types, vals, n);
	free(rdn);
	return yes;
}

static int
modify_add(struct entry *e, const struct mod *m, struct diag *d)
{
	const char *name = m->at->names[0];

	for (size_t i = 0; m->vals[i].bv_val != NULL; i++) {
		if (modify_find(entry_attr(e, name), m->at, &m->vals[i]) >= 0)
			return diag_set(d, LDAP_TYPE_OR_VALUE_EXISTS,
			    "modify/add: %s: value #%zu already exists", name, i);
		if (entry_add_value(e, name, m->vals[i].bv_val, m->vals[i].bv_len) != 0)
			return diag_set(d, LDAP_NO_MEMORY, "out of memory");
	}
	return LDAP_SUCCESS;
}

static int
modify_delete(struct entry *e, const struct mod *m, struct diag *d)
{
	const char *name = m->at->names[0];
	struct attr *a = entry_attr(e, name);
	ssize_t at;

	if (a == NULL)
		return diag_set(d, LDAP_NO_SUCH_ATTRIBUTE,
		    "modify/delete: %s: no such attribute", name);
	if (m->vals == NULL || m->vals[0].bv_val == NULL) {
		if (modify_in_rdn(e, m->at, NULL))
			return diag_set(d, LDAP_NOT_ALLOWED_ON_RDN,
			    "modify/delete: %s: attribute is in the RDN", name);
		entry_del_attr(e, name);
		return LDAP_SUCCESS;
	}
	for (size_t i = 0; m->vals[i].bv_val != NULL; i++) {
		if ((a = entry_attr(e, name)) == NULL ||
		    (at = modify_find(a, m->at, &m->vals[i])) < 0)
			return diag_set(d, LDAP_NO_SUCH_ATTRIBUTE,
			    "modify/delete: %s: value #%zu does not exist", name, i);
		if (modify_in_rdn(e, m->at, &m->vals[i]))
			return diag_set(d, LDAP_NOT_ALLOWED_ON_RDN,
			    "modify/delete: %s: value #%zu is in the RDN", name, i);
		entry_del_value(e, a, (size_t)at);
	}
	return LDAP_SUCCESS;
}

static int
modify_replace(struct entry *e, const struct mod *m, struct diag *d)
{
	const char *name = m->at->names[0];
	struct entry *tmp;
	int rc;

	if (modify_in_rdn(e, m->at, NULL)) {
		/* the new values must still hold the RDN's */
		if ((tmp = entry_new("", "")) == NULL)
			return diag_set(d, LDAP_NO_MEMORY, "out of memory");
		for (size_t i = 0; m->vals != NULL && m->vals[i].bv_val != NULL; i++)
			entry_add_value(tmp, name, m->vals[i].bv_val, m->vals[i].bv_len);
		bool kept = true;
		struct attr *old = entry_attr(e, name);
		for (size_t i = 0; old != NULL && i < old->nvals; i++)
			if (modify_in_rdn(e, m->at, &old->vals[i]) &&
			    modify_find(entry_attr(tmp, name), m->at, &old->vals[i]) < 0)
				kept = false;
		entry_free(tmp);
		if (!kept)
			return diag_set(d, LDAP_NOT_ALLOWED_ON_RDN,
			    "modify/replace: %s: the RDN value must stay", name);
	}
	entry_del_attr(e, name);
	if (m->vals == NULL || m->vals[0].bv_val == NULL)
		return LDAP_SUCCESS;
	if ((rc = modify_add(e, m, d)) != LDAP_SUCCESS)
		return rc;
	return LDAP_SUCCESS;
}

/* RFC 4525 */
static int
modify_increment(struct entry *e, const struct mod *m, struct diag *d)
{
	const char *name = m->at->names[0];
	struct attr *a = entry_attr(e, name);
	char *end, buf[32];
	long long by, cur;

	if (m->vals == NULL || m->vals[0].bv_val == NULL || m->vals[1].bv_val != NULL)
		return diag_set(d, LDAP_PROTOCOL_ERROR,
		    "modify/increment: %s: exactly one value needed", name);
	by = strtoll(m->vals[0].bv_val, &end, 10);
	if (*end != '\0' || end == m->vals[0].bv_val)
		return diag_set(d, LDAP_INVALID_SYNTAX,
		    "modify/increment: %s: value is not an integer", name);
	if (a == NULL)
		return diag_set(d, LDAP_NO_SUCH_ATTRIBUTE,
		    "modify/increment: %s: no such attribute", name);
	for (size_t i = 0; i < a->nvals; i++) {
		cur = strtoll(a->vals[i].bv_val, &end, 10);
		if (*end != '\0')
			return diag_set(d, LDAP_CONSTRAINT_VIOLATION,
			    "modify/increment: %s: stored value is not an integer", name);
		snprintf(buf, sizeof(buf), "%lld", cur + by);
		free(a->vals[i].bv_val);
		a->vals[i].bv_val = strdup(buf);
		a->vals[i].bv_len = a->vals[i].bv_val ? strlen(buf) : 0;
	}
	return LDAP_SUCCESS;
}

static int
modify_txn(struct be_txn *t, void *arg, struct diag *d)
{
	struct modify *m = arg;
	struct entry *old = NULL, *nw = NULL;
	char *parent = NULL;
	uint64_t pid = 0;
	int rc;

	rc = be_get_dn(t, m->ndn, &old);
	if (rc == LDAP_NO_SUCH_OBJECT) {
		write_matched(t, m->ndn, d);
		return diag_set(d, rc, "no such object");
	}
	if (rc != LDAP_SUCCESS)
		return rc;
	if ((nw = entry_dup(old)) == NULL) {
		rc = diag_set(d, LDAP_NO_MEMORY, "out of memory");
		goto done;
	}
	write_resolve(nw);
	for (size_t i = 0; i < m->nmods && rc == LDAP_SUCCESS; i++) {
		switch (m->mods[i].op) {
		case LDAP_MOD_ADD:
			rc = modify_add(nw, &m->mods[i], d);
			break;
		case LDAP_MOD_DELETE:
			rc = modify_delete(nw, &m->mods[i], d);
			break;
		case LDAP_MOD_REPLACE:
			rc = modify_replace(nw, &m->mods[i], d);
			break;
		default:
			rc = modify_increment(nw, &m->mods[i], d);
			break;
		}
	}
	if (rc != LDAP_SUCCESS)
		goto done;
	if (write_expand_oc(nw) != 0) {
		rc = diag_set(d, LDAP_NO_MEMORY, "out of memory");
		goto done;
	}
	if ((rc = write_stamp_modify(t, old, nw, m->who, d)) != LDAP_SUCCESS ||
	    (rc = schema_check_entry(srv->schema, nw, d)) != LDAP_SUCCESS)
		goto done;
	if ((parent = dn_parent(old->ndn)) == NULL) {
		rc = diag_set(d, LDAP_NO_MEMORY, "out of memory");
		goto done;
	}
	if (parent[0] != '\0' && strcmp(old->ndn, srv->nsuffix) != 0 &&
	    (rc = be_dn2id(t, parent, &pid)) != LDAP_SUCCESS)
		goto done;
	rc = be_update(t, old, nw, pid);
done:
	free(parent);
	entry_free(old);
	entry_free(nw);
	return rc;
}

/* Reads the changes; new values of userPassword are checked against the
 * policy and hashed here, their clear text wiped. */
static int
modify_parse(BerElement *ber, struct modify *m, struct diag *d)
{
	ber_tag_t tag;
	ber_len_t len;
	char *last;
	int rc;

	for (tag = ber_first_element(ber, &len, &last); tag != LBER_DEFAULT;
	    tag = ber_next_element(ber, &len, last)) {
		struct mod *nm, *x;
		struct berval type;
		ber_int_t op;
		char *name;

		if ((nm = realloc(m->mods, (m->nmods + 1) * sizeof(*nm))) == NULL)
			return diag_set(d, LDAP_NO_MEMORY, "out of memory");
		m->mods = nm;
		x = &m->mods[m->nmods];
		memset(x, 0, sizeof(*x));
		if (ber_scanf(ber, "{e{m[W]}}", &op, &type, &x->vals) == LBER_ERROR)
			return diag_set(d, LDAP_PROTOCOL_ERROR, "malformed modify request");
		m->nmods++;
		x->op = op;
		if (op != LDAP_MOD_ADD && op != LDAP_MOD_DELETE &&
		    op != LDAP_MOD_REPLACE && op != LDAP_MOD_INCREMENT)
			return diag_set(d, LDAP_PROTOCOL_ERROR,
			    "unknown modification type %d", (int)op);
		if ((name = strndup(type.bv_val, type.bv_len)) == NULL)
			return diag_set(d, LDAP_NO_MEMORY, "out of memory");
		rc = write_user_attr(name, &x->at, d);
		free(name);
		if (rc != LDAP_SUCCESS)
			return rc;
		if (op == LDAP_MOD_ADD && (x->vals == NULL || x->vals[0].bv_val == NULL))
			return diag_set(d, LDAP_PROTOCOL_ERROR,
			    "modify/add: %s: no values given", x->at->names[0]);
		if (strcasecmp(x->at->names[0], "userPassword") != 0 || op == LDAP_MOD_DELETE)
			continue;
		for (size_t i = 0; x->vals != NULL && x->vals[i].bv_val != NULL; i++) {
			struct berval v = { x->vals[i].bv_len, strndup(x->vals[i].bv_val,
			    x->vals[i].bv_len) };
			if (v.bv_val == NULL)
				return diag_set(d, LDAP_NO_MEMORY, "out of memory");
			if ((rc = write_password(&v, d)) != LDAP_SUCCESS) {
				free(v.bv_val);
				return rc;
			}
			OPENSSL_cleanse(x->vals[i].bv_val, x->vals[i].bv_len);
			ber_memfree(x->vals[i].bv_val);
			x->vals[i].bv_val = ber_strdup(v.bv_val);
			x->vals[i].bv_len = v.bv_len;
			free(v.bv_val);
		}
	}
	if (ber_scanf(ber, "}") == LBER_ERROR)
		return diag_set(d, LDAP_PROTOCOL_ERROR, "malformed modify request");
	return LDAP_SUCCESS;
}

/* A new password ends the account's lockout (an administrator's reset). */
static bool
modify_sets_password(const struct modify *m)
{
	for (size_t i = 0; i < m->nmods; i++)
		if (m->mods[i].op != LDAP_MOD_DELETE &&
		    strcasecmp(m->mods[i].at->names[0], "userPassword") == 0)
			return true;
	return false;
}

void
op_modify(struct op *o)
{
	struct modify m = { .who = o->bind_ndn != NULL ? o->bind_ndn : "" };
	struct berval dn;
	struct diag d;
	char *cdn = NULL, *ndn = NULL;

	diag_clear(&d);
	if (ber_scanf(o->ber, "{m", &dn) == LBER_ERROR ||
	    (cdn = strndup(dn.bv_val, dn.bv_len)) == NULL) {
		result_error(o, LDAP_RES_MODIFY, LDAP_PROTOCOL_ERROR,
		    "malformed modify request");
		return;
	}
	log_info("conn=%llu op=%d MOD dn=\"%s\"", (unsigned long long)o->conn->id,
	    o->num, cdn);
	if (dn_normalize(srv->schema, cdn, &ndn) != LDAP_SUCCESS || ndn[0] == '\0')
		diag_set(&d, LDAP_INVALID_DN_SYNTAX, "invalid DN");
	else if (write_check(o, ndn, &d) == LDAP_SUCCESS &&
	    modify_parse(o->ber, &m, &d) == LDAP_SUCCESS) {
		m.ndn = ndn;
		if (write_txn_op(o, modify_txn, &m, &d) == LDAP_SUCCESS && modify_sets_password(&m))
			lockout_forget(ndn);
	}
	result_send(o, LDAP_RES_MODIFY, &d);
	/* values may be passwords the parse did not reach */
	for (size_t i = 0; i < m.nmods; i++)
		pwd_wipe_bvarray(m.mods[i].vals);
	free(m.mods);
	free(cdn);
	free(ndn);
}
