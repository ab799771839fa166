/*
 * lstool.h: the lookup-service tool. Each subcommand (list, get,
 * register, update, unregister, check) is one file exporting one struct
 * lstool_cmd; main.c holds the table and the option parsing. A
 * registration is handled as the JSON object of vmdird's API (README,
 * "Lookup service API") whichever way it travels: over HTTP
 * (lstool_http.c) or read and written as directory entries over LDAP
 * (lstool_ldap.c), behind one table of operations.
 */
#ifndef TOOLS_LSTOOL_H
#define TOOLS_LSTOOL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>
#include <openssl/x509.h>

#include "tools/common/toolutil.h"

#define LSTOOL_SDK_PATH		"/lookupservice/sdk"
#define LSTOOL_DEFAULT_USER	"administrator"
#define LSTOOL_HTTP_TIMEOUT	30

/* Error codes of lstool's messages, HTTP statuses whatever the transport. */
#define LSTOOL_E_INPUT		400
#define LSTOOL_E_AUTH		401
#define LSTOOL_E_ACCESS		403
#define LSTOOL_E_NOTFOUND	404
#define LSTOOL_E_EXISTS		409
#define LSTOOL_E_UNAVAIL	503
#define LSTOOL_E_INTERNAL	500

struct lstool_list {
	char	**v;
	size_t	  n;
};

struct lstool_opts {
	const char	*url;		/* --url: HTTP(S) transport */
	const char	*server;	/* --server: LDAP transport */
	const char	*user;		/* --user */
	char		*password;	/* --password, --password-file or the prompt */
	bool		 no_check_cert;	/* --no-check-cert */
	const char	*cafile;	/* --cacert */
	bool		 json;		/* --json */
	/* filters (list) and the registration's fields (register, update) */
	const char	*id, *name, *description, *product, *type, *version;
	const char	*site, *node_id, *owner_id, *ep_type;
	const char	*spec;		/* --spec FILE.json */
	const char	*new_url;	/* update --ep-url: every endpoint's URL */
	const char	*trust;		/* update --trust FILE */
	struct lstool_list attrs;	/* --attr k=v */
	struct lstool_list endpoints;	/* --endpoint SPEC */
	/* check */
	const char	*nodes;		/* --nodes auto|URL,... */
	struct lstool_list vecs;	/* --vecs [NODE=]SOCKET */
	bool		 live;		/* --live */
	bool		 fix_trust;	/* --fix-trust */
	int		 settle;	/* --settle SECONDS */
	int		 expiry_days;	/* --expiry-days N (default 30) */
};

struct lstool_cmd {
	const char	*name;
	const char	*usage;		/* its options, one line */
	bool		 writes;	/* needs credentials */
	int		(*handler)(struct lstool_opts *);
};

/* Filters of a listing; NULL members match everything (case ignored). */
struct lstool_filter {
	const char	*id, *type, *product, *ep_type, *node_id;
};

/* One connection to a lookup service, HTTP or LDAP. */
struct lstool_conn {
	const struct lstool_ops	*ops;
	const struct lstool_opts *o;
	char			*base;	/* HTTP: scheme://host:port */
	LDAP			*ld;	/* LDAP */
	char			*nc;	/* LDAP: naming context */
	char			*node;	/* LDAP: the node's name (serverName's cn) */
	char			*site;	/* LDAP: its site */
};

/*
 * The operations of a transport. Each returns 0 or an LSTOOL_E_* code
 * with *msg (caller frees) saying why. Registrations are complete API
 * objects; *out caller decrefs.
 */
struct lstool_ops {
	const char *name;
	int	(*list)(struct lstool_conn *, const struct lstool_filter *, json_t **out,
		    char **msg);
	int	(*add)(struct lstool_conn *, json_t *reg, json_t **out, char **msg);
	int	(*replace)(struct lstool_conn *, const char *id, json_t *reg,
		    json_t **out, char **msg);
	int	(*remove)(struct lstool_conn *, const char *id, char **msg);
	void	(*close)(struct lstool_conn *);
};

