#!/bin/bash
# test_lstool.sh: lstool list, get, register, update and unregister on a
# three-node domain (A; B and C joined to it):
#  - registrations made on A (from flags and from a JSON spec) are listed
#    on B and C, over HTTP and over LDAP, with the same output;
#  - the seed's runbook pipelines (sts-certs-and-psc-replication.txt)
#    print, byte for byte, the lines the seed shows, on every node:
#      lstool list --url … | grep -i "Service type: vcenterserver" -A9 |
#          egrep "Service Type:|Version|URL"
#      lstool list --url … | grep "Service Type:" | sort | uniq -c
#  - the seed's upgrade: an update of the version on one node reaches the
#    others (over LDAP on B, then read over HTTP); unregister with a
#    password file;
#  - bad input (missing fields, invalid URLs, unreadable certificates,
#    unknown ids, wrong password): a clear error, exit 1 (2 for usage),
#    {"error":{…}} with --json, and nothing written.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/repl_lib.sh"

LS=$top_builddir/lstool
PW=$ADMIN_PW
sdk() { echo "$(hurl "$1")/lookupservice/sdk"; }

ok "init and start A" eval 'node_init A && node_start A -o repl_interval=1' 
ok "join B" repl_join B A -o repl_interval=1
ok "join C" repl_join C A -o repl_interval=1

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T_DIR/m.key" -out "$T_DIR/m.pem" \
    -days 365 -subj /CN=vcsa1.gsslabs.org >/dev/null 2>&1
CERT=$(openssl x509 -in "$T_DIR/m.pem" -outform DER | base64 -w0)

# the seed's two vCenters and a handful of the service types it counts
reg_vc() { # ID NODE HOST
	"$LS" register --url "$(sdk A)" --password "$PW" --id "$1" --node-id "$2" \
	    --name "VMware vCenter Server" --description "vCenter Server" \
	    --product com.vmware.cis --type vcenterserver --version 6.7 \
	    --owner-id "vpxd-$2@vsphere.local" --attr com.vmware.cis.cm.GroupInternalId=com.vmware.vim.vcenter \
	    --endpoint "type=com.vmware.vim,protocol=vmomi,url=https://$3:443/sdk,trust=$T_DIR/m.pem,attr=com.vmware.vim.vcenter.instanceuuid=$1" \
	    --endpoint "type=com.vmware.vim.health,protocol=https,url=https://$3:443/health"
}
is "$(reg_vc vc-1 A vcsa1.gsslabs.org)" "Registered service vc-1" "register vcenterserver of A on A (flags)"
is "$(reg_vc vc-2 B vcsa2.gsslabs.org)" "Registered service vc-2" "register vcenterserver of B on A"
cat >"$T_DIR/sts.json" <<EOF
{"serviceId":"sts-1","name":"STS","product":"com.vmware.cis","type":"sso:sts","version":"6.7",
 "nodeId":"A","endpoints":[{"type":"com.vmware.cis.cs.identity.sso","protocol":"wsTrust",
 "url":"https://vcsa1.gsslabs.org/sts/STSService/vsphere.local","sslTrust":["$CERT"]}]}
EOF
is "$("$LS" register --url "$(sdk A)" --password "$PW" --spec "$T_DIR/sts.json")" \
    "Registered service sts-1" "register sso:sts from a JSON spec"
for t in cs.identity cs.license vsphereui; do
	for n in A B; do
		"$LS" register --url "$(sdk A)" --password "$PW" --id "$t-$n" --node-id "$n" \
		    --product com.vmware.cis --type "$t" --version 6.7 \
		    --endpoint "type=com.vmware.$t,protocol=https,url=https://vcsa1.gsslabs.org/$t" >/dev/null
	done
done
"$LS" register --url "$(sdk A)" --password "$PW" --id sts-2 --node-id B --product com.vmware.cis \
    --type sso:sts --version 6.7 --endpoint "type=com.vmware.cis.cs.identity.sso,protocol=wsTrust,url=https://vcsa2.gsslabs.org/sts" >/dev/null
