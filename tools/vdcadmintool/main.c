/*
 * main.c: vdcadmintool, the local node's administration tool. Without
 * action flags it is VMware's numbered menu read from standard input (so
 * "echo 6 | vdcadmintool" prints " VmDir State is - Normal"); the flags
 * --get-state, --set-state, --replicate, --get-log-level, --set-log-level,
 * --monitor and --test do one thing for scripts. Everything goes through the node
 * administration extended operation or standard LDAP operations. Without
 * -h/-H (or VMDIR_URI) it talks to this node: the local socket with SASL
 * EXTERNAL first, then ldap://localhost:389.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"
#include "tools/vdcadmintool/vdcadmintool.h"

struct admin_item {
	int		 number;
	const char	*label;
	int		(*handler)(struct admin *);
};

static void
admin_usage(FILE *f)
{
	fputs("usage: vdcadmintool [-h HOST[:PORT] | -H URI] [-u USER] [-w PASSWORD] [ACTION]\n\n"
	    "Without an action, shows a numbered menu and reads choices from\n"
	    "standard input until 0 or end of input.\n\n"
	    "  -h, --host HOST[:PORT] the node (or an ldap://, ldaps://, ldapi:// URI)\n"
	    "  -H, --uri URI          the same; default $VMDIR_URI, else this node:\n"
	    "                         $TRELLIS_LDAPI or ldapi:///run/trellis/vmdird.sock\n"
	    "                         with SASL EXTERNAL, then ldap://localhost:389\n"
	    "  -u, --user USER        bind name (default $VMDIR_USER or administrator)\n"
	    "  -w, --password PW      password (default $VMDIR_PASSWORD; not needed\n"
	    "                         on the local socket as root)\n"
	    "      --json             machine-readable output\n"
	    "      --help             this help\n\n"
	    "actions:\n"
	    "      --test             test LDAP connectivity (connect and bind)\n"
	    "      --replicate        start a replication cycle now\n"
	    "      --get-state        print the node state\n"
	    "      --set-state S      NORMAL, READ_ONLY or STANDALONE\n"
	    "      --get-log-level    print the log level\n"
	    "      --set-log-level L  error, warn, info, debug or trace\n"
	    "      --monitor          the node's counters (cn=monitor)\n"
	    "      --reset-password ACCOUNT\n"
	    "                         a new generated password for ACCOUNT (a UPN such\n"
	    "                         as administrator@vsphere.local, a name or a DN)\n", f);
}

static bool admin_json;

void
admin_error(const char *what, const char *msg, int code)
{
	if (admin_json) {
		char *m = xasprintf("%s failed: %s", what, msg);

		tool_json_error(code, m);
		free(m);
	} else
		fprintf(stderr, " %s failed. Error [%s] [%d]\n", what, msg, code);
}

int
admin_connect(struct admin *a, const char *what)
{
	char *msg = NULL;
	int rc;

	if (a->ld != NULL)
		return LDAP_SUCCESS;
	if (a->pw == NULL && a->uri != NULL && !tool_is_ldapi(a->uri)) {
		admin_error(what, "no password: use -w or VMDIR_PASSWORD",
		    LDAP_INVALID_CREDENTIALS);
		return LDAP_INVALID_CREDENTIALS;
	}
	free(a->used);
	a->used = NULL;
	rc = tool_connect_default(a->uri, a->user, a->pw, &a->ld, &a->used, &msg);
	if (rc != LDAP_SUCCESS) {
		admin_error(what, msg, rc);
		free(msg);
	}
	return rc;
}

/* Runs cmd through the administration extended operation; *answer caller frees. */
static int
admin_exop(struct admin *a, const char *what, const char *cmd, char **answer)
{
	char *msg;
	int rc;

	*answer = NULL;
	if (admin_connect(a, what) != LDAP_SUCCESS)
		return TOOL_EXIT_FAIL;
	if ((rc = tool_admin_exop(a->ld, cmd, answer)) != LDAP_SUCCESS) {
		msg = tool_ldap_errmsg(a->ld, rc);
		admin_error(what, msg, rc);
		free(msg);
		return TOOL_EXIT_FAIL;
	}
	return TOOL_EXIT_OK;
}

