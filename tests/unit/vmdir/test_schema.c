/*
 * test_schema.c: the shipped schema files load; lookups, inheritance,
 * normalisation, syntax checks, entry checks and the schema subentry.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ldap_schema.h>

#include "vmdir.h"
#include "../tap.h"

static struct schema	*s;

/* Normalised form of val under attribute name, or "ERR". */
static char *
norm(const char *name, const char *val)
{
	static char	 buf[512];
	struct berval	 in, out;

	in.bv_val = (char *)val;
	in.bv_len = strlen(val);
	if (schema_normalize(s, name ? schema_at(s, name) : NULL, &in,
	    &out) != LDAP_SUCCESS)
		return "ERR";
	snprintf(buf, sizeof(buf), "%s", out.bv_val);
	free(out.bv_val);
	return buf;
}

static bool
syn(const char *name, const char *val)
{
	struct berval	 v;

	v.bv_val = (char *)val;
	v.bv_len = strlen(val);
	return schema_check_syntax(s, schema_at(s, name), &v, NULL) ==
	    LDAP_SUCCESS;
}

static bool
listed(const struct at_def **list, const char *name)
{
	const struct at_def	*at = schema_at(s, name);

	for (; *list != NULL; list++)
		if (*list == at)
			return true;
	return false;
}

/* A valid inetOrgPerson to break in the failure tests. */
static struct entry *
person(void)
{
	struct entry	*e;

	e = entry_new("cn=Jane Doe,cn=Users,dc=vsphere,dc=local",
	    "cn=jane doe,cn=users,dc=vsphere,dc=local");
	entry_add_str(e, "objectClass", "top");
	entry_add_str(e, "objectClass", "inetOrgPerson");
	entry_add_str(e, "commonName", "Jane Doe");
	entry_add_str(e, "sn", "Doe");
	entry_add_str(e, "mail", "jane@vsphere.local");
	entry_add_str(e, "telephoneNumber", "+1 555 0100");
	entry_add_str(e, "manager", "cn=Boss,cn=Users,dc=vsphere,dc=local");
	return e;
}

static int
check(struct entry *e, char *text, size_t len)
{
	struct diag	 d;
	int		 rc;

	diag_clear(&d);
	rc = schema_check_entry(s, e, &d);
	snprintf(text, len, "%s", d.text);
	entry_free(e);
	return rc;
}

