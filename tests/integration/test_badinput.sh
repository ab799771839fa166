#!/usr/bin/env bash
# test_badinput.sh: bad input of every kind, from raw bytes to well-formed
# requests the directory must refuse. Each gets the answer RFC 4511 asks
# for, the server keeps running, and the directory (as the administrator
# sees it) is byte-for-byte what it was before the first bad input.
set -u
. "$(dirname "$0")/lib.sh"

ok "init node b" node_init b
ok "start node b with max_pdu=65536" node_start b -o max_pdu=65536
PORT=${NODE_PORT[b]}
U="cn=Users,$BASE"

# Some data of our own to be protected, beside what --init created.
seed_ldif() {
	local i
	printf 'dn: cn=Bad Input Tests,%s\nobjectClass: container\ncn: Bad Input Tests\ndescription: parent\n\n' "$U"
	for i in 1 2 3; do
		printf 'dn: cn=kept%d,cn=Bad Input Tests,%s\nobjectClass: inetOrgPerson\ncn: kept%d\nsn: Kept\nmail: kept%d@vsphere.local\ndescription: must survive\n\n' \
		    "$i" "$U" "$i" "$i"
	done
}
seed_ldif >"$T_DIR/seed.ldif"
ok "seed entries" adm_add b -f "$T_DIR/seed.ldif"

# The whole directory with operational attributes, root DSE excluded
# (its highestCommittedUSN moves with every write), and so is this node's
# own server object, which a restart legitimately updates (invocationId).
SELF="cn=b,cn=Servers,cn=Default-First-Site,cn=Sites,cn=Configuration,$BASE"
dump() {
	adm_search b -b "$BASE" -s sub '(objectClass=*)' '*' '+' |
	    awk -v self="dn: $SELF" '/^dn: /{skip = ($0 == self)} !skip'
}
dump >"$T_DIR/before.ldif"
n_before=$(grep -c '^dn: ' "$T_DIR/before.ldif")
like "$n_before" '^([2-9][0-9])$' "snapshot taken ($n_before entries)"

alive() {
	kill -0 "${NODE_PID[b]}" &&
	    ldapsearch -x -LLL -H "$(url b)" -b "" -s base namingContexts |
	    grep -q "^namingContexts: $BASE"
}

# --- raw sockets --------------------------------------------------------------
cat >"$T_DIR/raw.py" <<'EOF'
import os, random, socket, sys, threading

OID_NOD = b"1.3.6.1.4.1.1466.20036"

from ber import ln, tlv, integer, octets, msg

def enum(v):
    return tlv(0x0A, bytes([v]))

def bind(mid, dn=b"", pw=b""):
    return msg(mid, tlv(0x60, integer(3) + octets(dn) + tlv(0x80, pw)))

def search(mid, base, filt, attrs=()):
    return msg(mid, tlv(0x63, octets(base) + enum(0) + enum(0) + integer(0)
        + integer(0) + tlv(0x01, b"\x00") + filt
        + tlv(0x30, b"".join(octets(a) for a in attrs))))

def present(a):
    return tlv(0x87, a.encode())

def conn(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=15)
    return s

def read_all(s):
    data = b""
    try:
        while True:
            c = s.recv(65536)
            if not c:
                return data, "eof"
            data += c
    except socket.timeout:
        return data, "timeout"
    except ConnectionResetError:
        return data, "reset"

def parse(buf):
    """Splits buf into LDAPMessages: (msgid, optag, resultcode or None)."""
    out = []
    i = 0
    while i + 2 <= len(buf):
        assert buf[i] == 0x30, buf[i:].hex()
        if buf[i + 1] & 0x80:
            k = buf[i + 1] & 0x7F
            n = int.from_bytes(buf[i + 2:i + 2 + k], "big")
            j = i + 2 + k
        else:
            n = buf[i + 1]
            j = i + 2
        end = j + n
        if end > len(buf):
            break
        m = buf[j:end]
        assert m[0] == 0x02
        mid = int.from_bytes(m[2:2 + m[1]], "big", signed=True)
        p = 2 + m[1]
        tag = m[p]
        q = p + 2 if m[p + 1] < 0x80 else p + 2 + (m[p + 1] & 0x7F)
        rc = m[q + 2] if tag in (0x61, 0x65, 0x67, 0x69, 0x6B, 0x6D, 0x6F, 0x78) and m[q] == 0x0A else None
        out.append((mid, tag, rc, m))
        i = end
    return out, buf[i:]

