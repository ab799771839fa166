/*
 * op_extended.c: extended operations, dispatched by OID: Who am I?
 * (RFC 4532) and Password Modify (RFC 3062). StartTLS is handled in op.c
 * because it must run on the event loop's thread.
 */
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>

#include "server.h"
#include "log.h"

struct passwd {
	const char	*ndn;
	struct berval	*oldpw;
	struct berval	 newpw;		/* hashed */
	bool		 admin;
};

static void
ext_whoami(struct op *o, struct berval *value)
{
	struct diag d;
	struct berval out;
	char *s = NULL;

	diag_clear(&d);
	if (value != NULL) {
		result_error(o, LDAP_RES_EXTENDED, LDAP_PROTOCOL_ERROR,
		    "Who am I? takes no request value");
		return;
	}
	if (o->bind_ndn != NULL && asprintf(&s, "dn:%s", o->bind_ndn) < 0)
		s = NULL;
	out.bv_val = s != NULL ? s : "";
	out.bv_len = strlen(out.bv_val);
	result_extended(o, &d, NULL, &out);
	free(s);
}

static int
passwd_txn(struct be_txn *t, void *arg, struct diag *d)
{
	struct passwd *p = arg;
	struct entry *old = NULL, *nw = NULL;
	char *parent = NULL;
	uint64_t pid = 0;
	struct attr *pw;
	bool match = false;
	int rc;

	rc = be_get_dn(t, p->ndn, &old);
	if (rc == LDAP_NO_SUCH_OBJECT)
		return diag_set(d, rc, "no such user");
	if (rc != LDAP_SUCCESS)
		return rc;
	if (p->oldpw != NULL) {
		pw = entry_attr(old, "userPassword");
		for (size_t i = 0; pw != NULL && i < pw->nvals; i++)
			match |= pwd_verify(pw->vals[i].bv_val, p->oldpw->bv_val,
			    p->oldpw->bv_len);
		if (!match) {
			entry_free(old);
			return diag_set(d, LDAP_INVALID_CREDENTIALS,
			    "the old password is not correct");
		}
	}
	if ((nw = entry_dup(old)) == NULL ||
	    entry_set_str(nw, "userPassword", p->newpw.bv_val) != 0)
		rc = diag_set(d, LDAP_NO_MEMORY, "out of memory");
	else if ((rc = write_stamp_modify(t, old, nw, p->ndn, d)) == LDAP_SUCCESS &&
	    (rc = schema_check_entry(srv->schema, nw, d)) == LDAP_SUCCESS) {
		if ((parent = dn_parent(old->ndn)) == NULL)
			rc = LDAP_NO_MEMORY;
		else if (parent[0] == '\0' || (rc = be_dn2id(t, parent, &pid)) == LDAP_SUCCESS)
			rc = be_update(t, old, nw, pid);
	}
	free(parent);
	entry_free(old);
	entry_free(nw);
	return rc;
}

/* The old and new passwords, in the request value, in the decoder's
 * copy of it (oldpw and newpw point there) and in a generated answer. */
static void
passwd_wipe(struct berval *value, struct berval *oldpw, struct berval *newpw,
    struct berval *gen)
{
	struct berval *v[] = { value, oldpw, newpw, gen };

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (v[i] != NULL && v[i]->bv_val != NULL)
			OPENSSL_cleanse(v[i]->bv_val, v[i]->bv_len);
}

