#!/usr/bin/env bash
# test_vecs_badinput.sh: bad input to vecsd, through vecs-cli and raw
# clients of its socket (vecs_raw.py): files that are not PEM, keys that do
# not match, unknown stores, duplicate aliases, bad store names, oversized,
# truncated and malformed requests, clients that close or go silent
# mid-request, 200 clients at once and more than max_clients. Each gets a
# clear error, vecsd keeps serving and the stores do not change.
set -u
. "$(dirname "$0")/vecs_lib.sh"

vecsd_start v -o idle_timeout=2 -o max_clients=250 || { echo "Bail out! vecsd does not start"; exit 1; }
export VECS_SOCKET
VECS_SOCKET=$(vecsd_sock v)
V=$VECSCLI
RAW() { python3 "$top_srcdir/tests/integration/vecs_raw.py" "$VECS_SOCKET" "$@"; }
mkcert a "Cert A"
mkcert b "Cert B"
"$V" store create --name S >/dev/null
"$V" entry create --store S --alias one --cert "$PUB/a.pem" --key "$PUB/a.key" >/dev/null

# snapshot: every store and every entry
snapshot() {
	local s
	for s in $("$V" store list); do
		echo "STORE $s"
		"$V" entry list --store "$s"
	done
}
snapshot >"$T_DIR/before"

# --- through vecs-cli
printf 'hello, not a certificate\n' >"$PUB/junk.pem"
R "$V" entry create --store S --alias x --cert "$PUB/junk.pem"
is "$RC" 87 "a file that is not PEM: 87"
like "$ERR" "^Error : no certificate in PEM form was found$" "and says so"
R "$V" entry create --store S --alias x --cert "$PUB/a.pem" --key "$PUB/b.key"
is "$RC" 87 "a key that does not match its certificate: 87"
like "$ERR" "^Error : the private key does not match the certificate$" "and says so"
R "$V" entry create --store S --alias x --cert "$PUB/a.pem" --key "$PUB/junk.pem"
is "$RC" 87 "a key file that is not PEM: 87"
R "$V" entry create --store S --alias x --cert "$PUB/a.key"
is "$RC" 87 "a key given as the certificate: 87"
head -c 300 "$PUB/a.pem" >"$PUB/cut.pem"
R "$V" entry create --store S --alias x --cert "$PUB/cut.pem"
is "$RC" 87 "a truncated certificate: 87"
R "$V" entry create --store NOSUCH --cert "$PUB/a.pem"
is "$RC" 216 "an unknown store: 4312 (exit 216)"
like "$ERR" "^Error : Store \\[NOSUCH\\] does not exist$" "Error : Store [N] does not exist"
R "$V" entry create --store S --alias ONE --cert "$PUB/b.pem"
is "$RC" 183 "a duplicate alias (another case): 183"
like "$ERR" "alias \\[ONE\\] is already in store \\[S\\]" "and says so"
R "$V" store create --name "a/b"
is "$RC" 87 "a store name with / : 87"
R "$V" store create --name "../x"
is "$RC" 87 "a store name with ../ : 87"
R "$V" store create --name "$(printf 'a\tb')"
is "$RC" 87 "a store name with a tab: 87"
R "$V" store create --name "$(head -c 10000 /dev/zero | tr '\0' x)"
is "$RC" 87 "a store name of 10,000 bytes: 87"
R "$V" store create --name "$(head -c 1024 /dev/zero | tr '\0' y)"
is "$RC" 0 "a store name of 1024 bytes is taken"
"$V" store delete --name "$(head -c 1024 /dev/zero | tr '\0' y)" -y >/dev/null
R "$V" entry create --store S --alias "$(head -c 10000 /dev/zero | tr '\0' x)" --cert "$PUB/b.pem"
is "$RC" 87 "an alias of 10,000 bytes: 87"
R "$V" entry create --store S --alias "$(printf 'a\nb')" --cert "$PUB/b.pem"
is "$RC" 87 "an alias with a newline: 87"
R "$V" entry list --store "a/b"
is "$RC" 87 "entry list of a bad store name: 87"
vecsd_alive v "bad input through vecs-cli"

# --- raw requests
is "$(RAW oversized)" "87 closed" "an oversized request: error 87, then the connection closes"
is "$(RAW truncated)" "sent" "a client sends half a request and closes"
vecsd_alive v "a client closing mid-request"
is "$(RAW idle)" "closed True" "a client silent mid-request is dropped after idle_timeout"
is "$(RAW badversion)" "13 closed" "a body of an unknown version: 13, then closed"
is "$(RAW unknownop)" "87 0" "an unknown operation: 87, and the connection still serves"
is "$(RAW fields)" "87" "a request with the wrong number of fields: 87"
is "$(RAW nul)" "87" "a store name with a NUL byte: 87"
like "$(tail -20 "$T_DIR/v/vecsd.log")" "closed in the middle of a request|idle for 2 s" \
    "the log says what happened"
vecsd_alive v "raw bad requests"
snapshot >"$T_DIR/after"
same "$T_DIR/after" "$T_DIR/before" "the stores are unchanged"

# --- many clients
is "$(RAW many 200)" "0" "200 clients at once each create a store"
is "$("$V" store list | grep -c '^C[0-9]*$')" 200 "all 200 stores are there"
is "$(RAW hold 240 | tr ' ' '\n' | sort -u | tr '\n' ' ')" "0 " "240 connections held open are all served"
ans=$(RAW hold 260 | tr ' ' '\n' | sort | uniq -c | awk '{print $2 ":" $1}' | tr '\n' ' ')
like "$ans" "170:" "past max_clients (250) a client is answered busy (170)"
vecsd_alive v "many clients"

done_testing
