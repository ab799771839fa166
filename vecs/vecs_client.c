/*
 * vecs_client.c: the client library of vecsd (vecs.h): a blocking
 * connection on the Unix socket, one request and its answer per call.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "vecs/vecs.h"
#include "vecs/vecs_codec.h"

struct vecs_conn {
	int	 fd;
	char	 err[512];
	uint8_t	*body;		/* the last answer; its fields point into it */
};

static const struct {
	int		 code;
	const char	*name;
} vecs_err_names[] = {
	{ VECS_OK, "ERROR_SUCCESS" },
	{ VECS_ERR_ACCESS_DENIED, "ERROR_ACCESS_DENIED" },
	{ VECS_ERR_NO_MEMORY, "ERROR_NOT_ENOUGH_MEMORY" },
	{ VECS_ERR_INVALID_DATA, "ERROR_INVALID_DATA" },
	{ VECS_ERR_INVALID_PARAMETER, "ERROR_INVALID_PARAMETER" },
	{ VECS_ERR_BUSY, "ERROR_BUSY" },
	{ VECS_ERR_ALREADY_EXISTS, "ERROR_ALREADY_EXISTS" },
	{ VECS_ERR_CANNOT_CONNECT, "ERROR_CANNOT_CONNECT_VECS" },
	{ VECS_ERR_INTERNAL, "ERROR_INTERNAL_ERROR" },
	{ VECS_ERR_NOT_FOUND, "ERROR_OBJECT_NOT_FOUND" },
};

const char *
vecs_err_name(int code)
{
	for (size_t i = 0; i < sizeof(vecs_err_names) / sizeof(vecs_err_names[0]); i++)
		if (vecs_err_names[i].code == code)
			return vecs_err_names[i].name;
	return "ERROR_UNKNOWN";
}

const char *
vecs_entry_type_name(enum vecs_entry_type type)
{
	switch (type) {
	case VECS_ENTRY_PRIVATE_KEY: return "Private Key";
	case VECS_ENTRY_SECRET_KEY: return "Secret Key";
	case VECS_ENTRY_TRUSTED_CERT: return "Trusted Cert";
	case VECS_ENTRY_CRL: return "Certification Revocation List";
	}
	return "Unknown";
}

int
vecs_connect(const char *path, struct vecs_conn **cp)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct vecs_conn *c;

	*cp = NULL;
	if (path == NULL || path[0] == '\0')
		path = getenv(VECS_SOCKET_ENV);
	if (path == NULL || path[0] == '\0')
		path = VECS_DEFAULT_SOCKET;
	if (strlen(path) >= sizeof(sun.sun_path))
		return VECS_ERR_INVALID_PARAMETER;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return VECS_ERR_NO_MEMORY;
	if ((c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		if (c->fd >= 0)
			close(c->fd);
		free(c);
		return VECS_ERR_CANNOT_CONNECT;
	}
	*cp = c;
	return VECS_OK;
}

void
vecs_close(struct vecs_conn *c)
{
	if (c == NULL)
		return;
	close(c->fd);
	free(c->body);
	free(c);
}

const char *
vecs_conn_error(const struct vecs_conn *c)
{
	return c != NULL ? c->err : "";
}

