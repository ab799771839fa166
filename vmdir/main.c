/*
 * main.c: vmdird start-up and shut-down: settings from the configuration
 * file and flags, one-time initialisation (--init), the data directory
 * lock, storage, listeners, the pid file and signals.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <openssl/crypto.h>

#include <uuid/uuid.h>

#include "server.h"
#include "repl.h"
#include "log.h"
#include "xport.h"

static struct server server;
struct server *srv = &server;

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: vmdird [options]\n"
	    "       vmdird --init --password PASS [options]\n"
	    "\n"
	    "  -f, --config FILE       configuration file (INI, section [server])\n"
	    "  -d, --data-dir DIR      data directory (default /var/lib/trellis/vmdir)\n"
	    "  -l, --listen ADDR       listen address (default 127.0.0.1)\n"
	    "  -p, --port PORT         LDAP port (default 389, 0 disables)\n"
	    "  -P, --ldaps-port PORT   LDAPS port (default off)\n"
	    "      --ldapi-socket PATH local socket (default %s, \"\" disables)\n"
	    "      --tls-cert FILE     PEM certificate chain for LDAPS and StartTLS\n"
	    "      --tls-key FILE      PEM private key\n"
	    "      --pid-file FILE     write the process id here\n"
	    "      --log-level LEVEL   error, warn, info, debug or trace (default info)\n"
	    "      --syslog            log to syslog instead of standard error\n"
	    "      --schema-dir DIR    schema files (default %s)\n"
	    "      --domain NAME       domain for --init (default vsphere.local)\n"
	    "      --site NAME         site for --init (default Default-First-Site)\n"
	    "      --node NAME         this node's name (default: host name)\n"
	    "  -o, --set KEY=VALUE     any configuration setting\n"
	    "      --init              initialise the data directory and exit\n"
	    "      --join URI          join the domain of the node at URI (with the\n"
	    "                          Administrator's --password) and exit\n"
	    "      --password PASS     Administrator password for --init\n"
	    "      --password-file F   read it from a file instead\n"
	    "  -h, --help              this help\n"
	    "  -V, --version           print the version\n"
	    "\n"
	    "Signals: TERM/INT stop cleanly; USR1 raises the log level, USR2 lowers it.\n",
	    LDAPI_DEFAULT, SCHEMA_DIR);
}

enum {
	OPT_TLS_CERT = 256, OPT_TLS_KEY, OPT_PID, OPT_LOG, OPT_SYSLOG, OPT_SCHEMA,
	OPT_DOMAIN, OPT_SITE, OPT_NODE, OPT_INIT, OPT_PASSWORD, OPT_PASSWORD_FILE,
	OPT_JOIN, OPT_LDAPI
};

static const struct option main_opts[] = {
	{ "config", required_argument, NULL, 'f' },
	{ "data-dir", required_argument, NULL, 'd' },
	{ "listen", required_argument, NULL, 'l' },
	{ "port", required_argument, NULL, 'p' },
	{ "ldaps-port", required_argument, NULL, 'P' },
	{ "ldapi-socket", required_argument, NULL, OPT_LDAPI },
	{ "tls-cert", required_argument, NULL, OPT_TLS_CERT },
	{ "tls-key", required_argument, NULL, OPT_TLS_KEY },
	{ "pid-file", required_argument, NULL, OPT_PID },
	{ "log-level", required_argument, NULL, OPT_LOG },
	{ "syslog", no_argument, NULL, OPT_SYSLOG },
	{ "schema-dir", required_argument, NULL, OPT_SCHEMA },
	{ "domain", required_argument, NULL, OPT_DOMAIN },
	{ "site", required_argument, NULL, OPT_SITE },
	{ "node", required_argument, NULL, OPT_NODE },
	{ "set", required_argument, NULL, 'o' },
	{ "init", no_argument, NULL, OPT_INIT },
	{ "join", required_argument, NULL, OPT_JOIN },
	{ "password", required_argument, NULL, OPT_PASSWORD },
	{ "password-file", required_argument, NULL, OPT_PASSWORD_FILE },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

static const char *const main_keys[] = {
	[OPT_TLS_CERT - 256] = "tls_cert", [OPT_TLS_KEY - 256] = "tls_key",
	[OPT_PID - 256] = "pid_file", [OPT_LOG - 256] = "log_level",
	[OPT_SCHEMA - 256] = "schema_dir", [OPT_DOMAIN - 256] = "domain",
	[OPT_SITE - 256] = "site", [OPT_NODE - 256] = "node",
	[OPT_LDAPI - 256] = "ldapi_socket",
};


/* Wipes and frees a password; accepts NULL. */
static void
main_wipe(char *pw)
{
	if (pw != NULL)
		OPENSSL_cleanse(pw, strlen(pw));
	free(pw);
}

