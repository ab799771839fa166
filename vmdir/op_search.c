/*
 * op_search.c: the search operation: base/one/subtree scopes, candidate
 * ids from the equality indexes when the filter allows, else from the
 * scope; size and time limits, attribute selection (names, '*', '+',
 * '1.1'), typesOnly, and RFC 2696 paged results with a cookie that names
 * the last entry id sent. A search whose client does not keep up parks
 * with its candidates and position, and goes on in a new transaction.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "server.h"
#include "repl.h"
#include "log.h"

/* Internal: the search stopped because it was abandoned or the client left. */
#define SEARCH_GONE	(-2000)
/* Internal: the client's output is over the bound; the search is parked. */
#define SEARCH_PARKED	(-2001)
#define SEARCH_YIELD	(-2002)	/* parked where it is, output not full */

struct search {
	struct op	*op;
	char		*base;		/* normalised */
	int		 scope;
	ber_int_t	 sizelimit, timelimit;
	ber_int_t	 typesonly;
	struct filter	*filter;
	char		**attrs;	/* requested, NULL-terminated */
	bool		 all_user, all_oper, none;
	struct timespec	 deadline;
	bool		 has_deadline;
	int		 sent;
	uint64_t	 last_id;	/* of the last entry sent */
	bool		 show_deleted;	/* the base is in cn=Deleted Objects */
	struct idset	 ids;		/* candidates */
	size_t		 pos;		/* the next candidate to look at */
	uint64_t	 after;		/* paged: ids up to the cookie's are done */
	size_t		 page;		/* paged: entries per page, 0 = all */
	size_t		 examined;	/* candidates looked at on the loop */
	int		 decode;	/* entry_decode_flags of the candidates */
};

static void
search_free(struct search *s)
{
	if (s == NULL)
		return;
	free(s->base);
	filter_free(s->filter);
	if (s->attrs != NULL)
		for (size_t i = 0; s->attrs[i] != NULL; i++)
			free(s->attrs[i]);
	free(s->attrs);
	idset_free(&s->ids);
	free(s);
}

/* Requested attribute list; "1.1" alone means none (RFC 4511 4.5.1.8). */
static int
search_attrs(struct search *s, BerElement *ber)
{
	ber_tag_t tag;
	ber_len_t len;
	char *last;
	size_t n = 0;

	s->attrs = calloc(1, sizeof(char *));
	for (tag = ber_first_element(ber, &len, &last); tag != LBER_DEFAULT;
	    tag = ber_next_element(ber, &len, last)) {
		struct berval bv;
		char **na;
		if (ber_scanf(ber, "m", &bv) == LBER_ERROR)
			return LDAP_PROTOCOL_ERROR;
		if ((na = realloc(s->attrs, (n + 2) * sizeof(char *))) == NULL)
			return LDAP_NO_MEMORY;
		s->attrs = na;
		if ((s->attrs[n] = strndup(bv.bv_val, bv.bv_len)) == NULL)
			return LDAP_NO_MEMORY;
		s->attrs[++n] = NULL;
	}
	if (ber_scanf(ber, "}") == LBER_ERROR || s->attrs == NULL)
		return LDAP_PROTOCOL_ERROR;
	if (n == 0)
		s->all_user = true;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(s->attrs[i], "*") == 0)
			s->all_user = true;
		else if (strcmp(s->attrs[i], "+") == 0)
			s->all_oper = true;
	}
	s->none = n == 1 && strcmp(s->attrs[0], "1.1") == 0;
	return LDAP_SUCCESS;
}

/* Whether a is selected; *binary when it was asked for with the transfer
 * option ";binary" (RFC 4522), which its name then carries back. */
static bool
search_wants(const struct search *s, const struct attr *a, bool special,
    bool *binary)
{
	bool oper = a->at != NULL && a->at->operational;

	*binary = false;
	if (s->none)
		return false;
	for (size_t i = 0; s->attrs[i] != NULL; i++) {
		const char *want = s->attrs[i], *opt = strchr(want, ';');
		if (strcasecmp(want, a->name) == 0)
			return true;
		if (a->at != NULL && schema_at(srv->schema, want) == a->at) {
			*binary = opt != NULL && strcasecmp(opt, ";binary") == 0 &&
			    strchr(a->name, ';') == NULL;
			return true;
		}
	}
	if (special && (s->all_user || s->all_oper))
		return true;
	return oper ? s->all_oper : s->all_user;
}

