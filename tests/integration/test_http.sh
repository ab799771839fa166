#!/bin/bash
# test_http.sh: vmdird's HTTP side port on one node:
#  - /health parses and tells the state, USN and invocation; /metrics
#    parses with the Prometheus client library's own text parser, with
#    exact deltas for a known sequence of LDAP and HTTP requests;
#  - errors as JSON: unknown path 404, wrong method 405 (Allow), malformed
#    query string and JSON 400, missing and unknown fields 400 naming the
#    field, no or wrong credentials 401 (WWW-Authenticate), a valid user
#    who is not an administrator 403, a locked account 401 after the
#    policy's failures (and locked for LDAP too), chunked bodies 501;
#  - limits: a body over 256 KiB 413, a header over 8 KiB 431, a client
#    that sends half a request and stalls gets 408 after http_timeout,
#    while HTTP and LDAP requests are served meanwhile;
#  - HTTPS on https_port with the node's certificate; a taken http_port
#    set explicitly stops the start, the default one only warns.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
T=2	# http_timeout
node_init A
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T_DIR/key.pem" -out "$T_DIR/cert.pem" \
    -days 30 -subj /CN=127.0.0.1 >/dev/null 2>&1
HTTPS_PORT=$(free_port)
ok "start A with an HTTP and an HTTPS side port" node_start A -o "http_timeout=$T" \
    -o "tls_cert=$T_DIR/cert.pem" -o "tls_key=$T_DIR/key.pem" -o "https_port=$HTTPS_PORT"
H=$(hurl A)
ADMIN="administrator@vsphere.local:$ADMIN_PW"

# st URL [curl args]: the status code only; body to $T_DIR/body
st() { local u=$1; shift; curl -s -m 10 -o "$T_DIR/body" -w '%{http_code}' "$@" "$u"; }
# jerr: the error code and message of $T_DIR/body ("CODE MESSAGE")
jerr() { $PY -c 'import json,sys; e=json.load(open(sys.argv[1]))["error"]; print(e["code"], e["message"])' "$T_DIR/body"; }
# jget EXPR: a field of $T_DIR/body (j is the parsed JSON)
jget() { $PY -c "import json,sys; j=json.load(open(sys.argv[1])); print($1)" "$T_DIR/body"; }

# --- /health
is "$(st "$H/health")" 200 "GET /health: 200"
is "$(jget 'j["state"], j["status"], j["node"], len(j["partners"])')" "Normal ok A 0" \
    "health: state Normal, status ok, node A, no partners"
inv=$(ldapsearch -x -LLL -o ldif-wrap=no -H "$(url A)" -D "$ADMIN_DN" -w "$ADMIN_PW" \
    -b "cn=A,cn=Servers,cn=Default-First-Site,cn=Sites,cn=Configuration,$BASE" -s base \
    invocationId | sed -n 's/^invocationId: //p')
is "$(jget 'j["invocationId"]')" "$inv" "health: the invocationId of the server object"
usn=$(ldapsearch -x -LLL -H "$(url A)" -D "$ADMIN_DN" -w "$ADMIN_PW" -b cn=monitor -s base \
    highestCommittedUSN | sed -n 's/^highestCommittedUSN: //p')
st "$H/health" >/dev/null
is "$(jget 'j["highestUsn"]')" "$usn" "health: the highest USN, as cn=monitor has it"

# --- /metrics, parsed by prometheus_client, exact deltas
# metric FILE NAME LABELS: the value of one sample (0 if absent)
cat >"$T_DIR/metric.py" <<'EOF'
import sys
from prometheus_client.parser import text_string_to_metric_families
text = open(sys.argv[1]).read()
want = dict(kv.split("=", 1) for kv in sys.argv[3:])
val = 0
for fam in text_string_to_metric_families(text):
    for s in fam.samples:
        if s.name == sys.argv[2] and s.labels == want:
            val = s.value
print(int(val))
EOF
metric() { $PY "$T_DIR/metric.py" "$@"; }
ok "GET /metrics parses with prometheus_client" \
    $PY -c 'import sys,urllib.request
