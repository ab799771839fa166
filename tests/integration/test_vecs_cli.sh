#!/usr/bin/env bash
# test_vecs_cli.sh: every vecs-cli command against a real vecsd, output
# compared byte for byte with VMware's shapes (tabs and trailing spaces
# included), exit codes, --json, the runbook's one-liner, and vecsd's
# daemon conventions (default stores, modes, pid file, SIGTERM).
set -u
. "$(dirname "$0")/vecs_lib.sh"

vecsd_start v || { echo "Bail out! vecsd does not start"; exit 1; }
export VECS_SOCKET
VECS_SOCKET=$(vecsd_sock v)
V=$VECSCLI
W=$T_DIR/want
mkcert machine "machine.example.org"
mkcert root1 "Root One" 20291213215049Z
mkcert root2 "Root Two" 20300516202112Z
mkcert other "Other"
mkcrl root1
T1=$(thumb "$PUB/root1.pem")
T2=$(thumb "$PUB/root2.pem")

# --- daemon conventions
R "$V" store list
is "$RC" 0 "store list exits 0"
printf '%s\n' BACKUP_STORE machine MACHINE_SSL_CERT TRUSTED_ROOT_CRLS TRUSTED_ROOTS vpxd \
    vpxd-extension vsphere-webclient >"$W"
"$V" store list >"$T_DIR/got"
same "$T_DIR/got" "$W" "store list: the eight default stores, one name a line"
is "$(stat -c %a "$T_DIR/v/db")" 700 "the data directory is 0700"
is "$(find "$T_DIR/v/db" -type f ! -perm 600 | wc -l)" 0 "every file in it is 0600"
is "$(stat -c %a "$VECS_SOCKET")" 666 "the socket is 0666: the peer's uid decides"
is "$(cat "$T_DIR/v/vecsd.pid")" "${NODE_PID[v]}" "the pid file holds vecsd's pid"
R "$VECSD" -d "$T_DIR/v/db" -s "$T_DIR/v/other.sock"
is "$RC" 1 "a second vecsd on the same data directory is refused"
like "$ERR" "in use by another vecsd" "and says why"
R "$VECSD" -d "$T_DIR/v2db" -s "$VECS_SOCKET"
is "$RC" 1 "a second vecsd on a live socket is refused"
like "$ERR" "another server answers" "and says why"
R "$VECSD" -o nosuch=1
is "$RC:$ERR" "2:vecsd: unknown setting 'nosuch'" "an unknown setting exits 2"
R "$VECSD" --help
like "$OUT" "--socket PATH +Unix socket \\(default /run/trellis/vecsd.sock\\)" "vecsd --help names the default socket"

# --- store create / list / delete
R "$V" store create --name SMS
is "$RC:$OUT" "0:Successfully created store [SMS]" "store create prints 'Successfully created store [N]'"
R "$V" store create --name sms
is "$RC" 183 "a store name in another case already exists (183)"
is "$ERR" "Error : Store [sms] already exists
vecs-cli failed. Error 183: Operation failed with error ERROR_ALREADY_EXISTS (183) " \
    "with VMware's error line, trailing space included"
"$V" store list | grep -c '^SMS$' >"$T_DIR/got"
is "$(cat "$T_DIR/got")" 1 "store list shows the new store once"
R "$V" store delete --name SMS -y
is "$RC:$OUT" "0:Successfully deleted store [SMS]" "store delete -y prints 'Successfully deleted store [N]'"
"$V" store create --name ASK >/dev/null
R bash -c "echo n | '$V' store delete --name ASK"
is "$RC" 0 "store delete without -y, answered n: exit 0"
printf 'Warning: This operation will delete store [ASK]\nDo you wish to continue? Y/N [N] ' >"$W"
same "$T_DIR/r.out" "$W" "it asks VMware's question (no newline after [N])"
like "$("$V" store list)" "^ASK$" "and the store is still there"
R bash -c "echo Y | '$V' store delete --name ASK"
printf 'Warning: This operation will delete store [ASK]\nDo you wish to continue? Y/N [N] Successfully deleted store [ASK]\n' >"$W"
same "$T_DIR/r.out" "$W" "answered Y, it deletes"
for s in MACHINE_SSL_CERT trusted_roots TRUSTED_ROOT_CRLS; do
	R "$V" store delete --name "$s" -y
	is "$RC" 5 "store $s cannot be deleted (5)"
done
R "$V" store delete --name BACKUP_STORE -y
is "$RC" 0 "BACKUP_STORE can be deleted"
"$V" store create --name BACKUP_STORE >/dev/null