def report(s, send, label, want=()):
    msgs, how, rest = collect(s, send, want)
    for mid, tag, rc, m in msgs:
        extra = " nod" if OID_NOD in m else ""
        print("%s msg id=%d tag=0x%02x rc=%s%s" % (label, mid, tag, rc, extra))
    print("%s end=%s trailing=%d" % (label, how, len(rest)))

def collect(s, send, want=()):
    """Sends, then reads until every messageID in want has its final
    response, a notice of disconnection arrives, or the server closes."""
    if send:
        s.sendall(send)
    data, how, seen = b"", None, set()
    while how is None:
        try:
            c = s.recv(65536)
        except socket.timeout:
            how = "timeout"
            break
        except ConnectionResetError:
            how = "reset"
            break
        if not c:
            how = "eof"
            break
        data += c
        msgs, _ = parse(data)
        seen = {m[0] for m in msgs if m[1] != 0x64}
        if 0 in seen:
            # After the notice the server must close: wait for it.
            _, how = read_all(s)
        elif want and set(want) <= seen:
            how = "answered"
    msgs, rest = parse(data)
    return msgs, how, rest

mode, port = sys.argv[1], int(sys.argv[2])

if mode == "http":
    report(conn(port), b"GET / HTTP/1.0\r\n\r\n", "http")
elif mode == "truncated":
    # Header promises 200 bytes; 12 arrive; then the client goes away.
    s = conn(port)
    m = bind(1, b"cn=x", b"y" * 180)
    s.sendall(m[:12])
    s.close()
    # Also: a header cut inside its own length octets.
    s = conn(port)
    s.sendall(b"\x30\x84\x00")
    s.close()
    # And a whole message followed by half of the next one.
    s = conn(port)
    s.sendall(bind(1) + search(2, b"", present("objectClass"))[:7])
    report(s, None, "truncated", want=[1])
    s.close()
elif mode == "oversized":
    # 1 MiB announced, max_pdu is 64 KiB: refused from the header alone.
    report(conn(port), b"\x30\x84\x00\x10\x00\x00" + b"\x02\x01\x01" + b"\x00" * 100, "oversized")
elif mode == "oversized-sent":
    # The same, but the client really pushes 256 KiB of it.
    s = conn(port)
    try:
        s.sendall(b"\x30\x83\x04\x00\x00" + os.urandom(256 * 1024))
    except (BrokenPipeError, ConnectionResetError):
        pass
    report(s, None, "oversized-sent")
elif mode == "under-limit":
    # 60 000 bytes of PDU, under max_pdu: a normal answer.
    s = conn(port)
    big = tlv(0xA3, octets("description") + octets("z" * 60000))
    m = bind(1) + search(2, b"", big)
    report(s, m, "under-limit", want=[1, 2])
elif mode == "indefinite":
    report(conn(port), b"\x30\x80\x02\x01\x01\x42\x00\x00\x00", "indefinite")
elif mode == "longlen":
    report(conn(port), b"\x30\x85\x00\x00\x00\x00\x10" + b"\x00" * 16, "longlen")
elif mode == "badbind":
    # version as an OCTET STRING, name as an INTEGER.
    m = msg(1, tlv(0x60, octets("3") + integer(7) + tlv(0x80, b"pw")))
    report(conn(port), m, "badbind", want=[1])
elif mode == "badbind2":
    # a bind whose SEQUENCE claims more than its envelope holds
    m = msg(1, b"\x60\x7f" + integer(3) + octets("") + tlv(0x80, b""))
    report(conn(port), m, "badbind2", want=[1])
elif mode == "unbind":
    # RFC 4511 4.3: no response to an UnbindRequest, the server just closes.
    s = conn(port)
    report(s, bind(1), "unbind", want=[1])
    report(s, msg(2, tlv(0x42, b"")), "unbind")
