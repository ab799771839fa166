# repl_lib.sh: helpers for the replication tests, on top of lib.sh (source
# lib.sh first): joining nodes, agreements, node state, full dumps of the
# directory and polling until nodes converge. Every wait has a deadline
# (REPL_DEADLINE seconds, default 20) and never asserts on timing.

: "${REPL_DEADLINE:=20}"
SITE_DN="cn=Default-First-Site,cn=Sites,cn=Configuration,$BASE"
STATE_OID=1.3.6.1.4.1.6876.40.10.4.1

# lib.sh's admin helpers, with a time limit: a hung server must fail the
# test, not wedge the test run (REPL_OP_TIMEOUT seconds, default 30).
: "${REPL_OP_TIMEOUT:=30}"
_lt() { timeout "$REPL_OP_TIMEOUT" "$@"; }
adm_search() { local n=$1; shift; _lt ldapsearch -x -LLL -o ldif-wrap=no -H "$(url "$n")" -D "$ADMIN_DN" -w "$ADMIN_PW" "$@"; }
adm_add() { local n=$1; shift; _lt ldapadd -x -H "$(url "$n")" -D "$ADMIN_DN" -w "$ADMIN_PW" "$@"; }
adm_modify() { local n=$1; shift; _lt ldapmodify -x -H "$(url "$n")" -D "$ADMIN_DN" -w "$ADMIN_PW" "$@"; }
adm_delete() { local n=$1; shift; _lt ldapdelete -x -H "$(url "$n")" -D "$ADMIN_DN" -w "$ADMIN_PW" "$@"; }

# srv_dn NAME: the server object of node NAME.
srv_dn() { echo "cn=$1,cn=Servers,$SITE_DN"; }

# repl_init NAME: a new domain on node NAME, started.
repl_init() {
	node_init "$1" && node_start "$1"
}

# repl_join NAME PARTNER [extra start flags]: joins NAME to PARTNER's
# domain and starts it (which copies the directory in), then waits (up to
# the deadline) until it has applied its first page.
repl_join() {
	local name=$1 partner=$2
	shift 2
	mkdir -p "$T_DIR/$name"
	NODE_PORT[$name]=${NODE_PORT[$name]:-$(free_port)}
	"$VMDIRD" --join "$(url "$partner")" -d "$T_DIR/$name/data" --password "$ADMIN_PW" \
	    --node "$name" -p "${NODE_PORT[$name]}" --schema-dir "$SCHEMA_DIR" \
	    >"$T_DIR/$name/join.log" 2>&1 || { sed 's/^/# join: /' "$T_DIR/$name/join.log"; return 1; }
	node_start "$name" "$@" || return 1
	# The first page holds the Administrator: a bind on the new node before
	# it is applied fails (and counts towards the lockout). Not fatal: a
	# test may join a node that cannot copy yet.
	wait_until grep -qE "replication from .*: applied [0-9]+ entries" \
	    "$T_DIR/$name/vmdird.log" || :
}

# agr_add X Y: X pulls from Y (an agreement under X's server object),
# written on node X (or on node $3 if given).
agr_add() { agr_add_uri "$1" "$(url "$2")" "${3:-$1}"; }

# agr_add_uri X URI [ON]: X pulls from URI (ldap:// or ldaps://), written
# on node X (or ON).
agr_add_uri() {
	adm_add "${3:-$1}" <<EOF
dn: labeledURI=$2,cn=Replication Agreements,$(srv_dn "$1")
objectClass: vmwReplicationAgreement
labeledURI: $2
EOF
}

# agr_del X Y: X no longer pulls from Y (written on node X, or $3).
agr_del() {
	local on=${3:-$1}
	adm_delete "$on" "labeledURI=$(url "$2"),cn=Replication Agreements,$(srv_dn "$1")"
}

# set_state NODE NORMAL|READ_ONLY|STANDALONE
set_state() {
	_lt ldapexop -x -H "$(url "$1")" -D "$ADMIN_DN" -w "$ADMIN_PW" "$STATE_OID:state $2"
}

# get_state NODE: the vmwServerState of the root DSE.
get_state() {
	_lt ldapsearch -x -LLL -H "$(url "$1")" -b "" -s base vmwServerState 2>/dev/null |
	    sed -n 's/^vmwServerState: //p'
}

# rootdse_attr NODE ATTR
rootdse_attr() {
	_lt ldapsearch -x -LLL -o ldif-wrap=no -H "$(url "$1")" -b "" -s base "$2" 2>/dev/null |
	    sed -n "s/^$2: //Ip"
}

