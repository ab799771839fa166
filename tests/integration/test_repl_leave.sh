#!/bin/bash
# test_repl_leave.sh: a node leaves the domain with vdcleave. Its server
# object, its agreements, the others' agreements with it and its machine
# account disappear on every node that stays; the nodes that stay keep
# replicating between themselves; the node that left is Standalone and
# takes no further changes. Also: servers record their URI, a catching-up
# consumer reports how far along it is, and vdcleave's bad input, its
# question on a terminal (-y skips it) and its JSON failures.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/repl_lib.sh"

LEAVE=$top_builddir/vdcleave
REPADMIN=$top_builddir/vdcrepadmin
U="cn=Users,$BASE"
DC="cn=Domain Controllers,$BASE"

ok "init and start A" repl_init A
ok "join and start B (to A)" repl_join B A
ok "join and start C (to A)" repl_join C A
ok "C pulls from B" agr_add C B A
ok "B pulls from C" agr_add B C A
wait_same "A, B and C converge" A B C

# every server object records where partners reach it
for n in A B C; do
	wait_ok "server $n records its URI $(url "$n")" \
	    attr_is A "$(srv_dn "$n")" labeledURI "$(url "$n")"
done

# a consumer catching up says how far along it is
ok "500 entries on A" add_users A bulk 500
mkdir -p "$T_DIR/D"
NODE_PORT[D]=$(free_port)
ok "join D to A" "$VMDIRD" --join "$(url A)" -d "$T_DIR/D/data" --password "$ADMIN_PW" \
    --node D -p "${NODE_PORT[D]}" --schema-dir "$SCHEMA_DIR"
ok "start D with small pages" node_start D -o repl_page_size=50
wait_same "D copied the directory" A D
like "$(grep -m1 'more to come' "$T_DIR/D/vmdird.log")" \
    "applied [0-9]+ entries, hwm [0-9]+ of [0-9]+ \([0-9]+%, more to come\)" \
    "D's log shows the initial copy's progress"
ok "stop D (its part is over)" node_stop D

# --- bad input
"$LEAVE" --help >"$T_DIR/out" 2>&1
is "$?" 0 "vdcleave --help exits 0"
like "$(cat "$T_DIR/out")" "-n NODE" "--help describes -n"
"$LEAVE" -h "127.0.0.1:${NODE_PORT[A]}" -w "$ADMIN_PW" >"$T_DIR/out" 2>&1
is "$?" 2 "no -n or -H: usage error (exit 2)"
"$LEAVE" -h "127.0.0.1:${NODE_PORT[A]}" -n C >"$T_DIR/out" 2>&1
is "$?" 2 "no password: usage error (exit 2)"
"$LEAVE" -h "127.0.0.1:${NODE_PORT[A]}" -n C -w "$ADMIN_PW" --bogus >"$T_DIR/out" 2>&1
is "$?" 2 "unknown option: usage error (exit 2)"
"$LEAVE" -h "127.0.0.1:${NODE_PORT[A]}" -n C -w wrong >"$T_DIR/out" 2>&1
is "$?" 1 "wrong password: failure (exit 1)"
like "$(cat "$T_DIR/out")" "[Ii]nvalid credentials" "wrong password: says so"
"$LEAVE" -h "127.0.0.1:${NODE_PORT[A]}" -n nosuchnode -w "$ADMIN_PW" >"$T_DIR/out" 2>&1
is "$?" 1 "unknown node: failure (exit 1)"
like "$(cat "$T_DIR/out")" "no node named nosuchnode" "unknown node: says so"
"$LEAVE" -h "127.0.0.1:${NODE_PORT[A]}" -H "127.0.0.1:$(free_port)" -w "$ADMIN_PW" \
    >"$T_DIR/out" 2>&1
is "$?" 1 "-H naming nothing that answers, without -n: failure (exit 1)"
like "$(cat "$T_DIR/out")" "Can't contact LDAP server" "unreachable -H: says so"
"$LEAVE" -h "127.0.0.1:${NODE_PORT[A]}" -n C -H "127.0.0.1:$(free_port)" -w "$ADMIN_PW" \
    >"$T_DIR/out" 2>&1
is "$?" 2 "-n together with -H: usage error (exit 2)"
like "$(cat "$T_DIR/out")" "not both" "-n with -H: says so"
"$LEAVE" -h "127.0.0.1:${NODE_PORT[A]}" -n nosuchnode -w "$ADMIN_PW" --json \
    >"$T_DIR/out" 2>/dev/null
is "$?" 1 "--json failure exits 1"
is "$(jq -r .error.message "$T_DIR/out")" "no node named nosuchnode in this domain" \
    "--json failure: {\"error\": {\"code\": ..., \"message\": ...}} on stdout"
