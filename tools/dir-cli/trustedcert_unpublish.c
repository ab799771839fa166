/*
 * trustedcert_unpublish.c: "dir-cli trustedcert unpublish --cert F
 * [--chain]": removes the entries of the certificates in F. A certificate
 * that is not published is an error (4312), reported before anything is
 * removed.
 */
#include <stdio.h>
#include <stdlib.h>

#include "tools/dir-cli/dircli.h"

/* LDAP_SUCCESS when the entry of id is there. */
static int
unpublish_exists(struct dircli_conn *conn, const char *id)
{
	char *attrs[] = { "1.1", NULL }, *dn = dircli_ca_dn(conn, id);
	LDAPMessage *res = NULL;
	int rc;

	rc = ldap_search_ext_s(conn->ld, dn, LDAP_SCOPE_BASE, "(objectClass=*)",
	    attrs, 0, NULL, NULL, NULL, 0, &res);
	ldap_msgfree(res);
	free(dn);
	return rc;
}

static int
unpublish_run(struct dircli_opts *o)
{
	struct dircli_cert *certs = NULL;
	struct dircli_conn conn;
	json_t *arr = NULL;
	size_t n = 0, i;
	char *dn, *what;
	int rc;

	if ((rc = dircli_certs_load_checked(o->cert, o->chain, "unpublish", &certs, &n)) != 0)
		return rc;
	if ((rc = dircli_connect(o, &conn)) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		if ((rc = unpublish_exists(&conn, certs[i].id)) == LDAP_SUCCESS)
			continue;
		if (rc == LDAP_NO_SUCH_OBJECT)
			rc = dircli_fail(DIRCLI_ERR_NOT_FOUND,
			    "The certificate [%s] is not published", certs[i].id);
		else
			rc = dircli_fail_ld(conn.ld, rc, "Cannot read the trusted roots");
		goto close;
	}
	if (o->json)
		arr = json_array();
	for (i = 0; i < n; i++) {
		dn = dircli_ca_dn(&conn, certs[i].id);
		rc = ldap_delete_ext_s(conn.ld, dn, NULL, NULL);
		free(dn);
		if (rc != LDAP_SUCCESS) {
			what = xasprintf("Cannot unpublish the certificate [%s]",
			    certs[i].id);
			rc = dircli_fail_ld(conn.ld, rc, what);
			free(what);
			json_decref(arr);
			goto close;
		}
		if (arr != NULL)
			json_array_append_new(arr, json_string(certs[i].id));
	}
	if (arr != NULL)
		tool_json_print(json_pack("{s:o}", "unpublished", arr));
	else
		printf("Certificate unpubished successfully\n");
	rc = 0;
close:
	dircli_conn_close(&conn);
out:
	dircli_certs_free(certs, n);
	return rc;
}

const struct dircli_cmd cmd_trustedcert_unpublish = {
	.name = "unpublish",
	.synopsis = "--cert FILE [--chain]",
	.allowed = DIRCLI_O_CERT | DIRCLI_O_CHAIN,
	.required = DIRCLI_O_CERT,
	.handler = unpublish_run,
};
