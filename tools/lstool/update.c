/*
 * update.c: lstool update --id ID: reads the registration, changes what
 * the flags say (--version, --ep-url for every endpoint, --trust FILE for
 * every endpoint's SSL trust, any field, --attr, --endpoint, --spec) and
 * writes the whole object back (PUT), after the same checks as register.
 */
#include <stdio.h>
#include <stdlib.h>

#include "tools/lstool/lstool.h"

static int
update_run(struct lstool_opts *o)
{
	struct lstool_conn c;
	json_t *reg = NULL, *out = NULL;
	char *msg = NULL;
	bool changed;
	int rc;

	if (o->url == NULL && o->server == NULL)
		return lstool_usage_error("update", "needs --url URL or --server HOST");
	if (o->id == NULL)
		return lstool_usage_error("update", "needs --id ID");
	if (!lstool_need_password(o))
		return lstool_usage_error("update", "needs --password or --password-file");
	if ((rc = lstool_open(o, &c, &msg)) != 0 ||
	    (rc = lstool_get_one(&c, o->id, &reg, &msg)) != 0)
		goto fail;
	if (!reg_apply_flags(o, reg, &changed, &msg)) {
		rc = LSTOOL_E_INPUT;
		goto fail;
	}
	if (changed && (rc = c.ops->replace(&c, o->id, reg, &out, &msg)) != 0)
		goto fail;
	lstool_close(&c);
	if (o->json) {
		tool_json_print(out != NULL ? out : json_incref(reg));	/* releases it */
		out = NULL;
	} else
		printf(changed ? "Updated service %s\n" : "Service %s unchanged\n", o->id);
	json_decref(reg);
	json_decref(out);
	return TOOL_EXIT_OK;
fail:
	json_decref(reg);
	lstool_close(&c);
	return lstool_fail_msg(o, rc, msg);
}

const struct lstool_cmd cmd_update = {
	.name = "update",
	.usage = "change a registration: --id ID and what changes",
	.writes = true,
	.handler = update_run,
};
