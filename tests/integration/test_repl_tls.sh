#!/bin/bash
# test_repl_tls.sh: replication security. Two nodes (init + join) with
# LDAPS and certificates from a scratch CA; their plain ldap:// agreements
# are replaced by ldaps:// ones and changes flow both ways over TLS, bound
# as the machine accounts. Refused, each in turn: a supplier presenting a
# self-signed "rogue" certificate, one signed by the CA for another host,
# and a consumer whose tls_ca is an unrelated CA. Then nothing replicates
# through that agreement, the consumer logs why, vdcrepadmin
# showpartnerstatus does not call the partner healthy and both nodes keep
# running; the right certificate (or CA) back and replication resumes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/repl_lib.sh"

REPADMIN=$top_builddir/vdcrepadmin
U="cn=Users,$BASE"
# a consumer that was refused retries with backoff (up to 30 s, +-50%
# jitter): waits for it to come back get a longer deadline
RETRY_DEADLINE=$((REPL_DEADLINE + 45))

# --- PKI: a CA, one certificate per node, an unrelated self-signed one ----
P=$T_DIR/pki
mkdir -p "$P"
printf '%s\n' "basicConstraints=CA:FALSE" \
    "keyUsage=critical,digitalSignature,keyEncipherment" \
    "extendedKeyUsage=serverAuth,clientAuth" \
    "subjectAltName=IP:127.0.0.1,DNS:localhost" >"$P/ext.cnf"
mkca() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Trellis Repl Test CA" \
	    -keyout "$P/ca.key" -out "$P/ca.pem" \
	    -addext "basicConstraints=critical,CA:TRUE" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign"
}
# mkcert NAME: NAME.pem/NAME.key for 127.0.0.1 / localhost, signed by the CA
mkcert() {
	openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost/OU=$1" \
	    -keyout "$P/$1.key" -out "$P/$1.csr" &&
	openssl x509 -req -in "$P/$1.csr" -CA "$P/ca.pem" -CAkey "$P/ca.key" \
	    -CAcreateserial -days 2 -extfile "$P/ext.cnf" -out "$P/$1.pem" &&
	openssl verify -CAfile "$P/ca.pem" "$P/$1.pem"
}
# the rogue: same names (127.0.0.1 / localhost), but self-signed
mkrogue() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost/OU=rogue" \
	    -keyout "$P/rogue.key" -out "$P/rogue.pem" \
	    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" &&
	! openssl verify -CAfile "$P/ca.pem" "$P/rogue.pem"
}
# another CA, unrelated to the first: a consumer trusting only it refuses all
mkother() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Other CA" \
	    -keyout "$P/other.key" -out "$P/other.pem" \
	    -addext "basicConstraints=critical,CA:TRUE" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign" &&
	! openssl verify -CAfile "$P/other.pem" "$P/A.pem"
}
ok "scratch CA" mkca
ok "certificate for A signed by the CA" mkcert A
ok "certificate for B signed by the CA" mkcert B
ok "rogue self-signed certificate (does not verify against the CA)" mkrogue
# signed by the CA, but for another host: the name check must refuse it
mkwrongname() {
	openssl req -newkey rsa:2048 -nodes -subj "/CN=elsewhere.invalid" \
	    -keyout "$P/wrongname.key" -out "$P/wrongname.csr" &&
	printf '%s\n' "basicConstraints=CA:FALSE" \
	    "keyUsage=critical,digitalSignature,keyEncipherment" \
	    "extendedKeyUsage=serverAuth,clientAuth" \
	    "subjectAltName=DNS:elsewhere.invalid,IP:192.0.2.1" >"$P/wrongname.cnf" &&
	openssl x509 -req -in "$P/wrongname.csr" -CA "$P/ca.pem" -CAkey "$P/ca.key" \
	    -CAcreateserial -days 2 -extfile "$P/wrongname.cnf" -out "$P/wrongname.pem" &&
	openssl verify -CAfile "$P/ca.pem" "$P/wrongname.pem" &&
	! openssl verify -CAfile "$P/ca.pem" -verify_ip 127.0.0.1 "$P/wrongname.pem"
}
ok "CA-signed certificate for another host (not 127.0.0.1)" mkwrongname
ok "unrelated CA (A's certificate does not verify against it)" mkother