static void
ext_passwd(struct op *o, struct berval *value)
{
	struct berval id = { 0, NULL }, oldpw = { 0, NULL }, newpw = { 0, NULL };
	struct passwd p = { .admin = o->admin };
	struct berval genval = { 0, NULL }, *gen = NULL;
	struct policy pol;
	BerElement *ber = NULL, *out = NULL;
	char *cid = NULL, *ndn = NULL, *clear = NULL, *hash = NULL;
	ber_len_t len;
	struct diag d;

	diag_clear(&d);
	if (o->bind_ndn == NULL) {
		result_error(o, LDAP_RES_EXTENDED, LDAP_UNWILLING_TO_PERFORM,
		    "password modify requires an authenticated identity");
		return;
	}
	if (value != NULL) {
		/* liblber's ber_init crashes on an empty value */
		if (value->bv_len == 0 ||
		    (ber = ber_init(value)) == NULL || ber_scanf(ber, "{") == LBER_ERROR ||
		    (ber_peek_tag(ber, &len) == LDAP_TAG_EXOP_MODIFY_PASSWD_ID &&
		    ber_scanf(ber, "m", &id) == LBER_ERROR) ||
		    (ber_peek_tag(ber, &len) == LDAP_TAG_EXOP_MODIFY_PASSWD_OLD &&
		    ber_scanf(ber, "m", &oldpw) == LBER_ERROR) ||
		    (ber_peek_tag(ber, &len) == LDAP_TAG_EXOP_MODIFY_PASSWD_NEW &&
		    ber_scanf(ber, "m", &newpw) == LBER_ERROR)) {
			diag_set(&d, LDAP_PROTOCOL_ERROR, "malformed password modify request");
			goto done;
		}
	}
	if (id.bv_val != NULL) {
		cid = strndup(id.bv_val, id.bv_len);
		if (cid == NULL || dn_normalize(srv->schema, cid, &ndn) != LDAP_SUCCESS) {
			diag_set(&d, LDAP_INVALID_DN_SYNTAX, "invalid user identity");
			goto done;
		}
	} else if ((ndn = strdup(o->bind_ndn)) == NULL)
		goto done;
	if (!o->admin && strcmp(ndn, o->bind_ndn) != 0) {
		diag_set(&d, LDAP_INSUFFICIENT_ACCESS,
		    "only administrators may change another user's password");
		goto done;
	}
	policy_load(&pol);
	if (newpw.bv_val == NULL) {
		if ((clear = pwd_generate(&pol)) == NULL)
			goto done;
		newpw.bv_val = clear;
		newpw.bv_len = strlen(clear);
	}
	if (policy_check_password(&pol, newpw.bv_val, newpw.bv_len, &d) != LDAP_SUCCESS)
		goto done;
	if ((hash = pwd_hash(newpw.bv_val, newpw.bv_len)) == NULL) {
		diag_set(&d, LDAP_OTHER, "cannot hash the password");
		goto done;
	}
	p.ndn = ndn;
	p.oldpw = oldpw.bv_val != NULL ? &oldpw : NULL;
	p.newpw.bv_val = hash;
	p.newpw.bv_len = strlen(hash);
	if (write_txn_op(o, passwd_txn, &p, &d) == LDAP_SUCCESS)
		lockout_forget(ndn);
	if (d.rc == LDAP_SUCCESS && clear != NULL) {
		/* RFC 3062: the generated password goes back as genPasswd [0] */
		if ((out = ber_alloc_t(LBER_USE_DER)) != NULL &&
		    ber_printf(out, "{tO}", LDAP_TAG_EXOP_MODIFY_PASSWD_GEN, &newpw) >= 0 &&
		    ber_flatten2(out, &genval, 0) == 0)
			gen = &genval;
	}
done:
	if (d.rc == LDAP_SUCCESS && p.ndn == NULL)
		diag_set(&d, LDAP_NO_MEMORY, "out of memory");
	result_extended(o, &d, NULL, gen);
	passwd_wipe(value, &oldpw, &newpw, &genval);
	free(clear);
	free(hash);
	free(cid);
	free(ndn);
	ber_free(out, 1);
	ber_free(ber, 1);
}

/*
 * The node administration operation (vdcadmintool): the request value is a
 * command line, the response value its answer:
 *   state                     -> Normal | ReadOnly | Standalone
 *   state NORMAL|READ_ONLY|STANDALONE
 *   loglevel                  -> error | warn | info | debug | trace
 *   loglevel LEVEL
 *   replicate                 (starts a replication cycle now)
 */