/* Attributes computed at read time. */
static bool
search_wants_name(const struct search *s, const char *name)
{
	if (s->none)
		return false;
	if (s->all_oper)
		return true;
	for (size_t i = 0; s->attrs[i] != NULL; i++)
		if (strcasecmp(s->attrs[i], name) == 0)
			return true;
	return false;
}

/* The local replication state shown on this node's own objects: the
 * high-water mark of an agreement, the vector on the server object. */
static char *
search_repl_state(struct be_txn *t, const struct entry *e, const char **name)
{
	const char *uri = entry_get_str(e, "labeledURI");
	char key[600], *v = NULL, *out = NULL;
	struct utdv u = REPL_UTDV_INIT;
	const char *sndn = srv->server_ndn;

	if (t == NULL || sndn == NULL || !dn_is_under(e->ndn, sndn))
		return NULL;
	if (strcmp(e->ndn, sndn) == 0) {
		*name = "upToDateVector";
		if (be_meta_get(t, "utdv", &v) == LDAP_SUCCESS)
			repl_utdv_parse(v, &u);
		repl_utdv_set_max(&u, srv->invocation, be_usn_highest(srv->be));
		repl_utdv_format(&u, &out);
		repl_utdv_free(&u);
	} else if (uri != NULL && entry_attr(e, "lastLocalUsnProcessed") == NULL) {
		*name = "lastLocalUsnProcessed";
		snprintf(key, sizeof(key), "hwm:%s", uri);
		if (be_meta_get(t, key, &v) == LDAP_SUCCESS)
			out = strndup(v, strcspn(v, " "));
		else
			out = strdup("0");
	}
	free(v);
	return out;
}

/*
 * Sends e with the selected attributes. The view shares e's values; only
 * the computed attributes are owned here.
 */
static int
search_send(struct search *s, struct be_txn *t, const struct entry *e, bool special)
{
	struct attr *attrs = calloc(e->nattrs + 4, sizeof(*attrs));
	char **bnames = calloc(e->nattrs + 1, sizeof(*bnames));
	struct berval computed[4];
	struct entry view = *e;
	char *copies[4] = { NULL, NULL, NULL, NULL };
	const char *rname = NULL;
	size_t n = 0, nc = 0, nb = 0;
	bool binary;
	int rc;

	if (attrs == NULL || bnames == NULL) {
		free(attrs);
		free(bnames);
		return -1;
	}
	for (size_t i = 0; i < e->nattrs; i++) {
		if (!acl_attr_visible(s->op, e->attrs[i].at) ||
		    !search_wants(s, &e->attrs[i], special, &binary))
			continue;
		attrs[n] = e->attrs[i];
		if (binary && (bnames[nb] = malloc(strlen(attrs[n].name) + 8)) != NULL) {
			stpcpy(stpcpy(bnames[nb], attrs[n].name), ";binary");
			attrs[n].name = bnames[nb++];
		}
		n++;
	}
	if (!special && search_wants_name(s, "entryDN")) {
		copies[nc] = strdup(e->dn);
		computed[nc].bv_val = copies[nc];
		computed[nc].bv_len = copies[nc] ? strlen(copies[nc]) : 0;
		attrs[n++] = (struct attr){ "entryDN", NULL, &computed[nc++], 1 };
	}
	if (!special && search_wants_name(s, "hasSubordinates")) {
		bool yes = false;
		be_has_children(t, e->id, &yes);
		copies[nc] = strdup(yes ? "TRUE" : "FALSE");
		computed[nc].bv_val = copies[nc];
		computed[nc].bv_len = copies[nc] ? strlen(copies[nc]) : 0;
		attrs[n++] = (struct attr){ "hasSubordinates", NULL, &computed[nc++], 1 };
	}
	if (!special && search_wants_name(s, "subschemaSubentry")) {
		copies[nc] = strdup("cn=schema");
		computed[nc].bv_val = copies[nc];
		computed[nc].bv_len = copies[nc] ? strlen(copies[nc]) : 0;
		attrs[n++] = (struct attr){ "subschemaSubentry", NULL, &computed[nc++], 1 };
	}
	if (!special && (copies[nc] = search_repl_state(t, e, &rname)) != NULL) {
		if (search_wants_name(s, rname)) {
			computed[nc].bv_val = copies[nc];
			computed[nc].bv_len = strlen(copies[nc]);
			attrs[n++] = (struct attr){ (char *)rname, NULL, &computed[nc], 1 };
		}
		nc++;
	}
	view.attrs = attrs;
	view.nattrs = n;
	rc = result_entry(s->op, &view, s->typesonly);
	for (size_t i = 0; i < nc; i++)
		free(copies[i]);
	for (size_t i = 0; i < nb; i++)
		free(bnames[i]);
	free(bnames);
	free(attrs);
	if (rc >= 0) {
		s->sent++;
		s->last_id = e->id;
	}
	return rc;
}

