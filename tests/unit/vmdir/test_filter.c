/*
 * test_filter.c: filter parsing (string and BER), printing and
 * three-valued evaluation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmdir.h"
#include "tests/unit/tap.h"

static char *usn_names[] = { "uSNChanged", NULL };
static const struct at_def usn_at = {
	.oid = "1.3.6.1.4.1.6876.40.10.1.3", .names = usn_names,
	.syntax = "1.3.6.1.4.1.1466.115.121.1.27", .equality = "integerMatch",
	.ordering = "integerOrderingMatch"
};

static void
roundtrip(const char *in, const char *want)
{
	struct filter	*f = NULL;
	char		*out = NULL;
	int		 rc;

	rc = filter_from_str(NULL, in, &f);
	if (rc == LDAP_SUCCESS)
		out = filter_to_str(f);
	is_str(out, want, "parse %s", in);
	free(out);
	filter_free(f);
}

static void
bad_str(const char *in, const char *why)
{
	struct filter	*f = (struct filter *)1;

	is_int(filter_from_str(NULL, in, &f), LDAP_FILTER_ERROR, "reject %s",
	    why);
	ok(f == NULL, "no filter left for %s", why);
}

static int
decode(const struct berval *bv, struct filter **f)
{
	BerElement	*ber;
	int		 rc;

	if ((ber = ber_init((struct berval *)bv)) == NULL)
		return -1;
	rc = filter_from_ber(NULL, ber, f);
	ber_free(ber, 1);
	return rc;
}

/* Decodes what ber holds (and frees it); returns the string form. */
static char *
ber_to_str(BerElement *ber)
{
	struct berval	*bv = NULL;
	struct filter	*f = NULL;
	char		*s = NULL;

	if (ber_flatten(ber, &bv) == 0 && decode(bv, &f) == LDAP_SUCCESS)
		s = filter_to_str(f);
	filter_free(f);
	ber_bvfree(bv);
	ber_free(ber, 1);
	return s;
}

static void
ber_good(BerElement *ber, const char *want, const char *what)
{
	char	*s = ber_to_str(ber);

	is_str(s, want, "BER %s", what);
	free(s);
}

static void
ber_bad(const unsigned char *p, size_t len, const char *what)
{
	struct berval	 bv = { len, (char *)p };
	struct filter	*f = NULL;

	is_int(decode(&bv, &f), LDAP_PROTOCOL_ERROR, "BER rejects %s", what);
	ok(f == NULL, "BER %s leaves no filter", what);
}