is "$("$LS" register --server "$(url A)" --password "$PW" --id ldap-1 --node-id A --product p --type viaLdap \
    --version 1 --endpoint "type=e,protocol=https,url=https://vcsa1.gsslabs.org/x,trust=$T_DIR/m.pem,attr=k=v,w")" \
    "Registered service ldap-1" "register over LDAP (--server)"
NREG=11

count_on() { "$LS" list --url "$(sdk "$1")" --json | jq '.registrations | length'; }
count_is() { [ "$(count_on "$1")" == "$2" ]; }
for n in B C; do
	wait_ok "$n lists the $NREG registrations over HTTP" count_is "$n" $NREG
done

# the same output everywhere, over HTTP and LDAP
"$LS" list --url "$(sdk A)" >"$T_DIR/A.http"
"$LS" list --url "$(sdk A)" --json >"$T_DIR/A.json"
same_list() {
	"$LS" list --url "$(sdk "$1")" >"$T_DIR/$1.http" &&
	"$LS" list --server "$(url "$1")" --password "$PW" >"$T_DIR/$1.ldap" &&
	"$LS" list --server "$(url "$1")" --password "$PW" --json >"$T_DIR/$1.ldapjson" &&
	cmp -s "$T_DIR/A.http" "$T_DIR/$1.http" && cmp -s "$T_DIR/A.http" "$T_DIR/$1.ldap" &&
	cmp -s "$T_DIR/A.json" "$T_DIR/$1.ldapjson"
}
for n in A B C; do
	wait_ok "$n: list over HTTP and over LDAP print the same as A (text and --json)" same_list "$n"
done
is "$(grep -c $'^\tName: ' "$T_DIR/A.http")" $NREG "one record per registration"
is "$(awk -v RS= '/Service ID: vc-1\n/' "$T_DIR/A.http")" \
"	Name: VMware vCenter Server
	Description: vCenter Server
	Service Product: com.vmware.cis
	Service Type: vcenterserver
	Service ID: vc-1
	Site ID: Default-First-Site
	Node ID: A
	Owner ID: vpxd-A@vsphere.local
	Version: 6.7
	Endpoints:
		Type: com.vmware.vim
		Protocol: vmomi
		URL: https://vcsa1.gsslabs.org:443/sdk
		SSL trust: $CERT
		Endpoint Attributes:
			com.vmware.vim.vcenter.instanceuuid: vc-1
		Type: com.vmware.vim.health
		Protocol: https
		URL: https://vcsa1.gsslabs.org:443/health
		Endpoint Attributes:
	Service Attributes:
		com.vmware.cis.cm.GroupInternalId: com.vmware.vim.vcenter" \
    "a record: lstool.py's lines in its order, tab-indented, trust as base64 DER"
like "$(awk -v RS= '/Service ID: ldap-1\n/' "$T_DIR/A.http")" $'\t\t\tk: v,w' \
    "an endpoint attribute value keeps its comma"

# --- the seed's pipelines, on every node
vc_pipe() { "$LS" list --url "http://127.0.0.1:${NODE_HTTP[$1]}/lookupservice/sdk" |
    grep -i "Service type: vcenterserver" -A9 | egrep "Service Type:|Version|URL"; }
count_pipe() { "$LS" list --url "$(sdk "$1")" | grep "Service Type:" | sort | uniq -c; }
printf '\tService Type: vcenterserver\n\tVersion: 6.7\n\t\tURL: https://vcsa1.gsslabs.org:443/sdk\n\tService Type: vcenterserver\n\tVersion: 6.7\n\t\tURL: https://vcsa2.gsslabs.org:443/sdk\n' \
    >"$T_DIR/vc.want"
