/*
 * test_conflict.c: the per-attribute conflict rule, the merge of a
 * replicated entry (deletes, renames, tombstones), add-add names, and the
 * property every node relies on: the merge result does not depend on the
 * order in which concurrent changes arrive.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "repl.h"
#include "../tap.h"

#define N0	"00000000-0000-4000-8000-000000000000"
#define N1	"11111111-1111-4111-8111-111111111111"
#define N2	"22222222-2222-4222-8222-222222222222"
#define T0	"20260101000000.000"
#define T1	"20260101000001.000"
#define T2	"20260101000002.000"
#define GUID	"6f1c2e3a-9b8d-4c7e-a5f4-0123456789ab"
#define GUID2	"7f1c2e3a-9b8d-4c7e-a5f4-0123456789ab"

static struct attr_meta
mk_meta(const char *attr, uint64_t version, const char *time,
    const char *inv, uint64_t usn)
{
	struct attr_meta	 m;

	memset(&m, 0, sizeof(m));
	snprintf(m.attr, sizeof(m.attr), "%s", attr);
	m.local_usn = usn;
	m.version = version;
	snprintf(m.orig_invocation, sizeof(m.orig_invocation), "%s", inv);
	snprintf(m.orig_time, sizeof(m.orig_time), "%s", time);
	m.orig_usn = usn;
	return m;
}

/* An entry from "name=value" strings, NULL-terminated. Metadata values are
 * given as "attributeMetaData=<value>". */
static struct entry *
mk_entry(const char *dn, ...)
{
	struct entry	*e;
	va_list		 ap;
	const char	*s, *eq;
	char		*ndn = NULL, name[128];

	if (dn_normalize(NULL, dn, &ndn) != LDAP_SUCCESS)
		abort();
	e = entry_new(dn, ndn);
	free(ndn);
	va_start(ap, dn);
	while ((s = va_arg(ap, const char *)) != NULL) {
		eq = strchr(s, '=');
		snprintf(name, sizeof(name), "%.*s", (int)(eq - s), s);
		entry_add_str(e, name, eq + 1);
	}
	va_end(ap);
	return e;
}

/* The metadata of attr in e, zeroed if absent; *found says which. */
static struct attr_meta
get_meta(const struct entry *e, const char *attr, bool *found)
{
	const struct attr	*a = entry_attr(e, "attributeMetaData");
	struct attr_meta	 m;
	size_t			 i;

	for (i = 0; a != NULL && i < a->nvals; i++)
		if (meta_parse(a->vals[i].bv_val, a->vals[i].bv_len, &m) ==
		    LDAP_SUCCESS && strcmp(m.attr, attr) == 0) {
			*found = true;
			return m;
		}
	memset(&m, 0, sizeof(m));
	*found = false;
	return m;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char * const *)a, *(char * const *)b);
}

/* A canonical text of the replicated content of e: dn, ndn, attributes
 * and values sorted, metadata without localUSNs, bookkeeping left out. */
static char *
canon(const struct entry *e)
{
	char		**lines = NULL, *out, buf[META_MAX];
	size_t		  n = 0, i, j, len = 0;
	struct attr_meta  m;
	const struct attr *a;

	for (i = 0; i < e->nattrs; i++) {
		a = &e->attrs[i];
		if (strcasecmp(a->name, "uSNChanged") == 0 ||
		    strcasecmp(a->name, "uSNCreated") == 0)
			continue;
		for (j = 0; j < a->nvals; j++) {
			lines = realloc(lines, (n + 1) * sizeof(*lines));
			if (strcasecmp(a->name, "attributeMetaData") == 0 &&
			    meta_parse(a->vals[j].bv_val, a->vals[j].bv_len,
			    &m) == LDAP_SUCCESS) {
				m.local_usn = 0;
				meta_format(&m, buf, sizeof(buf));
			} else
				snprintf(buf, sizeof(buf), "%s", a->vals[j].bv_val);
			lines[n] = malloc(strlen(a->name) + strlen(buf) + 3);
			sprintf(lines[n], "%s: %s", a->name, buf);
			for (char *p = lines[n]; *p != ':'; p++)
				if (*p >= 'A' && *p <= 'Z')
					*p = (char)(*p - 'A' + 'a');
			n++;
		}
	}
	qsort(lines, n, sizeof(*lines), cmp_str);
	len = strlen(e->dn) + strlen(e->ndn ? e->ndn : "") + 3;
	for (i = 0; i < n; i++)
		len += strlen(lines[i]) + 1;
	out = malloc(len);
	sprintf(out, "%s\n%s\n", e->dn, e->ndn ? e->ndn : "");
	for (i = 0; i < n; i++) {
		strcat(out, lines[i]);
		strcat(out, "\n");
		free(lines[i]);
	}
	free(lines);
	return out;
}

