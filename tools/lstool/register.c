/*
 * register.c: lstool register: a new registration from flags (--type,
 * --endpoint 'type=…,protocol=…,url=…,trust=FILE', …) or from --spec
 * FILE.json, checked whole before anything is sent; prints the
 * registration as stored (its serviceId first, for scripts).
 */
#include <stdio.h>
#include <stdlib.h>

#include "tools/lstool/lstool.h"

static int
register_run(struct lstool_opts *o)
{
	struct lstool_conn c;
	json_t *reg, *out = NULL;
	char *msg = NULL;
	int rc;

	if (o->url == NULL && o->server == NULL)
		return lstool_usage_error("register", "needs --url URL or --server HOST");
	if ((reg = reg_from_flags(o, &msg)) == NULL)
		return lstool_fail_msg(o, LSTOOL_E_INPUT, msg);
	if (!lstool_need_password(o)) {
		json_decref(reg);
		return lstool_usage_error("register", "needs --password or --password-file");
	}
	if ((rc = lstool_open(o, &c, &msg)) != 0 || (rc = c.ops->add(&c, reg, &out, &msg)) != 0) {
		json_decref(reg);
		lstool_close(&c);
		return lstool_fail_msg(o, rc, msg);
	}
	json_decref(reg);
	lstool_close(&c);
	if (o->json)
		tool_json_print(out);
	else {
		printf("Registered service %s\n",
		    json_string_value(json_object_get(out, "serviceId")));
		json_decref(out);
	}
	return TOOL_EXIT_OK;
}

const struct lstool_cmd cmd_register = {
	.name = "register",
	.usage = "a new registration from flags or --spec FILE.json",
	.writes = true,
	.handler = register_run,
};
