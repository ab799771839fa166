/*
 * showconflicts.c: entries that replication had to rename (add-add
 * conflicts: an RDN ending in " CNF:<guid>" and vmwConflictOriginalDN)
 * or move to cn=LostAndFound (their parent was deleted elsewhere).
 */
#include <stdio.h>
#include <stdlib.h>

#include "tools/vdcrepadmin/vdcrepadmin.h"

struct conflicts {
	json_t		*arr;
	const char	*kind;
	size_t		 n;
};

static int
conflicts_entry(LDAP *ld, LDAPMessage *e, void *arg)
{
	struct conflicts *c = arg;
	char *dn = tool_dn(ld, e), *orig = tool_value(ld, e, "vmwConflictOriginalDN");

	c->n++;
	if (c->arr != NULL)
		json_array_append_new(c->arr, json_pack("{s:s, s:s, s:s?}",
		    "type", c->kind, "dn", dn, "originalDn", orig));
	else {
		printf("%s: %s\n", c->kind, dn);
		if (orig != NULL)
			printf("\tOriginal DN: %s\n", orig);
	}
	free(dn);
	free(orig);
	return 0;
}

static int
showconflicts_run(struct repadmin_opts *o)
{
	char *attrs[] = { "vmwConflictOriginalDN", NULL };
	struct conflicts c = { NULL, "Conflict", 0 };
	struct repadmin_node n;
	char *lf;
	int rc;

	if (repadmin_open_main(o, &n) != TOOL_EXIT_OK)
		return TOOL_EXIT_FAIL;
	if (o->json)
		c.arr = json_array();
	rc = tool_search(n.ld, n.dse.nc, LDAP_SCOPE_SUBTREE,
	    "(|(vmwConflictOriginalDN=*)(cn=* CNF:*))", attrs, conflicts_entry, &c);
	if (rc == LDAP_SUCCESS) {
		c.kind = "LostAndFound";
		lf = xasprintf("cn=LostAndFound,%s", n.dse.nc);
		rc = tool_search(n.ld, lf, LDAP_SCOPE_ONELEVEL, "(objectClass=*)",
		    attrs, conflicts_entry, &c);
		free(lf);
		if (rc == LDAP_NO_SUCH_OBJECT)
			rc = LDAP_SUCCESS;
	}
	if (rc != LDAP_SUCCESS) {
		json_decref(c.arr);
		rc = repadmin_fail_ld(n.ld, rc);
		repadmin_node_close(&n);
		return rc;
	}
	if (c.arr != NULL)
		tool_json_print(c.arr);
	else
		printf("Number of conflicts: %zu\n", c.n);
	repadmin_node_close(&n);
	return TOOL_EXIT_OK;
}

const struct repadmin_cmd cmd_showconflicts = {
	.name = "showconflicts",
	.usage = "entries renamed by conflicts or moved to LostAndFound",
	.handler = showconflicts_run,
};
