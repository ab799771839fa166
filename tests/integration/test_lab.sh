#!/usr/bin/env bash
# test_lab.sh: the lab tool (tools/lab/trellis-lab) in a scratch directory
# on free ports: `up` brings a 2-node lab up; `start` of a running node
# says only that it runs; `up` after `down` brings the same lab back (same
# data, same ports), as does `restart`; the ldapsearch line that `up`
# prints, and the README's, work as printed; each node has its own local
# socket and `env NODE` makes the runbook's lines (as root, no password)
# run against it; `destroy` removes it all.
set -u
. "$(dirname "$0")/lib.sh"

LAB=$top_srcdir/tools/lab/trellis-lab
export VMDIRD TRELLIS_SCHEMA_DIR=$SCHEMA_DIR TRELLIS_LAB_TIMEOUT=60
DIR=$T_DIR/lab
PW='Lab-Adm1n!pw'
R() { OUT=$("$@" 2>&1); RC=$?; }
lab() { "$LAB" --dir "$DIR" "$@"; }
port_free() { python3 -c 'import socket,sys; s=socket.socket(); s.bind(("127.0.0.1",int(sys.argv[1])))' "$1" 2>/dev/null; }
# two free ports in a row, twice (LDAP, HTTP)
for _ in $(seq 1 50); do
	P1=$(free_port)
	P2=$((P1 + 1))
	[ "$P2" -le 65535 ] && port_free "$P2" && break
done
for _ in $(seq 1 50); do
	H1=$(free_port)
	H2=$((H1 + 1))
	[ "$H2" -le 65535 ] && [ "$H1" != "$P1" ] && [ "$H1" != "$P2" ] && [ "$H2" != "$P1" ] &&
	    port_free "$H2" && break
done
lab_pid() { cat "$DIR/$1/pid" 2>/dev/null; }
running() { kill -0 "$(lab_pid "$1")" 2>/dev/null; }
# the lab's nodes are stopped at the end even when a test fails
lab_cleanup() { "$LAB" --dir "$DIR" down >/dev/null 2>&1; t_cleanup; }
trap lab_cleanup EXIT
user="cn=lab-test,cn=Users,$BASE"

R lab up -n 2 --base-port "$P1" --http-base-port "$H1" --password "$PW"
is "$RC" 0 "up -n 2 on ports $P1-$P2 (HTTP $H1-$H2)"
[ "$RC" = 0 ] || { echo "$OUT" | tail -20 | sed 's/^/#   /'; echo "Bail out! the lab does not come up"; exit 1; }
UP_OUT=$OUT
ok "both nodes run" bash -c "kill -0 $(lab_pid node1) && kill -0 $(lab_pid node2)"

# the ldapsearch line that up prints runs as printed
line=$(grep -m1 -E '^ +ldapsearch ' <<<"$UP_OUT" | sed 's/^ *//')
like "$line" "^ldapsearch .*ldap://127\\.0\\.0\\.1:$P1" "up prints an ldapsearch line for node1"
R bash -c "$line"
is "$RC" 0 "the printed ldapsearch line works as printed"
like "$OUT" "^dn: cn=Users,$BASE\$" "and finds the domain's containers"
like "$UP_OUT" "data $DIR/node1/data" "up says where node1 keeps its data"
like "$UP_OUT" "log $DIR/node1/vmdird.log" "up says where node1 logs"
like "$UP_OUT" "password in $DIR/password" "up says where the password is"