static void
test_strings(void)
{
	char	 deep[512];
	char	*big, *p;
	int	 i;

	roundtrip("(cn=foo)", "(cn=foo)");
	roundtrip("cn=foo", "(cn=foo)");
	roundtrip("(cn=John Smith)", "(cn=John Smith)");
	roundtrip("(&(objectClass=person)(|(cn=a*)(sn=*b*c)))",
	    "(&(objectClass=person)(|(cn=a*)(sn=*b*c)))");
	roundtrip("(!(cn=x))", "(!(cn=x))");
	roundtrip("(cn=*)", "(cn=*)");
	roundtrip("(cn~=foo)", "(cn~=foo)");
	roundtrip("(uSNChanged>=10)", "(uSNChanged>=10)");
	roundtrip("(uSNChanged<=10)", "(uSNChanged<=10)");
	roundtrip("(cn=\\2A\\28\\29\\5c\\00)", "(cn=\\2a\\28\\29\\5c\\00)");
	roundtrip("(cn=\\41b)", "(cn=Ab)");
	roundtrip("(cn=a*b*c)", "(cn=a*b*c)");
	roundtrip("(cn=*b*)", "(cn=*b*)");
	roundtrip("(cn=a*)", "(cn=a*)");
	roundtrip("(cn=*c)", "(cn=*c)");
	roundtrip("(cn=a**b)", "(cn=a**b)");
	roundtrip("(cn=a\\2a*)", "(cn=a\\2a*)");
	roundtrip("(cn=)", "(cn=)");
	roundtrip("(cn:dn:2.5.13.5:=Foo)", "(cn:dn:2.5.13.5:=Foo)");
	roundtrip("(cn:DN:=x)", "(cn:dn:=x)");
	roundtrip("(cn:=x)", "(cn:=x)");
	roundtrip("(cn:dnQualifierMatch:=x)", "(cn:dnQualifierMatch:=x)");
	roundtrip("(:caseIgnoreMatch:=x)", "(:caseIgnoreMatch:=x)");
	roundtrip("(:dn:2.5.13.5:=x)", "(:dn:2.5.13.5:=x)");
	roundtrip("(&)", "(&)");
	roundtrip("(|)", "(|)");
	roundtrip("(cn;lang-en=x)", "(cn;lang-en=x)");
	roundtrip("(2.5.4.3=x)", "(2.5.4.3=x)");
	roundtrip(" ( & (cn=a) (sn=b) ) ", "(&(cn=a)(sn=b))");
	roundtrip("(cn=caf\xc3\xa9)", "(cn=caf\xc3\xa9)");

	bad_str("", "the empty string");
	bad_str("(", "a lone parenthesis");
	bad_str("()", "empty parentheses");
	bad_str("(cn=a", "an unclosed filter");
	bad_str("cn=a)", "an extra close");
	bad_str("(cn=a)(cn=b)", "trailing filters");
	bad_str("(&(cn=a)", "an unclosed AND");
	bad_str("(cn=\\4)", "a short escape");
	bad_str("(cn=\\zz)", "a non-hex escape");
	bad_str("(cn=a\\)", "a trailing backslash");
	bad_str("(cn=a(b)", "an unescaped parenthesis");
	bad_str("(=a)", "a missing attribute");
	bad_str("(cn)", "a missing operator");
	bad_str("(cn~a)", "a broken operator");
	bad_str("(c n=a)", "a space in the attribute");
	bad_str("(!(cn=a)(cn=b))", "NOT with two filters");
	bad_str("(!)", "NOT with none");
	bad_str("(cn>=a*)", "a star in an ordering value");
	bad_str("(cn:=a*b)", "a star in an extensible value");
	bad_str("(:=x)", "an extensible without type or rule");
	bad_str("(:dn:=x)", "an extensible with only dn");
	bad_str("(cn::=x)", "an empty rule");
	bad_str("(&(cn=a)x)", "garbage in a list");
	ok(filter_from_str(NULL, NULL, &(struct filter *){ NULL }) ==
	    LDAP_FILTER_ERROR, "NULL string is a filter error");

	p = deep;
	for (i = 0; i < 63; i++)
		*p++ = '(', *p++ = '!';
	strcpy(p, "(cn=a)");
	p += strlen(p);
	for (i = 0; i < 63; i++)
		*p++ = ')';
	*p = '\0';
	roundtrip(deep, deep);
	p = deep;
	for (i = 0; i < 80; i++)
		*p++ = '(', *p++ = '!';
	strcpy(p, "(cn=a)");
	p += strlen(p);
	for (i = 0; i < 80; i++)
		*p++ = ')';
	*p = '\0';
	bad_str(deep, "nesting beyond the limit");

	big = malloc(3 + 20001 * 5 + 1);
	strcpy(big, "(|");
	for (i = 0, p = big + 2; i < 20001; i++, p += 5)
		memcpy(p, "(a=b)", 5);
	strcpy(p, ")");
	bad_str(big, "too many elements");
	free(big);
}

