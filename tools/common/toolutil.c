/*
 * toolutil.c: helpers shared by the operator tools; see toolutil.h.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>

#include "common/ldapc.h"
#include "tools/common/toolutil.h"

#define TOOL_PAGE_SIZE	500

static void
tool_oom(void)
{
	fputs("out of memory\n", stderr);
	abort();
}

void *
tool_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		tool_oom();
	return p;
}

void *
tool_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		tool_oom();
	return p;
}

void *
tool_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		tool_oom();
	return q;
}

char *
tool_xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		tool_oom();
	return p;
}

char *
tool_xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (n < 0)
		tool_oom();
	return p;
}

bool
tool_parse_port(const char *s, int *port)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return false;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v < 1 || v > 65535)
		return false;
	*port = (int)v;
	return true;
}

bool
tool_parse_hostport(const char *arg, int defport, char **host, int *port)
{
	const char *h = arg, *colon, *end;
	size_t len;

	if (strncasecmp(h, "ldapi://", 8) == 0) {
		*host = xstrdup(arg);
		*port = 0;
		return true;
	}
	if (strncasecmp(h, "ldap://", 7) == 0)
		h += 7;
	else if (strncasecmp(h, "ldaps://", 8) == 0) {
		h += 8;
		defport = 636;
	}
	len = strcspn(h, "/");
	if (h[0] == '[') {
		if ((end = memchr(h, ']', len)) == NULL)
			return false;
		*host = strndup(h + 1, (size_t)(end - h - 1));
		colon = end[1] == ':' ? end + 1 : NULL;
	} else {
		colon = memchr(h, ':', len);
		*host = strndup(h, colon ? (size_t)(colon - h) : len);
	}
	if (*host == NULL)
		tool_oom();
	*port = defport;
	if (**host == '\0')
		goto bad;
	if (colon != NULL) {
		char pbuf[16];
		size_t plen = len - (size_t)(colon + 1 - h);

		if (plen == 0 || plen >= sizeof(pbuf))
			goto bad;
		memcpy(pbuf, colon + 1, plen);
		pbuf[plen] = '\0';
		if (!tool_parse_port(pbuf, port))
			goto bad;
	}
	return true;
bad:
	free(*host);
	*host = NULL;
	return false;
}

char *
tool_hostname(const char *host, int port)
{
	if (port == TOOL_DEFAULT_PORT || port == 0)
		return xstrdup(host);
	return xasprintf("%s:%d", host, port);
}

static bool
tool_hosts_resolve_same(const char *a, const char *b)
{
	struct addrinfo hints, *ra = NULL, *rb = NULL, *x, *y;
	bool same = false;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(a, NULL, &hints, &ra) != 0)
		return false;
	if (getaddrinfo(b, NULL, &hints, &rb) != 0) {
		freeaddrinfo(ra);
		return false;
	}
	for (x = ra; x != NULL && !same; x = x->ai_next)
		for (y = rb; y != NULL && !same; y = y->ai_next)
			same = x->ai_addrlen == y->ai_addrlen &&
			    memcmp(x->ai_addr, y->ai_addr, x->ai_addrlen) == 0;
	freeaddrinfo(ra);
	freeaddrinfo(rb);
	return same;
}

bool
tool_same_server(const char *a, const char *b)
{
	char *ha = NULL, *hb = NULL;
	int pa, pb;
	bool same = false;

	if (strcasecmp(a, b) == 0)
		return true;
	if (!tool_parse_hostport(a, TOOL_DEFAULT_PORT, &ha, &pa) ||
	    !tool_parse_hostport(b, TOOL_DEFAULT_PORT, &hb, &pb))
		goto out;
	if (pa != pb)
		goto out;
	same = strcasecmp(ha, hb) == 0 || tool_hosts_resolve_same(ha, hb);
out:
	free(ha);
	free(hb);
	return same;
}

char *
tool_ldap_errmsg(LDAP *ld, int rc)
{
	char *msg = ldapc_errmsg(ld, rc);

	if (msg == NULL)
		tool_oom();
	return msg;
}

bool
tool_uri_arg(const char *arg, int defport, char **uri)
{
	int rc = ldapc_uri(arg, defport, uri);

	if (rc == LDAP_NO_MEMORY)
		tool_oom();
	return rc == LDAP_SUCCESS;
}

int
tool_connect(const char *uri, const char *user, const char *pw, LDAP **ldp,
    char **msg)
{
	struct ldapc_opts o = {
		.uri = uri, .bind_dn = user, .password = pw,
		.net_timeout = 10, .op_timeout = 10,
	};
	int rc;

	/* on the local socket without a password, the peer's uid is the identity */
	o.external = ldapc_is_ldapi(uri) && pw == NULL;
	rc = ldapc_connect(&o, ldp, msg);
	if (rc != LDAP_SUCCESS && *msg == NULL)
		tool_oom();
	return rc;
}