/* Reads one line after printing prompt; NULL at end of input. Caller frees. */
static char *
admin_prompt(struct admin *a, const char *prompt)
{
	char *line = NULL;
	size_t cap = 0;

	fputs(prompt, stdout);
	fflush(stdout);
	if (getline(&line, &cap, a->in) < 0) {
		free(line);
		return NULL;
	}
	tool_chomp(line);
	/* Input from a pipe is not echoed: end the prompt's line ourselves. */
	if (!isatty(fileno(a->in)))
		fputc('\n', stdout);
	return line;
}

static const char *
admin_state_label(const char *state)
{
	if (strcasecmp(state, "ReadOnly") == 0)
		return "Read only";
	return state;
}

/* "read only", "Read-Only", "readonly" -> READ_ONLY; others upper-cased. */
static char *
admin_state_arg(const char *s)
{
	char *v = xstrdup(s), *p;

	for (p = v; *p != '\0'; p++)
		*p = (*p == ' ' || *p == '-') ? '_' : (char)toupper((unsigned char)*p);
	if (strcmp(v, "READONLY") == 0) {
		free(v);
		v = xstrdup("READ_ONLY");
	}
	return v;
}

static bool
admin_state_valid(const char *s)
{
	char *v = admin_state_arg(s);
	bool ok = strcmp(v, "NORMAL") == 0 || strcmp(v, "READ_ONLY") == 0 ||
	    strcmp(v, "STANDALONE") == 0;

	free(v);
	return ok;
}

static int
admin_test(struct admin *a)
{
	if (admin_connect(a, "Test LDAP connectivity") != LDAP_SUCCESS)
		return TOOL_EXIT_FAIL;
	if (a->json)
		tool_json_print(json_pack("{s:s, s:s, s:b}", "uri", a->used,
		    "user", a->pw != NULL || !tool_is_ldapi(a->used) ? a->user : "EXTERNAL",
		    "connected", 1));
	else if (a->pw == NULL && tool_is_ldapi(a->used))
		printf(" Test LDAP connectivity to %s with SASL EXTERNAL succeeded\n", a->used);
	else
		printf(" Test LDAP connectivity to %s as %s succeeded\n", a->used, a->user);
	return TOOL_EXIT_OK;
}

static int
admin_replicate(struct admin *a)
{
	char *ans;

	if (admin_exop(a, "Force start replication cycle", "replicate", &ans) != TOOL_EXIT_OK)
		return TOOL_EXIT_FAIL;
	free(ans);
	printf(" Force start replication cycle succeeded\n");
	return TOOL_EXIT_OK;
}

static int
admin_show_state(struct admin *a, const char *state)
{
	if (a->json)
		tool_json_print(json_pack("{s:s, s:s}", "state", state, "label",
		    admin_state_label(state)));
	else
		printf(" VmDir State is - %s\n", admin_state_label(state));
	return TOOL_EXIT_OK;
}

static int
admin_get_state(struct admin *a)
{
	char *ans;

	if (admin_exop(a, "Get vmdir state", "state", &ans) != TOOL_EXIT_OK)
		return TOOL_EXIT_FAIL;
	admin_show_state(a, ans);
	free(ans);
	return TOOL_EXIT_OK;
}

static int
admin_set_state_to(struct admin *a, const char *state)
{
	char *arg = admin_state_arg(state), *cmd, *ans;
	int rc;

	cmd = xasprintf("state %s", arg);
	free(arg);
	rc = admin_exop(a, "Set vmdir state", cmd, &ans);
	free(cmd);
	if (rc != TOOL_EXIT_OK)
		return rc;
	admin_show_state(a, ans);
	free(ans);
	return TOOL_EXIT_OK;
}