static void
test_ber(void)
{
	static const unsigned char empty_and[] = { 0xa0, 0x00 };
	static const unsigned char eq[] = {
		0xa3, 0x09, 0x04, 0x02, 'c', 'n', 0x04, 0x03, 'f', 'o', 'o'
	};
	static const unsigned char eq_short[] = {
		0xa3, 0x04, 0x04, 0x02, 'c', 'n'
	};
	static const unsigned char eq_extra[] = {
		0xa3, 0x0b, 0x04, 0x02, 'c', 'n', 0x04, 0x03, 'f', 'o', 'o',
		0x04, 0x00
	};
	static const unsigned char eq_prim[] = {
		0x83, 0x09, 0x04, 0x02, 'c', 'n', 0x04, 0x03, 'f', 'o', 'o'
	};
	static const unsigned char eq_emptyattr[] = {
		0xa3, 0x05, 0x04, 0x00, 0x04, 0x01, 'x'
	};
	static const unsigned char eq_nul[] = {
		0xa3, 0x07, 0x04, 0x02, 'c', 0x00, 0x04, 0x01, 'x'
	};
	static const unsigned char eq_badtag[] = {
		0xa3, 0x09, 0x02, 0x02, 'c', 'n', 0x04, 0x03, 'f', 'o', 'o'
	};
	static const unsigned char unknown[] = { 0xaa, 0x00 };
	static const unsigned char pres_cons[] = { 0xa7, 0x02, 'c', 'n' };
	static const unsigned char not_two[] = {
		0xa2, 0x08, 0x87, 0x02, 'c', 'n', 0x87, 0x02, 's', 'n'
	};
	static const unsigned char not_none[] = { 0xa2, 0x00 };
	static const unsigned char sub_noseq[] = {
		0xa4, 0x06, 0x04, 0x02, 'c', 'n', 0x30, 0x00
	};
	static const unsigned char sub_initlate[] = {
		0xa4, 0x0c, 0x04, 0x02, 'c', 'n', 0x30, 0x06,
		0x81, 0x01, 'a', 0x80, 0x01, 'b'
	};
	static const unsigned char sub_finalearly[] = {
		0xa4, 0x0c, 0x04, 0x02, 'c', 'n', 0x30, 0x06,
		0x82, 0x01, 'a', 0x81, 0x01, 'b'
	};
	static const unsigned char sub_badpiece[] = {
		0xa4, 0x09, 0x04, 0x02, 'c', 'n', 0x30, 0x03,
		0x83, 0x01, 'a'
	};
	static const unsigned char ext_all[] = {
		0xa9, 0x16, 0x81, 0x08, '2', '.', '5', '.', '1', '3', '.', '5',
		0x82, 0x02, 'c', 'n', 0x83, 0x03, 'F', 'o', 'o',
		0x84, 0x01, 0xff
	};
	static const unsigned char ext_novalue[] = {
		0xa9, 0x04, 0x82, 0x02, 'c', 'n'
	};
	static const unsigned char ext_notype[] = {
		0xa9, 0x03, 0x83, 0x01, 'x'
	};
	static const unsigned char ext_badbool[] = {
		0xa9, 0x0b, 0x82, 0x02, 'c', 'n', 0x83, 0x01, 'x',
		0x84, 0x02, 0xff, 0xff
	};
	/* The child's length runs past its parent's end. */
	static const unsigned char and_overrun[] = {
		0xa0, 0x04, 0x87, 0x04, 'c', 'n', 'x', 'y'
	};
	static const unsigned char and_garbage[] = {
		0xa0, 0x06, 0x87, 0x02, 'c', 'n', 0x05, 0x00
	};
	unsigned char	 deep[2 * 80 + 4];
	struct filter	*f = NULL;
	struct berval	 bv;
	BerElement	*ber;
	size_t		 i, n;
	char		*s;

	bv.bv_val = (char *)empty_and;
	bv.bv_len = sizeof(empty_and);
	is_int(decode(&bv, &f), LDAP_SUCCESS, "BER empty AND decodes");
	s = filter_to_str(f);
	is_str(s, "(&)", "BER empty AND prints");
	free(s);
	filter_free(f);

	bv.bv_val = (char *)eq;
	bv.bv_len = sizeof(eq);
	is_int(decode(&bv, &f), LDAP_SUCCESS, "BER equality decodes");
	ok(f != NULL && f->kind == FILTER_EQ && strcmp(f->attr, "cn") == 0 &&
	    f->value.bv_len == 3 && strcmp(f->value.bv_val, "foo") == 0,
	    "BER equality fields");
	filter_free(f);
	for (n = 0; n < sizeof(eq); n++) {
		f = NULL;
		bv.bv_len = n;
		if (decode(&bv, &f) != LDAP_PROTOCOL_ERROR || f != NULL)
			break;
	}
	is_int(n, sizeof(eq), "every truncation of a BER filter is rejected");

	ber = ber_alloc_t(LBER_USE_DER);
	ber_printf(ber, "t{t{ss}tst{ss}t{s{tststs}}}", LDAP_FILTER_AND,
	    LDAP_FILTER_GE, "uSNChanged", "10", LDAP_FILTER_PRESENT, "cn",
	    LDAP_FILTER_APPROX, "sn", "smyth",
	    LDAP_FILTER_SUBSTRINGS, "mail", LDAP_SUBSTRING_INITIAL, "j",
	    LDAP_SUBSTRING_ANY, "@", LDAP_SUBSTRING_FINAL, ".com");
	ber_good(ber, "(&(uSNChanged>=10)(cn=*)(sn~=smyth)(mail=j*@*.com))",
	    "AND of GE, present, approx, substrings");

	ber = ber_alloc_t(LBER_USE_DER);
	ber_printf(ber, "t{t{t{ss}t{ss}}}", LDAP_FILTER_NOT, LDAP_FILTER_OR,
	    LDAP_FILTER_LE, "a", "1", LDAP_FILTER_EQUALITY, "b", "(x*)");
	ber_good(ber, "(!(|(a<=1)(b=\\28x\\2a\\29)))", "NOT OR with escapes");

	bv.bv_val = (char *)ext_all;
	bv.bv_len = sizeof(ext_all);
	f = NULL;
	is_int(decode(&bv, &f), LDAP_SUCCESS, "BER extensible decodes");
	s = filter_to_str(f);
	is_str(s, "(cn:dn:2.5.13.5:=Foo)", "BER extensible with everything");
	free(s);
	filter_free(f);

	ber = ber_alloc_t(LBER_USE_DER);
	ber_printf(ber, "t{tsts}", LDAP_FILTER_EXT, LDAP_FILTER_EXT_OID,
	    "caseIgnoreMatch", LDAP_FILTER_EXT_VALUE, "x");
	ber_good(ber, "(:caseIgnoreMatch:=x)", "extensible with rule only");

	ber = ber_alloc_t(LBER_USE_DER);
	ber_printf(ber, "t{s{ts}}", LDAP_FILTER_SUBSTRINGS, "cn;lang-en",
	    LDAP_SUBSTRING_ANY, "");
	ber_good(ber, "(cn;lang-en=**)", "substrings with one empty any");

	ber_bad(eq_short, sizeof(eq_short), "a missing value");
	ber_bad(eq_extra, sizeof(eq_extra), "an extra element");
	ber_bad(eq_prim, sizeof(eq_prim), "a primitive equality tag");
	ber_bad(eq_emptyattr, sizeof(eq_emptyattr), "an empty attribute");
	ber_bad(eq_nul, sizeof(eq_nul), "a NUL in the attribute");
	ber_bad(eq_badtag, sizeof(eq_badtag), "an INTEGER attribute");
	ber_bad(unknown, sizeof(unknown), "an unknown choice");
	ber_bad(pres_cons, sizeof(pres_cons), "a constructed present");
	ber_bad(not_two, sizeof(not_two), "NOT with two children");
	ber_bad(not_none, sizeof(not_none), "NOT with no child");
	ber_bad(sub_noseq, sizeof(sub_noseq), "substrings without pieces");
	ber_bad(sub_initlate, sizeof(sub_initlate), "initial after any");
	ber_bad(sub_finalearly, sizeof(sub_finalearly), "final before any");
	ber_bad(sub_badpiece, sizeof(sub_badpiece), "an unknown piece");
	ber_bad(ext_novalue, sizeof(ext_novalue), "extensible without value");
	ber_bad(ext_notype, sizeof(ext_notype), "extensible without type");
	ber_bad(ext_badbool, sizeof(ext_badbool), "a two-byte BOOLEAN");
	ber_bad(and_overrun, sizeof(and_overrun), "a child past its parent");
	ber_bad(and_garbage, sizeof(and_garbage), "a non-filter in AND");
	ber_bad(empty_and, 0, "no bytes");

	/* 80 nested NOTs around an empty AND; lengths fit in one byte. */
	for (i = 0; i < 80; i++) {
		deep[2 * i] = 0xa2;
		deep[2 * i + 1] = (unsigned char)(2 * (80 - i - 1) + 2);
	}
	deep[160] = 0xa0;
	deep[161] = 0x00;
	ber_bad(deep, 162, "nesting beyond the limit");
	bv.bv_val = (char *)deep + 2 * 20;
	bv.bv_len = 162 - 2 * 20;
	f = NULL;
	is_int(decode(&bv, &f), LDAP_SUCCESS, "BER 60 nested NOTs decode");
	filter_free(f);
}