/* --init writes the default policy, which the Administrator's password
 * must meet; refused before anything is created on disk. */
static bool
main_init_password_ok(const char *pw)
{
	struct policy p;
	struct diag d;

	policy_defaults(&p);
	if (policy_check_password(&p, pw, strlen(pw), &d) == LDAP_SUCCESS)
		return true;
	fprintf(stderr, "vmdird: --init: %s\n", d.text);
	return false;
}

/* One process per data directory: recovery on open assumes it. */
static int
main_lock(void)
{
	char path[4096];
	int fd;

	if (mkdir(srv->conf.data_dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "vmdird: cannot create %s: %s\n", srv->conf.data_dir,
		    strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/vmdird.lock", srv->conf.data_dir);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0 ||
	    flock(fd, LOCK_EX | LOCK_NB) != 0) {
		fprintf(stderr, "vmdird: %s is in use by another vmdird\n",
		    srv->conf.data_dir);
		return -1;
	}
	return 0;
}

static int
main_open(void)
{
	struct be_config bc = { 0 };
	struct diag d;
	char *list, *tok, *save = NULL;
	const char *idx[64];
	size_t n = 0;
	int rc;

	diag_clear(&d);
	if (schema_load(srv->conf.schema_dir, &srv->schema, &d) != LDAP_SUCCESS) {
		fprintf(stderr, "vmdird: schema: %s\n", d.text);
		return -1;
	}
	if ((list = strdup(srv->conf.indexes)) == NULL)
		return -1;
	for (tok = strtok_r(list, ", ", &save); tok != NULL && n < 63;
	    tok = strtok_r(NULL, ", ", &save))
		idx[n++] = tok;
	idx[n] = NULL;
	bc.dir = srv->conf.data_dir;
	cache_plan(&bc);
	bc.indexes = idx;
	bc.nosync = srv->conf.nosync;
	rc = be_open(&bc, srv->schema, &srv->be, &d);
	free(list);
	if (rc != LDAP_SUCCESS) {
		fprintf(stderr, "vmdird: storage: %s\n", d.text);
		return -1;
	}
	cache_log();
	return init_names();
}

static int
main_init(const char *password)
{
	struct be_txn *t;
	struct diag d;
	char *v = NULL;
	int rc;

	if (password == NULL || password[0] == '\0') {
		fprintf(stderr, "vmdird: --init needs --password or --password-file\n");
		return 2;
	}
	if (be_begin(srv->be, false, &t) == LDAP_SUCCESS) {
		rc = be_meta_get(t, "invocationId", &v);
		be_abort(t);
		free(v);
		if (rc == LDAP_SUCCESS) {
			fprintf(stderr, "vmdird: %s is already initialised\n",
			    srv->conf.data_dir);
			return 1;
		}
	}
	diag_clear(&d);
	if (init_domain(password, &d) != LDAP_SUCCESS) {
		fprintf(stderr, "vmdird: initialisation failed: %s\n", d.text);
		return 1;
	}
	printf("Initialised %s: domain %s (%s), node %s, invocationId %s\n"
	    "Administrator: cn=Administrator,cn=Users,%s\n",
	    srv->conf.data_dir, srv->conf.domain, srv->suffix, srv->conf.node,
	    srv->invocation, srv->suffix);
	return 0;
}

static int
main_join(const char *uri, const char *password)
{
	struct be_txn *t;
	struct diag d;
	char myuri[300], *v = NULL;
	int rc;

	if (password == NULL || password[0] == '\0') {
		fprintf(stderr, "vmdird: --join needs the Administrator's --password\n");
		return 2;
	}
	if (be_begin(srv->be, false, &t) == LDAP_SUCCESS) {
		rc = be_meta_get(t, "invocationId", &v);
		be_abort(t);
		free(v);
		if (rc == LDAP_SUCCESS) {
			fprintf(stderr, "vmdird: %s is already initialised\n", srv->conf.data_dir);
			return 1;
		}
	}
	snprintf(myuri, sizeof(myuri), "ldap://%s:%d", srv->conf.listen, srv->conf.port);
	diag_clear(&d);
	if (join_domain(uri, password, myuri, &d) != LDAP_SUCCESS) {
		fprintf(stderr, "vmdird: join failed: %s\n", d.text);
		return 1;
	}
	return 0;
}

/* Reads the node's identity written by --init. */
static int
main_identity(void)
{
	struct be_txn *t;
	char *inv = NULL, *sid = NULL, *node = NULL, *domain = NULL, *site = NULL;
	int rc;

	if (be_begin(srv->be, false, &t) != LDAP_SUCCESS)
		return -1;
	rc = be_meta_get(t, "invocationId", &inv);
	if (rc == LDAP_SUCCESS)
		rc = be_meta_get(t, "serverId", &sid);
	/* the names chosen at --init hold for the data directory's life */
	if (rc == LDAP_SUCCESS && be_meta_get(t, "node", &node) == LDAP_SUCCESS) {
		free(srv->conf.node);
		srv->conf.node = node;
	}
	if (rc == LDAP_SUCCESS && be_meta_get(t, "site", &site) == LDAP_SUCCESS) {
		free(srv->conf.site);
		srv->conf.site = site;
	}
	if (rc == LDAP_SUCCESS && be_meta_get(t, "domain", &domain) == LDAP_SUCCESS) {
		free(srv->conf.domain);
		srv->conf.domain = domain;
	}
	be_abort(t);
	if (rc != LDAP_SUCCESS) {
		fprintf(stderr, "vmdird: %s is not initialised: run vmdird --init first\n",
		    srv->conf.data_dir);
		free(inv);
		return -1;
	}
	snprintf(srv->invocation, sizeof(srv->invocation), "%s", inv);
	srv->server_id = atoi(sid);
	free(inv);
	free(sid);
	init_free_names();
	return init_names() != 0 || state_load() != 0 ? -1 : 0;
}

/*
 * The local socket. A path that was set must work; the default one may
 * be out of reach (no root, no /run), which costs only local
 * administration: a warning then.
 */
static int
main_listen_ldapi(void)
{
	const char *path = srv->conf.ldapi_socket;

	if (path == NULL) {
		if (conn_listen(&xport_unix, LDAPI_DEFAULT) != 0)
			log_warn("no local socket: set ldapi_socket to a usable path "
			    "(or to \"\" to silence this)");
		return 0;
	}
	return path[0] == '\0' ? 0 : conn_listen(&xport_unix, path);
}

/* The LDAP and LDAPS ports on every address of the listen setting. */
static int
main_listen_inet(void)
{
	char *list, *addr, *save = NULL, where[300];
	int rc = 0;

	if ((list = strdup(srv->conf.listen)) == NULL)
		return -1;
	for (addr = strtok_r(list, ", \t", &save); addr != NULL && rc == 0;
	    addr = strtok_r(NULL, ", \t", &save)) {
		const char *fmt = strchr(addr, ':') != NULL ? "[%s]:%d" : "%s:%d";
		if (srv->conf.port > 0) {
			snprintf(where, sizeof(where), fmt, addr, srv->conf.port);
			rc = conn_listen(&xport_tcp, where);
		}
		if (rc == 0 && srv->conf.ldaps_port > 0) {
			snprintf(where, sizeof(where), fmt, addr, srv->conf.ldaps_port);
			rc = conn_listen(&xport_tls, where);
		}
	}
	free(list);
	return rc;
}

static struct event *main_stop_timer;

static void
main_purge_tick(evutil_socket_t fd, short what, void *arg)
{
	if (!srv->stopping)
		workq_push(delete_purge, NULL);
}

static void
main_stop_check(evutil_socket_t fd, short what, void *arg)
{
	/* a parked op goes on once its client reads, or is dropped */
	if (workq_idle() && durable_idle() && conn_parked() == 0)
		event_base_loopexit(srv->base, NULL);
}

static void
main_signal(evutil_socket_t sig, short what, void *arg)
{
	static const struct timeval tick = { 0, 20000 };
	enum log_level l = log_get_level();

	switch (sig) {
	case SIGUSR1:
		log_set_level(l < LOG_LVL_TRACE ? l + 1 : l);
		log_warn("log level now %s", log_level_name(log_get_level()));
		return;
	case SIGUSR2:
		log_set_level(l > LOG_LVL_ERROR ? l - 1 : l);
		log_warn("log level now %s", log_level_name(log_get_level()));
		return;
	}
	if (srv->stopping)
		return;
	log_info("signal %d: shutting down", (int)sig);
	srv->stopping = true;
	conn_stop_listening();
	http_stop_listening();
	main_stop_timer = event_new(srv->base, -1, EV_PERSIST, main_stop_check, NULL);
	event_add(main_stop_timer, &tick);
}

static int
main_pidfile(void)
{
	FILE *f;

	if (srv->conf.pid_file == NULL)
		return 0;
	if ((f = fopen(srv->conf.pid_file, "w")) == NULL) {
		log_error("cannot write %s: %s", srv->conf.pid_file, strerror(errno));
		return -1;
	}
	fprintf(f, "%ld\n", (long)getpid());
	return fclose(f) == 0 ? 0 : -1;
}

static int
main_rotate_txn(struct be_txn *t, void *arg, struct diag *d)
{
	const char *old = arg;
	struct utdv u = REPL_UTDV_INIT;
	struct entry *e = NULL, *nw = NULL;
	char *v = NULL, *out = NULL, *prev = NULL, *list = NULL;
	int rc;

	rc = be_meta_get(t, "utdv", &v);
	if (rc != LDAP_SUCCESS && rc != LDAP_NO_SUCH_OBJECT)
		return rc;
	if (v != NULL && repl_utdv_parse(v, &u) != LDAP_SUCCESS)
		log_error("stored up-to-dateness vector is malformed; starting afresh");
	free(v);
	/* everything the old incarnation made up to now is here */
	if ((rc = repl_utdv_set_max(&u, old, be_usn_highest(srv->be))) == LDAP_SUCCESS &&
	    (rc = repl_utdv_format(&u, &out)) == LDAP_SUCCESS)
		rc = be_meta_put(t, "utdv", out);
	repl_utdv_free(&u);
	free(out);
	if (rc == LDAP_SUCCESS)
		rc = be_meta_put(t, "invocationId", srv->invocation);
	if (rc == LDAP_SUCCESS) {
		int r = be_meta_get(t, "prevInvocations", &prev);
		if (r != LDAP_SUCCESS && r != LDAP_NO_SUCH_OBJECT)
			return r;
		if (asprintf(&list, "%s%s,", prev != NULL ? prev : "", old) < 0)
			list = NULL;
		rc = list != NULL ? be_meta_put(t, "prevInvocations", list) : LDAP_NO_MEMORY;
		free(prev);
		free(list);
	}
	if (rc != LDAP_SUCCESS)
		return rc;
	/* the server object shows the current incarnation */
	rc = be_get_dn(t, srv->server_ndn, &e);
	if (rc == LDAP_NO_SUCH_OBJECT)
		return LDAP_SUCCESS;	/* a joining node gets it from its partner */
	if (rc != LDAP_SUCCESS)
		return rc;
	if ((nw = entry_dup(e)) == NULL || entry_set_str(nw, "invocationId",
	    srv->invocation) != 0)
		rc = LDAP_NO_MEMORY;
	else if ((rc = write_stamp_modify(t, e, nw, "", d)) == LDAP_SUCCESS) {
		char *p = dn_parent(e->ndn);
		uint64_t pid = 0;
		rc = p != NULL ? be_dn2id(t, p, &pid) : LDAP_NO_MEMORY;
		if (rc == LDAP_SUCCESS)
			rc = be_update(t, e, nw, pid);
		free(p);
	}
	entry_free(e);
	entry_free(nw);
	return rc;
}

/*
 * Every start begins a new database incarnation: a node started from a
 * backup or a snapshot can then never reuse USNs its partners have already
 * seen under the old invocationId. The old one stays in the vector at the
 * USN the node really has, so changes it lost come back from partners.
 */
static int
main_rotate(void)
{
	char old[37];
	uuid_t u;
	struct diag d;

	memcpy(old, srv->invocation, sizeof(old));
	uuid_generate(u);
	uuid_unparse_lower(u, srv->invocation);
	diag_clear(&d);
	if (write_txn(main_rotate_txn, old, &d) != LDAP_SUCCESS) {
		log_error("cannot start a new incarnation: %s", d.text);
		return -1;
	}
	log_info("invocationId %s (previous %s, highest USN %llu)", srv->invocation, old,
	    (unsigned long long)be_usn_highest(srv->be));
	return 0;
}

static int
main_serve(void)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGUSR1, SIGUSR2 };
	struct event *sev[4], *purge_timer;

	if (main_identity() != 0 || main_rotate() != 0)
		return 1;
	if (srv->conf.tls_cert != NULL && srv->conf.tls_key != NULL &&
	    (srv->tls = tls_server_ctx(srv->conf.tls_cert, srv->conf.tls_key)) == NULL)
		return 1;
	if (srv->conf.ldaps_port > 0 && srv->tls == NULL) {
		log_error("an LDAPS port needs tls_cert and tls_key");
		return 1;
	}
	evthread_use_pthreads();
	if ((srv->base = event_base_new()) == NULL || loops_start(srv->conf.loops) != 0)
		return 1;
	if (main_listen_inet() != 0 || main_listen_ldapi() != 0 || http_listen() != 0)
		return 1;
	for (size_t i = 0; i < 4; i++) {
		sev[i] = evsignal_new(srv->base, sigs[i], main_signal, NULL);
		event_add(sev[i], NULL);
	}
	signal(SIGPIPE, SIG_IGN);
	if (workq_start(srv->conf.threads) != 0 || durable_start() != 0 ||
	    repl_start() != 0 || cache_start() != 0 || main_pidfile() != 0)
		return 1;
	srv->started = time(NULL);
	{
		/* tombstones are looked at ten times per lifetime, at least hourly */
		int every = srv->conf.tombstone_lifetime / 10;
		struct timeval tv = { every < 1 ? 1 : every > 3600 ? 3600 : every, 0 };
		purge_timer = event_new(srv->base, -1, EV_PERSIST, main_purge_tick, NULL);
		event_add(purge_timer, &tv);
	}
	log_info("vmdird %s serving %s as %s (serverId %d, invocationId %s)",
	    PACKAGE_VERSION, srv->suffix, srv->conf.node, srv->server_id, srv->invocation);
	event_base_dispatch(srv->base);
	cache_stop();
	loops_stop();
	repl_stop();
	workq_stop();
	durable_stop();
	conn_shutdown();
	loops_free();
	http_shutdown();
	for (size_t i = 0; i < 4; i++)
		event_free(sev[i]);
	if (main_stop_timer != NULL)
		event_free(main_stop_timer);
	event_free(purge_timer);
	if (srv->conf.pid_file != NULL)
		unlink(srv->conf.pid_file);
	log_info("stopped");
	return 0;
}

