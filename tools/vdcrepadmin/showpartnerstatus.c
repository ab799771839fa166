/*
 * showpartnerstatus.c: for every partner of one node (its agreements),
 * whether the partner answers and how far it trails this node:
 * "Partner has seen my change number" is the high-water mark the partner's
 * agreement pointing back here holds; "Partner is N changes behind" counts
 * this node's entries the partner would still receive (behind.c); "My
 * last change number" is the highest uSNChanged among them, or this
 * node's highest committed USN when the partner needs nothing.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/vdcrepadmin/vdcrepadmin.h"

struct pstatus {
	char		*name;		/* host[:port] as printed */
	char		*uri;		/* the agreement's labeledURI */
	bool		 host_ok;
	bool		 status_ok;
	uint64_t	 seen;		/* partner has seen my change number */
	uint64_t	 last;		/* my last change number */
	uint64_t	 behind;
	char		*why;		/* why the host or status is unavailable */
};

struct pstatus_uris {
	size_t		  n;
	char		**v;
};

struct pstatus_back {
	const struct pstatus_uris *mine;	/* where partners reach this node */
	bool		 found;
	char		*hw;
};

static void
pstatus_add_uri(struct pstatus_uris *u, char *uri)
{
	u->v = xrealloc(u->v, (u->n + 1) * sizeof(*u->v));
	u->v[u->n++] = uri;
}

static int
pstatus_collect_uri(LDAP *ld, LDAPMessage *e, void *arg)
{
	char *uri = tool_value(ld, e, "labeledURI");

	if (uri != NULL)
		pstatus_add_uri(arg, uri);
	return 0;
}

/* Every labeledURI value (a server object records LDAP and LDAPS). */
static int
pstatus_collect_uris(LDAP *ld, LDAPMessage *e, void *arg)
{
	char **v = tool_values(ld, e, "labeledURI");

	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		pstatus_add_uri(arg, xstrdup(v[i]));
	tool_values_free(v);
	return 0;
}

/* Finds the partner's agreement that pulls from this node. */
static int
pstatus_back_entry(LDAP *ld, LDAPMessage *e, void *arg)
{
	struct pstatus_back *b = arg;
	char *uri = tool_value(ld, e, "labeledURI");

	bool same = false;

	for (size_t i = 0; uri != NULL && i < b->mine->n && !same; i++)
		same = tool_same_server(uri, b->mine->v[i]);
	if (same) {
		b->found = true;
		b->hw = tool_value(ld, e, "lastLocalUsnProcessed");
		free(uri);
		return 1;
	}
	free(uri);
	return 0;
}

/* Fills ps for the partner at ps->uri; returns an LDAP code for failures on my side. */
static int
pstatus_partner(struct repadmin_opts *o, struct repadmin_node *me,
    const struct pstatus_uris *mine, struct pstatus *ps)
{
	char *back_attrs[] = { "labeledURI", "lastLocalUsnProcessed", NULL };
	struct pstatus_back back = { .mine = mine };
	struct repadmin_need need = { NULL, 0 };
	struct repadmin_node p;
	struct utdv utdv;
	char *host = NULL, *base, *msg = NULL;
	uint64_t last = 0;
	int port, rc;

	if (!tool_parse_hostport(ps->uri, TOOL_DEFAULT_PORT, &host, &port)) {
		ps->name = xstrdup(ps->uri);
		ps->why = xstrdup("malformed agreement URI");
		return LDAP_SUCCESS;
	}
	ps->name = tool_hostname(host, port);
	free(host);
	/* as replication reaches it: ldap:// or ldaps:// */
	rc = repadmin_node_open(o, ps->uri, &p, &msg);
	if (rc != LDAP_SUCCESS) {
		ps->why = msg;
		repadmin_node_close(&p);
		return LDAP_SUCCESS;
	}
	ps->host_ok = true;

	base = repadmin_agreements_base(p.dse.server_name);
	rc = tool_search(p.ld, base, LDAP_SCOPE_ONELEVEL,
	    "(objectClass=vmwReplicationAgreement)", back_attrs,
	    pstatus_back_entry, &back);
	free(base);
	if (!back.found || back.hw == NULL) {
		ps->why = back.found ? xstrdup("partner has no high-water mark for this node") :
		    xstrdup("partner has no agreement pointing at this node");
		free(back.hw);
		repadmin_node_close(&p);
		return LDAP_SUCCESS;
	}
	ps->seen = strtoull(back.hw, NULL, 10);
	free(back.hw);
	if ((rc = repadmin_read_utdv(p.ld, p.dse.server_name, &utdv, &msg)) != LDAP_SUCCESS) {
		ps->why = msg;
		repadmin_node_close(&p);
		return LDAP_SUCCESS;
	}
	repadmin_node_close(&p);
	ps->status_ok = true;

	rc = repadmin_need_scan(me->ld, me->dse.nc, ps->seen, &utdv, &need, &last);
	repl_utdv_free(&utdv);
	ps->behind = repadmin_need_count(&need);
	repadmin_need_free(&need);
	/* what the partner would still receive from me; all of it when it needs nothing */
	ps->last = ps->behind > 0 ? last : me->dse.highest_usn;
	return rc;
}