static void
test_meta_cmp(void)
{
	struct attr_meta	 a, b;

	a = mk_meta("cn", 2, T0, N0, 5);
	b = mk_meta("cn", 1, T2, N2, 9);
	ok(repl_meta_cmp(&a, &b) > 0, "higher version wins over later time");
	ok(repl_meta_cmp(&b, &a) < 0, "antisymmetric on version");

	a = mk_meta("cn", 3, T1, N0, 5);
	b = mk_meta("cn", 3, T0, N2, 9);
	ok(repl_meta_cmp(&a, &b) > 0, "same version: later time wins");
	ok(repl_meta_cmp(&b, &a) < 0, "antisymmetric on time");

	a = mk_meta("cn", 3, T1, N2, 1);
	b = mk_meta("cn", 3, T1, N1, 9);
	ok(repl_meta_cmp(&a, &b) > 0, "same time: greater invocation wins");
	ok(repl_meta_cmp(&b, &a) < 0, "antisymmetric on invocation");

	a = mk_meta("cn", 3, T1, N1, 10);
	b = mk_meta("cn", 3, T1, N1, 9);
	ok(repl_meta_cmp(&a, &b) > 0, "same invocation: greater USN wins");
	ok(repl_meta_cmp(&b, &a) < 0, "antisymmetric on USN");

	a = mk_meta("cn", 3, T1, N1, 9);
	b = mk_meta("sn", 3, T1, N1, 9);
	b.local_usn = 1234;
	is_int(repl_meta_cmp(&a, &b), 0, "same origin: 0 (attr, localUSN ignored)");

	a = mk_meta("cn", 3, "20260101000000.010", N1, 9);
	b = mk_meta("cn", 3, "20260101000000.009", N1, 9);
	ok(repl_meta_cmp(&a, &b) > 0, "milliseconds count");

	a = mk_meta("cn", 10, T0, N1, 9);
	b = mk_meta("cn", 9, T0, N1, 9);
	ok(repl_meta_cmp(&a, &b) > 0, "versions compare as numbers");

	a = mk_meta("cn", 1, T0, N1, 9);
	b = a;
	strcpy(b.orig_invocation, "11111111-1111-4111-8111-11111111111A");
	strcpy(a.orig_invocation, "11111111-1111-4111-8111-11111111111a");
	is_int(repl_meta_cmp(&a, &b), 0, "invocation case ignored");
}

/* A meta value as text (with the local USN of the caller's choice). */
static const char *
mv(char *buf, const char *attr, uint64_t lusn, uint64_t version,
    const char *time, const char *inv, uint64_t ousn)
{
	struct attr_meta	 m = mk_meta(attr, version, time, inv, ousn);
	char			 tmp[META_MAX];

	m.local_usn = lusn;
	meta_format(&m, tmp, sizeof(tmp));
	snprintf(buf, META_MAX + 32, "attributeMetaData=%s", tmp);
	return buf;
}

static void
test_merge_new(void)
{
	struct entry		*in, *out = NULL;
	struct attr_meta	 m;
	char			 m1[300], m2[300], m3[300];
	bool			 changed = false, found;

	in = mk_entry("cn=new,dc=t", "objectClass=person", "cn=new",
	    "uSNChanged=77", "sn=x",
	    mv(m1, "entrydn", 77, 1, T0, N1, 70),
	    mv(m2, "cn", 77, 1, T0, N1, 70),
	    mv(m3, "objectclass", 77, 1, T0, N1, 70), NULL);
	entry_add_str(in, "attributeMetaData",
	    "sn:77:1:" N1 ":" T0 ":70");
	is_int(repl_merge_entry(NULL, in, &out, &changed), LDAP_SUCCESS,
	    "new entry merges");
	ok(changed, "a new entry is a change");
	is_str(out->dn, "cn=new,dc=t", "new entry: incoming dn");
	is_str(out->ndn, "cn=new,dc=t", "new entry: incoming ndn");
	is_int(out->id, 0, "new entry: id 0");
	is_str(entry_get_str(out, "cn"), "new", "cn taken");
	is_str(entry_get_str(out, "sn"), "x", "sn taken");
	ok(entry_attr(out, "uSNChanged") == NULL,
	    "the supplier's uSNChanged is not taken");
	m = get_meta(out, "cn", &found);
	ok(found && m.local_usn == 0 && m.orig_usn == 70,
	    "metadata taken with localUSN 0");
	m = get_meta(out, "entrydn", &found);
	ok(found && m.local_usn == 0, "entrydn metadata taken");
	is_str(out->attrs[out->nattrs - 1].name, "attributeMetaData",
	    "attributeMetaData comes last");
	ok(strcmp(out->attrs[0].name, "cn") == 0 &&
	    strcmp(out->attrs[1].name, "objectClass") == 0 &&
	    strcmp(out->attrs[2].name, "sn") == 0, "attributes in name order");
	ok(strncmp(entry_attr(out, "attributeMetaData")->vals[0].bv_val,
	    "cn:", 3) == 0 &&
	    strncmp(entry_attr(out, "attributeMetaData")->vals[3].bv_val,
	    "sn:", 3) == 0, "metadata in name order");
	entry_free(out);
	entry_free(in);
}