static void
test_lookup(void)
{
	const struct at_def	*at, *name;
	const struct oc_def	*oc;

	at = schema_at(s, "cn");
	ok(at != NULL, "cn found");
	ok(at == schema_at(s, "commonName"), "commonName is cn");
	ok(at == schema_at(s, "COMMONNAME"), "lookups ignore case");
	ok(at == schema_at(s, "2.5.4.3"), "cn by OID");
	ok(at == schema_at(s, "cn;lang-en"), "options ignored");
	is_str(at->names[0], "cn", "primary name");
	name = schema_at(s, "name");
	ok(at->sup == name, "cn SUP name");
	is_str(at->syntax, "1.3.6.1.4.1.1466.115.121.1.15", "syntax inherited");
	is_str(at->equality, "caseIgnoreMatch", "equality inherited");
	is_str(at->substr, "caseIgnoreSubstringsMatch", "substr inherited");
	ok(schema_at(s, "member")->sup == schema_at(s, "distinguishedName"),
	    "member SUP distinguishedName");
	is_str(schema_at(s, "member")->equality, "distinguishedNameMatch",
	    "member equality inherited");
	ok(schema_at(s, "nosuchattr") == NULL, "unknown attribute");
	ok(schema_at(s, "userPassword")->private, "userPassword private");
	ok(!schema_at(s, "cn")->private, "cn not private");
	ok(schema_at(s, "upToDateVector")->local_only, "UTDV local");
	ok(schema_at(s, "attributeMetaData")->local_only, "metadata local");
	ok(schema_at(s, "lastLocalUsnProcessed")->local_only,
	    "high-water mark local");
	ok(!schema_at(s, "cn")->local_only, "cn replicated");
	at = schema_at(s, "uSNChanged");
	ok(at->operational && at->no_user_mod && at->single_value,
	    "uSNChanged operational, no-user-mod, single");
	at = schema_at(s, "objectGUID");
	ok(at->operational && at->no_user_mod && at->single_value,
	    "objectGUID operational, no-user-mod, single");
	ok(schema_at(s, "namingContexts")->operational, "dSAOperation");
	ok(!schema_at(s, "mail")->operational, "mail user attribute");
	ok(!schema_at(s, "mail")->single_value, "mail multi-valued");
	ok(schema_at(s, "vmwLKUPEndpointSslTrust") != NULL &&
	    !schema_at(s, "vmwLKUPEndpointSslTrust")->single_value,
	    "SslTrust multi-valued");

	oc = schema_oc(s, "inetOrgPerson");
	ok(oc != NULL && oc->kind == OC_STRUCTURAL, "inetOrgPerson structural");
	ok(oc == schema_oc(s, "2.16.840.1.113730.3.2.2"), "class by OID");
	ok(oc == schema_oc(s, "INETORGPERSON"), "class ignores case");
	is_str(oc->sup[0], "organizationalPerson", "sup name");
	ok(listed(oc->must, "cn") && listed(oc->must, "sn") &&
	    listed(oc->must, "objectClass"), "MUST inherited from person, top");
	ok(listed(oc->may, "mail") && listed(oc->may, "title") &&
	    listed(oc->may, "userPassword"), "MAY own and inherited");
	ok(!listed(oc->must, "mail"), "mail not MUST");
	ok(schema_oc(s, "top")->kind == OC_ABSTRACT, "top abstract");
	ok(schema_oc(s, "pkiCA")->kind == OC_AUXILIARY, "pkiCA auxiliary");
	ok(schema_oc(s, "nosuchclass") == NULL, "unknown class");
	oc = schema_oc(s, "computer");
	ok(oc != NULL && listed(oc->may, "userPrincipalName") &&
	    listed(oc->may, "mail") && listed(oc->must, "cn"),
	    "computer inherits user, inetOrgPerson");
	oc = schema_oc(s, "vmwDirServer");
	ok(oc != NULL && listed(oc->may, "serverId") &&
	    listed(oc->may, "invocationId") &&
	    listed(oc->may, "upToDateVector"), "vmwDirServer MAY");
	oc = schema_oc(s, "vmwReplicationAgreement");
	ok(oc != NULL && listed(oc->must, "labeledURI") &&
	    listed(oc->may, "lastLocalUsnProcessed"), "agreement MUST/MAY");
	ok(schema_oc(s, "top")->sup[0] == NULL, "top has no SUP");
}

static void
test_normalize(void)
{
	is_str(norm("cn", "  Jane    DOE  "), "jane doe", "caseIgnore");
	is_str(norm(NULL, " Foo  Bar "), "foo bar", "no type: caseIgnore");
	is_str(norm("dc", "VSphere"), "vsphere", "caseIgnoreIA5");
	is_str(norm("labeledURI", "  ldap://Host:389   x "), "ldap://Host:389 x",
	    "caseExact");
	is_str(norm("uSNChanged", "00042"), "42", "integer leading zeros");
	is_str(norm("uSNChanged", "-0"), "0", "integer -0");
	is_str(norm("uSNChanged", "-007"), "-7", "integer negative");
	is_str(norm("uSNChanged", "0"), "0", "integer zero");
	is_str(norm("uSNChanged", "12a"), "ERR", "integer garbage");
	is_str(norm("uSNChanged", ""), "ERR", "integer empty");
	is_str(norm("uSNChanged", "-"), "ERR", "integer lone sign");
	is_str(norm("isDeleted", "true"), "TRUE", "boolean upper");
	is_str(norm("isDeleted", "False"), "FALSE", "boolean FALSE");
	is_str(norm("isDeleted", "yes"), "ERR", "boolean invalid");
	is_str(norm("member", "CN=Jane Doe, CN=Users,DC=vsphere,DC=local"),
	    "cn=jane doe,cn=users,dc=vsphere,dc=local", "DN");
	is_str(norm("member", "CommonName=X,dc=a"), "cn=x,dc=a",
	    "DN types mapped to primary name");
	is_str(norm("member", "not a dn"), "ERR", "DN invalid");
	is_str(norm("uniqueMember", "CN=A,DC=B#'0101'B"), "cn=a,dc=b#'0101'B",
	    "uniqueMember with UID");
	is_str(norm("createTimestamp", "20240101120000Z"), "20240101120000Z",
	    "generalized time kept");
	is_str(norm("createTimestamp", "2024010112"), "ERR",
	    "generalized time without zone");
	is_str(norm("userPassword", " Secret "), " Secret ", "octets as-is");
	is_str(norm("objectGUID", "0A1B2C3D-4E5F-6071-8293-A4B5C6D7E8F9"),
	    "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9", "UUID lowercased");
	is_str(norm("objectGUID", "not-a-uuid"), "ERR", "UUID invalid");
	is_str(norm("objectClass", "InetOrgPerson"), "inetorgperson",
	    "objectClass name");
	is_str(norm("objectClass", "2.5.6.6"), "person",
	    "objectClass OID to name");
	is_str(norm("telephoneNumber", "+1 555-0100"), "+15550100",
	    "telephone number");
	is_str(norm("cn", ""), "ERR", "empty directory string");
}

