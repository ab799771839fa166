#!/usr/bin/env bash
# Trellis (vmdird) vs OpenLDAP slapd benchmark: add throughput, random equality
# search throughput and resident memory, same machine / client / data.
# See tests/bench/README.md.
set -euo pipefail

usage() {
    cat <<EOF
Usage: bash tests/bench/bench.sh [options]

Benchmarks Trellis (vmdird) against OpenLDAP slapd (back-mdb) with ldclt.

Options:
  -n, --entries N       entries added per server per round   (default \$BENCH_ENTRIES or 10000)
  -r, --rounds R        rounds; each runs both servers       (default \$BENCH_ROUNDS or 3)
  -s, --samples S       10-second ldclt search samples       (default \$BENCH_SAMPLES or 1)
      --add-threads T   ldclt threads for adds               (default 4)
      --search-threads T ldclt threads for searches          (default 8)
      --json[=FILE]     also write the medians as JSON (stdout if no FILE)
      --keep            keep the temp dir (data, configs, logs)
      --install         apt-get install missing tools (root only)
  -h, --help            this text

Environment:
  VMDIRD          vmdird binary (default: \$top_builddir/vmdird, else ./vmdird,
                  else vmdird at the top of this source tree)
  BENCH_TRELLIS   "vmdird" (default) or "slapd": run a second slapd on the
                  Trellis side, to check the harness itself
  SLAPD_PORT      slapd port    (default 13890)
  TRELLIS_PORT    vmdird port   (default 13891)
  BENCH_PASSWORD  Administrator password (default Bench-Passw0rd!)
  TMPDIR          where the temp dir goes (default /tmp)
EOF
}

ENTRIES=${BENCH_ENTRIES:-10000} ROUNDS=${BENCH_ROUNDS:-3} SAMPLES=${BENCH_SAMPLES:-1}
ADD_THREADS=4 SEARCH_THREADS=8 JSON="" KEEP=0 INSTALL=0
SLAPD_PORT=${SLAPD_PORT:-13890} TRELLIS_PORT=${TRELLIS_PORT:-13891}
PASS=${BENCH_PASSWORD:-Bench-Passw0rd!}
SUFFIX="dc=vsphere,dc=local" USERS="cn=Users,dc=vsphere,dc=local"
ADMIN="cn=Administrator,cn=Users,dc=vsphere,dc=local"
HOST=127.0.0.1

while [ $# -gt 0 ]; do
    case $1 in
        -n|--entries) ENTRIES=$2; shift ;;
        -r|--rounds) ROUNDS=$2; shift ;;
        -s|--samples) SAMPLES=$2; shift ;;
        --add-threads) ADD_THREADS=$2; shift ;;
        --search-threads) SEARCH_THREADS=$2; shift ;;
        --json) JSON=- ;;
        --json=*) JSON=${1#--json=} ;;
        --keep) KEEP=1 ;;
        --install) INSTALL=1 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "bench.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
    esac
    shift
done
for v in ENTRIES ROUNDS SAMPLES ADD_THREADS SEARCH_THREADS; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "bench.sh: $v must be a positive integer" >&2; exit 2; }
done
[ "$ENTRIES" -le 999999 ] || { echo "bench.sh: at most 999999 entries (cn=XXXXXX)" >&2; exit 2; }

BENCH_NAME=bench
. "$(dirname "$0")/lib.sh"

# --- servers: start_<impl> DIR PORT; sets SERVER_PID --------------------
start_slapd() {
    local dir=$1 port=$2
    mkdir -p "$dir/db"
    cat >"$dir/slapd.conf" <<EOF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile $dir/slapd.pid
loglevel 0
database mdb
maxsize 4294967296
suffix "$SUFFIX"
rootdn "$ADMIN"
rootpw $PASS
directory $dir/db
index objectClass eq
index cn,uid eq
EOF
    cat >"$dir/base.ldif" <<EOF
dn: $SUFFIX
objectClass: domain
dc: vsphere

dn: $USERS
objectClass: organizationalRole
cn: Users
EOF
    "$SLAPADD" -q -f "$dir/slapd.conf" -l "$dir/base.ldif" >"$dir/slapadd.log" 2>&1 \
        || { cat "$dir/slapadd.log" >&2; die "slapadd failed"; }
    "$SLAPD" -f "$dir/slapd.conf" -h "ldap://$HOST:$port/" -d 0 >"$dir/server.log" 2>&1 </dev/null &
    SERVER_PID=$!
}

start_vmdird() {
    local dir=$1 port=$2
    mkdir -p "$dir/data"
    "$VMDIRD" --init --data-dir "$dir/data" --password "$PASS" >"$dir/init.log" 2>&1 </dev/null \
        || { tail -20 "$dir/init.log" >&2; die "vmdird --init failed"; }
    "$VMDIRD" --data-dir "$dir/data" --listen "$HOST" --port "$port" --pid-file "$dir/vmdird.pid" \
        --log-level warn >"$dir/server.log" 2>&1 </dev/null &
    SERVER_PID=$!
}

LDCLT=(stdbuf -oL -eL ldclt -h "$HOST" -D "$ADMIN" -w "$PASS" -b "$USERS")  # line-buffered output

count_entries() {  # number of cn=NNNNNN entries under cn=Users
    ldapsearch -x -LLL -H "ldap://$HOST:$1" -D "$ADMIN" -w "$PASS" -b "$USERS" -s one \
        -z 0 '(objectClass=person)' 1.1 2>/dev/null | grep -Ec '^dn: cn=[0-9]{6},' || true
}

