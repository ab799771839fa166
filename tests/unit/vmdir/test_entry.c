/*
 * test_entry.c: entries, their stored form, and id sets.
 */
#include <stdlib.h>
#include <string.h>

#include "vmdir.h"
#include "tests/unit/tap.h"

static char *cn_names[] = { "cn", "commonName", NULL };
static const struct at_def cn_at = { .oid = "2.5.4.3", .names = cn_names };

static bool
same_entry(const struct entry *a, const struct entry *b)
{
	size_t	 i, j;

	if (strcmp(a->dn, b->dn) != 0 || strcmp(a->ndn, b->ndn) != 0 ||
	    a->nattrs != b->nattrs)
		return false;
	for (i = 0; i < a->nattrs; i++) {
		if (strcmp(a->attrs[i].name, b->attrs[i].name) != 0 ||
		    a->attrs[i].nvals != b->attrs[i].nvals)
			return false;
		for (j = 0; j < a->attrs[i].nvals; j++) {
			if (a->attrs[i].vals[j].bv_len !=
			    b->attrs[i].vals[j].bv_len ||
			    memcmp(a->attrs[i].vals[j].bv_val,
			    b->attrs[i].vals[j].bv_val,
			    a->attrs[i].vals[j].bv_len) != 0 ||
			    b->attrs[i].vals[j].bv_val[b->attrs[i].vals[j].bv_len]
			    != '\0')
				return false;
		}
	}
	return true;
}

/* A decode of damaged bytes either fails or gives an entry whose stored
 * form decodes back to the same entry: false if it does neither. */
static bool
decode_sound(const void *buf, size_t len, size_t *rejected)
{
	struct entry	*d, *back = NULL;
	void		*again = NULL;
	size_t		 alen;
	bool		 sound;

	if ((d = entry_decode(buf, len)) == NULL) {
		(*rejected)++;
		return true;
	}
	sound = entry_encode(d, &again, &alen) == LDAP_SUCCESS &&
	    (back = entry_decode(again, alen)) != NULL && same_entry(d, back);
	entry_free(back);
	entry_free(d);
	free(again);
	return sound;
}

static struct entry *
sample(void)
{
	struct entry	*e;

	e = entry_new("cn=Foo,dc=com", "cn=foo,dc=com");
	entry_add_str(e, "objectClass", "top");
	entry_add_str(e, "objectClass", "person");
	entry_add_str(e, "cn", "Foo");
	entry_add_str(e, "sn", "Bar");
	entry_add_value(e, "jpegPhoto", "a\0b\xff", 4);
	entry_add_str(e, "uSNChanged", "12345678901234");
	return e;
}

