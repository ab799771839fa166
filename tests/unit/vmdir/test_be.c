/*
 * test_be.c: the Berkeley DB backend: entries, tree and equality indexes,
 * USNs, transactions, concurrent writers and recovery after a crash.
 */
#include <sys/time.h>
#include <sys/wait.h>

#include <dirent.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "../tap.h"
#include "vmdir.h"

#define NTHREADS	4
#define PER_THREAD	200
#define CRASH_ADDS	150
#define LARGE_ADDS	5000

static struct schema *sch;
static const char *indexes[] = { "objectClass", "cn", "uid", NULL };

static struct be *
be_start(const char *dir, bool nosync, struct diag *d)
{
	struct be_config	 cfg = { dir, 8 * 1024 * 1024, indexes, nosync, 0 };
	struct be		*be;

	if (be_open(&cfg, sch, &be, d) != LDAP_SUCCESS)
		return NULL;
	return be;
}

/* An entry for dn; its first RDN value goes in as cn (or ou). */
static struct entry *
mkentry(const char *dn, const char *oc, const char *cn, uint64_t usn)
{
	struct entry	*e;
	char		*ndn, buf[32];

	if (dn_normalize(sch, dn, &ndn) != LDAP_SUCCESS)
		return NULL;
	e = entry_new(dn, ndn);
	free(ndn);
	if (e == NULL)
		return NULL;
	entry_add_str(e, "objectClass", "top");
	entry_add_str(e, "objectClass", oc);
	if (cn != NULL) {
		entry_add_str(e, strcmp(oc, "person") == 0 ? "cn" : "ou", cn);
		if (strcmp(oc, "person") == 0)
			entry_add_str(e, "sn", cn);
	}
	if (usn != 0) {
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)usn);
		entry_set_str(e, "uSNChanged", buf);
	}
	return e;
}

/* Adds one entry in its own transaction, retrying deadlock victims. */
static int
add_one(struct be *be, const char *dn, const char *pdn, const char *oc,
    const char *cn, uint64_t *id)
{
	struct be_txn	*t;
	struct entry	*e;
	uint64_t	 pid, usn;
	int		 rc;

	for (;;) {
		if ((rc = be_begin(be, true, &t)) != LDAP_SUCCESS)
			return rc;
		pid = 0;
		if ((rc = be_usn_next(t, &usn)) != LDAP_SUCCESS ||
		    (pdn != NULL && (rc = be_dn2id(t, pdn, &pid)) != 0)) {
			be_abort(t);
			if (rc == BE_RETRY)
				continue;
			return rc;
		}
		if ((e = mkentry(dn, oc, cn, usn)) == NULL) {
			be_abort(t);
			return LDAP_NO_MEMORY;
		}
		if ((rc = be_add(t, e, pid)) != LDAP_SUCCESS) {
			entry_free(e);
			be_abort(t);
			if (rc == BE_RETRY)
				continue;
			return rc;
		}
		if (id != NULL)
			*id = e->id;
		entry_free(e);
		rc = be_commit(t);
		if (rc != BE_RETRY)
			return rc;
	}
}

static uint64_t
dn2id(struct be *be, const char *ndn)
{
	struct be_txn	*t;
	uint64_t	 id = 0;

	if (be_begin(be, false, &t) != LDAP_SUCCESS)
		return 0;
	if (be_dn2id(t, ndn, &id) != LDAP_SUCCESS)
		id = 0;
	be_commit(t);
	return id;
}

static bool
set_is(const struct idset *s, size_t n, ...)
{
	va_list	 ap;
	bool	 same = s->n == n;

	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		if (same && s->ids[i] != va_arg(ap, uint64_t))
			same = false;
	va_end(ap);
	return same;
}

