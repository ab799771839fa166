/*
 * test_codec.c: vecsd's codec (frames, strict decoding), the stored
 * records, the name rules and the permission rules.
 */
#include <stdlib.h>
#include <string.h>

#include "tests/unit/tap.h"
#include "vecs/vecsd.h"

static void
test_roundtrip(void)
{
	struct vecs_buf b;
	struct vecs_msg m;
	uint32_t v = 0;
	char *s;

	vecs_buf_init(&b, VECS_OP_ENTRY_ADD);
	vecs_buf_add_str(&b, "TRUSTED_ROOTS");
	vecs_buf_add_str(&b, NULL);
	vecs_buf_add_u32(&b, 0xdeadbeef);
	ok(vecs_buf_finish(&b, VECS_MAX_REQUEST) == 0, "a request encodes");
	is_int(vecs_frame_len(b.p), b.len - VECS_FRAME_HDR, "the frame header gives the body length");
	ok(vecs_msg_decode(b.p + 4, b.len - 4, &m) == 0, "and decodes");
	is_int(m.code, VECS_OP_ENTRY_ADD, "with its operation");
	is_int(m.n, 3, "and its three fields");
	is_str(s = vecs_msg_str(&m, 0), "TRUSTED_ROOTS", "field 0 as a string");
	free(s);
	is_int(m.f[1].len, 0, "a NULL string is an empty field");
	ok(vecs_msg_u32(&m, 2, &v) && v == 0xdeadbeef, "a u32 field");
	ok(!vecs_msg_u32(&m, 0, &v), "a field that is not four bytes is no u32");
	ok(vecs_msg_str(&m, 3) == NULL, "no field past the last");
	vecs_msg_free(&m);

	/* strictness */
	ok(vecs_msg_decode(b.p + 4, b.len - 5, &m) != 0, "a truncated body is refused");
	b.p[4] = 2;
	ok(vecs_msg_decode(b.p + 4, b.len - 4, &m) != 0, "an unknown version is refused");
	b.p[4] = 1;
	b.p[12] = 9;	/* count 9 + 3 */
	ok(vecs_msg_decode(b.p + 4, b.len - 4, &m) != 0, "a count beyond the fields is refused");
	b.p[12] = 0;
	ok(vecs_msg_decode(b.p + 4, b.len - 4, &m) != 0, "bytes after the last field are refused");
	ok(vecs_buf_finish(&b, 8) != 0, "a body over the limit does not finish");
	vecs_buf_free(&b);

	vecs_buf_init(&b, 1);
	vecs_buf_add(&b, "a\0b", 3);
	vecs_buf_finish(&b, VECS_MAX_REQUEST);
	ok(vecs_msg_decode(b.p + 4, b.len - 4, &m) == 0 && vecs_msg_str(&m, 0) == NULL,
	    "a field with a NUL byte is no string");
	vecs_msg_free(&m);
	vecs_buf_free(&b);
}

static void
test_records(void)
{
	struct vecsd_grant g[2] = { { VECSD_UID_EVERYONE, VECS_RIGHT_READ }, { 1000, 3 } };
	struct vecsd_store s = { "My_Store", 42, 2, g }, *s2;
	struct vecsd_entry e = { "alias", VECS_ENTRY_PRIVATE_KEY, true, "CERT", "KEY",
	    (int64_t)1 << 40 }, *e2;
	struct vecs_buf b;
	char *k;

	ok(vecsd_record_store_encode(&s, &b) == 0 &&
	    vecsd_record_store_decode(b.p + 4, b.len - 4, &s2) == 0, "a store record round-trips");
	ok(strcmp(s2->name, "My_Store") == 0 && s2->owner == 42 && s2->ngrants == 2 &&
	    s2->grants[0].uid == VECSD_UID_EVERYONE && s2->grants[1].rights == 3,
	    "with its name, owner and grants");
	ok(vecsd_record_entry_decode(b.p + 4, b.len - 4, &e2) != 0,
	    "a store record is no entry record");
	vecsd_store_free(s2);
	vecs_buf_free(&b);
	ok(vecsd_record_entry_encode(&e, &b) == 0 &&
	    vecsd_record_entry_decode(b.p + 4, b.len - 4, &e2) == 0, "an entry record round-trips");
	ok(strcmp(e2->alias, "alias") == 0 && e2->type == VECS_ENTRY_PRIVATE_KEY && e2->pulled &&
	    strcmp(e2->cert, "CERT") == 0 && strcmp(e2->key, "KEY") == 0 &&
	    e2->added == (int64_t)1 << 40, "with every field, the pulled flag included");
	vecsd_entry_free(e2);
	vecs_buf_free(&b);
	is_str(k = vecsd_record_key("TRUSTED_Roots"), "trusted_roots", "keys are lowercase");
	free(k);
}

