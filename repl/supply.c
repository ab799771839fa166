/*
 * supply.c: the supplier side of pull replication. A consumer searches
 * with the pull control (its high-water mark and up-to-dateness vector);
 * the answer is the entries changed since the mark, in USN order, each
 * carrying only the attribute changes the vector does not cover, parents
 * before children, in a bounded page. SearchResultDone carries the new
 * mark and, when the cycle is complete, this node's vector. With nothing
 * to send, the request waits (up to the consumer's limit) for the next
 * commit, so changes travel in milliseconds. A consumer that does not
 * keep up with the page parks the pull (no thread waits for it); it goes
 * on in a new read transaction.
 *
 * Dampening: on a mesh, every change a node applies wakes the waiting
 * pulls of all its partners, and many of them have it already from
 * elsewhere. A waiting pull that wakes, scans and finds nothing its
 * consumer lacks (by the vector the consumer sent when it asked: a change
 * it took from another partner since is still sent) does not answer an
 * empty page, which the consumer would follow with a new request: it
 * moves its scan start to the top it scanned and waits again for the
 * rest of the consumer's wait time. It answers once there is
 * something to send, when the time runs out (with the advanced mark and
 * this node's vector), or when the op is abandoned or the server stops.
 * A pull that does not wait (catching up, a consumer that knows another
 * invocation) is answered at once, empty or not.
 *
 *   pull request:  SEQUENCE { hwm OCTET STRING, utdv OCTET STRING,
 *                             pageSize INTEGER, waitMs INTEGER,
 *                             invocationId OCTET STRING }
 * (the invocationId the consumer believes this node has: when it is not
 * the current one, the mark means nothing here and nobody waits)
 *   pull response: SEQUENCE { hwm OCTET STRING, more BOOLEAN,
 *                             invocationId OCTET STRING, utdv OCTET STRING,
 *                             top OCTET STRING }
 * (top: the highest USN this cycle covers, so a consumer catching up can
 * say how far along it is)
 * (USNs travel as decimal strings: LDAP INTEGERs here are 32-bit.)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "server.h"
#include "repl.h"
#include "log.h"

#define SUPPLY_MAX_PAGE	5000
#define SUPPLY_MAX_WAIT	60000

static pthread_mutex_t supply_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t supply_cond = PTHREAD_COND_INITIALIZER;
static uint64_t supply_notified;	/* the highest USN waiters were woken for */

struct supply {
	struct op	*op;
	struct be_txn	*t;		/* read, for lookups */
	uint64_t	 hwm, top, last;
	struct utdv	 utdv;
	int		 page;
	int		 rc;		/* of collecting the page */
	uint64_t	*ids;		/* entries collected, USN order (read
					 * again when sent) */
	size_t		 nids;
	size_t		 pos;		/* the next of ids to send */
	char		**sent;		/* GUIDs sent in this page */
	size_t		 nsent;
	size_t		 nout;		/* entries sent in this page */
	bool		 more;
	char		*utdv_raw;	/* this node's stored vector (merged from
					 * partners) when top was taken */
	struct relay	 direct;	/* the consumer's direct partners */
	bool		 urgent;	/* a change collected comes from here,
					 * or from a partner not in direct */
	bool		 holding;	/* relayed changes held (relay.c) */
	struct timespec	 hold_end;
	bool		 again;		/* answer: an empty page, "more" */
	uint64_t	 seen;		/* the top of the last scan */
	uint64_t	 from;		/* where this round's scan starts: the
					 * mark, or seen while holding */
};

/* A commit that took no USN (a replication page that changed nothing
 * moves its mark only) cannot end a wait: waiters are woken only when
 * the highest USN moved, or for the server to stop. */
void
repl_notify(void)
{
	uint64_t top = be_usn_highest(srv->be);

	pthread_mutex_lock(&supply_lock);
	if (top != supply_notified || srv->stopping) {
		supply_notified = top;
		pthread_cond_broadcast(&supply_cond);
	}
	pthread_mutex_unlock(&supply_lock);
}

