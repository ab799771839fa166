/*
 * vecsd_pull.c: the trusted-roots puller, one thread beside the event
 * loop. It keeps one LDAP connection to its node's vmdird (the local
 * socket with SASL EXTERNAL by default, or ldap(s):// bound as the node's
 * machine account) and reconciles TRUSTED_ROOTS and TRUSTED_ROOT_CRLS
 * with what the directory publishes (vecsd_dirca.c, vecsd_reconcile.c):
 *  - every sync_interval seconds;
 *  - when a client asks (force-refresh), answering it once a pass that
 *    started after the request has ended;
 *  - when the directory changed: every watch_interval_ms it reads the root
 *    DSE's highestCommittedUSN and reconciles when that moved. A base
 *    search on an open connection costs vmdird next to nothing and holds
 *    none of its threads, unlike a waiting request; any write on any node
 *    reaches this node by replication and moves the USN, so a published
 *    root is here within one watch interval of arriving.
 * It also writes the hashed directory (vecsd_capath.c) after every change
 * of those stores, its own or a client's. Network waits happen without
 * any lock; storage is touched under the context's storage lock, which
 * request handlers hold too, so a pass is atomic to clients and the event
 * loop waits at most for a few storage writes, never for the network.
 * While vmdird does not answer the stores stay as they are; the log says
 * so once, and the status (vecsd_pull_status) keeps the last success and
 * the error.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <ldap.h>

#include "ldapc.h"
#include "log.h"
#include "vecs/vecsd.h"

/* a connection attempt that fails is retried after this much, doubling */
#define PULL_RETRY_MAX_MS	2000
#define PULL_NET_TIMEOUT	3
#define PULL_OP_TIMEOUT		10

struct pull_waiter {
	uint64_t		 conn;
	int			 rc;
	char			*why;
	struct pull_waiter	*next;
};

struct vecsd_pull {
	struct vecsd_ctx	*ctx;
	const struct vecsd_conf	*conf;
	char			*uri;		/* NULL: no puller */
	const char		*ca_path;	/* NULL: no hashed directory */
	pthread_t		 thread;
	struct event		*ev;		/* delivers answers on the loop */

	/* under mu */
	pthread_mutex_t		 mu;
	pthread_cond_t		 cond;
	bool			 stop;
	bool			 dirty;		/* the hashed directory must follow */
	struct pull_waiter	*waiting;	/* refreshes not yet started */
	struct pull_waiter	*done;		/* answers for the loop */
	char			 state[16];
	time_t			 last_sync, last_attempt, last_error_time;
	char			 last_error[512];
	uint64_t		 usn, syncs;
	struct vecsd_reconcile_counts counts;

	/* the thread's own */
	LDAP			*ld;
	char			*config;	/* configurationNamingContext */
	uint64_t		 seen_usn;	/* reconciled up to */
	bool			 fresh;		/* new connection: reconcile whatever the USN */
	bool			 failing;	/* the last attempt failed (logged once) */
	int			 retry_ms;
};

static void
pull_lock(struct vecsd_pull *p)
{
	pthread_mutex_lock(&p->mu);
}

static void
pull_unlock(struct vecsd_pull *p)
{
	pthread_mutex_unlock(&p->mu);
}

static bool
pull_off(const char *s)
{
	return s == NULL || s[0] == '\0' || strcasecmp(s, "none") == 0;
}

/* Reads the machine account's password (caller wipes and frees). */
static char *
pull_password(const char *path, char *err, size_t errlen)
{
	char buf[1024];
	ssize_t n;
	int fd;
	char *s;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	s = strdup(buf);
	explicit_bzero(buf, sizeof(buf));
	if (s == NULL)
		snprintf(err, errlen, "out of memory");
	return s;
}

static void
pull_disconnect(struct vecsd_pull *p)
{
	if (p->ld != NULL)
		ldap_unbind_ext_s(p->ld, NULL, NULL);
	p->ld = NULL;
	free(p->config);
	p->config = NULL;
}