static int
admin_show_level(struct admin *a, const char *level)
{
	if (a->json)
		tool_json_print(json_pack("{s:s}", "logLevel", level));
	else
		printf(" VmDir log level is - %s\n", level);
	return TOOL_EXIT_OK;
}

static int
admin_get_level(struct admin *a)
{
	char *ans;

	if (admin_exop(a, "Get vmdir log level", "loglevel", &ans) != TOOL_EXIT_OK)
		return TOOL_EXIT_FAIL;
	admin_show_level(a, ans);
	free(ans);
	return TOOL_EXIT_OK;
}

static int
admin_set_level_to(struct admin *a, const char *level)
{
	char *cmd = xasprintf("loglevel %s", level), *ans;
	int rc;

	rc = admin_exop(a, "Set vmdir log level", cmd, &ans);
	free(cmd);
	if (rc != TOOL_EXIT_OK)
		return rc;
	admin_show_level(a, ans);
	free(ans);
	return TOOL_EXIT_OK;
}

/* The domain's DNS name from its naming context (dc=vsphere,dc=local ->
 * vsphere.local); caller frees. */
static char *
admin_domain(const char *nc)
{
	char *d = xcalloc(strlen(nc) + 1, 1), *w = d;
	const char *p;

	for (p = nc; *p != '\0'; p++) {
		if (strncasecmp(p, "dc=", 3) != 0 || (p != nc && p[-1] != ','))
			continue;
		if (w != d)
			*w++ = '.';
		for (p += 3; *p != '\0' && *p != ','; p++)
			*w++ = *p;
		if (*p == '\0')
			break;
	}
	return d;
}

static int
admin_found(LDAP *ld, LDAPMessage *e, void *arg)
{
	char **dn = arg;

	if (*dn != NULL)
		return 1;	/* a second match */
	*dn = tool_dn(ld, e);
	return 0;
}

/*
 * The DN of an account given as VMware's procedures type it: a DN, a UPN
 * (administrator@vsphere.local) or a bare name (administrator, taken as
 * name@<domain> or a sAMAccountName). *dn caller frees; an LDAP code, the
 * failure printed.
 */
static int
admin_resolve(struct admin *a, const char *what, const char *account, char **dn)
{
	struct tool_rootdse dse;
	struct berval bv, upn_esc = { 0, NULL }, name_esc = { 0, NULL };
	char *attrs[] = { "1.1", NULL }, *upn, *domain, *filter, *m;
	int rc;

	*dn = NULL;
	if (strchr(account, '=') != NULL) {
		*dn = xstrdup(account);
		return LDAP_SUCCESS;
	}
	if ((rc = tool_rootdse_read(a->ld, &dse)) != LDAP_SUCCESS || dse.nc == NULL) {
		m = rc != LDAP_SUCCESS ? tool_ldap_errmsg(a->ld, rc) : xstrdup("no naming context");
		admin_error(what, m, rc != LDAP_SUCCESS ? rc : LDAP_OTHER);
		free(m);
		tool_rootdse_free(&dse);
		return rc != LDAP_SUCCESS ? rc : LDAP_OTHER;
	}
	domain = admin_domain(dse.nc);
	upn = strchr(account, '@') != NULL ? xstrdup(account) :
	    xasprintf("%s@%s", account, domain);
	bv.bv_val = upn;
	bv.bv_len = strlen(upn);
	if (ldap_bv2escaped_filter_value(&bv, &upn_esc) != 0)
		abort();
	bv.bv_val = (char *)account;
	bv.bv_len = strcspn(account, "@");
	if (ldap_bv2escaped_filter_value(&bv, &name_esc) != 0)
		abort();
	filter = strchr(account, '@') != NULL ?
	    xasprintf("(userPrincipalName=%s)", upn_esc.bv_val) :
	    xasprintf("(|(userPrincipalName=%s)(sAMAccountName=%s))", upn_esc.bv_val,
	    name_esc.bv_val);
	rc = tool_search(a->ld, dse.nc, LDAP_SCOPE_SUBTREE, filter, attrs, admin_found, dn);
	if (rc == 1) {
		m = xasprintf("more than one account matches %s", account);
		admin_error(what, m, LDAP_CONSTRAINT_VIOLATION);
		rc = LDAP_CONSTRAINT_VIOLATION;
		free(m);
	} else if (rc != LDAP_SUCCESS) {
		m = tool_ldap_errmsg(a->ld, rc);
		admin_error(what, m, rc);
		free(m);
	} else if (*dn == NULL) {
		m = xasprintf("no account %s", account);
		admin_error(what, m, LDAP_NO_SUCH_OBJECT);
		rc = LDAP_NO_SUCH_OBJECT;
		free(m);
	}
	if (rc != LDAP_SUCCESS) {
		free(*dn);
		*dn = NULL;
	}
	ber_memfree(upn_esc.bv_val);
	ber_memfree(name_esc.bv_val);
	free(filter);
	free(upn);
	free(domain);
	tool_rootdse_free(&dse);
	return rc;
}

