#!/bin/sh
# deps.sh: installs the Debian 12 packages Trellis builds and tests with,
# when they are missing. Needs root (or sudo) only if something is missing.
set -e
PKGS="build-essential autoconf automake libtool pkg-config libldap-dev libdb5.3-dev
libevent-dev libssl-dev libjansson-dev uuid-dev libinih-dev ldap-utils openssl python3
iproute2 procps jq python3-ldap groff-base curl python3-prometheus-client"
[ "${1:-}" = "--bench" ] && PKGS="$PKGS slapd 389-ds-base"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps.sh: installing:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq || true
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing </dev/null
