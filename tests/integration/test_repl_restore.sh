#!/bin/bash
# test_repl_restore.sh: a node brought back from a backup of its data
# directory (the "silent killer"): B is backed up, then A and B both take
# writes, then B's data is replaced by the backup. Nothing may be lost or
# duplicated: every entry written before and after the backup, on either
# node, is present exactly once on both; B's writes after the restore
# replicate; the logs say what happened (the new invocationId).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/repl_lib.sh"

U="cn=Users,$BASE"

ok "init and start A" repl_init A
ok "join and start B" repl_join B A
ok "writes before the backup (on A)" add_users A pre-a 3
ok "writes before the backup (on B)" add_users B pre-b 3
wait_same "A and B identical before the backup" A B

ok "stop B" node_stop B
ok "back up B's data directory" cp -a "$T_DIR/B/data" "$T_DIR/B/backup"
ok "start B" node_start B
inv_before=$(rootdse_attr B invocationId)
ok "writes after the backup on A" add_users A post-a 5
ok "writes after the backup on B" add_users B post-b 5
ok "a modify after the backup on B" adm_modify B <<EOF2
dn: cn=pre-a1,$U
changetype: modify
replace: sn
sn: changed on B after the backup
EOF2
wait_same "A and B identical after the writes" A B
usn_lost=$(rootdse_attr B highestCommittedUSN)

ok "stop B" node_stop B
ok "replace B's data directory by the backup" \
    bash -c "rm -rf '$T_DIR/B/data' && mv '$T_DIR/B/backup' '$T_DIR/B/data'"
ok "start B from the backup" node_start B
inv_after=$(rootdse_attr B invocationId)
like "$inv_after" '^[0-9a-f-]{36}$' "B has an invocationId after the restore"
ok "B's invocationId after the restore is new" test "$inv_after" != "$inv_before"
# B pulls its lost changes back at once (each takes a new USN), so the
# USN it started with comes from its log, not from the root DSE
usn_restored=$(grep -o 'highest USN [0-9]*' "$T_DIR/B/vmdird.log" | tail -1 | awk '{print $3}')
ok "B's USN went back (it really is the backup: $usn_restored < $usn_lost)" \
    test "${usn_restored:-0}" -lt "${usn_lost:-0}"

# no timing is asserted: a partner may take up to one long-poll period to
# notice the restored node's new incarnation (see the report)
REPL_DEADLINE=60 wait_same "after the restore, A and B converge" A B
for n in A B; do
	for e in pre-a1 pre-a2 pre-a3 pre-b1 pre-b2 pre-b3 post-a1 post-a3 post-a5 \
	    post-b1 post-b2 post-b3 post-b4 post-b5; do
		is "$(adm_search $n -b "$BASE" "(cn=$e)" 1.1 | grep -c '^dn:')" 1 \
		    "$n holds $e exactly once"
	done
	is "$(attr_of $n "cn=pre-a1,$U" sn)" "changed on B after the backup" \
	    "$n keeps B's modify made after the backup"
	is "$(adm_search $n -b "$BASE" "(cn=*CNF:*)" 1.1 | grep -c '^dn:')" 0 \
	    "$n has no conflict entries from the restore"
done

ok "writes on B after the restore" add_users B restored-b 3
wait_ok "B's writes after the restore reach A" has_dn A "cn=restored-b3,$U"
ok "a modify on B after the restore" adm_modify B <<EOF2
dn: cn=post-a2,$U
changetype: modify
replace: sn
sn: changed on restored B
EOF2
wait_ok "reaches A" attr_is A "cn=post-a2,$U" sn "changed on restored B"
ok "writes on A after the restore" add_users A restored-a 3
wait_ok "A's writes after the restore reach B" has_dn B "cn=restored-a3,$U"
wait_same "final: A and B identical" A B
is "$(count B)" "$(count A)" "final: same entry count on A and B"

ok "a log mentions B's new invocationId" \
    grep -qi "invocation.*$inv_after\|$inv_after.*invocation" "$T_DIR/A/vmdird.log" "$T_DIR/B/vmdird.log"
like "$(cat "$T_DIR/A/vmdird.log" "$T_DIR/B/vmdird.log" | grep -i "restore" | head -3)" \
    "restore" "a log says a restore was detected"

[ "$T_FAILED" -eq 0 ] || repl_show_logs A B
done_testing
