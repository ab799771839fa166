/*
 * main.c: lstool, the lookup-service tool: the subcommand table, option
 * parsing (the options of VMware's lstool.py runbooks: list --url URL
 * --type T ...), the password prompt and the helpers the subcommands
 * share.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "tools/lstool/lstool.h"

static const struct lstool_cmd *lstool_table[] = {
	&cmd_check,
	&cmd_get,
	&cmd_list,
	&cmd_register,
	&cmd_unregister,
	&cmd_update,
};
#define LSTOOL_NCMDS	(sizeof(lstool_table) / sizeof(lstool_table[0]))

static void
lstool_usage(FILE *f)
{
	size_t i;

	fputs("usage: lstool COMMAND [--url URL | --server HOST[:PORT]|URI] [options]\n\n"
	    "transport (one of):\n"
	    "  --url URL            a node's lookup service over HTTP(S):\n"
	    "                       http://HOST:7080/lookupservice/sdk\n"
	    "  --server HOST|URI    a node's directory over LDAP: host, host:port or an\n"
	    "                       ldap://, ldaps:// or ldapi:// URI (the registrations\n"
	    "                       are read and written as directory entries)\n"
	    "  --no-check-cert      HTTPS: do not verify the server's certificate\n"
	    "  --cacert FILE        HTTPS: trust these CA certificates (PEM) too\n"
	    "credentials (register, update, unregister, check --fix-trust; LDAP always):\n"
	    "  --user USER          UPN, account name or DN (default administrator)\n"
	    "  --password PW        password; asked on the terminal when missing\n"
	    "  --password-file F    the password is the first line of F\n"
	    "filters (list):\n"
	    "  --type T  --product P  --ep-type E  --node-id N  --id ID\n"
	    "registration (register; update changes what is given):\n"
	    "  --id ID  --name N  --description D  --product P  --type T  --version V\n"
	    "  --site S  --node-id N  --owner-id O  --attr KEY=VALUE (repeated)\n"
	    "  --endpoint 'type=T,protocol=P,url=U[,trust=FILE.pem][,attr=K=V]...'\n"
	    "                       (repeated; register: the endpoints, update: replace them)\n"
	    "  --spec FILE.json     the registration as the API's JSON object\n"
	    "  --ep-url URL         update: every endpoint's URL\n"
	    "  --trust FILE.pem     update: every endpoint's SSL trust\n"
	    "check:\n"
	    "  --nodes auto|URL,... where to read registrations (default auto: every\n"
	    "                       node the directory lists, through --server)\n"
	    "  --vecs [NODE=]SOCKET a vecsd holding NODE's machine certificate (default\n"
	    "                       node: the one --server reaches)\n"
	    "  --live               also compare with the certificates the URLs present\n"
	    "  --settle SECONDS     re-read for up to this long before calling a\n"
	    "                       difference diverged (default 0)\n"
	    "  --expiry-days N      warn of trust expiring within N days (default 30)\n"
	    "  --fix-trust          set every mismatched endpoint's trust to its node's\n"
	    "                       machine certificate (needs --user/--password)\n"
	    "  --json               machine-readable output\n"
	    "  --help               this help\n\n"
	    "commands:\n", f);
	for (i = 0; i < LSTOOL_NCMDS; i++)
		fprintf(f, "  %-11s %s\n", lstool_table[i]->name, lstool_table[i]->usage);
}

int
lstool_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("lstool: ", stderr);
	if (cmd != NULL)
		fprintf(stderr, "%s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n(lstool --help for the options)\n", stderr);
	return TOOL_EXIT_USAGE;
}

int
lstool_fail(const struct lstool_opts *o, int code, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	return lstool_fail_msg(o, code, msg);
}

int
lstool_fail_msg(const struct lstool_opts *o, int code, char *msg)
{
	const char *m = msg != NULL ? msg : "out of memory";

	if (o->json)
		tool_json_error(code, m);
	else
		fprintf(stderr, "lstool: %s\n", m);
	free(msg);
	return TOOL_EXIT_FAIL;
}

void
lstool_list_add(struct lstool_list *l, const char *s)
{
	l->v = xrealloc(l->v, (l->n + 2) * sizeof(*l->v));
	l->v[l->n++] = xstrdup(s);
	l->v[l->n] = NULL;
}

void
lstool_list_free(struct lstool_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

int
lstool_open(struct lstool_opts *o, struct lstool_conn *c, char **msg)
{
	memset(c, 0, sizeof(*c));
	c->o = o;
	if (o->url != NULL)
		return lstool_http_open(o, o->url, c, msg);
	return lstool_ldap_open(o, c, msg);
}

void
lstool_close(struct lstool_conn *c)
{
	if (c->ops != NULL && c->ops->close != NULL)
		c->ops->close(c);
	free(c->base);
	free(c->nc);
	free(c->node);
	free(c->site);
	memset(c, 0, sizeof(*c));
}

int
lstool_get_one(struct lstool_conn *c, const char *id, json_t **out, char **msg)
{
	struct lstool_filter f = { .id = id };
	json_t *arr = NULL;
	int rc;

	*out = NULL;
	if ((rc = c->ops->list(c, &f, &arr, msg)) != 0)
		return rc;
	if (json_array_size(arr) == 0) {
		json_decref(arr);
		*msg = xasprintf("no registration with serviceId %s", id);
		return LSTOOL_E_NOTFOUND;
	}
	*out = json_incref(json_array_get(arr, 0));
	json_decref(arr);
	return 0;
}

bool
lstool_need_password(struct lstool_opts *o)
{
	if (o->password != NULL)
		return true;
	if (!isatty(STDIN_FILENO))
		return false;
	/* echo goes off before the prompt shows (toolutil) */
	o->password = tool_prompt_password("Password: ");
	return o->password != NULL;
}

