/*
 * rootdse.c: the root DSE (RFC 4512 5.1), built fresh for each request
 * so highestCommittedUSN and the counters are current.
 */
#include <stdio.h>
#include <stdlib.h>

#include "server.h"

#define VENDOR_VERSION	PACKAGE_VERSION

/* This node's bind counters, for administrators only. */
static int
rootdse_counters(struct entry *e)
{
	struct stats s;
	char v[24];
	int rc = 0;

	stats_snapshot(&s);
	snprintf(v, sizeof(v), "%llu", (unsigned long long)s.bind_failures);
	rc |= entry_add_str(e, "vmwBindFailures", v);
	snprintf(v, sizeof(v), "%llu", (unsigned long long)s.lockouts);
	rc |= entry_add_str(e, "vmwAccountLockouts", v);
	return rc;
}

struct entry *
rootdse_entry(bool admin)
{
	static const char *const controls[] = {
		"1.2.840.113556.1.4.319",	/* paged results, RFC 2696 */
		"2.16.840.1.113730.3.4.2",	/* ManageDsaIT, RFC 3296 */
	};
	static const char *const exops[] = {
		LDAP_EXOP_START_TLS, LDAP_EXOP_WHO_AM_I, LDAP_EXOP_MODIFY_PASSWD,
		OID_TRELLIS_ADMIN,
	};
	struct entry *e = entry_new("", "");
	char usn[24], cfg[512];
	int rc = 0;

	if (e == NULL)
		return NULL;
	snprintf(usn, sizeof(usn), "%llu", (unsigned long long)be_usn_highest(srv->be));
	snprintf(cfg, sizeof(cfg), "cn=Configuration,%s", srv->suffix);
	rc |= entry_add_str(e, "objectClass", "top");
	rc |= entry_add_str(e, "namingContexts", srv->suffix);
	rc |= entry_add_str(e, "defaultNamingContext", srv->suffix);
	rc |= entry_add_str(e, "configurationNamingContext", cfg);
	rc |= entry_add_str(e, "subschemaSubentry", "cn=schema");
	rc |= entry_add_str(e, "supportedLDAPVersion", "3");
	/* meaningful on the local socket only (see op_bind.c) */
	rc |= entry_add_str(e, "supportedSASLMechanisms", "EXTERNAL");
	for (size_t i = 0; i < sizeof(controls) / sizeof(controls[0]); i++)
		rc |= entry_add_str(e, "supportedControl", controls[i]);
	for (size_t i = 0; i < sizeof(exops) / sizeof(exops[0]); i++)
		rc |= entry_add_str(e, "supportedExtension", exops[i]);
	rc |= entry_add_str(e, "highestCommittedUSN", usn);
	rc |= entry_add_str(e, "serverName", srv->server_dn);
	rc |= entry_add_str(e, "invocationId", srv->invocation);
	rc |= entry_add_str(e, "vmwServerState", state_name(srv->state));
	{
		struct be_txn *t;
		char *note = NULL;
		if (be_begin(srv->be, false, &t) == LDAP_SUCCESS) {
			if (be_meta_get(t, "lastRestore", &note) == LDAP_SUCCESS)
				rc |= entry_add_str(e, "vmwLastRestore", note);
			be_abort(t);
		}
		free(note);
	}
	rc |= entry_add_str(e, "vendorName", "Trellis");
	rc |= entry_add_str(e, "vendorVersion", VENDOR_VERSION);
	if (admin)
		rc |= rootdse_counters(e);
	if (rc != 0) {
		entry_free(e);
		return NULL;
	}
	write_resolve(e);
	return e;
}
