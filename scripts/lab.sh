#!/bin/bash
# lab.sh: builds Trellis, brings up a 3-node replicated lab (mesh) on
# 127.0.0.1:3890-3892 with tools/lab/trellis-lab, and shows replication at
# work: a user written on node1 read back on node2 and node3, a change on
# node3 seen on node1, the lab's status, then node3's certificate stores
# (the seed's vecs-cli one-liner, the lab CA's root pulled from the
# directory) and the trusted roots dir-cli lists, the seed's lstool
# pipelines against node1 (HTTP port 7080) and a clean lstool check. A lab left from an earlier
# run is destroyed first. Stop it with: tools/lab/trellis-lab down
# (or destroy). Environment: LAB_DIR (default ./run/lab), BASE_PORT
# (default 3890), TRELLIS_ADMIN_PASSWORD.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
lab=$top/tools/lab/trellis-lab
dir=${LAB_DIR:-$top/run/lab}
port=${BASE_PORT:-3890}
pw=${TRELLIS_ADMIN_PASSWORD:-Trellis-Adm1n!}
admin="cn=Administrator,cn=Users,dc=vsphere,dc=local"
user="cn=lab-user,cn=Users,dc=vsphere,dc=local"
export LDAPTLS_REQCERT=never LDAPNOINIT=1

"$top/scripts/build.sh" "$top/build"
export VMDIRD=${VMDIRD:-$top/build/vmdird}

if [ -f "$dir/lab.conf" ]; then
	echo "== an earlier lab is in $dir: destroying it"
	"$lab" --dir "$dir" destroy
fi
echo "== bringing up 3 nodes (mesh)"
"$lab" --dir "$dir" up -n 3 --topology mesh --base-port "$port" --password "$pw"

url() { echo "ldap://127.0.0.1:$((port + $1 - 1))"; }
# show NODE ATTR: polls (up to 20 s) until the user's ATTR on NODE is
# WANT, then prints the entry as read there.
show() {
	local node=$1 attr=$2 want=$3 got
	for _ in $(seq 1 100); do
		got=$(ldapsearch -x -LLL -o ldif-wrap=no -H "$(url "$node")" -D "$admin" -w "$pw" \
		    -b "$user" -s base "$attr" 2>/dev/null | sed -n "s/^$attr: //p")
		[ "$got" = "$want" ] && break
		sleep 0.2
	done
	echo "-- read on node$node ($(url "$node")):"
	ldapsearch -x -LLL -o ldif-wrap=no -H "$(url "$node")" -D "$admin" -w "$pw" \
	    -b "$user" -s base cn sn description uSNChanged
	[ "$got" = "$want" ] || { echo "lab.sh: node$node does not show $attr: $want" >&2; exit 1; }
}

echo
echo "== write a user on node1"
ldapadd -x -H "$(url 1)" -D "$admin" -w "$pw" <<LDIF
dn: $user
objectClass: person
cn: lab-user
sn: User
description: written on node1
LDIF
show 2 description "written on node1"
show 3 description "written on node1"

echo
echo "== modify it on node3"
ldapmodify -x -H "$(url 3)" -D "$admin" -w "$pw" <<LDIF
dn: $user
changetype: modify
replace: description
description: changed on node3
LDIF
show 1 description "changed on node3"

echo
echo "== status"
"$lab" --dir "$dir" status

# the seeds' lines, as printed, against node3 (after 'trellis-lab env node3')
eval "$("$lab" --dir "$dir" env node3)"
echo
echo "== node3's certificate stores (vecsd): the seed's one-liner"
oneliner='for i in $(vecs-cli store list); do echo STORE $i; vecs-cli entry list --store $i --text | egrep "Alias|Not After"; done'
echo "\$ $oneliner"
# (egrep's status for a store with no entry is 1: not a failure here)
bash -c "$oneliner" || true
echo
echo "== the trusted roots the directory publishes (dir-cli, on node3)"
echo '$ dir-cli trustedcert list'
dir-cli trustedcert list

# the lookup service: node1 serves HTTP on 7080, so the seed's pipelines
# run as printed
echo
echo "== lookup-service registrations (lstool, the seed's pipelines against node1)"
sdk=http://localhost:7080/lookupservice/sdk
echo "\$ lstool list --url $sdk | grep -i \"Service type: vcenterserver\" -A9 | egrep \"Service Type:|Version|URL\""
lstool list --url "$sdk" | grep -i "Service type: vcenterserver" -A9 | egrep "Service Type:|Version|URL"
echo "\$ lstool list --url $sdk | grep \"Service Type:\" | sort | uniq -c | head -5"
lstool list --url "$sdk" | grep "Service Type:" | sort | uniq -c | head -5
echo
echo "== lstool check: every node's registrations, compared across the federation"
vecs=()
for n in 1 2 3; do vecs+=(--vecs "node$n=$("$lab" --dir "$dir" env "node$n" | sed -n 's/^export VECS_SOCKET=//p')"); done
lstool check --server "$(url 1)" --password "$pw" "${vecs[@]}"
echo "The lab keeps running: $lab --dir $dir status | stop NODE | start NODE | down | destroy"
