# lab_vecs.sh: a vecsd beside each node's vmdird, sourced by trellis-lab.
# Each node's store lives in DIR/NODE/vecs (db/ the store, certs/ the
# hashed directory of its trusted roots), its socket is DIR/NODE/vecsd.sock
# and its puller reads the node's own directory over the node's local
# socket. The stores get the node's certificates (lab_pki.sh) once.

# vecs_sock NODE: the node's vecsd socket (a short path under /tmp when
# DIR/NODE/vecsd.sock is too long for a Unix socket).
vecs_sock() {
	local p
	p="$(cd "$DIR" && pwd)/$1/vecsd.sock"
	if [ ${#p} -ge 100 ]; then
		p="/tmp/trellis-lab-$(printf %s "$(dirname "$p")" | md5sum | cut -c1-8)-$1-vecs.sock"
	fi
	echo "$p"
}
vecs_pid() { cat "$DIR/$1/vecsd.pid" 2>/dev/null; }
vecs_running() {
	local pid
	pid=$(vecs_pid "$1") && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}
vecs_cli() { local name=$1; shift; "$BINDIR/vecs-cli" --socket "$(vecs_sock "$name")" "$@"; }

# ldapi_uri PATH: the ldapi:// URI of a socket path.
ldapi_uri() { printf 'ldapi://%s' "$(printf %s "$1" | sed 's|/|%2F|g')"; }

# start_vecs NODE: starts the node's vecsd (when built), waits for its socket.
start_vecs() {
	local name=$1 i
	[ -x "$BINDIR/vecsd" ] || return 0
	if vecs_running "$name"; then
		return 0
	fi
	mkdir -p "$DIR/$name/vecs"
	"$BINDIR/vecsd" -d "$DIR/$name/vecs/db" -s "$(vecs_sock "$name")" \
	    --pid-file "$DIR/$name/vecsd.pid" -o "ca_path=$DIR/$name/vecs/certs" \
	    -o "vmdir_uri=$(ldapi_uri "$(node_sock "$name")")" \
	    >>"$DIR/$name/vecsd.log" 2>&1 </dev/null &
	for i in $(seq 1 100); do
		[ -S "$(vecs_sock "$name")" ] && vecs_cli "$name" store list >/dev/null 2>&1 && return 0
		if ! kill -0 $! 2>/dev/null; then
			echo "$PROG: $name's vecsd exited during start-up; last log lines:" >&2
			tail -5 "$DIR/$name/vecsd.log" >&2
			return 1
		fi
		sleep 0.1
	done
	echo "$PROG: $name's vecsd does not answer on $(vecs_sock "$name")" >&2
	return 1
}

stop_vecs() {
	local name=$1 pid i
	pid=$(vecs_pid "$name")
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid"
	for i in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	echo "$PROG: $name's vecsd (pid $pid) did not stop in 10 s" >&2
	return 1
}

# vecs_has NODE STORE ALIAS: the store holds the alias.
vecs_has() {
	vecs_cli "$1" entry list --store "$2" --aliases 2>/dev/null | grep -qx -- "$3"
}

# vecs_fill NODE: the machine certificate and the solution users'
# certificates in NODE's stores (once; the stores keep them).
vecs_fill() {
	local name=$1 p=$DIR/$1/pki u
	[ -x "$BINDIR/vecs-cli" ] && vecs_running "$name" || return 0
	if ! vecs_has "$name" MACHINE_SSL_CERT __MACHINE_CERT; then
		vecs_cli "$name" entry create --store MACHINE_SSL_CERT --alias __MACHINE_CERT \
		    --cert "$p/machine-ssl.pem" --key "$p/machine-ssl.key" >/dev/null || return 1
	fi
	for u in $PKI_SOLUTION_USERS; do
		vecs_has "$name" "$u" "$u" && continue
		vecs_cli "$name" entry create --store "$u" --alias "$u" \
		    --cert "$p/$u.pem" --key "$p/$u.key" >/dev/null || return 1
	done
}
