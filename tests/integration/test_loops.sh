#!/bin/bash
# test_loops.sh: reads answered on the event loop that read them
# (loop_reads) and connections spread over several loops (loops):
#  - exact counts through cn=monitor: base searches and compares run on
#    the loop (vmwMonitorLoopReads), a search over more than 64 candidates
#    goes on on a worker (vmwMonitorLoopHandoffs) and still returns every
#    entry; with loop_reads=no neither counter moves and the answers are
#    the same;
#  - many connections at once on three loops, each answered;
#  - on a single loop, a client that never reads a large answer does not
#    hold up another client of the same loop (its search goes on on a
#    worker and parks; the other's base search is answered);
#  - the same counters in /metrics;
#  - a clean SIGTERM with connections still open on every loop.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/repl_lib.sh"

helpers=()
trap 'kill "${helpers[@]}" 2>/dev/null; t_cleanup' EXIT

mon() { "$top_builddir/vdcadmintool" --monitor --json -H "$(url "$1")" -w "$ADMIN_PW"; }
mon_get() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }
P="ou=Loops,$BASE"
NENT=100

# load NODE: an organizational unit with NENT people
load() {
	{
		printf 'dn: %s\nobjectClass: organizationalUnit\nou: Loops\n\n' "$P"
		for i in $(seq 1 $NENT); do
			printf 'dn: cn=loop%d,%s\nobjectClass: person\ncn: loop%d\nsn: Loop\n\n' "$i" "$P" "$i"
		done
	} | adm_add "$1" >/dev/null
}

# sequence NODE TAG: between two cn=monitor reads, 5 base searches, one
# compare, and one subtree search of the whole unit (NENT + 1 entries)
sequence() {
	local n=$1 tag=$2
	mon "$n" >"$T_DIR/$tag.0.json"
	for i in 1 2 3 4 5; do adm_search "$n" -b "cn=loop$i,$P" -s base 1.1 >/dev/null; done
	ldapcompare -x -H "$(url "$n")" -D "$ADMIN_DN" -w "$ADMIN_PW" "cn=loop7,$P" sn:Loop >/dev/null
	adm_search "$n" -b "$P" -s sub '(objectClass=*)' cn >"$T_DIR/$tag.sub.ldif"
	mon "$n" >"$T_DIR/$tag.1.json"
}
d() { echo $(( $(mon_get "$T_DIR/$1.1.json" "$2") - $(mon_get "$T_DIR/$1.0.json" "$2") )); }

# --- loop reads on, three loops ----------------------------------------------
ok "init A" node_init A
ok "start A with loops=3" node_start A -o loops=3
ok "load $NENT entries on A" load A
sequence A on
# the second monitor read is a loop read too (it counts itself)
is "$(d on 'j["loopReads"]')" 8 "loop reads: 5 base searches + 1 compare + 1 subtree + the second read"
is "$(d on 'j["loopHandoffs"]')" 1 "one handoff: the subtree search of $((NENT + 1)) candidates"
is "$(grep -c '^dn: ' "$T_DIR/on.sub.ldif")" $((NENT + 1)) "the handed-over search returned every entry"
is "$(d on 'j["operations"]["search"]')" 7 "searches counted: 5 + 1 + the second read"
# /metrics (parsed by prometheus_client) reads the same counters; no LDAP
# request comes between the monitor read and it
mon A >"$T_DIR/on.2.json"
metric() {
	curl -s "$(hurl A)/metrics" | /usr/bin/python3 -c '
import sys
from prometheus_client.parser import text_string_to_metric_families
for fam in text_string_to_metric_families(sys.stdin.read()):
    for s in fam.samples:
        if s.name == sys.argv[1]:
            print(int(s.value))' "$1"
}
is "$(metric trellis_ldap_loop_reads_total)" "$(mon_get "$T_DIR/on.2.json" 'j["loopReads"]')" \
    "/metrics trellis_ldap_loop_reads_total equals cn=monitor's"
