/*
 * vecs-cli.h: what the files of vecs-cli share. main.c dispatches a
 * command group (store.c, entry.c, refresh.c, status.c) through a table; each group
 * parses its own options and prints VMware's output shapes, or JSON with
 * --json.
 */
#ifndef TOOLS_VECS_CLI_H
#define TOOLS_VECS_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "vecs/vecs.h"

struct cli {
	const char	*socket;	/* --socket, else $VECS_SOCKET, else the default */
	bool		 json;		/* --json */
	struct vecs_conn *conn;		/* once cli_connect succeeded */
};

/* One command group: "store", "entry", "force-refresh", "status". */
struct cli_cmd {
	const char	*name;
	int		(*run)(struct cli *cli, int argc, char **argv);
	void		(*usage)(FILE *f);
};

/* main.c */
/* Connects to vecsd; a failure is reported (cli_fail) and returned. */
int	 cli_connect(struct cli *cli);
/*
 * Reports a failure of a call: the daemon's text as an "Error : ..." line
 * when there is one, then "vecs-cli failed. Error <code>: ...", on
 * stderr (and as JSON on stdout with --json). Returns code.
 */
int	 cli_fail(struct cli *cli, int code);
/* The same, with a detail line of the tool's own (printed as is). */
int	 cli_fail_detail(struct cli *cli, int code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* A usage error: the 87 line, then the group's usage. Returns 87. */
int	 cli_usage_error(struct cli *cli, const struct cli_cmd *cmd, const char *why);
/* Asks "Do you wish to continue? Y/N [N] " after warning; true on Y or y. */
bool	 cli_confirm(const char *warning);
/* Reads a whole file (caller frees); NULL with errno set. */
char	*cli_read_file(const char *path);
/* Writes text to path, readable by its owner only; 0 or -1 with errno. */
int	 cli_write_private(const char *path, const char *text);

/* store.c, entry.c, refresh.c, status.c */
extern const struct cli_cmd cli_cmd_store, cli_cmd_entry, cli_cmd_refresh, cli_cmd_status;

#endif
