/*
 * httpc.h: a small blocking HTTP/1.1 client over TCP or TLS (OpenSSL),
 * one request per connection, for the tools (lstool talks to vmdird's
 * HTTP side port with it) and the benchmarks. It never aborts: failures
 * come back as -1 with a message.
 */
#ifndef COMMON_HTTPC_H
#define COMMON_HTTPC_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/x509.h>

/* The parts of an http:// or https:// URL; strings owned by the struct. */
struct httpc_url {
	bool	 tls;		/* https */
	char	*host;		/* without the brackets of an IPv6 literal */
	int	 port;		/* 80 or 443 when absent */
	char	*path;		/* "/" when absent; with the query */
};

struct httpc_req {
	const char	*method;	/* "GET", "POST", "PUT", "DELETE" */
	const char	*url;
	const char	*user;		/* HTTP Basic when not NULL */
	const char	*password;
	const char	*body;		/* sent with Content-Length when not NULL */
	size_t		 bodylen;
	const char	*content_type;	/* default application/json */
	bool		 insecure;	/* https: no certificate or name check */
	const char	*cafile;	/* https: trust these (PEM) besides the system's */
	int		 timeout;	/* seconds for connect, and for each read or write */
	bool		 handshake_only; /* https: stop after the handshake (peer set,
					    status 0); http: after connecting */
};

struct httpc_resp {
	int	 status;
	char	*body;		/* NUL-terminated; caller frees (httpc_resp_free) */
	size_t	 bodylen;
	X509	*peer;		/* https: the certificate the server presented */
};

/*
 * Parses url into *u (free with httpc_url_free); false if it is not an
 * http:// or https:// URL with a host and a valid port.
 */
bool	 httpc_url_parse(const char *url, struct httpc_url *u);
void	 httpc_url_free(struct httpc_url *u);

/*
 * Sends q and reads the whole answer into *r. Returns 0, or -1 with err
 * (errlen bytes) saying why: bad URL, unreachable, TLS failure, timeout,
 * malformed answer. An HTTP error status is an answer (0).
 */
int	 httpc_request(const struct httpc_req *q, struct httpc_resp *r,
	    char *err, size_t errlen);
/* Releases what *r holds; accepts a zeroed one. */
void	 httpc_resp_free(struct httpc_resp *r);

#endif