static int
vecs_write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		/* a daemon gone away must not kill the caller with SIGPIPE */
		ssize_t w = send(fd, p, len, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static int
vecs_read_all(int fd, uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t r = read(fd, p, len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

/*
 * Sends b (finished here) and reads the answer into *m, whose fields point
 * into c->body until the next call. Returns the answer's code.
 */
static int
vecs_call(struct vecs_conn *c, struct vecs_buf *b, struct vecs_msg *m)
{
	uint8_t hdr[VECS_FRAME_HDR];
	uint32_t len;
	int rc;

	memset(m, 0, sizeof(*m));
	c->err[0] = '\0';
	free(c->body);
	c->body = NULL;
	if (vecs_buf_finish(b, VECS_MAX_REQUEST) != 0) {
		vecs_buf_free(b);
		snprintf(c->err, sizeof(c->err), "request too large");
		return VECS_ERR_INVALID_PARAMETER;
	}
	rc = vecs_write_all(c->fd, b->p, b->len);
	vecs_buf_free(b);
	if (rc != 0 || vecs_read_all(c->fd, hdr, sizeof(hdr)) != 0) {
		snprintf(c->err, sizeof(c->err), "vecsd closed the connection");
		return VECS_ERR_CANNOT_CONNECT;
	}
	len = vecs_frame_len(hdr);
	if (len > VECS_MAX_RESPONSE || (c->body = malloc(len ? len : 1)) == NULL ||
	    vecs_read_all(c->fd, c->body, len) != 0 ||
	    vecs_msg_decode(c->body, len, m) != 0) {
		snprintf(c->err, sizeof(c->err), "malformed answer from vecsd");
		return VECS_ERR_INVALID_DATA;
	}
	if (m->code != VECS_OK) {
		char *t = vecs_msg_str(m, 0);
		snprintf(c->err, sizeof(c->err), "%s", t != NULL ? t : "");
		free(t);
		rc = (int)m->code;
		vecs_msg_free(m);
		return rc;
	}
	return VECS_OK;
}

static int
vecs_simple(struct vecs_conn *c, enum vecs_op op, const char *a, const char *b2)
{
	struct vecs_buf b;
	struct vecs_msg m;
	int rc;

	vecs_buf_init(&b, op);
	if (a != NULL)
		vecs_buf_add_str(&b, a);
	if (b2 != NULL)
		vecs_buf_add_str(&b, b2);
	rc = vecs_call(c, &b, &m);
	vecs_msg_free(&m);
	return rc;
}

int
vecs_store_create(struct vecs_conn *c, const char *name)
{
	return vecs_simple(c, VECS_OP_STORE_CREATE, name, NULL);
}

int
vecs_store_delete(struct vecs_conn *c, const char *name)
{
	return vecs_simple(c, VECS_OP_STORE_DELETE, name, NULL);
}

int
vecs_entry_delete(struct vecs_conn *c, const char *store, const char *alias)
{
	return vecs_simple(c, VECS_OP_ENTRY_DELETE, store, alias);
}

int
vecs_force_refresh(struct vecs_conn *c)
{
	return vecs_simple(c, VECS_OP_REFRESH, NULL, NULL);
}

/* Every field of m as strings; NULL when one is not a string. */
static char **
vecs_strings(const struct vecs_msg *m, uint32_t from)
{
	char **v = calloc(m->n - from + 1, sizeof(*v));

	if (v == NULL)
		return NULL;
	for (uint32_t i = from; i < m->n; i++)
		if ((v[i - from] = vecs_msg_str(m, i)) == NULL) {
			vecs_strings_free(v, i - from);
			return NULL;
		}
	return v;
}

int
vecs_store_list(struct vecs_conn *c, char ***names, size_t *n)
{
	struct vecs_buf b;
	struct vecs_msg m;
	int rc;

	*names = NULL;
	*n = 0;
	vecs_buf_init(&b, VECS_OP_STORE_LIST);
	if ((rc = vecs_call(c, &b, &m)) != VECS_OK)
		return rc;
	if ((*names = vecs_strings(&m, 0)) == NULL)
		rc = VECS_ERR_INVALID_DATA;
	else
		*n = m.n;
	vecs_msg_free(&m);
	return rc;
}

int
vecs_store_permission(struct vecs_conn *c, const char *store, const char *user,
    bool grant, unsigned rights)
{
	struct vecs_buf b;
	struct vecs_msg m;
	int rc;

	vecs_buf_init(&b, VECS_OP_PERM_SET);
	vecs_buf_add_str(&b, store);
	vecs_buf_add_str(&b, user);
	vecs_buf_add_u32(&b, grant ? 1 : 0);
	vecs_buf_add_u32(&b, rights);
	rc = vecs_call(c, &b, &m);
	vecs_msg_free(&m);
	return rc;
}

int
vecs_store_get_permissions(struct vecs_conn *c, const char *store,
    struct vecs_perms **pp)
{
	struct vecs_buf b;
	struct vecs_msg m;
	struct vecs_perms *p;
	int rc;

	*pp = NULL;
	vecs_buf_init(&b, VECS_OP_PERM_GET);
	vecs_buf_add_str(&b, store);
	if ((rc = vecs_call(c, &b, &m)) != VECS_OK)
		return rc;
	if (m.n < 1 || m.n % 2 != 1 || (p = calloc(1, sizeof(*p))) == NULL) {
		vecs_msg_free(&m);
		return VECS_ERR_INVALID_DATA;
	}
	p->n = m.n / 2;
	if ((p->owner = vecs_msg_str(&m, 0)) == NULL ||
	    (p->grants = calloc(p->n + 1, sizeof(*p->grants))) == NULL)
		rc = VECS_ERR_INVALID_DATA;
	for (size_t i = 0; rc == VECS_OK && i < p->n; i++) {
		uint32_t r = 0;
		if ((p->grants[i].user = vecs_msg_str(&m, 1 + 2 * i)) == NULL ||
		    !vecs_msg_u32(&m, 2 + 2 * i, &r))
			rc = VECS_ERR_INVALID_DATA;
		p->grants[i].rights = r;
	}
	vecs_msg_free(&m);
	if (rc != VECS_OK)
		vecs_perms_free(p);
	else
		*pp = p;
	return rc;
}

int
vecs_entry_add(struct vecs_conn *c, const char *store, const char *alias,
    const char *cert_pem, const char *key_pem, char **alias_out)
{
	struct vecs_buf b;
	struct vecs_msg m;
	int rc;

	if (alias_out != NULL)
		*alias_out = NULL;
	vecs_buf_init(&b, VECS_OP_ENTRY_ADD);
	vecs_buf_add_str(&b, store);
	vecs_buf_add_str(&b, alias);
	vecs_buf_add_str(&b, cert_pem);
	vecs_buf_add_str(&b, key_pem);
	if ((rc = vecs_call(c, &b, &m)) != VECS_OK)
		return rc;
	if (alias_out != NULL && (*alias_out = vecs_msg_str(&m, 0)) == NULL)
		rc = VECS_ERR_INVALID_DATA;
	vecs_msg_free(&m);
	return rc;
}

/* Fields i..i+3 of m: alias, type, pulled, certificate. */
static int
vecs_entry_decode(const struct vecs_msg *m, uint32_t i, struct vecs_entry *e)
{
	uint32_t type, pulled;

	memset(e, 0, sizeof(*e));
	if (i + 4 > m->n || !vecs_msg_u32(m, i + 1, &type) ||
	    !vecs_msg_u32(m, i + 2, &pulled) ||
	    (e->alias = vecs_msg_str(m, i)) == NULL)
		return VECS_ERR_INVALID_DATA;
	e->type = (enum vecs_entry_type)type;
	e->pulled = pulled != 0;
	if (m->f[i + 3].len > 0 && (e->cert = vecs_msg_str(m, i + 3)) == NULL)
		return VECS_ERR_INVALID_DATA;
	return VECS_OK;
}

int
vecs_entry_list(struct vecs_conn *c, const char *store, struct vecs_entry **ep,
    size_t *np)
{
	struct vecs_buf b;
	struct vecs_msg m;
	struct vecs_entry *e;
	size_t n, i;
	int rc;

	*ep = NULL;
	*np = 0;
	vecs_buf_init(&b, VECS_OP_ENTRY_LIST);
	vecs_buf_add_str(&b, store);
	if ((rc = vecs_call(c, &b, &m)) != VECS_OK)
		return rc;
	n = m.n / 4;
	if (m.n % 4 != 0 || (e = calloc(n + 1, sizeof(*e))) == NULL) {
		vecs_msg_free(&m);
		return VECS_ERR_INVALID_DATA;
	}
	for (i = 0; i < n && rc == VECS_OK; i++)
		rc = vecs_entry_decode(&m, (uint32_t)(4 * i), &e[i]);
	vecs_msg_free(&m);
	if (rc != VECS_OK) {
		vecs_entries_free(e, n);
		return rc;
	}
	*ep = e;
	*np = n;
	return VECS_OK;
}

int
vecs_entry_get(struct vecs_conn *c, const char *store, const char *alias,
    struct vecs_entry **ep)
{
	struct vecs_buf b;
	struct vecs_msg m;
	struct vecs_entry *e;
	int rc;

	*ep = NULL;
	vecs_buf_init(&b, VECS_OP_ENTRY_GET);
	vecs_buf_add_str(&b, store);
	vecs_buf_add_str(&b, alias);
	if ((rc = vecs_call(c, &b, &m)) != VECS_OK)
		return rc;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		rc = VECS_ERR_NO_MEMORY;
	else if (m.n != 4 || (rc = vecs_entry_decode(&m, 0, e)) != VECS_OK) {
		vecs_entry_free(e);
		rc = VECS_ERR_INVALID_DATA;
	} else
		*ep = e;
	vecs_msg_free(&m);
	return rc;
}

int
vecs_entry_get_key(struct vecs_conn *c, const char *store, const char *alias,
    char **key)
{
	struct vecs_buf b;
	struct vecs_msg m;
	int rc;

	*key = NULL;
	vecs_buf_init(&b, VECS_OP_ENTRY_GETKEY);
	vecs_buf_add_str(&b, store);
	vecs_buf_add_str(&b, alias);
	if ((rc = vecs_call(c, &b, &m)) != VECS_OK)
		return rc;
	if (m.n != 1 || (*key = vecs_msg_str(&m, 0)) == NULL)
		rc = VECS_ERR_INVALID_DATA;
	/* the answer held the key: wipe it too */
	if (m.n >= 1)
		OPENSSL_cleanse((void *)m.f[0].p, m.f[0].len);
	vecs_msg_free(&m);
	return rc;
}

void
vecs_strings_free(char **v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
vecs_entry_free(struct vecs_entry *e)
{
	if (e == NULL)
		return;
	free(e->alias);
	free(e->cert);
	free(e);
}

void
vecs_entries_free(struct vecs_entry *e, size_t n)
{
	if (e == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free(e[i].alias);
		free(e[i].cert);
	}
	free(e);
}

void
vecs_perms_free(struct vecs_perms *p)
{
	if (p == NULL)
		return;
	free(p->owner);
	for (size_t i = 0; p->grants != NULL && i < p->n; i++)
		free(p->grants[i].user);
	free(p->grants);
	free(p);
}

void
vecs_secret_free(char *key)
{
	if (key == NULL)
		return;
	OPENSSL_cleanse(key, strlen(key));
	free(key);
}

/* One (name, value) pair of a status answer into st. */
static int
vecs_status_field(struct vecs_status *st, const char *name, char *value)
{
	static const struct {
		const char	*name;
		size_t		 off;
		char		 kind;	/* s: string, i: int64, u: uint64, n: unsigned */
	} fields[] = {
#define F(n, k) { #n, offsetof(struct vecs_status, n), k }
		F(state, 's'), F(vmdir_uri, 's'), F(ca_path, 's'),
		F(last_sync, 'i'), F(last_attempt, 'i'), F(last_error, 's'),
		F(last_error_time, 'i'), F(usn, 'u'), F(syncs, 'u'),
		F(sync_interval, 'n'), F(roots, 'n'), F(roots_pulled, 'n'),
		F(crls, 'n'), F(crls_pulled, 'n'),
#undef F
	};
	char *p = (char *)st;

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (strcmp(fields[i].name, name) != 0)
			continue;
		switch (fields[i].kind) {
		case 's':
			/* an empty value stands for "none" */
			if (value[0] == '\0') {
				free(value);
				value = NULL;
			}
			free(*(char **)(p + fields[i].off));
			*(char **)(p + fields[i].off) = value;
			return 0;
		case 'i':
			*(int64_t *)(p + fields[i].off) = strtoll(value, NULL, 10);
			break;
		case 'u':
			*(uint64_t *)(p + fields[i].off) = strtoull(value, NULL, 10);
			break;
		case 'n':
			*(unsigned *)(p + fields[i].off) = (unsigned)strtoul(value, NULL, 10);
			break;
		}
		break;
	}
	/* a name this library does not know (a newer vecsd) is skipped */
	free(value);
	return 0;
}

int
vecs_status(struct vecs_conn *c, struct vecs_status **stp)
{
	struct vecs_status *st;
	struct vecs_buf b;
	struct vecs_msg m;
	int rc;

	*stp = NULL;
	vecs_buf_init(&b, VECS_OP_STATUS);
	if ((rc = vecs_call(c, &b, &m)) != VECS_OK)
		return rc;
	if (m.n % 2 != 0 || (st = calloc(1, sizeof(*st))) == NULL) {
		vecs_msg_free(&m);
		return VECS_ERR_INVALID_DATA;
	}
	for (uint32_t i = 0; rc == VECS_OK && i < m.n; i += 2) {
		char *name = vecs_msg_str(&m, i), *value = vecs_msg_str(&m, i + 1);

		if (name == NULL || value == NULL)
			rc = VECS_ERR_INVALID_DATA;
		else
			vecs_status_field(st, name, value);
		if (rc != VECS_OK)
			free(value);
		free(name);
	}
	vecs_msg_free(&m);
	if (rc != VECS_OK || st->state == NULL) {
		vecs_status_free(st);
		return VECS_ERR_INVALID_DATA;
	}
	*stp = st;
	return VECS_OK;
}

void
vecs_status_free(struct vecs_status *st)
{
	if (st == NULL)
		return;
	free(st->state);
	free(st->vmdir_uri);
	free(st->ca_path);
	free(st->last_error);
	free(st);
}