static void
ext_admin(struct op *o, struct berval *value)
{
	char cmd[128], arg[64], out[128];
	struct berval ov;
	struct diag d;
	int n, st, lvl;

	diag_clear(&d);
	out[0] = '\0';
	if (!o->admin) {
		result_error(o, LDAP_RES_EXTENDED, LDAP_INSUFFICIENT_ACCESS,
		    "node administration needs an administrator");
		return;
	}
	if (value == NULL || value->bv_len >= sizeof(cmd)) {
		result_error(o, LDAP_RES_EXTENDED, LDAP_PROTOCOL_ERROR,
		    "missing or oversized command");
		return;
	}
	memcpy(cmd, value->bv_val, value->bv_len);
	cmd[value->bv_len] = '\0';
	arg[0] = '\0';
	n = sscanf(cmd, "%*s %63s", arg);
	if (strncmp(cmd, "state", 5) == 0 && (cmd[5] == '\0' || cmd[5] == ' ')) {
		if (n == 1) {
			if ((st = state_parse(arg)) < 0)
				diag_set(&d, LDAP_UNWILLING_TO_PERFORM,
				    "unknown state '%s' (NORMAL, READ_ONLY or STANDALONE)", arg);
			else
				state_set(st, &d);
		}
		snprintf(out, sizeof(out), "%s", state_name(srv->state));
	} else if (strncmp(cmd, "loglevel", 8) == 0 && (cmd[8] == '\0' || cmd[8] == ' ')) {
		if (n == 1) {
			if ((lvl = log_level_parse(arg)) < 0)
				diag_set(&d, LDAP_UNWILLING_TO_PERFORM,
				    "unknown log level '%s'", arg);
			else
				log_set_level(lvl);
		}
		snprintf(out, sizeof(out), "%s", log_level_name(log_get_level()));
	} else if (strcmp(cmd, "replicate") == 0) {
		repl_kick();
		snprintf(out, sizeof(out), "replication cycle started");
	} else
		diag_set(&d, LDAP_UNWILLING_TO_PERFORM, "unknown command '%s'", cmd);
	ov.bv_val = out;
	ov.bv_len = strlen(out);
	result_extended(o, &d, NULL, d.rc == LDAP_SUCCESS ? &ov : NULL);
}

static const struct {
	const char	*oid;
	void		(*fn)(struct op *, struct berval *);
} ext_table[] = {
	{ LDAP_EXOP_WHO_AM_I, ext_whoami },
	{ LDAP_EXOP_MODIFY_PASSWD, ext_passwd },
	{ OID_TRELLIS_ADMIN, ext_admin },
};

void
op_extended(struct op *o)
{
	struct berval oid, value, *vp = NULL;
	ber_len_t len;
	char *coid;

	if (ber_scanf(o->ber, "{m", &oid) == LBER_ERROR) {
		result_error(o, LDAP_RES_EXTENDED, LDAP_PROTOCOL_ERROR,
		    "malformed extended request");
		return;
	}
	if (ber_peek_tag(o->ber, &len) == LDAP_TAG_EXOP_REQ_VALUE) {
		if (ber_scanf(o->ber, "m", &value) == LBER_ERROR) {
			result_error(o, LDAP_RES_EXTENDED, LDAP_PROTOCOL_ERROR,
			    "malformed extended request");
			return;
		}
		vp = &value;
	}
	coid = strndup(oid.bv_val, oid.bv_len);
	log_info("conn=%llu op=%d EXT oid=%s", (unsigned long long)o->conn->id, o->num,
	    coid ? coid : "");
	for (size_t i = 0; coid != NULL && i < sizeof(ext_table) / sizeof(ext_table[0]); i++)
		if (strcmp(coid, ext_table[i].oid) == 0) {
			free(coid);
			ext_table[i].fn(o, vp);
			return;
		}
	result_error(o, LDAP_RES_EXTENDED, LDAP_PROTOCOL_ERROR,
	    "unsupported extended operation");
	free(coid);
}
