/*
 * monitor.c: vdcadmintool --monitor: the node's counters as vmdird keeps
 * them (cn=monitor, and one labeledURI=...,cn=monitor per replication
 * agreement), one "name: value" line each, or JSON.
 */
#include <stdlib.h>
#include <string.h>

#include "tools/vdcadmintool/vdcadmintool.h"

struct mon {
	struct admin	*a;
	json_t		*server;	/* the cn=monitor entry, as JSON */
	json_t		*agreements;	/* one object per agreement */
};

/* "name count" values as {"name": count}. */
static json_t *
mon_pairs(char **vals)
{
	json_t *o = json_object();
	char name[64];
	unsigned long long n;

	for (size_t i = 0; vals != NULL && vals[i] != NULL; i++)
		if (sscanf(vals[i], "%63s %llu", name, &n) == 2)
			json_object_set_new(o, name, json_integer((json_int_t)n));
	return o;
}

static void
mon_int(json_t *o, const char *key, LDAP *ld, LDAPMessage *e, const char *attr)
{
	char *v = tool_value(ld, e, attr);

	if (v != NULL)
		json_object_set_new(o, key, json_integer(strtoll(v, NULL, 10)));
	free(v);
}

static void
mon_str(json_t *o, const char *key, LDAP *ld, LDAPMessage *e, const char *attr)
{
	char *v = tool_value(ld, e, attr);

	if (v != NULL)
		json_object_set_new(o, key, json_string(v));
	free(v);
}

/* JSON member, attribute, whether its value is an integer. */
struct mon_field {
	const char	*key;
	const char	*attr;
	bool		 number;
};

static const struct mon_field mon_agreement_fields[] = {
	{ "uri", "labeledURI", false },
	{ "lastSuccess", "vmwMonitorLastSuccess", false },
	{ "lastError", "vmwMonitorLastError", false },
	{ "lastErrorTime", "vmwMonitorLastErrorTime", false },
	{ "backlog", "vmwMonitorBacklog", true },
	{ "pulls", "vmwMonitorPulls", true },
	{ "entriesApplied", "vmwMonitorEntriesApplied", true },
	{ "failures", "vmwMonitorFailures", true },
	{ NULL, NULL, false }
};

static const struct mon_field mon_server_fields[] = {
	{ "startTime", "vmwMonitorStartTime", false },
	{ "currentConnections", "vmwMonitorCurrentConnections", true },
	{ "totalConnections", "vmwMonitorTotalConnections", true },
	{ "bytesReceived", "vmwMonitorBytesReceived", true },
	{ "bytesSent", "vmwMonitorBytesSent", true },
	{ "entriesSent", "vmwMonitorEntriesSent", true },
	{ "loopReads", "vmwMonitorLoopReads", true },
	{ "loopHandoffs", "vmwMonitorLoopHandoffs", true },
	{ "highestCommittedUSN", "highestCommittedUSN", true },
	{ "bindFailures", "vmwBindFailures", true },
	{ "accountLockouts", "vmwAccountLockouts", true },
	{ "supplyAnswers", "vmwMonitorSupplyAnswers", true },
	{ "supplyEntries", "vmwMonitorSupplyEntries", true },
	{ "supplyDampened", "vmwMonitorSupplyDampened", true },
	{ "supplyHeld", "vmwMonitorSupplyHeld", true },
	{ "supplyWaiting", "vmwMonitorSupplyWaiting", true },
	{ NULL, NULL, false }
};

static void
mon_fields(json_t *o, LDAP *ld, LDAPMessage *e, const struct mon_field *f)
{
	for (; f->key != NULL; f++)
		(f->number ? mon_int : mon_str)(o, f->key, ld, e, f->attr);
}

static int
mon_entry(LDAP *ld, LDAPMessage *e, void *arg)
{
	struct mon *m = arg;
	char **oc = tool_values(ld, e, "objectClass");
	bool agreement = false;
	json_t *o = json_object();

	for (size_t i = 0; oc != NULL && oc[i] != NULL; i++)
		agreement |= strcasecmp(oc[i], "vmwMonitorReplication") == 0;
	tool_values_free(oc);
	if (agreement) {
		mon_fields(o, ld, e, mon_agreement_fields);
		json_array_append_new(m->agreements, o);
		return 0;
	}
	{
		char **ops = tool_values(ld, e, "vmwMonitorOperations");
		char **res = tool_values(ld, e, "vmwMonitorResults");
		json_object_set_new(o, "operations", mon_pairs(ops));
		json_object_set_new(o, "results", mon_pairs(res));
		tool_values_free(ops);
		tool_values_free(res);
	}
	mon_fields(o, ld, e, mon_server_fields);
	json_decref(m->server);
	m->server = o;
	return 0;
}

/* "key: value" for every member of o; nested objects as "key name: n". */
static void
mon_print_object(json_t *o, const char *indent)
{
	const char *k, *k2;
	json_t *v, *v2;

	json_object_foreach(o, k, v) {
		if (json_is_object(v)) {
			json_object_foreach(v, k2, v2)
				printf("%s%s %s: %lld\n", indent, k, k2,
				    (long long)json_integer_value(v2));
		} else if (json_is_integer(v))
			printf("%s%s: %lld\n", indent, k, (long long)json_integer_value(v));
		else
			printf("%s%s: %s\n", indent, k, json_string_value(v));
	}
}

int
admin_monitor(struct admin *a)
{
	static char *attrs[] = { "*", "+", NULL };
	struct mon m = { a, NULL, json_array() };
	json_t *out;
	size_t i;
	json_t *ag;
	char *msg;
	int rc;

	if (admin_connect(a, "Monitor") != LDAP_SUCCESS) {
		json_decref(m.agreements);
		return TOOL_EXIT_FAIL;
	}
	rc = tool_search(a->ld, "cn=monitor", LDAP_SCOPE_SUBTREE, "(objectClass=*)",
	    attrs, mon_entry, &m);
	if (rc != LDAP_SUCCESS || m.server == NULL) {
		msg = rc != LDAP_SUCCESS ? tool_ldap_errmsg(a->ld, rc) :
		    xstrdup("no cn=monitor entry");
		admin_error("Monitor", msg, rc != LDAP_SUCCESS ? rc : LDAP_NO_SUCH_OBJECT);
		free(msg);
		json_decref(m.server);
		json_decref(m.agreements);
		return TOOL_EXIT_FAIL;
	}
	json_object_set_new(m.server, "agreements", m.agreements);
	if (a->json) {
		tool_json_print(m.server);
		return TOOL_EXIT_OK;
	}
	out = m.server;
	ag = json_object_get(out, "agreements");
	json_incref(ag);
	json_object_del(out, "agreements");
	mon_print_object(out, "");
	json_array_foreach(ag, i, out) {
		printf("agreement: %s\n", json_string_value(json_object_get(out, "uri")));
		json_object_del(out, "uri");
		mon_print_object(out, "  ");
	}
	json_decref(ag);
	json_decref(m.server);
	return TOOL_EXIT_OK;
}
