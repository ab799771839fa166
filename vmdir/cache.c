/*
 * cache.c: the size of the Berkeley DB cache. With cache_mb = auto (the
 * default) it starts at half the data on disk (be_cache_auto_mb: at
 * least 32 MB, at most a quarter of the RAM) and grows while the node
 * runs, as the directory does: every few seconds the data on disk is
 * looked at again, and the cache is resized once it wants an eighth more
 * (be_cache_grow_mb), up to the quarter of the RAM fixed when the
 * environment opened. It never shrinks while running; a restart sizes it
 * from the data again. cache_mb = N fixes it at N MB.
 */
#include <unistd.h>
#include <event2/event.h>

#include "server.h"
#include "log.h"

#define CACHE_CHECK_SECONDS	5

static uint64_t cache_ram;		/* bytes; 0 if unknown */
static uint64_t cache_data;		/* at start */
static size_t cache_mb;			/* now */
static struct event *cache_timer;

void
cache_plan(struct be_config *bc)
{
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);

	if (pages > 0 && psize > 0)
		cache_ram = (uint64_t)pages * (uint64_t)psize;
	if (srv->conf.cache_mb != 0) {
		cache_mb = srv->conf.cache_mb;
		bc->cache_bytes = cache_mb << 20;
		return;
	}
	/* decided before the environment opens: DB_RECOVER recreates its
	 * regions on every start, so the new size always takes effect */
	cache_data = be_data_bytes(bc->dir);
	cache_mb = be_cache_auto_mb(cache_data, cache_ram);
	bc->cache_bytes = cache_mb << 20;
	/* be_cache_auto_mb's ceiling: a quarter of the RAM */
	bc->cache_max_bytes = (size_t)(cache_ram / 4);
	if (bc->cache_max_bytes < bc->cache_bytes)
		bc->cache_max_bytes = bc->cache_bytes;
}

void
cache_log(void)
{
	if (srv->conf.cache_mb != 0)
		log_info("cache: %zu MB (cache_mb; Berkeley DB region %llu KB)",
		    cache_mb, (unsigned long long)(be_cache_bytes(srv->be) >> 10));
	else
		log_info("cache: %zu MB (auto: data %llu MB, RAM %llu MB; "
		    "Berkeley DB region %llu KB)", cache_mb,
		    (unsigned long long)((cache_data + (1 << 20) - 1) >> 20),
		    (unsigned long long)(cache_ram >> 20),
		    (unsigned long long)(be_cache_bytes(srv->be) >> 10));
}

/* The main loop's timer: grows an automatic cache with the data. */
static void
cache_tick(evutil_socket_t fd, short what, void *arg)
{
	uint64_t data;
	size_t want;

	(void)fd;
	(void)what;
	(void)arg;
	data = be_data_bytes(srv->conf.data_dir);
	if ((want = be_cache_grow_mb(cache_mb, data, cache_ram)) == 0 ||
	    be_cache_resize(srv->be, (uint64_t)want << 20) != 0)
		return;
	log_info("cache: grown to %zu MB (auto: data %llu MB; Berkeley DB region %llu KB)",
	    want, (unsigned long long)((data + (1 << 20) - 1) >> 20),
	    (unsigned long long)(be_cache_bytes(srv->be) >> 10));
	cache_mb = want;
}

int
cache_start(void)
{
	struct timeval tv = { CACHE_CHECK_SECONDS, 0 };

	if (srv->conf.cache_mb != 0)
		return 0;
	if ((cache_timer = event_new(srv->base, -1, EV_PERSIST, cache_tick, NULL)) == NULL)
		return -1;
	return event_add(cache_timer, &tv);
}

void
cache_stop(void)
{
	if (cache_timer != NULL)
		event_free(cache_timer);
	cache_timer = NULL;
}
