/*
 * op_bind.c: simple bind (RFC 4513) and SASL EXTERNAL on the local
 * socket. A simple bind's name may be a DN, a user principal name
 * (administrator@vsphere.local) or a bare account name (administrator),
 * which is taken as <name>@<domain>. EXTERNAL takes the identity from the
 * client's uid, as the kernel reported it at connect (SO_PEERCRED).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
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

/* One bind's account and the lockout record its failures count against. */
struct bind {
	const char		*name;
	const struct berval	*cred;
	const char		*peer;		/* client address:port */
	char			*ndn;		/* the account, once found */
	char			*key;		/* its lockout record */
	bool			 admin;
	bool			 locked;
	struct policy		 pol;
};

/* Machine accounts (replication) and the Administrator (the operator)
 * must stay usable while someone guesses their passwords: their failures
 * count per source address, so a guesser locks out only itself. */
static bool
bind_per_source(struct be_txn *t, const char *ndn)
{
	char buf[1024], *dcs = NULL;
	bool yes;

	if (strcmp(ndn, srv->admin_ndn) == 0 ||
	    acl_is_member(t, srv->dcadmins_ndn, ndn))
		return true;
	snprintf(buf, sizeof(buf), "cn=Domain Controllers,%s", srv->suffix);
	if (dn_normalize(srv->schema, buf, &dcs) != LDAP_SUCCESS)
		return false;
	yes = dn_is_under(ndn, dcs);
	free(dcs);
	return yes;
}

/* "<ndn>" or "<ndn> from <address>" (the port left out). */
static char *
bind_key(const char *ndn, const char *peer, bool per_source)
{
	const char *colon = strrchr(peer, ':');
	int alen = colon != NULL ? (int)(colon - peer) : (int)strlen(peer);
	char *key;

	if (!per_source)
		return strdup(ndn);
	if (asprintf(&key, "%s from %.*s", ndn, alen, peer) < 0)
		return NULL;
	return key;
}

/* The account's password, unless it is locked (then invalid credentials
 * without looking, as for a wrong password). */
static int
bind_verify(struct be_txn *t, struct bind *b, const struct entry *e)
{
	struct attr *pw = entry_attr(e, "userPassword");
	int rc;

	if ((rc = policy_read(t, &b->pol)) != LDAP_SUCCESS)
		return rc;
	free(b->key);
	if ((b->key = bind_key(e->ndn, b->peer, bind_per_source(t, e->ndn))) == NULL)
		return LDAP_NO_MEMORY;
	if ((b->locked = lockout_locked(b->key, &b->pol)))
		return LDAP_INVALID_CREDENTIALS;
	rc = LDAP_INVALID_CREDENTIALS;
	for (size_t i = 0; pw != NULL && i < pw->nvals; i++)
		if (pwd_verify(pw->vals[i].bv_val, b->cred->bv_val, b->cred->bv_len))
			rc = LDAP_SUCCESS;
	if (rc == LDAP_SUCCESS)
		b->admin = acl_is_admin(t, e->ndn);
	return rc;
}

/* Checks name/password in one read transaction. */
static int
bind_check(struct bind *b)
{
	struct be_txn *t;
	struct entry *e = NULL;
	int rc;

	for (int tries = 0; tries < 8; tries++) {
		free(b->ndn);
		b->ndn = NULL;
		b->locked = false;
		if ((rc = be_begin(srv->be, false, &t)) != LDAP_SUCCESS)
			return rc;
		rc = bind_resolve(t, b->name, &b->ndn);
		if (rc == LDAP_SUCCESS)
			rc = be_get_dn(t, b->ndn, &e);
		if (rc == LDAP_SUCCESS)
			rc = bind_verify(t, b, e);
		entry_free(e);
		e = NULL;
		be_abort(t);
		if (rc != BE_RETRY)
			break;
	}
	if (rc == LDAP_NO_SUCH_OBJECT || rc == LDAP_INVALID_DN_SYNTAX)
		rc = LDAP_INVALID_CREDENTIALS;
	return rc;
}

/* The name as logged: control characters and quotes would let a client
 * forge or split log lines that tools scan for failed binds. */
static void
bind_printable(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == '"')
			*s = '?';
}

