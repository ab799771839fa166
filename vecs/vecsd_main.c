/*
 * vecsd_main.c: vecsd start-up and shut-down: settings from the
 * configuration file and flags, the data directory's lock, storage and its
 * default stores, the socket, the pid file and signals.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "log.h"
#include "xport.h"
#include "vecs/vecsd.h"

static struct vecsd_conf conf;
static struct event_base *base;
static struct xport_listener *listener;

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: vecsd [options]\n"
	    "\n"
	    "  -f, --config FILE       configuration file (INI, section [server])\n"
	    "  -d, --data-dir DIR      data directory (default /var/lib/trellis/vecs/db)\n"
	    "  -s, --socket PATH       Unix socket (default %s)\n"
	    "      --pid-file FILE     write the process id here\n"
	    "      --log-level LEVEL   error, warn, info, debug or trace (default info)\n"
	    "      --syslog            log to syslog instead of standard error\n"
	    "  -o, --set KEY=VALUE     any configuration setting, e.g. vmdir_uri=none\n"
	    "                          (no puller) or ca_path=DIR (the hashed directory)\n"
	    "  -h, --help              this help\n"
	    "  -V, --version           print the version\n"
	    "\n"
	    "Signals: TERM/INT stop cleanly; USR1 raises the log level, USR2 lowers it.\n",
	    VECS_DEFAULT_SOCKET);
}

enum { OPT_PID = 256, OPT_LOG, OPT_SYSLOG };

static const struct option main_opts[] = {
	{ "config", required_argument, NULL, 'f' },
	{ "data-dir", required_argument, NULL, 'd' },
	{ "socket", required_argument, NULL, 's' },
	{ "pid-file", required_argument, NULL, OPT_PID },
	{ "log-level", required_argument, NULL, OPT_LOG },
	{ "syslog", no_argument, NULL, OPT_SYSLOG },
	{ "set", required_argument, NULL, 'o' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

/* One process per data directory: recovery at open assumes it. */
static int
vecsd_main_lock(void)
{
	char path[4096];
	int fd;

	if (mkdir(conf.data_dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "vecsd: cannot create %s: %s\n", conf.data_dir, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/vecsd.lock", conf.data_dir);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0 ||
	    flock(fd, LOCK_EX | LOCK_NB) != 0) {
		fprintf(stderr, "vecsd: %s is in use by another vecsd\n", conf.data_dir);
		return -1;
	}
	return 0;
}

static int
vecsd_main_pidfile(void)
{
	FILE *f;

	if (conf.pid_file == NULL)
		return 0;
	if ((f = fopen(conf.pid_file, "w")) == NULL) {
		log_error("cannot write %s: %s", conf.pid_file, strerror(errno));
		return -1;
	}
	fprintf(f, "%ld\n", (long)getpid());
	return fclose(f) == 0 ? 0 : -1;
}

static void
vecsd_main_signal(evutil_socket_t sig, short what, void *arg)
{
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
	/* requests are answered as they arrive: nothing is in flight here */
	log_info("signal %d: shutting down", (int)sig);
	xport_listener_disable(listener);
	event_base_loopexit(base, NULL);
}

static int
vecsd_main_serve(struct vecsd_db *db)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGUSR1, SIGUSR2 };
	struct vecsd_ctx ctx = { .db = db, .self = geteuid() };
	struct vecsd_pull *pull;
	struct event *sev[4];
	char err[512];
	int rc;

	vecsd_perm_init(ctx.self);
	if ((rc = vecsd_req_bootstrap(&ctx)) != 0) {
		log_error("cannot create the default stores: %s", vecs_err_name(rc));
		return 1;
	}
	/* xport's bufferevents are thread-safe ones */
	evthread_use_pthreads();
	if ((base = event_base_new()) == NULL)
		return 1;
	vecsd_conn_init(&ctx, conf.max_message, conf.idle_timeout, conf.max_clients);
	/* every local user may connect: the peer's uid decides what it may do */
	if ((listener = xport_listen(base, &xport_unix, conf.socket, 0666, NULL,
	    vecsd_conn_accept, NULL, err, sizeof(err))) == NULL) {
		log_error("%s", err);
		return 1;
	}
	pthread_mutex_init(&ctx.lock, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* requests may ask for the puller as soon as the socket is up */
	if ((pull = vecsd_pull_start(&ctx, &conf, base)) == NULL)
		return 1;
	ctx.pull = pull;
	for (size_t i = 0; i < 4; i++) {
		sev[i] = evsignal_new(base, sigs[i], vecsd_main_signal, NULL);
		event_add(sev[i], NULL);
	}
	if (vecsd_main_pidfile() != 0)
		return 1;
	log_info("vecsd %s serving %s (data in %s)", PACKAGE_VERSION, conf.socket,
	    conf.data_dir);
	event_base_dispatch(base);
	/* before the storage closes: a pass in progress ends first */
	vecsd_pull_stop(pull);
	ctx.pull = NULL;
	vecsd_conn_close_all();
	xport_listener_free(listener);
	for (size_t i = 0; i < 4; i++)
		event_free(sev[i]);
	if (conf.pid_file != NULL)
		unlink(conf.pid_file);
	event_base_free(base);
	log_info("stopped");
	return 0;
}

int
main(int argc, char **argv)
{
	struct vecsd_db *db;
	char err[512], *eq;
	int ch, rc, level;

	/* the data directory and everything in it is the daemon's alone */
	umask(077);
	vecsd_conf_defaults(&conf);
	/* the configuration file first, so flags override it */
	for (int i = 1; i < argc - 1; i++)
		if (strcmp(argv[i], "-f") == 0 || strcmp(argv[i], "--config") == 0)
			if (vecsd_conf_load(&conf, argv[i + 1]) != 0)
				return 2;
	while ((ch = getopt_long(argc, argv, "f:d:s:o:hV", main_opts, NULL)) != -1) {
		rc = 0;
		switch (ch) {
		case 'f': break;
		case 'd': rc = vecsd_conf_set(&conf, "data_dir", optarg); break;
		case 's': rc = vecsd_conf_set(&conf, "socket", optarg); break;
		case OPT_PID: rc = vecsd_conf_set(&conf, "pid_file", optarg); break;
		case OPT_LOG: rc = vecsd_conf_set(&conf, "log_level", optarg); break;
		case OPT_SYSLOG: conf.syslog = true; break;
		case 'o':
			if ((eq = strchr(optarg, '=')) == NULL) {
				fprintf(stderr, "vecsd: --set needs KEY=VALUE\n");
				return 2;
			}
			*eq = '\0';
			rc = vecsd_conf_set(&conf, optarg, eq + 1);
			break;
		case 'h': usage(stdout); vecsd_conf_free(&conf); return 0;
		case 'V': printf("vecsd %s\n", PACKAGE_VERSION); vecsd_conf_free(&conf); return 0;
		default: usage(stderr); return 2;
		}
		if (rc != 0)
			return 2;
	}
	if (optind < argc) {
		fprintf(stderr, "vecsd: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if ((level = log_level_parse(conf.log_level)) < 0) {
		fprintf(stderr, "vecsd: unknown log level '%s'\n", conf.log_level);
		return 2;
	}
	log_init("vecsd", conf.syslog, level);
	if (vecsd_main_lock() != 0)
		return 1;
	if (vecsd_db_open(conf.data_dir, &db, err, sizeof(err)) != 0) {
		log_error("storage: %s", err);
		return 1;
	}
	rc = vecsd_main_serve(db);
	vecsd_db_close(db);
	vecsd_conf_free(&conf);
	return rc;
}
