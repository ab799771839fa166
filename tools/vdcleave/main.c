/*
 * main.c: vdcleave, taking a node out of the domain. Asked of a node that
 * stays (-h), it removes everywhere, through replication, the leaving
 * node's server object with its agreements, every other node's agreement
 * that pulls from it, and its machine account (with its DCAdmins
 * membership). When the leaving node itself is reachable (-H), it is set
 * Standalone first, so it neither sends nor takes changes afterwards.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "tools/common/toolutil.h"

struct leave {
	const char	*user, *pw;
	char		*uri, *leaving_uri;	/* -h (NULL: this node), -H */
	const char	*node;			/* -n */
	bool		 json;
	bool		 yes;			/* -y: no question */
	LDAP		*ld;			/* the node that stays */
	char		*used;			/* the URI it was reached at */
	struct tool_rootdse dse;
	char		*server_dn;		/* the leaving node's server object */
	char		*name;			/* its cn */
	char		**uris;			/* where partners reach it */
	size_t		 nuris;
	char		**dns;			/* entries to delete, in order */
	size_t		 ndns;
	char		**lonely;		/* nodes left without agreements */
	size_t		 nlonely;
	bool		 standalone;		/* -H reached and set Standalone */
	LDAP		*leaving_ld;		/* -H, while it is reached */
};

static void
leave_usage(FILE *f)
{
	fputs("usage: vdcleave [-h HOST[:PORT]|URI] [-p PORT] [-u USER] [-w PASSWORD]\n"
	    "                (-n NODE | -H LEAVING_HOST[:PORT]|URI) [-y] [--json]\n\n"
	    "Takes a node out of the domain: its server object and agreements, the\n"
	    "other nodes' agreements with it and its machine account are removed on\n"
	    "HOST (a node that stays) and replicate from there.\n\n"
	    "  -h, --host HOST      a node that stays in the domain (host, host:port or\n"
	    "                       an ldap://, ldaps://, ldapi:// URI); default: this\n"
	    "                       node's local socket, then ldap://localhost:389\n"
	    "  -p, --port PORT      its LDAP port (default 389)\n"
	    "  -n, --node NAME      the leaving node's name (its server object's cn)\n"
	    "  -H HOST[:PORT]       the leaving node's address; when it answers it is\n"
	    "                       set Standalone first and its name is read from it\n"
	    "  -u, --user USER      bind name: DN, UPN or account (default administrator)\n"
	    "  -w, --password PW    password (needed except over ldapi://)\n"
	    "  -y, --yes            do not ask (asked only when standard input is a\n"
	    "                       terminal)\n"
	    "      --json           machine-readable output\n"
	    "      --help           this help\n", f);
}

static int
leave_bad_usage(const char *fmt, const char *arg)
    __attribute__((format(printf, 1, 0)));
static int
leave_fail(const char *fmt, const char *arg)
    __attribute__((format(printf, 1, 0)));
static int
leave_bad_usage(const char *fmt, const char *arg)
{
	fputs("vdcleave: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\n", stderr);
	leave_usage(stderr);
	return TOOL_EXIT_USAGE;
}

static bool leave_json;

/* A failure: "vdcleave: ..." on stderr, or with --json
 * {"error": {"code": code, "message": ...}} on stdout. */
