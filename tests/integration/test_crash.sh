#!/usr/bin/env bash
# test_crash.sh: crash safety. Writers add entries and record each DN only
# once the server has acknowledged it; the server is killed with SIGKILL in
# the middle of the load, restarted on the same data directory, and must
# still hold every acknowledged entry, whole (no half-applied entry), with
# its indexes agreeing with a full scan. Three kill/restart cycles.
set -u
. "$(dirname "$0")/lib.sh"

U="cn=Users,$BASE"
P="cn=Crash,$U"

ok "init node c" node_init c
ok "start node c" node_start c
ok "parent container" sh -c 'printf "dn: %s\nobjectClass: container\ncn: Crash\n" "$1" |
    ldapadd -x -H "$2" -D "$3" -w "$4"' _ "$P" "$(url c)" "$ADMIN_DN" "$ADMIN_PW"

# The loader: W connections (threads), each binding as the administrator
# and adding entries one at a time. A DN goes to the acked file (flushed)
# only after its AddResponse said success; the attempted file gets it
# before the request is sent. Stops at the first error (the kill).
cat >"$T_DIR/load.py" <<'EOF'
import socket, sys, threading

from ber import ln, tlv, integer, octets, msg

def attrs_for(name):
    # Every attribute derives from the name: the checker recomputes them.
    return [("objectClass", ["inetOrgPerson"]), ("cn", [name]), ("sn", ["sn-" + name]),
            ("description", ["crash entry", "d-" + name]),
            ("mail", [name + "@vsphere.local"]), ("employeeNumber", [name[::-1]])]

def add(mid, dn, attrs):
    al = b"".join(tlv(0x30, octets(a) + tlv(0x31, b"".join(octets(v) for v in vs)))
        for a, vs in attrs)
    return msg(mid, tlv(0x68, octets(dn) + tlv(0x30, al)))

def read_msg(s):
    def rd(n):
        b = b""
        while len(b) < n:
            c = s.recv(n - len(b))
            if not c:
                raise EOFError
            b += c
        return b
    h = rd(2)
    n = h[1]
    if n & 0x80:
        n = int.from_bytes(rd(n & 0x7F), "big")
    m = rd(n)
    i = 2 + m[1]
    tag = m[i]
    j = i + 2 if m[i + 1] < 0x80 else i + 2 + (m[i + 1] & 0x7F)
    return int.from_bytes(m[2:2 + m[1]], "big"), tag, m[j + 2]

port, parent, admin, pw, cycle, workers, acked, attempted = sys.argv[1:9]
port, workers = int(port), int(workers)
acked_f = open(acked, "a", buffering=1)
att_f = open(attempted, "a", buffering=1)
lock = threading.Lock()

def worker(w):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        s.sendall(msg(1, tlv(0x60, integer(3) + octets(admin) + tlv(0x80, pw.encode()))))
        mid, tag, rc = read_msg(s)
        if rc != 0:
            print("bind failed", rc, flush=True)
            return
        n = 0
        while True:
            n += 1
            name = "crash-%s-%d-%d" % (cycle, w, n)
            dn = "cn=%s,%s" % (name, parent)
            with lock:
                att_f.write(dn + "\n")
            s.sendall(add(n + 1, dn, attrs_for(name)))
            mid, tag, rc = read_msg(s)
            if mid != n + 1 or tag != 0x69 or rc != 0:
                print("worker %d: unexpected response id=%d tag=0x%x rc=%d" % (w, mid, tag, rc), flush=True)
                return
            with lock:
                acked_f.write(dn + "\n")
    except (OSError, EOFError):
        return

ts = [threading.Thread(target=worker, args=(w,)) for w in range(workers)]
for t in ts: t.start()
for t in ts: t.join()
EOF

# Checks the directory against everything acknowledged so far.
cat >"$T_DIR/check.py" <<'EOF'
import sys
dump, acked_file, attempted_file, eq_file = sys.argv[1:5]

