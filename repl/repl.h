/*
 * repl.h: the pure part of multi-master replication: up-to-dateness
 * vectors and the deterministic conflict rules. No I/O, no globals, no
 * storage: the supplier, the consumer, unit tests and fuzzers call these
 * directly.
 *
 * Conventions as in vmdir.h: functions that can fail return an LDAP result
 * code; returned pointers say who owns them; destructors accept NULL.
 */
#ifndef REPL_H
#define REPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmdir.h"

/* utdv.c */

/* Length of an invocationId (a UUID as 8-4-4-4-12 hex digits). */
#define REPL_INV_LEN	36

/* One element of an up-to-dateness vector: changes originated by inv up
 * to and including originating USN usn have been seen. inv is lowercase. */
struct utdv_elem {
	char		inv[REPL_INV_LEN + 1];
	uint64_t	usn;
};

/*
 * An up-to-dateness vector: a set of (invocationId, USN) pairs, kept
 * sorted by inv without duplicates. A zeroed struct (REPL_UTDV_INIT) is
 * the empty vector. The array is owned by the struct; release it with
 * repl_utdv_free. Not thread-safe: one owner at a time.
 */
struct utdv {
	struct utdv_elem *v;		/* owned, n used of cap */
	size_t		  n, cap;
};

#define REPL_UTDV_INIT	{ NULL, 0, 0 }

/* Parses the text form "<inv>:<usn>,<inv>:<usn>," (every element ends
 * with ','; "" is the empty vector). Strict: invocationIds are 36-char
 * UUIDs (upper case is accepted and lowercased), USNs 1 to 20 digits
 * without leading zeros fitting in 64 bits, no spaces, no empty elements.
 * A repeated invocationId keeps the highest USN. *out is initialised by
 * the call (its previous contents are not freed); on success the caller
 * frees it with repl_utdv_free, on failure it is left empty.
 * LDAP_INVALID_SYNTAX if s is malformed, LDAP_NO_MEMORY. */
int		 repl_utdv_parse(const char *s, struct utdv *out);
/* The text form, elements sorted by invocationId (so equal vectors give
 * equal strings); "" for the empty vector. *out is caller-freed.
 * LDAP_SUCCESS or LDAP_NO_MEMORY (then *out is NULL). */
int		 repl_utdv_format(const struct utdv *u, char **out);
/* The USN recorded for inv (compared case-insensitively), 0 if none. */
uint64_t	 repl_utdv_get(const struct utdv *u, const char *inv);
/* Raises inv's USN to usn if that is higher (adding inv if absent).
 * LDAP_INVALID_SYNTAX if inv is not a UUID, LDAP_NO_MEMORY. */
int		 repl_utdv_set_max(struct utdv *u, const char *inv, uint64_t usn);
/* dst = element-wise maximum of dst and src. On LDAP_NO_MEMORY dst holds
 * a partial merge (still a valid vector, never lower than before). */
int		 repl_utdv_merge(struct utdv *dst, const struct utdv *src);
/* True if the vector has already seen the change m describes, i.e.
 * u[m->orig_invocation] >= m->orig_usn: a supplier leaves it out. */
bool		 repl_utdv_covers(const struct utdv *u, const struct attr_meta *m);
/* Releases the array and leaves u empty (reusable). Accepts NULL. */
void		 repl_utdv_free(struct utdv *u);

/* conflict.c */

/* Pseudo attribute whose metadata tracks the entry's name and parent. */
#define REPL_META_DN		"entrydn"
/* Attribute that carries, in a replicated entry only (never stored), the
 * objectGUID of the entry's parent on the supplier: the consumer places
 * the entry under the entry of that GUID, whatever name it has there. */
#define REPL_PARENT_GUID	"parentGUID"
/* First RDN of the container of tombstones (below the naming context). */
#define REPL_DELETED_RDN	"cn=Deleted Objects"

/* Attributes a tombstone keeps, NULL-terminated (besides the attribute
 * types of its RDN). Every other attribute loses its values when an entry
 * becomes a tombstone; its metadata stays. */
extern const char *const repl_tombstone_attrs[];

/* Orders two changes of one attribute: > 0 if a wins, < 0 if b wins, 0 if
 * both have the same origin. Higher version wins; then the later orig_time;
 * then the greater orig_invocation; then the greater orig_usn. local_usn
 * and attr are not looked at. */
int		 repl_meta_cmp(const struct attr_meta *a, const struct attr_meta *b);

/* True if e is a tombstone (isDeleted: TRUE, case-insensitive). */
bool		 repl_entry_is_tombstone(const struct entry *e);

