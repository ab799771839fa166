/*
 * showfederationstatus.c: one row per server of the domain: its LDAP URI
 * (found among the agreements' labeledURIs), live invocation id, highest
 * committed USN, highest originating USN (its own element of its UTDV)
 * and how far it trails: the entries some other reachable server would
 * still send it, each counted once (behind.c, the definition
 * showpartnerstatus uses too).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tools/vdcrepadmin/vdcrepadmin.h"

struct fed_mark {
	char		*uri;		/* an agreement's supplier */
	uint64_t	 hwm;		/* its lastLocalUsnProcessed */
};

struct fed_node {
	char		*uri;
	char		*server_dn;
	char		*invocation_id;
	uint64_t	 committed;
	uint64_t	 originating;
	struct utdv	 utdv;
	struct repadmin_node conn;	/* kept open to count what others need */
	struct fed_mark	*marks;		/* its agreements */
	size_t		 nmarks;
	uint64_t	 trailing;
};

struct fed_server {
	char		*dn;
	char		*name;
	struct fed_node	*node;		/* NULL: unreachable */
};

struct fed {
	size_t		  nuris;
	char		**uris;
	size_t		  nservers;
	struct fed_server *servers;
	size_t		  nnodes;
	struct fed_node	 *nodes;
};

static void
fed_add_uri(struct fed *f, const char *uri)
{
	size_t i;

	for (i = 0; i < f->nuris; i++)
		if (tool_same_server(f->uris[i], uri))
			return;
	f->uris = xrealloc(f->uris, (f->nuris + 1) * sizeof(*f->uris));
	f->uris[f->nuris++] = xstrdup(uri);
}

static int
fed_agreement_entry(LDAP *ld, LDAPMessage *e, void *arg)
{
	char *uri = tool_value(ld, e, "labeledURI");

	if (uri != NULL)
		fed_add_uri(arg, uri);
	free(uri);
	return 0;
}

static int
fed_server_entry(LDAP *ld, LDAPMessage *e, void *arg)
{
	struct fed *f = arg;
	struct fed_server *s;

	f->servers = xrealloc(f->servers, (f->nservers + 1) * sizeof(*f->servers));
	s = &f->servers[f->nservers++];
	s->dn = tool_dn(ld, e);
	if ((s->name = tool_value(ld, e, "cn")) == NULL)
		s->name = xstrdup(s->dn);
	s->node = NULL;
	return 0;
}

static int
fed_mark_entry(LDAP *ld, LDAPMessage *e, void *arg)
{
	struct fed_node *fn = arg;
	char *uri = tool_value(ld, e, "labeledURI"), *hw;

	if (uri == NULL)
		return 0;
	hw = tool_value(ld, e, "lastLocalUsnProcessed");
	fn->marks = xrealloc(fn->marks, (fn->nmarks + 1) * sizeof(*fn->marks));
	fn->marks[fn->nmarks].uri = uri;
	fn->marks[fn->nmarks].hwm = hw ? strtoull(hw, NULL, 10) : 0;
	fn->nmarks++;
	free(hw);
	return 0;
}

/* Reads one reachable node's state and keeps it open; false when it
 * cannot be reached. */
static bool
fed_probe(struct repadmin_opts *o, const char *uri, struct fed_node *fn)
{
	char *attrs[] = { "labeledURI", "lastLocalUsnProcessed", NULL };
	char *msg = NULL, *base;
	int rc;

	memset(fn, 0, sizeof(*fn));
	rc = repadmin_node_open(o, uri, &fn->conn, &msg);
	free(msg);
	msg = NULL;
	if (rc == LDAP_SUCCESS)
		rc = repadmin_read_utdv(fn->conn.ld, fn->conn.dse.server_name, &fn->utdv, &msg);
	free(msg);
	if (rc != LDAP_SUCCESS) {
		repadmin_node_close(&fn->conn);
		repl_utdv_free(&fn->utdv);
		return false;
	}
	fn->uri = xstrdup(uri);
	fn->server_dn = xstrdup(fn->conn.dse.server_name);
	fn->invocation_id = xstrdup(fn->conn.dse.invocation_id ? fn->conn.dse.invocation_id : "");
	fn->committed = fn->conn.dse.highest_usn;
	if ((fn->originating = repl_utdv_get(&fn->utdv, fn->invocation_id)) == 0)
		fn->originating = fn->committed;
	base = repadmin_agreements_base(fn->server_dn);
	tool_search(fn->conn.ld, base, LDAP_SCOPE_ONELEVEL,
	    "(objectClass=vmwReplicationAgreement)", attrs, fed_mark_entry, fn);
	free(base);
	return true;
}

/* The mark n's agreement with h holds; 0 when n does not pull from h. */
static uint64_t
fed_mark(const struct fed_node *n, const struct fed_node *h)
{
	for (size_t i = 0; i < n->nmarks; i++)
		if (tool_same_server(n->marks[i].uri, h->uri))
			return n->marks[i].hwm;
	return 0;
}

