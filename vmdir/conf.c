/*
 * conf.c: vmdird settings: defaults, the INI configuration file and
 * command-line overrides, all through conf_set.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <ini.h>

#include "server.h"

enum conf_type { CONF_STR, CONF_INT, CONF_SIZE, CONF_BOOL };

struct conf_key {
	const char	*name;
	enum conf_type	 type;
	size_t		 off;
	long		 min, max;
};

#define K(n, t, f, lo, hi) { n, t, offsetof(struct conf, f), lo, hi }
static const struct conf_key conf_keys[] = {
	K("listen", CONF_STR, listen, 0, 0),
	K("port", CONF_INT, port, 0, 65535),
	K("ldaps_port", CONF_INT, ldaps_port, 0, 65535),
	K("ldapi_socket", CONF_STR, ldapi_socket, 0, 0),
	K("data_dir", CONF_STR, data_dir, 0, 0),
	K("schema_dir", CONF_STR, schema_dir, 0, 0),
	K("pid_file", CONF_STR, pid_file, 0, 0),
	K("tls_cert", CONF_STR, tls_cert, 0, 0),
	K("tls_key", CONF_STR, tls_key, 0, 0),
	K("tls_ca", CONF_STR, tls_ca, 0, 0),
	K("tls_ca_path", CONF_STR, tls_ca_path, 0, 0),
	K("log_level", CONF_STR, log_level, 0, 0),
	K("syslog", CONF_BOOL, syslog, 0, 1),
	K("domain", CONF_STR, domain, 0, 0),
	K("site", CONF_STR, site, 0, 0),
	K("node", CONF_STR, node, 0, 0),
	K("threads", CONF_INT, threads, 1, 256),
	K("loops", CONF_INT, loops, 1, 64),
	K("loop_reads", CONF_BOOL, loop_reads, 0, 1),
	K("max_pdu", CONF_SIZE, max_pdu, 1024, 1L << 30),
	K("idle_timeout", CONF_INT, idle_timeout, 0, 86400 * 7),
	K("write_timeout", CONF_INT, write_timeout, 1, 86400),
	K("max_pending", CONF_INT, max_pending, 1, 1 << 20),
	K("conn_max_pending", CONF_INT, conn_max_pending, 1, 1 << 16),
	K("size_limit", CONF_INT, size_limit, 0, INT_MAX),
	K("time_limit", CONF_INT, time_limit, 0, INT_MAX),
	K("cache_mb", CONF_SIZE, cache_mb, 1, 1 << 20),
	K("indexes", CONF_STR, indexes, 0, 0),
	K("nosync", CONF_BOOL, nosync, 0, 1),
	K("tombstone_lifetime", CONF_INT, tombstone_lifetime, 1, INT_MAX),
	K("repl_interval", CONF_INT, repl_interval, 1, 86400),
	K("repl_page_size", CONF_INT, repl_page_size, 1, 100000),
	K("http_port", CONF_INT, http_port, 0, 65535),
	K("https_port", CONF_INT, https_port, 0, 65535),
	K("http_timeout", CONF_INT, http_timeout, 1, 3600),
};

void
conf_defaults(struct conf *c)
{
	char host[256];

	memset(c, 0, sizeof(*c));
	if (gethostname(host, sizeof(host)) != 0)
		strcpy(host, "localhost");
	host[sizeof(host) - 1] = '\0';
	c->listen = strdup("127.0.0.1");
	c->port = 389;
	c->data_dir = strdup("/var/lib/trellis/vmdir");
	/* an uninstalled build uses its source tree's schema */
	c->schema_dir = strdup(access(SCHEMA_DIR, R_OK) == 0 ? SCHEMA_DIR : SRC_SCHEMA_DIR);
	c->log_level = strdup("info");
	c->domain = strdup("vsphere.local");
	c->site = strdup("Default-First-Site");
	c->node = strdup(host);
	/* one per CPU: more only contend for the same locks (replication
	 * pulls have their own threads) */
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	c->threads = ncpu < 2 ? 2 : ncpu > 64 ? 64 : (int)ncpu;
	/* one event loop per CPU, reads answered on it */
	c->loops = ncpu < 1 ? 1 : ncpu > 64 ? 64 : (int)ncpu;
	c->loop_reads = true;
	c->max_pdu = 4 << 20;
	c->idle_timeout = 3600;
	c->write_timeout = 60;
	c->max_pending = 4096;
	c->conn_max_pending = 256;
	c->cache_mb = 0;	/* auto: sized from the data and the RAM at start */
	c->tombstone_lifetime = 14 * 86400;
	c->repl_interval = 30;
	c->repl_page_size = 1000;
	c->http_port = 7080;
	c->http_timeout = 10;
	c->indexes = strdup("objectClass,cn,uid,objectGUID,userPrincipalName,member,vmwLKUPType");
}

