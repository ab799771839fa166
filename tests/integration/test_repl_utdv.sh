#!/bin/bash
# test_repl_utdv.sh: what a supplier sends, measured exactly. Replication
# assertions alone (identical dumps) would still pass if a supplier sent
# every change whatever the consumer has seen; these count what goes over
# the wire.
#  - A raw pull (the pull control of repl/supply.c, sent as the
#    administrator from a raw-socket client) from USN 0 with the
#    consumer's full up-to-dateness vector returns no entry; with one
#    invocationId left out, exactly the entries holding changes of that
#    invocationId, each carrying only those changes; with an invocationId
#    covered up to some USN, exactly the changes above it; with an empty
#    vector, every entry.
#  - A supplier restarted (a new invocationId) is read again from USN 0
#    by its partner, which applies only the one new change (the supplier's
#    server object), not the whole directory again.
#  - A→B→C and A→C: changes made on A that C already got from A are not
#    sent again by B.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/repl_lib.sh"

U="cn=Users,$BASE"

cat >"$T_DIR/pull.py" <<'EOF'
# pull.py PORT BINDDN PASSWORD BASE HWM UTDV [INVOCATIONID [PAGESIZE]]:
# pulls as a replication consumer until the supplier says the cycle is
# complete (no waiting); prints per entry "E <dn>" then "M <metadata>" for
# each attributeMetaData value sent, and per page "D <hwm> <more> <inv>
# <utdv>". Exits 1 on any error.
import socket, sys
from ber import tlv, integer, octets, msg

PULL = "1.3.6.1.4.1.6876.40.10.3.1"

def rd(b, i):
    """(tag, content, next index) of the TLV at b[i]."""
    tag, n = b[i], b[i + 1]
    i += 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(b[i:i + k], "big")
        i += k
    return tag, b[i:i + n], i + n

def seq(b):
    """The TLVs of a constructed content, as (tag, content)."""
    out, i = [], 0
    while i < len(b):
        t, c, i = rd(b, i)
        out.append((t, c))
    return out

class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.buf = b""
    def send(self, data):
        self.s.sendall(data)
    def next(self):
        """(msgid, op tag, op content, controls content or None)"""
        while True:
            if len(self.buf) >= 2:
                try:
                    t, c, end = rd(self.buf, 0)
                    if end <= len(self.buf):
                        self.buf = self.buf[end:]
                        parts = seq(c)
                        ctls = parts[2][1] if len(parts) > 2 and parts[2][0] == 0xA0 else None
                        return int.from_bytes(parts[0][1], "big"), parts[1][0], parts[1][1], ctls
                except IndexError:
                    pass
            d = self.s.recv(65536)
            if not d:
                raise EOFError("connection closed")
            self.buf += d

port, dn, pw, base, hwm, utdv = int(sys.argv[1]), *sys.argv[2:7]
inv = sys.argv[7] if len(sys.argv) > 7 else ""
page = int(sys.argv[8]) if len(sys.argv) > 8 else 1000
c = Conn(port)
c.send(msg(1, tlv(0x60, integer(3) + octets(dn) + tlv(0x80, pw.encode()))))
mid, tag, op, _ = c.next()
if tag != 0x61 or seq(op)[0][1] != b"\x00":
    sys.exit("bind failed")
mid = 2
for _ in range(1000):
    val = tlv(0x30, octets(hwm) + octets(utdv) + integer(page) + integer(0) + octets(inv))
    ctl = tlv(0xA0, tlv(0x30, octets(PULL) + tlv(0x01, b"\xff") + octets(val)))
    req = tlv(0x63, octets(base) + tlv(0x0A, b"\x02") + tlv(0x0A, b"\x00") + integer(0)
        + integer(0) + tlv(0x01, b"\x00") + tlv(0x87, b"objectClass")
        + tlv(0x30, octets("*") + octets("+")))
    c.send(tlv(0x30, integer(mid) + req + ctl))
    while True:
        m, tag, op, ctls = c.next()
        if tag == 0x64:
            parts = seq(op)
            print("E", parts[0][1].decode())
            for t, a in seq(parts[1][1]):
                name, vals = seq(a)
                if name[1].decode().lower() == "attributemetadata":
                    for t2, v in seq(vals[1]):
                        print("M", v.decode())
        elif tag == 0x65:
            rc = seq(op)[0][1]
            if rc != b"\x00":
                sys.exit("pull failed: result %d" % rc[0])
            done = None
            for t, ctl in seq(ctls or b""):
                f = seq(ctl)
                if f[0][1].decode() == PULL:
                    done = seq(seq(f[-1][1])[0][1])
            if done is None:
                sys.exit("no pull control in the result")
            hwm, more = done[0][1].decode(), done[1][1] != b"\x00"
            inv = done[2][1].decode()
            print("D", hwm, int(more), inv, done[3][1].decode())
            break
    if not more:
        sys.exit(0)
    mid += 1
