/*
 * vmdir.h: the internal map of vmdird. One section per source file, in the
 * order data flows: values and entries, DNs, schema, filters, storage,
 * access control, operations, connections.
 *
 * Conventions: functions that can fail return an LDAP result code
 * (LDAP_SUCCESS on success) and, where they take one, fill a struct diag
 * with the diagnostic message sent to the client. Returned pointers say who
 * owns them. Destructors accept NULL.
 */
#ifndef VMDIR_H
#define VMDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <lber.h>
#include <ldap.h>

struct schema;
struct at_def;
struct oc_def;

/* diag.c */

#define DIAG_MAX 256

/* A result code with its diagnostic message. */
struct diag {
	int	rc;
	char	text[DIAG_MAX];
	char	matched[DIAG_MAX];	/* matchedDN, when known */
};

/* Sets d (if not NULL) and returns rc, so callers can `return diag_set(...)`. */
int		 diag_set(struct diag *d, int rc, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));
void		 diag_clear(struct diag *d);

/* entry.c */

/* One attribute of an entry: its type name as the schema spells it and its
 * values. vals[i].bv_val is always NUL-terminated (not counted in bv_len). */
struct attr {
	char			*name;		/* owned */
	const struct at_def	*at;		/* borrowed from the schema; NULL if unknown */
	struct berval		*vals;		/* owned, nvals long */
	size_t			 nvals;
};

struct entry {
	uint64_t	 id;		/* storage id, 0 until stored */
	char		*dn;		/* owned; as the client wrote it (trimmed) */
	char		*ndn;		/* owned; normalised (dn_normalize) */
	struct attr	*attrs;		/* owned, nattrs long */
	size_t		 nattrs;
};

/* Caller frees with entry_free. */
struct entry	*entry_new(const char *dn, const char *ndn);
void		 entry_free(struct entry *e);
/* Deep copy; caller frees. NULL on allocation failure. */
struct entry	*entry_dup(const struct entry *e);
/* Case-insensitive lookup by name or any schema alias; borrowed pointer. */
struct attr	*entry_attr(const struct entry *e, const char *name);
/* Adds one value (copied) to attribute name, creating it. No duplicate
 * check. Returns 0 or -1 on allocation failure. */
int		 entry_add_value(struct entry *e, const char *name,
		    const char *val, size_t len);
int		 entry_add_str(struct entry *e, const char *name, const char *val);
/* Removes the whole attribute; returns true if it was there. */
bool		 entry_del_attr(struct entry *e, const char *name);
/* Removes the value at index i of attribute a (an attribute left without
 * values is removed from the entry). */
void		 entry_del_value(struct entry *e, struct attr *a, size_t i);
/* Replaces the attribute with a single value. */
int		 entry_set_str(struct entry *e, const char *name, const char *val);
/* First value as a C string, or NULL; borrowed until the entry changes. */
const char	*entry_get_str(const struct entry *e, const char *name);
uint64_t	 entry_get_u64(const struct entry *e, const char *name);

/* Serialisation for storage: a compact, versioned binary form holding the
 * DN and every attribute. entry_encode: *buf is malloc'd, caller frees.
 * entry_decode: returns NULL if the bytes are malformed; caller frees. The
 * decoded entry's ndn is recomputed by the caller if needed (it is stored). */
int		 entry_encode(const struct entry *e, void **buf, size_t *len);
struct entry	*entry_decode(const void *buf, size_t len);
/* entry_decode leaving out what flags say: ENTRY_DECODE_NO_META drops
 * attributeMetaData (read past, still checked), which most reads never
 * look at and which costs the most to decode. */
#define ENTRY_DECODE_NO_META	0x1
struct entry	*entry_decode_flags(const void *buf, size_t len, int flags);

/* dn.c */

/*
 * DN handling after RFC 4514. dn_normalize parses a DN and writes its
 * normalised form: attribute types lowercased (and mapped to their schema
 * primary name, lowercased, when schema is not NULL), values with
 * insignificant spaces removed and lowercased (DN values compare
 * case-insensitively in Trellis), special characters re-escaped in one
 * canonical way, multi-valued RDN components sorted, no spaces around ','
 * '=' '+'. The empty DN normalises to "".
 * Returns LDAP_SUCCESS or LDAP_INVALID_DN_SYNTAX; *out is caller-freed.
 */
