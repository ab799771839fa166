/*
 * secret.c: a password read from a file; see secret.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/secret.h"

char *
secret_read_file(const char *path)
{
	char buf[1024], *s;
	FILE *f = fopen(path, "r");
	size_t n;
	int err;

	if (f == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	err = ferror(f) ? EIO : 0;
	fclose(f);
	if (err != 0) {
		explicit_bzero(buf, sizeof(buf));
		errno = err;
		return NULL;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	s = strdup(buf);
	explicit_bzero(buf, sizeof(buf));
	return s;
}
