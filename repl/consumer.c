/*
 * consumer.c: the consumer side of pull replication. A manager thread
 * keeps one thread per agreement of this node (the entries below its
 * server object's cn=Replication Agreements); each holds a libldap
 * connection to its supplier bound as this node's machine account, pulls
 * pages of changes, applies each page and advances the high-water mark in
 * one transaction, and merges the supplier's vector at the end of a
 * cycle. Between cycles it keeps a waiting request open, which the
 * supplier answers as soon as it commits a change. A partner that is down
 * is retried with exponential backoff and jitter.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "server.h"
#include "repl.h"
#include "log.h"
#include "ldapc.h"

#define CONSUMER_BACKOFF_MAX	30

struct agreement {
	char			*uri;
	pthread_t		 thread;
	_Atomic bool		 stop;
	struct agreement	*next;
};

static struct {
	pthread_mutex_t		 lock;
	pthread_cond_t		 cond;
	struct agreement	*list;
	pthread_t		 manager;
	bool			 started, stop;
	int			 kicks;
	char			*machine_dn;
	char			*machine_pw;
} cons = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

void
repl_kick(void)
{
	pthread_mutex_lock(&cons.lock);
	cons.kicks++;
	pthread_cond_broadcast(&cons.cond);
	pthread_mutex_unlock(&cons.lock);
}

/* Sleeps up to s seconds, less if stopped or kicked. */
static void
consumer_sleep(struct agreement *a, double s)
{
	struct timespec end;
	int kicks;

	clock_gettime(CLOCK_REALTIME, &end);
	end.tv_sec += (time_t)s;
	end.tv_nsec += (long)((s - (double)(time_t)s) * 1e9);
	if (end.tv_nsec >= 1000000000) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&cons.lock);
	kicks = cons.kicks;
	while (!cons.stop && (a == NULL || !a->stop) && kicks == cons.kicks)
		if (pthread_cond_timedwait(&cons.cond, &cons.lock, &end) != 0)
			break;
	pthread_mutex_unlock(&cons.lock);
}

static int
consumer_meta(const char *key, char **val)
{
	struct be_txn *t;
	int rc;

	*val = NULL;
	if ((rc = be_begin(srv->be, false, &t)) != LDAP_SUCCESS)
		return rc;
	rc = be_meta_get(t, key, val);
	be_abort(t);
	return rc;
}

static LDAP *
consumer_connect(const char *uri)
{
	/* a partner over ldaps:// must prove who it is */
	struct ldapc_opts o = {
		.uri = uri, .bind_dn = cons.machine_dn, .password = cons.machine_pw,
		.ca_file = srv->conf.tls_ca, .tls_demand = true, .net_timeout = 5,
	};
	char *msg = NULL;
	LDAP *ld;
	int rc;

	rc = ldapc_connect(&o, &ld, &msg);
	if (ldapc_unreachable(rc) && strncasecmp(uri, "ldaps://", 8) == 0) {
		char why[512];
		repl_tls_why(uri, why, sizeof(why));
		log_warn("replication: cannot connect to %s: %s (%s)", uri,
		    ldap_err2string(rc), why);
	} else if (rc != LDAP_SUCCESS)
		log_warn("replication: cannot bind to %s as %s: %s", uri,
		    cons.machine_dn, ldap_err2string(rc));
	free(msg);
	if (rc != LDAP_SUCCESS)
		return NULL;
	log_info("replication: connected to %s", uri);
	return ld;
}

/* An LDAP result entry as a struct entry; caller frees. NULL if any part
 * of it cannot be taken (the page must then not be applied). */
static struct entry *
consumer_entry(LDAP *ld, LDAPMessage *msg, const char *uri)
{
	char *dn = ldap_get_dn(ld, msg), *ndn = NULL, *name;
	struct entry *e = NULL;
	BerElement *ber = NULL;
	int bad = 0;

	if (dn == NULL || dn_normalize(srv->schema, dn, &ndn) != LDAP_SUCCESS ||
	    (e = entry_new(dn, ndn)) == NULL) {
		log_error("replication: cannot take entry %s from %s: invalid DN or "
		    "out of memory", dn != NULL ? dn : "(none)", uri);
		goto done;
	}
	for (name = ldap_first_attribute(ld, msg, &ber); name != NULL;
	    name = ldap_next_attribute(ld, msg, ber)) {
		struct berval **vals = ldap_get_values_len(ld, msg, name);
		for (size_t i = 0; vals != NULL && vals[i] != NULL; i++)
			bad |= entry_add_value(e, name, vals[i]->bv_val, vals[i]->bv_len);
		ldap_value_free_len(vals);
		ldap_memfree(name);
	}
	if (bad != 0) {
		log_error("replication: cannot take entry %s from %s: out of memory", dn, uri);
		entry_free(e);
		e = NULL;
	}
done:
	ber_free(ber, 0);
	ldap_memfree(dn);
	free(ndn);
	return e;
}