bool
repl_may_pull(const struct op *o)
{
	struct be_txn *t;
	bool yes;

	if (o->admin)
		return true;
	if (o->bind_ndn == NULL || be_begin(srv->be, false, &t) != LDAP_SUCCESS)
		return false;
	yes = acl_is_member(t, srv->dcadmins_ndn, o->bind_ndn);
	be_abort(t);
	return yes;
}

/* The moment ms from now, on the clock supply_wait waits by. */
static void
supply_deadline(int ms, struct timespec *end)
{
	clock_gettime(CLOCK_REALTIME, end);
	end->tv_sec += ms / 1000;
	end->tv_nsec += (long)(ms % 1000) * 1000000;
	if (end->tv_nsec >= 1000000000) {
		end->tv_sec++;
		end->tv_nsec -= 1000000000;
	}
}

/* True when now is at or after t. */
static bool
supply_past(const struct timespec *t, const struct timespec *now)
{
	return now->tv_sec > t->tv_sec || (now->tv_sec == t->tv_sec &&
	    now->tv_nsec >= t->tv_nsec);
}

/* Waits until a change above hwm is committed, the op goes away, or end;
 * counted among the waiting pulls unless it holds relayed changes. */
static void
supply_wait(struct op *o, uint64_t hwm, const struct timespec *end, bool count)
{
	struct timespec now, step;

	if (count)
		stats_supply_waiting(1);
	pthread_mutex_lock(&supply_lock);
	while (be_usn_highest(srv->be) <= hwm && !o->abandoned && !srv->stopping) {
		clock_gettime(CLOCK_REALTIME, &now);
		if (supply_past(end, &now))
			break;
		/* wake at least every second to notice a vanished consumer */
		step = now;
		step.tv_sec++;
		if (supply_past(end, &step))
			step = *end;
		pthread_cond_timedwait(&supply_cond, &supply_lock, &step);
	}
	pthread_mutex_unlock(&supply_lock);
	if (count)
		stats_supply_waiting(-1);
}

/* Metadata values of e the consumer has not seen: *out (caller frees,
 * NULL when there are none) holds *n of them. -1 on allocation failure:
 * never a partial list, which would advance the mark past lost changes. */
static int
supply_uncovered(const struct supply *s, const struct entry *e,
    struct attr_meta **out, size_t *n)
{
	struct attr *ma = entry_attr(e, "attributeMetaData");
	struct attr_meta *metas;

	*out = NULL;
	*n = 0;
	if (ma == NULL || ma->nvals == 0)
		return 0;
	if ((metas = calloc(ma->nvals, sizeof(*metas))) == NULL)
		return -1;
	for (size_t i = 0; i < ma->nvals; i++) {
		if (meta_parse(ma->vals[i].bv_val, ma->vals[i].bv_len, &metas[*n]) !=
		    LDAP_SUCCESS)
			continue;
		if (!repl_utdv_covers(&s->utdv, &metas[*n]))
			(*n)++;
	}
	if (*n == 0)
		free(metas);
	else
		*out = metas;
	return 0;
}

/* One (usn, id) of the USN index. */
struct supply_ref {
	uint64_t	usn, id;
};

struct supply_batch {
	struct supply_ref	refs[1000];
	size_t			n;
	uint64_t		top;
};

/* Only collects: reading entries while the index cursor is open would
 * hold its page lock against a writer that a second lock request of
 * this thread then waits for, a cycle Berkeley DB cannot see. */
static int
supply_scan_cb(void *arg, uint64_t usn, uint64_t id)
{
	struct supply_batch *b = arg;

	if (usn > b->top || b->n == sizeof(b->refs) / sizeof(b->refs[0]))
		return 1;
	b->refs[b->n].usn = usn;
	b->refs[b->n].id = id;
	b->n++;
	return 0;
}

/* Adds the entry at (usn, id) to the page if the consumer lacks any of
 * it; 1 once the page is full. */
