#!/usr/bin/env bash
# test_vecs_pull.sh: the trusted-roots puller on a 3-node cluster, one
# vecsd per node reading its own node's local socket, its timer set to an
# hour so that only the USN watch can bring a change in time. Roots and
# CRLs are published with ldapadd/ldapmodify on one node as dir-cli writes
# them (cn = the SHA-1 thumbprint), and once with dir-cli itself; every node's TRUSTED_ROOTS, its
# TRUSTED_ROOT_CRLS and its hashed directory follow, pulled entries are
# marked, hand-added ones stay, a hand-added root the directory publishes
# becomes pulled. With vmdird stopped the stores stay, the log says so
# once, vecs-cli status shows the last success and the error, and
# force-refresh fails; vmdird back, the store catches up. Last, two nodes
# whose vmdird trusts its vecsd's hashed directory (tls_ca_path) replicate
# over ldaps:// once their CA is published on any node.
set -u
. "$(dirname "$0")/vecs_lib.sh"
. "$(dirname "$0")/repl_lib.sh"

CA_DN="cn=Certificate-Authorities,cn=Configuration,$BASE"
RETRY_DEADLINE=$((REPL_DEADLINE + 45))
long_wait_ok() { REPL_DEADLINE=$RETRY_DEADLINE wait_ok "$@"; }
not() { ! "$@"; }

# --- PKI: roots made with vecs_lib's mkcert, a leaf signed by root1, a CRL
mkcert root1 "Pull Root One"
mkcert root2 "Pull Root Two (by hand)"
mkcert root3 "Pull Root Three (by hand, then published)"
mkcert root4 "Pull Root Four (published while a node is down)"
mkcert root5 "Pull Root Five (dir-cli)"
mkcrl root1
mkleaf() {
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$PUB/leaf1.key" -out "$PUB/leaf1.csr" -subj "/CN=leaf.example.org" &&
	openssl x509 -req -in "$PUB/leaf1.csr" -CA "$PUB/root1.pem" -CAkey "$PUB/root1.key" \
	    -set_serial 7 -days 30 -out "$PUB/leaf1.pem"
}
ok "a leaf certificate signed by root1" mkleaf
for r in root1 root2 root3 root4; do
	openssl x509 -in "$PUB/$r.pem" -outform DER -out "$PUB/$r.der"
done
openssl crl -in "$PUB/root1.crl" -outform DER -out "$PUB/root1.crl.der"
T1=$(thumb "$PUB/root1.pem")
T2=$(thumb "$PUB/root2.pem")
T3=$(thumb "$PUB/root3.pem")
T4=$(thumb "$PUB/root4.pem")
TC=$(sha1sum <"$PUB/root1.crl.der" | cut -c1-40)
H1=$(openssl x509 -noout -subject_hash -in "$PUB/root1.pem")
HC=$(openssl crl -noout -hash -in "$PUB/root1.crl")

# A CA for the ldaps:// section: certificates for n1 and n2 (127.0.0.1)
P=$T_DIR/pki
mkdir -p "$P"
mkca() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Trellis Pull Test CA" \
	    -keyout "$P/ca.key" -out "$P/ca.pem" \
	    -addext "basicConstraints=critical,CA:TRUE" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign" &&
	openssl x509 -in "$P/ca.pem" -outform DER -out "$P/ca.der" &&
	printf '%s\n' "basicConstraints=CA:FALSE" \
	    "keyUsage=critical,digitalSignature,keyEncipherment" \
	    "extendedKeyUsage=serverAuth,clientAuth" \
	    "subjectAltName=IP:127.0.0.1,DNS:localhost" >"$P/ext.cnf"
}
mktls() {
	openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost/OU=$1" \
	    -keyout "$P/$1.key" -out "$P/$1.csr" &&
	openssl x509 -req -in "$P/$1.csr" -CA "$P/ca.pem" -CAkey "$P/ca.key" \
	    -CAcreateserial -days 2 -extfile "$P/ext.cnf" -out "$P/$1.pem"
}
ok "a CA for replication over TLS" mkca
ok "n1's TLS certificate, signed by it" mktls n1
ok "n2's TLS certificate, signed by it" mktls n2

