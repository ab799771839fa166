/*
 * vecsd_db.c: vecsd's storage, a transactional Berkeley DB environment in
 * the data directory (0700, files 0600), recovered at every open. Two
 * B-trees: stores.db (lowercase name -> store record) and entries.db
 * (lowercase store, NUL, lowercase alias -> entry record), so names and
 * aliases are unique case-insensitively and a store's entries are
 * adjacent. Every write is one transaction committed synchronously: it is
 * on disk before vecsd answers. vecsd serves from one thread, so there is
 * no deadlock to retry. The only file that includes db.h.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <db.h>

#include "log.h"
#include "vecs/vecsd.h"

struct vecsd_db {
	DB_ENV	*env;
	DB	*stores;
	DB	*entries;
};

/* Storage codes to the protocol's, in one place. */
static int
vecsd_db_err(int err, const char *what)
{
	if (err == 0)
		return 0;
	if (err == DB_NOTFOUND)
		return VECS_ERR_NOT_FOUND;
	if (err == DB_KEYEXIST)
		return VECS_ERR_ALREADY_EXISTS;
	if (err == ENOMEM)
		return VECS_ERR_NO_MEMORY;
	log_error("storage: %s: %s", what, db_strerror(err));
	return VECS_ERR_INTERNAL;
}

static int
vecsd_db_open_one(struct vecsd_db *d, DB **dbp, const char *file, char *err, size_t errlen)
{
	DB *db;
	int rc;

	if ((rc = db_create(&db, d->env, 0)) != 0 ||
	    (rc = db->open(db, NULL, file, NULL, DB_BTREE, DB_CREATE | DB_AUTO_COMMIT,
	    0600)) != 0) {
		snprintf(err, errlen, "cannot open %s: %s", file, db_strerror(rc));
		if (db != NULL)
			db->close(db, 0);
		return -1;
	}
	*dbp = db;
	return 0;
}

