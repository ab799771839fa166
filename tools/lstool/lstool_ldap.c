/*
 * lstool_ldap.c: the LDAP transport: the registrations read and written
 * as the directory entries vmdird keeps them in (README, "In the
 * directory"): cn=<serviceId>,cn=ServiceRegistrations,cn=LookupService,
 * cn=<site>,cn=Sites,cn=Configuration,<suffix> with cn=Property<N> and
 * cn=Endpoint<N> children. An update writes only the attributes that
 * change, adds the children that appear and deletes those that go, as
 * vmdird's own API does, but as several LDAP operations, not one
 * transaction. Reading needs an account (anonymous clients see only the
 * root DSE); writing an administrator.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <uuid/uuid.h>

#include "lkupmap.h"
#include "tools/lstool/lstool.h"

#define LDAPX_TRUST	"vmwLKUPEndpointSslTrust"
#define LDAPX_OC_REG	"vmwLKUPServiceRegistration"
#define LDAPX_OC_EP	"vmwLKUPEndpointRegistration"
#define LDAPX_OC_PROP	"vmwLKUPProperty"
/* Where lstool keeps an entry's DN inside the JSON while it works. */
#define LDAPX_DN	"_dn"

enum ldapx_kind { LDAPX_REG, LDAPX_EP, LDAPX_PROP };

struct ldapx_item {
	enum ldapx_kind	 kind;
	int		 num;		/* N of Endpoint<N>, Property<N> */
	char		*key;		/* lower-case DN */
	char		*parent;	/* lower-case DN of the parent */
	json_t		*obj;
};

struct ldapx_collect {
	struct ldapx_item *v;
	size_t		   n;
};

static int
ldapx_code(int rc)
{
	switch (rc) {
	case LDAP_SUCCESS:			return 0;
	case LDAP_NO_SUCH_OBJECT:		return LSTOOL_E_NOTFOUND;
	case LDAP_ALREADY_EXISTS:		return LSTOOL_E_EXISTS;
	case LDAP_INVALID_CREDENTIALS:
	case LDAP_INAPPROPRIATE_AUTH:		return LSTOOL_E_AUTH;
	case LDAP_INSUFFICIENT_ACCESS:		return LSTOOL_E_ACCESS;
	case LDAP_CONSTRAINT_VIOLATION:
	case LDAP_INVALID_SYNTAX:
	case LDAP_OBJECT_CLASS_VIOLATION:
	case LDAP_UNDEFINED_TYPE:
	case LDAP_INVALID_DN_SYNTAX:		return LSTOOL_E_INPUT;
	default:				return LSTOOL_E_UNAVAIL;
	}
}

static int
ldapx_fail(LDAP *ld, int rc, const char *what, char **msg)
{
	char *m = tool_ldap_errmsg(ld, rc);

	*msg = xasprintf("%s: %s", what, m);
	free(m);
	return ldapx_code(rc);
}