static struct entry *
make_entry(void)
{
	struct entry	*e;

	e = entry_new("cn=John Smith,ou=People,dc=example", NULL);
	entry_add_str(e, "objectClass", "top");
	entry_add_str(e, "objectClass", "person");
	entry_add_str(e, "cn", "John Smith");
	entry_add_str(e, "sn", "Smith");
	entry_add_str(e, "mail", "JS@Example.COM");
	entry_add_str(e, "title;lang-de", "Chef");
	entry_add_str(e, "uSNChanged", "10");
	return e;
}

static int
eval_str(const struct schema *s, const char *str, const struct entry *e,
    const struct at_def *force_at)
{
	struct filter	*f = NULL;
	int		 r;

	if (filter_from_str(s, str, &f) != LDAP_SUCCESS)
		return -1;
	if (force_at != NULL)
		f->at = force_at;
	r = filter_eval(s, f, e);
	filter_free(f);
	return r;
}

#define U	"(cn:9.9.9.9:=x)"	/* always Undefined */
#define T	FILTER_TRUE
#define F	FILTER_FALSE
#define UN	FILTER_UNDEFINED

static void
test_eval(void)
{
	static const struct {
		const char	*filter;
		int		 want;
	} cases[] = {
		{ "(cn=john smith)", T },
		{ "(CN=JOHN SMITH)", T },
		{ "(cn=  John   Smith )", T },
		{ "(cn=nobody)", F },
		{ "(cn~=JOHN SMITH)", T },
		{ "(cn~=jon smyth)", T },
		{ "(cn~=smyth)", T },
		{ "(cn~=smith john)", F },
		{ "(cn~=mary smith)", F },
		{ "(sn~=schmidt)", T },
		{ "(sn~=jones)", F },
		{ "(objectClass=PERSON)", T },
		{ "(objectClass=organization)", F },
		{ "(cn=*)", T },
		{ "(uid=*)", F },
		{ "(cn=jo*)", T },
		{ "(cn=*smith)", T },
		{ "(cn=*hn s*)", T },
		{ "(cn=j*n*h)", T },
		{ "(cn=*x*)", F },
		{ "(cn=john*smith*smith)", F },
		{ "(cn=john smith*h)", F },
		{ "(mail=*@example.com)", T },
		{ "(mail=js@*)", T },
		{ "(sn>=Smith)", T },
		{ "(sn>=smitt)", F },
		{ "(sn<=adams)", F },
		{ "(sn<=zed)", T },
		{ "(uSNChanged>=9)", F },	/* byte order without a rule */
		{ "(title=chef)", T },
		{ "(title;lang-de=chef)", T },
		{ "(title;lang-en=chef)", F },
		{ "(title;lang-de=*)", T },
		{ "(cn;lang-de=*)", F },
		{ U, UN },
		{ "(!" U ")", UN },
		{ "(&(cn=*)" U ")", UN },
		{ "(&(uid=*)" U ")", F },
		{ "(&" U "(uid=*))", F },
		{ "(|(cn=*)" U ")", T },
		{ "(|" U "(cn=*))", T },
		{ "(|(uid=*)" U ")", UN },
		{ "(!(uid=*))", T },
		{ "(!(cn=*))", F },
		{ "(&)", T },
		{ "(|)", F },
		{ "(!(&))", F },
		{ "(cn:=john smith)", T },
		{ "(cn:caseIgnoreMatch:=JOHN SMITH)", T },
		{ "(cn:2.5.13.2:=john smith)", T },
		{ "(cn:2.5.13.5:=John Smith)", T },
		{ "(cn:2.5.13.5:=john smith)", F },
		{ "(cn:integerMatch:=5)", UN },
		{ "(:caseIgnoreMatch:=x)", F },
		{ "(:caseIgnoreMatch:=SMITH)", T },
		{ "(:dn:caseIgnoreMatch:=people)", T },
		{ "(:caseIgnoreMatch:=people)", F },
		{ "(ou:dn:=people)", T },
		{ "(ou:dn:=nobody)", F },
		{ "(ou=people)", F },
		{ "(dc:dn:=EXAMPLE)", T },
		{ "(cn:dn:=john smith)", T },
	};
	struct entry	*e = make_entry();
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_int(eval_str(NULL, cases[i].filter, e, NULL), cases[i].want,
		    "eval %s", cases[i].filter);

	is_int(eval_str(NULL, "(uSNChanged>=9)", e, &usn_at), T,
	    "integer >= compares numerically");
	is_int(eval_str(NULL, "(uSNChanged<=9)", e, &usn_at), F,
	    "integer <= compares numerically");
	is_int(eval_str(NULL, "(uSNChanged>=10)", e, &usn_at), T,
	    "integer >= is inclusive");
	is_int(eval_str(NULL, "(uSNChanged<=10)", e, &usn_at), T,
	    "integer <= is inclusive");
	is_int(eval_str(NULL, "(uSNChanged<=-5)", e, &usn_at), F,
	    "integer <= negative");
	is_int(eval_str(NULL, "(uSNChanged>=-50)", e, &usn_at), T,
	    "integer >= negative");
	is_int(eval_str(NULL, "(uSNChanged<=0100)", e, &usn_at), T,
	    "integer with leading zeros");
	is_int(eval_str(NULL, "(uSNChanged~=10)", e, &usn_at), T,
	    "approx without a schema compares as a string");
	is_int(eval_str(NULL, "(uSNChanged:caseExactMatch:=10)", e, &usn_at),
	    T, "a rule without a schema compares as a string");
	entry_free(e);
}

