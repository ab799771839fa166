/*
 * be.c: entry storage in a transactional Berkeley DB environment.
 * Ids and USNs are stored as 8-byte big-endian numbers so that btree and
 * sorted-duplicate order is numeric order.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <db.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "vmdir.h"

/* Room for ~64 concurrent transactions, some of them touching many pages. */
#define BE_TX_MAX	256
#define BE_LOCKERS	1024
#define BE_LOCKS	15000
#define BE_LOG_BUF	(512 * 1024)

struct be_index {
	const struct at_def	*at;
	DB			*db;
};

struct be {
	DB_ENV			*env;
	bool			 env_open;
	DB			*id2entry, *dn2id, *parent2id, *usn2id, *meta;
	struct be_index		*idx;
	size_t			 nidx;
	const struct schema	*schema;
	bool			 nosync;
	_Atomic uint64_t	 next_id;
	_Atomic uint64_t	 usn_highest;
	/* One writer at a time, from begin to the (non-syncing) commit:
	 * writers never deadlock each other, and the log flush after the
	 * commit, outside the lock, is still shared (group commit). */
	pthread_mutex_t		 wlock;
};

struct be_txn {
	struct be	*be;
	DB_TXN		*txn;
	bool		 write;
	uint64_t	 usn;		/* highest USN taken here, 0 if none */
};

/*
 * The last names each thread looked up in a read, with their ids: most
 * searches name the same few bases. A name's id only changes when its
 * dn2id record is deleted (puts never overwrite), and every delete moves
 * the generation on once the record is gone, while the writer still
 * holds the page: a read that took the generation before then either
 * found the old record (and stamped it with a generation already past)
 * or waited for the commit. Writes never use or fill it: what they read
 * may not be committed.
 */
#define BE_DNCACHE	16
#define BE_DNCACHE_LEN	256
struct be_dncache {
	const struct be	*be;
	uint64_t	 gen, id;
	char		 ndn[BE_DNCACHE_LEN];
};
static _Atomic uint64_t be_dn_gen = 1;	/* 0: an empty slot */
static __thread struct be_dncache be_dncache[BE_DNCACHE];

static struct be_dncache *
be_dncache_slot(const char *ndn, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)ndn[i]) * 16777619u;
	return &be_dncache[h % BE_DNCACHE];
}

/* Sorted, duplicate-free normalised values of one attribute. */
struct be_keys {
	struct berval	*v;
	size_t		 n;
};

static int
be_error(int err, const char *what)
{
	switch (err) {
	case 0:
		return LDAP_SUCCESS;
	case DB_NOTFOUND:
		return LDAP_NO_SUCH_OBJECT;
	case DB_KEYEXIST:
		return LDAP_ALREADY_EXISTS;
	case DB_LOCK_DEADLOCK:
	case DB_LOCK_NOTGRANTED:
		return BE_RETRY;
	case ENOMEM:
		return LDAP_NO_MEMORY;
	default:
		log_error("be: %s: %s", what, db_strerror(err));
		return LDAP_OTHER;
	}
}

static void
be_errcall(const DB_ENV *env, const char *pfx, const char *msg)
{
	(void)env;
	(void)pfx;
	log_error("bdb: %s", msg);
}

static void
be_msgcall(const DB_ENV *env, const char *msg)
{
	(void)env;
	log_info("bdb: %s", msg);
}

static void
be_u64_enc(uint8_t b[8], uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		b[i] = v & 0xff;
}