/* Lower-case copy of dn. */
static char *
ldapx_key(const char *dn)
{
	char *k = xstrdup(dn);

	for (char *p = k; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return k;
}

/* The DN after the first RDN (an escaped comma does not count). */
static const char *
ldapx_parent(const char *dn)
{
	for (const char *p = dn; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		else if (*p == ',')
			return p + 1 + strspn(p + 1, " ");
	}
	return "";
}

static bool
ldapx_has_class(char **ocs, const char *oc)
{
	for (size_t i = 0; ocs != NULL && ocs[i] != NULL; i++)
		if (strcasecmp(ocs[i], oc) == 0)
			return true;
	return false;
}

static void
ldapx_fields(LDAP *ld, LDAPMessage *e, json_t *obj, const struct lkupmap *m)
{
	for (; m->key != NULL; m++) {
		char *v = tool_value(ld, e, m->attr);
		json_object_set_new(obj, m->key, json_string(v != NULL ? v : ""));
		free(v);
	}
}

static int
ldapx_entry(LDAP *ld, LDAPMessage *e, void *arg)
{
	struct ldapx_collect *col = arg;
	char **ocs = tool_values(ld, e, "objectClass"), *cn = tool_value(ld, e, "cn");
	char *dn = tool_dn(ld, e);
	struct ldapx_item it = { 0 };

	if (ldapx_has_class(ocs, LDAPX_OC_REG)) {
		it.kind = LDAPX_REG;
		it.obj = json_object();
		ldapx_fields(ld, e, it.obj, lkupmap_reg);
		json_object_set_new(it.obj, "attributes", json_array());
		json_object_set_new(it.obj, "endpoints", json_array());
	} else if (ldapx_has_class(ocs, LDAPX_OC_EP) && (it.num = lkupmap_child_num(cn,
	    "Endpoint")) > 0) {
		char **trust = tool_values(ld, e, LDAPX_TRUST);
		json_t *t = json_array();
		it.kind = LDAPX_EP;
		it.obj = json_object();
		ldapx_fields(ld, e, it.obj, lkupmap_ep);
		for (size_t i = 0; trust != NULL && trust[i] != NULL; i++)
			json_array_append_new(t, json_string(trust[i]));
		tool_values_free(trust);
		json_object_set_new(it.obj, "sslTrust", t);
		json_object_set_new(it.obj, "attributes", json_array());
	} else if (ldapx_has_class(ocs, LDAPX_OC_PROP) && (it.num = lkupmap_child_num(cn,
	    "Property")) > 0) {
		it.kind = LDAPX_PROP;
		it.obj = json_object();
		ldapx_fields(ld, e, it.obj, lkupmap_prop);
	}
	if (it.obj != NULL) {
		json_object_set_new(it.obj, LDAPX_DN, json_string(dn));
		it.key = ldapx_key(dn);
		it.parent = ldapx_key(ldapx_parent(dn));
		col->v = xrealloc(col->v, (col->n + 1) * sizeof(*col->v));
		col->v[col->n++] = it;
	}
	tool_values_free(ocs);
	free(cn);
	free(dn);
	return 0;
}

static int
ldapx_item_cmp(const void *a, const void *b)
{
	const struct ldapx_item *x = a, *y = b;

	return (x->num > y->num) - (x->num < y->num);
}

/* Drops lstool's working members (the DNs) from a registration. */
static void
ldapx_strip(json_t *reg)
{
	json_t *ep, *p;
	size_t i, j;

	json_object_del(reg, LDAPX_DN);
	json_array_foreach(json_object_get(reg, "attributes"), i, p)
		json_object_del(p, LDAPX_DN);
	json_array_foreach(json_object_get(reg, "endpoints"), i, ep) {
		json_object_del(ep, LDAPX_DN);
		json_array_foreach(json_object_get(ep, "attributes"), j, p)
			json_object_del(p, LDAPX_DN);
	}
}

/*
 * Every registration under cn=Sites matching f, sorted by serviceId, into
 * *out; keep_dn leaves each entry's DN in it (LDAPX_DN).
 */
static int
ldapx_collect(struct lstool_conn *c, const struct lstool_filter *f, bool keep_dn,
    json_t **out, char **msg)
{
	char *attrs[] = { "objectClass", "cn", "vmwLKUPServiceId",
	    "vmwLKUPServiceNameDefault", "vmwLKUPServiceDescriptionDefault",
	    "vmwLKUPProduct", "vmwLKUPType", "vmwLKUPVersion", "vmwLKUPSite",
	    "vmwLKUPDeploymentNodeId", "vmwLKUPOwnerId", "vmwLKUPEndpointType",
	    "vmwLKUPEndpointProtocol", "vmwLKUPURI", LDAPX_TRUST, "vmwLKUPPropertyName",
	    "vmwLKUPPropertyValue", NULL };
	struct ldapx_collect col = { 0 };
	char *base = xasprintf("cn=Sites,cn=Configuration,%s", c->nc);
	json_t *map = json_object(), *arr = json_array(), *reg;
	size_t i;
	int rc;

	*out = NULL;
	rc = tool_search(c->ld, base, LDAP_SCOPE_SUBTREE, "(|(objectClass=" LDAPX_OC_REG
	    ")(objectClass=" LDAPX_OC_EP ")(objectClass=" LDAPX_OC_PROP "))", attrs,
	    ldapx_entry, &col);
	free(base);
	if (rc != LDAP_SUCCESS) {
		rc = ldapx_fail(c->ld, rc, "cannot read the registrations", msg);
		goto out;
	}
	qsort(col.v, col.n, sizeof(*col.v), ldapx_item_cmp);
	for (i = 0; i < col.n; i++)
		json_object_set(map, col.v[i].key, col.v[i].obj);
	for (i = 0; i < col.n; i++) {
		struct ldapx_item *it = &col.v[i];
		json_t *parent = json_object_get(map, it->parent);
		const char *member = it->kind == LDAPX_EP ? "endpoints" : "attributes";
		if (it->kind == LDAPX_REG)
			continue;
		if (parent != NULL && json_is_array(json_object_get(parent, member)) &&
		    (it->kind == LDAPX_PROP || json_object_get(parent, "endpoints") != NULL))
			json_array_append(json_object_get(parent, member), it->obj);
	}
	/* filters look at the endpoints: only once every child is in place */
	for (i = 0; i < col.n; i++)
		if (col.v[i].kind == LDAPX_REG && reg_matches(col.v[i].obj, f))
			json_array_append(arr, col.v[i].obj);
	reg_sort(arr);
	if (!keep_dn)
		json_array_foreach(arr, i, reg)
			ldapx_strip(reg);
	*out = arr;
	arr = NULL;
out:
	for (i = 0; i < col.n; i++) {
		json_decref(col.v[i].obj);
		free(col.v[i].key);
		free(col.v[i].parent);
	}
	free(col.v);
	json_decref(map);
	json_decref(arr);
	return rc;
}

static int
ldapx_list(struct lstool_conn *c, const struct lstool_filter *f, json_t **out,
    char **msg)
{
	return ldapx_collect(c, f, false, out, msg);
}

/* Writing */

struct ldapx_mods {
	LDAPMod	**v;
	size_t	  n;
};

/* Adds a modification of attr with the values vals (NULL-terminated, copied). */
static void
ldapx_mod(struct ldapx_mods *m, int op, const char *attr, char **vals)
{
	LDAPMod *mod = xcalloc(1, sizeof(*mod));
	size_t n = 0;

	while (vals != NULL && vals[n] != NULL)
		n++;
	mod->mod_op = op;
	mod->mod_type = xstrdup(attr);
	mod->mod_values = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		mod->mod_values[i] = xstrdup(vals[i]);
	m->v = xrealloc(m->v, (m->n + 2) * sizeof(*m->v));
	m->v[m->n++] = mod;
	m->v[m->n] = NULL;
}

static void
ldapx_mods_free(struct ldapx_mods *m)
{
	for (size_t i = 0; i < m->n; i++) {
		for (size_t j = 0; m->v[i]->mod_values[j] != NULL; j++)
			free(m->v[i]->mod_values[j]);
		free(m->v[i]->mod_values);
		free(m->v[i]->mod_type);
		free(m->v[i]);
	}
	free(m->v);
	memset(m, 0, sizeof(*m));
}

static const char *
ldapx_str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s != NULL ? s : "";
}