# --- helpers -----------------------------------------------------------------
vc() { local v=$1; shift; timeout 30 "$VECSCLI" --socket "$(vecsd_sock "$v")" "$@"; }
# entries V STORE: "alias pulled|hand" a line, sorted
entries() {
	vc "$1" --json entry list --store "$2" | python3 -c '
import json, sys
for e in json.load(sys.stdin)["entries"]:
    print(e["alias"], "pulled" if e["pulled"] else "hand")' | sort
}
has_entry() { entries "$1" "$2" | grep -qx "$3 $4"; }
no_entry() { local out; out=$(entries "$1" "$2") && ! grep -q "^$3 " <<<"$out"; }
# certs V: the hashed directory's files, "name sha1-of-content" sorted
certs() {
	(cd "$(vecsd_certs "$1")" && for f in *; do
		[ -f "$f" ] && echo "$f $(openssl x509 -noout -fingerprint -sha1 -in "$f" 2>/dev/null ||
		    openssl crl -noout -fingerprint -sha1 -in "$f" 2>/dev/null)"
	done) | sort
}
# in_capath V FILE PEM: V's hashed directory has FILE holding PEM's object
in_capath() { cmp -s <(openssl x509 -in "$(vecsd_certs "$1")/$2" 2>/dev/null) <(openssl x509 -in "$3"); }
crl_in_capath() { cmp -s <(openssl crl -in "$(vecsd_certs "$1")/$2" 2>/dev/null) <(openssl crl -in "$3"); }
not_in_capath() { ! grep -rqF "$(sed -n 2p "$2")" "$(vecsd_certs "$1")"; }
verifies() { openssl verify -CApath "$(vecsd_certs "$1")" "${@:2}" "$PUB/leaf1.pem"; }
# status_field V FIELD: one field of vecs-cli status --json
status_field() {
	vc "$1" --json status | python3 -c '
import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v[k]
print("null" if v is None else v)' "$2"
}
status_is() { [ "$(status_field "$1" "$2")" == "$3" ]; }
status_above() { [ "$(status_field "$1" "$2")" -gt "$3" ]; }
# attempt_since V EPOCH: V's puller tried the directory at EPOCH or later
attempt_since() { [ "$(date -d "$(status_field "$1" last_attempt)" +%s)" -ge "$2" ]; }
# publish NODE NAME [CRLFILE]: the entry dir-cli trustedcert publish writes
publish() {
	local t
	t=$(thumb "$PUB/$2.pem")
	{
		printf 'dn: cn=%s,%s\nobjectClass: vmwCertificationAuthority\nobjectClass: pkiCA\n' "$t" "$CA_DN"
		printf 'cn: %s\ncACertificateDN: %s\ncACertificate;binary:< file://%s\n' "$t" \
		    "$(openssl x509 -noout -subject -nameopt RFC2253 -in "$PUB/$2.pem" | sed 's/^subject=//')" \
		    "$PUB/$2.der"
		[ -n "${3:-}" ] && printf 'certificateRevocationList;binary:< file://%s\n' "$3"
	} | adm_add "$1"
}
unpublish() { adm_delete "$1" "cn=$(thumb "$PUB/$2.pem"),$CA_DN"; }
log_count() { grep -cE -- "$2" "$T_DIR/$1/vecsd.log"; }
log_has() { grep -qE -- "$2" "$T_DIR/$1/${3:-vmdird}.log"; }