static bool
search_in_scope(const struct search *s, const char *ndn)
{
	char *parent;
	bool yes;

	switch (s->scope) {
	case LDAP_SCOPE_BASE:
		return strcmp(ndn, s->base) == 0;
	case LDAP_SCOPE_ONELEVEL:
		if ((parent = dn_parent(ndn)) == NULL)
			return false;
		yes = strcmp(parent, s->base) == 0 && strcmp(ndn, s->base) != 0;
		free(parent);
		return yes;
	default:
		return dn_is_under(ndn, s->base);
	}
}

/*
 * Candidate ids from the indexes: 1 and the set when the filter can be
 * answered from them (a superset of the matches), 0 when it cannot.
 */
static int
search_index(struct be_txn *t, const struct filter *f, struct idset *out, int *rc)
{
	struct berval norm;
	struct idset sub;
	int got = 0;

	switch (f->kind) {
	case FILTER_EQ:
		if (f->at == NULL || !be_indexed(srv->be, f->at))
			return 0;
		if (schema_normalize(srv->schema, f->at, &f->value, &norm) != LDAP_SUCCESS)
			return 1;	/* no value of that syntax can match */
		*rc = be_index_eq(t, f->at, &norm, out);
		free(norm.bv_val);
		return *rc == LDAP_SUCCESS;
	case FILTER_AND:
		for (size_t i = 0; i < f->nchildren; i++) {
			memset(&sub, 0, sizeof(sub));
			if (!search_index(t, f->children[i], &sub, rc)) {
				idset_free(&sub);
				if (*rc != LDAP_SUCCESS)
					return 0;
				continue;
			}
			if (got)
				idset_intersect(out, &sub);
			else {
				idset_free(out);
				*out = sub;
				memset(&sub, 0, sizeof(sub));
			}
			idset_free(&sub);
			got = 1;
		}
		return got;
	case FILTER_OR:
		if (f->nchildren == 0)
			return 0;
		for (size_t i = 0; i < f->nchildren; i++) {
			memset(&sub, 0, sizeof(sub));
			if (!search_index(t, f->children[i], &sub, rc)) {
				idset_free(&sub);
				return 0;
			}
			idset_union(out, &sub);
			idset_free(&sub);
		}
		return 1;
	default:
		return 0;
	}
}

/* True if the filter looks at attribute type at. */
static bool
search_filter_uses(const struct filter *f, const struct at_def *at)
{
	if (f->kind == FILTER_AND || f->kind == FILTER_OR || f->kind == FILTER_NOT) {
		for (size_t i = 0; i < f->nchildren; i++)
			if (search_filter_uses(f->children[i], at))
				return true;
		return false;
	}
	return f->at == at;
}

/* True if the filter asserts a value of a private attribute: matching it
 * would leak the value (a hash) bit by bit. */
static bool
search_filter_private(const struct filter *f)
{
	if (f->kind == FILTER_AND || f->kind == FILTER_OR || f->kind == FILTER_NOT) {
		for (size_t i = 0; i < f->nchildren; i++)
			if (search_filter_private(f->children[i]))
				return true;
		return false;
	}
	return f->kind != FILTER_PRESENT && f->at != NULL && f->at->private;
}

