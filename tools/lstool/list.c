/*
 * list.c: lstool list: the registrations a node holds, filtered, printed
 * as VMware's lstool.py prints them (runbooks grep these lines) or, with
 * --json, as the API's {"registrations": [...]}.
 */
#include <stdio.h>
#include <stdlib.h>

#include "tools/lstool/lstool.h"

static int
list_run(struct lstool_opts *o)
{
	struct lstool_filter f = { o->id, o->type, o->product, o->ep_type, o->node_id };
	struct lstool_conn c;
	json_t *arr = NULL, *reg;
	char *msg = NULL;
	size_t i;
	int rc;

	if (o->url == NULL && o->server == NULL)
		return lstool_usage_error("list", "needs --url URL or --server HOST");
	if ((rc = lstool_open(o, &c, &msg)) != 0 || (rc = c.ops->list(&c, &f, &arr, &msg)) != 0) {
		lstool_close(&c);
		return lstool_fail_msg(o, rc, msg);
	}
	lstool_close(&c);
	if (o->json) {
		tool_json_print(json_pack("{s:o}", "registrations", arr));
		return TOOL_EXIT_OK;
	}
	json_array_foreach(arr, i, reg) {
		if (i > 0)
			fputs("\n", stdout);
		reg_print(stdout, reg);
	}
	json_decref(arr);
	return fflush(stdout) == 0 ? TOOL_EXIT_OK : TOOL_EXIT_FAIL;
}

const struct lstool_cmd cmd_list = {
	.name = "list",
	.usage = "list registrations [--type T] [--product P] [--ep-type E] [--node-id N]",
	.handler = list_run,
};
