/*
 * consumer_agreements.c: the consumer's manager: it lists this node's
 * agreements (the entries below its server object's cn=Replication
 * Agreements) and keeps one pulling thread per agreement, starting and
 * stopping them as agreements come and go; repl_start and repl_stop.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"
#include "repl.h"
#include "log.h"
#include "consumer_int.h"

struct consumer_state cons = {
	.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER
};

/* The labeledURIs of this node's agreements; NULL-terminated, caller frees. */
static char **
consumer_agreements(void)
{
	struct idset ids = { 0 };
	struct be_txn *t;
	char dn[2048], *ndn = NULL, **out = calloc(1, sizeof(char *));
	uint64_t id;
	size_t n = 0;

	snprintf(dn, sizeof(dn), "cn=Replication Agreements,%s", srv->server_dn);
	if (out == NULL || dn_normalize(srv->schema, dn, &ndn) != LDAP_SUCCESS ||
	    be_begin(srv->be, false, &t) != LDAP_SUCCESS) {
		free(ndn);
		return out;
	}
	if (be_dn2id(t, ndn, &id) == LDAP_SUCCESS && be_children(t, id, &ids) == LDAP_SUCCESS)
		for (size_t i = 0; i < ids.n; i++) {
			struct entry *e;
			const char *uri;
			char **no;
			if (be_get_id(t, ids.ids[i], &e) != LDAP_SUCCESS)
				continue;
			if ((uri = entry_get_str(e, "labeledURI")) != NULL &&
			    !repl_entry_is_tombstone(e) &&
			    (no = realloc(out, (n + 2) * sizeof(char *))) != NULL) {
				out = no;
				out[n++] = strdup(uri);
				out[n] = NULL;
			}
			entry_free(e);
		}
	/* a joining node pulls from its first partner until its own
	 * agreements have arrived */
	char *jp = NULL;
	if (n == 0 && be_meta_get(t, "joinPartner", &jp) == LDAP_SUCCESS) {
		char **no = realloc(out, 2 * sizeof(char *));
		if (no != NULL) {
			out = no;
			out[0] = jp;
			out[1] = NULL;
			jp = NULL;
		}
	}
	free(jp);
	be_abort(t);
	idset_free(&ids);
	free(ndn);
	return out;
}

static void
consumer_sync(void)
{
	char **uris = consumer_agreements();
	struct agreement **ap, *a;

	/* stop the removed */
	for (ap = &cons.list; (a = *ap) != NULL;) {
		bool keep = false;
		for (size_t i = 0; uris[i] != NULL && !keep; i++)
			keep = strcmp(uris[i], a->uri) == 0;
		if (keep) {
			ap = &a->next;
			continue;
		}
		*ap = a->next;
		a->stop = true;
		repl_kick();
		pthread_join(a->thread, NULL);
		log_info("replication: agreement with %s removed", a->uri);
		free(a->uri);
		free(a);
	}
	for (size_t i = 0; uris[i] != NULL; i++) {
		bool have = false;
		for (a = cons.list; a != NULL && !have; a = a->next)
			have = strcmp(a->uri, uris[i]) == 0;
		if (have || (a = calloc(1, sizeof(*a))) == NULL)
			continue;
		a->uri = strdup(uris[i]);
		if (a->uri == NULL || pthread_create(&a->thread, NULL, consumer_main, a) != 0) {
			free(a->uri);
			free(a);
			continue;
		}
		log_info("replication: pulling from %s", a->uri);
		a->next = cons.list;
		cons.list = a;
	}
	for (size_t i = 0; uris[i] != NULL; i++)
		free(uris[i]);
	free(uris);
}

static void *
consumer_manager(void *unused)
{
	while (!cons.stop) {
		consumer_own_object();
		consumer_sync();
		consumer_sleep(NULL, 2);
	}
	return NULL;
}

int
repl_start(void)
{
	if (asprintf(&cons.machine_dn, "cn=%s,cn=Domain Controllers,%s", srv->conf.node,
	    srv->suffix) < 0)
		return -1;
	if ((cons.machine_pw = init_read_machine_pw()) == NULL) {
		log_warn("replication: no machine-account password in %s: not pulling",
		    srv->conf.data_dir);
		return 0;
	}
	if (pthread_create(&cons.manager, NULL, consumer_manager, NULL) != 0)
		return -1;
	cons.started = true;
	return 0;
}

void
repl_stop(void)
{
	struct agreement *a;

	pthread_mutex_lock(&cons.lock);
	cons.stop = true;
	pthread_cond_broadcast(&cons.cond);
	pthread_mutex_unlock(&cons.lock);
	repl_notify();
	if (cons.started)
		pthread_join(cons.manager, NULL);
	while ((a = cons.list) != NULL) {
		cons.list = a->next;
		a->stop = true;
		pthread_join(a->thread, NULL);
		free(a->uri);
		free(a);
	}
	free(cons.machine_dn);
	free(cons.machine_pw);
}
