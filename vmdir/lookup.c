/*
 * lookup.c: lookup-service registrations as directory entries, read and
 * written as the JSON objects of the HTTP API (README, "Lookup service
 * API"). A registration is
 *   cn=<serviceId>,cn=ServiceRegistrations,cn=LookupService,cn=<site>,
 *     cn=Sites,cn=Configuration,<suffix>   (vmwLKUPServiceRegistration)
 * with its attributes as children cn=Property<N> (vmwLKUPProperty), its
 * endpoints as children cn=Endpoint<N> (vmwLKUPEndpointRegistration),
 * and each endpoint's attributes as cn=Property<N> children of the
 * endpoint; N counts from 1 in the order of the JSON arrays. They are
 * ordinary entries and replicate as such. A replacement is written as
 * modifies of the entries that changed, adds and deletes of the children
 * that appeared or went, so replication metadata stays per attribute.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>

#include "server.h"
#include "lkupmap.h"
#include "repl.h"

/* the endpoint attribute outside the tables: a list of certificates */
#define LOOKUP_TRUST	"vmwLKUPEndpointSslTrust"

static bool
lookup_has_class(const struct entry *e, const char *oc)
{
	struct attr *a = entry_attr(e, "objectClass");

	for (size_t i = 0; a != NULL && i < a->nvals; i++)
		if (strcasecmp(a->vals[i].bv_val, oc) == 0)
			return true;
	return false;
}

/* The children of id of class oc named <prefix>N, indexed by N - 1 in
 * *out (a calloc'd array of *n, holes NULL; caller frees each and it). */
static int
lookup_children(struct be_txn *t, uint64_t id, const char *oc, const char *prefix,
    struct entry ***out, size_t *n)
{
	struct idset ids = { 0 };
	struct entry **v = NULL, *e;
	size_t max = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = be_children(t, id, &ids)) != LDAP_SUCCESS)
		goto done;
	if ((v = calloc(ids.n + 1, sizeof(*v))) == NULL) {
		rc = LDAP_NO_MEMORY;
		goto done;
	}
	for (size_t i = 0; i < ids.n; i++) {
		int num;
		if ((rc = be_get_id(t, ids.ids[i], &e)) != LDAP_SUCCESS)
			goto done;
		num = lookup_has_class(e, oc) ? lkupmap_child_num(entry_get_str(e, "cn"), prefix) : 0;
		if (num == 0 || (size_t)num > ids.n || v[num - 1] != NULL) {
			entry_free(e);
			continue;
		}
		v[num - 1] = e;
		if ((size_t)num > max)
			max = (size_t)num;
	}
done:
	idset_free(&ids);
	if (rc != LDAP_SUCCESS) {
		for (size_t i = 0; v != NULL && i < ids.n; i++)
			entry_free(v[i]);
		free(v);
		return rc;
	}
	*out = v;
	*n = max;
	return LDAP_SUCCESS;
}

static void
lookup_children_free(struct entry **v, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++)
		entry_free(v[i]);
	free(v);
}

/* The members of map from e, "" for those it lacks. */
static int
lookup_fields(json_t *obj, const struct entry *e, const struct lkupmap *m)
{
	for (; m->key != NULL; m++) {
		const char *v = entry_get_str(e, m->attr);
		if (json_object_set_new(obj, m->key, json_string(v != NULL ? v : "")) != 0)
			return LDAP_NO_MEMORY;
	}
	return LDAP_SUCCESS;
}

/* The "attributes" array of the entry id (its Property children). */
static int
lookup_props_json(struct be_txn *t, uint64_t id, json_t *obj)
{
	struct entry **v;
	size_t n;
	json_t *arr = json_array();
	int rc;

	if (arr == NULL || json_object_set_new(obj, "attributes", arr) != 0)
		return LDAP_NO_MEMORY;
	if ((rc = lookup_children(t, id, "vmwLKUPProperty", "Property", &v, &n)) !=
	    LDAP_SUCCESS)
		return rc;
	for (size_t i = 0; i < n && rc == LDAP_SUCCESS; i++) {
		json_t *p = json_object();
		if (v[i] == NULL)
			continue;
		if (p == NULL || json_array_append_new(arr, p) != 0)
			rc = LDAP_NO_MEMORY;
		else
			rc = lookup_fields(p, v[i], lkupmap_prop);
	}
	lookup_children_free(v, n);
	return rc;
}

