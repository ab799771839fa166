/*
 * schema_load.c: reads the schema files (RFC 4512 descriptions), builds
 * the attribute type and object class tables with their inherited
 * syntaxes, rules and MUST/MAY lists, and answers lookups by name or OID.
 */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "schema_int.h"

#define SCHEMA_MAX_DEPTH	64	/* longest SUP chain we follow */

static void
schema_at_free(struct schema_at *a)
{
	if (a == NULL)
		return;
	ldap_attributetype_free(a->lat);
	ldap_memfree(a->str);
	free(a);
}

static void
schema_oc_free(struct schema_oc *o)
{
	if (o == NULL)
		return;
	ldap_objectclass_free(o->loc);
	ldap_memfree(o->str);
	free(o->sups);
	free(o->def.must);
	free(o->def.may);
	free(o);
}

void
schema_free(struct schema *s)
{
	size_t	 i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nats; i++)
		schema_at_free(s->ats[i]);
	for (i = 0; i < s->nocs; i++)
		schema_oc_free(s->ocs[i]);
	free(s->ats);
	free(s->ocs);
	free(s->atkeys);
	free(s->ockeys);
	free(s);
}

static int
schema_push(void *arrp, size_t *n, void *item)
{
	void	***arr = arrp;
	void	 **p;

	if ((p = realloc(*arr, (*n + 1) * sizeof(*p))) == NULL)
		return -1;
	p[(*n)++] = item;
	*arr = p;
	return 0;
}

static bool
schema_ext_true(LDAPSchemaExtensionItem **ext, const char *name)
{
	for (; ext != NULL && *ext != NULL; ext++)
		if (strcasecmp((*ext)->lsei_name, name) == 0 &&
		    (*ext)->lsei_values != NULL &&
		    (*ext)->lsei_values[0] != NULL &&
		    strcasecmp((*ext)->lsei_values[0], "TRUE") == 0)
			return true;
	return false;
}

static int
schema_parse_at(struct schema *s, const char *text, const char *where,
    struct diag *d)
{
	LDAPAttributeType	*lat;
	struct schema_at	*a;
	const char		*err;
	int			 code;

	lat = ldap_str2attributetype(text, &code, &err, LDAP_SCHEMA_ALLOW_ALL);
	if (lat == NULL)
		return diag_set(d, LDAP_OTHER, "%s: %s near '%.20s'", where,
		    ldap_scherr2str(code), err ? err : "");
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		ldap_attributetype_free(lat);
		return diag_set(d, LDAP_NO_MEMORY, "out of memory");
	}
	a->lat = lat;
	a->def.oid = lat->at_oid;
	if (lat->at_names != NULL && lat->at_names[0] != NULL)
		a->def.names = lat->at_names;
	else {
		a->noname[0] = lat->at_oid;
		a->def.names = a->noname;
	}
	a->def.single_value = lat->at_single_value != 0;
	a->def.no_user_mod = lat->at_no_user_mod != 0;
	a->def.operational = lat->at_usage != LDAP_SCHEMA_USER_APPLICATIONS;
	a->def.private = schema_ext_true(lat->at_extensions, "X-PRIVATE");
	a->def.local_only = schema_ext_true(lat->at_extensions, "X-LOCAL");
	if ((a->str = ldap_attributetype2str(lat)) == NULL ||
	    schema_push(&s->ats, &s->nats, a) == -1) {
		schema_at_free(a);
		return diag_set(d, LDAP_NO_MEMORY, "out of memory");
	}
	return LDAP_SUCCESS;
}

static int
schema_parse_oc(struct schema *s, const char *text, const char *where,
    struct diag *d)
{
	static char		*nosup[] = { NULL };
	LDAPObjectClass		*loc;
	struct schema_oc	*o;
	const char		*err;
	int			 code;

