/*
 * httpc.c: the small HTTP/1.1 client of httpc.h. One request per
 * connection ("Connection: close"); answers are read to the end and
 * decoded from Content-Length, chunked or read-until-close framing.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "httpc.h"

#define HTTPC_MAX_ANSWER	(256u * 1024 * 1024)

struct httpc_conn {
	int	 fd;
	SSL_CTX	*ctx;
	SSL	*ssl;
};

static int __attribute__((format(printf, 3, 4)))
httpc_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

void
httpc_url_free(struct httpc_url *u)
{
	if (u == NULL)
		return;
	free(u->host);
	free(u->path);
	memset(u, 0, sizeof(*u));
}

bool
httpc_url_parse(const char *url, struct httpc_url *u)
{
	const char *p, *hend, *slash;
	char *end;
	long port;

	memset(u, 0, sizeof(*u));
	if (strncasecmp(url, "http://", 7) == 0)
		p = url + 7;
	else if (strncasecmp(url, "https://", 8) == 0) {
		u->tls = true;
		p = url + 8;
	} else
		return false;
	slash = p + strcspn(p, "/?#");
	if (*p == '[') {
		if ((hend = memchr(p, ']', (size_t)(slash - p))) == NULL)
			return false;
		u->host = strndup(p + 1, (size_t)(hend - p - 1));
		p = hend + 1;
	} else {
		hend = memchr(p, ':', (size_t)(slash - p));
		if (hend == NULL)
			hend = slash;
		u->host = strndup(p, (size_t)(hend - p));
		p = hend;
	}
	u->port = u->tls ? 443 : 80;
	if (p < slash && *p == ':') {
		errno = 0;
		port = strtol(p + 1, &end, 10);
		if (end != slash || end == p + 1 || errno != 0 || port < 1 || port > 65535)
			goto bad;
		u->port = (int)port;
	} else if (p != slash)
		goto bad;
	if (u->host == NULL || u->host[0] == '\0' || strpbrk(u->host, " \t\r\n@") != NULL)
		goto bad;
	if (*slash == '#')
		u->path = strdup("/");
	else if (*slash == '?') {
		if (asprintf(&u->path, "/%s", slash) < 0)
			u->path = NULL;
	} else
		u->path = strdup(*slash == '\0' ? "/" : slash);
	if (u->path == NULL)
		goto bad;
	u->path[strcspn(u->path, "#")] = '\0';
	if (strpbrk(u->path, " \t\r\n") != NULL)
		goto bad;
	return true;
bad:
	httpc_url_free(u);
	return false;
}

static int
httpc_connect_tcp(const struct httpc_url *u, int timeout, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	struct timeval tv = { .tv_sec = timeout };
	char port[16];
	int fd = -1, rc, e = 0;

	snprintf(port, sizeof(port), "%d", u->port);
	if ((rc = getaddrinfo(u->host, port, &hints, &res)) != 0)
		return httpc_fail(err, errlen, "cannot resolve %s: %s", u->host,
		    gai_strerror(rc));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		struct pollfd pfd;
		socklen_t len = sizeof(e);
		if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0)) < 0)
			continue;
		fcntl(fd, F_SETFL, O_NONBLOCK);
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		e = errno;
		if (e == EINPROGRESS) {
			pfd.fd = fd;
			pfd.events = POLLOUT;
			rc = poll(&pfd, 1, timeout * 1000);
			if (rc == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) == 0 &&
			    e == 0)
				break;
			if (rc == 0)
				e = ETIMEDOUT;
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return httpc_fail(err, errlen, "cannot connect to %s:%d: %s", u->host,
		    u->port, strerror(e != 0 ? e : ECONNREFUSED));
	fcntl(fd, F_SETFL, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

static void
httpc_close(struct httpc_conn *c)
{
	if (c->ssl != NULL) {
		SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
	}
	SSL_CTX_free(c->ctx);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->ssl = NULL;
	c->ctx = NULL;
}

static int
httpc_tls(struct httpc_conn *c, const struct httpc_url *u, const struct httpc_req *q,
    char *err, size_t errlen)
{
	unsigned long e;

	if ((c->ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    (c->ssl = SSL_new(c->ctx)) == NULL)
		return httpc_fail(err, errlen, "out of memory");
	SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
	if (!q->insecure) {
		SSL_CTX_set_default_verify_paths(c->ctx);
		if (q->cafile != NULL && SSL_CTX_load_verify_locations(c->ctx, q->cafile,
		    NULL) != 1)
			return httpc_fail(err, errlen, "cannot read CA file %s", q->cafile);
		SSL_set_verify(c->ssl, SSL_VERIFY_PEER, NULL);
		/* an address is matched against the certificate's IP names */
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), u->host) != 1)
			SSL_set1_host(c->ssl, u->host);
	}
	if (strchr(u->host, ':') == NULL && strspn(u->host, "0123456789.") != strlen(u->host))
		SSL_set_tlsext_host_name(c->ssl, u->host);	/* SNI takes names only */
	SSL_set_fd(c->ssl, c->fd);
	if (SSL_connect(c->ssl) != 1) {
		long v = SSL_get_verify_result(c->ssl);
		e = ERR_get_error();
		if (v != X509_V_OK)
			return httpc_fail(err, errlen, "TLS to %s:%d: certificate not trusted: "
			    "%s (--no-check-cert to skip the check)", u->host, u->port,
			    X509_verify_cert_error_string(v));
		return httpc_fail(err, errlen, "TLS handshake with %s:%d failed: %s", u->host,
		    u->port, e != 0 ? ERR_reason_error_string(e) : "connection closed");
	}
	return 0;
}