static int
lookup_endpoint_json(struct be_txn *t, const struct entry *e, json_t *arr)
{
	json_t *ep = json_object(), *trust = json_array();
	struct attr *a = entry_attr(e, LOOKUP_TRUST);
	int rc;

	if (ep == NULL || trust == NULL || json_array_append_new(arr, ep) != 0) {
		json_decref(trust);
		return LDAP_NO_MEMORY;
	}
	if ((rc = lookup_fields(ep, e, lkupmap_ep)) != LDAP_SUCCESS) {
		json_decref(trust);
		return rc;
	}
	for (size_t i = 0; a != NULL && i < a->nvals; i++)
		json_array_append_new(trust, json_string(a->vals[i].bv_val));
	if (json_object_set_new(ep, "sslTrust", trust) != 0)
		return LDAP_NO_MEMORY;
	return lookup_props_json(t, e->id, ep);
}

/* The JSON of the registration entry e; caller decrefs *out. */
static int
lookup_json(struct be_txn *t, const struct entry *e, json_t **out)
{
	json_t *reg = json_object(), *eps = json_array();
	struct entry **v = NULL;
	size_t n = 0;
	int rc;

	*out = reg;
	if (reg == NULL || eps == NULL) {
		json_decref(eps);
		return LDAP_NO_MEMORY;
	}
	if ((rc = lookup_fields(reg, e, lkupmap_reg)) != LDAP_SUCCESS ||
	    (rc = lookup_props_json(t, e->id, reg)) != LDAP_SUCCESS) {
		json_decref(eps);
		return rc;
	}
	if (json_object_set_new(reg, "endpoints", eps) != 0)
		return LDAP_NO_MEMORY;
	if ((rc = lookup_children(t, e->id, "vmwLKUPEndpointRegistration", "Endpoint",
	    &v, &n)) != LDAP_SUCCESS)
		return rc;
	for (size_t i = 0; i < n && rc == LDAP_SUCCESS; i++)
		if (v[i] != NULL)
			rc = lookup_endpoint_json(t, v[i], eps);
	lookup_children_free(v, n);
	return rc;
}

/* The normalised DN of cn=Sites,cn=Configuration; caller frees. */
static char *
lookup_sites_ndn(void)
{
	char *dn = NULL, *ndn = NULL;

	if (asprintf(&dn, "cn=Sites,cn=Configuration,%s", srv->suffix) < 0)
		return NULL;
	if (dn_normalize(srv->schema, dn, &ndn) != LDAP_SUCCESS)
		ndn = NULL;
	free(dn);
	return ndn;
}

/* Ids of every registration entry under cn=Sites (from the objectClass
 * index). */
static int
lookup_ids(struct be_txn *t, struct idset *ids)
{
	const struct at_def *oc = schema_at(srv->schema, "objectClass");
	struct berval in = { 26, (char *)"vmwLKUPServiceRegistration" }, norm;
	int rc;

	if (oc == NULL || schema_normalize(srv->schema, oc, &in, &norm) != LDAP_SUCCESS)
		return LDAP_OTHER;
	rc = be_index_eq(t, oc, &norm, ids);
	free(norm.bv_val);
	return rc;
}

/* The registration entry of id in t; LDAP_NO_SUCH_OBJECT if none. */
static int
lookup_find(struct be_txn *t, const char *id, struct entry **out)
{
	struct idset ids = { 0 };
	char *sites = lookup_sites_ndn();
	int rc;

	*out = NULL;
	if (sites == NULL)
		return LDAP_NO_MEMORY;
	rc = lookup_ids(t, &ids);
	for (size_t i = 0; rc == LDAP_SUCCESS && i < ids.n && *out == NULL; i++) {
		struct entry *e;
		const char *sid;
		if ((rc = be_get_id(t, ids.ids[i], &e)) != LDAP_SUCCESS)
			break;
		sid = entry_get_str(e, "vmwLKUPServiceId");
		if (dn_is_under(e->ndn, sites) && sid != NULL && strcasecmp(sid, id) == 0)
			*out = e;
		else
			entry_free(e);
	}
	idset_free(&ids);
	free(sites);
	if (rc == LDAP_SUCCESS && *out == NULL)
		rc = LDAP_NO_SUCH_OBJECT;
	return rc;
}