int		 dn_normalize(const struct schema *s, const char *dn, char **out);
/* Parent of a normalised DN (a suffix of it, copied; "" for a one-RDN DN);
 * caller frees. NULL on allocation failure. */
char		*dn_parent(const char *ndn);
/* First RDN of a DN as written ("cn=a"); caller frees. */
char		*dn_rdn(const char *dn);
/* True if ndn equals base or lies below it (both normalised). */
bool		 dn_is_under(const char *ndn, const char *nbase);
/* Splits an RDN ("cn=a+sn=b") into type/value pairs with escapes removed.
 * *types and *vals are arrays of n caller-freed strings (dn_rdn_free).
 * Returns LDAP_SUCCESS or LDAP_INVALID_DN_SYNTAX. */
int		 dn_rdn_split(const char *rdn, char ***types, char ***vals,
		    size_t *n);
void		 dn_rdn_free(char **types, char **vals, size_t n);

/* schema_load.c */

enum at_usage { AT_USER, AT_OPERATIONAL };

/* What vmdird needs to know of an attribute type. */
struct at_def {
	char		 *oid;
	char		**names;	/* NULL-terminated; names[0] is primary */
	char		 *syntax;	/* syntax OID */
	char		 *equality;	/* matching rule name, may be NULL */
	char		 *ordering;
	char		 *substr;
	const struct at_def *sup;
	bool		  single_value;
	bool		  no_user_mod;	/* server-maintained */
	bool		  operational;	/* usage != userApplications */
	bool		  private;	/* never returned (e.g. userPassword) */
	bool		  local_only;	/* never replicated (UTDV, metadata) */
};

enum oc_kind { OC_ABSTRACT, OC_STRUCTURAL, OC_AUXILIARY };

struct oc_def {
	char		 *oid;
	char		**names;
	enum oc_kind	  kind;
	char		**sup;		/* superclass names */
	const struct at_def **must;	/* NULL-terminated, inherited included */
	const struct at_def **may;
};

/* Loads every "*.schema" file of dir. Files hold RFC 4512 descriptions,
 * one per logical line (continuation lines start with a space):
 *   attributetypes: ( 2.5.4.3 NAME ( 'cn' 'commonName' ) SUP name )
 *   objectclasses: ( 2.5.6.6 NAME 'person' SUP top STRUCTURAL MUST ... )
 * plus Trellis extensions in X- tokens (X-PRIVATE 'TRUE', X-LOCAL 'TRUE').
 * Caller frees with schema_free. */
int		 schema_load(const char *dir, struct schema **out, struct diag *d);
void		 schema_free(struct schema *s);
/* Lookups by name or OID, case-insensitive; borrowed for the schema's life. */
const struct at_def *schema_at(const struct schema *s, const char *name);
const struct oc_def *schema_oc(const struct schema *s, const char *name);

/* schema_syntax.c */

/* Normalised form of a value under the attribute's equality rule (e.g.
 * caseIgnore: lowercased, spaces collapsed; integer: canonical digits; DN:
 * dn_normalize). Caller frees *out (NUL-terminated, *outlen set).
 * LDAP_INVALID_SYNTAX if the value does not fit the syntax. */
int		 schema_normalize(const struct schema *s, const struct at_def *at,
		    const struct berval *in, struct berval *out);
/* Checks one value against the attribute's syntax. */
int		 schema_check_syntax(const struct schema *s, const struct at_def *at,
		    const struct berval *v, struct diag *d);

/* schema_check.c */

/* Full check of an entry about to be stored: every attribute known (each
 * struct attr's `at` is filled in as a side effect), objectClass present
 * with exactly one structural chain, MUST present, nothing outside
 * MUST/MAY (operational attributes excepted), single-value respected,
 * syntaxes valid, no duplicate values, RDN values present in the entry.
 * LDAP_OBJECT_CLASS_VIOLATION, LDAP_UNDEFINED_TYPE, LDAP_INVALID_SYNTAX,
 * LDAP_CONSTRAINT_VIOLATION, LDAP_TYPE_OR_VALUE_EXISTS, LDAP_NOT_ALLOWED_ON_RDN. */
int		 schema_check_entry(const struct schema *s, struct entry *e,
		    struct diag *d);

/* schema_match.c */

/* Compares two values under the equality rule: 0 if equal. */
int		 schema_value_cmp(const struct schema *s, const struct at_def *at,
		    const struct berval *a, const struct berval *b);
