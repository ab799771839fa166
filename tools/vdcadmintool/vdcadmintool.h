/*
 * vdcadmintool.h: what vdcadmintool's files share: the session (where
 * to connect, as whom, the connection), connecting and reporting a
 * failure the VMware way.
 */
#ifndef VDCADMINTOOL_H
#define VDCADMINTOOL_H

#include <stdio.h>

#include "tools/common/toolutil.h"

struct admin {
	char		*uri;		/* NULL: this node */
	char		*used;		/* the URI connected to */
	const char	*user;
	const char	*pw;
	LDAP		*ld;
	bool		 json;
	FILE		*in;
};

/* main.c */

/* " <what> failed. Error [<msg>] [<code>]" on stderr, or the JSON error. */
void	admin_error(const char *what, const char *msg, int code);
/* Connects lazily; prints the failure under the name what. LDAP code. */
int	admin_connect(struct admin *a, const char *what);

/* monitor.c */

/* Prints the node's counters (cn=monitor and its agreement entries). */
int	admin_monitor(struct admin *a);

#endif
