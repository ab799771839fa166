/*
 * main.c: vdcadmintool, the local node's administration tool. Without
 * action flags it is VMware's numbered menu read from standard input (so
 * "echo 6 | vdcadmintool" prints " VmDir State is - Normal"); the flags
 * --get-state, --set-state, --replicate, --get-log-level, --set-log-level
 * and --test do one thing for scripts. Everything goes through the node
 * administration extended operation or standard LDAP operations.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "tools/common/toolutil.h"

#define ADMIN_DEFAULT_URI	"ldap://127.0.0.1:389"

struct admin {
	const char	*uri;
	const char	*user;
	const char	*pw;
	LDAP		*ld;
	bool		 json;
	FILE		*in;
};

struct admin_item {
	int		 number;
	const char	*label;
	int		(*handler)(struct admin *);
};

static void
admin_usage(FILE *f)
{
	fputs("usage: vdcadmintool [-H URI] [-u USER] [-w PASSWORD] [ACTION]\n\n"
	    "Without an action, shows a numbered menu and reads choices from\n"
	    "standard input until 0 or end of input.\n\n"
	    "  -H, --uri URI          the node (default $VMDIR_URI or " ADMIN_DEFAULT_URI ")\n"
	    "  -u, --user USER        bind name (default $VMDIR_USER or administrator)\n"
	    "  -w, --password PW      password (default $VMDIR_PASSWORD)\n"
	    "      --json             machine-readable output\n"
	    "      --help             this help\n\n"
	    "actions:\n"
	    "      --test             test LDAP connectivity (connect and bind)\n"
	    "      --replicate        start a replication cycle now\n"
	    "      --get-state        print the node state\n"
	    "      --set-state S      NORMAL, READ_ONLY or STANDALONE\n"
	    "      --get-log-level    print the log level\n"
	    "      --set-log-level L  error, warn, info, debug or trace\n", f);
}

static void
admin_error(const char *what, const char *msg, int code)
{
	fprintf(stderr, " %s failed. Error [%s] [%d]\n", what, msg, code);
}

/* Connects lazily; prints the failure under the name what. */
static int
admin_connect(struct admin *a, const char *what)
{
	char *msg = NULL;
	int rc;

	if (a->ld != NULL)
		return LDAP_SUCCESS;
	if (a->pw == NULL) {
		admin_error(what, "no password: use -w or VMDIR_PASSWORD",
		    LDAP_INVALID_CREDENTIALS);
		return LDAP_INVALID_CREDENTIALS;
	}
	if ((rc = tool_connect(a->uri, a->user, a->pw, &a->ld, &msg)) != LDAP_SUCCESS) {
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

static int
admin_test(struct admin *a)
{
	if (admin_connect(a, "Test LDAP connectivity") != LDAP_SUCCESS)
		return TOOL_EXIT_FAIL;
	if (a->json)
		tool_json_print(json_pack("{s:s, s:s, s:b}", "uri", a->uri,
		    "user", a->user, "connected", 1));
	else
		printf(" Test LDAP connectivity to %s as %s succeeded\n", a->uri, a->user);
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

/* Menu 3: Password Modify (RFC 3062); an empty new password lets the server generate one. */
static int
admin_reset_password(struct admin *a)
{
	struct berval user, newpw, gen = { 0, NULL };
	char *dn, *pw, *msg;
	int rc;

	if ((dn = admin_prompt(a, "Enter account DN: ")) == NULL)
		return TOOL_EXIT_FAIL;
	if ((pw = admin_prompt(a, "Enter new password: ")) == NULL) {
		free(dn);
		return TOOL_EXIT_FAIL;
	}
	rc = TOOL_EXIT_FAIL;
	if (*dn == '\0') {
		admin_error("Reset account password", "no account given",
		    LDAP_PARAM_ERROR);
		goto out;
	}
	if (admin_connect(a, "Reset account password") != LDAP_SUCCESS)
		goto out;
	user.bv_val = dn;
	user.bv_len = strlen(dn);
	newpw.bv_val = pw;
	newpw.bv_len = strlen(pw);
	rc = ldap_passwd_s(a->ld, &user, NULL, *pw ? &newpw : NULL, &gen, NULL, NULL);
	if (rc != LDAP_SUCCESS) {
		msg = tool_ldap_errmsg(a->ld, rc);
		admin_error("Reset account password", msg, rc);
		free(msg);
		rc = TOOL_EXIT_FAIL;
		goto out;
	}
	if (*pw != '\0' && gen.bv_val != NULL) {
		/* We sent a password, yet the server generated one: it did not see our request value. */
		admin_error("Reset account password",
		    "the server ignored the requested password and generated one", LDAP_OTHER);
		rc = TOOL_EXIT_FAIL;
		goto out;
	}
	printf(" Password reset for %s succeeded\n", dn);
	if (gen.bv_val != NULL)
		printf(" New password is - %.*s\n", (int)gen.bv_len, gen.bv_val);
	rc = TOOL_EXIT_OK;
out:
	if (gen.bv_val != NULL) {
		explicit_bzero(gen.bv_val, gen.bv_len);
		ber_memfree(gen.bv_val);
	}
	explicit_bzero(pw, strlen(pw));
	free(pw);
	free(dn);
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
	ACT_GET_LEVEL, ACT_SET_LEVEL
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
	    O_GLEVEL, O_SLEVEL };
	static const struct option longopts[] = {
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
		{ NULL, 0, NULL, 0 }
	};
	struct admin a;
	enum admin_action act = ACT_MENU, next;
	const char *arg = NULL;
	int ch, rc;

	memset(&a, 0, sizeof(a));
	a.in = stdin;
	a.uri = getenv("VMDIR_URI");
	a.user = getenv("VMDIR_USER");
	a.pw = getenv("VMDIR_PASSWORD");
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":H:u:w:h", longopts, NULL)) != -1) {
		next = ACT_MENU;
		switch (ch) {
		case 'H': a.uri = optarg; break;
		case 'u': a.user = optarg; break;
		case 'w': a.pw = optarg; break;
		case O_JSON: a.json = true; break;
		case 'h':
		case O_HELP:
			admin_usage(stdout);
			return TOOL_EXIT_OK;
		case O_TEST: next = ACT_TEST; break;
		case O_REPL: next = ACT_REPLICATE; break;
		case O_GSTATE: next = ACT_GET_STATE; break;
		case O_SSTATE: next = ACT_SET_STATE; arg = optarg; break;
		case O_GLEVEL: next = ACT_GET_LEVEL; break;
		case O_SLEVEL: next = ACT_SET_LEVEL; arg = optarg; break;
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
	if (a.uri == NULL || *a.uri == '\0')
		a.uri = ADMIN_DEFAULT_URI;
	if (a.user == NULL || *a.user == '\0')
		a.user = "administrator";
	if (strstr(a.uri, "://") == NULL)
		return admin_bad_usage("-H needs an LDAP URI (ldap://host:port)");

	switch (act) {
	case ACT_TEST: rc = admin_test(&a); break;
	case ACT_REPLICATE: rc = admin_replicate(&a); break;
	case ACT_GET_STATE: rc = admin_get_state(&a); break;
	case ACT_SET_STATE: rc = admin_set_state_to(&a, arg); break;
	case ACT_GET_LEVEL: rc = admin_get_level(&a); break;
	case ACT_SET_LEVEL: rc = admin_set_level_to(&a, arg); break;
	default: rc = admin_menu_run(&a); break;
	}
	if (a.ld != NULL)
		ldap_unbind_ext_s(a.ld, NULL, NULL);
	return rc;
}