elif mode == "badmsgid":
    # messageID as an OCTET STRING
    report(conn(port), tlv(0x30, octets("1") + tlv(0x42, b"")), "badmsgid")
elif mode == "unknownop":
    report(conn(port), bind(1) + msg(2, tlv(0x7E, octets("x"))), "unknownop")
elif mode == "resultop":
    # a client sending a response PDU (SearchResultDone) as a request
    report(conn(port), msg(1, tlv(0x65, enum(0) + octets("") + octets(""))), "resultop")
elif mode == "emptyseq":
    report(conn(port), b"\x30\x00", "emptyseq")
elif mode == "deepfilter":
    # 5000 nested NOTs, properly encoded: a depth limit, not the stack, must stop it
    f = present("objectClass")
    for _ in range(5000):
        f = tlv(0xA2, f)
    s = conn(port)
    report(s, bind(1) + search(2, b"", f) + search(3, b"", present("objectClass")),
        "deepfilter", want=[1, 2, 3])
elif mode == "badfilter":
    # filter with an unknown choice tag [12]
    s = conn(port)
    report(s, bind(1) + search(2, b"", tlv(0xAC, octets("x"))) + search(3, b"", present("objectClass")),
        "badfilter", want=[1, 2, 3])
elif mode == "badcontrols":
    # a search with a Controls field that is not a SEQUENCE OF Control
    req = search(2, b"", present("objectClass"))
    m = tlv(0x30, req[2:] + tlv(0xA0, integer(5)))
    s = conn(port)
    report(s, bind(1) + m, "badcontrols", want=[1, 2])
elif mode == "garbage":
    # Many connections of junk, 20 at a time: pure random bytes (never
    # starting like an LDAPMessage), a valid envelope header around a
    # random body, and valid envelopes holding a random operation body
    # (the request parsers' turn) followed by a good search. Every
    # connection must end: closed by the server, or the good search answered.
    n, seed = int(sys.argv[3]), int(sys.argv[4])
    rnd = random.Random(seed)
    jobs = []
    tags = [0x60, 0x42, 0x63, 0x66, 0x68, 0x4A, 0x6C, 0x6E, 0x50, 0x77, 0x7E, 0xA0]
    for i in range(n):
        k = i % 3
        body = bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 600)))
        want = ()
        if k == 0:
            p = bytes([rnd.choice([b for b in range(256) if b != 0x30])]) + body
        elif k == 1:
            p = tlv(0x30, bytes([rnd.choice([b for b in range(256) if b != 0x02])]) + body)
        else:
            mid, tag = rnd.randint(1, 1000), rnd.choice(tags)
            p = msg(mid, tlv(tag, body)) + search(9999, b"", present("objectClass"))
            if rnd.random() < 0.5:
                p = bind(1001) + p
            want = (9999,)
        jobs.append((p, want))
    stats = {}
    lock = threading.Lock()
    def one(p, want):
        try:
            s = conn(port)
            s.settimeout(10)
            try:
                s.sendall(p)
            except OSError:
                pass
            _, how, _ = collect(s, None, want)
            s.close()
        except OSError:
            how = "reset"
        with lock:
            stats[how] = stats.get(how, 0) + 1
    for i in range(0, n, 20):
        ts = [threading.Thread(target=one, args=j) for j in jobs[i:i + 20]]
        for t in ts: t.start()
        for t in ts: t.join()
    print("garbage done %d %s timeout=%d" % (n, " ".join("%s=%d" % kv for kv in sorted(stats.items()) if kv[0] != "timeout"), stats.get("timeout", 0)))
else:
    sys.exit("unknown mode " + mode)
EOF
raw() { timeout 60 python3 "$T_DIR/raw.py" "$@" "$PORT" 2>&1; }

out=$(raw http)
like "$out" "^http msg id=0 tag=0x78 rc=2 nod\$" "HTTP request: notice of disconnection (msgid 0, protocolError, OID 1.3.6.1.4.1.1466.20036)"
like "$out" "^http end=eof trailing=0\$" "HTTP request: then the server closes"
ok "alive after the HTTP request" alive

