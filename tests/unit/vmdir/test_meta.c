/*
 * test_meta.c: attributeMetaData values, formatted and parsed.
 */
#include <string.h>

#include "vmdir.h"
#include "tests/unit/tap.h"

#define GOOD	"cn:12:1:5f0c8a1e-0000-4000-8000-000000000001:20261125101500.123:12"

static void
bad(const char *s)
{
	struct attr_meta	 m;

	is_int(meta_parse(s, strlen(s), &m), LDAP_INVALID_SYNTAX,
	    "rejects '%s'", s);
}

int
main(void)
{
	struct attr_meta	 m, m2;
	char			 buf[META_MAX], now[19];

	memset(&m, 0, sizeof(m));
	is_int(meta_parse(GOOD, strlen(GOOD), &m), LDAP_SUCCESS, "parse");
	is_str(m.attr, "cn", "attr");
	ok(m.local_usn == 12, "local usn");
	ok(m.version == 1, "version");
	is_str(m.orig_invocation, "5f0c8a1e-0000-4000-8000-000000000001",
	    "invocation id");
	is_str(m.orig_time, "20261125101500.123", "time");
	ok(m.orig_usn == 12, "orig usn");
	meta_format(&m, buf, sizeof(buf));
	is_str(buf, GOOD, "format round trip");

	strcpy(m.attr, "objectclass");
	m.local_usn = UINT64_MAX;
	m.version = 0;
	m.orig_usn = 18446744073709551615ULL;
	meta_format(&m, buf, sizeof(buf));
	is_int(meta_parse(buf, strlen(buf), &m2), LDAP_SUCCESS,
	    "parse max values");
	ok(strcmp(m2.attr, "objectclass") == 0 && m2.local_usn == UINT64_MAX &&
	    m2.version == 0 && m2.orig_usn == UINT64_MAX,
	    "max values round trip");

	strcpy(buf, "CN:1:1:5F0C8A1E-0000-4000-8000-000000000001:"
	    "20261125101500.123:1");
	is_int(meta_parse(buf, strlen(buf), &m), LDAP_SUCCESS, "upper case");
	is_str(m.attr, "cn", "attr lowercased");

	/* len bounds the value: what follows is not read. */
	is_int(meta_parse(GOOD "junk", strlen(GOOD), &m), LDAP_SUCCESS,
	    "len respected");
	is_int(meta_parse(GOOD, strlen(GOOD) - 3, &m), LDAP_INVALID_SYNTAX,
	    "short len rejected");

	bad("");
	bad(":12:1:5f0c8a1e-0000-4000-8000-000000000001:20261125101500.123:12");
	bad("c n:12:1:5f0c8a1e-0000-4000-8000-000000000001:20261125101500.123:12");
	bad("cn::1:5f0c8a1e-0000-4000-8000-000000000001:20261125101500.123:12");
	bad("cn:-1:1:5f0c8a1e-0000-4000-8000-000000000001:20261125101500.123:12");
	bad("cn:+1:1:5f0c8a1e-0000-4000-8000-000000000001:20261125101500.123:12");
	bad("cn:1x:1:5f0c8a1e-0000-4000-8000-000000000001:20261125101500.123:12");
	bad("cn:18446744073709551616:1:5f0c8a1e-0000-4000-8000-000000000001:"
	    "20261125101500.123:12");
	bad("cn:12:1:5f0c8a1e-0000-4000-8000-00000000001:20261125101500.123:12");
	bad("cn:12:1:5f0c8a1e-0000-4000-8000-0000000000011:20261125101500.123:12");
	bad("cn:12:1:5f0c8a1e00000-4000-8000-000000000001:20261125101500.123:12");
	bad("cn:12:1:5f0c8a1g-0000-4000-8000-000000000001:20261125101500.123:12");
	bad("cn:12:1:5f0c8a1e-0000-4000-8000-000000000001:20261125101500123:12");
	bad("cn:12:1:5f0c8a1e-0000-4000-8000-000000000001:20261125101500.12:12");
	bad("cn:12:1:5f0c8a1e-0000-4000-8000-000000000001:2026112510150a.123:12");
	bad("cn:12:1:5f0c8a1e-0000-4000-8000-000000000001:20261325101500.123:12");
	bad("cn:12:1:5f0c8a1e-0000-4000-8000-000000000001:20261125101500.123:");
	bad("cn:12:1:5f0c8a1e-0000-4000-8000-000000000001:20261125101500.123");
	bad("cn:12:1:5f0c8a1e-0000-4000-8000-000000000001:20261125101500.123:12:");
	bad("cn:12:1:5f0c8a1e-0000-4000-8000-000000000001:20261125101500.123:1 ");
	bad("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:12:1:"
	    "5f0c8a1e-0000-4000-8000-000000000001:20261125101500.123:12");

	meta_now(now);
	is_int(strlen(now), 18, "now is 18 characters");
	memset(&m, 0, sizeof(m));
	strcpy(m.attr, "sn");
	strcpy(m.orig_invocation, "5f0c8a1e-0000-4000-8000-000000000001");
	memcpy(m.orig_time, now, sizeof(now));
	meta_format(&m, buf, sizeof(buf));
	is_int(meta_parse(buf, strlen(buf), &m2), LDAP_SUCCESS,
	    "meta_now parses: %s", now);
	return tap_done();
}
