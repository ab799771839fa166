#!/bin/bash
# demo.sh: installs what is missing, builds, initialises a vmdird node in
# ./run/node1 (if not yet), starts it on 127.0.0.1:PORT (default 3890),
# and shows it serving with ldapsearch. "demo.sh stop" stops it.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
run=$top/run/node1
port=${PORT:-3890}
pw=${TRELLIS_ADMIN_PASSWORD:-Trellis-Adm1n!}
bin=$top/build/vmdird

if [ "${1:-}" = stop ]; then
	[ -f "$run/vmdird.pid" ] && kill "$(cat "$run/vmdird.pid")" && echo "stopped"
	exit 0
fi
"$top/scripts/build.sh" "$top/build"
mkdir -p "$run"
if [ ! -f "$run/data/machine-account" ]; then
	"$bin" --init -d "$run/data" --password "$pw" --node node1
fi
if [ -f "$run/vmdird.pid" ] && kill -0 "$(cat "$run/vmdird.pid")" 2>/dev/null; then
	echo "vmdird already running (pid $(cat "$run/vmdird.pid"))"
else
	"$bin" -d "$run/data" -p "$port" --pid-file "$run/vmdird.pid" \
	    >>"$run/vmdird.log" 2>&1 &
	for _ in $(seq 1 100); do
		ldapsearch -x -H "ldap://127.0.0.1:$port" -b "" -s base >/dev/null 2>&1 && break
		sleep 0.1
	done
fi
echo
echo "== root DSE"
ldapsearch -x -LLL -H "ldap://127.0.0.1:$port" -b "" -s base '+' | grep -E 'namingContexts|highestCommittedUSN|serverName|vendor'
echo
echo "== the domain, as the administrator"
set -x
ldapsearch -x -LLL -o ldif-wrap=no -H "ldap://127.0.0.1:$port" \
    -D "cn=Administrator,cn=Users,dc=vsphere,dc=local" -w "$pw" \
    -b dc=vsphere,dc=local dn uSNChanged objectGUID
set +x
echo
echo "vmdird is serving ldap://127.0.0.1:$port (log: $run/vmdird.log); stop it with: $0 stop"
