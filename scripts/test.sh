#!/bin/bash
# test.sh: installs what is missing, builds, and runs every test twice:
# a normal build and one with AddressSanitizer + UndefinedBehaviorSanitizer.
# The last line is "N passed, N failed, N skipped"; the exit status is
# non-zero on any failure. --quick skips the sanitizer pass.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
passes="normal sanitizers"
[ "${1:-}" = "--quick" ] && passes="normal"
pass=0 fail=0 skip=0

count() {	# adds the per-test results of one build's run
	local log=$1/test-suite.log d
	for d in "$1"/tests/*/*.trs "$1"/tests/*/*/*.trs; do
		[ -f "$d" ] || continue
		pass=$((pass + $(grep -c '^:test-result: PASS' "$d")))
		pass=$((pass + $(grep -c '^:test-result: XFAIL' "$d")))
		fail=$((fail + $(grep -Ec '^:test-result: (FAIL|ERROR|XPASS)' "$d")))
		skip=$((skip + $(grep -c '^:test-result: SKIP' "$d")))
	done
	[ -f "$log" ] && grep -A15 -E '^(FAIL|ERROR):' "$log" | head -200
}

for p in $passes; do
	dir=$top/build-test-$p
	opts=""
	[ "$p" = sanitizers ] && opts="--enable-sanitizers"
	echo "== $p build"
	if ! "$top/scripts/build.sh" "$dir" $opts; then
		echo "build failed ($p)"
		fail=$((fail + 1))
		continue
	fi
	rm -f "$dir"/tests/*/*.trs "$dir"/tests/*/*/*.trs
	(cd "$dir" && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    make -j"$(nproc)" check 2>&1 | grep -E '^(PASS|FAIL|ERROR|XPASS|SKIP|# )' |
	    grep -Ev '^PASS' )
	count "$dir"
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
