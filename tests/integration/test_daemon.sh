#!/usr/bin/env bash
# test_daemon.sh: vmdird's contract as a daemon: command line, --init,
# refusing an uninitialised or busy data directory, the configuration file
# and flags overriding it, the pid file, clean stop on SIGTERM/SIGINT, the
# request log and the log level signals.
set -u
. "$(dirname "$0")/lib.sh"

R() { OUT=$("$@" 2>&1); RC=$?; }
# wait_for FILE REGEX: up to 5 s for REGEX to appear in FILE.
wait_for() {
	local i
	for i in $(seq 1 100); do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}
# wait_count FILE REGEX N: up to 5 s for N lines matching REGEX in FILE.
wait_count() {
	local i
	for i in $(seq 1 100); do
		[ "$(grep -Ec -- "$2" "$1" 2>/dev/null)" -ge "$3" ] && return 0
		sleep 0.05
	done
	return 1
}
# serving PORT: the root DSE answers on PORT.
serving() { ldapsearch -x -H "ldap://127.0.0.1:$1" -b "" -s base 1.1 >/dev/null 2>&1; }
# wait_serving PORT PID: up to 10 s for PORT to answer while PID lives.
wait_serving() {
	local i
	for i in $(seq 1 200); do
		serving "$1" && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}
# stop_pid PID: SIGTERM, wait, its exit status.
stop_pid() { kill -TERM "$1" 2>/dev/null; wait "$1"; }

# ------------------------------------------------------------ command line
R "$VMDIRD" --help
is "$RC" 0 "--help exits 0"
like "$OUT" '--data-dir' "--help mentions --data-dir"
like "$OUT" '--init' "--help mentions --init"
R "$VMDIRD" -h
is "$RC" 0 "-h exits 0"
R "$VMDIRD" --version
is "$RC" 0 "--version exits 0"
like "$OUT" '[0-9]+\.[0-9]+' "--version prints a version"
R "$VMDIRD" --no-such-flag
is "$RC" 2 "unknown flag exits 2"
like "$OUT" 'usage|unrecognized|unknown' "unknown flag: a message"
R "$VMDIRD" -d "$T_DIR/x" stray-argument
is "$RC" 2 "stray argument exits 2"
R "$VMDIRD" -d "$T_DIR/x" -p notaport
is "$RC" 2 "bad port value exits 2"
like "$OUT" 'port' "bad port value: message names the setting"
R "$VMDIRD" -d "$T_DIR/x" --log-level chatty
is "$RC" 2 "bad log level exits 2"
R "$VMDIRD" -d "$T_DIR/x" -o no_such_key=1
is "$RC" 2 "unknown --set key exits 2"
R "$VMDIRD" -d "$T_DIR/x" -o repl_page_size=0
is "$RC" 2 "repl_page_size below 1 exits 2"
like "$OUT" 'repl_page_size' "repl_page_size out of range: message names the setting"
R "$VMDIRD" -d "$T_DIR/x" -o repl_interval=soon
is "$RC" 2 "repl_interval not a number exits 2"
like "$OUT" 'repl_interval' "bad repl_interval: message names the setting"

# ------------------------------------------------------------------ --init
mkdir -p "$T_DIR/nopw" "$T_DIR/d1" "$T_DIR/d2" "$T_DIR/empty"
R "$VMDIRD" --init -d "$T_DIR/nopw/data" --schema-dir "$SCHEMA_DIR" --node nopw
ok "--init without a password fails (rc $RC)" test "$RC" -ne 0
like "$OUT" 'password' "--init without a password: message says so"
R "$VMDIRD" --init -d "$T_DIR/d1/data" --password "$ADMIN_PW" --schema-dir "$SCHEMA_DIR" --node d1
is "$RC" 0 "--init succeeds on a new directory"
like "$OUT" 'Administrator' "--init reports the Administrator"
R "$VMDIRD" --init -d "$T_DIR/d1/data" --password "$ADMIN_PW" --schema-dir "$SCHEMA_DIR" --node d1
ok "--init twice on the same directory fails (rc $RC)" test "$RC" -ne 0
like "$OUT" 'already initiali[sz]ed' "--init twice: message says it is already initialised"
printf '%s\n' "$ADMIN_PW" >"$T_DIR/pw"
R "$VMDIRD" --init -d "$T_DIR/d2/data" --password-file "$T_DIR/pw" --schema-dir "$SCHEMA_DIR" --node d2
is "$RC" 0 "--init with --password-file"