def attrs_for(name):
    return {"objectclass": {"inetOrgPerson"}, "cn": {name}, "sn": {"sn-" + name},
            "description": {"crash entry", "d-" + name},
            "mail": {name + "@vsphere.local"}, "employeenumber": {name[::-1]}}

def parse(path):
    entries, cur = {}, None
    for line in open(path):
        line = line.rstrip("\n")
        if line.startswith("dn: "):
            cur = line[4:].lower()
            entries[cur] = {}
        elif cur and ": " in line:
            a, v = line.split(": ", 1)
            entries[cur].setdefault(a.lower(), set()).add(v)
    return entries

scan = parse(dump)
scan = {dn: e for dn, e in scan.items() if dn.startswith("cn=crash-")}
acked = {l.strip().lower() for l in open(acked_file) if l.strip()}
attempted = {l.strip().lower() for l in open(attempted_file) if l.strip()}
eq = {l[4:].strip().lower() for l in open(eq_file) if l.startswith("dn: ")}
eq = {dn for dn in eq if dn.startswith("cn=crash-")}
problems = []
missing = sorted(acked - set(scan))
if missing:
    problems.append("%d acknowledged entries missing, e.g. %s" % (len(missing), missing[:3]))
extra = sorted(set(scan) - attempted)
if extra:
    problems.append("%d entries never attempted, e.g. %s" % (len(extra), extra[:3]))
half = []
for dn, e in scan.items():
    name = e.get("cn", {"?"})
    want = attrs_for(sorted(name)[0])
    got = {a: v for a, v in e.items() if a in want}
    # The server may add the superclasses (top, person, ...) itself.
    if "inetOrgPerson".lower() in {v.lower() for v in got.get("objectclass", ())}:
        got["objectclass"] = {"inetOrgPerson"}
    if got != want:
        half.append("%s: %s" % (dn, got))
if half:
    problems.append("%d entries not whole, e.g. %s" % (len(half), half[:2]))
if eq != set(scan):
    problems.append("index (cn=...) and subtree scan disagree: only in index %s, only in scan %s"
        % (sorted(eq - set(scan))[:3], sorted(set(scan) - eq)[:3]))
print("present=%d acked=%d attempted=%d in-flight-present=%d" % (len(scan), len(acked),
    len(attempted), len(set(scan) - acked)))
for p in problems:
    print("PROBLEM " + p)
EOF

ACKED=$T_DIR/acked
ATTEMPTED=$T_DIR/attempted
: >"$ACKED"
: >"$ATTEMPTED"

# check_dir LABEL: the consistency checks after a restart.
check_dir() {
	local label=$1
	# Full scan: a subtree search with a filter on an unindexed attribute.
	adm_search c -b "$P" -s one '(description=crash entry)' '*' >"$T_DIR/scan.ldif" 2>&1
	ok "$label: subtree scan succeeds" test $? -eq 0
	# Index: one equality search on cn per name (acked or found), one connection.
	{ sed -n 's/^cn=\(crash-[^,]*\),.*/\1/p' "$ATTEMPTED"; } | sort -u >"$T_DIR/names"
	adm_search c -b "$P" -s one -f "$T_DIR/names" '(cn=%s)' 1.1 >"$T_DIR/eq.ldif" 2>&1
	out=$(python3 "$T_DIR/check.py" "$T_DIR/scan.ldif" "$ACKED" "$ATTEMPTED" "$T_DIR/eq.ldif" 2>&1)
	echo "# $label: $(printf '%s\n' "$out" | head -1)"
	problems=$(printf '%s\n' "$out" | grep -v '^present=' || true)
	is "${problems:-none}" none "$label: every acknowledged entry present, whole, and the cn index agrees"
	n=$(adm_search c -b "$P" -s one '(objectClass=inetOrgPerson)' 1.1 | grep -c '^dn:')
	scan_n=$(grep -c '^dn: ' "$T_DIR/scan.ldif")
	is "$n" "$scan_n" "$label: objectClass index count equals the scan count"
	# Exactly the acknowledged entries, plus those whose add was in
	# flight at a kill and committed before it (at most one per writer).
	sed -n 's/^dn: //p' "$T_DIR/scan.ldif" | tr 'A-Z' 'a-z' | sort -u >"$T_DIR/present"
	tr 'A-Z' 'a-z' <"$ACKED" | sort -u >"$T_DIR/acked.s"
	tr 'A-Z' 'a-z' <"$ATTEMPTED" | sort -u >"$T_DIR/attempted.s"
	n_acked=$(wc -l <"$T_DIR/acked.s")
	in_flight=$(comm -23 "$T_DIR/attempted.s" "$T_DIR/acked.s" | comm -12 - "$T_DIR/present" | wc -l)
	is "$scan_n" "$((n_acked + in_flight))" \
	    "$label: the scan holds exactly the $n_acked acknowledged entries and $in_flight in-flight ones"
	ok "$label: at most one in-flight entry per writer per kill ($in_flight <= $((4 * cycle)))" \
	    test "$in_flight" -le "$((4 * cycle))"
}

