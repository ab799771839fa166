/*
 * repl_latency.c: replication convergence latency, as a client sees it.
 *
 * One bound connection to a writer and one to a reader. For i in 1..count:
 * add cn=lat-<run>-<i>,<base> (objectClass person, sn) on the writer
 * (synchronously; t0 is taken just before the add is sent), then poll the
 * reader with a base-scope search for that DN (200 us between polls) until
 * it is found: the latency is t1 - t0. Not found within the timeout: lost.
 * Prints p50, p90, p99 and max in milliseconds and the lost count (--json:
 * one JSON object). A benchmark tool: it never fails on a number, only on
 * set-up errors (connect, bind, add).
 *
 * Usage: repl_latency [options] WRITER_URI READER_URI BIND_DN PASSWORD BASE COUNT
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ldap.h>

#include "common/ldapc.h"

static const char *prog = "repl_latency";

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: %s [options] WRITER_URI READER_URI BIND_DN PASSWORD BASE_DN COUNT\n"
	    "\n"
	    "Adds COUNT entries cn=lat-RUN-I,BASE_DN on the writer, one at a time, and\n"
	    "after each add polls the reader (base search) until the entry is there.\n"
	    "Reports the add-to-visible latency: p50, p90, p99, max (ms) and lost.\n"
	    "\n"
	    "  --json            print one JSON object instead of text\n"
	    "  --run ID          RUN part of the names (default: time and pid)\n"
	    "  --poll-us N       pause between polls, microseconds (default 200)\n"
	    "  --timeout S       seconds before an entry counts as lost (default 10)\n"
	    "  --pause-ms N      pause after each entry is seen, ms (default 0)\n"
	    "  -h, --help        this text\n", prog);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
pause_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static LDAP *
connect_bind(const char *uri, const char *dn, const char *pw)
{
	/* a server that stops answering must end the run, not hang it */
	struct ldapc_opts o = { .uri = uri, .bind_dn = dn, .password = pw,
	    .net_timeout = 30, .op_timeout = 30 };
	char *msg = NULL;
	LDAP *ld = NULL;

	if (ldapc_connect(&o, &ld, &msg) != LDAP_SUCCESS) {
		fprintf(stderr, "%s: bind to %s as %s: %s\n", prog, uri, dn,
		    msg ? msg : "out of memory");
		exit(1);
	}
	return ld;
}

