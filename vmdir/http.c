/*
 * http.c: the HTTP side port: connections from common/xport.c's
 * listeners (plain TCP on http_port, TLS on https_port), a small
 * HTTP/1.1 request reader, routing, and the answer.
 *
 * Why not libevent's evhttp: it owns its sockets (its own listener and
 * bufferevents), so TLS, the peer's address and the accept policy would
 * live in a second transport layer beside xport; and its callbacks must
 * answer on the loop thread, while every handler here reads storage and
 * so runs on a worker. What is needed of HTTP is small: one request per
 * connection (answers say "Connection: close"), a Content-Length body,
 * no chunked uploads. The reader bounds everything: the header (8 KiB,
 * else 431), the body (256 KiB, else 413) and the time the whole request
 * may take (http_timeout, else 408), so a slow or oversized client costs
 * one socket and never a thread; the LDAP port shares only the event
 * loop, which never waits here.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "server.h"
#include "log.h"
#include "xport.h"

#define HTTP_HEAD_MAX	8192		/* request line and headers */
#define HTTP_BODY_MAX	(256 * 1024)
#define HTTP_CONNS_MAX	256		/* open at once; more are refused */

enum http_state { HC_HEAD, HC_BODY, HC_WORK, HC_WRITE, HC_LINGER };

struct http_conn {
	struct bufferevent	*bev;		/* NULL once the client left */
	enum http_state		 state;
	struct event		*deadline;	/* the request must be in by then */
	struct event		*done;		/* a worker finished (activated) */
	size_t			 need;		/* body bytes expected */
	struct http_req		 req;
	struct http_resp	 resp;
	struct http_conn	*next;		/* every connection (loop thread) */
};

struct http_listener {
	struct xport_listener	*xl;
	struct http_listener	*next;
};

/* Loop thread only. */
static struct http_conn *http_all;
static struct http_listener *http_listeners;
static int http_nconns;
static _Atomic uint64_t http_next_id = 1;

static void	http_read(struct bufferevent *, void *);
static void	http_event(struct bufferevent *, short, void *);

static const char *
http_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default:  return "Unknown";
	}
}

void
http_reply(struct http_resp *r, int status, const char *ctype, char *body,
    size_t len)
{
	free(r->body);
	r->status = status;
	r->ctype = ctype;
	r->body = body;
	r->len = body != NULL ? len : 0;
}

void
http_json(struct http_resp *r, int status, json_t *j)
{
	char *s = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;

	json_decref(j);
	if (s == NULL) {
		http_reply(r, 500, "application/json", strdup("{\"error\":{\"code\":500,"
		    "\"message\":\"out of memory\"}}"), 46);
		return;
	}
	/* a newline ends the body so that curl output reads well */
	size_t n = strlen(s);
	char *b = realloc(s, n + 2);
	if (b == NULL) {
		http_reply(r, status, "application/json", s, n);
		return;
	}
	b[n] = '\n';
	b[n + 1] = '\0';
	http_reply(r, status, "application/json", b, n + 1);
}

void
http_error(struct http_resp *r, int status, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	http_json(r, status, json_pack("{s:{s:i,s:s}}", "error", "code", status,
	    "message", msg));
}

static int
http_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int
http_unescape(const char *in, size_t len, char *out, size_t outlen)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)in[i];
		if (c == '%') {
			int hi, lo;
			if (i + 2 >= len || (hi = http_hex(in[i + 1])) < 0 ||
			    (lo = http_hex(in[i + 2])) < 0)
				return -1;
			c = hi * 16 + lo;
			i += 2;
			if (c == 0)
				return -1;
		} else if (c == '+')
			c = ' ';
		if (o + 1 >= outlen)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

