#!/usr/bin/env bash
# test_slowreader.sh: clients that send whole-tree searches and never read
# their results must not hold the workers. With four times as many such
# connections as worker threads attached to node A (and a replication
# consumer that never reads its pulls), other clients' searches, binds
# and writes, and replication between A and B, keep completing (each
# within a generous bound; the times are printed); the slow connections
# are dropped once their output has not moved for write_timeout, with one
# exact log line each, and A serves normally afterwards. A client that
# stops reading until its searches park, and then reads, gets every entry
# of every search. Each slow connection asks for more than the kernel's
# socket buffers hold plus the server's output bound, so its operations
# must park (the debug log says so).
set -u
. "$(dirname "$0")/lib.sh"
: "${REPL_OP_TIMEOUT:=20}"
. "$(dirname "$0")/repl_lib.sh"

# the raw clients go with the test, whichever way it ends
helpers=()
trap 'kill "${helpers[@]}" 2>/dev/null; t_cleanup' EXIT

THREADS=2
NSLOW=$((4 * THREADS))
WT=10			# node A's write_timeout, seconds
NENT=3000
P="cn=Bulk,$BASE"

ok "init A" node_init A
ok "start A (threads=$THREADS, write_timeout=$WT)" node_start A -o threads=$THREADS -o write_timeout=$WT
ok "join and start B (threads=$THREADS)" repl_join B A -o threads=$THREADS

# --- a directory whose whole-tree answer is far larger than socket buffers
{
	printf 'dn: %s\nobjectClass: container\ncn: Bulk\n\n' "$P"
	for i in $(seq 1 $NENT); do
		printf 'dn: cn=bulk%d,%s\nobjectClass: inetOrgPerson\ncn: bulk%d\nsn: Bulk\n' "$i" "$P" "$i"
		printf 'description: entry %d padded %0200d\n\n' "$i" 0
	done
} >"$T_DIR/bulk.ldif"
ok "bulk load of $NENT entries on A" adm_add A -f "$T_DIR/bulk.ldif"
ntree=$(count A)
like "$ntree" "^[0-9]+$" "whole tree counted on A ($ntree entries)"
wait_ok "the bulk entries reached B" eval '[ "$(count B "$P")" = $((NENT + 1)) ]'

cat >"$T_DIR/slow.py" <<'EOF'
import fcntl, os, socket, struct, sys, termios, time

from ber import tlv, integer, octets, msg, split

def bind(mid, dn, pw):
    return msg(mid, tlv(0x60, integer(3) + octets(dn) + tlv(0x80, pw.encode())))

def search(mid, base, kind="search"):
    """Whole subtree, (objectClass=*), every user attribute; kind "pull"
    adds the replication pull control (from USN 0, an empty vector, pages
    of 5000, no waiting): every entry with its metadata."""
    op = tlv(0x63, octets(base) + tlv(0x0A, b"\x02") + tlv(0x0A, b"\x00")
        + integer(0) + integer(0) + tlv(0x01, b"\x00") + tlv(0x87, b"objectClass")
        + tlv(0x30, b""))
    if kind == "pull":
        v = tlv(0x30, octets("0") + octets("") + integer(5000) + integer(0) + octets(""))
        op += tlv(0xA0, tlv(0x30, octets("1.3.6.1.4.1.6876.40.10.3.1") + octets(v)))
    return msg(mid, op)

def unread(s):
    return struct.unpack("i", fcntl.ioctl(s, termios.FIONREAD, b"\0\0\0\0"))[0]

def attach(port, admin, pw, base, nsearch, kind="search"):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", port))
    s.sendall(bind(1, admin, pw) + b"".join(search(2 + k, base, kind) for k in range(nsearch)))
    return s

