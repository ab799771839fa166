/*
 * workq.c: the worker threads. Every operation that touches storage runs
 * here, never on the event loop's thread. The queue is bounded: a full
 * queue makes the caller answer busy instead of growing without limit.
 */
#include <pthread.h>
#include <stdlib.h>

#include "server.h"
#include "log.h"

struct workq_item {
	void			(*fn)(void *);
	void			*arg;
	struct workq_item	*next;
};

static struct {
	pthread_mutex_t		 lock;
	pthread_cond_t		 cond;
	struct workq_item	*head, *tail;
	int			 len, max;
	int			 active;	/* running now */
	bool			 stop;
	pthread_t		*threads;
	int			 nthreads;
} wq = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

static void *
workq_main(void *unused)
{
	struct workq_item *it;

	pthread_mutex_lock(&wq.lock);
	for (;;) {
		while (wq.head == NULL && !wq.stop)
			pthread_cond_wait(&wq.cond, &wq.lock);
		if (wq.head == NULL)
			break;
		it = wq.head;
		wq.head = it->next;
		if (wq.head == NULL)
			wq.tail = NULL;
		wq.len--;
		wq.active++;
		pthread_mutex_unlock(&wq.lock);
		it->fn(it->arg);
		free(it);
		pthread_mutex_lock(&wq.lock);
		wq.active--;
	}
	pthread_mutex_unlock(&wq.lock);
	return NULL;
}

int
workq_start(int threads)
{
	wq.max = srv->conf.max_pending;
	wq.threads = calloc(threads, sizeof(pthread_t));
	if (wq.threads == NULL)
		return -1;
	for (int i = 0; i < threads; i++) {
		if (pthread_create(&wq.threads[i], NULL, workq_main, NULL) != 0) {
			log_error("cannot start worker thread %d", i);
			return -1;
		}
		wq.nthreads++;
	}
	return 0;
}

int
workq_push(void (*fn)(void *), void *arg)
{
	struct workq_item *it;

	if (wq.threads == NULL) {
		fn(arg);
		return 0;
	}
	if ((it = malloc(sizeof(*it))) == NULL)
		return -1;
	it->fn = fn;
	it->arg = arg;
	it->next = NULL;
	pthread_mutex_lock(&wq.lock);
	if (wq.len >= wq.max || wq.stop) {
		pthread_mutex_unlock(&wq.lock);
		free(it);
		return -1;
	}
	if (wq.tail != NULL)
		wq.tail->next = it;
	else
		wq.head = it;
	wq.tail = it;
	wq.len++;
	pthread_cond_signal(&wq.cond);
	pthread_mutex_unlock(&wq.lock);
	return 0;
}

bool
workq_idle(void)
{
	bool idle;

	pthread_mutex_lock(&wq.lock);
	idle = wq.len == 0 && wq.active == 0;
	pthread_mutex_unlock(&wq.lock);
	return idle;
}

/* Lets queued work finish, then joins the threads. */
void
workq_stop(void)
{
	pthread_mutex_lock(&wq.lock);
	wq.stop = true;
	pthread_cond_broadcast(&wq.cond);
	pthread_mutex_unlock(&wq.lock);
	for (int i = 0; i < wq.nthreads; i++)
		pthread_join(wq.threads[i], NULL);
	free(wq.threads);
	wq.threads = NULL;
	wq.nthreads = 0;
}
