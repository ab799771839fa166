/*
 * showfederationstatus.c: one row per server of the domain: its LDAP URI
 * (found among the agreements' labeledURIs), live invocation id, highest
 * committed USN, highest originating USN (its own element of its UTDV)
 * and how many originating USNs of the other reachable servers it has not
 * seen yet (from its UTDV).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tools/vdcrepadmin/vdcrepadmin.h"

struct fed_node {
	char		*uri;
	char		*server_dn;
	char		*invocation_id;
	uint64_t	 committed;
	uint64_t	 originating;
	struct tool_utdv utdv;
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

/* Reads one reachable node's state; false when it cannot be reached. */
static bool
fed_probe(struct repadmin_opts *o, const char *uri, struct fed_node *fn)
{
	struct repadmin_node n;
	char *host = NULL, *msg = NULL, *vec = NULL;
	int port, rc;

	memset(fn, 0, sizeof(*fn));
	if (!tool_parse_hostport(uri, TOOL_DEFAULT_PORT, &host, &port))
		return false;
	rc = repadmin_node_open(o, host, port, &n, &msg);
	free(host);
	free(msg);
	if (rc != LDAP_SUCCESS) {
		repadmin_node_close(&n);
		return false;
	}
	fn->uri = xstrdup(uri);
	fn->server_dn = xstrdup(n.dse.server_name);
	fn->invocation_id = xstrdup(n.dse.invocation_id ? n.dse.invocation_id : "");
	fn->committed = n.dse.highest_usn;
	tool_read_attr(n.ld, n.dse.server_name, "upToDateVector", &vec);
	tool_utdv_parse(vec, &fn->utdv);
	free(vec);
	if (!tool_utdv_get(&fn->utdv, fn->invocation_id, &fn->originating))
		fn->originating = fn->committed;
	repadmin_node_close(&n);
	return true;
}

/* Originating USNs of the other nodes that n's UTDV does not cover. */
static uint64_t
fed_trailing(const struct fed *f, const struct fed_node *n)
{
	uint64_t sum = 0, have;
	size_t i;

	for (i = 0; i < f->nnodes; i++) {
		const struct fed_node *m = &f->nodes[i];

		if (m == n)
			continue;
		if (!tool_utdv_get(&n->utdv, m->invocation_id, &have))
			have = 0;
		if (m->originating > have)
			sum += m->originating - have;
	}
	return sum;
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
			    "trailing", (json_int_t)fed_trailing(f, n)));
		else if (n == NULL)
			printf("%-20s unreachable\n", s->name);
		else
			printf("%-20s %-28s %-36s %13" PRIu64 " %15" PRIu64 " %8" PRIu64 "\n",
			    s->name, n->uri, n->invocation_id, n->committed,
			    n->originating, fed_trailing(f, n));
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
		tool_utdv_free(&f->nodes[i].utdv);
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
	fed_output(&f, o->json);
	fed_free(&f);
	return TOOL_EXIT_OK;
}

const struct repadmin_cmd cmd_showfederationstatus = {
	.name = "showfederationstatus",
	.usage = "every server's invocation id, USNs and how far it trails",
	.handler = showfederationstatus_run,
};