static uint64_t
be_u64_dec(const uint8_t b[8])
{
	uint64_t	 v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

/*
 * Every DBT carries USERMEM or MALLOC: DB_THREAD handles refuse others.
 * A buffer given as USERMEM may be written back by cursor gets that
 * return the key, so read-only buffers are only passed where they are not.
 */
static void
be_dbt(DBT *d, const void *p, size_t len)
{
	memset(d, 0, sizeof(*d));
	d->data = (void *)p;
	d->size = d->ulen = len;
	d->flags = DB_DBT_USERMEM;
}

static void
be_dbt_malloc(DBT *d)
{
	memset(d, 0, sizeof(*d));
	d->flags = DB_DBT_MALLOC;
}

static int
be_ids_push(struct idset *s, uint64_t id)
{
	uint64_t	*p;
	size_t		 cap;

	if (s->n == s->cap) {
		cap = s->cap ? s->cap * 2 : 16;
		if ((p = reallocarray(s->ids, cap, sizeof(*p))) == NULL)
			return -1;
		s->ids = p;
		s->cap = cap;
	}
	s->ids[s->n++] = id;
	return 0;
}

static int
be_ids_cmp(const void *a, const void *b)
{
	uint64_t	 x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Sorts and dedups the unordered ids of tmp, adds them to out, frees tmp. */
static int
be_ids_merge(struct idset *out, struct idset *tmp)
{
	size_t	 i, n = 0;
	int	 rc = LDAP_SUCCESS;

	if (tmp->n > 0) {
		qsort(tmp->ids, tmp->n, sizeof(*tmp->ids), be_ids_cmp);
		for (i = 0; i < tmp->n; i++)
			if (n == 0 || tmp->ids[i] != tmp->ids[n - 1])
				tmp->ids[n++] = tmp->ids[i];
		tmp->n = n;
		if (idset_union(out, tmp) != 0)
			rc = LDAP_NO_MEMORY;
	}
	free(tmp->ids);
	memset(tmp, 0, sizeof(*tmp));
	return rc;
}

/* Opens one btree; its file is <name>.db in the environment directory. */
static int
be_db_open(struct be *be, DB **out, const char *name, bool dups,
    struct diag *d)
{
	char	 file[300];
	DB	*db;
	int	 err;

	snprintf(file, sizeof(file), "%s.db", name);
	if ((err = db_create(&db, be->env, 0)) != 0)
		return diag_set(d, be_error(err, name),
		    "cannot create database %s: %s", name, db_strerror(err));
	/* entries (1-3 KiB with their metadata) stay on their page instead
	 * of going to overflow pages */
	if ((strcmp(name, "id2entry") == 0 && (err = db->set_pagesize(db, 16384)) != 0) ||
	    (dups && (err = db->set_flags(db, DB_DUP | DB_DUPSORT)) != 0) ||
	    (err = db->open(db, NULL, file, NULL, DB_BTREE,
	    DB_CREATE | DB_AUTO_COMMIT | DB_THREAD, 0600)) != 0) {
		db->close(db, 0);
		return diag_set(d, be_error(err, name),
		    "cannot open database %s: %s", name, db_strerror(err));
	}
	*out = db;
	return LDAP_SUCCESS;
}

/* Mutexes for a cache of bytes: one per 4 KB buffer, and as many again
 * for the hash buckets, locks and transactions. */
static u_int32_t
be_mutexes(size_t bytes)
{
	uint64_t n = bytes / 4096 * 2 + 8192;

	return n > UINT32_MAX / 2 ? UINT32_MAX / 2 : (u_int32_t)n;
}

static int
be_env_open(struct be *be, const struct be_config *cfg, struct diag *d)
{
	DB_ENV	*env;
	int	 err;

	if (mkdir(cfg->dir, 0700) == -1 && errno != EEXIST)
		return diag_set(d, LDAP_OTHER, "cannot create %s: %s", cfg->dir,
		    strerror(errno));
	if ((err = db_env_create(&be->env, 0)) != 0)
		return diag_set(d, LDAP_OTHER, "db_env_create: %s",
		    db_strerror(err));
	env = be->env;
	env->set_errcall(env, be_errcall);
	env->set_msgcall(env, be_msgcall);
	if (cfg->cache_bytes > 0 && (err = env->set_cachesize(env,
	    cfg->cache_bytes >> 30, cfg->cache_bytes & ((1U << 30) - 1), 1)) != 0)
		return diag_set(d, LDAP_OTHER, "cache size %zu: %s",
		    cfg->cache_bytes, db_strerror(err));
	/* Room to grow: Berkeley DB would allocate every mutex the largest
	 * cache could need (a buffer's worth per page) at open; start with
	 * what the first size needs and let the mutex region grow with it. */
	if (cfg->cache_max_bytes > cfg->cache_bytes && ((err = env->set_cache_max(env,
	    cfg->cache_max_bytes >> 30, cfg->cache_max_bytes & ((1U << 30) - 1))) != 0 ||
	    (err = env->mutex_set_init(env, be_mutexes(cfg->cache_bytes))) != 0 ||
	    (err = env->mutex_set_max(env, be_mutexes(cfg->cache_max_bytes))) != 0))
		return diag_set(d, LDAP_OTHER, "cache maximum %zu: %s",
		    cfg->cache_max_bytes, db_strerror(err));
	if ((err = env->set_tx_max(env, BE_TX_MAX)) != 0 ||
	    (err = env->set_lk_max_lockers(env, BE_LOCKERS)) != 0 ||
	    (err = env->set_lk_max_locks(env, BE_LOCKS)) != 0 ||
	    (err = env->set_lk_max_objects(env, BE_LOCKS)) != 0 ||
	    (err = env->set_lk_detect(env, DB_LOCK_DEFAULT)) != 0 ||
	    (err = env->set_lg_bsize(env, BE_LOG_BUF)) != 0 ||
	    (err = env->log_set_config(env, DB_LOG_AUTO_REMOVE, 1)) != 0)
		return diag_set(d, LDAP_OTHER, "environment setup: %s",
		    db_strerror(err));
	/* DB_RECOVER on every open: a crash leaves nothing else to do. */
	if ((err = env->open(env, cfg->dir, DB_CREATE | DB_INIT_TXN |
	    DB_INIT_LOCK | DB_INIT_LOG | DB_INIT_MPOOL | DB_THREAD | DB_RECOVER,
	    0600)) != 0)
		return diag_set(d, LDAP_OTHER, "cannot open environment %s: %s",
		    cfg->dir, db_strerror(err));
	be->env_open = true;
	return LDAP_SUCCESS;
}

size_t
be_cache_auto_mb(uint64_t data_bytes, uint64_t ram_bytes)
{
	const uint64_t	 mib = 1 << 20;
	uint64_t	 want, cap;

	/* half the data in MiB, rounded up, then up to a multiple of 8:
	 * what a search touches (one index and the entries) fits, and the
	 * kernel's page cache holds the rest of the files */
	want = (data_bytes / 2 + data_bytes % 2 + mib - 1) / mib;
	want = (want + 7) / 8 * 8;
	if (ram_bytes > 0) {
		cap = ram_bytes / 4 / mib;
		if (want > cap)
			want = cap;
	}
	if (want < BE_CACHE_MIN_MB)
		want = BE_CACHE_MIN_MB;
	return (size_t)want;
}

size_t
be_cache_grow_mb(size_t cur_mb, uint64_t data_bytes, uint64_t ram_bytes)
{
	size_t want = be_cache_auto_mb(data_bytes, ram_bytes);

	return want > cur_mb + cur_mb / 8 ? want : 0;
}

uint64_t
be_data_bytes(const char *dir)
{
	DIR		*dp;
	struct dirent	*de;
	struct stat	 st;
	char		 path[4096];
	uint64_t	 sum = 0;
	size_t		 len;

	if ((dp = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(dp)) != NULL) {
		len = strlen(de->d_name);
		if (len < 4 || strcmp(de->d_name + len - 3, ".db") != 0)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
		    de->d_name) >= sizeof(path))
			continue;
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
			sum += (uint64_t)st.st_size;
	}
	closedir(dp);
	return sum;
}

