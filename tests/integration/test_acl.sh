#!/usr/bin/env bash
# test_acl.sh: who may do what. Anonymous clients read the root DSE and the
# schema only; an ordinary authenticated user reads the directory but never
# password hashes and cannot change anything; members of
# cn=Administrators,cn=Builtin write everything, from their next bind on.
set -u
. "$(dirname "$0")/lib.sh"

N=acl1
R() { OUT=$("$@" 2>&1); RC=$?; }
# ldappasswd exits 1 on a failed result and prints the code in its
# "Result:" line; a failed bind exits with the code itself.
pwrc() {
	local c
	[ "$RC" -eq 0 ] && { echo 0; return; }
	c=$(sed -n 's/^Result: .*(\([0-9]*\))$/\1/p' <<<"$OUT" | head -1)
	echo "${c:-$RC}"
}
ndn() { grep -c '^dn:'; }
no_pw() { ! grep -qi '^userPassword'; }
alive() { survived "$N" "$1"; }

node_init "$N" || { echo "Bail out! vmdird --init failed"; cat "$T_DIR/$N/init.log"; exit 1; }
node_start "$N" || { echo "Bail out! vmdird does not start"; exit 1; }
U=$(url "$N")
ADMINS="cn=Administrators,cn=Builtin,$BASE"
BOB="cn=bob,cn=Users,$BASE" BOB_PW='B0b!secret'
EVE="cn=eve,cn=Users,$BASE" EVE_PW='Ev3!secret'

R adm_add "$N" <<EOF
dn: $BOB
objectClass: user
cn: bob
sn: Builder
userPrincipalName: bob@vsphere.local
userPassword: $BOB_PW

dn: $EVE
objectClass: user
cn: eve
sn: Eavesdropper
userPassword: $EVE_PW

dn: cn=victim,cn=Users,$BASE
objectClass: inetOrgPerson
cn: victim
sn: Victim
EOF
is "$RC" 0 "setup: admin adds two users with passwords and a victim entry"

# anon CMD...: as an anonymous client.
anon_search() { ldapsearch -x -LLL -o ldif-wrap=no -H "$U" "$@"; }
anon_add() { ldapadd -x -H "$U" "$@"; }
anon_modify() { ldapmodify -x -H "$U" "$@"; }
# as bob / eve
bob_search() { ldapsearch -x -LLL -o ldif-wrap=no -H "$U" -D "$BOB" -w "$BOB_PW" "$@"; }
bob_add() { ldapadd -x -H "$U" -D "$BOB" -w "$BOB_PW" "$@"; }
bob_modify() { ldapmodify -x -H "$U" -D "$BOB" -w "$BOB_PW" "$@"; }
bob_delete() { ldapdelete -x -H "$U" -D "$BOB" -w "$BOB_PW" "$@"; }
bob_modrdn() { ldapmodrdn -x -H "$U" -D "$BOB" -w "$BOB_PW" "$@"; }

