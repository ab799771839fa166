#!/usr/bin/env bash
# vecs_bench.sh: VECS figures (a benchmark, not a test: it never fails on a
# number). On a 3-node cluster with one vecsd per node reading its node's
# local socket (timer: an hour, so only the USN watch counts):
#  - publish-to-every-node latency: a root published on node 1 (ldapadd of
#    the entry dir-cli writes) until it is in node 3's TRUSTED_ROOTS, p50
#    and p99 over R roots (default 50);
#  - `vecs-cli entry create` throughput, N entries (default 1,000) into one
#    store, one vecs-cli process each, as a script would;
#  - `vecs-cli entry list --text` of that store of N entries: time and
#    entries/s (median of 5);
#  - vecsd's resident memory (VmRSS, VmHWM) afterwards.
# Usage: bash tests/bench/vecs_bench.sh [-r ROOTS] [-n ENTRIES] [--json]
# Run from a build: top_builddir (default ./build, else .) holds vmdird,
# vecsd and vecs-cli.
set -u

ROOTS=50
ENTRIES=1000
JSON=0
while [ $# -gt 0 ]; do
	case $1 in
	-r|--roots) ROOTS=$2; shift ;;
	-n|--entries) ENTRIES=$2; shift ;;
	--json) JSON=1 ;;
	-h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "vecs_bench.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
if [ -z "${top_builddir:-}" ]; then
	for d in "$src/build" "$src" "$PWD"; do
		[ -x "$d/vecsd" ] && [ -x "$d/vmdird" ] && { top_builddir=$d; break; }
	done
fi
[ -n "${top_builddir:-}" ] || { echo "vecs_bench.sh: no build with vmdird and vecsd found (set top_builddir)" >&2; exit 1; }
export top_builddir top_srcdir=$src
# the integration helpers start and stop the processes; their TAP output
# goes to stderr here
INTEG=$src/tests/integration
. "$INTEG/vecs_lib.sh" >&2
. "$INTEG/repl_lib.sh" >&2
say() { echo "[vecs_bench $(date +%T)] $*" >&2; }

say "3-node cluster, one vecsd per node"
{
	repl_init n1 && repl_join n2 n1 && repl_join n3 n1 &&
	agr_add n3 n2 >/dev/null && agr_add n2 n3 >/dev/null &&
	for i in 1 2 3; do
		vecsd_start "v$i" -o "vmdir_uri=$(node_sock "n$i")" -o sync_interval=3600 \
		    --log-level warn || exit 1
	done
} >&2 || { echo "vecs_bench.sh: the cluster did not start" >&2; T_FAILED=1; exit 1; }

say "$ROOTS roots"
mkdir -p "$T_DIR/roots"
for i in $(seq 1 "$ROOTS"); do
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
	    -subj "/CN=Bench Root $i" -keyout "$T_DIR/roots/$i.key" \
	    -outform DER -out "$T_DIR/roots/$i.der" 2>/dev/null
done

say "publish-to-every-node latency (node 1 -> node 3's TRUSTED_ROOTS)"
lat=$(python3 - "$T_DIR/roots" "$ROOTS" "$(url n1)" "$ADMIN_DN" "$ADMIN_PW" \
    "$VECSCLI" "$(vecsd_sock v3)" "$BASE" <<'EOF'
import hashlib, json, subprocess, sys, time
d, n, url, dn, pw, cli, sock, base = sys.argv[1:]
ms = []
for i in range(1, int(n) + 1):
    der = open("%s/%d.der" % (d, i), "rb").read()
    t = hashlib.sha1(der).hexdigest()
    ldif = ("dn: cn=%s,cn=Certificate-Authorities,cn=Configuration,%s\n"
            "objectClass: vmwCertificationAuthority\nobjectClass: pkiCA\ncn: %s\n"
            "cACertificate;binary:< file://%s/%d.der\n") % (t, base, t, d, i)
    t0 = time.monotonic()
    subprocess.run(["ldapadd", "-x", "-H", url, "-D", dn, "-w", pw], input=ldif.encode(),
                   check=True, stdout=subprocess.DEVNULL)
    while subprocess.run([cli, "--socket", sock, "entry", "getcert", "--store",
                          "TRUSTED_ROOTS", "--alias", t], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL).returncode != 0:
        if time.monotonic() - t0 > 120:
            sys.exit("root %d never arrived" % i)
        time.sleep(0.005)
    ms.append((time.monotonic() - t0) * 1000)
ms.sort()
pct = lambda p: ms[min(len(ms) - 1, int(round(p / 100.0 * len(ms) + 0.5)) - 1)]
print(json.dumps({"p50": round(pct(50), 1), "p99": round(pct(99), 1),
                  "min": round(ms[0], 1), "max": round(ms[-1], 1)}))
EOF
) || { T_FAILED=1; exit 1; }

say "entry create x $ENTRIES into store BENCH on node 3"
V="$VECSCLI --socket $(vecsd_sock v3)"
$V store create --name BENCH >/dev/null
mkcert bench "bench.example.org"
t0=$(date +%s%N)
for i in $(seq 1 "$ENTRIES"); do
	$V entry create --store BENCH --alias "bench-$i" --cert "$PUB/bench.pem" >/dev/null ||
	    { echo "entry create $i failed" >&2; T_FAILED=1; exit 1; }
done
t1=$(date +%s%N)
create_s=$(python3 -c "print(round(($t1 - $t0) / 1e9, 3))")
create_rate=$(python3 -c "print(round($ENTRIES / (($t1 - $t0) / 1e9), 1))")

say "entry list --text of $ENTRIES entries (median of 5)"
times=()
for r in 1 2 3 4 5; do
	t0=$(date +%s%N)
	n=$($V entry list --store BENCH --text | grep -c '^Alias :')
	t1=$(date +%s%N)
	[ "$n" = "$ENTRIES" ] || say "warning: listed $n entries, not $ENTRIES"
	times+=($(((t1 - t0) / 1000000)))
done
list_ms=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p)
list_rate=$(python3 -c "print(round($ENTRIES / ($list_ms / 1000.0), 1))")

rss=$(awk '/^VmRSS/ { print $2 }' "/proc/${NODE_PID[v3]}/status")
hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/${NODE_PID[v3]}/status")
roots_v3=$($V entry list --store TRUSTED_ROOTS | sed -n 's/^Number of entries in store :\t//p')

p50=$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['p50'])" "$lat")
p99=$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['p99'])" "$lat")
if [ "$JSON" = 1 ]; then
	printf '{"publish_latency_ms": %s, "roots": %s, "entry_create": {"entries": %s, "seconds": %s, "per_second": %s}, "entry_list_text": {"entries": %s, "ms": %s, "entries_per_second": %s}, "vecsd_rss_kib": %s, "vecsd_hwm_kib": %s}\n' \
	    "$lat" "$ROOTS" "$ENTRIES" "$create_s" "$create_rate" "$ENTRIES" "$list_ms" "$list_rate" "$rss" "$hwm"
else
	cat <<EOF
VECS benchmark ($(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%M:%SZ))
publish on node 1 -> node 3's TRUSTED_ROOTS, $ROOTS roots:  p50 $p50 ms   p99 $p99 ms   (VMware: a 60 s poll)
vecs-cli entry create, $ENTRIES entries:            $create_s s   $create_rate entries/s (one process each)
vecs-cli entry list --text, $ENTRIES entries:       $list_ms ms   $list_rate entries/s
vecsd resident memory (node 3, $roots_v3 roots + $ENTRIES entries): VmRSS $rss KiB   VmHWM $hwm KiB
EOF
fi
# lib.sh's clean-up stops every process and removes the scratch directory