static void
test_schema(void)
{
	static const struct {
		const char	*filter;
		int		 want;
	} cases[] = {
		{ "(cn=john smith)", T },
		{ "(commonName=JOHN SMITH)", T },
		{ "(2.5.4.3=john smith)", T },
		{ "(name=john smith)", T },	/* cn is a subtype of name */
		{ "(name=*)", T },
		{ "(fooBar=x)", UN },
		{ "(fooBar=*)", F },
		{ "(xyzzy=*)", T },		/* unknown, but present */
		{ "(!(fooBar=x))", UN },
		{ "(fooBar=*x*)", UN },
		{ "(fooBar>=x)", UN },
		{ "(uSNChanged>=9)", T },
		{ "(uSNChanged<=9)", F },
		{ "(uSNChanged=10)", T },
		{ "(uSNChanged=abc)", UN },
		{ "(uSNChanged>=abc)", UN },
		{ "(cn=jo*)", T },
		{ "(cn:caseIgnoreMatch:=john smith)", T },
		{ "(cn:caseExactMatch:=John Smith)", T },
	};
	struct schema	*s = NULL;
	struct entry	*e;
	struct diag	 d;
	const char	*top;
	char		 dir[1024];
	size_t		 i;

	if ((top = getenv("top_srcdir")) == NULL)
		top = ".";
	snprintf(dir, sizeof(dir), "%s/schema", top);
	if (schema_load(dir, &s, &d) != LDAP_SUCCESS) {
		ok(0, "schema_load %s: %s", dir, d.text);
		return;
	}
	e = make_entry();
	entry_add_str(e, "xyzzy", "1");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_int(eval_str(s, cases[i].filter, e, NULL), cases[i].want,
		    "schema eval %s", cases[i].filter);
	entry_free(e);
	schema_free(s);
}

