/*
 * check.c: lstool check. Finds the domain's nodes (their server objects
 * in the directory, with the HTTP base URL vmdird records in vmwHttpURI,
 * or --nodes URL,...), reads every node's /health and registrations
 * directly, and reports, each finding with a description, a severity and
 * a recommended action:
 *  - nodes that cannot be read;
 *  - registrations that differ between nodes, "in flight" when every node
 *    is Normal and a partner reports a replication backlog (it should
 *    converge by itself), "diverged" otherwise: a node is not replicating
 *    (Standalone, ReadOnly) or replication reports nothing pending;
 *  - several registrations of one service type for one node;
 *  - registrations of a node that is no longer in the domain;
 *  - and, in check_trust.c, SSL trust problems.
 * Read-only unless --fix-trust. Exit 1 on any High finding.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "tools/lstool/check.h"

void
check_add(struct check *k, const char *check, const char *status, const char *severity,
    json_t *entries, const char *action, const char *title, const char *fmt, ...)
{
	va_list ap;
	char *desc;

	va_start(ap, fmt);
	if (vasprintf(&desc, fmt, ap) < 0)
		tool_xmalloc(SIZE_MAX);	/* aborts: out of memory */
	va_end(ap);
	json_array_append_new(k->findings, json_pack("{s:s,s:s,s:s,s:s,s:s?,s:s?,s:o}",
	    "check", check, "status", status, "title", title, "description", desc,
	    "severity", severity, "recommendedAction", action,
	    "entries", entries != NULL ? entries : json_array()));
	free(desc);
}

static const char *
check_str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s != NULL ? s : "";
}

json_t *
check_entry(const struct check *k, const json_t *reg, const char *node)
{
	const char *id = check_str(reg, "serviceId");
	char *dn = xasprintf("cn=%s,cn=ServiceRegistrations,cn=LookupService,cn=%s,"
	    "cn=Sites,cn=Configuration,%s", id, check_str(reg, "siteId"),
	    k->suffix != NULL ? k->suffix : "<suffix>");
	json_t *e = json_pack("{s:s,s:s,s:s,s:s,s:s}", "serviceId", id, "type",
	    check_str(reg, "type"), "nodeId", check_str(reg, "nodeId"), "version",
	    check_str(reg, "version"), "dn", dn);

	if (node != NULL)
		json_object_set_new(e, "seenOn", json_string(node));
	free(dn);
	return e;
}

struct check_node *
check_node_named(struct check *k, const char *name)
{
	for (size_t i = 0; i < k->n; i++)
		if (k->nodes[i].name != NULL && strcasecmp(k->nodes[i].name, name) == 0)
			return &k->nodes[i];
	return NULL;
}

static void
check_node_add(struct check *k, const char *name, const char *url)
{
	struct check_node *n;

	k->nodes = xrealloc(k->nodes, (k->n + 1) * sizeof(*k->nodes));
	n = &k->nodes[k->n++];
	memset(n, 0, sizeof(*n));
	n->name = name != NULL ? xstrdup(name) : NULL;
	if (url != NULL && url[0] != '\0' && (n->base = lstool_http_base(url)) == NULL)
		n->error = xasprintf("invalid URL '%s'", url);
	if (url != NULL && url[0] == '\0')
		n->error = xstrdup("its server object records no HTTP address (vmwHttpURI): "
		    "http_port 0, or a vmdird that does not record it");
}

/* "dc=a,dc=b" of the domain name "a.b"; caller frees. */
static char *
check_suffix(const char *domain)
{
	char *out = xstrdup(""), *d = xstrdup(domain), *save = NULL, *p;

	for (p = strtok_r(d, ".", &save); p != NULL; p = strtok_r(NULL, ".", &save)) {
		char *n = xasprintf("%s%sdc=%s", out, out[0] ? "," : "", p);
		free(out);
		out = n;
	}
	free(d);
	return out;
}

