#!/bin/bash
# test_lstool_check.sh: lstool check across a three-node domain (A; B and C
# joined to it), each rule made to fire and then cleared:
#  - a clean domain passes (exit 0), with --json;
#  - the seed's upgrade failure: B Standalone (replication paused), A's
#    vCenter updated to 7.0: "diverged" (High, exit 1) naming B's state;
#    B back to Normal: clean again;
#  - "in flight" against a node (a stand-in HTTP server) whose /health
#    reports a backlog (Medium, exit 0), and "diverged" when it reports
#    none;
#  - a duplicate registration (one type twice for one node);
#  - an expired trust certificate (High) and one expiring within 30 days
#    (Medium);
#  - A's machine certificate (in VECS) replaced: the trust no longer
#    matches; --fix-trust repairs it on A and the fix replicates;
#  - a stale registration after C leaves the domain (vdcleave);
#  - --live against a node serving HTTPS: what the URLs present.
. "$(dirname "$0")/vecs_lib.sh"
. "$(dirname "$0")/repl_lib.sh"

LS=$top_builddir/lstool
ADMINTOOL=$top_builddir/vdcadmintool
PW=$ADMIN_PW
sdk() { echo "$(hurl "$1")/lookupservice/sdk"; }

ok "init and start A" eval 'node_init A && node_start A -o repl_interval=1'
ok "join B" repl_join B A -o repl_interval=1
ok "join C" repl_join C A -o repl_interval=1

# machine certificates; A's lives in a vecsd
for n in A B C A2; do
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$PUB/m$n.key" -out "$PUB/m$n.pem" \
	    -days 365 -subj "/CN=node-$n" >/dev/null 2>&1
done
ok "start vecsd for A" vecsd_start vecsA
VSOCK=$(vecsd_sock vecsA)
"$VECSCLI" --socket "$VSOCK" store create --name MACHINE_SSL_CERT >/dev/null 2>&1
ok "A's machine certificate in VECS" "$VECSCLI" --socket "$VSOCK" entry create \
    --store MACHINE_SSL_CERT --alias __MACHINE_CERT --cert "$PUB/mA.pem" --key "$PUB/mA.key"

reg_vc() { # NODE HOST
	"$LS" register --url "$(sdk A)" --password "$PW" --id "vc-$1" --node-id "$1" \
	    --product com.vmware.cis --type vcenterserver --version 6.7 \
	    --endpoint "type=com.vmware.vim,protocol=vmomi,url=https://$2:443/sdk,trust=$PUB/m$1.pem"
}
ok "register A's vCenter" reg_vc A vcsa1.example
ok "register B's vCenter" reg_vc B vcsa2.example
ok "register C's vCenter" reg_vc C vcsa3.example
count_is() { [ "$("$LS" list --url "$(sdk "$1")" --json | jq '.registrations | length')" == "$2" ]; }
for n in B C; do wait_ok "$n lists the 3 registrations" count_is "$n" 3; done

# each node records where it serves HTTP in its server object; check reads it on A
http_known() { local n; for n in A B C; do attr_is A "$(srv_dn $n)" vmwHttpURI "$(hurl $n)" || return 1; done; }
wait_ok "A's directory holds every node's HTTP address (vmwHttpURI)" http_known

CHECK=("$LS" check --server "$(url A)" --password "$PW" --vecs "A=$VSOCK")
R() { "$@" >"$T_DIR/r.out" 2>"$T_DIR/r.err"; RC=$?; OUT=$(cat "$T_DIR/r.out" "$T_DIR/r.err"); }
check_clean() { "${CHECK[@]}" >"$T_DIR/clean.out" 2>&1; }
# finding CHECK_NAME: the JSON of check's findings of that rule
finding() { jq -c --arg c "$1" '[.findings[] | select(.check == $c)]' "$T_DIR/r.out"; }

R "${CHECK[@]}"
is "$RC" 0 "a clean domain: check exits 0"
like "$OUT" "^\[PASS\] Every node answered: 3 nodes: A, B, C$" "[PASS] every node answered"
like "$OUT" "^\[PASS\] Registrations are the same on every node: 3 registrations on 3 nodes$" \
    "[PASS] the registrations are the same"
like "$OUT" "^\[PASS\] SSL trust matches the machine certificates: nodes compared: A$" \
    "[PASS] the trust matches A's machine certificate (VECS)"