/* The attributes of map from obj: for an add (non-empty only), or, with
 * old, the replacements and deletions of what changed. */
static void
ldapx_map_mods(struct ldapx_mods *m, const json_t *obj, const json_t *old,
    const struct lkupmap *map)
{
	for (; map->key != NULL; map++) {
		const char *v = ldapx_str(obj, map->key);
		char *vals[] = { (char *)v, NULL };
		if (old != NULL && strcmp(v, ldapx_str(old, map->key)) == 0)
			continue;
		if (v[0] != '\0')
			ldapx_mod(m, old != NULL ? LDAP_MOD_REPLACE : LDAP_MOD_ADD, map->attr, vals);
		else if (old != NULL)
			ldapx_mod(m, LDAP_MOD_DELETE, map->attr, NULL);
	}
}

static void
ldapx_trust_mods(struct ldapx_mods *m, const json_t *ep, const json_t *old)
{
	const json_t *t = json_object_get(ep, "sslTrust");
	size_t n = json_array_size(t);
	char **vals;

	if (old != NULL && json_equal(t, json_object_get(old, "sslTrust")))
		return;
	if (n == 0) {
		if (old != NULL)
			ldapx_mod(m, LDAP_MOD_DELETE, LDAPX_TRUST, NULL);
		return;
	}
	vals = xcalloc(n + 1, sizeof(*vals));
	for (size_t i = 0; i < n; i++)
		vals[i] = (char *)json_string_value(json_array_get(t, i));
	ldapx_mod(m, old != NULL ? LDAP_MOD_REPLACE : LDAP_MOD_ADD, LDAPX_TRUST, vals);
	free(vals);
}

