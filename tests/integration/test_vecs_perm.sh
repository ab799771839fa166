#!/usr/bin/env bash
# test_vecs_perm.sh: vecsd's permissions, with two unprivileged users the
# test creates (useradd) and runs vecs-cli as (setpriv). The caller is the
# socket's peer uid: refused until granted, then allowed; revoke works; a
# private key never leaves without read; a non-owner cannot delete, grant
# or revoke; a non-root store list shows only the stores the caller may see.
set -u
. "$(dirname "$0")/vecs_lib.sh"

if [ "$(id -u)" -ne 0 ] || ! command -v useradd >/dev/null || ! command -v setpriv >/dev/null; then
	echo "1..0 # SKIP needs root, useradd and setpriv"
	exit 0
fi
UA=tvecsa$$
UB=tvecsb$$
cleanup_users() { userdel "$UA" 2>/dev/null; userdel "$UB" 2>/dev/null; }
trap 'cleanup_users; t_cleanup' EXIT
useradd -M -N -s /usr/sbin/nologin "$UA" && useradd -M -N -s /usr/sbin/nologin "$UB" ||
    { echo "Bail out! useradd failed"; exit 1; }
# the users reach the socket and the certificates
chmod 0711 "$T_DIR"
vecsd_start v || { echo "Bail out! vecsd does not start"; exit 1; }
chmod 0711 "$T_DIR/v"
SOCK=$(vecsd_sock v)
V=$VECSCLI
export VECS_SOCKET=$SOCK

# as USER CMD...: vecs-cli as that user (real and effective ids, groups)
as() {
	local u=$1
	shift
	setpriv --reuid="$(id -u "$u")" --regid="$(id -g "$u")" --init-groups \
	    env VECS_SOCKET="$SOCK" "$V" "$@"
}
# RA USER CMD...: as, with OUT, ERR and RC
RA() { R as "$@"; }

mkcert k1 "Key One"
mkcert k2 "Key Two"
mkcert r1 "Root One"
T1=$(thumb "$PUB/r1.pem")
"$V" entry create --store TRUSTED_ROOTS --cert "$PUB/r1.pem" >/dev/null
"$V" store create --name ROOTSTORE >/dev/null
"$V" entry create --store ROOTSTORE --alias k1 --cert "$PUB/k1.pem" --key "$PUB/k1.key" >/dev/null

# --- what any local user has
RA "$UA" store list
is "$RC:$OUT" "0:TRUSTED_ROOT_CRLS
TRUSTED_ROOTS" "a new user's store list shows only the stores everyone reads"
RA "$UA" entry list --store TRUSTED_ROOTS --aliases
is "$RC:$OUT" "0:Number of entries in store :	1
$T1" "any user lists TRUSTED_ROOTS"
RA "$UA" entry getcert --store TRUSTED_ROOTS --alias "$T1"
is "$RC" 0 "and reads its certificates"
RA "$UA" entry create --store TRUSTED_ROOTS --cert "$PUB/k2.pem"
is "$RC" 5 "but does not add to it (5)"
like "$ERR" "^vecs-cli failed. Error 5: Operation failed with error ERROR_ACCESS_DENIED \\(5\\) $" \
    "VMware's access-denied line"
RA "$UA" entry delete --store TRUSTED_ROOTS --alias "$T1" -y
is "$RC" 5 "nor delete from it"
RA "$UA" store delete --name TRUSTED_ROOTS -y
is "$RC" 5 "nor delete it"
RA "$UA" store permission --name TRUSTED_ROOTS --user "$UA" --grant write
is "$RC" 5 "nor grant itself write"

# --- refused until granted
for c in "entry list --store ROOTSTORE" "entry getcert --store ROOTSTORE --alias k1" \
    "entry getkey --store ROOTSTORE --alias k1" "store get-permissions --name ROOTSTORE" \
    "entry create --store ROOTSTORE --alias x --cert $PUB/k2.pem" \
    "entry delete --store ROOTSTORE --alias k1 -y" "store delete --name ROOTSTORE -y" \
    "store permission --name ROOTSTORE --user $UA --grant read"; do
	# shellcheck disable=SC2086
	RA "$UA" $c
	is "$RC" 5 "without a grant: $c is refused (5)"