like "$OUT" "^\[PASS\] No duplicate registrations" "[PASS] no duplicates"
like "$OUT" "^\[PASS\] No stale registrations" "[PASS] nothing stale"
like "$OUT" "^Summary: 6 passed, 0 warnings, 0 failed \(0 High\)$" "the summary"
R "${CHECK[@]}" --json
is "$RC $(jq -c '[.ok, .high, (.nodes | map(.name + ":" + .state) | join(","))]' "$T_DIR/r.out")" \
    '0 [true,0,"A:Normal,B:Normal,C:Normal"]' "--json: ok, no High finding, the nodes and their states"

# --- the seed's upgrade failure, replayed
ok "B set Standalone" "$ADMINTOOL" -h "127.0.0.1:${NODE_PORT[B]}" -w "$PW" --set-state STANDALONE
ok "A's vCenter upgraded to 7.0 (on A)" "$LS" update --url "$(sdk A)" --password "$PW" --id vc-A --version 7.0
version_on() { "$LS" get --url "$(sdk "$1")" --id vc-A --json | jq -r .version; }
wait_ok "C sees 7.0" sh -c "[ \"\$('$LS' get --url '$(sdk C)' --id vc-A --json | jq -r .version)\" = 7.0 ]"
is "$("$LS" list --url "$(sdk B)" | grep -i "Service type: vcenterserver" -A9 | egrep "Service Type:|Version|URL" | sed -n 2p)" \
    $'\tVersion: 6.7' "B still lists A's vCenter at 6.7 (the seed's pipeline on B)"
R "${CHECK[@]}"
is "$RC" 1 "check exits 1 (a High problem)"
like "$OUT" '^\[FAIL\] Registration diverged between nodes: vc-A \(vcenterserver\): version: "7.0" on A, C; "6.7" on B\. Replication is stopped on B \(Standalone\)' \
    "[FAIL] vc-A diverged: 7.0 on A and C, 6.7 on B, replication stopped on B"
like "$OUT" $'^\tSeverity: High$' "its severity: High"
like "$OUT" $'^\tRecommended Action: Return the nodes to the Normal state' "its recommended action"
like "$OUT" $'^\tEntry: cn=vc-A,cn=ServiceRegistrations,cn=LookupService,cn=Default-First-Site,cn=Sites,cn=Configuration,dc=vsphere,dc=local \(on B\)$' \
    "the entries concerned, with the node each copy was read on"
R "${CHECK[@]}" --json
is "$(finding divergence | jq -c '[.[] | .status, .severity, (.entries | length)]')" '["FAIL","High",3]' \
    "--json: the divergence finding, High, three entries"
ok "B back to Normal" "$ADMINTOOL" -h "127.0.0.1:${NODE_PORT[B]}" -w "$PW" --set-state NORMAL
wait_ok "once B replicates again, check is clean (exit 0)" check_clean
is "$(version_on B)" 7.0 "B lists 7.0"

# --- in flight or diverged, as a node's /health says (a stand-in node)
FP=$(free_port)
mkdir -p "$T_DIR/fake"
"$LS" list --url "$(sdk A)" --json | jq '.registrations[0].version = "6.5"' >"$T_DIR/fake/regs.json"
fake_health() { printf '{"status":"ok","state":"Normal","node":"B","domain":"vsphere.local","partners":[{"uri":"ldap://a","backlog":%s}]}' "$1" >"$T_DIR/fake/health.json"; }
fake_health 5
python3 - "$FP" "$T_DIR/fake" >"$T_DIR/fake/fake.log" 2>&1 <<'PY' &
import http.server, sys
port, d = int(sys.argv[1]), sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        f = "health.json" if self.path.startswith("/health") else "regs.json"
        body = open(d + "/" + f, "rb").read()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
PY
NODE_PID[fake]=$!
wait_until curl -s "http://127.0.0.1:$FP/health"
FAKE=("$LS" check --server "$(url A)" --password "$PW" --nodes "$(hurl A),http://127.0.0.1:$FP")
R "${FAKE[@]}"
is "$RC" 0 "a difference while a partner reports a backlog: exit 0"
like "$OUT" '^\[WARNING\] Registration still in flight between nodes: vc-A \(vcenterserver\): version: "7.0" on A; "6.5" on B\. Replication is still carrying changes \(B reports a backlog of 5 from ldap://a\)' \
    "[WARNING] in flight: the backlog named"
like "$OUT" $'^\tSeverity: Medium$' "in flight: Medium"
fake_health 0
R "${FAKE[@]}"
is "$RC" 1 "the same difference with no backlog anywhere: exit 1"
like "$OUT" '^\[FAIL\] Registration diverged between nodes: vc-A .*Replication reports nothing pending' \
    "[FAIL] diverged while replication says healthy"
