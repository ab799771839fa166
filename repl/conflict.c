/*
 * conflict.c: the deterministic rules by which every node resolves
 * concurrent changes the same way: per-attribute metadata comparison, the
 * merge of a replicated entry into the local one, tombstones, and add-add
 * name conflicts.
 *
 * The merge is a per-attribute maximum under one total order (tombstone
 * value first, then having metadata, then repl_meta_cmp), so it is
 * commutative, associative and idempotent: nodes converge whatever order
 * changes reach them in.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "repl.h"

#define CF_METADATA	"attributeMetaData"
#define CF_ISDELETED	"isDeleted"
#define CF_CONFLICT	" CNF:"

const char *const repl_tombstone_attrs[] = {
	"objectClass", "objectGUID", "cn", "name", "isDeleted",
	"lastKnownParent", "attributeMetaData", "uSNCreated", "uSNChanged",
	"createTimestamp", "modifyTimestamp", NULL
};

/* The parsed attributeMetaData of one entry, one per attribute. */
struct cf_metas {
	struct attr_meta	*m;
	size_t			 n;
};

/* Names of attributes to decide, lowercased, sorted, unique. */
struct cf_names {
	char	**v;
	size_t	  n, cap;
};

/* One side's claim on one attribute. */
struct cf_claim {
	const struct attr_meta	*meta;	/* NULL if none */
	bool			 tomb;	/* holds a tombstone value */
};

int
repl_meta_cmp(const struct attr_meta *a, const struct attr_meta *b)
{
	int	 c;

	if (a->version != b->version)
		return a->version > b->version ? 1 : -1;
	if ((c = strcmp(a->orig_time, b->orig_time)) != 0)
		return c > 0 ? 1 : -1;
	if ((c = strcasecmp(a->orig_invocation, b->orig_invocation)) != 0)
		return c > 0 ? 1 : -1;
	if (a->orig_usn != b->orig_usn)
		return a->orig_usn > b->orig_usn ? 1 : -1;
	return 0;
}

static bool
cf_attr_is_true(const struct attr *a)
{
	size_t	 i;

	for (i = 0; a != NULL && i < a->nvals; i++)
		if (strcasecmp(a->vals[i].bv_val, "TRUE") == 0)
			return true;
	return false;
}

bool
repl_entry_is_tombstone(const struct entry *e)
{
	return e != NULL && cf_attr_is_true(entry_attr(e, CF_ISDELETED));
}

/* True if the entry's name lies directly under the tombstone container. */
static bool
cf_dn_is_tombstone(const struct entry *e)
{
	char	*ndn = NULL, *parent;
	size_t	 len = strlen(REPL_DELETED_RDN);
	bool	 yes;

	if (e == NULL)
		return false;
	if (e->ndn == NULL && dn_normalize(NULL, e->dn, &ndn) != LDAP_SUCCESS)
		return false;
	parent = dn_parent(e->ndn != NULL ? e->ndn : ndn);
	free(ndn);
	if (parent == NULL)
		return false;
	yes = strncasecmp(parent, REPL_DELETED_RDN, len) == 0 &&
	    (parent[len] == ',' || parent[len] == '\0');
	free(parent);
	return yes;
}

static void
cf_lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

/* Index of name's metadata in ms, or ms->n. */
static size_t
cf_metas_index(const struct cf_metas *ms, const char *name)
{
	size_t	 i;

	for (i = 0; i < ms->n; i++)
		if (strcmp(ms->m[i].attr, name) == 0)
			break;
	return i;
}

static const struct attr_meta *
cf_metas_find(const struct cf_metas *ms, const char *name)
{
	size_t	 i = cf_metas_index(ms, name);

	return i < ms->n ? &ms->m[i] : NULL;
}

/* Parses e's attributeMetaData; a repeated attribute keeps the winning
 * value. Malformed values fail if strict, else are skipped. */