# --- helpers -----------------------------------------------------------------
declare -A LPORT
LPORT[A]=$(free_port)
LPORT[B]=$(free_port)
surl() { echo "ldaps://127.0.0.1:${LPORT[$1]}"; }
# tls_flags NAME CERT CA: the start flags for LDAPS with CERT, trusting CA
tls_flags() {
	echo "-P ${LPORT[$1]} --tls-cert $P/$2.pem --tls-key $P/$2.key -o tls_ca=$P/$3.pem"
}
# sagr_add X Y [ON]: X pulls from Y over ldaps:// (written on ON, or X)
sagr_add() { agr_add_uri "$1" "$(surl "$2")" "${3:-$1}"; }
# agreements NODE OF: the labeledURIs of OF's agreements as NODE sees them
agreements() {
	adm_search "$1" -b "cn=Replication Agreements,$(srv_dn "$2")" -s one \
	    "(objectClass=vmwReplicationAgreement)" labeledURI |
	    sed -n 's/^labeledURI: //p' | sort
}
agreements_are() { [ "$(agreements "$1" "$2")" == "$3" ]; }
# log_has NODE ERE: NODE's log has a line matching ERE
log_has() { grep -Eq -- "$2" "$T_DIR/$1/vmdird.log"; }
# log_has_after NODE LINE ERE: a line matching ERE after line LINE
log_has_after() { tail -n +"$(($2 + 1))" "$T_DIR/$1/vmdird.log" | grep -Eq -- "$3"; }
log_lines() { wc -l <"$T_DIR/$1/vmdird.log"; }
alive() { kill -0 "${NODE_PID[$1]}"; }
not() { ! "$@"; }
# refused NAME: ERE for a consumer's log line about a failed attempt on
# NAME's ldaps:// URI
refused() {
	local u
	u=$(surl "$1" | sed 's/\./\\./g')
	echo "(cannot|failed|refused|error).*$u([^0-9]|\$)|$u[^0-9].*(cannot|failed|refused|error)"
}
# machine_bind_over_ldaps SUPPLIER CONSUMER [AFTER]: SUPPLIER's log shows
# CONSUMER's machine account binding on a connection accepted on the LDAPS
# port (after line AFTER)
machine_bind_over_ldaps() {
	tail -n +"$((${3:-0} + 1))" "$T_DIR/$1/vmdird.log" | python3 -c '
import re, sys
who = sys.argv[1].lower()
ldaps, found = set(), False
for line in sys.stdin:
    m = re.search(r"conn=(\d+) fd=\d+ ACCEPT from .*\(LDAPS\)", line)
    if m:
        ldaps.add(m.group(1))
        continue
    m = re.search(r"conn=(\d+) op=\d+ BIND dn=\"([^\"]*)\"", line)
    if m and m.group(2).lower().startswith("cn=%s,cn=domain controllers," % who) \
            and m.group(1) in ldaps:
        found = True
sys.exit(0 if found else 1)
' "$2"
}
# pstatus NODE [--json]: vdcrepadmin showpartnerstatus on NODE. The tool
# reaches ldaps:// partners trusting the scratch CA the standard libldap
# way (lib.sh's LDAPNOINIT would make libldap ignore LDAPTLS_CACERT).
pstatus() {
	local n=$1
	shift
	_lt env -u LDAPNOINIT LDAPTLS_CACERT="$P/ca.pem" LDAPTLS_REQCERT=demand \
	    "$REPADMIN" -f showpartnerstatus -h "127.0.0.1:${NODE_PORT[$n]}" \
	    -u administrator -w "$ADMIN_PW" "$@" 2>&1
}
pstatus_json() { pstatus "$1" --json; }
# healthy NODE: every partner listed, available, 0 changes behind
healthy() {
	local out
	out=$(pstatus "$1") || return 1
	printf '%s\n' "$out" | grep -q '^Partner: ' &&
	! printf '%s\n' "$out" | grep -Eq '^(Host|Status) available: +No' &&
	[ "$(printf '%s\n' "$out" | grep -c '^Partner: ')" == \
	  "$(printf '%s\n' "$out" | grep -c '^Partner is 0 changes behind\.$')" ]
}
# long_wait_ok DESC CMD...: wait_ok with the retry deadline
long_wait_ok() { REPL_DEADLINE=$RETRY_DEADLINE wait_ok "$@"; }