static void
test_merge_attrs(void)
{
	struct entry		*local, *in, *out = NULL, *again = NULL;
	struct attr_meta	 m;
	char			 b[8][300];
	bool			 changed, found;
	char			*c1, *c2;

	local = mk_entry("cn=obj,dc=t", "objectClass=person", "cn=obj",
	    "description=local", "telephoneNumber=1", "sn=keep",
	    "uSNChanged=50", "uSNCreated=10",
	    mv(b[0], "entrydn", 10, 1, T0, N0, 10),
	    mv(b[1], "cn", 10, 1, T0, N0, 10),
	    mv(b[2], "description", 40, 3, T1, N0, 40),
	    mv(b[3], "telephonenumber", 20, 2, T0, N0, 20),
	    mv(b[4], "sn", 10, 1, T0, N0, 10),
	    mv(b[5], "objectclass", 10, 1, T0, N0, 10), NULL);
	local->id = 42;

	/* Incoming: description older (loses), telephoneNumber newer with
	 * a new value (wins), mail added, sn not sent (covered). */
	in = mk_entry("cn=obj,dc=t", "description=remote",
	    "telephoneNumber=2", "mail=a@b", "uSNChanged=999",
	    mv(b[0], "description", 900, 2, T2, N1, 900),
	    mv(b[1], "telephonenumber", 901, 3, T0, N1, 901),
	    mv(b[2], "mail", 902, 1, T1, N1, 902), NULL);
	is_int(repl_merge_entry(local, in, &out, &changed), LDAP_SUCCESS,
	    "merge");
	ok(changed, "changed");
	is_int(out->id, 42, "local id kept");
	is_str(out->dn, "cn=obj,dc=t", "name kept (no entrydn sent)");
	is_str(entry_get_str(out, "description"), "local",
	    "lower version loses despite later time");
	m = get_meta(out, "description", &found);
	ok(found && m.local_usn == 40 && m.version == 3,
	    "local metadata kept with its localUSN");
	is_str(entry_get_str(out, "telephoneNumber"), "2", "newer value taken");
	is_int(entry_attr(out, "telephoneNumber")->nvals, 1, "one value");
	m = get_meta(out, "telephonenumber", &found);
	ok(found && m.local_usn == 0 && m.version == 3 &&
	    strcmp(m.orig_invocation, N1) == 0, "incoming metadata, localUSN 0");
	is_str(entry_get_str(out, "mail"), "a@b", "new attribute added");
	is_str(entry_get_str(out, "sn"), "keep", "attribute not sent is kept");
	is_str(entry_get_str(out, "uSNChanged"), "50", "local uSNChanged kept");
	is_str(entry_get_str(out, "uSNCreated"), "10", "local uSNCreated kept");
	is_int(entry_attr(out, "attributeMetaData")->nvals, 7,
	    "one metadata value per attribute");

	/* Idempotent: the same incoming again changes nothing. */
	is_int(repl_merge_entry(out, in, &again, &changed), LDAP_SUCCESS,
	    "merge again");
	ok(!changed, "second application: nothing taken");
	c1 = canon(out);
	c2 = canon(again);
	is_str(c2, c1, "idempotent");
	free(c1);
	free(c2);
	entry_free(again);
	entry_free(in);
	entry_free(out);

	/* Incoming with every metadata lower: nothing changes. */
	in = mk_entry("cn=other,dc=t", "description=old",
	    mv(b[0], "description", 5, 1, T2, N2, 5),
	    mv(b[1], "entrydn", 5, 1, "20250101000000.000", N2, 1), NULL);
	is_int(repl_merge_entry(local, in, &out, &changed), LDAP_SUCCESS,
	    "merge losers");
	ok(!changed, "nothing taken");
	is_str(out->dn, "cn=obj,dc=t", "name kept: entrydn lost");
	is_str(entry_get_str(out, "description"), "local", "value kept");
	entry_free(in);
	entry_free(out);

	/* Identical origin: not a change. */
	in = mk_entry("cn=obj,dc=t", "description=local",
	    mv(b[0], "description", 7, 3, T1, N0, 40), NULL);
	is_int(repl_merge_entry(local, in, &out, &changed), LDAP_SUCCESS,
	    "merge same origin");
	ok(!changed, "same origin: nothing taken");
	m = get_meta(out, "description", &found);
	is_int(m.local_usn, 40, "same origin: local metadata stays");
	entry_free(in);
	entry_free(out);

	/* Deletion: description's metadata wins, no values in incoming. */
	in = mk_entry("cn=obj,dc=t",
	    mv(b[0], "description", 60, 4, T0, N1, 60), NULL);
	is_int(repl_merge_entry(local, in, &out, &changed), LDAP_SUCCESS,
	    "merge delete");
	ok(changed, "deletion is a change");
	ok(entry_attr(out, "description") == NULL, "attribute deleted");
	m = get_meta(out, "description", &found);
	ok(found && m.version == 4 && m.local_usn == 0,
	    "deletion metadata kept");
	is_str(entry_get_str(out, "cn"), "obj", "others untouched");
	entry_free(in);
	entry_free(out);

	/* A local deletion beats an older incoming value. */
	in = mk_entry("cn=obj,dc=t", "description=old",
	    mv(b[0], "description", 60, 4, T0, N1, 60), NULL);
	is_int(repl_merge_entry(local, in, &out, &changed), LDAP_SUCCESS,
	    "merge");
	entry_free(local);
	local = out;
	entry_free(in);
	in = mk_entry("cn=obj,dc=t", "description=older",
	    mv(b[0], "description", 61, 3, T2, N2, 61), NULL);
	entry_add_str(local, "description", "x");	/* replaced below */
	entry_del_attr(local, "description");
	is_int(repl_merge_entry(local, in, &out, &changed), LDAP_SUCCESS,
	    "merge older value");
	ok(!changed && entry_attr(out, "description") == NULL,
	    "the deletion stands");
	entry_free(in);
	entry_free(out);
	entry_free(local);
}