static bool
lookup_eq(const json_t *obj, const char *key, const char *want)
{
	const char *v = json_string_value(json_object_get(obj, key));

	return want == NULL || (v != NULL && strcasecmp(v, want) == 0);
}

static bool
lookup_matches(const json_t *reg, const struct lookup_filter *f)
{
	const json_t *ep;
	size_t i;

	if (!lookup_eq(reg, "serviceId", f->id) || !lookup_eq(reg, "type", f->type) ||
	    !lookup_eq(reg, "product", f->product) || !lookup_eq(reg, "nodeId", f->node_id))
		return false;
	if (f->ep_type == NULL)
		return true;
	json_array_foreach(json_object_get(reg, "endpoints"), i, ep)
		if (lookup_eq(ep, "type", f->ep_type))
			return true;
	return false;
}

static int
lookup_cmp(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;

	return strcmp(json_string_value(json_object_get(x, "serviceId")),
	    json_string_value(json_object_get(y, "serviceId")));
}

/* Every registration matching f, sorted by serviceId, into arr; with arr
 * NULL only counted into *count (no registration is built). */
static int
lookup_collect(struct be_txn *t, const struct lookup_filter *f, json_t *arr,
    size_t *count)
{
	struct idset ids = { 0 };
	char *sites = lookup_sites_ndn();
	json_t **v = NULL;
	size_t n = 0;
	int rc;

	if (sites == NULL)
		return LDAP_NO_MEMORY;
	*count = 0;
	if ((rc = lookup_ids(t, &ids)) == LDAP_SUCCESS && ids.n > 0 && arr != NULL &&
	    (v = calloc(ids.n, sizeof(*v))) == NULL)
		rc = LDAP_NO_MEMORY;
	for (size_t i = 0; rc == LDAP_SUCCESS && i < ids.n; i++) {
		struct entry *e;
		json_t *reg = NULL;
		bool live;
		if ((rc = be_get_id(t, ids.ids[i], &e)) != LDAP_SUCCESS)
			break;
		live = dn_is_under(e->ndn, sites) && !repl_entry_is_tombstone(e);
		if (live && arr == NULL)
			(*count)++;
		else if (live)
			rc = lookup_json(t, e, &reg);
		entry_free(e);
		if (rc == LDAP_SUCCESS && reg != NULL && lookup_matches(reg, f))
			v[n++] = reg;
		else
			json_decref(reg);
	}
	if (rc == LDAP_SUCCESS && n > 0)
		qsort(v, n, sizeof(*v), lookup_cmp);
	for (size_t i = 0; i < n; i++)
		if (rc != LDAP_SUCCESS || json_array_append_new(arr, v[i]) != 0)
			json_decref(v[i]);
	free(v);
	idset_free(&ids);
	free(sites);
	return rc;
}

/* lookup_collect in a read transaction, again on deadlock; out NULL
 * only counts. */
