#!/usr/bin/env bash
# test_concurrency.sh: many clients at once. Concurrent readers and
# writers with an exact final count; 100 pipelined searches on one
# connection; a big streaming search read slowly while another client's
# small searches are answered; the idle timeout; and the per-connection
# pending limit (busy) under a pipelined burst.
set -u
. "$(dirname "$0")/lib.sh"

P="cn=Load,cn=Users,$BASE"
W="cn=Writers,cn=Users,$BASE"
NBIG=5000

ok "init node k" node_init k
ok "start node k" node_start k

# inetOrgPerson entries under cn=Users before the load (the Administrator
# may be one).
n0=$(adm_search k -b "cn=Users,$BASE" -s sub '(objectClass=inetOrgPerson)' 1.1 | grep -c '^dn:')

# --- 5000 entries in one ldapadd ------------------------------------------------
{
	printf 'dn: %s\nobjectClass: container\ncn: Load\n\n' "$P"
	printf 'dn: %s\nobjectClass: container\ncn: Writers\n\n' "$W"
	for i in $(seq 1 $NBIG); do
		printf 'dn: cn=load%d,%s\nobjectClass: inetOrgPerson\ncn: load%d\nsn: Load\ndescription: bulk entry number %d with some padding to make it longer\n\n' \
		    "$i" "$P" "$i" "$i"
	done
} >"$T_DIR/bulk.ldif"
ok "bulk load of $NBIG entries with one ldapadd" adm_add k -f "$T_DIR/bulk.ldif"
n=$(adm_search k -b "$P" -s one '(objectClass=inetOrgPerson)' 1.1 | grep -c '^dn:')
is "$n" "$NBIG" "all $NBIG bulk entries present"

# --- 50 readers and 10 writers at once -------------------------------------------
mkdir -p "$T_DIR/par"
for w in $(seq 1 10); do
	for i in $(seq 1 20); do
		printf 'dn: cn=w%d-%d,%s\nobjectClass: inetOrgPerson\ncn: w%d-%d\nsn: Writer %d\n\n' \
		    "$w" "$i" "$W" "$w" "$i" "$w"
	done >"$T_DIR/par/w$w.ldif"
done
pids=()
for r in $(seq 1 50); do
	( adm_search k -b "$P" -s one "(cn=load$((r * 97 % NBIG + 1)))" cn >"$T_DIR/par/r$r.out" 2>&1
	  echo $? >"$T_DIR/par/r$r.rc" ) &
	pids+=($!)
done
for w in $(seq 1 10); do
	( adm_add k -f "$T_DIR/par/w$w.ldif" >"$T_DIR/par/w$w.out" 2>&1
	  echo $? >"$T_DIR/par/w$w.rc" ) &
	pids+=($!)
done
wait "${pids[@]}"
bad=""
for r in $(seq 1 50); do
	[ "$(cat "$T_DIR/par/r$r.rc")" = 0 ] && grep -q "^cn: load$((r * 97 % NBIG + 1))\$" "$T_DIR/par/r$r.out" ||
	    bad="$bad r$r:$(cat "$T_DIR/par/r$r.rc")"
done
is "${bad:-none}" none "50 concurrent searches all succeed with the right entry"
bad=""
for w in $(seq 1 10); do
	[ "$(cat "$T_DIR/par/w$w.rc")" = 0 ] || bad="$bad w$w:$(cat "$T_DIR/par/w$w.rc")"
done
is "${bad:-none}" none "10 concurrent writers (20 adds each) all succeed"
n=$(adm_search k -b "$W" -s one '(objectClass=inetOrgPerson)' 1.1 | grep -c '^dn:')
is "$n" 200 "exactly 200 writer entries afterwards"
n=$(adm_search k -b "$W" -s one '(sn=Writer 7)' 1.1 | grep -c '^dn:')
is "$n" 20 "writer 7's 20 entries all there"
n=$(adm_search k -b "cn=Users,$BASE" -s sub '(objectClass=inetOrgPerson)' 1.1 | grep -c '^dn:')
is "$n" $((n0 + NBIG + 200)) "subtree count exact: $n0 + $NBIG + 200"

# --- raw client --------------------------------------------------------------------
cat >"$T_DIR/cc.py" <<'EOF'
import socket, sys, threading, time

