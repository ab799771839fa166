/*
 * join.c: bringing a new node into an existing domain (vmdird --join).
 * Over LDAP, as the administrator, on the partner: this node's machine
 * account (and its DCAdmins membership), its server object with the next
 * serverId, and agreements both ways. Locally: an empty directory that
 * knows its identity and its first partner; the first replication cycle
 * then copies the whole directory in, the objects made here included.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uuid/uuid.h>
#include <openssl/crypto.h>

#include "server.h"
#include "log.h"
#include "ldapc.h"

struct join {
	LDAP	*ld;
	char	*nc;		/* the partner's naming context */
	char	*site;
	char	*pserver;	/* the partner's server object */
	int	 server_id;
	char	*machine_pw;
	char	 myuri[300];
};

static int
join_first(LDAP *ld, const char *base, int scope, const char *filter,
    const char *attr, char **out)
{
	char *attrs[] = { (char *)attr, NULL };
	LDAPMessage *res = NULL, *e;
	struct berval **v;
	int rc;

	*out = NULL;
	rc = ldap_search_ext_s(ld, base, scope, filter, attrs, 0, NULL, NULL, NULL,
	    0, &res);
	if (rc == LDAP_SUCCESS && (e = ldap_first_entry(ld, res)) != NULL &&
	    (v = ldap_get_values_len(ld, e, attr)) != NULL) {
		if (v[0] != NULL)
			*out = strndup(v[0]->bv_val, v[0]->bv_len);
		ldap_value_free_len(v);
	}
	ldap_msgfree(res);
	return rc != LDAP_SUCCESS ? rc : *out != NULL ? LDAP_SUCCESS : LDAP_NO_SUCH_OBJECT;
}

static int
join_next_server_id(struct join *j)
{
	char base[1024], *attrs[] = { "serverId", NULL };
	LDAPMessage *res = NULL;
	int rc, max = 0;

	snprintf(base, sizeof(base), "cn=Sites,cn=Configuration,%s", j->nc);
	rc = ldap_search_ext_s(j->ld, base, LDAP_SCOPE_SUBTREE, "(objectClass=vmwDirServer)",
	    attrs, 0, NULL, NULL, NULL, 0, &res);
	for (LDAPMessage *e = ldap_first_entry(j->ld, res); rc == LDAP_SUCCESS && e != NULL;
	    e = ldap_next_entry(j->ld, e)) {
		struct berval **v = ldap_get_values_len(j->ld, e, "serverId");
		if (v != NULL && v[0] != NULL && atoi(v[0]->bv_val) > max)
			max = atoi(v[0]->bv_val);
		ldap_value_free_len(v);
	}
	ldap_msgfree(res);
	j->server_id = max + 1;
	return rc;
}

/* ldap_add_ext_s of dn with "attr=value" pairs, NULL-terminated. */
static int
join_add(LDAP *ld, const char *dn, const char **av)
{
	LDAPMod mods[16], *pm[17];
	char *vals[16][2], names[16][64];
	size_t n = 0;
	int rc;

	for (; av[n] != NULL && n < 16; n++) {
		const char *eq = strchr(av[n], '=');
		snprintf(names[n], sizeof(names[n]), "%.*s", (int)(eq - av[n]), av[n]);
		vals[n][0] = (char *)eq + 1;
		vals[n][1] = NULL;
		mods[n].mod_op = LDAP_MOD_ADD;
		mods[n].mod_type = names[n];
		mods[n].mod_values = vals[n];
		pm[n] = &mods[n];
	}
	pm[n] = NULL;
	rc = ldap_add_ext_s(ld, dn, pm, NULL, NULL);
	if (rc != LDAP_SUCCESS)
		fprintf(stderr, "vmdird: join: cannot add %s: %s\n", dn, ldap_err2string(rc));
	return rc;
}

/* The domain's password policy, for the machine account's password (the
 * defaults if the partner has no policy entry). */
static void
join_policy(struct join *j, struct policy *p)
{
	LDAPMessage *res = NULL, *le;
	struct entry *e = NULL;
	BerElement *ber = NULL;
	struct berval **v;
	char dn[2048], *a;

	policy_defaults(p);
	snprintf(dn, sizeof(dn), "%s,%s", POLICY_RDN, j->nc);
	if (ldap_search_ext_s(j->ld, dn, LDAP_SCOPE_BASE, "(objectClass=*)", NULL, 0,
	    NULL, NULL, NULL, 0, &res) != LDAP_SUCCESS ||
	    (le = ldap_first_entry(j->ld, res)) == NULL || (e = entry_new(dn, dn)) == NULL) {
		ldap_msgfree(res);
		return;
	}
	for (a = ldap_first_attribute(j->ld, le, &ber); a != NULL;
	    a = ldap_next_attribute(j->ld, le, ber)) {
		if ((v = ldap_get_values_len(j->ld, le, a)) != NULL && v[0] != NULL)
			entry_add_value(e, a, v[0]->bv_val, v[0]->bv_len);
		ldap_value_free_len(v);
		ldap_memfree(a);
	}
	ber_free(ber, 0);
	policy_from_entry(e, p);
	entry_free(e);
	ldap_msgfree(res);
}

