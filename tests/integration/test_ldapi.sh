#!/usr/bin/env bash
# test_ldapi.sh: the local socket (ldapi) and SASL EXTERNAL. The socket's
# file (mode 0666, its directory created), a stale file replaced, a live
# server's refused, the file removed at shutdown, disabled by an empty
# setting; EXTERNAL as root (the Administrator) and as another uid (the
# peercred name, reads only), authorization identities, EXTERNAL and other
# mechanisms over TCP; the runbook's lines against the node's socket
# through $TRELLIS_LDAPI, with no password.
set -u
# root: the runbook's lines run as root, and only root can become uid 65534
if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root"
	exit 0
fi
. "$(dirname "$0")/lib.sh"

REPADMIN=$top_builddir/vdcrepadmin
ADMINTOOL=$top_builddir/vdcadmintool
ADMIN_NDN="cn=administrator,cn=users,$BASE"
# R CMD...: runs CMD, keeps its output in OUT and its exit status in RC.
R() { OUT=$("$@" 2>&1); RC=$?; }
# Another uid, with no supplementary groups.
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

# The socket lives where uid 65534 can reach it (T_DIR is 0700), in a short
# directory (Unix socket paths are limited to 107 bytes).
SOCKDIR=$(mktemp -d /tmp/trellis-ldapi.XXXXXX)
chmod 0755 "$SOCKDIR"
ldapi_cleanup() { t_cleanup; rm -rf "$SOCKDIR"; }
trap ldapi_cleanup EXIT
SOCK=$SOCKDIR/run/vmdird.sock
U="ldapi://$(sed 's|/|%2F|g' <<<"$SOCK")"
# sasl_rc URL_OR_PATH MECH [CREDENTIALS]: the resultCode of one SASL bind,
# sent raw (the client library refuses some before sending).
sasl_rc() {
	python3 - "$@" <<'EOF'
import socket, sys
from ber import tlv, integer, octets, msg
where, mech = sys.argv[1], sys.argv[2]
sasl = octets(mech) + (octets(sys.argv[3]) if len(sys.argv) > 3 else b"")
req = msg(1, tlv(0x60, integer(3) + octets("") + tlv(0xa3, sasl)))
if where.startswith("/"):
    s = socket.socket(socket.AF_UNIX)
    s.connect(where)
else:
    s = socket.create_connection(("127.0.0.1", int(where)))
s.sendall(req)
data = b""
while b"\x0a\x01" not in data[2:]:
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
i = data.index(b"\x0a\x01", 2)
print(data[i + 2])
EOF
}

node_init n || { echo "Bail out! vmdird --init failed"; cat "$T_DIR/n/init.log"; exit 1; }
node_start n -o "ldapi_socket=$SOCK" --log-level debug ||
    { echo "Bail out! node n does not start"; exit 1; }
PORT=${NODE_PORT[n]}

# ------------------------------------------------------------- the socket
ok "the socket exists" test -S "$SOCK"
is "$(stat -c %a "$SOCK" 2>&1)" 666 "the socket is mode 0666"
is "$(stat -c %a "$SOCKDIR/run" 2>&1)" 755 "its directory was created, mode 0755"
ok "the log names the socket" grep -qF "listening on $SOCK (ldapi)" "$T_DIR/n/vmdird.log"
R ldapsearch -x -LLL -H "$(url n)" -b "" -s base supportedSASLMechanisms
like "$OUT" '^supportedSASLMechanisms: EXTERNAL$' "root DSE lists EXTERNAL in supportedSASLMechanisms"

# ------------------------------------------------------- EXTERNAL as root
R ldapwhoami -Q -Y EXTERNAL -H "$U"
is "$RC/$OUT" "0/dn:$ADMIN_NDN" "ldapwhoami -Y EXTERNAL as root: the Administrator"
R ldapsearch -Q -LLL -Y EXTERNAL -H "$U" -b "$BASE" -s one '(cn=Users)' dn
is "$RC" 0 "ldapsearch -Y EXTERNAL -H ldapi://… -b $BASE works"
like "$OUT" "^dn: cn=Users,$BASE\$" "ldapsearch over ldapi finds cn=Users"
R ldapadd -Q -Y EXTERNAL -H "$U" <<EOF
dn: cn=ldapi-user,cn=Users,$BASE
objectClass: user
cn: ldapi-user
sn: ldapi
userPrincipalName: ldapi-user@vsphere.local
userPassword: Old-Pass-1
EOF
is "$RC" 0 "root over EXTERNAL has the Administrator's rights (add)"
R ldapwhoami -x -H "$U" -D "$ADMIN_DN" -w "$ADMIN_PW"
is "$RC/$OUT" "0/dn:$ADMIN_NDN" "a simple bind works on ldapi too"
R ldapwhoami -x -H "$U" -D "cn=ldapi-user,cn=Users,$BASE" -w Old-Pass-1
is "$RC" 0 "an ordinary account binds with its password on ldapi"
R ldapwhoami -Q -Y EXTERNAL -X "dn:$ADMIN_DN" -H "$U"
is "$RC/$OUT" "0/dn:$ADMIN_NDN" "an authorization identity equal to the authenticated one is taken"
R ldapwhoami -Q -Y EXTERNAL -X "dn:cn=ldapi-user,cn=Users,$BASE" -H "$U"
is "$RC" 50 "another authorization identity is refused (insufficientAccessRights)"
R ldapwhoami -Q -Y EXTERNAL -H "$U"
is "$RC/$OUT" "0/dn:$ADMIN_NDN" "the refused authzid did not break later binds"