# the seed's lines as the blog prints them (indentation lost in HTML)
cat >"$T_DIR/vc.seed" <<'EOF'
Service Type: vcenterserver
Version: 6.7
URL: https://vcsa1.gsslabs.org:443/sdk
Service Type: vcenterserver
Version: 6.7
URL: https://vcsa2.gsslabs.org:443/sdk
EOF
for t in cs.identity cs.license sso:sts vcenterserver viaLdap vsphereui; do
	n=2; [ $t = viaLdap ] && n=1
	printf '%7d \tService Type: %s\n' $n $t
done >"$T_DIR/count.want"
for n in A B C; do
	vc_pipe "$n" >"$T_DIR/vc.$n"
	ok "$n: the seed's vcenterserver pipeline, byte for byte" cmp "$T_DIR/vc.want" "$T_DIR/vc.$n"
	ok "$n: ... and the seed's lines once indentation is dropped" \
	    cmp "$T_DIR/vc.seed" <(sed 's/^[[:space:]]*//' "$T_DIR/vc.$n")
	count_pipe "$n" >"$T_DIR/count.$n"
	ok "$n: the seed's count per service type, byte for byte" cmp "$T_DIR/count.want" "$T_DIR/count.$n"
done

# filters, get
is "$("$LS" list --url "$(sdk B)" --type VCENTERSERVER --node-id b | grep 'Service ID:')" $'\tService ID: vc-2' \
    "list --type --node-id (case ignored)"
is "$("$LS" list --server "$(url C)" --password "$PW" --ep-type com.vmware.vim.health | grep -c 'Service ID:')" 2 \
    "list --ep-type over LDAP"
is "$("$LS" list --url "$(sdk C)" --product nothing)" "" "a filter that matches nothing prints nothing"
is "$("$LS" get --url "$(sdk C)" --id sts-1 --json | jq -r '.endpoints[0].sslTrust[0] == "'"$CERT"'"')" true \
    "get --id --json on C: the trust as registered"
is "$("$LS" get --server "$(url B)" --password "$PW" --id STS-1 | grep -c 'Service ID: sts-1')" 1 \
    "get over LDAP (id without case)"

# --- the seed's upgrade: A's vCenter goes to 7.0 (update over LDAP on B)
is "$("$LS" update --server "$(url B)" --password "$PW" --id vc-1 --version 7.0)" "Updated service vc-1" \
    "update --version 7.0 over LDAP on B"
vc1_is() { [ "$("$LS" get --url "$(sdk "$1")" --id vc-1 --json | jq -r .version)" == "$2" ]; }
for n in A C; do wait_ok "$n sees vc-1 at 7.0" vc1_is "$n" 7.0; done
is "$(vc_pipe A | sed -n 2p)" $'\tVersion: 7.0' "the seed's pipeline shows 7.0 for vcsa1"
is "$("$LS" update --url "$(sdk A)" --password "$PW" --id vc-1 --version 7.0)" "Service vc-1 unchanged" \
    "an update that changes nothing writes nothing"
is "$("$LS" update --url "$(sdk C)" --password "$PW" --id vc-2 --ep-url https://vcsa2.gsslabs.org:8443/sdk --json |
    jq -r '[.endpoints[].url] | join(" ")')" "https://vcsa2.gsslabs.org:8443/sdk https://vcsa2.gsslabs.org:8443/sdk" \
    "update --ep-url sets every endpoint's URL (HTTP on C)"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T_DIR/n.key" -out "$T_DIR/n.pem" -days 365 \
    -subj /CN=new >/dev/null 2>&1
NEW=$(openssl x509 -in "$T_DIR/n.pem" -outform DER | base64 -w0)
is "$("$LS" update --server "$(url A)" --password "$PW" --id ldap-1 --trust "$T_DIR/n.pem" --json |
    jq -r '.endpoints[0].sslTrust[0] == "'"$NEW"'"')" true "update --trust over LDAP"