struct page {
	const char	*uri;
	struct entry	**ents;
	size_t		 n;
	char		 hwm[24];
	char		 top[24];	/* the supplier's top USN for this cycle */
	char		*inv;		/* the supplier's */
	char		*utdv;		/* the supplier's; NULL unless complete */
	bool		 more;
};

static void
page_free(struct page *p)
{
	for (size_t i = 0; i < p->n; i++)
		entry_free(p->ents[i]);
	free(p->ents);
	free(p->inv);
	free(p->utdv);
	memset(p, 0, sizeof(*p));
}

/*
 * A partner that has seen more of one of this node's former incarnations
 * than this node holds means this node was restored from an older copy:
 * say so (log and the node's settings, for the tools). The changes come
 * back by themselves: the vector asks for them.
 */
static int
consumer_restored(struct be_txn *t, const char *uri, const struct utdv *mine,
    const struct utdv *theirs)
{
	char *prev = NULL, *tok, *save = NULL, note[512];
	int rc = be_meta_get(t, "prevInvocations", &prev);

	if (rc == LDAP_NO_SUCH_OBJECT)
		return LDAP_SUCCESS;
	if (rc != LDAP_SUCCESS)
		return rc;
	for (tok = strtok_r(prev, ",", &save); tok != NULL && rc == LDAP_SUCCESS;
	    tok = strtok_r(NULL, ",", &save)) {
		uint64_t have = repl_utdv_get(mine, tok), seen = repl_utdv_get(theirs, tok);
		if (seen <= have)
			continue;
		snprintf(note, sizeof(note), "restore detected: %s has seen changes of this "
		    "node's former invocationId %s up to USN %" PRIu64 ", this node had them "
		    "only up to USN %" PRIu64 "; this node was restored from an older copy and "
		    "is pulling the %" PRIu64 " lost change(s) back", uri, tok, seen, have,
		    seen - have);
		log_warn("replication: %s", note);
		rc = be_meta_put(t, "lastRestore", note);
	}
	free(prev);
	return rc;
}

static int
page_txn(struct be_txn *t, void *arg, struct diag *d)
{
	struct page *p = arg;
	char key[600], val[128], *mine = NULL, *merged = NULL;
	struct utdv u = REPL_UTDV_INIT, su = REPL_UTDV_INIT;
	int rc;

	/* An entry that cannot be applied stops the page: skipping it would
	 * move the mark past a change this node never took. */
	for (size_t i = 0; i < p->n; i++) {
		rc = repl_apply_entry(t, p->ents[i], d);
		if (rc == BE_RETRY)
			return rc;
		if (rc != LDAP_SUCCESS) {
			log_error("replication from %s: cannot apply %s: %s", p->uri,
			    p->ents[i]->dn, d->text);
			return rc;
		}
	}
	snprintf(key, sizeof(key), "hwm:%s", p->uri);
	snprintf(val, sizeof(val), "%s %s", p->hwm, p->inv);
	if ((rc = be_meta_put(t, key, val)) != LDAP_SUCCESS)
		return rc;
	if (p->utdv == NULL)
		return LDAP_SUCCESS;
	rc = be_meta_get(t, "utdv", &mine);
	if (rc != LDAP_SUCCESS && rc != LDAP_NO_SUCH_OBJECT)
		return rc;
	if ((mine != NULL && repl_utdv_parse(mine, &u) != LDAP_SUCCESS) ||
	    repl_utdv_parse(p->utdv, &su) != LDAP_SUCCESS)
		rc = LDAP_OTHER;
	else if ((rc = consumer_restored(t, p->uri, &u, &su)) != LDAP_SUCCESS)
		;
	else if ((rc = repl_utdv_merge(&u, &su)) == LDAP_SUCCESS &&
	    (rc = repl_utdv_format(&u, &merged)) == LDAP_SUCCESS)
		rc = be_meta_put(t, "utdv", merged);
	free(mine);
	free(merged);
	repl_utdv_free(&u);
	repl_utdv_free(&su);
	return rc;
}

/* The vector sent with a pull: merged ones plus our own changes. */
static int
consumer_utdv(struct utdv *u)
{
	char *v = NULL;

	if (consumer_meta("utdv", &v) == LDAP_SUCCESS && v != NULL &&
	    repl_utdv_parse(v, u) != LDAP_SUCCESS)
		*u = (struct utdv)REPL_UTDV_INIT;
	free(v);
	return repl_utdv_set_max(u, srv->invocation, be_usn_highest(srv->be));
}