# ----------------------------------------------- mechanisms and transports
is "$(sasl_rc "$PORT" EXTERNAL 2>&1)" 48 "EXTERNAL over TCP: inappropriateAuthentication (48)"
is "$(sasl_rc "$SOCK" EXTERNAL 2>&1)" 0 "EXTERNAL with no credentials field, raw, on ldapi"
is "$(sasl_rc "$SOCK" DIGEST-MD5 2>&1)" 7 "another mechanism: authMethodNotSupported (7)"
is "$(sasl_rc "$SOCK" EXTERNAL "u:nobody" 2>&1)" 50 "an authzid that is not a DN is refused"
ok "the EXTERNAL bind is logged with the peer's uid" \
    grep -qF "BIND EXTERNAL uid=0 gid=0 as \"$ADMIN_NDN\" (administrator)" "$T_DIR/n/vmdird.log"

# ---------------------------------------------------- EXTERNAL as uid 65534
PEER="gidNumber=65534+uidNumber=65534,cn=peercred,cn=external,cn=auth"
R nobody ldapwhoami -Q -Y EXTERNAL -H "$U"
is "$RC/$OUT" "0/dn:$PEER" "another uid: the peercred name"
R nobody ldapsearch -Q -LLL -Y EXTERNAL -H "$U" -b "cn=ldapi-user,cn=Users,$BASE" -s base sn
is "$RC" 0 "another uid reads as an authenticated user"
like "$OUT" '^sn: ldapi$' "another uid sees the entry"
R nobody ldapmodify -Q -Y EXTERNAL -H "$U" <<EOF
dn: cn=ldapi-user,cn=Users,$BASE
changetype: modify
replace: sn
sn: changed
EOF
is "$RC" 50 "another uid cannot modify (insufficientAccessRights)"
R nobody ldapadd -Q -Y EXTERNAL -H "$U" <<EOF
dn: cn=intruder,cn=Users,$BASE
objectClass: container
cn: intruder
EOF
is "$RC" 50 "another uid cannot add (insufficientAccessRights)"
R nobody env -u VMDIR_PASSWORD -u VMDIR_URI TRELLIS_LDAPI="$SOCK" "$ADMINTOOL" <<<"6"
is "$RC" 1 "echo 6 | vdcadmintool as another uid fails (exit 1)"
like "$OUT" 'Get vmdir state failed\. Error \[.*administrator.*\] \[50\]' \
    "... and says it needs an administrator (50)"
ok "... and prints no state" bash -c '! grep -q "VmDir State is" <<<"$1"' _ "$OUT"

# ------------------------------------------------ the runbook lines, as root
R env -u VMDIR_PASSWORD -u VMDIR_URI TRELLIS_LDAPI="$SOCK" "$ADMINTOOL" <<<"6"
is "$RC" 0 "echo 6 | vdcadmintool over \$TRELLIS_LDAPI, no password: exit 0"
ok "echo 6 | vdcadmintool prints ' VmDir State is - Normal'" \
    grep -qxF ' VmDir State is - Normal' <<<"$OUT"
R env -u VMDIR_PASSWORD -u VMDIR_URI TRELLIS_LDAPI="$SOCK" "$ADMINTOOL" \
    <<<$'3\nldapi-user@vsphere.local'
is "$RC" 0 "menu 3 over the socket, no password: resets ldapi-user's password"
NEWPW=$(sed -n '/^New password is -$/{n;p;}' <<<"$OUT")
ok "the generated password binds" \
    ldapwhoami -x -H "$(url n)" -D "cn=ldapi-user,cn=Users,$BASE" -w "$NEWPW"
R ldapwhoami -x -H "$(url n)" -D "cn=ldapi-user,cn=Users,$BASE" -w Old-Pass-1
is "$RC" 49 "the old password no longer binds"
R "$REPADMIN" -f showpartnerstatus -h "localhost:$PORT" -u administrator -w "$ADMIN_PW"
is "$RC" 0 "vdcrepadmin -f showpartnerstatus -h localhost:PORT -u administrator -w … (TCP)"

