/*
 * main.c: dir-cli, VMware's directory command line for the trusted roots
 * of the domain ("dir-cli trustedcert publish|unpublish|list|get"): the
 * command table, option parsing, connecting and binding (the local socket
 * with SASL EXTERNAL when no server, login or password is given), and
 * VMware's error output.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/ldapc.h"
#include "common/secret.h"
#include "tools/dir-cli/dircli.h"

#define DIRCLI_GROUP	"trustedcert"

static const struct dircli_cmd *dircli_table[] = {
	&cmd_trustedcert_publish,
	&cmd_trustedcert_unpublish,
	&cmd_trustedcert_list,
	&cmd_trustedcert_get,
};
#define DIRCLI_NCMDS	(sizeof(dircli_table) / sizeof(dircli_table[0]))

static bool dircli_json;

static void
dircli_usage(FILE *f)
{
	size_t i;

	fputs("usage: dir-cli trustedcert COMMAND [options]\n\ncommands:\n", f);
	for (i = 0; i < DIRCLI_NCMDS; i++)
		fprintf(f, "  trustedcert %s%s%s\n", dircli_table[i]->name,
		    dircli_table[i]->synopsis[0] != '\0' ? " " : "",
		    dircli_table[i]->synopsis);
	fputs("\noptions of every command:\n"
	    "  -h, --server-name HOST  the node: host, host:port or an ldap://, ldaps://\n"
	    "                          or ldapi:// URI; without it, this node:\n"
	    "                          $TRELLIS_LDAPI or ldapi:///run/trellis/vmdird.sock,\n"
	    "                          then ldap://localhost:389\n"
	    "      --login USER        bind name: UPN (administrator@vsphere.local), account\n"
	    "                          or DN; without --login, --password and a server,\n"
	    "                          SASL EXTERNAL on the local socket\n"
	    "      --password PW       its password; asked for on a terminal when missing\n"
	    "      --password-file F   read the password from the first line of F\n"
	    "      --json              machine-readable output\n"
	    "      --help              this help\n\n"
	    "options of the commands:\n"
	    "      --cert FILE         PEM certificate(s); each must be a CA\n"
	    "                          (basicConstraints CA:TRUE)\n"
	    "      --crl FILE          a CRL (PEM or DER) issued by the certificate\n"
	    "      --chain             every certificate of --cert, not just one\n"
	    "      --id ID             CN(id) as list prints it (SHA-1 thumbprint)\n"
	    "      --outcert FILE      where get writes the certificate (PEM)\n"
	    "      --outcrl FILE       where get writes the CRL (PEM)\n", f);
}

static const char *
dircli_err_name(int code)
{
	switch (code) {
	case DIRCLI_ERR_ACCESS_DENIED:		return "ERROR_ACCESS_DENIED";
	case DIRCLI_ERR_INVALID_PARAMETER:	return "ERROR_INVALID_PARAMETER";
	case DIRCLI_ERR_ALREADY_EXISTS:		return "ERROR_ALREADY_EXISTS";
	case DIRCLI_ERR_CANNOT_CONNECT:		return "ERROR_CANNOT_CONNECT_VMDIR";
	case DIRCLI_ERR_LOGON_FAILURE:		return "ERROR_LOGON_FAILURE";
	case DIRCLI_ERR_NOT_FOUND:		return "ERROR_OBJECT_NOT_FOUND";
	default:				return "LDAP_ERROR";
	}
}

static int
dircli_exit(int code)
{
	return code % 256 != 0 ? code % 256 : 1;
}

static int
dircli_vfail(int code, const char *fmt, va_list ap)
{
	char *detail = NULL;

	if (fmt != NULL && vasprintf(&detail, fmt, ap) < 0)
		detail = NULL;
	if (dircli_json) {
		char *m = detail != NULL ? NULL : xasprintf(
		    "Operation failed with error %s (%d)", dircli_err_name(code), code);

		tool_json_error(code, detail != NULL ? detail : m);
		free(m);
	} else {
		if (detail != NULL)
			fprintf(stderr, "%s\n", detail);
		fprintf(stderr, "dir-cli failed. Error %d: Operation failed with "
		    "error %s (%d) \n", code, dircli_err_name(code), code);
	}
	free(detail);
	return dircli_exit(code);
}

int
dircli_fail(int code, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = dircli_vfail(code, fmt, ap);
	va_end(ap);
	return rc;
}

/* One place that turns LDAP result codes into VMware's. */
static int
dircli_code(int rc)
{
	switch (rc) {
	case LDAP_INSUFFICIENT_ACCESS:
	case LDAP_STRONG_AUTH_REQUIRED:
		return DIRCLI_ERR_ACCESS_DENIED;
	case LDAP_INVALID_CREDENTIALS:
		return DIRCLI_ERR_LOGON_FAILURE;
	case LDAP_NO_SUCH_OBJECT:
		return DIRCLI_ERR_NOT_FOUND;
	case LDAP_ALREADY_EXISTS:
		return DIRCLI_ERR_ALREADY_EXISTS;
	case LDAP_PARAM_ERROR:
	case LDAP_INVALID_SYNTAX:
	case LDAP_INVALID_DN_SYNTAX:
	case LDAP_OBJECT_CLASS_VIOLATION:
	case LDAP_UNDEFINED_TYPE:
	case LDAP_CONSTRAINT_VIOLATION:
		return DIRCLI_ERR_INVALID_PARAMETER;
	default:
		return ldapc_unreachable(rc) ? DIRCLI_ERR_CANNOT_CONNECT : rc;
	}
}

