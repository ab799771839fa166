/*
 * entry_codec.c: the binary form entries are stored in.
 *
 * Version 2 (written), lengths and numbers as unsigned LEB128 varints:
 *   magic 'T' version 2
 *   dn (len, bytes), ndn flag (0: ndn (len, bytes) follows; 1: ndn is
 *   the dn in ASCII lower case), nattrs
 *   per attribute: name (len, bytes), nvals, values
 *   a value: (len, bytes); but attributeMetaData values start with a
 *   byte: 0, then (len, bytes) as given; or 1 (packed), then attr (len,
 *   bytes), localUSN, version, origUSN, the invocationId and the time.
 *   Each of the last two is a byte: the index of an earlier packed value
 *   of this attribute holding the same, or META_NEW followed by the
 *   invocationId as 16 bytes or the time as YYYYMMDDHHMMSS and mmm.
 *   Only values that format back to exactly the same text are packed,
 *   so decoding returns every value byte for byte.
 * Version 1 (read only): the same layout without packing, every length
 * and count a little-endian uint32, ndn always present.
 * The id is not stored: it is the storage key.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vmdir.h"

#define CODEC_MAGIC	'T'
#define CODEC_V1	1
#define CODEC_V2	2

#define META_PACKED	1
#define META_NEW	0xff
#define META_TABLE	64	/* distinct ids and times remembered */

/* ---------------------------------------------------------------- writing */

struct codec_buf {
	unsigned char	*p;
	size_t		 len, cap;
	bool		 failed;
};

static void
codec_reserve(struct codec_buf *b, size_t n)
{
	unsigned char *np;
	size_t cap;

	if (b->failed || b->len + n <= b->cap)
		return;
	if (n > SIZE_MAX / 2 - b->len) {
		b->failed = true;
		return;
	}
	cap = b->cap == 0 ? 512 : b->cap;
	while (cap < b->len + n)
		cap *= 2;
	if ((np = realloc(b->p, cap)) == NULL) {
		b->failed = true;
		return;
	}
	b->p = np;
	b->cap = cap;
}

static void
codec_put_byte(struct codec_buf *b, unsigned char c)
{
	codec_reserve(b, 1);
	if (!b->failed)
		b->p[b->len++] = c;
}

static void
codec_put_uv(struct codec_buf *b, uint64_t v)
{
	codec_reserve(b, 10);
	if (b->failed)
		return;
	do {
		unsigned char c = v & 0x7f;
		v >>= 7;
		b->p[b->len++] = c | (v != 0 ? 0x80 : 0);
	} while (v != 0);
}

static void
codec_put_raw(struct codec_buf *b, const void *s, size_t len)
{
	codec_reserve(b, len);
	if (!b->failed && len > 0) {
		memcpy(b->p + b->len, s, len);
		b->len += len;
	}
}

static void
codec_put_bytes(struct codec_buf *b, const void *s, size_t len)
{
	codec_put_uv(b, len);
	codec_put_raw(b, s, len);
}

static int
codec_hex(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The distinct invocationIds and times of the attribute's packed values
 * so far, in order of first appearance. */
struct codec_meta_ctx {
	size_t		ninv, ntime;
	char		inv[META_TABLE][37];
	char		time[META_TABLE][19];
};

/* Remembers s (width bytes) in tab while there is room. */
static void
codec_table_keep(char *tab, size_t *n, size_t width, const char *s)
{
	if (*n < META_TABLE)
		memcpy(tab + (*n)++ * width, s, width);
}

/* Index of s in tab (n entries of width bytes), or META_NEW after keeping
 * it (a value past the table's end stays META_NEW: written out in full). */
static unsigned char
codec_table_ref(char *tab, size_t *n, size_t width, const char *s)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp(tab + i * width, s) == 0)
			return (unsigned char)i;
	codec_table_keep(tab, n, width, s);
	return META_NEW;
}