static int
supply_collect(struct supply *s, uint64_t usn, uint64_t id)
{
	struct attr_meta *metas;
	struct entry *e;
	uint64_t *ni;
	size_t nm;

	if ((int)s->nids >= s->page) {
		s->more = true;
		return 1;
	}
	if (be_get_id(s->t, id, &e) != LDAP_SUCCESS) {
		s->last = usn;
		return 0;
	}
	if (supply_uncovered(s, e, &metas, &nm) != 0) {
		entry_free(e);
		return -1;
	}
	/* a change from here, or from a partner the consumer does not pull
	 * from, must go now; others it gets from their origin */
	for (size_t i = 0; i < nm && !s->urgent; i++)
		s->urgent = strcasecmp(metas[i].orig_invocation, srv->invocation) == 0 ||
		    !repl_relay_has(&s->direct, metas[i].orig_invocation);
	free(metas);
	entry_free(e);
	s->last = usn;
	if (nm == 0)
		return 0;
	if ((ni = realloc(s->ids, (s->nids + 1) * sizeof(*ni))) == NULL)
		return -1;
	s->ids = ni;
	s->ids[s->nids++] = id;
	return 0;
}

static int
supply_scan(struct supply *s)
{
	struct supply_batch *b = malloc(sizeof(*b));
	uint64_t after = s->from;
	int rc = LDAP_SUCCESS, r = 0;

	if (b == NULL)
		return LDAP_NO_MEMORY;
	while (r == 0) {
		b->n = 0;
		b->top = s->top;
		if (be_usn_scan(s->t, after, supply_scan_cb, b) < 0) {
			rc = LDAP_OTHER;
			break;
		}
		if (b->n == 0)
			break;
		for (size_t i = 0; i < b->n && r == 0; i++)
			r = supply_collect(s, b->refs[i].usn, b->refs[i].id);
		if (r < 0)
			rc = LDAP_NO_MEMORY;
		after = b->refs[b->n - 1].usn;
		if (b->n < sizeof(b->refs) / sizeof(b->refs[0]))
			break;
	}
	free(b);
	return rc;
}

static bool
supply_was_sent(const struct supply *s, const char *guid)
{
	for (size_t i = 0; i < s->nsent; i++)
		if (strcasecmp(s->sent[i], guid) == 0)
			return true;
	return false;
}

/* The entry of id as stored now and its parent (both caller-freed; the
 * parent NULL for the naming context), read so that they agree: reads see
 * each commit as it happens, and between reading an entry and looking up
 * its parent by name, the parent may have been renamed and another entry
 * may have taken its old name. The entry is read again after the parent:
 * still named below it, the pair is consistent. 0, or -2 if no consistent
 * pair could be read. */
static int
supply_current(const struct supply *s, uint64_t id, struct entry **cur,
    struct entry **parent)
{
	struct entry *a = NULL, *b = NULL, *par = NULL;
	char *p = NULL, *pb = NULL;

	*cur = *parent = NULL;
	for (int i = 0; i < 16; i++) {
		entry_free(a);
		entry_free(b);
		entry_free(par);
		free(p);
		free(pb);
		a = b = par = NULL;
		p = pb = NULL;
		if (be_get_id(s->t, id, &a) != LDAP_SUCCESS || (p = dn_parent(a->ndn)) == NULL)
			break;
		if (p[0] == '\0' || !dn_is_under(p, srv->nsuffix)) {
			*cur = a;
			free(p);
			return 0;
		}
		if (be_get_dn(s->t, p, &par) != LDAP_SUCCESS)
			continue;
		if (be_get_id(s->t, id, &b) != LDAP_SUCCESS || (pb = dn_parent(b->ndn)) == NULL)
			break;
		if (strcmp(pb, par->ndn) == 0) {
			*cur = b;
			*parent = par;
			entry_free(a);
			free(p);
			free(pb);
			return 0;
		}
	}
	log_warn("replication: cannot read entry %" PRIu64 " and its parent consistently "
	    "to send them", id);
	entry_free(a);
	entry_free(b);
	entry_free(par);
	free(p);
	free(pb);
	return -2;
}

/* Sends e, below parent, with only what the consumer lacks: 0, -1 if the
 * consumer is gone, -2 if memory ran out. */