# --- two nodes with LDAPS ------------------------------------------------------
ok "init A" node_init A
# shellcheck disable=SC2046
ok "start A with LDAPS (CA-signed certificate, tls_ca = the CA)" \
    node_start A $(tls_flags A A ca)
# shellcheck disable=SC2046
ok "join B to A and start it with LDAPS" repl_join B A $(tls_flags B B ca)
wait_same "initial copy" A B
out=$(env -u LDAPNOINIT LDAPTLS_CACERT=$P/ca.pem LDAPTLS_REQCERT=demand \
    ldapsearch -x -LLL -H "$(surl B)" -b "" -s base namingContexts 2>&1)
like "$out" "^namingContexts: $BASE\$" "B answers over LDAPS with a certificate that verifies against the CA"
echo "# agreements after the join: A: $(agreements A A | tr '\n' ' ') B: $(agreements A B | tr '\n' ' ')"

# --- replace the plain agreements by ldaps:// ones -----------------------------
ok "agreement: B pulls from A over ldaps://" sagr_add B A A
ok "agreement: A pulls from B over ldaps://" sagr_add A B A
wait_ok "B sees both ldaps:// agreements" \
    agreements_are B B "$(printf '%s\n' "$(url A)" "$(surl A)" | sort)"
wait_ok "B connects to A over ldaps://" log_has B "replication: connected to $(surl A)\$"
wait_ok "A connects to B over ldaps://" log_has A "replication: connected to $(surl B)\$"
ok "remove B's plain agreement" agr_del B A A
ok "remove A's plain agreement" agr_del A B A
ok "A's agreements (seen on A): only ldaps://" agreements_are A A "$(surl B)"
wait_ok "B's agreements (seen on B): only ldaps://" agreements_are B B "$(surl A)"
wait_ok "B stopped pulling over plain LDAP" log_has B "agreement with $(url A) removed"
wait_ok "A stopped pulling over plain LDAP" log_has A "agreement with $(url B) removed"
ok "B's agreement list on A: only ldaps://" agreements_are A B "$(surl A)"
wait_same "agreement changes converged" A B

# --- writes both ways over TLS -------------------------------------------------
nb=$(log_lines B)
na=$(log_lines A)
ok "add on A" adm_add A <<EOF2
dn: cn=overtls-a,$U
objectClass: person
cn: overtls-a
sn: written on A
EOF2
wait_ok "the add on A reaches B" has_dn B "cn=overtls-a,$U"
wait_ok "B applied it from the ldaps:// agreement" \
    log_has_after B "$nb" "replication from $(surl A): applied [0-9]+ entries"
ok "B pulled nothing over plain LDAP since" \
    not log_has_after B "$nb" "replication from ldap://"
ok "add on B" adm_add B <<EOF2
dn: cn=overtls-b,$U
objectClass: person
cn: overtls-b
sn: written on B
EOF2
wait_ok "the add on B reaches A" has_dn A "cn=overtls-b,$U"
wait_ok "A applied it from the ldaps:// agreement" \
    log_has_after A "$na" "replication from $(surl B): applied [0-9]+ entries"
ok "modify on B" adm_modify B <<EOF2
dn: cn=overtls-a,$U
changetype: modify
replace: description
description: changed on B
EOF2
wait_ok "the modify on B reaches A" attr_is A "cn=overtls-a,$U" description "changed on B"
ok "A logs B's machine account binding over LDAPS" machine_bind_over_ldaps A B
ok "B logs A's machine account binding over LDAPS" machine_bind_over_ldaps B A
wait_same "A and B identical after writes over TLS" A B
out=$(pstatus A)
echo "# showpartnerstatus on A with healthy ldaps:// agreements:"
printf '%s\n' "$out" | sed 's/^/#   /'
wait_ok "showpartnerstatus: A's ldaps:// partner is healthy" healthy A
wait_ok "showpartnerstatus: B's ldaps:// partner is healthy" healthy B

