#!/usr/bin/env bash
# test_install.sh: an installed node. `make install DESTDIR=...` of this
# build lays out the daemon in sbindir, the tools in bindir, the schema in
# pkgdatadir/schema, a commented sysconfdir/trellis/vmdird.conf (every
# setting of vmdir/conf.c; an operator's own file is kept), the systemd
# unit with its hardening, the sysusers.d file and the man pages (which
# render without warnings and name every option). Then the installed
# vmdird initialises and serves two nodes, and the runbook lines run
# against them with the installed tools; then verbatim, as root without
# flags or environment, against a node in its own network and mount
# namespaces listening on localhost:389 and /run/trellis/vmdird.sock.
# `make uninstall` removes it all.
set -u
. "$(dirname "$0")/lib.sh"

D=$T_DIR/dest
# make from inside make check: not part of the parent's job server
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory -C "$top_builddir" "$@"; }
# var NAME: an installation directory as this build's Makefile expands it
var() {
	printf 'trellis-show-var:\n\t@echo $(%s)\n' "$1" |
	    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s --no-print-directory \
	    -C "$top_builddir" -f Makefile -f - trellis-show-var
}
R() { OUT=$("$@" 2>&1); RC=$?; }

sbindir=$(var sbindir) bindir=$(var bindir) pkgdatadir=$(var pkgdatadir)
sysconfdir=$(var sysconfdir) mandir=$(var mandir)
unitdir=$(var systemdsystemunitdir) sysusersdir=$(var sysusersdir)
echo "# sbindir=$sbindir bindir=$bindir pkgdatadir=$pkgdatadir sysconfdir=$sysconfdir"
echo "# mandir=$mandir unitdir=$unitdir sysusersdir=$sysusersdir"
CONF=$D$sysconfdir/trellis/vmdird.conf
TOOLS="dir-cli lstool vdcadmintool vdcleave vdcrepadmin vecs-cli"
VCONF=$D$sysconfdir/trellis/vecsd.conf

ok "make install DESTDIR=... succeeds" mk install DESTDIR="$D"
[ -d "$D$sbindir" ] || { echo "Bail out! nothing installed"; exit 1; }

# --- layout
ok "vmdird in sbindir" test -x "$D$sbindir/vmdird"
ok "vecsd in sbindir" test -x "$D$sbindir/vecsd"
for t in $TOOLS; do
	ok "$t in bindir" test -x "$D$bindir/$t"
done
ok "no daemon in bindir, no tool in sbindir" \
    bash -c "! ls '$D$bindir/vmdird' '$D$bindir/vecsd' '$D$sbindir'/vdc* '$D$sbindir/vecs-cli' 2>/dev/null | grep -q ."
src_schema=$(cd "$top_srcdir/schema" && ls ./*.schema | sort)
inst_schema=$(cd "$D$pkgdatadir/schema" 2>/dev/null && ls ./*.schema | sort)
is "$inst_schema" "$src_schema" "every schema file in pkgdatadir/schema"
ok "the installed schema files are the source's" \
    bash -c "for f in '$top_srcdir'/schema/*.schema; do cmp \"\$f\" '$D$pkgdatadir/schema/'\"\${f##*/}\" || exit 1; done"
R "$D$sbindir/vmdird" --help
like "$OUT" "--schema-dir DIR +schema files \\(default $pkgdatadir/schema\\)" \
    "the installed vmdird's default schema directory is pkgdatadir/schema"

# --- the configuration file
ok "vmdird.conf in sysconfdir/trellis" test -f "$CONF"
keys=$(sed -n 's/^[[:space:]]*K("\([a-z_]*\)".*/\1/p' "$top_srcdir/vmdir/conf.c")
nkeys=$(wc -w <<<"$keys")
ok "the settings are read from vmdir/conf.c's table ($nkeys)" test "$nkeys" -ge 20
missing=""
for k in $keys ldapi_socket; do
	grep -q "^#$k = " "$CONF" 2>/dev/null || missing="$missing $k"
