#!/usr/bin/env bash
# test_tools.sh: the operator tools against a real two-node domain: node a
# made with --init, node b joined to it. vdcadmintool's menu (the runbook's
# "echo 6 | vdcadmintool") and flags, node state and its effect on writes,
# password reset; vdcrepadmin's showpartnerstatus shape (the runbook's
# lines), showservers, showpartners, showattributemetadata, showutdvector,
# showfederationstatus, showconflicts, agreements, --json, usage errors
# (exit 2), failures (exit 1) and a partner that is down. Every tool's
# addresses (-h HOST[:PORT], ldap:// and ldapi:// URIs, the local socket
# and its fallback), errors on stderr and JSON failures.
set -u
. "$(dirname "$0")/lib.sh"

REPADMIN=$top_builddir/vdcrepadmin
ADMINTOOL=$top_builddir/vdcadmintool
# R CMD...: runs CMD, keeps its output in OUT and its exit status in RC.
R() { OUT=$("$@" 2>&1); RC=$?; }
# line N: the Nth line of OUT.
line() { sed -n "${1}p" <<<"$OUT"; }
vals() { sed -n "s/^$1: //Ip"; }
json_ok() { python3 -c 'import json,sys; json.load(sys.stdin)' <<<"$1"; }
# jq_py EXPR: evaluates EXPR on the JSON in OUT bound to j.
jq_py() { python3 -c "import json,sys; j=json.load(sys.stdin); print($1)" <<<"$OUT"; }
rep() { "$REPADMIN" "$@"; }
adm() { "$ADMINTOOL" -H "$(url a)" -w "$ADMIN_PW" "$@"; }
USR_A() { echo "-u administrator -w $ADMIN_PW"; }

node_init a || { echo "Bail out! vmdird --init failed"; cat "$T_DIR/a/init.log"; exit 1; }
node_start a || { echo "Bail out! node a does not start"; exit 1; }
PORT_A=${NODE_PORT[a]}
PORT_B=$(free_port)
NODE_PORT[b]=$PORT_B
mkdir -p "$T_DIR/b"
"$VMDIRD" --join "$(url a)" -d "$T_DIR/b/data" --password "$ADMIN_PW" --node b \
    -p "$PORT_B" --schema-dir "$SCHEMA_DIR" >"$T_DIR/b/join.log" 2>&1 ||
    { echo "Bail out! vmdird --join failed"; cat "$T_DIR/b/join.log"; exit 1; }
node_start b || { echo "Bail out! node b does not start"; exit 1; }
SITE="cn=Default-First-Site,cn=Sites,cn=Configuration,$BASE"

# converged: both nodes report their partner 0 changes behind, with its
# mark at their last change number (a partner's pull may hold back the
# echo of its own change for up to 500 ms before its mark moves there).
converged() {
	local h out
	for h in "$PORT_A" "$PORT_B"; do
		out=$(rep -f showpartnerstatus -h "127.0.0.1:$h" $(USR_A) 2>/dev/null)
		grep -qx 'Partner is 0 changes behind.' <<<"$out" || return 1
		[ "$(sed -n 's/^My last change number: *//p' <<<"$out")" = \
		    "$(sed -n 's/^Partner has seen my change number: *//p' <<<"$out")" ] || return 1
	done
}
wait_converged() {
	local i
	for i in $(seq 1 100); do
		converged && return 0
		sleep 0.1
	done
	return 1
}

# ------------------------------------------------------------ vdcadmintool
R "$ADMINTOOL" --help
is "$RC" 0 "vdcadmintool --help exits 0"
like "$OUT" '--get-state' "vdcadmintool --help lists --get-state"
R "$ADMINTOOL" --bogus
is "$RC" 2 "vdcadmintool: unknown option exits 2"
R "$ADMINTOOL" --get-state --replicate
is "$RC" 2 "vdcadmintool: two actions exit 2"

