#!/usr/bin/env bash
# Trellis (vmdird) vs OpenLDAP slapd benchmark: add throughput, random equality
# search throughput, a mixed search/modify load, CPU per operation and
# resident memory, same machine / client / data, at one or more sizes.
# See tests/bench/README.md.
set -euo pipefail

usage() {
    cat <<EOF
Usage: bash tests/bench/bench.sh [options]

Benchmarks Trellis (vmdird) against OpenLDAP slapd (back-mdb) with ldclt.

Options:
  -n, --entries N       entries added per server per round   (default \$BENCH_ENTRIES or 10000)
      --sizes N,N,...   run every size in turn (overrides -n), e.g. 10000,100000,1000000
  -r, --rounds R        rounds; each runs both servers       (default \$BENCH_ROUNDS or 3)
  -s, --samples S       10-second ldclt search samples       (default \$BENCH_SAMPLES or 1)
      --add-threads T   ldclt threads for adds               (default 4)
      --search-threads T ldclt threads for searches          (default 8)
      --mod-threads T   ldclt threads modifying during the mixed phase (default 2)
      --restart         restart each server after the adds, before the searches
                        (vmdird then sizes its cache from the loaded data)
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
ADD_THREADS=4 SEARCH_THREADS=8 MOD_THREADS=2 JSON="" KEEP=0 INSTALL=0 SIZES="" RESTART=0
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
        --mod-threads) MOD_THREADS=$2; shift ;;
        --restart) RESTART=1 ;;
        --sizes) SIZES=$2; shift ;;
        --sizes=*) SIZES=${1#--sizes=} ;;
        --json) JSON=- ;;
        --json=*) JSON=${1#--json=} ;;
        --keep) KEEP=1 ;;
        --install) INSTALL=1 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "bench.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
    esac
    shift