def entries(s, nsearch):
    """Reads every answer: {msgid: [entries, resultCode]} once all are
    done, and the number of bytes read."""
    got, buf, total = {}, b"", 0
    while sum(1 for v in got.values() if v[1] is not None) < nsearch:
        c = s.recv(1 << 16)
        if not c:
            break
        total += len(c)
        msgs, buf = split(buf + c)
        for m in msgs:
            mid = int.from_bytes(m[2:2 + m[1]], "big")
            i = 2 + m[1]
            tag = m[i]
            j = i + 2 if m[i + 1] < 0x80 else i + 2 + (m[i + 1] & 0x7F)
            if mid == 1:
                continue
            v = got.setdefault(mid, [0, None])
            if tag == 0x64:
                v[0] += 1
            elif tag == 0x65:
                v[1] = m[j + 2]
    return got, total

mode, port, admin, pw, base = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]

if mode == "size":
    # bytes of one whole-tree answer (and the bind's), search or pull
    s = attach(port, admin, pw, base, 1, sys.argv[6])
    s.settimeout(120)
    print(entries(s, 1)[1])

elif mode == "never":
    # N connections that send their searches (or pulls) and never read;
    # holds them open until killed.
    kind, n, nsearch = sys.argv[6], int(sys.argv[7]), int(sys.argv[8])
    socks = [attach(port, admin, pw, base, nsearch, kind) for _ in range(n)]
    print("ports", " ".join(str(s.getsockname()[1]) for s in socks), flush=True)
    end = time.time() + 60
    while time.time() < end and any(unread(s) == 0 for s in socks):
        time.sleep(0.05)
    print("answering", sum(1 for s in socks if unread(s) > 0), flush=True)
    while True:
        time.sleep(3600)

elif mode == "pause":
    # does not read until the file go exists, then reads everything
    nsearch, go = int(sys.argv[6]), sys.argv[7]
    s = attach(port, admin, pw, base, nsearch)
    print("port", s.getsockname()[1], flush=True)
    end = time.time() + 120
    while time.time() < end and not os.path.exists(go):
        time.sleep(0.05)
    s.settimeout(120)
    got = entries(s, nsearch)[0]
    print("answers", len(got), "counts", sorted(set(v[0] for v in got.values())),
          "codes", sorted(set(v[1] for v in got.values())))
EOF
# slow MODE NODE ARGS...: the raw client. Only ever run in a subshell
# ($(...) or &): it execs, so that the pid of & is the client's and
# killing it ends the client.
slow() { exec timeout 300 python3 "$T_DIR/slow.py" "$1" "${NODE_PORT[$2]}" "$ADMIN_DN" "$ADMIN_PW" "$BASE" "${@:3}"; }

# now_ms: a monotonic-enough clock for the durations printed below.
now_ms() { echo $((${EPOCHREALTIME/./} / 1000)); }

# within DESC CMD...: CMD completes successfully (its own bound is
# REPL_OP_TIMEOUT or REPL_DEADLINE, 20 s); prints how long it took.
within() {
	local desc=$1 t0
	shift
	t0=$(now_ms)
	ok "$desc" "$@"
	echo "# $desc: $(($(now_ms) - t0)) ms"
}

whoami_a() { timeout "$REPL_OP_TIMEOUT" ldapwhoami -x -H "$(url A)" -D "$ADMIN_DN" -w "$ADMIN_PW"; }
rootdse_a() { timeout "$REPL_OP_TIMEOUT" ldapsearch -x -LLL -H "$(url A)" -b "" -s base namingContexts; }
one_a() { adm_search A -b "cn=bulk$1,$P" -s base cn | grep -q "^cn: bulk$1\$"; }
add_on() {
	adm_add "$1" <<EOF
dn: cn=$2,cn=Users,$BASE
objectClass: person
cn: $2
sn: $2
EOF
}

within "before: a search on A" one_a 17