static int
cf_metas_load(const struct entry *e, bool strict, struct cf_metas *ms)
{
	const struct attr	*a;
	struct attr_meta	 m;
	size_t			 i, k;

	memset(ms, 0, sizeof(*ms));
	if (e == NULL || (a = entry_attr(e, CF_METADATA)) == NULL)
		return LDAP_SUCCESS;
	if ((ms->m = calloc(a->nvals, sizeof(*ms->m))) == NULL)
		return LDAP_NO_MEMORY;
	for (i = 0; i < a->nvals; i++) {
		if (meta_parse(a->vals[i].bv_val, a->vals[i].bv_len, &m) !=
		    LDAP_SUCCESS) {
			if (strict)
				return LDAP_INVALID_SYNTAX;
			continue;
		}
		if ((k = cf_metas_index(ms, m.attr)) == ms->n)
			ms->m[ms->n++] = m;
		else if (repl_meta_cmp(&m, &ms->m[k]) > 0)
			ms->m[k] = m;
	}
	return LDAP_SUCCESS;
}

static int
cf_names_add(struct cf_names *ns, const char *name)
{
	char	**v;
	size_t	  i, cap;

	for (i = 0; i < ns->n; i++)
		if (strcasecmp(ns->v[i], name) == 0)
			return LDAP_SUCCESS;
	if (ns->n == ns->cap) {
		cap = ns->cap ? ns->cap * 2 : 32;
		if ((v = realloc(ns->v, cap * sizeof(*v))) == NULL)
			return LDAP_NO_MEMORY;
		ns->v = v;
		ns->cap = cap;
	}
	if ((ns->v[ns->n] = strdup(name)) == NULL)
		return LDAP_NO_MEMORY;
	cf_lower(ns->v[ns->n++]);
	return LDAP_SUCCESS;
}

static void
cf_names_free(struct cf_names *ns)
{
	size_t	 i;

	for (i = 0; i < ns->n; i++)
		free(ns->v[i]);
	free(ns->v);
}

static int
cf_strcmp(const void *a, const void *b)
{
	return strcmp(*(char * const *)a, *(char * const *)b);
}

/* Every name either side has values or metadata for, plus the name and
 * isDeleted (a tombstone value counts without metadata). */
static int
cf_names_collect(const struct entry *e, const struct cf_metas *ms,
    struct cf_names *ns)
{
	size_t	 i;
	int	 rc;

	for (i = 0; i < ms->n; i++)
		if ((rc = cf_names_add(ns, ms->m[i].attr)) != LDAP_SUCCESS)
			return rc;
	for (i = 0; e != NULL && i < e->nattrs; i++) {
		if (strcasecmp(e->attrs[i].name, CF_METADATA) == 0)
			continue;
		if ((rc = cf_names_add(ns, e->attrs[i].name)) != LDAP_SUCCESS)
			return rc;
	}
	if ((rc = cf_names_add(ns, REPL_META_DN)) != LDAP_SUCCESS)
		return rc;
	return cf_names_add(ns, CF_ISDELETED);
}

static struct cf_claim
cf_claim(const struct entry *e, const struct cf_metas *ms, const char *name)
{
	struct cf_claim	 c;

	c.meta = cf_metas_find(ms, name);
	if (strcmp(name, REPL_META_DN) == 0)
		c.tomb = cf_dn_is_tombstone(e);
	else if (strcasecmp(name, CF_ISDELETED) == 0)
		c.tomb = repl_entry_is_tombstone(e);
	else
		c.tomb = false;
	return c;
}

/* > 0 if a's claim beats b's: a tombstone value beats any other, then
 * having metadata beats having none, then the metadata decide. */
static int
cf_claim_cmp(const struct cf_claim *a, const struct cf_claim *b)
{
	if (a->tomb != b->tomb)
		return a->tomb ? 1 : -1;
	if ((a->meta != NULL) != (b->meta != NULL))
		return a->meta != NULL ? 1 : -1;
	if (a->meta == NULL)
		return 0;
	return repl_meta_cmp(a->meta, b->meta);
}

static int
cf_copy_attr(struct entry *out, const struct attr *a)
{
	struct attr	*na;
	size_t		 i;

	/* Two names may reach one attribute through a schema alias. */
	if (a == NULL || entry_attr(out, a->name) != NULL)
		return LDAP_SUCCESS;
	for (i = 0; i < a->nvals; i++)
		if (entry_add_value(out, a->name, a->vals[i].bv_val,
		    a->vals[i].bv_len) != 0)
			return LDAP_NO_MEMORY;
	if ((na = entry_attr(out, a->name)) != NULL)
		na->at = a->at;
	return LDAP_SUCCESS;
}

