/*
 * vecsd_record.c: the stored form of stores and entries. Each record is a
 * message of the socket's codec (vecs_codec.h) whose code names the
 * record kind, so one strict decoder serves both; pure.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "vecs/vecsd.h"

#define REC_STORE	0x53544f31u	/* "STO1" */
#define REC_ENTRY	0x454e5431u	/* "ENT1" */

char *
vecsd_record_key(const char *name)
{
	char *k = strdup(name);

	for (char *p = k; p != NULL && *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p += 'a' - 'A';
	return k;
}

int
vecsd_record_store_encode(const struct vecsd_store *s, struct vecs_buf *b)
{
	vecs_buf_init(b, REC_STORE);
	vecs_buf_add_str(b, s->name);
	vecs_buf_add_u32(b, (uint32_t)s->owner);
	for (size_t i = 0; i < s->ngrants; i++) {
		vecs_buf_add_u32(b, (uint32_t)s->grants[i].uid);
		vecs_buf_add_u32(b, s->grants[i].rights);
	}
	return vecs_buf_finish(b, SIZE_MAX) == 0 ? 0 : VECS_ERR_NO_MEMORY;
}

int
vecsd_record_store_decode(const uint8_t *p, size_t len, struct vecsd_store **sp)
{
	struct vecs_msg m;
	struct vecsd_store *s;
	uint32_t v;
	int rc = VECS_ERR_INTERNAL;

	*sp = NULL;
	if (vecs_msg_decode(p, len, &m) != 0)
		return VECS_ERR_INTERNAL;
	if (m.code != REC_STORE || m.n < 2 || m.n % 2 != 0 ||
	    (s = calloc(1, sizeof(*s))) == NULL)
		goto out;
	s->ngrants = (m.n - 2) / 2;
	if ((s->name = vecs_msg_str(&m, 0)) == NULL || !vecs_msg_u32(&m, 1, &v) ||
	    (s->ngrants > 0 && (s->grants = calloc(s->ngrants, sizeof(*s->grants))) == NULL)) {
		vecsd_store_free(s);
		goto out;
	}
	s->owner = (uid_t)v;
	for (size_t i = 0; i < s->ngrants; i++) {
		uint32_t r = 0;
		if (!vecs_msg_u32(&m, 2 + 2 * i, &v) || !vecs_msg_u32(&m, 3 + 2 * i, &r)) {
			vecsd_store_free(s);
			goto out;
		}
		s->grants[i].uid = (uid_t)v;
		s->grants[i].rights = r;
	}
	*sp = s;
	rc = 0;
 out:
	vecs_msg_free(&m);
	return rc;
}

int
vecsd_record_entry_encode(const struct vecsd_entry *e, struct vecs_buf *b)
{
	vecs_buf_init(b, REC_ENTRY);
	vecs_buf_add_str(b, e->alias);
	vecs_buf_add_u32(b, e->type);
	vecs_buf_add_u32(b, e->pulled);
	vecs_buf_add_str(b, e->cert);
	vecs_buf_add_str(b, e->key);
	vecs_buf_add_u32(b, (uint32_t)((uint64_t)e->added >> 32));
	vecs_buf_add_u32(b, (uint32_t)e->added);
	return vecs_buf_finish(b, SIZE_MAX) == 0 ? 0 : VECS_ERR_NO_MEMORY;
}

/* An empty field stands for NULL. */
static bool
vecsd_record_opt(const struct vecs_msg *m, uint32_t i, char **out)
{
	*out = NULL;
	if (m->f[i].len == 0)
		return true;
	return (*out = vecs_msg_str(m, i)) != NULL;
}

int
vecsd_record_entry_decode(const uint8_t *p, size_t len, struct vecsd_entry **ep)
{
	struct vecs_msg m;
	struct vecsd_entry *e;
	uint32_t type, pulled, hi, lo;
	int rc = VECS_ERR_INTERNAL;

	*ep = NULL;
	if (vecs_msg_decode(p, len, &m) != 0)
		return VECS_ERR_INTERNAL;
	if (m.code != REC_ENTRY || m.n != 7 || (e = calloc(1, sizeof(*e))) == NULL)
		goto out;
	if ((e->alias = vecs_msg_str(&m, 0)) == NULL || !vecs_msg_u32(&m, 1, &type) ||
	    !vecs_msg_u32(&m, 2, &pulled) || !vecsd_record_opt(&m, 3, &e->cert) ||
	    !vecsd_record_opt(&m, 4, &e->key) || !vecs_msg_u32(&m, 5, &hi) ||
	    !vecs_msg_u32(&m, 6, &lo)) {
		vecsd_entry_free(e);
		goto out;
	}
	e->type = (enum vecs_entry_type)type;
	e->pulled = pulled != 0;
	e->added = (int64_t)((uint64_t)hi << 32 | lo);
	*ep = e;
	rc = 0;
 out:
	vecs_msg_free(&m);
	return rc;
}

void
vecsd_store_free(struct vecsd_store *s)
{
	if (s == NULL)
		return;
	free(s->name);
	free(s->grants);
	free(s);
}

void
vecsd_stores_free(struct vecsd_store *v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].grants);
	}
	free(v);
}

static void
vecsd_entry_clear(struct vecsd_entry *e)
{
	free(e->alias);
	free(e->cert);
	if (e->key != NULL) {
		OPENSSL_cleanse(e->key, strlen(e->key));
		free(e->key);
	}
}

void
vecsd_entry_free(struct vecsd_entry *e)
{
	if (e == NULL)
		return;
	vecsd_entry_clear(e);
	free(e);
}

void
vecsd_entries_free(struct vecsd_entry *v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		vecsd_entry_clear(&v[i]);
	free(v);
}
