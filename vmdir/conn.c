/*
 * conn.c: client connections: accepting (plain and LDAPS), framing whole
 * LDAP messages out of the input, writing responses with backpressure,
 * StartTLS, idle and write timeouts and closing. One path for TCP and
 * TLS: both are libevent bufferevents.
 *
 * No thread ever waits for a client to read. A connection whose unread
 * output is over the bound stops being read (no new requests), and an
 * op with more to send is parked until the client has read most of it;
 * a client whose output does not move for write_timeout is dropped.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/crypto.h>
#include <openssl/err.h>

#include "server.h"
#include "log.h"

/* Over CONN_HIGH bytes unread, a connection's ops park and its input
 * waits, until it is back under CONN_LOW. */
#define CONN_HIGH	(1024 * 1024)
#define CONN_LOW	(256 * 1024)

static _Atomic int conn_nparked;

static void	conn_read(struct bufferevent *, void *);

/* Every open connection and listener, for shutdown (loop thread only). */
static struct conn *conn_all;
static struct evconnlistener *conn_listeners[8];
static int conn_nlisteners;
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

static struct bufferevent *
conn_bev_new(struct conn *c, evutil_socket_t fd, bool ldaps)
{
	int opts = BEV_OPT_CLOSE_ON_FREE | BEV_OPT_THREADSAFE |
	    BEV_OPT_DEFER_CALLBACKS | BEV_OPT_UNLOCK_CALLBACKS;
	SSL *ssl;

	if (!ldaps)
		return bufferevent_socket_new(srv->base, fd, opts);
	if ((ssl = SSL_new(srv->tls)) == NULL)
		return NULL;
	c->tls = true;
	return bufferevent_openssl_socket_new(srv->base, fd, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, opts);
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

static void
conn_accept(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	bool ldaps = arg != NULL;
	struct conn *c;
	int one = 1;

	if (srv->stopping) {
		evutil_closesocket(fd);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if ((c = conn_new()) == NULL) {
		evutil_closesocket(fd);
		return;
	}
	if (sa->sa_family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)sa;
		char a[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
		snprintf(c->peer, sizeof(c->peer), "%s:%u", a, ntohs(sin->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)sa;
		char a[INET6_ADDRSTRLEN];
		inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a));
		snprintf(c->peer, sizeof(c->peer), "[%s]:%u", a, ntohs(sin6->sin6_port));
	}
	if ((c->bev = conn_bev_new(c, fd, ldaps)) == NULL) {
		log_error("conn=%llu cannot set up connection", (unsigned long long)c->id);
		evutil_closesocket(fd);
		conn_unref(c);
		return;
	}
	log_info("conn=%llu fd=%d ACCEPT from %s%s", (unsigned long long)c->id,
	    (int)fd, c->peer, ldaps ? " (LDAPS)" : "");
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

/*
 * Queues msg. On a plain connection with nothing queued the worker writes
 * to the socket itself (what does not fit is queued), so a short answer
 * costs no wake-up of the loop thread; the bufferevent lock keeps this
 * ordered with the loop's own writes.
 */
static void
conn_write_out(struct conn *c, const struct berval *msg)
{
	size_t off = 0;

	if (c->tls) {
		bufferevent_write(c->bev, msg->bv_val, msg->bv_len);
		return;
	}
	bufferevent_lock(c->bev);
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0) {
		ssize_t n = send(bufferevent_getfd(c->bev), msg->bv_val, msg->bv_len,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0)
			off = (size_t)n;
	}
	/* a failed send leaves it to the loop, which reports the error */
	if (off < msg->bv_len)
		bufferevent_write(c->bev, msg->bv_val + off, msg->bv_len - off);
	bufferevent_unlock(c->bev);
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
	conn_write_out(c, msg);
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
	BerElement *ber = ber_alloc_t(LBER_USE_DER);
	struct berval bv;

	if (ber != NULL && ber_printf(ber, "{it{essts}}", 0, LDAP_RES_EXTENDED,
	    rc, "", text, LDAP_TAG_EXOP_RES_OID, LDAP_NOTICE_OF_DISCONNECTION) >= 0 &&
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
	SSL *ssl;

	if ((ssl = SSL_new(srv->tls)) == NULL)
		return -1;
	pthread_mutex_lock(&c->lock);
	if (c->bev == NULL) {
		pthread_mutex_unlock(&c->lock);
		SSL_free(ssl);
		return -1;
	}
	bufferevent_setcb(c->bev, NULL, NULL, NULL, NULL);
	tlsbev = bufferevent_openssl_filter_new(srv->base, c->bev, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE |
	    BEV_OPT_THREADSAFE | BEV_OPT_DEFER_CALLBACKS | BEV_OPT_UNLOCK_CALLBACKS);
	if (tlsbev == NULL) {
		bufferevent_setcb(c->bev, conn_read, conn_write, conn_event, c);
		pthread_mutex_unlock(&c->lock);
		return -1;
	}
	c->bev = tlsbev;
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

static void
conn_listen_error(struct evconnlistener *l, void *arg)
{
	log_error("accept: %s", strerror(errno));
}

int
conn_listen(const char *addr, int port, bool ldaps)
{
	struct sockaddr_storage ss;
	int sslen = sizeof(ss);
	char spec[300];
	struct evconnlistener *l;

	snprintf(spec, sizeof(spec), strchr(addr, ':') ? "[%s]:%d" : "%s:%d", addr, port);
	memset(&ss, 0, sizeof(ss));
	if (evutil_parse_sockaddr_port(spec, (struct sockaddr *)&ss, &sslen) != 0) {
		log_error("invalid listen address %s", spec);
		return -1;
	}
	l = evconnlistener_new_bind(srv->base, conn_accept, ldaps ? (void *)1 : NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 128,
	    (struct sockaddr *)&ss, sslen);
	if (l == NULL) {
		log_error("cannot listen on %s: %s", spec, strerror(errno));
		return -1;
	}
	evconnlistener_set_error_cb(l, conn_listen_error);
	if (conn_nlisteners < (int)(sizeof(conn_listeners) / sizeof(conn_listeners[0])))
		conn_listeners[conn_nlisteners++] = l;
	log_info("listening on %s (%s)", spec, ldaps ? "LDAPS" : "LDAP");
	return 0;
}

void
conn_stop_listening(void)
{
	for (int i = 0; i < conn_nlisteners; i++)
		evconnlistener_disable(conn_listeners[i]);
}

/* After the event loop ended: close every connection and listener. */
void
conn_shutdown(void)
{
	struct conn *c, *next;

	for (int i = 0; i < conn_nlisteners; i++)
		evconnlistener_free(conn_listeners[i]);
	conn_nlisteners = 0;
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
