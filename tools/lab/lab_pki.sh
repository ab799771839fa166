# lab_pki.sh: the lab's certificates, sourced by trellis-lab. One lab CA
# (DIR/pki/ca.pem, its root published in the directory with dir-cli), and
# per node what a vCenter node holds in VECS: a machine certificate
# (__MACHINE_CERT in MACHINE_SSL_CERT) and the solution users' certificates
# (stores machine, vpxd, vpxd-extension, vsphere-webclient), all signed by
# the lab CA. Keys never leave DIR (0600).

PKI_SOLUTION_USERS="machine vpxd vpxd-extension vsphere-webclient"

# pki_ca: the lab CA, made once.
pki_ca() {
	local p=$DIR/pki
	[ -f "$p/ca.pem" ] && return 0
	mkdir -p "$p" || return 1
	(umask 077 && openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -sha256 \
	    -subj "/CN=Trellis Lab CA/O=Trellis Lab" -keyout "$p/ca.key" -out "$p/ca.pem" \
	    -addext "basicConstraints=critical,CA:TRUE" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign") >/dev/null 2>&1
}

# pki_issue OUT CN SAN DAYS: OUT.key and OUT.pem, signed by the lab CA.
pki_issue() {
	local out=$1 cn=$2 san=$3 days=$4 ext
	[ -f "$out.pem" ] && return 0
	ext=$(mktemp) || return 1
	printf '%s\n' "basicConstraints=CA:FALSE" \
	    "keyUsage=critical,digitalSignature,keyEncipherment" \
	    "extendedKeyUsage=serverAuth,clientAuth" "subjectAltName=$san" >"$ext"
	(umask 077 && openssl req -newkey rsa:2048 -nodes -subj "/CN=$cn/O=Trellis Lab" \
	    -keyout "$out.key" -out "$out.csr" &&
	    openssl x509 -req -in "$out.csr" -CA "$DIR/pki/ca.pem" -CAkey "$DIR/pki/ca.key" \
	    -CAcreateserial -days "$days" -sha256 -extfile "$ext" -out "$out.pem") >/dev/null 2>&1
	local rc=$?
	rm -f "$ext" "$out.csr"
	return $rc
}

# pki_node NODE: NODE's machine and solution-user certificates, in
# DIR/NODE/pki (machine-ssl.pem, <user>.pem).
pki_node() {
	local name=$1 p=$DIR/$1/pki u host
	host=$(node_host "$name")
	mkdir -p "$p" || return 1
	pki_issue "$p/machine-ssl" "$host" \
	    "DNS:$host,DNS:$name,DNS:localhost,IP:$(node_addr "$name")" 730 || return 1
	for u in $PKI_SOLUTION_USERS; do
		pki_issue "$p/$u" "$u-$name" "DNS:$host" 730 || return 1
	done
}

# pki_trust_b64 NODE: NODE's machine certificate as base64 DER on one line
# (the SSL trust of its lookup-service endpoints).
pki_trust_b64() {
	openssl x509 -in "$DIR/$1/pki/machine-ssl.pem" -outform DER | base64 -w0
}
