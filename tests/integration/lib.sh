# lib.sh: shared helpers for the integration tests: TAP output, free
# ports, and starting and stopping real vmdird nodes in a scratch
# directory. Source it from a test script; it cleans up on exit.

: "${top_builddir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
VMDIRD=${VMDIRD:-$top_builddir/vmdird}
SCHEMA_DIR=$top_srcdir/schema
BASE="dc=vsphere,dc=local"
ADMIN_DN="cn=Administrator,cn=Users,$BASE"
ADMIN_PW='Adm1n!Pass'
export LDAPTLS_REQCERT=never LDAPNOINIT=1
# the raw-socket clients import ber.py from here
export PYTHONPATH="$top_srcdir/tests/integration${PYTHONPATH:+:$PYTHONPATH}"

T_DIR=$(mktemp -d "${TMPDIR:-/tmp}/trellis-test.XXXXXX")
T_N=0
T_FAILED=0
declare -A NODE_PORT NODE_PID NODE_LDAPS NODE_HTTP

t_cleanup() {
	local n
	for n in "${!NODE_PID[@]}"; do
		kill -9 "${NODE_PID[$n]}" 2>/dev/null
	done
	wait 2>/dev/null
	if [ "$T_FAILED" -eq 0 ] && [ -z "${KEEP:-}" ]; then
		rm -rf "$T_DIR"
	else
		echo "# scratch directory kept: $T_DIR"
	fi
}
trap t_cleanup EXIT

# ok DESCRIPTION COMMAND...: one TAP line for the command's success.
ok() {
	local desc=$1
	shift
	T_N=$((T_N + 1))
	if "$@" >"$T_DIR/last.out" 2>&1; then
		echo "ok $T_N - $desc"
	else
		T_FAILED=$((T_FAILED + 1))
		echo "not ok $T_N - $desc"
		sed 's/^/#   /' "$T_DIR/last.out" | head -20
	fi
}

# is GOT WANT DESCRIPTION
is() {
	T_N=$((T_N + 1))
	if [ "$1" == "$2" ]; then
		echo "ok $T_N - $3"
	else
		T_FAILED=$((T_FAILED + 1))
		echo "not ok $T_N - $3"
		printf '#   got:  %s\n#   want: %s\n' "$1" "$2"
	fi
}

# like GOT REGEX DESCRIPTION (extended regular expression, grep -E)
like() {
	T_N=$((T_N + 1))
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		echo "ok $T_N - $3"
	else
		T_FAILED=$((T_FAILED + 1))
		echo "not ok $T_N - $3"
		printf '%s\n' "$1" | head -20 | sed 's/^/#   got: /'
		printf '#   want match: %s\n' "$2"
	fi
}