# --- bad input: nothing written
before=$("$LS" list --url "$(sdk A)" --json)
R() { "$@" >"$T_DIR/r.out" 2>"$T_DIR/r.err"; RC=$?; ERR=$(cat "$T_DIR/r.err"); OUT=$(cat "$T_DIR/r.out"); }
R "$LS" register --url "$(sdk A)" --password "$PW" --id bad-1 --product p --version 1
is "$RC $ERR" "1 lstool: missing field 'type'" "register without --type: missing field 'type'"
R "$LS" register --server "$(url A)" --password "$PW" --id bad-1 --product p --type t --version 1 \
    --endpoint "type=e,url=https://x/"
is "$RC $ERR" "1 lstool: missing field 'endpoints[0].protocol'" "an endpoint without protocol (LDAP)"
R "$LS" register --url "$(sdk A)" --password "$PW" --id bad-1 --product p --type t --version 1 \
    --endpoint "type=e,protocol=https,url=not a url"
is "$RC $ERR" "1 lstool: 'endpoints[0].url' is not a URL (scheme://host[:port]/path): 'not a url'" \
    "an endpoint URL that is not one"
R "$LS" register --url "$(sdk A)" --password "$PW" --id bad-1 --product p --type t --version 1 \
    --endpoint "type=e,protocol=https,url=https://x:99999/"
is "$RC" 1 "an endpoint URL with a bad port"
R "$LS" register --url "$(sdk A)" --password "$PW" --id bad-1 --product p --type t --version 1 \
    --endpoint "type=e,protocol=https,url=https://x/,trust=$T_DIR/nope.pem"
is "$RC $ERR" "1 lstool: cannot read certificate $T_DIR/nope.pem: No such file or directory" \
    "an unreadable trust certificate"
echo "not a certificate" >"$T_DIR/junk.pem"
R "$LS" register --url "$(sdk A)" --password "$PW" --id bad-1 --product p --type t --version 1 \
    --endpoint "type=e,protocol=https,url=https://x/,trust=$T_DIR/junk.pem"
is "$RC $ERR" "1 lstool: $T_DIR/junk.pem holds no certificate (PEM or DER)" "a file without a certificate"
R "$LS" register --url "$(sdk A)" --password "$PW" --id 'bad id' --product p --type t --version 1
like "$RC $ERR" "^1 lstool: 'serviceId' must be" "a serviceId with a space"
R "$LS" register --url "$(sdk A)" --password "$PW" --id vc-1 --product p --type t --version 1
is "$RC $ERR" "1 lstool: serviceId vc-1 is registered already" "a serviceId that is taken (HTTP)"
R "$LS" register --server "$(url A)" --password "$PW" --id vc-1 --product p --type t --version 1
is "$RC $ERR" "1 lstool: serviceId vc-1 is registered already" "a serviceId that is taken (LDAP)"
R "$LS" register --url "$(sdk A)" --password wrong --id bad-1 --product p --type t --version 1
like "$RC $ERR" "^1 lstool: .*(credentials|password)" "a wrong password: refused"
R "$LS" register --url "$(sdk A)" --password "$PW" --id bad-1 --product p --type t --version 1 --site Nowhere
like "$RC $ERR" "^1 lstool: siteId Nowhere is not a site" "an unknown site (HTTP)"
R "$LS" register --server "$(url A)" --password "$PW" --id bad-1 --product p --type t --version 1 --site Nowhere
is "$RC $ERR" "1 lstool: siteId Nowhere is not a site of the domain" "an unknown site (LDAP)"
echo '{"product":"p","type":"t","version":"1","color":"red"}' >"$T_DIR/bad.json"
R "$LS" register --url "$(sdk A)" --password "$PW" --spec "$T_DIR/bad.json"
is "$RC $ERR" "1 lstool: unknown member 'color'" "a spec with an unknown member"
echo '{"product":' >"$T_DIR/bad2.json"
R "$LS" register --url "$(sdk A)" --password "$PW" --spec "$T_DIR/bad2.json"
like "$RC $ERR" "^1 lstool: --spec .*bad2.json: " "a spec that is not JSON"
for tr in "--url $(sdk A)" "--server $(url A)"; do
	# shellcheck disable=SC2086
	R "$LS" get $tr --password "$PW" --id nope
	is "$RC $ERR" "1 lstool: no registration with serviceId nope" "get an unknown id (${tr%% *})"
	# shellcheck disable=SC2086
	R "$LS" update $tr --password "$PW" --id nope --version 2
	is "$RC $ERR" "1 lstool: no registration with serviceId nope" "update an unknown id (${tr%% *})"
	# shellcheck disable=SC2086
	R "$LS" unregister $tr --password "$PW" --id nope
	is "$RC $ERR" "1 lstool: no registration with serviceId nope" "unregister an unknown id (${tr%% *})"
