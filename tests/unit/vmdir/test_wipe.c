/*
 * test_wipe.c: clear-text passwords do not outlive the requests that
 * carry them. free() is replaced by one that looks into every block freed
 * (under AddressSanitizer, its free hook does);
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

static void
look(const void *p, size_t size)
{
	if (p != NULL && watch != NULL && memmem(p, size, watch, strlen(watch)) != NULL)
		seen++;
}

#ifdef __SANITIZE_ADDRESS__
/* AddressSanitizer owns malloc and free; it calls this hook just before
 * it frees a block. */
size_t	__sanitizer_get_allocated_size(const volatile void *);
void	__sanitizer_free_hook(const volatile void *);

void
__sanitizer_free_hook(const volatile void *p)
{
	if (p != NULL && watch != NULL)
		look((const void *)p, __sanitizer_get_allocated_size(p));
}
#else
void	__libc_free(void *);

/* Every free of the process (liblber's, libc's, the server's) comes here
 * first: the executable's definition takes precedence. */
void
free(void *p)
{
	if (p != NULL && watch != NULL)
		look(p, malloc_usable_size(p));
	__libc_free(p);
}
#endif

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

/*
 * Requests are encoded here, on the stack: built with liblber, the test's
 * own copies would leave the passwords in freed (and reused) heap blocks.
 */
struct req {
	unsigned char	b[1024];
	size_t		n;
};

/* Appends tag, length and value to r. */
static void
put(struct req *r, unsigned tag, const void *v, size_t len)
{
	r->b[r->n++] = tag;
	if (len >= 128)
		r->b[r->n++] = 0x81;
	r->b[r->n++] = len;
	memcpy(r->b + r->n, v, len);
	r->n += len;
}

static void
put_str(struct req *r, unsigned tag, const char *s)
{
	put(r, tag, s, strlen(s));
}

/* The LDAPMessage (messageID 1) around the protocol op. */
static void
req_message(struct req *out, unsigned tag, const struct req *body)
{
	struct req m = { .n = 0 };

	put(&m, 0x02, "\x01", 1);
	put(&m, tag, body->b, body->n);
	out->n = 0;
	put(out, 0x30, m.b, m.n);
}

/* One attribute of an add, or the modification of a modify. */
static void
req_attr(struct req *list, unsigned tag, const char *type, const char *val)
{
	struct req a = { .n = 0 }, v = { .n = 0 };

	put_str(&v, 0x04, val);
	put_str(&a, 0x04, type);
	put(&a, 0x31, v.b, v.n);
	put(list, tag, a.b, a.n);
}

static void
req_add(struct req *out, const char *cn, const char *pw)
{
	struct req list = { .n = 0 }, body = { .n = 0 };
	char dn[256];

	snprintf(dn, sizeof(dn), "cn=%s,cn=Users,dc=vsphere,dc=local", cn);
	req_attr(&list, 0x30, "objectClass", "user");
	req_attr(&list, 0x30, "cn", cn);
	req_attr(&list, 0x30, "sn", cn);
	req_attr(&list, 0x30, "userPassword", pw);
	put_str(&body, 0x04, dn);
	put(&body, 0x30, list.b, list.n);
	req_message(out, 0x68, &body);
}

static void
req_modify(struct req *out, const char *dn, const char *pw)
{
	struct req mod = { .n = 0 }, change = { .n = 0 }, changes = { .n = 0 },
	    body = { .n = 0 };

	req_attr(&mod, 0x30, "userPassword", pw);
	put(&change, 0x0a, "\x02", 1);		/* replace */
	memcpy(change.b + change.n, mod.b, mod.n);
	change.n += mod.n;
	put(&changes, 0x30, change.b, change.n);
	put_str(&body, 0x04, dn);
	put(&body, 0x30, changes.b, changes.n);
	req_message(out, 0x66, &body);
}

static void
req_passwd(struct req *out, const char *dn, const char *oldpw, const char *newpw)
{
	struct req v = { .n = 0 }, seq = { .n = 0 }, body = { .n = 0 };

	put_str(&v, 0x80, dn);
	put_str(&v, 0x81, oldpw);
	put_str(&v, 0x82, newpw);
	put(&seq, 0x30, v.b, v.n);
	put_str(&body, 0x80, LDAP_EXOP_MODIFY_PASSWD);
	put(&body, 0x81, seq.b, seq.n);
	req_message(out, 0x77, &body);
}

/* Runs one request as the administrator; counts how often the password
 * pw is left in a block freed meanwhile. */
static int
run(const struct req *r, const char *pw)
{
	struct conn *c;
	char *pdu;

	if ((pdu = malloc(r->n + 1)) == NULL || (c = conn_new()) == NULL)
		abort();
	memcpy(pdu, r->b, r->n);
	watch = pw;
	seen = 0;
	conn_set_identity(c, srv->admin_ndn, true);
	op_dispatch(c, pdu, r->n);
	conn_unref(c);
	watch = NULL;
	return seen;
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
	struct berval *vals = NULL, v = { 15, "Wip3!Ctl-Secret" }, copy;

	ber_bvarray_add(&vals, ber_dupbv(&copy, &v));
	watch = v.bv_val;
	seen = 0;
	ber_bvarray_free(vals);
	ok(seen == 1, "control: a block freed without wiping is found (%d)", seen);
	vals = NULL;
	ber_bvarray_add(&vals, ber_dupbv(&copy, &v));
	seen = 0;
	pwd_wipe_bvarray(vals);
	is_int(seen, 0, "pwd_wipe_bvarray leaves nothing behind");
	watch = NULL;
}

int
main(void)
{
	const char *dn = "cn=wipe1,cn=Users,dc=vsphere,dc=local";
	char dir[] = "/tmp/test_wipe.XXXXXX", cmd[128];
	struct req r;
	int n;

	test_control();
	setup(dir);

	req_add(&r, "wipe1", "Wip3!Add-Secret");
	n = run(&r, "Wip3!Add-Secret");
	ok(stored(dn, "Wip3!Add-Secret"), "add: the user was added with the password");
	is_int(n, 0, "add: no freed block holds the password");
	req_add(&r, "wipe2", "Wp3!zq");
	n = run(&r, "Wp3!zq");
	is_int(n, 0, "add refused by the policy: no freed block holds the password");
	req_modify(&r, dn, "Wip3!Mod-Secret");
	n = run(&r, "Wip3!Mod-Secret");
	ok(stored(dn, "Wip3!Mod-Secret"), "modify: the password was replaced");
	is_int(n, 0, "modify: no freed block holds the password");
	req_modify(&r, dn, "wEaK7qz");
	n = run(&r, "wEaK7qz");
	is_int(n, 0, "modify refused by the policy: no freed block holds the password");
	req_passwd(&r, dn, "Wip3!Mod-Secret", "Wip3!Ext-Secret");
	n = run(&r, "Wip3!Ext-Secret");
	ok(stored(dn, "Wip3!Ext-Secret"), "password modify: the password was changed");
	is_int(n, 0, "password modify: no freed block holds the new password");
	req_passwd(&r, dn, "Wip3!Ext-Secret", "Wip3!Ext-Second");
	n = run(&r, "Wip3!Ext-Secret");
	is_int(n, 0, "password modify: no freed block holds the old password");

	be_close(srv->be);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# cannot remove %s\n", dir);
	schema_free(srv->schema);
	init_free_names();
	conf_free(&srv->conf);
	return tap_done();
}
