/*
 * xport.h: the transports a daemon listens on (plain TCP, TLS, and Unix
 * sockets with the client's credentials), each a small table of
 * functions behind one interface. A listener hands every accepted
 * connection to its protocol (LDAP in vmdird, the store protocol in
 * vecsd) as a libevent bufferevent with the peer already identified.
 */
#ifndef COMMON_XPORT_H
#define COMMON_XPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <openssl/ssl.h>

struct event_base;
struct bufferevent;

/* Who is at the other end of an accepted connection. */
struct xport_peer {
	char	name[64];	/* "addr:port", "[v6]:port" or "uid=U:pid=P" */
	bool	local;		/* a Unix socket: uid, gid and pid are set */
	uid_t	uid;		/* as the kernel saw them at connect */
	gid_t	gid;
	pid_t	pid;
};

/* A transport; the three below are all there are. */
struct xport;
extern const struct xport xport_tcp, xport_tls, xport_unix;

/* "tcp", "tls" or "unix". */
const char *xport_name(const struct xport *t);
/* True for xport_tls. */
bool	xport_is_tls(const struct xport *t);

/* Called on the loop thread with a new connection; bev (thread-safe,
 * deferred callbacks, closes its socket when freed) becomes the
 * callee's; peer is borrowed for the call. */
typedef void (*xport_accept_fn)(struct bufferevent *bev, const struct xport *t,
    const struct xport_peer *peer, void *arg);

struct xport_listener;

/*
 * Listens on where: "HOST:PORT" or "[V6]:PORT" for tcp and tls, an
 * absolute path for unix (its directory created, mode 0755; a stale
 * socket file replaced; one a live server answers on refused; the new
 * socket gets mode). tls is the server context (xport_tls only; borrowed
 * for the listener's life). NULL on failure with a message in err.
 */
struct xport_listener *xport_listen(struct event_base *base,
	    const struct xport *t, const char *where, mode_t mode, SSL_CTX *tls,
	    xport_accept_fn fn, void *arg, char *err, size_t errlen);
/* Chooses the event loop of each connection l accepts (called on the
 * listener's loop thread); without one, connections stay on the
 * listener's loop. */
typedef struct event_base *(*xport_base_fn)(void *arg);
void	xport_listener_set_base(struct xport_listener *l, xport_base_fn fn,
	    void *arg);
/* Stops accepting (the socket stays open until xport_listener_free). */
void	xport_listener_disable(struct xport_listener *l);
/* Closes l and removes its socket file unless another process has put
 * its own there since. Accepts NULL. */
void	xport_listener_free(struct xport_listener *l);

/*
 * Queues len bytes of buf on bev (a connection of transport t). On a
 * transport without a filter, when nothing is queued yet, the bytes go
 * straight to the socket from the calling thread and only what does not
 * fit is queued: a short answer costs the event loop no wake-up.
 */
void	xport_write(const struct xport *t, struct bufferevent *bev,
	    const void *buf, size_t len);

/* StartTLS (server side): a TLS bufferevent over bev, which it then
 * owns. NULL on failure (bev unchanged). */
struct bufferevent *xport_starttls(struct event_base *base,
	    struct bufferevent *bev, SSL_CTX *tls);

#endif /* COMMON_XPORT_H */
