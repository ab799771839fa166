/*
 * test_wipe.c: clear-text passwords do not outlive the requests that
 * carry them. free() is replaced by one that looks into every block freed;
 * add, modify and password modify requests then run through the server's
 * real path (op_dispatch and the handlers, against a throwaway database)
 * and no freed block may still hold one of their passwords. The request
 * PDU itself is freed inside that path, so it is covered too.
 */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>

#include "server.h"
#include "log.h"
#include "../tap.h"

static struct server test_server;
struct server *srv = &test_server;

/* The password being watched for, and how often a freed block held it. */
static const char *watch;
static int seen;

#ifdef __SANITIZE_ADDRESS__
/* AddressSanitizer owns malloc and free: nothing to look into. */
#define WATCHING	0
#else
#define WATCHING	1
void	__libc_free(void *);

/* Every free of the process (liblber's, libc's, the server's) comes here
 * first: the executable's definition takes precedence. */
void
free(void *p)
{
	if (p != NULL && watch != NULL &&
	    memmem(p, malloc_usable_size(p), watch, strlen(watch)) != NULL)
		seen++;
	__libc_free(p);
}
#endif

/* is_int(n, 0) on the wipe checks; skipped where free cannot be watched. */
static void
none_left(int n, const char *what)
{
	if (!WATCHING) {
		printf("ok %d # SKIP %s (free is not watched under AddressSanitizer)\n",
		    ++tap_n, what);
		return;
	}
	is_int(n, 0, "%s", what);
}

static void
setup(char *dir)
{
	static const char *idx[] = { "objectClass", "cn", "userPrincipalName", NULL };
	const char *top = getenv("top_srcdir");
	struct be_config bc = { 0 };
	char path[4096];
	struct diag d;

	log_init("test_wipe", false, LOG_LVL_ERROR);
	conf_defaults(&srv->conf);
	if (top != NULL)
		snprintf(path, sizeof(path), "%s/schema", top);
	else
		snprintf(path, sizeof(path), "%s", SRC_SCHEMA_DIR);
	if (mkdtemp(dir) == NULL || conf_set(&srv->conf, "data_dir", dir) != 0 ||
	    conf_set(&srv->conf, "node", "wipe") != 0 ||
	    schema_load(path, &srv->schema, &d) != LDAP_SUCCESS) {
		printf("Bail out! set-up failed\n");
		exit(1);
	}
	bc.dir = dir;
	bc.indexes = idx;
	bc.nosync = true;
	if (be_open(&bc, srv->schema, &srv->be, &d) != LDAP_SUCCESS ||
	    init_names() != 0 || init_domain("Adm1n!Pass", &d) != LDAP_SUCCESS) {
		printf("Bail out! cannot create the domain: %s\n", d.text);
		exit(1);
	}
}

/* Runs one request (built in ber) as the administrator; counts how often
 * the password pw is left in a block freed meanwhile. */
static int
run(BerElement *ber, const char *pw)
{
	struct berval bv;
	struct conn *c;
	char *pdu;

	if (ber_flatten2(ber, &bv, 0) != 0 || (pdu = malloc(bv.bv_len + 1)) == NULL ||
	    (c = conn_new()) == NULL)
		abort();
	memcpy(pdu, bv.bv_val, bv.bv_len);
	/* the test's own copy is not the server's business */
	OPENSSL_cleanse(bv.bv_val, bv.bv_len);
	ber_free(ber, 1);
	watch = pw;
	seen = 0;
	conn_set_identity(c, srv->admin_ndn, true);
	op_dispatch(c, pdu, bv.bv_len);
	conn_unref(c);
	watch = NULL;
	return seen;
}

static BerElement *
req_add(const char *cn, const char *pw)
{
	BerElement *ber = ber_alloc_t(LBER_USE_DER);
	char dn[256];

	snprintf(dn, sizeof(dn), "cn=%s,cn=Users,dc=vsphere,dc=local", cn);
	ber_printf(ber, "{it{s{{s[s]}{s[s]}{s[s]}{s[s]}}}}", 2, LDAP_REQ_ADD, dn,
	    "objectClass", "user", "cn", cn, "sn", cn, "userPassword", pw);
	return ber;
}

