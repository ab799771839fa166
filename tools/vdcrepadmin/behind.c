/*
 * behind.c: how far a node trails, the one definition that
 * showpartnerstatus and showfederationstatus share.
 *
 * A consumer C still needs, from a node H that holds changes, every entry
 * of H whose uSNChanged is above the high-water mark C's agreement with H
 * holds (0 when C has no agreement with H) and whose metadata carries an
 * attribute change that C's up-to-dateness vector does not cover: exactly
 * what H would send C on its next pull. "Behind" counts those entries,
 * told apart by objectGUID, so an entry that C lacks counts once however
 * many nodes it has travelled through.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tools/vdcrepadmin/vdcrepadmin.h"

struct need_scan {
	struct repadmin_need	*need;
	const struct utdv	*utdv;
	uint64_t		 last;
};

/* Whether some change in e's metadata is not covered by u. */
static bool
need_entry_needed(LDAP *ld, LDAPMessage *e, const struct utdv *u)
{
	char **meta = tool_values(ld, e, "attributeMetaData");
	struct attr_meta m;
	bool needed = false;

	for (size_t i = 0; meta != NULL && meta[i] != NULL && !needed; i++)
		if (meta_parse(meta[i], strlen(meta[i]), &m) == LDAP_SUCCESS &&
		    !repl_utdv_covers(u, &m))
			needed = true;
	tool_values_free(meta);
	return needed;
}

static int
need_entry(LDAP *ld, LDAPMessage *e, void *arg)
{
	struct need_scan *s = arg;
	struct repadmin_need *n = s->need;
	char *usn, *key;
	uint64_t changed;

	if (!need_entry_needed(ld, e, s->utdv))
		return 0;
	usn = tool_value(ld, e, "uSNChanged");
	changed = usn ? strtoull(usn, NULL, 10) : 0;
	free(usn);
	if (changed > s->last)
		s->last = changed;
	if ((key = tool_value(ld, e, "objectGUID")) == NULL)
		key = tool_dn(ld, e);
	n->keys = xrealloc(n->keys, (n->nkeys + 1) * sizeof(*n->keys));
	n->keys[n->nkeys++] = key;
	return 0;
}

int
repadmin_need_scan(LDAP *holder, const char *nc, uint64_t from,
    const struct utdv *consumer, struct repadmin_need *need, uint64_t *last)
{
	char *attrs[] = { "objectGUID", "uSNChanged", "attributeMetaData", NULL };
	struct need_scan s = { need, consumer, 0 };
	char *filter = xasprintf("(uSNChanged>=%" PRIu64 ")", from + 1);
	int rc;

	rc = tool_search(holder, nc, LDAP_SCOPE_SUBTREE, filter, attrs, need_entry, &s);
	free(filter);
	if (last != NULL)
		*last = s.last;
	return rc;
}

static int
need_cmp(const void *a, const void *b)
{
	return strcasecmp(*(char *const *)a, *(char *const *)b);
}

uint64_t
repadmin_need_count(struct repadmin_need *need)
{
	size_t i, n = 0;

	if (need->nkeys == 0)
		return 0;
	qsort(need->keys, need->nkeys, sizeof(*need->keys), need_cmp);
	for (i = 1, n = 1; i < need->nkeys; i++)
		if (strcasecmp(need->keys[i], need->keys[i - 1]) != 0)
			n++;
	return n;
}

void
repadmin_need_free(struct repadmin_need *need)
{
	if (need == NULL)
		return;
	for (size_t i = 0; i < need->nkeys; i++)
		free(need->keys[i]);
	free(need->keys);
	memset(need, 0, sizeof(*need));
}

int
repadmin_read_utdv(LDAP *ld, const char *server_dn, struct utdv *u, char **msg)
{
	char *vec = NULL;
	int rc;

	*u = (struct utdv)REPL_UTDV_INIT;
	*msg = NULL;
	if ((rc = tool_read_attr(ld, server_dn, "upToDateVector", &vec)) != LDAP_SUCCESS) {
		*msg = tool_ldap_errmsg(ld, rc);
		return rc;
	}
	if (vec != NULL && repl_utdv_parse(vec, u) != LDAP_SUCCESS) {
		*msg = xasprintf("malformed upToDateVector: %s", vec);
		rc = LDAP_INVALID_SYNTAX;
	}
	free(vec);
	return rc;
}
