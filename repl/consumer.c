/*
 * consumer.c: the consumer side of pull replication, the loop of one
 * agreement. Each agreement's thread (consumer_agreements.c starts them)
 * holds a libldap connection to its supplier bound as this node's machine
 * account, pulls pages of changes and hands each to consumer_page.c,
 * which applies it and advances the high-water mark in one transaction,
 * and merges the supplier's vector at the end of a cycle. Between cycles
 * it keeps a waiting request open, which the supplier answers as soon as
 * it commits a change. A partner that is down is retried with exponential
 * backoff and jitter.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "server.h"
#include "repl.h"
#include "log.h"
#include "ldapc.h"
#include "consumer_int.h"

#define CONSUMER_BACKOFF_MAX	30

void
repl_kick(void)
{
	pthread_mutex_lock(&cons.lock);
	cons.kicks++;
	pthread_cond_broadcast(&cons.cond);
	pthread_mutex_unlock(&cons.lock);
}

/* Sleeps up to s seconds, less if stopped or kicked. */
void
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
		.ca_file = srv->conf.tls_ca, .ca_dir = srv->conf.tls_ca_path,
		.tls_demand = true, .net_timeout = 5,
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
	if (rc != LDAP_SUCCESS)
		stats_repl_error(uri, msg != NULL ? msg : ldap_err2string(rc));
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
	LDAPControl ctl = { OID_TRELLIS_PULL, { 0, NULL }, 1 };
	LDAPControl dctl = { OID_TRELLIS_PULL_DIRECT, { 0, NULL }, 0 };
	LDAPControl *ctls[] = { &ctl, NULL, NULL };
	struct relay direct;
	char dbuf[RELAY_MAX * (REPL_INV_LEN + 1)], (*invs)[64];
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
	/* this node and the partners it also pulls from (relay.c): a
	 * supplier that knows the control holds back what they send here
	 * themselves (and this node's own changes, echoed) */
	direct.n = 0;
	if (strlen(srv->invocation) == REPL_INV_LEN)
		memcpy(direct.inv[direct.n++], srv->invocation, REPL_INV_LEN + 1);
	if ((invs = calloc(RELAY_MAX - 1, sizeof(*invs))) != NULL) {
		size_t n = stats_repl_direct(a->uri, invs, RELAY_MAX - 1);
		for (size_t i = 0; i < n; i++)
			if (strlen(invs[i]) == REPL_INV_LEN)
				memcpy(direct.inv[direct.n++], invs[i], REPL_INV_LEN + 1);
		free(invs);
	}
	if (direct.n > 0) {
		dctl.ldctl_value.bv_len = repl_relay_format(&direct, dbuf, sizeof(dbuf));
		dctl.ldctl_value.bv_val = dbuf;
		ctls[1] = &dctl;
	}
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

/* The supplier's USNs above the new mark, as the page tells them. */
static uint64_t
consumer_backlog(const struct page *p)
{
	unsigned long long top = strtoull(p->top, NULL, 10);
	unsigned long long hwm = strtoull(p->hwm, NULL, 10);

	return top > hwm ? top - hwm : 0;
}

/* Applies p and advances the mark in one transaction. A page need not
 * reach the disk before the next pull: lost in a crash, it is lost with
 * the mark that covers it, and pulled again. The log flusher writes it
 * soon after; a page that changed nothing (every entry was here already,
 * so no USN was taken: its mark and vector only) goes to the disk with
 * whatever is flushed next instead of costing a flush of its own. On a
 * mesh most pages are such: each node gets a change from every partner. */
static int
consumer_store(struct page *p, struct diag *d)
{
	uint64_t before = be_usn_highest(srv->be);
	int rc;

	diag_clear(d);
	if ((rc = write_txn_nosync(page_txn, p, d)) == LDAP_SUCCESS &&
	    be_usn_highest(srv->be) != before)
		durable_send(NULL, NULL, 0, 0);
	return rc;
}

void *
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
			if (rc != LDAP_SUCCESS) {
				log_warn("replication from %s failed: %s", a->uri,
				    ldap_err2string(rc));
				stats_repl_error(a->uri, ldap_err2string(rc));
			}
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
		if ((rc = consumer_store(&p, &d)) != LDAP_SUCCESS) {
			log_error("replication from %s: cannot store page: %s", a->uri, d.text);
			stats_repl_error(a->uri, d.text);
			page_free(&p);
			consumer_backoff(a, &backoff, &seed);
			wait_ms = 0;
			continue;
		}
		if (p.n > 0)
			consumer_progress(a, &p);
		stats_repl_success(a->uri, p.n, consumer_backlog(&p));
		stats_repl_partner(a->uri, p.inv);
		wait_ms = p.more || p.utdv == NULL ? 0 : srv->conf.repl_interval * 1000;
		page_free(&p);
	}
	if (ld != NULL)
		ldap_unbind_ext_s(ld, NULL, NULL);
	stats_repl_forget(a->uri);
	return NULL;
}