static int
supply_send(struct supply *s, const struct entry *e, const struct entry *parent)
{
	struct attr_meta *metas;
	size_t nm;
	const char *guid = entry_get_str(e, "objectGUID"), *pguid;
	struct entry *v;
	char buf[META_MAX], **ns;
	int rc = 0, bad = 0;

	if (supply_uncovered(s, e, &metas, &nm) != 0)
		return -2;
	if (nm == 0)
		return 0;
	if ((v = entry_new(e->dn, e->ndn)) == NULL) {
		free(metas);
		return -2;
	}
	bad |= entry_add_str(v, "objectGUID", guid);
	/* the parent travels by identity: its name may mean another entry
	 * on the consumer */
	if (parent != NULL && (pguid = entry_get_str(parent, "objectGUID")) != NULL)
		bad |= entry_add_str(v, REPL_PARENT_GUID, pguid);
	for (size_t i = 0; i < e->nattrs; i++) {
		const struct attr *a = &e->attrs[i];
		bool want = false;
		if (strcasecmp(a->name, "objectGUID") == 0 ||
		    strcasecmp(a->name, "attributeMetaData") == 0)
			continue;
		for (size_t j = 0; j < nm && !want; j++)
			want = strcasecmp(metas[j].attr, a->name) == 0;
		for (size_t j = 0; want && j < a->nvals; j++)
			bad |= entry_add_value(v, a->name, a->vals[j].bv_val,
			    a->vals[j].bv_len);
	}
	for (size_t j = 0; j < nm; j++) {
		meta_format(&metas[j], buf, sizeof(buf));
		bad |= entry_add_str(v, "attributeMetaData", buf);
	}
	free(metas);
	/* a partial entry would let the mark pass changes never sent */
	rc = bad != 0 ? -2 : result_entry(s->op, v, false);
	entry_free(v);
	if (rc >= 0)
		s->nout++;
	if (rc >= 0 && (ns = realloc(s->sent, (s->nsent + 1) * sizeof(*ns))) != NULL) {
		s->sent = ns;
		s->sent[s->nsent++] = strdup(guid);
	}
	return rc;
}

/* Sends the entry of id as it is now (newer than the scan is harmless:
 * the next cycle's vector filters it), parents first: an ancestor changed
 * since the mark goes out before it. Like supply_send: 0, CONN_FULL (all
 * sent, the consumer's output is over its bound), -1 (consumer gone) or
 * -2 (cannot read or encode). */
static int
supply_entry(struct supply *s, uint64_t id, int depth)
{
	struct entry *cur, *parent;
	const char *guid;
	int rc, sent;

	if (depth > 1024 || (rc = supply_current(s, id, &cur, &parent)) != 0)
		return -2;
	guid = entry_get_str(cur, "objectGUID");
	if (guid != NULL && !supply_was_sent(s, guid)) {
		if (parent != NULL && entry_get_u64(parent, "uSNChanged") > s->hwm)
			rc = supply_entry(s, parent->id, depth + 1);
		if (rc >= 0 && (sent = supply_send(s, cur, parent)) != 0)
			rc = sent;
	}
	entry_free(cur);
	entry_free(parent);
	return rc;
}

static int
supply_parse(struct supply *s, const struct berval *v, int *wait_ms)
{
	struct pull_request r;
	int rc;

	if ((rc = repl_pull_request_decode(v, &r)) != LDAP_SUCCESS) {
		repl_pull_request_free(&r);
		return rc;
	}
	s->hwm = s->seen = r.hwm;
	s->utdv = r.utdv;	/* taken over */
	s->page = r.page > SUPPLY_MAX_PAGE ? SUPPLY_MAX_PAGE : r.page;
	*wait_ms = r.wait_ms > SUPPLY_MAX_WAIT ? SUPPLY_MAX_WAIT : r.wait_ms;
	/* a consumer that knows another incarnation of this node must not wait */
	if (strcmp(r.inv, srv->invocation) != 0)
		*wait_ms = 0;
	return repl_relay_parse(&s->op->pull_direct, &s->direct);
}

/* This node's vector: what it has merged from partners (raw, as stored)
 * plus its own changes up to top. Built only for an answer: a waiting
 * pull that keeps waiting never needs it. */
static char *
supply_own_utdv(const char *raw, uint64_t top)
{
	struct utdv u = REPL_UTDV_INIT;
	char *out = NULL;

	if (raw != NULL)
		repl_utdv_parse(raw, &u);
	repl_utdv_set_max(&u, srv->invocation, top);
	repl_utdv_format(&u, &out);
	repl_utdv_free(&u);
	return out;
}

