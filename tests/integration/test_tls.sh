#!/usr/bin/env bash
# test_tls.sh: LDAPS and StartTLS against a real vmdird with a certificate
# signed by a scratch CA, verified by the clients (no LDAPTLS_REQCERT=never):
# searches over ldaps://, bind/search/add over StartTLS, StartTLS twice,
# StartTLS on a server without a certificate, plain LDAP sent to the LDAPS
# port, and the negotiated protocol version.
set -u
. "$(dirname "$0")/lib.sh"

# --- a CA and a server certificate for 127.0.0.1 / localhost --------------
P=$T_DIR/pki
mkdir -p "$P"
mkpki() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Trellis Test CA" \
	    -keyout "$P/ca.key" -out "$P/ca.pem" \
	    -addext "basicConstraints=critical,CA:TRUE" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign" &&
	openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
	    -keyout "$P/server.key" -out "$P/server.csr" &&
	printf '%s\n' "basicConstraints=CA:FALSE" \
	    "keyUsage=critical,digitalSignature,keyEncipherment" \
	    "extendedKeyUsage=serverAuth" \
	    "subjectAltName=IP:127.0.0.1,DNS:localhost" >"$P/ext.cnf" &&
	openssl x509 -req -in "$P/server.csr" -CA "$P/ca.pem" -CAkey "$P/ca.key" \
	    -CAcreateserial -days 2 -extfile "$P/ext.cnf" -out "$P/server.pem" &&
	openssl verify -CAfile "$P/ca.pem" "$P/server.pem"
}
ok "scratch CA and server certificate" mkpki
# A second, unrelated CA: verification against it must fail.
ok "unrelated CA" openssl req -x509 -newkey rsa:2048 -nodes -days 2 \
    -subj "/CN=Other CA" -keyout "$P/other.key" -out "$P/other.pem"

# Real verification from here on. lib.sh exports LDAPNOINIT=1, which makes
# libldap ignore every LDAPTLS_* variable: drop it so the CA is used.
unset LDAPNOINIT
export LDAPTLS_CACERT=$P/ca.pem LDAPTLS_REQCERT=demand

LDAPS_PORT=$(free_port)
ok "init node t" node_init t
ok "start node t with LDAPS and StartTLS" node_start t -P "$LDAPS_PORT" \
    --tls-cert "$P/server.pem" --tls-key "$P/server.key"
PLAIN=$(url t)
LDAPS="ldaps://127.0.0.1:$LDAPS_PORT"
alive() { ldapsearch -x -H "$PLAIN" -b "" -s base namingContexts | grep -q "^namingContexts: $BASE"; }

# --- LDAPS ------------------------------------------------------------------
out=$(ldapsearch -x -LLL -H "$LDAPS" -b "" -s base namingContexts 2>&1)
like "$out" "^namingContexts: $BASE\$" "ldaps: anonymous root DSE, certificate verified against the CA"
out=$(ldapsearch -x -LLL -H "$LDAPS" -D "$ADMIN_DN" -w "$ADMIN_PW" \
    -b "cn=Users,$BASE" -s base cn 2>&1)
like "$out" "^cn: Users\$" "ldaps: admin bind + search"
out=$(LDAPTLS_CACERT=$P/other.pem ldapsearch -x -LLL -H "$LDAPS" -b "" -s base 2>&1)
rc=$?
is "$rc" 255 "ldaps: a client trusting another CA cannot connect (rc 255)"
ok "server alive after a failed handshake" alive
ok "ldaps: ldapwhoami as admin" ldapwhoami -x -H "$LDAPS" -D "$ADMIN_DN" -w "$ADMIN_PW"

# --- StartTLS on the plain port ---------------------------------------------
out=$(ldapsearch -x -ZZ -LLL -H "$PLAIN" -D "$ADMIN_DN" -w "$ADMIN_PW" \
    -b "cn=Users,$BASE" -s one "(cn=Administrator)" dn 2>&1)
like "$out" "^dn: $ADMIN_DN\$" "StartTLS (-ZZ): bind + search"
ldif="dn: cn=tlsuser,cn=Users,$BASE
objectClass: inetOrgPerson
cn: tlsuser
sn: Over TLS
description: added over StartTLS"
ok "StartTLS (-ZZ): add" sh -c 'printf "%s\n" "$1" | ldapadd -x -ZZ -H "$2" -D "$3" -w "$4"' \
    _ "$ldif" "$PLAIN" "$ADMIN_DN" "$ADMIN_PW"
out=$(ldapsearch -x -ZZ -LLL -H "$PLAIN" -D "$ADMIN_DN" -w "$ADMIN_PW" \
    -b "cn=tlsuser,cn=Users,$BASE" -s base description 2>&1)