R adm <<<"6"
is "$RC" 0 "echo 6 | vdcadmintool exits 0"
for l in '0. exit' '1. Test LDAP connectivity' '2. Force start replication cycle' \
    '3. Reset account password' '4. Set log level and mask' '5. Set vmdir state' \
    '6. Get vmdir state' '7. Get vmdir log level and mask'; do
	ok "menu line '$l'" grep -qxF -- "$l" <<<"$OUT"
done
ok "echo 6 | vdcadmintool prints ' VmDir State is - Normal'" \
    grep -qxF ' VmDir State is - Normal' <<<"$OUT"
R env VMDIR_URI="$(url a)" VMDIR_PASSWORD="$ADMIN_PW" "$ADMINTOOL" <<<"6"
ok "vdcadmintool takes VMDIR_URI and VMDIR_PASSWORD" \
    grep -qxF ' VmDir State is - Normal' <<<"$OUT"

R adm <<<"7"
ok "menu 7 prints the log level" grep -qxF ' VmDir log level is - info' <<<"$OUT"
R adm < <(printf '4\ndebug\n7\n')
ok "menu 4 asks for a level" grep -qF 'Enter log level (error|warn|info|debug|trace): ' <<<"$OUT"
is "$(grep -c '^ VmDir log level is - debug$' <<<"$OUT")" 2 "menu 4 sets debug, menu 7 reads it back"
R adm --set-log-level info
is "$OUT" " VmDir log level is - info" "--set-log-level info"
R adm --set-log-level loud
is "$RC" 2 "--set-log-level with an unknown level is a usage error (exit 2)"

R adm < <(printf '5\nREAD_ONLY\n')
is "$RC" 0 "menu 5 READ_ONLY exits 0"
ok "menu 5 asks 'Enter state (NORMAL|READ_ONLY|STANDALONE): '" \
    grep -qF 'Enter state (NORMAL|READ_ONLY|STANDALONE): ' <<<"$OUT"
ok "menu 5 answers ' VmDir State is - Read only'" grep -qxF ' VmDir State is - Read only' <<<"$OUT"
R adm <<<"6"
ok "echo 6 prints ' VmDir State is - Read only'" grep -qxF ' VmDir State is - Read only' <<<"$OUT"
R adm_add a <<EOF
dn: cn=ro-test,cn=Users,$BASE
objectClass: inetOrgPerson
cn: ro-test
sn: ro
EOF
is "$RC" 53 "read-only node refuses a write with unwillingToPerform (53)"
R adm --set-state NORMAL
is "$OUT" " VmDir State is - Normal" "--set-state NORMAL"
R adm --get-state --json
ok "--get-state --json is JSON" json_ok "$OUT"
is "$(jq_py 'j["state"]')" Normal "--get-state --json state is Normal"
R adm_add a <<EOF
dn: cn=ro-test,cn=Users,$BASE
objectClass: inetOrgPerson
cn: ro-test
sn: ro
userPassword: Old-Pass-1
EOF
is "$RC" 0 "back in Normal, the write succeeds"
R adm --set-state SIDEWAYS
is "$RC" 2 "--set-state with an unknown state is a usage error (exit 2)"

