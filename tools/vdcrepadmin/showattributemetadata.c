/*
 * showattributemetadata.c: the per-attribute replication metadata of one
 * entry (-e DN), optionally of one attribute (-a ATTR), as the node
 * given with -h holds it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tools/vdcrepadmin/vdcrepadmin.h"

static void
attrmeta_print(const struct attr_meta *m)
{
	printf("\tAttribute: %s\n", m->attr);
	printf("\tLocal USN: %" PRIu64 "\n", m->local_usn);
	printf("\tVersion: %" PRIu64 "\n", m->version);
	printf("\tOriginating Id: %s\n", m->orig_invocation);
	printf("\tOriginating time: %s\n", m->orig_time);
	printf("\tOriginating USN: %" PRIu64 "\n", m->orig_usn);
	printf("\n");
}

static json_t *
attrmeta_json(const struct attr_meta *m)
{
	return json_pack("{s:s, s:I, s:I, s:s, s:s, s:I}", "attribute", m->attr,
	    "localUsn", (json_int_t)m->local_usn, "version", (json_int_t)m->version,
	    "originatingId", m->orig_invocation, "originatingTime", m->orig_time,
	    "originatingUsn", (json_int_t)m->orig_usn);
}

static int
showattributemetadata_run(struct repadmin_opts *o)
{
	char *attrs[] = { "attributeMetaData", NULL };
	struct repadmin_node n;
	struct attr_meta m;
	LDAPMessage *res = NULL, *e;
	json_t *arr = NULL;
	char **meta = NULL, *name;
	size_t i, shown = 0;
	int rc, ret = TOOL_EXIT_OK;

	if (repadmin_open_main(o, &n) != TOOL_EXIT_OK)
		return TOOL_EXIT_FAIL;
	rc = ldap_search_ext_s(n.ld, o->entry_dn, LDAP_SCOPE_BASE,
	    "(objectClass=*)", attrs, 0, NULL, NULL, NULL, 0, &res);
	if (rc != LDAP_SUCCESS) {
		ret = repadmin_fail_ld(n.ld, rc);
		goto out;
	}
	if ((e = ldap_first_entry(n.ld, res)) == NULL) {
		ret = repadmin_fail("No such object", LDAP_NO_SUCH_OBJECT);
		goto out;
	}
	meta = tool_values(n.ld, e, "attributeMetaData");
	name = tool_hostname(n.host, n.port);
	if (o->json)
		arr = json_array();
	else
		printf("Domain Controller: %s\n", name);
	for (i = 0; meta != NULL && meta[i] != NULL; i++) {
		if (meta_parse(meta[i], strlen(meta[i]), &m) != LDAP_SUCCESS)
			continue;
		if (o->attr != NULL && strcasecmp(o->attr, m.attr) != 0)
			continue;
		shown++;
		if (arr != NULL)
			json_array_append_new(arr, attrmeta_json(&m));
		else
			attrmeta_print(&m);
	}
	if (arr != NULL)
		tool_json_print(json_pack("{s:s, s:s, s:o}", "domainController", name,
		    "dn", o->entry_dn, "metadata", arr));
	free(name);
	if (shown == 0 && o->attr != NULL) {
		char *msg = xasprintf("No metadata for attribute %s", o->attr);

		ret = repadmin_fail(msg, LDAP_NO_SUCH_ATTRIBUTE);
		free(msg);
	}
out:
	tool_values_free(meta);
	ldap_msgfree(res);
	repadmin_node_close(&n);
	return ret;
}

const struct repadmin_cmd cmd_showattributemetadata = {
	.name = "showattributemetadata",
	.usage = "-e DN [-a ATTR]: replication metadata of an entry",
	.need_entry = true,
	.handler = showattributemetadata_run,
};