# --- one server, one round: appends "ROUND NAME add_ops search_ops rss_kib" -
bench_one() {
    local round=$1 name=$2 impl=$3 port=$4 dir=$5 pid lp dead t0 t1 found add search rss
    mkdir -p "$dir"
    "start_$impl" "$dir" "$port"; pid=$SERVER_PID; PIDS+=("$pid")
    wait_port "$port" "$pid" "$dir/server.log"

    # adds: ldclt only reports per 10 s sample, so time it ourselves: the run
    # is over when every thread has printed "thread is dead" (hit -R).
    log "$name: adding $ENTRIES entries with $ADD_THREADS threads"
    : >"$dir/add.log"
    t0=$(date +%s.%N)
    "${LDCLT[@]}" -p "$port" -e add,person,incr,noloop,commoncounter \
        -r0 -R $((ENTRIES - 1)) -f cn=XXXXXX -n "$ADD_THREADS" -E "$ENTRIES" >"$dir/add.log" 2>&1 </dev/null &
    lp=$!; PIDS+=("$lp")
    while kill -0 "$lp" 2>/dev/null; do
        dead=$(grep -c 'thread is dead' "$dir/add.log" || true)
        [ "$dead" -ge "$ADD_THREADS" ] && break
        sleep 0.02
    done
    t1=$(date +%s.%N)
    kill -INT "$lp" 2>/dev/null || true; wait "$lp" 2>/dev/null || true
    found=$(count_entries "$port")
    [ "$found" -eq "$ENTRIES" ] || { grep -v 'thread is dead\|Hit top' "$dir/add.log" | tail -15 >&2
        log "WARNING: $name has $found of $ENTRIES entries after the add run"; }
    add=$(awk -v n="$found" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", n / (b - a) }')
    rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")

    log "$name: random cn= equality searches, $SEARCH_THREADS threads, $SAMPLES x 10 s"
    "${LDCLT[@]}" -p "$port" -e esearch,random -f cn=XXXXXX \
        -r0 -R $((ENTRIES - 1)) -n "$SEARCH_THREADS" -N "$SAMPLES" >"$dir/search.log" 2>&1 </dev/null &
    lp=$!; PIDS+=("$lp"); wait "$lp" || true   # background + wait: Ctrl-C/TERM act at once
    search=$(sed -n 's/.*Global average rate:.*(\s*\([0-9.]*\)\/sec).*/\1/p' "$dir/search.log")
    [ -n "$search" ] || { tail -15 "$dir/search.log" >&2; die "$name: no search rate in ldclt output"; }
    grep -q 'Global no error occurs' "$dir/search.log" || log "WARNING: $name: ldclt reported search errors (see $dir/search.log)"

    stop_pid "$pid"
    echo "$round $name $add $search $rss" >>"$RESULTS"
    printf '[bench %s] round %d %-8s add %10s ops/s  search %10s ops/s  rss %8s KiB\n' "$(date +%T)" "$round" "$name" "$add" "$search" "$rss" >&2
}

# --- main -----------------------------------------------------------------
log "work dir $WORK; $ROUNDS round(s), $ENTRIES entries; trellis side = $TRELLIS_IMPL${VMDIRD:+ ($VMDIRD)}"
RESULTS=$WORK/results.tsv
: >"$RESULTS"
for r in $(seq "$ROUNDS"); do
    order="slapd trellis"; [ $((r % 2)) = 0 ] && order="trellis slapd"   # alternate who goes first
    for side in $order; do
        if [ "$side" = slapd ]; then bench_one "$r" slapd slapd "$SLAPD_PORT" "$WORK/r$r-slapd"
        else bench_one "$r" trellis "$TRELLIS_IMPL" "$TRELLIS_PORT" "$WORK/r$r-trellis"; fi
    done
done

median() {  # median SIDE COLUMN(3=add 4=search 5=rss)
    awk -v s="$1" -v c="$2" '$2 == s { print $c }' "$RESULTS" | sort -g |
        awk '{ v[NR] = $1 } END { if (NR % 2) m = v[(NR + 1) / 2]; else m = (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.1f", m }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "null" }'; }

echo
echo "Per round:"
printf '%-6s %-8s %14s %14s %12s\n' round server "add ops/s" "search ops/s" "rss KiB"
sort -k1,1n -k2,2 "$RESULTS" | while read -r r side a s m; do
    printf '%-6s %-8s %14s %14s %12s\n' "$r" "$side" "$a" "$s" "$m"
done
echo
echo "Medians over $ROUNDS round(s), $ENTRIES entries (trellis side: $TRELLIS_IMPL):"
printf '%-14s %14s %14s %8s\n' metric trellis slapd ratio
json='{'
for m in "add_ops_per_s 3 add ops/s" "search_ops_per_s 4 search ops/s" "rss_kib 5 rss KiB"; do
    read -r key col label <<<"$m"
    t=$(median trellis "$col"); s=$(median slapd "$col"); q=$(ratio "$t" "$s")
    printf '%-14s %14s %14s %8s\n' "$label" "$t" "$s" "$q"
    json+="\"$key\": {\"trellis\": $t, \"slapd\": $s, \"ratio\": $q}, "
done
echo "(ratio = trellis / slapd: higher is better for ops/s, lower is better for rss)"
json+="\"entries\": $ENTRIES, \"rounds\": $ROUNDS, \"search_seconds\": $((SAMPLES * 10)), \"trellis_impl\": \"$TRELLIS_IMPL\"}"
if [ "$JSON" = - ]; then echo "$json"; elif [ -n "$JSON" ]; then echo "$json" >"$JSON"; log "wrote $JSON"; fi
