#!/bin/bash
# test_repl_restore.sh: a node brought back from a snapshot of its data
# directory (the "silent killer"). First a plain restart of B: a new
# incarnation that keeps the old one in its vector at the USN it held,
# and no restore reported. Then B is snapshotted while running (frozen
# with SIGSTOP while its data directory is copied), A and B both take
# writes, and B's data is replaced by the snapshot. Nothing may be lost or
# duplicated: every entry written before and after the snapshot, on either
# node, is present exactly once on both; B's writes after the restore
# replicate; B's vector keeps the snapshot's invocationId at the restored
# USN; B logs exactly the "restore detected" message with the right
# numbers, and A logs B's new invocationId, both after the restart.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/repl_lib.sh"

U="cn=Users,$BASE"

ok "init and start A" repl_init A
ok "join and start B" repl_join B A
ok "writes before the backup (on A)" add_users A pre-a 3
ok "writes before the backup (on B)" add_users B pre-b 3
wait_same "A and B identical before the backup" A B

# log_lines NODE: how many lines NODE's log has now (an offset)
log_lines() { wc -l <"$T_DIR/$1/vmdird.log"; }
# log_since NODE OFFSET: NODE's log lines after OFFSET
log_since() { tail -n +"$(($2 + 1))" "$T_DIR/$1/vmdird.log"; }
# utdv_of NODE INV: the USN NODE's upToDateVector holds for INV (empty if none)
utdv_of() { attr_of "$1" "$(srv_dn "$1")" upToDateVector | tr ',' '\n' | sed -n "s/^$2://p"; }
# log_has NODE OFFSET FIXED-STRING: NODE logged the string after OFFSET
log_has() { log_since "$1" "$2" | grep -qF -- "$3"; }
restore_line() { log_since B "$1" | grep -F "replication: restore detected: " || true; }

# --- a plain restart is a new incarnation, not a restore. A is frozen
# from B's last write until B is back, so what B's vector says of its
# previous incarnation comes from B itself, not from A's vector.
inv_run1=$(rootdse_attr B invocationId)
wait_ok "B's server object is current (no write of B's own pending)" own_current B
kill -STOP "${NODE_PID[A]}"
ok "a write on B that A has not seen (A frozen)" add_users B restart-b 1
usn_run1=$(rootdse_attr B highestCommittedUSN)
off_b=$(log_lines B)
ok "stop B (plain restart)" node_stop B
ok "start B again" node_start B
inv_run2=$(rootdse_attr B invocationId)
like "$inv_run2" '^[0-9a-f-]{36}$' "plain restart: B has an invocationId"
ok "plain restart: B's log names its new incarnation and the previous one" \
    log_has B "$off_b" "invocationId $inv_run2 (previous $inv_run1, highest USN "
is "$(utdv_of B "$inv_run1")" "$usn_run1" \
    "plain restart: B's vector keeps its previous invocationId at the USN it held ($usn_run1)"
kill -CONT "${NODE_PID[A]}"
wait_same "plain restart: A and B identical" A B
is "$(restore_line "$off_b")" "" "plain restart: no restore reported"
is "$(rootdse_attr B vmwLastRestore)" "" "plain restart: no vmwLastRestore on B's root DSE"

# --- a snapshot of the running B: frozen, its data directory copied as
# it is on disk (what a VM snapshot or a storage snapshot captures)
# (again with a last write on B that A has not seen: only B itself can
# tell its vector how far the snapshot's incarnation went)
inv_before=$(rootdse_attr B invocationId)
wait_ok "B's server object is current again after the restart" own_current B
kill -STOP "${NODE_PID[A]}"
ok "a write on B that A has not seen (A frozen)" add_users B snap-b 1
usn_snap=$(rootdse_attr B highestCommittedUSN)
kill -STOP "${NODE_PID[B]}"
ok "snapshot B's data directory while B is frozen" cp -a "$T_DIR/B/data" "$T_DIR/B/backup"
kill -CONT "${NODE_PID[B]}"
kill -CONT "${NODE_PID[A]}"
ok "writes after the snapshot on A" add_users A post-a 5
ok "writes after the snapshot on B" add_users B post-b 5
ok "a modify after the snapshot on B" adm_modify B <<EOF2
dn: cn=pre-a1,$U
changetype: modify
replace: sn
sn: changed on B after the backup
EOF2
wait_same "A and B identical after the writes" A B
# A has seen all of B's incarnation once its vector holds B's highest USN
a_saw_all() { [ "$(utdv_of A "$inv_before")" == "$(rootdse_attr B highestCommittedUSN)" ]; }
wait_ok "A's vector holds B's incarnation up to B's highest USN" a_saw_all
usn_lost=$(rootdse_attr B highestCommittedUSN)
usn_seen=$(utdv_of A "$inv_before")

ok "stop B" node_stop B
ok "replace B's data directory by the snapshot" \
    bash -c "rm -rf '$T_DIR/B/data' && mv '$T_DIR/B/backup' '$T_DIR/B/data'"
off_b=$(log_lines B)
off_a=$(log_lines A)
# A frozen: B cannot pull yet, so its vector is the restored one
kill -STOP "${NODE_PID[A]}"
ok "start B from the snapshot (A frozen)" node_start B
inv_after=$(rootdse_attr B invocationId)
like "$inv_after" '^[0-9a-f-]{36}$' "B has an invocationId after the restore"
ok "B's invocationId after the restore is new" test "$inv_after" != "$inv_before"
ok "B's log: the new incarnation follows the snapshot's invocationId $inv_before" \
    log_has B "$off_b" "invocationId $inv_after (previous $inv_before, highest USN "
usn_restored=$(utdv_of B "$inv_before")
ok "B's USN went back (it really is the snapshot: ${usn_restored:-?} < $usn_lost)" \
    test "${usn_restored:-0}" -lt "${usn_lost:-0}"
is "$usn_restored" "$usn_snap" \
    "B's vector keeps the snapshot's invocationId at the snapshot's USN ($usn_snap)"
is "$(restore_line "$off_b")" "" "no restore reported before B has heard from A"
kill -CONT "${NODE_PID[A]}"

# no timing is asserted: a partner may take up to one long-poll period to
# notice the restored node's new incarnation (see the report)
REPL_DEADLINE=60 wait_same "after the restore, A and B converge" A B
for n in A B; do
	for e in pre-a1 pre-a2 pre-a3 pre-b1 pre-b2 pre-b3 restart-b1 snap-b1 post-a1 post-a3 \
	    post-a5 post-b1 post-b2 post-b3 post-b4 post-b5; do
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

ok "A's log: B has a new invocationId (after the restart)" \
    log_has A "$off_a" "replication: $(url B) has a new invocationId $inv_after (was $inv_before): reading its changes again from USN 0"
note="restore detected: $(url A) has seen changes of this node's former invocationId $inv_before up to USN $usn_seen, this node had them only up to USN $usn_restored; this node was restored from an older copy and is pulling the $((usn_seen - usn_restored)) lost change(s) back"
is "$(restore_line "$off_b" | grep -c .)" 1 "B's log: the restore is reported exactly once"
ok "B's log: restore detected, naming A, the old invocationId and both USNs" \
    log_has B "$off_b" "replication: $note"
is "$(rootdse_attr B vmwLastRestore)" "$note" "B's root DSE: vmwLastRestore says the same"
ok "B's vector holds the old incarnation again up to what A had seen" \
    test "$(utdv_of B "$inv_before")" -ge "$usn_seen"

[ "$T_FAILED" -eq 0 ] || repl_show_logs A B
done_testing
