/*
 * showservers.c: every directory server of the domain (vmwDirServer
 * objects under cn=Sites), one DN a line.
 */
#include <stdio.h>
#include <stdlib.h>

#include "tools/vdcrepadmin/vdcrepadmin.h"

static int
showservers_entry(LDAP *ld, LDAPMessage *e, void *arg)
{
	json_t *arr = arg;
	char *dn = tool_dn(ld, e), *cn, *sid, *inv;

	if (arr == NULL) {
		printf("%s\n", dn);
		free(dn);
		return 0;
	}
	cn = tool_value(ld, e, "cn");
	sid = tool_value(ld, e, "serverId");
	inv = tool_value(ld, e, "invocationId");
	json_array_append_new(arr, json_pack("{s:s, s:s?, s:s?, s:s?}",
	    "dn", dn, "name", cn, "serverId", sid, "invocationId", inv));
	free(dn);
	free(cn);
	free(sid);
	free(inv);
	return 0;
}

static int
showservers_run(struct repadmin_opts *o)
{
	char *attrs[] = { "cn", "serverId", "invocationId", NULL };
	struct repadmin_node n;
	json_t *arr = NULL;
	char *base;
	int rc;

	if (repadmin_open_main(o, &n) != TOOL_EXIT_OK)
		return TOOL_EXIT_FAIL;
	if (o->json)
		arr = json_array();
	base = repadmin_sites_base(n.dse.nc);
	rc = tool_search(n.ld, base, LDAP_SCOPE_SUBTREE,
	    "(objectClass=vmwDirServer)", attrs, showservers_entry, arr);
	free(base);
	if (rc != LDAP_SUCCESS) {
		json_decref(arr);
		rc = repadmin_fail_ld(n.ld, rc);
		repadmin_node_close(&n);
		return rc;
	}
	tool_json_print(arr);
	repadmin_node_close(&n);
	return TOOL_EXIT_OK;
}

const struct repadmin_cmd cmd_showservers = {
	.name = "showservers",
	.usage = "list the servers of the domain",
	.handler = showservers_run,
};