static void
test_merge_dn(void)
{
	struct entry	*local, *in, *out = NULL;
	char		 b[4][300];
	bool		 changed;

	local = mk_entry("cn=Old,ou=A,dc=t", "cn=Old",
	    mv(b[0], "entrydn", 3, 1, T0, N0, 3),
	    mv(b[1], "cn", 3, 1, T0, N0, 3), NULL);
	in = mk_entry("CN=New, OU=B,dc=t", "cn=New",
	    mv(b[0], "entrydn", 8, 2, T1, N1, 8),
	    mv(b[1], "cn", 8, 2, T1, N1, 8), NULL);
	is_int(repl_merge_entry(local, in, &out, &changed), LDAP_SUCCESS,
	    "merge rename");
	ok(changed, "rename is a change");
	is_str(out->dn, "CN=New, OU=B,dc=t", "new dn as written");
	is_str(out->ndn, "cn=new,ou=b,dc=t", "new ndn");
	is_str(entry_get_str(out, "cn"), "New", "rdn value follows");
	entry_free(out);

	/* The other way round the older rename loses. */
	is_int(repl_merge_entry(in, local, &out, &changed), LDAP_SUCCESS,
	    "merge older rename");
	ok(!changed, "older rename not taken");
	is_str(out->dn, "CN=New, OU=B,dc=t", "dn kept");
	entry_free(out);
	entry_free(in);

	/* Incoming without entrydn metadata never renames. */
	in = mk_entry("cn=Elsewhere,dc=t", NULL);
	is_int(repl_merge_entry(local, in, &out, &changed), LDAP_SUCCESS,
	    "merge no name metadata");
	is_str(out->dn, "cn=Old,ou=A,dc=t", "dn kept");
	ok(!changed, "nothing taken");
	entry_free(out);
	entry_free(in);

	/* Local without entrydn metadata takes incoming's. */
	entry_free(local);
	local = mk_entry("cn=Old,ou=A,dc=t", "cn=Old", NULL);
	in = mk_entry("cn=Old,ou=C,dc=t",
	    mv(b[0], "entrydn", 8, 1, T0, N1, 8), NULL);
	is_int(repl_merge_entry(local, in, &out, &changed), LDAP_SUCCESS,
	    "merge move");
	is_str(out->dn, "cn=Old,ou=C,dc=t", "moved");
	is_str(entry_get_str(out, "cn"), "Old", "cn without metadata kept");
	ok(changed, "changed");
	entry_free(out);
	entry_free(in);
	entry_free(local);
}

static bool
only_attrs(const struct entry *e, const char *const *allowed)
{
	size_t			 i;
	const char *const	*k;

	for (i = 0; i < e->nattrs; i++) {
		for (k = allowed; *k != NULL; k++)
			if (strcasecmp(e->attrs[i].name, *k) == 0)
				break;
		if (*k == NULL)
			return false;
	}
	return true;
}

