#!/usr/bin/env bash
# test_vecs_crash.sh: vecsd killed with SIGKILL while clients write. Every
# write vecsd acknowledged (the client printed success) must be there
# after the restart, and the store must hold nothing half-written.
set -u
. "$(dirname "$0")/vecs_lib.sh"

vecsd_start v || { echo "Bail out! vecsd does not start"; exit 1; }
export VECS_SOCKET
VECS_SOCKET=$(vecsd_sock v)
V=$VECSCLI
mkcert a "Crash"
"$V" store create --name CRASH >/dev/null
: >"$T_DIR/acked"

# writer ROUND: adds entries (and a store every tenth) until vecsd is gone;
# an alias is recorded only once vecs-cli reported success
writer() {
	local r=$1 i=0
	while :; do
		i=$((i + 1))
		"$V" entry create --store CRASH --alias "r${r}e$i" --cert "$PUB/a.pem" \
		    --key "$PUB/a.key" >/dev/null 2>&1 || break
		echo "CRASH r${r}e$i" >>"$T_DIR/acked"
		if [ $((i % 10)) -eq 0 ]; then
			"$V" store create --name "R${r}S$i" >/dev/null 2>&1 || break
			echo "STORE R${r}S$i" >>"$T_DIR/acked"
		fi
	done
}

for round in 1 2 3; do
	start=$(wc -l <"$T_DIR/acked")
	writer "$round" &
	wpid=$!
	writer "${round}b" &
	wpid2=$!
	# bounded: until 25 more writes were acknowledged (at most 60 s)
	for i in $(seq 1 1200); do
		[ $(($(wc -l <"$T_DIR/acked") - start)) -ge 25 ] && break
		sleep 0.05
	done
	node_kill v
	wait "$wpid" "$wpid2"
	n=$(($(wc -l <"$T_DIR/acked") - start))
	ok "round $round: writes were acknowledged before the kill ($n)" test "$n" -ge 25
	vecsd_start v || { echo "Bail out! vecsd does not restart after SIGKILL"; exit 1; }
	"$V" entry list --store CRASH --aliases | tail -n +2 | sed 's/^/CRASH /' >"$T_DIR/have"
	"$V" store list | sed 's/^/STORE /' >>"$T_DIR/have"
	missing=$(sort "$T_DIR/acked" | comm -23 - <(sort "$T_DIR/have"))
	is "${missing:-none}" none "round $round: every acknowledged write is there after the restart"
	bad=0
	for a in $("$V" entry list --store CRASH --aliases | tail -n +2 | shuf -n 5 --random-source=/dev/zero); do
		"$V" entry getkey --store CRASH --alias "$a" >/dev/null || bad=$((bad + 1))
	done
	is "$bad" 0 "round $round: entries read back whole, keys included"
done
like "$(cat "$T_DIR/v/vecsd.log")" "vecsd .* serving" "vecsd recovered its environment at each start"

done_testing