/* Resets account's password to one the server generates under the domain's
 * policy (Password Modify, RFC 3062, without a new password) and prints it
 * as VMware's tool does: "New password is -" and the password on the next
 * line. */
static int
admin_reset_account(struct admin *a, const char *account)
{
	const char *what = "Reset account password";
	struct berval user, gen = { 0, NULL };
	char *dn = NULL, *msg;
	int rc;

	if (*account == '\0') {
		admin_error(what, "no account given", LDAP_PARAM_ERROR);
		return TOOL_EXIT_FAIL;
	}
	if (admin_connect(a, what) != LDAP_SUCCESS ||
	    admin_resolve(a, what, account, &dn) != LDAP_SUCCESS)
		return TOOL_EXIT_FAIL;
	user.bv_val = dn;
	user.bv_len = strlen(dn);
	rc = ldap_passwd_s(a->ld, &user, NULL, NULL, &gen, NULL, NULL);
	if (rc == LDAP_SUCCESS && gen.bv_val == NULL)
		rc = LDAP_PROTOCOL_ERROR;	/* the server must say what it chose */
	if (rc != LDAP_SUCCESS) {
		msg = tool_ldap_errmsg(a->ld, rc);
		admin_error(what, msg, rc);
		free(msg);
		free(dn);
		return TOOL_EXIT_FAIL;
	}
	if (a->json) {
		json_t *j = json_pack("{s:s, s:s%}", "account", dn, "password",
		    gen.bv_val, (size_t)gen.bv_len);

		tool_json_print(j);
	} else {
		printf("New password is -\n%.*s\n", (int)gen.bv_len, gen.bv_val);
		fflush(stdout);
	}
	explicit_bzero(gen.bv_val, gen.bv_len);
	ber_memfree(gen.bv_val);
	free(dn);
	return TOOL_EXIT_OK;
}

/* Menu 3, as in VMware's KB procedure: the account's UPN, then the new password. */
static int
admin_reset_password(struct admin *a)
{
	char *account;
	int rc;

	if ((account = admin_prompt(a, "  Please enter account UPN : ")) == NULL)
		return TOOL_EXIT_FAIL;
	rc = admin_reset_account(a, account);
	free(account);
	return rc;
}

static int
admin_menu_set_level(struct admin *a)
{
	char *level;
	int rc;

	if ((level = admin_prompt(a, "Enter log level (error|warn|info|debug|trace): ")) == NULL)
		return TOOL_EXIT_FAIL;
	rc = admin_set_level_to(a, level);
	free(level);
	return rc;
}