static struct schema *
load_schema(void)
{
	struct schema	*s = NULL;
	struct diag	 d;
	const char	*top;
	char		 dir[1024];

	if ((top = getenv("top_srcdir")) == NULL)
		top = ".";
	snprintf(dir, sizeof(dir), "%s/schema", top);
	if (schema_load(dir, &s, &d) != LDAP_SUCCESS) {
		ok(0, "schema_load %s: %s", dir, d.text);
		return NULL;
	}
	return s;
}

/* Extensible match (RFC 4515 3, RFC 4511 4.5.1.7.7) and approximate match
 * against the real schema. */
static void
test_ext(void)
{
	static const struct {
		const char	*filter;
		int		 want;
	} cases[] = {
		/* a rule named for the attribute */
		{ "(cn:caseExactMatch:=John Smith)", T },
		{ "(cn:caseExactMatch:=john smith)", F },
		{ "(cn:2.5.13.5:=John  Smith )", T },
		{ "(cn:caseIgnoreMatch:=JOHN SMITH)", T },
		{ "(cn:2.5.13.2:=john smith)", T },
		{ "(CN:CASEIGNOREMATCH:=john smith)", T },
		{ "(commonName:caseExactMatch:=John Smith)", T },
		{ "(name:caseExactMatch:=John Smith)", T },
		{ "(mail:caseExactIA5Match:=JS@Example.COM)", T },
		{ "(mail:caseExactIA5Match:=js@example.com)", F },
		{ "(mail:caseIgnoreIA5Match:=js@example.com)", T },
		{ "(mail:1.3.6.1.4.1.1466.109.114.2:=JS@EXAMPLE.COM)", T },
		{ "(mail:1.3.6.1.4.1.1466.109.114.1:=js@example.com)", F },
		{ "(cn:caseIgnoreIA5Match:=john smith)", T },
		{ "(cn:caseIgnoreIA5Match:=j\\c3\\b6hn)", UN },
		{ "(member:distinguishedNameMatch:=cn=admin, DC=Example)", T },
		{ "(member:2.5.13.1:=cn=other,dc=example)", F },
		{ "(member:distinguishedNameMatch:=not a dn)", UN },
		{ "(cn:distinguishedNameMatch:=cn=x)", UN },
		{ "(userAccountControl:integerMatch:=0512)", T },
		{ "(userAccountControl:2.5.13.14:=513)", F },
		{ "(userAccountControl:integerMatch:=abc)", UN },
		{ "(userAccountControl:integerOrderingMatch:=600)", T },
		{ "(userAccountControl:2.5.13.15:=512)", F },
		{ "(userAccountControl:integerOrderingMatch:=-1)", F },
		{ "(cn:integerMatch:=5)", UN },
		{ "(vmwPasswordNeverExpires:booleanMatch:=TRUE)", T },
		{ "(vmwPasswordNeverExpires:2.5.13.13:=FALSE)", F },
		{ "(vmwPasswordNeverExpires:booleanMatch:=yes)", UN },
		{ "(description:numericStringMatch:=5550100)", T },
		{ "(description:2.5.13.8:=555 0101)", F },
		{ "(description:numericStringMatch:=abc)", UN },
		{ "(description:numericStringSubstringsMatch:=\\2a0100)", T },
		{ "(telephoneNumber:telephoneNumberMatch:=+15550100)", T },
		{ "(telephoneNumber:telephoneNumberMatch:=+15550199)", F },
		{ "(cn:octetStringMatch:=John Smith)", T },
		{ "(cn:octetStringMatch:=john smith)", F },
		{ "(cn:2.5.13.17:=John Smith)", T },
		{ "(cn:caseIgnoreSubstringsMatch:=\\2ahn sm\\2a)", T },
		{ "(cn:caseIgnoreSubstringsMatch:=JOHN\\2a)", T },
		{ "(cn:2.5.13.4:=\\2ax\\2a)", F },
		{ "(cn:caseExactSubstringsMatch:=john\\2a)", F },
		{ "(cn:caseExactSubstringsMatch:=\\2aSmith)", T },
		{ "(cn:caseIgnoreSubstringsMatch:=john)", UN },
		{ "(mail:caseIgnoreIA5SubstringsMatch:=js@\\2a.com)", T },
		{ "(cn:caseIgnoreOrderingMatch:=kate)", T },
		{ "(cn:caseIgnoreOrderingMatch:=adam)", F },
		{ "(cn:caseIgnoreOrderingMatch:=john smith)", F },
		{ "(sn:caseExactOrderingMatch:=smith)", T },
		/* unknown rules and types are Undefined */
		{ "(cn:9.9.9.9:=x)", UN },
		{ "(cn:noSuchMatch:=x)", UN },
		{ "(!(cn:noSuchMatch:=x))", UN },
		{ "(:noSuchMatch:=x)", UN },
		{ "(fooBar:caseIgnoreMatch:=x)", UN },
		{ "(|(cn:noSuchMatch:=x)(sn=smith))", T },
		/* no type: every attribute the rule can compare */
		{ "(:caseIgnoreMatch:=smith)", T },
		{ "(:caseIgnoreMatch:=nobody)", F },
		{ "(:2.5.13.2:=CHEF)", T },
		{ "(:integerMatch:=512)", T },
		{ "(:integerMatch:=511)", F },
		{ "(:booleanMatch:=TRUE)", T },
		{ "(:caseIgnoreMatch:=secret)", F },	/* userPassword is private */
		{ "(:octetStringMatch:=secret)", F },
		{ "(:caseIgnoreSubstringsMatch:=\\2amith)", T },
		/* dnAttributes: the RDN values of the entry's DN too */
		{ "(:dn:caseIgnoreMatch:=people)", T },
		{ "(:caseIgnoreMatch:=people)", F },
		{ "(ou:dn:caseIgnoreMatch:=PEOPLE)", T },
		{ "(ou:caseIgnoreMatch:=people)", F },
		{ "(ou:dn:2.5.13.2:=nobody)", F },
		{ "(dc:dn:caseIgnoreIA5Match:=EXAMPLE)", T },
		{ "(:dn:caseIgnoreSubstringsMatch:=peo\\2a)", T },
		{ "(:dn:integerMatch:=5)", F },
		{ "(ou:dn:=people)", T },
		{ "(ou:dn:=nobody)", F },
		/* approximate match */
		{ "(cn~=Jon Smyth)", T },
		{ "(cn~=smith)", T },
		{ "(cn~=Smith John)", F },
		{ "(cn~=Mary Smith)", F },
		{ "(sn~=Smithe)", T },
		{ "(sn~=Schmidt)", T },
		{ "(sn~=Jones)", F },
		{ "(!(cn~=Jon Smyth))", F },
		{ "(mail~=js@example.com)", T },
		{ "(userAccountControl~=0512)", T },
		{ "(userAccountControl~=513)", F },
		{ "(userAccountControl~=abc)", UN },
		{ "(description~=555 0100)", T },
		{ "(description~=555 0101)", F },
		{ "(fooBar~=x)", UN },
	};
	struct schema	*s;
	struct entry	*e;
	size_t		 i;

	if ((s = load_schema()) == NULL)
		return;
	e = make_entry();
	entry_add_str(e, "member", "CN=Admin,dc=example");
	entry_add_str(e, "userAccountControl", "512");
	entry_add_str(e, "vmwPasswordNeverExpires", "TRUE");
	entry_add_str(e, "description", "555 0100");
	entry_add_str(e, "description", "Office phone");
	entry_add_str(e, "telephoneNumber", "+1 555-0100");
	entry_add_str(e, "userPassword", "secret");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_int(eval_str(s, cases[i].filter, e, NULL), cases[i].want,
		    "ext eval %s", cases[i].filter);
	entry_free(e);
	schema_free(s);
}

