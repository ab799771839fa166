/*
 * vecsd_xport_tmp.h: the part of common/xport.h that vecsd uses, until the
 * shared transport layer is on this branch (see vecsd_xport_tmp.c).
 */
#ifndef VECS_VECSD_XPORT_TMP_H
#define VECS_VECSD_XPORT_TMP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <openssl/ssl.h>

struct event_base;
struct bufferevent;

struct xport_peer {
	char	name[64];
	bool	local;
	uid_t	uid;
	gid_t	gid;
	pid_t	pid;
};

struct xport;
extern const struct xport xport_unix;

typedef void (*xport_accept_fn)(struct bufferevent *bev, const struct xport *t,
    const struct xport_peer *peer, void *arg);

struct xport_listener;

struct xport_listener *xport_listen(struct event_base *base,
	    const struct xport *t, const char *where, mode_t mode, SSL_CTX *tls,
	    xport_accept_fn fn, void *arg, char *err, size_t errlen);
void	xport_listener_disable(struct xport_listener *l);
void	xport_listener_free(struct xport_listener *l);

#endif