from ber import ln, tlv, integer, octets, msg

def bind(mid, dn, pw):
    return msg(mid, tlv(0x60, integer(3) + octets(dn) + tlv(0x80, pw.encode())))

def search(mid, base, scope, filt, attrs=("cn",)):
    return msg(mid, tlv(0x63, octets(base) + tlv(0x0A, bytes([scope])) + tlv(0x0A, b"\x00")
        + integer(0) + integer(0) + tlv(0x01, b"\x00") + filt
        + tlv(0x30, b"".join(octets(a) for a in attrs))))

def eq(a, v):
    return tlv(0xA3, octets(a) + octets(v))

class Reader:
    """LDAPMessages from a socket: (msgid, optag, resultcode, raw)."""
    def __init__(self, s, chunk=65536):
        self.s, self.buf, self.chunk = s, b"", chunk
    def more(self):
        c = self.s.recv(self.chunk)
        if not c:
            raise EOFError
        self.buf += c
    def next(self):
        while True:
            b = self.buf
            if len(b) >= 2:
                if b[1] & 0x80:
                    k = b[1] & 0x7F
                    if len(b) >= 2 + k:
                        n, h = int.from_bytes(b[2:2 + k], "big"), 2 + k
                    else:
                        n = None
                else:
                    n, h = b[1], 2
                if n is not None and len(b) >= h + n:
                    m, self.buf = b[h:h + n], b[h + n:]
                    mid = int.from_bytes(m[2:2 + m[1]], "big")
                    i = 2 + m[1]
                    tag = m[i]
                    j = i + 2 if m[i + 1] < 0x80 else i + 2 + (m[i + 1] & 0x7F)
                    rc = m[j + 2] if tag != 0x64 and m[j] == 0x0A else None
                    return mid, tag, rc, m
            self.more()

def connect(port, rcvbuf=None):
    s = socket.socket()
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(120)
    s.connect(("127.0.0.1", port))
    return s

mode, port, admin, pw, base = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]

if mode in ("pipeline", "pipeline-after-bind"):
    # 100 searches written at once, no waiting; "pipeline" writes the bind
    # in the same burst, "pipeline-after-bind" waits for the BindResponse.
    s = connect(port)
    r = Reader(s)
    entries, done, bindrc = {}, {}, None
    req = bind(1, admin, pw)
    if mode == "pipeline-after-bind":
        s.sendall(req)
        bindrc = r.next()[2]
        req = b""
    for k in range(100):
        req += search(2 + k, base, 1, eq("cn", "load%d" % (k * 37 % 5000 + 1)))
    s.sendall(req)
    order = []
    while len(done) < 100 or bindrc is None:
        mid, tag, rc, m = r.next()
        order.append(mid)
        if tag == 0x61:
            bindrc = rc
        elif tag == 0x64:
            entries[mid] = entries.get(mid, 0) + 1
        elif tag == 0x65:
            if mid in done:
                print("duplicate done", mid)
            done[mid] = rc
        else:
            print("unexpected tag 0x%x id %d" % (tag, mid))
            break
    print("bind", bindrc, "answered-first", order[0] == 1 or mode != "pipeline")
    print("codes", sorted(set(done.values())))
    print("done", len(done), "ids-ok", sorted(done) == list(range(2, 102)),
          "all-success", all(v == 0 for v in done.values()),
          "one-entry-each", all(entries.get(k) == 1 for k in range(2, 102)))

