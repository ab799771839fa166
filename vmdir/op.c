/*
 * op.c: from a framed message to a running operation: the LDAPMessage
 * envelope, controls, the dispatch table, the per-connection and
 * server-wide limits, abandon and unbind, and StartTLS (which must run on
 * the event loop's thread because it swaps the connection's transport).
 */
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>

#include "server.h"
#include "log.h"

#define OID_PAGED	"1.2.840.113556.1.4.319"
#define OID_MANAGEDSAIT	"2.16.840.1.113730.3.4.2"

static const struct {
	ber_tag_t	  tag;
	void		(*fn)(struct op *);
} op_table[] = {
	{ LDAP_REQ_BIND, op_bind },
	{ LDAP_REQ_SEARCH, op_search },
	{ LDAP_REQ_MODIFY, op_modify },
	{ LDAP_REQ_ADD, op_add },
	{ LDAP_REQ_DELETE, op_delete },
	{ LDAP_REQ_MODDN, op_modrdn },
	{ LDAP_REQ_COMPARE, op_compare },
	{ LDAP_REQ_EXTENDED, op_extended },
};

void
op_free(struct op *o)
{
	struct conn *c;

	if (o == NULL)
		return;
	c = o->conn;
	if (c != NULL) {
		pthread_mutex_lock(&c->lock);
		for (struct op **p = &c->ops; *p != NULL; p = &(*p)->next)
			if (*p == o) {
				*p = o->next;
				c->nops--;
				break;
			}
		pthread_mutex_unlock(&c->lock);
		conn_unref(c);
	}
	if (o->ber != NULL)
		ber_free(o->ber, 0);
	/* binds, adds, modifies and password changes carry passwords */
	if (o->pdu.bv_val != NULL)
		OPENSSL_cleanse(o->pdu.bv_val, o->pdu.bv_len);
	free(o->pdu.bv_val);
	ber_memfree(o->cookie.bv_val);
	ber_memfree(o->pull.bv_val);
	ber_memfree(o->pull_direct.bv_val);
	free(o->bind_ndn);
	free(o->out.bv_val);
	free(o);
}

static void (*op_handler(ber_tag_t tag))(struct op *)
{
	for (size_t i = 0; i < sizeof(op_table) / sizeof(op_table[0]); i++)
		if (op_table[i].tag == tag)
			return op_table[i].fn;
	return NULL;
}

/*
 * Controls follow the request body ([0] SEQUENCE OF Control). Reads them
 * from a second cursor over the same bytes so the handler's cursor stays at
 * the body. Returns LDAP_SUCCESS, LDAP_PROTOCOL_ERROR or
 * LDAP_UNAVAILABLE_CRITICAL_EXTENSION (with the OID in *bad).
 */