/* One attributeMetaData value, packed when it formats back exactly. */
static void
codec_put_meta(struct codec_buf *b, const struct berval *v, struct codec_meta_ctx *ctx)
{
	struct attr_meta m;
	char text[META_MAX];
	unsigned char uuid[16], iref, tref;

	if (meta_parse(v->bv_val, v->bv_len, &m) != LDAP_SUCCESS)
		goto raw;
	meta_format(&m, text, sizeof(text));
	if (strlen(text) != v->bv_len || memcmp(text, v->bv_val, v->bv_len) != 0)
		goto raw;
	/* the canonical uuid text is lowercase hex with dashes at 8/13/18/23 */
	for (size_t i = 0, k = 0; i < 36; i++) {
		if (m.orig_invocation[i] == '-')
			continue;
		int hi = codec_hex(m.orig_invocation[i]), lo = codec_hex(m.orig_invocation[i + 1]);
		if (hi < 0 || lo < 0)
			goto raw;
		uuid[k++] = (unsigned char)(hi << 4 | lo);
		i++;
	}
	iref = codec_table_ref(&ctx->inv[0][0], &ctx->ninv, sizeof(ctx->inv[0]),
	    m.orig_invocation);
	tref = codec_table_ref(&ctx->time[0][0], &ctx->ntime, sizeof(ctx->time[0]),
	    m.orig_time);
	codec_put_byte(b, META_PACKED);
	codec_put_bytes(b, m.attr, strlen(m.attr));
	codec_put_uv(b, m.local_usn);
	codec_put_uv(b, m.version);
	codec_put_uv(b, m.orig_usn);
	codec_put_byte(b, iref);
	if (iref == META_NEW)
		codec_put_raw(b, uuid, sizeof(uuid));
	codec_put_byte(b, tref);
	if (tref == META_NEW) {
		/* YYYYMMDDHHMMSS.mmm, digits checked by meta_parse */
		codec_put_uv(b, strtoull(m.orig_time, NULL, 10));
		codec_put_uv(b, strtoull(m.orig_time + 15, NULL, 10));
	}
	return;
raw:
	codec_put_byte(b, 0);
	codec_put_bytes(b, v->bv_val, v->bv_len);
}

static bool
codec_ndn_is_lower_dn(const char *dn, const char *ndn)
{
	for (; *dn != '\0' && *ndn != '\0'; dn++, ndn++) {
		char c = *dn >= 'A' && *dn <= 'Z' ? (char)(*dn - 'A' + 'a') : *dn;
		if (c != *ndn)
			return false;
	}
	return *dn == *ndn;
}

int
entry_encode(const struct entry *e, void **buf, size_t *len)
{
	struct codec_buf b = { 0 };
	const char *ndn = e->ndn != NULL ? e->ndn : "";

	*buf = NULL;
	*len = 0;
	codec_put_byte(&b, CODEC_MAGIC);
	codec_put_byte(&b, CODEC_V2);
	codec_put_bytes(&b, e->dn, strlen(e->dn));
	if (codec_ndn_is_lower_dn(e->dn, ndn))
		codec_put_byte(&b, 1);
	else {
		codec_put_byte(&b, 0);
		codec_put_bytes(&b, ndn, strlen(ndn));
	}
	codec_put_uv(&b, e->nattrs);
	for (size_t i = 0; i < e->nattrs; i++) {
		const struct attr *a = &e->attrs[i];
		bool meta = strcasecmp(a->name, "attributeMetaData") == 0;
		struct codec_meta_ctx ctx = { 0 };

		codec_put_bytes(&b, a->name, strlen(a->name));
		codec_put_uv(&b, a->nvals);
		for (size_t j = 0; j < a->nvals; j++) {
			if (meta)
				codec_put_meta(&b, &a->vals[j], &ctx);
			else
				codec_put_bytes(&b, a->vals[j].bv_val, a->vals[j].bv_len);
		}
	}
	if (b.failed) {
		free(b.p);
		return LDAP_OTHER;
	}
	*buf = b.p;
	*len = b.len;
	return LDAP_SUCCESS;
}

/* ---------------------------------------------------------------- reading */

struct codec_rd {
	const unsigned char	*p;
	size_t			 left;
	int			 version;
};

static int
codec_get_byte(struct codec_rd *r, unsigned char *c)
{
	if (r->left < 1)
		return -1;
	*c = *r->p++;
	r->left--;
	return 0;
}

/* A length or count: a uint32 in version 1, a varint in version 2. */
static int
codec_get_uv(struct codec_rd *r, uint64_t *v)
{
	if (r->version == CODEC_V1) {
		if (r->left < 4)
			return -1;
		*v = (uint64_t)r->p[0] | (uint64_t)r->p[1] << 8 | (uint64_t)r->p[2] << 16 |
		    (uint64_t)r->p[3] << 24;
		r->p += 4;
		r->left -= 4;
		return 0;
	}
	*v = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		unsigned char c;
		if (codec_get_byte(r, &c) == -1)
			return -1;
		if (shift == 63 && (c & 0x7e) != 0)
			return -1;	/* over 64 bits */
		*v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return 0;
	}
	return -1;
}