done
for v in ENTRIES ROUNDS SAMPLES ADD_THREADS SEARCH_THREADS MOD_THREADS; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "bench.sh: $v must be a positive integer" >&2; exit 2; }
done
SIZES=${SIZES:-$ENTRIES}
[[ $SIZES =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || { echo "bench.sh: --sizes takes positive integers separated by commas" >&2; exit 2; }
IFS=, read -r -a SIZE_LIST <<<"$SIZES"
for n in "${SIZE_LIST[@]}"; do
    # names are cn= and the counter, 6 digits wide, 7 above 1,000,000
    [ "$n" -le 10000000 ] || { echo "bench.sh: at most 10000000 entries (cn=XXXXXXX)" >&2; exit 2; }
done

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
    run_slapd "$dir" "$port"
}
run_slapd() {
    local dir=$1 port=$2
    "$SLAPD" -f "$dir/slapd.conf" -h "ldap://$HOST:$port/" -d 0 >>"$dir/server.log" 2>&1 </dev/null &
    SERVER_PID=$!
}

start_vmdird() {
    local dir=$1 port=$2
    mkdir -p "$dir/data"
    "$VMDIRD" --init --data-dir "$dir/data" --password "$PASS" >"$dir/init.log" 2>&1 </dev/null \
        || { tail -20 "$dir/init.log" >&2; die "vmdird --init failed"; }
    run_vmdird "$dir" "$port"
}
run_vmdird() {
    local dir=$1 port=$2
    "$VMDIRD" --data-dir "$dir/data" --listen "$HOST" --port "$port" --pid-file "$dir/vmdird.pid" \
        --log-level warn >>"$dir/server.log" 2>&1 </dev/null &
    SERVER_PID=$!
}

LDCLT=(stdbuf -oL -eL ldclt -h "$HOST" -D "$ADMIN" -w "$PASS" -b "$USERS")  # line-buffered output

count_entries() {  # number of cn=NNNNNN entries under cn=Users
    ldapsearch -x -LLL -H "ldap://$HOST:$1" -D "$ADMIN" -w "$PASS" -b "$USERS" -s one \
        -z 0 '(objectClass=person)' 1.1 2>/dev/null | grep -Ec '^dn: cn=[0-9]{6,7},' || true
}

# ldclt's name mask for N entries: cn=000000 .. cn=999999 fit 6 digits (so
# do 1,000,000 entries, 0 to 999999); more take a seventh.
name_mask() { if [ "$1" -le 1000000 ]; then echo cn=XXXXXX; else echo cn=XXXXXXX; fi; }

# CPU time (user + system) of a process so far, in microseconds
CLK_TCK=$(getconf CLK_TCK)
cpu_us() {  # fields 14 and 15 of /proc/PID/stat, counted after the ")" of comm
    awk -v hz="$CLK_TCK" '{ sub(/^.*\) /, ""); printf "%.0f", ($12 + $13) * 1000000 / hz }' "/proc/$1/stat"
}
per_op() { awk -v c="$1" -v n="$2" 'BEGIN { if (n > 0) printf "%.1f", c / n; else print "NA" }'; }
ldclt_total() { sed -n 's/.*Global average rate:.*total: *\([0-9]*\).*/\1/p' "$1"; }
ldclt_rate() { sed -n 's/.*Global average rate:.*(\s*\([0-9.]*\)\/sec).*/\1/p' "$1"; }

# --- one server, one round, N entries: appends a line to $RESULTS ---------
# ROUND NAME add search rss add_cpu search_cpu mixed mixed_search mixed_mod
#   mod_pct mixed_cpu rss_end   (ops/s, KiB, CPU microseconds per operation)
bench_one() {
    local round=$1 name=$2 impl=$3 port=$4 dir=$5 n=$6 mask pid lp lm dead t0 t1 c0 c1 found
    local add search rss add_cpu search_cpu ms mm mst mmt mixed mod_pct mixed_cpu rss_end
    mask=$(name_mask "$n")
    mkdir -p "$dir"
    "start_$impl" "$dir" "$port"; pid=$SERVER_PID; PIDS+=("$pid")
    wait_port "$port" "$pid" "$dir/server.log"

    # adds: ldclt only reports per 10 s sample, so time it ourselves: the run
    # is over when every thread has printed "thread is dead" (hit -R).
    log "$name: adding $n entries with $ADD_THREADS threads"
    : >"$dir/add.log"
    c0=$(cpu_us "$pid")
    t0=$(date +%s.%N)
    "${LDCLT[@]}" -p "$port" -e add,person,incr,noloop,commoncounter \
        -r0 -R $((n - 1)) -f "$mask" -n "$ADD_THREADS" -E "$n" >"$dir/add.log" 2>&1 </dev/null &
    lp=$!; PIDS+=("$lp")
    while kill -0 "$lp" 2>/dev/null; do
        dead=$(grep -c 'thread is dead' "$dir/add.log" || true)
        [ "$dead" -ge "$ADD_THREADS" ] && break
        sleep 0.02
    done
    t1=$(date +%s.%N)
    c1=$(cpu_us "$pid")
    kill -INT "$lp" 2>/dev/null || true; wait "$lp" 2>/dev/null || true
    found=$(count_entries "$port")
    [ "$found" -eq "$n" ] || { grep -v 'thread is dead\|Hit top' "$dir/add.log" | tail -15 >&2
        log "WARNING: $name has $found of $n entries after the add run"; }
    add=$(awk -v n="$found" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", n / (b - a) }')
    add_cpu=$(per_op $((c1 - c0)) "$found")
    rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")
    if [ "$RESTART" = 1 ]; then
        log "$name: restarting"
        stop_pid "$pid"
        "run_$impl" "$dir" "$port"; pid=$SERVER_PID; PIDS+=("$pid")
        wait_port "$port" "$pid" "$dir/server.log"
    fi

    log "$name: random cn= equality searches, $SEARCH_THREADS threads, $SAMPLES x 10 s"
    c0=$(cpu_us "$pid")
    "${LDCLT[@]}" -p "$port" -e esearch,random -f "$mask" \
        -r0 -R $((n - 1)) -n "$SEARCH_THREADS" -N "$SAMPLES" >"$dir/search.log" 2>&1 </dev/null &
    lp=$!; PIDS+=("$lp"); wait "$lp" || true   # background + wait: Ctrl-C/TERM act at once
    c1=$(cpu_us "$pid")
    search=$(ldclt_rate "$dir/search.log")
    [ -n "$search" ] || { tail -15 "$dir/search.log" >&2; die "$name: no search rate in ldclt output"; }
    grep -q 'Global no error occurs' "$dir/search.log" || log "WARNING: $name: ldclt reported search errors (see $dir/search.log)"
    search_cpu=$(per_op $((c1 - c0)) "$(ldclt_total "$dir/search.log")")

    # mixed: the same searches and, at the same time, random modifies
    # (replace sn) of the loaded entries; two ldclt processes, same samples
    log "$name: mixed, $SEARCH_THREADS search + $MOD_THREADS modify threads, $SAMPLES x 10 s"
    c0=$(cpu_us "$pid")
    "${LDCLT[@]}" -p "$port" -e esearch,random -f "$mask" \
        -r0 -R $((n - 1)) -n "$SEARCH_THREADS" -N "$SAMPLES" >"$dir/mixed-search.log" 2>&1 </dev/null &
    lp=$!; PIDS+=("$lp")
    "${LDCLT[@]}" -p "$port" -e attreplace=sn:mod_XXXXXX,random -f "$mask" \
        -r0 -R $((n - 1)) -n "$MOD_THREADS" -N "$SAMPLES" >"$dir/mixed-mod.log" 2>&1 </dev/null &
    lm=$!; PIDS+=("$lm"); wait "$lp" || true; wait "$lm" || true
    c1=$(cpu_us "$pid")
    ms=$(ldclt_rate "$dir/mixed-search.log"); mm=$(ldclt_rate "$dir/mixed-mod.log")
    mst=$(ldclt_total "$dir/mixed-search.log"); mmt=$(ldclt_total "$dir/mixed-mod.log")
    [ -n "$ms" ] && [ -n "$mm" ] || { tail -5 "$dir/mixed-search.log" "$dir/mixed-mod.log" >&2
        die "$name: no rate in the mixed phase's ldclt output"; }
    grep -q 'Global no error occurs' "$dir/mixed-mod.log" || log "WARNING: $name: ldclt reported modify errors (see $dir/mixed-mod.log)"
    mixed=$(awk -v a="$ms" -v b="$mm" 'BEGIN { printf "%.2f", a + b }')
    mod_pct=$(awk -v a="$ms" -v b="$mm" 'BEGIN { if (a + b > 0) printf "%.1f", 100 * b / (a + b); else print "NA" }')
    mixed_cpu=$(per_op $((c1 - c0)) $((mst + mmt)))
    rss_end=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")

    stop_pid "$pid"
    echo "$round $name $add $search $rss $add_cpu $search_cpu $mixed $ms $mm $mod_pct $mixed_cpu $rss_end" >>"$RESULTS"
    printf '[bench %s] %d entries, round %d %-8s add %9s/s %6s us/op  search %9s/s %6s us/op  mixed %9s/s (%s%% mod) %6s us/op  rss %s/%s KiB\n' \
        "$(date +%T)" "$n" "$round" "$name" "$add" "$add_cpu" "$search" "$search_cpu" "$mixed" "$mod_pct" "$mixed_cpu" "$rss" "$rss_end" >&2
}

# --- main -----------------------------------------------------------------
log "work dir $WORK; $ROUNDS round(s), sizes $SIZES; trellis side = $TRELLIS_IMPL${VMDIRD:+ ($VMDIRD)}"

# metric key, column in $RESULTS, label, printf format of the median
METRICS=(
    "add_ops_per_s 3 add|ops/s %.1f"
    "search_ops_per_s 4 search|ops/s %.2f"
    "mixed_ops_per_s 8 mixed|ops/s %.2f"
    "mixed_search_ops_per_s 9 mixed|search/s %.2f"
    "mixed_modify_ops_per_s 10 mixed|modify/s %.2f"
    "mixed_modify_pct 11 mixed|modify|% %.1f"
    "add_cpu_us_per_op 6 add|CPU|us/op %.1f"
    "search_cpu_us_per_op 7 search|CPU|us/op %.1f"
    "mixed_cpu_us_per_op 12 mixed|CPU|us/op %.1f"
    "rss_kib 5 rss|KiB %.0f"
    "rss_end_kib 13 rss|end|KiB %.0f"
)
COLS=(round server add search rss add_cpu search_cpu mixed mixed_search mixed_modify mixed_modify_pct mixed_cpu rss_end)

median() {  # median SIDE COLUMN FORMAT: "null" if there are no numbers
    awk -v s="$1" -v c="$2" '$2 == s && $c != "NA" { print $c }' "$RESULTS" | sort -g |
        awk -v f="$3" '{ v[NR] = $1 } END { if (NR == 0) { print "null"; exit }
            if (NR % 2) m = v[(NR + 1) / 2]; else m = (v[NR / 2] + v[NR / 2 + 1]) / 2; printf f, m }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "null" && b != "null" && b > 0) printf "%.3f", a / b; else print "null" }'; }

