/*
 * schema_subentry.c: the schema subentry (cn=schema, RFC 4512 4.2) with
 * the loaded attribute types and object classes and the syntaxes and
 * matching rules the server implements.
 */
#include <stdio.h>

#include "schema_int.h"

static int
schema_sub_syntaxes(struct entry *e)
{
	const struct schema_syntax	*syn;
	char				 buf[256];
	size_t				 i;

	for (i = 0; i < schema_nsyntaxes; i++) {
		syn = &schema_syntaxes[i];
		snprintf(buf, sizeof(buf), "( %s DESC '%s'%s )", syn->oid,
		    syn->desc, syn->binary ?
		    " X-NOT-HUMAN-READABLE 'TRUE'" : "");
		if (entry_add_str(e, "ldapSyntaxes", buf) == -1)
			return -1;
	}
	return 0;
}

static int
schema_sub_rules(struct entry *e)
{
	const struct schema_rule	*r;
	char				 buf[256];
	size_t				 i;

	for (i = 0; i < schema_nrules; i++) {
		r = &schema_rules[i];
		snprintf(buf, sizeof(buf), "( %s NAME '%s' SYNTAX %s )",
		    r->oid, r->name, r->syntax);
		if (entry_add_str(e, "matchingRules", buf) == -1)
			return -1;
	}
	return 0;
}

struct entry *
schema_subentry(const struct schema *s)
{
	struct entry	*e;
	size_t		 i;

	if ((e = entry_new("cn=schema", "cn=schema")) == NULL)
		return NULL;
	if (entry_add_str(e, "objectClass", "top") == -1 ||
	    entry_add_str(e, "objectClass", "subentry") == -1 ||
	    entry_add_str(e, "objectClass", "subschema") == -1 ||
	    entry_add_str(e, "cn", "schema") == -1)
		goto fail;
	for (i = 0; i < s->nats; i++)
		if (entry_add_str(e, "attributeTypes", s->ats[i]->str) == -1)
			goto fail;
	for (i = 0; i < s->nocs; i++)
		if (entry_add_str(e, "objectClasses", s->ocs[i]->str) == -1)
			goto fail;
	if (schema_sub_syntaxes(e) == -1 || schema_sub_rules(e) == -1)
		goto fail;
	for (i = 0; i < e->nattrs; i++)
		e->attrs[i].at = schema_at(s, e->attrs[i].name);
	return e;
fail:
	entry_free(e);
	return NULL;
}