/* Fills bv with a NUL-terminated malloc'd copy; text may not hold a NUL. */
static int
codec_take(struct codec_rd *r, size_t len, struct berval *bv, bool text)
{
	if (len > r->left || (text && memchr(r->p, '\0', len) != NULL))
		return -1;
	if ((bv->bv_val = malloc(len + 1)) == NULL)
		return -1;
	memcpy(bv->bv_val, r->p, len);
	bv->bv_val[len] = '\0';
	bv->bv_len = len;
	r->p += len;
	r->left -= len;
	return 0;
}

static int
codec_get_bytes(struct codec_rd *r, struct berval *bv, bool text)
{
	uint64_t len;

	if (codec_get_uv(r, &len) == -1 || len > r->left)
		return -1;
	return codec_take(r, (size_t)len, bv, text);
}

/* A table reference of a packed value: an earlier entry, or a new one
 * (read by the caller into *slot, then remembered when there is room). */
static int
codec_table_get(struct codec_rd *r, char *tab, size_t *n, size_t width, char **slot,
    bool *fresh)
{
	unsigned char ref;

	if (codec_get_byte(r, &ref) == -1)
		return -1;
	*fresh = ref == META_NEW;
	if (!*fresh) {
		if (ref >= *n)
			return -1;
		*slot = tab + ref * width;
	}
	return 0;
}

/* One packed attributeMetaData value into *m; a value stored as text
 * (flag 0) goes to *raw instead (owned, bv_val non-NULL). */
static int
codec_read_meta(struct codec_rd *r, struct codec_meta_ctx *ctx, struct attr_meta *m,
    struct berval *raw)
{
	static const char hex[] = "0123456789abcdef";
	struct berval name;
	unsigned char flags;
	uint64_t stamp, ms;
	char *known = NULL;
	bool fresh;

	raw->bv_val = NULL;
	if (codec_get_byte(r, &flags) == -1)
		return -1;
	if (flags == 0)
		return codec_get_bytes(r, raw, false);
	if (flags != META_PACKED || codec_get_bytes(r, &name, true) == -1)
		return -1;
	if (name.bv_len == 0 || name.bv_len >= sizeof(m->attr)) {
		free(name.bv_val);
		return -1;
	}
	memcpy(m->attr, name.bv_val, name.bv_len + 1);
	free(name.bv_val);
	if (codec_get_uv(r, &m->local_usn) == -1 || codec_get_uv(r, &m->version) == -1 ||
	    codec_get_uv(r, &m->orig_usn) == -1)
		return -1;
	if (codec_table_get(r, &ctx->inv[0][0], &ctx->ninv, sizeof(ctx->inv[0]), &known,
	    &fresh) == -1)
		return -1;
	if (!fresh)
		memcpy(m->orig_invocation, known, sizeof(m->orig_invocation));
	else {
		if (r->left < 16)
			return -1;
		for (size_t i = 0, k = 0; k < 16; k++) {
			if (i == 8 || i == 13 || i == 18 || i == 23)
				m->orig_invocation[i++] = '-';
			m->orig_invocation[i++] = hex[r->p[k] >> 4];
			m->orig_invocation[i++] = hex[r->p[k] & 0xf];
		}
		m->orig_invocation[36] = '\0';
		r->p += 16;
		r->left -= 16;
		codec_table_keep(&ctx->inv[0][0], &ctx->ninv, sizeof(ctx->inv[0]),
		    m->orig_invocation);
	}
	if (codec_table_get(r, &ctx->time[0][0], &ctx->ntime, sizeof(ctx->time[0]), &known,
	    &fresh) == -1)
		return -1;
	if (!fresh)
		memcpy(m->orig_time, known, sizeof(m->orig_time));
	else {
		if (codec_get_uv(r, &stamp) == -1 || codec_get_uv(r, &ms) == -1 ||
		    stamp > 99999999999999ULL || ms > 999)
			return -1;
		snprintf(m->orig_time, sizeof(m->orig_time), "%014" PRIu64 ".%03" PRIu64,
		    stamp, ms);
		codec_table_keep(&ctx->time[0][0], &ctx->ntime, sizeof(ctx->time[0]),
		    m->orig_time);
	}
	return 0;
}

