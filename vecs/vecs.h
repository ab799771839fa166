/*
 * vecs.h: the client library of vecsd, the endpoint certificate store.
 * vecs-cli and the tests use it; every symbol starts with vecs_.
 *
 * Each call sends one request on the connection and waits for its answer.
 * Calls return 0 or one of the VECS_ERR_* codes (the codes VMware's
 * vecs-cli reports); vecs_conn_error() then says what the daemon said.
 * Strings are UTF-8, NUL-terminated; results are owned by the caller and
 * freed with the matching vecs_*_free, which accept NULL.
 */
#ifndef VECS_VECS_H
#define VECS_VECS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define VECS_DEFAULT_SOCKET	"/run/trellis/vecsd.sock"
/* the environment variable that overrides the default socket */
#define VECS_SOCKET_ENV		"VECS_SOCKET"

enum vecs_err {
	VECS_OK = 0,
	VECS_ERR_ACCESS_DENIED = 5,
	VECS_ERR_NO_MEMORY = 8,
	VECS_ERR_INVALID_DATA = 13,		/* a malformed message */
	VECS_ERR_INVALID_PARAMETER = 87,
	VECS_ERR_BUSY = 170,
	VECS_ERR_ALREADY_EXISTS = 183,
	VECS_ERR_CANNOT_CONNECT = 1021,
	VECS_ERR_INTERNAL = 1359,
	VECS_ERR_NOT_FOUND = 4312,
};

/* Entry types, numbered as stored and sent. */
enum vecs_entry_type {
	VECS_ENTRY_PRIVATE_KEY = 1,
	VECS_ENTRY_SECRET_KEY = 2,
	VECS_ENTRY_TRUSTED_CERT = 3,
	VECS_ENTRY_CRL = 4,
};

/* Rights in a store's grants. */
#define VECS_RIGHT_READ		1u
#define VECS_RIGHT_WRITE	2u

/* The grantee that stands for every local user. */
#define VECS_EVERYONE		"EVERYONE"

struct vecs_conn;

struct vecs_entry {
	char		*alias;
	enum vecs_entry_type type;
	bool		 pulled;	/* added by the trusted-roots puller */
	char		*cert;		/* PEM (certificates or CRL); NULL for a secret key */
};

struct vecs_grant {
	char		*user;		/* a user name, or VECS_EVERYONE */
	unsigned	 rights;	/* VECS_RIGHT_* */
};

/* What the trusted-roots puller last did (vecs_status); a Trellis addition. */
struct vecs_status {
	char		*state;		/* "ok", "unreachable", "starting" or "disabled" */
	char		*vmdir_uri;	/* the directory it reads; NULL when disabled */
	char		*ca_path;	/* the hashed directory; NULL when none */
	int64_t		 last_sync;	/* seconds since the epoch; 0: never */
	int64_t		 last_attempt;	/* the same; 0: never */
	char		*last_error;	/* NULL: none since vecsd started */
	int64_t		 last_error_time;
	uint64_t	 usn;		/* the directory's highestCommittedUSN last seen */
	uint64_t	 syncs;		/* reconciliations that succeeded */
	unsigned	 sync_interval;	/* seconds */
	unsigned	 roots, roots_pulled;	/* entries of TRUSTED_ROOTS, pulled ones */
	unsigned	 crls, crls_pulled;	/* the same for TRUSTED_ROOT_CRLS */
};

struct vecs_perms {
	char		*owner;
	size_t		 n;
	struct vecs_grant *grants;
};

/* "ERROR_INVALID_PARAMETER" and the like; "ERROR_UNKNOWN" for others. */
const char	*vecs_err_name(int code);
/* "Private Key", "Secret Key", "Trusted Cert", "Certification Revocation List". */
const char	*vecs_entry_type_name(enum vecs_entry_type type);

/*
 * Connects to the socket at path (NULL: $VECS_SOCKET, else
 * VECS_DEFAULT_SOCKET). VECS_ERR_CANNOT_CONNECT when nothing answers.
 */
int	 vecs_connect(const char *path, struct vecs_conn **c);
void	 vecs_close(struct vecs_conn *c);
/* The daemon's text for the last failure; borrowed until the next call. */
const char *vecs_conn_error(const struct vecs_conn *c);

int	 vecs_store_create(struct vecs_conn *c, const char *name);
int	 vecs_store_delete(struct vecs_conn *c, const char *name);
/* The stores the caller may see; *names caller frees (vecs_strings_free). */
int	 vecs_store_list(struct vecs_conn *c, char ***names, size_t *n);
/* Grants (grant true) or revokes rights of user on a store. */
int	 vecs_store_permission(struct vecs_conn *c, const char *store,
	    const char *user, bool grant, unsigned rights);
/* *p caller frees (vecs_perms_free). */
int	 vecs_store_get_permissions(struct vecs_conn *c, const char *store,
	    struct vecs_perms **p);

/*
 * Adds an entry: cert only makes a Trusted Cert (or a CRL, when cert
 * holds one), key only a Secret Key, both a Private Key (key must match
 * the first certificate). alias NULL or "": the certificate's lowercase
 * SHA-1 thumbprint. *alias_out (may be NULL; caller frees) is the alias.
 */
int	 vecs_entry_add(struct vecs_conn *c, const char *store, const char *alias,
	    const char *cert_pem, const char *key_pem, char **alias_out);
/* Every entry of a store, certificates but no keys; caller frees *e. */
int	 vecs_entry_list(struct vecs_conn *c, const char *store,
	    struct vecs_entry **e, size_t *n);
/* One entry; *e caller frees (vecs_entry_free). */
int	 vecs_entry_get(struct vecs_conn *c, const char *store, const char *alias,
	    struct vecs_entry **e);
/* The key of an entry (needs read); *key caller frees (vecs_secret_free). */
int	 vecs_entry_get_key(struct vecs_conn *c, const char *store, const char *alias,
	    char **key);
/* Deleting an alias that is not there succeeds. */
int	 vecs_entry_delete(struct vecs_conn *c, const char *store, const char *alias);
/*
 * Asks vecsd to reconcile the trusted roots with the directory now; returns
 * once that is done, VECS_ERR_CANNOT_CONNECT when the directory does not
 * answer.
 */
int	 vecs_force_refresh(struct vecs_conn *c);
/* The puller's status; *st caller frees (vecs_status_free). */
int	 vecs_status(struct vecs_conn *c, struct vecs_status **st);
void	 vecs_status_free(struct vecs_status *st);

void	 vecs_strings_free(char **v, size_t n);
void	 vecs_entry_free(struct vecs_entry *e);
void	 vecs_entries_free(struct vecs_entry *e, size_t n);
void	 vecs_perms_free(struct vecs_perms *p);
/* Wipes and frees a key. */
void	 vecs_secret_free(char *key);

#endif
