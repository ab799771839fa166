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

static char *
showservers_base(const struct repadmin_node *n)
{
	return repadmin_sites_base(n->dse.nc);
}

static int
showservers_run(struct repadmin_opts *o)
{
	char *attrs[] = { "cn", "serverId", "invocationId", NULL };

	return repadmin_list(o, showservers_base, LDAP_SCOPE_SUBTREE,
	    "(objectClass=vmwDirServer)", attrs, false, showservers_entry);
}

const struct repadmin_cmd cmd_showservers = {
	.name = "showservers",
	.usage = "list the servers of the domain",
	.handler = showservers_run,
};