int
http_query_next(const char **q, char *key, size_t klen, char *val, size_t vlen)
{
	const char *s = *q, *amp, *eq;
	size_t n;

	while (*s == '&')
		s++;
	if (*s == '\0')
		return 0;
	amp = strchr(s, '&');
	n = amp != NULL ? (size_t)(amp - s) : strlen(s);
	eq = memchr(s, '=', n);
	*q = s + n;
	if (eq == NULL)
		return http_unescape(s, n, key, klen) == 0 &&
		    http_unescape("", 0, val, vlen) == 0 ? 1 : -1;
	if (http_unescape(s, (size_t)(eq - s), key, klen) != 0 ||
	    http_unescape(eq + 1, n - (size_t)(eq - s) - 1, val, vlen) != 0)
		return -1;
	return 1;
}

/* "Basic <base64 of user:password>": user and password, malloc'd (the
 * caller wipes and frees the password); -1 if malformed. */
static int
http_basic(const char *auth, char **user, char **pw)
{
	size_t n, len;
	unsigned char *raw;
	char *colon;
	int got;

	if (auth == NULL || strncasecmp(auth, "Basic ", 6) != 0)
		return -1;
	auth += 6;
	while (*auth == ' ')
		auth++;
	n = strcspn(auth, " \t");
	if (n == 0 || n % 4 != 0 || n > 1024 || (raw = malloc(n)) == NULL)
		return -1;
	if ((got = EVP_DecodeBlock(raw, (const unsigned char *)auth, (int)n)) < 0) {
		free(raw);
		return -1;
	}
	len = (size_t)got;
	/* EVP_DecodeBlock counts the padding as zero bytes */
	for (size_t i = n; i > 0 && auth[i - 1] == '='; i--)
		len--;
	raw[len] = '\0';
	if ((colon = memchr(raw, ':', len)) == NULL || memchr(raw, '\0', len) != NULL) {
		OPENSSL_cleanse(raw, n);
		free(raw);
		return -1;
	}
	*colon = '\0';
	*user = strdup((char *)raw);
	*pw = strdup(colon + 1);
	OPENSSL_cleanse(raw, n);
	free(raw);
	if (*user == NULL || *pw == NULL) {
		free(*user);
		if (*pw != NULL)
			OPENSSL_cleanse(*pw, strlen(*pw));
		free(*pw);
		return -1;
	}
	return 0;
}

bool
http_admin(const struct http_req *q, struct http_resp *r, char **ndn)
{
	char *user = NULL, *pw = NULL, ctx[32];
	struct berval cred;
	bool admin = false;
	int rc;

	*ndn = NULL;
	snprintf(r->extra, sizeof(r->extra),
	    "WWW-Authenticate: Basic realm=\"Trellis\", charset=\"UTF-8\"\r\n");
	if (http_basic(q->auth, &user, &pw) != 0) {
		http_error(r, 401, "an administrator's credentials are required "
		    "(HTTP Basic)");
		return false;
	}
	cred.bv_val = pw;
	cred.bv_len = strlen(pw);
	snprintf(ctx, sizeof(ctx), "http=%llu", (unsigned long long)q->id);
	rc = bind_password(user, &cred, q->peer, ctx, ndn, &admin);
	OPENSSL_cleanse(pw, cred.bv_len);
	free(pw);
	free(user);
	if (rc != LDAP_SUCCESS) {
		http_error(r, rc == LDAP_INVALID_CREDENTIALS ? 401 : 503, "%s",
		    rc == LDAP_INVALID_CREDENTIALS ? "invalid credentials" :
		    "cannot check credentials");
		return false;
	}
	r->extra[0] = '\0';
	if (!admin) {
		free(*ndn);
		*ndn = NULL;
		http_error(r, 403, "administrators only");
		return false;
	}
	return true;
}

/* Routing */

typedef void (*http_handler)(const struct http_req *, struct http_resp *);

static const struct http_route {
	const char	*method;
	const char	*path;
	bool		 item;		/* path + "<id>" */
	http_handler	 fn;
} http_routes[] = {
	{ "GET",	"/health",		false,	http_health },
	{ "GET",	"/metrics",		false,	http_metrics },
	{ "GET",	"/lookupservice/sdk",	false,	http_lookup_list },
	{ "POST",	"/lookupservice/sdk",	false,	http_lookup_register },
	{ "GET",	"/lookupservice/sdk/",	true,	http_lookup_get },
	{ "PUT",	"/lookupservice/sdk/",	true,	http_lookup_update },
	{ "DELETE",	"/lookupservice/sdk/",	true,	http_lookup_delete },
};