R adm --test
is "$RC" 0 "--test connects and binds"
R "$ADMINTOOL" -H "$(url a)" -w wrong-password --test
is "$RC" 1 "--test with a wrong password exits 1"
like "$OUT" 'failed\. Error \[.*\] \[49\]' "--test with a wrong password says why"
R adm <<<"1"
ok "menu 1 reports success" grep -q 'Test LDAP connectivity .*succeeded' <<<"$OUT"
R adm <<<"2"
ok "menu 2 starts a replication cycle" grep -qxF ' Force start replication cycle succeeded' <<<"$OUT"
# Menu 3 as VMware's KB types it: the account's UPN, a bare name or a DN;
# the server generates the password, printed on the line after
# "New password is -".
newpw() { sed -n '/^New password is -$/{n;p;}' <<<"$OUT"; }
R adm < <(printf '3\ncn=ro-test,cn=Users,%s\n' "$BASE")
is "$RC" 0 "menu 3 resets a password (account as a DN)"
ok "menu 3 asks '  Please enter account UPN : '" grep -qF '  Please enter account UPN : ' <<<"$OUT"
ok "menu 3 prints 'New password is -'" grep -qx 'New password is -' <<<"$OUT"
PW1=$(newpw)
ok "the generated password binds" ldapwhoami -x -H "$(url a)" -D "cn=ro-test,cn=Users,$BASE" -w "$PW1"
R adm_add a <<EOF
dn: cn=kb-user,cn=Users,$BASE
objectClass: user
cn: kb-user
sn: kb
userPrincipalName: kb-user@vsphere.local
sAMAccountName: kbuser
userPassword: Old-Pass-1
EOF
is "$RC" 0 "an account with a UPN"
R adm <<<$'3\nkb-user@vsphere.local'
is "$RC" 0 "menu 3 takes a UPN"
PW2=$(newpw)
ok "the password generated for the UPN binds" \
    ldapwhoami -x -H "$(url a)" -D "cn=kb-user,cn=Users,$BASE" -w "$PW2"
R adm <<<$'3\nkb-user'
is "$RC" 0 "menu 3 takes a bare name (name@domain)"
PW3=$(newpw)
ok "a new password for the bare name" test -n "$PW3" -a "$PW3" != "$PW2"
ok "the password generated for the bare name binds" \
    ldapwhoami -x -H "$(url a)" -D "kb-user@vsphere.local" -w "$PW3"
R adm <<<$'3\nkbuser'
is "$RC" 0 "menu 3 takes a sAMAccountName"
R adm <<<$'3\nnobody@vsphere.local'
is "$RC" 1 "menu 3 with an unknown account fails"
like "$OUT" 'failed\. Error \[no account nobody@vsphere\.local\] \[32\]' "menu 3: unknown account, noSuchObject"
R adm --reset-password kb-user@vsphere.local --json
is "$RC" 0 "--reset-password --json exits 0"
is "$(jq_py 'j["account"].lower()')" "cn=kb-user,cn=users,$BASE" "--reset-password --json names the account's DN"
ok "--reset-password --json's password binds" \
    ldapwhoami -x -H "$(url a)" -D "cn=kb-user,cn=Users,$BASE" -w "$(jq_py 'j["password"]')"
R adm <<<"9"
is "$RC" 1 "an unknown menu choice exits 1"
R adm <<<"0"
is "$RC" 0 "menu 0 exits 0"

