/*
 * vecsd.h: what the files of vecsd share, one heading per file.
 */
#ifndef VECS_VECSD_H
#define VECS_VECSD_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vecs/vecs.h"
#include "vecs/vecs_codec.h"

/* a grant to every local user (shown as EVERYONE) */
#define VECSD_UID_EVERYONE	((uid_t)-1)
/* store names and aliases, in bytes */
#define VECSD_NAME_MAX		1024
/* the puller's directory: vmdird's local socket */
#define VECSD_DEFAULT_VMDIR	"/run/trellis/vmdird.sock"
/* the hashed directory of the trusted roots */
#define VECSD_DEFAULT_CA_PATH	"/var/lib/trellis/vecs/certs"
/* stores at most */
#define VECSD_STORES_MAX	1024

struct vecsd_grant {
	uid_t		 uid;
	unsigned	 rights;	/* VECS_RIGHT_* */
};

struct vecsd_store {
	char		*name;		/* as created; found case-insensitively */
	uid_t		 owner;
	size_t		 ngrants;
	struct vecsd_grant *grants;
};

struct vecsd_entry {
	char		*alias;		/* as given; unique per store case-insensitively */
	enum vecs_entry_type type;
	bool		 pulled;	/* put there by the trusted-roots puller */
	char		*cert;		/* PEM, NULL for a secret key */
	char		*key;		/* PEM, NULL for a trusted cert or CRL; wiped on free */
	int64_t		 added;		/* seconds since the epoch */
};

/* vecsd's settings (vecsd_conf.c) */
struct vecsd_conf {
	char		*socket;
	char		*data_dir;
	char		*pid_file;
	char		*log_level;
	bool		 syslog;
	size_t		 max_message;
	int		 idle_timeout;
	int		 max_clients;
	/* the trusted-roots puller (vecsd_pull.c) */
	char		*vmdir_uri;	/* a path or URI; "none": no puller */
	char		*vmdir_bind_dn;	/* NULL: SASL EXTERNAL (ldapi only) */
	char		*vmdir_password_file;
	char		*vmdir_ca_file;	/* ldaps://: NULL trusts ca_path */
	int		 sync_interval;	/* seconds */
	int		 watch_interval_ms;	/* the USN watch; 0: off */
	char		*ca_path;	/* the hashed directory; "none": none */
};

/* vecsd_conf.c */
void	 vecsd_conf_defaults(struct vecsd_conf *c);
/* -1 (and a message on stderr) on an unknown key or a bad value */
int	 vecsd_conf_set(struct vecsd_conf *c, const char *key, const char *value);
int	 vecsd_conf_load(struct vecsd_conf *c, const char *path);
void	 vecsd_conf_free(struct vecsd_conf *c);

/* vecsd_db.c: the Berkeley DB environment; only file that includes db.h.
 * Every function returns 0 or a VECS_ERR_* code; writes are durable on
 * return. */
struct vecsd_db;
/* dir is created (0700) when missing; err says why it failed. */
int	 vecsd_db_open(const char *dir, struct vecsd_db **db, char *err, size_t errlen);
void	 vecsd_db_close(struct vecsd_db *db);
/* *s caller frees (vecsd_store_free); VECS_ERR_NOT_FOUND */
int	 vecsd_db_store_get(struct vecsd_db *db, const char *name, struct vecsd_store **s);
/* A new store: VECS_ERR_ALREADY_EXISTS, VECS_ERR_BUSY past VECSD_STORES_MAX */
int	 vecsd_db_store_create(struct vecsd_db *db, const struct vecsd_store *s);
/* Replaces the record of an existing store (its grants). */
int	 vecsd_db_store_update(struct vecsd_db *db, const struct vecsd_store *s);
/* The store and all its entries, in one transaction. */
int	 vecsd_db_store_delete(struct vecsd_db *db, const char *name);
/* Every store in name order; *v caller frees (vecsd_stores_free). */
int	 vecsd_db_store_list(struct vecsd_db *db, struct vecsd_store **v, size_t *n);
/* VECS_ERR_NOT_FOUND (no store), VECS_ERR_ALREADY_EXISTS (alias taken) */
int	 vecsd_db_entry_add(struct vecsd_db *db, const char *store, const struct vecsd_entry *e);
/* *e caller frees (vecsd_entry_free) */
int	 vecsd_db_entry_get(struct vecsd_db *db, const char *store, const char *alias,
	    struct vecsd_entry **e);
/* VECS_ERR_NOT_FOUND when the alias is not there */
int	 vecsd_db_entry_delete(struct vecsd_db *db, const char *store, const char *alias);
/* Sets or clears the pulled flag (for the trusted-roots puller). */
int	 vecsd_db_entry_set_pulled(struct vecsd_db *db, const char *store,
	    const char *alias, bool pulled);
/* Entries of a store in alias order; *v caller frees (vecsd_entries_free). */
int	 vecsd_db_entry_list(struct vecsd_db *db, const char *store,
	    struct vecsd_entry **v, size_t *n);