/* The top and the stored vector of one moment: a vector read later could
 * claim changes applied after top, which this cycle did not send. */
static int
supply_snapshot(void *arg)
{
	struct supply *s = arg;
	struct be_txn *t;

	s->top = be_usn_highest(srv->be);
	if (be_begin(srv->be, false, &t) == LDAP_SUCCESS) {
		if (be_meta_get(t, "utdv", &s->utdv_raw) != LDAP_SUCCESS)
			s->utdv_raw = NULL;
		be_abort(t);
	}
	return 0;
}

static void
supply_done(struct supply *s, struct diag *d)
{
	char *own = s->more ? NULL : supply_own_utdv(s->utdv_raw, s->top);
	struct pull_response r = {
		.hwm = s->more ? s->last : s->top, .more = s->more,
		.inv = srv->invocation, .utdv = own, .top = s->top,
	};
	struct berval v;

	stats_supply_answered(s->nout);
	if (repl_pull_response_encode(&r, &v) != LDAP_SUCCESS)
		result_search_done_control(s->op, d, NULL, NULL);
	else
		result_search_done_control(s->op, d, OID_TRELLIS_PULL, &v);
	ber_memfree(v.bv_val);
	free(own);
}

static void
supply_free(struct supply *s)
{
	if (s == NULL)
		return;
	if (s->t != NULL)
		be_abort(s->t);
	for (size_t i = 0; i < s->nsent; i++)
		free(s->sent[i]);
	free(s->ids);
	free(s->sent);
	free(s->utdv_raw);
	repl_utdv_free(&s->utdv);
	free(s);
}

static void	supply_continue(struct op *o);

/* Sends the page from s->pos on (in s->t, which it ends), then the
 * result; parks the pull when the consumer's output is over the bound. */
static void
supply_page(struct supply *s)
{
	struct diag d;
	int rc = 0;

	while (rc == 0 && s->rc == LDAP_SUCCESS && s->pos < s->nids) {
		/* an entry that cannot be read or encoded fails the page: its
		 * mark must not pass a change never sent */
		if ((rc = supply_entry(s, s->ids[s->pos], 0)) == -2) {
			s->rc = LDAP_OTHER;
			rc = 0;
		}
		s->pos++;
	}
	be_abort(s->t);
	s->t = NULL;
	if (rc == CONN_FULL && s->pos < s->nids) {
		s->op->cont = supply_continue;
		s->op->cont_arg = s;
		return;
	}
	if (rc >= 0) {
		diag_clear(&d);
		if (s->rc != LDAP_SUCCESS)
			diag_set(&d, s->rc, "cannot read changes");
		supply_done(s, &d);
	}
	supply_free(s);
}

static void
supply_continue(struct op *o)
{
	struct supply *s = o->cont_arg;
	int rc;

	o->cont_arg = NULL;
	if (o->abandoned) {
		supply_free(s);
		return;
	}
	if ((rc = be_begin(srv->be, false, &s->t)) != LDAP_SUCCESS) {
		s->t = NULL;
		result_error(o, LDAP_RES_SEARCH_RESULT, rc, "cannot read changes");
		supply_free(s);
		return;
	}
	supply_page(s);
}

/* The checks before a pull; false when o was answered. */
static bool
supply_allowed(struct op *o)
{
	if (srv->state == STATE_STANDALONE) {
		result_error(o, LDAP_RES_SEARCH_RESULT, LDAP_UNWILLING_TO_PERFORM,
		    "this node is standalone: no replication");
		return false;
	}
	if (!repl_may_pull(o)) {
		result_error(o, LDAP_RES_SEARCH_RESULT, LDAP_INSUFFICIENT_ACCESS,
		    "replication needs a machine account or an administrator");
		return false;
	}
	return true;
}

/* Takes the top and vector of one moment and collects, in a new read
 * transaction, what the consumer lacks above the mark; false when o was
 * answered (with an error). */
