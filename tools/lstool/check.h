/*
 * check.h: lstool check, the federation-wide check of the registrations:
 * check.c reads every node and compares them (reachability, divergence
 * and what is still in flight, duplicates, stale nodes) and prints the
 * findings; check_trust.c looks at the SSL trust (against each node's
 * machine certificate, the certificates the URLs present, expiry) and
 * repairs it with --fix-trust.
 */
#ifndef TOOLS_LSTOOL_CHECK_H
#define TOOLS_LSTOOL_CHECK_H

#include "tools/lstool/lstool.h"

#define CHECK_MACHINE_STORE	"MACHINE_SSL_CERT"
#define CHECK_MACHINE_ALIAS	"__MACHINE_CERT"

struct check_node {
	char	*name;		/* the node's name (server object cn, /health node) */
	char	*base;		/* its HTTP base URL; NULL if none is known */
	char	*https;		/* its HTTPS base URL, if it records one */
	char	*error;		/* why it could not be read */
	json_t	*health;	/* its /health */
	json_t	*regs;		/* its registrations */
	X509	*machine;	/* the certificate it serves, when known */
	char	*machine_from;	/* where that came from */
};

struct check {
	struct lstool_opts	*o;
	struct check_node	*nodes;
	size_t			 n;
	struct lstool_list	 domain;	/* names of the domain's nodes */
	bool			 domain_known;	/* read from the directory */
	char			*local;		/* the node --server reached */
	char			*suffix;	/* dc=… of the domain, for DNs */
	json_t			*findings;	/* array of finding objects */
	json_t			*fixed;		/* --fix-trust: what was repaired */
	int			 fix_failures;
};

/* check.c */
/* Adds a finding: status "PASS", "WARNING" or "FAIL"; severity "High",
 * "Medium", "Low" (NULL for a pass); entries (taken) may be NULL. */
void	 check_add(struct check *k, const char *check, const char *status,
	    const char *severity, json_t *entries, const char *action,
	    const char *title, const char *fmt, ...)
	    __attribute__((format(printf, 8, 9)));
/* The entry object of a registration as seen on node (may be NULL). */
json_t	*check_entry(const struct check *k, const json_t *reg, const char *node);
/* Every registration once (the first node's copy), in serviceId order;
 * borrowed from the nodes, array caller decrefs. */
json_t	*check_merged(const struct check *k);
struct check_node *check_node_named(struct check *k, const char *name);

/* check_trust.c */
/* Finds each node's machine certificate (--vecs, and with --live its
 * HTTPS port). */
void	 check_machine_certs(struct check *k);
/* The trust rules: machine certificate, live certificates, expiry. */
void	 check_trust(struct check *k);
/* --fix-trust: PUTs the repaired registrations. */
void	 check_fix_trust(struct check *k);

#endif