	loc = ldap_str2objectclass(text, &code, &err, LDAP_SCHEMA_ALLOW_ALL);
	if (loc == NULL)
		return diag_set(d, LDAP_OTHER, "%s: %s near '%.20s'", where,
		    ldap_scherr2str(code), err ? err : "");
	if ((o = calloc(1, sizeof(*o))) == NULL) {
		ldap_objectclass_free(loc);
		return diag_set(d, LDAP_NO_MEMORY, "out of memory");
	}
	o->loc = loc;
	o->def.oid = loc->oc_oid;
	if (loc->oc_names != NULL && loc->oc_names[0] != NULL)
		o->def.names = loc->oc_names;
	else {
		o->noname[0] = loc->oc_oid;
		o->def.names = o->noname;
	}
	o->def.sup = loc->oc_sup_oids != NULL ? loc->oc_sup_oids : nosup;
	switch (loc->oc_kind) {
	case LDAP_SCHEMA_ABSTRACT:
		o->def.kind = OC_ABSTRACT;
		break;
	case LDAP_SCHEMA_AUXILIARY:
		o->def.kind = OC_AUXILIARY;
		break;
	default:
		o->def.kind = OC_STRUCTURAL;
		break;
	}
	if ((o->str = ldap_objectclass2str(loc)) == NULL ||
	    schema_push(&s->ocs, &s->nocs, o) == -1) {
		schema_oc_free(o);
		return diag_set(d, LDAP_NO_MEMORY, "out of memory");
	}
	return LDAP_SUCCESS;
}

/* One logical line "attributetypes: ( ... )" of a schema file. */
static int
schema_parse_line(struct schema *s, char *line, const char *where,
    struct diag *d)
{
	char	*colon, *key, *val, *end;

	if ((colon = strchr(line, ':')) == NULL)
		return diag_set(d, LDAP_OTHER, "%s: missing ':'", where);
	*colon = '\0';
	key = line;
	for (end = colon; end > key && isspace((unsigned char)end[-1]); end--)
		end[-1] = '\0';
	val = colon + 1;
	while (isspace((unsigned char)*val))
		val++;
	for (end = val + strlen(val); end > val &&
	    isspace((unsigned char)end[-1]); end--)
		end[-1] = '\0';
	if (strcasecmp(key, "attributetypes") == 0 ||
	    strcasecmp(key, "attributetype") == 0)
		return schema_parse_at(s, val, where, d);
	if (strcasecmp(key, "objectclasses") == 0 ||
	    strcasecmp(key, "objectclass") == 0)
		return schema_parse_oc(s, val, where, d);
	return diag_set(d, LDAP_OTHER, "%s: unknown keyword '%s'", where, key);
}

struct schema_buf {
	char	*p;
	size_t	 len, cap;
};

static int
schema_buf_add(struct schema_buf *b, const char *str, size_t len)
{
	char	*p;
	size_t	 cap;

	if (b->len + len + 1 > b->cap) {
		cap = (b->len + len + 1) * 2;
		if ((p = realloc(b->p, cap)) == NULL)
			return -1;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, str, len);
	b->len += len;
	b->p[b->len] = '\0';
	return 0;
}

static int
schema_flush(struct schema *s, struct schema_buf *b, const char *path,
    int lineno, struct diag *d)
{
	char	 where[512];
	int	 rc;

	if (b->len == 0)
		return LDAP_SUCCESS;
	snprintf(where, sizeof(where), "%s:%d", path, lineno);
	rc = schema_parse_line(s, b->p, where, d);
	b->len = 0;
	return rc;
}

/*
 * Blank lines end a description, '#' lines are comments, lines starting
 * with white space continue the previous one.
 */
