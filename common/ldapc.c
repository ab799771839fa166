/*
 * ldapc.c: connecting and binding to an LDAP server; see ldapc.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include "common/ldapc.h"

/* A formatted, caller-freed message; NULL when out of memory. */
static char *
ldapc_fmt(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : s;
}

static bool
ldapc_port(const char *s, size_t len, int *port)
{
	long v = 0;
	size_t i;

	if (len == 0 || len > 5)
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return false;
	*port = (int)v;
	return true;
}

bool
ldapc_is_ldapi(const char *uri)
{
	return uri != NULL && strncasecmp(uri, "ldapi://", 8) == 0;
}

/* "/a/b" as an ldapi:// URI (every '/' as %2F). */
static char *
ldapc_path_uri(const char *path)
{
	size_t n = strlen(path), i;
	char *s = malloc(8 + 3 * n + 1), *w;

	if (s == NULL)
		return NULL;
	w = s + 8;
	memcpy(s, "ldapi://", 8);
	for (i = 0; i < n; i++) {
		if (path[i] == '/' || path[i] == '%' || path[i] == ' ') {
			sprintf(w, "%%%02X", (unsigned char)path[i]);
			w += 3;
		} else
			*w++ = path[i];
	}
	*w = '\0';
	return s;
}

int
ldapc_uri(const char *arg, int defport, char **uri)
{
	const char *h = arg, *colon, *end;
	size_t len, hlen;
	int port = defport;

	*uri = NULL;
	if (arg == NULL || *arg == '\0')
		return LDAP_PARAM_ERROR;
	if (arg[0] == '/')
		return (*uri = ldapc_path_uri(arg)) ? LDAP_SUCCESS : LDAP_NO_MEMORY;
	if (strstr(arg, "://") != NULL) {
		LDAPURLDesc *lud = NULL;

		if (strncasecmp(arg, "ldap://", 7) != 0 &&
		    strncasecmp(arg, "ldaps://", 8) != 0 && !ldapc_is_ldapi(arg))
			return LDAP_PARAM_ERROR;
		if (ldap_url_parse(arg, &lud) != LDAP_URL_SUCCESS)
			return LDAP_PARAM_ERROR;
		ldap_free_urldesc(lud);
		return (*uri = strdup(arg)) ? LDAP_SUCCESS : LDAP_NO_MEMORY;
	}
	len = strcspn(h, "/");
	if (h[len] != '\0')
		return LDAP_PARAM_ERROR;
	if (h[0] == '[') {
		if ((end = memchr(h, ']', len)) == NULL)
			return LDAP_PARAM_ERROR;
		h++;
		hlen = (size_t)(end - h);
		colon = end[1] == ':' ? end + 1 : end[1] == '\0' ? NULL : end;
		if (colon == end)
			return LDAP_PARAM_ERROR;
	} else {
		colon = memchr(h, ':', len);
		hlen = colon ? (size_t)(colon - h) : len;
	}
	if (hlen == 0)
		return LDAP_PARAM_ERROR;
	if (colon != NULL && !ldapc_port(colon + 1, strlen(colon + 1), &port))
		return LDAP_PARAM_ERROR;
	if (memchr(h, ':', hlen) != NULL)
		*uri = ldapc_fmt("ldap://[%.*s]:%d", (int)hlen, h, port);
	else
		*uri = ldapc_fmt("ldap://%.*s:%d", (int)hlen, h, port);
	return *uri ? LDAP_SUCCESS : LDAP_NO_MEMORY;
}

char *
ldapc_local_uri(void)
{
	const char *env = getenv(LDAPC_LDAPI_ENV);

	if (env != NULL && ldapc_is_ldapi(env))
		return strdup(env);
	return ldapc_path_uri(env != NULL && *env != '\0' ? env : LDAPC_LDAPI_PATH);
}

char *
ldapc_errmsg(LDAP *ld, int rc)
{
	char *diag = NULL, *msg;

	if (ld != NULL)
		ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
	msg = strdup(diag != NULL && *diag != '\0' ? diag : ldap_err2string(rc));
	ldap_memfree(diag);
	return msg;
}

bool
ldapc_unreachable(int rc)
{
	return rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR ||
	    rc == LDAP_TIMEOUT;
}

