/*
 * status.c: vecs-cli status, a Trellis addition: what vecsd's
 * trusted-roots puller last did (state, last successful sync, last error,
 * counts). VMware's vecs-cli has no such command, so its shape is ours;
 * --json gives the same for scripts and monitoring.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tools/common/toolutil.h"
#include "tools/vecs-cli/vecs-cli.h"

static void
status_usage(FILE *f)
{
	fputs("  status                  the trusted-roots puller: last sync, last error, counts\n",
	    f);
}

/* "2026-11-28T10:00:00Z", or NULL for 0 (never). */
static const char *
status_time(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL)
		return NULL;
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

static json_t *
status_json_time(int64_t t)
{
	char buf[32];
	const char *s = status_time(t, buf, sizeof(buf));

	return s != NULL ? json_string(s) : json_null();
}

static json_t *
status_json_str(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static void
status_json(const struct vecs_status *st)
{
	tool_json_print(json_pack("{s:s, s:o, s:o, s:o, s:I, s:o, s:o, s:o, s:I, s:I, "
	    "s:I, s:{s:I, s:I}, s:{s:I, s:I}}",
	    "state", st->state,
	    "vmdir_uri", status_json_str(st->vmdir_uri),
	    "ca_path", status_json_str(st->ca_path),
	    "last_sync", status_json_time(st->last_sync),
	    "last_sync_epoch", (json_int_t)st->last_sync,
	    "last_attempt", status_json_time(st->last_attempt),
	    "last_error", status_json_str(st->last_error),
	    "last_error_time", status_json_time(st->last_error != NULL ? st->last_error_time : 0),
	    "usn", (json_int_t)st->usn,
	    "syncs", (json_int_t)st->syncs,
	    "sync_interval", (json_int_t)st->sync_interval,
	    "trusted_roots", "entries", (json_int_t)st->roots, "pulled", (json_int_t)st->roots_pulled,
	    "trusted_root_crls", "entries", (json_int_t)st->crls, "pulled", (json_int_t)st->crls_pulled));
}

static void
status_text(const struct vecs_status *st)
{
	char buf[32];
	const char *t;

	printf("Puller state:         %s\n", st->state);
	printf("Directory:            %s\n", st->vmdir_uri != NULL ? st->vmdir_uri : "none");
	t = status_time(st->last_sync, buf, sizeof(buf));
	printf("Last successful sync: %s\n", t != NULL ? t : "never");
	if (st->last_error != NULL)
		printf("Last error:           %s (%s)\n", st->last_error,
		    status_time(st->last_error_time, buf, sizeof(buf)) ?: "?");
	else
		printf("Last error:           none\n");
	printf("Directory USN:        %llu\n", (unsigned long long)st->usn);
	printf("Reconciliations:      %llu\n", (unsigned long long)st->syncs);
	printf("Sync interval:        %u s\n", st->sync_interval);
	printf("TRUSTED_ROOTS:        %u entries, %u pulled\n", st->roots, st->roots_pulled);
	printf("TRUSTED_ROOT_CRLS:    %u entries, %u pulled\n", st->crls, st->crls_pulled);
	printf("Hashed directory:     %s\n", st->ca_path != NULL ? st->ca_path : "none");
}

static int
status_run(struct cli *cli, int argc, char **argv)
{
	struct vecs_status *st;
	int rc;

	if (argc > 1)
		return cli_usage_error(cli, &cli_cmd_status, "status takes no argument");
	if ((rc = cli_connect(cli)) != 0)
		return rc;
	if ((rc = vecs_status(cli->conn, &st)) != VECS_OK)
		return cli_fail(cli, rc);
	if (cli->json)
		status_json(st);
	else
		status_text(st);
	vecs_status_free(st);
	return 0;
}

const struct cli_cmd cli_cmd_status = { "status", status_run, status_usage };
