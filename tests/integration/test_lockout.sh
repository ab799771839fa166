#!/bin/bash
# test_lockout.sh: the password and lockout policy. Five wrong binds lock
# an account (a locked account's right password gets the same answer as a
# wrong one); failures are logged with the client's address and counted;
# the lock lifts after the (shortened) unlock interval; failures outside
# the window do not add up; the policy entry is readable by administrators
# only and replicates; guessing from another address locks out neither the
# machine account replication uses nor the Administrator; new passwords
# must meet the policy on add, modify and password modify; generated
# passwords do, the machine password of a joining node included.
# Waits poll with a deadline; nothing asserts on speed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/repl_lib.sh"

R() { OUT=$("$@" 2>&1); RC=$?; }
POLICY="cn=password and lockout policy,$BASE"
BOB="cn=bob,cn=Users,$BASE" BOB_PW='B0b!secret'
CAROL="cn=carol,cn=Users,$BASE" CAROL_PW='C4rol!secret'
WRONG_ANSWER=$'ldap_bind: Invalid credentials (49)\n\tadditional info: invalid credentials'

# bind NODE DN PW: ldapwhoami's output and exit status in OUT and RC.
bind() { R timeout 30 ldapwhoami -x -H "$(url "$1")" -D "$2" -w "$3"; }

# set_policy NODE ATTR VALUE: the administrator changes one setting.
set_policy() {
	printf 'dn: %s\nchangetype: modify\nreplace: %s\n%s: %s\n' \
	    "$POLICY" "$2" "$2" "$3" | adm_modify "$1" >/dev/null
}

# fails_from NODE DN: how many "invalid credentials" log lines A has for DN
# with the client's address.
fails_from() {
	grep -cE "BIND dn=\"$2\" failed from 127\.0\.0\.1:[0-9]+: invalid credentials\$" \
	    "$T_DIR/$1/vmdird.log"
}

# Binds from another source address (127.0.0.2) with a raw client:
# srcbind NODE DN PW COUNT prints one result code per bind.
cat >"$T_DIR/srcbind.py" <<'EOF'
import socket, sys
from ber import integer, msg, octets, tlv

port, dn, pw, n = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])

def length(b, i):
    if b[i] < 0x80:
        return b[i], i + 1
    k = b[i] & 0x7f
    return int.from_bytes(b[i + 1:i + 1 + k], "big"), i + 1 + k

for _ in range(n):
    s = socket.socket()
    s.settimeout(30)
    s.bind(("127.0.0.2", 0))
    s.connect(("127.0.0.1", port))
    s.sendall(msg(1, tlv(0x60, integer(3) + octets(dn) + tlv(0x80, pw.encode()))))
    b = b""
    while len(b) < 2 or len(b) < sum(length(b, 1)):
        chunk = s.recv(4096)
        if not chunk:
            break
        b += chunk
    s.close()
    i = b.index(b"\x61") + 1          # BindResponse
    _, i = length(b, i)
    print(b[i + 2])                   # ENUMERATED resultCode, one byte
EOF
srcbind() { timeout 120 python3 "$T_DIR/srcbind.py" "${NODE_PORT[$1]}" "$2" "$3" "$4" 2>&1; }

ok "init and start A" repl_init A
ok "join and start B" repl_join B A

# ---------------------------------------------------------------- the policy
R adm_search A -b "$POLICY" -s base
like "$OUT" "vmwPasswordChangeMaxFailedAttempts: 5" "policy: 5 failed binds lock"
like "$OUT" "vmwPasswordChangeFailedAttemptIntervalSec: 180" "policy: within 180 s"
like "$OUT" "vmwPasswordChangeAutoUnlockIntervalSec: 300" "policy: for 300 s"
like "$OUT" "vmwPasswordMinLength: 8" "policy: passwords of at least 8 characters"
like "$OUT" "vmwPasswordMaxLength: 20" "policy: and at most 20"
ok "policy: one special, one numeric, one upper- and one lowercase character" \
    bash -c 'for a in SpecialChar Numeric UpperCase LowerCase; do
	grep -q "^vmwPasswordMin${a}Count: 1$" <<<"$1" || exit 1; done' _ "$OUT"