# --- permissions output
R "$V" store get-permissions --name TRUSTED_ROOTS
printf 'PERMISSIONS FOR STORE: [TRUSTED_ROOTS]\nOWNER : root\nUSER\t\tACCESS\nEVERYONE\tread\n' >"$W"
same "$T_DIR/r.out" "$W" "get-permissions on TRUSTED_ROOTS: EVERYONE\\tread"
"$V" store create --name PERMS >/dev/null
R "$V" store permission --name PERMS --user nobody --grant read
printf 'Permissions for store [PERMS] set  successfully\n \n' >"$W"
same "$T_DIR/r.out" "$W" "store permission prints 'set  successfully' (two spaces), then a line ' '"
"$V" store permission --name PERMS --user nobody --grant write >/dev/null
"$V" store permission --name PERMS --user daemon --grant write >/dev/null
"$V" store get-permissions --name PERMS >"$T_DIR/got"
printf 'PERMISSIONS FOR STORE: [PERMS]\nOWNER : root\nUSER\t\tACCESS\nnobody\tread,write\ndaemon\twrite\n' >"$W"
same "$T_DIR/got" "$W" "get-permissions: one user a line, read,write"
"$V" store permission --name PERMS --user nobody --revoke write >/dev/null
like "$("$V" store get-permissions --name PERMS)" "^nobody	read$" "revoke write leaves read"
R "$V" store permission --name PERMS --user no-such-user-x --grant read
is "$RC" 87 "granting to an unknown user: 87"
R "$V" store permission --name PERMS --user nobody --grant execute
is "$RC" 87 "an access that is not read or write: 87"
like "$ERR" "^usage:" "with the usage"

# --- entry create / list
R "$V" entry create --store MACHINE_SSL_CERT --alias __MACHINE_CERT --cert "$PUB/machine.pem" --key "$PUB/machine.key"
printf 'Entry with alias [__MACHINE_CERT] in store [MACHINE_SSL_CERT] was created successfully \n' >"$W"
same "$T_DIR/r.out" "$W" "entry create prints VMware's line with its trailing space"
R "$V" entry create --store TRUSTED_ROOTS --cert "$PUB/root1.pem"
is "$OUT" "Entry with alias [$T1] in store [TRUSTED_ROOTS] was created successfully " \
    "without --alias the alias is the lowercase SHA-1 thumbprint"
"$V" entry create --store TRUSTED_ROOTS --cert "$PUB/root2.pem" >/dev/null
R "$V" entry create --store TRUSTED_ROOTS --alias "$(tr a-f A-F <<<"$T1")" --cert "$PUB/root2.pem"
is "$RC" 183 "an alias in another case already exists (183)"
R "$V" entry create --store TRUSTED_ROOT_CRLS --cert "$PUB/root1.crl"
is "$RC" 0 "a CRL goes into TRUSTED_ROOT_CRLS"
CRLA=$(sed -n 's/^Entry with alias \[\(.*\)\] in.*/\1/p' <<<"$OUT")
is "${#CRLA}" 40 "under a thumbprint alias"
"$V" store create --name SECRETS >/dev/null
R "$V" entry create --store SECRETS --alias s1 --key "$PUB/other.key"
is "$RC" 0 "a key alone makes a Secret Key"
R "$V" entry create --store SECRETS --key "$PUB/other.key"
is "$RC" 87 "a secret key without --alias: 87"

{
	printf 'Number of entries in store :\t1\n'
	printf 'Alias :\t__MACHINE_CERT\nEntry type :\tPrivate Key\nCertificate :\t'
	cat "$PUB/machine.pem"
	printf '\n'
} >"$W"
"$V" entry list --store MACHINE_SSL_CERT >"$T_DIR/got"
same "$T_DIR/got" "$W" "entry list: count, Alias, Entry type, Certificate and a blank line"
{
	printf 'Number of entries in store :\t2\n'
	printf '%s\n' "$T1" "$T2" | sort
} >"$W"
"$V" entry list --store trusted_roots --aliases >"$T_DIR/got"
same "$T_DIR/got" "$W" "entry list --aliases: the count, then one alias a line"
R "$V" entry list --store SECRETS
printf 'Number of entries in store :\t1\nAlias :\ts1\nEntry type :\tSecret Key\n\n' >"$W"
same "$T_DIR/r.out" "$W" "a secret key is listed without certificate or key"
like "$("$V" entry list --store TRUSTED_ROOT_CRLS)" "^Entry type :	Certification Revocation List$" \
    "a CRL is listed as Certification Revocation List"
{
	printf 'Number of entries in store :\t1\n'
	printf 'Alias :\t__MACHINE_CERT\nEntry type :\tPrivate Key\n'
	openssl x509 -in "$PUB/machine.pem" -noout -text -nameopt compat
	printf '\n'
} >"$W"
"$V" entry list --store MACHINE_SSL_CERT --text >"$T_DIR/got"
same "$T_DIR/got" "$W" "entry list --text: OpenSSL's rendering in place of the Certificate line"
like "$(cat "$T_DIR/got")" "^            Not After : Apr  6 11:57:19 2029 GMT$" \
    "with the 'Not After : Apr  6 11:57:19 2029 GMT' line"