uint64_t
be_cache_bytes(const struct be *be)
{
	u_int32_t	 gb = 0, b = 0;
	int		 n = 0;

	if (be == NULL || be->env == NULL ||
	    be->env->get_cachesize(be->env, &gb, &b, &n) != 0)
		return 0;
	return (uint64_t)gb << 30 | b;
}

int
be_cache_resize(struct be *be, uint64_t bytes)
{
	int err;

	if ((err = be->env->set_cachesize(be->env, (u_int32_t)(bytes >> 30),
	    (u_int32_t)(bytes & ((1U << 30) - 1)), 0)) != 0) {
		log_warn("be: cannot resize the cache to %llu KB: %s",
		    (unsigned long long)(bytes >> 10), db_strerror(err));
		return -1;
	}
	return 0;
}

static struct be_index *
be_index_find(const struct be *be, const struct at_def *at)
{
	for (size_t i = 0; i < be->nidx; i++)
		if (be->idx[i].at == at)
			return &be->idx[i];
	return NULL;
}

static int
be_indexes_open(struct be *be, const char **names, struct diag *d)
{
	const struct at_def	*at;
	const char		*primary;
	char			 dbname[280];
	size_t			 i, n = 0;
	int			 rc;

	while (names != NULL && names[n] != NULL)
		n++;
	if (n == 0)
		return LDAP_SUCCESS;
	if ((be->idx = calloc(n, sizeof(*be->idx))) == NULL)
		return diag_set(d, LDAP_NO_MEMORY, "out of memory");
	for (i = 0; i < n; i++) {
		if ((at = schema_at(be->schema, names[i])) == NULL)
			return diag_set(d, LDAP_OTHER,
			    "cannot index %s: unknown attribute type", names[i]);
		if (be_index_find(be, at) != NULL)
			continue;
		primary = at->names != NULL && at->names[0] != NULL ?
		    at->names[0] : at->oid;
		if (strlen(primary) > 255)
			return diag_set(d, LDAP_OTHER,
			    "cannot index %s: name too long", names[i]);
		snprintf(dbname, sizeof(dbname), "idx_%s", primary);
		for (char *p = dbname; *p != '\0'; p++)
			*p = tolower((unsigned char)*p);
		if ((rc = be_db_open(be, &be->idx[be->nidx].db, dbname, true,
		    d)) != LDAP_SUCCESS)
			return rc;
		be->idx[be->nidx++].at = at;
	}
	return LDAP_SUCCESS;
}

static int
be_meta_read(struct be_txn *t, const char *key, uint32_t flags, char **val)
{
	DB	*db = t->be->meta;
	DBT	 k, v;
	char	*s;
	int	 err;

	*val = NULL;
	be_dbt(&k, key, strlen(key));
	be_dbt_malloc(&v);
	if ((err = db->get(db, t->txn, &k, &v, flags)) != 0)
		return be_error(err, "meta get");
	if ((s = malloc(v.size + 1)) == NULL) {
		free(v.data);
		return LDAP_NO_MEMORY;
	}
	memcpy(s, v.data, v.size);
	s[v.size] = '\0';
	free(v.data);
	*val = s;
	return LDAP_SUCCESS;
}

/* Reads the stored USN; 0 if none was ever taken. */
static int
be_usn_read(struct be_txn *t, uint32_t flags, uint64_t *usn)
{
	char	*s;
	int	 rc;

	*usn = 0;
	rc = be_meta_read(t, "usn", flags, &s);
	if (rc == LDAP_NO_SUCH_OBJECT)
		return LDAP_SUCCESS;
	if (rc != LDAP_SUCCESS)
		return rc;
	*usn = strtoull(s, NULL, 10);
	free(s);
	return LDAP_SUCCESS;
}

/* Ids continue after the highest stored one; USNs after the stored counter. */
static int
be_counters_load(struct be *be, struct diag *d)
{
	struct be_txn	*t;
	uint8_t		 kb[8];
	uint64_t	 usn;
	DBC		*c;
	DBT		 k, v;
	int		 err, cerr, rc;

	if ((rc = be_begin(be, false, &t)) != LDAP_SUCCESS)
		return diag_set(d, rc, "cannot begin a transaction");
	if ((err = be->id2entry->cursor(be->id2entry, t->txn, &c, 0)) != 0) {
		be_abort(t);
		return diag_set(d, be_error(err, "cursor"), "cannot read id2entry");
	}
	be_dbt(&k, kb, sizeof(kb));
	memset(&v, 0, sizeof(v));
	v.flags = DB_DBT_USERMEM | DB_DBT_PARTIAL;
	err = c->get(c, &k, &v, DB_LAST);
	cerr = c->close(c);
	if (err == 0 && k.size == sizeof(kb))
		be->next_id = be_u64_dec(kb) + 1;
	else if (err == DB_NOTFOUND)
		be->next_id = 1;
	else {
		be_abort(t);
		return diag_set(d, be_error(err ? err : EINVAL, "id2entry last"),
		    "cannot read the last entry id");
	}
	if (cerr != 0) {
		be_abort(t);
		return diag_set(d, be_error(cerr, "cursor close"),
		    "cannot read id2entry");
	}
	if ((rc = be_usn_read(t, 0, &usn)) != LDAP_SUCCESS) {
		be_abort(t);
		return diag_set(d, rc, "cannot read the USN counter");
	}
	be->usn_highest = usn;
	return be_commit(t);
}