/*
 * Applies a replicated entry to the local copy of the same entry (same
 * objectGUID; local is NULL if this node does not have it yet). Both are
 * borrowed. For every attribute, and for the name (REPL_META_DN), the side
 * whose change wins keeps it: an attribute whose metadata wins is taken
 * from incoming with its values (absent there = deleted) and its metadata
 * with localUSN 0, for the caller to stamp with the USN of the write;
 * otherwise the local values and metadata stay. A side holding a tombstone
 * value (isDeleted: TRUE, a name under REPL_DELETED_RDN) beats one that
 * does not, whatever their metadata, so a delete beats a concurrent modify
 * or rename; a tombstone then keeps only repl_tombstone_attrs. Attributes
 * without metadata on either side (uSNCreated, uSNChanged, local-only
 * ones) are kept from local and never taken from incoming.
 * The result depends only on the set of changes, not on the order they
 * arrive in: merging is commutative, associative and idempotent for
 * everything but those local bookkeeping attributes and localUSNs.
 * *out is a new entry (caller frees with entry_free) with local's id (0
 * when local is NULL), attributes in name order then attributeMetaData
 * with its values in name order; *changed tells whether anything was taken from incoming (always
 * true when local is NULL). Malformed attributeMetaData values of local
 * are dropped (as if absent); in incoming they fail the call with
 * LDAP_INVALID_SYNTAX. LDAP_NO_MEMORY on allocation failure. *out is NULL
 * on failure.
 */
int		 repl_merge_entry(const struct entry *local,
		    const struct entry *incoming, struct entry **out,
		    bool *changed);

/* The RDN that an add-add conflict gives the entry that loses its name:
 * the first value of rdn (as written, e.g. "cn=foo") gets " CNF:<guid>"
 * appended ("cn=foo CNF:<guid>"), re-escaped after RFC 4514 so the result
 * is a valid RDN; other values of a multi-valued RDN stay. An RDN that
 * already ends so is returned unchanged. Caller frees; NULL if rdn is not
 * a valid RDN or on allocation failure. */
char		*repl_conflict_rdn(const char *rdn, const char *guid);

/* Of two different entries that ended up with the same DN, whether the
 * first (its REPL_META_DN metadata and objectGUID) keeps the name: the one
 * that took the name earlier (orig_time) does, then the smaller GUID
 * (case-insensitive). Every node decides the same. A NULL metadata (name
 * never stamped) loses to a known one. Arguments are borrowed. */
bool		 repl_add_add_keeps(const struct attr_meta *entrydn_a,
		    const char *guid_a, const struct attr_meta *entrydn_b,
		    const char *guid_b);

/* pull.c: the pull control's value, request and response (both sides). */

struct pull_request {
	uint64_t	 hwm;		/* the consumer's high-water mark */
	struct utdv	 utdv;		/* its vector; owned */
	int		 page;		/* entries per page, > 0 */
	int		 wait_ms;	/* how long a quiet supplier may hold it, >= 0 */
	char		 inv[64];	/* the supplier invocationId it last saw, or "" */
};

struct pull_response {
	uint64_t	 hwm;		/* the new high-water mark */
	bool		 more;		/* another page follows */
	char		*inv;		/* the supplier's invocationId; owned */
	char		*utdv;		/* its vector when !more (cycle complete); owned */
	uint64_t	 top;		/* its highest USN for this cycle (0: not sent) */
};

/* Encodes r; out->bv_val is caller-freed with ber_memfree. LDAP_NO_MEMORY. */
int		 repl_pull_request_encode(const struct pull_request *r,
		    struct berval *out);
/* Decodes a request strictly (USNs as canonical decimals, a valid vector,
 * page > 0, nothing after the sequence); a negative wait becomes 0. r is
 * initialised by the call; free it with repl_pull_request_free whatever
 * the result. LDAP_PROTOCOL_ERROR if malformed, LDAP_NO_MEMORY. */
int		 repl_pull_request_decode(const struct berval *v,
		    struct pull_request *r);
/* Encodes r (utdv is sent only when !more); out as above. */
int		 repl_pull_response_encode(const struct pull_response *r,
		    struct berval *out);
/* Decodes a response as strictly; utdv is kept (and must parse) only when
 * the cycle is complete. On failure r holds nothing. */
int		 repl_pull_response_decode(const struct berval *v,
		    struct pull_response *r);
/* Release what a request or response owns. Accept NULL. */
void		 repl_pull_request_free(struct pull_request *r);
void		 repl_pull_response_free(struct pull_response *r);

/* relay.c: the partners a consumer pulls from directly (the value of
 * the OID_TRELLIS_PULL_DIRECT control), whose changes a waiting pull may
 * hold back for RELAY_HOLD_MS */
#define RELAY_MAX	64
#define RELAY_HOLD_MS	500
struct relay {
	char	inv[RELAY_MAX][REPL_INV_LEN + 1];
	size_t	n;
};
/* r from v (NULL or no value: none); LDAP_PROTOCOL_ERROR if malformed. */
int		 repl_relay_parse(const struct berval *v, struct relay *r);
/* The value for r in buf (what fits); its length. */
size_t		 repl_relay_format(const struct relay *r, char *buf, size_t len);
bool		 repl_relay_has(const struct relay *r, const char *inv);

/* tlsprobe.c: why the ldaps:// partner uri cannot be reached, in why. */
void		 repl_tls_why(const char *uri, char *why, size_t len);

#endif /* REPL_H */