is "$(metric trellis_ldap_loop_handoffs_total)" "$(mon_get "$T_DIR/on.2.json" 'j["loopHandoffs"]')" \
    "/metrics trellis_ldap_loop_handoffs_total equals cn=monitor's"

# many connections at once, spread over the loops
cat >"$T_DIR/many.py" <<'EOF'
import sys, threading, ldap
uri, dn, pw, base, n = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
conns = []
for k in range(n):
    c = ldap.initialize(uri)
    c.simple_bind_s(dn, pw)
    conns.append(c)
ok = [0] * n
def run(k):
    for i in range(20):
        r = conns[k].search_s("cn=loop%d,%s" % (1 + (k * 20 + i) % 100, base), ldap.SCOPE_BASE, "(objectClass=*)", ["cn"])
        if len(r) == 1:
            ok[k] += 1
ts = [threading.Thread(target=run, args=(k,)) for k in range(n)]
for t in ts: t.start()
for t in ts: t.join()
print(sum(ok))
EOF
is "$(/usr/bin/python3 "$T_DIR/many.py" "$(url A)" "$ADMIN_DN" "$ADMIN_PW" "$P" 12 2>&1)" 240 \
    "12 connections at once, 20 base searches each: every one answered"
ok "A stops cleanly with connections open on its loops" node_stop A

# --- loop reads off: the same answers, no loop counts --------------------------
ok "start A with loop_reads=no" node_start A -o loop_reads=no
sequence A off
is "$(d off 'j["loopReads"]')" 0 "loop_reads=no: no loop reads"
is "$(d off 'j["loopHandoffs"]')" 0 "loop_reads=no: no handoffs"
ok "loop_reads=no: the subtree answer is the same" cmp "$T_DIR/on.sub.ldif" "$T_DIR/off.sub.ldif"
ok "stop A" node_stop A

# --- one loop: a client that never reads does not stall the loop --------------
LOG_LEVEL=debug ok "start A with loops=1" node_start A -o loops=1 -o write_timeout=30
{
	for i in $(seq 1 $NENT); do
		printf 'dn: cn=loop%d,%s\nchangetype: modify\nreplace: description\ndescription: %0100000d\n\n' "$i" "$P" 0
	done
} >"$T_DIR/big.ldif"
ok "pad every entry to 100 kB (10 MB for the whole unit)" adm_modify A -f "$T_DIR/big.ldif"
cat >"$T_DIR/stall.py" <<'EOF'
import socket, sys, time
from ber import tlv, integer, octets, msg
port, dn, pw, base = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", port))
bind = msg(1, tlv(0x60, integer(3) + octets(dn) + tlv(0x80, pw.encode())))
srch = msg(2, tlv(0x63, octets(base) + tlv(0x0A, b"\x02") + tlv(0x0A, b"\x00")
    + integer(0) + integer(0) + tlv(0x01, b"\x00") + tlv(0x87, b"objectClass") + tlv(0x30, b"")))
s.sendall(bind + srch)
print("sent", flush=True)
time.sleep(600)	# never reads
EOF
PYTHONPATH="$(dirname "$0")" /usr/bin/python3 "$T_DIR/stall.py" "${NODE_PORT[A]}" "$ADMIN_DN" "$ADMIN_PW" "$P" \
    >"$T_DIR/stall.out" 2>&1 &
helpers+=($!)
ok "the stalled client sent its whole-unit search" wait_until grep -q '^sent' "$T_DIR/stall.out"
ok "the stalled search parked (its output is over the bound)" \
    wait_until grep -q 'parked until the client reads' "$T_DIR/A/vmdird.log"
is "$(timeout 20 ldapsearch -x -LLL -H "$(url A)" -D "$ADMIN_DN" -w "$ADMIN_PW" -b "cn=loop3,$P" -s base cn | sed -n 's/^cn: //p')" \
    loop3 "another client of the same loop is answered meanwhile"
kill "${helpers[@]}" 2>/dev/null
ok "A stops cleanly" node_stop A

done_testing