int
be_open(const struct be_config *cfg, const struct schema *s,
    struct be **out, struct diag *d)
{
	struct be	*be;
	int		 rc;

	*out = NULL;
	if ((be = calloc(1, sizeof(*be))) == NULL)
		return diag_set(d, LDAP_NO_MEMORY, "out of memory");
	be->schema = s;
	be->nosync = cfg->nosync;
	pthread_mutex_init(&be->wlock, NULL);
	if ((rc = be_env_open(be, cfg, d)) != LDAP_SUCCESS ||
	    (rc = be_db_open(be, &be->id2entry, "id2entry", false, d)) != 0 ||
	    (rc = be_db_open(be, &be->dn2id, "dn2id", false, d)) != 0 ||
	    (rc = be_db_open(be, &be->parent2id, "parent2id", true, d)) != 0 ||
	    (rc = be_db_open(be, &be->usn2id, "usn2id", true, d)) != 0 ||
	    (rc = be_db_open(be, &be->meta, "meta", false, d)) != 0 ||
	    (rc = be_indexes_open(be, cfg->indexes, d)) != LDAP_SUCCESS ||
	    (rc = be_counters_load(be, d)) != LDAP_SUCCESS) {
		be_close(be);
		return rc;
	}
	*out = be;
	return LDAP_SUCCESS;
}

static void
be_db_close(DB *db)
{
	int	 err;

	if (db != NULL && (err = db->close(db, 0)) != 0)
		log_error("be: close: %s", db_strerror(err));
}

void
be_close(struct be *be)
{
	int	 err;

	if (be == NULL)
		return;
	/* another environment may open at the same address */
	atomic_fetch_add(&be_dn_gen, 1);
	/* A checkpoint keeps the next open's recovery short. */
	if (be->env_open &&
	    (err = be->env->txn_checkpoint(be->env, 0, 0, 0)) != 0)
		log_error("be: checkpoint: %s", db_strerror(err));
	for (size_t i = 0; i < be->nidx; i++)
		be_db_close(be->idx[i].db);
	be_db_close(be->meta);
	be_db_close(be->usn2id);
	be_db_close(be->parent2id);
	be_db_close(be->dn2id);
	be_db_close(be->id2entry);
	if (be->env != NULL && (err = be->env->close(be->env, 0)) != 0)
		log_error("be: environment close: %s", db_strerror(err));
	free(be->idx);
	pthread_mutex_destroy(&be->wlock);
	free(be);
}

int
be_begin(struct be *be, bool write, struct be_txn **out)
{
	struct be_txn	*t;
	int		 err;

	*out = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return LDAP_NO_MEMORY;
	t->be = be;
	t->write = write;
	/* Reads run without a transaction: each call sees committed data
	 * (degree 2) and no transaction region work is paid per search. */
	if (!write) {
		*out = t;
		return LDAP_SUCCESS;
	}
	pthread_mutex_lock(&be->wlock);
	if ((err = be->env->txn_begin(be->env, NULL, &t->txn, 0)) != 0) {
		pthread_mutex_unlock(&be->wlock);
		free(t);
		return be_error(err, "txn_begin");
	}
	*out = t;
	return LDAP_SUCCESS;
}

static void
be_usn_raise(struct be *be, uint64_t usn)
{
	uint64_t	 cur = atomic_load(&be->usn_highest);

	while (usn > cur &&
	    !atomic_compare_exchange_weak(&be->usn_highest, &cur, usn))
		;
}

int
be_consistent(struct be *be, int (*fn)(void *), void *arg)
{
	int rc;

	pthread_mutex_lock(&be->wlock);
	rc = fn(arg);
	pthread_mutex_unlock(&be->wlock);
	return rc;
}

int
be_flush(struct be *be)
{
	int err;

	if (!be->nosync && (err = be->env->log_flush(be->env, NULL)) != 0)
		return be_error(err, "log flush");
	return LDAP_SUCCESS;
}

static int
be_commit_run(struct be_txn *t, bool sync)
{
	struct be	*be = t->be;
	uint64_t	 usn = t->usn;
	bool		 write = t->write;
	int		 err;

	err = t->txn != NULL ? t->txn->commit(t->txn, DB_TXN_NOSYNC) : 0;
	/* Raised with the commit, under the writer lock, so that whoever
	 * reads under that lock (be_consistent) sees the highest USN and the
	 * data of the same commits. A crash before the flush below can lose
	 * a USN that was seen: every start is a new incarnation, so partners
	 * never take a reused USN for one they have. */
	if (write && err == 0)
		be_usn_raise(be, usn);
	if (write)
		pthread_mutex_unlock(&be->wlock);
	free(t);
	if (err != 0)
		return be_error(err, "commit");
	if (!write || be->nosync || !sync)
		return LDAP_SUCCESS;
	/*
	 * Committing without sync releases the locks at once; the flush
	 * then writes every commit record buffered so far, so writers that
	 * commit together share one fsync.
	 */
	return be_flush(be);
}

int
be_commit(struct be_txn *t)
{
	return be_commit_run(t, true);
}

int
be_commit_nosync(struct be_txn *t)
{
	return be_commit_run(t, false);
}

void
be_abort(struct be_txn *t)
{
	int	 err;

	if (t == NULL)
		return;
	if (t->txn != NULL && (err = t->txn->abort(t->txn)) != 0)
		log_error("be: abort: %s", db_strerror(err));
	if (t->write)
		pthread_mutex_unlock(&t->be->wlock);
	free(t);
}

