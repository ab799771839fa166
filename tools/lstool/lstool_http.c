/*
 * lstool_http.c: the HTTP(S) transport: vmdird's /lookupservice/sdk
 * (GET lists anonymously; POST, PUT, DELETE as an administrator with
 * HTTP Basic) through common/httpc.c, and GET of other paths (/health)
 * for lstool check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "httpc.h"
#include "tools/lstool/lstool.h"

char *
lstool_http_base(const char *url)
{
	struct httpc_url u;
	char *b;

	if (!httpc_url_parse(url, &u))
		return NULL;
	b = xasprintf(strchr(u.host, ':') ? "%s://[%s]:%d" : "%s://%s:%d",
	    u.tls ? "https" : "http", u.host, u.port);
	httpc_url_free(&u);
	return b;
}

/* Appends the percent-encoded s to a query under construction. */
static char *
lstool_http_query(char *q, const char *key, const char *val)
{
	char *enc, *p, *out;

	if (val == NULL)
		return q;
	p = enc = xmalloc(strlen(val) * 3 + 1);
	for (const unsigned char *s = (const unsigned char *)val; *s != '\0'; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || strchr("-._~", *s) != NULL)
			*p++ = (char)*s;
		else
			p += sprintf(p, "%%%02X", *s);
	}
	*p = '\0';
	out = xasprintf("%s%s%s=%s", q, q[0] == '\0' ? "?" : "&", key, enc);
	free(enc);
	free(q);
	return out;
}

/* The message of an error answer ({"error":{"message":…}}) or the status. */
static char *
lstool_http_errmsg(const struct httpc_resp *r)
{
	json_t *j = json_loadb(r->body, r->bodylen, 0, NULL);
	const char *m = json_string_value(json_object_get(json_object_get(j, "error"),
	    "message"));
	char *out = m != NULL ? xstrdup(m) : xasprintf("HTTP status %d", r->status);

	json_decref(j);
	return out;
}

static int
lstool_http_code(int status)
{
	switch (status) {
	case 400: case 401: case 403: case 404: case 409:
		return status;
	case 503:
		return LSTOOL_E_UNAVAIL;
	default:
		return status >= 400 && status < 600 ? status : LSTOOL_E_INTERNAL;
	}
}

/* One request; *out the JSON answer on a 2xx (caller decrefs). */
static int
lstool_http_call(const struct lstool_opts *o, const char *method, const char *base,
    const char *path, json_t *body, bool auth, json_t **out, char **msg)
{
	struct httpc_req q = {
		.method = method, .insecure = o->no_check_cert, .cafile = o->cafile,
		.timeout = LSTOOL_HTTP_TIMEOUT,
	};
	struct httpc_resp r;
	char err[512], *url = xasprintf("%s%s", base, path), *b = NULL;
	json_error_t jerr;
	int rc;

	q.url = url;
	if (auth) {
		q.user = o->user;
		q.password = o->password;
	}
	if (body != NULL) {
		if ((b = json_dumps(body, JSON_COMPACT)) == NULL)
			tool_xmalloc(SIZE_MAX);	/* aborts: out of memory */
		q.body = b;
		q.bodylen = strlen(b);
	}
	rc = httpc_request(&q, &r, err, sizeof(err));
	free(b);
	free(url);
	if (rc != 0) {
		*msg = xstrdup(err);
		return LSTOOL_E_UNAVAIL;
	}
	if (r.status < 200 || r.status > 299) {
		*msg = lstool_http_errmsg(&r);
		rc = lstool_http_code(r.status);
	} else if (out != NULL && (*out = json_loadb(r.body, r.bodylen, 0, &jerr)) == NULL) {
		*msg = xasprintf("%s%s answered with malformed JSON: %s", base, path,
		    jerr.text);
		rc = LSTOOL_E_INTERNAL;
	}
	httpc_resp_free(&r);
	return rc;
}