/* vecsd_record.c: the stored form of stores and entries (the codec's
 * message format) and the structures' destructors; pure. */
int	 vecsd_record_store_encode(const struct vecsd_store *s, struct vecs_buf *b);
int	 vecsd_record_store_decode(const uint8_t *p, size_t len, struct vecsd_store **s);
int	 vecsd_record_entry_encode(const struct vecsd_entry *e, struct vecs_buf *b);
int	 vecsd_record_entry_decode(const uint8_t *p, size_t len, struct vecsd_entry **e);
/* The lowercase key of a name (caller frees); NULL when out of memory. */
char	*vecsd_record_key(const char *name);
void	 vecsd_store_free(struct vecsd_store *s);
void	 vecsd_stores_free(struct vecsd_store *v, size_t n);
void	 vecsd_entry_free(struct vecsd_entry *e);
void	 vecsd_entries_free(struct vecsd_entry *v, size_t n);

/* vecsd_rules.c: names, aliases and the default stores; pure. */
/* 1 to VECSD_NAME_MAX bytes; printable, no space, no / or \, not . or .. */
bool	 vecsd_rules_store_name_ok(const char *name, size_t len);
/* 1 to VECSD_NAME_MAX bytes, no control characters */
bool	 vecsd_rules_alias_ok(const char *alias, size_t len);
/* NULL-terminated list of the stores made at first start */
extern const char *const vecsd_rules_default_stores[];
/* MACHINE_SSL_CERT, TRUSTED_ROOTS, TRUSTED_ROOT_CRLS */
bool	 vecsd_rules_protected(const char *name);
/* TRUSTED_ROOTS, TRUSTED_ROOT_CRLS: EVERYONE reads */
bool	 vecsd_rules_public(const char *name);

/* vecsd_perm.c: who may do what; pure but for user lookups. */
struct vecsd_caller {
	uid_t		 uid;
	gid_t		 gid;
	pid_t		 pid;
};
/* vecsd's own uid, which holds every right as root does. */
void	 vecsd_perm_init(uid_t self);
/* Root, the daemon's own user and the owner hold every right. */
bool	 vecsd_perm_manage(const struct vecsd_store *s, uid_t uid);
/* True when uid holds all of rights (VECS_RIGHT_*). */
bool	 vecsd_perm_allows(const struct vecsd_store *s, uid_t uid, unsigned rights);
/* Listed to uid: manager, or any grant to uid or EVERYONE. */
bool	 vecsd_perm_visible(const struct vecsd_store *s, uid_t uid);
/* Adds (grant) or removes rights of uid; 0 or VECS_ERR_NO_MEMORY. */
int	 vecsd_perm_change(struct vecsd_store *s, uid_t uid, bool grant, unsigned rights);
/* A user name (or EVERYONE) to a uid; false if unknown. */
bool	 vecsd_perm_user_uid(const char *name, uid_t *uid);
/* A uid to its name (EVERYONE, a name, or the number) in buf. */
const char *vecsd_perm_user_name(uid_t uid, char *buf, size_t len);

/* vecsd_x509.c: certificates, CRLs and keys. */
/*
 * Checks and normalises what entry create sends: sets e->type, e->cert
 * (re-encoded PEM) and e->key (re-encoded PEM), and *thumb (the lowercase
 * SHA-1 of the first certificate or of the CRL, 41 bytes). 0 or
 * VECS_ERR_INVALID_PARAMETER with a reason in why.
 */
int	 vecsd_x509_entry(const char *cert, const char *key, struct vecsd_entry *e,
	    char thumb[41], char *why, size_t whylen);

struct vecsd_ctx;
struct vecsd_pull;

/* vecsd_conn.c: connections on the socket: framing, limits, answers. */
struct event_base;
struct bufferevent;
struct xport;
struct xport_peer;
/* Borrowed for the loop's life. */
void	 vecsd_conn_init(struct vecsd_ctx *ctx, size_t max_message, int idle_timeout,
	    int max_clients);
/* The listener's accept callback (xport_accept_fn). */
void	 vecsd_conn_accept(struct bufferevent *bev, const struct xport *t,
	    const struct xport_peer *peer, void *arg);
/* Connections open now. */
size_t	 vecsd_conn_count(void);
/* Closes every connection (at shutdown). */
void	 vecsd_conn_close_all(void);
/*
 * The answer to a request that vecsd_req_handle deferred on connection
 * conn: sent, and the connection reads again. Nothing happens when the
 * connection has gone meanwhile. On the loop's thread only.
 */
void	 vecsd_conn_answer(uint64_t conn, struct vecs_buf *answer);

