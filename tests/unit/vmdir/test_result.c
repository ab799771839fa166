/*
 * test_result.c: the one LDAPResult encoder (result_ber): the exact bytes
 * of an LDAPResult (RFC 4511 4.1.9), and the notice of disconnection
 * (4.4.1) built on it, decoded back with liblber.
 */
#include <stdlib.h>
#include <string.h>

#include "server.h"
#include "../tap.h"

static struct server test_server;
struct server *srv = &test_server;

static void
test_bytes(void)
{
	static const unsigned char want[] = {
		0x30, 0x12, 0x02, 0x01, 0x05, 0x69, 0x0d, 0x0a, 0x01, 0x20,
		0x04, 0x04, 'd', 'c', '=', 'x', 0x04, 0x02, 'n', 'o',
	};
	BerElement *ber = result_ber(5, LDAP_RES_ADD, LDAP_NO_SUCH_OBJECT, "dc=x", "no");
	struct berval bv;

	ok(ber != NULL && ber_printf(ber, "N}N}") >= 0 && ber_flatten2(ber, &bv, 0) == 0,
	    "an AddResponse is encoded");
	is_int(bv.bv_len, sizeof(want), "its length");
	ok(bv.bv_len == sizeof(want) && memcmp(bv.bv_val, want, sizeof(want)) == 0,
	    "its bytes: SEQUENCE { messageID 5, [APPLICATION 9] { noSuchObject, "
	    "matchedDN, diagnosticMessage } }");
	ber_free(ber, 1);
}

static void
test_notice(void)
{
	BerElement *ber = result_ber(0, LDAP_RES_EXTENDED, LDAP_UNAVAILABLE, "", "idle timeout");
	struct berval bv;
	ber_int_t msgid = -1, rc = -1;
	ber_tag_t tag = 0, ntag = 0;
	char *matched = NULL, *text = NULL, *oid = NULL;
	BerElement *in;

	ok(ber != NULL && ber_printf(ber, "tsN}N}", LDAP_TAG_EXOP_RES_OID,
	    LDAP_NOTICE_OF_DISCONNECTION) >= 0 && ber_flatten2(ber, &bv, 0) == 0,
	    "a notice of disconnection is encoded");
	in = ber_init(&bv);
	ok(in != NULL && ber_scanf(in, "{it{eaata}}", &msgid, &tag, &rc, &matched,
	    &text, &ntag, &oid) != LBER_ERROR, "it decodes");
	is_int(msgid, 0, "messageID 0");
	is_int(tag, LDAP_RES_EXTENDED, "an ExtendedResponse");
	is_int(rc, LDAP_UNAVAILABLE, "unavailable");
	is_str(text, "idle timeout", "the diagnostic message");
	is_int(ntag, LDAP_TAG_EXOP_RES_OID, "responseName [10]");
	is_str(oid, LDAP_NOTICE_OF_DISCONNECTION, "the notice's OID");
	ber_memfree(matched);
	ber_memfree(text);
	ber_memfree(oid);
	ber_free(in, 1);
	ber_free(ber, 1);
}

int
main(void)
{
	test_bytes();
	test_notice();
	return tap_done();
}
