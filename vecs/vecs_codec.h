/*
 * vecs_codec.h: the one request/response format that vecsd and its client
 * library (vecs/vecs_client.c) speak on the Unix socket, also used for the
 * records vecsd stores. Internal to Trellis: tools use vecs/vecs.h.
 *
 * A frame is a 4-byte big-endian body length, then the body:
 *   u8 version (1) | u32 code | u32 count | count x (u32 length | bytes)
 * all integers big-endian. In a request the code is the operation
 * (enum vecs_op); in a response it is the result (0 or a VECS_ERR_* code
 * of vecs.h). Decoding is strict: the version must be known, every field
 * must fit, and nothing may follow the last field.
 */
#ifndef VECS_CODEC_H
#define VECS_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VECS_PROTO_VERSION	1
#define VECS_FRAME_HDR		4
/* body header: version, code, count */
#define VECS_BODY_HDR		9
/* largest request body vecsd takes by default (setting max_message) */
#define VECS_MAX_REQUEST	(1u << 20)
/* largest response body the client library takes */
#define VECS_MAX_RESPONSE	(64u << 20)

enum vecs_op {
	VECS_OP_STORE_CREATE = 1,	/* name */
	VECS_OP_STORE_DELETE,		/* name */
	VECS_OP_STORE_LIST,		/* -> names */
	VECS_OP_PERM_SET,		/* store, user, grant(1)/revoke(0), mask -> */
	VECS_OP_PERM_GET,		/* store -> owner, (user, mask)... */
	VECS_OP_ENTRY_ADD,		/* store, alias, cert, key -> alias */
	VECS_OP_ENTRY_LIST,		/* store -> (alias, type, pulled, cert)... */
	VECS_OP_ENTRY_GET,		/* store, alias -> alias, type, pulled, cert */
	VECS_OP_ENTRY_GETKEY,		/* store, alias -> key */
	VECS_OP_ENTRY_DELETE,		/* store, alias */
	VECS_OP_REFRESH,		/* -> */
	VECS_OP_STATUS,			/* -> (name, value)... */
	VECS_OP_MAX
};

struct vecs_field {
	const uint8_t	*p;		/* borrowed from the decoded body */
	uint32_t	 len;
};

struct vecs_msg {
	uint32_t	 code;
	uint32_t	 n;
	struct vecs_field *f;		/* owned: free with vecs_msg_free */
};

/* A message being encoded; the frame header is filled by vecs_buf_finish. */
struct vecs_buf {
	uint8_t		*p;		/* owned: free with vecs_buf_free */
	size_t		 len, cap;
	uint32_t	 n;
	bool		 failed;	/* out of memory: finish fails */
};

/* Starts a message with code; never fails (a failure shows at finish). */
void	 vecs_buf_init(struct vecs_buf *b, uint32_t code);
void	 vecs_buf_add(struct vecs_buf *b, const void *p, size_t len);
/* A C string as a field (without its NUL); NULL adds an empty field. */
void	 vecs_buf_add_str(struct vecs_buf *b, const char *s);
void	 vecs_buf_add_u32(struct vecs_buf *b, uint32_t v);
/* Fills in the frame header; -1 when out of memory or the body is longer
 * than max. The frame is b->p, b->len bytes. */
int	 vecs_buf_finish(struct vecs_buf *b, size_t max);
/* Accepts NULL and an unused buffer. */
void	 vecs_buf_free(struct vecs_buf *b);

/* The body length a frame header announces. */
uint32_t vecs_frame_len(const uint8_t hdr[VECS_FRAME_HDR]);
/* Decodes a body (without the frame header). On success m->f points into
 * body, which must outlive m; 0, else -1 and m is empty. */
int	 vecs_msg_decode(const uint8_t *body, size_t len, struct vecs_msg *m);
/* Accepts an empty message. */
void	 vecs_msg_free(struct vecs_msg *m);
/* Field i as a new C string (caller frees); NULL when i is out of range,
 * the field holds a NUL byte, or memory is out. */
char	*vecs_msg_str(const struct vecs_msg *m, uint32_t i);
/* Field i as a u32: false unless it is exactly four bytes. */
bool	 vecs_msg_u32(const struct vecs_msg *m, uint32_t i, uint32_t *v);

#endif