static bool
search_timed_out(const struct search *s)
{
	struct timespec now;

	if (!s->has_deadline)
		return false;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > s->deadline.tv_sec || (now.tv_sec == s->deadline.tv_sec &&
	    now.tv_nsec >= s->deadline.tv_nsec);
}

/* Candidate ids from the indexes, else from the scope, into s->ids. */
static int
search_candidates(struct search *s, struct be_txn *t, struct diag *d)
{
	uint64_t base_id;
	int rc, irc = LDAP_SUCCESS;

	rc = be_dn2id(t, s->base, &base_id);
	if (rc == LDAP_NO_SUCH_OBJECT) {
		write_matched(t, s->base, d);
		diag_set(d, rc, "no such object");
		return rc;
	}
	if (rc != LDAP_SUCCESS)
		return rc;
	if (search_index(t, s->filter, &s->ids, &irc))
		return LDAP_SUCCESS;
	idset_free(&s->ids);
	if (irc != LDAP_SUCCESS)
		return irc;
	if (s->scope == LDAP_SCOPE_BASE)
		return idset_add(&s->ids, base_id) == 0 ? LDAP_SUCCESS : LDAP_NO_MEMORY;
	if (s->scope == LDAP_SCOPE_ONELEVEL)
		return be_children(t, base_id, &s->ids);
	return be_subtree(t, base_id, &s->ids);
}

/* Sends the matching candidates from s->pos on; SEARCH_PARKED when the
 * client's output went over the bound (s->pos is where to go on). */
static int
search_scan(struct search *s, struct be_txn *t, struct diag *d, uint64_t *next)
{
	struct entry *e;
	int rc;

	for (; s->pos < s->ids.n; s->pos++) {
		if (s->ids.ids[s->pos] <= s->after)
			continue;
		if (s->op->abandoned)
			return SEARCH_GONE;
		/* the rest on a worker, from this candidate on */
		if (s->op->on_loop && ++s->examined > OP_LOOP_BUDGET)
			return SEARCH_YIELD;
		if (search_timed_out(s))
			return diag_set(d, LDAP_TIMELIMIT_EXCEEDED, "time limit exceeded");
		rc = be_get_id_flags(t, s->ids.ids[s->pos], s->decode, &e);
		if (rc == LDAP_NO_SUCH_OBJECT)
			continue;
		if (rc != LDAP_SUCCESS)
			return rc;
		write_resolve(e);
		if ((s->show_deleted || !dn_is_under(e->ndn, srv->deleted_ndn)) &&
		    search_in_scope(s, e->ndn) &&
		    filter_eval(srv->schema, s->filter, e) == FILTER_TRUE) {
			if (s->sizelimit > 0 && s->sent >= s->sizelimit)
				rc = diag_set(d, LDAP_SIZELIMIT_EXCEEDED, "size limit exceeded");
			else if (s->page > 0 && (size_t)s->sent >= s->page)
				*next = s->last_id;
			else if ((rc = search_send(s, t, e, false)) < 0)
				rc = SEARCH_GONE;
			else if (rc == CONN_FULL)
				rc = SEARCH_PARKED;
		}
		entry_free(e);
		if (rc == SEARCH_PARKED)
			s->pos++;
		if (rc != LDAP_SUCCESS || *next != 0)
			return rc;
	}
	return LDAP_SUCCESS;
}

/* RFC 2696: the cookie names the last entry id sent. */
static int
search_paging(struct search *s, struct diag *d)
{
	const struct op *o = s->op;

	if (!o->paged)
		return LDAP_SUCCESS;
	if (o->cookie.bv_len == sizeof(s->after))
		memcpy(&s->after, o->cookie.bv_val, sizeof(s->after));
	else if (o->cookie.bv_len != 0)
		return diag_set(d, LDAP_UNWILLING_TO_PERFORM, "invalid paged results cookie");
	s->page = o->page_size > 0 ? (size_t)o->page_size : 0;
	return LDAP_SUCCESS;
}

/* Runs the search from s->pos in one read transaction (first: finds the
 * candidates before); fills d and the next cookie. */