size_json=()
for n in "${SIZE_LIST[@]}"; do
    RESULTS=$WORK/results-$n.tsv
    : >"$RESULTS"
    for r in $(seq "$ROUNDS"); do
        order="slapd trellis"; [ $((r % 2)) = 0 ] && order="trellis slapd"   # alternate who goes first
        for side in $order; do
            if [ "$side" = slapd ]; then bench_one "$r" slapd slapd "$SLAPD_PORT" "$WORK/n$n-r$r-slapd" "$n"
            else bench_one "$r" trellis "$TRELLIS_IMPL" "$TRELLIS_PORT" "$WORK/n$n-r$r-trellis" "$n"; fi
        done
    done

    echo
    echo "Per round, $n entries (ops/s; CPU of the server in microseconds per operation):"
    printf '%-6s %-8s %11s %11s %11s %7s %8s %8s %8s %9s %9s\n' round server "add ops/s" \
        "search/s" "mixed/s" "mod %" "add us" "srch us" "mixed us" "rss KiB" "rss end"
    sort -k1,1n -k2,2 "$RESULTS" | while read -r r side a s m ac sc mx _ _ mp mc me; do
        printf '%-6s %-8s %11s %11s %11s %7s %8s %8s %8s %9s %9s\n' "$r" "$side" "$a" "$s" "$mx" \
            "$mp" "$ac" "$sc" "$mc" "$m" "$me"
    done
    echo
    echo "Medians over $ROUNDS round(s), $n entries (trellis side: $TRELLIS_IMPL):"
    printf '%-22s %14s %14s %8s\n' metric trellis slapd ratio
    js="\"entries\": $n"
    for m in "${METRICS[@]}"; do
        read -r key col label fmt <<<"$m"
        t=$(median trellis "$col" "$fmt"); s=$(median slapd "$col" "$fmt"); q=$(ratio "$t" "$s")
        printf '%-22s %14s %14s %8s\n' "${label//|/ }" "$t" "$s" "$q"
        js+=", \"$key\": {\"trellis\": $t, \"slapd\": $s, \"ratio\": $q}"
    done
    echo "(ratio = trellis / slapd: higher is better for ops/s, lower is better for us/op and rss)"
    # every round's figures too
    js+=", \"per_round\": ["
    js+=$(sort -k1,1n -k2,2 "$RESULTS" | awk -v cols="${COLS[*]}" '
        BEGIN { nc = split(cols, c, " ") }
        { o = "{"; for (i = 1; i <= nc; i++) {
              v = $i; if (i == 2) v = "\"" v "\""; else if (v == "NA") v = "null"
              o = o (i > 1 ? ", " : "") "\"" c[i] "\": " v }
          printf "%s%s}", (NR > 1 ? ", " : ""), o }')
    js+="]"
    size_json+=("$js")
done

common="\"restart\": $([ "$RESTART" = 1 ] && echo true || echo false), \"rounds\": $ROUNDS, \"search_seconds\": $((SAMPLES * 10)), \"add_threads\": $ADD_THREADS, \"search_threads\": $SEARCH_THREADS, \"mod_threads\": $MOD_THREADS, \"trellis_impl\": \"$TRELLIS_IMPL\""
sizes=""
for js in "${size_json[@]}"; do sizes+="${sizes:+, }{$js}"; done
if [ ${#size_json[@]} = 1 ]; then
    json="{${size_json[0]%%, \"per_round\"*}, $common, \"sizes\": [$sizes]}"   # one size: its medians at the top too
else
    json="{$common, \"sizes\": [$sizes]}"
fi
if [ "$JSON" = - ]; then echo "$json"; elif [ -n "$JSON" ]; then echo "$json" >"$JSON"; log "wrote $JSON"; fi
