#!/bin/bash
# test.sh: installs what is missing, builds, and runs every test twice:
# a normal build and one with AddressSanitizer + UndefinedBehaviorSanitizer.
# The last line is "N passed, N failed, N skipped"; the exit status is
# non-zero on any failure: a failed test point, a make check that exits
# non-zero (a test program that does not build), or fewer test points in a
# build than scripts/min-tests asks for. --quick skips the sanitizer pass.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
passes="normal sanitizers"
[ "${1:-}" = "--quick" ] && passes="normal"
pass=0 fail=0 skip=0
# the floor: the first line of scripts/min-tests that is not a comment
min=$(grep -v '^#' "$top/scripts/min-tests" 2>/dev/null | head -1)
case $min in
''|*[!0-9]*) echo "scripts/min-tests: no test-point floor"; min=0; fail=$((fail + 1)) ;;
esac

# count DIR: adds the per-test results of one build's run; sets total.
count() {
	local log=$1/test-suite.log d p f s
	total=0
	for d in "$1"/tests/*/*.trs "$1"/tests/*/*/*.trs; do
		[ -f "$d" ] || continue
		p=$(grep -Ec '^:test-result: (PASS|XFAIL)' "$d")
		f=$(grep -Ec '^:test-result: (FAIL|ERROR|XPASS)' "$d")
		s=$(grep -c '^:test-result: SKIP' "$d")
		pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
		total=$((total + p + f + s))
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
	# results of an earlier run must not count for this one
	find "$dir/tests" \( -name '*.log' -o -name '*.trs' \) -type f -delete 2>/dev/null
	rm -f "$dir/test-suite.log"
	(cd "$dir" && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    make -j"$(nproc)" check 2>&1 | tee "$dir/check.out" |
	    grep -E '^(PASS|FAIL|ERROR|XPASS|SKIP|# )' | grep -Ev '^PASS';
	    exit "${PIPESTATUS[0]}")
	rc=$?
	count "$dir"
	if [ "$rc" -ne 0 ]; then
		echo "make check failed ($p, exit $rc); its errors:"
		grep -E 'error|Error [0-9]' "$dir/check.out" | head -20
		fail=$((fail + 1))
	fi
	if [ "$total" -lt "$min" ]; then
		echo "only $total test points ran ($p); scripts/min-tests wants $min"
		fail=$((fail + 1))
	fi
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
