/*
 * workq.c: the worker threads. Every operation that touches storage runs
 * here, never on the event loop's thread. Two pools:
 *  - operations: a fixed number of threads (the `threads` setting, by
 *    default one per CPU: more threads than CPUs only contend for the
 *    same locks). The queue is bounded: a full queue makes the caller
 *    answer busy instead of growing without limit.
 *  - replication pulls: a partner's pull request may wait up to its
 *    interval for the next commit; such waits must never hold an
 *    operations thread, and must not queue behind each other, so this
 *    pool grows a thread whenever none is idle (up to WORKQ_REPL_MAX).
 */
#include <pthread.h>
#include <stdlib.h>

#include "server.h"
#include "log.h"

#define WORKQ_REPL_MAX	256

struct workq_item {
	void			(*fn)(void *);
	void			*arg;
	struct workq_item	*next;
};

struct workq {
	const char		*name;
	pthread_mutex_t		 lock;
	pthread_cond_t		 cond;
	struct workq_item	*head, *tail;
	int			 len, max;
	int			 active;	/* running now */
	int			 idle;		/* waiting for work */
	bool			 stop;
	pthread_t		*threads;
	int			 nthreads, max_threads;
	bool			 grows;		/* a thread per waiting item */
};

static struct workq wq_ops = { .name = "worker", .lock = PTHREAD_MUTEX_INITIALIZER,
    .cond = PTHREAD_COND_INITIALIZER };
static struct workq wq_repl = { .name = "replication", .lock = PTHREAD_MUTEX_INITIALIZER,
    .cond = PTHREAD_COND_INITIALIZER, .grows = true };

static void *
workq_main(void *arg)
{
	struct workq *q = arg;
	struct workq_item *it;

	pthread_mutex_lock(&q->lock);
	for (;;) {
		q->idle++;
		while (q->head == NULL && !q->stop)
			pthread_cond_wait(&q->cond, &q->lock);
		q->idle--;
		if (q->head == NULL)
			break;
		it = q->head;
		q->head = it->next;
		if (q->head == NULL)
			q->tail = NULL;
		q->len--;
		q->active++;
		pthread_mutex_unlock(&q->lock);
		it->fn(it->arg);
		free(it);
		pthread_mutex_lock(&q->lock);
		q->active--;
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

/* Adds a thread to q (q->lock held); -1 when none can be made. */
static int
workq_grow(struct workq *q)
{
	if (q->nthreads >= q->max_threads ||
	    pthread_create(&q->threads[q->nthreads], NULL, workq_main, q) != 0)
		return -1;
	q->nthreads++;
	return 0;
}

static int
workq_init(struct workq *q, int threads, int max_threads, int max_len)
{
	q->max = max_len;
	q->max_threads = max_threads;
	q->stop = false;
	if ((q->threads = calloc(max_threads, sizeof(pthread_t))) == NULL)
		return -1;
	pthread_mutex_lock(&q->lock);
	for (int i = 0; i < threads; i++)
		if (workq_grow(q) != 0) {
			pthread_mutex_unlock(&q->lock);
			log_error("cannot start %s thread %d", q->name, i);
			return -1;
		}
	pthread_mutex_unlock(&q->lock);
	return 0;
}

int
workq_start(int threads)
{
	if (workq_init(&wq_ops, threads, threads, srv->conf.max_pending) != 0 ||
	    workq_init(&wq_repl, 1, WORKQ_REPL_MAX, WORKQ_REPL_MAX) != 0)
		return -1;
	return 0;
}

/* An admitted item (a parked op continuing) is queued past the bound:
 * the client already has its answer started. */
static int
workq_push_to(struct workq *q, void (*fn)(void *), void *arg, bool admitted)
{
	struct workq_item *it;

	if (q->threads == NULL) {
		fn(arg);
		return 0;
	}
	if ((it = malloc(sizeof(*it))) == NULL)
		return -1;
	it->fn = fn;
	it->arg = arg;
	it->next = NULL;
	pthread_mutex_lock(&q->lock);
	if (q->stop || (!admitted && q->len >= q->max) ||
	    (q->grows && q->idle <= q->len && workq_grow(q) != 0 && q->idle == 0 &&
	    !admitted)) {
		pthread_mutex_unlock(&q->lock);
		free(it);
		return -1;
	}
	if (q->tail != NULL)
		q->tail->next = it;
	else
		q->head = it;
	q->tail = it;
	q->len++;
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->lock);
	return 0;
}

int
workq_push(void (*fn)(void *), void *arg)
{
	return workq_push_to(&wq_ops, fn, arg, false);
}

int
workq_push_repl(void (*fn)(void *), void *arg)
{
	return workq_push_to(&wq_repl, fn, arg, false);
}

int
workq_requeue(void (*fn)(void *), void *arg, bool repl)
{
	return workq_push_to(repl ? &wq_repl : &wq_ops, fn, arg, true);
}

static bool
workq_pool_idle(struct workq *q)
{
	bool idle;

	pthread_mutex_lock(&q->lock);
	idle = q->len == 0 && q->active == 0;
	pthread_mutex_unlock(&q->lock);
	return idle;
}

bool
workq_idle(void)
{
	return workq_pool_idle(&wq_ops) && workq_pool_idle(&wq_repl);
}

static void
workq_pool_stop(struct workq *q)
{
	int n;

	pthread_mutex_lock(&q->lock);
	q->stop = true;
	pthread_cond_broadcast(&q->cond);
	n = q->nthreads;
	pthread_mutex_unlock(&q->lock);
	for (int i = 0; i < n; i++)
		pthread_join(q->threads[i], NULL);
	free(q->threads);
	q->threads = NULL;
	q->nthreads = 0;
}

/* Lets queued work finish, then joins the threads. */
void
workq_stop(void)
{
	workq_pool_stop(&wq_repl);
	workq_pool_stop(&wq_ops);
}
