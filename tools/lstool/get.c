/*
 * get.c: lstool get --id ID: one registration, printed as list prints it
 * or, with --json, the API's object.
 */
#include <stdio.h>
#include <stdlib.h>

#include "tools/lstool/lstool.h"

static int
get_run(struct lstool_opts *o)
{
	struct lstool_conn c;
	json_t *reg = NULL;
	char *msg = NULL;
	int rc;

	if (o->url == NULL && o->server == NULL)
		return lstool_usage_error("get", "needs --url URL or --server HOST");
	if (o->id == NULL)
		return lstool_usage_error("get", "needs --id ID");
	if ((rc = lstool_open(o, &c, &msg)) != 0 ||
	    (rc = lstool_get_one(&c, o->id, &reg, &msg)) != 0) {
		lstool_close(&c);
		return lstool_fail_msg(o, rc, msg);
	}
	lstool_close(&c);
	if (o->json)
		tool_json_print(reg);
	else {
		reg_print(stdout, reg);
		json_decref(reg);
	}
	return fflush(stdout) == 0 ? TOOL_EXIT_OK : TOOL_EXIT_FAIL;
}

const struct lstool_cmd cmd_get = {
	.name = "get",
	.usage = "one registration: --id ID",
	.handler = get_run,
};