static void
test_merge_tombstone(void)
{
	struct entry		*live, *tomb, *out = NULL, *out2 = NULL;
	struct attr_meta	 m;
	char			 b[10][300], *c1, *c2;
	bool			 changed, found;

	live = mk_entry("cn=obj,ou=A,dc=t", "objectClass=person",
	    "objectGUID=" GUID, "cn=obj", "description=newer",
	    "telephoneNumber=5", "uSNChanged=30",
	    mv(b[0], "entrydn", 30, 5, T2, N1, 30),
	    mv(b[1], "cn", 1, 1, T0, N0, 1),
	    mv(b[2], "objectclass", 1, 1, T0, N0, 1),
	    mv(b[3], "objectguid", 1, 1, T0, N0, 1),
	    mv(b[4], "description", 30, 9, T2, N1, 30),
	    mv(b[5], "telephonenumber", 1, 1, T0, N0, 1), NULL);
	/* Deleted on N2 earlier (lower versions) than N1's modify/rename. */
	tomb = mk_entry("cn=obj DEL:" GUID ",cn=Deleted Objects,dc=t",
	    "objectClass=person", "objectGUID=" GUID, "cn=obj",
	    "isDeleted=TRUE", "lastKnownParent=ou=A,dc=t",
	    mv(b[0], "entrydn", 9, 2, T1, N2, 9),
	    mv(b[1], "cn", 1, 1, T0, N0, 1),
	    mv(b[2], "objectclass", 1, 1, T0, N0, 1),
	    mv(b[3], "objectguid", 1, 1, T0, N0, 1),
	    mv(b[4], "description", 9, 2, T1, N2, 9),
	    mv(b[5], "telephonenumber", 9, 2, T1, N2, 9),
	    mv(b[6], "isdeleted", 9, 1, T1, N2, 9),
	    mv(b[7], "lastknownparent", 9, 1, T1, N2, 9), NULL);

	ok(repl_entry_is_tombstone(tomb), "tombstone recognised");
	ok(!repl_entry_is_tombstone(live), "live entry recognised");
	ok(!repl_entry_is_tombstone(NULL), "NULL is no tombstone");

	/* Incoming tombstone onto a newer live entry. */
	is_int(repl_merge_entry(live, tomb, &out, &changed), LDAP_SUCCESS,
	    "tombstone onto live");
	ok(changed, "changed");
	ok(repl_entry_is_tombstone(out), "the delete wins");
	is_str(out->dn, "cn=obj DEL:" GUID ",cn=Deleted Objects,dc=t",
	    "tombstone name wins over a newer rename");
	ok(entry_attr(out, "description") == NULL,
	    "newer description dropped from the tombstone");
	ok(entry_attr(out, "telephoneNumber") == NULL, "phone dropped");
	is_str(entry_get_str(out, "objectGUID"), GUID, "objectGUID kept");
	is_str(entry_get_str(out, "cn"), "obj", "cn kept");
	is_str(entry_get_str(out, "lastKnownParent"), "ou=A,dc=t",
	    "lastKnownParent kept");
	is_str(entry_get_str(out, "uSNChanged"), "30", "local uSNChanged kept");
	ok(only_attrs(out, repl_tombstone_attrs), "only the tombstone set");
	m = get_meta(out, "description", &found);
	ok(found && m.version == 9 && m.local_usn == 30,
	    "stripped attribute keeps its winning metadata");

	/* Live modify onto a tombstone: stays a tombstone, same result. */
	is_int(repl_merge_entry(tomb, live, &out2, &changed), LDAP_SUCCESS,
	    "live onto tombstone");
	ok(repl_entry_is_tombstone(out2), "still a tombstone");
	is_str(out2->dn, tomb->dn, "tombstone keeps its name");
	ok(entry_attr(out2, "description") == NULL, "modify not applied");
	c1 = canon(out);
	c2 = canon(out2);
	is_str(c1, c2, "same result in both orders");
	free(c1);
	free(c2);
	entry_free(out2);

	/* Tombstone onto tombstone: idempotent. */
	is_int(repl_merge_entry(out, tomb, &out2, &changed), LDAP_SUCCESS,
	    "tombstone again");
	ok(!changed, "nothing new");
	entry_free(out2);
	entry_free(out);

	/* isDeleted without metadata still wins, either side. */
	entry_free(tomb);
	tomb = mk_entry("cn=obj,cn=Deleted Objects,dc=t", "isDeleted=true",
	    "description=gone", NULL);
	is_int(repl_merge_entry(live, tomb, &out, &changed), LDAP_SUCCESS,
	    "bare tombstone onto live");
	ok(repl_entry_is_tombstone(out), "bare tombstone wins");
	is_str(out->dn, "cn=obj,cn=Deleted Objects,dc=t", "moved to tombstones");
	ok(entry_attr(out, "description") == NULL, "stripped");
	entry_free(out);
	is_int(repl_merge_entry(tomb, live, &out, &changed), LDAP_SUCCESS,
	    "live onto bare tombstone");
	ok(repl_entry_is_tombstone(out) &&
	    strcmp(out->dn, "cn=obj,cn=Deleted Objects,dc=t") == 0,
	    "bare tombstone stays");
	entry_free(out);
	entry_free(tomb);

	/* A tombstone keeps the attribute types of its RDN. */
	tomb = mk_entry("uid=u1,cn=Deleted Objects,dc=t", "uid=u1",
	    "isDeleted=TRUE", "mail=m", mv(b[0], "isdeleted", 4, 1, T0, N0, 4),
	    mv(b[1], "uid", 4, 1, T0, N0, 4), mv(b[2], "mail", 4, 1, T0, N0, 4),
	    NULL);
	is_int(repl_merge_entry(NULL, tomb, &out, &changed), LDAP_SUCCESS,
	    "new tombstone");
	is_str(entry_get_str(out, "uid"), "u1", "RDN attribute kept");
	ok(entry_attr(out, "mail") == NULL, "others dropped");
	entry_free(out);
	entry_free(tomb);

	/* Not a tombstone container: the parent's RDN must match. */
	tomb = mk_entry("cn=x,cn=Deleted Objects Old,dc=t",
	    mv(b[0], "entrydn", 1, 1, T0, N0, 1), NULL);
	is_int(repl_merge_entry(live, tomb, &out, &changed), LDAP_SUCCESS,
	    "look-alike container");
	is_str(out->dn, live->dn, "look-alike name loses on metadata");
	entry_free(out);
	entry_free(tomb);
	entry_free(live);
}