sys.exit("more than 1000 pages")
EOF

cat >"$T_DIR/uncovered.py" <<'EOF'
# uncovered.py UTDV < ldif: the DNs (lowercased, sorted) of the entries
# whose attributeMetaData holds a change UTDV does not cover (its
# invocationId missing, or its originating USN above the vector's).
import sys
vec = {}
for p in sys.argv[1].split(","):
    if p:
        k, v = p.rsplit(":", 1)
        vec[k.lower()] = int(v)
out, dn = set(), None
for line in sys.stdin:
    line = line.rstrip("\n")
    if line.startswith("dn: "):
        dn = line[4:].lower()
    elif line.lower().startswith("attributemetadata: "):
        f = line.split(": ", 1)[1].split(":")
        inv, usn = f[3].lower(), int(f[5])
        if vec.get(inv, -1) < usn:
            out.add(dn)
for d in sorted(out):
    print(d)
EOF

# pull NODE HWM UTDV [INV]: a raw pull from NODE as the administrator
pull() {
	_lt python3 "$T_DIR/pull.py" "${NODE_PORT[$1]}" "$ADMIN_DN" "$ADMIN_PW" "$BASE" "$2" "$3" "${4:-}"
}
# complete: a pull's output ends with a complete cycle (else "incomplete")
complete() { grep -q '^D [0-9]* 0 ' || echo "incomplete pull"; }
# pulled_dns: the DNs a pull's output holds, lowercased, sorted (or
# "incomplete pull")
pulled_dns() { local o; o=$(cat); complete <<<"$o"; sed -n 's/^E //p' <<<"$o" | tr 'A-Z' 'a-z' | sort; }
# n_sent: how many entries a pull's output holds (or "incomplete pull")
n_sent() { local o; o=$(cat); complete <<<"$o"; grep -c '^E ' <<<"$o"; }
# vector NODE: NODE's upToDateVector (what its consumers send)
vector() { attr_of "$1" "$(srv_dn "$1")" upToDateVector; }
# vec_invs VEC: the invocationIds of a vector, one a line
vec_invs() { printf '%s\n' "$1" | tr ',' '\n' | sed -n 's/:[0-9]*$//p'; }
# vec_without VEC INV / vec_set VEC INV USN
vec_without() { printf '%s\n' "$1" | tr ',' '\n' | grep -v "^$2:" | grep . | sed 's/$/,/' | tr -d '\n'; }
vec_set() { printf '%s%s:%s,' "$(vec_without "$1" "$2")" "$2" "$3"; }
# uncovered NODE VEC: DNs of NODE's entries with a change VEC lacks
# (searches under the suffix leave cn=Deleted Objects out unless based in
# it; the supplier sends it like any other entry)
DELETED="cn=Deleted Objects,$BASE"
uncovered() {
	{ adm_search "$1" -b "$BASE" '(objectClass=*)' attributeMetaData &&
	    adm_search "$1" -b "$DELETED" '(objectClass=*)' attributeMetaData; } |
	    python3 "$T_DIR/uncovered.py" "$2"
}
# all_dns NODE: every entry, cn=Deleted Objects included (lowercased, sorted)
all_dns() { { dn_list "$1" && dn_list "$1" "$DELETED"; } | sort -u; }
# covers CONSUMER SUPPLIER: CONSUMER's vector covers every change SUPPLIER holds
covers() { [ -n "$(vector "$1")" ] && [ -z "$(uncovered "$2" "$(vector "$1")")" ]; }
log_lines() { wc -l <"$T_DIR/$1/vmdird.log"; }
log_since() { tail -n +"$(($2 + 1))" "$T_DIR/$1/vmdird.log"; }
# applied_from NODE OFFSET SUPPLIER: the entries NODE's log says it
# applied from SUPPLIER after OFFSET (the sum of the "applied N entries"
# lines; a page with none writes no line)
applied_from() {
	log_since "$1" "$2" | sed -n "s|.* replication from $(url "$3"): applied \([0-9]*\) entries.*|\1|p" |
	    awk '{ s += $1 } END { print s + 0 }'
}
hwm_of() { attr_of "$1" "labeledURI=$(url "$2"),cn=Replication Agreements,$(srv_dn "$1")" lastLocalUsnProcessed; }
# usn_on NODE DN: uSNChanged of DN on NODE
usn_on() { attr_of "$1" "$2" uSNChanged; }
# hwm_past CONSUMER SUPPLIER USN: CONSUMER's mark for SUPPLIER is at least USN
hwm_past() { [ "$(hwm_of "$1" "$2")" -ge "$3" ] 2>/dev/null; }
# in_list LIST ITEM: ITEM is one of LIST's lines (case-insensitive)
in_list() { printf '%s\n' "$1" | grep -qixF -- "$2"; }
not() { ! "$@"; }
# log_has NODE OFFSET FIXED-STRING: NODE logged the string after OFFSET
log_has() { log_since "$1" "$2" | grep -qF -- "$3"; }