static void
test_cmp(void)
{
	const struct at_def	*usn = schema_at(s, "uSNChanged");
	const struct at_def	*cn = schema_at(s, "cn");
	struct berval		 a, b;

	a.bv_val = "9";
	a.bv_len = 1;
	b.bv_val = "010";
	b.bv_len = 3;
	ok(schema_value_cmp(s, usn, &a, &b) < 0, "integer 9 < 10");
	ok(schema_value_cmp(s, usn, &b, &a) > 0, "integer 10 > 9");
	b.bv_val = "09";
	b.bv_len = 2;
	ok(schema_value_cmp(s, usn, &a, &b) == 0, "integer 9 == 09");
	a.bv_val = "-5";
	a.bv_len = 2;
	ok(schema_value_cmp(s, usn, &a, &b) < 0, "integer -5 < 9");
	a.bv_val = "Jane  Doe";
	a.bv_len = strlen(a.bv_val);
	b.bv_val = "jane doe";
	b.bv_len = strlen(b.bv_val);
	ok(schema_value_cmp(s, cn, &a, &b) == 0, "caseIgnore equal");
	b.bv_val = "jane";
	b.bv_len = 4;
	ok(schema_value_cmp(s, cn, &a, &b) != 0, "caseIgnore different");
}

static void
test_syntax(void)
{
	ok(syn("cn", "J\xc3\xa9r\xc3\xb4me"), "UTF-8 directory string");
	ok(!syn("cn", "\xc3("), "bad UTF-8 rejected");
	ok(!syn("cn", "\xc0\xaf"), "overlong UTF-8 rejected");
	ok(!syn("cn", ""), "empty directory string rejected");
	ok(syn("mail", "a@b.c"), "IA5");
	ok(!syn("mail", "\xc3\xa9@b.c"), "IA5 rejects 8-bit");
	ok(syn("serverId", "-12"), "integer");
	ok(!syn("serverId", "1.5"), "integer rejects 1.5");
	ok(syn("isDeleted", "TRUE") && syn("isDeleted", "FALSE"), "boolean");
	ok(!syn("isDeleted", "1"), "boolean rejects 1");
	ok(syn("member", "cn=a,dc=b"), "DN");
	ok(!syn("member", "cn"), "DN rejects 'cn'");
	ok(syn("createTimestamp", "20240229235960Z"), "time with leap second");
	ok(syn("createTimestamp", "202402292359.5+0130"), "time with fraction");
	ok(syn("createTimestamp", "2024022923Z"), "time hour only");
	ok(!syn("createTimestamp", "20241301000000Z"), "time month 13");
	ok(!syn("createTimestamp", "20240101000000"), "time without zone");
	ok(syn("objectClass", "2.5.6.6"), "numeric OID");
	ok(syn("objectClass", "person"), "descr OID");
	ok(!syn("objectClass", "2..5"), "bad OID");
	ok(!syn("objectClass", "2.5."), "OID trailing dot");
	ok(!syn("objectClass", "01.2"), "OID leading zero");
	ok(syn("serialNumber", "AB-12 (x)"), "printable string");
	ok(!syn("serialNumber", "a@b"), "printable rejects @");
	ok(syn("c", "US"), "country");
	ok(!syn("c", "USA"), "country rejects 3 letters");
	ok(syn("telephoneNumber", "+1 555 0100"), "telephone");
	ok(!syn("telephoneNumber", ""), "telephone empty");
	ok(syn("userPassword", "") && syn("userCertificate", "\x30\x82"),
	    "octet string and certificate take anything");
	ok(syn("certificateRevocationList", "\x30"), "certificate list");
	ok(syn("invocationId", "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"),
	    "UUID");
	ok(!syn("invocationId", "0a1b2c3d04e5f-6071-8293-a4b5c6d7e8f9"),
	    "UUID without dash");
	ok(!syn("invocationId", "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8fg"),
	    "UUID non-hex");
	ok(syn("uniqueMember", "cn=a,dc=b#'01'B"), "name and optional UID");
}