static int
ldapx_add_entry(struct lstool_conn *c, const char *dn, const char *oc, const char *cn,
    struct ldapx_mods *m, char **msg)
{
	char *ocs[] = { "top", (char *)oc, NULL }, *cns[] = { (char *)cn, NULL };
	int rc;

	ldapx_mod(m, LDAP_MOD_ADD, "objectClass", ocs);
	ldapx_mod(m, LDAP_MOD_ADD, "cn", cns);
	rc = ldap_add_ext_s(c->ld, dn, m->v, NULL, NULL);
	if (rc != LDAP_SUCCESS) {
		char *what = xasprintf("cannot add %s", dn);
		rc = ldapx_fail(c->ld, rc, what, msg);
		free(what);
	}
	ldapx_mods_free(m);
	return rc;
}

static int
ldapx_modify(struct lstool_conn *c, const char *dn, struct ldapx_mods *m, char **msg)
{
	int rc = LDAP_SUCCESS;

	if (m->n > 0 && (rc = ldap_modify_ext_s(c->ld, dn, m->v, NULL, NULL)) != LDAP_SUCCESS) {
		char *what = xasprintf("cannot modify %s", dn);
		rc = ldapx_fail(c->ld, rc, what, msg);
		free(what);
	}
	ldapx_mods_free(m);
	return rc;
}

static int
ldapx_dn_entry(LDAP *ld, LDAPMessage *e, void *arg)
{
	char *dn = tool_dn(ld, e);

	lstool_list_add(arg, dn);
	free(dn);
	return 0;
}

static int
ldapx_dn_cmp(const void *a, const void *b)
{
	size_t x = strlen(*(char *const *)a), y = strlen(*(char *const *)b);

	return (y > x) - (y < x);
}

/* Deletes dn and everything below it, leaves first. */
static int
ldapx_delete_tree(struct lstool_conn *c, const char *dn, char **msg)
{
	struct lstool_list dns = { 0 };
	char *attrs[] = { "1.1", NULL };
	int rc;

	rc = tool_search(c->ld, dn, LDAP_SCOPE_SUBTREE, "(objectClass=*)", attrs,
	    ldapx_dn_entry, &dns);
	if (rc == LDAP_SUCCESS && dns.n > 1)
		qsort(dns.v, dns.n, sizeof(*dns.v), ldapx_dn_cmp);
	for (size_t i = 0; rc == LDAP_SUCCESS && i < dns.n; i++)
		if ((rc = ldap_delete_ext_s(c->ld, dns.v[i], NULL, NULL)) == LDAP_NO_SUCH_OBJECT)
			rc = LDAP_SUCCESS;
	if (rc != LDAP_SUCCESS) {
		char *what = xasprintf("cannot delete %s", dn);
		rc = ldapx_fail(c->ld, rc, what, msg);
		free(what);
	}
	for (size_t i = 0; i < dns.n; i++)
		free(dns.v[i]);
	free(dns.v);
	return rc;
}

/* Makes parent's Endpoint<N> or Property<N> children what want says;
 * have is what is there now (with DNs), or NULL for a new parent. */