R ldapsearch -x -LLL -H "$(url A)" -b "$POLICY" -s base
is "$RC" 50 "anonymous cannot read the policy (insufficientAccess)"
wait_ok "the policy entry was copied to B" has_dn B "$POLICY"
ok "an administrator changes the policy on A" set_policy A description "changed on A"
wait_ok "the change replicates to B" attr_is B "$POLICY" description "changed on A"

ok "add bob and carol" adm_add A <<EOF
dn: $BOB
objectClass: user
cn: bob
sn: bob
userPassword: $BOB_PW

dn: $CAROL
objectClass: user
cn: carol
sn: carol
userPassword: $CAROL_PW
EOF

# ---------------------------------------------------------------- lockout
counter() { rootdse_counter A "$1"; }
rootdse_counter() {
	adm_search "$1" -b "" -s base "$2" | sed -n "s/^$2: //p"
}
f0=$(counter vmwBindFailures) l0=$(counter vmwAccountLockouts)
bind A "$BOB" "$BOB_PW"
is "$RC" 0 "bob binds with his password"
for i in 1 2 3 4 5; do
	bind A "$BOB" "wrong-$i"
	is "$RC/$OUT" "49/$WRONG_ANSWER" "wrong password $i: invalidCredentials (49)"
done
bind A "$BOB" "$BOB_PW"
is "$RC" 49 "after 5 failures the right password fails with exactly 49"
is "$OUT" "$WRONG_ANSWER" "and the same message as a wrong password"
is "$(fails_from A "$BOB")" 5 "the log has the failure line with the client address exactly 5 times"
is "$(grep -cE "BIND dn=\"$BOB\" failed from 127\.0\.0\.1:[0-9]+: account locked\$" \
    "$T_DIR/A/vmdird.log")" 1 "the attempt while locked is logged once as such"
is "$(grep -c "account locked: \"${BOB,,}\" for 300 s after 5 failed binds" \
    "$T_DIR/A/vmdird.log")" 1 "the lock itself is logged once"
is "$(counter vmwBindFailures)" "$((f0 + 6))" "the server counted the 6 failed binds (vmwBindFailures)"
is "$(counter vmwAccountLockouts)" "$((l0 + 1))" "and the lock (vmwAccountLockouts)"
R ldapsearch -x -LLL -H "$(url A)" -b "" -s base vmwBindFailures
ok "anonymous clients do not see the counters" test "$RC" -eq 0 -a -n "$OUT" \
    -a "$(grep -c vmwBindFailures <<<"$OUT")" -eq 0
bind A "$CAROL" "$CAROL_PW"
is "$RC" 0 "another account still binds"
bind A $'cn=evil\nFORGED conn=1 BIND dn="cn=x" failed from 10.9.9.9:1: invalid credentials' "x"
is "$RC" 49 "a name with a line break: invalidCredentials"
is "$(grep -c '^FORGED' "$T_DIR/A/vmdird.log")" 0 "it cannot forge a log line of its own"
is "$(grep -cE '^.*BIND dn="cn=evil\?FORGED conn=1 BIND dn=\?cn=x\? failed from 10\.9\.9\.9:1: invalid credentials" failed from 127\.0\.0\.1:[0-9]+: invalid credentials$' \
    "$T_DIR/A/vmdird.log")" 1 "its failure is logged on one line, with the real address"
bind B "$BOB" "$BOB_PW"
is "$RC" 0 "the lock is A's own: bob binds on B (no replicated lock state)"