elif mode == "slowbig":
    # A big subtree search read slowly through a small receive buffer, so
    # the server has to hold it (backpressure); meanwhile another
    # connection runs 20 small searches, which must all be answered while
    # the big one is still incomplete.
    big = connect(port, rcvbuf=4096)
    r = Reader(big, chunk=1024)
    big.sendall(bind(1, admin, pw))
    assert r.next()[2] == 0
    big.sendall(search(2, base, 2, tlv(0x87, b"objectClass"), ("cn", "description")))
    state = {"entries": 0, "done": None, "fast": False}
    first = threading.Event()
    def slow():
        while True:
            mid, tag, rc, m = r.next()
            if tag == 0x64:
                state["entries"] += 1
                first.set()
            elif tag == 0x65:
                state["done"] = rc
                first.set()
                return
            if not state["fast"]:
                time.sleep(0.005)
    t = threading.Thread(target=slow)
    t.start()
    first.wait(60)
    small = connect(port)
    rs = Reader(small)
    small.sendall(bind(1, admin, pw))
    rs.next()
    answered = 0
    for k in range(20):
        small.sendall(search(10 + k, base, 2, eq("cn", "load%d" % (k * 211 % 5000 + 1))))
        n = 0
        while True:
            mid, tag, rc, m = rs.next()
            if tag == 0x64:
                n += 1
            elif tag == 0x65:
                if rc == 0 and n == 1 and mid == 10 + k:
                    answered += 1
                break
    big_running = state["done"] is None
    seen = state["entries"]
    state["fast"] = True
    t.join(120)
    print("small answered", answered)
    print("big still running after the small ones", big_running, "entries so far", seen)
    print("big done rc", state["done"], "entries", state["entries"])

elif mode == "idle":
    # connect, bind, then say nothing
    s = connect(port)
    r = Reader(s)
    s.sendall(bind(1, admin, pw))
    print("bind", r.next()[2])
    # an active connection next to it: a search every 0.5 s
    a = connect(port)
    ra = Reader(a)
    a.sendall(bind(1, admin, pw))
    ra.next()
    active_ok = 0
    t0 = time.time()
    k = 0
    while time.time() - t0 < 4:
        k += 1
        a.sendall(search(1 + k, "", 0, tlv(0x87, b"objectClass")))
        while True:
            mid, tag, rc, m = ra.next()
            if tag == 0x65:
                active_ok += rc == 0
                break
        time.sleep(0.5)
    print("active searches", active_ok, "of", k)
    got = []
    try:
        while True:
            mid, tag, rc, m = r.next()
            got.append((mid, tag, rc, b"1.3.6.1.4.1.1466.20036" in m))
    except EOFError:
        got.append("eof")
    except ConnectionResetError:
        got.append("reset")
    print("idle got", got)

elif mode == "busy":
    # bind, then a burst of 50 slow searches (unindexed, no match) in one write
    s = connect(port)
    r = Reader(s)
    s.sendall(bind(1, admin, pw))
    r.next()
    req = b"".join(search(2 + k, base, 2, eq("description", "no such value %d" % k)) for k in range(50))
    s.sendall(req)
    done = {}
    while len(done) < 50:
        mid, tag, rc, m = r.next()
        if tag == 0x65:
            done[mid] = rc
    codes = sorted(set(done.values()))
    print("answered", len(done), "ids-ok", sorted(done) == list(range(2, 52)))
    print("busy", sum(1 for v in done.values() if v == 51),
          "success", sum(1 for v in done.values() if v == 0),
          "other", sum(1 for v in done.values() if v not in (0, 51)))
    # and the same connection still works afterwards
    s.sendall(search(100, "", 0, tlv(0x87, b"objectClass")))
    while True:
        mid, tag, rc, m = r.next()
        if tag == 0x65:
            print("after", mid, rc)
            break
EOF
cc() { timeout 300 python3 "$T_DIR/cc.py" "$1" "${NODE_PORT[k]}" "$ADMIN_DN" "$ADMIN_PW" "$2" 2>&1; }

# --- pipelining ----------------------------------------------------------------------
out=$(cc pipeline-after-bind "$P")
like "$out" "^bind 0 " "pipelined after bind: bind succeeds"
like "$out" "^done 100 ids-ok True" "pipelined after bind: 100 SearchResultDone with message IDs 2..101, each once"
like "$out" "all-success True" "pipelined after bind: all 100 succeed"
like "$out" "one-entry-each True" "pipelined after bind: each got exactly its one entry, under its own message ID"
# The bind in the same burst as the searches (the client does not wait for
# the BindResponse). RFC 4511 4.2.1: the server SHOULD NOT process requests
# received while processing a bind; so the searches run after it, as the
# administrator.
out=$(cc pipeline "$P")
like "$out" "^bind 0 answered-first True\$" "pipelined with the bind: the BindResponse comes before any search result"
like "$out" "^done 100 ids-ok True" "pipelined with the bind: 100 SearchResultDone with message IDs 2..101, each once"
like "$out" "all-success True" "pipelined with the bind: all 100 succeed as the bound administrator"
like "$out" "one-entry-each True" "pipelined with the bind: each got exactly its one entry"
ok "alive after pipelining" ldapsearch -x -H "$(url k)" -b "" -s base