static int
httpc_write(struct httpc_conn *c, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n;
		if (c->ssl != NULL) {
			int w = SSL_write(c->ssl, buf, len > 1u << 30 ? 1 << 30 : (int)len);
			n = w > 0 ? w : -1;
		} else
			n = send(c->fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR && c->ssl == NULL)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads until the peer closes; 0, or -1 on a read error or timeout. */
static int
httpc_read_all(struct httpc_conn *c, char **out, size_t *outlen)
{
	size_t cap = 16384, len = 0;
	char *buf = malloc(cap + 1), *nb;

	if (buf == NULL)
		return -1;
	for (;;) {
		ssize_t n;
		if (len == cap) {
			if (cap >= HTTPC_MAX_ANSWER || (nb = realloc(buf, cap * 2 + 1)) == NULL)
				goto fail;
			buf = nb;
			cap *= 2;
		}
		if (c->ssl != NULL) {
			int r = SSL_read(c->ssl, buf + len, (int)(cap - len));
			if (r <= 0) {
				int e = SSL_get_error(c->ssl, r);
				/* peers that close without close_notify are common */
				if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL &&
				    errno == 0) || e == SSL_ERROR_SSL)
					break;
				goto fail;
			}
			n = r;
		} else {
			n = recv(c->fd, buf + len, cap - len, 0);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				goto fail;
			if (n == 0)
				break;
		}
		len += (size_t)n;
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
fail:
	free(buf);
	return -1;
}

/* Decodes a chunked body in place; its new length, or -1 if malformed. */
static long
httpc_dechunk(char *b, size_t len)
{
	size_t in = 0, out = 0;

	for (;;) {
		char *end;
		unsigned long n;
		char *eol = memmem(b + in, len - in, "\r\n", 2);
		if (eol == NULL)
			return -1;
		n = strtoul(b + in, &end, 16);
		if (end == b + in)
			return -1;
		in = (size_t)(eol - b) + 2;
		if (n == 0)
			break;
		if (n > len - in || len - in - n < 2)
			return -1;
		memmove(b + out, b + in, n);
		out += n;
		in += n + 2;
	}
	b[out] = '\0';
	return (long)out;
}

/* The value of header name in the head (NUL-terminated), or NULL. */
static const char *
httpc_header(const char *head, const char *name)
{
	size_t n = strlen(name);
	const char *p = strstr(head, "\r\n");

	while (p != NULL && p[2] != '\0') {
		p += 2;
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			p += n + 1;
			while (*p == ' ' || *p == '\t')
				p++;
			return p;
		}
		p = strstr(p, "\r\n");
	}
	return NULL;
}

static int
httpc_parse(char *raw, size_t len, struct httpc_resp *r, char *err, size_t errlen)
{
	char *sep = memmem(raw, len, "\r\n\r\n", 4), *body;
	const char *v;
	size_t blen;
	int st;

	if (sep == NULL || (strncmp(raw, "HTTP/1.0 ", 9) != 0 &&
	    strncmp(raw, "HTTP/1.1 ", 9) != 0) || !isdigit((unsigned char)raw[9]) ||
	    (st = atoi(raw + 9)) < 100 || st > 999)
		return httpc_fail(err, errlen, "malformed HTTP answer");
	sep[2] = '\0';
	body = sep + 4;
	blen = len - (size_t)(body - raw);
	if ((v = httpc_header(raw, "Transfer-Encoding")) != NULL &&
	    strncasecmp(v, "chunked", 7) == 0) {
		long n = httpc_dechunk(body, blen);
		if (n < 0)
			return httpc_fail(err, errlen, "malformed chunked HTTP answer");
		blen = (size_t)n;
	} else if ((v = httpc_header(raw, "Content-Length")) != NULL) {
		unsigned long cl = strtoul(v, NULL, 10);
		if (cl > blen)
			return httpc_fail(err, errlen, "HTTP answer cut short (%zu of %lu "
			    "bytes)", blen, cl);
		blen = cl;
	}
	if ((r->body = malloc(blen + 1)) == NULL)
		return httpc_fail(err, errlen, "out of memory");
	memcpy(r->body, body, blen);
	r->body[blen] = '\0';
	r->bodylen = blen;
	r->status = st;
	return 0;
}