like "$out" "^description: added over StartTLS\$" "StartTLS: the added entry reads back over TLS"
out=$(ldapsearch -x -LLL -H "$LDAPS" -D "$ADMIN_DN" -w "$ADMIN_PW" \
    -b "cn=tlsuser,cn=Users,$BASE" -s base sn 2>&1)
like "$out" "^sn: Over TLS\$" "the StartTLS add is visible over LDAPS"
out=$(LDAPTLS_CACERT=$P/other.pem ldapsearch -x -ZZ -LLL -H "$PLAIN" -b "" -s base 2>&1)
rc=$?
[ "$rc" -ne 0 ] && rc=nonzero
is "$rc" nonzero "StartTLS: a client trusting another CA refuses the server (-ZZ fails)"
ok "server alive after the refused StartTLS" alive

# --- StartTLS protocol errors, raw: twice, and over LDAPS --------------------
# Python speaks BER directly so it can send a second StartTLS inside TLS.
cat >"$T_DIR/starttls.py" <<'EOF'
import socket, ssl, sys

from ber import tlv, integer, msg

STARTTLS = tlv(0x77, tlv(0x80, b"1.3.6.1.4.1.1466.20037"))

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
    if h[1] & 0x80:
        k = h[1] & 0x7F
        lb = rd(k)
        n = int.from_bytes(lb, "big")
        h += lb
    else:
        n = h[1]
    return h + rd(n)

def op_tag(m):
    i = 2 if m[1] < 0x80 else 2 + (m[1] & 0x7F)
    return m[i + 2 + m[i + 1]]

def parse_result(m):
    # 30 L 02 L id  <tag> L  0a 01 rc ...
    i = 2 if m[1] < 0x80 else 2 + (m[1] & 0x7F)
    assert m[i] == 0x02
    idlen = m[i + 1]
    mid = int.from_bytes(m[i + 2:i + 2 + idlen], "big")
    i += 2 + idlen
    tag = m[i]
    j = i + 2 if m[i + 1] < 0x80 else i + 2 + (m[i + 1] & 0x7F)
    assert m[j] == 0x0A
    rc = m[j + 2]
    return mid, tag, rc

mode, port, cafile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ctx = ssl.create_default_context(cafile=cafile)
s = socket.create_connection(("127.0.0.1", port), timeout=10)
if mode == "twice":
    s.sendall(msg(1, STARTTLS))
    mid, tag, rc = parse_result(read_msg(s))
    print("first", mid, hex(tag), rc)
    t = ctx.wrap_socket(s, server_hostname="127.0.0.1")
    print("version", t.version())
    t.sendall(msg(2, STARTTLS))
    mid, tag, rc = parse_result(read_msg(t))
    print("second", mid, hex(tag), rc)
    # The connection must still work over the first TLS layer.
    t.sendall(msg(3, tlv(0x63, tlv(0x04, b"") + tlv(0x0A, b"\x00") + tlv(0x0A, b"\x00")
        + integer(0) + integer(0) + tlv(0x01, b"\x00") + tlv(0x87, b"objectClass")
        + tlv(0x30, b""))))
    while True:
        m = read_msg(t)
        if op_tag(m) == 0x65:
            mid, tag, rc = parse_result(m)
            print("search", mid, hex(tag), rc)
            break
elif mode == "ldaps":
    t = ctx.wrap_socket(s, server_hostname="127.0.0.1")
    t.sendall(msg(1, STARTTLS))
    mid, tag, rc = parse_result(read_msg(t))
    print("starttls-over-ldaps", mid, hex(tag), rc)
elif mode == "plain":
    s.sendall(msg(1, STARTTLS))
    mid, tag, rc = parse_result(read_msg(s))
    print("starttls", mid, hex(tag), rc)
elif mode == "cleartext-to-ldaps":
    # A bind request in clear text to the LDAPS port: the server's TLS layer
    # sees garbage; it must close (or answer a TLS alert), never an LDAP result.
    s.sendall(msg(1, tlv(0x60, integer(3) + tlv(0x04, b"") + tlv(0x80, b""))))
    data = b""
    try:
        while True:
            c = s.recv(4096)
            if not c:
                break
            data += c
    except ConnectionResetError:
        pass
    print("closed", len(data), data[:1].hex())
EOF

out=$(python3 "$T_DIR/starttls.py" twice "${NODE_PORT[t]}" "$P/ca.pem" 2>&1)
like "$out" "^first 1 0x78 0\$" "raw: first StartTLS succeeds (ExtendedResponse, success)"
like "$out" "^version TLSv1\.[23]\$" "raw: handshake after StartTLS negotiates TLSv1.2+"
like "$out" "^second 2 0x78 1\$" "raw: second StartTLS on the same connection -> operationsError (1)"
like "$out" "^search 3 0x65 " "raw: the connection still works inside TLS after the refused StartTLS"
out=$(python3 "$T_DIR/starttls.py" ldaps "$LDAPS_PORT" "$P/ca.pem" 2>&1)
like "$out" "^starttls-over-ldaps 1 0x78 1\$" "raw: StartTLS on an LDAPS connection -> operationsError (1)"
ok "server alive after the StartTLS errors" alive