static void
test_merge_errors(void)
{
	struct entry	*local, *in, *out = (struct entry *)1;
	char		 b[2][300];
	bool		 changed = true, found;

	local = mk_entry("cn=a,dc=t", "description=x",
	    "attributeMetaData=garbage",
	    mv(b[0], "description", 3, 1, T0, N0, 3), NULL);
	in = mk_entry("cn=a,dc=t", "description=y",
	    "attributeMetaData=description:1:1:not-a-uuid:" T0 ":1", NULL);
	is_int(repl_merge_entry(local, in, &out, &changed),
	    LDAP_INVALID_SYNTAX, "malformed incoming metadata refused");
	ok(out == NULL && !changed, "no result");
	entry_free(in);

	in = mk_entry("cn=a,dc=t", "description=y",
	    mv(b[0], "description", 9, 2, T0, N1, 9),
	    mv(b[1], "description", 9, 5, T0, N1, 8), NULL);
	is_int(repl_merge_entry(local, in, &out, &changed), LDAP_SUCCESS,
	    "malformed local metadata tolerated");
	ok(entry_attr(out, "attributeMetaData")->nvals == 1,
	    "malformed local value and duplicate incoming value dropped");
	ok(get_meta(out, "description", &found).version == 5 && found,
	    "the winning duplicate is used");
	entry_free(out);
	entry_free(in);
	is_int(repl_merge_entry(local, NULL, &out, &changed), LDAP_PARAM_ERROR,
	    "NULL incoming");
	entry_free(local);
	local = mk_entry("cn=a,dc=t", mv(b[0], "description", 3, 1, T0, N0, 3),
	    NULL);
	is_int(repl_merge_entry(local, local, &out, NULL), LDAP_SUCCESS,
	    "changed may be NULL");
	entry_free(out);
	entry_free(local);
}

/* ---- order independence ---- */

#define NNODES	3
#define NTIMES	3

static const char *const node_inv[NNODES] = { N0, N1, N2 };
static const char *const times[NTIMES] = {
	"20260101000000.000", "20260101000000.001", "20260101000000.002"
};

static uint32_t rnd_state = 12345;

static uint32_t
rnd(uint32_t n)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return (rnd_state >> 16) % n;
}

/* Replaces (or adds) the metadata of attr: version+1, this node. */
static void
bump(struct entry *e, const char *attr, int node, uint64_t usn)
{
	struct attr		*a = entry_attr(e, "attributeMetaData");
	struct attr_meta	 m, nm;
	uint64_t		 version = 0;
	char			 buf[META_MAX];
	size_t			 i;

	for (i = 0; a != NULL && i < a->nvals; i++) {
		if (meta_parse(a->vals[i].bv_val, a->vals[i].bv_len, &m) ==
		    LDAP_SUCCESS && strcmp(m.attr, attr) == 0) {
			version = m.version;
			entry_del_value(e, a, i);
			break;
		}
	}
	/* Sometimes jump versions, as a node that saw more changes would. */
	nm = mk_meta(attr, version + 1 + rnd(2), times[rnd(NTIMES)],
	    node_inv[node], usn);
	meta_format(&nm, buf, sizeof(buf));
	entry_add_str(e, "attributeMetaData", buf);
}

static void
set_dn(struct entry *e, const char *dn)
{
	free(e->dn);
	free(e->ndn);
	e->dn = strdup(dn);
	dn_normalize(NULL, dn, &e->ndn);
}

/* One originating change at node on e (a live entry). */
static void
local_change(struct entry *e, int node, uint64_t usn)
{
	char	 val[64], dn[128];

	snprintf(val, sizeof(val), "v%d-%" PRIu64, node, usn);
	switch (rnd(7)) {
	case 0:
	case 1:
		entry_set_str(e, "description", val);
		bump(e, "description", node, usn);
		break;
	case 2:
		entry_del_attr(e, "description");
		bump(e, "description", node, usn);
		break;
	case 3:
		entry_del_attr(e, "telephoneNumber");
		entry_add_str(e, "telephoneNumber", val);
		entry_add_str(e, "telephoneNumber", "+1");
		bump(e, "telephonenumber", node, usn);
		break;
	case 4:
		entry_set_str(e, "cn", val);
		snprintf(dn, sizeof(dn), "cn=%s,ou=%s,dc=t", val,
		    rnd(2) ? "a" : "b");
		set_dn(e, dn);
		bump(e, "cn", node, usn);
		bump(e, "entrydn", node, usn);
		break;
	case 5:
		entry_set_str(e, "mail", val);
		bump(e, "mail", node, usn);
		break;
	default:
		if (rnd(3) != 0)	/* deletes are rarer */
			break;
		snprintf(dn, sizeof(dn), "cn=%s,cn=Deleted Objects,dc=t", val);
		set_dn(e, dn);
		entry_set_str(e, "isDeleted", "TRUE");
		entry_set_str(e, "lastKnownParent", "ou=a,dc=t");
		entry_del_attr(e, "description");
		entry_del_attr(e, "telephoneNumber");
		entry_del_attr(e, "mail");
		bump(e, "entrydn", node, usn);
		bump(e, "isdeleted", node, usn);
		bump(e, "lastknownparent", node, usn);
		bump(e, "description", node, usn);
		bump(e, "telephonenumber", node, usn);
		bump(e, "mail", node, usn);
		break;
	}
}