/* One packed attributeMetaData value back into its text. */
static int
codec_get_meta(struct codec_rd *r, struct berval *bv, struct codec_meta_ctx *ctx)
{
	struct attr_meta m;
	char text[META_MAX];

	if (codec_read_meta(r, ctx, &m, bv) == -1)
		return -1;
	if (bv->bv_val != NULL)
		return 0;
	meta_format(&m, text, sizeof(text));
	bv->bv_len = strlen(text);
	return (bv->bv_val = strdup(text)) != NULL ? 0 : -1;
}

/* Reads past the values of an attributeMetaData attribute (after its
 * name), checking them as codec_get_attr would, keeping nothing. */
static int
codec_skip_meta(struct codec_rd *r)
{
	struct codec_meta_ctx ctx = { 0 };
	struct attr_meta m;
	struct berval raw;
	uint64_t n;

	if (codec_get_uv(r, &n) == -1 || n == 0 || n > r->left)
		return -1;
	for (uint64_t i = 0; i < n; i++) {
		if (codec_read_meta(r, &ctx, &m, &raw) == -1)
			return -1;
		free(raw.bv_val);
	}
	return 0;
}

static int
codec_get_attr(struct codec_rd *r, struct attr *a, int flags)
{
	struct codec_meta_ctx ctx = { 0 };
	struct berval name;
	uint64_t n;
	bool meta;

	if (codec_get_bytes(r, &name, true) == -1)
		return -1;
	a->name = name.bv_val;
	if (name.bv_len == 0)
		return -1;
	meta = r->version == CODEC_V2 && strcasecmp(a->name, "attributeMetaData") == 0;
	if (meta && (flags & ENTRY_DECODE_NO_META)) {
		free(a->name);
		a->name = NULL;
		return codec_skip_meta(r) == 0 ? 1 : -1;
	}
	/* every value takes at least one byte (four in version 1) */
	if (codec_get_uv(r, &n) == -1 || n == 0 ||
	    n > r->left / (r->version == CODEC_V1 ? 4 : 1))
		return -1;
	if ((a->vals = calloc((size_t)n, sizeof(*a->vals))) == NULL)
		return -1;
	while (a->nvals < n) {
		if ((meta ? codec_get_meta(r, &a->vals[a->nvals], &ctx) :
		    codec_get_bytes(r, &a->vals[a->nvals], false)) == -1)
			return -1;
		a->nvals++;
	}
	return 0;
}

struct entry *
entry_decode(const void *buf, size_t len)
{
	return entry_decode_flags(buf, len, 0);
}

struct entry *
entry_decode_flags(const void *buf, size_t len, int flags)
{
	struct codec_rd r = { buf, len, 0 };
	struct entry *e;
	struct berval dn, ndn;
	unsigned char flag = 0;
	uint64_t n;

	if (buf == NULL || len < 2 || r.p[0] != CODEC_MAGIC ||
	    (r.p[1] != CODEC_V1 && r.p[1] != CODEC_V2))
		return NULL;
	r.version = r.p[1];
	r.p += 2;
	r.left -= 2;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	if (codec_get_bytes(&r, &dn, true) == -1)
		goto fail;
	e->dn = dn.bv_val;
	if (r.version == CODEC_V2 && codec_get_byte(&r, &flag) == -1)
		goto fail;
	if (flag == 1) {
		if ((e->ndn = strdup(e->dn)) == NULL)
			goto fail;
		for (char *p = e->ndn; *p != '\0'; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
	} else if (flag != 0 || codec_get_bytes(&r, &ndn, true) == -1)
		goto fail;
	else
		e->ndn = ndn.bv_val;
	/* an attribute takes at least 3 bytes (12 in version 1) */
	if (codec_get_uv(&r, &n) == -1 || n > r.left / (r.version == CODEC_V1 ? 12 : 3))
		goto fail;
	if (n > 0 && (e->attrs = calloc((size_t)n, sizeof(*e->attrs))) == NULL)
		goto fail;
	for (uint64_t i = 0; i < n; i++) {
		int got;
		e->nattrs++;
		if ((got = codec_get_attr(&r, &e->attrs[e->nattrs - 1], flags)) == -1)
			goto fail;
		if (got == 1)
			e->nattrs--;	/* skipped */
	}
	if (r.left != 0)
		goto fail;
	return e;
fail:
	entry_free(e);
	return NULL;
}