# ------------------------------------------- every tool: addresses and errors
# (wrong passwords as "nobody": the Administrator must not get locked out)
DEAD=127.0.0.1:$(free_port)
R "$ADMINTOOL" -h "$DEAD" -w "$ADMIN_PW" --set-state bogus
is "$RC" 2 "--set-state bogus: usage error (exit 2) before any server is asked"
R "$ADMINTOOL" -h "$DEAD" -w "$ADMIN_PW" --set-log-level loud
is "$RC" 2 "--set-log-level loud: usage error (exit 2) before any server is asked"
R "$ADMINTOOL" -h "127.0.0.1:$PORT_A" -w "$ADMIN_PW" --get-state
is "$OUT" " VmDir State is - Normal" "vdcadmintool -h HOST:PORT"
R "$ADMINTOOL" -h "ldap://127.0.0.1:$PORT_A" -w "$ADMIN_PW" --get-state
is "$OUT" " VmDir State is - Normal" "vdcadmintool -h ldap://HOST:PORT"
R "$ADMINTOOL" -H "127.0.0.1:$PORT_A" -w "$ADMIN_PW" --get-state
is "$OUT" " VmDir State is - Normal" "vdcadmintool -H HOST:PORT"
R "$ADMINTOOL" -h "ftp://127.0.0.1:$PORT_A" -w "$ADMIN_PW" --get-state
is "$RC" 2 "vdcadmintool -h with a non-LDAP URI: usage error"
R rep -f showservers -h "ldap://127.0.0.1:$PORT_A" $(USR_A)
is "$RC" 0 "vdcrepadmin -h ldap://HOST:PORT"
ERR=$("$ADMINTOOL" -h "127.0.0.1:$PORT_A" -u nobody -w wrong-password --get-state 2>&1 >/dev/null)
like "$ERR" 'Get vmdir state failed\. Error \[.*\] \[49\]' "vdcadmintool: errors go to stderr"
OUT=$(rep -f showservers -h "127.0.0.1:$PORT_A" -u nobody -w wrong-password 2>/dev/null)
is "$OUT" "" "vdcrepadmin: nothing on stdout when it fails"
ERR=$(rep -f showservers -h "127.0.0.1:$PORT_A" -u nobody -w wrong-password 2>&1 >/dev/null)
like "$ERR" '^Vdcrepadmin failed\. Error \[.*\] \[49\]$' "vdcrepadmin: the failure line goes to stderr"
OUT=$(rep -f showservers -h "127.0.0.1:$PORT_A" -u nobody -w wrong-password --json 2>/dev/null)
RC=$?
is "$RC" 1 "vdcrepadmin --json failure exits 1"
is "$(jq_py 'j["error"]["code"]')" 49 'vdcrepadmin --json failure: {"error": {"code": 49, ...}}'
like "$(jq_py 'j["error"]["message"]')" '[Ii]nvalid credentials' "vdcrepadmin --json failure: the message"
OUT=$("$ADMINTOOL" -h "127.0.0.1:$PORT_A" -u nobody -w wrong-password --get-state --json 2>/dev/null)
is "$(jq_py 'j["error"]["code"]')" 49 "vdcadmintool --json failure is a JSON object"
OUT=$(rep -f showservers -h "$DEAD" $(USR_A) --json 2>/dev/null)
is "$(jq_py 'j["error"]["code"]')" -1 "vdcrepadmin --json: a server that is down is a JSON object (code -1)"

# No host: the local socket ($TRELLIS_LDAPI) first, then ldap://localhost:389.
# A socket file nobody listens on refuses, as when vmdird is not running.
python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$T_DIR/refuses.sock"
R env TRELLIS_LDAPI="$T_DIR/refuses.sock" "$ADMINTOOL" --get-state
is "$RC" 1 "no host, no password, the socket refuses: exit 1"
like "$OUT" "ldapi://%2F.*refuses\.sock.*without a password" \
    "no host, no password: says the local socket did not answer (no anonymous fallback)"
R env TRELLIS_LDAPI="$T_DIR/refuses.sock" "$ADMINTOOL" -w "$ADMIN_PW" --get-state
is "$RC" 1 "no host, a password, the socket refuses: falls back (nothing on 389 here)"
like "$OUT" "ldap://localhost:389.*the local socket ldapi://%2F.*refuses\.sock did not answer either" \
    "the fallback tried ldap://localhost:389 after the socket"
R env TRELLIS_LDAPI="$T_DIR/refuses.sock" "$REPADMIN" -f showservers -w "$ADMIN_PW"
like "$OUT" "ldap://localhost:389.*refuses\.sock did not answer either" "vdcrepadmin without -h: the same fallback"
# a socket that answers (relayed to node a): the tools use it without -h
python3 "$top_srcdir/tests/integration/unixproxy.py" "$T_DIR/a.sock" 127.0.0.1 "$PORT_A" \
    >"$T_DIR/proxy.log" 2>&1 &
PROXY_PID=$!
wait_sock() { local i; for i in $(seq 1 100); do [ -S "$1" ] && return 0; sleep 0.05; done; return 1; }
ok "a local socket relayed to node a" wait_sock "$T_DIR/a.sock"
SOCK_URI="ldapi://$(sed 's|/|%2F|g' <<<"$T_DIR/a.sock")"
R env TRELLIS_LDAPI="$T_DIR/a.sock" "$ADMINTOOL" -w "$ADMIN_PW" <<<"6"
ok "echo 6 | vdcadmintool over \$TRELLIS_LDAPI" grep -qxF ' VmDir State is - Normal' <<<"$OUT"
R env TRELLIS_LDAPI="$T_DIR/a.sock" "$ADMINTOOL" -w "$ADMIN_PW" --test
like "$OUT" "Test LDAP connectivity to ldapi://%2F.*a\.sock as administrator succeeded" \
    "vdcadmintool --test names the socket it used"
