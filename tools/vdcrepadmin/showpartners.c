/*
 * showpartners.c: the replication agreements of one node (the partners
 * it pulls from), one LDAP URI a line.
 */
#include <stdio.h>
#include <stdlib.h>

#include "tools/vdcrepadmin/vdcrepadmin.h"

static int
showpartners_entry(LDAP *ld, LDAPMessage *e, void *arg)
{
	json_t *arr = arg;
	char *uri = tool_value(ld, e, "labeledURI"), *hw, *dn;

	if (uri == NULL)
		return 0;
	if (arr == NULL) {
		printf("%s\n", uri);
		free(uri);
		return 0;
	}
	dn = tool_dn(ld, e);
	hw = tool_value(ld, e, "lastLocalUsnProcessed");
	json_array_append_new(arr, json_pack("{s:s, s:s, s:o}", "uri", uri,
	    "dn", dn, "lastLocalUsnProcessed",
	    hw ? json_integer(strtoll(hw, NULL, 10)) : json_null()));
	free(dn);
	free(hw);
	free(uri);
	return 0;
}

static char *
showpartners_base(const struct repadmin_node *n)
{
	return repadmin_agreements_base(n->dse.server_name);
}

static int
showpartners_run(struct repadmin_opts *o)
{
	char *attrs[] = { "labeledURI", "lastLocalUsnProcessed", NULL };

	return repadmin_list(o, showpartners_base, LDAP_SCOPE_ONELEVEL,
	    "(objectClass=vmwReplicationAgreement)", attrs, true, showpartners_entry);
}

const struct repadmin_cmd cmd_showpartners = {
	.name = "showpartners",
	.usage = "list the partners this node replicates from",
	.handler = showpartners_run,
};
