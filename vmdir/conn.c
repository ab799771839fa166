/*
 * conn.c: client connections: accepting (plain, LDAPS and the local
 * ldapi socket), framing whole LDAP messages out of the input, writing
 * responses with backpressure, StartTLS, idle and write timeouts and
 * closing. The transports (TCP, TLS, the ldapi Unix socket) are
 * common/xport.c's; every listener is one of them, and a connection only
 * knows its transport through that interface.
 *
 * No thread ever waits for a client to read. A connection whose unread
 * output is over the bound stops being read (no new requests), and an
 * op with more to send is parked until the client has read most of it;
 * a client whose output does not move for write_timeout is dropped.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/err.h>

#include "server.h"
#include "log.h"
#include "xport.h"

/* Over CONN_HIGH bytes unread, a connection's ops park and its input
 * waits, until it is back under CONN_LOW. */
#define CONN_HIGH	(1024 * 1024)
#define CONN_LOW	(256 * 1024)

static _Atomic int conn_nparked;

static void	conn_read(struct bufferevent *, void *);

/* Every listening socket, whatever its transport. */
struct conn_listener {
	struct xport_listener	*xl;
	struct conn_listener	*next;
};

/* Every open connection and listener, for shutdown (loop thread only). */
static struct conn *conn_all;
static struct conn_listener *conn_listeners;
static pthread_mutex_t conn_all_lock = PTHREAD_MUTEX_INITIALIZER;
static void	conn_write(struct bufferevent *, void *);
static void	conn_event(struct bufferevent *, short, void *);

void
conn_ref(struct conn *c)
{
	pthread_mutex_lock(&c->lock);
	c->refs++;
	pthread_mutex_unlock(&c->lock);
}

void
conn_unref(struct conn *c)
{
	int refs;

	pthread_mutex_lock(&c->lock);
	refs = --c->refs;
	pthread_mutex_unlock(&c->lock);
	if (refs > 0)
		return;
	pthread_mutex_lock(&conn_all_lock);
	for (struct conn **p = &conn_all; *p != NULL; p = &(*p)->all_next)
		if (*p == c) {
			*p = c->all_next;
			break;
		}
	pthread_mutex_unlock(&conn_all_lock);
	pthread_mutex_destroy(&c->lock);
	free(c->bind_ndn);
	free(c);
}

/* Runs a list of parked ops again (c->lock not held). */
static void
conn_resume(struct op *list)
{
	struct op *next;

	for (; list != NULL; list = next) {
		next = list->parked_next;
		list->parked_next = NULL;
		atomic_fetch_sub(&conn_nparked, 1);
		op_resume(list);
	}
}

/* Frees the bufferevent now (loop thread only); in-flight operations see
 * bev == NULL and stop, parked ones are released. */
static void
conn_close(struct conn *c)
{
	struct bufferevent *bev;
	struct op *parked;

	pthread_mutex_lock(&c->lock);
	bev = c->bev;
	c->bev = NULL;
	c->closing = true;
	for (struct op *o = c->ops; o != NULL; o = o->next)
		o->abandoned = true;
	parked = c->parked;
	c->parked = NULL;
	pthread_mutex_unlock(&c->lock);
	conn_resume(parked);
	if (bev == NULL)
		return;
	log_debug("conn=%llu closed", (unsigned long long)c->id);
	if (c->counted)
		stats_conn_close();
	bufferevent_setcb(bev, NULL, NULL, NULL, NULL);
	bufferevent_free(bev);
	conn_unref(c);
}

void
conn_close_after_flush(struct conn *c)
{
	struct bufferevent *bev;

	pthread_mutex_lock(&c->lock);
	c->closing = true;
	bev = c->bev;
	pthread_mutex_unlock(&c->lock);
	if (bev == NULL)
		return;
	bufferevent_disable(bev, EV_READ);
	bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		conn_close(c);
}

struct conn *
conn_new(void)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	pthread_mutex_init(&c->lock, NULL);
	c->refs = 1;
	c->id = atomic_fetch_add(&srv->next_conn_id, 1);
	pthread_mutex_lock(&conn_all_lock);
	c->all_next = conn_all;
	conn_all = c;
	pthread_mutex_unlock(&conn_all_lock);
	return c;
}