int
dircli_fail_ld(LDAP *ld, int rc, const char *what)
{
	char *m = tool_ldap_errmsg(ld, rc);
	int code = dircli_code(rc);

	if (code == DIRCLI_ERR_LOGON_FAILURE && !dircli_json)
		fputs("Authentication to VMware Directory Service failed.\n"
		    "Verify the username and password.\n", stderr);
	rc = dircli_fail(code, "%s: %s", what, m);
	free(m);
	return rc;
}

/* The password to bind with, or NULL for SASL EXTERNAL on the local
 * socket; *exit_rc set when it cannot be had. Caller frees (wipes). */
static char *
dircli_password(struct dircli_opts *o, const char *login, int *exit_rc)
{
	char *pw, *prompt;

	*exit_rc = 0;
	if (o->pw != NULL)
		return xstrdup(o->pw);
	if (o->pw_file != NULL) {
		if ((pw = secret_read_file(o->pw_file)) == NULL)
			*exit_rc = dircli_fail(DIRCLI_ERR_INVALID_PARAMETER,
			    "Cannot read the password file [%s]: %s", o->pw_file,
			    strerror(errno));
		return pw;
	}
	if (o->login == NULL && (o->uri == NULL || tool_is_ldapi(o->uri)))
		return NULL;
	prompt = xasprintf("Enter password for %s: ", login);
	pw = tool_prompt_password(prompt);
	free(prompt);
	if (pw == NULL)
		*exit_rc = dircli_fail(DIRCLI_ERR_INVALID_PARAMETER,
		    "No password for %s: use --password, --password-file or a "
		    "terminal", login);
	return pw;
}

int
dircli_connect(struct dircli_opts *o, struct dircli_conn *c)
{
	struct tool_rootdse dse;
	const char *login = o->login != NULL ? o->login : "administrator";
	char *pw, *msg = NULL;
	int rc, erc;

	memset(c, 0, sizeof(*c));
	if ((pw = dircli_password(o, login, &erc)) == NULL && erc != 0)
		return erc;
	rc = tool_connect_default(o->uri, login, pw, &c->ld, &c->uri, &msg);
	if (pw != NULL) {
		explicit_bzero(pw, strlen(pw));
		free(pw);
	}
	if (rc != LDAP_SUCCESS) {
		if (rc == LDAP_INVALID_CREDENTIALS && !dircli_json)
			fputs("Authentication to VMware Directory Service failed.\n"
			    "Verify the username and password.\n", stderr);
		if (rc == LDAP_INVALID_CREDENTIALS)
			erc = dircli_fail(dircli_code(rc), "Cannot bind to %s as %s: %s",
			    c->uri, login, msg);
		else
			erc = dircli_fail(dircli_code(rc), "Cannot connect to %s: %s",
			    c->uri, msg);
		free(msg);
		dircli_conn_close(c);
		return erc;
	}
	memset(&dse, 0, sizeof(dse));
	if ((rc = tool_rootdse_read(c->ld, &dse)) != LDAP_SUCCESS || dse.nc == NULL) {
		erc = rc != LDAP_SUCCESS ?
		    dircli_fail_ld(c->ld, rc, "Cannot read the root DSE") :
		    dircli_fail(DIRCLI_ERR_NOT_FOUND,
		    "%s has no defaultNamingContext", c->uri);
		tool_rootdse_free(&dse);
		dircli_conn_close(c);
		return erc;
	}
	c->ca_base = xasprintf("cn=Certificate-Authorities,cn=Configuration,%s", dse.nc);
	tool_rootdse_free(&dse);
	return 0;
}

