#!/usr/bin/env bash
# test_dircli.sh: dir-cli trustedcert against a real two-node domain (A
# made with --init, B joined to it). Every command and output shape byte
# for byte; the entries it writes (id = lowercase SHA-1 thumbprint, DER
# certificate and CRL, RFC 4514 subject) checked with ldapsearch and
# openssl; publish on A is listed on B, unpublish removes it on both;
# re-publishing replaces the CRL; the local socket (SASL EXTERNAL), simple
# bind by UPN, --password-file and the prompt on a terminal; bad input,
# wrong password, a user who is not an administrator, an unreachable
# server: VMware's errors and exit codes, nothing changed.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/repl_lib.sh"

DIRCLI=$top_builddir/dir-cli
PTYRUN="$top_srcdir/tests/integration/ptyrun.py"
CAS="cn=Certificate-Authorities,cn=Configuration,$BASE"
UPN=administrator@vsphere.local
W=$T_DIR/pki
mkdir -p "$W"
TAB=$'\t'

# R CMD...: runs CMD; OUT is stdout, ERR stderr, RC the exit status.
R() { OUT=$("$@" 2>"$T_DIR/err"); RC=$?; ERR=$(cat "$T_DIR/err"); }
# As the administrator over TCP against node N.
dc() { local n=$1; shift; "$DIRCLI" trustedcert "$@" -h "$(url "$n")" --login "$UPN" --password "$ADMIN_PW"; }
fail_line() { printf 'dir-cli failed. Error %s: Operation failed with error %s (%s) ' "$1" "$2" "$1"; }
E87=$(fail_line 87 ERROR_INVALID_PARAMETER)
E4312=$(fail_line 4312 ERROR_OBJECT_NOT_FOUND)