static int
search_run(struct search *s, bool first, struct diag *d, uint64_t *next)
{
	struct be_txn *t;
	int rc;

	if (first && (rc = search_paging(s, d)) != LDAP_SUCCESS)
		return rc;
	if ((rc = be_begin(srv->be, false, &t)) != LDAP_SUCCESS)
		return diag_set(d, rc, "cannot start a transaction");
	if (first)
		rc = search_candidates(s, t, d);
	/* RFC 2696 3: size 0 abandons the search */
	if (rc == LDAP_SUCCESS && !(s->op->paged && s->op->page_size == 0))
		rc = search_scan(s, t, d, next);
	be_abort(t);
	if (rc == LDAP_SUCCESS || rc == LDAP_NO_SUCH_OBJECT)
		return d->rc;
	if (rc == SEARCH_YIELD) {
		stats_loop_handoff();
		return SEARCH_PARKED;
	}
	if (rc == SEARCH_GONE || rc == SEARCH_PARKED)
		return rc;
	if (d->rc == LDAP_SUCCESS)
		diag_set(d, rc == BE_RETRY ? LDAP_BUSY : rc, "search failed in storage");
	return d->rc;
}

static void	search_continue(struct op *o);

/* Answers with the result, or parks the search to go on later. */
static void
search_finish(struct search *s, int rc, struct diag *d, uint64_t next)
{
	struct berval cookie = { sizeof(next), (char *)&next };

	if (rc == SEARCH_PARKED) {
		s->op->cont = search_continue;
		s->op->cont_arg = s;
		return;
	}
	if (rc != SEARCH_GONE)
		result_search_done(s->op, d, next != 0 ? &cookie : NULL);
	search_free(s);
}

static void
search_continue(struct op *o)
{
	struct search *s = o->cont_arg;
	struct diag d;
	uint64_t next = 0;
	int rc;

	o->cont_arg = NULL;
	if (o->abandoned) {
		search_free(s);
		return;
	}
	diag_clear(&d);
	rc = search_run(s, false, &d, &next);
	search_finish(s, rc, &d, next);
}

/* cn=monitor and below (monitor.c): administrators only. */
static void
search_monitor(struct search *s, struct diag *d)
{
	struct entry **v;
	size_t n;
	int rc;

	if (!s->op->admin) {
		diag_set(d, LDAP_INSUFFICIENT_ACCESS,
		    "cn=monitor is readable by administrators only");
		return;
	}
	if ((rc = monitor_entries(s->base, s->scope, &v, &n)) != LDAP_SUCCESS) {
		diag_set(d, rc, rc == LDAP_NO_SUCH_OBJECT ? "no such monitor entry" :
		    "out of memory");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		write_resolve(v[i]);
		if (filter_eval(srv->schema, s->filter, v[i]) == FILTER_TRUE &&
		    search_send(s, NULL, v[i], true) < 0)
			break;
	}
	monitor_free(v, n);
}

/* True if ndn is cn=monitor or below it. */
static bool
search_is_monitor(const char *ndn)
{
	size_t n = strlen(ndn), k = strlen(MONITOR_NDN);

	return strcmp(ndn, MONITOR_NDN) == 0 || (n > k + 1 &&
	    ndn[n - k - 1] == ',' && strcmp(ndn + n - k, MONITOR_NDN) == 0);
}

/* Root DSE, schema subentry and monitor entries: not in storage; the
 * first two readable anonymously. */
static bool
search_special(struct search *s, struct diag *d)
{
	struct entry *e;

	if (search_is_monitor(s->base)) {
		search_monitor(s, d);
		return true;
	}

	if (s->base[0] == '\0' && s->scope == LDAP_SCOPE_BASE)
		e = rootdse_entry(s->op->admin);
	else if (strcmp(s->base, "cn=schema") == 0 &&
	    (s->scope == LDAP_SCOPE_BASE || s->scope == LDAP_SCOPE_SUBTREE))
		e = schema_subentry(srv->schema);
	else
		return false;
	if (e == NULL) {
		diag_set(d, LDAP_NO_MEMORY, "out of memory");
		return true;
	}
	write_resolve(e);
	if (filter_eval(srv->schema, s->filter, e) == FILTER_TRUE)
		search_send(s, NULL, e, true);
	entry_free(e);
	return true;
}

