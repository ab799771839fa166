/*
 * main.c: vecs-cli, the command line of the endpoint certificate store
 * (vecsd). Takes VMware's command set (store, entry, force-refresh, help)
 * plus Trellis' status, prints what VMware's prints, and reports failures as
 * "vecs-cli failed. Error <code>: <text> " with the code, modulo 256, as
 * the exit status. --socket PATH (or $VECS_SOCKET) and --json may appear
 * anywhere on the line.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/common/toolutil.h"
#include "tools/vecs-cli/vecs-cli.h"

static const struct cli_cmd *const cli_cmds[] = {
	&cli_cmd_store, &cli_cmd_entry, &cli_cmd_refresh, &cli_cmd_status, NULL
};

static void
cli_usage(FILE *f)
{
	fputs("usage: vecs-cli [--socket PATH] [--json] COMMAND ...\n\n"
	    "Commands of the endpoint certificate store (vecsd):\n\n", f);
	for (size_t i = 0; cli_cmds[i] != NULL; i++)
		cli_cmds[i]->usage(f);
	fputs("  help [store|entry|force-refresh|status]\n\n"
	    "  --socket PATH   vecsd's socket (default $VECS_SOCKET, else "
	    VECS_DEFAULT_SOCKET ")\n"
	    "  --json          print results as JSON\n"
	    "  --help          this help\n", f);
}

int
cli_connect(struct cli *cli)
{
	int rc = vecs_connect(cli->socket, &cli->conn);

	if (rc == VECS_OK)
		return 0;
	return cli_fail_detail(cli, rc, "Error : cannot connect to vecsd at %s",
	    cli->socket != NULL ? cli->socket : getenv(VECS_SOCKET_ENV) != NULL &&
	    getenv(VECS_SOCKET_ENV)[0] != '\0' ? getenv(VECS_SOCKET_ENV) :
	    VECS_DEFAULT_SOCKET);
}

static int
cli_report(struct cli *cli, int code, const char *detail)
{
	char *text = xasprintf("Operation failed with error %s (%d)", vecs_err_name(code),
	    code);

	if (detail != NULL && detail[0] != '\0')
		fprintf(stderr, "%s\n", detail);
	fprintf(stderr, "vecs-cli failed. Error %d: %s \n", code, text);
	if (cli->json) {
		char *msg = xasprintf("%s%s%s", text, detail != NULL && detail[0] ? ": " : "",
		    detail != NULL ? detail : "");
		tool_json_error(code, msg);
		free(msg);
	}
	free(text);
	return code;
}

int
cli_fail(struct cli *cli, int code)
{
	const char *why = vecs_conn_error(cli->conn);
	char *detail = NULL;
	int rc;

	if (why != NULL && why[0] != '\0' && strcmp(why, vecs_err_name(code)) != 0)
		detail = xasprintf("Error : %s", why);
	rc = cli_report(cli, code, detail);
	free(detail);
	return rc;
}

int
cli_fail_detail(struct cli *cli, int code, const char *fmt, ...)
{
	va_list ap;
	char *detail;
	int rc;

	va_start(ap, fmt);
	if (vasprintf(&detail, fmt, ap) < 0)
		detail = NULL;
	va_end(ap);
	rc = cli_report(cli, code, detail);
	free(detail);
	return rc;
}

int
cli_usage_error(struct cli *cli, const struct cli_cmd *cmd, const char *why)
{
	cli_fail_detail(cli, VECS_ERR_INVALID_PARAMETER, "Error : %s", why);
	fputs("usage:\n", stderr);
	if (cmd != NULL)
		cmd->usage(stderr);
	else
		cli_usage(stderr);
	return VECS_ERR_INVALID_PARAMETER;
}

bool
cli_confirm(const char *warning)
{
	char line[64];

	printf("%s\nDo you wish to continue? Y/N [N] ", warning);
	fflush(stdout);
	if (fgets(line, sizeof(line), stdin) == NULL) {
		putchar('\n');
		return false;
	}
	tool_chomp(line);
	return strcmp(line, "Y") == 0 || strcmp(line, "y") == 0;
}

char *
cli_read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0, r;

	if (f == NULL)
		return NULL;
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			/* certificate files are small: a bound keeps a wrong
			 * argument (a device, a huge file) from eating memory */
			if (cap > (8u << 20)) {
				fclose(f);
				free(buf);
				errno = EFBIG;
				return NULL;
			}
			buf = xrealloc(buf, cap);
		}
		if ((r = fread(buf + len, 1, cap - len - 1, f)) == 0)
			break;
		len += r;
	}
	if (ferror(f)) {
		fclose(f);
		free(buf);
		errno = EIO;
		return NULL;
	}
	fclose(f);
	buf[len] = '\0';
	if (strlen(buf) != len) {
		free(buf);
		errno = EINVAL;
		return NULL;
	}
	return buf;
}

int
cli_write_private(const char *path, const char *text)
{
	size_t len = strlen(text);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0)
		return -1;
	/* an existing file becomes private too */
	if (fchmod(fd, 0600) != 0 || write(fd, text, len) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	return close(fd);
}

/* Takes --socket PATH, --socket=PATH and --json out of argv, wherever they are. */
static int
cli_globals(struct cli *cli, int argc, char **argv)
{
	int n = 0;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			cli->json = true;
		else if (strncmp(argv[i], "--socket=", 9) == 0)
			cli->socket = argv[i] + 9;
		else if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc)
			cli->socket = argv[++i];
		else
			argv[n++] = argv[i];
	}
	argv[n] = NULL;
	return n;
}

static const struct cli_cmd *
cli_find(const char *name)
{
	for (size_t i = 0; cli_cmds[i] != NULL; i++)
		if (strcmp(cli_cmds[i]->name, name) == 0)
			return cli_cmds[i];
	return NULL;
}

int
main(int argc, char **argv)
{
	struct cli cli = { 0 };
	const struct cli_cmd *cmd;
	int rc;

	argc = cli_globals(&cli, argc, argv);
	if (argc < 2)
		return cli_usage_error(&cli, NULL, "no command given") % 256;
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		if (argc > 2 && (cmd = cli_find(argv[2])) != NULL)
			cmd->usage(stdout);
		else
			cli_usage(stdout);
		return 0;
	}
	if ((cmd = cli_find(argv[1])) == NULL)
		return cli_usage_error(&cli, NULL, "unknown command") % 256;
	rc = cmd->run(&cli, argc - 1, argv + 1);
	vecs_close(cli.conn);
	return rc % 256;
}