static int
schema_load_file(struct schema *s, const char *path, struct diag *d)
{
	FILE			*fp;
	struct schema_buf	 b = { NULL, 0, 0 };
	char			*line = NULL, *p;
	size_t			 cap = 0, n;
	ssize_t			 len;
	int			 lineno = 0, start = 0, rc = LDAP_SUCCESS;

	if ((fp = fopen(path, "r")) == NULL)
		return diag_set(d, LDAP_OTHER, "%s: cannot open", path);
	while (rc == LDAP_SUCCESS && (len = getline(&line, &cap, fp)) != -1) {
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (line[0] == '#')
			continue;
		if (line[0] == ' ' || line[0] == '\t') {
			for (p = line; isspace((unsigned char)*p); p++)
				;
			if (*p == '\0') {
				rc = schema_flush(s, &b, path, start, d);
				continue;
			}
			if (b.len == 0) {
				rc = diag_set(d, LDAP_OTHER,
				    "%s:%d: continuation without a description",
				    path, lineno);
				break;
			}
			n = strlen(p);
			if (schema_buf_add(&b, " ", 1) == -1 ||
			    schema_buf_add(&b, p, n) == -1)
				rc = diag_set(d, LDAP_NO_MEMORY, "out of memory");
			continue;
		}
		if ((rc = schema_flush(s, &b, path, start, d)) != LDAP_SUCCESS)
			break;
		start = lineno;
		if (len > 0 && schema_buf_add(&b, line, (size_t)len) == -1)
			rc = diag_set(d, LDAP_NO_MEMORY, "out of memory");
	}
	if (rc == LDAP_SUCCESS)
		rc = schema_flush(s, &b, path, start, d);
	free(line);
	free(b.p);
	fclose(fp);
	return rc;
}

static int
schema_key_cmp(const void *a, const void *b)
{
	const struct schema_key *ka = a, *kb = b;

	return strcasecmp(ka->key, kb->key);
}

static int
schema_key_add(struct schema_key **keys, size_t *n, size_t *cap,
    const char *key, void *def)
{
	struct schema_key	*p;

	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		if ((p = realloc(*keys, *cap * sizeof(*p))) == NULL)
			return -1;
		*keys = p;
	}
	(*keys)[*n].key = key;
	(*keys)[(*n)++].def = def;
	return 0;
}

static int
schema_index(struct schema *s, struct diag *d)
{
	char		**n;
	size_t		  i, cap = 0;

	for (i = 0; i < s->nats; i++) {
		if (schema_key_add(&s->atkeys, &s->natkeys, &cap,
		    s->ats[i]->def.oid, s->ats[i]) == -1)
			return diag_set(d, LDAP_NO_MEMORY, "out of memory");
		for (n = s->ats[i]->lat->at_names; n != NULL && *n; n++)
			if (schema_key_add(&s->atkeys, &s->natkeys, &cap, *n,
			    s->ats[i]) == -1)
				return diag_set(d, LDAP_NO_MEMORY,
				    "out of memory");
	}
	cap = 0;
	for (i = 0; i < s->nocs; i++) {
		if (schema_key_add(&s->ockeys, &s->nockeys, &cap,
		    s->ocs[i]->def.oid, s->ocs[i]) == -1)
			return diag_set(d, LDAP_NO_MEMORY, "out of memory");
		for (n = s->ocs[i]->loc->oc_names; n != NULL && *n; n++)
			if (schema_key_add(&s->ockeys, &s->nockeys, &cap, *n,
			    s->ocs[i]) == -1)
				return diag_set(d, LDAP_NO_MEMORY,
				    "out of memory");
	}
	if (s->natkeys > 0)
		qsort(s->atkeys, s->natkeys, sizeof(*s->atkeys), schema_key_cmp);
	if (s->nockeys > 0)
		qsort(s->ockeys, s->nockeys, sizeof(*s->ockeys), schema_key_cmp);
	for (i = 1; i < s->natkeys; i++)
		if (strcasecmp(s->atkeys[i - 1].key, s->atkeys[i].key) == 0)
			return diag_set(d, LDAP_OTHER,
			    "attribute type '%s' defined twice", s->atkeys[i].key);
	for (i = 1; i < s->nockeys; i++)
		if (strcasecmp(s->ockeys[i - 1].key, s->ockeys[i].key) == 0)
			return diag_set(d, LDAP_OTHER,
			    "object class '%s' defined twice", s->ockeys[i].key);
	return LDAP_SUCCESS;
}

void *
schema_key_find(const struct schema_key *keys, size_t n, const char *name)
{
	struct schema_key	 k, *found;

	if (n == 0)
		return NULL;
	k.key = name;
	found = bsearch(&k, keys, n, sizeof(*keys), schema_key_cmp);
	return found ? found->def : NULL;
}