static int
admin_menu_set_state(struct admin *a)
{
	char *state;
	int rc;

	if ((state = admin_prompt(a, "Enter state (NORMAL|READ_ONLY|STANDALONE): ")) == NULL)
		return TOOL_EXIT_FAIL;
	rc = admin_set_state_to(a, state);
	free(state);
	return rc;
}

static const struct admin_item admin_menu[] = {
	{ 0, "exit", NULL },
	{ 1, "Test LDAP connectivity", admin_test },
	{ 2, "Force start replication cycle", admin_replicate },
	{ 3, "Reset account password", admin_reset_password },
	{ 4, "Set log level and mask", admin_menu_set_level },
	{ 5, "Set vmdir state", admin_menu_set_state },
	{ 6, "Get vmdir state", admin_get_state },
	{ 7, "Get vmdir log level and mask", admin_get_level },
};
#define ADMIN_NMENU	(sizeof(admin_menu) / sizeof(admin_menu[0]))

static void
admin_menu_print(void)
{
	size_t i;

	printf("==================\nPlease select:\n");
	for (i = 0; i < ADMIN_NMENU; i++)
		printf("%d. %s\n", admin_menu[i].number, admin_menu[i].label);
	printf("==================\n\n");
	fflush(stdout);
}

/* The interactive loop: exit status 1 if any chosen action failed. */
static int
admin_menu_run(struct admin *a)
{
	char *line = NULL, *end;
	size_t cap = 0, i;
	long choice;
	int ret = TOOL_EXIT_OK;

	for (;;) {
		admin_menu_print();
		if (getline(&line, &cap, a->in) < 0)
			break;
		tool_chomp(line);
		if (line[strspn(line, " \t")] == '\0')
			continue;
		choice = strtol(line, &end, 10);
		if (end == line || end[strspn(end, " \t")] != '\0')
			choice = -1;
		if (choice == 0)
			break;
		for (i = 0; i < ADMIN_NMENU; i++)
			if (admin_menu[i].number == choice)
				break;
		if (i == ADMIN_NMENU) {
			fprintf(stderr, " Invalid choice '%s'\n", line);
			ret = TOOL_EXIT_FAIL;
			continue;
		}
		if (admin_menu[i].handler(a) != TOOL_EXIT_OK)
			ret = TOOL_EXIT_FAIL;
		printf("\n");
	}
	free(line);
	return ret;
}

enum admin_action {
	ACT_MENU, ACT_TEST, ACT_REPLICATE, ACT_GET_STATE, ACT_SET_STATE,
	ACT_GET_LEVEL, ACT_SET_LEVEL, ACT_RESET, ACT_MONITOR
};

static int
admin_bad_usage(const char *msg)
{
	fprintf(stderr, "vdcadmintool: %s\n", msg);
	admin_usage(stderr);
	return TOOL_EXIT_USAGE;
}