out=$(raw truncated)
like "$out" "^truncated msg id=1 tag=0x61 rc=0\$" "truncated: the complete bind before it is answered"
like "$out" "^truncated end=answered" "truncated: half a message pending is simply waited for"
ok "alive after truncated messages" alive

out=$(raw oversized)
like "$out" "^oversized msg id=0 tag=0x78 rc=2 nod\$" "oversized header (1 MiB > max_pdu 64 KiB): notice of disconnection"
like "$out" "^oversized end=(eof|reset)" "oversized header: connection closed"
out=$(raw oversized-sent)
like "$out" "^oversized-sent (msg id=0 tag=0x78 rc=2 nod|end=reset)" "oversized PDU actually sent: notice of disconnection (or reset)"
like "$out" "^oversized-sent end=(eof|reset)" "oversized PDU actually sent: connection closed"
ok "alive after oversized PDUs" alive
out=$(raw under-limit)
like "$out" "^under-limit msg id=2 tag=0x65 rc=0\$" "a 60 000-byte PDU under max_pdu is served normally"

out=$(raw indefinite)
like "$out" "^indefinite msg id=0 tag=0x78 rc=2 nod\$" "indefinite-length envelope: notice of disconnection"
out=$(raw longlen)
like "$out" "^longlen msg id=0 tag=0x78 rc=2 nod\$" "5-octet length: notice of disconnection"
out=$(raw emptyseq)
like "$out" "^emptyseq msg id=0 tag=0x78 rc=2 nod\$" "empty LDAPMessage SEQUENCE: notice of disconnection"
out=$(raw unbind)
like "$out" "^unbind msg id=1 tag=0x61 rc=0\$" "unbind: the bind before it is answered"
like "$out" "^unbind end=answered.*
unbind end=eof" "unbind: the server closes the connection"
out=$(printf '%s\n' "$out" | grep -c "tag=0x78")
is "$out" 0 "unbind: no response at all to the UnbindRequest (RFC 4511 4.3), not even a notice"
out=$(raw badmsgid)
like "$out" "^badmsgid msg id=0 tag=0x78 rc=2 nod\$" "messageID that is not an INTEGER: notice of disconnection"
ok "alive after malformed envelopes" alive

out=$(raw badbind)
like "$out" "^badbind msg id=(1 tag=0x61 rc=2|0 tag=0x78 rc=2 nod)\$" "bind with wrong inner types: protocolError (2) or notice of disconnection"
out=$(raw badbind2)
like "$out" "^badbind2 msg id=(1 tag=0x61 rc=2|0 tag=0x78 rc=2 nod)\$" "bind whose length overruns the envelope: protocolError or disconnection"
out=$(raw unknownop)
like "$out" "^unknownop msg id=0 tag=0x78 rc=2 nod\$" "unknown operation tag [APPLICATION 30]: notice of disconnection"
like "$out" "^unknownop end=eof" "unknown operation: connection closed"
out=$(raw resultop)
like "$out" "^resultop msg id=0 tag=0x78 rc=2 nod\$" "a response PDU sent as a request: notice of disconnection"
ok "alive after malformed requests" alive

out=$(raw deepfilter)
like "$out" "^deepfilter msg id=(2 tag=0x65 rc=(2|53)|0 tag=0x78 rc=2 nod)\$" "5000-deep raw filter: an error, not a crash"
ok "alive after the 5000-deep filter" alive
out=$(raw badfilter)
like "$out" "^badfilter msg id=(2 tag=0x65 rc=2|0 tag=0x78 rc=2 nod)\$" "unknown filter choice: protocolError or disconnection"
ok "alive after the bad filter" alive
out=$(raw badcontrols)
like "$out" "^badcontrols msg id=(2 tag=0x65 rc=2|0 tag=0x78 rc=2 nod)\$" "malformed Controls field: protocolError or disconnection"
ok "alive after the malformed controls" alive

f="(cn=x)"
for i in $(seq 200); do f="(!$f)"; done
out=$(adm_search b -b "$BASE" "$f" dn 2>&1)
rc=$?
like "$rc" "^(2|53)$" "ldapsearch with a 200-deep (!(...)) filter: an error (got rc $rc)"
ok "alive after the deep filter" alive
f="(cn=kept1)"
for i in $(seq 10); do f="(!(!$f))"; done
out=$(adm_search b -b "$U" "$f" cn 2>&1)
like "$out" "^cn: kept1\$" "a 20-deep filter still evaluates correctly"

