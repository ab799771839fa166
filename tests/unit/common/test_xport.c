/*
 * test_xport.c: the transport layer on real sockets: a Unix listener
 * (its mode, the client's credentials, stale and live socket files, the
 * file removed on close only if still its own), a TCP listener (the
 * peer's address), a TLS listener without a context, direct writes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/thread.h>

#include "log.h"
#include "xport.h"
#include "../tap.h"

struct got {
	int			 n;
	struct xport_peer	 peer;
	const struct xport	*t;
	struct bufferevent	*bev;
};

static void
accepted(struct bufferevent *bev, const struct xport *t,
    const struct xport_peer *peer, void *arg)
{
	struct got *g = arg;

	g->n++;
	g->peer = *peer;
	g->t = t;
	if (g->bev != NULL)
		bufferevent_free(g->bev);
	g->bev = bev;
}

/* Runs the loop until g saw want connections (at most 200 rounds). */
static void
wait_accept(struct event_base *base, struct got *g, int want)
{
	for (int i = 0; i < 200 && g->n < want; i++)
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK), usleep(5000);
}

static int
unix_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	memcpy(sun.sun_path, path, strnlen(path, sizeof(sun.sun_path) - 1));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A socket file that nothing listens on any more. */
static void
stale_socket(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	memcpy(sun.sun_path, path, strnlen(path, sizeof(sun.sun_path) - 1));
	bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
}

static void
test_unix(struct event_base *base, const char *dir)
{
	char path[256], peer[64], err[512], buf[16];
	struct xport_listener *l, *l2;
	struct got g = { 0 };
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/sub/dir/x.sock", dir);
	l = xport_listen(base, &xport_unix, path, 0600, NULL, accepted, &g, err,
	    sizeof(err));
	ok(l != NULL, "unix: listens on a path whose directories do not exist yet");
	ok(stat(path, &st) == 0 && S_ISSOCK(st.st_mode) && (st.st_mode & 0777) == 0600,
	    "unix: the socket file has the mode asked for");
	fd = unix_connect(path);
	wait_accept(base, &g, 1);
	is_int(g.n, 1, "unix: the connection reaches the protocol");
	ok(g.peer.local, "unix: the peer is local");
	is_int(g.peer.uid, getuid(), "unix: the peer's uid is the kernel's");
	is_int(g.peer.gid, getgid(), "unix: the peer's gid is the kernel's");
	is_int(g.peer.pid, getpid(), "unix: the peer's pid is the kernel's");
	snprintf(peer, sizeof(peer), "uid=%lu:pid=%ld", (unsigned long)getuid(),
	    (long)getpid());
	is_str(g.peer.name, peer, "unix: the peer's name");
	is_str(xport_name(g.t), "unix", "unix: the transport is named");
	ok(!xport_is_tls(g.t), "unix: not TLS");

	/* a direct write reaches the client without the loop running */
	xport_write(g.t, g.bev, "hello", 5);
	memset(buf, 0, sizeof(buf));
	is_int(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), 5,
	    "unix: a direct write is on the socket at once");
	is_str(buf, "hello", "unix: the bytes written");
	close(fd);

	l2 = xport_listen(base, &xport_unix, path, 0600, NULL, accepted, &g, err,
	    sizeof(err));
	ok(l2 == NULL && strstr(err, "another server answers on it") != NULL,
	    "unix: a live socket is refused (%s)", err);
	ok(stat(path, &st) == 0, "unix: the refused listen leaves the live file");

	/* someone replaced the file: closing leaves theirs */
	unlink(path);
	stale_socket(path);
	xport_listener_free(l);
	ok(stat(path, &st) == 0, "unix: closing keeps a file that is not its own");

	/* that file is stale now: a new listener replaces it */
	l = xport_listen(base, &xport_unix, path, 0666, NULL, accepted, &g, err,
	    sizeof(err));
	ok(l != NULL, "unix: a stale socket file is replaced");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0666, "unix: mode 0666");
	xport_listener_free(l);
	ok(stat(path, &st) != 0 && errno == ENOENT, "unix: closing removes its file");

	/* a regular file is not clobbered */
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	close(fd);
	l = xport_listen(base, &xport_unix, path, 0600, NULL, accepted, &g, err,
	    sizeof(err));
	ok(l == NULL && strstr(err, "it exists and is not a socket") != NULL,
	    "unix: a file that is not a socket is refused (%s)", err);
	ok(stat(path, &st) == 0 && S_ISREG(st.st_mode), "unix: and kept");
	unlink(path);

	l = xport_listen(base, &xport_unix, "relative.sock", 0600, NULL, accepted, &g,
	    err, sizeof(err));
	ok(l == NULL && strstr(err, "needs an absolute path") != NULL,
	    "unix: a relative path is refused (%s)", err);
	if (g.bev != NULL)
		bufferevent_free(g.bev);
}

/* A port nothing listens on right now (the kernel's choice). */
static int
free_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(fd, (struct sockaddr *)&sin, sizeof(sin));
	getsockname(fd, (struct sockaddr *)&sin, &len);
	port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

static void
test_tcp(struct event_base *base)
{
	struct xport_listener *l = NULL;
	struct sockaddr_in sin = { .sin_family = AF_INET }, me;
	socklen_t len = sizeof(me);
	char where[64], err[512], peer[64];
	struct got g = { 0 };
	int fd, port = 0;

	/* another process may take the port between the two steps: retry */
	for (int i = 0; i < 20 && l == NULL; i++) {
		port = free_port();
		snprintf(where, sizeof(where), "127.0.0.1:%d", port);
		l = xport_listen(base, &xport_tcp, where, 0, NULL, accepted, &g, err,
		    sizeof(err));
	}
	ok(l != NULL, "tcp: listens on %s", where);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ok(connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0, "tcp: connects");
	wait_accept(base, &g, 1);
	is_int(g.n, 1, "tcp: the connection reaches the protocol");
	getsockname(fd, (struct sockaddr *)&me, &len);
	snprintf(peer, sizeof(peer), "127.0.0.1:%u", ntohs(me.sin_port));
	is_str(g.peer.name, peer, "tcp: the peer is the client's address and port");
	ok(!g.peer.local, "tcp: the peer is not local");
	is_str(xport_name(g.t), "tcp", "tcp: the transport is named");
	close(fd);
	if (g.bev != NULL)
		bufferevent_free(g.bev);
	xport_listener_free(l);

	l = xport_listen(base, &xport_tcp, "not an address", 0, NULL, accepted, &g,
	    err, sizeof(err));
	ok(l == NULL && strstr(err, "invalid listen address") != NULL,
	    "tcp: a bad address is refused (%s)", err);
	l = xport_listen(base, &xport_tls, "127.0.0.1:0", 0, NULL, accepted, &g, err,
	    sizeof(err));
	ok(l == NULL && strstr(err, "TLS needs a certificate") != NULL,
	    "tls: no listener without a server context (%s)", err);
	ok(xport_is_tls(&xport_tls) && strcmp(xport_name(&xport_tls), "tls") == 0,
	    "tls: the transport is named and is TLS");
}

int
main(void)
{
	char dir[] = "/tmp/test_xport.XXXXXX";
	struct event_base *base;

	log_init("test_xport", false, LOG_LVL_ERROR);
	evthread_use_pthreads();
	if (mkdtemp(dir) == NULL || (base = event_base_new()) == NULL)
		return 1;
	test_unix(base, dir);
	test_tcp(base);
	event_base_free(base);
	{
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return tap_done();
}