# --- getcert / getkey
"$V" entry getcert --store MACHINE_SSL_CERT --alias __machine_cert >"$T_DIR/got"
same "$T_DIR/got" "$PUB/machine.pem" "entry getcert prints the PEM (alias in any case)"
"$V" entry getcert --store MACHINE_SSL_CERT --alias __MACHINE_CERT --text >"$T_DIR/got"
openssl x509 -in "$PUB/machine.pem" -noout -text -nameopt compat >"$W"
same "$T_DIR/got" "$W" "entry getcert --text prints OpenSSL's rendering"
R "$V" entry getcert --store MACHINE_SSL_CERT --alias __MACHINE_CERT --output "$T_DIR/out.pem"
is "$RC:$OUT" "0:" "getcert --output prints nothing"
same "$T_DIR/out.pem" "$PUB/machine.pem" "and writes the PEM"
is "$(stat -c %a "$T_DIR/out.pem")" 600 "readable by its owner only"
"$V" entry getkey --store MACHINE_SSL_CERT --alias __MACHINE_CERT >"$T_DIR/got"
openssl pkey -in "$PUB/machine.key" >"$W"
same "$T_DIR/got" "$W" "entry getkey prints the key PEM"
echo "old" >"$T_DIR/key.out"
chmod 0644 "$T_DIR/key.out"
"$V" entry getkey --store MACHINE_SSL_CERT --alias __MACHINE_CERT --output "$T_DIR/key.out"
same "$T_DIR/key.out" "$W" "getkey --output writes the key"
is "$(stat -c %a "$T_DIR/key.out")" 600 "and makes even an existing file private"
R "$V" entry getcert --store SECRETS --alias s1
is "$RC" 216 "getcert of a secret key: 4312, exit 216"
is "$ERR" "Error: No certificates were found for entry [s1] of type [Secret Key].
vecs-cli failed. Error 4312: Operation failed with error ERROR_OBJECT_NOT_FOUND (4312) " \
    "with VMware's detail line"
R "$V" entry getkey --store TRUSTED_ROOTS --alias "$T1"
is "$RC" 216 "getkey of a trusted cert: not found"
R "$V" entry getcert --store TRUSTED_ROOTS --alias nothere
is "$RC" 216 "getcert of an unknown alias: 216"

# --- delete
R "$V" entry delete --store TRUSTED_ROOTS --alias "$T2" -y
printf 'Deleted entry with alias [%s] in store [TRUSTED_ROOTS] successfully\n \n' "$T2" >"$W"
same "$T_DIR/r.out" "$W" "entry delete -y prints VMware's line, then a line ' '"
R "$V" entry delete --store TRUSTED_ROOTS --alias "$T2" -y
is "$RC" 0 "deleting an alias that is not there succeeds"
same "$T_DIR/r.out" "$W" "and prints the same"
R bash -c "echo | '$V' entry delete --store TRUSTED_ROOTS --alias '$T1'"
printf 'Warning: This operation will delete entry [%s] from store [TRUSTED_ROOTS]\nDo you wish to continue? Y/N [N] ' "$T1" >"$W"
same "$T_DIR/r.out" "$W" "entry delete without -y asks; no answer keeps the entry"
like "$("$V" entry list --store TRUSTED_ROOTS --aliases)" "^$T1$" "the entry is still there"

# --- the runbook's one-liner (sts-certs-and-psc-replication seed)
for s in machine vpxd vpxd-extension vsphere-webclient; do
	"$V" entry create --store "$s" --alias "$s" --cert "$PUB/machine.pem" --key "$PUB/machine.key" >/dev/null
done
"$V" entry create --store SMS --alias sms_self_signed --cert "$PUB/other.pem" >/dev/null 2>&1 ||
    { "$V" store create --name SMS >/dev/null; "$V" entry create --store SMS --alias sms_self_signed --cert "$PUB/other.pem" >/dev/null; }
R env PATH="$top_builddir:$PATH" bash -c \
    'for i in $(vecs-cli store list); do echo STORE $i; vecs-cli entry list --store $i --text | egrep "Alias|Not After"; done'
is "$RC" 0 "the runbook's one-liner runs as printed"
cat >"$W" <<EOW
STORE BACKUP_STORE
STORE machine
Alias :	machine
            Not After : Apr  6 11:57:19 2029 GMT