/* Ids holding value v of attribute name (eq) or the attribute (v NULL). */
static int
lookup(struct be_txn *t, const char *name, const char *v, struct idset *out)
{
	const struct at_def	*at = schema_at(sch, name);
	struct berval		 in, nv;
	int			 rc;

	idset_free(out);
	if (v == NULL)
		return be_index_pres(t, at, out);
	in.bv_val = (char *)v;
	in.bv_len = strlen(v);
	if ((rc = schema_normalize(sch, at, &in, &nv)) != LDAP_SUCCESS)
		return rc;
	rc = be_index_eq(t, at, &nv, out);
	free(nv.bv_val);
	return rc;
}

static void
rmdir_flat(const char *dir)
{
	char		 path[512];
	struct dirent	*de;
	DIR		*dp;

	if ((dp = opendir(dir)) == NULL)
		return;
	while ((de = readdir(dp)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(dp);
	rmdir(dir);
}

static double
now(void)
{
	struct timeval	 tv;

	gettimeofday(&tv, NULL);
	return tv.tv_sec + tv.tv_usec / 1e6;
}

struct usn_seen {
	uint64_t	last;
	size_t		n;
	bool		ordered;
	size_t		stop_at;
};

static int
usn_cb(void *arg, uint64_t usn, uint64_t id)
{
	struct usn_seen	*s = arg;

	(void)id;
	if (usn <= s->last)
		s->ordered = false;
	s->last = usn;
	s->n++;
	return s->stop_at != 0 && s->n == s->stop_at ? 42 : 0;
}

#define SUFFIX	"dc=example,dc=com"
#define PEOPLE	"ou=people," SUFFIX
#define GROUPS	"ou=groups," SUFFIX

static uint64_t id_suffix, id_people, id_groups, id_alice, id_bob;

static void
test_tree(struct be *be)
{
	struct be_txn	*t;
	struct entry	*e, *e2;
	struct idset	 s = { 0 };
	bool		 yes;

	ok(add_one(be, SUFFIX, NULL, "domain", NULL, &id_suffix) == 0,
	    "add suffix");
	ok(add_one(be, "ou=People, dc=Example,dc=com", SUFFIX,
	    "organizationalUnit", "People", &id_people) == 0, "add people");
	ok(add_one(be, GROUPS, SUFFIX, "organizationalUnit", "groups",
	    &id_groups) == 0, "add groups");
	ok(add_one(be, "cn=Alice," PEOPLE, PEOPLE, "person", "Alice",
	    &id_alice) == 0, "add alice");
	ok(add_one(be, "cn=Bob," PEOPLE, PEOPLE, "person", "Bob",
	    &id_bob) == 0, "add bob");
	ok(id_suffix == 1 && id_people == 2 && id_alice == 4 && id_bob == 5,
	    "ids are handed out in order from 1");

	be_begin(be, false, &t);
	is_int(be_get_dn(t, "cn=alice," PEOPLE, &e), LDAP_SUCCESS, "get by dn");
	is_str(e ? e->dn : NULL, "cn=Alice," PEOPLE, "dn as written");
	is_int(e ? e->id : 0, id_alice, "id filled in");
	is_str(e ? entry_get_str(e, "cn") : NULL, "Alice", "attribute kept");
	is_int(be_get_id(t, id_alice, &e2), LDAP_SUCCESS, "get by id");
	is_str(e2 ? e2->ndn : NULL, "cn=alice," PEOPLE, "ndn kept");
	entry_free(e);
	entry_free(e2);
	is_int(be_get_dn(t, "cn=carol," PEOPLE, &e), LDAP_NO_SUCH_OBJECT,
	    "absent dn");
	ok(e == NULL, "no entry for an absent dn");
	is_int(be_get_id(t, 999, &e), LDAP_NO_SUCH_OBJECT, "absent id");

	be_children(t, id_people, &s);
	ok(set_is(&s, 2, id_alice, id_bob), "children of people");
	idset_free(&s);
	be_children(t, id_alice, &s);
	is_int(s.n, 0, "a leaf has no children");
	be_subtree(t, id_suffix, &s);
	ok(set_is(&s, 5, id_suffix, id_people, id_groups, id_alice, id_bob),
	    "subtree of the suffix");
	idset_free(&s);
	be_subtree(t, id_people, &s);
	ok(set_is(&s, 3, id_people, id_alice, id_bob), "subtree of people");
	idset_free(&s);
	be_children(t, 0, &s);
	ok(set_is(&s, 1, id_suffix), "suffix entries hang below 0");
	idset_free(&s);
	ok(be_has_children(t, id_people, &yes) == 0 && yes, "people has children");
	ok(be_has_children(t, id_bob, &yes) == 0 && !yes, "bob has none");
	be_commit(t);

	ok(add_one(be, "CN=alice," PEOPLE, PEOPLE, "person", "x", NULL) ==
	    LDAP_ALREADY_EXISTS, "duplicate dn refused");
}

static void
test_index(struct be *be)
{
	const struct at_def	*cn = schema_at(sch, "cn");
	struct idset		 s = { 0 };
	struct be_txn		*t;
	struct entry		*old, *nw;
	uint64_t		 id;

	ok(be_indexed(be, cn), "cn is indexed");
	ok(be_indexed(be, schema_at(sch, "commonName")), "under any name");
	ok(!be_indexed(be, schema_at(sch, "sn")), "sn is not");

	be_begin(be, false, &t);
	ok(lookup(t, "cn", "ALICE", &s) == 0 && set_is(&s, 1, id_alice),
	    "eq cn=alice");
	ok(lookup(t, "objectClass", "person", &s) == 0 &&
	    set_is(&s, 2, id_alice, id_bob), "eq objectClass=person");
	ok(lookup(t, "objectClass", "top", &s) == 0 && s.n == 5,
	    "eq objectClass=top");
	ok(lookup(t, "cn", NULL, &s) == 0 && set_is(&s, 2, id_alice, id_bob),
	    "pres cn");
	ok(lookup(t, "uid", NULL, &s) == 0 && s.n == 0, "pres uid: none");
	ok(lookup(t, "sn", "bob", &s) == LDAP_UNWILLING_TO_PERFORM,
	    "unindexed attribute refused");
	be_commit(t);

	/* alice: cn changes, uid appears. */
	be_begin(be, true, &t);
	be_get_id(t, id_alice, &old);
	nw = entry_dup(old);
	entry_del_attr(nw, "cn");
	entry_add_str(nw, "commonName", "Alicia");
	entry_add_str(nw, "cn", "Al");
	entry_add_str(nw, "uid", "alice");
	is_int(be_update(t, old, nw, id_people), LDAP_SUCCESS, "update alice");
	is_int(be_commit(t), LDAP_SUCCESS, "commit update");
	entry_free(old);
	entry_free(nw);

	be_begin(be, false, &t);
	ok(lookup(t, "cn", "alice", &s) == 0 && s.n == 0, "old cn gone");
	ok(lookup(t, "cn", "alicia", &s) == 0 && set_is(&s, 1, id_alice),
	    "new cn indexed (via alias)");
	ok(lookup(t, "cn", "al", &s) == 0 && set_is(&s, 1, id_alice),
	    "second value indexed");
	ok(lookup(t, "uid", "ALICE", &s) == 0 && set_is(&s, 1, id_alice),
	    "uid indexed");
	ok(lookup(t, "objectClass", "person", &s) == 0 && s.n == 2,
	    "unchanged values stay");
	be_commit(t);

	be_begin(be, false, &t);
	ok(be_dn2id(t, "cn=bob," PEOPLE, &id) == 0 && id == id_bob &&
	    be_dn2id(t, "cn=bob," PEOPLE, &id) == 0 && id == id_bob,
	    "bob's dn read twice before the delete");
	be_abort(t);

	be_begin(be, true, &t);
	be_get_id(t, id_bob, &old);
	is_int(be_delete(t, old), LDAP_SUCCESS, "delete bob");
	is_int(be_commit(t), LDAP_SUCCESS, "commit delete");
	entry_free(old);

	be_begin(be, false, &t);
	is_int(be_get_id(t, id_bob, &old), LDAP_NO_SUCH_OBJECT, "bob gone by id");
	is_int(be_get_dn(t, "cn=bob," PEOPLE, &old), LDAP_NO_SUCH_OBJECT,
	    "bob gone by dn");
	ok(lookup(t, "cn", "bob", &s) == 0 && s.n == 0, "bob's cn unindexed");
	ok(lookup(t, "objectClass", "person", &s) == 0 &&
	    set_is(&s, 1, id_alice), "bob's objectClass unindexed");
	ok(lookup(t, "cn", NULL, &s) == 0 && set_is(&s, 1, id_alice),
	    "pres cn after delete");
	idset_free(&s);
	be_children(t, id_people, &s);
	ok(set_is(&s, 1, id_alice), "children after delete");
	idset_free(&s);
	be_commit(t);
}

static void
test_rename(struct be *be)
{
	struct be_txn	*t;
	struct entry	*old, *nw, *e;
	struct idset	 s = { 0 };
	uint64_t	 id;
	bool		 yes;

	/* read twice first: the second answer comes from the thread's
	 * remembered names, which the move must make forget it */
	be_begin(be, false, &t);
	ok(be_dn2id(t, "cn=alice," PEOPLE, &id) == 0 && id == id_alice &&
	    be_dn2id(t, "cn=alice," PEOPLE, &id) == 0 && id == id_alice,
	    "old dn read twice before the move");
	be_abort(t);

	be_begin(be, true, &t);
	be_get_id(t, id_alice, &old);
	nw = entry_dup(old);
	free(nw->dn);
	free(nw->ndn);
	nw->dn = strdup("cn=Al," GROUPS);
	nw->ndn = strdup("cn=al," GROUPS);
	is_int(be_update(t, old, nw, id_groups), LDAP_SUCCESS, "move alice");
	is_int(be_commit(t), LDAP_SUCCESS, "commit move");

	be_begin(be, false, &t);
	ok(be_dn2id(t, "cn=al," GROUPS, &id) == 0 && id == id_alice,
	    "new dn maps to the same id");
	is_int(be_dn2id(t, "cn=alice," PEOPLE, &id), LDAP_NO_SUCH_OBJECT,
	    "old dn gone");
	ok(be_has_children(t, id_people, &yes) == 0 && !yes,
	    "old parent left without children");
	be_children(t, id_groups, &s);
	ok(set_is(&s, 1, id_alice), "new parent has it");
	idset_free(&s);
	ok(be_get_dn(t, "cn=al," GROUPS, &e) == 0 && e->id == id_alice &&
	    strcmp(e->dn, "cn=Al," GROUPS) == 0, "entry stored with new dn");
	entry_free(e);
	be_commit(t);
	entry_free(old);

	/* Back to people under a taken name: refused. */
	ok(add_one(be, "cn=Bob," PEOPLE, PEOPLE, "person", "Bob", &id_bob) == 0,
	    "re-add bob");
	be_begin(be, true, &t);
	old = nw;
	nw = entry_dup(old);
	free(nw->ndn);
	nw->ndn = strdup("cn=bob," PEOPLE);
	is_int(be_update(t, old, nw, id_people), LDAP_ALREADY_EXISTS,
	    "rename onto a taken dn");
	be_abort(t);
	entry_free(old);
	entry_free(nw);
}

static void
test_usn_meta(struct be *be)
{
	struct usn_seen	 seen = { 0, 0, true, 0 };
	struct be_txn	*t;
	uint64_t	 h, u1, u2;
	char		*v;

	h = be_usn_highest(be);
	is_int(h, 6, "highest usn: one per committed add");
	be_begin(be, true, &t);
	ok(be_usn_next(t, &u1) == 0 && be_usn_next(t, &u2) == 0,
	    "two usns in one txn");
	ok(u1 == h + 1 && u2 == h + 2, "they follow the highest");
	is_int(be_usn_highest(be), h, "not visible before commit");
	be_commit(t);
	is_int(be_usn_highest(be), h + 2, "highest after commit");
	be_begin(be, true, &t);
	be_usn_next(t, &u1);
	be_abort(t);
	be_begin(be, true, &t);
	be_usn_next(t, &u2);
	be_abort(t);
	ok(u1 == h + 3 && u2 == h + 3, "an aborted usn is taken again");
	is_int(be_usn_highest(be), h + 2, "abort leaves highest alone");

	be_begin(be, false, &t);
	is_int(be_usn_scan(t, 0, usn_cb, &seen), 0, "usn scan");
	ok(seen.ordered && seen.n == 5, "5 live entries in usn order (%zu)",
	    seen.n);
	ok(seen.last == 6, "bob's re-add is last");
	seen = (struct usn_seen){ 0, 0, true, 0 };
	be_usn_scan(t, 3, usn_cb, &seen);
	is_int(seen.n, 2, "scan after 3");
	seen = (struct usn_seen){ 0, 0, true, 2 };
	is_int(be_usn_scan(t, 0, usn_cb, &seen), 42, "callback stops the scan");
	is_int(seen.n, 2, "at the second entry");

	is_int(be_meta_get(t, "invocationId", &v), LDAP_NO_SUCH_OBJECT,
	    "unset meta key");
	be_commit(t);
	be_begin(be, true, &t);
	is_int(be_meta_put(t, "invocationId", "abc-123"), 0, "meta put");
	be_meta_put(t, "state", "normal");
	be_meta_put(t, "state", "readonly");
	be_commit(t);
	be_begin(be, false, &t);
	ok(be_meta_get(t, "invocationId", &v) == 0 && strcmp(v, "abc-123") == 0,
	    "meta get");
	free(v);
	ok(be_meta_get(t, "state", &v) == 0 && strcmp(v, "readonly") == 0,
	    "meta overwritten");
	free(v);
	be_commit(t);
}

static void
test_abort(struct be *be)
{
	struct be_txn	*t;
	struct entry	*e;
	struct idset	 s = { 0 };
	uint64_t	 usn;

	be_begin(be, true, &t);
	be_usn_next(t, &usn);
	e = mkentry("cn=ghost," PEOPLE, "person", "ghost", usn);
	is_int(be_add(t, e, id_people), LDAP_SUCCESS, "add in a txn");
	entry_free(e);
	be_meta_put(t, "state", "ghostly");
	be_abort(t);

	be_begin(be, false, &t);
	is_int(be_get_dn(t, "cn=ghost," PEOPLE, &e), LDAP_NO_SUCH_OBJECT,
	    "aborted add is gone");
	ok(lookup(t, "cn", "ghost", &s) == 0 && s.n == 0, "and unindexed");
	idset_free(&s);
	be_children(t, id_people, &s);
	ok(set_is(&s, 1, id_bob), "and not a child");
	idset_free(&s);
	be_commit(t);
}

static void
test_reopen(const char *dir, struct be *be)
{
	struct diag	 d = { 0 };
	struct be_txn	*t;
	struct entry	*e;
	struct idset	 s = { 0 };
	uint64_t	 h, id;
	char		*v;

	h = be_usn_highest(be);
	be_close(be);
	ok((be = be_start(dir, false, &d)) != NULL, "reopen: %s", d.text);
	if (be == NULL)
		return;
	is_int(be_usn_highest(be), h, "highest usn survives");
	be_begin(be, false, &t);
	ok(be_get_dn(t, "cn=al," GROUPS, &e) == 0 && e->id == id_alice,
	    "entry survives");
	entry_free(e);
	ok(lookup(t, "uid", "alice", &s) == 0 && set_is(&s, 1, id_alice),
	    "index survives");
	idset_free(&s);
	ok(be_meta_get(t, "state", &v) == 0 && strcmp(v, "readonly") == 0,
	    "meta survives");
	free(v);
	be_commit(t);
	ok(add_one(be, "cn=Dan," PEOPLE, PEOPLE, "person", "Dan", &id) == 0 &&
	    id > id_bob, "new ids continue after the last one");
	be_close(be);
}

struct worker {
	struct be	*be;
	int		 n;
	int		 failed;
};

static void *
worker_run(void *arg)
{
	struct worker	*w = arg;
	char		 dn[128], cn[32];

	for (int i = 0; i < PER_THREAD; i++) {
		snprintf(cn, sizeof(cn), "w%d-%d", w->n, i);
		snprintf(dn, sizeof(dn), "cn=%s," PEOPLE, cn);
		if (add_one(w->be, dn, PEOPLE, "person", cn, NULL) != 0)
			w->failed++;
	}
	return NULL;
}

static void
test_concurrent(const char *dir)
{
	struct worker	 w[NTHREADS];
	pthread_t	 th[NTHREADS];
	struct diag	 d = { 0 };
	struct be_txn	*t;
	struct idset	 s = { 0 };
	struct be	*be;
	uint64_t	 h, id;
	char		 dn[128];
	int		 failed = 0, missing = 0;
	double		 t0, secs;

	if ((be = be_start(dir, false, &d)) == NULL) {
		ok(0, "open for the concurrent test: %s", d.text);
		return;
	}
	h = be_usn_highest(be);
	t0 = now();
	for (int i = 0; i < NTHREADS; i++) {
		w[i] = (struct worker){ be, i, 0 };
		pthread_create(&th[i], NULL, worker_run, &w[i]);
	}
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(th[i], NULL);
		failed += w[i].failed;
	}
	secs = now() - t0;
	printf("# %d durable adds from %d threads in %.2fs: %.0f adds/s\n",
	    NTHREADS * PER_THREAD, NTHREADS, secs,
	    NTHREADS * PER_THREAD / secs);
	is_int(failed, 0, "no concurrent add failed");
	is_int(be_usn_highest(be), h + NTHREADS * PER_THREAD,
	    "one usn per add, none lost");
	be_begin(be, false, &t);
	for (int i = 0; i < NTHREADS; i++)
		for (int j = 0; j < PER_THREAD; j++) {
			snprintf(dn, sizeof(dn), "cn=w%d-%d," PEOPLE, i, j);
			if (be_dn2id(t, dn, &id) != 0)
				missing++;
		}
	is_int(missing, 0, "every concurrent add is there");
	be_children(t, dn2id(be, PEOPLE), &s);
	is_int(s.n, NTHREADS * PER_THREAD + 2, "all are children of people");
	idset_free(&s);
	lookup(t, "cn", "w3-199", &s);
	is_int(s.n, 1, "and indexed");
	idset_free(&s);
	be_commit(t);
	be_close(be);
}

/* One transaction touching many pages must not run out of locks. */
static void
test_large(const char *dir)
{
	struct diag	 d = { 0 };
	struct be_txn	*t;
	struct entry	*e;
	struct idset	 s = { 0 };
	struct be	*be;
	uint64_t	 usn, pid;
	char		 dn[64];
	int		 rc = LDAP_SUCCESS, i;

	if ((be = be_start(dir, true, &d)) == NULL) {
		ok(0, "open for the large txn: %s", d.text);
		return;
	}
	be_begin(be, true, &t);
	be_usn_next(t, &usn);
	be_dn2id(t, GROUPS, &pid);
	for (i = 0; i < LARGE_ADDS && rc == LDAP_SUCCESS; i++) {
		snprintf(dn, sizeof(dn), "cn=big%d," GROUPS, i);
		e = mkentry(dn, "person", dn + 3, usn);
		rc = be_add(t, e, pid);
		entry_free(e);
	}
	is_int(rc, LDAP_SUCCESS, "%d adds in one transaction", LARGE_ADDS);
	is_int(be_commit(t), LDAP_SUCCESS, "and commit");
	be_begin(be, false, &t);
	be_children(t, pid, &s);
	is_int(s.n, LARGE_ADDS + 1, "all there");
	idset_free(&s);
	lookup(t, "cn", NULL, &s);
	ok(s.n > LARGE_ADDS, "pres cn over many keys");
	idset_free(&s);
	be_commit(t);
	be_close(be);
}

/* The child commits entries, reporting each acknowledged one, then dies. */
static void
crash_child(const char *dir, int fd)
{
	struct diag	 d = { 0 };
	struct be_txn	*t;
	struct entry	*e;
	struct be	*be;
	char		 dn[64];
	uint64_t	 usn;

	if ((be = be_start(dir, false, &d)) == NULL)
		_exit(2);
	if (add_one(be, SUFFIX, NULL, "domain", NULL, NULL) != 0)
		_exit(3);
	for (int i = 0; i < CRASH_ADDS; i++) {
		snprintf(dn, sizeof(dn), "cn=c%d," SUFFIX, i);
		if (add_one(be, dn, SUFFIX, "person", dn + 3, NULL) != 0)
			_exit(4);
		if (write(fd, &i, sizeof(i)) != sizeof(i))
			_exit(5);
	}
	/* Uncommitted work at the crash must vanish. */
	be_begin(be, true, &t);
	be_usn_next(t, &usn);
	e = mkentry("cn=lost," SUFFIX, "person", "lost", usn);
	be_add(t, e, 1);
	_exit(0);
}

static void
test_crash(const char *dir)
{
	struct diag	 d = { 0 };
	struct be_txn	*t;
	struct entry	*e;
	struct be	*be;
	int		 fds[2], status, i, last = -1, missing = 0;
	char		 dn[64];
	uint64_t	 id;
	pid_t		 pid;

	if (pipe(fds) == -1 || (pid = fork()) == -1) {
		ok(0, "fork");
		return;
	}
	if (pid == 0) {
		close(fds[0]);
		crash_child(dir, fds[1]);
	}
	close(fds[1]);
	while (read(fds[0], &i, sizeof(i)) == sizeof(i))
		last = i;
	close(fds[0]);
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "child crashed as planned (status %d)", status);
	is_int(last + 1, CRASH_ADDS, "child acknowledged every add");

	ok((be = be_start(dir, false, &d)) != NULL, "recovery open: %s", d.text);
	if (be == NULL)
		return;
	be_begin(be, false, &t);
	for (i = 0; i <= last; i++) {
		snprintf(dn, sizeof(dn), "cn=c%d," SUFFIX, i);
		if (be_get_dn(t, dn, &e) != 0)
			missing++;
		entry_free(e);
	}
	is_int(missing, 0, "every acknowledged add survived");
	is_int(be_dn2id(t, "cn=lost," SUFFIX, &id), LDAP_NO_SUCH_OBJECT,
	    "uncommitted add rolled back");
	ok(be_usn_highest(be) >= (uint64_t)last + 2, "usn counter survived");
	be_commit(t);
	ok(add_one(be, "cn=after," SUFFIX, SUFFIX, "person", "after", &id) == 0 &&
	    id == (uint64_t)last + 3, "writes go on after recovery");
	be_close(be);
}