# --- two nodes
ok "init and start A" repl_init A
ok "join and start B" repl_join B A
ok "writes on A" add_users A ua 4
ok "writes on B" add_users B ub 3
ok "a modify on B of an entry made on A" adm_modify B <<EOF2
dn: cn=ua1,$U
changetype: modify
replace: sn
sn: changed on B
EOF2
ok "a modify on A" adm_modify A <<EOF2
dn: cn=ua2,$U
changetype: modify
replace: sn
sn: changed on A
EOF2
wait_same "A and B identical" A B
wait_ok "B's vector covers every change A holds" covers B A

vB=$(vector B)
invA=$(rootdse_attr A invocationId)
invB=$(rootdse_attr B invocationId)
out=$(pull A 0 "$vB")
ok "a raw pull from A with B's full vector succeeds" test -n "$out"
is "$(printf '%s\n' "$out" | n_sent)" 0 \
    "from USN 0 with B's full vector, A sends no entry"
like "$(printf '%s\n' "$out" | grep '^D ' | tail -1)" "^D [0-9]+ 0 $invA [^ ]*$invA:[0-9]+," \
    "the cycle ends complete, with A's invocationId and vector"

# every invocationId B's vector holds, left out in turn
all=$(all_dns A)
n_all=$(printf '%s\n' "$all" | grep -c .)
nonempty=0
for inv in $(vec_invs "$vB"); do
	v=$(vec_without "$vB" "$inv")
	want=$(uncovered A "$v")
	out=$(pull A 0 "$v")
	got=$(printf '%s\n' "$out" | pulled_dns)
	n=$(printf '%s\n' "$want" | grep -c .)
	[ "$n" -gt 0 ] && nonempty=$((nonempty + 1))
	is "$got" "$want" "without $inv: A sends exactly the $n entries holding its changes"
	is "$(printf '%s\n' "$out" | sed -n 's/^M //p' | awk -F: -v i="$inv" '$4 != i' | head -3)" "" \
	    "without $inv: every change sent is one of $inv's"
done
ok "at least three invocationIds had changes to send ($nonempty)" test "$nonempty" -ge 3
want=$(uncovered A "$(vec_without "$vB" "$invB")")
ok "without B's invocationId: B's adds are among them" in_list "$want" "cn=ub3,$U"
ok "without B's invocationId: B's modify of cn=ua1 is among them" in_list "$want" "cn=ua1,$U"
ok "without B's invocationId: cn=ua2, never touched by B, is not" not in_list "$want" "cn=ua2,$U"
got=$(pull A 0 "$(vec_without "$vB" "$invB")" | sed -n 's/^M //p' | grep -i "^sn:" | awk -F: '{print $4}' | sort -u)
is "$got" "$invB" "without B's invocationId: the sn changes sent are B's only (A's modify of cn=ua2 is covered)"

# A's current invocationId covered only up to one of its changes: that
# change and those below it are covered, those above are sent
usns=$({ adm_search A -b "$BASE" '(objectClass=*)' attributeMetaData &&
    adm_search A -b "$DELETED" '(objectClass=*)' attributeMetaData; } | sed -n 's/^attributeMetaData: //p' |
    awk -F: -v i="$invA" '$4 == i { print $6 }' | sort -n -u)