done
is "${missing:-none}" none "vmdird.conf shows every setting of vmdir/conf.c ($nkeys) and ldapi_socket, commented out"
undocumented=$(awk '/^#[a-z_]+ = / { if (prev !~ /^# ./) print $1 } { prev = $0 }' "$CONF" 2>/dev/null)
is "${undocumented:-none}" none "every setting in vmdird.conf has an explanation above it"
is "$(grep -v '^#' "$CONF" 2>/dev/null | grep -v '^$')" "[server]" \
    "vmdird.conf sets nothing: only the [server] section and comments"
ok "vmdird accepts the installed vmdird.conf" "$D$sbindir/vmdird" -f "$CONF" --help
# every shown value, uncommented, is a valid value of its setting
re=$(tr ' ' '\n' <<<"$keys" | paste -sd'|')
sed -E "s/^#(($re) = )/\\1/" "$CONF" >"$T_DIR/uncommented.conf" 2>/dev/null
is "$(grep -cE "^($re) = " "$T_DIR/uncommented.conf")" "$nkeys" \
    "uncommenting gives a value for every setting vmdird knows"
ok "vmdird accepts every value shown in vmdird.conf" \
    "$D$sbindir/vmdird" -f "$T_DIR/uncommented.conf" --help
like "$(grep -E '^#(schema_dir|data_dir) = ' "$CONF")" "^#data_dir = /var/lib/trellis/vmdir" \
    "vmdird.conf: the data directory is /var/lib/trellis/vmdir"
like "$(grep -E '^#schema_dir = ' "$CONF")" "^#schema_dir = $pkgdatadir/schema\$" \
    "vmdird.conf: the schema directory is the installed one"
# vecsd.conf: the same rules, for vecs/vecsd_conf.c's table
ok "vecsd.conf in sysconfdir/trellis" test -f "$VCONF"
vkeys=$(sed -n 's/^[[:space:]]*K("\([a-z_]*\)".*/\1/p' "$top_srcdir/vecs/vecsd_conf.c")
ok "vecsd's settings are read from vecs/vecsd_conf.c's table" test "$(wc -w <<<"$vkeys")" -ge 6
missing=""
for k in $vkeys; do
	grep -q "^#$k = " "$VCONF" 2>/dev/null || missing="$missing $k"
done
is "${missing:-none}" none "vecsd.conf shows every setting of vecs/vecsd_conf.c, commented out"
undocumented=$(awk '/^#[a-z_]+ = / { if (prev !~ /^# ./) print $1 } { prev = $0 }' "$VCONF" 2>/dev/null)
is "${undocumented:-none}" none "every setting in vecsd.conf has an explanation above it"
is "$(grep -v '^#' "$VCONF" 2>/dev/null | grep -v '^$')" "[server]" \
    "vecsd.conf sets nothing: only the [server] section and comments"
vre=$(tr ' ' '\n' <<<"$vkeys" | paste -sd'|')
sed -E "s/^#(($vre) = )/\\1/" "$VCONF" >"$T_DIR/vuncommented.conf" 2>/dev/null
is "$(grep -cE "^($vre) = " "$T_DIR/vuncommented.conf")" "$(wc -w <<<"$vkeys")" \
    "uncommenting vecsd.conf gives a value for every setting vecsd knows"
ok "vecsd accepts every value shown in vecsd.conf" \
    "$D$sbindir/vecsd" -f "$T_DIR/vuncommented.conf" --help
is "$(grep -E '^#(socket|data_dir) = ' "$VCONF" | tr '\n' ' ')" \
    "#socket = /run/trellis/vecsd.sock #data_dir = /var/lib/trellis/vecs/db " \
    "vecsd.conf: the socket and the data directory"
echo "# a local change" >>"$CONF"
R mk install DESTDIR="$D"
is "$RC" 0 "make install again succeeds"
like "$(tail -1 "$CONF")" "^# a local change" "make install keeps an operator's vmdird.conf"
like "$OUT" "keeping .*vmdird.conf" "and says so"

