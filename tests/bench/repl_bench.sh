#!/usr/bin/env bash
# Trellis (vmdird) vs OpenLDAP slapd replication benchmark: convergence
# latency, the CPU each replicated write costs all nodes together, and add
# throughput on multi-master set-ups of N nodes (a full mesh, or a ring
# where each node pulls from its predecessor), the time a new node takes
# to copy a loaded directory in (join), and resident memory.
# Same machine, same client, same data, in one run. See tests/bench/README.md.
set -euo pipefail

usage() {
    cat <<EOF
Usage: bash tests/bench/repl_bench.sh [options]

Replication benchmark of Trellis (vmdird) against OpenLDAP slapd
(back-mdb, syncprov, multiprovider syncrepl refreshAndPersist).

Options:
  -w, --writes W        latency writes on node 1, read on node N   (default 200)
  -n, --entries N       ldclt adds on node 1 of each set-up         (default 5000)
      --nodes LIST      node counts, comma-separated, 2 to 9        (default 3)
      --topology T      mesh (every node pulls from every other), ring
                        (each node pulls from its predecessor only) or
                        both                                        (default mesh)
  -j, --join-entries J  entries loaded before the join measurement  (default 100000)
  -r, --rounds R        rounds; each runs both servers              (default 3)
      --add-threads T   ldclt threads for the mesh adds             (default 4)
      --load-threads T  ldclt threads for the (nosync) bulk load    (default 4)
      --quick           -w 50 -n 1000 -j 5000 -r 1 (explicit options still win)
      --no-join         skip the join measurement
      --json[=FILE]     also write the medians as JSON (stdout if no FILE)
      --keep            keep the temp dir (data, configs, logs)
      --install         apt-get install missing tools (root only)
  -h, --help            this text

Environment:
  VMDIRD          vmdird binary (default: \$top_builddir/vmdird, else
                  ./build/vmdird, else ./vmdird, else in this source tree)
  REPL_LATENCY    the repl_latency client (default: next to vmdird under
                  tests/bench/; if none is found, it is compiled with \$CC)
  BENCH_TRELLIS   "vmdird" (default) or "slapd": slapd on both sides, to
                  check the harness itself
  SLAPD_PORT      first slapd port; nodes use +1..+9    (default 13900)
  TRELLIS_PORT    first vmdird port; nodes use +1..+9   (default 13910)
  BENCH_PASSWORD  Administrator password (default Bench-Passw0rd!)
  TMPDIR          where the temp dir goes (default /tmp)
EOF
}

# --- options ----------------------------------------------------------------
WRITES="" ENTRIES="" JOIN_ENTRIES="" ROUNDS="" QUICK=0 DO_JOIN=1
ADD_THREADS=4 LOAD_THREADS=4 JSON="" KEEP=0 INSTALL=0 NODES_LIST=3 TOPOLOGY=mesh
while [ $# -gt 0 ]; do
    case $1 in
        -w|--writes) WRITES=$2; shift ;;
        -n|--entries) ENTRIES=$2; shift ;;
        -j|--join-entries) JOIN_ENTRIES=$2; shift ;;
        -r|--rounds) ROUNDS=$2; shift ;;
        --add-threads) ADD_THREADS=$2; shift ;;
        --nodes) NODES_LIST=$2; shift ;;
        --nodes=*) NODES_LIST=${1#--nodes=} ;;
        --topology) TOPOLOGY=$2; shift ;;
        --topology=*) TOPOLOGY=${1#--topology=} ;;
        --load-threads) LOAD_THREADS=$2; shift ;;
        --quick) QUICK=1 ;;
        --no-join) DO_JOIN=0 ;;
        --json) JSON=- ;;
        --json=*) JSON=${1#--json=} ;;
        --keep) KEEP=1 ;;
        --install) INSTALL=1 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "repl_bench.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
    esac
    shift
done
if [ "$QUICK" = 1 ]; then
    : "${WRITES:=50}" "${ENTRIES:=1000}" "${JOIN_ENTRIES:=5000}" "${ROUNDS:=1}"
else
    : "${WRITES:=200}" "${ENTRIES:=5000}" "${JOIN_ENTRIES:=100000}" "${ROUNDS:=3}"
fi
for v in WRITES ENTRIES JOIN_ENTRIES ROUNDS ADD_THREADS LOAD_THREADS; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "repl_bench.sh: $v must be a positive integer" >&2; exit 2; }
done
[ "$ENTRIES" -le 999999 ] && [ "$JOIN_ENTRIES" -le 999999 ] \
    || { echo "repl_bench.sh: at most 999999 entries (cn=XXXXXX)" >&2; exit 2; }
[[ $NODES_LIST =~ ^[2-9](,[2-9])*$ ]] \
    || { echo "repl_bench.sh: --nodes takes node counts from 2 to 9, comma-separated" >&2; exit 2; }
NODES=(${NODES_LIST//,/ })
case $TOPOLOGY in
    mesh|ring) TOPOS=("$TOPOLOGY") ;;
    both) TOPOS=(mesh ring) ;;
    *) echo "repl_bench.sh: --topology must be mesh, ring or both" >&2; exit 2 ;;
esac