/* The matching rules extensible match names. */
static void
test_rules(void)
{
	static const char *const known[] = {
		"caseIgnoreMatch", "2.5.13.2", "caseExactMatch", "2.5.13.5",
		"caseIgnoreIA5Match", "1.3.6.1.4.1.1466.109.114.2",
		"caseExactIA5Match", "1.3.6.1.4.1.1466.109.114.1",
		"distinguishedNameMatch", "2.5.13.1", "integerMatch",
		"2.5.13.14", "numericStringMatch", "2.5.13.8",
		"octetStringMatch", "2.5.13.17", "booleanMatch", "2.5.13.13",
		"integerOrderingMatch", "caseIgnoreSubstringsMatch",
	};
	size_t	 i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		ok(schema_mr(known[i]) != NULL, "rule %s known", known[i]);
	ok(schema_mr("noSuchMatch") == NULL, "unknown rule name");
	ok(schema_mr("9.9.9.9") == NULL, "unknown rule OID");
	ok(schema_mr("CASEIGNOREMATCH") == schema_mr("2.5.13.2"),
	    "name and OID name one rule");
	is_int(schema_mr_usage(schema_mr("caseIgnoreMatch")), MR_EQUALITY,
	    "caseIgnoreMatch is an equality rule");
	is_int(schema_mr_usage(schema_mr("2.5.13.15")), MR_ORDERING,
	    "integerOrderingMatch is an ordering rule");
	is_int(schema_mr_usage(schema_mr("2.5.13.4")), MR_SUBSTRINGS,
	    "caseIgnoreSubstringsMatch is a substrings rule");
	ok(schema_mr_integer(schema_mr("integerOrderingMatch")),
	    "integerOrderingMatch orders numbers");
	ok(!schema_mr_integer(schema_mr("caseIgnoreOrderingMatch")),
	    "caseIgnoreOrderingMatch orders strings");
	ok(schema_mr_usable(schema_mr("caseExactMatch"), NULL),
	    "string rules fit a type without schema");
	ok(!schema_mr_usable(schema_mr("integerMatch"), NULL),
	    "integerMatch does not fit a type without schema");
	roundtrip("(cn:dn:caseExactMatch:=x)", "(cn:dn:caseExactMatch:=x)");
	roundtrip("(:dn:2.5.13.2:=x)", "(:dn:2.5.13.2:=x)");
	roundtrip("(:caseIgnoreSubstringsMatch:=\\2ax)",
	    "(:caseIgnoreSubstringsMatch:=\\2ax)");
}

int
main(void)
{
	test_strings();
	test_ber();
	test_eval();
	test_schema();
	test_ext();
	test_rules();
	return tap_done();
}