static struct entry *
base_entry(void)
{
	char	 b[6][300];

	return mk_entry("cn=obj,ou=a,dc=t", "objectClass=person",
	    "objectGUID=" GUID, "cn=obj", "description=base",
	    "telephoneNumber=0", "uSNCreated=1", "uSNChanged=1",
	    mv(b[0], "entrydn", 1, 1, T0, N0, 1),
	    mv(b[1], "objectclass", 1, 1, T0, N0, 1),
	    mv(b[2], "objectguid", 1, 1, T0, N0, 1),
	    mv(b[3], "cn", 1, 1, T0, N0, 1),
	    mv(b[4], "description", 1, 1, T0, N0, 1),
	    mv(b[5], "telephonenumber", 1, 1, T0, N0, 1), NULL);
}

/* e = merge(e, in); false on failure. */
static bool
apply(struct entry **e, const struct entry *in)
{
	struct entry	*out = NULL;

	if (repl_merge_entry(*e, in, &out, NULL) != LDAP_SUCCESS)
		return false;
	entry_free(*e);
	*e = out;
	return true;
}

static const int perms[6][NNODES] = {
	{ 0, 1, 2 }, { 0, 2, 1 }, { 1, 0, 2 }, { 1, 2, 0 }, { 2, 0, 1 },
	{ 2, 1, 0 }
};

/* One scenario: the nodes change and pull at random, then every order of
 * applying their final states gives one result. Returns the number of
 * disagreements; *tomb says whether the result is a tombstone. */
static int
scenario(bool *tomb, bool *any_tomb)
{
	struct entry	*node[NNODES], *x;
	/* Overlapping USNs, so the invocationId tie-break gets exercised. */
	uint64_t	 usn[NNODES] = { 100, 100, 100 };
	char		*want = NULL, *got;
	int		 step, k, j, p, i, bad_n = 0;

	for (k = 0; k < NNODES; k++)
		node[k] = base_entry();
	for (step = 0; step < 8; step++) {
		k = (int)rnd(NNODES);
		if (rnd(3) == 0) {
			j = (int)rnd(NNODES);
			if (j != k && !apply(&node[k], node[j]))
				bad_n++;
		} else if (!repl_entry_is_tombstone(node[k]))
			local_change(node[k], k, ++usn[k]);
	}
	*any_tomb = false;
	for (k = 0; k < NNODES; k++)
		*any_tomb |= repl_entry_is_tombstone(node[k]);

	/* Every order, from the base and from nothing. */
	for (p = 0; p < 12; p++) {
		x = p < 6 ? base_entry() : NULL;
		for (i = 0; i < NNODES; i++)
			if (!apply(&x, node[perms[p % 6][i]]))
				bad_n++;
		got = canon(x);
		if (want == NULL) {
			want = got;
			*tomb = repl_entry_is_tombstone(x);
			/* A tombstone is named and trimmed as one. */
			if (*tomb && (strstr(x->ndn, ",cn=deleted objects,") ==
			    NULL || !only_attrs(x, repl_tombstone_attrs)))
				bad_n++;
		} else {
			if (strcmp(want, got) != 0)
				bad_n++;
			free(got);
		}
		/* Applying any state again changes nothing. */
		if (!apply(&x, node[perms[p % 6][0]]))
			bad_n++;
		got = canon(x);
		if (strcmp(want, got) != 0)
			bad_n++;
		free(got);
		entry_free(x);
	}
	/* Each node pulling the other two, in either order, converges. */
	for (k = 0; k < NNODES; k++) {
		for (p = 0; p < 2; p++) {
			x = entry_dup(node[k]);
			for (j = 0; j < NNODES; j++) {
				i = p == 0 ? j : NNODES - 1 - j;
				if (i != k && !apply(&x, node[i]))
					bad_n++;
			}
			got = canon(x);
			if (strcmp(want, got) != 0)
				bad_n++;
			free(got);
			entry_free(x);
		}
	}
	/* Pairwise merges compose: merge(merge(a,b),c) == merge(a,merge(b,c)). */
	x = entry_dup(node[1]);
	apply(&x, node[2]);
	{
		struct entry *y = entry_dup(node[0]);

		apply(&y, x);
		got = canon(y);
		if (strcmp(want, got) != 0)
			bad_n++;
		free(got);
		entry_free(y);
	}
	entry_free(x);
	free(want);
	for (k = 0; k < NNODES; k++)
		entry_free(node[k]);
	return bad_n;
}