/* Byte order of two normalised values: 0 if they are equal. */
int		 schema_bv_cmp(const struct berval *a, const struct berval *b);
/* Orders two values of at normalised by schema_normalize: as integers if
 * at or a supertype uses integerMatch, integerOrderingMatch or the
 * INTEGER syntax, else bytewise. */
int		 schema_order_cmp(const struct at_def *at, const struct berval *a,
		    const struct berval *b);
/* Whether normalised v holds the normalised pieces in order: ini at the
 * start and fin at the end (each ignored if its bv_val is NULL), the nany
 * pieces of any between them without overlapping. */
bool		 schema_substr_match(const struct berval *v,
		    const struct berval *ini, const struct berval *any,
		    size_t nany, const struct berval *fin);

/* Matching rules (RFC 4517) the server implements, for extensible match. */
struct schema_rule;
enum mr_usage { MR_EQUALITY, MR_ORDERING, MR_SUBSTRINGS };
/* The rule named name (a descriptor, case-insensitive, or a numeric OID);
 * borrowed, static. NULL if the server does not know it. */
const struct schema_rule *schema_mr(const char *name);
enum mr_usage	 schema_mr_usage(const struct schema_rule *mr);
/* True if the rule orders its normalised values as integers. */
bool		 schema_mr_integer(const struct schema_rule *mr);
/* Orders two values normalised by schema_mr_normalize under mr. */
int		 schema_mr_cmp(const struct schema_rule *mr,
		    const struct berval *a, const struct berval *b);
/* True if mr can compare values of at (RFC 4512 4.1.4 matchingRuleUse):
 * at's own rules, rules of at's syntax, the string rules with any string
 * syntax, octetStringMatch with any. A NULL at (no schema) is a string. */
bool		 schema_mr_usable(const struct schema_rule *mr,
		    const struct at_def *at);
/* Normalised form of in under mr, as schema_normalize does for an
 * attribute's equality rule; caller frees *out. LDAP_INVALID_SYNTAX if in
 * is not a value of the rule's syntax. */
int		 schema_mr_normalize(const struct schema *s,
		    const struct schema_rule *mr, const struct berval *in,
		    struct berval *out);
/* Approximate match (RFC 4511 4.5.1.7.6) of assertion a against value v
 * of at: for string syntaxes, every word of a sounds like (Soundex) a word
 * of v, in order; otherwise equality. Sets *match. LDAP_INVALID_SYNTAX if
 * either does not fit the syntax. */
int		 schema_approx(const struct schema *s, const struct at_def *at,
		    const struct berval *v, const struct berval *a, bool *match);

/* schema_subentry.c */

/* The schema subentry (cn=schema) with attributeTypes, objectClasses,
 * ldapSyntaxes and matchingRules as RFC 4512 strings; caller frees. */
struct entry	*schema_subentry(const struct schema *s);

/* filter.c */

enum filter_kind {
	FILTER_AND, FILTER_OR, FILTER_NOT, FILTER_EQ, FILTER_SUBSTR,
	FILTER_GE, FILTER_LE, FILTER_PRESENT, FILTER_APPROX, FILTER_EXT
};

struct filter {
	enum filter_kind kind;
	char		*attr;		/* owned; not for AND/OR/NOT */
	const struct at_def *at;	/* borrowed; NULL if the type is unknown */
	struct berval	 value;		/* owned; EQ/GE/LE/APPROX/EXT */
	struct berval	 initial;	/* owned; SUBSTR, bv_val NULL if absent */
	struct berval	*any;		/* owned; SUBSTR */
	size_t		 nany;
	struct berval	 final;		/* owned; SUBSTR */
	char		*rule;		/* EXT matching rule, may be NULL */
	bool		 dnattrs;	/* EXT */
	struct filter	**children;	/* owned; AND/OR/NOT (NOT has one) */
	size_t		 nchildren;
};

void		 filter_free(struct filter *f);

/* filter_decode.c */

/* Decodes an RFC 4511 Filter from ber (positioned at its tag). Unknown
 * attribute types are kept (at == NULL) and evaluate to Undefined.
 * LDAP_PROTOCOL_ERROR on malformed BER. Caller frees *out. */
int		 filter_from_ber(const struct schema *s, BerElement *ber,
		    struct filter **out);

/* filter_parse.c */

/* Parses the RFC 4515 string form. LDAP_FILTER_ERROR on bad syntax. */
int		 filter_from_str(const struct schema *s, const char *str,
		    struct filter **out);