/* The nodes: from the directory (--nodes auto) or the URLs given. */
static int
check_find_nodes(struct check *k, struct lstool_conn *c, bool *have_conn)
{
	struct lstool_opts *o = k->o;
	struct lstool_list names = { 0 }, urls = { 0 }, https = { 0 };
	bool need_dir = o->nodes == NULL || strcmp(o->nodes, "auto") == 0;
	char *msg = NULL;
	int rc;

	*have_conn = false;
	memset(c, 0, sizeof(*c));
	c->o = o;
	if (need_dir || o->server != NULL) {
		const char *url = o->url;
		o->url = NULL;	/* the directory is read over LDAP */
		rc = lstool_ldap_open(o, c, &msg);
		o->url = url;
		if (rc != 0 && need_dir) {
			lstool_close(c);
			return lstool_fail_msg(o, rc, msg);
		}
		if (rc == 0)
			rc = lstool_ldap_servers(c, &names, &urls, &https, &msg);
		if (rc != 0) {
			if (need_dir) {
				lstool_close(c);
				return lstool_fail_msg(o, rc, msg);
			}
			lstool_close(c);
			check_add(k, "directory", "WARNING", "Low", NULL, "Give --server with "
			    "an account that can read the directory.", "The domain's nodes "
			    "could not be read", "%s; stale registrations are judged against "
			    "the nodes that answered", msg);
			free(msg);
		} else {
			*have_conn = true;
			k->domain_known = true;
			k->local = xstrdup(c->node);
			k->suffix = xstrdup(c->nc);
			for (size_t i = 0; i < names.n; i++)
				lstool_list_add(&k->domain, names.v[i]);
		}
	}
	if (need_dir) {
		for (size_t i = 0; i < names.n; i++) {
			check_node_add(k, names.v[i], urls.v[i]);
			if (https.v[i][0] != '\0')
				k->nodes[k->n - 1].https = lstool_http_base(https.v[i]);
		}
	} else {
		char *list = xstrdup(o->nodes), *save = NULL, *p;
		for (p = strtok_r(list, ",", &save); p != NULL; p = strtok_r(NULL, ",", &save))
			check_node_add(k, NULL, p);
		free(list);
	}
	lstool_list_free(&names);
	lstool_list_free(&urls);
	lstool_list_free(&https);
	if (k->n == 0)
		return lstool_fail(o, LSTOOL_E_INPUT, "no nodes to check");
	return TOOL_EXIT_OK;
}

/* (Re)reads every node's /health and registrations. */
static void
check_read(struct check *k)
{
	for (size_t i = 0; i < k->n; i++) {
		struct check_node *n = &k->nodes[i];
		struct lstool_conn c = { .ops = &lstool_http_ops, .o = k->o };
		struct lstool_filter all = { 0 };
		const char *name;
		char *msg = NULL;

		if (n->base == NULL)
			continue;
		json_decref(n->health);
		json_decref(n->regs);
		n->health = n->regs = NULL;
		free(n->error);
		n->error = NULL;
		c.base = n->base;
		if (lstool_http_get_json(k->o, n->base, "/health", &n->health, &msg) != 0 ||
		    c.ops->list(&c, &all, &n->regs, &msg) != 0) {
			n->error = msg;
			continue;
		}
		name = check_str(n->health, "node");
		if (n->name == NULL && name[0] != '\0')
			n->name = xstrdup(name);
		if (k->suffix == NULL && check_str(n->health, "domain")[0] != '\0')
			k->suffix = check_suffix(check_str(n->health, "domain"));
	}
	for (size_t i = 0; i < k->n; i++)
		if (k->nodes[i].name == NULL)
			k->nodes[i].name = xstrdup(k->nodes[i].base != NULL ? k->nodes[i].base :
			    "?");
}

