/*
 * lockout.c: failed binds and the accounts they lock. The state is this
 * node's own and lives in memory: counting a failure writes nothing, so
 * guessing makes no replication traffic, and a restart unlocks everyone.
 * Records are keyed by the bind code: an account's DN, or for accounts
 * that must stay usable (machine accounts) the DN and the source address.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server.h"
#include "log.h"

#define LOCKOUT_BUCKETS	4096
#define LOCKOUT_MAX	65536	/* records kept; the stalest go first */

struct lockout_rec {
	struct lockout_rec	*next;
	time_t			 first;		/* first failure of the window */
	time_t			 last;		/* latest failure */
	time_t			 locked;	/* when it locked; 0: not locked */
	int			 failures;
	char			 key[];
};

static pthread_mutex_t lockout_mutex = PTHREAD_MUTEX_INITIALIZER;
static struct lockout_rec *lockout_tab[LOCKOUT_BUCKETS];
static size_t lockout_n;

static time_t
lockout_monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static time_t (*lockout_clock)(void) = lockout_monotonic;

void
lockout_set_clock(time_t (*fn)(void))
{
	lockout_clock = fn != NULL ? fn : lockout_monotonic;
}

static size_t
lockout_hash(const char *key)
{
	uint32_t h = 2166136261u;

	for (; *key != '\0'; key++)
		h = (h ^ (unsigned char)*key) * 16777619u;
	return h % LOCKOUT_BUCKETS;
}

static struct lockout_rec **
lockout_find(const char *key)
{
	struct lockout_rec **p = &lockout_tab[lockout_hash(key)];

	for (; *p != NULL; p = &(*p)->next)
		if (strcmp((*p)->key, key) == 0)
			return p;
	return p;
}

static void
lockout_unlink(struct lockout_rec **p)
{
	struct lockout_rec *r = *p;

	*p = r->next;
	free(r);
	lockout_n--;
}

/* The unlock interval is read when the lock is checked, so shortening it
 * frees accounts that are locked already. 0 means locked until restart. */
static bool
lockout_active(const struct lockout_rec *r, const struct policy *p, time_t now)
{
	return r->locked != 0 &&
	    (p->unlock_interval == 0 || now - r->locked < p->unlock_interval);
}

/* A window that ended forgets its failures (and an ended lock). */
static bool
lockout_stale(const struct lockout_rec *r, const struct policy *p, time_t now)
{
	if (r->locked != 0)
		return !lockout_active(r, p, now);
	return p->failure_interval > 0 && now - r->first >= p->failure_interval;
}

/* Makes room for one more record: stale ones first, else the one whose
 * latest failure is oldest. */
static void
lockout_evict(const struct policy *p, time_t now)
{
	struct lockout_rec **oldest = NULL;

	for (size_t b = 0; b < LOCKOUT_BUCKETS; b++)
		for (struct lockout_rec **q = &lockout_tab[b]; *q != NULL;) {
			if (lockout_stale(*q, p, now)) {
				lockout_unlink(q);
				continue;
			}
			if (oldest == NULL || (*q)->last < (*oldest)->last)
				oldest = q;
			q = &(*q)->next;
		}
	if (lockout_n >= LOCKOUT_MAX && oldest != NULL)
		lockout_unlink(oldest);
}

bool
lockout_locked(const char *key, const struct policy *p)
{
	struct lockout_rec **r;
	time_t now = lockout_clock();
	bool yes = false;

	pthread_mutex_lock(&lockout_mutex);
	if (*(r = lockout_find(key)) != NULL) {
		if (lockout_stale(*r, p, now))
			lockout_unlink(r);
		else
			yes = lockout_active(*r, p, now);
	}
	pthread_mutex_unlock(&lockout_mutex);
	return yes;
}

bool
lockout_fail(const char *key, const struct policy *p)
{
	struct lockout_rec **r, *n;
	time_t now = lockout_clock();
	bool locked = false;

	stats_bind_failure();
	if (key == NULL || p->max_failures <= 0)
		return false;
	pthread_mutex_lock(&lockout_mutex);
	if (*(r = lockout_find(key)) != NULL && lockout_stale(*r, p, now))
		lockout_unlink(r);
	if ((n = *(r = lockout_find(key))) == NULL) {
		if (lockout_n >= LOCKOUT_MAX) {
			lockout_evict(p, now);
			r = lockout_find(key);
		}
		if ((n = calloc(1, sizeof(*n) + strlen(key) + 1)) == NULL) {
			pthread_mutex_unlock(&lockout_mutex);
			return false;
		}
		strcpy(n->key, key);
		n->first = now;
		*r = n;
		lockout_n++;
	}
	n->last = now;
	if (n->locked == 0 && ++n->failures >= p->max_failures) {
		n->locked = now;
		locked = true;
		stats_lockout();
	}
	pthread_mutex_unlock(&lockout_mutex);
	return locked;
}

void
lockout_clear(const char *key)
{
	struct lockout_rec **r;

	pthread_mutex_lock(&lockout_mutex);
	if (*(r = lockout_find(key)) != NULL)
		lockout_unlink(r);
	pthread_mutex_unlock(&lockout_mutex);
}

void
lockout_forget(const char *ndn)
{
	size_t len = strlen(ndn);

	pthread_mutex_lock(&lockout_mutex);
	for (size_t b = 0; b < LOCKOUT_BUCKETS; b++)
		for (struct lockout_rec **q = &lockout_tab[b]; *q != NULL;) {
			if (strncmp((*q)->key, ndn, len) == 0 &&
			    ((*q)->key[len] == '\0' || (*q)->key[len] == ' '))
				lockout_unlink(q);
			else
				q = &(*q)->next;
		}
	pthread_mutex_unlock(&lockout_mutex);
}

