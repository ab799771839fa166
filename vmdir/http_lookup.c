/*
 * http_lookup.c: /lookupservice/sdk, the lookup service's JSON API (the
 * README's "Lookup service API" is its definition): list and get for
 * anyone, register, update and unregister for administrators. This file
 * checks what clients send and turns it into the complete registration
 * object lookup.c stores; every error names the member at fault.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>
#include <uuid/uuid.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "server.h"
#include "lkupmap.h"

#define LOOKUP_STR_MAX	4096	/* bytes of one string member */
#define LOOKUP_ARR_MAX	100	/* endpoints, attributes, certificates */

/* A base64 DER X.509 certificate, on one line. */
static bool
lookup_cert_ok(const char *b64)
{
	size_t n = strlen(b64);
	unsigned char *der;
	const unsigned char *p;
	X509 *x = NULL;
	int len;

	if (n == 0 || n % 4 != 0 || n > 64 * 1024 || strspn(b64,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") != n ||
	    (der = malloc(n)) == NULL)
		return false;
	if ((len = EVP_DecodeBlock(der, (const unsigned char *)b64, (int)n)) > 0) {
		for (size_t i = n; i > 0 && b64[i - 1] == '='; i--)
			len--;
		p = der;
		x = d2i_X509(NULL, &p, len);
		if (x != NULL && p != der + len) {
			X509_free(x);
			x = NULL;
		}
	}
	free(der);
	X509_free(x);
	return x != NULL;
}

struct lookup_err {
	int	status;
	char	msg[300];
};

static bool __attribute__((format(printf, 2, 3)))
lookup_fail(struct lookup_err *e, const char *fmt, ...)
{
	va_list ap;

	e->status = 400;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return false;
}

/* Only the members in keys (NULL-terminated) may appear in obj. */
static bool
lookup_members(const json_t *obj, const char *const *keys, const char *where,
    struct lookup_err *e)
{
	const char *k;
	json_t *v;

	if (!json_is_object(obj))
		return lookup_fail(e, "%s must be an object", where[0] ? where : "the body");
	json_object_foreach((json_t *)obj, k, v) {
		size_t i;
		for (i = 0; keys[i] != NULL && strcmp(keys[i], k) != 0; i++)
			;
		if (keys[i] == NULL)
			return lookup_fail(e, "unknown member '%s%s%.64s'", where,
			    where[0] ? "." : "", k);
	}
	return true;
}

/* Copies the string member key of in to out: required ones must be
 * non-empty; absent optional ones become def. */
static bool
lookup_str(const json_t *in, json_t *out, const char *key, const char *where,
    bool required, const char *def, struct lookup_err *e)
{
	const json_t *v = json_object_get(in, key);
	const char *s;

	if (v != NULL && !json_is_string(v))
		return lookup_fail(e, "'%s%s%s' must be a string", where, where[0] ? "." : "",
		    key);
	s = v != NULL ? json_string_value(v) : def;
	if (required && (s == NULL || s[0] == '\0'))
		return lookup_fail(e, "missing field '%s%s%s'", where, where[0] ? "." : "",
		    key);
	if (s != NULL && strlen(s) > LOOKUP_STR_MAX)
		return lookup_fail(e, "'%s%s%s' is longer than %d bytes", where,
		    where[0] ? "." : "", key, LOOKUP_STR_MAX);
	json_object_set_new(out, key, json_string(s != NULL ? s : ""));
	return true;
}

/* The array member key of in, bounded: *out is NULL when it is absent
 * (jansson's array calls take NULL as an empty array). */
static bool
lookup_array(const json_t *in, const char *key, const char *where,
    const json_t **out, struct lookup_err *e)
{
	const json_t *v = json_object_get(in, key);

	*out = v;
	if (v != NULL && (!json_is_array(v) || json_array_size(v) > LOOKUP_ARR_MAX))
		return lookup_fail(e, "'%s%s%s' must be an array of at most %d", where,
		    where[0] ? "." : "", key, LOOKUP_ARR_MAX);
	return true;
}

static bool
lookup_props(const json_t *in, json_t *out, const char *where, struct lookup_err *e)
{
	static const char *const keys[] = { "key", "value", NULL };
	const json_t *arr, *p;
	json_t *res = json_array();
	char w[96];
	size_t i;

	json_object_set_new(out, "attributes", res);
	if (!lookup_array(in, "attributes", where, &arr, e))
		return false;
	json_array_foreach(arr, i, p) {
		json_t *o = json_object();
		json_array_append_new(res, o);
		snprintf(w, sizeof(w), "%s%sattributes[%zu]", where, where[0] ? "." : "", i);
		if (!lookup_members(p, keys, w, e) || !lookup_str(p, o, "key", w, true, NULL, e) ||
		    !lookup_str(p, o, "value", w, false, "", e))
			return false;
	}
	return true;
}

static bool
lookup_endpoint(const json_t *in, json_t *out, const char *w, struct lookup_err *e)
{
	static const char *const keys[] = { "type", "protocol", "url", "sslTrust",
	    "attributes", NULL };
	const json_t *certs, *c;
	json_t *trust = json_array();
	size_t i;

	json_object_set_new(out, "sslTrust", trust);
	if (!lookup_members(in, keys, w, e) || !lookup_str(in, out, "type", w, true, NULL, e) ||
	    !lookup_str(in, out, "protocol", w, true, NULL, e) ||
	    !lookup_str(in, out, "url", w, true, NULL, e) ||
	    !lookup_array(in, "sslTrust", w, &certs, e))
		return false;
	json_array_foreach(certs, i, c) {
		if (!json_is_string(c) || !lookup_cert_ok(json_string_value(c)))
			return lookup_fail(e, "'%s.sslTrust[%zu]' is not a base64 DER "
			    "certificate", w, i);
		json_array_append(trust, (json_t *)c);
	}
	return lookup_props(in, out, w, e);
}

/*
 * The complete registration from a client's JSON body: every member of
 * the API present, defaults filled in (serviceId: id, else a new UUID;
 * siteId: this node's site; nodeId: this node). NULL with e set.
 */
static json_t *
lookup_parse(const struct http_req *q, const char *id, struct lookup_err *e)
{
	static const char *const keys[] = { "serviceId", "name", "description",
	    "product", "type", "version", "siteId", "nodeId", "ownerId", "attributes",
	    "endpoints", NULL };
	json_error_t jerr;
	json_t *in, *out = json_object(), *eps = json_array();
	const json_t *arr = NULL, *ep;
	char gen[37], w[32];
	size_t i;
	bool ok;

	e->status = 500;
	snprintf(e->msg, sizeof(e->msg), "out of memory");
	if ((in = json_loadb(q->body, q->bodylen, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		json_decref(out);
		json_decref(eps);
		lookup_fail(e, "malformed JSON: %s (line %d, column %d)", jerr.text,
		    jerr.line, jerr.column);
		return NULL;
	}
	if (id == NULL) {
		uuid_t u;
		uuid_generate(u);
		uuid_unparse_lower(u, gen);
		id = gen;
	}
	json_object_set_new(out, "endpoints", eps);
	ok = out != NULL && eps != NULL && lookup_members(in, keys, "", e) &&
	    lookup_str(in, out, "serviceId", "", false, id, e);
	if (ok && json_object_get(in, "serviceId") != NULL && id != gen &&
	    strcmp(json_string_value(json_object_get(out, "serviceId")), id) != 0)
		ok = lookup_fail(e, "'serviceId' differs from the one in the URL");
	if (ok && !lkupmap_id_ok(json_string_value(json_object_get(out, "serviceId"))))
		ok = lookup_fail(e, "'serviceId' must be 1 to %d letters, digits or ._:@-",
		    LKUPMAP_ID_MAX);
	ok = ok && lookup_str(in, out, "name", "", false, "", e) &&
	    lookup_str(in, out, "description", "", false, "", e) &&
	    lookup_str(in, out, "product", "", true, NULL, e) &&
	    lookup_str(in, out, "type", "", true, NULL, e) &&
	    lookup_str(in, out, "version", "", true, NULL, e) &&
	    lookup_str(in, out, "siteId", "", true, srv->conf.site, e) &&
	    lookup_str(in, out, "nodeId", "", true, srv->conf.node, e) &&
	    lookup_str(in, out, "ownerId", "", false, "", e);
	if (ok && !lkupmap_id_ok(json_string_value(json_object_get(out, "siteId"))))
		ok = lookup_fail(e, "'siteId' must be letters, digits or ._:@-");
	ok = ok && lookup_props(in, out, "", e) &&
	    lookup_array(in, "endpoints", "", &arr, e);
	for (i = 0; ok && i < json_array_size(arr); i++) {
		json_t *o = json_object();
		ep = json_array_get(arr, i);
		json_array_append_new(eps, o);
		snprintf(w, sizeof(w), "endpoints[%zu]", i);
		ok = lookup_endpoint(ep, o, w, e);
	}
	json_decref(in);
	if (!ok) {
		json_decref(out);
		return NULL;
	}
	return out;
}

static int
lookup_status(int rc)
{
	switch (rc) {
	case LDAP_SUCCESS:			return 200;
	case LDAP_NO_SUCH_OBJECT:		return 404;
	case LDAP_ALREADY_EXISTS:		return 409;
	case LDAP_CONSTRAINT_VIOLATION:
	case LDAP_INVALID_SYNTAX:
	case LDAP_OBJECT_CLASS_VIOLATION:
	case LDAP_UNDEFINED_TYPE:		return 400;
	case LDAP_INSUFFICIENT_ACCESS:		return 403;
	case LDAP_BUSY:
	case LDAP_UNAVAILABLE:
	case LDAP_UNWILLING_TO_PERFORM:		return 503;
	default:				return 500;
	}
}

/* The serviceId at the end of the path; 400 set if it is not one. */
static bool
lookup_path_id(const struct http_req *q, struct http_resp *r, char *id, size_t len)
{
	const char *seg = strrchr(q->path, '/') + 1;

	if (http_unescape(seg, strlen(seg), id, len) != 0 || !lkupmap_id_ok(id)) {
		http_error(r, 400, "invalid serviceId in the URL");
		return false;
	}
	return true;
}

/* Answers with the registration id as stored now. */
static void
lookup_answer(struct http_resp *r, int status, const char *id)
{
	struct lookup_filter f = { .id = id };
	json_t *v = NULL;
	int rc = lookup_list(&f, &v);

	if (rc != LDAP_SUCCESS)
		http_error(r, lookup_status(rc), "cannot read registrations: %s",
		    ldap_err2string(rc));
	else if (json_array_size(v) == 0)
		http_error(r, 404, "no registration with serviceId %s", id);
	else
		http_json(r, status, json_incref(json_array_get(v, 0)));
	json_decref(v);
}

void
http_lookup_list(const struct http_req *q, struct http_resp *r)
{
	static const char *const names[] = { "id", "type", "product", "epType", "nodeId" };
	char key[32], tmp[1024], vals[5][1024];
	const char *p = q->query != NULL ? q->query : "", *set[5] = { 0 };
	json_t *v;
	size_t i;
	int rc, k;

	while ((k = http_query_next(&p, key, sizeof(key), tmp, sizeof(tmp))) == 1) {
		for (i = 0; i < 5 && strcmp(key, names[i]) != 0; i++)
			;
		if (i == 5) {
			http_error(r, 400, "unknown query parameter '%s' (known: id, type, "
			    "product, epType, nodeId)", key);
			return;
		}
		memcpy(vals[i], tmp, sizeof(tmp));
		set[i] = vals[i];
	}
	if (k < 0) {
		http_error(r, 400, "malformed query string");
		return;
	}
	struct lookup_filter f = { set[0], set[1], set[2], set[3], set[4] };
	if ((rc = lookup_list(&f, &v)) != LDAP_SUCCESS) {
		http_error(r, lookup_status(rc), "cannot read registrations: %s",
		    ldap_err2string(rc));
		return;
	}
	http_json(r, 200, json_pack("{s:o}", "registrations", v));
}

void
http_lookup_get(const struct http_req *q, struct http_resp *r)
{
	char id[LKUPMAP_ID_MAX * 3 + 1];

	if (lookup_path_id(q, r, id, sizeof(id)))
		lookup_answer(r, 200, id);
}

/* Checks what every write needs: an administrator, a writable node. */
static bool
lookup_may_write(const struct http_req *q, struct http_resp *r, char **who)
{
	if (!http_admin(q, r, who))
		return false;
	if (srv->state == STATE_READONLY) {
		free(*who);
		http_error(r, 503, "this node is read-only");
		return false;
	}
	return true;
}

void
http_lookup_register(const struct http_req *q, struct http_resp *r)
{
	struct lookup_err e;
	struct diag d;
	json_t *reg;
	char *who, id[LKUPMAP_ID_MAX + 1];
	int rc;

	if (!lookup_may_write(q, r, &who))
		return;
	if ((reg = lookup_parse(q, NULL, &e)) == NULL) {
		http_error(r, e.status, "%s", e.msg);
		free(who);
		return;
	}
	snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(reg, "serviceId")));
	diag_clear(&d);
	rc = lookup_add(reg, who, &d);
	json_decref(reg);
	free(who);
	if (rc != LDAP_SUCCESS) {
		http_error(r, lookup_status(rc), "%s", d.text);
		return;
	}
	lookup_answer(r, 201, id);
	if (r->status == 201)
		snprintf(r->extra, sizeof(r->extra), "Location: /lookupservice/sdk/%s\r\n", id);
}

void
http_lookup_update(const struct http_req *q, struct http_resp *r)
{
	char id[LKUPMAP_ID_MAX * 3 + 1], *who;
	struct lookup_err e;
	struct diag d;
	json_t *reg;
	int rc;

	if (!lookup_path_id(q, r, id, sizeof(id)) || !lookup_may_write(q, r, &who))
		return;
	if ((reg = lookup_parse(q, id, &e)) == NULL) {
		http_error(r, e.status, "%s", e.msg);
		free(who);
		return;
	}
	diag_clear(&d);
	rc = lookup_replace(id, reg, who, &d);
	json_decref(reg);
	free(who);
	if (rc != LDAP_SUCCESS)
		http_error(r, lookup_status(rc), "%s", d.text);
	else
		lookup_answer(r, 200, id);
}

void
http_lookup_delete(const struct http_req *q, struct http_resp *r)
{
	char id[LKUPMAP_ID_MAX * 3 + 1], *who;
	struct diag d;
	int rc;

	if (!lookup_path_id(q, r, id, sizeof(id)) || !lookup_may_write(q, r, &who))
		return;
	diag_clear(&d);
	rc = lookup_remove(id, who, &d);
	free(who);
	if (rc != LDAP_SUCCESS)
		http_error(r, lookup_status(rc), "%s", d.text);
	else
		http_json(r, 200, json_pack("{s:s,s:b}", "serviceId", id, "deleted", 1));
}