static void
test_values(void)
{
	struct entry	*e = sample(), *d;
	struct attr	*a;

	is_str(e->dn, "cn=Foo,dc=com", "dn");
	is_str(e->ndn, "cn=foo,dc=com", "ndn");
	is_int(e->nattrs, 5, "five attributes");
	a = entry_attr(e, "OBJECTCLASS");
	ok(a != NULL && a->nvals == 2, "case-insensitive lookup, two values");
	is_str(entry_get_str(e, "objectclass"), "top", "first value");
	ok(entry_attr(e, "commonName") == NULL, "alias unknown without at");
	entry_attr(e, "cn")->at = &cn_at;
	ok(entry_attr(e, "commonName") == entry_attr(e, "cn"), "alias via at");
	ok(entry_attr(e, "2.5.4.3") == entry_attr(e, "cn"), "oid via at");
	entry_add_str(e, "CommonName", "Foo2");
	is_int(entry_attr(e, "cn")->nvals, 2, "add via alias joins attribute");
	a = entry_attr(e, "jpegPhoto");
	ok(a->vals[0].bv_len == 4 && memcmp(a->vals[0].bv_val, "a\0b\xff", 4)
	    == 0 && a->vals[0].bv_val[4] == '\0', "binary value kept, NUL-ended");
	ok(entry_get_u64(e, "usnchanged") == 12345678901234ULL, "get_u64");
	ok(entry_get_u64(e, "sn") == 0, "get_u64 of non-number is 0");
	ok(entry_get_u64(e, "nothere") == 0, "get_u64 of absent is 0");
	ok(entry_get_str(e, "nothere") == NULL, "get_str of absent");

	is_int(entry_set_str(e, "objectClass", "inetOrgPerson"), 0, "set_str");
	a = entry_attr(e, "objectClass");
	ok(a->nvals == 1, "set_str leaves one value");
	is_str(a->vals[0].bv_val, "inetOrgPerson", "set_str value");
	is_int(entry_set_str(e, "sn", entry_get_str(e, "sn")), 0,
	    "set_str with its own value");
	is_str(entry_get_str(e, "sn"), "Bar", "own value survives");
	is_int(entry_set_str(e, "description", "new"), 0, "set_str creates");
	is_str(entry_get_str(e, "description"), "new", "created value");

	d = entry_dup(e);
	ok(d != NULL && same_entry(e, d), "dup equal");
	ok(d->attrs != e->attrs && d->attrs[0].vals != e->attrs[0].vals,
	    "dup is deep");
	ok(entry_attr(d, "commonName") != NULL, "dup keeps at");

	a = entry_attr(e, "cn");
	entry_del_value(e, a, 0);
	a = entry_attr(e, "cn");
	ok(a != NULL && a->nvals == 1, "del_value leaves one");
	is_str(a->vals[0].bv_val, "Foo2", "the other one");
	entry_del_value(e, a, 5);
	is_int(a->nvals, 1, "del_value out of range ignored");
	entry_del_value(e, a, 0);
	ok(entry_attr(e, "cn") == NULL, "attribute gone with its last value");
	ok(entry_del_attr(e, "SN"), "del_attr present");
	ok(!entry_del_attr(e, "sn"), "del_attr absent");
	ok(entry_attr(e, "jpegPhoto") != NULL, "others remain");
	ok(entry_attr(d, "sn") != NULL, "dup untouched");

	entry_free(e);
	entry_free(d);
	entry_free(NULL);
}

static void
test_codec(void)
{
	struct entry	*e = sample(), *d;
	unsigned char	*buf, *mut;
	void		*vbuf;
	size_t		 len, i, bad, rejected;

	is_int(entry_encode(e, &vbuf, &len), LDAP_SUCCESS, "encode");
	buf = vbuf;
	d = entry_decode(buf, len);
	ok(d != NULL && same_entry(e, d), "round trip");
	ok(d != NULL && d->nattrs > 0 && d->attrs[0].at == NULL, "at left NULL");
	entry_free(d);

	bad = 0;
	for (i = 0; i < len; i++) {
		if ((d = entry_decode(buf, i)) != NULL)
			bad++;
		entry_free(d);
	}
	is_int(bad, 0, "every truncation rejected");

	if ((mut = malloc(len + 1)) == NULL)
		abort();
	memcpy(mut, buf, len);
	mut[len] = 0;
	ok(entry_decode(mut, len + 1) == NULL, "trailing byte rejected");
	mut[0] = 'X';
	ok(entry_decode(mut, len) == NULL, "bad magic rejected");
	mut[0] = buf[0];
	mut[1] = 99;
	ok(entry_decode(mut, len) == NULL, "bad version rejected");
	memcpy(mut, buf, len);
	mut[2] = 0xff;
	mut[5] = 0x7f;
	ok(entry_decode(mut, len) == NULL, "huge dn length rejected");

	/* Flip bytes one at a time: each decode must return cleanly. */
	bad = rejected = 0;
	for (i = 0; i < len; i++) {
		memcpy(mut, buf, len);
		mut[i] ^= 0xa5;
		if (!decode_sound(mut, len, &rejected))
			bad++;
	}
	is_int(bad, 0, "bit flips: what decodes re-encodes to the same entry");
	ok(rejected > 0, "bit flips: %zu of %zu rejected (a bad magic at least)",
	    rejected, len);
	bad = rejected = 0;
	srand(42);
	for (i = 0; i < 2000; i++) {
		size_t j, n = (size_t)rand() % (len + 1);

		for (j = 0; j < n; j++)
			mut[j] = (unsigned char)rand();
		if (n >= 2) {
			mut[0] = 'T';
			mut[1] = (unsigned char)(1 + i % 2);
		}
		if (!decode_sound(mut, n, &rejected))
			bad++;
	}
	is_int(bad, 0, "random garbage: what decodes re-encodes to the same entry");
	ok(rejected > 1000, "random garbage: %zu of 2000 rejected", rejected);
	ok(entry_decode(NULL, 0) == NULL, "NULL buffer");
	free(mut);
	free(buf);
	entry_free(e);

	e = entry_new("", NULL);
	is_int(entry_encode(e, &vbuf, &len), LDAP_SUCCESS, "encode empty entry");
	d = entry_decode(vbuf, len);
	ok(d != NULL && d->nattrs == 0 && strcmp(d->dn, "") == 0 &&
	    strcmp(d->ndn, "") == 0, "empty entry round trip");
	free(vbuf);
	entry_free(d);
	entry_free(e);
}