/* Fills about 48 MB of pages: 48 entries with a 1 MB value each. */
static int
fill_cache(struct be *be)
{
	static char big[1 << 20];
	struct be_txn	*t;
	struct entry	*e;
	char		 dn[64], cn[16];
	uint64_t	 usn, pid;
	int		 rc = 0;

	memset(big, 'x', sizeof(big));
	for (int i = 0; i < 48 && rc == 0; i++) {
		snprintf(cn, sizeof(cn), "big%d", i);
		snprintf(dn, sizeof(dn), "cn=%s," SUFFIX, cn);
		if ((rc = be_begin(be, true, &t)) != LDAP_SUCCESS)
			break;
		if ((rc = be_usn_next(t, &usn)) == LDAP_SUCCESS &&
		    (rc = be_dn2id(t, SUFFIX, &pid)) == LDAP_SUCCESS) {
			if ((e = mkentry(dn, "person", cn, usn)) == NULL ||
			    entry_add_value(e, "description", big, sizeof(big)) != 0)
				rc = LDAP_NO_MEMORY;
			else
				rc = be_add(t, e, pid);
			entry_free(e);
		}
		if (rc == LDAP_SUCCESS)
			rc = be_commit(t);
		else
			be_abort(t);
	}
	return rc;
}

/* An environment opened with room to grow resizes its cache while open
 * (Berkeley DB resizes in whole regions of the first size, and only once
 * the first region is in use: the node retries at its next look), keeps
 * its data, and opens again at its first size. */