/* Counts and logs a failed bind, or forgets the failures of a good one;
 * ctx names the request in the log ("conn=N" or "http=N"). */
static void
bind_account(const char *ctx, struct bind *b, const char *lname, int rc)
{
	if (rc == LDAP_SUCCESS) {
		if (b->key != NULL)
			lockout_clear(b->key);
		return;
	}
	if (rc != LDAP_INVALID_CREDENTIALS)
		return;
	log_info("%s BIND dn=\"%s\" failed from %s: %s", ctx, lname, b->peer,
	    b->locked ? "account locked" : "invalid credentials");
	if (lockout_fail(b->key, &b->pol))
		log_warn("account locked: \"%s\" for %d s after %d failed binds",
		    b->key, b->pol.unlock_interval, b->pol.max_failures);
}

int
bind_password(const char *name, const struct berval *cred, const char *peer,
    const char *ctx, char **ndn, bool *admin)
{
	struct bind b = { .name = name, .cred = cred, .peer = peer };
	char *lname = strdup(name);
	int rc;

	*ndn = NULL;
	*admin = false;
	if (lname == NULL)
		return LDAP_NO_MEMORY;
	bind_printable(lname);
	if (cred->bv_len == 0)
		rc = LDAP_INVALID_CREDENTIALS;
	else
		rc = bind_check(&b);
	if (cred->bv_len > 0)
		bind_account(ctx, &b, lname, rc);
	else
		stats_bind_failure();
	if (rc == LDAP_SUCCESS) {
		*ndn = b.ndn;
		*admin = b.admin;
		b.ndn = NULL;
	}
	free(b.ndn);
	free(b.key);
	free(lname);
	return rc;
}

/*
 * The identity of the local client (caller frees): root and the uid this
 * server runs as are the Administrator, as they own its data anyway;
 * anyone else is named after its ids as OpenLDAP names them, a name with
 * no entry behind it, so it reads as any authenticated user and changes
 * nothing.
 */
static char *
bind_peercred_dn(const struct conn *c, bool *admin)
{
	char *dn;

	*admin = c->peer_uid == 0 || c->peer_uid == geteuid();
	if (*admin)
		return strdup(srv->admin_ndn);
	if (asprintf(&dn, "gidNumber=%lu+uidNumber=%lu,cn=peercred,cn=external,cn=auth",
	    (unsigned long)c->peer_gid, (unsigned long)c->peer_uid) < 0)
		return NULL;
	return dn;
}

/* An authorization identity (RFC 4422 3.4.1) may only restate the
 * authenticated one: "", or "dn:" and the same DN. */
static bool
bind_authzid_ok(const struct berval *authz, const char *ndn)
{
	char *want = NULL, *got;
	bool ok;

	if (authz->bv_len == 0)
		return true;
	if (authz->bv_len < 3 || strncasecmp(authz->bv_val, "dn:", 3) != 0 ||
	    (got = strndup(authz->bv_val + 3, authz->bv_len - 3)) == NULL)
		return false;
	ok = strcasecmp(got, ndn) == 0 ||
	    (dn_normalize(srv->schema, got, &want) == LDAP_SUCCESS &&
	    strcmp(want, ndn) == 0);
	free(got);
	free(want);
	return ok;
}