static int
op_controls(struct op *o, char **bad)
{
	BerElement *ber = ber_alloc_t(0);
	ber_tag_t tag;
	ber_len_t len;
	char *last;
	ber_int_t id;
	int rc = LDAP_SUCCESS;

	if (ber == NULL)
		return LDAP_OTHER;
	ber_init2(ber, &o->pdu, LBER_USE_DER);
	if (ber_scanf(ber, "{ix", &id) == LBER_ERROR) {
		ber_free(ber, 0);
		return LDAP_PROTOCOL_ERROR;
	}
	if (ber_peek_tag(ber, &len) != LDAP_TAG_CONTROLS) {
		ber_free(ber, 0);
		return LDAP_SUCCESS;
	}
	for (tag = ber_first_element(ber, &len, &last); tag != LBER_DEFAULT &&
	    rc == LDAP_SUCCESS; tag = ber_next_element(ber, &len, last)) {
		struct berval oid, value = { 0, NULL };
		ber_int_t critical = 0;

		if (ber_scanf(ber, "{m", &oid) == LBER_ERROR) {
			rc = LDAP_PROTOCOL_ERROR;
			break;
		}
		if (ber_peek_tag(ber, &len) == LBER_BOOLEAN &&
		    ber_scanf(ber, "b", &critical) == LBER_ERROR)
			rc = LDAP_PROTOCOL_ERROR;
		if (ber_peek_tag(ber, &len) == LBER_OCTETSTRING &&
		    ber_scanf(ber, "m", &value) == LBER_ERROR)
			rc = LDAP_PROTOCOL_ERROR;
		if (ber_scanf(ber, "}") == LBER_ERROR)
			rc = LDAP_PROTOCOL_ERROR;
		if (rc != LDAP_SUCCESS)
			break;
		if (oid.bv_len == strlen(OID_PAGED) &&
		    memcmp(oid.bv_val, OID_PAGED, oid.bv_len) == 0 &&
		    o->tag == LDAP_REQ_SEARCH) {
			/* liblber's ber_init fails an assertion on a missing
			 * value and crashes on an empty one */
			BerElement *pb = value.bv_len > 0 ? ber_init(&value) : NULL;
			if (pb == NULL || ber_scanf(pb, "{io}", &o->page_size,
			    &o->cookie) == LBER_ERROR || o->page_size < 0)
				rc = LDAP_PROTOCOL_ERROR;
			o->paged = true;
			ber_free(pb, 1);
			continue;
		}
		if (oid.bv_len == strlen(OID_TRELLIS_PULL) &&
		    memcmp(oid.bv_val, OID_TRELLIS_PULL, oid.bv_len) == 0 &&
		    o->tag == LDAP_REQ_SEARCH) {
			if (value.bv_val == NULL || ber_dupbv(&o->pull, &value) == NULL)
				rc = LDAP_PROTOCOL_ERROR;
			continue;
		}
		if (oid.bv_len == strlen(OID_TRELLIS_PULL_DIRECT) &&
		    memcmp(oid.bv_val, OID_TRELLIS_PULL_DIRECT, oid.bv_len) == 0 &&
		    o->tag == LDAP_REQ_SEARCH) {
			if (value.bv_val == NULL || o->pull_direct.bv_val != NULL ||
			    ber_dupbv(&o->pull_direct, &value) == NULL)
				rc = LDAP_PROTOCOL_ERROR;
			continue;
		}
		if (oid.bv_len == strlen(OID_MANAGEDSAIT) &&
		    memcmp(oid.bv_val, OID_MANAGEDSAIT, oid.bv_len) == 0)
			continue;
		if (critical) {
			*bad = strndup(oid.bv_val, oid.bv_len);
			rc = LDAP_UNAVAILABLE_CRITICAL_EXTENSION;
		}
	}
	ber_free(ber, 0);
	return rc;
}

static void	op_submit(struct op *o, bool on_loop);

/* RFC 4511 4.2.1: requests that arrive while a bind is in progress wait
 * for it, and then run with the identity it established. Called once the
 * bind numbered num is over; nothing to do if its answer already ended
 * the wait (op_bind_answered) and another bind may be in progress. */
static void
op_release_held(struct conn *c, int num)
{
	struct op *held, *next;

	pthread_mutex_lock(&c->lock);
	if (!c->binding || c->binding_op != num) {
		pthread_mutex_unlock(&c->lock);
		return;
	}
	c->binding = false;
	held = c->held;
	c->held = NULL;
	pthread_mutex_unlock(&c->lock);
	for (; held != NULL; held = next) {
		next = held->held_next;
		held->held_next = NULL;
		free(held->bind_ndn);
		conn_identity(c, &held->bind_ndn, &held->admin);
		op_submit(held, false);
	}
}

static void
op_run(void *arg)
{
	struct op *o = arg;
	struct conn *c = o->conn;
	void (*fn)(struct op *) = op_handler(o->tag);
	bool bind = o->tag == LDAP_REQ_BIND;
	int num = o->num;

	if (o->cont != NULL) {
		fn = o->cont;
		o->cont = NULL;
		fn(o);
	} else if (o->abandoned)
		log_info("conn=%llu op=%d ABANDONED before start",
		    (unsigned long long)c->id, o->num);
	else {
		fn(o);
		/* a commit whose answer was not handed over: flush it here */
		if (o->unflushed) {
			o->unflushed = false;
			be_flush(srv->be);
		}
	}
	if (o->cont != NULL) {
		conn_park(c, o);
		return;
	}
	conn_ref(c);
	op_free(o);
	if (bind)
		op_release_held(c, num);
	conn_unref(c);
}