# --- well-formed requests the directory must refuse ----------------------------
out=$(adm_search b -b 'cn=a,,dc=x' -s base 2>&1); rc=$?
is "$rc" 34 "search base 'cn=a,,dc=x' -> invalidDNSyntax (34)"
out=$(adm_search b -b 'cn=kept1,cn=Bad Input Tests,=x' -s base 2>&1); rc=$?
is "$rc" 34 "search base with an empty attribute type -> 34"
out=$(printf 'dn: =foo\nobjectClass: container\ncn: foo\n' | adm_add b 2>&1); rc=$?
is "$rc" 34 "add 'dn: =foo' -> invalidDNSyntax (34)"
out=$(printf 'dn: cn=foo,,%s\nobjectClass: container\ncn: foo\n' "$U" | adm_add b 2>&1); rc=$?
is "$rc" 34 "add with an empty RDN in the DN -> 34"
out=$(printf 'dn: cn=kept1,cn=Bad Input Tests,%s\nchangetype: modrdn\nnewrdn: =bad\ndeleteoldrdn: 1\n' "$U" | adm_modify b 2>&1); rc=$?
is "$rc" 34 "modrdn to newrdn '=bad' -> 34"
ok "alive after invalid DNs" alive

out=$(printf 'dn: cn=u1,%s\nobjectClass: container\ncn: u1\nfooBarBaz: 1\n' "$U" | adm_add b 2>&1); rc=$?
is "$rc" 17 "add with an unknown attribute -> undefinedAttributeType (17)"
out=$(printf 'dn: cn=kept1,cn=Bad Input Tests,%s\nchangetype: modify\nreplace: noSuchAttr\nnoSuchAttr: 1\n' "$U" | adm_modify b 2>&1); rc=$?
is "$rc" 17 "modify replacing an unknown attribute -> 17"
out=$(printf 'dn: cn=u1,%s\nobjectClass: person\ncn: u1\n' "$U" | adm_add b 2>&1); rc=$?
is "$rc" 65 "add person without sn -> objectClassViolation (65)"
out=$(printf 'dn: cn=kept1,cn=Bad Input Tests,%s\nchangetype: modify\ndelete: sn\n' "$U" | adm_modify b 2>&1); rc=$?
is "$rc" 65 "modify deleting the required sn -> 65"
out=$(printf 'dn: cn=u1,%s\nobjectClass: container\ncn: u1\nsn: not allowed\n' "$U" | adm_add b 2>&1); rc=$?
is "$rc" 65 "add with an attribute the object class does not allow -> 65"
out=$(ldapsearch -x -H "$(url b)" -D "$ADMIN_DN" -w 'wrong password' -b "" -s base 2>&1); rc=$?
is "$rc" 49 "bind with a wrong password -> invalidCredentials (49)"
out=$(ldapsearch -x -H "$(url b)" -D "cn=nobody,$U" -w 'x' -b "" -s base 2>&1); rc=$?
is "$rc" 49 "bind as a non-existent DN -> 49"
out=$(adm_delete b "cn=Bad Input Tests,$U" 2>&1); rc=$?
is "$rc" 66 "delete of a non-leaf entry -> notAllowedOnNonLeaf (66)"
out=$(adm_delete b "cn=Users,$BASE" 2>&1); rc=$?
is "$rc" 66 "delete of cn=Users (non-leaf) -> 66"
out=$(ldapsearch -x -H "$(url b)" -b "$BASE" -s sub '(objectClass=*)' 2>&1); rc=$?
is "$rc" 50 "anonymous subtree search of the directory -> insufficientAccess (50)"
out=$(printf 'dn: cn=anon,%s\nobjectClass: container\ncn: anon\n' "$U" | ldapadd -x -H "$(url b)" 2>&1); rc=$?
is "$rc" 50 "anonymous add -> 50"
out=$(ldapdelete -x -H "$(url b)" "cn=kept1,cn=Bad Input Tests,$U" 2>&1); rc=$?
is "$rc" 50 "anonymous delete -> 50"
out=$(printf 'dn: cn=kept1,cn=Bad Input Tests,%s\nchangetype: modify\nreplace: description\ndescription: anon\n' "$U" |
    ldapmodify -x -H "$(url b)" 2>&1); rc=$?