static void
test_entry(void)
{
	struct entry	*e;
	struct diag	 d;
	char		 text[DIAG_MAX];

	e = person();
	diag_clear(&d);
	is_int(schema_check_entry(s, e, &d), LDAP_SUCCESS, "good inetOrgPerson");
	is_str(e->attrs[1].name, "cn", "name respelled as primary");
	ok(e->attrs[1].at == schema_at(s, "cn"), "at filled in");
	ok(entry_attr(e, "commonName") != NULL, "found by alias afterwards");
	entry_free(e);

	e = person();
	entry_add_str(e, "uSNChanged", "12");
	entry_add_str(e, "objectClass", "pkiUser");
	entry_add_str(e, "userCertificate;binary", "\x30\x82");
	is_int(check(e, text, sizeof(text)), LDAP_SUCCESS,
	    "operational and auxiliary attributes allowed");

	e = person();
	entry_del_attr(e, "sn");
	is_int(check(e, text, sizeof(text)), LDAP_OBJECT_CLASS_VIOLATION,
	    "missing MUST");
	is_str(text, "object class 'inetOrgPerson' requires attribute 'sn'",
	    "missing MUST message");

	e = person();
	entry_add_str(e, "serverId", "1");
	is_int(check(e, text, sizeof(text)), LDAP_OBJECT_CLASS_VIOLATION,
	    "attribute not allowed");
	is_str(text, "attribute 'serverId' not allowed", "not allowed message");

	e = person();
	entry_add_str(e, "objectClass", "extensibleObject");
	entry_add_str(e, "serverId", "1");
	is_int(check(e, text, sizeof(text)), LDAP_SUCCESS,
	    "extensibleObject allows any attribute");

	e = person();
	entry_add_str(e, "displayName", "a");
	entry_add_str(e, "displayName", "b");
	is_int(check(e, text, sizeof(text)), LDAP_CONSTRAINT_VIOLATION,
	    "single-value with two values");
	is_str(text, "attribute 'displayName' cannot have multiple values",
	    "single-value message");

	e = person();
	entry_add_str(e, "xyz", "1");
	is_int(check(e, text, sizeof(text)), LDAP_UNDEFINED_TYPE,
	    "unknown attribute");
	is_str(text, "attribute 'xyz' undefined", "unknown attribute message");

	e = person();
	entry_add_str(e, "manager", "garbage");
	is_int(check(e, text, sizeof(text)), LDAP_INVALID_SYNTAX, "bad syntax");
	is_str(text, "manager: value #1 invalid per syntax",
	    "bad syntax message");

	e = entry_new("cn=x,dc=vsphere,dc=local", "cn=x,dc=vsphere,dc=local");
	entry_add_str(e, "objectClass", "top");
	entry_add_str(e, "objectClass", "pkiCA");
	entry_add_str(e, "cn", "x");
	is_int(check(e, text, sizeof(text)), LDAP_OBJECT_CLASS_VIOLATION,
	    "no structural class");
	is_str(text, "no structural object class provided",
	    "no structural message");

	e = person();
	entry_add_str(e, "objectClass", "device");
	is_int(check(e, text, sizeof(text)), LDAP_OBJECT_CLASS_VIOLATION,
	    "two structural chains");

	e = person();
	entry_add_str(e, "objectClass", "nosuchclass");
	is_int(check(e, text, sizeof(text)), LDAP_OBJECT_CLASS_VIOLATION,
	    "unknown class");

	e = person();
	entry_add_str(e, "mail", "JANE@vsphere.local ");
	is_int(check(e, text, sizeof(text)), LDAP_TYPE_OR_VALUE_EXISTS,
	    "duplicate value");
	is_str(text, "mail: value #1 provided more than once",
	    "duplicate message");

	e = person();
	entry_add_str(e, "cn", "Jane Doe ");
	diag_clear(&d);
	is_int(schema_check_entry(s, e, &d), LDAP_TYPE_OR_VALUE_EXISTS,
	    "cn and commonName merged, then duplicate found");
	is_int(e->nattrs, 6, "merged into one attribute");
	ok(entry_attr(e, "cn") != NULL && entry_attr(e, "cn")->nvals == 2,
	    "merged values");
	entry_free(e);

	e = person();
	entry_add_str(e, "cn", "J. Doe");
	entry_add_str(e, "cn", "Second");
	is_int(check(e, text, sizeof(text)), LDAP_SUCCESS,
	    "alias and name merged, RDN value found");

	e = person();
	entry_del_attr(e, "commonName");
	entry_add_str(e, "cn", "Someone Else");
	is_int(check(e, text, sizeof(text)), LDAP_NOT_ALLOWED_ON_RDN,
	    "RDN value not in entry");

	e = person();
	entry_del_attr(e, "objectClass");
	is_int(check(e, text, sizeof(text)), LDAP_OBJECT_CLASS_VIOLATION,
	    "no objectClass");

	e = entry_new("dc=vsphere,dc=local", "dc=vsphere,dc=local");
	entry_add_str(e, "objectClass", "domain");
	entry_add_str(e, "objectClass", "dcObject");
	entry_add_str(e, "dc", "VSPHERE");
	is_int(check(e, text, sizeof(text)), LDAP_SUCCESS,
	    "domain entry, RDN matched case-insensitively");

	e = entry_new("labeledURI=ldap://b:389,cn=Replication Agreements,"
	    "cn=a,cn=Servers,cn=Default-First-Site,cn=Sites,"
	    "cn=Configuration,dc=vsphere,dc=local", NULL);
	entry_add_str(e, "objectClass", "vmwReplicationAgreement");
	entry_add_str(e, "labeledURI", "ldap://b:389");
	entry_add_str(e, "lastLocalUsnProcessed", "0");
	is_int(check(e, text, sizeof(text)), LDAP_SUCCESS,
	    "replication agreement (%s)", text);

	e = entry_new("cn=root,cn=Certificate-Authorities,cn=Configuration,"
	    "dc=vsphere,dc=local", NULL);
	entry_add_str(e, "objectClass", "vmwCertificationAuthority");
	entry_add_str(e, "objectClass", "pkiCA");
	entry_add_str(e, "cn", "root");
	entry_add_str(e, "cACertificateDN", "CN=CA,DC=vsphere.local,C=US");
	entry_add_str(e, "cACertificate", "\x30\x82");
	is_int(check(e, text, sizeof(text)), LDAP_SUCCESS,
	    "certification authority (%s)", text);
}

