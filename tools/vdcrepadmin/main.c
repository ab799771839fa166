/*
 * main.c: vdcrepadmin, the replication administration tool: option
 * parsing (VMware's "-f FEATURE -h HOST -u USER -w PASSWORD" command
 * lines), the feature table and helpers shared by the features.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tools/vdcrepadmin/vdcrepadmin.h"

static const struct repadmin_cmd *repadmin_table[] = {
	&cmd_createagreement,
	&cmd_removeagreement,
	&cmd_showattributemetadata,
	&cmd_showconflicts,
	&cmd_showfederationstatus,
	&cmd_showpartners,
	&cmd_showpartnerstatus,
	&cmd_showservers,
	&cmd_showutdvector,
};
#define REPADMIN_NCMDS	(sizeof(repadmin_table) / sizeof(repadmin_table[0]))

static void
repadmin_usage(FILE *f)
{
	size_t i;

	fputs("usage: vdcrepadmin -f FEATURE [-h HOST[:PORT]|URI] [-p PORT] "
	    "[-u USER] [-w PASSWORD] [--json] [feature options]\n\n"
	    "  -f, --feature NAME   what to do (below)\n"
	    "  -h, --host HOST      the node to ask: host, host:port or an ldap://,\n"
	    "                       ldaps:// or ldapi:// URI; without it, this node:\n"
	    "                       $TRELLIS_LDAPI or ldapi:///run/trellis/vmdird.sock\n"
	    "                       (SASL EXTERNAL), then ldap://localhost:389\n"
	    "  -p, --port PORT      its LDAP port (default 389)\n"
	    "  -H HOST              second node (createagreement, removeagreement)\n"
	    "  -P PORT              its LDAP port (default 389)\n"
	    "  -u, --user USER      bind name: DN, UPN or account (default administrator)\n"
	    "  -w, --password PW    password (needed except over ldapi://)\n"
	    "  -e DN                entry (showattributemetadata)\n"
	    "  -a ATTR              attribute (showattributemetadata)\n"
	    "  -2                   both directions (createagreement, removeagreement)\n"
	    "      --json           machine-readable output\n"
	    "      --help           this help\n\n"
	    "features:\n", f);
	for (i = 0; i < REPADMIN_NCMDS; i++)
		fprintf(f, "  %-22s %s\n", repadmin_table[i]->name,
		    repadmin_table[i]->usage);
}

static int
repadmin_bad_usage(const char *fmt, const char *arg)
{
	fputs("vdcrepadmin: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\n", stderr);
	repadmin_usage(stderr);
	return TOOL_EXIT_USAGE;
}

static bool repadmin_json;

int
repadmin_fail(const char *msg, int code)
{
	if (repadmin_json)
		tool_json_error(code, msg);
	else
		fprintf(stderr, "Vdcrepadmin failed. Error [%s] [%d]\n", msg, code);
	return TOOL_EXIT_FAIL;
}

int
repadmin_fail_ld(LDAP *ld, int rc)
{
	char *m = tool_ldap_errmsg(ld, rc);

	repadmin_fail(m, rc);
	free(m);
	return TOOL_EXIT_FAIL;
}

int
repadmin_node_open(struct repadmin_opts *o, const char *uri,
    struct repadmin_node *n, char **msg)
{
	int rc;

	memset(n, 0, sizeof(*n));
	*msg = NULL;
	rc = tool_connect_default(uri, o->user, o->pw, &n->ld, &n->uri, msg);
	if (rc != LDAP_SUCCESS)
		return rc;
	if (!tool_parse_hostport(n->uri, TOOL_DEFAULT_PORT, &n->host, &n->port)) {
		n->host = xstrdup(n->uri);
		n->port = 0;
	}
	if ((rc = tool_rootdse_read(n->ld, &n->dse)) != LDAP_SUCCESS) {
		*msg = tool_ldap_errmsg(n->ld, rc);
		return rc;
	}
	if (n->dse.nc == NULL || n->dse.server_name == NULL) {
		*msg = xasprintf("%s: root DSE has no naming context or serverName",
		    n->uri);
		return LDAP_OTHER;
	}
	return LDAP_SUCCESS;
}

void
repadmin_node_close(struct repadmin_node *n)
{
	if (n == NULL)
		return;
	if (n->ld != NULL)
		ldap_unbind_ext_s(n->ld, NULL, NULL);
	tool_rootdse_free(&n->dse);
	free(n->host);
	free(n->uri);
	memset(n, 0, sizeof(*n));
}

int
repadmin_open_main(struct repadmin_opts *o, struct repadmin_node *n)
{
	char *msg = NULL;
	int rc;

	if ((rc = repadmin_node_open(o, o->uri, n, &msg)) != LDAP_SUCCESS) {
		repadmin_fail(msg, rc);
		free(msg);
		repadmin_node_close(n);
		return TOOL_EXIT_FAIL;
	}
	return TOOL_EXIT_OK;
}

char *
repadmin_agreements_base(const char *server_dn)
{
	return xasprintf("cn=Replication Agreements,%s", server_dn);
}

char *
repadmin_sites_base(const char *nc)
{
	return xasprintf("cn=Sites,cn=Configuration,%s", nc);
}

int
repadmin_list(struct repadmin_opts *o, char *(*basefn)(const struct repadmin_node *),
    int scope, const char *filter, char **attrs, bool absent_ok, tool_entry_fn fn)
{
	struct repadmin_node n;
	json_t *arr = NULL;
	char *base;
	int rc;

	if (repadmin_open_main(o, &n) != TOOL_EXIT_OK)
		return TOOL_EXIT_FAIL;
	if (o->json)
		arr = json_array();
	base = basefn(&n);
	rc = tool_search(n.ld, base, scope, filter, attrs, fn, arr);
	free(base);
	if (rc == LDAP_NO_SUCH_OBJECT && absent_ok)
		rc = LDAP_SUCCESS;
	if (rc != LDAP_SUCCESS) {
		json_decref(arr);
		rc = repadmin_fail_ld(n.ld, rc);
		repadmin_node_close(&n);
		return rc;
	}
	tool_json_print(arr);
	repadmin_node_close(&n);
	return TOOL_EXIT_OK;
}

static const struct repadmin_cmd *
repadmin_find(const char *name)
{
	size_t i;

	for (i = 0; i < REPADMIN_NCMDS; i++)
		if (strcasecmp(repadmin_table[i]->name, name) == 0)
			return repadmin_table[i];
	return NULL;
}

/* -h/-H value (HOST[:PORT] or a URI) with an optional explicit port
 * (-p/-P) overriding the default; *uri caller frees. */
