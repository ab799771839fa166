/*
 * policy.c: the password and lockout policy. It lives in the directory,
 * in cn=password and lockout policy,<domain>, so that administrators
 * change it with ldapmodify and it replicates like any entry. The
 * defaults are those vCenter's SSO ships with; they apply to every
 * setting the entry lacks, and to the whole policy while it is absent.
 */
#include <stdlib.h>
#include <string.h>

#include "server.h"
#include "log.h"

static const struct {
	const char	*attr;
	size_t		 off;
	int		 def;
} policy_attrs[] = {
	{ "vmwPasswordMinLength", offsetof(struct policy, min_length), 8 },
	{ "vmwPasswordMaxLength", offsetof(struct policy, max_length), 20 },
	{ "vmwPasswordMinSpecialCharCount", offsetof(struct policy, min_special), 1 },
	{ "vmwPasswordMinNumericCount", offsetof(struct policy, min_numeric), 1 },
	{ "vmwPasswordMinUpperCaseCount", offsetof(struct policy, min_upper), 1 },
	{ "vmwPasswordMinLowerCaseCount", offsetof(struct policy, min_lower), 1 },
	{ "vmwPasswordChangeMaxFailedAttempts",
	    offsetof(struct policy, max_failures), 5 },
	{ "vmwPasswordChangeFailedAttemptIntervalSec",
	    offsetof(struct policy, failure_interval), 180 },
	{ "vmwPasswordChangeAutoUnlockIntervalSec",
	    offsetof(struct policy, unlock_interval), 300 },
};

#define POLICY_NATTRS	(sizeof(policy_attrs) / sizeof(policy_attrs[0]))

static int *
policy_field(struct policy *p, size_t i)
{
	return (int *)((char *)p + policy_attrs[i].off);
}

void
policy_defaults(struct policy *p)
{
	for (size_t i = 0; i < POLICY_NATTRS; i++)
		*policy_field(p, i) = policy_attrs[i].def;
}

/* Values come from the directory: keep them within sense. */
static int
policy_value(const char *s, int def)
{
	long long v;
	char *end;

	if (s == NULL)
		return def;
	v = strtoll(s, &end, 10);
	if (*end != '\0' || end == s || v < 0)
		return def;
	return v > 1000000000 ? 1000000000 : (int)v;
}

void
policy_from_entry(const struct entry *e, struct policy *p)
{
	policy_defaults(p);
	for (size_t i = 0; e != NULL && i < POLICY_NATTRS; i++)
		*policy_field(p, i) = policy_value(entry_get_str(e,
		    policy_attrs[i].attr), policy_attrs[i].def);
}

int
policy_read(struct be_txn *t, struct policy *p)
{
	struct entry *e = NULL;
	int rc;

	policy_defaults(p);
	if (srv->policy_ndn == NULL)
		return LDAP_SUCCESS;
	rc = be_get_dn(t, srv->policy_ndn, &e);
	if (rc == LDAP_NO_SUCH_OBJECT)
		return LDAP_SUCCESS;
	if (rc != LDAP_SUCCESS)
		return rc;
	policy_from_entry(e, p);
	entry_free(e);
	return LDAP_SUCCESS;
}

void
policy_load(struct policy *p)
{
	struct be_txn *t;
	int rc = BE_RETRY;

	for (int tries = 0; tries < 8 && rc == BE_RETRY; tries++) {
		if ((rc = be_begin(srv->be, false, &t)) != LDAP_SUCCESS)
			break;
		rc = policy_read(t, p);
		be_abort(t);
	}
	if (rc != LDAP_SUCCESS) {
		log_warn("cannot read the password policy, using the defaults");
		policy_defaults(p);
	}
}

/* Characters, not bytes: UTF-8 continuation bytes do not count. */
static int
policy_length(const char *pw, size_t len)
{
	int n = 0;

	for (size_t i = 0; i < len; i++)
		if (((unsigned char)pw[i] & 0xc0) != 0x80)
			n++;
	return n;
}

int
policy_check_password(const struct policy *p, const char *pw, size_t len,
    struct diag *d)
{
	int n = policy_length(pw, len), upper = 0, lower = 0, digit = 0,
	    special = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char ch = pw[i];
		if (ch >= 'A' && ch <= 'Z')
			upper++;
		else if (ch >= 'a' && ch <= 'z')
			lower++;
		else if (ch >= '0' && ch <= '9')
			digit++;
		else if (ch >= 0x20 && ch < 0x7f)
			special++;
	}
	if (n < p->min_length)
		return diag_set(d, LDAP_CONSTRAINT_VIOLATION,
		    "password policy: at least %d characters required", p->min_length);
	if (p->max_length > 0 && n > p->max_length)
		return diag_set(d, LDAP_CONSTRAINT_VIOLATION,
		    "password policy: at most %d characters allowed", p->max_length);
	if (special < p->min_special)
		return diag_set(d, LDAP_CONSTRAINT_VIOLATION,
		    "password policy: at least %d special character(s) required",
		    p->min_special);
	if (digit < p->min_numeric)
		return diag_set(d, LDAP_CONSTRAINT_VIOLATION,
		    "password policy: at least %d numeric character(s) required",
		    p->min_numeric);
	if (upper < p->min_upper)
		return diag_set(d, LDAP_CONSTRAINT_VIOLATION,
		    "password policy: at least %d uppercase letter(s) required",
		    p->min_upper);
	if (lower < p->min_lower)
		return diag_set(d, LDAP_CONSTRAINT_VIOLATION,
		    "password policy: at least %d lowercase letter(s) required",
		    p->min_lower);
	return LDAP_SUCCESS;
}