/* filter_print.c */

/* RFC 4515 string form; caller frees. NULL on allocation failure. */
char		*filter_to_str(const struct filter *f);

/* filter_eval.c */

enum { FILTER_FALSE = 0, FILTER_TRUE = 1, FILTER_UNDEFINED = 2 };
/* Three-valued evaluation (RFC 4511 4.5.1.7) of f against e. */
int		 filter_eval(const struct schema *s, const struct filter *f,
		    const struct entry *e);

/* meta.c */

/* Per-attribute replication metadata, one per attribute of an entry, kept
 * in the entry as values of attributeMetaData:
 *   <attr>:<localUSN>:<version>:<origInvocationId>:<origTime>:<origUSN>
 * origTime is YYYYMMDDHHMMSS.mmm (UTC). */
struct attr_meta {
	char		attr[128];	/* lowercased attribute name */
	uint64_t	local_usn;
	uint64_t	version;
	char		orig_invocation[37];
	char		orig_time[19];
	uint64_t	orig_usn;
};

/* Formats m into buf (at least META_MAX bytes). */
#define META_MAX 256
void		 meta_format(const struct attr_meta *m, char *buf, size_t len);
/* Parses one value; LDAP_INVALID_SYNTAX if malformed. */
int		 meta_parse(const char *s, size_t len, struct attr_meta *m);
/* s[0..len) is an invocationId: 36 characters, hex digits and four dashes. */
bool		 meta_uuid_ok(const char *s, size_t len);
/* Current UTC time in the origTime format. */
void		 meta_now(char buf[19]);

/* be.c: Berkeley DB storage (the only file that includes <db.h>) */

struct be;
struct be_txn;

struct be_config {
	const char	 *dir;		/* data directory; the environment lives here */
	size_t		  cache_bytes;	/* BDB cache size, 0 for the default */
	const char	**indexes;	/* NULL-terminated attribute names to index
					 * for equality (objectClass, cn, ...) */
	bool		  nosync;	/* true: commits are not flushed (tests only) */
	size_t		  cache_max_bytes; /* what be_cache_resize may grow it
					 * to (0: it stays cache_bytes) */
};

/* Returned by any be_* call when Berkeley DB chose this transaction as a
 * deadlock victim: abort it and run the whole operation again. */
#define BE_RETRY	(-1000)

/* Sorted, duplicate-free set of entry ids. */
struct idset {
	uint64_t	*ids;
	size_t		 n, cap;
};
void		 idset_free(struct idset *s);	/* frees ids, zeroes s */
int		 idset_add(struct idset *s, uint64_t id);	/* keeps order */
void		 idset_intersect(struct idset *a, const struct idset *b); /* a &= b */
int		 idset_union(struct idset *a, const struct idset *b);	   /* a |= b */

/* Opens (creating if needed, running recovery always) the environment in
 * cfg->dir. The schema is borrowed for the backend's life (index keys are
 * schema_normalize'd values). Caller closes with be_close. */
int		 be_open(const struct be_config *cfg, const struct schema *s,
		    struct be **out, struct diag *d);
void		 be_close(struct be *be);

/* The cache of an automatic size (cache_mb = auto), in MiB: the data on
 * disk halved, rounded up to a multiple of 8 MiB, at least 32 MiB and
 * at most a quarter of the RAM (ram_bytes 0: unknown, no upper bound); the
 * floor of 32 MiB wins over the quarter of a very small RAM. */
#define BE_CACHE_MIN_MB	32
size_t		 be_cache_auto_mb(uint64_t data_bytes, uint64_t ram_bytes);
/* Sum of the sizes of the *.db files in dir (0 if there are none or dir
 * does not exist yet). */
uint64_t	 be_data_bytes(const char *dir);
/* Size of the cache the open environment really has (Berkeley DB adds
 * its own overhead to a requested size under 500 MB), in bytes. */
uint64_t	 be_cache_bytes(const struct be *be);
/* Resizes the cache of an open environment (up to cache_max_bytes). */
int		 be_cache_resize(struct be *be, uint64_t bytes);
/* The size in MB an automatic cache of cur_mb should grow to for the data
 * now on disk (be_cache_auto_mb), or 0 to stay: it grows once the data
 * wants an eighth more, and never shrinks while running. */
size_t		 be_cache_grow_mb(size_t cur_mb, uint64_t data_bytes, uint64_t ram_bytes);

