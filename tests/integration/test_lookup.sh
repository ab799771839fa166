#!/bin/bash
# test_lookup.sh: lookup-service registrations are directory entries that
# replicate. Two nodes (A, and B joined to it):
#  - registered on A over HTTP, the same registrations are listed on B
#    over HTTP and found on B over LDAP (ldapsearch), with endpoints,
#    trust certificates and attributes as child entries;
#  - the filters (type, product, epType, nodeId, id) on both nodes; get by
#    id; an unknown id 404;
#  - an update on A (a new version, a new URL, an endpoint fewer) is
#    written as modifies: only the changed attributes' metadata moves; it
#    reaches B; an update on B reaches A; an unregister removes the
#    registration and its children on both;
#  - B's /health shows A as a partner with backlog 0 once caught up, and
#    /metrics the registrations.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/repl_lib.sh"

PY=/usr/bin/python3
ADMIN="administrator@vsphere.local:$ADMIN_PW"
REGS="cn=ServiceRegistrations,cn=LookupService,$SITE_DN"

ok "init and start A" repl_init A
ok "join and start B" repl_join B A
ok "--init made the registrations' containers" has_dn A "$REGS"

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T_DIR/key.pem" -out "$T_DIR/cert.pem" \
    -days 30 -subj /CN=a.example >/dev/null 2>&1
CERT=$(openssl x509 -in "$T_DIR/cert.pem" -outform DER | base64 -w0)

# reg ID TYPE VERSION [NODE]: a registration's JSON
reg() {
	cat <<EOF
{"serviceId":"$1","name":"$2 service","description":"The $2","product":"com.vmware.cis",
 "type":"$2","version":"$3","nodeId":"${4:-A}","ownerId":"owner-$1@vsphere.local",
 "attributes":[{"key":"com.vmware.cis.cm.GroupInternalId","value":"com.vmware.$2"}],
 "endpoints":[
  {"type":"com.vmware.$2.ep","protocol":"vmomi","url":"https://a.example/$2",
   "sslTrust":["$CERT"],"attributes":[{"key":"cap","value":"one"},{"key":"cap2","value":""}]},
  {"type":"com.vmware.$2.health","protocol":"https","url":"https://a.example/$2/health"}]}
EOF
}
post() { curl -s -m 10 -o "$T_DIR/body" -w '%{http_code}' -u "$ADMIN" \
    --data-binary @- "$(hurl "$1")/lookupservice/sdk"; }
# list NODE [QUERY]: the serviceIds listed, sorted, on one line
list() { curl -s -m 10 "$(hurl "$1")/lookupservice/sdk${2:+?$2}" |
    $PY -c 'import json,sys; print(" ".join(r["serviceId"] for r in json.load(sys.stdin)["registrations"]))'; }
# full NODE: the whole list, canonical JSON
full() { curl -s -m 10 "$(hurl "$1")/lookupservice/sdk" | $PY -c 'import json,sys; print(json.dumps(json.load(sys.stdin), sort_keys=True))'; }
same_lists() { [ "$(full A)" == "$(full B)" ]; }
# list_is NODE QUERY WANT: the list is WANT
list_is() { [ "$(list "$1" "$2")" == "$3" ]; }

is "$(reg vc-1 vcenterserver 6.7 | post A)" 201 "register vcenterserver on A"
is "$(reg sts-1 sso:sts 6.7 | post A)" 201 "register sso:sts on A"
is "$(reg lic-b cs.license 6.7 B | post A)" 201 "register cs.license (node B) on A"
is "$(list A)" "lic-b sts-1 vc-1" "A lists the three, by serviceId"
wait_ok "B lists the same three over HTTP" list_is B "" "lic-b sts-1 vc-1"
wait_until same_lists
ok "A and B return identical JSON" same_lists
full A >"$T_DIR/a.json"
is "$($PY -c 'import json,sys; j=json.load(open(sys.argv[1]))["registrations"]; r=[x for x in j if x["serviceId"]=="vc-1"][0]
e=r["endpoints"][0]
print(r["version"], r["nodeId"], r["ownerId"], r["attributes"][0]["key"], len(r["endpoints"]), e["url"], e["sslTrust"][0] == sys.argv[2], e["attributes"])' "$T_DIR/a.json" "$CERT")" \
    "6.7 A owner-vc-1@vsphere.local com.vmware.cis.cm.GroupInternalId 2 https://a.example/vcenterserver True [{'key': 'cap', 'value': 'one'}, {'key': 'cap2', 'value': ''}]" \
    "the registration reads back whole: fields, attributes, endpoints, trust"

