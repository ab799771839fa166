/*
 * loops.c: the event loops that serve client connections, one per CPU by
 * default (the `loops` setting). The main loop (srv->base) keeps the
 * listeners, signals, timers and the HTTP side port; each accepted LDAP
 * connection is handed to one of these loops in turn and stays there for
 * its life. A loop reads and frames requests, answers reads itself
 * (loop_reads) and hands writes, binds and replication pulls to the
 * workers (workq.c).
 */
#include <pthread.h>
#include <stdlib.h>
#include <event2/event.h>

#include "server.h"
#include "log.h"

struct loop {
	struct event_base	*base;
	pthread_t		 thread;
	bool			 running;
};

static struct loop *loops;
static int nloops;
static _Atomic unsigned loops_next;

static void *
loops_main(void *arg)
{
	struct loop *l = arg;

	event_base_loop(l->base, EVLOOP_NO_EXIT_ON_EMPTY);
	return NULL;
}

int
loops_start(int n)
{
	if ((loops = calloc(n, sizeof(*loops))) == NULL)
		return -1;
	for (nloops = 0; nloops < n; nloops++) {
		struct loop *l = &loops[nloops];
		if ((l->base = event_base_new()) == NULL ||
		    pthread_create(&l->thread, NULL, loops_main, l) != 0) {
			log_error("cannot start event loop %d", nloops);
			if (l->base != NULL)
				event_base_free(l->base);
			l->base = NULL;
			return -1;
		}
		l->running = true;
	}
	log_debug("%d event loops for connections", nloops);
	return 0;
}

struct event_base *
loops_pick(void *arg)
{
	(void)arg;
	if (nloops == 0)
		return srv->base;
	return loops[atomic_fetch_add(&loops_next, 1) % (unsigned)nloops].base;
}

void
loops_stop(void)
{
	for (int i = 0; i < nloops; i++)
		if (loops[i].running) {
			event_base_loopexit(loops[i].base, NULL);
			pthread_join(loops[i].thread, NULL);
			loops[i].running = false;
		}
}

void
loops_free(void)
{
	loops_stop();
	for (int i = 0; i < nloops; i++)
		event_base_free(loops[i].base);
	free(loops);
	loops = NULL;
	nloops = 0;
}