# ----------------------------------------------------------------- anonymous
R anon_search -b "" -s base namingContexts
is "$RC" 0 "anonymous: root DSE readable"
like "$OUT" "^namingContexts: $BASE\$" "anonymous: root DSE has namingContexts"
R anon_search -b cn=schema -s base objectClasses
is "$RC" 0 "anonymous: schema readable"
like "$OUT" "NAME 'inetOrgPerson'" "anonymous: schema has content"
R anon_search -b "$BASE" 1.1
is "$RC" 50 "anonymous: subtree search of the naming context -> insufficientAccess (50)"
is "$(printf '%s\n' "$OUT" | ndn)" 0 "anonymous: no entries leak from the refused search"
R anon_search -b "$BOB" -s base
is "$RC" 50 "anonymous: base search of an entry -> 50"
R anon_search -b "cn=nothere,cn=Users,$BASE" -s base
ok "anonymous: search of a missing entry is refused too (rc $RC, no existence oracle)" test "$RC" -eq 50 -o "$RC" -eq 32
R ldapcompare -x -H "$U" "$BOB" "sn:Builder"
is "$RC" 50 "anonymous: compare -> 50"
R anon_add <<EOF
dn: cn=anon,cn=Users,$BASE
objectClass: container
cn: anon
EOF
is "$RC" 50 "anonymous: add -> 50"
R anon_modify <<EOF
dn: cn=victim,cn=Users,$BASE
changetype: modify
replace: sn
sn: Defaced
EOF
is "$RC" 50 "anonymous: modify -> 50"
R ldapdelete -x -H "$U" "cn=victim,cn=Users,$BASE"
is "$RC" 50 "anonymous: delete -> 50"
R ldapmodrdn -x -H "$U" "cn=victim,cn=Users,$BASE" "cn=renamed"
is "$RC" 50 "anonymous: modrdn -> 50"
R ldappasswd -x -H "$U" -s 'x' "$BOB"
like "$(pwrc)" '^(50|53)$' "anonymous: password modify refused with 50 or 53"
R adm_search "$N" -b "cn=victim,cn=Users,$BASE" -s base sn
like "$OUT" '^sn: Victim$' "anonymous: the victim entry is unchanged"
R adm_search "$N" -b "cn=anon,cn=Users,$BASE" -s base 1.1
is "$RC" 32 "anonymous: nothing was added"
R ldapwhoami -x -H "$U" -D "$BOB" -w "$BOB_PW"
is "$RC" 0 "anonymous: bob's password still works"

alive "anonymous"

# ------------------------------------------------------ authenticated user
R bob_search -b "$BASE" 1.1
is "$RC" 0 "user: can search the directory"
ok "user: sees the Administrator entry" grep -qixF "dn: $ADMIN_DN" <<<"$OUT"
ok "user: sees the Builtin groups" grep -qixF "dn: $ADMINS" <<<"$OUT"
R bob_search -b "$BOB" -s base '*' '+'
like "$OUT" '^sn: Builder$' "user: reads own entry"
ok "user: own userPassword not returned (* +)" no_pw <<<"$OUT"
R bob_search -b "$BOB" -s base userPassword
ok "user: own userPassword not returned when asked for" no_pw <<<"$OUT"
R bob_search -b "$BASE" userPassword
ok "user: nobody's userPassword returned in the tree" no_pw <<<"$OUT"
R bob_search -b "$ADMIN_DN" -s base '*'
like "$OUT" '^sn: Administrator$' "user: reads the Administrator entry"
ok "user: Administrator's userPassword not returned" no_pw <<<"$OUT"
R bob_search -b "cn=Users,$BASE" '(userPassword={PBKDF2*)' 1.1
is "$(printf '%s\n' "$OUT" | ndn)" 0 "user: a substring filter on userPassword matches nothing (no hash oracle)"
R ldapcompare -x -H "$U" -D "$BOB" -w "$BOB_PW" "$EVE" "userPassword:$EVE_PW"
ok "user: compare cannot test another user's password (rc $RC)" test "$RC" -ne 6 -a "$RC" -ne 5
R ldapcompare -x -H "$U" -D "$BOB" -w "$BOB_PW" "$EVE" "sn:Eavesdropper"
is "$RC" 6 "user: compare of an ordinary attribute works"
R bob_add <<EOF
dn: cn=bobs,cn=Users,$BASE
objectClass: container
cn: bobs
EOF
is "$RC" 50 "user: add -> 50"
R bob_modify <<EOF
dn: cn=victim,cn=Users,$BASE
changetype: modify
replace: sn
sn: Defaced
EOF
is "$RC" 50 "user: modify another entry -> 50"
R bob_modify <<EOF
dn: $BOB
changetype: modify
replace: sn
sn: Changed
EOF
is "$RC" 50 "user: modify own entry -> 50"
R bob_modify <<EOF
dn: $ADMINS
changetype: modify
add: member
member: $BOB
EOF
is "$RC" 50 "user: adding self to Administrators -> 50"
R bob_delete "cn=victim,cn=Users,$BASE"
is "$RC" 50 "user: delete -> 50"
R bob_modrdn "cn=victim,cn=Users,$BASE" "cn=renamed"
is "$RC" 50 "user: modrdn -> 50"
R adm_search "$N" -b "cn=victim,cn=Users,$BASE" -s base sn
like "$OUT" '^sn: Victim$' "user: victim unchanged"
R adm_search "$N" -b "$ADMINS" -s base member
ok "user: Administrators membership unchanged" bash -c '! grep -qi "cn=bob"' <<<"$OUT"
R adm_search "$N" -b "cn=bobs,cn=Users,$BASE" -s base 1.1
is "$RC" 32 "user: nothing was added"