static int
ldapx_sync(struct lstool_conn *c, const char *parent, const json_t *have,
    const json_t *want, bool endpoints, char **msg)
{
	size_t nwant = json_array_size(want), nhave = json_array_size(have), i;
	const struct lkupmap *map = endpoints ? lkupmap_ep : lkupmap_prop;
	int rc = 0;

	for (i = 0; rc == 0 && i < nwant; i++) {
		const json_t *nw = json_array_get(want, i), *old = json_array_get(have, i);
		struct ldapx_mods m = { 0 };
		char *dn, rdn[32];
		snprintf(rdn, sizeof(rdn), "%s%zu", endpoints ? "Endpoint" : "Property", i + 1);
		dn = old != NULL ? xstrdup(ldapx_str(old, LDAPX_DN)) :
		    xasprintf("cn=%s,%s", rdn, parent);
		ldapx_map_mods(&m, nw, old, map);
		if (endpoints)
			ldapx_trust_mods(&m, nw, old);
		rc = old != NULL ? ldapx_modify(c, dn, &m, msg) : ldapx_add_entry(c, dn,
		    endpoints ? LDAPX_OC_EP : LDAPX_OC_PROP, rdn, &m, msg);
		if (rc == 0 && endpoints)
			rc = ldapx_sync(c, dn, old != NULL ? json_object_get(old, "attributes") :
			    NULL, json_object_get(nw, "attributes"), false, msg);
		free(dn);
	}
	for (i = nwant; rc == 0 && i < nhave; i++)
		rc = ldapx_delete_tree(c, ldapx_str(json_array_get(have, i), LDAPX_DN), msg);
	return rc;
}

/* Fills the members the server would default: serviceId, siteId, nodeId. */
static void
ldapx_defaults(struct lstool_conn *c, json_t *reg)
{
	if (ldapx_str(reg, "serviceId")[0] == '\0') {
		uuid_t u;
		char gen[37];
		uuid_generate(u);
		uuid_unparse_lower(u, gen);
		json_object_set_new(reg, "serviceId", json_string(gen));
	}
	if (ldapx_str(reg, "siteId")[0] == '\0')
		json_object_set_new(reg, "siteId", json_string(c->site));
	if (ldapx_str(reg, "nodeId")[0] == '\0')
		json_object_set_new(reg, "nodeId", json_string(c->node));
}

/* Adds the container cn=<rdn>,<parent> unless it exists. */
static int
ldapx_container(struct lstool_conn *c, const char *rdn, const char *parent, char **msg)
{
	struct ldapx_mods m = { 0 };
	char *dn = xasprintf("cn=%s,%s", rdn, parent);
	int rc = ldapx_add_entry(c, dn, "container", rdn, &m, msg);

	free(dn);
	if (rc == LSTOOL_E_EXISTS) {
		free(*msg);
		*msg = NULL;
		rc = 0;
	}
	return rc;
}

