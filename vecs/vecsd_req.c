/*
 * vecsd_req.c: vecsd's requests. Each operation is a row of a table: its
 * number of fields and its handler. A handler checks the caller's rights
 * (vecsd_perm.c) before it touches storage (vecsd_db.c) and answers with
 * a code and, on failure, a text. The caller is the socket's peer, never
 * anything the request says.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "vecs/vecsd.h"

struct vecsd_req {
	struct vecsd_ctx		*ctx;
	const struct vecsd_caller	*caller;
	const struct vecs_msg		*msg;
	struct vecs_buf			*out;	/* the answer's fields go here */
	char				 why[512];
	uint64_t			 conn, op;
};

typedef int (*vecsd_req_fn)(struct vecsd_req *r);

static int vecsd_req_store_create(struct vecsd_req *);
static int vecsd_req_store_delete(struct vecsd_req *);
static int vecsd_req_store_list(struct vecsd_req *);
static int vecsd_req_perm_set(struct vecsd_req *);
static int vecsd_req_perm_get(struct vecsd_req *);
static int vecsd_req_entry_add(struct vecsd_req *);
static int vecsd_req_entry_list(struct vecsd_req *);
static int vecsd_req_entry_get(struct vecsd_req *);
static int vecsd_req_entry_getkey(struct vecsd_req *);
static int vecsd_req_entry_delete(struct vecsd_req *);
static int vecsd_req_refresh(struct vecsd_req *);
static int vecsd_req_status(struct vecsd_req *);

/* a handler's answer that comes later (vecsd_conn_answer) */
#define VECSD_REQ_DEFERRED	(-1)

static const struct {
	const char	*name;
	uint32_t	 nfields;
	vecsd_req_fn	 fn;
} vecsd_req_table[VECS_OP_MAX] = {
	[VECS_OP_STORE_CREATE] = { "STORE_CREATE", 1, vecsd_req_store_create },
	[VECS_OP_STORE_DELETE] = { "STORE_DELETE", 1, vecsd_req_store_delete },
	[VECS_OP_STORE_LIST] = { "STORE_LIST", 0, vecsd_req_store_list },
	[VECS_OP_PERM_SET] = { "PERM_SET", 4, vecsd_req_perm_set },
	[VECS_OP_PERM_GET] = { "PERM_GET", 1, vecsd_req_perm_get },
	[VECS_OP_ENTRY_ADD] = { "ENTRY_ADD", 4, vecsd_req_entry_add },
	[VECS_OP_ENTRY_LIST] = { "ENTRY_LIST", 1, vecsd_req_entry_list },
	[VECS_OP_ENTRY_GET] = { "ENTRY_GET", 2, vecsd_req_entry_get },
	[VECS_OP_ENTRY_GETKEY] = { "ENTRY_GETKEY", 2, vecsd_req_entry_getkey },
	[VECS_OP_ENTRY_DELETE] = { "ENTRY_DELETE", 2, vecsd_req_entry_delete },
	[VECS_OP_REFRESH] = { "REFRESH", 0, vecsd_req_refresh },
	[VECS_OP_STATUS] = { "STATUS", 0, vecsd_req_status },
};

static int
vecsd_req_fail(struct vecsd_req *r, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
	return code;
}

/* Field i as a string (caller frees); NULL when it holds a NUL byte. */
static char *
vecsd_req_str(struct vecsd_req *r, uint32_t i)
{
	return vecs_msg_str(r->msg, i);
}

/* The store named by field 0, which the caller must be allowed rights on
 * (0: only that it exists). */
static int
vecsd_req_store(struct vecsd_req *r, unsigned rights, char **name, struct vecsd_store **s)
{
	int rc;

	*s = NULL;
	if ((*name = vecsd_req_str(r, 0)) == NULL ||
	    !vecsd_rules_store_name_ok(*name, r->msg->f[0].len))
		return vecsd_req_fail(r, VECS_ERR_INVALID_PARAMETER, "invalid store name");
	rc = vecsd_db_store_get(r->ctx->db, *name, s);
	if (rc == VECS_ERR_NOT_FOUND)
		return vecsd_req_fail(r, rc, "Store [%s] does not exist", *name);
	if (rc != 0)
		return vecsd_req_fail(r, rc, "storage failure");
	if (rights != 0 && !vecsd_perm_allows(*s, r->caller->uid, rights))
		return vecsd_req_fail(r, VECS_ERR_ACCESS_DENIED,
		    "uid %lu may not %s store [%s]", (unsigned long)r->caller->uid,
		    rights & VECS_RIGHT_WRITE ? "write to" : "read", (*s)->name);
	return 0;
}