int
tool_connect_default(const char *uri, const char *user, const char *pw,
    LDAP **ldp, char **used, char **msg)
{
	struct ldapc_opts o = {
		.bind_dn = user, .password = pw, .net_timeout = 10, .op_timeout = 10,
	};
	int rc;

	if (uri != NULL) {
		*used = xstrdup(uri);
		return tool_connect(uri, user, pw, ldp, msg);
	}
	rc = ldapc_connect_local(&o, ldp, used, msg);
	if (rc == LDAP_NO_MEMORY || (rc != LDAP_SUCCESS && *msg == NULL))
		tool_oom();
	if (*used == NULL)
		*used = xstrdup(LDAPC_FALLBACK_URI);
	return rc;
}

bool
tool_is_ldapi(const char *uri)
{
	return ldapc_is_ldapi(uri);
}

void
tool_json_error(int code, const char *msg)
{
	json_t *j = json_pack("{s:{s:i, s:s}}", "error", "code", code,
	    "message", msg ? msg : "");

	if (j == NULL)
		tool_oom();
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	fflush(stdout);
	json_decref(j);
}

char **
tool_values(LDAP *ld, LDAPMessage *e, const char *attr)
{
	struct berval **bv;
	char **v;
	int i, n;

	if ((bv = ldap_get_values_len(ld, e, attr)) == NULL)
		return NULL;
	n = ldap_count_values_len(bv);
	v = xcalloc((size_t)n + 1, sizeof(*v));
	for (i = 0; i < n; i++) {
		v[i] = xmalloc(bv[i]->bv_len + 1);
		memcpy(v[i], bv[i]->bv_val, bv[i]->bv_len);
		v[i][bv[i]->bv_len] = '\0';
	}
	ldap_value_free_len(bv);
	return v;
}