# --- certificates, VECS and registrations on every node
CA_THUMB=$(openssl x509 -in "$DIR/pki/ca.pem" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g' | tr 'A-F' 'a-f')
like "$CA_THUMB" '^[0-9a-f]{40}$' "up made a lab CA"
ONELINER='for i in $(vecs-cli store list); do echo STORE $i; vecs-cli entry list --store $i --text | egrep "Alias|Not After"; done'
for n in node1 node2; do
	ok "$n: its vecsd runs" bash -c "kill -0 \$(cat '$DIR/$n/vecsd.pid')"
	R bash -c "eval \"\$('$LAB' --dir '$DIR' env $n)\"; $ONELINER"
	is "$RC" 0 "$n: the seed's VECS one-liner runs as printed after 'env $n'"
	like "$OUT" '^STORE MACHINE_SSL_CERT$' "$n: ... lists MACHINE_SSL_CERT"
	like "$OUT" $'^Alias :\t__MACHINE_CERT$' "$n: ... with __MACHINE_CERT"
	like "$OUT" $'^Alias :\t'"$CA_THUMB"'$' "$n: ... and the lab CA in TRUSTED_ROOTS, pulled from the directory"
	for u in machine vpxd vpxd-extension vsphere-webclient; do
		like "$OUT" $'^Alias :\t'"$u"'$' "$n: ... and the solution user $u"
	done
	is "$(grep -c 'Not After : ' <<<"$OUT")" 6 "$n: ... 6 'Not After' lines (machine, 4 solution users, the lab CA)"
	ok "$n: the lab CA is in its hashed directory" \
	    test -f "$DIR/$n/vecs/certs/$(openssl x509 -in "$DIR/pki/ca.pem" -noout -subject_hash).0"
	R curl -s "http://127.0.0.1:$(cat "$DIR/$n/http_port")/lookupservice/sdk?type=vcenterserver"
	is "$(python3 -c 'import json,sys; print(sorted(r["nodeId"] for r in json.load(sys.stdin)["registrations"]))' <<<"$OUT")" \
	    "['node1', 'node2']" "$n: lists both nodes' vcenterserver registrations over HTTP"
done
R curl -s "http://127.0.0.1:$H2/lookupservice/sdk"
is "$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)["registrations"]))' <<<"$OUT")" 72 \
    "node2 lists 36 service types for each of the 2 nodes"
# the seed's lstool pipelines, as printed (the install path and the port aside)
for n in node1 node2; do
	sdk="http://localhost:$(cat "$DIR/$n/http_port")/lookupservice/sdk"
	R bash -c "eval \"\$('$LAB' --dir '$DIR' env $n)\"; lstool list --url $sdk | grep -i \"Service type: vcenterserver\" -A9 | egrep \"Service Type:|Version|URL\" | sed 's/^\t*//' | sort"
	is "$OUT" "Service Type: vcenterserver
Service Type: vcenterserver
URL: https://node1.lab.local:443/sdk
URL: https://node2.lab.local:443/sdk
Version: 6.7
Version: 6.7" "$n: the seed's vcenterserver pipeline prints each node's type, version and URL"
	R bash -c "eval \"\$('$LAB' --dir '$DIR' env $n)\"; lstool list --url $sdk | grep \"Service Type:\" | sort | uniq -c"
	is "$(wc -l <<<"$OUT"):$(awk '{print $1}' <<<"$OUT" | sort -u)" "36:2" \
	    "$n: the seed's count pipeline: 36 service types, 2 registrations each"
done
R "$top_builddir/lstool" check --server "ldap://127.0.0.1:$P1" --password "$PW" \
    --vecs "node1=$DIR/node1/vecsd.sock" --vecs "node2=$DIR/node2/vecsd.sock"
is "$RC" 0 "lstool check across the lab exits 0"
like "$OUT" '^Summary: 6 passed, 0 warnings, 0 failed \(0 High\)$' "... every check passes, machine certificates compared"
R bash -c "eval \"\$('$LAB' --dir '$DIR' env node2)\"; dir-cli trustedcert list"
like "$OUT" $'^CN\\(id\\):\t\t'"$CA_THUMB"'$' "dir-cli trustedcert list on node2 shows the lab CA"

# start of a running node: one line, exit 0
pid1=$(lab_pid node1)
R lab start node1
is "$RC" 0 "start of a running node exits 0"
is "$OUT" "node1 is already running (pid $pid1)" "start of a running node says only that it runs"
is "$(lab_pid node1)" "$pid1" "and leaves it alone"

# a change, then down and up: the same lab comes back
ok "add a user" bash -c "ldapadd -x -H ldap://127.0.0.1:$P1 -D '$ADMIN_DN' -w '$PW' >/dev/null <<EOF
dn: $user
objectClass: top
objectClass: person
cn: lab-test
sn: Test
EOF"
R lab down
is "$RC" 0 "down"
ok "down stops both nodes" bash -c "! kill -0 $pid1 2>/dev/null && ! kill -0 $(lab_pid node2) 2>/dev/null"
R lab up
is "$RC" 0 "up after down brings the lab back"
[ "$RC" = 0 ] || echo "$OUT" | tail -10 | sed 's/^/#   /'
like "$OUT" "(back|again)" "and says it is the same lab"
ok "both nodes run again" bash -c "kill -0 $(lab_pid node1) && kill -0 $(lab_pid node2)"
is "$(cat "$DIR/node1/port"):$(cat "$DIR/node2/port")" "$P1:$P2" "on the same ports"
R ldapsearch -x -LLL -H "ldap://127.0.0.1:$P2" -D "$ADMIN_DN" -w "$PW" -b "$user" -s base cn
like "$OUT" "^cn: lab-test$" "with the same data (the user, read on node2)"
R lab up -n 3
is "$RC" 2 "up -n 3 on a 2-node lab is refused (usage)"
like "$OUT" "destroy" "and says to destroy it first"
R lab up
is "$RC" 0 "up of a running lab exits 0"
like "$OUT" "node1 is already running" "and says the nodes run"

# restart
old1=$(lab_pid node1)
R lab restart node1
is "$RC" 0 "restart node1"
ok "node1 runs with a new process" bash -c "kill -0 $(lab_pid node1) && [ $(lab_pid node1) != $old1 ]"

# the README's ldapsearch line for the lab, with this lab's directory and port
readme=$(grep -m1 -E '^ +ldapsearch .*3890.*run/lab/password' "$top_srcdir/README.md" | sed 's/^ *//')
like "$readme" "ldapsearch" "README shows an ldapsearch line for the lab"
readme=${readme//run\/lab/$DIR}
readme=${readme//3890/$P1}
R bash -c "cd '$top_srcdir' && $readme"
is "$RC" 0 "README's ldapsearch line works against the lab"

# the README's tool lines, with this build's tools
for t in vdcrepadmin vdcadmintool; do
	l=$(grep -m1 -E "^ +(echo 6 \\| )?build/$t .*run/lab/password" "$top_srcdir/README.md" | sed 's/^ *//')
	like "$l" "$t" "README shows a $t line for the lab"
	l=${l/#build\//$top_builddir/}
	l=${l/| build\//| $top_builddir/}
	l=${l//run\/lab/$DIR}
	l=${l//3890/$P1}
	l=${l//3891/$P2}
	for _ in $(seq 1 50); do
		R bash -c "$l"
		[ "$RC" = 0 ] && grep -qE "^(Partner is 0 changes| VmDir State)" <<<"$OUT" && break
		sleep 0.2
	done
	is "$RC" 0 "README's $t line works against the lab"
	case $t in
	vdcrepadmin) like "$OUT" "^Partner is 0 changes behind\\.$" "and shows node2's partner status" ;;
	vdcadmintool) like "$OUT" "^ VmDir State is - Normal$" "and shows node1's state" ;;
	esac
done

# each node's own local socket, through `env NODE`
for n in node1 node2; do
	R lab env "$n"
	is "$RC" 0 "env $n"
	like "$OUT" "^export TRELLIS_LDAPI=/.*$n.*\.sock\$" "env $n exports its socket"
	if [ "$(id -u)" -eq 0 ]; then
		R env -u VMDIR_URI -u VMDIR_PASSWORD bash -c "eval \"\$('$LAB' --dir '$DIR' env $n)\"; echo 6 | '$top_builddir/vdcadmintool'"
		ok "as root after 'env $n': echo 6 | vdcadmintool prints ' VmDir State is - Normal'" \
		    grep -qxF ' VmDir State is - Normal' <<<"$OUT"
	fi
done
R lab env node9
ok "env of an unknown node fails (rc $RC)" test "$RC" -ne 0

R lab destroy
is "$RC" 0 "destroy"
ok "destroy removes the lab's directory" test ! -e "$DIR"

done_testing