ok "the administrator shortens the lock to 3 s" set_policy A vmwPasswordChangeAutoUnlockIntervalSec 3
wait_ok "after the shortened interval bob binds again" \
    bash -c 'ldapwhoami -x -H "$1" -D "$2" -w "$3"' _ "$(url A)" "$BOB" "$BOB_PW"
ok "lock back to 300 s" set_policy A vmwPasswordChangeAutoUnlockIntervalSec 300
ok "window of 2 s" set_policy A vmwPasswordChangeFailedAttemptIntervalSec 2
for i in 1 2 3 4; do bind A "$CAROL" "wrong-$i"; done
sleep 3	# longer than the window: the clock must move, nothing else waits on it
for i in 1 2 3 4; do bind A "$CAROL" "wrong-again-$i"; done
bind A "$CAROL" "$CAROL_PW"
is "$RC" 0 "4 + 4 failures more than a window apart do not lock"
ok "window back to 180 s" set_policy A vmwPasswordChangeFailedAttemptIntervalSec 180
for i in 1 2 3 4 5; do bind A "$CAROL" "wrong-$i"; done
bind A "$CAROL" "$CAROL_PW"
is "$RC" 49 "carol is locked after 5 more failures"
R ldappasswd -x -H "$(url A)" -D "$ADMIN_DN" -w "$ADMIN_PW" -s 'C4rol!reset' "$CAROL"
is "$RC" 0 "the administrator resets carol's password"
bind A "$CAROL" 'C4rol!reset'
is "$RC" 0 "a reset password ends the lock"

# ---------------------------------------------------------------- guessing
MACHINE="cn=B,cn=Domain Controllers,$BASE"
MACHINE_PW=$(cat "$T_DIR/B/data/machine-account")
out=$(srcbind A "$MACHINE" "guess" 20)
is "$(sort -u <<<"$out")" 49 "20 guesses of B's machine account from 127.0.0.2: all invalidCredentials"
is "$(srcbind A "$MACHINE" "$MACHINE_PW" 1)" 49 "the guesser's address is locked out, even with the right password"
bind A "$MACHINE" "$MACHINE_PW"
is "$RC" 0 "B's machine account still binds to A from 127.0.0.1"
node_stop B
ok "B restarts (its consumer binds to A again)" node_start B
ok "add an entry on A" adm_add A <<EOF
dn: cn=after-guessing,cn=Users,$BASE
objectClass: person
cn: after-guessing
sn: x
EOF
wait_ok "replication A -> B still flows after the guessing" has_dn B "cn=after-guessing,cn=Users,$BASE"
out=$(srcbind A "$ADMIN_DN" "guess" 20)
is "$(sort -u <<<"$out")" 49 "20 guesses of the Administrator from 127.0.0.2"
bind A "$ADMIN_DN" "$ADMIN_PW"
is "$RC" 0 "the Administrator still binds from 127.0.0.1"

# ---------------------------------------------------------------- new passwords
# add_pw PW: adds cn=dave with password PW; OUT and RC.
add_pw() {
	R adm_add A <<EOF
dn: cn=dave,cn=Users,$BASE
objectClass: user
cn: dave
sn: dave
userPassword: $1
EOF
}
add_pw 'Ab1!xyz'
is "$RC/$(sed -n 's/^\tadditional info: //p' <<<"$OUT")" \
    "19/password policy: at least 8 characters required" "add: 7 characters refused (19, names the rule)"
add_pw 'nouppercase1!'
is "$RC/$(sed -n 's/^\tadditional info: //p' <<<"$OUT")" \
    "19/password policy: at least 1 uppercase letter(s) required" "add: no uppercase letter refused"
ok "add: nothing was added" no_dn A "cn=dave,cn=Users,$BASE"
R adm_modify A <<EOF
dn: $BOB
changetype: modify
replace: userPassword
userPassword: NoDigits!here
EOF
is "$RC/$(sed -n 's/^\tadditional info: //p' <<<"$OUT")" \
    "19/password policy: at least 1 numeric character(s) required" "modify: no digit refused"