static int
join_partner(struct join *j, const char *uri)
{
	char dn[2048], dn2[2100], cn[300], upn[300], sam[300], pw[300], sid[32],
	    inv[64], member[2200], luri[400], myluri[400];
	char *vals[] = { member + strlen("member="), NULL };
	LDAPMod mod = { LDAP_MOD_ADD, "member", { vals } }, *mods[] = { &mod, NULL };
	int rc;

	snprintf(cn, sizeof(cn), "cn=%s", srv->conf.node);
	snprintf(upn, sizeof(upn), "userPrincipalName=%s@%s", srv->conf.node, srv->conf.domain);
	snprintf(sam, sizeof(sam), "sAMAccountName=%s$", srv->conf.node);
	snprintf(pw, sizeof(pw), "userPassword=%s", j->machine_pw);
	snprintf(dn, sizeof(dn), "cn=%s,cn=Domain Controllers,%s", srv->conf.node, j->nc);
	const char *machine[] = { "objectClass=computer", cn, "sn=machine account", upn,
	    sam, pw, NULL };
	if ((rc = join_add(j->ld, dn, machine)) != LDAP_SUCCESS)
		return rc;
	snprintf(member, sizeof(member), "member=%s", dn);
	snprintf(dn2, sizeof(dn2), "cn=DCAdmins,cn=Builtin,%s", j->nc);
	if ((rc = ldap_modify_ext_s(j->ld, dn2, mods, NULL, NULL)) != LDAP_SUCCESS) {
		fprintf(stderr, "vmdird: join: cannot add %s to DCAdmins: %s\n", dn,
		    ldap_err2string(rc));
		return rc;
	}
	snprintf(sid, sizeof(sid), "serverId=%d", j->server_id);
	snprintf(inv, sizeof(inv), "invocationId=%s", srv->invocation);
	snprintf(dn, sizeof(dn), "cn=%s,cn=Servers,cn=%s,cn=Sites,cn=Configuration,%s",
	    srv->conf.node, j->site, j->nc);
	snprintf(myluri, sizeof(myluri), "labeledURI=%s", j->myuri);
	const char *server[] = { "objectClass=vmwDirServer", cn, sid, inv, myluri,
	    "replInterval=60", "replPageSize=1000", NULL };
	const char *container[] = { "objectClass=container", "cn=Replication Agreements", NULL };
	if ((rc = join_add(j->ld, dn, server)) != LDAP_SUCCESS)
		return rc;
	snprintf(dn2, sizeof(dn2), "cn=Replication Agreements,%s", dn);
	if ((rc = join_add(j->ld, dn2, container)) != LDAP_SUCCESS)
		return rc;
	/* we pull from the partner ... */
	snprintf(luri, sizeof(luri), "labeledURI=%s", uri);
	snprintf(dn, sizeof(dn), "labeledURI=%.300s,%.1700s", uri, dn2);
	const char *mine[] = { "objectClass=vmwReplicationAgreement", luri, NULL };
	if ((rc = join_add(j->ld, dn, mine)) != LDAP_SUCCESS)
		return rc;
	/* ... and the partner from us */
	snprintf(luri, sizeof(luri), "labeledURI=%s", j->myuri);
	snprintf(dn, sizeof(dn), "labeledURI=%s,cn=Replication Agreements,%s", j->myuri,
	    j->pserver);
	const char *theirs[] = { "objectClass=vmwReplicationAgreement", luri, NULL };
	return join_add(j->ld, dn, theirs);
}

static int
join_local_txn(struct be_txn *t, void *arg, struct diag *d)
{
	struct join *j = arg;
	char sid[16];
	int rc;

	snprintf(sid, sizeof(sid), "%d", j->server_id);
	if ((rc = be_meta_put(t, "invocationId", srv->invocation)) != LDAP_SUCCESS ||
	    (rc = be_meta_put(t, "serverId", sid)) != LDAP_SUCCESS ||
	    (rc = be_meta_put(t, "state", "Normal")) != LDAP_SUCCESS ||
	    (rc = be_meta_put(t, "domain", srv->conf.domain)) != LDAP_SUCCESS ||
	    (rc = be_meta_put(t, "site", j->site)) != LDAP_SUCCESS ||
	    (rc = be_meta_put(t, "node", srv->conf.node)) != LDAP_SUCCESS ||
	    (rc = be_meta_put(t, "joinPartner", j->pserver)) != LDAP_SUCCESS)
		return rc == BE_RETRY ? rc : diag_set(d, rc, "cannot store settings");
	return LDAP_SUCCESS;
}

