/*
 * refresh.c: vecs-cli force-refresh: asks vecsd to reconcile
 * TRUSTED_ROOTS and TRUSTED_ROOT_CRLS with the directory now. Prints
 * nothing on success, as VMware's does.
 */
#include <stdio.h>

#include "tools/common/toolutil.h"
#include "tools/vecs-cli/vecs-cli.h"

static void
refresh_usage(FILE *f)
{
	fputs("  force-refresh\n", f);
}

static int
refresh_run(struct cli *cli, int argc, char **argv)
{
	int rc;

	if (argc > 1)
		return cli_usage_error(cli, &cli_cmd_refresh, "force-refresh takes no argument");
	if ((rc = cli_connect(cli)) != 0)
		return rc;
	if ((rc = vecs_force_refresh(cli->conn)) != VECS_OK)
		return cli_fail(cli, rc);
	if (cli->json)
		tool_json_print(json_pack("{s:b}", "refreshed", 1));
	return 0;
}

const struct cli_cmd cli_cmd_refresh = { "force-refresh", refresh_run, refresh_usage };