static void
check_reach(struct check *k)
{
	size_t ok = 0;
	char *names = xstrdup("");

	for (size_t i = 0; i < k->n; i++) {
		struct check_node *n = &k->nodes[i];
		char *s;
		if (n->error == NULL) {
			ok++;
			s = xasprintf("%s%s%s", names, names[0] ? ", " : "", n->name);
			free(names);
			names = s;
			continue;
		}
		check_add(k, "reachability", "FAIL", "High",
		    json_pack("[{s:s,s:s?}]", "node", n->name, "url", n->base),
		    "Start vmdird on the node or repair the network; if the node left the "
		    "domain for good, remove it with vdcleave.",
		    "Node cannot be read", "%s: %s", n->name, n->error);
	}
	if (ok == k->n)
		check_add(k, "reachability", "PASS", NULL, NULL, NULL, "Every node answered",
		    "%zu node%s: %s", k->n, k->n == 1 ? "" : "s", names);
	free(names);
}

json_t *
check_merged(const struct check *k)
{
	json_t *seen = json_object(), *out = json_array(), *reg;
	size_t i, j;

	for (i = 0; i < k->n; i++)
		json_array_foreach(k->nodes[i].regs, j, reg) {
			const char *id = check_str(reg, "serviceId");
			if (json_object_get(seen, id) != NULL)
				continue;
			json_object_set_new(seen, id, json_true());
			json_array_append(out, reg);
		}
	json_decref(seen);
	reg_sort(out);
	return out;
}

static json_t *
check_find(const json_t *regs, const char *id)
{
	json_t *r;
	size_t i;

	json_array_foreach(regs, i, r)
		if (strcmp(check_str(r, "serviceId"), id) == 0)
			return r;
	return NULL;
}

/* Nodes in flight: every node Normal, and some partner reports a backlog. */
static bool
check_backlog(const struct check *k, char **why)
{
	for (size_t i = 0; i < k->n; i++) {
		const json_t *p;
		size_t j;
		json_array_foreach(json_object_get(k->nodes[i].health, "partners"), j, p) {
			json_int_t b = json_integer_value(json_object_get(p, "backlog"));
			if (b > 0) {
				*why = xasprintf("%s reports a backlog of %lld from %s", k->nodes[i].name,
				    (long long)b, check_str(p, "uri"));
				return true;
			}
		}
	}
	return false;
}

/* The nodes not in the Normal state, "B (Standalone)"; NULL if none. */
static char *
check_stopped(const struct check *k)
{
	char *out = NULL;

	for (size_t i = 0; i < k->n; i++) {
		const char *st = check_str(k->nodes[i].health, "state");
		char *s;
		if (k->nodes[i].health == NULL || strcasecmp(st, "Normal") == 0)
			continue;
		s = xasprintf("%s%s%s (%s)", out != NULL ? out : "", out != NULL ? ", " : "",
		    k->nodes[i].name, st);
		free(out);
		out = s;
	}
	return out;
}

/* Appends "field: v1 on A, B; v2 on C" for each member that differs. */
static char *
check_describe(const struct check *k, const char *id)
{
	static const char *const fields[] = { "name", "description", "product", "type",
	    "version", "siteId", "nodeId", "ownerId", "attributes", "endpoints", NULL };
	char *out = xstrdup(""), *s;
	const char *missing = NULL;

	for (size_t f = 0; fields[f] != NULL; f++) {
		json_t *vals = json_object();	/* value -> "A, B" */
		const char *v;
		json_t *who;
		for (size_t i = 0; i < k->n; i++) {
			json_t *r = check_find(k->nodes[i].regs, id);
			char *key;
			if (k->nodes[i].regs == NULL || r == NULL)
				continue;
			key = json_dumps(json_object_get(r, fields[f]), JSON_COMPACT |
			    JSON_ENCODE_ANY | JSON_SORT_KEYS);
			who = json_object_get(vals, key);
			s = xasprintf("%s%s%s", who != NULL ? json_string_value(who) : "",
			    who != NULL ? ", " : "", k->nodes[i].name);
			json_object_set_new(vals, key, json_string(s));
			free(s);
			free(key);
		}
		if (json_object_size(vals) > 1) {
			s = xasprintf("%s%s%s:", out, out[0] ? "; " : "",
			    strcmp(fields[f], "endpoints") == 0 ? "endpoints (URL, SSL trust or "
			    "attributes)" : fields[f]);
			free(out);
			out = s;
			json_object_foreach(vals, v, who) {
				bool scalar = v[0] == '"' && strlen(v) < 80;
				s = xasprintf("%s %s on %s;", out, scalar ? v : "one value",
				    json_string_value(who));
				free(out);
				out = s;
			}
			out[strlen(out) - 1] = '\0';
		}
		json_decref(vals);
	}
	for (size_t i = 0; i < k->n; i++) {
		if (k->nodes[i].regs == NULL || check_find(k->nodes[i].regs, id) != NULL)
			continue;
		s = xasprintf("%s%s%s%s", out, missing == NULL ? (out[0] ? "; missing on " :
		    "missing on ") : ", ", k->nodes[i].name, "");
		free(out);
		out = s;
		missing = "";
	}
	return out;
}