static bool
lstool_read_password_file(struct lstool_opts *o, const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;

	if (f == NULL) {
		lstool_usage_error(NULL, "cannot read --password-file %s: %s", path,
		    strerror(errno));
		return false;
	}
	if (getline(&line, &cap, f) < 0) {
		free(line);
		line = xstrdup("");
	}
	fclose(f);
	tool_chomp(line);
	free(o->password);
	o->password = line;
	return true;
}

static const struct lstool_cmd *
lstool_find(const char *name)
{
	for (size_t i = 0; i < LSTOOL_NCMDS; i++)
		if (strcmp(lstool_table[i]->name, name) == 0)
			return lstool_table[i];
	return NULL;
}

enum {
	O_URL = 256, O_SERVER, O_USER, O_PASSWORD, O_PWFILE, O_NOCHECK, O_CACERT,
	O_JSON, O_HELP, O_ID, O_NAME, O_DESC, O_PRODUCT, O_TYPE, O_VERSION, O_SITE,
	O_NODE, O_OWNER, O_EPTYPE, O_ATTR, O_ENDPOINT, O_SPEC, O_EPURL, O_TRUST,
	O_NODES, O_VECS, O_LIVE, O_FIX, O_SETTLE, O_EXPIRY,
};

static bool
lstool_int_arg(const char *s, int min, int max, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < min || v > max)
		return false;
	*out = (int)v;
	return true;
}