static int
consumer_parse_done(LDAP *ld, LDAPMessage *res, struct page *p)
{
	LDAPControl **ctls = NULL, *c;
	struct pull_response r;
	char *text = NULL;
	int err, rc;

	rc = ldap_parse_result(ld, res, &err, NULL, &text, NULL, &ctls, 0);
	if (rc != LDAP_SUCCESS || err != LDAP_SUCCESS) {
		log_warn("replication from %s: %s%s%s", p->uri,
		    ldap_err2string(rc != LDAP_SUCCESS ? rc : err),
		    text && *text ? ": " : "", text ? text : "");
		ldap_memfree(text);
		ldap_controls_free(ctls);
		return rc != LDAP_SUCCESS ? rc : err;
	}
	ldap_memfree(text);
	c = ldap_control_find(OID_TRELLIS_PULL, ctls, NULL);
	rc = c == NULL ? LDAP_PROTOCOL_ERROR : repl_pull_response_decode(&c->ldctl_value, &r);
	if (rc == LDAP_SUCCESS) {
		snprintf(p->hwm, sizeof(p->hwm), "%" PRIu64, r.hwm);
		if (r.top > 0)
			snprintf(p->top, sizeof(p->top), "%" PRIu64, r.top);
		else
			p->top[0] = '\0';
		p->more = r.more;
		p->inv = r.inv;		/* taken over */
		p->utdv = r.utdv;
	}
	ldap_controls_free(ctls);
	return rc;
}

/* Says what a page brought; while catching up (an initial copy after a
 * join, or a long outage), how far along the cycle is. */
static void
consumer_progress(const struct agreement *a, const struct page *p)
{
	uint64_t hwm = strtoull(p->hwm, NULL, 10), top = strtoull(p->top, NULL, 10);

	if (p->more && top > 0)
		log_info("replication from %s: applied %zu entries, hwm %s of %s (%.0f%%, "
		    "more to come)", a->uri, p->n, p->hwm, p->top,
		    100.0 * (double)(hwm > top ? top : hwm) / (double)top);
	else
		log_info("replication from %s: applied %zu entries, hwm %s%s", a->uri,
		    p->n, p->hwm, p->more ? " (more)" : "");
}

/* One pull request; fills p. */
static int
consumer_pull(struct agreement *a, LDAP *ld, const char *hwm, const char *inv,
    int wait_ms, struct page *p)
{
	struct pull_request req = { .utdv = REPL_UTDV_INIT, .page = srv->conf.repl_page_size,
	    .wait_ms = wait_ms };
	LDAPControl ctl = { OID_TRELLIS_PULL, { 0, NULL }, 1 }, *ctls[] = { &ctl, NULL };
	char *attrs[] = { "*", "+", NULL };
	struct timeval tv = { 1, 0 };
	LDAPMessage *res = NULL;
	int msgid, rc, done = 0, waited = 0, lost = 0;

	p->uri = a->uri;
	req.hwm = strtoull(hwm, NULL, 10);
	snprintf(req.inv, sizeof(req.inv), "%s", inv);
	if ((rc = consumer_utdv(&req.utdv)) == LDAP_SUCCESS)
		rc = repl_pull_request_encode(&req, &ctl.ldctl_value);
	repl_pull_request_free(&req);
	if (rc != LDAP_SUCCESS)
		return rc;
	rc = ldap_search_ext(ld, srv->suffix, LDAP_SCOPE_SUBTREE, "(objectClass=*)",
	    attrs, 0, ctls, NULL, NULL, 0, &msgid);
	ber_memfree(ctl.ldctl_value.bv_val);
	while (rc == LDAP_SUCCESS && !done) {
		int t = ldap_result(ld, msgid, LDAP_MSG_ONE, &tv, &res);
		if (t == 0) {
			/* a quiet supplier answers within wait_ms; give it 30 s more */
			if (!cons.stop && !a->stop && ++waited < wait_ms / 1000 + 30)
				continue;
			ldap_abandon_ext(ld, msgid, NULL, NULL);
			rc = LDAP_TIMEOUT;
			break;
		}
		if (t < 0) {
			rc = LDAP_SERVER_DOWN;
			break;
		}
		if (t == LDAP_RES_SEARCH_ENTRY) {
			struct entry *e = consumer_entry(ld, res, a->uri), **ne;
			if (e != NULL && (ne = realloc(p->ents, (p->n + 1) * sizeof(*ne))) != NULL) {
				p->ents = ne;
				p->ents[p->n++] = e;
			} else {
				entry_free(e);
				lost = 1;
			}
		} else if (t == LDAP_RES_SEARCH_RESULT) {
			rc = consumer_parse_done(ld, res, p);
			/* a page with an entry left out must not move the mark */
			if (rc == LDAP_SUCCESS && lost)
				rc = LDAP_NO_MEMORY;
			done = 1;
		}
		ldap_msgfree(res);
		res = NULL;
	}
	return rc;
}

