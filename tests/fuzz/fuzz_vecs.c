/*
 * fuzz_vecs.c: feeds arbitrary bytes to vecsd's codec as one frame (the
 * length word, then the body) as vecsd_conn.c reads it. A frame is
 * accepted when its length is the rest of the input, not above the
 * request limit, and the body decodes; what decodes must encode back to
 * the same bytes. The body also goes through the stored-record decoders,
 * whose results must encode back to what they decoded.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vecs/vecsd.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	fuzz_accepts(const uint8_t *, size_t);

static void
fuzz_vecs_records(const uint8_t *body, size_t len)
{
	struct vecsd_store *s;
	struct vecsd_entry *e;
	struct vecs_buf b;

	if (vecsd_record_store_decode(body, len, &s) == 0) {
		if (vecsd_record_store_encode(s, &b) != 0 ||
		    b.len - VECS_FRAME_HDR != len ||
		    memcmp(b.p + VECS_FRAME_HDR, body, len) != 0)
			abort();
		vecs_buf_free(&b);
		vecsd_store_free(s);
	}
	if (vecsd_record_entry_decode(body, len, &e) == 0) {
		if (vecsd_record_entry_encode(e, &b) != 0)
			abort();
		vecs_buf_free(&b);
		vecsd_entry_free(e);
	}
}

int
fuzz_accepts(const uint8_t *data, size_t size)
{
	struct vecs_msg m;
	struct vecs_buf b;
	uint32_t len;

	if (size < VECS_FRAME_HDR)
		return 0;
	len = vecs_frame_len(data);
	fuzz_vecs_records(data + VECS_FRAME_HDR, size - VECS_FRAME_HDR);
	if (len != size - VECS_FRAME_HDR || len > VECS_MAX_REQUEST)
		return 0;
	if (vecs_msg_decode(data + VECS_FRAME_HDR, len, &m) != 0) {
		if (m.n != 0 || m.f != NULL)
			abort();
		return 0;
	}
	vecs_buf_init(&b, m.code);
	for (uint32_t i = 0; i < m.n; i++)
		vecs_buf_add(&b, m.f[i].p, m.f[i].len);
	if (vecs_buf_finish(&b, VECS_MAX_REQUEST) != 0 || b.len != size ||
	    memcmp(b.p, data, size) != 0)
		abort();
	for (uint32_t i = 0; i < m.n; i++)
		free(vecs_msg_str(&m, i));
	vecs_buf_free(&b);
	vecs_msg_free(&m);
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_accepts(data, size);
	return 0;
}