static int
vecsd_req_store_create(struct vecsd_req *r)
{
	struct vecsd_store s = { .owner = r->caller->uid };
	int rc;

	if ((s.name = vecsd_req_str(r, 0)) == NULL ||
	    !vecsd_rules_store_name_ok(s.name, r->msg->f[0].len)) {
		free(s.name);
		return vecsd_req_fail(r, VECS_ERR_INVALID_PARAMETER, "invalid store name: 1 to %d "
		    "printable bytes without spaces, '/' or '\\'", VECSD_NAME_MAX);
	}
	rc = vecsd_db_store_create(r->ctx->db, &s);
	if (rc == VECS_ERR_ALREADY_EXISTS)
		vecsd_req_fail(r, rc, "Store [%s] already exists", s.name);
	else if (rc == VECS_ERR_BUSY)
		vecsd_req_fail(r, rc, "there are already %d stores", VECSD_STORES_MAX);
	else if (rc == 0)
		log_info("conn=%llu op=%llu store [%s] created, owner uid %lu",
		    (unsigned long long)r->conn, (unsigned long long)r->op, s.name,
		    (unsigned long)s.owner);
	free(s.name);
	return rc;
}

static int
vecsd_req_store_delete(struct vecsd_req *r)
{
	struct vecsd_store *s;
	char *name;
	int rc;

	if ((rc = vecsd_req_store(r, 0, &name, &s)) == 0) {
		if (vecsd_rules_protected(s->name))
			rc = vecsd_req_fail(r, VECS_ERR_ACCESS_DENIED,
			    "store [%s] cannot be deleted", s->name);
		else if (!vecsd_perm_manage(s, r->caller->uid))
			rc = vecsd_req_fail(r, VECS_ERR_ACCESS_DENIED,
			    "only root and the owner may delete store [%s]", s->name);
		else if ((rc = vecsd_db_store_delete(r->ctx->db, s->name)) == 0)
			log_info("conn=%llu op=%llu store [%s] deleted",
			    (unsigned long long)r->conn, (unsigned long long)r->op, s->name);
	}
	vecsd_store_free(s);
	free(name);
	return rc;
}

static int
vecsd_req_store_list(struct vecsd_req *r)
{
	struct vecsd_store *v;
	size_t n;
	int rc;

	if ((rc = vecsd_db_store_list(r->ctx->db, &v, &n)) != 0)
		return vecsd_req_fail(r, rc, "storage failure");
	for (size_t i = 0; i < n; i++)
		if (vecsd_perm_visible(&v[i], r->caller->uid))
			vecs_buf_add_str(r->out, v[i].name);
	vecsd_stores_free(v, n);
	return 0;
}

static int
vecsd_req_perm_set(struct vecsd_req *r)
{
	struct vecsd_store *s;
	char *name, *user = NULL;
	uint32_t grant, rights;
	uid_t uid;
	int rc;

	if ((rc = vecsd_req_store(r, 0, &name, &s)) != 0)
		goto out;
	if (!vecs_msg_u32(r->msg, 2, &grant) || grant > 1 ||
	    !vecs_msg_u32(r->msg, 3, &rights) || rights == 0 ||
	    (rights & ~(VECS_RIGHT_READ | VECS_RIGHT_WRITE)) != 0) {
		rc = vecsd_req_fail(r, VECS_ERR_INVALID_PARAMETER, "invalid access");
		goto out;
	}
	if (!vecsd_perm_manage(s, r->caller->uid)) {
		rc = vecsd_req_fail(r, VECS_ERR_ACCESS_DENIED,
		    "only root and the owner may change the permissions of store [%s]", s->name);
		goto out;
	}
	if ((user = vecsd_req_str(r, 1)) == NULL || !vecsd_perm_user_uid(user, &uid)) {
		rc = vecsd_req_fail(r, VECS_ERR_INVALID_PARAMETER, "unknown user [%s]",
		    user != NULL ? user : "");
		goto out;
	}
	if ((rc = vecsd_perm_change(s, uid, grant == 1, rights)) == 0 &&
	    (rc = vecsd_db_store_update(r->ctx->db, s)) == 0)
		log_info("conn=%llu op=%llu store [%s]: %s %s%s%s for %s",
		    (unsigned long long)r->conn, (unsigned long long)r->op, s->name,
		    grant ? "granted" : "revoked", rights & VECS_RIGHT_READ ? "read" : "",
		    rights == 3 ? "," : "", rights & VECS_RIGHT_WRITE ? "write" : "", user);
 out:
	vecsd_store_free(s);
	free(name);
	free(user);
	return rc;
}

