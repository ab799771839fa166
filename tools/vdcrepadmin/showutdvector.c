/*
 * showutdvector.c: the up-to-dateness vector of one node: for every
 * invocation it has heard of, the originating USN up to which it has
 * seen everything.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "tools/vdcrepadmin/vdcrepadmin.h"

static int
showutdvector_run(struct repadmin_opts *o)
{
	struct repadmin_node n;
	struct utdv u = REPL_UTDV_INIT;
	json_t *obj;
	char *vec = NULL;
	size_t i;
	int rc;

	if (repadmin_open_main(o, &n) != TOOL_EXIT_OK)
		return TOOL_EXIT_FAIL;
	rc = tool_read_attr(n.ld, n.dse.server_name, "upToDateVector", &vec);
	if (rc != LDAP_SUCCESS) {
		rc = repadmin_fail_ld(n.ld, rc);
		repadmin_node_close(&n);
		return rc;
	}
	if (!o->json) {
		printf("UTDVector: %s\n", vec ? vec : "");
		free(vec);
		repadmin_node_close(&n);
		return TOOL_EXIT_OK;
	}
	if (vec != NULL && repl_utdv_parse(vec, &u) != LDAP_SUCCESS)
		fprintf(stderr, "vdcrepadmin: malformed upToDateVector %s\n", vec);
	obj = json_object();
	for (i = 0; i < u.n; i++)
		json_object_set_new(obj, u.v[i].inv, json_integer((json_int_t)u.v[i].usn));
	tool_json_print(json_pack("{s:s, s:s?, s:s, s:o}", "server",
	    n.dse.server_name, "invocationId", n.dse.invocation_id,
	    "raw", vec ? vec : "", "utdVector", obj));
	repl_utdv_free(&u);
	free(vec);
	repadmin_node_close(&n);
	return TOOL_EXIT_OK;
}

const struct repadmin_cmd cmd_showutdvector = {
	.name = "showutdvector",
	.usage = "the node's up-to-dateness vector",
	.handler = showutdvector_run,
};