static char *
httpc_basic(const char *user, const char *pw)
{
	char *plain = NULL, *b64;
	int n;

	if ((n = asprintf(&plain, "%s:%s", user, pw != NULL ? pw : "")) < 0)
		return NULL;
	if ((b64 = malloc(((size_t)n + 2) / 3 * 4 + 1)) != NULL)
		EVP_EncodeBlock((unsigned char *)b64, (unsigned char *)plain, n);
	explicit_bzero(plain, (size_t)n);
	free(plain);
	return b64;
}

int
httpc_request(const struct httpc_req *q, struct httpc_resp *r, char *err, size_t errlen)
{
	struct httpc_conn c = { .fd = -1 };
	struct httpc_url u;
	char *head = NULL, *auth = NULL, *raw = NULL, hosthdr[300];
	size_t rawlen = 0;
	int timeout = q->timeout > 0 ? q->timeout : 30, rc = -1, n;

	memset(r, 0, sizeof(*r));
	if (!httpc_url_parse(q->url, &u))
		return httpc_fail(err, errlen, "invalid URL '%s' (http://HOST[:PORT]/PATH "
		    "or https://…)", q->url);
	snprintf(hosthdr, sizeof(hosthdr), strchr(u.host, ':') ? "[%s]" : "%s", u.host);
	if ((u.tls ? u.port != 443 : u.port != 80))
		snprintf(hosthdr + strlen(hosthdr), sizeof(hosthdr) - strlen(hosthdr), ":%d",
		    u.port);
	if (q->user != NULL && (auth = httpc_basic(q->user, q->password)) == NULL) {
		httpc_fail(err, errlen, "out of memory");
		goto out;
	}
	n = asprintf(&head, "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: trellis-httpc\r\n"
	    "Accept: application/json\r\nConnection: close\r\n%s%s%s"
	    "%s%s%s",
	    q->method, u.path, hosthdr, auth != NULL ? "Authorization: Basic " : "",
	    auth != NULL ? auth : "", auth != NULL ? "\r\n" : "",
	    q->body != NULL ? "Content-Type: " : "",
	    q->body != NULL ? (q->content_type != NULL ? q->content_type :
	    "application/json") : "", q->body != NULL ? "\r\n" : "");
	if (n < 0) {
		head = NULL;
		httpc_fail(err, errlen, "out of memory");
		goto out;
	}
	if ((c.fd = httpc_connect_tcp(&u, timeout, err, errlen)) < 0 ||
	    (u.tls && httpc_tls(&c, &u, q, err, errlen) != 0))
		goto out;
	if (u.tls && (r->peer = SSL_get1_peer_certificate(c.ssl)) == NULL) {
		httpc_fail(err, errlen, "%s:%d presented no certificate", u.host, u.port);
		goto out;
	}
	if (q->handshake_only) {
		rc = 0;
		goto out;
	}
	{
		char cl[64] = "\r\n";
		if (q->body != NULL)
			snprintf(cl, sizeof(cl), "Content-Length: %zu\r\n\r\n", q->bodylen);
		if (httpc_write(&c, head, strlen(head)) != 0 ||
		    httpc_write(&c, cl, strlen(cl)) != 0 ||
		    (q->body != NULL && httpc_write(&c, q->body, q->bodylen) != 0)) {
			httpc_fail(err, errlen, "cannot send the request to %s:%d", u.host,
			    u.port);
			goto out;
		}
	}
	if (httpc_read_all(&c, &raw, &rawlen) != 0) {
		httpc_fail(err, errlen, "no complete answer from %s:%d within %d s", u.host,
		    u.port, timeout);
		goto out;
	}
	rc = httpc_parse(raw, rawlen, r, err, errlen);
out:
	if (rc != 0)
		httpc_resp_free(r);
	if (auth != NULL)
		explicit_bzero(auth, strlen(auth));
	if (head != NULL)
		explicit_bzero(head, strlen(head));
	free(auth);
	free(head);
	free(raw);
	httpc_close(&c);
	httpc_url_free(&u);
	return rc;
}

void
httpc_resp_free(struct httpc_resp *r)
{
	if (r == NULL)
		return;
	free(r->body);
	X509_free(r->peer);
	memset(r, 0, sizeof(*r));
}