# --- systemd
UNIT=$D$unitdir/vmdird.service
if [ "$unitdir" = no ]; then
	echo "# configured --with-systemdsystemunitdir=no: no unit"
else
	ok "vmdird.service in the systemd unit directory ($unitdir)" test -f "$UNIT"
	for l in "ExecStart=$sbindir/vmdird -f $sysconfdir/trellis/vmdird.conf" \
	    Restart=on-failure StateDirectory=trellis RuntimeDirectory=trellis \
	    User=trellis ProtectSystem=strict ProtectHome=yes PrivateTmp=yes \
	    NoNewPrivileges=yes "WantedBy=multi-user.target"; do
		ok "vmdird.service: $l" grep -qx -- "$l" "$UNIT"
	done
	# the unit's paths are where vmdird.conf's defaults say
	ok "vmdird.service: the state directory holds data_dir, the runtime one ldapi_socket" \
	    bash -c "grep -qx '#data_dir = /var/lib/trellis/vmdir' '$CONF' &&
	    grep -qx '#ldapi_socket = /run/trellis/vmdird.sock' '$CONF'"
	sed "s|^ExecStart=$sbindir/|ExecStart=$D$sbindir/|" "$UNIT" >"$T_DIR/vmdird.service" 2>/dev/null
	if command -v systemd-analyze >/dev/null 2>&1; then
		# (it also checks that Documentation=man:vmdird(8) is installed)
		R env MANPATH="$D$mandir" systemd-analyze verify "$T_DIR/vmdird.service"
		is "$RC:$OUT" "0:" "systemd-analyze verify: vmdird.service is valid, without a warning"
	else
		bad=$(grep -vE '^(#.*|\[(Unit|Service|Install)\]|[A-Z][A-Za-z]+=.*|)$' "$T_DIR/vmdird.service")
		is "${bad:-none}" none "vmdird.service: sections and Key=value lines only (no systemd-analyze)"
	fi
	VUNIT=$D$unitdir/vecsd.service
	ok "vecsd.service in the systemd unit directory" test -f "$VUNIT"
	for l in "ExecStart=$sbindir/vecsd -f $sysconfdir/trellis/vecsd.conf" \
	    Restart=on-failure RuntimeDirectory=trellis RuntimeDirectoryPreserve=yes \
	    User=trellis ProtectSystem=strict ProtectHome=yes PrivateTmp=yes \
	    NoNewPrivileges=yes RestrictAddressFamilies=AF_UNIX "WantedBy=multi-user.target"; do
		ok "vecsd.service: $l" grep -qx -- "$l" "$VUNIT"
	done
	sed "s|^ExecStart=$sbindir/|ExecStart=$D$sbindir/|" "$VUNIT" >"$T_DIR/vecsd.service" 2>/dev/null
	if command -v systemd-analyze >/dev/null 2>&1; then
		R env MANPATH="$D$mandir" systemd-analyze verify "$T_DIR/vecsd.service"
		is "$RC:$OUT" "0:" "systemd-analyze verify: vecsd.service is valid, without a warning"
	fi
	ok "sysusers.d/trellis.conf creates the trellis user" \
	    grep -qE '^u trellis ' "$D$sysusersdir/trellis.conf"
fi

# --- man pages
pages="man8/vmdird.8 man8/vecsd.8"
for t in $TOOLS; do pages="$pages man1/$t.1"; done
for p in $pages; do
	ok "$p installed" test -f "$D$mandir/$p"