# over LDAP on B
ok "B has the registration entry over LDAP" has_dn B "cn=vc-1,$REGS"
is "$(adm_search B -b "$REGS" "(&(objectClass=vmwLKUPServiceRegistration)(vmwLKUPType=vcenterserver))" \
    vmwLKUPServiceId vmwLKUPVersion vmwLKUPDeploymentNodeId | grep -v '^dn:' | sort | tr '\n' ' ')" \
    " vmwLKUPDeploymentNodeId: A vmwLKUPServiceId: vc-1 vmwLKUPVersion: 6.7 " \
    "ldapsearch on B finds it by type, with version and node id"
is "$(adm_search B -b "cn=vc-1,$REGS" "(objectClass=vmwLKUPEndpointRegistration)" vmwLKUPURI |
    sed -n 's/^vmwLKUPURI: //p' | sort | tr '\n' ' ')" \
    "https://a.example/vcenterserver https://a.example/vcenterserver/health " \
    "ldapsearch on B: its two endpoint entries"
is "$(adm_search B -b "cn=Endpoint1,cn=vc-1,$REGS" vmwLKUPEndpointSslTrust | sed -n 's/^vmwLKUPEndpointSslTrust: //p')" \
    "$CERT" "ldapsearch on B: the endpoint's trust certificate (base64 DER)"
is "$(adm_search B -b "cn=Endpoint1,cn=vc-1,$REGS" -s one "(objectClass=vmwLKUPProperty)" \
    vmwLKUPPropertyName | sed -n 's/^vmwLKUPPropertyName: //p' | sort | tr '\n' ' ')" "cap cap2 " \
    "ldapsearch on B: the endpoint's attributes as vmwLKUPProperty children"
is "$(adm_search B -b "$REGS" -s one "(objectClass=vmwLKUPServiceRegistration)" 1.1 | grep -c '^dn:')" 3 \
    "ldapsearch on B counts three registrations"

# filters, on both nodes
for n in A B; do
	is "$(list $n type=vcenterserver)" "vc-1" "$n: type=vcenterserver"
	is "$(list $n type=VCenterServer)" "vc-1" "$n: type matches without case"
	is "$(list $n product=com.vmware.cis)" "lic-b sts-1 vc-1" "$n: product"
	is "$(list $n product=other)" "" "$n: an unknown product lists nothing"
	is "$(list $n epType=com.vmware.sso%3Asts.health)" "sts-1" "$n: epType (percent-encoded)"
	is "$(list $n nodeId=B)" "lic-b" "$n: nodeId=B"
	is "$(list $n 'nodeId=A&type=sso:sts')" "sts-1" "$n: two filters at once"
	is "$(list $n id=vc-1)" "vc-1" "$n: id"
done
is "$(curl -s -o /dev/null -w '%{http_code}' "$(hurl B)/lookupservice/sdk/sts-1")" 200 "B: get sts-1"
is "$(curl -s -o /dev/null -w '%{http_code}' "$(hurl B)/lookupservice/sdk/nope")" 404 "B: get an unknown id: 404"
is "$(curl -s "$(hurl B)/metrics" | grep '^trellis_lookup_registrations ')" "trellis_lookup_registrations 3" \
    "B's metrics count three registrations"

# --- update on A: a new version and URL, one endpoint fewer
meta() { adm_search "$1" -b "$2" -s base attributeMetaData |
    sed -n "s/^attributeMetaData: \\($3\\):[0-9]*:\\([0-9]*\\):.*/\\2/p"; }
is "$(meta A "cn=vc-1,$REGS" vmwlkupversion)" 1 "before the update: version's metadata version 1"
sed -e 's/"version":"6.7"/"version":"7.0"/' -e 's|https://a.example/vcenterserver"|https://a.example:443/vc"|' \
    <(reg vc-1 vcenterserver 6.7) | $PY -c 'import json,sys; j=json.load(sys.stdin); j["endpoints"].pop(); print(json.dumps(j))' \
    >"$T_DIR/upd.json"
is "$(curl -s -o "$T_DIR/body" -w '%{http_code}' -u "$ADMIN" -X PUT --data-binary @"$T_DIR/upd.json" \
    "$(hurl A)/lookupservice/sdk/vc-1")" 200 "update vc-1 on A: 200"
