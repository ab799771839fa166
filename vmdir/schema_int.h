/*
 * schema_int.h: what the schema_*.c files share and the rest of vmdird
 * does not see: the loaded schema, the syntax and matching rule tables,
 * and the helpers one of these files lends the others. The public side
 * is the schema section of vmdir.h.
 */
#ifndef SCHEMA_INT_H
#define SCHEMA_INT_H

#include <ldap_schema.h>

#include "vmdir.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))
#define SYN(n)		"1.3.6.1.4.1.1466.115.121.1." #n

/* How values of an equality rule (or, lacking one, a syntax) compare. */
enum norm_kind {
	NORM_CASEIGNORE, NORM_CASEEXACT, NORM_INTEGER, NORM_DN,
	NORM_UNIQUEMEMBER, NORM_BOOLEAN, NORM_TIME, NORM_OCTET, NORM_UUID,
	NORM_OID, NORM_TELEPHONE, NORM_NUMERIC
};

struct schema_rule {
	const char	*name;
	const char	*oid;
	const char	*syntax;	/* assertion syntax */
	enum norm_kind	 kind;
	enum mr_usage	 usage;
};

struct schema_syntax {
	const char	*oid;
	const char	*desc;
	int		(*check)(const struct schema *, const struct berval *);
	enum norm_kind	 kind;		/* when the attribute has no EQUALITY */
	bool		 binary;
};

/* An attribute type; def comes first so an at_def pointer leads here. */
struct schema_at {
	struct at_def		 def;
	LDAPAttributeType	*lat;	/* owns the strings def points into */
	char			*noname[2];
	char			*str;	/* RFC 4512 form, for the subentry */
	const struct schema_rule *eq;
	const struct schema_syntax *syn;
	int			 state;
};

struct schema_oc {
	struct oc_def		 def;
	LDAPObjectClass		*loc;
	char			*noname[2];
	char			*str;
	const struct schema_oc	**sups;
	size_t			 nsups;
	int			 state;
};

struct schema_key {
	const char	*key;
	void		*def;
};

struct schema {
	struct schema_at	**ats;
	size_t			  nats;
	struct schema_oc	**ocs;
	size_t			  nocs;
	struct schema_key	 *atkeys;
	size_t			  natkeys;
	struct schema_key	 *ockeys;
	size_t			  nockeys;
};

/* schema_load.c */

/* The definition stored under name (a schema_at or a schema_oc) in a
 * sorted key list; borrowed. NULL if there is none. */
void		*schema_key_find(const struct schema_key *keys, size_t n,
		    const char *name);

/* schema_syntax.c */

extern const struct schema_syntax schema_syntaxes[];
extern const size_t schema_nsyntaxes;

/* The syntax with this OID; borrowed, static. NULL if unknown. */
const struct schema_syntax *schema_syntax_find(const char *oid);
/* How values of at compare: its equality rule's kind, else its syntax's. */
enum norm_kind	 schema_kind(const struct at_def *at);
/* 1 if v fits at's syntax (always, for an unknown type or syntax). */
int		 schema_syntax_ok(const struct schema *s, const struct at_def *at,
		    const struct berval *v);
/* Normalised form of in for values that compare as kind; caller frees. */
int		 schema_norm_kind(const struct schema *s, enum norm_kind kind,
		    const struct berval *in, struct berval *out);

/* schema_match.c */

extern const struct schema_rule schema_rules[];
extern const size_t schema_nrules;

/* The rule named name (descriptor or OID); borrowed, static. */
const struct schema_rule *schema_rule_find(const char *name);
/* True if values of kind are character strings. */
bool		 schema_kind_string(enum norm_kind kind);

#endif /* SCHEMA_INT_H */