R env TRELLIS_LDAPI="$SOCK_URI" "$ADMINTOOL" -w "$ADMIN_PW" --get-state
is "$OUT" " VmDir State is - Normal" "TRELLIS_LDAPI may be an ldapi:// URI"
R "$ADMINTOOL" -h "$SOCK_URI" -w "$ADMIN_PW" --get-state
is "$OUT" " VmDir State is - Normal" "vdcadmintool -h ldapi://PATH"
R env TRELLIS_LDAPI="$T_DIR/a.sock" "$REPADMIN" -f showservers -w "$ADMIN_PW"
ok "vdcrepadmin without -h over the local socket" grep -qxiF "cn=a,cn=Servers,$SITE" <<<"$OUT"
R "$REPADMIN" -f showservers -h "$SOCK_URI" -w "$ADMIN_PW"
ok "vdcrepadmin -h ldapi://PATH" grep -qxiF "cn=a,cn=Servers,$SITE" <<<"$OUT"
kill "$PROXY_PID" 2>/dev/null
wait "$PROXY_PID" 2>/dev/null

# ------------------------------------------------------------- vdcrepadmin
ok "the two nodes converge" wait_converged

R rep -f showpartnerstatus -h "127.0.0.1:$PORT_A" $(USR_A)
is "$RC" 0 "showpartnerstatus exits 0"
is "$(line 1)" "Partner: 127.0.0.1:$PORT_B" "showpartnerstatus: Partner line"
is "$(line 2)" "Host available:   Yes" "showpartnerstatus: Host available:   Yes"
is "$(line 3)" "Status available: Yes" "showpartnerstatus: Status available: Yes"
like "$(line 4)" '^My last change number:             [0-9]+$' "showpartnerstatus: My last change number"
like "$(line 5)" '^Partner has seen my change number: [0-9]+$' "showpartnerstatus: Partner has seen my change number"
is "$(line 6)" "Partner is 0 changes behind." "showpartnerstatus: 0 changes behind"
is "$(line 4 | awk '{print $NF}')" "$(line 5 | awk '{print $NF}')" "showpartnerstatus: last change number equals seen"
is "$(wc -l <<<"$OUT")" 6 "showpartnerstatus: one block of six lines"
SEEN=$(line 5 | awk '{print $NF}')
DSE_USN=$(ldapsearch -x -LLL -H "$(url a)" -b "" -s base highestCommittedUSN | vals highestCommittedUSN)
ok "partner has seen a USN no higher than node a's ($SEEN <= $DSE_USN)" test "$SEEN" -le "$DSE_USN"
R rep -f showpartnerstatus -h 127.0.0.1 -p "$PORT_A" $(USR_A)
is "$(line 1)" "Partner: 127.0.0.1:$PORT_B" "showpartnerstatus with -p PORT"
R rep -f showpartnerstatus -h "127.0.0.1:$PORT_B" $(USR_A)
is "$(line 1)" "Partner: 127.0.0.1:$PORT_A" "showpartnerstatus on b: Partner is a"
is "$(line 6)" "Partner is 0 changes behind." "showpartnerstatus on b: 0 changes behind"
R rep -f showpartnerstatus -h "127.0.0.1:$PORT_A" $(USR_A) --json
ok "showpartnerstatus --json is JSON" json_ok "$OUT"
is "$(jq_py 'j[0]["changesBehind"], j[0]["hostAvailable"]')" "0 True" "showpartnerstatus --json: 0 behind, host available"