void
op_search(struct op *o)
{
	struct search *s = calloc(1, sizeof(*s));
	struct berval base;
	ber_int_t deref;
	struct diag d;
	uint64_t next = 0;
	char *fstr = NULL;
	int rc;

	diag_clear(&d);
	if (s == NULL) {
		result_error(o, LDAP_RES_SEARCH_RESULT, LDAP_NO_MEMORY, "out of memory");
		return;
	}
	s->op = o;
	if (ber_scanf(o->ber, "{miiiib", &base, &s->scope, &deref, &s->sizelimit,
	    &s->timelimit, &s->typesonly) == LBER_ERROR) {
		result_error(o, LDAP_RES_SEARCH_RESULT, LDAP_PROTOCOL_ERROR,
		    "malformed search request");
		search_free(s);
		return;
	}
	rc = filter_from_ber(srv->schema, o->ber, &s->filter);
	if (rc == LDAP_SUCCESS)
		rc = search_attrs(s, o->ber);
	if (rc != LDAP_SUCCESS || s->scope < LDAP_SCOPE_BASE ||
	    s->scope > LDAP_SCOPE_SUBTREE || s->sizelimit < 0 || s->timelimit < 0) {
		result_error(o, LDAP_RES_SEARCH_RESULT, rc == LDAP_NO_MEMORY ? rc :
		    LDAP_PROTOCOL_ERROR, "malformed search request");
		search_free(s);
		return;
	}
	{
		char *b = strndup(base.bv_val, base.bv_len);
		rc = b != NULL ? dn_normalize(srv->schema, b, &s->base) : LDAP_NO_MEMORY;
		fstr = log_enabled(LOG_LVL_INFO) ? filter_to_str(s->filter) : NULL;
		log_info("conn=%llu op=%d SRCH base=\"%s\" scope=%d filter=\"%s\"",
		    (unsigned long long)o->conn->id, o->num, b ? b : "", s->scope,
		    fstr ? fstr : "");
		free(b);
		free(fstr);
	}
	if (rc != LDAP_SUCCESS) {
		result_error(o, LDAP_RES_SEARCH_RESULT, LDAP_INVALID_DN_SYNTAX,
		    "invalid DN syntax in search base");
		search_free(s);
		return;
	}
	if (srv->conf.size_limit > 0 && !o->admin &&
	    (s->sizelimit == 0 || s->sizelimit > srv->conf.size_limit))
		s->sizelimit = srv->conf.size_limit;
	if (srv->conf.time_limit > 0 && !o->admin &&
	    (s->timelimit == 0 || s->timelimit > srv->conf.time_limit))
		s->timelimit = srv->conf.time_limit;
	if (s->timelimit > 0) {
		clock_gettime(CLOCK_MONOTONIC, &s->deadline);
		s->deadline.tv_sec += s->timelimit;
		s->has_deadline = true;
	}
	if (o->pull.bv_val != NULL) {
		repl_supply(o);
		search_free(s);
		return;
	}
	s->show_deleted = dn_is_under(s->base, srv->deleted_ndn);
	if (search_special(s, &d)) {
		result_search_done(o, &d, NULL);
		search_free(s);
		return;
	}
	if (search_filter_private(s->filter)) {
		diag_set(&d, LDAP_INAPPROPRIATE_MATCHING,
		    "private attributes cannot be matched in a search filter");
		result_search_done(o, &d, NULL);
		search_free(s);
		return;
	}
	if (acl_check(o, s->base, ACL_READ, &d) != LDAP_SUCCESS) {
		result_search_done(o, &d, NULL);
		search_free(s);
		return;
	}
	/* attributeMetaData is decoded only for a search that uses it */
	if (!search_wants_name(s, "attributeMetaData") &&
	    !search_filter_uses(s->filter, schema_at(srv->schema, "attributeMetaData")))
		s->decode = ENTRY_DECODE_NO_META;
	rc = search_run(s, true, &d, &next);
	search_finish(s, rc, &d, next);
}
