/*
 * store.c: vecs-cli store create|list|delete|permission|get-permissions.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/common/toolutil.h"
#include "tools/vecs-cli/vecs-cli.h"

static void
store_usage(FILE *f)
{
	fputs("  store create --name NAME\n"
	    "  store list\n"
	    "  store delete --name NAME [-y]\n"
	    "  store permission --name NAME --user USER --grant|--revoke read|write\n"
	    "  store get-permissions --name NAME\n", f);
}

struct store_opts {
	const char	*name, *user, *grant, *revoke;
	bool		 yes;
};

static int
store_parse(struct cli *cli, int argc, char **argv, struct store_opts *o)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "user", required_argument, NULL, 'u' },
		{ "grant", required_argument, NULL, 'g' },
		{ "revoke", required_argument, NULL, 'r' },
		{ "yes", no_argument, NULL, 'y' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	memset(o, 0, sizeof(*o));
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "y", opts, NULL)) != -1) {
		switch (ch) {
		case 'n': o->name = optarg; break;
		case 'u': o->user = optarg; break;
		case 'g': o->grant = optarg; break;
		case 'r': o->revoke = optarg; break;
		case 'y': o->yes = true; break;
		default:
			return cli_usage_error(cli, &cli_cmd_store, "unknown or incomplete option");
		}
	}
	if (optind < argc)
		return cli_usage_error(cli, &cli_cmd_store, "unexpected argument");
	return 0;
}

static int
store_create(struct cli *cli, struct store_opts *o)
{
	int rc;

	if (o->name == NULL)
		return cli_usage_error(cli, &cli_cmd_store, "--name is required");
	if ((rc = cli_connect(cli)) != 0)
		return rc;
	if ((rc = vecs_store_create(cli->conn, o->name)) != VECS_OK)
		return cli_fail(cli, rc);
	if (cli->json)
		tool_json_print(json_pack("{s:s, s:b}", "store", o->name, "created", 1));
	else
		printf("Successfully created store [%s]\n", o->name);
	return 0;
}

static int
store_list(struct cli *cli, struct store_opts *o)
{
	char **names;
	size_t n;
	int rc;

	if ((rc = cli_connect(cli)) != 0)
		return rc;
	if ((rc = vecs_store_list(cli->conn, &names, &n)) != VECS_OK)
		return cli_fail(cli, rc);
	if (cli->json) {
		json_t *a = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(a, json_string(names[i]));
		tool_json_print(json_pack("{s:o}", "stores", a));
	} else if (n == 0)
		fputs("No stores found\n", stderr);
	for (size_t i = 0; !cli->json && i < n; i++)
		printf("%s\n", names[i]);
	vecs_strings_free(names, n);
	return 0;
}

static int
store_delete(struct cli *cli, struct store_opts *o)
{
	char *warn;
	bool go;
	int rc;

	if (o->name == NULL)
		return cli_usage_error(cli, &cli_cmd_store, "--name is required");
	if (!o->yes) {
		warn = xasprintf("Warning: This operation will delete store [%s]", o->name);
		go = cli_confirm(warn);
		free(warn);
		if (!go)
			return 0;
	}
	if ((rc = cli_connect(cli)) != 0)
		return rc;
	if ((rc = vecs_store_delete(cli->conn, o->name)) != VECS_OK)
		return cli_fail(cli, rc);
	if (cli->json)
		tool_json_print(json_pack("{s:s, s:b}", "store", o->name, "deleted", 1));
	else
		printf("Successfully deleted store [%s]\n", o->name);
	return 0;
}

/* "read", "write" or "read,write" to VECS_RIGHT_*; 0 if neither. */
static unsigned
store_rights(const char *s)
{
	if (strcmp(s, "read") == 0)
		return VECS_RIGHT_READ;
	if (strcmp(s, "write") == 0)
		return VECS_RIGHT_WRITE;
	if (strcmp(s, "read,write") == 0 || strcmp(s, "write,read") == 0)
		return VECS_RIGHT_READ | VECS_RIGHT_WRITE;
	return 0;
}

static const char *
store_rights_name(unsigned r)
{
	return r == (VECS_RIGHT_READ | VECS_RIGHT_WRITE) ? "read,write" :
	    r == VECS_RIGHT_READ ? "read" : r == VECS_RIGHT_WRITE ? "write" : "";
}

static int
store_permission(struct cli *cli, struct store_opts *o)
{
	const char *what = o->grant != NULL ? o->grant : o->revoke;
	unsigned rights;
	int rc;

	if (o->name == NULL || o->user == NULL)
		return cli_usage_error(cli, &cli_cmd_store, "--name and --user are required");
	if ((o->grant == NULL) == (o->revoke == NULL))
		return cli_usage_error(cli, &cli_cmd_store, "give one of --grant and --revoke");
	if ((rights = store_rights(what)) == 0)
		return cli_usage_error(cli, &cli_cmd_store, "the access is read or write");
	if ((rc = cli_connect(cli)) != 0)
		return rc;
	rc = vecs_store_permission(cli->conn, o->name, o->user, o->grant != NULL, rights);
	if (rc != VECS_OK)
		return cli_fail(cli, rc);
	if (cli->json)
		tool_json_print(json_pack("{s:s, s:s, s:s, s:s}", "store", o->name, "user",
		    o->user, o->grant != NULL ? "granted" : "revoked", store_rights_name(rights),
		    "result", "ok"));
	else
		printf("Permissions for store [%s] set  successfully\n \n", o->name);
	return 0;
}

static int
store_get_permissions(struct cli *cli, struct store_opts *o)
{
	struct vecs_perms *p;
	int rc;

	if (o->name == NULL)
		return cli_usage_error(cli, &cli_cmd_store, "--name is required");
	if ((rc = cli_connect(cli)) != 0)
		return rc;
	if ((rc = vecs_store_get_permissions(cli->conn, o->name, &p)) != VECS_OK)
		return cli_fail(cli, rc);
	if (cli->json) {
		json_t *a = json_array();
		for (size_t i = 0; i < p->n; i++)
			json_array_append_new(a, json_pack("{s:s, s:s}", "user",
			    p->grants[i].user, "access", store_rights_name(p->grants[i].rights)));
		tool_json_print(json_pack("{s:s, s:s, s:o}", "store", o->name, "owner",
		    p->owner, "grants", a));
	} else {
		printf("PERMISSIONS FOR STORE: [%s]\nOWNER : %s\nUSER\t\tACCESS\n", o->name,
		    p->owner);
		for (size_t i = 0; i < p->n; i++)
			printf("%s\t%s\n", p->grants[i].user,
			    store_rights_name(p->grants[i].rights));
	}
	vecs_perms_free(p);
	return 0;
}

static int
store_run(struct cli *cli, int argc, char **argv)
{
	static const struct {
		const char	*name;
		int		(*fn)(struct cli *, struct store_opts *);
	} subs[] = {
		{ "create", store_create },
		{ "list", store_list },
		{ "delete", store_delete },
		{ "permission", store_permission },
		{ "get-permissions", store_get_permissions },
	};
	struct store_opts o;
	int rc;

	if (argc < 2)
		return cli_usage_error(cli, &cli_cmd_store, "store needs a command");
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		if (strcmp(argv[1], subs[i].name) != 0)
			continue;
		if ((rc = store_parse(cli, argc - 1, argv + 1, &o)) != 0)
			return rc;
		return subs[i].fn(cli, &o);
	}
	return cli_usage_error(cli, &cli_cmd_store, "unknown store command");
}

const struct cli_cmd cli_cmd_store = { "store", store_run, store_usage };
