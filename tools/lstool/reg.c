/*
 * reg.c: the registration object as lstool handles it: printing in the
 * shape of VMware's lstool.py (tab-indented lines that runbooks grep),
 * filtering and sorting as vmdird does, the checks vmdird makes on what
 * it is sent (so that bad input is refused before anything is written,
 * over either transport), and building or changing one from the command
 * line's flags.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "httpc.h"
#include "lkupmap.h"
#include "tools/lstool/lstool.h"

#define REG_ARR_MAX	100
#define REG_STR_MAX	4096

static const char *
reg_str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s != NULL ? s : "";
}

static void
reg_print_attrs(FILE *f, const json_t *arr, const char *indent)
{
	const json_t *a;
	size_t i;

	json_array_foreach(arr, i, a)
		fprintf(f, "%s%s: %s\n", indent, reg_str(a, "key"), reg_str(a, "value"));
}

void
reg_print(FILE *f, const json_t *reg)
{
	static const char *const fields[][2] = {
		{ "Name", "name" }, { "Description", "description" },
		{ "Service Product", "product" }, { "Service Type", "type" },
		{ "Service ID", "serviceId" }, { "Site ID", "siteId" },
		{ "Node ID", "nodeId" }, { "Owner ID", "ownerId" },
		{ "Version", "version" },
	};
	const json_t *ep, *c;
	size_t i, j;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		fprintf(f, "\t%s: %s\n", fields[i][0], reg_str(reg, fields[i][1]));
	fputs("\tEndpoints:\n", f);
	json_array_foreach(json_object_get(reg, "endpoints"), i, ep) {
		fprintf(f, "\t\tType: %s\n", reg_str(ep, "type"));
		fprintf(f, "\t\tProtocol: %s\n", reg_str(ep, "protocol"));
		fprintf(f, "\t\tURL: %s\n", reg_str(ep, "url"));
		json_array_foreach(json_object_get(ep, "sslTrust"), j, c)
			fprintf(f, "\t\tSSL trust: %s\n", json_string_value(c));
		fputs("\t\tEndpoint Attributes:\n", f);
		reg_print_attrs(f, json_object_get(ep, "attributes"), "\t\t\t");
	}
	if (json_array_size(json_object_get(reg, "attributes")) > 0) {
		fputs("\tService Attributes:\n", f);
		reg_print_attrs(f, json_object_get(reg, "attributes"), "\t\t");
	}
}

static bool
reg_eq(const json_t *obj, const char *key, const char *want)
{
	return want == NULL || strcasecmp(reg_str(obj, key), want) == 0;
}

bool
reg_matches(const json_t *reg, const struct lstool_filter *f)
{
	const json_t *ep;
	size_t i;

	if (!reg_eq(reg, "serviceId", f->id) || !reg_eq(reg, "type", f->type) ||
	    !reg_eq(reg, "product", f->product) || !reg_eq(reg, "nodeId", f->node_id))
		return false;
	if (f->ep_type == NULL)
		return true;
	json_array_foreach(json_object_get(reg, "endpoints"), i, ep)
		if (reg_eq(ep, "type", f->ep_type))
			return true;
	return false;
}

static int
reg_cmp(const void *a, const void *b)
{
	return strcmp(reg_str(*(json_t *const *)a, "serviceId"),
	    reg_str(*(json_t *const *)b, "serviceId"));
}

void
reg_sort(json_t *arr)
{
	size_t n = json_array_size(arr), i;
	json_t **v;

	if (n < 2)
		return;
	v = xcalloc(n, sizeof(*v));
	for (i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(arr, i));
	qsort(v, n, sizeof(*v), reg_cmp);
	json_array_clear(arr);
	for (i = 0; i < n; i++)
		json_array_append_new(arr, v[i]);
	free(v);
}

/* Certificates */