void
op_bind_answered(struct op *o)
{
	struct conn *c = o->conn;

	/* the identity is set: a request the client sends on seeing this
	 * answer runs at once (on its loop), unless others already wait */
	pthread_mutex_lock(&c->lock);
	if (c->binding && c->binding_op == o->num && c->held == NULL)
		c->binding = false;
	pthread_mutex_unlock(&c->lock);
}

void
op_resume(struct op *o)
{
	o->on_loop = false;
	if (workq_requeue(op_run, o, o->pull.bv_val != NULL) == 0)
		return;
	/* no worker will take it: only let it free what it holds */
	o->abandoned = true;
	op_run(o);
}

/* Reads run where they were read, without a hand-off: searches (not
 * replication pulls, which wait) and compares. */
static bool
op_on_loop(const struct op *o)
{
	if (!srv->conf.loop_reads || o->limit || srv->stopping)
		return false;
	return (o->tag == LDAP_REQ_SEARCH && o->pull.bv_val == NULL) ||
	    o->tag == LDAP_REQ_COMPARE;
}

/* Runs o on its loop (on_loop: called there), queues it for a worker,
 * or holds it behind a bind in progress. */
static void
op_submit(struct op *o, bool on_loop)
{
	struct conn *c = o->conn;
	struct op **tail;

	pthread_mutex_lock(&c->lock);
	if (c->binding) {
		for (tail = &c->held; *tail != NULL; tail = &(*tail)->held_next)
			;
		*tail = o;
		pthread_mutex_unlock(&c->lock);
		return;
	}
	if (o->tag == LDAP_REQ_BIND) {
		c->binding = true;
		c->binding_op = o->num;
	}
	pthread_mutex_unlock(&c->lock);
	if (on_loop && op_on_loop(o)) {
		o->on_loop = true;
		stats_loop_read();
		op_run(o);
		return;
	}
	if (o->limit || srv->stopping || (o->pull.bv_val != NULL ?
	    workq_push_repl(op_run, o) : workq_push(op_run, o)) != 0) {
		result_error(o, result_tag(o->tag), LDAP_BUSY,
		    srv->stopping ? "server is shutting down" : "too many operations queued");
		if (o->tag == LDAP_REQ_BIND) {
			int num = o->num;
			conn_ref(c);
			op_free(o);
			op_release_held(c, num);
			conn_unref(c);
		} else
			op_free(o);
	}
}

static void
op_abandon(struct op *o)
{
	ber_int_t id;
	struct conn *c = o->conn;

	if (ber_scanf(o->ber, "i", &id) == LBER_ERROR) {
		conn_disconnect(c, LDAP_PROTOCOL_ERROR, "malformed abandon request");
		return;
	}
	log_info("conn=%llu op=%d ABANDON msgid=%d", (unsigned long long)c->id,
	    o->num, (int)id);
	pthread_mutex_lock(&c->lock);
	for (struct op *p = c->ops; p != NULL; p = p->next)
		if (p->msgid == id)
			p->abandoned = true;
	pthread_mutex_unlock(&c->lock);
}

static bool
op_is_starttls(struct op *o)
{
	BerElement *ber;
	struct berval oid = { 0, NULL };
	bool yes = false;
	ber_int_t id;

	if (o->tag != LDAP_REQ_EXTENDED || (ber = ber_alloc_t(0)) == NULL)
		return false;
	ber_init2(ber, &o->pdu, LBER_USE_DER);
	/* "o" copies: an in-place "m" would overwrite the next tag of the
	 * buffer the handler reads afterwards */
	if (ber_scanf(ber, "{i{o", &id, &oid) != LBER_ERROR)
		yes = oid.bv_len == strlen(LDAP_EXOP_START_TLS) &&
		    memcmp(oid.bv_val, LDAP_EXOP_START_TLS, oid.bv_len) == 0;
	ber_memfree(oid.bv_val);
	ber_free(ber, 0);
	return yes;
}