static int
cf_set_dn(struct entry *out, const struct entry *from)
{
	char	*dn, *ndn = NULL;

	if ((dn = strdup(from->dn)) == NULL ||
	    (from->ndn != NULL && (ndn = strdup(from->ndn)) == NULL)) {
		free(dn);
		return LDAP_NO_MEMORY;
	}
	free(out->dn);
	free(out->ndn);
	out->dn = dn;
	out->ndn = ndn;
	return LDAP_SUCCESS;
}

static int
cf_add_meta(struct entry *out, const struct attr_meta *m, bool incoming)
{
	struct attr_meta	 copy = *m;
	char			 buf[META_MAX];

	if (incoming)
		copy.local_usn = 0;
	meta_format(&copy, buf, sizeof(buf));
	return entry_add_str(out, CF_METADATA, buf) == 0 ? LDAP_SUCCESS :
	    LDAP_NO_MEMORY;
}

static bool
cf_in_list(const char *name, char **types, size_t n)
{
	const char *const	*k;
	size_t			 i;

	for (k = repl_tombstone_attrs; *k != NULL; k++)
		if (strcasecmp(name, *k) == 0)
			return true;
	for (i = 0; i < n; i++)
		if (strcasecmp(name, types[i]) == 0)
			return true;
	return false;
}

/* Drops every value a tombstone does not keep; metadata stays. */
static int
cf_strip(struct entry *e)
{
	struct attr	*a;
	char		*rdn, **types = NULL, **vals = NULL;
	size_t		 i, k, n = 0;

	if ((rdn = dn_rdn(e->dn)) == NULL)
		return LDAP_NO_MEMORY;
	if (dn_rdn_split(rdn, &types, &vals, &n) != LDAP_SUCCESS)
		n = 0;
	free(rdn);
	for (i = e->nattrs; i > 0; i--) {
		a = &e->attrs[i - 1];
		if (cf_in_list(a->name, types, n))
			continue;
		/* The last value's removal removes the attribute. */
		for (k = a->nvals; k > 0; k--)
			entry_del_value(e, a, k - 1);
	}
	dn_rdn_free(types, vals, n);
	return LDAP_SUCCESS;
}

/* Decides one attribute (or the name) into out. */
static int
cf_decide(const char *name, const struct entry *local,
    const struct cf_metas *ml, const struct entry *incoming,
    const struct cf_metas *mi, struct entry *out, bool *changed)
{
	struct cf_claim		 cl, ci;
	const struct entry	*win;
	const struct attr_meta	*m;
	bool			 take;
	int			 rc;

	cl = cf_claim(local, ml, name);
	ci = cf_claim(incoming, mi, name);
	take = cf_claim_cmp(&ci, &cl) > 0;
	win = take ? incoming : local;
	m = take ? ci.meta : cl.meta;
	if (take)
		*changed = true;
	if (strcmp(name, REPL_META_DN) == 0) {
		if (take && (rc = cf_set_dn(out, incoming)) != LDAP_SUCCESS)
			return rc;
	} else if (win != NULL &&
	    (rc = cf_copy_attr(out, entry_attr(win, name))) != LDAP_SUCCESS)
		return rc;
	if (m != NULL)
		return cf_add_meta(out, m, take);
	return LDAP_SUCCESS;
}

/* attributeMetaData goes last: decided values are added under it in name
 * order as the names are walked. */
static void
cf_move_meta_last(struct entry *e)
{
	struct attr	 a;
	size_t		 i;

	for (i = 0; i < e->nattrs; i++)
		if (strcasecmp(e->attrs[i].name, CF_METADATA) == 0)
			break;
	if (i + 1 >= e->nattrs)
		return;
	a = e->attrs[i];
	memmove(&e->attrs[i], &e->attrs[i + 1],
	    (e->nattrs - i - 1) * sizeof(*e->attrs));
	e->attrs[e->nattrs - 1] = a;
}

int
repl_merge_entry(const struct entry *local, const struct entry *incoming,
    struct entry **out, bool *changed)
{
	struct cf_metas	 ml = { 0 }, mi = { 0 };
	struct cf_names	 ns = { 0 };
	struct entry	*o = NULL;
	bool		 chg = false;
	size_t		 i;
	int		 rc;