X509 *
reg_cert_parse(const char *b64)
{
	size_t n = strlen(b64);
	unsigned char *der;
	const unsigned char *p;
	X509 *x = NULL;
	int len;

	if (n == 0 || n % 4 != 0 || n > 64 * 1024 || strspn(b64,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") != n)
		return NULL;
	der = xmalloc(n);
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
	return x;
}

char *
reg_cert_b64(X509 *x)
{
	unsigned char *der = NULL;
	char *b64;
	int n = i2d_X509(x, &der);

	if (n <= 0)
		tool_xmalloc(SIZE_MAX);	/* aborts: out of memory */
	b64 = xmalloc(((size_t)n + 2) / 3 * 4 + 1);
	EVP_EncodeBlock((unsigned char *)b64, der, n);
	OPENSSL_free(der);
	return b64;
}

json_t *
reg_trust_file(const char *path, char **msg)
{
	FILE *f = fopen(path, "r");
	json_t *arr;
	X509 *x;

	if (f == NULL) {
		*msg = xasprintf("cannot read certificate %s: %s", path, strerror(errno));
		return NULL;
	}
	arr = json_array();
	while ((x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL) {
		char *b = reg_cert_b64(x);
		json_array_append_new(arr, json_string(b));
		free(b);
		X509_free(x);
	}
	if (json_array_size(arr) == 0) {
		rewind(f);
		if ((x = d2i_X509_fp(f, NULL)) != NULL) {
			char *b = reg_cert_b64(x);
			json_array_append_new(arr, json_string(b));
			free(b);
			X509_free(x);
		}
	}
	fclose(f);
	if (json_array_size(arr) == 0) {
		json_decref(arr);
		*msg = xasprintf("%s holds no certificate (PEM or DER)", path);
		return NULL;
	}
	return arr;
}

/* Validation: what vmdird's API checks, plus URLs */

bool
reg_url_ok(const char *url)
{
	struct httpc_url u;
	const char *p = strstr(url, "://");
	size_t i;

	if (strncasecmp(url, "http://", 7) == 0 || strncasecmp(url, "https://", 8) == 0) {
		if (!httpc_url_parse(url, &u))
			return false;
		httpc_url_free(&u);
		return true;
	}
	/* another scheme (ldap://, wss://, …): scheme://host at least */
	if (p == NULL || p == url || p[3] == '\0' || p[3] == '/' ||
	    strpbrk(url, " \t\r\n") != NULL)
		return false;
	for (i = 0; url + i < p; i++)
		if (!((url[i] >= 'a' && url[i] <= 'z') || (url[i] >= 'A' && url[i] <= 'Z') ||
		    (i > 0 && ((url[i] >= '0' && url[i] <= '9') || strchr("+.-", url[i])))))
			return false;
	return true;
}

/* The string member key of obj, checked: an absent one becomes "". */
static bool
reg_field(json_t *obj, const char *key, const char *where, bool required, char **msg)
{
	json_t *v = json_object_get(obj, key);
	const char *s;

	if (v != NULL && !json_is_string(v)) {
		*msg = xasprintf("'%s%s' must be a string", where, key);
		return false;
	}
	s = v != NULL ? json_string_value(v) : "";
	if (required && s[0] == '\0') {
		*msg = xasprintf("missing field '%s%s'", where, key);
		return false;
	}
	if (strlen(s) > REG_STR_MAX) {
		*msg = xasprintf("'%s%s' is longer than %d bytes", where, key, REG_STR_MAX);
		return false;
	}
	if (v == NULL)
		json_object_set_new(obj, key, json_string(""));
	return true;
}

/* The array member key of obj: absent becomes []. */
static json_t *
reg_array(json_t *obj, const char *key, const char *where, char **msg)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL) {
		json_object_set_new(obj, key, v = json_array());
		return v;
	}
	if (!json_is_array(v) || json_array_size(v) > REG_ARR_MAX) {
		*msg = xasprintf("'%s%s' must be an array of at most %d", where, key,
		    REG_ARR_MAX);
		return NULL;
	}
	return v;
}

static bool
reg_only(const json_t *obj, const char *const *keys, const char *where, char **msg)
{
	const char *k;
	json_t *v;

	if (!json_is_object(obj)) {
		*msg = xasprintf("%s must be an object", where[0] ? where : "the registration");
		return false;
	}
	json_object_foreach((json_t *)obj, k, v) {
		size_t i;
		for (i = 0; keys[i] != NULL && strcmp(keys[i], k) != 0; i++)
			;
		if (keys[i] == NULL) {
			*msg = xasprintf("unknown member '%s%.64s'", where, k);
			return false;
		}
	}
	return true;
}

static bool
reg_validate_attrs(json_t *obj, const char *where, char **msg)
{
	static const char *const keys[] = { "key", "value", NULL };
	json_t *arr = reg_array(obj, "attributes", where, msg), *a;
	char w[128];
	size_t i;

	if (arr == NULL)
		return false;
	json_array_foreach(arr, i, a) {
		snprintf(w, sizeof(w), "%sattributes[%zu].", where, i);
		if (!reg_only(a, keys, w, msg) || !reg_field(a, "key", w, true, msg) ||
		    !reg_field(a, "value", w, false, msg))
			return false;
	}
	return true;
}

static bool
reg_validate_endpoint(json_t *ep, size_t n, char **msg)
{
	static const char *const keys[] = { "type", "protocol", "url", "sslTrust",
	    "attributes", NULL };
	json_t *trust, *c;
	char w[64];
	size_t i;

	snprintf(w, sizeof(w), "endpoints[%zu].", n);
	if (!reg_only(ep, keys, w, msg) || !reg_field(ep, "type", w, true, msg) ||
	    !reg_field(ep, "protocol", w, true, msg) || !reg_field(ep, "url", w, true, msg))
		return false;
	if (!reg_url_ok(json_string_value(json_object_get(ep, "url")))) {
		*msg = xasprintf("'%surl' is not a URL (scheme://host[:port]/path): '%s'", w,
		    json_string_value(json_object_get(ep, "url")));
		return false;
	}
	if ((trust = reg_array(ep, "sslTrust", w, msg)) == NULL)
		return false;
	json_array_foreach(trust, i, c) {
		X509 *x = json_is_string(c) ? reg_cert_parse(json_string_value(c)) : NULL;
		if (x == NULL) {
			*msg = xasprintf("'%ssslTrust[%zu]' is not a base64 DER certificate", w, i);
			return false;
		}
		X509_free(x);
	}
	return reg_validate_attrs(ep, w, msg);
}

bool
reg_validate(json_t *reg, char **msg)
{
	static const char *const keys[] = { "serviceId", "name", "description",
	    "product", "type", "version", "siteId", "nodeId", "ownerId", "attributes",
	    "endpoints", NULL };
	static const char *const opt[] = { "name", "description", "ownerId", "siteId",
	    "nodeId", "serviceId", NULL };
	/* left out, the server fills these in: the node's site, its name, a UUID */
	static const char *const defaulted[] = { "siteId", "nodeId", "serviceId", NULL };
	json_t *eps, *ep;
	const char *s;
	size_t i;

	if (!reg_only(reg, keys, "", msg))
		return false;
	for (i = 0; opt[i] != NULL; i++)
		if (!reg_field(reg, opt[i], "", false, msg))
			return false;
	if (!reg_field(reg, "product", "", true, msg) || !reg_field(reg, "type", "", true, msg) ||
	    !reg_field(reg, "version", "", true, msg))
		return false;
	for (i = 0; defaulted[i] != NULL; i++)
		if (json_string_value(json_object_get(reg, defaulted[i]))[0] == '\0')
			json_object_del(reg, defaulted[i]);
	if ((s = json_string_value(json_object_get(reg, "serviceId"))) != NULL &&
	    !lkupmap_id_ok(s)) {
		*msg = xasprintf("'serviceId' must be 1 to %d letters, digits or ._:@-: '%s'",
		    LKUPMAP_ID_MAX, s);
		return false;
	}
	if ((s = json_string_value(json_object_get(reg, "siteId"))) != NULL &&
	    !lkupmap_id_ok(s)) {
		*msg = xasprintf("'siteId' must be letters, digits or ._:@-: '%s'", s);
		return false;
	}
	if (!reg_validate_attrs(reg, "", msg) || (eps = reg_array(reg, "endpoints", "",
	    msg)) == NULL)
		return false;
	json_array_foreach(eps, i, ep)
		if (!reg_validate_endpoint(ep, i, msg))
			return false;
	return true;
}

/* Building from flags */

/* {"key":k,"value":v} of "k=v"; NULL with *msg if there is no '='. */
static json_t *
reg_kv(const char *arg, const char *what, char **msg)
{
	const char *eq = strchr(arg, '=');
	char *k;
	json_t *o;

	if (eq == NULL || eq == arg) {
		*msg = xasprintf("%s '%s' is not KEY=VALUE", what, arg);
		return NULL;
	}
	k = xasprintf("%.*s", (int)(eq - arg), arg);
	o = json_pack("{s:s,s:s}", "key", k, "value", eq + 1);
	free(k);
	return o;
}

static bool
reg_is_field(const char *p)
{
	static const char *const names[] = { "type=", "protocol=", "url=", "trust=",
	    "attr=", NULL };

	for (size_t i = 0; names[i] != NULL; i++)
		if (strncmp(p, names[i], strlen(names[i])) == 0)
			return true;
	return false;
}

/*
 * One --endpoint: comma-separated type=, protocol=, url=, trust=FILE,
 * attr=K=V; a comma not followed by one of these names belongs to the
 * value (URLs and attribute values may hold commas).
 */
static json_t *
reg_endpoint_arg(const char *arg, char **msg)
{
	json_t *ep = json_object(), *trust = json_array(), *attrs = json_array();
	const char *p = arg;

	json_object_set_new(ep, "sslTrust", trust);
	json_object_set_new(ep, "attributes", attrs);
	while (*p != '\0') {
		const char *end = p, *eq = strchr(p, '=');
		char *val;
		while ((end = strchr(end, ',')) != NULL && !reg_is_field(end + 1))
			end++;
		if (end == NULL)
			end = p + strlen(p);
		if (eq == NULL || eq > end || !reg_is_field(p)) {
			*msg = xasprintf("--endpoint '%s': expected type=, protocol=, url=, "
			    "trust= or attr= at '%.*s'", arg, (int)(end - p), p);
			goto fail;
		}
		val = xasprintf("%.*s", (int)(end - eq - 1), eq + 1);
		if (strncmp(p, "trust=", 6) == 0) {
			json_t *certs = reg_trust_file(val, msg);
			free(val);
			if (certs == NULL)
				goto fail;
			json_array_extend(trust, certs);
			json_decref(certs);
		} else if (strncmp(p, "attr=", 5) == 0) {
			json_t *kv = reg_kv(val, "--endpoint attr=", msg);
			free(val);
			if (kv == NULL)
				goto fail;
			json_array_append_new(attrs, kv);
		} else {
			char *key = xasprintf("%.*s", (int)(eq - p), p);
			json_object_set_new(ep, key, json_string(val));
			free(key);
			free(val);
		}
		p = *end == ',' ? end + 1 : end;
	}
	return ep;
fail:
	json_decref(ep);
	return NULL;
}

static json_t *
reg_spec_file(const char *path, char **msg)
{
	json_error_t e;
	json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &e);

	if (j == NULL)
		*msg = xasprintf("--spec %s: %s (line %d, column %d)", path, e.text, e.line,
		    e.column);
	else if (!json_is_object(j)) {
		*msg = xasprintf("--spec %s: not a JSON object", path);
		json_decref(j);
		j = NULL;
	}
	return j;
}