static void
conn_setup(struct conn *c)
{
	struct timeval idle = { srv->conf.idle_timeout, 0 };
	struct timeval wt = { srv->conf.write_timeout, 0 };

	bufferevent_setcb(c->bev, conn_read, conn_write, conn_event, c);
	bufferevent_setwatermark(c->bev, EV_WRITE, CONN_LOW, 0);
	/* the write timeout runs while output is queued and restarts
	 * whenever some of it is written */
	bufferevent_set_timeouts(c->bev, srv->conf.idle_timeout > 0 ? &idle : NULL, &wt);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

/* A new connection from a listener (loop thread). */
static void
conn_accept(struct bufferevent *bev, const struct xport *t,
    const struct xport_peer *peer, void *arg)
{
	struct conn *c;

	(void)arg;
	if (srv->stopping || (c = conn_new()) == NULL) {
		bufferevent_free(bev);
		return;
	}
	c->bev = bev;
	c->counted = true;
	stats_conn_open();
	c->xp = t;
	c->tls = xport_is_tls(t);
	if (peer->local) {
		/* lockout counts per "ldapi/uid=U", the part before the colon */
		c->ldapi = true;
		c->peer_uid = peer->uid;
		c->peer_gid = peer->gid;
		snprintf(c->peer, sizeof(c->peer), "ldapi/%s", peer->name);
	} else
		snprintf(c->peer, sizeof(c->peer), "%s", peer->name);
	log_info("conn=%llu fd=%d ACCEPT from %s%s", (unsigned long long)c->id,
	    (int)bufferevent_getfd(bev), c->peer, peer->local ? " (ldapi)" :
	    c->tls ? " (LDAPS)" : "");
	conn_setup(c);
}

/*
 * Total length of the LDAPMessage whose first bytes are buf: 0 if the
 * header is not complete yet, -1 if it cannot be an LDAPMessage (not a
 * SEQUENCE, indefinite or oversized length).
 */
static ssize_t
conn_frame(const unsigned char *buf, size_t len, size_t max)
{
	size_t n, body = 0;

	if (len < 2)
		return 0;
	if (buf[0] != 0x30)
		return -1;
	if (buf[1] < 0x80)
		body = buf[1], n = 2;
	else {
		size_t k = buf[1] & 0x7f;
		if (k == 0 || k > 4)
			return -1;
		if (len < 2 + k)
			return 0;
		for (size_t i = 0; i < k; i++)
			body = body << 8 | buf[2 + i];
		n = 2 + k;
	}
	if (body > max)
		return -1;
	return (ssize_t)(n + body);
}

/*
 * Moves the first len bytes of in to buf and wipes them where they were:
 * requests carry passwords, and libevent frees or reuses its chains
 * without clearing them.
 */
static void
conn_take(struct evbuffer *in, unsigned char *buf, size_t len)
{
	struct evbuffer_iovec v[8];
	struct evbuffer_ptr at;
	size_t done = 0, k;
	int n;

	evbuffer_copyout(in, buf, len);
	while (done < len && evbuffer_ptr_set(in, &at, done, EVBUFFER_PTR_SET) == 0 &&
	    (n = evbuffer_peek(in, len - done, &at, v, 8)) > 0) {
		for (int i = 0; i < n && i < 8 && done < len; i++) {
			k = v[i].iov_len < len - done ? v[i].iov_len : len - done;
			OPENSSL_cleanse(v[i].iov_base, k);
			done += k;
		}
	}
	evbuffer_drain(in, len);
}

static void
conn_read(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	unsigned char hdr[6], *pdu;
	size_t len;
	ssize_t total;

	/* a request may close the connection: keep c alive until we return */
	conn_ref(c);
	while (!c->closing && (len = evbuffer_get_length(in)) > 0) {
		size_t hl = len < sizeof(hdr) ? len : sizeof(hdr);
		evbuffer_copyout(in, hdr, hl);
		total = conn_frame(hdr, hl, srv->conf.max_pdu);
		if (total < 0) {
			log_info("conn=%llu malformed or oversized message, disconnecting",
			    (unsigned long long)c->id);
			conn_disconnect(c, LDAP_PROTOCOL_ERROR,
			    "malformed or oversized LDAP message");
			break;
		}
		if (total == 0 || (size_t)total > len)
			break;
		/* one spare byte: liblber's "m" writes a NUL after the last element */
		if ((pdu = malloc(total + 1)) == NULL) {
			conn_disconnect(c, LDAP_UNAVAILABLE, "out of memory");
			break;
		}
		conn_take(in, pdu, total);
		stats_bytes_in((size_t)total);
		op_dispatch(c, pdu, total);
	}
	conn_unref(c);
}

/* The output fell to the low mark (or below): the client reads again. */
static void
conn_write(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	struct op *parked = NULL;

	pthread_mutex_lock(&c->lock);
	if (evbuffer_get_length(bufferevent_get_output(bev)) <= CONN_LOW) {
		parked = c->parked;
		c->parked = NULL;
		if (c->read_paused && !c->closing)
			bufferevent_enable(bev, EV_READ);
		c->read_paused = false;
	}
	pthread_mutex_unlock(&c->lock);
	conn_resume(parked);
	if (c->closing && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		conn_close(c);
}

/* Nothing of the output was written for write_timeout: the client
 * stopped reading. A reset, as what it left unread is never delivered. */
static void
conn_drop(struct conn *c, struct bufferevent *bev)
{
	struct linger lg = { 1, 0 };
	evutil_socket_t fd = bufferevent_getfd(bev);

	log_info("conn=%llu dropped: client did not read its results for %d s",
	    (unsigned long long)c->id, srv->conf.write_timeout);
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	conn_close(c);
}

static void
conn_event(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;

	if ((what & BEV_EVENT_TIMEOUT) && (what & BEV_EVENT_WRITING)) {
		conn_drop(c, bev);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT) {
		pthread_mutex_lock(&c->lock);
		int busy = c->nops;
		if (busy > 0 && !c->read_paused && !c->closing)
			bufferevent_enable(bev, EV_READ);
		pthread_mutex_unlock(&c->lock);
		if (busy > 0)
			return;
		log_info("conn=%llu idle timeout", (unsigned long long)c->id);
		conn_disconnect(c, LDAP_UNAVAILABLE, "idle timeout");
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		unsigned long e = bufferevent_get_openssl_error(bev);
		if (e != 0)
			log_info("conn=%llu TLS error: %s", (unsigned long long)c->id,
			    ERR_reason_error_string(e));
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		conn_close(c);
}

int
conn_send(struct conn *c, const struct berval *msg)
{
	int rc = 0;

	pthread_mutex_lock(&c->lock);
	if (c->bev == NULL || (c->closing && c->nops == 0)) {
		pthread_mutex_unlock(&c->lock);
		return -1;
	}
	xport_write(c->xp, c->bev, msg->bv_val, msg->bv_len);
	stats_bytes_out(msg->bv_len);
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) > CONN_HIGH) {
		rc = CONN_FULL;
		/* no new requests until it reads: its answers would pile up */
		if (!c->read_paused && !c->closing)
			bufferevent_disable(c->bev, EV_READ);
		c->read_paused = true;
	}
	pthread_mutex_unlock(&c->lock);
	return rc;
}

void
conn_park(struct conn *c, struct op *o)
{
	bool now;

	pthread_mutex_lock(&c->lock);
	/* conn_write runs on every drain to the low mark after this check */
	now = c->bev == NULL ||
	    evbuffer_get_length(bufferevent_get_output(c->bev)) <= CONN_LOW;
	if (!now) {
		log_debug("conn=%llu op=%d parked until the client reads",
		    (unsigned long long)c->id, o->num);
		o->parked_next = c->parked;
		c->parked = o;
		atomic_fetch_add(&conn_nparked, 1);
	}
	pthread_mutex_unlock(&c->lock);
	/* once parked, o belongs to the loop thread */
	if (now)
		op_resume(o);
}

int
conn_parked(void)
{
	return atomic_load(&conn_nparked);
}

/* RFC 4511 4.4.1: an unsolicited notification with messageID 0. */
void
conn_disconnect(struct conn *c, int rc, const char *text)
{
	BerElement *ber = result_ber(0, LDAP_RES_EXTENDED, rc, "", text);
	struct berval bv;

	if (ber != NULL && ber_printf(ber, "tsN}N}", LDAP_TAG_EXOP_RES_OID,
	    LDAP_NOTICE_OF_DISCONNECTION) >= 0 &&
	    ber_flatten2(ber, &bv, 0) == 0) {
		pthread_mutex_lock(&c->lock);
		if (c->bev != NULL)
			bufferevent_write(c->bev, bv.bv_val, bv.bv_len);
		pthread_mutex_unlock(&c->lock);
	}
	ber_free(ber, 1);
	conn_close_after_flush(c);
}

/* The StartTLS response is already queued in clear; wrap the connection
 * in a TLS filter (the server side accepts the handshake). */
int
conn_start_tls(struct conn *c)
{
	struct bufferevent *tlsbev;

	pthread_mutex_lock(&c->lock);
	if (c->bev == NULL) {
		pthread_mutex_unlock(&c->lock);
		return -1;
	}
	bufferevent_setcb(c->bev, NULL, NULL, NULL, NULL);
	if ((tlsbev = xport_starttls(bufferevent_get_base(c->bev), c->bev,
	    srv->tls)) == NULL) {
		bufferevent_setcb(c->bev, conn_read, conn_write, conn_event, c);
		pthread_mutex_unlock(&c->lock);
		return -1;
	}
	c->bev = tlsbev;
	c->xp = &xport_tls;
	c->tls = true;
	pthread_mutex_unlock(&c->lock);
	conn_setup(c);
	return 0;
}

void
conn_identity(struct conn *c, char **ndn, bool *admin)
{
	pthread_mutex_lock(&c->lock);
	*ndn = c->bind_ndn != NULL ? strdup(c->bind_ndn) : NULL;
	*admin = c->admin;
	pthread_mutex_unlock(&c->lock);
}

void
conn_set_identity(struct conn *c, const char *ndn, bool admin)
{
	char *copy = ndn != NULL ? strdup(ndn) : NULL;

	pthread_mutex_lock(&c->lock);
	free(c->bind_ndn);
	c->bind_ndn = copy;
	c->admin = admin;
	pthread_mutex_unlock(&c->lock);
}

int
conn_listen(const struct xport *t, const char *where)
{
	struct conn_listener *cl;
	char err[512];

	if ((cl = calloc(1, sizeof(*cl))) == NULL)
		return -1;
	/* the local socket is open to every user: what each may do
	 * depends on its uid */
	cl->xl = xport_listen(srv->base, t, where, 0666, srv->tls, conn_accept,
	    NULL, err, sizeof(err));
	if (cl->xl == NULL) {
		log_error("%s", err);
		free(cl);
		return -1;
	}
	xport_listener_set_base(cl->xl, loops_pick, NULL);
	cl->next = conn_listeners;
	conn_listeners = cl;
	log_info("listening on %s (%s)", where, t == &xport_unix ? "ldapi" :
	    xport_is_tls(t) ? "LDAPS" : "LDAP");
	return 0;
}

void
conn_stop_listening(void)
{
	for (struct conn_listener *cl = conn_listeners; cl != NULL; cl = cl->next)
		xport_listener_disable(cl->xl);
}

/* After the event loop ended: close every connection and listener. */
void
conn_shutdown(void)
{
	struct conn *c, *next;
	struct conn_listener *cl;

	while ((cl = conn_listeners) != NULL) {
		conn_listeners = cl->next;
		xport_listener_free(cl->xl);
		free(cl);
	}
	for (;;) {
		pthread_mutex_lock(&conn_all_lock);
		for (c = conn_all; c != NULL && c->bev == NULL; c = c->all_next)
			;
		next = c;
		pthread_mutex_unlock(&conn_all_lock);
		if (next == NULL)
			break;
		conn_close(next);
	}
}
