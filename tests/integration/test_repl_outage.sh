#!/bin/bash
# test_repl_outage.sh: partners going away and coming back. A consumer
# that was down catches up; a kill -9 in the middle of a large initial
# copy resumes without losing or doubling entries; a supplier killed -9
# while taking writes comes back consistent; a node whose machine-account
# password is wrong does not replicate but keeps serving, and says why.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/repl_lib.sh"

U="cn=Users,$BASE"
BULK=3000

ok "init and start A" repl_init A
ok "join and start B" repl_join B A
wait_same "initial copy" A B

# --- partner down
ok "stop B" node_stop B
ok "write on A while B is down" add_users A whiledown 20
ok "modify on A while B is down" adm_modify A <<EOF2
dn: cn=whiledown1,$U
changetype: modify
replace: sn
sn: changed while B was down
EOF2
ok "delete on A while B is down" adm_delete A "cn=whiledown2,$U"
ok "start B" node_start B
wait_ok "B catches up (last add)" has_dn B "cn=whiledown20,$U"
wait_same "B caught up: identical dumps" A B

# --- kill -9 during a large initial copy
ok "$BULK entries on A" add_users A bulk $BULK
n_a=$(count A)
ok "A now holds more than $BULK entries ($n_a)" test "$n_a" -gt $BULK
mkdir -p "$T_DIR/C"
NODE_PORT[C]=$(free_port)
ok "join C to A" "$VMDIRD" --join "$(url A)" -d "$T_DIR/C/data" --password "$ADMIN_PW" \
    --node C -p "${NODE_PORT[C]}" --schema-dir "$SCHEMA_DIR"
# small pages make the copy many transactions, so there is a middle
ok "start C (initial copy)" node_start C -o repl_page_size=25
# once C has applied some pages, freeze the supplier: C can then finish at
# most the page it holds, and its count is stable while we look and kill
for _ in $(seq 1 3000); do
	grep -q "applied .* entries" "$T_DIR/C/vmdird.log" && break
	sleep 0.01
done
kill -STOP "${NODE_PID[A]}"
sleep 0.3
n_mid=$(adm_search C -b "$BASE" 1.1 2>/dev/null | grep -c '^dn:')
node_kill C
kill -CONT "${NODE_PID[A]}"
echo "# C held $n_mid of $n_a entries when killed"
ok "C was killed in the middle of the copy (0 < $n_mid < $n_a)" \
    test "$n_mid" -gt 0 -a "$n_mid" -lt "$n_a"
ok "restart C" node_start C
wait_same "after the interrupted copy: A and C identical" A C
is "$(count C)" "$(count A)" "C's entry count is exact"
is "$(count C "$U" "(cn=bulk*)")" "$BULK" "C holds every bulk entry exactly once"
wait_same "A, B and C identical" A B C

# --- kill -9 of a busy supplier
ok "stop C (not needed any more)" node_stop C
writer() {
	local i
	for i in $(seq 1 400); do
		printf 'dn: cn=busy%d,%s\nobjectClass: person\ncn: busy%d\nsn: busy\n\n' "$i" "$U" "$i"
	done | adm_add A -c >/dev/null 2>&1
}
writer &
wpid=$!
wait_until has_dn B "cn=busy50,$U"
node_kill A
wait "$wpid" 2>/dev/null
n_busy=$(count B "$U" "(cn=busy*)")
echo "# B held $n_busy busy entries when A was killed"
ok "restart A after kill -9" node_start A
wait_same "after A's crash: A and B identical" A B
is "$(count B "$U" "(cn=busy*)")" "$(count A "$U" "(cn=busy*)")" \
    "the same busy entries on A and B"
ok "write on A after its restart" add_users A afterkill 3
wait_ok "reaches B" has_dn B "cn=afterkill3,$U"
ok "write on B" add_users B fromb 3
wait_ok "reaches A" has_dn A "cn=fromb3,$U"
wait_same "A and B identical" A B

# --- bad machine-account credentials on B
# log_since NODE OFFSET: NODE's log lines after OFFSET (lines)
log_since() { tail -n +"$(($2 + 1))" "$T_DIR/$1/vmdird.log"; }
# bind_result NODE WHO OFFSET ERR: after OFFSET, NODE's log shows a BIND
# as WHO's machine account answered err=ERR on the same connection and
# operation (49: invalidCredentials)
bind_result() {
	log_since "$1" "$3" | python3 -c '
import re, sys
dn = ("cn=%s,cn=domain controllers," % sys.argv[1]).lower()
binds, found = set(), False
for line in sys.stdin:
    m = re.search(r"conn=(\d+) op=(\d+) BIND dn=\"([^\"]*)\"", line)
    if m and m.group(3).lower().startswith(dn):
        binds.add(m.group(1, 2))
        continue
    m = re.search(r"conn=(\d+) op=(\d+) RESULT err=(\d+)", line)
    if m and m.group(1, 2) in binds and m.group(3) == sys.argv[2]:
        found = True
sys.exit(0 if found else 1)
' "$2" "$4"
}
ok "stop B" node_stop B
ok "corrupt B's machine-account password" \
    bash -c "printf 'not-the-password\n' > '$T_DIR/B/data/machine-account'"
off_a=$(wc -l <"$T_DIR/A/vmdird.log")
off_b=$(wc -l <"$T_DIR/B/vmdird.log")
ok "restart B" node_start B
ok "write on A" add_users A badcred 1
cannot_bind() {
	log_since B "$off_b" | grep -qF "replication: cannot bind to $(url A) as cn=B,cn=Domain Controllers,$BASE: Invalid credentials"
}
wait_ok "B's log (after the restart) says it cannot bind to A: invalid credentials" cannot_bind
wait_ok "A's log (after B's restart) shows B's machine-account bind refused with err=49" \
    bind_result A B "$off_a" 49
not() { ! "$@"; }
ok "B's machine account bound successfully before its password was broken" \
    bind_result A B 0 0
ok "B's machine account never bound successfully to A after the restart" \
    not bind_result A B "$off_a" 0
ok "B did not replicate from A with a wrong password" no_dn B "cn=badcred1,$U"
ok "B still serves reads" has_dn B "cn=whiledown1,$U"
ok "B still takes writes" add_users B localonly 1
ok "A still serves" has_dn A "cn=badcred1,$U"

[ "$T_FAILED" -eq 0 ] || repl_show_logs A B C
done_testing