"$LS" list --url "$(sdk A)" --json | jq '.registrations |= .[1:]' >"$T_DIR/fake/regs.json"
R "${FAKE[@]}"
like "$OUT" '^\[FAIL\] Registration diverged between nodes: vc-A \(vcenterserver\): missing on B\.' \
    "a registration missing on a node"
kill "${NODE_PID[fake]}" 2>/dev/null
wait "${NODE_PID[fake]}" 2>/dev/null
unset "NODE_PID[fake]"

# --- a duplicate
ok "a second vcenterserver registration for A" "$LS" register --url "$(sdk B)" --password "$PW" \
    --id vc-A2 --node-id A --product com.vmware.cis --type vcenterserver --version 7.0 \
    --endpoint "type=com.vmware.vim,protocol=vmomi,url=https://vcsa1.example:443/sdk,trust=$PUB/mA.pem"
for n in A C; do wait_ok "$n lists 4 registrations" count_is "$n" 4; done
wait_until sh -c "! '${CHECK[0]}' check --server '$(url A)' --password '$PW' --json | jq -e '.findings[] | select(.check==\"divergence\" and .status!=\"PASS\")'"
R "${CHECK[@]}"
is "$RC" 1 "a duplicate: exit 1"
like "$OUT" '^\[FAIL\] Duplicate registrations of one service type for one node: node A has 2 registrations of type vcenterserver: vc-A, vc-A2$' \
    "[FAIL] the duplicate, with both ids"
ok "unregister the duplicate" "$LS" unregister --url "$(sdk A)" --password "$PW" --id vc-A2
wait_ok "clean again" check_clean

# --- expired and expiring trust (B's registrations: no machine certificate known for B)
mkcert expired old.example 20240102000000Z
ok "a registration trusting an expired certificate" "$LS" register --url "$(sdk A)" --password "$PW" \
    --id lic-B --node-id B --product com.vmware.cis --type cs.license --version 7.0 \
    --endpoint "type=com.vmware.cis.license,protocol=https,url=https://vcsa2.example/ls,trust=$PUB/expired.pem"
for n in B C; do wait_ok "$n lists 4 registrations" count_is "$n" 4; done
wait_until sh -c "'${CHECK[0]}' check --server '$(url A)' --password '$PW' --json | jq -e '.findings[] | select(.check==\"divergence\" and .status==\"PASS\")'"
R "${CHECK[@]}"
is "$RC" 1 "an expired trust: exit 1"
like "$OUT" '^\[FAIL\] SSL trust certificate expired: lic-B \(cs.license\) https://vcsa2.example/ls: /CN=old.example expired on Jan  2 00:00:00 2024 GMT$' \
    "[FAIL] the expired trust, with its date"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T_DIR/soon.key" -out "$PUB/soon.pem" -days 1 \
    -subj /CN=soon.example >/dev/null 2>&1
ok "its trust replaced by one that expires tomorrow" "$LS" update --url "$(sdk A)" --password "$PW" \
    --id lic-B --trust "$PUB/soon.pem"
wait_until sh -c "'$LS' get --url '$(sdk C)' --id lic-B | grep -q \"\$(openssl x509 -in '$PUB/soon.pem' -outform DER | base64 -w0)\""
wait_until check_clean
R "${CHECK[@]}"
is "$RC" 0 "a trust expiring within 30 days: a warning, exit 0"
like "$OUT" '^\[WARNING\] SSL trust certificate expires soon: lic-B \(cs.license\) https://vcsa2.example/ls: /CN=soon.example will expire in [01] days? \(' \
    "[WARNING] expires soon"
R "${CHECK[@]}" --expiry-days 0
is "$(grep -c '^\[WARNING\] SSL trust certificate expires soon' "$T_DIR/r.out")" 0 "--expiry-days 0: no warning"
ok "unregister lic-B" "$LS" unregister --url "$(sdk A)" --password "$PW" --id lic-B

# --- A's machine certificate is replaced
ok "A gets a new machine certificate in VECS" sh -c "'$VECSCLI' --socket '$VSOCK' entry delete --store MACHINE_SSL_CERT --alias __MACHINE_CERT -y >/dev/null &&
    '$VECSCLI' --socket '$VSOCK' entry create --store MACHINE_SSL_CERT --alias __MACHINE_CERT --cert '$PUB/mA2.pem' --key '$PUB/mA2.key' >/dev/null"
wait_until sh -c "[ \"\$('$LS' list --url '$(sdk C)' --json | jq '.registrations|length')\" = 3 ]"
R "${CHECK[@]}"
is "$RC" 1 "a trust that no longer matches: exit 1"
like "$OUT" '^\[FAIL\] SSL trust does not match the node.s machine certificate: vc-A \(vcenterserver\): 1 endpoint of node A does not trust the certificate it serves \(VECS ' \
    "[FAIL] vc-A no longer trusts A's machine certificate"