SLAPD_PORT=${SLAPD_PORT:-13900} TRELLIS_PORT=${TRELLIS_PORT:-13910}
PASS=${BENCH_PASSWORD:-Bench-Passw0rd!}
SUFFIX="dc=vsphere,dc=local" USERS="cn=Users,dc=vsphere,dc=local"
ADMIN="cn=Administrator,cn=Users,dc=vsphere,dc=local"
SITE="cn=Default-First-Site,cn=Sites,cn=Configuration,$SUFFIX"
HOST=127.0.0.1
HERE=$(cd "$(dirname "$0")" && pwd)
export LDAPTLS_REQCERT=never LDAPNOINIT=1

BENCH_NAME=repl_bench
. "$(dirname "$0")/lib.sh"

[ -e /usr/lib/ldap/syncprov.la ] || [ -e /usr/lib/ldap/syncprov.so ] \
    || log "no syncprov module in /usr/lib/ldap; assuming it is built into slapd"

if [ "$TRELLIS_IMPL" = vmdird ]; then
    SCHEMA_ARGS=()
    [ -d "${SCHEMA_DIR:-$SRCTOP/schema}" ] && SCHEMA_ARGS=(--schema-dir "${SCHEMA_DIR:-$SRCTOP/schema}")
fi

REPL_LATENCY=${REPL_LATENCY:-$(first_exe ${top_builddir:+"$top_builddir/tests/bench/repl_latency"} \
    ${VMDIRD:+"$(dirname "$VMDIRD")/tests/bench/repl_latency"} ./build/tests/bench/repl_latency \
    ./tests/bench/repl_latency "$HERE/repl_latency" || true)}
if [ -z "$REPL_LATENCY" ]; then
    log "repl_latency not built; compiling it into $WORK"
    ${CC:-cc} -O2 -DLDAP_DEPRECATED=1 -o "$WORK/repl_latency" "$HERE/repl_latency.c" -lldap -llber \
        || die "cannot build repl_latency (make tests/bench/repl_latency, or set REPL_LATENCY=)"
    REPL_LATENCY=$WORK/repl_latency
fi
[ -x "$REPL_LATENCY" ] || die "REPL_LATENCY=$REPL_LATENCY is not an executable"
REPL_LATENCY=$(abspath "$REPL_LATENCY")

uri() { echo "ldap://$HOST:$1"; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
rss_of() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo NA; }
# cpu_ticks PID...: user + system clock ticks of the processes, summed
# (fields 14 and 15 of /proc/PID/stat, counted after the command name)
cpu_ticks() {
    local p t=0
    for p in "$@"; do
        t=$((t + $(sed 's/^.*) //' "/proc/$p/stat" | awk '{ print $12 + $13 }')))
    done
    echo "$t"
}
CLK_TCK=$(getconf CLK_TCK)
# trellis_pulls PORT...: replication cycles completed by every agreement of
# the nodes (vmwMonitorPulls of their cn=monitor entries), summed
trellis_pulls() {
    local p
    for p in "$@"; do
        adm ldapsearch "$p" -LLL -o ldif-wrap=no -b cn=monitor -s one vmwMonitorPulls 2>/dev/null || return 1
    done | awk '/^vmwMonitorPulls: / { s += $2 } END { print s + 0 }'
}
# Every client call has a deadline: a server that stops answering must end
# the phase (its figures become NA), never hang the run.
adm() { local tool=$1 port=$2; shift 2; timeout 300 "$tool" -x -H "$(uri "$port")" -D "$ADMIN" -w "$PASS" "$@"; }
alive() { timeout 10 ldapsearch -x -H "$(uri "$1")" -b "" -s base -o nettimeout=5 1.1 >/dev/null 2>&1; }

has_dn() {     # has_dn PORT DN
    timeout 10 ldapsearch -x -H "$(uri "$1")" -D "$ADMIN" -w "$PASS" -LLL -o nettimeout=5 -b "$2" -s base 1.1 2>/dev/null |
        grep -q '^dn:'
}
count_all() {  # every entry under the suffix
    adm ldapsearch "$1" -LLL -o ldif-wrap=no -z 0 -b "$SUFFIX" -s sub '(objectClass=*)' 1.1 2>/dev/null |
        grep -c '^dn:' || true
}
count_entries() {  # number of cn=NNNNNN entries under cn=Users
    adm ldapsearch "$1" -LLL -o ldif-wrap=no -z 0 -b "$USERS" -s one '(objectClass=person)' 1.1 2>/dev/null |
        grep -Ec '^dn: cn=[0-9]{6},' || true
}
wait_dn() {    # wait_dn PORT DN TIMEOUT_S: 0 when present
    local end=$((SECONDS + $3))
    until has_dn "$1" "$2"; do [ "$SECONDS" -ge "$end" ] && return 1; sleep 0.05; done
}

wait_same_count() {  # wait_same_count PORT_A PORT_B TIMEOUT_S: same number of entries
    local end=$((SECONDS + $3)) a b
    while :; do
        a=$(count_all "$1") b=$(count_all "$2")
        [ "$a" -gt 0 ] && [ "$a" = "$b" ] && return 0
        [ "$SECONDS" -ge "$end" ] && return 1
        sleep 0.1
    done
}