void
dircli_conn_close(struct dircli_conn *c)
{
	if (c == NULL)
		return;
	if (c->ld != NULL)
		ldap_unbind_ext_s(c->ld, NULL, NULL);
	free(c->uri);
	free(c->ca_base);
	memset(c, 0, sizeof(*c));
}

char *
dircli_ca_dn(const struct dircli_conn *c, const char *id)
{
	char *v = xmalloc(strlen(id) * 3 + 1), *p = v, *dn;
	size_t i, n = strlen(id);

	/* RFC 4514 section 2.4: specials escaped, and a leading '#' or space
	 * and a trailing space */
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)id[i];

		if (ch < 0x20 || ch == 0x7f) {
			p += sprintf(p, "\\%02x", ch);
			continue;
		}
		if (strchr(",+\"\\<>;=", ch) != NULL || (i == 0 && (ch == '#' ||
		    ch == ' ')) || (i == n - 1 && ch == ' '))
			*p++ = '\\';
		*p++ = (char)ch;
	}
	*p = '\0';
	dn = xasprintf("cn=%s,%s", v, c->ca_base);
	free(v);
	return dn;
}

struct berval **
dircli_values(LDAP *ld, LDAPMessage *e, const char *attr)
{
	BerElement *ber = NULL;
	struct berval **v = NULL;
	size_t len = strlen(attr);
	char *a;

	for (a = ldap_first_attribute(ld, e, &ber); a != NULL;
	    a = ldap_next_attribute(ld, e, ber)) {
		if (strncasecmp(a, attr, len) == 0 && (a[len] == '\0' || a[len] == ';'))
			v = ldap_get_values_len(ld, e, a);
		ldap_memfree(a);
		if (v != NULL)
			break;
	}
	ber_free(ber, 0);
	return v;
}

static int
dircli_bad_usage(const char *fmt, const char *arg)
{
	if (!dircli_json) {
		fputs("dir-cli: ", stderr);
		fprintf(stderr, fmt, arg);
		fputs("\n", stderr);
		dircli_usage(stderr);
		return dircli_fail(DIRCLI_ERR_INVALID_PARAMETER, NULL);
	} else {
		char *m = xasprintf(fmt, arg);
		int rc = dircli_fail(DIRCLI_ERR_INVALID_PARAMETER, "%s", m);

		free(m);
		return rc;
	}
}

static const struct dircli_cmd *
dircli_find(const char *name)
{
	size_t i;

	for (i = 0; i < DIRCLI_NCMDS; i++)
		if (strcasecmp(dircli_table[i]->name, name) == 0)
			return dircli_table[i];
	return NULL;
}

enum {
	O_CERT = 256, O_CRL, O_CHAIN, O_ID, O_OUTCERT, O_OUTCRL, O_LOGIN,
	O_PASSWORD, O_PASSWORD_FILE, O_JSON, O_HELP,
};

static const struct {
	int		 opt;
	unsigned	 bit;
	const char	*name;
} dircli_cmd_opts[] = {
	{ O_CERT, DIRCLI_O_CERT, "--cert" },
	{ O_CRL, DIRCLI_O_CRL, "--crl" },
	{ O_CHAIN, DIRCLI_O_CHAIN, "--chain" },
	{ O_ID, DIRCLI_O_ID, "--id" },
	{ O_OUTCERT, DIRCLI_O_OUTCERT, "--outcert" },
	{ O_OUTCRL, DIRCLI_O_OUTCRL, "--outcrl" },
};

static const char *
dircli_opt_name(unsigned bit)
{
	size_t i;

	for (i = 0; i < sizeof(dircli_cmd_opts) / sizeof(dircli_cmd_opts[0]); i++)
		if (dircli_cmd_opts[i].bit == bit)
			return dircli_cmd_opts[i].name;
	return "?";
}

static const char *
dircli_opt_name_of(int ch)
{
	size_t i;

	for (i = 0; i < sizeof(dircli_cmd_opts) / sizeof(dircli_cmd_opts[0]); i++)
		if (dircli_cmd_opts[i].opt == ch)
			return dircli_cmd_opts[i].name;
	return "?";
}

