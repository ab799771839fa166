#!/bin/bash
# test_repl_basic.sh: two nodes (init + join) copy and keep the directory
# identical through add, modify, delete, modrdn and move on either side;
# passwords replicate; the vector and high-water marks are visible; a
# third node makes a mesh, and a line topology (A-B-C) still converges.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/repl_lib.sh"

U="cn=Users,$BASE"

ok "init and start A" repl_init A
ok "join and start B" repl_join B A
wait_same "initial copy: A and B hold identical directories" A B
ok "B's own server object arrived on B" has_dn B "$(srv_dn B)"

# --- writes on either node
ok "add on A" adm_add A <<EOF2
dn: cn=alice,$U
objectClass: person
cn: alice
sn: Liddell
description: first
EOF2
wait_ok "the add on A is readable on B" has_dn B "cn=alice,$U"
wait_same "after add on A" A B

ok "modify on B" adm_modify B <<EOF2
dn: cn=alice,$U
changetype: modify
replace: description
description: second
-
add: telephoneNumber
telephoneNumber: +1 555 0100
EOF2
wait_ok "the modify on B is visible on A" attr_is A "cn=alice,$U" description second
wait_same "after modify on B" A B

ok "add a container and an entry on B" adm_add B <<EOF2
dn: cn=Team,$BASE
objectClass: container
cn: Team

dn: cn=bob,$U
objectClass: person
cn: bob
sn: Builder

dn: cn=carol,$U
objectClass: person
cn: carol
sn: Carol
EOF2
wait_same "after adds on B" A B

ok "delete on A" adm_delete A "cn=carol,$U"
wait_ok "the delete on A reaches B" no_dn B "cn=carol,$U"
wait_same "after delete on A" A B

ok "modrdn on B (cn=bob -> cn=robert)" \
    timeout 30 ldapmodrdn -x -H "$(url B)" -D "$ADMIN_DN" -w "$ADMIN_PW" -r "cn=bob,$U" "cn=robert"
wait_ok "the rename reaches A" has_dn A "cn=robert,$U"
ok "the old name is gone on A" no_dn A "cn=bob,$U"
wait_same "after modrdn on B" A B

ok "move on A (cn=robert -> under cn=Team)" \
    timeout 30 ldapmodrdn -x -H "$(url A)" -D "$ADMIN_DN" -w "$ADMIN_PW" -r -s "cn=Team,$BASE" \
    "cn=robert,$U" "cn=robert"
wait_ok "the move reaches B" has_dn B "cn=robert,cn=Team,$BASE"
ok "the old place is empty on B" no_dn B "cn=robert,$U"
wait_same "after move on A" A B

ok "move back and rename on B at once" \
    timeout 30 ldapmodrdn -x -H "$(url B)" -D "$ADMIN_DN" -w "$ADMIN_PW" -r -s "$U" \
    "cn=robert,cn=Team,$BASE" "cn=rob"
wait_ok "the move+rename reaches A" has_dn A "cn=rob,$U"
wait_same "after move+rename on B" A B

ok "delete on B of an entry made on A" adm_delete B "cn=alice,$U"
wait_ok "the delete on B reaches A" no_dn A "cn=alice,$U"
wait_same "after delete on B" A B

# --- passwords
ok "a user with a password made on A" adm_add A <<EOF2
dn: cn=dave,$U
objectClass: person
cn: dave
sn: Dave
userPassword: Dave-Secret-1
EOF2
wait_ok "the user can bind on B" \
    timeout 30 ldapwhoami -x -H "$(url B)" -D "cn=dave,$U" -w Dave-Secret-1
ok "a wrong password is still refused on B" \
    bash -c "! timeout 30 ldapwhoami -x -H '$(url B)' -D 'cn=dave,$U' -w wrong"
ok "password change on B (modify userPassword)" adm_modify B <<EOF2
dn: cn=dave,$U
changetype: modify
replace: userPassword
userPassword: Dave-Secret-2
EOF2
wait_ok "the new password works on A" \
    timeout 30 ldapwhoami -x -H "$(url A)" -D "cn=dave,$U" -w Dave-Secret-2
ok "the old password no longer works on A" \
    bash -c "! timeout 30 ldapwhoami -x -H '$(url A)' -D 'cn=dave,$U' -w Dave-Secret-1"
wait_same "after password change" A B