R "${CHECK[@]}" --fix-trust --user administrator@vsphere.local
is "$RC" 0 "--fix-trust repairs it: exit 0"
like "$OUT" '^\[FIXED\] vc-A on A: SSL trust set to A.s machine certificate$' "[FIXED] vc-A on A"
MA2=$(openssl x509 -in "$PUB/mA2.pem" -outform DER | base64 -w0)
trust_on() { [ "$("$LS" get --server "$(url "$1")" --password "$PW" --id vc-A --json | jq -r '.endpoints[0].sslTrust[0]')" == "$MA2" ]; }
for n in B C; do wait_ok "the fix replicates to $n (read over LDAP)" trust_on "$n"; done
wait_ok "check is clean after the fix" check_clean
is "$("$LS" get --url "$(sdk A)" --id vc-B --json | jq -r '.endpoints[0].sslTrust[0]')" \
    "$(openssl x509 -in "$PUB/mB.pem" -outform DER | base64 -w0)" "other nodes' registrations untouched"

# --- C leaves the domain: its registration is stale
ok "C leaves (vdcleave on A)" "$top_builddir/vdcleave" -h "127.0.0.1:${NODE_PORT[A]}" -w "$PW" -n C -y
R "${CHECK[@]}"
is "$RC" 1 "a stale registration: exit 1"
like "$OUT" '^\[FAIL\] Stale registration of a node that is not in the domain: vc-C \(vcenterserver\) belongs to node C, which is not a node of the domain' \
    "[FAIL] vc-C is stale"
like "$OUT" '^\[PASS\] Every node answered: 2 nodes: A, B$' "C is no longer checked"
ok "unregister C's registration" "$LS" unregister --url "$(sdk A)" --password "$PW" --id vc-C
wait_ok "clean without C" check_clean

# --- --live: a node (its own domain) that serves HTTPS with its certificate
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$PUB/l.key" -out "$PUB/l.pem" -days 365 \
    -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1
HP=$(free_port)
ok "start a node with HTTPS" eval 'node_init L && node_start L -o https_port=$HP -o tls_cert=$PUB/l.pem -o tls_key=$PUB/l.key'
https_known() { attr_of L "$(srv_dn L)" vmwHttpURI | grep -qx "https://127.0.0.1:$HP"; }
wait_ok "L records its HTTPS base URL too" https_known
for t in l.pem mB.pem; do
	"$LS" register --url "https://127.0.0.1:$HP/lookupservice/sdk" --cacert "$PUB/l.pem" --password "$PW" \
	    --id "live-$t" --product p --type "t-$t" --version 1 \
	    --endpoint "type=e,protocol=https,url=https://127.0.0.1:$HP/health,trust=$PUB/$t" >/dev/null
done
is "$("$LS" list --url "https://127.0.0.1:$HP/lookupservice/sdk" --cacert "$PUB/l.pem" | grep -c 'Service ID:')" 2 \
    "list over HTTPS, verifying the certificate (--cacert, IP name)"
R "$LS" list --url "https://127.0.0.1:$HP/lookupservice/sdk"
like "$RC $OUT" "^1 lstool: TLS to 127.0.0.1:$HP: certificate not trusted" "an untrusted HTTPS certificate: refused"
R "$LS" check --server "$(url L)" --password "$PW" --live
is "$RC" 1 "--live: a trust that does not match what is presented: exit 1"
like "$OUT" "^\[FAIL\] SSL trust does not match the certificate the endpoint presents: live-mB.pem \(t-mB.pem\) https://127.0.0.1:$HP/health$" \
    "[FAIL] the endpoint presents another certificate"
like "$OUT" "^\[FAIL\] SSL trust does not match the node.s machine certificate: live-mB.pem .*presented at https://127.0.0.1:$HP\)$" \
    "[FAIL] the node's machine certificate, as its HTTPS port presents it"
is "$(grep -c 'live-l.pem' "$T_DIR/r.out")" 0 "the matching registration is not reported"

# --- bad input to check
R "$LS" check --server "$(url A)" --password wrong
is "$RC" 1 "check with a wrong password: exit 1"
R "$LS" check --nodes "http://127.0.0.1:1" --json
is "$RC $(jq -r '[.findings[] | select(.check=="reachability")][0].status' "$T_DIR/r.out")" "1 FAIL" \
    "a node that does not answer: [FAIL], exit 1"
R "$LS" check --server "$(url A)" --password "$PW" --fix-trust --password-file /nonexistent
is "$RC" 2 "an unreadable --password-file: usage (2)"

done_testing