/* SaslCredentials ::= SEQUENCE { mechanism, credentials OPTIONAL }. */
static void
bind_sasl(struct op *o, struct diag *d)
{
	struct berval mech, authz = { 0, NULL };
	struct conn *c = o->conn;
	ber_len_t len;
	char *ndn;
	bool admin;

	if (ber_scanf(o->ber, "{m", &mech) == LBER_ERROR) {
		diag_set(d, LDAP_PROTOCOL_ERROR, "malformed bind request");
		return;
	}
	if (ber_peek_tag(o->ber, &len) == LBER_OCTETSTRING &&
	    ber_scanf(o->ber, "m", &authz) == LBER_ERROR) {
		diag_set(d, LDAP_PROTOCOL_ERROR, "malformed bind request");
		return;
	}
	if (mech.bv_len != 8 || strncasecmp(mech.bv_val, "EXTERNAL", 8) != 0) {
		diag_set(d, LDAP_AUTH_METHOD_NOT_SUPPORTED,
		    "SASL mechanism %.*s not supported (only EXTERNAL, on ldapi)",
		    (int)(mech.bv_len > 32 ? 32 : mech.bv_len), mech.bv_val);
		return;
	}
	/* no client certificates yet: TCP and TLS carry no identity */
	if (!c->ldapi) {
		diag_set(d, LDAP_INAPPROPRIATE_AUTH,
		    "SASL EXTERNAL needs the local socket (ldapi)");
		return;
	}
	if ((ndn = bind_peercred_dn(c, &admin)) == NULL) {
		diag_set(d, LDAP_OTHER, "out of memory");
		return;
	}
	if (!bind_authzid_ok(&authz, ndn)) {
		diag_set(d, LDAP_INSUFFICIENT_ACCESS,
		    "authorization identity other than the authenticated one refused");
		free(ndn);
		return;
	}
	log_info("conn=%llu op=%d BIND EXTERNAL uid=%lu gid=%lu as \"%s\"%s",
	    (unsigned long long)c->id, o->num, (unsigned long)c->peer_uid,
	    (unsigned long)c->peer_gid, ndn, admin ? " (administrator)" : "");
	conn_set_identity(c, ndn, admin);
	free(ndn);
	diag_set(d, LDAP_SUCCESS, "%s", "");
}

void
op_bind(struct op *o)
{
	struct berval name, cred = { 0, NULL };
	char *ndn = NULL, ctx[32];
	bool admin = false;
	ber_int_t version;
	ber_len_t len;
	ber_tag_t auth;
	struct diag d;
	char *cname, *lname;
	int rc = LDAP_OTHER;

	diag_clear(&d);
	if (ber_scanf(o->ber, "{im", &version, &name) == LBER_ERROR ||
	    (auth = ber_peek_tag(o->ber, &len)) == LBER_ERROR) {
		result_error(o, LDAP_RES_BIND, LDAP_PROTOCOL_ERROR, "malformed bind request");
		return;
	}
	cname = strndup(name.bv_val, name.bv_len);
	if ((lname = strdup(cname != NULL ? cname : "")) != NULL)
		bind_printable(lname);
	log_info("conn=%llu op=%d BIND dn=\"%s\" method=%lu version=%d",
	    (unsigned long long)o->conn->id, o->num, lname ? lname : "",
	    (unsigned long)auth, (int)version);
	/* A bind always starts from anonymous (RFC 4513 5). */
	conn_set_identity(o->conn, NULL, false);
	if (version != 3)
		diag_set(&d, LDAP_PROTOCOL_ERROR, "only LDAP version 3 is supported");
	else if (auth == LDAP_AUTH_SASL)
		bind_sasl(o, &d);
	else if (auth != LDAP_AUTH_SIMPLE)
		diag_set(&d, LDAP_AUTH_METHOD_NOT_SUPPORTED,
		    "only simple and SASL EXTERNAL authentication are supported");
	else if (ber_scanf(o->ber, "m", &cred) == LBER_ERROR || cname == NULL)
		diag_set(&d, LDAP_PROTOCOL_ERROR, "malformed bind request");
	else if (name.bv_len == 0 && cred.bv_len == 0)
		diag_set(&d, LDAP_SUCCESS, "%s", "");
	else if (cred.bv_len == 0)
		diag_set(&d, LDAP_UNWILLING_TO_PERFORM,
		    "unauthenticated bind (DN with no password) disallowed");
	else {
		snprintf(ctx, sizeof(ctx), "conn=%llu", (unsigned long long)o->conn->id);
		rc = bind_password(cname, &cred, o->conn->peer, ctx, &ndn, &admin);
		if (rc == LDAP_SUCCESS) {
			conn_set_identity(o->conn, ndn, admin);
			diag_set(&d, LDAP_SUCCESS, "%s", "");
		} else
			diag_set(&d, rc, rc == LDAP_INVALID_CREDENTIALS ?
			    "invalid credentials" : "cannot check credentials");
	}
	if (cred.bv_val != NULL)
		OPENSSL_cleanse(cred.bv_val, cred.bv_len);
	free(ndn);
	free(cname);
	free(lname);
	result_bind(o, &d);
}
