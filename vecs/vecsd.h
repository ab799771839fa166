/*
 * vecsd.h: what the files of vecsd share, one heading per file.
 */
#ifndef VECS_VECSD_H
#define VECS_VECSD_H

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

/* vecsd_req.c: requests, dispatched from a table. */
struct vecsd_ctx {
	struct vecsd_db	*db;
	uid_t		 self;		/* vecsd's own uid */
	/* the trusted-roots puller's hook; NULL: a refresh does nothing */
	int		(*reconcile)(void *arg);
	void		*reconcile_arg;
};
/* Answers one decoded request from caller into out (initialised here). */
void	 vecsd_req_handle(struct vecsd_ctx *ctx, const struct vecsd_caller *caller,
	    const struct vecs_msg *req, struct vecs_buf *out, uint64_t conn, uint64_t op);
/* The default stores, made when missing. */
int	 vecsd_req_bootstrap(struct vecsd_ctx *ctx);

#endif