done
if command -v groff >/dev/null 2>&1; then
	for p in $pages; do
		# every warning but "can't break line": a long prefix (make
		# distcheck's) gives paths wider than a line
		R groff -mandoc -Tutf8 -ww -Wbreak -z "$D$mandir/$p"
		is "$RC:$OUT" "0:" "$p renders without warnings"
	done
	render() { groff -mandoc -Tascii -P-cbou "$D$mandir/$1" 2>/dev/null; }
	for p in $pages; do
		txt=$(render "$p")
		missing=""
		for s in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" EXAMPLES "SEE ALSO"; do
			grep -qx "$s" <<<"$txt" || missing="$missing [$s]"
		done
		is "${missing:-none}" none "$p has the sections an operator looks for"
	done
	txt=$(render man8/vmdird.8)
	missing=""
	for k in $keys ldapi_socket; do
		grep -qw -- "$k" <<<"$txt" || missing="$missing $k"
	done
	is "${missing:-none}" none "vmdird(8) explains every setting"
	for s in FILES SIGNALS; do
		like "$txt" "^$s\$" "vmdird(8) has $s"
	done
	like "$txt" "$sysconfdir/trellis/vmdird\\.conf" "vmdird(8) names the installed configuration file"
	txt=$(render man8/vecsd.8)
	missing=""
	for k in $vkeys; do
		grep -qw -- "$k" <<<"$txt" || missing="$missing $k"
	done
	is "${missing:-none}" none "vecsd(8) explains every setting"
	like "$(render man1/vecs-cli.1)" 'for i in \$\(vecs-cli store list\); do echo STORE \$i; vecs-cli entry list --store \$i --text \| egrep "Alias\|Not After"; done' \
	    "vecs-cli(1) shows the runbook line"
	for t in vmdird vecsd $TOOLS; do
		p=man1/$t.1
		dir=$bindir
		case $t in vmdird|vecsd) p=man8/$t.8; dir=$sbindir ;; esac
		txt=$(render "$p")
		missing=""
		for o in $("$D$dir/$t" --help 2>&1 | grep -oE -- '--[a-z][a-z-]*' | sort -u); do
			grep -q -- "$o" <<<"$txt" || missing="$missing $o"
		done
		is "${missing:-none}" none "$p documents every option of $t --help"
	done
	like "$(render man1/vdcadmintool.1)" "echo 6 \\| vdcadmintool" "vdcadmintool(1) shows the runbook line"
	like "$(render man1/vdcrepadmin.1)" "vdcrepadmin -f showpartnerstatus -h localhost -u administrator -w" \
	    "vdcrepadmin(1) shows the runbook line"
else
	echo "# groff not installed: man pages not rendered"
fi

# --- the installed node serves, and the runbook lines run against it
VMDIRD=$D$sbindir/vmdird
SCHEMA_DIR=$D$pkgdatadir/schema
mkdir -p "$T_DIR/n1"
R "$VMDIRD" --init -f "$CONF" -d "$T_DIR/n1/data" --schema-dir "$SCHEMA_DIR" \
    --node n1 --password "$ADMIN_PW"
is "$RC" 0 "the installed vmdird initialises a node with the installed configuration"
[ "$RC" = 0 ] || echo "$OUT" | sed 's/^/#   /'
node_start n1 -f "$CONF" || { echo "Bail out! the installed vmdird does not start"; exit 1; }
NODE_PORT[n2]=$(free_port)
mkdir -p "$T_DIR/n2"
ok "the installed vmdird joins a second node" "$VMDIRD" --join "$(url n1)" \
    -d "$T_DIR/n2/data" --schema-dir "$SCHEMA_DIR" --node n2 -p "${NODE_PORT[n2]}" \
    --password "$ADMIN_PW"
node_start n2 -f "$CONF" || { echo "Bail out! the joined node does not start"; exit 1; }

R bash -c "echo 6 | '$D$bindir/vdcadmintool' -H '$(url n1)' -w '$ADMIN_PW'"
is "$RC" 0 "echo 6 | vdcadmintool (installed) exits 0"
is "$(grep 'VmDir State' <<<"$OUT")" " VmDir State is - Normal" \
    "echo 6 | vdcadmintool prints ' VmDir State is - Normal'"
for i in $(seq 1 100); do
	R "$D$bindir/vdcrepadmin" -f showpartnerstatus -h "127.0.0.1:${NODE_PORT[n2]}" \
	    -u administrator -w "$ADMIN_PW"
	grep -q "^Partner is 0 changes behind\.$" <<<"$OUT" && break
	sleep 0.2
