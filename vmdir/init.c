/*
 * init.c: one-time initialisation of a data directory: the naming
 * context, the containers of the standard layout, the Administrator and
 * the Administrators group, this node's server object and machine
 * account, all in one transaction.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uuid/uuid.h>
#include <openssl/crypto.h>

#include "server.h"
#include "log.h"
#include "secret.h"

/* "vsphere.local" -> "dc=vsphere,dc=local" */
static char *
init_domain_dn(const char *domain)
{
	size_t len = strlen(domain);
	char *out = malloc(len * 4 + 4), *p = out;

	if (out == NULL)
		return NULL;
	p += sprintf(p, "dc=");
	for (const char *s = domain; *s != '\0'; s++)
		p += *s == '.' ? sprintf(p, ",dc=") : sprintf(p, "%c", *s);
	return out;
}

/* Fills the server's names (suffix, well-known DNs) from the settings. */
int
init_names(void)
{
	char buf[2048];

	if ((srv->suffix = init_domain_dn(srv->conf.domain)) == NULL ||
	    dn_normalize(srv->schema, srv->suffix, &srv->nsuffix) != LDAP_SUCCESS) {
		fprintf(stderr, "vmdird: invalid domain '%s'\n", srv->conf.domain);
		return -1;
	}
	snprintf(buf, sizeof(buf), "cn=Administrator,cn=Users,%s", srv->suffix);
	if (dn_normalize(srv->schema, buf, &srv->admin_ndn) != LDAP_SUCCESS)
		return -1;
	snprintf(buf, sizeof(buf), "cn=Administrators,cn=Builtin,%s", srv->suffix);
	if (dn_normalize(srv->schema, buf, &srv->admins_ndn) != LDAP_SUCCESS)
		return -1;
	snprintf(buf, sizeof(buf), "cn=DCAdmins,cn=Builtin,%s", srv->suffix);
	if (dn_normalize(srv->schema, buf, &srv->dcadmins_ndn) != LDAP_SUCCESS)
		return -1;
	snprintf(buf, sizeof(buf), "cn=%s,cn=Servers,cn=%s,cn=Sites,cn=Configuration,%s",
	    srv->conf.node, srv->conf.site, srv->suffix);
	if (dn_normalize(srv->schema, buf, &srv->server_ndn) != LDAP_SUCCESS) {
		fprintf(stderr, "vmdird: invalid node or site name\n");
		return -1;
	}
	srv->server_dn = strdup(buf);
	snprintf(buf, sizeof(buf), "cn=Deleted Objects,%s", srv->suffix);
	if (dn_normalize(srv->schema, buf, &srv->deleted_ndn) != LDAP_SUCCESS)
		return -1;
	snprintf(buf, sizeof(buf), "cn=LostAndFound,%s", srv->suffix);
	if (dn_normalize(srv->schema, buf, &srv->lostfound_ndn) != LDAP_SUCCESS)
		return -1;
	snprintf(buf, sizeof(buf), "%s,%s", POLICY_RDN, srv->suffix);
	if (dn_normalize(srv->schema, buf, &srv->policy_ndn) != LDAP_SUCCESS)
		return -1;
	return srv->server_dn != NULL ? 0 : -1;
}

void
init_free_names(void)
{
	char **names[] = { &srv->suffix, &srv->nsuffix, &srv->admin_ndn,
	    &srv->admins_ndn, &srv->dcadmins_ndn, &srv->server_dn, &srv->server_ndn,
	    &srv->deleted_ndn, &srv->lostfound_ndn, &srv->policy_ndn };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		free(*names[i]);
		*names[i] = NULL;
	}
}

struct init {
	const char	*password;
	char		*machine_pw;
};

/* Adds one entry: dn is relative to the suffix ("" for the suffix), the
 * rest are "attr=value" strings ending with NULL. */
static int
init_entry(struct be_txn *t, struct diag *d, const char *rdn, ...)
{
	struct entry *e;
	char *dn, *ndn;
	const char *av;
	va_list ap;
	int rc;

	if ((rdn[0] == '\0' ? (dn = strdup(srv->suffix)) == NULL :
	    asprintf(&dn, "%s,%s", rdn, srv->suffix) < 0))
		return diag_set(d, LDAP_NO_MEMORY, "out of memory");
	if ((rc = dn_normalize(srv->schema, dn, &ndn)) != LDAP_SUCCESS) {
		free(dn);
		return diag_set(d, rc, "invalid DN %s", dn);
	}
	e = entry_new(dn, ndn);
	free(dn);
	free(ndn);
	if (e == NULL)
		return diag_set(d, LDAP_NO_MEMORY, "out of memory");
	va_start(ap, rdn);
	while ((av = va_arg(ap, const char *)) != NULL) {
		const char *eq = strchr(av, '=');
		char name[64];
		snprintf(name, sizeof(name), "%.*s", (int)(eq - av), av);
		if (entry_add_str(e, name, eq + 1) != 0) {
			va_end(ap);
			entry_free(e);
			return diag_set(d, LDAP_NO_MEMORY, "out of memory");
		}
	}
	va_end(ap);
	rc = write_add(t, e, "", d);
	if (rc != LDAP_SUCCESS && rc != BE_RETRY)
		log_error("init: cannot add %s: %s", e->dn, d->text);
	entry_free(e);
	return rc;
}

