/*
 * http_metrics.c: GET /metrics, every counter of stats.c in the
 * Prometheus text exposition format (version 0.0.4): one # HELP and one
 * # TYPE line per family, then its samples. Counters end in _total;
 * timestamps are seconds since the epoch (0: never).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ldap.h>

#include "server.h"

struct metrics {
	char	*buf;
	size_t	 len, cap;
	bool	 nomem;
};

static void __attribute__((format(printf, 2, 3)))
metrics_printf(struct metrics *m, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(m->buf + m->len, m->cap - m->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			m->nomem = true;
			return;
		}
		if ((size_t)n < m->cap - m->len) {
			m->len += (size_t)n;
			return;
		}
		size_t cap = m->cap * 2 + (size_t)n + 1;
		char *b = realloc(m->buf, cap);
		if (b == NULL) {
			m->nomem = true;
			return;
		}
		m->buf = b;
		m->cap = cap;
	}
}

static void
metrics_family(struct metrics *m, const char *name, const char *type,
    const char *help)
{
	metrics_printf(m, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A family with one sample and no labels. */
static void
metrics_one(struct metrics *m, const char *name, const char *type,
    const char *help, uint64_t v)
{
	metrics_family(m, name, type, help);
	metrics_printf(m, "%s %llu\n", name, (unsigned long long)v);
}

/* A label value escaped as the format wants (backslash, quote, newline). */
static void
metrics_label(struct metrics *m, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			metrics_printf(m, "\\%c", *v);
		else if (*v == '\n')
			metrics_printf(m, "\\n");
		else
			metrics_printf(m, "%c", *v);
	}
}

/* The counters of struct stats that are one sample each. */
static const struct {
	const char	*name, *type, *help;
	size_t		 off;		/* of the uint64_t in struct stats */
} metrics_plain[] = {
	{ "trellis_ldap_connections", "gauge", "LDAP connections open now.",
	    offsetof(struct stats, conns) },
	{ "trellis_ldap_connections_total", "counter", "LDAP connections accepted.",
	    offsetof(struct stats, conns_total) },
	{ "trellis_ldap_received_bytes_total", "counter",
	    "Bytes of LDAP messages received.", offsetof(struct stats, bytes_in) },
	{ "trellis_ldap_sent_bytes_total", "counter", "Bytes of LDAP messages sent.",
	    offsetof(struct stats, bytes_out) },
	{ "trellis_ldap_entries_sent_total", "counter", "Search result entries sent.",
	    offsetof(struct stats, entries_out) },
	{ "trellis_ldap_loop_reads_total", "counter",
	    "Searches and compares answered on the event loop that read them.",
	    offsetof(struct stats, loop_reads) },
	{ "trellis_ldap_loop_handoffs_total", "counter",
	    "Of those, searches that went on on a worker past 64 candidates.",
	    offsetof(struct stats, loop_handoffs) },
	{ "trellis_bind_failures_total", "counter",
	    "Failed binds (LDAP and HTTP Basic).", offsetof(struct stats, bind_failures) },
	{ "trellis_lockouts_total", "counter",
	    "Accounts locked after too many failed binds.", offsetof(struct stats, lockouts) },
	{ "trellis_replication_supply_answers_total", "counter",
	    "Replication pulls answered, as the supplier.",
	    offsetof(struct stats, supply_answers) },
	{ "trellis_replication_supply_entries_total", "counter",
	    "Entries sent in answers to replication pulls.",
	    offsetof(struct stats, supply_entries) },
	{ "trellis_replication_supply_dampened_total", "counter",
	    "Wake-ups of waiting pulls with nothing to send that kept waiting.",
	    offsetof(struct stats, supply_dampened) },
	{ "trellis_replication_supply_held_total", "counter",
	    "Waiting pulls that held back changes relayed from the consumer's direct partners.",
	    offsetof(struct stats, supply_held) },
	{ "trellis_replication_supply_waiting", "gauge",
	    "Replication pulls waiting for changes now.",
	    offsetof(struct stats, supply_waiting) },
};

static void
metrics_ldap(struct metrics *m, const struct stats *s)
{
	metrics_family(m, "trellis_ldap_operations_total", "counter",
	    "LDAP requests received, by operation.");
	for (int i = 0; i < STATS_OP_MAX; i++)
		metrics_printf(m, "trellis_ldap_operations_total{op=\"%s\"} %llu\n",
		    stats_op_name(i), (unsigned long long)s->ops[i]);
	metrics_family(m, "trellis_ldap_results_total", "counter",
	    "LDAP results sent, by result code.");
	for (int i = 0; i < 128; i++) {
		if (s->results[i] == 0 && i != 0)
			continue;
		metrics_printf(m, "trellis_ldap_results_total{code=\"%d\",name=\"", i);
		metrics_label(m, ldap_err2string(i));
		metrics_printf(m, "\"} %llu\n", (unsigned long long)s->results[i]);
	}
	for (size_t i = 0; i < sizeof(metrics_plain) / sizeof(metrics_plain[0]); i++)
		metrics_one(m, metrics_plain[i].name, metrics_plain[i].type,
		    metrics_plain[i].help,
		    *(const uint64_t *)((const char *)s + metrics_plain[i].off));
}