cycle=0 sum=0
for target in 300 120 450; do
	cycle=$((cycle + 1))
	base_acks=$(wc -l <"$ACKED")
	python3 "$T_DIR/load.py" "${NODE_PORT[c]}" "$P" "$ADMIN_DN" "$ADMIN_PW" "$cycle" 4 \
	    "$ACKED" "$ATTEMPTED" >"$T_DIR/load$cycle.out" 2>&1 &
	loader=$!
	got=0
	# no deadline that a slow machine could miss: until the loader stops
	for i in $(seq 1 6000); do
		got=$(( $(wc -l <"$ACKED") - base_acks ))
		[ "$got" -ge "$target" ] && break
		kill -0 "$loader" 2>/dev/null || break
		sleep 0.05
	done
	ok "cycle $cycle: $got entries acknowledged before the kill (target $target)" \
	    test "$got" -ge "$target"
	ok "cycle $cycle: server running under load" kill -0 "${NODE_PID[c]}"
	ok "cycle $cycle: loader still busy (the kill lands mid-load)" kill -0 "$loader"
	node_kill c
	wait "$loader"
	loadout=$(grep -v '^$' "$T_DIR/load$cycle.out" || true)
	is "${loadout:-none}" none "cycle $cycle: the loader saw no error other than the kill"
	acks=$(( $(wc -l <"$ACKED") - base_acks ))
	sum=$((sum + acks))
	echo "# cycle $cycle: $acks acked, $(wc -l <"$ATTEMPTED") attempted in all"
	is "$(grep -c "^cn=crash-$cycle-" "$ACKED")" "$acks" \
	    "cycle $cycle: all $acks acknowledgements are this cycle's entries"
	logstart=$(wc -l <"$T_DIR/c/vmdird.log")
	ok "cycle $cycle: restart after SIGKILL on the same data directory" node_start c
	sleep 0.2
	recov=$(tail -n +"$((logstart + 1))" "$T_DIR/c/vmdird.log" |
	    grep -Ei '\[(error|fatal|crit)|panic|fatal|run database recovery|DB_RUNRECOVERY|corrupt' || true)
	is "${recov:-none}" none "cycle $cycle: recovery logged nothing fatal"
	check_dir "cycle $cycle"
done

# A clean stop after all that, then a last restart: still consistent.
ok "clean stop" node_stop c
ok "clean restart" node_start c
check_dir "after clean restart"
total=$(wc -l <"$ACKED")
is "$total" "$sum" "$total acknowledged entries in all: the sum of the cycles' counts"
is "$(sort -u "$ACKED" | wc -l)" "$total" "no entry acknowledged twice"
ok "final stop" node_stop c
done_testing
