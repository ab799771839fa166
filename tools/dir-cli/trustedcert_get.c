/*
 * trustedcert_get.c: "dir-cli trustedcert get --id ID --outcert F
 * [--outcrl F]": writes a published root (and its CRL) as PEM. An unknown
 * id, or --outcrl for a root without a CRL, is an error (4312) and
 * nothing is written.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/dir-cli/dircli.h"

static int
get_run(struct dircli_opts *o)
{
	char *attrs[] = { "cACertificate", "certificateRevocationList", NULL };
	struct berval **cert = NULL, **crl = NULL;
	struct dircli_conn conn;
	LDAPMessage *res = NULL, *e;
	char *dn;
	int rc;

	if ((rc = dircli_connect(o, &conn)) != 0)
		return rc;
	dn = dircli_ca_dn(&conn, o->id);
	rc = ldap_search_ext_s(conn.ld, dn, LDAP_SCOPE_BASE, "(objectClass=*)",
	    attrs, 0, NULL, NULL, NULL, 0, &res);
	free(dn);
	if (rc == LDAP_NO_SUCH_OBJECT) {
		rc = dircli_fail(DIRCLI_ERR_NOT_FOUND,
		    "No certificate with id [%s] is published", o->id);
		goto out;
	}
	if (rc != LDAP_SUCCESS) {
		rc = dircli_fail_ld(conn.ld, rc, "Cannot read the trusted roots");
		goto out;
	}
	if ((e = ldap_first_entry(conn.ld, res)) == NULL ||
	    (cert = dircli_values(conn.ld, e, "cACertificate")) == NULL) {
		rc = dircli_fail(DIRCLI_ERR_NOT_FOUND,
		    "The entry [%s] holds no certificate", o->id);
		goto out;
	}
	crl = dircli_values(conn.ld, e, "certificateRevocationList");
	if (o->outcrl != NULL && crl == NULL) {
		rc = dircli_fail(DIRCLI_ERR_NOT_FOUND,
		    "The certificate [%s] has no CRL", o->id);
		goto out;
	}
	if (!dircli_write_pem_cert(o->outcert, (unsigned char *)cert[0]->bv_val,
	    cert[0]->bv_len)) {
		rc = dircli_fail(DIRCLI_ERR_INVALID_PARAMETER,
		    "Cannot write the certificate to [%s]: %s", o->outcert,
		    strerror(errno));
		goto out;
	}
	if (o->outcrl != NULL && !dircli_write_pem_crl(o->outcrl,
	    (unsigned char *)crl[0]->bv_val, crl[0]->bv_len)) {
		rc = dircli_fail(DIRCLI_ERR_INVALID_PARAMETER,
		    "Cannot write the CRL to [%s]: %s", o->outcrl, strerror(errno));
		goto out;
	}
	if (o->json)
		tool_json_print(json_pack("{s:s, s:s, s:s?, s:b}", "id", o->id,
		    "outcert", o->outcert, "outcrl", o->outcrl, "crl", crl != NULL));
	else
		printf("Certificate retrieved successfully\n");
	rc = 0;
out:
	ber_bvecfree(cert);
	ber_bvecfree(crl);
	ldap_msgfree(res);
	dircli_conn_close(&conn);
	return rc;
}

const struct dircli_cmd cmd_trustedcert_get = {
	.name = "get",
	.synopsis = "--id ID --outcert FILE [--outcrl FILE]",
	.allowed = DIRCLI_O_ID | DIRCLI_O_OUTCERT | DIRCLI_O_OUTCRL,
	.required = DIRCLI_O_ID | DIRCLI_O_OUTCERT,
	.handler = get_run,
};