/* RFC 4511 4.14.1: no other operation may be outstanding. */
static void
op_starttls(struct op *o)
{
	struct conn *c = o->conn;
	int busy;

	pthread_mutex_lock(&c->lock);
	busy = c->nops - 1;
	pthread_mutex_unlock(&c->lock);
	log_info("conn=%llu op=%d EXT oid=%s", (unsigned long long)c->id, o->num,
	    LDAP_EXOP_START_TLS);
	if (c->tls) {
		result_error(o, LDAP_RES_EXTENDED, LDAP_OPERATIONS_ERROR,
		    "TLS already started");
		return;
	}
	if (srv->tls == NULL) {
		result_error(o, LDAP_RES_EXTENDED, LDAP_UNAVAILABLE,
		    "TLS is not configured on this server");
		return;
	}
	if (busy > 0) {
		result_error(o, LDAP_RES_EXTENDED, LDAP_OPERATIONS_ERROR,
		    "operations are outstanding");
		return;
	}
	result_error(o, LDAP_RES_EXTENDED, LDAP_SUCCESS, "");
	if (conn_start_tls(c) != 0)
		conn_disconnect(c, LDAP_UNAVAILABLE, "cannot start TLS");
}

void
op_dispatch(struct conn *c, void *pdu, size_t len)
{
	struct op *o = calloc(1, sizeof(*o));
	ber_len_t blen;
	char *bad = NULL;
	int rc, limit;

	if (o == NULL || (o->ber = ber_alloc_t(0)) == NULL) {
		free(o);
		free(pdu);
		conn_disconnect(c, LDAP_UNAVAILABLE, "out of memory");
		return;
	}
	o->pdu.bv_val = pdu;
	o->pdu.bv_len = len;
	ber_init2(o->ber, &o->pdu, LBER_USE_DER);
	conn_ref(c);
	o->conn = c;
	pthread_mutex_lock(&c->lock);
	o->num = c->opseq++;
	o->next = c->ops;
	c->ops = o;
	limit = ++c->nops > srv->conf.conn_max_pending;
	pthread_mutex_unlock(&c->lock);
	conn_identity(c, &o->bind_ndn, &o->admin);

	/* liblber's "i" does not look at the tag: RFC 4511 4.1.1 wants one */
	if (ber_scanf(o->ber, "{") == LBER_ERROR ||
	    ber_peek_tag(o->ber, &blen) != LBER_INTEGER ||
	    ber_scanf(o->ber, "i", &o->msgid) == LBER_ERROR || o->msgid < 0 ||
	    (o->tag = ber_peek_tag(o->ber, &blen)) == LBER_ERROR) {
		conn_disconnect(c, LDAP_PROTOCOL_ERROR, "malformed LDAP message");
		op_free(o);
		return;
	}
	stats_request(o->tag);
	if (o->tag == LDAP_REQ_UNBIND) {
		log_info("conn=%llu op=%d UNBIND", (unsigned long long)c->id, o->num);
		op_free(o);
		conn_close_after_flush(c);	/* RFC 4511 4.3: no response */
		return;
	}
	if (o->tag == LDAP_REQ_ABANDON) {
		op_abandon(o);
		op_free(o);
		return;
	}
	if (op_handler(o->tag) == NULL) {
		log_info("conn=%llu op=%d unknown request tag 0x%lx, disconnecting",
		    (unsigned long long)c->id, o->num, (unsigned long)o->tag);
		conn_disconnect(c, LDAP_PROTOCOL_ERROR, "unknown request");
		op_free(o);
		return;
	}
	if ((rc = op_controls(o, &bad)) != LDAP_SUCCESS) {
		char text[300];
		snprintf(text, sizeof(text), rc == LDAP_PROTOCOL_ERROR ?
		    "malformed controls" : "critical control %s is not supported",
		    bad != NULL ? bad : "");
		free(bad);
		result_error(o, result_tag(o->tag), rc, text);
		op_free(o);
		return;
	}
	if (op_is_starttls(o)) {
		op_starttls(o);
		op_free(o);
		return;
	}
	o->limit = limit;
	op_submit(o, true);
}
