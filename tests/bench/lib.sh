# lib.sh: what both benchmarks share (source it after setting BENCH_NAME,
# INSTALL, KEEP, HOST and BENCH_TRELLIS): messages, the peer tools check,
# finding vmdird, the work directory with its clean-up, stopping servers
# and waiting for them to answer.

log() { echo "[$BENCH_NAME $(date +%T)] $*" >&2; }
die() { echo "$BENCH_NAME.sh: $*" >&2; exit 1; }

first_exe() { local f; for f in "$@"; do [ -n "$f" ] && [ -x "$f" ] && { echo "$f"; return 0; }; done; return 1; }
abspath() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }

BENCH_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRCTOP=$(cd "$BENCH_HERE/../.." && pwd)

# --- prerequisites: slapd, ldclt, ldap-utils (apt-get with --install) ------
SLAPD=/usr/sbin/slapd SLAPADD=/usr/sbin/slapadd
bench_missing=()
[ -x "$SLAPD" ] && [ -x "$SLAPADD" ] || bench_missing+=(slapd)
command -v ldclt >/dev/null || bench_missing+=(389-ds-base)
command -v ldapsearch >/dev/null || bench_missing+=(ldap-utils)
if [ ${#bench_missing[@]} -gt 0 ]; then
    if [ "$INSTALL" = 1 ] && [ "$(id -u)" = 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y "${bench_missing[@]}" </dev/null
    else
        die "missing tools; install with: apt-get install -y ${bench_missing[*]} (or rerun as root with --install)"
    fi
fi

# --- the Trellis side: VMDIRD, else the build trees we know ------------------
TRELLIS_IMPL=${BENCH_TRELLIS:-vmdird}
if [ "$TRELLIS_IMPL" = vmdird ]; then
    VMDIRD=${VMDIRD:-$(first_exe ${top_builddir:+"$top_builddir/vmdird"} ./build/vmdird ./vmdird \
        "$SRCTOP/vmdird" "$SRCTOP/build/vmdird" || true)}
    [ -n "$VMDIRD" ] && [ -x "$VMDIRD" ] || die "vmdird not found (set VMDIRD=, or BENCH_TRELLIS=slapd to test the harness)"
    VMDIRD=$(abspath "$VMDIRD")
elif [ "$TRELLIS_IMPL" != slapd ]; then
    die "BENCH_TRELLIS must be vmdird or slapd"
fi

# --- work directory; every server started goes into PIDS -------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/trellis-$BENCH_NAME.XXXXXX")
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do stop_pid "$p"; done
    if [ "$KEEP" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

stop_pid() {   # SIGTERM, wait up to 30 s, then SIGKILL
    local p=$1
    kill -0 "$p" 2>/dev/null || return 0
    kill -TERM "$p" 2>/dev/null || true
    for _ in $(seq 300); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$p" 2>/dev/null; then log "pid $p ignored SIGTERM, killing"; kill -KILL "$p" 2>/dev/null || true; fi
    wait "$p" 2>/dev/null || true
}

wait_port() {  # wait_port PORT PID LOGFILE: up to 60 s for the root DSE
    for _ in $(seq 600); do
        kill -0 "$2" 2>/dev/null || { tail -20 "$3" >&2; die "server (pid $2) exited during start-up"; }
        ldapsearch -x -H "ldap://$HOST:$1" -b "" -s base -o nettimeout=2 '(objectClass=*)' >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    tail -20 "$3" >&2; die "server on port $1 did not answer within 60 s"
}
