#!/bin/bash
# test_tools_status.sh: vdcrepadmin's status never misleads, on three nodes
# (A made with --init, B and C joined to it, a full mesh). "My last change
# number" comes from this node's own changes, not from the partner's mark;
# showpartnerstatus and showfederationstatus count how far a node trails
# with one definition (the entries it would still receive, each once), so
# an entry that travelled on through a second node is not counted twice.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/repl_lib.sh"

REPADMIN=$top_builddir/vdcrepadmin
rep() { "$REPADMIN" "$@" -u administrator -w "$ADMIN_PW"; }
hp() { echo "127.0.0.1:${NODE_PORT[$1]}"; }
# block NODE PARTNER: NODE's showpartnerstatus block for PARTNER.
block() {
	rep -f showpartnerstatus -h "$(hp "$1")" |
	    awk -v p="Partner: $(hp "$2")" 'BEGIN { RS = "" } $0 ~ "^" p "\n" { print }'
}
field() { sed -n "s/^$1 *//p"; }
usn() { rootdse_attr "$1" highestCommittedUSN; }
# fed NODE ROW: the Trailing column of ROW in NODE's showfederationstatus.
fed() { rep -f showfederationstatus -h "$(hp "$1")" | awk -v r="$2" '$1 == r { print $NF }'; }
# all_behind_zero: every node reports each partner 0 changes behind.
all_behind_zero() {
	local n out
	for n in A B C; do
		out=$(rep -f showpartnerstatus -h "$(hp "$n")") || return 1
		grep -q 'changes behind' <<<"$out" || return 1
		grep 'changes behind' <<<"$out" | grep -qvx 'Partner is 0 changes behind\.' && return 1
	done
	return 0
}

ok "init and start A" repl_init A
ok "join and start B (to A)" repl_join B A
ok "join and start C (to A)" repl_join C A
ok "C pulls from B" agr_add C B A
# Each node keeps its own server object current (invocationId, URI): wait
# until every node holds every object's final form, so no such write
# lands while B is Standalone below.
objects_current() {
	local n m inv
	for n in A B C; do
		inv=$(rootdse_attr "$n" invocationId)
		for m in A B C; do
			attr_is "$m" "$(srv_dn "$n")" invocationId "$inv" || return 1
			attr_is "$m" "$(srv_dn "$n")" labeledURI "$(url "$n")" || return 1
		done
	done
}
wait_ok "every server object is current on every node" objects_current
wait_same "A, B and C converge" A B C
wait_ok "every partner is 0 changes behind" all_behind_zero

# B stops replicating; an agreement written on B itself (B pulls from C)
# stays there. B has pulled nothing from C, so its mark for C is 0, and it
# needs nothing C holds.
ok "B is Standalone" set_state B STANDALONE
ok "B pulls from C (written on B)" agr_add B C B
OUT=$(block C B)
is "$(field 'Status available:' <<<"$OUT")" Yes "C's status for B is available"
is "$(field 'Partner has seen my change number:' <<<"$OUT")" 0 "B has seen C's change number 0 (its mark)"
is "$(field 'My last change number:' <<<"$OUT")" "$(usn C)" \
    "C's last change number is C's highest USN, not B's mark"
is "$(sed -n 's/^Partner is \([0-9]*\) changes behind\.$/\1/p' <<<"$OUT")" 0 \
    "B needs nothing from C: 0 changes behind"

# Three new entries on A reach C, not B.
ok "three entries on A" add_users A st 3
wait_ok "C has them" has_dn C "cn=st3,cn=Users,$BASE"
OUT=$(block A B)
is "$(sed -n 's/^Partner is \([0-9]*\) changes behind\.$/\1/p' <<<"$OUT")" 3 \
    "A: B is 3 changes behind"
is "$(field 'My last change number:' <<<"$OUT")" "$(usn A)" \
    "A: my last change number is A's highest USN (the last entry B needs)"
C_LAST=$(for i in 1 2 3; do attr_of C "cn=st$i,cn=Users,$BASE" uSNChanged; done | sort -n | tail -1)
OUT=$(block C B)
is "$(sed -n 's/^Partner is \([0-9]*\) changes behind\.$/\1/p' <<<"$OUT")" 3 \
    "C: B is 3 changes behind (the same three entries)"
is "$(field 'My last change number:' <<<"$OUT")" "$C_LAST" \
    "C: my last change number is C's USN of the last entry B needs"
OUT=$(rep -f showpartnerstatus -h "$(hp C)" --json)
is "$(python3 -c 'import json,sys; print(sorted(p["changesBehind"] for p in json.load(sys.stdin)))' <<<"$OUT")" \
    "[0, 3]" "C --json: A 0 behind, B 3 behind"

# showfederationstatus counts the same way: B trails by the three entries
# (once, though both A and C hold them); A and C trail by the one change
# only B holds (its agreement with C).
is "$(fed A B)" 3 "showfederationstatus: B trails by 3"
is "$(fed A A)" 1 "showfederationstatus: A trails by 1 (B's agreement)"
is "$(fed A C)" 1 "showfederationstatus: C trails by 1 (B's agreement)"
is "$(fed C B)" 3 "showfederationstatus asked of C agrees: B trails by 3"
OUT=$(rep -f showfederationstatus -h "$(hp A)" --json)
is "$(python3 -c 'import json,sys; print(" ".join(str(r["trailing"]) for r in sorted(json.load(sys.stdin), key=lambda r: r["server"])))' <<<"$OUT")" \
    "1 3 1" "showfederationstatus --json: A 1, B 3, C 1"

# B back to Normal: everything converges and nobody trails.
ok "B is Normal again" set_state B NORMAL
wait_same "A, B and C converge again" A B C
wait_ok "every partner is 0 changes behind again" all_behind_zero
for n in A B C; do
	wait_ok "showfederationstatus: $n trails by 0" sh -c "[ \"\$(\"$REPADMIN\" -f showfederationstatus -h $(hp A) -u administrator -w '$ADMIN_PW' | awk '\$1 == \"$n\" { print \$NF }')\" = 0 ]"
done

done_testing