from prometheus_client.parser import text_string_to_metric_families
r = urllib.request.urlopen(sys.argv[1] + "/metrics")
assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4"), r.headers
fams = {f.name: f for f in text_string_to_metric_families(r.read().decode())}
for n in ("trellis_ldap_operations", "trellis_ldap_results", "trellis_ldap_connections",
          "trellis_usn", "trellis_lookup_registrations", "trellis_http_requests",
          "trellis_replication_backlog", "trellis_bind_failures"):
    assert n in fams, n
assert fams["trellis_ldap_operations"].type == "counter"
assert fams["trellis_usn"].type == "gauge"' "$H"
curl -s "$H/metrics" >"$T_DIR/m0"
# the sequence: 3 anonymous searches (bind + search + unbind each), one
# failed bind, 2 GET /health, one 404, one 400
for i in 1 2 3; do ldapsearch -x -H "$(url A)" -b "" -s base 1.1 >/dev/null; done
ldapwhoami -x -H "$(url A)" -D "$ADMIN_DN" -w wrong >/dev/null 2>&1
st "$H/health" >/dev/null; st "$H/health" >/dev/null
st "$H/nowhere" >/dev/null; st "$H/lookupservice/sdk?type=%zz" >/dev/null
curl -s "$H/metrics" >"$T_DIR/m1"
d() { echo $(( $(metric "$T_DIR/m1" "$@") - $(metric "$T_DIR/m0" "$@") )); }
is "$(d trellis_ldap_operations_total op=search)" 3 "metrics: 3 searches"
is "$(d trellis_ldap_operations_total op=bind)" 4 "metrics: 4 binds"
is "$(d trellis_ldap_operations_total op=unbind)" 4 "metrics: 4 unbinds"
is "$(d trellis_ldap_results_total code=49 name='Invalid credentials')" 1 "metrics: one result 49"
is "$(d trellis_bind_failures_total)" 1 "metrics: one failed bind"
is "$(d trellis_ldap_connections_total)" 4 "metrics: 4 connections"
is "$(metric "$T_DIR/m1" trellis_ldap_connections)" 0 "metrics: none open now"
is "$(d trellis_http_requests_total code=200)" 3 "metrics: 3 HTTP 200 (2 health and the first /metrics)"
is "$(d trellis_http_requests_total code=404)" 1 "metrics: one HTTP 404"
is "$(d trellis_http_requests_total code=400)" 1 "metrics: one HTTP 400"
is "$(metric "$T_DIR/m1" trellis_usn)" "$usn" "metrics: the USN"
is "$(metric "$T_DIR/m1" trellis_node_state state=Normal)" 1 "metrics: state Normal"
is "$(metric "$T_DIR/m1" trellis_lookup_registrations)" 0 "metrics: no registrations yet"

# --- errors
is "$(st "$H/nope")" 404 "unknown path: 404"
is "$(jerr)" "404 no such resource: /nope" "404 body: a JSON error"
is "$(st "$H/lookupservice/sdk/a/b")" 404 "a path below a registration: 404"
is "$(st "$H/health" -X POST)" 405 "POST /health: 405"
like "$(curl -s -i -X DELETE "$H/lookupservice/sdk")" "Allow: GET, POST" "405 carries Allow"
is "$(st "$H/lookupservice/sdk?type=%zz")" 400 "query with a bad escape (%zz): 400"
is "$(jerr)" "400 malformed query string" "400 body says why"
is "$(st "$H/lookupservice/sdk?type=a%00b")" 400 "query with an encoded NUL: 400"
is "$(st "$H/lookupservice/sdk?colour=red")" 400 "unknown query parameter: 400"
like "$(jerr)" "colour" "the unknown parameter is named"
is "$(st "$H/lookupservice/sdk?type=x&product=y")" 200 "known parameters: 200"
is "$(jget 'j')" "{'registrations': []}" "an empty list"

post() { st "$H/lookupservice/sdk" -u "$ADMIN" -H 'Content-Type: application/json' --data-binary "$1"; }
is "$(post '{"type": "x",')" 400 "malformed JSON: 400"
like "$(jerr)" "^400 malformed JSON" "the message says malformed JSON"
is "$(post '[1,2]')" 400 "a JSON array instead of an object: 400"
is "$(post '{"product":"p","version":"1"}')" 400 "missing type: 400"
is "$(jerr)" "400 missing field 'type'" "the missing field is named"
is "$(post '{"product":"p","type":"t","version":"1","endpoints":[{"type":"e","protocol":"h"}]}')" 400 \
    "endpoint without url: 400"