/* main.c */
/* Prints msg on stderr as "lstool: msg" (or the --json error object on
 * stdout); returns TOOL_EXIT_FAIL. */
int	 lstool_fail(const struct lstool_opts *o, int code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Same, then frees msg. */
int	 lstool_fail_msg(const struct lstool_opts *o, int code, char *msg);
/* A usage error for cmd; returns TOOL_EXIT_USAGE. */
int	 lstool_usage_error(const char *cmd, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Opens the transport --url or --server name (--url wins); 0 or a code
 * with *msg. */
int	 lstool_open(struct lstool_opts *o, struct lstool_conn *c, char **msg);
void	 lstool_close(struct lstool_conn *c);
/* The registration id, or LSTOOL_E_NOTFOUND; *out caller decrefs. */
int	 lstool_get_one(struct lstool_conn *c, const char *id, json_t **out, char **msg);
/* Asks for the password on the terminal when none was given. false if
 * there is none and no terminal to ask on. */
bool	 lstool_need_password(struct lstool_opts *o);

/* lstool_http.c */
extern const struct lstool_ops lstool_http_ops;
/* "scheme://host:port" of an http(s) URL (any path); NULL if it is not
 * one. Caller frees. */
char	*lstool_http_base(const char *url);
/* GET base+path into *out (caller decrefs); 0 or a code with *msg. */
int	 lstool_http_get_json(const struct lstool_opts *o, const char *base,
	    const char *path, json_t **out, char **msg);
/* The certificate presented at url (https); NULL with *msg. Caller frees. */
X509	*lstool_http_peer_cert(const char *url, char **msg);
/* Opens base (scheme://host:port). */
int	 lstool_http_open(struct lstool_opts *o, const char *url, struct lstool_conn *c,
	    char **msg);

/* lstool_ldap.c */
extern const struct lstool_ops lstool_ldap_ops;
int	 lstool_ldap_open(struct lstool_opts *o, struct lstool_conn *c, char **msg);
/* Every directory server of the domain: names (cn), HTTP and HTTPS base
 * URLs (vmwHttpURI; "" when none), index-aligned. 0 or a code with *msg. */
int	 lstool_ldap_servers(struct lstool_conn *c, struct lstool_list *names,
	    struct lstool_list *urls, struct lstool_list *https, char **msg);

/* reg.c: the registration object */
/* Prints reg as lstool list does. */
void	 reg_print(FILE *f, const json_t *reg);
/* True when reg matches f (case ignored, as the server does). */
bool	 reg_matches(const json_t *reg, const struct lstool_filter *f);
/* Sorts an array of registrations by serviceId, as the server does. */
void	 reg_sort(json_t *arr);
/*
 * Checks reg as the server would before anything is sent (required
 * members, ids, URLs, certificates); fills absent members with "" / [].
 * False with *msg (caller frees).
 */
bool	 reg_validate(json_t *reg, char **msg);
/* The registration the flags describe (register); NULL with *msg. */
json_t	*reg_from_flags(const struct lstool_opts *o, char **msg);
/* Applies update's flags to reg; false with *msg. */
bool	 reg_apply_flags(const struct lstool_opts *o, json_t *reg, bool *changed,
	    char **msg);
/* The certificates of a PEM (or DER) file as base64 DER strings; NULL with
 * *msg. */
json_t	*reg_trust_file(const char *path, char **msg);
/* The base64 DER of x (caller frees). */
char	*reg_cert_b64(X509 *x);
/* The certificate of a base64 DER string; NULL if it is not one. */
X509	*reg_cert_parse(const char *b64);
/* True when the URL is scheme://host[:port][/...] with a known scheme. */
bool	 reg_url_ok(const char *url);

/* list helpers (main.c) */
void	 lstool_list_add(struct lstool_list *l, const char *s);
void	 lstool_list_free(struct lstool_list *l);

extern const struct lstool_cmd cmd_check;
extern const struct lstool_cmd cmd_get;
extern const struct lstool_cmd cmd_list;
extern const struct lstool_cmd cmd_register;
extern const struct lstool_cmd cmd_unregister;
extern const struct lstool_cmd cmd_update;

#endif
