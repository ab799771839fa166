# vecs_lib.sh: helpers for the VECS tests, on top of lib.sh: starting and
# stopping vecsd in the scratch directory, running vecs-cli against it,
# and certificates made with the openssl command (fixed dates through a
# small `openssl ca`).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

VECSD=${VECSD:-$top_builddir/vecsd}
VECSCLI=${VECSCLI:-$top_builddir/vecs-cli}
# certificates and keys the tests hand to vecs-cli, readable by any user
PUB=$T_DIR/pub
mkdir -p "$PUB"
chmod 0755 "$PUB"

# vecsd_sock NAME: that instance's socket.
vecsd_sock() { echo "$T_DIR/$1/vecsd.sock"; }

# vecsd_certs NAME: that instance's hashed directory (ca_path).
vecsd_certs() { echo "$T_DIR/$1/certs"; }

# vecsd_start NAME [flags]: starts vecsd with its data, socket, pid file,
# hashed directory and log in $T_DIR/NAME; waits (bounded) until it
# answers. The puller is off (vmdir_uri=none) unless a flag turns it on.
vecsd_start() {
	local name=$1 i
	shift
	mkdir -p "$T_DIR/$name"
	"$VECSD" -d "$T_DIR/$name/db" -s "$(vecsd_sock "$name")" \
	    --pid-file "$T_DIR/$name/vecsd.pid" --log-level "${LOG_LEVEL:-info}" \
	    -o vmdir_uri=none -o "ca_path=$(vecsd_certs "$name")" "$@" \
	    >>"$T_DIR/$name/vecsd.log" 2>&1 &
	NODE_PID[$name]=$!
	for i in $(seq 1 400); do
		if "$VECSCLI" --socket "$(vecsd_sock "$name")" store list >/dev/null 2>&1; then
			return 0
		fi
		if ! kill -0 "${NODE_PID[$name]}" 2>/dev/null; then
			echo "# vecsd $name exited during start-up:"
			tail -5 "$T_DIR/$name/vecsd.log" | sed 's/^/#   /'
			return 1
		fi
		sleep 0.025
	done
	return 1
}

# vecsd_alive NAME WHAT: one TAP line for vecsd still running after WHAT.
vecsd_alive() {
	if kill -0 "${NODE_PID[$1]:-0}" 2>/dev/null &&
	    "$VECSCLI" --socket "$(vecsd_sock "$1")" store list >/dev/null 2>&1; then
		is alive alive "vecsd still serving after: $2"
	else
		is dead alive "vecsd still serving after: $2"
		tail -5 "$T_DIR/$1/vecsd.log" | sed 's/^/#   /'
	fi
}

# R CMD...: runs it; OUT (stdout), ERR (stderr) and RC.
R() {
	"$@" >"$T_DIR/r.out" 2>"$T_DIR/r.err"
	RC=$?
	OUT=$(cat "$T_DIR/r.out")
	ERR=$(cat "$T_DIR/r.err")
}

# same FILE_GOT FILE_WANT DESCRIPTION: byte for byte, with a diff when not.
same() {
	T_N=$((T_N + 1))
	if cmp -s "$1" "$2"; then
		echo "ok $T_N - $3"
	else
		T_FAILED=$((T_FAILED + 1))
		echo "not ok $T_N - $3"
		diff <(cat -A "$2") <(cat -A "$1") | head -20 | sed 's/^/#   /'
	fi
}

# mkcert NAME CN [NOT_AFTER as YYYYMMDDHHMMSSZ]: a self-signed certificate
# $PUB/NAME.pem with its key $PUB/NAME.key (EC P-256).
mkcert() {
	local name=$1 cn=$2 end=${3:-20290406115719Z} ca=$T_DIR/ca
	mkdir -p "$ca/new"
	[ -f "$ca/index.txt" ] || { : >"$ca/index.txt"; echo 1000 >"$ca/serial"; }
	cat >"$ca/ca.cnf" <<CNF
[ca]
default_ca = d
[d]
database = $ca/index.txt
new_certs_dir = $ca/new
serial = $ca/serial
default_md = sha256
policy = p
unique_subject = no
x509_extensions = x
[p]
commonName = supplied
[x]
basicConstraints = critical,CA:true
CNF
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$PUB/$name.key" -out "$ca/$name.csr" -subj "/CN=$cn" 2>/dev/null &&
	openssl ca -batch -config "$ca/ca.cnf" -selfsign -keyfile "$PUB/$name.key" \
	    -in "$ca/$name.csr" -out "$PUB/$name.pem" -notext \
	    -startdate 20240101000000Z -enddate "$end" >/dev/null 2>&1 &&
	chmod 0644 "$PUB/$name.pem" "$PUB/$name.key"
}

# mkcrl NAME: a CRL $PUB/NAME.crl signed by certificate NAME.
mkcrl() {
	local ca=$T_DIR/ca
	openssl ca -config "$ca/ca.cnf" -gencrl -keyfile "$PUB/$1.key" -cert "$PUB/$1.pem" \
	    -crldays 30 -out "$PUB/$1.crl" >/dev/null 2>&1 && chmod 0644 "$PUB/$1.crl"
}

# thumb FILE: the lowercase SHA-1 thumbprint of a certificate.
thumb() {
	openssl x509 -in "$1" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g' | tr 'A-F' 'a-f'
}