/* The entries the other reachable nodes would still send n, each once. */
static int
fed_trailing(struct fed *f, struct fed_node *n)
{
	struct repadmin_need need = { NULL, 0 };
	int rc = LDAP_SUCCESS;

	for (size_t i = 0; i < f->nnodes && rc == LDAP_SUCCESS; i++) {
		struct fed_node *h = &f->nodes[i];

		if (h != n)
			rc = repadmin_need_scan(h->conn.ld, h->conn.dse.nc,
			    fed_mark(n, h), &n->utdv, &need, NULL);
	}
	n->trailing = repadmin_need_count(&need);
	repadmin_need_free(&need);
	return rc;
}

static void
fed_output(const struct fed *f, bool json)
{
	json_t *arr = json ? json_array() : NULL;
	size_t i;

	if (!json)
		printf("%-20s %-28s %-36s %13s %15s %8s\n", "Server", "URI",
		    "Invocation ID", "Committed USN", "Originating USN", "Trailing");
	for (i = 0; i < f->nservers; i++) {
		const struct fed_server *s = &f->servers[i];
		const struct fed_node *n = s->node;

		if (json && n == NULL)
			json_array_append_new(arr, json_pack("{s:s, s:s, s:b}",
			    "server", s->name, "dn", s->dn, "reachable", 0));
		else if (json)
			json_array_append_new(arr, json_pack(
			    "{s:s, s:s, s:b, s:s, s:s, s:I, s:I, s:I}",
			    "server", s->name, "dn", s->dn, "reachable", 1,
			    "uri", n->uri, "invocationId", n->invocation_id,
			    "highestCommittedUsn", (json_int_t)n->committed,
			    "highestOriginatingUsn", (json_int_t)n->originating,
			    "trailing", (json_int_t)n->trailing));
		else if (n == NULL)
			printf("%-20s unreachable\n", s->name);
		else
			printf("%-20s %-28s %-36s %13" PRIu64 " %15" PRIu64 " %8" PRIu64 "\n",
			    s->name, n->uri, n->invocation_id, n->committed,
			    n->originating, n->trailing);
	}
	if (json)
		tool_json_print(arr);
}

static void
fed_free(struct fed *f)
{
	size_t i;

	for (i = 0; i < f->nuris; i++)
		free(f->uris[i]);
	free(f->uris);
	for (i = 0; i < f->nservers; i++) {
		free(f->servers[i].dn);
		free(f->servers[i].name);
	}
	free(f->servers);
	for (i = 0; i < f->nnodes; i++) {
		free(f->nodes[i].uri);
		free(f->nodes[i].server_dn);
		free(f->nodes[i].invocation_id);
		repl_utdv_free(&f->nodes[i].utdv);
		repadmin_node_close(&f->nodes[i].conn);
		for (size_t j = 0; j < f->nodes[i].nmarks; j++)
			free(f->nodes[i].marks[j].uri);
		free(f->nodes[i].marks);
	}
	free(f->nodes);
}

static int
showfederationstatus_run(struct repadmin_opts *o)
{
	char *sattrs[] = { "cn", NULL }, *aattrs[] = { "labeledURI", NULL };
	struct repadmin_node me;
	struct fed f;
	char *base;
	size_t i, j;
	int rc;

	memset(&f, 0, sizeof(f));
	if (repadmin_open_main(o, &me) != TOOL_EXIT_OK)
		return TOOL_EXIT_FAIL;
	base = repadmin_sites_base(me.dse.nc);
	rc = tool_search(me.ld, base, LDAP_SCOPE_SUBTREE,
	    "(objectClass=vmwDirServer)", sattrs, fed_server_entry, &f);
	if (!tool_is_ldapi(me.uri))
		fed_add_uri(&f, me.uri);
	if (rc == LDAP_SUCCESS)
		rc = tool_search(me.ld, base, LDAP_SCOPE_SUBTREE,
		    "(objectClass=vmwReplicationAgreement)", aattrs,
		    fed_agreement_entry, &f);
	free(base);
	if (rc != LDAP_SUCCESS) {
		rc = repadmin_fail_ld(me.ld, rc);
		repadmin_node_close(&me);
		fed_free(&f);
		return rc;
	}
	repadmin_node_close(&me);

	f.nodes = xcalloc(f.nuris, sizeof(*f.nodes));
	for (i = 0; i < f.nuris; i++)
		if (fed_probe(o, f.uris[i], &f.nodes[f.nnodes]))
			f.nnodes++;
	for (i = 0; i < f.nservers; i++)
		for (j = 0; j < f.nnodes && f.servers[i].node == NULL; j++)
			if (strcasecmp(f.servers[i].dn, f.nodes[j].server_dn) == 0)
				f.servers[i].node = &f.nodes[j];
	for (i = 0; i < f.nnodes; i++)
		if ((rc = fed_trailing(&f, &f.nodes[i])) != LDAP_SUCCESS) {
			rc = repadmin_fail_ld(f.nodes[i].conn.ld, rc);
			fed_free(&f);
			return rc;
		}
	fed_output(&f, o->json);
	fed_free(&f);
	return TOOL_EXIT_OK;
}

const struct repadmin_cmd cmd_showfederationstatus = {
	.name = "showfederationstatus",
	.usage = "every server's invocation id, USNs and how far it trails",
	.handler = showfederationstatus_run,
};