int
be_dn2id(struct be_txn *t, const char *ndn, uint64_t *id)
{
	DB	*db = t->be->dn2id;
	uint8_t	 vb[8];
	DBT	 k, v;
	int	 err;
	size_t	 len = strlen(ndn);
	struct be_dncache *c = NULL;
	uint64_t gen = 0;

	if (!t->write && len < BE_DNCACHE_LEN) {
		gen = atomic_load(&be_dn_gen);
		c = be_dncache_slot(ndn, len);
		if (c->gen == gen && c->be == t->be && strcmp(c->ndn, ndn) == 0) {
			*id = c->id;
			return LDAP_SUCCESS;
		}
	}
	be_dbt(&k, ndn, len);
	be_dbt(&v, vb, sizeof(vb));
	if ((err = db->get(db, t->txn, &k, &v, 0)) != 0)
		return be_error(err, "dn2id get");
	if (v.size != sizeof(vb)) {
		log_error("be: dn2id: bad record for %s", ndn);
		return LDAP_OTHER;
	}
	*id = be_u64_dec(vb);
	if (c != NULL) {
		memcpy(c->ndn, ndn, len + 1);
		c->be = t->be;
		c->id = *id;
		c->gen = gen;
	}
	return LDAP_SUCCESS;
}

int
be_get_id(struct be_txn *t, uint64_t id, struct entry **out)
{
	return be_get_id_flags(t, id, 0, out);
}

int
be_get_id_flags(struct be_txn *t, uint64_t id, int flags, struct entry **out)
{
	DB		*db = t->be->id2entry;
	struct entry	*e;
	uint8_t		 kb[8];
	DBT		 k, v;
	int		 err;

	*out = NULL;
	be_u64_enc(kb, id);
	be_dbt(&k, kb, sizeof(kb));
	be_dbt_malloc(&v);
	if ((err = db->get(db, t->txn, &k, &v, 0)) != 0)
		return be_error(err, "id2entry get");
	e = entry_decode_flags(v.data, v.size, flags);
	free(v.data);
	if (e == NULL) {
		log_error("be: entry %llu cannot be decoded",
		    (unsigned long long)id);
		return LDAP_OTHER;
	}
	e->id = id;
	if (e->ndn == NULL && e->dn != NULL &&
	    dn_normalize(t->be->schema, e->dn, &e->ndn) != LDAP_SUCCESS) {
		entry_free(e);
		return LDAP_OTHER;
	}
	*out = e;
	return LDAP_SUCCESS;
}

int
be_get_dn(struct be_txn *t, const char *ndn, struct entry **out)
{
	uint64_t	 id;
	int		 rc;

	*out = NULL;
	if ((rc = be_dn2id(t, ndn, &id)) != LDAP_SUCCESS)
		return rc;
	return be_get_id(t, id, out);
}

static int
be_entry_put(struct be_txn *t, uint64_t id, const struct entry *e)
{
	DB	*db = t->be->id2entry;
	uint8_t	 kb[8];
	size_t	 len;
	void	*buf;
	DBT	 k, v;
	int	 rc, err;

	if ((rc = entry_encode(e, &buf, &len)) != LDAP_SUCCESS)
		return rc == -1 ? LDAP_NO_MEMORY : rc;
	be_u64_enc(kb, id);
	be_dbt(&k, kb, sizeof(kb));
	be_dbt(&v, buf, len);
	err = db->put(db, t->txn, &k, &v, 0);
	free(buf);
	return be_error(err, "id2entry put");
}

static int
be_del(struct be_txn *t, DB *db, const void *key, size_t klen)
{
	DBT	 k;

	be_dbt(&k, key, klen);
	return be_error(db->del(db, t->txn, &k, 0), "del");
}

static int
be_dn2id_del(struct be_txn *t, const char *ndn)
{
	int rc = be_del(t, t->be->dn2id, ndn, strlen(ndn));

	atomic_fetch_add(&be_dn_gen, 1);
	return rc;
}

static int
be_dn2id_put(struct be_txn *t, const char *ndn, uint64_t id)
{
	DB	*db = t->be->dn2id;
	uint8_t	 vb[8];
	DBT	 k, v;

	be_u64_enc(vb, id);
	be_dbt(&k, ndn, strlen(ndn));
	be_dbt(&v, vb, sizeof(vb));
	return be_error(db->put(db, t->txn, &k, &v, DB_NOOVERWRITE),
	    "dn2id put");
}

/* Adds the pair key → id to a duplicate database; an existing pair is kept. */
static int
be_pair_put(struct be_txn *t, DB *db, const void *key, size_t klen,
    uint64_t id)
{
	uint8_t	 vb[8];
	DBT	 k, v;
	int	 err;

	be_u64_enc(vb, id);
	be_dbt(&k, key, klen);
	be_dbt(&v, vb, sizeof(vb));
	err = db->put(db, t->txn, &k, &v, DB_NODUPDATA);
	return err == DB_KEYEXIST ? LDAP_SUCCESS : be_error(err, "put");
}

/* Removes the pair key → id only; a missing pair is not an error. */
static int
be_pair_del(struct be_txn *t, DB *db, const void *key, size_t klen,
    uint64_t id)
{
	uint8_t	 vb[8];
	void	*kbuf;
	DBC	*c;
	DBT	 k, v;
	int	 err, cerr;

	/* The cursor may write the key back: give it our own buffer. */
	if ((kbuf = malloc(klen > 0 ? klen : 1)) == NULL)
		return LDAP_NO_MEMORY;
	memcpy(kbuf, key, klen);
	be_dbt(&k, kbuf, klen);
	be_u64_enc(vb, id);
	be_dbt(&v, vb, sizeof(vb));
	if ((err = db->cursor(db, t->txn, &c, 0)) != 0) {
		free(kbuf);
		return be_error(err, "cursor");
	}
	if ((err = c->get(c, &k, &v, DB_GET_BOTH | DB_RMW)) == 0)
		err = c->del(c, 0);
	cerr = c->close(c);
	free(kbuf);
	if (err == DB_NOTFOUND)
		err = 0;
	return be_error(err != 0 ? err : cerr, "pair del");
}

