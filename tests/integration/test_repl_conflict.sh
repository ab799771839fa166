#!/bin/bash
# test_repl_conflict.sh: concurrent conflicting writes on two nodes made
# while both are STANDALONE (no replication in or out), then resumed:
# modify/modify (the later write wins on both), add/add on one DN (one
# entry keeps the name, the other gets "<rdn> CNF:<guid>", the same on
# both), delete of a parent vs. add of a child (the child ends up under
# cn=LostAndFound), delete vs. modify (the delete wins), and a higher
# version beating a later write (two modifies on A, then one later modify
# on B: A's value wins everywhere). Both nodes must end up with identical
# directories.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/repl_lib.sh"

U="cn=Users,$BASE"
LF="cn=LostAndFound,$BASE"

ok "init and start A" repl_init A
ok "join and start B" repl_join B A
ok "entries to fight over, on A" adm_add A <<EOF2
dn: cn=shared,$U
objectClass: person
cn: shared
sn: Shared
description: original

dn: cn=parent,$BASE
objectClass: container
cn: parent

dn: cn=victim,$U
objectClass: person
cn: victim
sn: Victim

dn: cn=versions,$U
objectClass: person
cn: versions
sn: Versions
description: original
EOF2
wait_same "A and B identical before the conflicts" A B

ok "A goes STANDALONE" set_state A STANDALONE
ok "B goes STANDALONE" set_state B STANDALONE
is "$(get_state A)" "Standalone" "A reports Standalone"
is "$(get_state B)" "Standalone" "B reports Standalone"

# a write on A must not reach B while standalone
ok "probe write on A while standalone" add_users A probe 1
sleep 2
ok "standalone: A's write did not reach B" no_dn B "cn=probe1,$U"

# modify/modify: B's write is the later one
ok "modify description on A (first)" adm_modify A <<EOF2
dn: cn=shared,$U
changetype: modify
replace: description
description: from A (earlier)
EOF2
sleep 1.1
ok "modify description on B (later)" adm_modify B <<EOF2
dn: cn=shared,$U
changetype: modify
replace: description
description: from B (later)
EOF2

# version beats time: A writes description twice (version 3, the earlier
# write), B once (version 2, the later write); the higher version wins
ok "modify cn=versions on A (1 of 2)" adm_modify A <<EOF2
dn: cn=versions,$U
changetype: modify
replace: description
description: from A, first
EOF2
ok "modify cn=versions on A (2 of 2)" adm_modify A <<EOF2
dn: cn=versions,$U
changetype: modify
replace: description
description: from A (higher version, earlier)
EOF2
# meta_field NODE DN ATTR FIELD: one field of ATTR's attributeMetaData
# (<attr>:<localUSN>:<version>:<origInvocationId>:<origTime>:<origUSN>)
meta_field() {
	adm_search "$1" -b "$2" -s base attributeMetaData |
	    sed -n "s/^attributeMetaData: //p" | awk -F: -v a="$3" -v f="$4" 'tolower($1) == tolower(a) { print $f }'
}
vtA=$(meta_field A "cn=versions,$U" description 5)
# B's write must be later than A's by the clock the metadata records
# (milliseconds, UTC): wait until the clock has passed A's time
clock_past() { [[ "$(date -u +%Y%m%d%H%M%S.%3N)" > "$1" ]]; }
ok "the clock has moved past A's write ($vtA)" wait_until clock_past "$vtA"
ok "modify cn=versions on B (once, later)" adm_modify B <<EOF2
dn: cn=versions,$U
changetype: modify
replace: description
description: from B (lower version, later)
EOF2
vA=$(meta_field A "cn=versions,$U" description 3)
vB=$(meta_field B "cn=versions,$U" description 3)
vtB=$(meta_field B "cn=versions,$U" description 5)
is "$vA $vB" "3 2" "version beats time: A's description is version 3, B's version 2"
ok "version beats time: B's write is the later one ($vtB > $vtA)" test "$vtB" \> "$vtA"

# add/add on one DN
ok "add cn=twin on A" adm_add A <<EOF2
dn: cn=twin,$U
objectClass: person
cn: twin
sn: FromA
EOF2
ok "add cn=twin on B" adm_add B <<EOF2
dn: cn=twin,$U
objectClass: person
cn: twin
sn: FromB
telephoneNumber: +1 555 0199
EOF2