int
main(int argc, char **argv)
{
	char *password = NULL, *join = NULL;
	bool init = false;
	int ch, rc, level;

	/* worker threads need no arena each: keeps resident memory small */
	mallopt(M_ARENA_MAX, 2);
	conf_defaults(&srv->conf);
	/* the configuration file first, so flags override it */
	for (int i = 1; i < argc - 1; i++)
		if (strcmp(argv[i], "-f") == 0 || strcmp(argv[i], "--config") == 0)
			if (conf_load(&srv->conf, argv[i + 1]) != 0)
				return 2;
	while ((ch = getopt_long(argc, argv, "f:d:l:p:P:o:hV", main_opts, NULL)) != -1) {
		char *eq;
		rc = 0;
		switch (ch) {
		case 'f':
			break;
		case 'd': rc = conf_set(&srv->conf, "data_dir", optarg); break;
		case 'l': rc = conf_set(&srv->conf, "listen", optarg); break;
		case 'p': rc = conf_set(&srv->conf, "port", optarg); break;
		case 'P': rc = conf_set(&srv->conf, "ldaps_port", optarg); break;
		case 'o':
			if ((eq = strchr(optarg, '=')) == NULL) {
				fprintf(stderr, "vmdird: --set needs KEY=VALUE\n");
				return 2;
			}
			*eq = '\0';
			rc = conf_set(&srv->conf, optarg, eq + 1);
			break;
		case OPT_SYSLOG: srv->conf.syslog = true; break;
		case OPT_INIT: init = true; break;
		case OPT_JOIN: join = optarg; break;
		case OPT_PASSWORD: password = strdup(optarg); break;
		case OPT_PASSWORD_FILE:
			if ((password = init_read_secret(optarg)) == NULL) {
				fprintf(stderr, "vmdird: cannot read %s\n", optarg);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("vmdird %s\n", PACKAGE_VERSION); return 0;
		case '?': usage(stderr); return 2;
		default:
			rc = conf_set(&srv->conf, main_keys[ch - 256], optarg);
			break;
		}
		if (rc != 0)
			return 2;
	}
	if (optind < argc) {
		fprintf(stderr, "vmdird: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if ((level = log_level_parse(srv->conf.log_level)) < 0) {
		fprintf(stderr, "vmdird: unknown log level '%s'\n", srv->conf.log_level);
		return 2;
	}
	log_init("vmdird", srv->conf.syslog, level);
	if (init && password != NULL && !main_init_password_ok(password)) {
		main_wipe(password);
		return 2;
	}
	if (main_lock() != 0 || main_open() != 0)
		return 1;
	if (join != NULL)
		rc = main_join(join, password);
	else
		rc = init ? main_init(password) : main_serve();
	main_wipe(password);
	be_close(srv->be);
	schema_free(srv->schema);
	if (srv->tls != NULL)
		SSL_CTX_free(srv->tls);
	if (srv->base != NULL)
		event_base_free(srv->base);
	init_free_names();
	conf_free(&srv->conf);
	return rc;
}