/* The serviceIds whose copies differ between the nodes read. */
static json_t *
check_differing(const struct check *k)
{
	json_t *all = check_merged(k), *out = json_array(), *reg;
	size_t i;

	json_array_foreach(all, i, reg) {
		const char *id = check_str(reg, "serviceId");
		bool same = true;
		for (size_t j = 0; j < k->n && same; j++) {
			if (k->nodes[j].regs == NULL)
				continue;
			same = json_equal(check_find(k->nodes[j].regs, id), reg);
		}
		if (!same)
			json_array_append_new(out, json_string(id));
	}
	json_decref(all);
	return out;
}

static void
check_divergence(struct check *k)
{
	json_t *diff = check_differing(k), *id, *all;
	char *why = NULL, *stopped;
	bool in_flight;
	size_t i, nregs;

	/* --settle: give replication time before calling anything diverged */
	for (int waited = 0; json_array_size(diff) > 0 && waited < k->o->settle; waited++) {
		sleep(1);
		check_read(k);
		json_decref(diff);
		diff = check_differing(k);
	}
	stopped = check_stopped(k);
	in_flight = stopped == NULL && check_backlog(k, &why);
	json_array_foreach(diff, i, id) {
		const char *sid = json_string_value(id);
		json_t *entries = json_array(), *reg = NULL;
		char *desc = check_describe(k, sid);
		for (size_t j = 0; j < k->n; j++) {
			json_t *r = check_find(k->nodes[j].regs, sid);
			if (r != NULL)
				json_array_append_new(entries, check_entry(k, r, k->nodes[j].name));
			if (reg == NULL)
				reg = r;
		}
		if (in_flight)
			check_add(k, "divergence", "WARNING", "Medium", entries,
			    "Wait for replication to catch up and check again; if the difference "
			    "stays, look at vdcrepadmin -f showpartnerstatus on every node.",
			    "Registration still in flight between nodes",
			    "%s (%s): %s. Replication is still carrying changes (%s).", sid,
			    check_str(reg, "type"), desc, why);
		else
			check_add(k, "divergence", "FAIL", "High", entries,
			    stopped != NULL ? "Return the nodes to the Normal state (vdcadmintool "
			    "--set-state NORMAL) and let them replicate before any upgrade, then "
			    "check again." : "Replication does not know of the difference: compare "
			    "the nodes with vdcrepadmin -f showpartnerstatus and "
			    "showattributemetadata, re-register the service on one node, and do "
			    "not upgrade until the check is clean.",
			    "Registration diverged between nodes",
			    "%s (%s): %s. %s%s%s", sid, check_str(reg, "type"), desc,
			    stopped != NULL ? "Replication is stopped on " : "Replication reports "
			    "nothing pending (no partner has a backlog), so it will not converge "
			    "by itself", stopped != NULL ? stopped : "",
			    stopped != NULL ? ": these nodes neither send nor take changes." : ".");
		free(desc);
	}
	all = check_merged(k);
	nregs = json_array_size(all);
	json_decref(all);
	if (json_array_size(diff) == 0)
		check_add(k, "divergence", "PASS", NULL, NULL, NULL,
		    "Registrations are the same on every node",
		    "%zu registration%s on %zu node%s", nregs, nregs == 1 ? "" : "s", k->n,
		    k->n == 1 ? "" : "s");
	free(why);
	free(stopped);
	json_decref(diff);
}