# ------------------------------------------------------ uninitialised dir
P=$(free_port)
R timeout 10 "$VMDIRD" -d "$T_DIR/empty/data" -p "$P" --schema-dir "$SCHEMA_DIR"
ok "start on an uninitialised directory fails (rc $RC)" test "$RC" -ne 0 -a "$RC" -ne 124
like "$OUT" '--init' "uninitialised directory: message names --init"
ok "uninitialised directory: nothing listens" bash -c '! ldapsearch -x -H "ldap://127.0.0.1:$1" -b "" -s base >/dev/null 2>&1' _ "$P"

# ------------------------------------------------- node, pid file, signals
node_start d1
is "$?" 0 "node starts"
PIDF="$T_DIR/d1/vmdird.pid"
ok "pid file exists while running" test -s "$PIDF"
is "$(tr -d '[:space:]' <"$PIDF")" "${NODE_PID[d1]}" "pid file holds the daemon's pid"

# a second vmdird on the same data directory
P2=$(free_port)
R timeout 10 "$VMDIRD" -d "$T_DIR/d1/data" -p "$P2" --schema-dir "$SCHEMA_DIR" \
    --pid-file "$T_DIR/d1/second.pid"
ok "second vmdird on the same data directory is refused (rc $RC)" test "$RC" -ne 0 -a "$RC" -ne 124
like "$OUT" 'in use|locked|another' "second vmdird: message says the directory is in use"
ok "second vmdird: does not serve" bash -c '! ldapsearch -x -H "ldap://127.0.0.1:$1" -b "" -s base >/dev/null 2>&1' _ "$P2"
is "$(tr -d '[:space:]' <"$PIDF")" "${NODE_PID[d1]}" "second vmdird: first one's pid file untouched"
ok "first vmdird still serves" serving "${NODE_PORT[d1]}"

# request log
LOG="$T_DIR/d1/vmdird.log"
ldapsearch -x -H "$(url d1)" -D "$ADMIN_DN" -w "$ADMIN_PW" -b "$BASE" -s base '(objectClass=*)' 1.1 >/dev/null 2>&1
ldapsearch -x -H "$(url d1)" -D "$ADMIN_DN" -w "$ADMIN_PW" -b "cn=nope,$BASE" -s base 1.1 >/dev/null 2>&1
ok "log: BIND request line" wait_for "$LOG" 'conn=[0-9]+ op=[0-9]+ BIND dn="cn=Administrator'
ok "log: SRCH request line with base and filter" wait_for "$LOG" \
    "conn=[0-9]+ op=[0-9]+ SRCH base=\"$BASE\" scope=0 filter=\"\\(objectClass=\\*\\)\""
ok "log: RESULT line for success" wait_for "$LOG" 'conn=[0-9]+ op=[0-9]+ RESULT err=0'
ok "log: RESULT line for noSuchObject" wait_for "$LOG" 'conn=[0-9]+ op=[0-9]+ RESULT err=32'
SRCH=$(grep -E "SRCH base=\"cn=nope,$BASE\"" "$LOG" | tail -1 | grep -Eo 'conn=[0-9]+ op=[0-9]+')
ok "log: the request and its RESULT share conn= op= ($SRCH)" grep -Eq "$SRCH RESULT err=32" "$LOG"
ok "log: no passwords in the log" bash -c '! grep -qF -- "$1" "$2"' _ "$ADMIN_PW" "$LOG"