int
lstool_http_get_json(const struct lstool_opts *o, const char *base, const char *path,
    json_t **out, char **msg)
{
	*out = NULL;
	return lstool_http_call(o, "GET", base, path, NULL, false, out, msg);
}

static int
lstool_http_list(struct lstool_conn *c, const struct lstool_filter *f, json_t **out,
    char **msg)
{
	char *q = xstrdup(""), *path;
	json_t *j = NULL, *regs;
	int rc;

	*out = NULL;
	if (f->id != NULL) q = lstool_http_query(q, "id", f->id);
	if (f->type != NULL) q = lstool_http_query(q, "type", f->type);
	if (f->product != NULL) q = lstool_http_query(q, "product", f->product);
	if (f->ep_type != NULL) q = lstool_http_query(q, "epType", f->ep_type);
	if (f->node_id != NULL) q = lstool_http_query(q, "nodeId", f->node_id);
	path = xasprintf("%s%s", LSTOOL_SDK_PATH, q);
	free(q);
	rc = lstool_http_call(c->o, "GET", c->base, path, NULL, false, &j, msg);
	free(path);
	if (rc != 0)
		return rc;
	if (!json_is_array(regs = json_object_get(j, "registrations"))) {
		json_decref(j);
		*msg = xasprintf("%s%s: the answer has no registrations array", c->base,
		    LSTOOL_SDK_PATH);
		return LSTOOL_E_INTERNAL;
	}
	*out = json_incref(regs);
	json_decref(j);
	return 0;
}

static char *
lstool_http_idpath(const char *id)
{
	char *q = lstool_http_query(xstrdup(""), "x", id), *p;

	/* reuse the query encoder: "?x=<encoded>" */
	p = xasprintf("%s/%s", LSTOOL_SDK_PATH, q + 3);
	free(q);
	return p;
}

static int
lstool_http_add(struct lstool_conn *c, json_t *reg, json_t **out, char **msg)
{
	return lstool_http_call(c->o, "POST", c->base, LSTOOL_SDK_PATH, reg, true, out,
	    msg);
}

static int
lstool_http_replace(struct lstool_conn *c, const char *id, json_t *reg, json_t **out,
    char **msg)
{
	char *path = lstool_http_idpath(id);
	int rc = lstool_http_call(c->o, "PUT", c->base, path, reg, true, out, msg);

	free(path);
	return rc;
}

static int
lstool_http_remove(struct lstool_conn *c, const char *id, char **msg)
{
	char *path = lstool_http_idpath(id);
	int rc = lstool_http_call(c->o, "DELETE", c->base, path, NULL, true, NULL, msg);

	free(path);
	return rc;
}

const struct lstool_ops lstool_http_ops = {
	.name = "http",
	.list = lstool_http_list,
	.add = lstool_http_add,
	.replace = lstool_http_replace,
	.remove = lstool_http_remove,
};

int
lstool_http_open(struct lstool_opts *o, const char *url, struct lstool_conn *c,
    char **msg)
{
	(void)o;
	if ((c->base = lstool_http_base(url)) == NULL) {
		*msg = xasprintf("invalid URL '%s' (http://HOST:PORT/lookupservice/sdk or "
		    "https://…)", url);
		return LSTOOL_E_INPUT;
	}
	c->ops = &lstool_http_ops;
	return 0;
}

X509 *
lstool_http_peer_cert(const char *url, char **msg)
{
	struct httpc_req q = { .method = "GET", .url = url, .insecure = true,
	    .timeout = 10, .handshake_only = true };
	struct httpc_resp r;
	char err[512];
	X509 *x;

	if (httpc_request(&q, &r, err, sizeof(err)) != 0) {
		*msg = xstrdup(err);
		return NULL;
	}
	if (r.peer == NULL) {
		*msg = xasprintf("%s is not an https:// URL", url);
		return NULL;
	}
	x = r.peer;
	r.peer = NULL;
	httpc_resp_free(&r);
	return x;
}