done
is "$RC" 0 "vdcrepadmin -f showpartnerstatus (installed) exits 0"
like "$OUT" "^Partner: 127\\.0\\.0\\.1:${NODE_PORT[n1]}$" "showpartnerstatus: Partner: (node 1)"
like "$OUT" "^Host available:   Yes$" "showpartnerstatus: Host available:   Yes"
like "$OUT" "^Status available: Yes$" "showpartnerstatus: Status available: Yes"
like "$OUT" "^Partner is 0 changes behind\\.$" "showpartnerstatus: Partner is 0 changes behind."
# dir-cli: a root published on node 1 is listed on node 2
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T_DIR/root.key" -out "$T_DIR/root.pem" \
    -subj "/CN=Install Root" -days 30 -addext basicConstraints=critical,CA:TRUE 2>/dev/null
R "$D$bindir/dir-cli" trustedcert publish --cert "$T_DIR/root.pem" -h "127.0.0.1:${NODE_PORT[n1]}" \
    --login administrator@vsphere.local --password "$ADMIN_PW"
is "$RC:$OUT" "0:Certificate pubished successfully" "dir-cli trustedcert publish (installed) on node 1"
rid=$(openssl x509 -in "$T_DIR/root.pem" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g' | tr 'A-F' 'a-f')
want=$(printf 'Number of certificates:\t1\n#1:\nCN(id):\t\t%s\nSubject DN:\tCN=Install Root\nCRL present:\tno' "$rid")
for i in $(seq 1 100); do
	R "$D$bindir/dir-cli" trustedcert list -h "127.0.0.1:${NODE_PORT[n2]}" \
	    --login administrator@vsphere.local --password "$ADMIN_PW"
	[ "$OUT" == "$want" ] && break
	sleep 0.2
done
is "$OUT" "$want" "dir-cli trustedcert list (installed) on node 2 shows it"
node_stop n2
node_stop n1

# --- the installed vecsd serves with the installed vecsd.conf
mkdir -p "$T_DIR/vs"
# (its puller off and its hashed directory here: nothing outside the scratch directory)
"$D$sbindir/vecsd" -f "$VCONF" -d "$T_DIR/vs/db" -s "$T_DIR/vs/vecsd.sock" -o vmdir_uri=none \
    -o "ca_path=$T_DIR/vs/certs" >"$T_DIR/vs/vecsd.log" 2>&1 &
NODE_PID[vs]=$!
for i in $(seq 1 400); do
	"$D$bindir/vecs-cli" --socket "$T_DIR/vs/vecsd.sock" store list >/dev/null 2>&1 && break
	sleep 0.025
done
R env VECS_SOCKET="$T_DIR/vs/vecsd.sock" "$D$bindir/vecs-cli" store list
is "$RC:$(wc -l <<<"$OUT")" "0:8" "the installed vecs-cli lists the installed vecsd's default stores"
node_stop vs
ok "the installed vecsd removes its socket at SIGTERM" test ! -e "$T_DIR/vs/vecsd.sock"

# --- the runbook lines verbatim, on a node laid out as installed ---------------
# A private network and mount namespace: the installed vmdird listens on
# localhost:389 and on its default socket /run/trellis/vmdird.sock (a tmpfs
# over /run/trellis, so the host's is untouched); its partner on another
# port. Then, as root with no flags and no environment, exactly what the
# runbooks type.
if [ "$(id -u)" = 0 ] && unshare --net --mount true 2>/dev/null; then
	NS=$T_DIR/ns
	mkdir -p "$NS"
	cat >"$NS/run.sh" <<EOF
set -u
ip link set lo up
mkdir -p /run/trellis && mount -t tmpfs -o mode=0755 tmpfs /run/trellis || exit 10
"$VMDIRD" --init -f "$CONF" -d "$NS/n1" --schema-dir "$SCHEMA_DIR" --node n1 \
    --password '$ADMIN_PW' >"$NS/init.log" 2>&1 || exit 11
"$VMDIRD" -f "$CONF" -d "$NS/n1" -p 389 --schema-dir "$SCHEMA_DIR" \
    --pid-file "$NS/n1.pid" >"$NS/n1.log" 2>&1 &
for i in \$(seq 1 200); do [ -S /run/trellis/vmdird.sock ] && break; sleep 0.05; done
"$VMDIRD" --join ldap://127.0.0.1:389 -d "$NS/n2" --schema-dir "$SCHEMA_DIR" \
    --node n2 -p 3890 --password '$ADMIN_PW' >"$NS/join.log" 2>&1 || exit 12
"$VMDIRD" -f "$CONF" -d "$NS/n2" -p 3890 --schema-dir "$SCHEMA_DIR" \
    -o ldapi_socket=/run/trellis/n2.sock --pid-file "$NS/n2.pid" >"$NS/n2.log" 2>&1 &
export PATH="$D$bindir:\$PATH"
for i in \$(seq 1 150); do
	env -i PATH="\$PATH" vdcrepadmin -f showpartnerstatus -h localhost -u administrator \
	    -w '$ADMIN_PW' 2>&1 | grep -q '^Partner is 0 changes behind\.\$' && break
	sleep 0.2
done
ls -l /run/trellis/vmdird.sock >"$NS/sock.txt" 2>&1
env -i PATH="\$PATH" bash -c 'echo 6 | vdcadmintool' >"$NS/state.out" 2>&1
echo "rc=\$?" >>"$NS/state.out"
env -i PATH="\$PATH" vdcrepadmin -f showpartnerstatus -h localhost -u administrator \
    -w '$ADMIN_PW' >"$NS/partner.out" 2>&1
echo "rc=\$?" >>"$NS/partner.out"
kill \$(cat "$NS/n1.pid") \$(cat "$NS/n2.pid")
wait
EOF
	R timeout 120 unshare --net --mount --propagation private bash "$NS/run.sh"
	is "$RC" 0 "a node as installed, in its own namespaces, on localhost:389 and /run/trellis"
	[ "$RC" = 0 ] || tail -n 5 "$NS"/*.log 2>&1 | sed 's/^/#   /'
	like "$(cat "$NS/sock.txt")" '^srw-rw-rw- .* /run/trellis/vmdird\.sock$' \
	    "its socket is /run/trellis/vmdird.sock, mode 0666"
	is "$(grep -e 'VmDir State' -e '^rc=' "$NS/state.out")" " VmDir State is - Normal
rc=0" "verbatim: echo 6 | vdcadmintool prints ' VmDir State is - Normal', no password, no environment"
	OUT=$(cat "$NS/partner.out")
	like "$OUT" '^rc=0$' "verbatim: vdcrepadmin -f showpartnerstatus -h localhost -u administrator -w ... exits 0"
	like "$OUT" '^Partner: 127\.0\.0\.1:3890$' "... Partner: (node 2)"
	like "$OUT" '^Host available:   Yes$' "... Host available:   Yes"
	like "$OUT" '^Partner is 0 changes behind\.$' "... Partner is 0 changes behind."
	ok "the host's /run/trellis was not touched" test ! -e /run/trellis/n2.sock
else
	T_N=$((T_N + 1))
	echo "ok $T_N # SKIP the runbook lines verbatim need root and unshare (network and mount namespaces)"
fi

# --- uninstall
R mk uninstall DESTDIR="$D"
is "$RC" 0 "make uninstall succeeds"
is "$(find "$D" -type f | sed "s|^$D||")" "$sysconfdir/trellis/vmdird.conf" \
    "make uninstall removes every file but the changed vmdird.conf"
ok "make install, then make uninstall leaves no file" \
    bash -c "rm -f '$CONF' && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C '$top_builddir' install uninstall DESTDIR='$D' >/dev/null &&
    test -z \"\$(find '$D' -type f)\""

done_testing