# SIGUSR1 / SIGUSR2
ok "log: no debug lines at level info" bash -c '! grep -q "\[debug\]" "$1"' _ "$LOG"
kill -USR1 "${NODE_PID[d1]}"
ok "SIGUSR1: 'log level now debug'" wait_for "$LOG" 'log level now debug'
ldapsearch -x -H "$(url d1)" -b "" -s base 1.1 >/dev/null 2>&1
ok "SIGUSR1: debug lines are logged" wait_for "$LOG" '\[debug\]'
kill -USR1 "${NODE_PID[d1]}"
ok "SIGUSR1 again: 'log level now trace'" wait_for "$LOG" 'log level now trace'
kill -USR2 "${NODE_PID[d1]}"
ok "SIGUSR2: 'log level now debug' again" wait_count "$LOG" 'log level now debug' 2
kill -USR2 "${NODE_PID[d1]}"
ok "SIGUSR2 again: 'log level now info'" wait_for "$LOG" 'log level now info'
N0=$(grep -c '\[debug\]' "$LOG")
ldapsearch -x -H "$(url d1)" -b "" -s base 1.1 >/dev/null 2>&1
ok "SIGUSR2: back at info, no more debug lines" bash -c 'sleep 0.3; [ "$(grep -c "\[debug\]" "$1")" -eq "$2" ]' _ "$LOG" "$N0"
ok "still serving after the level signals" serving "${NODE_PORT[d1]}"

# SIGTERM with an idle client connected
python3 -c 'import socket,sys,time; s=socket.create_connection(("127.0.0.1",int(sys.argv[1]))); time.sleep(30)' \
    "${NODE_PORT[d1]}" >/dev/null 2>&1 &
IDLE=$!
sleep 0.3
T0=$(date +%s%N)
node_stop d1
is "$?" 0 "SIGTERM: exit status 0"
MS=$(( ($(date +%s%N) - T0) / 1000000 ))
ok "SIGTERM: stopped within 5 s (${MS} ms), idle client and all" test "$MS" -lt 5000
kill "$IDLE" 2>/dev/null
wait "$IDLE" 2>/dev/null
ok "SIGTERM: pid file removed" test ! -e "$PIDF"
ok "SIGTERM: log says it stopped" wait_for "$LOG" 'stopped'

# SIGINT
node_start d1
is "$?" 0 "restarts after a clean stop"
kill -INT "${NODE_PID[d1]}"
wait "${NODE_PID[d1]}"
is "$?" 0 "SIGINT: exit status 0"
unset "NODE_PID[d1]"
ok "SIGINT: pid file removed" test ! -e "$PIDF"

# ------------------------------------------------------- configuration file
CP=$(free_port)
CONF="$T_DIR/vmdird.conf"
cat >"$CONF" <<EOF
; vmdird test configuration
[server]
port = $CP
log_level = debug
data_dir = $T_DIR/d2/data
schema_dir = $SCHEMA_DIR
pid_file = $T_DIR/d2/conf.pid
ldapi_socket =
EOF
"$VMDIRD" -f "$CONF" >"$T_DIR/conf1.log" 2>&1 &
CPID=$!
ok "config file: serves on its port $CP" wait_serving "$CP" "$CPID"
R ldapsearch -x -LLL -H "ldap://127.0.0.1:$CP" -D "$ADMIN_DN" -w "$ADMIN_PW" -b "$BASE" -s base 1.1
is "$RC" 0 "config file: data_dir from the file (d2 is initialised)"
ok "config file: log_level = debug takes effect" wait_for "$T_DIR/conf1.log" '\[debug\]'
is "$(tr -d '[:space:]' <"$T_DIR/d2/conf.pid" 2>/dev/null)" "$CPID" "config file: pid_file from the file"
stop_pid "$CPID"
is "$?" 0 "config file: SIGTERM exit 0"