/* Connects and binds when there is no connection. An LDAP code. */
static int
pull_connect(struct vecsd_pull *p, char *err, size_t errlen)
{
	const struct vecsd_conf *c = p->conf;
	struct ldapc_opts o = {
		.uri = p->uri,
		.net_timeout = PULL_NET_TIMEOUT,
		.op_timeout = PULL_OP_TIMEOUT,
	};
	char *pw = NULL, *msg = NULL;
	int rc;

	if (p->ld != NULL)
		return LDAP_SUCCESS;
	if (c->vmdir_bind_dn == NULL) {
		o.external = true;
	} else {
		o.bind_dn = c->vmdir_bind_dn;
		if ((pw = pull_password(c->vmdir_password_file, err, errlen)) == NULL)
			return LDAP_OTHER;
		o.password = pw;
	}
	if (!ldapc_is_ldapi(p->uri)) {
		o.tls_demand = strncasecmp(p->uri, "ldaps://", 8) == 0;
		o.ca_file = c->vmdir_ca_file;
		if (o.ca_file == NULL)
			o.ca_dir = p->ca_path;
	}
	rc = ldapc_connect(&o, &p->ld, &msg);
	if (pw != NULL) {
		explicit_bzero(pw, strlen(pw));
		free(pw);
	}
	if (rc != LDAP_SUCCESS) {
		snprintf(err, errlen, "%s", msg != NULL ? msg : ldap_err2string(rc));
		p->ld = NULL;
	} else
		p->fresh = true;
	free(msg);
	return rc;
}

/* The failure of an LDAP call on the connection, in err. */
static int
pull_ldap_fail(struct vecsd_pull *p, int rc, const char *what, char *err, size_t errlen)
{
	char *m = ldapc_errmsg(p->ld, rc);

	snprintf(err, errlen, "%s: %s (%s)", what, m != NULL ? m : ldap_err2string(rc), p->uri);
	free(m);
	pull_disconnect(p);
	return rc;
}

/* Storage under the lock: the stores' entries for the hashed directory. */
static int
pull_capath(struct vecsd_pull *p)
{
	struct vecsd_entry *roots = NULL, *crls = NULL;
	struct vecsd_reconcile_counts n = { 0 };
	size_t nr = 0, nc = 0;
	char err[512];
	int rc;

	pthread_mutex_lock(&p->ctx->lock);
	if ((rc = vecsd_db_entry_list(p->ctx->db, "TRUSTED_ROOTS", &roots, &nr)) == 0)
		rc = vecsd_db_entry_list(p->ctx->db, "TRUSTED_ROOT_CRLS", &crls, &nc);
	pthread_mutex_unlock(&p->ctx->lock);
	if (rc == 0) {
		n.roots = (unsigned)nr;
		n.crls = (unsigned)nc;
		for (size_t i = 0; i < nr; i++)
			n.roots_pulled += roots[i].pulled;
		for (size_t i = 0; i < nc; i++)
			n.crls_pulled += crls[i].pulled;
		pull_lock(p);
		p->counts.roots = n.roots;
		p->counts.roots_pulled = n.roots_pulled;
		p->counts.crls = n.crls;
		p->counts.crls_pulled = n.crls_pulled;
		pull_unlock(p);
	}
	if (rc == 0 && p->ca_path != NULL &&
	    vecsd_capath_write(p->ca_path, roots, nr, crls, nc, err, sizeof(err)) != 0) {
		log_error("puller: the hashed directory %s: %s", p->ca_path, err);
		rc = VECS_ERR_INTERNAL;
	} else if (rc == 0 && p->ca_path != NULL)
		log_debug("puller: %s holds %zu roots and %zu CRLs", p->ca_path, nr, nc);
	vecsd_entries_free(roots, nr);
	vecsd_entries_free(crls, nc);
	return rc;
}

/*
 * One pass: connect if needed, read the USN, and unless force is false and
 * the USN has not moved, read the directory and reconcile. 0, else a
 * VECS_ERR_* code with the reason in err.
 */
