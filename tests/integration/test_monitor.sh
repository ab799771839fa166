#!/bin/bash
# test_monitor.sh: the node's counters, kept in one place (vmdir/stats.c)
# and read through cn=monitor (ldapsearch) and vdcadmintool --monitor:
#  - exact deltas of requests by type, results by code, connections and
#    entries for a known sequence of client operations;
#  - failed binds counted there and in the root DSE alike;
#  - cn=monitor refused to anonymous and ordinary users (50);
#  - what a node supplied to replication partners: nothing alone; pulls
#    answered and entries sent to a joined node, whose pull then waits;
#  - per agreement: a joined node shows its partner's entry with a last
#    success and no backlog once caught up; with the partner stopped, the
#    failures, the last error and its time appear; scopes and a missing
#    agreement (32);
#  - vdcadmintool --monitor in text and JSON, and its failure.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/repl_lib.sh"

ok "init and start A" repl_init A
PA=${NODE_PORT[A]}

# mon NODE: vdcadmintool --monitor --json over TCP as the administrator
mon() { "$top_builddir/vdcadmintool" --monitor --json -H "$(url "$1")" -w "$ADMIN_PW"; }
# jq-free field access: mon_get FILE PYTHON-EXPR (j is the parsed JSON)
mon_get() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }

mon A >"$T_DIR/m0.json"
ok "vdcadmintool --monitor --json reads cn=monitor" test -s "$T_DIR/m0.json"
# a known sequence: three searches, an add, the same add again (68), a
# compare (true), a bind with a wrong password (49)
for i in 1 2 3; do adm_search A -b "$BASE" -s base 1.1 >/dev/null; done
for i in 1 2; do
	printf 'dn: cn=mon1,cn=Users,%s\nobjectClass: person\ncn: mon1\nsn: mon1\n' "$BASE" |
	    adm_add A >/dev/null 2>&1
done
ldapcompare -x -H "$(url A)" -D "$ADMIN_DN" -w "$ADMIN_PW" "cn=mon1,cn=Users,$BASE" sn:mon1 >/dev/null
ldapsearch -x -H "$(url A)" -D "$ADMIN_DN" -w wrong-password -b "$BASE" -s base 1.1 >/dev/null 2>&1
mon A >"$T_DIR/m1.json"

d() { echo $(( $(mon_get "$T_DIR/m1.json" "$1") - $(mon_get "$T_DIR/m0.json" "$1") )); }
# between the two reads: 3 searches + 2 adds + 1 compare + 1 failed bind
# + the second read's own bind, each on its own connection
is "$(d 'j["operations"]["bind"]')" 8 "binds counted: 8"
is "$(d 'j["operations"]["search"]')" 4 "searches counted: 4 (3 + the second read's)"
is "$(d 'j["operations"]["add"]')" 2 "adds counted: 2"
is "$(d 'j["operations"]["compare"]')" 1 "compares counted: 1"
is "$(d 'j["operations"]["modify"]')" 0 "no modify counted"
is "$(d 'j["results"].get("68", 0)')" 1 "one entryAlreadyExists (68) result"
is "$(d 'j["results"].get("6", 0)')" 1 "one compareTrue (6) result"
is "$(d 'j["results"].get("49", 0)')" 1 "one invalidCredentials (49) result"
# success: 7 binds, 3 searches, 1 add, and the first read's search
is "$(d 'j["results"]["0"]')" 12 "success results: 12"
is "$(d 'j["totalConnections"]')" 8 "connections accepted: 8"
is "$(d 'j["entriesSent"]')" 4 "search entries sent: 3 + the first read's cn=monitor"
is "$(d 'j["bindFailures"]')" 1 "one failed bind"
is "$(mon_get "$T_DIR/m1.json" '[j["supplyAnswers"], j["supplyEntries"], j["supplyDampened"], j["supplyWaiting"]]')" \
    "[0, 0, 0, 0]" "a node without partners supplied nothing: no pull answered, dampened or waiting"
is "$(d 'j["highestCommittedUSN"]')" 1 "one committed change (the add)"
ok "bytes received grew" [ "$(d 'j["bytesReceived"]')" -gt 0 ]
ok "bytes sent grew" [ "$(d 'j["bytesSent"]')" -gt 0 ]
is "$(adm_search A -b "" -s base vmwBindFailures | sed -n 's/^vmwBindFailures: //p')" "$(mon_get "$T_DIR/m1.json" 'j["bindFailures"]')" \
    "the root DSE reads the same failed-bind counter"
like "$(mon_get "$T_DIR/m1.json" 'j["startTime"]')" '^20[0-9]{12}Z$' "start time is a GeneralizedTime"
ok "open connections fall back to the reader's own" \
    wait_until eval '[ "$(mon A | python3 -c "import json,sys; print(json.load(sys.stdin)[\"currentConnections\"])")" = 1 ]'