STORE MACHINE_SSL_CERT
Alias :	__MACHINE_CERT
            Not After : Apr  6 11:57:19 2029 GMT
STORE PERMS
STORE SECRETS
Alias :	s1
STORE SMS
Alias :	sms_self_signed
            Not After : Apr  6 11:57:19 2029 GMT
STORE TRUSTED_ROOT_CRLS
Alias :	$CRLA
STORE TRUSTED_ROOTS
Alias :	$T1
            Not After : Dec 13 21:50:49 2029 GMT
STORE vpxd
Alias :	vpxd
            Not After : Apr  6 11:57:19 2029 GMT
STORE vpxd-extension
Alias :	vpxd-extension
            Not After : Apr  6 11:57:19 2029 GMT
STORE vsphere-webclient
Alias :	vsphere-webclient
            Not After : Apr  6 11:57:19 2029 GMT
EOW
same "$T_DIR/r.out" "$W" "it prints each store's aliases and Not After lines"

# --- --json beside the text
R "$V" store list --json
is "$(jq -r '.stores | length' <<<"$OUT")" 11 "store list --json: the stores"
R "$V" --json entry list --store MACHINE_SSL_CERT
is "$(jq -r '.entries[0] | "\(.alias) \(.type) \(.pulled) \(.not_after)"' <<<"$OUT")" \
    "__MACHINE_CERT Private Key false 2029-04-06T11:57:19Z" "entry list --json: alias, type, pulled, not_after"
R "$V" store get-permissions --name PERMS --json
is "$(jq -c . <<<"$OUT")" '{"store":"PERMS","owner":"root","grants":[{"user":"nobody","access":"read"},{"user":"daemon","access":"write"}]}' \
    "get-permissions --json"
R "$V" entry list --store NOPE --json
is "$RC:$(jq -r .error.code <<<"$OUT")" "216:4312" "a failure with --json: the error as JSON, exit 216"
like "$ERR" "^vecs-cli failed. Error 4312: " "and the error line on stderr"

# --- force-refresh, help, usage errors, no daemon
R "$V" force-refresh
is "$RC:$OUT:$ERR" "0::" "force-refresh succeeds and prints nothing"
R "$V" help
is "$RC" 0 "help exits 0"
for c in "store create" "store list" "store delete" "store permission" "store get-permissions" \
    "entry create" "entry list" "entry getcert" "entry getkey" "entry delete" "force-refresh"; do
	like "$OUT" "^  $c" "help lists '$c'"
done
R "$V" store create
is "$RC" 87 "store create without --name: 87"
like "$ERR" "^vecs-cli failed. Error 87: Operation failed with error ERROR_INVALID_PARAMETER \\(87\\) $" \
    "VMware's 87 line"
like "$ERR" "^  store create --name NAME$" "and the usage"
R "$V" entry list
is "$RC" 87 "entry list without --store: 87"
R "$V" frobnicate
is "$RC" 87 "an unknown command: 87"
R "$V" entry create --store SMS --cert /nonexistent.pem
is "$RC" 87 "an unreadable certificate file: 87"
R env VECS_SOCKET="$T_DIR/none.sock" "$V" store list
is "$RC" 253 "no vecsd: 1021, exit 253"
like "$ERR" "vecs-cli failed. Error 1021: " "with its error line"
R "$V" --socket "$T_DIR/none.sock" store list
is "$RC" 253 "--socket overrides VECS_SOCKET"

# --- restart keeps everything; SIGTERM is clean
before=$("$V" entry list --store MACHINE_SSL_CERT)
ok "SIGTERM stops vecsd with status 0" node_stop v
ok "the pid file is removed" test ! -e "$T_DIR/v/vecsd.pid"
ok "the socket is removed" test ! -e "$VECS_SOCKET"
vecsd_start v || { echo "Bail out! vecsd does not restart"; exit 1; }
is "$("$V" entry list --store MACHINE_SSL_CERT)" "$before" "after a restart the entries are there"
is "$("$V" store list | wc -l)" 11 "and the stores"
cat >"$T_DIR/vecsd.conf" <<EOC
[server]
socket = $T_DIR/conf.sock
data_dir = $T_DIR/confdb
EOC
mkdir -p "$T_DIR/c"
"$VECSD" -f "$T_DIR/vecsd.conf" >"$T_DIR/c/vecsd.log" 2>&1 &
NODE_PID[c]=$!
for i in $(seq 1 400); do
	"$V" --socket "$T_DIR/conf.sock" store list >/dev/null 2>&1 && break
	sleep 0.025
done
is "$("$V" --socket "$T_DIR/conf.sock" store list | wc -l)" 8 "socket and data_dir from the configuration file"

done_testing