static bool
supply_round(struct supply *s)
{
	struct op *o = s->op;
	int rc;

	if (srv->state == STATE_STANDALONE) {
		result_error(o, LDAP_RES_SEARCH_RESULT, LDAP_UNWILLING_TO_PERFORM,
		    "this node is standalone: no replication");
		return false;
	}
	be_consistent(srv->be, supply_snapshot, s);
	s->last = s->hwm;
	/* while holding, only what came since is looked at */
	s->from = s->holding ? s->seen : s->hwm;
	log_debug("conn=%llu op=%d PULL hwm=%" PRIu64 " top=%" PRIu64,
	    (unsigned long long)o->conn->id, o->num, s->hwm, s->top);
	if ((rc = be_begin(srv->be, false, &s->t)) != LDAP_SUCCESS) {
		s->t = NULL;
		result_error(o, LDAP_RES_SEARCH_RESULT, rc, "cannot read changes");
		return false;
	}
	if (s->top > s->from)
		s->rc = supply_scan(s);
	return true;
}

/* Changes collected for a waiting pull, all relayed from partners its
 * consumer pulls from directly (relay.c): true to hold them and keep
 * waiting (the mark stays below them), false to answer now: with them,
 * or, once the hold is over, with an empty page asking for more. */
static bool
supply_hold(struct supply *s, const struct timespec *end, const struct timespec *now)
{
	if (s->urgent || (s->direct.n == 0 && !s->holding))
		return false;
	if (!s->holding) {
		s->holding = true;
		supply_deadline(RELAY_HOLD_MS, &s->hold_end);
		if (supply_past(end, &s->hold_end))
			s->hold_end = *end;
		stats_supply_held();
		return true;
	}
	if (!supply_past(&s->hold_end, now))
		return true;
	s->again = true;
	return false;
}

/* A waiting pull woken by changes its consumer has all of keeps waiting:
 * true when it does, its scan start moved to the top it scanned (every
 * USN up to there was looked at and is covered by the consumer's
 * vector, so the mark may pass it). */
static bool
supply_dampen(struct supply *s, int wait_ms, const struct timespec *end)
{
	struct timespec now;

	if (wait_ms == 0 || s->rc != LDAP_SUCCESS || s->more ||
	    (!s->holding && s->top <= s->hwm) || s->op->abandoned || srv->stopping)
		return false;
	clock_gettime(CLOCK_REALTIME, &now);
	if (supply_past(end, &now))
		return false;
	if ((s->nids > 0 || s->holding) && !supply_hold(s, end, &now))
		return false;
	be_abort(s->t);
	s->t = NULL;
	free(s->utdv_raw);
	s->utdv_raw = NULL;
	s->seen = s->top;
	if (!s->holding) {
		s->hwm = s->last = s->top;
		stats_supply_dampened();
	}
	s->nids = 0;
	s->urgent = false;
	return true;
}

void
repl_supply(struct op *o)
{
	struct supply *s;
	struct timespec end;
	int wait_ms = 0, rc;

	if (!supply_allowed(o))
		return;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		result_error(o, LDAP_RES_SEARCH_RESULT, LDAP_NO_MEMORY, "out of memory");
		return;
	}
	s->op = o;
	if ((rc = supply_parse(s, &o->pull, &wait_ms)) != LDAP_SUCCESS) {
		result_error(o, LDAP_RES_SEARCH_RESULT, rc, "malformed pull control");
		supply_free(s);
		return;
	}
	supply_deadline(wait_ms, &end);
	do {
		if (wait_ms > 0)
			supply_wait(o, s->seen, s->holding ? &s->hold_end : &end,
			    !s->holding);
		if (!supply_round(s)) {
			supply_free(s);
			return;
		}
	} while (supply_dampen(s, wait_ms, &end));
	if (s->again) {
		/* the held changes stay above the mark: the consumer pulls
		 * again at once and gets what it still lacks */
		s->nids = 0;
		s->more = true;
		s->last = s->hwm;
	} else if (s->from != s->hwm && s->rc == LDAP_SUCCESS) {
		/* answering after a round that looked only at what came since
		 * the hold began: collect everything above the mark */
		s->nids = 0;
		s->more = false;
		s->last = s->from = s->hwm;
		s->rc = supply_scan(s);
	}
	supply_page(s);
}