static void
check_duplicates(struct check *k)
{
	json_t *all = check_merged(k), *groups = json_object(), *reg, *g;
	const char *key;
	size_t i, found = 0;

	json_array_foreach(all, i, reg) {
		char *kk = xasprintf("%s\n%s", check_str(reg, "nodeId"), check_str(reg, "type"));
		for (char *p = kk; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		if ((g = json_object_get(groups, kk)) == NULL)
			json_object_set_new(groups, kk, g = json_array());
		json_array_append(g, reg);
		free(kk);
	}
	json_object_foreach(groups, key, g) {
		json_t *entries = json_array(), *r;
		char *ids = xstrdup(""), *s;
		size_t j;
		if (json_array_size(g) < 2) {
			json_decref(entries);
			free(ids);
			continue;
		}
		found++;
		json_array_foreach(g, j, r) {
			json_array_append_new(entries, check_entry(k, r, NULL));
			s = xasprintf("%s%s%s", ids, ids[0] ? ", " : "", check_str(r, "serviceId"));
			free(ids);
			ids = s;
		}
		r = json_array_get(g, 0);
		check_add(k, "duplicates", "FAIL", "High", entries,
		    "Keep the registration the service really uses (its URL and version) and "
		    "unregister the others: lstool unregister --id ID.",
		    "Duplicate registrations of one service type for one node",
		    "node %s has %zu registrations of type %s: %s", check_str(r, "nodeId"),
		    json_array_size(g), check_str(r, "type"), ids);
		free(ids);
	}
	if (found == 0)
		check_add(k, "duplicates", "PASS", NULL, NULL, NULL,
		    "No duplicate registrations", "at most one registration per service type "
		    "and node");
	json_decref(groups);
	json_decref(all);
}

static bool
check_in_domain(const struct check *k, const char *node)
{
	if (k->domain_known) {
		for (size_t i = 0; i < k->domain.n; i++)
			if (strcasecmp(k->domain.v[i], node) == 0)
				return true;
		return false;
	}
	for (size_t i = 0; i < k->n; i++)
		if (strcasecmp(k->nodes[i].name, node) == 0)
			return true;
	return false;
}

static void
check_stale(struct check *k)
{
	json_t *all = check_merged(k), *reg;
	size_t i, found = 0;

	json_array_foreach(all, i, reg) {
		const char *node = check_str(reg, "nodeId");
		if (check_in_domain(k, node))
			continue;
		found++;
		check_add(k, "stale", "FAIL", "High", json_pack("[o]", check_entry(k, reg, NULL)),
		    "If the node left the domain for good, unregister its services "
		    "(lstool unregister --id ID); if it is still in use, join it again.",
		    "Stale registration of a node that is not in the domain",
		    "%s (%s) belongs to node %s, which is not a node of the domain%s",
		    check_str(reg, "serviceId"), check_str(reg, "type"), node,
		    k->domain_known ? " (no server object of that name)" :
		    " (not among the nodes that answered)");
	}
	if (found == 0)
		check_add(k, "stale", "PASS", NULL, NULL, NULL, "No stale registrations",
		    "every registration belongs to a node of the domain");
	json_decref(all);
}

static void
check_print(const struct check *k)
{
	json_t *f;
	size_t i, pass = 0, warn = 0, fail = 0, high = 0;

	json_array_foreach(k->findings, i, f) {
		const char *st = check_str(f, "status");
		const json_t *e;
		size_t j;
		pass += strcmp(st, "PASS") == 0;
		warn += strcmp(st, "WARNING") == 0;
		fail += strcmp(st, "FAIL") == 0;
		high += strcmp(check_str(f, "severity"), "High") == 0;
		printf("[%s] %s: %s\n", st, check_str(f, "title"), check_str(f, "description"));
		if (strcmp(st, "PASS") == 0)
			continue;
		printf("\tDescription: %s\n", check_str(f, "description"));
		printf("\tSeverity: %s\n", check_str(f, "severity"));
		printf("\tRecommended Action: %s\n", check_str(f, "recommendedAction"));
		json_array_foreach(json_object_get(f, "entries"), j, e) {
			if (json_object_get(e, "dn") != NULL)
				printf("\tEntry: %s%s%s%s\n", check_str(e, "dn"),
				    json_object_get(e, "seenOn") ? " (on " : "",
				    check_str(e, "seenOn"), json_object_get(e, "seenOn") ? ")" : "");
			else if (json_object_get(e, "url") != NULL)
				printf("\tEntry: %s %s\n", check_str(e, "node"), check_str(e, "url"));
		}
	}
	json_array_foreach(k->fixed, i, f)
		printf("[FIXED] %s on %s: SSL trust set to %s's machine certificate\n",
		    check_str(f, "serviceId"), check_str(f, "node"), check_str(f, "nodeId"));
	printf("Summary: %zu passed, %zu warning%s, %zu failed (%zu High)\n", pass, warn,
	    warn == 1 ? "" : "s", fail, high);
}

static size_t
check_high(const struct check *k)
{
	json_t *f;
	size_t i, n = 0;

	json_array_foreach(k->findings, i, f)
		if (strcmp(check_str(f, "severity"), "High") == 0 &&
		    !(json_object_get(f, "fixed") != NULL))
			n++;
	return n;
}

static json_t *
check_nodes_json(const struct check *k)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < k->n; i++) {
		const struct check_node *n = &k->nodes[i];
		json_array_append_new(arr, json_pack("{s:s,s:s?,s:s?,s:s?,s:I}", "name", n->name,
		    "url", n->base, "state", json_string_value(json_object_get(n->health,
		    "state")), "error", n->error, "registrations",
		    (json_int_t)json_array_size(n->regs)));
	}
	return arr;
}

