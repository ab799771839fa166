/*
 * durable.c: answers to writes leave only once the write is on disk,
 * without a worker waiting for the disk. A worker running a client's
 * write commits without flushing the log and hands the encoded answer
 * here; one flusher thread takes everything handed in, flushes the log
 * once (every commit before the hand-over is then durable) and sends the
 * answers. Writers committing together share one fsync, and the workers
 * go on with the next requests meanwhile. If the flush fails, each
 * waiting client is told `other` instead of success.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"
#include "log.h"

struct durable_item {
	struct conn		*conn;
	struct berval		 msg;
	ber_int_t		 msgid;
	ber_tag_t		 tag;		/* the response's */
	struct durable_item	*next;
};

static struct {
	pthread_mutex_t		 lock;
	pthread_cond_t		 cond;
	struct durable_item	*head, **tail;
	int			 busy;		/* items taken, not yet sent */
	bool			 stop, running;
	pthread_t		 thread;
} dq = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER,
    .tail = &dq.head };

/* The failure answer to an item whose write did not reach the disk. */
static void
durable_fail(struct durable_item *it)
{
	BerElement *ber = result_ber(it->msgid, it->tag, LDAP_OTHER, "",
	    "the change could not be made durable");
	struct berval bv;

	if (ber != NULL && ber_printf(ber, "N}N}") >= 0 && ber_flatten2(ber, &bv, 0) == 0)
		conn_send(it->conn, &bv);
	ber_free(ber, 1);
}

static void *
durable_main(void *unused)
{
	struct durable_item *batch, *next;
	int rc;

	pthread_mutex_lock(&dq.lock);
	for (;;) {
		while (dq.head == NULL && !dq.stop)
			pthread_cond_wait(&dq.cond, &dq.lock);
		if (dq.head == NULL)
			break;
		batch = dq.head;
		dq.head = NULL;
		dq.tail = &dq.head;
		dq.busy++;
		pthread_mutex_unlock(&dq.lock);
		/* every item was committed before it was queued */
		if ((rc = be_flush(srv->be)) != LDAP_SUCCESS)
			log_error("cannot flush the log: %s; failing the writes waiting for it",
			    ldap_err2string(rc));
		for (; batch != NULL; batch = next) {
			next = batch->next;
			/* an item without a connection only asked for the flush */
			if (batch->conn != NULL) {
				if (rc == LDAP_SUCCESS)
					conn_send(batch->conn, &batch->msg);
				else
					durable_fail(batch);
				conn_unref(batch->conn);
			}
			free(batch->msg.bv_val);
			free(batch);
		}
		pthread_mutex_lock(&dq.lock);
		dq.busy--;
	}
	pthread_mutex_unlock(&dq.lock);
	return NULL;
}

int
durable_start(void)
{
	dq.stop = false;
	if (pthread_create(&dq.thread, NULL, durable_main, NULL) != 0) {
		log_error("cannot start the log flusher");
		return -1;
	}
	dq.running = true;
	return 0;
}

int
durable_send(struct conn *c, const struct berval *msg, ber_int_t msgid, ber_tag_t tag)
{
	struct durable_item *it = NULL;

	/* without the flusher (or memory for the item): flush here */
	if (!dq.running || (it = calloc(1, sizeof(*it))) == NULL || (c != NULL &&
	    (it->msg.bv_val = malloc(msg->bv_len)) == NULL)) {
		free(it);
		if (be_flush(srv->be) != LDAP_SUCCESS)
			return -1;
		return c != NULL ? conn_send(c, msg) : 0;
	}
	if (c != NULL) {
		memcpy(it->msg.bv_val, msg->bv_val, msg->bv_len);
		it->msg.bv_len = msg->bv_len;
		it->msgid = msgid;
		it->tag = tag;
		it->conn = c;
		conn_ref(c);
	}
	pthread_mutex_lock(&dq.lock);
	*dq.tail = it;
	dq.tail = &it->next;
	pthread_cond_signal(&dq.cond);
	pthread_mutex_unlock(&dq.lock);
	return 0;
}

bool
durable_idle(void)
{
	bool idle;

	pthread_mutex_lock(&dq.lock);
	idle = dq.head == NULL && dq.busy == 0;
	pthread_mutex_unlock(&dq.lock);
	return idle;
}

/* Sends what is queued, then ends the flusher. */
void
durable_stop(void)
{
	if (!dq.running)
		return;
	pthread_mutex_lock(&dq.lock);
	dq.stop = true;
	pthread_cond_broadcast(&dq.cond);
	pthread_mutex_unlock(&dq.lock);
	pthread_join(dq.thread, NULL);
	dq.running = false;
}