static void
test_order_independence(void)
{
	int	 i, bad_n = 0, tombs = 0, missed = 0;
	bool	 tomb, any_tomb;

	for (i = 0; i < 300; i++) {
		bad_n += scenario(&tomb, &any_tomb);
		tombs += tomb;
		if (tomb != any_tomb)
			missed++;
	}
	is_int(bad_n, 0, "300 random 3-node scenarios: every order agrees");
	is_int(missed, 0, "the result is a tombstone iff a node deleted");
	ok(tombs > 0 && tombs < 300, "scenarios cover deletes (%d) and not",
	    tombs);
}

/* ---- add-add ---- */

static void
conflict_rdn(const char *rdn, const char *guid, const char *want)
{
	char	*got = repl_conflict_rdn(rdn, guid), *ndn = NULL;

	is_str(got, want, "conflict name of '%s'", rdn ? rdn : "(null)");
	if (got != NULL && want != NULL)
		ok(dn_normalize(NULL, got, &ndn) == LDAP_SUCCESS,
		    "'%s' is a valid RDN", got);
	free(ndn);
	free(got);
}

static void
test_add_add(void)
{
	struct attr_meta	 a, b;
	char			*r, **types, **vals;
	size_t			 n;

	conflict_rdn("cn=foo", GUID, "cn=foo CNF:" GUID);
	conflict_rdn("CN = foo ", GUID, "CN=foo CNF:" GUID);
	conflict_rdn("cn=a\\,b", GUID, "cn=a\\,b CNF:" GUID);
	conflict_rdn("cn=\\#x", GUID, "cn=\\#x CNF:" GUID);
	conflict_rdn("cn=\\ lead", GUID, "cn=\\ lead CNF:" GUID);
	conflict_rdn("cn=a\\+b\\=c\\<\\>\\;\\\"\\\\", GUID,
	    "cn=a\\+b\\=c\\<\\>\\;\\\"\\\\ CNF:" GUID);
	conflict_rdn("cn=a\\0db", GUID, "cn=a\\0db CNF:" GUID);
	conflict_rdn("cn=caf\xc3\xa9", GUID, "cn=caf\xc3\xa9 CNF:" GUID);
	conflict_rdn("cn=", GUID, "cn=\\ CNF:" GUID);
	conflict_rdn("cn=a+sn=b", GUID, "cn=a CNF:" GUID "+sn=b");
	conflict_rdn("cn=foo CNF:" GUID, GUID, "cn=foo CNF:" GUID);
	conflict_rdn("cn=foo CNF:" GUID, GUID2,
	    "cn=foo CNF:" GUID " CNF:" GUID2);
	conflict_rdn("labeledURI=ldap://h:389", GUID,
	    "labeledURI=ldap://h:389 CNF:" GUID);
	conflict_rdn("cn=foo,dc=t", GUID, NULL);
	conflict_rdn("nonsense", GUID, NULL);
	conflict_rdn("", GUID, NULL);
	conflict_rdn(NULL, GUID, NULL);
	conflict_rdn("cn=foo", NULL, NULL);

	r = repl_conflict_rdn("cn=x\\2c y", GUID);
	ok(r != NULL && dn_rdn_split(r, &types, &vals, &n) == LDAP_SUCCESS &&
	    n == 1 && strcmp(vals[0], "x, y CNF:" GUID) == 0,
	    "the value parses back with the suffix");
	if (r != NULL && n == 1)
		dn_rdn_free(types, vals, n);
	free(r);

	a = mk_meta("entrydn", 1, T0, N2, 5);
	b = mk_meta("entrydn", 7, T1, N0, 1);
	ok(repl_add_add_keeps(&a, GUID2, &b, GUID), "earlier name keeps it");
	ok(!repl_add_add_keeps(&b, GUID, &a, GUID2), "later name loses");
	b = mk_meta("entrydn", 1, T0, N0, 1);
	ok(repl_add_add_keeps(&a, GUID, &b, GUID2), "same time: smaller GUID");
	ok(!repl_add_add_keeps(&b, GUID2, &a, GUID), "same time: larger loses");
	ok(repl_add_add_keeps(&a, "6F1C2E3A-9B8D-4C7E-A5F4-0123456789AB", &b,
	    GUID2), "GUID case ignored");
	ok(repl_add_add_keeps(&a, GUID, NULL, GUID2), "known beats unknown");
	ok(!repl_add_add_keeps(NULL, GUID, &a, GUID2), "unknown loses");
	ok(repl_add_add_keeps(NULL, GUID, NULL, GUID2),
	    "both unknown: smaller GUID");
	ok(repl_add_add_keeps(&a, GUID, &a, GUID), "same entry keeps");
}

int
main(void)
{
	test_meta_cmp();
	test_merge_new();
	test_merge_attrs();
	test_merge_dn();
	test_merge_tombstone();
	test_merge_errors();
	test_order_independence();
	test_add_add();
	return tap_done();
}