static int
vecsd_req_perm_get(struct vecsd_req *r)
{
	struct vecsd_store *s;
	char *name, buf[256];
	int rc;

	if ((rc = vecsd_req_store(r, VECS_RIGHT_READ, &name, &s)) == 0) {
		vecs_buf_add_str(r->out, vecsd_perm_user_name(s->owner, buf, sizeof(buf)));
		for (size_t i = 0; i < s->ngrants; i++) {
			vecs_buf_add_str(r->out,
			    vecsd_perm_user_name(s->grants[i].uid, buf, sizeof(buf)));
			vecs_buf_add_u32(r->out, s->grants[i].rights);
		}
	}
	vecsd_store_free(s);
	free(name);
	return rc;
}

/* The hashed directory follows TRUSTED_ROOTS and TRUSTED_ROOT_CRLS. */
static void
vecsd_req_changed(struct vecsd_req *r, const char *store)
{
	if (r->ctx->pull != NULL && vecsd_rules_public(store))
		vecsd_pull_changed(r->ctx->pull);
}

/* An empty field stands for "not given". */
static int
vecsd_req_opt(struct vecsd_req *r, uint32_t i, char **out)
{
	*out = NULL;
	if (r->msg->f[i].len == 0)
		return 0;
	if ((*out = vecsd_req_str(r, i)) == NULL)
		return vecsd_req_fail(r, VECS_ERR_INVALID_PARAMETER, "a field holds a NUL byte");
	return 0;
}

static int
vecsd_req_entry_add(struct vecsd_req *r)
{
	struct vecsd_store *s;
	struct vecsd_entry e = { 0 };
	char *name, *alias = NULL, *cert = NULL, *key = NULL, thumb[41];
	int rc;

	if ((rc = vecsd_req_store(r, VECS_RIGHT_WRITE, &name, &s)) != 0 ||
	    (rc = vecsd_req_opt(r, 1, &alias)) != 0 ||
	    (rc = vecsd_req_opt(r, 2, &cert)) != 0 ||
	    (rc = vecsd_req_opt(r, 3, &key)) != 0)
		goto out;
	if ((rc = vecsd_x509_entry(cert, key, &e, thumb, r->why, sizeof(r->why))) != 0)
		goto out;
	if (alias == NULL && thumb[0] == '\0') {
		rc = vecsd_req_fail(r, VECS_ERR_INVALID_PARAMETER,
		    "a secret key needs an alias");
		goto out;
	}
	e.alias = alias != NULL ? alias : strdup(thumb);
	alias = NULL;
	if (e.alias == NULL || !vecsd_rules_alias_ok(e.alias, strlen(e.alias)) ||
	    (r->msg->f[1].len > 0 && strlen(e.alias) != r->msg->f[1].len)) {
		rc = vecsd_req_fail(r, VECS_ERR_INVALID_PARAMETER,
		    "invalid alias: 1 to %d bytes without control characters", VECSD_NAME_MAX);
		goto out;
	}
	e.added = (int64_t)time(NULL);
	rc = vecsd_db_entry_add(r->ctx->db, s->name, &e);
	if (rc == VECS_ERR_ALREADY_EXISTS)
		vecsd_req_fail(r, rc, "an entry with alias [%s] is already in store [%s]",
		    e.alias, s->name);
	else if (rc == VECS_ERR_NOT_FOUND)
		vecsd_req_fail(r, rc, "Store [%s] does not exist", s->name);
	else if (rc == 0) {
		vecsd_req_changed(r, s->name);
		vecs_buf_add_str(r->out, e.alias);
		log_info("conn=%llu op=%llu store [%s]: entry [%s] (%s) added",
		    (unsigned long long)r->conn, (unsigned long long)r->op, s->name, e.alias,
		    vecs_entry_type_name(e.type));
	}
 out:
	if (key != NULL)
		explicit_bzero(key, strlen(key));
	free(key);
	free(cert);
	free(alias);
	free(e.alias);
	free(e.cert);
	if (e.key != NULL)
		explicit_bzero(e.key, strlen(e.key));
	free(e.key);
	vecsd_store_free(s);
	free(name);
	return rc;
}