int
vecsd_db_open(const char *dir, struct vecsd_db **dp, char *err, size_t errlen)
{
	struct vecsd_db *d;
	int rc;

	*dp = NULL;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	/* an existing directory is made private too: it holds keys */
	if (chmod(dir, 0700) != 0) {
		snprintf(err, errlen, "cannot make %s private: %s", dir, strerror(errno));
		return -1;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if ((rc = db_env_create(&d->env, 0)) != 0 ||
	    (rc = d->env->set_lk_detect(d->env, DB_LOCK_DEFAULT)) != 0 ||
	    (rc = d->env->set_lg_filemode(d->env, 0600)) != 0 ||
	    /* recovery on every open: a crash leaves nothing else to do */
	    (rc = d->env->open(d->env, dir, DB_CREATE | DB_INIT_TXN | DB_INIT_LOCK |
	    DB_INIT_LOG | DB_INIT_MPOOL | DB_RECOVER, 0600)) != 0) {
		snprintf(err, errlen, "cannot open the environment in %s: %s", dir,
		    db_strerror(rc));
		vecsd_db_close(d);
		return -1;
	}
	d->env->log_set_config(d->env, DB_LOG_AUTO_REMOVE, 1);
	if (vecsd_db_open_one(d, &d->stores, "stores.db", err, errlen) != 0 ||
	    vecsd_db_open_one(d, &d->entries, "entries.db", err, errlen) != 0) {
		vecsd_db_close(d);
		return -1;
	}
	*dp = d;
	return 0;
}

void
vecsd_db_close(struct vecsd_db *d)
{
	if (d == NULL)
		return;
	if (d->entries != NULL)
		d->entries->close(d->entries, 0);
	if (d->stores != NULL)
		d->stores->close(d->stores, 0);
	if (d->env != NULL)
		d->env->close(d->env, 0);
	free(d);
}

static void
vecsd_dbt(DBT *k, const void *p, size_t len)
{
	memset(k, 0, sizeof(*k));
	k->data = (void *)p;
	k->size = (u_int32_t)len;
}

/* "store\0alias", both lowercase; caller frees. */
static char *
vecsd_db_entry_key(const char *store, const char *alias, size_t *len)
{
	char *s = vecsd_record_key(store), *a = alias ? vecsd_record_key(alias) : strdup("");
	char *k = NULL;

	if (s != NULL && a != NULL && (k = malloc(strlen(s) + strlen(a) + 2)) != NULL) {
		memcpy(k, s, strlen(s) + 1);
		memcpy(k + strlen(s) + 1, a, strlen(a) + 1);
		*len = strlen(s) + 1 + strlen(a);
	}
	free(s);
	free(a);
	return k;
}

static int
vecsd_db_store_read(struct vecsd_db *d, DB_TXN *t, const char *name, struct vecsd_store **s)
{
	char *key = vecsd_record_key(name);
	DBT k, v;
	int rc;

	*s = NULL;
	if (key == NULL)
		return VECS_ERR_NO_MEMORY;
	vecsd_dbt(&k, key, strlen(key));
	memset(&v, 0, sizeof(v));
	v.flags = DB_DBT_MALLOC;
	rc = vecsd_db_err(d->stores->get(d->stores, t, &k, &v, 0), "read store");
	free(key);
	if (rc != 0)
		return rc;
	rc = vecsd_record_store_decode(v.data, v.size, s);
	free(v.data);
	return rc;
}

int
vecsd_db_store_get(struct vecsd_db *d, const char *name, struct vecsd_store **s)
{
	return vecsd_db_store_read(d, NULL, name, s);
}

static int
vecsd_db_begin(struct vecsd_db *d, DB_TXN **t)
{
	return vecsd_db_err(d->env->txn_begin(d->env, NULL, t, 0), "begin");
}

/* Commits when rc is 0 (synchronously: durable on return), else aborts. */
static int
vecsd_db_end(DB_TXN *t, int rc)
{
	if (rc != 0) {
		t->abort(t);
		return rc;
	}
	return vecsd_db_err(t->commit(t, 0), "commit");
}

static int
vecsd_db_store_count(struct vecsd_db *d, DB_TXN *t, size_t *n)
{
	DBC *c;
	DBT k, v;
	int rc;

	*n = 0;
	if ((rc = d->stores->cursor(d->stores, t, &c, 0)) != 0)
		return vecsd_db_err(rc, "cursor");
	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	v.flags = DB_DBT_PARTIAL;	/* keys only */
	while ((rc = c->get(c, &k, &v, DB_NEXT)) == 0)
		(*n)++;
	c->close(c);
	return rc == DB_NOTFOUND ? 0 : vecsd_db_err(rc, "count stores");
}

static int
vecsd_db_store_write(struct vecsd_db *d, DB_TXN *t, const struct vecsd_store *s,
    u_int32_t flags)
{
	struct vecs_buf b;
	char *key = vecsd_record_key(s->name);
	DBT k, v;
	int rc;

	if (key == NULL)
		return VECS_ERR_NO_MEMORY;
	if ((rc = vecsd_record_store_encode(s, &b)) == 0) {
		vecsd_dbt(&k, key, strlen(key));
		vecsd_dbt(&v, b.p + VECS_FRAME_HDR, b.len - VECS_FRAME_HDR);
		rc = vecsd_db_err(d->stores->put(d->stores, t, &k, &v, flags), "write store");
	}
	vecs_buf_free(&b);
	free(key);
	return rc;
}

int
vecsd_db_store_create(struct vecsd_db *d, const struct vecsd_store *s)
{
	DB_TXN *t;
	size_t n;
	int rc;

	if ((rc = vecsd_db_begin(d, &t)) != 0)
		return rc;
	if ((rc = vecsd_db_store_count(d, t, &n)) == 0 && n >= VECSD_STORES_MAX)
		rc = VECS_ERR_BUSY;
	if (rc == 0)
		rc = vecsd_db_store_write(d, t, s, DB_NOOVERWRITE);
	return vecsd_db_end(t, rc);
}

int
vecsd_db_store_update(struct vecsd_db *d, const struct vecsd_store *s)
{
	struct vecsd_store *old;
	DB_TXN *t;
	int rc;

	if ((rc = vecsd_db_begin(d, &t)) != 0)
		return rc;
	if ((rc = vecsd_db_store_read(d, t, s->name, &old)) == 0)
		rc = vecsd_db_store_write(d, t, s, 0);
	vecsd_store_free(old);
	return vecsd_db_end(t, rc);
}

/* Deletes every entry of a store (key prefix "store\0"). */
static int
vecsd_db_entries_purge(struct vecsd_db *d, DB_TXN *t, const char *store)
{
	size_t plen;
	char *prefix = vecsd_db_entry_key(store, NULL, &plen);
	DBC *c = NULL;
	DBT k, v;
	int rc;

	if (prefix == NULL)
		return VECS_ERR_NO_MEMORY;
	if ((rc = d->entries->cursor(d->entries, t, &c, 0)) != 0) {
		free(prefix);
		return vecsd_db_err(rc, "cursor");
	}
	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.flags = DB_DBT_REALLOC;
	k.data = malloc(plen);
	if (k.data == NULL) {
		c->close(c);
		free(prefix);
		return VECS_ERR_NO_MEMORY;
	}
	memcpy(k.data, prefix, plen);
	k.size = (u_int32_t)plen;
	v.flags = DB_DBT_PARTIAL;
	for (rc = c->get(c, &k, &v, DB_SET_RANGE); rc == 0;
	    rc = c->get(c, &k, &v, DB_NEXT)) {
		if (k.size < plen || memcmp(k.data, prefix, plen) != 0)
			break;
		if ((rc = c->del(c, 0)) != 0)
			break;
	}
	c->close(c);
	free(k.data);
	free(prefix);
	return rc == DB_NOTFOUND ? 0 : vecsd_db_err(rc, "delete entries");
}

int
vecsd_db_store_delete(struct vecsd_db *d, const char *name)
{
	char *key = vecsd_record_key(name);
	DB_TXN *t;
	DBT k;
	int rc;

	if (key == NULL)
		return VECS_ERR_NO_MEMORY;
	if ((rc = vecsd_db_begin(d, &t)) != 0) {
		free(key);
		return rc;
	}
	vecsd_dbt(&k, key, strlen(key));
	rc = vecsd_db_err(d->stores->del(d->stores, t, &k, 0), "delete store");
	if (rc == 0)
		rc = vecsd_db_entries_purge(d, t, name);
	free(key);
	return vecsd_db_end(t, rc);
}

int
vecsd_db_store_list(struct vecsd_db *d, struct vecsd_store **vp, size_t *np)
{
	struct vecsd_store *v = NULL, *s, *nv;
	size_t n = 0;
	DBC *c;
	DBT k, val;
	int rc;

	*vp = NULL;
	*np = 0;
	if ((rc = d->stores->cursor(d->stores, NULL, &c, 0)) != 0)
		return vecsd_db_err(rc, "cursor");
	memset(&k, 0, sizeof(k));
	memset(&val, 0, sizeof(val));
	while ((rc = c->get(c, &k, &val, DB_NEXT)) == 0) {
		if ((rc = vecsd_record_store_decode(val.data, val.size, &s)) != 0)
			break;
		if ((nv = realloc(v, (n + 1) * sizeof(*v))) == NULL) {
			vecsd_store_free(s);
			rc = VECS_ERR_NO_MEMORY;
			break;
		}
		v = nv;
		v[n++] = *s;
		free(s);
	}
	c->close(c);
	if (rc != DB_NOTFOUND) {
		vecsd_stores_free(v, n);
		return rc > 0 && rc < 100000 ? rc : vecsd_db_err(rc, "list stores");
	}
	*vp = v;
	*np = n;
	return 0;
}

static int
vecsd_db_entry_write(struct vecsd_db *d, DB_TXN *t, const char *store,
    const struct vecsd_entry *e, u_int32_t flags)
{
	struct vecs_buf b;
	size_t klen;
	char *key = vecsd_db_entry_key(store, e->alias, &klen);
	DBT k, v;
	int rc;

	if (key == NULL)
		return VECS_ERR_NO_MEMORY;
	if ((rc = vecsd_record_entry_encode(e, &b)) == 0) {
		vecsd_dbt(&k, key, klen);
		vecsd_dbt(&v, b.p + VECS_FRAME_HDR, b.len - VECS_FRAME_HDR);
		rc = vecsd_db_err(d->entries->put(d->entries, t, &k, &v, flags), "write entry");
	}
	vecs_buf_free(&b);
	free(key);
	return rc;
}

int
vecsd_db_entry_add(struct vecsd_db *d, const char *store, const struct vecsd_entry *e)
{
	struct vecsd_store *s = NULL;
	DB_TXN *t;
	int rc;

	if ((rc = vecsd_db_begin(d, &t)) != 0)
		return rc;
	/* the store must still be there when the entry goes in */
	if ((rc = vecsd_db_store_read(d, t, store, &s)) == 0)
		rc = vecsd_db_entry_write(d, t, s->name, e, DB_NOOVERWRITE);
	vecsd_store_free(s);
	return vecsd_db_end(t, rc);
}

static int
vecsd_db_entry_read(struct vecsd_db *d, DB_TXN *t, const char *store, const char *alias,
    struct vecsd_entry **e)
{
	size_t klen;
	char *key = vecsd_db_entry_key(store, alias, &klen);
	DBT k, v;
	int rc;

	*e = NULL;
	if (key == NULL)
		return VECS_ERR_NO_MEMORY;
	vecsd_dbt(&k, key, klen);
	memset(&v, 0, sizeof(v));
	v.flags = DB_DBT_MALLOC;
	rc = vecsd_db_err(d->entries->get(d->entries, t, &k, &v, 0), "read entry");
	free(key);
	if (rc != 0)
		return rc;
	rc = vecsd_record_entry_decode(v.data, v.size, e);
	/* the record may hold a key */
	explicit_bzero(v.data, v.size);
	free(v.data);
	return rc;
}

int
vecsd_db_entry_get(struct vecsd_db *d, const char *store, const char *alias,
    struct vecsd_entry **e)
{
	return vecsd_db_entry_read(d, NULL, store, alias, e);
}

int
vecsd_db_entry_delete(struct vecsd_db *d, const char *store, const char *alias)
{
	size_t klen;
	char *key = vecsd_db_entry_key(store, alias, &klen);
	DB_TXN *t;
	DBT k;
	int rc;

	if (key == NULL)
		return VECS_ERR_NO_MEMORY;
	if ((rc = vecsd_db_begin(d, &t)) != 0) {
		free(key);
		return rc;
	}
	vecsd_dbt(&k, key, klen);
	rc = vecsd_db_err(d->entries->del(d->entries, t, &k, 0), "delete entry");
	free(key);
	return vecsd_db_end(t, rc);
}

int
vecsd_db_entry_set_pulled(struct vecsd_db *d, const char *store, const char *alias,
    bool pulled)
{
	struct vecsd_entry *e = NULL;
	DB_TXN *t;
	int rc;

	if ((rc = vecsd_db_begin(d, &t)) != 0)
		return rc;
	if ((rc = vecsd_db_entry_read(d, t, store, alias, &e)) == 0) {
		e->pulled = pulled;
		rc = vecsd_db_entry_write(d, t, store, e, 0);
	}
	vecsd_entry_free(e);
	return vecsd_db_end(t, rc);
}

int
vecsd_db_entry_list(struct vecsd_db *d, const char *store, struct vecsd_entry **vp,
    size_t *np)
{
	struct vecsd_entry *v = NULL, *e, *nv;
	size_t n = 0, plen;
	char *prefix = vecsd_db_entry_key(store, NULL, &plen);
	DBC *c;
	DBT k, val;
	int rc;

	*vp = NULL;
	*np = 0;
	if (prefix == NULL)
		return VECS_ERR_NO_MEMORY;
	if ((rc = d->entries->cursor(d->entries, NULL, &c, 0)) != 0) {
		free(prefix);
		return vecsd_db_err(rc, "cursor");
	}
	memset(&k, 0, sizeof(k));
	memset(&val, 0, sizeof(val));
	k.data = prefix;
	k.size = (u_int32_t)plen;
	/* DB_SET_RANGE returns the key found: into memory of its own */
	for (rc = c->get(c, &k, &val, DB_SET_RANGE); rc == 0;
	    rc = c->get(c, &k, &val, DB_NEXT)) {
		if (k.size < plen || memcmp(k.data, prefix, plen) != 0) {
			rc = DB_NOTFOUND;
			break;
		}
		if ((rc = vecsd_record_entry_decode(val.data, val.size, &e)) != 0)
			break;
		if ((nv = realloc(v, (n + 1) * sizeof(*v))) == NULL) {
			vecsd_entry_free(e);
			rc = VECS_ERR_NO_MEMORY;
			break;
		}
		v = nv;
		v[n++] = *e;
		free(e);
	}
	c->close(c);
	free(prefix);
	if (rc != DB_NOTFOUND) {
		vecsd_entries_free(v, n);
		return rc > 0 && rc < 100000 ? rc : vecsd_db_err(rc, "list entries");
	}
	*vp = v;
	*np = n;
	return 0;
}