static void
test_subentry(void)
{
	struct entry		*e;
	struct attr		*a;
	LDAPAttributeType	*lat;
	LDAPObjectClass		*loc;
	const char		*err;
	size_t			 i;
	int			 code, bad = 0;
	bool			 found = false;

	if ((e = schema_subentry(s)) == NULL) {
		ok(0, "subentry built");
		return;
	}
	is_str(e->dn, "cn=schema", "subentry DN");
	is_str(e->ndn, "cn=schema", "subentry NDN");
	a = entry_attr(e, "objectClass");
	ok(a != NULL && a->nvals == 3, "three object classes");
	is_str(entry_get_str(e, "cn"), "schema", "cn=schema");
	a = entry_attr(e, "attributeTypes");
	ok(a != NULL && a->nvals > 100, "attributeTypes listed");
	for (i = 0; a != NULL && i < a->nvals; i++) {
		lat = ldap_str2attributetype(a->vals[i].bv_val, &code, &err,
		    LDAP_SCHEMA_ALLOW_NONE);
		if (lat == NULL)
			bad++;
		else if (strcmp(lat->at_oid, "2.5.4.35") == 0)
			found = strstr(a->vals[i].bv_val, "X-PRIVATE") != NULL;
		ldap_attributetype_free(lat);
	}
	is_int(bad, 0, "attributeTypes parse strictly");
	ok(found, "userPassword keeps X-PRIVATE");
	a = entry_attr(e, "objectClasses");
	ok(a != NULL && a->nvals > 30, "objectClasses listed");
	for (i = 0, bad = 0; a != NULL && i < a->nvals; i++) {
		loc = ldap_str2objectclass(a->vals[i].bv_val, &code, &err,
		    LDAP_SCHEMA_ALLOW_NONE);
		if (loc == NULL)
			bad++;
		ldap_objectclass_free(loc);
	}
	is_int(bad, 0, "objectClasses parse strictly");
	a = entry_attr(e, "ldapSyntaxes");
	ok(a != NULL && a->nvals > 10, "ldapSyntaxes listed");
	for (i = 0, bad = 0; a != NULL && i < a->nvals; i++) {
		LDAPSyntax *ls = ldap_str2syntax(a->vals[i].bv_val, &code,
		    &err, LDAP_SCHEMA_ALLOW_NONE);
		if (ls == NULL)
			bad++;
		ldap_syntax_free(ls);
	}
	is_int(bad, 0, "ldapSyntaxes parse strictly");
	a = entry_attr(e, "matchingRules");
	ok(a != NULL && a->nvals > 10, "matchingRules listed");
	for (i = 0, bad = 0; a != NULL && i < a->nvals; i++) {
		LDAPMatchingRule *mr = ldap_str2matchingrule(a->vals[i].bv_val,
		    &code, &err, LDAP_SCHEMA_ALLOW_NONE);
		if (mr == NULL)
			bad++;
		ldap_matchingrule_free(mr);
	}
	is_int(bad, 0, "matchingRules parse strictly");
	ok(a != NULL && a->at == schema_at(s, "matchingRules"),
	    "subentry attributes typed");
	entry_free(e);
}

