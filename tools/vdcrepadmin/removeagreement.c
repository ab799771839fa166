/*
 * removeagreement.c: -h SRC -H DST deletes DST's agreement pulling from
 * SRC; -2 also SRC's agreement pulling from DST.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/vdcrepadmin/vdcrepadmin.h"

struct removeagreement_find {
	const char	*uri;
	char		*dn;
};

static int
removeagreement_entry(LDAP *ld, LDAPMessage *e, void *arg)
{
	struct removeagreement_find *f = arg;
	char *uri = tool_value(ld, e, "labeledURI");

	if (uri != NULL && tool_same_server(uri, f->uri)) {
		f->dn = tool_dn(ld, e);
		free(uri);
		return 1;
	}
	free(uri);
	return 0;
}

/* Deletes consumer's agreement pulling from supplier_uri. */
static int
removeagreement_one(struct repadmin_node *consumer, const char *supplier_uri)
{
	char *attrs[] = { "labeledURI", NULL };
	struct removeagreement_find f = { supplier_uri, NULL };
	char *base, *msg;
	int rc;

	base = repadmin_agreements_base(consumer->dse.server_name);
	rc = tool_search(consumer->ld, base, LDAP_SCOPE_ONELEVEL,
	    "(objectClass=vmwReplicationAgreement)", attrs, removeagreement_entry, &f);
	free(base);
	if (f.dn == NULL) {
		if (rc != LDAP_SUCCESS && rc != LDAP_NO_SUCH_OBJECT)
			return repadmin_fail_ld(consumer->ld, rc);
		msg = xasprintf("%s has no agreement with %s", consumer->uri,
		    supplier_uri);
		repadmin_fail(msg, LDAP_NO_SUCH_OBJECT);
		free(msg);
		return TOOL_EXIT_FAIL;
	}
	rc = ldap_delete_ext_s(consumer->ld, f.dn, NULL, NULL);
	free(f.dn);
	if (rc != LDAP_SUCCESS)
		return repadmin_fail_ld(consumer->ld, rc);
	printf("Replication agreement removed: %s no longer pulls from %s\n",
	    consumer->uri, supplier_uri);
	return TOOL_EXIT_OK;
}

static int
removeagreement_run(struct repadmin_opts *o)
{
	struct repadmin_node src, dst;
	char *msg = NULL, *src_uri;
	int rc, ret;

	memset(&src, 0, sizeof(src));
	src_uri = xstrdup(o->uri);
	if ((rc = repadmin_node_open(o, o->uri2, &dst, &msg)) != LDAP_SUCCESS) {
		ret = repadmin_fail(msg, rc);
		goto out;
	}
	if ((ret = removeagreement_one(&dst, src_uri)) != TOOL_EXIT_OK || !o->two_way)
		goto out;
	if (repadmin_open_main(o, &src) != TOOL_EXIT_OK) {
		ret = TOOL_EXIT_FAIL;
		goto out;
	}
	ret = removeagreement_one(&src, dst.uri);
out:
	free(msg);
	free(src_uri);
	repadmin_node_close(&dst);
	repadmin_node_close(&src);
	return ret;
}

const struct repadmin_cmd cmd_removeagreement = {
	.name = "removeagreement",
	.usage = "[-2] -h SRC -H DST: DST stops pulling from SRC (-2: both ways)",
	.need_host2 = true,
	.handler = removeagreement_run,
};