int
join_domain(const char *uri, const char *admin_pw, const char *myuri, struct diag *d)
{
	struct join j = { 0 };
	struct policy pol;
	struct ldapc_opts o = { .net_timeout = 10 };
	char admin[1024], *domain = NULL, *pfx, key[600], *msg = NULL;
	int rc;
	uuid_t u;

	snprintf(j.myuri, sizeof(j.myuri), "%s", myuri);
	/* anonymous first: the administrator's DN follows from the naming context */
	o.uri = uri;
	o.anonymous = true;
	o.ca_file = srv->conf.tls_ca;
	o.ca_dir = srv->conf.tls_ca_path;
	o.tls_demand = srv->conf.tls_ca != NULL || srv->conf.tls_ca_path != NULL;
	if ((rc = ldapc_connect(&o, &j.ld, &msg)) != LDAP_SUCCESS) {
		diag_set(d, rc, "cannot reach %s: %s", uri, msg ? msg : ldap_err2string(rc));
		free(msg);
		return rc;
	}
	if ((rc = join_first(j.ld, "", LDAP_SCOPE_BASE, "(objectClass=*)",
	    "defaultNamingContext", &j.nc)) != LDAP_SUCCESS) {
		diag_set(d, rc, "cannot read the root DSE of %s: %s", uri, ldap_err2string(rc));
		goto done;
	}
	snprintf(admin, sizeof(admin), "cn=Administrator,cn=Users,%s", j.nc);
	o.anonymous = false;
	o.bind_dn = admin;
	o.password = admin_pw;
	if ((rc = ldapc_bind(j.ld, &o, &msg)) != LDAP_SUCCESS) {
		diag_set(d, rc, "cannot bind to %s as %s: %s", uri, admin, ldap_err2string(rc));
		goto done;
	}
	if ((rc = join_first(j.ld, "", LDAP_SCOPE_BASE, "(objectClass=*)", "serverName",
	    &j.pserver)) != LDAP_SUCCESS) {
		diag_set(d, rc, "cannot read the partner's server object");
		goto done;
	}
	/* cn=<node>,cn=Servers,cn=<site>,... */
	pfx = strstr(j.pserver, ",cn=Servers,cn=");
	if (pfx == NULL || (j.site = strndup(pfx + 15, strcspn(pfx + 15, ","))) == NULL) {
		rc = diag_set(d, LDAP_OTHER, "unexpected server object %s", j.pserver);
		goto done;
	}
	/* the domain's DNS name from its naming context */
	if ((domain = strdup(j.nc)) != NULL) {
		char *w = domain;
		for (const char *p = j.nc; *p != '\0'; p++) {
			if (strncasecmp(p, "dc=", 3) == 0) {
				if (w != domain)
					*w++ = '.';
				p += 3;
				while (*p != '\0' && *p != ',')
					*w++ = *p++;
				if (*p == '\0')
					break;
			}
		}
		*w = '\0';
		free(srv->conf.domain);
		srv->conf.domain = domain;
	}
	if ((rc = join_next_server_id(&j)) != LDAP_SUCCESS) {
		diag_set(d, rc, "cannot read the servers of the domain");
		goto done;
	}
	uuid_generate(u);
	uuid_unparse_lower(u, srv->invocation);
	join_policy(&j, &pol);
	if ((j.machine_pw = pwd_generate(&pol)) == NULL ||
	    (rc = join_partner(&j, uri)) != LDAP_SUCCESS) {
		rc = diag_set(d, rc ? rc : LDAP_NO_MEMORY, "cannot register this node on %s", uri);
		goto done;
	}
	snprintf(key, sizeof(key), "%s", uri);
	free(j.pserver);
	j.pserver = strdup(key);
	if ((rc = write_txn(join_local_txn, &j, d)) == LDAP_SUCCESS &&
	    init_save_machine_pw(j.machine_pw) != 0)
		rc = diag_set(d, LDAP_OTHER, "cannot save the machine account password");
	if (rc == LDAP_SUCCESS)
		printf("Joined %s as node %s (serverId %d, site %s); start vmdird to "
		    "copy the directory in\n", uri, srv->conf.node, j.server_id, j.site);
done:
	if (j.machine_pw != NULL)
		OPENSSL_cleanse(j.machine_pw, strlen(j.machine_pw));
	free(j.machine_pw);
	free(j.nc);
	free(j.site);
	free(j.pserver);
	free(msg);
	ldap_unbind_ext_s(j.ld, NULL, NULL);
	return rc;
}