# ------------------------------------------------------------ certificates
# ca NAME SUBJECT [ISSUER]: a CA certificate NAME.pem (self-signed, or
# signed by ISSUER) with key NAME.key; leaf NAME: a non-CA one.
ca() {
	local name=$1 subj=$2 issuer=${3:-}
	if [ -z "$issuer" ]; then
		openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/$name.key" \
		    -out "$W/$name.pem" -subj "$subj" -days 3650 \
		    -addext basicConstraints=critical,CA:TRUE \
		    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
	else
		openssl req -new -newkey rsa:2048 -nodes -keyout "$W/$name.key" \
		    -out "$W/$name.csr" -subj "$subj" 2>/dev/null &&
		printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n' \
		    >"$W/$name.ext" &&
		openssl x509 -req -in "$W/$name.csr" -CA "$W/$issuer.pem" \
		    -CAkey "$W/$issuer.key" -CAcreateserial -days 3650 \
		    -extfile "$W/$name.ext" -out "$W/$name.pem" 2>/dev/null
	fi
}
leaf() {
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/$1.key" -out "$W/$1.pem" \
	    -subj "/CN=$1.example.com" -days 365 -addext basicConstraints=CA:FALSE 2>/dev/null
}
# crl CA OUT [NUMBER]: an empty CRL (PEM) issued by CA, numbered NUMBER
# (default 01).
crl() {
	local d="$W/$1.db"
	mkdir -p "$d"
	: >"$d/index.txt"
	echo "${3:-01}" >"$d/crlnumber"
	printf '[ca]\ndefault_ca = d\n[d]\ndatabase = %s\ncrlnumber = %s\ndefault_md = sha256\ndefault_crl_days = 30\n' \
	    "$d/index.txt" "$d/crlnumber" >"$d/ca.cnf"
	openssl ca -config "$d/ca.cnf" -gencrl -keyfile "$W/$1.key" -cert "$W/$1.pem" \
	    -out "$2" 2>/dev/null
}
# id F: lowercase SHA-1 thumbprint without colons; subj F: RFC 4514 subject.
id() { openssl x509 -in "$1" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g' | tr 'A-F' 'a-f'; }
subj() { openssl x509 -in "$1" -noout -subject -nameopt RFC2253 | sed 's/^subject=//'; }
der64() { openssl x509 -in "$1" -outform DER | base64 -w0; }
crl64() { openssl crl -in "$1" -outform DER | base64 -w0; }

ok "openssl makes root1 (self-signed CA)" ca root1 "/C=US/O=Trellis Test/CN=Root One"
ok "openssl makes root2" ca root2 "/O=Trellis Test/OU=Lab, Two/CN=Root Two"
ok "openssl makes root3 and its intermediate CA" \
    eval 'ca root3 "/CN=Root Three" && ca inter3 "/CN=Intermediate Three" root3'
ok "openssl makes a leaf certificate" leaf leaf1
ok "openssl makes CRLs of root1 (two) and root2" \
    eval 'crl root1 "$W/root1.crl" && crl root1 "$W/root1b.crl" 02 && crl root2 "$W/root2.crl"'
ok "the two CRLs of root1 differ" eval '! cmp -s "$W/root1.crl" "$W/root1b.crl"'
cat "$W/root3.pem" "$W/inter3.pem" >"$W/chain3.pem"
cat "$W/root2.pem" "$W/leaf1.pem" >"$W/mixed.pem"
ID1=$(id "$W/root1.pem") ID2=$(id "$W/root2.pem")
ID3=$(id "$W/root3.pem") IDI=$(id "$W/inter3.pem")

# ------------------------------------------------------------ two nodes
ok "init and start A" repl_init A
ok "join and start B" repl_join B A
SOCK_A=$(node_sock A)

# ------------------------------------------------------------ usage
R "$DIRCLI" --help
is "$RC" 0 "--help exits 0"
like "$OUT" '^  trustedcert publish --cert FILE \[--crl FILE\] \[--chain\]$' "--help shows publish"
R "$DIRCLI" trustedcert --help
is "$RC:$(grep -c '^  trustedcert ' <<<"$OUT")" "0:4" "trustedcert --help lists the four commands"
R "$DIRCLI"
is "$RC:$(tail -1 <<<"$ERR")" "87:$E87" "no command: usage, error 87, exit 87"
like "$ERR" '^usage: dir-cli trustedcert' "no command prints the usage on stderr"
R "$DIRCLI" trustedcert frobnicate
is "$RC:$(head -1 <<<"$ERR")" "87:dir-cli: unknown trustedcert command 'frobnicate'" "unknown command: exit 87"
R "$DIRCLI" trustedcert publish
is "$RC:$(head -1 <<<"$ERR")" "87:dir-cli: missing --cert" "publish without --cert: exit 87"
R "$DIRCLI" trustedcert publish --cert "$W/root1.pem" --id x
is "$RC:$(head -1 <<<"$ERR")" "87:dir-cli: option --id does not apply here" "an option of another command: exit 87"
R "$DIRCLI" trustedcert get --id "$ID1"
is "$RC:$(head -1 <<<"$ERR")" "87:dir-cli: missing --outcert" "get without --outcert: exit 87"
R "$DIRCLI" trustedcert list --json --bogus
is "$RC:$(python3 -c 'import json,sys; e=json.load(sys.stdin)["error"]; print(e["code"], e["message"])' <<<"$OUT")" \
    "87:87 unknown option --bogus" "--json usage error: {\"error\":{\"code\":87,...}} on stdout"

# ------------------------------------------------------------ empty list
R dc A list
is "$RC:$OUT" "0:Number of certificates:${TAB}0" "list of a new domain: 'Number of certificates:\\t0'"

# ------------------------------------------------------------ publish
R dc A publish --cert "$W/root1.pem" --crl "$W/root1.crl"
is "$RC:$OUT:$ERR" "0:Certificate pubished successfully:" "publish root1 with its CRL as $UPN"
E1="cn=$ID1,$CAS"
R adm_search A -b "$E1" -s base objectClass cn cACertificateDN 'cACertificate;binary' 'certificateRevocationList;binary'
is "$RC:$(sed -n 's/^dn: //p' <<<"$OUT")" "0:$E1" "the entry is cn=<lowercase SHA-1 thumbprint>,$CAS"
is "$(sed -n 's/^objectClass: //p' <<<"$OUT" | sort | tr '\n' ' ')" "pkiCA top vmwCertificationAuthority " \
    "its classes are vmwCertificationAuthority and pkiCA"
is "$(sed -n 's/^cACertificateDN: //p' <<<"$OUT")" "$(subj "$W/root1.pem")" \
    "cACertificateDN is the subject as openssl -nameopt RFC2253 prints it"
is "$(sed -n 's/^cACertificate;binary:: //p' <<<"$OUT")" "$(der64 "$W/root1.pem")" \
    "cACertificate;binary is the certificate's DER (ldapsearch asks with ;binary)"
is "$(sed -n 's/^certificateRevocationList;binary:: //p' <<<"$OUT")" "$(crl64 "$W/root1.crl")" \
    "certificateRevocationList;binary is the CRL's DER"
R adm_search A -b "$E1" -s base cACertificate
like "$OUT" '^cACertificate:: ' "asked without ;binary, the attribute comes back without it"

R env TRELLIS_LDAPI="$SOCK_A" "$DIRCLI" trustedcert publish --cert "$W/root2.pem" --crl "$W/root2.crl"
is "$RC:$OUT" "0:Certificate pubished successfully" "publish root2 on the local socket (SASL EXTERNAL, no password)"
printf '%s\n' "$ADMIN_PW" >"$W/pwfile"
R "$DIRCLI" trustedcert publish --cert "$W/chain3.pem" --chain -h "$(url A)" --login "$UPN" --password-file "$W/pwfile"
is "$RC:$OUT" "0:Certificate pubished successfully" "publish --chain (root3 and its intermediate) with --password-file"

# expected_list ID...: the list text for the given ids, sorted by id.
expected_list() {
	local i=0 id f crl
	printf 'Number of certificates:\t%s\n' "$#"
	for id in $(printf '%s\n' "$@" | sort); do
		i=$((i + 1))
		f=${PEM_OF[$id]} crl=no
		[ -n "${CRL_OF[$id]:-}" ] && crl=yes
		printf '#%s:\nCN(id):\t\t%s\nSubject DN:\t%s\nCRL present:\t%s\n' \
		    "$i" "$id" "$(subj "$f")" "$crl"
	done
}
declare -A PEM_OF CRL_OF
PEM_OF[$ID1]=$W/root1.pem PEM_OF[$ID2]=$W/root2.pem
PEM_OF[$ID3]=$W/root3.pem PEM_OF[$IDI]=$W/inter3.pem
CRL_OF[$ID1]=yes CRL_OF[$ID2]=yes
WANT4=$(expected_list "$ID1" "$ID2" "$ID3" "$IDI")
R dc A list
is "$RC:$OUT" "0:$WANT4" "list on A: four roots, byte for byte (tabs, order by id, CRL yes/no)"
is "$(grep '^CN' <<<"$OUT" | awk '{print $NF}' | tr '\n' ' ')" \
    "$(printf '%s\n' "$ID1" "$ID2" "$ID3" "$IDI" | sort | tr '\n' ' ')" \
    "grep '^CN' | awk '{print \$NF}' yields the ids"
R "$DIRCLI" trustedcert list --json -h "$(url A)" --login "$UPN" --password "$ADMIN_PW"
is "$RC:$(python3 -c '
import json,sys
j=json.load(sys.stdin)
print(j["count"], " ".join("%s/%s" % (c["id"], "y" if c["crl"] else "n") for c in j["certificates"]))' <<<"$OUT")" \
    "0:4 $(for i in $(printf '%s\n' "$ID1" "$ID2" "$ID3" "$IDI" | sort); do printf '%s/%s ' "$i" "$([ -n "${CRL_OF[$i]:-}" ] && echo y || echo n)"; done | sed 's/ $//')" \
    "list --json: count and ids with their CRL flag"

# ------------------------------------------------------------ replication
list_is() { [ "$("$DIRCLI" trustedcert list -h "$(url "$1")" --login "$UPN" --password "$ADMIN_PW" 2>&1)" == "$2" ]; }
ok "the four roots published on A are listed on B (polled, ${REPL_DEADLINE}s bound)" wait_until list_is B "$WANT4"
R dc B list
is "$OUT" "$WANT4" "list on B is byte for byte list on A"

# ------------------------------------------------------------ get
R dc B get --id "$ID1" --outcert "$W/got1.pem" --outcrl "$W/got1.crl"
is "$RC:$OUT:$ERR" "0:Certificate retrieved successfully:" "get root1 with its CRL on B"
ok "get wrote the certificate PEM byte for byte as openssl wrote it" cmp "$W/root1.pem" "$W/got1.pem"
is "$(der64 "$W/got1.pem")" "$(der64 "$W/root1.pem")" "the written certificate has the published DER"
is "$(crl64 "$W/got1.crl")" "$(crl64 "$W/root1.crl")" "the written CRL has the published DER"
ok "the written CRL verifies with the root" openssl crl -in "$W/got1.crl" -CAfile "$W/root1.pem" -noout
R dc A get --id "$(tr 'a-f' 'A-F' <<<"$IDI")" --outcert "$W/goti.pem"
is "$RC:$(der64 "$W/goti.pem")" "0:$(der64 "$W/inter3.pem")" "get takes the id in capitals too"
R dc A get --id "$ID3" --outcert "$W/got3.pem" --json
is "$RC:$(python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["id"], j["crl"])' <<<"$OUT")" \
    "0:$ID3 False" "get --json"
R dc A get --id 0000000000000000000000000000000000000000 --outcert "$W/nope.pem"
is "$RC:$OUT:$ERR" "216::No certificate with id [0000000000000000000000000000000000000000] is published
$E4312" "get of an unknown id: error 4312, exit 216"
ok "... and writes no file" test ! -e "$W/nope.pem"
R dc A get --id "$ID3" --outcert "$W/nope.pem" --outcrl "$W/nope.crl"
is "$RC:$(head -1 <<<"$ERR")" "216:The certificate [$ID3] has no CRL" "get --outcrl of a root without a CRL: error 4312"
ok "... and writes neither file" test ! -e "$W/nope.pem" -a ! -e "$W/nope.crl"

# ------------------------------------------------------------ re-publish
R dc A publish --cert "$W/root1.pem" --crl "$W/root1b.crl"
is "$RC:$OUT" "0:Certificate pubished successfully" "publishing root1 again with a new CRL succeeds"
R adm_search A -b "$E1" -s base 'certificateRevocationList;binary'
is "$(sed -n 's/^certificateRevocationList;binary:: //p' <<<"$OUT")" "$(crl64 "$W/root1b.crl")" \
    "... and replaces its CRL"
R dc A publish --cert "$W/root1.pem"
is "$RC:$OUT" "0:Certificate pubished successfully" "publishing root1 again without --crl succeeds"
R adm_search A -b "$E1" -s base 'certificateRevocationList;binary'
is "$(sed -n 's/^certificateRevocationList;binary:: //p' <<<"$OUT")" "$(crl64 "$W/root1b.crl")" \
    "... and keeps its CRL"
R dc A publish --cert "$W/root3.pem" --json
is "$RC:$(python3 -c 'import json,sys; p=json.load(sys.stdin)["published"][0]; print(p["id"], p["existed"])' <<<"$OUT")" \
    "0:$ID3 True" "publish --json says the root was there already"
ok "every node still lists the same four roots" wait_until list_is B "$WANT4"

# ------------------------------------------------------------ bad input
# unchanged: list on A is still WANT4.
unchanged() { list_is A "$WANT4"; }
printf 'this is not a certificate\n' >"$W/text.txt"
R dc A publish --cert "$W/text.txt"
is "$RC:$OUT:$ERR" "87::The file [$W/text.txt] is not a PEM file
$E87" "a file that is not PEM: error 87"
openssl x509 -in "$W/root1.pem" -outform DER -out "$W/root1.der"
R dc A publish --cert "$W/root1.der"
is "$RC:$(head -1 <<<"$ERR")" "87:The file [$W/root1.der] is not a PEM file" "a DER file: error 87"
: >"$W/empty.pem"
R dc A publish --cert "$W/empty.pem"
is "$RC:$ERR" "87:The file [$W/empty.pem] contains no certificates
$E87" "an empty file: 'contains no certificates', error 87"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$W/key.pem" 2>/dev/null
R dc A publish --cert "$W/key.pem"
is "$RC:$(head -1 <<<"$ERR")" "87:The file [$W/key.pem] contains no certificates" "a PEM key only: 'contains no certificates'"
sed '5s/[A-Za-z]/#/g' "$W/root1.pem" >"$W/damaged.pem"
R dc A publish --cert "$W/damaged.pem"
like "$RC:$ERR" "^87:The file \\[$W/damaged.pem\\] holds a damaged certificate" "a damaged PEM certificate: error 87"
R dc A publish --cert "$W/nosuch.pem"
is "$RC:$(head -1 <<<"$ERR")" "87:Cannot read the file [$W/nosuch.pem]: No such file or directory" "a missing file: error 87"
R dc A publish --cert "$W/chain3.pem"
is "$RC:$ERR" "87:The file [$W/chain3.pem] contains more than 1 certificate
Use --chain to publish every certificate of the file
$E87" "several certificates without --chain: error 87 and the hint"
R dc A publish --cert "$W/leaf1.pem"
is "$RC:$(head -1 <<<"$ERR")" \
    "87:The certificate [CN=leaf1.example.com] in [$W/leaf1.pem] is not a CA certificate (basicConstraints CA:TRUE is required)" \
    "a certificate that is not a CA: error 87"
R dc A publish --cert "$W/mixed.pem" --chain
is "$RC:$(head -1 <<<"$ERR")" \
    "87:The certificate [CN=leaf1.example.com] in [$W/mixed.pem] is not a CA certificate (basicConstraints CA:TRUE is required)" \
    "--chain with a certificate that is not a CA: error 87"
R dc A publish --cert "$W/root3.pem" --crl "$W/root2.crl"
is "$RC:$(head -1 <<<"$ERR")" "87:The CRL in [$W/root2.crl] was not issued by the certificate in [$W/root3.pem]" \
    "a CRL of another CA: error 87"
R dc A publish --cert "$W/root3.pem" --crl "$W/text.txt"
is "$RC:$(head -1 <<<"$ERR")" "87:The file [$W/text.txt] contains no CRL" "a CRL file that is not a CRL: error 87"
ok "after all the bad input the roots are unchanged" unchanged
R dc A list
ok "... and the CA of the mixed file was not published" test "$(grep -c "$ID2" <<<"$OUT")" -eq 1

# ------------------------------------------------------------ credentials
R "$DIRCLI" trustedcert publish --cert "$W/leaf1.pem" -h "$(url A)" --login "$UPN" --password 'wrong'
is "$RC" 87 "input is checked before binding (a bad file with a wrong password: 87)"
R "$DIRCLI" trustedcert unpublish --cert "$W/root1.pem" -h "$(url A)" --login "$UPN" --password 'Wr0ng!pass'
is "$RC:$ERR" "46:Authentication to VMware Directory Service failed.
Verify the username and password.
Cannot bind to $(url A) as $UPN: invalid credentials ($(url A))
$(fail_line 1326 ERROR_LOGON_FAILURE)" "wrong password: VMware's two lines, error 1326, exit 46"
R "$DIRCLI" trustedcert list -h "$(url A)" --login "$UPN" </dev/null
is "$RC:$(head -1 <<<"$ERR")" "87:No password for $UPN: use --password, --password-file or a terminal" \
    "no password and no terminal: error 87"
R env PTYRUN_PROMPT="Enter password for $UPN: " python3 "$PTYRUN" "$ADMIN_PW" \
    "$DIRCLI" trustedcert list -h "$(url A)" --login "$UPN"
is "$RC:$(sed -n 1p <<<"$OUT")" "0:Enter password for $UPN: " "on a terminal the password is asked for"
is "$(sed 1d <<<"$OUT")" "$WANT4" "... and the command runs with it"
ok "... without echo" eval '! grep -qF -- "$ADMIN_PW" <<<"$OUT"'
R "$DIRCLI" trustedcert list -h "127.0.0.1:$(free_port)" --login "$UPN" --password "$ADMIN_PW"
like "$RC:$ERR" "^253:Cannot connect to ldap://127.0.0.1:[0-9]+: Can't contact LDAP server" \
    "an unreachable server: error 1021, exit 253"
is "$(tail -1 <<<"$ERR")" "$(fail_line 1021 ERROR_CANNOT_CONNECT_VMDIR)" "... with the dir-cli failed line"
R "$DIRCLI" trustedcert list --json -h "127.0.0.1:$(free_port)" --password x
is "$RC:$(python3 -c 'import json,sys; print(json.load(sys.stdin)["error"]["code"])' <<<"$OUT")" "253:1021" \
    "--json failure: {\"error\":{\"code\":1021,...}} on stdout"

# ------------------------------------------------------------ permissions
BOB="cn=bob,cn=Users,$BASE" BOB_PW='B0b!secret'
ok "ldapadd a user who is not an administrator" adm_add A <<EOF
dn: $BOB
objectClass: user
cn: bob
sn: Builder
userPrincipalName: bob@vsphere.local
userPassword: $BOB_PW
EOF
bob() { "$DIRCLI" trustedcert "$@" -h "$(url A)" --login bob@vsphere.local --password "$BOB_PW"; }
R bob publish --cert "$W/root1.pem" --crl "$W/root1.crl"
is "$RC:$(tail -1 <<<"$ERR")" "5:$(fail_line 5 ERROR_ACCESS_DENIED)" "a non-administrator cannot publish: error 5"
like "$(head -1 <<<"$ERR")" "^Cannot publish the certificate \\[$ID1\\]: .*only administrators" "... and is told why"
R bob unpublish --cert "$W/root2.pem"
is "$RC" 5 "a non-administrator cannot unpublish: error 5"
R bob list
is "$RC:$OUT" "0:$WANT4" "a non-administrator can list"
R bob get --id "$ID2" --outcert "$W/bob2.pem"
is "$RC:$(der64 "$W/bob2.pem")" "0:$(der64 "$W/root2.pem")" "a non-administrator can get"
R "$DIRCLI" trustedcert list -h "$(url A)" --login "A@vsphere.local" --password-file "$T_DIR/A/data/machine-account"
is "$RC:$OUT" "0:$WANT4" "the node's machine account can list"
ok "the roots are unchanged after the refused writes" unchanged

# ------------------------------------------------------------ unpublish
R dc A unpublish --cert "$W/root1.pem"
is "$RC:$OUT:$ERR" "0:Certificate unpubished successfully:" "unpublish root1 on A"
unset "CRL_OF[$ID1]" "PEM_OF[$ID1]"
WANT3=$(expected_list "$ID2" "$ID3" "$IDI")
R dc A list
is "$OUT" "$WANT3" "root1 is no longer listed on A"
ok "... nor on B (polled)" wait_until list_is B "$WANT3"
R dc A unpublish --cert "$W/root1.pem"
is "$RC:$ERR" "216:The certificate [$ID1] is not published
$E4312" "unpublishing it again: error 4312, exit 216"
R dc B unpublish --cert "$W/chain3.pem" --chain --json
is "$RC:$(python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin)["unpublished"]))' <<<"$OUT")" \
    "0:$ID3 $IDI" "unpublish --chain --json on B removes root3 and its intermediate"
WANT1=$(expected_list "$ID2")
ok "A lists only root2 (polled)" wait_until list_is A "$WANT1"
R env TRELLIS_LDAPI="$SOCK_A" "$DIRCLI" trustedcert unpublish --cert "$W/root2.pem"
is "$RC:$OUT" "0:Certificate unpubished successfully" "unpublish root2 on the local socket"
ok "both nodes list nothing (polled)" eval 'wait_until list_is A "Number of certificates:${TAB}0" &&
    wait_until list_is B "Number of certificates:${TAB}0"'

survived A "every dir-cli command"
survived B "every dir-cli command"
done_testing