int
main(int argc, char **argv)
{
	enum { O_JSON = 256, O_HELP, O_TEST, O_REPL, O_GSTATE, O_SSTATE,
	    O_GLEVEL, O_SLEVEL, O_RESET, O_MONITOR };
	static const struct option longopts[] = {
		{ "host", required_argument, NULL, 'h' },
		{ "uri", required_argument, NULL, 'H' },
		{ "user", required_argument, NULL, 'u' },
		{ "password", required_argument, NULL, 'w' },
		{ "json", no_argument, NULL, O_JSON },
		{ "help", no_argument, NULL, O_HELP },
		{ "test", no_argument, NULL, O_TEST },
		{ "replicate", no_argument, NULL, O_REPL },
		{ "get-state", no_argument, NULL, O_GSTATE },
		{ "set-state", required_argument, NULL, O_SSTATE },
		{ "get-log-level", no_argument, NULL, O_GLEVEL },
		{ "set-log-level", required_argument, NULL, O_SLEVEL },
		{ "reset-password", required_argument, NULL, O_RESET },
		{ "monitor", no_argument, NULL, O_MONITOR },
		{ NULL, 0, NULL, 0 }
	};
	struct admin a;
	enum admin_action act = ACT_MENU, next;
	const char *arg = NULL, *where = getenv("VMDIR_URI");
	int ch, rc;

	memset(&a, 0, sizeof(a));
	a.in = stdin;
	a.user = getenv("VMDIR_USER");
	a.pw = getenv("VMDIR_PASSWORD");
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":h:H:u:w:", longopts, NULL)) != -1) {
		next = ACT_MENU;
		switch (ch) {
		case 'h':
		case 'H': where = optarg; break;
		case 'u': a.user = optarg; break;
		case 'w': a.pw = optarg; break;
		case O_JSON: a.json = admin_json = true; break;
		case O_HELP:
			admin_usage(stdout);
			return TOOL_EXIT_OK;
		case O_TEST: next = ACT_TEST; break;
		case O_REPL: next = ACT_REPLICATE; break;
		case O_GSTATE: next = ACT_GET_STATE; break;
		case O_SSTATE: next = ACT_SET_STATE; arg = optarg; break;
		case O_GLEVEL: next = ACT_GET_LEVEL; break;
		case O_SLEVEL: next = ACT_SET_LEVEL; arg = optarg; break;
		case O_RESET: next = ACT_RESET; arg = optarg; break;
		case O_MONITOR: next = ACT_MONITOR; break;
		case ':':
			fprintf(stderr, "vdcadmintool: option %s needs a value\n",
			    argv[optind - 1]);
			admin_usage(stderr);
			return TOOL_EXIT_USAGE;
		default:
			fprintf(stderr, "vdcadmintool: unknown option %s\n",
			    argv[optind - 1]);
			admin_usage(stderr);
			return TOOL_EXIT_USAGE;
		}
		if (next != ACT_MENU) {
			if (act != ACT_MENU)
				return admin_bad_usage("give one action at a time");
			act = next;
		}
	}
	if (optind < argc)
		return admin_bad_usage("unexpected argument");
	if (where != NULL && *where != '\0' && !tool_uri_arg(where, TOOL_DEFAULT_PORT, &a.uri))
		return admin_bad_usage("-h/-H needs HOST[:PORT] or an ldap://, ldaps:// or ldapi:// URI");
	if (a.user == NULL || *a.user == '\0')
		a.user = "administrator";
	/* unknown values are usage errors, found before any server is asked */
	if (act == ACT_SET_STATE && !admin_state_valid(arg))
		rc = admin_bad_usage("--set-state takes NORMAL, READ_ONLY or STANDALONE");
	else if (act == ACT_SET_LEVEL && log_level_parse(arg) < 0)
		rc = admin_bad_usage("--set-log-level takes error, warn, info, debug or trace");
	else if (act == ACT_RESET && *arg == '\0')
		rc = admin_bad_usage("--reset-password needs an account");
	else
		rc = TOOL_EXIT_OK;
	if (rc != TOOL_EXIT_OK) {
		free(a.uri);
		return rc;
	}

	switch (act) {
	case ACT_TEST: rc = admin_test(&a); break;
	case ACT_REPLICATE: rc = admin_replicate(&a); break;
	case ACT_GET_STATE: rc = admin_get_state(&a); break;
	case ACT_SET_STATE: rc = admin_set_state_to(&a, arg); break;
	case ACT_GET_LEVEL: rc = admin_get_level(&a); break;
	case ACT_SET_LEVEL: rc = admin_set_level_to(&a, arg); break;
	case ACT_RESET: rc = admin_reset_account(&a, arg); break;
	case ACT_MONITOR: rc = admin_monitor(&a); break;
	default: rc = admin_menu_run(&a); break;
	}
	if (a.ld != NULL)
		ldap_unbind_ext_s(a.ld, NULL, NULL);
	free(a.uri);
	free(a.used);
	return rc;
}