static int
leave_err(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int
leave_err(int code, const char *fmt, ...)
{
	va_list ap;
	char *m;

	va_start(ap, fmt);
	if (vasprintf(&m, fmt, ap) < 0)
		abort();
	va_end(ap);
	if (leave_json)
		tool_json_error(code, m);
	else
		fprintf(stderr, "vdcleave: %s\n", m);
	free(m);
	return TOOL_EXIT_FAIL;
}

static int
leave_fail(const char *fmt, const char *arg)
{
	return leave_err(LDAP_OTHER, fmt, arg);
}

static void
leave_push(char ***v, size_t *n, char *s)
{
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = s;
}

static void
leave_free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* The first RDN's value of a "cn=NAME,..." DN; caller frees. */
static char *
leave_rdn_value(const char *dn)
{
	const char *eq = strchr(dn, '=');
	size_t n;

	if (eq == NULL)
		return xstrdup(dn);
	n = strcspn(eq + 1, ",");
	return xasprintf("%.*s", (int)n, eq + 1);
}

/*
 * The leaving node when -H names it: its server object from its root DSE
 * and its URI; then Standalone, so it stops replicating. Unreachable is
 * not fatal when -n names the node too.
 */
static int
leave_contact(struct leave *l)
{
	struct tool_rootdse dse = { 0 };
	char *uri = xstrdup(l->leaving_uri), *msg = NULL;
	LDAP *ld = NULL;
	int rc;

	leave_push(&l->uris, &l->nuris, uri);
	if ((rc = tool_connect(uri, l->user, l->pw, &ld, &msg)) == LDAP_SUCCESS &&
	    (rc = tool_rootdse_read(ld, &dse)) == LDAP_SUCCESS && dse.server_name == NULL)
		rc = LDAP_NO_SUCH_ATTRIBUTE;
	if (rc != LDAP_SUCCESS) {
		if (msg == NULL)
			msg = ld != NULL ? tool_ldap_errmsg(ld, rc) : xstrdup(ldap_err2string(rc));
		leave_err(rc, "%s: %s", uri, msg);
		free(msg);
		if (ld != NULL)
			ldap_unbind_ext_s(ld, NULL, NULL);
		tool_rootdse_free(&dse);
		return TOOL_EXIT_FAIL;
	}
	l->server_dn = xstrdup(dse.server_name);
	l->leaving_ld = ld;
	tool_rootdse_free(&dse);
	return TOOL_EXIT_OK;
}

/* Sets the leaving node Standalone, so it stops replicating. */
static void
leave_standalone(struct leave *l)
{
	char *ans = NULL, *msg;
	int rc;

	if (l->leaving_ld == NULL)
		return;
	if ((rc = tool_admin_exop(l->leaving_ld, "state STANDALONE", &ans)) == LDAP_SUCCESS)
		l->standalone = true;
	else {
		msg = tool_ldap_errmsg(l->leaving_ld, rc);
		fprintf(stderr, "vdcleave: cannot set %s Standalone: %s\n", l->leaving_uri, msg);
		free(msg);
	}
	free(ans);
}

static int
leave_find_server(LDAP *ld, LDAPMessage *e, void *arg)
{
	struct leave *l = arg;

	if (l->server_dn != NULL)
		return 1;	/* two servers of one name: refuse below */
	l->server_dn = tool_dn(ld, e);
	return 0;
}

/* The leaving node's server object from its name (-n). */
static int
leave_lookup(struct leave *l, const char *base)
{
	char *attrs[] = { "1.1", NULL }, *filter, *esc = NULL;
	struct berval bv = { strlen(l->node), (char *)l->node }, out;
	int rc;

	if (ldap_bv2escaped_filter_value(&bv, &out) != 0)
		return leave_fail("out of memory%s", "");
	esc = out.bv_val;
	filter = xasprintf("(&(objectClass=vmwDirServer)(cn=%s))", esc);
	ber_memfree(esc);
	rc = tool_search(l->ld, base, LDAP_SCOPE_SUBTREE, filter, attrs,
	    leave_find_server, l);
	free(filter);
	if (rc == 1)
		return leave_fail("more than one server object is named %s", l->node);
	if (rc != LDAP_SUCCESS && rc != LDAP_NO_SUCH_OBJECT) {
		char *m = tool_ldap_errmsg(l->ld, rc);
		leave_err(rc, "cannot read the servers: %s", m);
		free(m);
		return TOOL_EXIT_FAIL;
	}
	if (l->server_dn == NULL)
		return leave_fail("no node named %s in this domain", l->node);
	return TOOL_EXIT_OK;
}

/* Whether dn is at or below base (both as the server writes them). */
static bool
leave_under(const char *dn, const char *base)
{
	size_t n = strlen(dn), m = strlen(base);

	return n >= m && strcasecmp(dn + n - m, base) == 0 &&
	    (n == m || dn[n - m - 1] == ',');
}

/* Collects the agreements to delete: the leaving node's own and every
 * other one that pulls from one of its URIs. */
static int
leave_agreement(LDAP *ld, LDAPMessage *e, void *arg)
{
	struct leave *l = arg;
	char *dn = tool_dn(ld, e), *uri = tool_value(ld, e, "labeledURI");
	bool drop = leave_under(dn, l->server_dn);

	for (size_t i = 0; !drop && uri != NULL && i < l->nuris; i++)
		drop = tool_same_server(uri, l->uris[i]);
	if (drop)
		leave_push(&l->dns, &l->ndns, dn);
	else
		free(dn);
	free(uri);
	return 0;
}

/* Everything at and below the server object (agreements container, any
 * other child), deepest first, after the agreements already listed. */
static int
leave_subtree(LDAP *ld, LDAPMessage *e, void *arg)
{
	struct leave *l = arg;
	char *dn = tool_dn(ld, e);

	for (size_t i = 0; i < l->ndns; i++)
		if (strcasecmp(l->dns[i], dn) == 0) {
			free(dn);
			return 0;
		}
	leave_push(&l->dns, &l->ndns, dn);
	return 0;
}

static int
leave_depth_cmp(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	int dx = 0, dy = 0;

	for (; *x != '\0'; x++)
		dx += *x == ',';
	for (; *y != '\0'; y++)
		dy += *y == ',';
	return dy - dx;
}

/* Servers of the domain with no agreement left after the removal. */
struct leave_count {
	struct leave	*l;
	const char	*server;
	int		 n;
};

static int
leave_count_agreement(LDAP *ld, LDAPMessage *e, void *arg)
{
	struct leave_count *c = arg;
	char *dn = tool_dn(ld, e);

	if (leave_under(dn, c->server)) {
		bool gone = false;
		for (size_t i = 0; i < c->l->ndns && !gone; i++)
			gone = strcasecmp(c->l->dns[i], dn) == 0;
		c->n += !gone;
	}
	free(dn);
	return 0;
}

static int
leave_check_server(LDAP *ld, LDAPMessage *e, void *arg)
{
	struct leave *l = arg;
	char *dn = tool_dn(ld, e), *attrs[] = { "1.1", NULL };
	struct leave_count c = { l, dn, 0 };

	if (strcasecmp(dn, l->server_dn) != 0) {
		tool_search(ld, dn, LDAP_SCOPE_SUBTREE, "(objectClass=vmwReplicationAgreement)",
		    attrs, leave_count_agreement, &c);
		if (c.n == 0)
			leave_push(&l->lonely, &l->nlonely, leave_rdn_value(dn));
	}
	free(dn);
	return 0;
}

/* Lists what goes, warns about nodes left alone; no change yet. */
static int
leave_plan(struct leave *l, const char *sites)
{
	char *attrs[] = { "labeledURI", NULL }, *one[] = { "1.1", NULL }, **v;
	LDAPMessage *res = NULL, *e;
	int rc;

	rc = ldap_search_ext_s(l->ld, l->server_dn, LDAP_SCOPE_BASE, "(objectClass=*)",
	    attrs, 0, NULL, NULL, NULL, 0, &res);
	if (rc != LDAP_SUCCESS || (e = ldap_first_entry(l->ld, res)) == NULL) {
		ldap_msgfree(res);
		return leave_fail("no server object %s on this node", l->server_dn);
	}
	if ((v = tool_values(l->ld, e, "labeledURI")) != NULL)
		for (size_t i = 0; v[i] != NULL; i++)
			leave_push(&l->uris, &l->nuris, xstrdup(v[i]));
	tool_values_free(v);
	ldap_msgfree(res);
	l->name = leave_rdn_value(l->server_dn);
	if (l->nuris == 0)
		fprintf(stderr, "vdcleave: warning: %s records no URI; agreements with it "
		    "elsewhere are found only by -H\n", l->name);
	if ((rc = tool_search(l->ld, sites, LDAP_SCOPE_SUBTREE,
	    "(objectClass=vmwReplicationAgreement)", attrs, leave_agreement, l)) != LDAP_SUCCESS ||
	    (rc = tool_search(l->ld, l->server_dn, LDAP_SCOPE_SUBTREE, "(objectClass=*)", one,
	    leave_subtree, l)) != LDAP_SUCCESS) {
		char *m = tool_ldap_errmsg(l->ld, rc);
		leave_err(rc, "cannot read the agreements: %s", m);
		free(m);
		return TOOL_EXIT_FAIL;
	}
	qsort(l->dns, l->ndns, sizeof(*l->dns), leave_depth_cmp);
	tool_search(l->ld, sites, LDAP_SCOPE_SUBTREE, "(objectClass=vmwDirServer)", one,
	    leave_check_server, l);
	return TOOL_EXIT_OK;
}

/* Deletes dn; an entry already gone (another run, replication) is fine. */
static int
leave_delete(struct leave *l, const char *dn)
{
	int rc = ldap_delete_ext_s(l->ld, dn, NULL, NULL);
	char *m;

	if (rc == LDAP_SUCCESS || rc == LDAP_NO_SUCH_OBJECT)
		return TOOL_EXIT_OK;
	m = tool_ldap_errmsg(l->ld, rc);
	leave_err(rc, "cannot delete %s: %s", dn, m);
	free(m);
	return TOOL_EXIT_FAIL;
}

/* The machine account and its DCAdmins membership. */
static int
leave_account(struct leave *l, char **account)
{
	char *group = xasprintf("cn=DCAdmins,cn=Builtin,%s", l->dse.nc);
	char *vals[2], *m;
	LDAPMod mod = { LDAP_MOD_DELETE, "member", { vals } }, *mods[] = { &mod, NULL };
	int rc;

	*account = xasprintf("cn=%s,cn=Domain Controllers,%s", l->name, l->dse.nc);
	vals[0] = *account;
	vals[1] = NULL;
	rc = ldap_modify_ext_s(l->ld, group, mods, NULL, NULL);
	free(group);
	if (rc != LDAP_SUCCESS && rc != LDAP_NO_SUCH_ATTRIBUTE && rc != LDAP_NO_SUCH_OBJECT) {
		m = tool_ldap_errmsg(l->ld, rc);
		leave_err(rc, "cannot remove %s from DCAdmins: %s", *account, m);
		free(m);
		return TOOL_EXIT_FAIL;
	}
	return leave_delete(l, *account);
}

static void
leave_report(struct leave *l, const char *account)
{
	if (l->json) {
		json_t *j = json_object(), *a = json_array(), *w = json_array();
		for (size_t i = 0; i < l->ndns; i++)
			json_array_append_new(a, json_string(l->dns[i]));
		for (size_t i = 0; i < l->nlonely; i++)
			json_array_append_new(w, json_string(l->lonely[i]));
		json_object_set_new(j, "node", json_string(l->name));
		json_object_set_new(j, "serverObject", json_string(l->server_dn));
		json_object_set_new(j, "removed", a);
		json_object_set_new(j, "machineAccount", json_string(account));
		json_object_set_new(j, "setStandalone", json_boolean(l->standalone));
		json_object_set_new(j, "withoutPartners", w);
		tool_json_print(j);
		return;
	}
	printf("Node %s left the domain (removed on %s).\n", l->name, l->dse.server_name);
	for (size_t i = 0; i < l->ndns; i++)
		printf("  removed %s\n", l->dns[i]);
	printf("  removed %s\n", account);
	if (l->standalone)
		printf("  %s is now Standalone\n", l->name);
	for (size_t i = 0; i < l->nlonely; i++)
		printf("Warning: %s has no replication partner left; add one with "
		    "vdcrepadmin -f createagreement\n", l->lonely[i]);
}

/* Asks "Do you wish to continue? Y/N [N] " on the terminal; only Y or y
 * proceeds. */
static bool
leave_confirm(const struct leave *l)
{
	char line[64];

	printf("Warning: This operation will remove node [%s] (%s) from the domain:\n",
	    l->name, l->server_dn);
	for (size_t i = 0; i < l->ndns; i++)
		printf("  %s\n", l->dns[i]);
	printf("  and its machine account\n");
	printf("Do you wish to continue? Y/N [N] ");
	fflush(stdout);
	if (fgets(line, sizeof(line), stdin) == NULL)
		return false;
	tool_chomp(line);
	return strcmp(line, "Y") == 0 || strcmp(line, "y") == 0;
}

static int
leave_run(struct leave *l)
{
	char *msg = NULL, *sites = NULL, *account = NULL;
	int rc, ret = TOOL_EXIT_FAIL;

	if ((rc = tool_connect_default(l->uri, l->user, l->pw, &l->ld, &l->used,
	    &msg)) != LDAP_SUCCESS ||
	    (rc = tool_rootdse_read(l->ld, &l->dse)) != LDAP_SUCCESS) {
		if (msg == NULL)
			msg = tool_ldap_errmsg(l->ld, rc);
		leave_err(rc, "%s: %s", l->used, msg);
		goto out;
	}
	if (l->dse.nc == NULL || l->dse.server_name == NULL) {
		leave_fail("%s is not a directory node (no naming context)", l->used);
		goto out;
	}
	sites = xasprintf("cn=Sites,cn=Configuration,%s", l->dse.nc);
	if (l->leaving_uri != NULL && leave_contact(l) != TOOL_EXIT_OK)
		goto out;
	if (l->server_dn == NULL && leave_lookup(l, sites) != TOOL_EXIT_OK)
		goto out;
	if (strcasecmp(l->server_dn, l->dse.server_name) == 0) {
		leave_fail("%s is the node being asked; run vdcleave against a node that stays",
		    l->used);
		goto out;
	}
	if (leave_plan(l, sites) != TOOL_EXIT_OK)
		goto out;
	if (!l->yes && isatty(STDIN_FILENO) && !leave_confirm(l)) {
		leave_err(LDAP_OTHER, "nothing done: not confirmed");
		goto out;
	}
	leave_standalone(l);
	for (size_t i = 0; i < l->ndns; i++)
		if (leave_delete(l, l->dns[i]) != TOOL_EXIT_OK)
			goto out;
	if (leave_account(l, &account) != TOOL_EXIT_OK)
		goto out;
	leave_report(l, account);
	ret = TOOL_EXIT_OK;
out:
	free(msg);
	free(sites);
	free(account);
	return ret;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "host", required_argument, NULL, 'h' },
		{ "port", required_argument, NULL, 'p' },
		{ "node", required_argument, NULL, 'n' },
		{ "user", required_argument, NULL, 'u' },
		{ "password", required_argument, NULL, 'w' },
		{ "json", no_argument, NULL, 'J' },
		{ "yes", no_argument, NULL, 'y' },
		{ "help", no_argument, NULL, '?' + 256 },
		{ NULL, 0, NULL, 0 }
	};
	struct leave l = { .user = "administrator" };
	const char *hostarg = NULL, *portarg = NULL, *leavearg = NULL;
	int ch, defport = TOOL_DEFAULT_PORT, rc;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":h:p:n:H:u:w:y", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h': hostarg = optarg; break;
		case 'p': portarg = optarg; break;
		case 'n': l.node = optarg; break;
		case 'H': leavearg = optarg; break;
		case 'u': l.user = optarg; break;
		case 'w': l.pw = optarg; break;
		case 'J': l.json = leave_json = true; break;
		case 'y': l.yes = true; break;
		case '?' + 256:
			leave_usage(stdout);
			return TOOL_EXIT_OK;
		case ':':
			return leave_bad_usage("option %s needs a value", argv[optind - 1]);
		default:
			return leave_bad_usage("unknown option %s", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return leave_bad_usage("unexpected argument '%s'", argv[optind]);
	if (l.node != NULL && leavearg != NULL)
		return leave_bad_usage("%s", "give -n NODE or -H LEAVING_HOST, not both");
	if (l.node == NULL && leavearg == NULL)
		return leave_bad_usage("%s", "missing -n NODE or -H LEAVING_HOST");
	if (portarg != NULL && !tool_parse_port(portarg, &defport))
		return leave_bad_usage("bad port '%s'", portarg);
	if (hostarg == NULL && portarg != NULL)
		hostarg = "localhost";
	if (hostarg != NULL && !tool_uri_arg(hostarg, defport, &l.uri))
		return leave_bad_usage("bad host, port or URI '%s'", hostarg);
	if (l.pw == NULL && l.uri != NULL && !tool_is_ldapi(l.uri)) {
		free(l.uri);
		return leave_bad_usage("%s", "missing -w PASSWORD");
	}
	if (leavearg != NULL && !tool_uri_arg(leavearg, TOOL_DEFAULT_PORT, &l.leaving_uri)) {
		free(l.uri);
		return leave_bad_usage("bad host, port or URI '%s'", leavearg);
	}
	rc = leave_run(&l);
	if (l.ld != NULL)
		ldap_unbind_ext_s(l.ld, NULL, NULL);
	tool_rootdse_free(&l.dse);
	leave_free_list(l.uris, l.nuris);
	leave_free_list(l.dns, l.ndns);
	leave_free_list(l.lonely, l.nlonely);
	free(l.server_dn);
	free(l.name);
	if (l.leaving_ld != NULL)
		ldap_unbind_ext_s(l.leaving_ld, NULL, NULL);
	free(l.uri);
	free(l.leaving_uri);
	free(l.used);
	return rc;
}
