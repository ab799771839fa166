/*
 * vecs_codec.c: frames and messages of the vecsd protocol; see
 * vecs_codec.h for the format. Pure: no I/O, no allocation beyond the
 * message being built or the field table being decoded.
 */
#include <stdlib.h>
#include <string.h>

#include "vecs/vecs_codec.h"

static void
vecs_put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static uint32_t
vecs_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static bool
vecs_buf_room(struct vecs_buf *b, size_t more)
{
	size_t cap;
	uint8_t *np;

	if (b->failed)
		return false;
	if (more > SIZE_MAX / 2 - b->len) {
		b->failed = true;
		return false;
	}
	if (b->len + more <= b->cap)
		return true;
	for (cap = b->cap ? b->cap : 256; cap < b->len + more; cap *= 2)
		;
	if ((np = realloc(b->p, cap)) == NULL) {
		b->failed = true;
		return false;
	}
	b->p = np;
	b->cap = cap;
	return true;
}

void
vecs_buf_init(struct vecs_buf *b, uint32_t code)
{
	memset(b, 0, sizeof(*b));
	if (!vecs_buf_room(b, VECS_FRAME_HDR + VECS_BODY_HDR))
		return;
	memset(b->p, 0, VECS_FRAME_HDR + VECS_BODY_HDR);
	b->p[VECS_FRAME_HDR] = VECS_PROTO_VERSION;
	vecs_put32(b->p + VECS_FRAME_HDR + 1, code);
	b->len = VECS_FRAME_HDR + VECS_BODY_HDR;
}

void
vecs_buf_add(struct vecs_buf *b, const void *p, size_t len)
{
	if (len > UINT32_MAX || b->n == UINT32_MAX) {
		b->failed = true;
		return;
	}
	if (!vecs_buf_room(b, 4 + len))
		return;
	vecs_put32(b->p + b->len, (uint32_t)len);
	if (len > 0)
		memcpy(b->p + b->len + 4, p, len);
	b->len += 4 + len;
	b->n++;
}

void
vecs_buf_add_str(struct vecs_buf *b, const char *s)
{
	vecs_buf_add(b, s, s != NULL ? strlen(s) : 0);
}

void
vecs_buf_add_u32(struct vecs_buf *b, uint32_t v)
{
	uint8_t x[4];

	vecs_put32(x, v);
	vecs_buf_add(b, x, 4);
}

int
vecs_buf_finish(struct vecs_buf *b, size_t max)
{
	size_t body;

	if (b->failed || b->p == NULL)
		return -1;
	body = b->len - VECS_FRAME_HDR;
	if (body > max || body > UINT32_MAX)
		return -1;
	vecs_put32(b->p, (uint32_t)body);
	vecs_put32(b->p + VECS_FRAME_HDR + 5, b->n);
	return 0;
}

void
vecs_buf_free(struct vecs_buf *b)
{
	if (b == NULL)
		return;
	free(b->p);
	memset(b, 0, sizeof(*b));
}

uint32_t
vecs_frame_len(const uint8_t hdr[VECS_FRAME_HDR])
{
	return vecs_get32(hdr);
}

int
vecs_msg_decode(const uint8_t *body, size_t len, struct vecs_msg *m)
{
	size_t off = VECS_BODY_HDR;
	uint32_t i, n;

	memset(m, 0, sizeof(*m));
	if (len < VECS_BODY_HDR || body[0] != VECS_PROTO_VERSION)
		return -1;
	n = vecs_get32(body + 5);
	/* every field takes at least its length word */
	if (n > (len - VECS_BODY_HDR) / 4)
		return -1;
	if (n > 0 && (m->f = calloc(n, sizeof(*m->f))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		uint32_t flen;

		if (len - off < 4)
			goto bad;
		flen = vecs_get32(body + off);
		off += 4;
		if (flen > len - off)
			goto bad;
		m->f[i].p = body + off;
		m->f[i].len = flen;
		off += flen;
	}
	if (off != len)
		goto bad;
	m->code = vecs_get32(body + 1);
	m->n = n;
	return 0;
 bad:
	free(m->f);
	memset(m, 0, sizeof(*m));
	return -1;
}

void
vecs_msg_free(struct vecs_msg *m)
{
	if (m == NULL)
		return;
	free(m->f);
	memset(m, 0, sizeof(*m));
}

char *
vecs_msg_str(const struct vecs_msg *m, uint32_t i)
{
	char *s;

	if (i >= m->n || memchr(m->f[i].p, '\0', m->f[i].len) != NULL)
		return NULL;
	if ((s = malloc((size_t)m->f[i].len + 1)) == NULL)
		return NULL;
	memcpy(s, m->f[i].p, m->f[i].len);
	s[m->f[i].len] = '\0';
	return s;
}

bool
vecs_msg_u32(const struct vecs_msg *m, uint32_t i, uint32_t *v)
{
	if (i >= m->n || m->f[i].len != 4)
		return false;
	*v = vecs_get32(m->f[i].p);
	return true;
}