# dump NODE: the whole suffix as the administrator, user and operational
# attributes, tombstones (cn=Deleted Objects) included, entries sorted by
# DN (case-insensitive), attribute lines sorted within each entry. Fails if
# a search fails. Only what is node-local by design is left out: the
# replication state (upToDateVector, lastLocalUsnProcessed), the local USNs
# (uSNCreated, uSNChanged) and the local-USN field of attributeMetaData,
# which is otherwise compared whole (origin, version, time, USN).
dump() {
	local out dead
	out=$(adm_search "$1" -b "$BASE" '*' '+') || return 1
	dead=$(adm_search "$1" -b "cn=Deleted Objects,$BASE" -s one '*' '+') || return 1
	printf '%s\n\n%s\n' "$out" "$dead" | python3 -c '
import sys
LOCAL = ("uptodatevector", "lastlocalusnprocessed", "usncreated", "usnchanged")
ents, cur = [], []
for line in sys.stdin.read().split("\n"):
    if line == "":
        if cur: ents.append(cur); cur = []
    else:
        cur.append(line)
if cur: ents.append(cur)
def norm(l):
    name, _, val = l.partition(": ")
    if name.lower() == "attributemetadata":
        f = val.split(":")
        val = ":".join(f[:1] + f[2:])
    return name + ": " + val
def key(e): return e[0].lower()
for e in sorted(ents, key=key):
    print(e[0])
    for l in sorted(norm(l) for l in e[1:]
                    if l.split(":", 1)[0].lower() not in LOCAL):
        print(l)
    print()
'
}

# dn_list NODE [BASE]: sorted, lowercased DNs under the suffix (or BASE).
dn_list() {
	adm_search "$1" -b "${2:-$BASE}" 1.1 | sed -n 's/^dn: //p' | tr 'A-Z' 'a-z' | sort
}

# count NODE [BASE] [FILTER]: number of entries.
count() {
	adm_search "$1" -b "${2:-$BASE}" "${3:-(objectClass=*)}" 1.1 | grep -c '^dn:'
}

# same_dumps A B ...: true if all the nodes' dumps are identical (and
# non-empty); writes them to $T_DIR/dump.<node>.
same_dumps() {
	local first=$1 n
	dump "$first" >"$T_DIR/dump.$first" || return 1
	[ -s "$T_DIR/dump.$first" ] || return 1
	shift
	for n in "$@"; do
		dump "$n" >"$T_DIR/dump.$n" || return 1
		cmp -s "$T_DIR/dump.$first" "$T_DIR/dump.$n" || return 1
	done
}

# wait_until CMD...: polls CMD until it succeeds or the deadline passes.
wait_until() {
	local end=$((SECONDS + REPL_DEADLINE))
	while ! "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -ge "$end" ] && return 1
		sleep 0.2
	done
}

# wait_same DESC A B ...: polls until all dumps are identical, then one
# TAP line; on failure shows the differences.
wait_same() {
	local desc=$1 first=$2 n
	shift
	T_N=$((T_N + 1))
	if wait_until same_dumps "$@"; then
		echo "ok $T_N - $desc"
		return 0
	fi
	T_FAILED=$((T_FAILED + 1))
	echo "not ok $T_N - $desc"
	for n in "${@:2}"; do
		diff -u "$T_DIR/dump.$first" "$T_DIR/dump.$n" 2>&1 | head -30 | sed 's/^/#   /'
	done
	return 1
}

# wait_ok DESC CMD...: polls CMD until it succeeds (deadline), one TAP line.
wait_ok() {
	local desc=$1
	shift
	ok "$desc" wait_until "$@"
}

# own_current NODE: NODE's server object shows its current invocationId:
# the upkeep that writes it once after a start (within 2 s) is done, so no
# write of NODE's own is pending.
own_current() { [ "$(attr_of "$1" "$(srv_dn "$1")" invocationId)" = "$(rootdse_attr "$1" invocationId)" ]; }

# has_dn NODE DN: the entry exists on NODE.
has_dn() { adm_search "$1" -b "$2" -s base 1.1 | grep -q '^dn:'; }
no_dn() { ! has_dn "$@" && adm_search "$1" -b "$BASE" -s base 1.1 >/dev/null; }

# attr_of NODE DN ATTR: the values of ATTR, one a line, sorted.
attr_of() {
	adm_search "$1" -b "$2" -s base "$3" | sed -n "s/^$3: //Ip" | sort
}

# attr_is NODE DN ATTR VALUE: ATTR of DN on NODE has exactly VALUE.
attr_is() { [ "$(attr_of "$1" "$2" "$3")" == "$4" ]; }

# add_users NODE PREFIX N [PARENT]: N entries cn=PREFIX<i>.
add_users() {
	local node=$1 pfx=$2 n=$3 parent=${4:-cn=Users,$BASE} i
	for i in $(seq 1 "$n"); do
		printf 'dn: cn=%s%d,%s\nobjectClass: person\ncn: %s%d\nsn: %s\n\n' \
		    "$pfx" "$i" "$parent" "$pfx" "$i" "$pfx"
	done | adm_add "$node" -c >/dev/null
}

# repl_show_logs NODE...: the last log lines, as TAP comments (diagnosis).
repl_show_logs() {
	local n
	for n in "$@"; do
		echo "# --- $n log (last 15 lines)"
		tail -15 "$T_DIR/$n/vmdird.log" 2>/dev/null | sed 's/^/#   /'
	done
}