alive "ordinary user"

# -------------------------------------------- promotion to Administrators
R adm_modify "$N" <<EOF
dn: $ADMINS
changetype: modify
add: member
member: $BOB
EOF
is "$RC" 0 "admin: adds bob to Administrators"
R bob_add <<EOF
dn: cn=bobs,cn=Users,$BASE
objectClass: container
cn: bobs
EOF
is "$RC" 0 "promoted: a new bind can add"
R bob_modify <<EOF
dn: cn=victim,cn=Users,$BASE
changetype: modify
replace: sn
sn: Edited
EOF
is "$RC" 0 "promoted: can modify"
R bob_modrdn "cn=bobs,cn=Users,$BASE" "cn=bobs2"
is "$RC" 0 "promoted: can modrdn"
R bob_delete "cn=bobs2,cn=Users,$BASE"
is "$RC" 0 "promoted: can delete"
R bob_search -b "$EVE" -s base userPassword
ok "promoted: still no userPassword returned" no_pw <<<"$OUT"
R ldapwhoami -x -H "$U" -D "bob@vsphere.local" -w "$BOB_PW"
is "$RC" 0 "promoted: binds by user principal name"
R ldapmodify -x -H "$U" -D "bob@vsphere.local" -w "$BOB_PW" <<EOF
dn: cn=victim,cn=Users,$BASE
changetype: modify
replace: sn
sn: ByUPN
EOF
is "$RC" 0 "promoted: a UPN bind has the same rights"

# member values are DNs: another spelling of eve's DN must count too
R adm_modify "$N" <<EOF
dn: $ADMINS
changetype: modify
add: member
member: CN=Eve, CN=Users, DC=vsphere, DC=local
EOF
is "$RC" 0 "admin: adds eve to Administrators, DN spelt differently"
R ldapadd -x -H "$U" -D "$EVE" -w "$EVE_PW" <<EOF
dn: cn=eves,cn=Users,$BASE
objectClass: container
cn: eves
EOF
is "$RC" 0 "promoted: member DN compared as a DN, not as a string"

alive "promotion"

# ------------------------------------------------------------- demotion
R adm_modify "$N" <<EOF
dn: $ADMINS
changetype: modify
delete: member
member: $BOB
EOF
is "$RC" 0 "admin: removes bob from Administrators"
R bob_add <<EOF
dn: cn=bobs3,cn=Users,$BASE
objectClass: container
cn: bobs3
EOF
is "$RC" 50 "demoted: a new bind cannot add any more"
R bob_search -b "$BASE" -s base 1.1
is "$RC" 0 "demoted: can still read"

alive "demotion"

# -------------------------------------------------------- password modify
# Last: a broken password modify can lock the binding user out.
R ldappasswd -x -H "$U" -D "$BOB" -w "$BOB_PW" -s 'Pwn3d!' "$EVE"
is "$(pwrc)" 50 "user: setting another user's password -> 50"
R ldapwhoami -x -H "$U" -D "$EVE" -w "$EVE_PW"
is "$RC" 0 "user: eve's password unchanged"
R ldapwhoami -x -H "$U" -D "$BOB" -w "$BOB_PW"
is "$RC" 0 "user: bob's own password unchanged by the refused request"
R ldappasswd -x -H "$U" -D "$EVE" -w "$EVE_PW" -s 'B0b!reset' "$BOB"
is "$(pwrc)" 0 "promoted: eve (an administrator) sets bob's password"
R ldapwhoami -x -H "$U" -D "$BOB" -w 'B0b!reset'
is "$RC" 0 "promoted: the password eve set works"
R ldapwhoami -x -H "$U" -D "$EVE" -w "$EVE_PW"
is "$RC" 0 "promoted: eve's own password unchanged"

alive "password modify"

done_testing