is "$(jerr)" "400 missing field 'endpoints[0].url'" "the endpoint's missing field is named"
is "$(post '{"product":"p","type":"t","version":"1","colour":"red"}')" 400 "unknown member: 400"
is "$(post '{"product":"p","type":"t","version":1}')" 400 "a number for a string: 400"
is "$(post '{"product":"p","type":"t","version":"1","endpoints":[{"type":"e","protocol":"h","url":"u","sslTrust":["bm90IGEgY2VydA=="]}]}')" \
    400 "an sslTrust that is not a certificate: 400"
is "$(jerr)" "400 'endpoints[0].sslTrust[0]' is not a base64 DER certificate" "the bad certificate is named"
is "$(post '{"serviceId":"a,b","product":"p","type":"t","version":"1"}')" 400 "a serviceId with a comma: 400"
is "$(post '{"product":"p","type":"t","version":"1","siteId":"Nowhere"}')" 400 "an unknown site: 400"
is "$(metric <(curl -s "$H/metrics") trellis_lookup_registrations)" 0 "nothing was written by the refused requests"

# --- credentials
REG='{"product":"com.vmware.cis","type":"cs.license","version":"6.7"}'
is "$(st "$H/lookupservice/sdk" --data-binary "$REG")" 401 "register without credentials: 401"
like "$(curl -s -i --data-binary "$REG" "$H/lookupservice/sdk")" 'WWW-Authenticate: Basic realm="Trellis"' \
    "401 carries WWW-Authenticate"
is "$(st "$H/lookupservice/sdk" -u "administrator@vsphere.local:wrong" --data-binary "$REG")" 401 \
    "register with a wrong password: 401"
is "$(st "$H/lookupservice/sdk" -H 'Authorization: Basic !!!!' --data-binary "$REG")" 401 \
    "a malformed Authorization header: 401"
is "$(st "$H/lookupservice/sdk/x" -X DELETE)" 401 "unregister without credentials: 401"
is "$(st "$H/lookupservice/sdk/x" -X PUT --data-binary "$REG")" 401 "update without credentials: 401"
is "$(st "$H/lookupservice/sdk" -u "$ADMIN" --data-binary "$REG")" 201 "the administrator's UPN registers: 201"
is "$(st "$H/lookupservice/sdk" -u "$ADMIN_DN:$ADMIN_PW" --data-binary \
    '{"serviceId":"by-dn","product":"p","type":"t","version":"1"}')" 201 "a DN registers too: 201"
is "$(jget 'j["serviceId"], j["siteId"], j["nodeId"]')" "by-dn Default-First-Site A" \
    "defaults: this node's site and node id"
is "$(st "$H/lookupservice/sdk" -u "$ADMIN_DN:$ADMIN_PW" --data-binary \
    '{"serviceId":"by-dn","product":"p","type":"t","version":"1"}')" 409 "the same serviceId again: 409"

ldapadd -x -H "$(url A)" -D "$ADMIN_DN" -w "$ADMIN_PW" >/dev/null <<EOF
dn: cn=joe,cn=Users,$BASE
objectClass: user
cn: joe
sn: joe
userPrincipalName: joe@vsphere.local
userPassword: Joe!pass1
EOF
is "$(st "$H/lookupservice/sdk" -u 'joe@vsphere.local:Joe!pass1' --data-binary "$REG")" 403 \
    "a valid user who is not an administrator: 403"
f0=$(metric <(curl -s "$H/metrics") trellis_bind_failures_total)
for i in 1 2 3 4 5; do st "$H/lookupservice/sdk" -u 'joe@vsphere.local:bad' --data-binary "$REG" >/dev/null; done
is "$(( $(metric <(curl -s "$H/metrics") trellis_bind_failures_total) - f0 ))" 5 \
    "HTTP Basic failures count as failed binds"
is "$(st "$H/lookupservice/sdk" -u 'joe@vsphere.local:Joe!pass1' --data-binary "$REG")" 401 \
    "after the policy's 5 failures the right password gets 401 (locked)"
ok "the lockout holds for LDAP binds too" \
    sh -c "! ldapwhoami -x -H '$(url A)' -D 'cn=joe,cn=Users,$BASE' -w 'Joe!pass1'"
is "$(st "$H/health")" 200 "health still answers"

