/*
 * xport.c: the transports behind xport.h. Each is a table: how to open
 * its listening socket, who the peer of an accepted socket is, how to
 * wrap it in a bufferevent, whether a thread may write to the socket
 * directly. Everything else (accepting, the socket file of a Unix
 * listener, closing) is common.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "log.h"
#include "xport.h"

#define XPORT_BACKLOG	128
#define XPORT_BEV_OPTS	(BEV_OPT_CLOSE_ON_FREE | BEV_OPT_THREADSAFE | \
	BEV_OPT_DEFER_CALLBACKS | BEV_OPT_UNLOCK_CALLBACKS)

struct xport_listener;

struct xport {
	const char	*name;
	bool		 tls;
	bool		 direct;	/* a thread may send() on the socket */
	/* The listening socket for where; -1 with a message in err. */
	int		(*open)(struct xport_listener *l, const char *where,
			    mode_t mode, char *err, size_t errlen);
	/* Fills p for the accepted fd (sa from accept); -1 to refuse it. */
	int		(*peer)(int fd, const struct sockaddr *sa,
			    struct xport_peer *p);
	struct bufferevent *(*wrap)(struct event_base *base, int fd,
			    SSL_CTX *tls);
};

struct xport_listener {
	struct evconnlistener	*evl;
	const struct xport	*t;
	SSL_CTX			*tls;
	xport_accept_fn		 fn;
	void			*arg;
	xport_base_fn		 base_fn;	/* NULL: the listener's loop */
	void			*base_arg;
	char			*path;		/* unix: the socket file */
	dev_t			 dev;
	ino_t			 ino;
};

/* TCP */

static int
xport_tcp_open(struct xport_listener *l, const char *where, mode_t mode,
    char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	int sslen = sizeof(ss), fd, one = 1;

	(void)l;
	(void)mode;
	memset(&ss, 0, sizeof(ss));
	if (evutil_parse_sockaddr_port(where, (struct sockaddr *)&ss, &sslen) != 0) {
		snprintf(err, errlen, "invalid listen address %s", where);
		return -1;
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* "::" and "0.0.0.0" may both be listed: each takes its own family */
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sslen) == 0 && listen(fd, XPORT_BACKLOG) == 0)
		return fd;
	close(fd);
fail:
	snprintf(err, errlen, "cannot listen on %s: %s", where, strerror(errno));
	return -1;
}

static int
xport_tcp_peer(int fd, const struct sockaddr *sa, struct xport_peer *p)
{
	char a[INET6_ADDRSTRLEN];
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
		snprintf(p->name, sizeof(p->name), "%s:%u", a, ntohs(sin->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a));
		snprintf(p->name, sizeof(p->name), "[%s]:%u", a, ntohs(sin6->sin6_port));
	}
	return 0;
}

static struct bufferevent *
xport_tcp_wrap(struct event_base *base, int fd, SSL_CTX *tls)
{
	(void)tls;
	return bufferevent_socket_new(base, fd, XPORT_BEV_OPTS);
}

static struct bufferevent *
xport_tls_wrap(struct event_base *base, int fd, SSL_CTX *tls)
{
	struct bufferevent *bev;
	SSL *ssl;

	if (tls == NULL || (ssl = SSL_new(tls)) == NULL)
		return NULL;
	/* the bufferevent frees ssl (BEV_OPT_CLOSE_ON_FREE), even on failure */
	bev = bufferevent_openssl_socket_new(base, fd, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, XPORT_BEV_OPTS);
	return bev;
}

/* Unix sockets */

