/*
 * vecsd_xport_tmp.c: a stand-in for common/xport.[ch] (the shared
 * transport layer) until it is on this branch: the Unix-socket part of its
 * interface, with the same names and signatures, so vecsd_conn.c and
 * vecsd_main.c do not change when this file goes.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "vecs/vecsd_xport_tmp.h"

struct xport {
	const char	*name;
};
const struct xport xport_unix = { "unix" };

struct xport_listener {
	struct evconnlistener	*l;
	struct event_base	*base;
	xport_accept_fn		 fn;
	void			*arg;
	char			 path[108];
	struct stat		 st;
};

static void
xport_tmp_accept(struct evconnlistener *el, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct xport_listener *l = arg;
	struct xport_peer peer = { .local = true };
	struct ucred cr;
	socklen_t len = sizeof(cr);
	struct bufferevent *bev;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0 || len != sizeof(cr)) {
		evutil_closesocket(fd);
		return;
	}
	peer.uid = cr.uid;
	peer.gid = cr.gid;
	peer.pid = cr.pid;
	snprintf(peer.name, sizeof(peer.name), "uid=%lu:pid=%ld", (unsigned long)cr.uid,
	    (long)cr.pid);
	if ((bev = bufferevent_socket_new(l->base, fd, BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		evutil_closesocket(fd);
		return;
	}
	l->fn(bev, &xport_unix, &peer, l->arg);
}

/* A socket file where nothing answers is left over from a dead process. */
static int
xport_tmp_clear(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, live;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a socket", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0)
		return -1;
	live = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
	close(fd);
	if (live) {
		snprintf(err, errlen, "%s: another server answers on it", path);
		return -1;
	}
	return unlink(path);
}

struct xport_listener *
xport_listen(struct event_base *base, const struct xport *t, const char *where,
    mode_t mode, SSL_CTX *tls, xport_accept_fn fn, void *arg, char *err, size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct xport_listener *l;
	char dir[PATH_MAX], *slash;
	int fd;

	if (t != &xport_unix || where[0] != '/' || strlen(where) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "%s: not a usable socket path", where);
		return NULL;
	}
	snprintf(dir, sizeof(dir), "%s", where);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
			snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
			return NULL;
		}
	}
	err[0] = '\0';
	if (xport_tmp_clear(where, err, errlen) != 0) {
		if (err[0] == '\0')
			snprintf(err, errlen, "%s: %s", where, strerror(errno));
		return NULL;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return NULL;
	memcpy(sun.sun_path, where, strlen(where) + 1);
	snprintf(l->path, sizeof(l->path), "%s", where);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 || chmod(where, mode) != 0 ||
	    lstat(where, &l->st) != 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", where, strerror(errno));
		if (fd >= 0)
			close(fd);
		free(l);
		return NULL;
	}
	l->base = base;
	l->fn = fn;
	l->arg = arg;
	if ((l->l = evconnlistener_new(base, xport_tmp_accept, l,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 512, fd)) == NULL) {
		snprintf(err, errlen, "cannot listen on %s", where);
		close(fd);
		unlink(where);
		free(l);
		return NULL;
	}
	return l;
}

void
xport_listener_disable(struct xport_listener *l)
{
	if (l != NULL)
		evconnlistener_disable(l->l);
}

void
xport_listener_free(struct xport_listener *l)
{
	struct stat st;

	if (l == NULL)
		return;
	evconnlistener_free(l->l);
	if (lstat(l->path, &st) == 0 && st.st_ino == l->st.st_ino && st.st_dev == l->st.st_dev)
		unlink(l->path);
	free(l);
}
