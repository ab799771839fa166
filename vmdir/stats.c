/*
 * stats.c: every counter of the node, in one place: requests by type,
 * results by code, connections, bytes, entries sent, failed binds and
 * lockouts, HTTP answers by status, what this node supplied to
 * replication partners (pulls answered, entries sent, waiting pulls kept
 * waiting because a wake-up had nothing they lacked), and per replication
 * agreement its last success, last error and backlog. Counters are atomics bumped where things happen; readers
 * (the cn=monitor entries of monitor.c, the root DSE, /health and
 * /metrics of the HTTP side port) take a snapshot. Everything counts since the process started.
 */
#include <stdlib.h>
#include <string.h>

#include "server.h"

#define STATS_RESULTS	128	/* result codes 0..127; others count as 127 */

static struct {
	_Atomic uint64_t	 ops[STATS_OP_MAX];
	_Atomic uint64_t	 results[STATS_RESULTS];
	_Atomic uint64_t	 conns, conns_total;
	_Atomic uint64_t	 bytes_in, bytes_out, entries_out;
	_Atomic uint64_t	 bind_failures, lockouts;
	_Atomic uint64_t	 loop_reads, loop_handoffs;
	_Atomic uint64_t	 http[STATS_HTTP_CODES];
	_Atomic uint64_t	 supply_answers, supply_entries, supply_dampened;
	_Atomic uint64_t	 supply_held;
	_Atomic int64_t		 supply_waiting;
} st;

static const char *const stats_op_names[STATS_OP_MAX] = {
	"bind", "unbind", "search", "modify", "add", "delete", "modrdn",
	"compare", "abandon", "extended",
};

/* Per agreement, by supplier URI (its lock guards the list and fields). */
static pthread_mutex_t stats_repl_lock = PTHREAD_MUTEX_INITIALIZER;
static struct stats_repl *stats_repl_list;

const char *
stats_op_name(enum stats_op op)
{
	return op < STATS_OP_MAX ? stats_op_names[op] : "unknown";
}

void
stats_request(ber_tag_t tag)
{
	enum stats_op op;

	switch (tag) {
	case LDAP_REQ_BIND:	op = STATS_BIND; break;
	case LDAP_REQ_UNBIND:	op = STATS_UNBIND; break;
	case LDAP_REQ_SEARCH:	op = STATS_SEARCH; break;
	case LDAP_REQ_MODIFY:	op = STATS_MODIFY; break;
	case LDAP_REQ_ADD:	op = STATS_ADD; break;
	case LDAP_REQ_DELETE:	op = STATS_DELETE; break;
	case LDAP_REQ_MODDN:	op = STATS_MODRDN; break;
	case LDAP_REQ_COMPARE:	op = STATS_COMPARE; break;
	case LDAP_REQ_ABANDON:	op = STATS_ABANDON; break;
	case LDAP_REQ_EXTENDED:	op = STATS_EXTENDED; break;
	default:		return;
	}
	atomic_fetch_add(&st.ops[op], 1);
}

void
stats_result(int rc)
{
	atomic_fetch_add(&st.results[rc >= 0 && rc < STATS_RESULTS ? rc :
	    STATS_RESULTS - 1], 1);
}

void
stats_conn_open(void)
{
	atomic_fetch_add(&st.conns, 1);
	atomic_fetch_add(&st.conns_total, 1);
}

void
stats_conn_close(void)
{
	atomic_fetch_sub(&st.conns, 1);
}

void
stats_bytes_in(size_t n)
{
	atomic_fetch_add(&st.bytes_in, n);
}

void
stats_bytes_out(size_t n)
{
	atomic_fetch_add(&st.bytes_out, n);
}

void
stats_entry_sent(void)
{
	atomic_fetch_add(&st.entries_out, 1);
}

void
stats_loop_read(void)
{
	atomic_fetch_add(&st.loop_reads, 1);
}

void
stats_loop_handoff(void)
{
	atomic_fetch_add(&st.loop_handoffs, 1);
}

void
stats_bind_failure(void)
{
	atomic_fetch_add(&st.bind_failures, 1);
}

void
stats_lockout(void)
{
	atomic_fetch_add(&st.lockouts, 1);
}

void
stats_http(int status)
{
	if (status >= 100 && status < STATS_HTTP_CODES)
		atomic_fetch_add(&st.http[status], 1);
}

void
stats_supply_answered(size_t entries)
{
	atomic_fetch_add(&st.supply_answers, 1);
	atomic_fetch_add(&st.supply_entries, entries);
}

void
stats_supply_dampened(void)
{
	atomic_fetch_add(&st.supply_dampened, 1);
}

void
stats_supply_held(void)
{
	atomic_fetch_add(&st.supply_held, 1);
}

void
stats_supply_waiting(int delta)
{
	atomic_fetch_add(&st.supply_waiting, delta);
}