static void
test_cache_grow(const char *dir)
{
	struct be_config	 cfg = { dir, 32 << 20, indexes, true, 256 << 20 };
	struct diag		 d = { 0 };
	struct be		*be;
	uint64_t		 id;
	struct be_txn		*t;
	struct entry		*e = NULL;

	ok(be_open(&cfg, sch, &be, &d) == LDAP_SUCCESS, "open with a 256 MB ceiling: %s",
	    d.text);
	if (be == NULL)
		return;
	ok(be_cache_bytes(be) >= 32 << 20 && be_cache_bytes(be) < 64 << 20,
	    "starts near 32 MB (%llu KB)", (unsigned long long)(be_cache_bytes(be) >> 10));
	ok(add_one(be, SUFFIX, NULL, "domain", NULL, &id) == 0, "an entry before");
	ok(fill_cache(be) == 0, "48 MB of entries fill the first region");
	ok(be_cache_resize(be, 128 << 20) == 0, "grown to 128 MB while open");
	ok(be_cache_bytes(be) >= 120 << 20 && be_cache_bytes(be) <= 256 << 20,
	    "the cache reports about 128 MB (%llu KB)",
	    (unsigned long long)(be_cache_bytes(be) >> 10));
	ok(be_cache_resize(be, 1 << 30) != 0, "past the ceiling: refused");
	ok(be_begin(be, false, &t) == LDAP_SUCCESS && be_get_id(t, id, &e) == LDAP_SUCCESS &&
	    strcmp(e->ndn, SUFFIX) == 0, "the entry reads back after the resize");
	entry_free(e);
	be_abort(t);
	be_close(be);
	cfg.cache_max_bytes = 0;
	ok(be_open(&cfg, sch, &be, &d) == LDAP_SUCCESS && be_cache_bytes(be) < 64 << 20,
	    "opened again at its first size: %s", d.text);
	be_close(be);
}