/* Inherits syntax and matching rules from the SUP chain (RFC 4512 2.5.1). */
static int
schema_resolve_at(struct schema *s, struct schema_at *a, int depth,
    struct diag *d)
{
	LDAPAttributeType	*lat = a->lat;
	struct schema_at	*sup;
	int			 rc;

	if (a->state == 2)
		return LDAP_SUCCESS;
	if (a->state == 1 || depth > SCHEMA_MAX_DEPTH)
		return diag_set(d, LDAP_OTHER,
		    "attribute type '%s': SUP loop", a->def.names[0]);
	a->state = 1;
	a->def.syntax = lat->at_syntax_oid;
	a->def.equality = lat->at_equality_oid;
	a->def.ordering = lat->at_ordering_oid;
	a->def.substr = lat->at_substr_oid;
	if (lat->at_sup_oid != NULL) {
		sup = schema_key_find(s->atkeys, s->natkeys, lat->at_sup_oid);
		if (sup == NULL)
			return diag_set(d, LDAP_OTHER,
			    "attribute type '%s': SUP '%s' undefined",
			    a->def.names[0], lat->at_sup_oid);
		if ((rc = schema_resolve_at(s, sup, depth + 1, d)) != 0)
			return rc;
		a->def.sup = &sup->def;
		if (a->def.syntax == NULL)
			a->def.syntax = sup->def.syntax;
		if (a->def.equality == NULL)
			a->def.equality = sup->def.equality;
		if (a->def.ordering == NULL)
			a->def.ordering = sup->def.ordering;
		if (a->def.substr == NULL)
			a->def.substr = sup->def.substr;
	}
	if (a->def.syntax == NULL)
		return diag_set(d, LDAP_OTHER, "attribute type '%s' has no syntax",
		    a->def.names[0]);
	a->eq = schema_rule_find(a->def.equality);
	a->syn = schema_syntax_find(a->def.syntax);
	a->state = 2;
	return LDAP_SUCCESS;
}

/* Adds at to the NULL-terminated list unless it is there already. */
static int
schema_list_add(const struct at_def ***list, size_t *n, const struct at_def *at)
{
	const struct at_def	**p;
	size_t			  i;

	for (i = 0; i < *n; i++)
		if ((*list)[i] == at)
			return 0;
	if ((p = realloc(*list, (*n + 2) * sizeof(*p))) == NULL)
		return -1;
	p[(*n)++] = at;
	p[*n] = NULL;
	*list = p;
	return 0;
}

static int
schema_list_merge(const struct at_def ***list, size_t *n,
    const struct at_def **from)
{
	for (; from != NULL && *from != NULL; from++)
		if (schema_list_add(list, n, *from) == -1)
			return -1;
	return 0;
}

static int
schema_list_names(struct schema *s, struct schema_oc *o,
    const struct at_def ***list, size_t *n, char **names, struct diag *d)
{
	struct schema_at	*a;

	for (; names != NULL && *names != NULL; names++) {
		a = schema_key_find(s->atkeys, s->natkeys, *names);
		if (a == NULL)
			return diag_set(d, LDAP_OTHER,
			    "object class '%s': attribute '%s' undefined",
			    o->def.names[0], *names);
		if (schema_list_add(list, n, &a->def) == -1)
			return diag_set(d, LDAP_NO_MEMORY, "out of memory");
	}
	return LDAP_SUCCESS;
}

/* Computes the full MUST and MAY lists, superclasses' included. */
static int
schema_resolve_oc(struct schema *s, struct schema_oc *o, int depth,
    struct diag *d)
{
	struct schema_oc	*sup;
	char			**n;
	size_t			  nmust = 0, nmay = 0;
	int			  rc;