static void
vecsd_req_put_entry(struct vecsd_req *r, const struct vecsd_entry *e)
{
	vecs_buf_add_str(r->out, e->alias);
	vecs_buf_add_u32(r->out, e->type);
	vecs_buf_add_u32(r->out, e->pulled);
	vecs_buf_add_str(r->out, e->cert);
}

static int
vecsd_req_entry_list(struct vecsd_req *r)
{
	struct vecsd_store *s;
	struct vecsd_entry *v = NULL;
	char *name;
	size_t n = 0;
	int rc;

	if ((rc = vecsd_req_store(r, VECS_RIGHT_READ, &name, &s)) == 0 &&
	    (rc = vecsd_db_entry_list(r->ctx->db, s->name, &v, &n)) == 0)
		for (size_t i = 0; i < n; i++)
			vecsd_req_put_entry(r, &v[i]);
	vecsd_entries_free(v, n);
	vecsd_store_free(s);
	free(name);
	return rc;
}

/* The entry named by field 1 of the store named by field 0. */
static int
vecsd_req_entry(struct vecsd_req *r, unsigned rights, char **name, struct vecsd_store **s,
    struct vecsd_entry **e)
{
	char *alias;
	int rc;

	*e = NULL;
	if ((rc = vecsd_req_store(r, rights, name, s)) != 0)
		return rc;
	if ((alias = vecsd_req_str(r, 1)) == NULL ||
	    !vecsd_rules_alias_ok(alias, r->msg->f[1].len)) {
		free(alias);
		return vecsd_req_fail(r, VECS_ERR_INVALID_PARAMETER, "invalid alias");
	}
	rc = vecsd_db_entry_get(r->ctx->db, (*s)->name, alias, e);
	if (rc == VECS_ERR_NOT_FOUND)
		vecsd_req_fail(r, rc, "no entry with alias [%s] in store [%s]", alias, (*s)->name);
	free(alias);
	return rc;
}

static int
vecsd_req_entry_get(struct vecsd_req *r)
{
	struct vecsd_store *s = NULL;
	struct vecsd_entry *e;
	char *name = NULL;
	int rc;

	if ((rc = vecsd_req_entry(r, VECS_RIGHT_READ, &name, &s, &e)) == 0)
		vecsd_req_put_entry(r, e);
	vecsd_entry_free(e);
	vecsd_store_free(s);
	free(name);
	return rc;
}

static int
vecsd_req_entry_getkey(struct vecsd_req *r)
{
	struct vecsd_store *s = NULL;
	struct vecsd_entry *e;
	char *name = NULL;
	int rc;

	/* a key never leaves without read permission */
	if ((rc = vecsd_req_entry(r, VECS_RIGHT_READ, &name, &s, &e)) == 0) {
		if (e->key == NULL)
			rc = vecsd_req_fail(r, VECS_ERR_NOT_FOUND,
			    "entry [%s] of type [%s] holds no key", e->alias,
			    vecs_entry_type_name(e->type));
		else
			vecs_buf_add_str(r->out, e->key);
	}
	vecsd_entry_free(e);
	vecsd_store_free(s);
	free(name);
	return rc;
}

static int
vecsd_req_entry_delete(struct vecsd_req *r)
{
	struct vecsd_store *s;
	char *name, *alias = NULL;
	int rc;

	if ((rc = vecsd_req_store(r, VECS_RIGHT_WRITE, &name, &s)) != 0)
		goto out;
	if ((alias = vecsd_req_str(r, 1)) == NULL ||
	    !vecsd_rules_alias_ok(alias, r->msg->f[1].len)) {
		rc = vecsd_req_fail(r, VECS_ERR_INVALID_PARAMETER, "invalid alias");
		goto out;
	}
	rc = vecsd_db_entry_delete(r->ctx->db, s->name, alias);
	/* as VMware's: deleting what is not there succeeds */
	if (rc == VECS_ERR_NOT_FOUND)
		rc = 0;
	else if (rc == 0) {
		vecsd_req_changed(r, s->name);
		log_info("conn=%llu op=%llu store [%s]: entry [%s] deleted",
		    (unsigned long long)r->conn, (unsigned long long)r->op, s->name, alias);
	}
 out:
	vecsd_store_free(s);
	free(name);
	free(alias);
	return rc;
}