R rep -f showservers -h "127.0.0.1:$PORT_A" $(USR_A)
is "$RC" 0 "showservers exits 0"
ok "showservers lists a" grep -qxiF "cn=a,cn=Servers,$SITE" <<<"$OUT"
ok "showservers lists b" grep -qxiF "cn=b,cn=Servers,$SITE" <<<"$OUT"
is "$(wc -l <<<"$OUT")" 2 "showservers: two servers"
R rep -f showservers -h "127.0.0.1:$PORT_A" $(USR_A) --json
ok "showservers --json is JSON" json_ok "$OUT"

R rep -f showpartners -h "127.0.0.1:$PORT_A" $(USR_A)
is "$OUT" "ldap://127.0.0.1:$PORT_B" "showpartners on a: b's URI"
R rep -f showpartners -h "127.0.0.1:$PORT_B" $(USR_A)
is "$OUT" "ldap://127.0.0.1:$PORT_A" "showpartners on b: a's URI"

R rep -f showattributemetadata -h "127.0.0.1:$PORT_A" $(USR_A) -e "$ADMIN_DN" -a sn
is "$RC" 0 "showattributemetadata exits 0"
is "$(line 1)" "Domain Controller: 127.0.0.1:$PORT_A" "showattributemetadata: Domain Controller line"
ok "showattributemetadata: Attribute: sn" grep -qxP '\tAttribute: sn' <<<"$OUT"
for f in 'Local USN' 'Version' 'Originating USN'; do
	ok "showattributemetadata: $f" grep -qP "^\t$f: [0-9]+\$" <<<"$OUT"
done
ok "showattributemetadata: Originating Id" grep -qP '^\tOriginating Id: [0-9a-f-]{36}$' <<<"$OUT"
ok "showattributemetadata: Originating time" grep -qP '^\tOriginating time: [0-9]{14}\.[0-9]{3}$' <<<"$OUT"
V1=$(sed -n 's/^\tVersion: //p' <<<"$OUT")
R adm_modify a <<EOF
dn: $ADMIN_DN
changetype: modify
replace: sn
sn: Changed-by-test
EOF
is "$RC" 0 "modify sn of the Administrator"
R rep -f showattributemetadata -h "127.0.0.1:$PORT_A" $(USR_A) -e "$ADMIN_DN" -a sn
V2=$(sed -n 's/^\tVersion: //p' <<<"$OUT")
ok "showattributemetadata: Version increases after a modify ($V1 -> $V2)" test "${V2:-0}" -gt "${V1:-0}"
R rep -f showattributemetadata -h "127.0.0.1:$PORT_A" $(USR_A) -e "$ADMIN_DN" --json
ok "showattributemetadata --json is JSON" json_ok "$OUT"
R rep -f showattributemetadata -h "127.0.0.1:$PORT_A" $(USR_A) -e "cn=nobody,$BASE"
is "$RC" 1 "showattributemetadata of a missing entry exits 1"
like "$OUT" '^Vdcrepadmin failed\. Error \[.*\] \[32\]$' "showattributemetadata of a missing entry: noSuchObject"

ok "the modify reaches b" wait_converged
R rep -f showattributemetadata -h "127.0.0.1:$PORT_B" $(USR_A) -e "$ADMIN_DN" -a sn
is "$(sed -n 's/^\tVersion: //p' <<<"$OUT")" "$V2" "b holds the same version of sn"

INV_A=$(ldapsearch -x -LLL -H "$(url a)" -b "" -s base invocationId | vals invocationId)
R rep -f showutdvector -h "127.0.0.1:$PORT_A" $(USR_A)
is "$RC" 0 "showutdvector exits 0"
like "$OUT" "^UTDVector: .*$INV_A:[0-9]+," "showutdvector holds a's invocationId"
R rep -f showutdvector -h "127.0.0.1:$PORT_A" $(USR_A) --json
ok "showutdvector --json is JSON" json_ok "$OUT"

