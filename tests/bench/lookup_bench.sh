#!/usr/bin/env bash
# lookup_bench.sh: the lookup service's benchmark (not a test). On a
# three-node domain (node 2 and node 3 joined to node 1, repl_interval 1):
#  - registration-to-every-node latency: a registration POSTed on node 1
#    until GET /lookupservice/sdk/<id> on node 3 answers 200 (p50, p99
#    over -n registrations, default 100);
#  - lstool list over HTTP and over LDAP on node 3 with -m registrations
#    (default 1,000), best and median of 5;
#  - /metrics scrape time on node 1 (median of 20).
# Usage: bash tests/bench/lookup_bench.sh [-n N] [-m M]   (from a build:
# top_builddir=build, or VMDIRD/LSTOOL in the environment)
set -uo pipefail

N=100 M=1000
while [ $# -gt 0 ]; do
	case $1 in
	-n) N=$2; shift 2 ;;
	-m) M=$2; shift 2 ;;
	-h|--help) sed -n '2,12p' "$0"; exit 0 ;;
	*) echo "lookup_bench.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
: "${top_builddir:=$top_srcdir/build}"
export top_srcdir top_builddir
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/repl_lib.sh"
LSTOOL=${LSTOOL:-$top_builddir/lstool}
log() { echo "[lookup_bench $(date +%T)] $*" >&2; }

log "starting three nodes"
node_init n1 && node_start n1 -o repl_interval=1 || exit 1
repl_join n2 n1 -o repl_interval=1 || exit 1
repl_join n3 n1 -o repl_interval=1 || exit 1

log "latency: $N registrations on n1, each until n3 lists it"
python3 - "$(hurl n1)" "$(hurl n3)" "$ADMIN_PW" "$N" <<'PY'
import base64, json, sys, time, urllib.request, urllib.error
a, c, pw, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
auth = "Basic " + base64.b64encode(("administrator@vsphere.local:" + pw).encode()).decode()
lat = []
for i in range(n):
    body = json.dumps({"serviceId": "lat-%d" % i, "product": "com.vmware.cis",
        "type": "bench", "version": "1", "endpoints": [{"type": "e",
        "protocol": "https", "url": "https://n1.example/%d" % i}]}).encode()
    req = urllib.request.Request(a + "/lookupservice/sdk", data=body, method="POST",
        headers={"Authorization": auth, "Content-Type": "application/json"})
    t0 = time.monotonic()
    urllib.request.urlopen(req, timeout=10).read()
    while True:
        try:
            urllib.request.urlopen(c + "/lookupservice/sdk/lat-%d" % i, timeout=10).read()
            break
        except urllib.error.HTTPError:
            time.sleep(0.002)
    lat.append(time.monotonic() - t0)
lat.sort()
p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000
print("registration on n1 -> listed on n3 (%d): p50 %.0f ms, p99 %.0f ms, max %.0f ms"
      % (n, p(0.50), p(0.99), lat[-1] * 1000))
PY

log "loading registrations up to $M on n1"
python3 - "$(hurl n1)" "$ADMIN_PW" "$M" "$N" <<'PY'
import base64, json, sys, urllib.request
a, pw, m, have = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
auth = "Basic " + base64.b64encode(("administrator@vsphere.local:" + pw).encode()).decode()
for i in range(have, m):
    body = json.dumps({"serviceId": "reg-%d" % i, "name": "Service %d" % i,
        "product": "com.vmware.cis", "type": "type%d" % (i % 40), "version": "6.7",
        "attributes": [{"key": "k", "value": "v%d" % i}],
        "endpoints": [{"type": "e", "protocol": "https", "url": "https://n1.example/%d" % i,
        "attributes": [{"key": "a", "value": "b"}]}]}).encode()
    urllib.request.urlopen(urllib.request.Request(a + "/lookupservice/sdk", data=body,
        method="POST", headers={"Authorization": auth}), timeout=30).read()
PY
listed() { [ "$(curl -s "$(hurl n3)/metrics" | sed -n 's/^trellis_lookup_registrations //p')" = "$M" ]; }
REPL_DEADLINE=300 wait_until listed || { log "n3 did not get the $M registrations"; exit 1; }

# timed CMD...: seconds of one run
timed() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null || return 1; t1=$(date +%s.%N); echo "$t1 - $t0" | bc -l; }
stats() { sort -n | awk '{v[NR]=$1} END {printf "best %.0f ms, median %.0f ms", v[1]*1000, v[int((NR+1)/2)]*1000}'; }
log "lstool list on n3, $M registrations"
echo "lstool list --url (HTTP) on n3, $M registrations: $(for i in 1 2 3 4 5; do
	timed "$LSTOOL" list --url "$(hurl n3)/lookupservice/sdk"; done | stats)"
echo "lstool list --server (LDAP) on n3, $M registrations: $(for i in 1 2 3 4 5; do
	timed "$LSTOOL" list --server "$(url n3)" --password "$ADMIN_PW"; done | stats)"
echo "lines printed: $("$LSTOOL" list --url "$(hurl n3)/lookupservice/sdk" | wc -l)"
echo "/metrics on n1 ($M registrations): $(for i in $(seq 1 20); do
	curl -s -o /dev/null -w '%{time_total}\n' "$(hurl n1)/metrics"; done | stats)"
KEEP= T_FAILED=0