void
stats_snapshot(struct stats *s)
{
	memset(s, 0, sizeof(*s));
	for (int i = 0; i < STATS_OP_MAX; i++)
		s->ops[i] = atomic_load(&st.ops[i]);
	for (int i = 0; i < STATS_RESULTS; i++)
		s->results[i] = atomic_load(&st.results[i]);
	s->conns = atomic_load(&st.conns);
	s->conns_total = atomic_load(&st.conns_total);
	s->bytes_in = atomic_load(&st.bytes_in);
	s->bytes_out = atomic_load(&st.bytes_out);
	s->entries_out = atomic_load(&st.entries_out);
	s->bind_failures = atomic_load(&st.bind_failures);
	s->lockouts = atomic_load(&st.lockouts);
	s->loop_reads = atomic_load(&st.loop_reads);
	s->loop_handoffs = atomic_load(&st.loop_handoffs);
	for (int i = 0; i < STATS_HTTP_CODES; i++)
		s->http[i] = atomic_load(&st.http[i]);
	s->supply_answers = atomic_load(&st.supply_answers);
	s->supply_entries = atomic_load(&st.supply_entries);
	s->supply_dampened = atomic_load(&st.supply_dampened);
	s->supply_held = atomic_load(&st.supply_held);
	s->supply_waiting = (uint64_t)atomic_load(&st.supply_waiting);
}

/* The record of uri, created if absent (stats_repl_lock held); NULL
 * without memory. */
static struct stats_repl *
stats_repl_get(const char *uri)
{
	struct stats_repl *r;

	for (r = stats_repl_list; r != NULL; r = r->next)
		if (strcmp(r->uri, uri) == 0)
			return r;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	snprintf(r->uri, sizeof(r->uri), "%s", uri);
	r->next = stats_repl_list;
	stats_repl_list = r;
	return r;
}

void
stats_repl_success(const char *uri, size_t applied, uint64_t backlog)
{
	struct stats_repl *r;

	pthread_mutex_lock(&stats_repl_lock);
	if ((r = stats_repl_get(uri)) != NULL) {
		r->last_success = time(NULL);
		r->healthy = true;
		r->pulls++;
		r->applied += applied;
		r->backlog = backlog;
	}
	pthread_mutex_unlock(&stats_repl_lock);
}

void
stats_repl_partner(const char *uri, const char *inv)
{
	struct stats_repl *r;

	pthread_mutex_lock(&stats_repl_lock);
	if ((r = stats_repl_get(uri)) != NULL)
		snprintf(r->inv, sizeof(r->inv), "%s", inv);
	pthread_mutex_unlock(&stats_repl_lock);
}

size_t
stats_repl_direct(const char *except, char (*out)[64], size_t max)
{
	size_t n = 0;

	pthread_mutex_lock(&stats_repl_lock);
	for (struct stats_repl *r = stats_repl_list; r != NULL && n < max; r = r->next)
		if (r->healthy && r->inv[0] != '\0' && strcmp(r->uri, except) != 0)
			snprintf(out[n++], 64, "%s", r->inv);
	pthread_mutex_unlock(&stats_repl_lock);
	return n;
}

void
stats_repl_error(const char *uri, const char *text)
{
	struct stats_repl *r;

	pthread_mutex_lock(&stats_repl_lock);
	if ((r = stats_repl_get(uri)) != NULL) {
		r->last_error = time(NULL);
		r->healthy = false;
		r->failures++;
		snprintf(r->error, sizeof(r->error), "%s", text);
	}
	pthread_mutex_unlock(&stats_repl_lock);
}

void
stats_repl_forget(const char *uri)
{
	pthread_mutex_lock(&stats_repl_lock);
	for (struct stats_repl **p = &stats_repl_list; *p != NULL; p = &(*p)->next)
		if (strcmp((*p)->uri, uri) == 0) {
			struct stats_repl *r = *p;
			*p = r->next;
			free(r);
			break;
		}
	pthread_mutex_unlock(&stats_repl_lock);
}

int
stats_repl_snapshot(struct stats_repl **out, size_t *n)
{
	struct stats_repl *v = NULL;
	size_t k = 0;

	pthread_mutex_lock(&stats_repl_lock);
	for (struct stats_repl *r = stats_repl_list; r != NULL; r = r->next)
		k++;
	if (k > 0 && (v = calloc(k, sizeof(*v))) == NULL) {
		pthread_mutex_unlock(&stats_repl_lock);
		return -1;
	}
	k = 0;
	for (struct stats_repl *r = stats_repl_list; r != NULL; r = r->next) {
		v[k] = *r;
		v[k++].next = NULL;
	}
	pthread_mutex_unlock(&stats_repl_lock);
	*out = v;
	*n = k;
	return 0;
}