static int
ldapx_add(struct lstool_conn *c, json_t *reg, json_t **out, char **msg)
{
	struct ldapx_mods m = { 0 };
	char *sitedn, *lsdn, *regs, *dn = NULL;
	const char *id, *site;
	json_t *have = NULL;
	int rc;

	*out = NULL;
	ldapx_defaults(c, reg);
	id = ldapx_str(reg, "serviceId");
	site = ldapx_str(reg, "siteId");
	if ((rc = lstool_get_one(c, id, &have, msg)) != LSTOOL_E_NOTFOUND) {
		json_decref(have);
		if (rc == 0) {
			*msg = xasprintf("serviceId %s is registered already", id);
			rc = LSTOOL_E_EXISTS;
		}
		return rc;
	}
	free(*msg);
	*msg = NULL;
	sitedn = xasprintf("cn=%s,cn=Sites,cn=Configuration,%s", site, c->nc);
	lsdn = xasprintf("cn=LookupService,%s", sitedn);
	regs = xasprintf("cn=ServiceRegistrations,%s", lsdn);
	rc = ldapx_container(c, "LookupService", sitedn, msg);
	if (rc == LSTOOL_E_NOTFOUND) {
		free(*msg);
		*msg = xasprintf("siteId %s is not a site of the domain", site);
		rc = LSTOOL_E_INPUT;
	}
	if (rc == 0)
		rc = ldapx_container(c, "ServiceRegistrations", lsdn, msg);
	if (rc == 0) {
		dn = xasprintf("cn=%s,%s", id, regs);
		ldapx_map_mods(&m, reg, NULL, lkupmap_reg);
		rc = ldapx_add_entry(c, dn, LDAPX_OC_REG, id, &m, msg);
	}
	if (rc == 0 && ((rc = ldapx_sync(c, dn, NULL, json_object_get(reg, "attributes"),
	    false, msg)) != 0 || (rc = ldapx_sync(c, dn, NULL, json_object_get(reg,
	    "endpoints"), true, msg)) != 0)) {
		char *ignored = NULL;
		ldapx_delete_tree(c, dn, &ignored);	/* nothing half-written */
		free(ignored);
	}
	if (rc == 0)
		rc = lstool_get_one(c, id, out, msg);
	free(dn);
	free(regs);
	free(lsdn);
	free(sitedn);
	return rc;
}

/* The registration id with its entries' DNs; *out caller decrefs. */
static int
ldapx_find(struct lstool_conn *c, const char *id, json_t **out, char **msg)
{
	struct lstool_filter f = { .id = id };
	json_t *arr;
	int rc;

	*out = NULL;
	if ((rc = ldapx_collect(c, &f, true, &arr, msg)) != 0)
		return rc;
	if (json_array_size(arr) == 0) {
		json_decref(arr);
		*msg = xasprintf("no registration with serviceId %s", id);
		return LSTOOL_E_NOTFOUND;
	}
	*out = json_incref(json_array_get(arr, 0));
	json_decref(arr);
	return 0;
}

static int
ldapx_replace(struct lstool_conn *c, const char *id, json_t *reg, json_t **out,
    char **msg)
{
	struct ldapx_mods m = { 0 };
	json_t *old;
	const char *dn;
	int rc;

	*out = NULL;
	if ((rc = ldapx_find(c, id, &old, msg)) != 0)
		return rc;
	json_object_set_new(reg, "serviceId", json_string(ldapx_str(old, "serviceId")));
	ldapx_defaults(c, reg);
	if (strcasecmp(ldapx_str(reg, "siteId"), ldapx_str(old, "siteId")) != 0) {
		*msg = xasprintf("siteId cannot change (it is %s): unregister and register "
		    "again", ldapx_str(old, "siteId"));
		json_decref(old);
		return LSTOOL_E_INPUT;
	}
	dn = ldapx_str(old, LDAPX_DN);
	ldapx_map_mods(&m, reg, old, lkupmap_reg);
	if ((rc = ldapx_modify(c, dn, &m, msg)) == 0 &&
	    (rc = ldapx_sync(c, dn, json_object_get(old, "attributes"),
	    json_object_get(reg, "attributes"), false, msg)) == 0 &&
	    (rc = ldapx_sync(c, dn, json_object_get(old, "endpoints"),
	    json_object_get(reg, "endpoints"), true, msg)) == 0)
		rc = lstool_get_one(c, id, out, msg);
	json_decref(old);
	return rc;
}

static int
ldapx_remove(struct lstool_conn *c, const char *id, char **msg)
{
	json_t *old;
	int rc;

	if ((rc = ldapx_find(c, id, &old, msg)) != 0)
		return rc;
	rc = ldapx_delete_tree(c, ldapx_str(old, LDAPX_DN), msg);
	json_decref(old);
	return rc;
}

static void
ldapx_close(struct lstool_conn *c)
{
	if (c->ld != NULL)
		ldap_unbind_ext_s(c->ld, NULL, NULL);
	c->ld = NULL;
}