done
RA "$UA" entry getkey --store ROOTSTORE --alias k1
is "$OUT" "" "and no key came out"
"$V" store permission --name ROOTSTORE --user "$UA" --grant read >/dev/null
RA "$UA" store list
like "$OUT" "^ROOTSTORE$" "with read, the store shows in the user's store list"
RA "$UA" entry list --store ROOTSTORE --aliases
is "$RC:$OUT" "0:Number of entries in store :	1
k1" "with read, entry list works"
RA "$UA" entry getkey --store ROOTSTORE --alias k1
is "$RC:$OUT" "0:$(openssl pkey -in "$PUB/k1.key")" "with read, the private key is readable"
RA "$UA" entry create --store ROOTSTORE --alias x --cert "$PUB/k2.pem"
is "$RC" 5 "read alone does not add"
RA "$UA" entry delete --store ROOTSTORE --alias k1 -y
is "$RC" 5 "nor delete"
"$V" store permission --name ROOTSTORE --user "$UA" --grant write >/dev/null
RA "$UA" entry create --store ROOTSTORE --alias x --cert "$PUB/k2.pem"
is "$RC" 0 "with write, entry create works"
RA "$UA" entry delete --store ROOTSTORE --alias x -y
is "$RC" 0 "and entry delete"
RA "$UA" store delete --name ROOTSTORE -y
is "$RC" 5 "read and write do not let a non-owner delete the store"
RA "$UA" store permission --name ROOTSTORE --user "$UB" --grant read
is "$RC" 5 "nor grant"
RA "$UA" store permission --name ROOTSTORE --user "$UA" --revoke read
is "$RC" 5 "nor revoke"
like "$("$V" store get-permissions --name ROOTSTORE)" "^$UA	read,write$" "get-permissions shows the grants"

# --- revoke
"$V" store permission --name ROOTSTORE --user "$UA" --revoke read >/dev/null
RA "$UA" entry getkey --store ROOTSTORE --alias k1
is "$RC:$OUT" "5:" "after revoking read, the private key is refused"
RA "$UA" entry list --store ROOTSTORE
is "$RC" 5 "and entry list"
RA "$UA" entry create --store ROOTSTORE --alias y --cert "$PUB/k2.pem"
is "$RC" 0 "write still works"
"$V" store permission --name ROOTSTORE --user "$UA" --revoke write >/dev/null
RA "$UA" store list
is "$OUT" "TRUSTED_ROOT_CRLS
TRUSTED_ROOTS" "with every grant revoked the store is hidden again"

# --- a user's own store
RA "$UA" store create --name ASTORE
is "$RC:$OUT" "0:Successfully created store [ASTORE]" "any local user creates a store"
RA "$UA" store get-permissions --name ASTORE
is "$OUT" "PERMISSIONS FOR STORE: [ASTORE]
OWNER : $UA
USER		ACCESS" "and owns it"
RA "$UA" entry create --store ASTORE --alias mine --cert "$PUB/k2.pem" --key "$PUB/k2.key"
is "$RC" 0 "the owner adds a private key"
RA "$UB" entry getkey --store ASTORE --alias mine
is "$RC:$OUT" "5:" "another user cannot read the owner's key"
RA "$UB" store list
is "$OUT" "TRUSTED_ROOT_CRLS
TRUSTED_ROOTS" "nor see the store"
RA "$UA" store permission --name ASTORE --user "$UB" --grant read
is "$RC" 0 "the owner grants read"
RA "$UB" entry getkey --store ASTORE --alias mine
is "$RC" 0 "then the other user reads the key"
RA "$UB" store permission --name ASTORE --user "$UB" --grant write
is "$RC" 5 "a reader cannot grant"
RA "$UB" store delete --name ASTORE -y
is "$RC" 5 "nor delete the store"
RA "$UA" store permission --name ASTORE --user "$UB" --revoke read
RA "$UB" entry getkey --store ASTORE --alias mine
is "$RC:$OUT" "5:" "the owner revokes: refused again"
R "$V" entry list --store ASTORE --aliases
is "$RC:$OUT" "0:Number of entries in store :	1
mine" "root reads a user's store"
R "$V" store permission --name ASTORE --user "$UB" --grant write
is "$RC" 0 "and manages its grants"
RA "$UA" store delete --name ASTORE -y
is "$RC" 0 "the owner deletes the store"

# --- the files are the daemon's
R setpriv --reuid="$(id -u "$UA")" --regid="$(id -g "$UA")" --init-groups \
    cat "$T_DIR/v/db/entries.db"
is "$RC:$OUT" "1:" "a user cannot read the stored keys from the data directory"

done_testing