static int
pull_pass(struct vecsd_pull *p, bool force, bool *changed, char *err, size_t errlen)
{
	struct vecsd_dirca ca;
	struct vecsd_reconcile_counts n;
	uint64_t usn;
	char *config = NULL;
	int rc;

	*changed = false;
	if ((rc = pull_connect(p, err, errlen)) != LDAP_SUCCESS)
		return VECS_ERR_CANNOT_CONNECT;
	rc = vecsd_dirca_usn(p->ld, &usn, p->config == NULL ? &config : NULL);
	if (rc != LDAP_SUCCESS) {
		free(config);
		pull_ldap_fail(p, rc, "reading the root DSE", err, errlen);
		return VECS_ERR_CANNOT_CONNECT;
	}
	if (config != NULL)
		p->config = config;
	pull_lock(p);
	p->usn = usn;
	pull_unlock(p);
	if (!force && !p->fresh && usn == p->seen_usn)
		return 0;
	if (p->config == NULL) {
		snprintf(err, errlen, "the root DSE of %s names no configurationNamingContext",
		    p->uri);
		pull_disconnect(p);
		return VECS_ERR_INTERNAL;
	}
	if ((rc = vecsd_dirca_read(p->ld, p->config, &ca)) != LDAP_SUCCESS) {
		pull_ldap_fail(p, rc, "reading the trusted roots", err, errlen);
		return ldapc_unreachable(rc) ? VECS_ERR_CANNOT_CONNECT : VECS_ERR_INTERNAL;
	}
	pthread_mutex_lock(&p->ctx->lock);
	rc = vecsd_reconcile(p->ctx->db, &ca, &n);
	pthread_mutex_unlock(&p->ctx->lock);
	vecsd_dirca_free(&ca);
	if (rc != 0) {
		snprintf(err, errlen, "storage failure (%s)", vecs_err_name(rc));
		return rc;
	}
	p->seen_usn = usn;
	p->fresh = false;
	*changed = n.added + n.removed + n.marked > 0;
	if (*changed)
		log_info("puller: reconciled at USN %" PRIu64 ": %u added, %u now pulled, "
		    "%u removed", usn, n.added, n.marked, n.removed);
	pull_lock(p);
	p->syncs++;
	p->counts = n;
	pull_unlock(p);
	return 0;
}

/* Records how a pass went and logs a change of fortune once. */
static void
pull_record(struct vecsd_pull *p, int rc, const char *err)
{
	time_t now = time(NULL);

	pull_lock(p);
	p->last_attempt = now;
	if (rc == 0) {
		p->last_sync = now;
		snprintf(p->state, sizeof(p->state), "ok");
	} else {
		p->last_error_time = now;
		snprintf(p->last_error, sizeof(p->last_error), "%s", err);
		snprintf(p->state, sizeof(p->state), "%s",
		    rc == VECS_ERR_CANNOT_CONNECT ? "unreachable" : "failing");
	}
	pull_unlock(p);
	if (rc != 0 && !p->failing)
		log_warn("puller: %s; TRUSTED_ROOTS and TRUSTED_ROOT_CRLS stay as they are "
		    "until it answers", err);
	else if (rc != 0)
		log_debug("puller: still failing: %s", err);
	else if (p->failing)
		log_info("puller: %s answers again", p->uri);
	p->failing = rc != 0;
}

/* Hands answers to the loop (mu held). */
static void
pull_answer(struct vecsd_pull *p, struct pull_waiter *w, int rc, const char *err)
{
	struct pull_waiter *next;

	for (; w != NULL; w = next) {
		next = w->next;
		w->rc = rc;
		w->why = rc != 0 ? strdup(err) : NULL;
		w->next = p->done;
		p->done = w;
	}
	if (p->done != NULL)
		event_active(p->ev, EV_READ, 0);
}

/* The loop's side: sends the answers the thread left. */
static void
pull_deliver(evutil_socket_t fd, short what, void *arg)
{
	struct vecsd_pull *p = arg;
	struct pull_waiter *w, *next;
	struct vecs_buf b;

	pull_lock(p);
	w = p->done;
	p->done = NULL;
	pull_unlock(p);
	for (; w != NULL; w = next) {
		next = w->next;
		vecs_buf_init(&b, (uint32_t)w->rc);
		if (w->rc != 0)
			vecs_buf_add_str(&b, w->why != NULL ? w->why : vecs_err_name(w->rc));
		vecsd_conn_answer(w->conn, &b);
		free(w->why);
		free(w);
	}
}

