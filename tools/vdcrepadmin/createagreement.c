/*
 * createagreement.c: -h SRC -H DST makes DST pull from SRC (an agreement
 * entry under DST's server object); -2 also makes SRC pull from DST.
 */
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "tools/vdcrepadmin/vdcrepadmin.h"

/* Adds to consumer an agreement pulling from supplier. */
static int
createagreement_one(struct repadmin_node *consumer, struct repadmin_node *supplier)
{
	char *oc_vals[] = { "vmwReplicationAgreement", NULL };
	char *uri_vals[] = { supplier->uri, NULL };
	LDAPMod oc = { LDAP_MOD_ADD, "objectClass", { oc_vals } };
	LDAPMod uri = { LDAP_MOD_ADD, "labeledURI", { uri_vals } };
	LDAPMod *mods[] = { &oc, &uri, NULL };
	char *base, *dn;
	int rc;

	base = repadmin_agreements_base(consumer->dse.server_name);
	dn = xasprintf("labeledURI=%s,%s", supplier->uri, base);
	free(base);
	rc = ldap_add_ext_s(consumer->ld, dn, mods, NULL, NULL);
	free(dn);
	if (rc != LDAP_SUCCESS)
		return repadmin_fail_ld(consumer->ld, rc);
	printf("Replication agreement created: %s pulls from %s\n",
	    consumer->uri, supplier->uri);
	return TOOL_EXIT_OK;
}

static int
createagreement_run(struct repadmin_opts *o)
{
	struct repadmin_node src, dst;
	char *msg = NULL;
	int rc, ret;

	if (repadmin_open_main(o, &src) != TOOL_EXIT_OK)
		return TOOL_EXIT_FAIL;
	if ((rc = repadmin_node_open(o, o->uri2, &dst, &msg)) != LDAP_SUCCESS) {
		ret = repadmin_fail(msg, rc);
		goto out;
	}
	if (strcasecmp(src.dse.nc, dst.dse.nc) != 0) {
		ret = repadmin_fail("the two servers are in different domains",
		    LDAP_UNWILLING_TO_PERFORM);
		goto out;
	}
	if (strcasecmp(src.dse.server_name, dst.dse.server_name) == 0) {
		ret = repadmin_fail("source and destination are the same server",
		    LDAP_UNWILLING_TO_PERFORM);
		goto out;
	}
	ret = createagreement_one(&dst, &src);
	if (ret == TOOL_EXIT_OK && o->two_way)
		ret = createagreement_one(&src, &dst);
out:
	free(msg);
	repadmin_node_close(&dst);
	repadmin_node_close(&src);
	return ret;
}

const struct repadmin_cmd cmd_createagreement = {
	.name = "createagreement",
	.usage = "[-2] -h SRC -H DST: DST pulls from SRC (-2: both ways)",
	.need_host2 = true,
	.handler = createagreement_run,
};