# Enough searches per slow connection to exceed the kernel's socket
# buffers plus the server's output bound (1 MiB), whatever the sysctls.
read -r _ _ wmax </proc/sys/net/ipv4/tcp_wmem || wmax=4194304
# how_many KIND: requests whose answers exceed that.
how_many() {
	local answer n
	answer=$(slow size A "$1")
	n=$(((wmax + 4 * 1048576) / ${answer:-1048576} + 2))
	echo "# a whole-tree $1 answer is ${answer:-?} bytes; $n per slow connection (tcp_wmem max $wmax)" >&2
	[ "$n" -gt 200 ] && n=200
	echo "$n"
}
NSEARCH=$(how_many search)
NPULL=$(how_many pull)
like "$NSEARCH:$NPULL" "^[0-9]+:[0-9]+$" "answer sizes measured"

# debug_on NODE: raises its log level to debug (the parked lines).
debug_on() {
	kill -USR1 "${NODE_PID[$1]}"
	wait_until grep -q 'log level now debug' "$T_DIR/$1/vmdird.log"
}
# conn_of NODE PORT: the connection id of the client at local PORT.
conn_of() {
	sed -nE "s/.* conn=([0-9]+) fd=[0-9]+ ACCEPT from 127\.0\.0\.1:$2\$/\1/p" "$T_DIR/$1/vmdird.log"
}
ok "A logs at debug level" debug_on A

# --- slow readers and a slow consumer attached to A -----------------------------
t_attach=$(now_ms)
slow never A search $NSLOW $NSEARCH >"$T_DIR/never.out" 2>&1 &
slowpid=$!
helpers+=($slowpid)
# and a replication consumer that does not read its pulls
slow never A pull 1 $NPULL >"$T_DIR/pull.out" 2>&1 &
pullpid=$!
helpers+=($pullpid)
REPL_DEADLINE=90 wait_until grep -q '^answering' "$T_DIR/never.out"
REPL_DEADLINE=90 wait_until grep -q '^answering' "$T_DIR/pull.out"
like "$(cat "$T_DIR/pull.out")" "^answering 1\$" \
    "a consumer that does not read attached, with $NPULL pulls being answered"
pullconn=$(conn_of A "$(sed -n 's/^ports //p' "$T_DIR/pull.out")")
like "$(cat "$T_DIR/never.out")" "^answering $NSLOW\$" \
    "$NSLOW slow readers (4 x $THREADS workers) attached, each with $NSEARCH whole-tree searches being answered"
slowconns=""
for p in $(sed -n 's/^ports //p' "$T_DIR/never.out"); do
	slowconns="$slowconns $(conn_of A "$p")"
done
slowconns=$(echo $slowconns | tr ' ' '\n' | sort -n | tr '\n' ' ')

within "with slow readers: anonymous root DSE search on A" rootdse_a
within "with slow readers: bind on A" whoami_a
within "with slow readers: subtree search for one entry on A" one_a 2999
within "with slow readers: add on A" add_on A during-a
within "with slow readers: modify on A" adm_modify A <<EOF
dn: cn=bulk5,$P
changetype: modify
replace: description
description: changed while slow readers hold their output
EOF
within "with slow readers: the add on A replicates to B" wait_until has_dn B "cn=during-a,cn=Users,$BASE"
within "with slow readers: add on B" add_on B during-b
within "with slow readers: the add on B replicates to A" wait_until has_dn A "cn=during-b,cn=Users,$BASE"
within "with slow readers: the modify on A replicates to B" \
    wait_until attr_is B "cn=bulk5,$P" description "changed while slow readers hold their output"
within "with slow readers: a whole-tree search on A by a reading client" \
    eval '[ "$(count A)" = $((ntree + 2)) ]'
t_phase=$(($(now_ms) - t_attach))
ndrop=$(grep -c ' dropped: ' "$T_DIR/A/vmdird.log")
echo "# the checks above ran ${t_phase} ms after the slow readers attached; $ndrop dropped by then"