static void
consumer_backoff_grow(int *backoff)
{
	*backoff = *backoff == 0 ? 1 : *backoff * 2 > CONSUMER_BACKOFF_MAX ?
	    CONSUMER_BACKOFF_MAX : *backoff * 2;
}

/* Waits a growing, jittered while before the next try. */
static void
consumer_backoff(struct agreement *a, int *backoff, unsigned int *seed)
{
	consumer_backoff_grow(backoff);
	consumer_sleep(a, *backoff * (0.5 + (double)rand_r(seed) / RAND_MAX));
}

static void *
consumer_main(void *arg)
{
	struct agreement *a = arg;
	char key[600], *stored = NULL, hwm[24], inv[64];
	unsigned int seed = (unsigned int)time(NULL) ^ (unsigned int)(uintptr_t)a;
	int backoff = 0, wait_ms = 0, rc;
	LDAP *ld = NULL;
	struct diag d;

	snprintf(key, sizeof(key), "hwm:%s", a->uri);
	while (!a->stop && !cons.stop) {
		struct page p = { 0 };

		if (srv->state == STATE_STANDALONE) {
			consumer_sleep(a, 1);
			continue;
		}
		if (ld == NULL && (ld = consumer_connect(a->uri)) == NULL) {
			consumer_backoff(a, &backoff, &seed);
			continue;
		}
		strcpy(hwm, "0");
		inv[0] = '\0';
		if (consumer_meta(key, &stored) == LDAP_SUCCESS)
			sscanf(stored, "%23s %63s", hwm, inv);
		free(stored);
		stored = NULL;
		rc = consumer_pull(a, ld, hwm, inv, wait_ms, &p);
		if (rc == LDAP_TIMEOUT && p.n == 0) {
			page_free(&p);
			continue;
		}
		if (rc != LDAP_SUCCESS || srv->state == STATE_STANDALONE) {
			if (rc != LDAP_SUCCESS)
				log_warn("replication from %s failed: %s", a->uri,
				    ldap_err2string(rc));
			page_free(&p);
			ldap_unbind_ext_s(ld, NULL, NULL);
			ld = NULL;
			if (rc != LDAP_SUCCESS)
				consumer_backoff(a, &backoff, &seed);
			else
				consumer_backoff_grow(&backoff);
			continue;
		}
		backoff = 0;
		if (inv[0] != '\0' && strcmp(inv, p.inv) != 0) {
			/* the supplier started a new incarnation (restart or
			 * restore): its USNs are no longer comparable */
			log_warn("replication: %s has a new invocationId %s (was %s): "
			    "reading its changes again from USN 0", a->uri, p.inv, inv);
			strcpy(p.hwm, "0");
			for (size_t i = 0; i < p.n; i++)
				entry_free(p.ents[i]);
			p.n = 0;
			free(p.utdv);
			p.utdv = NULL;
		}
		diag_clear(&d);
		/* A page need not reach the disk before the next pull: lost in
		 * a crash, it is lost with the mark that covers it, and pulled
		 * again. The log flusher writes it soon after. */
		be_defer_durability(true);
		rc = write_txn(page_txn, &p, &d);
		be_defer_durability(false);
		if (be_take_unflushed())
			durable_send(NULL, NULL, 0, 0);
		if (rc != LDAP_SUCCESS) {
			log_error("replication from %s: cannot store page: %s", a->uri, d.text);
			page_free(&p);
			consumer_backoff(a, &backoff, &seed);
			wait_ms = 0;
			continue;
		}
		if (p.n > 0)
			consumer_progress(a, &p);
		wait_ms = p.more || p.utdv == NULL ? 0 : srv->conf.repl_interval * 1000;
		page_free(&p);
	}
	if (ld != NULL)
		ldap_unbind_ext_s(ld, NULL, NULL);
	return NULL;
}

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

/* The URIs partners reach this node at, as its server object records
 * them (labeledURI): LDAP and, when enabled, LDAPS; a wildcard listen
 * address gives the host name. */
struct own_uris {
	char	ldap[300], ldaps[300];
};