# --- the entry over LDAP ---------------------------------------------------------
out=$(adm_search A -b cn=monitor -s base '*' '+')
like "$out" '^dn: cn=monitor$' "ldapsearch -b cn=monitor as the administrator"
is "$(grep -c '^vmwMonitorOperations: ' <<<"$out")" 10 "one vmwMonitorOperations value per request type"
like "$out" '^vmwMonitorOperations: add 2$' "... add 2"
like "$out" '^vmwMonitorResults: 68 1$' "... results by code: 68 1"
out=$(adm_search A -b cn=monitor -s base '(vmwMonitorOperations=add 2)' 1.1)
is "$out" "dn: cn=monitor" "a filter on the counters matches"
out=$(ldapsearch -x -LLL -H "$(url A)" -b cn=monitor -s base 2>&1)
is "$?" 50 "anonymous: insufficientAccessRights (50)"
like "$out" 'cn=monitor is readable by administrators only' "... with the reason"
adm_add A >/dev/null <<EOF
dn: cn=plain,cn=Users,$BASE
objectClass: person
cn: plain
sn: plain
userPassword: Plain-user-pw1!
EOF
out=$(ldapsearch -x -LLL -H "$(url A)" -D "cn=plain,cn=Users,$BASE" -w 'Plain-user-pw1!' \
    -b cn=monitor 2>&1)
is "$?" 50 "an ordinary user: insufficientAccessRights (50)"

# --- agreements ----------------------------------------------------------------
ok "join and start B (pulls from A)" repl_join B A
AURI="ldap://127.0.0.1:$PA"
agr() { adm_search B -b "labeledURI=$AURI,cn=monitor" -s base "$@"; }
ok "B shows its agreement with A, caught up" wait_until eval \
    '[ "$(agr vmwMonitorBacklog | sed -n "s/^vmwMonitorBacklog: //p")" = 0 ]'
out=$(agr '*')
like "$out" "^labeledURI: $AURI\$" "the agreement entry names its supplier"
like "$out" '^vmwMonitorLastSuccess: 20[0-9]{12}Z$' "... has a last success"
ok "... has applied entries" [ "$(sed -n 's/^vmwMonitorEntriesApplied: //p' <<<"$out")" -gt 0 ]
like "$out" '^vmwMonitorFailures: 0$' "... and no failure"
ok "A answered B's pulls and sent it entries" eval \
    '[ "$(mon A | python3 -c "import json,sys; j=json.load(sys.stdin); print(min(j[\"supplyAnswers\"], j[\"supplyEntries\"]))")" -gt 0 ]'
wait_ok "B's pull waits on A" eval \
    '[ "$(adm_search A -b cn=monitor -s base vmwMonitorSupplyWaiting | sed -n "s/^vmwMonitorSupplyWaiting: //p")" = 1 ]'
is "$(adm_search B -b cn=monitor -s one 1.1 | grep -c '^dn: labeledURI=')" 1 \
    "one level below cn=monitor: the agreement only"
is "$(adm_search B -b cn=monitor -s sub 1.1 | grep -c '^dn: ')" 2 "subtree: cn=monitor and the agreement"
out=$(adm_search B -b "labeledURI=ldap://nowhere:1,cn=monitor" -s base 2>&1)
is "$?" 32 "an agreement that does not exist: noSuchObject (32)"

ok "stop A" node_stop A
# the pull waiting on A is answered busy as A stops; the next attempt
# finds nobody there
ok "B's last error with A: cannot contact it" wait_until eval \
    'agr vmwMonitorLastError | grep -q "^vmwMonitorLastError: Can.t contact LDAP server"'
out=$(agr '*')
ok "B counts failures of its agreement with A" [ "$(sed -n 's/^vmwMonitorFailures: //p' <<<"$out")" -ge 1 ]
like "$out" '^vmwMonitorLastErrorTime: 20[0-9]{12}Z$' "... and when"

# --- vdcadmintool --monitor, text -------------------------------------------------
out=$("$top_builddir/vdcadmintool" --monitor -H "$(url B)" -w "$ADMIN_PW")
is "$?" 0 "vdcadmintool --monitor exits 0"
like "$out" '^operations search: [0-9]+$' "text: one line per operation type"
like "$out" "^agreement: $AURI\$" "text: the agreement"
like "$out" "^  lastError: Can't contact LDAP server" "text: its last error, indented"
out=$("$top_builddir/vdcadmintool" --monitor --json -H "$(url B)" -w "$ADMIN_PW")
is "$(python3 -c 'import json,sys; a=json.load(sys.stdin)["agreements"]; print(len(a), a[0]["uri"])' <<<"$out")" \
    "1 $AURI" "json: the agreements array"
out=$("$top_builddir/vdcadmintool" --monitor -H "$(url B)" -u "cn=plain,cn=Users,$BASE" -w 'Plain-user-pw1!' 2>&1)
is "$?" 1 "vdcadmintool --monitor as an ordinary user exits 1"
like "$out" '^ Monitor failed\. Error \[.*cn=monitor is readable by administrators only.*\] \[50\]$' \
    "... with VMware's error line"
ok "stop B" node_stop B
done_testing
