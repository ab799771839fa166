/*
 * test_ldapc.c: the LDAP client library's addresses (HOST[:PORT] and URIs),
 * the local socket's URI, and errors returned, never fatal, when nothing
 * answers (no server is started here: a socket that refuses stands in).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/ldapc.h"
#include "../tap.h"

/* ldapc_uri(arg, port) as a string; "BAD" when refused. Caller frees. */
static char *
uri(const char *arg, int port)
{
	char *u = NULL;

	if (ldapc_uri(arg, port, &u) != LDAP_SUCCESS)
		return strdup("BAD");
	return u;
}

static void
check_uri(const char *arg, int port, const char *want)
{
	char *got = uri(arg, port);

	is_str(got, want, "ldapc_uri(\"%s\", %d)", arg, port);
	free(got);
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");
	char dir[80], path[100], *u, *msg = NULL, *used = NULL;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ldapc_opts o = { 0 };
	LDAP *ld = NULL;
	int fd, rc;

	check_uri("localhost", 389, "ldap://localhost:389");
	check_uri("node1:3890", 389, "ldap://node1:3890");
	check_uri("127.0.0.1", 1389, "ldap://127.0.0.1:1389");
	check_uri("[::1]:3890", 389, "ldap://[::1]:3890");
	check_uri("[::1]", 389, "ldap://[::1]:389");
	check_uri("ldap://h:1", 389, "ldap://h:1");
	check_uri("ldaps://h", 389, "ldaps://h");
	check_uri("ldapi://%2Frun%2Fx.sock", 389, "ldapi://%2Frun%2Fx.sock");
	check_uri("/run/trellis/vmdird.sock", 389, "ldapi://%2Frun%2Ftrellis%2Fvmdird.sock");
	check_uri("host:0", 389, "BAD");
	check_uri("host:65536", 389, "BAD");
	check_uri("host:12a", 389, "BAD");
	check_uri("host:", 389, "BAD");
	check_uri(":389", 389, "BAD");
	check_uri("", 389, "BAD");
	check_uri("[::1", 389, "BAD");
	check_uri("ftp://h", 389, "BAD");
	check_uri("host/path", 389, "BAD");
	ok(ldapc_is_ldapi("LDAPI://x") && !ldapc_is_ldapi("ldap://x") && !ldapc_is_ldapi(NULL),
	    "ldapc_is_ldapi");

	unsetenv(LDAPC_LDAPI_ENV);
	u = ldapc_local_uri();
	is_str(u, "ldapi://%2Frun%2Ftrellis%2Fvmdird.sock", "the default local socket");
	free(u);
	setenv(LDAPC_LDAPI_ENV, "/tmp/a b.sock", 1);
	u = ldapc_local_uri();
	is_str(u, "ldapi://%2Ftmp%2Fa%20b.sock", "$TRELLIS_LDAPI as a path");
	free(u);
	setenv(LDAPC_LDAPI_ENV, "ldapi://%2Fx", 1);
	u = ldapc_local_uri();
	is_str(u, "ldapi://%2Fx", "$TRELLIS_LDAPI as a URI");
	free(u);

	/* a socket file nobody listens on: connecting is refused */
	snprintf(dir, sizeof(dir), "%s/test_ldapc.XXXXXX", tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/refuses.sock", dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ok(fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0, "a socket that refuses");
	close(fd);
	setenv(LDAPC_LDAPI_ENV, path, 1);

	o.uri = u = ldapc_local_uri();
	o.external = true;
	rc = ldapc_connect(&o, &ld, &msg);
	ok(ldapc_unreachable(rc) && ld == NULL && msg != NULL,
	    "EXTERNAL on a refusing socket: an error, returned");
	free(msg);
	free(u);

	o = (struct ldapc_opts){ 0 };
	rc = ldapc_connect_local(&o, &ld, &used, &msg);
	ok(ldapc_unreachable(rc) && ld == NULL, "no password: the socket's error");
	ok(used != NULL && ldapc_is_ldapi(used), "no password: no fallback to TCP");
	ok(msg != NULL && strstr(msg, "without a password") != NULL, "no password: says why");
	free(msg);
	free(used);

	o.bind_dn = "administrator";
	o.password = "x";
	o.net_timeout = 2;
	rc = ldapc_connect_local(&o, &ld, &used, &msg);
	is_str(used, LDAPC_FALLBACK_URI, "a password: falls back to " LDAPC_FALLBACK_URI);
	ok(rc != LDAP_SUCCESS || ld != NULL, "the fallback's result is returned");
	if (rc != LDAP_SUCCESS)
		ok(msg != NULL && strstr(msg, "did not answer either") != NULL,
		    "both failed: the message names the socket too");
	else
		ok(1, "something answers on localhost:389 (not asserted)");
	if (ld != NULL)
		ldap_unbind_ext_s(ld, NULL, NULL);
	free(msg);
	free(used);

	unlink(path);
	rmdir(dir);
	return tap_done();
}
