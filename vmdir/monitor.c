/*
 * monitor.c: the cn=monitor entries, as OpenLDAP and 389-ds offer them,
 * built from stats.c for each read: cn=monitor itself (requests by
 * type, results by code, connections, bytes, the highest USN, failed
 * binds, what this node supplied to replication partners) and one labeledURI=<supplier>,cn=monitor per replication
 * agreement (last success, last error, backlog). Not in storage, never
 * replicated; administrators only (op_search.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"

/* RFC 4514 2.4: an attribute value as it appears in a DN; caller frees. */
static char *
monitor_dn_value(const char *v)
{
	char *out = malloc(strlen(v) * 2 + 1), *p = out;

	if (out == NULL)
		return NULL;
	for (; *v != '\0'; v++) {
		if (strchr(",+\"\\<>;=", *v) != NULL)
			*p++ = '\\';
		*p++ = *v;
	}
	*p = '\0';
	return out;
}

static int
monitor_add_u64(struct entry *e, const char *attr, uint64_t v)
{
	char s[24];

	snprintf(s, sizeof(s), "%llu", (unsigned long long)v);
	return entry_add_str(e, attr, s);
}

static int
monitor_add_time(struct entry *e, const char *attr, time_t t)
{
	struct tm tm;
	char s[32];

	gmtime_r(&t, &tm);
	strftime(s, sizeof(s), "%Y%m%d%H%M%SZ", &tm);
	return entry_add_str(e, attr, s);
}

/* A new entry named dn (normalised here); NULL without memory. */
static struct entry *
monitor_new(const char *dn)
{
	struct entry *e;
	char *ndn = NULL;

	if (dn_normalize(srv->schema, dn, &ndn) != LDAP_SUCCESS)
		return NULL;
	e = entry_new(dn, ndn);
	free(ndn);
	return e;
}

static struct entry *
monitor_server(void)
{
	struct entry *e = monitor_new("cn=monitor");
	struct stats s;
	char v[64];
	int rc = 0;

	if (e == NULL)
		return NULL;
	stats_snapshot(&s);
	rc |= entry_add_str(e, "objectClass", "top");
	rc |= entry_add_str(e, "objectClass", "vmwMonitor");
	rc |= entry_add_str(e, "cn", "monitor");
	rc |= monitor_add_time(e, "vmwMonitorStartTime", srv->started);
	rc |= monitor_add_u64(e, "vmwMonitorCurrentConnections", s.conns);
	rc |= monitor_add_u64(e, "vmwMonitorTotalConnections", s.conns_total);
	for (int i = 0; i < STATS_OP_MAX; i++) {
		snprintf(v, sizeof(v), "%s %llu", stats_op_name(i),
		    (unsigned long long)s.ops[i]);
		rc |= entry_add_str(e, "vmwMonitorOperations", v);
	}
	for (int i = 0; i < 128; i++) {
		if (s.results[i] == 0)
			continue;
		snprintf(v, sizeof(v), "%d %llu", i, (unsigned long long)s.results[i]);
		rc |= entry_add_str(e, "vmwMonitorResults", v);
	}
	rc |= monitor_add_u64(e, "vmwMonitorBytesReceived", s.bytes_in);
	rc |= monitor_add_u64(e, "vmwMonitorBytesSent", s.bytes_out);
	rc |= monitor_add_u64(e, "vmwMonitorEntriesSent", s.entries_out);
	rc |= monitor_add_u64(e, "vmwMonitorLoopReads", s.loop_reads);
	rc |= monitor_add_u64(e, "vmwMonitorLoopHandoffs", s.loop_handoffs);
	rc |= monitor_add_u64(e, "highestCommittedUSN", be_usn_highest(srv->be));
	rc |= monitor_add_u64(e, "vmwBindFailures", s.bind_failures);
	rc |= monitor_add_u64(e, "vmwAccountLockouts", s.lockouts);
	rc |= monitor_add_u64(e, "vmwMonitorSupplyAnswers", s.supply_answers);
	rc |= monitor_add_u64(e, "vmwMonitorSupplyEntries", s.supply_entries);
	rc |= monitor_add_u64(e, "vmwMonitorSupplyDampened", s.supply_dampened);
	rc |= monitor_add_u64(e, "vmwMonitorSupplyHeld", s.supply_held);
	rc |= monitor_add_u64(e, "vmwMonitorSupplyWaiting", s.supply_waiting);
	if (rc != 0) {
		entry_free(e);
		return NULL;
	}
	return e;
}

static struct entry *
monitor_agreement(const struct stats_repl *r)
{
	char *val = monitor_dn_value(r->uri), *dn = NULL;
	struct entry *e = NULL;
	int rc = 0;

	if (val == NULL || asprintf(&dn, "labeledURI=%s,cn=monitor", val) < 0 ||
	    (e = monitor_new(dn)) == NULL) {
		free(val);
		return NULL;
	}
	free(val);
	free(dn);
	rc |= entry_add_str(e, "objectClass", "top");
	rc |= entry_add_str(e, "objectClass", "vmwMonitorReplication");
	rc |= entry_add_str(e, "labeledURI", r->uri);
	if (r->last_success != 0)
		rc |= monitor_add_time(e, "vmwMonitorLastSuccess", r->last_success);
	if (r->last_error != 0) {
		rc |= monitor_add_time(e, "vmwMonitorLastErrorTime", r->last_error);
		rc |= entry_add_str(e, "vmwMonitorLastError", r->error);
	}
	rc |= monitor_add_u64(e, "vmwMonitorBacklog", r->backlog);
	rc |= monitor_add_u64(e, "vmwMonitorPulls", r->pulls);
	rc |= monitor_add_u64(e, "vmwMonitorEntriesApplied", r->applied);
	rc |= monitor_add_u64(e, "vmwMonitorFailures", r->failures);
	if (rc != 0) {
		entry_free(e);
		return NULL;
	}
	return e;
}

void
monitor_free(struct entry **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		entry_free(v[i]);
	free(v);
}

int
monitor_entries(const char *ndn, int scope, struct entry ***out, size_t *n)
{
	struct stats_repl *r = NULL;
	struct entry **v;
	size_t nr = 0, k = 0;
	bool top = strcmp(ndn, MONITOR_NDN) == 0, found = false;

	*out = NULL;
	*n = 0;
	if (stats_repl_snapshot(&r, &nr) != 0 ||
	    (v = calloc(nr + 1, sizeof(*v))) == NULL) {
		free(r);
		return LDAP_NO_MEMORY;
	}
	if (top && scope != LDAP_SCOPE_ONELEVEL && (v[k++] = monitor_server()) == NULL)
		goto nomem;
	for (size_t i = 0; i < nr && !(top && scope == LDAP_SCOPE_BASE); i++) {
		struct entry *e = monitor_agreement(&r[i]);
		if (e == NULL)
			goto nomem;
		if (top)
			v[k++] = e;
		else if (strcmp(e->ndn, ndn) == 0) {
			found = true;
			/* an agreement's entry has no children */
			if (scope != LDAP_SCOPE_ONELEVEL)
				v[k++] = e;
			else
				entry_free(e);
		} else
			entry_free(e);
	}
	free(r);
	if (!top && !found) {
		free(v);
		return LDAP_NO_SUCH_OBJECT;
	}
	*out = v;
	*n = k;
	return LDAP_SUCCESS;
nomem:
	free(r);
	monitor_free(v, k);
	return LDAP_NO_MEMORY;
}