int
main(void)
{
	const char		*top = getenv("top_srcdir");
	char			 dir[] = "/tmp/test_be.XXXXXX", schemadir[512], sub[600];
	struct diag		 d = { 0 };
	struct be_config	 bad = { NULL, 0, NULL, true, 0 };
	const char		*badidx[] = { "cn", "noSuchAttr", NULL };
	struct be		*be;

	log_init("test_be", false, LOG_LVL_WARN);
	snprintf(schemadir, sizeof(schemadir), "%s/schema", top ? top : ".");
	if (schema_load(schemadir, &sch, &d) != LDAP_SUCCESS) {
		ok(0, "schema_load %s: %s", schemadir, d.text);
		return tap_done();
	}
	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
		return tap_done();
	}

	snprintf(sub, sizeof(sub), "%s/bad", dir);
	bad.dir = sub;
	bad.indexes = badidx;
	ok(be_open(&bad, sch, &be, &d) != LDAP_SUCCESS && be == NULL,
	    "unknown index refused");
	ok(strstr(d.text, "noSuchAttr") != NULL, "diag names it: %s", d.text);
	rmdir_flat(sub);

	snprintf(sub, sizeof(sub), "%s/main", dir);
	diag_clear(&d);
	ok((be = be_start(sub, false, &d)) != NULL, "open: %s", d.text);
	if (be == NULL)
		return tap_done();
	test_tree(be);
	test_index(be);
	test_rename(be);
	test_usn_meta(be);
	test_abort(be);
	test_reopen(sub, be);
	test_concurrent(sub);
	test_large(sub);
	rmdir_flat(sub);

	snprintf(sub, sizeof(sub), "%s/crash", dir);
	test_crash(sub);
	rmdir_flat(sub);

	snprintf(sub, sizeof(sub), "%s/grow", dir);
	test_cache_grow(sub);
	rmdir_flat(sub);

	rmdir(dir);
	schema_free(sch);
	return tap_done();
}