# on a terminal vdcleave asks first; anything but Y or y leaves things be
python3 "$top_srcdir/tests/integration/ptyrun.py" N "$LEAVE" -h "127.0.0.1:${NODE_PORT[A]}" \
    -n C -w "$ADMIN_PW" >"$T_DIR/out" 2>&1
is "$?" 1 "answering N on a terminal: nothing done (exit 1)"
like "$(cat "$T_DIR/out")" "^Do you wish to continue\? Y/N \[N\] " "on a terminal it asks 'Do you wish to continue? Y/N [N] '"
like "$(cat "$T_DIR/out")" "This operation will remove node \[C\]" "the question names the node"
ok "answering N: C's server object is still there" has_dn A "$(srv_dn C)"
is "$(get_state C)" "Normal" "answering N: C was not set Standalone"
"$LEAVE" -h "127.0.0.1:${NODE_PORT[A]}" -n A -w "$ADMIN_PW" >"$T_DIR/out" 2>&1
is "$?" 1 "removing the node being asked: refused (exit 1)"
like "$(cat "$T_DIR/out")" "node that stays" "refusal says what to do"
ok "refusals changed nothing: A's server object is there" has_dn B "$(srv_dn A)"
ok "refusals changed nothing: C's server object is there" has_dn A "$(srv_dn C)"

# --- C leaves (named by its address: it answers, so it goes Standalone);
# on a terminal, answering Y
python3 "$top_srcdir/tests/integration/ptyrun.py" Y "$LEAVE" -h "127.0.0.1:${NODE_PORT[A]}" \
    -H "ldap://127.0.0.1:${NODE_PORT[C]}" -w "$ADMIN_PW" >"$T_DIR/leave.out" 2>&1
is "$?" 0 "vdcleave -H ldap://C, answering Y on a terminal, exits 0"
like "$(cat "$T_DIR/leave.out")" "^Node C left the domain" "vdcleave says C left"
like "$(cat "$T_DIR/leave.out")" "C is now Standalone" "vdcleave set C Standalone"
is "$(get_state C)" "Standalone" "C reports Standalone"

for n in A B; do
	wait_ok "C's server object is gone on $n" no_dn "$n" "$(srv_dn C)"
	wait_ok "C's machine account is gone on $n" no_dn "$n" "cn=C,$DC"
	is "$(adm_search "$n" -b "cn=Sites,cn=Configuration,$BASE" \
	    "(&(objectClass=vmwReplicationAgreement)(labeledURI=$(url C)))" 1.1 | grep -c '^dn:')" \
	    0 "no agreement with C is left on $n"
	is "$(adm_search "$n" -b "cn=DCAdmins,cn=Builtin,$BASE" -s base member |
	    grep -ci "member: cn=C,$DC")" 0 "C is no longer in DCAdmins on $n"
done
wait_ok "A dropped its agreement with C" \
    grep -q "agreement with $(url C) removed" "$T_DIR/A/vmdird.log"
wait_ok "B dropped its agreement with C" \
    grep -q "agreement with $(url C) removed" "$T_DIR/B/vmdird.log"
"$REPADMIN" -f showservers -h "127.0.0.1:${NODE_PORT[A]}" -w "$ADMIN_PW" >"$T_DIR/out" 2>&1
is "$(grep -ci 'cn=C,' "$T_DIR/out")" 0 "showservers on A no longer lists C"

# A and B go on replicating; C takes nothing more
ok "write on A after C left" add_users A after 3
wait_ok "A's write reaches B" has_dn B "cn=after3,$U"
ok "write on B after C left" add_users B afterb 3
wait_ok "B's write reaches A" has_dn A "cn=afterb3,$U"
wait_same "A and B identical" A B
ok "C stays reachable as a Standalone node" has_dn C "$BASE"
ok "C did not take the writes made after it left" no_dn C "cn=after3,$U"

# --- leaving by name (-n) when the node is already down; --json
"$LEAVE" -h "127.0.0.1:${NODE_PORT[B]}" -n D -w "$ADMIN_PW" -y --json >"$T_DIR/leave.json" 2>"$T_DIR/leave.err"
is "$?" 0 "vdcleave -n D -y (D stopped) exits 0"
is "$(jq -r .node "$T_DIR/leave.json")" "D" "--json names the node"
is "$(jq -r .setStandalone "$T_DIR/leave.json")" "false" "--json: D was not reachable"
like "$(jq -r '.removed[]' "$T_DIR/leave.json")" "labeledURI=$(url D)" \
    "--json lists the agreement pulling from D"
wait_ok "D's server object is gone on A" no_dn A "$(srv_dn D)"
"$LEAVE" -h "127.0.0.1:${NODE_PORT[B]}" -n D -w "$ADMIN_PW" >"$T_DIR/out" 2>&1
is "$?" 1 "a second vdcleave of D fails (no such node)"
wait_same "A and B identical at the end" A B

done_testing