/* 1 found, 0 not (yet) there, -1 error (message printed once per kind). */
static int
exists(LDAP *ld, const char *dn)
{
	static int last_err;
	char *attrs[] = { LDAP_NO_ATTRS, NULL };
	LDAPMessage *res = NULL;
	int rc, n;

	rc = ldap_search_ext_s(ld, dn, LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 0,
	    NULL, NULL, NULL, 0, &res);
	n = rc == LDAP_SUCCESS ? ldap_count_entries(ld, res) : 0;
	ldap_msgfree(res);
	if (rc == LDAP_SUCCESS)
		return n > 0;
	if (rc == LDAP_NO_SUCH_OBJECT)
		return 0;
	if (rc != last_err)
		fprintf(stderr, "%s: search %s: %s\n", prog, dn, ldap_err2string(rc));
	last_err = rc;
	return rc == LDAP_SERVER_DOWN || rc == LDAP_TIMEOUT ? -2 : -1;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v[0..n-1] (n > 0). */
static double
pct(const double *v, size_t n, double p)
{
	size_t k = (size_t)(p * (double)n + 0.999999999);

	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return v[k - 1];
}

int
main(int argc, char **argv)
{
	const char *pos[6], *run = NULL;
	char runbuf[64], dn[1024], cnval[128];
	long poll_us = 200, pause_ms = 0;
	double timeout = 10.0, *lat, sum = 0;
	int json = 0, npos = 0, count, lost = 0, errors = 0;
	size_t nlat = 0;
	LDAP *w, *r;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--json") == 0)
			json = 1;
		else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(a, "--run") == 0 && i + 1 < argc)
			run = argv[++i];
		else if (strcmp(a, "--poll-us") == 0 && i + 1 < argc)
			poll_us = atol(argv[++i]);
		else if (strcmp(a, "--timeout") == 0 && i + 1 < argc)
			timeout = atof(argv[++i]);
		else if (strcmp(a, "--pause-ms") == 0 && i + 1 < argc)
			pause_ms = atol(argv[++i]);
		else if (a[0] == '-' && a[1] == '-') {
			fprintf(stderr, "%s: unknown option %s\n", prog, a);
			usage(stderr);
			return 2;
		} else if (npos < 6)
			pos[npos++] = a;
		else {
			usage(stderr);
			return 2;
		}
	}
	if (npos != 6 || (count = atoi(pos[5])) < 1 || poll_us < 0 || timeout <= 0 ||
	    pause_ms < 0) {
		usage(stderr);
		return 2;
	}
	if (run == NULL) {
		snprintf(runbuf, sizeof(runbuf), "%ld%d", (long)time(NULL), (int)getpid());
		run = runbuf;
	}
	if ((lat = calloc((size_t)count, sizeof(*lat))) == NULL) {
		perror(prog);
		return 1;
	}

	w = connect_bind(pos[0], pos[2], pos[3]);
	r = connect_bind(pos[1], pos[2], pos[3]);

	for (int i = 1; i <= count; i++) {
		char *oc[] = { "person", NULL }, *cn[] = { cnval, NULL }, *sn[] = { "latency", NULL };
		LDAPMod m_oc = { LDAP_MOD_ADD, "objectClass", { oc } };
		LDAPMod m_cn = { LDAP_MOD_ADD, "cn", { cn } };
		LDAPMod m_sn = { LDAP_MOD_ADD, "sn", { sn } };
		LDAPMod *mods[] = { &m_oc, &m_cn, &m_sn, NULL };
		double t0, t1, deadline;
		int rc, found = 0;

		snprintf(cnval, sizeof(cnval), "lat-%s-%d", run, i);
		snprintf(dn, sizeof(dn), "cn=%s,%s", cnval, pos[4]);
		t0 = now_s();
		rc = ldap_add_ext_s(w, dn, mods, NULL, NULL);
		if (rc != LDAP_SUCCESS) {
			fprintf(stderr, "%s: add %s: %s\n", prog, dn, ldap_err2string(rc));
			if (++errors >= 10 || rc == LDAP_SERVER_DOWN || rc == LDAP_TIMEOUT) {
				fprintf(stderr, "%s: giving up\n", prog);
				return 1;
			}
			continue;
		}
		deadline = t0 + timeout;
		for (;;) {
			int e = exists(r, dn);

			t1 = now_s();
			if (e > 0) {
				found = 1;
				break;
			}
			if (e == -2) {
				fprintf(stderr, "%s: reader connection lost or timed out\n", prog);
				return 1;
			}
			if (t1 >= deadline)
				break;
			if (poll_us > 0)
				pause_us(poll_us);
		}
		if (found) {
			lat[nlat++] = (t1 - t0) * 1000.0;
			sum += (t1 - t0) * 1000.0;
		} else
			lost++;
		if (pause_ms > 0)
			pause_us(pause_ms * 1000);
	}
	ldap_unbind_ext_s(w, NULL, NULL);
	ldap_unbind_ext_s(r, NULL, NULL);

	qsort(lat, nlat, sizeof(*lat), cmp_double);
	if (json) {
		if (nlat > 0)
			printf("{\"count\": %d, \"seen\": %zu, \"lost\": %d, \"add_errors\": %d, "
			    "\"p50_ms\": %.3f, \"p90_ms\": %.3f, \"p99_ms\": %.3f, "
			    "\"max_ms\": %.3f, \"mean_ms\": %.3f}\n", count, nlat, lost, errors,
			    pct(lat, nlat, 0.50), pct(lat, nlat, 0.90), pct(lat, nlat, 0.99),
			    lat[nlat - 1], sum / (double)nlat);
		else
			printf("{\"count\": %d, \"seen\": 0, \"lost\": %d, \"add_errors\": %d, "
			    "\"p50_ms\": null, \"p90_ms\": null, \"p99_ms\": null, "
			    "\"max_ms\": null, \"mean_ms\": null}\n", count, lost, errors);
	} else {
		printf("count %d  seen %zu  lost %d  add errors %d\n", count, nlat, lost, errors);
		if (nlat > 0)
			printf("latency ms: p50 %.3f  p90 %.3f  p99 %.3f  max %.3f  mean %.3f\n",
			    pct(lat, nlat, 0.50), pct(lat, nlat, 0.90), pct(lat, nlat, 0.99),
			    lat[nlat - 1], sum / (double)nlat);
	}
	free(lat);
	return 0;
}
