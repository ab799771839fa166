/*
 * secret.h: reading a password from a file, shared by vmdird (its
 * --password-file and the machine account's stored password) and the
 * tools (--password-file). Nothing here prints or aborts.
 */
#ifndef COMMON_SECRET_H
#define COMMON_SECRET_H

/*
 * The first line of file path (without its CR/LF, at most 1023 bytes):
 * caller frees, after wiping it with explicit_bzero. NULL when the file
 * cannot be read (errno says why) or memory runs out. The stack copy is
 * wiped before returning.
 */
char	*secret_read_file(const char *path);

#endif