/*
 * The puller's thread does the work; the answer leaves once a pass that
 * started after this request has ended, and the loop serves others
 * meanwhile. Without a puller there is nothing to do.
 */
static int
vecsd_req_refresh(struct vecsd_req *r)
{
	int rc;

	if (r->ctx->pull == NULL)
		return 0;
	if ((rc = vecsd_pull_refresh(r->ctx->pull, r->conn)) != 0)
		return vecsd_req_fail(r, rc, "out of memory");
	return VECSD_REQ_DEFERRED;
}

/* The puller's status: any local user may read it, as TRUSTED_ROOTS. */
static int
vecsd_req_status(struct vecsd_req *r)
{
	if (r->ctx->pull == NULL) {
		vecs_buf_add_str(r->out, "state");
		vecs_buf_add_str(r->out, "disabled");
		return 0;
	}
	vecsd_pull_status(r->ctx->pull, r->out);
	return 0;
}

bool
vecsd_req_handle(struct vecsd_ctx *ctx, const struct vecsd_caller *caller,
    const struct vecs_msg *msg, struct vecs_buf *out, uint64_t conn, uint64_t op)
{
	struct vecsd_req r = { ctx, caller, msg, NULL, "", conn, op };
	struct vecs_buf answer;
	int rc;

	vecs_buf_init(&answer, 0);
	r.out = &answer;
	if (msg->code == 0 || msg->code >= VECS_OP_MAX)
		rc = vecsd_req_fail(&r, VECS_ERR_INVALID_PARAMETER, "unknown operation %lu",
		    (unsigned long)msg->code);
	else if (msg->n != vecsd_req_table[msg->code].nfields)
		rc = vecsd_req_fail(&r, VECS_ERR_INVALID_PARAMETER,
		    "%s takes %u fields, not %lu", vecsd_req_table[msg->code].name,
		    vecsd_req_table[msg->code].nfields, (unsigned long)msg->n);
	else {
		pthread_mutex_lock(&ctx->lock);
		rc = vecsd_req_table[msg->code].fn(&r);
		pthread_mutex_unlock(&ctx->lock);
	}
	if (rc == VECSD_REQ_DEFERRED) {
		log_debug("conn=%llu op=%llu %s uid=%lu: waits for the puller",
		    (unsigned long long)conn, (unsigned long long)op,
		    vecsd_req_table[msg->code].name, (unsigned long)caller->uid);
		vecs_buf_free(&answer);
		return true;
	}
	if (msg->code > 0 && msg->code < VECS_OP_MAX)
		log_debug("conn=%llu op=%llu %s uid=%lu result=%d%s%s",
		    (unsigned long long)conn, (unsigned long long)op,
		    vecsd_req_table[msg->code].name, (unsigned long)caller->uid, rc,
		    r.why[0] ? ": " : "", r.why);
	if (rc != 0) {
		/* a failure carries its text only */
		vecs_buf_free(&answer);
		vecs_buf_init(out, (uint32_t)rc);
		vecs_buf_add_str(out, r.why[0] ? r.why : vecs_err_name(rc));
		return false;
	}
	*out = answer;
	return false;
}

int
vecsd_req_bootstrap(struct vecsd_ctx *ctx)
{
	for (size_t i = 0; vecsd_rules_default_stores[i] != NULL; i++) {
		const char *name = vecsd_rules_default_stores[i];
		struct vecsd_grant everyone = { VECSD_UID_EVERYONE, VECS_RIGHT_READ };
		struct vecsd_store s = { (char *)name, 0, 0, NULL };
		int rc;

		if (vecsd_rules_public(name)) {
			s.ngrants = 1;
			s.grants = &everyone;
		}
		rc = vecsd_db_store_create(ctx->db, &s);
		if (rc == 0)
			log_info("created the default store [%s]", name);
		else if (rc != VECS_ERR_ALREADY_EXISTS)
			return rc;
	}
	return 0;
}