static const struct conf_key *
conf_key_find(const char *key)
{
	char name[64];
	size_t i;

	for (i = 0; key[i] != '\0' && i < sizeof(name) - 1; i++)
		name[i] = key[i] == '-' ? '_' : key[i];
	name[i] = '\0';
	for (i = 0; i < sizeof(conf_keys) / sizeof(conf_keys[0]); i++)
		if (strcasecmp(conf_keys[i].name, name) == 0)
			return &conf_keys[i];
	return NULL;
}

int
conf_set(struct conf *c, const char *key, const char *value)
{
	const struct conf_key *k = conf_key_find(key);
	char *end, **sp;
	long n;

	if (k == NULL) {
		fprintf(stderr, "vmdird: unknown setting '%s'\n", key);
		return -1;
	}
	switch (k->type) {
	case CONF_STR:
		sp = (char **)((char *)c + k->off);
		free(*sp);
		*sp = strdup(value);
		return *sp == NULL ? -1 : 0;
	case CONF_BOOL:
		if (strcasecmp(value, "yes") == 0 || strcasecmp(value, "true") == 0 ||
		    strcmp(value, "1") == 0)
			n = 1;
		else if (strcasecmp(value, "no") == 0 ||
		    strcasecmp(value, "false") == 0 || strcmp(value, "0") == 0)
			n = 0;
		else
			break;
		*(bool *)((char *)c + k->off) = n;
		return 0;
	case CONF_INT:
	case CONF_SIZE:
		if (k->off == offsetof(struct conf, cache_mb) &&
		    strcasecmp(value, "auto") == 0) {
			c->cache_mb = 0;
			return 0;
		}
		errno = 0;
		n = strtol(value, &end, 10);
		if (errno != 0 || end == value || *end != '\0' || n < k->min ||
		    n > k->max)
			break;
		if (k->off == offsetof(struct conf, http_port))
			c->http_port_set = true;
		if (k->type == CONF_INT)
			*(int *)((char *)c + k->off) = (int)n;
		else
			*(size_t *)((char *)c + k->off) = (size_t)n;
		return 0;
	}
	fprintf(stderr, "vmdird: invalid value '%s' for %s\n", value, k->name);
	return -1;
}

static int
conf_ini_line(void *arg, const char *section, const char *name,
    const char *value)
{
	if (strcasecmp(section, "server") != 0 && strcasecmp(section, "vmdird") != 0) {
		fprintf(stderr, "vmdird: unknown section [%s]\n", section);
		return 0;
	}
	return conf_set(arg, name, value) == 0;
}

int
conf_load(struct conf *c, const char *path)
{
	int rc = ini_parse(path, conf_ini_line, c);

	if (rc == -1) {
		fprintf(stderr, "vmdird: cannot open %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (rc != 0) {
		fprintf(stderr, "vmdird: %s:%d: invalid configuration line\n", path, rc);
		return -1;
	}
	return 0;
}

void
conf_free(struct conf *c)
{
	for (size_t i = 0; i < sizeof(conf_keys) / sizeof(conf_keys[0]); i++)
		if (conf_keys[i].type == CONF_STR)
			free(*(char **)((char *)c + conf_keys[i].off));
}