static bool
http_route_match(const struct http_route *rt, const char *path)
{
	size_t n = strlen(rt->path);

	if (!rt->item)
		return strcmp(path, rt->path) == 0;
	return strncmp(path, rt->path, n) == 0 && path[n] != '\0' &&
	    strchr(path + n, '/') == NULL;
}

static void
http_route(const struct http_req *q, struct http_resp *r)
{
	char allow[64] = "";

	for (size_t i = 0; i < sizeof(http_routes) / sizeof(http_routes[0]); i++) {
		const struct http_route *rt = &http_routes[i];
		if (!http_route_match(rt, q->path))
			continue;
		if (strcmp(rt->method, q->method) == 0) {
			rt->fn(q, r);
			return;
		}
		snprintf(allow + strlen(allow), sizeof(allow) - strlen(allow), "%s%s",
		    allow[0] != '\0' ? ", " : "", rt->method);
	}
	if (allow[0] == '\0') {
		http_error(r, 404, "no such resource: %.200s", q->path);
		return;
	}
	snprintf(r->extra, sizeof(r->extra), "Allow: %s\r\n", allow);
	http_error(r, 405, "method %s not allowed here (allowed: %s)", q->method, allow);
}

/* Connections */

static void
http_free(struct http_conn *hc)
{
	for (struct http_conn **p = &http_all; *p != NULL; p = &(*p)->next)
		if (*p == hc) {
			*p = hc->next;
			break;
		}
	http_nconns--;
	if (hc->bev != NULL)
		bufferevent_free(hc->bev);
	event_free(hc->deadline);
	event_free(hc->done);
	free(hc->req.path);
	free(hc->req.query);
	free(hc->req.auth);
	free(hc->req.body);
	free(hc->resp.body);
	free(hc);
}

/* Sends hc->resp and closes once it is written (loop thread). */
static void
http_send(struct http_conn *hc)
{
	struct http_resp *r = &hc->resp;
	struct timeval wt = { srv->conf.http_timeout, 0 };
	char head[768];
	int n;

	event_del(hc->deadline);
	if (hc->bev == NULL) {
		http_free(hc);
		return;
	}
	stats_http(r->status);
	log_info("http=%llu %s %s%s%.200s from %s: %d", (unsigned long long)hc->req.id,
	    hc->req.method[0] != '\0' ? hc->req.method : "-",
	    hc->req.path != NULL ? hc->req.path : "-", hc->req.query ? "?" : "",
	    hc->req.query ? hc->req.query : "", hc->req.peer, r->status);
	n = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\n"
	    "Content-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n"
	    "Cache-Control: no-store\r\n%s\r\n", r->status, http_reason(r->status),
	    r->ctype != NULL ? r->ctype : "application/json", r->len, r->extra);
	hc->state = HC_WRITE;
	bufferevent_disable(hc->bev, EV_READ);
	bufferevent_set_timeouts(hc->bev, NULL, &wt);
	bufferevent_setwatermark(hc->bev, EV_WRITE, 0, 0);
	bufferevent_write(hc->bev, head, (size_t)n);
	if (r->len > 0)
		bufferevent_write(hc->bev, r->body, r->len);
	bufferevent_enable(hc->bev, EV_WRITE);
}

/* An answer made on the loop thread (errors of the reader). */
static void
http_fail(struct http_conn *hc, int status, const char *msg)
{
	http_error(&hc->resp, status, "%s", msg);
	http_send(hc);
}

/*
 * The answer is written. Closing now, with request bytes still unread
 * (a body refused with 413, a request cut short by 408), would reset the
 * connection and could destroy the answer before the client reads it:
 * the sending side is shut and what still arrives is discarded, until
 * the client closes or a second has passed.
 */