# hung PORT PID: if the server no longer answers, its thread stacks go to the
# work dir (if gdb is there), which is then kept.
hung() {
    alive "$1" && return 0
    kill -0 "$2" 2>/dev/null || return 0
    log "  the server on port $1 (pid $2) does not answer"
    if command -v gdb >/dev/null; then
        timeout 60 gdb -p "$2" -batch -ex 'thread apply all bt' >"$WORK/stacks.$2.txt" 2>&1 || true
        log "  its thread stacks: $WORK/stacks.$2.txt"
    fi
    KEEP=1
}

LDCLT=(stdbuf -oL -eL ldclt -h "$HOST" -D "$ADMIN" -w "$PASS" -b "$USERS")

# ldclt_add PORT N THREADS LOGFILE: adds cn=000000..N-1 and returns when every
# thread has printed "thread is dead" (ldclt only reports per 10 s sample, so
# the caller times the run itself, as bench.sh does). Returns 1 if the server
# stops answering or nothing is added for 60 s.
ldclt_add() {
    local port=$1 n=$2 th=$3 logf=$4 lp dead ticks=0 still=0 cnt last=-1 rc=0
    : >"$logf"
    "${LDCLT[@]}" -p "$port" -e add,person,incr,noloop,commoncounter \
        -r0 -R $((n - 1)) -f cn=XXXXXX -n "$th" -E "$n" >"$logf" 2>&1 </dev/null &
    lp=$!; PIDS+=("$lp")
    while kill -0 "$lp" 2>/dev/null; do
        dead=$(grep -c 'thread is dead' "$logf" || true)
        [ "$dead" -ge "$th" ] && break
        sleep 0.02
        ticks=$((ticks + 1))
        if [ $((ticks % 500)) = 0 ]; then          # about every 10 s: progress?
            if ! alive "$port"; then rc=1; break; fi
            cnt=$(timeout 60 ldapsearch -x -H "$(uri "$port")" -D "$ADMIN" -w "$PASS" -LLL -z 0 \
                -b "$USERS" -s one '(objectClass=person)' 1.1 2>/dev/null | grep -c '^dn:' || true)
            if [ "$cnt" = "$last" ]; then still=$((still + 1)); else still=0; fi
            last=$cnt
            [ "$still" -ge 6 ] && { rc=1; break; }
        fi
    done
    kill -INT "$lp" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$lp" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$lp" 2>/dev/null || true; wait "$lp" 2>/dev/null || true
    return $rc
}
ldclt_errors() { grep -c 'Cannot add' "$1" || true; }

# fill_gaps PORT N DIR: adds whichever of cn=000000..N-1 is missing (ldclt
# counts a failed add, e.g. "Server is busy", and moves on).
fill_gaps() {
    local port=$1 n=$2 dir=$3 miss
    adm ldapsearch "$port" -LLL -o ldif-wrap=no -z 0 -b "$USERS" -s one '(objectClass=person)' 1.1 2>/dev/null |
        sed -n 's/^dn: cn=\([0-9]\{6\}\),.*/\1/p' | sort >"$dir/have"
    seq -f '%06.0f' 0 $((n - 1)) | sort >"$dir/want"
    comm -13 "$dir/have" "$dir/want" >"$dir/missing"
    miss=$(wc -l <"$dir/missing")
    [ "$miss" -gt 0 ] || return 0
    log "  adding the $miss entries that ldclt failed to add (see $dir/load.log)"
    awk -v u="$USERS" '{ printf "dn: cn=%s,%s\nobjectClass: person\ncn: %s\nsn: toto sn\n\n", $1, u, $1 }' \
        "$dir/missing" | adm ldapadd "$port" -c >"$dir/fill.log" 2>&1 || true
}