k=$(printf '%s\n' "$usns" | head -n $((($(printf '%s\n' "$usns" | grep -c .) + 1) / 2)) | tail -1)
ok "A made changes in its current incarnation (cut at USN ${k:-?})" test -n "$k"
v=$(vec_set "$vB" "$invA" "$k")
want=$(uncovered A "$v")
out=$(pull A 0 "$v")
is "$(printf '%s\n' "$out" | pulled_dns)" "$want" \
    "with $invA covered up to USN $k: exactly the $(printf '%s\n' "$want" | grep -c .) entries changed above it"
is "$(printf '%s\n' "$out" | sed -n 's/^M //p' | awk -F: -v i="$invA" -v k="$k" '$4 != i || $6 <= k' | head -3)" "" \
    "with $invA covered up to USN $k: every change sent is $invA's and above $k"
ok "some of A's changes are above USN $k" test -n "$want"

out=$(pull A 0 "")
is "$(printf '%s\n' "$out" | pulled_dns)" "$all" "with an empty vector, A sends every entry ($n_all)"

# --- a restarted supplier is read again from USN 0, filtered by the vector
off=$(log_lines B)
ok "restart A (a new invocationId)" node_stop A
ok "start A" node_start A
invA2=$(rootdse_attr A invocationId)
ok "A has a new invocationId" test "$invA2" != "$invA"
wait_ok "B notices A's new invocationId" \
    log_has B "$off" "replication: $(url A) has a new invocationId $invA2 (was $invA)"
wait_ok "A's server object shows A's new invocationId on B" attr_is B "$(srv_dn A)" invocationId "$invA2"
mark_at_top() { hwm_past B A "$(rootdse_attr A highestCommittedUSN)"; }
wait_ok "B's mark for A reaches A's highest USN" mark_at_top
# B stopped: every line about what it applied is written
ok "stop B" node_stop B
is "$(applied_from B "$off" A)" 1 \
    "after A's restart B applied exactly one entry from A (A's server object), not the directory again"
ok "start B" node_start B
wait_same "A and B identical" A B

# --- three nodes: A→B→C and A→C
ok "join and start C (to A)" repl_join C A
ok "C also pulls from B (written on A: C may still be copying the directory in)" agr_add C B A
wait_same "A, B and C identical" A B C
wait_ok "C has completed a cycle from B" hwm_past C B 1
wait_ok "C's vector covers every change B holds" covers C B
out=$(pull B 0 "$(vector C)")
is "$(printf '%s\n' "$out" | n_sent)" 0 "from USN 0 with C's vector, B sends no entry"

# B frozen: A's changes reach C from A only
kill -STOP "${NODE_PID[B]}"
ok "writes on A while B is frozen" add_users A tri 3
ok "a modify on A while B is frozen" adm_modify A <<EOF2
dn: cn=ua3,$U
changetype: modify
replace: sn
sn: changed on A, B frozen
EOF2
wait_ok "C got A's writes from A" has_dn C "cn=tri3,$U"
wait_ok "C got A's modify from A" attr_is C "cn=ua3,$U" sn "changed on A, B frozen"
wait_ok "C's vector covers every change A holds" covers C A
# C restarted: its waiting request to B (sent before C had A's changes,
# and so rightly answered with them) is gone; every request C makes to B
# from now on carries a vector that covers A's changes
ok "stop C" node_stop C
off=$(log_lines C)
ok "start C" node_start C
kill -CONT "${NODE_PID[B]}"
wait_ok "B got A's writes" has_dn B "cn=tri3,$U"
wait_ok "B got A's modify" attr_is B "cn=ua3,$U" sn "changed on A, B frozen"
top=0
for e in "cn=tri1,$U" "cn=tri2,$U" "cn=tri3,$U" "cn=ua3,$U"; do
	u=$(usn_on B "$e")
	[ "${u:-0}" -gt "$top" ] && top=$u
done
wait_ok "C's mark for B passes A's changes on B (USN $top)" hwm_past C B "$top"
ok "stop C" node_stop C
ok "C connected to B after its restart" log_has C "$off" "replication: connected to $(url B)"
is "$(applied_from C "$off" B)" 0 "B sent C none of A's changes C already had from A"
ok "start C" node_start C
wait_same "final: A, B and C identical" A B C
wait_ok "final: C's vector covers every change B holds" covers C B
out=$(pull B 0 "$(vector C)")
is "$(printf '%s\n' "$out" | n_sent)" 0 "final: from USN 0 with C's vector, B sends no entry"

[ "$T_FAILED" -eq 0 ] || repl_show_logs A B C
done_testing