/* mkdir -p of path's directory (new ones 0755). */
static int
xport_mkdir_parent(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *p;

	snprintf(dir, sizeof(dir), "%s", path);
	if ((p = strrchr(dir, '/')) == NULL || p == dir)
		return 0;
	*p = '\0';
	for (p = dir + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(dir, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

/*
 * A socket file left at sun by a process that died is removed; one that
 * a live server answers on, or a file that is not a socket, is kept and
 * refused.
 */
static int
xport_unix_clear(const struct sockaddr_un *sun, char *err, size_t errlen)
{
	struct stat st;
	int fd, rc;

	if (lstat(sun->sun_path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "cannot listen on %s: %s", sun->sun_path,
		    strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "cannot listen on %s: it exists and is not a socket",
		    sun->sun_path);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		rc = errno;
	else {
		rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0 ?
		    0 : errno;
		close(fd);
	}
	if (rc != ECONNREFUSED) {
		snprintf(err, errlen, "cannot listen on %s: %s", sun->sun_path,
		    rc == 0 ? "another server answers on it" : strerror(rc));
		return -1;
	}
	log_info("removing stale socket %s", sun->sun_path);
	if (unlink(sun->sun_path) != 0 && errno != ENOENT) {
		snprintf(err, errlen, "cannot remove %s: %s", sun->sun_path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

static int
xport_unix_open(struct xport_listener *l, const char *where, mode_t mode,
    char *err, size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	if (where[0] != '/' || strlen(where) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "socket %s: needs an absolute path under %zu bytes",
		    where, sizeof(sun.sun_path));
		return -1;
	}
	memcpy(sun.sun_path, where, strlen(where) + 1);
	if (xport_mkdir_parent(where) != 0) {
		snprintf(err, errlen, "cannot create the directory of %s: %s", where,
		    strerror(errno));
		return -1;
	}
	if (xport_unix_clear(&sun, err, errlen) != 0)
		return -1;
	if ((l->path = strdup(where)) == NULL ||
	    (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		goto fail;
	if (bind(fd, (const struct sockaddr *)&sun, sizeof(sun)) != 0) {
		close(fd);
		goto fail;
	}
	/* who may connect is the mode's business; what each may do, the
	 * protocol's, from the peer's uid */
	if (chmod(where, mode) != 0 || listen(fd, XPORT_BACKLOG) != 0 ||
	    stat(where, &st) != 0) {
		int e = errno;
		close(fd);
		unlink(where);
		errno = e;
		goto fail;
	}
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	return fd;
fail:
	snprintf(err, errlen, "cannot listen on %s: %s", where, strerror(errno));
	return -1;
}

/* The client's credentials as the kernel saw them at connect: a client
 * cannot change them afterwards. */
static int
xport_unix_peer(int fd, const struct sockaddr *sa, struct xport_peer *p)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	(void)sa;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0 ||
	    len != sizeof(cr)) {
		log_error("no peer credentials on a local connection: %s",
		    strerror(errno));
		return -1;
	}
	p->local = true;
	p->uid = cr.uid;
	p->gid = cr.gid;
	p->pid = cr.pid;
	snprintf(p->name, sizeof(p->name), "uid=%lu:pid=%ld",
	    (unsigned long)cr.uid, (long)cr.pid);
	return 0;
}

const struct xport xport_tcp = {
	"tcp", false, true, xport_tcp_open, xport_tcp_peer, xport_tcp_wrap
};
const struct xport xport_tls = {
	"tls", true, false, xport_tcp_open, xport_tcp_peer, xport_tls_wrap
};
const struct xport xport_unix = {
	"unix", false, true, xport_unix_open, xport_unix_peer, xport_tcp_wrap
};

const char *
xport_name(const struct xport *t)
{
	return t->name;
}

bool
xport_is_tls(const struct xport *t)
{
	return t->tls;
}

static void
xport_accept(struct evconnlistener *evl, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct xport_listener *l = arg;
	struct xport_peer peer;
	struct bufferevent *bev;

	(void)salen;
	memset(&peer, 0, sizeof(peer));
	if (l->t->peer(fd, sa, &peer) != 0) {
		evutil_closesocket(fd);
		return;
	}
	if ((bev = l->t->wrap(l->base_fn != NULL ? l->base_fn(l->base_arg) :
	    evconnlistener_get_base(evl), fd, l->tls)) == NULL) {
		log_error("cannot set up a connection from %s", peer.name);
		evutil_closesocket(fd);
		return;
	}
	l->fn(bev, l->t, &peer, l->arg);
}

static void
xport_accept_error(struct evconnlistener *evl, void *arg)
{
	(void)evl;
	(void)arg;
	log_error("accept: %s", strerror(errno));
}

struct xport_listener *
xport_listen(struct event_base *base, const struct xport *t, const char *where,
    mode_t mode, SSL_CTX *tls, xport_accept_fn fn, void *arg, char *err,
    size_t errlen)
{
	struct xport_listener *l;
	int fd;

	if (t->tls && tls == NULL) {
		snprintf(err, errlen, "cannot listen on %s: TLS needs a certificate", where);
		return NULL;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	l->t = t;
	l->tls = tls;
	l->fn = fn;
	l->arg = arg;
	if ((fd = t->open(l, where, mode, err, errlen)) < 0) {
		free(l->path);
		free(l);
		return NULL;
	}
	l->evl = evconnlistener_new(base, xport_accept, l, LEV_OPT_CLOSE_ON_FREE, -1, fd);
	if (l->evl == NULL) {
		snprintf(err, errlen, "cannot listen on %s: %s", where, strerror(errno));
		close(fd);
		l->evl = NULL;
		xport_listener_free(l);
		return NULL;
	}
	evconnlistener_set_error_cb(l->evl, xport_accept_error);
	return l;
}

void
xport_listener_set_base(struct xport_listener *l, xport_base_fn fn, void *arg)
{
	l->base_fn = fn;
	l->base_arg = arg;
}

void
xport_listener_disable(struct xport_listener *l)
{
	if (l->evl != NULL)
		evconnlistener_disable(l->evl);
}

void
xport_listener_free(struct xport_listener *l)
{
	struct stat st;

	if (l == NULL)
		return;
	if (l->evl != NULL)
		evconnlistener_free(l->evl);
	if (l->path != NULL && stat(l->path, &st) == 0 &&
	    st.st_dev == l->dev && st.st_ino == l->ino)
		unlink(l->path);
	free(l->path);
	free(l);
}

void
xport_write(const struct xport *t, struct bufferevent *bev, const void *buf,
    size_t len)
{
	size_t off = 0;

	if (!t->direct) {
		bufferevent_write(bev, buf, len);
		return;
	}
	/* the bufferevent lock orders this with the loop's own writes */
	bufferevent_lock(bev);
	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0) {
		ssize_t n = send(bufferevent_getfd(bev), buf, len,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0)
			off = (size_t)n;
	}
	/* a failed send leaves it to the loop, which reports the error */
	if (off < len)
		bufferevent_write(bev, (const char *)buf + off, len - off);
	bufferevent_unlock(bev);
}

struct bufferevent *
xport_starttls(struct event_base *base, struct bufferevent *bev, SSL_CTX *tls)
{
	SSL *ssl;

	if (tls == NULL || (ssl = SSL_new(tls)) == NULL)
		return NULL;
	return bufferevent_openssl_filter_new(base, bev, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, XPORT_BEV_OPTS);
}
