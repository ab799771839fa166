/*
 * vecsd_conf.c: vecsd's settings: defaults, the INI configuration file
 * (section [server]) and command-line overrides, all through
 * vecsd_conf_set.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ini.h>

#include "vecs/vecsd.h"

enum vecsd_conf_type { VC_STR, VC_INT, VC_SIZE, VC_BOOL };

struct vecsd_conf_key {
	const char		*name;
	enum vecsd_conf_type	 type;
	size_t			 off;
	long			 min, max;
};

#define K(n, t, f, lo, hi) { n, t, offsetof(struct vecsd_conf, f), lo, hi }
static const struct vecsd_conf_key vecsd_conf_keys[] = {
	K("socket", VC_STR, socket, 0, 0),
	K("data_dir", VC_STR, data_dir, 0, 0),
	K("pid_file", VC_STR, pid_file, 0, 0),
	K("log_level", VC_STR, log_level, 0, 0),
	K("syslog", VC_BOOL, syslog, 0, 1),
	K("max_message", VC_SIZE, max_message, 4096, 64L << 20),
	K("idle_timeout", VC_INT, idle_timeout, 0, 86400),
	K("max_clients", VC_INT, max_clients, 1, 65536),
	K("vmdir_uri", VC_STR, vmdir_uri, 0, 0),
	K("vmdir_bind_dn", VC_STR, vmdir_bind_dn, 0, 0),
	K("vmdir_password_file", VC_STR, vmdir_password_file, 0, 0),
	K("vmdir_ca_file", VC_STR, vmdir_ca_file, 0, 0),
	K("sync_interval", VC_INT, sync_interval, 1, 86400),
	K("watch_interval_ms", VC_INT, watch_interval_ms, 0, 60000),
	K("ca_path", VC_STR, ca_path, 0, 0),
};
#define NKEYS (sizeof(vecsd_conf_keys) / sizeof(vecsd_conf_keys[0]))

void
vecsd_conf_defaults(struct vecsd_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->socket = strdup(VECS_DEFAULT_SOCKET);
	c->data_dir = strdup("/var/lib/trellis/vecs/db");
	c->log_level = strdup("info");
	c->max_message = VECS_MAX_REQUEST;
	c->idle_timeout = 60;
	c->max_clients = 1024;
	c->vmdir_uri = strdup(VECSD_DEFAULT_VMDIR);
	c->sync_interval = 60;
	c->watch_interval_ms = 250;
	c->ca_path = strdup(VECSD_DEFAULT_CA_PATH);
}

static const struct vecsd_conf_key *
vecsd_conf_find(const char *key)
{
	char name[64];
	size_t i;

	for (i = 0; key[i] != '\0' && i < sizeof(name) - 1; i++)
		name[i] = key[i] == '-' ? '_' : key[i];
	name[i] = '\0';
	for (i = 0; i < NKEYS; i++)
		if (strcasecmp(vecsd_conf_keys[i].name, name) == 0)
			return &vecsd_conf_keys[i];
	return NULL;
}

int
vecsd_conf_set(struct vecsd_conf *c, const char *key, const char *value)
{
	const struct vecsd_conf_key *k = vecsd_conf_find(key);
	char *end, **sp;
	long n;

	if (k == NULL) {
		fprintf(stderr, "vecsd: unknown setting '%s'\n", key);
		return -1;
	}
	switch (k->type) {
	case VC_STR:
		sp = (char **)((char *)c + k->off);
		free(*sp);
		*sp = strdup(value);
		return *sp == NULL ? -1 : 0;
	case VC_BOOL:
		if (strcasecmp(value, "yes") == 0 || strcasecmp(value, "true") == 0 ||
		    strcmp(value, "1") == 0)
			n = 1;
		else if (strcasecmp(value, "no") == 0 || strcasecmp(value, "false") == 0 ||
		    strcmp(value, "0") == 0)
			n = 0;
		else
			break;
		*(bool *)((char *)c + k->off) = n;
		return 0;
	case VC_INT:
	case VC_SIZE:
		errno = 0;
		n = strtol(value, &end, 10);
		if (errno != 0 || end == value || *end != '\0' || n < k->min || n > k->max)
			break;
		if (k->type == VC_INT)
			*(int *)((char *)c + k->off) = (int)n;
		else
			*(size_t *)((char *)c + k->off) = (size_t)n;
		return 0;
	}
	fprintf(stderr, "vecsd: invalid value '%s' for %s\n", value, k->name);
	return -1;
}

static int
vecsd_conf_line(void *arg, const char *section, const char *name, const char *value)
{
	if (strcasecmp(section, "server") != 0 && strcasecmp(section, "vecsd") != 0) {
		fprintf(stderr, "vecsd: unknown section [%s]\n", section);
		return 0;
	}
	return vecsd_conf_set(arg, name, value) == 0;
}

int
vecsd_conf_load(struct vecsd_conf *c, const char *path)
{
	int rc = ini_parse(path, vecsd_conf_line, c);

	if (rc == -1) {
		fprintf(stderr, "vecsd: cannot open %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (rc != 0) {
		fprintf(stderr, "vecsd: %s:%d: invalid configuration line\n", path, rc);
		return -1;
	}
	return 0;
}

void
vecsd_conf_free(struct vecsd_conf *c)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (vecsd_conf_keys[i].type == VC_STR)
			free(*(char **)((char *)c + vecsd_conf_keys[i].off));
}