# OpenLDAP client: -ZZ over an ldaps:// URL asks for StartTLS inside TLS.
out=$(ldapsearch -x -ZZ -LLL -H "$LDAPS" -b "" -s base 2>&1)
rc=$?
[ "$rc" -ne 0 ] && rc=nonzero
is "$rc" nonzero "ldapsearch -ZZ over ldaps:// fails (TLS already started)"
like "$out" "(already|Operations error)" "... with the server's 'TLS already started' error"

# --- plain LDAP to the LDAPS port ------------------------------------------
out=$(timeout 20 python3 "$T_DIR/starttls.py" cleartext-to-ldaps "$LDAPS_PORT" "$P/ca.pem" 2>&1)
rc=$?
is "$rc" 0 "raw: a clear-text bind to the LDAPS port gets the connection closed (no hang)"
like "$out" "^closed [0-9]+ (15)?\$" "... with at most a TLS alert, never an LDAP response"
out=$(ldapsearch -x -LLL -H "ldap://127.0.0.1:$LDAPS_PORT" -b "" -s base 2>&1)
rc=$?
[ "$rc" -ne 0 ] && rc=nonzero
is "$rc" nonzero "ldapsearch with ldap:// against the LDAPS port fails"
ok "vmdird still running after clear text on the LDAPS port" kill -0 "${NODE_PID[t]}"
out=$(ldapsearch -x -LLL -H "$LDAPS" -b "" -s base namingContexts 2>&1)
like "$out" "^namingContexts: $BASE\$" "LDAPS still answers afterwards"
ok "plain port still answers afterwards" alive

# --- openssl s_client: protocol version -------------------------------------
out=$(openssl s_client -connect "127.0.0.1:$LDAPS_PORT" -CAfile "$P/ca.pem" \
    -verify_return_error -verify_ip 127.0.0.1 </dev/null 2>&1)
like "$out" "Protocol *: TLSv1\.[23]|New, TLSv1\.[23]" "s_client: LDAPS negotiates TLSv1.2 or later"
like "$out" "Verify return code: 0 \(ok\)" "s_client: the chain verifies against the CA"
out=$(openssl s_client -connect "127.0.0.1:$LDAPS_PORT" -CAfile "$P/ca.pem" \
    -verify_return_error -verify_hostname localhost </dev/null 2>&1)
like "$out" "Verify return code: 0 \(ok\)" "s_client: the certificate also matches the host name localhost"
out=$(openssl s_client -connect "127.0.0.1:$LDAPS_PORT" -tls1_2 -CAfile "$P/ca.pem" </dev/null 2>&1)
like "$out" "Protocol *: TLSv1\.2|New, TLSv1\.2" "s_client: TLSv1.2 explicitly accepted"
# s_client -starttls ldap: the same on the plain port after StartTLS.
out=$(openssl s_client -connect "127.0.0.1:${NODE_PORT[t]}" -starttls ldap \
    -CAfile "$P/ca.pem" -verify_return_error </dev/null 2>&1)
like "$out" "Protocol *: TLSv1\.[23]|New, TLSv1\.[23]" "s_client -starttls ldap: TLSv1.2 or later on the plain port"
for old in tls1 tls1_1; do
	if openssl s_client -help 2>&1 | grep -q -- "-$old "; then
		# SECLEVEL=0 so that this client is willing to offer the old version.
		out=$(openssl s_client -connect "127.0.0.1:$LDAPS_PORT" -"$old" \
		    -cipher 'DEFAULT@SECLEVEL=0' -CAfile "$P/ca.pem" </dev/null 2>&1)
		if printf '%s\n' "$out" | grep -Eq "^New, TLSv1(\.1)?, Cipher is [A-Z]"; then
			got=accepted
		elif printf '%s\n' "$out" | grep -q "alert protocol version"; then
			got=refused
		else
			got="client could not try: $(printf '%s\n' "$out" | grep -m1 -i error)"
		fi
		is "$got" refused "s_client -$old: the server refuses protocols older than TLSv1.2"
	fi
done
ok "server alive after the s_client runs" alive