# --- limits
head -c 300000 /dev/zero | tr '\0' 'a' >"$T_DIR/big"
is "$(st "$H/lookupservice/sdk" -u "$ADMIN" --data-binary @"$T_DIR/big")" 413 "a body over 256 KiB: 413"
is "$(st "$H/health" -H "X-Big: $(head -c 9000 /dev/zero | tr '\0' b)")" 431 "a header over 8 KiB: 431"
is "$(st "$H/lookupservice/sdk" -u "$ADMIN" -H 'Transfer-Encoding: chunked' --data-binary "$REG")" 501 \
    "a chunked body: 501"
# raw REQUEST: sends it as is, prints the status line
raw() {
	$PY - "${NODE_HTTP[A]}" "$1" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(sys.argv[2].encode().decode("unicode_escape").encode("latin-1"))
print(s.makefile("rb").readline().decode().strip())
EOF
}
is "$(raw 'GET /health HTTP/2.0\r\n\r\n')" "HTTP/1.1 505 HTTP Version Not Supported" "HTTP/2.0 request line: 505"
is "$(raw 'GET health HTTP/1.1\r\n\r\n')" "HTTP/1.1 400 Bad Request" "a relative target: 400"
is "$(raw 'GET /health HTTP/1.1\r\nNoColon\r\n\r\n')" "HTTP/1.1 400 Bad Request" "a header line without a colon: 400"
is "$(raw 'GET /health HTTP/1.0\r\n\r\n')" "HTTP/1.1 200 OK" "HTTP/1.0 is answered"

# a client that sends half a request and stalls: 408 after http_timeout,
# while other requests, HTTP and LDAP, are served meanwhile
$PY - "${NODE_HTTP[A]}" >"$T_DIR/slow.out" 2>&1 <<'EOF' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"POST /lookupservice/sdk HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"type\":")
t = time.time()
s.settimeout(30)
line = s.makefile("rb").readline().decode().strip()
print(line, "after", int(time.time() - t))
EOF
slow=$!
$PY - "${NODE_HTTP[A]}" >"$T_DIR/slow2.out" 2>&1 <<'EOF' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /hea")
s.settimeout(30)
print(s.makefile("rb").readline().decode().strip())
EOF
slow2=$!
sleep 0.5
ok "LDAP answers while two HTTP clients stall" ldapsearch -x -H "$(url A)" -b "" -s base 1.1
is "$(st "$H/health")" 200 "HTTP answers while two clients stall"
wait $slow $slow2
like "$(cat "$T_DIR/slow.out")" "^HTTP/1.1 408 Request Timeout after [12]$" \
    "the stalled body gets 408 after http_timeout ($T s)"
is "$(cat "$T_DIR/slow2.out")" "HTTP/1.1 408 Request Timeout" "the stalled request line gets 408"

# --- HTTPS
is "$(st "https://127.0.0.1:$HTTPS_PORT/health" -k)" 200 "GET /health over HTTPS"
is "$(st "https://127.0.0.1:$HTTPS_PORT/lookupservice/sdk/by-dn" -k)" 200 "GET a registration over HTTPS"

# --- ports
node_init B
NODE_HTTP[B]=${NODE_HTTP[A]}
fails() { ! "$@"; }
ok "an http_port set explicitly and taken stops the start" fails node_start B
ok "... and says why" grep -q "cannot listen on 127.0.0.1:${NODE_HTTP[A]}" "$T_DIR/B/vmdird.log"
B2P=$(free_port)
"$VMDIRD" -d "$T_DIR/B/data" -p "$B2P" --schema-dir "$SCHEMA_DIR" -o ldapi_socket= \
    -o "listen=127.0.0.1" -f /dev/null >"$T_DIR/B/default.log" 2>&1 &
bpid=$!
for i in $(seq 1 100); do ldapsearch -x -H "ldap://127.0.0.1:$B2P" -b "" -s base 1.1 >/dev/null 2>&1 && break; sleep 0.05; done
ok "with the default port the node starts either way" ldapsearch -x -H "ldap://127.0.0.1:$B2P" -b "" -s base 1.1
ok "... and says whether it has the default port" \
    grep -qE "HTTP side port on 127.0.0.1:7080|no HTTP side port" "$T_DIR/B/default.log"
kill -TERM $bpid; wait $bpid
is "$?" 0 "it stops cleanly"

done_testing
