/*
 * vdcrepadmin.h: the replication administration tool. Each feature
 * (-f NAME) is one file exporting one struct repadmin_cmd; main.c holds
 * the table, option parsing and the helpers below.
 */
#ifndef TOOLS_VDCREPADMIN_H
#define TOOLS_VDCREPADMIN_H

#include <stdbool.h>

#include "repl.h"
#include "tools/common/toolutil.h"

struct repadmin_opts {
	char		*uri;		/* -h (and -p) as a URI; NULL: this node */
	char		*uri2;		/* -H (and -P): createagreement, removeagreement */
	const char	*user;		/* -u */
	const char	*pw;		/* -w */
	const char	*entry_dn;	/* -e */
	const char	*attr;		/* -a */
	bool		 two_way;	/* -2 */
	bool		 json;		/* --json */
};

struct repadmin_cmd {
	const char	*name;
	const char	*usage;		/* the feature's own options */
	bool		 need_host2;	/* requires -H */
	bool		 need_entry;	/* requires -e */
	int		(*handler)(struct repadmin_opts *);
};

/* A connection to one node with its root DSE. */
struct repadmin_node {
	char			*host;
	int			 port;
	char			*uri;	/* the URI connected to */
	LDAP			*ld;
	struct tool_rootdse	 dse;
};

/* main.c */
/* Prints "Vdcrepadmin failed. Error [msg] [code]" on stderr, or with --json
 * {"error": {"code": code, "message": msg}} on stdout; returns TOOL_EXIT_FAIL. */
int	 repadmin_fail(const char *msg, int code);
/* Same with the message taken from ld and rc. */
int	 repadmin_fail_ld(LDAP *ld, int rc);
/*
 * Connects and binds to uri (NULL: this node, the local socket first) with
 * the options' credentials and reads the root DSE. ldaps:// trusts
 * libldap's settings (LDAPTLS_CACERT, ldap.conf). Returns an LDAP code;
 * *msg (caller frees) on failure.
 */
int	 repadmin_node_open(struct repadmin_opts *o, const char *uri,
	    struct repadmin_node *n, char **msg);
void	 repadmin_node_close(struct repadmin_node *n);
/* Opens -h, printing the failure; returns TOOL_EXIT_*. */
int	 repadmin_open_main(struct repadmin_opts *o, struct repadmin_node *n);
/* "cn=Replication Agreements,<server DN>"; caller frees. */
char	*repadmin_agreements_base(const char *server_dn);
/* "cn=Sites,cn=Configuration,<nc>"; caller frees. */
char	*repadmin_sites_base(const char *nc);
/*
 * A listing feature: opens -h, searches below basefn(node) (caller-freed
 * DN) calling fn with the JSON array to fill (NULL: print text), then
 * prints the array. absent_ok: a missing base lists nothing. TOOL_EXIT_*.
 */
int	 repadmin_list(struct repadmin_opts *o,
	    char *(*basefn)(const struct repadmin_node *), int scope,
	    const char *filter, char **attrs, bool absent_ok, tool_entry_fn fn);

/* behind.c: how far a node trails (the definition is in behind.c). */
struct repadmin_need {
	char		**keys;		/* objectGUIDs of needed entries, repeats allowed */
	size_t		  nkeys;
};
/*
 * Adds to need the entries of holder (below nc, uSNChanged above from)
 * with a change consumer's vector does not cover; *last (if not NULL) is
 * the highest uSNChanged among them, 0 for none. Returns an LDAP code.
 */
int	 repadmin_need_scan(LDAP *holder, const char *nc, uint64_t from,
	    const struct utdv *consumer, struct repadmin_need *need, uint64_t *last);
/* Distinct entries in need: how many changes behind. */
uint64_t repadmin_need_count(struct repadmin_need *need);
void	 repadmin_need_free(struct repadmin_need *need);
/* Reads the upToDateVector of server_dn into *u (caller frees with
 * repl_utdv_free); an LDAP code and *msg (caller frees) on failure. */
int	 repadmin_read_utdv(LDAP *ld, const char *server_dn, struct utdv *u,
	    char **msg);

extern const struct repadmin_cmd cmd_createagreement;
extern const struct repadmin_cmd cmd_removeagreement;
extern const struct repadmin_cmd cmd_showattributemetadata;
extern const struct repadmin_cmd cmd_showconflicts;
extern const struct repadmin_cmd cmd_showfederationstatus;
extern const struct repadmin_cmd cmd_showpartners;
extern const struct repadmin_cmd cmd_showpartnerstatus;
extern const struct repadmin_cmd cmd_showservers;
extern const struct repadmin_cmd cmd_showutdvector;

#endif
