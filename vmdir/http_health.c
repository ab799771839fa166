/*
 * http_health.c: GET /health, the node's state for monitors and for
 * lstool check: state, highest USN, invocation, and every partner this
 * node pulls from (its agreements in the directory) with the backlog,
 * last success and last error that stats.c keeps. No credentials: it
 * tells nothing cn=monitor would keep from a monitoring system.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>

#include "server.h"

/* "2024-05-01T12:00:00Z", or null for 0 (never). */
static json_t *
health_time(time_t t)
{
	struct tm tm;
	char s[32];

	if (t == 0)
		return json_null();
	gmtime_r(&t, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(s);
}

/* The supplier URIs of this node's agreements, as stored; a JSON array
 * of strings. NULL if storage fails. */
static json_t *
health_agreements(void)
{
	char *dn = NULL, *ndn = NULL;
	struct idset ids = { 0 };
	struct be_txn *t = NULL;
	json_t *out = NULL;
	uint64_t id;
	int rc;

	if (asprintf(&dn, "cn=Replication Agreements,%s", srv->server_dn) < 0)
		return NULL;
	rc = dn_normalize(srv->schema, dn, &ndn);
	free(dn);
	if (rc != LDAP_SUCCESS)
		return NULL;
	for (int tries = 0; tries < 8; tries++) {
		json_decref(out);
		idset_free(&ids);
		if ((out = json_array()) == NULL ||
		    (rc = be_begin(srv->be, false, &t)) != LDAP_SUCCESS)
			break;
		rc = be_dn2id(t, ndn, &id);
		if (rc == LDAP_SUCCESS)
			rc = be_children(t, id, &ids);
		for (size_t i = 0; rc == LDAP_SUCCESS && i < ids.n; i++) {
			struct entry *e;
			const char *uri;
			if ((rc = be_get_id(t, ids.ids[i], &e)) != LDAP_SUCCESS)
				break;
			if ((uri = entry_get_str(e, "labeledURI")) != NULL)
				json_array_append_new(out, json_string(uri));
			entry_free(e);
		}
		be_abort(t);
		if (rc != BE_RETRY)
			break;
	}
	free(ndn);
	idset_free(&ids);
	if (rc == LDAP_NO_SUCH_OBJECT)
		rc = LDAP_SUCCESS;	/* a node without agreements */
	if (rc != LDAP_SUCCESS) {
		json_decref(out);
		return NULL;
	}
	return out;
}

/* One partner: its agreement's counters, if a cycle ran yet. */
static json_t *
health_partner(const char *uri, const struct stats_repl *v, size_t n,
    bool *healthy)
{
	const struct stats_repl *r = NULL;

	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].uri, uri) == 0)
			r = &v[i];
	if (r == NULL || r->last_success == 0 || r->last_error > r->last_success)
		*healthy = false;
	if (r == NULL)
		return json_pack("{s:s,s:n,s:n,s:n,s:n,s:i,s:i}", "uri", uri,
		    "backlog", "lastSuccess", "lastError", "lastErrorText",
		    "failures", 0, "pulls", 0);
	return json_pack("{s:s,s:I,s:o,s:o,s:s?,s:I,s:I}", "uri", uri,
	    "backlog", (json_int_t)r->backlog, "lastSuccess",
	    health_time(r->last_success), "lastError", health_time(r->last_error),
	    "lastErrorText", r->last_error != 0 ? r->error : NULL,
	    "failures", (json_int_t)r->failures, "pulls", (json_int_t)r->pulls);
}

void
http_health(const struct http_req *q, struct http_resp *r)
{
	struct stats_repl *v = NULL;
	json_t *uris, *partners, *out;
	size_t n = 0, i;
	bool healthy = true;
	json_t *u;

	(void)q;
	if ((uris = health_agreements()) == NULL || stats_repl_snapshot(&v, &n) != 0 ||
	    (partners = json_array()) == NULL) {
		json_decref(uris);
		free(v);
		http_error(r, 503, "cannot read the replication agreements");
		return;
	}
	json_array_foreach(uris, i, u)
		json_array_append_new(partners, health_partner(json_string_value(u),
		    v, n, &healthy));
	json_decref(uris);
	free(v);
	out = json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:s,s:I,s:o,s:I,s:o}",
	    "status", healthy ? "ok" : "degraded",
	    "state", state_name(srv->state),
	    "node", srv->conf.node, "site", srv->conf.site,
	    "domain", srv->conf.domain, "serverId", srv->server_id,
	    "invocationId", srv->invocation,
	    "highestUsn", (json_int_t)be_usn_highest(srv->be),
	    "started", health_time(srv->started),
	    "uptimeSeconds", (json_int_t)(time(NULL) - srv->started),
	    "partners", partners);
	http_json(r, 200, out);
}