# cache_mb = auto (the default): the size vmdird must pick for d2's data
# (half the .db files, up to a MiB, up to a multiple of 8, 32 at least,
# a quarter of the RAM at most) and the RAM, as it reads them at start
DATA=$(cat "$T_DIR"/d2/data/*.db | wc -c)
RAM_MB=$(( $(awk '/^MemTotal:/ { print $2 }' /proc/meminfo) / 1024 ))
WANT=$(( (DATA / 2 + DATA % 2 + 1048575) / 1048576 ))
WANT=$(( (WANT + 7) / 8 * 8 ))
[ "$WANT" -gt $((RAM_MB / 4)) ] && WANT=$((RAM_MB / 4))
[ "$WANT" -lt 32 ] && WANT=32
FP=$(free_port)
"$VMDIRD" -f "$CONF" -p "$FP" --log-level info >"$T_DIR/conf2.log" 2>&1 &
CPID=$!
ok "flags override the file: serves on -p $FP" wait_serving "$FP" "$CPID"
ok "flags override the file: not on the file's port" bash -c '! ldapsearch -x -H "ldap://127.0.0.1:$1" -b "" -s base >/dev/null 2>&1' _ "$CP"
ldapsearch -x -H "ldap://127.0.0.1:$FP" -b "" -s base 1.1 >/dev/null 2>&1
ok "flags override the file: --log-level info, no debug lines" \
    bash -c 'sleep 0.3; ! grep -q "\[debug\]" "$1"' _ "$T_DIR/conf2.log"
ok "cache_mb = auto: 'cache: $WANT MB (auto: data $(( (DATA + 1048575) / 1048576 )) MB, RAM $RAM_MB MB; ...)'" \
    grep -Eq "cache: $WANT MB \(auto: data $(( (DATA + 1048575) / 1048576 )) MB, RAM $RAM_MB MB; Berkeley DB region [0-9]+ KB\)" "$T_DIR/conf2.log"
stop_pid "$CPID"
is "$?" 0 "flags override the file: SIGTERM exit 0"

# flags before -f still win: the file is read first whatever the order
FP2=$(free_port)
"$VMDIRD" -p "$FP2" -o cache_mb=48 -f "$CONF" >"$T_DIR/conf3.log" 2>&1 &
CPID=$!
ok "a flag before -f still overrides the file" wait_serving "$FP2" "$CPID"
# an explicit cache_mb wins; Berkeley DB adds a quarter for its overhead
# below 500 MB (61,440 KB) and a few region headers
like "$(grep -E 'cache: ' "$T_DIR/conf3.log")" '^.*cache: 48 MB \(cache_mb; Berkeley DB region [0-9]+ KB\)$' \
    "-o cache_mb=48: 'cache: 48 MB (cache_mb; ...)' in the log"
REGION=$(sed -n 's/.*cache: 48 MB (cache_mb; Berkeley DB region \([0-9]*\) KB).*/\1/p' "$T_DIR/conf3.log")
ok "-o cache_mb=48: the environment has it (region ${REGION:-?} KB, 61440 to 61504)" \
    test "${REGION:-0}" -ge 61440 -a "${REGION:-0}" -le 61504
stop_pid "$CPID"

R timeout 10 "$VMDIRD" -d "$T_DIR/d2/data" -o cache_mb=lots
is "$RC" 2 "cache_mb=lots exits 2"
like "$OUT" 'cache_mb' "cache_mb=lots: message names the setting"

printf '[server]\nno_such_setting = 1\n' >"$T_DIR/bad.conf"
R timeout 10 "$VMDIRD" -f "$T_DIR/bad.conf"
is "$RC" 2 "config file with an unknown key exits 2"
like "$OUT" 'no_such_setting' "config file with an unknown key: message names it"
R timeout 10 "$VMDIRD" -f "$T_DIR/missing.conf"
is "$RC" 2 "missing config file exits 2"
like "$OUT" 'missing\.conf' "missing config file: message names it"

done_testing
