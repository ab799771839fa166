/*
 * consumer_server.c: upkeep of this node's server object: it shows the
 * node's current invocationId, the URIs partners reach it at and where
 * it serves HTTP (lstool check finds every node's lookup service so).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server.h"
#include "repl.h"
#include "log.h"
#include "consumer_int.h"

/* The URIs partners reach this node at, as its server object records
 * them (labeledURI): LDAP and, when enabled, LDAPS; a wildcard listen
 * address gives the host name. Its HTTP side port's base URLs go to
 * vmwHttpURI the same way. */
struct own_uris {
	char	ldap[300], ldaps[300];
	char	http[300], https[300];
};

static void
consumer_own_uris(struct own_uris *u)
{
	const struct conf *c = &srv->conf;
	char host[256], first[256];
	const char *h = NULL, *fmt;

	/* the first address of the listen list */
	if (c->listen != NULL && sscanf(c->listen, " %255[^, \t]", first) == 1)
		h = first;
	if (h == NULL || strcmp(h, "0.0.0.0") == 0 || strcmp(h, "::") == 0) {
		if (gethostname(host, sizeof(host)) != 0)
			strcpy(host, "localhost");
		host[sizeof(host) - 1] = '\0';
		h = host;
	}
	u->ldap[0] = u->ldaps[0] = u->http[0] = u->https[0] = '\0';
	fmt = strchr(h, ':') ? "%s[%s]:%d" : "%s%s:%d";
	if (c->port > 0)
		snprintf(u->ldap, sizeof(u->ldap), fmt, "ldap://", h, c->port);
	if (c->ldaps_port > 0)
		snprintf(u->ldaps, sizeof(u->ldaps), fmt, "ldaps://", h, c->ldaps_port);
	if (c->http_port > 0)
		snprintf(u->http, sizeof(u->http), fmt, "http://", h, c->http_port);
	if (c->https_port > 0)
		snprintf(u->https, sizeof(u->https), fmt, "https://", h, c->https_port);
}

/* True when attribute name of e holds exactly the non-empty ones of a, b. */
static bool
consumer_uris_same(const struct entry *e, const char *name, const char *a,
    const char *b)
{
	const struct attr *v = entry_attr(e, name);
	size_t want = (a[0] != '\0') + (b[0] != '\0'), have = 0;

	for (size_t i = 0; v != NULL && i < v->nvals; i++)
		if ((a[0] != '\0' && strcmp(v->vals[i].bv_val, a) == 0) ||
		    (b[0] != '\0' && strcmp(v->vals[i].bv_val, b) == 0))
			have++;
	return have == want && (v != NULL ? v->nvals : 0) == want;
}

/* Sets attribute name of e to the non-empty ones of a, b. */
static int
consumer_uris_set(struct entry *e, const char *name, const char *a, const char *b)
{
	entry_del_attr(e, name);
	if ((a[0] != '\0' && entry_add_str(e, name, a) != 0) ||
	    (b[0] != '\0' && entry_add_str(e, name, b) != 0))
		return LDAP_NO_MEMORY;
	return LDAP_SUCCESS;
}

/* True when e (this node's server object) does not show the URIs and the
 * current invocationId. */
static bool
consumer_own_stale(const struct entry *e, const struct own_uris *u)
{
	const char *inv = entry_get_str(e, "invocationId");

	if (inv == NULL || strcmp(inv, srv->invocation) != 0)
		return true;
	return !consumer_uris_same(e, "labeledURI", u->ldap, u->ldaps) ||
	    !consumer_uris_same(e, "vmwHttpURI", u->http, u->https);
}

static int
consumer_own_txn(struct be_txn *t, void *arg, struct diag *d)
{
	const char *ndn = arg;
	struct entry *e = NULL, *nw = NULL;
	char *p = NULL;
	struct own_uris u;
	uint64_t pid = 0;
	int rc = be_get_dn(t, ndn, &e);

	if (rc != LDAP_SUCCESS)
		return rc == LDAP_NO_SUCH_OBJECT ? LDAP_SUCCESS : rc;
	consumer_own_uris(&u);
	if (!consumer_own_stale(e, &u)) {
		entry_free(e);
		return LDAP_SUCCESS;
	}
	if ((nw = entry_dup(e)) == NULL || entry_set_str(nw, "invocationId",
	    srv->invocation) != 0)
		rc = LDAP_NO_MEMORY;
	else if (consumer_uris_set(nw, "labeledURI", u.ldap, u.ldaps) != LDAP_SUCCESS ||
	    consumer_uris_set(nw, "vmwHttpURI", u.http, u.https) != LDAP_SUCCESS ||
	    (p = dn_parent(e->ndn)) == NULL)
		rc = LDAP_NO_MEMORY;
	if (rc == LDAP_SUCCESS && (rc = write_stamp_modify(t, e, nw, "", d)) == LDAP_SUCCESS &&
	    (rc = be_dn2id(t, p, &pid)) == LDAP_SUCCESS)
		rc = be_update(t, e, nw, pid);
	free(p);
	entry_free(e);
	entry_free(nw);
	return rc;
}

/* This node's server object shows its current invocationId and URIs
 * (a joining node receives the object only with its first replication
 * cycle). */
void
consumer_own_object(void)
{
	struct diag d;
	char *ndn = NULL;
	struct own_uris u;
	struct be_txn *t;
	struct entry *e = NULL;
	bool stale = false;

	if (dn_normalize(srv->schema, srv->server_dn, &ndn) != LDAP_SUCCESS)
		return;
	consumer_own_uris(&u);
	if (be_begin(srv->be, false, &t) == LDAP_SUCCESS) {
		if (be_get_dn(t, ndn, &e) == LDAP_SUCCESS)
			stale = consumer_own_stale(e, &u);
		be_abort(t);
	}
	entry_free(e);
	diag_clear(&d);
	if (stale && write_txn(consumer_own_txn, ndn, &d) != LDAP_SUCCESS)
		log_warn("cannot update this node's server object: %s", d.text);
	free(ndn);
}