/* Sets the subcommand option ch; false when cmd does not take it. */
static bool
dircli_set_opt(struct dircli_opts *o, const struct dircli_cmd *cmd, int ch,
    unsigned *seen)
{
	size_t i;

	for (i = 0; i < sizeof(dircli_cmd_opts) / sizeof(dircli_cmd_opts[0]); i++)
		if (dircli_cmd_opts[i].opt == ch)
			break;
	if (i == sizeof(dircli_cmd_opts) / sizeof(dircli_cmd_opts[0]) ||
	    (cmd->allowed & dircli_cmd_opts[i].bit) == 0)
		return false;
	*seen |= dircli_cmd_opts[i].bit;
	switch (ch) {
	case O_CERT: o->cert = optarg; break;
	case O_CRL: o->crl = optarg; break;
	case O_CHAIN: o->chain = true; break;
	case O_ID: o->id = optarg; break;
	case O_OUTCERT: o->outcert = optarg; break;
	case O_OUTCRL: o->outcrl = optarg; break;
	}
	return true;
}

static int
dircli_run(const struct dircli_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "server-name", required_argument, NULL, 'h' },
		{ "server", required_argument, NULL, 'h' },
		{ "host", required_argument, NULL, 'h' },
		{ "login", required_argument, NULL, O_LOGIN },
		{ "password", required_argument, NULL, O_PASSWORD },
		{ "password-file", required_argument, NULL, O_PASSWORD_FILE },
		{ "cert", required_argument, NULL, O_CERT },
		{ "crl", required_argument, NULL, O_CRL },
		{ "chain", no_argument, NULL, O_CHAIN },
		{ "id", required_argument, NULL, O_ID },
		{ "outcert", required_argument, NULL, O_OUTCERT },
		{ "outcrl", required_argument, NULL, O_OUTCRL },
		{ "json", no_argument, NULL, O_JSON },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 }
	};
	struct dircli_opts o;
	const char *host = NULL;
	unsigned seen = 0, missing;
	int ch, i, rc;

	memset(&o, 0, sizeof(o));
	/* --json decides how even a usage error is printed */
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--json") == 0)
			dircli_json = o.json = true;
	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, ":h:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h': host = optarg; break;
		case O_LOGIN: o.login = optarg; break;
		case O_PASSWORD: o.pw = optarg; break;
		case O_PASSWORD_FILE: o.pw_file = optarg; break;
		case O_JSON: break;
		case O_HELP:
			dircli_usage(stdout);
			return 0;
		case ':':
			return dircli_bad_usage("option %s needs a value",
			    argv[optind - 1]);
		case '?':
			return dircli_bad_usage("unknown option %s", argv[optind - 1]);
		default:
			if (!dircli_set_opt(&o, cmd, ch, &seen))
				return dircli_bad_usage("option %s does not apply here",
				    dircli_opt_name_of(ch));
		}
	}
	if (optind < argc)
		return dircli_bad_usage("unexpected argument '%s'", argv[optind]);
	if ((missing = cmd->required & ~seen) != 0)
		return dircli_bad_usage("missing %s",
		    dircli_opt_name(missing & -missing));
	if (o.pw != NULL && o.pw_file != NULL)
		return dircli_bad_usage("%s", "--password and --password-file exclude each other");
	if (host != NULL && !tool_uri_arg(host, TOOL_DEFAULT_PORT, &o.uri))
		return dircli_bad_usage("bad server name or URI '%s'", host);
	rc = cmd->handler(&o);
	free(o.uri);
	return rc;
}

int
main(int argc, char **argv)
{
	const struct dircli_cmd *cmd;
	int i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--json") == 0)
			dircli_json = true;
	if (argc < 2)
		return dircli_bad_usage("%s", "missing command");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
		dircli_usage(stdout);
		return 0;
	}
	if (strcasecmp(argv[1], DIRCLI_GROUP) != 0)
		return dircli_bad_usage("unknown command '%s'", argv[1]);
	if (argc < 3)
		return dircli_bad_usage("%s", "missing trustedcert command");
	if (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "help") == 0) {
		dircli_usage(stdout);
		return 0;
	}
	if ((cmd = dircli_find(argv[2])) == NULL)
		return dircli_bad_usage("unknown trustedcert command '%s'", argv[2]);
	return dircli_run(cmd, argc - 2, argv + 2);
}