# sanitizer_clean: stops every node still running (SIGTERM, so a leak
# check runs at exit), then one TAP line: no AddressSanitizer, LeakSanitizer
# or UndefinedBehaviorSanitizer report in any node's log.
sanitizer_clean() {
	local n found
	for n in "${!NODE_PID[@]}"; do
		kill -TERM "${NODE_PID[$n]}" 2>/dev/null
	done
	for n in "${!NODE_PID[@]}"; do
		timeout 30 tail --pid="${NODE_PID[$n]}" -f /dev/null 2>/dev/null
		wait "${NODE_PID[$n]}" 2>/dev/null
		unset "NODE_PID[$n]"
	done
	found=$(grep -lE 'ERROR: (Address|Leak)Sanitizer|runtime error:' \
	    "$T_DIR"/*/*.log 2>/dev/null)
	T_N=$((T_N + 1))
	if [ -z "$found" ]; then
		echo "ok $T_N - no sanitizer report in the node logs"
	else
		T_FAILED=$((T_FAILED + 1))
		echo "not ok $T_N - no sanitizer report in the node logs"
		grep -hE -A12 'ERROR: (Address|Leak)Sanitizer|runtime error:' $found |
		    head -60 | sed 's/^/#   /'
	fi
}

done_testing() {
	sanitizer_clean
	echo "1..$T_N"
	[ "$T_FAILED" -eq 0 ]
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# node_init NAME [extra vmdird flags]: a new data directory for NAME.
node_init() {
	local name=$1
	shift
	mkdir -p "$T_DIR/$name"
	"$VMDIRD" --init -d "$T_DIR/$name/data" --password "$ADMIN_PW" \
	    --schema-dir "$SCHEMA_DIR" --node "$name" "$@" >"$T_DIR/$name/init.log" 2>&1
}

# node_sock NAME: the node's local (ldapi) socket, in its directory; empty
# (none) when that path is too long for a Unix socket (107 bytes).
node_sock() {
	local p="$T_DIR/$1/ldapi.sock"
	[ ${#p} -lt 100 ] && echo "$p"
}

# node_start NAME [extra vmdird flags]: starts it, waits for the root DSE.
# Each node has its own local socket (node_sock), never the default one;
# a flag -o ldapi_socket=... given here overrides it. Its HTTP side port
# is a free one too (NODE_HTTP, hurl).
node_start() {
	local name=$1 port i
	shift
	port=${NODE_PORT[$name]:-$(free_port)}
	NODE_PORT[$name]=$port
	NODE_HTTP[$name]=${NODE_HTTP[$name]:-$(free_port)}
	"$VMDIRD" -d "$T_DIR/$name/data" -p "$port" --schema-dir "$SCHEMA_DIR" \
	    --pid-file "$T_DIR/$name/vmdird.pid" --log-level "${LOG_LEVEL:-info}" \
	    -o "ldapi_socket=$(node_sock "$name")" -o "http_port=${NODE_HTTP[$name]}" "$@" \
	    >>"$T_DIR/$name/vmdird.log" 2>&1 &
	NODE_PID[$name]=$!
	for i in $(seq 1 200); do
		if ldapsearch -x -H "ldap://127.0.0.1:$port" -b "" -s base >/dev/null 2>&1; then
			return 0
		fi
		if ! kill -0 "${NODE_PID[$name]}" 2>/dev/null; then
			echo "# vmdird $name exited during start-up:"
			tail -5 "$T_DIR/$name/vmdird.log" | sed 's/^/#   /'
			return 1
		fi
		sleep 0.05
	done
	return 1
}

# node_stop NAME: SIGTERM and wait; returns vmdird's exit status.
node_stop() {
	local name=$1 rc
	kill -TERM "${NODE_PID[$name]}" 2>/dev/null
	wait "${NODE_PID[$name]}"
	rc=$?
	unset "NODE_PID[$name]"
	return $rc
}

# node_kill NAME: SIGKILL, as a crash.
node_kill() {
	kill -9 "${NODE_PID[$1]}" 2>/dev/null
	wait "${NODE_PID[$1]}" 2>/dev/null
	unset "NODE_PID[$1]"
}

url() { echo "ldap://127.0.0.1:${NODE_PORT[$1]}"; }
# hurl NAME: the node's HTTP side port.
hurl() { echo "http://127.0.0.1:${NODE_HTTP[$1]}"; }

# survived NODE WHAT: one TAP line for NODE still running after WHAT; if it
# died, shows its log tail and restarts it, so later sections still test
# something.
survived() {
	local n=$1
	if kill -0 "${NODE_PID[$n]:-0}" 2>/dev/null; then
		is alive alive "vmdird still running after: $2"
	else
		is dead alive "vmdird still running after: $2"
		echo "# vmdird died; log tail:"
		tail -5 "$T_DIR/$n/vmdird.log" | sed 's/^/#   /'
		wait "${NODE_PID[$n]}" 2>/dev/null
		unset "NODE_PID[$n]"
		node_start "$n" || { echo "Bail out! cannot restart vmdird"; exit 1; }
	fi
}

# As the administrator against node NAME.
adm_search() { local n=$1; shift; ldapsearch -x -LLL -o ldif-wrap=no -H "$(url "$n")" -D "$ADMIN_DN" -w "$ADMIN_PW" "$@"; }
adm_add() { local n=$1; shift; ldapadd -x -H "$(url "$n")" -D "$ADMIN_DN" -w "$ADMIN_PW" "$@"; }
adm_modify() { local n=$1; shift; ldapmodify -x -H "$(url "$n")" -D "$ADMIN_DN" -w "$ADMIN_PW" "$@"; }
adm_delete() { local n=$1; shift; ldapdelete -x -H "$(url "$n")" -D "$ADMIN_DN" -w "$ADMIN_PW" "$@"; }