# --- the slow readers are dropped after write_timeout ---------------------------
DROP_RE="^[^ ]+ vmdird\\[info\\] conn=[0-9]+ dropped: client did not read its results for $WT s\$"
ndropped() { grep -cE "$DROP_RE" "$T_DIR/A/vmdird.log"; }
REPL_DEADLINE=$((WT + 30)) wait_until eval '[ "$(ndropped)" -ge $((NSLOW + 1)) ]'
is "$(ndropped)" "$((NSLOW + 1))" "the $NSLOW slow readers and the slow consumer are dropped, each with the exact log line"
got=$(grep -E "$DROP_RE" "$T_DIR/A/vmdird.log" | sed -E 's/.* conn=([0-9]+) dropped.*/\1/' |
    sort -n | tr '\n' ' ')
want=$(echo $slowconns $pullconn | tr ' ' '\n' | sort -n | tr '\n' ' ')
is "$got" "$want" "the dropped connections are exactly the slow readers' and the slow consumer's (conn ids by port)"
missing=""
for c in $slowconns; do
	grep -qE "\\[debug\\] conn=$c op=[0-9]+ parked until the client reads\$" "$T_DIR/A/vmdird.log" ||
	    missing="$missing $c"
done
is "${missing:-none}" none "every slow reader had its searches parked (no worker waited for it)"
ok "the slow consumer had its pulls parked (no pull thread waited for it)" \
    grep -qE "\\[debug\\] conn=$pullconn op=[0-9]+ parked until the client reads\$" "$T_DIR/A/vmdird.log"
# Each was dropped no sooner than write_timeout after it was accepted
# (server clock for both).
early=$(python3 - "$T_DIR/A/vmdird.log" "$WT" <<'EOF'
import re, sys, datetime
acc, early = {}, []
def ts(line):
    return datetime.datetime.strptime(line.split()[0], "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()
for line in open(sys.argv[1]):
    m = re.search(r" conn=(\d+) fd=\d+ ACCEPT", line)
    if m:
        acc[m.group(1)] = ts(line)
    m = re.search(r" conn=(\d+) dropped: ", line)
    if m:
        d = ts(line) - acc.get(m.group(1), 0)
        print("# conn=%s dropped %.1f s after it was accepted" % (m.group(1), d), file=sys.stderr)
        if d < int(sys.argv[2]):
            early.append(m.group(1))
print(" ".join(early))
EOF
)
is "$early" "" "no slow reader was dropped before write_timeout ($WT s)"
kill "$slowpid" "$pullpid" 2>/dev/null
wait "$slowpid" "$pullpid" 2>/dev/null
survived A "the slow readers"

# --- afterwards ---------------------------------------------------------------------
within "after: bind on A" whoami_a
within "after: add on A" add_on A after-a
is "$(count A)" $((ntree + 3)) "after: a whole-tree search on A returns every entry"
wait_same "after: A and B hold identical directories" A B

# --- a client that stops reading until its searches park, then reads everything
ok "B logs at debug level" debug_on B
slow pause B "$NSEARCH" "$T_DIR/go" >"$T_DIR/pause.out" 2>&1 &
pausepid=$!
helpers+=($pausepid)
wait_until grep -q '^port ' "$T_DIR/pause.out"
pconn=$(conn_of B "$(sed -n 's/^port //p' "$T_DIR/pause.out")")
wait_ok "the pausing client's searches park on B" \
    grep -qE "\\[debug\\] conn=$pconn op=[0-9]+ parked until the client reads\$" "$T_DIR/B/vmdird.log"
touch "$T_DIR/go"
wait "$pausepid"
is "$(sed -n 's/^answers //p' "$T_DIR/pause.out")" "$NSEARCH counts [$((ntree + 3))] codes [0]" \
    "once it reads, it gets all $((ntree + 3)) entries of each of its $NSEARCH searches"
ok "no connection of B was dropped" eval '! grep -q " dropped: " "$T_DIR/B/vmdird.log"'
survived B "the pausing reader"
ok "A stops cleanly" node_stop A
ok "B stops cleanly" node_stop B
done_testing