static bool
repadmin_host_arg(const char *arg, const char *portarg, char **uri)
{
	int defport = TOOL_DEFAULT_PORT;

	if (portarg != NULL && !tool_parse_port(portarg, &defport))
		return false;
	return tool_uri_arg(arg, defport, uri);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "feature", required_argument, NULL, 'f' },
		{ "host", required_argument, NULL, 'h' },
		{ "port", required_argument, NULL, 'p' },
		{ "user", required_argument, NULL, 'u' },
		{ "password", required_argument, NULL, 'w' },
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, '?' + 256 },
		{ NULL, 0, NULL, 0 }
	};
	struct repadmin_opts o;
	const struct repadmin_cmd *cmd;
	const char *feature = NULL, *hostarg = NULL, *portarg = NULL;
	const char *host2arg = NULL, *port2arg = NULL;
	int ch, rc;

	memset(&o, 0, sizeof(o));
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":f:h:p:H:P:u:w:e:a:2", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'f': feature = optarg; break;
		case 'h': hostarg = optarg; break;
		case 'p': portarg = optarg; break;
		case 'H': host2arg = optarg; break;
		case 'P': port2arg = optarg; break;
		case 'u': o.user = optarg; break;
		case 'w': o.pw = optarg; break;
		case 'e': o.entry_dn = optarg; break;
		case 'a': o.attr = optarg; break;
		case '2': o.two_way = true; break;
		case 'J': o.json = repadmin_json = true; break;
		case '?' + 256:
			repadmin_usage(stdout);
			return TOOL_EXIT_OK;
		case ':':
			return repadmin_bad_usage("option %s needs a value",
			    argv[optind - 1]);
		default:
			return repadmin_bad_usage("unknown option %s",
			    argv[optind - 1]);
		}
	}
	if (optind < argc)
		return repadmin_bad_usage("unexpected argument '%s'", argv[optind]);
	if (feature == NULL)
		return repadmin_bad_usage("%s", "missing -f FEATURE");
	if ((cmd = repadmin_find(feature)) == NULL)
		return repadmin_bad_usage("unknown feature '%s'", feature);
	if (hostarg == NULL && portarg != NULL)
		hostarg = "localhost";
	if (hostarg != NULL && !repadmin_host_arg(hostarg, portarg, &o.uri))
		return repadmin_bad_usage("bad host, port or URI '%s'", hostarg);
	rc = TOOL_EXIT_USAGE;
	if (cmd->need_host2 && (host2arg == NULL || o.uri == NULL || tool_is_ldapi(o.uri))) {
		repadmin_bad_usage("%s needs -h HOST and -H HOST (network addresses)", cmd->name);
		goto out;
	}
	if (host2arg != NULL && !repadmin_host_arg(host2arg, port2arg, &o.uri2)) {
		repadmin_bad_usage("bad host, port or URI '%s'", host2arg);
		goto out;
	}
	if (cmd->need_entry && o.entry_dn == NULL) {
		repadmin_bad_usage("%s needs -e DN", cmd->name);
		goto out;
	}
	if (o.pw == NULL && o.uri != NULL && !tool_is_ldapi(o.uri)) {
		repadmin_bad_usage("%s", "missing -w PASSWORD");
		goto out;
	}
	if (o.user == NULL)
		o.user = "administrator";
	rc = cmd->handler(&o);
out:
	free(o.uri);
	free(o.uri2);
	return rc;
}
