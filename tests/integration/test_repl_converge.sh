#!/bin/bash
# test_repl_converge.sh: three nodes end up byte-identical (full dumps:
# operational attributes, metadata, tombstones, conflict entries) after
# the races that once left them different for good:
# - a child added under an entry that another node renamed meanwhile, while
#   a new entry took the old name: the child follows its parent by GUID;
# - add-add conflicts: the renamed entry is the same on every node (its
#   RDN value among its values, vmwConflictOriginalDN everywhere), and
#   every node's showconflicts lists the same set;
# - a delete: the tombstone is the same on the deleting node and the others;
# - an entry holding every attribute type of the schema, more than 256
#   with a test schema: every change arrives;
# - '*' does not return the node-local replication state; '+' does.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/repl_lib.sh"

U="cn=Users,$BASE"
REPADMIN=$top_builddir/vdcrepadmin

# A schema with 300 more attribute types, so one entry can carry more
# changes than any fixed-size list would hold.
cp -r "$SCHEMA_DIR" "$T_DIR/schema"
SCHEMA_DIR=$T_DIR/schema
for i in $(seq 1 300); do
	printf "attributetypes: ( 1.3.6.1.4.1.6876.40.99.1.%d NAME 'testWide%d'\n" "$i" "$i"
	printf "  EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )\n"
done >"$SCHEMA_DIR/90testwide.schema"

modrdn() {
	local n=$1
	shift
	_lt ldapmodrdn -x -H "$(url "$n")" -D "$ADMIN_DN" -w "$ADMIN_PW" "$@"
}

# the DN of the entry with objectGUID $2 on node $1, lowercased
dn_of_guid() {
	adm_search "$1" -b "$BASE" "(objectGUID=$2)" 1.1 | sed -n 's/^dn: //p' | tr 'A-Z' 'a-z'
}

ok "init and start A" repl_init A
ok "join and start B" repl_join B A
ok "join and start C (to A)" repl_join C A
ok "C pulls from B" agr_add C B A
ok "B pulls from C" agr_add B C A
wait_same "3-node mesh converges" A B C

# ---------------------------------------------------- parent by GUID
ok "uid=p on A" adm_add A <<EOF
dn: uid=p,$U
objectClass: inetOrgPerson
uid: p
cn: p
sn: P
EOF
wait_same "uid=p everywhere" A B C
gp=$(attr_of A "uid=p,$U" objectGUID)
like "$gp" '^[0-9a-f-]{36}$' "uid=p has a GUID"

ok "C goes STANDALONE" set_state C STANDALONE
ok "child of uid=p on C" adm_add C <<EOF
dn: cn=child,uid=p,$U
objectClass: person
cn: child
sn: Child
EOF
ok "B renames uid=p to uid=p2" modrdn B -r "uid=p,$U" "uid=p2"
ok "B gives the old name to a new entry" adm_add B <<EOF
dn: uid=p,$U
objectClass: inetOrgPerson
uid: p
cn: new p
sn: P
EOF
wait_ok "the rename reaches A" has_dn A "uid=p2,$U"
ok "C back to NORMAL" set_state C NORMAL
wait_same "after the heal, A, B and C identical" A B C
for n in A B C; do
	ok "$n: the child is below the renamed parent" has_dn "$n" "cn=child,uid=p2,$U"
	ok "$n: nothing below the new uid=p" \
	    test "$(count "$n" "uid=p,$U" '(cn=child)')" -eq 0
	is "$(dn_of_guid "$n" "$gp")" "uid=p2,cn=users,dc=vsphere,dc=local" \
	    "$n: the GUID of the old uid=p is uid=p2"
done

# ---------------------------------------------------- add-add
ok "A goes STANDALONE" set_state A STANDALONE
ok "B goes STANDALONE" set_state B STANDALONE
for n in A B; do
	ok "add cn=twin on $n" adm_add "$n" <<EOF
dn: cn=twin,$U
objectClass: person
cn: twin
sn: from $n
EOF
	ok "add uid=utwin on $n" adm_add "$n" <<EOF
