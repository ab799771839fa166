/*
 * op_add.c: the add operation. Missing RDN values are added to the entry;
 * passwords are checked against the policy and hashed before they are
 * stored, and every copy of their clear text is wiped.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server.h"
#include "log.h"

struct add {
	struct entry	*e;
	const char	*who;
};

static int
add_txn(struct be_txn *t, void *arg, struct diag *d)
{
	struct add *a = arg;

	return write_add(t, a->e, a->who, d);
}

/* Reads the AttributeList into e. */
static int
add_attrs(BerElement *ber, struct entry *e, struct diag *d)
{
	ber_tag_t tag;
	ber_len_t len;
	char *last;
	int rc;

	for (tag = ber_first_element(ber, &len, &last); tag != LBER_DEFAULT;
	    tag = ber_next_element(ber, &len, last)) {
		struct berval type, *vals = NULL;
		const struct at_def *at;
		char *name;

		if (ber_scanf(ber, "{m[W]}", &type, &vals) == LBER_ERROR)
			return diag_set(d, LDAP_PROTOCOL_ERROR, "malformed add request");
		if ((name = strndup(type.bv_val, type.bv_len)) == NULL) {
			pwd_wipe_bvarray(vals);
			return diag_set(d, LDAP_NO_MEMORY, "out of memory");
		}
		rc = write_user_attr(name, &at, d);
		if (rc == LDAP_SUCCESS && (vals == NULL || vals[0].bv_val == NULL))
			rc = diag_set(d, LDAP_PROTOCOL_ERROR,
			    "attribute '%s' has no values", name);
		for (size_t i = 0; rc == LDAP_SUCCESS && vals[i].bv_val != NULL; i++) {
			struct berval v = { vals[i].bv_len, NULL };
			if ((v.bv_val = malloc(v.bv_len + 1)) == NULL) {
				rc = diag_set(d, LDAP_NO_MEMORY, "out of memory");
				break;
			}
			memcpy(v.bv_val, vals[i].bv_val, v.bv_len);
			v.bv_val[v.bv_len] = '\0';
			if (strcasecmp(at->names[0], "userPassword") == 0)
				rc = write_password(&v, d);
			if (rc == LDAP_SUCCESS &&
			    entry_add_value(e, at->names[0], v.bv_val, v.bv_len) != 0)
				rc = diag_set(d, LDAP_NO_MEMORY, "out of memory");
			free(v.bv_val);
		}
		pwd_wipe_bvarray(vals);
		free(name);
		if (rc != LDAP_SUCCESS)
			return rc;
	}
	if (ber_scanf(ber, "}") == LBER_ERROR)
		return diag_set(d, LDAP_PROTOCOL_ERROR, "malformed add request");
	return LDAP_SUCCESS;
}

void
op_add(struct op *o)
{
	struct berval dn;
	struct add a = { NULL, o->bind_ndn != NULL ? o->bind_ndn : "" };
	struct diag d;
	char *cdn = NULL, *ndn = NULL;

	diag_clear(&d);
	if (ber_scanf(o->ber, "{m", &dn) == LBER_ERROR ||
	    (cdn = strndup(dn.bv_val, dn.bv_len)) == NULL) {
		result_error(o, LDAP_RES_ADD, LDAP_PROTOCOL_ERROR, "malformed add request");
		return;
	}
	log_info("conn=%llu op=%d ADD dn=\"%s\"", (unsigned long long)o->conn->id,
	    o->num, cdn);
	if (dn_normalize(srv->schema, cdn, &ndn) != LDAP_SUCCESS || ndn[0] == '\0')
		diag_set(&d, LDAP_INVALID_DN_SYNTAX, "invalid DN");
	else if (write_check(o, ndn, &d) != LDAP_SUCCESS)
		;
	else if ((a.e = entry_new(cdn, ndn)) == NULL)
		diag_set(&d, LDAP_NO_MEMORY, "out of memory");
	else if (add_attrs(o->ber, a.e, &d) == LDAP_SUCCESS)
		write_txn_op(o, add_txn, &a, &d);
	result_send(o, LDAP_RES_ADD, &d);
	entry_free(a.e);
	free(cdn);
	free(ndn);
}