# --- A presents a rogue (self-signed) certificate: B must refuse it -----------
ok "stop A" node_stop A
nb=$(log_lines B)
na=$(log_lines A)
# shellcheck disable=SC2046
ok "restart A with the rogue certificate" node_start A $(tls_flags A rogue ca)
ok "write on A" add_users A rogue 1
nw=$(log_lines B)
ok "write on B" add_users B fromb-rogue 1
# A still trusts B's certificate: B -> A still flows, which also shows that
# A is up and serving replication while B refuses it
wait_ok "B -> A still replicates (B's certificate verifies)" has_dn A "cn=fromb-rogue1,$U"
# an attempt that started after the write and failed: had it been let
# through, it would have carried the write
long_wait_ok "B tried A again after the write and failed" \
    log_has_after B "$nw" "$(refused A)"
ok "the write on A did not reach B through the rogue ldaps:// agreement" \
    no_dn B "cn=rogue1,$U"
refusal=$(tail -n +"$((nw + 1))" "$T_DIR/B/vmdird.log" | grep -E -- "$(refused A)" | head -3)
echo "# B's log about $(surl A) with the rogue certificate:"
printf '%s\n' "$refusal" | sed 's/^/#   /'
like "$refusal" "[Cc]ertificate|[Vv]erif|TLS|SSL" \
    "B's log says why: a TLS / certificate verification failure"
ok "B's log does not claim it connected to the rogue" \
    not log_has_after B "$nb" "replication: connected to $(surl A)\$"
ok "A's log shows the handshake refused by its partner" \
    log_has_after A "$na" "TLS error"
ok "no bind of B's machine account reached A over LDAPS" \
    not machine_bind_over_ldaps A B "$na"
out=$(pstatus A)
echo "# showpartnerstatus on A while B refuses A's certificate:"
printf '%s\n' "$out" | sed 's/^/#   /'
echo "# ... with --json: $(pstatus_json A | tr -d '\n')"
ok "showpartnerstatus on A: B is not reported healthy" not healthy A
like "$out" "^Partner is [1-9][0-9]* changes behind\.\$" \
    "showpartnerstatus on A: B is behind on A's changes"
ok "A still running" alive A
ok "B still running" alive B
ok "B still serves reads" has_dn B "cn=overtls-a,$U"
ok "A still serves reads" has_dn A "cn=rogue1,$U"

# --- fixing it: A back on its CA-signed certificate --------------------------
ok "stop A" node_stop A
# shellcheck disable=SC2046
ok "restart A with its CA-signed certificate" node_start A $(tls_flags A A ca)
long_wait_ok "the held-back write reaches B" has_dn B "cn=rogue1,$U"
ok "B connected to A over ldaps:// again" log_has_after B "$nb" "replication: connected to $(surl A)\$"
wait_same "A and B identical after the fix" A B
wait_ok "showpartnerstatus: healthy again on A" healthy A

# --- A's certificate is signed by the CA but names another host ----------------
ok "stop A" node_stop A
nb=$(log_lines B)
# shellcheck disable=SC2046
ok "restart A with a CA-signed certificate for another host" \
    node_start A $(tls_flags A wrongname ca)
ok "write on A" add_users A wrongname 1
nw=$(log_lines B)
long_wait_ok "B tried A after the write and failed" \
    log_has_after B "$nw" "$(refused A)"
ok "the write on A did not reach B (certificate for the wrong host)" \
    no_dn B "cn=wrongname1,$U"
ok "B's log does not claim it connected to A" \
    not log_has_after B "$nb" "replication: connected to $(surl A)\$"