static BerElement *
req_modify(const char *dn, const char *pw)
{
	BerElement *ber = ber_alloc_t(LBER_USE_DER);

	ber_printf(ber, "{it{s{{e{s[s]}}}}}", 3, LDAP_REQ_MODIFY, dn,
	    LDAP_MOD_REPLACE, "userPassword", pw);
	return ber;
}

static BerElement *
req_passwd(const char *dn, const char *oldpw, const char *newpw)
{
	BerElement *ber = ber_alloc_t(LBER_USE_DER), *v = ber_alloc_t(LBER_USE_DER);
	struct berval bv;

	ber_printf(v, "{tstststs}", LDAP_TAG_EXOP_MODIFY_PASSWD_ID, dn,
	    LDAP_TAG_EXOP_MODIFY_PASSWD_OLD, oldpw, LDAP_TAG_EXOP_MODIFY_PASSWD_NEW, newpw);
	ber_flatten2(v, &bv, 0);
	ber_printf(ber, "{it{tstO}}", 4, LDAP_REQ_EXTENDED, LDAP_TAG_EXOP_REQ_OID,
	    LDAP_EXOP_MODIFY_PASSWD, LDAP_TAG_EXOP_REQ_VALUE, &bv);
	OPENSSL_cleanse(bv.bv_val, bv.bv_len);
	ber_free(v, 1);
	return ber;
}

/* True if the stored password of dn is pw: the request really ran. */
static bool
stored(const char *dn, const char *pw)
{
	struct be_txn *t;
	struct entry *e = NULL;
	const char *h;
	char *ndn = NULL;
	bool yes = false;

	if (dn_normalize(srv->schema, dn, &ndn) != LDAP_SUCCESS ||
	    be_begin(srv->be, false, &t) != LDAP_SUCCESS) {
		free(ndn);
		return false;
	}
	if (be_get_dn(t, ndn, &e) == LDAP_SUCCESS &&
	    (h = entry_get_str(e, "userPassword")) != NULL)
		yes = pwd_verify(h, pw, strlen(pw));
	entry_free(e);
	be_abort(t);
	free(ndn);
	return yes;
}

static void
test_control(void)
{
	struct berval *vals = NULL, v = { 15, "Wip3!Ctl-Secret" };

	ber_bvarray_add(&vals, ber_dupbv(NULL, &v));
	watch = v.bv_val;
	seen = 0;
	ber_bvarray_free(vals);
	if (WATCHING)
		ok(seen == 1, "control: a block freed without wiping is found (%d)", seen);
	else
		none_left(0, "control: a block freed without wiping is found");
	vals = NULL;
	ber_bvarray_add(&vals, ber_dupbv(NULL, &v));
	seen = 0;
	pwd_wipe_bvarray(vals);
	none_left(seen, "pwd_wipe_bvarray leaves nothing behind");
	watch = NULL;
}

int
main(void)
{
	const char *dn = "cn=wipe1,cn=Users,dc=vsphere,dc=local";
	char dir[] = "/tmp/test_wipe.XXXXXX", cmd[128];
	int n;

	test_control();
	setup(dir);

	n = run(req_add("wipe1", "Wip3!Add-Secret"), "Wip3!Add-Secret");
	ok(stored(dn, "Wip3!Add-Secret"), "add: the user was added with the password");
	none_left(n, "add: no freed block holds the password");
	n = run(req_add("wipe2", "Wp3!"), "Wp3!");
	none_left(n, "add refused by the policy: no freed block holds the password");
	n = run(req_modify(dn, "Wip3!Mod-Secret"), "Wip3!Mod-Secret");
	ok(stored(dn, "Wip3!Mod-Secret"), "modify: the password was replaced");
	none_left(n, "modify: no freed block holds the password");
	n = run(req_modify(dn, "weak"), "weak");
	none_left(n, "modify refused by the policy: no freed block holds the password");
	n = run(req_passwd(dn, "Wip3!Mod-Secret", "Wip3!Ext-Secret"), "Wip3!Ext-Secret");
	ok(stored(dn, "Wip3!Ext-Secret"), "password modify: the password was changed");
	none_left(n, "password modify: no freed block holds the new password");
	n = run(req_passwd(dn, "Wip3!Ext-Secret", "Wip3!Ext-Second"), "Wip3!Ext-Secret");
	none_left(n, "password modify: no freed block holds the old password");

	be_close(srv->be);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# cannot remove %s\n", dir);
	schema_free(srv->schema);
	init_free_names();
	conf_free(&srv->conf);
	return tap_done();
}