const struct lstool_ops lstool_ldap_ops = {
	.name = "ldap",
	.list = ldapx_list,
	.add = ldapx_add,
	.replace = ldapx_replace,
	.remove = ldapx_remove,
	.close = ldapx_close,
};

int
lstool_ldap_open(struct lstool_opts *o, struct lstool_conn *c, char **msg)
{
	struct tool_rootdse dse = { 0 };
	char *uri = NULL, *used = NULL, **rdns;
	int rc;

	if (o->server != NULL && !tool_uri_arg(o->server, TOOL_DEFAULT_PORT, &uri)) {
		*msg = xasprintf("invalid --server '%s' (HOST[:PORT] or an ldap://, ldaps:// "
		    "or ldapi:// URI)", o->server);
		return LSTOOL_E_INPUT;
	}
	if ((uri == NULL || !tool_is_ldapi(uri)) && !lstool_need_password(o)) {
		free(uri);
		*msg = xstrdup("reading the directory over LDAP needs an account: "
		    "--user and --password (or --password-file)");
		return LSTOOL_E_AUTH;
	}
	rc = tool_connect_default(uri, o->user, o->password, &c->ld, &used, msg);
	free(uri);
	free(used);
	if (rc != LDAP_SUCCESS)
		return ldapx_code(rc) == LSTOOL_E_NOTFOUND ? LSTOOL_E_UNAVAIL : ldapx_code(rc);
	c->ops = &lstool_ldap_ops;
	if ((rc = tool_rootdse_read(c->ld, &dse)) != LDAP_SUCCESS)
		return ldapx_fail(c->ld, rc, "cannot read the root DSE", msg);
	if (dse.nc == NULL || dse.server_name == NULL ||
	    (rdns = ldap_explode_dn(dse.server_name, 1)) == NULL) {
		tool_rootdse_free(&dse);
		*msg = xstrdup("the root DSE has no naming context or serverName");
		return LSTOOL_E_INTERNAL;
	}
	c->nc = xstrdup(dse.nc);
	c->node = xstrdup(rdns[0]);
	/* cn=<node>,cn=Servers,cn=<site>,cn=Sites,... */
	c->site = xstrdup(rdns[1] != NULL && rdns[2] != NULL ? rdns[2] : "");
	ldap_value_free(rdns);
	tool_rootdse_free(&dse);
	return 0;
}

struct ldapx_servers {
	struct lstool_list *names, *urls, *https;
};

static int
ldapx_server_entry(LDAP *ld, LDAPMessage *e, void *arg)
{
	struct ldapx_servers *s = arg;
	char *cn = tool_value(ld, e, "cn"), **uris = tool_values(ld, e, "vmwHttpURI");
	const char *http = NULL, *https = NULL;

	for (size_t i = 0; uris != NULL && uris[i] != NULL; i++) {
		if (strncasecmp(uris[i], "http://", 7) == 0 && http == NULL)
			http = uris[i];
		else if (strncasecmp(uris[i], "https://", 8) == 0 && https == NULL)
			https = uris[i];
	}
	if (cn != NULL) {
		lstool_list_add(s->names, cn);
		lstool_list_add(s->urls, http != NULL ? http : https != NULL ? https : "");
		lstool_list_add(s->https, https != NULL ? https : "");
	}
	free(cn);
	tool_values_free(uris);
	return 0;
}

int
lstool_ldap_servers(struct lstool_conn *c, struct lstool_list *names,
    struct lstool_list *urls, struct lstool_list *https, char **msg)
{
	struct ldapx_servers s = { names, urls, https };
	char *attrs[] = { "cn", "vmwHttpURI", NULL };
	char *base = xasprintf("cn=Sites,cn=Configuration,%s", c->nc);
	int rc = tool_search(c->ld, base, LDAP_SCOPE_SUBTREE, "(objectClass=vmwDirServer)",
	    attrs, ldapx_server_entry, &s);

	free(base);
	if (rc != LDAP_SUCCESS)
		return ldapx_fail(c->ld, rc, "cannot read the servers of the domain", msg);
	return 0;
}