/* Sets the scalar members the flags give; *changed when one differs. */
static void
reg_set_scalars(const struct lstool_opts *o, json_t *reg, bool *changed)
{
	const struct { const char *key, *val; } v[] = {
		{ "serviceId", o->id }, { "name", o->name }, { "description", o->description },
		{ "product", o->product }, { "type", o->type }, { "version", o->version },
		{ "siteId", o->site }, { "nodeId", o->node_id }, { "ownerId", o->owner_id },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		if (v[i].val == NULL)
			continue;
		if (strcmp(reg_str(reg, v[i].key), v[i].val) != 0)
			*changed = true;
		json_object_set_new(reg, v[i].key, json_string(v[i].val));
	}
}

/* --attr k=v: sets k (replacing its value, or appended). */
static bool
reg_set_attrs(const struct lstool_opts *o, json_t *reg, bool *changed, char **msg)
{
	json_t *arr = json_object_get(reg, "attributes"), *a;
	size_t i, j;

	if (!json_is_array(arr))
		json_object_set_new(reg, "attributes", arr = json_array());
	for (i = 0; i < o->attrs.n; i++) {
		json_t *kv = reg_kv(o->attrs.v[i], "--attr", msg);
		bool found = false;
		if (kv == NULL)
			return false;
		json_array_foreach(arr, j, a) {
			if (strcmp(reg_str(a, "key"), reg_str(kv, "key")) != 0)
				continue;
			found = true;
			if (strcmp(reg_str(a, "value"), reg_str(kv, "value")) != 0) {
				json_object_set(a, "value", json_object_get(kv, "value"));
				*changed = true;
			}
		}
		if (!found) {
			json_array_append(arr, kv);
			*changed = true;
		}
		json_decref(kv);
	}
	return true;
}

