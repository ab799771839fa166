/*
 * replay.c: runs a fuzz target over its seed corpus so that `make check`
 * exercises it without libFuzzer. Prints TAP, one line per input: a seed
 * whose name starts with "bad_" must be rejected by the target, any other
 * must be accepted (fuzz_accepts), and none may crash it.
 */
#ifndef TRELLIS_LIBFUZZER

#include <sys/stat.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int	fuzz_accepts(const uint8_t *, size_t);

static int replay_n, replay_failed;

static void
replay_file(const char *path)
{
	FILE		*f;
	uint8_t		*buf = NULL;
	const char	*base;
	size_t		 len = 0, cap = 0, r;
	int		 bad, accepted;

	replay_n++;
	if ((f = fopen(path, "rb")) == NULL)
		goto fail;
	for (;;) {
		if (len == cap) {
			uint8_t *nbuf;

			cap = cap ? cap * 2 : 4096;
			if ((nbuf = realloc(buf, cap)) == NULL)
				goto fail;
			buf = nbuf;
		}
		if ((r = fread(buf + len, 1, cap - len, f)) == 0)
			break;
		len += r;
	}
	if (ferror(f))
		goto fail;
	fclose(f);
	accepted = fuzz_accepts(buf, len);
	free(buf);
	base = (base = strrchr(path, '/')) != NULL ? base + 1 : path;
	bad = strncmp(base, "bad_", 4) == 0;
	if (accepted == bad) {
		replay_failed++;
		printf("not ok %d - %s: %s seed %s\n", replay_n, path,
		    bad ? "bad" : "good", accepted ? "accepted" : "rejected");
	} else
		printf("ok %d - %s %s\n", replay_n, path,
		    accepted ? "accepted" : "rejected");
	fflush(stdout);
	return;
 fail:
	if (f != NULL)
		fclose(f);
	free(buf);
	replay_failed++;
	printf("not ok %d - %s\n", replay_n, path);
}

/* dir/name in a new string; exits when memory is out, as a tool may. */
static char *
replay_path(const char *dir, const char *name)
{
	size_t	 len = strlen(dir) + strlen(name) + 2;
	char	*p;

	if ((p = malloc(len)) == NULL) {
		perror("replay");
		exit(1);
	}
	snprintf(p, len, "%s/%s", dir, name);
	return p;
}

static int
replay_cmp(const void *a, const void *b)
{
	return strcmp(*(char * const *)a, *(char * const *)b);
}

/* Files of dir in name order, so runs are reproducible. */
static void
replay_dir(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	char		**names = NULL, **nn, *path;
	size_t		 n = 0, i;

	if ((d = opendir(dir)) == NULL) {
		replay_n++;
		replay_failed++;
		printf("not ok %d - %s\n", replay_n, dir);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((nn = realloc(names, (n + 1) * sizeof(*names))) == NULL ||
		    (nn[n] = strdup(de->d_name)) == NULL) {
			perror("replay");
			exit(1);
		}
		names = nn;
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), replay_cmp);
	for (i = 0; i < n; i++) {
		path = replay_path(dir, names[i]);
		replay_file(path);
		free(path);
		free(names[i]);
	}
	free(names);
}

static void
replay_arg(const char *arg)
{
	struct stat	 st;

	if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode))
		replay_dir(arg);
	else
		replay_file(arg);
}

int
main(int argc, char **argv)
{
	const char	*top, *name;
	char		 sub[1024];
	char		*dir;
	int		 i;

	if (argc > 1) {
		for (i = 1; i < argc; i++)
			replay_arg(argv[i]);
	} else {
		if ((top = getenv("top_srcdir")) == NULL)
			top = ".";
		name = (name = strrchr(argv[0], '/')) ? name + 1 : argv[0];
		/* libtool runs uninstalled programs as lt-<name>. */
		if (strncmp(name, "lt-", 3) == 0)
			name += 3;
		snprintf(sub, sizeof(sub), "tests/fuzz/corpus/%s", name);
		dir = replay_path(top, sub);
		replay_dir(dir);
		free(dir);
	}
	printf("1..%d\n", replay_n);
	return replay_failed ? 1 : 0;
}

#endif /* TRELLIS_LIBFUZZER */
