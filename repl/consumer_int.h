/*
 * consumer_int.h: what the consumer_*.c files share: the agreements and
 * the consumer's state, the page of changes a pull brings, and the entry
 * points each file offers the others. The public side is repl_start,
 * repl_stop and repl_kick.
 */
#ifndef CONSUMER_INT_H
#define CONSUMER_INT_H

#include <pthread.h>
#include <stdbool.h>

#include "server.h"
#include "repl.h"

struct agreement {
	char			*uri;
	pthread_t		 thread;
	_Atomic bool		 stop;
	struct agreement	*next;
};

/* The consumer's state: the running agreements and what wakes them. */
struct consumer_state {
	pthread_mutex_t		 lock;
	pthread_cond_t		 cond;
	struct agreement	*list;
	pthread_t		 manager;
	bool			 started, stop;
	int			 kicks;
	char			*machine_dn;
	char			*machine_pw;
};

/* consumer_agreements.c */
extern struct consumer_state cons;

/* consumer.c */

/* Sleeps up to s seconds, less if stopped or kicked. a may be NULL. */
void		 consumer_sleep(struct agreement *a, double s);
/* The pull loop of one agreement; a thread's start routine. */
void		*consumer_main(void *arg);

/* consumer_page.c */

struct page {
	const char	*uri;
	struct entry	**ents;
	size_t		 n;
	char		 hwm[24];
	char		 top[24];	/* the supplier's top USN for this cycle */
	char		*inv;		/* the supplier's */
	char		*utdv;		/* the supplier's; NULL unless complete */
	bool		 more;
};

void		 page_free(struct page *p);
/* Applies a page and advances the mark in one transaction (write_txn). */
int		 page_txn(struct be_txn *t, void *arg, struct diag *d);

/* consumer_server.c */

/* This node's server object shows its current invocationId and URIs. */
void		 consumer_own_object(void);

#endif
