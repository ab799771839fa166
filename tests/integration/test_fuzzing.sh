#!/usr/bin/env bash
# test_fuzzing.sh: ./configure --enable-fuzzing builds every fuzz target
# with libFuzzer (clang -fsanitize=fuzzer), and each one runs: a short,
# seeded run over its seed corpus without a crash. Without clang's
# libFuzzer, configure refuses the option with a message saying what to
# install. Skipped when clang with libFuzzer is not installed.
set -u
. "$(dirname "$0")/lib.sh"

TARGETS="fuzz_dn fuzz_entry fuzz_filter fuzz_ldapmsg fuzz_utdv"
clean_env() { env -u CC -u CFLAGS -u CPPFLAGS -u LDFLAGS -u MAKEFLAGS -u MFLAGS -u MAKELEVEL "$@"; }

printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { return 0; }\n' \
    >"$T_DIR/probe.c"
if ! command -v clang >/dev/null 2>&1 ||
    ! clang -fsanitize=fuzzer "$T_DIR/probe.c" -o "$T_DIR/probe" >/dev/null 2>&1; then
	echo "1..0 # SKIP clang with libFuzzer is not installed (apt-get install clang)"
	exit 0
fi

# configure refuses a compiler without libFuzzer
if command -v gcc >/dev/null 2>&1; then
	mkdir -p "$T_DIR/gcc"
	OUT=$(cd "$T_DIR/gcc" && clean_env "$top_srcdir/configure" -q --enable-fuzzing CC=gcc 2>&1)
	RC=$?
	is "$RC" 1 "configure --enable-fuzzing CC=gcc fails"
	like "$OUT" "enable-fuzzing needs clang with libFuzzer.*apt-get install clang" \
	    "and says what to install"
fi

B=$T_DIR/build
mkdir -p "$B"
ok "configure --enable-fuzzing (clang by default)" \
    bash -c "cd '$B' && env -u CC -u CFLAGS -u CPPFLAGS -u LDFLAGS '$top_srcdir/configure' -q --enable-fuzzing"
like "$(sed -n 's/^CC = //p' "$B/Makefile" 2>/dev/null)" "^clang" "--enable-fuzzing picks clang"
ok "make fuzz builds the libFuzzer targets" \
    clean_env make -s -C "$B" -j2 fuzz
for t in $TARGETS; do
	f=$B/tests/fuzz/$t-libfuzzer
	ok "$t-libfuzzer is built" test -x "$f"
	ok "$t-libfuzzer links libFuzzer" bash -c "'$f' -help=1 2>&1 | grep -q 'libFuzzer'"
	# new inputs go to a scratch corpus, never into the seeds
	mkdir -p "$T_DIR/corpus/$t"
	ok "$t-libfuzzer: 2000 seeded runs over the seed corpus, no crash" \
	    bash -c "cd '$T_DIR' && top_srcdir='$top_srcdir' ASAN_OPTIONS=detect_leaks=1 \
	    '$f' -seed=1 -runs=2000 -max_len=4096 '$T_DIR/corpus/$t' '$top_srcdir/tests/fuzz/corpus/$t'"
done

done_testing
