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

static int
showpartners_run(struct repadmin_opts *o)
{
	char *attrs[] = { "labeledURI", "lastLocalUsnProcessed", NULL };
	struct repadmin_node n;
	json_t *arr = NULL;
	char *base;
	int rc;

	if (repadmin_open_main(o, &n) != TOOL_EXIT_OK)
		return TOOL_EXIT_FAIL;
	if (o->json)
		arr = json_array();
	base = repadmin_agreements_base(n.dse.server_name);
	rc = tool_search(n.ld, base, LDAP_SCOPE_ONELEVEL,
	    "(objectClass=vmwReplicationAgreement)", attrs, showpartners_entry, arr);
	free(base);
	if (rc == LDAP_NO_SUCH_OBJECT)
		rc = LDAP_SUCCESS;
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

const struct repadmin_cmd cmd_showpartners = {
	.name = "showpartners",
	.usage = "list the partners this node replicates from",
	.handler = showpartners_run,
};