# --- a server without a certificate ------------------------------------------
ok "init node n (no TLS)" node_init n
ok "start node n without a certificate" node_start n
out=$(ldapsearch -x -ZZ -LLL -H "$(url n)" -b "" -s base 2>&1)
rc=$?
[ "$rc" -ne 0 ] && rc=nonzero
is "$rc" nonzero "no certificate: ldapsearch -ZZ fails"
out=$(python3 "$T_DIR/starttls.py" plain "${NODE_PORT[n]}" "$P/ca.pem" 2>&1)
like "$out" "^starttls 1 0x78 (52|1|2)\$" "no certificate: raw StartTLS gets an error result (unavailable)"
like "$out" "^starttls 1 0x78 52\$" "... specifically unavailable (52)"
out=$(ldapsearch -x -LLL -H "$(url n)" -b "" -s base namingContexts 2>&1)
like "$out" "^namingContexts: $BASE\$" "no certificate: plain LDAP still works"
out=$(ldapsearch -x -Z -LLL -H "$(url n)" -b "" -s base namingContexts 2>&1)
like "$out" "^namingContexts: $BASE\$" "no certificate: -Z (StartTLS optional) falls back to clear text"

# --- a server refusing to start with an LDAPS port but no certificate ---------
ok "init node x" node_init x
out=$(timeout 10 "$VMDIRD" -d "$T_DIR/x/data" -p "$(free_port)" -P "$(free_port)" \
    --schema-dir "$SCHEMA_DIR" 2>&1)
rc=$?
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && rc=nonzero
is "$rc" nonzero "an LDAPS port without tls_cert/tls_key: vmdird exits with an error"
out=$(timeout 10 "$VMDIRD" -d "$T_DIR/x/data" -p "$(free_port)" -P "$(free_port)" \
    --tls-cert "$P/server.pem" --tls-key "$P/other.key" --schema-dir "$SCHEMA_DIR" 2>&1)
rc=$?
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && rc=nonzero
is "$rc" nonzero "a key that does not match the certificate: vmdird exits with an error"

# --- several addresses: a listener per address and port, any number -------
M_LDAPS=$(free_port)
ok "init node m" node_init m
ok "start node m on three addresses, LDAP and LDAPS on each" node_start m \
    -P "$M_LDAPS" --tls-cert "$P/server.pem" --tls-key "$P/server.key" \
    -o "listen=127.0.0.1, 127.0.0.2 ::1"
MP=${NODE_PORT[m]}
for a in 127.0.0.1 127.0.0.2 '[::1]'; do
	out=$(ldapsearch -x -LLL -H "ldap://$a:$MP" -b "" -s base namingContexts 2>&1)
	like "$out" "^namingContexts: $BASE\$" "listen list: LDAP on $a"
	out=$(LDAPTLS_REQCERT=never ldapsearch -x -LLL -H "ldaps://$a:$M_LDAPS" -b "" \
	    -s base namingContexts 2>&1)
	like "$out" "^namingContexts: $BASE\$" "listen list: LDAPS on $a"
	for k in "$MP (LDAP)" "$M_LDAPS (LDAPS)"; do
		is "$(grep -c "listening on ${a//[/\\[}:$k\$" "$T_DIR/m/vmdird.log")" 1 \
		    "listen list: one log line 'listening on $a:$k'"
	done
done
is "$(grep -c "listening on $T_DIR/m/ldapi.sock (ldapi)\$" "$T_DIR/m/vmdird.log")" 1 \
    "listen list: the local socket beside them"
srv_m="cn=m,cn=Servers,cn=Default-First-Site,cn=Sites,cn=Configuration,$BASE"
uris_m() { ldapsearch -x -LLL -H "ldap://127.0.0.1:$MP" -D "$ADMIN_DN" -w "$ADMIN_PW" \
    -b "$srv_m" -s base labeledURI | sed -n 's/^labeledURI: //p' | sort | tr '\n' ' '; }
want_uris="ldap://127.0.0.1:$MP ldaps://127.0.0.1:$M_LDAPS "
for i in $(seq 1 100); do [ "$(uris_m)" = "$want_uris" ] && break; sleep 0.1; done
is "$(uris_m)" "$want_uris" "listen list: the server object names the first address for partners"
ok "node m stops cleanly" node_stop m
out=$(timeout 10 "$VMDIRD" -d "$T_DIR/m/data" -p "$(free_port)" --schema-dir "$SCHEMA_DIR" \
    -o "listen=127.0.0.1,not-an-address" -o "ldapi_socket=" 2>&1)
rc=$?
is "$rc" 1 "listen list with a bad address: vmdird exits 1"
like "$out" "invalid listen address not-an-address:[0-9]+\$" "... naming the address"

ok "node t still running" kill -0 "${NODE_PID[t]}"
ok "node n still running" kill -0 "${NODE_PID[n]}"
ok "node t stops cleanly" node_stop t
ok "node n stops cleanly" node_stop n
done_testing
