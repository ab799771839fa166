/*
 * vecsd_conn.c: vecsd's connections. Each request is one frame (a 4-byte
 * length, then the body: vecs_codec.h); answers leave in order on the
 * same connection. A frame longer than max_message, or a body that does
 * not decode, gets an error answer and the connection is closed; a client
 * silent for idle_timeout seconds in the middle of a frame or between
 * frames is dropped. The listener and its peer credentials come from
 * common/xport.c; this is the only file of vecsd that writes to sockets.
 */
#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "log.h"
#include "xport.h"
#include "vecs/vecsd.h"

struct vecsd_conn {
	TAILQ_ENTRY(vecsd_conn)	 next;
	struct bufferevent	*bev;
	const struct xport	*xport;
	struct vecsd_caller	 caller;
	uint64_t		 id, ops;
	bool			 closing;	/* freed once its answer is out */
	bool			 waiting;	/* for a deferred answer: reads nothing */
};

static TAILQ_HEAD(, vecsd_conn) vecsd_conns = TAILQ_HEAD_INITIALIZER(vecsd_conns);
static struct vecsd_ctx *vecsd_conn_ctx;
static size_t vecsd_conn_max_message = VECS_MAX_REQUEST, vecsd_conn_n;
static int vecsd_conn_idle = 60, vecsd_conn_max = 1024;
static uint64_t vecsd_conn_next_id;

void
vecsd_conn_init(struct vecsd_ctx *ctx, size_t max_message, int idle_timeout, int max_clients)
{
	vecsd_conn_ctx = ctx;
	vecsd_conn_max_message = max_message;
	vecsd_conn_idle = idle_timeout;
	vecsd_conn_max = max_clients;
}

size_t
vecsd_conn_count(void)
{
	return vecsd_conn_n;
}

static void
vecsd_conn_free(struct vecsd_conn *c)
{
	TAILQ_REMOVE(&vecsd_conns, c, next);
	vecsd_conn_n--;
	bufferevent_free(c->bev);
	log_debug("conn=%llu closed", (unsigned long long)c->id);
	free(c);
}

void
vecsd_conn_close_all(void)
{
	struct vecsd_conn *c;

	while ((c = TAILQ_FIRST(&vecsd_conns)) != NULL)
		vecsd_conn_free(c);
}

/* Sends b (finished here); a failure to build it closes the connection. */
static void
vecsd_conn_send(struct vecsd_conn *c, struct vecs_buf *b)
{
	if (vecs_buf_finish(b, UINT32_MAX) != 0) {
		log_error("conn=%llu cannot send an answer (out of memory)",
		    (unsigned long long)c->id);
		c->closing = true;
	} else
		xport_write(c->xport, c->bev, b->p, b->len);
	vecs_buf_free(b);
}

/* An error answer, then the connection closes. */
static void
vecsd_conn_refuse(struct vecsd_conn *c, int code, const char *why)
{
	struct vecs_buf b;

	log_warn("conn=%llu uid=%lu: %s; closing", (unsigned long long)c->id,
	    (unsigned long)c->caller.uid, why);
	vecs_buf_init(&b, (uint32_t)code);
	vecs_buf_add_str(&b, why);
	vecsd_conn_send(c, &b);
	c->closing = true;
	bufferevent_disable(c->bev, EV_READ);
	bufferevent_enable(c->bev, EV_WRITE);
}

/* Answers one complete frame of len body bytes at the buffer's head. */
static void
vecsd_conn_frame(struct vecsd_conn *c, struct evbuffer *in, uint32_t len)
{
	struct vecs_msg m;
	struct vecs_buf out;
	uint8_t *body;

	evbuffer_drain(in, VECS_FRAME_HDR);
	if ((body = malloc(len ? len : 1)) == NULL) {
		evbuffer_drain(in, len);
		vecsd_conn_refuse(c, VECS_ERR_NO_MEMORY, "out of memory");
		return;
	}
	evbuffer_remove(in, body, len);
	if (vecs_msg_decode(body, len, &m) != 0) {
		free(body);
		vecsd_conn_refuse(c, VECS_ERR_INVALID_DATA, "malformed request");
		return;
	}
	c->ops++;
	c->waiting = vecsd_req_handle(vecsd_conn_ctx, &c->caller, &m, &out, c->id, c->ops);
	vecs_msg_free(&m);
	/* requests may carry keys */
	explicit_bzero(body, len);
	free(body);
	if (c->waiting) {
		/* answers leave in order: the next request waits for this one */
		bufferevent_disable(c->bev, EV_READ);
		return;
	}
	vecsd_conn_send(c, &out);
}