static int
be_id_pair_put(struct be_txn *t, DB *db, uint64_t key, uint64_t id)
{
	uint8_t	 kb[8];

	be_u64_enc(kb, key);
	return be_pair_put(t, db, kb, sizeof(kb), id);
}

static int
be_id_pair_del(struct be_txn *t, DB *db, uint64_t key, uint64_t id)
{
	uint8_t	 kb[8];

	be_u64_enc(kb, key);
	return be_pair_del(t, db, kb, sizeof(kb), id);
}

/* Appends every id stored under key in a duplicate database to ids. */
static int
be_dups_collect(struct be_txn *t, DB *db, const void *key, size_t klen,
    struct idset *ids)
{
	uint8_t		 vb[8];
	void		*kbuf;
	uint32_t	 flag = DB_SET;
	DBC		*c;
	DBT		 k, v;
	int		 err, cerr;

	/* DB_NEXT_DUP writes the key back: give it our own buffer. */
	if ((kbuf = malloc(klen > 0 ? klen : 1)) == NULL)
		return LDAP_NO_MEMORY;
	memcpy(kbuf, key, klen);
	if ((err = db->cursor(db, t->txn, &c, 0)) != 0) {
		free(kbuf);
		return be_error(err, "cursor");
	}
	be_dbt(&k, kbuf, klen);
	for (;;) {
		be_dbt(&v, vb, sizeof(vb));
		if ((err = c->get(c, &k, &v, flag)) != 0)
			break;
		flag = DB_NEXT_DUP;
		if (v.size == sizeof(vb) && be_ids_push(ids, be_u64_dec(vb))) {
			err = ENOMEM;
			break;
		}
	}
	cerr = c->close(c);
	free(kbuf);
	if (err == DB_NOTFOUND)
		err = 0;
	return be_error(err != 0 ? err : cerr, "cursor get");
}

/* The id of the parent of ndn, 0 for a suffix entry. */
static int
be_parent_id(struct be_txn *t, const char *ndn, uint64_t *id)
{
	char	*p;
	int	 rc;

	*id = 0;
	if ((p = dn_parent(ndn)) == NULL)
		return LDAP_NO_MEMORY;
	rc = p[0] == '\0' ? LDAP_SUCCESS : be_dn2id(t, p, id);
	free(p);
	return rc == LDAP_NO_SUCH_OBJECT ? LDAP_SUCCESS : rc;
}

static bool
be_attr_is(const struct attr *a, const struct at_def *at)
{
	size_t	 len;

	if (a->at != NULL)
		return a->at == at;
	len = strcspn(a->name, ";");
	if (at->oid != NULL && strncasecmp(a->name, at->oid, len) == 0 &&
	    at->oid[len] == '\0')
		return true;
	for (char **n = at->names; n != NULL && *n != NULL; n++)
		if (strncasecmp(a->name, *n, len) == 0 && (*n)[len] == '\0')
			return true;
	return false;
}

static int
be_bv_cmp(const void *a, const void *b)
{
	const struct berval	*x = a, *y = b;
	size_t			 n = x->bv_len < y->bv_len ? x->bv_len : y->bv_len;
	int			 c;

	if ((c = memcmp(x->bv_val, y->bv_val, n)) != 0)
		return c;
	return x->bv_len < y->bv_len ? -1 : x->bv_len > y->bv_len;
}

static void
be_keys_free(struct be_keys *k)
{
	for (size_t i = 0; i < k->n; i++)
		free(k->v[i].bv_val);
	free(k->v);
	k->v = NULL;
	k->n = 0;
}

/*
 * The index keys of e for at. A value that does not normalise is left
 * out; it was refused on the way in, and leaving it out the same way on
 * every path keeps the index consistent.
 */
static int
be_keys_get(struct be *be, const struct at_def *at, const struct entry *e,
    struct be_keys *out)
{
	struct berval	 nv, *p;
	size_t		 i, j, n = 0, cap = 0;
	int		 rc;

	out->v = NULL;
	out->n = 0;
	for (i = 0; e != NULL && i < e->nattrs; i++) {
		if (!be_attr_is(&e->attrs[i], at))
			continue;
		cap += e->attrs[i].nvals;
	}
	if (cap == 0)
		return LDAP_SUCCESS;
	if ((out->v = calloc(cap, sizeof(*out->v))) == NULL)
		return LDAP_NO_MEMORY;
	for (i = 0; i < e->nattrs; i++) {
		if (!be_attr_is(&e->attrs[i], at))
			continue;
		for (j = 0; j < e->attrs[i].nvals; j++) {
			memset(&nv, 0, sizeof(nv));
			rc = schema_normalize(be->schema, at,
			    &e->attrs[i].vals[j], &nv);
			if (rc == LDAP_NO_MEMORY) {
				be_keys_free(out);
				return rc;
			}
			if (rc == LDAP_SUCCESS)
				out->v[out->n++] = nv;
		}
	}
	qsort(out->v, out->n, sizeof(*out->v), be_bv_cmp);
	for (i = 0, p = out->v; i < out->n; i++) {
		if (n > 0 && be_bv_cmp(&p[i], &p[n - 1]) == 0)
			free(p[i].bv_val);
		else
			p[n++] = p[i];
	}
	out->n = n;
	return LDAP_SUCCESS;
}