dn: uid=utwin,$U
objectClass: inetOrgPerson
uid: utwin
cn: utwin $n
sn: from $n
EOF
done
ok "A back to NORMAL" set_state A NORMAL
ok "B back to NORMAL" set_state B NORMAL
wait_same "after the add-add conflicts, A, B and C identical" A B C
first=""
for n in A B C; do
	is "$(count "$n" "$U" '(cn=twin CNF:*)')" 1 "$n: (cn=twin CNF:*) finds the renamed cn=twin"
	is "$(count "$n" "$U" '(uid=utwin CNF:*)')" 1 "$n: (uid=utwin CNF:*) finds the renamed uid=utwin"
	is "$(count "$n" "$U" '(uid=utwin)')" 1 "$n: uid=utwin is the value of one entry only"
	is "$(count "$n" "$U" "(vmwConflictOriginalDN=uid=utwin,$U)")" 1 \
	    "$n: the renamed uid=utwin records its original DN"
	is "$(count "$n" "$U" "(vmwConflictOriginalDN=cn=twin,$U)")" 1 \
	    "$n: the renamed cn=twin records its original DN"
	"$REPADMIN" -f showconflicts -h "127.0.0.1:${NODE_PORT[$n]}" -w "$ADMIN_PW" \
	    >"$T_DIR/conflicts.$n" 2>&1
	is "$(grep -c 'CNF:' "$T_DIR/conflicts.$n")" 2 "$n: showconflicts lists 2 renamed entries"
	if [ -z "$first" ]; then
		first=$n
	else
		ok "$n: showconflicts prints what $first prints" \
		    cmp -s "$T_DIR/conflicts.$first" "$T_DIR/conflicts.$n"
	fi
done

# ---------------------------------------------------- orphans, one name
# B adds cn=kid below two parents that A deletes meanwhile: both kids land
# in cn=LostAndFound, where they cannot share a name: conflict names
# (which of them keeps cn=kid depends on the order the nodes saw things;
# that every node ends with the same names does not).
LF="cn=LostAndFound,$BASE"
ok "parents cn=p1 and cn=p2 on A" adm_add A <<EOF
dn: cn=p1,$BASE
objectClass: container
cn: p1

dn: cn=p2,$BASE
objectClass: container
cn: p2
EOF
wait_same "the parents everywhere" A B C
ok "A goes STANDALONE" set_state A STANDALONE
ok "B goes STANDALONE" set_state B STANDALONE
ok "kids below both parents on B" adm_add B <<EOF
dn: cn=kid,cn=p1,$BASE
objectClass: person
cn: kid
sn: one

dn: cn=kid,cn=p2,$BASE
objectClass: person
cn: kid
sn: two
EOF
ok "A deletes both parents" adm_delete A "cn=p1,$BASE" "cn=p2,$BASE"
ok "A back to NORMAL" set_state A NORMAL
ok "B back to NORMAL" set_state B NORMAL
wait_same "after the orphans, A, B and C identical" A B C
for n in A B C; do
	is "$(count "$n" "$LF" '(sn=one)')$(count "$n" "$LF" '(sn=two)')" 11 \
	    "$n: both kids are in LostAndFound"
	ok "$n: at least one of them under a conflict name" \
	    test "$(count "$n" "$LF" '(cn=kid CNF:*)')" -ge 1
done

# ---------------------------------------------------- renaming a moved subtree
# cn=g is older than cn=r and cn=p, then moved below cn=p: a walk of cn=r's
# subtree in id order meets cn=g before its parent cn=p.
ok "cn=g, then cn=r and cn=p,cn=r on A" adm_add A <<EOF
dn: cn=g,$BASE
objectClass: container
cn: g

dn: cn=r,$BASE
objectClass: container
cn: r

dn: cn=p,cn=r,$BASE
objectClass: container
cn: p
EOF
ok "move cn=g below cn=p,cn=r on A" modrdn A -s "cn=p,cn=r,$BASE" "cn=g,$BASE" "cn=g"
ok "rename cn=r (three levels) on A" modrdn A -r "cn=r,$BASE" "cn=r2"
ok "A: cn=g moved with its parents" has_dn A "cn=g,cn=p,cn=r2,$BASE"
wait_same "after the subtree rename, A, B and C identical" A B C
ok "C: cn=g moved with its parents" has_dn C "cn=g,cn=p,cn=r2,$BASE"

# ---------------------------------------------------- tombstones
ok "add cn=doomed on B" add_users B doomed 1
wait_ok "cn=doomed reaches A" has_dn A "cn=doomed1,$U"
ok "delete it on A" adm_delete A "cn=doomed1,$U"
wait_same "after the delete, A, B and C identical (tombstones included)" A B C
dead="cn=Deleted Objects,$BASE"
for n in A B C; do
	is "$(count "$n" "$dead" '(cn=doomed1 DEL:*)')" 1 "$n: one tombstone of cn=doomed1"
	is "$(adm_search "$n" -b "$dead" '(cn=doomed1 DEL:*)' creatorsName modifiersName |
	    grep -ci '^\(creators\|modifiers\)Name:')" 0 \
	    "$n: the tombstone keeps neither creatorsName nor modifiersName"
done