# --- servers ----------------------------------------------------------------
# slapd_conf DIR PORT SID PEERS MODE [nosync]: MODE is provider (syncprov +
# multiprovider syncrepl to each peer port), consumer (syncrepl from the one
# peer, no syncprov) or single (syncprov, no syncrepl: the join's source).
slapd_conf() {
    local dir=$1 port=$2 sid=$3 peers=$4 mode=$5 nosync=${6:-} p rid=0
    mkdir -p "$dir/db"
    {
        echo "include /etc/ldap/schema/core.schema"
        echo "include /etc/ldap/schema/cosine.schema"
        echo "include /etc/ldap/schema/inetorgperson.schema"
        echo "modulepath /usr/lib/ldap"
        echo "moduleload back_mdb"
        if [ "$mode" != consumer ] && { [ -e /usr/lib/ldap/syncprov.la ] || [ -e /usr/lib/ldap/syncprov.so ]; }; then
            echo "moduleload syncprov"
        fi
        echo "pidfile $dir/slapd.pid"
        echo "serverID $sid"
        echo "loglevel 0"
        echo "database mdb"
        echo "maxsize 4294967296"
        echo "suffix \"$SUFFIX\""
        echo "rootdn \"$ADMIN\""
        echo "rootpw $PASS"
        echo "directory $dir/db"
        echo "index objectClass eq"
        echo "index cn,uid eq"
        echo "index entryCSN,entryUUID eq"
        [ "$nosync" = nosync ] && echo "dbnosync"
        for p in $peers; do
            rid=$((rid + 1))
            printf 'syncrepl rid=%03d provider=ldap://%s:%s/ bindmethod=simple binddn="%s" credentials="%s" searchbase="%s" type=refreshAndPersist retry="1 +" timeout=5 network-timeout=5\n' \
                "$rid" "$HOST" "$p" "$ADMIN" "$PASS" "$SUFFIX"
        done
        [ "$mode" = provider ] && echo "multiprovider on"
        if [ "$mode" != consumer ]; then
            echo "overlay syncprov"
            echo "syncprov-checkpoint 100 10"
        fi
    } >"$dir/slapd.conf"
}
slapd_base() {   # slapadd the two base entries (node 1 only; the others replicate)
    local dir=$1
    printf 'dn: %s\nobjectClass: domain\ndc: vsphere\n\ndn: %s\nobjectClass: organizationalRole\ncn: Users\n' \
        "$SUFFIX" "$USERS" >"$dir/base.ldif"
    "$SLAPADD" -q -f "$dir/slapd.conf" -l "$dir/base.ldif" >"$dir/slapadd.log" 2>&1 \
        || { cat "$dir/slapadd.log" >&2; die "slapadd failed"; }
}
port_free() { ! alive "$1" || die "port $1 is already in use (another run? set SLAPD_PORT= / TRELLIS_PORT=)"; }
slapd_run() {    # slapd_run DIR PORT: sets SERVER_PID
    port_free "$2"
    "$SLAPD" -f "$1/slapd.conf" -h "ldap://$HOST:$2/" -d 0 >>"$1/server.log" 2>&1 </dev/null &
    SERVER_PID=$!; PIDS+=("$SERVER_PID")
    wait_port "$2" "$SERVER_PID" "$1/server.log"
}
vmdird_run() {   # vmdird_run DIR PORT [flags]: sets SERVER_PID
    local dir=$1 port=$2 sock=$1/vmdird.sock
    shift 2
    port_free "$port"
    # a local socket of its own (none if the path is too long for one) and
    # no HTTP side port: several nodes (and any other vmdird on the
    # machine) must not compete for the defaults
    [ ${#sock} -lt 100 ] || sock=""
    "$VMDIRD" -d "$dir/data" --listen "$HOST" -p "$port" "${SCHEMA_ARGS[@]}" --pid-file "$dir/vmdird.pid" \
        -o "ldapi_socket=$sock" -o http_port=0 \
        --log-level warn "$@" >>"$dir/server.log" 2>&1 </dev/null &
    SERVER_PID=$!; PIDS+=("$SERVER_PID")
    wait_port "$port" "$SERVER_PID" "$dir/server.log"
}
vmdird_init() {  # vmdird_init DIR NODE
    mkdir -p "$1"
    "$VMDIRD" --init -d "$1/data" --password "$PASS" --node "$2" "${SCHEMA_ARGS[@]}" \
        >"$1/init.log" 2>&1 </dev/null || { tail -20 "$1/init.log" >&2; die "vmdird --init failed"; }
}
vmdird_join() {  # vmdird_join DIR NODE PORT PARTNER_PORT; 1 on failure
    mkdir -p "$1"
    timeout 120 "$VMDIRD" --join "$(uri "$4")" -d "$1/data" --password "$PASS" --node "$2" -p "$3" \
        "${SCHEMA_ARGS[@]}" >"$1/join.log" 2>&1 </dev/null \
        || { tail -5 "$1/join.log" >&2; log "vmdird --join of $2 failed or timed out"; return 1; }
}
vmdird_agreement() {  # vmdird_agreement ON_PORT NODE PARTNER_PORT: NODE pulls from PARTNER
    printf 'dn: labeledURI=%s,cn=Replication Agreements,cn=%s,cn=Servers,%s\nobjectClass: vmwReplicationAgreement\nlabeledURI: %s\n' \
        "$(uri "$3")" "$2" "$SITE" "$(uri "$3")" | adm ldapadd "$1" >/dev/null \
        || { log "cannot add the agreement $2 -> $3"; return 1; }
}

# pulls_from TOPO N I: the nodes node I pulls from (mesh: every other one;
# ring: its predecessor, node N for node 1).
pulls_from() {
    local topo=$1 n=$2 i=$3 q
    if [ "$topo" = ring ]; then
        [ "$i" = 1 ] && echo "$n" || echo $((i - 1))
        return
    fi
    for q in $(seq "$n"); do [ "$q" = "$i" ] || echo "$q"; done
}

# vmdird_topology P0 N TOPO: the agreements the joins made (every node and
# node 1 pull from each other) become those of TOPO: the missing ones are
# added and the others removed, all written on node 1.
vmdird_topology() {
    local p0=$1 n=$2 topo=$3 i q dn line
    for i in $(seq "$n"); do
        for q in $(pulls_from "$topo" "$n" "$i"); do
            [ "$i" = 1 ] || [ "$q" = 1 ] || vmdird_agreement $((p0 + 1)) "node$i" $((p0 + q)) || return 1
        done
    done
    [ "$topo" = ring ] || return 0
    # a join's agreement that the ring does not have: NODE pulls from PORT
    adm ldapsearch $((p0 + 1)) -LLL -o ldif-wrap=no -b "cn=Servers,$SITE" '(objectClass=vmwReplicationAgreement)' 1.1 |
        sed -n 's/^dn: //p' >"$WORK/agreements.$$" || return 1
    while read -r dn; do
        line=$(sed -n 's/^labeledURI=ldap:\/\/[^:]*:\([0-9]*\),cn=Replication Agreements,cn=node\([0-9]*\),.*/\2 \1/p' <<<"$dn")
        [ -n "$line" ] || continue
        read -r i q <<<"$line"
        q=$((q - p0))
        pulls_from ring "$n" "$i" | grep -qx "$q" && continue
        adm ldapdelete $((p0 + 1)) "$dn" >/dev/null || { log "cannot remove the agreement $dn"; return 1; }
    done <"$WORK/agreements.$$"
    rm -f "$WORK/agreements.$$"
}

# mesh_start IMPL DIR PORT0 N TOPO: N nodes on PORT0+1..N, pulling as TOPO
# says; sets MESH_PIDS. Returns 1 (after saying why) if the set-up cannot
# be built.
mesh_start() {
    local impl=$1 dir=$2 p0=$3 n=$4 topo=$5 i p peers q
    MESH_PIDS=()
    if [ "$impl" = slapd ]; then
        for i in $(seq "$n"); do
            p=$((p0 + i)) peers=""
            for q in $(pulls_from "$topo" "$n" "$i"); do peers+=" $((p0 + q))"; done
            slapd_conf "$dir/n$i" "$p" "$i" "$peers" provider
        done
        slapd_base "$dir/n1"
        for i in $(seq "$n"); do slapd_run "$dir/n$i" $((p0 + i)); MESH_PIDS+=("$SERVER_PID"); done
    else
        vmdird_init "$dir/n1" node1
        vmdird_run "$dir/n1" $((p0 + 1)); MESH_PIDS+=("$SERVER_PID")
        for i in $(seq 2 "$n"); do
            vmdird_join "$dir/n$i" "node$i" $((p0 + i)) $((p0 + 1)) || return 1
            vmdird_run "$dir/n$i" $((p0 + i)); MESH_PIDS+=("$SERVER_PID")
            # one join at a time: the next join writes on node 1 only once
            # this node's first copy is in (a set-up step, not measured)
            wait_same_count $((p0 + 1)) $((p0 + i)) 120 || { log "node$i did not copy node 1 in 120 s"; return 1; }
        done
        vmdird_topology "$p0" "$n" "$topo" || return 1
    fi
    # every link up: a probe written on each node must reach every other
    for i in $(seq "$n"); do
        printf 'dn: cn=probe-%s,%s\nobjectClass: person\ncn: probe-%s\nsn: probe\n' "$i" "$USERS" "$i" |
            adm ldapadd $((p0 + i)) >/dev/null || { log "cannot add a probe on node $i"; return 1; }
    done
    for i in $(seq "$n"); do for q in $(seq "$n"); do
        wait_dn $((p0 + q)) "cn=probe-$i,$USERS" 120 || { log "probe from node $i not on node $q after 120 s"; return 1; }
    done; done
}

# --- phase 1: N nodes: latency, CPU per write, add throughput, catch-up, rss -
# appends "ROUND NAME NODES TOPO p50 p90 p99 max lost add_ops add_errors
# catchup_s rss_kib cpu_ms_per_write pulls_per_write status"
bench_mesh() {
    local round=$1 name=$2 impl=$3 p0=$4 dir=$5 n=$6 topo=$7 out t0 t1 found nn=0 i end st=ok
    local lat="NA NA NA NA NA" add=NA errs=NA catch=NA rss=NA cpu=NA pulls=NA c0 c1 q0="" q1 ports=()
    mkdir -p "$dir"
    log "$name: starting $n nodes, $topo (ports $((p0 + 1))-$((p0 + n)))"
    mesh_start "$impl" "$dir" "$p0" "$n" "$topo" || st=mesh-setup-failed

    if [ "$st" = ok ]; then
        log "$name: convergence latency, $WRITES writes on node 1, read on node $n"
        for i in $(seq "$n"); do ports+=($((p0 + i))); done
        [ "$impl" = slapd ] || q0=$(trellis_pulls "${ports[@]}") || q0=""
        c0=$(cpu_ticks "${MESH_PIDS[@]}")
        if out=$("$REPL_LATENCY" --json --run "r$round" "$(uri $((p0 + 1)))" "$(uri $((p0 + n)))" \
            "$ADMIN" "$PASS" "$USERS" "$WRITES" 2>"$dir/latency.err"); then
            c1=$(cpu_ticks "${MESH_PIDS[@]}")
            cpu=$(awk -v a="$c0" -v b="$c1" -v t="$CLK_TCK" -v w="$WRITES" 'BEGIN { printf "%.3f", (b - a) * 1000 / t / w }')
            # the pulls the writes caused: let the last one's echoes end first
            if [ -n "$q0" ]; then
                sleep 1
                q1=$(trellis_pulls "${ports[@]}") && pulls=$(awk -v a="$q0" -v b="$q1" -v w="$WRITES" 'BEGIN { printf "%.2f", (b - a) / w }')
            fi
            echo "$out" >"$dir/latency.json"
            lat=$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); f=lambda v: "NA" if v is None else "%.3f" % v
print(f(d["p50_ms"]), f(d["p90_ms"]), f(d["p99_ms"]), f(d["max_ms"]), d["lost"])' "$out")
        else
            tail -3 "$dir/latency.err" >&2; st=latency-failed
        fi
    fi
    if [ "$st" = ok ]; then
        log "$name: $ENTRIES adds on node 1 with $ADD_THREADS threads (ldclt)"
        t0=$(now)
        ldclt_add $((p0 + 1)) "$ENTRIES" "$ADD_THREADS" "$dir/add.log" || st=adds-stalled
        t1=$(now)
    fi
    if [ "$st" = ok ]; then
        found=$(count_entries $((p0 + 1)))
        errs=$(ldclt_errors "$dir/add.log")
        [ "$found" -eq "$ENTRIES" ] || log "WARNING: $name node 1 has $found of $ENTRIES entries ($errs failed adds; see $dir/add.log)"
        add=$(awk -v n="$found" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", n / (b - a) }')
        # catch-up: after the last add returned, how long until node N has them all
        end=$((SECONDS + 120))
        while [ "$SECONDS" -lt "$end" ]; do
            nn=$(count_entries $((p0 + n)))
            [ "$nn" -ge "$found" ] && { catch=$(elapsed "$t1" "$(now)"); break; }
            sleep 0.05
        done
        [ "$catch" != NA ] || { log "WARNING: $name node $n has $nn of $found entries 120 s after the adds"; st=catch-up-incomplete; }
        rss=$(rss_of "${MESH_PIDS[0]}")
    fi
    if [ "$st" != ok ]; then
        log "WARNING: $name round $round $n-node $topo phase: $st"
        for i in "${!MESH_PIDS[@]}"; do hung $((p0 + i + 1)) "${MESH_PIDS[$i]}"; done
    fi
    for i in "${MESH_PIDS[@]}"; do stop_pid "$i"; done
    echo "$round $name $n $topo $lat $add $errs $catch $rss $cpu $pulls $st" >>"$MESH_RESULTS"
    printf '[repl-bench %s] round %d %-8s %d %-4s latency p50 %s p99 %s ms (lost %s)  cpu %s ms/write  pulls %s/write  add %s ops/s  catch-up %s s  rss %s KiB  %s\n' \
        "$(date +%T)" "$round" "$name" "$n" "$topo" "$(cut -d' ' -f1 <<<"$lat")" "$(cut -d' ' -f3 <<<"$lat")" \
        "$(cut -d' ' -f5 <<<"$lat")" "$cpu" "$pulls" "$add" "$catch" "$rss" "$st" >&2
}

# --- phase 2: join -------------------------------------------------------------
# join_source IMPL DIR PORT: a single node holding J entries, loaded with
# ldclt with durability off, then stopped; a template copied for every round.
join_source() {
    local impl=$1 dir=$2 port=$3 t0 n
    mkdir -p "$dir"
    log "$impl: loading $JOIN_ENTRIES entries into the join source (ldclt, $LOAD_THREADS threads, no fsync)"
    if [ "$impl" = slapd ]; then
        slapd_conf "$dir" "$port" 1 "" single nosync
        slapd_base "$dir"
        slapd_run "$dir" "$port"
    else
        vmdird_init "$dir" node1
        vmdird_run "$dir" "$port" -o nosync=true
    fi
    t0=$(now)
    ldclt_add "$port" "$JOIN_ENTRIES" "$LOAD_THREADS" "$dir/load.log" || { hung "$port" "$SERVER_PID"; die "$impl: the bulk load stalled"; }
    fill_gaps "$port" "$JOIN_ENTRIES" "$dir"
    n=$(count_entries "$port")
    log "$impl: loaded $n entries in $(elapsed "$t0" "$(now)") s"
    [ "$n" -eq "$JOIN_ENTRIES" ] || log "WARNING: $impl join source has $n of $JOIN_ENTRIES entries"
    stop_pid "$SERVER_PID"
    if [ "$impl" = slapd ]; then slapd_conf "$dir" "$port" 1 "" single; fi   # durable again
    return 0
}

# appends "ROUND NAME join_s entries rss_new_kib rss_source_kib status"
bench_join() {
    local round=$1 name=$2 impl=$3 p0=$4 dir=$5 src=$6 sp=$(($4 + 1)) np=$(($4 + 4))
    local spid npid="" t0 t1 js=NA n1 n2=NA rn=NA rs=NA st=ok sentinel="cn=join-sentinel-$1,$USERS"
    mkdir -p "$dir"
    cp -a "$src" "$dir/src"
    if [ "$impl" = slapd ]; then
        slapd_conf "$dir/src" "$sp" 1 "" single   # the paths of this copy
        slapd_run "$dir/src" "$sp"
    else
        vmdird_run "$dir/src" "$sp"
    fi
    spid=$SERVER_PID
    n1=$(count_all "$sp")
    log "$name: join: a new node copies $n1 entries from the source"
    # The clock runs from just before the join (Trellis: vmdird --join; slapd:
    # writing the consumer's configuration) until the new node holds as many
    # entries as the source. A sentinel written on the source after the join
    # step is the last entry sent (Trellis: USN order; slapd: entry-id
    # order), so the new node is polled cheaply for it, and the counts are
    # compared once it is there.
    t0=$(now)
    if [ "$impl" = slapd ]; then
        slapd_conf "$dir/new" "$np" 4 "$sp" consumer
    else
        vmdird_join "$dir/new" nodeJ "$np" "$sp" || st=join-failed
    fi
    if [ "$st" = ok ]; then
        printf 'dn: %s\nobjectClass: person\ncn: join-sentinel-%s\nsn: sentinel\n' "$sentinel" "$round" |
            adm ldapadd "$sp" >/dev/null || st=sentinel-add-failed
    fi
    if [ "$st" = ok ]; then
        if [ "$impl" = slapd ]; then slapd_run "$dir/new" "$np"; else vmdird_run "$dir/new" "$np"; fi
        npid=$SERVER_PID
        wait_dn "$np" "$sentinel" 1800 || st=copy-incomplete
        t1=$(now)
    fi
    if [ "$st" = ok ]; then
        n1=$(count_all "$sp") n2=$(count_all "$np")
        if [ "$n2" -ne "$n1" ]; then
            log "$name: sentinel there but $n2 of $n1 entries; polling the count"
            for _ in $(seq 600); do
                sleep 0.2; n1=$(count_all "$sp") n2=$(count_all "$np")
                [ "$n2" -eq "$n1" ] && break
            done
            t1=$(now)
            [ "$n2" -eq "$n1" ] || { log "WARNING: $name: new node has $n2 of $n1 entries"; st=count-mismatch; }
        fi
        js=$(elapsed "$t0" "$t1") rn=$(rss_of "$npid") rs=$(rss_of "$spid")
    fi
    if [ "$st" != ok ]; then
        log "WARNING: $name round $round join phase: $st"
        hung "$sp" "$spid"
        [ -z "$npid" ] || hung "$np" "$npid"
    fi
    echo "$round $name $js $n2 $rn $rs $st" >>"$JOIN_RESULTS"
    printf '[repl-bench %s] round %d %-8s join %s s (%s entries)  %s\n' "$(date +%T)" "$round" "$name" "$js" "$n2" "$st" >&2
    [ -z "$npid" ] || stop_pid "$npid"
    stop_pid "$spid"
    [ "$KEEP" = 1 ] || rm -rf "$dir/src/db" "$dir/src/data" "$dir/new/db" "$dir/new/data"   # J entries per copy
}

# --- main -----------------------------------------------------------------
log "work dir $WORK; $ROUNDS round(s); nodes ${NODES[*]}, ${TOPOS[*]}; $WRITES latency writes, $ENTRIES adds, join of $JOIN_ENTRIES entries; trellis side = $TRELLIS_IMPL${VMDIRD:+ ($VMDIRD)}"
MESH_RESULTS=$WORK/mesh.tsv JOIN_RESULTS=$WORK/join.tsv
: >"$MESH_RESULTS"; : >"$JOIN_RESULTS"
if [ "$DO_JOIN" = 1 ]; then
    join_source slapd "$WORK/src-slapd" $((SLAPD_PORT + 1))
    join_source "$TRELLIS_IMPL" "$WORK/src-trellis" $((TRELLIS_PORT + 1))
fi
for r in $(seq "$ROUNDS"); do
    order="slapd trellis"; [ $((r % 2)) = 0 ] && order="trellis slapd"   # alternate who goes first
    for side in $order; do
        if [ "$side" = slapd ]; then impl=slapd p0=$SLAPD_PORT; else impl=$TRELLIS_IMPL p0=$TRELLIS_PORT; fi
        for n in "${NODES[@]}"; do for topo in "${TOPOS[@]}"; do
            bench_mesh "$r" "$side" "$impl" "$p0" "$WORK/r$r-$side-$topo$n" "$n" "$topo"
        done; done
        if [ "$DO_JOIN" = 1 ]; then bench_join "$r" "$side" "$impl" "$p0" "$WORK/r$r-$side-join" "$WORK/src-$side"; fi
    done
done

# median FILE SIDE COLUMN DECIMALS [NODES TOPO]; NA values are skipped
median() {
    awk -v s="$2" -v c="$3" -v n="${5:-}" -v t="${6:-}" \
        '$2 == s && (n == "" || ($3 == n && $4 == t)) && $c != "NA" { print $c }' "$1" | sort -g |
        awk -v d="$4" '{ v[NR] = $1 } END { if (NR == 0) { print "null"; exit }
              if (NR % 2) m = v[(NR + 1) / 2]; else m = (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.*f", d, m }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "null" && b != "null" && b > 0) printf "%.3f", a / b; else print "null" }'; }

echo
echo "Per round ($WRITES latency writes node 1 -> node N, CPU of all N nodes and replication pulls per write; $ENTRIES adds, $ADD_THREADS threads, on node 1):"
printf '%-6s %-8s %5s %-5s %9s %9s %9s %9s %5s %9s %8s %10s %7s %9s %10s  %s\n' round server nodes topo "p50 ms" "p90 ms" \
    "p99 ms" "max ms" lost "cpu ms/w" "pulls/w" "add ops/s" "add err" "catchup s" "rss1 KiB" status
sort -k1,1n -k3,3n -k4,4 -k2,2 "$MESH_RESULTS" | while read -r r side n topo a b c d e f g h i cpu pulls st; do
    printf '%-6s %-8s %5s %-5s %9s %9s %9s %9s %5s %9s %8s %10s %7s %9s %10s  %s\n' "$r" "$side" "$n" "$topo" \
        "$a" "$b" "$c" "$d" "$e" "$cpu" "$pulls" "$f" "$g" "$h" "$i" "$st"
done
if [ "$DO_JOIN" = 1 ]; then
    echo
    echo "Per round, join ($JOIN_ENTRIES loaded entries):"
    printf '%-6s %-8s %10s %10s %14s %14s  %s\n' round server "join s" entries "rss new KiB" "rss src KiB" status
    sort -k1,1n -k2,2 "$JOIN_RESULTS" | while read -r r side a b c d st; do
        printf '%-6s %-8s %10s %10s %14s %14s  %s\n' "$r" "$side" "$a" "$b" "$c" "$d" "$st"
    done
fi

# One block of medians per set-up (nodes, topology); the join's once.
mesh_metrics=("lat_p50_ms 5 3 latency p50 ms" "lat_p90_ms 6 3 latency p90 ms" "lat_p99_ms 7 3 latency p99 ms"
              "lat_max_ms 8 3 latency max ms" "lat_lost 9 0 latency lost" "cpu_ms_per_write 14 3 CPU ms per write"
              "pulls_per_write 15 2 pulls per write"
              "add_ops_per_s 10 1 add ops/s" "add_errors 11 0 add errors" "catchup_s 12 3 catch-up node N s"
              "rss_node1_kib 13 0 rss node 1 KiB")
join_metrics=("join_s 3 3 join s" "join_entries 4 0 join entries"
              "rss_joined_kib 5 0 rss joined KiB" "rss_join_source_kib 6 0 rss source KiB")
# medians_block FILE NODES TOPO METRIC...: prints the rows, leaves the JSON
# members in BLOCK_JSON
medians_block() {
    local f=$1 n=$2 topo=$3 m key col dec label t s q
    shift 3
    BLOCK_JSON=""
    for m in "$@"; do
        read -r key col dec label <<<"$m"
        t=$(median "$f" trellis "$col" "$dec" $n $topo); s=$(median "$f" slapd "$col" "$dec" $n $topo); q=$(ratio "$t" "$s")
        printf '%-22s %12s %12s %8s\n' "$label" "$t" "$s" "$q"
        BLOCK_JSON+="\"$key\": {\"trellis\": $t, \"slapd\": $s, \"ratio\": $q}, "
    done
}
configs="" top_json=""
for n in "${NODES[@]}"; do for topo in "${TOPOS[@]}"; do
    echo
    echo "Medians over $ROUNDS round(s), $n nodes, $topo (trellis side: $TRELLIS_IMPL):"
    printf '%-22s %12s %12s %8s\n' metric trellis slapd ratio
    medians_block "$MESH_RESULTS" "$n" "$topo" "${mesh_metrics[@]}"
    configs+="${configs:+, }{\"nodes\": $n, \"topology\": \"$topo\", ${BLOCK_JSON%, }}"
    top_json=$BLOCK_JSON
done; done
if [ "$DO_JOIN" = 1 ]; then
    echo
    echo "Medians over $ROUNDS round(s), join (trellis side: $TRELLIS_IMPL):"
    printf '%-22s %12s %12s %8s\n' metric trellis slapd ratio
    medians_block "$JOIN_RESULTS" "" "" "${join_metrics[@]}"
    join_json=$BLOCK_JSON
fi
echo
echo "Summary of the medians (latency node 1 -> node N; CPU of all nodes per replicated write; Trellis pulls per write):"
printf '%5s %-5s | %-36s | %-28s\n' nodes topo "trellis p50/p99 ms, cpu ms, pulls" "slapd p50/p99 ms, cpu ms"
for n in "${NODES[@]}"; do for topo in "${TOPOS[@]}"; do
    row=()
    for side in trellis slapd; do
        row+=("$(median "$MESH_RESULTS" "$side" 5 3 "$n" "$topo")/$(median "$MESH_RESULTS" "$side" 7 3 "$n" "$topo"), $(median "$MESH_RESULTS" "$side" 14 3 "$n" "$topo")")
    done
    row[0]+=", $(median "$MESH_RESULTS" trellis 15 2 "$n" "$topo")"
    printf '%5s %-5s | %-36s | %-28s\n' "$n" "$topo" "${row[0]}" "${row[1]}"
done; done
echo "(ratio = trellis / slapd: lower is better for latency, CPU, catch-up, join time and rss; higher for ops/s)"
# With one set-up, its medians are also at the top level, as before --nodes.
json='{'
[ "${#NODES[@]}" = 1 ] && [ "${#TOPOS[@]}" = 1 ] && json+=$top_json
[ "$DO_JOIN" = 1 ] && json+=$join_json
json+="\"configs\": [$configs], \"nodes\": [$(IFS=,; echo "${NODES[*]}")], \"topology\": \"$TOPOLOGY\", "
json+="\"writes\": $WRITES, \"entries\": $ENTRIES, \"join_entries\": $([ "$DO_JOIN" = 1 ] && echo "$JOIN_ENTRIES" || echo null), "
json+="\"rounds\": $ROUNDS, \"trellis_impl\": \"$TRELLIS_IMPL\"}"
if [ "$JSON" = - ]; then echo "$json"; elif [ -n "$JSON" ]; then echo "$json" >"$JSON"; log "wrote $JSON"; fi