R adm_modify A <<EOF
dn: $BOB
changetype: modify
replace: userPassword
userPassword: Much!Too-Long-Passw0rd
EOF
is "$RC/$(sed -n 's/^\tadditional info: //p' <<<"$OUT")" \
    "19/password policy: at most 20 characters allowed" "modify: 22 characters refused"
bind A "$BOB" "$BOB_PW"
is "$RC" 0 "bob's password is unchanged"
R ldappasswd -x -H "$(url A)" -D "$ADMIN_DN" -w "$ADMIN_PW" -s 'NoSpecial1x' "$BOB"
like "$OUT" "^Result: Constraint violation \(19\)" "ldappasswd: no special character refused (19)"
like "$OUT" "Additional info: password policy: at least 1 special character\(s\) required\$" \
    "ldappasswd: the message names the rule"
R ldappasswd -x -H "$(url A)" -D "$ADMIN_DN" -w "$ADMIN_PW" -s 'ALLUPPER1!' "$BOB"
like "$OUT" "Additional info: password policy: at least 1 lowercase letter\(s\) required\$" \
    "ldappasswd: no lowercase letter refused"
R ldappasswd -x -H "$(url A)" -D "$BOB" -w "$BOB_PW" -a "$BOB_PW" -s 'N3w!bobpw'
is "$RC" 0 "ldappasswd: bob sets a password that meets the policy"
bind A "$BOB" 'N3w!bobpw'
is "$RC" 0 "bob binds with it"
R ldappasswd -x -H "$(url A)" -D "$ADMIN_DN" -w "$ADMIN_PW" "$BOB"
GEN=$(sed -n 's/^New password: //p' <<<"$OUT")
is "$RC" 0 "ldappasswd without a new password generates one"
ok "the generated password meets the policy (8-20, special, digit, upper, lower)" \
    bash -c '[ ${#1} -ge 8 ] && [ ${#1} -le 20 ] && [[ $1 =~ [^A-Za-z0-9] ]] &&
	[[ $1 =~ [0-9] ]] && [[ $1 =~ [A-Z] ]] && [[ $1 =~ [a-z] ]]' _ "$GEN"
bind A "$BOB" "$GEN"
is "$RC" 0 "bob binds with the generated password"
ok "the administrator raises the minimum length to 12" set_policy A vmwPasswordMinLength 12
R ldappasswd -x -H "$(url A)" -D "$ADMIN_DN" -w "$ADMIN_PW" -s 'Sh0rt!pass' "$BOB"
like "$OUT" "Additional info: password policy: at least 12 characters required\$" \
    "the changed minimum applies at once"
R ldappasswd -x -H "$(url A)" -D "$ADMIN_DN" -w "$ADMIN_PW" "$BOB"
GEN=$(sed -n 's/^New password: //p' <<<"$OUT")
ok "a generated password still meets it" test "$RC" -eq 0 -a "${#GEN}" -ge 12

ok "the administrator lowers the maximum length to 16" set_policy A vmwPasswordMaxLength 16
ok "C joins: its machine account's password meets the domain's policy" repl_join C A
MPW=$(cat "$T_DIR/C/data/machine-account")
ok "C's machine password has at most 16 characters (${#MPW})" test "${#MPW}" -le 16 -a "${#MPW}" -ge 12
wait_ok "C receives changes from A" has_dn C "cn=after-guessing,cn=Users,$BASE"

R "$VMDIRD" --init -d "$T_DIR/weak/data" --password 'weakpass' --schema-dir "$SCHEMA_DIR" --node weak
ok "--init refuses an Administrator password that breaks the policy (rc $RC)" test "$RC" -ne 0
ok "--init: nothing was created" test ! -e "$T_DIR/weak/data"
like "$OUT" "password policy: at least 1 special character\(s\) required" \
    "--init: the message names the rule"

survived A "the lockout tests (A)"
survived B "the lockout tests (B)"
done_testing