static void
metrics_node(struct metrics *m)
{
	size_t regs = 0;

	metrics_one(m, "trellis_usn", "gauge", "Highest committed update sequence number.",
	    be_usn_highest(srv->be));
	metrics_family(m, "trellis_node_state", "gauge",
	    "The node's state: 1 for the current one.");
	for (int st = STATE_NORMAL; st <= STATE_STANDALONE; st++)
		metrics_printf(m, "trellis_node_state{state=\"%s\"} %d\n", state_name(st),
		    srv->state == st);
	metrics_family(m, "trellis_start_time_seconds", "gauge",
	    "When vmdird started, seconds since the epoch.");
	metrics_printf(m, "trellis_start_time_seconds %lld\n", (long long)srv->started);
	if (lookup_count(&regs) == LDAP_SUCCESS) {
		metrics_family(m, "trellis_lookup_registrations", "gauge",
		    "Lookup-service registrations in the directory.");
		metrics_printf(m, "trellis_lookup_registrations %zu\n", regs);
	}
}

static void
metrics_partner(struct metrics *m, const char *family, const struct stats_repl *r,
    unsigned long long v)
{
	metrics_printf(m, "%s{partner=\"", family);
	metrics_label(m, r->uri);
	metrics_printf(m, "\"} %llu\n", v);
}

static void
metrics_repl(struct metrics *m)
{
	struct stats_repl *v = NULL;
	size_t n = 0;

	if (stats_repl_snapshot(&v, &n) != 0)
		return;
	metrics_family(m, "trellis_replication_backlog", "gauge",
	    "Partner's changes not applied yet, in its USNs, at the last cycle.");
	for (size_t i = 0; i < n; i++)
		metrics_partner(m, "trellis_replication_backlog", &v[i], v[i].backlog);
	metrics_family(m, "trellis_replication_last_success_timestamp_seconds", "gauge",
	    "Last successful replication cycle from the partner (0: never).");
	for (size_t i = 0; i < n; i++)
		metrics_partner(m, "trellis_replication_last_success_timestamp_seconds",
		    &v[i], (unsigned long long)v[i].last_success);
	metrics_family(m, "trellis_replication_last_error_timestamp_seconds", "gauge",
	    "Last failed replication cycle from the partner (0: never).");
	for (size_t i = 0; i < n; i++)
		metrics_partner(m, "trellis_replication_last_error_timestamp_seconds",
		    &v[i], (unsigned long long)v[i].last_error);
	metrics_family(m, "trellis_replication_failures_total", "counter",
	    "Failed replication cycles, by partner.");
	for (size_t i = 0; i < n; i++)
		metrics_partner(m, "trellis_replication_failures_total", &v[i],
		    v[i].failures);
	metrics_family(m, "trellis_replication_pulls_total", "counter",
	    "Successful replication cycles, by partner.");
	for (size_t i = 0; i < n; i++)
		metrics_partner(m, "trellis_replication_pulls_total", &v[i], v[i].pulls);
	metrics_family(m, "trellis_replication_applied_entries_total", "counter",
	    "Entries applied from the partner.");
	for (size_t i = 0; i < n; i++)
		metrics_partner(m, "trellis_replication_applied_entries_total", &v[i],
		    v[i].applied);
	free(v);
}

static void
metrics_http(struct metrics *m, const struct stats *s)
{
	metrics_family(m, "trellis_http_requests_total", "counter",
	    "HTTP requests answered, by status code.");
	for (int i = 100; i < STATS_HTTP_CODES; i++)
		if (s->http[i] != 0)
			metrics_printf(m, "trellis_http_requests_total{code=\"%d\"} %llu\n",
			    i, (unsigned long long)s->http[i]);
}

void
http_metrics(const struct http_req *q, struct http_resp *r)
{
	struct metrics m = { .cap = 8192 };
	struct stats *s = malloc(sizeof(*s));

	(void)q;
	if (s == NULL || (m.buf = malloc(m.cap)) == NULL) {
		free(s);
		http_error(r, 500, "out of memory");
		return;
	}
	m.buf[0] = '\0';
	stats_snapshot(s);
	metrics_ldap(&m, s);
	metrics_node(&m);
	metrics_repl(&m);
	metrics_http(&m, s);
	free(s);
	if (m.nomem) {
		free(m.buf);
		http_error(r, 500, "out of memory");
		return;
	}
	http_reply(r, 200, "text/plain; version=0.0.4; charset=utf-8", m.buf, m.len);
}