static void
check_free(struct check *k)
{
	for (size_t i = 0; i < k->n; i++) {
		struct check_node *n = &k->nodes[i];
		free(n->name);
		free(n->base);
		free(n->https);
		free(n->error);
		free(n->machine_from);
		json_decref(n->health);
		json_decref(n->regs);
		X509_free(n->machine);
	}
	free(k->nodes);
	free(k->local);
	free(k->suffix);
	lstool_list_free(&k->domain);
	json_decref(k->findings);
	json_decref(k->fixed);
}

static int
check_run(struct lstool_opts *o)
{
	struct check k = { .o = o, .findings = json_array(), .fixed = json_array() };
	struct lstool_conn c;
	bool have_conn;
	size_t high;
	int rc;

	if (o->url != NULL && o->nodes == NULL)
		o->nodes = o->url;	/* check --url URL: that one node */
	if (o->fix_trust && !lstool_need_password(o))
		return lstool_usage_error("check", "--fix-trust needs --password or "
		    "--password-file");
	if ((rc = check_find_nodes(&k, &c, &have_conn)) != TOOL_EXIT_OK) {
		check_free(&k);
		return rc;
	}
	if (have_conn)
		lstool_close(&c);
	check_read(&k);
	check_reach(&k);
	check_divergence(&k);
	check_duplicates(&k);
	check_stale(&k);
	check_machine_certs(&k);
	check_trust(&k);
	if (o->fix_trust)
		check_fix_trust(&k);
	high = check_high(&k);
	if (o->json) {
		tool_json_print(json_pack("{s:o,s:O,s:O,s:b,s:I}", "nodes", check_nodes_json(&k),
		    "findings", k.findings, "fixed", k.fixed, "ok",
		    high == 0 && k.fix_failures == 0, "high", (json_int_t)high));
	} else
		check_print(&k);
	rc = high > 0 || k.fix_failures > 0 ? TOOL_EXIT_FAIL : TOOL_EXIT_OK;
	check_free(&k);
	return rc;
}

const struct lstool_cmd cmd_check = {
	.name = "check",
	.usage = "check every node's registrations (read-only unless --fix-trust)",
	.handler = check_run,
};
