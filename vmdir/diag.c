/*
 * diag.c: result codes paired with the diagnostic message for the client.
 */

#include <stdarg.h>
#include <stdio.h>

#include "vmdir.h"

int
diag_set(struct diag *d, int rc, const char *fmt, ...)
{
	va_list	 ap;

	if (d == NULL)
		return rc;
	d->rc = rc;
	va_start(ap, fmt);
	vsnprintf(d->text, sizeof(d->text), fmt, ap);
	va_end(ap);
	return rc;
}

void
diag_clear(struct diag *d)
{
	if (d == NULL)
		return;
	d->rc = LDAP_SUCCESS;
	d->text[0] = '\0';
	d->matched[0] = '\0';
}