is "$($PY -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["version"], len(j["endpoints"]), j["endpoints"][0]["url"])' "$T_DIR/body")" \
    "7.0 1 https://a.example:443/vc" "the answer is the registration as now stored"
is "$(meta A "cn=vc-1,$REGS" vmwlkupversion) $(meta A "cn=vc-1,$REGS" vmwlkupproduct)" "2 1" \
    "written as a modify: version's metadata moved, product's did not"
is "$(meta A "cn=Endpoint1,cn=vc-1,$REGS" vmwlkupuri) $(meta A "cn=Endpoint1,cn=vc-1,$REGS" vmwlkupendpointtype)" \
    "2 1" "the endpoint: URL's metadata moved, type's did not"
vc_on() { curl -s "$(hurl "$1")/lookupservice/sdk/vc-1" | $PY -c 'import json,sys; j=json.load(sys.stdin); print(j["version"], len(j["endpoints"]), j["endpoints"][0]["url"])'; }
vc_is() { [ "$(vc_on "$1")" == "$2" ]; }
wait_ok "B sees version 7.0 and the new URL" vc_is B "7.0 1 https://a.example:443/vc"
wait_until no_dn B "cn=Endpoint2,cn=vc-1,$REGS"
ok "the dropped endpoint is gone on B" no_dn B "cn=Endpoint2,cn=vc-1,$REGS"
is "$(curl -s -o /dev/null -w '%{http_code}' -u "$ADMIN" -X PUT --data-binary '{"serviceId":"other","product":"p","type":"t","version":"1"}' \
    "$(hurl A)/lookupservice/sdk/vc-1")" 400 "a serviceId in the body that differs from the URL: 400"
is "$(curl -s -o /dev/null -w '%{http_code}' -u "$ADMIN" -X PUT --data-binary '{"product":"p","type":"t","version":"1"}' \
    "$(hurl A)/lookupservice/sdk/nope")" 404 "update of an unknown id: 404"

# --- update on B reaches A
sed 's/"version":"6.7"/"version":"6.7.1"/' <(reg sts-1 sso:sts 6.7) >"$T_DIR/upd2.json"
is "$(curl -s -o /dev/null -w '%{http_code}' -u "$ADMIN" -X PUT --data-binary @"$T_DIR/upd2.json" \
    "$(hurl B)/lookupservice/sdk/sts-1")" 200 "update sts-1 on B"
wait_ok "A lists sts-1 at 6.7.1" sh -c "curl -s '$(hurl A)/lookupservice/sdk/sts-1' | grep -q '\"version\":\"6.7.1\"'"

# --- unregister on A
is "$(curl -s -o /dev/null -w '%{http_code}' -u "$ADMIN" -X DELETE "$(hurl A)/lookupservice/sdk/lic-b")" 200 \
    "unregister lic-b on A"
is "$(list A)" "sts-1 vc-1" "A lists two"
wait_ok "B lists two" list_is B "" "sts-1 vc-1"
wait_until no_dn B "cn=lic-b,$REGS"
ok "the entry and its children are gone on B (LDAP)" sh -c "! ldapsearch -x -LLL -H '$(url B)' -D '$ADMIN_DN' -w '$ADMIN_PW' \
    -b '$REGS' '(|(cn=lic-b)(vmwLKUPURI=*cs.license*))' 1.1 | grep -q '^dn:'"
wait_until same_lists
ok "A and B return identical JSON at the end" same_lists

# --- health on B
caught_up() {
	curl -s "$(hurl B)/health" | $PY -c 'import json,sys; j=json.load(sys.stdin)
p=[x for x in j["partners"] if x["uri"]==sys.argv[1]]
assert p and p[0]["backlog"] == 0 and p[0]["lastSuccess"], j' "$(url A)"
}
wait_ok "B's health shows A with backlog 0 and a last success" caught_up
curl -s "$(hurl B)/health" >"$T_DIR/h.json"
is "$($PY -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["status"], j["state"], len(j["partners"]))' "$T_DIR/h.json")" \
    "ok Normal 1" "B's health: ok, Normal, one partner"
ok "B's metrics carry A's backlog and last success" sh -c "curl -s '$(hurl B)/metrics' |
    grep -q '^trellis_replication_backlog{partner=\"$(url A)\"} 0\$'"

done_testing