is "$rc" 50 "anonymous modify -> 50"
ok "alive after refused operations" alive

# --- many garbage connections ----------------------------------------------------
seed=${GARBAGE_SEED:-$RANDOM}
echo "# garbage seed $seed (GARBAGE_SEED=$seed to replay)"
out=$(timeout 300 python3 "$T_DIR/raw.py" garbage "$PORT" 240 "$seed" 2>&1)
like "$out" "^garbage done 240 " "240 garbage connections sent and closed"
like "$out" " timeout=0\$" "no garbage connection left hanging (every one answered or closed)"
ok "vmdird still running after the garbage" kill -0 "${NODE_PID[b]}"
ok "alive after the garbage" alive
if ! kill -0 "${NODE_PID[b]}" 2>/dev/null; then
	echo "# vmdird died during the garbage:"
	grep -v '\] conn=' "$T_DIR/b/vmdird.log" | tail -5 | sed 's/^/#   /'
	unset "NODE_PID[b]"
	node_start b -o max_pdu=65536 || echo "# cannot restart b"
fi

# --- nothing changed -------------------------------------------------------------
dump >"$T_DIR/after.ldif"
ok "directory dump unchanged since the snapshot" diff -u "$T_DIR/before.ldif" "$T_DIR/after.ldif"
out=$(adm_search b -b "cn=Bad Input Tests,$U" -s one '(description=must survive)' dn 2>&1 | grep -c '^dn:')
is "$out" 3 "the seeded entries are all there"
out=$(grep -ciE "assert|segfault|double free|corrupt|panic" "$T_DIR/b/vmdird.log")
is "$out" 0 "no assertion or corruption message in the server log"
ok "vmdird still running at the end" kill -0 "${NODE_PID[b]}"
ok "stops cleanly (exit status 0)" node_stop b

# --- ordinary requests of every length ---------------------------------------
# Deletes of absent entries and binds with wrong passwords, the DN or the
# password growing one byte at a time: every request size modulo the
# allocator's granularity. Each is answered 32 / 49, and the heap must not
# suffer (the server keeps running and exits cleanly).
ok "init node s" node_init s
ok "start node s" node_start s
bad=""
for i in $(seq 1 48); do
	pad=$(printf "%${i}s" "" | tr ' ' x)
	adm_delete s "cn=$pad,cn=Users,$BASE" >/dev/null 2>&1
	rc=$?
	[ "$rc" -eq 32 ] || bad="$bad del$i:$rc"
	kill -0 "${NODE_PID[s]}" 2>/dev/null || { bad="$bad died-at-del$i"; break; }
done
is "${bad:-none}" none "48 deletes of absent entries, DN lengths 35..82: each noSuchObject (32), server alive"
bad=""
if kill -0 "${NODE_PID[s]}" 2>/dev/null; then
	for i in $(seq 1 48); do
		pad=$(printf "%${i}s" "" | tr ' ' y)
		ldapwhoami -x -H "$(url s)" -D "$ADMIN_DN" -w "$pad" >/dev/null 2>&1
		rc=$?
		[ "$rc" -eq 49 ] || bad="$bad bind$i:$rc"
		kill -0 "${NODE_PID[s]}" 2>/dev/null || { bad="$bad died-at-bind$i"; break; }
	done
else
	bad="server already dead"
fi
is "${bad:-none}" none "48 binds with wrong passwords of lengths 1..48: each 49, server alive"
if kill -0 "${NODE_PID[s]}" 2>/dev/null; then
	ok "node s stops cleanly (exit status 0, no heap corruption)" node_stop s
else
	T_N=$((T_N + 1)); T_FAILED=$((T_FAILED + 1))
	echo "not ok $T_N - node s stops cleanly (exit status 0, no heap corruption)"
	grep -v '\] conn=' "$T_DIR/s/vmdird.log" | tail -3 | sed 's/^/#   /'
fi
done_testing