static void
pull_deadline(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

static bool
pull_due(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > t->tv_sec || (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

static const struct timespec *
pull_earliest(const struct timespec *a, const struct timespec *b)
{
	if (a->tv_sec != b->tv_sec)
		return a->tv_sec < b->tv_sec ? a : b;
	return a->tv_nsec <= b->tv_nsec ? a : b;
}

static void *
pull_main(void *arg)
{
	struct vecsd_pull *p = arg;
	struct timespec next_sync, next_watch;
	const struct timespec *wake;
	struct pull_waiter *w;
	char err[768];
	bool force, changed;
	int rc, watch = p->conf->watch_interval_ms;

	/* the hashed directory follows the stores from the start */
	pull_capath(p);
	pull_deadline(&next_sync, 0);
	pull_deadline(&next_watch, 0);
	pull_lock(p);
	while (!p->stop) {
		if (p->dirty) {
			p->dirty = false;
			pull_unlock(p);
			pull_capath(p);
			pull_lock(p);
			continue;
		}
		if (p->uri == NULL) {
			/* no directory: a refresh has nothing to do */
			if (p->waiting != NULL) {
				w = p->waiting;
				p->waiting = NULL;
				pull_answer(p, w, 0, "");
			}
			pthread_cond_wait(&p->cond, &p->mu);
			continue;
		}
		force = p->waiting != NULL || pull_due(&next_sync);
		if (!force && !(watch > 0 && pull_due(&next_watch))) {
			wake = watch > 0 ? pull_earliest(&next_sync, &next_watch) : &next_sync;
			/* the condition variable runs on CLOCK_MONOTONIC (vecsd_pull_start) */
			pthread_cond_timedwait(&p->cond, &p->mu, wake);
			continue;
		}
		w = p->waiting;
		p->waiting = NULL;
		pull_unlock(p);
		err[0] = '\0';
		rc = pull_pass(p, force, &changed, err, sizeof(err));
		if (rc == VECS_ERR_CANNOT_CONNECT) {
			char m[sizeof(err)];

			snprintf(m, sizeof(m), "vmdird does not answer: %s", err);
			snprintf(err, sizeof(err), "%s", m);
		}
		pull_record(p, rc, err);
		if (changed)
			pull_capath(p);
		if (rc == 0) {
			p->retry_ms = watch;
			if (force)
				pull_deadline(&next_sync, p->conf->sync_interval * 1000);
		} else {
			/* retry soon, then less often, never slower than every 2 s */
			p->retry_ms = p->retry_ms <= 0 ? 250 : p->retry_ms * 2;
			if (p->retry_ms > PULL_RETRY_MAX_MS)
				p->retry_ms = PULL_RETRY_MAX_MS;
			if (force)
				pull_deadline(&next_sync, p->conf->sync_interval * 1000);
		}
		pull_deadline(&next_watch, rc == 0 ? watch : p->retry_ms);
		pull_lock(p);
		pull_answer(p, w, rc, err);
	}
	pull_unlock(p);
	pull_disconnect(p);
	return NULL;
}

struct vecsd_pull *
vecsd_pull_start(struct vecsd_ctx *ctx, const struct vecsd_conf *conf,
    struct event_base *base)
{
	struct vecsd_pull *p = calloc(1, sizeof(*p));
	pthread_condattr_t ca;
	int rc;

	if (p == NULL)
		return NULL;
	p->ctx = ctx;
	p->conf = conf;
	p->ca_path = pull_off(conf->ca_path) ? NULL : conf->ca_path;
	snprintf(p->state, sizeof(p->state), "disabled");
	if (!pull_off(conf->vmdir_uri)) {
		if ((rc = ldapc_uri(conf->vmdir_uri, 389, &p->uri)) != LDAP_SUCCESS) {
			log_error("vmdir_uri '%s' is not a path or an ldap://, ldaps:// or "
			    "ldapi:// URI", conf->vmdir_uri);
			free(p);
			return NULL;
		}
		if (!ldapc_is_ldapi(p->uri) && (conf->vmdir_bind_dn == NULL ||
		    conf->vmdir_password_file == NULL)) {
			log_error("vmdir_uri %s needs vmdir_bind_dn and vmdir_password_file "
			    "(SASL EXTERNAL works on the local socket only)", p->uri);
			free(p->uri);
			free(p);
			return NULL;
		}
		snprintf(p->state, sizeof(p->state), "starting");
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cond, &ca);
	pthread_condattr_destroy(&ca);
	if ((p->ev = event_new(base, -1, 0, pull_deliver, p)) == NULL ||
	    (rc = pthread_create(&p->thread, NULL, pull_main, p)) != 0) {
		log_error("cannot start the puller");
		if (p->ev != NULL)
			event_free(p->ev);
		free(p->uri);
		free(p);
		return NULL;
	}
	if (p->uri != NULL)
		log_info("puller: reconciling TRUSTED_ROOTS with %s every %d s and within "
		    "%d ms of a change%s%s", p->uri, conf->sync_interval,
		    conf->watch_interval_ms, p->ca_path ? "; hashed directory " : "",
		    p->ca_path ? p->ca_path : "");
	else
		log_info("puller: off (vmdir_uri = none)%s%s",
		    p->ca_path ? "; hashed directory " : "", p->ca_path ? p->ca_path : "");
	return p;
}

static void
pull_free_list(struct pull_waiter *w)
{
	struct pull_waiter *next;

	for (; w != NULL; w = next) {
		next = w->next;
		free(w->why);
		free(w);
	}
}

void
vecsd_pull_stop(struct vecsd_pull *p)
{
	if (p == NULL)
		return;
	pull_lock(p);
	p->stop = true;
	pthread_cond_signal(&p->cond);
	pull_unlock(p);
	pthread_join(p->thread, NULL);
	pull_free_list(p->waiting);
	pull_free_list(p->done);
	event_free(p->ev);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->mu);
	free(p->uri);
	free(p);
}

int
vecsd_pull_refresh(struct vecsd_pull *p, uint64_t conn)
{
	struct pull_waiter *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return VECS_ERR_NO_MEMORY;
	pull_lock(p);
	w->conn = conn;
	w->next = p->waiting;
	p->waiting = w;
	pthread_cond_signal(&p->cond);
	pull_unlock(p);
	return 0;
}

void
vecsd_pull_changed(struct vecsd_pull *p)
{
	pull_lock(p);
	p->dirty = true;
	pthread_cond_signal(&p->cond);
	pull_unlock(p);
}

static void
pull_field(struct vecs_buf *out, const char *name, const char *fmt, ...)
{
	char v[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v, sizeof(v), fmt, ap);
	va_end(ap);
	vecs_buf_add_str(out, name);
	vecs_buf_add_str(out, v);
}

void
vecsd_pull_status(struct vecsd_pull *p, struct vecs_buf *out)
{
	pull_lock(p);
	pull_field(out, "state", "%s", p->state);
	pull_field(out, "vmdir_uri", "%s", p->uri != NULL ? p->uri : "");
	pull_field(out, "ca_path", "%s", p->ca_path != NULL ? p->ca_path : "");
	pull_field(out, "last_sync", "%lld", (long long)p->last_sync);
	pull_field(out, "last_attempt", "%lld", (long long)p->last_attempt);
	pull_field(out, "last_error", "%s", p->last_error);
	pull_field(out, "last_error_time", "%lld", (long long)p->last_error_time);
	pull_field(out, "usn", "%" PRIu64, p->usn);
	pull_field(out, "syncs", "%" PRIu64, p->syncs);
	pull_field(out, "sync_interval", "%d", p->conf->sync_interval);
	pull_field(out, "roots", "%u", p->counts.roots);
	pull_field(out, "roots_pulled", "%u", p->counts.roots_pulled);
	pull_field(out, "crls", "%u", p->counts.crls);
	pull_field(out, "crls_pulled", "%u", p->counts.crls_pulled);
	pull_unlock(p);
}
