/*
 * trustedcert_publish.c: "dir-cli trustedcert publish --cert F [--crl F]
 * [--chain]": one entry per certificate under cn=Certificate-Authorities
 * (classes vmwCertificationAuthority and pkiCA, cn the id, cACertificate
 * the DER, cACertificateDN the subject, certificateRevocationList the
 * CRL). Every certificate must be a CA. Publishing a certificate that is
 * already there succeeds and replaces its CRL when --crl is given, as
 * VMware's does. Everything is checked before the first write.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/dir-cli/dircli.h"

/* Adds the entry of c (with crl when not NULL); *existed when it was
 * there already, in which case only the CRL is replaced. LDAP code. */
static int
publish_one(struct dircli_conn *conn, const struct dircli_cert *c,
    const struct berval *crl, bool *existed)
{
	char *oc[] = { "top", "vmwCertificationAuthority", "pkiCA", NULL };
	char *cn[] = { c->id, NULL }, *sdn[] = { c->subject, NULL };
	struct berval cert = { (ber_len_t)c->der_len, (char *)c->der };
	struct berval *certv[] = { &cert, NULL };
	struct berval *crlv[] = { (struct berval *)crl, NULL };
	LDAPMod m_oc = { LDAP_MOD_ADD, "objectClass", { .modv_strvals = oc } };
	LDAPMod m_cn = { LDAP_MOD_ADD, "cn", { .modv_strvals = cn } };
	LDAPMod m_dn = { LDAP_MOD_ADD, "cACertificateDN", { .modv_strvals = sdn } };
	LDAPMod m_cert = { LDAP_MOD_ADD | LDAP_MOD_BVALUES, "cACertificate;binary",
	    { .modv_bvals = certv } };
	LDAPMod m_crl = { LDAP_MOD_ADD | LDAP_MOD_BVALUES,
	    "certificateRevocationList;binary", { .modv_bvals = crlv } };
	LDAPMod *mods[6], *rep[2];
	char *dn = dircli_ca_dn(conn, c->id);
	size_t i = 0;
	int rc;

	mods[i++] = &m_oc;
	mods[i++] = &m_cn;
	if (c->subject[0] != '\0')
		mods[i++] = &m_dn;
	mods[i++] = &m_cert;
	if (crl != NULL)
		mods[i++] = &m_crl;
	mods[i] = NULL;
	*existed = false;
	rc = ldap_add_ext_s(conn->ld, dn, mods, NULL, NULL);
	if (rc == LDAP_ALREADY_EXISTS) {
		*existed = true;
		rc = LDAP_SUCCESS;
		if (crl != NULL) {
			m_crl.mod_op = LDAP_MOD_REPLACE | LDAP_MOD_BVALUES;
			rep[0] = &m_crl;
			rep[1] = NULL;
			rc = ldap_modify_ext_s(conn->ld, dn, rep, NULL, NULL);
		}
	}
	free(dn);
	return rc;
}

static int
publish_run(struct dircli_opts *o)
{
	struct dircli_cert *certs = NULL;
	struct dircli_conn conn;
	struct berval crlbv = { 0, NULL };
	unsigned char *crlder = NULL;
	X509_CRL *crl = NULL;
	json_t *arr = NULL;
	size_t n = 0, i, crl_for = 0;
	bool existed;
	int rc;

	if ((rc = dircli_certs_load_checked(o->cert, o->chain, "publish", &certs, &n)) != 0)
		return rc;
	for (i = 0; i < n; i++)
		if (!dircli_cert_is_ca(&certs[i])) {
			rc = dircli_fail(DIRCLI_ERR_INVALID_PARAMETER,
			    "The certificate [%s] in [%s] is not a CA certificate "
			    "(basicConstraints CA:TRUE is required)", certs[i].subject,
			    o->cert);
			goto out;
		}
	if (o->crl != NULL) {
		if ((rc = dircli_crl_load(o->crl, &crl, &crlder, &crlbv.bv_len)) != 0)
			goto out;
		crlbv.bv_val = (char *)crlder;
		for (crl_for = 0; crl_for < n; crl_for++)
			if (dircli_crl_issued_by(crl, &certs[crl_for]))
				break;
		if (crl_for == n) {
			rc = dircli_fail(DIRCLI_ERR_INVALID_PARAMETER,
			    "The CRL in [%s] was not issued by %s in [%s]", o->crl,
			    n == 1 ? "the certificate" : "a certificate", o->cert);
			goto out;
		}
	}
	if ((rc = dircli_connect(o, &conn)) != 0)
		goto out;
	if (o->json)
		arr = json_array();
	for (i = 0; i < n; i++) {
		const struct berval *cb = crl != NULL && i == crl_for ? &crlbv : NULL;

		if ((rc = publish_one(&conn, &certs[i], cb, &existed)) != LDAP_SUCCESS) {
			char *what = xasprintf("Cannot publish the certificate [%s]",
			    certs[i].id);

			rc = dircli_fail_ld(conn.ld, rc, what);
			free(what);
			json_decref(arr);
			dircli_conn_close(&conn);
			goto out;
		}
		if (arr != NULL)
			json_array_append_new(arr, json_pack("{s:s, s:s, s:b, s:b}",
			    "id", certs[i].id, "subjectDN", certs[i].subject,
			    "crl", cb != NULL, "existed", existed));
	}
	dircli_conn_close(&conn);
	if (arr != NULL)
		tool_json_print(json_pack("{s:o}", "published", arr));
	else
		printf("Certificate pubished successfully\n");
	rc = 0;
out:
	X509_CRL_free(crl);
	free(crlder);
	dircli_certs_free(certs, n);
	return rc;
}

const struct dircli_cmd cmd_trustedcert_publish = {
	.name = "publish",
	.synopsis = "--cert FILE [--crl FILE] [--chain]",
	.allowed = DIRCLI_O_CERT | DIRCLI_O_CRL | DIRCLI_O_CHAIN,
	.required = DIRCLI_O_CERT,
	.handler = publish_run,
};