# delete a parent on A while B adds a child under it
ok "delete cn=parent on A" adm_delete A "cn=parent,$BASE"
ok "add a child under cn=parent on B" adm_add B <<EOF2
dn: cn=orphan,cn=parent,$BASE
objectClass: person
cn: orphan
sn: Orphan
EOF2

# delete on A, modify on B
ok "delete cn=victim on A" adm_delete A "cn=victim,$U"
ok "modify cn=victim on B" adm_modify B <<EOF2
dn: cn=victim,$U
changetype: modify
replace: sn
sn: modified on B
EOF2

ok "A back to NORMAL" set_state A NORMAL
ok "B back to NORMAL" set_state B NORMAL
is "$(get_state A)" "Normal" "A reports Normal"
wait_same "after resuming, A and B converge to identical directories" A B

# modify/modify
for n in A B; do
	is "$(attr_of $n "cn=shared,$U" description)" "from B (later)" \
	    "modify/modify: $n keeps the later write"
done

# version beats time
for n in A B; do
	is "$(attr_of $n "cn=versions,$U" description)" "from A (higher version, earlier)" \
	    "version beats time: $n keeps A's higher version, not B's later write"
	is "$(meta_field $n "cn=versions,$U" description 3)" 3 \
	    "version beats time: $n's description metadata is version 3"
done

# add/add
for n in A B; do
	ok "add/add: $n still has cn=twin" has_dn $n "cn=twin,$U"
	cnf=$(adm_search $n -b "$U" -s one "(cn=twin*)" 1.1 | sed -n 's/^dn: //p' | grep -i "CNF:")
	is "$(printf '%s\n' "$cnf" | grep -c .)" 1 "add/add: $n has exactly one entry renamed with CNF:"
	like "$cnf" "^cn=twin CNF:[0-9a-fA-F-]{36},$U\$" "add/add: $n's conflict entry is named <rdn> CNF:<guid>"
done
cA=$(adm_search A -b "$U" -s one "(cn=twin*)" 1.1 | sed -n 's/^dn: //p' | sort)
cB=$(adm_search B -b "$U" -s one "(cn=twin*)" 1.1 | sed -n 's/^dn: //p' | sort)
is "$cA" "$cB" "add/add: the same names on A and B"
snA=$(attr_of A "cn=twin,$U" sn)
snB=$(attr_of B "cn=twin,$U" sn)
is "$snA" "$snB" "add/add: the same entry keeps the name on A and B"
like "$(adm_search A -b "$U" -s one "(cn=twin*)" sn | sed -n 's/^sn: //p' | sort | tr '\n' ' ')" \
    "^FromA FromB $" "add/add: both entries survive (one of them renamed)"
guid=$(printf '%s\n' "$cnf" | sed -n 's/^cn=twin CNF:\([0-9a-fA-F-]*\),.*/\1/p')
cnf_guid=$(adm_search A -b "$(printf '%s\n' "$cnf" | head -1)" -s base objectGUID | sed -n 's/^objectGUID: //p')
is "$(echo "$cnf_guid" | tr A-Z a-z)" "$(echo "$guid" | tr A-Z a-z)" \
    "add/add: the CNF name carries the renamed entry's own objectGUID"

# orphan
in_lf() { adm_search "$1" -b "$LF" "(cn=orphan*)" 1.1 | grep -qi "^dn: cn=orphan.*,$LF\$"; }
for n in A B; do
	ok "orphan: cn=parent is deleted on $n" no_dn $n "cn=parent,$BASE"
	ok "orphan: the child is under cn=LostAndFound on $n" in_lf $n
	is "$(attr_of $n "$(adm_search $n -b "$LF" "(cn=orphan*)" 1.1 | sed -n 's/^dn: //p' | head -1)" sn)" \
	    "Orphan" "orphan: the child kept its attributes on $n"
done

# delete vs modify
for n in A B; do
	ok "delete/modify: cn=victim stays deleted on $n" no_dn $n "cn=victim,$U"
	is "$(adm_search $n -b "$BASE" "(sn=modified on B)" 1.1 | grep -c '^dn:')" 0 \
	    "delete/modify: the modify did not resurrect it anywhere on $n"
done

# still replicating afterwards
ok "a write on B after the conflicts" add_users B after 2
wait_ok "reaches A" has_dn A "cn=after2,$U"
ok "the probe written while standalone reached B after resuming" has_dn B "cn=probe1,$U"
wait_same "final: A and B identical" A B
n=$(count A)
is "$(count B)" "$n" "final: same entry count on A and B"

[ "$T_FAILED" -eq 0 ] || repl_show_logs A B
done_testing
