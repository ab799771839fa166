/*
 * ldapc.h: the one LDAP client connection path, shared by the tools, the
 * replication consumer, join and the benchmarks: an address (ldap://,
 * ldaps://, ldapi:// or HOST[:PORT]) to a bound libldap handle, with one
 * TLS policy and simple or SASL EXTERNAL bind. Errors come back as an LDAP
 * result code and a message; nothing here aborts or prints, so the daemons
 * use it too.
 */
#ifndef COMMON_LDAPC_H
#define COMMON_LDAPC_H

#include <stdbool.h>

#include <ldap.h>

/* The local administration socket when nothing else is said. */
#define LDAPC_LDAPI_PATH	"/run/trellis/vmdird.sock"
/* Environment variable that overrides LDAPC_LDAPI_PATH (a path or an ldapi:// URI). */
#define LDAPC_LDAPI_ENV		"TRELLIS_LDAPI"
/* Where the tools fall back to when the local socket does not answer. */
#define LDAPC_FALLBACK_URI	"ldap://localhost:389"

/* How to reach and authenticate to a server. Every pointer is borrowed. */
struct ldapc_opts {
	const char	*uri;		/* ldap://, ldaps://, ldapi:// or HOST[:PORT] */
	const char	*bind_dn;	/* simple bind name (DN, UPN or account) */
	const char	*password;	/* simple bind password */
	bool		 external;	/* SASL EXTERNAL instead of a simple bind */
	bool		 anonymous;	/* no bind at all */
	/* TLS (ldaps://): NULL keeps libldap's settings (LDAPTLS_CACERT,
	 * ldap.conf); a CA file or directory replaces them. */
	const char	*ca_file;
	const char	*ca_dir;
	bool		 tls_demand;	/* the certificate must verify and name the host */
	int		 net_timeout;	/* seconds to connect; 0: 10 */
	int		 op_timeout;	/* seconds per synchronous operation; 0: none */
};

/*
 * "HOST", "HOST:PORT", "[V6]:PORT" become "ldap://HOST:PORT" (defport when
 * no port); ldap://, ldaps:// and ldapi:// URIs are checked and copied. An
 * absolute path becomes an ldapi:// URI. *uri is caller-freed. Returns
 * LDAP_SUCCESS, LDAP_PARAM_ERROR (malformed, *uri NULL) or LDAP_NO_MEMORY.
 */
int	 ldapc_uri(const char *arg, int defport, char **uri);
/* The ldapi:// URI of the local socket (LDAPC_LDAPI_ENV or LDAPC_LDAPI_PATH);
 * caller frees, NULL on allocation failure. */
char	*ldapc_local_uri(void);
/* True for an ldapi:// URI. */
bool	 ldapc_is_ldapi(const char *uri);

/*
 * Creates a handle for o->uri with the options and TLS policy set; no
 * network traffic yet. On failure *ldp is NULL and *msg (caller frees;
 * NULL only when out of memory) says why.
 */
int	 ldapc_open(const struct ldapc_opts *o, LDAP **ldp, char **msg);
/*
 * Binds ld as o says (simple, EXTERNAL or nothing). On failure *msg says
 * why (caller frees) and ld stays open for the caller to release.
 */
int	 ldapc_bind(LDAP *ld, const struct ldapc_opts *o, char **msg);
/* ldapc_open then ldapc_bind; on failure *ldp is NULL. */
int	 ldapc_connect(const struct ldapc_opts *o, LDAP **ldp, char **msg);
/*
 * The tools' default when no server is named: the local socket with SASL
 * EXTERNAL (or a simple bind when o gives a password), and when the socket
 * does not answer, LDAPC_FALLBACK_URI with o's simple bind (only when o
 * gives a password: without one that bind would be anonymous). o->uri is
 * ignored; *used (caller frees) is the URI tried last.
 */
int	 ldapc_connect_local(const struct ldapc_opts *o, LDAP **ldp, char **used,
	    char **msg);
/* The best description of rc on ld: the server's diagnostic message, else
 * ldap_err2string. Caller frees; NULL when out of memory. */
char	*ldapc_errmsg(LDAP *ld, int rc);
/* True when rc means the server could not be reached at all. */
bool	 ldapc_unreachable(int rc);

#endif