static void
http_written(struct bufferevent *bev, void *arg)
{
	struct http_conn *hc = arg;
	struct timeval linger = { 1, 0 };

	if (hc->state != HC_WRITE ||
	    evbuffer_get_length(bufferevent_get_output(bev)) > 0)
		return;
	hc->state = HC_LINGER;
	if (bufferevent_getfd(bev) >= 0)
		shutdown(bufferevent_getfd(bev), SHUT_WR);
	evbuffer_drain(bufferevent_get_input(bev), evbuffer_get_length(
	    bufferevent_get_input(bev)));
	bufferevent_set_timeouts(bev, &linger, NULL);
	bufferevent_setwatermark(bev, EV_READ, 0, 0);
	bufferevent_enable(bev, EV_READ);
}

static void
http_work(void *arg)
{
	struct http_conn *hc = arg;

	http_route(&hc->req, &hc->resp);
	if (hc->resp.status == 0)
		http_error(&hc->resp, 500, "no answer");
	event_active(hc->done, 0, 0);
}

static void
http_done(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	http_send(arg);
}

/* The request is complete: a worker answers it. */
static void
http_dispatch(struct http_conn *hc)
{
	event_del(hc->deadline);
	bufferevent_disable(hc->bev, EV_READ);
	hc->state = HC_WORK;
	if (workq_push(http_work, hc) != 0)
		http_fail(hc, 503, "server busy, try again");
}

/* Splits "METHOD TARGET HTTP/1.x"; an answer is sent on error. */
static int
http_request_line(struct http_conn *hc, char *line)
{
	char *sp1 = strchr(line, ' '), *sp2, *target, *qm;

	if (sp1 == NULL || (sp2 = strchr(sp1 + 1, ' ')) == NULL ||
	    (size_t)(sp1 - line) >= sizeof(hc->req.method) || sp1 == line) {
		http_fail(hc, 400, "malformed request line");
		return -1;
	}
	*sp1 = *sp2 = '\0';
	for (char *p = line; *p != '\0'; p++)
		if (!isupper((unsigned char)*p)) {
			http_fail(hc, 400, "malformed request line");
			return -1;
		}
	snprintf(hc->req.method, sizeof(hc->req.method), "%s", line);
	if (strncmp(sp2 + 1, "HTTP/1.", 7) != 0 || strchr("01", sp2[8]) == NULL ||
	    sp2[8] == '\0' || sp2[9] != '\0') {
		http_fail(hc, 505, "only HTTP/1.0 and HTTP/1.1 are spoken");
		return -1;
	}
	target = sp1 + 1;
	if (target[0] != '/') {
		http_fail(hc, 400, "the request target must be an absolute path");
		return -1;
	}
	if ((qm = strchr(target, '?')) != NULL) {
		*qm = '\0';
		hc->req.query = strdup(qm + 1);
	}
	hc->req.path = strdup(target);
	if (hc->req.path == NULL || (qm != NULL && hc->req.query == NULL)) {
		http_fail(hc, 500, "out of memory");
		return -1;
	}
	return 0;
}