static int
lookup_read(const struct lookup_filter *f, json_t **out, size_t *count)
{
	struct be_txn *t;
	int rc = LDAP_BUSY;

	if (out != NULL)
		*out = NULL;
	for (int tries = 0; tries < 8; tries++) {
		if (out != NULL) {
			json_decref(*out);
			if ((*out = json_array()) == NULL)
				return LDAP_NO_MEMORY;
		}
		if ((rc = be_begin(srv->be, false, &t)) != LDAP_SUCCESS)
			break;
		rc = lookup_collect(t, f, out != NULL ? *out : NULL, count);
		be_abort(t);
		if (rc != BE_RETRY)
			break;
	}
	if (rc != LDAP_SUCCESS && out != NULL) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

int
lookup_list(const struct lookup_filter *f, json_t **out)
{
	size_t n;

	return lookup_read(f, out, &n);
}

int
lookup_count(size_t *n)
{
	struct lookup_filter f = { 0 };
	int rc = lookup_read(&f, NULL, n);

	if (rc != LDAP_SUCCESS)
		*n = 0;
	return rc;
}

/* Writing */

/* Replaces the attributes of map in e by the members of obj (an empty
 * string: the attribute goes). */
static int
lookup_set(struct entry *e, const json_t *obj, const struct lkupmap *m)
{
	for (; m->key != NULL; m++) {
		const char *v = json_string_value(json_object_get(obj, m->key));
		entry_del_attr(e, m->attr);
		if (v != NULL && v[0] != '\0' && entry_add_str(e, m->attr, v) != 0)
			return LDAP_NO_MEMORY;
	}
	return LDAP_SUCCESS;
}

static int
lookup_set_trust(struct entry *e, const json_t *ep)
{
	const json_t *c;
	size_t i;

	entry_del_attr(e, LOOKUP_TRUST);
	json_array_foreach(json_object_get(ep, "sslTrust"), i, c)
		if (entry_add_str(e, LOOKUP_TRUST, json_string_value(c)) != 0)
			return LDAP_NO_MEMORY;
	return LDAP_SUCCESS;
}

/* A new entry "cn=<rdn>,<parent>" of class oc; caller frees. */
static struct entry *
lookup_new(const char *rdn, const char *parent, const char *oc)
{
	char *dn = NULL, *ndn = NULL;
	struct entry *e = NULL;

	if (asprintf(&dn, "cn=%s,%s", rdn, parent) < 0)
		return NULL;
	if (dn_normalize(srv->schema, dn, &ndn) == LDAP_SUCCESS &&
	    (e = entry_new(dn, ndn)) != NULL &&
	    (entry_add_str(e, "objectClass", "top") != 0 ||
	    entry_add_str(e, "objectClass", oc) != 0 || entry_add_str(e, "cn", rdn) != 0)) {
		entry_free(e);
		e = NULL;
	}
	free(dn);
	free(ndn);
	return e;
}

static bool
lookup_attr_same(const struct entry *old, const struct entry *nw, const char *name)
{
	struct attr *a = entry_attr(old, name), *b = entry_attr(nw, name);

	if (a == NULL || b == NULL)
		return a == b;
	if (a->nvals != b->nvals)
		return false;
	for (size_t i = 0; i < a->nvals; i++)
		if (strcmp(a->vals[i].bv_val, b->vals[i].bv_val) != 0)
			return false;
	return true;
}

/* True if old and nw hold the same values of every attribute of map
 * (and of extra, if not NULL). */
static bool
lookup_same(const struct entry *old, const struct entry *nw,
    const struct lkupmap *m, const char *extra)
{
	for (; m->key != NULL; m++)
		if (!lookup_attr_same(old, nw, m->attr))
			return false;
	return extra == NULL || lookup_attr_same(old, nw, extra);
}

/* Writes nw over old (same DN) if they differ. */
static int
lookup_update(struct be_txn *t, const struct entry *old, struct entry *nw,
    const char *who, struct diag *d)
{
	char *p;
	uint64_t pid = 0;
	int rc;

	write_resolve(nw);
	if ((rc = write_stamp_modify(t, old, nw, who, d)) != LDAP_SUCCESS ||
	    (rc = schema_check_entry(srv->schema, nw, d)) != LDAP_SUCCESS)
		return rc;
	if ((p = dn_parent(old->ndn)) == NULL)
		return diag_set(d, LDAP_NO_MEMORY, "out of memory");
	rc = be_dn2id(t, p, &pid);
	free(p);
	if (rc == LDAP_SUCCESS)
		rc = be_update(t, old, nw, pid);
	return rc;
}

/* Deletes e and everything below it, leaves first. */
static int
lookup_delete_tree(struct be_txn *t, const struct entry *e, struct diag *d)
{
	struct idset ids = { 0 };
	int rc;

	if ((rc = be_subtree_topdown(t, e->id, &ids)) != LDAP_SUCCESS)
		return rc;
	for (size_t i = ids.n; rc == LDAP_SUCCESS && i-- > 0;) {
		struct entry *c;
		if ((rc = be_get_id(t, ids.ids[i], &c)) != LDAP_SUCCESS)
			break;
		rc = delete_entry(t, c->ndn, d);
		entry_free(c);
	}
	idset_free(&ids);
	return rc;
}

static int lookup_sync(struct be_txn *t, const struct entry *parent,
    const json_t *arr, bool endpoints, const char *who, struct diag *d);

/* Adds or updates child N (1-based) of parent from obj. */
static int
lookup_sync_one(struct be_txn *t, const struct entry *parent, struct entry *old,
    size_t num, const json_t *obj, bool endpoint, const char *who, struct diag *d)
{
	const char *oc = endpoint ? "vmwLKUPEndpointRegistration" : "vmwLKUPProperty";
	const struct lkupmap *m = endpoint ? lkupmap_ep : lkupmap_prop;
	struct entry *nw;
	char rdn[32];
	int rc;

	snprintf(rdn, sizeof(rdn), "%s%zu", endpoint ? "Endpoint" : "Property", num);
	nw = old != NULL ? entry_dup(old) : lookup_new(rdn, parent->dn, oc);
	if (nw == NULL)
		return diag_set(d, LDAP_NO_MEMORY, "out of memory");
	rc = lookup_set(nw, obj, m);
	if (rc == LDAP_SUCCESS && endpoint)
		rc = lookup_set_trust(nw, obj);
	if (rc == LDAP_SUCCESS && old == NULL)
		rc = write_add(t, nw, who, d);
	else if (rc == LDAP_SUCCESS && !lookup_same(old, nw, m, endpoint ? LOOKUP_TRUST : NULL))
		rc = lookup_update(t, old, nw, who, d);
	if (rc == LDAP_SUCCESS && endpoint)
		rc = lookup_sync(t, old != NULL ? old : nw, json_object_get(obj, "attributes"),
		    false, who, d);
	entry_free(nw);
	return rc;
}

/* Makes parent's Endpoint<N> (or Property<N>) children what arr says. */
static int
lookup_sync(struct be_txn *t, const struct entry *parent, const json_t *arr,
    bool endpoints, const char *who, struct diag *d)
{
	struct entry **v;
	size_t n, want = json_array_size(arr);
	int rc;

	rc = lookup_children(t, parent->id, endpoints ? "vmwLKUPEndpointRegistration" :
	    "vmwLKUPProperty", endpoints ? "Endpoint" : "Property", &v, &n);
	if (rc != LDAP_SUCCESS)
		return rc;
	for (size_t i = 0; rc == LDAP_SUCCESS && i < want; i++)
		rc = lookup_sync_one(t, parent, i < n ? v[i] : NULL, i + 1,
		    json_array_get(arr, i), endpoints, who, d);
	for (size_t i = want; rc == LDAP_SUCCESS && i < n; i++)
		if (v[i] != NULL)
			rc = lookup_delete_tree(t, v[i], d);
	lookup_children_free(v, n);
	return rc;
}

/* Creates cn=<rdn>,<parent> (a container) unless it exists. */
static int
lookup_container(struct be_txn *t, const char *rdn, const char *parent,
    const char *who, struct diag *d)
{
	struct entry *e = lookup_new(rdn, parent, "container");
	uint64_t id;
	int rc;

	if (e == NULL)
		return diag_set(d, LDAP_NO_MEMORY, "out of memory");
	rc = be_dn2id(t, e->ndn, &id);
	if (rc == LDAP_NO_SUCH_OBJECT)
		rc = write_add(t, e, who, d);
	entry_free(e);
	return rc;
}

struct lookup_write {
	const char	*id;
	const json_t	*reg;
	const char	*who;
};

static int
lookup_add_txn(struct be_txn *t, void *arg, struct diag *d)
{
	struct lookup_write *w = arg;
	const char *site = json_string_value(json_object_get(w->reg, "siteId"));
	char sitedn[600], lsdn[700], regs[800];
	struct entry *e = NULL;
	int rc;

	snprintf(sitedn, sizeof(sitedn), "cn=%s,cn=Sites,cn=Configuration,%s", site,
	    srv->suffix);
	snprintf(lsdn, sizeof(lsdn), "cn=LookupService,%s", sitedn);
	snprintf(regs, sizeof(regs), "cn=ServiceRegistrations,%s", lsdn);
	if ((rc = lookup_find(t, w->id, &e)) != LDAP_NO_SUCH_OBJECT) {
		entry_free(e);
		return rc != LDAP_SUCCESS ? rc : diag_set(d, LDAP_ALREADY_EXISTS,
		    "serviceId %s is registered already", w->id);
	}
	{
		char *ndn = NULL;
		uint64_t id;
		if (dn_normalize(srv->schema, sitedn, &ndn) != LDAP_SUCCESS)
			return diag_set(d, LDAP_CONSTRAINT_VIOLATION, "invalid siteId");
		rc = be_dn2id(t, ndn, &id);
		free(ndn);
		if (rc == LDAP_NO_SUCH_OBJECT)
			return diag_set(d, LDAP_CONSTRAINT_VIOLATION,
			    "siteId %s is not a site of the domain", site);
		if (rc != LDAP_SUCCESS)
			return rc;
	}
	if ((rc = lookup_container(t, "LookupService", sitedn, w->who, d)) != LDAP_SUCCESS ||
	    (rc = lookup_container(t, "ServiceRegistrations", lsdn, w->who, d)) !=
	    LDAP_SUCCESS)
		return rc;
	if ((e = lookup_new(w->id, regs, "vmwLKUPServiceRegistration")) == NULL)
		return diag_set(d, LDAP_NO_MEMORY, "out of memory");
	if ((rc = lookup_set(e, w->reg, lkupmap_reg)) == LDAP_SUCCESS &&
	    (rc = write_add(t, e, w->who, d)) == LDAP_SUCCESS &&
	    (rc = lookup_sync(t, e, json_object_get(w->reg, "attributes"), false, w->who,
	    d)) == LDAP_SUCCESS)
		rc = lookup_sync(t, e, json_object_get(w->reg, "endpoints"), true, w->who, d);
	entry_free(e);
	return rc;
}

static int
lookup_replace_txn(struct be_txn *t, void *arg, struct diag *d)
{
	struct lookup_write *w = arg;
	const char *site = json_string_value(json_object_get(w->reg, "siteId")), *was;
	struct entry *old = NULL, *nw = NULL;
	int rc;

	if ((rc = lookup_find(t, w->id, &old)) != LDAP_SUCCESS)
		return rc == LDAP_NO_SUCH_OBJECT ? diag_set(d, rc,
		    "no registration with serviceId %s", w->id) : rc;
	was = entry_get_str(old, "vmwLKUPSite");
	if (was != NULL && strcasecmp(was, site) != 0) {
		rc = diag_set(d, LDAP_CONSTRAINT_VIOLATION, "siteId cannot change "
		    "(it is %s): unregister and register again", was);
		goto done;
	}
	if ((nw = entry_dup(old)) == NULL) {
		rc = diag_set(d, LDAP_NO_MEMORY, "out of memory");
		goto done;
	}
	if ((rc = lookup_set(nw, w->reg, lkupmap_reg)) == LDAP_SUCCESS &&
	    !lookup_same(old, nw, lkupmap_reg, NULL))
		rc = lookup_update(t, old, nw, w->who, d);
	if (rc == LDAP_SUCCESS)
		rc = lookup_sync(t, old, json_object_get(w->reg, "attributes"), false,
		    w->who, d);
	if (rc == LDAP_SUCCESS)
		rc = lookup_sync(t, old, json_object_get(w->reg, "endpoints"), true,
		    w->who, d);
done:
	entry_free(old);
	entry_free(nw);
	return rc;
}

static int
lookup_remove_txn(struct be_txn *t, void *arg, struct diag *d)
{
	struct lookup_write *w = arg;
	struct entry *e = NULL;
	int rc;

	if ((rc = lookup_find(t, w->id, &e)) != LDAP_SUCCESS)
		return rc == LDAP_NO_SUCH_OBJECT ? diag_set(d, rc,
		    "no registration with serviceId %s", w->id) : rc;
	rc = lookup_delete_tree(t, e, d);
	entry_free(e);
	return rc;
}

int
lookup_add(const json_t *reg, const char *who, struct diag *d)
{
	struct lookup_write w = { json_string_value(json_object_get(reg, "serviceId")),
	    reg, who };

	return write_txn(lookup_add_txn, &w, d);
}

int
lookup_replace(const char *id, const json_t *reg, const char *who, struct diag *d)
{
	struct lookup_write w = { id, reg, who };

	return write_txn(lookup_replace_txn, &w, d);
}

int
lookup_remove(const char *id, const char *who, struct diag *d)
{
	struct lookup_write w = { id, NULL, who };

	return write_txn(lookup_remove_txn, &w, d);
}
