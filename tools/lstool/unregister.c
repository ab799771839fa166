/*
 * unregister.c: lstool unregister --id ID: removes a registration (and its
 * endpoints and attributes) as an administrator.
 */
#include <stdio.h>
#include <stdlib.h>

#include "tools/lstool/lstool.h"

static int
unregister_run(struct lstool_opts *o)
{
	struct lstool_conn c;
	char *msg = NULL;
	int rc;

	if (o->url == NULL && o->server == NULL)
		return lstool_usage_error("unregister", "needs --url URL or --server HOST");
	if (o->id == NULL)
		return lstool_usage_error("unregister", "needs --id ID");
	if (!lstool_need_password(o))
		return lstool_usage_error("unregister", "needs --password or --password-file");
	if ((rc = lstool_open(o, &c, &msg)) != 0 || (rc = c.ops->remove(&c, o->id, &msg)) != 0) {
		lstool_close(&c);
		return lstool_fail_msg(o, rc, msg);
	}
	lstool_close(&c);
	if (o->json)
		tool_json_print(json_pack("{s:s,s:b}", "serviceId", o->id, "deleted", 1));
	else
		printf("Unregistered service %s\n", o->id);
	return TOOL_EXIT_OK;
}

const struct lstool_cmd cmd_unregister = {
	.name = "unregister",
	.usage = "remove a registration: --id ID",
	.writes = true,
	.handler = unregister_run,
};
