/*
 * fuzz_ldapmsg.c: feeds arbitrary bytes to the server's request path as
 * one LDAPMessage from an administrator's connection: envelope, controls,
 * every operation's decoder and handler, against a real (throwaway)
 * database. Responses go nowhere: the connection has no transport.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server.h"
#include "log.h"

static struct server fuzz_server;
struct server *srv = &fuzz_server;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Runs the target on one input; 1 if the server took it as a request (it
 * did not disconnect, or the request was an unbind), 0 if it rejected it
 * (the replay checks bad_* seeds against it). */
int fuzz_accepts(const uint8_t *data, size_t size);

static void
fuzz_cleanup(void)
{
	char cmd[4200];

	be_close(srv->be);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", srv->conf.data_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", srv->conf.data_dir);
	schema_free(srv->schema);
	init_free_names();
	conf_free(&srv->conf);
}

static void
fuzz_setup(void)
{
	static const char *idx[] = { "objectClass", "cn", "uid", "userPrincipalName", NULL };
	const char *top = getenv("top_srcdir");
	char dir[] = "/tmp/fuzz_ldapmsg.XXXXXX", path[4096];
	struct be_config bc = { 0 };
	struct diag d;

	log_init("fuzz_ldapmsg", false, LOG_LVL_ERROR);
	conf_defaults(&srv->conf);
	snprintf(path, sizeof(path), "%s/schema", top != NULL ? top : ".");
	if (mkdtemp(dir) == NULL || conf_set(&srv->conf, "data_dir", dir) != 0 ||
	    conf_set(&srv->conf, "node", "fuzz") != 0 ||
	    schema_load(path, &srv->schema, &d) != LDAP_SUCCESS) {
		fprintf(stderr, "fuzz_ldapmsg: set-up failed\n");
		exit(1);
	}
	bc.dir = dir;
	bc.indexes = idx;
	bc.nosync = true;
	if (be_open(&bc, srv->schema, &srv->be, &d) != LDAP_SUCCESS) {
		fprintf(stderr, "fuzz_ldapmsg: %s\n", d.text);
		exit(1);
	}
	if (init_names() != 0) {
		fprintf(stderr, "fuzz_ldapmsg: cannot set up names\n");
		exit(1);
	}
	if (init_domain("fuzz-Passw0rd", &d) != LDAP_SUCCESS) {
		fprintf(stderr, "fuzz_ldapmsg: init: %s\n", d.text);
		exit(1);
	}
	atexit(fuzz_cleanup);
}

/* True if data holds an UnbindRequest, which closes by design. */
static bool
fuzz_is_unbind(const uint8_t *data, size_t size)
{
	struct berval bv = { size, (char *)data };
	BerElement *ber;
	ber_len_t len;
	ber_int_t id;
	bool unbind = false;

	if (size == 0 || (ber = ber_init(&bv)) == NULL)
		return false;
	if (ber_scanf(ber, "{i", &id) != LBER_ERROR)
		unbind = ber_peek_tag(ber, &len) == LDAP_REQ_UNBIND;
	ber_free(ber, 1);
	return unbind;
}

int
fuzz_accepts(const uint8_t *data, size_t size)
{
	static int ready;
	struct conn *c;
	void *pdu;
	bool closing;

	if (!ready) {
		fuzz_setup();
		ready = 1;
	}
	if ((c = conn_new()) == NULL || (pdu = malloc(size + 1)) == NULL)
		abort();
	memcpy(pdu, data, size);
	conn_set_identity(c, srv->admin_ndn, true);
	op_dispatch(c, pdu, size);
	pthread_mutex_lock(&c->lock);
	closing = c->closing;
	pthread_mutex_unlock(&c->lock);
	conn_unref(c);
	return !closing || fuzz_is_unbind(data, size);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_accepts(data, size);
	return 0;
}
