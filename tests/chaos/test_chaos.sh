#!/bin/bash
# test_chaos.sh: the short run of the replication chaos suite for make
# check (one round: a partition with conflicting writes on both sides, then
# a write storm with a flapping link and a kill -9). TAP on stdout.
#   CHAOS_SEED=N     replay a seed (printed as "# seed N" on the first line)
#   CHAOS_ROUNDS=N   the long soak (or: tests/chaos/chaos.py --soak N)
# Needs python3 with python-ldap (python3-ldap); network namespaces when
# run as root, else the nodes share 127.0.0.1 (see tests/chaos/chaos.py).
: "${top_builddir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
export top_builddir top_srcdir
export LDAPTLS_REQCERT=never LDAPNOINIT=1
py=
for p in ${CHAOS_PYTHON:-} python3 /usr/bin/python3; do
	if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import ldap' 2>/dev/null; then
		py=$p
		break
	fi
done
if [ -z "$py" ]; then
	echo "1..0 # SKIP python-ldap not installed (python3-ldap; scripts/deps.sh installs it)"
	exit 0
fi
exec "$py" "$top_srcdir/tests/chaos/chaos.py" "$@"