static bool
reg_set_endpoints(const struct lstool_opts *o, json_t *reg, bool *changed, char **msg)
{
	json_t *eps;

	if (o->endpoints.n == 0)
		return true;
	eps = json_array();
	for (size_t i = 0; i < o->endpoints.n; i++) {
		json_t *ep = reg_endpoint_arg(o->endpoints.v[i], msg);
		if (ep == NULL) {
			json_decref(eps);
			return false;
		}
		json_array_append_new(eps, ep);
	}
	if (!json_equal(eps, json_object_get(reg, "endpoints")))
		*changed = true;
	json_object_set_new(reg, "endpoints", eps);
	return true;
}

json_t *
reg_from_flags(const struct lstool_opts *o, char **msg)
{
	json_t *reg;
	bool changed = false;

	if (o->spec != NULL) {
		if ((reg = reg_spec_file(o->spec, msg)) == NULL)
			return NULL;
	} else
		reg = json_object();
	reg_set_scalars(o, reg, &changed);
	if (!reg_set_attrs(o, reg, &changed, msg) ||
	    !reg_set_endpoints(o, reg, &changed, msg) || !reg_validate(reg, msg)) {
		json_decref(reg);
		return NULL;
	}
	return reg;
}

bool
reg_apply_flags(const struct lstool_opts *o, json_t *reg, bool *changed, char **msg)
{
	json_t *eps, *ep, *trust = NULL;
	size_t i;

	*changed = false;
	if (o->spec != NULL) {
		json_t *spec = reg_spec_file(o->spec, msg);
		if (spec == NULL)
			return false;
		json_object_del(spec, "serviceId");
		if (!json_equal(spec, reg))
			*changed = true;
		json_object_update(reg, spec);
		json_decref(spec);
	}
	reg_set_scalars(o, reg, changed);
	if (!reg_set_attrs(o, reg, changed, msg) || !reg_set_endpoints(o, reg, changed, msg))
		return false;
	if (o->trust != NULL && (trust = reg_trust_file(o->trust, msg)) == NULL)
		return false;
	eps = json_object_get(reg, "endpoints");
	json_array_foreach(eps, i, ep) {
		if (o->new_url != NULL && strcmp(reg_str(ep, "url"), o->new_url) != 0) {
			json_object_set_new(ep, "url", json_string(o->new_url));
			*changed = true;
		}
		if (trust != NULL && !json_equal(trust, json_object_get(ep, "sslTrust"))) {
			json_object_set_new(ep, "sslTrust", json_deep_copy(trust));
			*changed = true;
		}
	}
	json_decref(trust);
	return reg_validate(reg, msg);
}