static void
test_rules(void)
{
	char big[VECSD_NAME_MAX + 2];

	ok(vecsd_rules_store_name_ok("SMS", 3), "SMS is a store name");
	ok(vecsd_rules_store_name_ok("vpxd-extension", 14), "vpxd-extension is a store name");
	ok(!vecsd_rules_store_name_ok("a/b", 3), "a/b is not");
	ok(!vecsd_rules_store_name_ok("a\\b", 3), "a\\b is not");
	ok(!vecsd_rules_store_name_ok("..", 2), ".. is not");
	ok(!vecsd_rules_store_name_ok("a b", 3), "a name with a space is not");
	ok(!vecsd_rules_store_name_ok("a\tb", 3), "a name with a tab is not");
	ok(!vecsd_rules_store_name_ok("", 0), "the empty name is not");
	memset(big, 'x', sizeof(big));
	big[VECSD_NAME_MAX] = '\0';
	ok(vecsd_rules_store_name_ok(big, VECSD_NAME_MAX), "1024 bytes is a store name");
	big[VECSD_NAME_MAX] = 'x';
	big[VECSD_NAME_MAX + 1] = '\0';
	ok(!vecsd_rules_store_name_ok(big, VECSD_NAME_MAX + 1), "1025 bytes is not");
	ok(vecsd_rules_alias_ok("sms_self_signed", 15), "sms_self_signed is an alias");
	ok(vecsd_rules_alias_ok("my alias", 8), "an alias may hold a space");
	ok(!vecsd_rules_alias_ok("a\nb", 3), "but no newline");
	ok(vecsd_rules_protected("machine_ssl_cert") && vecsd_rules_protected("TRUSTED_ROOTS") &&
	    vecsd_rules_protected("Trusted_Root_Crls"), "the three protected stores, in any case");
	ok(!vecsd_rules_protected("BACKUP_STORE"), "BACKUP_STORE is not protected");
	ok(vecsd_rules_public("TRUSTED_ROOTS") && !vecsd_rules_public("MACHINE_SSL_CERT"),
	    "TRUSTED_ROOTS is public, MACHINE_SSL_CERT is not");
}

static void
test_perm(void)
{
	struct vecsd_store s = { "S", 1000, 0, NULL };

	vecsd_perm_init(999);
	ok(vecsd_perm_allows(&s, 0, 3) && vecsd_perm_manage(&s, 0), "root holds every right");
	ok(vecsd_perm_allows(&s, 999, 3), "so does vecsd's own user");
	ok(vecsd_perm_allows(&s, 1000, 3) && vecsd_perm_manage(&s, 1000), "and the owner");
	ok(!vecsd_perm_allows(&s, 1001, VECS_RIGHT_READ), "another user cannot read");
	ok(!vecsd_perm_visible(&s, 1001), "nor see the store");
	ok(vecsd_perm_change(&s, 1001, true, VECS_RIGHT_READ) == 0, "read is granted");
	ok(vecsd_perm_allows(&s, 1001, VECS_RIGHT_READ) && vecsd_perm_visible(&s, 1001),
	    "then the user reads and sees the store");
	ok(!vecsd_perm_allows(&s, 1001, VECS_RIGHT_WRITE), "but does not write");
	ok(!vecsd_perm_manage(&s, 1001), "nor manage");
	vecsd_perm_change(&s, 1001, true, VECS_RIGHT_WRITE);
	ok(vecsd_perm_allows(&s, 1001, 3) && s.ngrants == 1, "write is added to the same grant");
	vecsd_perm_change(&s, 1001, false, VECS_RIGHT_READ);
	ok(!vecsd_perm_allows(&s, 1001, VECS_RIGHT_READ) &&
	    vecsd_perm_allows(&s, 1001, VECS_RIGHT_WRITE), "revoking read leaves write");
	vecsd_perm_change(&s, 1001, false, VECS_RIGHT_WRITE);
	ok(s.ngrants == 0 && !vecsd_perm_visible(&s, 1001), "a grant with no right goes away");
	vecsd_perm_change(&s, VECSD_UID_EVERYONE, true, VECS_RIGHT_READ);
	ok(vecsd_perm_allows(&s, 4242, VECS_RIGHT_READ) && vecsd_perm_visible(&s, 4242),
	    "EVERYONE read lets any user read");
	ok(!vecsd_perm_allows(&s, 4242, VECS_RIGHT_WRITE), "but not write");
	free(s.grants);
}

int
main(void)
{
	test_roundtrip();
	test_records();
	test_rules();
	test_perm();
	return tap_done();
}