/* attributeMetaData values are packed in the stored form and come back
 * byte for byte; values that would not format back the same stay as
 * they are. */
static void
test_codec_meta(void)
{
	static const char *vals[] = {
		"cn:524:1:7dfd855d-bf27-4045-9e3a-8de06e001bd6:20261125133029.346:524",
		"sn:524:1:7dfd855d-bf27-4045-9e3a-8de06e001bd6:20261125133029.346:524",
		"description:900:3:0a1b2c3d-0000-4fff-8abc-ffffffffffff:20261125140000.001:17",
		"objectclass:524:1:7dfd855d-bf27-4045-9e3a-8de06e001bd6:20261125133029.346:524",
		"mail:18446744073709551615:2:7DFD855D-BF27-4045-9E3A-8DE06E001BD6:20261125133029.346:1",
		"uid:01:1:7dfd855d-bf27-4045-9e3a-8de06e001bd6:20261125133029.346:1",
		"not metadata at all",
		"",
	};
	struct entry *e = entry_new("CN=Mixed Case,dc=com", "cn=mixed case,dc=com"), *d;
	size_t n = sizeof(vals) / sizeof(vals[0]), text = 0, len, i, bad = 0, rejected = 0;
	void *buf;

	entry_add_str(e, "cn", "Mixed Case");
	for (i = 0; i < n; i++) {
		entry_add_value(e, "attributeMetaData", vals[i], strlen(vals[i]));
		text += strlen(vals[i]);
	}
	is_int(entry_encode(e, &buf, &len), LDAP_SUCCESS, "encode with metadata");
	d = entry_decode(buf, len);
	ok(d != NULL && same_entry(e, d), "metadata round trip, byte for byte");
	entry_free(d);
	for (i = 0; i < len; i++) {
		if ((d = entry_decode(buf, i)) != NULL)
			bad++;
		entry_free(d);
	}
	is_int(bad, 0, "every truncation of a packed entry rejected");
	bad = 0;
	for (i = 0; i < len; i++) {
		unsigned char *mut = malloc(len);
		if (mut == NULL)
			abort();
		memcpy(mut, buf, len);
		mut[i] ^= 0x5a;
		if (!decode_sound(mut, len, &rejected))
			bad++;
		free(mut);
	}
	is_int(bad, 0, "bit flips in packed metadata: what decodes re-encodes "
	    "to the same entry");
	free(buf);
	entry_free(e);

	/* canonical values (the first four) take far less room than their text */
	e = entry_new("cn=x,dc=com", "cn=x,dc=com");
	for (i = 0, text = 0; i < 4; i++) {
		entry_add_value(e, "attributeMetaData", vals[i], strlen(vals[i]));
		text += strlen(vals[i]);
	}
	is_int(entry_encode(e, &buf, &len), LDAP_SUCCESS, "encode canonical metadata");
	ok(len * 5 < text * 3, "metadata packed (%zu bytes stored for %zu of text)", len, text);
	d = entry_decode(buf, len);
	ok(d != NULL && same_entry(e, d), "canonical metadata round trip");
	entry_free(d);
	free(buf);
	entry_free(e);

	/* an ndn that is not the lower-cased dn is stored as it is */
	e = entry_new("cn=A  B,dc=com", "cn=a b,dc=com");
	entry_add_str(e, "cn", "A  B");
	is_int(entry_encode(e, &buf, &len), LDAP_SUCCESS, "encode with its own ndn");
	d = entry_decode(buf, len);
	ok(d != NULL && same_entry(e, d), "own ndn round trip");
	entry_free(d);
	free(buf);
	entry_free(e);
}

