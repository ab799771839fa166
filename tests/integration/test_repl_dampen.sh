#!/bin/bash
# test_repl_dampen.sh: a waiting pull that wakes to changes its consumer
# already has keeps waiting instead of answering an empty page (repl/supply.c,
# dampening), counted exactly through cn=monitor, on a 3-node full mesh:
#  - B pulls from A and C through a relay (unixproxy.py --tcp) that the
#    test can freeze (SIGSTOP), so B can be kept from applying a change
#    while A and C have it and B still serves its partners;
#  - a change W on A reaches C while B's relay is frozen; a change X made
#    on B is answered to A and C (one entry each), so both then wait on B
#    with a vector that covers W;
#  - the relay thawed, B applies W: each of the two waiting pulls wakes
#    once and keeps waiting (2 dampened), nothing is answered and no entry
#    sent, two pulls still wait;
#  - when the consumers' wait time runs out, both are answered, empty, and
#    their marks for B reach B's highest USN (the mark advanced past W);
#  - a change Y made on A reaches C while B is frozen; when B applies it,
#    both waiting pulls hold it back (its origin is a direct partner of
#    both consumers, relay.c): 2 held, no entry sent, each answered once
#    the hold is over with an empty page asking for more, and answered
#    again, empty, when its consumer pulls at once with a vector that
#    covers Y;
#  - the three nodes end byte for byte identical.
# The nodes run with repl_interval 25, so a pull waits 25 s: the steps up
# to the dampening take a few seconds, far from that deadline.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/repl_lib.sh"

U="cn=Users,$BASE"
IVL=25

# mon NODE ATTR: a counter of NODE's cn=monitor
mon() { adm_search "$1" -b cn=monitor -s base "$2" | sed -n "s/^$2: //Ip"; }
# waiting_is NODE N: N pulls wait on NODE
waiting_is() { [ "$(mon "$1" vmwMonitorSupplyWaiting)" = "$2" ]; }
# quiet: every node's upkeep done and both partners' pulls waiting on each
quiet() {
	local n
	for n in A B C; do own_current "$n" && waiting_is "$n" 2 || return 1; done
}
# mark_of NODE SUPPLIER: NODE's mark for its agreement with SUPPLIER
mark_of() {
	adm_search "$1" -b "labeledURI=$(url "$2"),cn=Replication Agreements,$(srv_dn "$1")" \
	    -s base lastLocalUsnProcessed | sed -n 's/^lastLocalUsnProcessed: //Ip' | cut -d' ' -f1
}
mark_is_top() { [ "$(mark_of "$1" B)" = "$(rootdse_attr B highestCommittedUSN)" ]; }
person() { printf 'dn: cn=%s,%s\nobjectClass: person\ncn: %s\nsn: %s\n' "$1" "$U" "$1" "$1"; }

ok "init and start A" eval 'node_init A && node_start A -o repl_interval=$IVL'
ok "join and start B" repl_join B A -o repl_interval=$IVL
ok "join and start C (to A)" repl_join C A -o repl_interval=$IVL
ok "C pulls from B" agr_add C B A

# B's own pulls go through the relay: RA leads to A, RC to C
RA=$(free_port) RC=$(free_port)
python3 "$top_srcdir/tests/integration/unixproxy.py" --tcp "$RA:${NODE_PORT[A]}" "$RC:${NODE_PORT[C]}" \
    >"$T_DIR/relay.out" 2>&1 &
RELAY=$!
ok "the relay listens" wait_until grep -q listening "$T_DIR/relay.out"
ok "B pulls from A through the relay" agr_add_uri B "ldap://127.0.0.1:$RA" A
ok "B pulls from C through the relay" agr_add_uri B "ldap://127.0.0.1:$RC" A
ok "B no longer pulls from A directly" agr_del B A A
wait_same "3-node mesh converges" A B C
wait_ok "quiet: on every node both partners' pulls wait" quiet

# ------------------------------------------- W on A, B kept from it
ok "freeze B's pulls (SIGSTOP the relay)" kill -STOP "$RELAY"
ok "W added on A" eval 'person w | adm_add A >/dev/null'
wait_ok "C has W" has_dn C "cn=w,$U"
ok "B does not have W" no_dn B "cn=w,$U"