void
tool_values_free(char **v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

char *
tool_value(LDAP *ld, LDAPMessage *e, const char *attr)
{
	char **v = tool_values(ld, e, attr), *s = NULL;

	if (v != NULL && v[0] != NULL)
		s = xstrdup(v[0]);
	tool_values_free(v);
	return s;
}

char *
tool_dn(LDAP *ld, LDAPMessage *e)
{
	char *d = ldap_get_dn(ld, e), *s;

	s = xstrdup(d ? d : "");
	ldap_memfree(d);
	return s;
}

int
tool_read_attr(LDAP *ld, const char *dn, const char *attr, char **val)
{
	char *attrs[] = { (char *)attr, NULL };
	LDAPMessage *res = NULL, *e;
	int rc;

	*val = NULL;
	rc = ldap_search_ext_s(ld, dn, LDAP_SCOPE_BASE, "(objectClass=*)",
	    attrs, 0, NULL, NULL, NULL, 0, &res);
	if (rc == LDAP_SUCCESS && (e = ldap_first_entry(ld, res)) != NULL)
		*val = tool_value(ld, e, attr);
	ldap_msgfree(res);
	return rc;
}

int
tool_rootdse_read(LDAP *ld, struct tool_rootdse *dse)
{
	char *attrs[] = { "defaultNamingContext", "namingContexts", "serverName",
	    "invocationId", "highestCommittedUSN", "vmwServerState", NULL };
	LDAPMessage *res = NULL, *e;
	char *usn;
	int rc;

	memset(dse, 0, sizeof(*dse));
	rc = ldap_search_ext_s(ld, "", LDAP_SCOPE_BASE, "(objectClass=*)",
	    attrs, 0, NULL, NULL, NULL, 0, &res);
	if (rc != LDAP_SUCCESS) {
		ldap_msgfree(res);
		return rc;
	}
	if ((e = ldap_first_entry(ld, res)) == NULL) {
		ldap_msgfree(res);
		return LDAP_NO_SUCH_OBJECT;
	}
	if ((dse->nc = tool_value(ld, e, "defaultNamingContext")) == NULL)
		dse->nc = tool_value(ld, e, "namingContexts");
	dse->server_name = tool_value(ld, e, "serverName");
	dse->invocation_id = tool_value(ld, e, "invocationId");
	dse->state = tool_value(ld, e, "vmwServerState");
	if ((usn = tool_value(ld, e, "highestCommittedUSN")) != NULL)
		dse->highest_usn = strtoull(usn, NULL, 10);
	free(usn);
	ldap_msgfree(res);
	return LDAP_SUCCESS;
}

void
tool_rootdse_free(struct tool_rootdse *dse)
{
	if (dse == NULL)
		return;
	free(dse->nc);
	free(dse->server_name);
	free(dse->invocation_id);
	free(dse->state);
	memset(dse, 0, sizeof(*dse));
}

int
tool_search(LDAP *ld, const char *base, int scope, const char *filter,
    char **attrs, tool_entry_fn fn, void *arg)
{
	struct berval cookie = { 0, NULL };
	LDAPControl *pctrl = NULL, *sctrls[2] = { NULL, NULL }, **rctrls = NULL;
	LDAPMessage *res, *e;
	ber_int_t count;
	int rc, err, stop = 0;

	for (;;) {
		res = NULL;
		rc = ldap_create_page_control(ld, TOOL_PAGE_SIZE,
		    cookie.bv_len ? &cookie : NULL, 0, &pctrl);
		if (rc != LDAP_SUCCESS)
			break;
		sctrls[0] = pctrl;
		rc = ldap_search_ext_s(ld, base, scope, filter, attrs, 0,
		    sctrls, NULL, NULL, 0, &res);
		ldap_control_free(pctrl);
		pctrl = NULL;
		if (rc != LDAP_SUCCESS && rc != LDAP_SIZELIMIT_EXCEEDED) {
			ldap_msgfree(res);
			break;
		}
		for (e = ldap_first_entry(ld, res); e != NULL && !stop;
		    e = ldap_next_entry(ld, e))
			stop = fn(ld, e, arg);
		err = LDAP_SUCCESS;
		rctrls = NULL;
		if (!stop)
			ldap_parse_result(ld, res, &err, NULL, NULL, NULL, &rctrls, 0);
		ldap_msgfree(res);
		ber_memfree(cookie.bv_val);
		cookie.bv_val = NULL;
		cookie.bv_len = 0;
		if (stop) {
			rc = stop;
			break;
		}
		if (rctrls != NULL) {
			LDAPControl *c = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS,
			    rctrls, NULL);

			if (c != NULL && ldap_parse_pageresponse_control(ld, c,
			    &count, &cookie) != LDAP_SUCCESS)
				cookie.bv_len = 0;
			ldap_controls_free(rctrls);
		}
		if (cookie.bv_len == 0) {
			rc = err;
			break;
		}
	}
	ber_memfree(cookie.bv_val);
	return rc;
}

int
tool_admin_exop(LDAP *ld, const char *cmd, char **answer)
{
	struct berval req, *data = NULL;
	char *oid = NULL;
	int rc;

	*answer = NULL;
	req.bv_val = (char *)cmd;
	req.bv_len = strlen(cmd);
	rc = ldap_extended_operation_s(ld, TOOL_OID_ADMIN, &req, NULL, NULL,
	    &oid, &data);
	if (rc == LDAP_SUCCESS) {
		if (data != NULL) {
			*answer = xmalloc(data->bv_len + 1);
			memcpy(*answer, data->bv_val, data->bv_len);
			(*answer)[data->bv_len] = '\0';
		} else
			*answer = xstrdup("");
	}
	ldap_memfree(oid);
	ber_bvfree(data);
	return rc;
}

void
tool_json_print(json_t *j)
{
	if (j == NULL)
		return;
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	json_decref(j);
}

void
tool_chomp(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

char *
tool_prompt_password(const char *prompt)
{
	struct termios saved, quiet;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int fd = fileno(stdin);

	if (!isatty(fd) || tcgetattr(fd, &saved) != 0)
		return NULL;
	quiet = saved;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	quiet.c_lflag |= ECHONL;
	/* echo off before the prompt: an answer typed right after it must
	 * neither show nor be flushed away */
	if (tcsetattr(fd, TCSAFLUSH, &quiet) != 0)
		return NULL;
	fputs(prompt, stdout);
	fflush(stdout);
	n = getline(&line, &cap, stdin);
	tcsetattr(fd, TCSANOW, &saved);
	if (n < 0) {
		if (line != NULL)
			explicit_bzero(line, cap);
		free(line);
		return NULL;
	}
	tool_chomp(line);
	return line;
}