/* Entries written by version 1 (uint32 lengths, nothing packed) still read. */
static void
test_codec_v1(void)
{
	static const unsigned char v1[] = {
		'T', 1,
		6, 0, 0, 0, 'c', 'n', '=', 'O', 'l', 'd',
		6, 0, 0, 0, 'c', 'n', '=', 'o', 'l', 'd',
		1, 0, 0, 0,
		17, 0, 0, 0, 'a', 't', 't', 'r', 'i', 'b', 'u', 't', 'e',
		'M', 'e', 't', 'a', 'D', 'a', 't', 'a',
		2, 0, 0, 0,
		3, 0, 0, 0, 'x', ':', 'y',
		0, 0, 0, 0,
	};
	struct entry *d = entry_decode(v1, sizeof(v1));

	ok(d != NULL, "a version 1 entry decodes");
	ok(d != NULL && strcmp(d->dn, "cn=Old") == 0 && strcmp(d->ndn, "cn=old") == 0,
	    "version 1 dn and ndn");
	ok(d != NULL && d->nattrs == 1 && d->attrs[0].nvals == 2 &&
	    strcmp(d->attrs[0].vals[0].bv_val, "x:y") == 0 && d->attrs[0].vals[1].bv_len == 0,
	    "version 1 values as stored");
	entry_free(d);
	ok(entry_decode(v1, sizeof(v1) - 1) == NULL, "truncated version 1 rejected");
}

static void
test_idset(void)
{
	struct idset	 a = { 0 }, b = { 0 }, c = { 0 };
	uint64_t	 i;
	int		 sorted = 1;

	idset_add(&a, 5);
	idset_add(&a, 1);
	idset_add(&a, 3);
	idset_add(&a, 3);
	idset_add(&a, 9);
	idset_add(&a, 1);
	is_int(a.n, 4, "duplicates ignored");
	ok(a.ids[0] == 1 && a.ids[1] == 3 && a.ids[2] == 5 && a.ids[3] == 9,
	    "kept sorted");
	for (i = 1000; i > 0; i--)
		idset_add(&b, i * 2);
	for (i = 1; i < b.n; i++)
		if (b.ids[i - 1] >= b.ids[i])
			sorted = 0;
	ok(sorted && b.n == 1000, "1000 ids in reverse order sorted");

	is_int(idset_union(&c, &a), 0, "union into empty");
	is_int(c.n, 4, "union copies");
	idset_add(&c, 4);
	idset_add(&c, 6);
	is_int(idset_union(&c, &b), 0, "union");
	/* {1,3,4,5,6,9} | {2,4,...,2000}: 4 and 6 shared */
	is_int(c.n, 1004, "union size");
	for (sorted = 1, i = 1; i < c.n; i++)
		if (c.ids[i - 1] >= c.ids[i])
			sorted = 0;
	ok(sorted, "union sorted");

	idset_intersect(&c, &a);
	is_int(c.n, 4, "intersect size");
	ok(c.ids[0] == 1 && c.ids[3] == 9, "intersect content");
	idset_intersect(&a, &b);
	is_int(a.n, 0, "disjoint intersect empty");
	is_int(idset_union(&a, &a), 0, "union of empties");
	is_int(a.n, 0, "still empty");

	idset_free(&a);
	idset_free(&b);
	idset_free(&c);
	ok(c.ids == NULL && c.n == 0 && c.cap == 0, "free zeroes");
	idset_free(NULL);
}

int
main(void)
{
	test_values();
	test_codec();
	test_codec_meta();
	test_codec_v1();
	test_idset();
	return tap_done();
}