static void
vecsd_conn_read(struct bufferevent *bev, void *arg)
{
	struct vecsd_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	uint8_t hdr[VECS_FRAME_HDR];
	uint32_t len;

	while (!c->closing && !c->waiting && evbuffer_get_length(in) >= VECS_FRAME_HDR) {
		evbuffer_copyout(in, hdr, sizeof(hdr));
		len = vecs_frame_len(hdr);
		if (len > vecsd_conn_max_message) {
			vecsd_conn_refuse(c, VECS_ERR_INVALID_PARAMETER,
			    "request larger than max_message");
			break;
		}
		if (evbuffer_get_length(in) < VECS_FRAME_HDR + (size_t)len)
			break;
		vecsd_conn_frame(c, in, len);
	}
	if (c->closing && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		vecsd_conn_free(c);
}

void
vecsd_conn_answer(uint64_t id, struct vecs_buf *answer)
{
	struct vecsd_conn *c;

	TAILQ_FOREACH(c, &vecsd_conns, next)
		if (c->id == id && c->waiting)
			break;
	if (c == NULL) {
		/* the client went away meanwhile */
		vecs_buf_free(answer);
		return;
	}
	c->waiting = false;
	vecsd_conn_send(c, answer);
	if (!c->closing)
		bufferevent_enable(c->bev, EV_READ);
	/* requests that arrived meanwhile are in the input buffer */
	vecsd_conn_read(c->bev, c);
}

static void
vecsd_conn_written(struct bufferevent *bev, void *arg)
{
	struct vecsd_conn *c = arg;

	if (c->closing)
		vecsd_conn_free(c);
}

static void
vecsd_conn_event(struct bufferevent *bev, short what, void *arg)
{
	struct vecsd_conn *c = arg;

	if (what & BEV_EVENT_TIMEOUT)
		log_info("conn=%llu uid=%lu idle for %d s: dropped", (unsigned long long)c->id,
		    (unsigned long)c->caller.uid, vecsd_conn_idle);
	else if (evbuffer_get_length(bufferevent_get_input(bev)) > 0)
		log_info("conn=%llu uid=%lu closed in the middle of a request",
		    (unsigned long long)c->id, (unsigned long)c->caller.uid);
	vecsd_conn_free(c);
}

void
vecsd_conn_accept(struct bufferevent *bev, const struct xport *t,
    const struct xport_peer *peer, void *arg)
{
	struct timeval idle = { vecsd_conn_idle, 0 };
	struct vecsd_conn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		bufferevent_free(bev);
		return;
	}
	c->bev = bev;
	c->xport = t;
	c->id = ++vecsd_conn_next_id;
	/* who the kernel says is at the other end: nothing else decides */
	c->caller.uid = peer->uid;
	c->caller.gid = peer->gid;
	c->caller.pid = peer->pid;
	TAILQ_INSERT_TAIL(&vecsd_conns, c, next);
	vecsd_conn_n++;
	log_debug("conn=%llu from %s", (unsigned long long)c->id, peer->name);
	bufferevent_setcb(bev, vecsd_conn_read, vecsd_conn_written, vecsd_conn_event, c);
	if (vecsd_conn_idle > 0)
		bufferevent_set_timeouts(bev, &idle, &idle);
	if (!peer->local)
		vecsd_conn_refuse(c, VECS_ERR_ACCESS_DENIED, "not a local client");
	else if (vecsd_conn_n > (size_t)vecsd_conn_max)
		vecsd_conn_refuse(c, VECS_ERR_BUSY, "too many clients");
	if (c->closing) {
		/* an answer written straight to the socket leaves nothing to wait for */
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			vecsd_conn_free(c);
		return;
	}
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}
