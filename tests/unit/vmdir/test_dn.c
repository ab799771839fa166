/*
 * test_dn.c: DN normalisation, RDN splitting and the DN relations.
 */
#include <stdlib.h>

#include "vmdir.h"
#include "tests/unit/tap.h"

static void
norm(const char *in, const char *want)
{
	char	*out = NULL;
	int	 rc;

	rc = dn_normalize(NULL, in, &out);
	is_int(rc, LDAP_SUCCESS, "normalize '%s' succeeds", in);
	is_str(out, want, "normalize '%s'", in);
	free(out);
}

static void
bad(const char *in)
{
	char	*out = NULL;

	is_int(dn_normalize(NULL, in, &out), LDAP_INVALID_DN_SYNTAX,
	    "'%s' rejected", in);
	ok(out == NULL, "no output for '%s'", in);
}

static void
parent(const char *in, const char *want)
{
	char	*p = dn_parent(in);

	is_str(p, want, "parent of '%s'", in);
	free(p);
}

static void
rdn(const char *in, const char *want)
{
	char	*p = dn_rdn(in);

	is_str(p, want, "rdn of '%s'", in);
	free(p);
}

static void
test_split(void)
{
	char	**t, **v;
	size_t	  n;

	is_int(dn_rdn_split("cn=a+sn=b", &t, &v, &n), LDAP_SUCCESS, "split mv");
	is_int(n, 2, "two parts");
	is_str(t[0], "cn", "type 0");
	is_str(v[0], "a", "value 0");
	is_str(t[1], "sn", "type 1");
	is_str(v[1], "b", "value 1");
	dn_rdn_free(t, v, n);

	is_int(dn_rdn_split(" CN = Smith\\, John\\20 ", &t, &v, &n),
	    LDAP_SUCCESS, "split escaped");
	is_int(n, 1, "one part");
	is_str(t[0], "CN", "type as written");
	is_str(v[0], "Smith, John ", "escapes removed, escaped space kept");
	dn_rdn_free(t, v, n);

	is_int(dn_rdn_split("cn=\\c3\\a9t\\e9", &t, &v, &n), LDAP_SUCCESS,
	    "split hex escapes");
	is_str(v[0], "\xc3\xa9t\xe9", "hex pairs decoded");
	dn_rdn_free(t, v, n);

	is_int(dn_rdn_split("cn=a,dc=b", &t, &v, &n), LDAP_INVALID_DN_SYNTAX,
	    "split of a DN rejected");
	ok(t == NULL && v == NULL && n == 0, "nothing returned");
	is_int(dn_rdn_split("", &t, &v, &n), LDAP_INVALID_DN_SYNTAX,
	    "split of empty rejected");
	is_int(dn_rdn_split("cn=a+", &t, &v, &n), LDAP_INVALID_DN_SYNTAX,
	    "split with dangling '+' rejected");
	dn_rdn_free(NULL, NULL, 0);
}

static void
test_under(void)
{
	ok(dn_is_under("cn=a,dc=b", "dc=b"), "child under parent");
	ok(dn_is_under("cn=x,cn=a,dc=b", "dc=b"), "grandchild under");
	ok(dn_is_under("dc=b", "dc=b"), "equal is under");
	ok(dn_is_under("dc=b", ""), "under root");
	ok(dn_is_under("", ""), "root under root");
	ok(!dn_is_under("", "dc=b"), "root not under dc=b");
	ok(!dn_is_under("cn=a,xdc=b", "dc=b"), "no match mid-component");
	ok(!dn_is_under("cn=adc=b", "dc=b"), "no match without comma");
	ok(!dn_is_under("cn=a\\,dc=b", "dc=b"), "escaped comma not a boundary");
	ok(dn_is_under("cn=a\\\\,dc=b", "dc=b"), "escaped backslash then comma");
	ok(!dn_is_under("dc=b", "cn=a,dc=b"), "parent not under child");
}

int
main(void)
{
	norm("", "");
	norm("   ", "");
	norm("cn=Administrator, cn=Users ,dc=vsphere,dc=local",
	    "cn=administrator,cn=users,dc=vsphere,dc=local");
	norm("CN=Foo", "cn=foo");
	norm("cn  =  foo  ,  dc = com", "cn=foo,dc=com");
	norm("cn=  Foo    Bar  ", "cn=foo bar");
	norm("cn=a\\,b,dc=com", "cn=a\\,b,dc=com");
	norm("cn=a\\2cb", "cn=a\\,b");
	norm("cn=a\\2Cb", "cn=a\\,b");
	norm("cn=\\#x", "cn=\\#x");
	norm("cn=x#y", "cn=x#y");
	norm("cn=\\ x\\ ", "cn=x");
	norm("cn=a\\+b", "cn=a\\+b");
	norm("cn=a\\\"b", "cn=a\\\"b");
	norm("cn=a\\\\b", "cn=a\\\\b");
	norm("cn=a\\<b\\>c\\;d", "cn=a\\<b\\>c\\;d");
	norm("cn=a=b", "cn=a\\=b");
	norm("cn=a\\=b", "cn=a\\=b");
	norm("cn=#04024869", "cn=#04024869");
	norm("cn=#04ABcd ,dc=x", "cn=#04abcd,dc=x");
	norm("sn=B+cn=A", "cn=a+sn=b");
	norm("cn=A + sn=B,dc=com", "cn=a+sn=b,dc=com");
	norm("cn=b+cn=a", "cn=a+cn=b");
	norm("2.5.4.3=Foo", "2.5.4.3=foo");
	norm("x-Attr-1=v", "x-attr-1=v");
	norm("cn=", "cn=");
	norm("cn=,dc=x", "cn=,dc=x");
	norm("cn=\xc3\x89t\xc3\xa9", "cn=\xc3\x89t\xc3\xa9");
	norm("cn=\\c3\\a9", "cn=\xc3\xa9");

	bad("cn");
	bad("=foo");
	bad("cn=a,");
	bad(",cn=a");
	bad("cn=a,,dc=b");
	bad("cn=a+");
	bad("cn=a+,dc=b");
	bad("cn=a\\");
	bad("cn=a\\q");
	bad("cn=a\\4");
	bad("cn=a\\4g");
	bad("cn=a\\00");
	bad("cn=#");
	bad("cn=#0");
	bad("cn=#04zz");
	bad("cn=#0402 x");
	bad("cn=\"quoted\"");
	bad("cn=a;dc=b");
	bad("cn=a<b");
	bad("1cn=a");
	bad("c_n=a");
	bad("-cn=a");
	bad("2.5.=a");
	bad("2..5=a");
	bad("02.5=a");
	bad("cn;lang-en=a");
	bad("cn=a,dc");

	parent("cn=a,dc=b,dc=c", "dc=b,dc=c");
	parent("dc=c", "");
	parent("", "");
	parent("cn=a\\,b,dc=c", "dc=c");
	parent("cn=a\\\\,dc=c", "dc=c");
	parent("cn=a+sn=b,dc=c", "dc=c");

	rdn("cn=Foo Bar , dc=com", "cn=Foo Bar");
	rdn("  cn=a\\,b,dc=c", "cn=a\\,b");
	rdn("cn=a\\ ,dc=c", "cn=a\\ ");
	rdn("cn=A+sn=B,dc=c", "cn=A+sn=B");
	rdn("dc=c", "dc=c");
	rdn("", "");

	test_split();
	test_under();
	return tap_done();
}