static void
consumer_own_uris(struct own_uris *u)
{
	const struct conf *c = &srv->conf;
	char host[256];
	const char *h = c->listen, *fmt;

	if (h == NULL || *h == '\0' || strcmp(h, "0.0.0.0") == 0 || strcmp(h, "::") == 0) {
		if (gethostname(host, sizeof(host)) != 0)
			strcpy(host, "localhost");
		host[sizeof(host) - 1] = '\0';
		h = host;
	}
	u->ldap[0] = u->ldaps[0] = '\0';
	fmt = strchr(h, ':') ? "%s[%s]:%d" : "%s%s:%d";
	if (c->port > 0)
		snprintf(u->ldap, sizeof(u->ldap), fmt, "ldap://", h, c->port);
	if (c->ldaps_port > 0)
		snprintf(u->ldaps, sizeof(u->ldaps), fmt, "ldaps://", h, c->ldaps_port);
}

/* True when e (this node's server object) does not show the URIs and the
 * current invocationId. */
static bool
consumer_own_stale(const struct entry *e, const struct own_uris *u)
{
	const char *inv = entry_get_str(e, "invocationId");
	const struct attr *a = entry_attr(e, "labeledURI");
	size_t want = (u->ldap[0] != '\0') + (u->ldaps[0] != '\0'), have = 0;

	if (inv == NULL || strcmp(inv, srv->invocation) != 0)
		return true;
	for (size_t i = 0; a != NULL && i < a->nvals; i++)
		if (strcmp(a->vals[i].bv_val, u->ldap) == 0 ||
		    strcmp(a->vals[i].bv_val, u->ldaps) == 0)
			have++;
	return have != want || (a != NULL ? a->nvals : 0) != want;
}

static int
consumer_own_txn(struct be_txn *t, void *arg, struct diag *d)
{
	const char *ndn = arg;
	struct entry *e = NULL, *nw = NULL;
	char *p = NULL;
	struct own_uris u;
	uint64_t pid = 0;
	int rc = be_get_dn(t, ndn, &e);

	if (rc != LDAP_SUCCESS)
		return rc == LDAP_NO_SUCH_OBJECT ? LDAP_SUCCESS : rc;
	consumer_own_uris(&u);
	if (!consumer_own_stale(e, &u)) {
		entry_free(e);
		return LDAP_SUCCESS;
	}
	if ((nw = entry_dup(e)) == NULL || entry_set_str(nw, "invocationId",
	    srv->invocation) != 0)
		rc = LDAP_NO_MEMORY;
	else {
		entry_del_attr(nw, "labeledURI");
		if ((u.ldap[0] != '\0' && entry_add_str(nw, "labeledURI", u.ldap) != 0) ||
		    (u.ldaps[0] != '\0' && entry_add_str(nw, "labeledURI", u.ldaps) != 0) ||
		    (p = dn_parent(e->ndn)) == NULL)
			rc = LDAP_NO_MEMORY;
	}
	if (rc == LDAP_SUCCESS && (rc = write_stamp_modify(t, e, nw, "", d)) == LDAP_SUCCESS &&
	    (rc = be_dn2id(t, p, &pid)) == LDAP_SUCCESS)
		rc = be_update(t, e, nw, pid);
	free(p);
	entry_free(e);
	entry_free(nw);
	return rc;
}

/* This node's server object shows its current invocationId and URIs
 * (a joining node receives the object only with its first replication
 * cycle). */
static void
consumer_own_object(void)
{
	struct diag d;
	char *ndn = NULL;
	struct own_uris u;
	struct be_txn *t;
	struct entry *e = NULL;
	bool stale = false;

	if (dn_normalize(srv->schema, srv->server_dn, &ndn) != LDAP_SUCCESS)
		return;
	consumer_own_uris(&u);
	if (be_begin(srv->be, false, &t) == LDAP_SUCCESS) {
		if (be_get_dn(t, ndn, &e) == LDAP_SUCCESS)
			stale = consumer_own_stale(e, &u);
		be_abort(t);
	}
	entry_free(e);
	diag_clear(&d);
	if (stale && write_txn(consumer_own_txn, ndn, &d) != LDAP_SUCCESS)
		log_warn("cannot update this node's server object: %s", d.text);
	free(ndn);
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

static char *
consumer_read_pw(void)
{
	char path[4096], buf[256];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/machine-account", srv->conf.data_dir);
	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	return strdup(buf);
}

int
repl_start(void)
{
	if (asprintf(&cons.machine_dn, "cn=%s,cn=Domain Controllers,%s", srv->conf.node,
	    srv->suffix) < 0)
		return -1;
	if ((cons.machine_pw = consumer_read_pw()) == NULL) {
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