/* write=false gives a read-committed transaction. */
int		 be_begin(struct be *be, bool write, struct be_txn **out);
/* On LDAP_SUCCESS the transaction is durable (unless nosync): commit is
 * grouped: locks are released at commit and the log is flushed before
 * return, so concurrent writers share one fsync. */
int		 be_commit(struct be_txn *t);
/* Commits without flushing the log: the change is visible but not yet
 * durable. The caller makes it durable (be_flush, or hands its answer to
 * durable_send) before anyone outside learns of it. */
int		 be_commit_nosync(struct be_txn *t);
void		 be_abort(struct be_txn *t);	/* accepts NULL */
/* Makes every commit so far durable; LDAP code. */
int		 be_flush(struct be *be);

/* Lookups. *out is caller-freed. LDAP_NO_SUCH_OBJECT if absent. */
int		 be_get_dn(struct be_txn *t, const char *ndn, struct entry **out);
int		 be_get_id(struct be_txn *t, uint64_t id, struct entry **out);
/* be_get_id decoding with entry_decode_flags' flags. */
int		 be_get_id_flags(struct be_txn *t, uint64_t id, int flags,
		    struct entry **out);
/* Id of a DN without decoding the entry; LDAP_NO_SUCH_OBJECT if absent. */
int		 be_dn2id(struct be_txn *t, const char *ndn, uint64_t *id);

/* Stores a new entry below parent_id (0 for a suffix entry) and sets
 * e->id. LDAP_ALREADY_EXISTS if e->ndn is taken. Maintains every index. */
int		 be_add(struct be_txn *t, struct entry *e, uint64_t parent_id);
/* Replaces an entry (same id). If the DN changed, dn2id and the parent
 * index follow (new_parent_id is the id of the new parent; pass the old
 * one when unchanged). Index entries are updated by difference. */
int		 be_update(struct be_txn *t, const struct entry *old,
		    const struct entry *nw, uint64_t new_parent_id);
/* Removes an entry and its index keys; the caller checked it is a leaf. */
int		 be_delete(struct be_txn *t, const struct entry *e);

int		 be_has_children(struct be_txn *t, uint64_t id, bool *yes);
/* Adds the ids of the children of id (one level) to out. */
int		 be_children(struct be_txn *t, uint64_t id, struct idset *out);
/* Adds id and every descendant to out. */
int		 be_subtree(struct be_txn *t, uint64_t id, struct idset *out);
/* id and every descendant in *out (initialised here, caller frees with
 * idset_free), parents before their children (breadth first), not sorted:
 * for walks that need an entry's parent handled first. */
int		 be_subtree_topdown(struct be_txn *t, uint64_t id, struct idset *out);

/* True if attribute at has an equality index. */
bool		 be_indexed(const struct be *be, const struct at_def *at);
/* Ids whose attribute at has a value whose normalised form is normval.
 * LDAP_UNWILLING_TO_PERFORM if at is not indexed. */
int		 be_index_eq(struct be_txn *t, const struct at_def *at,
		    const struct berval *normval, struct idset *out);
/* Ids having attribute at at all (presence), from the same index. */
int		 be_index_pres(struct be_txn *t, const struct at_def *at,
		    struct idset *out);

/* The node's update sequence number. be_usn_next takes the next value
 * inside a write transaction (it becomes durable with it); be_usn_highest
 * is the highest committed one. */
int		 be_usn_next(struct be_txn *t, uint64_t *usn);
uint64_t	 be_usn_highest(struct be *be);
/* Runs fn while no write transaction is in progress: reads made by fn
 * (without a write transaction of their own) see exactly the commits
 * counted by be_usn_highest. */
int		 be_consistent(struct be *be, int (*fn)(void *), void *arg);
/* Calls cb for every entry whose uSNChanged is > after, in USN order,
 * until cb returns non-zero (which be_usn_scan then returns). */
int		 be_usn_scan(struct be_txn *t, uint64_t after,
		    int (*cb)(void *arg, uint64_t usn, uint64_t id), void *arg);

/* Small persistent key/value settings (state, invocationId, ...).
 * be_meta_get: *val caller-freed; LDAP_NO_SUCH_OBJECT if unset. */
int		 be_meta_get(struct be_txn *t, const char *key, char **val);
int		 be_meta_put(struct be_txn *t, const char *key, const char *val);

#endif /* VMDIR_H */