# ------------------------------------------- flow control, as on TCP
# A client on the socket that stops reading has its searches parked (the
# debug log says so) and, once it reads, gets every entry of each.
NENT=2000
{
	printf 'dn: cn=Bulk,%s\nobjectClass: container\ncn: Bulk\n\n' "$BASE"
	for i in $(seq 1 $NENT); do
		printf 'dn: cn=bulk%d,cn=Bulk,%s\nobjectClass: container\ncn: bulk%d\n' "$i" "$BASE" "$i"
		printf 'description: entry %d padded %0400d\n\n' "$i" 0
	done
} >"$T_DIR/bulk.ldif"
R ldapadd -Q -Y EXTERNAL -H "$U" -f "$T_DIR/bulk.ldif"
is "$RC" 0 "bulk load of $NENT entries over ldapi"
R python3 - "$SOCK" "cn=Bulk,$BASE" "$T_DIR/n/vmdird.log" <<'EOF'
import socket, sys, time
from ber import tlv, integer, octets, msg, split
path, base, log = sys.argv[1:4]
NSEARCH = 4
def search(mid):
    return msg(mid, tlv(0x63, octets(base) + tlv(0x0A, b"\x02") + tlv(0x0A, b"\x00")
        + integer(0) + integer(0) + tlv(0x01, b"\x00") + tlv(0x87, b"objectClass")
        + tlv(0x30, b"")))
s = socket.socket(socket.AF_UNIX)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(path)
s.sendall(msg(1, tlv(0x60, integer(3) + octets("") + tlv(0xA3, octets("EXTERNAL"))))
    + b"".join(search(2 + k) for k in range(NSEARCH)))
end = time.time() + 30
while time.time() < end and " parked until the client reads" not in open(log).read():
    time.sleep(0.05)
print("parked" if time.time() < end else "never parked")
s.settimeout(60)
buf, counts, done = b"", {}, 0
while done < NSEARCH:
    c = s.recv(1 << 16)
    if not c:
        break
    msgs, buf = split(buf + c)
    for m in msgs:
        mid, tag = int.from_bytes(m[2:2 + m[1]], "big"), m[2 + m[1]]
        if tag == 0x64:
            counts[mid] = counts.get(mid, 0) + 1
        elif tag == 0x65:
            done += 1
print("counts", sorted(counts.values()))
EOF
like "$OUT" '^parked$' "a client on the socket that does not read has its searches parked"
is "$(sed -n 's/^counts //p' <<<"$OUT")" "[$((NENT + 1)), $((NENT + 1)), $((NENT + 1)), $((NENT + 1))]" \
    "once it reads, it gets every entry of its 4 searches"

# ------------------------------------------------------------- lifecycle
node_stop n
is "$?" 0 "SIGTERM: clean exit"
ok "clean shutdown removes the socket" test ! -e "$SOCK"

node_start n -o "ldapi_socket=$SOCK" || echo "# restart failed"
node_kill n
ok "a crash leaves the socket file behind" test -S "$SOCK"
node_start n -o "ldapi_socket=$SOCK"
is "$?" 0 "a start over a stale socket file succeeds"
ok "the stale file was replaced" grep -qF "removing stale socket $SOCK" "$T_DIR/n/vmdird.log"
R ldapwhoami -Q -Y EXTERNAL -H "$U"
is "$RC/$OUT" "0/dn:$ADMIN_NDN" "the new socket answers"

node_init m || echo "# init m failed"
R timeout 10 "$VMDIRD" -d "$T_DIR/m/data" -p "$(free_port)" --schema-dir "$SCHEMA_DIR" \
    -o "ldapi_socket=$SOCK"
ok "a second vmdird on a live server's socket is refused (rc $RC)" test "$RC" -ne 0 -a "$RC" -ne 124
like "$OUT" "another server answers on it" "... and says why"
R ldapwhoami -Q -Y EXTERNAL -H "$U"
is "$RC/$OUT" "0/dn:$ADMIN_NDN" "the first server still answers on its socket"

: >"$SOCKDIR/plain"
R timeout 10 "$VMDIRD" -d "$T_DIR/m/data" -p "$(free_port)" --schema-dir "$SCHEMA_DIR" \
    -o "ldapi_socket=$SOCKDIR/plain"
ok "a path that is a regular file is refused (rc $RC)" test "$RC" -ne 0 -a "$RC" -ne 124
ok "... and the file is left alone" test -f "$SOCKDIR/plain"
R timeout 10 "$VMDIRD" -d "$T_DIR/m/data" -p "$(free_port)" --schema-dir "$SCHEMA_DIR" \
    -o "ldapi_socket=/tmp/$(printf 'x%.0s' $(seq 1 120))"
ok "a path too long for a Unix socket is refused (rc $RC)" test "$RC" -ne 0 -a "$RC" -ne 124

node_start m --ldapi-socket "$SOCKDIR/m.sock"
is "$?" 0 "--ldapi-socket PATH"
R ldapwhoami -Q -Y EXTERNAL -H "ldapi://$(sed 's|/|%2F|g' <<<"$SOCKDIR/m.sock")"
is "$RC/$OUT" "0/dn:$ADMIN_NDN" "... listens there"
node_stop m
ok "... and removes it at shutdown" test ! -e "$SOCKDIR/m.sock"
N0=$(wc -l <"$T_DIR/m/vmdird.log")
node_start m -o ldapi_socket=
is "$?" 0 "ldapi_socket= (empty) starts"
ok "... with no local socket" \
    bash -c '! tail -n +$(($2 + 1)) "$1" | grep -q "(ldapi)"' _ "$T_DIR/m/vmdird.log" "$N0"
node_stop m

done_testing