done
R "$LS" update --url "$(sdk A)" --password "$PW" --id vc-1 --trust "$T_DIR/junk.pem"
is "$RC" 1 "update --trust with a file without a certificate"
R "$LS" get --url "$(sdk A)" --id nope --json
is "$RC $(jq -c . "$T_DIR/r.out")" '1 {"error":{"code":404,"message":"no registration with serviceId nope"}}' \
    "--json: the error object"
R "$LS" list --url "htp:/bad"
is "$RC $ERR" "1 lstool: invalid URL 'htp:/bad' (http://HOST:PORT/lookupservice/sdk or https://…)" "list --url with an invalid URL"
R "$LS" list --url "http://127.0.0.1:1/lookupservice/sdk"
like "$RC $ERR" "^1 lstool: cannot connect to 127.0.0.1:1" "list from a port nobody serves"
R "$LS" list
is "$RC" 2 "list without a transport: usage (2)"
R "$LS" get --url "$(sdk A)"
is "$RC" 2 "get without --id: usage (2)"
R "$LS" unregister --url "$(sdk A)" --id vc-1 </dev/null
is "$RC" 2 "unregister without a password and no terminal: usage (2)"
R "$LS" frobnicate
is "$RC" 2 "an unknown command: usage (2)"
R "$LS" list --url "$(sdk A)" --server "$(url A)"
is "$RC" 2 "--url and --server together: usage (2)"
is "$("$LS" list --url "$(sdk A)" --json)" "$before" "nothing was written by the bad input"

# --- unregister (password from a file) everywhere
printf '%s\n' "$PW" >"$T_DIR/pw"
is "$("$LS" unregister --url "$(sdk C)" --user administrator@vsphere.local --password-file "$T_DIR/pw" --id vsphereui-B)" \
    "Unregistered service vsphereui-B" "unregister --password-file on C"
is "$("$LS" unregister --server "$(url B)" --password "$PW" --id ldap-1 --json | jq -c .)" \
    '{"serviceId":"ldap-1","deleted":true}' "unregister over LDAP on B (--json)"
for n in A B C; do wait_ok "$n lists $((NREG - 2)) registrations" count_is "$n" $((NREG - 2)); done
gone() { ! adm_search "$1" -b "cn=ServiceRegistrations,cn=LookupService,$SITE_DN" "(|(cn=ldap-1)(cn=vsphereui-B))" 1.1 | grep -q '^dn:'; }
ok "the entries (and children) are gone over LDAP" gone A

# the password prompt, on a terminal (typed when "Password: " shows)
out=$(python3 - "$PW" "$LS" unregister --url "$(sdk A)" --id vsphereui-A <<'PY'
import os, pty, select, signal, sys, time
pw, cmd = sys.argv[1], sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(cmd[0], cmd)
out, typed, end = b"", False, time.monotonic() + 30
while time.monotonic() < end:
    if not select.select([fd], [], [], 0.5)[0]:
        continue
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
    if not typed and b"Password: " in out:
        os.write(fd, pw.encode() + b"\n")
        typed = True
if time.monotonic() >= end:
    os.kill(pid, signal.SIGKILL)
os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace").replace("\r\n", "\n"))
PY
)
like "$out" "Unregistered service vsphereui-A" "unregister asks for the password on a terminal"
ok "the password was not echoed" sh -c "! printf '%s' '$out' | grep -qF -- '$PW'"

ok "lstool --help exits 0" "$LS" --help

done_testing
