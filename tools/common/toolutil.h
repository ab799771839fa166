/*
 * toolutil.h: helpers shared by the operator tools (vdcrepadmin,
 * vdcadmintool): aborting allocators, host:port and URI handling, connect
 * and bind with clear errors (through common/ldapc.c), root DSE and
 * attribute reads, paged searches and JSON output through jansson. The
 * replication value formats come from repl/utdv.c and vmdir/meta.c.
 */
#ifndef TOOLS_TOOLUTIL_H
#define TOOLS_TOOLUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <ldap.h>

#define TOOL_EXIT_OK	0
#define TOOL_EXIT_FAIL	1
#define TOOL_EXIT_USAGE	2

#define TOOL_DEFAULT_PORT	389
/* Node administration extended operation (vmdird's op_extended.c). */
#define TOOL_OID_ADMIN		"1.3.6.1.4.1.6876.40.10.4.1"

/* Allocators that abort on failure; tools only, never the daemons. */
void	*tool_xmalloc(size_t n);
void	*tool_xcalloc(size_t n, size_t size);
void	*tool_xrealloc(void *p, size_t n);
char	*tool_xstrdup(const char *s);
/* Caller frees. */
char	*tool_xasprintf(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));

#define xmalloc		tool_xmalloc
#define xcalloc		tool_xcalloc
#define xrealloc	tool_xrealloc
#define xstrdup		tool_xstrdup
#define xasprintf	tool_xasprintf

/*
 * Splits "host", "host:port", "[v6]:port", "ldap://host:port[/]" or
 * "ldaps://host:port[/]" into *host (caller frees) and *port (defport
 * when absent; 636 for ldaps://); an ldapi:// URI is its own host, port 0.
 * Returns false on a malformed port or empty host.
 */
bool	 tool_parse_hostport(const char *arg, int defport, char **host, int *port);
/* Parses a decimal TCP port (1-65535). */
bool	 tool_parse_port(const char *s, int *port);
/* "host" when port is 389 (or 0), else "host:port"; caller frees. */
char	*tool_hostname(const char *host, int port);
/*
 * True when two LDAP URIs (or host[:port]) name the same server: equal
 * strings, equal host and port, or equal port and hosts that resolve to a
 * common address.
 */
bool	 tool_same_server(const char *a, const char *b);

/*
 * Normalises a -h/-H argument (HOST[:PORT], ldap://, ldaps://, ldapi://
 * URI or a socket path) into *uri (caller frees); false if malformed.
 */
bool	 tool_uri_arg(const char *arg, int defport, char **uri);
/*
 * Connects to uri (common/ldapc.c) and binds simply as user (passed
 * through as the bind name: a DN, a UPN or a plain account name); on an
 * ldapi:// URI without a password, with SASL EXTERNAL. On failure *ldp is
 * NULL, the LDAP result code is returned and *msg (caller frees) says why.
 */
int	 tool_connect(const char *uri, const char *user, const char *pw,
	    LDAP **ldp, char **msg);
/*
 * Same, but a NULL uri means this node: the local socket (ldapi://,
 * $TRELLIS_LDAPI or /run/trellis/vmdird.sock) with SASL EXTERNAL (or the
 * password when one is given), and ldap://localhost:389 when the socket
 * does not answer. *used (caller frees) is the URI connected to.
 */
int	 tool_connect_default(const char *uri, const char *user, const char *pw,
	    LDAP **ldp, char **used, char **msg);
/* True for an ldapi:// URI. */
bool	 tool_is_ldapi(const char *uri);
/* Prints {"error": {"code": code, "message": msg}} on stdout (--json failures). */
void	 tool_json_error(int code, const char *msg);
/* Best description of rc on ld (diagnostic message or ldap_err2string); caller frees. */
char	*tool_ldap_errmsg(LDAP *ld, int rc);

struct tool_rootdse {
	char		*nc;		/* defaultNamingContext */
	char		*server_name;	/* this node's server object DN */
	char		*invocation_id;
	char		*state;		/* vmwServerState */
	uint64_t	 highest_usn;	/* highestCommittedUSN */
};
/* Fills dse (owned by dse; free with tool_rootdse_free); LDAP code. */
int	 tool_rootdse_read(LDAP *ld, struct tool_rootdse *dse);
void	 tool_rootdse_free(struct tool_rootdse *dse);

/* Values of attr as NUL-terminated strings, NULL-terminated list or NULL; free with tool_values_free. */
char	**tool_values(LDAP *ld, LDAPMessage *e, const char *attr);
void	 tool_values_free(char **v);
/* First value of attr or NULL; caller frees. */
char	*tool_value(LDAP *ld, LDAPMessage *e, const char *attr);
/* Entry DN; caller frees. */
char	*tool_dn(LDAP *ld, LDAPMessage *e);
/* Reads one attribute of one entry (base search); *val caller frees, NULL if absent. */
int	 tool_read_attr(LDAP *ld, const char *dn, const char *attr, char **val);

/*
 * Searches with the paged-results control and calls fn for every entry;
 * a non-zero return from fn stops the search and is returned. Otherwise
 * returns the LDAP result code.
 */
typedef int (*tool_entry_fn)(LDAP *ld, LDAPMessage *e, void *arg);
int	 tool_search(LDAP *ld, const char *base, int scope, const char *filter,
	    char **attrs, tool_entry_fn fn, void *arg);

/* Runs the node administration extended operation; *answer caller frees. */
int	 tool_admin_exop(LDAP *ld, const char *cmd, char **answer);

/* Prints j (indented, newline-terminated) on stdout and releases it. */
void	 tool_json_print(json_t *j);

/* Strips a trailing newline (and CR) from a line read with getline/fgets. */
void	 tool_chomp(char *s);

/*
 * Prints prompt on stdout and reads one line from stdin with echo off:
 * caller frees (after explicit_bzero). NULL when stdin is not a terminal
 * or at end of input.
 */
char	*tool_prompt_password(const char *prompt);

#endif