refusal=$(tail -n +"$((nw + 1))" "$T_DIR/B/vmdird.log" | grep -E -- "$(refused A)" | head -3)
echo "# B's log about $(surl A) with a certificate for another host:"
printf '%s\n' "$refusal" | sed 's/^/#   /'
like "$refusal" "[Cc]ertificate|[Vv]erif|TLS|SSL|[Hh]ost ?name|mismatch" \
    "B's log says why: the certificate does not match the host"
ok "A still running" alive A
ok "B still running" alive B
ok "stop A" node_stop A
# shellcheck disable=SC2046
ok "restart A with its own certificate" node_start A $(tls_flags A A ca)
long_wait_ok "the held-back write reaches B" has_dn B "cn=wrongname1,$U"
wait_same "A and B identical again" A B

# --- B trusts an unrelated CA: it must refuse A's (valid) certificate ---------
ok "stop B" node_stop B
nb=$(log_lines B)
# shellcheck disable=SC2046
ok "restart B with tls_ca = an unrelated CA" node_start B $(tls_flags B B other)
ok "write on A" add_users A wrongca 1
nw=$(log_lines B)
long_wait_ok "B tried A after the write and failed" \
    log_has_after B "$nw" "$(refused A)"
ok "the write on A did not reach B (A's certificate does not chain to B's tls_ca)" \
    no_dn B "cn=wrongca1,$U"
ok "B's log does not claim it connected to A" \
    not log_has_after B "$nb" "replication: connected to $(surl A)\$"
refusal=$(tail -n +"$((nw + 1))" "$T_DIR/B/vmdird.log" | grep -E -- "$(refused A)" | head -3)
echo "# B's log about $(surl A) with the wrong tls_ca:"
printf '%s\n' "$refusal" | sed 's/^/#   /'
like "$refusal" "[Cc]ertificate|[Vv]erif|TLS|SSL" \
    "B's log says why: a TLS / certificate verification failure"
ok "write on B" add_users B fromb-wrongca 1
wait_ok "B -> A still replicates (A trusts B's CA)" has_dn A "cn=fromb-wrongca1,$U"
out=$(pstatus A)
echo "# showpartnerstatus on A while B distrusts A's CA:"
printf '%s\n' "$out" | sed 's/^/#   /'
like "$out" "^Partner is [1-9][0-9]* changes behind\.\$" \
    "showpartnerstatus on A: B is behind on A's changes"
ok "A still running" alive A
ok "B still running" alive B

# --- B trusts a hashed directory (tls_ca_path) that lacks the CA, then gets it
ok "stop B" node_stop B
CADIR=$T_DIR/cadir
mkdir -p "$CADIR"
# shellcheck disable=SC2046
ok "restart B with tls_ca_path = an empty hashed directory" \
    node_start B $(tls_flags B B other | sed 's/ -o tls_ca=.*//') -o "tls_ca_path=$CADIR"
ok "write on A" add_users A cadir 1
nw=$(log_lines B)
long_wait_ok "B tried A after the write and failed" \
    log_has_after B "$nw" "$(refused A)"
ok "the write on A did not reach B" no_dn B "cn=cadir1,$U"
# the CA arrives in the directory as OpenSSL names it: no restart
cp "$P/ca.pem" "$CADIR/$(openssl x509 -noout -subject_hash -in "$P/ca.pem").0"
long_wait_ok "once the CA is in the directory, the write reaches B without a restart" \
    has_dn B "cn=cadir1,$U"
ok "B's log then says it connected to A" \
    log_has_after B "$nw" "replication: connected to $(surl A)\$"

ok "stop B" node_stop B
# shellcheck disable=SC2046
ok "restart B trusting the right CA" node_start B $(tls_flags B B ca)
long_wait_ok "the held-back write reaches B" has_dn B "cn=wrongca1,$U"
wait_same "A and B identical at the end" A B
wait_ok "showpartnerstatus: healthy on A" healthy A
wait_ok "showpartnerstatus: healthy on B" healthy B
ok "A stops cleanly" node_stop A
ok "B stops cleanly" node_stop B

[ "$T_FAILED" -eq 0 ] || repl_show_logs A B
done_testing
