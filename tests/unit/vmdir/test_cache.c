/*
 * test_cache.c: the automatic size of the Berkeley DB cache (cache_mb =
 * auto) from the data on disk and the RAM, and the sum of the .db files
 * it starts from.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap.h"
#include "vmdir.h"

#define MIB	(1ULL << 20)
#define GIB	(1ULL << 30)

static void
write_file(const char *dir, const char *name, size_t size)
{
	char	 path[4096];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL)
		return;
	if (size > 0) {
		fseek(f, (long)size - 1, SEEK_SET);
		fputc(0, f);
	}
	fclose(f);
}

int
main(void)
{
	char	 tmpl[4096], path[4096];
	char	*dir;

	/* the floor */
	is_int(be_cache_auto_mb(0, 24 * GIB), 32, "no data: 32 MB");
	is_int(be_cache_auto_mb(1, 24 * GIB), 32, "1 byte: 32 MB");
	is_int(be_cache_auto_mb(64 * MIB, 24 * GIB), 32, "64 MB / 2 = 32 MB exactly");
	/* halved, up to a whole MiB, up to a multiple of 8 */
	is_int(be_cache_auto_mb(64 * MIB + 1, 24 * GIB), 40,
	    "64 MB and a byte: 32 MB and a bit -> 33 -> 40 MB");
	is_int(be_cache_auto_mb(65 * MIB, 24 * GIB), 40, "65 MB: 32.5 -> 33 -> 40 MB");
	is_int(be_cache_auto_mb(96 * MIB, 24 * GIB), 48, "96 MB -> 48 MB exactly");
	is_int(be_cache_auto_mb(97 * MIB, 24 * GIB), 56, "97 MB: 48.5 -> 49 -> 56 MB");
	is_int(be_cache_auto_mb(1000 * MIB, 24 * GIB), 504, "1000 MB -> 500 -> 504 MB");
	is_int(be_cache_auto_mb(8 * GIB, 24 * GIB), 4096, "8 GB -> 4096 MB");
	/* the ceiling: a quarter of the RAM */
	is_int(be_cache_auto_mb(20 * GIB, 24 * GIB), 6144,
	    "20 GB of data, 24 GB of RAM: 6 GB");
	is_int(be_cache_auto_mb(2000 * MIB, 2 * GIB), 512,
	    "2000 MB of data, 2 GB of RAM: 512 MB");
	is_int(be_cache_auto_mb(1000 * MIB, 100 * MIB), 32,
	    "the floor wins over a quarter of 100 MB of RAM");
	is_int(be_cache_auto_mb(20 * GIB, 0), 10240, "RAM unknown: no ceiling (10 GB)");

	/* growth while running: once the data wants an eighth more */
	is_int(be_cache_grow_mb(32, 64 * MIB, 24 * GIB), 0, "32 MB, data wants 32: stay");
	is_int(be_cache_grow_mb(32, 65 * MIB, 24 * GIB), 40, "32 MB, data wants 40: grow to 40");
	is_int(be_cache_grow_mb(48, 96 * MIB, 24 * GIB), 0, "48 MB, data wants 48: stay");
	is_int(be_cache_grow_mb(48, 97 * MIB, 24 * GIB), 56,
	    "48 MB, data wants 56 (more than an eighth more): grow");
	is_int(be_cache_grow_mb(64, 130 * MIB, 24 * GIB), 0,
	    "64 MB, data wants 72 (exactly an eighth more): stay");
	is_int(be_cache_grow_mb(64, 150 * MIB, 24 * GIB), 80,
	    "64 MB, data wants 80: grow");
	is_int(be_cache_grow_mb(120, 240 * MIB, 24 * GIB), 0, "120 MB, data wants 120: stay");
	is_int(be_cache_grow_mb(120, 300 * MIB, 24 * GIB), 152, "120 MB, data wants 152: grow");
	is_int(be_cache_grow_mb(512, 100 * MIB, 24 * GIB), 0, "never shrinks");
	is_int(be_cache_grow_mb(512, 2000 * MIB, 2 * GIB), 0,
	    "at the ceiling (a quarter of 2 GB): stay");

	/* be_data_bytes: only the *.db files count */
	snprintf(tmpl, sizeof(tmpl), "%s/test_cache.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if ((dir = mkdtemp(tmpl)) == NULL) {
		ok(0, "mkdtemp %s", tmpl);
		return tap_done();
	}
	is_int(be_data_bytes(dir), 0, "empty directory: 0");
	write_file(dir, "id2entry.db", 3 * MIB);
	write_file(dir, "idx_cn.db", 100000);
	write_file(dir, "__db.001", 5 * MIB);
	write_file(dir, "log.0000000001", 10 * MIB);
	write_file(dir, "x.dbx", 7);
	snprintf(path, sizeof(path), "%s/sub.db", dir);
	mkdir(path, 0700);
	is_int(be_data_bytes(dir), 3 * MIB + 100000,
	    "id2entry.db + idx_cn.db; not the regions, logs, others or directories");
	is_int(be_data_bytes("/nonexistent/trellis"), 0, "missing directory: 0");
	is_int(be_cache_auto_mb(be_data_bytes(dir), 24 * GIB), 32,
	    "3.1 MB of data: 32 MB");

	rmdir(path);
	for (const char **n = (const char *[]){ "id2entry.db", "idx_cn.db",
	    "__db.001", "log.0000000001", "x.dbx", NULL }; *n != NULL; n++) {
		snprintf(path, sizeof(path), "%s/%s", dir, *n);
		unlink(path);
	}
	rmdir(dir);
	return tap_done();
}