static void
test_load_errors(void)
{
	struct schema	*t = NULL;
	struct diag	 d;
	char		 dir[] = "/tmp/test_schema.XXXXXX", path[64];
	FILE		*fp;

	diag_clear(&d);
	ok(schema_load("/nonexistent", &t, &d) != LDAP_SUCCESS && t == NULL,
	    "missing directory fails");
	if (mkdtemp(dir) == NULL)
		return;
	snprintf(path, sizeof(path), "%s/x.schema", dir);
	if ((fp = fopen(path, "w")) == NULL)
		return;
	fprintf(fp, "attributetypes: ( 1.2.3 NAME 'a'\n SUP nosuch )\n");
	fclose(fp);
	diag_clear(&d);
	ok(schema_load(dir, &t, &d) != LDAP_SUCCESS && t == NULL,
	    "undefined SUP fails: %s", d.text);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const char	*top = getenv("top_srcdir");
	char		 dir[4096];
	struct diag	 d;
	int		 rc;

	snprintf(dir, sizeof(dir), "%s/schema", top ? top : ".");
	diag_clear(&d);
	rc = schema_load(dir, &s, &d);
	is_int(rc, LDAP_SUCCESS, "schema loads (%s)", d.text);
	if (rc != LDAP_SUCCESS)
		return tap_done();
	test_lookup();
	test_normalize();
	test_cmp();
	test_syntax();
	test_entry();
	test_subentry();
	test_load_errors();
	schema_free(s);
	schema_free(NULL);
	return tap_done();
}