/* vecsd_req.c: requests, dispatched from a table. */
struct vecsd_ctx {
	struct vecsd_db	*db;
	uid_t		 self;		/* vecsd's own uid */
	/* storage: request handlers and the puller hold it around every
	 * access, so a reconciliation is atomic to clients */
	pthread_mutex_t	 lock;
	/* the trusted-roots puller; NULL: a refresh does nothing */
	struct vecsd_pull *pull;
};
/*
 * Answers one decoded request from caller into out (initialised here) and
 * returns false; or returns true when the answer comes later, through
 * vecsd_conn_answer (a refresh waits for the puller), out untouched.
 */
bool	 vecsd_req_handle(struct vecsd_ctx *ctx, const struct vecsd_caller *caller,
	    const struct vecs_msg *req, struct vecs_buf *out, uint64_t conn, uint64_t op);
/* The default stores, made when missing. */
int	 vecsd_req_bootstrap(struct vecsd_ctx *ctx);

/* vecsd_dirca.c: the trusted roots and CRLs the directory publishes
 * (cn=Certificate-Authorities,cn=Configuration,<suffix>). */
struct vecsd_dirca_item {
	char		 thumb[41];	/* lowercase SHA-1 of the DER */
	char		*pem;		/* re-encoded */
};
struct vecsd_dirca {
	struct vecsd_dirca_item *roots, *crls;
	size_t		 nroots, ncrls;
};
struct ldap;
/* The root DSE's highestCommittedUSN and configurationNamingContext
 * (*config caller frees; may be NULL). An LDAP result code. */
int	 vecsd_dirca_usn(struct ldap *ld, uint64_t *usn, char **config);
/* Reads every published root and CRL under config; values that do not
 * parse are skipped (and logged). An LDAP result code; *ca filled. */
int	 vecsd_dirca_read(struct ldap *ld, const char *config, struct vecsd_dirca *ca);
/* Adds one DER certificate (crl false) or CRL to ca; false if it does not
 * parse or memory is out. */
bool	 vecsd_dirca_add(struct vecsd_dirca *ca, bool crl, const unsigned char *der,
	    size_t len);
void	 vecsd_dirca_free(struct vecsd_dirca *ca);

/* vecsd_reconcile.c: the puller's rules, applied to the stores. */
struct vecsd_reconcile_counts {
	unsigned	 added, marked, removed;	/* in this pass */
	unsigned	 roots, roots_pulled, crls, crls_pulled;	/* afterwards */
};
/*
 * Makes TRUSTED_ROOTS and TRUSTED_ROOT_CRLS follow ca: what ca has and a
 * store lacks is added (alias: its thumbprint) and marked pulled; an entry
 * holding what ca has becomes pulled; a pulled entry ca no longer has is
 * removed; others are never removed. The caller holds the storage lock.
 * 0 or a VECS_ERR_* code.
 */
int	 vecsd_reconcile(struct vecsd_db *db, const struct vecsd_dirca *ca,
	    struct vecsd_reconcile_counts *n);
/* Only the counts (the caller holds the storage lock). */
int	 vecsd_reconcile_count(struct vecsd_db *db, struct vecsd_reconcile_counts *n);
/* The lowercase SHA-1 thumbprint of the first certificate (or the CRL) in
 * pem; false when it does not parse. */
bool	 vecsd_reconcile_thumb(const char *pem, bool crl, char thumb[41]);

/* vecsd_capath.c: TRUSTED_ROOTS and TRUSTED_ROOT_CRLS as an OpenSSL hashed
 * directory (<subject-hash>.N, <issuer-hash>.rN), as openssl rehash names
 * them. Files are replaced atomically and are 0644, the directory 0755;
 * hash-named files that are no longer wanted are removed. 0, else -1 with
 * a reason in err. */
int	 vecsd_capath_write(const char *dir, const struct vecsd_entry *roots, size_t nroots,
	    const struct vecsd_entry *crls, size_t ncrls, char *err, size_t errlen);

/* vecsd_pull.c: the puller's thread: the USN watch, the timer, refreshes,
 * the hashed directory and the status. */
struct event_base;
/* Starts the thread; NULL (and a log line) on failure. conf is borrowed for
 * the puller's life. */
struct vecsd_pull *vecsd_pull_start(struct vecsd_ctx *ctx, const struct vecsd_conf *conf,
	    struct event_base *base);
/* Stops and joins the thread; accepts NULL. */
void	 vecsd_pull_stop(struct vecsd_pull *p);
/* Queues a refresh for connection conn, answered through vecsd_conn_answer
 * once a reconciliation that started after it has ended; 0, or
 * VECS_ERR_NO_MEMORY (then nothing will answer). */
int	 vecsd_pull_refresh(struct vecsd_pull *p, uint64_t conn);
/* TRUSTED_ROOTS or TRUSTED_ROOT_CRLS changed: the hashed directory follows. */
void	 vecsd_pull_changed(struct vecsd_pull *p);
/* The status as (name, value) fields into out. */
void	 vecsd_pull_status(struct vecsd_pull *p, struct vecs_buf *out);

#endif