/* Brings one index from old's values to nw's (either may be NULL). */
static int
be_index_change(struct be_txn *t, struct be_index *ix,
    const struct entry *old, const struct entry *nw, uint64_t id)
{
	struct be_keys	 ok, nk;
	struct berval	*v;
	size_t		 i = 0, j = 0;
	int		 c, rc;

	if ((rc = be_keys_get(t->be, ix->at, old, &ok)) != LDAP_SUCCESS)
		return rc;
	if ((rc = be_keys_get(t->be, ix->at, nw, &nk)) != LDAP_SUCCESS) {
		be_keys_free(&ok);
		return rc;
	}
	while (rc == LDAP_SUCCESS && (i < ok.n || j < nk.n)) {
		if (i == ok.n)
			c = 1;
		else if (j == nk.n)
			c = -1;
		else
			c = be_bv_cmp(&ok.v[i], &nk.v[j]);
		if (c < 0) {
			v = &ok.v[i++];
			rc = be_pair_del(t, ix->db, v->bv_val, v->bv_len, id);
		} else if (c > 0) {
			v = &nk.v[j++];
			rc = be_pair_put(t, ix->db, v->bv_val, v->bv_len, id);
		} else {
			i++;
			j++;
		}
	}
	be_keys_free(&ok);
	be_keys_free(&nk);
	return rc;
}

static int
be_indexes_change(struct be_txn *t, const struct entry *old,
    const struct entry *nw, uint64_t id)
{
	int	 rc;

	for (size_t i = 0; i < t->be->nidx; i++)
		if ((rc = be_index_change(t, &t->be->idx[i], old, nw, id)) !=
		    LDAP_SUCCESS)
			return rc;
	return LDAP_SUCCESS;
}

int
be_add(struct be_txn *t, struct entry *e, uint64_t parent_id)
{
	struct be	*be = t->be;
	uint64_t	 id, usn;
	int		 rc;

	id = atomic_fetch_add(&be->next_id, 1);
	e->id = id;
	usn = entry_get_u64(e, "uSNChanged");
	if ((rc = be_dn2id_put(t, e->ndn, id)) != LDAP_SUCCESS ||
	    (rc = be_entry_put(t, id, e)) != LDAP_SUCCESS ||
	    (rc = be_id_pair_put(t, be->parent2id, parent_id, id)) != 0 ||
	    (usn != 0 && (rc = be_id_pair_put(t, be->usn2id, usn, id)) != 0) ||
	    (rc = be_indexes_change(t, NULL, e, id)) != LDAP_SUCCESS) {
		e->id = 0;
		return rc;
	}
	return LDAP_SUCCESS;
}

int
be_update(struct be_txn *t, const struct entry *old, const struct entry *nw,
    uint64_t new_parent_id)
{
	struct be	*be = t->be;
	uint64_t	 id = old->id, old_parent, ousn, nusn;
	int		 rc;

	if (strcmp(old->ndn, nw->ndn) != 0) {
		if ((rc = be_parent_id(t, old->ndn, &old_parent)) != 0 ||
		    (rc = be_dn2id_put(t, nw->ndn, id)) != LDAP_SUCCESS ||
		    (rc = be_dn2id_del(t, old->ndn)) != LDAP_SUCCESS)
			return rc;
		if (old_parent != new_parent_id &&
		    ((rc = be_id_pair_del(t, be->parent2id, old_parent,
		    id)) != 0 ||
		    (rc = be_id_pair_put(t, be->parent2id, new_parent_id,
		    id)) != 0))
			return rc;
	}
	if ((rc = be_entry_put(t, id, nw)) != LDAP_SUCCESS)
		return rc;
	ousn = entry_get_u64(old, "uSNChanged");
	nusn = entry_get_u64(nw, "uSNChanged");
	if (ousn != nusn &&
	    ((ousn != 0 && (rc = be_id_pair_del(t, be->usn2id, ousn, id)) != 0) ||
	    (nusn != 0 && (rc = be_id_pair_put(t, be->usn2id, nusn, id)) != 0)))
		return rc;
	return be_indexes_change(t, old, nw, id);
}

int
be_delete(struct be_txn *t, const struct entry *e)
{
	struct be	*be = t->be;
	uint64_t	 parent, usn;
	uint8_t		 kb[8];
	int		 rc;

	usn = entry_get_u64(e, "uSNChanged");
	be_u64_enc(kb, e->id);
	if ((rc = be_parent_id(t, e->ndn, &parent)) != LDAP_SUCCESS ||
	    (rc = be_dn2id_del(t, e->ndn)) != 0 ||
	    (rc = be_del(t, be->id2entry, kb, sizeof(kb))) != LDAP_SUCCESS ||
	    (rc = be_id_pair_del(t, be->parent2id, parent, e->id)) != 0 ||
	    (usn != 0 && (rc = be_id_pair_del(t, be->usn2id, usn, e->id)) != 0))
		return rc;
	return be_indexes_change(t, e, NULL, e->id);
}

int
be_has_children(struct be_txn *t, uint64_t id, bool *yes)
{
	DB	*db = t->be->parent2id;
	uint8_t	 kb[8], vb[8];
	DBT	 k, v;
	int	 err;

	*yes = false;
	be_u64_enc(kb, id);
	be_dbt(&k, kb, sizeof(kb));
	be_dbt(&v, vb, sizeof(vb));
	err = db->get(db, t->txn, &k, &v, 0);
	if (err == DB_NOTFOUND)
		return LDAP_SUCCESS;
	if (err != 0)
		return be_error(err, "parent2id get");
	*yes = true;
	return LDAP_SUCCESS;
}