R rep -f showfederationstatus -h "127.0.0.1:$PORT_A" $(USR_A)
is "$RC" 0 "showfederationstatus exits 0"
like "$OUT" "^a +ldap://127\.0\.0\.1:$PORT_A +$INV_A " "showfederationstatus: row for a"
like "$OUT" "^b +ldap://127\.0\.0\.1:$PORT_B " "showfederationstatus: row for b"
R rep -f showfederationstatus -h "127.0.0.1:$PORT_A" $(USR_A) --json
ok "showfederationstatus --json is JSON" json_ok "$OUT"

R rep -f showconflicts -h "127.0.0.1:$PORT_A" $(USR_A)
is "$OUT" "Number of conflicts: 0" "showconflicts: none"

# Agreements: b stops pulling from a, then pulls again.
R rep -f removeagreement -h "127.0.0.1:$PORT_A" -H "127.0.0.1:$PORT_B" $(USR_A)
is "$RC" 0 "removeagreement exits 0"
R rep -f showpartners -h "127.0.0.1:$PORT_B" $(USR_A)
is "$OUT" "" "after removeagreement b has no partner"
R rep -f removeagreement -h "127.0.0.1:$PORT_A" -H "127.0.0.1:$PORT_B" $(USR_A)
is "$RC" 1 "removing it again exits 1"
R rep -f createagreement -h "127.0.0.1:$PORT_A" -H "127.0.0.1:$PORT_B" $(USR_A)
is "$RC" 0 "createagreement exits 0"
R rep -f showpartners -h "127.0.0.1:$PORT_B" $(USR_A)
is "$OUT" "ldap://127.0.0.1:$PORT_A" "after createagreement b pulls from a again"
R rep -f createagreement -h "127.0.0.1:$PORT_A" -H "127.0.0.1:$PORT_B" $(USR_A)
is "$RC" 1 "creating it again exits 1"
like "$OUT" '^Vdcrepadmin failed\. Error \[.*\] \[68\]$' "creating it again: alreadyExists"
ok "the domain converges again" wait_converged

# Usage errors exit 2, failures 1.
R rep --help
is "$RC" 0 "vdcrepadmin --help exits 0"
like "$OUT" 'showpartnerstatus' "vdcrepadmin --help lists the features"
R rep -h "127.0.0.1:$PORT_A" $(USR_A)
is "$RC" 2 "no -f exits 2"
R rep -f nosuchfeature -h "127.0.0.1:$PORT_A" $(USR_A)
is "$RC" 2 "unknown feature exits 2"
R rep -f showservers -h "127.0.0.1:$PORT_A" -u administrator
is "$RC" 2 "missing -w exits 2"
R rep -f showservers -h "127.0.0.1:99999" $(USR_A)
is "$RC" 2 "bad port exits 2"
R rep -f showattributemetadata -h "127.0.0.1:$PORT_A" $(USR_A)
is "$RC" 2 "showattributemetadata without -e exits 2"
R rep -f createagreement -h "127.0.0.1:$PORT_A" $(USR_A)
is "$RC" 2 "createagreement without -H exits 2"
R rep -f showpartnerstatus -h "127.0.0.1:$PORT_A" -u administrator -w wrong-password
is "$RC" 1 "wrong password exits 1"
like "$OUT" '^Vdcrepadmin failed\. Error \[.*\] \[49\]$' "wrong password: 'Vdcrepadmin failed. Error [...] [49]'"

# A partner that is down.
node_stop b
R rep -f showpartnerstatus -h "127.0.0.1:$PORT_A" $(USR_A)
is "$RC" 0 "showpartnerstatus with b down exits 0"
is "$(line 1)" "Partner: 127.0.0.1:$PORT_B" "b down: Partner line"
is "$(line 2)" "Host available:   No" "b down: Host available:   No"
is "$(line 3)" "Status available: No" "b down: Status available: No"
is "$(wc -l <<<"$OUT")" 3 "b down: no change numbers"
R rep -f showfederationstatus -h "127.0.0.1:$PORT_A" $(USR_A)
like "$OUT" '^b +unreachable$' "showfederationstatus: b unreachable"
ok "node a survived everything" kill -0 "${NODE_PID[a]}"

done_testing