int
ldapc_open(const struct ldapc_opts *o, LDAP **ldp, char **msg)
{
	struct timeval net = { o->net_timeout > 0 ? o->net_timeout : 10, 0 };
	struct timeval op = { o->op_timeout, 0 };
	int v3 = LDAP_VERSION3, rc;
	LDAP *ld = NULL;

	*ldp = NULL;
	*msg = NULL;
	if ((rc = ldap_initialize(&ld, o->uri)) != LDAP_SUCCESS) {
		*msg = ldapc_fmt("%s: %s", o->uri, ldap_err2string(rc));
		return rc;
	}
	ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3);
	ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
	ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &net);
	if (o->op_timeout > 0)
		ldap_set_option(ld, LDAP_OPT_TIMEOUT, &op);
	if (strncasecmp(o->uri, "ldaps://", 8) == 0 &&
	    (o->tls_demand || o->ca_file != NULL || o->ca_dir != NULL)) {
		int demand = LDAP_OPT_X_TLS_DEMAND, newctx = 0;

		/* a demanded certificate must verify and name the host */
		if (o->tls_demand)
			ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand);
		if (o->ca_file != NULL)
			ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, o->ca_file);
		if (o->ca_dir != NULL)
			ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTDIR, o->ca_dir);
		ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &newctx);
	}
	*ldp = ld;
	return LDAP_SUCCESS;
}

/* SASL EXTERNAL: the identity comes from the transport (peer credentials
 * on ldapi://, the client certificate on TLS); no credentials are sent. */
static int
ldapc_bind_external(LDAP *ld)
{
	return ldap_sasl_bind_s(ld, NULL, "EXTERNAL", NULL, NULL, NULL, NULL);
}

int
ldapc_bind(LDAP *ld, const struct ldapc_opts *o, char **msg)
{
	struct berval cred;
	char *m;
	int rc;

	*msg = NULL;
	if (o->anonymous)
		return LDAP_SUCCESS;
	if (o->external)
		rc = ldapc_bind_external(ld);
	else {
		cred.bv_val = (char *)(o->password ? o->password : "");
		cred.bv_len = strlen(cred.bv_val);
		rc = ldap_sasl_bind_s(ld, o->bind_dn ? o->bind_dn : "",
		    LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
	}
	if (rc == LDAP_SUCCESS)
		return rc;
	m = ldapc_errmsg(ld, rc);
	*msg = ldapc_fmt("%s (%s)", m ? m : ldap_err2string(rc), o->uri);
	free(m);
	return rc;
}

int
ldapc_connect(const struct ldapc_opts *o, LDAP **ldp, char **msg)
{
	LDAP *ld;
	int rc;

	if ((rc = ldapc_open(o, &ld, msg)) != LDAP_SUCCESS)
		return rc;
	if ((rc = ldapc_bind(ld, o, msg)) != LDAP_SUCCESS) {
		ldap_unbind_ext_s(ld, NULL, NULL);
		return rc;
	}
	*ldp = ld;
	return LDAP_SUCCESS;
}

int
ldapc_connect_local(const struct ldapc_opts *o, LDAP **ldp, char **used,
    char **msg)
{
	struct ldapc_opts lo = *o;
	char *local = ldapc_local_uri();
	int rc;

	*ldp = NULL;
	*used = NULL;
	*msg = NULL;
	if (local == NULL)
		return LDAP_NO_MEMORY;
	lo.uri = local;
	/* on the socket, the peer's uid is the identity unless a password is given */
	lo.external = o->password == NULL;
	rc = ldapc_connect(&lo, ldp, msg);
	if (!ldapc_unreachable(rc)) {
		*used = local;
		return rc;
	}
	if (o->password == NULL && !o->anonymous) {
		/* a simple bind without a password would be anonymous: say why instead */
		char *m = *msg;

		*msg = ldapc_fmt("%s; without a password there is no other way in",
		    m ? m : ldap_err2string(rc));
		free(m);
		*used = local;
		return rc;
	}
	free(*msg);
	*msg = NULL;
	lo = *o;
	lo.uri = LDAPC_FALLBACK_URI;
	lo.external = false;
	rc = ldapc_connect(&lo, ldp, msg);
	if (ldapc_unreachable(rc)) {
		char *m = *msg;

		*msg = ldapc_fmt("%s; the local socket %s did not answer either",
		    m ? m : ldap_err2string(rc), local);
		free(m);
	}
	free(local);
	if ((*used = strdup(LDAPC_FALLBACK_URI)) == NULL && rc == LDAP_SUCCESS) {
		ldap_unbind_ext_s(*ldp, NULL, NULL);
		*ldp = NULL;
		return LDAP_NO_MEMORY;
	}
	return rc;
}
