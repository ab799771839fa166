/*
 * op_bind.c: simple bind (RFC 4513). The name may be a DN, a user
 * principal name (administrator@vsphere.local) or a bare account name
 * (administrator), which is taken as <name>@<domain>.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>

#include "server.h"
#include "log.h"

/* Finds the entry a bind name designates; *ndn caller-freed. */
static int
bind_resolve(struct be_txn *t, const char *name, char **ndn)
{
	const struct at_def *upn = schema_at(srv->schema, "userPrincipalName");
	struct berval in, norm;
	struct idset ids = { 0 };
	struct entry *e;
	char buf[512];
	int rc;

	if (strchr(name, '=') != NULL)
		return dn_normalize(srv->schema, name, ndn);
	if (strchr(name, '@') == NULL) {
		snprintf(buf, sizeof(buf), "%s@%s", name, srv->conf.domain);
		name = buf;
	}
	in.bv_val = (char *)name;
	in.bv_len = strlen(name);
	if (upn == NULL || schema_normalize(srv->schema, upn, &in, &norm) != LDAP_SUCCESS)
		return LDAP_INVALID_CREDENTIALS;
	rc = be_index_eq(t, upn, &norm, &ids);
	free(norm.bv_val);
	if (rc != LDAP_SUCCESS || ids.n != 1) {
		idset_free(&ids);
		return rc == BE_RETRY ? rc : LDAP_INVALID_CREDENTIALS;
	}
	rc = be_get_id(t, ids.ids[0], &e);
	idset_free(&ids);
	if (rc != LDAP_SUCCESS)
		return rc == BE_RETRY ? rc : LDAP_INVALID_CREDENTIALS;
	*ndn = strdup(e->ndn);
	entry_free(e);
	return *ndn != NULL ? LDAP_SUCCESS : LDAP_NO_MEMORY;
}

/* Checks name/password in one read transaction; *ndn and *admin out. */
static int
bind_check(const char *name, const struct berval *cred, char **ndn, bool *admin)
{
	struct be_txn *t;
	struct entry *e = NULL;
	struct attr *pw;
	int rc;

	for (int tries = 0; tries < 8; tries++) {
		*ndn = NULL;
		if ((rc = be_begin(srv->be, false, &t)) != LDAP_SUCCESS)
			return rc;
		rc = bind_resolve(t, name, ndn);
		if (rc == LDAP_SUCCESS)
			rc = be_get_dn(t, *ndn, &e);
		if (rc == LDAP_SUCCESS) {
			pw = entry_attr(e, "userPassword");
			rc = LDAP_INVALID_CREDENTIALS;
			for (size_t i = 0; pw != NULL && i < pw->nvals; i++)
				if (pwd_verify(pw->vals[i].bv_val, cred->bv_val, cred->bv_len))
					rc = LDAP_SUCCESS;
			if (rc == LDAP_SUCCESS)
				*admin = acl_is_admin(t, *ndn);
		}
		entry_free(e);
		e = NULL;
		be_abort(t);
		if (rc != BE_RETRY)
			break;
		free(*ndn);
	}
	if (rc == LDAP_NO_SUCH_OBJECT || rc == LDAP_INVALID_DN_SYNTAX)
		rc = LDAP_INVALID_CREDENTIALS;
	if (rc != LDAP_SUCCESS) {
		free(*ndn);
		*ndn = NULL;
	}
	return rc;
}

void
op_bind(struct op *o)
{
	struct berval name, cred = { 0, NULL };
	ber_int_t version;
	ber_len_t len;
	ber_tag_t auth;
	struct diag d;
	char *ndn = NULL, *cname;
	bool admin = false;
	int rc;

	diag_clear(&d);
	if (ber_scanf(o->ber, "{im", &version, &name) == LBER_ERROR ||
	    (auth = ber_peek_tag(o->ber, &len)) == LBER_ERROR) {
		result_error(o, LDAP_RES_BIND, LDAP_PROTOCOL_ERROR, "malformed bind request");
		return;
	}
	cname = strndup(name.bv_val, name.bv_len);
	log_info("conn=%llu op=%d BIND dn=\"%s\" method=%lu version=%d",
	    (unsigned long long)o->conn->id, o->num, cname ? cname : "",
	    (unsigned long)auth, (int)version);
	/* A bind always starts from anonymous (RFC 4513 5). */
	conn_set_identity(o->conn, NULL, false);
	if (version != 3)
		diag_set(&d, LDAP_PROTOCOL_ERROR, "only LDAP version 3 is supported");
	else if (auth != LDAP_AUTH_SIMPLE)
		diag_set(&d, LDAP_AUTH_METHOD_NOT_SUPPORTED,
		    "only simple authentication is supported");
	else if (ber_scanf(o->ber, "m", &cred) == LBER_ERROR || cname == NULL)
		diag_set(&d, LDAP_PROTOCOL_ERROR, "malformed bind request");
	else if (name.bv_len == 0 && cred.bv_len == 0)
		diag_set(&d, LDAP_SUCCESS, "%s", "");
	else if (cred.bv_len == 0)
		diag_set(&d, LDAP_UNWILLING_TO_PERFORM,
		    "unauthenticated bind (DN with no password) disallowed");
	else if ((rc = bind_check(cname, &cred, &ndn, &admin)) != LDAP_SUCCESS)
		diag_set(&d, rc, rc == LDAP_INVALID_CREDENTIALS ?
		    "invalid credentials" : "cannot check credentials");
	else {
		conn_set_identity(o->conn, ndn, admin);
		diag_set(&d, LDAP_SUCCESS, "%s", "");
	}
	if (cred.bv_val != NULL)
		OPENSSL_cleanse(cred.bv_val, cred.bv_len);
	free(ndn);
	free(cname);
	result_bind(o, &d);
}