# --- replication state
invA=$(rootdse_attr A invocationId)
invB=$(rootdse_attr B invocationId)
like "$invA" '^[0-9a-f-]{36}$' "A's root DSE shows its invocationId"
like "$invB" '^[0-9a-f-]{36}$' "B's root DSE shows its invocationId"
utdvA=$(attr_of A "$(srv_dn A)" upToDateVector)
utdvB=$(attr_of B "$(srv_dn B)" upToDateVector)
like "$utdvA" "(^|,)$invB:[0-9]+," "A's upToDateVector holds B's invocationId"
like "$utdvB" "(^|,)$invA:[0-9]+," "B's upToDateVector holds A's invocationId"
# the server object shows the node's current incarnation (DESIGN: every
# start is a new incarnation; the server object says which)
wait_ok "A's server object shows A's current invocationId (on B)" \
    attr_is B "$(srv_dn A)" invocationId "$invA"
wait_ok "B's server object shows B's current invocationId (on A)" \
    attr_is A "$(srv_dn B)" invocationId "$invB"
hwmB=$(attr_of B "labeledURI=$(url A),cn=Replication Agreements,$(srv_dn B)" lastLocalUsnProcessed)
hwmA=$(attr_of A "labeledURI=$(url B),cn=Replication Agreements,$(srv_dn A)" lastLocalUsnProcessed)
like "$hwmB" '^[1-9][0-9]*$' "B's agreement with A has lastLocalUsnProcessed > 0"
like "$hwmA" '^[1-9][0-9]*$' "A's agreement with B has lastLocalUsnProcessed > 0"
usnA=$(rootdse_attr A highestCommittedUSN)
ok "B's high-water mark for A is not above A's highestCommittedUSN" \
    test "${hwmB:-0}" -le "${usnA:-0}"

# --- a third node: mesh
ok "join and start C (to A)" repl_join C A
ok "C pulls from B" agr_add C B A
ok "B pulls from C" agr_add B C A
wait_same "3-node mesh converges" A B C
ok "write on C" add_users C meshc 3
wait_ok "C's write reaches B" has_dn B "cn=meshc3,$U"
ok "write on B" add_users B meshb 3
wait_ok "B's write reaches C" has_dn C "cn=meshb3,$U"
wait_same "mesh: identical after writes on B and C" A B C
n=$(count A)
is "$(count B)" "$n" "mesh: same entry count on A and B"
is "$(count C)" "$n" "mesh: same entry count on A and C"

# --- line: A - B - C (no A<->C)
# the removals below are seen only by consumers that run: wait for them
wait_ok "A pulls from C" grep -q "pulling from $(url C)\$" "$T_DIR/A/vmdird.log"
wait_ok "C pulls from A" grep -q "pulling from $(url A)\$" "$T_DIR/C/vmdird.log"
ok "A stops pulling from C" agr_del A C
ok "C stops pulling from A" agr_del C A
wait_ok "A drops its agreement with C" grep -q "agreement with $(url C) removed" "$T_DIR/A/vmdird.log"
wait_ok "C drops its agreement with A" grep -q "agreement with $(url A) removed" "$T_DIR/C/vmdird.log"
wait_same "line: identical after the topology change" A B C
ok "write on A" add_users A linea 5
wait_ok "A's write reaches C through B" has_dn C "cn=linea5,$U"
ok "write on C" add_users C linec 5
wait_ok "C's write reaches A through B" has_dn A "cn=linec5,$U"
ok "modify on C" adm_modify C <<EOF2
dn: cn=linea1,$U
changetype: modify
replace: sn
sn: changed-on-C
EOF2
wait_ok "C's modify reaches A" attr_is A "cn=linea1,$U" sn changed-on-C
ok "delete on A" adm_delete A "cn=linec1,$U"
wait_ok "A's delete reaches C" no_dn C "cn=linec1,$U"
wait_same "line: A, B and C identical" A B C

# --- RFC 3062 password modify by the administrator for another user, on
# C; last, because a wrong target would lock the administrator out
ok "ldappasswd on C sets dave's password" timeout 30 ldappasswd -x -H "$(url C)" -D "$ADMIN_DN" \
    -w "$ADMIN_PW" -s Dave-Secret-3 "cn=dave,$U"
ok "the administrator's password is unchanged on C" \
    timeout 30 ldapwhoami -x -H "$(url C)" -D "$ADMIN_DN" -w "$ADMIN_PW"
wait_ok "dave binds with the password set by ldappasswd, on A" \
    timeout 30 ldapwhoami -x -H "$(url A)" -D "cn=dave,$U" -w Dave-Secret-3

[ "$T_FAILED" -eq 0 ] || repl_show_logs A B C
done_testing