/* The policy entry, holding every default so administrators see them. */
static int
init_policy(struct be_txn *t, struct diag *d)
{
	struct policy p;
	char v[9][80];

	policy_defaults(&p);
	snprintf(v[0], sizeof(v[0]), "vmwPasswordMinLength=%d", p.min_length);
	snprintf(v[1], sizeof(v[1]), "vmwPasswordMaxLength=%d", p.max_length);
	snprintf(v[2], sizeof(v[2]), "vmwPasswordMinSpecialCharCount=%d", p.min_special);
	snprintf(v[3], sizeof(v[3]), "vmwPasswordMinNumericCount=%d", p.min_numeric);
	snprintf(v[4], sizeof(v[4]), "vmwPasswordMinUpperCaseCount=%d", p.min_upper);
	snprintf(v[5], sizeof(v[5]), "vmwPasswordMinLowerCaseCount=%d", p.min_lower);
	snprintf(v[6], sizeof(v[6]), "vmwPasswordChangeMaxFailedAttempts=%d",
	    p.max_failures);
	snprintf(v[7], sizeof(v[7]), "vmwPasswordChangeFailedAttemptIntervalSec=%d",
	    p.failure_interval);
	snprintf(v[8], sizeof(v[8]), "vmwPasswordChangeAutoUnlockIntervalSec=%d",
	    p.unlock_interval);
	return init_entry(t, d, POLICY_RDN, "objectClass=vmwPasswordAndLockoutPolicy",
	    v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], NULL);
}