static void
pstatus_print(const struct pstatus *ps, bool first)
{
	if (!first)
		printf("\n");
	printf("Partner: %s\n", ps->name);
	printf("Host available:   %s\n", ps->host_ok ? "Yes" : "No");
	printf("Status available: %s\n", ps->status_ok ? "Yes" : "No");
	if (!ps->status_ok)
		return;
	printf("My last change number:             %" PRIu64 "\n", ps->last);
	printf("Partner has seen my change number: %" PRIu64 "\n", ps->seen);
	printf("Partner is %" PRIu64 " changes behind.\n", ps->behind);
}

static json_t *
pstatus_json(const struct pstatus *ps)
{
	json_t *j = json_pack("{s:s, s:s, s:b, s:b}", "partner", ps->name,
	    "uri", ps->uri, "hostAvailable", ps->host_ok,
	    "statusAvailable", ps->status_ok);

	if (ps->status_ok) {
		json_object_set_new(j, "myLastChangeNumber", json_integer((json_int_t)ps->last));
		json_object_set_new(j, "partnerSeenChangeNumber", json_integer((json_int_t)ps->seen));
		json_object_set_new(j, "changesBehind", json_integer((json_int_t)ps->behind));
	}
	if (ps->why != NULL)
		json_object_set_new(j, "reason", json_string(ps->why));
	return j;
}

static int
showpartnerstatus_run(struct repadmin_opts *o)
{
	char *attrs[] = { "labeledURI", NULL };
	struct pstatus_uris uris = { 0, NULL }, mine = { 0, NULL };
	struct repadmin_node me;
	struct pstatus ps;
	json_t *arr = NULL;
	char *base;
	size_t i;
	int rc, ret = TOOL_EXIT_OK;

	if (repadmin_open_main(o, &me) != TOOL_EXIT_OK)
		return TOOL_EXIT_FAIL;
	base = repadmin_agreements_base(me.dse.server_name);
	rc = tool_search(me.ld, base, LDAP_SCOPE_ONELEVEL,
	    "(objectClass=vmwReplicationAgreement)", attrs, pstatus_collect_uri, &uris);
	free(base);
	if (rc != LDAP_SUCCESS && rc != LDAP_NO_SUCH_OBJECT) {
		ret = repadmin_fail_ld(me.ld, rc);
		goto out;
	}
	/* partners may reach this node at any URI its server object records
	 * (LDAP, LDAPS), or at the one we came in by */
	pstatus_add_uri(&mine, xstrdup(me.uri));
	tool_search(me.ld, me.dse.server_name, LDAP_SCOPE_BASE, "(objectClass=*)", attrs,
	    pstatus_collect_uris, &mine);
	if (o->json)
		arr = json_array();
	for (i = 0; i < uris.n; i++) {
		memset(&ps, 0, sizeof(ps));
		ps.uri = uris.v[i];
		rc = pstatus_partner(o, &me, &mine, &ps);
		if (rc != LDAP_SUCCESS) {
			ret = repadmin_fail_ld(me.ld, rc);
			free(ps.name);
			free(ps.why);
			break;
		}
		if (arr != NULL)
			json_array_append_new(arr, pstatus_json(&ps));
		else
			pstatus_print(&ps, i == 0);
		free(ps.name);
		free(ps.why);
	}
	if (ret == TOOL_EXIT_OK)
		tool_json_print(arr);
	else
		json_decref(arr);
out:
	for (i = 0; i < uris.n; i++)
		free(uris.v[i]);
	free(uris.v);
	for (i = 0; i < mine.n; i++)
		free(mine.v[i]);
	free(mine.v);
	repadmin_node_close(&me);
	return ret;
}

const struct repadmin_cmd cmd_showpartnerstatus = {
	.name = "showpartnerstatus",
	.usage = "how far each partner trails this node",
	.handler = showpartnerstatus_run,
};