	*out = NULL;
	if (changed != NULL)
		*changed = false;
	if (incoming == NULL || incoming->dn == NULL)
		return LDAP_PARAM_ERROR;
	if ((rc = cf_metas_load(local, false, &ml)) != LDAP_SUCCESS ||
	    (rc = cf_metas_load(incoming, true, &mi)) != LDAP_SUCCESS ||
	    (rc = cf_names_collect(local, &ml, &ns)) != LDAP_SUCCESS ||
	    (rc = cf_names_collect(incoming, &mi, &ns)) != LDAP_SUCCESS)
		goto done;
	qsort(ns.v, ns.n, sizeof(*ns.v), cf_strcmp);
	/* A new entry starts from incoming's name. */
	o = local != NULL ? entry_new(local->dn, local->ndn) :
	    entry_new(incoming->dn, incoming->ndn);
	if (o == NULL) {
		rc = LDAP_NO_MEMORY;
		goto done;
	}
	o->id = local != NULL ? local->id : 0;
	for (i = 0; i < ns.n; i++)
		if ((rc = cf_decide(ns.v[i], local, &ml, incoming, &mi, o,
		    &chg)) != LDAP_SUCCESS)
			goto done;
	if (repl_entry_is_tombstone(o) && (rc = cf_strip(o)) != LDAP_SUCCESS)
		goto done;
	cf_move_meta_last(o);
 done:
	free(ml.m);
	free(mi.m);
	cf_names_free(&ns);
	if (rc != LDAP_SUCCESS) {
		entry_free(o);
		return rc;
	}
	if (changed != NULL)
		*changed = chg || local == NULL;
	*out = o;
	return LDAP_SUCCESS;
}

/* Appends v to b escaped after RFC 4514 section 2.4. */
static void
cf_escape(char *b, size_t *len, const char *v)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 i, n = strlen(v);
	unsigned char		 c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)v[i];
		if (c < 0x20 || c == 0x7f) {
			b[(*len)++] = '\\';
			b[(*len)++] = hex[c >> 4];
			b[(*len)++] = hex[c & 0xf];
			continue;
		}
		if (strchr(",+\"\\<>;=", c) != NULL ||
		    (i == 0 && (c == '#' || c == ' ')) ||
		    (i == n - 1 && c == ' '))
			b[(*len)++] = '\\';
		b[(*len)++] = (char)c;
	}
	b[*len] = '\0';
}

static bool
cf_has_suffix(const char *s, const char *suffix)
{
	size_t	 ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

char *
repl_conflict_rdn(const char *rdn, const char *guid)
{
	char	**types = NULL, **vals = NULL, *suffix = NULL, *b = NULL;
	char	 *first;
	size_t	  n = 0, i, cap, len = 0;

	if (rdn == NULL || guid == NULL ||
	    dn_rdn_split(rdn, &types, &vals, &n) != LDAP_SUCCESS)
		return NULL;
	cap = strlen(CF_CONFLICT) + strlen(guid) + 1;
	if ((suffix = malloc(cap)) == NULL)
		goto done;
	memcpy(suffix, CF_CONFLICT, sizeof(CF_CONFLICT));
	strcat(suffix, guid);
	if (!cf_has_suffix(vals[0], suffix)) {
		if ((first = malloc(strlen(vals[0]) + cap)) == NULL)
			goto done;
		strcpy(first, vals[0]);
		strcat(first, suffix);
		free(vals[0]);
		vals[0] = first;
	}
	/* Escaping at most triples a value; add '=', '+' and the NUL. */
	cap = 1;
	for (i = 0; i < n; i++)
		cap += strlen(types[i]) + 3 * strlen(vals[i]) + 2;
	if ((b = malloc(cap)) == NULL)
		goto done;
	for (i = 0; i < n; i++) {
		if (i > 0)
			b[len++] = '+';
		memcpy(b + len, types[i], strlen(types[i]));
		len += strlen(types[i]);
		b[len++] = '=';
		cf_escape(b, &len, vals[i]);
	}
	b[len] = '\0';
 done:
	free(suffix);
	dn_rdn_free(types, vals, n);
	return b;
}

bool
repl_add_add_keeps(const struct attr_meta *entrydn_a, const char *guid_a,
    const struct attr_meta *entrydn_b, const char *guid_b)
{
	int	 c;

	if ((entrydn_a == NULL) != (entrydn_b == NULL))
		return entrydn_a != NULL;
	if (entrydn_a != NULL &&
	    (c = strcmp(entrydn_a->orig_time, entrydn_b->orig_time)) != 0)
		return c < 0;
	return strcasecmp(guid_a != NULL ? guid_a : "",
	    guid_b != NULL ? guid_b : "") <= 0;
}