static int
init_txn(struct be_txn *t, void *arg, struct diag *d)
{
	struct init *in = arg;
	const struct conf *c = &srv->conf;
	char site[256], servers[512], node[600], agreements[700], lookup[512],
	    regs[600], dc[600], dcv[300], upn[300], member[512], machine[900],
	    admpw[300], mpw[300], sid[32], *h;
	int rc;

	snprintf(dcv, sizeof(dcv), "dc=%.*s", (int)strcspn(c->domain, "."), c->domain);
	snprintf(site, sizeof(site), "cn=%s,cn=Sites,cn=Configuration", c->site);
	snprintf(servers, sizeof(servers), "cn=Servers,%s", site);
	snprintf(node, sizeof(node), "cn=%s,%s", c->node, servers);
	snprintf(agreements, sizeof(agreements), "cn=Replication Agreements,%s", node);
	snprintf(lookup, sizeof(lookup), "cn=LookupService,%s", site);
	snprintf(regs, sizeof(regs), "cn=ServiceRegistrations,%s", lookup);
	snprintf(dc, sizeof(dc), "cn=%s,cn=Domain Controllers", c->node);
	snprintf(upn, sizeof(upn), "userPrincipalName=administrator@%s", c->domain);
	snprintf(member, sizeof(member), "member=%s", srv->admin_ndn);
	snprintf(sid, sizeof(sid), "serverId=%d", srv->server_id);
	if ((h = pwd_hash(in->password, strlen(in->password))) == NULL)
		return diag_set(d, LDAP_OTHER, "cannot hash the password");
	snprintf(admpw, sizeof(admpw), "userPassword=%s", h);
	free(h);
	if ((h = pwd_hash(in->machine_pw, strlen(in->machine_pw))) == NULL)
		return diag_set(d, LDAP_OTHER, "cannot hash the password");
	snprintf(mpw, sizeof(mpw), "userPassword=%s", h);
	free(h);
	snprintf(machine, sizeof(machine), "userPrincipalName=%s@%s", c->node, c->domain);
	char dcattr[320];
	snprintf(dcattr, sizeof(dcattr), "%s", dcv);
	char inv[64];
	snprintf(inv, sizeof(inv), "invocationId=%s", srv->invocation);
	char nodecn[300], sitecn[300];
	snprintf(nodecn, sizeof(nodecn), "cn=%s", c->node);
	snprintf(sitecn, sizeof(sitecn), "cn=%s", c->site);
	char sam[300], dcmember[900];
	snprintf(dcmember, sizeof(dcmember), "member=%s,%s", dc, srv->suffix);
	snprintf(sam, sizeof(sam), "sAMAccountName=%s$", c->node);

	if ((rc = init_entry(t, d, "", "objectClass=top", "objectClass=domain",
	    dcattr, NULL)) ||
	    (rc = init_entry(t, d, "cn=Users", "objectClass=container", NULL)) ||
	    (rc = init_entry(t, d, "cn=Builtin", "objectClass=container", NULL)) ||
	    (rc = init_entry(t, d, "cn=Domain Controllers", "objectClass=container", NULL)) ||
	    (rc = init_entry(t, d, "cn=ServicePrincipals", "objectClass=container", NULL)) ||
	    (rc = init_entry(t, d, "cn=Deleted Objects", "objectClass=container", NULL)) ||
	    (rc = init_entry(t, d, "cn=LostAndFound", "objectClass=container", NULL)) ||
	    (rc = init_entry(t, d, "cn=Services", "objectClass=container", NULL)) ||
	    (rc = init_entry(t, d, "cn=Configuration", "objectClass=container", NULL)) ||
	    (rc = init_entry(t, d, "cn=Certificate-Authorities,cn=Configuration",
	    "objectClass=container", NULL)) ||
	    (rc = init_entry(t, d, "cn=Sites,cn=Configuration", "objectClass=container", NULL)) ||
	    (rc = init_entry(t, d, site, "objectClass=container", NULL)) ||
	    (rc = init_entry(t, d, servers, "objectClass=container", NULL)) ||
	    (rc = init_entry(t, d, node, "objectClass=vmwDirServer", sid, inv,
	    "replInterval=60", "replPageSize=1000", NULL)) ||
	    (rc = init_entry(t, d, agreements, "objectClass=container", NULL)) ||
	    (rc = init_entry(t, d, lookup, "objectClass=container", NULL)) ||
	    (rc = init_entry(t, d, regs, "objectClass=container", NULL)) ||
	    (rc = init_entry(t, d, "cn=Administrator,cn=Users", "objectClass=user",
	    "sn=Administrator", "givenName=Administrator", upn,
	    "sAMAccountName=Administrator", admpw, NULL)) ||
	    (rc = init_entry(t, d, "cn=Administrators,cn=Builtin", "objectClass=group",
	    "sAMAccountName=Administrators", member,
	    "description=Administrators have complete access to the directory", NULL)) ||
	    (rc = init_entry(t, d, "cn=DCAdmins,cn=Builtin", "objectClass=group",
	    "description=Domain controller machine accounts", dcmember, NULL)) ||
	    (rc = init_entry(t, d, dc, "objectClass=computer", nodecn, "sn=machine account", machine, sam,
	    mpw, NULL)) ||
	    (rc = init_policy(t, d)))
		return rc;
	(void)sitecn;
	if ((rc = be_meta_put(t, "invocationId", srv->invocation)) != LDAP_SUCCESS ||
	    (rc = be_meta_put(t, "serverId", sid + strlen("serverId="))) != LDAP_SUCCESS ||
	    (rc = be_meta_put(t, "state", "Normal")) != LDAP_SUCCESS ||
	    (rc = be_meta_put(t, "domain", c->domain)) != LDAP_SUCCESS ||
	    (rc = be_meta_put(t, "node", c->node)) != LDAP_SUCCESS ||
	    (rc = be_meta_put(t, "site", c->site)) != LDAP_SUCCESS)
		return rc == BE_RETRY ? rc : diag_set(d, rc, "cannot store settings");
	return LDAP_SUCCESS;
}

char *
init_read_secret(const char *path)
{
	return secret_read_file(path);
}

/* The machine account's password, for replication; readable by the
 * daemon's user only. */
char *
init_read_machine_pw(void)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/machine-account", srv->conf.data_dir);
	return init_read_secret(path);
}

int
init_save_machine_pw(const char *pw)
{
	char path[4096];
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/machine-account", srv->conf.data_dir);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
		return -1;
	n = write(fd, pw, strlen(pw));
	if (close(fd) != 0 || n != (ssize_t)strlen(pw))
		return -1;
	return 0;
}

int
init_domain(const char *password, struct diag *d)
{
	struct init in = { password, NULL };
	struct policy p;
	uuid_t u;
	int rc;

	policy_defaults(&p);
	if ((rc = policy_check_password(&p, password, strlen(password), d)) !=
	    LDAP_SUCCESS)
		return rc;
	if ((in.machine_pw = pwd_generate(&p)) == NULL)
		return diag_set(d, LDAP_NO_MEMORY, "out of memory");
	uuid_generate(u);
	uuid_unparse_lower(u, srv->invocation);
	srv->server_id = 1;
	rc = write_txn(init_txn, &in, d);
	if (rc == LDAP_SUCCESS && init_save_machine_pw(in.machine_pw) != 0)
		rc = diag_set(d, LDAP_OTHER, "cannot save the machine account password");
	OPENSSL_cleanse(in.machine_pw, strlen(in.machine_pw));
	free(in.machine_pw);
	return rc;
}