# ------------------------------------------- X on B: fresh pulls from A and C
a0=$(mon B vmwMonitorSupplyAnswers) e0=$(mon B vmwMonitorSupplyEntries)
ok "X added on B" eval 'person x | adm_add B >/dev/null'
wait_ok "A has X" has_dn A "cn=x,$U"
wait_ok "C has X" has_dn C "cn=x,$U"
wait_ok "B answered A and C once each" eval '[ "$(mon B vmwMonitorSupplyAnswers)" = $((a0 + 2)) ]'
is "$(mon B vmwMonitorSupplyEntries)" $((e0 + 2)) "... with one entry each (X)"
wait_ok "A and C wait on B again, with vectors that cover W" waiting_is B 2

a1=$(mon B vmwMonitorSupplyAnswers) e1=$(mon B vmwMonitorSupplyEntries)
d1=$(mon B vmwMonitorSupplyDampened)

# ------------------------------------------- B applies W: dampened
ok "thaw B's pulls (SIGCONT the relay)" kill -CONT "$RELAY"
wait_ok "B has W" has_dn B "cn=w,$U"
wait_ok "both waiting pulls woke to W and kept waiting: 2 dampened" \
    eval '[ "$(mon B vmwMonitorSupplyDampened)" = $((d1 + 2)) ]'
is "$(mon B vmwMonitorSupplyAnswers)" "$a1" "B answered nothing early"
is "$(mon B vmwMonitorSupplyEntries)" "$e1" "B sent no entry"
is "$(mon B vmwMonitorSupplyWaiting)" 2 "both pulls still wait on B"

# ------------------------------------------- the wait time runs out
REPL_DEADLINE=$((IVL + 20)) wait_ok "when their time runs out, B answers both" \
    eval '[ "$(mon B vmwMonitorSupplyAnswers)" = $((a1 + 2)) ]'
is "$(mon B vmwMonitorSupplyEntries)" "$e1" "... empty"
is "$(mon B vmwMonitorSupplyDampened)" $((d1 + 2)) "no other wake-up on B"
wait_ok "C's mark for B reaches B's highest USN (past W)" mark_is_top C
wait_ok "A's mark for B reaches B's highest USN (past W)" mark_is_top A

# ------------------------------------------- relayed changes held back
# A and C now wait on B with vectors from before Y; Y, made on A, reaches
# C directly while B is frozen. When B applies Y, its origin A is one of
# both consumers' direct partners (C pulls from A; A is A), so B holds it
# (2 held), sends no entry, and after the hold answers both with an empty
# page asking for more; they pull again at once with vectors that cover
# Y and get nothing: 4 answers, no entry, then both wait again.
wait_ok "quiet again" quiet
a2=$(mon B vmwMonitorSupplyAnswers) e2=$(mon B vmwMonitorSupplyEntries)
h2=$(mon B vmwMonitorSupplyHeld)
ok "freeze B's pulls again" kill -STOP "$RELAY"
ok "Y added on A" eval 'person y | adm_add A >/dev/null'
wait_ok "C has Y" has_dn C "cn=y,$U"
ok "thaw B's pulls" kill -CONT "$RELAY"
wait_ok "B has Y" has_dn B "cn=y,$U"
wait_ok "B held Y back from both waiting pulls: 2 held" \
    eval '[ "$(mon B vmwMonitorSupplyHeld)" = $((h2 + 2)) ]'
wait_ok "both answered after the hold, pulled again and wait again" \
    eval '[ "$(mon B vmwMonitorSupplyAnswers)" = $((a2 + 4)) ] && waiting_is B 2'
is "$(mon B vmwMonitorSupplyEntries)" "$e2" "B sent no entry: A and C had Y from A"
is "$(mon B vmwMonitorSupplyHeld)" $((h2 + 2)) "nothing else held"

wait_same "A, B and C identical" A B C
kill "$RELAY" 2>/dev/null
wait "$RELAY" 2>/dev/null
done_testing
