/*
 * consumer_page.c: a pulled page taken in: its entries applied and the
 * high-water mark advanced in one transaction, and at the end of a cycle
 * the supplier's vector merged; the merge is where a restore of this
 * node from an older copy shows.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"
#include "repl.h"
#include "log.h"
#include "consumer_int.h"

void
page_free(struct page *p)
{
	for (size_t i = 0; i < p->n; i++)
		entry_free(p->ents[i]);
	free(p->ents);
	free(p->inv);
	free(p->utdv);
	memset(p, 0, sizeof(*p));
}

/*
 * A partner that has seen more of one of this node's former incarnations
 * than this node holds means this node was restored from an older copy:
 * say so (log and the node's settings, for the tools). The changes come
 * back by themselves: the vector asks for them.
 */
static int
consumer_restored(struct be_txn *t, const char *uri, const struct utdv *mine,
    const struct utdv *theirs)
{
	char *prev = NULL, *tok, *save = NULL, note[512];
	int rc = be_meta_get(t, "prevInvocations", &prev);

	if (rc == LDAP_NO_SUCH_OBJECT)
		return LDAP_SUCCESS;
	if (rc != LDAP_SUCCESS)
		return rc;
	for (tok = strtok_r(prev, ",", &save); tok != NULL && rc == LDAP_SUCCESS;
	    tok = strtok_r(NULL, ",", &save)) {
		uint64_t have = repl_utdv_get(mine, tok), seen = repl_utdv_get(theirs, tok);
		if (seen <= have)
			continue;
		snprintf(note, sizeof(note), "restore detected: %s has seen changes of this "
		    "node's former invocationId %s up to USN %" PRIu64 ", this node had them "
		    "only up to USN %" PRIu64 "; this node was restored from an older copy and "
		    "is pulling the %" PRIu64 " lost change(s) back", uri, tok, seen, have,
		    seen - have);
		log_warn("replication: %s", note);
		rc = be_meta_put(t, "lastRestore", note);
	}
	free(prev);
	return rc;
}

int
page_txn(struct be_txn *t, void *arg, struct diag *d)
{
	struct page *p = arg;
	char key[600], val[128], *mine = NULL, *merged = NULL;
	struct utdv u = REPL_UTDV_INIT, su = REPL_UTDV_INIT;
	int rc;

	/* An entry that cannot be applied stops the page: skipping it would
	 * move the mark past a change this node never took. */
	for (size_t i = 0; i < p->n; i++) {
		rc = repl_apply_entry(t, p->ents[i], d);
		if (rc == BE_RETRY)
			return rc;
		if (rc != LDAP_SUCCESS) {
			log_error("replication from %s: cannot apply %s: %s", p->uri,
			    p->ents[i]->dn, d->text);
			return rc;
		}
	}
	snprintf(key, sizeof(key), "hwm:%s", p->uri);
	snprintf(val, sizeof(val), "%s %s", p->hwm, p->inv);
	if ((rc = be_meta_put(t, key, val)) != LDAP_SUCCESS)
		return rc;
	if (p->utdv == NULL)
		return LDAP_SUCCESS;
	rc = be_meta_get(t, "utdv", &mine);
	if (rc != LDAP_SUCCESS && rc != LDAP_NO_SUCH_OBJECT)
		return rc;
	if ((mine != NULL && repl_utdv_parse(mine, &u) != LDAP_SUCCESS) ||
	    repl_utdv_parse(p->utdv, &su) != LDAP_SUCCESS)
		rc = LDAP_OTHER;
	else if ((rc = consumer_restored(t, p->uri, &u, &su)) != LDAP_SUCCESS)
		;
	else if ((rc = repl_utdv_merge(&u, &su)) == LDAP_SUCCESS &&
	    (rc = repl_utdv_format(&u, &merged)) == LDAP_SUCCESS)
		rc = be_meta_put(t, "utdv", merged);
	free(mine);
	free(merged);
	repl_utdv_free(&u);
	repl_utdv_free(&su);
	return rc;
}