# ---------------------------------------------------- every attribute type
# every user attribute type the schema has, with a value its syntax takes
wide_ldif() {
	adm_search A -b cn=schema -s base attributeTypes | python3 -c '
import re, sys
vals = {
 "1.3.6.1.4.1.1466.115.121.1.15": "text",
 "1.3.6.1.4.1.1466.115.121.1.26": "ia5",
 "1.3.6.1.4.1.1466.115.121.1.44": "printable",
 "1.3.6.1.4.1.1466.115.121.1.27": "42",
 "1.3.6.1.4.1.1466.115.121.1.36": "123",
 "1.3.6.1.4.1.1466.115.121.1.7": "TRUE",
 "1.3.6.1.4.1.1466.115.121.1.50": "+1 555 0100",
 "1.3.6.1.4.1.1466.115.121.1.24": "20260101000000Z",
 "1.3.6.1.4.1.1466.115.121.1.12": "cn=Users,dc=vsphere,dc=local",
 "1.3.6.1.4.1.1466.115.121.1.40": "octets",
 "1.3.6.1.4.1.1466.115.121.1.38": "1.2.3.4",
}
skip = {"objectclass", "userpassword", "cn", "sn", "c", "seealso"}
out = []
for line in sys.stdin.read().replace("\n ", "").split("\n"):
    if not line.lower().startswith("attributetypes: "):
        continue
    d = line.split(": ", 1)[1]
    if "NO-USER-MODIFICATION" in d or "USAGE" in d or "OBSOLETE" in d or "COLLECTIVE" in d:
        continue
    m = re.search(r"NAME \(? ?\x27([^\x27]+)\x27", d)
    s = re.search(r"SYNTAX ([0-9.]+)", d)
    if not m or not s or s.group(1) not in vals or m.group(1).lower() in skip:
        continue
    out.append("%s: %s" % (m.group(1), vals[s.group(1)]))
print("dn: cn=wide,cn=Users,dc=vsphere,dc=local")
print("objectClass: person")
print("objectClass: extensibleObject")
print("cn: wide")
print("sn: Wide")
print("\n".join(out))
'
}
wide_ldif >"$T_DIR/wide.ldif"
nattr=$(grep -c '^[A-Za-z]' "$T_DIR/wide.ldif")
ok "the wide entry has more than 300 attributes ($nattr)" test "$nattr" -gt 300
ok "add the wide entry on C" adm_add C -f "$T_DIR/wide.ldif"
wait_same "the wide entry is identical on A, B and C" A B C
for n in A B; do
	is "$(adm_search "$n" -b "cn=wide,$U" -s base attributeMetaData | grep -c '^attributeMetaData:')" \
	    "$(adm_search C -b "cn=wide,$U" -s base attributeMetaData | grep -c '^attributeMetaData:')" \
	    "$n: as many metadata values on the wide entry as on C"
	is "$(attr_of "$n" "cn=wide,$U" testWide300)" "text" "$n: the 300th test attribute arrived"
done
# a modify of every attribute at once on B
sed -e '1a changetype: modify' -e '/^objectClass:/d' -e '/^cn: /d' -e '/^sn: /d' \
    "$T_DIR/wide.ldif" | awk 'NR <= 2 { print; next } { split($0, a, ": "); print "replace: " a[1]; print a[1] ": " (a[1] ~ /^testWide/ ? "changed" : a[2]); print "-" }' \
    >"$T_DIR/wide-mod.ldif"
ok "replace every attribute of the wide entry on B" adm_modify B -f "$T_DIR/wide-mod.ldif"
wait_same "the modified wide entry is identical on A, B and C" A B C
is "$(attr_of C "cn=wide,$U" testWide1)" "changed" "C: the first test attribute changed"
is "$(attr_of C "cn=wide,$U" testWide300)" "changed" "C: the 300th test attribute changed"

# ---------------------------------------------------- local state
sa=$(srv_dn A)
is "$(adm_search A -b "$sa" -s base '*' | grep -ci '^upToDateVector:')" 0 \
    "'*' does not return upToDateVector"
is "$(adm_search A -b "$sa" -s base '+' | grep -ci '^upToDateVector:')" 1 \
    "'+' returns upToDateVector"
is "$(adm_search A -b "$sa" -s base upToDateVector | grep -ci '^upToDateVector:')" 1 \
    "upToDateVector by name"
agr="labeledURI=$(url B),cn=Replication Agreements,$(srv_dn C)"
is "$(adm_search C -b "$agr" -s base '*' | grep -ci '^lastLocalUsnProcessed:')" 0 \
    "'*' does not return lastLocalUsnProcessed"
is "$(adm_search C -b "$agr" -s base '+' | grep -ci '^lastLocalUsnProcessed:')" 1 \
    "'+' returns lastLocalUsnProcessed"
is "$(adm_search C -b "$agr" -s base lastLocalUsnProcessed | grep -ci '^lastLocalUsnProcessed:')" 1 \
    "lastLocalUsnProcessed by name"

wait_same "final: A, B and C identical" A B C
done_testing