/* Reads the header lines after the request line; sets hc->need. */
static int
http_headers(struct http_conn *hc, char *lines, bool *expect)
{
	char *save = NULL, *l;

	*expect = false;
	for (l = strtok_r(lines, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(l, ':'), *v, *end;
		size_t n = strlen(l);
		if (n > 0 && l[n - 1] == '\r')
			l[--n] = '\0';
		if (n == 0)
			continue;
		if (colon == NULL || colon == l || l[0] == ' ' || l[0] == '\t') {
			http_fail(hc, 400, "malformed header line");
			return -1;
		}
		*colon = '\0';
		for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
			;
		for (end = v + strlen(v); end > v && (end[-1] == ' ' || end[-1] == '\t');)
			*--end = '\0';
		if (strcasecmp(l, "Content-Length") == 0) {
			unsigned long long len;
			char *e;
			if (*v < '0' || *v > '9' || (len = strtoull(v, &e, 10), *e != '\0') ||
			    (hc->need != 0 && hc->need != len)) {
				http_fail(hc, 400, "invalid Content-Length");
				return -1;
			}
			if (len > HTTP_BODY_MAX) {
				http_fail(hc, 413, "request body over 262144 bytes");
				return -1;
			}
			hc->need = (size_t)len;
		} else if (strcasecmp(l, "Transfer-Encoding") == 0) {
			http_fail(hc, 501, "chunked bodies are not supported: "
			    "send Content-Length");
			return -1;
		} else if (strcasecmp(l, "Authorization") == 0) {
			free(hc->req.auth);
			if ((hc->req.auth = strdup(v)) == NULL) {
				http_fail(hc, 500, "out of memory");
				return -1;
			}
		} else if (strcasecmp(l, "Expect") == 0)
			*expect = strcasecmp(v, "100-continue") == 0;
	}
	return 0;
}

/* The header is in: parses it. 0 to go on reading the body, -1 when an
 * answer was sent. */
static int
http_head(struct http_conn *hc, size_t len)
{
	struct evbuffer *in = bufferevent_get_input(hc->bev);
	char *head = malloc(len + 1), *eol;
	bool expect;
	int rc;

	if (head == NULL) {
		http_fail(hc, 500, "out of memory");
		return -1;
	}
	evbuffer_remove(in, head, len);
	head[len] = '\0';
	if (memchr(head, '\0', len) != NULL) {
		free(head);
		http_fail(hc, 400, "NUL in the request header");
		return -1;
	}
	eol = strchr(head, '\n');
	*eol = '\0';
	if (eol > head && eol[-1] == '\r')
		eol[-1] = '\0';
	rc = http_request_line(hc, head);
	if (rc == 0)
		rc = http_headers(hc, eol + 1, &expect);
	OPENSSL_cleanse(head, len);	/* it may hold a password */
	free(head);
	if (rc != 0)
		return -1;
	if (expect && hc->need > evbuffer_get_length(in))
		bufferevent_write(hc->bev, "HTTP/1.1 100 Continue\r\n\r\n", 25);
	hc->state = HC_BODY;
	return 0;
}

static void
http_read(struct bufferevent *bev, void *arg)
{
	struct http_conn *hc = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_ptr end;

	if (hc->state == HC_LINGER || hc->state == HC_WRITE) {
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	if (hc->state == HC_HEAD) {
		end = evbuffer_search(in, "\r\n\r\n", 4, NULL);
		if (end.pos < 0) {
			if (evbuffer_get_length(in) > HTTP_HEAD_MAX)
				http_fail(hc, 431, "request header over 8192 bytes");
			return;
		}
		if ((size_t)end.pos + 4 > HTTP_HEAD_MAX) {
			http_fail(hc, 431, "request header over 8192 bytes");
			return;
		}
		if (http_head(hc, (size_t)end.pos + 4) != 0)
			return;
	}
	if (hc->state != HC_BODY || evbuffer_get_length(in) < hc->need)
		return;
	if ((hc->req.body = malloc(hc->need + 1)) == NULL) {
		http_fail(hc, 500, "out of memory");
		return;
	}
	evbuffer_remove(in, hc->req.body, hc->need);
	hc->req.body[hc->need] = '\0';
	hc->req.bodylen = hc->need;
	http_dispatch(hc);
}

static void
http_event(struct bufferevent *bev, short what, void *arg)
{
	struct http_conn *hc = arg;

	(void)bev;
	if (what == BEV_EVENT_CONNECTED)
		return;		/* the TLS handshake is done */
	if (hc->state == HC_WORK) {
		/* the worker still holds hc: http_send frees it */
		bufferevent_free(hc->bev);
		hc->bev = NULL;
		return;
	}
	/* an error, a write timeout, or the client closed before its
	 * request was complete */
	http_free(hc);
}

/* Nothing complete within http_timeout. */
static void
http_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct http_conn *hc = arg;

	(void)fd;
	(void)what;
	if (hc->state == HC_HEAD || hc->state == HC_BODY)
		http_fail(hc, 408, "request not complete in time");
}

static void
http_accept(struct bufferevent *bev, const struct xport *t,
    const struct xport_peer *peer, void *arg)
{
	struct timeval dl = { srv->conf.http_timeout, 0 };
	struct http_conn *hc;

	(void)t;
	(void)arg;
	if (srv->stopping || http_nconns >= HTTP_CONNS_MAX ||
	    (hc = calloc(1, sizeof(*hc))) == NULL) {
		bufferevent_free(bev);
		return;
	}
	hc->bev = bev;
	hc->req.id = atomic_fetch_add(&http_next_id, 1);
	snprintf(hc->req.peer, sizeof(hc->req.peer), "%s", peer->name);
	hc->deadline = evtimer_new(srv->base, http_timeout, hc);
	hc->done = event_new(srv->base, -1, 0, http_done, hc);
	hc->next = http_all;
	http_all = hc;
	http_nconns++;
	if (hc->deadline == NULL || hc->done == NULL) {
		http_free(hc);
		return;
	}
	log_debug("http=%llu ACCEPT from %s%s", (unsigned long long)hc->req.id,
	    peer->name, xport_is_tls(t) ? " (HTTPS)" : "");
	bufferevent_setcb(bev, http_read, http_written, http_event, hc);
	bufferevent_setwatermark(bev, EV_READ, 0, HTTP_HEAD_MAX + HTTP_BODY_MAX + 1);
	evtimer_add(hc->deadline, &dl);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

/* One listener; a default port (http_port not set) that is taken costs
 * only a warning, as the default ldapi socket does. */
static int
http_listen_one(const struct xport *t, const char *where, bool must)
{
	struct http_listener *l = calloc(1, sizeof(*l));
	char err[256];

	if (l == NULL)
		return -1;
	l->xl = xport_listen(srv->base, t, where, 0, srv->tls, http_accept, NULL,
	    err, sizeof(err));
	if (l->xl == NULL) {
		free(l);
		if (!must) {
			log_warn("no HTTP side port: %s (set http_port, or 0 to "
			    "silence this)", err);
			return 0;
		}
		log_error("%s", err);
		return -1;
	}
	log_info("HTTP%s side port on %s", xport_is_tls(t) ? "S" : "", where);
	l->next = http_listeners;
	http_listeners = l;
	return 0;
}

int
http_listen(void)
{
	char *list, *addr, *save = NULL, where[300];
	int rc = 0;

	if (srv->conf.https_port > 0 && srv->tls == NULL) {
		log_error("an HTTPS port needs tls_cert and tls_key");
		return -1;
	}
	if ((list = strdup(srv->conf.listen)) == NULL)
		return -1;
	for (addr = strtok_r(list, ", \t", &save); addr != NULL && rc == 0;
	    addr = strtok_r(NULL, ", \t", &save)) {
		const char *fmt = strchr(addr, ':') != NULL ? "[%s]:%d" : "%s:%d";
		if (srv->conf.http_port > 0) {
			snprintf(where, sizeof(where), fmt, addr, srv->conf.http_port);
			rc = http_listen_one(&xport_tcp, where, srv->conf.http_port_set);
		}
		if (rc == 0 && srv->conf.https_port > 0) {
			snprintf(where, sizeof(where), fmt, addr, srv->conf.https_port);
			rc = http_listen_one(&xport_tls, where, true);
		}
	}
	free(list);
	return rc;
}

void
http_stop_listening(void)
{
	for (struct http_listener *l = http_listeners; l != NULL; l = l->next)
		xport_listener_disable(l->xl);
}

void
http_shutdown(void)
{
	struct http_listener *l, *ln;

	while (http_all != NULL)
		http_free(http_all);
	for (l = http_listeners; l != NULL; l = ln) {
		ln = l->next;
		xport_listener_free(l->xl);
		free(l);
	}
	http_listeners = NULL;
}