	if (o->state == 2)
		return LDAP_SUCCESS;
	if (o->state == 1 || depth > SCHEMA_MAX_DEPTH)
		return diag_set(d, LDAP_OTHER, "object class '%s': SUP loop",
		    o->def.names[0]);
	o->state = 1;
	for (n = o->def.sup; *n != NULL; n++) {
		if ((sup = schema_key_find(s->ockeys, s->nockeys, *n)) == NULL)
			return diag_set(d, LDAP_OTHER,
			    "object class '%s': SUP '%s' undefined",
			    o->def.names[0], *n);
		if ((rc = schema_resolve_oc(s, sup, depth + 1, d)) != 0)
			return rc;
		if (schema_push(&o->sups, &o->nsups, sup) == -1 ||
		    schema_list_merge(&o->def.must, &nmust, sup->def.must) ||
		    schema_list_merge(&o->def.may, &nmay, sup->def.may))
			return diag_set(d, LDAP_NO_MEMORY, "out of memory");
	}
	if ((rc = schema_list_names(s, o, &o->def.must, &nmust,
	    o->loc->oc_at_oids_must, d)) != LDAP_SUCCESS ||
	    (rc = schema_list_names(s, o, &o->def.may, &nmay,
	    o->loc->oc_at_oids_may, d)) != LDAP_SUCCESS)
		return rc;
	/* Callers walk the lists without checking for NULL. */
	if ((nmust == 0 && (o->def.must = calloc(1, sizeof(*o->def.must))) ==
	    NULL) || (nmay == 0 && (o->def.may = calloc(1,
	    sizeof(*o->def.may))) == NULL))
		return diag_set(d, LDAP_NO_MEMORY, "out of memory");
	o->state = 2;
	return LDAP_SUCCESS;
}

static int
schema_file_filter(const struct dirent *de)
{
	size_t	 len = strlen(de->d_name);

	return de->d_name[0] != '.' && len > 7 &&
	    strcmp(de->d_name + len - 7, ".schema") == 0;
}

int
schema_load(const char *dir, struct schema **out, struct diag *d)
{
	struct schema	 *s;
	struct dirent	**list = NULL;
	char		  path[4096];
	int		  i, n, rc = LDAP_SUCCESS;
	size_t		  k;

	*out = NULL;
	if ((n = scandir(dir, &list, schema_file_filter, alphasort)) == -1)
		return diag_set(d, LDAP_OTHER, "%s: cannot read directory", dir);
	if ((s = calloc(1, sizeof(*s))) == NULL)
		rc = diag_set(d, LDAP_NO_MEMORY, "out of memory");
	for (i = 0; i < n; i++) {
		if (rc == LDAP_SUCCESS) {
			snprintf(path, sizeof(path), "%s/%s", dir,
			    list[i]->d_name);
			rc = schema_load_file(s, path, d);
		}
		free(list[i]);
	}
	free(list);
	if (rc == LDAP_SUCCESS && n == 0)
		rc = diag_set(d, LDAP_OTHER, "%s: no schema files", dir);
	if (rc == LDAP_SUCCESS)
		rc = schema_index(s, d);
	for (k = 0; rc == LDAP_SUCCESS && k < s->nats; k++)
		rc = schema_resolve_at(s, s->ats[k], 0, d);
	for (k = 0; rc == LDAP_SUCCESS && k < s->nocs; k++)
		rc = schema_resolve_oc(s, s->ocs[k], 0, d);
	if (rc == LDAP_SUCCESS && schema_at(s, "objectClass") == NULL)
		rc = diag_set(d, LDAP_OTHER, "attribute type 'objectClass' "
		    "undefined");
	if (rc != LDAP_SUCCESS) {
		schema_free(s);
		return rc;
	}
	*out = s;
	return LDAP_SUCCESS;
}

/* Lookups ignore attribute options ("userCertificate;binary"). */
const struct at_def *
schema_at(const struct schema *s, const char *name)
{
	struct schema_at	*a;
	char			 buf[256];
	const char		*semi;

	if (s == NULL || name == NULL)
		return NULL;
	if ((semi = strchr(name, ';')) != NULL) {
		if ((size_t)(semi - name) >= sizeof(buf))
			return NULL;
		memcpy(buf, name, semi - name);
		buf[semi - name] = '\0';
		name = buf;
	}
	a = schema_key_find(s->atkeys, s->natkeys, name);
	return a ? &a->def : NULL;
}

const struct oc_def *
schema_oc(const struct schema *s, const char *name)
{
	struct schema_oc	*o;

	if (s == NULL || name == NULL)
		return NULL;
	o = schema_key_find(s->ockeys, s->nockeys, name);
	return o ? &o->def : NULL;
}