int
be_children(struct be_txn *t, uint64_t id, struct idset *out)
{
	struct idset	 tmp = { 0 };
	uint8_t		 kb[8];
	int		 rc;

	be_u64_enc(kb, id);
	rc = be_dups_collect(t, t->be->parent2id, kb, sizeof(kb), &tmp);
	if (rc != LDAP_SUCCESS) {
		free(tmp.ids);
		return rc;
	}
	return be_ids_merge(out, &tmp);
}

int
be_subtree_topdown(struct be_txn *t, uint64_t id, struct idset *out)
{
	uint8_t		 kb[8];
	int		 rc;

	/* Breadth first: out->ids doubles as the queue of nodes to expand. */
	memset(out, 0, sizeof(*out));
	if (be_ids_push(out, id) == -1)
		return LDAP_NO_MEMORY;
	for (size_t i = 0; i < out->n; i++) {
		be_u64_enc(kb, out->ids[i]);
		rc = be_dups_collect(t, t->be->parent2id, kb, sizeof(kb), out);
		if (rc != LDAP_SUCCESS) {
			free(out->ids);
			memset(out, 0, sizeof(*out));
			return rc;
		}
	}
	return LDAP_SUCCESS;
}

int
be_subtree(struct be_txn *t, uint64_t id, struct idset *out)
{
	struct idset	 all;
	int		 rc;

	if ((rc = be_subtree_topdown(t, id, &all)) != LDAP_SUCCESS)
		return rc;
	return be_ids_merge(out, &all);
}

bool
be_indexed(const struct be *be, const struct at_def *at)
{
	return at != NULL && be_index_find(be, at) != NULL;
}

int
be_index_eq(struct be_txn *t, const struct at_def *at,
    const struct berval *normval, struct idset *out)
{
	struct be_index	*ix;
	struct idset	 tmp = { 0 };
	int		 rc;

	if ((ix = be_index_find(t->be, at)) == NULL)
		return LDAP_UNWILLING_TO_PERFORM;
	rc = be_dups_collect(t, ix->db, normval->bv_val, normval->bv_len, &tmp);
	if (rc != LDAP_SUCCESS) {
		free(tmp.ids);
		return rc;
	}
	return be_ids_merge(out, &tmp);
}

int
be_index_pres(struct be_txn *t, const struct at_def *at, struct idset *out)
{
	struct be_index	*ix;
	struct idset	 tmp = { 0 };
	uint8_t		 vb[8];
	DBC		*c;
	DBT		 k, v;
	int		 err, cerr;

	if ((ix = be_index_find(t->be, at)) == NULL)
		return LDAP_UNWILLING_TO_PERFORM;
	if ((err = ix->db->cursor(ix->db, t->txn, &c, 0)) != 0)
		return be_error(err, "cursor");
	memset(&k, 0, sizeof(k));
	k.flags = DB_DBT_REALLOC;
	for (;;) {
		be_dbt(&v, vb, sizeof(vb));
		if ((err = c->get(c, &k, &v, DB_NEXT)) != 0)
			break;
		if (v.size == sizeof(vb) && be_ids_push(&tmp, be_u64_dec(vb))) {
			err = ENOMEM;
			break;
		}
	}
	cerr = c->close(c);
	free(k.data);
	if (err == DB_NOTFOUND)
		err = 0;
	if ((err = err != 0 ? err : cerr) != 0) {
		free(tmp.ids);
		return be_error(err, "index scan");
	}
	return be_ids_merge(out, &tmp);
}

int
be_usn_next(struct be_txn *t, uint64_t *usn)
{
	char		 buf[32];
	uint64_t	 cur;
	int		 rc;

	/* DB_RMW write-locks the counter now: writers queue here, not deadlock. */
	if ((rc = be_usn_read(t, DB_RMW, &cur)) != LDAP_SUCCESS)
		return rc;
	cur++;
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)cur);
	if ((rc = be_meta_put(t, "usn", buf)) != LDAP_SUCCESS)
		return rc;
	if (cur > t->usn)
		t->usn = cur;
	*usn = cur;
	return LDAP_SUCCESS;
}

uint64_t
be_usn_highest(struct be *be)
{
	return atomic_load(&be->usn_highest);
}

int
be_usn_scan(struct be_txn *t, uint64_t after,
    int (*cb)(void *arg, uint64_t usn, uint64_t id), void *arg)
{
	DB		*db = t->be->usn2id;
	uint8_t		 kb[8], vb[8];
	uint32_t	 flag = DB_SET_RANGE;
	DBC		*c;
	DBT		 k, v;
	int		 err, cerr, r = 0;

	if (after == UINT64_MAX)
		return LDAP_SUCCESS;
	if ((err = db->cursor(db, t->txn, &c, 0)) != 0)
		return be_error(err, "cursor");
	be_u64_enc(kb, after + 1);
	for (;;) {
		be_dbt(&k, kb, sizeof(kb));
		be_dbt(&v, vb, sizeof(vb));
		if ((err = c->get(c, &k, &v, flag)) != 0)
			break;
		flag = DB_NEXT;
		if (k.size != sizeof(kb) || v.size != sizeof(vb))
			continue;
		if ((r = cb(arg, be_u64_dec(kb), be_u64_dec(vb))) != 0)
			break;
	}
	cerr = c->close(c);
	if (r != 0)
		return r;
	if (err == DB_NOTFOUND)
		err = 0;
	return be_error(err != 0 ? err : cerr, "usn scan");
}

int
be_meta_get(struct be_txn *t, const char *key, char **val)
{
	return be_meta_read(t, key, 0, val);
}

int
be_meta_put(struct be_txn *t, const char *key, const char *val)
{
	DB	*db = t->be->meta;
	DBT	 k, v;

	be_dbt(&k, key, strlen(key));
	be_dbt(&v, val, strlen(val));
	return be_error(db->put(db, t->txn, &k, &v, 0), "meta put");
}