# --- a 3-node cluster; n1 and n2 serve LDAPS and trust their vecsd's
# hashed directory for replication
declare -A LPORT
LPORT[n1]=$(free_port)
LPORT[n2]=$(free_port)
surl() { echo "ldaps://127.0.0.1:${LPORT[$1]}"; }
tls_flags() {
	echo "-P ${LPORT[$1]} --tls-cert $P/$1.pem --tls-key $P/$1.key -o tls_ca_path=$(vecsd_certs "v${1#n}")"
}
ok "init n1" node_init n1
# shellcheck disable=SC2046
ok "start n1 (LDAPS, tls_ca_path = v1's hashed directory)" node_start n1 $(tls_flags n1)
# shellcheck disable=SC2046
ok "join n2 to n1 (LDAPS, tls_ca_path = v2's hashed directory)" repl_join n2 n1 $(tls_flags n2)
ok "join n3 to n1" repl_join n3 n1
ok "n3 also pulls from n2" agr_add n3 n2
ok "n2 also pulls from n3" agr_add n2 n3
wait_same "the cluster converged" n1 n2 n3
for i in 1 2 3; do
	ok "vecsd v$i on n$i's local socket (timer: an hour)" \
	    vecsd_start "v$i" -o "vmdir_uri=$(node_sock "n$i")" -o sync_interval=3600
done
wait_ok "v3's puller reached n3" status_is v3 state ok
ok "status: v3 reconciled at start" status_above v3 syncs 0
ok "before anything is published, the leaf does not verify with v3's hashed directory" not verifies v3

# --- published on n1: in n3's TRUSTED_ROOTS and hashed directory, no refresh
ok "publish root1 on n1 (ldapadd)" publish n1 root1
start=$(date +%s%N)
wait_ok "root1 reaches v3's TRUSTED_ROOTS under its thumbprint, pulled (no force-refresh)" \
    has_entry v3 TRUSTED_ROOTS "$T1" pulled
echo "# publish on n1 to v3's store: $((($(date +%s%N) - start) / 1000000)) ms (after ldapadd returned)"
wait_ok "and v3's hashed directory has it as $H1.0 (openssl's subject hash)" in_capath v3 "$H1.0" "$PUB/root1.pem"
is "$(stat -c %a "$(vecsd_certs v3)"):$(stat -c %a "$(vecsd_certs v3)/$H1.0")" "755:644" \
    "the hashed directory is 0755, its files 0644"
ok "openssl verify -CApath (v3's hashed directory) trusts the leaf root1 signed" verifies v3
wait_ok "root1 is pulled on v1 too" has_entry v1 TRUSTED_ROOTS "$T1" pulled
wait_ok "and on v2" has_entry v2 TRUSTED_ROOTS "$T1" pulled
is "$(status_field v3 trusted_roots.pulled)" 1 "vecs-cli status: one pulled root"
like "$(vc v3 status)" "^TRUSTED_ROOTS: +1 entries, 1 pulled$" "vecs-cli status (text) counts it"
R vc v3 entry list --store TRUSTED_ROOTS
like "$OUT" "^Alias :	$T1\$" "entry list shows it under its thumbprint"

# --- a root added by hand stays
R vc v3 entry create --store TRUSTED_ROOTS --cert "$PUB/root2.pem"
is "$RC" 0 "root2 added by hand on v3"
ok "it is not pulled" has_entry v3 TRUSTED_ROOTS "$T2" hand
wait_ok "the hashed directory follows a hand-added root" \
    in_capath v3 "$(openssl x509 -noout -subject_hash -in "$PUB/root2.pem").0" "$PUB/root2.pem"
R vc v3 force-refresh
is "$RC:$OUT:$ERR" "0::" "force-refresh succeeds, prints nothing"
ok "a hand-added root survives a reconciliation" has_entry v3 TRUSTED_ROOTS "$T2" hand
s0=$(status_field v3 syncs)
ok "write on n1 (moves every node's USN)" add_users n1 pullusn 1
wait_ok "the write reached n3" has_dn n3 "cn=pullusn1,cn=Users,$BASE"
wait_ok "v3 reconciled again, on the USN's move" status_above v3 syncs "$s0"
ok "the hand-added root survives that too" has_entry v3 TRUSTED_ROOTS "$T2" hand

# --- a hand-added root that the directory then publishes becomes pulled
R vc v3 entry create --store TRUSTED_ROOTS --alias "my root three" --cert "$PUB/root3.pem"
is "$RC" 0 "root3 added by hand on v3 under an alias of its own"
ok "publish root3 on n1" publish n1 root3
wait_ok "v3's hand-added root3 becomes pulled" has_entry v3 TRUSTED_ROOTS "my root three" pulled
ok "and is not added a second time under its thumbprint" no_entry v3 TRUSTED_ROOTS "$T3"
wait_ok "v1 pulls root3 under its thumbprint" has_entry v1 TRUSTED_ROOTS "$T3" pulled
ok "unpublish root3 on n1" unpublish n1 root3
wait_ok "once unpublished, v3's root3 (pulled now) is removed" no_entry v3 TRUSTED_ROOTS "my root three"
wait_ok "and v1's" no_entry v1 TRUSTED_ROOTS "$T3"
wait_ok "and it leaves v3's hashed directory" not_in_capath v3 "$PUB/root3.pem"
ok "root2, by hand, is still there" has_entry v3 TRUSTED_ROOTS "$T2" hand

# --- unpublished: gone everywhere, store and hashed directory
ok "unpublish root1 on n1" unpublish n1 root1
for i in 1 2 3; do
	wait_ok "root1 leaves v$i's TRUSTED_ROOTS" no_entry "v$i" TRUSTED_ROOTS "$T1"
	wait_ok "and v$i's hashed directory" not_in_capath "v$i" "$PUB/root1.pem"
done
ok "the leaf no longer verifies with v3's hashed directory" not verifies v3

# --- CRLs
ok "publish root1 again with its CRL on n2" publish n2 root1 "$PUB/root1.crl.der"
wait_ok "the CRL reaches v3's TRUSTED_ROOT_CRLS under its thumbprint, pulled" \
    has_entry v3 TRUSTED_ROOT_CRLS "$TC" pulled
wait_ok "and v3's hashed directory as $HC.r0 (openssl's issuer hash)" \
    crl_in_capath v3 "$HC.r0" "$PUB/root1.crl"
wait_ok "root1 is back in v3's TRUSTED_ROOTS" has_entry v3 TRUSTED_ROOTS "$T1" pulled
wait_ok "openssl verify -crl_check -CApath finds root1 and its CRL" verifies v3 -crl_check
# the same objects under plain names, named by openssl rehash: the same names
rehashed() {
	local d=$T_DIR/rehash f
	rm -rf "$d" && mkdir -p "$d" || return 1
	for f in "$(vecsd_certs v3)"/*; do cp "$f" "$d/plain-$(basename "$f").pem"; done
	openssl rehash "$d" >/dev/null 2>&1 || return 1
	(cd "$d" && find . -type l -printf '%f\n' | sort)
}
is "$(rehashed)" "$(cd "$(vecsd_certs v3)" && ls | sort)" \
    "v3's hashed directory has the names openssl rehash gives the same roots and CRL"
ok "drop the CRL from root1's entry on n1" adm_modify n1 <<EOF
dn: cn=$T1,$CA_DN
changetype: modify
delete: certificateRevocationList;binary
EOF
wait_ok "the CRL leaves v3's TRUSTED_ROOT_CRLS" no_entry v3 TRUSTED_ROOT_CRLS "$TC"
wait_ok "and v3's hashed directory" bash -c "[ ! -e '$(vecsd_certs v3)/$HC.r0' ]"
ok "root1 stays" has_entry v3 TRUSTED_ROOTS "$T1" pulled
ok "without its CRL, -crl_check fails" not verifies v3 -crl_check

# --- dir-cli trustedcert publish / unpublish, as the runbooks do it
T5=$(thumb "$PUB/root5.pem")
dircli() {
	local n=$1
	shift
	timeout 30 "$top_builddir/dir-cli" trustedcert "$@" -h "$(url "$n")" \
	    --login administrator@vsphere.local --password "$ADMIN_PW"
}
R dircli n2 publish --cert "$PUB/root5.pem"
is "$RC:$OUT" "0:Certificate pubished successfully" "dir-cli trustedcert publish on n2"
wait_ok "root5 reaches v3's TRUSTED_ROOTS under its thumbprint, pulled" has_entry v3 TRUSTED_ROOTS "$T5" pulled
wait_ok "and v1's hashed directory" \
    in_capath v1 "$(openssl x509 -noout -subject_hash -in "$PUB/root5.pem").0" "$PUB/root5.pem"
R dircli n1 unpublish --cert "$PUB/root5.pem"
is "$RC:$OUT" "0:Certificate unpubished successfully" "dir-cli trustedcert unpublish on n1"
wait_ok "root5 leaves v3's TRUSTED_ROOTS" no_entry v3 TRUSTED_ROOTS "$T5"
wait_ok "and v1's hashed directory" not_in_capath v1 "$PUB/root5.pem"

# --- vmdird down: the store stays, the log says so once, status tells
before=$(entries v3 TRUSTED_ROOTS)
before_certs=$(certs v3)
last_ok=$(status_field v3 last_sync_epoch)
ok "stop n3's vmdird" node_stop n3
wait_ok "v3 logs that vmdird does not answer" log_has v3 "puller: vmdird does not answer" vecsd
first_err=$(date +%s)
# the puller retries every 2 s at most: 5 s is two tries or more
wait_ok "v3 keeps trying (status: last attempt advances)" attempt_since v3 $((first_err + 4))
is "$(log_count v3 "puller: vmdird does not answer")" 1 "the log says so once, not at every try"
is "$(entries v3 TRUSTED_ROOTS)" "$before" "TRUSTED_ROOTS is as it was"
is "$(certs v3)" "$before_certs" "the hashed directory is as it was"
is "$(status_field v3 state)" unreachable "vecs-cli status --json: state unreachable"
like "$(status_field v3 last_error)" "vmdird does not answer" "status: the last error"
ls_epoch=$(status_field v3 last_sync_epoch)
ok "status: the last successful sync is from before the stop" test "$ls_epoch" -ge "$last_ok" -a "$ls_epoch" -le "$first_err"
like "$(vc v3 status)" "^Last error: +vmdird does not answer" "vecs-cli status (text) shows the error"
R vc v3 force-refresh
is "$RC" $((1021 % 256)) "force-refresh with vmdird down fails (1021)"
like "$ERR" "vmdird does not answer" "and says why"
like "$ERR" "vecs-cli failed. Error 1021: " "with vecs-cli's error line"
ok "publish root4 on n1 while n3 is down" publish n1 root4
ok "start n3's vmdird again" node_start n3
wait_ok "v3 catches up: root4 arrives" has_entry v3 TRUSTED_ROOTS "$T4" pulled
wait_ok "status: ok again" status_is v3 state ok
ok "the log says it answers again" log_has v3 "puller: .* answers again" vecsd
R vc v3 force-refresh
is "$RC" 0 "force-refresh works again"

# --- replication over ldaps:// trusts what the directory publishes
# n1 and n2 pull from each other over ldaps:// only; n3 carries everything
# else (and the publication) over plain LDAP.
ok "agreement: n2 pulls from n1 over ldaps://" agr_add_uri n2 "$(surl n1)" n1
ok "agreement: n1 pulls from n2 over ldaps://" agr_add_uri n1 "$(surl n2)" n1
ok "remove n2's plain agreement with n1" agr_del n2 n1 n1
ok "remove n1's plain agreement with n2" agr_del n1 n2 n1
refused() {
	local u
	u=$(surl "$1" | sed 's/\./\\./g')
	echo "(cannot|failed|refused|error).*$u([^0-9]|\$)|$u[^0-9].*(cannot|failed|refused|error)"
}
long_wait_ok "n2 cannot pull from n1 over ldaps:// (the CA is not published)" log_has n2 "$(refused n1)"
long_wait_ok "nor n1 from n2" log_has n1 "$(refused n2)"
ok "no TLS connection between them yet" not log_has n2 "replication: connected to $(surl n1)\$"
ok "publish the CA on n3" adm_add n3 <<EOF
dn: cn=$(thumb "$P/ca.pem"),$CA_DN
objectClass: vmwCertificationAuthority
objectClass: pkiCA
cn: $(thumb "$P/ca.pem")
cACertificate;binary:< file://$P/ca.der
EOF
wait_ok "it reaches v1's hashed directory" in_capath v1 "$(openssl x509 -noout -subject_hash -in "$P/ca.pem").0" "$P/ca.pem"
wait_ok "and v2's" in_capath v2 "$(openssl x509 -noout -subject_hash -in "$P/ca.pem").0" "$P/ca.pem"
long_wait_ok "n2 now pulls from n1 over ldaps://" log_has n2 "replication: connected to $(surl n1)\$"
long_wait_ok "and n1 from n2" log_has n1 "replication: connected to $(surl n2)\$"
ok "stop n3: only ldaps:// links n1 and n2 now" node_stop n3
ok "write on n1" add_users n1 overtls 1
wait_ok "it reaches n2 over ldaps://" has_dn n2 "cn=overtls1,cn=Users,$BASE"
ok "write on n2" add_users n2 overtlsb 1
wait_ok "it reaches n1 over ldaps://" has_dn n1 "cn=overtlsb1,cn=Users,$BASE"

for i in 1 2 3; do
	[ -n "${NODE_PID[v$i]:-}" ] && vecsd_alive "v$i" "the whole test"
done
[ "$T_FAILED" -eq 0 ] || { repl_show_logs n1 n2; tail -20 "$T_DIR/v3/vecsd.log" | sed 's/^/# v3: /'; }
done_testing