# --- a big search read slowly, small ones answered meanwhile ----------------------
# Two worker threads only: the slow client's search holds one of them.
node_stop k
ok "node k restarted with -o threads=2" node_start k -o threads=2
nall=$(adm_search k -b "cn=Users,$BASE" -s sub '(objectClass=*)' 1.1 | grep -c '^dn:')
out=$(cc slowbig "cn=Users,$BASE")
like "$out" "^small answered 20\$" "20 small searches from another client all answered"
like "$out" "^big still running after the small ones True" "... while the big search was still streaming"
like "$out" "^big done rc 0 entries $nall\$" "the slow big search completes with every entry ($nall)"
ok "alive after the slow reader" ldapsearch -x -H "$(url k)" -b "" -s base

# --- idle timeout ---------------------------------------------------------------------
node_stop k
ok "node k restarted with -o idle_timeout=2" node_start k -o idle_timeout=2
out=$(cc idle "$P")
like "$out" "^bind 0\$" "idle: bind answered"
like "$out" "^active searches ([0-9]+) of \\1\$" "idle: a connection in use next to it keeps being served"
like "$out" "^idle got \\[(\\(0, 120, 52, True\\), )?'eof'\\]\$" "idle: the silent connection gets a notice of disconnection (unavailable) and/or EOF"
like "$out" "^idle got \\[\\(0, 120, 52, True\\), 'eof'\\]\$" "idle: specifically the notice of disconnection, then EOF"
out=$(ldapsearch -x -LLL -H "$(url k)" -D "$ADMIN_DN" -w "$ADMIN_PW" -b "$P" -s base cn 2>&1)
like "$out" "^cn: Load\$" "idle: new connections still served"

# --- busy: per-connection pending limit --------------------------------------------
node_stop k
# Every request goes to the worker queue here (loop_reads=no): the burst is
# then dispatched far faster than any of its searches completes, so the
# first four are the ones admitted. With reads on the loop, each search
# does its first 64 candidates on the loop before going on on a worker,
# workers finish some while the burst is still being read, and more than
# four can succeed without more than four ever pending at once.
ok "node k restarted with -o conn_max_pending=4" node_start k -o conn_max_pending=4 -o loop_reads=no
# A second client running searches during the burst.
( for i in $(seq 1 10); do
	adm_search k -b "$P" -s one "(cn=load$i)" cn >/dev/null 2>&1 || echo "fail $i"
  done >"$T_DIR/other.out" ) &
other=$!
out=$(cc busy "cn=Users,$BASE")
wait "$other"
like "$out" "^answered 50 ids-ok True\$" "busy: all 50 pipelined requests answered, each once"
busy=$(printf '%s\n' "$out" | sed -n 's/^busy \([0-9]*\) .*/\1/p')
like "${busy:-0}" "^[1-9][0-9]*$" "busy: at least one busy (51) with conn_max_pending=4 (got ${busy:-0})"
like "$out" "^busy [0-9]+ success [0-9]+ other 0\$" "busy: the others succeed (no code but 0 and 51)"
succ=$(printf '%s\n' "$out" | sed -n 's/.* success \([0-9]*\) .*/\1/p')
# (up to 4; the bind may still count as pending for an instant after its
# response was sent, so not necessarily all 4)
like "${succ:-0}" "^[1-4]$" "busy: between 1 and conn_max_pending (4) of them succeed (got ${succ:-0})"
like "$out" "^after 100 0\$" "busy: the connection works normally afterwards"
is "$(cat "$T_DIR/other.out")" "" "busy: another client's 10 searches during the burst all succeed"
n=$(adm_search k -b "cn=Users,$BASE" -s sub '(objectClass=inetOrgPerson)' 1.1 | grep -c '^dn:')
is "$n" $((n0 + NBIG + 200)) "count still exact at the end"
ok "node k still running" kill -0 "${NODE_PID[k]}"
ok "node k stops cleanly" node_stop k
done_testing
