/*
 * state.c: the node's state. Normal serves everything; ReadOnly refuses
 * client writes (replication still applies); Standalone neither supplies
 * nor consumes replication. The state is local: kept in the node's
 * settings, never replicated, and survives restarts.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server.h"
#include "log.h"

static const char *const state_names[] = {
	[STATE_NORMAL] = "Normal",
	[STATE_READONLY] = "ReadOnly",
	[STATE_STANDALONE] = "Standalone",
};

const char *
state_name(int st)
{
	return st >= 0 && st <= STATE_STANDALONE ? state_names[st] : "Null";
}

int
state_parse(const char *s)
{
	if (strcasecmp(s, "Normal") == 0)
		return STATE_NORMAL;
	if (strcasecmp(s, "ReadOnly") == 0 || strcasecmp(s, "READ_ONLY") == 0 ||
	    strcasecmp(s, "Read only") == 0)
		return STATE_READONLY;
	if (strcasecmp(s, "Standalone") == 0)
		return STATE_STANDALONE;
	return -1;
}

int
state_load(void)
{
	struct be_txn *t;
	char *v = NULL;
	int st = STATE_NORMAL;

	if (be_begin(srv->be, false, &t) != LDAP_SUCCESS)
		return -1;
	if (be_meta_get(t, "state", &v) == LDAP_SUCCESS && (st = state_parse(v)) < 0)
		st = STATE_NORMAL;
	be_abort(t);
	free(v);
	srv->state = st;
	return 0;
}

static int
state_txn(struct be_txn *t, void *arg, struct diag *d)
{
	return be_meta_put(t, "state", state_name(*(int *)arg));
}

int
state_set(int st, struct diag *d)
{
	int rc = write_txn(state_txn, &st, d);

	if (rc == LDAP_SUCCESS) {
		log_warn("state changed from %s to %s", state_name(srv->state),
		    state_name(st));
		srv->state = st;
	}
	return rc;
}