static void
lstool_opts_free(struct lstool_opts *o)
{
	if (o->password != NULL) {
		explicit_bzero(o->password, strlen(o->password));
		free(o->password);
	}
	lstool_list_free(&o->attrs);
	lstool_list_free(&o->endpoints);
	lstool_list_free(&o->vecs);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "url", required_argument, NULL, O_URL },
		{ "server", required_argument, NULL, O_SERVER },
		{ "user", required_argument, NULL, O_USER },
		{ "password", required_argument, NULL, O_PASSWORD },
		{ "password-file", required_argument, NULL, O_PWFILE },
		{ "no-check-cert", no_argument, NULL, O_NOCHECK },
		{ "cacert", required_argument, NULL, O_CACERT },
		{ "json", no_argument, NULL, O_JSON },
		{ "help", no_argument, NULL, O_HELP },
		{ "id", required_argument, NULL, O_ID },
		{ "name", required_argument, NULL, O_NAME },
		{ "description", required_argument, NULL, O_DESC },
		{ "product", required_argument, NULL, O_PRODUCT },
		{ "type", required_argument, NULL, O_TYPE },
		{ "version", required_argument, NULL, O_VERSION },
		{ "site", required_argument, NULL, O_SITE },
		{ "node-id", required_argument, NULL, O_NODE },
		{ "owner-id", required_argument, NULL, O_OWNER },
		{ "ep-type", required_argument, NULL, O_EPTYPE },
		{ "attr", required_argument, NULL, O_ATTR },
		{ "endpoint", required_argument, NULL, O_ENDPOINT },
		{ "spec", required_argument, NULL, O_SPEC },
		{ "ep-url", required_argument, NULL, O_EPURL },
		{ "trust", required_argument, NULL, O_TRUST },
		{ "nodes", required_argument, NULL, O_NODES },
		{ "vecs", required_argument, NULL, O_VECS },
		{ "live", no_argument, NULL, O_LIVE },
		{ "fix-trust", no_argument, NULL, O_FIX },
		{ "settle", required_argument, NULL, O_SETTLE },
		{ "expiry-days", required_argument, NULL, O_EXPIRY },
		{ NULL, 0, NULL, 0 }
	};
	struct lstool_opts o;
	const struct lstool_cmd *cmd;
	int ch, rc = TOOL_EXIT_USAGE;

	memset(&o, 0, sizeof(o));
	o.expiry_days = 30;
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0)) {
		lstool_usage(stdout);
		return TOOL_EXIT_OK;
	}
	if (argc < 2 || argv[1][0] == '-')
		return lstool_usage_error(NULL, "missing COMMAND (list, get, register, "
		    "update, unregister, check)");
	if ((cmd = lstool_find(argv[1])) == NULL)
		return lstool_usage_error(NULL, "unknown command '%s'", argv[1]);
	opterr = 0;
	optind = 2;
	while ((ch = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (ch) {
		case O_URL: o.url = optarg; break;
		case O_SERVER: o.server = optarg; break;
		case O_USER: o.user = optarg; break;
		case O_PASSWORD:
			free(o.password);
			o.password = xstrdup(optarg);
			break;
		case O_PWFILE:
			if (!lstool_read_password_file(&o, optarg))
				goto out;
			break;
		case O_NOCHECK: o.no_check_cert = true; break;
		case O_CACERT: o.cafile = optarg; break;
		case O_JSON: o.json = true; break;
		case O_HELP:
			lstool_usage(stdout);
			rc = TOOL_EXIT_OK;
			goto out;
		case O_ID: o.id = optarg; break;
		case O_NAME: o.name = optarg; break;
		case O_DESC: o.description = optarg; break;
		case O_PRODUCT: o.product = optarg; break;
		case O_TYPE: o.type = optarg; break;
		case O_VERSION: o.version = optarg; break;
		case O_SITE: o.site = optarg; break;
		case O_NODE: o.node_id = optarg; break;
		case O_OWNER: o.owner_id = optarg; break;
		case O_EPTYPE: o.ep_type = optarg; break;
		case O_ATTR: lstool_list_add(&o.attrs, optarg); break;
		case O_ENDPOINT: lstool_list_add(&o.endpoints, optarg); break;
		case O_SPEC: o.spec = optarg; break;
		case O_EPURL: o.new_url = optarg; break;
		case O_TRUST: o.trust = optarg; break;
		case O_NODES: o.nodes = optarg; break;
		case O_VECS: lstool_list_add(&o.vecs, optarg); break;
		case O_LIVE: o.live = true; break;
		case O_FIX: o.fix_trust = true; break;
		case O_SETTLE:
			if (!lstool_int_arg(optarg, 0, 3600, &o.settle)) {
				lstool_usage_error(cmd->name, "--settle takes 0-3600 seconds");
				goto out;
			}
			break;
		case O_EXPIRY:
			if (!lstool_int_arg(optarg, 0, 3650, &o.expiry_days)) {
				lstool_usage_error(cmd->name, "--expiry-days takes 0-3650");
				goto out;
			}
			break;
		case ':':
			lstool_usage_error(cmd->name, "option %s needs a value",
			    argv[optind - 1]);
			goto out;
		default:
			lstool_usage_error(cmd->name, "unknown option %s", argv[optind - 1]);
			goto out;
		}
	}
	if (optind < argc) {
		lstool_usage_error(cmd->name, "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (o.url != NULL && o.server != NULL && strcmp(cmd->name, "check") != 0) {
		lstool_usage_error(cmd->name, "--url and --server are two transports: give one");
		goto out;
	}
	if (o.user == NULL)
		o.user = LSTOOL_DEFAULT_USER;
	rc = cmd->handler(&o);
out:
	lstool_opts_free(&o);
	return rc;
}
